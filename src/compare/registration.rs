//! Registration: the similarity (shift, rotation, scale) that maps before-photo pixels onto after-photo pixels.
//!
//! Method (coarse to fine, on a light-invariant texture signal):
//! 1. Signal: the local contrast energy `sqrt(G_σe * hp²)` of the luminance, where `hp = (L − G_σ L) / G_σ L`
//!    is a high-pass relative to the local brightness. Dividing by the local mean removes exposure; squaring and
//!    smoothing turns a lesion's bright/dark wall pair into one blob whatever side the light comes from
//!    (domain.md §4: the pair flips with the light direction), so a second photo under another light still
//!    matches.
//! 2. Coarse: on a ~128 px version, a grid of rotations × scales; for each, the after signal is resampled into
//!    the before frame and phase correlation (Kuglin & Hines 1975) gives the shift and a peak height. The best
//!    peak wins (a grid instead of a log-polar Fourier–Mellin step because the range is small and the grid is
//!    robust to the non-periodic image borders).
//! 3. Fine: Gauss–Newton (Lucas & Kanade 1981, forward additive) on the four similarity parameters plus a
//!    gain and offset, on a ~128 → 256 → 512 px pyramid.
//! 4. Check: normalised cross-correlation (NCC) of the two signals over the overlap and the overlap's share of
//!    the before photo; below the profile's minimums the photos are declared not to show the same area.
//!
//! Convention of the result: `x_after = s·R(−φ)·(x_before − c) + c + t` in pixel coordinates (y down), where
//! `c` is the centre of the before image `((w−1)/2, (h−1)/2)`, `s` = `scale`, `φ` = `rotation_deg` measured
//! counter-clockwise as a viewer sees the picture (so `R(−φ)` in y-down coordinates), `t` = `shift_px`.

// Index loops read more clearly than iterator chains in the small dense linear algebra below.
#![allow(clippy::needless_range_loop)]

use image::RgbImage;

use super::fft::phase_correlate;
use super::geometry::Affine;
use super::gray::{fit, Gray};

/// Tunables of registration (part of [`super::profile::CompareProfile`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationParams {
    /// Largest rotation searched, degrees either way.
    pub max_rotation_deg: f64,
    /// Largest scale change searched (0.2 = 1/1.2 … 1.2).
    pub max_scale_change: f64,
    /// Longest side of the finest level, px.
    pub working_max_side: usize,
    /// Smallest NCC of the aligned texture signals to accept the photos as the same area.
    pub min_ncc: f64,
    /// Smallest share of the before photo that must be visible in the after photo.
    pub min_overlap: f64,
    /// High-pass scale of the texture signal, px at the working resolution.
    pub highpass_sigma_px: f64,
    /// Smoothing of the contrast energy, px at the working resolution.
    pub energy_sigma_px: f64,
    /// Robust (Tukey biweight) cut-off of the refinement, in robust standard deviations of the residual;
    /// 0 = plain least squares.
    pub robust_cutoff: f64,
}

impl Default for RegistrationParams {
    fn default() -> Self {
        crate::profile::Profile::builtin().compare.registration
    }
}

/// The estimated transform and how far to trust it.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    /// Whether the photos are judged to show the same area.
    pub ok: bool,
    /// Full-resolution map from before-pixel to after-pixel coordinates (a similarity).
    pub map: Affine,
    /// Rotation in degrees, counter-clockwise as a viewer sees it.
    pub rotation_deg: f64,
    /// Scale factor (after px per before px).
    pub scale: f64,
    /// Shift of the before image's centre, px in the after frame.
    pub shift_px: [f64; 2],
    /// Confidence 0..1 (the NCC, clamped).
    pub confidence: f64,
    /// NCC of the aligned texture signals.
    pub ncc: f64,
    /// Share of the before photo that lies inside the after photo.
    pub overlap: f64,
    /// Why the photos were refused, when `ok` is false.
    pub reason: Option<String>,
}

/// The light-invariant texture signal (see the module doc), computed at the resolution of `l`.
fn signal(l: &Gray, sigma_hp: f64, sigma_e: f64) -> Gray {
    let bg = l.blur(sigma_hp);
    let hp2: Vec<f32> = l
        .data
        .iter()
        .zip(&bg.data)
        .map(|(v, b)| {
            let r = (v - b) / (b + 8.0);
            r * r
        })
        .collect();
    let e = Gray {
        w: l.w,
        h: l.h,
        data: hp2,
    }
    .blur(sigma_e);
    Gray {
        w: e.w,
        h: e.h,
        data: e.data.iter().map(|v| v.max(0.0).sqrt()).collect(),
    }
}

