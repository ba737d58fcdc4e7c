//! The overlays' typeface: DejaVu Sans, embedded in the binary (licence: `assets/fonts/LICENSE-DejaVu.txt`, a
//! permissive Bitstream Vera licence), drawn with `ab_glyph` through imageproc's text functions.
//!
//! Embedding it means an overlay looks the same on every machine and needs no font installed; DejaVu covers
//! Latin, Greek, Cyrillic and many symbols, so file names in those scripts keep their letters and their case.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{Rgb, RgbImage};

/// The TTF file, embedded.
const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The parsed font. The bytes are our own and a unit test parses them, so a failure here is a build defect,
/// never a user's input.
static FONT: LazyLock<FontRef<'static>> = LazyLock::new(|| {
    FontRef::try_from_slice(DEJAVU_SANS).expect("the embedded DejaVu Sans parses (tested)")
});

/// The embedded font.
pub fn font() -> &'static FontRef<'static> {
    &FONT
}

/// Height of a line of text at pixel size `px` (ascent to descent), rounded up.
pub fn line_height(px: f32) -> u32 {
    FONT.as_scaled(PxScale::from(px)).height().ceil().max(1.0) as u32
}

/// Width in px of `text` at pixel size `px`.
pub fn text_width(text: &str, px: f32) -> u32 {
    if text.is_empty() {
        return 0;
    }
    imageproc::drawing::text_size(PxScale::from(px), font(), text).0
}

/// Draws `text` with the top of its line box at (x, y), anti-aliased over the image, in colour `c`.
pub fn draw_text(img: &mut RgbImage, x: i64, y: i64, text: &str, px: f32, c: Rgb<u8>) {
    // Control characters have no glyph and would show as boxes; a file name with a newline stays one line.
    let clean: String = text
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect();
    if clean.is_empty() {
        return;
    }
    let x = x.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    let y = y.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    imageproc::drawing::draw_text_mut(img, c, x, y, PxScale::from(px), font(), &clean);
}

/// `text` shortened to fit `max_w` px at size `px`: characters are dropped from the *start* and replaced by
/// `…`, because the end of a path (the file name) is what tells pictures apart.
pub fn fit_start(text: &str, px: f32, max_w: u32) -> String {
    if text_width(text, px) <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for skip in 1..chars.len() {
        let t: String = std::iter::once('…')
            .chain(chars[skip..].iter().copied())
            .collect();
        if text_width(&t, px) <= max_w {
            return t;
        }
    }
    "…".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_parses_and_keeps_lower_case() {
        assert!(FontRef::try_from_slice(DEJAVU_SANS).is_ok());
        // Lower and upper case are different glyphs (the old bitmap font drew both as upper case).
        assert_ne!(font().glyph_id('a'), font().glyph_id('A'));
        assert_ne!(font().glyph_id('a').0, 0, "a glyph for 'a'");
        assert!(text_width("abc", 20.0) > text_width("ab", 20.0));
        assert!(text_width("abc", 40.0) > text_width("abc", 20.0));
        assert!(line_height(20.0) >= 20);
    }

    #[test]
    fn text_is_drawn_inside_its_box() {
        let mut img = RgbImage::from_pixel(200, 40, Rgb([0, 0, 0]));
        draw_text(&mut img, 10, 5, "photo a.jpg", 20.0, Rgb([255, 255, 255]));
        let w = text_width("photo a.jpg", 20.0) as i64;
        let h = line_height(20.0) as i64;
        let mut lit = 0;
        for (x, y, p) in img.enumerate_pixels() {
            if p[0] > 0 {
                lit += 1;
                let (x, y) = (x as i64, y as i64);
                assert!(
                    x >= 9 && x <= 10 + w && y >= 5 && y <= 5 + h,
                    "ink at {x},{y}"
                );
            }
        }
        assert!(lit > 50, "text drawn: {lit} px");
    }

    #[test]
    fn long_paths_keep_their_end() {
        let t = fit_start("a/very/long/folder/name/photo_12.jpg", 14.0, 120);
        assert!(t.starts_with('…') && t.ends_with("photo_12.jpg"), "{t}");
        assert!(text_width(&t, 14.0) <= 120);
        assert_eq!(fit_start("short.jpg", 14.0, 500), "short.jpg");
    }
}
