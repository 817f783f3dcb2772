//! Git through libgit2 (vendored): a new repo and its first commit.

use std::path::{Path, PathBuf};

/// The author of pave's commits when git has none configured.
pub const FALLBACK_AUTHOR: (&str, &str) = ("pave", "pave@localhost");

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git failed in {path}: {message}")]
    Git { path: PathBuf, message: String },
}

/// Who commits: from the caller (`GIT_AUTHOR_*`), else git config, else [`FALLBACK_AUTHOR`].
#[derive(Debug, Clone, Default)]
pub struct Author {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The commit that was made.
#[derive(Debug, Clone)]
pub struct Commit {
    pub id: String,
    pub branch: String,
    /// True when neither the caller nor git config named an author.
    pub used_fallback_author: bool,
}

/// Initialises a repository at `dir` on branch `main` and commits everything in it.
pub fn init_and_commit(
    dir: &Path,
    files: &[crate::apply::Write],
    message: &str,
    author: &Author,
) -> Result<Commit, GitError> {
    let err = |e: git2::Error| GitError::Git {
        path: dir.to_owned(),
        message: e.message().to_owned(),
    };
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(dir, &opts).map_err(err)?;
    // Objects go to memory and land on disk as one pack: a first commit of ~50 files as loose
    // objects would cost ~50 folders and files, most of `pave new`'s time on a slow disk.
    let odb = repo.odb().map_err(err)?;
    let mempack = odb.add_new_mempack_backend(1000).map_err(err)?;
    // The tree is built from the bytes pave just rendered, not by reading the files back.
    let tree_id = write_tree(&repo, files).map_err(err)?;
    let mut index = repo.index().map_err(err)?;
    index
        .read_tree(&repo.find_tree(tree_id).map_err(err)?)
        .map_err(err)?;
    index.write().map_err(err)?;
    let tree = repo.find_tree(tree_id).map_err(err)?;
    let config = repo.config().map_err(err)?;
    let from_config = |key: &str| config.get_string(key).ok().filter(|s| !s.is_empty());
    let name = author.name.clone().or_else(|| from_config("user.name"));
    let email = author.email.clone().or_else(|| from_config("user.email"));
    let used_fallback_author = name.is_none() || email.is_none();
    let signature = git2::Signature::now(
        name.as_deref().unwrap_or(FALLBACK_AUTHOR.0),
        email.as_deref().unwrap_or(FALLBACK_AUTHOR.1),
    )
    .map_err(err)?;
    let id = repo
        .commit(Some("HEAD"), &signature, &signature, message, &tree, &[])
        .map_err(err)?;
    let mut pack = git2::Buf::new();
    mempack.dump(&repo, &mut pack).map_err(err)?;
    let mut writer = odb.packwriter().map_err(err)?;
    std::io::Write::write_all(&mut writer, &pack).map_err(|e| GitError::Git {
        path: dir.to_owned(),
        message: format!("writing the pack: {e}"),
    })?;
    writer.commit().map_err(err)?;
    mempack.reset().map_err(err)?;
    Ok(Commit {
        id: id.to_string(),
        branch: "main".into(),
        used_fallback_author,
    })
}

/// Writes `files` as blobs and nested trees; returns the root tree.
fn write_tree(
    repo: &git2::Repository,
    files: &[crate::apply::Write],
) -> Result<git2::Oid, git2::Error> {
    #[derive(Default)]
    struct Folder {
        files: Vec<(String, git2::Oid, i32)>,
        folders: std::collections::BTreeMap<String, Folder>,
    }
    fn write(repo: &git2::Repository, folder: &Folder) -> Result<git2::Oid, git2::Error> {
        let mut builder = repo.treebuilder(None)?;
        for (name, oid, mode) in &folder.files {
            builder.insert(name, *oid, *mode)?;
        }
        for (name, sub) in &folder.folders {
            builder.insert(name, write(repo, sub)?, 0o040000)?;
        }
        builder.write()
    }
    let mut root = Folder::default();
    for file in files {
        let segments: Vec<&str> = file.path.segments().collect();
        let (name, parents) = segments
            .split_last()
            .expect("a RepoPath has at least one segment");
        let folder = parents.iter().fold(&mut root, |f, p| {
            f.folders.entry((*p).to_owned()).or_default()
        });
        let mode = if file.is_executable {
            0o100755
        } else {
            0o100644
        };
        folder
            .files
            .push(((*name).to_owned(), repo.blob(&file.bytes)?, mode));
    }
    write(repo, &root)
}

/// The state of the git work tree a command is about to write into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkTree {
    /// Not inside a git repository.
    NoRepo,
    Clean,
    /// Uncommitted changes (modified, staged or untracked files), the first few named.
    Dirty(Vec<String>),
}

/// Reads the state of the work tree that contains `dir`. Ignored files do not count.
pub fn work_tree(dir: &Path) -> Result<WorkTree, GitError> {
    let err = |e: git2::Error| GitError::Git {
        path: dir.to_owned(),
        message: e.message().to_owned(),
    };
    let repo = match git2::Repository::discover(dir) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(WorkTree::NoRepo),
        Err(e) => return Err(err(e)),
    };
    if repo.is_bare() {
        return Ok(WorkTree::NoRepo);
    }
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts)).map_err(err)?;
    let dirty: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .take(5)
        .collect();
    Ok(if dirty.is_empty() {
        WorkTree::Clean
    } else {
        WorkTree::Dirty(dirty)
    })
}

/// The URL of the `origin` remote of the repository at `dir` (its root), if it has one.
pub fn origin_url(dir: &Path) -> Option<String> {
    let repo = git2::Repository::open_ext(
        dir,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .ok()?;
    let remote = repo.find_remote("origin").ok()?;
    remote
        .url()
        .ok()
        .map(str::to_owned)
        .filter(|u| !u.is_empty())
}

/// The URL of the `origin` remote of the git repository that holds `dir` (searched upwards), if
/// there is one: what templated defaults read as `git.remote_*` (see [`crate::remote`]).
pub fn discovered_origin_url(dir: &Path) -> Option<String> {
    let repo = git2::Repository::discover(dir).ok()?;
    let remote = repo.find_remote("origin").ok()?;
    remote
        .url()
        .ok()
        .map(str::to_owned)
        .filter(|u| !u.is_empty())
}
