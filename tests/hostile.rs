//! Hostile input and faults (issue 15): profiles, outputs, limits, truncated data, odd files and signals.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use image::{DynamicImage, ImageFormat, RgbImage};

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

fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::write(path, bytes).expect("write");
    path.to_path_buf()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---- 3. profiles ----

#[test]
fn unbounded_registration_search_is_refused_not_hung() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = write(
        &dir.path().join("a.png"),
        &encode(&skin(64, 48), ImageFormat::Png),
    );
    for (text, key) in [
        (
            "[compare.registration]\nmax_rotation_deg = inf\n",
            "compare.registration.max_rotation_deg",
        ),
        (
            "[compare.registration]\nmax_rotation_deg = 1e300\n",
            "compare.registration.max_rotation_deg",
        ),
        (
            "[compare.registration]\nmax_scale_change = inf\n",
            "compare.registration.max_scale_change",
        ),
        ("[detect]\nmin_z = nan\n", "detect.min_z"),
        ("[light]\nblob_z = -1.0\n", "light.blob_z"),
    ] {
        let profile = write(&dir.path().join("p.toml"), text.as_bytes());
        let started = Instant::now();
        let out = scarscope()
            .arg("compare")
            .arg(&photo)
            .arg(&photo)
            .arg("--profile")
            .arg(&profile)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(started.elapsed() < Duration::from_secs(30), "{text}");
        let err = stderr_of(&out);
        assert!(err.contains(key), "{text}: {err}");
        assert_eq!(err.lines().count(), 1, "one clear message: {err}");
    }
}

#[test]
fn profile_command_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let builtin = scarscope().arg("profile").output().expect("runs");
    assert!(builtin.status.success());
    let path = write(&dir.path().join("printed.toml"), &builtin.stdout);
    let again = scarscope()
        .arg("profile")
        .arg("--profile")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(
        again.stdout, builtin.stdout,
        "print → load → print is stable"
    );
    let text = String::from_utf8(builtin.stdout).expect("utf8");
    assert!(text.starts_with("name = \"default\""), "{text}");

    // The printed profile analyses exactly as the built-in one.
    let photo = write(
        &dir.path().join("a.jpg"),
        &encode(&skin(120, 80), ImageFormat::Jpeg),
    );
    let run = |extra: &[&std::ffi::OsStr]| {
        scarscope()
            .arg("analyze")
            .arg(&photo)
            .args(["--format", "json"])
            .args(extra)
            .output()
            .expect("runs")
            .stdout
    };
    assert_eq!(run(&[]), run(&["--profile".as_ref(), path.as_os_str()]));

    // A partial profile is completed, named after its file, and still round-trips.
    let partial = write(&dir.path().join("gentle.toml"), b"[detect]\nmin_z = 9.5\n");
    let printed = scarscope()
        .arg("profile")
        .arg("--profile")
        .arg(&partial)
        .output()
        .expect("runs");
    let text = String::from_utf8(printed.stdout).expect("utf8");
    assert!(text.starts_with("name = \"gentle\""), "{text}");
    assert!(text.contains("min_z = 9.5"), "{text}");
}

#[cfg(unix)]
#[test]
fn profile_from_an_endless_device_fails_fast() {
    let out = scarscope()
        .args(["profile", "--profile", "/dev/zero"])
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("too large"), "{}", stderr_of(&out));
}

// ---- 1. -o writes into what it should ----

/// Files left in `dir` whose name marks them as scarscope's temporary files.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".scarscope-"))
        .collect()
}

