//! The `scarscope` binary: parses arguments, calls the library, prints, and maps errors to exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use scarscope::batch::EXIT_USAGE;

/// Reads skin photographs and reports the acne scars they show. Not a medical device.
#[derive(Debug, Parser)]
#[command(name = "scarscope", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 all images analysed; 1 some images failed (the rest reported); \
2 usage error or nothing to analyse."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find and classify scars in photos or folders of photos.
    Analyze(AnalyzeArgs),
    /// Compare before/after photos of a treatment course.
    Compare(scarscope::compare::command::CompareArgs),
    /// Texture and colour features of one image (GLCM, LBP, gradient, CIELAB).
    Texture(scarscope::texture::command::TextureArgs),
    /// Render synthetic skin photos with known lesions and their truth files.
    Render(scarscope::render::command::RenderArgs),
    /// Score the analysis: on labelled real photos (--labels) or on rendered scenes with known truth.
    Evaluate(scarscope::evaluate::EvaluateArgs),
    /// Fit the image-level scoring table to labelled photos and write a profile.
    Calibrate(scarscope::calibrate::CalibrateArgs),
    /// Time decoding against the whole analysis on one core (rendered 12 MP and 640×640 JPEGs), peak memory
    /// and --jobs 2 throughput.
    Bench(scarscope::bench::BenchArgs),
    /// Print the effective rule profile (the built-in one, or --profile FILE checked and completed) as TOML.
    Profile {
        /// Rule profile (TOML) replacing the built-in one.
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
    },
    /// Print the JSON Schema of the `analyze --format json` report (or of `compare` with --compare).
    Schema {
        /// The schema of the `compare --format json` report instead.
        #[arg(long)]
        compare: bool,
    },
}

/// Arguments of `scarscope analyze`.
#[derive(Debug, clap::Args)]
struct AnalyzeArgs {
    /// Photos or folders (walked recursively, sorted, hidden entries skipped).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    common: scarscope::cli::CommonArgs,
}

fn main() -> ExitCode {
    keep_freed_memory_for_reuse();
    let cli = Cli::parse();
    clean_up_on_signals();
    let result = match cli.command {
        Command::Analyze(a) => scarscope::batch::run_analyze(&a.paths, &a.common),
        Command::Compare(a) => scarscope::compare::command::run(&a),
        Command::Texture(a) => run_printing(|out| scarscope::texture::command::run(&a, out)),
        Command::Render(a) => scarscope::render::command::run(&a).map(|()| 0),
        Command::Evaluate(a) => run_printing(|out| scarscope::evaluate::run(&a, out)),
        Command::Calibrate(a) => run_printing(|out| scarscope::calibrate::run(&a, out)),
        Command::Bench(a) => run_printing(|out| scarscope::bench::run(&a, out)),
        Command::Profile { profile } => run_printing(|out| {
            let p = match &profile {
                Some(path) => scarscope::profile::Profile::from_file(path)?,
                None => scarscope::profile::Profile::builtin(),
            };
            out.write_all(p.to_toml()?.as_bytes())?;
            Ok(())
        }),
        Command::Schema { compare } => run_printing(|out| {
            let schema = if compare {
                scarscope::compare::schema_json()
            } else {
                scarscope::report::schema_json()
            };
            writeln!(out, "{schema}")?;
            Ok(())
        }),
    };
    scarscope::bench::report_peak_rss_if_asked();
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::from(0);
            }
            eprintln!("scarscope: error: {e:#}");
            // Usage errors, "nothing to analyse" and an output that cannot be written all end the run with 2;
            // per-image failures never reach here (they are reported in the output and give 1).
            ExitCode::from(EXIT_USAGE as u8)
        }
    }
}

/// On SIGINT or SIGTERM, removes the hidden temporary output file (`-o`, overlays) and exits with 128 + the
/// signal's number (130, 143), as a shell reports a process ended by it.
#[cfg(unix)]
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    scarscope::output::remove_live_temps();
                    std::process::exit(128 + sig);
                }
            });
        }
        Err(e) => eprintln!("scarscope: warning: cannot watch for interruptions: {e}"),
    }
}

#[cfg(not(unix))]
fn clean_up_on_signals() {}

/// Lets glibc's allocator keep freed working planes for the next image instead of returning them to the kernel.
///
/// By default glibc gives every freed block above a dynamic threshold (128 KiB, rising to at most 32 MiB) back
/// to the kernel at once, so each image's planes (0.4–8 MB, hundreds per image) were page-faulted and zeroed
/// anew. Measured on 20 copies of a 640×640 photo, one job: 1.08 s of 6.9 s CPU was the kernel's; with these
/// settings 0.01 s, and peak RSS 39 -> 40 MB (what is kept is bounded by one image's peak per worker). Blocks
/// above 32 MiB (a large photo's decoded pixels) are still mapped and returned on their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory_for_reuse() {
    // SAFETY: mallopt only changes allocator parameters; it is called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory_for_reuse() {}

/// Runs a command that prints to stdout, flushing at the end.
fn run_printing(f: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    f(&mut out)?;
    out.flush()?;
    Ok(0)
}

/// A closed pipe (`scarscope … | head`) is not an error worth a message.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
