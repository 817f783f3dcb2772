//! `pave audit`: drift and adoption across a fleet. Repos are found below folders (a `.git`
//! or a bare repository marks one; the walk does not descend into a repo) or listed in a file;
//! a producer thread streams them through a bounded channel into a rayon pool; each worker
//! reads one repo (work trees from disk, bare repos from HEAD's tree with git2, never checked
//! out) and hands back a small [`RepoAudit`]. Memory holds those summaries, not repos.
//!
//! Untrusted repos: nothing follows a symbolic link, locks and files over a size limit are not
//! read, a panic in one repo's audit is caught and reported for that repo.

pub mod format;
pub mod model;
mod sources;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use sha2::Digest as _;

use crate::catalog::{Catalog, Listing};
use crate::check::{Content, FileState, judge};
pub use model::{AuditReport, RepoAudit, RepoGoldenPath, RepoKind};
use pave_base::repo_path::RepoPath;
use pave_model::lock::{Lock, LockEntry, MAX_LOCK_BYTES};
use pave_model::status::Lag;
use pave_model::status::RepoStatus;
pub use sources::{AuditError, ReposFile, read_report, read_repos_file};

/// A rendered file larger than this is not read: it is drift whatever it holds.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A repo to audit.
#[derive(Debug, Clone)]
pub struct RepoRef {
    /// How the repo is named in the report.
    pub name: String,
    pub path: PathBuf,
    pub kind: RepoKind,
}

/// Which slice of the fleet this run audits (`--shard i/n`, 1-based `index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `i/n` with 1 ≤ i ≤ n.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            "a shard is i/n with 1 <= i <= n: runner i of n, e.g. --shard 2/8 on the second of eight"
                .to_owned()
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// A stable slice: by a hash of the repo's name, the same on every machine and run.
    pub fn contains(&self, name: &str) -> bool {
        let digest = sha2::Sha256::digest(name.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index - 1
    }
}

/// Finds repos below `root`, calling `found` for each in a deterministic (sorted) walk.
pub fn discover(root: &Path, found: &mut dyn FnMut(RepoRef)) {
    let mut walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path();
        let kind = if path.join(".git").exists() {
            Some(RepoKind::Worktree)
        } else if path.join("HEAD").is_file()
            && path.join("objects").is_dir()
            && path.join("refs").is_dir()
        {
            Some(RepoKind::Bare)
        } else {
            None
        };
        if let Some(kind) = kind {
            let rel = path.strip_prefix(root).unwrap_or(path);
            let name = if rel.as_os_str().is_empty() {
                root.display().to_string()
            } else {
                format!(
                    "{}/{}",
                    root.display().to_string().trim_end_matches('/'),
                    rel.display()
                )
            };
            found(RepoRef {
                name,
                path: path.to_owned(),
                kind,
            });
            walk.skip_current_dir();
        }
    }
}

/// Opens the catalog a lock names by its source (`builtin`, `dir:…`, `git:…`).
pub type OpenCatalog = Box<dyn Fn(&str) -> Result<Box<dyn Catalog>, String> + Send + Sync>;

/// Catalog listings, looked up once per catalog source and shared by the workers.
#[derive(Default)]
pub struct CatalogIndex {
    listings: Mutex<HashMap<String, Result<Vec<Listing>, String>>>,
    open: Option<OpenCatalog>,
    /// "Now" in Unix seconds, for the days since a version was released.
    now: Option<i64>,
}

impl CatalogIndex {
    /// Looks catalogs up with `open` (source → catalog); `None` audits from the locks alone.
    pub fn new(open: Option<OpenCatalog>) -> Self {
        Self {
            listings: Mutex::default(),
            open,
            now: None,
        }
    }

    /// Sets "now" (Unix seconds) so the audit can say how old a locked version is.
    pub fn at(mut self, now: i64) -> Self {
        self.now = Some(now);
        self
    }

