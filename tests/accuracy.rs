//! Accuracy of the analysis on rendered scenes with known truth, and checks of the scorer itself.
//!
//! `analysis_meets_the_accuracy_targets` is the acceptance test of the analysis: 12 rendered scenes of
//! 800×600 px at ~12 px/mm, all six mixes and skin-tone bands, random light directions.

use std::sync::Arc;

use scarscope::analyze::{analyze, Analysis, AnalysisOptions};
use scarscope::evaluate::{aggregate, run_suite, score, TARGETS};
use scarscope::profile::Profile;
use scarscope::render::{random_scene, render, Mix, SceneParams, Truth};
use scarscope::report::{Features, Region, Relief, Subtype};

fn opts() -> AnalysisOptions {
    AnalysisOptions {
        px_per_mm: None,
        profile: Arc::new(Profile::builtin()),
    }
}

/// A region at `center` of the given subtype.
fn region(id: u32, center: [f64; 2], subtype: Subtype) -> Region {
    Region {
        id,
        center,
        bbox: [center[0] as u32, center[1] as u32, 1, 1],
        area_px: 1.0,
        diameter_px: 1.0,
        diameter_mm: None,
        class: subtype.class(),
        subtype,
        confidence: 1.0,
        relief: Relief::Unknown,
        depth_proxy: 0.0,
        features: Features::new(),
        reasons: Vec::new(),
    }
}

/// An analysis that reports exactly the truth (an oracle), built on whatever `analyze` returns.
fn oracle(truth: &Truth, base: &Analysis) -> Analysis {
    let mut a = base.clone();
    a.regions = truth
        .lesions
        .iter()
        .map(|l| region(l.id, l.center, l.subtype))
        .collect();
    a.summary.dominant = truth.expected.dominant;
    a.summary.dominant_subtype = truth.expected.dominant_subtype;
    a.summary.active_inflammation = truth.expected.active_inflammation;
    a.microneedling.verdict = truth.expected.verdict;
    a.lighting.azimuth_deg = Some(truth.light.azimuth_deg);
    a
}

fn scene(mix: Mix, seed: u64) -> (image::RgbImage, Truth) {
    let r = render(&random_scene(&SceneParams {
        mix,
        seed,
        ..SceneParams::default()
    }));
    (r.rgb, r.truth)
}

#[test]
fn scorer_gives_an_oracle_full_marks() {
    let mut scores = Vec::new();
    for (i, mix) in Mix::CONCRETE.into_iter().enumerate() {
        let (rgb, truth) = scene(mix, 100 + i as u64);
        let base = analyze(&rgb, &opts());
        scores.push(score(&truth, &oracle(&truth, &base)));
    }
    let s = aggregate(&scores);
    assert!(s.failures(&TARGETS).is_empty(), "{}", s.table(&TARGETS));
    for v in [
        s.scar_recall,
        s.scar_precision,
        s.scar_f1,
        s.class_accuracy,
        s.subtype_accuracy,
        s.verdict_accuracy,
    ] {
        assert_eq!(v, Some(1.0));
    }
    assert_eq!(s.flat_called_scar, Some(0.0));
    assert_eq!(s.active_called_inflammatory, Some(1.0));
    assert_eq!(s.azimuth_error_median_deg, Some(0.0));
    assert_eq!(s.confusion.get("spurious"), None);
}

#[test]
fn scorer_counts_misses_confusions_and_flat_marks_called_scars() {
    let (rgb, truth) = scene(Mix::IcePick, 7);
    let base = analyze(&rgb, &opts());
    let mut a = oracle(&truth, &base);
    // Call every flat mark a boxcar, every ice pick a boxcar, and shift one detection out of reach.
    for r in &mut a.regions {
        if matches!(
            r.subtype,
            Subtype::Pigmented | Subtype::Erythematous | Subtype::IcePick
        ) {
            r.subtype = Subtype::Boxcar;
            r.class = Subtype::Boxcar.class();
        }
    }
    a.regions[0].center[0] += 1000.0;
    let s = score(&truth, &a);
    let flats = truth
        .lesions
        .iter()
        .filter(|l| !l.subtype.is_scar() && l.relief_height == 0.0)
        .count();
    let agg = aggregate(std::slice::from_ref(&s));
    assert_eq!(s.missed.len(), 1);
    assert_eq!(s.spurious.len(), 1);
    let first_is_flat = truth.lesions[0].relief_height == 0.0;
    let matched_flats = flats - usize::from(first_is_flat);
    assert_eq!(agg.counts.flat_matched, matched_flats);
    assert_eq!(
        agg.flat_called_scar,
        if matched_flats > 0 { Some(1.0) } else { None }
    );
    assert!(
        agg.subtype_accuracy.is_some_and(|x| x < 0.5),
        "{}",
        agg.table(&TARGETS)
    );
    assert!(
        agg.confusion["ice_pick"]
            .get("boxcar")
            .copied()
            .unwrap_or(0)
            > 0
    );
    // An empty analysis finds nothing: recall and F1 are 0, precision undefined.
    let mut empty = base.clone();
    empty.regions.clear();
    let e = aggregate(&[score(&truth, &empty)]);
    assert_eq!(
        (e.scar_recall, e.scar_f1, e.scar_precision),
        (Some(0.0), Some(0.0), None)
    );
}

#[test]
fn analysis_meets_the_accuracy_targets() {
    let base = SceneParams {
        width: 800,
        height: 600,
        px_per_mm: 12.0,
        ..SceneParams::default()
    };
    let s = run_suite(2026, 12, &base, &opts());
    let fails = s.failures(&TARGETS);
    assert!(
        fails.is_empty(),
        "accuracy targets missed: {}\n{}",
        fails.join("; "),
        s.table(&TARGETS)
    );
}
