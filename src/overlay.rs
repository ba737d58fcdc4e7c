//! Overlay: a picture per image with each region outlined in its class colour and labelled with its number
//! and subtype code, under a header with the path, the verdict, the picture's family and dominant subtype, a
//! legend of the colours and codes, and an arrow showing where the light comes from.
//!
//! Text uses DejaVu Sans, embedded ([`font`]), at a size that follows the picture's size, so an overlay of a
//! 12-megapixel photo is as readable as one of a crop. Line widths are 2 px on a ~500 px image and grow with
//! it. Overlays are written under the overlay folder at the input's own relative path ([`overlay_path`]).

pub mod font;

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use image::{Rgb, RgbImage};

use crate::analyze::Analysis;
use crate::report::{RegionClass, Subtype};

/// Outline colour of a class: clear hues that stand out on every skin tone.
pub fn class_colour(c: RegionClass) -> Rgb<u8> {
    match c {
        RegionClass::Atrophic => Rgb([0, 150, 255]),
        RegionClass::Hypertrophic => Rgb([255, 0, 220]),
        RegionClass::Inflammatory => Rgb([255, 110, 0]),
        RegionClass::Flat => Rgb([255, 235, 0]),
    }
}

/// What the legend calls a class.
pub fn class_label(c: RegionClass) -> &'static str {
    match c {
        RegionClass::Atrophic => "atrophic scar",
        RegionClass::Hypertrophic => "raised scar",
        RegionClass::Inflammatory => "active acne",
        RegionClass::Flat => "flat mark",
    }
}

/// The classes in legend order.
pub const CLASSES: [RegionClass; 4] = [
    RegionClass::Atrophic,
    RegionClass::Hypertrophic,
    RegionClass::Inflammatory,
    RegionClass::Flat,
];

/// Two-letter code of a subtype for labels.
pub fn subtype_code(s: Subtype) -> &'static str {
    match s {
        Subtype::IcePick => "IP",
        Subtype::Boxcar => "BX",
        Subtype::Rolling => "RO",
        Subtype::Hypertrophic => "HY",
        Subtype::Keloid => "KE",
        Subtype::Papule => "PA",
        Subtype::Pustule => "PU",
        Subtype::Pigmented => "PG",
        Subtype::Erythematous => "ER",
    }
}

/// A subtype's name in words, for legends (`ice pick`, not `ice_pick`).
pub fn subtype_words(s: Subtype) -> String {
    s.as_str().replace('_', " ")
}

/// Sizes derived from the image: line width and font pixel size.
#[derive(Debug, Clone, Copy)]
struct Style {
    line: u32,
    font: f32,
}

impl Style {
    fn for_size(w: u32, h: u32) -> Style {
        let short = w.min(h).max(1);
        Style {
            line: (2 * short).div_ceil(500).max(2),
            // About 1/28 of the short side: 18 px on a 500 px crop, 107 px on a 3000 px photo.
            font: (short as f32 / 28.0).max(MIN_FONT_PX),
        }
    }
}

/// The text size, px, for a picture of `w`×`h` px (about 1/28 of its short side, at least [`MIN_FONT_PX`]).
pub fn font_px_for(w: u32, h: u32) -> f32 {
    Style::for_size(w, h).font
}

/// Smallest text drawn, px: below this DejaVu's letters stop being legible.
pub const MIN_FONT_PX: f32 = 10.0;