#[test]
fn output_to_a_folder_is_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = write(
        &dir.path().join("a.jpg"),
        &encode(&skin(120, 80), ImageFormat::Jpeg),
    );
    let target = dir.path().join("out");
    std::fs::create_dir(&target).expect("mkdir");
    let overlays = dir.path().join("overlays");
    for given in [
        target.display().to_string(),
        format!("{}/", target.display()),
        format!("{}/not-yet/", dir.path().display()),
    ] {
        for cmd in ["analyze", "compare"] {
            let mut c = scarscope();
            c.arg(cmd).arg(&photo);
            if cmd == "compare" {
                c.arg(&photo);
            }
            let out = c
                .arg("-o")
                .arg(&given)
                .arg("--overlay")
                .arg(&overlays)
                .output()
                .expect("runs");
            assert_eq!(out.status.code(), Some(2), "{cmd} -o {given}");
            let err = stderr_of(&out);
            assert_eq!(
                err.trim_end(),
                format!(
                    "scarscope: error: -o {given}: is a folder; give the name of a file to write"
                ),
                "{cmd}"
            );
            assert!(out.stdout.is_empty());
            let drawn = std::fs::read_dir(&overlays).map(|r| r.count()).unwrap_or(0);
            assert_eq!(drawn, 0, "{cmd} -o {given}: no work done, no overlay drawn");
        }
    }
    assert!(target.is_dir());
    assert!(leftovers(&target).is_empty() && leftovers(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_keeps_the_link_and_writes_its_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = write(
        &dir.path().join("a.jpg"),
        &encode(&skin(120, 80), ImageFormat::Jpeg),
    );
    let real_dir = dir.path().join("reports");
    std::fs::create_dir(&real_dir).expect("mkdir");
    let real = write(&real_dir.join("real.json"), b"old");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let dangling = dir.path().join("dangling.json");
    std::os::unix::fs::symlink("reports/new.json", &dangling).expect("symlink");
    for (cmd, to) in [
        ("analyze", &link),
        ("compare", &link),
        ("analyze", &dangling),
    ] {
        let mut c = scarscope();
        c.arg(cmd).arg(&photo);
        if cmd == "compare" {
            c.arg(&photo);
        }
        let out = c
            .arg("-o")
            .arg(to)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{cmd}: {}", stderr_of(&out));
        let meta = std::fs::symlink_metadata(to).expect("still there");
        assert!(meta.file_type().is_symlink(), "{cmd}: the link is kept");
        let text = std::fs::read_to_string(to).expect("read through the link");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["schema_version"], 1);
    }
    assert!(
        real_dir.join("new.json").is_file(),
        "dangling link's target created"
    );
    assert!(leftovers(dir.path()).is_empty() && leftovers(&real_dir).is_empty());
}

#[cfg(unix)]
#[test]
fn output_into_a_fifo_or_device_writes_into_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = write(
        &dir.path().join("a.jpg"),
        &encode(&skin(120, 80), ImageFormat::Jpeg),
    );
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).expect("read fifo"))
    };
    let out = scarscope()
        .arg("analyze")
        .arg(&photo)
        .arg("-o")
        .arg(&fifo)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    let still_fifo = std::fs::symlink_metadata(&fifo)
        .map(|m| m.file_type().is_fifo())
        .unwrap_or(false);
    assert!(still_fifo, "the FIFO is not replaced by a file");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let got = reader.join().expect("reader");
    let text = String::from_utf8(got).expect("utf8");
    assert!(text.contains("1 images: 1 analysed, 0 failed"), "{text}");
    assert!(leftovers(dir.path()).is_empty());

    // A character device made here (root only): /dev/null's twin is written into, not replaced.
    let dev = dir.path().join("null");
    let mknod = std::process::Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status();
    if mknod.is_ok_and(|s| s.success()) {
        let out = scarscope()
            .arg("analyze")
            .arg(&photo)
            .arg("-o")
            .arg(&dev)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let m = std::fs::symlink_metadata(&dev).expect("device");
        assert!(m.file_type().is_char_device(), "the device is kept");
        assert!(leftovers(dir.path()).is_empty());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn output_to_a_full_device_is_an_error() {
    // Written into, never replaced: /dev/full refuses every byte, so the run fails with exit 2.
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let dev = dir.path().join("full");
    let made = std::process::Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "7"])
        .stderr(std::process::Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        return;
    }
    let photo = write(
        &dir.path().join("a.jpg"),
        &encode(&skin(120, 80), ImageFormat::Jpeg),
    );
    let out = scarscope()
        .arg("analyze")
        .arg(&photo)
        .arg("-o")
        .arg(&dev)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("No space left on device"),
        "{}",
        stderr_of(&out)
    );
    use std::os::unix::fs::FileTypeExt;
    let m = std::fs::symlink_metadata(&dev).expect("device");
    assert!(m.file_type().is_char_device());
}

// ---- 4. limits ----

