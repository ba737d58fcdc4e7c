//! `--shard K/N`, `scarscope merge` and `--resume`: the parts of a sharded run, merged, and a resumed run give
//! exactly the bytes of one run over all inputs (what docs/slurm.sh and docs/k8s-indexed-job.yaml rely on).

use std::path::Path;

use assert_cmd::Command;

fn scarscope() -> Command {
    Command::cargo_bin("scarscope").expect("binary built")
}

/// Three rendered fixtures, a file that is not a photo (an error entry) and a note (skipped by the walk).
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for name in [
        "active_tan_from_lower_right.jpg",
        "boxcar_light_from_top.jpg",
        "flat_marks_dark_flash.jpg",
    ] {
        std::fs::copy(fixtures.join(name), dir.path().join(name)).expect("copy fixture");
    }
    std::fs::write(dir.path().join("broken.jpg"), b"not a photo").expect("write");
    std::fs::write(dir.path().join("notes.txt"), b"skipped").expect("write");
    dir
}

/// Runs scarscope with `args`; returns stdout and the exit code.
fn run(args: &[&str]) -> (Vec<u8>, i32) {
    let out = scarscope().args(args).output().expect("run");
    (out.stdout, out.status.code().unwrap_or(-1))
}

#[test]
fn shards_merged_give_the_single_runs_bytes() {
    let photos = folder();
    let work = tempfile::tempdir().expect("tempdir");
    let root = photos.path().to_string_lossy().to_string();
    for format in ["json", "jsonl", "csv"] {
        let (single, code) = run(&["analyze", "-q", "--format", format, &root]);
        assert_eq!(code, 1, "broken.jpg fails");
        // More parts than some shards have inputs for: an empty part is a valid, empty output.
        let n = 6;
        let mut parts = Vec::new();
        for k in 1..=n {
            let part = work.path().join(format!("part-{k}.{format}"));
            let (_, code) = run(&[
                "analyze",
                "-q",
                "--format",
                format,
                "--shard",
                &format!("{k}/{n}"),
                "-o",
                &part.to_string_lossy(),
                &root,
            ]);
            assert!(code == 0 || code == 1, "{format} shard {k}: exit {code}");
            parts.push(part.to_string_lossy().to_string());
        }
        let mut args = vec!["merge".to_string()];
        args.extend(parts);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (merged, code) = run(&args);
        assert_eq!(code, 1, "merge reports the failure as the single run does");
        assert_eq!(
            String::from_utf8_lossy(&merged),
            String::from_utf8_lossy(&single),
            "{format}"
        );
    }
}

#[test]
fn an_empty_shard_is_an_empty_report_not_an_error() {
    let photos = folder();
    let root = photos.path().to_string_lossy().to_string();
    // Four inputs (three photos and broken.jpg) in 40 parts: part 1 holds none.
    let (out, code) = run(&["analyze", "--json", "--shard", "1/40", &root]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(v["images"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        v["batch"]["skipped_non_image"], 1,
        "every shard sees the walk"
    );
    for bad in ["0/4", "5/4", "2"] {
        let (_, code) = run(&["analyze", "--shard", bad, &root]);
        assert_eq!(code, 2, "{bad}");
    }
}

#[test]
fn merge_refuses_parts_of_different_runs() {
    let photos = folder();
    let work = tempfile::tempdir().expect("tempdir");
    let root = photos.path().to_string_lossy().to_string();
    let a = work.path().join("a.json");
    let b = work.path().join("b.json");
    let c = work.path().join("c.jsonl");
    let good = photos.path().join("boxcar_light_from_top.jpg");
    let good = good.to_string_lossy();
    run(&["analyze", "--json", "-o", &a.to_string_lossy(), &good]);
    run(&[
        "analyze",
        "--json",
        "--px-per-mm",
        "12",
        "-o",
        &b.to_string_lossy(),
        &good,
    ]);
    run(&[
        "analyze",
        "--format",
        "jsonl",
        "-o",
        &c.to_string_lossy(),
        &root,
    ]);
    let out = scarscope()
        .args(["merge"])
        .arg(&a)
        .arg(&b)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("settings or version differ"));
    let out = scarscope()
        .args(["merge"])
        .arg(&a)
        .arg(&c)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not all in one format"));
    assert!(out.stdout.is_empty());
}

#[test]
fn resume_appends_what_an_interrupted_run_did_not_write() {
    let photos = folder();
    let work = tempfile::tempdir().expect("tempdir");
    let root = photos.path().to_string_lossy().to_string();
    let (single, _) = run(&["analyze", "-q", "--format", "jsonl", &root]);
    let lines: Vec<&[u8]> = single.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 4);
    // What an interruption leaves: two whole lines and the start of the third.
    let file = work.path().join("run.jsonl");
    let mut left = [lines[0], lines[1]].concat();
    left.extend_from_slice(&lines[2][..lines[2].len() / 2]);
    std::fs::write(&file, &left).expect("write");
    let file_arg = file.to_string_lossy().to_string();
    let resume = [
        "analyze", "-q", "--format", "jsonl", "--resume", "-o", &file_arg, &root,
    ];
    let (stdout, _) = run(&resume);
    assert!(stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&file).expect("read")),
        String::from_utf8_lossy(&single)
    );
    // Resuming a finished file adds nothing.
    let (_, code) = run(&resume);
    assert_eq!(code, 0, "no image left to analyse, none failed");
    assert_eq!(std::fs::read(&file).expect("read"), single);
    // A missing file is a fresh start.
    std::fs::remove_file(&file).expect("rm");
    run(&resume);
    assert_eq!(std::fs::read(&file).expect("read"), single);

    let (_, code) = run(&["analyze", "--json", "--resume", "-o", &file_arg, &root]);
    assert_eq!(code, 2, "--resume needs JSON lines");
}

#[test]
fn cluster_recipes_use_the_commands_tested_here() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let slurm = std::fs::read_to_string(docs.join("slurm.sh")).expect("docs/slurm.sh");
    let k8s = std::fs::read_to_string(docs.join("k8s-indexed-job.yaml")).expect("k8s manifest");
    for text in [&slurm, &k8s] {
        for needle in [
            "--shard \"$k/",
            "--format jsonl --resume -o \"$part\"",
            "scarscope merge ",
            "part-%05d.jsonl",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
    }
    assert!(k8s.contains("completionMode: Indexed") && k8s.contains("JOB_COMPLETION_INDEX + 1"));
    #[cfg(unix)]
    {
        // `bash -n` parses the script without running it.
        if let Some(bash) = ["/bin/bash", "/usr/bin/bash"]
            .iter()
            .find(|p| Path::new(p).exists())
        {
            let ok = std::process::Command::new(bash)
                .arg("-n")
                .arg(docs.join("slurm.sh"))
                .status()
                .expect("bash");
            assert!(ok.success(), "docs/slurm.sh parses");
        }
    }
}
