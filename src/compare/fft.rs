//! Radix-2 complex FFT (iterative Cooley–Tukey) and 2-D phase correlation (Kuglin & Hines 1975).
//!
//! Written here rather than pulled in as a dependency because registration only needs power-of-two sizes
//! and a few hundred small transforms; the loops are sequential, so results are bit-identical across runs.

/// A complex number (re, im) in f64.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct C64 {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl C64 {
    fn mul(self, o: C64) -> C64 {
        C64 {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }
}

/// In-place FFT of a power-of-two length slice; `inverse` computes the unnormalised inverse transform.
pub fn fft(data: &mut [C64], inverse: bool) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    debug_assert!(n.is_power_of_two());
    // Bit-reversal permutation.
    let mut j = 0usize;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            data.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut len = 2;
    while len <= n {
        let ang = sign * 2.0 * std::f64::consts::PI / len as f64;
        let half = len / 2;
        // Twiddles computed directly per index (not by repeated multiplication) to keep rounding small.
        let tw: Vec<C64> = (0..half)
            .map(|k| {
                let a = ang * k as f64;
                C64 {
                    re: a.cos(),
                    im: a.sin(),
                }
            })
            .collect();
        for start in (0..n).step_by(len) {
            for k in 0..half {
                let u = data[start + k];
                let v = data[start + k + half].mul(tw[k]);
                data[start + k] = C64 {
                    re: u.re + v.re,
                    im: u.im + v.im,
                };
                data[start + k + half] = C64 {
                    re: u.re - v.re,
                    im: u.im - v.im,
                };
            }
        }
        len <<= 1;
    }
}

/// In-place 2-D FFT of a row-major `w`×`h` grid (both powers of two).
pub fn fft2(data: &mut [C64], w: usize, h: usize, inverse: bool) {
    for row in data.chunks_mut(w) {
        fft(row, inverse);
    }
    let mut col = vec![C64::default(); h];
    for x in 0..w {
        for y in 0..h {
            col[y] = data[y * w + x];
        }
        fft(&mut col, inverse);
        for y in 0..h {
            data[y * w + x] = col[y];
        }
    }
}

/// Result of a phase correlation: the shift that moves `b` onto `a` and the height of the peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhasePeak {
    /// Sub-pixel shift `(dx, dy)` such that `a(x + dx, y + dy) ≈ b(x, y)`.
    pub shift: (f64, f64),
    /// Height of the correlation peak (1 for a perfect circular shift, near 0 for unrelated inputs).
    pub peak: f64,
}

/// Phase correlation of two equally sized power-of-two grids (already windowed by the caller).
pub fn phase_correlate(a: &[f64], b: &[f64], w: usize, h: usize) -> PhasePeak {
    let mut fa: Vec<C64> = a.iter().map(|&v| C64 { re: v, im: 0.0 }).collect();
    let mut fb: Vec<C64> = b.iter().map(|&v| C64 { re: v, im: 0.0 }).collect();
    fft2(&mut fa, w, h, false);
    fft2(&mut fb, w, h, false);
    // Normalised cross-power spectrum: only the phase difference is kept, so exposure and contrast drop out.
    let mut r: Vec<C64> = fa
        .iter()
        .zip(&fb)
        .map(|(x, y)| {
            let p = C64 {
                re: x.re * y.re + x.im * y.im,
                im: x.im * y.re - x.re * y.im,
            };
            let m = (p.re * p.re + p.im * p.im).sqrt();
            if m > 1e-12 {
                C64 {
                    re: p.re / m,
                    im: p.im / m,
                }
            } else {
                C64::default()
            }
        })
        .collect();
    fft2(&mut r, w, h, true);
    let n = (w * h) as f64;
    let vals: Vec<f64> = r.iter().map(|c| c.re / n).collect();
    let mut best = 0usize;
    for (i, &v) in vals.iter().enumerate() {
        if v > vals[best] {
            best = i;
        }
    }
    let (bx, by) = (best % w, best / w);
    let at = |x: isize, y: isize| -> f64 {
        let xx = x.rem_euclid(w as isize) as usize;
        let yy = y.rem_euclid(h as isize) as usize;
        vals[yy * w + xx]
    };
    // Parabolic sub-pixel interpolation around the peak on each axis.
    let sub = |m: f64, c: f64, p: f64| -> f64 {
        let d = m - 2.0 * c + p;
        if d.abs() > 1e-12 {
            (0.5 * (m - p) / d).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    };
    let (ix, iy) = (bx as isize, by as isize);
    let c = at(ix, iy);
    let fx = sub(at(ix - 1, iy), c, at(ix + 1, iy));
    let fy = sub(at(ix, iy - 1), c, at(ix, iy + 1));
    let wrap = |v: usize, n: usize| -> f64 {
        if v > n / 2 {
            v as f64 - n as f64
        } else {
            v as f64
        }
    };
    PhasePeak {
        shift: (wrap(bx, w) + fx, wrap(by, h) + fy),
        peak: c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_roundtrip_and_known_transform() {
        let mut d: Vec<C64> = (0..16)
            .map(|i| C64 {
                re: (i as f64 * 0.7).sin(),
                im: 0.0,
            })
            .collect();
        let orig = d.clone();
        fft(&mut d, false);
        // DC term is the sum.
        let sum: f64 = orig.iter().map(|c| c.re).sum();
        assert!((d[0].re - sum).abs() < 1e-9);
        fft(&mut d, true);
        for (x, y) in d.iter().zip(&orig) {
            assert!((x.re / 16.0 - y.re).abs() < 1e-9 && (x.im / 16.0).abs() < 1e-9);
        }
    }

    #[test]
    fn phase_correlation_finds_integer_shift() {
        let (w, h) = (32usize, 32usize);
        let mut s = 12345u64;
        let b: Vec<f64> = (0..w * h)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 33) as f64 / (1u64 << 31) as f64
            })
            .collect();
        // a(x + 3, y - 5) = b(x, y)
        let mut a = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                let xa = (x + 3) % w;
                let ya = (y + h - 5) % h;
                a[ya * w + xa] = b[y * w + x];
            }
        }
        let p = phase_correlate(&a, &b, w, h);
        assert!((p.shift.0 - 3.0).abs() < 1e-6, "{:?}", p);
        assert!((p.shift.1 + 5.0).abs() < 1e-6, "{:?}", p);
        assert!(p.peak > 0.99);
    }
}
