//! Batch runner: analyses many photos in parallel while emitting results in input order.
//!
//! Parallelism is across images only (one image is analysed on one thread), which keeps each image's numbers
//! independent of the thread count: `--jobs 1` and `--jobs 8` give byte-identical output. Results are handed
//! to the writer as soon as every earlier one is done; only small reports wait in the reorder buffer, never
//! decoded images, so memory stays flat however many photos a folder holds.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::analyze::AnalysisOptions;
use crate::cli::{AnalyzeArgs, CommonArgs, Format};
use crate::html::{analyze::AnalyzeHtml, Thumbnail};
use crate::load::{discover_filtered, open_image, Input};
use crate::memory::{Admission, MemoryBudget};
use crate::output::ReportWriter;
use crate::profile::Profile;
use crate::report::{BatchSummary, ImageReport, Settings};
use crate::walk_filter::WalkFilter;

/// Exit code: every image (or pair) was analysed.
pub const EXIT_OK: i32 = 0;
/// Exit code: some images failed; the rest were reported.
pub const EXIT_SOME_FAILED: i32 = 1;
/// Exit code: usage error, or nothing to analyse.
pub const EXIT_USAGE: i32 = 2;

/// An error that should end the run with [`EXIT_USAGE`] (bad options, nothing to analyse).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Most worker threads per core: images are analysed one per thread and each thread holds an image's working
/// memory, so more threads than this only cost memory and start-up time (5000 threads took over a minute to
/// start and stop on one small image).
pub const MAX_JOBS_PER_CORE: usize = 4;

/// The number of worker threads for `--jobs`: all cores by default, at most [`MAX_JOBS_PER_CORE`] × the cores;
/// a warning when the request was lowered.
pub fn effective_jobs(
    jobs: Option<usize>,
    cores: usize,
) -> anyhow::Result<(usize, Option<String>)> {
    let cores = cores.max(1);
    let max = cores.saturating_mul(MAX_JOBS_PER_CORE);
    match jobs {
        Some(0) => Err(UsageError("--jobs must be at least 1".into()).into()),
        None => Ok((cores, None)),
        Some(n) if n > max => Ok((
            max,
            Some(format!(
                "--jobs {n} lowered to {max} ({MAX_JOBS_PER_CORE} per core on {cores} cores)"
            )),
        )),
        Some(n) => Ok((n, None)),
    }
}

/// A rayon pool with `jobs` threads (default: all cores; see [`effective_jobs`]), warning on stderr unless
/// `quiet` when the request was lowered.
pub fn thread_pool(jobs: Option<usize>, quiet: bool) -> anyhow::Result<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let (n, warning) = effective_jobs(jobs, cores)?;
    if let (Some(w), false) = (warning, quiet) {
        eprintln!("scarscope: warning: {w}");
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .context("cannot start worker threads")
}

/// A progress bar on stderr, shown only when stderr is a terminal, there is more than one item, and not quiet.
pub struct Progress(Option<indicatif::ProgressBar>);

