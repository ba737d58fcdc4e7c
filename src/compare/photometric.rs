//! Photometric normalisation: per-channel gains that match the after photo's exposure and white balance to the
//! before photo's, measured on the area both show.
//!
//! Method: warp the after photo into the before frame with the registration, take the per-channel *median* of
//! both over the shared, unclipped pixels (a median ignores the lesions and glare that differ between the
//! photos), and set `gain_c = median_before_c / median_after_c`. A brighter or warmer second photo is thus not
//! read as "less red" or "shallower". Medians come from 256-bin histograms, so they are exact and deterministic.

use image::RgbImage;

use super::geometry::{warp_rgb, Affine};
use super::profile::NormalisationParams;

/// Gains measured for the after photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gains {
    /// Multipliers for R, G, B of the after photo.
    pub rgb: [f64; 3],
    /// After brightness / before brightness (Rec. 601 luma of the channel medians), before correction.
    pub exposure_ratio: f64,
    /// Shared pixels used.
    pub pixels: u64,
}

fn median_of_hist(h: &[u64; 256]) -> f64 {
    let n: u64 = h.iter().sum();
    if n == 0 {
        return f64::NAN;
    }
    // Interpolated median within the bin, so small exposure changes move it smoothly.
    let half = n as f64 / 2.0;
    let mut acc = 0u64;
    for (v, &c) in h.iter().enumerate() {
        if c > 0 && (acc + c) as f64 >= half {
            return v as f64 - 0.5 + (half - acc as f64) / c as f64;
        }
        acc += c;
    }
    255.0
}

/// Measures the gains that bring `after` to `before`'s colours; `map` takes before px to after px.
pub fn measure(
    before: &RgbImage,
    after: &RgbImage,
    map: &Affine,
    p: &NormalisationParams,
) -> Gains {
    let (warped, mask) = warp_rgb(after, map, before.width(), before.height(), [0, 0, 0]);
    let mut hb = [[0u64; 256]; 3];
    let mut ha = [[0u64; 256]; 3];
    let mut pixels = 0u64;
    let ok = |v: u8| v > p.clip_low && v < p.clip_high;
    for ((pb, pa), &m) in before.pixels().zip(warped.pixels()).zip(&mask) {
        if !m || !(0..3).all(|c| ok(pb[c]) && ok(pa[c])) {
            continue;
        }
        for c in 0..3 {
            hb[c][pb[c] as usize] += 1;
            ha[c][pa[c] as usize] += 1;
        }
        pixels += 1;
    }
    let mb: Vec<f64> = hb.iter().map(median_of_hist).collect();
    let ma: Vec<f64> = ha.iter().map(median_of_hist).collect();
    let mut rgb = [1.0; 3];
    // A profile's `max_gain` below 1 (or NaN) would make a reversed clamp range, which panics: read it as 1.
    let max_gain = p.max_gain.max(1.0);
    for c in 0..3 {
        let g = mb[c] / ma[c];
        if g.is_finite() && g > 0.0 {
            rgb[c] = g.clamp(1.0 / max_gain, max_gain);
        }
    }
    let luma = |m: &[f64]| 0.299 * m[0] + 0.587 * m[1] + 0.114 * m[2];
    let er = luma(&ma) / luma(&mb);
    Gains {
        rgb,
        exposure_ratio: if er.is_finite() { er } else { 1.0 },
        pixels,
    }
}

/// The after photo with the gains applied (rounded, clamped to 0..255).
pub fn apply(after: &RgbImage, g: &Gains) -> RgbImage {
    let mut out = after.clone();
    for px in out.pixels_mut() {
        for c in 0..3 {
            px[c] = (px[c] as f64 * g.rgb[c]).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn gains_undo_a_colour_cast() {
        let mut s = 7u64;
        let before = RgbImage::from_fn(64, 64, |x, y| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            let n = ((s >> 40) % 40) as u8;
            Rgb([
                150 + n + (x % 7) as u8,
                110 + n / 2 + (y % 5) as u8,
                90 + n / 3,
            ])
        });
        let cast = Gains {
            rgb: [1.25, 1.1, 0.8],
            exposure_ratio: 1.0,
            pixels: 0,
        };
        let after = apply(&before, &cast);
        let g = measure(
            &before,
            &after,
            &Affine::IDENTITY,
            &NormalisationParams::default(),
        );
        for c in 0..3 {
            assert!(
                (g.rgb[c] * cast.rgb[c] - 1.0).abs() < 0.02,
                "channel {c}: {:?}",
                g.rgb
            );
        }
        assert!(g.exposure_ratio > 1.0);
        assert_eq!(g.pixels, 64 * 64);
        // A profile's max_gain below 1 or NaN must not panic (a reversed clamp range): no correction.
        for max_gain in [0.5, f64::NAN] {
            let p = NormalisationParams {
                max_gain,
                ..NormalisationParams::default()
            };
            let g = measure(&before, &after, &Affine::IDENTITY, &p);
            assert_eq!(g.rgb, [1.0; 3]);
        }
    }
}
