//! Scores of `analyze` reports against image-level labels of real photos (`evaluate --labels`).
//!
//! Definitions (an image whose analysis failed counts as wrong in every figure it enters; a share whose
//! denominator is 0 is `null`):
//! - `atrophic_vs_raised_balanced_accuracy`: over images labelled `atrophic` or `raised`, the mean of the two
//!   recalls, an image being right when `summary.dominant` is `atrophic` (atrophic) or `hypertrophic`
//!   (raised); `none` is wrong.
//! - `confusion`: label family → predicted `summary.dominant` (or `error`) → count.
//! - `verdict`: `atrophic_typical` is the share of atrophic images with verdict `typical`; the other four
//!   are the shares of raised, active, flat and clear images whose verdict is not `typical`.
//! - `active_flagged`: share of `active` images with `summary.active_inflammation` true.
//! - `subtype_accuracy`: over images with a labelled subtype, share whose `summary.dominant_subtype` equals it.
//! - `by_source`: the same figures per source key (the repository part of `source`, before `@`).
//! - `by_size`: the same figures per band of the photo's long side ([`SIZE_BANDS`]; `unknown` where the photo
//!   could not be read that far), since on real photos the size of a photo is entangled with its source and
//!   its family.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::labels::{Family, LabelRow};
use crate::report::{ImageReport, Status, Verdict};

/// A share with the counts behind it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Share {
    /// Images counted right.
    pub right: usize,
    /// Images counted.
    pub of: usize,
}

impl Share {
    /// right / of, `None` when nothing was counted.
    pub fn value(&self) -> Option<f64> {
        (self.of > 0).then(|| self.right as f64 / self.of as f64)
    }
    fn add(&mut self, right: bool) {
        self.of += 1;
        self.right += right as usize;
    }
}

/// The verdict shares per labelled family.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerdictShares {
    /// Atrophic images with verdict `typical`.
    pub atrophic_typical: Share,
    /// Raised images whose verdict is not `typical`.
    pub raised_not_typical: Share,
    /// Active images whose verdict is not `typical`.
    pub active_not_typical: Share,
    /// Flat images whose verdict is not `typical`.
    pub flat_not_typical: Share,
    /// Clear images whose verdict is not `typical`.
    pub clear_not_typical: Share,
}

/// The figures over one set of images.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Images scored.
    pub images: usize,
    /// Images whose analysis failed.
    pub errors: usize,
    /// Atrophic images called `atrophic`.
    pub atrophic_recall: Share,
    /// Raised images called `hypertrophic`.
    pub raised_recall: Share,
    /// Label family → predicted dominant (or `error`) → count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Verdict shares.
    pub verdict: VerdictShares,
    /// Active images flagged with active inflammation.
    pub active_flagged: Share,
    /// Images whose labelled subtype equals the dominant subtype.
    pub subtype: Share,
    /// Family answers (`summary.family`) equal to the label.
    pub family: Share,
    /// Among answers given with `family_confidence` >= 0.8, those equal to the label.
    pub confident_family: Share,
}

/// One labelled image's outcome, the unit every figure is built from.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    /// The label.
    pub label: &'a LabelRow,
    /// The image's report (`None` or an error report when the analysis failed).
    pub report: Option<&'a ImageReport>,
}

impl Figures {
    /// Adds one image.
    pub fn add(&mut self, o: &Outcome) {
        self.images += 1;
        let ok = o
            .report
            .filter(|r| r.status == Status::Ok && r.summary.is_some());
        if ok.is_none() {
            self.errors += 1;
        }
        let summary = ok.and_then(|r| r.summary.as_ref());
        let verdict = ok.and_then(|r| r.microneedling.as_ref()).map(|m| m.verdict);
        let predicted = summary.map_or("error", |s| s.dominant.as_str());
        *self
            .confusion
            .entry(o.label.family.as_str().to_string())
            .or_default()
            .entry(predicted.to_string())
            .or_default() += 1;
        // A failed image is wrong everywhere: never `typical` for atrophic, never "not typical" elsewhere.
        let typical = verdict.map(|v| v == Verdict::Typical);
        let not_typical = verdict.map(|v| v != Verdict::Typical).unwrap_or(false);
        let v = &mut self.verdict;
        match o.label.family {
            Family::Atrophic => {
                self.atrophic_recall.add(predicted == "atrophic");
                v.atrophic_typical.add(typical.unwrap_or(false));
            }
            Family::Raised => {
                self.raised_recall.add(predicted == "hypertrophic");
                v.raised_not_typical.add(not_typical);
            }
            Family::Active => {
                v.active_not_typical.add(not_typical);
                self.active_flagged
                    .add(summary.is_some_and(|s| s.active_inflammation));
            }
            Family::Flat => v.flat_not_typical.add(not_typical),
            Family::Clear => v.clear_not_typical.add(not_typical),
        }
        let fam = summary.and_then(|s| s.family);
        self.family.add(fam == Some(o.label.family));
        if let Some(s) = summary.filter(|s| s.family.is_some() && s.family_confidence >= 0.8) {
            self.confident_family.add(s.family == Some(o.label.family));
        }
        if let Some(want) = o.label.subtype {
            self.subtype
                .add(summary.and_then(|s| s.dominant_subtype) == Some(want));
        }
    }