/// Starts a progress indicator for `n` items.
pub fn progress(n: usize, quiet: bool) -> Progress {
    if quiet || n < 2 || !std::io::stderr().is_terminal() {
        return Progress(None);
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(n as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    // A plain template: no colours, so NO_COLOR and dumb terminals are respected.
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{pos}/{len} [{wide_bar}] {elapsed_precise} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    Progress(Some(bar))
}

impl Progress {
    /// Counts one item done.
    pub fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
    /// Runs `f` with the bar cleared from the terminal, then draws it again: output printed to the same
    /// terminal meanwhile (table rows) gets no stale bar lines between its rows.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }
    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// Runs `work` on every item in parallel on `pool` and calls `emit` with the results in item order.
///
/// `emit` runs on one thread at a time. If it fails, remaining work is skipped and the first error returned.
pub fn run_ordered<T, R, E>(
    pool: &rayon::ThreadPool,
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut emit: impl FnMut(R) -> Result<(), E> + Send,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
    E: Send,
{
    struct State<R, F, E> {
        next: usize,
        pending: BTreeMap<usize, R>,
        emit: F,
        error: Option<E>,
    }
    let state = Mutex::new(State {
        next: 0,
        pending: BTreeMap::new(),
        emit: &mut emit,
        error: None,
    });
    pool.install(|| {
        // `par_bridge` hands items out roughly in order, so the reorder buffer stays short.
        items.iter().enumerate().par_bridge().for_each(|(i, item)| {
            if state.lock().map(|s| s.error.is_some()).unwrap_or(true) {
                return;
            }
            let r = work(item);
            let Ok(mut s) = state.lock() else { return };
            s.pending.insert(i, r);
            loop {
                let next = s.next;
                let Some(r) = s.pending.remove(&next) else {
                    break;
                };
                s.next += 1;
                if s.error.is_none() {
                    if let Err(e) = (s.emit)(r) {
                        s.error = Some(e);
                    }
                }
            }
        });
    });
    match state.into_inner() {
        Ok(s) => s.error.map_or(Ok(()), Err),
        Err(p) => p.into_inner().error.map_or(Ok(()), Err),
    }
}

/// Validated options of one `analyze` (or `compare`) run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Analysis options (scale, profile).
    pub analysis: AnalysisOptions,
    /// Largest image accepted, in megapixels.
    pub max_megapixels: f64,
    /// Where overlays go, if requested.
    pub overlay_dir: Option<PathBuf>,
    /// Whether each image's overlay thumbnail is made, for the HTML report (`--html`).
    pub thumbnails: bool,
    /// The memory budget images are admitted against (`--max-memory`).
    pub memory: Arc<MemoryBudget>,
}

impl RunOptions {
    /// Checks the common options and reads the profile.
    pub fn from_args(common: &CommonArgs) -> anyhow::Result<Self> {
        if let Some(s) = common.px_per_mm {
            if !(s.is_finite() && s > 0.0) {
                return Err(
                    UsageError(format!("--px-per-mm must be a positive number, got {s}")).into(),
                );
            }
        }
        if common.csv_bom && common.format() != Format::Csv {
            return Err(UsageError("--csv-bom needs --format csv".into()).into());
        }
        if !(common.max_megapixels.is_finite() && common.max_megapixels > 0.0) {
            return Err(UsageError(format!(
                "--max-megapixels must be positive, got {}",
                common.max_megapixels
            ))
            .into());
        }
        let profile = match &common.profile {
            Some(p) => Profile::from_file(p).map_err(|e| UsageError(format!("{e:#}")))?,
            None => Profile::builtin(),
        };
        if let Some(dir) = &common.overlay {
            std::fs::create_dir_all(dir).map_err(|e| {
                UsageError(format!(
                    "cannot create overlay folder {}: {e}",
                    dir.display()
                ))
            })?;
        }
        Ok(RunOptions {
            analysis: AnalysisOptions {
                px_per_mm: common.px_per_mm,
                profile: Arc::new(profile),
            },
            max_megapixels: common.max_megapixels,
            overlay_dir: common.overlay.clone(),
            thumbnails: common.html.is_some(),
            memory: Arc::new(MemoryBudget::for_run(common.max_memory)),
        })
    }

    /// The settings block of the report.
    pub fn settings(&self) -> Settings {
        Settings {
            px_per_mm: self.analysis.px_per_mm,
            max_megapixels: self.max_megapixels,
            profile: self.analysis.profile.name.clone(),
            working_max_side: None,
        }
    }
}

/// Bytes the analysis holds per working pixel at its peak (planes of the prepare and detect stages, masks,
/// blur buffers): about 60 measured on the 12 MP benchmark photo (heaptrack: 115 MB at 1600×1200), with room
/// for the allocator's slack.
pub const ANALYSIS_BYTES_PER_WORKING_PX: u64 = 100;

/// Loads and analyses one photo; any failure becomes an error report for that photo. The overlay thumbnail
/// comes along when the run makes an HTML report.
///
/// Everything after discovery runs inside one panic guard, loading included: a bug or a refused allocation
/// that panics in a decoder costs this image, not the batch. Decoding waits for the image's share of the
/// memory budget, known from its header ([`crate::memory`]).
pub fn analyze_input(input: &Input, opts: &RunOptions) -> (ImageReport, Option<Thumbnail>) {
    if let Some(problem) = &input.problem {
        let r = ImageReport::failed(
            input.display.clone(),
            problem.clone(),
            None,
            opts.analysis.px_per_mm,
        );
        return (r, None);
    }
    // The size, once the header is read, for the error entry of a panic.
    let size = std::cell::Cell::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyze_input_unguarded(input, opts, &size)
    }));
    result.unwrap_or_else(|_| {
        let r = ImageReport::failed(
            input.display.clone(),
            "internal error while reading or analysing this image (please report it)".into(),
            size.get(),
            opts.analysis.px_per_mm,
        );
        (r, None)
    })
}

