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
//!
//! And a picture the table flags for active acne lists the papules its `papules` feature counted where the
//! lesion stages found nothing ([`picture_papules`]): on a whole face those stages, tuned to one lesion at a
//! time, find a few of the dozens (issue 13's first failure).

use crate::analysis::decide::Decision;
use crate::analysis::papules::{Spot, MIN_RISE};
use crate::classify::{shadow_in_raised_picture, ClassifyContext};
use crate::measure::Measured;
use crate::profile::ClassifyRules;
use crate::report::{num, Family, Features, Region, RegionClass, Relief, Subtype};

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

/// Where the picture's papules are: input px per grid px (working px per grid px times input px per working
/// px) and the input's size.
#[derive(Debug, Clone, Copy)]
pub struct GridToInput {
    /// Input px per grid px.
    pub step: f64,
    /// The input's width and height.
    pub full: (u32, u32),
}

/// In a picture the table flags for active acne, appends the papules the picture stage counted
/// (`spots`) that no listed region covers and no papule already added overlaps, as active acne of unknown
/// relief at the confidence a lesion of that contrast gets without a scale (`base_confidence` at the
/// papule's threshold [`MIN_RISE`], plus `detection_confidence_gain` in full at twice it, times
/// `unscaled_confidence`); returns how many were added. Nothing is added when the
/// scale is given (the lesion rules then decide from sizes in mm) or the picture is not flagged.
pub fn picture_papules(
    regions: &mut Vec<Region>,
    spots: &[Spot],
    at: GridToInput,
    decision: &Decision,
    rules: &ClassifyRules,
) -> usize {
    if !decision.active || decision.from_regions {
        return 0;
    }
    let first = regions.len();
    for s in spots {
        // As a lesion's (classify): the base at the threshold, the gain in full at twice it, no scale.
        let over = ((s.rise - MIN_RISE) / MIN_RISE).clamp(0.0, 1.0) as f64;
        let confidence = ((rules.base_confidence + rules.detection_confidence_gain * over)
            * rules.unscaled_confidence)
            .clamp(rules.confidence_range[0], rules.confidence_range[1]);
        let (x, y) = (
            (s.x as f64 + 0.5) * at.step - 0.5,
            (s.y as f64 + 0.5) * at.step - 0.5,
        );
        let r = 0.5 * s.ring as f64 * at.step;
        // Covered by a listed region, or overlapping a papule added (the other scale's reading of it).
        let covered = regions.iter().enumerate().any(|(k, g)| {
            let reach = 0.5 * g.diameter_px + if k >= first { r } else { 0.0 };
            (g.center[0] - x).hypot(g.center[1] - y) <= reach.max(r)
        });
        if covered {
            continue;
        }
        let mut features = Features::new();
        features.insert("delta_a".into(), num(s.rise as f64));
        features.insert("ring_radius_px".into(), num(s.ring as f64 * at.step));
        regions.push(Region {
            id: regions.len() as u32 + 1,
            center: [num(x).unwrap_or(0.0), num(y).unwrap_or(0.0)],
            bbox: crate::report::bbox_within([x - r, y - r], [x + r, y + r], at.full),
            area_px: num(std::f64::consts::PI * r * r).unwrap_or(0.0),
            diameter_px: num(2.0 * r).unwrap_or(0.0),
            diameter_mm: None,
            class: RegionClass::Inflammatory,
            subtype: Subtype::Papule,
            confidence: num(confidence).unwrap_or(0.0),
            relief: Relief::Unknown,
            depth_proxy: 0.0,
            features,
            reasons: vec![format!(
                "a small red spot standing out of the even skin around it (Δa* {:+.1} against its ring), in a \
                 picture the scoring table flags for active acne: a papule read on the whole picture (its \
                 relief is not read, and a pustule's head is not told apart here)",
                s.rise
            )],
        });
    }
    regions.len() - first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::report::Subtype;

    #[test]
    fn a_picture_flagged_for_active_acne_lists_its_papules_where_no_region_is() {
        let p = Profile::builtin();
        let mut d = Decision {
            probabilities: [0.0, 0.0, 1.0, 0.0, 0.0],
            family: Some(Family::Active),
            confidence: 1.0,
            active: true,
            reasons: Vec::new(),
            from_regions: false,
        };
        // Grid px 2 input px; Region::example sits at (10, 10), 20 px across.
        let at = GridToInput {
            step: 2.0,
            full: (640, 640),
        };
        let spot = |x, y, ring, rise| Spot { x, y, ring, rise };
        let spots = [
            spot(5, 5, 5.0, 6.0),      // at input (10.5, 10.5): inside the listed region
            spot(100, 50, 5.0, 4.0),   // listed at (200.5, 100.5), 10 px across, at the threshold
            spot(101, 50, 10.0, 9.0),  // the large scale's reading of the same papule
            spot(200, 200, 10.0, 8.0), // listed at (400.5, 400.5), 20 px across, twice the threshold
        ];
        let fresh = || vec![Region::example(Subtype::IcePick, 0.6)];
        let mut regions = fresh();
        assert_eq!(
            picture_papules(&mut regions, &spots, at, &d, &p.classify),
            2
        );
        let c = &p.classify;
        for (g, id, centre, across, conf) in [
            (
                &regions[1],
                2,
                200.5,
                10.0,
                c.base_confidence * c.unscaled_confidence,
            ),
            (
                &regions[2],
                3,
                400.5,
                20.0,
                (c.base_confidence + c.detection_confidence_gain) * c.unscaled_confidence,
            ),
        ] {
            assert_eq!(g.id, id);
            assert_eq!(g.center[0], centre);
            assert_eq!(g.diameter_px, across);
            assert_eq!(
                (g.class, g.subtype),
                (RegionClass::Inflammatory, Subtype::Papule)
            );
            assert_eq!(g.relief, Relief::Unknown);
            assert!(
                (g.confidence - conf).abs() < 1e-4,
                "{} {conf}",
                g.confidence
            );
        }
        // Not flagged, or the scale given: nothing is added.
        d.active = false;
        let mut regions = fresh();
        assert_eq!(
            picture_papules(&mut regions, &spots, at, &d, &p.classify),
            0
        );
        d.active = true;
        d.from_regions = true;
        assert_eq!(
            picture_papules(&mut regions, &spots, at, &d, &p.classify),
            0
        );
        assert_eq!(regions.len(), 1);
    }

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
