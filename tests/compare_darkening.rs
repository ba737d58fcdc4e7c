//! Verdicts on rendered pairs with the floor-darkening check (`src/compare/darkening.rs`), scored against the
//! true depth factor: issue 5's repeat-photo target ("the same scene photographed twice says
//! `no_clear_change`") and its ≥ 90 % verdict target on more scenes than `tests/compare_verdict.rs`.
//!
//! CI runs the repeat photos (relief × 1) of scenes 101–124 with a small warp (0.3 × ±10°, ±10 %, ±15 px), a
//! new light azimuth, the elevation within ±5° and a new exposure: at least 90 % must say `no_clear_change`.
//! The full tables (every factor; scenes 300–329 tuned the thresholds, 101–124 and 400–423 did not):
//! `SCARSCOPE_DARK_FACTORS=0.5,1,1.5 SCARSCOPE_DARK_FIRST=400 cargo test --release --test compare_darkening
//! -- --nocapture`, with `SCARSCOPE_DARK_SCENES` (default 24), `SCARSCOPE_DARK_WARP` (default 0.3) and
//! `SCARSCOPE_DARK_JPEG` (JPEG quality of both photos; default none) and `SCARSCOPE_DARK_DEBUG=1` (each
//! scar's floor darkening beside the nearest true lesion).

use rayon::prelude::*;
use scarscope::compare::pipeline::{compare_images, CompareOptions};
use scarscope::compare::report::ChangeVerdict;
use scarscope::compare::synth::{pair_scene, AfterPhoto};

#[path = "support/env.rs"]
mod settings;
use settings::env;

struct Row {
    seed: u64,
    factor: f64,
    right: bool,
    line: String,
}

fn run(seed: u64, factor: f64, warp: f64) -> Row {
    let scene = pair_scene(seed, (640, 480, 12.0), env("SCARSCOPE_DARK_JPEG"));
    let (b, a, t) = AfterPhoto::draw(seed, &scene, warp).render(&scene, factor);
    let opts = CompareOptions {
        px_per_mm: Some(scene.px_per_mm),
        ..Default::default()
    };
    let (p, _) = compare_images(format!("{seed}"), "b".into(), &b, "a".into(), &a, &opts);
    let expected = if factor < 1.0 {
        ChangeVerdict::Improved
    } else if factor > 1.0 {
        ChangeVerdict::Worse
    } else {
        ChangeVerdict::NoClearChange
    };
    let cot = |e: f64| 1.0 / e.to_radians().tan();
    let ratio = p.changes.get("relief_ratio").and_then(|c| c.after);
    let dark = p.changes.get("floor_darkening");
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    let line = format!(
        "scene {seed} ×{factor}: relief ratio {} (cot ratio {:.3}), floors darker by {} → {}, verdict {} {}",
        fmt(ratio),
        cot(t.after.light.elevation_deg) / cot(t.before.light.elevation_deg),
        fmt(dark.and_then(|c| c.before)),
        fmt(dark.and_then(|c| c.after)),
        p.verdict.map_or("-", |v| v.as_str()),
        if p.verdict == Some(expected) { "" } else { "MISS" }
    );
    let mut line = line;
    if env::<u8>("SCARSCOPE_DARK_DEBUG").is_some() {
        use scarscope::compare::darkening::measure;
        use scarscope::compare::relief::Spot;
        let cp = scarscope::profile::Profile::builtin().compare;
        let reg = scarscope::compare::registration::register(&b, &a, &cp.registration);
        let fb = scarscope::compare::relief::Frame::new(
            &b,
            &scarscope::compare::geometry::Affine::IDENTITY,
            &cp.relief,
        );
        let fa = scarscope::compare::relief::Frame::new(&a, &reg.map, &cp.relief);
        for r in &p.before.regions {
            let s = [Spot {
                center: r.center,
                radius: 0.5 * r.diameter_px,
            }];
            if let Some(d) = measure(&fb, &fa, &s, &cp.darkening) {
                let near = t
                    .before
                    .lesions
                    .iter()
                    .map(|l| {
                        let d = ((l.center[0] - r.center[0]).powi(2)
                            + (l.center[1] - r.center[1]).powi(2))
                        .sqrt();
                        (
                            d,
                            format!(
                                "{:?} d{:.0} h{:.2}",
                                l.subtype, l.diameter_px, l.relief_height
                            ),
                        )
                    })
                    .min_by(|x, y| x.0.total_cmp(&y.0));
                line.push_str(&format!(
                    "\n    {:?} {:?} d{:.0} at {:.0?}: E {:+.3} → {:+.3}; truth {:?}",
                    r.class, r.subtype, r.diameter_px, r.center, d.before, d.after, near
                ));
            }
        }
    }
    Row {
        seed,
        factor,
        right: p.verdict == Some(expected),
        line,
    }
}

#[test]
fn verdicts_follow_the_true_depth_factor_with_the_floor_darkening_check() {
    let first: u64 = env("SCARSCOPE_DARK_FIRST").unwrap_or(101);
    let n: u64 = env("SCARSCOPE_DARK_SCENES").unwrap_or(24);
    let warp: f64 = env("SCARSCOPE_DARK_WARP").unwrap_or(0.3);
    let factors: Vec<f64> = std::env::var("SCARSCOPE_DARK_FACTORS")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1.0]);
    let jobs: Vec<(u64, f64)> = (first..first + n)
        .flat_map(|s| factors.iter().map(move |&f| (s, f)))
        .collect();
    let rows: Vec<Row> = jobs.par_iter().map(|&(s, f)| run(s, f, warp)).collect();
    for &f in &factors {
        let of: Vec<&Row> = rows.iter().filter(|r| r.factor == f).collect();
        for r in &of {
            eprintln!("{}", r.line);
        }
        eprintln!(
            "relief × {f}: {} of {} verdicts right",
            of.iter().filter(|r| r.right).count(),
            of.len()
        );
    }
    let right = rows.iter().filter(|r| r.right).count();
    eprintln!("all: {right} of {} verdicts right", rows.len());
    assert!(rows.iter().all(|r| r.seed >= first));
    // Issue 5: the verdict is right for at least 90 % of the pairs (a repeat photo must say no_clear_change).
    assert!(
        10 * right >= 9 * rows.len(),
        "only {right} of {} verdicts right",
        rows.len()
    );
}
