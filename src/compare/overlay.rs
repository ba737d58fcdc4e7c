//! Pair overlay: before and after side by side, the after photo warped into the before frame (aligned), each
//! region outlined by a circle coloured by its match status.
//!
//! Colours: improved green, unchanged yellow, worse red, resolved (gone) cyan, new magenta; regions outside
//! the shared area grey. A header above the photos names the pair, gives the verdict (and its confidence)
//! with a bar in the verdict's colour (green improved, grey no clear change, red worse, black refused), labels
//! the two panels `before` and `after (aligned)`, and carries the legend of the colours.

use image::{imageops, Rgb, RgbImage};
use imageproc::drawing::draw_hollow_circle_mut;

use super::geometry::{warp_rgb, Affine};
use super::pipeline::PairImages;
use super::report::{ChangeVerdict, PairReport, RegionStatus};
use crate::overlay::{draw_legend, fit_header, flow, font, font_px_for, LegendItem};

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

/// Statuses in legend order.
const STATUSES: [RegionStatus; 5] = [
    RegionStatus::Improved,
    RegionStatus::Unchanged,
    RegionStatus::Worse,
    RegionStatus::Resolved,
    RegionStatus::New,
];

/// Colour of regions outside the area both photos show.
const OUTSIDE: Rgb<u8> = Rgb([150, 150, 150]);

/// The legend of the region colours.
pub fn status_legend() -> Vec<LegendItem> {
    let mut items: Vec<LegendItem> = STATUSES
        .iter()
        .map(|&s| LegendItem {
            swatch: Some(status_colour(s)),
            text: match s {
                RegionStatus::Resolved => "resolved (gone)".to_string(),
                s => s.as_str().to_string(),
            },
            colour: Rgb([235, 235, 235]),
        })
        .collect();
    items.push(LegendItem {
        swatch: Some(OUTSIDE),
        text: "outside the shared area".to_string(),
        colour: Rgb([235, 235, 235]),
    });
    items
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

/// Draws the overlay of one pair: the two panels under a labelled header (see the module doc).
pub fn render_overlay(pair: &PairReport, imgs: &PairImages) -> RgbImage {
    with_header(pair, render_panels(pair, imgs))
}

/// The two panels of a pair's overlay, side by side, without the header (the HTML report's thumbnail).
pub fn render_panels(pair: &PairReport, imgs: &PairImages) -> RgbImage {
    let (w, h) = imgs.before.dimensions();
    let (warped, _) = warp_rgb(&imgs.after, &imgs.map, w, h, [0, 0, 0]);
    let inv = imgs.map.inverse().unwrap_or(Affine::IDENTITY);
    let s = imgs.map.scale().max(1e-6);
    let mut left = imgs.before.clone();
    let mut right = warped;
    let thick = ((w.max(h) / 400) as i32).max(1);
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
            .unwrap_or(OUTSIDE);
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
            .unwrap_or(OUTSIDE);
        let c = inv.apply(r.center[0], r.center[1]);
        ring(&mut right, c, r.diameter_px / s / 2.0 + 2.0, col, thick);
    }
    let gap = 8u32;
    let mut panels = RgbImage::from_pixel(2 * w + gap, h, Rgb([24, 24, 24]));
    imageops::replace(&mut panels, &left, 0, 0);
    imageops::replace(&mut panels, &right, (w + gap) as i64, 0);
    let side = panels.width().max(panels.height());
    if side > 2 * MAX_PANEL_SIDE {
        let f = 2.0 * MAX_PANEL_SIDE as f64 / side as f64;
        let (nw, nh) = (
            (panels.width() as f64 * f).round() as u32,
            (panels.height() as f64 * f).round() as u32,
        );
        panels = imageops::resize(
            &panels,
            nw.max(1),
            nh.max(1),
            imageops::FilterType::Triangle,
        );
    }
    panels
}

/// Puts the header (pair, verdict, panel labels, legend) above the two panels; text is sized after any
/// shrinking, so it is as readable as on a single-photo overlay.
pub fn with_header(pair: &PairReport, panels: RgbImage) -> RgbImage {
    let (pw, ph) = panels.dimensions();
    let half = pw / 2;
    let white = Rgb([255, 255, 255]);
    let verdict_col = match (pair.verdict, pair.status) {
        (_, crate::report::Status::Error) => Rgb([0, 0, 0]),
        (Some(ChangeVerdict::Improved), _) => Rgb([40, 200, 60]),
        (Some(ChangeVerdict::Worse), _) => Rgb([230, 40, 40]),
        _ => Rgb([150, 150, 150]),
    };
    let verdict = match (&pair.error, pair.verdict, pair.verdict_confidence) {
        (Some(e), _, _) => format!("not compared: {e}"),
        (None, Some(v), Some(c)) => format!(
            "verdict: {} (confidence {c:.2})",
            v.as_str().replace('_', " ")
        ),
        (None, Some(v), None) => format!("verdict: {}", v.as_str().replace('_', " ")),
        (None, None, _) => "verdict: none".to_string(),
    };
    let legend = status_legend();
    let base = font_px_for(half.max(1), ph.max(1));
    let pad = (base / 2.0).ceil() as i64;
    let full = (pw as i64 - 2 * pad).max(1) as u32;
    let px = fit_header(&[], |_| full, &legend, full, base);
    let at = flow(&legend, px, pad, pad + full as i64);
    let line_h = (font::line_height(px) as f32 * 1.15).ceil() as i64;
    let legend_lines = at.iter().map(|a| a.1).max().unwrap_or(0) + 1;
    let bar = (ph / 40).max(6) as i64;
    // bar, id, verdict, legend rows, panel labels.
    let header_h = bar + 2 * pad + (3 + legend_lines) * line_h;
    let mut out = RgbImage::from_pixel(pw, ph + header_h as u32, Rgb([24, 24, 24]));
    for y in 0..bar as u32 {
        for x in 0..pw {
            out.put_pixel(x, y, verdict_col);
        }
    }
    let mut y = bar + pad;
    let id = font::fit_start(&format!("pair: {}", pair.id), px, full);
    font::draw_text(&mut out, pad, y, &id, px, white);
    y += line_h;
    let verdict = font::fit_start(&verdict, px, full);
    font::draw_text(&mut out, pad, y, &verdict, px, white);
    y += line_h;
    draw_legend(&mut out, &legend, &at, px, y, line_h);
    y += legend_lines * line_h;
    let room = half.saturating_sub(2 * pad as u32);
    let before = font::fit_start(&format!("before: {}", pair.before.path), px, room);
    let after = font::fit_start(&format!("after (aligned): {}", pair.after.path), px, room);
    font::draw_text(&mut out, pad, y, &before, px, white);
    font::draw_text(&mut out, half as i64 + pad, y, &after, px, white);
    imageops::replace(&mut out, &panels, 0, header_h);
    out
}
