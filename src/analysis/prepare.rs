//! Prepare stage: working resolution, skin mask, photo quality and illumination flattening.
//!
//! - Working resolution: area-average downsampling in linear light to ~8 px/mm when the scale is known
//!   (domain.md §1: below ~10 px/mm a small ice pick gets only a few px wide), otherwise a capped longest side;
//!   never upscaled. All coordinates reported later are mapped back to input pixels with [`Prepared::scale`].
//! - Skin mask: the YCbCr and RGB rules of domain.md §4 only *seed* a CIELAB a*/b* histogram; the dominant
//!   cluster's own spread then decides skin, which adapts to very light and dark skin and to colour casts.
//!   Chroma-free pixels (white/black boxes, text), clipped white and small specks are removed by morphology;
//!   holes (lesions, pores) are filled, except whitish ones (an eye's sclera, white text enclosed by skin),
//!   and around an eye the lids and iris are taken out too.
//! - Colour normalisation: skin-referenced white balance. A skin median whose log chromaticity lies outside the
//!   range every skin tone spans is a colour cast; channel gains bring it to that range's edge and the skin is
//!   found again (when a cast hides all skin, the picture's chromatic pixels stand in, within a camera's gain).
//! - Illumination flattening: log luminance minus its mask-normalised Gaussian background whose sigma
//!   exceeds the largest scar (domain.md §4).

// Pixel loops index several planes (and the mask) with the same index; iterator zips would hide that.
#![allow(clippy::needless_range_loop)]

use image::RgbImage;

pub use crate::blur::{gaussian_blur, masked_blur};
use crate::profile::PrepareRules;

pub use crate::plane::Plane;

/// sRGB (0..255) to linear light (0..1) lookup (colour.rs's linearisation, tabulated once).
fn srgb_lut() -> [f32; 256] {
    let mut t = [0.0f32; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = crate::colour::srgb_to_linear(i as f64 / 255.0) as f32;
    }
    t
}

/// CIELAB planes of linear-light RGB planes (sRGB primaries, D65), by
/// [`crate::colour::linear_rgb_to_lab_rows`].
fn lab_planes(rgb: &[Plane; 3]) -> [Plane; 3] {
    let (w, h) = (rgb[0].w, rgb[0].h);
    let [mut l, mut a, mut b] = [0, 1, 2].map(|_| Vec::new());
    crate::colour::linear_rgb_to_lab_rows(
        [&rgb[0].data, &rgb[1].data, &rgb[2].data],
        [&mut l, &mut a, &mut b],
    );
    [l, a, b].map(|data| Plane { w, h, data })
}

/// ITA° of a skin colour and its band name (domain.md §4), from colour.rs.
pub fn ita(l: f64, b: f64) -> (f64, &'static str) {
    let v = crate::colour::ita_degrees(l, b);
    (v, crate::colour::ItaBand::from_ita(v).as_str())
}

/// The image at working resolution, with its skin mask, colour planes and flattened luminance.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Working width in px.
    pub w: usize,
    /// Working height in px.
    pub h: usize,
    /// Input px per working px (>= 1).
    pub scale: f64,
    /// Working px per mm, when the scale is known.
    pub px_per_mm: Option<f64>,
    /// Linear red, green, blue (0..1).
    pub rgb: [Plane; 3],
    /// CIELAB L*, a*, b*.
    pub lab: [Plane; 3],
    /// Skin mask.
    pub mask: Vec<bool>,
    /// Log luminance minus its smooth background (illumination-flattened), 0 off skin.
    pub resid: Plane,
    /// a* minus its smooth background, 0 off skin.
    pub red_resid: Plane,
    /// Background blur sigma used, working px.
    pub background_sigma: f32,
    /// Share of the image that is skin.
    pub skin_fraction: f64,
    /// Median skin colour (L*, a*, b*).
    pub skin_lab: Option<[f64; 3]>,
    /// Variance of the Laplacian of the luminance on skin (0..255 scale).
    pub sharpness: Option<f64>,
    /// Mean skin luminance (0..1, display-referred).
    pub exposure: Option<f64>,
    /// Share of skin that is glare: clipped in all three channels ([`CLIPPED`]).
    pub glare_fraction: Option<f64>,
    /// Notes on what limits the analysis.
    pub notes: Vec<String>,
    /// Whether the photo is good enough for a verdict.
    pub usable: bool,
    /// Eyes found in the skin mask: bounding boxes (x0, y0, x1, y1, inclusive, working px) of the holes
    /// enclosed by skin that are at least `hole_max_white_share` sclera-white (see [`crate::analysis::scale`]).
    pub eyes: Vec<[usize; 4]>,
}

/// What the skin mask found: the mask, the median skin colour, notes and the eyes (see [`Prepared::eyes`]).
struct Skin {
    mask: Vec<bool>,
    lab: Option<[f64; 3]>,
    notes: Vec<String>,
    eyes: Vec<[usize; 4]>,
}

/// An eye's white as the skin mask reads it: at least `white_l_above` lighter than the skin's median L*,
/// with chroma at most `white_max_chroma`; sclera when also below the clipping level `skin_max_l` (clipped
/// white is glare); greyish (pale) when as colourless and below clipping but only no more than
/// `eye_pale_below` darker than the skin. The scale stage reads the irises between the same whites.
#[derive(Debug, Clone, Copy)]
pub struct EyeWhite {
    l: f32,
    pale_l: f32,
    c2: f32,
    clipped: f32,
}

impl EyeWhite {
    /// The white of a picture whose skin has median lightness `skin_l`.
    pub fn new(skin_l: f32, rules: &PrepareRules) -> EyeWhite {
        EyeWhite {
            l: skin_l + rules.white_l_above as f32,
            pale_l: skin_l - rules.eye_pale_below as f32,
            c2: (rules.white_max_chroma * rules.white_max_chroma) as f32,
            clipped: rules.skin_max_l as f32,
        }
    }

    /// Whether a CIELAB colour is a greyish white below the clipping level (a sclera in shade included).
    pub fn is_pale(&self, l: f32, a: f32, b: f32) -> bool {
        l >= self.pale_l && l < self.clipped && a.powi(2) + b.powi(2) <= self.c2
    }

    /// Whether a CIELAB colour is white (clipped or not).
    pub fn is_white(&self, l: f32, a: f32, b: f32) -> bool {
        l >= self.l && a.powi(2) + b.powi(2) <= self.c2
    }

    /// Whether a CIELAB colour is white below the clipping level.
    pub fn is_sclera(&self, l: f32, a: f32, b: f32) -> bool {
        self.is_white(l, a, b) && l < self.clipped
    }
}

/// Linear level from which a channel counts as clipped (sRGB 250 of 255).
pub const CLIPPED: f32 = 0.96;

/// Chooses the working scale factor (input px per working px, >= 1).
pub fn working_factor(w: u32, h: u32, px_per_mm: Option<f64>, rules: &PrepareRules) -> f64 {
    let (w, h) = (w.max(1) as f64, h.max(1) as f64);
    let budget = (rules.max_working_megapixels * 1e6).max(1.0);
    let by_budget = (w * h / budget).sqrt();
    let f = match px_per_mm.filter(|s| s.is_finite() && *s > 0.0) {
        Some(s) => {
            let wanted = s / rules.target_px_per_mm;
            let floor = s / rules.min_px_per_mm;
            wanted.max(by_budget.min(floor))
        }
        None => (w.max(h) / rules.max_side_unscaled.max(1) as f64).max(by_budget),
    };
    f.max(1.0)
}

/// Area-averages linear-light planes of `rgb` to the working size of a `full`-sized photo shrunk by `factor`
/// (>= 1). `rgb` is the photo itself or a reduced decode of it no smaller than the working size: the working
/// size comes from `full`, so it is the same whichever was decoded.
fn downsample(rgb: &RgbImage, full: (u32, u32), factor: f64) -> [Plane; 3] {
    let lut = srgb_lut();
    let (iw, ih) = (rgb.width() as usize, rgb.height() as usize);
    let (fw, fh) = (full.0 as usize, full.1 as usize);
    let ow = ((fw as f64 / factor).round() as usize).clamp(1, iw.max(1));
    let oh = ((fh as f64 / factor).round() as usize).clamp(1, ih.max(1));
    if (ow, oh) == (iw, ih) {
        return linearised(rgb, &lut);
    }
    let fx = iw as f64 / ow as f64;
    let fy = ih as f64 / oh as f64;
    let spans = |n_out: usize, f: f64, n_in: usize| -> Vec<Vec<(usize, f32)>> {
        (0..n_out)
            .map(|o| {
                let a = o as f64 * f;
                let b = ((o + 1) as f64 * f).min(n_in as f64);
                let mut v = Vec::new();
                let mut i = a.floor() as usize;
                while (i as f64) < b && i < n_in {
                    let lo = a.max(i as f64);
                    let hi = b.min(i as f64 + 1.0);
                    if hi > lo {
                        v.push((i, ((hi - lo) / (b - a)) as f32));
                    }
                    i += 1;
                }
                v
            })
            .collect()
    };
    let xs = spans(ow, fx, iw);
    let ys = spans(oh, fy, ih);
    let raw = rgb.as_raw();
    let mut out = [
        Plane::filled(ow, oh, 0.0),
        Plane::filled(ow, oh, 0.0),
        Plane::filled(ow, oh, 0.0),
    ];
    // Horizontal pass per input row into a row buffer, accumulated into output rows with vertical weights.
    let mut rowbuf = vec![[0.0f32; 3]; ow];
    let mut acc = vec![[0.0f32; 3]; ow];
    for (oy, yspan) in ys.iter().enumerate() {
        acc.fill([0.0; 3]);
        for &(iy, wy) in yspan {
            let row = &raw[iy * iw * 3..(iy + 1) * iw * 3];
            for (ox, xspan) in xs.iter().enumerate() {
                let mut s = [0.0f32; 3];
                for &(ix, wx) in xspan {
                    let p = &row[ix * 3..ix * 3 + 3];
                    s[0] += wx * lut[p[0] as usize];
                    s[1] += wx * lut[p[1] as usize];
                    s[2] += wx * lut[p[2] as usize];
                }
                rowbuf[ox] = s;
            }
            for ox in 0..ow {
                for c in 0..3 {
                    acc[ox][c] += wy * rowbuf[ox][c];
                }
            }
        }
        for ox in 0..ow {
            for c in 0..3 {
                out[c].data[oy * ow + ox] = acc[ox][c];
            }
        }
    }
    out
}

