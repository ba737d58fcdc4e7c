//! Renderer tests: determinism, truth geometry, the relief-shading rule of domain.md §4 under four light
//! directions, flat marks without shading asymmetry, pairs, and the `render` command's files.

use std::collections::BTreeMap;

use image::RgbImage;
use scarscope::render::{
    random_scene, render, render_pair, render_raw, scene_suite, Lesion, Mix, Scene, SceneParams,
    Truth,
};
use scarscope::report::{Dominant, Subtype, Verdict};

/// A clean scene (no noise, pores, curvature, vignetting or cast) with one lesion at the centre.
fn single(
    subtype: Subtype,
    relief_mm: f64,
    diameter_mm: f64,
    azimuth: f64,
    elevation: f64,
) -> Scene {
    let params = SceneParams {
        width: 240,
        height: 240,
        px_per_mm: 12.0,
        seed: 9,
        counts: Some(BTreeMap::new()),
        azimuth_deg: Some(azimuth),
        elevation_deg: Some(elevation),
        noise_sigma: 0.0,
        pore_density: 0.0,
        curvature: 0.0,
        vignetting: 0.0,
        colour_cast: Some([1.0, 1.0, 1.0]),
        ..SceneParams::default()
    };
    let mut scene = random_scene(&params);
    assert!(scene.lesions.is_empty());
    scene.lesions.push(Lesion {
        id: 1,
        subtype,
        center: [120.0, 120.0],
        major_mm: diameter_mm,
        minor_mm: diameter_mm,
        angle_deg: 0.0,
        relief_mm,
        colour_strength: 1.0,
        shape_seed: 77,
    });
    scene
}

/// Mean luma (Rec. 601) over a disc.
fn mean_luma(img: &RgbImage, cx: f64, cy: f64, r: f64) -> f64 {
    let (mut s, mut n) = (0.0, 0.0);
    for y in (cy - r).floor() as i64..=(cy + r).ceil() as i64 {
        for x in (cx - r).floor() as i64..=(cx + r).ceil() as i64 {
            if (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) <= r * r {
                let p = img.get_pixel(x as u32, y as u32);
                s += 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
                n += 1.0;
            }
        }
    }
    s / n
}

/// Luma on the wall nearest the light minus luma on the far wall, at `frac` of the radius from the centre.
fn near_minus_far(img: &RgbImage, azimuth: f64, radius_px: f64, frac: f64) -> f64 {
    let a = azimuth.to_radians();
    // Azimuth is CCW as seen with image y down: "from the top" is −y.
    let (dx, dy) = (a.cos(), -a.sin());
    let (c, d) = (120.0, frac * radius_px);
    let r = (0.12 * radius_px).max(1.5);
    mean_luma(img, c + dx * d, c + dy * d, r) - mean_luma(img, c - dx * d, c - dy * d, r)
}

const AZIMUTHS: [f64; 4] = [0.0, 90.0, 180.0, 270.0];

#[test]
fn depressions_are_dark_on_the_wall_nearest_the_light() {
    // domain.md §4: a depression is dark on the wall nearest the light and bright on the far wall.
    for az in AZIMUTHS {
        for (subtype, relief, diam, frac) in [
            (Subtype::Boxcar, -0.3, 3.0, 0.85),
            (Subtype::Rolling, -0.15, 6.0, 0.55),
            (Subtype::IcePick, -0.5, 1.6, 0.5),
        ] {
            let img = render(&single(subtype, relief, diam, az, 35.0)).rgb;
            let diff = near_minus_far(&img, az, diam / 2.0 * 12.0, frac);
            assert!(
                diff < -8.0,
                "{subtype:?} lit from {az}°: near − far = {diff:.1}"
            );
        }
    }
}

#[test]
fn bumps_are_bright_on_the_slope_nearest_the_light() {
    // domain.md §4: a bump is bright on the near slope and shadowed on the far side.
    for az in AZIMUTHS {
        for (subtype, relief, diam) in [
            (Subtype::Papule, 0.4, 3.0),
            (Subtype::Hypertrophic, 0.5, 5.0),
            (Subtype::Keloid, 0.8, 8.0),
        ] {
            let img = render(&single(subtype, relief, diam, az, 35.0)).rgb;
            let diff = near_minus_far(&img, az, diam / 2.0 * 12.0, 0.8);
            assert!(
                diff > 8.0,
                "{subtype:?} lit from {az}°: near − far = {diff:.1}"
            );
        }
    }
}

