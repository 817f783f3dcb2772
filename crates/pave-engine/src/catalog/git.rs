//! A git repository as a catalog. Versions are tags `<name>@<semver>` (or `<name>/v<semver>`);
//! a tag's tree holds the golden path at `<name>/` (a repository of several golden paths) or at
//! its root (a repository of one). Blobs are read from the tag's tree in the object database,
//! never checked out, so a bare clone is all a catalog needs.
//!
//! A repository on this machine (work tree or bare) is read in place. A URL is cloned bare into
//! a cache folder, and fetched again only when asked or when the last fetch is older than
//! [`STALE_AFTER`]; a fetch that fails falls back on the cache, so a catalog once fetched works
//! offline.
//!
//! libgit2 is built without TLS and SSH (see Cargo.toml), so `https://`, `ssh://` and
//! `git@host:` URLs are fetched by the `git` command instead: the user's own git, with its
//! credential helpers, `GIT_ASKPASS`, ssh config and `url.<base>.insteadOf` rules, never
//! prompting (`GIT_TERMINAL_PROMPT=0`, so CI cannot hang on a password question).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

use super::{
    Catalog, CatalogError, GoldenPath, Listing, MANIFEST_FILE, Reference, TemplateFile,
    pick_version,
};
use pave_model::catalog_id::without_credentials;
use pave_model::manifest::Manifest;

/// A cache fetched longer ago than this is fetched again before use.
pub const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// Written into a cached clone after every successful fetch: its content is the URL, its
/// modification time the time of the fetch.
const FETCHED_MARKER: &str = "pave-fetched";

/// Git file modes of tree entries (`git ls-tree` shows them).
const MODE_TREE: i32 = 0o040000;
const MODE_SYMLINK: i32 = 0o120000;
const MODE_SUBMODULE: i32 = 0o160000;

/// A regular file, executable or not (`0o100644`, `0o100755`, the old `0o100664`).
fn is_blob(mode: i32) -> bool {
    mode & 0o170000 == 0o100000
}

/// Where a git catalog lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitLocation {
    /// A work tree or bare repository on this machine, by absolute path: read in place.
    Local(PathBuf),
    /// A URL (`https://`, `ssh://`, `file://`, `git@host:org/repo.git`): cloned into the cache.
    Remote(String),
}

impl GitLocation {
    /// True for what git treats as a URL rather than a path.
    pub fn is_url(text: &str) -> bool {
        pave_model::catalog_id::is_url(text)
    }

    /// A URL, or a path made absolute against the current folder.
    pub fn parse(text: &str) -> Self {
        if Self::is_url(text) {
            Self::Remote(text.to_owned())
        } else {
            let path = Path::new(text);
            Self::Local(std::path::absolute(path).unwrap_or_else(|_| path.to_owned()))
        }
    }

    /// `git:<url-or-absolute-path>`: how the catalog is named in messages, a URL without its
    /// credentials (messages end up in CI logs).
    pub fn describe(&self) -> String {
        match self {
            Self::Local(path) => format!("git:{}", path.display()),
            Self::Remote(url) => format!("git:{}", without_credentials(url)),
        }
    }
}

/// True when `path` is the root of a git repository: a work tree with `.git`, or a bare one.
pub fn is_repository_root(path: &Path) -> bool {
    path.join(".git").exists()
        || (path.join("HEAD").is_file() && git2::Repository::open_bare(path).is_ok())
}

/// The cache folder of the clone of `url` below `catalogs_dir`: the first 16 hex digits of the
/// SHA-256 of the URL without credentials, so any URL makes a short, safe folder name, and one
/// repository has one cache whether a token is in the URL or comes from git's credential helper.
pub fn cache_dir(catalogs_dir: &Path, url: &str) -> PathBuf {
    let digest = hex::encode(Sha256::digest(without_credentials(url).as_bytes()));
    catalogs_dir.join(&digest[..16])
}

/// When to fetch a remote catalog into its cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPolicy {
    /// Only when there is no cache yet or it is older than [`STALE_AFTER`].
    IfStale,
    /// Now (`--fetch`).
    Always,
}

/// What [`GitCatalog::sync`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Nothing to do: a local repository, or a cache fetched recently.
    UpToDate,
    /// No cache yet: the repository was cloned.
    Cloned,
    /// The cache was fetched again.
    Fetched,
    /// The fetch failed; the cache (of the last successful fetch) is used.
    UsedCache { why: String },
}

