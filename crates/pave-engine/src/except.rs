//! Exceptions: a recorded, reviewable tailoring of a managed file (`pave except FILE --reason …`).
//!
//! The repo's version of the file is the tailoring; the lock records its fingerprint (SHA-256 as
//! git stores the text), its size against the render (lines added and removed) and the reason a
//! reviewer accepted. While the file holds exactly that, every command reports it as `excepted`
//! and the repo as "conforming with exceptions"; any other change is drift again, so a tailoring
//! cannot grow unreviewed. `pave upgrade` carries it to a new version by a 3-way merge
//! (`crate::upgrade::plan`), and [`retarget`] re-fingerprints the merged result.

use std::path::Path;

use pave_base::repo_path::RepoPath;
use pave_model::lock::{Exception, Lock, LockEntry, sha256_hex};
use pave_model::manifest::Ownership;

use crate::eol::Checkout;
use crate::render::Rendered;

pub use pave_model::lock::MAX_REASON_LEN;

/// Why a file's exception cannot be recorded or dropped.
#[derive(Debug, thiserror::Error)]
pub enum ExceptError {
    #[error("{path}: not in the lock; only files a golden path rendered can be excepted")]
    NotInLock { path: String },
    #[error("{path}: a {ownership} file of {golden_path} needs no exception ({why})")]
    NotManaged {
        path: String,
        ownership: Ownership,
        golden_path: String,
        why: &'static str,
    },
    #[error(
        "{path}: the repo already keeps its own version of it (diverged with --conflict=keep), which counts as an exception"
    )]
    Diverged { path: String },
    #[error("{path}: the file is missing; restore it (`git restore {path}`) and edit it first")]
    Missing { path: String },
    #[error(
        "{path}: the file is exactly what {golden_path} renders; edit it first, then record the exception"
    )]
    AsRendered { path: String, golden_path: String },
    /// Nothing to except: the file's only change is declared pins moved forward.
    #[error(
        "{path}: the file differs from {golden_path} only in pins moved forward, which pave check accepts as they are; no exception is needed"
    )]
    OnlyPins { path: String, golden_path: String },
    #[error(
        "{path}: the file still holds conflict markers; resolve them first (keep what it should say, delete the markers)"
    )]
    Conflicted { path: String },
    #[error(
        "{path}: say why with --reason \"…\" (the reason is recorded in .pave/lock.yaml and shown wherever the file is reported)"
    )]
    NoReason { path: String },
    #[error("--reason: {why}")]
    BadReason { why: String },
    #[error("{path}: has no recorded exception to drop")]
    NotExcepted { path: String },
    #[error(
        "{path}: the lock's sha256 is not what {golden_path} renders; the lock disagrees with its golden path (run `pave check`)"
    )]
    LockMismatch { path: String, golden_path: String },
}

/// What was done to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new exception.
    Recorded {
        path: RepoPath,
        exception: Exception,
    },
    /// The file's exception now fingerprints its current content (the tailoring changed).
    Updated {
        path: RepoPath,
        exception: Exception,
    },
    /// The exception was already recorded for exactly this content and reason.
    Unchanged {
        path: RepoPath,
        exception: Exception,
    },
    /// The exception is gone; the file is drift until it is restored.
    Dropped {
        path: RepoPath,
        /// `name@version` of the golden path that renders it.
        golden_path: String,
        state: DroppedFile,
    },
}

/// Where a file whose exception was dropped stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DroppedFile {
    /// Exactly as the golden path renders it: nothing left to do.
    AsRendered,
    /// It still holds its own version: drift until restored.
    Tailored,
    /// Not in the repo: deleted, drift until restored.
    Missing,
}