#[test]
fn flat_marks_have_no_shading_asymmetry() {
    for az in AZIMUTHS {
        for subtype in [Subtype::Pigmented, Subtype::Erythematous] {
            let img = render(&single(subtype, 0.0, 4.0, az, 35.0)).rgb;
            // The outline is slightly wavy, so allow a little colour asymmetry but no shading pair.
            let diff = near_minus_far(&img, az, 24.0, 0.5);
            assert!(
                diff.abs() < 1.5,
                "{subtype:?} lit from {az}°: near − far = {diff:.1}"
            );
            // ... and the mark is really there (darker than the skin around it).
            let inside = mean_luma(&img, 120.0, 120.0, 6.0);
            let outside = mean_luma(&img, 40.0, 40.0, 6.0);
            assert!(
                outside - inside > 5.0,
                "{subtype:?}: mark {inside:.1} vs skin {outside:.1}"
            );
        }
    }
}

#[test]
fn frontal_flash_almost_removes_the_shading_pair() {
    let mut scene = single(Subtype::Boxcar, -0.3, 3.0, 0.0, 35.0);
    let side = near_minus_far(&render(&scene).rgb, 0.0, 18.0, 0.85).abs();
    scene.light.flat = true;
    let flash = near_minus_far(&render(&scene).rgb, 0.0, 18.0, 0.85).abs();
    assert!(
        flash < 2.0 && side > 5.0 * flash.max(0.5),
        "side {side:.1}, flash {flash:.1}"
    );
}

#[test]
fn same_seed_same_pixels_other_seed_other_pixels() {
    let p = SceneParams {
        seed: 123,
        ..SceneParams::default()
    };
    let a = render(&random_scene(&p));
    let b = render(&random_scene(&p));
    assert_eq!(a.rgb.as_raw(), b.rgb.as_raw());
    assert_eq!(a.truth, b.truth);
    let c = render(&random_scene(&SceneParams { seed: 124, ..p }));
    assert_ne!(a.rgb.as_raw(), c.rgb.as_raw());
}

#[test]
fn jpeg_quality_changes_pixels_but_not_truth() {
    let p = SceneParams {
        seed: 5,
        jpeg_quality: Some(60),
        ..SceneParams::default()
    };
    let scene = random_scene(&p);
    let raw = render_raw(&scene);
    let jpg = render(&scene);
    assert_eq!(raw.truth, jpg.truth);
    assert_ne!(raw.rgb.as_raw(), jpg.rgb.as_raw());
    let mad: f64 = raw
        .rgb
        .as_raw()
        .iter()
        .zip(jpg.rgb.as_raw())
        .map(|(a, b)| (*a as f64 - *b as f64).abs())
        .sum::<f64>()
        / raw.rgb.as_raw().len() as f64;
    assert!(mad < 4.0, "JPEG q60 moved pixels by {mad:.2} on average");
}

fn check_geometry(t: &Truth) {
    let r = |l: &scarscope::render::TruthLesion| 0.5 * l.major_mm * t.px_per_mm;
    for l in &t.lesions {
        let rr = r(l);
        assert!(
            l.center[0] - rr >= 0.0
                && l.center[1] - rr >= 0.0
                && l.center[0] + rr <= t.width as f64
                && l.center[1] + rr <= t.height as f64,
            "lesion {} ({:?}) leaves the frame",
            l.id,
            l.subtype
        );
        assert_eq!(
            l.relief_height == 0.0,
            l.subtype.class() == scarscope::report::RegionClass::Flat
        );
        assert_eq!(
            l.relief_height < 0.0,
            l.subtype.class() == scarscope::report::RegionClass::Atrophic
        );
        assert!((l.diameter_px - l.diameter_mm * t.px_per_mm).abs() < 1e-9);
    }
    for (i, a) in t.lesions.iter().enumerate() {
        for b in &t.lesions[i + 1..] {
            let d =
                ((a.center[0] - b.center[0]).powi(2) + (a.center[1] - b.center[1]).powi(2)).sqrt();
            assert!(d > r(a) + r(b), "lesions {} and {} overlap", a.id, b.id);
        }
    }
}

