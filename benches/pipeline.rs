//! Whole-pipeline time per 12 MP photo on one core, against the time to decode a 12 MP JPEG.
//!
//! The photo is a rendered 4000×3000 scene at 20 px/mm (JPEG q90) with lesions of every kind; the analysis
//! runs with the scale known (working scale ~8 px/mm) and without it (longest side capped). The analysis
//! itself is single-threaded per image (no rayon inside one image), so one core is what it uses.
//! Run: `cargo bench --bench pipeline -- --warm-up-time 1 --measurement-time 5`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use scarscope::analyze::{analyze, AnalysisOptions};
use scarscope::profile::Profile;
use scarscope::render::{encode_jpeg, random_scene, render_raw, Mix, SceneParams};

fn bench(c: &mut Criterion) {
    let params = SceneParams {
        width: 4000,
        height: 3000,
        px_per_mm: 20.0,
        seed: 3,
        mix: Mix::Boxcar,
        ..SceneParams::default()
    };
    let rgb = render_raw(&random_scene(&params)).rgb;
    let jpeg = encode_jpeg(&rgb, 90).expect("a 12 MP frame fits in a JPEG");
    let decoded = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .expect("the encoder's own JPEG decodes")
        .to_rgb8();
    let scaled = AnalysisOptions {
        px_per_mm: Some(20.0),
        profile: Arc::new(Profile::builtin()),
    };
    let unscaled = AnalysisOptions {
        px_per_mm: None,
        profile: Arc::new(Profile::builtin()),
    };

    let mut g = c.benchmark_group("pipeline_12mp");
    g.sample_size(10);
    g.bench_function("decode_jpeg_12mp", |b| {
        b.iter(|| {
            black_box(
                image::load_from_memory_with_format(black_box(&jpeg), image::ImageFormat::Jpeg)
                    .expect("decodes")
                    .to_rgb8(),
            )
        })
    });
    // The first stage alone (downsampling, skin mask, flattening): what the later stages add is the rest.
    g.bench_function("prepare_12mp_scale_known", |b| {
        b.iter(|| {
            black_box(scarscope::prepare::prepare(
                black_box(&decoded),
                Some(20.0),
                &scaled.profile.prepare,
            ))
        })
    });
    g.bench_function("analyze_12mp_scale_known", |b| {
        b.iter(|| black_box(analyze(black_box(&decoded), &scaled)))
    });
    g.bench_function("analyze_12mp_no_scale", |b| {
        b.iter(|| black_box(analyze(black_box(&decoded), &unscaled)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
