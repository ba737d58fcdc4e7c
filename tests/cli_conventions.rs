//! The conventions a command-line user expects: shell completions, a manual page, examples and exit codes in
//! every `--help`, the not-a-medical-device notice, and clear messages for bad numbers.

use assert_cmd::Command;

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

/// Runs scarscope with `args`, expecting success, and returns its stdout.
fn stdout_of(args: &[&str]) -> String {
    let out = scarscope().args(args).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

const SUBCOMMANDS: &[&str] = &[
    "analyze",
    "compare",
    "texture",
    "render",
    "evaluate",
    "calibrate",
    "profile",
    "schema",
    "completions",
    "man",
    "merge",
];

#[test]
fn completions_name_every_subcommand_in_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completion names {sub}");
        }
        assert!(script.contains("--px-per-mm"), "{shell} completes options");
    }
    let bash = stdout_of(&["completions", "bash"]);
    assert!(bash.contains("complete -F _scarscope"), "bash registers it");
    assert!(stdout_of(&["completions", "zsh"]).starts_with("#compdef scarscope"));
    let out = scarscope()
        .args(["completions", "tcsh"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
    assert!(out.stdout.is_empty());
}

#[cfg(unix)]
#[test]
fn bash_completion_script_is_valid_bash() {
    // `bash -n` parses without running: the script must at least be syntactically sound.
    let Ok(bash) = which_bash() else {
        eprintln!("bash not found; syntax check skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("scarscope.bash");
    std::fs::write(&file, stdout_of(&["completions", "bash"])).expect("write");
    let st = std::process::Command::new(bash)
        .arg("-n")
        .arg(&file)
        .status()
        .expect("run bash");
    assert!(st.success());
}

#[cfg(unix)]
fn which_bash() -> Result<std::path::PathBuf, ()> {
    ["/bin/bash", "/usr/bin/bash"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .ok_or(())
}

#[test]
fn man_page_is_roff_with_every_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH scarscope 1"), "a roff title line");
    assert!(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"));
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("scarscope\\-{sub}")),
            "the page lists {sub}"
        );
    }
    let analyze = stdout_of(&["man", "analyze"]);
    assert!(analyze.contains(".TH scarscope-analyze 1"));
    assert!(
        analyze.contains("Examples:") && analyze.contains("Exit codes:"),
        "the subcommand's page carries its examples and exit codes"
    );
    assert!(
        analyze.contains("px\\-per\\-mm"),
        "the options are documented"
    );
    let out = scarscope().args(["man", "nope"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no subcommand 'nope'"));
}

/// The notice's first words, as every surface shows them.
const NOTICE_START: &str = "scarscope is not a medical device";

/// A folder of two rendered fixtures (a few hundred KB of JPEG, analysed in well under a second each).
fn two_photos() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for name in [
        "boxcar_light_from_top.jpg",
        "raised_brown_from_lower_left.jpg",
    ] {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).expect("copy fixture");
    }
    dir
}

#[test]
fn notice_is_in_help_table_json_and_schema() {
    let help = stdout_of(&["--help"]);
    assert!(help.contains(NOTICE_START), "{help}");
    assert!(stdout_of(&["man"]).contains(NOTICE_START));

    let dir = two_photos();
    let table = stdout_of(&["analyze", &dir.path().to_string_lossy()]);
    assert_eq!(
        table.matches(NOTICE_START).count(),
        1,
        "once per table, not per image:\n{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "analyze",
        "--json",
        &dir.path().to_string_lossy(),
    ]))
    .expect("JSON");
    assert!(json["tool"]["notice"]
        .as_str()
        .is_some_and(|n| n.starts_with(NOTICE_START)));

    let schema: serde_json::Value =
        serde_json::from_str(&stdout_of(&["schema"])).expect("schema is JSON");
    let tool = &schema["$defs"]["ToolInfo"];
    assert_eq!(tool["properties"]["notice"]["type"], "string", "{tool}");
    assert!(
        tool["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|f| f == "notice")),
        "output always carries the notice: {tool}"
    );
    let compare: serde_json::Value =
        serde_json::from_str(&stdout_of(&["schema", "--compare"])).expect("schema is JSON");
    assert_eq!(
        compare["$defs"]["ToolInfo"]["properties"]["notice"]["type"],
        "string"
    );
}

#[test]
fn negative_numbers_are_refused_as_not_positive() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("boxcar_light_from_top.jpg");
    let fixture = fixture.to_string_lossy();
    for args in [
        &["analyze", "--jobs", "-3", &fixture][..],
        &["analyze", "--threads", "-3", &fixture],
        &["analyze", "-j", "0", &fixture],
        &["analyze", "--px-per-mm", "-2", &fixture],
        &["analyze", "--px-per-mm=-2", &fixture],
        &["analyze", "--max-megapixels", "-1", &fixture],
        &["compare", "--jobs", "-3", &fixture, &fixture],
        &["evaluate", "--jobs", "-2"],
        &[
            "calibrate",
            "--labels",
            "x.csv",
            "-o",
            "x.toml",
            "--jobs",
            "-2",
        ],
        &["render", "scenes", "--px-per-mm", "-12"],
    ] {
        let out = scarscope().args(args).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("must be positive"), "{args:?}: {err}");
        assert!(!err.contains("-- -"), "no 'use -- -3' tip: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn dash_reads_one_photo_from_stdin() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("boxcar_light_from_top.jpg");
    let bytes = std::fs::read(&path).expect("fixture");
    let out = scarscope()
        .args(["analyze", "--format", "jsonl", "-"])
        .write_stdin(bytes.clone())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let mut from_stdin: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(from_stdin["path"], "<stdin>");
    let out = scarscope()
        .args(["analyze", "--format", "jsonl"])
        .arg(&path)
        .output()
        .expect("run");
    let mut from_file: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    from_stdin["path"] = serde_json::Value::Null;
    from_file["path"] = serde_json::Value::Null;
    assert_eq!(from_stdin, from_file, "the same analysis as from the file");

    // Text on stdin is an error entry for `<stdin>`, like a bad file.
    let out = scarscope()
        .args(["analyze", "--format", "jsonl", "-"])
        .write_stdin("hello\n")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["path"], "<stdin>");
    assert!(v["error"]
        .as_str()
        .is_some_and(|e| e.contains("not an image")));

    // The size cap of files holds for the stream (1 MP allows 8 MB + 16 MiB).
    let out = scarscope()
        .args(["analyze", "--format", "jsonl", "--max-megapixels", "1", "-"])
        .write_stdin(vec![0u8; 26 << 20])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("stream is more than")),
        "{v}"
    );

    let out = scarscope()
        .args(["analyze", "-", "-"])
        .write_stdin(bytes)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "stdin holds one photo");
    assert!(String::from_utf8_lossy(&out.stderr).contains("can be given once"));
}