/// One image at one pyramid level and the map from its pixels to working-level pixels.
struct Level {
    img: Gray,
    to_work: Affine,
}

fn pyramid(work: &Gray, sides: &[usize]) -> Vec<Level> {
    sides
        .iter()
        .map(|&side| {
            let (w, h, _) = fit(work.w, work.h, side);
            let img = if (w, h) == (work.w, work.h) {
                work.clone()
            } else {
                work.resize(w, h)
            };
            let fx = work.w as f64 / w as f64;
            let fy = work.h as f64 / h as f64;
            Level {
                img,
                to_work: Affine::axis(fx, 0.5 * fx - 0.5, fy, 0.5 * fy - 0.5),
            }
        })
        .collect()
}

/// Mean-free, Hann-windowed copy of `g` zero-padded into an `n`×`n` grid; `valid` marks samples to keep.
fn windowed(g: &Gray, valid: Option<&[bool]>, n: usize) -> Vec<f64> {
    let mut sum = 0.0;
    let mut cnt = 0.0;
    for (i, &v) in g.data.iter().enumerate() {
        if valid.is_none_or(|m| m[i]) {
            sum += v as f64;
            cnt += 1.0;
        }
    }
    let mean = if cnt > 0.0 { sum / cnt } else { 0.0 };
    let mut out = vec![0.0; n * n];
    let hann = |i: usize, len: usize| -> f64 {
        if len <= 1 {
            1.0
        } else {
            0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (len - 1) as f64).cos()
        }
    };
    for y in 0..g.h.min(n) {
        let wy = hann(y, g.h);
        for x in 0..g.w.min(n) {
            let i = y * g.w + x;
            if valid.is_none_or(|m| m[i]) {
                out[y * n + x] = (g.data[i] as f64 - mean) * wy * hann(x, g.w);
            }
        }
    }
    out
}

/// Resamples `a` into `b`'s frame through `map` (b-pixel → a-pixel); the mask marks samples inside `a`.
fn warp_gray(a: &Gray, map: &Affine, w: usize, h: usize) -> (Gray, Vec<bool>) {
    let mut out = Gray::filled(w, h, 0.0);
    let mut mask = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let (u, v) = map.apply(x as f64, y as f64);
            if let Some(s) = a.sample(u, v) {
                out.data[y * w + x] = s;
                mask[y * w + x] = true;
            }
        }
    }
    (out, mask)
}

/// Grid search of rotation × scale with phase correlation for the shift, at the coarse level.
/// Returns the best few maps (before-level px → after-level px) with their peak heights, best first.
fn coarse_search(b: &Gray, a: &Gray, p: &RegistrationParams, keep: usize) -> Vec<(Affine, f64)> {
    let n = b.w.max(b.h).max(a.w).max(a.h).next_power_of_two();
    let wb = windowed(b, None, n);
    let cb = [(b.w as f64 - 1.0) / 2.0, (b.h as f64 - 1.0) / 2.0];
    let ca = [(a.w as f64 - 1.0) / 2.0, (a.h as f64 - 1.0) / 2.0];
    let rot_step = 2.0;
    // The grid's size follows the profile's limits; a profile is validated (at most 90° and a scale change of
    // 1), and the clamps keep the search bounded even for parameters built in code.
    let n_rot = ((p.max_rotation_deg / rot_step).ceil() as i32).clamp(0, 45);
    let ln_max = (1.0 + p.max_scale_change.max(0.0)).ln();
    let ln_step = 0.04;
    let n_sc = ((ln_max / ln_step).ceil() as i32).clamp(0, 18);
    let mut all: Vec<(Affine, f64)> = Vec::new();
    for si in -n_sc..=n_sc {
        let s = (si as f64 * ln_step).exp();
        for ri in -n_rot..=n_rot {
            let th = (ri as f64 * rot_step).to_radians();
            let (ca_, sa_) = (s * th.cos(), s * th.sin());
            let cand = Affine::similarity_about(ca_, sa_, cb, [ca[0] - cb[0], ca[1] - cb[1]]);
            let (warped, mask) = warp_gray(a, &cand, b.w, b.h);
            let wa = windowed(&warped, Some(&mask), n);
            let pk = phase_correlate(&wa, &wb, n, n);
            // warped(x + d) ≈ b(x), so the map is cand ∘ (x ↦ x + d).
            let m = cand.after(&Affine::axis(1.0, pk.shift.0, 1.0, pk.shift.1));
            all.push((m, pk.peak));
        }
    }
    // Stable sort: ties keep grid order, so the choice is deterministic.
    all.sort_by(|x, y| y.1.total_cmp(&x.1));
    let mut out: Vec<(Affine, f64)> = Vec::new();
    for (m, pk) in all {
        // Skip near-duplicates of a kept candidate (neighbouring grid cells of the same peak).
        let dup = out.iter().any(|(k, _)| {
            let (x0, y0) = k.apply(cb[0], cb[1]);
            let (x1, y1) = m.apply(cb[0], cb[1]);
            (x0 - x1).hypot(y0 - y1) < 3.0
                && (k.rotation_ccw_deg() - m.rotation_ccw_deg()).abs() < 3.0
                && (k.scale() / m.scale()).ln().abs() < 0.05
        });
        if !dup {
            out.push((m, pk));
        }
        if out.len() >= keep {
            break;
        }
    }
    out
}

