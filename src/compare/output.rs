//! Writers of the compare report: one JSON document, JSON lines (one PAIR per line), CSV (one row per pair)
//! or a readable table; and the batch summary over the pairs.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::cli::Format;
use crate::output::csv_field;
use crate::report::{Status, ToolInfo, SCHEMA_VERSION};

use super::report::{CompareBatch, CompareReport, CompareSettings, MedianChange, PairReport};

/// Measures shown in CSV and table output, in this order.
pub const MAIN_MEASURES: &[&str] = &[
    "scar_count",
    "scar_area",
    "depth_proxy_total",
    "depth_proxy_mean",
    "roughness",
    "redness",
    "goodman_baron_quantitative",
    "relief_index",
    "relief_ratio",
    "floor_darkening",
];

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    };
    crate::report::num(m)
}

/// Totals over the pairs, with median changes and the unpaired files.
pub fn batch_summary(
    pairs: &[PairReport],
    unpaired_before: Vec<String>,
    unpaired_after: Vec<String>,
    skipped_non_image: usize,
) -> CompareBatch {
    let mut b = CompareBatch {
        unpaired_before,
        unpaired_after,
        skipped_non_image,
        ..Default::default()
    };
    for v in ["improved", "no_clear_change", "worse"] {
        b.verdicts.insert(v.to_string(), 0);
    }
    let mut deltas: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for p in pairs {
        b.pairs += 1;
        match p.status {
            Status::Ok => b.ok += 1,
            Status::Error => b.failed += 1,
        }
        if let Some(v) = p.verdict {
            *b.verdicts.entry(v.as_str().to_string()).or_default() += 1;
        }
        if p.status == Status::Ok {
            for (k, c) in &p.changes {
                let e = deltas.entry(k.clone()).or_default();
                if let Some(d) = c.delta {
                    e.0.push(d);
                }
                if let Some(pc) = c.percent {
                    e.1.push(pc);
                }
            }
        }
    }
    b.median_change = deltas
        .into_iter()
        .map(|(k, (d, pc))| {
            (
                k,
                MedianChange {
                    pairs: d.len(),
                    delta: median(d),
                    percent: median(pc),
                },
            )
        })
        .collect();
    b
}

/// Writes the whole report in `format`.
pub fn write_report(
    out: &mut impl Write,
    format: Format,
    report: &CompareReport,
) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            out.write_all(b"\n")
        }
        Format::Jsonl => {
            for p in &report.pairs {
                serde_json::to_writer(&mut *out, p)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Csv => write_csv(out, &report.pairs),
        Format::Table => write_table(out, report),
    }
}

