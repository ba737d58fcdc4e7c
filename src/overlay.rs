//! Overlay: a picture per image with each region outlined in its class colour and labelled, a legend, the
//! verdict and dominant subtype, and an arrow showing where the light comes from.
//!
//! Text uses the built-in 5×7 bitmap font of [`font`] (no font files needed), scaled with the image size.
//! Line widths are 2 px on a ~500 px image and grow with the image.

pub mod font;

use std::path::Path;

use anyhow::Context;
use image::{Rgb, RgbImage};

use crate::analyze::Analysis;
use crate::report::{RegionClass, Subtype};

/// Outline colour of a class: clear hues that stand out on every skin tone.
pub fn class_colour(c: RegionClass) -> Rgb<u8> {
    match c {
        RegionClass::Atrophic => Rgb([0, 150, 255]),
        RegionClass::Hypertrophic => Rgb([255, 0, 220]),
        RegionClass::Inflammatory => Rgb([255, 110, 0]),
        RegionClass::Flat => Rgb([255, 235, 0]),
    }
}

/// Two-letter code of a subtype for labels.
pub fn subtype_code(s: Subtype) -> &'static str {
    match s {
        Subtype::IcePick => "IP",
        Subtype::Boxcar => "BX",
        Subtype::Rolling => "RO",
        Subtype::Hypertrophic => "HY",
        Subtype::Keloid => "KE",
        Subtype::Papule => "PA",
        Subtype::Pustule => "PU",
        Subtype::Pigmented => "PG",
        Subtype::Erythematous => "ER",
    }
}

/// Sizes derived from the image: line width and font pixel size.
#[derive(Debug, Clone, Copy)]
struct Style {
    line: u32,
    font: u32,
}

impl Style {
    fn for_size(w: u32, h: u32) -> Style {
        let short = w.min(h).max(1);
        Style {
            line: (2 * short).div_ceil(500).max(2),
            font: (short / 200).max(2),
        }
    }
}

/// Blends a colour into a pixel with opacity `a` (0..1); pixels outside the image are ignored.
fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>, a: f32) {
    if x < 0 || y < 0 || x >= img.width() as i64 || y >= img.height() as i64 {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    for k in 0..3 {
        p[k] = (p[k] as f32 + (c[k] as f32 - p[k] as f32) * a)
            .round()
            .clamp(0.0, 255.0) as u8;
    }
}

/// Fills a rectangle with opacity `a`.
fn fill_rect(img: &mut RgbImage, x: i64, y: i64, w: i64, h: i64, c: Rgb<u8>, a: f32) {
    for yy in y.max(0)..(y + h).min(img.height() as i64) {
        for xx in x.max(0)..(x + w).min(img.width() as i64) {
            put(img, xx, yy, c, a);
        }
    }
}

/// Draws a ring of radius `r` and thickness `t` centred on (cx, cy), anti-aliased over one pixel.
fn ring(img: &mut RgbImage, cx: f64, cy: f64, r: f64, t: f64, c: Rgb<u8>) {
    let reach = r + t;
    for y in (cy - reach).floor() as i64..=(cy + reach).ceil() as i64 {
        for x in (cx - reach).floor() as i64..=(cx + reach).ceil() as i64 {
            let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
            // Full cover out to t/2 + 0.5 px so a t-px line stays t px solid wherever it falls on the grid.
            let cover = (t / 2.0 + 1.0 - (d - r).abs()).clamp(0.0, 1.0);
            if cover > 0.0 {
                put(img, x, y, c, cover as f32);
            }
        }
    }
}

/// Draws a segment of thickness `t`.
fn line(img: &mut RgbImage, a: (f64, f64), b: (f64, f64), t: f64, c: Rgb<u8>) {
    let (x0, x1) = (a.0.min(b.0) - t, a.0.max(b.0) + t);
    let (y0, y1) = (a.1.min(b.1) - t, a.1.max(b.1) + t);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-9);
    for y in y0.floor() as i64..=y1.ceil() as i64 {
        for x in x0.floor() as i64..=x1.ceil() as i64 {
            let (px, py) = (x as f64 - a.0, y as f64 - a.1);
            let s = ((px * dx + py * dy) / len2).clamp(0.0, 1.0);
            let d = ((px - s * dx).powi(2) + (py - s * dy).powi(2)).sqrt();
            let cover = (t / 2.0 + 1.0 - d).clamp(0.0, 1.0);
            if cover > 0.0 {
                put(img, x, y, c, cover as f32);
            }
        }
    }
}

