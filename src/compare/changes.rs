//! Changes before → after over the shared area, and the pair verdict.
//!
//! Measures (each `{before, after, delta, percent}`):
//! - `scar_count`: scars (atrophic + raised regions) inside the shared area; `count_<subtype>` per subtype
//!   (all nine, active acne and flat marks included).
//! - `scar_area`: summed scar area, mm² when `--px-per-mm` is known, else px² of the *before* frame (after-photo
//!   areas are divided by the registration scale²).
//! - `depth_proxy_total` / `depth_proxy_mean`: sum / mean of `|depth_proxy|` over the scars: the relief magnitude
//!   (the contract's sign says depressed or raised; a smaller magnitude is flatter skin either way).
//! - `roughness`: the texture roughness (`roughness_rq`, else another `roughness*` texture key) of each photo.
//! - `redness`: the texture `redness` if reported, else the mean region Δa* (`delta_a`, CIELAB, domain.md §4)
//!   over the shared regions.
//! - `goodman_baron_quantitative`: the per-photo estimate (domain.md §2).
//! - `relief_index`: the pair relief measure of [`super::relief`]: odd shading contrast in linear light,
//!   read in both registered photos at the places where their contrasts differ, texture floor removed;
//!   `before` is the geometric-mean amplitude over those places, `after` that times the per-place
//!   after/before ratio's median weighted by amplitude. `relief_ratio`: that ratio, reported as `before = 1`,
//!   `after = ratio`.
//!
//! Repeat-photo noise, measured with
//! `SCARSCOPE_NOISE_PAIRS=30 cargo test --release --test compare_noise -- --nocapture` (scenes 300–329, not
//! the other tests' scenes): the same scene photographed twice under a new light azimuth, elevation
//! within ±5°, exposure ×0.85–1.2, new sensor noise, rotation up to ±10°, scale ±10 %, shift ±15 px. The
//! relief ratio moved −20.6 … +21.6 % (5–95 %: −13.2 … +16.8 %, median −0.3 %); relief × 1.5 gave a median
//! of +50 % and × 0.5 one of −56 %. The repeat noise is the light elevation (the odd contrast scales with
//! cot(elevation), which nothing in the pair cancels) and small dark pits read in discs a few px off their
//! centre (their darkening mixes into the odd contrast and turns with the light azimuth). Earlier, with the single-photo analyses' depth
//! proxies, `depth_proxy_total` moved −64 … +60 % and `scar_count` by up to 3 between repeat photos (and
//! fell when the scars were made deeper); so the relief ratio is the depth sign, the count only informs, and
//! Goodman & Baron only vetoes beyond its ~4-point noise.
//!
//! Verdict: `improved` / `worse` only when the relief index changes by more than the repeat-photo noise
//! threshold of [`VerdictThresholds`] (falling back to `depth_proxy_total` and `scar_count` when no relief
//! could be measured) and no Goodman & Baron change beyond its noise points the other way; otherwise
//! `no_clear_change`.
//! A Goodman & Baron move under ~4 points is noise (domain.md §2), so it only supports or contradicts.

use std::collections::BTreeMap;

use crate::report::{num, ImageReport, Region, Subtype};

use super::darkening::Darkening;
use super::profile::VerdictThresholds;
use super::report::{Change, ChangeVerdict};

/// A `{before, after, delta, percent}` entry from two optional values.
pub fn change(before: Option<f64>, after: Option<f64>) -> Change {
    let before = before.filter(|v| v.is_finite());
    let after = after.filter(|v| v.is_finite());
    let delta = match (before, after) {
        (Some(b), Some(a)) => Some(a - b),
        _ => None,
    };
    let percent = match (before, delta) {
        (Some(b), Some(d)) if b != 0.0 => Some(100.0 * d / b),
        _ => None,
    };
    Change {
        before: before.and_then(num),
        after: after.and_then(num),
        delta: delta.and_then(num),
        percent: percent.and_then(num),
    }
}

/// The measures of one photo over its shared regions.
struct Measures {
    values: BTreeMap<String, Option<f64>>,
}

