//! Gaussian blur of a [`Plane`] with clamped (replicated) edges.
//!
//! Definition: `out(x, y) = Σ_i Σ_j k(i) k(j) · p(clamp(x + i), clamp(y + j))`, a separable Gaussian kernel.
//! - `sigma ≤ 4`: the exact kernel `k(i) ∝ exp(−i² / 2σ²)` for `|i| ≤ ⌈3σ⌉`, normalised to sum 1.
//! - `sigma > 4`: the blur of the plane's `f × f` block means (f a power of two, see [`level`]) on that coarse
//!   grid, enlarged back by bilinear interpolation, each step's own spread taken off the sigma, so the cost
//!   falls with sigma instead of growing (a pyramid level, as in Burt & Adelson's Laplacian pyramid).
//!   On planes too small to coarsen: three successive box filters whose widths follow Kovesi's choice for a
//!   Gaussian of that sigma ("Fast almost-Gaussian filtering", 2010).
//!
//! Every stage blurs (detection at up to ten scales, the light's pore band, the illumination background), so
//! this is the hottest loop of the analysis. Both passes run along rows only: the horizontal pass reads a
//! padded copy of one row (no edge branches inside the loop), and the vertical pass reads the rows above and
//! below; each sums a block of 64 outputs over all the taps in registers, which the compiler vectorises
//! across x. There is no transpose and no allocation per pass beyond the output and one scratch plane.
//!
//! A 3×3 literal image with one bright centre, blurred by the exact kernel (σ = 0.5, kernel radius 2):
//! ```
//! use scarscope::blur::gaussian_blur;
//! use scarscope::prepare::Plane;
//! let p = Plane { w: 3, h: 3, data: vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0] };
//! let b = gaussian_blur(&p, 0.5);
//! // The 1-D kernel: k(0) = 1/Z, k(±1) = e^-2/Z, k(±2) = e^-8/Z.
//! let z = 1.0 + 2.0 * (-2.0f32).exp() + 2.0 * (-8.0f32).exp();
//! let (k0, k1) = (1.0 / z, (-2.0f32).exp() / z);
//! assert!((b.data[4] - k0 * k0).abs() < 1e-6); // centre
//! assert!((b.data[1] - k0 * k1).abs() < 1e-6); // middle of an edge
//! // A corner reads the centre only through k(±1) twice; its k(±2) taps land on replicated zeros.
//! assert!((b.data[0] - k1 * k1).abs() < 1e-6);
//! ```

use crate::prepare::Plane;

/// Gaussian blur with clamped edges (see the module docs for the kernel).
pub fn gaussian_blur(p: &Plane, sigma: f32) -> Plane {
    if sigma < 0.25 || p.w == 0 || p.h == 0 {
        return p.clone();
    }
    match level(sigma, p.w, p.h) {
        1 => full_resolution_blur(p, sigma),
        f => coarse_blur_at(p, before_enlarging(sigma, f), f).enlarge(),
    }
}

/// The largest sigma blurred with the exact kernel; above it a blur is coarsened or made of three boxes.
const EXACT_MAX_SIGMA: f32 = 4.0;

/// The sigma to blur to before a bilinear enlargement by `f`, which adds its own spread (a tent `f` px wide
/// each side, variance f² / 6), so that the enlarged blur has `sigma`.
fn before_enlarging(sigma: f32, f: usize) -> f32 {
    (sigma * sigma - (f * f) as f32 / 6.0).sqrt()
}

/// The sigma (in coarse px) left to blur on the grid of `f × f` block means, whose averaging already spread
/// each sample by (f² − 1) / 12 px² along each axis, for a blur of `sigma` original px.
fn coarse_rest(sigma: f32, f: usize) -> f32 {
    (sigma * sigma - (f * f - 1) as f32 / 12.0).max(0.0).sqrt() / f as f32
}

/// [`gaussian_blur`] without the coarse grid: the exact kernel up to sigma 4, three boxes above.
///
/// The masked background blur (the illumination estimate of prepare) keeps this one. With the coarse grid
/// (a closer Gaussian, with longer tails than the boxes' compact support) the drawn papule face of
/// `tests/real_failures.rs` lost 6 of its 33 papules found; the background's scale and the rules after it were
/// set with the three boxes, and re-deriving them was not worth ~3 ms per blur at 640 px (the
/// three-box blur of a 640×640 plane, timed alone).
pub fn full_resolution_blur(p: &Plane, sigma: f32) -> Plane {
    if by_boxes(p, sigma) {
        box_blur(p.data.clone(), p.w, p.h, sigma)
    } else if sigma < 0.25 || p.w == 0 || p.h == 0 {
        p.clone()
    } else {
        exact_blur(p, sigma)
    }
}

