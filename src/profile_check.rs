//! Validation of a rule profile before it is used: every number finite and within its range.
//!
//! The check walks the parsed TOML generically, so a key added to the profile later is covered without
//! touching this file. The rules, by key name (the profile's keys follow these naming conventions):
//!
//! - every float is finite (TOML allows `inf` and `nan`, and a threshold of either silently disables a test or
//!   hangs a search); every integer is non-negative (all integer settings are counts or sizes);
//! - every number is non-negative, except the signed quantities: keys holding `delta` (a difference of
//!   CIELAB values), `ln_` (a log ratio) or ending in `_level` (a log-luminance level), and the scoring
//!   table's `[decision]` weights, means and knots, which may be negative;
//! - keys ending in `_step` are ratios between successive scales and must exceed 1;
//! - a pair of numbers (`[from, to]`) must not run backwards;
//! - the registration search of `compare` is a grid over rotation × scale whose size follows its two limits,
//!   so they are bounded: [`MAX_ROTATION_DEG`] and [`MAX_SCALE_CHANGE`] (a wider search is not a repeat photo
//!   of the same area any more, and the grid would take hours).
//!
//! The first problem found is returned as one line naming the key, e.g.
//! `compare.registration.max_rotation_deg = inf: must be a finite number`.

/// Largest profile file read (a profile is a few kB; this keeps `--profile /dev/zero` from reading forever).
pub const MAX_PROFILE_BYTES: u64 = 1 << 20;

/// Largest `compare.registration.max_rotation_deg` accepted, degrees.
pub const MAX_ROTATION_DEG: f64 = 90.0;

/// Largest `compare.registration.max_scale_change` accepted (1.0 = half to double size).
pub const MAX_SCALE_CHANGE: f64 = 1.0;

/// Checks a parsed profile table (after the user's file was laid over the built-in one).
pub fn check(table: &toml::Table) -> anyhow::Result<()> {
    let mut path = Vec::new();
    check_table(table, &mut path)?;
    let reg = table
        .get("compare")
        .and_then(|c| c.get("registration"))
        .and_then(|r| r.as_table());
    if let Some(reg) = reg {
        for (key, max) in [
            ("max_rotation_deg", MAX_ROTATION_DEG),
            ("max_scale_change", MAX_SCALE_CHANGE),
        ] {
            if let Some(v) = reg.get(key).and_then(number) {
                if v > max {
                    anyhow::bail!(
                        "compare.registration.{key} = {}: must be at most {max}",
                        show(v)
                    );
                }
            }
        }
    }
    Ok(())
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

fn check_table(table: &toml::Table, path: &mut Vec<String>) -> anyhow::Result<()> {
    for (k, v) in table {
        path.push(k.clone());
        check_value(k, v, path)?;
        path.pop();
    }
    Ok(())
}

fn check_value(key: &str, v: &toml::Value, path: &mut Vec<String>) -> anyhow::Result<()> {
    match v {
        toml::Value::Table(t) => check_table(t, path),
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                let r = check_value(key, item, path);
                path.pop();
                r?;
            }
            let pair: Vec<f64> = items.iter().filter_map(number).collect();
            if items.len() == 2 && pair.len() == 2 && pair[0] > pair[1] {
                anyhow::bail!(
                    "{} = [{}, {}]: a range [from, to] must not run backwards",
                    dotted(path),
                    show(pair[0]),
                    show(pair[1])
                );
            }
            Ok(())
        }
        toml::Value::Float(f) => check_number(key, *f, path),
        toml::Value::Integer(i) => check_number(key, *i as f64, path),
        _ => Ok(()),
    }
}

fn check_number(key: &str, x: f64, path: &[String]) -> anyhow::Result<()> {
    let name = dotted(path);
    let x_text = show(x);
    if !x.is_finite() {
        anyhow::bail!("{name} = {x_text}: must be a finite number");
    }
    // The scoring table's weights, feature means and knots are signed by nature (analysis/decide.rs).
    let table = path.first().is_some_and(|p| p == "decision")
        && path
            .iter()
            .any(|p| p == "weights" || p == "mean" || p == "knots");
    let signed = table || key.contains("delta") || key.contains("ln_") || key.ends_with("_level");
    if x < 0.0 && !signed {
        anyhow::bail!("{name} = {x_text}: must not be negative");
    }
    if key.ends_with("_step") && x <= 1.0 {
        anyhow::bail!("{name} = {x_text}: is a ratio between successive scales and must exceed 1");
    }
    Ok(())
}

/// A number as a person wrote it: `1e300`, not three hundred digits.
fn show(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// `a.b.c[1]` from the path's parts.
fn dotted(path: &[String]) -> String {
    let mut s = String::new();
    for p in path {
        if !s.is_empty() && !p.starts_with('[') {
            s.push('.');
        }
        s.push_str(p);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_text(text: &str) -> anyhow::Result<()> {
        let t: toml::Table = toml::from_str(text)?;
        check(&t)
    }

    #[test]
    fn builtin_profile_passes() {
        let t: toml::Table = toml::from_str(crate::profile::DEFAULT_TOML).expect("parses");
        check(&t).expect("the built-in profile is valid");
    }

    #[test]
    fn non_finite_and_out_of_range_values_name_their_key() {
        let cases = [
            (
                "[compare.registration]\nmax_rotation_deg = inf\n",
                "compare.registration.max_rotation_deg = inf: must be a finite number",
            ),
            (
                "[compare.registration]\nmax_rotation_deg = 1e300\n",
                "compare.registration.max_rotation_deg = 1e300: must be at most 90",
            ),
            (
                "[compare.registration]\nmax_scale_change = inf\n",
                "compare.registration.max_scale_change = inf: must be a finite number",
            ),
            (
                "[detect]\nmin_z = nan\n",
                "detect.min_z = NaN: must be a finite number",
            ),
            (
                "[detect]\nmin_z = -inf\n",
                "detect.min_z = -inf: must be a finite number",
            ),
            (
                "[detect]\nmin_radius_mm = -1.0\n",
                "detect.min_radius_mm = -1: must not be negative",
            ),
            (
                "[light]\nmax_blobs = -3\n",
                "light.max_blobs = -3: must not be negative",
            ),
            (
                "[prepare]\nmouth_below_eyes = [1.0, nan]\n",
                "prepare.mouth_below_eyes[1] = NaN: must be a finite number",
            ),
            (
                "[prepare]\nmouth_below_eyes = [1.8, 0.7]\n",
                "prepare.mouth_below_eyes = [1.8, 0.7]: a range [from, to] must not run backwards",
            ),
            (
                "[detect]\nscale_step = 1.0\n",
                "detect.scale_step = 1: is a ratio between successive scales and must exceed 1",
            ),
        ];
        for (text, want) in cases {
            let err = check_text(text).expect_err(text);
            assert_eq!(err.to_string(), want, "{text}");
        }
    }

    #[test]
    fn signed_quantities_may_be_negative() {
        check_text("[classify]\nkeloid_dusky_delta_b = -6.0\nsoft_pit_min_level = -0.1\n")
            .expect("signed keys");
        check_text("[prepare]\nskin_ln_gb = [-0.2, 0.7]\n").expect("log-ratio range");
    }
}
