//! Impulse ("salt and pepper") noise: isolated black or white px, found and replaced by a switching median
//! filter.
//!
//! Definition: with `s` the sum of a px's three 8-bit channels, a px is an impulse when it is near white
//! (`s` ≥ [`SALT`]) and `s` lies more than [`MARGIN`] above the second-highest `s` of its 8 neighbours
//! (salt), or near black (`s` ≤ [`PEPPER`]) and more than [`MARGIN`] below the second-lowest (pepper).
//! The second and not the first, so that two impulses side by side are both found. A spot of 3 px or more
//! in a clump is never an impulse, nor is the inside of a 1 px line (its two end px are: the line is one px
//! shorter at each end, which changes nothing the analysis reads). Each impulse takes, channel by channel, the median of its 8 neighbours (the
//! rounded mean of the 4th and 5th values). The outermost row and column are not tested. Every test reads
//! the photo as given, so the result does not depend on the order of the px.
//!
//! Why: some exported photos carry added noise. In the development set, 114 of the 172 whole-photo acne
//! pictures of one source (a Roboflow export with its "noise" augmentation) have 0.1-4 % of their px
//! replaced by near-white or near-black specks; the stock photos of clear skin carry a few too (median 40 px,
//! under 0.06 %), and of the other 1742 photos 10 have more than 0.1 % (at most 0.3 %). Read as texture, the specks
//! told that source, and with it "active acne", apart from the rest: the fine texture features then said
//! nothing about the skin. A switching filter (as in Sun & Neuvo, "Detail-preserving median based filters in
//! image processing", 1994) changes only the specks; a plain median filter (`imageproc::filter::median_filter`)
//! would also smooth the pores and pits every texture feature reads, so the filter is written here.
//!
//! A 5×5 literal image: mid grey with one white speck and, beside it, a bright line across it that stays.
//! ```
//! use image::{Rgb, RgbImage};
//! use scarscope::impulse::remove_impulses;
//! let mut img = RgbImage::from_pixel(5, 5, Rgb([100, 100, 100]));
//! img.put_pixel(1, 1, Rgb([255, 255, 255])); // a speck
//! for y in 0..5 {
//!     img.put_pixel(3, y, Rgb([220, 220, 220])); // a line
//! }
//! let (clean, n) = remove_impulses(&img).expect("one impulse");
//! assert_eq!(n, 1);
//! assert_eq!(clean.get_pixel(1, 1).0, [100, 100, 100]);
//! assert_eq!(clean.get_pixel(3, 2).0, [220, 220, 220]);
//! ```

use image::RgbImage;

use crate::plane::neighbours;

/// How far (in the sum of the three 8-bit channels, 0-765) a px must lie beyond its neighbours to be an
/// impulse: about 67 levels per channel. The specks of the noisy source lie 250-350 beyond skin.
pub const MARGIN: i32 = 200;
/// The least channel sum of a salt px (about 200 per channel). Only near-white and near-black px count:
/// with the margin alone (150, at any level), the bright and dark specks of a sharp, high-contrast thumbnail's
/// own texture counted too (up to 1.4 % of its px, in 55 of the 1016 raised-scar thumbnails of one source).
pub const SALT: i32 = 600;
/// The greatest channel sum of a pepper px (about 50 per channel).
pub const PEPPER: i32 = 150;

/// The photo with its impulses replaced, and how many there were; `None` when there is none (no copy made).
pub fn remove_impulses(img: &RgbImage) -> Option<(RgbImage, usize)> {
    let found = impulses(img);
    if found.is_empty() {
        return None;
    }
    let w = img.width() as usize;
    let src = img.as_raw();
    let mut out = img.clone();
    let dst: &mut [u8] = &mut out;
    for &i in &found {
        for c in 0..3 {
            let mut v = neighbours(i, w).map(|j| src[3 * j + c]);
            v.sort_unstable();
            dst[3 * i + c] = (v[3] as u16 + v[4] as u16).div_ceil(2) as u8;
        }
    }
    Some((out, found.len()))
}

/// The indices (`y * width + x`) of the impulses of `img`, in increasing order.
///
/// The channel sums are taken a row at a time (a loop that vectorises) and kept for three rows; a row
/// without a near-white or near-black px, most of them, is passed over after one branch-free scan. Summing
/// px by px where needed cost twice as much (0.8 % rather than 0.4 % of the analysis of 40 photos of 640 px).
pub fn impulses(img: &RgbImage) -> Vec<usize> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 3 || h < 3 {
        return Vec::new();
    }
    let raw = img.as_raw();
    let row_sums = |y: usize, out: &mut Vec<i32>| {
        out.clear();
        out.extend(
            raw[3 * y * w..3 * (y + 1) * w]
                .chunks_exact(3)
                .map(|p| p[0] as i32 + p[1] as i32 + p[2] as i32),
        );
    };
    let (mut above, mut here, mut below) = (Vec::new(), Vec::new(), Vec::new());
    row_sums(0, &mut here);
    row_sums(1, &mut below);
    let mut found = Vec::new();
    for y in 1..h - 1 {
        std::mem::swap(&mut above, &mut here);
        std::mem::swap(&mut here, &mut below);
        row_sums(y + 1, &mut below);
        let extreme = here[1..w - 1]
            .iter()
            .fold(false, |any, &s| any | (s <= PEPPER) | (s >= SALT));
        if !extreme {
            continue;
        }
        for x in 1..w - 1 {
            if is_impulse([&above, &here, &below], x) {
                found.push(y * w + x);
            }
        }
    }
    found
}

