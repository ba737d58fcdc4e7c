//! Local binary patterns, value for value as scikit-image 0.26
//! `skimage.feature.local_binary_pattern(image, P, R, method)` on an 8-bit image.
//!
//! Conventions (all from scikit-image, borders included):
//! * sample `i` of `P` lies at `(row − R·sin(2πi/P), col + R·cos(2πi/P))`, each offset rounded to
//!   5 decimals: `i = 0` is east, then counter-clockwise (`i = P/4` is north);
//! * samples are bilinearly interpolated in f64 with exactly scikit-image's arithmetic
//!   (`top = (1−dc)·tl + dc·tr`, `bottom = …`, `(1−dr)·top + dr·bottom`, with `dr`, `dc` the
//!   fractional parts of the sample coordinates), so ties round the same way;
//! * samples outside the image read 0 (scikit-image's constant mode, `cval = 0`);
//! * bit `i` is set when `sample ≥ centre` (ties count as set);
//! * `default` = Σ bitᵢ·2ⁱ; `ror` = minimum over the P circular rotations; `uniform` = number of
//!   set bits when the pattern has at most 2 transitions, else `P + 1` (values 0..=P+1);
//!   `nri_uniform` = scikit-image's non-rotation-invariant uniform code (0..=P(P−1)+2);
//!   `var` = population variance of the P samples (`None` where it is 0, NaN in scikit-image).
//!
//! ```
//! use scarscope::texture::lbp::{local_binary_pattern, LbpMethod};
//! // P = 4, R = 1 samples E, N, W, S exactly. Centre 5: E=5 (tie: set), N=9 (set),
//! // W=1 (clear), S=0 (clear) -> bits 0 and 1 -> 3. Out-of-image samples are 0.
//! let img = image::GrayImage::from_raw(3, 3, vec![0, 9, 0, 1, 5, 5, 0, 0, 0]).unwrap();
//! let map = local_binary_pattern(&img, 4, 1.0, LbpMethod::Default).unwrap();
//! assert_eq!(map[4], Some(3.0));
//! let u = local_binary_pattern(&img, 4, 1.0, LbpMethod::Uniform).unwrap();
//! assert_eq!(u[4], Some(2.0)); // 2 set bits, 2 transitions -> uniform
//! ```
//!
//! Speed: the image is copied once into a zero-padded buffer (so the border needs no special
//! case and out-of-image reads are the padding zeros); bilinear weights depend only on the row
//! (for `dr`) and the column (for `dc`), so they are precomputed; samples on the integer grid
//! (P = 4 and the axis samples of P = 8) are compared as bytes; a lookup table maps patterns to
//! codes for P ≤ 16.

use image::GrayImage;

/// Which LBP code scikit-image's `method` argument selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LbpMethod {
    /// `default`: Σ bitᵢ·2ⁱ.
    Default,
    /// `ror`: rotation-invariant (minimum circular rotation).
    Ror,
    /// `uniform`: rotation-invariant uniform, values 0..=P+1.
    Uniform,
    /// `nri_uniform`: non-rotation-invariant uniform, values 0..=P(P−1)+2.
    NriUniform,
    /// `var`: population variance of the samples (rotation-invariant contrast).
    Var,
}

impl LbpMethod {
    /// Parses scikit-image's method name.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "default" => Self::Default,
            "ror" => Self::Ror,
            "uniform" => Self::Uniform,
            "nri_uniform" => Self::NriUniform,
            "var" => Self::Var,
            _ => return None,
        })
    }
}

/// Errors for invalid LBP parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LbpError {
    /// P must be in 1..=31 (scikit-image's int32 weights).
    #[error("number of points P must be between 1 and 31, got {0}")]
    BadPoints(usize),
    /// R must be finite, > 0 and at most 64.
    #[error("radius R must be finite and in (0, 64], got {0}")]
    BadRadius(f64),
    /// Mask and image sizes differ.
    #[error("mask size does not match the image")]
    MaskSize,
}

