//! Where the analysis of one photo spends its time, stage by stage, on one core: the 640×640 benchmark photo
//! (`scarscope::bench::bench_photos`, rendered at start-up) through prepare, the plain segment pass, the light
//! estimate, detect, and the picture features; `whole` is the whole analysis for comparison (what it has
//! beyond the stages timed here is measuring, classifying and summarising the regions).
//!
//! Run: `cargo bench --bench stages -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use scarscope::analyze::{analyze_at, AnalysisOptions};
use scarscope::bench::{bench_photos, load_for_analysis};
use scarscope::profile::Profile;

fn bench(c: &mut Criterion) {
    let photos = bench_photos().expect("the benchmark photos render");
    let opts = AnalysisOptions {
        px_per_mm: None,
        profile: Arc::new(Profile::builtin()),
    };
    let prof = &opts.profile;
    for p in photos.iter().filter(|p| p.name == "640px") {
        let loaded = load_for_analysis(&p.jpeg, &opts).expect("loads");
        let full = loaded.full_size;
        let prep = scarscope::prepare::prepare_at(&loaded.rgb, full, None, &prof.prepare);
        let plain = scarscope::detect::segments(&prep, None, &prof.detect);
        let light = scarscope::light::estimate(&prep, &prof.light, &plain);
        let relief_ok = light.confidence >= prof.classify.min_light_confidence;
        let whole = analyze_at(&loaded.rgb, full, &opts);
        let mut g = c.benchmark_group(format!("stages_{}", p.name));
        g.sample_size(10);
        g.bench_function("load", |b| {
            b.iter(|| black_box(load_for_analysis(black_box(&p.jpeg), &opts).expect("loads")))
        });
        g.bench_function("prepare", |b| {
            b.iter(|| {
                black_box(scarscope::prepare::prepare_at(
                    black_box(&loaded.rgb),
                    full,
                    None,
                    &prof.prepare,
                ))
            })
        });
        g.bench_function("segments_plain", |b| {
            b.iter(|| {
                black_box(scarscope::detect::segments(
                    black_box(&prep),
                    None,
                    &prof.detect,
                ))
            })
        });
        g.bench_function("light", |b| {
            b.iter(|| {
                black_box(scarscope::light::estimate(
                    black_box(&prep),
                    &prof.light,
                    &plain,
                ))
            })
        });
        g.bench_function("detect", |b| {
            b.iter(|| {
                // Without the plain segments handed in: detect's whole work, its own segment pass too.
                black_box(scarscope::detect::detect(
                    black_box(&prep),
                    &light,
                    relief_ok,
                    &prof.detect,
                    None,
                ))
            })
        });
        g.bench_function("picture_features", |b| {
            b.iter(|| {
                black_box(scarscope::analysis::picture::picture_features(
                    black_box(&prep),
                    &whole.regions,
                ))
            })
        });
        g.bench_function("whole", |b| {
            b.iter(|| black_box(analyze_at(black_box(&loaded.rgb), full, &opts)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
