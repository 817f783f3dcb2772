//! A new repo from a golden path (`pave new`, and the test fleet's repos): answers resolved,
//! components chosen and every file rendered in memory with the lock that records them
//! ([`scaffold`]), planned into a folder that must be new or empty ([`Scaffold::plan`]), then
//! written by [`create`]: into a staging folder beside the target (same file system), committed
//! there with git, and renamed onto the target only when complete. Any failure deletes the
//! staging folder, so nothing is left behind.

use std::path::{Path, PathBuf};

use pave_model::lock::Lock;
use pave_model::parameter::{Answers, Value};

use crate::answers::{self, AnswerError, Asker, GivenAnswers, Target};
use crate::apply::{self, ApplyError};
use crate::catalog::GoldenPath;
use crate::git::{self, GitError};
use crate::plan::{ConflictMode, ConflictPolicy, Existing, Plan};
use crate::render::{self, RenderError, Rendered};

/// A golden path rendered for a new repo, in memory.
#[derive(Debug, Clone)]
pub struct Scaffold {
    /// `name@version` of the golden path.
    pub golden_path: String,
    pub answers: Answers,
    pub components: Vec<String>,
    pub rendered: Rendered,
    /// The lock of the new repo: one entry, a fresh repo id.
    pub lock: Lock,
}

/// Why a new repo cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(transparent)]
    Answers(#[from] AnswerError),
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The target is in the way: not a folder, not empty, a link.
    #[error("target {path} {why}")]
    Target { path: PathBuf, why: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}; nothing was written")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Resolves the answers (`given`, then `asker` when a person is there, then defaults, which may
/// read the `target`'s folder name), chooses the components (`only`, else the golden path's
/// defaults) and renders them.
pub fn scaffold(
    golden_path: &GoldenPath,
    given: &GivenAnswers,
    target: &Target,
    only: &[String],
    asker: Option<&mut dyn Asker>,
) -> Result<Scaffold, ScaffoldError> {
    let manifest = &golden_path.manifest;
    let answers = answers::resolve(manifest, given, target, asker)?;
    let components = manifest
        .select_components(only, &[])
        .map_err(RenderError::from)?;
    let rendered = render::render(golden_path, &answers, &components)?;
    let lock = Lock::new(rendered.lock_entry(golden_path, &answers, &components));
    Ok(Scaffold {
        golden_path: manifest.id(),
        answers,
        components,
        rendered,
        lock,
    })
}

impl Scaffold {
    /// Every file of the new repo at `dir`, its lock last: all created.
    pub fn plan(&self, dir: &Path) -> Plan {
        let nobody = |_: &pave_base::repo_path::RepoPath| None;
        let checkout = crate::eol::Checkout::of(dir);
        let existing = Existing {
            entry: None,
            owner_of: &nobody,
            checkout: &checkout,
        };
        Plan::new(
            dir,
            &self.golden_path,
            self.rendered.clone(),
            &existing,
            &ConflictPolicy::all(ConflictMode::Fail),
            false,
        )
        .expect("a new repo has no other golden path to claim a file")
        .with_lock(dir, &checkout, &self.lock)
    }

    /// The first commit's message: what was scaffolded, from which golden path, by which pave.
    pub fn commit_message(&self) -> String {
        let subject = match self.answers.get("service_name").map(Value::to_string) {
            Some(name) => format!("Scaffold {name} from {}", self.golden_path),
            None => format!("Scaffold from {}", self.golden_path),
        };
        format!(
            "{subject}\n\nRendered by pave {} (`pave new`); .pave/lock.yaml records the golden path,\nits answers and every file's ownership.\n",
            env!("CARGO_PKG_VERSION")
        )
    }
}

/// Checks that `dir` can become a new repo: it does not exist, or is an empty folder (not a link
/// to one).
pub fn check_target(dir: &Path) -> Result<(), ScaffoldError> {
    let target = |why: &str| ScaffoldError::Target {
        path: dir.to_owned(),
        why: why.to_owned(),
    };
    let read = |source| ScaffoldError::Read {
        path: dir.to_owned(),
        source,
    };
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(read(e)),
        Ok(meta) if meta.file_type().is_symlink() => Err(target("is a symbolic link")),
        Ok(meta) if !meta.is_dir() => Err(target("exists and is not a folder")),
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir).map_err(read)?;
            if entries.next().is_some() {
                Err(target("exists and is not empty"))
            } else {
                Ok(())
            }
        }
    }
}

/// How the new repo is committed: `None` writes the files only (`--no-git`).
pub struct FirstCommit<'a> {
    pub message: &'a str,
    pub author: &'a git::Author,
}

/// Writes `plan` into a staging folder beside `dir`, commits it (unless `commit` is `None`),
/// then renames it onto `dir`, all or nothing.
pub fn create(
    dir: &Path,
    plan: &Plan,
    commit: Option<FirstCommit<'_>>,
) -> Result<Option<git::Commit>, ScaffoldError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| ScaffoldError::Write { path, source }
    };
    let dir = std::path::absolute(dir).map_err(write_error(dir))?;
    let parent = dir
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("/"));
    std::fs::create_dir_all(&parent).map_err(write_error(&parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".pave-new-")
        .tempdir_in(&parent)
        .map_err(write_error(&parent))?;
    let writes = plan.writes();
    apply::write_all(staging.path(), &writes)?;
    let commit = match commit {
        None => None,
        Some(commit) => Some(git::init_and_commit(
            staging.path(),
            &writes,
            commit.message,
            commit.author,
        )?),
    };
    set_folder_mode(staging.path()).map_err(write_error(staging.path()))?;
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, &dir) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(ScaffoldError::Target {
            path: dir,
            why: format!("could not be created: {e}"),
        });
    }
    Ok(commit)
}

/// A staging folder is private (0700) while it fills; the repo it becomes is not.
#[cfg(unix)]
fn set_folder_mode(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_folder_mode(_: &Path) -> std::io::Result<()> {
    Ok(())
}