/// Rounds like `numpy.round(x, 5)`: scale, round half to even, unscale.
fn np_round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

/// Sample geometry of one neighbour.
struct Sample {
    /// Row offset, rounded to 5 decimals.
    rp: f64,
    /// floor of the row offset / column offset.
    kr: isize,
    kc: isize,
    /// Fractional column weight per column (`dc`), and `1 − dc`.
    dc: Vec<f64>,
    odc: Vec<f64>,
    /// True when both offsets are integers: the sample is a pixel value.
    exact: bool,
}

/// Precomputed geometry and padded input for one (image, P, R).
struct Lbp {
    p: usize,
    w: usize,
    h: usize,
    pad: usize,
    pw: usize,
    padded: Vec<u8>,
    samples: Vec<Sample>,
    /// f64 copies of padded rows, keyed by padded row index (a small ring).
    cache: Vec<(usize, Vec<f64>)>,
}

impl Lbp {
    fn new(img: &GrayImage, p: usize, r: f64) -> Result<Self, LbpError> {
        if !(1..=31).contains(&p) {
            return Err(LbpError::BadPoints(p));
        }
        // scikit-image declares R as a C float: round-trip through f32 like it does.
        if !(r.is_finite() && r > 0.0 && r <= 64.0) {
            return Err(LbpError::BadRadius(r));
        }
        let r = r as f32 as f64;
        let (w, h) = (img.width() as usize, img.height() as usize);
        let pad = r.ceil() as usize + 1;
        let pw = w + 2 * pad;
        let mut padded = vec![0u8; pw * (h + 2 * pad)];
        for (y, row) in img.as_raw().chunks_exact(w.max(1)).enumerate().take(h) {
            let s = (y + pad) * pw + pad;
            padded[s..s + w].copy_from_slice(row);
        }
        let mut samples = Vec::with_capacity(p);
        for i in 0..p {
            let a = 2.0 * std::f64::consts::PI * i as f64 / p as f64;
            let rp = np_round5(-r * a.sin());
            let cp = np_round5(r * a.cos());
            let kr = rp.floor() as isize;
            let kc = cp.floor() as isize;
            // For |c| < 2^24 and 5-decimal offsets, floor(c + cp) == c + floor(cp) exactly
            // (the rounding of c + cp is far below the 1e-5 distance of cp's fraction to an
            // integer), so the neighbour columns are a constant shift and only dc varies.
            let (dc, odc): (Vec<f64>, Vec<f64>) = (0..w)
                .map(|c| {
                    let cs = c as f64 + cp;
                    let minc = cs.floor();
                    debug_assert_eq!(minc as isize, c as isize + kc);
                    let dc = cs - minc;
                    (dc, 1.0 - dc)
                })
                .unzip();
            samples.push(Sample {
                rp,
                kr,
                kc,
                dc,
                odc,
                exact: rp.fract() == 0.0 && cp.fract() == 0.0,
            });
        }
        Ok(Self {
            p,
            w,
            h,
            pad,
            pw,
            padded,
            samples,
            cache: Vec::new(),
        })
    }

    fn padded_row(&self, prow: usize) -> &[u8] {
        &self.padded[prow * self.pw..(prow + 1) * self.pw]
    }

    /// Index into `cache` of padded row `prow` converted to f64 (converted on first use).
    fn cached(&mut self, prow: usize) -> usize {
        if let Some(i) = self.cache.iter().position(|(r, _)| *r == prow) {
            return i;
        }
        let ring = 2 * self.pad + 3;
        let row: Vec<f64> = self.padded_row(prow).iter().map(|&v| v as f64).collect();
        if self.cache.len() < ring {
            self.cache.push((prow, row));
            self.cache.len() - 1
        } else {
            // Evict the lowest row: rows are visited top to bottom.
            let (i, _) = self
                .cache
                .iter()
                .enumerate()
                .min_by_key(|(_, (r, _))| *r)
                .expect("ring is non-empty");
            self.cache[i] = (prow, row);
            i
        }
    }