    /// The catalog's listing of golden path `name`: `None` without catalogs, `Some(Err)` when
    /// the catalog cannot be read here (why) or does not have it (`Ok(None)` inside).
    fn listing(&self, source: &str, name: &str) -> Option<Result<Option<Listing>, String>> {
        let open = self.open.as_ref()?;
        let mut cache = self.listings.lock().unwrap_or_else(|e| e.into_inner());
        let listing = cache.entry(source.to_owned()).or_insert_with(|| {
            open(source).and_then(|c| c.list().map_err(|e| format!("catalog {source}: {e}")))
        });
        Some(
            listing
                .as_ref()
                .map(|ls| ls.iter().find(|l| l.name == name).cloned())
                .map_err(Clone::clone),
        )
    }
}

/// The repos of a fleet: listed ones (`--repos-file`), then every repo found below `dirs`, of
/// which this run audits `shard` (all when `None`).
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub listed: Vec<RepoRef>,
    pub dirs: Vec<PathBuf>,
    pub shard: Option<Shard>,
}

/// Audits a fleet. Discovery runs in its own thread and streams repos through a bounded channel,
/// so the workers start at once and memory does not grow with the fleet; `on_done` is called once
/// per repo audited (for a progress bar).
pub fn run(fleet: Fleet, catalogs: &CatalogIndex, on_done: &(dyn Fn() + Sync)) -> AuditReport {
    let Fleet {
        listed,
        dirs,
        shard,
    } = fleet;
    let (tx, rx) = std::sync::mpsc::sync_channel::<RepoRef>(256);
    let producer = std::thread::spawn(move || {
        for repo in listed {
            if shard.is_none_or(|s| s.contains(&repo.name)) && tx.send(repo).is_err() {
                return;
            }
        }
        for dir in dirs {
            discover(&dir, &mut |repo| {
                if shard.is_none_or(|s| s.contains(&repo.name)) {
                    let _ = tx.send(repo);
                }
            });
        }
    });
    let repos = audit_all(rx.into_iter(), catalogs, on_done);
    // The producer ends when discovery does, or when the workers stop taking repos.
    let _ = producer.join();
    AuditReport::new(repos)
}

/// A `--fail-on` rule: the audit fails (exit 1) when a repo matches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Drift,
    Unadopted,
    Error,
    /// A repo with exceptions (excepted or diverged files), whatever its status.
    Exceptions,
    /// At least this far behind the newest version.
    Lag(Lag),
    /// `--push` could not deliver every event (they stay spooled): a fleet-wide rule, judged by
    /// the caller, not per repo.
    Undelivered,
}

impl FailOn {
    /// `drift`, `unadopted`, `error`, `exceptions`, `lag=patch|minor|major`, `undelivered`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "drift" => Ok(Self::Drift),
            "unadopted" => Ok(Self::Unadopted),
            "error" => Ok(Self::Error),
            "exceptions" => Ok(Self::Exceptions),
            "lag=patch" => Ok(Self::Lag(Lag::Patch)),
            "lag=minor" => Ok(Self::Lag(Lag::Minor)),
            "lag=major" => Ok(Self::Lag(Lag::Major)),
            "undelivered" => Ok(Self::Undelivered),
            _ => Err(
                "expected drift, unadopted, error, exceptions, lag=patch, lag=minor, lag=major or undelivered"
                    .into(),
            ),
        }
    }

    pub fn matches(&self, repo: &RepoAudit) -> bool {
        match self {
            Self::Drift => repo.status == RepoStatus::Drifted,
            Self::Unadopted => repo.status == RepoStatus::Unadopted,
            Self::Error => repo.status == RepoStatus::Error,
            Self::Exceptions => !repo.excepted_files.is_empty(),
            Self::Lag(min) => repo
                .golden_paths
                .iter()
                .any(|g| g.lag.is_some_and(|lag| lag >= *min)),
            Self::Undelivered => false,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Drift => "drifted".into(),
            Self::Unadopted => "without a lock".into(),
            Self::Error => "unreadable".into(),
            Self::Exceptions => "with exceptions".into(),
            Self::Lag(min) => format!("at least a {} version behind", min.as_str()),
            Self::Undelivered => "not delivered to the registry".into(),
        }
    }
}