/// Blends a colour into a pixel with opacity `a` (0..1); pixels outside the image are ignored.
fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>, a: f32) {
    if x < 0 || y < 0 || x >= img.width() as i64 || y >= img.height() as i64 {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    for k in 0..3 {
        p[k] = (p[k] as f32 + (c[k] as f32 - p[k] as f32) * a)
            .round()
            .clamp(0.0, 255.0) as u8;
    }
}

/// Fills a rectangle with opacity `a`.
fn fill_rect(img: &mut RgbImage, x: i64, y: i64, w: i64, h: i64, c: Rgb<u8>, a: f32) {
    for yy in y.max(0)..(y + h).min(img.height() as i64) {
        for xx in x.max(0)..(x + w).min(img.width() as i64) {
            put(img, xx, yy, c, a);
        }
    }
}

/// Draws a ring of radius `r` and thickness `t` centred on (cx, cy), anti-aliased over one pixel.
fn ring(img: &mut RgbImage, cx: f64, cy: f64, r: f64, t: f64, c: Rgb<u8>) {
    let reach = r + t;
    for y in (cy - reach).floor() as i64..=(cy + reach).ceil() as i64 {
        for x in (cx - reach).floor() as i64..=(cx + reach).ceil() as i64 {
            let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
            // Full cover out to t/2 + 0.5 px so a t-px line stays t px solid wherever it falls on the grid.
            let cover = (t / 2.0 + 1.0 - (d - r).abs()).clamp(0.0, 1.0);
            if cover > 0.0 {
                put(img, x, y, c, cover as f32);
            }
        }
    }
}

/// Draws a segment of thickness `t`.
fn line(img: &mut RgbImage, a: (f64, f64), b: (f64, f64), t: f64, c: Rgb<u8>) {
    let (x0, x1) = (a.0.min(b.0) - t, a.0.max(b.0) + t);
    let (y0, y1) = (a.1.min(b.1) - t, a.1.max(b.1) + t);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-9);
    for y in y0.floor() as i64..=y1.ceil() as i64 {
        for x in x0.floor() as i64..=x1.ceil() as i64 {
            let (px, py) = (x as f64 - a.0, y as f64 - a.1);
            let s = ((px * dx + py * dy) / len2).clamp(0.0, 1.0);
            let d = ((px - s * dx).powi(2) + (py - s * dy).powi(2)).sqrt();
            let cover = (t / 2.0 + 1.0 - d).clamp(0.0, 1.0);
            if cover > 0.0 {
                put(img, x, y, c, cover as f32);
            }
        }
    }
}

/// Draws black text on a box of colour `c`, clamped inside the image; returns the box height. Black on the
/// bright class colours reads at 10 px, where coloured text on a dark box blurred into it.
fn label(img: &mut RgbImage, x: i64, y: i64, text: &str, px: f32, c: Rgb<u8>) -> i64 {
    let pad = (px / 5.0).ceil() as i64;
    let w = font::text_width(text, px) as i64 + 2 * pad;
    let h = font::line_height(px) as i64 + 2 * pad;
    let x = x.clamp(0, (img.width() as i64 - w).max(0));
    let y = y.clamp(0, (img.height() as i64 - h).max(0));
    fill_rect(img, x, y, w, h, c, 0.85);
    font::draw_text(img, x + pad, y + pad, text, px, Rgb([0, 0, 0]));
    h
}

/// One piece of a legend: an optional colour square, then text in a colour.
pub struct LegendItem {
    /// Colour of the square before the text, if any.
    pub swatch: Option<Rgb<u8>>,
    /// The text.
    pub text: String,
    /// Colour of the text.
    pub colour: Rgb<u8>,
}

impl LegendItem {
    fn width(&self, px: f32) -> u32 {
        let sq = if self.swatch.is_some() {
            font::line_height(px)
        } else {
            0
        };
        sq + font::text_width(&self.text, px)
    }
}

/// Lays legend items out left to right from `x0`, wrapping before `x1`; returns each item's (x, line).
pub(crate) fn flow(items: &[LegendItem], px: f32, x0: i64, x1: i64) -> Vec<(i64, i64)> {
    let gap = (px * 1.2) as i64;
    let (mut x, mut line) = (x0, 0);
    let mut at = Vec::with_capacity(items.len());
    for it in items {
        let w = it.width(px) as i64;
        if x > x0 && x + w > x1 {
            x = x0;
            line += 1;
        }
        at.push((x, line));
        x += w + gap;
    }
    at
}

/// Draws legend items at the places [`flow`] gave, `line_h` apart from `y0`.
pub(crate) fn draw_legend(
    img: &mut RgbImage,
    items: &[LegendItem],
    at: &[(i64, i64)],
    px: f32,
    y0: i64,
    line_h: i64,
) {
    for (it, &(x, line)) in items.iter().zip(at) {
        let y = y0 + line * line_h;
        let mut tx = x;
        if let Some(c) = it.swatch {
            let sq = font::line_height(px) as i64;
            let inset = sq / 5;
            fill_rect(
                img,
                x + inset,
                y + inset,
                sq - 2 * inset,
                sq - 2 * inset,
                c,
                1.0,
            );
            tx += sq;
        }
        font::draw_text(img, tx, y, &it.text, px, it.colour);
    }
}

