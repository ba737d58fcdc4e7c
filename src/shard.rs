//! Beyond one machine: `--shard K/N` splits the sorted inputs into N parts, `scarscope merge` joins the parts'
//! outputs into the bytes one run over all inputs gives, and `--resume` continues an interrupted JSON-lines run.
//!
//! A shard is a contiguous run of the sorted input list (part K of N holds inputs `⌊(K-1)·len/N⌋ ..
//! ⌊K·len/N⌋`), so joining the parts in K order restores the single run's order: merge needs no key to sort
//! by, only the parts in order. Every shard walks the same folders, so each reports the walk's
//! `skipped_non_image` whole; merge checks that they agree and keeps one.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::batch::{UsageError, EXIT_OK, EXIT_SOME_FAILED};
use crate::cli::{AnalyzeArgs, Format};
use crate::load::Input;
use crate::output::{AtomicOutput, ReportWriter, UTF8_BOM};
use crate::report::{BatchSummary, ImageReport, Report, Status, ToolInfo};

/// Part K (from 1) of N of the sorted inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which part, 1..=count.
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl Shard {
    /// The range of a list of `len` items that this part holds; the parts of one N cover it once, in order.
    pub fn range(self, len: usize) -> std::ops::Range<usize> {
        // In u128 so that len × N cannot overflow.
        let at = |k: usize| (k as u128 * len as u128 / self.count as u128) as usize;
        at(self.index - 1)..at(self.index)
    }
}

/// Parses `K/N` (1 ≤ K ≤ N), for `--shard`.
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let usage = || format!("'{s}' is not K/N (part K of N, 1 <= K <= N, e.g. 3/8)");
    let (k, n) = s.split_once('/').ok_or_else(usage)?;
    let k: usize = k.trim().parse().map_err(|_| usage())?;
    let n: usize = n.trim().parse().map_err(|_| usage())?;
    if n == 0 || k == 0 || k > n {
        return Err(usage());
    }
    Ok(Shard { index: k, count: n })
}

/// Opens `analyze`'s output: with `--resume`, the JSON-lines file an earlier run left, to append to, with the
/// paths it already holds; otherwise as [`AtomicOutput::create`] (and nothing is done yet).
pub fn open_output(args: &AnalyzeArgs) -> anyhow::Result<(AtomicOutput, HashSet<String>)> {
    let common = &args.common;
    match (args.resume, &common.output, common.format()) {
        (false, _, _) => Ok((
            AtomicOutput::create(common.output.as_deref())?,
            HashSet::new(),
        )),
        (true, Some(file), Format::Jsonl) => {
            let done = resume_from(file)?;
            Ok((AtomicOutput::appending(file)?, done))
        }
        (true, _, _) => Err(UsageError("--resume needs --format jsonl and -o FILE".into()).into()),
    }
}

/// The inputs a run analyses: part K of N of the whole sorted list (so that every shard cuts the same list),
/// less the images a resumed file already holds.
pub fn select(inputs: Vec<Input>, shard: Option<Shard>, done: &HashSet<String>) -> Vec<Input> {
    let mut inputs = match shard {
        Some(s) => {
            let range = s.range(inputs.len());
            inputs
                .into_iter()
                .skip(range.start)
                .take(range.len())
                .collect()
        }
        None => inputs,
    };
    inputs.retain(|i| !done.contains(&i.display));
    inputs
}

/// Arguments of `scarscope merge`.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// Outputs of `analyze --shard K/N` (all JSON, all JSON lines or all CSV), in K order.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Write the merged output to FILE instead of stdout (atomically, as `analyze -o`).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The format of one part, told from its content.
fn part_format(path: &Path, text: &str) -> anyhow::Result<Format> {
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if body.starts_with("path,") {
        return Ok(Format::Csv);
    }
    if body.starts_with("{\n") {
        return Ok(Format::Json);
    }
    if body.is_empty() || body.starts_with('{') {
        return Ok(Format::Jsonl);
    }
    Err(UsageError(format!(
        "{}: not an analyze output in JSON, JSON lines or CSV",
        crate::load::display_path(path)
    ))
    .into())
}

/// Runs `scarscope merge`; returns the exit code (1 when some merged image has failed, as the single run's).
pub fn run_merge(args: &MergeArgs) -> anyhow::Result<i32> {
    let mut texts = Vec::with_capacity(args.parts.len());
    for p in &args.parts {
        let shown = crate::load::display_path(p);
        let text = std::fs::read_to_string(p)
            .map_err(|e| UsageError(format!("cannot read {shown}: {e}")))?;
        texts.push((shown, text));
    }
    let mut formats = Vec::new();
    for (p, (_, text)) in args.parts.iter().zip(&texts) {
        formats.push(part_format(p, text)?);
    }
    let format = formats[0];
    if formats.iter().any(|f| *f != format) {
        return Err(UsageError("the parts are not all in one format".into()).into());
    }
    let mut out = AtomicOutput::create(args.output.as_deref())?;
    let failed = match format {
        Format::Json => merge_json(&texts, &mut out)?,
        Format::Jsonl => merge_jsonl(&texts, &mut out)?,
        Format::Csv => merge_csv(&texts, &mut out)?,
        Format::Table => return Err(UsageError("a table cannot be merged".into()).into()),
    };
    out.commit()?;
    Ok(if failed { EXIT_SOME_FAILED } else { EXIT_OK })
}