#[test]
fn suite_truths_are_inside_the_frame_and_disjoint() {
    let base = SceneParams::default();
    let suite = scene_suite(42, 24, &base);
    let mut tones = std::collections::BTreeSet::new();
    let mut mixes = std::collections::BTreeSet::new();
    for p in &suite {
        let s = random_scene(p);
        let t = s.truth();
        assert!(!t.lesions.is_empty());
        check_geometry(&t);
        tones.insert(t.skin_tone.clone());
        mixes.insert(s.mix);
        assert!((0.0..360.0).contains(&t.light.azimuth_deg));
        assert!((8.0..=20.0).contains(&t.px_per_mm));
        let e = t.expected;
        match s.mix {
            Mix::FlatOnly => assert_eq!(
                (e.dominant, e.verdict),
                (Dominant::None, Verdict::NotTypical)
            ),
            Mix::Active => assert!(e.active_inflammation && e.verdict == Verdict::NotTypical),
            Mix::Raised => assert_eq!(
                (e.dominant, e.verdict),
                (Dominant::Hypertrophic, Verdict::NotTypical)
            ),
            _ => assert_eq!(
                (e.dominant, e.verdict),
                (Dominant::Atrophic, Verdict::Typical)
            ),
        }
    }
    assert_eq!(tones.len(), 6, "all six ITA bands: {tones:?}");
    assert_eq!(mixes.len(), 6);
}

#[test]
fn pair_without_change_matches_and_warp_moves_lesions() {
    let p = SceneParams {
        seed: 8,
        noise_sigma: 0.0,
        mix: Mix::Boxcar,
        azimuth_deg: Some(30.0),
        elevation_deg: Some(40.0),
        ..SceneParams::default()
    };
    let scene = random_scene(&p);
    let (b, a, t) = render_pair(&scene, 1.0, (30.0, 40.0), 1.0, 0.0, 1.0, (0.0, 0.0));
    let max_diff = b
        .as_raw()
        .iter()
        .zip(a.as_raw())
        .map(|(x, y)| (*x as i32 - *y as i32).abs())
        .max()
        .unwrap_or(0);
    assert!(max_diff <= 1, "identity pair differs by {max_diff}");
    assert_eq!(t.before.lesions.len(), t.after.lesions.len());

    let (b, a, t) = render_pair(&scene, 0.5, (120.0, 40.0), 1.1, 12.0, 1.1, (15.0, -10.0));
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    // No black corners: the after frame is rendered from the scene over its whole area.
    for (x, y) in [
        (0, 0),
        (a.width() - 1, 0),
        (0, a.height() - 1),
        (a.width() - 1, a.height() - 1),
    ] {
        assert!(
            a.get_pixel(x, y).0.iter().any(|&c| c > 40),
            "corner ({x},{y}) is black"
        );
    }
    for l in &t.lesions {
        assert!((l.relief_after - 0.5 * l.relief_before).abs() < 1e-12);
        let back = t.transform.invert(l.center_after);
        assert!(
            (back[0] - l.center_before[0]).abs() < 1e-6
                && (back[1] - l.center_before[1]).abs() < 1e-6
        );
    }
    assert!((t.after.px_per_mm - 1.1 * t.before.px_per_mm).abs() < 1e-9);
    assert_eq!(t.after.light.azimuth_deg, 120.0);
}

fn scarscope() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("scarscope").expect("binary built")
}

