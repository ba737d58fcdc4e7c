//! Light stage: the azimuth the light comes FROM, read from the shading of the skin's own small pits.
//!
//! Method (domain.md §4): pores are depressions all over the skin; in a depression the wall nearest the light
//! is dark and the far wall bright. For every small dark blob of the band-passed flattened luminance, the first
//! moment of the luminance around the blob points from dark to bright, i.e. *away* from the light. The mean of
//! these unit vectors (a circular mean) gives the direction; its length (the resultant, ~1/sqrt(N) for random
//! directions under flat frontal light) gives the confidence. The band-pass (difference of two Gaussians)
//! removes the linear ramps of the face's curvature, which would otherwise bias every moment.

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

/// Estimates the light direction from the prepared image.
pub fn estimate(p: &Prepared, rules: &LightRules) -> LightEstimate {
    let sigma = match p.px_per_mm {
        Some(s) => (rules.pore_sigma_mm * s) as f32,
        None => rules.pore_sigma_px as f32,
    }
    .max(0.8);
    let none = LightEstimate {
        toward: [0.0, 0.0],
        azimuth_deg: 0.0,
        confidence: 0.0,
        pore_amplitude: 0.0,
        blobs: 0,
    };
    if p.w < 8 || p.h < 8 {
        return none;
    }
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
    // Robust spread of the blob response over skin.
    let mut vals: Vec<f32> = Vec::new();
    let stride = ((p.w * p.h) / 200_000).max(1);
    for i in (0..p.w * p.h).step_by(stride) {
        if p.mask[i] {
            vals.push(blob.data[i].abs());
        }
    }
    if vals.len() < 16 {
        return none;
    }
    let m = vals.len() / 2;
    let (_, med, _) = vals.select_nth_unstable_by(m, |a, b| a.total_cmp(b));
    let spread = (*med * 1.4826).max(1e-6);
    let thr = -(rules.blob_z as f32) * spread;
    let win = (2.5 * sigma).ceil().max(2.0) as isize;
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
    let step = (cands.len() / rules.max_blobs.max(1)).max(1);
    let (mut sx, mut sy, mut n) = (0.0f64, 0.0f64, 0usize);
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
        n += 1;
        moments.push([mx, my]);
    }
    if n < 8 {
        return LightEstimate { blobs: n, ..none };
    }
    let (mx, my) = (sx / n as f64, sy / n as f64);
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
    // Pores' shading amplitude along the light: first moment per unit second moment, times the window.
    let sec: f64 = {
        let mut s = 0.0;
        for dy in -win..=win {
            for dx in -win..=win {
                if dx * dx + dy * dy <= win * win {
                    s += (dx * dx) as f64;
                }
            }
        }
        s
    };
    let mut amps: Vec<f64> = moments
        .iter()
        .map(|m| ((m[0] * toward[0] + m[1] * toward[1]).abs() / sec) * win as f64)
        .collect();
    let mid = amps.len() / 2;
    let (_, a, _) = amps.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    LightEstimate {
        toward,
        azimuth_deg: azimuth_of(toward),
        confidence,
        pore_amplitude: *a,
        blobs: n,
    }
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
