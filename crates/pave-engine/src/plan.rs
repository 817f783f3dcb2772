//! The plan: what a command will do to every file, computed in full before anything is written
//! and printed so a person (or `--dry-run`) sees it first.
//!
//! For a file that already exists, ownership decides: a file this golden path wrote and nobody
//! edited is updated; a managed file edited locally, or a file pave does not own, is a conflict
//! (unless `--force` or a conflict mode says otherwise); merged and seeded files keep the repo's
//! edits; a managed file keeps the declared pins the repo moved forward (also with `--force`,
//! which restores drift, not pins); a file another golden path of the lock owns is an error.

use std::fmt;
use std::path::Path;

use crate::apply::Write;
use crate::check::{Content, FileState, judge};
use crate::eol::Checkout;
use crate::pins::PinChange;
use crate::render::Rendered;
use pave_base::repo_path::RepoPath;
use pave_model::lock::{Lock, LockEntry, LockedPins, sha256_hex};
use pave_model::manifest::Ownership;

/// What will happen to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// The file does not exist and will be written.
    Create,
    /// The file exists with other content and will be replaced.
    Update,
    /// The file exists with exactly the rendered content.
    Unchanged,
    /// The repo's version stays; nothing is written (seeded, merged with local edits, diverged).
    Keep,
    /// The repo's version stays and is recorded as diverged (`--conflict=keep`).
    KeepDiverged,
    /// The render is written beside the repo's file as `<file>.pave-new`.
    WriteNew,
    /// The file exists and pave may not overwrite it: the command stops.
    Conflict,
    /// No longer rendered (the answers or components changed) and unmodified: deleted.
    Delete,
    /// No longer rendered but edited locally: kept where it is, no longer pave's.
    Orphan,
}

impl Action {
    /// How plans print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Unchanged => "unchanged",
            Self::Keep => "keep",
            Self::KeepDiverged => "diverge",
            Self::WriteNew => "write-new",
            Self::Conflict => "CONFLICT",
            Self::Delete => "delete",
            Self::Orphan => "orphan",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a conflict: a managed file of this golden path edited locally (only `--force` or undoing
/// the edit resolves it)…
pub const EDITED_MANAGED: &str = "managed file edited locally; --force overwrites it";
/// …or an excepted managed file whose render these answers change (the exception was recorded
/// against the old render)…
pub const EXCEPTED_RENDER_CHANGED: &str = "excepted (pave except), and these answers change its render; --conflict FILE=keep keeps your version, --force takes the new render and drops the exception";
/// Why `--force` replaced an excepted file: the answers changed its render.
pub const EXCEPTION_DROPPED: &str = "excepted, and these answers change its render: --force takes the new render and drops the exception";
/// …or a file pave does not own (the `--conflict` modes apply).
pub const NOT_PAVES: &str = "exists and is not pave's";

/// How to treat an existing file pave does not own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ConflictMode {
    /// List it as a conflict; nothing is written (exit 1).
    #[default]
    Fail,
    /// Keep the repo's file and record it as diverged.
    Keep,
    /// Write the rendered file beside it as `<file>.pave-new`.
    WriteNew,
}

impl ConflictMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Keep => "keep",
            Self::WriteNew => "write-new",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Fail, Self::Keep, Self::WriteNew]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// How to treat existing files pave does not own, per file: `GLOB=MODE` rules, the first whose
/// glob matches a path deciding, and a default mode for the rest (`--conflict keep
/// --conflict 'deploy/**=write-new'`).
#[derive(Debug, Clone, Default)]
pub struct ConflictPolicy {
    pub default: ConflictMode,
    pub rules: Vec<ConflictRule>,
}

/// One `GLOB=MODE` of a [`ConflictPolicy`].
#[derive(Debug, Clone)]
pub struct ConflictRule {
    pub glob: String,
    matcher: globset::GlobMatcher,
    pub mode: ConflictMode,
}

/// A `--conflict` value that is neither a mode nor `GLOB=MODE`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("--conflict `{given}`: {why}")]
pub struct BadConflictRule {
    pub given: String,
    pub why: String,
}

impl ConflictPolicy {
    /// One mode for every file.
    pub fn all(mode: ConflictMode) -> Self {
        Self {
            default: mode,
            rules: Vec::new(),
        }
    }