/// A git repository of golden paths.
#[derive(Debug, Clone)]
pub struct GitCatalog {
    location: GitLocation,
    /// The repository git2 opens: the local path, or the cached bare clone.
    repo_path: PathBuf,
}

impl GitCatalog {
    /// A repository on this machine, read in place.
    pub fn local(path: PathBuf) -> Self {
        Self {
            repo_path: path.clone(),
            location: GitLocation::Local(path),
        }
    }

    /// A repository by URL, read from its cached clone below `catalogs_dir` (see [`Self::sync`]).
    pub fn cached(url: String, catalogs_dir: &Path) -> Self {
        Self {
            repo_path: cache_dir(catalogs_dir, &url),
            location: GitLocation::Remote(url),
        }
    }

    pub fn location(&self) -> &GitLocation {
        &self.location
    }

    /// True when some tag names a golden-path version (an unreadable repository has none).
    pub fn has_versions(&self) -> bool {
        self.open()
            .and_then(|repo| self.versions(&repo))
            .is_ok_and(|found| !found.is_empty())
    }

    /// Makes the cache of a remote catalog ready: cloned when missing, fetched when `policy`
    /// says so. A failed fetch with a cache is an outcome (the cache is used), without one an
    /// error. Does nothing for a local repository.
    pub fn sync(&self, policy: FetchPolicy, now: SystemTime) -> Result<SyncOutcome, CatalogError> {
        let GitLocation::Remote(url) = &self.location else {
            return Ok(SyncOutcome::UpToDate);
        };
        let unreachable = |why: String| CatalogError::Unreachable {
            url: without_credentials(url),
            why,
        };
        let Ok(repo) = git2::Repository::open_bare(&self.repo_path) else {
            clone_bare(url, &self.repo_path).map_err(unreachable)?;
            return Ok(SyncOutcome::Cloned);
        };
        let is_stale = match fetched_at(&self.repo_path) {
            Some(at) => now.duration_since(at).unwrap_or_default() > STALE_AFTER,
            None => true,
        };
        if policy == FetchPolicy::IfStale && !is_stale {
            return Ok(SyncOutcome::UpToDate);
        }
        match fetch_tags(&repo, url).and_then(|()| mark_fetched(&self.repo_path, url)) {
            Ok(()) => Ok(SyncOutcome::Fetched),
            Err(why) => Ok(SyncOutcome::UsedCache { why }),
        }
    }

    fn open(&self) -> Result<git2::Repository, CatalogError> {
        let repo = match &self.location {
            GitLocation::Local(path) => git2::Repository::open(path),
            GitLocation::Remote(_) => git2::Repository::open_bare(&self.repo_path),
        };
        repo.map_err(|e| match &self.location {
            GitLocation::Remote(url) => CatalogError::Unreachable {
                url: without_credentials(url),
                why: format!("no cached clone ({})", e.message()),
            },
            GitLocation::Local(_) => self.git_error(&e),
        })
    }

    fn git_error(&self, e: &git2::Error) -> CatalogError {
        CatalogError::Git {
            catalog: self.describe(),
            message: e.message().to_owned(),
        }
    }

    /// name → version → tag, from every tag that names a golden-path version. Other tags are
    /// ignored. When both tag styles name one version, `<name>@<version>` wins.
    fn versions(&self, repo: &git2::Repository) -> Result<Versions, CatalogError> {
        let mut found = Versions::new();
        let tags = repo
            .references_glob("refs/tags/*")
            .map_err(|e| self.git_error(&e))?;
        for reference in tags {
            let reference = reference.map_err(|e| self.git_error(&e))?;
            let Some(tag) = reference
                .name()
                .ok()
                .and_then(|n| n.strip_prefix("refs/tags/"))
            else {
                continue;
            };
            let Some((name, version, style)) = parse_tag(tag) else {
                continue;
            };
            let versions = found.entry(name.to_owned()).or_default();
            let is_taken = versions
                .get(&version)
                .is_some_and(|taken: &Tag| taken.style == TagStyle::At);
            if !is_taken {
                versions.insert(
                    version,
                    Tag {
                        name: tag.to_owned(),
                        style,
                    },
                );
            }
        }
        Ok(found)
    }

