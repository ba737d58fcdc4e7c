//! Command-line options shared by the commands that read photos (`analyze`, `compare`).

use std::path::PathBuf;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table (default).
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line (per image or per pair).
    Jsonl,
    /// One CSV row per region (or per pair).
    Csv,
}

/// Arguments of `scarscope analyze`.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyzeArgs {
    /// Photos or folders (walked recursively, sorted, hidden entries skipped); `-` reads one photo from
    /// standard input (reported as `<stdin>`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In folders, analyse only files whose path relative to the folder matches GLOB (repeatable; `*` also
    /// matches `/`, `**` spans folders, case is ignored), e.g. `--include '*.jpg'`.
    #[arg(long, value_name = "GLOB", help_heading = "Folder walks")]
    pub include: Vec<String>,
    /// In folders, leave out files and folders whose relative path matches GLOB (repeatable; wins over
    /// --include), e.g. `--exclude 'old/**'`. Files named on the command line are always analysed.
    #[arg(long, value_name = "GLOB", help_heading = "Folder walks")]
    pub exclude: Vec<String>,
    /// Analyse only part K of N of the sorted inputs (contiguous, 1 <= K <= N), e.g. one task of a Slurm
    /// array; `scarscope merge` joins the parts' outputs into one run's.
    #[arg(long, value_name = "K/N", value_parser = crate::shard::parse_shard, help_heading = "Many machines")]
    pub shard: Option<crate::shard::Shard>,
    /// With `--format jsonl -o FILE`: skip the images FILE already holds and append the rest, each line
    /// written as it is done, so that an interrupted run continues where it stopped.
    #[arg(long, help_heading = "Many machines")]
    pub resume: bool,
    /// Options shared with `compare`.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options common to every command that reads photos.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Shorthand for `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// With `--format csv`: begin with a UTF-8 byte-order mark, so that Excel reads accented file names right.
    #[arg(long)]
    pub csv_bom: bool,
    /// Write the output to FILE instead of stdout: a regular file (or the file a symlink points to) is
    /// replaced atomically (a temporary file renamed into place); a device or FIFO is written into.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Number of images analysed in parallel (default: all cores; at most 4 per core). Output does not depend
    /// on it.
    #[arg(short = 'j', long, visible_alias = "threads", value_name = "N",
          allow_negative_numbers = true, value_parser = positive_count)]
    pub jobs: Option<usize>,
    /// Scale of the photos in pixels per millimetre, when known; enables sizes in mm (without it, sizes are in
    /// mm only where both eyes give an estimate: `scale_source` "estimated").
    #[arg(long, value_name = "F", allow_negative_numbers = true, value_parser = positive_number)]
    pub px_per_mm: Option<f64>,
    /// Refuse images whose declared size exceeds this many megapixels (checked before decoding).
    #[arg(long, value_name = "MP", default_value_t = 100.0, allow_negative_numbers = true,
          value_parser = positive_number)]
    pub max_megapixels: f64,
    /// Memory the images being decoded and analysed may hold together, e.g. 2G or 512M (K, M, G, T are powers
    /// of 1024). Each image is admitted by its size read from its header, so large images wait for each other
    /// instead of exhausting memory; one larger than the budget runs alone. Default: half of the memory
    /// available (or of a lower limit on this process: ulimit -v, the cgroup's memory.max), else 2G.
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)]
    pub max_memory: Option<u64>,
    /// Rule profile (TOML) replacing the built-in one.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Write one annotated PNG per image (or pair) into DIR, at the input's own relative path plus `.png`.
    #[arg(long, value_name = "DIR")]
    pub overlay: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE (opens offline: summary charts, a sortable and
    /// filterable table, overlay thumbnails); replaced atomically like -o.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// No progress bar and no warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

// Numeric options take `-3` as their value (`allow_negative_numbers`) and refuse it here with what is wrong,
// instead of clap's reading `-3` as an unknown flag and suggesting `-- -3`.

/// Parses a count that must be at least 1 (`--jobs`), saying "must be positive" for `-3` and `0`.
pub fn positive_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|_| format!("{n} is too large")),
        Ok(_) => Err("must be positive (1 or more)".into()),
        Err(_) => Err("must be a positive whole number".into()),
    }
}

/// Parses a number that must be finite and above 0 (`--px-per-mm`, `--max-megapixels`).
pub fn positive_number(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err("must be positive (a finite number above 0)".into()),
        Err(_) => Err("must be a positive number".into()),
    }
}

impl CommonArgs {
    /// The output format, with `--json` taken into account.
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_must_be_positive() {
        assert_eq!(positive_count("4"), Ok(4));
        for bad in ["-3", "0"] {
            assert!(positive_count(bad).is_err_and(|e| e.contains("must be positive")));
        }
        assert!(positive_count("1.5").is_err_and(|e| e.contains("whole number")));
        assert!(positive_count("99999999999999999999999").is_err());
        assert_eq!(positive_number("12.5"), Ok(12.5));
        for bad in ["-2", "0", "-0", "inf", "NaN", "-1e400"] {
            assert!(
                positive_number(bad).is_err_and(|e| e.contains("must be positive")),
                "{bad}"
            );
        }
        assert!(positive_number("twelve").is_err());
    }
}
