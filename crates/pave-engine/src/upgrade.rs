//! Upgrade planning: from the version a lock entry records to a newer one, per file by
//! ownership, with the declarative migrations of every version crossed.
//!
//! - managed: replaced by the new render; a local edit refuses the upgrade unless forced, but
//!   declared pins the repo moved forward are not an edit: where the repo's pin is newer than the
//!   new render's it is kept (the newer pin wins), else the golden path's new pin is written;
//! - merged: 3-way merge of the old render (base), the repo's file and the new render;
//!   overlapping edits get standard conflict markers and are listed;
//! - seeded: untouched (a rename migration still moves it, edits and all);
//! - gone from the golden path (or deleted by a migration): deleted if unmodified, else kept
//!   and reported.
//!
//! [`prepare`] chooses the target version, loads every version crossed, runs their migrations,
//! renders the old version (the merge base) and the new one and plans per file; nothing is
//! written until [`write`] carries the plan out, all or nothing, the lock last, so an
//! interrupted upgrade can simply be run again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pave_base::repo_path::RepoPath;
use pave_model::lock::{Lock, LockEntry, LockedFile, sha256_hex};
use pave_model::manifest::{Migration, Ownership};
use pave_model::parameter::{Answers, Value};

use crate::answers::{self, AnswerError, Asker, GivenAnswers};
use crate::apply::{self, ApplyError, Write};
use crate::catalog::{
    Catalog, CatalogError, GoldenPath, Reference, VersionSpec, listing_of_locked, load_locked,
};
use crate::check::{Content, FileState, RenderEntryError, judge, render_entry};
use crate::conflict::{CONFLICT_END, CONFLICT_SPLIT, CONFLICT_START};
use crate::pins::PinChange;
use crate::render::{self, RenderError, Rendered};

/// Why an upgrade cannot be planned or written.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Answers(#[from] AnswerError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// `--to` that is neither a version nor a requirement.
    #[error("--to {to}: {why}")]
    BadTarget { to: String, why: String },
    #[error(
        "{name}@{current} is newer than {target}; an upgrade does not go back (restore the older lock and files from git)"
    )]
    Downgrade {
        name: String,
        current: semver::Version,
        target: semver::Version,
    },
}

impl From<RenderEntryError> for UpgradeError {
    fn from(e: RenderEntryError) -> Self {
        match e {
            RenderEntryError::Answers(e) => Self::Answers(e),
            RenderEntryError::Render(e) => Self::Render(e),
        }
    }
}

/// What an upgrade would do: the target version, the versions crossed (oldest first, each with
/// its release notes), and the plan.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub target: semver::Version,
    pub crossed: Vec<GoldenPath>,
    pub plan: UpgradePlan,
}