/// The paths `analyze --format jsonl` reports for `args`, relative to `dir`, with the exit code.
fn reported_paths(args: &[&str], dir: &std::path::Path) -> (Vec<String>, i32) {
    let out = scarscope()
        .args(["analyze", "--quiet", "--format", "jsonl"])
        .args(args)
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf8");
    let prefix = format!("{}/", dir.display());
    let paths = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            let p = v["path"].as_str().expect("path").to_string();
            p.strip_prefix(&prefix).map(str::to_string).unwrap_or(p)
        })
        .collect();
    (paths, out.status.code().unwrap_or(-1))
}

#[test]
fn include_and_exclude_choose_within_folder_walks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for f in [
        "a.jpg",
        "b.png",
        "old/c.jpg",
        "2024/IMG_1.JPG",
        "2024/d_thumb.jpg",
    ] {
        let p = d.join(f);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        // Not real photos: each is reported (as an error), which is all these tests look at.
        std::fs::write(&p, b"x").expect("write");
    }
    let root = d.to_string_lossy().to_string();
    let (all, _) = reported_paths(&[&root], d);
    assert_eq!(
        all,
        [
            "2024/IMG_1.JPG",
            "2024/d_thumb.jpg",
            "a.jpg",
            "b.png",
            "old/c.jpg"
        ]
    );
    let (jpgs, _) = reported_paths(&["--include", "*.jpg", &root], d);
    assert_eq!(
        jpgs,
        ["2024/IMG_1.JPG", "2024/d_thumb.jpg", "a.jpg", "old/c.jpg"],
        "at any depth, case ignored"
    );
    let (some, _) = reported_paths(
        &[
            "--include",
            "*.jpg",
            "--exclude",
            "old",
            "--exclude",
            "*_thumb.*",
            &root,
        ],
        d,
    );
    assert_eq!(some, ["2024/IMG_1.JPG", "a.jpg"]);
    let (top, _) = reported_paths(&["--include", "*.png", "--include", "2024/*", &root], d);
    assert_eq!(top, ["2024/IMG_1.JPG", "2024/d_thumb.jpg", "b.png"]);

    // A file named on the command line is taken whatever the filters say.
    let named = d.join("old/c.jpg").to_string_lossy().to_string();
    let (named_paths, _) = reported_paths(&["--exclude", "**", &named], d);
    assert_eq!(named_paths, ["old/c.jpg"]);

    // Everything filtered out: nothing to analyse, and the message says why.
    let out = scarscope()
        .args(["analyze", "--include", "*.tiff", &root])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("5 files or folders left out by --include/--exclude"),
        "{err}"
    );
    let out = scarscope()
        .args(["analyze", "--include", "a[", &root])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--include a["));
}

/// The start of a HEIC file as an iPhone writes it: an `ftyp` box with brand `heic`, then a `meta` box.
#[cfg(not(feature = "heic"))]
fn heic_head() -> Vec<u8> {
    let mut b = 24u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    b.extend_from_slice(b"\0\0\0\x10meta\0\0\0\0somedata");
    b
}

/// Without the `heic` feature (with it, tests/heic.rs decodes them).
#[cfg(not(feature = "heic"))]
#[test]
fn heic_photos_are_reported_with_what_to_do_not_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("IMG_0001.HEIC"), heic_head()).expect("write");
    // Found by content whatever the name, and by name whatever the content.
    std::fs::write(d.join("from_phone.bin"), heic_head()).expect("write");
    std::fs::write(d.join("broken.heif"), b"\0\0\0\0 not really").expect("write");
    std::fs::write(d.join("notes.txt"), b"skipped").expect("write");
    let (paths, code) = reported_paths(&[&d.to_string_lossy()], d);
    assert_eq!(code, 1);
    assert_eq!(paths, ["IMG_0001.HEIC", "broken.heif", "from_phone.bin"]);
    let out = scarscope()
        .args(["analyze", "--format", "jsonl"])
        .arg(d)
        .output()
        .expect("run");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(
            v["error"],
            "HEIC/HEIF photo: this build cannot read it; build with --features heic or convert to JPEG",
            "{line}"
        );
    }
    // Named on the command line, and from standard input.
    let out = scarscope()
        .args(["analyze", "--format", "jsonl", "-"])
        .write_stdin(heic_head())
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("HEIC/HEIF photo"));
}