/// Whether [`full_resolution_blur`] takes the three boxes for `p` at `sigma` (a sigma above the exact
/// kernel's, written so that a NaN one takes them as it always did).
fn by_boxes(p: &Plane, sigma: f32) -> bool {
    (sigma > EXACT_MAX_SIGMA || sigma.is_nan()) && p.w > 0 && p.h > 0
}

/// [`full_resolution_blur`] of a plane the caller is done with: the three boxes start from its buffer
/// instead of a copy (the masked blurs' inputs are built only to be blurred).
fn full_resolution_blur_owned(p: Plane, sigma: f32) -> Plane {
    if by_boxes(&p, sigma) {
        box_blur(p.data, p.w, p.h, sigma)
    } else {
        full_resolution_blur(&p, sigma)
    }
}

/// The exact-kernel blur (sigma ≤ [`EXACT_MAX_SIGMA`]).
fn exact_blur(p: &Plane, sigma: f32) -> Plane {
    let (w, h) = (p.w, p.h);
    let (k, r) = exact_kernel(sigma);
    let mut out = vec![0f32; w * h];
    // The row pass's plane is scratch: kept per thread, so that each blur allocates (and the kernel zeroes)
    // one fresh plane instead of two (measured: page faults and zeroing were a third of a small blur).
    SCRATCH.with_borrow_mut(|tmp| {
        tmp.resize(w * h, 0.0);
        convolve_rows(&p.data, tmp, w, &k, r);
        convolve_cols(tmp, &mut out, w, h, &k, r);
        if tmp.capacity() > MAX_SCRATCH {
            *tmp = Vec::new();
        }
    });
    Plane { w, h, data: out }
}

thread_local! {
    /// The row pass's plane of [`exact_blur`], reused by the thread's next blur.
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest scratch plane kept between blurs (16 MB): a working image is at most 3 MP.
const MAX_SCRATCH: usize = 4 << 20;

/// The exact kernel of `sigma` (normalised to sum 1) and its radius.
fn exact_kernel(sigma: f32) -> (Vec<f32>, usize) {
    let r = (3.0 * sigma).ceil() as usize;
    let mut k: Vec<f32> = (-(r as isize)..=r as isize)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= s);
    (k, r)
}

/// One sample of [`exact_blur`], summed in the same order as the two passes (so the same value to the bit).
fn exact_blur_at(p: &Plane, sigma: f32, x: usize, y: usize) -> f32 {
    let (k, r) = exact_kernel(sigma);
    let (w, h) = (p.w as isize, p.h as isize);
    let mut out = 0.0f32;
    for (j, &kj) in k.iter().enumerate() {
        let sy = (y as isize + j as isize - r as isize).clamp(0, h - 1) as usize;
        let row = &p.data[sy * p.w..(sy + 1) * p.w];
        let mut t = 0.0f32;
        for (i, &ki) in k.iter().enumerate() {
            t += ki * row[(x as isize + i as isize - r as isize).clamp(0, w - 1) as usize];
        }
        out += kj * t;
    }
    out
}

/// Three box passes (Kovesi), for a large sigma at full resolution (the masked background, and planes too
/// small to coarsen).
fn box_blur(data: Vec<f32>, w: usize, h: usize, sigma: f32) -> Plane {
    let sizes = box_sizes(sigma, 3);
    let mut a = data;
    // The second buffer is the thread's scratch plane: every pass overwrites all of it, so it needs no
    // fresh zeroed allocation per blur (with the other blur changes: memset 5.1 % -> 3.4 % of a 40-photo
    // profile).
    let mut b = SCRATCH.take();
    b.resize(w * h, 0.0);
    for &s in &sizes {
        box_rows(&a, &mut b, w, s / 2);
        std::mem::swap(&mut a, &mut b);
    }
    for &s in &sizes {
        box_cols(&a, &mut b, w, h, s / 2);
        std::mem::swap(&mut a, &mut b);
    }
    if b.capacity() <= MAX_SCRATCH {
        SCRATCH.set(b);
    }
    Plane { w, h, data: a }
}

/// The coarsening factor of a blur at `sigma` on a `w × h` plane: 1 up to sigma 4 (the exact kernel), then
/// the largest power of two at most `sigma / 2.5`, so that the blur left to do on the coarse grid still spans
/// about 2.5 of its px (its sampling then aliases little: on white noise the result stays within twice the
/// three-box blur's distance from the exact Gaussian, tested below), and at most an eighth of the shorter
/// side. 1 means "blur at full resolution".
pub fn level(sigma: f32, w: usize, h: usize) -> usize {
    let mut f = 1usize;
    while sigma > EXACT_MAX_SIGMA && (2 * f) as f32 <= sigma / 2.5 && 2 * f * 8 <= w.min(h) {
        f *= 2;
    }
    f
}

/// A blur computed on a grid `f` times coarser than its plane: sample `(i, j)` is the blur at the centre of
/// the `f × f` block `(i, j)` of the original plane.
pub struct Coarse {
    /// The blurred samples, one per block.
    pub plane: Plane,
    /// Original px per coarse px.
    pub f: usize,
    /// The original plane's width, px.
    pub w: usize,
    /// The original plane's height, px.
    pub h: usize,
}

