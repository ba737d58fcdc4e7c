//! The `scarscope compare` command.

/// Arguments of `scarscope compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The photo (or folder) before treatment.
    pub before: std::path::PathBuf,
    /// The photo (or folder) after treatment.
    pub after: std::path::PathBuf,
    /// Options shared with `analyze`.
    #[command(flatten)]
    pub common: crate::cli::CommonArgs,
}

/// Runs `scarscope compare`; returns the process exit code (0 all ok, 1 some pairs failed, 2 nothing to compare).
pub fn run(args: &CompareArgs) -> anyhow::Result<i32> {
    let _ = args;
    anyhow::bail!("compare is not implemented yet")
}
