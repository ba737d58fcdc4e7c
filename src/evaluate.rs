//! Accuracy scoring: renders scenes with known truth, analyses them and scores the analysis.

/// Arguments of `scarscope evaluate`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvaluateArgs {
    /// Number of scenes.
    #[arg(long, default_value_t = 20)]
    pub count: usize,
}

/// Runs `scarscope evaluate` and prints the scores.
pub fn run(args: &EvaluateArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let _ = (args, out);
    anyhow::bail!("evaluation is not implemented yet")
}
