//! Before/after pairs for `compare`: the after photo has every relief scaled, another light and exposure,
//! and is geometrically warped (rotation, scale, shift) against the before photo.
//!
//! Transform convention (before → after, pixel-index coordinates, y down):
//! `p_after = c + s · R(θ) · (p_before − c) + t`, with `c` the before image's centre ((W−1)/2, (H−1)/2),
//! `s` the scale, `t` the shift in px, and `R(θ)` a rotation by θ degrees counter-clockwise **as a viewer sees
//! it**: `x' = cos θ·dx + sin θ·dy`, `y' = −sin θ·dx + cos θ·dy` (a point right of centre moves up).
//! The after frame has the same size as the before frame; it is rendered from the scene itself over the
//! whole area it shows (no black corners), in linear light, then resampled bilinearly, and only then goes
//! through the camera (vignetting, cast, noise, JPEG), as a real second photo would.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::raster::{camera, jpeg_roundtrip, radiance, Window};
use super::rng::mix64;
use super::scene::{expected_for, Scene, Truth, TruthLesion};
use crate::report::Subtype;

/// The geometric transform from the before image to the after image (see the module docs).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Transform {
    /// Rotation θ in degrees, counter-clockwise as a viewer sees it.
    pub rotation_deg: f64,
    /// Scale s (after px per before px).
    pub scale: f64,
    /// Shift t in px, applied after rotation and scale.
    pub shift_px: [f64; 2],
    /// Centre c of rotation and scale, in before px.
    pub center: [f64; 2],
    /// The same map as a 2×3 matrix: `[x', y'] = M · [x, y, 1]`.
    pub matrix: [[f64; 3]; 2],
}

impl Transform {
    /// The transform about the centre of a `width` × `height` image.
    pub fn new(
        rotation_deg: f64,
        scale: f64,
        shift_px: (f64, f64),
        width: u32,
        height: u32,
    ) -> Transform {
        let c = [(width as f64 - 1.0) / 2.0, (height as f64 - 1.0) / 2.0];
        let (sn, cs) = rotation_deg.to_radians().sin_cos();
        let (a, b, d, e) = (scale * cs, scale * sn, -scale * sn, scale * cs);
        let tx = c[0] + shift_px.0 - a * c[0] - b * c[1];
        let ty = c[1] + shift_px.1 - d * c[0] - e * c[1];
        Transform {
            rotation_deg,
            scale,
            shift_px: [shift_px.0, shift_px.1],
            center: c,
            matrix: [[a, b, tx], [d, e, ty]],
        }
    }

    /// Maps a before point to the after image.
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        let m = &self.matrix;
        [
            m[0][0] * p[0] + m[0][1] * p[1] + m[0][2],
            m[1][0] * p[0] + m[1][1] * p[1] + m[1][2],
        ]
    }

    /// Maps an after point back to the before image.
    pub fn invert(&self, q: [f64; 2]) -> [f64; 2] {
        let m = &self.matrix;
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let (x, y) = (q[0] - m[0][2], q[1] - m[1][2]);
        [
            (m[1][1] * x - m[0][1] * y) / det,
            (-m[1][0] * x + m[0][0] * y) / det,
        ]
    }
}

/// One lesion in both frames.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PairLesion {
    /// Lesion id (same in both truths).
    pub id: u32,
    /// Lesion kind.
    pub subtype: Subtype,
    /// Centre in the before image, px.
    pub center_before: [f64; 2],
    /// Centre in the after image, px.
    pub center_after: [f64; 2],
    /// Whether the centre lies inside the after frame.
    pub inside_after: bool,
    /// Signed peak height before, mm.
    pub relief_before: f64,
    /// Signed peak height after, mm.
    pub relief_after: f64,
}

/// What is known about a rendered pair.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PairTruth {
    /// Before → after transform.
    pub transform: Transform,
    /// Factor applied to every relief height.
    pub depth_factor: f64,
    /// Exposure gain of the after photo relative to the before photo.
    pub exposure_gain: f64,
    /// Truth of the before image.
    pub before: Truth,
    /// Truth of the after image (its frame, scale and light; lesions whose centre is inside it).
    pub after: Truth,
    /// Every lesion in both frames.
    pub lesions: Vec<PairLesion>,
}

