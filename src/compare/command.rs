//! The `scarscope compare` command: pairs the photos, compares each pair in parallel, writes the report.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::analyze::analyze;
use crate::batch::{
    progress, run_ordered, thread_pool, RunOptions, UsageError, EXIT_OK, EXIT_SOME_FAILED,
};
use crate::load::open_image;
use crate::output::AtomicOutput;
use crate::report::ImageReport;

use super::output::{batch_summary, document, write_report};
use super::overlay::{render_panels, with_header};
use super::pairing::{pair_csv, pair_files, pair_folders, PairInput, Pairing};
use super::pipeline::{compare_images, failed_pair, CompareOptions};
use super::report::{CompareSettings, PairReport};
use crate::html::{compare::write_compare_html, Thumbnail, PAIR_THUMB_MAX_SIDE};

/// Arguments of `scarscope compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The photo (or folder) before treatment.
    #[arg(required_unless_present = "pairs", value_name = "BEFORE")]
    pub before: Option<PathBuf>,
    /// The photo (or folder) after treatment.
    #[arg(required_unless_present = "pairs", value_name = "AFTER")]
    pub after: Option<PathBuf>,
    /// A CSV of pairs (`before,after[,id]`) instead of BEFORE and AFTER.
    #[arg(long, value_name = "FILE.csv", conflicts_with_all = ["before", "after"])]
    pub pairs: Option<PathBuf>,
    /// Options shared with `analyze`.
    #[command(flatten)]
    pub common: crate::cli::CommonArgs,
}

/// Forms the pairs from the arguments.
fn pairing(args: &CompareArgs) -> anyhow::Result<(Pairing, &'static str)> {
    if let Some(csv) = &args.pairs {
        return Ok((
            pair_csv(csv).map_err(|e| UsageError(format!("{e:#}")))?,
            "pairs_csv",
        ));
    }
    let (Some(b), Some(a)) = (&args.before, &args.after) else {
        return Err(UsageError(
            "give BEFORE and AFTER (two files or two folders), or --pairs FILE.csv".into(),
        )
        .into());
    };
    for p in [b, a] {
        if !p.exists() {
            return Err(UsageError(format!("{}: no such file or folder", p.display())).into());
        }
    }
    match (b.is_dir(), a.is_dir()) {
        (true, true) => Ok((pair_folders(b, a), "folders")),
        (false, false) => Ok((pair_files(b, a), "files")),
        _ => {
            Err(UsageError("BEFORE and AFTER must both be files or both be folders".into()).into())
        }
    }
}

/// Loads, compares and (optionally) draws one pair; never fails (failures become an error pair). The
/// overlay's thumbnail comes along when the run makes an HTML report.
fn compare_input(
    pair: &PairInput,
    run: &RunOptions,
    opts: &CompareOptions,
) -> (PairReport, Option<Thumbnail>) {
    // Both photos are held at once: the pair is admitted into the memory budget by their sizes together.
    let ob = open_image(&pair.before.path, run.max_megapixels);
    let oa = open_image(&pair.after.path, run.max_megapixels);
    let cost = [&ob, &oa]
        .into_iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|o| crate::batch::memory_cost(o, 1.0))
        .fold(0u64, u64::saturating_add);
    let _held = run.memory.admit(cost);
    let lb = ob.and_then(|o| o.decode(1.0));
    let la = oa.and_then(|o| o.decode(1.0));
    let (b, a) = match (lb, la) {
        (Ok(b), Ok(a)) => (b, a),
        (lb, la) => {
            // Report each side as `analyze` would: the one that loaded is analysed, the other carries its error.
            let side = |r: Result<crate::load::LoadedImage, crate::load::LoadError>,
                        disp: &str|
             -> (ImageReport, Option<String>) {
                match r {
                    Ok(l) => (
                        analyze(&l.rgb, &run.analysis).into_report(disp.to_string()),
                        None,
                    ),
                    Err(e) => {
                        let msg = e.message.clone();
                        (
                            ImageReport::failed(
                                disp.to_string(),
                                e.message,
                                e.size,
                                run.analysis.px_per_mm,
                            ),
                            Some(msg),
                        )
                    }
                }
            };
            let (rb, eb) = side(lb, &pair.before.display);
            let (ra, ea) = side(la, &pair.after.display);
            let msg = match (eb, ea) {
                (Some(e), None) => format!("before photo: {e}"),
                (None, Some(e)) => format!("after photo: {e}"),
                (Some(e1), Some(e2)) => format!("before photo: {e1}; after photo: {e2}"),
                (None, None) => "could not load the photos".into(),
            };
            return (failed_pair(pair.id.clone(), rb, ra, msg), None);
        }
    };
    // A bug in the comparison must cost one pair, not the batch.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compare_images(
            pair.id.clone(),
            pair.before.display.clone(),
            &b.rgb,
            pair.after.display.clone(),
            &a.rgb,
            opts,
        )
    }));
    let (mut report, images) = match result {
        Ok(r) => r,
        Err(_) => {
            let fb = ImageReport::failed(
                pair.before.display.clone(),
                "not analysed".into(),
                Some(b.rgb.dimensions()),
                opts.px_per_mm,
            );
            let fa = ImageReport::failed(
                pair.after.display.clone(),
                "not analysed".into(),
                Some(a.rgb.dimensions()),
                opts.px_per_mm,
            );
            let failed = failed_pair(
                pair.id.clone(),
                fb,
                fa,
                "internal error while comparing this pair (please report it)".into(),
            );
            return (failed, None);
        }
    };
    let panels =
        (run.overlay_dir.is_some() || run.thumbnails).then(|| render_panels(&report, &images));
    if let (Some(dir), Some(panels)) = (&run.overlay_dir, &panels) {
        let path = crate::overlay::overlay_path(dir, &pair.id);
        let written =
            crate::overlay::write_png_atomic(&with_header(&report, panels.clone()), &path);
        if let Err(e) = written {
            report.reasons.push(format!(
                "overlay not written: {}",
                crate::report::one_line(&format!("{e:#}"))
            ));
        }
    }
    // The thumbnail shows the panels only: the page gives the header's facts as text.
    let thumbnail = match panels.filter(|_| run.thumbnails) {
        Some(p) => match Thumbnail::of(&p, PAIR_THUMB_MAX_SIDE) {
            Ok(t) => Some(t),
            Err(e) => {
                report.reasons.push(format!("thumbnail not made: {e:#}"));
                None
            }
        },
        None => None,
    };
    (report, thumbnail)
}

