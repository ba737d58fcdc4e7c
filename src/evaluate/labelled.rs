//! `scarscope evaluate --labels`: analyses labelled real photos (or reads an existing report) and scores it.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};

use super::labels::{read_labels, LabelRow};
use super::real::{score, Outcome};
use super::stability::{Answer, Change, Stability, N_CHANGES};
use super::EvalFormat;
use crate::analyze::{analyze, AnalysisOptions};
use crate::batch::{load_whole_admitted, progress, run_ordered, thread_pool, UsageError};
use crate::memory::MemoryBudget;
use crate::profile::Profile;
use crate::report::ImageReport;

/// What `evaluate --labels` needs.
#[derive(Debug, Clone)]
pub struct LabelledRun {
    /// The labels CSV.
    pub labels: PathBuf,
    /// Folder the `file` column is relative to (default: the CSV's folder).
    pub images: Option<PathBuf>,
    /// An existing `analyze --format json|jsonl` output to score instead of analysing.
    pub report: Option<PathBuf>,
    /// Also analyse each photo after the changes of [`super::stability`].
    pub stability: bool,
    /// Analyse each photo shrunk to this many px on its short side (never enlarged): see [`shrunk`].
    pub shrink: Option<u32>,
    /// Output format.
    pub format: EvalFormat,
    /// Worker threads.
    pub jobs: Option<usize>,
    /// Rule profile file.
    pub profile: Option<PathBuf>,
    /// Scale given to the analysis.
    pub px_per_mm: Option<f64>,
    /// Largest image accepted, megapixels.
    pub max_megapixels: f64,
    /// Memory budget the photos are admitted against (`--max-memory`; default from the machine's memory).
    pub max_memory: Option<u64>,
    /// No progress bar.
    pub quiet: bool,
}

/// The reports of the labelled photos, in label order, and the stability counts when asked for.
pub struct Analysed {
    /// One report per label row.
    pub reports: Vec<ImageReport>,
    /// Stability counts (with `--stability`).
    pub stability: Option<Stability>,
}

/// The images folder of a run.
pub fn images_dir(labels: &Path, images: Option<&Path>) -> PathBuf {
    match images {
        Some(d) => d.to_path_buf(),
        None => labels
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    }
}

/// Reads the labels and checks that every listed photo exists (an error names the first missing line).
pub fn labelled_paths(rows: &[LabelRow], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    rows.iter()
        .map(|r| {
            let p = dir.join(&r.file);
            if !p.is_file() {
                bail!(UsageError(format!(
                    "line {}: no such file {}",
                    r.line,
                    p.display()
                )));
            }
            Ok(p)
        })
        .collect()
}

/// Analyses the labelled photos (and their changed copies with `stability`), in parallel, deterministic.
pub fn analyse_labelled(
    rows: &[LabelRow],
    paths: &[PathBuf],
    opts: &AnalysisOptions,
    run: &LabelledRun,
) -> anyhow::Result<Analysed> {
    let pool = thread_pool(run.jobs, run.quiet)?;
    let bar = progress(rows.len(), run.quiet);
    let items: Vec<(&LabelRow, &PathBuf)> = rows.iter().zip(paths).collect();
    let mut reports = Vec::with_capacity(rows.len());
    let mut stability = run.stability.then(Stability::default);
    let budget = MemoryBudget::for_run(run.max_memory);
    run_ordered(
        &pool,
        &items,
        |(row, path)| analyse_one(row, path, opts, run, &budget),
        |(report, changed): (ImageReport, Option<[Option<Answer>; N_CHANGES]>)| -> anyhow::Result<()> {
            bar.inc();
            if let (Some(s), Some(c)) = (stability.as_mut(), changed) {
                s.add(Answer::of(&report), &c);
            }
            reports.push(report);
            Ok(())
        },
    )?;
    bar.finish();
    Ok(Analysed { reports, stability })
}

/// Analyses one photo (and its changed copies), turning a load failure or a panic into an error report.
/// The photo is admitted into `budget` before it is decoded and held there until its analyses are done.
fn analyse_one(
    row: &LabelRow,
    path: &Path,
    opts: &AnalysisOptions,
    run: &LabelledRun,
    budget: &MemoryBudget,
) -> (ImageReport, Option<[Option<Answer>; N_CHANGES]>) {
    let (max_mp, stability) = (run.max_megapixels, run.stability);
    let display = path.display().to_string();
    // Loading is guarded too: a panic in a decoder costs this photo, not the evaluation. A changed copy
    // (`--stability`) is held beside the photo, one at a time.
    let admitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        load_whole_admitted(path, max_mp, opts, u64::from(stability), budget)
    }));
    let (loaded, _held) = match admitted {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => {
            let r = ImageReport::failed(display, e.message, e.size, opts.px_per_mm);
            return (r, stability.then_some([None; N_CHANGES]));
        }
        Err(_) => {
            let r = ImageReport::failed(
                display,
                "internal error while reading this image (please report it)".into(),
                None,
                opts.px_per_mm,
            );
            return (r, stability.then_some([None; N_CHANGES]));
        }
    };
    let run_on = |rgb: &image::RgbImage| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyze(rgb, opts))).ok()
    };
    let rgb = match run.shrink {
        Some(side) => shrunk(&loaded.rgb, side),
        None => loaded.rgb,
    };
    let report = match run_on(&rgb) {
        Some(a) => a.into_report(display),
        None => ImageReport::failed(
            display,
            "internal error while analysing this image (please report it)".into(),
            Some(rgb.dimensions()),
            opts.px_per_mm,
        ),
    };
    let changed = stability.then(|| {
        Change::ALL.map(|c| {
            let img = c.apply(&rgb, &row.file);
            run_on(&img).and_then(|a| Answer::of(&a.into_report(String::new())))
        })
    });
    (report, changed)
}