fn texture_value(img: &ImageReport, keys: &[&str], prefix: &str) -> Option<f64> {
    for k in keys {
        if let Some(Some(v)) = img.texture.get(*k) {
            return Some(*v);
        }
    }
    img.texture
        .iter()
        .find(|(k, v)| k.starts_with(prefix) && v.is_some())
        .and_then(|(_, v)| *v)
}

/// Measures of one photo: `area_factor` converts its px² to the reported unit (before-frame px² or mm²).
fn measures(img: &ImageReport, regions: &[&Region], area_factor: f64) -> Measures {
    let mut values = BTreeMap::new();
    let scars: Vec<&&Region> = regions.iter().filter(|r| r.subtype.is_scar()).collect();
    values.insert("scar_count".to_string(), Some(scars.len() as f64));
    for s in Subtype::ALL {
        let n = regions.iter().filter(|r| r.subtype == s).count();
        values.insert(format!("count_{}", s.as_str()), Some(n as f64));
    }
    values.insert(
        "scar_area".into(),
        Some(scars.iter().map(|r| r.area_px).sum::<f64>() * area_factor),
    );
    let total: f64 = scars.iter().map(|r| r.depth_proxy.abs()).sum();
    values.insert("depth_proxy_total".into(), Some(total));
    values.insert(
        "depth_proxy_mean".into(),
        if scars.is_empty() {
            None
        } else {
            Some(total / scars.len() as f64)
        },
    );
    values.insert(
        "roughness".into(),
        texture_value(img, &["roughness_rq", "roughness"], "roughness"),
    );
    let region_redness = {
        let v: Vec<f64> = regions
            .iter()
            .filter_map(|r| r.features.get("delta_a").copied().flatten())
            .collect();
        if v.is_empty() {
            None
        } else {
            Some(v.iter().sum::<f64>() / v.len() as f64)
        }
    };
    values.insert(
        "redness".into(),
        texture_value(img, &["redness"], "redness_").or(region_redness),
    );
    values.insert(
        "goodman_baron_quantitative".into(),
        img.summary
            .as_ref()
            .and_then(|s| s.goodman_baron_quantitative),
    );
    Measures { values }
}

/// All changes of a pair; `after_area_factor` is `1 / scale²` (times `1 / px_per_mm²` when known).
pub fn changes(
    before: &ImageReport,
    after: &ImageReport,
    shared_b: &[usize],
    shared_a: &[usize],
    before_area_factor: f64,
    after_area_factor: f64,
) -> BTreeMap<String, Change> {
    let rb: Vec<&Region> = shared_b.iter().map(|&i| &before.regions[i]).collect();
    let ra: Vec<&Region> = shared_a.iter().map(|&j| &after.regions[j]).collect();
    let mb = measures(before, &rb, before_area_factor);
    let ma = measures(after, &ra, after_area_factor);
    mb.values
        .iter()
        .map(|(k, vb)| (k.clone(), change(*vb, ma.values.get(k).copied().flatten())))
        .collect()
}

/// Standard normal cumulative distribution Φ(x), from the error function approximation of Abramowitz &
/// Stegun 7.1.26 (absolute error below 1.5e-7).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Confidence 0..1 of a verdict from the pair's relief ratio and the repeat-photo spread `sd` of its log:
/// `2Φ(|ln r| / sd) − 1` for a change, one minus that for `no_clear_change`; `None` without a ratio or a
/// usable spread.
pub fn verdict_confidence(v: ChangeVerdict, ratio: Option<f64>, sd: f64) -> Option<f64> {
    let r = ratio.filter(|r| r.is_finite() && *r > 0.0)?;
    if !(sd.is_finite() && sd > 0.0) {
        return None;
    }
    let stands_out = 2.0 * normal_cdf(r.ln().abs() / sd) - 1.0;
    Some(match v {
        ChangeVerdict::Improved | ChangeVerdict::Worse => stands_out,
        ChangeVerdict::NoClearChange => 1.0 - stands_out,
    })
}

/// What the depth measures say together: the sign, its reasons, the reasons within noise, and whether a relief
/// change beyond its line was set aside because the floor darkening did not confirm it.
struct DepthSign {
    /// −1 shallower, +1 deeper, 0 within noise.
    dir: i8,
    signs: Vec<String>,
    quiet: Vec<String>,
    vetoed: bool,
}