/// Runs `scarscope compare`; returns the process exit code (0 all ok, 1 some pairs failed, 2 nothing to compare).
pub fn run(args: &CompareArgs) -> anyhow::Result<i32> {
    let common = &args.common;
    let run_opts = RunOptions::from_args(common)?;
    let (pairs, mode) = pairing(args)?;
    let pool = thread_pool(common.jobs, common.quiet)?;
    if !common.quiet {
        for w in &pairs.warnings {
            eprintln!("scarscope: warning: {w}");
        }
        for u in &pairs.unpaired_before {
            eprintln!("scarscope: warning: unpaired before photo: {u}");
        }
        for u in &pairs.unpaired_after {
            eprintln!("scarscope: warning: unpaired after photo: {u}");
        }
    }
    if pairs.pairs.is_empty() {
        let n = pairs.unpaired_before.len() + pairs.unpaired_after.len();
        return Err(UsageError(format!(
            "nothing to compare: no before/after pairs found ({n} unpaired photos)"
        ))
        .into());
    }
    // The `[compare]` section of the rule profile (`--profile FILE` reaches every compare threshold).
    let compare = run_opts.analysis.profile.compare.clone();
    let opts = CompareOptions {
        px_per_mm: run_opts.analysis.px_per_mm,
        profile: Arc::clone(&run_opts.analysis.profile),
        compare: compare.clone(),
    };
    let settings = CompareSettings {
        px_per_mm: run_opts.analysis.px_per_mm,
        max_megapixels: run_opts.max_megapixels,
        profile: run_opts.analysis.profile.name.clone(),
        pairing: mode.to_string(),
        thresholds: compare.verdict.clone(),
    };
    // Open the output before the work: a folder or an unwritable place given to -o is refused at once.
    let mut out = AtomicOutput::create(common.output.as_deref())?;
    let html_out = crate::html::open(common)?;
    let bar = progress(pairs.pairs.len(), common.quiet);
    let mut reports: Vec<PairReport> = Vec::with_capacity(pairs.pairs.len());
    let mut thumbs: Vec<Option<Thumbnail>> = Vec::with_capacity(pairs.pairs.len());
    run_ordered(
        &pool,
        &pairs.pairs,
        |p| {
            // Loading included, a panic costs this pair, not the batch.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                compare_input(p, &run_opts, &opts)
            }))
            .unwrap_or_else(|_| {
                let side = |d: &str| {
                    ImageReport::failed(
                        d.to_string(),
                        "internal error while reading this pair".into(),
                        None,
                        run_opts.analysis.px_per_mm,
                    )
                };
                let r = failed_pair(
                    p.id.clone(),
                    side(&p.before.display),
                    side(&p.after.display),
                    "internal error while reading or comparing this pair (please report it)".into(),
                );
                (r, None)
            })
        },
        |(r, t): (PairReport, Option<Thumbnail>)| -> Result<(), ()> {
            bar.inc();
            reports.push(r);
            thumbs.push(t);
            Ok(())
        },
    )
    .map_err(|()| anyhow::anyhow!("comparison stopped"))?;
    bar.finish();
    let batch = batch_summary(
        &reports,
        pairs.unpaired_before,
        pairs.unpaired_after,
        pairs.skipped_non_image,
    );
    let failed = batch.failed;
    let total = batch.pairs;
    let report = document(settings, reports, batch);
    if common.csv_bom {
        // RunOptions refused --csv-bom with any other format.
        std::io::Write::write_all(&mut out, crate::output::UTF8_BOM)
            .context("cannot write output")?;
    }
    write_report(&mut out, common.format(), &report).context("cannot write output")?;
    out.commit()?;
    if let Some(mut h) = html_out {
        write_compare_html(&mut h, &report, &thumbs).context("cannot write the HTML report")?;
        h.commit()?;
    }
    if !common.quiet && failed > 0 {
        eprintln!(
            "scarscope: {failed} of {total} pairs could not be compared ({})",
            crate::batch::where_errors_are(common.format())
        );
    }
    Ok(if failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}
