//! Grey-level co-occurrence matrices (GLCM) and their features.
//!
//! Two conventions are implemented, each exactly as published:
//!
//! * **IBSI** (Zwanenburg et al., IBSI reference manual, section 3.6 "Grey level co-occurrence
//!   based features"): symmetric matrices, Chebyshev distance `d`, the four 2D directions
//!   `(dx, dy)` = (1,0), (1,1), (0,1), (−1,1) with `x` = column and `y` = row (rows grow
//!   downward), pairs counted only when *both* pixels are inside the ROI, grey levels counted
//!   from 1, log2 entropies. Aggregations: "2D averaged" (features of each directional matrix,
//!   averaged) and "2D merged" (features of the summed matrix). See [`glcm_features_2d`].
//! * **scikit-image** (`skimage.feature.graycomatrix` / `graycoprops`, 0.26): see [`skimage`].
//!
//! ```
//! use scarscope::texture::discretise::Quantised;
//! use scarscope::texture::glcm::{directional_glcms, IBSI_DIRECTIONS_2D};
//! // Levels 1,2 / 2,2 (a 2x2 image); direction (1,0) pairs each pixel with its right neighbour.
//! let q = Quantised::from_levels(2, 2, &[Some(1), Some(2), Some(2), Some(2)], 2).unwrap();
//! let m = directional_glcms(&q, 1, &IBSI_DIRECTIONS_2D);
//! // Pairs (1,2) and (2,2), counted both ways (symmetric): [[0,1],[1,2]].
//! assert_eq!(m[0].counts(), &[0, 1, 1, 2]);
//! let f = m[0].features();
//! assert_eq!(f.get("contrast"), Some(Some(0.5))); // (1·1 + 1·1) / 4
//! assert_eq!(f.get("joint_average"), Some(Some(1.75))); // levels count from 1
//! ```
//!
//! Undefined values are `None` (serialised as JSON `null`), never NaN:
//! * every feature is `None` when the matrix has no pairs (empty or one-pixel ROI, ROI thinner
//!   than the distance in that direction);
//! * `correlation` is `None` when either marginal standard deviation is 0 (constant region: 0/0);
//! * `information_correlation_1` is `None` when the marginal entropy HX is 0 (constant region: 0/0).
//! * "2D averaged" averages each feature over the directions where it is defined and is `None`
//!   only when it is undefined in every direction.

use super::discretise::{Codes, Quantised};

/// The four IBSI 2D directions `(dx, dy)`: x = column, y = row (rows grow downward).
///
/// In scikit-image terms these are angles 0, π/4, π/2 and 3π/4 respectively.
pub const IBSI_DIRECTIONS_2D: [(i32, i32); 4] = [(1, 0), (1, 1), (0, 1), (-1, 1)];

/// Names of the 25 IBSI GLCM features, in output order.
pub const FEATURE_NAMES: [&str; 25] = [
    "joint_maximum",
    "joint_average",
    "joint_variance",
    "joint_entropy",
    "difference_average",
    "difference_variance",
    "difference_entropy",
    "sum_average",
    "sum_variance",
    "sum_entropy",
    "angular_second_moment",
    "contrast",
    "dissimilarity",
    "inverse_difference",
    "normalised_inverse_difference",
    "inverse_difference_moment",
    "normalised_inverse_difference_moment",
    "inverse_variance",
    "correlation",
    "autocorrelation",
    "cluster_tendency",
    "cluster_shade",
    "cluster_prominence",
    "information_correlation_1",
    "information_correlation_2",
];

/// A symmetric co-occurrence matrix of counts over levels 1..=Ng (row-major, Ng × Ng).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glcm {
    ng: usize,
    counts: Vec<u64>,
}

impl Glcm {
    /// Builds a matrix from raw row-major counts (Ng × Ng); used for merging and tests.
    pub fn from_counts(ng: usize, counts: Vec<u64>) -> Option<Self> {
        (counts.len() == ng * ng).then_some(Self { ng, counts })
    }

