//! Reconcile stage: what the whole picture shows settles what a region alone cannot.
//!
//! A region's relief is read from its shading along the light; where the light cannot be read, a darker
//! region of the skin's own chromaticity is a shadow, and a shadow is cast by a pit's near wall or by a
//! raised lesion's far slope alike (domain.md §4). The picture's scoring table, fitted on real photos, reads
//! the picture as a whole: when it reads raised scars with enough confidence, such shadows are read as the
//! raised lesions' (see [`crate::classify::shadow_in_raised_picture`]). The picture's family, the flag and
//! the verdict do not change here; the regions and their counts then agree with them.
//!
//! Likewise a picture the table reads as clear skin with enough confidence contradicts the scars and acne
//! found in it one by one (on real faces: eyes, nostrils, lips, hair and pores): they stay listed, at the
//! lowest confidence and with the reason, and are no longer counted or graded ([`clear_picture`]).

use crate::analysis::decide::Decision;
use crate::classify::{shadow_in_raised_picture, ClassifyContext};
use crate::measure::Measured;
use crate::profile::ClassifyRules;
use crate::report::{num, Family, Region, RegionClass, Relief};

/// Re-reads the shadows of a picture read as raised scars and the scars and acne of a picture read as clear
/// skin (see the module docs); returns how many regions changed. `measured` is in the order of `regions`.
/// Nothing changes when the scale is given (the family then comes from the regions themselves) or the
/// picture's confidence is below the profile's `picture_relief_min_confidence` (raised) or
/// `clear_picture_min_confidence` (clear).
pub fn reconcile(
    regions: &mut [Region],
    measured: &[Measured],
    decision: &Decision,
    ctx: &ClassifyContext,
    rules: &ClassifyRules,
) -> usize {
    // The table's reading of the picture, when it is the table's and at least `min` sure.
    let reads = |family: Family, min: f64| {
        decision.family == Some(family) && !decision.from_regions && decision.confidence >= min
    };
    if reads(Family::Clear, rules.clear_picture_min_confidence) {
        return clear_picture(regions, decision.confidence, rules);
    }
    if !reads(Family::Raised, rules.picture_relief_min_confidence) {
        return 0;
    }
    let mut changed = 0;
    for (region, m) in regions.iter_mut().zip(measured) {
        // A shadow read as a pit: relief unknown, an atrophic kind (classify's unknown-relief rules).
        if region.relief != Relief::Unknown || region.class != RegionClass::Atrophic {
            continue;
        }
        let k = shadow_in_raised_picture(m, ctx, rules, decision.confidence);
        region.subtype = k.subtype;
        region.class = k.subtype.class();
        region.relief = k.relief;
        region.confidence = num(k.confidence).unwrap_or(0.0);
        region.reasons = k.reasons;
        changed += 1;
    }
    changed
}

/// In a picture read as clear skin with confidence `confidence`, every scar or acne region (flat marks can be
/// on clear skin: freckles, moles) drops to the floor of `confidence_range`, below the summary's count
/// threshold, with a reason saying why; returns how many changed.
pub fn clear_picture(regions: &mut [Region], confidence: f64, rules: &ClassifyRules) -> usize {
    let floor = rules.confidence_range[0];
    let mut changed = 0;
    for r in regions.iter_mut().filter(|r| r.class != RegionClass::Flat) {
        r.confidence = num(r.confidence.min(floor)).unwrap_or(0.0);
        r.reasons.push(format!(
            "the picture as a whole reads as clear skin ({:.0} % by the scoring table): found alone, this is \
             more likely a pore, a hair or a part of the face than a scar or acne, so it is not counted",
            100.0 * confidence
        ));
        changed += 1;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::report::Subtype;

    #[test]
    fn a_clear_picture_keeps_its_scars_and_acne_listed_but_uncounted_and_its_flat_marks_as_they_are(
    ) {
        let p = Profile::builtin();
        let mut regions = vec![
            Region::example(Subtype::IcePick, 0.6),
            Region::example(Subtype::Papule, 0.5),
            Region::example(Subtype::Keloid, 0.7),
            Region::example(Subtype::Pigmented, 0.5),
        ];
        assert_eq!(clear_picture(&mut regions, 0.97, &p.classify), 3);
        let floor = p.classify.confidence_range[0];
        for r in &regions[..3] {
            assert_eq!(r.confidence, floor);
            assert!(r.reasons[1].contains("clear skin (97 %"), "{:?}", r.reasons);
        }
        assert_eq!(regions[3].confidence, 0.5);
        assert_eq!(regions[3].reasons.len(), 1);
        // Uncounted: below the summary's threshold, so the counts and the grade see the flat mark only.
        assert!(floor < p.summary.min_confidence);
        let s = crate::summarise::summarise(&regions, None, &p.summary);
        assert_eq!(s.counts.values().sum::<u32>(), 1);
    }
}
