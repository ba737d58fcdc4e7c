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
