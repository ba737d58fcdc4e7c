//! The `scarscope render` command: writes rendered scenes and their truth files.

/// Arguments of `scarscope render`.
#[derive(Debug, Clone, clap::Args)]
pub struct RenderArgs {
    /// Folder to write the scenes into.
    pub out_dir: std::path::PathBuf,
}

/// Runs `scarscope render`.
pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("the renderer is not implemented yet")
}