/// The font size for a header: `px` shrunk (not below [`MIN_FONT_PX`]) until every line fits `line_w(px)` and
/// every legend item fits `legend_w` (the legend then wraps between items).
pub(crate) fn fit_header(
    lines: &[&str],
    line_w: impl Fn(f32) -> u32,
    legend: &[LegendItem],
    legend_w: u32,
    px: f32,
) -> f32 {
    let mut px = px;
    while px > MIN_FONT_PX {
        let lines_fit = lines.iter().all(|l| font::text_width(l, px) <= line_w(px));
        let legend_fits = legend.iter().all(|it| it.width(px) <= legend_w);
        if lines_fit && legend_fits {
            break;
        }
        px = (px * 0.9).max(MIN_FONT_PX);
    }
    px
}

/// The colour legend with the subtype codes of each class: "■ atrophic scar: IP ice pick, BX boxcar, ...".
pub fn class_legend() -> Vec<LegendItem> {
    CLASSES
        .iter()
        .map(|&c| {
            let codes: Vec<String> = Subtype::ALL
                .iter()
                .filter(|s| s.class() == c)
                .map(|&s| format!("{} {}", subtype_code(s), subtype_words(s)))
                .collect();
            LegendItem {
                swatch: Some(class_colour(c)),
                text: format!("{}: {}", class_label(c), codes.join(", ")),
                colour: class_colour(c),
            }
        })
        .collect()
}

/// Draws the arrow of the light direction inside a circle centred at (cx, cy): it starts on the side the
/// light comes from (azimuth CCW from +x as seen, image y down) and points at the centre.
fn light_arrow(img: &mut RgbImage, cx: f64, cy: f64, r: f64, azimuth_deg: Option<f64>, st: Style) {
    fill_rect(
        img,
        (cx - r) as i64 - 2,
        (cy - r) as i64 - 2,
        (2.0 * r) as i64 + 5,
        (2.0 * r) as i64 + 5,
        Rgb([0, 0, 0]),
        0.5,
    );
    ring(
        img,
        cx,
        cy,
        r * 0.9,
        1.0_f64.max(st.line as f64 / 2.0),
        Rgb([200, 200, 200]),
    );
    let white = Rgb([255, 255, 255]);
    match azimuth_deg {
        Some(az) if az.is_finite() => {
            let a = az.to_radians();
            let (ux, uy) = (a.cos(), -a.sin());
            let from = (cx + ux * r * 0.85, cy + uy * r * 0.85);
            let tip = (cx - ux * r * 0.35, cy - uy * r * 0.35);
            let t = st.line as f64;
            line(img, from, tip, t, white);
            // Arrow head: two short strokes back from the tip at ±30°.
            for s in [-1.0f64, 1.0] {
                let th = s * 30f64.to_radians();
                let (bx, by) = (ux * th.cos() - uy * th.sin(), ux * th.sin() + uy * th.cos());
                line(
                    img,
                    tip,
                    (tip.0 + bx * r * 0.35, tip.1 + by * r * 0.35),
                    t,
                    white,
                );
            }
        }
        _ => {
            let w = font::text_width("?", st.font) as f64;
            let h = font::line_height(st.font) as f64;
            font::draw_text(
                img,
                (cx - w / 2.0) as i64,
                (cy - h / 2.0) as i64,
                "?",
                st.font,
                white,
            );
        }
    }
}

/// Colour of the outline of a region that is listed but not counted (below the summary's confidence): a
/// cool grey, apart from the neutral greys of the header's smoothed white text.
pub const UNCOUNTED_GREY: Rgb<u8> = Rgb([160, 160, 176]);