impl AuditReport {
    /// What fails the `rules`: one line per rule that some repo matches (`3 repo(s) drifted`).
    pub fn failures(&self, rules: &[FailOn]) -> Vec<String> {
        rules
            .iter()
            .filter_map(|rule| {
                let n = self.repos.iter().filter(|r| rule.matches(r)).count();
                (n > 0).then(|| format!("{n} repo(s) {}", rule.describe()))
            })
            .collect()
    }

    /// One report of the repos of several (the JSON reports of `--shard` runs), each repo once.
    pub fn merge(reports: impl IntoIterator<Item = AuditReport>) -> Self {
        let mut repos: Vec<RepoAudit> = reports.into_iter().flat_map(|r| r.repos).collect();
        repos.sort_by(|a, b| a.path.cmp(&b.path));
        repos.dedup_by(|a, b| a.path == b.path);
        Self::new(repos)
    }
}

/// Audits `repos` in parallel; `on_done` is called once per repo (for a progress bar).
pub fn audit_all(
    repos: impl Iterator<Item = RepoRef> + Send,
    catalogs: &CatalogIndex,
    on_done: &(dyn Fn() + Sync),
) -> Vec<RepoAudit> {
    repos
        .par_bridge()
        .map(|repo| {
            let audit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                audit_repo(&repo, catalogs)
            }))
            .unwrap_or_else(|_| {
                failed(
                    &repo,
                    "internal error while reading this repo (please report it)".into(),
                )
            });
            on_done();
            audit
        })
        .collect()
}

/// Reads what a repo holds: from disk for a work tree, from HEAD's tree for a bare repo.
enum Reader {
    /// The root, and the folders below it already seen to be real folders (not links).
    /// Text is read as git stores it (see [`crate::eol`]).
    Worktree(PathBuf, RefCell<HashSet<String>>, crate::eol::Checkout),
    /// The repository and HEAD's tree (`None`: an empty repository).
    Bare(git2::Repository, Option<git2::Oid>),
}

impl Reader {
    /// A regular file's bytes, `Ok(None)` when missing, a link or a folder; `Err` when over
    /// `limit` bytes (then it is not read).
    fn read(&self, path: &RepoPath, limit: u64) -> Result<Option<Vec<u8>>, String> {
        match self {
            Reader::Worktree(root, real_folders, checkout) => {
                let full = path.under(root);
                let Ok(meta) = std::fs::symlink_metadata(&full) else {
                    return Ok(None);
                };
                if !meta.is_file() || is_behind_link(root, path, real_folders) {
                    return Ok(None);
                }
                if meta.len() > limit {
                    return Err(format!("{path} is {} bytes; not read", meta.len()));
                }
                Ok(std::fs::read(&full)
                    .ok()
                    .map(|bytes| checkout.to_git(path, &bytes).into_owned()))
            }
            Reader::Bare(repo, tree) => {
                let Some(tree) = tree.and_then(|id| repo.find_tree(id).ok()) else {
                    return Ok(None);
                };
                let Ok(entry) = tree.get_path(Path::new(path.as_str())) else {
                    return Ok(None);
                };
                // Blobs only: 0o120000 is a symbolic link, 0o160000 a submodule.
                if entry.kind() != Some(git2::ObjectType::Blob) || entry.filemode() == 0o120000 {
                    return Ok(None);
                }
                let odb = repo.odb().map_err(|e| e.message().to_owned())?;
                let (size, _) = odb
                    .read_header(entry.id())
                    .map_err(|e| e.message().to_owned())?;
                if size as u64 > limit {
                    return Err(format!("{path} is {size} bytes; not read"));
                }
                Ok(repo
                    .find_blob(entry.id())
                    .ok()
                    .map(|b| b.content().to_vec()))
            }
        }
    }
}

/// True when a folder on the way to `path` is a symbolic link (or not a folder): what lies
/// behind it is not the repo's, however it looks, and links are not followed.
fn is_behind_link(root: &Path, path: &RepoPath, real_folders: &RefCell<HashSet<String>>) -> bool {
    let mut real_folders = real_folders.borrow_mut();
    let text = path.as_str();
    for (end, _) in text.match_indices('/') {
        let folder = &text[..end];
        if real_folders.contains(folder) {
            continue;
        }
        match std::fs::symlink_metadata(root.join(folder)) {
            Ok(meta) if meta.is_dir() => real_folders.insert(folder.to_owned()),
            _ => return true,
        };
    }
    false
}

