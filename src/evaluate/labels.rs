//! Labels file of real photos: one row per photo with its image-level family, optional subtype and source.
//!
//! The CSV has a header naming at least `file` and `family`; `subtype` and `source` are optional, other
//! columns are ignored. `file` is relative to the images folder. Every problem (a missing column, an unknown
//! family or subtype, an empty file name, a duplicate) is an error naming the line, so a typo never turns
//! into a silently wrong figure.
//!
//! ```
//! use scarscope::evaluate::labels::{parse_labels, Family};
//! let csv = "file,family,subtype,source\na.jpg,raised,keloid,me/set@1:a.jpg\nb.jpg,clear,,\n";
//! let rows = parse_labels(csv.as_bytes()).unwrap();
//! assert_eq!(rows[0].family, Family::Raised);
//! assert_eq!(rows[0].source_key().as_deref(), Some("me/set"));
//! assert_eq!(rows[1].subtype, None);
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use crate::report::Subtype;
use anyhow::{bail, Context};

pub use crate::report::Family;

/// One labelled photo.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRow {
    /// Line number in the CSV (the header is line 1).
    pub line: usize,
    /// File name relative to the images folder.
    pub file: String,
    /// Labelled family.
    pub family: Family,
    /// Labelled subtype, when the source names one.
    pub subtype: Option<Subtype>,
    /// Where the photo comes from (`repository@commit:path` or any text), when given.
    pub source: Option<String>,
}

impl LabelRow {
    /// The source's grouping key: the part before `@` (the repository), or the whole text.
    pub fn source_key(&self) -> Option<String> {
        self.source
            .as_deref()
            .map(|s| s.split('@').next().unwrap_or(s).trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The photograph this file is a copy of: the file stem without augmentation suffixes, so rotated and
    /// flipped copies of one photo share a group (calibration folds never split a group).
    pub fn group(&self) -> String {
        photo_group(&self.file)
    }
}

/// The grouping key of a file name: its stem, cut at a Roboflow-style `_jpg.rf.HASH` / `.rf.` export suffix
/// and at `_aug…`, `_rot…`, `_flip…` suffixes, lower-cased. Copies of one photograph get one key.
pub fn photo_group(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let lower = name.to_lowercase();
    let mut stem = match lower.rfind('.') {
        Some(i) if i > 0 => lower[..i].to_string(),
        _ => lower.clone(),
    };
    for cut in [".rf.", "_jpg.rf", "_jpeg.rf", "_png.rf"] {
        if let Some(i) = stem.find(cut) {
            stem.truncate(i);
        }
    }
    for cut in ["_aug", "_rot", "_flip", "_mirror", " (copy", " - copy"] {
        if let Some(i) = stem.find(cut) {
            if i > 0 {
                stem.truncate(i);
            }
        }
    }
    stem
}

/// Parses a subtype name of the contract (`ice_pick` … `erythematous`).
pub fn parse_subtype(s: &str) -> Option<Subtype> {
    Subtype::ALL.into_iter().find(|t| t.as_str() == s)
}

/// Reads a labels CSV from a file.
pub fn read_labels(path: &Path) -> anyhow::Result<Vec<LabelRow>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read labels {}", path.display()))?;
    parse_labels(&bytes[..]).with_context(|| format!("invalid labels file {}", path.display()))
}

/// Parses a labels CSV (header line first).
pub fn parse_labels(data: &[u8]) -> anyhow::Result<Vec<LabelRow>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(data);
    let header = rdr
        .headers()
        .context("line 1: cannot read the header")?
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let Some(file_col) = col("file") else {
        bail!("line 1: the header has no `file` column");
    };
    let Some(family_col) = col("family") else {
        bail!("line 1: the header has no `family` column");
    };
    let subtype_col = col("subtype");
    let source_col = col("source");
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("line {line}: unreadable CSV row"))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let file = get(file_col);
        if file.is_empty() {
            bail!("line {line}: empty `file`");
        }
        if !seen.insert(file.to_string()) {
            bail!("line {line}: `{file}` is listed twice");
        }
        let fam = get(family_col);
        let Some(family) = Family::parse(fam) else {
            bail!("line {line}: unknown family `{fam}` (atrophic, raised, active, flat or clear)");
        };
        let subtype = match subtype_col.map(get).unwrap_or("") {
            "" => None,
            s => Some(parse_subtype(s).with_context(|| {
                format!(
                    "line {line}: unknown subtype `{s}` (ice_pick, boxcar, rolling, hypertrophic, keloid, \
                     papule, pustule, pigmented, erythematous or empty)"
                )
            })?),
        };
        let source = source_col
            .map(get)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        rows.push(LabelRow {
            line,
            file: file.to_string(),
            family,
            subtype,
            source,
        });
    }
    if rows.is_empty() {
        bail!("no labelled photos (only a header)");
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line() {
        let e = |s: &str| format!("{:#}", parse_labels(s.as_bytes()).unwrap_err());
        assert!(e("name,family\na,clear\n").contains("no `file` column"));
        assert!(e("file,kind\na,clear\n").contains("no `family` column"));
        assert!(
            e("file,family\na.jpg,clear\nb.jpg,scar\n").contains("line 3: unknown family `scar`")
        );
        assert!(
            e("file,family,subtype\na.jpg,raised,big\n").contains("line 2: unknown subtype `big`")
        );
        assert!(
            e("file,family\na.jpg,clear\na.jpg,flat\n").contains("line 3: `a.jpg` is listed twice")
        );
        assert!(e("file,family\n,clear\n").contains("line 2: empty `file`"));
        assert!(e("file,family\n").contains("no labelled photos"));
        assert!(e("file,family\na.jpg,clear,extra\n").contains("line 2"));
    }

    #[test]
    fn quoted_names_and_extra_columns_are_read() {
        let rows = parse_labels(
            "\u{feff}file,width,family\n\"Box (13), left.jpg\",640,atrophic\n".as_bytes(),
        )
        .expect("parses");
        assert_eq!(rows[0].file, "Box (13), left.jpg");
        assert_eq!(rows[0].family, Family::Atrophic);
        assert_eq!(rows[0].source_key(), None);
    }

    #[test]
    fn augmented_copies_share_a_group() {
        assert_eq!(
            photo_group("scar1_0_1009_jpeg.rf.bfa459fe56b0298762ea7aa974b0274d.jpg"),
            photo_group("scar1_0_1009_jpeg.rf.0000.jpg")
        );
        assert_eq!(photo_group("dir/Keloid_12_rot90.png"), "keloid_12");
        assert_ne!(photo_group("a1.jpg"), photo_group("a2.jpg"));
    }
}
