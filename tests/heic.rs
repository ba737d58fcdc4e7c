//! HEIC/HEIF photos decoded with the `heic` feature (libheif), on the fixtures of tests/fixtures/heic (see its
//! README.md): size, colours, the file's own transformations, the size limit read from the header, standard
//! input, and broken files as per-file errors that do not stop the batch. Without the feature this file is
//! empty; tests/cli_conventions.rs then checks the message that says how to get HEIC support.
#![cfg(feature = "heic")]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use scarscope::load::{load_image, open_image, PhotoFormat};
use serde_json::Value;

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/heic")
        .join(name)
}

/// The JSON lines of `scarscope analyze --format jsonl ARGS` and its exit code.
fn analyze(args: &[&std::ffi::OsStr], stdin: Option<Vec<u8>>) -> (Vec<Value>, i32) {
    let mut cmd = scarscope();
    cmd.args(["analyze", "--quiet", "--format", "jsonl"])
        .args(args);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let out = cmd.output().expect("run");
    let lines = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

/// Mean colour of the `cols × rows` blocks of an image, row by row.
fn block_means(img: &image::RgbImage, cols: u32, rows: u32) -> Vec<[f64; 3]> {
    let (w, h) = img.dimensions();
    let mut out = Vec::new();
    for by in 0..rows {
        for bx in 0..cols {
            let mut sum = [0f64; 3];
            let mut n = 0f64;
            for y in by * h / rows..(by + 1) * h / rows {
                for x in bx * w / cols..(bx + 1) * w / cols {
                    let p = img.get_pixel(x, y).0;
                    for c in 0..3 {
                        sum[c] += p[c] as f64;
                    }
                    n += 1.0;
                }
            }
            out.push(sum.map(|s| s / n));
        }
    }
    out
}

#[test]
fn the_rendered_photo_decodes_to_its_size_and_colours() {
    let heic = load_image(&fixture("skin.heic"), 100.0).expect("decodes");
    assert_eq!(heic.format, PhotoFormat::Heif);
    assert_eq!(heic.rgb.dimensions(), (320, 240));
    assert_eq!(heic.full_size, (320, 240));
    assert!(!heic.reoriented);
    // The picture it was encoded from, rendered again (the renderer is deterministic; see the README there).
    let tmp = tempfile::tempdir().expect("tempdir");
    scarscope()
        .args([
            "render", "--width", "320", "--height", "240", "--name", "skin",
        ])
        .args(["--mix", "boxcar", "--tone", "light", "--azimuth", "90"])
        .args(["--elevation", "30", "--px-per-mm", "8", "--seed", "7"])
        .arg(tmp.path())
        .assert()
        .success();
    let png = load_image(&tmp.path().join("skin.png"), 100.0).expect("rendered PNG");
    assert_eq!(png.rgb.dimensions(), (320, 240));
    // Lossy HEVC at quality 60 keeps every 40×40 block's mean colour within a few levels.
    let (a, b) = (block_means(&heic.rgb, 8, 6), block_means(&png.rgb, 8, 6));
    let worst = a
        .iter()
        .zip(&b)
        .flat_map(|(p, q)| (0..3).map(move |c| (p[c] - q[c]).abs()))
        .fold(0.0, f64::max);
    assert!(worst < 8.0, "block means differ by up to {worst:.1} levels");
}

/// The colour at the centre of each quadrant of an upright 48×64 image: top left, top right, bottom left,
/// bottom right.
fn quadrants(img: &image::RgbImage) -> [[u8; 3]; 4] {
    assert_eq!(img.dimensions(), (48, 64));
    [(12, 16), (36, 16), (12, 48), (36, 48)].map(|(x, y)| img.get_pixel(x, y).0)
}

fn near(got: [u8; 3], want: [u8; 3]) -> bool {
    got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 30)
}

const RED: [u8; 3] = [220, 30, 30];
const GREEN: [u8; 3] = [30, 200, 40];
const BLUE: [u8; 3] = [30, 40, 220];
const WHITE: [u8; 3] = [240, 240, 240];

