//! Time of one `compare` of a before/after pair against the analysis of the same two photos alone, so the
//! difference is what registration, colour matching, region matching and the pair relief measure cost.
//!
//! The pair is a rendered 2000×1500 scene at 10 px/mm (3 MP: a 12 MP photo at half the linear resolution;
//! the analysis works at ~8 px/mm either way and the relief measure averages photos down to 1024 px, so the
//! compare-only share scales with the pixels decoded, not with the photo's megapixels), relief × 0.5, a new
//! light, rotated 6°, scaled 1.05 and shifted. Run:
//! `cargo bench --bench compare -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use scarscope::analyze::{analyze, AnalysisOptions};
use scarscope::compare::darkening;
use scarscope::compare::geometry::Affine;
use scarscope::compare::pipeline::{compare_images, CompareOptions};
use scarscope::compare::registration::register;
use scarscope::compare::relief;
use scarscope::profile::Profile;
use scarscope::render::{random_scene, render_pair, Mix, SceneParams};

fn bench(c: &mut Criterion) {
    let scene = random_scene(&SceneParams {
        width: 2000,
        height: 1500,
        px_per_mm: 10.0,
        seed: 5,
        mix: Mix::Boxcar,
        ..SceneParams::default()
    });
    let light = (
        (scene.light.azimuth_deg + 80.0) % 360.0,
        scene.light.elevation_deg,
    );
    let (before, after, _) = render_pair(&scene, 0.5, light, 1.1, 6.0, 1.05, (20.0, -12.0));
    let profile = Arc::new(Profile::builtin());
    let opts = CompareOptions {
        px_per_mm: Some(10.0),
        compare: profile.compare.clone(),
        profile: Arc::clone(&profile),
    };
    let an = AnalysisOptions {
        px_per_mm: Some(10.0),
        profile: Arc::clone(&profile),
    };
    let reg = register(&before, &after, &opts.compare.registration);

    let mut g = c.benchmark_group("compare_3mp");
    g.sample_size(10);
    g.bench_function("analyze_both_photos", |b| {
        b.iter(|| {
            black_box(analyze(black_box(&before), &an));
            black_box(analyze(black_box(&after), &an));
        })
    });
    g.bench_function("compare_pair", |b| {
        b.iter(|| {
            black_box(compare_images(
                "bench".into(),
                "before".into(),
                black_box(&before),
                "after".into(),
                black_box(&after),
                &opts,
            ))
        })
    });
    g.bench_function("registration_only", |b| {
        b.iter(|| {
            black_box(register(
                black_box(&before),
                black_box(&after),
                &opts.compare.registration,
            ))
        })
    });
    g.bench_function("relief_only", |b| {
        b.iter(|| {
            black_box(relief::measure(
                black_box(&before),
                black_box(&after),
                &reg.map,
                &[],
                &opts.compare.relief,
            ))
        })
    });
    // The floor darkening on the relief measure's frames (built once in the pipeline), at every scar the
    // renderer placed, which is more than the analysis finds.
    let fb = relief::Frame::new(&before, &Affine::IDENTITY, &opts.compare.relief);
    let fa = relief::Frame::new(&after, &reg.map, &opts.compare.relief);
    let pits: Vec<relief::Spot> = scene
        .truth()
        .lesions
        .iter()
        .map(|l| relief::Spot {
            center: l.center,
            radius: 0.5 * l.diameter_px,
        })
        .collect();
    g.bench_function("floor_darkening_only", |b| {
        b.iter(|| black_box(darkening::measure(&fb, &fa, &pits, &opts.compare.darkening)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