/// The memory an opened photo takes while it is decoded at `reduce` and analysed: the decoding's peak and the
/// analysis' planes at the working size.
pub fn memory_cost(opened: &crate::load::Opened<'_>, reduce: f64) -> u64 {
    opened
        .decode_bytes(reduce)
        .saturating_add(analysis_bytes(opened.upright_size(), reduce))
}

/// The analysis' planes for a photo of upright size `(w, h)` analysed at 1/`reduce` of it.
fn analysis_bytes((w, h): (u32, u32), reduce: f64) -> u64 {
    let r = reduce.max(1.0);
    let working_px = ((w as f64 / r).round() * (h as f64 / r).round()) as u64;
    working_px.saturating_mul(ANALYSIS_BYTES_PER_WORKING_PX)
}

/// Loads the photo at `path` whole, as [`crate::load::load_image`] does, once its memory is admitted into
/// `budget`: the decoding, `copies` more full-size 8-bit RGB images the caller makes of it (a changed copy)
/// and the analysis at its working size. For the commands that analyse the whole decode (`evaluate --labels`,
/// `calibrate`); the admission comes back with the image, to be held until its analysis is done.
pub fn load_whole_admitted<'b>(
    path: &Path,
    max_megapixels: f64,
    analysis: &AnalysisOptions,
    copies: u64,
    budget: &'b MemoryBudget,
) -> Result<(crate::load::LoadedImage, Admission<'b>), crate::load::LoadError> {
    let opened = open_image(path, max_megapixels)?;
    let full = opened.upright_size();
    let rgb = full.0 as u64 * full.1 as u64 * 3;
    let cost = opened
        .decode_bytes(1.0)
        .saturating_add(rgb.saturating_mul(copies))
        .saturating_add(analysis_bytes(full, working_reduction(full, analysis)));
    let held = budget.admit(cost);
    Ok((opened.decode(1.0)?, held))
}

/// How much the analysis will shrink a photo of upright size `full`: the factor its working resolution
/// divides by, which lets the loader decode a large JPEG at a reduced DCT scale.
pub fn working_reduction(full: (u32, u32), opts: &AnalysisOptions) -> f64 {
    crate::prepare::working_factor(full.0, full.1, opts.px_per_mm, &opts.profile.prepare)
}

/// Environment variable (debug builds only) naming a file whose loading panics on purpose, so that tests can
/// check that a panic while loading becomes that image's error entry.
#[cfg(debug_assertions)]
pub const TEST_PANIC_ENV: &str = "SCARSCOPE_TEST_PANIC_WHILE_LOADING";