/// Plans the upgrade of the repo at `root` from the golden path `entry` records to `to` (a
/// version or requirement; default the catalog's newest release); `None` when it is there
/// already. The recorded answers, migrated, are resolved with `given` on top (`--set`,
/// `--answers`), then `asker` for parameters new in the target version, then their defaults
/// (or a migration's value). A managed file edited locally is planned as refused unless
/// `is_forced`.
pub fn prepare(
    root: &Path,
    entry: &LockEntry,
    catalog: &dyn Catalog,
    to: Option<&str>,
    given: &GivenAnswers,
    asker: Option<&mut dyn Asker>,
    is_forced: bool,
) -> Result<Option<Prepared>, UpgradeError> {
    // The target version: `to` (exact or a requirement), else the newest release.
    let reference = Reference {
        name: entry.name.clone(),
        version: match to {
            None => VersionSpec::Newest,
            Some(to) => {
                format!("{}@{to}", entry.name)
                    .parse::<Reference>()
                    .map_err(|e| match e {
                        CatalogError::BadReference { why, .. } => UpgradeError::BadTarget {
                            to: to.to_owned(),
                            why,
                        },
                        other => other.into(),
                    })?
                    .version
            }
        },
    };
    let versions = listing_of_locked(catalog, entry)?.versions;
    if !versions.contains(&entry.version) {
        // A locked version the catalog lacks is the lock's problem (or the catalog's), not a
        // request to go back: loading it says so.
        load_locked(catalog, entry)?;
    }
    let target = reference
        .pick(&versions)
        .ok_or_else(|| CatalogError::UnknownVersion {
            name: entry.name.clone(),
            reference: reference.to_string(),
            catalog: catalog.describe(),
            known: versions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if target == entry.version {
        return Ok(None);
    }
    if target < entry.version {
        return Err(UpgradeError::Downgrade {
            name: entry.name.clone(),
            current: entry.version.clone(),
            target,
        });
    }

    let load = |v: &semver::Version| {
        catalog.load(&Reference {
            name: entry.name.clone(),
            version: VersionSpec::Exact(v.clone()),
        })
    };
    let old = load_locked(catalog, entry)?;
    let mut crossed = Vec::new();
    for v in versions
        .iter()
        .filter(|v| **v > entry.version && **v <= target && v.pre.is_empty())
    {
        crossed.push(load(v)?);
    }
    if crossed.last().map(|g| &g.manifest.version) != Some(&target) {
        crossed.push(load(&target)?);
    }
    let new = crossed.last().expect("the target is crossed").clone();
    let manifest = &new.manifest;

    let migrated = migrate(
        entry,
        crossed
            .iter()
            .flat_map(|g| g.manifest.migrations.iter().map(|m| &m.value)),
    );
    let mut all_given = answers::recorded(&migrated.answers, Some(manifest));
    all_given.extend(given.iter().map(|(k, v)| (k.clone(), v.clone())));
    // Recorded answers stay as they are; only a parameter new in the target version takes its
    // default, which may read the repo's git remote.
    let place = answers::Target {
        name: String::new(),
        remote: crate::remote::Remote::of(root),
    };
    let answers = answers::resolve(manifest, &all_given, &place, asker)?;
    let components: Vec<String> = manifest
        .components
        .keys()
        .filter(|c| entry.components.contains(c))
        .cloned()
        .collect();

    let base = render_entry(&old, entry)?;
    let rendered = render::render(&new, &answers, &components)?;
    let new_entry = LockEntry {
        name: entry.name.clone(),
        version: target.clone(),
        catalog: new.source.clone(),
        answers,
        components,
        files: Vec::new(),
    };
    let plan = plan(
        root, entry, &base, &rendered, &migrated, new_entry, is_forced,
    );
    Ok(Some(Prepared {
        target,
        crossed,
        plan,
    }))
}

/// Carries out a prepared upgrade of `lock`'s golden path in the repo at `root`: deletes and
/// writes all or nothing, the lock last. Returns the lock as written.
pub fn write(root: &Path, lock: &Lock, prepared: &Prepared) -> Result<Lock, ApplyError> {
    let plan = &prepared.plan;
    let mut writes: Vec<Write> = plan
        .files
        .iter()
        .filter_map(|f| {
            f.bytes.as_ref().map(|bytes| Write {
                path: f.path.clone(),
                bytes: bytes.clone(),
                is_executable: f.is_executable,
            })
        })
        .collect();
    let deletes: Vec<RepoPath> = plan
        .files
        .iter()
        .filter_map(|f| match (f.step, &f.moved_from) {
            (Step::Delete, _) => Some(f.path.clone()),
            // A renamed file is written at its new path (moved, merged or replaced): the old
            // one goes, when the repo still has it.
            (_, Some(from)) if f.bytes.is_some() && from.under(root).exists() => Some(from.clone()),
            _ => None,
        })
        .collect();
    let mut new_lock = lock.clone();
    if let Some(slot) = new_lock
        .golden_paths
        .iter_mut()
        .find(|e| e.name == plan.entry.name)
    {
        *slot = plan.entry.clone();
    }
    writes.extend(lock_writes(&new_lock));
    apply::apply_changes(root, &writes, &deletes)?;
    Ok(new_lock)
}

/// The lock and its schema as writes, the lock last.
fn lock_writes(lock: &Lock) -> impl Iterator<Item = Write> {
    lock.files().into_iter().map(|(path, bytes)| Write {
        path,
        bytes,
        is_executable: false,
    })
}

/// What the upgrade does to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Create,
    /// Replaced by the new render (managed, or merged without local edits).
    Replace,
    /// Merged cleanly with the repo's edits.
    Merge,
    /// Merged with conflict markers the person must resolve.
    MergeConflict,
    /// Moved by a rename migration (content decided by ownership as above).
    Move,
    /// Removed from the golden path and unmodified: deleted.
    Delete,
    /// Removed from the golden path but edited locally: kept, no longer owned.
    KeepOrphan,
    /// Left alone (seeded, diverged, or unchanged).
    Keep,
    /// A managed file edited locally: the upgrade is refused unless forced.
    Refused,
    /// A merged file that still holds the conflict markers of an earlier upgrade: refused until
    /// they are resolved.
    Unresolved,
    /// A file the new version adds where the repo already has its own, different one: pave
    /// never owned it, so the upgrade is refused unless forced (as `pave apply` refuses it). A
    /// folder or symbolic link there is refused even when forced.
    Claimed,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Replace => "replace",
            Self::Merge => "merge",
            Self::MergeConflict => "CONFLICT",
            Self::Move => "move",
            Self::Delete => "delete",
            Self::KeepOrphan => "orphan",
            Self::Keep => "keep",
            Self::Refused => "REFUSED",
            Self::Claimed => "EXISTS",
            Self::Unresolved => "UNRESOLVED",
        }
    }
}

