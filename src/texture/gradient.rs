//! Gradient and roughness measures of an 8-bit luminance image over a ROI.
//!
//! All measures work on grey values in 0..=255 (not rescaled to 0..1). Filters read pixels
//! beyond the image edge as the nearest edge pixel ("replicate" borders), so a constant image
//! has zero gradient everywhere. Statistics are taken over ROI pixels only (mask nonzero =
//! inside, `None` = whole image); an empty ROI gives `None`.
//!
//! * Gradient energy: mean of `gx² + gy²` with the 3×3 Sobel (`[1 2 1]ᵀ[−1 0 1]`) or Scharr
//!   (`[3 10 3]ᵀ[−1 0 1]`, as `imageproc::gradients`) kernels, unnormalised.
//! * Laplacian variance: population variance of the 4-neighbour Laplacian
//!   (`[0 1 0; 1 −4 1; 0 1 0]`, the usual "variance of Laplacian" sharpness/texture measure).
//! * Local standard deviation: mean over the ROI of the population standard deviation in the
//!   `k×k` window centred on each pixel (window clipped at the image edge, all pixels counted).
//! * Roughness Ra / Rq (ISO 4287 analogues on a surface): the luminance is flattened by
//!   subtracting a wide Gaussian blur of standard deviation `sigma` pixels (removes shading and
//!   illumination gradients, keeps structures much smaller than `sigma`), then
//!   `Ra = mean |f − f̄|`, `Rq = sqrt(mean (f − f̄)²)` over the ROI. The blur is approximated by
//!   three successive box blurs (Wells 1986), which costs O(1) per pixel whatever `sigma` is.
//!
//! ```
//! use scarscope::texture::gradient::{gradient_energy, laplacian_variance, Kernel};
//! // A vertical step 0 | 10: Sobel gx = 4·10 = 40 on the two columns next to the edge.
//! let img = image::GrayImage::from_fn(4, 3, |x, _| image::Luma([if x < 2 { 0 } else { 10 }]));
//! let e = gradient_energy(&img, None, Kernel::Sobel).unwrap();
//! assert_eq!(e, 40.0 * 40.0 * 6.0 / 12.0);
//! let flat = image::GrayImage::from_pixel(5, 5, image::Luma([7]));
//! assert_eq!(laplacian_variance(&flat, None), Some(0.0));
//! ```

use image::GrayImage;

/// Default `sigma` (pixels) of the illumination-flattening blur for roughness: wider than
/// pores and acne scars on a ~1–2 MP working image, narrower than lighting gradients.
pub const DEFAULT_FLATTEN_SIGMA: f64 = 16.0;

/// Derivative kernel for gradient energy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Sobel 3×3: smoothing weights 1, 2, 1.
    Sobel,
    /// Scharr 3×3: smoothing weights 3, 10, 3.
    Scharr,
}

/// Replicate-border row index helper.
#[inline]
fn clampi(i: isize, n: usize) -> usize {
    i.clamp(0, n as isize - 1) as usize
}

/// Mean of `f(value)` over the ROI of a row-major per-pixel iterator; `None` for an empty ROI.
fn masked_mean(
    vals: impl Iterator<Item = f64>,
    mask: Option<&GrayImage>,
    f: impl Fn(f64) -> f64,
) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    match mask {
        None => vals.for_each(|v| {
            s += f(v);
            n += 1
        }),
        Some(m) => vals.zip(m.as_raw()).for_each(|(v, &mv)| {
            if mv != 0 {
                s += f(v);
                n += 1
            }
        }),
    }
    (n > 0).then(|| s / n as f64)
}

fn check_mask(img: &GrayImage, mask: Option<&GrayImage>) -> bool {
    mask.is_none_or(|m| m.dimensions() == img.dimensions())
}

/// Applies a 3×3 stencil row by row with replicate borders; returns f32 values row-major.
fn stencil3(img: &GrayImage, f: impl Fn([[f32; 3]; 3]) -> f32) -> Vec<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px = img.as_raw();
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let rows = [
            &px[clampi(y as isize - 1, h) * w..][..w],
            &px[y * w..][..w],
            &px[clampi(y as isize + 1, h) * w..][..w],
        ];
        for x in 0..w {
            let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let g = |r: usize| [rows[r][xl] as f32, rows[r][x] as f32, rows[r][xr] as f32];
            out.push(f([g(0), g(1), g(2)]));
        }
    }
    out
}

