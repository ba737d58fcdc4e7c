//! Decode alone against the whole analysis, for a rendered 12 MP JPEG and a rendered 640×640 JPEG (issue 14's
//! ratio), one core: criterion's statistics on the same figures `scarscope bench` prints.
//!
//! Run: `cargo bench --bench decode_ratio -- --warm-up-time 1 --measurement-time 5`.
//! The photos are rendered at start-up (`scarscope::bench::bench_photos`), so the repository holds none.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use scarscope::analyze::AnalysisOptions;
use scarscope::bench::{bench_photos, decode_full, load_for_analysis, whole_analysis};
use scarscope::profile::Profile;

fn bench(c: &mut Criterion) {
    let photos = bench_photos().expect("the benchmark photos render");
    let opts = AnalysisOptions {
        px_per_mm: None,
        profile: Arc::new(Profile::builtin()),
    };
    for p in &photos {
        let mut g = c.benchmark_group(format!("decode_ratio_{}", p.name));
        g.sample_size(10);
        g.bench_function("full_decode", |b| {
            b.iter(|| black_box(decode_full(black_box(&p.jpeg)).expect("decodes")))
        });
        g.bench_function("load", |b| {
            b.iter(|| black_box(load_for_analysis(black_box(&p.jpeg), &opts).expect("loads")))
        });
        g.bench_function("whole_analysis", |b| {
            b.iter(|| black_box(whole_analysis(black_box(&p.jpeg), &opts).expect("analyses")))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