    /// Number of grey levels Ng.
    pub fn ng(&self) -> usize {
        self.ng
    }

    /// Row-major counts; entry `(i−1)·Ng + (j−1)` counts pairs of levels (i, j).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Total count (twice the number of pixel pairs, since each pair is counted both ways).
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Normalised matrix p(i, j) (sums to 1), or `None` when there are no pairs.
    pub fn probabilities(&self) -> Option<Vec<f64>> {
        let t = self.total();
        (t > 0).then(|| self.counts.iter().map(|&c| c as f64 / t as f64).collect())
    }

    /// The sum of several matrices of equal Ng ("merged" aggregation); `None` if empty or Ng differs.
    pub fn merged(mats: &[Glcm]) -> Option<Glcm> {
        let first = mats.first()?;
        let mut counts = vec![0u64; first.counts.len()];
        for m in mats {
            if m.ng != first.ng {
                return None;
            }
            counts.iter_mut().zip(&m.counts).for_each(|(a, b)| *a += b);
        }
        Some(Glcm {
            ng: first.ng,
            counts,
        })
    }

    /// All 25 IBSI features of this matrix.
    pub fn features(&self) -> GlcmFeatures {
        match self.probabilities() {
            Some(p) => ibsi_features(&p, self.ng),
            None => GlcmFeatures::default(),
        }
    }
}

/// The 25 IBSI GLCM features (see [`FEATURE_NAMES`]); `None` = undefined (see module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GlcmFeatures {
    /// Values in the order of [`FEATURE_NAMES`].
    pub values: [Option<f64>; 25],
}

impl GlcmFeatures {
    /// Looks a feature up by its snake_case name; outer `None` = unknown name.
    pub fn get(&self, name: &str) -> Option<Option<f64>> {
        FEATURE_NAMES
            .iter()
            .position(|&n| n == name)
            .map(|i| self.values[i])
    }

    /// (name, value) pairs in [`FEATURE_NAMES`] order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Option<f64>)> + '_ {
        FEATURE_NAMES
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// Mean of each feature over the sets where it is defined; `None` where undefined in all.
    pub fn average(sets: &[GlcmFeatures]) -> GlcmFeatures {
        let mut out = GlcmFeatures::default();
        for (k, slot) in out.values.iter_mut().enumerate() {
            let vals: Vec<f64> = sets.iter().filter_map(|s| s.values[k]).collect();
            if !vals.is_empty() {
                *slot = Some(vals.iter().sum::<f64>() / vals.len() as f64);
            }
        }
        out
    }
}

impl serde::Serialize for GlcmFeatures {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(25))?;
        for (k, v) in self.iter() {
            // Non-finite values cannot occur by construction; map them to null defensively.
            m.serialize_entry(k, &v.filter(|x| x.is_finite()))?;
        }
        m.end()
    }
}

