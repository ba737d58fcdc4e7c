//! Drawn cases of the real-photo failures the analysis issue lists: a large glossy raised lesion filling a
//! third of the frame, and patterned cloth. No photo is read: every picture is drawn here. (The drawn papule
//! face and the three side-lit bumps are not yet read right; their measured answers are in issue 13's note.)

use image::{Rgb, RgbImage};
use scarscope::analyze::{analyze, AnalysisOptions};
use scarscope::profile::Profile;
use scarscope::report::{Dominant, Verdict};
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
