//! Scenes: parameters, the concrete lesion list drawn from them, and the truth recorded per image.
//!
//! Lesion sizes and reliefs follow domain.md §1 (ice pick < 2 mm deep V; boxcar 1.5–4 mm flat-floored U,
//! 0.1–0.5 mm deep; rolling > 4–5 mm shallow M; hypertrophic raised within an oval footprint; keloid larger and
//! irregular; papules/pustules raised domes 1–5 mm; flat marks colour only). The expected per-image values
//! follow domain.md §3 and the report contract (see [`expected_for`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rng::{hash3, SplitMix64};
use super::skin::{ita_deg, SkinTone};
use crate::report::{Dominant, RegionClass, Subtype, Verdict};

/// Which kind dominates a scene.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Mix {
    /// Mostly ice pick scars.
    IcePick,
    /// Mostly boxcar scars.
    Boxcar,
    /// Mostly rolling scars.
    Rolling,
    /// Mostly raised scars (hypertrophic and keloid).
    Raised,
    /// Active acne (papules, pustules) with a few scars and marks.
    Active,
    /// Flat marks only (brown and red), no scars.
    FlatOnly,
    /// One of the above, drawn from the seed.
    Random,
}

impl Mix {
    /// The six concrete mixes, in suite order.
    pub const CONCRETE: [Mix; 6] = [
        Mix::IcePick,
        Mix::Boxcar,
        Mix::Rolling,
        Mix::Raised,
        Mix::Active,
        Mix::FlatOnly,
    ];

    /// The mix's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mix::IcePick => "ice_pick",
            Mix::Boxcar => "boxcar",
            Mix::Rolling => "rolling",
            Mix::Raised => "raised",
            Mix::Active => "active",
            Mix::FlatOnly => "flat_only",
            Mix::Random => "random",
        }
    }

    /// Parses a mix name (`ice_pick`, `boxcar`, `rolling`, `raised`, `active`, `flat_only`, `random`).
    pub fn parse(s: &str) -> Option<Mix> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Mix::CONCRETE
            .into_iter()
            .chain([Mix::Random])
            .find(|m| m.as_str() == s)
    }
}

/// What to draw a scene from; every field has a default (`SceneParams::default()`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SceneParams {
    /// Image width in px.
    pub width: u32,
    /// Image height in px.
    pub height: u32,
    /// Scale in px per mm (8–20 typical).
    pub px_per_mm: f64,
    /// Seed of everything random in the scene.
    pub seed: u64,
    /// Which kind dominates (ignored when `counts` is given).
    pub mix: Mix,
    /// Exact number of lesions per subtype, replacing the mix.
    pub counts: Option<BTreeMap<Subtype, usize>>,
    /// Skin tone band; `None` draws one from the seed.
    pub tone: Option<SkinTone>,
    /// Light azimuth in degrees (direction the light comes from, CCW from +x); `None` draws one in [0, 360).
    pub azimuth_deg: Option<f64>,
    /// Light elevation above the skin plane in degrees (low = raking side light); `None` draws 25–65°.
    pub elevation_deg: Option<f64>,
    /// Share of the light that is ambient (no direction), 0..1.
    pub ambient: f64,
    /// Strength of the specular gloss (0 = matte).
    pub gloss: f64,
    /// Vignetting: relative brightness loss at the frame corners, 0..1.
    pub vignetting: f64,
    /// Colour cast as RGB gains; `None` draws a mild cast (±6 %) from the seed.
    pub colour_cast: Option<[f64; 3]>,
    /// Exposure gain on the linear image (1 = skin at its albedo).
    pub exposure: f64,
    /// Sensor noise standard deviation in 8-bit levels.
    pub noise_sigma: f64,
    /// JPEG quality 1–100 of the output; `None` = lossless.
    pub jpeg_quality: Option<u8>,
    /// Pores per mm² (faces show roughly 0.3–1).
    pub pore_density: f64,
    /// Largest slope of the face's own curvature at the frame corners (gives the skin a gentle shading ramp).
    pub curvature: f64,
    /// Frontal flash: the light comes from the camera, so relief shading almost vanishes.
    pub flat_light: bool,
    /// Cast shadows of lesions (off = Lambert shading only).
    pub shadows: bool,
}