/// `rgb` shrunk to `side` px on its short side with a triangle filter (as browsers and phones shrink), the
/// long side in proportion; unchanged when it is no larger than that (`evaluate --shrink`).
///
/// ```
/// use scarscope::evaluate::labelled::shrunk;
/// let img = image::RgbImage::new(640, 480);
/// assert_eq!(shrunk(&img, 120).dimensions(), (160, 120));
/// assert_eq!(shrunk(&img, 480).dimensions(), (640, 480));
/// assert_eq!(shrunk(&img, 1000).dimensions(), (640, 480));
/// ```
pub fn shrunk(rgb: &image::RgbImage, side: u32) -> image::RgbImage {
    let (w, h) = rgb.dimensions();
    let short = w.min(h);
    if short <= side {
        return rgb.clone();
    }
    let (sw, sh) = super::stability::scaled_size((w, h), short, side);
    image::imageops::resize(rgb, sw, sh, image::imageops::FilterType::Triangle)
}

/// Reads an `analyze --format json` document or JSONL lines into image reports.
pub fn read_report(path: &Path) -> anyhow::Result<Vec<ImageReport>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read report {}", path.display()))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(images) = doc.get("images") {
                return serde_json::from_value(images.clone()).with_context(|| {
                    format!(
                        "{}: `images` is not a list of image reports",
                        path.display()
                    )
                });
            }
        }
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not an image report", path.display(), i + 1))
        })
        .collect()
}

/// Picks each label row's report: by the path as analysed, else by a unique path ending in `/file`.
pub fn match_reports<'a>(
    rows: &[LabelRow],
    dir: &Path,
    reports: &'a [ImageReport],
) -> anyhow::Result<Vec<&'a ImageReport>> {
    let by_path: HashMap<&str, &ImageReport> =
        reports.iter().map(|r| (r.path.as_str(), r)).collect();
    let mut by_name: HashMap<&str, Vec<&ImageReport>> = HashMap::new();
    for r in reports {
        let name = r.path.rsplit(['/', '\\']).next().unwrap_or(&r.path);
        by_name.entry(name).or_default().push(r);
    }
    rows.iter()
        .map(|row| {
            let joined = dir.join(&row.file).display().to_string();
            if let Some(r) = by_path
                .get(joined.as_str())
                .or(by_path.get(row.file.as_str()))
            {
                return Ok(*r);
            }
            let name = row.file.rsplit(['/', '\\']).next().unwrap_or(&row.file);
            match by_name.get(name).map(Vec::as_slice) {
                Some([one]) => Ok(*one),
                Some(_) => bail!(UsageError(format!(
                    "line {}: several report entries end in `{}`",
                    row.line, row.file
                ))),
                None => bail!(UsageError(format!(
                    "line {}: the report has no entry for `{}`",
                    row.line, row.file
                ))),
            }
        })
        .collect()
}

/// Runs `evaluate --labels` and prints the scores.
pub fn run(r: &LabelledRun, out: &mut dyn Write) -> anyhow::Result<()> {
    let rows = read_labels(&r.labels).map_err(|e| UsageError(format!("{e:#}")))?;
    let dir = images_dir(&r.labels, r.images.as_deref());
    if let Some(s) = r.px_per_mm {
        if !(s.is_finite() && s > 0.0) {
            bail!(UsageError(format!(
                "--px-per-mm must be a positive number, got {s}"
            )));
        }
    }
    let profile = match &r.profile {
        Some(p) => Profile::from_file(p).map_err(|e| UsageError(format!("{e:#}")))?,
        None => Profile::builtin(),
    };
    let opts = AnalysisOptions {
        px_per_mm: r.px_per_mm,
        profile: Arc::new(profile),
    };
    let started = std::time::Instant::now();
    let loaded_reports;
    let analysed;
    let (reports, stability): (Vec<&ImageReport>, Option<&Stability>) = match &r.report {
        Some(rep) if !r.stability => {
            loaded_reports = read_report(rep).map_err(|e| UsageError(format!("{e:#}")))?;
            (match_reports(&rows, &dir, &loaded_reports)?, None)
        }
        _ => {
            let paths = labelled_paths(&rows, &dir)?;
            analysed = analyse_labelled(&rows, &paths, &opts, r)?;
            (
                analysed.reports.iter().collect(),
                analysed.stability.as_ref(),
            )
        }
    };
    let outcomes: Vec<Outcome> = rows
        .iter()
        .zip(&reports)
        .map(|(label, report)| Outcome {
            label,
            report: Some(*report),
        })
        .collect();
    let scores = score(&outcomes);
    let seconds = started.elapsed().as_secs_f64();
    match r.format {
        EvalFormat::Json => {
            let mut doc = scores.to_json();
            if let Some(s) = stability {
                doc["stability"] = s.to_json();
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        EvalFormat::Table => {
            writeln!(
                out,
                "scarscope evaluate --labels {}: {}",
                r.labels.display(),
                if r.report.is_some() && !r.stability {
                    "scored from the report given"
                } else {
                    "photos analysed"
                }
            )?;
            write!(out, "{}", scores.table())?;
            if let Some(s) = stability {
                write!(out, "{}", s.table())?;
            }
            if !r.quiet {
                eprintln!(
                    "scarscope: evaluated {} photos in {seconds:.1} s",
                    rows.len()
                );
            }
        }
    }
    Ok(())
}
