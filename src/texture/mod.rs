//! Texture features of an 8-bit luminance image over a region of interest.
//!
//! * [`discretise`]: IBSI grey-level discretisation (none, fixed bin number, fixed bin width).
//! * [`glcm`]: grey-level co-occurrence matrices and the 25 IBSI features (IBSI reference manual,
//!   section 3.6), "2D averaged" and "2D merged"; plus scikit-image's `graycomatrix`/`graycoprops`.
//! * [`lbp`]: local binary patterns exactly as scikit-image's `local_binary_pattern`.
//! * [`gradient`]: Sobel/Scharr gradient energy, Laplacian variance, local standard deviation,
//!   roughness Ra/Rq of the illumination-flattened luminance.
//! * [`command`]: the `scarscope texture` subcommand.
//!
//! Masks are [`image::GrayImage`]s of the image's size; nonzero = inside the region.
//!
//! ```
//! use scarscope::texture::skin_texture;
//! let img = image::GrayImage::from_fn(16, 16, |x, y| image::Luma([((x * 7 + y * 13) % 50) as u8]));
//! let feats = skin_texture(&img, None);
//! assert_eq!(feats[0].0, "glcm_contrast");
//! assert!(feats.iter().all(|(_, v)| v.is_some_and(f64::is_finite)));
//! // A constant region: correlation is 0/0 -> None, never NaN.
//! let flat = image::GrayImage::from_pixel(8, 8, image::Luma([100]));
//! let f = skin_texture(&flat, None);
//! assert_eq!(f.iter().find(|(k, _)| k == "glcm_correlation").unwrap().1, None);
//! ```

pub mod command;
pub mod discretise;
pub mod glcm;
pub mod gradient;
pub mod lbp;

use discretise::{Discretisation, Quantised};
use image::GrayImage;

/// Names returned by [`skin_texture`], in order.
pub const SKIN_TEXTURE_NAMES: [&str; 9] = [
    "glcm_contrast",
    "glcm_joint_entropy",
    "glcm_inverse_difference_moment",
    "glcm_correlation",
    "lbp_uniform_entropy",
    "gradient_energy",
    "laplacian_variance",
    "roughness_ra",
    "roughness_rq",
];

/// A small named texture summary of `gray` over `mask` for the per-image `texture` field.
///
/// GLCM: IBSI "2D merged", 32 fixed-bin-number levels over the ROI, distance 1 (contrast, joint
/// entropy in bits, inverse difference moment, correlation). LBP: log2 entropy of the uniform
/// P = 8, R = 1 histogram. Gradient: Sobel energy and Laplacian variance (grey values 0..255).
/// Roughness: Ra/Rq after flattening with a σ = [`gradient::DEFAULT_FLATTEN_SIGMA`] px blur.
/// A value is `None` where undefined (empty ROI, constant region for correlation, mask of the
/// wrong size).
pub fn skin_texture(gray: &GrayImage, mask: Option<&GrayImage>) -> Vec<(String, Option<f64>)> {
    let mut vals: [Option<f64>; 9] = [None; 9];
    if let Ok(q) = Quantised::new(gray, mask, Discretisation::FixedBinNumber(32)) {
        let merged = glcm::Glcm::merged(&glcm::directional_glcms(&q, 1, &glcm::IBSI_DIRECTIONS_2D))
            .map(|m| m.features())
            .unwrap_or_default();
        let g = |n: &str| merged.get(n).flatten();
        vals[0] = g("contrast");
        vals[1] = g("joint_entropy");
        vals[2] = g("inverse_difference_moment");
        vals[3] = g("correlation");
    }
    vals[4] = lbp::uniform_histogram(gray, mask, 8, 1.0)
        .ok()
        .and_then(|h| lbp::histogram_entropy(&h));
    vals[5] = gradient::gradient_energy(gray, mask, gradient::Kernel::Sobel);
    vals[6] = gradient::laplacian_variance(gray, mask);
    if let Some(r) = gradient::roughness(gray, mask, gradient::DEFAULT_FLATTEN_SIGMA) {
        vals[7] = Some(r.ra);
        vals[8] = Some(r.rq);
    }
    SKIN_TEXTURE_NAMES
        .iter()
        .zip(vals)
        .map(|(n, v)| (n.to_string(), v.filter(|x| x.is_finite())))
        .collect()
}