/// The linear-light planes of `rgb` at its own size (most photos are analysed at the size they come in).
///
/// What [`downsample`] gives there, where each output px is one input px of weight 1 (`0 + 1 · v` is `v`),
/// without its spans, row buffers and zero-filled planes (with `flatten`'s log on skin only, `prepare_at`'s
/// own share of the analysis of 40 photos of 640 px fell from 4.6 % to 3.4 %).
fn linearised(rgb: &RgbImage, lut: &[f32; 256]) -> [Plane; 3] {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let raw = rgb.as_raw();
    [0, 1, 2].map(|c| Plane {
        w,
        h,
        data: raw.chunks_exact(3).map(|p| lut[p[c] as usize]).collect(),
    })
}

/// Binary erosion/dilation with a square of half-width `r` (separable min/max).
///
/// Outside the image repeats the edge pixel, so the frame itself neither erodes nor grows skin. Each pass
/// ORs (dilation) or ANDs (erosion) the `2r + 1` shifted copies of a row, then of the rows around a row: a
/// window's count above 0 or equal to its size is that OR or AND. Whole-row byte operations vectorise; the
/// running count they replace was serial per pixel (`morph`, here and in detection, fell from 4.3 % to
/// under 1 % of the analysis of 40 photos of 640 px). The passes grow with `r` (2r + 1 rows ORed or ANDed per
/// row): the callers' radii are at most 6 px.
pub fn morph(mask: &[bool], w: usize, h: usize, r: usize, dilate: bool) -> Vec<bool> {
    if r == 0 || w == 0 || h == 0 {
        return mask.to_vec();
    }
    // Horizontal: one padded row at a time; pad[i] is the pixel at x = i - r.
    let mut a = vec![false; w * h];
    let mut pad: Vec<bool> = Vec::with_capacity(w + 2 * r);
    for (row, orow) in mask.chunks_exact(w).zip(a.chunks_exact_mut(w)) {
        pad.clear();
        pad.extend(std::iter::repeat_n(row[0], r));
        pad.extend_from_slice(row);
        pad.extend(std::iter::repeat_n(row[w - 1], r));
        orow.copy_from_slice(&pad[..w]);
        for k in 1..=2 * r {
            combine(orow, &pad[k..k + w], dilate);
        }
    }
    // Vertical: the rows y - r ..= y + r, clamped into the image.
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &a[y * w..(y + 1) * w]
    };
    let ri = r as isize;
    let mut out = vec![false; w * h];
    for (y, orow) in out.chunks_exact_mut(w).enumerate() {
        let y = y as isize;
        orow.copy_from_slice(row(y - ri));
        for j in 1 - ri..=ri {
            combine(orow, row(y + j), dilate);
        }
    }
    out
}

/// `acc |= v` (dilation) or `acc &= v` (erosion), element by element.
#[inline(always)]
fn combine(acc: &mut [bool], v: &[bool], dilate: bool) {
    if dilate {
        acc.iter_mut().zip(v).for_each(|(a, &b)| *a |= b);
    } else {
        acc.iter_mut().zip(v).for_each(|(a, &b)| *a &= b);
    }
}

/// Labels 4-connected components of pixels equal to `value`; returns (labels, sizes, touches-border).
///
/// Components are numbered from 1 in raster order of their first pixel; label 0 (size 0) is every pixel not
/// equal to `value`. Two passes over runs (the maximal stretches of `value` in a row): each run is joined
/// (union-find) to the runs it overlaps in the row above, then numbered at its root's first run and written
/// out. A scanline flood fill gave the same labels at about twice the cost (it tests every pixel twice and
/// pushes run starts on a stack); it stays as the tests' oracle.
pub fn components(
    mask: &[bool],
    w: usize,
    h: usize,
    value: bool,
) -> (Vec<u32>, Vec<usize>, Vec<bool>) {
    if w == 0 || h == 0 {
        return (Vec::new(), vec![0], vec![false]);
    }
    // Runs as (row, x0, x1 exclusive), in raster order; `row_start[y]` is the first run of row y.
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    let mut row_start = Vec::with_capacity(h + 1);
    for (y, row) in mask.chunks_exact(w).take(h).enumerate() {
        row_start.push(runs.len());
        let mut x = 0;
        while x < w {
            match row[x..].iter().position(|&m| m == value) {
                None => break,
                Some(a) => x += a,
            }
            let x0 = x;
            x += row[x..].iter().position(|&m| m != value).unwrap_or(w - x);
            runs.push((y as u32, x0 as u32, x as u32));
        }
    }
    row_start.push(runs.len());
    let mut sets = crate::disjoint::Disjoint::new(runs.len());
    for y in 1..h {
        let (above, here) = (
            row_start[y - 1]..row_start[y],
            row_start[y]..row_start[y + 1],
        );
        let mut a = above.start;
        for r in here {
            let (_, x0, x1) = runs[r];
            // Runs above that end at or before this one starts cannot touch it or any later run of this row.
            while a < above.end && runs[a].2 <= x0 {
                a += 1;
            }
            let mut k = a;
            while k < above.end && runs[k].1 < x1 {
                // The root is always the earlier run, so each component's root is its first run.
                sets.join(r, k);
                k += 1;
            }
        }
    }
    let mut labels = vec![0u32; w * h];
    let mut sizes = vec![0usize];
    let mut border = vec![false];
    let mut id_of_root = vec![0u32; runs.len()];
    for (r, &(y, x0, x1)) in runs.iter().enumerate() {
        let root = sets.root(r);
        if id_of_root[root] == 0 {
            id_of_root[root] = sizes.len() as u32;
            sizes.push(0);
            border.push(false);
        }
        let id = id_of_root[root];
        let (y, x0, x1) = (y as usize, x0 as usize, x1 as usize);
        sizes[id as usize] += x1 - x0;
        border[id as usize] |= x0 == 0 || x1 == w || y == 0 || y + 1 == h;
        labels[y * w + x0..y * w + x1].fill(id);
    }
    (labels, sizes, border)
}

/// Skin rules of domain.md §4 (YCbCr Cb 77-127 & Cr 133-173, or the RGB daylight rule), on 8-bit sRGB.
///
/// Every test is evaluated (`&`, `|`, no short circuit): the same answer as the chained form, without a
/// branch per pixel, so that [`seed_pixels`] vectorises.
#[inline(always)]
fn rule_skin(r: f32, g: f32, b: f32) -> bool {
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 + (b - y) * 0.564;
    let cr = 128.0 + (r - y) * 0.713;
    // Four comparisons rather than two `RangeInclusive::contains`, whose `&&` kept a branch in the loop
    // (measured with the pixel-by-pixel loop of ad14eb3: the whole analysis of 40 photos of 640 px 2 %
    // slower).
    #[allow(clippy::manual_range_contains)]
    let ycbcr = (cb >= 77.0) & (cb <= 127.0) & (cr >= 133.0) & (cr <= 173.0);
    let mx = r.max(g).max(b);
    let mn = r.min(g).min(b);
    let rgb = (r > 95.0)
        & (g > 40.0)
        & (b > 20.0)
        & (mx - mn > 15.0)
        & ((r - g).abs() > 15.0)
        & (r > g)
        & (r > b);
    ycbcr | rgb
}

crate::simd::avx2_dispatch! {
/// The skin seeding's per-pixel tests (see `skin_mask`): `chroma[i]`, the pixel is bright, dark and colourful
/// enough to be skin (`limits`: least L* exclusive, most L* exclusive, least chroma); `seed[i]`, it also
/// passes the fixed skin rules ([`rule_skin`] on its 8-bit sRGB from `table`, [`srgb8_steps`]).
///
/// A block of pixels at a time: the table is read pixel by pixel into the block, then the tests run over the
/// whole block without a branch, which the compiler vectorises (a pixel-by-pixel loop stayed scalar). Blocks
/// of 64 rather than 8: the vector loads of a small block came right after its scalar stores and waited for
/// them (store forwarding), most of the loop's time. With [`srgb8_block`], the seeding fell from 4.0 % to
/// 2.3 % of the analysis of 40 photos of 640 px.
fn seed_pixels(
    lab: [&[f32]; 3],
    rgb: [&[f32]; 3],
    limits: [f32; 3],
    table: &[[f32; 2]; SRGB8_STEPS],
    chroma: &mut [bool],
    seed: &mut [bool],
) {
    const N: usize = SEED_BLOCK;
    let n = chroma.len().min(seed.len());
    let [min_l, max_l, min_chroma] = limits;
    let mut rgb8 = [[0.0f32; N]; 3];
    for i in (0..n).step_by(N) {
        let m = N.min(n - i);
        for c in 0..3 {
            srgb8_block(table, &rgb[c][i..i + m], &mut rgb8[c][..m]);
        }
        let [l, a, b] = lab.map(|p| &p[i..i + m]);
        let [r, g, bl] = [0, 1, 2].map(|c| &rgb8[c][..m]);
        let (co, so) = (&mut chroma[i..i + m], &mut seed[i..i + m]);
        for k in 0..m {
            let c = (l[k] > min_l) & (l[k] < max_l) & ((a[k] * a[k] + b[k] * b[k]).sqrt() >= min_chroma);
            co[k] = c;
            so[k] = c & rule_skin(r[k], g[k], bl[k]);
        }
    }
}
}

