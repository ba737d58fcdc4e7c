//! The `scarscope` binary: parses arguments, calls the library, prints, and maps errors to exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use scarscope::batch::EXIT_USAGE;

/// Reads skin photographs and reports the acne scars they show. Not a medical device.
#[derive(Debug, Parser)]
#[command(name = "scarscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find and classify scars in photos or folders of photos.
    #[command(after_help = ANALYZE_EXIT, after_long_help = ANALYZE_HELP)]
    Analyze(scarscope::cli::AnalyzeArgs),
    /// Compare before/after photos of a treatment course.
    #[command(long_about = COMPARE_ABOUT, after_help = COMPARE_EXIT, after_long_help = COMPARE_HELP)]
    Compare(scarscope::compare::command::CompareArgs),
    /// Texture and colour features of one image (GLCM, LBP, gradient, CIELAB).
    #[command(after_help = TEXTURE_EXIT, after_long_help = TEXTURE_HELP)]
    Texture(scarscope::texture::command::TextureArgs),
    /// Render synthetic skin photos with known lesions and their truth files.
    #[command(after_help = RENDER_EXIT, after_long_help = RENDER_HELP)]
    Render(scarscope::render::command::RenderArgs),
    /// Score the analysis: on labelled real photos (--labels) or on rendered scenes with known truth.
    #[command(after_help = EVALUATE_EXIT, after_long_help = EVALUATE_HELP)]
    Evaluate(scarscope::evaluate::EvaluateArgs),
    /// Fit the image-level scoring table to labelled photos and write a profile.
    #[command(after_help = CALIBRATE_EXIT, after_long_help = CALIBRATE_HELP)]
    Calibrate(scarscope::calibrate::CalibrateArgs),
    /// Time decoding against the whole analysis on one core (rendered 12 MP and 640×640 JPEGs), peak memory
    /// and --jobs 2 throughput.
    #[command(after_help = BENCH_EXIT, after_long_help = BENCH_HELP)]
    Bench(scarscope::bench::BenchArgs),
    /// Print the effective rule profile (the built-in one, or --profile FILE checked and completed) as TOML.
    #[command(after_help = PROFILE_EXIT, after_long_help = PROFILE_HELP)]
    Profile {
        /// Rule profile (TOML) replacing the built-in one.
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
    },
    /// Print the JSON Schema of the `analyze --format json` report (or of `compare` with --compare).
    #[command(after_help = SCHEMA_EXIT, after_long_help = SCHEMA_HELP)]
    Schema {
        /// The schema of the `compare --format json` report instead.
        #[arg(long)]
        compare: bool,
    },
    /// Join the outputs of `analyze --shard K/N` (JSON, JSON lines or CSV) into those of one run over all inputs.
    #[command(after_help = MERGE_EXIT, after_long_help = MERGE_HELP)]
    Merge(scarscope::shard::MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    #[command(after_help = COMPLETIONS_EXIT, after_long_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout: of scarscope, or of one subcommand.
    #[command(after_help = MAN_EXIT, after_long_help = MAN_HELP)]
    Man {
        /// A subcommand (e.g. `analyze`) whose own page to print instead.
        #[arg(value_name = "SUBCOMMAND")]
        subcommand: Option<String>,
    },
}

// Each subcommand's `-h` ends with its exit codes; `--help` (and its man page) puts examples before them. A
// test parses every example (`every_help_example_parses`), so none can name an option that does not exist.

/// Defines `$exit` (the exit codes, for `-h`) and `$long` (examples, then the exit codes, for `--help`).
macro_rules! subcommand_help {
    ($exit:ident, $long:ident, $examples:literal, [$($code:literal),+ $(,)?]) => {
        const $exit: &str = concat!("Exit codes:", $("\n  ", $code),+);
        const $long: &str = concat!("Examples:\n", $examples, "\n", "Exit codes:", $("\n  ", $code),+);
    };
}

subcommand_help!(
    ANALYZE_EXIT,
    ANALYZE_HELP,
    "  scarscope analyze photo.jpg
  scarscope analyze photos/ --format json -o report.json
  scarscope analyze photos/ --format jsonl | jq -c '{path, verdict: .microneedling.verdict}'
  scarscope analyze photos/ --format csv --px-per-mm 12 > lesions.csv
  scarscope analyze photos/ --overlay overlays/ --jobs 2 --quiet
  scarscope analyze - --json < photo.jpg
  scarscope analyze photos/ --include '*.jpg' --exclude 'old/**' --exclude '*_thumb.*'
  scarscope analyze photos/ --shard 3/8 --format jsonl -o part-3.jsonl --resume
",
    [
        "0    every image analysed",
        "1    some images failed (each reported with its error; the rest analysed)",
        "2    usage error, nothing to analyse, or the output cannot be written",
        "130  interrupted (SIGINT; 143 for SIGTERM): no partial output is left (--resume keeps finished lines)",
    ]
);