#[test]
fn absurd_jobs_are_capped_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = write(
        &dir.path().join("a.png"),
        &encode(&skin(64, 48), ImageFormat::Png),
    );
    let started = Instant::now();
    let out = scarscope()
        .arg("analyze")
        .arg(&photo)
        .args(["--jobs", "5000", "--format", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("warning: --jobs 5000 lowered to"),
        "{}",
        stderr_of(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let quiet = scarscope()
        .arg("analyze")
        .arg(&photo)
        .args(["--jobs", "5000", "--quiet"])
        .output()
        .expect("runs");
    assert!(quiet.stderr.is_empty(), "{}", stderr_of(&quiet));
}

#[test]
fn a_huge_pixel_limit_does_not_wrap_the_file_size_cap() {
    // A valid 18 MB BMP: over the 16 MiB the wrapped cap came to.
    let dir = tempfile::tempdir().expect("tempdir");
    let bmp = encode(&skin(2450, 2450), ImageFormat::Bmp);
    assert!(bmp.len() > 17 << 20);
    let path = write(&dir.path().join("big.bmp"), &bmp);
    for mp in [3e12, 1e300] {
        let got = scarscope::load::load_image(&path, mp);
        assert_eq!(
            got.map(|l| l.rgb.dimensions()).map_err(|e| e.message),
            Ok((2450, 2450)),
            "--max-megapixels {mp}"
        );
    }
}

// ---- big images in parallel: memory admission and the panic guard ----

#[test]
fn large_images_under_a_small_memory_budget_are_all_reported() {
    // 16-bit RGBA decodes to 8 bytes a pixel: each of these costs more than the whole 1 MiB budget, so they
    // are admitted one at a time, and every one is still analysed and reported in order.
    let dir = tempfile::tempdir().expect("tempdir");
    let png = encode(
        &DynamicImage::ImageRgba16(skin(320, 240).to_rgba16()),
        ImageFormat::Png,
    );
    for i in 0..4 {
        write(&dir.path().join(format!("big{i}.png")), &png);
    }
    let out = scarscope()
        .arg("analyze")
        .arg(dir.path())
        .args(["--jobs", "2", "--max-memory", "1M", "--json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let images = v["images"].as_array().expect("images");
    assert_eq!(images.len(), 4);
    for (i, img) in images.iter().enumerate() {
        assert_eq!(img["status"], "ok", "{img}");
        assert!(img["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(&format!("big{i}.png"))));
    }
    for bad in ["0", "-1G", "lots"] {
        let out = scarscope()
            .arg("analyze")
            .arg(dir.path())
            .args(["--max-memory", bad])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "--max-memory {bad}");
    }
}

// The panic hook (`SCARSCOPE_TEST_PANIC_WHILE_LOADING`) exists in debug builds only: `cargo test --release`
// has nothing to trigger.
#[cfg(debug_assertions)]
#[test]
fn a_panic_while_loading_becomes_that_images_error() {
    // The hook exists in debug builds only (the tests' binary): loading b.png panics.
    let dir = tempfile::tempdir().expect("tempdir");
    let png = encode(&skin(96, 64), ImageFormat::Png);
    for name in ["a.png", "b.png", "c.png"] {
        write(&dir.path().join(name), &png);
    }
    let out = scarscope()
        .arg("analyze")
        .arg(dir.path())
        .args(["--jobs", "2", "--json"])
        .env("SCARSCOPE_TEST_PANIC_WHILE_LOADING", "b.png")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let images = v["images"].as_array().expect("images");
    let status: Vec<_> = images.iter().map(|i| i["status"].clone()).collect();
    assert_eq!(status, ["ok", "error", "ok"]);
    let err = images[1]["error"].as_str().unwrap_or_default();
    assert!(err.contains("internal error while reading"), "{err}");
    assert_eq!(
        images[1]["width"], 96,
        "the header was read before the panic"
    );
    assert_eq!(v["batch"]["failed"], 1);
}

// ---- 2. incomplete JPEGs ----

/// Every JPEG the project ships: the photos in fixtures/ and the encoder variants in tests/fixtures/jpeg/
/// (baseline 4:2:0, 4:2:2 optimised, greyscale, with restart intervals, three sequential scans, progressive
/// 4:2:0 / 4:4:4 / greyscale, made with libjpeg-turbo's cjpeg from a crop of a fixture).
fn shipped_jpegs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["fixtures", "tests/fixtures/jpeg"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for e in std::fs::read_dir(&root).expect("fixture folder").flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "jpg") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 15, "{v:?}");
    v
}

/// "incomplete JPEG: data ends at row N of M" → (N, M).
fn incomplete_rows(message: &str) -> Option<(u32, u32)> {
    let rest = message.strip_prefix("incomplete JPEG: data ends at row ")?;
    let (n, m) = rest.split_once(" of ")?;
    Some((n.parse().ok()?, m.parse().ok()?))
}

#[test]
fn every_shipped_jpeg_still_loads() {
    for p in shipped_jpegs() {
        let got = scarscope::load::load_image(&p, 100.0);
        assert!(got.is_ok(), "{}: {:?}", p.display(), got.err());
    }
}

/// The mean of each channel.
fn mean_rgb(img: &RgbImage) -> [f64; 3] {
    let mut m = [0.0; 3];
    for p in img.pixels() {
        for (m, v) in m.iter_mut().zip(p.0) {
            *m += v as f64;
        }
    }
    m.map(|v| v / (img.width() * img.height()) as f64)
}

#[test]
fn every_shipped_jpeg_decodes_at_every_dct_scale() {
    // Baseline, progressive, greyscale, restart intervals, several scans: the reduced decode (jpeg-decoder)
    // gives the expected size and the same picture as the whole decode (zune-jpeg), on average.
    for p in shipped_jpegs() {
        let opened = scarscope::load::open_image(&p, 100.0).expect("opens");
        let whole = opened.clone().decode(1.0).expect("whole decode");
        let (w, h) = whole.full_size;
        for d in [2u32, 4, 8] {
            let got = opened.clone().decode(d as f64).expect("reduced decode");
            assert_eq!(got.full_size, (w, h), "{}", p.display());
            assert_eq!(
                got.rgb.dimensions(),
                (w.div_ceil(d), h.div_ceil(d)),
                "{} at 1/{d}",
                p.display()
            );
            let (mut a, b) = (mean_rgb(&whole.rgb), mean_rgb(&got.rgb));
            if p.ends_with("sequential_3scans.jpg") {
                // zune-jpeg 0.5.15 (the whole decode) gets this non-interleaved file wrong: channel means
                // (0, 196, 0). libjpeg-turbo's djpeg gives these, and so does the reduced decode.
                a = [199.12, 155.43, 138.46];
            }
            for c in 0..3 {
                assert!(
                    (a[c] - b[c]).abs() < 2.0,
                    "{} at 1/{d}: {a:?} vs {b:?}",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn the_first_fifth_of_a_jpeg_with_its_end_marker_is_an_error() {
    for p in shipped_jpegs() {
        let bytes = std::fs::read(&p).expect("read");
        for share in [0.2, 0.5, 0.8] {
            let mut cut = bytes[..(bytes.len() as f64 * share) as usize].to_vec();
            cut.extend_from_slice(&[0xFF, 0xD9]);
            let err = scarscope::load::load_image_bytes(&cut, 100.0)
                .expect_err("a fifth of a photo is not a photo");
            let (n, m) = incomplete_rows(&err.message)
                .unwrap_or_else(|| panic!("{} at {share}: {}", p.display(), err.message));
            assert!(n + 1 < m, "{}: row {n} of {m}", p.display());
            assert!(err.size.is_some(), "the declared size is still reported");
        }
    }
}

#[test]
fn a_tiny_file_declaring_a_huge_jpeg_is_an_error() {
    // A 16×16 JPEG whose frame header is patched to declare 9500×9500: a few hundred bytes, as in the issue.
    let mut bytes = encode(&skin(16, 16), ImageFormat::Jpeg);
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("SOF0");
    bytes[sof + 5..sof + 9].copy_from_slice(&[0x25, 0x1C, 0x25, 0x1C]);
    assert!(bytes.len() < 1000, "{}", bytes.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir.path().join("huge.jpg"), &bytes);
    let out = scarscope()
        .arg("analyze")
        .arg(&path)
        .args(["--format", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let img = &v["images"][0];
    assert_eq!(img["status"], "error");
    let msg = img["error"].as_str().expect("message");
    let (n, m) = incomplete_rows(msg).unwrap_or_else(|| panic!("{msg}"));
    assert_eq!(m, 1188, "9500 px in 8-px MCU rows");
    assert!(n <= 2, "{msg}");
    assert_eq!(
        (img["width"].as_u64(), img["height"].as_u64()),
        (Some(9500), Some(9500))
    );
}

// ---- 5. leftovers and streams ----

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).expect("mkdir");
    let bytes = encode(&skin(400, 300), ImageFormat::Jpeg);
    for i in 0..200 {
        write(&photos.join(format!("p{i:03}.jpg")), &bytes);
    }
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let target = dir.path().join("report.json");
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("scarscope"))
            .arg("analyze")
            .arg(&photos)
            .arg("-o")
            .arg(&target)
            .args(["--jobs", "1", "--quiet"])
            .spawn()
            .expect("starts");
        // The temporary file exists from the start (the output is opened before the work).
        let started = Instant::now();
        while leftovers(dir.path()).is_empty() && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(leftovers(dir.path()).len(), 1, "the run has begun");
        let killed = std::process::Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let status = child.wait().expect("ends");
        assert_eq!(status.code(), Some(code), "{signal}");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{signal}: temporary file removed"
        );
        assert!(!target.exists(), "{signal}: no half report");
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_named_as_input_is_read_as_a_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("photo.jpg");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let bytes = encode(&skin(120, 80), ImageFormat::Jpeg);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Opening blocks until scarscope opens the FIFO for reading.
            let _ = std::fs::write(&fifo, &bytes);
        })
    };
    let out = scarscope()
        .arg("analyze")
        .arg(&fifo)
        .args(["--format", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    if out.status.code() != Some(0) {
        // Unblock the writer whatever happened, so the test ends.
        let _ = std::fs::read(&fifo);
    }
    writer.join().expect("writer");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["images"][0]["status"], "ok");
    assert_eq!(v["images"][0]["width"], 120);
}

#[cfg(unix)]
#[test]
fn odd_file_names_are_escaped_not_mangled() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = encode(&skin(120, 80), ImageFormat::Jpeg);
    let name = |b: &[u8]| dir.path().join(std::ffi::OsStr::from_bytes(b));
    write(&name(b"bad\xFFname.jpg"), &bytes);
    write(&name(b".\xFFhidden.jpg"), &bytes);
    write(&name(b"new\nline.jpg"), &bytes);
    let run = |format: &str| {
        let out = scarscope()
            .arg("analyze")
            .arg(dir.path())
            .args(["--format", format])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        String::from_utf8(out.stdout).expect("output is UTF-8")
    };
    let v: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    let paths: Vec<&str> = v["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert_eq!(
        paths.len(),
        2,
        "the hidden non-UTF-8 name is skipped: {paths:?}"
    );
    assert!(paths[0].ends_with("/bad\\xFFname.jpg"), "{paths:?}");
    assert!(paths[1].ends_with("/new\nline.jpg"), "{paths:?}");
    let csv = run("csv");
    assert!(csv.contains("/bad\\xFFname.jpg,ok,"), "{csv}");
    assert!(!csv.contains('\u{FFFD}'));
    let table = run("table");
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("/new\\nline.jpg  120×80")),
        "{table}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/bad\\xFFname.jpg  120×80")),
        "{table}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("line.jpg")), "{table}");
}