/// Outlines and labels `regions` (photo px, scaled by `f` onto `img`): those counted in the summary
/// (confidence at least `counted_from`) in their class colours with id and subtype code, the others thin and
/// grey with their id only, so that the coloured rings are the lesions the header counts.
fn draw_regions(
    img: &mut RgbImage,
    regions: &[crate::report::Region],
    counted_from: f64,
    f: f64,
    st: Style,
) {
    let black = Rgb([0, 0, 0]);
    let lbl = (st.font * 0.75).max(MIN_FONT_PX);
    // Uncounted first, so a counted ring is drawn over a grey one where they meet.
    let pass = |counted: bool| {
        regions
            .iter()
            .filter(move |r| (r.confidence >= counted_from) == counted)
            .map(move |r| (r, counted))
    };
    for (r, is_counted) in pass(false).chain(pass(true)) {
        let (cx, cy) = (r.center[0] * f, r.center[1] * f);
        if !(cx.is_finite() && cy.is_finite()) {
            continue;
        }
        let rad = if r.diameter_px.is_finite() && r.diameter_px > 0.0 {
            r.diameter_px * f / 2.0
        } else {
            3.0
        };
        // The outline sits just outside the region so it does not hide it; a dark halo keeps it visible on
        // light and dark skin alike.
        let rr = rad + st.line as f64 * 1.5;
        let (col, width, text) = if is_counted {
            let text = format!("{} {}", r.id, subtype_code(r.subtype));
            (class_colour(r.class), st.line as f64, text)
        } else {
            let thin = (st.line as f64 / 2.0).max(1.0);
            (UNCOUNTED_GREY, thin, r.id.to_string())
        };
        ring(img, cx, cy, rr, width + 2.0, black);
        ring(img, cx, cy, rr, width, col);
        let lx = (cx + rr * 0.72) as i64;
        let ly = (cy - rr * 0.72) as i64 - font::line_height(lbl) as i64;
        label(img, lx, ly, &text, lbl, col);
    }
}

/// The overlay's picture part drawn straight onto a copy of the photo shrunk to at most `max_side` px (the
/// HTML report's thumbnail): outlines and labels sized for the small picture, so they stay legible, and no
/// full-size drawing (it cost 0.5 s on a 12-megapixel photo).
pub fn draw_thumbnail(rgb: &RgbImage, analysis: &Analysis, max_side: u32) -> RgbImage {
    let mut small = crate::html::shrink_to_fit(rgb, max_side);
    // Region coordinates are in the photo's own pixels, which a reduced decode has fewer of.
    let f = small.width() as f64 / analysis.width.max(1) as f64;
    let st = Style::for_size(small.width(), small.height());
    draw_regions(&mut small, &analysis.regions, analysis.counted_from, f, st);
    small
}

