//! Property tests of the GLCM conventions (symmetry, normalisation, shift invariance, rotation).

use image::GrayImage;
use proptest::prelude::*;
use scarscope::texture::discretise::{Discretisation, Quantised};
use scarscope::texture::glcm::{directional_glcms, IBSI_DIRECTIONS_2D};

/// A small image with an optional random mask.
fn image_and_mask() -> impl Strategy<Value = (GrayImage, Option<GrayImage>)> {
    (1u32..12, 1u32..12).prop_flat_map(|(w, h)| {
        let n = (w * h) as usize;
        (
            proptest::collection::vec(any::<u8>(), n),
            proptest::option::of(proptest::collection::vec(0u8..2, n)),
        )
            .prop_map(move |(px, m)| {
                (
                    GrayImage::from_raw(w, h, px).unwrap(),
                    m.map(|m| GrayImage::from_raw(w, h, m).unwrap()),
                )
            })
    })
}

/// Brute-force number of pixel pairs at offset (dx, dy) with both pixels inside the mask.
fn brute_pairs(mask: Option<&GrayImage>, w: u32, h: u32, dx: i64, dy: i64) -> u64 {
    let inside = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < w as i64
            && y < h as i64
            && mask.is_none_or(|m| m.get_pixel(x as u32, y as u32)[0] != 0)
    };
    let mut n = 0;
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            if inside(x, y) && inside(x + dx, y + dy) {
                n += 1;
            }
        }
    }
    n
}

proptest! {
    #[test]
    fn matrices_symmetric_normalised_and_masked((img, mask) in image_and_mask(), bins in 1u16..20, d in 1usize..4) {
        let q = Quantised::new(&img, mask.as_ref(), Discretisation::FixedBinNumber(bins)).unwrap();
        let mats = directional_glcms(&q, d, &IBSI_DIRECTIONS_2D);
        for (m, (dx, dy)) in mats.iter().zip(IBSI_DIRECTIONS_2D) {
            let ng = m.ng();
            for i in 0..ng {
                for j in 0..ng {
                    prop_assert_eq!(m.counts()[i * ng + j], m.counts()[j * ng + i]);
                }
            }
            let pairs = brute_pairs(mask.as_ref(), img.width(), img.height(), dx as i64 * d as i64, dy as i64 * d as i64);
            prop_assert_eq!(m.total(), 2 * pairs);
            match m.probabilities() {
                Some(p) => prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12),
                None => prop_assert_eq!(pairs, 0),
            }
        }
    }

    #[test]
    fn shift_invariant_features(w in 2usize..10, h in 2usize..10, seed in any::<u64>(), shift in 1u16..5) {
        // Levels 1..=8 inside Ng = 12, shifted by `shift` (still <= Ng, so Ng is unchanged).
        let mut s = seed;
        let levels: Vec<Option<u16>> = (0..w * h)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 33) % 9 != 0).then_some(((s >> 40) % 8) as u16 + 1)
            })
            .collect();
        let shifted: Vec<Option<u16>> = levels.iter().map(|l| l.map(|v| v + shift)).collect();
        let a = directional_glcms(&Quantised::from_levels(w, h, &levels, 12).unwrap(), 1, &IBSI_DIRECTIONS_2D);
        let b = directional_glcms(&Quantised::from_levels(w, h, &shifted, 12).unwrap(), 1, &IBSI_DIRECTIONS_2D);
        let invariant = [
            "joint_maximum", "joint_variance", "joint_entropy", "difference_average",
            "difference_variance", "difference_entropy", "sum_variance", "sum_entropy",
            "angular_second_moment", "contrast", "dissimilarity", "inverse_difference",
            "normalised_inverse_difference", "inverse_difference_moment",
            "normalised_inverse_difference_moment", "inverse_variance", "correlation",
            "cluster_tendency", "cluster_shade", "cluster_prominence",
            "information_correlation_1", "information_correlation_2",
        ];
        for (ma, mb) in a.iter().zip(&b) {
            let (fa, fb) = (ma.features(), mb.features());
            for name in invariant {
                match (fa.get(name).unwrap(), fb.get(name).unwrap()) {
                    (Some(x), Some(y)) => prop_assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{}: {} vs {}", name, x, y),
                    (x, y) => prop_assert_eq!(x, y, "{}", name),
                }
            }
            // Averages move with the levels: joint/sum average shift by `shift` / 2·`shift`.
            if let (Some(x), Some(y)) = (fa.get("joint_average").unwrap(), fb.get("joint_average").unwrap()) {
                prop_assert!((y - x - shift as f64).abs() < 1e-9);
            }
            if let (Some(x), Some(y)) = (fa.get("sum_average").unwrap(), fb.get("sum_average").unwrap()) {
                prop_assert!((y - x - 2.0 * shift as f64).abs() < 1e-9);
            }
        }
    }

    /// `image::imageops::rotate90` (clockwise) maps pixel (x, y) to (H−1−y, x), so a direction
    /// (dx, dy) becomes (−dy, dx): (1,0)→(0,1), (1,1)→(−1,1), (0,1)→(−1,0)≡(1,0),
    /// (−1,1)→(−1,−1)≡(1,1) (matrices are symmetric). Hence, in IBSI_DIRECTIONS_2D order,
    /// rotated[k] == original[[2, 3, 0, 1][k]].
    #[test]
    fn rotation_by_90_permutes_directions((img, mask) in image_and_mask(), bins in 1u16..16, d in 1usize..3) {
        let q = Quantised::new(&img, mask.as_ref(), Discretisation::FixedBinNumber(bins)).unwrap();
        let rimg = image::imageops::rotate90(&img);
        let rmask = mask.as_ref().map(image::imageops::rotate90);
        let rq = Quantised::new(&rimg, rmask.as_ref(), Discretisation::FixedBinNumber(bins)).unwrap();
        let orig = directional_glcms(&q, d, &IBSI_DIRECTIONS_2D);
        let rot = directional_glcms(&rq, d, &IBSI_DIRECTIONS_2D);
        for (k, src) in [2usize, 3, 0, 1].into_iter().enumerate() {
            prop_assert_eq!(&rot[k], &orig[src], "rotated direction {} vs original {}", k, src);
        }
    }

    #[test]
    fn lab_fast_path_matches_reference(px in proptest::collection::vec(any::<u8>(), 3..60)) {
        let n = px.len() / 3;
        let img = image::RgbImage::from_raw(n as u32, 1, px[..n * 3].to_vec()).unwrap();
        let lab = scarscope::colour::lab_planes(&img);
        for i in 0..n {
            let p = img.get_pixel(i as u32, 0).0;
            let want = scarscope::colour::srgb8_to_lab(p);
            let got = lab.at_index(i).unwrap();
            for k in 0..3 {
                prop_assert!((got[k] - want[k]).abs() < 2e-3, "{:?}: {:?} vs {:?}", p, got, want);
            }
        }
    }
}