/// Width in px of `text` at font pixel size `s`.
pub fn text_width(text: &str, s: u32) -> u32 {
    let n = text.chars().count() as u32;
    if n == 0 {
        0
    } else {
        (n * font::ADVANCE - 1) * s
    }
}

/// Draws `text` with its top-left corner at (x, y), each font pixel an `s`×`s` square.
pub fn draw_text(img: &mut RgbImage, x: i64, y: i64, text: &str, s: u32, c: Rgb<u8>) {
    let s = s.max(1) as i64;
    for (k, ch) in text.chars().enumerate() {
        let g = font::glyph(ch);
        let gx = x + k as i64 * font::ADVANCE as i64 * s;
        for (row, bits) in g.iter().enumerate() {
            for col in 0..font::GLYPH_W as i64 {
                if bits >> (font::GLYPH_W as i64 - 1 - col) & 1 == 1 {
                    fill_rect(img, gx + col * s, y + row as i64 * s, s, s, c, 1.0);
                }
            }
        }
    }
}

/// Draws text on a dark translucent box, clamped inside the image; returns the box height.
fn label(img: &mut RgbImage, x: i64, y: i64, text: &str, s: u32, c: Rgb<u8>) -> i64 {
    let pad = s as i64;
    let w = text_width(text, s) as i64 + 2 * pad;
    let h = (font::GLYPH_H * s) as i64 + 2 * pad;
    let x = x.clamp(0, (img.width() as i64 - w).max(0));
    let y = y.clamp(0, (img.height() as i64 - h).max(0));
    fill_rect(img, x, y, w, h, Rgb([0, 0, 0]), 0.6);
    draw_text(img, x + pad, y + pad, text, s, c);
    h
}

/// Draws the arrow of the light direction inside a circle centred at (cx, cy): it starts on the side the
/// light comes from (azimuth CCW from +x as seen, image y down) and points at the centre.
fn light_arrow(img: &mut RgbImage, cx: f64, cy: f64, r: f64, azimuth_deg: Option<f64>, st: Style) {
    fill_rect(
        img,
        (cx - r) as i64 - 2,
        (cy - r) as i64 - 2,
        (2.0 * r) as i64 + 5,
        (2.0 * r) as i64 + 5,
        Rgb([0, 0, 0]),
        0.5,
    );
    ring(
        img,
        cx,
        cy,
        r * 0.9,
        1.0_f64.max(st.line as f64 / 2.0),
        Rgb([200, 200, 200]),
    );
    let white = Rgb([255, 255, 255]);
    match azimuth_deg {
        Some(az) if az.is_finite() => {
            let a = az.to_radians();
            let (ux, uy) = (a.cos(), -a.sin());
            let from = (cx + ux * r * 0.85, cy + uy * r * 0.85);
            let tip = (cx - ux * r * 0.35, cy - uy * r * 0.35);
            let t = st.line as f64;
            line(img, from, tip, t, white);
            // Arrow head: two short strokes back from the tip at ±30°.
            for s in [-1.0f64, 1.0] {
                let th = s * 30f64.to_radians();
                let (bx, by) = (ux * th.cos() - uy * th.sin(), ux * th.sin() + uy * th.cos());
                line(
                    img,
                    tip,
                    (tip.0 + bx * r * 0.35, tip.1 + by * r * 0.35),
                    t,
                    white,
                );
            }
        }
        _ => {
            let s = st.font;
            let w = text_width("?", s) as f64;
            draw_text(
                img,
                (cx - w / 2.0) as i64,
                (cy - (font::GLYPH_H * s) as f64 / 2.0) as i64,
                "?",
                s,
                white,
            );
        }
    }
}

