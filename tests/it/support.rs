//! Shared test support: a `pave()` runner, golden paths built in temp dirs, tree listings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

/// The pave binary with a clean, deterministic environment.
pub fn pave() -> Command {
    Command::from_std(pave_std())
}

/// [`pave()`] as a plain `std::process::Command`, for tests that choose where its output goes.
pub fn pave_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("pave"));
    // No config file, cache, registry or spool of the person running the tests: folders nobody
    // else uses (events go to a local registry there, as on a fresh machine).
    let nowhere = std::env::temp_dir().join("pave-tests-nowhere");
    cmd.env_remove("PAVE_CATALOG")
        .env_remove("PAVE_CONFIG")
        .env_remove("PAVE_CACHE_DIR")
        .env_remove("PAVE_REGISTRY_URL")
        .env_remove("PAVE_REGISTRY_TOKEN")
        .env_remove("PAVE_REGISTRY_RETENTION")
        .env("PAVE_DATA_DIR", nowhere.join("data"))
        .env("PAVE_STATE_DIR", nowhere.join("state"))
        .env("XDG_CONFIG_HOME", nowhere.join("config"))
        .env("XDG_CACHE_HOME", nowhere.join("cache"))
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("HOME", std::env::temp_dir());
    cmd
}

/// A golden path written into a temp dir, with a manifest and files below `components/`.
pub struct GoldenPathBuilder {
    pub dir: tempfile::TempDir,
}

pub const MANIFEST_HEAD: &str =
    "apiVersion: pave.dev/v1\nname: demo\nversion: 1.0.0\nsummary: a demo\n";

impl GoldenPathBuilder {
    /// A golden path with `manifest` as its `golden-path.yaml`.
    pub fn new(manifest: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("golden-path.yaml"), manifest).unwrap();
        Self { dir }
    }

    /// A small valid golden path: parameters `name` (string, required) and `port` (integer).
    pub fn demo() -> Self {
        Self::new(&format!(
            "{MANIFEST_HEAD}parameters:\n  name: {{type: string, required: true, pattern: \"[a-z][a-z0-9-]*\"}}\n  port: {{type: integer, min: 1024, max: 65535, default: 8080}}\ncomponents:\n  app: {{summary: the app}}\n"
        ))
        .file("components/app/README.md.jinja", "# {{ name }} on {{ port }}\n")
    }

    /// Adds a file (relative to the golden path root).
    pub fn file(self, rel: &str, content: &str) -> Self {
        self.bytes(rel, content.as_bytes())
    }

    pub fn bytes(self, rel: &str, content: &[u8]) -> Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn arg(&self) -> String {
        self.dir.path().display().to_string()
    }
}

/// Every file below `root` (not `.git`), as relative path → bytes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(root).unwrap();
        if rel.starts_with(".git") || !entry.file_type().is_file() {
            continue;
        }
        out.insert(
            rel.to_str().unwrap().to_owned(),
            std::fs::read(entry.path()).unwrap(),
        );
    }
    out
}

/// True when `dir` does not exist or is empty.
pub fn is_absent_or_empty(dir: &Path) -> bool {
    !dir.exists() || std::fs::read_dir(dir).unwrap().next().is_none()
}

/// A fresh folder to render into, inside a temp dir that also holds nothing else.
pub fn target() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("payments-api");
    (tmp, dir)
}

/// The temp dir holds nothing but what the test put there: no staging leftovers.
pub fn assert_no_leftovers(tmp: &Path) {
    let left: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".pave"))
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}

/// `pave new <golden path> <dir> <args…>`, ready to assert.
pub fn pave_new(golden_path: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = pave();
    cmd.args(["new", golden_path]).arg(dir).args(args);
    cmd
}

/// The answers every `pave new rust-service` needs (a new repo has no git remote to take the
/// organisation from).
pub const RUST_SERVICE_ANSWERS: [&str; 4] =
    ["--set", "team=payments", "--set", "organization=acme"];

/// A repo made by `pave new rust-service` for team `payments` of organisation `acme` with `args`
/// added, in a fresh target (`payments-api` inside its own temp dir, which the caller keeps
/// alive).
pub fn rust_service(args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = target();
    pave_new("rust-service", &dir, &RUST_SERVICE_ANSWERS)
        .args(args)
        .assert()
        .success();
    (tmp, dir)
}

/// `pave new` into a fresh target is refused: exit 2, nothing on stdout, every `expected` text on
/// stderr, and nothing written — not the target, not a staging folder, nothing beside it.
pub fn refused(golden_path: &str, args: &[&str], expected: &[&str]) {
    let (tmp, dir) = target();
    let mut assert = pave_new(golden_path, &dir, args)
        .assert()
        .code(2)
        .stdout("");
    for text in expected {
        assert = assert.stderr(predicate::str::contains(*text));
    }
    assert!(!dir.exists(), "target was written");
    assert_no_leftovers(tmp.path());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "something was written beside the target"
    );
}

/// A git repo in a temp dir with `files` committed (one commit on `main`).
pub fn git_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    git2::Repository::init_opts(dir.path(), &opts).unwrap();
    commit_all(dir.path(), "initial");
    dir
}

/// Commits everything in the work tree at `dir`.
pub fn commit_all(dir: &Path, message: &str) {
    let repo = git2::Repository::open(dir).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap();
}

/// `pave apply <golden path> -C <dir> <args…>`, ready to assert.
pub fn pave_apply(golden_path: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = pave();
    cmd.args(["apply", golden_path, "-C"]).arg(dir).args(args);
    cmd
}

/// `pave check -C <dir> <args…>`, ready to assert.
pub fn pave_check(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = pave();
    cmd.args(["check", "-C"]).arg(dir).args(args);
    cmd
}

/// Rewrites the version a repo made by [`rust_service`] records in its lock (1.3.0), as a hand
/// edit would.
pub fn set_locked_version(dir: &Path, version: &str) {
    let lock = dir.join(".pave/lock.yaml");
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(text.contains("version: \"1.3.0\""), "{text}");
    std::fs::write(
        &lock,
        text.replace("version: \"1.3.0\"", &format!("version: \"{version}\"")),
    )
    .unwrap();
}

/// The `git` command line in `dir`, with no user or system config, on `main`; its stdout.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks the repo at `dir` out again as Git for Windows does (`core.autocrlf=true`): CRLF text.
pub fn check_out_with_crlf(dir: &Path) {
    git_in(dir, &["config", "core.autocrlf", "true"]);
    git_in(dir, &["rm", "-q", "-r", "--cached", "."]);
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() && !entry.path().starts_with(dir.join(".git")) {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    git_in(dir, &["reset", "-q", "--hard"]);
}

/// How a lock records a folder below the tests' home folder (`HOME` is the temp dir, see
/// [`pave_std`]): `~/…`, never the whole path.
pub fn below_home(path: &Path) -> String {
    let rel = path
        .strip_prefix(std::env::temp_dir())
        .unwrap_or_else(|_| panic!("{} is below the temp dir", path.display()));
    format!("~/{}", rel.display())
}

/// `pave audit --offline --format json` of the repos below `folder`: its report.
pub fn audit_offline(folder: &Path) -> serde_json::Value {
    let out = pave()
        .args(["audit", "--offline", "--format", "json"])
        .arg(folder)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}
