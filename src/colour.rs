//! Colour science: sRGB to CIELAB (D65), ITA° and lesion-versus-ring contrasts.
//!
//! Definitions followed:
//! * sRGB (IEC 61966-2-1): 8-bit gamma-encoded values `v/255` are linearised with
//!   `c/12.92` for `c ≤ 0.04045`, else `((c + 0.055)/1.055)^2.4`; linear RGB → XYZ with the
//!   sRGB/D65 matrix; XYZ → CIELAB (CIE 15) with the D65 white `(0.95047, 1, 1.08883)`.
//! * ITA° (individual typology angle, Chardon et al. 1991): `atan((L* − 50)/b*)·180/π`, and its
//!   skin-type bands (see [`ItaBand`]).
//! * Contrasts: region mean minus ring mean of L*, a*, b*, and ΔE*ab (CIE76, Euclidean).
//!
//! ```
//! use scarscope::colour::{srgb8_to_lab, ita_degrees, ItaBand};
//! let [l, a, b] = srgb8_to_lab([255, 255, 255]);
//! assert!((l - 100.0).abs() < 1e-3 && a.abs() < 1e-3 && b.abs() < 1e-3);
//! let [l, a, b] = srgb8_to_lab([255, 0, 0]);
//! assert!((l - 53.24).abs() < 0.01 && (a - 80.09).abs() < 0.01 && (b - 67.20).abs() < 0.01);
//! // L* = 70, b* = 20: atan(1)·180/π = 45° -> "light".
//! assert!((ita_degrees(70.0, 20.0) - 45.0).abs() < 1e-12);
//! assert_eq!(ItaBand::from_ita(45.0), ItaBand::Light);
//! assert_eq!(ita_degrees(70.0, 0.0), 90.0); // b* = 0: limit, never NaN
//! ```

use image::{GrayImage, RgbImage};
use ndarray::Array2;

/// D65 reference white (X, Y, Z), Y normalised to 1.
pub const D65_WHITE: [f64; 3] = [0.95047, 1.0, 1.08883];

/// Linear sRGB → XYZ (D65) matrix, rows X, Y, Z.
const RGB_TO_XYZ: [[f64; 3]; 3] = [
    [0.4124564, 0.3575761, 0.1804375],
    [0.2126729, 0.7151522, 0.0721750],
    [0.0193339, 0.1191920, 0.9503041],
];

