//! Pair relief: how much shading relief the scars show in each photo, measured on the registered pair at the
//! same skin places, each photo in its own pixel frame.
//!
//! Why this measure and not the single-photo depth proxies: between two photos of one scene the detector finds
//! different regions and the depth proxy moves with the light (measured ±25–60 %, see [`super::changes`]).
//! With the photos registered, both can be read at exactly the same places:
//! - **Odd contrast.** For each pixel pair `c ± u` in a disc around a place `c`, `q = (Y₊ − Y₋) / (Y₊ + Y₋)`
//!   on linear-light luminance `Y`. Shading of a radially symmetric pit or bump is odd under point reflection
//!   (the lit and the shadowed wall swap, domain.md §4) while its colour is even, so the mean `q²` keeps
//!   relief and drops colour; its disc average does not depend on the light azimuth. Working in linear light
//!   and dividing by the local `Y₊ + Y₋` (rather than by a background level) cancels the albedo, the exposure,
//!   the vignetting and the cavity darkening of the pit floor, which otherwise shrink the contrast of a pit
//!   as it gets deeper and darker.
//! - **Floor.** Skin texture (mottling, pores, sensor noise) has odd contrast too. Its level at each disc
//!   radius is the median over a grid of places in that photo; it is subtracted from every reading, so a
//!   shallow scar near the texture level does not pull its ratio towards 1.
//! - **Places** are found on the pair itself, independent of what the single-photo analysis detected: local
//!   maxima of the floor-subtracted odd energy over a grid of places and disc radii, in the before photo *or*
//!   the after photo (mapped into the before frame), so a scar that faded below detection after treatment is
//!   still measured where it was, and one that deepened is measured where it now shows.
//! - **Pair statistic.** The per-place amplitude ratio after/before; the pair's ratio is their median weighted
//!   by each place's larger amplitude (the scars' places, well above the texture, outweigh faint places near
//!   the texture level whose ratio is mostly noise and sits near 1). A median still keeps a few misread
//!   places (a hair, a glare spot) from deciding a verdict, but with weights one place decides alone when its
//!   amplitude is more than all the others' together, and a strong misread place counts more than a faint
//!   one. Measured on 90 rendered pairs of scenes 300–329 (× 0.5 / 1 / 1.5, the
//!   verdict line at ±20 %), the weights raise the right calls from 75 to 81 and narrow the repeat-photo
//!   spread (95th percentile +19.5 % → +16.8 %).
//!
//! Each photo is read in its own frame (places mapped, radii scaled by the registration scale), so the after
//! photo is never resampled: interpolation would blur it and bias every ratio down.
//!
//! What this cannot cancel: the light's elevation. For small slopes the odd contrast scales with
//! `slope × cot(elevation)`, so between photos lit from 5° higher or lower the ratio moves by up to
//! ~±15–25 %; that is part of the measured repeat-photo noise the verdict thresholds are set from.
//! Reading the elevation change from the pores' shading (the anisotropy of their structure tensor; an
//! experiment kept with its measuring test in `tests/support/light_factor.rs`, run by
//! `cargo test --release --test compare_light_factor -- --nocapture`) was measured and does not track it
//! well enough to divide out, so the ratio is not corrected. Instead the verdict asks the scars' floor
//! darkening ([`super::darkening`]), which follows depth but hardly the light's elevation, to confirm the
//! ratio's direction wherever the floors are visibly dark.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::geometry::Affine;
use super::gray::{fit, Gray};

/// A place to measure: centre and disc radius in before-frame px.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    /// Centre `[x, y]`, before-frame px.
    pub center: [f64; 2],
    /// Radius of the measuring disc, px.
    pub radius: f64,
}

