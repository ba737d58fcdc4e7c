//! Pair overlay: before and after side by side, the after photo warped into the before frame (aligned), each
//! region outlined by a circle coloured by its match status.
//!
//! Colours: improved green, unchanged yellow, worse red, resolved (gone) cyan, new magenta; regions outside
//! the shared area grey. A verdict bar runs along the top (green improved, grey no clear change, red worse,
//! black refused).

use image::{imageops, Rgb, RgbImage};
use imageproc::drawing::draw_hollow_circle_mut;

use super::geometry::{warp_rgb, Affine};
use super::pipeline::PairImages;
use super::report::{ChangeVerdict, PairReport, RegionStatus};

/// Largest panel side in the overlay, px (bigger photos are shrunk so overlays stay small).
const MAX_PANEL_SIDE: u32 = 1600;

/// Colour of a region status.
pub fn status_colour(s: RegionStatus) -> Rgb<u8> {
    match s {
        RegionStatus::Improved => Rgb([40, 200, 60]),
        RegionStatus::Unchanged => Rgb([240, 210, 40]),
        RegionStatus::Worse => Rgb([230, 40, 40]),
        RegionStatus::Resolved => Rgb([40, 200, 230]),
        RegionStatus::New => Rgb([220, 60, 220]),
    }
}

fn ring(img: &mut RgbImage, c: (f64, f64), r: f64, colour: Rgb<u8>, thick: i32) {
    let r = r.max(3.0);
    for k in 0..thick {
        draw_hollow_circle_mut(
            img,
            (c.0.round() as i32, c.1.round() as i32),
            r.round() as i32 + k,
            colour,
        );
    }
}

/// Draws the overlay of one pair.
pub fn render_overlay(pair: &PairReport, imgs: &PairImages) -> RgbImage {
    let (w, h) = imgs.before.dimensions();
    let (warped, _) = warp_rgb(&imgs.after, &imgs.map, w, h, [0, 0, 0]);
    let inv = imgs.map.inverse().unwrap_or(Affine::IDENTITY);
    let s = imgs.map.scale().max(1e-6);
    let mut left = imgs.before.clone();
    let mut right = warped;
    let thick = ((w.max(h) / 400) as i32).max(1);
    let grey = Rgb([150, 150, 150]);
    let mut status_b = std::collections::BTreeMap::new();
    let mut status_a = std::collections::BTreeMap::new();
    for m in &pair.regions {
        if let Some(id) = m.before_id {
            status_b.insert(id, m.status);
        }
        if let Some(id) = m.after_id {
            status_a.insert(id, m.status);
        }
    }
    for r in &pair.before.regions {
        let col = status_b
            .get(&r.id)
            .map(|s| status_colour(*s))
            .unwrap_or(grey);
        ring(
            &mut left,
            (r.center[0], r.center[1]),
            r.diameter_px / 2.0 + 2.0,
            col,
            thick,
        );
    }
    for r in &pair.after.regions {
        let col = status_a
            .get(&r.id)
            .map(|s| status_colour(*s))
            .unwrap_or(grey);
        let c = inv.apply(r.center[0], r.center[1]);
        ring(&mut right, c, r.diameter_px / s / 2.0 + 2.0, col, thick);
    }
    let gap = 8u32;
    let bar = (h / 40).max(6);
    let mut out = RgbImage::from_pixel(2 * w + gap, h + bar, Rgb([255, 255, 255]));
    let verdict_col = match (pair.verdict, pair.status) {
        (_, crate::report::Status::Error) => Rgb([0, 0, 0]),
        (Some(ChangeVerdict::Improved), _) => Rgb([40, 200, 60]),
        (Some(ChangeVerdict::Worse), _) => Rgb([230, 40, 40]),
        _ => Rgb([150, 150, 150]),
    };
    for y in 0..bar {
        for x in 0..out.width() {
            out.put_pixel(x, y, verdict_col);
        }
    }
    imageops::replace(&mut out, &left, 0, bar as i64);
    imageops::replace(&mut out, &right, (w + gap) as i64, bar as i64);
    let side = out.width().max(out.height());
    if side > 2 * MAX_PANEL_SIDE {
        let f = 2.0 * MAX_PANEL_SIDE as f64 / side as f64;
        let (nw, nh) = (
            (out.width() as f64 * f).round() as u32,
            (out.height() as f64 * f).round() as u32,
        );
        out = imageops::resize(&out, nw.max(1), nh.max(1), imageops::FilterType::Triangle);
    }
    out
}

/// PNG bytes of an overlay.
pub fn encode_png(img: &RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)?;
    Ok(buf.into_inner())
}
