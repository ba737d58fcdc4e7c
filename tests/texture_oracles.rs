//! Oracle tests: IBSI-1 digital phantom GLCM reference values and scikit-image 0.26 outputs.
//! The numbers live in `tests/fixtures/oracles/` (see ATTRIBUTION.md there).

use scarscope::texture::discretise::Quantised;
use scarscope::texture::glcm::{
    aggregate, directional_glcms, skimage, Glcm, GlcmFeatures, FEATURE_NAMES, IBSI_DIRECTIONS_2D,
};
use serde_json::Value;

fn ibsi() -> Value {
    serde_json::from_str(include_str!("fixtures/oracles/ibsi_phantom_glcm_2d.json")).unwrap()
}

fn skimage_oracle() -> Value {
    serde_json::from_str(include_str!("fixtures/oracles/skimage_texture_oracle.json")).unwrap()
}

/// Phantom slice `z` as a quantised image: levels = phantom values (1..6), Ng = 6, mask applied.
fn phantom_slice(o: &Value, z: usize) -> Quantised {
    let img = &o["image"][z];
    let mask = &o["mask"][z];
    let h = img.as_array().unwrap().len();
    let w = img[0].as_array().unwrap().len();
    let mut levels = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let inside = mask[y][x].as_i64().unwrap() != 0;
            levels.push(inside.then(|| img[y][x].as_u64().unwrap() as u16));
        }
    }
    Quantised::from_levels(w, h, &levels, 6).unwrap()
}

/// |got − want| within half a unit of the 3rd significant figure of the published value.
fn assert_3sf(got: f64, want: f64, what: &str) {
    let tol = 0.5 * 10f64.powi(want.abs().log10().floor() as i32 - 2) * (1.0 + 1e-9);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, published {want} (3 s.f., tol {tol})"
    );
}

fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
    let tol = rel * want.abs().max(1e-12);
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

fn check_features(got: &GlcmFeatures, want: &Value, what: &str) {
    for name in FEATURE_NAMES {
        let w = want[name]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: no {name}"));
        let g = got
            .get(name)
            .unwrap()
            .unwrap_or_else(|| panic!("{what}.{name} is None"));
        assert_close(g, w, 1e-9, &format!("{what}.{name}"));
    }
}

fn direction_key(d: (i32, i32)) -> String {
    format!("({}, {})", d.0, d.1)
}

#[test]
fn ibsi_phantom_per_slice_2d() {
    let o = ibsi();
    for z in 0..4 {
        let q = phantom_slice(&o, z);
        let mats = directional_glcms(&q, 1, &IBSI_DIRECTIONS_2D);
        let want = &o["per_slice_2d"][format!("z{z}")];
        for (m, d) in mats.iter().zip(IBSI_DIRECTIONS_2D) {
            let key = direction_key(d);
            check_features(
                &m.features(),
                &want["per_direction"][&key],
                &format!("z{z} {key}"),
            );
        }
        let agg = aggregate(&mats);
        check_features(
            &agg.averaged,
            &want["dir_averaged"],
            &format!("z{z} averaged"),
        );
        check_features(&agg.merged, &want["dir_merged"], &format!("z{z} merged"));
    }
}

#[test]
fn ibsi_phantom_published_2d_aggregations() {
    let o = ibsi();
    let mut per_matrix = Vec::new();
    let mut per_slice_merged = Vec::new();
    for z in 0..4 {
        let mats = directional_glcms(&phantom_slice(&o, z), 1, &IBSI_DIRECTIONS_2D);
        per_matrix.extend(mats.iter().map(Glcm::features));
        per_slice_merged.push(Glcm::merged(&mats).unwrap().features());
    }
    // BTW3: features of the 16 slice-direction matrices, averaged.
    let btw3 = GlcmFeatures::average(&per_matrix);
    // SUJT: features of each slice's merged matrix, averaged over slices.
    let sujt = GlcmFeatures::average(&per_slice_merged);
    for (agg, key) in [(btw3, "BTW3_2d_averaged"), (sujt, "SUJT_2d_slice_merged")] {
        let want = &o["published_3sf"][key];
        for name in FEATURE_NAMES {
            let w = want[name].as_f64().unwrap();
            let g = agg.get(name).unwrap().unwrap();
            assert_3sf(g, w, &format!("{key}.{name}"));
        }
    }
}