fn analyze_input_unguarded(
    input: &Input,
    opts: &RunOptions,
    size: &std::cell::Cell<Option<(u32, u32)>>,
) -> (ImageReport, Option<Thumbnail>) {
    let fail = |e: crate::load::LoadError| {
        let r = ImageReport::failed(
            input.display.clone(),
            e.message,
            e.size,
            opts.analysis.px_per_mm,
        );
        (r, None)
    };
    let opened = match open_image(&input.path, opts.max_megapixels) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let full = opened.upright_size();
    size.set(Some(full));
    let reduce = working_reduction(full, &opts.analysis);
    let cost = memory_cost(&opened, reduce);
    let _held = opts.memory.admit(cost);
    #[cfg(debug_assertions)]
    if std::env::var_os(TEST_PANIC_ENV)
        .is_some_and(|v| input.display.contains(&*v.to_string_lossy()))
    {
        panic!("test hook: panic while loading {}", input.display);
    }
    let loaded = match opened.decode(reduce) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let analysis = crate::analyze::analyze_at(&loaded.rgb, loaded.full_size, &opts.analysis);
    // Draw before the analysis is consumed by the report; a failed overlay must not lose the analysis,
    // so it becomes a note on the image.
    let drawn = crate::overlay::draw_for_run(
        &loaded.rgb,
        &analysis,
        &input.display,
        opts.overlay_dir.as_deref(),
        opts.thumbnails,
    );
    let mut report = analysis.into_report(input.display.clone());
    if let (Some(note), Some(q)) = (drawn.note, report.quality.as_mut()) {
        q.notes.push(note);
    }
    (report, drawn.thumbnail)
}