/// Whether px `x` of the middle row is an impulse, from the channel sums of it and the rows above and
/// below.
#[inline(always)]
fn is_impulse([above, here, below]: [&[i32]; 3], x: usize) -> bool {
    let s = here[x];
    if s > PEPPER && s < SALT {
        return false;
    }
    // Cheap reject next: an impulse has at most one neighbour within the margin, so a px within it of
    // both its left and right neighbours is none.
    if (s - here[x - 1]).abs() <= MARGIN && (s - here[x + 1]).abs() <= MARGIN {
        return false;
    }
    let around = [
        above[x - 1],
        above[x],
        above[x + 1],
        here[x - 1],
        here[x + 1],
        below[x - 1],
        below[x],
        below[x + 1],
    ];
    let (hi2, lo2) = second_extremes(around);
    (s >= SALT && s > hi2 + MARGIN) || (s <= PEPPER && s < lo2 - MARGIN)
}

/// The second-highest and the second-lowest of eight values.
fn second_extremes(v: [i32; 8]) -> (i32, i32) {
    let (mut hi, mut hi2, mut lo, mut lo2) = (i32::MIN, i32::MIN, i32::MAX, i32::MAX);
    for x in v {
        if x > hi {
            (hi2, hi) = (hi, x);
        } else if x > hi2 {
            hi2 = x;
        }
        if x < lo {
            (lo2, lo) = (lo, x);
        } else if x < lo2 {
            lo2 = x;
        }
    }
    (hi2, lo2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn grey(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let v = 90 + ((x * 7 + y * 13) % 11) as u8; // a little texture, well inside the margin
            Rgb([v + 40, v, v - 10])
        })
    }

    #[test]
    fn specks_are_replaced_and_nothing_else_changes() {
        let mut img = grey(20, 12);
        let clean = grey(20, 12);
        img.put_pixel(4, 4, Rgb([255, 240, 255]));
        img.put_pixel(5, 4, Rgb([250, 250, 250])); // two salt specks side by side
        img.put_pixel(10, 7, Rgb([30, 0, 2])); // pepper
        img.put_pixel(0, 0, Rgb([255, 255, 255])); // the border is not tested
        let (out, n) = remove_impulses(&img).expect("specks");
        assert_eq!(n, 3);
        for (x, y, p) in out.enumerate_pixels() {
            let want = if (x, y) == (0, 0) {
                [255, 255, 255]
            } else {
                clean.get_pixel(x, y).0
            };
            // The median of the neighbours is within the texture's own range of the clean value.
            for c in 0..3 {
                assert!(
                    (p.0[c] as i32 - want[c] as i32).abs() <= 10,
                    "({x}, {y}): {:?} against {:?}",
                    p.0,
                    want
                );
            }
        }
        assert_eq!(out.get_pixel(0, 0).0, [255, 255, 255]);
    }

    #[test]
    fn lines_spots_and_edges_are_not_impulses() {
        let mut img = grey(20, 12);
        for x in 0..20 {
            img.put_pixel(x, 3, Rgb([250, 250, 250])); // a 1 px bright hair across the image
        }
        for (x, y) in [(8, 8), (9, 8), (8, 9)] {
            img.put_pixel(x, y, Rgb([20, 20, 20])); // a 3 px dark spot
        }
        for y in 0..12 {
            for x in 14..20 {
                img.put_pixel(x, y, Rgb([250, 250, 250])); // a bright edge
            }
        }
        assert!(impulses(&img).is_empty());
        assert!(remove_impulses(&img).is_none());
        // A shorter line loses its two end px, and only those.
        let mut img = grey(20, 12);
        for y in 2..9 {
            img.put_pixel(5, y, Rgb([20, 20, 20]));
        }
        assert_eq!(impulses(&img), vec![2 * 20 + 5, 8 * 20 + 5]);
    }

    #[test]
    fn tiny_images_have_none() {
        let img = RgbImage::from_pixel(2, 9, Rgb([255, 255, 255]));
        assert!(impulses(&img).is_empty());
    }
}