    /// Mean of the atrophic and raised recalls; `None` unless both families have images.
    pub fn balanced_accuracy(&self) -> Option<f64> {
        Some((self.atrophic_recall.value()? + self.raised_recall.value()?) / 2.0)
    }

    /// The figures as JSON under the contract's keys (shares as numbers; counts under `counts`).
    pub fn to_json(&self) -> serde_json::Value {
        let v = &self.verdict;
        let share = |s: &Share| serde_json::json!(s.value());
        let count = |s: &Share| serde_json::json!({"right": s.right, "of": s.of});
        serde_json::json!({
            "images": self.images,
            "errors": self.errors,
            "atrophic_vs_raised_balanced_accuracy": self.balanced_accuracy(),
            "confusion": self.confusion,
            "verdict": {
                "atrophic_typical": share(&v.atrophic_typical),
                "raised_not_typical": share(&v.raised_not_typical),
                "active_not_typical": share(&v.active_not_typical),
                "flat_not_typical": share(&v.flat_not_typical),
                "clear_not_typical": share(&v.clear_not_typical),
            },
            "active_flagged": share(&self.active_flagged),
            "subtype_accuracy": share(&self.subtype),
            "family_accuracy": share(&self.family),
            "confident_family_accuracy": share(&self.confident_family),
            "counts": {
                "atrophic_called_atrophic": count(&self.atrophic_recall),
                "raised_called_hypertrophic": count(&self.raised_recall),
                "atrophic_typical": count(&v.atrophic_typical),
                "raised_not_typical": count(&v.raised_not_typical),
                "active_not_typical": count(&v.active_not_typical),
                "flat_not_typical": count(&v.flat_not_typical),
                "clear_not_typical": count(&v.clear_not_typical),
                "active_flagged": count(&self.active_flagged),
                "subtype": count(&self.subtype),
                "family": count(&self.family),
                "confident_family": count(&self.confident_family),
            },
        })
    }
}

/// Figures over every image and per source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelScores {
    /// Over every labelled image.
    pub all: Figures,
    /// Per source key (only when the labels have a `source` column).
    pub by_source: BTreeMap<String, Figures>,
    /// Per band of the long side: the band's first px ([`SIZE_BANDS`]; `u32::MAX` for unknown).
    pub by_size: BTreeMap<u32, Figures>,
}

/// Where the long-side bands of `by_size` begin, px; each runs to the next one's start.
pub const SIZE_BANDS: [u32; 5] = [0, 160, 320, 640, 1280];

/// The band of a long side (its first px; `u32::MAX` when unknown).
pub fn size_band(long_side: Option<u32>) -> u32 {
    long_side.map_or(u32::MAX, |side| {
        SIZE_BANDS
            .iter()
            .copied()
            .rfind(|&from| side >= from)
            .unwrap_or(0)
    })
}

/// A band's name: `0-159 px`, …, `1280+ px`, or `unknown`.
///
/// ```
/// use scarscope::evaluate::real::{size_band, size_band_name};
/// assert_eq!(size_band_name(size_band(Some(640))), "640-1279 px");
/// assert_eq!(size_band_name(size_band(Some(4000))), "1280+ px");
/// assert_eq!(size_band_name(size_band(None)), "unknown");
/// ```
pub fn size_band_name(from: u32) -> String {
    match SIZE_BANDS.iter().position(|&b| b == from) {
        Some(i) if i + 1 < SIZE_BANDS.len() => format!("{from}-{} px", SIZE_BANDS[i + 1] - 1),
        Some(_) => format!("{from}+ px"),
        None => "unknown".into(),
    }
}

/// Scores the outcomes.
pub fn score(outcomes: &[Outcome]) -> LabelScores {
    let mut s = LabelScores::default();
    for o in outcomes {
        s.all.add(o);
        if let Some(k) = o.label.source_key() {
            s.by_source.entry(k).or_default().add(o);
        }
        let side = o
            .report
            .and_then(|r| r.width.into_iter().chain(r.height).max());
        s.by_size.entry(size_band(side)).or_default().add(o);
    }
    s
}

