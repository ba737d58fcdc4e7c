//! The `scarscope texture` command: all texture features of one image, as a table or JSON.

use std::io::Write;

/// Arguments of `scarscope texture`.
#[derive(Debug, Clone, clap::Args)]
pub struct TextureArgs {
    /// The image to measure.
    pub image: std::path::PathBuf,
}

/// Runs `scarscope texture` and writes the result to `out`.
pub fn run(args: &TextureArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let _ = (args, out);
    anyhow::bail!("texture features are not implemented yet")
}
