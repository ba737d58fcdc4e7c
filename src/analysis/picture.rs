//! Picture stage: what the whole photo shows, read at one fixed resolution as named features.
//!
//! Real photos are framed on their finding (domain.md §6): a field of small pits, one large raised lesion
//! filling a third of the frame, a face covered in small red papules, or clear skin. The region-by-region
//! stages miss the large lesions and the fields, so this stage reads the picture as a whole. Every feature
//! is measured on a copy of the photo shrunk to [`GRID`] px on its long side (a smaller photo is read at its
//! own size, never enlarged), so that it depends less on the size a source happened to save (`evaluate
//! --stability` checks this; `calibrate --augment` fits on shrunk copies), and every feature is relative
//! to the photo's own skin (a lesion is judged against its surround, not against a fixed colour).
//!
//! Units: L*, a*, b* are CIELAB; "skin px" are grid px inside the skin mask; densities are per 1000 skin px
//! of the grid (one grid px of a 640 px face photo is about 0.1 mm² of skin).

use super::papules::{papule_rise, Ring, Spot};
use crate::blur::gaussian_blur;
use crate::prepare::{Plane, Prepared};
use crate::report::{Region, RegionClass};

/// Long side of the grid every picture feature is measured on, px (a 640 px web photo halved; a 5-25 px
/// papule at 640 px, domain.md §6, is 2.5-12 grid px). Measured and not applied: a 256 px grid with a 0.7 px
/// blur, meant to read every photo at the same finest detail, lowered the cross-validated balanced accuracy
/// from 0.87 to 0.81 and kept fewer answers at half size (74 % against 78 % on quick.csv).
pub const GRID: usize = 320;

/// One picture feature: a name, a one-line definition and the sentence the report shows when it weighs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureDef {
    /// Key in the profile and in `summary.features`.
    pub name: &'static str,
    /// One-line definition.
    pub definition: &'static str,
    /// Plain words for the report ("many small red spots"); the value follows in brackets.
    pub says: &'static str,
}