/// Linear light (0..1) to 8-bit sRGB units (0..255, not rounded), for the skin rules.
///
/// Above the linear toe, colour.rs's curve ([`crate::colour::linear_to_srgb`]) is read from a table of 4096
/// steps, linearly interpolated: within 0.005 of it everywhere (tested), which the skin rules' whole-unit thresholds do not notice, at a fraction
/// of its cost (three `powf` per pixel were most of the skin seeding's 15 ms on a 640×640 photo).
#[cfg(test)]
fn to_srgb8(v: f32) -> f32 {
    to_srgb8_in(srgb8_table(), v)
}

/// Steps of [`srgb8_table`].
const SRGB8_STEPS: usize = 4096;

/// Pixels per block of [`seed_pixels`].
const SEED_BLOCK: usize = 64;

/// The table of [`to_srgb8`]: `SRGB8_STEPS + 1` values of the curve, made once.
fn srgb8_table() -> &'static [f32; SRGB8_STEPS + 1] {
    static TABLE: std::sync::OnceLock<[f32; SRGB8_STEPS + 1]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|i| {
            (255.0 * crate::colour::linear_to_srgb(i as f64 / SRGB8_STEPS as f64)) as f32
        })
    })
}

/// Each step of [`srgb8_table`] as its start and its rise (`t[i]`, `t[i + 1] - t[i]`): one load per value
/// for [`srgb8_block`], the same numbers it would compute.
fn srgb8_steps() -> &'static [[f32; 2]; SRGB8_STEPS] {
    static STEPS: std::sync::OnceLock<[[f32; 2]; SRGB8_STEPS]> = std::sync::OnceLock::new();
    STEPS.get_or_init(|| {
        let t = srgb8_table();
        std::array::from_fn(|i| [t[i], t[i + 1] - t[i]])
    })
}

/// [`to_srgb8`] with its table in hand, the scalar form of [`srgb8_block`] (its tests' oracle).
/// Both branches are computed and one chosen.
#[cfg(test)]
fn to_srgb8_in(t: &[f32; SRGB8_STEPS + 1], v: f32) -> f32 {
    let v = v.clamp(0.0, 1.0);
    let toe = 255.0 * 12.92 * v;
    let x = v * SRGB8_STEPS as f32;
    let i = (x as usize).min(SRGB8_STEPS - 1);
    let f = x - i as f32;
    let curve = t[i] + f * (t[i + 1] - t[i]);
    if v <= 0.0031308 {
        toe
    } else {
        curve
    }
}

/// 2^23, from which on an f32 has no fraction.
const TWO_23: f32 = 8_388_608.0;

/// The table step of `x` in 0..=4096, as [`to_srgb8_in`] casts it (`(x as usize).min(4095)`), as a float:
/// the cast and the clamping at 4095 commute there, and 2^23 added and taken away rounds to the nearest
/// whole number, from which the floor is at most one below. All float operations, which vectorise: the
/// cast's saturation stayed scalar. (A NaN `x` takes step 4095 rather than 0, and gives NaN all the same.)
#[inline(always)]
fn step_floor(x: f32) -> f32 {
    let xm = x.min((SRGB8_STEPS - 1) as f32);
    let r = (xm + TWO_23) - TWO_23;
    if r > xm {
        r - 1.0
    } else {
        r
    }
}

/// [`to_srgb8`] of up to [`SEED_BLOCK`] values `v` into `out`, the same operations in three passes: the
/// step and fraction of each value and the toe (vectorised), the table's reads (scalar), the interpolation
/// (vectorised). Value by value, the reads and the arithmetic around them all stayed scalar (the skin
/// seeding's largest cost).
#[inline(always)]
fn srgb8_block(steps: &[[f32; 2]; SRGB8_STEPS], v: &[f32], out: &mut [f32]) {
    let m = v.len().min(out.len()).min(SEED_BLOCK);
    let (v, out) = (&v[..m], &mut out[..m]);
    let (mut idx, mut frac) = ([0u32; SEED_BLOCK], [0.0f32; SEED_BLOCK]);
    for k in 0..m {
        let x = v[k].clamp(0.0, 1.0) * SRGB8_STEPS as f32;
        let i = step_floor(x);
        // `i` is a whole number below 2^23: adding 2^23 puts it in the low bits.
        (idx[k], frac[k]) = ((i + TWO_23).to_bits() - TWO_23.to_bits(), x - i);
    }
    let mut step = [[0.0f32; 2]; SEED_BLOCK];
    for k in 0..m {
        step[k] = steps[idx[k] as usize];
    }
    for k in 0..m {
        let v = v[k].clamp(0.0, 1.0);
        let toe = 255.0 * 12.92 * v;
        let curve = step[k][0] + frac[k] * step[k][1];
        out[k] = if v <= 0.0031308 { toe } else { curve };
    }
}

fn median(v: &mut [f32]) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    crate::select::upper_median(v)
}

/// Skin mask, the median skin colour, notes, and the eyes taken out of the mask.
fn skin_mask(lab: &[Plane; 3], rgb: &[Plane; 3], rules: &PrepareRules) -> Skin {
    let (w, h) = (lab[0].w, lab[0].h);
    let n = w * h;
    let mut notes = Vec::new();
    let (hist, chroma, fallback) = seed_histogram(lab, rgb, rules);
    let Some((a0, b0)) = histogram_mode(&hist) else {
        notes.push("no skin-coloured pixels found".to_string());
        return Skin::none(n, notes);
    };
    let hue = b0.atan2(a0).to_degrees();
    if !(-15.0..=100.0).contains(&hue) {
        if fallback {
            // Neither the fixed rules nor the dominant colour say skin: the picture is mostly something
            // else (background, cloth), and adopting that colour as "skin" would invent lesions on it.
            notes.push(
                "little skin found: the dominant colour is not a skin hue and few pixels pass the skin rules"
                    .to_string(),
            );
            return Skin::none(n, notes);
        }
        notes.push(
            "the dominant colour is not a usual skin hue (colour cast or little skin)".to_string(),
        );
    }
    let (mut mask, l_med) = skin_cluster(lab, &chroma, (a0, b0), rules);
    // Morphology: open removes thin strokes (text, hair) next to skin, close bridges pores.
    let r = ((w.min(h) as f32) / 300.0).round().clamp(1.0, 4.0) as usize;
    mask = morph(&morph(&mask, w, h, r, false), w, h, r, true);
    mask = morph(&morph(&mask, w, h, r, true), w, h, r, false);
    let eyes = fill_holes(&mut mask, (w, h), lab, (l_med, a0), rules);
    drop_specks(&mut mask, (w, h), rules);
    Skin {
        lab: median_colour(lab, &mask),
        mask,
        notes,
        eyes,
    }
}

/// Bins of the a*, b* histogram of [`seed_histogram`]: 1-unit bins over [`HIST_LO`], + [`HIST_BINS`].
const HIST_BINS: usize = 100;
/// The lowest a*, b* of the seed histogram.
const HIST_LO: f32 = -30.0;

/// The a*, b* histogram of the pixels the fixed skin rules seed (or, when they seed under a twentieth of the
/// picture, of every chromatic pixel: the rules miss this tone or light), each pixel's chroma test, and
/// whether it fell back.
fn seed_histogram(
    lab: &[Plane; 3],
    rgb: &[Plane; 3],
    rules: &PrepareRules,
) -> (Vec<u32>, Vec<bool>, bool) {
    let n = lab[0].w * lab[0].h;
    let mut hist = vec![0u32; HIST_BINS * HIST_BINS];
    // The bin of a value: on [0, NB) `floor` is the truncating cast, and every value outside it (NaN too)
    // is left out as `floor` would leave it; the cast avoids a libm call per pixel (no SSE4.1 round here).
    let bin = |v: f32| {
        let x = v - HIST_LO;
        (x >= 0.0 && x < HIST_BINS as f32).then_some(x as usize)
    };
    let add = |i: usize, hist: &mut Vec<u32>| {
        if let (Some(ai), Some(bi)) = (bin(lab[1].data[i]), bin(lab[2].data[i])) {
            hist[ai * HIST_BINS + bi] += 1;
        }
    };
    // The chroma test once per pixel (the spread and mask passes reuse it) and the fixed skin rules on
    // every pixel in one branch-free pass, then the histogram.
    let (mut chroma, mut seed) = (vec![false; n], vec![false; n]);
    seed_pixels(
        [&lab[0].data, &lab[1].data, &lab[2].data],
        [&rgb[0].data, &rgb[1].data, &rgb[2].data],
        [8.0, rules.skin_max_l as f32, rules.skin_min_chroma as f32],
        srgb8_steps(),
        &mut chroma,
        &mut seed,
    );
    let mut seeded = 0usize;
    for i in (0..n).filter(|&i| seed[i]) {
        add(i, &mut hist);
        seeded += 1;
    }
    let fallback = seeded < n / 20;
    if fallback {
        hist.iter_mut().for_each(|v| *v = 0);
        for i in (0..n).filter(|&i| chroma[i]) {
            add(i, &mut hist);
        }
    }
    (hist, chroma, fallback)
}

