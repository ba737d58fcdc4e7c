//! Detect stage: multi-scale lesion candidates with non-maximum suppression across positions and scales.
//!
//! At each scale sigma (radius ~ sigma·sqrt(2), domain.md §4) three scale-normalised responses are combined:
//! - the Laplacian of Gaussian of the flattened log luminance (dark or bright blobs: ice-pick centres,
//!   brown marks, pustule heads),
//! - a derivative of Gaussian ALONG the light direction (the dark-near/bright-far pair of a depression, or the
//!   opposite pair of a bump, becomes one signed peak at the lesion's centre; a symmetric albedo spot gives ~0),
//! - the Laplacian of Gaussian of the a* residual (red blobs: papules, red marks, raised scars).
//!
//! Their root-sum-square, divided by its robust spread over the skin at the same scale, is searched for maxima
//! in (x, y, scale); a candidate must stand out both absolutely
//! (a few % contrast) and against the same scale's response spread over the skin, so the dense low-contrast
//! pores (texture, not lesions) fall below the line; the smallest radius searched is above pore size.

// Pixel loops index several planes (and the mask) with the same index; iterator zips would hide that.
#![allow(clippy::needless_range_loop)]

use crate::blur::{coarse_blur, enlarge, MaskCover};
use crate::light::LightEstimate;
use crate::prepare::{gaussian_blur, Plane, Prepared};
use crate::profile::DetectRules;

pub use super::candidate::Candidate;

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

/// The last few per-scale maps of a multi-scale search, by scale index: a scan compares a scale with its two
/// neighbours only, so older maps are let go as the search moves up the scales.
struct ScaleWindow<M> {
    maps: std::collections::VecDeque<(usize, M)>,
}

impl<M> Default for ScaleWindow<M> {
    fn default() -> Self {
        ScaleWindow {
            maps: std::collections::VecDeque::new(),
        }
    }
}

impl<M> ScaleWindow<M> {
    fn push(&mut self, k: usize, m: M) {
        self.maps.push_back((k, m));
    }

    /// The map of scale `k`, which must still be held (a logic error otherwise, caught by the batch's guard).
    fn get(&self, k: usize) -> &M {
        let first = self.maps.front().map_or(0, |(i, _)| *i);
        let (i, m) = &self.maps[k - first];
        debug_assert_eq!(*i, k);
        m
    }

    fn forget_before(&mut self, k: usize) {
        while self.maps.front().is_some_and(|(i, _)| *i < k) {
            self.maps.pop_front();
        }
    }
}