#[test]
fn render_command_writes_images_and_truth_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    scarscope()
        .arg("render")
        .arg(&out)
        .args([
            "--count", "3", "--seed", "4", "--width", "200", "--height", "150",
        ])
        .args([
            "--px-per-mm",
            "10",
            "--azimuth",
            "200",
            "--mix",
            "rolling",
            "--noise",
            "1",
        ])
        .assert()
        .success();
    for i in 1..=3 {
        let png = out.join(format!("scene_{i:04}.png"));
        let img = image::open(&png).expect("png").to_rgb8();
        assert_eq!((img.width(), img.height()), (200, 150));
        let text =
            std::fs::read_to_string(out.join(format!("scene_{i:04}.truth.json"))).expect("truth");
        let t: Truth = serde_json::from_str(&text).expect("truth parses");
        assert_eq!(
            (t.px_per_mm, t.light.azimuth_deg, t.mix),
            (10.0, 200.0, Mix::Rolling)
        );
    }
    // Nothing but the six files (no leftover temporary files).
    assert_eq!(std::fs::read_dir(&out).expect("dir").count(), 6);

    scarscope()
        .arg("render")
        .arg(&out)
        .args([
            "--name",
            "rolling_dark",
            "--tone",
            "dark",
            "--jpeg-quality",
            "80",
        ])
        .args(["--width", "200", "--height", "150"])
        .assert()
        .success();
    assert!(out.join("rolling_dark.jpg").exists());
    let t: Truth = serde_json::from_str(
        &std::fs::read_to_string(out.join("rolling_dark.truth.json")).expect("truth"),
    )
    .expect("truth parses");
    assert_eq!(t.skin_tone, "dark");
    // A parameter file: its frame, scale and mix are used; a flag overrides its height.
    let params = dir.path().join("p.toml");
    std::fs::write(
        &params,
        "width = 120\nheight = 90\npx_per_mm = 9.0\nmix = \"raised\"\ngloss = 0.0\n",
    )
    .expect("write params");
    scarscope()
        .arg("render")
        .arg(&out)
        .args(["--name", "from_file", "--height", "100", "--params"])
        .arg(&params)
        .assert()
        .success();
    let t: Truth = serde_json::from_str(
        &std::fs::read_to_string(out.join("from_file.truth.json")).expect("truth"),
    )
    .expect("truth parses");
    assert_eq!(
        (t.width, t.height, t.px_per_mm, t.mix),
        (120, 100, 9.0, Mix::Raised)
    );
    std::fs::write(&params, "colour = 3\n").expect("write params");
    scarscope()
        .arg("render")
        .arg(&out)
        .arg("--params")
        .arg(&params)
        .assert()
        .failure();
    for bad in [
        vec!["--name", "../escape"],
        vec!["--tone", "green"],
        vec!["--count", "2", "--name", "x"],
        vec!["--elevation", "95"],
    ] {
        scarscope()
            .arg("render")
            .arg(&out)
            .args(&bad)
            .assert()
            .failure();
    }
}

#[test]
fn render_command_writes_pairs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("pairs");
    scarscope()
        .arg("render")
        .arg(&out)
        .args(["--pair", "--name", "p", "--width", "240", "--height", "180"])
        .args(["--depth-factor", "0.5", "--rotate", "-7", "--scale", "1.05"])
        .args([
            "--shift",
            "-12,4",
            "--after-azimuth",
            "270",
            "--exposure-gain",
            "1.2",
        ])
        .assert()
        .success();
    let b = image::open(out.join("p_before.png"))
        .expect("before")
        .to_rgb8();
    let a = image::open(out.join("p_after.png"))
        .expect("after")
        .to_rgb8();
    assert_eq!(b.dimensions(), a.dimensions());
    let t: scarscope::render::PairTruth = serde_json::from_str(
        &std::fs::read_to_string(out.join("p.pair.json")).expect("pair truth"),
    )
    .expect("pair truth parses");
    assert_eq!(t.transform.shift_px, [-12.0, 4.0]);
    assert_eq!(t.after.light.azimuth_deg, 270.0);
    assert!(t
        .lesions
        .iter()
        .all(|l| l.relief_after == 0.5 * l.relief_before));
}

#[test]
fn ice_picks_are_dark_at_the_centre_and_boxcars_have_a_lit_floor() {
    // domain.md §1: ice pick (V) is a small dark pit, darkest at the centre; boxcar (U) has a flat floor.
    for az in AZIMUTHS {
        let skin = |img: &RgbImage| mean_luma(img, 30.0, 120.0, 8.0);
        let ice = render(&single(Subtype::IcePick, -0.5, 1.6, az, 45.0)).rgb;
        let core = mean_luma(&ice, 120.0, 120.0, 2.0);
        assert!(
            core < 0.75 * skin(&ice),
            "ice pick from {az}°: core {core:.1} vs skin {:.1}",
            skin(&ice)
        );
        let boxcar = render(&single(Subtype::Boxcar, -0.3, 3.5, az, 45.0)).rgb;
        let floor = mean_luma(&boxcar, 120.0, 120.0, 4.0);
        let s = skin(&boxcar);
        assert!(
            (floor - s).abs() < 0.1 * s,
            "boxcar from {az}°: floor {floor:.1} vs skin {s:.1}"
        );
    }
}

