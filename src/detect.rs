//! Detect stage: multi-scale lesion candidates with non-maximum suppression across positions and scales.
//!
//! At each scale sigma (radius ~ sigma·sqrt(2), domain.md §4) three scale-normalised responses are combined:
//! - the Laplacian of Gaussian of the flattened log luminance (dark or bright blobs: ice-pick centres,
//!   brown marks, pustule heads),
//! - a derivative of Gaussian ALONG the light direction (the dark-near/bright-far pair of a depression, or the
//!   opposite pair of a bump, becomes one signed peak at the lesion's centre; a symmetric albedo spot gives ~0),
//! - the Laplacian of Gaussian of the a* residual (red blobs: papules, red marks, raised scars).
//!
//! Their root-sum-square is searched for maxima in (x, y, scale); a candidate must stand out both absolutely
//! (a few % contrast) and against the same scale's response spread over the skin, so the dense low-contrast
//! pores (texture, not lesions) fall below the line; the smallest radius searched is above pore size.

use crate::light::LightEstimate;
use crate::prepare::{gaussian_blur, Plane, Prepared};
use crate::profile::DetectRules;

/// One lesion candidate, in working-image px.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Centre x (working px).
    pub x: f64,
    /// Centre y (working px).
    pub y: f64,
    /// Detection sigma (interpolated between scales), working px.
    pub sigma: f64,
    /// Radius estimate from the scale (sigma x radius_per_sigma), working px.
    pub radius: f64,
    /// Combined scale-normalised response.
    pub response: f64,
    /// Response in robust standard deviations of its scale.
    pub z: f64,
}

/// The radii searched, in working px.
pub fn radii(p: &Prepared, rules: &DetectRules) -> Vec<f64> {
    let (lo, hi) = match p.px_per_mm {
        Some(s) => (rules.min_radius_mm * s, rules.max_radius_mm * s),
        None => (
            rules.min_radius_px,
            rules.max_radius_fraction * p.w.min(p.h) as f64,
        ),
    };
    let lo = lo.max(1.0);
    let hi = hi.min(p.w.min(p.h) as f64 / 3.0);
    let mut v = Vec::new();
    let step = rules.scale_step.max(1.05);
    let mut r = lo;
    while r <= hi * 1.0001 && v.len() < 32 {
        v.push(r);
        r *= step;
    }
    v
}

/// Runs the detect stage.
pub fn detect(
    p: &Prepared,
    light: &LightEstimate,
    use_relief: bool,
    rules: &DetectRules,
) -> Vec<Candidate> {
    let rs = radii(p, rules);
    if rs.len() < 3 {
        return Vec::new();
    }
    let (w, h) = (p.w, p.h);
    let u = light.toward;
    let mask_plane = Plane {
        w,
        h,
        data: p.mask.iter().map(|&m| m as u8 as f32).collect(),
    };
    let mut energy: Vec<Plane> = Vec::with_capacity(rs.len());
    let mut coverage: Vec<Plane> = Vec::with_capacity(rs.len());
    let mut noise: Vec<f64> = Vec::with_capacity(rs.len());
    for &r in &rs {
        let s = (r / rules.radius_per_sigma) as f32;
        let g = gaussian_blur(&p.resid, s);
        let ga = gaussian_blur(&p.red_resid, s);
        let mut e = Plane::filled(w, h, 0.0);
        let s2 = s * s;
        let rw = rules.redness_weight as f32;
        for y in 1..h.saturating_sub(1) {
            for x in 1..w - 1 {
                let i = y * w + x;
                let lap =
                    g.data[i - 1] + g.data[i + 1] + g.data[i - w] + g.data[i + w] - 4.0 * g.data[i];
                let lap_a = ga.data[i - 1] + ga.data[i + 1] + ga.data[i - w] + ga.data[i + w]
                    - 4.0 * ga.data[i];
                let blob = -s2 * lap;
                let red = (-s2 * lap_a * rw).max(0.0);
                let rel = if use_relief {
                    let gx = 0.5 * (g.data[i + 1] - g.data[i - 1]);
                    let gy = 0.5 * (g.data[i + w] - g.data[i - w]);
                    s * (gx * u[0] as f32 + gy * u[1] as f32)
                } else {
                    0.0
                };
                e.data[i] = (blob * blob + rel * rel + red * red).sqrt();
            }
        }
        let mut vals: Vec<f32> = Vec::new();
        let stride = ((w * h) / 100_000).max(1);
        for i in (0..w * h).step_by(stride) {
            if p.mask[i] {
                vals.push(e.data[i]);
            }
        }
        let nz = if vals.is_empty() {
            f64::INFINITY
        } else {
            let m = vals.len() / 2;
            let (_, med, _) = vals.select_nth_unstable_by(m, |a, b| a.total_cmp(b));
            (*med as f64 * 1.4826).max(1e-4)
        };
        noise.push(nz);
        energy.push(e);
        coverage.push(gaussian_blur(&mask_plane, s));
    }
    let mut cands = Vec::new();
    let min_resp = rules.min_response as f32;
    for k in 0..rs.len() {
        let e = &energy[k];
        let thr = min_resp.max((rules.min_z * noise[k]) as f32);
        for y in 1..h.saturating_sub(1) {
            for x in 1..w - 1 {
                let i = y * w + x;
                let v = e.data[i];
                if v < thr || !p.mask[i] || coverage[k].data[i] < 0.7 {
                    continue;
                }
                let mut is_max = true;
                'n: for kk in k.saturating_sub(1)..=(k + 1).min(rs.len() - 1) {
                    let ek = &energy[kk];
                    for dy in 0..3 {
                        for dx in 0..3 {
                            let j = (y + dy - 1) * w + x + dx - 1;
                            if j == i && kk == k {
                                continue;
                            }
                            // Ties are broken by index so exactly one pixel of a plateau survives.
                            let o = ek.data[j];
                            if o > v || (o == v && (kk, j) < (k, i)) {
                                is_max = false;
                                break 'n;
                            }
                        }
                    }
                }
                if !is_max {
                    continue;
                }
                // Parabolic interpolation of the peak in log-radius.
                let mut lr = rs[k].ln();
                if k > 0 && k + 1 < rs.len() {
                    let (a, b, c) = (
                        energy[k - 1].data[i] as f64,
                        v as f64,
                        energy[k + 1].data[i] as f64,
                    );
                    let den = a - 2.0 * b + c;
                    if den < 0.0 {
                        let off = (0.5 * (a - c) / den).clamp(-0.5, 0.5);
                        lr += off * rules.scale_step.ln();
                    }
                }
                let r = lr.exp();
                cands.push(Candidate {
                    x: x as f64,
                    y: y as f64,
                    sigma: r / rules.radius_per_sigma,
                    radius: r,
                    response: v as f64,
                    z: v as f64 / noise[k],
                });
            }
        }
    }
    // Strongest first; ties by position so the order is reproducible.
    cands.sort_by(|a, b| {
        b.response
            .total_cmp(&a.response)
            .then(a.y.total_cmp(&b.y))
            .then(a.x.total_cmp(&b.x))
    });
    let mut kept: Vec<Candidate> = Vec::new();
    for c in cands {
        let clash = kept.iter().any(|k| {
            let d = ((k.x - c.x).powi(2) + (k.y - c.y).powi(2)).sqrt();
            d < rules.nms_overlap * k.radius.max(c.radius)
        });
        if !clash {
            kept.push(c);
            if kept.len() >= rules.max_regions {
                break;
            }
        }
    }
    kept
}