/// Blurs `p` at `sigma` (original px) on the grid of [`level`]: the mean of each `f × f` block (edges
/// repeated past the plane), blurred with the rest of the spread. A derivative of a blur is best taken on
/// this grid and enlarged after: an enlarged plane is piecewise linear, and its second differences spike on
/// the grid's lines.
pub fn coarse_blur(p: &Plane, sigma: f32) -> Coarse {
    coarse_blur_at(p, sigma, level(sigma, p.w, p.h))
}

fn coarse_blur_at(p: &Plane, sigma: f32, f: usize) -> Coarse {
    let (w, h) = (p.w, p.h);
    if f <= 1 {
        return Coarse {
            plane: gaussian_blur(p, sigma),
            f: 1,
            w,
            h,
        };
    }
    let (cw, ch) = (w.div_ceil(f), h.div_ceil(f));
    let small = block_means(p, f, cw, ch);
    Coarse {
        plane: gaussian_blur(&small, coarse_rest(sigma, f)),
        f,
        w,
        h,
    }
}

/// The means of the `f × f` blocks of `p` (rows and columns past its edges repeat the last one).
fn block_means(p: &Plane, f: usize, cw: usize, ch: usize) -> Plane {
    let (w, h) = (p.w, p.h);
    let mut small = Plane::filled(cw, ch, 0.0);
    // Sums along x of one row, then of f rows; the whole blocks first, the cut one at the right edge after.
    let full = w / f;
    let mut acc = vec![0f32; cw];
    let inv = 1.0 / (f * f) as f32;
    for by in 0..ch {
        acc.fill(0.0);
        for dy in 0..f {
            let y = (by * f + dy).min(h - 1);
            let row = &p.data[y * w..(y + 1) * w];
            for (a, block) in acc.iter_mut().zip(row.chunks_exact(f)) {
                *a += block.iter().sum::<f32>();
            }
            if full < cw {
                let tail = &row[full * f..];
                let last = row[w - 1];
                acc[full] += tail.iter().sum::<f32>() + last * (f - tail.len()) as f32;
            }
        }
        for (o, &a) in small.data[by * cw..(by + 1) * cw].iter_mut().zip(&acc) {
            *o = a * inv;
        }
    }
    small
}

impl Coarse {
    /// The coarse plane enlarged back to the original size by bilinear interpolation between block centres.
    pub fn enlarge(self) -> Plane {
        enlarge(self.plane, self.f, self.w, self.h)
    }
}

/// Bilinear enlargement of a plane of block samples (block size `f`, as [`Coarse::plane`] or a map computed
/// from it) to `w × h`; with `f` 1 the plane itself.
pub fn enlarge(c: Plane, f: usize, w: usize, h: usize) -> Plane {
    if f == 1 {
        return c;
    }
    let taps = |n: usize, nc: usize| -> Vec<(usize, usize, f32)> {
        (0..n)
            .map(|x| {
                let u = ((x as f32 + 0.5) / f as f32 - 0.5).clamp(0.0, (nc - 1) as f32);
                let i0 = u as usize;
                (i0, (i0 + 1).min(nc - 1), u - i0 as f32)
            })
            .collect()
    };
    let (xs, ys) = (taps(w, c.w), taps(h, c.h));
    let row_x = |j: usize, out: &mut [f32]| {
        let row = &c.data[j * c.w..(j + 1) * c.w];
        for (o, &(a, b, t)) in out.iter_mut().zip(&xs) {
            *o = row[a] + t * (row[b] - row[a]);
        }
    };
    // Filled row by row, not zeroed first: the zeroing was ~0.7 % of a 640×640 photo's analysis.
    let mut out = Vec::with_capacity(w * h);
    let (mut r0, mut r1) = (vec![0f32; w], vec![0f32; w]);
    let mut held = (usize::MAX, usize::MAX);
    for &(a, b, t) in &ys {
        if held != (a, b) {
            if held.1 == a {
                std::mem::swap(&mut r0, &mut r1);
            } else {
                row_x(a, &mut r0);
            }
            row_x(b, &mut r1);
            held = (a, b);
        }
        out.extend(r0.iter().zip(&r1).map(|(&v0, &v1)| v0 + t * (v1 - v0)));
    }
    Plane { w, h, data: out }
}

/// Mask-normalised Gaussian blur: the mean of `p` over the masked neighbourhood (so non-skin does not
/// bleed into skin); pixels with no masked neighbour get the masked global mean.
pub fn masked_blur(p: &Plane, mask: &[bool], sigma: f32) -> Plane {
    MaskedBlur::new(mask, p.w, p.h, sigma).apply(p)
}