/// Every picture feature, in the order of the scoring table.
pub const FEATURES: [FeatureDef; 77] = [
    FeatureDef { name: "red_spots", definition: "ln(1 + small red spots per 1000 skin px): a* difference-of-Gaussians peaks above 4, radius 1.5-7 grid px", says: "small red spots against the skin" },
    FeatureDef { name: "red_area", definition: "share of skin px whose a* exceeds the local skin's (19 px blur) by 6", says: "skin area redder than its surround" },
    FeatureDef { name: "red_contrast", definition: "95th percentile of a* above the local skin over skin px", says: "strongest redness against the skin" },
    FeatureDef { name: "bright_heads", definition: "ln(1 + small bright spots per 1000 skin px): L* DoG peaks above 5 inside a redder ring", says: "white-yellow heads on red spots" },
    FeatureDef { name: "dark_pits", definition: "ln(1 + small dark spots per 1000 skin px): L* DoG troughs below -4 without a colour change (|Δa*|, |Δb*| < 3)", says: "small shadowed pits at the skin's own colour" },
    FeatureDef { name: "brown_spots", definition: "ln(1 + small brown spots per 1000 skin px): L* DoG troughs below -3 that are yellower (b* DoG > 2)", says: "small brown marks" },
    FeatureDef { name: "fine_texture", definition: "median absolute deviation of L* minus its 1 px blur over skin px", says: "fine texture (pores, pits) of the skin" },
    FeatureDef { name: "mid_texture", definition: "median absolute deviation of the 1 px minus 3 px blurs of L* over skin px", says: "uneven surface at the scale of small scars" },
    FeatureDef { name: "coarse_texture", definition: "median absolute deviation of the 3 px minus 8 px blurs of L* over skin px", says: "uneven surface at the scale of rolling scars" },
    FeatureDef { name: "lesion_area", definition: "share of the picture whose colour differs from the skin's median by ΔE > 12 while still skin-like (a* > 5)", says: "area of the picture that differs in colour from the skin" },
    FeatureDef { name: "largest_lesion", definition: "share of the picture covered by the largest connected patch of that colour difference", says: "one large patch differing from the skin" },
    FeatureDef { name: "lesion_smoothness", definition: "fine texture inside the largest patch divided by that of the skin around it (below 1: smoother)", says: "a patch smoother than the skin" },
    FeatureDef { name: "lesion_elongation", definition: "long over short axis of the largest patch (second moments), log", says: "an elongated patch" },
    FeatureDef { name: "lesion_redness", definition: "median a* of the largest patch minus the skin's median a*", says: "a patch redder than the skin" },
    FeatureDef { name: "lesion_darkness", definition: "skin's median L* minus the largest patch's median L*", says: "a patch darker than the skin" },
    FeatureDef { name: "gloss", definition: "share of the largest patch that is specular highlight (L* > skin + 15, chroma under half the skin's)", says: "glossy highlights on the patch" },
    FeatureDef { name: "skin_fraction", definition: "share of the picture inside the skin mask", says: "share of the picture that is skin" },
    FeatureDef { name: "atrophic_regions", definition: "ln(1 + atrophic regions the lesion stages found)", says: "sunken regions found one by one" },
    FeatureDef { name: "raised_regions", definition: "ln(1 + raised regions the lesion stages found)", says: "raised regions found one by one" },
    FeatureDef { name: "inflamed_regions", definition: "ln(1 + papules and pustules the lesion stages found)", says: "papules and pustules found one by one" },
    FeatureDef { name: "red_spots_faint", definition: "ln(1 + faint red spots per 1000 skin px): a* DoG peaks of 2.5-4", says: "faint red spots" },
    FeatureDef { name: "red_spots_strong", definition: "ln(1 + strong red spots per 1000 skin px): a* DoG peaks above 7", says: "strong red spots" },
    FeatureDef { name: "picture_a_high", definition: "90th percentile of a* over the whole picture minus the skin's median a*", says: "the reddest tenth of the picture against the skin" },
    FeatureDef { name: "picture_a_low", definition: "10th percentile of a* over the whole picture minus the skin's median a*", says: "the least red tenth of the picture against the skin" },
    FeatureDef { name: "picture_b_high", definition: "90th percentile of b* over the whole picture minus the skin's median b*", says: "the yellowest tenth of the picture against the skin" },
    FeatureDef { name: "picture_b_low", definition: "10th percentile of b* over the whole picture minus the skin's median b*", says: "the bluest tenth of the picture against the skin" },
    FeatureDef { name: "picture_l_high", definition: "90th percentile of L* over the whole picture minus the skin's median L*", says: "the lightest tenth of the picture against the skin" },
    FeatureDef { name: "picture_l_low", definition: "10th percentile of L* over the whole picture minus the skin's median L*", says: "the darkest tenth of the picture against the skin" },
    FeatureDef { name: "skin_a_spread", definition: "median absolute deviation of a* minus its 19 px blur over skin px", says: "patchy redness of the skin" },
    FeatureDef { name: "skin_l_spread", definition: "median absolute deviation of L* minus its 19 px blur over skin px", says: "patchy lightness of the skin" },
    FeatureDef { name: "dog_a_p99", definition: "99th percentile of the a* DoG (1 px minus 3 px blur) over skin px", says: "the sharpest red dots" },
    FeatureDef { name: "dog_l_p01", definition: "minus the 1st percentile of the L* DoG (1 px minus 3 px blur) over skin px", says: "the sharpest dark dots" },
    FeatureDef { name: "dog_l_p99", definition: "99th percentile of the L* DoG (1 px minus 3 px blur) over skin px", says: "the sharpest bright dots" },
    FeatureDef { name: "tile_a_range", definition: "reddest minus median a* over 8x8 tiles of the picture's skin-like px (a* > 3)", says: "one part of the picture much redder than the rest" },
    FeatureDef { name: "tile_l_range", definition: "median minus darkest L* over 8x8 tiles of the picture's skin-like px", says: "one part of the picture much darker than the rest" },
    FeatureDef { name: "tile_a_spread", definition: "median absolute deviation of a* over 8x8 tiles of skin-like px", says: "redness that varies across the picture" },
    FeatureDef { name: "tile_l_spread", definition: "median absolute deviation of L* over 8x8 tiles of skin-like px", says: "lightness that varies across the picture" },
    FeatureDef { name: "large_a_spread", definition: "median absolute deviation of the 8 px blur of a* over skin-like px", says: "large areas of different redness" },
    FeatureDef { name: "fine_to_large", definition: "fine texture divided by the median absolute deviation of the 8 px blur of L* over skin-like px", says: "texture fine rather than coarse" },
    FeatureDef { name: "edge_fraction", definition: "share of skin px whose L* gradient (3 px blur) exceeds 2 L* per px", says: "sharp edges inside the skin" },
    FeatureDef { name: "lbp1_0", definition: "share of skin px with 0 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 0, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 0 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_1", definition: "share of skin px with 1 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 1, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 1 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_2", definition: "share of skin px with 2 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 2, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 2 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_3", definition: "share of skin px with 3 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 3, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 3 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_4", definition: "share of skin px with 4 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 4, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 4 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_5", definition: "share of skin px with 5 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 5, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 5 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_6", definition: "share of skin px with 6 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 6, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 6 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_7", definition: "share of skin px with 7 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 7, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 7 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_8", definition: "share of skin px with 8 of their 8 neighbours at 1 px at least as light, in one arc (uniform LBP code 8, P=8, R=1, tolerance 0.5 L*)", says: "texture pattern 8 at 1 px (LBP)" },
    FeatureDef { name: "lbp1_9", definition: "share of skin px whose 8 neighbours at 1 px form a non-uniform light/dark pattern (LBP, P=8, R=1, tolerance 0.5 L*)", says: "irregular texture at 1 px" },
    FeatureDef { name: "lbp3_0", definition: "share of skin px with 0 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 0, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 0 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_1", definition: "share of skin px with 1 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 1, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 1 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_2", definition: "share of skin px with 2 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 2, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 2 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_3", definition: "share of skin px with 3 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 3, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 3 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_4", definition: "share of skin px with 4 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 4, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 4 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_5", definition: "share of skin px with 5 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 5, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 5 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_6", definition: "share of skin px with 6 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 6, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 6 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_7", definition: "share of skin px with 7 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 7, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 7 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_8", definition: "share of skin px with 8 of their 8 neighbours at 3 px at least as light, in one arc (uniform LBP code 8, P=8, R=3, tolerance 0.5 L*)", says: "texture pattern 8 at 3 px (LBP)" },
    FeatureDef { name: "lbp3_9", definition: "share of skin px whose 8 neighbours at 3 px form a non-uniform light/dark pattern (LBP, P=8, R=3, tolerance 0.5 L*)", says: "irregular texture at 3 px" },
    FeatureDef { name: "hist_l0_a0", definition: "share of the picture whose L* minus the skin's is below -15 and a* minus the skin's is below -3", says: "picture area at lightness below -15 and redness below -3 against the skin" },
    FeatureDef { name: "hist_l0_a1", definition: "share of the picture whose L* minus the skin's is below -15 and a* minus the skin's is -3 to +3", says: "picture area at lightness below -15 and redness -3 to +3 against the skin" },
    FeatureDef { name: "hist_l0_a2", definition: "share of the picture whose L* minus the skin's is below -15 and a* minus the skin's is +3 to +9", says: "picture area at lightness below -15 and redness +3 to +9 against the skin" },
    FeatureDef { name: "hist_l0_a3", definition: "share of the picture whose L* minus the skin's is below -15 and a* minus the skin's is above +9", says: "picture area at lightness below -15 and redness above +9 against the skin" },
    FeatureDef { name: "hist_l1_a0", definition: "share of the picture whose L* minus the skin's is -15 to -5 and a* minus the skin's is below -3", says: "picture area at lightness -15 to -5 and redness below -3 against the skin" },
    FeatureDef { name: "hist_l1_a1", definition: "share of the picture whose L* minus the skin's is -15 to -5 and a* minus the skin's is -3 to +3", says: "picture area at lightness -15 to -5 and redness -3 to +3 against the skin" },
    FeatureDef { name: "hist_l1_a2", definition: "share of the picture whose L* minus the skin's is -15 to -5 and a* minus the skin's is +3 to +9", says: "picture area at lightness -15 to -5 and redness +3 to +9 against the skin" },
    FeatureDef { name: "hist_l1_a3", definition: "share of the picture whose L* minus the skin's is -15 to -5 and a* minus the skin's is above +9", says: "picture area at lightness -15 to -5 and redness above +9 against the skin" },
    FeatureDef { name: "hist_l2_a0", definition: "share of the picture whose L* minus the skin's is -5 to +5 and a* minus the skin's is below -3", says: "picture area at lightness -5 to +5 and redness below -3 against the skin" },
    FeatureDef { name: "hist_l2_a1", definition: "share of the picture whose L* minus the skin's is -5 to +5 and a* minus the skin's is -3 to +3", says: "picture area at lightness -5 to +5 and redness -3 to +3 against the skin" },
    FeatureDef { name: "hist_l2_a2", definition: "share of the picture whose L* minus the skin's is -5 to +5 and a* minus the skin's is +3 to +9", says: "picture area at lightness -5 to +5 and redness +3 to +9 against the skin" },
    FeatureDef { name: "hist_l2_a3", definition: "share of the picture whose L* minus the skin's is -5 to +5 and a* minus the skin's is above +9", says: "picture area at lightness -5 to +5 and redness above +9 against the skin" },
    FeatureDef { name: "hist_l3_a0", definition: "share of the picture whose L* minus the skin's is above +5 and a* minus the skin's is below -3", says: "picture area at lightness above +5 and redness below -3 against the skin" },
    FeatureDef { name: "hist_l3_a1", definition: "share of the picture whose L* minus the skin's is above +5 and a* minus the skin's is -3 to +3", says: "picture area at lightness above +5 and redness -3 to +3 against the skin" },
    FeatureDef { name: "hist_l3_a2", definition: "share of the picture whose L* minus the skin's is above +5 and a* minus the skin's is +3 to +9", says: "picture area at lightness above +5 and redness +3 to +9 against the skin" },
    FeatureDef { name: "hist_l3_a3", definition: "share of the picture whose L* minus the skin's is above +5 and a* minus the skin's is above +9", says: "picture area at lightness above +5 and redness above +9 against the skin" },
    FeatureDef { name: "papules", definition: "ln(1 + papules per 1000 skin px): a* DoG peaks above 2.5 redder than the even skin ring around them by 4 (analysis::papules)", says: "small red bumps standing out of the skin around them" },
];