/// Mean squared gradient magnitude `gx² + gy²` over the ROI (`None`: empty ROI or mask size mismatch).
pub fn gradient_energy(img: &GrayImage, mask: Option<&GrayImage>, kernel: Kernel) -> Option<f64> {
    if !check_mask(img, mask) {
        return None;
    }
    let (a, b) = match kernel {
        Kernel::Sobel => (1.0f32, 2.0f32),
        Kernel::Scharr => (3.0, 10.0),
    };
    let e = stencil3(img, |n| {
        let gx = a * (n[0][2] - n[0][0]) + b * (n[1][2] - n[1][0]) + a * (n[2][2] - n[2][0]);
        let gy = a * (n[2][0] - n[0][0]) + b * (n[2][1] - n[0][1]) + a * (n[2][2] - n[0][2]);
        gx * gx + gy * gy
    });
    masked_mean(e.into_iter().map(f64::from), mask, |v| v)
}

/// Population variance of the 4-neighbour Laplacian over the ROI.
pub fn laplacian_variance(img: &GrayImage, mask: Option<&GrayImage>) -> Option<f64> {
    if !check_mask(img, mask) {
        return None;
    }
    let l = stencil3(img, |n| {
        n[0][1] + n[1][0] + n[1][2] + n[2][1] - 4.0 * n[1][1]
    });
    let mean = masked_mean(l.iter().map(|&v| v as f64), mask, |v| v)?;
    masked_mean(l.iter().map(|&v| v as f64), mask, |v| {
        (v - mean) * (v - mean)
    })
}

/// Mean over the ROI of the standard deviation in the `k×k` window around each pixel (`k` odd ≥ 1).
pub fn local_std(img: &GrayImage, mask: Option<&GrayImage>, k: usize) -> Option<f64> {
    if !check_mask(img, mask) || k == 0 || k % 2 == 0 {
        return None;
    }
    let (w, h) = (img.width() as usize, img.height() as usize);
    // Integral images of v and v² (u64: exact, no float drift).
    let iw = w + 1;
    let mut s1 = vec![0u64; iw * (h + 1)];
    let mut s2 = vec![0u64; iw * (h + 1)];
    for y in 0..h {
        let (mut r1, mut r2) = (0u64, 0u64);
        for x in 0..w {
            let v = img.as_raw()[y * w + x] as u64;
            r1 += v;
            r2 += v * v;
            s1[(y + 1) * iw + x + 1] = s1[y * iw + x + 1] + r1;
            s2[(y + 1) * iw + x + 1] = s2[y * iw + x + 1] + r2;
        }
    }
    let r = (k / 2) as isize;
    let rect = |s: &[u64], x0: usize, y0: usize, x1: usize, y1: usize| {
        s[y1 * iw + x1] + s[y0 * iw + x0] - s[y0 * iw + x1] - s[y1 * iw + x0]
    };
    let vals = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let x0 = (x as isize - r).max(0) as usize;
            let y0 = (y as isize - r).max(0) as usize;
            let x1 = ((x as isize + r + 1) as usize).min(w);
            let y1 = ((y as isize + r + 1) as usize).min(h);
            let n = ((x1 - x0) * (y1 - y0)) as f64;
            let a = rect(&s1, x0, y0, x1, y1) as f64;
            let b = rect(&s2, x0, y0, x1, y1) as f64;
            ((b - a * a / n) / n).max(0.0).sqrt()
        });
    masked_mean(vals, mask, |v| v)
}

/// Box widths (odd) of three box blurs approximating a Gaussian of `sigma` (Kovesi's recipe).
fn box_widths(sigma: f64) -> [usize; 3] {
    let n = 3.0;
    let wi = (12.0 * sigma * sigma / n + 1.0).sqrt().floor() as usize;
    let wl = if wi % 2 == 0 {
        wi.saturating_sub(1)
    } else {
        wi
    }
    .max(1);
    let wu = wl + 2;
    let wlf = wl as f64;
    let m = ((12.0 * sigma * sigma - n * wlf * wlf - 4.0 * n * wlf - 3.0 * n) / (-4.0 * wlf - 4.0))
        .round()
        .clamp(0.0, 3.0) as usize;
    [0, 1, 2].map(|i| if i < m { wl } else { wu })
}