/// Draws the overlay of one analysis: the photo with regions outlined in class colours and labelled with id
/// and subtype code, under a header with the title (kept as written, shortened from the start when too
/// long), the verdict, the picture's family and dominant subtype, a legend of colours and codes and the light
/// direction arrow. The result is taller than the photo by the header; photo pixel (x, y) is at
/// (x, y + header height).
pub fn draw_overlay(rgb: &RgbImage, analysis: &Analysis, title: &str) -> RgbImage {
    let mut img = rgb.clone();
    let st = Style::for_size(img.width(), img.height());
    let white = Rgb([255, 255, 255]);
    draw_regions(&mut img, &analysis.regions, analysis.counted_from, 1.0, st);

    // Header above the photo (so nothing covers it): title, verdict, findings, legend, light arrow.
    let s = &analysis.summary;
    let verdict = format!(
        "microneedling: {}",
        analysis.microneedling.verdict.as_str().replace('_', " ")
    );
    let picture = match s.family {
        Some(f) => format!(
            "picture: {} (confidence {:.2})",
            f.as_str(),
            s.family_confidence
        ),
        None => "picture: uncertain".to_string(),
    };
    let dominant = match s.dominant_subtype {
        Some(d) => subtype_words(d),
        None => "none".to_string(),
    };
    let counted = analysis
        .regions
        .iter()
        .filter(|r| r.confidence >= analysis.counted_from)
        .count();
    let uncounted = analysis.regions.len() - counted;
    let findings = format!(
        "dominant: {dominant} · active acne: {} · {counted} lesions{}",
        if s.active_inflammation { "yes" } else { "no" },
        if uncounted > 0 {
            format!(" (+{uncounted} uncounted, grey)")
        } else {
            String::new()
        }
    );
    let status = format!("{verdict} · {picture}");
    let mut legend = class_legend();
    if uncounted > 0 {
        legend.push(LegendItem {
            swatch: Some(UNCOUNTED_GREY),
            text: format!(
                "not counted: confidence under {:.2} (see the reasons)",
                analysis.counted_from
            ),
            colour: UNCOUNTED_GREY,
        });
    }
    let pad = (st.font / 2.0).ceil() as i64;
    // The light arrow takes a square at the right of the first lines; the text keeps clear of it.
    let arrow_room = |px: f32| 3 * font::line_height(px) as i64 + 2 * pad;
    let text_w = |px: f32| (img.width() as i64 - 2 * pad - arrow_room(px)).max(1) as u32;
    // The legend may use the full width: it sits below the arrow.
    let legend_w = (img.width() as i64 - 2 * pad).max(1);
    let px = fit_header(
        &[status.as_str(), findings.as_str()],
        text_w,
        &legend,
        legend_w as u32,
        st.font,
    );
    let at = flow(&legend, px, 0, legend_w);
    let line_h = (font::line_height(px) as f32 * 1.15).ceil() as i64;
    let legend_lines = at.iter().map(|a| a.1).max().unwrap_or(0) + 1;
    let header_h = 2 * pad + (3 + legend_lines) * line_h + pad / 2;
    let mut out = RgbImage::from_pixel(
        img.width(),
        img.height() + header_h as u32,
        Rgb([24, 24, 24]),
    );
    image::imageops::replace(&mut out, &img, 0, header_h);
    let title = font::fit_start(title, px, text_w(px));
    for (k, text) in [title.as_str(), status.as_str(), findings.as_str()]
        .into_iter()
        .enumerate()
    {
        font::draw_text(&mut out, pad, pad + k as i64 * line_h, text, px, white);
    }
    let at: Vec<(i64, i64)> = at.into_iter().map(|(x, l)| (x + pad, l)).collect();
    draw_legend(&mut out, &legend, &at, px, pad + 3 * line_h, line_h);
    // Light arrow at the right end of the first three lines, "light" under it.
    let r = (1.5 * line_h as f64 - font::line_height(px) as f64 / 2.0).max(4.0);
    let (ax, ay) = (out.width() as f64 - r - pad as f64, pad as f64 + r);
    light_arrow(
        &mut out,
        ax,
        ay,
        r,
        analysis.lighting.azimuth_deg,
        Style {
            line: st.line,
            font: px,
        },
    );
    let word = "light";
    let lw = font::text_width(word, px * 0.8) as f64;
    font::draw_text(
        &mut out,
        (ax - lw / 2.0) as i64,
        (ay + r) as i64,
        word,
        px * 0.8,
        white,
    );
    out
}

/// Marks circles (centre, diameter in px) with a thin ring, e.g. the truth lesions under an analysis overlay.
pub fn mark_circles(img: &mut RgbImage, circles: &[([f64; 2], f64)], colour: Rgb<u8>) {
    for &(c, d) in circles {
        if c[0].is_finite() && c[1].is_finite() && d.is_finite() {
            ring(img, c[0], c[1], (d / 2.0).max(2.0), 0.0, colour);
        }
    }
}

/// Puts two pictures side by side under a title bar (for before/after pairs), overlays drawn when analyses
/// are given. Pictures of different heights are top-aligned on a dark background.
pub fn draw_side_by_side(
    before: &RgbImage,
    after: &RgbImage,
    before_analysis: Option<&Analysis>,
    after_analysis: Option<&Analysis>,
    title: &str,
) -> RgbImage {
    let b = match before_analysis {
        Some(a) => draw_overlay(before, a, "before"),
        None => before.clone(),
    };
    let a = match after_analysis {
        Some(x) => draw_overlay(after, x, "after"),
        None => after.clone(),
    };
    let st = Style::for_size(b.width().max(a.width()), b.height().max(a.height()));
    let gap = 4 * st.line;
    let pad = (st.font / 2.0).ceil() as u32;
    let bar = font::line_height(st.font) + 2 * pad;
    let w = b.width() + gap + a.width();
    let h = bar + b.height().max(a.height());
    let mut out = RgbImage::from_pixel(w, h, Rgb([24, 24, 24]));
    image::imageops::replace(&mut out, &b, 0, bar as i64);
    image::imageops::replace(&mut out, &a, (b.width() + gap) as i64, bar as i64);
    let title = font::fit_start(title, st.font, w.saturating_sub(2 * pad));
    font::draw_text(
        &mut out,
        pad as i64,
        pad as i64,
        &title,
        st.font,
        Rgb([255, 255, 255]),
    );
    out
}

