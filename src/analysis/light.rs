//! Light stage: the azimuth the light comes FROM, read from the shading of the skin's own small pits.
//!
//! Method (domain.md §4): pores are depressions all over the skin; in a depression the wall nearest the light
//! is dark and the far wall bright. For every small dark blob of the band-passed flattened luminance, the first
//! moment of the luminance around the blob points from dark to bright, i.e. *away* from the light. The mean of
//! these unit vectors (a circular mean) gives the direction; its length (the resultant, ~1/sqrt(N) for random
//! directions under flat frontal light) gives the confidence. The band-pass (difference of two Gaussians)
//! removes the linear ramps of the face's curvature, which would otherwise bias every moment.
//!
//! Second cue ("all lesions together", domain.md §4): when blur or JPEG wash the pores out, the lesions'
//! own first moments share the light's AXIS (a pit's points away from the light, a bump's towards it); the
//! pores' summed vectors projected on that axis, tested against their spread, still give the sign.
//!
//! Third cue, when the pores cannot sign that axis (a high light, JPEG): raised scars and active acne are red
//! (domain.md §1) and a bump's first moment points towards the light, so the red lesions give the sign; so do
//! the skin-coloured ones, atrophic scars (§1) whose first moment points away from it, when enough of them
//! agree.

use super::candidate::Candidate;
use crate::prepare::{gaussian_blur, Plane, Prepared};
use crate::profile::LightRules;

/// Estimated light direction in working-image terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LightEstimate {
    /// Unit vector in image coordinates (x right, y down) pointing from the skin TOWARDS the light.
    pub toward: [f64; 2],
    /// Azimuth in the contract's convention (0 = from the right, 90 = from the top, counter-clockwise).
    pub azimuth_deg: f64,
    /// Confidence 0..1.
    pub confidence: f64,
    /// Median first-moment amplitude of the pores along the light direction (log units): the pores' own
    /// shading strength, used to normalise depth proxies between photos.
    pub pore_amplitude: f64,
    /// Number of blobs used.
    pub blobs: usize,
    /// Sum of the blobs' unit dark-to-bright vectors (image axes).
    pub moment_sum: [f64; 2],
}

impl LightEstimate {
    /// No light direction found: zero confidence, nothing measured.
    pub fn none() -> Self {
        LightEstimate {
            toward: [0.0, 0.0],
            azimuth_deg: 0.0,
            confidence: 0.0,
            pore_amplitude: 0.0,
            blobs: 0,
            moment_sum: [0.0, 0.0],
        }
    }
}

/// Contract azimuth (degrees, [0, 360)) of an image-space vector pointing towards the light.
pub fn azimuth_of(toward: [f64; 2]) -> f64 {
    // Image y points down, the contract's angle is counter-clockwise as a viewer sees it: flip y.
    let a = (-toward[1]).atan2(toward[0]).to_degrees();
    let a = a.rem_euclid(360.0);
    if a >= 360.0 {
        0.0
    } else {
        a
    }
}

/// Image-space unit vector towards the light for a contract azimuth.
pub fn toward_of(azimuth_deg: f64) -> [f64; 2] {
    let r = azimuth_deg.to_radians();
    [r.cos(), -r.sin()]
}

