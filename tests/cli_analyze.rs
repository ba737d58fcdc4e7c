//! End-to-end tests of `scarscope analyze` and `scarscope schema`: inputs, formats, errors, exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

/// A smooth skin-coloured test picture.
fn skin(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (200 - (x % 20)) as u8,
            (150 - (y % 15)) as u8,
            (120 + (x + y) % 10) as u8,
        ])
    }))
}

fn encode(img: &DynamicImage, f: ImageFormat) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, f).expect("encode");
    buf.into_inner()
}

/// A JPEG with an EXIF APP1 block saying "rotate 90° clockwise to view" (orientation 6).
fn jpeg_with_orientation(img: &DynamicImage, orientation: u16) -> Vec<u8> {
    let jpeg = encode(img, ImageFormat::Jpeg);
    let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
    tiff.extend_from_slice(&[0x12, 0x01, 0x03, 0x00, 0x01, 0, 0, 0]);
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let len = (payload.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The folder of the "done when": good, mislabelled, broken, empty, text, nested, rotated.
fn mixed_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let good = encode(&skin(120, 80), ImageFormat::Jpeg);
    std::fs::write(d.join("good.jpg"), &good).expect("write");
    std::fs::write(
        d.join("png_named.jpg"),
        encode(&skin(64, 48), ImageFormat::Png),
    )
    .expect("write");
    std::fs::write(d.join("truncated.jpg"), &good[..good.len() / 2]).expect("write");
    std::fs::write(d.join("empty.jpg"), b"").expect("write");
    std::fs::write(d.join("notes.png"), b"this is not a picture\n").expect("write");
    std::fs::write(d.join("README.txt"), b"a note that is skipped\n").expect("write");
    std::fs::write(d.join(".hidden.jpg"), &good).expect("write");
    std::fs::create_dir(d.join("nested")).expect("mkdir");
    std::fs::write(d.join("nested").join("Box (13).jfif"), &good).expect("write");
    std::fs::write(
        d.join("rotated.jpg"),
        jpeg_with_orientation(&skin(120, 80), 6),
    )
    .expect("write");
    dir
}

fn run_json(args: &[&str], dir: &Path) -> (Value, i32) {
    let out = scarscope()
        .arg("analyze")
        .args(args)
        .arg(dir)
        .arg("--format")
        .arg("json")
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    (v, out.status.code().unwrap_or(-1))
}

fn by_name<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .unwrap_or_else(|| panic!("{name} reported"))
}

#[test]
fn mixed_folder_gives_right_statuses_sizes_and_exit_code() {
    let dir = mixed_folder();
    let (v, code) = run_json(&[], dir.path());
    assert_eq!(code, 1, "some images failed");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "scarscope");
    let paths: Vec<String> = v["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["path"].as_str().expect("path").to_string())
        .collect();
    let names: Vec<&str> = paths
        .iter()
        .map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p))
        .collect();
    assert_eq!(
        names,
        [
            "empty.jpg",
            "good.jpg",
            "Box (13).jfif",
            "notes.png",
            "png_named.jpg",
            "rotated.jpg",
            "truncated.jpg"
        ],
        "sorted walk order, hidden and non-image files skipped"
    );
    for ok in ["good.jpg", "png_named.jpg", "Box (13).jfif", "rotated.jpg"] {
        assert_eq!(by_name(&v, ok)["status"], "ok", "{ok}");
        assert!(
            by_name(&v, ok).get("error").is_none(),
            "{ok} has no error field"
        );
    }
    for (bad, why) in [
        ("truncated.jpg", "incomplete JPEG"),
        ("empty.jpg", "empty"),
        ("notes.png", "not an image"),
    ] {
        let img = by_name(&v, bad);
        assert_eq!(img["status"], "error", "{bad}");
        let msg = img["error"].as_str().expect("error message");
        assert!(msg.contains(why), "{bad}: {msg}");
        assert!(!msg.contains('\n'));
    }
    assert_eq!(by_name(&v, "good.jpg")["width"], 120);
    assert_eq!(by_name(&v, "good.jpg")["height"], 80);
    assert_eq!(
        by_name(&v, "rotated.jpg")["width"],
        80,
        "EXIF orientation applied"
    );
    assert_eq!(
        by_name(&v, "rotated.jpg")["height"],
        120,
        "EXIF orientation applied"
    );
    assert_eq!(v["batch"]["images"], 7);
    assert_eq!(v["batch"]["ok"], 4);
    assert_eq!(v["batch"]["failed"], 3);
    assert_eq!(v["batch"]["skipped_non_image"], 1);
}