/// One file of the upgrade plan.
#[derive(Debug, Clone)]
pub struct UpgradeFile {
    /// Where the file ends up (after renames).
    pub path: RepoPath,
    /// Where it was, when a migration moved it.
    pub moved_from: Option<RepoPath>,
    pub step: Step,
    pub ownership: Option<Ownership>,
    /// The bytes to write, for steps that write.
    pub bytes: Option<Vec<u8>>,
    pub is_executable: bool,
    /// For refused managed files: the repo's edits as a diff against the old render.
    pub local_diff: Option<String>,
    /// Pins the repo moved forward that stay because they are newer than the new render's
    /// (`from` the new render, `to` the repo's).
    pub kept_pins: Vec<PinChange>,
}

/// The whole upgrade: files, the migrated answers, and the new lock entry.
#[derive(Debug, Clone)]
pub struct UpgradePlan {
    pub files: Vec<UpgradeFile>,
    pub entry: LockEntry,
}

impl UpgradePlan {
    pub fn count(&self, step: Step) -> usize {
        self.files.iter().filter(|f| f.step == step).count()
    }

    pub fn is_noop(&self, old: &LockEntry) -> bool {
        self.files.iter().all(|f| f.step == Step::Keep) && *old == self.entry
    }
}

/// The migrations of the versions crossed, applied to the recorded answers and file paths.
#[derive(Debug, Clone, Default)]
pub struct Migrated {
    pub answers: Answers,
    /// Old path → new path.
    pub renames: BTreeMap<RepoPath, RepoPath>,
    pub deletes: BTreeSet<RepoPath>,
}

/// Applies `migrations` (already in version order) to the entry's answers and paths.
pub fn migrate<'a>(
    entry: &LockEntry,
    migrations: impl IntoIterator<Item = &'a Migration>,
) -> Migrated {
    let mut out = Migrated {
        answers: entry.answers.clone(),
        ..Migrated::default()
    };
    for m in migrations {
        match m {
            Migration::MoveAnswer { from, to } => {
                if let Some(value) = out.answers.0.shift_remove(from) {
                    out.answers.0.insert(to.clone(), value);
                }
            }
            Migration::SetAnswer { parameter, value } => {
                if !out.answers.0.contains_key(parameter)
                    && let Ok(v) = serde_json::from_value::<Value>(value.clone())
                {
                    out.answers.0.insert(parameter.clone(), v);
                }
            }
            Migration::Rename { from, to } => {
                // Paths were validated with the manifest.
                if let (Ok(from), Ok(to)) = (RepoPath::parse(from), RepoPath::parse(to)) {
                    // A file renamed twice across versions ends at the last name.
                    let origin = out
                        .renames
                        .iter()
                        .find(|(_, v)| **v == from)
                        .map(|(k, _)| k.clone())
                        .unwrap_or(from);
                    out.renames.insert(origin, to);
                }
            }
            Migration::Delete { path } => {
                if let Ok(path) = RepoPath::parse(path) {
                    out.deletes.insert(path);
                }
            }
        }
    }
    out
}

