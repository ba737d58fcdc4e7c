//! Reconcile stage: what the whole picture shows settles what a region alone cannot.
//!
//! A region's relief is read from its shading along the light; where the light cannot be read, a darker
//! region of the skin's own chromaticity is a shadow, and a shadow is cast by a pit's near wall or by a
//! raised lesion's far slope alike (domain.md §4). The picture's scoring table, fitted on real photos, reads
//! the picture as a whole: when it reads raised scars with enough confidence, such shadows are read as the
//! raised lesions' (see [`crate::classify::shadow_in_raised_picture`]). The picture's family, the flag and
//! the verdict do not change here; the regions and their counts then agree with them.

use crate::analysis::decide::Decision;
use crate::classify::{shadow_in_raised_picture, ClassifyContext};
use crate::measure::Measured;
use crate::profile::ClassifyRules;
use crate::report::{num, Family, Region, RegionClass, Relief};

/// Re-reads the shadows of a picture read as raised scars (see the module docs); returns how many regions
/// changed. `measured` is in the order of `regions`. Nothing changes when the scale is given (the family then
/// comes from the regions themselves) or the picture's confidence is below the profile's
/// `picture_relief_min_confidence`.
pub fn reconcile(
    regions: &mut [Region],
    measured: &[Measured],
    decision: &Decision,
    ctx: &ClassifyContext,
    rules: &ClassifyRules,
) -> usize {
    let raised = decision.family == Some(Family::Raised)
        && !decision.from_regions
        && decision.confidence >= rules.picture_relief_min_confidence;
    if !raised {
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