/// Number of picture features.
pub const N_FEATURES: usize = FEATURES.len();

/// The grid copy of the photo: L*, a*, b* and the skin mask at [`GRID`] px on the long side.
struct Grid {
    w: usize,
    h: usize,
    lab: [Plane; 3],
    skin: Vec<bool>,
}

/// Resamples the working image to the grid by area mean; a photo smaller than the grid is read at its own
/// size, never enlarged: enlarging smooths away the fine texture, and a table would learn "small photo" as
/// "smooth skin" (most raised-scar photos of the development set are thumbnails).
fn grid_of(p: &Prepared) -> Grid {
    let f = grid_step(p);
    let (w, h) = (
        ((p.w as f64 / f).round() as usize).max(1),
        ((p.h as f64 / f).round() as usize).max(1),
    );
    let mut lab = [
        Plane::filled(w, h, 0.0),
        Plane::filled(w, h, 0.0),
        Plane::filled(w, h, 0.0),
    ];
    let mut skin = vec![false; w * h];
    for gy in 0..h {
        for gx in 0..w {
            let i = gy * w + gx;
            let (cx, cy) = ((gx as f64 + 0.5) * f - 0.5, (gy as f64 + 0.5) * f - 0.5);
            let (sx, sy) = (
                (cx.round().max(0.0) as usize).min(p.w - 1),
                (cy.round().max(0.0) as usize).min(p.h - 1),
            );
            skin[i] = p.mask[sy * p.w + sx];
            let x0 = (gx as f64 * f) as usize;
            let x1 = (((gx + 1) as f64 * f) as usize).clamp(x0 + 1, p.w);
            let y0 = (gy as f64 * f) as usize;
            let y1 = (((gy + 1) as f64 * f) as usize).clamp(y0 + 1, p.h);
            let n = ((x1 - x0) * (y1 - y0)) as f32;
            for (dst, src) in lab.iter_mut().zip(&p.lab) {
                let mut s = 0.0f32;
                for y in y0..y1 {
                    s += src.data[y * p.w + x0..y * p.w + x1].iter().sum::<f32>();
                }
                dst.data[i] = s / n;
            }
        }
    }
    Grid { w, h, lab, skin }
}