#[test]
fn every_format_reports_the_same_statuses_with_exit_code_1() {
    let dir = mixed_folder();
    // jsonl: one IMAGE object per line and nothing else.
    let out = scarscope()
        .args(["analyze", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines.iter().filter(|l| l["status"] == "error").count(), 3);
    assert!(
        lines.iter().all(|l| l.get("schema_version").is_none()),
        "jsonl holds only IMAGE objects"
    );

    // csv: a header, then a row per region or one row with empty region fields.
    let out = scarscope()
        .args(["analyze", "--format", "csv"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().expect("header").split(',').collect();
    assert_eq!(header[0], "path");
    assert!(header.contains(&"subtype") && header.contains(&"depth_proxy"));
    let rows: Vec<&str> = rows.collect();
    assert!(rows.len() >= 7);
    assert_eq!(rows.iter().filter(|r| r.contains(",error,")).count(), 3);
    assert!(rows.iter().any(|r| r.contains("Box (13).jfif")));

    // table (the default) and --json shorthand.
    let out = scarscope()
        .arg("analyze")
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("truncated.jpg") && text.contains("ERROR"));
    assert!(text.contains("7 images: 4 analysed, 3 failed"));
    let out = scarscope()
        .args(["analyze", "--json"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_slice::<Value>(&out.stdout).expect("--json prints JSON");
}

#[test]
fn output_bytes_do_not_depend_on_the_thread_count() {
    let dir = mixed_folder();
    for format in ["json", "jsonl", "csv", "table"] {
        let one = scarscope()
            .args(["analyze", "--jobs", "1", "--format", format])
            .arg(dir.path())
            .output()
            .expect("run");
        let many = scarscope()
            .args(["analyze", "--jobs", "8", "--format", format])
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(one.stdout, many.stdout, "{format}");
        assert!(!one.stdout.is_empty());
    }
}

#[test]
fn output_file_is_written_whole_and_stdout_stays_empty() {
    let dir = mixed_folder();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let target = out_dir.path().join("report.json");
    let out = scarscope()
        .args(["analyze", "--json", "-o"])
        .arg(&target)
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing but the requested output on stdout"
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&target).expect("written")).expect("JSON");
    assert_eq!(v["batch"]["images"], 7);
    let leftovers: Vec<PathBuf> = std::fs::read_dir(out_dir.path())
        .expect("read")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p != &target)
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
    #[cfg(unix)]
    {
        // The report gets the mode any new file gets here (the umask decides), not a private temp-file mode.
        use std::os::unix::fs::PermissionsExt;
        let plain = out_dir.path().join("plain");
        std::fs::write(&plain, b"x").expect("write");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&target), mode(&plain));
    }
}