    /// The tree of `tag` and the folder in it that holds golden path `name`: `<name>/` when it
    /// has a manifest, else the root.
    fn golden_path_tree<'r>(
        &self,
        repo: &'r git2::Repository,
        tag: &str,
        name: &str,
    ) -> Result<(git2::Tree<'r>, String), CatalogError> {
        let tree = repo
            .find_reference(&format!("refs/tags/{tag}"))
            .and_then(|r| r.peel_to_tree())
            .map_err(|e| self.git_error(&e))?;
        let nested = format!("{name}/{MANIFEST_FILE}");
        if let Ok(entry) = tree.get_path(Path::new(&nested))
            && is_blob(entry.filemode())
        {
            let sub = tree
                .get_name(name)
                .and_then(|e| e.to_object(repo).ok())
                .and_then(|o| o.into_tree().ok())
                .ok_or_else(|| CatalogError::Git {
                    catalog: self.describe(),
                    message: format!("{tag}:{name} is not a folder"),
                })?;
            return Ok((sub, name.to_owned()));
        }
        if tree.get_name(MANIFEST_FILE).is_some() {
            return Ok((tree, String::new()));
        }
        Err(CatalogError::NoManifest {
            location: format!(
                "{} tag {tag} (neither {name}/ nor the root)",
                self.describe()
            ),
        })
    }

    /// The manifest of a tagged version, without reading the rest of its files.
    fn manifest(
        &self,
        repo: &git2::Repository,
        tag: &str,
        name: &str,
    ) -> Result<Manifest, CatalogError> {
        let (tree, folder) = self.golden_path_tree(repo, tag, name)?;
        let display = display_root(tag, &folder);
        let manifest_name = format!("{display}/{MANIFEST_FILE}");
        let blob = tree
            .get_name(MANIFEST_FILE)
            .filter(|e| is_blob(e.filemode()))
            .and_then(|e| e.to_object(repo).ok())
            .and_then(|o| o.into_blob().ok())
            .ok_or_else(|| CatalogError::NoManifest {
                location: display.clone(),
            })?;
        let text = std::str::from_utf8(blob.content()).map_err(|_| {
            CatalogError::Manifest(pave_model::manifest::ManifestError::Syntax {
                file: manifest_name.clone(),
                line: 1,
                message: "not UTF-8 text".into(),
            })
        })?;
        Ok(Manifest::parse(&manifest_name, text)?)
    }

    /// Every file of golden path `name` at `tag`, checked against the tag.
    fn load_tag(
        &self,
        repo: &git2::Repository,
        tag: &str,
        name: &str,
        version: &semver::Version,
    ) -> Result<GoldenPath, CatalogError> {
        let (tree, folder) = self.golden_path_tree(repo, tag, name)?;
        let mut files = BTreeMap::new();
        let walk = TreeWalk {
            repo,
            tag,
            catalog: self.describe(),
        };
        walk.read(&tree, &folder, "", &mut files)?;
        let golden_path =
            GoldenPath::from_files(self.describe(), &display_root(tag, &folder), files)?;
        let expected = format!("{name}@{version}");
        if golden_path.manifest.id() != expected {
            return Err(CatalogError::TagMismatch {
                catalog: self.describe(),
                tag: tag.to_owned(),
                manifest: golden_path.manifest.id(),
                expected,
            });
        }
        Ok(golden_path)
    }
}

impl Catalog for GitCatalog {
    fn describe(&self) -> String {
        self.location.describe()
    }

    fn list(&self) -> Result<Vec<Listing>, CatalogError> {
        let repo = self.open()?;
        self.versions(&repo)?
            .into_iter()
            .map(|(name, versions)| {
                let summary = match versions.last_key_value() {
                    Some((_, tag)) => self.manifest(&repo, &tag.name, &name)?.summary,
                    None => String::new(),
                };
                let released = versions
                    .iter()
                    .filter_map(|(version, tag)| {
                        let commit = repo
                            .revparse_single(&format!("refs/tags/{}", tag.name))
                            .and_then(|o| o.peel_to_commit())
                            .ok()?;
                        Some((version.clone(), commit.time().seconds()))
                    })
                    .collect();
                Ok(Listing {
                    name,
                    versions: versions.into_keys().collect(),
                    summary,
                    released,
                })
            })
            .collect()
    }

