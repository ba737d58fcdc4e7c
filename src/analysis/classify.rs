//! Classify stage: relief sign, family and subtype of each measured region, with a confidence and reasons.
//!
//! Rules (domain.md §1, §4): relief is read from the antisymmetric shading along the light (a flat mark has
//! none); depressed regions are atrophic and split by width and wall profile (ice pick < 2 mm V-shaped,
//! boxcar 1.5-4 mm with a flat floor and steep rim, rolling > 4 mm soft); raised regions are active acne
//! when small with a red halo or a white-yellow head, hypertrophic when glossy, larger or elongated, keloid
//! when large, irregular or dusky; flat regions are pigmented or erythematous, never scars. Under flat light
//! the rules fall back on colour (shading-invariant chromaticity tells a shadow from a brown mark) and size,
//! with a lower confidence. Without a scale, sizes are relative to the picture and confidence is lowered.
//!
//! Code: each feature a rule reads is a named method of `Region`, documented with what it means and where it
//! comes from; `read_relief` reads the relief and `relief_reason` says why, then `atrophic_subtype`,
//! `raised_subtype` (with `raised_score`, weighted by the profile's `[classify.raised_score]`),
//! `flat_subtype` or `unknown_relief_subtype` names the kind, giving each reason sentence beside the rule
//! that causes it and scaling the confidence of a `Verdict` in the order the rules apply.

use crate::measure::Measured;
use crate::profile::ClassifyRules;
use crate::report::{Relief, Subtype};

/// What the classifier needs besides the region.
#[derive(Debug, Clone, Copy)]
pub struct ClassifyContext {
    /// Light confidence 0..1.
    pub light_confidence: f64,
    /// Whether the scale (px per mm) is known.
    pub scaled: bool,
    /// Shorter side of the skin area's image, working px (relative sizes without a scale).
    pub short_side: f64,
    /// The detection threshold in z units (confidence grows above it).
    pub min_z: f64,
}

/// The classifier's answer for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// Lesion kind (its family follows).
    pub subtype: Subtype,
    /// Surface relief.
    pub relief: Relief,
    /// Confidence 0..1.
    pub confidence: f64,
    /// Plain sentences.
    pub reasons: Vec<String>,
    /// False when the region fits none of the kinds the tool knows well enough to report (a raised bump
    /// without any redness: raised scars and active acne are pink to red, domain.md §1).
    pub reportable: bool,
}

/// Classifies one measured region: reads its relief, then names its kind by the rules for that relief.
pub fn classify(m: &Measured, ctx: &ClassifyContext, rules: &ClassifyRules) -> Classified {
    let r = Region { m, ctx, rules };
    let (relief, soft_pit) = read_relief(&r);
    let mut v = Verdict {
        confidence: r.detection_confidence(),
        reasons: vec![relief_reason(&r, relief, soft_pit)],
        reportable: true,
    };
    let subtype = match relief {
        Relief::Depressed => atrophic_subtype(&r, &mut v),
        Relief::Raised => raised_subtype(&r, &mut v),
        Relief::Flat => flat_subtype(&r, &mut v),
        Relief::Unknown => unknown_relief_subtype(&r, &mut v),
    };
    Classified {
        subtype,
        relief,
        confidence: rules.bounded_confidence(v.confidence),
        reasons: v.reasons,
        reportable: v.reportable,
    }
}

/// Re-reads a region whose relief could not be read and whose darkening was taken for a pit's shadow (its
/// classification gave relief `unknown` and an atrophic kind), in a picture the scoring table reads as raised
/// scars with `family_confidence`: a raised lesion is shadowed on its far slope too (domain.md §4), so the
/// picture's reading decides which relief cast the shadow.
pub fn shadow_in_raised_picture(
    m: &Measured,
    ctx: &ClassifyContext,
    rules: &ClassifyRules,
    family_confidence: f64,
) -> Classified {
    let r = Region { m, ctx, rules };
    let mut v = Verdict {
        confidence: r.detection_confidence(),
        reasons: vec![relief_reason(&r, Relief::Unknown, false)],
        reportable: true,
    };
    v.scale(rules.unknown_relief_confidence * family_confidence);
    if m.diameter_mm.is_none() {
        v.scale(rules.unscaled_confidence);
    }
    v.because(format!(
        "darker with the skin's own chromaticity, a shadow: the picture as a whole reads as raised scars \
         (confidence {family_confidence:.2}), and a raised lesion is shadowed on its far slope, so read as raised"
    ));
    let subtype = raised_scar_kind(&r);
    v.because(format!(
        "{}{}: raised scar ({})",
        r.size_words(),
        if subtype == Subtype::Keloid {
            ", large/irregular/dusky"
        } else {
            ""
        },
        subtype.as_str()
    ));
    Classified {
        subtype,
        relief: Relief::Unknown,
        confidence: rules.bounded_confidence(v.confidence),
        reasons: v.reasons,
        reportable: v.reportable,
    }
}

