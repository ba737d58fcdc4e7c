//! Drawn cases of the real-photo failures the analysis issue lists: a face with eyes, brows, nostrils and lips
//! covered in small red papules; a large glossy raised lesion filling a third of the frame; patterned cloth;
//! three raised bumps under a side light from a renderer other than the project's own. No photo is read:
//! every picture is drawn here.

use image::{Rgb, RgbImage};
use scarscope::analyze::{analyze, AnalysisOptions};
use scarscope::profile::Profile;
use scarscope::report::{Dominant, RegionClass, Verdict};
use std::sync::Arc;

fn opts() -> AnalysisOptions {
    AnalysisOptions {
        px_per_mm: None,
        profile: Arc::new(Profile::builtin()),
    }
}

/// A small deterministic generator (xorshift) for skin mottling and lesion positions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Skin of a given colour with pores and gentle mottling.
fn skin(w: u32, h: u32, c: [f64; 3], seed: u64) -> RgbImage {
    let mut r = Rng(seed | 1);
    let mut img = RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let mottle = 4.0 * ((x as f64 / 37.0).sin() + (y as f64 / 29.0).cos());
        let pore = if r.next() < 0.02 { -14.0 } else { 0.0 };
        let n = 6.0 * (r.next() - 0.5) + mottle + pore;
        *p = Rgb(c.map(|v| (v + n).clamp(0.0, 255.0) as u8));
    }
    img
}

/// Blends colour `c` into a soft-edged ellipse.
fn blob(img: &mut RgbImage, cx: f64, cy: f64, ax: f64, ay: f64, c: [f64; 3], strength: f64) {
    let (w, h) = img.dimensions();
    let x0 = (cx - ax - 2.0).max(0.0) as u32;
    let y0 = (cy - ay - 2.0).max(0.0) as u32;
    let x1 = ((cx + ax + 2.0) as u32).min(w - 1);
    let y1 = ((cy + ay + 2.0) as u32).min(h - 1);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = ((x as f64 - cx) / ax).powi(2) + ((y as f64 - cy) / ay).powi(2);
            if d < 1.0 {
                let t = strength * (1.0 - d).sqrt();
                let p = img.get_pixel_mut(x, y);
                for (v, ck) in p.0.iter_mut().zip(c) {
                    *v = (*v as f64 * (1.0 - t) + ck * t).round() as u8;
                }
            }
        }
    }
}

#[test]
#[ignore = "open (issue 13): measured on main, this drawn face reads as raised (0.9999) and is not flagged; \
            the table fitted on real photos extrapolates on drawings (real active faces: 96 % flagged in CV)"]
fn a_face_covered_in_small_red_papules_is_active_and_not_typical() {
    let (w, h) = (640u32, 640u32);
    let mut img = skin(w, h, [214.0, 168.0, 140.0], 3);
    let s = w as f64;
    // Eyes, brows, nostrils and lips where a face has them.
    for ex in [0.3 * s, 0.7 * s] {
        blob(
            &mut img,
            ex,
            0.3 * s,
            0.08 * s,
            0.03 * s,
            [232.0, 230.0, 226.0],
            1.0,
        );
        blob(
            &mut img,
            ex,
            0.3 * s,
            0.026 * s,
            0.026 * s,
            [70.0, 45.0, 30.0],
            1.0,
        );
        blob(
            &mut img,
            ex,
            0.21 * s,
            0.09 * s,
            0.018 * s,
            [58.0, 40.0, 30.0],
            1.0,
        );
    }
    for nx in [0.45 * s, 0.55 * s] {
        blob(
            &mut img,
            nx,
            0.54 * s,
            0.022 * s,
            0.013 * s,
            [62.0, 36.0, 34.0],
            1.0,
        );
    }
    blob(
        &mut img,
        0.5 * s,
        0.78 * s,
        0.11 * s,
        0.035 * s,
        [172.0, 82.0, 90.0],
        1.0,
    );
    // Sixty papules 6-20 px across on the cheeks, forehead and chin (domain.md §6: 5-25 px at 640 px).
    let mut r = Rng(99);
    let mut placed = 0;
    while placed < 60 {
        let (x, y) = (r.next() * s, r.next() * s);
        let on_feature = (0.2 * s..0.8 * s).contains(&x) && (0.15 * s..0.36 * s).contains(&y)
            || (0.38 * s..0.62 * s).contains(&x) && (0.5 * s..0.85 * s).contains(&y);
        if on_feature || x < 10.0 || y < 10.0 || x > s - 10.0 || y > s - 10.0 {
            continue;
        }
        let rad = 3.0 + 7.0 * r.next();
        blob(&mut img, x, y, rad, rad, [196.0, 70.0, 70.0], 0.8);
        placed += 1;
    }
    let img = scarscope::render::jpeg_roundtrip(&img, 85);
    let a = analyze(&img, &opts());
    assert!(
        a.summary.active_inflammation,
        "active acne must be flagged: {:?}",
        a.summary.family_probabilities
    );
    assert_ne!(a.microneedling.verdict, Verdict::Typical);
}

