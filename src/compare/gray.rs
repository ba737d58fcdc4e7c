//! The few image operations registration and the relief measure need beyond the analysis' [`Plane`]
//! (luminance, bilinear sampling, area resampling, gradients); blurring is [`crate::blur::gaussian_blur`].
//!
//! Coordinates follow the report contract: pixel `(i, j)` has its centre at `x = i`, `y = j`, origin top-left,
//! y down. All loops are sequential so that results are bit-identical across runs and thread counts.

use image::RgbImage;

use crate::prepare::Plane;

/// The compare stages' single-channel image: the analysis' [`Plane`] (one plane type in the crate; the
/// methods below are the few extra operations registration and the relief measure need).
pub type Gray = Plane;

impl Plane {
    /// Rec. 601 luma of an RGB image, 0..255.
    pub fn luma(rgb: &RgbImage) -> Self {
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        let data = rgb
            .pixels()
            .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
            .collect();
        Plane { w, h, data }
    }

    /// Bilinear sample at a real position; `None` outside `[0, w-1]×[0, h-1]`.
    #[inline]
    pub fn sample(&self, x: f64, y: f64) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0 && x <= (self.w - 1) as f64 && y <= (self.h - 1) as f64) {
            return None;
        }
        let x0 = (x.floor() as usize).min(self.w.saturating_sub(2));
        let y0 = (y.floor() as usize).min(self.h.saturating_sub(2));
        let fx = (x - x0 as f64) as f32;
        let fy = (y - y0 as f64) as f32;
        let x1 = (x0 + 1).min(self.w - 1);
        let y1 = (y0 + 1).min(self.h - 1);
        let a = self.at(x0, y0) * (1.0 - fx) + self.at(x1, y0) * fx;
        let b = self.at(x0, y1) * (1.0 - fx) + self.at(x1, y1) * fx;
        Some(a * (1.0 - fy) + b * fy)
    }

    /// Gaussian blur with standard deviation `sigma` px, edges clamped: [`crate::blur::gaussian_blur`].
    pub fn blur(&self, sigma: f64) -> Self {
        if sigma <= 0.0 || self.w == 0 || self.h == 0 {
            return self.clone();
        }
        crate::blur::gaussian_blur(self, sigma as f32)
    }

    /// Resamples to `nw`×`nh` by area averaging (pre-blur against aliasing when shrinking, then bilinear).
    pub fn resize(&self, nw: usize, nh: usize) -> Self {
        let fx = self.w as f64 / nw as f64;
        let fy = self.h as f64 / nh as f64;
        let f = fx.max(fy);
        // Anti-alias: a Gaussian of ~0.5 output px (in input px) before point sampling.
        let src = if f > 1.0 {
            self.blur(0.5 * f)
        } else {
            self.clone()
        };
        let mut data = Vec::with_capacity(nw * nh);
        for j in 0..nh {
            let y = ((j as f64 + 0.5) * fy - 0.5).clamp(0.0, (self.h - 1) as f64);
            for i in 0..nw {
                let x = ((i as f64 + 0.5) * fx - 0.5).clamp(0.0, (self.w - 1) as f64);
                data.push(src.sample(x, y).unwrap_or(0.0));
            }
        }
        Plane { w: nw, h: nh, data }
    }

    /// Central-difference gradients `(gx, gy)`.
    pub fn gradients(&self) -> (Plane, Plane) {
        let mut gx = Plane::filled(self.w, self.h, 0.0);
        let mut gy = Plane::filled(self.w, self.h, 0.0);
        for y in 0..self.h {
            for x in 0..self.w {
                let xm = x.saturating_sub(1);
                let xp = (x + 1).min(self.w - 1);
                let ym = y.saturating_sub(1);
                let yp = (y + 1).min(self.h - 1);
                let i = y * self.w + x;
                gx.data[i] = (self.at(xp, y) - self.at(xm, y)) / (xp - xm).max(1) as f32;
                gy.data[i] = (self.at(x, yp) - self.at(x, ym)) / (yp - ym).max(1) as f32;
            }
        }
        (gx, gy)
    }
}

/// Size that fits `w`×`h` into a longest side of `max_side` (never enlarges), and the factor applied.
pub fn fit(w: usize, h: usize, max_side: usize) -> (usize, usize, f64) {
    let m = w.max(h);
    if m <= max_side {
        return (w, h, 1.0);
    }
    let f = max_side as f64 / m as f64;
    (
        ((w as f64 * f).round() as usize).max(1),
        ((h as f64 * f).round() as usize).max(1),
        f,
    )
}
