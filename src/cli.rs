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

/// Options common to every command that reads photos.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Shorthand for `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write the output to FILE instead of stdout: a regular file (or the file a symlink points to) is
    /// replaced atomically (a temporary file renamed into place); a device or FIFO is written into.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Number of images analysed in parallel (default: all cores; at most 4 per core). Output does not depend
    /// on it.
    #[arg(short = 'j', long, visible_alias = "threads", value_name = "N")]
    pub jobs: Option<usize>,
    /// Scale of the photos in pixels per millimetre, when known; enables sizes in mm.
    #[arg(long, value_name = "F")]
    pub px_per_mm: Option<f64>,
    /// Refuse images whose declared size exceeds this many megapixels (checked before decoding).
    #[arg(long, value_name = "MP", default_value_t = 100.0)]
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
    /// Write one annotated PNG per image (or pair) into DIR.
    #[arg(long, value_name = "DIR")]
    pub overlay: Option<PathBuf>,
    /// No progress bar and no warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
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
