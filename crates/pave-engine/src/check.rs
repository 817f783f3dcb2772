//! Conformance: does a repo still match what its golden paths rendered?
//!
//! Drift comes from the lock alone, offline, with no catalog: a managed file edited or deleted is
//! drift, unless the edit only moved pins the golden path declares forward (the lock records the
//! render's pins, see [`crate::pins`]); a merged file edited is reported and allowed; seeded
//! files are the repo's. [`judge`] decides a file's state for `check`, `gate conformance`,
//! `diff`, `audit`, `apply` and `upgrade` alike.
//! When the golden path's catalog is reachable, the report also carries the version lag and
//! whether the lock agrees with a fresh render of its version and answers (a hand-edited lock).

use std::path::{Path, PathBuf};

use serde::Serialize;

use pave_model::status::Lag;

use crate::answers::{self, AnswerError};
use crate::catalog::{Catalog, CatalogError, GoldenPath, listing_of_locked, load_locked};
use crate::pins::{self, PinChange};
use crate::render::{self, RenderError, Rendered};
use pave_model::lock::{Exception, Lock, LockEntry, LockedFile, sha256_hex};
use pave_model::manifest::Ownership;

/// What happened to one file the lock records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileState {
    /// Exactly as rendered.
    Unchanged,
    /// A managed file whose content differs from the render: drift, fails.
    Drifted,
    /// A managed file that differs from the render only in pins its golden path declares, each
    /// moved forward (a Dependabot or Renovate update): allowed, reported.
    Pinned,
    /// A managed or merged file that is gone: fails.
    Deleted,
    /// A merged file edited locally: allowed, reported.
    Edited,
    /// A merged file that still holds the conflict markers `pave upgrade` wrote into it: the
    /// merge is unfinished, so it fails until they are resolved.
    Conflicted,
    /// The repo kept its own version on purpose (`apply --conflict=keep|write-new`): pave no
    /// longer compares it, so it counts as an exception.
    Diverged,
    /// A managed file tailored by a recorded exception (`pave except`), exactly as recorded:
    /// allowed, and reported with its reason and size.
    Excepted,
    /// Seeded: the repo's own after creation, never checked.
    Seeded,
}

impl FileState {
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Drifted | Self::Deleted | Self::Conflicted)
    }

    /// A failure that `pave apply --force` undoes by writing the golden path's content again
    /// (not a conflict: forcing would throw away the repo's half of the merge).
    pub fn is_restorable(self) -> bool {
        matches!(self, Self::Drifted | Self::Deleted)
    }

    /// The repo departs from the golden path here by a recorded choice (an exception, or a file
    /// kept with `--conflict=keep`): allowed, but the repo is "conforming with exceptions".
    pub fn is_exception(self) -> bool {
        matches!(self, Self::Excepted | Self::Diverged)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Drifted => "drifted",
            Self::Pinned => "pinned",
            Self::Deleted => "deleted",
            Self::Edited => "edited",
            Self::Conflicted => "conflicted",
            Self::Diverged => "diverged",
            Self::Excepted => "excepted",
            Self::Seeded => "seeded",
        }
    }
}

/// One file of the lock and its state in the repo.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub ownership: Ownership,
    pub component: String,
    pub state: FileState,
    pub expected_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_sha256: Option<String>,
    /// The declared pins that moved (state `pinned`: all forward; `drifted`: at least one not,
    /// while the rest of the file is as rendered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<PinChange>,
    /// The recorded exception of this file (`pave except`), whatever its state now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Exception>,
}

/// What the catalog says about a golden path of the lock.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogView {
    /// The catalog consulted (`--catalog`, or the one the lock records).
    pub catalog: String,
    pub latest: String,
    pub lag: Lag,
    /// Released versions newer than the locked one.
    pub versions_behind: usize,
    /// Where the lock disagrees with a fresh render of its version and answers.
    pub lock_mismatches: Vec<String>,
}

/// The conformance of one golden path of the lock.
#[derive(Debug, Clone, Serialize)]
pub struct GoldenPathReport {
    pub name: String,
    pub version: String,
    pub catalog: String,
    pub files: Vec<FileReport>,
    /// `None` when the catalog was not consulted or not reachable (see `catalog_note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_view: Option<CatalogView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_note: Option<String>,
}

impl GoldenPathReport {
    pub fn count(&self, state: FileState) -> usize {
        self.files.iter().filter(|f| f.state == state).count()
    }

    /// Files that depart from the golden path by a recorded choice (excepted or diverged).
    pub fn exceptions(&self) -> usize {
        self.files.iter().filter(|f| f.state.is_exception()).count()
    }

    pub fn is_conforming(&self) -> bool {
        !self.files.iter().any(|f| f.state.is_failure())
            && self
                .catalog_view
                .as_ref()
                .is_none_or(|c| c.lock_mismatches.is_empty())
    }
}

/// The conformance of a repo: one report per golden path of its lock.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub root: PathBuf,
    pub repo_id: String,
    pub conforming: bool,
    /// `conforming`, `conforming with exceptions` or `not conforming`: a repo that tailors
    /// managed files by recorded exceptions (or keeps its own versions) is never plainly
    /// conforming.
    pub verdict: &'static str,
    /// Files excepted or diverged, over every golden path.
    pub exceptions: usize,
    pub golden_paths: Vec<GoldenPathReport>,
}