/// Estimates the light direction from the prepared image: the pores' shading, and when that is weak (blur,
/// JPEG), the axis of the lesions' own shading (`lesions`: segmented regions) with the pores' sign along it.
pub fn estimate(p: &Prepared, rules: &LightRules, lesions: &[Candidate]) -> LightEstimate {
    let (pores, moments, k) = estimate_pores(p, rules);
    if pores.confidence >= rules.full_confidence_fallback
        || lesions.len() < rules.min_lesions_for_axis
    {
        return pores;
    }
    let shading = LesionShading::of(p, lesions, rules);
    let (c2, s2, nl) = (shading.c2, shading.s2, shading.n);
    if nl < rules.min_lesions_for_axis {
        return pores;
    }
    let axis_r = (c2 * c2 + s2 * s2).sqrt() / nl as f64;
    if axis_r < rules.min_axis_resultant {
        return pores;
    }
    let phi = 0.5 * s2.atan2(c2);
    let axis = [phi.cos(), phi.sin()];
    // Sign from the pores: their summed unit moments projected on the axis, against its spread under random
    // directions (sqrt(n/2)); the moments point away from the light.
    let proj = pores.moment_sum[0] * axis[0] + pores.moment_sum[1] * axis[1];
    let zsign = proj.abs() / ((pores.blobs as f64) / 2.0).sqrt().max(1e-9);
    if zsign < rules.min_sign_z {
        return colour_signed(
            &pores,
            &moments,
            k,
            axis,
            axis_r,
            &shading.red_moments,
            &shading.pit_moments,
            rules,
        );
    }
    let toward = if proj > 0.0 {
        [-axis[0], -axis[1]]
    } else {
        axis
    };
    let confidence = (axis_r * (zsign / (2.0 * rules.min_sign_z)).min(1.0))
        .clamp(0.0, 1.0)
        .max(pores.confidence);
    LightEstimate {
        toward,
        azimuth_deg: azimuth_of(toward),
        confidence,
        pore_amplitude: amplitude_along(&moments, k, toward),
        ..pores
    }
}

/// The lesions' shading: the axis their first moments share, and the moments of the red and the
/// skin-coloured ones.
struct LesionShading {
    /// Sums of the cosine and sine of the doubled moment angles, over the `n` lesions with a moment.
    c2: f64,
    s2: f64,
    n: usize,
    /// First moments of the red lesions (bumps).
    red_moments: Vec<[f64; 2]>,
    /// First moments of the skin-coloured lesions (pits).
    pit_moments: Vec<[f64; 2]>,
}

impl LesionShading {
    /// The shading of `lesions` in `p`.
    fn of(p: &Prepared, lesions: &[Candidate], rules: &LightRules) -> Self {
        // Axis from the lesions: a depression's first moment points away from the light, a bump's towards it,
        // so only the axis (doubled angle) is shared by all of them.
        let (mut c2, mut s2, mut nl) = (0.0f64, 0.0f64, 0usize);
        // Moments of the red lesions (bumps) and of the skin-coloured ones (pits), for the colour sign
        // (`colour_signed`).
        let mut red_moments: Vec<[f64; 2]> = Vec::new();
        let mut pit_moments: Vec<[f64; 2]> = Vec::new();
        for l in lesions {
            let sums = LesionSums::of(p, l);
            let (mx, my) = (sums.mx, sums.my);
            match sums.colour(rules) {
                Some(LesionColour::Red) => red_moments.push([mx, my]),
                Some(LesionColour::Skin) => pit_moments.push([mx, my]),
                None => {}
            }
            if mx != 0.0 || my != 0.0 {
                let a = 2.0 * my.atan2(mx);
                c2 += a.cos();
                s2 += a.sin();
                nl += 1;
            }
        }
        LesionShading {
            c2,
            s2,
            n: nl,
            red_moments,
            pit_moments,
        }
    }
}

/// A lesion's colour class, as far as it signs the light.
enum LesionColour {
    /// Red: a raised scar or active acne, a bump.
    Red,
    /// The surrounding skin's own colour: an atrophic scar, a pit.
    Skin,
}

/// One lesion's sums over the skin within 1.5 radii of it: the first moment of the flattened luminance, and
/// the a* residual and log chromaticity inside its radius and in the ring beyond.
struct LesionSums {
    mx: f64,
    my: f64,
    red_sum: f64,
    red_n: usize,
    chroma_in: [f64; 2],
    chroma_out: [f64; 2],
    ring_n: usize,
}

