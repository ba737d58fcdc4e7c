//! What the output formats look like to a person: the table's layout and batch lines, the message after
//! failures, and CSV for spreadsheets.

use std::path::Path;

use assert_cmd::Command;

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

/// A folder of two rendered fixtures and one file that is not an image.
fn photos_and_a_bad_file() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for name in [
        "active_tan_from_lower_right.jpg",
        "boxcar_light_from_top.jpg",
    ] {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).expect("copy fixture");
    }
    std::fs::write(dir.path().join("broken.jpg"), b"not a photo\n").expect("write");
    dir
}

/// Runs `analyze` with `args` over `dir`; returns stdout, stderr and the exit code.
fn analyze(args: &[&str], dir: &Path) -> (String, String, i32) {
    let out = scarscope()
        .arg("analyze")
        .args(args)
        .arg(dir)
        .output()
        .expect("run");
    (
        String::from_utf8(out.stdout).expect("utf8"),
        String::from_utf8(out.stderr).expect("utf8"),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn table_lists_what_a_photo_cannot_tell_once_per_batch() {
    let dir = photos_and_a_bad_file();
    let (table, _, code) = analyze(&[], dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        table.matches("microneedling:").count(),
        2,
        "two verdicts:\n{table}"
    );
    assert_eq!(
        table.matches("cannot tell from a photo").count(),
        1,
        "once, not under every image:\n{table}"
    );
    let last: Vec<&str> = table.lines().rev().take(4).collect();
    assert!(
        last[3].starts_with("3 images: 2 analysed, 1 failed"),
        "{last:?}"
    );
    assert!(last[2].starts_with("cannot tell from a photo (ask): keloid"));
}

#[test]
fn region_columns_are_as_wide_as_their_values() {
    let dir = photos_and_a_bad_file();
    let (table, _, _) = analyze(&["--px-per-mm", "12"], dir.path());
    let mut blocks = 0;
    let mut lines = table.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.trim_start().starts_with("id  class") {
            continue;
        }
        blocks += 1;
        // Every column right of `center` is right-aligned, so in a table that fits its values every row
        // ends at the same column as the header, whatever its numbers (negative depths included).
        let width = line.chars().count();
        let mut rows = 0;
        while let Some(row) = lines.next_if(|l| l.starts_with("  ") && !l.starts_with("  micro")) {
            assert_eq!(
                row.chars().count(),
                width,
                "row out of line:\n{line}\n{row}"
            );
            rows += 1;
        }
        assert!(rows > 0);
    }
    assert_eq!(blocks, 2, "{table}");
    assert!(
        table.contains("  -"),
        "the fixtures have negative depths to align"
    );
}

#[test]
fn the_line_after_failures_points_each_format_at_its_errors() {
    let dir = photos_and_a_bad_file();
    let (_, err, _) = analyze(&[], dir.path());
    assert!(
        err.contains("1 of 3 images failed (each is shown with ERROR and its reason)"),
        "{err}"
    );
    assert!(
        !err.contains("field"),
        "no JSON field for table users: {err}"
    );
    let (_, err, _) = analyze(&["--format", "jsonl"], dir.path());
    assert!(err.contains("see their \"error\" field"), "{err}");
    let (_, err, _) = analyze(&["--format", "csv"], dir.path());
    assert!(err.contains("see their \"error\" column"), "{err}");
}

/// CSV records of `analyze --format csv` over `dir` (the header first), with the raw bytes.
fn csv_records(args: &[&str], dir: &Path) -> (Vec<csv::StringRecord>, Vec<u8>) {
    let out = scarscope()
        .args(["analyze", "--quiet", "--format", "csv"])
        .args(args)
        .arg(dir)
        .output()
        .expect("run");
    let bytes = out.stdout;
    let body = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(&bytes);
    let records = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.expect("a CSV record"))
        .collect();
    (records, bytes)
}