/// Working px per grid px: the long side over [`GRID`], never below 1 (a smaller picture is not enlarged).
fn grid_step(p: &Prepared) -> f64 {
    (p.w.max(p.h).max(1) as f64 / GRID as f64).max(1.0)
}

/// The `k`-th smallest value of `v` (reorders `v`; 0 when empty).
fn nth(v: &mut [f32], k: usize) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let k = k.min(v.len() - 1);
    crate::select::nth_smallest(v, k)
}

/// The upper median (element `len / 2` in order).
fn median(mut v: Vec<f32>) -> f32 {
    median_of(&mut v)
}

/// The upper median of a slice it may reorder.
fn median_of(v: &mut [f32]) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    crate::select::upper_median(v)
}

/// The `q` quantile by the nearest rank `round((len - 1) q)`, of a slice it may reorder.
fn quantile_of(v: &mut [f32], q: f64) -> f32 {
    let k = (v.len().saturating_sub(1) as f64 * q).round() as usize;
    nth(v, k)
}

/// The `qs` quantiles (nearest rank, as [`quantile_of`]) of `v` from one count, without a copy (0 when
/// empty).
fn quantiles<const R: usize>(v: &[f32], qs: [f64; R]) -> [f32; R] {
    let n = v.len();
    if n == 0 {
        return [0.0; R];
    }
    let ks = qs.map(|q| (((n - 1) as f64 * q).round() as usize).min(n - 1));
    crate::select::nth_smallest_ranks(v, ks)
}

fn quantile(mut v: Vec<f32>, q: f64) -> f32 {
    quantile_of(&mut v, q)
}

/// `a - b` at the masked px, without the whole plane of differences.
fn masked_diff(a: &Plane, b: &Plane, mask: &[bool]) -> Vec<f32> {
    let mut xs = Vec::with_capacity(mask.iter().filter(|&&m| m).count());
    let pairs = a.data.iter().zip(&b.data).zip(mask);
    xs.extend(pairs.filter(|(_, &m)| m).map(|((&x, &y), _)| x - y));
    xs
}

/// Median absolute deviation of `v` over the masked px (0 without any).
///
/// The median is selected where the mask holds and only the deviations are copied out: one pass fewer over
/// the masked values than copying them, selecting, and taking the deviations in place.
fn mad(v: &[f32], mask: &[bool]) -> f64 {
    let n = mask.iter().filter(|&&m| m).count();
    if n == 0 {
        return 0.0;
    }
    let [m] = crate::select::nth_smallest_masked(v, mask, [n / 2]);
    let mut dev = Vec::with_capacity(n);
    dev.extend(
        v.iter()
            .zip(mask)
            .filter(|(_, &k)| k)
            .map(|(&x, _)| (x - m).abs()),
    );
    crate::select::upper_median(&mut dev) as f64
}

/// The `qs` quantiles (nearest rank, as [`quantile_of`]) of `v` over the masked px from one count, without
/// copying them out (0 without any).
fn masked_quantiles<const R: usize>(v: &[f32], mask: &[bool], qs: [f64; R]) -> [f32; R] {
    let n = mask.iter().filter(|&&m| m).count();
    if n == 0 {
        return [0.0; R];
    }
    let ks = qs.map(|q| (((n - 1) as f64 * q).round() as usize).min(n - 1));
    crate::select::nth_smallest_masked(v, mask, ks)
}

/// The upper median (element `len / 2` in order) of `v` over the masked px (0 without any).
fn masked_median(v: &[f32], mask: &[bool]) -> f32 {
    let n = mask.iter().filter(|&&m| m).count();
    if n == 0 {
        return 0.0;
    }
    crate::select::nth_smallest_masked(v, mask, [n / 2])[0]
}

/// Median absolute deviation of `xs`, in place: a selection only reorders, the deviations are the same.
fn mad_of(mut xs: Vec<f32>) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    crate::select::median_and_mad(&mut xs).1 as f64
}

fn sub(a: &Plane, b: &Plane) -> Vec<f32> {
    a.data.iter().zip(&b.data).map(|(x, y)| x - y).collect()
}

/// The peaks (`sign` +1) or troughs (-1) of `d` beyond `thr` inside `mask`, in raster order.
fn peaks_beyond(d: &[f32], w: usize, h: usize, mask: &[bool], sign: f32, thr: f32) -> Vec<usize> {
    let mut found = Vec::new();
    for y in 1..h.saturating_sub(1) {
        for x in 1..w - 1 {
            let i = y * w + x;
            let v = sign * d[i];
            if v <= thr || !mask[i] {
                continue;
            }
            // Strictly above the earlier neighbours, at least the later ones: one peak per plateau.
            let mut peak = true;
            for (k, j) in crate::plane::neighbours(i, w).into_iter().enumerate() {
                let u = sign * d[j];
                if (k < 4 && u >= v) || (k >= 4 && u > v) {
                    peak = false;
                    break;
                }
            }
            if peak {
                found.push(i);
            }
        }
    }
    found
}

