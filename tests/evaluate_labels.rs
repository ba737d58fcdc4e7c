//! `scarscope evaluate --labels` and `scarscope calibrate` on the bundled rendered fixtures (never on
//! `../shared`): every figure checked against values computed by hand from the reports, malformed labels,
//! `--report` against the analysing mode, and a deterministic calibration whose profile loads.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The six bundled scenes with the family each one shows.
const LABELS: &str = "file,family,subtype,source\n\
active_tan_from_lower_right.jpg,active,papule,render@1:a\n\
boxcar_light_from_top.jpg,atrophic,boxcar,render@1:b\n\
flat_marks_dark_flash.jpg,flat,pigmented,render@1:c\n\
ice_pick_very_light_from_left.jpg,atrophic,ice_pick,other@2:d\n\
raised_brown_from_lower_left.jpg,raised,keloid,other@2:e\n\
rolling_intermediate_raking_right.jpg,atrophic,rolling,other@2:f\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// A labels file in `dir` for two of the bundled scenes, one atrophic and one raised.
fn two_scene_labels(dir: &Path) -> PathBuf {
    write(
        dir,
        "labels.csv",
        "file,family\nboxcar_light_from_top.jpg,atrophic\nraised_brown_from_lower_left.jpg,raised\n",
    )
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("json output")
}

/// Runs `evaluate --labels LABELS --images fixtures/ EXTRA…` and returns its output.
fn evaluate(labels: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    scarscope()
        .args(["evaluate", "-q", "--labels"])
        .arg(labels)
        .arg("--images")
        .arg(fixtures())
        .args(extra)
        .output()
        .expect("run")
}