impl LesionSums {
    /// The sums of lesion `l` in `p`.
    fn of(p: &Prepared, l: &Candidate) -> Self {
        let r = 1.5 * l.radius.max(1.0);
        let (x0, x1) = (
            ((l.x - r).floor().max(0.0)) as usize,
            ((l.x + r).ceil() as usize).min(p.w - 1),
        );
        let (y0, y1) = (
            ((l.y - r).floor().max(0.0)) as usize,
            ((l.y + r).ceil() as usize).min(p.h - 1),
        );
        let (mut mx, mut my) = (0.0f64, 0.0f64);
        let (mut red_sum, mut red_n) = (0.0f64, 0usize);
        // Log chromaticity (ln R/G, ln G/B) inside the lesion and in the ring around it.
        let (mut chroma_in, mut chroma_out, mut ring_n) = ([0.0f64; 2], [0.0f64; 2], 0usize);
        let r_in = l.radius.max(1.0);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x as f64 - l.x, y as f64 - l.y);
                let i = y * p.w + x;
                if dx * dx + dy * dy <= r * r && p.mask[i] {
                    mx += p.resid.data[i] as f64 * dx;
                    my += p.resid.data[i] as f64 * dy;
                    let chroma = log_chroma(p, i);
                    if dx * dx + dy * dy <= r_in * r_in {
                        red_sum += p.red_resid.data[i] as f64;
                        red_n += 1;
                        chroma_in[0] += chroma[0];
                        chroma_in[1] += chroma[1];
                    } else {
                        chroma_out[0] += chroma[0];
                        chroma_out[1] += chroma[1];
                        ring_n += 1;
                    }
                }
            }
        }
        LesionSums {
            mx,
            my,
            red_sum,
            red_n,
            chroma_in,
            chroma_out,
            ring_n,
        }
    }

    /// The lesion's colour class: red, skin-coloured, or neither (brown, or too few pixels to tell).
    fn colour(&self, rules: &LightRules) -> Option<LesionColour> {
        let (red_n, ring_n) = (self.red_n, self.ring_n);
        if red_n > 0 && self.red_sum / red_n as f64 >= rules.red_lesion_delta_a {
            Some(LesionColour::Red)
        } else if red_n > 0 && ring_n > 0 {
            // Shading scales R, G and B alike: a lesion with the ring's own chromaticity (neither brown nor
            // red) is skin-coloured, which the atrophic scars are (domain.md §1).
            let neutral = (0..2).all(|c| {
                (self.chroma_in[c] / red_n as f64 - self.chroma_out[c] / ring_n as f64).abs()
                    < rules.neutral_lesion_chromaticity
            });
            neutral.then_some(LesionColour::Skin)
        } else {
            None
        }
    }
}

/// The log chromaticity (ln R/G, ln G/B) of pixel `i`.
fn log_chroma(p: &Prepared, i: usize) -> [f64; 2] {
    let (r, g, b) = (
        p.rgb[0].data[i] as f64 + 1e-3,
        p.rgb[1].data[i] as f64 + 1e-3,
        p.rgb[2].data[i] as f64 + 1e-3,
    );
    [(r / g).ln(), (g / b).ln()]
}

/// The lesion axis signed by the lesions' colour (a red bump's moment points towards the light, a
/// skin-coloured pit's away from it), or the pores' own estimate when the votes are too few or disagree.
#[allow(clippy::too_many_arguments)]
fn colour_signed(
    pores: &LightEstimate,
    moments: &[[f64; 2]],
    k: f64,
    axis: [f64; 2],
    axis_r: f64,
    red_moments: &[[f64; 2]],
    pit_moments: &[[f64; 2]],
    rules: &LightRules,
) -> LightEstimate {
    // Votes for the light lying along +axis (plus) or -axis (minus).
    let (mut plus, mut minus) = (0usize, 0usize);
    let votes = red_moments
        .iter()
        .map(|m| (m, 1.0))
        .chain(pit_moments.iter().map(|m| (m, -1.0)));
    for (m, side) in votes {
        let norm = (m[0] * m[0] + m[1] * m[1]).sqrt();
        if norm <= 0.0 {
            continue;
        }
        // Only moments close to the axis vote: a lesion lit across its moment is no evidence.
        let c = side * (m[0] * axis[0] + m[1] * axis[1]) / norm;
        if c >= 0.7 {
            plus += 1;
        } else if c <= -0.7 {
            minus += 1;
        }
    }
    let votes = plus + minus;
    if votes < rules.min_red_votes
        || (plus.max(minus) as f64) < rules.min_red_agreement * votes as f64
    {
        return *pores;
    }
    let toward = if plus > minus {
        axis
    } else {
        [-axis[0], -axis[1]]
    };
    LightEstimate {
        toward,
        azimuth_deg: azimuth_of(toward),
        confidence: (rules.red_sign_confidence * axis_r).max(pores.confidence),
        pore_amplitude: amplitude_along(moments, k, toward),
        ..*pores
    }
}

