//! The float image type every stage works on: one channel, row-major, `f32` samples.
//!
//! ```
//! use scarscope::plane::Plane;
//! let mut p = Plane::filled(2, 2, 0.0);
//! p.data[3] = 1.0; // (x 1, y 1): row-major, y down
//! assert_eq!(p.at(1, 1), 1.0);
//! assert_eq!(p.bilinear(0.5, 0.5), 0.25);
//! assert_eq!(p.at_clamped(-3, 9), 0.0);
//! ```

/// A single-channel float image, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// Width in px.
    pub w: usize,
    /// Height in px.
    pub h: usize,
    /// Row-major samples.
    pub data: Vec<f32>,
}

impl Plane {
    /// A plane filled with `v`.
    pub fn filled(w: usize, h: usize, v: f32) -> Self {
        Plane {
            w,
            h,
            data: vec![v; w * h],
        }
    }

    /// Sample at integer coordinates (no bounds check beyond the slice's).
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.w + x]
    }

    /// Sample at integer coordinates clamped into the image.
    #[inline]
    pub fn at_clamped(&self, x: isize, y: isize) -> f32 {
        let x = x.clamp(0, self.w as isize - 1) as usize;
        let y = y.clamp(0, self.h as isize - 1) as usize;
        self.data[y * self.w + x]
    }

    /// Bilinear sample at real coordinates (clamped into the image).
    pub fn bilinear(&self, x: f32, y: f32) -> f32 {
        let xf = x.clamp(0.0, (self.w - 1) as f32);
        let yf = y.clamp(0.0, (self.h - 1) as f32);
        let x0 = xf.floor() as usize;
        let y0 = yf.floor() as usize;
        let x1 = (x0 + 1).min(self.w - 1);
        let y1 = (y0 + 1).min(self.h - 1);
        let fx = xf - x0 as f32;
        let fy = yf - y0 as f32;
        let a = self.at(x0, y0) * (1.0 - fx) + self.at(x1, y0) * fx;
        let b = self.at(x0, y1) * (1.0 - fx) + self.at(x1, y1) * fx;
        a * (1.0 - fy) + b * fy
    }
}

/// The row-major indices of the 8 neighbours of interior px `i` in an image `w` px wide, in raster order:
/// the four before `i`, then the four after it.
///
/// ```
/// use scarscope::plane::neighbours;
/// // The middle px of a 3×3 image has every other px as a neighbour.
/// assert_eq!(neighbours(4, 3), [0, 1, 2, 3, 5, 6, 7, 8]);
/// ```
#[inline(always)]
pub fn neighbours(i: usize, w: usize) -> [usize; 8] {
    [
        i - w - 1,
        i - w,
        i - w + 1,
        i - 1,
        i + 1,
        i + w - 1,
        i + w,
        i + w + 1,
    ]
}