/// Solves the dense linear system `m x = r` (Gaussian elimination with partial pivoting).
fn solve<const N: usize>(mut m: [[f64; N]; N], mut r: [f64; N]) -> Option<[f64; N]> {
    for c in 0..N {
        let piv = (c..N).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
        if m[piv][c].abs() < 1e-12 {
            return None;
        }
        m.swap(c, piv);
        r.swap(c, piv);
        for i in c + 1..N {
            let f = m[i][c] / m[c][c];
            for k in c..N {
                m[i][k] -= f * m[c][k];
            }
            r[i] -= f * r[c];
        }
    }
    let mut x = [0.0; N];
    for c in (0..N).rev() {
        let mut s = r[c];
        for k in c + 1..N {
            s -= m[c][k] * x[k];
        }
        x[c] = s / m[c][c];
    }
    Some(x)
}

/// Gauss–Newton refinement of a similarity (plus gain and offset) at one level: `a(map(x))·g + o ≈ b(x)`.
fn refine(b: &Gray, a: &Gray, init: &Affine, iters: usize, robust: f64) -> Affine {
    let (gx, gy) = a.gradients();
    let c = [(b.w as f64 - 1.0) / 2.0, (b.h as f64 - 1.0) / 2.0];
    // Parameters of x' = [p0 −p1; p1 p0](x − c) + (p2, p3).
    let s = init.to_similarity();
    let (p0, p1) = (s.m[0], s.m[3]);
    let (cx, cy) = s.apply(c[0], c[1]);
    let mut p = [p0, p1, cx, cy];
    let mut gain = 1.0f64;
    let mut off = 0.0f64;
    // Normalising the centred coordinates keeps the normal equations well conditioned.
    let l = (b.w.max(b.h) as f64 / 2.0).max(1.0);
    // Robust scale of the residual from the previous iteration (None = first pass, unweighted).
    let mut sigma: Option<f64> = None;
    for _ in 0..iters {
        let mut h = [[0.0f64; 6]; 6];
        let mut res2 = 0.0f64;
        let mut g = [0.0f64; 6];
        let mut n = 0usize;
        for y in 0..b.h {
            let uy = y as f64 - c[1];
            for x in 0..b.w {
                let ux = x as f64 - c[0];
                let xa = p[0] * ux - p[1] * uy + p[2];
                let ya = p[1] * ux + p[0] * uy + p[3];
                let (Some(av), Some(ax), Some(ay)) =
                    (a.sample(xa, ya), gx.sample(xa, ya), gy.sample(xa, ya))
                else {
                    continue;
                };
                let (av, ax, ay) = (av as f64, ax as f64, ay as f64);
                let e = b.at(x, y) as f64 - (gain * av + off);
                res2 += e * e;
                // Tukey biweight: residuals far beyond the typical one (a lesion whose shading flipped with
                // the light) stop pulling the fit.
                let wgt = match sigma {
                    Some(s) if robust > 0.0 => {
                        let u = e / (robust * s);
                        if u.abs() >= 1.0 {
                            continue;
                        }
                        (1.0 - u * u).powi(2)
                    }
                    _ => 1.0,
                };
                let j = [
                    gain * (ax * ux + ay * uy) / l,
                    gain * (-ax * uy + ay * ux) / l,
                    gain * ax,
                    gain * ay,
                    av,
                    1.0,
                ];
                for r in 0..6 {
                    g[r] += wgt * j[r] * e;
                    for k in r..6 {
                        h[r][k] += wgt * j[r] * j[k];
                    }
                }
                n += 1;
            }
        }
        if n < 64 {
            break;
        }
        sigma = Some((res2 / n as f64).sqrt().max(1e-9));
        for r in 0..6 {
            for k in 0..r {
                h[r][k] = h[k][r];
            }
            // A little Levenberg damping against flat directions.
            h[r][r] *= 1.0 + 1e-6;
        }
        let Some(d) = solve(h, g) else { break };
        p[0] += d[0] / l;
        p[1] += d[1] / l;
        p[2] += d[2];
        p[3] += d[3];
        gain += d[4];
        off += d[5];
        if d[2].abs() < 1e-3 && d[3].abs() < 1e-3 && d[0].abs() < 1e-3 && d[1].abs() < 1e-3 {
            break;
        }
    }
    Affine::similarity_about(p[0], p[1], c, [p[2] - c[0], p[3] - c[1]])
}