/// The a*, b* at the centre of the seed histogram's mode, smoothed by a 5x5 box (`None` when empty).
fn histogram_mode(hist: &[u32]) -> Option<(f32, f32)> {
    const NB: usize = HIST_BINS;
    let mut best = (0u32, 0usize, 0usize);
    for ai in 2..NB - 2 {
        for bi in 2..NB - 2 {
            let mut s = 0u32;
            for da in 0..5 {
                for db in 0..5 {
                    s += hist[(ai + da - 2) * NB + bi + db - 2];
                }
            }
            if s > best.0 {
                best = (s, ai, bi);
            }
        }
    }
    (best.0 > 0).then_some((best.1 as f32 + HIST_LO + 0.5, best.2 as f32 + HIST_LO + 0.5))
}

/// The chromatic pixels within the skin cluster around the mode `(a0, b0)`: its a*, b* radius follows the
/// core cluster's own spread and its L* band the core's median; returns the mask and that median L*.
fn skin_cluster(
    lab: &[Plane; 3],
    chroma: &[bool],
    (a0, b0): (f32, f32),
    rules: &PrepareRules,
) -> (Vec<bool>, f32) {
    let dist = |a: f32, b: f32| ((a - a0).powi(2) + (b - b0).powi(2)).sqrt();
    let px = || {
        chroma
            .iter()
            .zip(&lab[0].data)
            .zip(lab[1].data.iter().zip(&lab[2].data))
            .map(|((&c, &l), (&a, &b))| (c, l, dist(a, b)))
    };
    // Spread of the core cluster: the chromatic pixels within 8 of the mode.
    let core = chroma.iter().filter(|&&c| c).count();
    let mut spread = Compacted::new(core);
    for (c, l, d) in px() {
        spread.offer([d, l], c & (d < 8.0));
    }
    let [mut ds, mut ls] = spread.into_vecs();
    let mad_ab = median(&mut ds) * 1.4826;
    let l_med = median(&mut ls);
    let radius = (rules.skin_ab_radius as f32).max(rules.skin_ab_mads as f32 * mad_ab);
    let l_lo = l_med - rules.skin_l_below as f32;
    let l_hi = l_med + rules.skin_l_above as f32;
    let mask = px()
        .map(|(c, l, d)| c & (d <= radius) & (l >= l_lo) & (l <= l_hi))
        .collect();
    (mask, l_med)
}

/// The values offered with `keep` set, in order, `C` to a pixel, gathered without a branch per pixel: each
/// is written at the end and the end moves on only when kept. Pushing (a capacity check and a branch per
/// value, an end per list) made the skin medians' gathering a large part of `skin_mask`.
struct Compacted<const C: usize> {
    v: [Vec<f32>; C],
    k: usize,
}

impl<const C: usize> Compacted<C> {
    /// Room for at most `most` kept pixels (and the one slot a discarded pixel is written to).
    fn new(most: usize) -> Compacted<C> {
        Compacted {
            v: std::array::from_fn(|_| vec![0.0; most + 1]),
            k: 0,
        }
    }

    /// Offers a pixel's `x`, kept when `keep`.
    #[inline(always)]
    fn offer(&mut self, x: [f32; C], keep: bool) {
        for (v, x) in self.v.iter_mut().zip(x) {
            v[self.k] = x;
        }
        self.k += keep as usize;
    }

    /// The kept values, list by list.
    fn into_vecs(self) -> [Vec<f32>; C] {
        let k = self.k;
        self.v.map(|mut v| {
            v.truncate(k);
            v
        })
    }
}

/// Fills the holes of the skin (lesions, pores, glare) that do not touch the border and are small, except
/// whitish and eye-like ones, then takes the eyes and a face's features out ([`exclude_face_features`]);
/// returns the eyes' boxes. `l_med` and `a0` are the skin cluster's median L* and mode a*.
fn fill_holes(
    mask: &mut [bool],
    (w, h): (usize, usize),
    lab: &[Plane; 3],
    (l_med, a0): (f32, f32),
    rules: &PrepareRules,
) -> Vec<[usize; 4]> {
    let n = w * h;
    let (lab_bg, sizes_bg, border_bg) = components(mask, w, h, false);
    let max_hole = (rules.max_hole_fraction * n as f64) as usize;
    // An eye or a white letter enclosed by skin is a hole too, but not a lesion: count each hole's white
    // pixels (bright and colourless, which skin never is) and leave the whitish ones out.
    let white = EyeWhite::new(l_med, rules);
    let tally = HoleWhites::count(&lab_bg, sizes_bg.len(), lab, &white, l_med, rules);
    let share = |count: &[usize], c: usize, s: f64| count[c] as f64 >= s * sizes_bg[c] as f64;
    // An eye: mostly sclera-white, or (no speck: a pit beside a sheen is filled as before) a greyish white
    // around a dark iris.
    let speck = speck_size(n, rules);
    let eye_like: Vec<bool> = (0..sizes_bg.len())
        .map(|c| {
            c != 0
                && (share(&tally.sclera, c, rules.hole_max_white_share)
                    || (sizes_bg[c] >= speck
                        && share(&tally.pale, c, rules.eye_pale_share)
                        && share(&tally.dark, c, rules.eye_dark_share)))
        })
        .collect();
    let fill: Vec<bool> = (0..sizes_bg.len())
        .map(|c| {
            c != 0
                && !border_bg[c]
                && sizes_bg[c] <= max_hole
                && !share(&tally.white, c, rules.hole_max_white_share)
                && !eye_like[c]
        })
        .collect();
    for i in 0..n {
        if fill[lab_bg[i] as usize] {
            mask[i] = true;
        }
    }
    exclude_face_features(
        mask,
        w,
        h,
        (&lab_bg, &sizes_bg, &border_bg, &eye_like),
        (&lab[0].data, l_med, &lab[1].data, a0),
        rules,
    )
}

/// Per hole of the skin: its white px, sclera px, greyish-white px and iris-dark px (see `eye_pale_share`).
struct HoleWhites {
    white: Vec<usize>,
    sclera: Vec<usize>,
    pale: Vec<usize>,
    dark: Vec<usize>,
}

impl HoleWhites {
    /// The counts over the `nb` holes labelled in `labels` (0: skin).
    fn count(
        labels: &[u32],
        nb: usize,
        lab: &[Plane; 3],
        white: &EyeWhite,
        l_med: f32,
        rules: &PrepareRules,
    ) -> HoleWhites {
        let mut t = HoleWhites {
            white: vec![0; nb],
            sclera: vec![0; nb],
            pale: vec![0; nb],
            dark: vec![0; nb],
        };
        let dark_l = l_med - rules.eye_dark_below as f32;
        for (i, &c) in labels.iter().enumerate() {
            let c = c as usize;
            if c == 0 {
                continue;
            }
            let (l, a, b) = (lab[0].data[i], lab[1].data[i], lab[2].data[i]);
            if white.is_white(l, a, b) {
                t.white[c] += 1;
                if white.is_sclera(l, a, b) {
                    t.sclera[c] += 1;
                }
            }
            if white.is_pale(l, a, b) {
                t.pale[c] += 1;
            } else if l <= dark_l {
                t.dark[c] += 1;
            }
        }
        t
    }
}

/// Removes small skin-coloured specks (wood, text in a warm colour) from the mask.
fn drop_specks(mask: &mut [bool], (w, h): (usize, usize), rules: &PrepareRules) {
    let (lab_fg, sizes_fg, _) = components(mask, w, h, true);
    let min_comp = ((rules.min_component_fraction * (w * h) as f64) as usize).max(4);
    for (m, &c) in mask.iter_mut().zip(&lab_fg) {
        let c = c as usize;
        if c != 0 && sizes_fg[c] < min_comp {
            *m = false;
        }
    }
}

/// The median L*, a*, b* over the skin of `mask` (`None` without skin).
fn median_colour(lab: &[Plane; 3], mask: &[bool]) -> Option<[f64; 3]> {
    let skin_n = mask.iter().filter(|&&m| m).count();
    if skin_n == 0 {
        return None;
    }
    // Selected where the mask holds: copying the skin out first cost ~15 % more per plane (640×640 px, a
    // disc of skin: copy and select 0.47 ms, selected in place 0.40 ms).
    let median = |p: &Plane| crate::select::nth_smallest_masked(&p.data, mask, [skin_n / 2])[0];
    Some(lab.each_ref().map(|p| median(p) as f64))
}

impl Skin {
    /// No skin at all in a picture of `n` px.
    fn none(n: usize, notes: Vec<String>) -> Skin {
        Skin {
            mask: vec![false; n],
            lab: None,
            notes,
            eyes: Vec::new(),
        }
    }
}

/// Holes smaller than this (px, of a picture of `n` px) are specks: never an eye or a face's feature.
fn speck_size(n: usize, rules: &PrepareRules) -> usize {
    ((rules.min_component_fraction / 8.0) * n as f64).max(16.0) as usize
}

