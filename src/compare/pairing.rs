//! Pairing of before and after photos: two files; two folders (by relative path, then by file stem ignoring
//! case and the words before/after/pre/post); or a CSV of pairs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::load::{discover, Input};

/// One before/after pair to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairInput {
    /// Pair identifier shown in the report.
    pub id: String,
    /// The before photo.
    pub before: Input,
    /// The after photo.
    pub after: Input,
}

/// Pairs found, and what could not be paired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairing {
    /// Pairs, sorted by id (then by before path).
    pub pairs: Vec<PairInput>,
    /// Before-side files without a partner (display paths).
    pub unpaired_before: Vec<String>,
    /// After-side files without a partner (display paths).
    pub unpaired_after: Vec<String>,
    /// Non-image files skipped inside folders.
    pub skipped_non_image: usize,
    /// Problems met while walking folders.
    pub warnings: Vec<String>,
}

/// Words that mark the side of a photo and are ignored when pairing by stem.
const SIDE_WORDS: &[&str] = &["before", "after", "pre", "post"];

/// The pairing key of a relative path: parent folders and file stem, lower-cased, split at `_`, `-`, `.`
/// and whitespace, with the words before/after/pre/post dropped, joined by `_`.
pub fn stem_key(rel: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let comps: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for (i, c) in comps.iter().enumerate() {
        let name = if i + 1 == comps.len() {
            Path::new(c)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            c.clone()
        };
        let words: Vec<String> = name
            .to_lowercase()
            .split(|ch: char| ch == '_' || ch == '-' || ch == '.' || ch.is_whitespace())
            .filter(|w| !w.is_empty() && !SIDE_WORDS.contains(w))
            .map(str::to_string)
            .collect();
        if !words.is_empty() {
            parts.push(words.join("_"));
        }
    }
    parts.join("/")
}

fn rel_of(input: &Input, root: &Path) -> PathBuf {
    input
        .path
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| input.path.clone())
}

/// Pairs the photos of two folders: first identical relative paths, then identical [`stem_key`]s (one-to-one,
/// in sorted order when a key repeats).
pub fn pair_folders(before_dir: &Path, after_dir: &Path) -> Pairing {
    let db = discover(&[before_dir.to_path_buf()]);
    let da = discover(&[after_dir.to_path_buf()]);
    let mut out = Pairing {
        skipped_non_image: db.skipped_non_image + da.skipped_non_image,
        warnings: db.warnings.into_iter().chain(da.warnings).collect(),
        ..Default::default()
    };
    // Entries the walks could not read are in the warnings already; they are not photos to pair.
    let rb: Vec<(PathBuf, Input)> = db
        .inputs
        .into_iter()
        .filter(|i| i.problem.is_none())
        .map(|i| (rel_of(&i, before_dir), i))
        .collect();
    let ra: Vec<(PathBuf, Input)> = da
        .inputs
        .into_iter()
        .filter(|i| i.problem.is_none())
        .map(|i| (rel_of(&i, after_dir), i))
        .collect();
    let mut used_a = vec![false; ra.len()];
    let mut left_b = Vec::new();
    let by_rel: BTreeMap<&Path, usize> = ra
        .iter()
        .enumerate()
        .map(|(j, (r, _))| (r.as_path(), j))
        .collect();
    for (rel, inp) in &rb {
        match by_rel.get(rel.as_path()) {
            Some(&j) if !used_a[j] => {
                used_a[j] = true;
                out.pairs.push(PairInput {
                    id: rel.to_string_lossy().into_owned(),
                    before: inp.clone(),
                    after: ra[j].1.clone(),
                });
            }
            _ => left_b.push((rel, inp)),
        }
    }
    // Second pass: by stem key, among what is left.
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (j, (rel, _)) in ra.iter().enumerate() {
        if !used_a[j] {
            by_key.entry(stem_key(rel)).or_default().push(j);
        }
    }
    for (rel, inp) in left_b {
        let key = stem_key(rel);
        let cand = by_key.get_mut(&key).and_then(|v| {
            if v.is_empty() {
                None
            } else {
                Some(v.remove(0))
            }
        });
        match cand {
            Some(j) if !key.is_empty() => {
                used_a[j] = true;
                out.pairs.push(PairInput {
                    id: key,
                    before: inp.clone(),
                    after: ra[j].1.clone(),
                });
            }
            _ => out.unpaired_before.push(inp.display.clone()),
        }
    }
    out.unpaired_after = ra
        .iter()
        .enumerate()
        .filter(|(j, _)| !used_a[*j])
        .map(|(_, (_, i))| i.display.clone())
        .collect();
    sort_pairs(&mut out.pairs);
    out
}

