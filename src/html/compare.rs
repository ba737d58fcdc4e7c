//! The HTML report of `scarscope compare --html FILE`: one row per before/after pair (pair, status, verdict
//! and its confidence, scar counts, relief change, region changes) with the pair's overlay thumbnail,
//! reasons, alignment and photo notes, and the summary with a chart of the verdicts.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{bar_chart, esc, list, num, Bar, Cell, Column, Facet, Page, Thumbnail};
use crate::compare::output::MAIN_MEASURES;
use crate::compare::overlay::status_legend;
use crate::compare::report::{CompareReport, PairReport};
use crate::report::{ImageReport, Status};

/// Table columns, in order.
const COLUMNS: [Column; 9] = [
    Column {
        label: "#",
        numeric: true,
    },
    Column {
        label: "Pair",
        numeric: false,
    },
    Column {
        label: "Status",
        numeric: false,
    },
    Column {
        label: "Verdict",
        numeric: false,
    },
    Column {
        label: "Confidence",
        numeric: true,
    },
    Column {
        label: "Scars before → after",
        numeric: true,
    },
    Column {
        label: "Relief change %",
        numeric: true,
    },
    Column {
        label: "Improved / worse regions",
        numeric: true,
    },
    Column {
        label: "New regions",
        numeric: true,
    },
];

/// Verdict names and chart colours, in chart order.
const VERDICTS: [(&str, &str); 3] = [
    ("improved", "#2e9e44"),
    ("no_clear_change", "#9a9a9a"),
    ("worse", "#c0392b"),
];

/// The legend of the pair overlays' colours, shown once above the table.
fn legend_html() -> String {
    let mut s = String::from("<p class=\"legend\">Overlay outlines:");
    for it in status_legend() {
        if let Some(c) = it.swatch {
            let _ = write!(
                s,
                "<span class=\"sw\" style=\"background:#{:02x}{:02x}{:02x}\"></span>",
                c[0], c[1], c[2]
            );
        }
        s.push_str(&esc(&it.text));
    }
    s.push_str(
        ". Left the before photo, right the after photo turned and scaled onto it (black where it shows \
         nothing).</p>",
    );
    s
}

/// Writes the whole HTML report of a compare run into `out`; `thumbs[i]` is pair i's overlay thumbnail.
pub fn write_compare_html(
    out: impl Write,
    report: &CompareReport,
    thumbs: &[Option<Thumbnail>],
) -> io::Result<()> {
    let facets = [
        Facet {
            name: "status",
            label: "Status",
            values: vec!["ok".into(), "error".into()],
        },
        Facet {
            name: "verdict",
            label: "Verdict",
            values: VERDICTS.iter().map(|v| v.0.to_string()).collect(),
        },
    ];
    let st = &report.settings;
    let subtitle = format!(
        "scarscope {} · profile {} · scale {} · pairs formed from {}",
        report.tool.version,
        st.profile,
        st.px_per_mm
            .map_or("unknown".to_string(), |p| format!("{p} px/mm")),
        st.pairing.replace('_', " ")
    );
    let mut page = Page::begin(
        out,
        "scarscope compare report",
        &subtitle,
        "Pairs",
        &COLUMNS,
        &facets,
        &legend_html(),
    )?;
    let mut cannot_assess: Vec<String> = Vec::new();
    let mut errors: Vec<(usize, String, String)> = Vec::new();
    for (i, p) in report.pairs.iter().enumerate() {
        let index = i + 1;
        let ok = p.status == Status::Ok;
        let status = if ok { "ok" } else { "error" };
        let verdict = p.verdict.map(|v| v.as_str()).unwrap_or("none");
        let change = |m: &str| p.changes.get(m);
        let scars = change("scar_count");
        let (sb, sa) = (scars.and_then(|c| c.before), scars.and_then(|c| c.after));
        let relief = change("relief_index").and_then(|c| c.percent);
        let count = |s: &str| p.regions.iter().filter(|m| m.status.as_str() == s).count();
        let (improved, worse, new) = (count("improved"), count("worse"), count("new"));
        let cells = [
            Cell::index(index),
            Cell::text(&p.id),
            Cell::status(ok, status),
            Cell::verdict(verdict),
            Cell::number(p.verdict_confidence, 2),
            Cell {
                html: format!("{} → {}", num(sb, 0), num(sa, 0)),
                sort: sb.map(|x| x.to_string()).unwrap_or_default(),
            },
            Cell::number(relief, 0),
            Cell {
                html: if ok {
                    format!("{improved} / {worse}")
                } else {
                    "–".into()
                },
                sort: if ok {
                    (improved as i64 - worse as i64).to_string()
                } else {
                    String::new()
                },
            },
            Cell {
                html: if ok { new.to_string() } else { "–".into() },
                sort: if ok { new.to_string() } else { String::new() },
            },
        ];
        let search = format!(
            "{} {} {} {status} {verdict}",
            p.id, p.before.path, p.after.path
        );
        if let Some(e) = &p.error {
            errors.push((index, p.id.clone(), e.clone()));
        }
        for side in [&p.before, &p.after] {
            for c in side
                .microneedling
                .iter()
                .flat_map(|m| m.cannot_assess.iter())
            {
                if !cannot_assess.contains(c) {
                    cannot_assess.push(c.clone());
                }
            }
        }
        let picture = match thumbs.get(i).and_then(|t| t.as_ref()) {
            Some(t) => t.img_tag(&format!("overlay of pair {}", p.id)),
            None => String::new(),
        };
        page.item(
            &cells,
            &[("status", status), ("verdict", verdict)],
            &search,
            &picture,
            &pair_details(p),
        )?;
    }
    let b = &report.batch;
    let mut s = String::from("<h2>Summary</h2>");
    let _ = write!(
        s,
        "<p class=\"totals\"><span><b>{}</b> pairs</span><span><b>{}</b> compared</span>\
         <span><b>{}</b> failed</span><span>{} unpaired photos</span></p>",
        b.pairs,
        b.ok,
        b.failed,
        b.unpaired_before.len() + b.unpaired_after.len()
    );
    let mut bars: Vec<Bar> = VERDICTS
        .iter()
        .map(|(v, c)| Bar {
            label: v,
            count: b.verdicts.get(*v).copied().unwrap_or(0),
            colour: c,
        })
        .collect();
    bars.push(Bar {
        label: "error",
        count: b.failed,
        colour: "#333333",
    });
    let _ = write!(
        s,
        "<div class=\"charts\">{}</div>",
        bar_chart("Verdict", &bars)
    );
    if let Some(m) = b.median_change.get("relief_index") {
        let _ = write!(
            s,
            "<p>Median relief change over {} pairs: {} %.</p>",
            m.pairs,
            num(m.percent, 0)
        );
    }
    if !cannot_assess.is_empty() {
        let _ = write!(
            s,
            "<h2>What no photo can show</h2><p>Ask about these before any treatment; they hold for every \
             pair above.</p>{}",
            list(&cannot_assess)
        );
    }
    if !errors.is_empty() {
        s.push_str("<h2>Errors</h2><ul id=\"errors\">");
        for (i, id, msg) in &errors {
            let _ = write!(
                s,
                "<li><a href=\"#item-{i}\">{}</a>: {}</li>",
                esc(id),
                esc(msg)
            );
        }
        s.push_str("</ul>");
    }
    for (label, files) in [
        ("Before photos without a pair", &b.unpaired_before),
        ("After photos without a pair", &b.unpaired_after),
    ] {
        if !files.is_empty() {
            let _ = write!(s, "<h2>{label}</h2>{}", list(files));
        }
    }
    page.end(&s)?;
    Ok(())
}

