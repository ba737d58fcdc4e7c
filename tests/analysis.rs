//! Stage and robustness tests of the analysis: light direction, relief sign, size calibration, flat marks,
//! unusable photos, odd image sizes, unscaled web crops, determinism and the rule profile.

use std::collections::BTreeMap;
use std::sync::Arc;

use image::{Rgb, RgbImage};
use scarscope::analyze::{analyze, Analysis, AnalysisOptions};
use scarscope::profile::Profile;
use scarscope::render::{random_scene, render, Mix, SceneParams, SkinTone};
use scarscope::report::{Relief, Subtype, Verdict};

fn opts(px_per_mm: Option<f64>) -> AnalysisOptions {
    AnalysisOptions {
        px_per_mm,
        profile: Arc::new(Profile::builtin()),
    }
}

/// A rendered scene with exactly the given lesions, light from `azimuth` at 35° elevation.
fn scene(
    counts: &[(Subtype, usize)],
    azimuth: f64,
    seed: u64,
) -> (RgbImage, scarscope::render::Truth) {
    let params = SceneParams {
        width: 640,
        height: 480,
        px_per_mm: 12.0,
        seed,
        counts: Some(counts.iter().copied().collect::<BTreeMap<_, _>>()),
        tone: Some(SkinTone::Intermediate),
        azimuth_deg: Some(azimuth),
        elevation_deg: Some(35.0),
        ..SceneParams::default()
    };
    let r = render(&random_scene(&params));
    (r.rgb, r.truth)
}

/// Angular distance in degrees.
fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// The region nearest to a point, if any lies within `reach` px.
fn nearest(a: &Analysis, c: [f64; 2], reach: f64) -> Option<&scarscope::report::Region> {
    a.regions
        .iter()
        .map(|r| {
            (
                ((r.center[0] - c[0]).powi(2) + (r.center[1] - c[1]).powi(2)).sqrt(),
                r,
            )
        })
        .filter(|(d, _)| *d <= reach)
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, r)| r)
}

#[test]
fn light_azimuth_is_found_from_every_side() {
    for (i, az) in [0.0, 90.0, 200.0, 300.0].into_iter().enumerate() {
        let (rgb, truth) = scene(
            &[(Subtype::Boxcar, 3), (Subtype::IcePick, 3)],
            az,
            40 + i as u64,
        );
        let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
        let got = a.lighting.azimuth_deg.expect("side light gives an azimuth");
        assert!(
            angle_diff(got, az) < 20.0,
            "light from {az}: estimated {got}"
        );
        assert!(
            a.lighting.confidence > 0.3,
            "confidence {}",
            a.lighting.confidence
        );
    }
}

#[test]
fn frontal_flash_gives_low_light_confidence() {
    let params = SceneParams {
        seed: 5,
        mix: Mix::Boxcar,
        flat_light: true,
        ..SceneParams::default()
    };
    let r = render(&random_scene(&params));
    let a = analyze(&r.rgb, &opts(Some(r.truth.px_per_mm)));
    assert!(
        a.lighting.confidence < 0.3,
        "confidence {}",
        a.lighting.confidence
    );
    // Relief cannot be read, so no region claims a relief sign from shading.
    assert!(a
        .regions
        .iter()
        .all(|r| matches!(r.relief, Relief::Unknown)));
}

#[test]
fn pits_read_depressed_and_bumps_raised_from_any_light() {
    let (mut right, mut total, mut flipped) = (0, 0, Vec::new());
    for (i, az) in [30.0, 150.0, 250.0].into_iter().enumerate() {
        let (rgb, truth) = scene(
            &[
                (Subtype::Boxcar, 3),
                (Subtype::Hypertrophic, 2),
                (Subtype::IcePick, 2),
            ],
            az,
            60 + i as u64,
        );
        let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
        for l in &truth.lesions {
            total += 1;
            let Some(r) = nearest(&a, l.center, 0.5 * l.diameter_px.max(8.0)) else {
                continue;
            };
            let want = if l.relief_height < 0.0 {
                Relief::Depressed
            } else {
                Relief::Raised
            };
            if r.relief == want && r.class == l.subtype.class() {
                right += 1;
                // Depth proxy sign follows the relief (negative = depressed).
                assert_eq!(
                    r.depth_proxy < 0.0,
                    want == Relief::Depressed,
                    "depth proxy {}",
                    r.depth_proxy
                );
            }
            // The severe error: the relief read backwards (a pit called raised or a bump depressed).
            let opposite = if want == Relief::Depressed {
                Relief::Raised
            } else {
                Relief::Depressed
            };
            if r.relief == opposite {
                flipped.push(format!("{:?} lit from {az}: {:?}", l.subtype, r.reasons));
            }
        }
    }
    assert!(flipped.is_empty(), "relief read backwards: {flipped:?}");
    assert!(
        right as f64 >= 0.85 * total as f64,
        "relief and family right for {right} of {total}"
    );
}