/// Takes eyes and, on a face, the lips out of the skin: lids, lashes and the iris (an island of skin-coloured
/// brown inside the sclera) would otherwise read as dark or pigmented lesions, and the lips as a red raised
/// scar.
///
/// `holes` are the background components (labels, sizes, touching the border, whether each is eye-like). A
/// hole is eye-like when white below the clipping level makes up at least `hole_max_white_share` of it
/// (clipped white is glare: a gloss spot on a raised scar, and cutting around it would cut the scar away),
/// or a greyish white and a dark iris each at least `eye_pale_share` and `eye_dark_share` of it. An
/// eye-like hole enclosed by skin and no speck is an eye; its bounding box, widened by half its size on each
/// side, leaves the mask.
/// When two eyes sit side by side (level within an eye's height, 1.5–6 eye widths apart), the picture is a
/// face and a red hole (mean a* at least `lips_min_delta_a` above the skin's `a0`) centred where the mouth
/// is (`mouth_below_eyes` interocular distances below the eyes, within `mouth_half_width` of their middle)
/// is the lips, which leave the mask with a quarter of their size around them. On a face, dark holes (mean
/// L* at least `face_dark_delta_l` below the skin's) above an eye (`brow_above_eyes`, within
/// `brow_half_width` of it) are eyebrows, and those below the eyes' middle (`nostrils_below_eyes`, within
/// `nostrils_half_width`) are nostrils; they leave the mask with half their size around them, and a brow
/// also with every dark pixel (the same L* limit) of its box grown by its own size on each side: the hair
/// strands around it. Specks below `min_component_fraction` / 8 (and 16 px) are left alone. Holes that
/// touch the image border are never eyes or features, so every box here lies inside the image. Returns the
/// eyes' boxes (x0, y0, x1, y1, inclusive).
fn exclude_face_features(
    mask: &mut [bool],
    w: usize,
    h: usize,
    holes: (&[u32], &[usize], &[bool], &[bool]),
    (l_star, l0, a_star, a0): (&[f32], f32, &[f32], f32),
    rules: &PrepareRules,
) -> Vec<[usize; 4]> {
    let (labels, sizes, border, eye_like) = holes;
    let min_size = speck_size(w * h, rules);
    let eyes: Vec<bool> = (0..sizes.len())
        .map(|c| c != 0 && !border[c] && sizes[c] >= min_size && eye_like[c])
        .collect();
    if !eyes.iter().any(|&e| e) {
        return Vec::new();
    }
    let stats = HoleStats::of(labels, sizes.len(), border, (l_star, a_star), w);
    let eye_boxes: Vec<[usize; 4]> = (0..sizes.len())
        .filter(|&c| eyes[c])
        .map(|c| stats.bbox[c])
        .collect();
    for b in &eye_boxes {
        clear_box(mask, b, 0.5, (w, h));
    }
    // A pair of eyes makes the picture a face: look for the brows, nostrils and lips where a face has them.
    let faces = face_pairs(&eye_boxes);
    if faces.is_empty() {
        return eye_boxes;
    }
    for c in 1..sizes.len() {
        if border[c] || eyes[c] || sizes[c] < min_size {
            continue;
        }
        let mean_a = stats.a_sum[c] / sizes[c] as f64;
        let mean_l = stats.l_sum[c] / sizes[c] as f64;
        let red = mean_a >= a0 as f64 + rules.lips_min_delta_a;
        let dark = mean_l <= l0 as f64 - rules.face_dark_delta_l;
        let placed_as = |f: &Face| f.feature(box_centre(&stats.bbox[c]), red, dark, rules);
        if let Some((grow, strands)) = faces.iter().find_map(placed_as) {
            clear_box(mask, &stats.bbox[c], grow, (w, h));
            if strands {
                clear_strands(
                    mask,
                    &stats.bbox[c],
                    l_star,
                    l0 - rules.face_dark_delta_l as f32,
                    (w, h),
                );
            }
        }
    }
    eye_boxes
}

/// Bounding boxes (x0, y0, x1, y1, inclusive) and sums of L* and a* of every hole enclosed by skin.
struct HoleStats {
    bbox: Vec<[usize; 4]>,
    a_sum: Vec<f64>,
    l_sum: Vec<f64>,
}

impl HoleStats {
    /// The stats of the `nb` holes labelled in `labels` (0: skin; holes on the `border` are left out), in
    /// one pass.
    fn of(
        labels: &[u32],
        nb: usize,
        border: &[bool],
        (l_star, a_star): (&[f32], &[f32]),
        w: usize,
    ) -> HoleStats {
        let mut s = HoleStats {
            bbox: vec![[usize::MAX, usize::MAX, 0usize, 0usize]; nb],
            a_sum: vec![0.0f64; nb],
            l_sum: vec![0.0f64; nb],
        };
        for (i, &c) in labels.iter().enumerate() {
            let (c, x, y) = (c as usize, i % w, i / w);
            if c != 0 && !border[c] {
                let b = &mut s.bbox[c];
                b[0] = b[0].min(x);
                b[1] = b[1].min(y);
                b[2] = b[2].max(x);
                b[3] = b[3].max(y);
                s.a_sum[c] += a_star[i] as f64;
                s.l_sum[c] += l_star[i] as f64;
            }
        }
        s
    }
}

/// A box grown by `grow` × its width and height on each side, clipped to the image: (x0, x1, y0, y1).
fn grown(b: &[usize; 4], grow: f64, (w, h): (usize, usize)) -> (usize, usize, usize, usize) {
    let mx = ((b[2] - b[0]) as f64 * grow).ceil() as usize;
    let my = ((b[3] - b[1]) as f64 * grow).ceil() as usize;
    (
        b[0].saturating_sub(mx),
        (b[2] + mx).min(w - 1),
        b[1].saturating_sub(my),
        (b[3] + my).min(h - 1),
    )
}

/// Takes box `b`, grown by `grow` (see [`grown`]), out of the mask.
fn clear_box(mask: &mut [bool], b: &[usize; 4], grow: f64, (w, h): (usize, usize)) {
    let (x0, x1, y0, y1) = grown(b, grow, (w, h));
    for y in y0..=y1 {
        mask[y * w + x0..=y * w + x1]
            .iter_mut()
            .for_each(|m| *m = false);
    }
}

/// Takes the hair strands around a brow's box `b` out of the mask: beyond the box, hair thins out into
/// strands between skin, so the pixels at most `dark_l` of the box grown by its own width and height on each
/// side (three times as wide and tall) go as well.
fn clear_strands(
    mask: &mut [bool],
    b: &[usize; 4],
    l_star: &[f32],
    dark_l: f32,
    (w, h): (usize, usize),
) {
    let (x0, x1, y0, y1) = grown(b, 1.0, (w, h));
    for y in y0..=y1 {
        for x in x0..=x1 {
            if l_star[y * w + x] <= dark_l {
                mask[y * w + x] = false;
            }
        }
    }
}

/// A box's centre (x, y).
fn box_centre(b: &[usize; 4]) -> (f64, f64) {
    (0.5 * (b[0] + b[2]) as f64, 0.5 * (b[1] + b[3]) as f64)
}

/// A face read from a pair of eyes: both eye centres and the interocular distance.
struct Face {
    p: (f64, f64),
    q: (f64, f64),
    d: f64,
}

/// The pairs of eye boxes that sit side by side as a face's do: level within an eye's height, 1.5–6 eye
/// widths apart.
fn face_pairs(eye_boxes: &[[usize; 4]]) -> Vec<Face> {
    let mut faces = Vec::new();
    for (i, p) in eye_boxes.iter().enumerate() {
        for q in &eye_boxes[i + 1..] {
            let ((px, py), (qx, qy)) = (box_centre(p), box_centre(q));
            let ew = (p[2] - p[0]).max(q[2] - q[0]).max(1) as f64;
            let eh = (p[3] - p[1]).max(q[3] - q[1]).max(1) as f64;
            let d = (px - qx).abs();
            if (py - qy).abs() <= eh && (1.5 * ew..=6.0 * ew).contains(&d) {
                faces.push(Face {
                    p: (px, py),
                    q: (qx, qy),
                    d,
                });
            }
        }
    }
    faces
}

impl Face {
    /// What a hole centred at `(cx, cy)`, `red` or `dark` against the skin, is on this face: the lips, a
    /// brow or a nostril, as (margin as a share of its box, whether dark hair strands around it go too).
    fn feature(
        &self,
        (cx, cy): (f64, f64),
        red: bool,
        dark: bool,
        rules: &PrepareRules,
    ) -> Option<(f64, bool)> {
        let (((px, py), (qx, qy)), d) = ((self.p, self.q), self.d);
        let within = |v: f64, r: [f64; 2], d: f64| (r[0] * d..=r[1] * d).contains(&v);
        // Whether the hole's centre lies within `half` × d of `(x, y)` sideways and `range` × d below it
        // (`down` = 1) or above it (`down` = −1).
        let placed = |(x, y): (f64, f64), half: f64, range: [f64; 2], down: f64| {
            (cx - x).abs() <= half * d && within(down * (cy - y), range, d)
        };
        let mid = (0.5 * (px + qx), 0.5 * (py + qy));
        let lips = red && placed(mid, rules.mouth_half_width, rules.mouth_below_eyes, 1.0);
        let nostril = dark
            && placed(
                mid,
                rules.nostrils_half_width,
                rules.nostrils_below_eyes,
                1.0,
            );
        let brow = dark
            && [(px, py), (qx, qy)]
                .into_iter()
                .any(|eye| placed(eye, rules.brow_half_width, rules.brow_above_eyes, -1.0));
        if lips {
            Some((0.25, false))
        } else if brow {
            // Hair blends into the skin around it: take a wider margin, and the strands beyond.
            Some((0.5, true))
        } else if nostril {
            // The nostril's rim blends into the skin around it: take a wider margin.
            Some((0.5, false))
        } else {
            None
        }
    }
}