/// IBSI features of a normalised Ng × Ng matrix `p` (levels 1..=Ng).
fn ibsi_features(p: &[f64], ng: usize) -> GlcmFeatures {
    let lv = |i: usize| (i + 1) as f64; // index -> IBSI grey level
    let mut px = vec![0.0; ng];
    let mut py = vec![0.0; ng];
    let mut pd = vec![0.0; ng]; // p_{x-y}(k), k = 0..Ng-1
    let mut ps = vec![0.0; 2 * ng - 1]; // p_{x+y}(k), k = 2..2Ng stored at k-2
    let mut jmax = 0.0f64;
    let mut jent = 0.0;
    let mut asm = 0.0;
    let mut auto = 0.0;
    for i in 0..ng {
        let row = &p[i * ng..(i + 1) * ng];
        for (j, &v) in row.iter().enumerate() {
            if v == 0.0 {
                continue;
            }
            px[i] += v;
            py[j] += v;
            pd[i.abs_diff(j)] += v;
            ps[i + j] += v;
            jmax = jmax.max(v);
            jent -= v * v.log2();
            asm += v * v;
            auto += lv(i) * lv(j) * v;
        }
    }
    let mux: f64 = px.iter().enumerate().map(|(i, &v)| lv(i) * v).sum();
    let muy: f64 = py.iter().enumerate().map(|(i, &v)| lv(i) * v).sum();
    let varx: f64 = px
        .iter()
        .enumerate()
        .map(|(i, &v)| (lv(i) - mux).powi(2) * v)
        .sum();
    let vary: f64 = py
        .iter()
        .enumerate()
        .map(|(i, &v)| (lv(i) - muy).powi(2) * v)
        .sum();
    let ent = |v: &[f64]| -> f64 { v.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.log2()).sum() };
    let dav: f64 = pd.iter().enumerate().map(|(k, &v)| k as f64 * v).sum();
    let dvar: f64 = pd
        .iter()
        .enumerate()
        .map(|(k, &v)| (k as f64 - dav).powi(2) * v)
        .sum();
    let sav: f64 = ps
        .iter()
        .enumerate()
        .map(|(k, &v)| (k + 2) as f64 * v)
        .sum();
    let svar: f64 = ps
        .iter()
        .enumerate()
        .map(|(k, &v)| ((k + 2) as f64 - sav).powi(2) * v)
        .sum();
    let ngf = ng as f64;
    let mut contrast = 0.0;
    let mut id = 0.0;
    let mut nid = 0.0;
    let mut idm = 0.0;
    let mut nidm = 0.0;
    let mut ivar = 0.0;
    for (k, &v) in pd.iter().enumerate() {
        let kf = k as f64;
        contrast += kf * kf * v;
        id += v / (1.0 + kf);
        nid += v / (1.0 + kf / ngf);
        idm += v / (1.0 + kf * kf);
        nidm += v / (1.0 + (kf / ngf).powi(2));
        if k > 0 {
            ivar += v / (kf * kf);
        }
    }
    let hx = ent(&px);
    let mut cov = 0.0;
    let mut ct = 0.0;
    let mut cs = 0.0;
    let mut cp = 0.0;
    let mut hxy1 = 0.0;
    let mut hxy2 = 0.0;
    for i in 0..ng {
        for j in 0..ng {
            let pxy = px[i] * py[j];
            if pxy > 0.0 {
                hxy2 -= pxy * pxy.log2();
            }
            let v = p[i * ng + j];
            if v == 0.0 {
                continue;
            }
            hxy1 -= v * pxy.log2();
            let (di, dj) = (lv(i) - mux, lv(j) - muy);
            cov += di * dj * v;
            let s = di + dj;
            ct += s * s * v;
            cs += s * s * s * v;
            cp += s * s * s * s * v;
        }
    }
    let sd = varx.sqrt() * vary.sqrt();
    // A constant region has a single occupied level: p = 1 exactly, so the variance is exactly 0.
    let corr = (varx > 0.0 && vary > 0.0).then(|| cov / sd);
    let ic1 = (hx > 0.0).then(|| (jent - hxy1) / hx);
    // HXY2 >= HXY mathematically; clamp rounding noise so the square root stays real.
    let ic2 = (1.0 - (-2.0 * (hxy2 - jent).max(0.0)).exp())
        .max(0.0)
        .sqrt();
    GlcmFeatures {
        values: [
            Some(jmax),
            Some(mux),
            Some(varx),
            Some(jent),
            Some(dav),
            Some(dvar),
            Some(ent(&pd)),
            Some(sav),
            Some(svar),
            Some(ent(&ps)),
            Some(asm),
            Some(contrast),
            Some(dav),
            Some(id),
            Some(nid),
            Some(idm),
            Some(nidm),
            Some(ivar),
            corr,
            Some(auto),
            Some(ct),
            Some(cs),
            Some(cp),
            ic1,
            Some(ic2),
        ],
    }
}