/// One box blur pass of radius `r` along rows (`stride` 1) or columns, replicate borders.
fn box_pass(src: &[f64], dst: &mut [f64], w: usize, h: usize, r: usize, horizontal: bool) {
    let (n, lines, step, lstep) = if horizontal {
        (w, h, 1, w)
    } else {
        (h, w, w, 1)
    };
    let norm = 1.0 / (2 * r + 1) as f64;
    for l in 0..lines {
        let base = l * lstep;
        let at = |i: isize| src[base + clampi(i, n) * step];
        let mut acc: f64 = (-(r as isize)..=r as isize).map(at).sum();
        for i in 0..n {
            dst[base + i * step] = acc * norm;
            acc += at(i as isize + r as isize + 1) - at(i as isize - r as isize);
        }
    }
}

/// Gaussian blur of standard deviation `sigma` (pixels) approximated by three box blurs.
pub fn approx_gaussian_blur(img: &GrayImage, sigma: f64) -> Vec<f64> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut a: Vec<f64> = img.as_raw().iter().map(|&v| v as f64).collect();
    let mut b = vec![0.0; a.len()];
    if sigma <= 0.0 || a.is_empty() {
        return a;
    }
    for bw in box_widths(sigma) {
        let r = bw / 2;
        box_pass(&a, &mut b, w, h, r, true);
        box_pass(&b, &mut a, w, h, r, false);
    }
    a
}

/// Roughness of the flattened luminance over the ROI.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Roughness {
    /// Mean absolute deviation from the ROI mean of the flattened luminance.
    pub ra: f64,
    /// Root-mean-square deviation from the ROI mean of the flattened luminance.
    pub rq: f64,
}

/// Ra/Rq of `img − blur(img, sigma)` over the ROI; `None` for an empty ROI or mask size mismatch.
pub fn roughness(img: &GrayImage, mask: Option<&GrayImage>, sigma: f64) -> Option<Roughness> {
    if !check_mask(img, mask) {
        return None;
    }
    let blur = approx_gaussian_blur(img, sigma);
    let flat: Vec<f64> = img
        .as_raw()
        .iter()
        .zip(&blur)
        .map(|(&v, &b)| v as f64 - b)
        .collect();
    let mean = masked_mean(flat.iter().copied(), mask, |v| v)?;
    let ra = masked_mean(flat.iter().copied(), mask, |v| (v - mean).abs())?;
    let rq = masked_mean(flat.iter().copied(), mask, |v| (v - mean) * (v - mean))?.sqrt();
    Some(Roughness { ra, rq })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texture_gradient_constant_and_empty() {
        let flat = GrayImage::from_pixel(20, 10, image::Luma([80]));
        assert_eq!(gradient_energy(&flat, None, Kernel::Scharr), Some(0.0));
        assert_eq!(local_std(&flat, None, 5), Some(0.0));
        let r = roughness(&flat, None, DEFAULT_FLATTEN_SIGMA).unwrap();
        assert!(r.ra.abs() < 1e-9 && r.rq.abs() < 1e-9);
        let empty = GrayImage::new(20, 10);
        assert_eq!(gradient_energy(&flat, Some(&empty), Kernel::Sobel), None);
        assert_eq!(roughness(&flat, Some(&empty), 4.0), None);
        assert_eq!(local_std(&flat, None, 4), None);
        assert_eq!(laplacian_variance(&GrayImage::new(0, 0), None), None);
    }

    #[test]
    fn texture_box_blur_approximates_gaussian_and_roughness_orders() {
        // Three boxes of the chosen widths have variance close to sigma².
        for sigma in [3.0, 16.0, 40.0] {
            let var: f64 = box_widths(sigma)
                .iter()
                .map(|&w| ((w * w) as f64 - 1.0) / 12.0)
                .sum();
            assert!(
                (var.sqrt() - sigma).abs() / sigma < 0.1,
                "sigma {sigma}: {}",
                var.sqrt()
            );
        }
        // A fine checkerboard is rougher than a smooth ramp (which flattening removes).
        let ramp = GrayImage::from_fn(64, 64, |x, _| image::Luma([(x * 2) as u8]));
        let checker = GrayImage::from_fn(64, 64, |x, y| {
            image::Luma([if (x + y) % 2 == 0 { 100 } else { 140 }])
        });
        let (r1, r2) = (
            roughness(&ramp, None, 8.0).unwrap(),
            roughness(&checker, None, 8.0).unwrap(),
        );
        assert!(r2.ra > 10.0 * r1.ra.max(0.1) && r2.rq >= r2.ra);
        assert!((r2.ra - 20.0).abs() < 0.5, "{}", r2.ra);
    }
}
