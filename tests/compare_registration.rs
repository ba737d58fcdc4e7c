//! Registration accuracy on synthetic skin textures warped by known similarities, re-lit and re-exposed,
//! and refusal of unrelated photos.

use scarscope::compare::geometry::Affine;
use scarscope::compare::registration::{register, RegistrationParams};
use scarscope::compare::synth::{view, World};

const VW: u32 = 480;
const VH: u32 = 400;

/// Before→after similarity with `rot_ccw` degrees (as seen), `scale` and `shift` of the before centre.
fn truth(rot_ccw: f64, scale: f64, shift: [f64; 2]) -> Affine {
    let th = (-rot_ccw).to_radians();
    let c = [(VW as f64 - 1.0) / 2.0, (VH as f64 - 1.0) / 2.0];
    Affine::similarity_about(scale * th.cos(), scale * th.sin(), c, shift)
}

/// Renders the before and after views of one world under two lights and exposures.
fn pair(
    seed: u64,
    t: &Affine,
    az: (f64, f64),
    exposure: f64,
) -> (image::RgbImage, image::RgbImage) {
    let world = World::random(800, 720, 60, seed);
    let b_img = world.render(az.0, 1.0, seed ^ 1);
    let a_img = world.render(az.1, exposure, seed ^ 2);
    let v_b = Affine::axis(1.0, 160.0, 1.0, 160.0);
    let before = view(&b_img, &v_b, VW, VH);
    let t_inv = t.inverse().expect("invertible truth");
    let after = view(&a_img, &v_b.after(&t_inv), VW, VH);
    (before, after)
}

#[test]
fn recovers_known_similarities_under_new_light_and_exposure() {
    let cases = [
        (0.0, 1.0, [0.0, 0.0]),
        (10.0, 1.0, [12.0, -7.0]),
        (-10.0, 1.1, [-20.0, 15.0]),
        (6.5, 0.9, [30.5, 4.25]),
        (-3.0, 1.05, [-8.0, -25.0]),
        (9.0, 0.92, [5.0, 18.0]),
    ];
    let p = RegistrationParams::default();
    for (i, &(rot, sc, sh)) in cases.iter().enumerate() {
        let t = truth(rot, sc, sh);
        let (b, a) = pair(
            100 + i as u64,
            &t,
            (90.0 + 40.0 * i as f64, 200.0 + 30.0 * i as f64),
            0.8 + 0.1 * i as f64,
        );
        let r = register(&b, &a, &p);
        eprintln!(
            "case {i}: truth rot {rot} scale {sc} shift {sh:?} -> rot {:.3} scale {:.4} shift [{:.2}, {:.2}] ncc {:.3} overlap {:.2}",
            r.rotation_deg, r.scale, r.shift_px[0], r.shift_px[1], r.ncc, r.overlap
        );
        assert!(r.ok, "case {i} refused: {:?}", r.reason);
        assert!(
            (r.rotation_deg - rot).abs() < 1.0,
            "case {i}: rotation {} vs {rot}",
            r.rotation_deg
        );
        assert!(
            (r.scale - sc).abs() < 0.01,
            "case {i}: scale {} vs {sc}",
            r.scale
        );
        assert!(
            (r.shift_px[0] - sh[0]).abs() < 2.0 && (r.shift_px[1] - sh[1]).abs() < 2.0,
            "case {i}: shift"
        );
        // Every before pixel's mapping agrees with the truth within 2 px.
        for &(x, y) in &[(0.0, 0.0), (479.0, 0.0), (0.0, 399.0), (479.0, 399.0)] {
            let (ex, ey) = t.apply(x, y);
            let (gx, gy) = r.map.apply(x, y);
            assert!(
                ((ex - gx).powi(2) + (ey - gy).powi(2)).sqrt() < 2.0,
                "case {i}: corner ({x},{y})"
            );
        }
    }
}

