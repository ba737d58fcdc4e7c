//! The texture's light factor (`tests/support/light_factor.rs`: an experiment the pipeline does not use, so it
//! lives with this test) on rendered repeat pairs of scenes 300 onwards (which the verdict tests do not use):
//! JPEG 80 or none, 560×420 at 9 px/mm, 640×480 at 12, 800×600 at 16,
//! a new light azimuth, elevation within ±5°, and the full ±10° / ±10 % / ±15 px warp.
//!
//! What it asserts: the anisotropy's axis follows the light azimuth in both photos (the premise of the
//! method). What it measures (printed): whether its magnitude tracks the true `cot(e_after) / cot(e_before)`,
//! and the relief ratio with and without dividing by it. It does not track well enough to be applied:
//! `SCARSCOPE_LIGHT_PAIRS=36 cargo test --release --test compare_light_factor -- --nocapture`
//! (`SCARSCOPE_LIGHT_MODE=nowarp` keeps the photos unwarped, `az_nowarp` also keeps the azimuth;
//! `SCARSCOPE_LIGHT_LAT=1` scores a fit of a 4-fold pore-lattice term with the true azimuths instead;
//! `SCARSCOPE_LIGHT_SIGMA`, `_TILE`, `_EMAX`, `_REACH` override the band, tile and exclusion settings).

#[path = "support/light_factor.rs"]
mod light_factor;

use light_factor::LightFactorParams;
use rayon::prelude::*;
use scarscope::compare::registration::register;
use scarscope::compare::relief;
use scarscope::compare::synth::{pair_scene, AfterPhoto};
use scarscope::profile::Profile;

/// Truth cot ratio, estimate, relief ratio, applied factor, description, and the worst axis error (deg) when
/// both photos' anisotropy stands 6 noise deviations out.
type Row = (f64, Option<f64>, Option<f64>, f64, String, Option<f64>);

#[path = "support/env.rs"]
mod settings;
use settings::env;