/// As [`evaluate`] with `--format json`, checking that it succeeded; the parsed document.
fn evaluate_json(labels: &Path, extra: &[&std::ffi::OsStr]) -> Value {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--format".as_ref(), "json".as_ref()];
    args.extend_from_slice(extra);
    let out = evaluate(labels, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

fn share(right: usize, of: usize) -> Value {
    if of == 0 {
        Value::Null
    } else {
        serde_json::json!(right as f64 / of as f64)
    }
}

#[test]
fn figures_match_values_computed_from_the_reports() {
    let tmp = tempfile::tempdir().expect("tmp");
    let labels = write(tmp.path(), "labels.csv", LABELS);
    // The reports the figures must be computed from.
    let analysed = scarscope()
        .args(["analyze", "--format", "json", "-q"])
        .arg(fixtures())
        .output()
        .expect("run");
    let doc = json(&analysed.stdout);
    let by_name = |name: &str| -> Value {
        doc["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .cloned()
            .expect("image in report")
    };
    let rows: Vec<(&str, &str, &str, &str)> = LABELS
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0], c[1], c[2], c[3].split('@').next().expect("source"))
        })
        .collect();
    let (mut atro, mut atro_ok, mut raised, mut raised_ok) = (0, 0, 0, 0);
    let (mut atro_typ, mut act, mut act_flag, mut act_nt, mut flat, mut flat_nt) =
        (0, 0, 0, 0, 0, 0);
    let (mut sub, mut sub_ok) = (0, 0);
    for (file, family, subtype, _) in &rows {
        let r = by_name(file);
        let dom = r["summary"]["dominant"].as_str().expect("dominant");
        let verdict = r["microneedling"]["verdict"].as_str().expect("verdict");
        match *family {
            "atrophic" => {
                atro += 1;
                atro_ok += (dom == "atrophic") as usize;
                atro_typ += (verdict == "typical") as usize;
            }
            "raised" => {
                raised += 1;
                raised_ok += (dom == "hypertrophic") as usize;
            }
            "active" => {
                act += 1;
                act_flag += r["summary"]["active_inflammation"].as_bool().expect("flag") as usize;
                act_nt += (verdict != "typical") as usize;
            }
            _ => {
                flat += 1;
                flat_nt += (verdict != "typical") as usize;
            }
        }
        sub += 1;
        sub_ok += (r["summary"]["dominant_subtype"].as_str() == Some(subtype)) as usize;
    }
    let e = evaluate_json(&labels, &[]);
    assert_eq!(e["images"], 6);
    assert_eq!(e["errors"], 0);
    let ba = (atro_ok as f64 / atro as f64 + raised_ok as f64 / raised as f64) / 2.0;
    assert_eq!(
        e["atrophic_vs_raised_balanced_accuracy"],
        serde_json::json!(ba)
    );
    assert_eq!(e["verdict"]["atrophic_typical"], share(atro_typ, atro));
    assert_eq!(e["verdict"]["active_not_typical"], share(act_nt, act));
    assert_eq!(e["verdict"]["flat_not_typical"], share(flat_nt, flat));
    assert_eq!(e["verdict"]["clear_not_typical"], Value::Null);
    assert_eq!(e["active_flagged"], share(act_flag, act));
    assert_eq!(e["subtype_accuracy"], share(sub_ok, sub));
    let confusion_total: u64 = e["confusion"]
        .as_object()
        .expect("confusion")
        .values()
        .flat_map(|row| row.as_object().expect("row").values())
        .map(|v| v.as_u64().expect("count"))
        .sum();
    assert_eq!(confusion_total, 6);
    assert_eq!(
        e["confusion"]["atrophic"]
            .as_object()
            .expect("row")
            .values()
            .map(|v| v.as_u64().unwrap_or(0))
            .sum::<u64>(),
        3
    );
    // Per source: `render` has scenes a-c, `other` d-f.
    assert_eq!(e["by_source"]["render"]["images"], 3);
    assert_eq!(e["by_source"]["other"]["images"], 3);
    assert_eq!(
        e["by_source"]["render"]["verdict"]["raised_not_typical"],
        Value::Null
    );
    // Per long side: the bundled scenes are 600×450, so all six in the 320-639 px band, and nowhere else.
    assert_eq!(e["by_size"]["320-639 px"]["images"], 6);
    assert_eq!(e["by_size"]["320-639 px"], {
        let mut all = e.clone();
        let all = all.as_object_mut().expect("object");
        all.remove("by_source");
        all.remove("by_size");
        Value::Object(all.clone())
    });
    assert_eq!(e["by_size"].as_object().map(|o| o.len()), Some(1));

    // Scoring the report written by analyze gives the same document.
    let report = tmp.path().join("report.jsonl");
    scarscope()
        .args(["analyze", "--format", "jsonl", "-q", "-o"])
        .arg(&report)
        .arg(fixtures())
        .assert()
        .success();
    let scored = evaluate_json(&labels, &["--report".as_ref(), report.as_os_str()]);
    assert_eq!(scored, e);
}