/// A report document from its parts.
pub fn document(
    settings: CompareSettings,
    pairs: Vec<PairReport>,
    batch: CompareBatch,
) -> CompareReport {
    CompareReport {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::current(),
        settings,
        pairs,
        batch,
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// CSV header: pair fields, registration, normalisation, then `<measure>_{before,after,delta,percent}`.
pub fn csv_header() -> Vec<String> {
    let mut h: Vec<String> = [
        "id",
        "before",
        "after",
        "status",
        "error",
        "verdict",
        "verdict_confidence",
        "rotation_deg",
        "scale",
        "shift_x",
        "shift_y",
        "registration_confidence",
        "gain_r",
        "gain_g",
        "gain_b",
        "exposure_ratio",
        "regions_improved",
        "regions_unchanged",
        "regions_worse",
        "regions_resolved",
        "regions_new",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for m in MAIN_MEASURES {
        for part in ["before", "after", "delta", "percent"] {
            h.push(format!("{m}_{part}"));
        }
    }
    h.push("reasons".into());
    h
}

fn write_csv(out: &mut impl Write, pairs: &[PairReport]) -> io::Result<()> {
    writeln!(out, "{}", csv_header().join(","))?;
    for p in pairs {
        let reg = p.registration.as_ref();
        let nm = p.normalisation.as_ref();
        let count = |s: &str| {
            p.regions
                .iter()
                .filter(|m| m.status.as_str() == s)
                .count()
                .to_string()
        };
        let mut row = vec![
            csv_field(&p.id),
            csv_field(&p.before.path),
            csv_field(&p.after.path),
            if p.status == Status::Ok {
                "ok".into()
            } else {
                "error".into()
            },
            csv_field(p.error.as_deref().unwrap_or("")),
            p.verdict
                .map(|v| v.as_str().to_string())
                .unwrap_or_default(),
            opt(p.verdict_confidence),
            opt(reg.and_then(|r| r.rotation_deg)),
            opt(reg.and_then(|r| r.scale)),
            opt(reg.and_then(|r| r.shift_px[0])),
            opt(reg.and_then(|r| r.shift_px[1])),
            opt(reg.map(|r| r.confidence)),
            opt(nm.map(|n| n.gain_rgb[0])),
            opt(nm.map(|n| n.gain_rgb[1])),
            opt(nm.map(|n| n.gain_rgb[2])),
            opt(nm.map(|n| n.exposure_ratio)),
        ];
        for s in ["improved", "unchanged", "worse", "resolved", "new"] {
            row.push(count(s));
        }
        for m in MAIN_MEASURES {
            let c = p.changes.get(*m);
            row.push(opt(c.and_then(|c| c.before)));
            row.push(opt(c.and_then(|c| c.after)));
            row.push(opt(c.and_then(|c| c.delta)));
            row.push(opt(c.and_then(|c| c.percent)));
        }
        row.push(csv_field(&p.reasons.join("; ")));
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

fn fmt(v: Option<f64>) -> String {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x:.0}"),
        Some(x) => format!("{x:.3}"),
        None => "-".into(),
    }
}

fn write_table(out: &mut impl Write, report: &CompareReport) -> io::Result<()> {
    for (i, p) in report.pairs.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}: {} → {}", p.id, p.before.path, p.after.path)?;
        if let Some(r) = &p.registration {
            writeln!(
                out,
                "  alignment: rotation {}°, scale {}, shift [{}, {}] px, confidence {:.2}, overlap {:.0} %",
                fmt(r.rotation_deg),
                fmt(r.scale),
                fmt(r.shift_px[0]),
                fmt(r.shift_px[1]),
                r.confidence,
                r.overlap * 100.0
            )?;
        }
        if p.status == Status::Error {
            writeln!(out, "  ERROR: {}", p.error.as_deref().unwrap_or("failed"))?;
            continue;
        }
        if let Some(n) = &p.normalisation {
            writeln!(
                out,
                "  colours: after photo {:.2}× as bright; gains R {:.3} G {:.3} B {:.3} applied",
                n.exposure_ratio, n.gain_rgb[0], n.gain_rgb[1], n.gain_rgb[2]
            )?;
        }
        // Widths come from the values, so a large change (`-128.13`) cannot push its row out of line.
        let mut rows = vec![["measure", "before", "after", "delta", "percent"]
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()];
        for m in MAIN_MEASURES {
            if let Some(c) = p.changes.get(*m) {
                let pc = c
                    .percent
                    .map(|x| format!("{x:+.0} %"))
                    .unwrap_or_else(|| "-".into());
                rows.push(vec![
                    m.to_string(),
                    fmt(c.before),
                    fmt(c.after),
                    fmt(c.delta),
                    pc,
                ]);
            }
        }
        crate::output::write_columns(out, "  ", &rows, "<>>>>")?;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &p.regions {
            *counts.entry(m.status.as_str()).or_default() += 1;
        }
        let c: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(
            out,
            "  regions: {}",
            if c.is_empty() {
                "none".into()
            } else {
                c.join(", ")
            }
        )?;
        if let Some(v) = p.verdict {
            match p.verdict_confidence {
                Some(c) => writeln!(out, "  verdict: {} (confidence {c:.2})", v.as_str())?,
                None => writeln!(out, "  verdict: {}", v.as_str())?,
            }
        }
        for r in &p.reasons {
            writeln!(out, "    - {r}")?;
        }
    }
    let b = &report.batch;
    let v = |k: &str| b.verdicts.get(k).copied().unwrap_or(0);
    writeln!(
        out,
        "{} pairs: {} improved, {} no clear change, {} worse, {} failed",
        b.pairs,
        v("improved"),
        v("no_clear_change"),
        v("worse"),
        b.failed
    )?;
    for u in &b.unpaired_before {
        writeln!(out, "unpaired before photo: {u}")?;
    }
    for u in &b.unpaired_after {
        writeln!(out, "unpaired after photo: {u}")?;
    }
    writeln!(out, "\n{}", crate::report::NOTICE)
}