/// Whether `bytes` (as git stores them) are exactly the recorded exception of `locked`, and not
/// an unresolved merge of it (an upgrade records the marked bytes until they are resolved). Here,
/// below `check` and `plan`, which both ask (it lived in `plan`, which now asks `check`).
pub fn is_excepted(locked: &pave_model::lock::LockedFile, bytes: &[u8]) -> bool {
    locked
        .exception
        .as_ref()
        .is_some_and(|e| e.sha256 == sha256_hex(bytes))
        && !crate::conflict::has_conflict_markers(bytes)
}

/// Lines `tailored` adds to and removes from `render` (text compared line by line).
pub fn size(render: &[u8], tailored: &[u8]) -> (u32, u32) {
    let (old, new) = (
        String::from_utf8_lossy(render),
        String::from_utf8_lossy(tailored),
    );
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let (mut added, mut removed) = (0u32, 0u32);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added = added.saturating_add(1),
            similar::ChangeTag::Delete => removed = removed.saturating_add(1),
            similar::ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

/// `exception` re-recorded for `tailored`, the tailoring now applied to `render` (after an
/// upgrade merged it into a new version): the reason stays, fingerprint and size follow.
pub fn retarget(exception: Exception, render: &[u8], tailored: &[u8]) -> Exception {
    let (added, removed) = size(render, tailored);
    Exception {
        sha256: sha256_hex(tailored),
        added,
        removed,
        ..exception
    }
}

/// A checked `--reason`: one line of printable text, bounded ([`Exception::check_reason`]).
pub fn reason(text: &str) -> Result<String, ExceptError> {
    Exception::check_reason(text).map_err(|why| ExceptError::BadReason { why })
}

/// The lock entry that owns `path`, whose fresh render [`record`] measures against.
pub fn entry_of<'a>(lock: &'a Lock, path: &RepoPath) -> Result<&'a LockEntry, ExceptError> {
    find(lock, path).map(|(gp, _)| &lock.golden_paths[gp])
}

/// Records (or, with `reason` absent, refreshes) the exception of `path` in `lock`, measured
/// against `rendered`, the fresh render of the lock entry that owns it ([`entry_of`]). Returns
/// the new lock and what was done; nothing is written here.
pub fn record(
    root: &Path,
    lock: &Lock,
    path: &RepoPath,
    reason: Option<&str>,
    rendered: &Rendered,
) -> Result<(Lock, Outcome), ExceptError> {
    let (gp, index) = find(lock, path)?;
    let entry = &lock.golden_paths[gp];
    let locked = &entry.files[index];
    let at = format!("{}@{}", entry.name, entry.version);
    let shown = path.to_string();
    match locked.ownership {
        Ownership::Managed => {}
        Ownership::Merged => {
            return Err(ExceptError::NotManaged {
                path: shown,
                ownership: locked.ownership,
                golden_path: at,
                why: "local edits of merged files are allowed and merged on upgrade",
            });
        }
        Ownership::Seeded => {
            return Err(ExceptError::NotManaged {
                path: shown,
                ownership: locked.ownership,
                golden_path: at,
                why: "seeded files are the repo's own after creation",
            });
        }
    }
    if locked.diverged {
        return Err(ExceptError::Diverged { path: shown });
    }
    let checkout = Checkout::of(root);
    let Some(bytes) = checkout.read_as_git(root, path) else {
        return Err(ExceptError::Missing { path: shown });
    };
    let actual = sha256_hex(&bytes);
    if actual == locked.sha256 {
        return Err(ExceptError::AsRendered {
            path: shown,
            golden_path: at,
        });
    }
    if crate::conflict::has_any_conflict_markers(&bytes) {
        return Err(ExceptError::Conflicted { path: shown });
    }
    // As `check::judge` would say `pinned` of the file without its exception (this module sits
    // below `check`, so it asks `pins` directly).
    let moved = locked
        .pins
        .as_ref()
        .and_then(|p| crate::pins::judge(p, &bytes));
    if moved.is_some_and(|m| !m.is_empty() && m.iter().all(|c| c.direction.is_accepted())) {
        return Err(ExceptError::OnlyPins {
            path: shown,
            golden_path: at,
        });
    }
    let reason = match (reason, &locked.exception) {
        (Some(text), _) => self::reason(text)?,
        (None, Some(prior)) => prior.reason.clone(),
        (None, None) => return Err(ExceptError::NoReason { path: shown }),
    };
    let render = rendered
        .files
        .get(path)
        .filter(|f| sha256_hex(&f.bytes) == locked.sha256)
        .ok_or_else(|| ExceptError::LockMismatch {
            path: shown.clone(),
            golden_path: at.clone(),
        })?;
    let (added, removed) = size(&render.bytes, &bytes);
    let exception = Exception {
        reason,
        sha256: actual,
        added,
        removed,
    };
    let outcome = match &locked.exception {
        None => Outcome::Recorded {
            path: path.clone(),
            exception: exception.clone(),
        },
        Some(prior) if *prior == exception => Outcome::Unchanged {
            path: path.clone(),
            exception: exception.clone(),
        },
        Some(_) => Outcome::Updated {
            path: path.clone(),
            exception: exception.clone(),
        },
    };
    let mut new_lock = lock.clone();
    new_lock.golden_paths[gp].files[index].exception = Some(exception);
    Ok((new_lock, outcome))
}

