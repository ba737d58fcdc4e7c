//! The HTML report of `scarscope analyze --html FILE`: one row per photo (path, status, verdict, family,
//! dominant subtype, lesion counts, confidence) with its overlay thumbnail, reasons and notes, and the batch
//! summary with charts of the verdicts and families.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{bar_chart, esc, list, num, Bar, Cell, Column, Facet, Page, Thumbnail};
use crate::cli::CommonArgs;
use crate::output::AtomicOutput;
use crate::overlay::{class_colour, class_label, subtype_code, subtype_words, CLASSES};
use crate::report::{BatchSummary, Family, ImageReport, ScaleSource, Settings, Status, Subtype};

/// Table columns, in order.
const COLUMNS: [Column; 8] = [
    Column {
        label: "#",
        numeric: true,
    },
    Column {
        label: "Path",
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
        label: "Family",
        numeric: false,
    },
    Column {
        label: "Dominant",
        numeric: false,
    },
    Column {
        label: "Lesions",
        numeric: true,
    },
    Column {
        label: "Confidence",
        numeric: true,
    },
];

/// Verdict names and chart colours, in chart order.
const VERDICTS: [(&str, &str); 3] = [
    ("typical", "#2e9e44"),
    ("not_typical", "#c0392b"),
    ("uncertain", "#9a9a9a"),
];

/// Chart colour of a picture family (the class colours of the overlays where there is one).
fn family_colour(f: Option<Family>) -> String {
    let hex = |c: image::Rgb<u8>| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
    use crate::report::RegionClass as C;
    match f {
        Some(Family::Atrophic) => hex(class_colour(C::Atrophic)),
        Some(Family::Raised) => hex(class_colour(C::Hypertrophic)),
        Some(Family::Active) => hex(class_colour(C::Inflammatory)),
        Some(Family::Flat) => hex(class_colour(C::Flat)),
        Some(Family::Clear) => "#7fb3a3".to_string(),
        None => "#b0b0b0".to_string(),
    }
}

/// The legend of the overlay colours and codes, shown once above the table.
fn legend_html() -> String {
    let mut s = String::from("<p class=\"legend\">Overlay outlines:");
    for c in CLASSES {
        let rgb = class_colour(c);
        let codes: Vec<String> = Subtype::ALL
            .iter()
            .filter(|s| s.class() == c)
            .map(|&s| format!("<b>{}</b> {}", subtype_code(s), esc(&subtype_words(s))))
            .collect();
        let _ = write!(
            s,
            "<span class=\"sw\" style=\"background:#{:02x}{:02x}{:02x}\"></span>{}: {}",
            rgb[0],
            rgb[1],
            rgb[2],
            esc(class_label(c)),
            codes.join(", ")
        );
    }
    s.push_str(".</p>");
    s
}

/// Writes the HTML report of an `analyze` run, photo by photo.
pub struct AnalyzeHtml<W: Write> {
    page: Page<W>,
    families: BTreeMap<Option<Family>, usize>,
    cannot_assess: Vec<String>,
    errors: Vec<(usize, String, String)>,
    index: usize,
}

impl AnalyzeHtml<AtomicOutput> {
    /// Opens `--html FILE` (replaced atomically on [`AnalyzeHtml::finish`]; see [`super::open`]); `None`
    /// when not asked for.
    ///
    /// Call it before the work: a folder, an unwritable place or the file of `-o` is refused at once.
    pub fn create(common: &CommonArgs, settings: &Settings) -> anyhow::Result<Option<Self>> {
        let Some(out) = super::open(common)? else {
            return Ok(None);
        };
        Ok(Some(AnalyzeHtml::new(out, settings)?))
    }

    /// Writes the summary and renames the file into place.
    pub fn finish(self, batch: &BatchSummary) -> anyhow::Result<()> {
        self.end(batch)?.commit()
    }
}

