//! Line coverage reports (lcov `.info` and Cobertura XML), read into one shape: hits per line
//! per repo-relative file, for `pave gate ai-provenance`'s changed-line coverage.
//!
//! NOTE: this is the API the gates are written against; the parsers are being written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Hits per line (1-based) per file, the file as a path relative to the repository root with `/`
/// separators (`src/lib.rs`). A line missing from a file's map is not coverable (a comment, a
/// blank line) or was not instrumented.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub files: BTreeMap<String, BTreeMap<u32, u64>>,
}

/// The format of a report, detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Lcov,
    Cobertura,
}

#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("cannot read coverage report {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// What is wrong and where: `lcov.info:12: DA needs a line number and a hit count`.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: neither an lcov tracefile nor a Cobertura XML report", path.display())]
    UnknownFormat { path: PathBuf },
}

impl Coverage {
    /// Reads the report at `path`; source paths in it are made relative to `repo_root`
    /// (absolute paths under it, Cobertura `<source>` prefixes, `./`); files outside the repo are
    /// dropped.
    pub fn load(path: &Path, repo_root: &Path) -> Result<Self, CoverageError> {
        let _ = repo_root;
        Err(CoverageError::UnknownFormat {
            path: path.to_owned(),
        })
    }

    /// Hits of `line` in `file` (repo-relative, `/`-separated); `None` when the line is not
    /// coverable or the file is not in the report.
    pub fn hits(&self, file: &str, line: u32) -> Option<u64> {
        self.files.get(file)?.get(&line).copied()
    }
}