/// [`masked_blur`] of several planes under one mask and sigma: the blurred mask, its denominator, is made
/// once (each plane then costs one blur instead of two).
pub struct MaskedBlur<'a> {
    /// The mask, `w × h` row-major.
    mask: &'a [bool],
    /// The mask's own blur.
    den: Plane,
    /// The blur's sigma, px.
    sigma: f32,
}

impl<'a> MaskedBlur<'a> {
    /// Blurs the mask (`w × h`, row-major) at `sigma`.
    pub fn new(mask: &'a [bool], w: usize, h: usize, sigma: f32) -> Self {
        let ones = Plane {
            w,
            h,
            data: mask.iter().map(|&m| m as u8 as f32).collect(),
        };
        MaskedBlur {
            mask,
            den: full_resolution_blur_owned(ones, sigma),
            sigma,
        }
    }

    /// The mask-normalised blur of `p` (the mask's size).
    pub fn apply(&self, p: &Plane) -> Plane {
        // The masked values are written in one step (no copy of `p` then zeroed), and the blur takes the
        // buffer over instead of copying it again.
        let (mut gs, mut gn) = (0.0f64, 0usize);
        let num = (p.data.iter().zip(self.mask))
            .map(|(&v, &m)| {
                if m {
                    gs += v as f64;
                    gn += 1;
                    v
                } else {
                    0.0
                }
            })
            .collect();
        let global = if gn > 0 { (gs / gn as f64) as f32 } else { 0.0 };
        let num = Plane {
            w: p.w,
            h: p.h,
            data: num,
        };
        let mut n = full_resolution_blur_owned(num, self.sigma);
        for (a, &b) in n.data.iter_mut().zip(&self.den.data) {
            *a = if b > 1e-3 { *a / b } else { global };
        }
        n
    }
}

/// How far the blur of [`gaussian_blur`] on a `w × h` plane reaches along each axis, in px: an output sample
/// depends on the input samples within this many px of it (clamped into the image), and on no other. On a
/// coarse grid (see [`level`]) the bound is a conservative one.
///
/// ```
/// use scarscope::blur::{gaussian_blur, reach};
/// use scarscope::prepare::Plane;
/// let mut p = Plane::filled(41, 1, 0.0);
/// p.data[20] = 1.0;
/// for sigma in [0.5f32, 2.0, 6.0] {
///     let b = gaussian_blur(&p, sigma);
///     let r = reach(sigma, 41, 1);
///     // Non-zero exactly within `reach` of the impulse.
///     assert!(b.data[20 - r] > 0.0 && b.data[20 + r] > 0.0);
///     assert_eq!((b.data[19 - r], b.data[21 + r]), (0.0, 0.0));
/// }
/// ```
pub fn reach(sigma: f32, w: usize, h: usize) -> usize {
    let f = level(sigma, w, h);
    if sigma < 0.25 {
        0
    } else if f > 1 {
        let rest = coarse_rest(before_enlarging(sigma, f), f);
        f * (reach(rest, w.div_ceil(f), h.div_ceil(f)) + 2)
    } else if sigma <= EXACT_MAX_SIGMA {
        (3.0 * sigma).ceil() as usize
    } else {
        box_sizes(sigma, 3).iter().map(|s| s / 2).sum()
    }
}

/// The share of skin around a point, blurred at a scale: a stage that tests "enough skin around" at a few
/// candidate points asks [`MaskCover::at_least`], which blurs the mask only when some point lies near the
/// mask's edge. Elsewhere a summed-area table of the mask shows that every pixel within the blur's [`reach`]
/// is skin, so the blurred mask there is the blur of ones (1 up to rounding).
pub struct MaskCover {
    /// The mask as 0/1 samples, blurred on demand.
    plane: Plane,
    /// `(w + 1) × (h + 1)` prefix counts: `sums[y * (w + 1) + x]` = mask pixels above and left of (x, y).
    sums: Vec<u32>,
}

impl MaskCover {
    /// The summed-area table and the 0/1 plane of `mask` (`w × h`, row-major).
    pub fn new(mask: &[bool], w: usize, h: usize) -> Self {
        let mut sums = vec![0u32; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0u32;
            for x in 0..w {
                row += mask[y * w + x] as u32;
                sums[(y + 1) * (w + 1) + x + 1] = sums[y * (w + 1) + x + 1] + row;
            }
        }
        let plane = Plane {
            w,
            h,
            data: mask.iter().map(|&m| m as u8 as f32).collect(),
        };
        MaskCover { plane, sums }
    }

    /// Whether every pixel within `r` px of (x, y) (in both axes, clipped to the image) is in the mask.
    pub fn full(&self, x: usize, y: usize, r: usize) -> bool {
        let (w, h) = (self.plane.w, self.plane.h);
        let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
        let (x1, y1) = ((x + r + 1).min(w), (y + r + 1).min(h));
        let s = |x: usize, y: usize| self.sums[y * (w + 1) + x] as usize;
        let count = s(x1, y1) + s(x0, y0) - s(x0, y1) - s(x1, y0);
        count == (x1 - x0) * (y1 - y0)
    }