    /// Pattern bits of row `y` into `bits`; if `var` is given, also the scikit-image variance.
    fn row(&mut self, y: usize, bits: &mut [u32], var: Option<(&mut [f64], &mut [f64])>) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked above). AVX2 only widens the vectors of
            // the same IEEE operations (no FMA contraction), so results are bit-identical.
            unsafe { self.row_avx2(y, bits, var) };
            return;
        }
        self.row_impl(y, bits, var)
    }

    /// [`Lbp::row`] compiled with AVX2 enabled (runtime-dispatched).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn row_avx2(&mut self, y: usize, bits: &mut [u32], var: Option<(&mut [f64], &mut [f64])>) {
        self.row_impl(y, bits, var)
    }

    #[inline(always)]
    fn row_impl(&mut self, y: usize, bits: &mut [u32], mut var: Option<(&mut [f64], &mut [f64])>) {
        let (w, pad) = (self.w, self.pad);
        bits.iter_mut().for_each(|b| *b = 0);
        if let Some((s, q)) = var.as_mut() {
            s.iter_mut().for_each(|v| *v = 0.0);
            q.iter_mut().for_each(|v| *v = 0.0);
        }
        let cy = y + pad;
        let ci = self.cached(cy);
        let mut sample_row = vec![0.0f64; if var.is_some() { w } else { 0 }];
        for i in 0..self.p {
            let (rp, kr, kc, exact) = {
                let s = &self.samples[i];
                (s.rp, s.kr, s.kc, s.exact)
            };
            let top = (cy as isize + kr) as usize;
            let c0 = (pad as isize + kc) as usize;
            if exact && var.is_none() {
                let src = &self.padded_row(top)[c0..c0 + w];
                let cen = &self.padded_row(cy)[pad..pad + w];
                for ((b, &s), &c) in bits.iter_mut().zip(src).zip(cen) {
                    *b |= ((s >= c) as u32) << i;
                }
                continue;
            }
            // scikit-image: r_s = r + rp; dr = r_s - floor(r_s).
            let rs = y as f64 + rp;
            let dr = rs - rs.floor();
            let odr = 1.0 - dr;
            let ti = self.cached(top);
            let bi = self.cached(top + 1);
            let s = &self.samples[i];
            let (t, b, cen) = (&self.cache[ti].1, &self.cache[bi].1, &self.cache[ci].1);
            let (tl, tr) = (&t[c0..c0 + w], &t[c0 + 1..c0 + 1 + w]);
            let (bl, br) = (&b[c0..c0 + w], &b[c0 + 1..c0 + 1 + w]);
            let cen = &cen[pad..pad + w];
            let it = tl
                .iter()
                .zip(tr)
                .zip(bl.iter().zip(br))
                .zip(s.dc.iter().zip(&s.odc));
            if var.is_some() {
                for (v, (((&tl, &tr), (&bl, &br)), (&dc, &odc))) in sample_row.iter_mut().zip(it) {
                    let top = odc * tl + dc * tr;
                    let bottom = odc * bl + dc * br;
                    *v = odr * top + dr * bottom;
                }
                for ((bt, &v), &c) in bits.iter_mut().zip(&sample_row).zip(cen) {
                    *bt |= ((v - c >= 0.0) as u32) << i;
                }
                if let Some((su, sq)) = var.as_mut() {
                    for ((a, q), &v) in su.iter_mut().zip(sq.iter_mut()).zip(&sample_row) {
                        *a += v;
                        *q += v * v;
                    }
                }
            } else {
                for ((bt, &c), (((&tl, &tr), (&bl, &br)), (&dc, &odc))) in
                    bits.iter_mut().zip(cen).zip(it)
                {
                    let top = odc * tl + dc * tr;
                    let bottom = odc * bl + dc * br;
                    let v = odr * top + dr * bottom;
                    *bt |= ((v - c >= 0.0) as u32) << i;
                }
            }
        }
    }
}