#[test]
fn flat_marks_are_not_called_scars() {
    let (rgb, truth) = scene(
        &[(Subtype::Pigmented, 4), (Subtype::Erythematous, 4)],
        120.0,
        71,
    );
    let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
    let mut found = 0;
    for l in &truth.lesions {
        if let Some(r) = nearest(&a, l.center, 0.5 * l.diameter_px) {
            found += 1;
            assert!(
                !r.subtype.is_scar(),
                "{:?} called {:?}: {:?}",
                l.subtype,
                r.subtype,
                r.reasons
            );
            assert_eq!(r.subtype, l.subtype, "{:?}", r.reasons);
        }
    }
    assert!(found >= 6, "only {found} of 8 marks found");
    assert_eq!(a.summary.dominant, scarscope::report::Dominant::None);
    assert_eq!(a.microneedling.verdict, Verdict::NotTypical);
}

#[test]
fn measured_diameters_match_rendered_ones() {
    // Size calibration on rendered lesions of known diameter (domain.md §4: detectors misjudge radii).
    let (rgb, truth) = scene(
        &[
            (Subtype::Boxcar, 4),
            (Subtype::Pigmented, 3),
            (Subtype::IcePick, 3),
        ],
        45.0,
        81,
    );
    let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
    let mut ratios = Vec::new();
    for l in &truth.lesions {
        if let Some(r) = nearest(&a, l.center, 0.5 * l.diameter_px) {
            ratios.push(r.diameter_px / l.diameter_px);
        }
    }
    assert!(ratios.len() >= 8, "{} of 10 found", ratios.len());
    ratios.sort_by(|x, y| x.total_cmp(y));
    let median = ratios[ratios.len() / 2];
    assert!(
        (0.75..=1.25).contains(&median),
        "median measured/true diameter {median}: {ratios:?}"
    );
}

#[test]
fn active_acne_is_inflammation_not_hypertrophic_scars() {
    let (rgb, truth) = scene(&[(Subtype::Papule, 4), (Subtype::Pustule, 3)], 210.0, 91);
    let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
    assert!(a.summary.active_inflammation);
    assert_eq!(a.microneedling.verdict, Verdict::NotTypical);
    let inflamed = a
        .regions
        .iter()
        .filter(|r| r.class == scarscope::report::RegionClass::Inflammatory)
        .count();
    assert!(inflamed >= 5, "{inflamed} inflammatory regions");
    assert!(a
        .regions
        .iter()
        .all(|r| r.class != scarscope::report::RegionClass::Hypertrophic));
}

#[test]
fn atrophic_scene_is_a_typical_candidate_with_caveats_and_cannot_assess() {
    let (rgb, truth) = scene(&[(Subtype::IcePick, 8), (Subtype::Boxcar, 2)], 330.0, 101);
    let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
    assert_eq!(
        a.microneedling.verdict,
        Verdict::Typical,
        "{:?}",
        a.microneedling.reasons
    );
    assert_eq!(a.summary.dominant_subtype, Some(Subtype::IcePick));
    assert!(a
        .microneedling
        .reasons
        .iter()
        .any(|r| r.contains("TCA CROSS")));
    assert!(a
        .microneedling
        .cannot_assess
        .iter()
        .any(|r| r.contains("isotretinoin")));
    assert!(a.microneedling.cannot_assess.len() >= 6);
    assert!(a
        .microneedling
        .typical_course
        .as_deref()
        .is_some_and(|c| c.contains("3 sessions")));
    assert_eq!(a.summary.counts.len(), Subtype::ALL.len());
    assert!(a.summary.notes.iter().any(|n| n.contains("estimate")));
}