/// Tunables of the pair relief measure (`[compare.relief]` in the profile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliefParams {
    /// Longest side of the working images, px: larger photos are averaged down first (the places are
    /// scar-sized, so a 12 MP photo loses nothing at ~1000 px and costs 1/12 of the time).
    pub max_side_px: usize,
    /// Smoothing of the linear luminance before reading contrasts, working px (keeps sensor noise and single
    /// pores out of the odd contrast).
    pub smooth_px: f64,
    /// Smallest disc radius searched, working px.
    pub min_radius_px: f64,
    /// Largest disc radius searched, as a fraction of the working image's shorter side.
    pub max_radius_fraction: f64,
    /// Ratio between successive disc radii.
    pub radius_step: f64,
    /// Grid spacing of the search, as a fraction of the disc radius.
    pub grid_fraction: f64,
    /// A place must exceed the texture floor by this many robust deviations of the texture's odd energy.
    pub min_z: f64,
    /// A requested spot (a region's place) is read when it exceeds the floor by this share of the floor in
    /// either photo.
    pub min_spot_z: f64,
    /// A place suppresses weaker ones closer than this × the larger radius.
    pub nms_factor: f64,
    /// Most places measured (strongest first).
    pub max_places: usize,
    /// Readings below this share of the floor are clipped to it, so a place that vanished in one photo gives
    /// a large but finite ratio.
    pub floor_clip: f64,
}

impl Default for ReliefParams {
    fn default() -> Self {
        crate::profile::Profile::builtin().compare.relief
    }
}

/// One measured place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceReading {
    /// Where, before frame.
    pub spot: Spot,
    /// Odd-contrast amplitude above the texture floor in the before photo.
    pub before: f64,
    /// The same in the after photo.
    pub after: f64,
}

/// Relief measured on both photos.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliefMeasure {
    /// Pair-level index of the before photo: the geometric mean amplitude over the places.
    pub before: f64,
    /// Pair-level index of the after photo: `before` × the weighted median per-place ratio.
    pub after: f64,
    /// Per-place after/before amplitude ratio, its median weighted by each place's larger amplitude; `None`
    /// when no place stands out of the texture.
    pub ratio: Option<f64>,
    /// The places the ratio was read at: the requested spots that stand out of the texture, else the places
    /// found on the pair.
    pub places: Vec<PlaceReading>,
    /// Per requested spot (e.g. a matched region), the after/before amplitude ratio; `None` where it could
    /// not be read or the spot is flat in both photos.
    pub spot_ratio: Vec<Option<f64>>,
}

/// Linear-light luminance (sRGB decoded, Rec. 709 weights): shading multiplies linear light, not sRGB values.
pub fn linear_luma(rgb: &RgbImage) -> Gray {
    let lut: Vec<f32> = (0..256)
        .map(|v| {
            let c = v as f64 / 255.0;
            let l = if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
            l as f32
        })
        .collect();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let data = rgb
        .pixels()
        .map(|p| {
            0.2126 * lut[p[0] as usize] + 0.7152 * lut[p[1] as usize] + 0.0722 * lut[p[2] as usize]
        })
        .collect();
    Gray { w, h, data }
}

/// One photo prepared for reading: smoothed linear luminance at working resolution, and the map from
/// before-frame px to its working px. Built once per photo and shared by the pair measures.
pub struct Frame {
    /// Smoothed linear-light luminance at working resolution.
    pub y: Gray,
    /// Before-frame px → this photo's working px.
    pub to_work: Affine,
    /// Working px per before px (the disc radius factor).
    pub scale: f64,
}

/// A photo's linear luminance averaged down to a longest side of `max_side` px (never enlarged), and the map
/// from before-frame px to its px (`before_to_own` maps before px to the photo's own px).
pub fn working_luma(rgb: &RgbImage, before_to_own: &Affine, max_side: usize) -> (Gray, Affine) {
    let y = linear_luma(rgb);
    let (nw, nh, k) = fit(y.w, y.h, max_side.max(16));
    let y = if k < 1.0 { y.resize(nw, nh) } else { y };
    // `Gray::resize` puts output pixel centre i at input (i + 0.5) / k − 0.5.
    let own_to_work = Affine::axis(k, 0.5 * k - 0.5, k, 0.5 * k - 0.5);
    (y, own_to_work.after(before_to_own))
}

impl Frame {
    /// Prepares `rgb` (whose own px are `before_to_own` of before px) at the working size and smoothing of `p`.
    pub fn new(rgb: &RgbImage, before_to_own: &Affine, p: &ReliefParams) -> Frame {
        let (y, to_work) = working_luma(rgb, before_to_own, p.max_side_px);
        let scale = to_work.scale();
        Frame {
            y: y.blur(p.smooth_px),
            to_work,
            scale,
        }
    }

