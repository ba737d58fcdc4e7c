//! Skin tones by ITA° band (domain.md §4) and the CIELAB → linear sRGB conversion (D65) used for albedo.
use super::rng::SplitMix64;

/// Skin tone band by ITA° = atan((L* − 50) / b*) · 180/π (domain.md §4): the analysis's own bands, so the
/// renderer and the report cannot disagree on a boundary.
pub use crate::colour::ItaBand as SkinTone;

impl SkinTone {
    /// Draws a CIELAB skin colour inside the band: ITA° from the band's core (kept off the boundaries so
    /// shading and noise do not move the median across one), b* from a plausible range, L* from both.
    pub fn draw_lab(self, rng: &mut SplitMix64) -> [f64; 3] {
        let (ita_lo, ita_hi, b_lo, b_hi) = match self {
            SkinTone::VeryLight => (58.0, 64.0, 11.0, 15.0),
            SkinTone::Light => (44.0, 52.0, 14.0, 18.0),
            SkinTone::Intermediate => (31.0, 38.0, 15.0, 19.0),
            SkinTone::Tan => (14.0, 24.0, 16.0, 21.0),
            SkinTone::Brown => (-22.0, 4.0, 16.0, 22.0),
            SkinTone::Dark => (-56.0, -42.0, 10.0, 14.0),
        };
        let ita = rng.range(ita_lo, ita_hi);
        let b = rng.range(b_lo, b_hi);
        let l = 50.0 + b * ita.to_radians().tan();
        let a = rng.range(10.0, 15.0);
        [l, a, b]
    }
}

/// ITA° of a CIELAB colour.
pub fn ita_deg(lab: [f64; 3]) -> f64 {
    ((lab[0] - 50.0) / lab[2]).atan().to_degrees()
}

/// CIELAB (D65 white) to linear sRGB, each channel clamped to [0, 1].
pub fn lab_to_linear_rgb(lab: [f64; 3]) -> [f32; 3] {
    let [l, a, b] = lab;
    let fy = (l + 16.0) / 116.0;
    let fx = fy + a / 500.0;
    let fz = fy - b / 200.0;
    let finv = |t: f64| {
        let d = 6.0 / 29.0;
        if t > d {
            t * t * t
        } else {
            3.0 * d * d * (t - 4.0 / 29.0)
        }
    };
    let (xn, yn, zn) = (0.95047, 1.0, 1.08883);
    let x = xn * finv(fx);
    let y = yn * finv(fy);
    let z = zn * finv(fz);
    let r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
    let g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
    let bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
    [
        r.clamp(0.0, 1.0) as f32,
        g.clamp(0.0, 1.0) as f32,
        bl.clamp(0.0, 1.0) as f32,
    ]
}

/// Linear sRGB to the sRGB transfer curve (both in [0, 1]).
pub fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        12.92 * v
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// sRGB transfer curve to linear (both in [0, 1]).
pub fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_colours_stay_in_their_band() {
        let mut rng = SplitMix64::new(11);
        for tone in SkinTone::ALL {
            for _ in 0..50 {
                let lab = tone.draw_lab(&mut rng);
                assert_eq!(SkinTone::from_ita(ita_deg(lab)), tone, "{lab:?}");
                assert!(lab[0] > 25.0 && lab[0] < 85.0, "{lab:?}");
            }
        }
    }

    #[test]
    fn lab_white_and_mid_grey() {
        let w = lab_to_linear_rgb([100.0, 0.0, 0.0]);
        assert!(w.iter().all(|&c| (c - 1.0).abs() < 1e-3), "{w:?}");
        let g = lab_to_linear_rgb([50.0, 0.0, 0.0]);
        // L* 50 is sRGB 119/255.
        assert!((linear_to_srgb(g[1]) * 255.0 - 119.0).abs() < 1.0, "{g:?}");
        assert!((srgb_to_linear(linear_to_srgb(0.3)) - 0.3).abs() < 1e-5);
    }

    #[test]
    fn names_round_trip() {
        for t in SkinTone::ALL {
            assert_eq!(SkinTone::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap_or_default(),
                format!("\"{}\"", t.as_str())
            );
        }
    }
}