impl CheckReport {
    /// The words of [`CheckReport::verdict`] for a repo that passes or not, with `exceptions`.
    pub fn verdict_of(is_conforming: bool, exceptions: usize) -> &'static str {
        match (is_conforming, exceptions) {
            (false, _) => "not conforming",
            (true, 0) => "conforming",
            (true, _) => "conforming with exceptions",
        }
    }
}

/// Opens the catalog of a lock entry, or says why it cannot be read here (and what to do).
pub type OpenLocked<'a> = &'a dyn Fn(&LockEntry) -> Result<Box<dyn Catalog>, String>;

/// Where `check` may look for catalogs.
pub enum CatalogAccess<'a> {
    /// Lock only.
    Offline,
    /// The catalog each entry records, or this one for every entry; an error is why it cannot
    /// be read here (and what to do), which the report carries as a note.
    Online(OpenLocked<'a>),
}

/// Checks the repo at `root` against its `lock`. A golden path the reachable catalog does not
/// know (or whose locked version it lacks) is an error, not a finding.
pub fn check(
    root: &Path,
    lock: &Lock,
    access: CatalogAccess<'_>,
) -> Result<CheckReport, CatalogError> {
    let checkout = crate::eol::Checkout::of(root);
    let mut golden_paths = Vec::new();
    for entry in &lock.golden_paths {
        let files = entry
            .files
            .iter()
            .map(|f| file_report(root, &checkout, f))
            .collect();
        let (catalog_view, catalog_note) = match &access {
            CatalogAccess::Offline => (None, None),
            CatalogAccess::Online(open) => match open(entry) {
                Err(why) => (None, Some(format!("{why}; version lag unknown"))),
                Ok(catalog) => (
                    Some(catalog_view(catalog.as_ref(), entry, &|path| {
                        checkout.read_as_git(root, path)
                    })?),
                    None,
                ),
            },
        };
        golden_paths.push(GoldenPathReport {
            name: entry.name.clone(),
            version: entry.version.to_string(),
            catalog: entry.catalog.clone(),
            files,
            catalog_view,
            catalog_note,
        });
    }
    let conforming = golden_paths.iter().all(GoldenPathReport::is_conforming);
    let exceptions = golden_paths.iter().map(GoldenPathReport::exceptions).sum();
    Ok(CheckReport {
        root: root.to_owned(),
        repo_id: lock.repo_id.clone(),
        conforming,
        verdict: CheckReport::verdict_of(conforming, exceptions),
        exceptions,
        golden_paths,
    })
}

/// What the repo holds where the lock records a file.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// Nothing, or not a regular file (a link, a folder).
    Missing,
    /// Something that was not read (over a size limit): not what pave rendered.
    Unreadable,
    /// The file's bytes, text as git stores it.
    Bytes(&'a [u8]),
}

/// A locked file's state in the repo, with what shows it.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub state: FileState,
    /// SHA-256 of the repo's file, when it was read (and is not seeded).
    pub actual_sha256: Option<String>,
    /// The declared pins that moved, when nothing else in the file changed.
    pub pins: Vec<PinChange>,
}

/// The state of a locked file given what the repo holds: the one decision `check`, `gate
/// conformance`, `diff`, `audit`, `apply` and `upgrade` share. A managed file that differs from
/// the render only in its declared pins, each moved forward, is [`FileState::Pinned`]; a pin
/// moved back, or any other change, is drift.
pub fn judge(locked: &LockedFile, content: Content<'_>) -> Judgement {
    let judged = |state, actual_sha256, pins| Judgement {
        state,
        actual_sha256,
        pins,
    };
    if locked.ownership == Ownership::Seeded {
        return judged(FileState::Seeded, None, Vec::new());
    }
    let bytes = match content {
        Content::Missing => return judged(FileState::Deleted, None, Vec::new()),
        Content::Unreadable if locked.diverged => {
            return judged(FileState::Diverged, None, Vec::new());
        }
        Content::Unreadable => {
            let state = match locked.ownership {
                Ownership::Managed => FileState::Drifted,
                _ => FileState::Edited,
            };
            return judged(state, None, Vec::new());
        }
        Content::Bytes(bytes) => bytes,
    };
    let actual = sha256_hex(bytes);
    let excepted = locked.exception.as_ref();
    let has_conflict_markers = || crate::conflict::has_conflict_markers(bytes);
    let state = if locked.diverged {
        FileState::Diverged
    } else if actual == locked.sha256 {
        FileState::Unchanged
    } else if locked.ownership == Ownership::Managed && excepted.is_some() && has_conflict_markers()
    {
        // An upgrade merged the golden path's change into the exception and left markers.
        FileState::Conflicted
    } else if excepted.is_some_and(|e| e.sha256 == actual) {
        FileState::Excepted
    } else if locked.ownership == Ownership::Merged {
        if has_conflict_markers() {
            FileState::Conflicted
        } else {
            FileState::Edited
        }
    } else {
        let moved = locked.pins.as_ref().and_then(|p| pins::judge(p, bytes));
        return match moved {
            Some(changes)
                if !changes.is_empty() && changes.iter().all(|c| c.direction.is_accepted()) =>
            {
                judged(FileState::Pinned, Some(actual), changes)
            }
            Some(changes) => judged(FileState::Drifted, Some(actual), changes),
            None => judged(FileState::Drifted, Some(actual), Vec::new()),
        };
    };
    judged(state, Some(actual), Vec::new())
}

