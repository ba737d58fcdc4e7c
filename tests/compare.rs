//! `scarscope compare`: pairing (files, folders, CSV), unpaired and unrelated photos, output formats,
//! determinism across `--jobs`, overlays, and the schema.

use std::path::Path;

use assert_cmd::Command;
use scarscope::compare::pairing::{pair_csv, pair_folders};
use scarscope::render::{random_scene, render_pair, SceneParams};
use serde_json::Value;

/// Renders a before/after pair of scene `seed` and saves it as PNGs at the two paths.
fn write_pair(
    before: &Path,
    after: &Path,
    seed: u64,
    depth: f64,
    rot: f64,
    scale: f64,
    shift: (f64, f64),
) {
    let scene = random_scene(&SceneParams {
        seed,
        width: 360,
        height: 270,
        ..SceneParams::default()
    });
    let light = ((scene.light.azimuth_deg + 70.0) % 360.0, 40.0);
    let (b, a, _) = render_pair(&scene, depth, light, 1.15, rot, scale, shift);
    for (img, p) in [(b, before), (a, after)] {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        img.save(p).expect("save png");
    }
}

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

fn run_json(args: &[&str]) -> (i32, Value, String) {
    let out = scarscope()
        .arg("compare")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code, v, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn folder_pairing_by_relative_path_then_stem() {
    let d = tempfile::tempdir().expect("tempdir");
    let (b, a) = (d.path().join("b"), d.path().join("a"));
    write_pair(
        &b.join("p1/cheek.png"),
        &a.join("p1/cheek.png"),
        1,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    write_pair(
        &b.join("Anna_Before.png"),
        &a.join("anna-after.png"),
        2,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    write_pair(
        &b.join("pre temple.png"),
        &a.join("POST_Temple.png"),
        3,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    write_pair(
        &b.join("lonely.png"),
        &a.join("other.png"),
        4,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    std::fs::write(b.join("notes.txt"), "not a photo").expect("write");
    let p = pair_folders(&b, &a);
    let ids: Vec<&str> = p.pairs.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, vec!["anna", "p1/cheek.png", "temple"]);
    assert_eq!(p.unpaired_before.len(), 1);
    assert!(p.unpaired_before[0].ends_with("lonely.png"));
    assert_eq!(p.unpaired_after.len(), 1);
    assert!(p.unpaired_after[0].ends_with("other.png"));
    assert_eq!(p.skipped_non_image, 1);
}

#[test]
fn pairs_csv_relative_to_its_folder_with_optional_header_and_id() {
    let d = tempfile::tempdir().expect("tempdir");
    write_pair(
        &d.path().join("x/b1.png"),
        &d.path().join("y/a1.png"),
        5,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    let csv = d.path().join("pairs.csv");
    std::fs::write(
        &csv,
        "before,after,id\nx/b1.png,y/a1.png,first\n\"x/b1.png\",y/a1.png\n",
    )
    .expect("write");
    let p = pair_csv(&csv).expect("parses");
    assert_eq!(p.pairs.len(), 2);
    // Sorted by id; without an id column the id is the before path's stem key.
    assert_eq!(p.pairs[0].id, "first");
    assert_eq!(p.pairs[1].id, "x/b1");
    assert_eq!(p.pairs[1].before.path, d.path().join("x/b1.png"));
    std::fs::write(&csv, "x/b1.png\n").expect("write");
    assert!(pair_csv(&csv).is_err());
}

#[test]
fn two_files_json_matches_schema_and_recovers_the_transform() {
    let d = tempfile::tempdir().expect("tempdir");
    let (b, a) = (d.path().join("before.png"), d.path().join("after.png"));
    write_pair(&b, &a, 11, 1.0, 7.0, 1.05, (10.0, -6.0));
    let (code, v, err) = run_json(&[
        b.to_str().expect("utf8"),
        a.to_str().expect("utf8"),
        "--px-per-mm",
        "12",
    ]);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(v["schema_version"], 1);
    let pair = &v["pairs"][0];
    assert_eq!(pair["status"], "ok", "{pair}");
    let reg = &pair["registration"];
    assert!((reg["rotation_deg"].as_f64().expect("num") - 7.0).abs() < 1.0);
    assert!((reg["shift_px"][0].as_f64().expect("num") - 10.0).abs() < 2.0);
    assert!((reg["shift_px"][1].as_f64().expect("num") + 6.0).abs() < 2.0);
    // The after photo was 15 % brighter: the gains bring it back.
    let er = pair["normalisation"]["exposure_ratio"]
        .as_f64()
        .expect("num");
    assert!(er > 1.05 && er < 1.3, "exposure ratio {er}");
    for m in [
        "scar_count",
        "scar_area",
        "depth_proxy_total",
        "roughness",
        "redness",
        "goodman_baron_quantitative",
    ] {
        for k in ["before", "after", "delta", "percent"] {
            assert!(
                pair["changes"][m].get(k).is_some(),
                "changes.{m}.{k} missing"
            );
        }
    }
    assert!(pair["verdict"].is_string());
    assert_eq!(pair["before"]["path"], b.to_str().expect("utf8"));
    let schema: Value =
        serde_json::from_str(&scarscope::compare::schema_json()).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "schema errors: {errors:?}");
}

#[test]
fn unrelated_photos_are_refused_and_exit_1() {
    let d = tempfile::tempdir().expect("tempdir");
    let (b, a) = (d.path().join("b/x.png"), d.path().join("a/x.png"));
    write_pair(
        &b,
        &d.path().join("unused1.png"),
        21,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    write_pair(
        &a,
        &d.path().join("unused2.png"),
        22,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    let (code, v, _) = run_json(&[b.to_str().expect("utf8"), a.to_str().expect("utf8")]);
    assert_eq!(code, 1);
    let pair = &v["pairs"][0];
    assert_eq!(pair["status"], "error");
    assert!(
        pair["error"]
            .as_str()
            .unwrap_or("")
            .contains("photos do not show the same area"),
        "{pair}"
    );
    assert!(pair["verdict"].is_null());
    assert_eq!(v["batch"]["failed"], 1);
}

#[test]
fn folders_list_unpaired_on_stderr_and_in_batch_and_output_is_independent_of_jobs() {
    let d = tempfile::tempdir().expect("tempdir");
    let (b, a) = (d.path().join("before"), d.path().join("after"));
    write_pair(
        &b.join("s1_before.png"),
        &a.join("s1_after.png"),
        31,
        1.0,
        3.0,
        1.0,
        (4.0, 2.0),
    );
    write_pair(
        &b.join("s2.png"),
        &a.join("s2.png"),
        32,
        1.0,
        -4.0,
        0.95,
        (-5.0, 3.0),
    );
    write_pair(
        &b.join("only_before.png"),
        &d.path().join("ignored.png"),
        33,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    let args = [b.to_str().expect("utf8"), a.to_str().expect("utf8")];
    let (code, v, err) = run_json(&args);
    assert_eq!(code, 0);
    assert!(
        err.contains("unpaired before photo") && err.contains("only_before.png"),
        "stderr: {err}"
    );
    assert_eq!(v["pairs"].as_array().map(|p| p.len()), Some(2));
    assert_eq!(v["pairs"][0]["id"], "s1");
    assert_eq!(v["settings"]["pairing"], "folders");
    let unpaired = v["batch"]["unpaired_before"].as_array().expect("array");
    assert!(unpaired[0]
        .as_str()
        .unwrap_or("")
        .ends_with("only_before.png"));
    // Quiet: nothing on stderr.
    let out = scarscope()
        .arg("compare")
        .args(args)
        .arg("-q")
        .output()
        .expect("runs");
    assert!(out.stderr.is_empty());
    // Byte-identical across thread counts, in every format.
    for fmt in ["json", "jsonl", "csv", "table"] {
        let one = scarscope()
            .arg("compare")
            .args(args)
            .args(["-q", "-j", "1", "--format", fmt])
            .output()
            .expect("runs");
        let two = scarscope()
            .arg("compare")
            .args(args)
            .args(["-q", "-j", "2", "--format", fmt])
            .output()
            .expect("runs");
        assert_eq!(one.stdout, two.stdout, "format {fmt} differs across --jobs");
        assert!(!one.stdout.is_empty());
    }
    let jsonl = scarscope()
        .arg("compare")
        .args(args)
        .args(["-q", "--format", "jsonl"])
        .output()
        .expect("runs");
    let lines: Vec<&str> = std::str::from_utf8(&jsonl.stdout)
        .expect("utf8")
        .lines()
        .collect();
    assert_eq!(lines.len(), 2);
    for l in lines {
        let p: Value = serde_json::from_str(l).expect("one PAIR per line");
        assert!(p["id"].is_string() && p["before"].is_object());
    }
}

#[test]
fn nothing_to_compare_and_usage_errors_exit_2() {
    let d = tempfile::tempdir().expect("tempdir");
    let (b, a) = (d.path().join("b"), d.path().join("a"));
    write_pair(
        &b.join("one.png"),
        &a.join("two.png"),
        41,
        1.0,
        0.0,
        1.0,
        (0.0, 0.0),
    );
    scarscope().arg("compare").arg(&b).arg(&a).assert().code(2);
    // A folder and a file.
    scarscope()
        .arg("compare")
        .arg(&b)
        .arg(a.join("two.png"))
        .assert()
        .code(2);
    // Missing path.
    scarscope()
        .arg("compare")
        .arg(d.path().join("nope.png"))
        .arg(a.join("two.png"))
        .assert()
        .code(2);
    // Neither paths nor --pairs.
    scarscope().arg("compare").assert().code(2);
}

#[test]
fn pairs_csv_run_with_missing_file_reports_that_pair_and_writes_overlays_and_output_atomically() {
    let d = tempfile::tempdir().expect("tempdir");
    write_pair(
        &d.path().join("b1.png"),
        &d.path().join("a1.png"),
        51,
        1.0,
        2.0,
        1.0,
        (3.0, 3.0),
    );
    let csv = d.path().join("pairs.csv");
    std::fs::write(&csv, "b1.png,a1.png,good\nb1.png,missing.png,bad\n").expect("write");
    let ov = d.path().join("ov");
    let out_file = d.path().join("report.json");
    let out = scarscope()
        .arg("compare")
        .arg("--pairs")
        .arg(&csv)
        .arg("--overlay")
        .arg(&ov)
        .arg("-o")
        .arg(&out_file)
        .args(["--format", "json", "-q"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let v: Value =
        serde_json::from_slice(&std::fs::read(&out_file).expect("output written")).expect("JSON");
    assert_eq!(v["pairs"][0]["id"], "bad");
    assert_eq!(v["pairs"][0]["status"], "error");
    assert!(v["pairs"][0]["error"]
        .as_str()
        .unwrap_or("")
        .starts_with("after photo"));
    assert_eq!(v["pairs"][1]["status"], "ok");
    let overlay = ov.join("good.png");
    let img = image::open(&overlay).expect("overlay PNG");
    assert!(img.width() >= 2 * 360);
}

#[test]
fn a_profile_compare_section_reaches_the_thresholds_and_the_verdict() {
    let d = tempfile::tempdir().expect("tempdir");
    let (b, a) = (d.path().join("before.png"), d.path().join("after.png"));
    // Relief halved: a change the relief ratio reads, whatever the verdict line.
    write_pair(&b, &a, 21, 0.5, 4.0, 1.0, (5.0, 3.0));
    let run = |toml: &str| {
        let p = d.path().join("mine.toml");
        std::fs::write(&p, toml).expect("write profile");
        let (code, v, err) = run_json(&[
            b.to_str().expect("utf8"),
            a.to_str().expect("utf8"),
            "--px-per-mm",
            "12",
            "--profile",
            p.to_str().expect("utf8"),
        ]);
        assert_eq!(code, 0, "stderr: {err}");
        v
    };
    // Every noise line so wide that nothing can exceed it: no clear change, and the settings say so.
    let wide = run(
        "name = \"wide\"\n[compare.verdict]\nrelief_relative = 50.0\n\
         depth_total_relative = 50.0\ncount_absolute = 1000.0\ngoodman_baron_points = 1000.0\n\
         darkening_alone = 1000.0\n",
    );
    assert_eq!(wide["settings"]["profile"], "wide");
    assert_eq!(wide["settings"]["thresholds"]["relief_relative"], 50.0);
    // Left out of the file: the built-in value.
    assert_eq!(wide["settings"]["thresholds"]["count_relative"], 0.5);
    assert_eq!(
        wide["pairs"][0]["verdict"], "no_clear_change",
        "{}",
        wide["pairs"][0]
    );
    // A noise line of zero: any measured relief change is a verdict (Goodman & Baron cannot veto).
    let zero = run(
        "name = \"zero\"\n[compare.verdict]\nrelief_relative = 0.0\n\
         goodman_baron_points = 1000.0\n",
    );
    assert!(
        zero["pairs"][0]["changes"]["relief_index"]["percent"].is_number(),
        "{}",
        zero["pairs"][0]
    );
    assert_ne!(
        zero["pairs"][0]["verdict"], "no_clear_change",
        "{}",
        zero["pairs"][0]
    );
    // An unknown compare key is a usage error, not silently ignored.
    let p = d.path().join("bad.toml");
    std::fs::write(&p, "[compare.relief]\nno_such = 1\n").expect("write");
    let out = scarscope()
        .args([
            "compare",
            b.to_str().expect("utf8"),
            a.to_str().expect("utf8"),
        ])
        .args(["--profile", p.to_str().expect("utf8")])
        .output()
        .expect("runs");
    assert_ne!(out.status.code(), Some(0));
}