/// Gains (R, G, B; G stays 1) that bring the skin's median log chromaticity ln(R/G), ln(G/B) into the range
/// every skin tone spans (`skin_ln_rg`, `skin_ln_gb`), or `None` when it is already inside or there is too
/// little skin to judge. Only the part of a cast that no skin could have is removed: inside the range a cast
/// and a skin tone look the same.
pub fn skin_white_balance(
    planes: &[Plane; 3],
    mask: &[bool],
    rules: &PrepareRules,
) -> Option<[f32; 3]> {
    let (mut rg, mut gb) = (Vec::new(), Vec::new());
    let stride = (mask.len() / 50_000).max(1);
    for i in (0..mask.len()).step_by(stride) {
        if mask[i] {
            let (r, g, b) = (
                planes[0].data[i] + 1e-3,
                planes[1].data[i] + 1e-3,
                planes[2].data[i] + 1e-3,
            );
            rg.push((r / g).ln());
            gb.push((g / b).ln());
        }
    }
    if rg.len() < 64 {
        return None;
    }
    let (mrg, mgb) = (median(&mut rg) as f64, median(&mut gb) as f64);
    // max/min rather than clamp: the ranges come from a user's profile, and clamp panics on a reversed or
    // NaN range (the result is the same for a valid one).
    let d_rg = mrg.max(rules.skin_ln_rg[0]).min(rules.skin_ln_rg[1]) - mrg;
    let d_gb = mgb.max(rules.skin_ln_gb[0]).min(rules.skin_ln_gb[1]) - mgb;
    if d_rg == 0.0 && d_gb == 0.0 {
        return None;
    }
    // ln(R/G) grows by ln(gain R); ln(G/B) grows by -ln(gain B). A `max_cast_gain` below 1 (or NaN) in a
    // profile allows no correction rather than a reversed clamp range, which would panic.
    let limit = rules.max_cast_gain.ln().max(0.0);
    Some([
        d_rg.clamp(-limit, limit).exp() as f32,
        1.0,
        (-d_gb).clamp(-limit, limit).exp() as f32,
    ])
}

/// Runs the prepare stage on a whole photo.
pub fn prepare(rgb: &RgbImage, px_per_mm: Option<f64>, rules: &PrepareRules) -> Prepared {
    prepare_at(rgb, rgb.dimensions(), px_per_mm, rules)
}

/// Runs the prepare stage on `rgb`, the photo of upright size `full` or a reduced decode of it (see
/// [`crate::load::Opened::decode`]); the working size and scale are those of `full`.
pub fn prepare_at(
    rgb: &RgbImage,
    full: (u32, u32),
    px_per_mm: Option<f64>,
    rules: &PrepareRules,
) -> Prepared {
    let factor = working_factor(full.0, full.1, px_per_mm, rules);
    // Isolated black or white px (added noise) are no skin texture: replace them before anything reads them.
    let cleaned = crate::impulse::remove_impulses(rgb);
    let impulse_share = cleaned.as_ref().map_or(0.0, |(_, k)| {
        *k as f64 / (rgb.width() as f64 * rgb.height() as f64)
    });
    let rgb = cleaned.as_ref().map_or(rgb, |(c, _)| c);
    let mut planes = downsample(rgb, full, factor);
    let (w, h) = (planes[0].w, planes[0].h);
    let (lab, skin) = balanced_skin(&mut planes, rules);
    let Skin {
        mask,
        lab: skin_lab,
        mut notes,
        eyes,
    } = skin;
    if impulse_share >= rules.impulse_note_share {
        notes.push(format!(
            "{:.1} % of the px were isolated black or white specks (impulse noise): each was replaced by \
             the median of its neighbours",
            impulse_share * 100.0
        ));
    }
    let skin_n = mask.iter().filter(|&&m| m).count();
    let skin_fraction = if w * h > 0 {
        skin_n as f64 / (w * h) as f64
    } else {
        0.0
    };
    let wppm = px_per_mm
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| s / factor);
    let background_sigma = match wppm {
        Some(s) => (rules.background_sigma_mm * s) as f32,
        None => (rules.background_sigma_fraction * w.max(h) as f64) as f32,
    }
    .max(2.0);
    let (resid, red_resid) = flatten(&planes, &lab, &mask, skin_n, background_sigma);
    let quality = skin_quality(&planes, &lab, &mask, skin_n, rules, &mut notes);
    let usable = usability(&quality, skin_fraction, (w, h), rules, &mut notes);
    scale_note(wppm, factor, &mut notes);
    Prepared {
        w,
        h,
        scale: if w > 0 { full.0 as f64 / w as f64 } else { 1.0 },
        px_per_mm: wppm,
        rgb: planes,
        lab,
        mask,
        resid,
        red_resid,
        background_sigma,
        skin_fraction,
        skin_lab,
        sharpness: quality.sharpness,
        exposure: quality.exposure,
        glare_fraction: quality.glare,
        notes,
        usable,
        eyes,
    }
}

/// The skin of the working `planes` and their CIELAB, after the skin-referenced white balance, which
/// corrects `planes` in place where it applies.
///
/// A cast that puts the skin outside every skin's chromaticity is corrected as far as the nearest skin
/// chromaticity, and the skin found again in the corrected colours. Lesion colours are read against their
/// own surround, so a milder cast cancels there anyway. A strong cast can hide the skin altogether (no pixel
/// passes the skin rules): then the picture's chromatic pixels stand in for it, and only a cast a camera can
/// make (`max_cast_gain`) is undone.
fn balanced_skin(planes: &mut [Plane; 3], rules: &PrepareRules) -> ([Plane; 3], Skin) {
    let n = planes[0].w * planes[0].h;
    let find_skin = |lab: &[Plane; 3], planes: &[Plane; 3]| {
        if n >= 4 {
            skin_mask(lab, planes, rules)
        } else {
            Skin::none(n, vec![])
        }
    };
    let lab = lab_planes(planes);
    let skin = find_skin(&lab, planes);
    let skin_found = skin.mask.iter().any(|&m| m);
    let chromatic: Vec<bool>;
    let reference: &[bool] = if skin_found {
        &skin.mask
    } else {
        let c2 = (rules.skin_min_chroma * rules.skin_min_chroma) as f32;
        chromatic = (0..n)
            .map(|i| lab[1].data[i].powi(2) + lab[2].data[i].powi(2) >= c2)
            .collect();
        &chromatic
    };
    let gains = skin_white_balance(planes, reference, rules).filter(|g| {
        skin_found
            || g.iter()
                .all(|v| (v.ln().abs() as f64) < rules.max_cast_gain.ln())
    });
    let Some(gains) = gains else {
        return (lab, skin);
    };
    for (plane, g) in planes.iter_mut().zip(gains) {
        plane.data.iter_mut().for_each(|v| *v = (*v * g).min(1.0));
    }
    let lab = lab_planes(planes);
    let mut again = find_skin(&lab, planes);
    again.notes.push(format!(
        "colour cast corrected towards skin: red x{:.2}, blue x{:.2}",
        gains[0], gains[2]
    ));
    (lab, again)
}

/// Illumination flattening over the skin: the log luminance and a* minus their mask-normalised Gaussian
/// backgrounds of `sigma` (domain.md §4); 0 off skin.
fn flatten(
    planes: &[Plane; 3],
    lab: &[Plane; 3],
    mask: &[bool],
    skin_n: usize,
    sigma: f32,
) -> (Plane, Plane) {
    let (w, h) = (planes[0].w, planes[0].h);
    if skin_n == 0 {
        return (Plane::filled(w, h, 0.0), Plane::filled(w, h, 0.0));
    }
    // Log luminance (natural log of linear Y): shading multiplies light, so it adds in the log. Only the
    // skin's: the masked blur reads no other (it zeroes them), and neither does the residual.
    let [r, g, b] = [0, 1, 2].map(|c| &planes[c].data);
    let loglum = Plane {
        w,
        h,
        data: (r.iter().zip(g).zip(b).zip(mask))
            .map(|(((&r, &g), &b), &m)| {
                let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
                if m {
                    (y + 2e-3).ln()
                } else {
                    0.0
                }
            })
            .collect(),
    };
    let background = crate::blur::MaskedBlur::new(mask, w, h, sigma);
    let (bg, abg) = (background.apply(&loglum), background.apply(&lab[1]));
    let on_skin = |v: &Plane, bg: &Plane| Plane {
        w,
        h,
        data: (v.data.iter().zip(&bg.data).zip(mask))
            .map(|((&v, &b), &m)| if m { v - b } else { 0.0 })
            .collect(),
    };
    (on_skin(&loglum, &bg), on_skin(&lab[1], &abg))
}

/// The photo quality numbers read over the skin (`None` without skin).
struct SkinQuality {
    /// Variance of the Laplacian of L* (0..255 scale).
    sharpness: Option<f64>,
    /// Mean L* / 100.
    exposure: Option<f64>,
    /// Share clipped in all three channels.
    glare: Option<f64>,
}

