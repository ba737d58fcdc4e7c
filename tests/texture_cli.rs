//! The `texture` subcommand: library-level tests of `command::run` (run everywhere) and
//! end-to-end `assert_cmd` tests of the binary (ignored until `main.rs` wires the subcommand;
//! run them with `cargo test --test texture_cli -- --include-ignored`).

use clap::Parser;
use image::{GrayImage, Luma, Rgb, RgbImage};
use scarscope::texture::command::{run, TextureArgs};
use serde_json::Value;
use std::path::Path;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: TextureArgs,
}

fn run_args(argv: &[&str]) -> anyhow::Result<String> {
    let cli = Cli::try_parse_from(std::iter::once("texture").chain(argv.iter().copied()))?;
    let mut out = Vec::new();
    run(&cli.args, &mut out)?;
    Ok(String::from_utf8(out)?)
}

fn json_of(argv: &[&str]) -> Value {
    let mut a = argv.to_vec();
    a.extend(["--format", "json"]);
    let text = run_args(&a).unwrap();
    assert!(
        !text.contains("NaN") && !text.contains("Infinity"),
        "{text}"
    );
    serde_json::from_str(&text).unwrap()
}

fn textured(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| Luma([((x * 37 + y * 91 + x * y) % 251) as u8]))
}

fn save(dir: &Path, name: &str, img: &GrayImage) -> String {
    let p = dir.join(name);
    img.save(&p).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn json_has_all_sections_and_features() {
    let dir = tempfile::tempdir().unwrap();
    let p = save(dir.path(), "a.png", &textured(40, 30));
    let v = json_of(&[&p]);
    for agg in ["averaged", "merged"] {
        let o = v["glcm"][agg].as_object().unwrap();
        assert_eq!(o.len(), 25);
        assert!(o.values().all(Value::is_f64), "{agg}: {o:?}");
    }
    let hist = v["lbp"]["uniform_histogram"].as_array().unwrap();
    assert_eq!(hist.len(), 10);
    let s: f64 = hist.iter().map(|x| x.as_f64().unwrap()).sum();
    assert!((s - 1.0).abs() < 1e-12);
    assert!(v["gradient"]["sobel_energy"].as_f64().unwrap() > 0.0);
    assert_eq!(v["settings"]["grey_levels"], 32);
    assert_eq!(
        v["settings"]["discretisation"]["method"],
        "fixed_bin_number"
    );
    assert!(
        v.get("colour").is_none(),
        "greyscale input has no colour section"
    );
}

#[test]
fn discretisation_options_are_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let p = save(dir.path(), "a.png", &textured(20, 20));
    assert_eq!(
        json_of(&[&p, "--no-discretisation"])["settings"]["grey_levels"],
        256
    );
    assert_eq!(json_of(&[&p, "--bins", "8"])["settings"]["grey_levels"], 8);
    let v = json_of(&[
        &p,
        "--bin-width",
        "25",
        "--distance",
        "2",
        "--lbp-points",
        "16",
        "--lbp-radius",
        "2",
    ]);
    assert_eq!(v["settings"]["discretisation"]["method"], "fixed_bin_width");
    assert_eq!(v["settings"]["glcm_distance"], 2);
    assert_eq!(v["lbp"]["uniform_histogram"].as_array().unwrap().len(), 18);
    assert!(run_args(&[&p, "--bins", "8", "--no-discretisation"]).is_err());
}

#[test]
fn colour_image_gets_colour_section_and_ring_contrast() {
    let dir = tempfile::tempdir().unwrap();
    let img = RgbImage::from_fn(40, 40, |x, y| {
        let lesion = (15..25).contains(&x) && (15..25).contains(&y);
        if lesion {
            Rgb([200, 120, 120])
        } else {
            Rgb([220, 180, 160])
        }
    });
    let p = dir.path().join("c.png");
    img.save(&p).unwrap();
    let p = p.to_str().unwrap();
    let v = json_of(&[p, "--roi", "15,15,10,10"]);
    let c = &v["colour"];
    assert!(c["ita_degrees"].is_f64());
    assert!(c["ita_band"].is_string());
    assert!(
        c["ring_contrast"]["delta_a"].as_f64().unwrap() > 5.0,
        "lesion is redder: {c}"
    );
    assert!(
        c["ring_contrast"]["delta_l"].as_f64().unwrap() < 0.0,
        "lesion is darker"
    );
}