/// What the picture stage reads: the features, and the papules it counted with where they are.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The picture features, in [`FEATURES`] order.
    pub features: [f64; N_FEATURES],
    /// The papules of the `papules` feature, on the grid.
    pub papules: Vec<Spot>,
    /// Working px per grid px (1 when the picture is no larger than the grid).
    pub grid_step: f64,
}

/// The picture features, in [`FEATURES`] order.
pub fn picture_features(p: &Prepared, regions: &[Region]) -> [f64; N_FEATURES] {
    picture(p, regions).features
}

/// The picture features and the papules counted (see [`Picture`]).
pub fn picture(p: &Prepared, regions: &[Region]) -> Picture {
    let mut out = [0.0; N_FEATURES];
    let grid_step = grid_step(p);
    let mut spots = Vec::new();
    if p.w < 8 || p.h < 8 {
        return Picture {
            features: out,
            papules: spots,
            grid_step,
        };
    }
    let g = grid_of(p);
    let r = Reading::new(&g, p.skin_lab);
    out[0..4].copy_from_slice(&acne_spots(&r));
    out[4..6].copy_from_slice(&pits_and_marks(&r));
    out[6..9].copy_from_slice(&texture_scales(&r));
    out[9..16].copy_from_slice(&largest_patch(&r));
    out[16] = p.skin_fraction;
    out[17..20].copy_from_slice(&region_counts(regions));
    out[20..22].copy_from_slice(&red_spot_strengths(&r));
    out[22..28].copy_from_slice(&colour_percentiles(&r));
    out[28..33].copy_from_slice(&spreads_and_dots(&r));
    out[33..37].copy_from_slice(&tile_layout(&r));
    let fine_texture = out[6];
    out[37..39].copy_from_slice(&large_scale(&r, fine_texture));
    out[39] = edge_fraction(&r);
    out[40..50].copy_from_slice(&lbp_histogram(r.l, &r.skin, 1));
    out[50..60].copy_from_slice(&lbp_histogram(r.l, &r.skin, 3));
    out[60..76].copy_from_slice(&colour_histogram(&r));
    out[76] = papules(&r, &mut spots);
    Picture {
        features: out.map(|v| if v.is_finite() { v } else { 0.0 }),
        papules: spots,
        grid_step,
    }
}

/// The grid copy with what several features share: the skin they are read over, the photo's skin colour,
/// the blurred planes and their differences of Gaussians.
struct Reading<'a> {
    w: usize,
    h: usize,
    /// Grid px.
    n: usize,
    /// The px the skin features are read over: the skin mask, or the whole picture where under a twentieth
    /// of it is skin (a close-up of one lesion).
    skin: Vec<bool>,
    /// Skin px, at least 1.
    skin_n: f64,
    /// Per 1000 skin px: the densities' factor.
    per_k: f64,
    l: &'a Plane,
    a: &'a Plane,
    b: &'a Plane,
    /// The photo's median skin L*, a*, b* (a typical skin's where none was found).
    skin_lab: [f32; 3],
    l1: Plane,
    l3: Plane,
    l8: Plane,
    a1: Plane,
    a3: Plane,
    a7: Plane,
    a19: Plane,
    /// a* 1 px minus 3 px blur: the small red spots.
    dog_a_small: Vec<f32>,
    /// a* 3 px minus 7 px blur: the larger red spots.
    dog_a_large: Vec<f32>,
    /// L* 1 px minus 3 px blur.
    dog_l: Vec<f32>,
    /// b* 1 px minus 3 px blur.
    dog_b: Vec<f32>,
    /// a* minus its 19 px blur: redness against the local skin.
    da: Vec<f32>,
    /// L* minus its 1 px blur: the finest texture.
    fine: Vec<f32>,
    /// Peaks of `dog_a_small` above the lowest threshold read (2.5): every feature's spots are a subset,
    /// so one pass serves several counts.
    up_a_small: Vec<usize>,
    /// Peaks of `dog_a_large` above 2.5.
    up_a_large: Vec<usize>,
    /// Peaks of `dog_l` above 5.
    up_l: Vec<usize>,
    /// Troughs of `dog_l` below -3.
    down_l: Vec<usize>,
}