impl Default for SceneParams {
    fn default() -> Self {
        SceneParams {
            width: 800,
            height: 600,
            px_per_mm: 12.0,
            seed: 1,
            mix: Mix::Random,
            counts: None,
            tone: None,
            azimuth_deg: None,
            elevation_deg: None,
            ambient: 0.35,
            gloss: 1.0,
            vignetting: 0.15,
            colour_cast: None,
            exposure: 1.0,
            noise_sigma: 2.0,
            jpeg_quality: None,
            pore_density: 0.6,
            curvature: 0.04,
            flat_light: false,
            shadows: true,
        }
    }
}

/// The light of a scene.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Light {
    /// Direction the light comes from, degrees CCW from +x as a viewer sees it (0 = right, 90 = top).
    pub azimuth_deg: f64,
    /// Elevation above the skin plane in degrees.
    pub elevation_deg: f64,
    /// Frontal flash: light along the camera axis (azimuth and elevation are then ignored for shading).
    pub flat: bool,
}

impl Light {
    /// Unit vector towards the light in image coordinates (x right, y DOWN, z towards the viewer).
    pub fn vector(&self) -> [f64; 3] {
        if self.flat {
            return [0.0, 0.0, 1.0];
        }
        let (az, el) = (
            self.azimuth_deg.to_radians(),
            self.elevation_deg.to_radians(),
        );
        // "From the top" (90°) must point to −y because image y points down.
        [el.cos() * az.cos(), -el.cos() * az.sin(), el.sin()]
    }
}

/// One lesion of a scene.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Lesion {
    /// Number within the scene, from 1.
    pub id: u32,
    /// Kind of lesion.
    pub subtype: Subtype,
    /// Centre `[x, y]` in px.
    pub center: [f64; 2],
    /// Long axis of the footprint in mm.
    pub major_mm: f64,
    /// Short axis of the footprint in mm.
    pub minor_mm: f64,
    /// Orientation of the long axis, degrees CCW from +x.
    pub angle_deg: f64,
    /// Signed peak height in mm (negative = depressed, 0 for flat marks).
    pub relief_mm: f64,
    /// Colour change strength (1 = typical).
    pub colour_strength: f64,
    /// Seed of the outline irregularity and profile details.
    pub shape_seed: u64,
}

impl Lesion {
    /// Equivalent-circle diameter of the footprint in mm.
    pub fn diameter_mm(&self) -> f64 {
        (self.major_mm * self.minor_mm).sqrt()
    }

    /// Radius in mm of a circle that contains the lesion and its colour halo.
    pub fn outer_radius_mm(&self) -> f64 {
        let halo = match self.subtype {
            Subtype::Papule | Subtype::Pustule => 1.8,
            Subtype::Keloid => 1.35,
            _ => 1.15,
        };
        0.5 * self.major_mm * halo
    }
}