/// −1 when `x` is at or below `−line`, +1 at or above `line`, else 0.
fn side(x: f64, line: f64) -> i8 {
    if x <= -line {
        -1
    } else if x >= line {
        1
    } else {
        0
    }
}

/// Which way the scars' depth moved by the relief index (relative change `rel`, noise line `line`) and, where
/// the floors are visibly dark, their darkening (`dark`, see [`super::darkening`]).
///
/// The relief index also moves with the light's elevation (±5° moved it by up to ~20 % on scenes 300–329 and
/// more on others), the floor darkening hardly. So where the darkening can see depth, a relief change counts
/// only when the darkening moved the same way by `darkening_confirm` of its level; and a darkening change
/// beyond `darkening_alone` of its level (never less than `darkening_confirm`) counts when the relief index
/// moved the same way, however little.
fn depth_sign(
    rel: f64,
    line: f64,
    relief_msg: String,
    dark: Option<&Darkening>,
    t: &VerdictThresholds,
) -> DepthSign {
    let relief_dir = side(rel, line);
    let sign = |dir: i8, signs: Vec<String>, quiet: Vec<String>| DepthSign {
        dir,
        signs,
        quiet,
        vetoed: false,
    };
    let floors = |d: &Darkening| {
        let share = |e: f64| {
            let pc = 100.0 * super::darkening::darker_share(e);
            if pc >= 0.0 {
                format!("{pc:.0} % darker")
            } else {
                format!("{:.0} % brighter", -pc)
            }
        };
        let s = if d.scars == 1 { "" } else { "s" };
        format!(
            "scar floors {} → {} than the skin around them ({} scar{s})",
            share(d.before),
            share(d.after),
            d.scars
        )
    };
    // Without floors dark enough to see depth, the relief index decides alone.
    let Some(d) = dark.filter(|d| d.level() <= -t.darkening_level) else {
        let why = dark.map(|d| {
            format!(
                "{}: too faint to tell depth, the relief index decides alone",
                floors(d)
            )
        });
        return match relief_dir {
            0 => sign(0, vec![], std::iter::once(relief_msg).chain(why).collect()),
            dir => sign(dir, vec![relief_msg], why.into_iter().collect()),
        };
    };
    // (A profile's `darkening_level` of 0 lets a zero level through: never divide by it.)
    let (level, change) = (d.level().abs().max(1e-12), d.change());
    let info = format!(
        "{}; their darkening {} by {:.0} % of its level",
        floors(d),
        if change < 0.0 { "grew" } else { "shrank" },
        100.0 * change.abs() / level
    );
    // A deeper scar's floor darkens: the darkening's sign of depth is that of −change.
    let moved = |part: f64| side(-change / level, part);
    let alone_part = t.darkening_alone.max(t.darkening_confirm);
    let alone = moved(alone_part);
    if relief_dir != 0 && moved(t.darkening_confirm) == relief_dir {
        sign(relief_dir, vec![relief_msg, info], vec![])
    } else if relief_dir != 0 {
        let why = format!(
            "{info}: not {:.0} % the same way as the relief index, which a change of the light's height \
             alone moves",
            100.0 * t.darkening_confirm
        );
        DepthSign {
            vetoed: true,
            ..sign(0, vec![], vec![relief_msg, why])
        }
    } else if alone as f64 * rel > 0.0 {
        let signs = vec![
            format!("{info}: beyond {:.0} % of its level", 100.0 * alone_part),
            format!("the relief index moved the same way: {relief_msg}"),
        ];
        sign(alone, signs, vec![])
    } else {
        sign(0, vec![], vec![relief_msg, info])
    }
}