    fn load(&self, reference: &Reference) -> Result<GoldenPath, CatalogError> {
        let repo = self.open()?;
        let found = self.versions(&repo)?;
        let (version, tag) = pick_version(reference, &self.describe(), &found)?;
        self.load_tag(&repo, &tag.name, &reference.name, &version)
    }
}

type Versions = BTreeMap<String, BTreeMap<semver::Version, Tag>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagStyle {
    /// `<name>@<version>`
    At,
    /// `<name>/v<version>`
    Slash,
}

#[derive(Debug, Clone)]
struct Tag {
    name: String,
    style: TagStyle,
}

/// `<name>@<semver>` or `<name>/v<semver>`; `None` for any other tag.
fn parse_tag(tag: &str) -> Option<(&str, semver::Version, TagStyle)> {
    let (name, version, style) = match tag.rsplit_once('@') {
        Some((name, version)) => (name, version, TagStyle::At),
        None => {
            let (name, version) = tag.rsplit_once("/v")?;
            (name, version, TagStyle::Slash)
        }
    };
    let is_name = !name.is_empty() && !name.contains(['/', '@']);
    let version = semver::Version::parse(version).ok()?;
    is_name.then_some((name, version, style))
}

/// How a tagged golden path is named in messages: git's `<rev>:<path>`.
fn display_root(tag: &str, folder: &str) -> String {
    if folder.is_empty() {
        format!("{tag}:.")
    } else {
        format!("{tag}:{folder}")
    }
}

/// Reads a tree's blobs into memory, refusing symbolic links and submodules.
struct TreeWalk<'a> {
    repo: &'a git2::Repository,
    tag: &'a str,
    catalog: String,
}

impl TreeWalk<'_> {
    /// `folder` is the golden path's folder in the tag (for messages), `prefix` the path of
    /// `tree` below it.
    fn read(
        &self,
        tree: &git2::Tree<'_>,
        folder: &str,
        prefix: &str,
        files: &mut BTreeMap<String, TemplateFile>,
    ) -> Result<(), CatalogError> {
        for entry in tree.iter() {
            let Ok(name) = entry.name() else {
                return Err(self.error(format!(
                    "{}: a file name in {}/{prefix} is not UTF-8",
                    self.tag, folder
                )));
            };
            let rel = if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}/{name}")
            };
            let shown = || {
                let full = if folder.is_empty() {
                    rel.clone()
                } else {
                    format!("{folder}/{rel}")
                };
                format!("{}:{full}", self.tag)
            };
            match entry.filemode() {
                MODE_TREE => {
                    let sub = self
                        .repo
                        .find_tree(entry.id())
                        .map_err(|e| self.error(e.message().to_owned()))?;
                    self.read(&sub, folder, &rel, files)?;
                }
                MODE_SYMLINK => {
                    return Err(CatalogError::Symlink {
                        path: PathBuf::from(shown()),
                    });
                }
                MODE_SUBMODULE => return Err(CatalogError::Submodule { location: shown() }),
                mode if is_blob(mode) => {
                    let blob = self
                        .repo
                        .find_blob(entry.id())
                        .map_err(|e| self.error(e.message().to_owned()))?;
                    files.insert(
                        rel,
                        TemplateFile {
                            bytes: blob.content().to_vec(),
                            is_executable: mode & 0o111 != 0,
                        },
                    );
                }
                mode => {
                    return Err(self.error(format!("{}: unexpected file mode {mode:o}", shown())));
                }
            }
        }
        Ok(())
    }

    fn error(&self, message: String) -> CatalogError {
        CatalogError::Git {
            catalog: self.catalog.clone(),
            message,
        }
    }
}

/// Clones `url` bare into `dest` with every tag: into a temp folder beside it, renamed into
/// place when complete, so a failed or interrupted clone leaves no half cache behind.
pub(crate) fn clone_bare(url: &str, dest: &Path) -> Result<(), String> {
    let parent = dest
        .parent()
        .ok_or_else(|| format!("{} has no parent folder", dest.display()))?;
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".clone-")
        .tempdir_in(parent)
        .map_err(|e| io(parent, e))?;
    let repo = git2::Repository::init_bare(staging.path()).map_err(|e| e.message().to_owned())?;
    fetch_tags(&repo, url)?;
    mark_fetched(staging.path(), url)?;
    drop(repo);
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, dest) {
        let _ = std::fs::remove_dir_all(&staged);
        // Another pave may have cloned it meanwhile; its clone is as good as ours.
        if git2::Repository::open_bare(dest).is_err() {
            return Err(io(dest, e));
        }
    }
    Ok(())
}