    /// Whether the mask blurred at `sigma` is at least `min` at (x, y). `blurred` caches that blur for one
    /// `sigma` (start each scale with `None`); it is made only for a point near the mask's edge.
    pub fn at_least(
        &self,
        x: usize,
        y: usize,
        sigma: f32,
        min: f32,
        blurred: &mut Option<Plane>,
    ) -> bool {
        let (w, h) = (self.plane.w, self.plane.h);
        if self.full(x, y, reach(sigma, w, h)) {
            return true;
        }
        // A small exact kernel costs less at the point than the whole plane's blur (a few points per scale
        // lie near the mask's edge); a coarse-grid blur is cheap as a whole.
        if (0.25..=EXACT_MAX_SIGMA).contains(&sigma) {
            return exact_blur_at(&self.plane, sigma, x, y) >= min;
        }
        blurred
            .get_or_insert_with(|| gaussian_blur(&self.plane, sigma))
            .data[y * w + x]
            >= min
    }
}

/// Widths of `n` box filters whose succession approximates a Gaussian of `sigma` (Kovesi 2010).
fn box_sizes(sigma: f32, n: usize) -> Vec<usize> {
    let w_ideal = ((12.0 * sigma * sigma / n as f32) + 1.0).sqrt();
    let mut wl = w_ideal.floor() as i64;
    if wl % 2 == 0 {
        wl -= 1;
    }
    let wu = wl + 2;
    let m_ideal = (12.0 * sigma * sigma
        - (n as i64 * wl * wl) as f32
        - 4.0 * (n as i64 * wl) as f32
        - 3.0 * n as f32)
        / (-4.0 * wl as f32 - 4.0);
    let m = m_ideal.round() as i64;
    (0..n as i64)
        .map(|i| {
            if i < m {
                wl.max(1) as usize
            } else {
                wu.max(1) as usize
            }
        })
        .collect()
}

/// Copies `row` into `pad` with `left` replicated samples before it and `right` after it.
fn pad_row(row: &[f32], pad: &mut Vec<f32>, left: usize, right: usize) {
    pad.clear();
    let (first, last) = (row[0], row[row.len() - 1]);
    pad.extend(std::iter::repeat_n(first, left));
    pad.extend_from_slice(row);
    pad.extend(std::iter::repeat_n(last, right));
}

crate::simd::avx2_dispatch! {
/// Horizontal convolution with the odd kernel `k` of radius `r`, clamped edges.
fn convolve_rows(src: &[f32], dst: &mut [f32], w: usize, k: &[f32], r: usize) {
    let mut pad = Vec::with_capacity(w + 2 * r);
    for (row, orow) in src.chunks_exact(w).zip(dst.chunks_exact_mut(w)) {
        pad_row(row, &mut pad, r, r);
        // Blocks of [`BLOCK`] outputs, then of 8, then single ones (written out: a closure per block size
        // stayed a call, compiled without AVX2).
        let mut x = 0;
        while x + BLOCK <= w {
            taps_along::<BLOCK>(k, &pad[x..], &mut orow[x..]);
            x += BLOCK;
        }
        while x + 8 <= w {
            taps_along::<8>(k, &pad[x..], &mut orow[x..]);
            x += 8;
        }
        for x in x..w {
            taps_along::<1>(k, &pad[x..], &mut orow[x..]);
        }
    }
}
}

crate::simd::avx2_dispatch! {
/// Vertical convolution with the odd kernel `k` of radius `r`, clamped edges: the taps of an output row are
/// the rows above and below it, in the same order of terms as [`convolve_rows`] uses along a row.
fn convolve_cols(src: &[f32], dst: &mut [f32], w: usize, h: usize, k: &[f32], r: usize) {
    let mut rows: Vec<&[f32]> = Vec::with_capacity(k.len());
    for (y, orow) in dst.chunks_exact_mut(w).enumerate() {
        rows.clear();
        rows.extend((0..k.len()).map(|j| {
            let sy = (y + j).saturating_sub(r).min(h - 1);
            &src[sy * w..(sy + 1) * w]
        }));
        // As in `convolve_rows`.
        let mut x = 0;
        while x + BLOCK <= w {
            taps_across::<BLOCK>(k, &rows, x, &mut orow[x..]);
            x += BLOCK;
        }
        while x + 8 <= w {
            taps_across::<8>(k, &rows, x, &mut orow[x..]);
            x += 8;
        }
        for x in x..w {
            taps_across::<1>(k, &rows, x, &mut orow[x..]);
        }
    }
}
}

/// Outputs per block of the convolutions' kernels: 64 sums are eight AVX2 registers, held across all the
/// taps.
const BLOCK: usize = 64;

