//! End-to-end: `scarscope texture --format json` on greyscale PNGs prints the same averaged and
//! merged GLCM features and the same uniform LBP histogram as scikit-image.
//!
//! Oracle: `tests/fixtures/texture_cli/skimage_expected.json`, written by
//! `tests/fixtures/oracles/gen_texture_cli_oracle.py` (scikit-image 0.26.0, BSD-3-Clause; run by
//! hand). Each fixture image uses grey values 0..L−1 and contains both 0 and L−1.
//!
//! Levels: scikit-image counts grey levels from 0, IBSI (scarscope) from 1. Each setting below
//! maps grey g to IBSI level g + 1:
//! * `--no-discretisation`: level = g + 1 (Ng = 256; the extra all-zero rows/columns beyond L
//!   do not change any compared feature);
//! * `--bin-width 1`: level = floor((g − min)/1) + 1 = g + 1, since min = 0;
//! * `--bins L`: level = floor(L·g/(L−1)) + 1 = g + floor(g/(L−1)) + 1 = g + 1 for g < L−1, and
//!   L for g = max = L−1 (the margin to the next integer is ≥ 1/(L−1), far above rounding).
//!
//! A shift of every level by +1 leaves contrast, dissimilarity, IDM (= skimage homogeneity), ASM,
//! correlation and joint entropy unchanged (joint average would shift, so it is not compared).
//! Direction match: skimage angle a pairs (r, c) with (r + round(sin a), c + round(cos a)), i.e.
//! 0 → (dx,dy)=(1,0), π/4 → (1,1), π/2 → (0,1), 3π/4 → (−1,1): the IBSI 2D directions.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Relative tolerance: all values are exact sums over the same matrices, only the summation
/// order differs.
const REL_TOL: f64 = 1e-9;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/texture_cli")
}

fn oracle() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("skimage_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn texture_json(image: &Path, flags: &[String]) -> Value {
    let out = Command::cargo_bin("scarscope")
        .unwrap()
        .arg("texture")
        .arg(image)
        .args(flags)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: expected a number, got {v}"))
}

fn assert_close(ours: f64, want: f64, what: &str) {
    let scale = ours.abs().max(want.abs());
    assert!(
        ours == want || (ours - want).abs() <= REL_TOL * scale,
        "{what}: scarscope {ours:e} vs scikit-image {want:e} (rel diff {:e})",
        (ours - want).abs() / scale
    );
}

/// (scarscope IBSI key, scikit-image property, factor applied to the skimage value).
/// Joint entropy is log2 in IBSI and natural log in scikit-image: divide by ln 2.
const PAIRS: [(&str, &str, f64); 6] = [
    ("contrast", "contrast", 1.0),
    ("dissimilarity", "dissimilarity", 1.0),
    ("inverse_difference_moment", "homogeneity", 1.0),
    ("angular_second_moment", "ASM", 1.0),
    ("correlation", "correlation", 1.0),
    (
        "joint_entropy",
        "entropy",
        1.0 / std::f64::consts::LN_2, // nats -> bits
    ),
];

fn check(entry: &Value, flags: &[String], want_ng: u64) {
    let name = entry["name"].as_str().unwrap();
    let path = fixture_dir().join(entry["file"].as_str().unwrap());
    let v = texture_json(&path, flags);
    let ctx = format!("{name} {}", flags.join(" "));
    assert_eq!(v["settings"]["grey_levels"], want_ng, "{ctx}");
    assert_eq!(v["settings"]["luminance"], "greyscale input", "{ctx}");
    let w = entry["width"].as_u64().unwrap() * entry["height"].as_u64().unwrap();
    assert_eq!(v["settings"]["region_pixels"], w, "{ctx}");

    for agg in ["averaged", "merged"] {
        let ours = &v["glcm"][agg];
        let want = &entry["glcm"][agg];
        for (key, sk, factor) in PAIRS {
            if want.get(sk).is_none() {
                // `entropy` only exists in newer scikit-image versions.
                assert_eq!(sk, "entropy", "{ctx}: oracle lacks {sk}");
                continue;
            }
            let what = format!("{ctx}: glcm.{agg}.{key} vs {sk}");
            assert_close(
                num(&ours[key], &what),
                num(&want[sk], &what) * factor,
                &what,
            );
        }
    }
    // scarscope prints no `energy`; energy = √ASM, so for the single merged matrix it is
    // √(merged ASM). (The averaged energy is a mean of square roots, not derivable from the
    // averaged ASM, so it is not compared.)
    let what = format!("{ctx}: sqrt(glcm.merged.angular_second_moment) vs energy");
    assert_close(
        num(&v["glcm"]["merged"]["angular_second_moment"], &what).sqrt(),
        num(&entry["glcm"]["merged"]["energy"], &what),
        &what,
    );

    let ours = v["lbp"]["uniform_histogram"].as_array().unwrap();
    let want = entry["lbp"]["uniform_histogram"].as_array().unwrap();
    assert_eq!(v["settings"]["lbp_points"], 8, "{ctx}");
    assert_eq!(ours.len(), want.len(), "{ctx}: LBP histogram length");
    for (b, (o, s)) in ours.iter().zip(want).enumerate() {
        let what = format!("{ctx}: lbp.uniform_histogram[{b}]");
        assert_close(num(o, &what), num(s, &what), &what);
    }
}

#[test]
fn texture_cli_matches_skimage_graycoprops_and_uniform_lbp() {
    let o = oracle();
    let images = o["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    assert_eq!(o["distance"], 1);
    for entry in images {
        let levels = entry["levels"].as_u64().unwrap();
        assert_eq!(entry["lbp"]["P"], 8);
        assert_eq!(entry["lbp"]["R"], 1);
        // Defaults used: --distance 1, --lbp-points 8, --lbp-radius 1 (stated explicitly).
        let common = ["--distance", "1", "--lbp-points", "8", "--lbp-radius", "1"];
        let with = |extra: &[&str]| -> Vec<String> {
            extra.iter().chain(&common).map(|s| s.to_string()).collect()
        };
        check(entry, &with(&["--no-discretisation"]), 256);
        check(entry, &with(&["--bin-width", "1"]), levels);
        check(entry, &with(&["--bins", &levels.to_string()]), levels);
    }
}