// ---- 6. what a folder walk cannot read is reported ----

#[cfg(unix)]
#[test]
fn unreadable_entries_in_a_walk_are_reported_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        &d.join("good.jpg"),
        &encode(&skin(120, 80), ImageFormat::Jpeg),
    );
    std::os::unix::fs::symlink(d.join("gone.jpg"), d.join("dangling.jpg")).expect("symlink");
    std::os::unix::fs::symlink(d.join("self.jpg"), d.join("self.jpg")).expect("symlink");
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("x.jpg"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // An unreadable subfolder (only where permissions bite: not for root).
    let locked = d.join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    write(&locked.join("inside.jpg"), b"x");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let locked_bites = std::fs::read_dir(&locked).is_err();

    let out = scarscope()
        .arg("analyze")
        .arg(d)
        .args(["--format", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let err = stderr_of(&out);
    let entry = |name: &str| {
        v["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .cloned()
            .unwrap_or_else(|| panic!("{name} is reported: {v}"))
    };
    for (name, why) in [
        ("dangling.jpg", "symbolic link cannot be followed"),
        ("self.jpg", "symbolic link cannot be followed"),
        ("x.jpg", "not a regular file (a FIFO)"),
    ] {
        let e = entry(name);
        assert_eq!(e["status"], "error", "{name}");
        let msg = e["error"].as_str().expect("message");
        assert!(msg.contains(why), "{name}: {msg}");
        assert!(
            err.lines().any(|l| l.starts_with("scarscope: warning: ")
                && l.contains(name)
                && l.contains(why)),
            "{name}: {err}"
        );
    }
    assert_eq!(entry("good.jpg")["status"], "ok");
    let expected_failed = if locked_bites {
        let e = entry("/locked");
        assert!(e["error"]
            .as_str()
            .is_some_and(|m| m.contains("cannot read folder")));
        4
    } else {
        // Root reads the folder: its one file is a broken image.
        3 + 1
    };
    assert_eq!(v["batch"]["failed"], expected_failed, "{v}");
    assert_eq!(v["batch"]["ok"], 1);
}
