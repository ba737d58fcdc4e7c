//! Summarise stage: counts, dominant family, grading estimates and the microneedling verdict.
//!
//! - Goodman & Baron qualitative 1 / 2 / 3 (3 stands for 3-4: a photo cannot do the stretch test) and
//!   quantitative (points x count band 1-10 / 11-20 / > 20), ECCA (weight x band < 5 / 5-20 / > 20), all
//!   from domain.md §2 and labelled as estimates.
//! - Verdict (domain.md §3): typical when atrophic scars dominate and there is no active inflammation, with
//!   caveats for ice-pick- and rolling-dominant pictures; not typical for raised scars, active acne or
//!   nothing to treat; uncertain when the photo is not usable. What no photo shows is always listed.

use std::collections::BTreeMap;

use crate::analysis::decide::{Decision, FAMILIES};
use crate::analysis::picture::{FEATURES, N_FEATURES};
use crate::profile::SummaryRules;
use crate::report::{
    Dominant, Family, Microneedling, Region, RegionClass, Subtype, Summary, Verdict,
};

/// Typical course quoted as information (domain.md §3).
pub const TYPICAL_COURSE: &str =
    "median 3 sessions about 4 weeks apart with 1.5 mm needles in published studies; \
clinics quote 4-6 sessions 3-6 weeks apart (information, not advice)";

