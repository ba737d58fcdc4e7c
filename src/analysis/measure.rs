//! Measure stage: size, shape, relief, wall profile, colour and gloss of each candidate.
//!
//! - Radius: refined from the radial distribution of the local contrast (|flattened luminance| + weighted |a*|
//!   residual above the far ring's level): the radius holding a fixed share of it, so V, U and M shapes all
//!   get their rim; the factor that turns it into the footprint radius is calibrated on rendered lesions.
//! - Relief (domain.md §4): the luminance residual inside the region is split, by reflecting across the line
//!   through the centre perpendicular to the light, into an antisymmetric part (shading of relief) and a
//!   symmetric part (albedo/colour). The first moment along the light direction gives the sign: negative
//!   (dark near the light, bright far) = depressed, positive = raised. Its amplitude divided by the pores' own
//!   shading amplitude in the same photo is the depth proxy, so it stays comparable between photos under
//!   different light.
//! - Wall profile: the share of antisymmetric energy in the rim annulus (U: crisp rim, flat floor), the
//!   darkness of the centre (V: darkest at centre), and size (M: wide and soft).
//! - Colour against a surrounding ring in CIELAB (ΔL*, Δa*, Δb*, ΔE) and in shading-invariant log
//!   chromaticity (shading scales R, G, B alike; melanin and haemoglobin do not).

use crate::detect::Candidate;
use crate::light::LightEstimate;
use crate::prepare::{Plane, Prepared};
use crate::profile::MeasureRules;

/// Everything measured about one region, in working px unless said otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Centre x (working px).
    pub x: f64,
    /// Centre y (working px).
    pub y: f64,
    /// Refined radius (working px).
    pub radius: f64,
    /// Radius from the detection scale (working px).
    pub scale_radius: f64,
    /// Detection z-score.
    pub z: f64,
    /// Area of the disc, working px².
    pub area: f64,
    /// Diameter in mm when the scale is known.
    pub diameter_mm: Option<f64>,
    /// Eccentricity of the contrast distribution (0 round, -> 1 elongated).
    pub eccentricity: f64,
    /// Area of the contrast region over the area of its circumscribed circle (1 = disc).
    pub circularity: f64,
    /// Box [x0, y0, x1, y1] (working px, end-exclusive) of the measured disc widened to the contrast region, in the image.
    pub bbox: [f64; 4],
    /// Antisymmetric share of the shading energy (0..1).
    pub antisymmetry: f64,
    /// Signed shading amplitude along the light (log units; negative = dark near the light = depressed).
    pub relief_amplitude: f64,
    /// Relief amplitude divided by the pores' shading amplitude (unitless).
    pub depth_proxy: f64,
    /// Share of the antisymmetric energy in the rim annulus.
    pub rim_fraction: f64,
    /// Symmetric residual at the centre (log units; negative = dark centre).
    pub centre_level: f64,
    /// Mean symmetric residual over the region (log units; negative = darker than around).
    pub mean_level: f64,
    /// ΔL* lesion minus ring.
    pub delta_l: f64,
    /// Δa* lesion minus ring.
    pub delta_a: f64,
    /// Δb* lesion minus ring.
    pub delta_b: f64,
    /// ΔE*ab lesion vs ring.
    pub delta_e: f64,
    /// Δ ln(R/G) lesion minus ring (shading-invariant).
    pub delta_rg: f64,
    /// Δ ln(G/B) lesion minus ring (shading-invariant; melanin raises it).
    pub delta_gb: f64,
    /// Δa* of the halo annulus just outside the lesion minus the ring.
    pub halo_a: f64,
    /// ΔL* of the centre minus the rest of the lesion (pustule head > 0).
    pub head_delta_l: f64,
    /// Δb* of the centre minus the rest of the lesion.
    pub head_delta_b: f64,
    /// Share of the lesion that is specular highlight.
    pub gloss: f64,
    /// Whether the lesion's extent was segmented (true) or inferred from a blob's scale (false).
    pub segmented: bool,
    /// The depression pass's signed along-light response (robust deviations), when it found the region.
    pub depression_z: Option<f64>,
    /// Footprint radius of a bowl found by the depression pass, from its walls' shading pair (working px);
    /// the reported size. `radius` stays the pass's scale, which the statistics use.
    pub bowl_radius: Option<f64>,
}

/// Precomputed planes shared by all regions of one image.
pub struct MeasureContext<'a> {
    p: &'a Prepared,
    smooth: Plane,
    /// ln(R/G) and ln(G/B) on skin, 0 off it.
    logchrom: [Plane; 2],
    chroma: Plane,
}