/// Light direction from the pores alone.
fn estimate_pores(p: &Prepared, rules: &LightRules) -> (LightEstimate, Vec<[f64; 2]>, f64) {
    let sigma = match p.px_per_mm {
        Some(s) => (rules.pore_sigma_mm * s) as f32,
        None => rules.pore_sigma_px as f32,
    }
    .max(0.8);
    let none = LightEstimate::none();
    if p.w < 8 || p.h < 8 {
        return (none, Vec::new(), 0.0);
    }
    let (band, blob) = band_pass(p, sigma);
    let Some(spread) = blob_spread(p, &blob) else {
        return (none, Vec::new(), 0.0);
    };
    let thr = -(rules.blob_z as f32) * spread;
    let win = (2.5 * sigma).ceil().max(2.0) as isize;
    let cands = dark_blobs(p, &blob, thr, win);
    let step = (cands.len() / rules.max_blobs.max(1)).max(1);
    let ([sx, sy], moments) = pore_moments(p, &band, &cands, step, win);
    let n = moments.len();
    if n < 8 {
        return (LightEstimate { blobs: n, ..none }, Vec::new(), 0.0);
    }
    let (toward, confidence) = pore_light([sx, sy], n, rules);
    // Pores' shading amplitude along the light: first moment per unit second moment, times the window.
    let k = win as f64 / second_moment(win);
    let pore_amplitude = amplitude_along(&moments, k, toward);
    (
        LightEstimate {
            toward,
            azimuth_deg: azimuth_of(toward),
            confidence,
            pore_amplitude,
            blobs: n,
            moment_sum: [sx, sy],
        },
        moments,
        k,
    )
}

/// The band-passed flattened luminance (difference of Gaussians around the pore size `sigma`) and its blur
/// at `sigma`, the blob response.
fn band_pass(p: &Prepared, sigma: f32) -> (Plane, Plane) {
    let fine = gaussian_blur(&p.resid, (sigma * 0.5).max(0.5));
    let coarse = gaussian_blur(&p.resid, sigma * 4.0);
    let band = Plane {
        w: p.w,
        h: p.h,
        data: fine
            .data
            .iter()
            .zip(&coarse.data)
            .map(|(a, b)| a - b)
            .collect(),
    };
    let blob = gaussian_blur(&band, sigma);
    (band, blob)
}

/// The robust spread of the blob response over a sample of the skin; `None` with too little skin.
fn blob_spread(p: &Prepared, blob: &Plane) -> Option<f32> {
    let stride = ((p.w * p.h) / 200_000).max(1);
    let mask = &p.mask[..p.w * p.h];
    let mut vals = crate::analysis::detect::skin_sample(mask, stride, |i| blob.data[i].abs());
    if vals.len() < 16 {
        return None;
    }
    let med = crate::select::upper_median(&mut vals);
    Some((med * 1.4826).max(1e-6))
}

/// The dark blobs: skin pixels at least `win` px inside the image whose blob response is at most `thr` and
/// a minimum of its 3 × 3 neighbourhood, in raster order.
fn dark_blobs(p: &Prepared, blob: &Plane, thr: f32, win: isize) -> Vec<usize> {
    let mut cands: Vec<usize> = Vec::new();
    for y in win as usize..p.h.saturating_sub(win as usize) {
        for x in win as usize..p.w.saturating_sub(win as usize) {
            let i = y * p.w + x;
            let v = blob.data[i];
            if !p.mask[i] || v > thr {
                continue;
            }
            let mut is_min = true;
            'n: for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    if (dx != 0 || dy != 0) && blob.at_clamped(x as isize + dx, y as isize + dy) < v
                    {
                        is_min = false;
                        break 'n;
                    }
                }
            }
            if is_min {
                cands.push(i);
            }
        }
    }
    cands
}