/// Writes an image as PNG atomically (a temporary file in the same folder, then renamed), creating the folder.
pub fn write_png_atomic(img: &RgbImage, path: &Path) -> anyhow::Result<()> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)
        .context("PNG encoding failed")?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    crate::output::write_atomic(path, &buf.into_inner())
}

/// What drawing a photo's overlay for a run gave: a note when something could not be made, and the thumbnail
/// for the HTML report when one was asked for.
#[derive(Debug, Default)]
pub struct Drawn {
    /// "overlay not written: …" (or the thumbnail's failure), for the photo's quality notes.
    pub note: Option<String>,
    /// The overlay's thumbnail (`--html`).
    pub thumbnail: Option<crate::html::Thumbnail>,
}

/// Draws the overlay of one analysed photo when the run needs it: writes it under `dir` (at
/// [`overlay_path`]) and, with `thumbnail`, draws the HTML report's thumbnail ([`draw_thumbnail`]). The
/// thumbnail has no header: the page gives the header's facts as text, and a 256 px header would be
/// unreadable.
pub fn draw_for_run(
    rgb: &RgbImage,
    analysis: &Analysis,
    display: &str,
    dir: Option<&Path>,
    thumbnail: bool,
) -> Drawn {
    let mut notes = Vec::new();
    if let Some(dir) = dir {
        // The overlay is drawn at the photo's own size: a reduced decode is enlarged back to it (the
        // analysis must not depend on whether an overlay was asked for, so it is not decoded whole).
        let full = (analysis.width, analysis.height);
        let backdrop = if rgb.dimensions() == full {
            std::borrow::Cow::Borrowed(rgb)
        } else {
            std::borrow::Cow::Owned(image::imageops::resize(
                rgb,
                full.0,
                full.1,
                image::imageops::FilterType::Triangle,
            ))
        };
        let img = draw_overlay(&backdrop, analysis, display);
        if let Err(e) = write_png_atomic(&img, &overlay_path(dir, display)) {
            notes.push(format!("overlay not written: {e:#}"));
        }
    }
    let thumbnail = thumbnail
        .then(|| {
            let small = draw_thumbnail(rgb, analysis, crate::html::THUMB_MAX_SIDE);
            crate::html::Thumbnail::of(&small, crate::html::THUMB_MAX_SIDE)
                .map_err(|e| notes.push(format!("thumbnail not made: {e:#}")))
                .ok()
        })
        .flatten();
    Drawn {
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        thumbnail,
    }
}