/// True for a URL this build of libgit2 cannot fetch (no TLS, no SSH): the `git` command does.
fn needs_git_command(url: &str) -> bool {
    ["https://", "ssh://", "git@"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
}

/// Fetches every tag of `url` into the bare repository at `git_dir` with the `git` command.
fn fetch_tags_with_git(git_dir: &Path, url: &str) -> Result<(), String> {
    let output = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["fetch", "--quiet", "--prune", "--force", "--no-write-fetch-head"])
        .arg(url)
        .arg("+refs/tags/*:refs/tags/*")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "the `git` command is not installed; pave fetches https and ssh catalogs with it (so git's credential helpers and ssh config apply): install git, or give the path of a clone".to_owned()
            } else {
                format!("cannot run git: {e}")
            }
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let why: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let why = if why.is_empty() {
        format!("git fetch failed ({})", output.status)
    } else {
        why.join("; ")
    };
    // git shows the URL it was given; a token in it stays out of the message.
    Err(why.replace(url, &without_credentials(url)))
}

/// Fetches every tag of `url` into `repo`, moving tags that moved and pruning deleted ones.
fn fetch_tags(repo: &git2::Repository, url: &str) -> Result<(), String> {
    if needs_git_command(url) {
        return fetch_tags_with_git(repo.path(), url);
    }
    let describe = |e: git2::Error| {
        let message = e.message().to_owned();
        // pave is built without libgit2's TLS and SSH transports (see Cargo.toml).
        if message.contains("unsupported URL protocol") || message.contains("no TLS stream") {
            format!(
                "{message} (this pave reads git catalogs by path and by file://, http://, https://, ssh:// and git@host: URL)"
            )
        } else {
            message
        }
    };
    let mut remote = repo.remote_anonymous(url).map_err(describe)?;
    let mut options = git2::FetchOptions::new();
    options
        .download_tags(git2::AutotagOption::All)
        .prune(git2::FetchPrune::On);
    remote
        .fetch(
            &["+refs/tags/*:refs/tags/*"],
            Some(&mut options),
            Some("pave: fetch catalog"),
        )
        .map_err(describe)
}

fn mark_fetched(repo_path: &Path, url: &str) -> Result<(), String> {
    let marker = repo_path.join(FETCHED_MARKER);
    std::fs::write(&marker, format!("{}\n", without_credentials(url)))
        .map_err(|e| format!("{}: {e}", marker.display()))
}

fn fetched_at(repo_path: &Path) -> Option<SystemTime> {
    std::fs::metadata(repo_path.join(FETCHED_MARKER))
        .and_then(|m| m.modified())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_golden_path_versions() {
        let v = |s: &str| semver::Version::parse(s).unwrap();
        assert_eq!(
            parse_tag("demo@1.2.0"),
            Some(("demo", v("1.2.0"), TagStyle::At))
        );
        assert_eq!(
            parse_tag("demo/v1.2.0-rc.1"),
            Some(("demo", v("1.2.0-rc.1"), TagStyle::Slash))
        );
        for ignored in [
            "v1.2.0",
            "demo@1.2",
            "demo/1.2.0",
            "@1.0.0",
            "a/b@1.0.0",
            "release-3",
        ] {
            assert_eq!(parse_tag(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn urls_and_paths() {
        for url in [
            "https://example.com/org/golden-paths.git",
            "ssh://git@example.com/org/golden-paths.git",
            "file:///srv/golden-paths",
            "git@example.com:org/golden-paths.git",
        ] {
            assert_eq!(GitLocation::parse(url), GitLocation::Remote(url.into()));
            assert_eq!(GitLocation::parse(url).describe(), format!("git:{url}"));
        }
        assert_eq!(
            GitLocation::parse("/srv/golden-paths").describe(),
            "git:/srv/golden-paths"
        );
        assert!(matches!(GitLocation::parse("rel/repo"), GitLocation::Local(p) if p.is_absolute()));
    }

    #[test]
    fn cache_folder_is_sixteen_hex_digits_of_the_url_hash() {
        let dir = cache_dir(Path::new("/cache"), "https://example.com/x.git");
        let name = dir.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 16);
        assert!(name.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(
            dir,
            cache_dir(Path::new("/cache"), "https://example.com/y.git")
        );
    }
}
