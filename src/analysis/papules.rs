//! Papules read against their own ring of skin: a picture feature of the [`picture`](super::picture) stage.
//!
//! An inflamed papule is a small red bump with a halo (domain.md §1); on a 640 px face it is 5-25 px across
//! (domain.md §6), 2.5-12 px on the picture grid. A spot of the a* difference of Gaussians counts as a papule
//! only when the ring of 16 samples around it, at about twice its radius, says so:
//! - the ring lies on skin (at most 2 samples off the skin mask, none off the picture): an eye, a nostril or
//!   a lip edge at the mask's border is not read;
//! - the centre is redder than the ring's median by [`MIN_RISE`] a*, and at most 2 ring samples come within
//!   half of that rise: a spot, not the edge of a larger red area (lips, a flushed cheek, a raised scar);
//! - the ring's L* is even (at most 3 samples more than [`RING_L_SPREAD`] from its median) and the centre is
//!   not much darker than it (at least [`MIN_DL`]): not a nostril, an eye corner or a hair against skin.
//!
//! ```
//! use scarscope::analysis::papules::{Ring, is_papule};
//! use scarscope::plane::Plane;
//! // A 21x21 patch of skin (L* 60, a* 12) with one red dot (a* 24) in the middle.
//! let (w, h) = (21, 21);
//! let l = Plane::filled(w, h, 60.0);
//! let mut a = Plane::filled(w, h, 12.0);
//! a.data[10 * w + 10] = 24.0;
//! let skin = vec![true; w * h];
//! let ring = Ring { radius: 5.0 };
//! assert!(is_papule(10 * w + 10, &a, &l, &skin, ring));
//! // The same dot on the edge of a red area (the right half of the patch at a* 24) is not a papule.
//! for y in 0..h { for x in 11..w { a.data[y * w + x] = 24.0; } }
//! assert!(!is_papule(10 * w + 10, &a, &l, &skin, ring));
//! ```

use crate::plane::Plane;

/// Least a* by which a papule's centre exceeds the median of its ring.
pub const MIN_RISE: f32 = 4.0;
/// Least L* of the centre against the ring's median (a papule is not a dark hole).
pub const MIN_DL: f32 = -15.0;
/// Largest L* difference from the ring's median that counts a ring sample as even.
pub const RING_L_SPREAD: f32 = 12.0;

/// A papule found on the picture grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    /// Column on the grid.
    pub x: usize,
    /// Row on the grid.
    pub y: usize,
    /// Its ring's radius in grid px (the papule is about half as wide).
    pub ring: f32,
    /// How much redder its centre is than the ring's median (a*).
    pub rise: f32,
}

/// The ring a spot is read against.
#[derive(Debug, Clone, Copy)]
pub struct Ring {
    /// Radius in grid px.
    pub radius: f32,
}

/// Whether the spot at `i` is a papule against its ring (module doc), on the a* and L* planes `a`, `l`.
pub fn is_papule(i: usize, a: &Plane, l: &Plane, skin: &[bool], ring: Ring) -> bool {
    papule_rise(i, a, l, skin, ring).is_some()
}

/// The a* rise of the spot at `i` over its ring's median when it is a papule (module doc), else `None`.
pub fn papule_rise(i: usize, a: &Plane, l: &Plane, skin: &[bool], ring: Ring) -> Option<f32> {
    let (w, h) = (a.w, a.h);
    let (x, y) = ((i % w) as f32, (i / w) as f32);
    let (mut ra, mut rl) = ([0f32; 16], [0f32; 16]);
    let mut off_skin = 0;
    for k in 0..16 {
        let t = k as f32 * std::f32::consts::PI / 8.0;
        let (sx, sy) = (
            (x + ring.radius * t.cos()).round(),
            (y + ring.radius * t.sin()).round(),
        );
        if sx < 0.0 || sy < 0.0 || sx >= w as f32 || sy >= h as f32 {
            return None;
        }
        let j = sy as usize * w + sx as usize;
        off_skin += usize::from(!skin[j]);
        ra[k] = a.data[j];
        rl[k] = l.data[j];
    }
    if off_skin > 2 {
        return None;
    }
    let (ma, ml) = (median16(ra), median16(rl));
    let (centre_a, centre_l) = (a.data[i], l.data[i]);
    let rise = centre_a - ma;
    if rise < MIN_RISE || centre_l - ml < MIN_DL {
        return None;
    }
    let near = ra.iter().filter(|&&v| v > centre_a - 0.5 * rise).count();
    let uneven = rl
        .iter()
        .filter(|&&v| (v - ml).abs() > RING_L_SPREAD)
        .count();
    (near <= 2 && uneven <= 3).then_some(rise)
}

/// Median of 16 samples (mean of the middle two).
fn median16(mut v: [f32; 16]) -> f32 {
    v.sort_unstable_by(f32::total_cmp);
    0.5 * (v[7] + v[8])
}