impl<'a> MeasureContext<'a> {
    /// Builds the shared planes.
    pub fn new(p: &'a Prepared) -> Self {
        let smooth = crate::prepare::gaussian_blur(&p.resid, 0.7);
        let n = p.w * p.h;
        // Collected instead of three zero-filled planes overwritten after (no memset, no bounds checks, no
        // per-push capacity checks); the same logf calls on the same values. Only the skin's: the colour
        // statistics read them on skin only (`Around::each_skin`), and a fifth of the px of the 40 photos of
        // 640 px are off it (logf here ~2 % of their analysis).
        let log_ratio = |a: &Plane, b: &Plane| -> Vec<f32> {
            (a.data[..n].iter().zip(&b.data[..n]).zip(&p.mask[..n]))
                .map(|((&x, &y), &m)| {
                    if m {
                        ((x + 1e-3) / (y + 1e-3)).ln()
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let (rg, gb) = (
            log_ratio(&p.rgb[0], &p.rgb[1]),
            log_ratio(&p.rgb[1], &p.rgb[2]),
        );
        // Without a call in the loop, this one vectorises.
        let chroma = (p.lab[1].data.iter().zip(&p.lab[2].data))
            .map(|(&a, &b)| (a.powi(2) + b.powi(2)).sqrt())
            .collect();
        let plane = |data| Plane {
            w: p.w,
            h: p.h,
            data,
        };
        MeasureContext {
            p,
            smooth,
            logchrom: [plane(rg), plane(gb)],
            chroma: plane(chroma),
        }
    }
}

/// Footprint radius of a bowl from its shading pair: the flattened luminance along the light through the
/// centre (averaged over a strip half a radius wide, smoothed) is darkest on the wall near the light and
/// brightest on the far wall; their distance, per [`MeasureRules::bowl_extremes_per_radius`], is the radius.
/// Kept within 0.75-2 detection radii (`r0`); `None` without a light direction or a clear pair.
fn bowl_radius(
    p: &Prepared,
    cx: f64,
    cy: f64,
    r0: f64,
    toward: [f64; 2],
    rules: &MeasureRules,
) -> Option<f64> {
    let norm = (toward[0] * toward[0] + toward[1] * toward[1]).sqrt();
    if norm <= 0.0 || r0 < 2.0 {
        return None;
    }
    let (ux, uy) = (toward[0] / norm, toward[1] / norm);
    let reach = 2.0 * r0;
    let nb = (2.0 * reach).ceil() as usize + 1;
    let mut bins = vec![Mean::default(); nb];
    each_pixel(p.w as isize, p.h as isize, cx, cy, reach, |x, y, _| {
        let i = y as usize * p.w + x as usize;
        let (dx, dy) = (x as f64 - cx, y as f64 - cy);
        let (t, s) = (dx * ux + dy * uy, dy * ux - dx * uy);
        if p.mask[i] && s.abs() <= 0.5 * r0 {
            let b = (t + reach).round() as usize;
            if b < nb {
                bins[b].add(p.resid.data[i] as f64);
            }
        }
    });
    // Gaussian smoothing of the profile over the bins that hold pixels.
    let sigma = (rules.bowl_profile_smooth * r0).max(0.7);
    let k = (3.0 * sigma).ceil() as isize;
    let prof: Vec<Option<f64>> = (0..nb as isize)
        .map(|b| {
            let (mut sw, mut sv) = (0.0, 0.0);
            for j in (b - k).max(0)..=(b + k).min(nb as isize - 1) {
                let m = &bins[j as usize];
                if m.n > 0.0 {
                    let wgt = (-0.5 * ((j - b) as f64 / sigma).powi(2)).exp();
                    sw += wgt;
                    sv += wgt * m.get();
                }
            }
            (sw > 0.0).then(|| sv / sw)
        })
        .collect();
    let mid = reach.round() as usize;
    // Near wall: towards the light (t > 0), darkest; far wall (t < 0), brightest.
    let dark = (mid..nb)
        .filter_map(|b| prof[b].map(|v| (b, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let bright = (0..=mid)
        .filter_map(|b| prof[b].map(|v| (b, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    if dark.1 >= bright.1 {
        return None;
    }
    let sep = (dark.0 - bright.0) as f64;
    Some((sep / rules.bowl_extremes_per_radius.max(1e-3)).clamp(0.75 * r0, 2.0 * r0))
}

/// Running mean.
#[derive(Default, Clone, Copy)]
struct Mean {
    s: f64,
    n: f64,
}

impl Mean {
    fn add(&mut self, v: f64) {
        self.s += v;
        self.n += 1.0;
    }
    fn get(&self) -> f64 {
        if self.n > 0.0 {
            self.s / self.n
        } else {
            0.0
        }
    }
}

/// Measures one candidate.
pub fn measure(
    ctx: &MeasureContext,
    c: &Candidate,
    light: &LightEstimate,
    relief_light: bool,
    redness_weight: f64,
    rules: &MeasureRules,
) -> Measured {
    let p = ctx.p;
    let (cx, cy, r0) = lesion_centre(ctx, c, light, relief_light, rules);
    let r0 = r0.max(1.0);
    let at = Around { ctx, cx, cy };
    let contrast = Contrast::around(at, r0, redness_weight);
    let profile = RadialProfile::of(at, r0, &contrast);
    let r = region_radius(c, at, r0, &contrast, profile.bgc, rules);
    let colour = ColourStats::of(at, r, rules);
    let (head_delta_l, head_delta_b) = colour.head.head();
    let [delta_l, delta_a, delta_b] = colour.lab_deltas();
    let (relief, moments) = relief_split(at, r, light.toward, &contrast, &colour, rules);
    let relief_amplitude = relief.amplitude(r);
    let region = ContrastRegion::of(at, r, &contrast, profile.half);
    let bowl = if c.depression_z.is_some() && relief_light {
        bowl_radius(p, cx, cy, r0, light.toward, rules)
    } else {
        None
    };
    Measured {
        x: cx,
        y: cy,
        radius: r,
        scale_radius: c.radius,
        z: c.z,
        area: std::f64::consts::PI * r * r,
        diameter_mm: p.px_per_mm.map(|s| 2.0 * r / s),
        eccentricity: moments.eccentricity(),
        circularity: region.circularity(),
        bbox: disc_bbox(at, r, region.bounds()),
        antisymmetry: relief.antisymmetry(),
        relief_amplitude,
        depth_proxy: depth_proxy(relief_amplitude, light),
        rim_fraction: relief.rim_fraction(),
        centre_level: relief.centre.get(),
        mean_level: relief.level.get(),
        delta_l,
        delta_a,
        delta_b,
        delta_e: (delta_l * delta_l + delta_a * delta_a + delta_b * delta_b).sqrt(),
        delta_rg: colour.inner.rg.get() - colour.ring.rg.get(),
        delta_gb: colour.inner.gb.get() - colour.ring.gb.get(),
        halo_a: colour.halo.get() - colour.ring.a.get(),
        head_delta_l,
        head_delta_b,
        gloss: relief.gloss(),
        segmented: c.pixels.is_some(),
        depression_z: c.depression_z,
        bowl_radius: bowl,
    }
}

/// The lesion's centre and detection radius: the candidate's own, or for a segmented lesion under a known
/// light the better of the two readings of [`extent_along_light`].
fn lesion_centre(
    ctx: &MeasureContext,
    c: &Candidate,
    light: &LightEstimate,
    relief_light: bool,
    rules: &MeasureRules,
) -> Centre {
    match (&c.pixels, relief_light) {
        (Some(px), true) if px.len() >= 4 => {
            // Two readings of where the lesion's centre lies along the light (see `extent_along_light`):
            // one radius behind the near edge (a pit whose segment is only its near-wall crescent), or
            // the middle of the segment (a lesion longer across the light than along it, like an elongated
            // keloid, whose far edge the first reading would overshoot). The one whose shading splits best
            // into a bright/dark pair is the lesion's.
            let (a, b) = extent_along_light(px, ctx.p.w, light.toward, c);
            let r = a.2.max(1.0) * rules.segment_radius_calibration;
            if antisymmetry_at(ctx, b.0, b.1, r, light.toward)
                > antisymmetry_at(ctx, a.0, a.1, r, light.toward)
            {
                b
            } else {
                a
            }
        }
        _ => (c.x, c.y, c.radius),
    }
}

/// A lesion's centre in one image: the pixels around it are walked from here.
#[derive(Clone, Copy)]
struct Around<'a> {
    ctx: &'a MeasureContext<'a>,
    cx: f64,
    cy: f64,
}

impl Around<'_> {
    /// Calls `f(x, y, index, distance)` for every skin pixel within `radius` of the centre.
    fn each_skin(&self, radius: f64, mut f: impl FnMut(isize, isize, usize, f64)) {
        let p = self.ctx.p;
        let w = p.w as isize;
        each_pixel(w, p.h as isize, self.cx, self.cy, radius, |x, y, d| {
            let i = (y * w + x) as usize;
            if p.mask[i] {
                f(x, y, i, d);
            }
        });
    }

    /// Mean of `plane` over the skin pixels from `r_in` to `r_out` from the centre.
    fn ring_level(&self, plane: &Plane, r_in: f64, r_out: f64) -> f64 {
        let mut m = Mean::default();
        self.each_skin(r_out, |_, _, i, d| {
            if d >= r_in {
                m.add(plane.data[i] as f64);
            }
        });
        m.get()
    }
}

/// Local contrast of a pixel: |flattened luminance| plus weighted |a* residual|, each above the far ring's
/// level.
struct Contrast<'a> {
    smooth: &'a Plane,
    red: &'a Plane,
    bg_l: f32,
    bg_a: f32,
    rw: f32,
}

impl<'a> Contrast<'a> {
    /// The contrast around a centre, against the ring from 2.2 to 3 detection radii `r0`.
    fn around(at: Around<'a>, r0: f64, redness_weight: f64) -> Self {
        let p = at.ctx.p;
        let rw = redness_weight as f32 * 4.0;
        // Contrast relative to the far ring.
        let bg_l = at.ring_level(&at.ctx.smooth, 2.2 * r0, 3.0 * r0) as f32;
        let bg_a = at.ring_level(&p.red_resid, 2.2 * r0, 3.0 * r0) as f32;
        Contrast {
            smooth: &at.ctx.smooth,
            red: &p.red_resid,
            bg_l,
            bg_a,
            rw,
        }
    }

    /// The contrast of pixel `i`.
    fn at(&self, i: usize) -> f32 {
        (self.smooth.data[i] - self.bg_l).abs() + self.rw * (self.red.data[i] - self.bg_a).abs()
    }
}

/// Number of radial bins (of r0/6, out to 3 r0).
const NB: usize = 18;

/// Bin of the radial profile at distance `d` (bins of `r0`/6).
fn radial_bin(d: f64, r0: f64) -> usize {
    ((d / r0) * 6.0) as usize
}

/// Levels read from the radial contrast profile.
struct RadialProfile {
    /// Background contrast: the mean over the outer bins (13..18, beyond ~2.2 r0).
    bgc: f64,
    /// Halfway from the background to the peak within the first 10 bins.
    half: f64,
}

impl RadialProfile {
    /// The radial profile of the contrast in bins of r0/6 out to 3 r0.
    fn of(at: Around, r0: f64, contrast: &Contrast) -> Self {
        let mut prof = [Mean::default(); NB];
        at.each_skin(3.0 * r0, |_, _, i, d| {
            let b = radial_bin(d, r0);
            if b < NB {
                prof[b].add(contrast.at(i) as f64);
            }
        });
        let pv: Vec<f64> = prof.iter().map(|m| m.get()).collect();
        let bgc = pv[13..NB].iter().sum::<f64>() / (NB - 13) as f64;
        let mut pk = f64::MIN;
        for &v in pv.iter().take(10) {
            if v > pk {
                pk = v;
            }
        }
        let half = bgc + 0.5 * (pk - bgc);
        RadialProfile { bgc, half }
    }
}

/// The radius the statistics use: the segment's, the depression pass's scale, or the contrast share's.
fn region_radius(
    c: &Candidate,
    at: Around,
    r0: f64,
    contrast: &Contrast,
    bgc: f64,
    rules: &MeasureRules,
) -> f64 {
    if c.pixels.is_some() {
        r0 * rules.segment_radius_calibration
    } else if c.depression_z.is_some() {
        // The matched filter's scale stands for the bowl in the statistics below (the contrast share would
        // follow the mottling around a faint bowl outwards); its width is read from its walls.
        r0
    } else {
        energy_radius(at, r0, contrast, bgc, rules)
            .clamp(0.5 * r0, 2.0 * r0)
            .max(1.0)
    }
}

/// Radius holding [`MeasureRules::edge_energy`] of the excess contrast (above `bgc`) out to twice the
/// detection radius, times [`MeasureRules::radius_calibration`]; `r0` when there is no excess.
fn energy_radius(at: Around, r0: f64, contrast: &Contrast, bgc: f64, rules: &MeasureRules) -> f64 {
    // Radius holding a fixed share of the excess contrast out to twice the detection radius: robust to where
    // the contrast sits (a rim for U, the whole floor for V, a soft slope for M).
    let mut excess = [0.0f64; NB];
    at.each_skin(2.0 * r0, |_, _, i, d| {
        let b = radial_bin(d, r0);
        if b < NB {
            excess[b] += (contrast.at(i) as f64 - bgc).max(0.0);
        }
    });
    let total: f64 = excess.iter().take(12).sum();
    let mut radius = r0;
    if total > 0.0 {
        let mut acc = 0.0;
        for (b, &e) in excess.iter().enumerate().take(12) {
            if acc + e >= rules.edge_energy * total {
                let f = if e > 0.0 {
                    (rules.edge_energy * total - acc) / e
                } else {
                    0.5
                };
                radius = (b as f64 + f) * r0 / 6.0 * rules.radius_calibration;
                break;
            }
            acc += e;
        }
    }
    radius
}

/// Running means of L*, a*, b*, ln(R/G) and ln(G/B) over one zone.
#[derive(Default)]
struct ColourMeans {
    l: Mean,
    a: Mean,
    b: Mean,
    rg: Mean,
    gb: Mean,
}

impl ColourMeans {
    /// Adds pixel `i`, whose L*, a*, b* are `lab`.
    fn add(&mut self, ctx: &MeasureContext, i: usize, lab: [f64; 3]) {
        self.l.add(lab[0]);
        self.a.add(lab[1]);
        self.b.add(lab[2]);
        self.rg.add(ctx.logchrom[0].data[i] as f64);
        self.gb.add(ctx.logchrom[1].data[i] as f64);
    }
}

/// The centre's pixels (L*, b*) and the means of the centre and of the annulus around it.
#[derive(Default)]
struct HeadSamples {
    centre_px: Vec<(f64, f64)>,
    l_c: Mean,
    b_c: Mean,
    l_ann: Mean,
    b_ann: Mean,
}

impl HeadSamples {
    /// ΔL* and Δb* of the pustule head against the annulus.
    fn head(&self) -> (f64, f64) {
        // Pustule head (domain.md §1: white-yellow): the brightest fifth of the centre's pixels that are at
        // least as yellow as the lesion around them (a specular highlight is white, not yellow), against that
        // annulus.
        let (la, ba) = (self.l_ann.get(), self.b_ann.get());
        let mut yellow: Vec<(f64, f64)> = self
            .centre_px
            .iter()
            .copied()
            .filter(|&(_, b)| b >= ba)
            .collect();
        if yellow.is_empty() {
            (self.l_c.get() - la, self.b_c.get() - ba)
        } else {
            yellow.sort_by(|x, y| y.0.total_cmp(&x.0));
            let k = yellow.len().div_ceil(5);
            let (sl, sb) = yellow[..k]
                .iter()
                .fold((0.0, 0.0), |acc, v| (acc.0 + v.0, acc.1 + v.1));
            (sl / k as f64 - la, sb / k as f64 - ba)
        }
    }
}

/// Colour and level statistics of a lesion of radius `r` and of the zones around it.
#[derive(Default)]
struct ColourStats {
    /// Within 0.8 r.
    inner: ColourMeans,
    /// From 1.4 r to 2.2 r.
    ring: ColourMeans,
    /// Chroma over the ring.
    ring_chroma: Mean,
    /// Smoothed luminance residual over the ring.
    ring_level: Mean,
    /// a* just outside the lesion, r to 1.4 r.
    halo: Mean,
    /// The centre and its annulus.
    head: HeadSamples,
}

impl ColourStats {
    /// The statistics within 2.2 r of the centre.
    fn of(at: Around, r: f64, rules: &MeasureRules) -> Self {
        let (ctx, p) = (at.ctx, at.ctx.p);
        let mut s = ColourStats::default();
        at.each_skin(2.2 * r, |_, _, i, d| {
            let (l, a, b) = (
                p.lab[0].data[i] as f64,
                p.lab[1].data[i] as f64,
                p.lab[2].data[i] as f64,
            );
            if d <= 0.8 * r {
                s.inner.add(ctx, i, [l, a, b]);
            }
            if d <= rules.centre_fraction * r {
                s.head.l_c.add(l);
                s.head.b_c.add(b);
                s.head.centre_px.push((l, b));
            } else if d >= 0.5 * r && d <= r {
                s.head.l_ann.add(l);
                s.head.b_ann.add(b);
            }
            if d > r && d <= 1.4 * r {
                s.halo.add(a);
            }
            if d >= 1.4 * r {
                s.ring.add(ctx, i, [l, a, b]);
                s.ring_chroma.add(ctx.chroma.data[i] as f64);
                s.ring_level.add(ctx.smooth.data[i] as f64);
            }
        });
        s
    }

    /// ΔL*, Δa*, Δb* of the lesion minus the ring.
    fn lab_deltas(&self) -> [f64; 3] {
        [
            self.inner.l.get() - self.ring.l.get(),
            self.inner.a.get() - self.ring.a.get(),
            self.inner.b.get() - self.ring.b.get(),
        ]
    }
}

/// Sums of the relief split (module docs): antisymmetric and symmetric energy, first moment along the light,
/// levels and the gloss count.
#[derive(Default)]
struct Relief {
    ea: f64,
    es: f64,
    ea_rim: f64,
    m1: f64,
    t2: f64,
    centre: Mean,
    level: Mean,
    gloss_n: usize,
    inner_n: usize,
}

impl Relief {
    /// Antisymmetric share of the shading energy.
    fn antisymmetry(&self) -> f64 {
        if self.ea + self.es > 0.0 {
            self.ea / (self.ea + self.es)
        } else {
            0.0
        }
    }

    /// Signed shading amplitude along the light over radius `r`.
    fn amplitude(&self, r: f64) -> f64 {
        if self.t2 > 0.0 {
            self.m1 / self.t2 * r
        } else {
            0.0
        }
    }

    /// Share of the antisymmetric energy in the rim annulus.
    fn rim_fraction(&self) -> f64 {
        if self.ea > 0.0 {
            self.ea_rim / self.ea
        } else {
            0.0
        }
    }

    /// Share of the lesion's pixels that are specular highlight.
    fn gloss(&self) -> f64 {
        if self.inner_n > 0 {
            self.gloss_n as f64 / self.inner_n as f64
        } else {
            0.0
        }
    }
}

/// Relief amplitude over the pores' own shading amplitude (0 when the pores show none).
fn depth_proxy(relief_amplitude: f64, light: &LightEstimate) -> f64 {
    if light.pore_amplitude > 1e-6 {
        relief_amplitude / light.pore_amplitude
    } else {
        0.0
    }
}

/// The relief split and the contrast-weighted moments within 1.15 r, against the ring's level.
fn relief_split(
    at: Around,
    r: f64,
    u: [f64; 2],
    contrast: &Contrast,
    colour: &ColourStats,
    rules: &MeasureRules,
) -> (Relief, Moments) {
    let smooth = &at.ctx.smooth;
    let chroma = &at.ctx.chroma;
    let bgr = colour.ring_level.get() as f32;
    let (ux, uy) = (u[0] as f32, u[1] as f32);
    let mut s = Relief::default();
    let mut mo = Moments::default();
    let ch_limit = 0.8 * colour.ring_chroma.get() as f32;
    at.each_skin(1.15 * r, |x, y, i, d| {
        let v = smooth.data[i] - bgr;
        let (dx, dy) = ((x as f64 - at.cx) as f32, (y as f64 - at.cy) as f32);
        let t = dx * ux + dy * uy;
        let (mx, my) = (x as f32 - 2.0 * t * ux, y as f32 - 2.0 * t * uy);
        let vm = smooth.bilinear(mx, my) - bgr;
        let anti = 0.5 * (v - vm) as f64;
        let sym = 0.5 * (v + vm) as f64;
        s.ea += anti * anti;
        s.es += sym * sym;
        if d >= rules.rim_start * r {
            s.ea_rim += anti * anti;
        }
        s.m1 += v as f64 * t as f64;
        s.t2 += (t * t) as f64;
        if d <= 0.35 * r {
            s.centre.add(sym);
        }
        if d <= r {
            s.level.add(sym);
            s.inner_n += 1;
            if v > rules.gloss_log as f32 && chroma.data[i] < ch_limit {
                s.gloss_n += 1;
            }
        }
        mo.add(contrast.at(i).max(0.0) as f64, dx, dy);
    });
    (s, mo)
}

/// Contrast-weighted first and second moments of the offsets from the centre.
#[derive(Default)]
struct Moments {
    sxx: f64,
    syy: f64,
    sxy: f64,
    sw: f64,
    mxx: f64,
    myy: f64,
}

impl Moments {
    /// Adds offset (dx, dy) with weight `wgt`.
    fn add(&mut self, wgt: f64, dx: f32, dy: f32) {
        self.sxx += wgt * (dx * dx) as f64;
        self.syy += wgt * (dy * dy) as f64;
        self.sxy += wgt * (dx * dy) as f64;
        self.sw += wgt;
        self.mxx += wgt * dx as f64;
        self.myy += wgt * dy as f64;
    }

    /// Eccentricity of the weighted distribution (0 round, -> 1 elongated).
    fn eccentricity(&self) -> f64 {
        // Shape from the contrast-weighted second moments, with the shading direction's own elongation left
        // in: a round pit under side light still spreads its crescents along the light, so eccentricity is
        // only used for raised red lesions whose colour fills the shape.
        let sw = self.sw;
        if sw > 0.0 {
            let (mx, my) = (self.mxx / sw, self.myy / sw);
            let (a, b, cxy) = (
                self.sxx / sw - mx * mx,
                self.syy / sw - my * my,
                self.sxy / sw - mx * my,
            );
            let tr = a + b;
            let det = a * b - cxy * cxy;
            let disc = (tr * tr / 4.0 - det).max(0.0).sqrt();
            let (l1, l2) = (tr / 2.0 + disc, (tr / 2.0 - disc).max(0.0));
            if l1 > 0.0 {
                (1.0 - l2 / l1).max(0.0).sqrt()
            } else {
                0.0
            }
        } else {
            0.0
        }
    }
}

/// The region above half contrast within 1.6 r: its pixels and their coordinate sums.
struct ContrastRegion {
    pts: Vec<(f64, f64)>,
    ax: f64,
    ay: f64,
    area_n: f64,
}

impl ContrastRegion {
    /// The skin pixels within 1.6 r whose contrast reaches `half`.
    fn of(at: Around, r: f64, contrast: &Contrast, half: f64) -> Self {
        let mut s = ContrastRegion {
            pts: Vec::new(),
            ax: 0.0,
            ay: 0.0,
            area_n: 0.0,
        };
        at.each_skin(1.6 * r, |x, y, i, _| {
            if contrast.at(i) as f64 >= half {
                s.pts.push((x as f64, y as f64));
                s.ax += x as f64;
                s.ay += y as f64;
                s.area_n += 1.0;
            }
        });
        s
    }

    /// Area over the area of the circumscribed circle about the centroid (1 below 3 pixels).
    fn circularity(&self) -> f64 {
        let area_n = self.area_n;
        if area_n < 3.0 {
            return 1.0;
        }
        let (gx, gy) = (self.ax / area_n, self.ay / area_n);
        let mut maxd2 = 0.0f64;
        for &(x, y) in &self.pts {
            maxd2 = maxd2.max((x - gx).powi(2) + (y - gy).powi(2));
        }
        (area_n / (std::f64::consts::PI * (maxd2.sqrt() + 0.5).powi(2))).min(1.0)
    }

    /// Bounding box [x0, y0, x1, y1] (inclusive-exclusive) of the region; `None` below 3 pixels.
    fn bounds(&self) -> Option<[f64; 4]> {
        if self.area_n < 3.0 {
            return None;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in &self.pts {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1.0);
            y1 = y1.max(y + 1.0);
        }
        Some([x0, y0, x1, y1])
    }
}

/// The box of the disc of radius `r`, within the image.
fn disc_bbox(at: Around, r: f64, region: Option<[f64; 4]>) -> [f64; 4] {
    let (cx, cy) = (at.cx, at.cy);
    let (w, h) = (at.ctx.p.w as f64, at.ctx.p.h as f64);
    // The reported box is the disc's, widened to the contrast region when that is larger.
    let [x0, y0, x1, y1] = region.unwrap_or([f64::MAX, f64::MAX, f64::MIN, f64::MIN]);
    [
        (cx - r).min(x0).max(0.0),
        (cy - r).min(y0).max(0.0),
        (cx + r + 1.0).max(x1).min(w),
        (cy + r + 1.0).max(y1).min(h),
    ]
}

/// A centre (x, y) and radius, working px.
type Centre = (f64, f64, f64);

/// Centre and radius of a segmented lesion from its extent across and along the light. Under side light the
/// segmentation may hold only the dark near-wall crescent of a pit (its flat floor and a faint far wall do not
/// stand out): the extent ACROSS the light is still the full width, and the edge nearest the light is still
/// the near rim, so the centre sits one radius away from it. For a whole disc this gives its own centre.
/// The second reading returned is the middle of the segment's extent along the light, with the same radius.
fn extent_along_light(px: &[u32], w: usize, u: [f64; 2], c: &Candidate) -> (Centre, Centre) {
    let mut t: Vec<f64> = Vec::with_capacity(px.len());
    let mut n: Vec<f64> = Vec::with_capacity(px.len());
    for &i in px {
        let (x, y) = ((i as usize % w) as f64, (i as usize / w) as f64);
        t.push(x * u[0] + y * u[1]);
        n.push(-x * u[1] + y * u[0]);
    }
    let q = |v: &mut Vec<f64>, f: f64| -> f64 {
        let k = ((v.len() - 1) as f64 * f).round() as usize;
        *v.select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1
    };
    let (n_lo, n_hi) = (q(&mut n, 0.02), q(&mut n, 0.98));
    let (t_lo, t_hi) = (q(&mut t, 0.02), q(&mut t, 0.98));
    let r = (0.5 * (n_hi - n_lo + 1.0)).max(c.radius);
    let nc = 0.5 * (n_lo + n_hi);
    // Back from (t, n) to (x, y): x = t u0 - n u1, y = t u1 + n u0.
    let at = |tc: f64| (tc * u[0] - nc * u[1], tc * u[1] + nc * u[0], r);
    (at(t_hi + 0.5 - r), at(0.5 * (t_lo + t_hi)))
}

/// Share of the residual's energy within `1.15 r` of (cx, cy) that is antisymmetric under reflection
/// across the line through the centre perpendicular to the light `u` (the relief split of [`measure`],
/// against the level of the ring from `1.4 r` to `2.2 r`).
fn antisymmetry_at(ctx: &MeasureContext, cx: f64, cy: f64, r: f64, u: [f64; 2]) -> f64 {
    let p = ctx.p;
    let (w, h) = (p.w as isize, p.h as isize);
    let mut ring = Mean::default();
    each_pixel(w, h, cx, cy, 2.2 * r, |x, y, d| {
        let i = (y * w + x) as usize;
        if d >= 1.4 * r && p.mask[i] {
            ring.add(ctx.smooth.data[i] as f64);
        }
    });
    let bg = ring.get() as f32;
    let (ux, uy) = (u[0] as f32, u[1] as f32);
    let (mut ea, mut es) = (0.0f64, 0.0f64);
    each_pixel(w, h, cx, cy, 1.15 * r, |x, y, _| {
        let i = (y * w + x) as usize;
        if !p.mask[i] {
            return;
        }
        let v = ctx.smooth.data[i] - bg;
        let t = (x as f64 - cx) as f32 * ux + (y as f64 - cy) as f32 * uy;
        let vm = ctx
            .smooth
            .bilinear(x as f32 - 2.0 * t * ux, y as f32 - 2.0 * t * uy)
            - bg;
        ea += (0.5 * (v - vm) as f64).powi(2);
        es += (0.5 * (v + vm) as f64).powi(2);
    });
    if ea + es > 0.0 {
        ea / (ea + es)
    } else {
        0.0
    }
}

/// Calls `f(x, y, distance)` for every pixel within `radius` of (cx, cy) inside the image.
fn each_pixel(
    w: isize,
    h: isize,
    cx: f64,
    cy: f64,
    radius: f64,
    mut f: impl FnMut(isize, isize, f64),
) {
    let x0 = ((cx - radius).floor() as isize).max(0);
    let x1 = ((cx + radius).ceil() as isize).min(w - 1);
    let y0 = ((cy - radius).floor() as isize).max(0);
    let y1 = ((cy + radius).ceil() as isize).min(h - 1);
    let r2 = radius * radius;
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d2 = (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2);
            if d2 <= r2 {
                f(x, y, d2.sqrt());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use image::{Rgb, RgbImage};

    /// A 160 px square of even skin with a disc of radius 12 at its centre whose colour is `disc(dx, dy)`
    /// (offsets from the centre), measured from a candidate placed there with the detection radius 12.
    fn measured(toward: [f64; 2], disc: impl Fn(f64, f64) -> [u8; 3]) -> Measured {
        let img = RgbImage::from_fn(160, 160, |x, y| {
            let (dx, dy) = (x as f64 - 80.0, y as f64 - 80.0);
            Rgb(if dx * dx + dy * dy <= 144.0 {
                disc(dx, dy)
            } else {
                [200, 150, 130]
            })
        });
        let prof = Profile::builtin();
        let p = crate::prepare::prepare(&img, None, &prof.prepare);
        let ctx = MeasureContext::new(&p);
        let c = Candidate {
            x: 80.0,
            y: 80.0,
            sigma: 12.0 / prof.detect.radius_per_sigma,
            radius: 12.0,
            response: 1.0,
            z: 5.0,
            pixels: None,
            soft: false,
            depression_z: None,
        };
        let light = LightEstimate {
            toward,
            confidence: 1.0,
            pore_amplitude: 0.01,
            ..LightEstimate::none()
        };
        measure(
            &ctx,
            &c,
            &light,
            true,
            prof.detect.redness_weight,
            &prof.measure,
        )
    }

    #[test]
    fn a_darker_disc_reads_darker_than_its_ring_and_about_its_own_size() {
        let m = measured([1.0, 0.0], |_, _| [150, 105, 90]);
        assert_eq!((m.x, m.y), (80.0, 80.0));
        assert!(m.delta_l < -8.0, "ΔL* {}", m.delta_l);
        assert!(m.delta_a.abs() < 5.0, "Δa* {}", m.delta_a);
        assert!((6.0..=24.0).contains(&m.radius), "radius {}", m.radius);
        assert!(m.diameter_mm.is_none(), "no scale, no mm");
    }

    #[test]
    fn a_red_disc_reads_redder_than_its_ring() {
        let m = measured([1.0, 0.0], |_, _| [215, 110, 110]);
        assert!(m.delta_a > 8.0, "Δa* {}", m.delta_a);
    }

    /// The sign of relief (domain.md §4): under a light from the right (+x), a pit is dark on the side
    /// nearer the light (its wall there faces away from it) and bright on the far side; a bump the reverse.
    #[test]
    fn shading_dark_towards_the_light_reads_sunken_and_the_reverse_raised() {
        let shade = |lit_far: bool| {
            move |dx: f64, _: f64| {
                let near_light = dx > 0.0;
                if near_light != lit_far {
                    [230, 175, 155]
                } else {
                    [165, 120, 105]
                }
            }
        };
        let pit = measured([1.0, 0.0], shade(true));
        let bump = measured([1.0, 0.0], shade(false));
        assert!(pit.relief_amplitude < 0.0, "pit {}", pit.relief_amplitude);
        assert!(
            bump.relief_amplitude > 0.0,
            "bump {}",
            bump.relief_amplitude
        );
        assert!(pit.antisymmetry > 0.5 && bump.antisymmetry > 0.5);
        // Turning the light turns the reading: the pit under a light from the left reads raised.
        let turned = measured([-1.0, 0.0], shade(true));
        assert!(
            turned.relief_amplitude > 0.0,
            "turned {}",
            turned.relief_amplitude
        );
    }
}