    /// The policy of `--conflict` values, each `MODE` (the default; the last one given wins) or
    /// `GLOB=MODE`.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Self, BadConflictRule> {
        let mut policy = Self::default();
        let mut default_given: Option<&str> = None;
        for given in values {
            let bad = |why: String| BadConflictRule {
                given: given.to_owned(),
                why,
            };
            let modes = "fail, keep or write-new";
            match given.rsplit_once('=') {
                None => {
                    policy.default = ConflictMode::parse(given)
                        .ok_or_else(|| bad(format!("give a mode ({modes}) or GLOB=MODE")))?;
                    if let Some(first) = default_given.replace(given) {
                        return Err(bad(format!(
                            "a second mode for every file (after `{first}`); give one bare mode, and per file GLOB=MODE"
                        )));
                    }
                }
                Some((glob, mode)) => {
                    let mode = ConflictMode::parse(mode)
                        .ok_or_else(|| bad(format!("`{mode}` is not a mode; use {modes}")))?;
                    if glob.is_empty() {
                        return Err(bad("the glob before `=` is empty".into()));
                    }
                    let matcher = pave_base::glob::compile(glob)
                        .map_err(|e| bad(format!("the glob does not compile: {e}")))?;
                    policy.rules.push(ConflictRule {
                        glob: glob.to_owned(),
                        matcher,
                        mode,
                    });
                }
            }
        }
        Ok(policy)
    }

    /// The mode for `path`.
    pub fn mode_for(&self, path: &RepoPath) -> ConflictMode {
        self.rules
            .iter()
            .find(|r| r.matcher.is_match(path.as_str()))
            .map_or(self.default, |r| r.mode)
    }

    /// The rules whose glob matches none of `paths` (a typo, most likely).
    pub fn unmatched<'a>(
        &'a self,
        paths: impl Iterator<Item = &'a RepoPath> + Clone,
    ) -> impl Iterator<Item = &'a ConflictRule> {
        self.rules
            .iter()
            .filter(move |r| !paths.clone().any(|p| r.matcher.is_match(p.as_str())))
    }

    /// Whether any rule or the default keeps or writes beside (so `--force` would contradict).
    pub fn is_set(&self) -> bool {
        self.default != ConflictMode::Fail || !self.rules.is_empty()
    }
}

/// One file of the plan.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub path: RepoPath,
    pub action: Action,
    /// `None` for pave's own files (the lock).
    pub ownership: Option<Ownership>,
    pub component: Option<String>,
    /// The rendered bytes (what the lock records).
    pub bytes: Vec<u8>,
    pub is_executable: bool,
    /// Why the action was chosen, when that is not obvious.
    pub reason: Option<&'static str>,
    /// The render's pins, as the lock records them.
    pub pins: Option<LockedPins>,
    /// What is written instead of the render: the render with the pins the repo moved forward
    /// (`kept_pins`).
    pub written: Option<Vec<u8>>,
    /// The repo's pins that stay because they are ahead of the render.
    pub kept_pins: Vec<PinChange>,
}

impl PlannedFile {
    /// Whether the file stays in the lock after the plan (retired files leave it).
    pub fn is_recorded(&self) -> bool {
        !matches!(self.action, Action::Delete | Action::Orphan)
    }

    /// Recorded as diverged in the lock.
    pub fn is_diverged(&self) -> bool {
        matches!(self.action, Action::KeepDiverged | Action::WriteNew)
    }
}

/// Every file a command will touch, sorted by path, pave's own files last.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub files: Vec<PlannedFile>,
}

/// A file of the render that another golden path of the lock already owns.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{path}` is claimed by both {this} and {other}; a file can belong to one golden path only"
)]
pub struct ClaimedTwice {
    pub path: String,
    pub this: String,
    pub other: String,
}

/// What the repo already has, for planning.
pub struct Existing<'a> {
    /// This golden path's lock entry, when the repo applied it before.
    pub entry: Option<&'a LockEntry>,
    /// Another golden path of the lock that owns a path, if any.
    pub owner_of: &'a dyn Fn(&RepoPath) -> Option<String>,
    /// How the checkout stores text, so its files are compared as git stores them.
    pub checkout: &'a Checkout,
}