/// Sharpness, exposure and glare over the skin px of `mask`; a note where much of the skin is clipped in
/// at least one channel.
fn skin_quality(
    planes: &[Plane; 3],
    lab: &[Plane; 3],
    mask: &[bool],
    skin_n: usize,
    rules: &PrepareRules,
    notes: &mut Vec<String>,
) -> SkinQuality {
    let none = SkinQuality {
        sharpness: None,
        exposure: None,
        glare: None,
    };
    if skin_n == 0 {
        return none;
    }
    let (w, h) = (planes[0].w, planes[0].h);
    let (mut s1, mut s2, mut cnt) = (0.0f64, 0.0f64, 0usize);
    let (mut ysum, mut clipped, mut one_clipped) = (0.0f64, 0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !mask[i] {
                continue;
            }
            let l8 = |j: usize| lab[0].data[j] as f64 * 2.55;
            ysum += lab[0].data[i] as f64 / 100.0;
            // Glare is a specular highlight: the light's own colour, clipped in every channel. Bright
            // skin clips its red channel first and keeps its colour in the others; counted as glare, a
            // well-exposed fair face and its copy 15 % brighter fell on opposite sides of the usability
            // limit (124 of the 186 answers `--stability` saw change under exposure, issue 13).
            let (r, g, b) = (planes[0].data[i], planes[1].data[i], planes[2].data[i]);
            clipped += (r.min(g).min(b) >= CLIPPED) as usize;
            one_clipped += (r.max(g).max(b) >= CLIPPED) as usize;
            if x > 0 && y > 0 && x + 1 < w && y + 1 < h {
                let lap = l8(i - 1) + l8(i + 1) + l8(i - w) + l8(i + w) - 4.0 * l8(i);
                s1 += lap;
                s2 += lap * lap;
                cnt += 1;
            }
        }
    }
    let share = one_clipped as f64 / skin_n as f64;
    if share > rules.max_glare_fraction {
        notes.push(format!(
            "{:.0} % of the skin is clipped in at least one colour channel (overexposed): its redness \
             reads low",
            share * 100.0
        ));
    }
    SkinQuality {
        // Sharpness is measured at working resolution (downsampling sharpens).
        sharpness: (cnt > 1).then(|| {
            let m = s1 / cnt as f64;
            (s2 / cnt as f64 - m * m).max(0.0)
        }),
        exposure: Some(ysum / skin_n as f64),
        glare: Some(clipped as f64 / skin_n as f64),
    }
}

/// Whether the photo is good enough for a verdict: enough skin, large enough, sharp, little glare; a note
/// for each limit it misses.
fn usability(
    q: &SkinQuality,
    skin_fraction: f64,
    (w, h): (usize, usize),
    rules: &PrepareRules,
    notes: &mut Vec<String>,
) -> bool {
    let mut usable = true;
    if skin_fraction < rules.min_skin_fraction {
        usable = false;
        notes.push(format!(
            "only {:.0} % of the picture is skin",
            skin_fraction * 100.0
        ));
    }
    if w.min(h) < rules.min_side_px as usize {
        usable = false;
        notes.push(format!(
            "the picture is too small ({} x {} px at working size)",
            w, h
        ));
    }
    if q.sharpness.is_some_and(|s| s < rules.min_sharpness) {
        usable = false;
        notes.push("the picture is blurred".to_string());
    }
    if let Some(g) = q.glare.filter(|&g| g > rules.max_glare_fraction) {
        usable = false;
        notes.push(format!("{:.0} % of the skin is glare", g * 100.0));
    }
    usable
}

