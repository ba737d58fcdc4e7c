//! Floor darkening: how much darker the atrophic scars' floors are than the skin around them, in each photo
//! of a registered pair, read at the same places.
//!
//! Definition: for a scar of radius `R` (before px) at `c`, `E = mean ln Y(disc of radius k·R) − mean ln
//! Y(annulus a₀·R … a₁·R)` on linear-light luminance `Y` of one photo, in its own pixel frame; the pair's
//! level in each photo is the mean of `E` over the scars weighted by `|E|` (averaged over both photos).
//!
//! Why: the odd (lit-wall against shadowed-wall) contrast that [`super::relief`] reads scales with
//! `depth × cot(light elevation)`, and no single photo can tell the two apart (the bas-relief ambiguity of
//! Lambertian shading). A pit's floor is darker than the skin around it because the cavity sees less of the
//! light (occlusion and self-shadow) and because of its colour; the colour is the same in both photos and
//! cancels in the change, and the occlusion follows the depth but not the light's direction. So a real
//! change of depth moves `E`, and a re-lit repeat photo mostly does not. Measured on rendered pairs
//! (`tests/compare_darkening.rs`; scenes 300–329, 101–124 and 400–423) wherever the floors were visibly dark
//! (level below −0.03, floors about 3 % darker): at relief × 1 the change stayed within 24 % of the level on 61 of 63 pairs (the other
//! two, 52 and 57 %, were lit lower in the after photo: cast shadows lengthen); under × 1.5 the floors
//! darkened by 28–224 % of it (65 pairs) and under × 0.5 brightened by 31–260 % (60 pairs). Because cast
//! shadows do depend on the elevation, and a floor's colour may change too (a fading brown mark), it confirms
//! the relief ratio's direction and adds to it (see [`super::changes::verdict`]); it does not replace it.
//!
//! What it cannot see: shallow rolling scars whose floors are not darker than the skin (level near 0 or
//! above); the verdict then rests on the relief ratio alone.

use serde::{Deserialize, Serialize};

use super::relief::{Frame, Spot};

/// Settings of the floor-darkening reading (`[compare.darkening]` in the profile). It reads the working images
/// of the relief measure (`[compare.relief]` sets their size and smoothing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DarkeningParams {
    /// The floor disc's radius as a share of the scar's radius.
    pub inner_fraction: f64,
    /// The surrounding annulus, inner and outer radius as multiples of the scar's radius.
    pub annulus: [f64; 2],
}

impl Default for DarkeningParams {
    fn default() -> Self {
        crate::profile::Profile::builtin().compare.darkening
    }
}

/// The pair's floor darkening: weighted mean log contrast `E` of the scars' floors in each photo (negative:
/// darker than the skin around them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Darkening {
    /// Scars read in both photos.
    pub scars: usize,
    /// Weighted mean `E` in the before photo (natural log units).
    pub before: f64,
    /// Weighted mean `E` in the after photo, at the same scars.
    pub after: f64,
}

impl Darkening {
    /// The level both photos share: the mean of `before` and `after`.
    pub fn level(&self) -> f64 {
        0.5 * (self.before + self.after)
    }

    /// The change after − before (negative: the floors got darker, as they do when scars deepen).
    pub fn change(&self) -> f64 {
        self.after - self.before
    }
}

/// The share by which a floor of log contrast `e` is darker than the skin around it (0.3 = 30 % darker;
/// negative: brighter), as reported in `changes.floor_darkening`.
pub fn darker_share(e: f64) -> f64 {
    1.0 - e.exp()
}

/// `E` at a scar (before-frame centre and radius), or `None` when the floor or most of the annulus lies
/// outside the photo.
fn contrast(f: &Frame, s: &Spot, p: &DarkeningParams) -> Option<f64> {
    let (cx, cy) = f.to_work.apply(s.center[0], s.center[1]);
    let r = s.radius * f.scale;
    if !(cx.is_finite() && cy.is_finite() && r.is_finite() && r > 0.0) {
        return None;
    }
    // At least the centre pixel's neighbourhood is the floor, and the annulus is at least 1 px wide.
    let r_in = (p.inner_fraction * r).max(0.75);
    let a0 = (p.annulus[0] * r).max(r_in + 1.0);
    let a1 = (p.annulus[1] * r).max(a0 + 1.0);
    let (w, h) = (f.y.w as i64, f.y.h as i64);
    // An annulus wider than the photo (or a non-finite setting) has no skin around the scar to read, and
    // would make the loop below unbounded.
    if !(a1.is_finite() && a1 <= w.max(h) as f64) {
        return None;
    }
    let reach = a1.ceil() as i64;
    let (x0, y0) = (cx.round() as i64, cy.round() as i64);
    let (mut s_in, mut n_in, mut s_out, mut n_out, mut n_missing) = (0.0, 0u32, 0.0, 0u32, 0u32);
    for y in y0 - reach..=y0 + reach {
        for x in x0 - reach..=x0 + reach {
            let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
            let inner = d <= r_in;
            let outer = d >= a0 && d <= a1;
            if !(inner || outer) {
                continue;
            }
            if x < 0 || y < 0 || x >= w || y >= h {
                n_missing += 1;
                continue;
            }
            let v = (f.y.data[(y * w + x) as usize] as f64).max(1e-6).ln();
            if inner {
                s_in += v;
                n_in += 1;
            } else {
                s_out += v;
                n_out += 1;
            }
        }
    }
    // A scar cut by the frame edge is left out rather than read from a sliver.
    if n_in == 0 || n_out == 0 || n_missing * 4 > n_in + n_out + n_missing {
        return None;
    }
    Some(s_in / n_in as f64 - s_out / n_out as f64)
}