impl Plan {
    /// Plans writing `rendered` into `root` for golden path `gp_id`.
    pub fn new(
        root: &Path,
        gp_id: &str,
        rendered: Rendered,
        existing: &Existing<'_>,
        policy: &ConflictPolicy,
        is_forced: bool,
    ) -> Result<Self, ClaimedTwice> {
        let checkout = existing.checkout;
        let mut files = Vec::new();
        for f in rendered.files.into_values() {
            if let Some(other) = (existing.owner_of)(&f.path) {
                return Err(ClaimedTwice {
                    path: f.path.to_string(),
                    this: gp_id.to_owned(),
                    other,
                });
            }
            let prior = existing
                .entry
                .and_then(|e| e.files.iter().find(|p| p.path == f.path));
            // Text as git stores it: a CRLF checkout of an LF render is the same file.
            let on_disk = read_regular(&f.path.under(root))
                .map(|b| checkout.to_git(&f.path, &b).into_owned());
            // The pins the repo moved forward stay, whatever else the render changes.
            let mut written = None;
            let mut kept_pins = Vec::new();
            let pinned = match (&on_disk, prior) {
                (Some(bytes), Some(p)) if p.ownership == Ownership::Managed && !p.diverged => {
                    let judged = judge(p, Content::Bytes(bytes));
                    (judged.state == FileState::Pinned).then_some(judged.pins)
                }
                _ => None,
            };
            let (action, reason) = match (on_disk, prior) {
                (None, Some(p)) if p.ownership == Ownership::Seeded => (
                    Action::Keep,
                    Some("seeded: the repo removed it; pave does not bring it back"),
                ),
                (None, _) => (Action::Create, None),
                (Some(bytes), _) if bytes == f.bytes => (Action::Unchanged, None),
                (Some(_), Some(p)) if p.ownership == Ownership::Seeded => {
                    (Action::Keep, Some("seeded: the repo's own after creation"))
                }
                (Some(_), Some(p)) if p.diverged => (Action::Keep, Some("diverged by choice")),
                // A recorded exception is kept, `--force` or not: only `pave except --drop`
                // gives it up, unless new answers change the file's render.
                (Some(bytes), Some(p)) if crate::except::is_excepted(p, &bytes) => {
                    if p.sha256 == sha256_hex(&f.bytes) {
                        (Action::Keep, Some("excepted: the recorded tailoring stays"))
                    } else if policy.mode_for(&f.path) == ConflictMode::Keep {
                        (
                            Action::Keep,
                            Some(
                                "excepted: kept as it is (--conflict=keep); the new render is not merged in",
                            ),
                        )
                    } else if is_forced {
                        (Action::Update, Some(EXCEPTION_DROPPED))
                    } else {
                        (Action::Conflict, Some(EXCEPTED_RENDER_CHANGED))
                    }
                }
                (Some(bytes), Some(_)) if pinned.is_some() => {
                    let moved = pinned.unwrap_or_default();
                    let (carried, kept) = crate::pins::carry(&f.bytes, &f.pins, &moved);
                    if carried == bytes {
                        (Action::Keep, Some("pins moved forward: kept"))
                    } else {
                        written = Some(carried);
                        kept_pins = kept;
                        (
                            Action::Update,
                            Some("pins moved forward are kept, the rest updated"),
                        )
                    }
                }
                (Some(bytes), Some(p)) if sha256_hex(&bytes) == p.sha256 => (Action::Update, None),
                (Some(_), Some(p)) if p.ownership == Ownership::Merged => (
                    Action::Keep,
                    Some("merged: local edits kept (`pave upgrade` merges)"),
                ),
                (Some(bytes), Some(_)) if is_forced => {
                    // --force restores drift, not the pins the repo moved forward.
                    let moved = crate::pins::moved_forward(&f.bytes, &bytes, &f.pins);
                    let (carried, kept) = crate::pins::carry(&f.bytes, &f.pins, &moved);
                    if !kept.is_empty() {
                        written = Some(carried);
                        kept_pins = kept;
                    }
                    (Action::Update, Some("managed file edited locally; --force"))
                }
                (Some(_), Some(_)) => (Action::Conflict, Some(EDITED_MANAGED)),
                (Some(_), None) if is_forced => (Action::Update, Some("not pave's; --force")),
                (Some(_), None) => match policy.mode_for(&f.path) {
                    ConflictMode::Fail => (Action::Conflict, Some(NOT_PAVES)),
                    ConflictMode::Keep => (
                        Action::KeepDiverged,
                        Some("not pave's; kept (--conflict=keep)"),
                    ),
                    ConflictMode::WriteNew => (
                        Action::WriteNew,
                        Some("not pave's; render written beside it"),
                    ),
                },
            };
            files.push(PlannedFile {
                pins: crate::pins::record(&f.bytes, &f.pins),
                path: f.path,
                action,
                ownership: Some(f.ownership),
                component: Some(f.component),
                bytes: f.bytes,
                is_executable: f.is_executable,
                reason,
                written,
                kept_pins,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Self { files })
    }

    /// Retires the files `prior` recorded for the components now rendered that the render no
    /// longer has (an answer changed a `when` rule, or the golden path moved them): unmodified
    /// ones are deleted, edited or diverged ones kept and no longer pave's, seeded ones left to
    /// the repo. Either way they leave the lock, so every command that reads it agrees.
    pub fn retire(
        &mut self,
        root: &Path,
        checkout: &Checkout,
        prior: &LockEntry,
        components: &[String],
    ) {
        for old in &prior.files {
            let is_rendered_component = components.contains(&old.component);
            if !is_rendered_component
                || old.ownership == Ownership::Seeded
                || self.files.iter().any(|f| f.path == old.path)
            {
                continue;
            }
            let (action, reason) = match read_regular(&old.path.under(root)) {
                None => continue,
                Some(bytes)
                    if matches!(
                        judge(old, Content::Bytes(&checkout.to_git(&old.path, &bytes))).state,
                        FileState::Unchanged | FileState::Pinned
                    ) =>
                {
                    (
                        Action::Delete,
                        Some("no longer rendered with these answers"),
                    )
                }
                Some(_) => (
                    Action::Orphan,
                    Some("no longer rendered, and edited locally: kept, no longer pave's"),
                ),
            };
            self.files.push(PlannedFile {
                path: old.path.clone(),
                action,
                ownership: Some(old.ownership),
                component: Some(old.component.clone()),
                bytes: Vec::new(),
                is_executable: false,
                reason,
                pins: None,
                written: None,
                kept_pins: Vec::new(),
            });
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// Adds pave's own files, the lock and its schema ([`Lock::files`]), to be written last.
    pub fn with_lock(mut self, root: &Path, checkout: &Checkout, lock: &Lock) -> Self {
        for (path, bytes) in lock.files() {
            let on_disk =
                read_regular(&path.under(root)).map(|b| checkout.to_git(&path, &b).into_owned());
            let action = match on_disk {
                Some(existing) if existing == bytes => Action::Unchanged,
                Some(_) => Action::Update,
                None => Action::Create,
            };
            self.files.push(PlannedFile {
                path,
                action,
                ownership: None,
                component: None,
                bytes,
                is_executable: false,
                reason: None,
                pins: None,
                written: None,
                kept_pins: Vec::new(),
            });
        }
        self
    }

    /// How many files take each action, for the summary line.
    pub fn count(&self, action: Action) -> usize {
        self.files.iter().filter(|f| f.action == action).count()
    }

    pub fn conflicts(&self) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(|f| f.action == Action::Conflict)
    }

    /// True when applying the plan would change nothing.
    pub fn is_noop(&self) -> bool {
        self.files
            .iter()
            .all(|f| matches!(f.action, Action::Unchanged | Action::Keep))
    }

    /// The files the plan deletes.
    pub fn deletes(&self) -> Vec<RepoPath> {
        self.files
            .iter()
            .filter(|f| f.action == Action::Delete)
            .map(|f| f.path.clone())
            .collect()
    }

    /// The writes that carry the plan out, pave's own files last.
    pub fn writes(&self) -> Vec<Write> {
        let mut writes: Vec<Write> = Vec::new();
        let (ours, rendered): (Vec<_>, Vec<_>) =
            self.files.iter().partition(|f| f.ownership.is_none());
        for f in rendered.into_iter().chain(ours) {
            let path = match f.action {
                Action::Create | Action::Update => f.path.clone(),
                Action::WriteNew => new_beside(&f.path),
                _ => continue,
            };
            writes.push(Write {
                path,
                bytes: f.written.clone().unwrap_or_else(|| f.bytes.clone()),
                is_executable: f.is_executable,
            });
        }
        writes
    }
}

/// `<file>.pave-new` beside `path`.
pub fn new_beside(path: &RepoPath) -> RepoPath {
    let mut segments: Vec<String> = path.segments().map(str::to_owned).collect();
    if let Some(last) = segments.last_mut() {
        last.push_str(".pave-new");
    }
    RepoPath::from_segments(&segments).expect("adding a suffix to a safe path keeps it safe")
}

/// A regular file's bytes; `None` when missing or not a regular file (links are not followed).
fn read_regular(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        // Reported and refused when written; for planning it is "there, and not ours".
        return Some(Vec::new());
    }
    if !meta.is_file() {
        return None;
    }
    std::fs::read(path).ok()
}
