//! Globs as golden paths and gate configurations write them: `*` stays within a folder, `**`
//! crosses folders (globset with `literal_separator`).

use globset::GlobMatcher;

/// Compiles `glob` with pave's meaning of `*` and `**`.
pub fn compile(glob: &str) -> Result<GlobMatcher, globset::Error> {
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}