impl ScaleWindow<Plane> {
    /// Whether pixel (x, y) (not on the border) of scale `k` of `scales` is the maximum of its 3 × 3 × 3
    /// neighbourhood in position and scale. Ties are broken by (scale, index), so exactly one pixel of a
    /// plateau survives.
    fn is_max(&self, k: usize, scales: usize, x: usize, y: usize) -> bool {
        let w = self.get(k).w;
        let i = y * w + x;
        let v = self.get(k).data[i];
        for kk in k.saturating_sub(1)..=(k + 1).min(scales - 1) {
            let ek = self.get(kk);
            for dy in 0..3 {
                for dx in 0..3 {
                    let j = (y + dy - 1) * w + x + dx - 1;
                    if j == i && kk == k {
                        continue;
                    }
                    let o = ek.data[j];
                    if o > v || (o == v && (kk, j) < (k, i)) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Runs the detect stage. `fine` is [`fine_segmentation`] of `p`, when the caller has it already (the light
/// stage reads its candidates): the segmentation does not depend on the light, only the joining of its
/// pieces does, so it is made once.
pub fn detect(
    p: &Prepared,
    light: &LightEstimate,
    use_relief: bool,
    rules: &DetectRules,
    fine: Option<&Segmented>,
) -> Vec<Candidate> {
    let rs = radii(p, rules);
    if rs.len() < 3 {
        return Vec::new();
    }
    let cover = MaskCover::new(&p.mask, p.w, p.h);
    let soft_min = soft_min_radius(p, rules);
    let lit = if use_relief { Some(light.toward) } else { None };
    let search = ScaleSearch {
        p,
        rs: &rs,
        rules,
        cover: &cover,
    };
    let cands = search.blobs(lit, soft_min);
    // Segmented lesions come first: their extent is measured, not inferred from a scale.
    let mut kept: Vec<Candidate> = match fine {
        Some(fine) => fine.candidates(lit, rules),
        None => segments(p, lit, rules),
    };
    let n_fine = kept.len();
    // Wide shallow depressions seen only by their shading pair along the light (rolling scars). They come
    // before the coarse pass: a coarse segment of the same scar often holds only its bright far slope, whose
    // off-centre disc reads as a bump or a flat patch.
    if use_relief {
        add_depressions(&mut kept, depressions(p, light.toward, &cover, rules));
    }
    // A coarser pass finds soft, wide lesions (rolling scars) whose contrast is spread too thin to stand out
    // pixel by pixel.
    add_coarse(
        &mut kept,
        n_fine,
        segments_at(p, lit, rules, &coarse_pass(rules)),
    );
    add_blobs(&mut kept, cands, soft_min, rules);
    kept
}

/// The smallest radius of a soft lesion the blob search adds, in working px.
fn soft_min_radius(p: &Prepared, rules: &DetectRules) -> f64 {
    p.px_per_mm
        .map(|s| rules.soft_min_radius_mm * s)
        .unwrap_or(rules.soft_min_radius_px)
}

/// The distance between the centres of a kept candidate `k` and a new one `c`.
fn centre_distance(k: &Candidate, c: &Candidate) -> f64 {
    ((k.x - c.x).powi(2) + (k.y - c.y).powi(2)).sqrt()
}

/// Appends the depression pass's candidates `found` whose centre is not inside a kept lesion.
fn add_depressions(kept: &mut Vec<Candidate>, found: Vec<Candidate>) {
    for c in found {
        let inside = kept
            .iter()
            .any(|k| centre_distance(k, &c) < k.radius + 0.5 * c.radius);
        if !inside {
            kept.push(c);
        }
    }
}

/// Appends, marked soft, the coarse pass's candidates `coarse` that overlap none of the `kept` ones (the
/// first `n_fine` of which are fine segments, the rest depressions).
fn add_coarse(kept: &mut Vec<Candidate>, n_fine: usize, coarse: Vec<Candidate>) {
    let n_dep = kept.len();
    for mut c in coarse {
        let inside = kept[..n_dep].iter().enumerate().any(|(i, k)| {
            let d = centre_distance(k, &c);
            if i < n_fine {
                d < k.radius + c.radius
            } else {
                d < k.radius.max(c.radius)
            }
        });
        if !inside {
            c.soft = true;
            kept.push(c);
        }
    }
}

/// Appends the blob candidates `cands` (strongest first) of at least `soft_min` radius outside the segmented
/// lesions and clear of every kept one, up to `max_regions` in all.
fn add_blobs(kept: &mut Vec<Candidate>, cands: Vec<Candidate>, soft_min: f64, rules: &DetectRules) {
    let n_seg = kept.len();
    for c in cands {
        // Small sharp lesions are segmented; the blob search adds only soft, wide ones (rolling scars) that do
        // not stand out pixel by pixel.
        if c.radius < soft_min {
            continue;
        }
        let inside = kept[..n_seg]
            .iter()
            .any(|k| centre_distance(k, &c) < k.radius + 0.5 * c.radius);
        if inside {
            continue;
        }
        let clash = kept
            .iter()
            .any(|k| centre_distance(k, &c) < rules.nms_overlap * k.radius.max(c.radius));
        if !clash {
            kept.push(c);
            if kept.len() >= rules.max_regions {
                break;
            }
        }
    }
}

/// A multi-scale peak search over the photo's skin: the photo, the radii searched and the skin cover.
struct ScaleSearch<'a> {
    p: &'a Prepared,
    rs: &'a [f64],
    rules: &'a DetectRules,
    cover: &'a MaskCover,
}

impl ScaleSearch<'_> {
    /// The blob search's candidates (see the module docs), strongest first; `toward` is the light when the
    /// relief is used, and only the scales that can yield a radius of `soft_min` are searched.
    fn blobs(&self, toward: Option<[f64; 2]>, soft_min: f64) -> Vec<Candidate> {
        let (rs, rules) = (self.rs, self.rules);
        // Each scale's energy map is compared with its neighbours' only, so the maps are made in scale order and
        // each scale is scanned as soon as the next one exists: three maps are held at a time instead of all of
        // them (a 12 MP photo's working planes are 7.7 MB each). The candidates come out in the same order.
        let mut window: ScaleWindow<Plane> = ScaleWindow::default();
        let mut noise: Vec<f64> = vec![f64::INFINITY; rs.len()];
        // The blob search adds only soft lesions of at least `soft_min` radius (see `add_blobs`), so the scales
        // that cannot yield one are not searched, and of those only the largest is made, as the next one's
        // neighbour: the small scales are the exact, costly blurs, and skipping them changes no candidate that
        // is kept.
        let first = first_useful_scale(rs, soft_min, rules.scale_step);
        let mut cands = Vec::new();
        let made = if first < rs.len() {
            first.saturating_sub(1)
        } else {
            rs.len()
        };
        for (k_new, &r) in rs.iter().enumerate().skip(made) {
            let s = (r / rules.radius_per_sigma) as f32;
            let (e, nz) = energy_z(self.p, s, toward, rules);
            noise[k_new] = nz;
            window.push(k_new, e);
            if k_new > first {
                self.scan_blobs(k_new - 1, &window, &noise, &mut cands);
                window.forget_before(k_new - 1);
            }
        }
        if first < rs.len() {
            self.scan_blobs(rs.len() - 1, &window, &noise, &mut cands);
        }
        drop(window);
        // Strongest first; ties by position so the order is reproducible.
        cands.sort_by(|a, b| {
            b.response
                .total_cmp(&a.response)
                .then(a.y.total_cmp(&b.y))
                .then(a.x.total_cmp(&b.x))
        });
        cands
    }

    /// Appends to `cands` the blob candidates of scale `k`: maxima in (x, y, scale) of its z map above the
    /// threshold, on enough skin. `noise` holds each scale's energy spread.
    fn scan_blobs(
        &self,
        k: usize,
        window: &ScaleWindow<Plane>,
        noise: &[f64],
        cands: &mut Vec<Candidate>,
    ) {
        let (p, rs, rules) = (self.p, self.rs, self.rules);
        let (w, h) = (p.w, p.h);
        let e = window.get(k);
        let s = (rs[k] / rules.radius_per_sigma) as f32;
        // The mask's blur is needed only at maxima near the mask's edge (see MaskCover).
        let mut coverage = None;
        let thr = (rules.min_response as f32 / noise[k] as f32).max(rules.min_z as f32);
        for y in 1..h.saturating_sub(1) {
            for x in 1..w - 1 {
                let i = y * w + x;
                let v = e.data[i];
                if v < thr || !p.mask[i] {
                    continue;
                }
                let is_max = window.is_max(k, rs.len(), x, y);
                // Tested after the maximum, the rarer condition: the mask is blurred for a scale only
                // when one of its maxima lies near the mask's edge.
                if !is_max || !self.cover.at_least(x, y, s, 0.7, &mut coverage) {
                    continue;
                }
                let r = self.peak_radius(k, window, i, v);
                cands.push(Candidate {
                    x: x as f64,
                    y: y as f64,
                    sigma: r / rules.radius_per_sigma,
                    radius: r,
                    response: v as f64 * noise[k],
                    z: v as f64,
                    pixels: None,
                    soft: true,
                    depression_z: None,
                });
            }
        }
    }

    /// The radius of the peak `v` at index `i` of scale `k`: parabolic interpolation of the peak in
    /// log-radius between the neighbouring scales, at most half a scale step.
    fn peak_radius(&self, k: usize, window: &ScaleWindow<Plane>, i: usize, v: f32) -> f64 {
        let rs = self.rs;
        let mut lr = rs[k].ln();
        if k > 0 && k + 1 < rs.len() {
            let (a, b, c) = (
                window.get(k - 1).data[i] as f64,
                v as f64,
                window.get(k + 1).data[i] as f64,
            );
            let den = a - 2.0 * b + c;
            if den < 0.0 {
                let off = (0.5 * (a - c) / den).clamp(-0.5, 0.5);
                lr += off * self.rules.scale_step.ln();
            }
        }
        lr.exp()
    }

    /// Appends to `found` the depression candidates of scale `k`: maxima in (x, y, scale) of its z map
    /// (see [`depressions`]) above the threshold, not a bump's flank, on enough skin.
    fn scan_depressions(&self, k: usize, window: &ScaleWindow<Plane>, found: &mut Vec<Candidate>) {
        let (p, rs, rules) = (self.p, self.rs, self.rules);
        let (w, h) = (p.w, p.h);
        let d = window.get(k);
        let thr = rules.relief_min_z as f32;
        let lobe = rules.relief_max_side_lobe as f32;
        let s = (rs[k] * rules.relief_sigma_per_radius).max(0.7) as f32;
        let cs = s.max(0.5 * rs[k] as f32);
        let mut cov = None;
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let i = y * w + x;
                let v = d.data[i];
                if v < thr || !p.mask[i] {
                    continue;
                }
                let mut is_max = window.is_max(k, rs.len(), x, y);
                // A bump's shading is a depression's mirrored: its centre peaks with the other sign, and its
                // flanks along the light peak with the depression's sign at about half that strength. A peak
                // with a much stronger opposite peak within two radii is such a flank.
                if is_max && bump_flank(d, x, y, 2.0 * rs[k], lobe * v) {
                    is_max = false;
                }
                // Enough skin around, tested last: the mask is blurred only for maxima near its edge.
                if is_max && !self.cover.at_least(x, y, cs, 0.9, &mut cov) {
                    is_max = false;
                }
                if is_max {
                    let r = rs[k];
                    found.push(Candidate {
                        x: x as f64,
                        y: y as f64,
                        sigma: r * rules.relief_sigma_per_radius,
                        radius: r,
                        response: v as f64,
                        z: v as f64,
                        pixels: None,
                        soft: true,
                        depression_z: Some(v as f64),
                    });
                }
            }
        }
    }
}

/// The blob energy at sigma `s` in z units, and the robust spread over the skin it was divided by.
fn energy_z(p: &Prepared, s: f32, toward: Option<[f64; 2]>, rules: &DetectRules) -> (Plane, f64) {
    let mut e = energy(p, s, toward, rules);
    let nz = energy_noise(p, &e);
    // Stored in z units: comparing significance across scales favours the scale that matches the whole
    // lesion over a thin part of it (a boxcar's rim crescent is strong at small scales, but so is the
    // pore texture there).
    let inv = (1.0 / nz) as f32;
    e.data.iter_mut().for_each(|v| *v *= inv);
    (e, nz)
}

/// The robust spread (scaled median) of the energy `e` over a sample of the skin; infinite without skin.
/// `f(i)` at every `stride`-th px `i` where `mask` holds, in raster order, in a Vec sized up front: grown
/// by pushes, its reallocations were ~0.3 % of a 640×640 photo's analysis.
pub(crate) fn skin_sample(mask: &[bool], stride: usize, f: impl Fn(usize) -> f32) -> Vec<f32> {
    let mut vals = Vec::with_capacity(mask.len().div_ceil(stride));
    vals.extend((0..mask.len()).step_by(stride).filter(|&i| mask[i]).map(f));
    vals
}

fn energy_noise(p: &Prepared, e: &Plane) -> f64 {
    let (w, h) = (p.w, p.h);
    let stride = ((w * h) / 100_000).max(1);
    let mut vals = skin_sample(&p.mask[..w * h], stride, |i| e.data[i]);
    if vals.is_empty() {
        f64::INFINITY
    } else {
        let med = crate::select::upper_median(&mut vals);
        (med as f64 * 1.4826).max(1e-4)
    }
}

/// The first index of `rs` whose candidates can reach `soft_min`: a peak's radius is interpolated at most
/// half a scale step (`scale_step`) above its scale's radius (the parabola's offset is clamped to ±0.5), so
/// a scale below `soft_min` by more than that yields only candidates [`detect`] drops. `rs.len()` when none
/// can. A hair of margin keeps rounding from ever skipping a scale that could reach it.
fn first_useful_scale(rs: &[f64], soft_min: f64, scale_step: f64) -> usize {
    let reach = (0.5 * scale_step.ln().abs()).exp() * (1.0 + 1e-9);
    rs.iter()
        .position(|&r| r * reach >= soft_min)
        .unwrap_or(rs.len())
}

/// The blob energy at sigma `s` (see the module docs): the root-sum-square of the scale-normalised LoG of the
/// flattened luminance, its derivative along the light (`toward`, when the relief is used) and the weighted
/// positive LoG of the a* residual. Computed on the blur's coarse grid ([`coarse_blur`]; the scale-normalised
/// derivatives are the same in either grid's px) and enlarged to the working size.
fn energy(p: &Prepared, s: f32, toward: Option<[f64; 2]>, rules: &DetectRules) -> Plane {
    let (g, ga) = (coarse_blur(&p.resid, s), coarse_blur(&p.red_resid, s));
    let (w, h, f) = (g.plane.w, g.plane.h, g.f);
    let (g, ga) = (&g.plane.data, &ga.plane.data);
    let sc = s / f as f32;
    let s2 = sc * sc;
    let rw = rules.redness_weight as f32;
    let [ux, uy] = toward.map_or([0.0; 2], |u| [u[0] as f32, u[1] as f32]);
    let mut e = Plane::filled(w, h, 0.0);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w - 1 {
            let i = y * w + x;
            let lap = g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4.0 * g[i];
            let lap_a = ga[i - 1] + ga[i + 1] + ga[i - w] + ga[i + w] - 4.0 * ga[i];
            let blob = -s2 * lap;
            let red = (-s2 * lap_a * rw).max(0.0);
            let rel = if toward.is_some() {
                sc * slope_along(g, i, w, ux, uy)
            } else {
                0.0
            };
            e.data[i] = (blob * blob + rel * rel + red * red).sqrt();
        }
    }
    enlarge(e, f, p.w, p.h)
}

/// The slope of the row-major plane `g` (width `w`) at interior index `i` along the unit direction
/// `(ux, uy)`, by central differences: the shading derivative that both the blob energy and the depression
/// pass read along the light.
#[inline(always)]
fn slope_along(g: &[f32], i: usize, w: usize, ux: f32, uy: f32) -> f32 {
    let gx = 0.5 * (g[i + 1] - g[i - 1]);
    let gy = 0.5 * (g[i + w] - g[i - w]);
    gx * ux + gy * uy
}

/// The radii of the depression pass, in working px.
fn relief_radii(p: &Prepared, rules: &DetectRules) -> Vec<f64> {
    let short = p.w.min(p.h) as f64;
    let (lo, hi) = match p.px_per_mm {
        Some(s) => (
            rules.relief_min_radius_mm * s,
            rules.relief_max_radius_mm * s,
        ),
        None => (
            rules.relief_min_radius_fraction * short,
            rules.relief_max_radius_fraction * short,
        ),
    };
    let (lo, hi) = (lo.max(2.0), hi.min(short / 4.0));
    let step = rules.relief_scale_step.max(1.05);
    let mut v = Vec::new();
    let mut r = lo;
    while r <= hi * 1.0001 && v.len() < 16 {
        v.push(r);
        r *= step;
    }
    v
}

/// Depression pass: wide shallow pits (rolling scars, domain.md §1) whose shading is too faint to segment.
///
/// Under side light a depression is dark on the wall nearest the light and bright on the far wall (domain.md
/// §4): the flattened luminance falls along the direction towards the light across its middle. The
/// derivative of Gaussian along that direction (sigma ~ half the radius: matched to a sloping bowl) peaks
/// at a depression's centre with one sign, at a bump's with the other, and stays near zero on a symmetric
/// colour mark. Peaks of the depression sign, in robust deviations of the same map over the skin, are
/// searched in (x, y, scale); the skin's smooth mottling rarely reaches the threshold.
fn depressions(
    p: &Prepared,
    toward: [f64; 2],
    cover: &MaskCover,
    rules: &DetectRules,
) -> Vec<Candidate> {
    let (w, h) = (p.w, p.h);
    let rs = relief_radii(p, rules);
    if rs.is_empty() || w < 8 || h < 8 {
        return Vec::new();
    }
    let (ux, uy) = (toward[0] as f32, toward[1] as f32);
    let search = ScaleSearch {
        p,
        rs: &rs,
        rules,
        cover,
    };
    // Per scale: the z map and the skin coverage (a derivative across the skin's edge is not a lesion). As in
    // `detect`, a scale is scanned once its upper neighbour exists, and at most three maps are held.
    let mut window: ScaleWindow<Plane> = ScaleWindow::default();
    let mut found: Vec<Candidate> = Vec::new();
    for (k_new, &r) in rs.iter().enumerate() {
        let s = (r * rules.relief_sigma_per_radius).max(0.7) as f32;
        // The count is the same at every scale (the mask's), so this returns at the first scale or never.
        let Some(d) = slope_z(p, slope_map(p, s, ux, uy)) else {
            return Vec::new();
        };
        window.push(k_new, d);
        if k_new >= 1 {
            search.scan_depressions(k_new - 1, &window, &mut found);
            window.forget_before(k_new - 1);
        }
    }
    search.scan_depressions(rs.len() - 1, &window, &mut found);
    drop(window);
    one_per_disc(found)
}

/// The scale-normalised derivative of Gaussian (sigma `s`) of the flattened luminance along the unit
/// direction `(ux, uy)` towards the light, negated so that a depression is positive, at the working size.
fn slope_map(p: &Prepared, s: f32, ux: f32, uy: f32) -> Plane {
    // On the blur's coarse grid, enlarged after (see `energy`).
    let g = coarse_blur(&p.resid, s);
    let (cw, ch, f) = (g.plane.w, g.plane.h, g.f);
    let sc = s / f as f32;
    let mut d = Plane::filled(cw, ch, 0.0);
    for y in 1..ch.saturating_sub(1) {
        for x in 1..cw.saturating_sub(1) {
            let i = y * cw + x;
            // Falling towards the light = dark near, bright far = depressed: positive.
            d.data[i] = -sc * slope_along(&g.plane.data, i, cw, ux, uy);
        }
    }
    drop(g);
    enlarge(d, f, p.w, p.h)
}

/// The slope map `d` in robust deviations of its magnitude over a sample of the skin; `None` with too little
/// skin.
fn slope_z(p: &Prepared, mut d: Plane) -> Option<Plane> {
    let (w, h) = (p.w, p.h);
    let stride = ((w * h) / 100_000).max(1);
    let mut vals = skin_sample(&p.mask[..w * h], stride, |i| d.data[i].abs());
    if vals.len() < 16 {
        return None;
    }
    let spread = (crate::select::upper_median(&mut vals) * 1.4826).max(1e-6);
    d.data.iter_mut().for_each(|v| *v /= spread);
    Some(d)
}

/// The depression candidates `found`, strongest first, less any closer to a stronger kept one than the
/// larger of their radii.
fn one_per_disc(mut found: Vec<Candidate>) -> Vec<Candidate> {
    // Strongest first; one lesion per disc.
    found.sort_by(|a, b| {
        b.z.total_cmp(&a.z)
            .then(a.y.total_cmp(&b.y))
            .then(a.x.total_cmp(&b.x))
    });
    let mut kept: Vec<Candidate> = Vec::new();
    for c in found {
        let clash = kept
            .iter()
            .any(|k| centre_distance(k, &c) < k.radius.max(c.radius));
        if !clash {
            kept.push(c);
        }
    }
    kept
}

/// Whether the map falls below `-limit` anywhere within `reach` px of (x, y).
fn bump_flank(d: &Plane, x: usize, y: usize, reach: f64, limit: f32) -> bool {
    let (w, h) = (d.w as isize, d.h as isize);
    let r = reach.ceil() as isize;
    let r2 = reach * reach;
    for yy in (y as isize - r).max(0)..=(y as isize + r).min(h - 1) {
        for xx in (x as isize - r).max(0)..=(x as isize + r).min(w - 1) {
            let (dx, dy) = ((xx - x as isize) as f64, (yy - y as isize) as f64);
            if dx * dx + dy * dy <= r2 && d.data[(yy * w + xx) as usize] < -limit {
                return true;
            }
        }
    }
    false
}

/// Segments sharp lesions: hysteresis threshold of the local contrast (|flattened luminance| + weighted |a*|
/// residual), closed over gaps narrower than a pore so the bright and dark crescents of one pit and its flat
/// floor join, holes filled; components smaller than the smallest lesion (pores) are dropped.
pub fn segments(p: &Prepared, light: Option<[f64; 2]>, rules: &DetectRules) -> Vec<Candidate> {
    fine_segmentation(p, rules).candidates(light, rules)
}

/// The fine pass of [`segments`] up to its pieces, before any are joined along the light.
pub fn fine_segmentation(p: &Prepared, rules: &DetectRules) -> Segmented {
    let pass = Pass {
        smooth_mm: rules.segment_smooth_mm,
        smooth_px: 1.0,
        min_radius_mm: rules.min_radius_mm,
        min_radius_px: rules.min_radius_px,
        high_z: rules.segment_high_z,
        min_contrast: rules.segment_min_contrast,
    };
    segmentation(p, rules, &pass)
}

/// Settings of one segmentation pass.
struct Pass {
    /// Contrast smoothing, mm (with a scale) or px (without).
    pub smooth_mm: f64,
    /// Contrast smoothing without a scale, px.
    pub smooth_px: f64,
    /// Smallest lesion radius kept, mm.
    pub min_radius_mm: f64,
    /// Smallest lesion radius kept without a scale, px.
    pub min_radius_px: f64,
    /// Strong threshold in robust deviations above the median contrast.
    pub high_z: f64,
    /// Strong threshold's absolute floor (log units).
    pub min_contrast: f64,
}

/// The coarse pass for soft, wide lesions.
fn coarse_pass(rules: &DetectRules) -> Pass {
    Pass {
        smooth_mm: rules.coarse_smooth_mm,
        smooth_px: rules.coarse_smooth_mm * 8.0,
        min_radius_mm: rules.coarse_min_radius_mm,
        min_radius_px: rules.soft_min_radius_px,
        high_z: rules.coarse_high_z,
        min_contrast: rules.coarse_min_contrast,
    }
}

/// One segmentation pass (see [`segments`]).
fn segments_at(
    p: &Prepared,
    light: Option<[f64; 2]>,
    rules: &DetectRules,
    pass: &Pass,
) -> Vec<Candidate> {
    segmentation(p, rules, pass).candidates(light, rules)
}

/// One segmented piece: its pixels, centroid, equivalent radius, polarity and peak contrast.
struct Seg {
    px: Vec<u32>,
    x: f64,
    y: f64,
    r: f64,
    sign: f64,
    peak: f32,
}

/// A segmentation pass's pieces before they are joined along the light ([`Segmented::candidates`]).
pub struct Segmented {
    segs: Vec<Seg>,
    /// Working width, px.
    w: usize,
    px_per_mm: Option<f64>,
    /// Median and robust deviation of the contrast over the skin (a candidate's z is its peak's).
    med: f32,
    mad: f32,
}

/// The pieces of one segmentation pass (see [`segments`]): everything that does not depend on the light.
fn segmentation(p: &Prepared, rules: &DetectRules, pass: &Pass) -> Segmented {
    let (w, h) = (p.w, p.h);
    let ppm = p.px_per_mm;
    let none = Segmented {
        segs: Vec::new(),
        w,
        px_per_mm: ppm,
        med: 0.0,
        mad: 0.0,
    };
    if w < 8 || h < 8 {
        return none;
    }
    let (g, c) = contrast(p, rules, pass);
    let Some((med, mad)) = contrast_level(p, &c) else {
        return none;
    };
    let hi = (med + pass.high_z as f32 * mad).max(pass.min_contrast as f32);
    let lo = med + 0.5 * (hi - med);
    let closed = closed_weak(p, &c, lo, rules);
    let (labels, sizes, _) = crate::prepare::components(&closed, w, h, true);
    let (strong, peak) = strong_pixels(&labels, sizes.len(), &c, hi);
    let max_area = (0.25 * (w * h) as f64) as usize;
    let keep = kept_components(p, rules, pass, &sizes, &strong, max_area);
    let pix = component_pixels(&labels, &keep, max_area, w, h);
    Segmented {
        segs: pieces(pix, &keep, &peak, &g, w),
        w,
        px_per_mm: ppm,
        med,
        mad,
    }
}

/// The pass's smoothed flattened luminance, and its local contrast: |smoothed luminance| + weighted
/// |smoothed a* residual|.
fn contrast(p: &Prepared, rules: &DetectRules, pass: &Pass) -> (Plane, Vec<f32>) {
    let smooth_sigma = p
        .px_per_mm
        .map(|s| pass.smooth_mm * s)
        .unwrap_or(pass.smooth_px)
        .max(0.7) as f32;
    let g = gaussian_blur(&p.resid, smooth_sigma);
    let ga = gaussian_blur(&p.red_resid, smooth_sigma);
    let rw = rules.segment_redness_weight as f32;
    let c: Vec<f32> = g
        .data
        .iter()
        .zip(&ga.data)
        .map(|(a, b)| a.abs() + rw * b.abs())
        .collect();
    (g, c)
}

/// The median and robust deviation (scaled MAD) of the contrast `c` over a sample of the skin; `None` with
/// too little skin.
fn contrast_level(p: &Prepared, c: &[f32]) -> Option<(f32, f32)> {
    let (w, h) = (p.w, p.h);
    let stride = ((w * h) / 200_000).max(1);
    let mut vals = skin_sample(&p.mask[..w * h], stride, |i| c[i]);
    if vals.len() < 16 {
        return None;
    }
    let (med, mad) = crate::select::median_and_mad(&mut vals);
    Some((med, mad * 1.4826))
}

/// The skin pixels whose contrast `c` reaches the weak threshold `lo`, closed over gaps narrower than a pore.
fn closed_weak(p: &Prepared, c: &[f32], lo: f32, rules: &DetectRules) -> Vec<bool> {
    let (w, h) = (p.w, p.h);
    let weak: Vec<bool> = (0..w * h).map(|i| p.mask[i] && c[i] >= lo).collect();
    let close_r = p
        .px_per_mm
        .map(|s| (rules.segment_close_mm * s).round() as usize)
        .unwrap_or(2)
        .clamp(1, 6);
    crate::prepare::morph(
        &crate::prepare::morph(&weak, w, h, close_r, true),
        w,
        h,
        close_r,
        false,
    )
}

/// Per label of `labels` (`n` labels): its count of strong pixels (contrast `c` at least `hi`) and their
/// peak contrast.
fn strong_pixels(labels: &[u32], n: usize, c: &[f32], hi: f32) -> (Vec<usize>, Vec<f32>) {
    // Components must contain a strong pixel.
    let mut strong = vec![0usize; n];
    let mut peak = vec![0.0f32; n];
    for i in 0..labels.len() {
        let l = labels[i] as usize;
        if l != 0 && c[i] >= hi {
            strong[l] += 1;
            peak[l] = peak[l].max(c[i]);
        }
    }
    (strong, peak)
}

/// Per label: whether its component is kept, i.e. sized between the pass's smallest lesion and `max_area`
/// px with a core of strong pixels (`strong` per label).
fn kept_components(
    p: &Prepared,
    rules: &DetectRules,
    pass: &Pass,
    sizes: &[usize],
    strong: &[usize],
    max_area: usize,
) -> Vec<bool> {
    let min_d = match p.px_per_mm {
        Some(s) => 2.0 * pass.min_radius_mm * s,
        None => 2.0 * pass.min_radius_px,
    };
    let min_area = (std::f64::consts::PI * 0.25 * min_d * min_d) as usize;
    // A lesion has a solid core of strong contrast; a few pores joined by the closing have only specks.
    let min_strong = ((rules.segment_min_core * min_area as f64).ceil() as usize).max(2);
    (0..sizes.len())
        .map(|l| {
            l != 0 && strong[l] >= min_strong && sizes[l] >= min_area.max(3) && sizes[l] <= max_area
        })
        .collect()
}

/// Per label: the pixels of its component when kept (`keep`), in raster order, then those of its holes of at
/// most `max_area` px.
fn component_pixels(
    labels: &[u32],
    keep: &[bool],
    max_area: usize,
    w: usize,
    h: usize,
) -> Vec<Vec<u32>> {
    // Fill holes inside each kept component (a boxcar's flat floor has no contrast of its own).
    let fg: Vec<bool> = labels.iter().map(|&l| keep[l as usize]).collect();
    let (bl, bsizes, bborder) = crate::prepare::components(&fg, w, h, false);
    let mut pix: Vec<Vec<u32>> = vec![Vec::new(); keep.len()];
    for i in 0..w * h {
        let l = labels[i] as usize;
        if keep[l] {
            pix[l].push(i as u32);
        }
    }
    // A hole takes the label of the pixel to its left (holes are enclosed, so that pixel is a component's).
    for i in 0..w * h {
        let b = bl[i] as usize;
        if b != 0 && !bborder[b] && bsizes[b] <= max_area && i % w > 0 {
            let mut j = i;
            while j % w > 0 && bl[j] as usize == b {
                j -= 1;
            }
            let l = labels[j] as usize;
            if keep[l] {
                pix[l].push(i as u32);
            }
        }
    }
    pix
}

/// One record per kept component: its pixels `pix` (per label), centroid, equivalent radius, the sign of
/// its summed smoothed luminance `g` (width `w`) and its `peak` contrast.
fn pieces(pix: Vec<Vec<u32>>, keep: &[bool], peak: &[f32], g: &Plane, w: usize) -> Vec<Seg> {
    let mut segs: Vec<Seg> = Vec::new();
    for (l, px) in pix.into_iter().enumerate() {
        if !keep[l] || px.is_empty() {
            continue;
        }
        let n = px.len() as f64;
        let (mut sx, mut sy, mut sv) = (0.0f64, 0.0f64, 0.0f64);
        for &i in &px {
            sx += (i as usize % w) as f64;
            sy += (i as usize / w) as f64;
            sv += g.data[i as usize] as f64;
        }
        segs.push(Seg {
            x: sx / n,
            y: sy / n,
            r: (n / std::f64::consts::PI).sqrt(),
            sign: sv.signum(),
            peak: peak[l],
            px,
        });
    }
    segs
}

impl Segmented {
    /// The pass's candidates: its pieces, joined along the light `light` when given, strongest first.
    pub fn candidates(&self, light: Option<[f64; 2]>, rules: &DetectRules) -> Vec<Candidate> {
        let line_width = self
            .px_per_mm
            .map(|s| rules.line_max_width_mm * s)
            .unwrap_or(rules.line_max_width_px);
        let mut out: Vec<Candidate> = self
            .groups(light, rules)
            .into_iter()
            .filter(|g| !g.is_empty())
            .filter_map(|members| self.joined(&members, line_width, rules))
            .collect();
        out.sort_by(|a, b| {
            b.z.total_cmp(&a.z)
                .then(a.y.total_cmp(&b.y))
                .then(a.x.total_cmp(&b.x))
        });
        out
    }