/// A concrete scene: everything needed to render it, so it can be edited and re-rendered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scene {
    /// Image width in px.
    pub width: u32,
    /// Image height in px.
    pub height: u32,
    /// Scale in px per mm.
    pub px_per_mm: f64,
    /// Seed of the scene's texture (pores, mottling, noise).
    pub seed: u64,
    /// Which kind was meant to dominate.
    pub mix: Mix,
    /// Skin tone band.
    pub tone: SkinTone,
    /// Skin colour in CIELAB (inside the band).
    pub skin_lab: [f64; 3],
    /// The light.
    pub light: Light,
    /// Ambient share of the light, 0..1.
    pub ambient: f64,
    /// Specular gloss strength.
    pub gloss: f64,
    /// Vignetting strength, 0..1.
    pub vignetting: f64,
    /// RGB gains of the colour cast.
    pub colour_cast: [f64; 3],
    /// Exposure gain.
    pub exposure: f64,
    /// Sensor noise in 8-bit levels.
    pub noise_sigma: f64,
    /// JPEG quality, `None` = lossless.
    pub jpeg_quality: Option<u8>,
    /// Pores per mm².
    pub pore_density: f64,
    /// Largest slope of the face's curvature at the corners.
    pub curvature: f64,
    /// Cast shadows on or off.
    pub shadows: bool,
    /// The lesions, none overlapping, all inside the frame.
    pub lesions: Vec<Lesion>,
}

impl Scene {
    /// A copy with every relief height multiplied by `factor` (e.g. 0.5 for an "after treatment" scene).
    pub fn with_relief_scaled(&self, factor: f64) -> Scene {
        let mut s = self.clone();
        for l in &mut s.lesions {
            l.relief_mm *= factor;
        }
        s
    }

    /// The truth file of this scene.
    pub fn truth(&self) -> Truth {
        let lesions = self
            .lesions
            .iter()
            .map(|l| TruthLesion {
                id: l.id,
                class: l.subtype.class(),
                subtype: l.subtype,
                center: l.center,
                diameter_px: l.diameter_mm() * self.px_per_mm,
                diameter_mm: l.diameter_mm(),
                relief_height: l.relief_mm,
                major_mm: l.major_mm,
                minor_mm: l.minor_mm,
                angle_deg: l.angle_deg,
            })
            .collect::<Vec<_>>();
        Truth {
            width: self.width,
            height: self.height,
            px_per_mm: self.px_per_mm,
            seed: self.seed,
            mix: self.mix,
            light: TruthLight {
                azimuth_deg: self.light.azimuth_deg,
                elevation_deg: self.light.elevation_deg,
                flat: self.light.flat,
            },
            skin_tone: self.tone.as_str().to_string(),
            ita_deg: ita_deg(self.skin_lab),
            expected: expected_for(&self.lesions.iter().map(|l| l.subtype).collect::<Vec<_>>()),
            lesions,
        }
    }
}

/// Light as recorded in a truth file.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct TruthLight {
    /// Direction the light comes from, degrees CCW from +x (0 = right, 90 = top).
    pub azimuth_deg: f64,
    /// Elevation above the skin plane in degrees.
    pub elevation_deg: f64,
    /// Frontal flash (relief shading almost absent).
    pub flat: bool,
}

/// One lesion as recorded in a truth file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TruthLesion {
    /// Number within the image, from 1.
    pub id: u32,
    /// Lesion family.
    pub class: RegionClass,
    /// Lesion kind.
    pub subtype: Subtype,
    /// Centre `[x, y]` in px.
    pub center: [f64; 2],
    /// Equivalent-circle diameter in px.
    pub diameter_px: f64,
    /// Equivalent-circle diameter in mm.
    pub diameter_mm: f64,
    /// Signed peak height in mm (negative = depressed; 0 for flat marks).
    pub relief_height: f64,
    /// Long axis of the footprint in mm.
    pub major_mm: f64,
    /// Short axis of the footprint in mm.
    pub minor_mm: f64,
    /// Orientation of the long axis, degrees CCW from +x.
    pub angle_deg: f64,
}

/// What a correct analysis should say about the whole image.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Expected {
    /// The scar family with more lesions (`none` without scars).
    pub dominant: Dominant,
    /// The most frequent scar subtype of the dominant family.
    pub dominant_subtype: Option<Subtype>,
    /// Any papule or pustule.
    pub active_inflammation: bool,
    /// Microneedling verdict per domain.md §3.
    pub verdict: Verdict,
}

