//! Texture throughput on a 12 MP (4000×3000) synthetic 8-bit image, one core:
//! IBSI GLCM (4 directions, 32 FBN levels, distance 1) and uniform LBP (P = 8, R = 1).
//! Run: `cargo bench --bench texture -- --warm-up-time 1 --measurement-time 3`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use image::GrayImage;
use scarscope::texture::discretise::{Discretisation, Quantised};
use scarscope::texture::glcm::glcm_features_2d;
use scarscope::texture::lbp::uniform_histogram;
use std::hint::black_box;

/// Skin-like synthetic image: smooth shading plus deterministic LCG noise (so neighbouring
/// pixels often share a level, as in real photos, and the timing is reproducible).
fn synthetic(w: u32, h: u32) -> GrayImage {
    let mut s: u32 = 42;
    GrayImage::from_fn(w, h, |x, y| {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let noise = ((s >> 16) & 31) as f32 - 16.0;
        let shade = 128.0 + 60.0 * ((x as f32 / 400.0).sin() * (y as f32 / 300.0).cos());
        image::Luma([(shade + noise).clamp(0.0, 255.0) as u8])
    })
}

fn bench(c: &mut Criterion) {
    let (w, h) = (4000, 3000);
    let img = synthetic(w, h);
    let mut g = c.benchmark_group("texture_12mp");
    g.sample_size(10);
    g.throughput(Throughput::Elements(u64::from(w * h)));
    g.bench_function("glcm_ibsi_4dirs_32levels", |b| {
        b.iter(|| {
            let q = Quantised::new(black_box(&img), None, Discretisation::FixedBinNumber(32))
                .expect("valid settings");
            black_box(glcm_features_2d(&q, 1))
        })
    });
    g.bench_function("lbp_uniform_p8_r1_histogram", |b| {
        b.iter(|| black_box(uniform_histogram(black_box(&img), None, 8, 1.0).expect("valid")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