/// `compare --help`'s description: how photos are paired.
const COMPARE_ABOUT: &str = "Compare before/after photos of a treatment course.

Pairs: two files; two folders (paired by relative path, then by file stem ignoring case and the words \
before/after/pre/post); or --pairs FILE.csv with columns before,after[,id] (header optional, paths relative to \
the CSV's folder).";

subcommand_help!(
    COMPARE_EXIT,
    COMPARE_HELP,
    "  scarscope compare before.jpg after.jpg
  scarscope compare before/ after/ --format json -o course.json
  scarscope compare --pairs pairs.csv --px-per-mm 12 --format csv > changes.csv
",
    [
        "0    every pair compared",
        "1    some pairs failed (each reported with its error; the rest compared)",
        "2    usage error, nothing to compare, or the output cannot be written",
        "130  interrupted (SIGINT; 143 for SIGTERM): no partial output is left",
    ]
);

subcommand_help!(
    TEXTURE_EXIT,
    TEXTURE_HELP,
    "  scarscope texture cheek.png
  scarscope texture cheek.png --roi 100,100,256,256 --bins 32 --format json
  scarscope texture cheek.png --mask scar_mask.png --bin-width 8
",
    [
        "0    features printed",
        "2    usage error, or the image (or mask) cannot be read",
    ]
);

subcommand_help!(
    RENDER_EXIT,
    RENDER_HELP,
    "  scarscope render scenes/ --count 10 --seed 7
  scarscope render scenes/ --mix boxcar --tone tan --azimuth 90 --jpeg-quality 85
  scarscope render pairs/ --pair --count 4 --depth-factor 0.6 --rotate 3
  scarscope analyze scenes/ --px-per-mm 12
",
    [
        "0    scenes and truth files written",
        "2    usage error, or a file cannot be written",
    ]
);

subcommand_help!(
    EVALUATE_EXIT,
    EVALUATE_HELP,
    "  scarscope evaluate --count 40 --seed 1000
  scarscope evaluate --mix rolling --count 12 --details
  scarscope evaluate --labels labels.csv --images photos/ --format json
  scarscope evaluate --labels labels.csv --report report.json
  scarscope evaluate --labels labels.csv --stability --jobs 2
  scarscope evaluate --labels labels.csv --shrink 120
",
    [
        "0    scores printed (whether or not the targets are met: read the last line)",
        "2    usage error, a bad labels file, or a report that cannot be read",
    ]
);

subcommand_help!(
    CALIBRATE_EXIT,
    CALIBRATE_HELP,
    "  scarscope calibrate --labels clinic/labels.csv -o clinic.toml
  scarscope calibrate --labels labels.csv --images photos/ --folds 10 --cache features.jsonl -o clinic.toml
  scarscope calibrate --labels labels.csv --augment thumb,half --check jpeg60,exposure --held-out held.csv -o t.toml
  scarscope analyze photos/ --profile clinic.toml
",
    [
        "0    profile written",
        "2    usage error (bad labels file, missing photo, unwritable output)",
    ]
);

subcommand_help!(
    BENCH_EXIT,
    BENCH_HELP,
    "  scarscope bench
  scarscope bench --repeat 9 --big-photos 4 --small-photos 24
  scarscope bench --no-children
",
    [
        "0    figures printed",
        "2    usage error, or the benchmark photos cannot be made"
    ]
);

subcommand_help!(
    PROFILE_EXIT,
    PROFILE_HELP,
    "  scarscope profile > mine.toml
  scarscope profile --profile mine.toml
  scarscope analyze photos/ --profile mine.toml
",
    ["0    profile printed", "2    the profile file is invalid"]
);

subcommand_help!(
    SCHEMA_EXIT,
    SCHEMA_HELP,
    "  scarscope schema > scarscope.schema.json
  scarscope schema --compare > compare.schema.json
",
    ["0    schema printed", "2    usage error"]
);

subcommand_help!(
    MERGE_EXIT,
    MERGE_HELP,
    "  scarscope analyze photos/ --shard 1/2 --json -o part-1.json
  scarscope analyze photos/ --shard 2/2 --json -o part-2.json
  scarscope merge part-1.json part-2.json -o report.json
  scarscope merge parts/part-*.jsonl > report.jsonl
",
    [
        "0    merged; every image analysed",
        "1    merged; some images had failed (as the single run would say)",
        "2    a part cannot be read, or the parts are not of one run",
    ]
);

subcommand_help!(
    COMPLETIONS_EXIT,
    COMPLETIONS_HELP,
    "  source <(scarscope completions bash)
  scarscope completions bash > ~/.local/share/bash-completion/completions/scarscope
  scarscope completions zsh > ~/.zfunc/_scarscope
  scarscope completions fish > ~/.config/fish/completions/scarscope.fish
",
    ["0    script printed", "2    unknown shell"]
);

subcommand_help!(
    MAN_EXIT,
    MAN_HELP,
    "  scarscope man | man -l -
  scarscope man analyze > scarscope-analyze.1
",
    ["0    page printed", "2    unknown subcommand"]
);

/// The command line as parsed, shown in --help and written into completions and the man page: the derived
/// definition plus the notice, which lives in the library (`report::NOTICE`) so JSON, tables and help share
/// one text.
fn cli_command() -> clap::Command {
    Cli::command().after_help(format!(
        "{}\n\nExit codes: 0 all images analysed; 1 some images failed (the rest reported); 2 usage error or \
nothing to analyse. Each command's --help lists its own, with examples.",
        scarscope::report::NOTICE
    ))
}

fn main() -> ExitCode {
    keep_freed_memory_for_reuse();
    let cli = match Cli::from_arg_matches(&cli_command().get_matches()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    clean_up_on_signals();
    let result = match cli.command {
        Command::Analyze(a) => scarscope::batch::run_analyze(&a),
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
        Command::Merge(a) => scarscope::shard::run_merge(&a),
        Command::Completions { shell } => run_printing(|out| {
            clap_complete::generate(shell, &mut cli_command(), "scarscope", out);
            Ok(())
        }),
        Command::Man { subcommand } => run_printing(|out| man_page(subcommand.as_deref(), out)),
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

/// Writes the roff manual page of scarscope, or of `subcommand` (named `scarscope-SUBCOMMAND`, as git's are).
fn man_page(subcommand: Option<&str>, out: &mut dyn Write) -> anyhow::Result<()> {
    // `build` propagates the version and help flags into the subcommands and names them `scarscope-NAME`
    // (display) and `scarscope NAME` (synopsis), so their pages are complete.
    let mut cmd = cli_command();
    cmd.build();
    let page = match subcommand {
        None => cmd,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                return Err(scarscope::batch::UsageError(format!(
                    "no subcommand '{name}' (one of: {})",
                    names.join(", ")
                ))
                .into());
            };
            // A subcommand has no version of its own; the page's footer names the program's.
            sub.clone().version(env!("CARGO_PKG_VERSION"))
        }
    };
    clap_mangen::Man::new(page).render(out)?;
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits one shell command line into words: whitespace separates, '…' and "…" quote; the command ends
    /// at a pipe, a redirection or a process substitution's `)`.
    fn words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quote: Option<char> = None;
        let mut started = false;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => cur.push(c),
                (None, '\'' | '"') => {
                    quote = Some(c);
                    started = true;
                }
                (None, '|' | '>' | ')') => break,
                (None, c) if c.is_whitespace() => {
                    if started || !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    started = false;
                }
                (None, c) => cur.push(c),
            }
        }
        if started || !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    #[test]
    fn every_help_example_parses() {
        let mut cmd = cli_command();
        cmd.build();
        let mut seen = 0;
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let help = sub
                .get_after_long_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.contains("Examples:"),
                "{} has examples",
                sub.get_name()
            );
            let short = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            for h in [&help, &short] {
                assert!(
                    h.contains("Exit codes:\n  0 "),
                    "{}: exit codes",
                    sub.get_name()
                );
            }
            for line in help.lines() {
                let Some(at) = line.find("scarscope ") else {
                    continue;
                };
                // `source <(scarscope …)`: the command inside.
                let argv = words(&line[at..]);
                if argv.get(1).map(String::as_str) == Some("man") && argv.len() > 2 {
                    assert!(cmd.find_subcommand(&argv[2]).is_some(), "{line}");
                }
                if let Err(e) = Cli::try_parse_from(&argv) {
                    panic!("example `{line}` does not parse:\n{e}");
                }
                seen += 1;
            }
        }
        assert!(seen >= 25, "{seen} examples checked");
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            words("scarscope analyze a/ --format jsonl | jq -c '{path}'"),
            ["scarscope", "analyze", "a/", "--format", "jsonl"]
        );
        assert_eq!(
            words("scarscope x 'a b' \"\""),
            ["scarscope", "x", "a b", ""]
        );
        assert_eq!(words("scarscope schema > s.json"), ["scarscope", "schema"]);
    }
}
