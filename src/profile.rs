//! Rule profile: every threshold of the analysis in one documented TOML file, built into the binary.
//!
//! `profiles/default.toml` is embedded at compile time; `--profile FILE` replaces it. The report's
//! `settings.profile` names the profile used.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The built-in profile's TOML text.
pub const DEFAULT_TOML: &str = include_str!("../profiles/default.toml");

/// All thresholds of the analysis, as read from a profile file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name shown in the report's `settings.profile`.
    pub name: String,
}

impl Profile {
    /// The profile built into the binary.
    pub fn builtin() -> Self {
        // The embedded text is checked by a unit test, so this cannot fail in a released binary.
        toml::from_str(DEFAULT_TOML).expect("built-in profile parses")
    }

    /// Reads a profile from a TOML file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read profile {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid profile {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_profile_parses() {
        let p = super::Profile::builtin();
        assert_eq!(p.name, "default");
    }
}