/// The note on the scale the photo is analysed at (`wppm` working px per mm, `factor` input px per working
/// px).
fn scale_note(wppm: Option<f64>, factor: f64, notes: &mut Vec<String>) {
    match wppm {
        None => {
            notes.push("no scale given (px per mm): sizes are relative to the picture".to_string())
        }
        Some(s) if factor > 1.0 => notes.push(format!(
            "analysed at {s:.1} px/mm (downsampled {factor:.2}x)"
        )),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    /// The scanline flood fill `components` replaced: the oracle of its labels.
    fn components_by_flood_fill(
        mask: &[bool],
        w: usize,
        h: usize,
        value: bool,
    ) -> (Vec<u32>, Vec<usize>, Vec<bool>) {
        let mut labels = vec![0u32; w * h];
        let mut sizes = vec![0usize];
        let mut border = vec![false];
        // Scanline flood fill: whole runs of a row are labelled at once and only the start of each run of the
        // rows above and below is pushed. Components are numbered in raster order of their first pixel.
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let open = |labels: &[u32], i: usize| mask[i] == value && labels[i] == 0;
        for start in 0..w * h {
            if !open(&labels, start) {
                continue;
            }
            let id = sizes.len() as u32;
            let (mut size, mut touches) = (0usize, false);
            stack.push((start % w, start / w));
            while let Some((x, y)) = stack.pop() {
                let row = y * w;
                if !open(&labels, row + x) {
                    continue;
                }
                let mut x0 = x;
                while x0 > 0 && open(&labels, row + x0 - 1) {
                    x0 -= 1;
                }
                let mut x1 = x;
                while x1 + 1 < w && open(&labels, row + x1 + 1) {
                    x1 += 1;
                }
                labels[row + x0..=row + x1].fill(id);
                size += x1 - x0 + 1;
                touches |= x0 == 0 || x1 + 1 == w || y == 0 || y + 1 == h;
                for ny in [y.wrapping_sub(1), y + 1] {
                    if ny >= h {
                        continue;
                    }
                    let nrow = ny * w;
                    let mut in_run = false;
                    for nx in x0..=x1 {
                        let o = open(&labels, nrow + nx);
                        if o && !in_run {
                            stack.push((nx, ny));
                        }
                        in_run = o;
                    }
                }
            }
            sizes.push(size);
            border.push(touches);
        }
        (labels, sizes, border)
    }

    /// The running-count `morph` the shifted ORs and ANDs replaced: the oracle of its masks.
    fn morph_by_counting(mask: &[bool], w: usize, h: usize, r: usize, dilate: bool) -> Vec<bool> {
        if r == 0 || w == 0 || h == 0 {
            return mask.to_vec();
        }
        let full = 2 * r + 1;
        let at = |x: isize, y: isize| {
            mask[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]
        };
        let horizontal: Vec<usize> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as isize, (i / w) as isize);
                (-(r as isize)..=r as isize)
                    .filter(|&d| at(x + d, y))
                    .count()
            })
            .collect();
        let hdecide = |i: usize| {
            if dilate {
                horizontal[i] > 0
            } else {
                horizontal[i] == full
            }
        };
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, (i / w) as isize);
                let count = (-(r as isize)..=r as isize)
                    .filter(|&d| hdecide((y + d).clamp(0, h as isize - 1) as usize * w + x))
                    .count();
                if dilate {
                    count > 0
                } else {
                    count == full
                }
            })
            .collect()
    }

    #[test]
    fn morph_matches_the_running_count_on_random_masks() {
        let mut rng = crate::test_rng::lcg(5);
        let mut next = || (rng() >> 33) as u32;
        for (w, h) in [(1, 1), (1, 9), (9, 1), (5, 5), (37, 23), (64, 40)] {
            for density in [0, 30, 70, 100] {
                let mask: Vec<bool> = (0..w * h).map(|_| next() % 100 < density).collect();
                for r in 0..=7 {
                    for dilate in [false, true] {
                        assert_eq!(
                            morph(&mask, w, h, r, dilate),
                            morph_by_counting(&mask, w, h, r, dilate),
                            "{w}x{h}, {density} %, r {r}, dilate {dilate}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn components_match_the_flood_fill_on_random_masks() {
        let mut rng = crate::test_rng::lcg(11);
        let mut next = || (rng() >> 33) as u32;
        for (w, h) in [
            (0, 0),
            (0, 3),
            (1, 1),
            (1, 7),
            (9, 1),
            (5, 5),
            (37, 23),
            (64, 64),
            (3, 200),
        ] {
            for density in [0, 20, 50, 80, 100] {
                let mask: Vec<bool> = (0..w * h).map(|_| next() % 100 < density).collect();
                for value in [true, false] {
                    assert_eq!(
                        components(&mask, w, h, value),
                        components_by_flood_fill(&mask, w, h, value),
                        "{w}x{h}, {density} %, value {value}"
                    );
                }
            }
        }
        // Shapes that join late: a U, a spiral-like comb, stripes.
        let u: Vec<bool> = (0..100)
            .map(|i| i % 10 == 0 || i % 10 == 9 || i >= 90)
            .collect();
        let comb: Vec<bool> = (0..400)
            .map(|i| (i / 20) % 2 == 0 || i % 20 == 19)
            .collect();
        for (m, w) in [(&u, 10), (&comb, 20)] {
            let h = m.len() / w;
            assert_eq!(
                components(m, w, h, true),
                components_by_flood_fill(m, w, h, true)
            );
            assert_eq!(
                components(m, w, h, false),
                components_by_flood_fill(m, w, h, false)
            );
        }
    }

    use super::*;

    #[test]
    fn the_srgb_table_follows_the_formula() {
        let mut worst = 0.0f32;
        for i in 0..=100_000 {
            let v = i as f32 / 100_000.0;
            let exact = 255.0 * crate::colour::linear_to_srgb(v as f64);
            worst = worst.max((to_srgb8(v) as f64 - exact).abs() as f32);
        }
        assert!(worst < 0.005, "largest difference {worst} (0..255 units)");
        // Whole sRGB levels come back as themselves to well within a level.
        for l in 0..=255u8 {
            let lin = crate::colour::srgb_to_linear(l as f64 / 255.0) as f32;
            assert!((to_srgb8(lin) - l as f32).abs() < 0.01, "level {l}");
        }
    }

    #[test]
    fn the_block_conversion_to_srgb8_is_the_scalar_one_to_the_bit() {
        let mut v: Vec<f32> = (0..=200_000).map(|i| i as f32 / 200_000.0).collect();
        v.extend((0..=255).map(|l| crate::colour::srgb_to_linear(l as f64 / 255.0) as f32));
        v.extend([
            -1.0,
            -0.0,
            0.0031308,
            0.003_130_9,
            1.0,
            1.5,
            f32::NAN,
            f32::INFINITY,
        ]);
        let mut out = [0.0f32; SEED_BLOCK];
        for chunk in v.chunks(SEED_BLOCK - 3) {
            srgb8_block(srgb8_steps(), chunk, &mut out);
            for (k, &x) in chunk.iter().enumerate() {
                let want = to_srgb8_in(srgb8_table(), x);
                assert_eq!(out[k].to_bits(), want.to_bits(), "{x}");
            }
        }
    }

    #[test]
    fn lab_with_the_fast_cube_root_matches_colour_rs() {
        // Every 8-bit sRGB grey and a coarse grid of colours, as the analysis sees them (f32 linear light).
        let mut worst = 0.0f64;
        let mut differ = 0;
        let steps: Vec<u8> = (0..=255).step_by(5).collect();
        let mut colours: Vec<[f32; 3]> = Vec::new();
        for &r in &steps {
            for &g in &steps {
                for &b in &steps {
                    colours.push(
                        [r, g, b].map(|v| crate::colour::srgb_to_linear(v as f64 / 255.0) as f32),
                    );
                }
            }
        }
        // One row of pixels through the analysis's own conversion.
        let rgb = [0, 1, 2].map(|c| Plane {
            w: colours.len(),
            h: 1,
            data: colours.iter().map(|p| p[c]).collect(),
        });
        let lab = lab_planes(&rgb);
        for (i, lin) in colours.iter().enumerate() {
            let xyz = crate::colour::linear_rgb_to_xyz(lin.map(|v| v as f64));
            let exact = crate::colour::xyz_to_lab(xyz).map(|v| v as f32);
            for c in 0..3 {
                let fast = lab[c].data[i];
                worst = worst.max((fast - exact[c]).abs() as f64);
                differ += (fast != exact[c]) as usize;
            }
        }
        // Equal in f32 but for a rounding step now and then (2 of the 421 875 values when written).
        assert!(worst < 1e-4, "largest difference {worst}");
        assert!(differ <= 10, "{differ} values differ");
    }

    #[test]
    fn working_factor_targets_scale_and_never_upscales() {
        let r = crate::profile::Profile::builtin().prepare;
        assert!((working_factor(4000, 3000, Some(20.0), &r) - 2.5).abs() < 1e-9);
        assert_eq!(working_factor(600, 600, None, &r), 1.0);
        assert_eq!(working_factor(300, 300, Some(4.0), &r), 1.0);
        assert!(working_factor(4000, 3000, None, &r) >= 2.5);
    }

    #[test]
    fn skin_is_found_and_white_box_is_not() {
        let mut img = RgbImage::from_pixel(120, 100, image::Rgb([200, 150, 130]));
        for y in 0..100 {
            for x in 80..120 {
                img.put_pixel(x, y, image::Rgb([255, 255, 255]));
            }
        }
        let p = prepare(&img, None, &crate::profile::Profile::builtin().prepare);
        assert!(
            (p.skin_fraction - 80.0 / 120.0).abs() < 0.05,
            "{}",
            p.skin_fraction
        );
        assert!(p.mask[50 * 120 + 10]);
        assert!(!p.mask[50 * 120 + 110]);
    }

    #[test]
    fn bright_skin_with_its_red_channel_clipped_is_not_glare() {
        // Fair skin in bright light: red at 255, green and blue well below (linear 1.0, 0.58, 0.45).
        let img = RgbImage::from_fn(64, 64, |x, y| {
            let v = ((x * 7 + y * 13) % 9) as u8;
            image::Rgb([255, 200 + v, 180 + v])
        });
        let p = prepare(&img, None, &crate::profile::Profile::builtin().prepare);
        assert!(p.skin_fraction > 0.95, "{}", p.skin_fraction);
        assert_eq!(p.glare_fraction, Some(0.0));
        assert!(
            !p.notes.iter().any(|n| n.contains("is glare")),
            "{:?}",
            p.notes
        );
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains("clipped in at least one colour channel")),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn dark_skin_is_skin() {
        let img = RgbImage::from_pixel(64, 64, image::Rgb([92, 60, 45]));
        let p = prepare(&img, None, &crate::profile::Profile::builtin().prepare);
        assert!(p.skin_fraction > 0.95);
    }

    #[test]
    fn face_features_at_the_image_edges_stay_inside_it() {
        // A 52 × 34 skin patch: two eyes, a brow one row below the top edge and reaching the right side's
        // sweep box past the edge, and a nostril below the eyes' middle. Boxes grown past the image must clip,
        // not wrap or panic.
        let rules = crate::profile::Profile::builtin().prepare;
        let (w, h) = (52usize, 34usize);
        let l0 = 60.0f32;
        let dark = l0 - rules.face_dark_delta_l as f32 - 5.0;
        let mut skin = vec![true; w * h];
        let mut l_star = vec![l0; w * h];
        let a_star = vec![15.0f32; w * h];
        let mut hole = |x0: usize, x1: usize, y0: usize, y1: usize, l: f32| {
            for y in y0..y1 {
                for x in x0..x1 {
                    skin[y * w + x] = false;
                    l_star[y * w + x] = l;
                }
            }
        };
        // Two eyes 30 px apart; a brow 11.5 px (0.38 interocular distances) above the right eye; a nostril
        // 14.5 px (0.48) below the eyes' middle.
        hole(10, 16, 12, 15, 95.0);
        hole(40, 46, 12, 15, 95.0);
        hole(38, 47, 1, 3, dark);
        hole(24, 32, 27, 29, dark);

        // Dark skin pixels: a hair strand at the top edge inside the brow's sweep box, and one beside the
        // nostril beyond its margin (nostrils have no strands).
        for &(x, y) in &[(51usize, 0usize), (37, 28)] {
            l_star[y * w + x] = dark;
        }
        let (labels, sizes, border) = components(&skin, w, h, false);
        // The eyes are the holes that are mostly white.
        let eye_like: Vec<bool> = (0..sizes.len())
            .map(|c| {
                let white = (0..w * h)
                    .filter(|&i| labels[i] as usize == c && l_star[i] > 90.0)
                    .count();
                c != 0 && white as f64 >= rules.hole_max_white_share * sizes[c] as f64
            })
            .collect();
        let mut mask = skin.clone();
        exclude_face_features(
            &mut mask,
            w,
            h,
            (&labels, &sizes, &border, &eye_like),
            (&l_star, l0, &a_star, 15.0),
            &rules,
        );
        let at = |x: usize, y: usize| mask[y * w + x];
        assert!(
            !at(9, 13) && !at(47, 13),
            "the eyes' margins leave the mask"
        );
        assert!(
            !at(37, 0) && !at(48, 3),
            "the brow's margin, clipped at the top edge"
        );
        assert!(!at(51, 0), "a strand beside the brow leaves the mask");
        assert!(!at(21, 29), "the nostril's margin");
        assert!(at(37, 28), "a dark pixel beside a nostril stays skin");
        assert!(at(2, 2) && at(27, 8) && at(5, 30), "plain skin stays skin");
    }

    #[test]
    fn tiny_and_thin_images_with_eye_like_holes_do_not_panic() {
        let rules = crate::profile::Profile::builtin().prepare;
        let skin = image::Rgb([200, 150, 130]);
        let white = image::Rgb([245, 245, 245]);
        let dark = image::Rgb([50, 35, 30]);
        for (w, h) in [
            (1u32, 1u32),
            (2, 2),
            (3, 3),
            (3, 500),
            (500, 3),
            (7, 7),
            (40, 24),
        ] {
            let mut img = RgbImage::from_pixel(w, h, skin);
            // Two white holes side by side, a dark one above each and one below their middle, as far as the
            // image has room: the face rule's shapes on images too small for them.
            for (fx, fy, c) in [
                (0.3, 0.5, white),
                (0.7, 0.5, white),
                (0.3, 0.2, dark),
                (0.7, 0.2, dark),
                (0.5, 0.8, dark),
            ] {
                let (cx, cy) = ((fx * w as f64) as u32, (fy * h as f64) as u32);
                for y in cy.saturating_sub(1)..(cy + 2).min(h) {
                    for x in cx.saturating_sub(2)..(cx + 3).min(w) {
                        img.put_pixel(x, y, c);
                    }
                }
            }
            let p = prepare(&img, None, &rules);
            assert_eq!(p.mask.len(), p.w * p.h, "{w} x {h}");
            assert!((1..=w as usize).contains(&p.w) && (1..=h as usize).contains(&p.h));
        }
    }

    #[test]
    fn reversed_or_nan_white_balance_ranges_in_a_profile_do_not_panic() {
        let img = RgbImage::from_pixel(64, 64, image::Rgb([120, 150, 210]));
        for (rg, gain) in [([0.9, 0.1], 0.5), ([f64::NAN, 0.3], f64::NAN)] {
            let mut rules = crate::profile::Profile::builtin().prepare;
            rules.skin_ln_rg = rg;
            rules.skin_ln_gb = [rg[1], rg[0]];
            rules.max_cast_gain = gain;
            let p = prepare(&img, None, &rules);
            assert_eq!(p.mask.len(), p.w * p.h);
        }
    }
}