#[test]
fn rendered_skin_reads_as_its_ita_band() {
    // The analysis reports the ITA° band of the median skin colour (domain.md §4); the rendered photo, with
    // its light, cast, vignetting, noise and JPEG, must still read as the band the truth names.
    let base = SceneParams {
        width: 400,
        height: 300,
        ..SceneParams::default()
    };
    for p in scene_suite(31, 24, &base) {
        let r = render(&random_scene(&p));
        let (mut ls, mut bs): (Vec<f64>, Vec<f64>) = r
            .rgb
            .pixels()
            .step_by(3)
            .map(|px| {
                let lab = scarscope::colour::srgb8_to_lab(px.0);
                (lab[0], lab[2])
            })
            .unzip();
        ls.sort_by(f64::total_cmp);
        bs.sort_by(f64::total_cmp);
        let ita = scarscope::colour::ita_degrees(ls[ls.len() / 2], bs[bs.len() / 2]);
        let band = scarscope::colour::ItaBand::from_ita(ita).as_str();
        assert_eq!(band, r.truth.skin_tone, "seed {}: ITA {ita:.1}", p.seed);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Odd parameters never panic, never leave lesions outside the frame, and give a well-formed truth.
    #[test]
    fn odd_parameters_render_without_panicking(
        w in 16u32..160,
        h in 16u32..160,
        ppm in 0.6f64..40.0,
        seed in 0u64..1000,
        mix in 0usize..7,
        az in -720.0f64..720.0,
        el in 1.0f64..90.0,
        flat in proptest::bool::ANY,
        ambient in 0.0f64..1.0,
        blur in 0.0f64..3.0,
    ) {
        let mixes = [Mix::IcePick, Mix::Boxcar, Mix::Rolling, Mix::Raised, Mix::Active, Mix::FlatOnly, Mix::Random];
        let p = SceneParams {
            width: w,
            height: h,
            px_per_mm: ppm,
            seed,
            mix: mixes[mix],
            azimuth_deg: Some(az),
            elevation_deg: Some(el),
            flat_light: flat,
            ambient,
            blur_px: blur,
            jpeg_quality: if seed % 2 == 0 { Some(75) } else { None },
            ..SceneParams::default()
        };
        let scene = random_scene(&p);
        let r = render(&scene);
        proptest::prop_assert_eq!(r.rgb.dimensions(), (w, h));
        proptest::prop_assert!((0.0..360.0).contains(&r.truth.light.azimuth_deg));
        check_geometry(&r.truth);
        let json = serde_json::to_string(&r.truth).expect("serialises");
        let back: Truth = serde_json::from_str(&json).expect("parses");
        proptest::prop_assert_eq!(back.lesions.len(), r.truth.lesions.len());
        let (a, b, _) = render_pair(&scene, 0.5, (az + 90.0, el), 1.3, az / 10.0, 1.0 + blur / 10.0, (3.0, -2.0));
        proptest::prop_assert_eq!(a.dimensions(), b.dimensions());
    }
}

#[test]
fn fixtures_are_reproduced_by_their_readme_commands() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("fixtures/README.md");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut n = 0;
    for line in readme
        .lines()
        .filter(|l| l.starts_with("scarscope render fixtures "))
    {
        let args: Vec<&str> = line.split_whitespace().skip(3).collect();
        let name = args[args.iter().position(|a| *a == "--name").expect("--name") + 1];
        scarscope()
            .arg("render")
            .arg(dir.path())
            .args(&args)
            .assert()
            .success();
        let truth = |d: &std::path::Path| {
            std::fs::read_to_string(d.join(format!("{name}.truth.json"))).expect("truth file")
        };
        assert_eq!(
            truth(dir.path()),
            truth(&root),
            "{name}: truth differs from the fixture"
        );
        let img = |d: &std::path::Path| {
            image::open(d.join(format!("{name}.jpg")))
                .expect("fixture image")
                .to_rgb8()
        };
        let (a, b) = (img(dir.path()), img(&root));
        assert_eq!(a.dimensions(), b.dimensions());
        let mad = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| (*x as f64 - *y as f64).abs())
            .sum::<f64>()
            / a.as_raw().len() as f64;
        assert!(
            mad < 0.5,
            "{name}: pixels differ from the fixture by {mad:.2} on average"
        );
        n += 1;
    }
    assert_eq!(n, 6, "six fixtures listed in fixtures/README.md");
}