/// Renders a before/after pair of a scene. The after photo has relief × `depth_factor`, light
/// `after_light = (azimuth_deg, elevation_deg)` as seen in the after image, exposure × `exposure_gain`, and
/// is warped by rotation `rotation_deg` (CCW as seen), `scale` and `shift_px` (see the module docs for the
/// exact map). Both photos get the scene's JPEG quality, if any.
pub fn render_pair(
    scene: &Scene,
    depth_factor: f64,
    after_light: (f64, f64),
    exposure_gain: f64,
    rotation_deg: f64,
    scale: f64,
    shift_px: (f64, f64),
) -> (RgbImage, RgbImage, PairTruth) {
    let scale = if scale.is_finite() && scale > 0.05 {
        scale
    } else {
        1.0
    };
    let (w, h) = (scene.width as usize, scene.height as usize);
    let before_win = Window { ox: 0, oy: 0, w, h };
    let rad = radiance(scene, &scene.lesions, before_win);
    let mut before = camera(scene, &rad, w, h, scene.exposure, scene.seed);
    drop(rad);

    let tf = Transform::new(rotation_deg, scale, shift_px, scene.width, scene.height);
    // The after scene, still in before coordinates: the light is turned back by the rotation so that, once
    // warped, it comes from `after_light.0` in the after image.
    let mut after_scene = scene.with_relief_scaled(depth_factor);
    after_scene.light.azimuth_deg = (after_light.0 - rotation_deg).rem_euclid(360.0);
    after_scene.light.elevation_deg = after_light.1.clamp(5.0, 90.0);

    // The before-frame area the after frame shows, with a margin for the bilinear footprint.
    let corners = [
        [0.0, 0.0],
        [w as f64 - 1.0, 0.0],
        [0.0, h as f64 - 1.0],
        [w as f64 - 1.0, h as f64 - 1.0],
    ]
    .map(|q| tf.invert(q));
    let x0 = corners
        .iter()
        .map(|p| p[0])
        .fold(f64::INFINITY, f64::min)
        .floor() as i64
        - 2;
    let x1 = corners
        .iter()
        .map(|p| p[0])
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil() as i64
        + 2;
    let y0 = corners
        .iter()
        .map(|p| p[1])
        .fold(f64::INFINITY, f64::min)
        .floor() as i64
        - 2;
    let y1 = corners
        .iter()
        .map(|p| p[1])
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil() as i64
        + 2;
    let win = Window {
        ox: x0,
        oy: y0,
        w: (x1 - x0 + 1) as usize,
        h: (y1 - y0 + 1) as usize,
    };
    let big = radiance(&after_scene, &after_scene.lesions, win);

    let mut warped = vec![[0f32; 3]; w * h];
    for (k, px) in warped.iter_mut().enumerate() {
        let (i, j) = (k % w, k / w);
        let p = tf.invert([i as f64, j as f64]);
        let (x, y) = (p[0] - win.ox as f64, p[1] - win.oy as f64);
        let x = x.clamp(0.0, (win.w - 1) as f64);
        let y = y.clamp(0.0, (win.h - 1) as f64);
        let (xa, ya) = (x.floor() as usize, y.floor() as usize);
        let (xb, yb) = ((xa + 1).min(win.w - 1), (ya + 1).min(win.h - 1));
        let (fx, fy) = ((x - xa as f64) as f32, (y - ya as f64) as f32);
        for c in 0..3 {
            let v = |xx: usize, yy: usize| big[yy * win.w + xx][c];
            let top = v(xa, ya) + (v(xb, ya) - v(xa, ya)) * fx;
            let bot = v(xa, yb) + (v(xb, yb) - v(xa, yb)) * fx;
            px[c] = top + (bot - top) * fy;
        }
    }
    drop(big);
    let mut after = camera(
        &after_scene,
        &warped,
        w,
        h,
        scene.exposure * exposure_gain,
        mix64(scene.seed ^ 0xAF7E_2000),
    );
    if let Some(q) = scene.jpeg_quality {
        before = jpeg_roundtrip(&before, q);
        after = jpeg_roundtrip(&after, q);
    }

    let before_truth = scene.truth();
    let mut lesions = Vec::new();
    let mut after_lesions: Vec<TruthLesion> = Vec::new();
    for (l, t) in after_scene.lesions.iter().zip(&before_truth.lesions) {
        let ca = tf.apply(l.center);
        let inside =
            ca[0] >= 0.0 && ca[1] >= 0.0 && ca[0] <= w as f64 - 1.0 && ca[1] <= h as f64 - 1.0;
        lesions.push(PairLesion {
            id: l.id,
            subtype: l.subtype,
            center_before: l.center,
            center_after: ca,
            inside_after: inside,
            relief_before: t.relief_height,
            relief_after: l.relief_mm,
        });
        if inside {
            after_lesions.push(TruthLesion {
                center: ca,
                diameter_px: t.diameter_px * scale,
                relief_height: l.relief_mm,
                angle_deg: (t.angle_deg + rotation_deg).rem_euclid(180.0),
                ..t.clone()
            });
        }
    }
    let mut after_truth = after_scene.truth();
    after_truth.px_per_mm = scene.px_per_mm * scale;
    after_truth.light.azimuth_deg = after_light.0.rem_euclid(360.0);
    after_truth.expected =
        expected_for(&after_lesions.iter().map(|l| l.subtype).collect::<Vec<_>>());
    after_truth.lesions = after_lesions;
    let truth = PairTruth {
        transform: tf,
        depth_factor,
        exposure_gain,
        before: before_truth,
        after: after_truth,
        lesions,
    };
    (before, after, truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_convention_and_inverse() {
        // 90° CCW as seen: a point right of centre goes to above the centre.
        let t = Transform::new(90.0, 1.0, (0.0, 0.0), 101, 101);
        let q = t.apply([60.0, 50.0]);
        assert!(
            (q[0] - 50.0).abs() < 1e-9 && (q[1] - 40.0).abs() < 1e-9,
            "{q:?}"
        );
        let t = Transform::new(17.0, 1.1, (5.0, -3.0), 640, 480);
        let p = [123.0, 321.0];
        let back = t.invert(t.apply(p));
        assert!((back[0] - p[0]).abs() < 1e-9 && (back[1] - p[1]).abs() < 1e-9);
        let c = t.apply(t.center);
        assert!((c[0] - t.center[0] - 5.0).abs() < 1e-9 && (c[1] - t.center[1] + 3.0).abs() < 1e-9);
    }
}
