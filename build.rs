//! Build script: looks for a Chromium to run the HTML report's browser test with.
//!
//! With one found, it sets `cfg(has_chromium)` and `SCARSCOPE_CHROMIUM` (its path) for the tests; without, the
//! browser test is compiled as ignored with its reason, so `cargo test` shows it as ignored, never as passed.
//! `SCARSCOPE_CHROMIUM=/path/to/chrome` picks a browser by hand.

use std::path::{Path, PathBuf};

/// Names a Chromium goes by on PATH (Debian's package installs `chromium`).
const NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_chromium)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=SCARSCOPE_CHROMIUM");
    println!("cargo::rerun-if-env-changed=PATH");
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    // Installing a browser changes its folder, not PATH: watch the folders so the next build sees it.
    for d in path_dirs.iter().filter(|d| d.is_absolute() && d.is_dir()) {
        println!("cargo::rerun-if-changed={}", d.display());
    }
    let given = std::env::var_os("SCARSCOPE_CHROMIUM")
        .map(PathBuf::from)
        .filter(|p| is_executable(p));
    let found = given.or_else(|| {
        NAMES.iter().find_map(|n| {
            path_dirs
                .iter()
                .map(|d| d.join(n))
                .find(|p| is_executable(p))
        })
    });
    if let Some(p) = found {
        println!("cargo::rustc-cfg=has_chromium");
        println!("cargo::rustc-env=SCARSCOPE_CHROMIUM={}", p.display());
    }
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}
