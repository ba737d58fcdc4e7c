//! `--html FILE` of `analyze` and `compare`: a self-contained page (no network, thumbnails inline), escaped
//! names, errors listed, one notice, deterministic bytes, atomic writing; and the page opened in a real
//! headless Chromium (DOM and screenshot), ignored with its reason where no Chromium is installed.

use std::path::Path;

use assert_cmd::Command;
use scarscope::render::{random_scene, render, render_pair, SceneParams};

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

/// A folder with three rendered skin photos (one in a subfolder) and one file that is not a picture, its
/// name full of markup.
fn photo_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("photos");
    std::fs::create_dir_all(d.join("sub")).expect("mkdir");
    for (k, name) in ["good_1.jpg", "good_2.png", "sub/good_3.jpg"]
        .iter()
        .enumerate()
    {
        let scene = random_scene(&SceneParams {
            seed: 40 + k as u64,
            width: 320,
            height: 240,
            ..SceneParams::default()
        });
        render(&scene).rgb.save(d.join(name)).expect("save");
    }
    std::fs::write(d.join("<b>bad & 'odd'.jpg"), b"not a picture").expect("write");
    dir
}

/// Runs `analyze --html` inside `dir` on `photos`; returns the exit code and the page.
fn analyze_html(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = scarscope()
        .current_dir(dir)
        .args([
            "analyze",
            "--quiet",
            "--format",
            "jsonl",
            "--html",
            "report.html",
            "photos",
        ])
        .args(extra)
        .output()
        .expect("runs");
    let page = std::fs::read_to_string(dir.join("report.html")).expect("report written");
    // stdout keeps the asked format only: the page goes to its file.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(stdout.lines().all(|l| l.starts_with('{')));
    (out.status.code().unwrap_or(-1), page)
}

