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

/// The sunken-scar subtypes, in contract order.
const ATROPHIC_KINDS: &[Subtype] = &[Subtype::IcePick, Subtype::Boxcar, Subtype::Rolling];

/// The raised-scar subtypes, in contract order.
const RAISED_KINDS: &[Subtype] = &[Subtype::Hypertrophic, Subtype::Keloid];

/// Number of counted regions of subtype `s`.
fn count(counts: &BTreeMap<String, u32>, s: Subtype) -> u32 {
    counts.get(s.as_str()).copied().unwrap_or(0)
}

/// Counted regions per subtype, every subtype listed (0 when none).
fn count_subtypes(counted: &[&Region]) -> BTreeMap<String, u32> {
    let mut counts: BTreeMap<String, u32> = Subtype::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for r in counted {
        *counts.entry(r.subtype.as_str().to_string()).or_default() += 1;
    }
    counts
}

/// Most frequent of `kinds` among the counts (`None` when none was found); ties go to the earlier one in
/// contract order.
fn most_frequent(kinds: &[Subtype], counts: &BTreeMap<String, u32>) -> Option<Subtype> {
    let c = |s: Subtype| count(counts, s);
    kinds
        .iter()
        .copied()
        .filter(|&t| c(t) > 0)
        .fold(None, |best: Option<Subtype>, t| match best {
            Some(b) if c(b) >= c(t) => Some(b),
            _ => Some(t),
        })
}

/// Dominant scar family from the atrophic and raised counts.
fn dominant_family(atrophic: u32, raised: u32) -> Dominant {
    // A tie goes to the raised family: as many raised scars as sunken ones is no typical microneedling
    // picture, since keloid tendency is a contraindication (domain.md, microneedling).
    if atrophic == 0 && raised == 0 {
        Dominant::None
    } else if atrophic > raised {
        Dominant::Atrophic
    } else {
        Dominant::Hypertrophic
    }
}

/// Goodman & Baron qualitative grade (1 macular, 2, 3 standing for 3-4), `None` with nothing to grade.
fn qualitative_grade(
    scars: u32,
    flat: u32,
    deep: u32,
    keloids: u32,
    rules: &SummaryRules,
) -> Option<u8> {
    if scars == 0 {
        if flat > 0 {
            Some(1)
        } else {
            None
        }
    } else if scars >= rules.grade3_min_scars || deep >= 3 || keloids > 0 {
        Some(3)
    } else {
        Some(2)
    }
}

/// Counts by Goodman & Baron quantitative severity, and the raised scars' area.
#[derive(Default)]
struct Severity {
    boxcar_small: u32,
    boxcar_large: u32,
    rolling_shallow: u32,
    rolling_deep: u32,
    raised_area_cm2: f64,
}

impl Severity {
    /// Sorts the counted boxcar, rolling and raised regions by size and depth.
    fn of(counted: &[&Region], px_per_mm: Option<f64>, rules: &SummaryRules) -> Self {
        let mut s = Severity::default();
        for r in counted {
            match r.subtype {
                Subtype::Boxcar => match r.diameter_mm {
                    Some(d) if d > 5.0 => s.boxcar_large += 1,
                    _ => s.boxcar_small += 1,
                },
                Subtype::Rolling => {
                    if r.depth_proxy <= -rules.deep_depth_proxy {
                        s.rolling_deep += 1
                    } else {
                        s.rolling_shallow += 1
                    }
                }
                Subtype::Hypertrophic | Subtype::Keloid => {
                    if let Some(px) = px_per_mm {
                        s.raised_area_cm2 += r.area_px / (px * px) / 100.0;
                    }
                }
                _ => {}
            }
        }
        s
    }
}

/// Goodman & Baron quantitative score: points x count band per severity, raised scars by area.
fn gb_quantitative(
    counts: &BTreeMap<String, u32>,
    flat: u32,
    raised: u32,
    sev: &Severity,
    px_per_mm: Option<f64>,
) -> f64 {
    // Quantitative: milder (macular) 1/2/3; moderate (boxcar-like < 5 mm, shallow broad) 2/4/6;
    // severe (ice pick, punched-out > 5 mm, deep broad) 3/6/9; raised scars by area 6/12/18.
    let mut gbq = 1.0 * gb_band(flat)
        + 2.0 * gb_band(sev.boxcar_small + sev.rolling_shallow)
        + 3.0 * gb_band(count(counts, Subtype::IcePick) + sev.boxcar_large + sev.rolling_deep);
    if raised > 0 {
        gbq += match px_per_mm {
            Some(_) if sev.raised_area_cm2 > 20.0 => 18.0,
            Some(_) if sev.raised_area_cm2 >= 5.0 => 12.0,
            _ => 6.0,
        };
    }
    gbq
}

/// ECCA score: weight x count band per subtype.
fn ecca_score(counts: &BTreeMap<String, u32>) -> f64 {
    let c = |s: Subtype| count(counts, s);
    15.0 * ecca_band(c(Subtype::IcePick))
        + 20.0 * ecca_band(c(Subtype::Boxcar))
        + 25.0 * ecca_band(c(Subtype::Rolling))
        + 40.0 * ecca_band(c(Subtype::Hypertrophic))
        + 50.0 * ecca_band(c(Subtype::Keloid))
}