/// Runs `scarscope analyze`; returns the exit code.
pub fn run_analyze(args: &AnalyzeArgs) -> anyhow::Result<i32> {
    let (paths, common) = (&args.paths, &args.common);
    let filter = WalkFilter::new(&args.include, &args.exclude).map_err(UsageError)?;
    let opts = RunOptions::from_args(common)?;
    let pool = thread_pool(common.jobs, common.quiet)?;
    // Opened before any work: a folder or an unwritable place given to -o is refused at once.
    let (out, done) = crate::shard::open_output(args)?;
    let mut html = AnalyzeHtml::create(common, &opts.settings())?;
    if paths.iter().filter(|p| crate::load::is_stdin(p)).count() > 1 {
        return Err(
            UsageError("- (standard input) can be given once: it holds one photo".into()).into(),
        );
    }
    let found = discover_filtered(paths, &filter);
    if !common.quiet {
        for w in &found.warnings {
            eprintln!("scarscope: warning: {w}");
        }
    }
    if found.inputs.is_empty() {
        return Err(UsageError(found.nothing_found()).into());
    }
    let inputs = crate::shard::select(found.inputs, args.shard, &done);
    let mut writer = ReportWriter::new(out, common.format()).with_bom(common.csv_bom);
    writer
        .begin(&opts.settings())
        .context("cannot write output")?;
    let mut batch = BatchSummary {
        skipped_non_image: found.skipped_non_image,
        ..Default::default()
    };
    let bar = progress(inputs.len(), common.quiet);
    // The bar is on stderr; when stdout is the same terminal, each image is written (and flushed, past the
    // buffer) with the bar cleared, or the bar's last drawing stays between the rows.
    let shared_terminal = common.output.is_none() && std::io::stdout().is_terminal();
    run_ordered(
        &pool,
        &inputs,
        |input| analyze_input(input, &opts),
        |(report, thumb): (ImageReport, Option<Thumbnail>)| -> std::io::Result<()> {
            bar.inc();
            batch.add(&report);
            if let Some(h) = html.as_mut() {
                h.image(&report, thumb.as_ref())?;
            }
            if args.resume {
                // Each line reaches the file when done: an interruption loses only the images in flight.
                writer.image(&report).and_then(|()| writer.flush())
            } else if shared_terminal {
                bar.suspend(|| writer.image(&report).and_then(|()| writer.flush()))
            } else {
                writer.image(&report)
            }
        },
    )
    .context("cannot write output")?;
    bar.finish();
    writer.end(&batch).context("cannot write output")?;
    writer.into_inner().commit()?;
    if let Some(h) = html {
        h.finish(&batch).context("cannot write the HTML report")?;
    }
    if !common.quiet && batch.failed > 0 {
        eprintln!(
            "scarscope: {} of {} images failed ({})",
            batch.failed,
            batch.images,
            where_errors_are(common.format())
        );
    }
    Ok(if batch.failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}

/// Where a user of `format` finds why items failed, for the line printed after a batch with failures.
pub fn where_errors_are(format: crate::cli::Format) -> &'static str {
    use crate::cli::Format;
    match format {
        Format::Table => "each is shown with ERROR and its reason",
        Format::Json | Format::Jsonl => "see their \"error\" field",
        Format::Csv => "see their \"error\" column",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_load_holds_its_cost_until_dropped_and_a_tiny_budget_runs_one_at_a_time() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/boxcar_light_from_top.jpg");
        let opts = AnalysisOptions {
            px_per_mm: None,
            profile: Arc::new(Profile::builtin()),
        };
        let roomy = MemoryBudget::new(1 << 40);
        let opened = open_image(&path, 100.0).expect("opens");
        let full = opened.upright_size();
        let rgb = full.0 as u64 * full.1 as u64 * 3;
        let expected =
            opened.decode_bytes(1.0) + rgb + analysis_bytes(full, working_reduction(full, &opts));
        let (img, held) = load_whole_admitted(&path, 100.0, &opts, 1, &roomy).expect("loads");
        assert_eq!(img.rgb.dimensions(), full);
        assert_eq!(
            roomy.in_use(),
            expected,
            "the decode, one changed copy and the analysis"
        );
        drop(held);
        assert_eq!(roomy.in_use(), 0);

        // Under a budget smaller than one photo, a photo holds all of it: the next one waits until it is done.
        let tiny = MemoryBudget::new(1 << 20);
        let (_img, held) = load_whole_admitted(&path, 100.0, &opts, 0, &tiny).expect("loads");
        assert_eq!(tiny.in_use(), 1 << 20);
        let entered = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let next = s.spawn(|| {
                let got = load_whole_admitted(&path, 100.0, &opts, 0, &tiny).expect("loads");
                entered.store(true, std::sync::atomic::Ordering::SeqCst);
                got.0.rgb.dimensions()
            });
            std::thread::sleep(std::time::Duration::from_millis(200));
            assert!(
                !entered.load(std::sync::atomic::Ordering::SeqCst),
                "waited for the first photo"
            );
            drop(held);
            assert_eq!(next.join().expect("second load"), full);
        });
        assert_eq!(tiny.in_use(), 0);
    }

    #[test]
    fn ordered_output_whatever_the_thread_count() {
        let items: Vec<u64> = (0..200).collect();
        for jobs in [1, 2, 7] {
            let pool = thread_pool(Some(jobs), true).expect("pool");
            let mut seen = Vec::new();
            run_ordered(
                &pool,
                &items,
                |&i| i * i,
                |r| -> Result<(), ()> {
                    seen.push(r);
                    Ok(())
                },
            )
            .expect("run");
            assert_eq!(seen, items.iter().map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn emit_error_stops_the_run() {
        let items: Vec<u32> = (0..50).collect();
        let pool = thread_pool(Some(2), true).expect("pool");
        let r = run_ordered(
            &pool,
            &items,
            |&i| i,
            |i| if i == 3 { Err(i) } else { Ok(()) },
        );
        assert_eq!(r, Err(3));
    }

    #[test]
    fn jobs_are_capped_at_four_per_core() {
        assert_eq!(effective_jobs(None, 2).expect("ok"), (2, None));
        assert_eq!(effective_jobs(Some(8), 2).expect("ok"), (8, None));
        let (n, w) = effective_jobs(Some(5000), 2).expect("ok");
        assert_eq!(n, 8);
        assert!(w.is_some_and(|w| w.contains("--jobs 5000 lowered to 8")));
        assert!(effective_jobs(Some(0), 2).is_err());
        assert_eq!(
            effective_jobs(Some(usize::MAX), usize::MAX).expect("ok").0,
            usize::MAX
        );
    }
}