#[test]
fn analyze_html_is_self_contained_escaped_and_deterministic() {
    let dir = photo_folder();
    let (code, page) = analyze_html(dir.path(), &["--jobs", "1"]);
    assert_eq!(code, 1, "one file failed");
    assert_eq!(
        page.matches("<tbody class=\"item\"").count(),
        4,
        "one item per input"
    );
    assert_eq!(
        page.matches("<img class=\"thumb\"").count(),
        3,
        "a thumbnail per analysed photo"
    );
    assert_eq!(
        page.matches("src=\"data:image/jpeg;base64,").count(),
        3,
        "thumbnails are inline JPEGs"
    );
    // Nothing is fetched: no address outside the page, and the policy forbids it anyway.
    for bad in ["src=\"http", "href=\"http", "url(", "@import", "<link"] {
        assert!(!page.contains(bad), "{bad} in the page");
    }
    assert!(page.contains("default-src 'none'"));
    // The markup in the file name is text, not markup.
    assert!(!page.contains("<b>bad"));
    assert!(page.contains("photos/&lt;b&gt;bad &amp; &#39;odd&#39;.jpg"));
    // The error is listed with its message, and the notice and the "cannot assess" list come once.
    assert!(page.contains("<ul id=\"errors\"><li><a href=\"#item-1\">photos/&lt;b&gt;bad"));
    assert_eq!(page.matches("is not a medical device").count(), 1);
    assert_eq!(page.matches("What no photo can show").count(), 1);
    assert!(page.contains("photos/sub/good_3.jpg"));
    assert!(page.contains("Microneedling verdict") && page.contains("<svg"));
    // The same bytes whatever the thread count, and no temporary file left beside the report.
    let (_, again) = analyze_html(dir.path(), &["--jobs", "3"]);
    assert!(page == again, "the page depends on --jobs");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".scarscope-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn html_into_a_folder_is_refused_before_any_work() {
    let dir = photo_folder();
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    let out = scarscope()
        .current_dir(dir.path())
        .args([
            "analyze",
            "--quiet",
            "--html",
            "out",
            "--overlay",
            "ov",
            "photos",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "scarscope: error: --html out: is a folder; give the name of a file to write"
    );
    assert!(
        !dir.path().join("ov").join("photos").exists(),
        "no work done"
    );
    // Nor may it be the file -o writes: one would silently replace the other.
    let out = scarscope()
        .current_dir(dir.path())
        .args([
            "analyze", "-q", "-o", "r.html", "--html", "./r.html", "photos",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the same file"));
    assert!(!dir.path().join("r.html").exists());
}

#[test]
fn compare_html_shows_each_pair_with_its_thumbnail() {
    let dir = pair_folders();
    let d = dir.path();
    let out = compare_html(d);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("id,before,after"));
    let page = std::fs::read_to_string(d.join("pairs.html")).expect("page");
    assert_eq!(page.matches("<tbody class=\"item\"").count(), 2);
    assert_eq!(
        page.matches("<img class=\"thumb\"").count(),
        1,
        "the compared pair's"
    );
    assert!(page.contains("<ul id=\"errors\">") && page.contains("after photo:"));
    assert_eq!(page.matches("is not a medical device").count(), 1);
    assert!(page.contains("<b>Before:</b>"));
    // The pair overlay, named after the pair, carries a header above its two 360×270 panels, with the
    // legend's colours (improved green, new magenta, outside grey) in it.
    let ov = image::open(d.join("ov/p1.png.png"))
        .expect("pair overlay")
        .to_rgb8();
    assert!(
        ov.width() >= 2 * 360 && ov.height() > 270 + 30,
        "{:?}",
        ov.dimensions()
    );
    let header = ov.height() - 270;
    for colour in [[40, 200, 60], [220, 60, 220], [150, 150, 150]] {
        let n = (0..header)
            .flat_map(|y| (0..ov.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| ov.get_pixel(x, y).0 == colour)
            .count();
        assert!(n >= 20, "legend colour {colour:?}: {n} px in the header");
    }
}

/// Folders `before/` and `after/` with one rendered pair (`p1.png`) and one whose after photo is broken.
fn pair_folders() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let scene = random_scene(&SceneParams {
        seed: 51,
        width: 360,
        height: 270,
        ..SceneParams::default()
    });
    let light = ((scene.light.azimuth_deg + 70.0) % 360.0, 40.0);
    let (b, a, _) = render_pair(&scene, 1.0, light, 1.15, 2.0, 1.0, (3.0, 3.0));
    for (img, name) in [
        (&b, "before/p1.png"),
        (&a, "after/p1.png"),
        (&b, "before/p2.png"),
    ] {
        let p = d.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        img.save(p).expect("save");
    }
    std::fs::write(d.join("after/p2.png"), b"broken").expect("write");
    dir
}

/// Runs `compare --html pairs.html --overlay ov before after` (CSV on stdout) inside `d`.
fn compare_html(d: &Path) -> std::process::Output {
    scarscope()
        .current_dir(d)
        .args([
            "compare",
            "--quiet",
            "--format",
            "csv",
            "--html",
            "pairs.html",
            "--overlay",
            "ov",
            "before",
            "after",
        ])
        .output()
        .expect("runs")
}

/// Runs Chromium headless with `args` on `url`, killed after a minute; returns its stdout.
fn chromium(args: &[&str], url: &str, profile: &Path) -> String {
    let exe = option_env!("SCARSCOPE_CHROMIUM").unwrap_or("chromium");
    let mut child = std::process::Command::new(exe)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("Chromium starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).map(|_| s)
    });
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    reader
        .join()
        .expect("reader thread")
        .expect("Chromium's output is text")
}

/// The opening tags of the items in the dumped DOM, in page order.
fn item_tags(dom: &str) -> Vec<&str> {
    dom.split("<tbody class=\"item\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap_or(rest.len())])
        .collect()
}

#[test]
#[cfg_attr(
    not(has_chromium),
    ignore = "Chromium not found: apt-get install chromium (or set SCARSCOPE_CHROMIUM)"
)]
fn the_page_works_in_a_real_browser() {
    let dir = photo_folder();
    let (_, page) = analyze_html(dir.path(), &[]);
    let file = dir.path().join("report.html");
    let url = format!("file://{}", file.display());
    let profile = tempfile::tempdir().expect("profile dir");

    // Unfiltered: every item and every thumbnail is in the DOM, none hidden, the counter says so.
    let dom = chromium(&["--dump-dom"], &url, profile.path());
    let items = item_tags(&dom);
    assert_eq!(items.len(), 4, "{dom}");
    assert!(items.iter().all(|t| !t.contains("hidden")));
    assert_eq!(dom.matches("<img class=\"thumb\"").count(), 3);
    assert!(dom.contains("4 of 4 shown"), "the script ran");

    // A filter from the address: only the failed file stays visible.
    let dom = chromium(
        &["--dump-dom"],
        &format!("{url}#status=error"),
        profile.path(),
    );
    let items = item_tags(&dom);
    let visible: Vec<&&str> = items.iter().filter(|t| !t.contains("hidden")).collect();
    assert_eq!(visible.len(), 1, "{items:?}");
    assert!(visible[0].contains("data-status=\"error\""));
    assert!(dom.contains("1 of 4 shown"));
    // A text filter.
    let dom = chromium(
        &["--dump-dom"],
        &format!("{url}#filter=GOOD_3"),
        profile.path(),
    );
    let visible: Vec<String> = item_tags(&dom)
        .into_iter()
        .filter(|t| !t.contains("hidden"))
        .map(String::from)
        .collect();
    assert_eq!(visible.len(), 1);
    assert!(visible[0].contains("photos/sub/good_3.jpg"));

    // Sorting by the path column (1), descending: the items come in reverse path order.
    let dom = chromium(
        &["--dump-dom"],
        &format!("{url}#sort=1&dir=desc"),
        profile.path(),
    );
    let order: Vec<String> = item_tags(&dom)
        .iter()
        .filter_map(|t| t.split("data-search=\"").nth(1))
        .map(|s| s.split(' ').next().unwrap_or("").to_string())
        .collect();
    let mut want = order.clone();
    want.sort();
    want.reverse();
    assert_eq!(order, want);
    assert_eq!(order.len(), 4);

    // The screenshot is not blank.
    let shot = profile.path().join("shot.png");
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,900",
        ],
        &url,
        profile.path(),
    );
    let img = image::open(&shot).expect("a PNG screenshot").to_luma8();
    let n = img.pixels().len() as f64;
    let mean = img.pixels().map(|p| p[0] as f64).sum::<f64>() / n;
    let var = img
        .pixels()
        .map(|p| (p[0] as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    assert!(var > 100.0, "screenshot looks blank: variance {var:.1}");
    assert!(page.len() > 1000);

    // The compare page runs the same script: filtered by status from the address, its pair and thumbnail.
    let pairs = pair_folders();
    compare_html(pairs.path());
    let url = format!("file://{}", pairs.path().join("pairs.html").display());
    let dom = chromium(&["--dump-dom"], &format!("{url}#status=ok"), profile.path());
    let visible: Vec<String> = item_tags(&dom)
        .into_iter()
        .filter(|t| !t.contains("hidden"))
        .map(String::from)
        .collect();
    assert_eq!(visible.len(), 1, "{dom}");
    assert!(visible[0].contains("data-search=\"p1.png"));
    assert!(dom.contains("1 of 2 shown"));
    assert_eq!(dom.matches("<img class=\"thumb\"").count(), 1);
}