/// The answer as the rules build it: confidence, reasons in the order given, whether it is reported.
struct Verdict {
    /// Confidence so far, before clamping.
    confidence: f64,
    /// Plain sentences, the relief's first.
    reasons: Vec<String>,
    /// See [`Classified::reportable`].
    reportable: bool,
}

impl Verdict {
    /// Adds a reason sentence.
    fn because(&mut self, reason: String) {
        self.reasons.push(reason);
    }

    /// Multiplies the confidence by a rule's factor (in the order the rules apply).
    fn scale(&mut self, factor: f64) {
        self.confidence *= factor;
    }
}

/// One region under the rules: its measurements, the picture's context and the profile's thresholds. Its
/// methods are the rules' features, each a yes/no (or a number) read from the measurements.
#[derive(Clone, Copy)]
struct Region<'a> {
    /// The region's measurements.
    m: &'a Measured,
    /// The picture's light, scale and detection threshold.
    ctx: &'a ClassifyContext,
    /// The profile's classify section.
    rules: &'a ClassifyRules,
}

impl Region<'_> {
    /// Confidence from the detection's strength: `base_confidence`, rising by `detection_confidence_gain` as
    /// z exceeds the threshold by its size.
    fn detection_confidence(&self) -> f64 {
        let rules = self.rules;
        rules.base_confidence
            + rules.detection_confidence_gain
                * ((self.m.z - self.ctx.min_z) / self.ctx.min_z.max(1.0)).clamp(0.0, 1.0)
    }

    /// The light is directional enough to read shading.
    fn light_readable(&self) -> bool {
        self.ctx.light_confidence >= self.rules.min_light_confidence
    }

    /// The light is readable and the region large enough for its shading to be read.
    fn relief_readable(&self) -> bool {
        self.light_readable() && self.m.radius >= self.rules.min_relief_radius_px
    }

    /// Colour-neutral against the ring: shading scales R, G and B alike, so a change in lightness without a
    /// change in log chromaticity is light and shadow (a pit's dark floor), not pigment or blood.
    fn neutral_chromaticity(&self) -> bool {
        let (m, rules) = (self.m, self.rules);
        m.delta_gb.abs() < rules.neutral_chromaticity
            && m.delta_rg.abs() < rules.neutral_chromaticity
    }

    /// A tiny dark hole. domain.md §1: an ice pick is a small dark pit, darkest at its centre; JPEG chroma
    /// blurs its shadow's colour a little towards brown, but a brown mark is far browner (ln(G/B) > 0.15) and
    /// wider.
    fn tiny_dark_hole(&self) -> bool {
        let (m, rules) = (self.m, self.rules);
        m.delta_l <= -rules.pit_delta_l
            && m.centre_level <= -rules.v_centre_level
            && m.delta_gb < rules.colourful_chromaticity
            && m.delta_rg.abs() < rules.colourful_chromaticity
            && m.diameter_mm.is_some_and(|d| d < rules.boxcar_min_mm)
    }

    /// A pit seen by its occlusion: much darker, darkest at the centre, with the skin's own chromaticity.
    fn shadowed_pit(&self) -> bool {
        (self.neutral_chromaticity() || self.tiny_dark_hole())
            && self.m.delta_l <= -self.rules.pit_delta_l
            && self.m.centre_level < 0.0
    }

    /// Strongly coloured (brown or red). Such a mark needs clearer one-sided shading: its colour edge, offset
    /// by a neighbour or the mask, can mimic a weak shading pair.
    fn colourful(&self) -> bool {
        let (m, rules) = (self.m, self.rules);
        m.delta_gb.abs() >= rules.colourful_chromaticity
            || m.delta_rg.abs() >= rules.colourful_chromaticity
    }

    /// A pit by the depression pass's filter. Its along-light derivative, a matched filter for a sloping
    /// bowl, is a surer relief reading for a faint wide pit than the moments over a disc full of mottling; a
    /// strongly coloured or darker region (a mark's or a raised lesion's edge, a melanin patch) is not
    /// trusted on it.
    fn filter_pit(&self) -> bool {
        let (m, rules) = (self.m, self.rules);
        m.depression_z.is_some()
            && !self.colourful()
            && m.delta_a < rules.red_delta_a
            && m.mean_level >= rules.soft_pit_min_level
    }

    /// Relief by its shading: a clear bright/dark pair along the light, one-sided enough for the region's
    /// colour (a flat mark has none, domain.md §4).
    fn one_sided_shading(&self) -> bool {
        let (m, rules) = (self.m, self.rules);
        m.relief_amplitude.abs() >= rules.min_relief_amplitude
            && ((m.antisymmetry >= rules.min_antisymmetry && !self.colourful())
                || m.antisymmetry >= rules.min_antisymmetry_colourful
                || (self.neutral_chromaticity()
                    && m.antisymmetry >= rules.min_antisymmetry_neutral)
                || (m.relief_amplitude.abs() >= rules.strong_relief_amplitude
                    && m.antisymmetry >= rules.min_antisymmetry_strong
                    // The big symmetric colour part this allows for is a red lesion's; a brown mark's dark
                    // edge, offset in the disc, is not relief (melanin raises ln(G/B), domain.md §1 PIH).
                    && m.delta_gb < rules.colourful_chromaticity))
    }

    /// A bump's shading: bright towards the light, with a clearly one-sided share.
    fn bump_shading(&self) -> bool {
        self.m.relief_amplitude > 0.0 && self.m.antisymmetry >= self.rules.min_antisymmetry
    }

    /// Red against the ring. Δa* shrinks with lightness (a* ~ L* x chromaticity), so on dark skin a red
    /// lesion's Δa* can stay small; haemoglobin's own sign in shading-invariant chromaticity (R/G up, G/B
    /// down; melanin raises G/B) says red there too. A deep pit's shadow is not neutral after JPEG chroma
    /// subsampling: the chromaticity reading needs a* to rise at least a little and the region not to be as
    /// dark as a shadowed pit.
    fn red(&self) -> bool {
        let (m, rules) = (self.m, self.rules);
        m.delta_a >= rules.red_delta_a
            || (m.delta_rg >= rules.red_ln_rg
                && m.delta_gb <= 0.0
                && m.delta_a > 0.0
                && m.delta_l > -rules.pit_delta_l)
    }

    /// A red halo: redness spreads into the annulus just outside the lesion (active acne, domain.md §1).
    fn red_halo(&self) -> bool {
        self.m.halo_a >= self.rules.halo_delta_a
    }

    /// A pustule's head: a pale, not bluer centre on a red spot (domain.md §1: a white-yellow head).
    fn pustule_head(&self) -> bool {
        self.m.head_delta_l >= self.rules.pustule_head_delta_l
            && self.m.head_delta_b >= self.rules.pustule_head_min_delta_b
            && self.red()
    }

    /// Browner: melanin absorbs blue more and raises ln(G/B); shading does not.
    fn pigment(&self) -> bool {
        self.m.delta_gb >= self.rules.pigment_chromaticity
    }

    /// Glossy: a share of specular highlight (domain.md §1: raised scars are often glossy).
    fn glossy(&self) -> bool {
        self.m.gloss >= self.rules.glossy_fraction
    }

    /// Elongated rather than round.
    fn elongated(&self) -> bool {
        self.m.eccentricity >= self.rules.elongated_eccentricity
    }

    /// Width over the picture's shorter side (the size rules without a scale).
    fn relative_diameter(&self) -> f64 {
        2.0 * self.m.radius / self.ctx.short_side.max(1.0)
    }

    /// No wider than active acne grows (domain.md §1: 1-5 mm+).
    fn small_active(&self) -> bool {
        match self.m.diameter_mm {
            Some(d) => d <= self.rules.papule_max_mm,
            None => self.relative_diameter() <= self.rules.unscaled_rolling_fraction,
        }
    }

    /// Large enough to lean keloid (domain.md §1: a large raised lesion leans keloid).
    fn large_keloid(&self) -> bool {
        match self.m.diameter_mm {
            Some(d) => d >= self.rules.keloid_min_mm,
            None => self.relative_diameter() >= self.rules.unscaled_keloid_fraction,
        }
    }

    /// A keloid rather than a hypertrophic scar: large, irregular or dusky (domain.md §1: a raised lesion
    /// that is large or irregular leans keloid; keloids are red-purple/dusky).
    fn keloid(&self) -> bool {
        let dusky = self.red() && self.m.delta_b < self.rules.keloid_dusky_delta_b;
        self.large_keloid() || self.m.circularity < self.rules.keloid_max_circularity || dusky
    }

    /// A plateau, not a dome: a papule's shading is spread over the whole radius, a raised scar's sits at
    /// its steep edge (domain.md §1: active acne is a small dome, a hypertrophic scar firm).
    fn plateau(&self) -> bool {
        self.m.rim_fraction >= self.rules.plateau_rim_fraction
    }

    /// A skin-coloured undulation. domain.md §1: a rolling scar is a wide, shallow, undulating M (its
    /// tethered centre rises between sloping edges) of skin colour; raised scars and active acne are red. A
    /// wide, weakly shaded, skin-coloured undulation is read as rolling.
    fn skin_coloured_undulation(&self) -> bool {
        !self.red()
            && !self.pustule_head()
            && self.m.relief_amplitude.abs() < self.rules.strong_relief_amplitude
            && match self.m.diameter_mm {
                Some(d) => d >= self.rules.undulation_min_mm,
                None => self.relative_diameter() >= self.rules.unscaled_rolling_fraction,
            }
    }

    /// A steep wall (U). A region found only by its soft shading pair has no measured wall: its rim share is
    /// mottling.
    fn steep_wall(&self) -> bool {
        self.m.rim_fraction >= self.rules.steep_rim_fraction && self.m.depression_z.is_none()
    }

    /// A V profile: darkest at the centre, tapering (domain.md §1: ice pick).
    fn v_shaped(&self) -> bool {
        self.m.centre_level <= -self.rules.v_centre_level
    }

    /// Red, with its redness outweighing its darkening: an erythematous mark rather than a pigmented one.
    fn erythema(&self) -> bool {
        self.red() && self.m.delta_a >= -self.m.delta_l * self.rules.erythema_redness_per_darkening
    }

    /// The region's width in words, in mm or relative to the picture without a scale.
    fn size_words(&self) -> String {
        let (m, ctx) = (self.m, self.ctx);
        match m.diameter_mm {
            Some(d) => format!("{d:.1} mm wide"),
            None => format!(
                "{:.0} % of the picture's shorter side wide (no scale)",
                100.0 * 2.0 * m.radius / ctx.short_side
            ),
        }
    }
}