#[test]
fn malformed_labels_are_usage_errors_naming_the_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (text, says) in [
        (
            "file,family\nboxcar_light_from_top.jpg,scar\n",
            "line 2: unknown family `scar`",
        ),
        ("name,family\nx.jpg,clear\n", "no `file` column"),
        ("file,family\nmissing.jpg,clear\n", "line 2: no such file"),
        (
            "file,family,subtype\nboxcar_light_from_top.jpg,atrophic,deep\n",
            "line 2: unknown subtype `deep`",
        ),
    ] {
        let labels = write(tmp.path(), "bad.csv", text);
        let out = evaluate(&labels, &[]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{text}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn stability_reports_every_change() {
    let tmp = tempfile::tempdir().expect("tmp");
    let labels = two_scene_labels(tmp.path());
    let e = evaluate_json(&labels, &["--stability".as_ref()]);
    for change in ["half", "jpeg60", "crop10", "exposure", "mirror", "specks"] {
        let c = &e["stability"]["changes"][change];
        assert_eq!(c["photos"], 2, "{change}");
        let both = c["both_same"].as_f64().expect("share");
        assert!((0.0..=1.0).contains(&both));
        assert!(c["dominant_same"].as_f64().expect("share") >= both);
    }
    assert_eq!(e["stability"]["overall"]["photos"], 12);
}

#[test]
fn calibrate_is_deterministic_and_its_profile_loads() {
    let tmp = tempfile::tempdir().expect("tmp");
    let labels = write(tmp.path(), "labels.csv", LABELS);
    let run = |name: &str| -> Vec<u8> {
        let p = tmp.path().join(name);
        scarscope()
            .args(["calibrate", "-q", "--folds", "2", "--labels"])
            .arg(&labels)
            .arg("--images")
            .arg(fixtures())
            .arg("-o")
            .arg(&p)
            .assert()
            .success();
        std::fs::read(&p).expect("profile written")
    };
    let a = run("a.toml");
    assert_eq!(a, run("b.toml"), "same inputs, same bytes");
    let text = String::from_utf8(a).expect("utf-8");
    assert!(text.starts_with("# Scoring table written by `scarscope calibrate"));
    assert!(text.contains("hash"));
    assert!(text.contains("photos per family: atrophic 3, raised 1, active 1, flat 1, clear 0"));
    // The profile loads, and fitted on these six scenes it calls each of them its own family.
    let profile = tmp.path().join("a.toml");
    let e = evaluate_json(&labels, &["--profile".as_ref(), profile.as_os_str()]);
    assert_eq!(
        e["atrophic_vs_raised_balanced_accuracy"],
        serde_json::json!(1.0)
    );
    assert_eq!(e["active_flagged"], serde_json::json!(1.0));
}

#[test]
fn calibrate_fits_on_changed_copies_and_reports_their_held_out_stability() {
    let tmp = tempfile::tempdir().expect("tmp");
    let labels = write(tmp.path(), "labels.csv", LABELS);
    let held = tmp.path().join("held.csv");
    let p = tmp.path().join("aug.toml");
    scarscope()
        .args([
            "calibrate",
            "-q",
            "--folds",
            "2",
            "--augment",
            "half",
            "--check",
            "mirror",
        ])
        .arg("--labels")
        .arg(&labels)
        .arg("--images")
        .arg(fixtures())
        .arg("--held-out")
        .arg(&held)
        .arg("-o")
        .arg(&p)
        .assert()
        .success();
    let text = std::fs::read_to_string(&p).expect("profile written");
    assert!(
        text.contains("--augment half`"),
        "the command names the fitting change"
    );
    assert!(text.contains("held-out stability, half (fitted on):"));
    assert!(text.contains("held-out stability, mirror (not fitted on):"));
    assert!(text.contains("of 6 photos"));
    // One held-out answer per labelled photo, in the labels' order.
    let rows = std::fs::read_to_string(&held).expect("held-out answers written");
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(
        lines[0],
        "file,label,source,decided,confidence,active_probability,dominant,half,mirror"
    );
    assert_eq!(lines.len(), 7);
    // Each photo's dominant finding, then that of its halved and mirrored copies (names as in the report).
    let findings = ["none", "atrophic", "hypertrophic"];
    for l in &lines[1..] {
        let cells: Vec<&str> = l.split(',').collect();
        assert_eq!(cells.len(), 9, "{l}");
        for c in &cells[6..] {
            assert!(findings.contains(c), "{c:?} in {l}");
        }
    }
    let labelled: Vec<&str> = LABELS
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    let answered: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    assert_eq!(labelled, answered);
    // The consistency penalty and the repeats are named in the command it writes, and the repeats add one
    // header line with each fold seed's figures; a negative penalty or size balance is a usage error.
    let steady = tmp.path().join("steady.toml");
    scarscope()
        .args([
            "calibrate",
            "-q",
            "--folds",
            "2",
            "--consistency",
            "0.5",
            "--repeats",
            "2",
        ])
        .arg("--labels")
        .arg(&labels)
        .arg("--images")
        .arg(fixtures())
        .arg("-o")
        .arg(&steady)
        .assert()
        .success();
    let text = std::fs::read_to_string(&steady).expect("profile written");
    assert!(text.contains(" --consistency 0.5 "), "{text}");
    assert!(text.contains(" --repeats 2`"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("#   fold seeds 1 / 2: atrophic_vs_raised_balanced_accuracy ")),
        "{text}"
    );
    for bad in ["--consistency=-1", "--size-balance=-1"] {
        scarscope()
            .args(["calibrate", "-q", bad, "--labels"])
            .arg(&labels)
            .arg("-o")
            .arg(tmp.path().join("y.toml"))
            .assert()
            .code(2);
    }
    // An unknown change is a usage error.
    scarscope()
        .args(["calibrate", "-q", "--augment", "blur", "--labels"])
        .arg(&labels)
        .arg("-o")
        .arg(tmp.path().join("x.toml"))
        .assert()
        .code(2);
}

/// `evaluate --labels` and `calibrate` admit each photo into a memory budget as `analyze` does: under a budget
/// smaller than one photo (`--max-memory 1M`) they run one photo at a time and give the same output.
#[test]
fn a_tiny_memory_budget_runs_photo_by_photo_with_the_same_output() {
    let tmp = tempfile::tempdir().expect("tmp");
    let labels = write(tmp.path(), "labels.csv", LABELS);
    let tiny: [&std::ffi::OsStr; 4] = [
        "--max-memory".as_ref(),
        "1M".as_ref(),
        "-j".as_ref(),
        "3".as_ref(),
    ];
    let stable = ["--stability".as_ref()];
    let with_tiny: Vec<&std::ffi::OsStr> = stable.iter().chain(&tiny).copied().collect();
    assert_eq!(
        evaluate_json(&labels, &stable),
        evaluate_json(&labels, &with_tiny)
    );

    let calibrate = |name: &str, extra: &[&std::ffi::OsStr]| -> Vec<u8> {
        let p = tmp.path().join(name);
        scarscope()
            .args([
                "calibrate",
                "-q",
                "--folds",
                "2",
                "--augment",
                "mirror",
                "--labels",
            ])
            .arg(&labels)
            .arg("--images")
            .arg(fixtures())
            .arg("-o")
            .arg(&p)
            .args(extra)
            .assert()
            .success();
        std::fs::read(&p).expect("profile written")
    };
    assert_eq!(calibrate("a.toml", &[]), calibrate("b.toml", &tiny));

    // A size that is no size is a usage error, as for analyze.
    for cmd in [&["evaluate"][..], &["calibrate", "-o", "x.toml"]] {
        let out = scarscope()
            .args(cmd)
            .arg("--labels")
            .arg(&labels)
            .args(["--max-memory", "0"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("memory size must be positive"));
    }
}

#[test]
fn shrink_analyses_small_copies_and_their_answers_are_held_below_the_tables_size() {
    let tmp = tempfile::tempdir().expect("tmp");
    let labels = two_scene_labels(tmp.path());
    let as_is = evaluate_json(&labels, &[]);
    // Larger than the 600×450 scenes: never enlarged, so the same document.
    assert_eq!(
        evaluate_json(&labels, &["--shrink".as_ref(), "2000".as_ref()]),
        as_is
    );
    assert!(as_is["counts"]["confident_family"]["of"].as_u64() >= Some(1));
    // 100 px on the short side makes 133×100, below the built-in table's small_photo_px: every answer is
    // kept but held at 0.5, so none is given at confidence >= 0.8.
    let table = scarscope::profile::Profile::builtin().decision;
    assert!(133 < table.small_photo_px && table.small_photo_confidence < 0.8);
    let small = evaluate_json(&labels, &["--shrink".as_ref(), "100".as_ref()]);
    assert_eq!(small["counts"]["confident_family"]["of"], 0);
    assert_eq!(small["counts"]["family"]["of"], 2);
    // With --report there is nothing to shrink; and a copy under 16 px is refused: usage errors.
    for extra in [
        vec!["--shrink", "100", "--report", "r.json"],
        vec!["--shrink", "8"],
    ] {
        let extra: Vec<&std::ffi::OsStr> = extra.iter().map(|s| s.as_ref()).collect();
        let out = evaluate(&labels, &extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(out.stdout.is_empty());
    }
}
