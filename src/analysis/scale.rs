//! Scale stage: px per mm estimated from a visible iris, for a photo given without a scale.
//!
//! The horizontal visible iris diameter ("white-to-white") is nearly the same in every adult: 11.7 ± 0.4 mm
//! (Rüfer et al., Cornea 2005; `../shared/domain.md` §6). Where an eye shows its white on both sides of the
//! iris, the iris's width in px over 11.7 mm is the photo's scale, good to about ±5 % plus the pixel's own
//! share of the width. Definition used here: in every row of an eye's box (the eyes are the holes of the skin
//! mask that are sclera-white, [`crate::prepare::Prepared::eyes`]), the run of pixels that are not
//! sclera-white, with sclera-white on both sides and its middle nearest the box's, is a chord of the iris; the iris's width is the second longest
//! chord over the rows (the widest chord is the diameter; taking the second keeps one stray row from deciding).
//! A brown iris has the skin's colour, so the skin mask splits such an eye into two white holes: each box is
//! searched widened by 2.5 times its width on either side (half an eye's white is about 0.75 iris widths,
//! the other half an iris beyond it), and two boxes that find the same iris count once.
//!
//! An estimate needs two irises, and the adult interpupillary distance (63.4 ± 3.8 mm, Dodgson 2004;
//! domain.md §6) checks it: irises that differ in width by more than `max_width_disagreement`, or put the
//! eyes' centres outside `interpupillary_mm` apart, give no estimate. One iris-like shape alone gives none:
//! on the development set the single readings were 15, and at least 11 of them were the stripes of one
//! source's watermark (white bands around a darker figure, the size of an eye), not an eye.
//! The estimate sizes the regions in mm; the lesion rules and the scoring table still read the picture as
//! one without a scale (the table was fitted so), and the report says so.
//!
//! ```
//! use scarscope::analysis::scale::iris_chords;
//! // One row of an eye: sclera (w), an iris 4 px wide (i), sclera; skin (s) outside.
//! let white = |row: &str| row.chars().map(|c| c == 'w').collect::<Vec<bool>>();
//! assert_eq!(iris_chords(&white("sswwwiiiiwwss"), 6.0), Some((5, 4)));
//! // Sclera on one side only: no chord.
//! assert_eq!(iris_chords(&white("sswwwiiiiss"), 6.0), None);
//! // Two gaps: the one whose middle is nearest the box's centre (x = 2 here), not the longest.
//! assert_eq!(iris_chords(&white("wiiwssssssw"), 2.0), Some((1, 2)));
//! ```

use crate::prepare::Prepared;
use crate::profile::{PrepareRules, ScaleRules};

/// A scale estimated from the iris.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisScale {
    /// Working px per mm.
    pub px_per_mm: f64,
    /// The iris's width in working px (the mean of both eyes' where two were measured).
    pub iris_px: f64,
    /// The eyes' centres apart at this scale, mm.
    pub interpupillary_mm: f64,
}

/// The scale read from the irises of `p`'s eyes: `Ok(None)` where fewer than two irises can be measured (no
/// eye, white on one side of the iris only, an iris under `min_iris_px`, one eye alone), `Err` with the
/// reason for the report where irises were measured but disagree. Sclera-white is prepare's white (`white_l_above`, `white_max_chroma`, below
/// `skin_max_l`, the clipping level).
pub fn estimate(
    p: &Prepared,
    rules: &ScaleRules,
    white: &PrepareRules,
) -> Result<Option<IrisScale>, String> {
    let Some(skin) = p.skin_lab else {
        return Ok(None);
    };
    let irises = irises(p, skin[0] as f32, rules, white);
    let mm = rules.iris_mm;
    match irises.as_slice() {
        // One iris-like shape alone is too often something else (see the module docs).
        [] | [_] => Ok(None),
        [(d1, x1, y1), (d2, x2, y2)] => {
            let (lo, hi) = (d1.min(*d2), d1.max(*d2));
            if hi > lo * (1.0 + rules.max_width_disagreement) {
                return Err(format!(
                    "the two irises measure {lo:.0} and {hi:.0} px across: too different to give a scale"
                ));
            }
            let d = 0.5 * (d1 + d2);
            let ppm = d / mm;
            let apart = ((x1 - x2).powi(2) + (y1 - y2).powi(2)).sqrt() / ppm;
            let [from, to] = rules.interpupillary_mm;
            if !(from..=to).contains(&apart) {
                return Err(format!(
                    "at the irises' scale the eyes would be {apart:.0} mm apart (adults: {from:.0}-{to:.0}): \
                     no scale estimated"
                ));
            }
            Ok(Some(IrisScale {
                px_per_mm: ppm,
                iris_px: d,
                interpupillary_mm: apart,
            }))
        }
        _ => Err(format!(
            "{} iris-like shapes found, more than one face's two eyes: no scale estimated",
            irises.len()
        )),
    }
}

/// One row's iris chord in an eye's box: the gap between sclera-white on both sides.
#[derive(Debug, Clone, Copy)]
struct Chord {
    /// Width, px.
    len: usize,
    /// Centre x and the row, working px.
    x: f64,
    y: f64,
    /// The row's white from its first to its last pixel, px (the eye's visible width in that row).
    eye: usize,
    /// Darkest L* in the chord.
    darkest: f32,
}