/// Reads the relief, and whether the depression pass's soft shading pair read it: unknown where the shading
/// cannot be read; a region of the depression pass by its filter; any other by one-sided shading along the
/// light, else as a shadowed pit (unless it is shaded like a bump), else flat.
fn read_relief(r: &Region) -> (Relief, bool) {
    if !r.relief_readable() {
        (Relief::Unknown, false)
    } else if r.m.depression_z.is_some() {
        if r.filter_pit() {
            (Relief::Depressed, true)
        } else {
            (Relief::Flat, false)
        }
    } else if r.one_sided_shading() {
        if r.m.relief_amplitude < 0.0 {
            (Relief::Depressed, false)
        } else {
            (Relief::Raised, false)
        }
    } else if r.shadowed_pit() && !r.bump_shading() {
        (Relief::Depressed, false)
    } else {
        (Relief::Flat, false)
    }
}

/// Why the relief reads as it does: a pit with mostly symmetric shading is a shadowed pit, one of the
/// depression pass a soft pair, any other by its one-sided shading.
fn relief_reason(r: &Region, relief: Relief, soft_pit: bool) -> String {
    let m = r.m;
    match relief {
        Relief::Depressed if m.antisymmetry < r.rules.min_antisymmetry && r.shadowed_pit() => format!(
            "depressed: dark at the centre (ΔL* {:+.1}) with the skin's own chromaticity, a shadowed pit, not pigment",
            m.delta_l
        ),
        Relief::Depressed if soft_pit => format!(
            "depressed: the luminance falls towards the light across the region, a soft dark-near/bright-far pair ({:.1} robust deviations)",
            m.depression_z.unwrap_or(0.0)
        ),
        Relief::Depressed => format!(
            "depressed: dark on the side facing the light, bright on the far side ({:.0} % of the shading is one-sided)",
            100.0 * m.antisymmetry
        ),
        Relief::Raised => format!(
            "raised: bright on the side facing the light, shadowed on the far side ({:.0} % of the shading is one-sided)",
            100.0 * m.antisymmetry
        ),
        Relief::Flat => format!(
            "flat: no bright/dark pair along the light ({:.0} % one-sided shading), colour only",
            100.0 * m.antisymmetry
        ),
        Relief::Unknown if r.ctx.light_confidence < r.rules.min_light_confidence => {
            "relief unknown: the light is too flat to read shading, judged on colour and size".to_string()
        }
        Relief::Unknown => {
            "relief unknown: the region is too small to read shading, judged on colour and size".to_string()
        }
    }
}

