//! Renderer tests: determinism, truth geometry, the relief-shading rule of domain.md §4 under four light
//! directions, flat marks without shading asymmetry, pairs, and the `render` command's files.

use std::collections::BTreeMap;

use image::RgbImage;
use scarscope::render::command::{run, RenderArgs};
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

#[test]
fn render_command_writes_images_and_truth_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let args = RenderArgs {
        out_dir: dir.path().join("out"),
        count: 3,
        seed: 4,
        width: 200,
        height: 150,
        px_per_mm: 10.0,
        azimuth: Some(200.0),
        elevation: None,
        tone: None,
        mix: Some(Mix::Rolling),
        jpeg_quality: None,
        flat_light: false,
        noise: 1.0,
        name: None,
        params: None,
    };
    run(&args).expect("render");
    for i in 1..=3 {
        let png = dir.path().join(format!("out/scene_{i:04}.png"));
        let img = image::open(&png).expect("png").to_rgb8();
        assert_eq!((img.width(), img.height()), (200, 150));
        let text = std::fs::read_to_string(dir.path().join(format!("out/scene_{i:04}.truth.json")))
            .expect("truth");
        let t: Truth = serde_json::from_str(&text).expect("truth parses");
        assert_eq!(
            (t.px_per_mm, t.light.azimuth_deg, t.mix),
            (10.0, 200.0, Mix::Rolling)
        );
    }
    // Nothing but the six files (no leftover temporary files).
    assert_eq!(
        std::fs::read_dir(dir.path().join("out"))
            .expect("dir")
            .count(),
        6
    );
    let jpg = RenderArgs {
        jpeg_quality: Some(80),
        count: 1,
        ..args
    };
    run(&jpg).expect("render jpeg");
    assert!(dir.path().join("out/scene_0001.jpg").exists());
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
        let band = scarscope::colour::ItaBand::from_ita(ita).name();
        assert_eq!(band, r.truth.skin_tone, "seed {}: ITA {ita:.1}", p.seed);
    }
}