#[test]
fn a_large_glossy_raised_lesion_filling_a_third_of_the_frame_is_raised() {
    let (w, h) = (480u32, 360u32);
    let mut img = skin(w, h, [206.0, 160.0, 132.0], 5);
    // An elongated, smooth, pink-red keloid over about a third of the frame, with a sharp border.
    let (cx, cy, ax, ay) = (240.0, 180.0, 190.0, 70.0);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let d = ((x as f64 - cx) / ax).powi(2) + ((y as f64 - cy) / ay).powi(2);
        if d < 1.0 {
            let shade = 12.0 * ((x as f64 - cx) / ax);
            *p = Rgb([
                (188.0 + shade) as u8,
                (96.0 + shade) as u8,
                (104.0 + shade) as u8,
            ]);
        }
    }
    // Glossy highlights along its crest.
    for k in 0..5 {
        blob(
            &mut img,
            120.0 + 60.0 * k as f64,
            150.0,
            14.0,
            5.0,
            [250.0, 246.0, 244.0],
            0.9,
        );
    }
    let img = scarscope::render::jpeg_roundtrip(&img, 85);
    let a = analyze(&img, &opts());
    assert_eq!(
        a.summary.dominant,
        Dominant::Hypertrophic,
        "{:?}",
        a.summary.family_probabilities
    );
    assert_eq!(a.microneedling.verdict, Verdict::NotTypical);
}

#[test]
fn patterned_cloth_gives_no_lesions() {
    let (w, h) = (480u32, 480u32);
    let mut img = skin(w, h, [210.0, 165.0, 138.0], 7);
    // A striped and checked shirt over the lower half.
    for y in 240..h {
        for x in 0..w {
            let stripe = (x / 12) % 2 == 0;
            let check = (y / 20) % 2 == 0;
            let c = match (stripe, check) {
                (true, true) => [30, 40, 120],
                (true, false) => [60, 70, 150],
                (false, true) => [235, 235, 240],
                (false, false) => [200, 40, 40],
            };
            img.put_pixel(x, y, Rgb(c));
        }
    }
    let img = scarscope::render::jpeg_roundtrip(&img, 85);
    let a = analyze(&img, &opts());
    let on_cloth: Vec<_> = a.regions.iter().filter(|r| r.center[1] >= 240.0).collect();
    assert!(
        on_cloth.is_empty(),
        "{} regions on the cloth: {:?}",
        on_cloth.len(),
        on_cloth
            .iter()
            .map(|r| (r.subtype, r.center))
            .collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "open (issue 13): measured on main, two bumps are keloids and the one nearest the light a \
            pustule (its lit cap reads as a white head)"]
fn three_raised_bumps_under_a_side_light_are_three_raised_regions() {
    let (w, h) = (600u32, 400u32);
    let mut img = skin(w, h, [204.0, 158.0, 130.0], 11);
    // Three pink domes 60 px across, lit from the left: Lambertian shading of a spherical cap.
    let light = [-0.8f64, 0.0, 0.6];
    for &(cx, cy) in &[(150.0, 200.0), (300.0, 200.0), (450.0, 200.0)] {
        let r: f64 = 30.0;
        for y in (cy - r) as u32..(cy + r) as u32 {
            for x in (cx - r) as u32..(cx + r) as u32 {
                let (dx, dy) = ((x as f64 - cx) / r, (y as f64 - cy) / r);
                let d2 = dx * dx + dy * dy;
                if d2 >= 1.0 {
                    continue;
                }
                let n = [dx * 0.8, dy * 0.8, (1.0 - 0.64 * d2).sqrt()];
                let lam = (n[0] * light[0] + n[1] * light[1] + n[2] * light[2]).max(0.0) / 0.6;
                let base = [214.0, 140.0, 136.0];
                img.put_pixel(
                    x,
                    y,
                    Rgb(base.map(|v: f64| (v * (0.55 + 0.45 * lam)).clamp(0.0, 255.0) as u8)),
                );
            }
        }
    }
    let img = scarscope::render::jpeg_roundtrip(&img, 90);
    let a = analyze(&img, &opts());
    let raised = a
        .regions
        .iter()
        .filter(|r| r.class == RegionClass::Hypertrophic)
        .count();
    assert_eq!(
        raised,
        3,
        "{:?}",
        a.regions
            .iter()
            .map(|r| (r.subtype, r.center))
            .collect::<Vec<_>>()
    );
}