/// Drops the exception of `path` from `lock`.
pub fn drop(root: &Path, lock: &Lock, path: &RepoPath) -> Result<(Lock, Outcome), ExceptError> {
    let (gp, index) = find(lock, path)?;
    let locked = &lock.golden_paths[gp].files[index];
    if locked.exception.is_none() {
        return Err(ExceptError::NotExcepted {
            path: path.to_string(),
        });
    }
    let state = match Checkout::of(root).read_as_git(root, path) {
        None => DroppedFile::Missing,
        Some(b) if sha256_hex(&b) == locked.sha256 => DroppedFile::AsRendered,
        Some(_) => DroppedFile::Tailored,
    };
    let entry = &lock.golden_paths[gp];
    let golden_path = format!("{}@{}", entry.name, entry.version);
    let mut new_lock = lock.clone();
    new_lock.golden_paths[gp].files[index].exception = None;
    Ok((
        new_lock,
        Outcome::Dropped {
            path: path.clone(),
            golden_path,
            state,
        },
    ))
}

/// The golden path and file index of `path` in the lock.
fn find(lock: &Lock, path: &RepoPath) -> Result<(usize, usize), ExceptError> {
    lock.golden_paths
        .iter()
        .enumerate()
        .find_map(|(gp, entry)| {
            entry
                .files
                .iter()
                .position(|f| f.path == *path)
                .map(|index| (gp, index))
        })
        .ok_or_else(|| ExceptError::NotInLock {
            path: path.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_counts_lines_added_and_removed() {
        assert_eq!(size(b"a\nb\nc\n", b"a\nB\nc\nd\n"), (2, 1));
        assert_eq!(size(b"a\n", b"a\n"), (0, 0));
    }

    #[test]
    fn a_reason_is_one_bounded_line() {
        assert_eq!(reason("  PSP needs it ").unwrap(), "PSP needs it");
        assert!(reason("   ").is_err());
        assert!(reason("two\nlines").is_err());
        assert!(reason(&"x".repeat(MAX_REASON_LEN + 1)).is_err());
        assert!(reason("looks fine \u{202e}txt.exe").is_err());
    }

    #[test]
    fn retarget_keeps_the_reason_and_follows_the_content() {
        let e = Exception {
            reason: "why".into(),
            sha256: sha256_hex(b"old"),
            added: 1,
            removed: 0,
        };
        let moved = retarget(e, b"a\n", b"a\nb\nc\n");
        assert_eq!(moved.reason, "why");
        assert_eq!(moved.sha256, sha256_hex(b"a\nb\nc\n"));
        assert_eq!((moved.added, moved.removed), (2, 0));
    }
}