/// Atrophic subtype by width and wall profile (domain.md §1: ice pick < 2 mm and V, boxcar 1.5-4 mm and U,
/// rolling > 4-5 mm with soft edges); relative to the picture, and less certain, without a scale.
fn atrophic_subtype(r: &Region, v: &mut Verdict) -> Subtype {
    let (m, rules) = (r.m, r.rules);
    let (steep, v_shaped) = (r.steep_wall(), r.v_shaped());
    let profile = if v_shaped {
        "darkest at the centre, tapering (V)"
    } else if steep {
        "flat floor and steep rim (U)"
    } else {
        "soft sloping edges"
    };
    let st = match m.diameter_mm {
        Some(d) if d < rules.boxcar_min_mm => Subtype::IcePick,
        Some(d) if d < rules.ice_pick_max_mm => {
            // domain.md §1: in the overlap zone size cannot separate them, the wall profile does.
            v.scale(rules.overlap_zone_confidence);
            if v_shaped {
                Subtype::IcePick
            } else {
                Subtype::Boxcar
            }
        }
        Some(d)
            if d <= rules.rolling_min_mm
                || (steep && d <= rules.rolling_min_mm + rules.steep_boxcar_extra_mm) =>
        {
            Subtype::Boxcar
        }
        Some(_) => Subtype::Rolling,
        None => {
            v.scale(rules.unscaled_confidence);
            let d_rel = r.relative_diameter();
            if d_rel > rules.unscaled_rolling_fraction && !steep && !v_shaped {
                Subtype::Rolling
            } else if v_shaped || (d_rel < rules.unscaled_ice_pick_fraction && !steep) {
                Subtype::IcePick
            } else {
                Subtype::Boxcar
            }
        }
    };
    v.because(format!(
        "{} with {profile}: {}",
        r.size_words(),
        st.as_str().replace('_', " ")
    ));
    if m.diameter_mm.is_none() {
        v.because(
            "no scale: the size rule is relative, so the subtype is less certain".to_string(),
        );
    }
    st
}

