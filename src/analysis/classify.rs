//! Classify stage: relief sign, family and subtype of each measured region, with a confidence and reasons.
//!
//! Rules (domain.md §1, §4): relief is read from the antisymmetric shading along the light (a flat mark has
//! none); depressed regions are atrophic and split by width and wall profile (ice pick < 2 mm V-shaped,
//! boxcar 1.5-4 mm with a flat floor and steep rim, rolling > 4 mm soft); raised regions are active acne
//! when small with a red halo or a white-yellow head, hypertrophic when glossy, larger or elongated, keloid
//! when large, irregular or dusky; flat regions are pigmented or erythematous, never scars. Under flat light
//! the rules fall back on colour (shading-invariant chromaticity tells a shadow from a brown mark) and size,
//! with a lower confidence. Without a scale, sizes are relative to the picture and confidence is lowered.

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

fn size_words(m: &Measured, ctx: &ClassifyContext) -> String {
    match m.diameter_mm {
        Some(d) => format!("{d:.1} mm wide"),
        None => format!(
            "{:.0} % of the picture's shorter side wide (no scale)",
            100.0 * 2.0 * m.radius / ctx.short_side
        ),
    }
}

/// Classifies one measured region.
pub fn classify(m: &Measured, ctx: &ClassifyContext, rules: &ClassifyRules) -> Classified {
    let mut reasons = Vec::new();
    let relief_known = ctx.light_confidence >= rules.min_light_confidence
        && m.radius >= rules.min_relief_radius_px;
    // Shading scales R, G and B alike: a change in lightness without a change in log chromaticity is light
    // and shadow (a pit's dark floor), not pigment or blood.
    let neutral = m.delta_gb.abs() < rules.neutral_chromaticity
        && m.delta_rg.abs() < rules.neutral_chromaticity;
    // domain.md §1: an ice pick is a small dark pit, darkest at its centre; JPEG chroma blurs its shadow's
    // colour a little towards brown, but a brown mark is far browner (ln(G/B) > 0.15) and wider.
    let tiny_dark_hole = m.delta_l <= -rules.pit_delta_l
        && m.centre_level <= -rules.v_centre_level
        && m.delta_gb < rules.colourful_chromaticity
        && m.delta_rg.abs() < rules.colourful_chromaticity
        && m.diameter_mm.is_some_and(|d| d < rules.boxcar_min_mm);
    // A pit seen by its occlusion: much darker, darkest at the centre, with the skin's own chromaticity.
    let shadowed_pit =
        (neutral || tiny_dark_hole) && m.delta_l <= -rules.pit_delta_l && m.centre_level < 0.0;
    // A strongly coloured mark (brown or red) needs clearer one-sided shading: its colour edge, offset by a
    // neighbour or the mask, can mimic a weak shading pair.
    let colourful = m.delta_gb.abs() >= rules.colourful_chromaticity
        || m.delta_rg.abs() >= rules.colourful_chromaticity;
    let filter_pit = m.depression_z.is_some()
        && !colourful
        && m.delta_a < rules.red_delta_a
        && m.mean_level >= rules.soft_pit_min_level;
    let mut soft_pit = false;
    let relief = if !relief_known {
        Relief::Unknown
    } else if m.depression_z.is_some() {
        // Found by the depression pass: its along-light derivative, a matched filter for a sloping bowl, is
        // a surer relief reading for a faint wide pit than the moments over a disc full of mottling; a
        // strongly coloured or darker region (a mark's or a raised lesion's edge, a melanin patch) is not
        // trusted on it.
        if filter_pit {
            soft_pit = true;
            Relief::Depressed
        } else {
            Relief::Flat
        }
    } else if m.relief_amplitude.abs() >= rules.min_relief_amplitude
        && ((m.antisymmetry >= rules.min_antisymmetry && !colourful)
            || m.antisymmetry >= rules.min_antisymmetry_colourful
            || (neutral && m.antisymmetry >= rules.min_antisymmetry_neutral)
            || (m.relief_amplitude.abs() >= rules.strong_relief_amplitude
                && m.antisymmetry >= rules.min_antisymmetry_strong
                // The big symmetric colour part this allows for is a red lesion's; a brown mark's dark
                // edge, offset in the disc, is not relief (melanin raises ln(G/B), domain.md §1 PIH).
                && m.delta_gb < rules.colourful_chromaticity))
    {
        if m.relief_amplitude < 0.0 {
            Relief::Depressed
        } else {
            Relief::Raised
        }
    } else if shadowed_pit
        && !(m.relief_amplitude > 0.0 && m.antisymmetry >= rules.min_antisymmetry)
    {
        Relief::Depressed
    } else {
        Relief::Flat
    };
    match relief {
        Relief::Depressed if m.antisymmetry < rules.min_antisymmetry && shadowed_pit => reasons.push(format!(
            "depressed: dark at the centre (ΔL* {:+.1}) with the skin's own chromaticity, a shadowed pit, not pigment",
            m.delta_l
        )),
        Relief::Depressed if soft_pit => reasons.push(format!(
            "depressed: the luminance falls towards the light across the region, a soft dark-near/bright-far pair ({:.1} robust deviations)",
            m.depression_z.unwrap_or(0.0)
        )),
        Relief::Depressed => reasons.push(format!(
            "depressed: dark on the side facing the light, bright on the far side ({:.0} % of the shading is one-sided)",
            100.0 * m.antisymmetry
        )),
        Relief::Raised => reasons.push(format!(
            "raised: bright on the side facing the light, shadowed on the far side ({:.0} % of the shading is one-sided)",
            100.0 * m.antisymmetry
        )),
        Relief::Flat => reasons.push(format!(
            "flat: no bright/dark pair along the light ({:.0} % one-sided shading), colour only",
            100.0 * m.antisymmetry
        )),
        Relief::Unknown => reasons.push(if ctx.light_confidence < rules.min_light_confidence {
            "relief unknown: the light is too flat to read shading, judged on colour and size".to_string()
        } else {
            "relief unknown: the region is too small to read shading, judged on colour and size".to_string()
        }),
    }
    let d_rel = 2.0 * m.radius / ctx.short_side.max(1.0);
    // Δa* shrinks with lightness (a* ~ L* x chromaticity), so on dark skin a red lesion's Δa* can stay small;
    // haemoglobin's own sign in shading-invariant chromaticity (R/G up, G/B down; melanin raises G/B) says
    // red there too.
    // A deep pit's shadow is not neutral after JPEG chroma subsampling: the chromaticity reading needs a* to
    // rise at least a little and the region not to be as dark as a shadowed pit.
    let red = m.delta_a >= rules.red_delta_a
        || (m.delta_rg >= rules.red_ln_rg
            && m.delta_gb <= 0.0
            && m.delta_a > 0.0
            && m.delta_l > -rules.pit_delta_l);
    let halo = m.halo_a >= rules.halo_delta_a;
    let head = m.head_delta_l >= rules.pustule_head_delta_l && m.head_delta_b >= -1.0 && red;
    let pigment = m.delta_gb >= rules.pigment_chromaticity;
    let glossy = m.gloss >= rules.glossy_fraction;
    let elongated = m.eccentricity >= rules.elongated_eccentricity;
    let size = size_words(m, ctx);
    let small_active = match m.diameter_mm {
        Some(d) => d <= rules.papule_max_mm,
        None => d_rel <= rules.unscaled_rolling_fraction,
    };
    let large_keloid = match m.diameter_mm {
        Some(d) => d >= rules.keloid_min_mm,
        None => d_rel >= 2.0 * rules.unscaled_rolling_fraction,
    };
    let mut reportable = true;
    let mut conf: f64 = 0.55 + 0.3 * ((m.z - ctx.min_z) / ctx.min_z.max(1.0)).clamp(0.0, 1.0);

    let atrophic = |reasons: &mut Vec<String>, conf: &mut f64| -> Subtype {
        // A region found only by its soft shading pair has no measured wall: its rim share is mottling.
        let steep = m.rim_fraction >= rules.steep_rim_fraction && m.depression_z.is_none();
        // domain.md §1: V = darkest at the centre, tapering; U = flat floor, steep rim.
        let v_shaped = m.centre_level <= -rules.v_centre_level;
        let profile = if v_shaped {
            "darkest at the centre, tapering (V)"
        } else if steep {
            "flat floor and steep rim (U)"
        } else {
            "soft sloping edges"
        };
        let st = match m.diameter_mm {
            Some(d) => {
                if d < rules.boxcar_min_mm {
                    Subtype::IcePick
                } else if d < rules.ice_pick_max_mm {
                    // The overlap zone: size cannot separate them, the wall profile does.
                    *conf *= 0.85;
                    if v_shaped {
                        Subtype::IcePick
                    } else {
                        Subtype::Boxcar
                    }
                } else if d <= rules.rolling_min_mm || (steep && d <= rules.rolling_min_mm + 1.0) {
                    Subtype::Boxcar
                } else {
                    Subtype::Rolling
                }
            }
            None => {
                *conf *= rules.unscaled_confidence;
                if d_rel > rules.unscaled_rolling_fraction && !steep && !v_shaped {
                    Subtype::Rolling
                } else if v_shaped || (d_rel < rules.unscaled_ice_pick_fraction && !steep) {
                    Subtype::IcePick
                } else {
                    Subtype::Boxcar
                }
            }
        };
        reasons.push(format!(
            "{size} with {profile}: {}",
            st.as_str().replace('_', " ")
        ));
        if m.diameter_mm.is_none() {
            reasons.push(
                "no scale: the size rule is relative, so the subtype is less certain".to_string(),
            );
        }
        st
    };

    let subtype = match relief {
        Relief::Depressed => atrophic(&mut reasons, &mut conf),
        // domain.md §1: a rolling scar is a wide, shallow, undulating M (its tethered centre rises between
        // sloping edges) of skin colour; raised scars and active acne are red. A wide, weakly shaded,
        // skin-coloured undulation is read as rolling.
        Relief::Raised
            if !red
                && !head
                && m.relief_amplitude.abs() < rules.strong_relief_amplitude
                && match m.diameter_mm {
                    Some(d) => d >= rules.undulation_min_mm,
                    None => d_rel >= rules.unscaled_rolling_fraction,
                } =>
        {
            conf *= rules.undulation_confidence;
            reasons.push(format!(
                "{size}, skin-coloured and softly undulating (weak shading, no redness): rolling scar (M)"
            ));
            Subtype::Rolling
        }
        Relief::Raised => {
            let w = &rules.raised_score;
            let mut inflam = 0.0;
            let mut hyper = 0.0;
            if head {
                inflam += w.active_head;
            }
            if red && halo {
                inflam += w.active_red_halo;
            }
            if small_active {
                inflam += w.active_small;
            } else {
                hyper += w.scar_large;
            }
            // A papule is a dome (shading spread over the whole radius); a raised scar a plateau with a
            // steep edge (shading at the rim).
            if m.rim_fraction >= rules.plateau_rim_fraction {
                hyper += w.scar_plateau;
            } else {
                inflam += w.active_dome;
            }
            if glossy {
                hyper += w.scar_glossy;
            }
            if elongated {
                hyper += w.scar_elongated;
            }
            if !red {
                hyper += w.scar_not_red;
            }
            // domain.md §1: active acne shows strong redness; a raised bump without it is not active acne.
            if inflam > hyper && (red || head) {
                let st = if head {
                    Subtype::Pustule
                } else {
                    Subtype::Papule
                };
                reasons.push(format!(
                    "{size}, red (Δa* {:+.1}){}{}: active acne ({})",
                    m.delta_a,
                    if halo { " with a red halo" } else { "" },
                    if head { " and a pale head" } else { "" },
                    st.as_str()
                ));
                st
            } else {
                let dusky = red && m.delta_b < rules.keloid_dusky_delta_b;
                let keloid = large_keloid || m.circularity < rules.keloid_max_circularity || dusky;
                let st = if keloid {
                    Subtype::Keloid
                } else {
                    Subtype::Hypertrophic
                };
                if !red {
                    // domain.md §1: raised scars are pink/red; a skin-coloured bump is weak evidence.
                    conf *= rules.uncoloured_raised_confidence;
                    reportable = false;
                    reasons.push("raised but not red: weak evidence of a raised scar".to_string());
                }
                reasons.push(format!(
                    "{size}{}{}{}: raised scar ({})",
                    if glossy { ", glossy" } else { "" },
                    if elongated { ", elongated" } else { "" },
                    if keloid {
                        ", large/irregular/dusky"
                    } else {
                        ""
                    },
                    st.as_str()
                ));
                st
            }
        }
        Relief::Flat => {
            if head {
                reasons.push("a pale head on a red spot: pustule".to_string());
                Subtype::Pustule
            } else if red && m.delta_a >= -m.delta_l * 0.5 {
                reasons.push(format!(
                    "{size}, red (Δa* {:+.1}) without relief: erythematous mark",
                    m.delta_a
                ));
                Subtype::Erythematous
            } else {
                reasons.push(format!(
                    "{size}, darker or browner (ΔL* {:+.1}) without relief: pigmented mark",
                    m.delta_l
                ));
                Subtype::Pigmented
            }
        }
        Relief::Unknown => {
            conf *= rules.unknown_relief_confidence;
            if head {
                reasons.push("a pale head on a red spot: pustule".to_string());
                Subtype::Pustule
            } else if red && halo && small_active {
                reasons.push(format!(
                    "{size}, red with a halo (Δa* {:+.1}): papule",
                    m.delta_a
                ));
                Subtype::Papule
            } else if red && (glossy || large_keloid) {
                reasons.push(format!(
                    "{size}, red and glossy or large: raised scar assumed"
                ));
                if large_keloid {
                    Subtype::Keloid
                } else {
                    Subtype::Hypertrophic
                }
            } else if red {
                reasons.push(format!(
                    "{size}, red (Δa* {:+.1}): erythematous mark",
                    m.delta_a
                ));
                Subtype::Erythematous
            } else if m.delta_l < 0.0 && !pigment {
                reasons.push(
                    "darker with the same chromaticity as the skin around: a shadow, so a pit"
                        .to_string(),
                );
                atrophic(&mut reasons, &mut conf)
            } else if tiny_dark_hole {
                reasons.push(format!(
                    "{size}, much darker at the centre (ΔL* {:+.1}) and barely browner: a shadowed pit",
                    m.delta_l
                ));
                atrophic(&mut reasons, &mut conf)
            } else {
                reasons.push(format!(
                    "{size}, browner (Δln(G/B) {:+.2}): pigmented mark",
                    m.delta_gb
                ));
                Subtype::Pigmented
            }
        }
    };
    Classified {
        subtype,
        relief,
        confidence: conf.clamp(0.05, 0.99),
        reasons,
        reportable,
    }
}
