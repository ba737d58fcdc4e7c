//! `--include GLOB` / `--exclude GLOB`: which files of a folder walk are analysed.
//!
//! Globs are matched against the path *relative to the folder given* (`photos/2024/a.jpg` walked from
//! `photos/` is matched as `2024/a.jpg`), in the dialect of ripgrep and fd (the `globset` crate): `*` and `?`
//! also match `/`, so `*.jpg` takes JPEGs at any depth, `**` spans folders, `{a,b}` and `[abc]` work. Matching
//! ignores case, as photo names come as `IMG_0001.JPG` as often as `.jpg`. A file is taken when it matches
//! some `--include` (or none is given) and no `--exclude`; a folder matching an `--exclude` is not entered at
//! all. Files named on the command line are always taken: the filters only choose within walks.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The compiled `--include` and `--exclude` globs of a run (both empty: every file is taken).
#[derive(Debug, Clone, Default)]
pub struct WalkFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl WalkFilter {
    /// Compiles the globs; a malformed one is an error naming it.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, String> {
        Ok(WalkFilter {
            include: compile("--include", include)?,
            exclude: compile("--exclude", exclude)?,
        })
    }

    /// Whether a file found at `relative` (to the walked folder) is analysed.
    pub fn takes_file(&self, relative: &Path) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match(relative)) && !self.excludes(relative)
    }

    /// Whether a folder found at `relative` is left out, with everything under it.
    pub fn excludes(&self, relative: &Path) -> bool {
        self.exclude.as_ref().is_some_and(|g| g.is_match(relative))
    }
}

fn compile(flag: &str, globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for g in globs {
        let glob = GlobBuilder::new(g)
            .case_insensitive(true)
            // `{a,b}` alternatives, as in shells.
            .empty_alternates(true)
            .build()
            .map_err(|e| format!("{flag} {g}: {}", e.kind()))?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|e| format!("{flag}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> WalkFilter {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        WalkFilter::new(&own(include), &own(exclude)).expect("valid globs")
    }

    #[test]
    fn globs_match_the_relative_path_at_any_depth_ignoring_case() {
        let f = filter(&["*.jpg"], &[]);
        assert!(f.takes_file(Path::new("a.jpg")));
        assert!(f.takes_file(Path::new("2024/b.JPG")));
        assert!(!f.takes_file(Path::new("c.png")));
        let f = filter(&[], &["old/**", "*_thumb.*"]);
        assert!(f.takes_file(Path::new("new/a.jpg")));
        assert!(!f.takes_file(Path::new("old/a.jpg")));
        assert!(!f.takes_file(Path::new("x/a_thumb.png")));
        let f = filter(&[], &["old"]);
        assert!(
            f.excludes(Path::new("old")),
            "a folder can be left out whole"
        );
        let f = filter(&["{left,right}/*.png"], &[]);
        assert!(f.takes_file(Path::new("left/a.png")));
        assert!(!f.takes_file(Path::new("top/a.png")));
        assert!(WalkFilter::default().takes_file(Path::new("anything")));
    }

    #[test]
    fn a_bad_glob_is_named() {
        let e = WalkFilter::new(&["a[".into()], &[]).expect_err("unclosed class");
        assert!(e.starts_with("--include a["), "{e}");
    }
}