/// Counts one-way pairs `(code(y, x), code(y + dy, x + dx))` for each offset into `n × n` tables.
///
/// Codes must be `< n` (guaranteed by [`Quantised`]); the sentinel code for pixels outside the
/// ROI is counted like any other and its row/column dropped by the caller, which keeps this
/// loop free of mask branches. Two interleaved sub-tables per offset break the store-to-load
/// dependency chain when neighbouring pairs hit the same cell (smooth images do that a lot).
fn count_pairs<T: Copy + Into<usize>>(
    codes: &[T],
    w: usize,
    h: usize,
    n: usize,
    offsets: &[(isize, isize)],
) -> Vec<Vec<u64>> {
    let nn = n * n;
    let mut out = vec![vec![0u64; nn]; offsets.len()];
    let mut tabs = vec![vec![0u32; 2 * nn]; offsets.len()];
    // Flush u32 tables to u64 before any cell could overflow.
    let rows_per_block = ((u32::MAX as usize / 2) / w.max(1)).max(1);
    let mut rows_in_block = 0;
    for y in 0..h {
        for (k, &(dx, dy)) in offsets.iter().enumerate() {
            let y2 = y as isize + dy;
            if y2 < 0 || y2 >= h as isize || dx.unsigned_abs() >= w {
                continue;
            }
            let ra = &codes[y * w..(y + 1) * w];
            let rb = &codes[y2 as usize * w..(y2 as usize + 1) * w];
            let (a, b) = if dx >= 0 {
                (&ra[..w - dx as usize], &rb[dx as usize..])
            } else {
                (&ra[(-dx) as usize..], &rb[..w - (-dx) as usize])
            };
            count_row(a, b, n, &mut tabs[k]);
        }
        rows_in_block += 1;
        if rows_in_block == rows_per_block {
            flush(&mut tabs, &mut out, nn);
            rows_in_block = 0;
        }
    }
    flush(&mut tabs, &mut out, nn);
    out
}

fn flush(tabs: &mut [Vec<u32>], out: &mut [Vec<u64>], nn: usize) {
    for (t, o) in tabs.iter_mut().zip(out.iter_mut()) {
        let (t0, t1) = t.split_at_mut(nn);
        for ((o, a), b) in o.iter_mut().zip(t0.iter_mut()).zip(t1.iter_mut()) {
            *o += *a as u64 + *b as u64;
            *a = 0;
            *b = 0;
        }
    }
}

#[inline(always)]
fn count_row<T: Copy + Into<usize>>(a: &[T], b: &[T], n: usize, t: &mut [u32]) {
    let (t0, t1) = t.split_at_mut(n * n);
    let mut ca = a.chunks_exact(2);
    let mut cb = b.chunks_exact(2);
    for (pa, pb) in (&mut ca).zip(&mut cb) {
        t0[pa[0].into() * n + pb[0].into()] += 1;
        t1[pa[1].into() * n + pb[1].into()] += 1;
    }
    for (&p, &q) in ca.remainder().iter().zip(cb.remainder()) {
        t0[p.into() * n + q.into()] += 1;
    }
}

/// Symmetric IBSI matrices of `q` for each direction `(dx, dy)` scaled by the Chebyshev `distance`.
///
/// The result has one [`Glcm`] per direction, in the given order. Each pair inside the ROI is
/// counted once as (a, b) and once as (b, a).
pub fn directional_glcms(q: &Quantised, distance: usize, directions: &[(i32, i32)]) -> Vec<Glcm> {
    let (w, h, ng) = (q.width(), q.height(), q.ng());
    let d = distance as isize;
    let offsets: Vec<(isize, isize)> = directions
        .iter()
        .map(|&(dx, dy)| (dx as isize * d, dy as isize * d))
        .collect();
    let n = ng + 1; // + sentinel for outside-ROI pixels
    let raw = match &q.codes {
        Codes::U8(c) => count_pairs(c, w, h, n, &offsets),
        Codes::U16(c) => count_pairs(c, w, h, n, &offsets),
    };
    raw.into_iter()
        .map(|t| {
            let mut counts = vec![0u64; ng * ng];
            for i in 0..ng {
                for j in 0..ng {
                    // Count one way, add the transpose: symmetric matrix.
                    counts[i * ng + j] = t[i * n + j] + t[j * n + i];
                }
            }
            Glcm { ng, counts }
        })
        .collect()
}