/// Number of 0↔1 changes between consecutive bits 0..P−1 (not circular, as scikit-image counts;
/// for these patterns "≤ 2" is equivalent to the circular definition).
fn changes(code: u32, p: usize) -> u32 {
    let mask = if p >= 32 { u32::MAX } else { (1u32 << p) - 1 };
    ((code ^ (code >> 1)) & (mask >> 1)).count_ones()
}

/// Maps a raw pattern to the code of `method` (not `Var`), exactly as scikit-image.
pub fn map_pattern(code: u32, p: usize, method: LbpMethod) -> u32 {
    let p32 = p as u32;
    match method {
        LbpMethod::Default | LbpMethod::Var => code,
        LbpMethod::Ror => {
            let mask = (1u64 << p) - 1;
            let c = code as u64;
            (0..p)
                .map(|k| (((c >> k) | (c << (p - k))) & mask) as u32)
                .min()
                .unwrap_or(code)
        }
        LbpMethod::Uniform => {
            if changes(code, p) <= 2 {
                code.count_ones()
            } else {
                p32 + 1
            }
        }
        LbpMethod::NriUniform => {
            if changes(code, p) > 2 {
                return p32 * (p32 - 1) + 2;
            }
            let n_ones = code.count_ones();
            if n_ones == 0 {
                0
            } else if n_ones == p32 {
                p32 * (p32 - 1) + 1
            } else {
                let first_one = code.trailing_zeros();
                let first_zero = (!code).trailing_zeros();
                let rot = if first_one == 0 {
                    n_ones - first_zero
                } else {
                    p32 - first_one
                };
                1 + (n_ones - 1) * p32 + rot
            }
        }
    }
}

/// Calls `f(y, codes)` for each row with the mapped codes (method ≠ Var).
fn for_each_code_row(
    img: &GrayImage,
    p: usize,
    r: f64,
    method: LbpMethod,
    mut f: impl FnMut(usize, &[u32]),
) -> Result<(), LbpError> {
    let mut l = Lbp::new(img, p, r)?;
    let lut: Option<Vec<u32>> =
        (p <= 16).then(|| (0..1u32 << p).map(|c| map_pattern(c, p, method)).collect());
    let mut bits = vec![0u32; l.w];
    for y in 0..l.h {
        l.row(y, &mut bits, None);
        match &lut {
            Some(lut) => bits.iter_mut().for_each(|b| *b = lut[*b as usize]),
            None => bits
                .iter_mut()
                .for_each(|b| *b = map_pattern(*b, p, method)),
        }
        f(y, &bits);
    }
    Ok(())
}

/// The LBP map of `img` (row-major, one value per pixel), as scikit-image returns it.
///
/// Values are `Some(code)`, except for `Var`, where a zero variance gives `None`
/// (scikit-image returns NaN there).
pub fn local_binary_pattern(
    img: &GrayImage,
    p: usize,
    r: f64,
    method: LbpMethod,
) -> Result<Vec<Option<f64>>, LbpError> {
    let w = img.width() as usize;
    let mut out = vec![None; w * img.height() as usize];
    if method == LbpMethod::Var {
        let mut l = Lbp::new(img, p, r)?;
        let (mut bits, mut s, mut q) = (vec![0u32; w], vec![0.0; w], vec![0.0; w]);
        let pf = p as f64;
        for y in 0..l.h {
            l.row(y, &mut bits, Some((&mut s, &mut q)));
            for ((o, &s), &q) in out[y * w..(y + 1) * w].iter_mut().zip(&s).zip(&q) {
                let v = (q - (s * s) / pf) / pf;
                *o = (v != 0.0).then_some(v);
            }
        }
        return Ok(out);
    }
    for_each_code_row(img, p, r, method, |y, codes| {
        for (o, &c) in out[y * w..(y + 1) * w].iter_mut().zip(codes) {
            *o = Some(c as f64);
        }
    })?;
    Ok(out)
}