/// Raised subtype: a skin-coloured soft undulation is a rolling scar; otherwise the raised score tells
/// active acne from a raised scar.
fn raised_subtype(r: &Region, v: &mut Verdict) -> Subtype {
    if r.skin_coloured_undulation() {
        v.scale(r.rules.undulation_confidence);
        v.because(format!(
            "{}, skin-coloured and softly undulating (weak shading, no redness): rolling scar (M)",
            r.size_words()
        ));
        return Subtype::Rolling;
    }
    let (active, scar) = raised_score(r);
    // domain.md §1: active acne shows strong redness; a raised bump without it is not active acne.
    if active > scar && (r.red() || r.pustule_head()) {
        active_acne_subtype(r, v)
    } else {
        raised_scar_subtype(r, v)
    }
}

/// The raised score: the summed weights ([`crate::profile::RaisedScoreWeights`]) of the signs of active
/// acne and of a raised scar that the region shows, in that order.
fn raised_score(r: &Region) -> (f64, f64) {
    let w = &r.rules.raised_score;
    let (red, small, plateau) = (r.red(), r.small_active(), r.plateau());
    let active = [
        (r.pustule_head(), w.active_head),
        (red && r.red_halo(), w.active_red_halo),
        (small, w.active_small),
        (!plateau, w.active_dome),
    ];
    let scar = [
        (!small, w.scar_large),
        (plateau, w.scar_plateau),
        (r.glossy(), w.scar_glossy),
        (r.elongated(), w.scar_elongated),
        (!red, w.scar_not_red),
    ];
    // Summed in this order from 0.0, as the weights are listed.
    let total = |signs: &[(bool, f64)]| {
        signs
            .iter()
            .filter(|(shown, _)| *shown)
            .fold(0.0, |sum, (_, weight)| sum + weight)
    };
    (total(&active), total(&scar))
}