impl<'a> Reading<'a> {
    /// Blurs and differences of the grid `g`'s planes; `skin_lab` is the prepare stage's skin colour.
    fn new(g: &'a Grid, skin_lab: Option<[f64; 3]>) -> Reading<'a> {
        let (w, h) = (g.w, g.h);
        let n = w * h;
        let skin_px = g.skin.iter().filter(|&&s| s).count();
        // Without enough skin the whole picture stands in for it (a close-up of one lesion).
        let skin: Vec<bool> = if skin_px * 20 >= n {
            g.skin.clone()
        } else {
            vec![true; n]
        };
        let skin_n = skin.iter().filter(|&&s| s).count().max(1) as f64;
        let [l, a, b] = &g.lab;
        let blur = |pl: &Plane, s: f32| gaussian_blur(pl, s);
        let (l1, l3, l8) = (blur(l, 1.0), blur(l, 3.0), blur(l, 8.0));
        let (a1, a3, a19) = (blur(a, 1.0), blur(a, 3.0), blur(a, 19.0));
        let (b1, b3) = (blur(b, 1.0), blur(b, 3.0));
        let a7 = blur(a, 7.0);
        let (dog_a_small, dog_a_large) = (sub(&a1, &a3), sub(&a3, &a7));
        let dog_l = sub(&l1, &l3);
        let peaks = |d: &[f32], sign: f32, thr: f32| peaks_beyond(d, w, h, &skin, sign, thr);
        let (up_a_small, up_a_large) =
            (peaks(&dog_a_small, 1.0, 2.5), peaks(&dog_a_large, 1.0, 2.5));
        let (up_l, down_l) = (peaks(&dog_l, 1.0, 5.0), peaks(&dog_l, -1.0, 3.0));
        Reading {
            w,
            h,
            n,
            per_k: 1000.0 / skin_n,
            skin,
            skin_n,
            l,
            a,
            b,
            skin_lab: skin_lab.unwrap_or([60.0, 15.0, 15.0]).map(|v| v as f32),
            dog_a_small,
            dog_a_large,
            dog_l,
            up_a_small,
            up_a_large,
            up_l,
            down_l,
            dog_b: sub(&b1, &b3),
            da: sub(a, &a19),
            fine: sub(l, &l1),
            l1,
            l3,
            l8,
            a1,
            a3,
            a7,
            a19,
        }
    }

    /// Of the `found` peaks (`sign` +1) or troughs (-1) of `d`, those beyond `thr` that pass `keep(i)`.
    fn peaks(
        &self,
        found: &[usize],
        d: &[f32],
        sign: f32,
        thr: f32,
        mut keep: impl FnMut(usize) -> bool,
    ) -> usize {
        found
            .iter()
            .filter(|&&i| sign * d[i] > thr && keep(i))
            .count()
    }

    /// `ln(1 + count per 1000 skin px)`: a density of spots.
    fn density(&self, count: usize) -> f64 {
        (count as f64 * self.per_k).ln_1p()
    }

    /// The `q` quantile of `v` over the skin px.
    fn on_skin(&self, v: &[f32], q: f64) -> f64 {
        masked_quantiles(v, &self.skin, [q])[0] as f64
    }
}

/// `red_spots`, `red_area`, `red_contrast`, `bright_heads`: active acne as small red spots at two scales,
/// redness against the local skin, and bright heads with a red ring (domain.md §1, §6).
fn acne_spots(r: &Reading) -> [f64; 4] {
    let red_small = r.peaks(&r.up_a_small, &r.dog_a_small, 1.0, 4.0, |_| true);
    let red_large = r.peaks(&r.up_a_large, &r.dog_a_large, 1.0, 4.0, |_| true);
    let red_area =
        r.da.iter()
            .enumerate()
            .filter(|&(i, &v)| r.skin[i] && v > 6.0)
            .count() as f64
            / r.skin_n;
    let ring_red = |i: usize| r.a7.data[i] - r.a19.data[i] > 2.0;
    [
        r.density(red_small + red_large),
        red_area,
        r.on_skin(&r.da, 0.95),
        r.density(r.peaks(&r.up_l, &r.dog_l, 1.0, 5.0, ring_red)),
    ]
}

/// `dark_pits`, `brown_spots`: atrophic scars as shadowed pits that keep the skin's chromaticity
/// (domain.md §4), against small marks that are browner.
fn pits_and_marks(r: &Reading) -> [f64; 2] {
    let neutral = |i: usize| r.dog_a_small[i].abs() < 3.0 && r.dog_b[i].abs() < 3.0;
    [
        r.density(r.peaks(&r.down_l, &r.dog_l, -1.0, 4.0, neutral)),
        r.density(r.peaks(&r.down_l, &r.dog_l, -1.0, 3.0, |i| r.dog_b[i] > 2.0)),
    ]
}

/// `fine_texture`, `mid_texture`, `coarse_texture`: the spread of L* at three scales over the skin.
fn texture_scales(r: &Reading) -> [f64; 3] {
    [
        mad(&r.fine, &r.skin),
        mad(&r.dog_l, &r.skin),
        mad_of(masked_diff(&r.l3, &r.l8, &r.skin)),
    ]
}

/// `lesion_area` to `gloss`: raised scars as one large patch that differs from the skin in colour
/// (domain.md §1, §6), with its size, smoothness, shape, colour and highlights.
fn largest_patch(r: &Reading) -> [f64; 7] {
    let (l, a, b, skin_lab) = (r.l, r.a, r.b, r.skin_lab);
    let differs: Vec<bool> = (0..r.n)
        .map(|i| {
            let (dl, da_, db) = (
                l.data[i] - skin_lab[0],
                a.data[i] - skin_lab[1],
                b.data[i] - skin_lab[2],
            );
            let de = (0.25 * dl * dl + da_ * da_ + db * db).sqrt();
            de > 12.0
                && a.data[i] > 5.0
                && (r.a1.data[i] - skin_lab[1]).abs() + (r.l1.data[i] - skin_lab[0]).abs() * 0.5
                    > 8.0
        })
        .collect();
    let mut out = [0.0; 7];
    out[0] = differs.iter().filter(|&&d| d).count() as f64 / r.n as f64;
    let (labels, sizes, _) = crate::prepare::components(&differs, r.w, r.h, true);
    // Index 0 is the background; ties go to the component met first in raster order.
    let biggest = sizes
        .iter()
        .enumerate()
        .skip(1)
        .max_by_key(|&(i, s)| (*s, usize::MAX - i));
    let Some((big, &size)) = biggest.filter(|(_, &s)| s > 0) else {
        out[2] = 1.0;
        return out;
    };
    let inside: Vec<bool> = labels.iter().map(|&c| c == big as u32).collect();
    out[1] = size as f64 / r.n as f64;
    let ring: Vec<bool> = (0..r.n)
        .map(|i| r.skin[i] && !inside[i] && !differs[i])
        .collect();
    let (fi, fo) = (mad(&r.fine, &inside), mad(&r.fine, &ring));
    out[2] = if fo > 1e-3 { (fi / fo).min(5.0) } else { 1.0 };
    out[3] = elongation(&inside, r.w);
    let pick = |pl: &Plane| masked_median(&pl.data, &inside);
    out[4] = (pick(a) - skin_lab[1]) as f64;
    out[5] = (skin_lab[0] - pick(l)) as f64;
    let skin_c = (skin_lab[1].powi(2) + skin_lab[2].powi(2)).sqrt();
    let glossy = (0..r.n)
        .filter(|&i| {
            inside[i]
                && l.data[i] > skin_lab[0] + 15.0
                && (a.data[i].powi(2) + b.data[i].powi(2)).sqrt() < 0.5 * skin_c
        })
        .count();
    out[6] = glossy as f64 / size.max(1) as f64;
    out
}

/// `atrophic_regions`, `raised_regions`, `inflamed_regions`: what the lesion stages found one by one.
fn region_counts(regions: &[Region]) -> [f64; 3] {
    let count = |c: RegionClass| regions.iter().filter(|r| r.class == c).count() as f64;
    [
        count(RegionClass::Atrophic).ln_1p(),
        count(RegionClass::Hypertrophic).ln_1p(),
        count(RegionClass::Inflammatory).ln_1p(),
    ]
}

/// `red_spots_faint`, `red_spots_strong`: the small red spots split by strength.
fn red_spot_strengths(r: &Reading) -> [f64; 2] {
    let (small, large) = (
        (&r.up_a_small, &r.dog_a_small),
        (&r.up_a_large, &r.dog_a_large),
    );
    let faint = r.peaks(small.0, small.1, 1.0, 2.5, |i| r.dog_a_small[i] <= 4.0);
    let strong = r.peaks(small.0, small.1, 1.0, 7.0, |_| true)
        + r.peaks(large.0, large.1, 1.0, 7.0, |_| true);
    [r.density(faint), r.density(strong)]
}

/// `picture_a_high` to `picture_l_low`: the 90th and 10th percentiles of a*, b* and L* over the whole
/// picture against the skin's, from one copy per plane.
fn colour_percentiles(r: &Reading) -> [f64; 6] {
    let mut out = [0.0; 6];
    for (k, (pl, refv)) in [
        (r.a, r.skin_lab[1]),
        (r.b, r.skin_lab[2]),
        (r.l, r.skin_lab[0]),
    ]
    .into_iter()
    .enumerate()
    {
        let [hi, lo] = quantiles(&pl.data, [0.9, 0.1]);
        out[2 * k] = (hi - refv) as f64;
        out[2 * k + 1] = (lo - refv) as f64;
    }
    out
}

/// `skin_a_spread`, `skin_l_spread`, `dog_a_p99`, `dog_l_p01`, `dog_l_p99`: patchiness against the local
/// skin, and the sharpest red, dark and bright dots.
fn spreads_and_dots(r: &Reading) -> [f64; 5] {
    let l19 = gaussian_blur(r.l, 19.0);
    // One count of the L* DoG on the skin for both of its quantiles.
    let [dog_l01, dog_l99] = masked_quantiles(&r.dog_l, &r.skin, [0.01, 0.99]);
    [
        mad(&r.da, &r.skin),
        mad_of(masked_diff(r.l, &l19, &r.skin)),
        r.on_skin(&r.dog_a_small, 0.99),
        -(dog_l01 as f64),
        dog_l99 as f64,
    ]
}

/// `edge_fraction`: the share of skin px on a sharp L* edge (3 px blur).
fn edge_fraction(r: &Reading) -> f64 {
    let (w, l3) = (r.w, &r.l3);
    let mut edges = 0usize;
    for y in 1..r.h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let gx = 0.5 * (l3.data[i + 1] - l3.data[i - 1]);
            let gy = 0.5 * (l3.data[i + w] - l3.data[i - w]);
            if r.skin[i] && gx * gx + gy * gy > 4.0 {
                edges += 1;
            }
        }
    }
    edges as f64 / r.skin_n
}

