//! Pair relief index: how much shading relief the scars show in each photo, measured on the *aligned* pair at
//! the same places and normalised by each photo's own pore texture.
//!
//! Why: a single photo's depth proxy depends on the light (azimuth, elevation) and on what the detector
//! happened to find; between two photos that noise is large (measured: ±25–60 % on re-lit renders of one
//! scene, see [`super::changes`]). With the photos registered, both can be measured at exactly the same scar
//! locations, and two physical facts remove the light:
//! - Shading of a radially symmetric pit or bump is *odd* under point reflection about its centre (the bright
//!   and dark walls swap, domain.md §4), while a lesion's colour is *even*. The odd energy
//!   `Σ ((hp(c+u) − hp(c−u)) / 2)²` over a disc therefore keeps relief, drops colour, and does not depend on
//!   the light's azimuth.
//! - For small slopes, shading contrast scales with slope × a factor of the light elevation that is the same
//!   for pores and scars; dividing by the photo's median pore-texture energy (`hp²` away from lesions, where
//!   the treatment does not act) cancels that factor and the exposure.
//!
//! `relief_index = sqrt(Σ_places E_odd / pore_amplitude²)`; its after/before ratio tracks the ratio of depths.

use image::RgbImage;

use super::geometry::{warp_rgb, Affine};
use super::gray::Gray;

/// A place to measure: centre and disc radius in before-frame px.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    /// Centre `[x, y]`, before-frame px.
    pub center: [f64; 2],
    /// Radius of the measuring disc, px.
    pub radius: f64,
}

/// Relief measured on both photos at the same spots.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliefMeasure {
    /// Pair-level index of the before photo.
    pub before: f64,
    /// Pair-level index of the after photo.
    pub after: f64,
    /// Per-spot after/before ratio of `sqrt(E_odd)` (pore-normalised), `None` where the before spot is flat.
    pub spot_ratio: Vec<Option<f64>>,
}