fn failed(repo: &RepoRef, why: String) -> RepoAudit {
    RepoAudit {
        path: repo.name.clone(),
        kind: repo.kind,
        status: RepoStatus::Error,
        golden_paths: Vec::new(),
        drifted_files: Vec::new(),
        missing_files: Vec::new(),
        edited_merged_files: Vec::new(),
        conflicted_files: Vec::new(),
        excepted_files: Vec::new(),
        notes: Vec::new(),
        pinned_files: Vec::new(),
        lock_problems: Vec::new(),
        error: Some(why),
        team: None,
        train: None,
        repo_id: None,
        location: Some(if crate::catalog::git::GitLocation::is_url(&repo.name) {
            repo.name.clone()
        } else {
            std::path::absolute(&repo.path)
                .unwrap_or_else(|_| repo.path.clone())
                .display()
                .to_string()
        }),
    }
}

fn open_reader(repo: &RepoRef) -> Result<Reader, String> {
    if !repo.path.exists() {
        return Err(if crate::catalog::git::GitLocation::is_url(&repo.name) {
            "it could not be cloned and has no cached clone (a warning says why)".to_owned()
        } else {
            "no such folder".to_owned()
        });
    }
    match repo.kind {
        RepoKind::Worktree => Ok(Reader::Worktree(
            repo.path.clone(),
            RefCell::default(),
            crate::eol::Checkout::of(&repo.path),
        )),
        RepoKind::Bare => {
            let git = git2::Repository::open_ext(
                &repo.path,
                git2::RepositoryOpenFlags::NO_SEARCH | git2::RepositoryOpenFlags::BARE,
                std::iter::empty::<&std::ffi::OsStr>(),
            )
            .map_err(|e| format!("not a readable git repository: {}", e.message()))?;
            let tree = match git.head() {
                Ok(head) => Some(
                    head.peel_to_tree()
                        .map_err(|e| format!("HEAD has no tree: {}", e.message()))?
                        .id(),
                ),
                // An empty repository (unborn HEAD) has nothing: not on a paved path.
                Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
                Err(e) => return Err(format!("HEAD cannot be read: {}", e.message())),
            };
            Ok(Reader::Bare(git, tree))
        }
    }
}

/// Audits one repo. Never panics on what the repo holds; problems become its `error`.
pub fn audit_repo(repo: &RepoRef, catalogs: &CatalogIndex) -> RepoAudit {
    let reader = match open_reader(repo) {
        Ok(reader) => reader,
        Err(why) => return failed(repo, why),
    };
    let lock_path = RepoPath::parse(pave_model::lock::LOCK_PATH).expect("constant path");
    let lock_bytes = match reader.read(&lock_path, MAX_LOCK_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            let mut audit = failed(repo, String::new());
            audit.status = RepoStatus::Unadopted;
            audit.error = None;
            return audit;
        }
        Err(why) => return failed(repo, format!("lock not read: {why}")),
    };
    if lock_bytes.len() as u64 > MAX_LOCK_BYTES {
        return failed(
            repo,
            format!(
                "the lock is {} bytes; over the {MAX_LOCK_BYTES}-byte limit",
                lock_bytes.len()
            ),
        );
    }
    let Ok(text) = std::str::from_utf8(&lock_bytes) else {
        return failed(repo, "the lock is not UTF-8 text".into());
    };
    let lock = match Lock::parse(text) {
        Ok(lock) => lock,
        Err(e) => return failed(repo, format!(".pave/lock.yaml:{}: {}", e.line, e.message)),
    };
    audit_lock(repo, &reader, &lock, catalogs)
}