/// Draws the overlay of one analysis: the photo with regions outlined in class colours and labelled with id
/// and subtype code, under a header with the title, the verdict line and dominant subtype, a colour legend
/// and the light direction arrow. The result is taller than the photo by the header; photo pixel (x, y) is
/// at (x, y + header height).
pub fn draw_overlay(rgb: &RgbImage, analysis: &Analysis, title: &str) -> RgbImage {
    let mut img = rgb.clone();
    let st = Style::for_size(img.width(), img.height());
    let black = Rgb([0, 0, 0]);
    let white = Rgb([255, 255, 255]);
    let lbl = (st.font * 2 / 3).max(2);
    for r in &analysis.regions {
        let [cx, cy] = r.center;
        if !(cx.is_finite() && cy.is_finite()) {
            continue;
        }
        let rad = if r.diameter_px.is_finite() && r.diameter_px > 0.0 {
            r.diameter_px / 2.0
        } else {
            3.0
        };
        // The outline sits just outside the region so it does not hide it; a dark halo keeps it visible on
        // light and dark skin alike.
        let rr = rad + st.line as f64 * 1.5;
        let col = class_colour(r.class);
        ring(&mut img, cx, cy, rr, st.line as f64 + 2.0, black);
        ring(&mut img, cx, cy, rr, st.line as f64, col);
        let text = format!("{} {}", r.id, subtype_code(r.subtype));
        let lx = (cx + rr * 0.72) as i64;
        let ly = (cy - rr * 0.72) as i64 - (font::GLYPH_H * lbl) as i64 - 2 * lbl as i64;
        label(&mut img, lx, ly, &text, lbl, col);
    }

    // Header above the photo (so nothing covers it): title, verdict, dominant subtype, legend, light arrow.
    let verdict = format!(
        "MICRONEEDLING: {}",
        analysis.microneedling.verdict.as_str().replace('_', " ")
    );
    let dominant = match analysis.summary.dominant_subtype {
        Some(d) => format!("DOMINANT: {}", d.as_str().replace('_', " ")),
        None => "DOMINANT: NONE".to_string(),
    };
    let active = if analysis.summary.active_inflammation {
        "ACTIVE ACNE: YES"
    } else {
        "ACTIVE ACNE: NO"
    };
    let title: String = title.chars().filter(|c| !c.is_control()).take(80).collect();
    let status = format!("{dominant}  {active}");
    let keys = [
        (RegionClass::Atrophic, "ATROPHIC"),
        (RegionClass::Hypertrophic, "RAISED"),
        (RegionClass::Inflammatory, "ACTIVE"),
        (RegionClass::Flat, "FLAT MARK"),
    ];
    // Font size: the image's, reduced until the longest line and the arrow fit the width.
    let legend_chars: usize = keys.iter().map(|(_, k)| k.len() + 5).sum();
    let widest = [
        title.chars().count(),
        verdict.len(),
        status.len(),
        legend_chars,
    ]
    .into_iter()
    .max()
    .unwrap_or(1);
    let mut s = st.font;
    while s > 1 && (widest as u32 * font::ADVANCE + 40) * s + 8 > img.width() {
        s -= 1;
    }
    let line_h = ((font::GLYPH_H + 3) * s) as i64;
    let pad = (2 * s) as i64;
    let header_h = 2 * pad + 4 * line_h;
    let mut out = RgbImage::from_pixel(
        img.width(),
        img.height() + header_h as u32,
        Rgb([24, 24, 24]),
    );
    image::imageops::replace(&mut out, &img, 0, header_h);
    for (k, text) in [title.as_str(), verdict.as_str(), status.as_str()]
        .into_iter()
        .enumerate()
    {
        draw_text(&mut out, pad, pad + k as i64 * line_h, text, s, white);
    }
    let mut x = pad;
    let y = pad + 3 * line_h;
    let sq = (font::GLYPH_H * s) as i64;
    for (c, name) in keys {
        fill_rect(&mut out, x, y, sq, sq, class_colour(c), 1.0);
        draw_text(&mut out, x + sq + 2 * s as i64, y, name, s, white);
        x += sq + 2 * s as i64 + text_width(name, s) as i64 + 2 * pad;
    }
    // Light arrow at the right end of the header, "LIGHT" under it.
    let r = 1.4 * line_h as f64;
    let (ax, ay) = (out.width() as f64 - r - pad as f64, pad as f64 + r);
    light_arrow(
        &mut out,
        ax,
        ay,
        r,
        analysis.lighting.azimuth_deg,
        Style {
            line: st.line,
            font: s,
        },
    );
    let lw = text_width("LIGHT", s) as f64;
    draw_text(
        &mut out,
        (ax - lw / 2.0) as i64,
        (ay + r + 2.0 * s as f64) as i64,
        "LIGHT",
        s,
        white,
    );
    out
}

/// Marks circles (centre, diameter in px) with a thin ring, e.g. the truth lesions under an analysis overlay.
pub fn mark_circles(img: &mut RgbImage, circles: &[([f64; 2], f64)], colour: Rgb<u8>) {
    for &(c, d) in circles {
        if c[0].is_finite() && c[1].is_finite() && d.is_finite() {
            ring(img, c[0], c[1], (d / 2.0).max(2.0), 0.0, colour);
        }
    }
}