fn merge_json(texts: &[(String, String)], out: &mut AtomicOutput) -> anyhow::Result<bool> {
    let mut reports = Vec::with_capacity(texts.len());
    for (shown, text) in texts {
        let r: Report = serde_json::from_str(text)
            .map_err(|e| UsageError(format!("{shown}: not an analyze JSON report: {e}")))?;
        reports.push((shown, r));
    }
    let (first_name, first) = &reports[0];
    // The bytes of one run: only parts of one run (same program, same settings) can give them.
    if first.tool != ToolInfo::current() {
        return Err(UsageError(format!(
            "{first_name} was written by scarscope {}; merge it with that version",
            first.tool.version
        ))
        .into());
    }
    let mut batch = BatchSummary {
        skipped_non_image: first.batch.skipped_non_image,
        ..Default::default()
    };
    for (name, r) in &reports {
        if r.settings != first.settings || r.tool != first.tool {
            return Err(UsageError(format!(
                "{name}: settings or version differ from {first_name}: not parts of one run"
            ))
            .into());
        }
        if r.batch.skipped_non_image != first.batch.skipped_non_image {
            return Err(UsageError(format!(
                "{name}: its walk skipped {} non-image files, {first_name}'s {}: not shards of the same inputs",
                r.batch.skipped_non_image, first.batch.skipped_non_image
            ))
            .into());
        }
    }
    let mut writer = ReportWriter::new(&mut *out, Format::Json);
    writer
        .begin(&first.settings)
        .context("cannot write output")?;
    for (_, r) in &reports {
        for img in &r.images {
            batch.add(img);
            writer.image(img).context("cannot write output")?;
        }
    }
    writer.end(&batch).context("cannot write output")?;
    Ok(batch.failed > 0)
}

fn merge_jsonl(texts: &[(String, String)], out: &mut AtomicOutput) -> anyhow::Result<bool> {
    let mut failed = false;
    for (shown, text) in texts {
        for (i, line) in text.lines().enumerate() {
            let img: ImageReport = serde_json::from_str(line).map_err(|e| {
                UsageError(format!(
                    "{shown} line {}: not an analyze JSON line: {e}",
                    i + 1
                ))
            })?;
            failed |= img.status == Status::Error;
            // The line as written: its bytes are already those of the single run.
            out.write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .context("cannot write output")?;
        }
    }
    Ok(failed)
}

fn merge_csv(texts: &[(String, String)], out: &mut AtomicOutput) -> anyhow::Result<bool> {
    let mut header: Option<&str> = None;
    let mut failed = false;
    for (shown, text) in texts {
        let bom = text.starts_with('\u{FEFF}');
        let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut lines = body.lines();
        let h = lines.next().unwrap_or("");
        match header {
            None => {
                if bom {
                    out.write_all(UTF8_BOM).context("cannot write output")?;
                }
                writeln!(out, "{h}").context("cannot write output")?;
                header = Some(h);
            }
            Some(first) if first != h => {
                return Err(UsageError(format!("{shown}: its CSV columns differ")).into());
            }
            Some(_) => {}
        }
        for line in lines {
            // `status` is the second column and never quoted (`ok` or `error`).
            failed |= line.split(',').nth(1) == Some("error");
            writeln!(out, "{line}").context("cannot write output")?;
        }
    }
    Ok(failed)
}

/// The `path`s of the images already in a JSON-lines output (for `--resume`), after cutting off a last line
/// that an interruption left incomplete, so that the lines appended next start on a line of their own.
pub fn resume_from(path: &Path) -> anyhow::Result<HashSet<String>> {
    let shown = crate::load::display_path(path);
    let mut done = HashSet::new();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
        Err(e) => return Err(UsageError(format!("--resume: cannot read {shown}: {e}")).into()),
    };
    let mut reader = std::io::BufReader::new(file);
    let mut complete: u64 = 0;
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| UsageError(format!("--resume: cannot read {shown}: {e}")))?;
        if n == 0 {
            break;
        }
        let whole = line.ends_with('\n');
        match serde_json::from_str::<ImageReport>(line.trim_end()) {
            Ok(img) if whole => {
                done.insert(img.path);
                complete += n as u64;
            }
            // Only the last line can be cut short by an interruption; anything else is not our file.
            _ if !whole => break,
            Ok(_) | Err(_) => {
                return Err(UsageError(format!(
                    "--resume: {shown} line {} is not an analyze JSON line; give the file an earlier run wrote",
                    done.len() + 1
                ))
                .into())
            }
        }
    }
    let len = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| UsageError(format!("--resume: {shown}: {e}")))?;
    if len > complete {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(complete))
            .with_context(|| format!("--resume: cannot cut the incomplete last line of {shown}"))?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_list_once_in_order() {
        for len in [0, 1, 5, 7, 100] {
            for n in 1..=9 {
                let mut all = Vec::new();
                for k in 1..=n {
                    all.extend(Shard { index: k, count: n }.range(len));
                }
                assert_eq!(all, (0..len).collect::<Vec<_>>(), "len {len}, N {n}");
            }
        }
        assert_eq!(Shard { index: 2, count: 3 }.range(7), 2..4);
    }

    #[test]
    fn shard_text_is_k_of_n() {
        assert_eq!(parse_shard("3/8"), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/4", "5/4", "1/0", "3", "a/b", "-1/4", "1/-4"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