/// The first moments of the band-passed luminance within `win` px of every `step`-th blob of `cands` lying
/// wholly on the skin, and the sum of their unit vectors.
fn pore_moments(
    p: &Prepared,
    band: &Plane,
    cands: &[usize],
    step: usize,
    win: isize,
) -> ([f64; 2], Vec<[f64; 2]>) {
    let (mut sx, mut sy) = (0.0f64, 0.0f64);
    let mut moments: Vec<[f64; 2]> = Vec::new();
    for &i in cands.iter().step_by(step) {
        let (cx, cy) = ((i % p.w) as isize, (i / p.w) as isize);
        let (mut mx, mut my) = (0.0f64, 0.0f64);
        let mut ok = true;
        for dy in -win..=win {
            for dx in -win..=win {
                if dx * dx + dy * dy > win * win {
                    continue;
                }
                let j = ((cy + dy) as usize) * p.w + (cx + dx) as usize;
                if !p.mask[j] {
                    ok = false;
                }
                let v = band.data[j] as f64;
                mx += v * dx as f64;
                my += v * dy as f64;
            }
        }
        let len = (mx * mx + my * my).sqrt();
        if !ok || len <= 1e-12 {
            continue;
        }
        sx += mx / len;
        sy += my / len;
        moments.push([mx, my]);
    }
    ([sx, sy], moments)
}

/// The light direction (towards it) and its confidence from the sum `sum` of `n` pores' unit moments.
fn pore_light(sum: [f64; 2], n: usize, rules: &LightRules) -> ([f64; 2], f64) {
    let (mx, my) = (sum[0] / n as f64, sum[1] / n as f64);
    let resultant = (mx * mx + my * my).sqrt();
    // The moment points dark -> bright, i.e. away from the light.
    let toward = if resultant > 0.0 {
        [-mx / resultant, -my / resultant]
    } else {
        [0.0, 0.0]
    };
    // Subtract the resultant expected from random directions so flat light reads near 0.
    let noise = 2.0 / (n as f64).sqrt();
    let confidence =
        ((resultant - noise) / (rules.full_confidence_resultant - noise).max(1e-6)).clamp(0.0, 1.0);
    (toward, confidence)
}

/// The second moment Σ dx² of the disc of radius `win` px.
fn second_moment(win: isize) -> f64 {
    let mut s = 0.0;
    for dy in -win..=win {
        for dx in -win..=win {
            if dx * dx + dy * dy <= win * win {
                s += (dx * dx) as f64;
            }
        }
    }
    s
}

/// Median shading amplitude of the pores along a direction (moment per unit second moment times window).
fn amplitude_along(moments: &[[f64; 2]], k: f64, toward: [f64; 2]) -> f64 {
    if moments.is_empty() {
        return 0.0;
    }
    let mut amps: Vec<f64> = moments
        .iter()
        .map(|m| (m[0] * toward[0] + m[1] * toward[1]).abs() * k)
        .collect();
    let mid = amps.len() / 2;
    *amps.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azimuth_convention() {
        assert!((azimuth_of([1.0, 0.0]) - 0.0).abs() < 1e-9);
        assert!((azimuth_of([0.0, -1.0]) - 90.0).abs() < 1e-9);
        assert!((azimuth_of([-1.0, 0.0]) - 180.0).abs() < 1e-9);
        assert!((azimuth_of([0.0, 1.0]) - 270.0).abs() < 1e-9);
        for a in [0.0, 33.0, 145.0, 300.0] {
            assert!((azimuth_of(toward_of(a)) - a).abs() < 1e-9);
        }
    }
}