/// Feature sets of the two IBSI 2D aggregations.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GlcmAggregated {
    /// "2D averaged": features of each directional matrix, averaged over directions.
    pub averaged: GlcmFeatures,
    /// "2D merged": features of the sum of the directional matrices.
    pub merged: GlcmFeatures,
}

/// IBSI 2D GLCM features over the four [`IBSI_DIRECTIONS_2D`] at Chebyshev `distance`.
pub fn glcm_features_2d(q: &Quantised, distance: usize) -> GlcmAggregated {
    let mats = directional_glcms(q, distance, &IBSI_DIRECTIONS_2D);
    aggregate(&mats)
}

/// Averaged and merged features of a set of directional matrices.
pub fn aggregate(mats: &[Glcm]) -> GlcmAggregated {
    let per: Vec<GlcmFeatures> = mats.iter().map(Glcm::features).collect();
    GlcmAggregated {
        averaged: GlcmFeatures::average(&per),
        merged: Glcm::merged(mats).map(|m| m.features()).unwrap_or_default(),
    }
}

/// scikit-image's GLCM convention (`skimage.feature.graycomatrix` and `graycoprops`, 0.26).
///
/// Differences from IBSI: grey levels count from **0**; the offset of angle `a` at distance `d`
/// is `drow = round(sin(a)·d)`, `dcol = round(cos(a)·d)` (so π/2 pairs a pixel with the one
/// **below**, and π/4 at d = 2 is the offset (1, 1)); symmetry is optional; `energy` = √ASM;
/// `homogeneity` = Σ p/(1+(i−j)²); `entropy` uses the natural log; `mean`/`variance`/`std` are
/// of the row marginal; `correlation` is 1 when either standard deviation is below 1e-15.
///
/// ```
/// use scarscope::texture::glcm::skimage;
/// let img = image::GrayImage::from_raw(2, 2, vec![0, 1, 1, 1]).unwrap();
/// // π/2: pixel (0,0)=0 pairs with (1,0)=1 below it; (0,1)=1 with (1,1)=1.
/// let m = skimage::graycomatrix(&img, &[1], &[std::f64::consts::FRAC_PI_2], 2, false).unwrap();
/// assert_eq!(m[0][0], vec![0, 1, 0, 1]);
/// let p = skimage::graycoprops(&m[0][0], 2);
/// assert_eq!(p.contrast, 0.5);
/// assert_eq!(p.mean, 0.5); // levels count from 0
/// ```
pub mod skimage {
    use super::count_pairs;

    /// `(drow, dcol)` offset scikit-image uses for `angle` (radians) and `distance`.
    pub fn offset(angle: f64, distance: usize) -> (isize, isize) {
        // Cython's `round` is C `round` (half away from zero), like f64::round.
        let d = distance as f64;
        (
            (angle.sin() * d).round() as isize,
            (angle.cos() * d).round() as isize,
        )
    }

    /// Unnormalised co-occurrence counts `[distance][angle]` (row-major `levels × levels`).
    ///
    /// Errors if a pixel is `>= levels` (scikit-image raises `ValueError` too).
    pub fn graycomatrix(
        image: &image::GrayImage,
        distances: &[usize],
        angles: &[f64],
        levels: usize,
        symmetric: bool,
    ) -> Result<Vec<Vec<Vec<u64>>>, String> {
        if levels == 0 || levels > 256 {
            return Err(format!("levels must be in 1..=256, got {levels}"));
        }
        if image.as_raw().iter().any(|&v| v as usize >= levels) {
            return Err("the maximum grey value must be smaller than `levels`".into());
        }
        let (w, h) = (image.width() as usize, image.height() as usize);
        let mut out = Vec::with_capacity(distances.len());
        for &d in distances {
            // Offsets use (dx, dy) = (dcol, drow).
            let offs: Vec<(isize, isize)> = angles
                .iter()
                .map(|&a| {
                    let (dr, dc) = offset(a, d);
                    (dc, dr)
                })
                .collect();
            let raw = count_pairs(image.as_raw(), w, h, levels, &offs);
            let per_angle = raw
                .into_iter()
                .map(|t| {
                    if !symmetric {
                        return t;
                    }
                    let mut s = t.clone();
                    for i in 0..levels {
                        for j in 0..levels {
                            s[i * levels + j] = t[i * levels + j] + t[j * levels + i];
                        }
                    }
                    s
                })
                .collect();
            out.push(per_angle);
        }
        Ok(out)
    }