fn image_from(v: &Value) -> image::GrayImage {
    let rows = v.as_array().unwrap();
    let h = rows.len() as u32;
    let w = rows[0].as_array().unwrap().len() as u32;
    let data: Vec<u8> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u8)
        })
        .collect();
    image::GrayImage::from_raw(w, h, data).unwrap()
}

#[test]
fn skimage_graycoprops_all_cases() {
    let o = skimage_oracle();
    let cases = o["glcm"].as_array().unwrap();
    assert!(!cases.is_empty());
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let img = image_from(&o["images"][name]);
        let levels = case["levels"].as_u64().unwrap() as usize;
        let dists: Vec<usize> = case["distances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        let angles: Vec<f64> = case["angles_rad"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap())
            .collect();
        let sym = case["symmetric"].as_bool().unwrap();
        let m = skimage::graycomatrix(&img, &dists, &angles, levels, sym).unwrap();
        for di in 0..dists.len() {
            for ai in 0..angles.len() {
                let what = format!("{name} L{levels} sym={sym} d={} a={ai}", dists[di]);
                let pairs: u64 = m[di][ai].iter().sum();
                assert_eq!(
                    pairs,
                    case["pair_counts"][di][ai].as_u64().unwrap(),
                    "{what}: pair count"
                );
                if let Some(gc) = case.get("glcm_counts") {
                    let want: Vec<u64> = gc[di][ai]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()))
                        .collect();
                    assert_eq!(m[di][ai], want, "{what}: counts");
                }
                let p = skimage::graycoprops(&m[di][ai], levels);
                for (prop, vals) in case["props"].as_object().unwrap() {
                    let w = vals[di][ai].as_f64().unwrap();
                    let g = p.get(prop).unwrap_or_else(|| panic!("unknown prop {prop}"));
                    let tol = 1e-9 * w.abs().max(1e-6);
                    assert!((g - w).abs() <= tol, "{what} {prop}: got {g}, want {w}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 10 * 4 * 6, "only {checked} values checked");
}

#[test]
fn skimage_lbp_maps_every_case() {
    use scarscope::texture::lbp::{local_binary_pattern, LbpMethod};
    let o = skimage_oracle();
    let cases = o["lbp"].as_array().unwrap();
    assert_eq!(cases.len(), 36);
    for case in cases {
        let name = case["image"].as_str().unwrap();
        let img = image_from(&o["images"][name]);
        let p = case["P"].as_u64().unwrap() as usize;
        let r = case["R"].as_f64().unwrap();
        let method = case["method"].as_str().unwrap();
        let got = local_binary_pattern(&img, p, r, LbpMethod::from_name(method).unwrap()).unwrap();
        let want: Vec<Option<f64>> = case["values"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(Value::as_f64))
            .collect();
        assert_eq!(got.len(), want.len());
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            let what = format!("{name} P={p} R={r} {method} pixel {k}");
            match (g, w) {
                (Some(g), Some(w)) if method == "var" => {
                    assert!(
                        (g - w).abs() <= 1e-9 * w.abs().max(1e-9),
                        "{what}: {g} vs {w}"
                    )
                }
                (Some(g), Some(w)) => assert_eq!(g, w, "{what}"),
                (None, None) => {}
                _ => panic!("{what}: got {g:?}, want {w:?}"),
            }
        }
    }
}

#[test]
fn skimage_lbp_tie_heavy_image() {
    use scarscope::texture::lbp::{local_binary_pattern, LbpMethod};
    let o: Value =
        serde_json::from_str(include_str!("fixtures/oracles/skimage_lbp_ties.json")).unwrap();
    let img = image_from(&o["image"]);
    for case in o["lbp"].as_array().unwrap() {
        let p = case["P"].as_u64().unwrap() as usize;
        let r = case["R"].as_f64().unwrap();
        let method = case["method"].as_str().unwrap();
        let got = local_binary_pattern(&img, p, r, LbpMethod::from_name(method).unwrap()).unwrap();
        let want: Vec<Option<f64>> = case["values"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(Value::as_f64))
            .collect();
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            let what = format!("ties P={p} R={r} {method} pixel {k}");
            match (g, w) {
                (Some(g), Some(w)) if method == "var" => {
                    assert!(
                        (g - w).abs() <= 1e-9 * w.abs().max(1e-9),
                        "{what}: {g} vs {w}"
                    )
                }
                (Some(g), Some(w)) => assert_eq!(g, w, "{what}"),
                (None, None) => {}
                _ => panic!("{what}: got {g:?}, want {w:?}"),
            }
        }
    }
}