/// Regions counted per family.
struct Families {
    atrophic: u32,
    raised: u32,
    inflammatory: u32,
    flat: u32,
}

impl Families {
    /// The family totals of the subtype counts.
    fn of(counts: &BTreeMap<String, u32>) -> Self {
        let c = |s: Subtype| count(counts, s);
        Families {
            atrophic: c(Subtype::IcePick) + c(Subtype::Boxcar) + c(Subtype::Rolling),
            raised: c(Subtype::Hypertrophic) + c(Subtype::Keloid),
            inflammatory: c(Subtype::Papule) + c(Subtype::Pustule),
            flat: c(Subtype::Pigmented) + c(Subtype::Erythematous),
        }
    }
}

/// The summary's notes: what was counted, the grades' limits, a missing scale, regions left out.
fn summary_notes(
    f: &Families,
    n_counted: usize,
    n_regions: usize,
    px_per_mm: Option<f64>,
) -> Vec<String> {
    let mut notes = vec![
        format!(
            "{} regions counted ({} atrophic, {} raised, {} active, {} flat marks); counts are estimates (raters \
             disagree widely on real scars)",
            n_counted, f.atrophic, f.raised, f.inflammatory, f.flat
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
    if n_regions > n_counted {
        notes.push(format!(
            "{} low-confidence regions are listed but not counted",
            n_regions - n_counted
        ));
    }
    notes
}

/// Summary of the regions of one image.
pub fn summarise(regions: &[Region], px_per_mm: Option<f64>, rules: &SummaryRules) -> Summary {
    let counted: Vec<&Region> = regions
        .iter()
        .filter(|r| r.confidence >= rules.min_confidence)
        .collect();
    let counts = count_subtypes(&counted);
    let f = Families::of(&counts);
    let dominant = dominant_family(f.atrophic, f.raised);
    let family: &[Subtype] = match dominant {
        Dominant::Atrophic => ATROPHIC_KINDS,
        Dominant::Hypertrophic => RAISED_KINDS,
        Dominant::None => &[],
    };
    let deep = counted
        .iter()
        .filter(|r| r.class == RegionClass::Atrophic && r.depth_proxy <= -rules.deep_depth_proxy)
        .count() as u32;
    let keloids = count(&counts, Subtype::Keloid);
    let qualitative = qualitative_grade(f.atrophic + f.raised, f.flat, deep, keloids, rules);
    let sev = Severity::of(&counted, px_per_mm, rules);
    let gbq = gb_quantitative(&counts, f.flat, f.raised, &sev, px_per_mm);
    let ecca = ecca_score(&counts);
    Summary {
        dominant,
        dominant_subtype: most_frequent(family, &counts),
        active_inflammation: f.inflammatory >= rules.min_inflammatory.max(1),
        goodman_baron_qualitative: qualitative,
        goodman_baron_quantitative: Some(gbq),
        ecca: Some(ecca),
        notes: summary_notes(&f, counted.len(), regions.len(), px_per_mm),
        counts,
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
    // From the regions (scale given) the family decides nothing new: keep the counts' own answer.
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
    let kinds: &[Subtype] = match d.family {
        Some(Family::Atrophic) => ATROPHIC_KINDS,
        Some(Family::Raised) => RAISED_KINDS,
        Some(Family::Active) => &[Subtype::Papule, Subtype::Pustule],
        Some(Family::Flat) => &[Subtype::Pigmented, Subtype::Erythematous],
        Some(Family::Clear) | None => &[],
    };
    s.dominant_subtype = most_frequent(kinds, &s.counts);
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
        reasons.push(unusable_reason(quality_notes));
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
        family_verdict(summary, d, &mut reasons)
    };
    Microneedling {
        verdict,
        reasons,
        cannot_assess: cannot_assess(),
        typical_course: Some(TYPICAL_COURSE.into()),
    }
}

/// Why an unusable photo gets no verdict, with its quality notes.
fn unusable_reason(quality_notes: &[String]) -> String {
    format!(
        "the photo is not good enough to judge{}",
        if quality_notes.is_empty() {
            String::new()
        } else {
            format!(": {}", quality_notes.join("; "))
        }
    )
}

/// The verdict of a usable photo without active acne, from the picture's family and the dominant scars;
/// pushes its reasons.
fn family_verdict(summary: &Summary, d: &Decision, reasons: &mut Vec<String>) -> Verdict {
    match (d.family, summary.dominant) {
        (None, _) => {
            reasons.push(
                "the picture does not show clearly enough which kind of finding it is: no verdict"
                    .into(),
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
            reasons.extend(atrophic_caveat(summary.dominant_subtype).map(String::from));
            Verdict::Typical
        }
    }
}

/// How well the dominant atrophic subtype responds to microneedling, when that is worth saying.
fn atrophic_caveat(subtype: Option<Subtype>) -> Option<&'static str> {
    match subtype {
        Some(Subtype::IcePick) => Some(
            "ice-pick scars dominate: they respond only slightly to microneedling; TCA CROSS or punch \
             excision is usually preferred or added",
        ),
        Some(Subtype::Rolling) => {
            Some("rolling scars dominate: they respond well; subcision is often done first or alongside")
        }
        Some(Subtype::Boxcar) => {
            Some("boxcar scars dominate: shallow ones respond well to microneedling")
        }
        _ => None,
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