    /// The ten `graycoprops` properties of one matrix.
    #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
    pub struct SkimageProps {
        /// Σ p (i−j)²
        pub contrast: f64,
        /// Σ p |i−j|
        pub dissimilarity: f64,
        /// Σ p / (1 + (i−j)²)
        pub homogeneity: f64,
        /// angular second moment Σ p²
        #[serde(rename = "ASM")]
        pub asm: f64,
        /// √ASM
        pub energy: f64,
        /// Pearson correlation (1 when a std is below 1e-15)
        pub correlation: f64,
        /// Σ i p (row marginal, i from 0)
        pub mean: f64,
        /// Σ p (i − mean)²
        pub variance: f64,
        /// √variance
        pub std: f64,
        /// −Σ p ln p
        pub entropy: f64,
    }

    impl SkimageProps {
        /// Looks a property up by its scikit-image name (`"ASM"` upper case as there).
        pub fn get(&self, name: &str) -> Option<f64> {
            Some(match name {
                "contrast" => self.contrast,
                "dissimilarity" => self.dissimilarity,
                "homogeneity" => self.homogeneity,
                "ASM" => self.asm,
                "energy" => self.energy,
                "correlation" => self.correlation,
                "mean" => self.mean,
                "variance" => self.variance,
                "std" => self.std,
                "entropy" => self.entropy,
                _ => return None,
            })
        }
    }