/// The irises measured in `p`'s eyes: (width px, centre x, centre y), one per iris (eye boxes that find the
/// same iris count once), left to right. An iris passes [`is_iris`].
fn irises(
    p: &Prepared,
    skin_l: f32,
    rules: &ScaleRules,
    pr: &PrepareRules,
) -> Vec<(f64, f64, f64)> {
    let (w, h) = (p.w, p.h);
    let (l, a, b) = (&p.lab[0].data, &p.lab[1].data, &p.lab[2].data);
    let eye_white = crate::prepare::EyeWhite::new(skin_l, pr);
    let white = |i: usize| eye_white.is_sclera(l[i], a[i], b[i]);
    let mut found: Vec<(f64, f64, f64)> = Vec::new();
    let mut row = Vec::new();
    for bx in &p.eyes {
        // Half an eye's white is about 0.75 iris widths wide; the other half lies an iris beyond it.
        let reach = 5 * (bx[2] - bx[0] + 1) / 2;
        let (x0, x1) = (bx[0].saturating_sub(reach), (bx[2] + reach).min(w - 1));
        let mut chords: Vec<Chord> = Vec::new();
        for y in bx[1]..=bx[3].min(h - 1) {
            row.clear();
            row.extend((x0..=x1).map(|x| white(y * w + x)));
            let centre = 0.5 * (bx[0] + bx[2]) as f64 - x0 as f64;
            let Some((start, len)) = iris_chords(&row, centre) else {
                continue;
            };
            let first = row.iter().position(|&v| v).unwrap_or(0);
            let last = row.iter().rposition(|&v| v).unwrap_or(0);
            let at = y * w + x0 + start;
            chords.push(Chord {
                len,
                x: (x0 + start) as f64 + 0.5 * (len as f64 - 1.0),
                y: y as f64,
                eye: last + 1 - first,
                darkest: l[at..at + len]
                    .iter()
                    .copied()
                    .fold(f32::INFINITY, f32::min),
            });
        }
        // Widest first; ties by row, so that the order never depends on anything else.
        chords.sort_by(|p, q| q.len.cmp(&p.len).then(p.y.total_cmp(&q.y)));
        let Some(c) = chords.get(1).copied() else {
            continue;
        };
        let d = c.len as f64;
        // The eye's opening is at most about an iris high; white reaching further is not an eye's.
        let opening = (bx[3] - bx[1] + 1) as f64;
        if !is_iris(&c, &chords, skin_l, (w, h), rules) || opening > rules.max_opening_to_iris * d {
            continue;
        }
        if !found.iter().any(|&(fd, fx, fy)| {
            (fx - c.x).abs() < 0.5 * fd.max(d) && (fy - c.y).abs() < 0.5 * fd.max(d)
        }) {
            found.push((d, c.x, c.y));
        }
    }
    found.sort_by(|p, q| p.1.total_cmp(&q.1));
    found
}

/// Whether chord `c` (the second widest of an eye box's `chords`) is an iris's width and not a gap between
/// two white things (fingernails, a label, letters, a pustule's head): wide enough to measure and at most a
/// quarter of the picture's short side; a pupil or a dark iris in it (`pupil_below_skin_l` under the skin's
/// L*); the eye's white around it `eye_to_iris` times as wide; and a disc, not a line: at least
/// `min_iris_rows` × its width of rows show a chord at least half as wide, centred within a quarter of it.
fn is_iris(
    c: &Chord,
    chords: &[Chord],
    skin_l: f32,
    (w, h): (usize, usize),
    rules: &ScaleRules,
) -> bool {
    let d = c.len as f64;
    let round: Vec<&Chord> = chords
        .iter()
        .filter(|o| 2 * o.len >= c.len && (o.x - c.x).abs() <= 0.25 * d)
        .collect();
    let darkest = round
        .iter()
        .map(|o| o.darkest)
        .fold(f32::INFINITY, f32::min);
    let [lo, hi] = rules.eye_to_iris;
    d >= rules.min_iris_px
        && d <= 0.25 * w.min(h) as f64
        && darkest <= skin_l - rules.pupil_below_skin_l as f32
        && (lo * d..=hi * d).contains(&(c.eye as f64))
        && round.len() as f64 >= rules.min_iris_rows * d
}

/// The run of `false` in `white` with `true` on both sides whose middle lies nearest `centre` (the longer on
/// a tie): (start, length), or `None`. An eye's box finds its own iris, not the gap to the next white thing.
pub fn iris_chords(white: &[bool], centre: f64) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize, f64)> = None;
    let mut last_white: Option<usize> = None;
    for (x, &wh) in white.iter().enumerate() {
        if !wh {
            continue;
        }
        if let Some(lw) = last_white {
            let len = x - lw - 1;
            let off = ((lw + 1) as f64 + 0.5 * (len as f64 - 1.0) - centre).abs();
            if len > 0 && best.is_none_or(|(_, bl, bo)| off < bo || (off == bo && len > bl)) {
                best = Some((lw + 1, len, off));
            }
        }
        last_white = Some(x);
    }
    best.map(|(s, l, _)| (s, l))
}

/// The report's note for an estimate (`scale` input px per working px).
pub fn note(est: &IrisScale, scale: f64, rules: &ScaleRules) -> String {
    // ±5 % from the irises' spread (domain.md §6), plus half a pixel at each edge of the chord.
    let pct = 100.0 * (0.05 + 1.0 / est.iris_px);
    format!(
        "scale estimated from the eyes (irises {:.0} px across, an adult's {} mm; the eyes' centres then {:.0} mm \
         apart, adults' 63): about {:.2} px/mm, ±{pct:.0} %; sizes in mm are estimates, and the lesion rules \
         still read sizes relative to the picture",
        est.iris_px * scale,
        rules.iris_mm,
        est.interpupillary_mm,
        est.px_per_mm * scale
    )
}