fn file_report(root: &Path, checkout: &crate::eol::Checkout, locked: &LockedFile) -> FileReport {
    // Text as git stores it: a CRLF checkout of an LF render is not an edit.
    let bytes = checkout.read_as_git(root, &locked.path);
    let content = bytes.as_deref().map_or(Content::Missing, Content::Bytes);
    let Judgement {
        state,
        actual_sha256,
        pins,
    } = judge(locked, content);
    FileReport {
        path: locked.path.to_string(),
        ownership: locked.ownership,
        component: locked.component.clone(),
        state,
        expected_sha256: locked.sha256.clone(),
        actual_sha256,
        pins,
        exception: locked.exception.clone(),
    }
}

/// What the catalog says of a lock entry: how far behind its newest release it is, and whether
/// the lock still matches what its version renders.
fn catalog_view(
    catalog: &dyn Catalog,
    entry: &LockEntry,
    read: &dyn Fn(&pave_base::repo_path::RepoPath) -> Option<Vec<u8>>,
) -> Result<CatalogView, CatalogError> {
    let listing = listing_of_locked(catalog, entry)?;
    let released: Vec<&semver::Version> = listing
        .versions
        .iter()
        .filter(|v| v.pre.is_empty())
        .collect();
    let latest = released
        .iter()
        .copied()
        .max()
        .unwrap_or(&entry.version)
        .clone();
    let versions_behind = released.iter().filter(|v| ***v > entry.version).count();
    let golden_path = load_locked(catalog, entry)?;
    let lock_mismatches = match render_entry(&golden_path, entry) {
        Ok(rendered) => mismatches(entry, &rendered, read),
        Err(e) => vec![format!("the lock's answers do not render: {e}")],
    };
    Ok(CatalogView {
        catalog: catalog.describe(),
        lag: Lag::between(&entry.version, &latest),
        latest: latest.to_string(),
        versions_behind,
        lock_mismatches,
    })
}

/// Why a lock entry does not render again: its answers no longer resolve, or the golden path
/// fails to render with them.
#[derive(Debug, thiserror::Error)]
pub enum RenderEntryError {
    #[error(transparent)]
    Answers(#[from] AnswerError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Renders a lock entry again: its golden path version, answers and components.
pub fn render_entry(
    golden_path: &GoldenPath,
    entry: &LockEntry,
) -> Result<Rendered, RenderEntryError> {
    // Every recorded answer counts: one the golden path does not know is a lock mismatch.
    let given = answers::recorded(&entry.answers, None);
    let answers = answers::resolve(
        &golden_path.manifest,
        &given,
        &answers::Target::recorded(),
        None,
    )?;
    Ok(render::render(golden_path, &answers, &entry.components)?)
}

fn mismatches(
    entry: &LockEntry,
    rendered: &Rendered,
    read: &dyn Fn(&pave_base::repo_path::RepoPath) -> Option<Vec<u8>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for locked in &entry.files {
        match rendered.files.get(&locked.path) {
            None => out.push(format!(
                "{}: in the lock, but {}@{} does not render it",
                locked.path, entry.name, entry.version
            )),
            Some(file) => {
                // An exception's recorded size must be the tailoring's, as a reviewer reads it.
                if let Some(exception) = &locked.exception
                    && let Some(bytes) = read(&locked.path)
                    && crate::except::is_excepted(locked, &bytes)
                {
                    let (added, removed) = crate::except::size(&file.bytes, &bytes);
                    if (added, removed) != (exception.added, exception.removed) {
                        out.push(format!(
                            "{}: the exception records {} lines, but the file is +{added} -{removed} against {}@{}",
                            locked.path,
                            exception.size(),
                            entry.name,
                            entry.version
                        ));
                    }
                }
                if sha256_hex(&file.bytes) != locked.sha256 {
                    out.push(format!(
                        "{}: the lock's sha256 is not what {}@{} renders",
                        locked.path, entry.name, entry.version
                    ));
                }
                if file.locked().pins != locked.pins {
                    out.push(format!(
                        "{}: the lock's pins are not the ones {}@{} declares and renders",
                        locked.path, entry.name, entry.version
                    ));
                }
                if file.ownership != locked.ownership {
                    out.push(format!(
                        "{}: the lock says {}, the golden path says {}",
                        locked.path, locked.ownership, file.ownership
                    ));
                }
            }
        }
    }
    for path in rendered.files.keys() {
        if !entry.files.iter().any(|f| f.path == *path) {
            out.push(format!(
                "{path}: rendered by {}@{}, but missing from the lock",
                entry.name, entry.version
            ));
        }
    }
    out
}