    /// `graycoprops` of one `levels × levels` count matrix (normalised here, as scikit-image does;
    /// an all-zero matrix is divided by 1, giving zeros and correlation 1).
    pub fn graycoprops(counts: &[u64], levels: usize) -> SkimageProps {
        let total: u64 = counts.iter().sum();
        let t = if total == 0 { 1.0 } else { total as f64 };
        let p: Vec<f64> = counts.iter().map(|&c| c as f64 / t).collect();
        let (mut con, mut dis, mut hom, mut asm, mut ent, mut mi, mut mj) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..levels {
            for j in 0..levels {
                let v = p[i * levels + j];
                let d = i as f64 - j as f64;
                con += v * d * d;
                dis += v * d.abs();
                hom += v / (1.0 + d * d);
                asm += v * v;
                if v != 0.0 {
                    ent -= v * v.ln();
                }
                mi += i as f64 * v;
                mj += j as f64 * v;
            }
        }
        let (mut vi, mut vj, mut cov) = (0.0, 0.0, 0.0);
        for i in 0..levels {
            for j in 0..levels {
                let v = p[i * levels + j];
                let (di, dj) = (i as f64 - mi, j as f64 - mj);
                vi += v * di * di;
                vj += v * dj * dj;
                cov += v * di * dj;
            }
        }
        let (si, sj) = (vi.sqrt(), vj.sqrt());
        let correlation = if si < 1e-15 || sj < 1e-15 {
            1.0
        } else {
            cov / (si * sj)
        };
        SkimageProps {
            contrast: con,
            dissimilarity: dis,
            homogeneity: hom,
            asm,
            energy: asm.sqrt(),
            correlation,
            mean: mi,
            variance: vi,
            std: vi.sqrt(),
            entropy: ent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture::discretise::Discretisation;

    /// Brute-force symmetric IBSI matrix (pairs with both pixels in the mask).
    fn brute(q: &Quantised, dx: isize, dy: isize) -> Vec<u64> {
        let (w, h, ng) = (q.width() as isize, q.height() as isize, q.ng());
        let lv = q.levels();
        let mut c = vec![0u64; ng * ng];
        for y in 0..h {
            for x in 0..w {
                let (x2, y2) = (x + dx, y + dy);
                if x2 < 0 || y2 < 0 || x2 >= w || y2 >= h {
                    continue;
                }
                if let (Some(a), Some(b)) = (lv[(y * w + x) as usize], lv[(y2 * w + x2) as usize]) {
                    let (a, b) = (a as usize - 1, b as usize - 1);
                    c[a * ng + b] += 1;
                    c[b * ng + a] += 1;
                }
            }
        }
        c
    }

    #[test]
    fn texture_glcm_counts_match_brute_force_u8_and_u16_codes() {
        let img =
            image::GrayImage::from_fn(13, 7, |x, y| image::Luma([((x * 31 + y * 57) % 256) as u8]));
        let mask =
            image::GrayImage::from_fn(13, 7, |x, y| image::Luma([((x + 2 * y) % 5 != 0) as u8]));
        for disc in [Discretisation::FixedBinNumber(7), Discretisation::None] {
            for m in [None, Some(&mask)] {
                let q = Quantised::new(&img, m, disc).unwrap();
                for d in 1..3 {
                    let mats = directional_glcms(&q, d, &IBSI_DIRECTIONS_2D);
                    for (mat, (dx, dy)) in mats.iter().zip(IBSI_DIRECTIONS_2D) {
                        let want = brute(&q, dx as isize * d as isize, dy as isize * d as isize);
                        assert_eq!(
                            mat.counts(),
                            &want[..],
                            "{disc:?} mask={} d={d}",
                            m.is_some()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn texture_glcm_undefined_values_are_none() {
        let flat = image::GrayImage::from_pixel(6, 6, image::Luma([3]));
        let q = Quantised::new(&flat, None, Discretisation::FixedBinNumber(8)).unwrap();
        let f = glcm_features_2d(&q, 1).merged;
        assert_eq!(f.get("correlation"), Some(None));
        assert_eq!(f.get("information_correlation_1"), Some(None));
        assert_eq!(f.get("information_correlation_2"), Some(Some(0.0)));
        assert_eq!(f.get("contrast"), Some(Some(0.0)));
        let empty = image::GrayImage::new(6, 6);
        let q = Quantised::new(&flat, Some(&empty), Discretisation::FixedBinNumber(8)).unwrap();
        let a = glcm_features_2d(&q, 1);
        assert!(a
            .averaged
            .values
            .iter()
            .chain(&a.merged.values)
            .all(Option::is_none));
        // A 1-pixel-high strip has only horizontal pairs: averaged uses the defined direction.
        let strip = image::GrayImage::from_fn(5, 1, |x, _| image::Luma([x as u8 * 10]));
        let q = Quantised::new(&strip, None, Discretisation::None).unwrap();
        let a = glcm_features_2d(&q, 1);
        assert_eq!(a.averaged.get("contrast"), a.merged.get("contrast"));
        assert_eq!(a.averaged.get("contrast"), Some(Some(100.0)));
        let v = serde_json::to_value(&a).unwrap();
        assert!(v["merged"]["correlation"].is_f64());
        assert!(v["averaged"]["joint_entropy"].is_f64());
    }

    #[test]
    fn texture_skimage_offsets() {
        use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};
        assert_eq!(skimage::offset(0.0, 1), (0, 1));
        assert_eq!(skimage::offset(FRAC_PI_2, 1), (1, 0)); // the pixel BELOW
        assert_eq!(skimage::offset(FRAC_PI_4, 2), (1, 1)); // round(1.414) = 1
        assert_eq!(skimage::offset(3.0 * FRAC_PI_4, 3), (2, -2));
    }
}