/// Normalised histogram of uniform LBP codes (length P+2, bins 0..=P+1) over `mask`
/// (nonzero = inside; `None` = whole image). All zeros if the ROI is empty.
pub fn uniform_histogram(
    img: &GrayImage,
    mask: Option<&GrayImage>,
    p: usize,
    r: f64,
) -> Result<Vec<f64>, LbpError> {
    if mask.is_some_and(|m| m.dimensions() != img.dimensions()) {
        return Err(LbpError::MaskSize);
    }
    let w = img.width() as usize;
    let mut hist = vec![0u64; p + 2];
    for_each_code_row(img, p, r, LbpMethod::Uniform, |y, codes| match mask {
        None => codes.iter().for_each(|&c| hist[c as usize] += 1),
        Some(m) => codes
            .iter()
            .zip(&m.as_raw()[y * w..(y + 1) * w])
            .filter(|(_, &mv)| mv != 0)
            .for_each(|(&c, _)| hist[c as usize] += 1),
    })?;
    let total: u64 = hist.iter().sum();
    Ok(hist
        .iter()
        .map(|&c| {
            if total > 0 {
                c as f64 / total as f64
            } else {
                0.0
            }
        })
        .collect())
}

/// Shannon entropy (log2) of a normalised histogram; `None` if it is all zeros.
pub fn histogram_entropy(hist: &[f64]) -> Option<f64> {
    let s: f64 = hist.iter().sum();
    (s > 0.0).then(|| {
        hist.iter()
            .filter(|&&p| p > 0.0)
            .map(|&p| -p * p.log2())
            .sum::<f64>()
            + 0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Circular transition count (the textbook uniformity measure U).
    fn circular_u(code: u32, p: usize) -> u32 {
        (0..p)
            .filter(|&i| (code >> i) & 1 != (code >> ((i + 1) % p)) & 1)
            .count() as u32
    }

    #[test]
    fn texture_lbp_uniform_matches_textbook_definition() {
        for p in [4usize, 8, 12] {
            for code in 0..1u32 << p {
                let u = map_pattern(code, p, LbpMethod::Uniform);
                let want = if circular_u(code, p) <= 2 {
                    code.count_ones()
                } else {
                    p as u32 + 1
                };
                assert_eq!(u, want, "P={p} code={code:b}");
                let r = map_pattern(code, p, LbpMethod::Ror);
                assert!(r <= code && r.count_ones() == code.count_ones());
                let n = map_pattern(code, p, LbpMethod::NriUniform);
                assert!(n <= (p * (p - 1) + 2) as u32);
            }
        }
    }

    #[test]
    fn texture_lbp_histogram_masks_and_normalises() {
        let img = GrayImage::from_fn(9, 9, |x, y| image::Luma([((x * 7 + y * 3) % 11) as u8]));
        let h = uniform_histogram(&img, None, 8, 1.0).unwrap();
        assert_eq!(h.len(), 10);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let empty = GrayImage::new(9, 9);
        assert!(uniform_histogram(&img, Some(&empty), 8, 1.0)
            .unwrap()
            .iter()
            .all(|&v| v == 0.0));
        assert_eq!(histogram_entropy(&[0.0; 10]), None);
        assert_eq!(histogram_entropy(&[0.5, 0.5]), Some(1.0));
        assert!(uniform_histogram(&img, Some(&GrayImage::new(3, 3)), 8, 1.0).is_err());
        assert!(local_binary_pattern(&img, 0, 1.0, LbpMethod::Default).is_err());
        assert!(local_binary_pattern(&img, 8, f64::NAN, LbpMethod::Default).is_err());
        // Degenerate sizes do not panic.
        assert!(
            local_binary_pattern(&GrayImage::new(0, 0), 8, 1.0, LbpMethod::Uniform)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            local_binary_pattern(&GrayImage::new(1, 1), 8, 1.0, LbpMethod::Uniform).unwrap(),
            vec![Some(8.0)]
        );
    }
}