/// Linearises one gamma-encoded sRGB component in 0..=1.
pub fn srgb_to_linear(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear light (0..1) to the sRGB transfer curve (0..1), the inverse of [`srgb_to_linear`] (IEC 61966-2-1).
pub fn linear_to_srgb(l: f64) -> f64 {
    if l <= 0.0031308 {
        12.92 * l
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

/// CIELAB companding function f(t), with the cube root given. Both sides are computed and one is taken, with
/// no branch, so that a loop over pixels vectorises (the cube root of a dark value is simply not used).
#[inline(always)]
fn lab_f(t: f64, cbrt: impl Fn(f64) -> f64) -> f64 {
    const D: f64 = 6.0 / 29.0;
    let root = cbrt(t);
    let linear = t / (3.0 * D * D) + 4.0 / 29.0;
    if t > D * D * D {
        root
    } else {
        linear
    }
}

/// CIELAB from the companded `f(X/Xn), f(Y/Yn), f(Z/Zn)`.
#[inline(always)]
fn lab_from_f([fx, fy, fz]: [f64; 3]) -> [f64; 3] {
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Converts linear-light XYZ (Y of white = 1) to CIELAB under D65.
pub fn xyz_to_lab(xyz: [f64; 3]) -> [f64; 3] {
    lab_from_f([0, 1, 2].map(|c| lab_f(xyz[c] / D65_WHITE[c], f64::cbrt)))
}

crate::simd::avx2_dispatch! {
/// CIELAB (D65, f32) of linear-light RGB rows, the analysis's colour conversion, appended to `lab`:
/// [`linear_rgb_to_xyz`], then [`xyz_to_lab`]'s companding with its cube root taken by [`cbrt_fast`], eight
/// pixels at a time so that the compiler vectorises the matrix, the divisions and the cube roots.
///
/// A last partial block is padded with black, whose answers are not kept: every block is whole, so the
/// matrix vectorises too. A block with no dark value (the usual case) skips the companding's linear side,
/// which it would not use: a division per value less. Appending spares the zero-filled planes. Each value
/// goes through the same operations as before (this conversion fell from 4.8 % to 3.0 % of the analysis
/// of 40 photos of 640 px).
pub fn linear_rgb_to_lab_rows(rgb: [&[f32]; 3], lab: [&mut Vec<f32>; 3]) {
    const N: usize = 8;
    let [lo, ao, bo] = lab;
    let n = rgb[0].len().min(rgb[1].len()).min(rgb[2].len());
    for v in [&mut *lo, &mut *ao, &mut *bo] {
        v.reserve(n);
    }
    let mut i = 0;
    while i < n {
        let m = N.min(n - i);
        let mut lin = [[0.0f32; N]; 3];
        for c in 0..3 {
            lin[c][..m].copy_from_slice(&rgb[c][i..i + m]);
        }
        let t = xyz_block(&lin);
        let f = companded_block(&t);
        let mut out = [[0.0f32; N]; 3];
        for k in 0..N {
            let v = lab_from_f([f[0][k], f[1][k], f[2][k]]);
            (out[0][k], out[1][k], out[2][k]) = (v[0] as f32, v[1] as f32, v[2] as f32);
        }
        lo.extend_from_slice(&out[0][..m]);
        ao.extend_from_slice(&out[1][..m]);
        bo.extend_from_slice(&out[2][..m]);
        i += m;
    }
}
}

/// `X/Xn, Y/Yn, Z/Zn` of a block of linear-light RGB ([`linear_rgb_to_xyz`], then the white's division).
#[inline(always)]
fn xyz_block<const N: usize>(lin: &[[f32; N]; 3]) -> [[f64; N]; 3] {
    let mut t = [[0.0f64; N]; 3];
    for k in 0..N {
        let xyz = linear_rgb_to_xyz([0, 1, 2].map(|c| lin[c][k] as f64));
        for c in 0..3 {
            t[c][k] = xyz[c] / D65_WHITE[c];
        }
    }
    t
}

/// [`lab_f`] with [`cbrt_fast`] of a block of `X/Xn, Y/Yn, Z/Zn` (each at least 1e-12: `cbrt_fast` wants a
/// positive normal input, and a black pixel's 0 is not one).
#[inline(always)]
fn companded_block<const N: usize>(t: &[[f64; N]; 3]) -> [[f64; N]; 3] {
    const D: f64 = 6.0 / 29.0;
    let mut f = [[0.0f64; N]; 3];
    // Every comparison made (`&`, no short circuit): no branch per value.
    let bright = t
        .iter()
        .flatten()
        .fold(true, |all, &v| all & (v.max(1e-12) > D * D * D));
    if bright {
        // Above the toe `lab_f` is the cube root itself.
        for c in 0..3 {
            for k in 0..N {
                f[c][k] = cbrt_fast(t[c][k].max(1e-12));
            }
        }
    } else {
        for c in 0..3 {
            for k in 0..N {
                f[c][k] = lab_f(t[c][k].max(1e-12), cbrt_fast);
            }
        }
    }
    f
}

/// Cube root of a positive normal `x`, to a relative error below 1e-10: a first guess from the bits (the
/// exponent divided by three, Kahan's constant) refined by three Newton steps, each squaring the relative
/// error (5e-2 at most at first, then 3e-3, 8e-6, 6e-11). The analysis rounds to f32 (relative step 6e-8),
/// so a fourth step would change almost nothing it keeps.
///
/// Why not `f64::cbrt`: libm's is exact to the ulp but costs ~15 ns and does not vectorise; three per
/// pixel were about a quarter of the prepare stage on a 640×640 photo (perf). The analysis rounds its Lab
/// values to f32, where the two agree (tested in `analysis::prepare`).
#[inline(always)]
pub fn cbrt_fast(x: f64) -> f64 {
    // The guess from the f32 bits (Kahan's constant for f32): a u32 division by three vectorises, a u64 one
    // does not (no 64-bit multiply-high in AVX2). Inputs here are colour values far inside f32's range.
    let mut y = f32::from_bits((x as f32).to_bits() / 3 + 0x2A51_37A0) as f64;
    for _ in 0..3 {
        y = (2.0 * y + x / (y * y)) * (1.0 / 3.0);
    }
    y
}

/// Linear sRGB (0..1) to XYZ (D65) by the IEC 61966-2-1 matrix.
#[inline(always)]
pub fn linear_rgb_to_xyz(lin: [f64; 3]) -> [f64; 3] {
    let m = RGB_TO_XYZ;
    [0, 1, 2].map(|r| m[r][0] * lin[0] + m[r][1] * lin[1] + m[r][2] * lin[2])
}

/// Converts one 8-bit sRGB pixel to CIELAB (D65), in f64 (the reference path).
pub fn srgb8_to_lab(rgb: [u8; 3]) -> [f64; 3] {
    xyz_to_lab(linear_rgb_to_xyz(
        rgb.map(|v| srgb_to_linear(v as f64 / 255.0)),
    ))
}

/// CIELAB planes of an image, each `(height, width)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabPlanes {
    /// L* (0..100).
    pub l: Array2<f32>,
    /// a* (green − / red +).
    pub a: Array2<f32>,
    /// b* (blue − / yellow +).
    pub b: Array2<f32>,
}

impl LabPlanes {
    /// Image width.
    pub fn width(&self) -> usize {
        self.l.ncols()
    }

    /// Image height.
    pub fn height(&self) -> usize {
        self.l.nrows()
    }

    /// (L*, a*, b*) at pixel index `i = y·width + x`, if in range.
    pub fn at_index(&self, i: usize) -> Option<[f64; 3]> {
        let (s_l, s_a, s_b) = (self.l.as_slice()?, self.a.as_slice()?, self.b.as_slice()?);
        Some([s_l.get(i)?, s_a.get(i)?, s_b.get(i)?].map(|&v| v as f64))
    }
}

/// Whole-image sRGB → CIELAB (D65): a 256-entry linearisation table, then f32 arithmetic.
///
/// Agrees with [`srgb8_to_lab`] to about 1e-4 (f32 rounding).
pub fn lab_planes(rgb: &RgbImage) -> LabPlanes {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let lut: [f32; 256] = std::array::from_fn(|v| srgb_to_linear(v as f64 / 255.0) as f32);
    let m = RGB_TO_XYZ.map(|r| r.map(|v| v as f32));
    let inv_white = D65_WHITE.map(|v| (1.0 / v) as f32);
    const D: f32 = 6.0 / 29.0;
    let f = |t: f32| {
        if t > D * D * D {
            t.cbrt()
        } else {
            t / (3.0 * D * D) + 4.0 / 29.0
        }
    };
    let n = w * h;
    let (mut lv, mut av, mut bv) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
    for (((px, l), a), b) in rgb
        .as_raw()
        .chunks_exact(3)
        .zip(lv.iter_mut())
        .zip(av.iter_mut())
        .zip(bv.iter_mut())
    {
        let (r, g, bl) = (
            lut[px[0] as usize],
            lut[px[1] as usize],
            lut[px[2] as usize],
        );
        let x = (m[0][0] * r + m[0][1] * g + m[0][2] * bl) * inv_white[0];
        let y = (m[1][0] * r + m[1][1] * g + m[1][2] * bl) * inv_white[1];
        let z = (m[2][0] * r + m[2][1] * g + m[2][2] * bl) * inv_white[2];
        let (fx, fy, fz) = (f(x), f(y), f(z));
        *l = 116.0 * fy - 16.0;
        *a = 500.0 * (fx - fy);
        *b = 200.0 * (fy - fz);
    }
    let plane = |v: Vec<f32>| Array2::from_shape_vec((h, w), v).expect("length is h·w");
    LabPlanes {
        l: plane(lv),
        a: plane(av),
        b: plane(bv),
    }
}

/// ITA° = `atan((L* − 50)/b*)·180/π`, in (−90°, 90°).
///
/// For `b* = 0` the limit from positive b* is used: +90° if L* > 50, −90° if L* < 50, and 0° if
/// L* = 50 (0/0), so the result is never NaN for finite inputs.
pub fn ita_degrees(l: f64, b: f64) -> f64 {
    if b == 0.0 {
        return if l > 50.0 {
            90.0
        } else if l < 50.0 {
            -90.0
        } else {
            0.0
        };
    }
    ((l - 50.0) / b).atan().to_degrees()
}

/// Skin-colour category from ITA° (Chardon et al. 1991; Del Bino et al. 2013).
///
/// Bands: > 55 very light; (41, 55] light; (28, 41] intermediate; (10, 28] tan;
/// (−30, 10] brown; ≤ −30 dark (a boundary value belongs to the darker band).
/// The renderer draws skin colours per band too (`render::SkinTone` is this type).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItaBand {
    /// ITA° > 55
    VeryLight,
    /// 41 < ITA° ≤ 55
    Light,
    /// 28 < ITA° ≤ 41
    Intermediate,
    /// 10 < ITA° ≤ 28
    Tan,
    /// −30 < ITA° ≤ 10
    Brown,
    /// ITA° ≤ −30
    Dark,
}

impl ItaBand {
    /// All six bands, lightest first.
    pub const ALL: [ItaBand; 6] = [
        ItaBand::VeryLight,
        ItaBand::Light,
        ItaBand::Intermediate,
        ItaBand::Tan,
        ItaBand::Brown,
        ItaBand::Dark,
    ];

    /// The band of an ITA° value.
    pub fn from_ita(ita: f64) -> Self {
        if ita > 55.0 {
            Self::VeryLight
        } else if ita > 41.0 {
            Self::Light
        } else if ita > 28.0 {
            Self::Intermediate
        } else if ita > 10.0 {
            Self::Tan
        } else if ita > -30.0 {
            Self::Brown
        } else {
            Self::Dark
        }
    }

    /// snake_case name (as serialised, and as the report's `quality.skin_tone`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VeryLight => "very_light",
            Self::Light => "light",
            Self::Intermediate => "intermediate",
            Self::Tan => "tan",
            Self::Brown => "brown",
            Self::Dark => "dark",
        }
    }

    /// Parses a band name (`very_light`, `light`, `intermediate`, `tan`, `brown`, `dark`; case and `-`
    /// for `_` do not matter).
    pub fn parse(s: &str) -> Option<ItaBand> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        ItaBand::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Mean (L*, a*, b*) over pixels of a mask (nonzero = inside); `None` if empty or sizes differ.
pub fn mean_lab(lab: &LabPlanes, mask: &GrayImage) -> Option<[f64; 3]> {
    if (mask.width() as usize, mask.height() as usize) != (lab.width(), lab.height()) {
        return None;
    }
    let idx: Vec<u32> = mask
        .as_raw()
        .iter()
        .enumerate()
        .filter(|(_, &v)| v != 0)
        .map(|(i, _)| i as u32)
        .collect();
    mean_lab_indices(lab, &idx)
}

/// Mean (L*, a*, b*) over pixel indices (`y·width + x`); `None` if empty or an index is out of range.
pub fn mean_lab_indices(lab: &LabPlanes, idx: &[u32]) -> Option<[f64; 3]> {
    if idx.is_empty() {
        return None;
    }
    let mut s = [0.0f64; 3];
    for &i in idx {
        let v = lab.at_index(i as usize)?;
        (0..3).for_each(|k| s[k] += v[k]);
    }
    Some(s.map(|v| v / idx.len() as f64))
}

/// Colour contrast of a region against its surrounding ring (region minus ring).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct RingContrast {
    /// ΔL* = L*(region) − L*(ring); negative = region darker.
    pub delta_l: f64,
    /// Δa* = a*(region) − a*(ring); positive = region redder (erythema).
    pub delta_a: f64,
    /// Δb* = b*(region) − b*(ring).
    pub delta_b: f64,
    /// ΔE*ab (CIE76) = √(ΔL*² + Δa*² + Δb*²).
    pub delta_e: f64,
    /// Mean (L*, a*, b*) of the region.
    pub region_mean: [f64; 3],
    /// Mean (L*, a*, b*) of the ring.
    pub ring_mean: [f64; 3],
}

