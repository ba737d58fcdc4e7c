//! `scarscope evaluate --no-scale`: the scorer can run the analysis as on web crops nobody measured.

use assert_cmd::Command;

fn evaluate(extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "evaluate",
        "--count",
        "3",
        "--width",
        "240",
        "--height",
        "240",
        "--px-per-mm",
        "6",
        "--format",
        "json",
        "-j",
        "1",
    ];
    args.extend_from_slice(extra);
    let out = Command::cargo_bin("scarscope")
        .expect("binary built")
        .args(&args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn no_scale_withholds_the_scale_from_the_analysis() {
    let with = evaluate(&[]);
    let without = evaluate(&["--no-scale"]);
    assert_eq!(with["scale_given"], true);
    assert_eq!(without["scale_given"], false);
    // The same three scenes are scored both ways.
    for doc in [&with, &without] {
        assert_eq!(doc["scores"]["counts"]["images"], 3, "{doc}");
    }
}