#[test]
fn explicit_files_good_and_bad() {
    let dir = mixed_folder();
    let d = dir.path();
    let out = scarscope()
        .args(["analyze", "--format", "jsonl"])
        .arg(d.join("good.jpg"))
        .arg(d.join("README.txt"))
        .arg(d.join("missing.jpg"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "explicitly named files are always reported, in the order given"
    );
    assert_eq!(lines[0]["status"], "ok");
    assert_eq!(lines[1]["status"], "error");
    assert!(lines[1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("not an image")));
    assert_eq!(lines[2]["status"], "error");

    let out = scarscope()
        .args(["analyze", "--json"])
        .arg(d.join("good.jpg"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "all images analysed");
}

#[test]
fn usage_errors_and_nothing_to_analyse_exit_2() {
    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::write(empty.path().join("notes.txt"), b"hello").expect("write");
    let out = scarscope()
        .arg("analyze")
        .arg(empty.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no images found"));
    assert!(out.stdout.is_empty());

    let dir = mixed_folder();
    for bad in [
        &["--px-per-mm", "-3"][..],
        &["--jobs", "0"],
        &["--format", "xml"],
        &["--max-megapixels", "0"],
    ] {
        let out = scarscope()
            .arg("analyze")
            .args(bad)
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!out.stderr.is_empty());
    }
    let out = scarscope().arg("analyze").output().expect("run");
    assert_eq!(out.status.code(), Some(2), "no PATH");
}

#[test]
fn oversized_images_are_refused_for_that_file_only() {
    let dir = mixed_folder();
    let (v, code) = run_json(&["--max-megapixels", "0.005"], dir.path());
    assert_eq!(code, 1);
    let good = by_name(&v, "good.jpg"); // 120×80 = 0.0096 MP
    assert_eq!(good["status"], "error");
    assert!(good["error"]
        .as_str()
        .is_some_and(|e| e.contains("above the limit")));
    assert_eq!(good["width"], 120);
    assert_eq!(
        by_name(&v, "png_named.jpg")["status"],
        "ok",
        "64×48 = 0.003 MP is within the limit"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang() {
    let dir = mixed_folder();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("nested").join("loop"))
        .expect("symlink");
    let (v, code) = run_json(&["--quiet"], dir.path());
    assert_eq!(code, 1);
    assert_eq!(v["batch"]["images"], 7, "the loop adds nothing");
}

#[test]
fn schema_is_valid_and_output_validates_against_it() {
    let out = scarscope().arg("schema").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    assert!(jsonschema::meta::is_valid(&schema), "a valid JSON Schema");
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    let dir = mixed_folder();
    let (report, _) = run_json(&["--px-per-mm", "12"], dir.path());
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let broken = serde_json::json!({"schema_version": 1});
    assert!(!validator.is_valid(&broken), "the schema really constrains");
}

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn overlay_writes_one_png_per_analysed_image() {
    let dir = mixed_folder();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let ov = out_dir.path().join("overlays");
    // Run inside the folder so the inputs' paths, and so the overlays', are relative.
    let out = scarscope()
        .current_dir(dir.path())
        .args(["analyze", "--quiet", "--format", "jsonl", "--overlay"])
        .arg(&ov)
        .arg(".")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let pngs = files_under(&ov);
    let mut want: Vec<PathBuf> = [
        "Box (13).jfif.png",
        "good.jpg.png",
        "png_named.jpg.png",
        "rotated.jpg.png",
    ]
    .iter()
    .map(|n| {
        if n.starts_with("Box") {
            Path::new("nested").join(n)
        } else {
            PathBuf::from(n)
        }
    })
    .collect();
    want.sort();
    assert_eq!(
        pngs, want,
        "one per image analysed, at the input's relative path"
    );
    for p in pngs {
        let img = image::open(ov.join(&p)).expect("a PNG");
        assert!(img.width() >= 64);
    }
}

#[test]
fn overlays_of_similar_names_do_not_overwrite_each_other() {
    // `a/b_c.jpg` and `a_b/c.jpg` once both became `a_b_c.jpg.png`; one overlay silently replaced the other.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("a")).expect("mkdir");
    std::fs::create_dir_all(d.join("a_b")).expect("mkdir");
    std::fs::write(
        d.join("a/b_c.jpg"),
        encode(&skin(120, 80), ImageFormat::Jpeg),
    )
    .expect("write");
    std::fs::write(
        d.join("a_b/c.jpg"),
        encode(&skin(96, 96), ImageFormat::Jpeg),
    )
    .expect("write");
    let out = scarscope()
        .current_dir(d)
        .args([
            "analyze",
            "--quiet",
            "--format",
            "jsonl",
            "--overlay",
            "ov",
            "a/b_c.jpg",
            "a_b/c.jpg",
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        files_under(&d.join("ov")),
        [
            PathBuf::from("a/b_c.jpg.png"),
            PathBuf::from("a_b/c.jpg.png")
        ]
    );
    let first = image::open(d.join("ov/a/b_c.jpg.png")).expect("PNG");
    let second = image::open(d.join("ov/a_b/c.jpg.png")).expect("PNG");
    assert_eq!(first.width(), 120, "the overlay of a/b_c.jpg");
    assert_eq!(second.width(), 96, "the overlay of a_b/c.jpg");
}
