//! `pave diff`'s engine: which files of a repo differ from what its golden paths render, with
//! both sides' bytes, oriented as `git diff` is. Against a fresh render of the version the lock
//! records ([`against_render`]: `before` is the golden path's, `after` the repo's, so a local
//! edit reads as `+`), or against what `pave upgrade --to` would write ([`against_upgrade`]:
//! `before` is the repo's, `after` the upgrade's). Seeded files are the repo's own and are left out unless
//! asked for. A managed file that differs from the render only in declared pins moved forward
//! (which `pave check` accepts) is returned with those pins ([`FileDiff::pins`]) so the caller can
//! say so rather than call it a difference. How the difference is shown (a unified diff, a stat
//! line) is the caller's.

use std::path::Path;

use pave_model::lock::LockEntry;
use pave_model::manifest::Ownership;

use crate::catalog::GoldenPath;
use crate::check::{Content, FileState, RenderEntryError, judge, render_entry};
use crate::eol::Checkout;
use crate::pins::PinChange;
use crate::upgrade::{Prepared, Step};

/// One file that differs.
#[derive(Debug, Clone)]
pub struct FileDiff {
    pub path: String,
    /// Which golden path and version it is compared with, and why (`rust-service@1.2.0 (managed)`).
    pub label: String,
    /// The old side's bytes (empty when it has no such file).
    pub before: Vec<u8>,
    /// The new side's bytes (empty when the file is gone or goes).
    pub after: Vec<u8>,
    /// What each side is: `rust-service@1.2.0`, `repo`.
    pub before_label: String,
    pub after_label: String,
    /// Against a render: the file differs only in these declared pins, each moved forward
    /// (conforming, as `pave check` says); empty for a real difference.
    pub pins: Vec<PinChange>,
}

impl FileDiff {
    /// The file differs from the render only in pins moved forward.
    pub fn is_pinned(&self) -> bool {
        !self.pins.is_empty()
    }
}

/// The files of the repo at `root` that differ from a fresh render of `golden_path` (the version
/// `entry` records) with `entry`'s answers and components.
pub fn against_render(
    root: &Path,
    entry: &LockEntry,
    golden_path: &GoldenPath,
    include_seeded: bool,
) -> Result<Vec<FileDiff>, RenderEntryError> {
    let rendered = render_entry(golden_path, entry)?;
    let checkout = Checkout::of(root);
    let mut out = Vec::new();
    for file in rendered.files.into_values() {
        // Seeded files are the repo's; diverged ones it keeps by choice (`--conflict=keep`),
        // and excepted ones hold their recorded tailoring: `check` accepts all three.
        let locked = entry.files.iter().find(|f| f.path == file.path);
        let is_diverged = locked.is_some_and(|f| f.diverged);
        if (file.ownership == Ownership::Seeded || is_diverged) && !include_seeded {
            continue;
        }
        let on_disk = checkout.read_as_git(root, &file.path);
        let is_excepted = locked
            .zip(on_disk.as_deref())
            .is_some_and(|(f, bytes)| crate::except::is_excepted(f, bytes));
        if is_excepted && !include_seeded {
            continue;
        }
        if on_disk.as_deref() == Some(file.bytes.as_slice()) {
            continue;
        }
        // The one decision `pave check` makes, against the fresh render's own record.
        let pins = match &on_disk {
            Some(bytes) if file.ownership == Ownership::Managed && !is_diverged => {
                let judged = judge(&file.locked(), Content::Bytes(bytes));
                if judged.state == FileState::Pinned {
                    judged.pins
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        let why = if pins.is_empty() {
            file.ownership.to_string()
        } else {
            format!("{}, pins moved forward", file.ownership)
        };
        out.push(FileDiff {
            path: file.path.to_string(),
            label: format!("{}@{} ({why})", entry.name, entry.version),
            before: file.bytes,
            after: on_disk.unwrap_or_default(),
            before_label: format!("{}@{}", entry.name, entry.version),
            after_label: "repo".into(),
            pins,
        });
    }
    Ok(out)
}

/// The files a prepared upgrade of `entry` would change in the repo at `root`.
pub fn against_upgrade(
    root: &Path,
    entry: &LockEntry,
    prepared: &Prepared,
    include_seeded: bool,
) -> Vec<FileDiff> {
    let checkout = Checkout::of(root);
    let mut out = Vec::new();
    for f in &prepared.plan.files {
        if f.ownership == Some(Ownership::Seeded) && !include_seeded {
            continue;
        }
        let before = checkout
            .read_as_git(root, f.moved_from.as_ref().unwrap_or(&f.path))
            .unwrap_or_default();
        let after: &[u8] = match (f.step, &f.bytes) {
            (Step::Delete, _) => &[],
            (_, Some(bytes)) => bytes,
            (_, None) => continue,
        };
        if before == after && f.moved_from.is_none() {
            continue;
        }
        out.push(FileDiff {
            path: f.path.to_string(),
            label: format!(
                "{}@{} -> {} ({})",
                entry.name,
                entry.version,
                prepared.target,
                f.step.as_str()
            ),
            before,
            after: after.to_vec(),
            before_label: "repo".into(),
            after_label: format!("{}@{}", entry.name, prepared.target),
            pins: Vec::new(),
        });
    }
    out
}