#[test]
fn mostly_white_box_is_uncertain() {
    let mut img = RgbImage::from_pixel(400, 300, Rgb([255, 255, 255]));
    for y in 100..160 {
        for x in 150..230 {
            img.put_pixel(x, y, Rgb([205, 150, 125]));
        }
    }
    let a = analyze(&img, &opts(None));
    assert!(a.quality.skin_fraction < 0.1, "{}", a.quality.skin_fraction);
    assert!(!a.quality.usable);
    assert_eq!(a.microneedling.verdict, Verdict::Uncertain);
    assert!(!a.microneedling.cannot_assess.is_empty());
}

#[test]
fn no_panic_on_odd_sizes_and_extremes() {
    let cases = [
        RgbImage::from_pixel(1, 1, Rgb([200, 150, 120])),
        RgbImage::from_pixel(3, 5000, Rgb([200, 150, 120])),
        RgbImage::from_pixel(5000, 3, Rgb([200, 150, 120])),
        RgbImage::from_pixel(64, 64, Rgb([0, 0, 0])),
        RgbImage::from_pixel(64, 64, Rgb([255, 255, 255])),
        RgbImage::new(0, 0),
    ];
    for img in &cases {
        for ppm in [None, Some(12.0), Some(0.01), Some(f64::NAN)] {
            let a = analyze(img, &opts(ppm));
            let json =
                serde_json::to_string(&a.clone().into_report("x.png".into())).expect("serialises");
            assert!(!json.contains("NaN"));
            assert_eq!(a.summary.counts.len(), Subtype::ALL.len());
        }
    }
    let black = analyze(&cases[3], &opts(None));
    assert_eq!(black.microneedling.verdict, Verdict::Uncertain);
}

/// A 600×600 "web crop": a rendered scene downsampled to an unknown scale, with a white caption bar, a
/// black redaction box and JPEG compression.
fn web_crop() -> RgbImage {
    let r = render(&random_scene(&SceneParams {
        width: 900,
        height: 900,
        seed: 17,
        mix: Mix::Boxcar,
        ..SceneParams::default()
    }));
    let mut img = image::imageops::resize(&r.rgb, 600, 600, image::imageops::FilterType::Triangle);
    for y in 540..600 {
        for x in 0..600 {
            img.put_pixel(x, y, Rgb([250, 250, 250]));
        }
    }
    for y in 20..70 {
        for x in 480..590 {
            img.put_pixel(x, y, Rgb([0, 0, 0]));
        }
    }
    scarscope::render::jpeg_roundtrip(&img, 70)
}

#[test]
fn unscaled_web_crop_gives_a_sensible_report() {
    let img = web_crop();
    let a = analyze(&img, &opts(None));
    assert!(a.quality.usable, "{:?}", a.quality.notes);
    assert!(
        (0.7..0.95).contains(&a.quality.skin_fraction),
        "{}",
        a.quality.skin_fraction
    );
    assert!(a.quality.notes.iter().any(|n| n.contains("no scale")));
    assert!(!a.regions.is_empty());
    assert!(a.regions.iter().all(|r| r.diameter_mm.is_none()));
    // No region sits on the caption bar or the redaction box.
    assert!(a
        .regions
        .iter()
        .all(|r| r.center[1] < 540.0 && !(r.center[0] > 480.0 && r.center[1] < 70.0)));
    assert!(a
        .regions
        .iter()
        .any(|r| r.reasons.iter().any(|s| s.contains("no scale"))));
}

#[test]
fn same_input_same_output_bytes() {
    let img = web_crop();
    let a =
        serde_json::to_string(&analyze(&img, &opts(None)).into_report("a".into())).expect("json");
    let b =
        serde_json::to_string(&analyze(&img, &opts(None)).into_report("a".into())).expect("json");
    assert_eq!(a, b);
}

#[test]
fn profile_file_overrides_thresholds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("strict.toml");
    std::fs::write(
        &path,
        "name = \"strict\"\n[prepare]\nmin_skin_fraction = 1.01\n",
    )
    .expect("write");
    let p = Profile::from_file(&path).expect("parses");
    assert_eq!(p.name, "strict");
    let (rgb, truth) = scene(&[(Subtype::Boxcar, 2)], 10.0, 111);
    let a = analyze(
        &rgb,
        &AnalysisOptions {
            px_per_mm: Some(truth.px_per_mm),
            profile: Arc::new(p),
        },
    );
    assert!(!a.quality.usable);
    assert_eq!(a.microneedling.verdict, Verdict::Uncertain);
    assert!(Profile::from_file(&dir.path().join("missing.toml")).is_err());
}