fn audit_lock(repo: &RepoRef, reader: &Reader, lock: &Lock, catalogs: &CatalogIndex) -> RepoAudit {
    let mut audit = failed(repo, String::new());
    audit.error = None;
    audit.repo_id = Some(lock.repo_id.clone());
    for entry in &lock.golden_paths {
        for locked in &entry.files {
            let read = reader.read(&locked.path, MAX_FILE_BYTES);
            let content = match &read {
                Ok(Some(bytes)) => Content::Bytes(bytes),
                Ok(None) => Content::Missing,
                Err(_) => Content::Unreadable,
            };
            match judge(locked, content).state {
                FileState::Drifted => audit.drifted_files.push(locked.path.to_string()),
                FileState::Deleted => audit.missing_files.push(locked.path.to_string()),
                FileState::Conflicted => audit.conflicted_files.push(locked.path.to_string()),
                FileState::Edited => audit.edited_merged_files.push(locked.path.to_string()),
                FileState::Pinned => audit.pinned_files.push(locked.path.to_string()),
                FileState::Excepted | FileState::Diverged => {
                    audit.excepted_files.push(locked.path.to_string())
                }
                FileState::Unchanged | FileState::Seeded => {}
            }
        }
        audit.golden_paths.push(golden_path_view(
            entry,
            catalogs,
            &mut audit.lock_problems,
            &mut audit.notes,
        ));
    }
    let answer = |key: &str| {
        lock.golden_paths
            .iter()
            .find_map(|e| match e.answers.get(key) {
                Some(pave_model::parameter::Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
    };
    audit.team = answer("team");
    audit.train = answer("train");
    audit.status = if !audit.drifted_files.is_empty()
        || !audit.missing_files.is_empty()
        || !audit.conflicted_files.is_empty()
        || !audit.lock_problems.is_empty()
    {
        RepoStatus::Drifted
    } else if audit
        .golden_paths
        .iter()
        .any(|g| matches!(g.lag, Some(lag) if lag != Lag::None))
    {
        RepoStatus::Outdated
    } else if !audit.excepted_files.is_empty() {
        RepoStatus::Excepted
    } else {
        RepoStatus::Conforming
    };
    for list in [
        &mut audit.drifted_files,
        &mut audit.missing_files,
        &mut audit.edited_merged_files,
        &mut audit.conflicted_files,
        &mut audit.excepted_files,
        &mut audit.pinned_files,
    ] {
        list.sort();
    }
    audit
}

fn golden_path_view(
    entry: &LockEntry,
    catalogs: &CatalogIndex,
    problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> RepoGoldenPath {
    let mut view = RepoGoldenPath {
        name: entry.name.clone(),
        version: entry.version.to_string(),
        catalog: Some(entry.catalog.clone()),
        latest: None,
        lag: None,
        versions_behind: None,
        days_since_release: None,
    };
    match catalogs.listing(&entry.catalog, &entry.name) {
        None => {}
        // A catalog this machine cannot read says nothing about the repo: its lag is unknown,
        // as `pave check` notes, and the repo is judged from its lock.
        Some(Err(why)) => notes.push(format!("{}: {why}; version lag unknown", entry.name)),
        Some(Ok(None)) => problems.push(format!(
            "{} is not in catalog {}",
            entry.name, entry.catalog
        )),
        Some(Ok(Some(listing))) => {
            let versions = &listing.versions;
            if let (Some(now), Some(at)) = (catalogs.now, listing.released.get(&entry.version)) {
                view.days_since_release = Some((now - at).max(0) / 86_400);
            }
            let released: Vec<&semver::Version> =
                versions.iter().filter(|v| v.pre.is_empty()).collect();
            // A version the catalog lacks has no known lag (it is a problem below, not "newest").
            if let Some(latest) = released.iter().copied().max()
                && versions.contains(&entry.version)
            {
                view.lag = Some(Lag::between(&entry.version, latest));
                view.latest = Some(latest.to_string());
                view.versions_behind =
                    Some(released.iter().filter(|v| ***v > entry.version).count());
            }
            if !versions.contains(&entry.version) {
                problems.push(format!(
                    "{}@{} is not a version of catalog {}",
                    entry.name, entry.version, entry.catalog
                ));
            }
        }
    }
    view
}