/// The skin-like px of the picture (a* > 3), skin mask or not: what the large-scale features read.
fn skin_like(r: &Reading) -> Vec<bool> {
    (0..r.n).map(|i| r.a.data[i] > 3.0).collect()
}

/// `tile_a_range`, `tile_l_range`, `tile_a_spread`, `tile_l_spread`: large-scale colour layout over 8x8
/// tiles; one big lesion makes some tiles differ from the rest (domain.md §6).
fn tile_layout(r: &Reading) -> [f64; 4] {
    let like = skin_like(r);
    let (w, h) = (r.w, r.h);
    let tiles = |pl: &Plane| -> Vec<f32> {
        let mut t = Vec::new();
        for ty in 0..8 {
            for tx in 0..8 {
                let (x0, x1, y0, y1) = (tx * w / 8, (tx + 1) * w / 8, ty * h / 8, (ty + 1) * h / 8);
                let (mut s, mut c) = (0.0f32, 0usize);
                for y in y0..y1 {
                    for x in x0..x1 {
                        if like[y * w + x] {
                            s += pl.data[y * w + x];
                            c += 1;
                        }
                    }
                }
                if c * 4 >= (x1 - x0) * (y1 - y0) && c > 0 {
                    t.push(s / c as f32);
                }
            }
        }
        t
    };
    let (ta, tl) = (tiles(r.a), tiles(r.l));
    let all_true = vec![true; ta.len().max(tl.len())];
    let mut out = [0.0; 4];
    if ta.len() >= 4 {
        out[0] = (quantile(ta.clone(), 1.0) - median(ta.clone())) as f64;
        out[2] = mad(&ta, &all_true[..ta.len()]);
    }
    if tl.len() >= 4 {
        out[1] = (median(tl.clone()) - quantile(tl.clone(), 0.0)) as f64;
        out[3] = mad(&tl, &all_true[..tl.len()]);
    }
    out
}