#[test]
fn hairs_and_watermarks_are_drawn_but_are_not_lesions() {
    let p = SceneParams {
        seed: 77,
        mix: Mix::Boxcar,
        noise_sigma: 0.0,
        ..SceneParams::default()
    };
    let plain = render(&random_scene(&p));
    let hairy = render(&random_scene(&SceneParams {
        hairs: 6,
        watermark: Some("BEFORE".into()),
        ..p.clone()
    }));
    assert_eq!(plain.truth.lesions, hairy.truth.lesions);
    assert_eq!(plain.truth.expected, hairy.truth.expected);
    assert_eq!(
        (hairy.truth.hairs, hairy.truth.watermark.as_deref()),
        (6, Some("BEFORE"))
    );
    let luma = |p: &image::Rgb<u8>| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
    let (mut darker, mut brighter) = (0, 0);
    for (a, b) in plain.rgb.pixels().zip(hairy.rgb.pixels()) {
        let d = luma(b) - luma(a);
        darker += usize::from(d < -30.0);
        brighter += usize::from(d > 30.0);
    }
    assert!(darker > 200, "hairs darkened only {darker} px");
    assert!(
        brighter > 200,
        "the watermark brightened only {brighter} px"
    );
    // Truth files of scenes without artefacts do not mention them.
    let json = serde_json::to_string(&plain.truth).expect("serialises");
    assert!(!json.contains("hairs") && !json.contains("watermark"));
}

#[test]
fn mostly_background_scenes_expect_an_uncertain_verdict() {
    for seed in 0..6 {
        let p = SceneParams {
            seed,
            mix: Mix::Unusable,
            ..SceneParams::default()
        };
        let scene = random_scene(&p);
        let r = render(&scene);
        let bg = scene
            .background
            .as_ref()
            .expect("unusable scenes have a background");
        let share = r.truth.background_fraction.expect("recorded in the truth");
        assert!((share - 0.7).abs() < 0.05, "background share {share}");
        assert_eq!(r.truth.expected.verdict, Verdict::Uncertain);
        assert!(!r.truth.lesions.is_empty());
        check_geometry(&r.truth);
        for l in &r.truth.lesions {
            assert!(
                bg.depth_px(l.center[0], l.center[1]) < 0.0,
                "lesion {} on the background",
                l.id
            );
        }
        // Background pixels are cloth (neutral or bluish), clearly not skin (b* well above 0).
        let (mut bg_b, mut skin_b) = (Vec::new(), Vec::new());
        for (x, y, px) in r.rgb.enumerate_pixels() {
            let d = bg.depth_px(x as f64, y as f64);
            let b = scarscope::colour::srgb8_to_lab(px.0)[2];
            if d > 10.0 {
                bg_b.push(b);
            } else if d < -10.0 {
                skin_b.push(b);
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        assert!(
            mean(&bg_b) < mean(&skin_b) - 5.0,
            "seed {seed}: cloth b* {:.1} vs skin b* {:.1}",
            mean(&bg_b),
            mean(&skin_b)
        );
    }
    // A small background keeps the ordinary verdict.
    let p = SceneParams {
        seed: 3,
        mix: Mix::Boxcar,
        background: 0.3,
        ..SceneParams::default()
    };
    let t = random_scene(&p).truth();
    assert_eq!(t.expected.verdict, Verdict::Typical);
    assert!(t
        .background_fraction
        .is_some_and(|f| (f - 0.3).abs() < 0.05));
}