    /// The pieces' sets once joined along the light `light` (when given), indexed by each set's smallest
    /// member and listing its members in order; empty at the other indices.
    fn groups(&self, light: Option<[f64; 2]>, rules: &DetectRules) -> Vec<Vec<usize>> {
        let segs = &self.segs;
        // Under side light a pit's dark near wall and bright far wall (or a bump's bright near and dark far
        // slope) may be segmented apart: pairs of opposite polarity lying along the light, no farther apart than
        // a lesion's width, are joined (union-find, deterministic order).
        let mut sets = crate::disjoint::Disjoint::new(segs.len());
        if let Some(u) = light {
            for a in 0..segs.len() {
                for b in a + 1..segs.len() {
                    if is_light_pair(&segs[a], &segs[b], u, rules) {
                        sets.join(a, b);
                    }
                }
            }
        }
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); segs.len()];
        for i in 0..segs.len() {
            let r = sets.root(i);
            groups[r].push(i);
        }
        groups
    }

    /// The candidate of the pieces `members` joined, or `None` for a stray hair (see [`is_hair`]).
    fn joined(&self, members: &[usize], line_width: f64, rules: &DetectRules) -> Option<Candidate> {
        let w = self.w;
        let mut px: Vec<u32> = Vec::new();
        let mut pk = 0.0f32;
        for &m in members {
            px.extend_from_slice(&self.segs[m].px);
            pk = pk.max(self.segs[m].peak);
        }
        px.sort_unstable();
        let n = px.len() as f64;
        let (sx, sy) = px.iter().fold((0.0, 0.0), |a, &i| {
            (a.0 + (i as usize % w) as f64, a.1 + (i as usize / w) as f64)
        });
        if is_hair(&px, w, (sx, sy), line_width, rules) {
            return None;
        }
        let radius = (n / std::f64::consts::PI).sqrt();
        let z = ((pk - self.med) / self.mad.max(1e-6)) as f64;
        Some(Candidate {
            x: sx / n,
            y: sy / n,
            sigma: radius / rules.radius_per_sigma,
            radius,
            response: pk as f64,
            z,
            pixels: Some(px),
            soft: false,
            depression_z: None,
        })
    }
}