#[test]
fn edge_cases_give_null_not_nan() {
    let dir = tempfile::tempdir().unwrap();
    let p = save(dir.path(), "a.png", &textured(10, 10));
    // Empty mask: every feature undefined.
    let empty = save(dir.path(), "empty.png", &GrayImage::new(10, 10));
    let v = json_of(&[&p, "--mask", &empty]);
    assert!(v["glcm"]["merged"]
        .as_object()
        .unwrap()
        .values()
        .all(Value::is_null));
    assert!(v["gradient"]["sobel_energy"].is_null());
    // One-pixel mask: no pairs -> GLCM null; gradient defined on one pixel.
    let mut one = GrayImage::new(10, 10);
    one.put_pixel(4, 4, Luma([255]));
    let one = save(dir.path(), "one.png", &one);
    let v = json_of(&[&p, "--mask", &one]);
    assert!(v["glcm"]["averaged"]["contrast"].is_null());
    assert!(v["gradient"]["sobel_energy"].is_f64());
    // Constant region: correlation 0/0 -> null, contrast 0, information correlation 1 null.
    let flat = save(
        dir.path(),
        "flat.png",
        &GrayImage::from_pixel(10, 10, Luma([90])),
    );
    let v = json_of(&[&flat]);
    assert!(v["glcm"]["merged"]["correlation"].is_null());
    assert!(v["glcm"]["merged"]["information_correlation_1"].is_null());
    assert_eq!(v["glcm"]["merged"]["contrast"], 0.0);
    assert_eq!(v["glcm"]["averaged"]["angular_second_moment"], 1.0);
}

#[test]
fn errors_have_context() {
    let dir = tempfile::tempdir().unwrap();
    let p = save(dir.path(), "a.png", &textured(10, 10));
    let e = run_args(&["/nonexistent/x.png"]).unwrap_err();
    assert!(format!("{e:#}").contains("cannot open"), "{e:#}");
    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"not an image").unwrap();
    assert!(run_args(&[junk.to_str().unwrap()]).is_err());
    for roi in ["1,2,3", "a,b,c,d", "5,5,10,10", "0,0,0,3"] {
        let e = run_args(&[&p, "--roi", roi]).unwrap_err();
        assert!(format!("{e:#}").contains("--roi"), "{roi}: {e:#}");
    }
    let small = save(dir.path(), "small.png", &GrayImage::new(5, 5));
    let e = run_args(&[&p, "--mask", &small]).unwrap_err();
    assert!(format!("{e:#}").contains("5x5"), "{e:#}");
    assert!(run_args(&[&p, "--bin-width", "0.5"]).is_err());
    assert!(run_args(&[&p, "--lbp-points", "40"]).is_err());
    assert!(run_args(&[&p, "--distance", "0"]).is_err());
}

#[test]
fn table_is_two_aligned_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = save(dir.path(), "a.png", &textured(20, 20));
    let t = run_args(&[&p]).unwrap();
    let lines: Vec<&str> = t.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("glcm.merged.contrast ")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("glcm.averaged.information_correlation_2 ")));
    // The value column starts at the same offset on every line.
    let col = |l: &str| {
        let key_end = l.find(' ').unwrap();
        key_end + l[key_end..].len() - l[key_end..].trim_start().len()
    };
    let c0 = col(lines[0]);
    assert!(lines.iter().all(|l| col(l) == c0), "{t}");
}

mod binary {
    use super::*;
    use assert_cmd::Command;
    use predicates::str::contains;

    #[test]
    fn cli_json_output() {
        let dir = tempfile::tempdir().unwrap();
        let p = save(dir.path(), "a.png", &textured(30, 30));
        let out = Command::cargo_bin("scarscope")
            .unwrap()
            .args(["texture", &p, "--format", "json", "--bins", "16"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["settings"]["grey_levels"], 16);
        assert!(v["glcm"]["averaged"]["contrast"].is_f64());
    }

    #[test]
    fn cli_table_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = save(dir.path(), "a.png", &textured(30, 30));
        Command::cargo_bin("scarscope")
            .unwrap()
            .args(["texture", &p, "--roi", "2,2,10,10"])
            .assert()
            .success()
            .stdout(contains("glcm.merged.joint_entropy"));
        Command::cargo_bin("scarscope")
            .unwrap()
            .args(["texture", "/nonexistent.png"])
            .assert()
            .failure()
            .stderr(contains("cannot open"));
    }
}