/// NCC of `b` and `a` resampled through `map`, and the share of `b` pixels that land inside `a`.
fn ncc_overlap(b: &Gray, a: &Gray, map: &Affine) -> (f64, f64) {
    let (w, mask) = warp_gray(a, map, b.w, b.h);
    let (mut sa, mut sb, mut saa, mut sbb, mut sab, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..mask.len() {
        if mask[i] {
            let (x, y) = (w.data[i] as f64, b.data[i] as f64);
            sa += x;
            sb += y;
            saa += x * x;
            sbb += y * y;
            sab += x * y;
            n += 1.0;
        }
    }
    let overlap = n / mask.len().max(1) as f64;
    if n < 16.0 {
        return (0.0, overlap);
    }
    let cov = sab / n - (sa / n) * (sb / n);
    let va = saa / n - (sa / n).powi(2);
    let vb = sbb / n - (sb / n).powi(2);
    let ncc = if va > 0.0 && vb > 0.0 {
        cov / (va * vb).sqrt()
    } else {
        0.0
    };
    (ncc, overlap)
}

/// Estimates the before→after similarity from image content. Never fails: a doubtful result has `ok == false`
/// and a reason.
pub fn register(before: &RgbImage, after: &RgbImage, p: &RegistrationParams) -> Registration {
    let side = p.working_max_side.max(64);
    let lb = Gray::luma(before);
    let la = Gray::luma(after);
    if lb.w < 16 || lb.h < 16 || la.w < 16 || la.h < 16 {
        return finish(
            Affine::IDENTITY,
            lb.w,
            lb.h,
            0.0,
            0.0,
            Some("photo too small to align (under 16 px)".into()),
        );
    }
    // Both photos go to the same working size so a similar framing gives a scale near 1 at every level.
    let (bw, bh, _) = fit(lb.w, lb.h, side);
    let (aw, ah, _) = fit(la.w, la.h, side);
    let work_b = if (bw, bh) == (lb.w, lb.h) {
        lb.clone()
    } else {
        lb.resize(bw, bh)
    };
    let work_a = if (aw, ah) == (la.w, la.h) {
        la.clone()
    } else {
        la.resize(aw, ah)
    };
    // The texture signal is computed at every pyramid level from that level's luminance, so the coarse
    // level keeps structure (a fine signal shrunk 4× is mostly averaged pore noise).
    let sides = [side / 4, side / 2, side];
    let lum_b = pyramid(&work_b, &sides);
    let lum_a = pyramid(&work_a, &sides);
    let sig = |l: Vec<Level>| -> Vec<Level> {
        l.into_iter()
            .map(|lv| Level {
                img: signal(&lv.img, p.highpass_sigma_px, p.energy_sigma_px),
                to_work: lv.to_work,
            })
            .collect()
    };
    let pb = sig(lum_b);
    let pa = sig(lum_a);
    let (Some(sb), Some(sa)) = (pb.last(), pa.last()) else {
        return finish(
            Affine::IDENTITY,
            lb.w,
            lb.h,
            0.0,
            0.0,
            Some("photo too small to align".into()),
        );
    };
    // Coarse search at the smallest level; the best few peaks are each refined level by level (converting
    // the map between grids) and the one with the highest final correlation wins: under a light from the
    // other side the true peak is not always the highest at the coarse level.
    let b0_inv = pb[0].to_work.inverse().unwrap_or(Affine::IDENTITY);
    let mut best: Option<(Affine, f64, f64)> = None;
    for (coarse, _peak) in coarse_search(&pb[0].img, &pa[0].img, p, 3) {
        let mut map_work = pa[0].to_work.after(&coarse).after(&b0_inv);
        for (lvb, lva) in pb.iter().zip(&pa) {
            let (Some(bi), Some(ai)) = (lvb.to_work.inverse(), lva.to_work.inverse()) else {
                continue;
            };
            let level_map = ai.after(&map_work).after(&lvb.to_work);
            let refined = refine(&lvb.img, &lva.img, &level_map, 30, p.robust_cutoff);
            map_work = lva.to_work.after(&refined).after(&bi);
        }
        let (ncc, overlap) = ncc_overlap(&sb.img, &sa.img, &map_work);
        let ncc = if ncc.is_finite() { ncc } else { -1.0 };
        if best.as_ref().is_none_or(|b| ncc > b.1) {
            best = Some((map_work, ncc, overlap));
        }
    }
    let (map_work, ncc, overlap) = best.unwrap_or((Affine::IDENTITY, 0.0, 0.0));
    // Working grid → full-resolution grid on each side.
    let b_to_work = Affine::axis(
        bw as f64 / lb.w as f64,
        0.5 * bw as f64 / lb.w as f64 - 0.5,
        bh as f64 / lb.h as f64,
        0.5 * bh as f64 / lb.h as f64 - 0.5,
    );
    let a_to_work = Affine::axis(
        aw as f64 / la.w as f64,
        0.5 * aw as f64 / la.w as f64 - 0.5,
        ah as f64 / la.h as f64,
        0.5 * ah as f64 / la.h as f64 - 0.5,
    );
    let full = a_to_work
        .inverse()
        .unwrap_or(Affine::IDENTITY)
        .after(&map_work)
        .after(&b_to_work)
        .to_similarity();
    // The range check is on the working-level map: both photos were brought to the same working size, so a
    // photo taken at another resolution (a 12 MP and a 3 MP shot of one cheek) still has a working scale near 1.
    let reason = if !ncc.is_finite() || ncc < p.min_ncc {
        Some(format!(
            "photos do not show the same area: aligned texture correlation {:.2} is below {:.2}",
            ncc, p.min_ncc
        ))
    } else if overlap < p.min_overlap {
        Some(format!(
            "photos do not show the same area: only {:.0} % of the before photo is inside the after photo (minimum {:.0} %)",
            overlap * 100.0,
            p.min_overlap * 100.0
        ))
    } else if (map_work.scale() - 1.0).abs() > p.max_scale_change * 1.5
        || map_work.rotation_ccw_deg().abs() > p.max_rotation_deg * 1.5
    {
        Some("photos do not show the same area: the alignment left the searched rotation/scale range".into())
    } else {
        None
    };
    finish(full, lb.w, lb.h, ncc, overlap, reason)
}

/// Packs a map into a [`Registration`]; `ok` exactly when there is no refusal reason.
fn finish(
    map: Affine,
    w: usize,
    h: usize,
    ncc: f64,
    overlap: f64,
    reason: Option<String>,
) -> Registration {
    let c = [
        (w as f64 - 1.0).max(0.0) / 2.0,
        (h as f64 - 1.0).max(0.0) / 2.0,
    ];
    let (x, y) = map.apply(c[0], c[1]);
    Registration {
        ok: reason.is_none(),
        map,
        rotation_deg: map.rotation_ccw_deg(),
        scale: map.scale(),
        shift_px: [x - c[0], y - c[1]],
        confidence: if ncc.is_finite() {
            ncc.clamp(0.0, 1.0)
        } else {
            0.0
        },
        ncc: if ncc.is_finite() { ncc } else { 0.0 },
        overlap,
        reason,
    }
}