impl<W: Write> AnalyzeHtml<W> {
    /// Starts a report into `out`.
    pub fn new(out: W, settings: &Settings) -> io::Result<Self> {
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
            Facet {
                name: "family",
                label: "Family",
                values: Family::ALL
                    .iter()
                    .map(|f| f.as_str().to_string())
                    .chain(std::iter::once("uncertain".to_string()))
                    .collect(),
            },
        ];
        let page = Page::begin(
            out,
            "scarscope analyze report",
            &settings_line(settings),
            "Images",
            &COLUMNS,
            &facets,
            &legend_html(),
        )?;
        Ok(AnalyzeHtml {
            page,
            families: BTreeMap::new(),
            cannot_assess: Vec::new(),
            errors: Vec::new(),
            index: 0,
        })
    }

    /// Writes one photo's row and details; `thumb` is its overlay thumbnail.
    pub fn image(&mut self, r: &ImageReport, thumb: Option<&Thumbnail>) -> io::Result<()> {
        self.index += 1;
        let ok = r.status == Status::Ok;
        let status = if ok { "ok" } else { "error" };
        let verdict = r
            .microneedling
            .as_ref()
            .map(|m| m.verdict.as_str())
            .unwrap_or("none");
        let summary = r.summary.as_ref();
        let family = summary.map(|s| s.family);
        let family_name = match family {
            Some(Some(f)) => f.as_str(),
            Some(None) => "uncertain",
            None => "none",
        };
        if let Some(f) = family {
            *self.families.entry(f).or_default() += 1;
        }
        let dominant = summary
            .and_then(|s| s.dominant_subtype)
            .map(subtype_words)
            .unwrap_or_else(|| if ok { "none".into() } else { "–".into() });
        let total: u32 = summary.map(|s| s.counts.values().sum()).unwrap_or(0);
        let breakdown: Vec<String> = summary
            .map(|s| {
                Subtype::ALL
                    .iter()
                    .filter_map(|st| {
                        let n = s.counts.get(st.as_str()).copied().unwrap_or(0);
                        (n > 0).then(|| format!("{} {n}", subtype_code(*st)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let lesions = Cell {
            html: if ok {
                format!(
                    "{total}{}",
                    if breakdown.is_empty() {
                        String::new()
                    } else {
                        format!(" <small>({})</small>", esc(&breakdown.join(", ")))
                    }
                )
            } else {
                "–".into()
            },
            sort: if ok { total.to_string() } else { String::new() },
        };
        let cells = [
            Cell::index(self.index),
            Cell::text(&r.path),
            Cell::status(ok, status),
            Cell::verdict(verdict),
            Cell::text(family_name),
            Cell::text(&dominant),
            lesions,
            Cell::number(summary.map(|s| s.family_confidence), 2),
        ];
        let search = format!("{} {status} {verdict} {family_name} {dominant}", r.path);
        let picture = match thumb {
            Some(t) => t.img_tag(&format!("overlay of {}", r.path)),
            None => String::new(),
        };
        let details = if ok {
            self.details(r)
        } else {
            let msg = r.error.clone().unwrap_or_else(|| "failed".into());
            self.errors.push((self.index, r.path.clone(), msg.clone()));
            let size = match (r.width, r.height) {
                (Some(w), Some(h)) => format!(" ({w}×{h} px)"),
                _ => String::new(),
            };
            format!("<p class=\"err\">Not analysed{size}: {}</p>", esc(&msg))
        };
        self.page.item(
            &cells,
            &[
                ("status", status),
                ("verdict", verdict),
                ("family", family_name),
            ],
            &search,
            &picture,
            &details,
        )
    }

    /// The details of an analysed photo: verdict reasons, scale, light, quality and notes.
    fn details(&mut self, r: &ImageReport) -> String {
        let mut s = String::new();
        if let Some(m) = &r.microneedling {
            let _ = write!(
                s,
                "<p class=\"facts\"><b>Microneedling:</b> <span class=\"v-{}\">{}</span></p>{}",
                esc(m.verdict.as_str()),
                esc(&m.verdict.as_str().replace('_', " ")),
                list(&m.reasons)
            );
            for c in &m.cannot_assess {
                if !self.cannot_assess.contains(c) {
                    self.cannot_assess.push(c.clone());
                }
            }
        }
        let size = match (r.width, r.height) {
            (Some(w), Some(h)) => format!("{w}×{h} px"),
            _ => "size unknown".into(),
        };
        let scale = match (r.px_per_mm, r.scale_source) {
            (Some(p), ScaleSource::Flag) => format!("{} px/mm (given)", num(Some(p), 2)),
            (Some(p), _) => format!("{} px/mm (estimated)", num(Some(p), 2)),
            (None, _) => "unknown: sizes in px only".into(),
        };
        let light = match r.lighting.as_ref() {
            Some(l) => match l.azimuth_deg {
                Some(a) => format!("from {a:.0}° (confidence {:.2})", l.confidence),
                None => "direction unknown (flat light)".into(),
            },
            None => "unknown".into(),
        };
        let _ = write!(
            s,
            "<p class=\"facts\"><b>Photo:</b> {size} · <b>Scale:</b> {} · <b>Light:</b> {}</p>",
            esc(&scale),
            esc(&light)
        );
        if let Some(q) = &r.quality {
            let mut parts = vec![
                format!("skin {:.0} %", q.skin_fraction * 100.0),
                if q.usable {
                    "usable".into()
                } else {
                    "not usable".into()
                },
            ];
            if let Some(x) = q.sharpness {
                parts.push(format!("sharpness {x:.1}"));
            }
            if let Some(x) = q.exposure {
                parts.push(format!("exposure {x:.2}"));
            }
            if let Some(x) = q.glare_fraction {
                parts.push(format!("glare {:.1} %", x * 100.0));
            }
            if let (Some(t), Some(ita)) = (&q.skin_tone, q.ita_deg) {
                parts.push(format!("skin tone {} (ITA {ita:.0}°)", t.replace('_', " ")));
            }
            let _ = write!(
                s,
                "<p class=\"facts\"><b>Quality:</b> {}</p>{}",
                esc(&parts.join(" · ")),
                list(&q.notes)
            );
        }
        if let Some(sm) = &r.summary {
            let picture = match sm.family {
                Some(f) => format!("{} (confidence {:.2})", f.as_str(), sm.family_confidence),
                None => "uncertain".into(),
            };
            let gb = match (sm.goodman_baron_qualitative, sm.goodman_baron_quantitative) {
                (Some(g), Some(n)) => {
                    format!(" · Goodman & Baron estimates: grade {g}, score {n:.0}")
                }
                (Some(g), None) => format!(" · Goodman & Baron estimate: grade {g}"),
                _ => String::new(),
            };
            let _ = write!(
                s,
                "<p class=\"facts\"><b>Picture:</b> {}{} · <b>active acne:</b> {}</p>{}",
                esc(&picture),
                esc(&gb),
                if sm.active_inflammation { "yes" } else { "no" },
                list(&sm.notes)
            );
        }
        if !r.regions.is_empty() {
            // The summary's counts are of the regions at or above its confidence threshold; the rest are
            // listed (and drawn grey in the thumbnail) but not counted.
            let counted: u32 = r.summary.as_ref().map_or(0, |sm| sm.counts.values().sum());
            let _ = write!(
                s,
                "<details><summary>{} regions, {} counted</summary><table><tr><th>id</th><th>code</th>\
                 <th>subtype</th><th>relief</th><th>diam. px</th><th>diam. mm</th><th>depth</th>\
                 <th>conf.</th></tr>",
                r.regions.len(),
                counted
            );
            for g in &r.regions {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                     <td>{}</td></tr>",
                    g.id,
                    subtype_code(g.subtype),
                    esc(&subtype_words(g.subtype)),
                    g.relief.as_str(),
                    num(Some(g.diameter_px), 1),
                    num(g.diameter_mm, 1),
                    num(Some(g.depth_proxy), 2),
                    num(Some(g.confidence), 2)
                );
            }
            s.push_str("</table></details>");
        }
        s
    }

    /// Closes the page with the batch summary; returns the writer.
    pub fn end(self, batch: &BatchSummary) -> io::Result<W> {
        let mut s = String::from("<h2>Summary</h2>");
        let _ = write!(
            s,
            "<p class=\"totals\"><span><b>{}</b> images</span><span><b>{}</b> analysed</span>\
             <span><b>{}</b> failed</span><span><b>{}</b> with active acne</span>{}</p>",
            batch.images,
            batch.ok,
            batch.failed,
            batch.active_inflammation,
            if batch.skipped_non_image > 0 {
                format!(
                    "<span>{} non-image files skipped</span>",
                    batch.skipped_non_image
                )
            } else {
                String::new()
            }
        );
        let mut verdicts: Vec<Bar> = VERDICTS
            .iter()
            .map(|(v, c)| Bar {
                label: v,
                count: batch.verdicts.get(*v).copied().unwrap_or(0),
                colour: c,
            })
            .collect();
        verdicts.push(Bar {
            label: "error",
            count: batch.failed,
            colour: "#333333",
        });
        let fam_colours: Vec<(String, String, usize)> = Family::ALL
            .iter()
            .map(|&f| Some(f))
            .chain(std::iter::once(None))
            .map(|f| {
                (
                    f.map_or("uncertain", |f| f.as_str()).to_string(),
                    family_colour(f),
                    self.families.get(&f).copied().unwrap_or(0),
                )
            })
            .collect();
        let families: Vec<Bar> = fam_colours
            .iter()
            .map(|(l, c, n)| Bar {
                label: l,
                count: *n,
                colour: c,
            })
            .collect();
        let dominant: Vec<Bar> = [
            ("atrophic", "#0096ff"),
            ("hypertrophic", "#ff00dc"),
            ("none", "#b0b0b0"),
        ]
        .iter()
        .map(|(d, c)| Bar {
            label: d,
            count: batch.dominant.get(*d).copied().unwrap_or(0),
            colour: c,
        })
        .collect();
        let _ = write!(
            s,
            "<div class=\"charts\">{}{}{}</div>",
            bar_chart("Microneedling verdict", &verdicts),
            bar_chart("Picture family", &families),
            bar_chart("Dominant scar family", &dominant)
        );
        if !self.cannot_assess.is_empty() {
            let _ = write!(
                s,
                "<h2>What no photo can show</h2><p>Ask about these before any treatment; they hold for every \
                 photo above.</p>{}",
                list(&self.cannot_assess)
            );
        }
        if !self.errors.is_empty() {
            s.push_str("<h2>Errors</h2><ul id=\"errors\">");
            for (i, path, msg) in &self.errors {
                let _ = write!(
                    s,
                    "<li><a href=\"#item-{i}\">{}</a>: {}</li>",
                    esc(path),
                    esc(msg)
                );
            }
            s.push_str("</ul>");
        }
        self.page.end(&s)
    }
}

/// The line under the title: version and the settings of the run.
fn settings_line(s: &Settings) -> String {
    let scale = match s.px_per_mm {
        Some(p) => format!("{p} px/mm"),
        None => "unknown".into(),
    };
    format!(
        "scarscope {} · profile {} · scale {scale} · photos up to {} megapixels",
        env!("CARGO_PKG_VERSION"),
        s.profile,
        s.max_megapixels
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            px_per_mm: None,
            max_megapixels: 100.0,
            profile: "default".into(),
            working_max_side: None,
        }
    }

    #[test]
    fn names_and_messages_are_escaped_and_errors_listed() {
        let mut h = AnalyzeHtml::new(Vec::new(), &settings()).expect("begin");
        let bad = ImageReport::failed(
            "<img src=x onerror=alert(1)>.jpg".into(),
            "cannot decode <b>".into(),
            None,
            None,
        );
        let mut batch = BatchSummary::default();
        batch.add(&bad);
        h.image(&bad, None).expect("row");
        let page = String::from_utf8(h.end(&batch).expect("end")).expect("utf8");
        assert!(!page.contains("<img src=x"), "raw markup from a file name");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;.jpg"));
        assert!(page.contains("cannot decode &lt;b&gt;"));
        assert!(page.contains("<ul id=\"errors\"><li><a href=\"#item-1\">"));
        assert_eq!(page.matches(super::super::NOTICE).count(), 1);
        assert!(page.contains("default-src 'none'"), "no network requests");
        assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
    }
}