/// Active acne: a pustule with a pale head, else a papule.
fn active_acne_subtype(r: &Region, v: &mut Verdict) -> Subtype {
    let head = r.pustule_head();
    let st = if head {
        Subtype::Pustule
    } else {
        Subtype::Papule
    };
    v.because(format!(
        "{}, red (Δa* {:+.1}){}{}: active acne ({})",
        r.size_words(),
        r.m.delta_a,
        if r.red_halo() { " with a red halo" } else { "" },
        if head { " and a pale head" } else { "" },
        st.as_str()
    ));
    st
}

/// A raised scar: keloid when large, irregular or dusky, else hypertrophic; one that is not red is weak
/// evidence and not reported.
fn raised_scar_subtype(r: &Region, v: &mut Verdict) -> Subtype {
    let st = raised_scar_kind(r);
    let keloid = st == Subtype::Keloid;
    if !r.red() {
        // domain.md §1: raised scars are pink/red; a skin-coloured bump is weak evidence.
        v.scale(r.rules.uncoloured_raised_confidence);
        v.reportable = false;
        v.because("raised but not red: weak evidence of a raised scar".to_string());
    }
    v.because(format!(
        "{}{}{}{}: raised scar ({})",
        r.size_words(),
        if r.glossy() { ", glossy" } else { "" },
        if r.elongated() { ", elongated" } else { "" },
        if keloid {
            ", large/irregular/dusky"
        } else {
            ""
        },
        st.as_str()
    ));
    st
}

/// The kind of a raised scar: keloid when large, irregular or dusky, else hypertrophic (domain.md §1).
fn raised_scar_kind(r: &Region) -> Subtype {
    if r.keloid() {
        Subtype::Keloid
    } else {
        Subtype::Hypertrophic
    }
}

/// Flat subtype: a pale head on a red spot is a pustule; flat regions are otherwise erythematous or
/// pigmented marks, never scars (domain.md §1).
fn flat_subtype(r: &Region, v: &mut Verdict) -> Subtype {
    let m = r.m;
    if r.pustule_head() {
        v.because("a pale head on a red spot: pustule".to_string());
        Subtype::Pustule
    } else if r.erythema() {
        v.because(format!(
            "{}, red (Δa* {:+.1}) without relief: erythematous mark",
            r.size_words(),
            m.delta_a
        ));
        Subtype::Erythematous
    } else {
        v.because(format!(
            "{}, darker or browner (ΔL* {:+.1}) without relief: pigmented mark",
            r.size_words(),
            m.delta_l
        ));
        Subtype::Pigmented
    }
}

/// Subtype when the relief cannot be read, on colour and size with a lower confidence: red kinds by head,
/// halo, gloss and size; a darker region of the skin's own chromaticity, or a tiny dark hole, is a pit (a
/// shadow, domain.md §1/§4); anything else browner is a pigmented mark.
fn unknown_relief_subtype(r: &Region, v: &mut Verdict) -> Subtype {
    let (m, size) = (r.m, r.size_words());
    v.scale(r.rules.unknown_relief_confidence);
    if r.pustule_head() {
        v.because("a pale head on a red spot: pustule".to_string());
        Subtype::Pustule
    } else if r.red() && r.red_halo() && r.small_active() {
        v.because(format!(
            "{size}, red with a halo (Δa* {:+.1}): papule",
            m.delta_a
        ));
        Subtype::Papule
    } else if r.red() && (r.glossy() || r.large_keloid()) {
        v.because(format!(
            "{size}, red and glossy or large: raised scar assumed"
        ));
        if r.large_keloid() {
            Subtype::Keloid
        } else {
            Subtype::Hypertrophic
        }
    } else if r.red() {
        v.because(format!(
            "{size}, red (Δa* {:+.1}): erythematous mark",
            m.delta_a
        ));
        Subtype::Erythematous
    } else if m.delta_l < 0.0 && !r.pigment() {
        v.because(
            "darker with the same chromaticity as the skin around: a shadow, so a pit".to_string(),
        );
        atrophic_subtype(r, v)
    } else if r.tiny_dark_hole() {
        v.because(format!(
            "{size}, much darker at the centre (ΔL* {:+.1}) and barely browner: a shadowed pit",
            m.delta_l
        ));
        atrophic_subtype(r, v)
    } else {
        v.because(format!(
            "{size}, browner (Δln(G/B) {:+.2}): pigmented mark",
            m.delta_gb
        ));
        Subtype::Pigmented
    }
}