/// What a photo cannot show (domain.md §3).
pub fn cannot_assess() -> Vec<String> {
    [
        "keloid tendency or history of keloids",
        "isotretinoin in the last 3-6 months (a 'discuss' flag, not an exclusion)",
        "anticoagulants or bleeding disorders",
        "local infection or a history of herpes (antiviral cover)",
        "pregnancy",
        "immunosuppression",
        "eczema or rosacea in the area",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Count band used by Goodman & Baron quantitative: 1-10, 11-20, > 20 lesions -> 1, 2, 3 (0 for none).
fn gb_band(n: u32) -> f64 {
    match n {
        0 => 0.0,
        1..=10 => 1.0,
        11..=20 => 2.0,
        _ => 3.0,
    }
}

/// Count band used by ECCA: 0 none, 1 = < 5, 2 = 5-20, 3 = > 20.
fn ecca_band(n: u32) -> f64 {
    match n {
        0 => 0.0,
        1..=4 => 1.0,
        5..=20 => 2.0,
        _ => 3.0,
    }
}

/// Summary of the regions of one image.
pub fn summarise(regions: &[Region], px_per_mm: Option<f64>, rules: &SummaryRules) -> Summary {
    let counted: Vec<&Region> = regions
        .iter()
        .filter(|r| r.confidence >= rules.min_confidence)
        .collect();
    let mut counts: BTreeMap<String, u32> = Subtype::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for r in &counted {
        *counts.entry(r.subtype.as_str().to_string()).or_default() += 1;
    }
    let c = |s: Subtype| counts.get(s.as_str()).copied().unwrap_or(0);
    let atrophic = c(Subtype::IcePick) + c(Subtype::Boxcar) + c(Subtype::Rolling);
    let raised = c(Subtype::Hypertrophic) + c(Subtype::Keloid);
    let inflammatory = c(Subtype::Papule) + c(Subtype::Pustule);
    let flat = c(Subtype::Pigmented) + c(Subtype::Erythematous);
    // A tie goes to the raised family: as many raised scars as sunken ones is no typical microneedling
    // picture, since keloid tendency is a contraindication (domain.md, microneedling).
    let dominant = if atrophic == 0 && raised == 0 {
        Dominant::None
    } else if atrophic > raised {
        Dominant::Atrophic
    } else {
        Dominant::Hypertrophic
    };
    let family: &[Subtype] = match dominant {
        Dominant::Atrophic => &[Subtype::IcePick, Subtype::Boxcar, Subtype::Rolling],
        Dominant::Hypertrophic => &[Subtype::Hypertrophic, Subtype::Keloid],
        Dominant::None => &[],
    };
    // Most frequent subtype of the dominant family; ties go to the earlier one in contract order.
    let dominant_subtype =
        family
            .iter()
            .copied()
            .fold(None, |best: Option<Subtype>, s| match best {
                Some(b) if c(b) >= c(s) => Some(b),
                _ if c(s) > 0 => Some(s),
                _ => best,
            });
    let active = inflammatory >= rules.min_inflammatory.max(1);
    let deep = counted
        .iter()
        .filter(|r| r.class == RegionClass::Atrophic && r.depth_proxy <= -rules.deep_depth_proxy)
        .count() as u32;
    let scars = atrophic + raised;
    let qualitative = if scars == 0 {
        if flat > 0 {
            Some(1)
        } else {
            None
        }
    } else if scars >= rules.grade3_min_scars || deep >= 3 || c(Subtype::Keloid) > 0 {
        Some(3)
    } else {
        Some(2)
    };
    // Quantitative: milder (macular) 1/2/3; moderate (boxcar-like < 5 mm, shallow broad) 2/4/6;
    // severe (ice pick, punched-out > 5 mm, deep broad) 3/6/9; raised scars by area 6/12/18.
    let mut boxcar_small = 0u32;
    let mut boxcar_large = 0u32;
    let mut rolling_shallow = 0u32;
    let mut rolling_deep = 0u32;
    let mut raised_area_cm2 = 0.0f64;
    for r in &counted {
        match r.subtype {
            Subtype::Boxcar => match r.diameter_mm {
                Some(d) if d > 5.0 => boxcar_large += 1,
                _ => boxcar_small += 1,
            },
            Subtype::Rolling => {
                if r.depth_proxy <= -rules.deep_depth_proxy {
                    rolling_deep += 1
                } else {
                    rolling_shallow += 1
                }
            }
            Subtype::Hypertrophic | Subtype::Keloid => {
                if let Some(s) = px_per_mm {
                    raised_area_cm2 += r.area_px / (s * s) / 100.0;
                }
            }
            _ => {}
        }
    }
    let mut gbq = 1.0 * gb_band(flat)
        + 2.0 * gb_band(boxcar_small + rolling_shallow)
        + 3.0 * gb_band(c(Subtype::IcePick) + boxcar_large + rolling_deep);
    if raised > 0 {
        gbq += match px_per_mm {
            Some(_) if raised_area_cm2 > 20.0 => 18.0,
            Some(_) if raised_area_cm2 >= 5.0 => 12.0,
            _ => 6.0,
        };
    }
    let ecca = 15.0 * ecca_band(c(Subtype::IcePick))
        + 20.0 * ecca_band(c(Subtype::Boxcar))
        + 25.0 * ecca_band(c(Subtype::Rolling))
        + 40.0 * ecca_band(c(Subtype::Hypertrophic))
        + 50.0 * ecca_band(c(Subtype::Keloid));
    let mut notes = vec![
        format!(
            "{} regions counted ({} atrophic, {} raised, {} active, {} flat marks); counts are estimates (raters \
             disagree widely on real scars)",
            counted.len(),
            atrophic,
            raised,
            inflammatory,
            flat
        ),
        "Goodman & Baron grades and ECCA are estimates from one photo: no stretch test (grade 3 stands for 3-4), \
         tables not checked against the papers; a change under ~4 quantitative points is noise"
            .to_string(),
    ];
    if px_per_mm.is_none() {
        notes.push(
            "no scale: sizes are relative, raised-scar areas are counted at the smallest band"
                .to_string(),
        );
    }
    if regions.len() > counted.len() {
        notes.push(format!(
            "{} low-confidence regions are listed but not counted",
            regions.len() - counted.len()
        ));
    }
    Summary {
        counts,
        dominant,
        dominant_subtype,
        active_inflammation: active,
        goodman_baron_qualitative: qualitative,
        goodman_baron_quantitative: Some(gbq),
        ecca: Some(ecca),
        notes,
        family: None,
        family_confidence: 0.0,
        family_probabilities: BTreeMap::new(),
        features: Default::default(),
    }
}

/// Puts the scoring table's answer into the summary: the family decides `dominant` and the inflammation
/// flag; `dominant_subtype` is the most frequent region subtype of that family (`null` when none was found).
pub fn apply_decision(s: &mut Summary, d: &Decision, picture: &[f64; N_FEATURES]) {
    s.family = d.family;
    s.family_confidence = crate::report::round_sig(d.confidence);
    // From the regions (scale given) the family decides nothing new: keep the counts' own answer.

    s.family_probabilities = FAMILIES
        .iter()
        .zip(d.probabilities)
        .map(|(f, p)| (f.as_str().to_string(), crate::report::round_sig(p)))
        .collect();
    s.features = FEATURES
        .iter()
        .zip(picture)
        .map(|(f, v)| (f.name.to_string(), crate::report::num(*v)))
        .collect();
    if d.from_regions {
        s.notes.push(
            "the scale is given: the family, the active-acne flag and the verdict come from the regions found \
             one by one (the picture's scoring table is for photos without a scale)"
                .into(),
        );
        return;
    }
    s.dominant = match d.family {
        Some(Family::Atrophic) => Dominant::Atrophic,
        Some(Family::Raised) => Dominant::Hypertrophic,
        _ => Dominant::None,
    };
    s.active_inflammation = d.active;
    let c = |t: Subtype| s.counts.get(t.as_str()).copied().unwrap_or(0);
    let kinds: &[Subtype] = match d.family {
        Some(Family::Atrophic) => &[Subtype::IcePick, Subtype::Boxcar, Subtype::Rolling],
        Some(Family::Raised) => &[Subtype::Hypertrophic, Subtype::Keloid],
        Some(Family::Active) => &[Subtype::Papule, Subtype::Pustule],
        Some(Family::Flat) => &[Subtype::Pigmented, Subtype::Erythematous],
        Some(Family::Clear) | None => &[],
    };
    // Most frequent subtype of the family; ties go to the earlier one in contract order.
    s.dominant_subtype = kinds.iter().copied().filter(|&t| c(t) > 0).fold(
        None,
        |best: Option<Subtype>, t| match best {
            Some(b) if c(b) >= c(t) => Some(b),
            _ => Some(t),
        },
    );
    s.notes.push(
        "the family, the active-acne flag and the verdict come from the scoring table over the picture \
         features (summary.features); region counts are listed as found"
            .into(),
    );
}

/// The microneedling verdict for one image (domain.md §3): active acne first, then the picture's family.
pub fn verdict(
    summary: &Summary,
    d: &Decision,
    usable: bool,
    quality_notes: &[String],
) -> Microneedling {
    let mut reasons = Vec::new();
    let verdict = if !usable {
        reasons.push(format!(
            "the photo is not good enough to judge{}",
            if quality_notes.is_empty() {
                String::new()
            } else {
                format!(": {}", quality_notes.join("; "))
            }
        ));
        Verdict::Uncertain
    } else if summary.active_inflammation {
        reasons.push(
            "active acne is seen: it is treated first; microneedling is not done over active acne"
                .into(),
        );
        reasons.extend(d.reasons.iter().cloned());
        Verdict::NotTypical
    } else {
        reasons.extend(d.reasons.iter().cloned());
        match (d.family, summary.dominant) {
            (None, _) => {
                reasons.push(
                    "the picture does not show clearly enough which kind of finding it is: no verdict".into(),
                );
                Verdict::Uncertain
            }
            (Some(Family::Flat), _) => {
                reasons.push(
                    "flat marks (pigment or redness) without sunken scars: they fade or are treated for colour, \
                     not the typical microneedling picture"
                        .into(),
                );
                Verdict::NotTypical
            }
            (_, Dominant::None) => {
                reasons.push("no scars found: nothing for microneedling to treat".into());
                Verdict::NotTypical
            }
            (_, Dominant::Hypertrophic) => {
                reasons.push(
                    "raised scars dominate: they are usually treated with silicone, steroid injections, cryotherapy \
                     or surgery, not microneedling"
                        .into(),
                );
                Verdict::NotTypical
            }
            (_, Dominant::Atrophic) => {
                reasons.push("atrophic (sunken) scars dominate and no active acne is seen".into());
                match summary.dominant_subtype {
                    Some(Subtype::IcePick) => reasons.push(
                        "ice-pick scars dominate: they respond only slightly to microneedling; TCA CROSS or punch \
                         excision is usually preferred or added"
                            .into(),
                    ),
                    Some(Subtype::Rolling) => reasons.push(
                        "rolling scars dominate: they respond well; subcision is often done first or alongside".into(),
                    ),
                    Some(Subtype::Boxcar) => {
                        reasons.push("boxcar scars dominate: shallow ones respond well to microneedling".into())
                    }
                    _ => {}
                }
                Verdict::Typical
            }
        }
    };
    Microneedling {
        verdict,
        reasons,
        cannot_assess: cannot_assess(),
        typical_course: Some(TYPICAL_COURSE.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(id: u32, subtype: Subtype) -> Region {
        Region {
            id,
            ..Region::example(subtype, 0.85)
        }
    }

    #[test]
    fn a_tie_between_raised_and_sunken_scars_is_no_typical_picture() {
        let rules = SummaryRules::default();
        let tie = [region(1, Subtype::Keloid), region(2, Subtype::Boxcar)];
        let s = summarise(&tie, None, &rules);
        assert_eq!(s.dominant, Dominant::Hypertrophic);
        assert_eq!(s.dominant_subtype, Some(Subtype::Keloid));
        let more_sunken = [
            region(1, Subtype::Keloid),
            region(2, Subtype::Boxcar),
            region(3, Subtype::IcePick),
        ];
        assert_eq!(
            summarise(&more_sunken, None, &rules).dominant,
            Dominant::Atrophic
        );
        assert_eq!(summarise(&[], None, &rules).dominant, Dominant::None);
    }
}