    /// Mean `q²` over the disc at before-frame `center`, radius `radius` (before px); `None` when more than a
    /// quarter of the disc falls outside the photo.
    fn odd_energy(&self, center: [f64; 2], radius: f64) -> Option<f64> {
        let (cx, cy) = self.to_work.apply(center[0], center[1]);
        odd_energy_at(&self.y, cx, cy, radius * self.scale)
    }
}

/// Mean of `f` over the point pairs `c ± u` of a disc of radius `r` around `(cx, cy)` in a `w`×`h` working
/// image (half the disc suffices: the pair (u, −u) is the same pair as (−u, u)). `f(x1, y1, x2, y2)` gives
/// `None` for a pair it cannot read; `None` overall when nothing was read or more than a quarter of the pairs
/// fell outside the image or could not be read.
fn mean_over_pairs(
    (cx, cy): (f64, f64),
    r: f64,
    (w, h): (usize, usize),
    mut f: impl FnMut(i64, i64, i64, i64) -> Option<f64>,
) -> Option<f64> {
    let r = r.max(1.5);
    let ri = r.ceil() as i64;
    let (cx, cy) = (cx.round() as i64, cy.round() as i64);
    let (w, h) = (w as i64, h as i64);
    let mut sum = 0.0f64;
    let mut n = 0usize;
    let mut outside = 0usize;
    for dy in 0..=ri {
        for dx in -ri..=ri {
            if (dy == 0 && dx <= 0) || (dx * dx + dy * dy) as f64 > r * r {
                continue;
            }
            let (x1, y1, x2, y2) = (cx + dx, cy + dy, cx - dx, cy - dy);
            if x1 < 0 || y1 < 0 || x2 < 0 || y2 < 0 || x1 >= w || y1 >= h || x2 >= w || y2 >= h {
                outside += 1;
                continue;
            }
            match f(x1, y1, x2, y2) {
                Some(v) => {
                    sum += v;
                    n += 1;
                }
                None => outside += 1,
            }
        }
    }
    if n == 0 || outside * 4 > n {
        return None;
    }
    Some(sum / n as f64)
}

/// Odd contrast `(a − b) / (a + b)` of a point pair's linear luminances.
fn odd(a: f64, b: f64) -> f64 {
    (a - b) / (a + b + 1e-4)
}

/// Mean odd contrast `q²` in a disc of radius `r` around `(cx, cy)` (working px).
fn odd_energy_at(y: &Gray, cx: f64, cy: f64, r: f64) -> Option<f64> {
    if !(cx.is_finite() && cy.is_finite() && r.is_finite()) {
        return None;
    }
    let w = y.w as i64;
    mean_over_pairs((cx, cy), r, (y.w, y.h), |x1, y1, x2, y2| {
        let q = odd(
            y.data[(y1 * w + x1) as usize] as f64,
            y.data[(y2 * w + x2) as usize] as f64,
        );
        Some(q * q)
    })
}

/// Mean squared *difference* of the two photos' odd contrasts over a before-frame disc: `(q_a − q_b)²`,
/// with the after photo sampled (bilinearly) where the before pixels map to. The skin's colour is the same
/// in both photos at the same place, so its odd part cancels here; what remains is shading that differs
/// between the photos (relief under a new light, or relief that changed) plus noise.
fn odd_difference(
    b: &Frame,
    a: &Frame,
    b_to_a: &Affine,
    center: [f64; 2],
    radius: f64,
) -> Option<f64> {
    let c = b.to_work.apply(center[0], center[1]);
    let w = b.y.w as i64;
    mean_over_pairs(c, radius * b.scale, (b.y.w, b.y.h), |x1, y1, x2, y2| {
        let (p1, p2) = (
            b_to_a.apply(x1 as f64, y1 as f64),
            b_to_a.apply(x2 as f64, y2 as f64),
        );
        let (a1, a2) = (a.y.sample(p1.0, p1.1)?, a.y.sample(p2.0, p2.1)?);
        let qb = odd(
            b.y.data[(y1 * w + x1) as usize] as f64,
            b.y.data[(y2 * w + x2) as usize] as f64,
        );
        let qa = odd(a1 as f64, a2 as f64);
        Some((qa - qb) * (qa - qb))
    })
}

