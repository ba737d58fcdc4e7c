//! The scale read from a visible iris when none is given (`analysis::scale`, domain.md §6: an adult iris is
//! 11.7 mm wide, the eyes' centres 63 mm apart). Every picture is drawn here; no photo is read.

use image::{Rgb, RgbImage};
use scarscope::analyze::{analyze, AnalysisOptions};
use scarscope::profile::Profile;
use scarscope::report::ScaleSource;
use std::sync::Arc;

fn opts(px_per_mm: Option<f64>) -> AnalysisOptions {
    AnalysisOptions {
        px_per_mm,
        profile: Arc::new(Profile::builtin()),
    }
}

/// Fills an ellipse with colour `c`.
fn ellipse(img: &mut RgbImage, cx: f64, cy: f64, ax: f64, ay: f64, c: [u8; 3]) {
    let (w, h) = img.dimensions();
    for y in 0..h {
        for x in 0..w {
            let d = ((x as f64 + 0.5 - cx) / ax).powi(2) + ((y as f64 + 0.5 - cy) / ay).powi(2);
            if d < 1.0 {
                img.put_pixel(x, y, Rgb(c));
            }
        }
    }
}

/// Skin with faint deterministic mottling and pores, 640×480.
fn skin() -> RgbImage {
    RgbImage::from_fn(640, 480, |x, y| {
        let m = 3.0 * ((x as f64 / 23.0).sin() + (y as f64 / 17.0).cos());
        let pore = if (x * 7 + y * 13) % 53 == 0 {
            -10.0
        } else {
            0.0
        };
        Rgb([200.0, 150.0, 125.0].map(|v: f64| (v + m + pore) as u8))
    })
}

/// An open eye centred at (cx, cy): white 2.5 irises wide and 0.9 high, a brown iris of `iris` px with a
/// black pupil (the lids cover the iris's top and bottom a little, as in an open adult eye).
fn eye(img: &mut RgbImage, cx: f64, cy: f64, iris: f64) {
    ellipse(img, cx, cy, 1.25 * iris, 0.45 * iris, [236, 233, 230]);
    // The iris, clipped to the opening: only where the white is.
    let (w, h) = img.dimensions();
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
            let in_opening = (dx / (1.25 * iris)).powi(2) + (dy / (0.45 * iris)).powi(2) < 1.0;
            if in_opening && dx.hypot(dy) < 0.5 * iris {
                let c = if dx.hypot(dy) < 0.18 * iris {
                    [15, 12, 12]
                } else {
                    [95, 62, 40]
                };
                img.put_pixel(x, y, Rgb(c));
            }
        }
    }
}

const IRIS_PX: f64 = 30.0;

/// A face at 30 px per iris (2.56 px/mm): two eyes 63 mm (161 px) apart, level.
fn face() -> RgbImage {
    let mut img = skin();
    let apart = 63.0 * IRIS_PX / 11.7;
    for cx in [320.0 - 0.5 * apart, 320.0 + 0.5 * apart] {
        eye(&mut img, cx, 200.0, IRIS_PX);
    }
    img
}

#[test]
fn two_eyes_in_adult_proportions_give_the_scale_from_the_iris() {
    let a = analyze(&face(), &opts(None));
    assert_eq!(
        a.scale_source,
        ScaleSource::Estimated,
        "{:?}",
        a.quality.notes
    );
    let truth = IRIS_PX / 11.7;
    let got = a.px_per_mm.expect("an estimated scale");
    // The chord is read between the whites at whole pixels: within 10 % of the drawn scale.
    assert!(
        (got / truth - 1.0).abs() < 0.10,
        "{got} px/mm, drawn {truth}"
    );
    assert!(
        a.quality
            .notes
            .iter()
            .any(|n| n.starts_with("scale estimated from the eyes")),
        "{:?}",
        a.quality.notes
    );
    // Regions are sized in mm at that scale.
    for r in &a.regions {
        let mm = r.diameter_mm.expect("diameter in mm");
        assert!((mm * got - r.diameter_px).abs() < 0.01 * r.diameter_px.max(1.0));
    }
}

#[test]
fn one_eye_alone_gives_no_scale() {
    let mut img = skin();
    eye(&mut img, 320.0, 200.0, IRIS_PX);
    let a = analyze(&img, &opts(None));
    assert_eq!(a.scale_source, ScaleSource::None);
    assert_eq!(a.px_per_mm, None);
    assert!(a.regions.iter().all(|r| r.diameter_mm.is_none()));
}

#[test]
fn eyes_too_far_apart_for_their_irises_give_no_scale_and_say_why() {
    // Irises of 20 px and eyes 300 px apart: 175 mm at the irises' scale, no adult's face.
    let mut img = skin();
    for cx in [170.0, 470.0] {
        eye(&mut img, cx, 200.0, 20.0);
    }
    let a = analyze(&img, &opts(None));
    assert_eq!(a.scale_source, ScaleSource::None, "{:?}", a.quality.notes);
    assert!(
        a.quality.notes.iter().any(|n| n.contains("mm apart")),
        "{:?}",
        a.quality.notes
    );
}

#[test]
fn a_white_striped_badge_is_not_an_eye() {
    // A watermark-like badge: white stripes around a darker figure, taller than an eye's opening, twice.
    let mut img = skin();
    for cx in [200.0, 440.0] {
        ellipse(&mut img, cx, 240.0, 36.0, 40.0, [240, 238, 236]);
        for k in 0..8 {
            let y = 206.0 + 9.0 * k as f64;
            ellipse(&mut img, cx, y, 34.0, 1.5, [200, 150, 125]);
        }
        ellipse(&mut img, cx, 240.0, 12.0, 30.0, [70, 50, 45]);
    }
    let a = analyze(&img, &opts(None));
    assert_eq!(a.scale_source, ScaleSource::None, "{:?}", a.quality.notes);
}

#[test]
fn a_given_scale_is_used_as_given() {
    let a = analyze(&face(), &opts(Some(5.0)));
    assert_eq!(a.scale_source, ScaleSource::Flag);
    assert_eq!(a.px_per_mm, Some(5.0));
}