fn row(seed: u64, factor: f64) -> Row {
    let cp = Profile::builtin().compare;
    let mut lp = LightFactorParams::default();
    lp.band_sigma_px = env("SCARSCOPE_LIGHT_SIGMA").unwrap_or(lp.band_sigma_px);
    lp.max_tile_energy = env("SCARSCOPE_LIGHT_EMAX").unwrap_or(lp.max_tile_energy);
    lp.exclude_reach = env("SCARSCOPE_LIGHT_REACH").unwrap_or(lp.exclude_reach);
    lp.tile_px = env("SCARSCOPE_LIGHT_TILE").unwrap_or(lp.tile_px);
    // Variants: JPEG or not, three resolutions.
    let jpeg = if seed % 2 == 1 { Some(80) } else { None };
    let (wd, ht, ppm) =
        [(640, 480, 12.0), (800, 600, 16.0), (560, 420, 9.0)][(seed / 2) as usize % 3];
    let scene = pair_scene(seed, (wd, ht, ppm), jpeg);
    let mode = std::env::var("SCARSCOPE_LIGHT_MODE").unwrap_or_default();
    let warp = if mode.contains("nowarp") { 0.0 } else { 1.0 };
    let mut after = AfterPhoto::draw(seed, &scene, warp);
    if mode.contains("az") {
        after.azimuth_deg = scene.light.azimuth_deg;
    }
    let (b, a, t) = after.render(&scene, factor);
    let reg = register(&b, &a, &cp.registration);
    let lf = light_factor::estimate(&b, &a, &reg.map, &lp);
    let m = relief::measure(&b, &a, &reg.map, &[], &cp.relief);
    let cot = |e: f64| 1.0 / e.to_radians().tan();
    // Lattice model: c = X (u + rho conj(u)), u = e^{2i psi}, psi = -azimuth in the scene's pixel frame.
    let rotd = reg.map.rotation_ccw_deg();
    let rot_vec = |v: [f64; 2], deg: f64| {
        let t = (2.0 * deg).to_radians();
        [
            v[0] * t.cos() - v[1] * t.sin(),
            v[0] * t.sin() + v[1] * t.cos(),
        ]
    };
    let cb = lf.vectors[0];
    let ca = rot_vec(lf.vectors[1], rotd);
    let az_b = t.before.light.azimuth_deg;
    let az_a = t.after.light.azimuth_deg - rotd;
    let w = |az: f64, rho: f64| {
        let psi = (-az).to_radians();
        [
            (2.0 * psi).cos() * (1.0 + rho),
            (2.0 * psi).sin() * (1.0 - rho),
        ]
    };
    let fit1 = |c: [f64; 2], wv: [f64; 2]| {
        let n2 = wv[0] * wv[0] + wv[1] * wv[1];
        let x = (c[0] * wv[0] + c[1] * wv[1]) / n2.max(1e-30);
        let r2 = (c[0] - x * wv[0]).powi(2) + (c[1] - x * wv[1]).powi(2);
        (x, r2)
    };
    let mut best = (f64::INFINITY, 0.0, 1.0);
    for k in -90..=90 {
        let rho = k as f64 / 100.0;
        let (xb, rb) = fit1(cb, w(az_b, rho));
        let (xa, ra) = fit1(ca, w(az_a, rho));
        if rb + ra < best.0 && xb > 0.0 && xa > 0.0 {
            best = (rb + ra, rho, (xa / xb).sqrt());
        }
    }
    let lattice = best.2;
    let truth = cot(t.after.light.elevation_deg) / cot(t.before.light.elevation_deg);
    let line = format!(
        "seed {seed} jpeg {jpeg:?} {wd}x{ht}@{ppm} s{:.3}: el {:.1}->{:.1} az {:.0}->{:.0} | true cot {truth:.3} est {} lat {lattice:.3} rho {:.2} conf {:.2} snr ({:.1},{:.1}) axes ({:.0},{:.0}) tiles {} | relief {} corr {}",
        after.scale,
        t.before.light.elevation_deg,
        t.after.light.elevation_deg,
        t.before.light.azimuth_deg.rem_euclid(180.0),
        t.after.light.azimuth_deg.rem_euclid(180.0),
        lf.raw.map_or("none".into(), |r| format!("{r:.3}")),
        best.1,
        lf.confidence,
        lf.snr.0,
        lf.snr.1,
        lf.before.1,
        lf.after.1,
        lf.tiles,
        m.ratio.map_or("none".into(), |r| format!("{r:.3}")),
        m.ratio.map_or("none".into(), |r| format!("{:.3}", r / lf.applied)),
    );
    let axis_err = |axis: f64, az: f64| {
        let d = (axis - az).rem_euclid(180.0);
        d.min(180.0 - d)
    };
    let worst_axis = (lf.snr.0.min(lf.snr.1) >= 6.0).then(|| {
        axis_err(lf.before.1, t.before.light.azimuth_deg)
            .max(axis_err(lf.after.1, t.after.light.azimuth_deg))
    });
    (
        truth,
        if std::env::var("SCARSCOPE_LIGHT_LAT").is_ok_and(|v| !v.is_empty()) {
            Some(lattice)
        } else {
            lf.raw
        },
        m.ratio,
        lf.applied,
        line,
        worst_axis,
    )
}

#[test]
fn texture_anisotropy_follows_the_light_azimuth() {
    let n: u64 = env("SCARSCOPE_LIGHT_PAIRS").unwrap_or(4);
    let factor: f64 = env("SCARSCOPE_LIGHT_FACTOR").unwrap_or(1.0);
    let rows: Vec<_> = (300..300 + n)
        .into_par_iter()
        .map(|s| row(s, factor))
        .collect();
    for r in &rows {
        eprintln!("{}", r.4);
    }
    let sd = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let lt: Vec<f64> = rows.iter().map(|r| r.0.ln()).collect();
    let res: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.1.map(|e| (e / r.0).ln()))
        .collect();
    let rel: Vec<f64> = rows.iter().filter_map(|r| r.2.map(|x| x.ln())).collect();
    let cor: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.2.map(|x| (x / r.3).ln()))
        .collect();
    eprintln!(
        "sd log true cot ratio {:.3}; sd log(est/true) {:.3} over {}; sd log relief {:.3}; corrected {:.3}",
        sd(&lt), sd(&res), res.len(), sd(&rel), sd(&cor)
    );
    let axes: Vec<f64> = rows.iter().filter_map(|r| r.5).collect();
    eprintln!("worst axis error per pair, deg: {axes:.0?}");
    assert!(!axes.is_empty(), "no pair had a clear texture anisotropy");
    for (r, e) in rows.iter().filter_map(|r| r.5.map(|e| (r, e))) {
        assert!(e <= 15.0, "axis {e:.0}° off the light azimuth: {}", r.4);
    }
}