#[test]
fn refuses_unrelated_photos() {
    let p = RegistrationParams::default();
    for seed in 0..3u64 {
        let w1 = World::random(VW as usize, VH as usize, 60, 500 + seed);
        let w2 = World::random(VW as usize, VH as usize, 60, 900 + seed);
        let r = register(&w1.render(90.0, 1.0, 1), &w2.render(90.0, 1.0, 2), &p);
        eprintln!(
            "unrelated {seed}: ncc {:.3} overlap {:.2} ok {}",
            r.ncc, r.overlap, r.ok
        );
        assert!(!r.ok);
        assert!(r
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("photos do not show the same area"));
    }
}

/// Registration on the project renderer's pairs: relief rescaled, new light and exposure, warped.
#[test]
fn recovers_render_pair_transforms() {
    use scarscope::render::{random_scene, render_pair, SceneParams};
    let p = RegistrationParams::default();
    let cases = [
        (1u64, 1.0, (200.0, 45.0), 1.2, 10.0, 1.1, (15.0, -10.0)),
        (2, 0.5, (30.0, 35.0), 0.85, -10.0, 0.9, (-12.0, 8.0)),
        (3, 1.5, (300.0, 50.0), 1.1, 4.0, 1.05, (6.0, 20.0)),
        (4, 1.0, (120.0, 40.0), 0.9, -7.0, 0.95, (-20.0, -5.0)),
    ];
    for (seed, depth, light, gain, rot, scale, shift) in cases {
        let scene = random_scene(&SceneParams {
            seed,
            width: 640,
            height: 480,
            ..SceneParams::default()
        });
        let (b, a, truth) = render_pair(&scene, depth, light, gain, rot, scale, shift);
        let r = register(&b, &a, &p);
        let t = &truth.transform;
        eprintln!(
            "render seed {seed}: truth rot {rot} scale {scale} shift {shift:?} -> rot {:.3} scale {:.4} shift [{:.2}, {:.2}] ncc {:.3}",
            r.rotation_deg, r.scale, r.shift_px[0], r.shift_px[1], r.ncc
        );
        assert!(r.ok, "seed {seed} refused: {:?}", r.reason);
        assert!(
            (r.rotation_deg - t.rotation_deg).abs() < 1.0,
            "seed {seed}: rotation"
        );
        assert!(
            (r.shift_px[0] - t.shift_px[0]).abs() < 2.0
                && (r.shift_px[1] - t.shift_px[1]).abs() < 2.0,
            "seed {seed}: shift"
        );
        assert!((r.scale - t.scale).abs() < 0.01, "seed {seed}: scale");
    }
}

/// An after photo at another resolution (60 % of the before photo's pixels per side) still aligns: the scale
/// then includes the resolution ratio.
#[test]
fn aligns_photos_taken_at_different_resolutions() {
    use scarscope::render::{random_scene, render_pair, SceneParams};
    let scene = random_scene(&SceneParams {
        seed: 7,
        width: 800,
        height: 600,
        ..SceneParams::default()
    });
    let (b, a, truth) = render_pair(&scene, 1.0, (100.0, 45.0), 1.1, 8.0, 1.08, (30.0, -20.0));
    let a_small = image::imageops::resize(&a, 480, 360, image::imageops::FilterType::Triangle);
    let r = register(&b, &a_small, &RegistrationParams::default());
    assert!(r.ok, "{:?}", r.reason);
    assert!((r.scale - 1.08 * 0.6).abs() < 0.01, "scale {}", r.scale);
    assert!((r.rotation_deg - 8.0).abs() < 1.0);
    for p in [[50.0, 60.0], [700.0, 500.0], [400.0, 300.0]] {
        let e = truth.transform.apply(p);
        // Pixel centres: x_small = 0.6 (x + 0.5) − 0.5.
        let (ex, ey) = (0.6 * (e[0] + 0.5) - 0.5, 0.6 * (e[1] + 0.5) - 0.5);
        let (x, y) = r.map.apply(p[0], p[1]);
        assert!(
            (x - ex).hypot(y - ey) < 2.0,
            "point {p:?}: ({x:.2},{y:.2}) vs ({ex:.2},{ey:.2})"
        );
    }
}