/// The truth of one rendered image (`<name>.truth.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Truth {
    /// Image width in px.
    pub width: u32,
    /// Image height in px.
    pub height: u32,
    /// Scale in px per mm.
    pub px_per_mm: f64,
    /// Scene seed.
    pub seed: u64,
    /// Which kind was meant to dominate.
    pub mix: Mix,
    /// The light.
    pub light: TruthLight,
    /// ITA° band of the skin colour.
    pub skin_tone: String,
    /// ITA° of the skin albedo (before light, cast and noise).
    pub ita_deg: f64,
    /// Every lesion.
    pub lesions: Vec<TruthLesion>,
    /// Expected per-image values.
    pub expected: Expected,
}

/// Expected per-image values for a list of lesion kinds (domain.md §3 and the contract):
/// active inflammation = any papule or pustule; dominant = the scar family (atrophic vs hypertrophic) with
/// more lesions (a tie counts as hypertrophic: raised scars in equal number are not the typical picture;
/// `none` without scars); dominant subtype = the most frequent subtype of the dominant family (ties: contract
/// order); verdict = `not_typical` with active acne, raised scars dominating or no scars, else `typical`.
pub fn expected_for(subtypes: &[Subtype]) -> Expected {
    let mut counts: BTreeMap<Subtype, usize> = BTreeMap::new();
    for &s in subtypes {
        *counts.entry(s).or_default() += 1;
    }
    let family = |c: RegionClass| {
        counts
            .iter()
            .filter(|(s, _)| s.class() == c)
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    let (atro, hyper) = (
        family(RegionClass::Atrophic),
        family(RegionClass::Hypertrophic),
    );
    let dominant = if atro + hyper == 0 {
        Dominant::None
    } else if atro > hyper {
        Dominant::Atrophic
    } else {
        Dominant::Hypertrophic
    };
    let dom_class = match dominant {
        Dominant::Atrophic => Some(RegionClass::Atrophic),
        Dominant::Hypertrophic => Some(RegionClass::Hypertrophic),
        Dominant::None => None,
    };
    let mut dominant_subtype = None;
    let mut best = 0;
    for s in Subtype::ALL {
        let n = counts.get(&s).copied().unwrap_or(0);
        if Some(s.class()) == dom_class && n > best {
            best = n;
            dominant_subtype = Some(s);
        }
    }
    let active_inflammation = counts
        .keys()
        .any(|s| s.class() == RegionClass::Inflammatory);
    let verdict = if active_inflammation || dominant != Dominant::Atrophic {
        Verdict::NotTypical
    } else {
        Verdict::Typical
    };
    Expected {
        dominant,
        dominant_subtype,
        active_inflammation,
        verdict,
    }
}

/// Lesion counts for a mix in a frame of `area_mm2`. The dominant kind clearly outnumbers the rest so the
/// per-image truth is unambiguous; a few lesions of other kinds and a few flat marks are always added.
fn mix_counts(mix: Mix, area_mm2: f64, rng: &mut SplitMix64) -> Vec<(Subtype, usize)> {
    // About one dominant lesion per 400 mm² (8 in an 800×600 frame at 12 px/mm), 4..24.
    let n = ((area_mm2 / 400.0).round() as usize).clamp(4, 24);
    let few = |rng: &mut SplitMix64, hi: usize| rng.int(0, hi);
    let flat = |rng: &mut SplitMix64| {
        vec![
            (Subtype::Pigmented, rng.int(1, 2)),
            (Subtype::Erythematous, rng.int(0, 2)),
        ]
    };
    let mut v = match mix {
        Mix::IcePick => vec![
            (Subtype::IcePick, n + 1),
            (Subtype::Boxcar, few(rng, 2)),
            (Subtype::Rolling, few(rng, 1)),
        ],
        Mix::Boxcar => vec![
            (Subtype::Boxcar, n),
            (Subtype::IcePick, few(rng, 2)),
            (Subtype::Rolling, few(rng, 1)),
        ],
        Mix::Rolling => {
            vec![
                (Subtype::Rolling, (n * 2 / 3).max(4)),
                (Subtype::Boxcar, few(rng, 1)),
                (Subtype::IcePick, few(rng, 1)),
            ]
        }
        Mix::Raised => {
            let k = (n * 2 / 3).max(3);
            let (main, other) = if rng.chance(0.5) {
                (Subtype::Hypertrophic, Subtype::Keloid)
            } else {
                (Subtype::Keloid, Subtype::Hypertrophic)
            };
            let main_n = if main == Subtype::Keloid {
                (k / 2).max(2)
            } else {
                k
            };
            vec![
                (main, main_n),
                (other, few(rng, 1)),
                (Subtype::Boxcar, few(rng, 1)),
            ]
        }
        Mix::Active => vec![
            (Subtype::Papule, n / 2 + 1),
            (Subtype::Pustule, n / 3 + 1),
            (Subtype::Boxcar, rng.int(1, 2)),
            (Subtype::Erythematous, rng.int(1, 2)),
        ],
        Mix::FlatOnly => vec![
            (Subtype::Pigmented, n / 2 + 1),
            (Subtype::Erythematous, n / 2),
        ],
        Mix::Random => Vec::new(),
    };
    if mix != Mix::FlatOnly && mix != Mix::Active {
        v.extend(flat(rng));
    }
    v
}

/// Draws size, shape and relief of one lesion (domain.md §1 ranges).
fn draw_lesion(subtype: Subtype, rng: &mut SplitMix64) -> (f64, f64, f64, f64) {
    // (diameter_mm, aspect = major/minor, relief_mm, colour_strength)
    match subtype {
        Subtype::IcePick => (
            rng.range(0.9, 1.8),
            rng.range(1.0, 1.15),
            -rng.range(0.3, 0.8),
            rng.range(0.6, 1.0),
        ),
        Subtype::Boxcar => (
            rng.range(1.9, 4.0),
            rng.range(1.0, 1.35),
            -rng.range(0.12, 0.5),
            rng.range(0.6, 1.0),
        ),
        Subtype::Rolling => (
            rng.range(4.5, 8.0),
            rng.range(1.0, 1.4),
            -rng.range(0.06, 0.2),
            rng.range(0.5, 1.0),
        ),
        Subtype::Hypertrophic => (
            rng.range(2.5, 7.0),
            rng.range(1.3, 2.2),
            rng.range(0.2, 1.0),
            rng.range(0.8, 1.1),
        ),
        Subtype::Keloid => (
            rng.range(6.0, 12.0),
            rng.range(1.15, 1.8),
            rng.range(0.5, 1.4),
            rng.range(0.8, 1.1),
        ),
        Subtype::Papule => (
            rng.range(1.5, 4.0),
            rng.range(1.0, 1.2),
            rng.range(0.25, 0.7),
            rng.range(0.8, 1.1),
        ),
        Subtype::Pustule => (
            rng.range(1.8, 4.0),
            rng.range(1.0, 1.2),
            rng.range(0.3, 0.7),
            rng.range(0.8, 1.1),
        ),
        Subtype::Pigmented => (
            rng.range(2.0, 7.0),
            rng.range(1.0, 1.5),
            0.0,
            rng.range(0.7, 1.1),
        ),
        Subtype::Erythematous => (
            rng.range(2.0, 6.0),
            rng.range(1.0, 1.5),
            0.0,
            rng.range(0.7, 1.1),
        ),
    }
}

/// Draws a concrete scene from its parameters (deterministic in `params.seed`).
pub fn random_scene(params: &SceneParams) -> Scene {
    let mut rng = SplitMix64::new(params.seed ^ 0x5CA2_5C0F_E000_0001);
    let mix = if params.mix == Mix::Random {
        Mix::CONCRETE[rng.int(0, 5)]
    } else {
        params.mix
    };
    let tone = params.tone.unwrap_or_else(|| SkinTone::ALL[rng.int(0, 5)]);
    let skin_lab = tone.draw_lab(&mut rng);
    let azimuth_deg = params
        .azimuth_deg
        .map(|a| a.rem_euclid(360.0))
        .unwrap_or_else(|| rng.range(0.0, 360.0));
    let elevation_deg = params
        .elevation_deg
        .unwrap_or_else(|| rng.range(25.0, 65.0))
        .clamp(5.0, 90.0);
    let colour_cast = params.colour_cast.unwrap_or_else(|| {
        [
            rng.range(0.94, 1.06),
            rng.range(0.96, 1.04),
            rng.range(0.94, 1.06),
        ]
    });
    let ppm = if params.px_per_mm.is_finite() && params.px_per_mm > 0.0 {
        params.px_per_mm
    } else {
        12.0
    };
    let (w, h) = (params.width.max(16), params.height.max(16));
    let area_mm2 = (w as f64 / ppm) * (h as f64 / ppm);

    let mut wanted: Vec<(Subtype, usize)> = match &params.counts {
        Some(c) => c.iter().map(|(s, n)| (*s, *n)).collect(),
        None => mix_counts(mix, area_mm2, &mut rng),
    };
    // Draw every lesion's size first, then place the largest first so the big ones find room.
    let mut drafts = Vec::new();
    for (s, n) in wanted.drain(..) {
        for _ in 0..n {
            let (d, aspect, relief, strength) = draw_lesion(s, &mut rng);
            let major = d * aspect.sqrt();
            let minor = d / aspect.sqrt();
            drafts.push((
                s,
                major,
                minor,
                relief,
                strength,
                rng.range(0.0, 180.0),
                rng.next_u64(),
            ));
        }
    }
    drafts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut lesions: Vec<Lesion> = Vec::new();
    // Margin from the frame: 3 % of the short side, at least 4 px.
    let margin = (0.03 * w.min(h) as f64).max(4.0);
    for (subtype, major, minor, relief, strength, angle, shape_seed) in drafts {
        let mut l = Lesion {
            id: 0,
            subtype,
            center: [0.0, 0.0],
            major_mm: major,
            minor_mm: minor,
            angle_deg: angle,
            relief_mm: relief,
            colour_strength: strength,
            shape_seed,
        };
        let r = l.outer_radius_mm() * ppm;
        let (xlo, xhi) = (margin + r, w as f64 - margin - r);
        let (ylo, yhi) = (margin + r, h as f64 - margin - r);
        if xhi <= xlo || yhi <= ylo {
            continue;
        }
        for _ in 0..300 {
            let c = [rng.range(xlo, xhi), rng.range(ylo, yhi)];
            // Keep a gap of 1 mm (and 4 px) between outer circles so halos and shadows stay apart.
            let gap = ppm.max(4.0);
            let free = lesions.iter().all(|o| {
                let d = ((o.center[0] - c[0]).powi(2) + (o.center[1] - c[1]).powi(2)).sqrt();
                d > r + o.outer_radius_mm() * ppm + gap
            });
            if free {
                l.center = c;
                lesions.push(l);
                break;
            }
        }
    }
    // Number lesions in reading order (top to bottom, then left to right) for readable truth files.
    lesions.sort_by(|a, b| {
        a.center[1]
            .total_cmp(&b.center[1])
            .then(a.center[0].total_cmp(&b.center[0]))
    });
    for (i, l) in lesions.iter_mut().enumerate() {
        l.id = i as u32 + 1;
    }
    Scene {
        width: w,
        height: h,
        px_per_mm: ppm,
        seed: params.seed,
        mix,
        tone,
        skin_lab,
        light: Light {
            azimuth_deg,
            elevation_deg,
            flat: params.flat_light,
        },
        ambient: params.ambient.clamp(0.0, 1.0),
        gloss: params.gloss.max(0.0),
        vignetting: params.vignetting.clamp(0.0, 0.9),
        colour_cast,
        exposure: if params.exposure > 0.0 {
            params.exposure
        } else {
            1.0
        },
        noise_sigma: params.noise_sigma.max(0.0),
        jpeg_quality: params.jpeg_quality.map(|q| q.clamp(1, 100)),
        pore_density: params.pore_density.max(0.0),
        curvature: params.curvature,
        shadows: params.shadows,
        lesions,
    }
}

/// Parameters of `n` varied scenes: cycles over the six mixes and the six ITA bands (offset so every pairing
/// occurs), draws the light azimuth over 360° and the elevation in 25–65°, and varies the scale around
/// `base.px_per_mm` (×0.8–1.25, kept within 8–20 px/mm when the base is inside that range). Frame size and
/// camera settings come from `base`.
pub fn scene_suite(seed: u64, n: usize, base: &SceneParams) -> Vec<SceneParams> {
    const SCALES: [f64; 5] = [1.0, 0.8, 1.25, 0.9, 1.1];
    (0..n)
        .map(|i| {
            let mut rng = SplitMix64::new(hash3(seed, i as i64, 0x5017E));
            let mut p = base.clone();
            p.seed = rng.next_u64();
            p.mix = Mix::CONCRETE[i % 6];
            p.tone = Some(SkinTone::ALL[(i + i / 6) % 6]);
            p.azimuth_deg = Some(rng.range(0.0, 360.0));
            p.elevation_deg = Some(rng.range(25.0, 65.0));
            let ppm = base.px_per_mm * SCALES[(i / 2) % SCALES.len()];
            p.px_per_mm = if (8.0..=20.0).contains(&base.px_per_mm) {
                ppm.clamp(8.0, 20.0)
            } else {
                ppm
            };
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_rules() {
        use Subtype::*;
        let e = expected_for(&[IcePick, IcePick, Boxcar, Pigmented]);
        assert_eq!(e.dominant, Dominant::Atrophic);
        assert_eq!(e.dominant_subtype, Some(IcePick));
        assert_eq!(e.verdict, Verdict::Typical);
        let e = expected_for(&[Keloid, Hypertrophic, Hypertrophic, Boxcar]);
        assert_eq!(
            (e.dominant, e.dominant_subtype, e.verdict),
            (
                Dominant::Hypertrophic,
                Some(Hypertrophic),
                Verdict::NotTypical
            )
        );
        let e = expected_for(&[Boxcar, Boxcar, Papule]);
        assert!(e.active_inflammation);
        assert_eq!(e.verdict, Verdict::NotTypical);
        let e = expected_for(&[Pigmented, Erythematous]);
        assert_eq!(
            (e.dominant, e.dominant_subtype, e.verdict),
            (Dominant::None, None, Verdict::NotTypical)
        );
    }

    #[test]
    fn mixes_give_their_dominant_kind() {
        for (i, mix) in Mix::CONCRETE.into_iter().enumerate() {
            let p = SceneParams {
                mix,
                seed: 40 + i as u64,
                ..SceneParams::default()
            };
            let s = random_scene(&p);
            let e = s.truth().expected;
            let want = match mix {
                Mix::IcePick => Some(Subtype::IcePick),
                Mix::Boxcar | Mix::Active => Some(Subtype::Boxcar),
                Mix::Rolling => Some(Subtype::Rolling),
                Mix::Raised => e
                    .dominant_subtype
                    .filter(|s| s.class() == RegionClass::Hypertrophic),
                Mix::FlatOnly | Mix::Random => None,
            };
            assert_eq!(
                e.dominant_subtype,
                want,
                "{mix:?}: {:?}",
                s.lesions.iter().map(|l| l.subtype).collect::<Vec<_>>()
            );
            if mix == Mix::Raised {
                assert_eq!(e.dominant, Dominant::Hypertrophic);
            }
        }
    }
}