/// Plans the upgrade of the repo at `root` from `base` (old version, recorded answers) to
/// `new` (new version, migrated answers). `entry` is the lock's entry; `new_entry` the entry the
/// lock will hold afterwards (files filled in here).
pub fn plan(
    root: &Path,
    entry: &LockEntry,
    base: &Rendered,
    new: &Rendered,
    migrated: &Migrated,
    mut new_entry: LockEntry,
    is_forced: bool,
) -> UpgradePlan {
    let checkout = crate::eol::Checkout::of(root);
    let locked: BTreeMap<&RepoPath, &LockedFile> =
        entry.files.iter().map(|f| (&f.path, f)).collect();
    let mut files = Vec::new();
    let mut new_locked = Vec::new();
    let mut handled_old: BTreeSet<RepoPath> = BTreeSet::new();

    for (path, rendered) in &new.files {
        // The old path this file came from: a rename's source, else the same path.
        let old_path = migrated
            .renames
            .iter()
            .find(|(_, to)| *to == path)
            .map(|(from, _)| from.clone())
            .unwrap_or_else(|| path.clone());
        handled_old.insert(old_path.clone());
        let moved_from = (old_path != *path).then(|| old_path.clone());
        // Text as git stores it: a CRLF checkout of an LF render is not an edit.
        let working = checkout.read_as_git(root, &old_path);
        let prior = locked.get(&old_path).copied();
        let base_bytes = base.files.get(&old_path).map(|f| f.bytes.as_slice());
        // A managed file whose only change is pins moved forward is not edited: those pins
        // are carried into the new render where they are still ahead of it.
        let moved_pins = match (prior, &working) {
            (Some(p), Some(w))
                if p.ownership == Ownership::Managed
                    && rendered.ownership == Ownership::Managed =>
            {
                let judged = judge(p, Content::Bytes(w));
                if judged.state == FileState::Pinned {
                    Some(judged.pins)
                } else if p.pins.is_none() && judged.state == FileState::Drifted {
                    // The old version declared no pins here, the new one does (a golden path
                    // that starts declaring what its bots update): judge the repo's file against
                    // the old render by the new version's pins, so a bot's bumps made before
                    // the upgrade are carried, not refused.
                    base_bytes
                        .and_then(|b| crate::pins::record(b, &rendered.pins))
                        .and_then(|record| crate::pins::judge(&record, w))
                        .filter(|changes| {
                            !changes.is_empty() && changes.iter().all(|c| c.direction.is_accepted())
                        })
                } else {
                    None
                }
            }
            _ => None,
        };
        let is_edited = match (prior, &working) {
            (Some(p), Some(w)) => sha256_hex(w) != p.sha256 && moved_pins.is_none(),
            _ => false,
        };
        let mut kept_pins = Vec::new();
        // The repo's own version stays: kept where it is, or moved (edits and all) by a rename.
        let keep_theirs = |w: Vec<u8>| match &moved_from {
            Some(_) => (Step::Move, Some(w), None),
            None => (Step::Keep, None, None),
        };
        let mut diverged = false;
        // A recorded exception travels with the file when its tailoring does.
        let mut exception = None;
        // A folder or link where the file goes is the repo's, whatever --force says: pave never
        // writes through links or over folders.
        let is_occupied = working.is_none() && std::fs::symlink_metadata(path.under(root)).is_ok();
        let (step, bytes, local_diff) = match (rendered.ownership, prior, working) {
            // Not in the repo before: a new file of this version (or one the repo deleted).
            (Ownership::Seeded, Some(_), None) => (Step::Keep, None, None),
            (_, _, None) if is_occupied => (Step::Claimed, Some(rendered.bytes.clone()), None),
            (_, _, None) => (Step::Create, Some(rendered.bytes.clone()), None),
            (_, Some(p), Some(w)) if p.diverged => {
                diverged = true;
                keep_theirs(w)
            }
            (Ownership::Seeded, _, Some(w)) => keep_theirs(w),
            (_, None, Some(w)) if w == rendered.bytes => (Step::Keep, None, None),
            (Ownership::Managed | Ownership::Merged, None, Some(_)) if !is_forced => {
                (Step::Claimed, Some(rendered.bytes.clone()), None)
            }
            // An excepted file whose last merge is not resolved: merging again would bury it.
            (Ownership::Managed, Some(p), Some(w))
                if p.exception.is_some()
                    && !is_forced
                    && crate::conflict::has_conflict_markers(&w) =>
            {
                (Step::Unresolved, None, None)
            }
            // A recorded exception: the tailoring is carried to the new version by a 3-way merge
            // (base: the old render; ours: the tailored file; theirs: the new render), `--force`
            // or not: only `pave except --drop` gives an exception up.
            (Ownership::Managed, Some(p), Some(w)) if crate::except::is_excepted(p, &w) => {
                let recorded = p.exception.clone().expect("is_excepted: an exception");
                match base_bytes {
                    Some(b) if b == rendered.bytes.as_slice() => {
                        exception = Some(recorded);
                        keep_theirs(w)
                    }
                    Some(b) => match three_way(b, &w, &rendered.bytes) {
                        // The new version renders what the exception did: nothing left to except.
                        Ok(merged) if merged == rendered.bytes => {
                            (Step::Replace, Some(merged), None)
                        }
                        Ok(merged) => {
                            exception =
                                Some(crate::except::retarget(recorded, &rendered.bytes, &merged));
                            (Step::Merge, Some(merged), None)
                        }
                        Err(conflicted) => {
                            exception = Some(crate::except::retarget(
                                recorded,
                                &rendered.bytes,
                                &conflicted,
                            ));
                            (Step::MergeConflict, Some(conflicted), None)
                        }
                    },
                    None => {
                        let conflicted = conflict_whole(&w, &rendered.bytes);
                        exception = Some(crate::except::retarget(
                            recorded,
                            &rendered.bytes,
                            &conflicted,
                        ));
                        (Step::MergeConflict, Some(conflicted), None)
                    }
                }
            }
            (Ownership::Managed, _, Some(w)) if is_edited && !is_forced => {
                let diff = base_bytes.map(|b| unified(b, &w, old_path.as_str()));
                (Step::Refused, Some(rendered.bytes.clone()), diff)
            }
            // The last upgrade's conflict is not resolved yet: merging again would bury it.
            (Ownership::Merged, Some(_), Some(w))
                if is_edited && crate::conflict::has_conflict_markers(&w) =>
            {
                (Step::Unresolved, None, None)
            }
            (Ownership::Merged, Some(_), Some(w)) if is_edited => match base_bytes {
                Some(b) => match three_way(b, &w, &rendered.bytes) {
                    Ok(merged) if merged == rendered.bytes => (Step::Replace, Some(merged), None),
                    Ok(merged) => (Step::Merge, Some(merged), None),
                    Err(conflicted) => (Step::MergeConflict, Some(conflicted), None),
                },
                // No base (the lock is from a render we cannot reproduce): keep theirs, report.
                None => (
                    Step::MergeConflict,
                    Some(conflict_whole(&w, &rendered.bytes)),
                    None,
                ),
            },
            (_, _, Some(w)) if moved_pins.is_some() => {
                let moved = moved_pins.unwrap_or_default();
                let (carried, kept) = crate::pins::carry(&rendered.bytes, &rendered.pins, &moved);
                kept_pins = kept;
                match &moved_from {
                    None if carried == w => (Step::Keep, None, None),
                    None => (Step::Replace, Some(carried), None),
                    Some(_) => (Step::Move, Some(carried), None),
                }
            }
            (_, _, Some(w)) if w == rendered.bytes && moved_from.is_none() => {
                (Step::Keep, None, None)
            }
            (_, _, Some(w)) => {
                // Forced over a local edit: the edit goes, the pins the repo moved forward stay
                // where they are ahead of the new render.
                let old_pins = base.files.get(&old_path).map_or(&[][..], |f| &f.pins[..]);
                // An old version that declared no pins here: the new version's say what is one.
                let old_pins = if old_pins.is_empty() {
                    &rendered.pins[..]
                } else {
                    old_pins
                };
                let moved = match (rendered.ownership, base_bytes) {
                    (Ownership::Managed, Some(b)) => crate::pins::moved_forward(b, &w, old_pins),
                    _ => Vec::new(),
                };
                let (carried, kept) = crate::pins::carry(&rendered.bytes, &rendered.pins, &moved);
                kept_pins = kept;
                let step = if moved_from.is_some() {
                    Step::Move
                } else {
                    Step::Replace
                };
                (step, Some(carried), None)
            }
        };
        new_locked.push(LockedFile {
            diverged,
            exception,
            ..rendered.locked()
        });
        files.push(UpgradeFile {
            path: path.clone(),
            moved_from,
            step,
            ownership: Some(rendered.ownership),
            bytes,
            is_executable: rendered.is_executable,
            local_diff,
            kept_pins,
        });
    }

    // Files the old version had that the new one does not render (or a migration deletes).
    for prior in &entry.files {
        if handled_old.contains(&prior.path) {
            continue;
        }
        // Text as git stores it, as above.
        let working = prior
            .path
            .read_regular_under(root)
            .map(|w| checkout.to_git(&prior.path, &w).into_owned());
        // A seeded file is the repo's: it stays, unless a `delete` migration names it.
        let is_deleted_by_migration = migrated.deletes.contains(&prior.path);
        // As rendered, or only its pins moved forward (a seeded file a migration deletes counts
        // as rendered when its hash says so).
        let is_unmodified = |w: &[u8]| {
            (!prior.diverged && sha256_hex(w) == prior.sha256)
                || judge(prior, Content::Bytes(w)).state == FileState::Pinned
        };
        let step = match (&working, prior.ownership) {
            (None, _) => continue,
            (Some(_), Ownership::Seeded) if !is_deleted_by_migration => continue,
            (Some(w), _) if is_unmodified(w) => Step::Delete,
            (Some(_), _) => Step::KeepOrphan,
        };
        files.push(UpgradeFile {
            path: prior.path.clone(),
            moved_from: None,
            step,
            ownership: Some(prior.ownership),
            bytes: None,
            is_executable: false,
            local_diff: None,
            kept_pins: Vec::new(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    new_locked.sort_by(|a, b| a.path.cmp(&b.path));
    new_entry.files = new_locked;
    UpgradePlan {
        files,
        entry: new_entry,
    }
}

/// A 3-way merge of text files; `Err` holds the text with standard conflict markers.
fn three_way(base: &[u8], ours: &[u8], theirs: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    match (
        std::str::from_utf8(base),
        std::str::from_utf8(ours),
        std::str::from_utf8(theirs),
    ) {
        (Ok(b), Ok(o), Ok(t)) => {
            let mut options = diffy::MergeOptions::new();
            options.set_conflict_style(diffy::ConflictStyle::Merge);
            options
                .merge(b, o, t)
                .map(String::into_bytes)
                .map_err(String::into_bytes)
        }
        _ => Err(conflict_whole(ours, theirs)),
    }
}

/// The whole file as one conflict, for when no base exists (or the file is binary).
fn conflict_whole(ours: &[u8], theirs: &[u8]) -> Vec<u8> {
    let mut out = format!("{CONFLICT_START}\n").into_bytes();
    out.extend_from_slice(ours);
    if !ours.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(format!("{CONFLICT_SPLIT}\n").as_bytes());
    out.extend_from_slice(theirs);
    if !theirs.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(format!("{CONFLICT_END}\n").as_bytes());
    out
}

fn unified(old: &[u8], new: &[u8], path: &str) -> String {
    let (a, b) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
    similar::TextDiff::from_lines(a.as_ref(), b.as_ref())
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("a/{path} (golden path)"),
            &format!("b/{path} (repo)"),
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_overlapping_edits_merge() {
        let base = b"a\nb\nc\nd\ne\n";
        let ours = b"a\nB (ours)\nc\nd\ne\n";
        let theirs = b"a\nb\nc\nd\nE (theirs)\n";
        assert_eq!(
            three_way(base, ours, theirs).unwrap(),
            b"a\nB (ours)\nc\nd\nE (theirs)\n"
        );
    }

    #[test]
    fn overlapping_edits_conflict_with_markers() {
        let err = three_way(b"a\nb\nc\n", b"a\nours\nc\n", b"a\ntheirs\nc\n").unwrap_err();
        let text = String::from_utf8(err).unwrap();
        assert!(
            text.contains("<<<<<<< ours\nours\n=======\ntheirs\n>>>>>>> theirs\n"),
            "{text}"
        );
    }

    #[test]
    fn migrations_move_and_set_answers_and_chain_renames() {
        let entry = LockEntry {
            name: "gp".into(),
            version: "1.0.0".parse().unwrap(),
            catalog: "builtin".into(),
            answers: Answers(
                [("old".to_owned(), Value::Integer(1))]
                    .into_iter()
                    .collect(),
            ),
            components: vec![],
            files: vec![],
        };
        let steps = [
            Migration::MoveAnswer {
                from: "old".into(),
                to: "new".into(),
            },
            Migration::SetAnswer {
                parameter: "added".into(),
                value: serde_json::json!(true),
            },
            Migration::SetAnswer {
                parameter: "new".into(),
                value: serde_json::json!(9),
            },
            Migration::Rename {
                from: "a.md".into(),
                to: "b.md".into(),
            },
            Migration::Rename {
                from: "b.md".into(),
                to: "docs/c.md".into(),
            },
        ];
        let m = migrate(&entry, &steps);
        assert_eq!(
            m.answers.get("new"),
            Some(&Value::Integer(1)),
            "set_answer never overrides"
        );
        assert_eq!(m.answers.get("added"), Some(&Value::Boolean(true)));
        assert!(m.answers.get("old").is_none());
        let a = RepoPath::parse("a.md").unwrap();
        assert_eq!(
            m.renames.get(&a),
            Some(&RepoPath::parse("docs/c.md").unwrap())
        );
    }
}