/// Puts two pictures side by side under a title bar (for before/after pairs), overlays drawn when analyses
/// are given. Pictures of different heights are top-aligned on a dark background.
pub fn draw_side_by_side(
    before: &RgbImage,
    after: &RgbImage,
    before_analysis: Option<&Analysis>,
    after_analysis: Option<&Analysis>,
    title: &str,
) -> RgbImage {
    let b = match before_analysis {
        Some(a) => draw_overlay(before, a, "BEFORE"),
        None => before.clone(),
    };
    let a = match after_analysis {
        Some(x) => draw_overlay(after, x, "AFTER"),
        None => after.clone(),
    };
    let st = Style::for_size(b.width().max(a.width()), b.height().max(a.height()));
    let gap = 4 * st.line;
    let bar = (font::GLYPH_H + 4) * st.font;
    let w = b.width() + gap + a.width();
    let h = bar + b.height().max(a.height());
    let mut out = RgbImage::from_pixel(w, h, Rgb([24, 24, 24]));
    image::imageops::replace(&mut out, &b, 0, bar as i64);
    image::imageops::replace(&mut out, &a, (b.width() + gap) as i64, bar as i64);
    let title: String = title
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    draw_text(
        &mut out,
        (2 * st.font) as i64,
        (2 * st.font) as i64,
        &title,
        st.font,
        Rgb([255, 255, 255]),
    );
    out
}

/// Writes an image as PNG atomically (a temporary file in the same folder, then renamed), creating the folder.
pub fn write_png_atomic(img: &RgbImage, path: &Path) -> anyhow::Result<()> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)
        .context("PNG encoding failed")?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    crate::output::write_atomic(path, &buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_where_asked() {
        let mut img = RgbImage::from_pixel(60, 20, Rgb([0, 0, 0]));
        draw_text(&mut img, 1, 1, "1", 2, Rgb([255, 255, 255]));
        // Glyph '1' row 0 is 00100: only column 2 lit, at 2× scale → x 5..7, y 1..3.
        assert_eq!(img.get_pixel(5, 1)[0], 255);
        assert_eq!(img.get_pixel(1, 1)[0], 0);
        assert_eq!(text_width("AB", 2), (2 * 6 - 1) * 2);
    }

    #[test]
    fn overlay_outlines_regions_above_a_header_and_writes_png() {
        use crate::analyze::{analyze, AnalysisOptions};
        use crate::report::{Features, Region, Relief};
        let img = RgbImage::from_pixel(400, 300, Rgb([190, 150, 130]));
        let opts = AnalysisOptions {
            px_per_mm: None,
            profile: std::sync::Arc::new(crate::profile::Profile::builtin()),
        };
        let mut a = analyze(&img, &opts);
        a.regions.push(Region {
            id: 1,
            center: [200.0, 150.0],
            bbox: [190, 140, 20, 20],
            area_px: 314.0,
            diameter_px: 20.0,
            diameter_mm: None,
            class: RegionClass::Hypertrophic,
            subtype: Subtype::Keloid,
            confidence: 0.9,
            relief: Relief::Raised,
            depth_proxy: 0.5,
            features: Features::new(),
            reasons: Vec::new(),
        });
        a.lighting.azimuth_deg = Some(90.0);
        let out = draw_overlay(&img, &a, "test (1).jpg");
        assert_eq!(out.width(), 400);
        let header = out.height() - 300;
        assert!(header > 20);
        // The region's ring (radius 10 + 1.5·line) crosses the row through its centre, in magenta.
        let row = 150 + header;
        let hits = (200..240)
            .filter(|&x| out.get_pixel(x, row).0 == class_colour(RegionClass::Hypertrophic).0)
            .count();
        assert!(
            hits >= 2,
            "no magenta outline right of the centre: {:?}",
            (200..240)
                .map(|x| out.get_pixel(x, row).0)
                .collect::<Vec<_>>()
        );
        // Photo pixels far from any region are untouched.
        assert_eq!(out.get_pixel(20, 280 + header).0, [190, 150, 130]);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/overlay.png");
        write_png_atomic(&out, &path).expect("write");
        let back = image::open(&path).expect("read back").to_rgb8();
        assert_eq!(back.as_raw(), out.as_raw());
        let sbs = draw_side_by_side(&img, &img, Some(&a), None, "pair");
        assert_eq!(
            sbs.width(),
            800 + 4 * Style::for_size(400, 300 + header).line
        );
    }
}
