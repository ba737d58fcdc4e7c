//! Region matching: before regions are mapped into the after frame with the registration and paired one-to-one
//! with after regions (greedy by normalised distance, within a radius scaled by size).
//!
//! Only regions inside the area both photos show take part: a before region whose centre maps outside the after
//! photo (or an after region whose centre maps outside the before photo) is out of view, not "resolved"/"new".

use crate::report::Region;

use super::geometry::Affine;
use super::profile::MatchingParams;
use super::report::{RegionMatch, RegionStatus};

/// Whether a point lies inside a `w`×`h` image at least `margin` px from its border.
fn inside(p: (f64, f64), w: u32, h: u32, margin: f64) -> bool {
    p.0 >= margin
        && p.1 >= margin
        && p.0 <= w as f64 - 1.0 - margin
        && p.1 <= h as f64 - 1.0 - margin
}

/// Indices of the regions inside the shared area: `(before, after)`.
pub fn shared(
    before: &[Region],
    after: &[Region],
    map: &Affine,
    before_size: (u32, u32),
    after_size: (u32, u32),
    margin: f64,
) -> (Vec<usize>, Vec<usize>) {
    let inv = map.inverse().unwrap_or(Affine::IDENTITY);
    let b = (0..before.len())
        .filter(|&i| {
            let c = before[i].center;
            inside((c[0], c[1]), before_size.0, before_size.1, margin)
                && inside(map.apply(c[0], c[1]), after_size.0, after_size.1, margin)
        })
        .collect();
    let a = (0..after.len())
        .filter(|&j| {
            let c = after[j].center;
            inside((c[0], c[1]), after_size.0, after_size.1, margin)
                && inside(inv.apply(c[0], c[1]), before_size.0, before_size.1, margin)
        })
        .collect();
    (b, a)
}

/// Status of a matched pair from its relief ratio (after/before), when measured.
pub fn status_from_ratio(ratio: f64, p: &MatchingParams) -> RegionStatus {
    if ratio <= 1.0 - p.region_relative_change {
        RegionStatus::Improved
    } else if ratio >= 1.0 + p.region_relative_change {
        RegionStatus::Worse
    } else {
        RegionStatus::Unchanged
    }
}

/// Status of a matched pair from the magnitudes of its depth proxies.
fn matched_status(db: f64, da: f64, p: &MatchingParams) -> RegionStatus {
    let change = da.abs() - db.abs();
    if change.abs() < p.region_absolute_change || change.abs() < p.region_relative_change * db.abs()
    {
        RegionStatus::Unchanged
    } else if change < 0.0 {
        RegionStatus::Improved
    } else {
        RegionStatus::Worse
    }
}

/// Pairs the shared regions one-to-one; returns the matches (sorted: matched by before id, then resolved, then
/// new) in a deterministic order.
pub fn match_regions(
    before: &[Region],
    after: &[Region],
    shared_b: &[usize],
    shared_a: &[usize],
    map: &Affine,
    p: &MatchingParams,
) -> Vec<RegionMatch> {
    let s = map.scale();
    let mut cands: Vec<(f64, usize, usize, f64)> = Vec::new();
    for &i in shared_b {
        let rb = &before[i];
        let (mx, my) = map.apply(rb.center[0], rb.center[1]);
        for &j in shared_a {
            let ra = &after[j];
            let d = ((ra.center[0] - mx).powi(2) + (ra.center[1] - my).powi(2)).sqrt();
            let radius =
                (p.radius_factor * (rb.diameter_px * s).max(ra.diameter_px)).max(p.min_radius_px);
            if d <= radius {
                cands.push((d / radius, i, j, d));
            }
        }
    }
    cands.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut used_b = vec![false; before.len()];
    let mut used_a = vec![false; after.len()];
    let mut out = Vec::new();
    for (_, i, j, d) in cands {
        if used_b[i] || used_a[j] {
            continue;
        }
        used_b[i] = true;
        used_a[j] = true;
        let (db, da) = (before[i].depth_proxy, after[j].depth_proxy);
        out.push(RegionMatch {
            before_id: Some(before[i].id),
            after_id: Some(after[j].id),
            status: matched_status(db, da, p),
            depth_proxy_change: crate::report::num(da - db),
            distance_px: crate::report::num(d),
            relief_ratio: None,
        });
    }
    out.sort_by_key(|m| m.before_id);
    for &i in shared_b {
        if !used_b[i] {
            out.push(RegionMatch {
                before_id: Some(before[i].id),
                after_id: None,
                status: RegionStatus::Resolved,
                depth_proxy_change: crate::report::num(-before[i].depth_proxy),
                distance_px: None,
                relief_ratio: None,
            });
        }
    }
    for &j in shared_a {
        if !used_a[j] {
            out.push(RegionMatch {
                before_id: None,
                after_id: Some(after[j].id),
                status: RegionStatus::New,
                depth_proxy_change: crate::report::num(after[j].depth_proxy),
                distance_px: None,
                relief_ratio: None,
            });
        }
    }
    out
}