/// Whether pieces `a` and `b` are a shading pair along the unit light direction `u`: of opposite polarity,
/// near enough for one lesion and aligned with the light.
fn is_light_pair(a: &Seg, b: &Seg, u: [f64; 2], rules: &DetectRules) -> bool {
    if a.sign == b.sign {
        return false;
    }
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let d = (dx * dx + dy * dy).sqrt();
    if d <= 0.0 || d > rules.pair_distance * (a.r + b.r) {
        return false;
    }
    if ((dx * u[0] + dy * u[1]) / d).abs() < rules.pair_alignment {
        return false;
    }
    true
}

/// Whether the pixels `px` (row-major, width `w`, coordinate sums `(sx, sy)`) form a thin line narrower than
/// `line_width`: a stray hair.
fn is_hair(
    px: &[u32],
    w: usize,
    (sx, sy): (f64, f64),
    line_width: f64,
    rules: &DetectRules,
) -> bool {
    let n = px.len() as f64;
    // A stray hair is a thin dark line: its mean width (area per length, the length at least twice the
    // farthest pixel's distance from the centroid) is below any lesion's, and it is many widths long.
    // A round lesion's is ~1.6 radii, at most about as long as wide.
    let far = px
        .iter()
        .map(|&i| {
            let (x, y) = ((i as usize % w) as f64, (i as usize / w) as f64);
            (x - sx / n).powi(2) + (y - sy / n).powi(2)
        })
        .fold(0.0f64, f64::max)
        .sqrt()
        + 0.5;
    let width = n / (2.0 * far);
    width < line_width && 2.0 * far >= rules.line_min_elongation * width
}

#[cfg(test)]
mod tests {
    use super::first_useful_scale;

    #[test]
    fn the_first_useful_scale_is_the_first_that_can_interpolate_up_to_the_soft_minimum() {
        let step = std::f64::consts::SQRT_2;
        // The radii of a 640 px photo without a scale: 2, 2.83, 4, … (min_radius_px 2, scale_step √2).
        let rs: Vec<f64> = (0..11).map(|k| 2.0 * step.powi(k)).collect();
        // 8 px reaches 8 · 2^(1/4) = 9.51 at most, below 10; 11.3 px reaches 13.5.
        assert_eq!(first_useful_scale(&rs, 10.0, step), 5);
        // A scale whose half-step reach lands exactly on the minimum is kept.
        assert_eq!(first_useful_scale(&rs, 8.0 * step.sqrt(), step), 4);
        assert_eq!(first_useful_scale(&rs, 0.0, step), 0);
        assert_eq!(first_useful_scale(&rs, 1e6, step), rs.len());
        assert_eq!(first_useful_scale(&[], 10.0, step), 0);
    }
}