/// Two explicit files make one pair, named by their shared stem key (or both names when they differ).
pub fn pair_files(before: &Path, after: &Path) -> Pairing {
    let kb = stem_key(Path::new(before.file_name().unwrap_or(before.as_os_str())));
    let ka = stem_key(Path::new(after.file_name().unwrap_or(after.as_os_str())));
    let id = if kb == ka && !kb.is_empty() {
        kb
    } else {
        format!("{} vs {}", before.display(), after.display())
    };
    Pairing {
        pairs: vec![PairInput {
            id,
            before: Input::file(before.to_path_buf()),
            after: Input::file(after.to_path_buf()),
        }],
        ..Default::default()
    }
}

/// Splits one CSV line into fields (RFC 4180 quotes; no embedded line breaks).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields.into_iter().map(|f| f.trim().to_string()).collect()
}

/// Reads a pairs CSV: columns `before,after[,id]`, header optional, paths relative to the CSV's folder.
/// A row with fewer than two fields is a usage error naming the line.
pub fn pair_csv(csv: &Path) -> anyhow::Result<Pairing> {
    use anyhow::Context;
    let text = std::fs::read_to_string(csv)
        .with_context(|| format!("cannot read pairs file {}", csv.display()))?;
    pair_csv_text(&text, csv)
}

/// As [`pair_csv`], for the text of the pairs file `csv` already read (the fuzz target's entry point).
pub fn pair_csv_text(text: &str, csv: &Path) -> anyhow::Result<Pairing> {
    let base = csv.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out = Pairing::default();
    let mut first = true;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let f = csv_fields(line);
        let is_header = first
            && f.len() >= 2
            && f[0].eq_ignore_ascii_case("before")
            && f[1].eq_ignore_ascii_case("after");
        first = false;
        if is_header {
            continue;
        }
        if f.len() < 2 || f[0].is_empty() || f[1].is_empty() {
            anyhow::bail!(
                "{} line {}: expected `before,after[,id]`",
                csv.display(),
                n + 1
            );
        }
        let resolve = |s: &str| {
            let p = PathBuf::from(s);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        };
        let (pb, pa) = (resolve(&f[0]), resolve(&f[1]));
        let id = match f.get(2).filter(|s| !s.is_empty()) {
            Some(id) => id.clone(),
            None => {
                let k = stem_key(Path::new(&f[0]));
                if k.is_empty() {
                    format!("line {}", n + 1)
                } else {
                    k
                }
            }
        };
        out.pairs.push(PairInput {
            id,
            before: Input::file(pb),
            after: Input::file(pa),
        });
    }
    sort_pairs(&mut out.pairs);
    Ok(out)
}

fn sort_pairs(p: &mut [PairInput]) {
    p.sort_by(|a, b| {
        a.id.cmp(&b.id)
            .then_with(|| a.before.display.cmp(&b.before.display))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stem_keys_ignore_side_words_case_and_separators() {
        assert_eq!(stem_key(Path::new("Anna_Before.jpg")), "anna");
        assert_eq!(stem_key(Path::new("anna-after.PNG")), "anna");
        assert_eq!(stem_key(Path::new("pre cheek left.jpg")), "cheek_left");
        assert_eq!(stem_key(Path::new("POST_cheek-left.tif")), "cheek_left");
        assert_eq!(stem_key(Path::new("p1/Before (3).jpg")), "p1/(3)");
        // Side words only as whole words: "prefix" stays.
        assert_eq!(stem_key(Path::new("prefix_before.jpg")), "prefix");
    }

    #[test]
    fn csv_fields_handle_quotes() {
        assert_eq!(
            csv_fields(r#"a.jpg, "b, c.jpg" ,"say ""x""""#),
            vec!["a.jpg", "b, c.jpg", "say \"x\""]
        );
    }
}