/// Relative high-pass `(L − box_R(L)) / box_R(L)` of a lightly smoothed luminance (box mean from an integral
/// image, so any radius costs the same).
fn highpass(l: &Gray, radius: usize) -> Gray {
    let s = l.blur(0.7);
    let (w, h) = (s.w, s.h);
    let mut ii = vec![0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0f64;
        for x in 0..w {
            row += s.data[y * w + x] as f64;
            ii[(y + 1) * (w + 1) + x + 1] = ii[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = Gray::filled(w, h, 0.0);
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
            let sum = ii[y1 * (w + 1) + x1] - ii[y0 * (w + 1) + x1] - ii[y1 * (w + 1) + x0]
                + ii[y0 * (w + 1) + x0];
            let mean = sum / ((x1 - x0) * (y1 - y0)) as f64;
            out.data[y * w + x] = ((s.data[y * w + x] as f64 - mean) / (mean + 4.0)) as f32;
        }
    }
    out
}

/// Odd (point-reflection antisymmetric) energy per pixel inside a disc; `None` if the disc leaves the valid area.
fn odd_energy(hp: &Gray, valid: &[bool], spot: &Spot) -> Option<f64> {
    let r = spot.radius.max(2.0);
    let ri = r.ceil() as i64;
    let (cx, cy) = (spot.center[0].round() as i64, spot.center[1].round() as i64);
    let (w, h) = (hp.w as i64, hp.h as i64);
    let mut sum = 0.0;
    let mut n = 0usize;
    let mut outside = 0usize;
    for dy in -ri..=ri {
        for dx in -ri..=ri {
            if (dx * dx + dy * dy) as f64 > r * r {
                continue;
            }
            let (x1, y1, x2, y2) = (cx + dx, cy + dy, cx - dx, cy - dy);
            if x1 < 0 || y1 < 0 || x2 < 0 || y2 < 0 || x1 >= w || y1 >= h || x2 >= w || y2 >= h {
                outside += 1;
                continue;
            }
            let (i1, i2) = ((y1 * w + x1) as usize, (y2 * w + x2) as usize);
            if !valid[i1] || !valid[i2] {
                outside += 1;
                continue;
            }
            let a = 0.5 * (hp.data[i1] - hp.data[i2]) as f64;
            sum += a * a;
            n += 1;
        }
    }
    // A disc mostly outside the shared area is not measured rather than measured on a sliver.
    if n == 0 || outside > n / 4 {
        return None;
    }
    Some(sum / n as f64)
}

/// Median `hp²` over valid pixels outside every spot (×1.5): the pore/skin texture reference.
fn texture_reference(hp: &Gray, valid: &[bool], spots: &[Spot]) -> f64 {
    let mut excluded = vec![false; hp.w * hp.h];
    for s in spots {
        let r = 1.5 * s.radius + 2.0;
        let (x0, x1) = (
            (s.center[0] - r).floor().max(0.0) as usize,
            ((s.center[0] + r).ceil() as usize).min(hp.w),
        );
        let (y0, y1) = (
            (s.center[1] - r).floor().max(0.0) as usize,
            ((s.center[1] + r).ceil() as usize).min(hp.h),
        );
        for y in y0..y1 {
            for x in x0..x1 {
                if (x as f64 - s.center[0]).powi(2) + (y as f64 - s.center[1]).powi(2) <= r * r {
                    excluded[y * hp.w + x] = true;
                }
            }
        }
    }
    let mut v: Vec<f32> = Vec::new();
    for y in (0..hp.h).step_by(2) {
        for x in (0..hp.w).step_by(2) {
            let i = y * hp.w + x;
            if valid[i] && !excluded[i] {
                v.push(hp.data[i] * hp.data[i]);
            }
        }
    }
    if v.is_empty() {
        return f64::NAN;
    }
    let mid = v.len() / 2;
    v.select_nth_unstable_by(mid, f32::total_cmp);
    // For Gaussian texture the median of x² is 0.455 σ²: this is a robust estimate of the variance.
    v[mid] as f64 / 0.455
}

/// Measures the relief index of both photos at `spots` (before frame); `map` takes before px to after px.
///
/// `pores` are the two photos' pore shading amplitudes (from the analysis' light estimate): the reference that
/// cancels the light elevation. Each spot's odd energy has the background texture's floor (half its variance,
/// the odd energy of structureless texture) removed first, so noise does not pull every ratio towards 1.
pub fn measure(
    before: &RgbImage,
    after: &RgbImage,
    map: &Affine,
    spots: &[Spot],
    pores: (f64, f64),
) -> ReliefMeasure {
    let (w, h) = before.dimensions();
    let (warped, mask) = warp_rgb(after, map, w, h, [0, 0, 0]);
    let lb = Gray::luma(before);
    let la = Gray::luma(&warped);
    // Background box wider than the largest spot, so a scar's own walls are not flattened away.
    let max_r = spots.iter().map(|s| s.radius).fold(0.0, f64::max);
    let radius = ((2.0 * max_r).max(8.0) as usize).min((w.min(h) as usize / 4).max(2));
    let hb = highpass(&lb, radius);
    let ha = highpass(&la, radius);
    // Both photos are measured on the same pixels: those the after photo covers.
    let (pb, pa) = (pores.0 * pores.0, pores.1 * pores.1);
    let floor_b = 0.5 * texture_reference(&hb, &mask, spots);
    let floor_a = 0.5 * texture_reference(&ha, &mask, spots);
    let mut sb = 0.0;
    let mut sa = 0.0;
    let mut ratios = Vec::with_capacity(spots.len());
    for s in spots {
        match (odd_energy(&hb, &mask, s), odd_energy(&ha, &mask, s)) {
            (Some(eb), Some(ea))
                if pb > 0.0 && pa > 0.0 && floor_b.is_finite() && floor_a.is_finite() =>
            {
                let (nb, na) = ((eb - floor_b).max(0.0) / pb, (ea - floor_a).max(0.0) / pa);
                sb += nb;
                sa += na;
                ratios.push(if nb > 0.0 {
                    Some((na / nb).sqrt())
                } else {
                    None
                });
            }
            _ => ratios.push(None),
        }
    }
    ReliefMeasure {
        before: sb.sqrt(),
        after: sa.sqrt(),
        spot_ratio: ratios,
    }
}