/// `large_a_spread`, `fine_to_large`: redness that varies over large areas, and the fine texture
/// (`fine_texture`, given) against the large-scale lightness spread.
fn large_scale(r: &Reading, fine_texture: f64) -> [f64; 2] {
    let like = skin_like(r);
    let a8 = gaussian_blur(r.a, 8.0);
    let large_l = mad(&r.l8.data, &like);
    [
        mad(&a8.data, &like),
        if large_l > 1e-3 {
            (fine_texture / large_l).min(10.0)
        } else {
            0.0
        },
    ]
}

/// `hist_l0_a0` to `hist_l3_a3`: where the picture's colours lie against the skin, a coarse L* x a*
/// histogram.
fn colour_histogram(r: &Reading) -> [f64; 16] {
    let mut hist = [0.0f64; 16];
    for i in 0..r.n {
        let dl = r.l.data[i] - r.skin_lab[0];
        let dr = r.a.data[i] - r.skin_lab[1];
        let bl = if dl < -15.0 {
            0
        } else if dl < -5.0 {
            1
        } else if dl <= 5.0 {
            2
        } else {
            3
        };
        let ba = if dr < -3.0 {
            0
        } else if dr <= 3.0 {
            1
        } else if dr <= 9.0 {
            2
        } else {
            3
        };
        hist[bl * 4 + ba] += 1.0 / r.n as f64;
    }
    hist
}

/// `papules`: the red spots again, each read against its own ring of skin ([`super::papules`]); the
/// papules found are added to `spots`.
fn papules(r: &Reading, spots: &mut Vec<Spot>) -> f64 {
    let w = r.w;
    for (found, dog, (ca, cl), ring) in [
        (
            &r.up_a_small,
            &r.dog_a_small,
            (&r.a1, &r.l1),
            Ring { radius: 5.0 },
        ),
        (
            &r.up_a_large,
            &r.dog_a_large,
            (&r.a3, &r.l3),
            Ring { radius: 10.0 },
        ),
    ] {
        r.peaks(found, dog, 1.0, 2.5, |i| {
            let rise = papule_rise(i, ca, cl, &r.skin, ring);
            if let Some(rise) = rise {
                let (x, y, ring) = (i % w, i / w, ring.radius);
                spots.push(Spot { x, y, ring, rise });
            }
            rise.is_some()
        });
    }
    r.density(spots.len())
}

/// Histogram of uniform local binary patterns (Ojala et al. 2002: P = 8 neighbours on the square of
/// radius `r`, a neighbour counts as 1 when at least the centre's L* minus 0.5; codes 0-8 for patterns
/// with at most two 0/1 changes around the circle, 9 for the rest) over the masked px, as shares.
fn lbp_histogram(l: &Plane, mask: &[bool], r: usize) -> [f64; 10] {
    let (w, h) = (l.w, l.h);
    let mut hist = [0.0f64; 10];
    if w <= 2 * r || h <= 2 * r {
        return hist;
    }
    let (ri, wi) = (r as isize, w as isize);
    // Neighbour k as an index offset; the 8 comparisons as the bits of a byte (k-th bit = neighbour k).
    let offs: [isize; 8] = [
        (ri, 0),
        (ri, ri),
        (0, ri),
        (-ri, ri),
        (-ri, 0),
        (-ri, -ri),
        (0, -ri),
        (ri, -ri),
    ]
    .map(|(dx, dy)| dy * wi + dx);
    let mut total = 0.0;
    for y in r..h - r {
        let row = y * w + r..y * w + w - r;
        for (i, _) in row.clone().zip(&mask[row]).filter(|(_, &m)| m) {
            let c = l.data[i] - 0.5;
            let bits = (0..8).fold(0u8, |b, k| {
                b | (u8::from(l.data[(i as isize + offs[k]) as usize] >= c) << k)
            });
            // Bit k differs from bit k + 1 (cyclically) where the byte and its rotation differ.
            let changes = (bits ^ bits.rotate_right(1)).count_ones();
            let code = if changes <= 2 {
                bits.count_ones() as usize
            } else {
                9
            };
            hist[code] += 1.0;
            total += 1.0;
        }
    }
    if total > 0.0 {
        hist.iter_mut().for_each(|v| *v /= total);
    }
    hist
}

/// ln(long axis / short axis) of a mask from its second moments (0 for a disc).
fn elongation(mask: &[bool], w: usize) -> f64 {
    let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for (i, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
        n += 1.0;
        sx += (i % w) as f64;
        sy += (i / w) as f64;
    }
    if n < 3.0 {
        return 0.0;
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0);
    for (i, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
        let (dx, dy) = ((i % w) as f64 - mx, (i / w) as f64 - my);
        xx += dx * dx;
        yy += dy * dy;
        xy += dx * dy;
    }
    let (xx, yy, xy) = (xx / n, yy / n, xy / n);
    let tr = xx + yy;
    let det = (xx * yy - xy * xy).max(0.0);
    let disc = (tr * tr / 4.0 - det).max(0.0).sqrt();
    let (l1, l2) = (tr / 2.0 + disc, (tr / 2.0 - disc).max(1e-6));
    (0.5 * (l1 / l2).ln()).max(0.0)
}