/// One photo's facts: size, light, quality and its notes.
fn photo_facts(label: &str, r: &ImageReport) -> String {
    let mut parts = Vec::new();
    if let (Some(w), Some(h)) = (r.width, r.height) {
        parts.push(format!("{w}×{h} px"));
    }
    match r.lighting.as_ref().and_then(|l| l.azimuth_deg) {
        Some(a) => parts.push(format!("light from {a:.0}°")),
        None => parts.push("light direction unknown".into()),
    }
    if let Some(q) = &r.quality {
        parts.push(format!("skin {:.0} %", q.skin_fraction * 100.0));
        parts.push(if q.usable {
            "usable".into()
        } else {
            "not usable".into()
        });
    }
    if let Some(e) = &r.error {
        parts.push(format!("error: {e}"));
    }
    let notes = r
        .quality
        .as_ref()
        .map(|q| list(&q.notes))
        .unwrap_or_default();
    format!(
        "<p class=\"facts\"><b>{label}:</b> {} — {}</p>{notes}",
        esc(&r.path),
        esc(&parts.join(" · "))
    )
}

/// The details of a pair: verdict reasons, alignment, colours, measures and photo notes.
fn pair_details(p: &PairReport) -> String {
    let mut s = String::new();
    if let Some(e) = &p.error {
        let _ = write!(s, "<p class=\"err\">Not compared: {}</p>", esc(e));
    }
    if let Some(v) = p.verdict {
        let _ = write!(
            s,
            "<p class=\"facts\"><b>Verdict:</b> <span class=\"v-{}\">{}</span>{}</p>",
            esc(v.as_str()),
            esc(&v.as_str().replace('_', " ")),
            p.verdict_confidence
                .map(|c| format!(" (confidence {c:.2})"))
                .unwrap_or_default()
        );
    }
    s.push_str(&list(&p.reasons));
    if let Some(r) = &p.registration {
        let _ = write!(
            s,
            "<p class=\"facts\"><b>Alignment:</b> {}rotation {}°, scale {}, shift [{}, {}] px, confidence \
             {:.2}, overlap {:.0} %</p>",
            if r.ok { "" } else { "<span class=\"err\">not the same area</span> · " },
            num(r.rotation_deg, 1),
            num(r.scale, 3),
            num(r.shift_px[0], 0),
            num(r.shift_px[1], 0),
            r.confidence,
            r.overlap * 100.0
        );
    }
    if let Some(n) = &p.normalisation {
        let _ = write!(
            s,
            "<p class=\"facts\"><b>Colours:</b> after photo {:.2}× as bright; gains R {:.3} G {:.3} B {:.3} \
             applied</p>",
            n.exposure_ratio, n.gain_rgb[0], n.gain_rgb[1], n.gain_rgb[2]
        );
    }
    s.push_str(&photo_facts("Before", &p.before));
    s.push_str(&photo_facts("After", &p.after));
    let rows: Vec<String> = MAIN_MEASURES
        .iter()
        .filter_map(|m| {
            p.changes.get(*m).map(|c| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&m.replace('_', " ")),
                    num(c.before, 3),
                    num(c.after, 3),
                    num(c.delta, 3),
                    num(c.percent, 0)
                )
            })
        })
        .collect();
    if !rows.is_empty() {
        let _ = write!(
            s,
            "<details><summary>measures</summary><table><tr><th>measure</th><th>before</th><th>after</th>\
             <th>delta</th><th>%</th></tr>{}</table></details>",
            rows.concat()
        );
    }
    s
}
