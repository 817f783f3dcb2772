//! Where an audit's repos come from besides the folders it walks: a repos file (`--repos-file`,
//! paths and git URLs, URLs cloned bare into a cache) and, for `pave audit merge`, the JSON
//! reports of earlier runs.

use std::path::{Path, PathBuf};

use super::{AuditReport, RepoKind, RepoRef};
use crate::catalog::GitLocation;

/// Why an audit's input cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not an audit JSON report: {message}")]
    NotAReport {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The repos a repos file lists, and what could not be fetched (each a line for a warning:
/// the repo is still audited, from its cached clone or as unreadable).
#[derive(Debug, Default)]
pub struct ReposFile {
    pub repos: Vec<RepoRef>,
    pub warnings: Vec<String>,
}

/// Reads a repos file: one path or git URL per line (`#` comments and blank lines skipped),
/// paths relative to the file's folder. URLs are cloned bare into `cache` (a folder per URL),
/// fetched again when `fetch`; `file://` works offline.
pub fn read_repos_file(file: &Path, cache: &Path, fetch: bool) -> Result<ReposFile, AuditError> {
    let text = std::fs::read_to_string(file).map_err(|source| AuditError::Read {
        path: file.to_owned(),
        source,
    })?;
    let base = file.parent().map(PathBuf::from).unwrap_or_default();
    let mut out = ReposFile::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if GitLocation::is_url(line) {
            let dest = crate::catalog::cache_dir(cache, line);
            let is_cached = git2::Repository::open_bare(&dest).is_ok();
            if !is_cached || fetch {
                std::fs::create_dir_all(cache).map_err(|source| AuditError::Write {
                    path: cache.to_owned(),
                    source,
                })?;
                // A fresh clone replaces the cached one only once it is complete, so a failed
                // fetch keeps the last good copy.
                if let Err(why) = clone_repo(line, &dest) {
                    let note = if is_cached {
                        "; using the cached clone"
                    } else {
                        ""
                    };
                    out.warnings.push(format!(
                        "{}:{}: cannot clone {line}: {why}{note}",
                        file.display(),
                        index + 1
                    ));
                }
            }
            out.repos.push(RepoRef {
                name: line.to_owned(),
                path: dest,
                kind: RepoKind::Bare,
            });
        } else {
            let path = base.join(line);
            let kind = if path.join(".git").exists() {
                RepoKind::Worktree
            } else {
                RepoKind::Bare
            };
            out.repos.push(RepoRef {
                name: line.to_owned(),
                path,
                kind,
            });
        }
    }
    Ok(out)
}

/// A bare clone of `url` with its branches and HEAD (a catalog's clone fetches tags only, which
/// would leave HEAD unborn and the repo unadopted), made beside `dest` and renamed into place.
fn clone_repo(url: &str, dest: &Path) -> Result<(), String> {
    let parent = dest
        .parent()
        .ok_or_else(|| format!("{} has no parent folder", dest.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".clone-")
        .tempdir_in(parent)
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(url, staging.path())
        .map_err(|e| e.message().to_owned())?;
    let staged = staging.keep();
    // Swap the old clone out only now that the new one is complete.
    if dest.exists() {
        let old = dest.with_extension("old");
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dest, &old).map_err(|e| format!("{}: {e}", dest.display()))?;
        let _ = std::fs::remove_dir_all(&old);
    }
    std::fs::rename(&staged, dest).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        format!("{}: {e}", dest.display())
    })
}

/// Reads an audit report written by `pave audit --format json`.
pub fn read_report(path: &Path) -> Result<AuditReport, AuditError> {
    let text = std::fs::read_to_string(path).map_err(|source| AuditError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| AuditError::NotAReport {
        path: path.to_owned(),
        line: e.line(),
        message: e.to_string(),
    })
}