/// Reads the floor darkening of the scars `scars` (before-frame centres and radii) in both photos, prepared as
/// the relief measure's frames (`fb` with the identity, `fa` with the before → after map). `None` when no
/// scar could be read in both.
pub fn measure(fb: &Frame, fa: &Frame, scars: &[Spot], p: &DarkeningParams) -> Option<Darkening> {
    let (mut wsum, mut sb, mut sa, mut n) = (0.0, 0.0, 0.0, 0usize);
    for s in scars {
        let (Some(eb), Some(ea)) = (contrast(fb, s, p), contrast(fa, s, p)) else {
            continue;
        };
        // Scars whose floors are clearly dark weigh most: a floor as bright as the skin carries no depth cue.
        let w = (0.5 * (eb + ea)).abs();
        wsum += w;
        sb += w * eb;
        sa += w * ea;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    if wsum <= 1e-12 {
        return Some(Darkening {
            scars: n,
            before: 0.0,
            after: 0.0,
        });
    }
    Some(Darkening {
        scars: n,
        before: sb / wsum,
        after: sa / wsum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::geometry::Affine;
    use crate::compare::relief::ReliefParams;
    use image::{Rgb, RgbImage};

    /// A `size`×`size` flat grey photo with a disc of value `floor` and radius `r` at (`c`, `c`).
    fn pit(size: u32, c: f64, r: f64, floor: u8) -> RgbImage {
        RgbImage::from_fn(size, size, |x, y| {
            let d = ((x as f64 - c).powi(2) + (y as f64 - c).powi(2)).sqrt();
            let v = if d <= r { floor } else { 180 };
            Rgb([v, v, v])
        })
    }

    fn read(b: &RgbImage, a: &RgbImage, map: &Affine, scars: &[Spot]) -> Option<Darkening> {
        let rp = ReliefParams {
            smooth_px: 0.0,
            ..ReliefParams::default()
        };
        let p = DarkeningParams {
            inner_fraction: 0.5,
            annulus: [1.5, 2.5],
        };
        let fb = Frame::new(b, &Affine::IDENTITY, &rp);
        let fa = Frame::new(a, map, &rp);
        measure(&fb, &fa, scars, &p)
    }

    fn at(c: f64, r: f64) -> [Spot; 1] {
        [Spot {
            center: [c, c],
            radius: r,
        }]
    }

    #[test]
    fn a_darker_floor_reads_a_negative_level_and_its_deepening_a_negative_change() {
        let s = at(20.0, 6.0);
        let id = Affine::IDENTITY;
        let d = read(&pit(40, 20.0, 6.0, 120), &pit(40, 20.0, 6.0, 90), &id, &s).expect("read");
        assert_eq!(d.scars, 1);
        // sRGB 120 and 90 against 180 in linear light: ln(0.188/0.456) and ln(0.102/0.456).
        assert!((d.before - (-0.886)).abs() < 0.01, "{d:?}");
        assert!((d.after - (-1.496)).abs() < 0.01, "{d:?}");
        assert!(d.change() < 0.0 && d.level() < 0.0);
        // Exposure cancels: a brighter after photo of the same pit reads the same.
        let bright = RgbImage::from_fn(40, 40, |x, y| {
            let p = pit(40, 20.0, 6.0, 120).get_pixel(x, y).0;
            Rgb(p.map(|c| (((c as f64 / 255.0).powf(2.2) * 1.3).powf(1.0 / 2.2) * 255.0) as u8))
        });
        let e = read(&pit(40, 20.0, 6.0, 120), &bright, &id, &s).expect("read");
        assert!(e.change().abs() < 0.05, "{e:?}");
    }

    #[test]
    fn the_after_photo_is_read_at_the_mapped_place_and_scaled_radius() {
        // The after photo shows the same pit twice as large, shifted: the map takes before px to after px.
        let b = pit(40, 20.0, 6.0, 100);
        let a = pit(100, 47.0, 12.0, 100);
        let map = Affine::axis(2.0, 7.0, 2.0, 7.0);
        let d = read(&b, &a, &map, &at(20.0, 6.0)).expect("read");
        assert!(d.change().abs() < 0.02, "{d:?}");
        // Read at the wrong place, the after floor would be skin: the map is what makes them agree.
        let wrong = read(&b, &a, &Affine::IDENTITY, &at(20.0, 6.0)).expect("read");
        assert!(wrong.change() > 0.3, "{wrong:?}");
    }

    #[test]
    fn scars_cut_by_the_edge_outside_the_photo_or_absurdly_large_give_none() {
        let b = pit(40, 20.0, 6.0, 120);
        let id = Affine::IDENTITY;
        assert!(read(&b, &b, &id, &at(500.0, 6.0)).is_none());
        assert!(read(&b, &b, &id, &[]).is_none());
        // Centre 2 px from the corner: most of the annulus is outside.
        assert!(read(&b, &b, &id, &at(2.0, 6.0)).is_none());
        // An annulus wider than the photo is refused before any loop runs.
        assert!(read(&b, &b, &id, &at(20.0, 1e12)).is_none());
        assert!(read(&b, &b, &id, &at(20.0, f64::INFINITY)).is_none());
        assert!(read(&b, &b, &id, &at(f64::NAN, 3.0)).is_none());
        let tiny = RgbImage::new(2, 2);
        assert!(read(&tiny, &tiny, &id, &at(1.0, 1.0)).is_none());
    }
}