impl LabelScores {
    /// The JSON document: the overall figures at the top level, plus `by_source` when sources are known.
    pub fn to_json(&self) -> serde_json::Value {
        let mut doc = self.all.to_json();
        if !self.by_source.is_empty() {
            let by: serde_json::Map<String, serde_json::Value> = self
                .by_source
                .iter()
                .map(|(k, f)| (k.clone(), f.to_json()))
                .collect();
            doc["by_source"] = serde_json::Value::Object(by);
        }
        let by: serde_json::Map<String, serde_json::Value> = self
            .by_size
            .iter()
            .map(|(&k, f)| (size_band_name(k), f.to_json()))
            .collect();
        doc["by_size"] = serde_json::Value::Object(by);
        doc
    }

    /// A readable table: the confusion matrix and every figure with its counts, then one line per source.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let f = &self.all;
        let _ = writeln!(t, "{} images, {} failed", f.images, f.errors);
        t.push_str(&confusion_table(&f.confusion));
        t.push_str(&figure_lines(f));
        if !self.by_source.is_empty() {
            let _ = writeln!(t, "\nper source (right/of):");
            t.push_str(&row_header("source"));
            for (k, s) in &self.by_source {
                t.push_str(&row(k, s));
            }
        }
        let _ = writeln!(t, "\nper long side of the photo (right/of):");
        t.push_str(&row_header("long side"));
        for (&k, s) in &self.by_size {
            t.push_str(&row(&size_band_name(k), s));
        }
        t
    }
}

/// The header line of the per-source and per-size tables.
fn row_header(first: &str) -> String {
    let names = [
        "atro→atro",
        "rais→hyp",
        "atro typ",
        "active flg",
        "act ¬typ",
        "clear ¬typ",
        "subtype",
    ];
    table_line(first, "images", names.map(String::from))
}

/// One line of the per-source and per-size tables.
fn row(name: &str, s: &Figures) -> String {
    let shares = [
        &s.atrophic_recall,
        &s.raised_recall,
        &s.verdict.atrophic_typical,
        &s.active_flagged,
        &s.verdict.active_not_typical,
        &s.verdict.clear_not_typical,
        &s.subtype,
    ];
    table_line(name, &s.images.to_string(), shares.map(frac))
}

/// The columns of the per-source and per-size tables: a name, a count, seven shares.
fn table_line(first: &str, count: &str, cells: [String; 7]) -> String {
    let mut line = format!("{:<44} {count:>6}", truncate(first, 44));
    for c in cells {
        let _ = write!(line, " {c:>11}");
    }
    line.push('\n');
    line
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n - 1).collect();
        format!("{cut}…")
    }
}

fn frac(s: &Share) -> String {
    if s.of == 0 {
        "-".into()
    } else {
        format!("{}/{}", s.right, s.of)
    }
}

fn pct(s: &Share) -> String {
    match s.value() {
        Some(v) => format!("{:5.1} % ({}/{})", 100.0 * v, s.right, s.of),
        None => "    - (no images)".into(),
    }
}

fn confusion_table(c: &BTreeMap<String, BTreeMap<String, usize>>) -> String {
    let cols = ["atrophic", "hypertrophic", "none", "error"];
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nlabel \\ dominant {:>9} {:>12} {:>6} {:>6}",
        cols[0], cols[1], cols[2], cols[3]
    );
    for fam in Family::ALL {
        let Some(row) = c.get(fam.as_str()) else {
            continue;
        };
        let g = |k: &str| row.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            t,
            "{:<17} {:>9} {:>12} {:>6} {:>6}",
            fam.as_str(),
            g(cols[0]),
            g(cols[1]),
            g(cols[2]),
            g(cols[3])
        );
    }
    t
}

fn figure_lines(f: &Figures) -> String {
    let ba = f
        .balanced_accuracy()
        .map_or("-".to_string(), |v| format!("{v:.3}"));
    let mut t = format!("\natrophic_vs_raised_balanced_accuracy  {ba}\n");
    let v = &f.verdict;
    for (name, share) in [
        ("  atrophic called atrophic", &f.atrophic_recall),
        ("  raised called hypertrophic", &f.raised_recall),
        ("verdict.atrophic_typical", &v.atrophic_typical),
        ("verdict.raised_not_typical", &v.raised_not_typical),
        ("verdict.active_not_typical", &v.active_not_typical),
        ("verdict.flat_not_typical", &v.flat_not_typical),
        ("verdict.clear_not_typical", &v.clear_not_typical),
        ("active_flagged", &f.active_flagged),
        ("subtype_accuracy", &f.subtype),
        ("family_accuracy (5 families)", &f.family),
        ("  of answers with confidence >= 0.8", &f.confident_family),
    ] {
        let _ = writeln!(t, "{name:<37} {}", pct(share));
    }
    t
}