/// The verdict and its plain reasons, from the changes, the scars' floor darkening (if it was read) and the
/// noise thresholds.
pub fn verdict(
    ch: &BTreeMap<String, Change>,
    dark: Option<&Darkening>,
    t: &VerdictThresholds,
) -> (ChangeVerdict, Vec<String>) {
    let mut better = Vec::new();
    let mut worse = Vec::new();
    let mut noise = Vec::new();
    let mut vetoed = false;
    let get = |k: &str| ch.get(k);
    // The depth sign: the median relief ratio over the scar places when it could be measured (light-
    // independent, same places in both photos), else the analysis' total depth proxy.
    let relief =
        get("relief_index").filter(|c| c.before.is_some_and(|b| b > 0.0) && c.after.is_some());
    let (depth_key, depth_name, depth_thr) = match relief {
        Some(_) => (
            "relief_index",
            "relief index at the lesion places",
            t.relief_relative,
        ),
        None => (
            "depth_proxy_total",
            "total scar depth proxy",
            t.depth_total_relative,
        ),
    };
    if let Some(c) = get(depth_key) {
        if let (Some(b), Some(a)) = (c.before, c.after) {
            let rel = (a - b) / b.max(1e-9);
            let msg = format!(
                "{depth_name} {:.3} → {:.3} ({:+.0} %; repeat-photo noise stays within ±{:.0} %)",
                b,
                a,
                100.0 * rel,
                100.0 * depth_thr
            );
            if b <= 0.0 && a <= 0.0 {
                noise.push("no scar relief in either photo".to_string());
            } else {
                let ds = depth_sign(rel, depth_thr, msg, relief.and(dark), t);
                match ds.dir {
                    d if d < 0 => better.extend(ds.signs),
                    d if d > 0 => worse.extend(ds.signs),
                    _ => {}
                }
                noise.extend(ds.quiet);
                vetoed = ds.vetoed;
            }
        }
    }
    // The scar count is a sign of its own only when no relief ratio could be measured: between repeat photos
    // of one scene the detected count moved by up to 3 (and it even fell when the scars were made deeper),
    // so next to the relief ratio it is reported but neither decides nor vetoes.
    if let Some(c) = get("scar_count") {
        if let (Some(b), Some(a)) = (c.before, c.after) {
            let need = (t.count_relative * b).max(t.count_absolute);
            let msg = format!(
                "scar count {} → {} (change needed beyond noise: {:.0})",
                b, a, need
            );
            let decides = relief.is_none();
            if a - b <= -need && decides {
                better.push(msg);
            } else if a - b >= need && decides {
                worse.push(msg);
            } else if decides {
                noise.push(msg);
            } else {
                noise.push(format!(
                    "{msg}; the count is unreliable between photos, the relief ratio decides"
                ));
            }
        }
    }
    let mut gb_against = |better: &Vec<String>, worse: &Vec<String>| -> Option<(bool, String)> {
        let c = get("goodman_baron_quantitative")?;
        let d = c.delta?;
        let msg = format!(
            "Goodman & Baron quantitative estimate {} → {} ({:+.0} points; under ~{:.0} points is noise, domain.md §2)",
            c.before.unwrap_or(0.0),
            c.after.unwrap_or(0.0),
            d,
            t.goodman_baron_points
        );
        if d.abs() < t.goodman_baron_points {
            noise.push(msg);
            None
        } else if d < 0.0 {
            Some((!worse.is_empty(), msg))
        } else {
            Some((!better.is_empty(), msg))
        }
    };
    let gb = gb_against(&better, &worse);
    let gb_improves = ch
        .get("goodman_baron_quantitative")
        .and_then(|c| c.delta)
        .is_some_and(|d| d < 0.0);
    let mut reasons = Vec::new();
    let verdict = match (better.is_empty(), worse.is_empty()) {
        (false, true) if !matches!(gb, Some((true, _))) => {
            reasons.extend(better.iter().map(|m| format!("better: {m}")));
            if let Some((_, m)) = &gb {
                reasons.push(format!("agrees: {m}"));
            }
            ChangeVerdict::Improved
        }
        (true, false) if !matches!(gb, Some((true, _))) => {
            reasons.extend(worse.iter().map(|m| format!("worse: {m}")));
            if let Some((_, m)) = &gb {
                reasons.push(format!("agrees: {m}"));
            }
            ChangeVerdict::Worse
        }
        (true, true) => {
            reasons.push(if vetoed {
                "the relief index changed beyond repeat-photo noise, but the scars' floor darkening did not \
                 confirm it, so no clear change is claimed"
                    .to_string()
            } else {
                "no measure changed by more than repeat-photo noise".to_string()
            });
            if let Some((_, m)) = &gb {
                reasons.push(format!(
                    "{} on its own, but depth and count do not confirm it: {m}",
                    if gb_improves {
                        "the score improved"
                    } else {
                        "the score worsened"
                    }
                ));
            }
            ChangeVerdict::NoClearChange
        }
        _ => {
            reasons.push("the measures disagree, so no clear change is claimed".to_string());
            reasons.extend(better.iter().map(|m| format!("better: {m}")));
            reasons.extend(worse.iter().map(|m| format!("worse: {m}")));
            if let Some((_, m)) = &gb {
                reasons.push(format!(
                    "{}: {m}",
                    if gb_improves { "better" } else { "worse" }
                ));
            }
            ChangeVerdict::NoClearChange
        }
    };
    reasons.extend(noise.iter().map(|m| format!("within noise: {m}")));
    (verdict, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict on a relief index `1 → ratio` and, if given, floors `before → after` darker (shares).
    fn judge(ratio: f64, floors: Option<(f64, f64)>) -> (ChangeVerdict, Vec<String>) {
        let mut ch = BTreeMap::new();
        ch.insert("relief_index".to_string(), change(Some(1.0), Some(ratio)));
        let dark = floors.map(|(b, a)| Darkening {
            scars: 3,
            before: (1.0 - b).ln(),
            after: (1.0 - a).ln(),
        });
        verdict(&ch, dark.as_ref(), &VerdictThresholds::default())
    }

    #[test]
    fn the_floor_darkening_confirms_vetoes_or_adds_to_the_relief_index() {
        let v = |ratio, floors| judge(ratio, floors).0;
        use ChangeVerdict::*;
        // Without floors, or with floors as bright as the skin, the relief index decides alone.
        assert_eq!(v(1.3, None), Worse);
        assert_eq!(v(0.7, None), Improved);
        assert_eq!(v(1.1, None), NoClearChange);
        assert_eq!(v(1.3, Some((0.01, 0.01))), Worse);
        // Floors 40 % darker in both photos: a +30 % relief index alone is the light's height, not depth.
        assert_eq!(v(1.3, Some((0.4, 0.4))), NoClearChange);
        let (_, why) = judge(1.3, Some((0.4, 0.4)));
        assert!(why.iter().any(|r| r.contains("did not confirm")), "{why:?}");
        // The floors darkened with it (ln 0.6 → ln 0.45: −0.29 on a level of −0.66, 44 %): worse, with both
        // reasons.
        let (w, why) = judge(1.3, Some((0.4, 0.55)));
        assert_eq!(w, Worse);
        assert!(
            why.iter()
                .any(|r| r.contains("scar floors 40 % darker → 55 % darker")),
            "{why:?}"
        );
        // Floors brighter than the skin say so, and are too faint to tell depth.
        let (w, why) = judge(1.3, Some((-0.05, -0.05)));
        assert_eq!(w, Worse);
        assert!(why.iter().any(|r| r.contains("5 % brighter")), "{why:?}");
        // They brightened instead: no clear change.
        assert_eq!(v(1.3, Some((0.4, 0.25))), NoClearChange);
        // Shallower: the floors brighten and the index falls.
        assert_eq!(v(0.6, Some((0.5, 0.25))), Improved);
        // A darkening beyond 60 % of its level counts alone when the index moved the same way at all…
        assert_eq!(v(1.05, Some((0.3, 0.6))), Worse);
        assert_eq!(v(0.95, Some((0.6, 0.3))), Improved);
        // … and not when the index moved the other way, or the darkening moved less.
        assert_eq!(v(0.95, Some((0.3, 0.6))), NoClearChange);
        assert_eq!(v(1.05, Some((0.4, 0.45))), NoClearChange);
        // Swapping the photos mirrors the verdict.
        assert_eq!(v(1.0 / 1.3, Some((0.55, 0.4))), Improved);
    }

    #[test]
    fn verdict_confidence_measures_the_change_against_repeat_noise() {
        // Φ at a few known points (tables: Φ(1) = 0.841345, Φ(1.96) = 0.975002, Φ(-1) = 0.158655).
        for (x, p) in [
            (0.0, 0.5),
            (1.0, 0.841_345),
            (1.96, 0.975_002),
            (-1.0, 0.158_655),
        ] {
            assert!((normal_cdf(x) - p).abs() < 1e-6, "Phi({x})");
        }
        let sd: f64 = 0.14;
        // A change of exactly one noise deviation: 2 Φ(1) − 1 = 0.6827 for a change, the rest for none.
        let r = sd.exp();
        let c = verdict_confidence(ChangeVerdict::Worse, Some(r), sd).unwrap_or(f64::NAN);
        assert!((c - 0.682_689).abs() < 1e-5, "{c}");
        let n = verdict_confidence(ChangeVerdict::NoClearChange, Some(r), sd).unwrap_or(f64::NAN);
        assert!((n - (1.0 - c)).abs() < 1e-12);
        // Halving and doubling stand out equally; a halving is near-certain against a 0.14 spread.
        let down = verdict_confidence(ChangeVerdict::Improved, Some(0.5), sd).unwrap_or(f64::NAN);
        let up = verdict_confidence(ChangeVerdict::Worse, Some(2.0), sd).unwrap_or(f64::NAN);
        assert!((down - up).abs() < 1e-12 && down > 0.999, "{down} {up}");
        // No ratio, a non-positive ratio or no usable spread: no confidence.
        assert_eq!(verdict_confidence(ChangeVerdict::Worse, None, sd), None);
        assert_eq!(
            verdict_confidence(ChangeVerdict::Worse, Some(0.0), sd),
            None
        );
        assert_eq!(
            verdict_confidence(ChangeVerdict::Worse, Some(1.2), 0.0),
            None
        );
        assert_eq!(
            verdict_confidence(ChangeVerdict::Worse, Some(1.2), f64::NAN),
            None
        );
    }

    fn ch(pairs: &[(&str, f64, f64)]) -> BTreeMap<String, Change> {
        pairs
            .iter()
            .map(|(k, b, a)| (k.to_string(), change(Some(*b), Some(*a))))
            .collect()
    }

    #[test]
    fn percent_is_null_when_before_is_zero() {
        let c = change(Some(0.0), Some(3.0));
        assert_eq!(c.delta, Some(3.0));
        assert_eq!(c.percent, None);
        let c = change(Some(4.0), Some(3.0));
        assert_eq!(c.percent, Some(-25.0));
    }

    #[test]
    fn verdict_needs_change_beyond_noise() {
        let t = VerdictThresholds::default();
        let (v, _) = verdict(
            &ch(&[("depth_proxy_total", 1.0, 0.5), ("scar_count", 10.0, 8.0)]),
            None,
            &t,
        );
        assert_eq!(v, ChangeVerdict::Improved);
        let (v, _) = verdict(
            &ch(&[("depth_proxy_total", 1.0, 1.6), ("scar_count", 10.0, 10.0)]),
            None,
            &t,
        );
        assert_eq!(v, ChangeVerdict::Worse);
        let (v, r) = verdict(
            &ch(&[("depth_proxy_total", 1.0, 1.1), ("scar_count", 10.0, 11.0)]),
            None,
            &t,
        );
        assert_eq!(v, ChangeVerdict::NoClearChange);
        assert!(r.iter().any(|s| s.contains("within noise")));
        // With a relief ratio, it decides and the count only informs.
        let (v, _) = verdict(
            &ch(&[("relief_index", 1.0, 0.6), ("scar_count", 10.0, 16.0)]),
            None,
            &t,
        );
        assert_eq!(v, ChangeVerdict::Improved);
        let (v, _) = verdict(
            &ch(&[("relief_index", 1.0, 1.1), ("depth_proxy_total", 1.0, 0.3)]),
            None,
            &t,
        );
        assert_eq!(v, ChangeVerdict::NoClearChange);
        // Depth better but count clearly worse: disagreement is not a verdict.
        let (v, _) = verdict(
            &ch(&[("depth_proxy_total", 1.0, 0.5), ("scar_count", 10.0, 16.0)]),
            None,
            &t,
        );
        assert_eq!(v, ChangeVerdict::NoClearChange);
        // A Goodman & Baron move of 3 points alone is noise (domain.md §2).
        let (v, _) = verdict(
            &ch(&[
                ("depth_proxy_total", 1.0, 1.0),
                ("scar_count", 10.0, 10.0),
                ("goodman_baron_quantitative", 12.0, 9.0),
            ]),
            None,
            &t,
        );
        assert_eq!(v, ChangeVerdict::NoClearChange);
    }
}