#[test]
fn csv_rows_carry_the_image_columns_and_a_bom_on_request() {
    let dir = photos_and_a_bad_file();
    let (records, bytes) = csv_records(&[], dir.path());
    assert!(bytes.starts_with(b"path,"), "no BOM unless asked");
    let header = &records[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let rows = &records[1..];
    let ok_rows: Vec<_> = rows.iter().filter(|r| &r[col("status")] == "ok").collect();
    assert!(ok_rows.len() > 3, "one row per region");
    for r in &ok_rows {
        for name in [
            "verdict",
            "family_confidence",
            "usable",
            "skin_fraction",
            "light_confidence",
        ] {
            assert!(!r[col(name)].is_empty(), "{name} on every row: {r:?}");
        }
        assert!(r[col("region_id")].parse::<u32>().is_ok());
    }
    assert!(
        ok_rows
            .iter()
            .any(|r| r[col("depth_proxy")].starts_with('-')),
        "numbers are written as numbers, never with the formula guard"
    );
    let bad = rows
        .iter()
        .find(|r| &r[col("status")] == "error")
        .expect("error row");
    assert_eq!(bad.len(), header.len(), "an error row has every column");
    assert!(bad[col("verdict")].is_empty());

    let (with_bom, bytes) = csv_records(&["--csv-bom"], dir.path());
    assert!(bytes.starts_with("\u{FEFF}path,".as_bytes()));
    assert_eq!(with_bom, records, "the same records after the mark");

    let out = scarscope()
        .args(["analyze", "--csv-bom", "--json"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "--csv-bom only with CSV");
}

#[test]
fn csv_guards_text_cells_that_start_like_a_formula() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["=cmd.jpg", "+1.jpg", "-2.jpg", "@x.jpg"] {
        std::fs::write(dir.path().join(name), b"not a photo").expect("write");
    }
    // Named relative to the folder, so the path cell starts with the odd character.
    let out = scarscope()
        .current_dir(dir.path())
        .args([
            "analyze", "--quiet", "--format", "csv", "=cmd.jpg", "+1.jpg", "./-2.jpg", "@x.jpg",
        ])
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf8");
    let cells: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().expect("path cell"))
        .collect();
    assert_eq!(cells, ["'=cmd.jpg", "'+1.jpg", "./-2.jpg", "'@x.jpg"]);
}

/// The screen a terminal would show for `raw` (what a program wrote to it): `\r` returns to the line's start,
/// `ESC[2K` erases the line, `\n` moves to the next; written text overwrites. Enough for a progress bar.
#[cfg(unix)]
fn screen(raw: &str) -> Vec<String> {
    let mut lines = vec![Vec::<char>::new()];
    let mut col = 0;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let line = lines.last_mut().expect("a line");
        match c {
            '\r' => col = 0,
            '\n' => {
                lines.push(Vec::new());
                col = 0;
            }
            '\u{1b}' => {
                // ESC [ params letter: only "erase line" matters here; other sequences are dropped.
                let mut seq = String::new();
                for s in chars.by_ref() {
                    seq.push(s);
                    if s.is_ascii_alphabetic() {
                        break;
                    }
                }
                if seq == "[2K" {
                    line.clear();
                }
            }
            c => {
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    lines.into_iter().map(|l| l.into_iter().collect()).collect()
}

#[cfg(unix)]
#[test]
fn progress_bar_leaves_no_stale_lines_between_table_rows() {
    // `script` (util-linux, essential in Debian) runs the command on a pseudo-terminal, as a person would: the
    // table (stdout) and the progress bar (stderr) then share one screen.
    let script = Path::new("/usr/bin/script");
    assert!(
        script.exists(),
        "util-linux's script is needed for this test"
    );
    let dir = photos_and_a_bad_file();
    // Enough images for the table to outgrow stdout's 8 KiB buffer, so that rows reach the screen while the
    // bar is on it (with a short table everything is written at the end, after the bar is gone).
    for i in 0..5 {
        for name in [
            "active_tan_from_lower_right.jpg",
            "boxcar_light_from_top.jpg",
        ] {
            std::fs::copy(
                dir.path().join(name),
                dir.path().join(format!("copy{i}_{name}")),
            )
            .expect("copy");
        }
    }
    let bin = assert_cmd::cargo::cargo_bin("scarscope");
    let command = format!(
        "'{}' analyze --jobs 1 '{}'",
        bin.display(),
        dir.path().display()
    );
    let out = std::process::Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("run script");
    let raw = String::from_utf8_lossy(&out.stdout);
    assert!(raw.contains(" eta "), "the bar was drawn: {raw:?}");
    let shown = screen(&raw);
    assert!(
        !shown.iter().any(|l| l.contains(" eta ")),
        "no bar left on screen:\n{}",
        shown.join("\n")
    );
    let text = shown.join("\n");
    for name in [
        "copy0_active_tan_from_lower_right.jpg  600×450",
        "broken.jpg",
        "13 images: 12 analysed, 1 failed",
    ] {
        assert!(text.contains(name), "{name} shown whole:\n{text}");
    }
}