/// `out[l] = Σ_j k[j] · from[l + j]` for the first `N` outputs `l`: [`convolve_rows`]'s block.
///
/// The terms in the order of `j`, the first written as `0 + k[0] · v` (the bits of adding it to a zeroed
/// sum): a per-pixel loop's arithmetic, with the `N` sums kept in registers across the taps. A pass per tap
/// over the whole row loaded and stored every sum at each tap; blockwise, a 640×640 plane's row pass takes
/// ~0.6 of the time (sigma 1 to 4) and its column pass ~0.7.
#[inline(always)]
fn taps_along<const N: usize>(k: &[f32], from: &[f32], out: &mut [f32]) {
    let mut acc = [0f32; N];
    let first = &from[..N];
    for l in 0..N {
        acc[l] = 0.0 + k[0] * first[l];
    }
    for (j, &kv) in k.iter().enumerate().skip(1) {
        let t = &from[j..j + N];
        for l in 0..N {
            acc[l] += kv * t[l];
        }
    }
    out[..N].copy_from_slice(&acc);
}

/// `out[l] = Σ_j k[j] · rows[j][x + l]` for the first `N` outputs `l`: [`convolve_cols`]'s block, with the
/// arithmetic of [`taps_along`].
#[inline(always)]
fn taps_across<const N: usize>(k: &[f32], rows: &[&[f32]], x: usize, out: &mut [f32]) {
    let mut acc = [0f32; N];
    let first = &rows[0][x..x + N];
    for l in 0..N {
        acc[l] = 0.0 + k[0] * first[l];
    }
    for (&kv, row) in k.iter().zip(rows).skip(1) {
        let t = &row[x..x + N];
        for l in 0..N {
            acc[l] += kv * t[l];
        }
    }
    out[..N].copy_from_slice(&acc);
}

crate::simd::avx2_dispatch! {
/// Box filter of half-width `r` along rows, clamped edges, with a running sum in f64 (so a long row does
/// not drift). Four rows run side by side: each running sum is a chain of dependent additions, and four
/// independent chains keep the core busy.
fn box_rows(src: &[f32], dst: &mut [f32], w: usize, r: usize) {
    if r == 0 {
        dst.copy_from_slice(src);
        return;
    }
    const LANES: usize = 4;
    let norm = 1.0 / (2 * r + 1) as f64;
    let len = w + 2 * r + 1;
    let mut pads: Vec<Vec<f32>> = (0..LANES).map(|_| Vec::with_capacity(len)).collect();
    for (rows, orows) in src.chunks(LANES * w).zip(dst.chunks_mut(LANES * w)) {
        let n = rows.len() / w;
        // pad[i] is the sample at x = i - r; the window of x spans pad[x..=x + 2r].
        for (row, pad) in rows.chunks_exact(w).zip(pads.iter_mut()) {
            pad_row(row, pad, r, r + 1);
        }
        let mut acc = [0f64; LANES];
        for (a, pad) in acc.iter_mut().zip(&pads).take(n) {
            *a = pad[..=2 * r].iter().map(|&v| v as f64).sum();
        }
        if n == LANES {
            let (p0, p1, p2, p3) = (&pads[0], &pads[1], &pads[2], &pads[3]);
            let (o0, rest) = orows.split_at_mut(w);
            let (o1, rest) = rest.split_at_mut(w);
            let (o2, o3) = rest.split_at_mut(w);
            for x in 0..w {
                o0[x] = (acc[0] * norm) as f32;
                o1[x] = (acc[1] * norm) as f32;
                o2[x] = (acc[2] * norm) as f32;
                o3[x] = (acc[3] * norm) as f32;
                let (i, o) = (x + 2 * r + 1, x);
                acc[0] += p0[i] as f64 - p0[o] as f64;
                acc[1] += p1[i] as f64 - p1[o] as f64;
                acc[2] += p2[i] as f64 - p2[o] as f64;
                acc[3] += p3[i] as f64 - p3[o] as f64;
            }
        } else {
            for ((orow, pad), a) in orows.chunks_exact_mut(w).zip(&pads).zip(acc.iter_mut()) {
                for (x, o) in orow.iter_mut().enumerate() {
                    *o = (*a * norm) as f32;
                    *a += pad[x + 2 * r + 1] as f64 - pad[x] as f64;
                }
            }
        }
    }
}
}

