//! 2-D affine maps (used for similarities) and warping RGB images through them.

use image::{Rgb, RgbImage};

/// An affine map `x' = m[0] x + m[1] y + m[2]`, `y' = m[3] x + m[4] y + m[5]` in pixel coordinates
/// (pixel centres at integers, origin top-left, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// Row-major 2×3 matrix.
    pub m: [f64; 6],
}

impl Affine {
    /// The identity map.
    pub const IDENTITY: Affine = Affine {
        m: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
    };

    /// A similarity `x' = [a -b; b a] (x - c) + c + t`, i.e. scale and rotation about `c` followed by a shift.
    pub fn similarity_about(a: f64, b: f64, c: [f64; 2], t: [f64; 2]) -> Affine {
        Affine {
            m: [
                a,
                -b,
                c[0] - a * c[0] + b * c[1] + t[0],
                b,
                a,
                c[1] - b * c[0] - a * c[1] + t[1],
            ],
        }
    }

    /// A per-axis scale and offset `x' = sx x + ox`, `y' = sy y + oy` (a change of pixel grid).
    pub fn axis(sx: f64, ox: f64, sy: f64, oy: f64) -> Affine {
        Affine {
            m: [sx, 0.0, ox, 0.0, sy, oy],
        }
    }

    /// Maps a point.
    #[inline]
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.m;
        (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])
    }

    /// `self ∘ inner`: first `inner`, then `self`.
    pub fn after(&self, inner: &Affine) -> Affine {
        let a = &self.m;
        let b = &inner.m;
        Affine {
            m: [
                a[0] * b[0] + a[1] * b[3],
                a[0] * b[1] + a[1] * b[4],
                a[0] * b[2] + a[1] * b[5] + a[2],
                a[3] * b[0] + a[4] * b[3],
                a[3] * b[1] + a[4] * b[4],
                a[3] * b[2] + a[4] * b[5] + a[5],
            ],
        }
    }

    /// The inverse map, `None` when singular.
    pub fn inverse(&self) -> Option<Affine> {
        let m = &self.m;
        let det = m[0] * m[4] - m[1] * m[3];
        if det.abs() < 1e-12 || !det.is_finite() {
            return None;
        }
        let (i0, i1, i3, i4) = (m[4] / det, -m[1] / det, -m[3] / det, m[0] / det);
        Some(Affine {
            m: [
                i0,
                i1,
                -(i0 * m[2] + i1 * m[5]),
                i3,
                i4,
                -(i3 * m[2] + i4 * m[5]),
            ],
        })
    }

    /// The nearest similarity (least-squares projection of the linear part onto `[a -b; b a]`).
    pub fn to_similarity(&self) -> Affine {
        let m = &self.m;
        let a = 0.5 * (m[0] + m[4]);
        let b = 0.5 * (m[3] - m[1]);
        Affine {
            m: [a, -b, m[2], b, a, m[5]],
        }
    }

    /// Scale factor of the linear part (square root of the absolute determinant).
    pub fn scale(&self) -> f64 {
        let m = &self.m;
        (m[0] * m[4] - m[1] * m[3]).abs().sqrt()
    }

    /// Rotation in degrees, counter-clockwise as a viewer sees the image (y points down, so a
    /// mathematically positive angle in pixel coordinates is clockwise on screen).
    pub fn rotation_ccw_deg(&self) -> f64 {
        let m = &self.m;
        -(0.5 * (m[3] - m[1]))
            .atan2(0.5 * (m[0] + m[4]))
            .to_degrees()
    }
}

/// Resamples `src` into a `w`×`h` frame: output pixel `x` takes `src` at `map(x)` (bilinear). Pixels that map
/// outside `src` are filled with `fill`; the returned mask marks the pixels that were inside.
pub fn warp_rgb(
    src: &RgbImage,
    map: &Affine,
    w: u32,
    h: u32,
    fill: [u8; 3],
) -> (RgbImage, Vec<bool>) {
    let mut out = RgbImage::from_pixel(w, h, Rgb(fill));
    let mut mask = vec![false; (w * h) as usize];
    let (sw, sh) = (src.width() as f64, src.height() as f64);
    if sw < 2.0 || sh < 2.0 {
        return (out, mask);
    }
    for y in 0..h {
        for x in 0..w {
            let (u, v) = map.apply(x as f64, y as f64);
            if !(u >= 0.0 && v >= 0.0 && u <= sw - 1.0 && v <= sh - 1.0) {
                continue;
            }
            let x0 = (u.floor() as u32).min(src.width() - 2);
            let y0 = (v.floor() as u32).min(src.height() - 2);
            let fx = u - x0 as f64;
            let fy = v - y0 as f64;
            let p00 = src.get_pixel(x0, y0);
            let p10 = src.get_pixel(x0 + 1, y0);
            let p01 = src.get_pixel(x0, y0 + 1);
            let p11 = src.get_pixel(x0 + 1, y0 + 1);
            let mut px = [0u8; 3];
            for c in 0..3 {
                let top = p00[c] as f64 * (1.0 - fx) + p10[c] as f64 * fx;
                let bot = p01[c] as f64 * (1.0 - fx) + p11[c] as f64 * fx;
                px[c] = (top * (1.0 - fy) + bot * fy).round().clamp(0.0, 255.0) as u8;
            }
            out.put_pixel(x, y, Rgb(px));
            mask[(y * w + x) as usize] = true;
        }
    }
    (out, mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_compose_invert() {
        let s = Affine::similarity_about(0.9, 0.1, [50.0, 40.0], [3.0, -2.0]);
        let i = s.inverse().expect("invertible");
        let id = i.after(&s);
        for (x, y) in id.m.iter().zip(Affine::IDENTITY.m.iter()) {
            assert!((x - y).abs() < 1e-12);
        }
        // The centre moves by exactly t.
        let (x, y) = s.apply(50.0, 40.0);
        assert!((x - 53.0).abs() < 1e-12 && (y - 38.0).abs() < 1e-12);
        // b > 0 turns +x towards +y (down): clockwise on screen, so the ccw angle is negative.
        assert!(s.rotation_ccw_deg() < 0.0);
        assert!((s.scale() - (0.81f64 + 0.01).sqrt()).abs() < 1e-12);
    }
}