fn contrast_of(r: [f64; 3], g: [f64; 3]) -> RingContrast {
    let d = [r[0] - g[0], r[1] - g[1], r[2] - g[2]];
    RingContrast {
        delta_l: d[0],
        delta_a: d[1],
        delta_b: d[2],
        delta_e: (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt(),
        region_mean: r,
        ring_mean: g,
    }
}

/// Region-versus-ring contrast from two masks; `None` if either is empty or sizes differ.
pub fn ring_contrast(
    lab: &LabPlanes,
    region: &GrayImage,
    ring: &GrayImage,
) -> Option<RingContrast> {
    Some(contrast_of(mean_lab(lab, region)?, mean_lab(lab, ring)?))
}

/// Region-versus-ring contrast from pixel index lists (`y·width + x`); `None` if either is empty.
pub fn ring_contrast_indices(
    lab: &LabPlanes,
    region: &[u32],
    ring: &[u32],
) -> Option<RingContrast> {
    Some(contrast_of(
        mean_lab_indices(lab, region)?,
        mean_lab_indices(lab, ring)?,
    ))
}

/// The ring around `mask`: pixels outside it whose Euclidean distance to the nearest mask pixel
/// is in `(inner, outer]` (pixels, `0 ≤ inner < outer`). Output is 255 inside the ring, 0 elsewhere.
/// An empty mask gives an empty ring.
pub fn ring_mask(mask: &GrayImage, inner: f64, outer: f64) -> GrayImage {
    let (w, h) = mask.dimensions();
    if !mask.as_raw().iter().any(|&v| v != 0) {
        return GrayImage::new(w, h);
    }
    let d2 = imageproc::distance_transform::euclidean_squared_distance_transform(mask);
    let (i2, o2) = (inner.max(0.0).powi(2), outer.max(0.0).powi(2));
    let data = mask
        .as_raw()
        .iter()
        .zip(d2.as_raw())
        .map(|(&m, &d)| if m == 0 && d > i2 && d <= o2 { 255 } else { 0 })
        .collect();
    GrayImage::from_raw(w, h, data).expect("length is w·h")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ita_bands_and_limits() {
        assert_eq!(ItaBand::from_ita(60.0), ItaBand::VeryLight);
        assert_eq!(ItaBand::from_ita(55.0), ItaBand::Light);
        assert_eq!(ItaBand::from_ita(41.0), ItaBand::Intermediate);
        assert_eq!(ItaBand::from_ita(20.0), ItaBand::Tan);
        assert_eq!(ItaBand::from_ita(0.0), ItaBand::Brown);
        assert_eq!(ItaBand::from_ita(-30.0), ItaBand::Dark);
        assert_eq!(ita_degrees(50.0, 0.0), 0.0);
        assert_eq!(ita_degrees(30.0, 0.0), -90.0);
        assert!((ita_degrees(40.0, -10.0) - 45.0).abs() < 1e-12);
    }

    #[test]
    fn ring_mask_and_contrast() {
        let mut m = GrayImage::new(21, 21);
        m.put_pixel(10, 10, image::Luma([1]));
        let ring = ring_mask(&m, 0.0, 2.0);
        // Distances in (0, 2]: 4 at 1, 4 at √2, 4 at 2.
        assert_eq!(ring.as_raw().iter().filter(|&&v| v != 0).count(), 12);
        assert_eq!(ring.get_pixel(10, 10)[0], 0);
        assert_eq!(ring.get_pixel(12, 10)[0], 255);
        assert!(ring_mask(&GrayImage::new(5, 5), 0.0, 3.0)
            .as_raw()
            .iter()
            .all(|&v| v == 0));
        let rgb = RgbImage::from_fn(21, 21, |x, y| {
            if (x, y) == (10, 10) {
                image::Rgb([180, 60, 60])
            } else {
                image::Rgb([200, 160, 150])
            }
        });
        let lab = lab_planes(&rgb);
        let c = ring_contrast(&lab, &m, &ring).unwrap();
        assert!(c.delta_a > 20.0 && c.delta_l < 0.0);
        assert!(
            (c.delta_e - (c.delta_l.powi(2) + c.delta_a.powi(2) + c.delta_b.powi(2)).sqrt()).abs()
                < 1e-12
        );
        let ci = ring_contrast_indices(&lab, &[10 * 21 + 10], &[10 * 21 + 12]).unwrap();
        assert!((ci.delta_a - c.delta_a).abs() < 1e-4);
        assert_eq!(ring_contrast(&lab, &GrayImage::new(21, 21), &ring), None);
        assert_eq!(ring_contrast_indices(&lab, &[], &[1]), None);
        assert_eq!(mean_lab_indices(&lab, &[10_000]), None);
    }
}