#[test]
fn rolling_scars_are_found_by_their_soft_shading_from_any_light() {
    // domain.md §1: rolling scars are wide, shallow and soft-edged; under side light their only sure cue is
    // the dark-near/bright-far pair (§4). Azimuths and seeds differ from the accuracy suite's.
    let (mut found, mut total, mut wrong) = (0, 0, Vec::new());
    for (i, az) in [20.0, 80.0, 140.0, 200.0, 260.0, 320.0]
        .into_iter()
        .enumerate()
    {
        let (rgb, truth) = scene(&[(Subtype::Rolling, 4)], az, 70 + i as u64);
        let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
        for l in &truth.lesions {
            total += 1;
            match nearest(&a, l.center, 0.5 * l.major_mm * truth.px_per_mm) {
                Some(r) if r.subtype == Subtype::Rolling => found += 1,
                Some(r) if r.class == scarscope::report::RegionClass::Hypertrophic => {
                    wrong.push(format!("lit from {az}: {:?}", r.reasons))
                }
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "rolling scars called raised: {wrong:?}");
    // 0.08-0.2 mm deep over 4.5-8 mm: at 35° elevation the shading pair of the shallower half sinks into
    // the skin's mottling (about 2-3 robust deviations). Half are found (a third before the depression pass).
    assert!(
        found as f64 >= 0.45 * total as f64,
        "rolling scars found: {found} of {total}"
    );
}

#[test]
fn bare_mottled_skin_and_raised_lesions_give_no_rolling_scars() {
    // The skin's smooth mottling and the flanks of raised lesions also make faint slopes along the light;
    // they must not be read as rolling scars.
    let mut spurious = Vec::new();
    for (i, az) in [45.0, 135.0, 225.0, 315.0].into_iter().enumerate() {
        let counts: &[(Subtype, usize)] = if i % 2 == 0 {
            &[]
        } else {
            &[
                (Subtype::Hypertrophic, 2),
                (Subtype::Keloid, 1),
                (Subtype::Papule, 2),
            ]
        };
        let (rgb, truth) = scene(counts, az, 80 + i as u64);
        let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
        for r in a.regions.iter().filter(|r| r.subtype == Subtype::Rolling) {
            spurious.push(format!("lit from {az} at {:?}: {:?}", r.center, r.reasons));
        }
    }
    assert!(spurious.is_empty(), "spurious rolling scars: {spurious:?}");
}

/// Hypertrophic scars read as raised, out of all, and scenes whose light came out wrong by > 45°, over the
/// raised-scar scenes of a rendered suite lit from 55° or higher (where the pores often cannot give the light).
fn raised_read(suite_seed: u64, jpeg: u8, profile: &Profile) -> (usize, usize, usize) {
    let base = SceneParams {
        jpeg_quality: Some(jpeg),
        ..SceneParams::default()
    };
    let (mut raised, mut all, mut wrong_light) = (0, 0, 0);
    for params in scarscope::render::scene_suite(suite_seed, 24, &base) {
        if params.mix != Mix::Raised {
            continue;
        }
        let scene = random_scene(&params);
        if scene.light.elevation_deg < 55.0 {
            continue;
        }
        let r = render(&scene);
        let o = AnalysisOptions {
            px_per_mm: Some(r.truth.px_per_mm),
            profile: Arc::new(profile.clone()),
        };
        let a = analyze(&r.rgb, &o);
        if let Some(got) = a.lighting.azimuth_deg {
            if angle_diff(got, r.truth.light.azimuth_deg) > 45.0 {
                wrong_light += 1;
            }
        }
        for l in r
            .truth
            .lesions
            .iter()
            .filter(|l| l.subtype == Subtype::Hypertrophic)
        {
            all += 1;
            let reach = 0.6 * l.major_mm * r.truth.px_per_mm;
            if nearest(&a, l.center, reach).is_some_and(|x| x.relief == Relief::Raised) {
                raised += 1;
            }
        }
    }
    (raised, all, wrong_light)
}

#[test]
fn raised_scars_under_a_high_light_are_read_raised_via_their_redness() {
    // The case that motivated the red-lesion sign of the light ([light] red_* in the profile): the raised
    // scenes of suite 31 at JPEG 75 are lit from 55-60°, the pores give no light, and without the red sign
    // their hypertrophic scars were all reported as flat red marks.
    let with = raised_read(31, 75, &Profile::builtin());
    let mut off = Profile::builtin();
    off.light.min_red_votes = usize::MAX;
    let without = raised_read(31, 75, &off);
    eprintln!(
        "raised read (raised, all, wrong light): with the red sign {with:?}, without {without:?}"
    );
    assert_eq!(with.2, 0, "a wrong light direction flips every relief");
    assert!(with.1 > 0, "the suite has raised scenes lit from high up");
    assert!(
        with.0 * 2 >= with.1 && with.0 > without.0,
        "with {with:?}, without {without:?}"
    );
}

#[test]
fn large_keloids_under_a_low_light_are_read_raised() {
    // A keloid longer across the light than along it, lit from low (25-30°), casts its shadow beyond its
    // far edge; centring it one half-length behind its near edge (right for a pit's crescent) put the disc
    // over that shadow and the pair read "flat red mark". 24 keloids from six sides.
    let (mut raised, mut total, mut flipped) = (0, 0, 0);
    for (i, az) in [10.0, 70.0, 130.0, 190.0, 250.0, 310.0]
        .into_iter()
        .enumerate()
    {
        let params = SceneParams {
            width: 800,
            height: 600,
            px_per_mm: 12.0,
            seed: 90 + i as u64,
            counts: Some([(Subtype::Keloid, 4)].into_iter().collect()),
            tone: Some(SkinTone::ALL[i % 6]),
            azimuth_deg: Some(az),
            elevation_deg: Some(25.0 + i as f64),
            ..SceneParams::default()
        };
        let r = render(&random_scene(&params));
        let a = analyze(&r.rgb, &opts(Some(r.truth.px_per_mm)));
        for l in &r.truth.lesions {
            total += 1;
            if let Some(reg) = nearest(&a, l.center, 0.5 * l.diameter_px) {
                raised += (reg.relief == Relief::Raised) as usize;
                flipped += (reg.relief == Relief::Depressed) as usize;
            }
        }
    }
    assert_eq!(flipped, 0, "a keloid read depressed");
    assert!(
        raised * 10 >= total * 9,
        "{raised} of {total} keloids read raised"
    );
}

#[test]
fn rolling_scars_found_by_their_shading_pair_report_the_bowls_width() {
    // The depression pass finds a bowl at one of a few scales (4.5-9 mm wide); the reported width must be
    // the bowl's own, read from its walls, not the pass's scale. Seeds and azimuths are this test's own.
    let (mut ratios, mut scale_ratios) = (Vec::new(), Vec::new());
    for (i, az) in [10.0, 100.0, 190.0, 280.0, 55.0, 235.0]
        .into_iter()
        .enumerate()
    {
        let (rgb, truth) = scene(&[(Subtype::Rolling, 5)], az, 90 + i as u64);
        let a = analyze(&rgb, &opts(Some(truth.px_per_mm)));
        for l in &truth.lesions {
            let Some(r) = nearest(&a, l.center, 0.5 * l.major_mm * truth.px_per_mm) else {
                continue;
            };
            if r.subtype != Subtype::Rolling || !r.features.contains_key("depression_z") {
                continue;
            }
            ratios.push(r.diameter_px / l.diameter_px);
            if let Some(Some(s)) = r.features.get("scale_radius_px") {
                scale_ratios.push(2.0 * s / l.diameter_px);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.total_cmp(y));
        v[v.len() / 2]
    };
    assert!(ratios.len() >= 6, "only {} bowls found", ratios.len());
    let (m, ms) = (median(&mut ratios), median(&mut scale_ratios));
    // Typical error: the median of |ln(measured/true)|.
    let err = |v: &[f64]| {
        let mut e: Vec<f64> = v.iter().map(|x| x.ln().abs()).collect();
        median(&mut e)
    };
    let (e, es) = (err(&ratios), err(&scale_ratios));
    eprintln!(
        "measured/true width: median {m:.2}, typical error {e:.2} ({ratios:.2?}); the pass's scale: median \
         {ms:.2}, typical error {es:.2} ({scale_ratios:.2?})"
    );
    assert!(
        (0.8..=1.25).contains(&m),
        "median measured/true width {m}: {ratios:?}"
    );
    assert!(e < es, "typical error {e} not below the pass scale's {es}");
}

/// Over the atrophic-scar scenes (ice pick, boxcar) of a rendered suite at a JPEG quality: scenes whose
/// reported light azimuth is within 30° of the truth, and scenes whose azimuth is off by more than 45°.
fn atrophic_light(suite_seed: u64, jpeg: u8, profile: &Profile) -> (usize, usize, usize) {
    let base = SceneParams {
        jpeg_quality: Some(jpeg),
        ..SceneParams::default()
    };
    let (mut right, mut wrong, mut all) = (0, 0, 0);
    for params in scarscope::render::scene_suite(suite_seed, 24, &base) {
        if !matches!(params.mix, Mix::IcePick | Mix::Boxcar) {
            continue;
        }
        all += 1;
        let r = render(&random_scene(&params));
        let o = AnalysisOptions {
            px_per_mm: Some(r.truth.px_per_mm),
            profile: Arc::new(profile.clone()),
        };
        let a = analyze(&r.rgb, &o);
        if let Some(got) = a.lighting.azimuth_deg {
            let d = angle_diff(got, r.truth.light.azimuth_deg);
            if d <= 30.0 {
                right += 1;
            } else if d > 45.0 {
                wrong += 1;
            }
        }
    }
    (right, wrong, all)
}

#[test]
fn pitted_scenes_under_jpeg_get_their_light_from_the_skin_coloured_pits() {
    // JPEG 70 washes the pores out; the atrophic scars' own shading axis stays, and being skin-coloured
    // (domain.md §1) they are pits, whose moment points away from the light ([light]
    // neutral_lesion_chromaticity). Suites 118-119 are this test's own.
    let mut off = Profile::builtin();
    off.light.neutral_lesion_chromaticity = 0.0;
    let (mut with, mut without) = ((0, 0, 0), (0, 0, 0));
    for seed in [118, 119] {
        let w = atrophic_light(seed, 70, &Profile::builtin());
        let o = atrophic_light(seed, 70, &off);
        with = (with.0 + w.0, with.1 + w.1, with.2 + w.2);
        without = (without.0 + o.0, without.1 + o.1, without.2 + o.2);
    }
    eprintln!("atrophic scenes (light right, wrong, all): with the pits' sign {with:?}, without {without:?}");
    assert_eq!(with.1, 0, "a wrong light direction flips every relief");
    assert!(with.0 > without.0, "with {with:?}, without {without:?}");
}

/// Scar regions on bare skin crossed by stray hairs, over three scenes of this test's own.
fn scars_on_hairy_skin(profile: &Profile) -> Vec<String> {
    let mut scars = Vec::new();
    for (i, az) in [30.0, 150.0, 270.0].into_iter().enumerate() {
        let params = SceneParams {
            width: 640,
            height: 480,
            px_per_mm: 12.0,
            seed: 140 + i as u64,
            counts: Some(BTreeMap::new()),
            tone: Some(SkinTone::ALL[i % SkinTone::ALL.len()]),
            azimuth_deg: Some(az),
            elevation_deg: Some(40.0),
            hairs: 8,
            ..SceneParams::default()
        };
        let r = render(&random_scene(&params));
        let o = AnalysisOptions {
            px_per_mm: Some(r.truth.px_per_mm),
            profile: Arc::new(profile.clone()),
        };
        let a = analyze(&r.rgb, &o);
        for g in a.regions.iter().filter(|g| {
            matches!(
                g.class,
                scarscope::report::RegionClass::Atrophic
                    | scarscope::report::RegionClass::Hypertrophic
            )
        }) {
            scars.push(format!("{:?} at {:?}", g.subtype, g.center));
        }
    }
    scars
}

#[test]
fn stray_hairs_are_not_scars() {
    // Hairs are thin dark lines, many times longer than wide ([detect] line_*); segmented, they were read
    // as wide depressions. The rule removes about half of them (7 -> 4 on these scenes); the rest (curved
    // or crossing hairs, hairs over mottling) remain, so this checks the improvement, not a clean result.
    let with = scars_on_hairy_skin(&Profile::builtin());
    let mut off = Profile::builtin();
    off.detect.line_min_elongation = f64::INFINITY;
    let without = scars_on_hairy_skin(&off);
    eprintln!(
        "scars on hairy bare skin: {} ({} without the line rule)",
        with.len(),
        without.len()
    );
    assert!(
        2 * with.len() <= without.len() + 1,
        "with {with:?}, without {without:?}"
    );
}