/// Where the overlay of the input shown as `display` goes under `dir`: the input's own relative path with
/// `.png` added (`photos/a/b_c.jpg` → `DIR/photos/a/b_c.jpg.png`), so inputs with different paths never share
/// an overlay, and the folders look like the inputs'.
///
/// The mapping is one-to-one and never leaves `dir`: `..` becomes a folder `%up`, a leading `/` a folder
/// `%root` (and a Windows drive `C:` a folder `%C`), `.` is dropped, and a `%` in a name is written `%25` so
/// that no real name can be taken for one of those. A name is kept as it is otherwise (case, spaces,
/// Unicode).
pub fn overlay_path(dir: &Path, display: &str) -> PathBuf {
    let mut out = dir.to_path_buf();
    let mut any = false;
    for c in Path::new(display).components() {
        let part = match c {
            Component::Normal(n) => n.to_string_lossy().replace('%', "%25"),
            Component::ParentDir => "%up".to_string(),
            Component::RootDir => "%root".to_string(),
            Component::Prefix(p) => {
                let t: String = p
                    .as_os_str()
                    .to_string_lossy()
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect();
                format!("%{t}")
            }
            Component::CurDir => continue,
        };
        out.push(part);
        any = true;
    }
    if !any {
        out.push("%empty");
    }
    let mut name = out.into_os_string();
    name.push(".png");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis_with_one_keloid() -> (RgbImage, Analysis) {
        use crate::analyze::{analyze, AnalysisOptions};
        use crate::report::{Region, Relief};
        let img = RgbImage::from_pixel(400, 300, Rgb([190, 150, 130]));
        let opts = AnalysisOptions {
            px_per_mm: None,
            profile: std::sync::Arc::new(crate::profile::Profile::builtin()),
        };
        let mut a = analyze(&img, &opts);
        a.regions.push(Region {
            center: [200.0, 150.0],
            bbox: [190, 140, 20, 20],
            area_px: 314.0,
            relief: Relief::Raised,
            depth_proxy: 0.5,
            reasons: Vec::new(),
            ..Region::example(Subtype::Keloid, 0.9)
        });
        a.lighting.azimuth_deg = Some(90.0);
        (img, a)
    }

    #[test]
    fn overlay_outlines_regions_above_a_header_and_writes_png() {
        let (img, a) = analysis_with_one_keloid();
        let out = draw_overlay(&img, &a, "test (1).jpg");
        assert_eq!(out.width(), 400);
        let header = out.height() - 300;
        assert!(header > 20);
        // The region's ring (radius 10 + 1.5·line) crosses the row through its centre, in magenta.
        let row = 150 + header;
        let hits = (200..240)
            .filter(|&x| out.get_pixel(x, row).0 == class_colour(RegionClass::Hypertrophic).0)
            .count();
        assert!(
            hits >= 2,
            "no magenta outline right of the centre: {:?}",
            (200..240)
                .map(|x| out.get_pixel(x, row).0)
                .collect::<Vec<_>>()
        );
        // Photo pixels far from any region are untouched.
        assert_eq!(out.get_pixel(20, 280 + header).0, [190, 150, 130]);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/overlay.png");
        write_png_atomic(&out, &path).expect("write");
        let back = image::open(&path).expect("read back").to_rgb8();
        assert_eq!(back.as_raw(), out.as_raw());
        let sbs = draw_side_by_side(&img, &img, Some(&a), None, "pair");
        assert_eq!(
            sbs.width(),
            800 + 4 * Style::for_size(400, 300 + header).line
        );
    }

    #[test]
    fn header_shows_the_legend_in_class_colours_and_is_deterministic() {
        let (img, a) = analysis_with_one_keloid();
        let out = draw_overlay(&img, &a, "Photos/Mixed Case.JPG");
        let header = out.height() - 300;
        // Every class colour appears in the header: its legend square and its coloured codes.
        for c in CLASSES {
            let col = class_colour(c).0;
            let n = (0..header)
                .flat_map(|y| (0..out.width()).map(move |x| (x, y)))
                .filter(|&(x, y)| out.get_pixel(x, y).0 == col)
                .count();
            assert!(n > 20, "{c:?}: {n} px of its colour in the header");
        }
        // The legend names every subtype code.
        let text = class_legend()
            .iter()
            .map(|i| i.text.clone())
            .collect::<Vec<_>>()
            .join(" ");
        for s in Subtype::ALL {
            assert!(text.contains(subtype_code(s)), "{s:?} missing in {text}");
        }
        assert_eq!(
            out.as_raw(),
            draw_overlay(&img, &a, "Photos/Mixed Case.JPG").as_raw()
        );
    }

    #[test]
    fn regions_below_the_counted_confidence_are_drawn_thin_and_grey() {
        use crate::report::Region;
        let (img, mut a) = analysis_with_one_keloid();
        // A second keloid at (100, 150), listed at the lowest confidence (as reconcile leaves the regions of a
        // picture read as clear skin): below the summary's threshold, so not counted.
        assert!(a.counted_from > 0.05);
        a.regions.push(Region {
            id: 2,
            center: [100.0, 150.0],
            bbox: [90, 140, 20, 20],
            ..a.regions[0].clone()
        });
        a.regions[1].confidence = 0.05;
        let out = draw_overlay(&img, &a, "t.jpg");
        let row = 150 + out.height() - 300;
        let colours = |xs: std::ops::Range<u32>| -> Vec<[u8; 3]> {
            xs.map(|x| out.get_pixel(x, row).0).collect()
        };
        let magenta = class_colour(RegionClass::Hypertrophic).0;
        // The counted keloid keeps its class colour; the uncounted one is grey, never magenta.
        assert!(colours(200..240).contains(&magenta));
        let left = colours(100..140);
        assert!(left.contains(&UNCOUNTED_GREY.0), "{left:?}");
        assert!(!left.contains(&magenta), "{left:?}");
        // The header counts one lesion and says one more is listed; the legend explains the grey.
        let header: Vec<[u8; 3]> = (0..out.height() - 300)
            .flat_map(|y| (0..out.width()).map(move |x| (x, y)))
            .map(|(x, y)| out.get_pixel(x, y).0)
            .collect();
        assert!(header.contains(&UNCOUNTED_GREY.0));
        // Without uncounted regions the header has no grey legend item.
        a.regions.truncate(1);
        let plain = draw_overlay(&img, &a, "t.jpg");
        let plain_header = plain.height() - 300;
        assert!(!(0..plain_header)
            .flat_map(|y| (0..plain.width()).map(move |x| (x, y)))
            .any(|(x, y)| plain.get_pixel(x, y).0 == UNCOUNTED_GREY.0));
    }

    #[test]
    fn thumbnails_are_drawn_small_with_their_outlines() {
        let (img, a) = analysis_with_one_keloid();
        let big = image::imageops::resize(&img, 1600, 1200, image::imageops::FilterType::Nearest);
        // The analysis of the big photo: its size and its regions' coordinates four times the small one's.
        let mut a4 = a.clone();
        (a4.width, a4.height) = (1600, 1200);
        for r in &mut a4.regions {
            r.center = [r.center[0] * 4.0, r.center[1] * 4.0];
            r.diameter_px *= 4.0;
        }
        let t = draw_thumbnail(&big, &a4, 256);
        assert_eq!(t.dimensions(), (256, 192));
        let magenta = class_colour(RegionClass::Hypertrophic).0;
        // The keloid at (800, 600) of the big photo is at (128, 96) in the thumbnail; its ring crosses that row.
        assert!((128..150).any(|x| t.get_pixel(x, 96).0 == magenta));
        assert_eq!(t.as_raw(), draw_thumbnail(&big, &a4, 256).as_raw());
    }

    #[test]
    fn text_grows_with_the_picture() {
        let small = Style::for_size(400, 300).font;
        let big = Style::for_size(4000, 3000).font;
        assert!(big > 5.0 * small, "{small} → {big}");
        // A tiny picture still gets legible text, and a header that fits its width.
        let (img, a) = analysis_with_one_keloid();
        let tiny = image::imageops::thumbnail(&img, 120, 90);
        let out = draw_overlay(&tiny, &a, "t.jpg");
        assert_eq!(out.width(), 120);
        assert!(out.height() > 90);
    }

    #[test]
    fn overlay_paths_mirror_the_input_and_never_collide() {
        let d = Path::new("ov");
        assert_eq!(
            overlay_path(d, "photos/Box (13).jpg"),
            Path::new("ov/photos/Box (13).jpg.png")
        );
        // The two names the flat scheme sent to one file.
        assert_ne!(overlay_path(d, "a/b_c.jpg"), overlay_path(d, "a_b/c.jpg"));
        assert_eq!(overlay_path(d, "a/b_c.jpg"), Path::new("ov/a/b_c.jpg.png"));
        // Nothing escapes the folder, and the escapes cannot be forged by a real name.
        assert_eq!(
            overlay_path(d, "../x/y.png"),
            Path::new("ov/%up/x/y.png.png")
        );
        assert_eq!(
            overlay_path(d, "%up/x/y.png"),
            Path::new("ov/%25up/x/y.png.png")
        );
        assert_eq!(
            overlay_path(d, "/data/p.jpg"),
            Path::new("ov/%root/data/p.jpg.png")
        );
        assert_eq!(overlay_path(d, "./p.jpg"), Path::new("ov/p.jpg.png"));
        assert_eq!(
            overlay_path(d, "UPPER/lower.JPG"),
            Path::new("ov/UPPER/lower.JPG.png")
        );
        for p in ["../../etc/passwd", "/abs", "a/../../b"] {
            let o = overlay_path(d, p);
            assert!(o.starts_with(d));
            assert!(!o.components().any(|c| c == Component::ParentDir), "{o:?}");
        }
    }
}