/// Median and robust deviation (1.4826 × MAD) of a sample.
fn median_mad(v: &mut [f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v[v.len() / 2];
    let mut d: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    d.sort_by(f64::total_cmp);
    Some((m, 1.4826 * d[d.len() / 2]))
}

/// Odd energy over a grid of before-frame places at one radius, in both photos.
struct Level {
    radius: f64,
    nx: usize,
    ny: usize,
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Per grid place: (before energy, after energy, difference energy); `None` where either photo cannot
    /// be read.
    e: Vec<Option<(f64, f64, f64)>>,
    floor: (f64, f64),
    /// Texture floor of the difference energy.
    floor_d: f64,
    /// Robust spread of the difference energy over the grid.
    spread_d: f64,
    spread: (f64, f64),
}

fn level(
    b: &Frame,
    a: &Frame,
    b_to_a: &Affine,
    (w, h): (usize, usize),
    radius: f64,
    p: &ReliefParams,
) -> Option<Level> {
    let step = (p.grid_fraction * radius).max(1.0);
    let xs: Vec<f64> = (0..)
        .map(|i| radius + i as f64 * step)
        .take_while(|x| *x <= w as f64 - 1.0 - radius)
        .collect();
    let ys: Vec<f64> = (0..)
        .map(|i| radius + i as f64 * step)
        .take_while(|y| *y <= h as f64 - 1.0 - radius)
        .collect();
    if xs.len() < 3 || ys.len() < 3 {
        return None;
    }
    let mut e = Vec::with_capacity(xs.len() * ys.len());
    for &y in &ys {
        for &x in &xs {
            e.push(
                match (
                    b.odd_energy([x, y], radius),
                    a.odd_energy([x, y], radius),
                    odd_difference(b, a, b_to_a, [x, y], radius),
                ) {
                    (Some(eb), Some(ea), Some(ed)) => Some((eb, ea, ed)),
                    _ => None,
                },
            );
        }
    }
    let mut vb: Vec<f64> = e.iter().flatten().map(|v| v.0).collect();
    let mut va: Vec<f64> = e.iter().flatten().map(|v| v.1).collect();
    let mut vd: Vec<f64> = e.iter().flatten().map(|v| v.2).collect();
    // The texture floor needs enough shared places to be a floor rather than a lesion's level.
    if vb.len() < 9 {
        return None;
    }
    let (fb, _) = median_mad(&mut vb)?;
    let (fa, _) = median_mad(&mut va)?;
    let (fd, sd) = median_mad(&mut vd)?;
    Some(Level {
        radius,
        nx: xs.len(),
        ny: ys.len(),
        xs,
        ys,
        e,
        floor: (fb, fa),
        floor_d: fd.max(1e-12),
        spread_d: sd.max(1e-12),
        // The reference a reading is judged against is the floor itself, not its spread: the spread of a
        // large disc's texture energy is tiny, so z-scores would rank any big disc that merely contains a
        // lesion off-centre above the lesion's own disc.
        spread: (fb.max(1e-12), fa.max(1e-12)),
    })
}

/// Score of a grid place from its level and its (before, after, difference) energies.
type PlaceScore = dyn Fn(&Level, (f64, f64, f64)) -> f64;

/// A grid place kept as a candidate.
struct Cand {
    z: f64,
    spot: Spot,
    eb: f64,
    ea: f64,
    floor: (f64, f64),
}

/// Grid local maxima of `score` (at least `min_score`) that stand out of the texture in one photo, strongest
/// first, thinned so that one lesion gives one place.
fn find_places(
    levels: &[Level],
    p: &ReliefParams,
    score: &PlaceScore,
    min_score: f64,
) -> Vec<Cand> {
    let mut cands: Vec<Cand> = Vec::new();
    for lv in levels {
        let z = |i: usize| -> f64 { lv.e[i].map_or(f64::NEG_INFINITY, |e| score(lv, e)) };
        for j in 0..lv.ny {
            for i in 0..lv.nx {
                let k = j * lv.nx + i;
                let zk = z(k);
                if zk < min_score {
                    continue;
                }
                let mut is_max = true;
                for dj in -1i64..=1 {
                    for di in -1i64..=1 {
                        let (ii, jj) = (i as i64 + di, j as i64 + dj);
                        if (di == 0 && dj == 0)
                            || ii < 0
                            || jj < 0
                            || ii >= lv.nx as i64
                            || jj >= lv.ny as i64
                        {
                            continue;
                        }
                        let zn = z(jj as usize * lv.nx + ii as usize);
                        // Ties go to the earlier place so a plateau gives one maximum.
                        if zn > zk || (zn == zk && (jj, ii) < (j as i64, i as i64)) {
                            is_max = false;
                        }
                    }
                }
                // The place must also stand out of the texture in one of the photos (not just differ by
                // noise), or its ratio is one of two floors.
                let Some((eb, ea, _)) = lv.e[k] else {
                    continue;
                };
                let stands_out = ((eb - lv.floor.0) / lv.floor.0.max(1e-12))
                    .max((ea - lv.floor.1) / lv.floor.1.max(1e-12))
                    >= p.min_spot_z;
                if is_max && stands_out {
                    cands.push(Cand {
                        z: zk,
                        spot: Spot {
                            center: [lv.xs[i], lv.ys[j]],
                            radius: lv.radius,
                        },
                        eb,
                        ea,
                        floor: lv.floor,
                    });
                }
            }
        }
    }
    // Strongest first; a place suppresses weaker ones whose centre lies within `nms_factor` × the larger of
    // the two radii (the same lesion seen at another radius, grid offset or on one of its walls).
    cands.sort_by(|x, y| {
        y.z.total_cmp(&x.z)
            .then(x.spot.radius.total_cmp(&y.spot.radius))
            .then(x.spot.center[1].total_cmp(&y.spot.center[1]))
            .then(x.spot.center[0].total_cmp(&y.spot.center[0]))
    });
    let mut kept: Vec<Cand> = Vec::new();
    for c in cands {
        if kept.len() >= p.max_places {
            break;
        }
        let clash = kept.iter().any(|k| {
            let d = ((k.spot.center[0] - c.spot.center[0]).powi(2)
                + (k.spot.center[1] - c.spot.center[1]).powi(2))
            .sqrt();
            d < p.nms_factor * k.spot.radius.max(c.spot.radius)
        });
        if !clash {
            kept.push(c);
        }
    }
    kept
}

/// Amplitude above the floor, clipped at `clip × floor` so it never reaches zero.
fn amplitude(e: f64, floor: f64, clip: f64) -> f64 {
    (e - floor).max(clip * floor).max(1e-12).sqrt()
}

/// Measures the relief of the pair: finds the places on the pair and reads both photos there, plus at the
/// requested `spots` (before frame). `map` takes before px to after px.
pub fn measure(
    before: &RgbImage,
    after: &RgbImage,
    map: &Affine,
    spots: &[Spot],
    p: &ReliefParams,
) -> ReliefMeasure {
    let fb = Frame::new(before, &Affine::IDENTITY, p);
    let fa = Frame::new(after, map, p);
    measure_frames(&fb, &fa, before.dimensions(), after.dimensions(), spots, p)
}

/// [`measure`] on photos already prepared as [`Frame`]s (`fb` with the identity, `fa` with the before → after
/// map), whose full sizes are `before_size` and `after_size` px.
pub fn measure_frames(
    fb: &Frame,
    fa: &Frame,
    before_size: (u32, u32),
    after_size: (u32, u32),
    spots: &[Spot],
    p: &ReliefParams,
) -> ReliefMeasure {
    let empty = |n: usize| ReliefMeasure {
        before: 0.0,
        after: 0.0,
        ratio: None,
        places: Vec::new(),
        spot_ratio: vec![None; n],
    };
    let (w, h) = (before_size.0 as usize, before_size.1 as usize);
    if w < 8 || h < 8 || after_size.0 < 8 || after_size.1 < 8 {
        return empty(spots.len());
    }
    let Some(b_to_a) = fb.to_work.inverse().map(|inv| fa.to_work.after(&inv)) else {
        return empty(spots.len());
    };
    // Radii in before px: the search is defined in working px of the before photo.
    let to_before = 1.0 / fb.scale.max(1e-9);
    let short_work = fb.y.w.min(fb.y.h) as f64;
    let mut radii = Vec::new();
    let mut r = p.min_radius_px.max(1.5);
    let step = p.radius_step.max(1.05);
    while r <= p.max_radius_fraction * short_work && radii.len() < 32 {
        radii.push(r * to_before);
        r *= step;
    }
    let levels: Vec<Level> = radii
        .iter()
        .filter_map(|&r| level(fb, fa, &b_to_a, (w, h), r, p))
        .collect();

    // Places are where the two photos' odd contrasts *differ*: a lesion's colour (or a mole's, or a hair's)
    // is the same in both and would otherwise rank first while carrying no relief at all.
    let mut kept = find_places(
        &levels,
        p,
        &|lv, (_, _, ed)| (ed - lv.floor_d) / lv.spread_d,
        p.min_z,
    );
    // When no place differs beyond the texture, the relief did not change measurably: read the places that
    // stand out in either photo instead, so the pair still gets a ratio (near 1) rather than none.
    if kept.is_empty() {
        kept = find_places(
            &levels,
            p,
            &|lv, (eb, ea, _)| {
                ((eb - lv.floor.0) / lv.floor.0.max(1e-12))
                    .max((ea - lv.floor.1) / lv.floor.1.max(1e-12))
            },
            p.min_spot_z,
        );
    }
    let places: Vec<PlaceReading> = kept
        .iter()
        .map(|c| PlaceReading {
            spot: c.spot,
            before: amplitude(c.eb, c.floor.0, p.floor_clip),
            after: amplitude(c.ea, c.floor.1, p.floor_clip),
        })
        .collect();
    // Requested spots (the regions either analysis found): read at the nearest searched radius' floor.
    let spot_readings: Vec<Option<PlaceReading>> = spots
        .iter()
        .map(|s| {
            let lv = levels.iter().min_by(|x, y| {
                (x.radius / s.radius)
                    .ln()
                    .abs()
                    .total_cmp(&(y.radius / s.radius).ln().abs())
            })?;
            let eb = fb.odd_energy(s.center, s.radius)?;
            let ea = fa.odd_energy(s.center, s.radius)?;
            let zb = (eb - lv.floor.0) / lv.spread.0;
            let za = (ea - lv.floor.1) / lv.spread.1;
            // A spot at the texture level in both photos has no ratio worth reading.
            if zb.max(za) < p.min_spot_z {
                return None;
            }
            Some(PlaceReading {
                spot: *s,
                before: amplitude(eb, lv.floor.0, p.floor_clip),
                after: amplitude(ea, lv.floor.1, p.floor_clip),
            })
        })
        .collect();
    let spot_ratio: Vec<Option<f64>> = spot_readings
        .iter()
        .map(|r| r.map(|r| r.after / r.before))
        .collect();
    // The places found on the pair when there are any; the regions' places only when none stood out.
    // Measured on 90 rendered pairs (scenes 300–329, × 0.5 / 1 / 1.5, `tests/compare_noise.rs`) the
    // found places order the factors better than the regions the single-photo analyses detected, which
    // include flat marks and texture and miss most rolling scars.
    let used: Vec<PlaceReading> = if places.is_empty() {
        spot_readings.iter().flatten().copied().collect()
    } else {
        places
    };
    let mut logs: Vec<(f64, f64)> = used
        .iter()
        .map(|r| ((r.after / r.before).ln(), r.after.max(r.before)))
        .collect();
    let ratio = weighted_median(&mut logs).map(f64::exp);
    let before_index = if used.is_empty() {
        0.0
    } else {
        (used.iter().map(|r| r.before.ln()).sum::<f64>() / used.len() as f64).exp()
    };
    ReliefMeasure {
        before: before_index,
        after: ratio.map_or(0.0, |r| before_index * r),
        ratio,
        places: used,
        spot_ratio,
    }
}

/// Weighted median of `(value, weight)` pairs: the value at which the cumulative weight reaches half the
/// total (the mean of the two values around it when it lands on half within rounding, so equal weights give
/// the ordinary median). Pairs with a non-finite value or a weight that is not positive or not finite are
/// dropped. The result does not depend on the input order: ties in value are sorted by weight.
fn weighted_median(v: &mut Vec<(f64, f64)>) -> Option<f64> {
    v.retain(|x| x.0.is_finite() && x.1.is_finite() && x.1 > 0.0);
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let half = 0.5 * v.iter().map(|x| x.1).sum::<f64>();
    let mut acc = 0.0;
    for (i, x) in v.iter().enumerate() {
        acc += x.1;
        if (acc - half).abs() <= 1e-12 * half {
            return Some(v.get(i + 1).map_or(x.0, |n| 0.5 * (x.0 + n.0)));
        }
        if acc > half {
            return Some(x.0);
        }
    }
    v.last().map(|x| x.0)
}

#[cfg(test)]
mod tests {
    use super::weighted_median;

    #[test]
    fn weighted_median_follows_the_weights_and_reduces_to_the_median() {
        // Equal weights: the ordinary median, the mean of the middle two when the count is even.
        assert_eq!(
            weighted_median(&mut vec![(3.0, 1.0), (1.0, 1.0), (2.0, 1.0)]),
            Some(2.0)
        );
        assert_eq!(
            weighted_median(&mut vec![(4.0, 1.0), (1.0, 1.0), (2.0, 1.0), (3.0, 1.0)]),
            Some(2.5)
        );
        // Three faint places near 0 are outweighed by two strong ones at 0.4 and 0.5.
        let mut v = vec![
            (0.0, 0.02),
            (0.01, 0.02),
            (-0.01, 0.02),
            (0.4, 0.3),
            (0.5, 0.25),
        ];
        assert_eq!(weighted_median(&mut v), Some(0.4));
        // Non-finite values and non-positive weights are dropped; nothing left gives None.
        assert_eq!(
            weighted_median(&mut vec![(f64::NAN, 1.0), (1.0, 0.0)]),
            None
        );
    }

    #[test]
    fn weighted_median_edge_cases() {
        // A single element is its own median, whatever its weight.
        assert_eq!(weighted_median(&mut vec![(-0.3, 1e-6)]), Some(-0.3));
        // Ties in value: the tied value, however the weight is split among the copies.
        assert_eq!(
            weighted_median(&mut vec![(0.2, 0.1), (0.2, 0.5), (-1.0, 0.3), (0.2, 0.05)]),
            Some(0.2)
        );
        // Cumulative weight exactly on half with unequal weights: the mean of the two values around it.
        assert_eq!(
            weighted_median(&mut vec![(1.0, 0.25), (0.0, 0.75), (3.0, 0.5), (2.0, 0.5)]),
            Some(1.5)
        );
        // Equal non-unit weights whose running sum is not exact in binary still give the ordinary median.
        let mut six: Vec<(f64, f64)> = (0..6).map(|i| (i as f64, 0.1)).collect();
        assert_eq!(weighted_median(&mut six), Some(2.5));
        // One place heavier than all the others together decides alone.
        assert_eq!(
            weighted_median(&mut vec![(0.0, 1.0), (0.1, 1.0), (5.0, 2.5)]),
            Some(5.0)
        );
        // Infinite values and weights are dropped like NaN; the rest still gives a median.
        assert_eq!(
            weighted_median(&mut vec![
                (f64::INFINITY, 1.0),
                (f64::NEG_INFINITY, 1.0),
                (7.0, f64::INFINITY),
                (0.5, f64::NAN),
                (0.25, 1.0),
                (0.5, -1.0),
            ]),
            Some(0.25)
        );
        assert_eq!(weighted_median(&mut Vec::new()), None);
        // Deterministic: every ordering of the same pairs gives the same bits.
        let base = [
            (0.3, 0.2),
            (-0.1, 0.2),
            (0.3, 0.1),
            (0.05, 0.4),
            (-0.1, 0.1),
        ];
        let want = weighted_median(&mut base.to_vec()).map(f64::to_bits);
        for k in 0..base.len() {
            let mut v = base.to_vec();
            v.rotate_left(k);
            assert_eq!(weighted_median(&mut v.clone()).map(f64::to_bits), want);
            v.reverse();
            assert_eq!(weighted_median(&mut v).map(f64::to_bits), want);
        }
    }
}