#[test]
fn the_files_own_rotation_and_mirror_are_applied() {
    // Stored 64×48: red top left, green top right, blue bottom left, white bottom right.
    let turned = load_image(&fixture("rotated_90cw.heic"), 100.0).expect("decodes");
    assert_eq!(turned.full_size, (48, 64));
    assert!(turned.reoriented);
    let q = quadrants(&turned.rgb);
    for (got, want) in q.into_iter().zip([BLUE, RED, WHITE, GREEN]) {
        assert!(near(got, want), "quarter turn clockwise: {q:?}");
    }
    let mirrored = load_image(&fixture("rotated_90cw_mirrored.heic"), 100.0).expect("decodes");
    let q = quadrants(&mirrored.rgb);
    // `imir` mode 0 exchanges top and bottom as libheif reads it, after the quarter turn (ipma order).
    for (got, want) in q.into_iter().zip([WHITE, GREEN, BLUE, RED]) {
        assert!(
            near(got, want),
            "quarter turn, then top and bottom swapped: {q:?}"
        );
    }
    // The size is known before decoding, upright.
    let opened = open_image(&fixture("rotated_90cw.heic"), 100.0).expect("opens");
    assert_eq!(opened.upright_size(), (48, 64));
    assert_eq!(opened.format(), PhotoFormat::Heif);
}

#[test]
fn the_memory_admission_counts_the_decoded_pixels() {
    let path = fixture("skin.heic");
    let file = std::fs::metadata(&path).expect("fixture").len();
    let opened = open_image(&path, 100.0).expect("opens");
    // At least the file, libheif's RGB output and the loader's RGB copy; HEIF is always decoded whole.
    let px = 320 * 240;
    assert!(opened.decode_bytes(1.0) >= file + 2 * 3 * px);
    assert_eq!(opened.decode_bytes(4.0), opened.decode_bytes(1.0));
}

#[test]
fn analyze_reads_heic_files_and_standard_input() {
    let (lines, code) = analyze(&[fixture("skin.heic").as_os_str()], None);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["status"], "ok", "{}", lines[0]);
    assert_eq!(
        (lines[0]["width"].as_u64(), lines[0]["height"].as_u64()),
        (Some(320), Some(240))
    );
    let bytes = std::fs::read(fixture("skin.heic")).expect("fixture");
    let (lines, code) = analyze(&["-".as_ref()], Some(bytes));
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["path"], "<stdin>");
    assert_eq!(lines[0]["status"], "ok", "{}", lines[0]);
}

#[test]
fn the_size_limit_is_read_from_the_header() {
    let (lines, code) = analyze(
        &[
            "--max-megapixels".as_ref(),
            "0.05".as_ref(),
            fixture("skin.heic").as_os_str(),
        ],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(
        lines[0]["error"],
        "image is 320×240 = 0.1 MP, above the limit of 0.05 MP (raise it with --max-megapixels)"
    );
    assert_eq!(
        (lines[0]["width"].as_u64(), lines[0]["height"].as_u64()),
        (Some(320), Some(240))
    );
}

#[test]
fn broken_heic_files_are_errors_and_the_batch_goes_on() {
    let whole = std::fs::read(fixture("skin.heic")).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Cut inside the header, inside the coded data, and just before the end.
    for (name, cut) in [
        ("a_head.heic", 40),
        ("b_data.heic", whole.len() / 2),
        ("c_tail.heic", whole.len() - 3),
    ] {
        std::fs::write(d.join(name), &whole[..cut]).expect("write");
    }
    // Named like a HEIF photo, holding no HEIF at all; and HEIF content under another name.
    std::fs::write(d.join("d_broken.heif"), b"\0\0\0\0 not really").expect("write");
    std::fs::write(d.join("e_whole.bin"), &whole).expect("write");
    std::fs::copy(fixture("rotated_90cw.heic"), d.join("f_turned.HEIC")).expect("copy");
    let (lines, code) = analyze(&[d.as_os_str()], None);
    assert_eq!(code, 1, "some files failed");
    let by_name = |n: &str| -> &Value {
        lines
            .iter()
            .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(n)))
            .unwrap_or_else(|| panic!("{n} reported: {lines:?}"))
    };
    for name in ["a_head.heic", "b_data.heic", "c_tail.heic", "d_broken.heif"] {
        let l = by_name(name);
        assert_eq!(l["status"], "error", "{l}");
        let e = l["error"].as_str().expect("error");
        assert!(e.starts_with("cannot decode HEIF"), "{name}: {e}");
    }
    // The data cut off after the header: the size was read, so it is reported.
    assert_eq!(by_name("b_data.heic")["width"], 320);
    assert_eq!(by_name("e_whole.bin")["status"], "ok");
    assert_eq!(by_name("f_turned.HEIC")["status"], "ok");
    assert_eq!(by_name("f_turned.HEIC")["width"], 48);
    assert_eq!(lines.len(), 6);
}