crate::simd::avx2_dispatch! {
/// Box filter of half-width `r` down the columns, clamped edges: a row of f64 running sums slides down the
/// image, with the same order of terms as [`box_rows`] uses along a row.
fn box_cols(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize) {
    if r == 0 {
        dst.copy_from_slice(src);
        return;
    }
    let norm = 1.0 / (2 * r + 1) as f64;
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &src[y * w..(y + 1) * w]
    };
    let r = r as isize;
    let mut acc = vec![0f64; w];
    for j in -r..=r {
        for (a, &v) in acc.iter_mut().zip(row(j)) {
            *a += v as f64;
        }
    }
    for (y, orow) in dst.chunks_exact_mut(w).enumerate() {
        let y = y as isize;
        let (add, sub) = (row(y + r + 1), row(y - r));
        for (((o, a), &p), &m) in orow.iter_mut().zip(acc.iter_mut()).zip(add).zip(sub) {
            *o = (*a * norm) as f32;
            *a += p as f64 - m as f64;
        }
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_cover_is_full_exactly_where_the_blurred_mask_is_the_blur_of_ones() {
        // A 12×9 mask with one hole at (8, 4).
        let (w, h) = (12, 9);
        let mut mask = vec![true; w * h];
        mask[4 * w + 8] = false;
        let cover = MaskCover::new(&mask, w, h);
        let ones = gaussian_blur(&Plane::filled(w, h, 1.0), 0.5);
        let blurred = gaussian_blur(
            &Plane {
                w,
                h,
                data: mask.iter().map(|&m| m as u8 as f32).collect(),
            },
            0.5,
        );
        let r = reach(0.5, w, h);
        for y in 0..h {
            for x in 0..w {
                let near_hole = x.abs_diff(8) <= r && y.abs_diff(4) <= r;
                assert_eq!(cover.full(x, y, r), !near_hole, "({x}, {y})");
                if cover.full(x, y, r) {
                    assert_eq!(blurred.data[y * w + x], ones.data[y * w + x]);
                } else {
                    assert!(blurred.data[y * w + x] < ones.data[y * w + x]);
                }
            }
        }
        // Clipped at the image's edges: the corner's box holds only in-image pixels.
        assert!(cover.full(0, 0, 3));
        assert!(!cover.full(11, 8, 4));
    }

    /// Direct 2-D clamped convolution with the separable kernel: the definition, without tricks.
    fn reference(p: &Plane, k: &[f32], r: isize) -> Plane {
        let mut out = Plane::filled(p.w, p.h, 0.0);
        for y in 0..p.h as isize {
            for x in 0..p.w as isize {
                let mut acc = 0.0f64;
                for j in -r..=r {
                    for i in -r..=r {
                        acc += (k[(i + r) as usize] * k[(j + r) as usize]) as f64
                            * p.at_clamped(x + i, y + j) as f64;
                    }
                }
                out.data[y as usize * p.w + x as usize] = acc as f32;
            }
        }
        out
    }

    fn test_plane(w: usize, h: usize) -> Plane {
        let mut rng = crate::test_rng::lcg(12345);
        let data = (0..w * h)
            .map(|_| (rng() >> 40) as f32 / (1u64 << 24) as f32)
            .collect();
        Plane { w, h, data }
    }

    #[test]
    fn exact_kernel_matches_the_direct_convolution() {
        let p = test_plane(23, 17);
        for sigma in [0.6f32, 1.3, 4.0] {
            let (k, r) = exact_kernel(sigma);
            let want = reference(&p, &k, r as isize);
            let got = gaussian_blur(&p, sigma);
            for (a, b) in got.data.iter().zip(&want.data) {
                assert!((a - b).abs() < 1e-5, "sigma {sigma}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn one_sample_of_the_exact_blur_is_the_blurred_plane_to_the_bit() {
        let p = test_plane(23, 17);
        for sigma in [0.6f32, 1.3, 4.0] {
            let b = gaussian_blur(&p, sigma);
            for (x, y) in [(0, 0), (22, 16), (11, 8), (3, 15)] {
                assert_eq!(
                    exact_blur_at(&p, sigma, x, y),
                    b.at(x, y),
                    "sigma {sigma} ({x}, {y})"
                );
            }
        }
    }

    /// The pass-per-tap convolutions the blockwise kernels replaced (rows then columns): their oracle.
    fn exact_blur_by_passes(p: &Plane, sigma: f32) -> Vec<f32> {
        let (w, h) = (p.w, p.h);
        let (k, r) = exact_kernel(sigma);
        let (mut tmp, mut out) = (vec![0f32; w * h], vec![0f32; w * h]);
        let mut pad = Vec::new();
        for (row, orow) in p.data.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
            pad_row(row, &mut pad, r, r);
            orow.iter_mut().for_each(|o| *o = 0.0);
            for (j, &kv) in k.iter().enumerate() {
                for (o, &v) in orow.iter_mut().zip(&pad[j..j + w]) {
                    *o += kv * v;
                }
            }
        }
        for (y, orow) in out.chunks_exact_mut(w).enumerate() {
            for (j, &kv) in k.iter().enumerate() {
                let sy = (y + j).saturating_sub(r).min(h - 1);
                for (o, &v) in orow.iter_mut().zip(&tmp[sy * w..(sy + 1) * w]) {
                    *o += kv * v;
                }
            }
        }
        out
    }

    #[test]
    fn blockwise_convolution_is_the_pass_per_tap_one_to_the_bit() {
        // Widths with whole blocks of 64, blocks of 8 and single samples left over, and narrower ones.
        for (w, h) in [(139, 37), (64, 9), (13, 70), (1, 5), (5, 1)] {
            let p = test_plane(w, h);
            for sigma in [0.6f32, 1.3, 4.0] {
                let got = exact_blur(&p, sigma);
                let want = exact_blur_by_passes(&p, sigma);
                for (i, (a, b)) in got.data.iter().zip(&want).enumerate() {
                    assert_eq!(a.to_bits(), b.to_bits(), "{w}x{h} sigma {sigma} at {i}");
                }
            }
        }
    }

    #[test]
    fn box_passes_match_the_direct_box_convolution() {
        // Three box passes of the chosen widths equal the direct convolution with the three boxes.
        let p = test_plane(40, 31);
        let sigma = 5.0f32;
        let sizes = box_sizes(sigma, 3);
        let mut k = vec![1.0f32];
        for &b in &sizes {
            let mut next = vec![0f32; k.len() + b - 1];
            for (i, &kv) in k.iter().enumerate() {
                for j in 0..b {
                    next[i + j] += kv / b as f32;
                }
            }
            k = next;
        }
        let r = (k.len() / 2) as isize;
        // The clamp of each pass differs from the clamp of the combined kernel only near the edges.
        let want = reference(&p, &k, r);
        let got = box_blur(p.data.clone(), p.w, p.h, sigma);
        let m = (r + 1) as usize;
        for y in m..p.h - m {
            for x in m..p.w - m {
                let (a, b) = (got.at(x, y), want.at(x, y));
                assert!((a - b).abs() < 1e-5, "({x},{y}): {a} vs {b}");
            }
        }
    }

    /// Root-mean-square difference from the exact Gaussian away from the edges.
    fn rms_from_exact(p: &Plane, got: &Plane, sigma: f32) -> f64 {
        let (k, r) = exact_kernel(sigma);
        let r = r as isize;
        let want = reference(p, &k, r);
        let m = r as usize;
        let (mut e2, mut n) = (0.0f64, 0usize);
        for y in m..p.h - m {
            for x in m..p.w - m {
                e2 += ((got.at(x, y) - want.at(x, y)) as f64).powi(2);
                n += 1;
            }
        }
        (e2 / n as f64).sqrt()
    }

    #[test]
    fn coarse_grid_blur_is_as_close_to_the_gaussian_as_three_boxes() {
        // White noise is the hardest input for a coarse grid (its aliasing is largest), yet the coarse blur
        // must stay about as close to the exact Gaussian as the three-box blur it replaced.
        let p = test_plane(200, 180);
        for sigma in [5.5f32, 9.0, 13.0, 18.0] {
            assert!(level(sigma, p.w, p.h) > 1, "sigma {sigma} is coarsened");
            let coarse = rms_from_exact(&p, &gaussian_blur(&p, sigma), sigma);
            let boxes = rms_from_exact(&p, &box_blur(p.data.clone(), p.w, p.h, sigma), sigma);
            eprintln!("sigma {sigma}: coarse {coarse:.2e} boxes {boxes:.2e}");
            assert!(coarse < 2.0 * boxes, "sigma {sigma}: {coarse} vs {boxes}");
        }
    }

    #[test]
    fn blur_keeps_the_mean_and_matches_sigma() {
        let mut p = Plane::filled(101, 101, 0.0);
        p.data[50 * 101 + 50] = 1.0;
        for s in [1.5f32, 8.0] {
            let b = gaussian_blur(&p, s);
            let sum: f32 = b.data.iter().sum();
            assert!((sum - 1.0).abs() < 1e-3, "sum {sum}");
            let var: f32 = (0..101)
                .map(|x| b.at(x, 50) * ((x as f32 - 50.0).powi(2)))
                .sum::<f32>()
                / (0..101).map(|x| b.at(x, 50)).sum::<f32>();
            assert!(
                (var.sqrt() - s).abs() < 0.15 * s,
                "sigma {s} measured {}",
                var.sqrt()
            );
        }
    }

    #[test]
    fn one_pixel_wide_and_tall_planes_blur() {
        for (w, h) in [(1, 9), (9, 1), (1, 1)] {
            let p = test_plane(w, h);
            for s in [1.0f32, 6.0] {
                let b = gaussian_blur(&p, s);
                assert_eq!(b.data.len(), w * h);
                assert!(b.data.iter().all(|v| v.is_finite()));
            }
        }
    }

    #[test]
    fn masked_blur_ignores_pixels_outside_the_mask() {
        let mut p = Plane::filled(30, 30, 1.0);
        let mut mask = vec![true; 900];
        p.data[..450].fill(100.0);
        mask[..450].fill(false);
        let b = masked_blur(&p, &mask, 3.0);
        assert!(b.data[450..].iter().all(|&v| (v - 1.0).abs() < 1e-5));
    }
}
