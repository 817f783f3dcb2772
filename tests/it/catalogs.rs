//! Catalogs: git repositories (tags as versions, local and cloned by URL), the config file that
//! chooses a catalog, and directory catalogs beside them.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::support::*;
use predicates::prelude::*;

/// The manifest of a small golden path `name` at `version`.
pub(crate) fn manifest(name: &str, version: &str) -> String {
    format!(
        "apiVersion: pave.dev/v1\nname: {name}\nversion: {version}\nsummary: {name} at {version}\nparameters:\n  name: {{type: string, required: true, pattern: \"[a-z][a-z0-9-]*\"}}\n  port: {{type: integer, min: 1024, max: 65535, default: 8080}}\ncomponents:\n  app: {{summary: the app}}\n"
    )
}

/// A git repository of golden paths in a temp dir, built commit by commit and tagged with git2.
pub(crate) struct CatalogRepo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl CatalogRepo {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        git2::Repository::init_opts(dir.path(), &opts).unwrap();
        Self {
            root: dir.path().to_owned(),
            _dir: dir,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.root
    }

    pub(crate) fn arg(&self) -> String {
        self.path().display().to_string()
    }

    pub(crate) fn url(&self) -> String {
        format!("file://{}", self.arg())
    }

    /// Moves the repository to `to` (a path that does not exist yet): it is no longer where it
    /// was.
    pub(crate) fn move_to(&mut self, to: &Path) {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(&self.root, to).unwrap();
        self.root = to.to_owned();
    }

    fn write(&self, rel: &str, content: &str) -> &Self {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    fn executable(&self, rel: &str, content: &str) -> &Self {
        use std::os::unix::fs::PermissionsExt as _;
        self.write(rel, content);
        let path = self.path().join(rel);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    /// Golden path `name` at `version` in `folder` (`""` for the root), replacing what was there.
    pub(crate) fn golden_path(&self, folder: &str, name: &str, version: &str) -> &Self {
        let at = |rel: &str| {
            if folder.is_empty() {
                rel.to_owned()
            } else {
                format!("{folder}/{rel}")
            }
        };
        self.write(&at("golden-path.yaml"), &manifest(name, version))
            .write(
                &at("components/app/README.md.jinja"),
                &format!("# {{{{ name }}}} on {{{{ port }}}} ({name} {version})\n"),
            )
            .executable(&at("components/app/run.sh"), "#!/bin/sh\necho run\n")
    }

    /// Commits the work tree and tags the commit: annotated or lightweight.
    pub(crate) fn release(&self, tag: &str, is_annotated: bool) -> &Self {
        commit_all(self.path(), &format!("release {tag}"));
        let repo = git2::Repository::open(self.path()).unwrap();
        let head = repo.head().unwrap().peel(git2::ObjectType::Commit).unwrap();
        if is_annotated {
            let sig = git2::Signature::now("Test", "test@example.com").unwrap();
            repo.tag(tag, &head, &sig, &format!("release {tag}"), false)
                .unwrap();
        } else {
            repo.tag_lightweight(tag, &head, false).unwrap();
        }
        self
    }
}

/// A repository of several golden paths under `<name>/`: demo 1.0.0, 1.1.0 (`@` tags, one
/// lightweight, one annotated) and 2.0.0 (a `/v` tag), other 0.1.0, and tags that name no
/// golden-path version.
fn several() -> CatalogRepo {
    let repo = CatalogRepo::new();
    repo.write("README.md", "our golden paths\n");
    repo.golden_path("demo", "demo", "1.0.0")
        .release("demo@1.0.0", false)
        .golden_path("demo", "demo", "1.1.0")
        .release("demo@1.1.0", true)
        .golden_path("other", "other", "0.1.0")
        .release("other@0.1.0", true)
        .golden_path("demo", "demo", "2.0.0")
        .release("demo/v2.0.0", true)
        .release("v9.9.9", false)
        .release("demo@banana", false)
        .release("nightly", true);
    repo
}

/// A repository of one golden path at its root, versions tagged `demo/v<version>`.
pub(crate) fn one(versions: &[&str]) -> CatalogRepo {
    let repo = CatalogRepo::new();
    for version in versions {
        repo.golden_path("", "demo", version)
            .release(&format!("demo/v{version}"), true);
    }
    repo
}

pub(crate) fn lock_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(".pave/lock.yaml")).unwrap()
}

fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

/// Where pave caches the clone of `url` below `PAVE_CACHE_DIR`.
pub(crate) fn cached_clone(cache: &Path, url: &str) -> PathBuf {
    use sha2::Digest as _;
    let digest = hex::encode(sha2::Sha256::digest(url.as_bytes()));
    cache.join("pave/catalogs").join(&digest[..16])
}

#[test]
fn list_shows_every_tagged_version_of_every_golden_path() {
    let repo = several();
    let text = stdout_of(pave().args(["list", "--catalog"]).arg(repo.path()));
    assert!(
        text.contains("demo   2.0.0, 1.1.0, 1.0.0  demo at 2.0.0"),
        "{text}"
    );
    assert!(text.contains("other  0.1.0"), "{text}");
    assert!(
        !text.contains("9.9.9") && !text.contains("nightly"),
        "{text}"
    );

    let json = stdout_of(
        pave()
            .args(["list", "--format", "json", "--catalog"])
            .arg(repo.path()),
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["catalog"], format!("git:{}", repo.arg()));
    assert_eq!(json["golden_paths"][0]["latest"], "2.0.0");
}

#[test]
fn show_reads_a_tagged_version() {
    let repo = several();
    let text = stdout_of(
        pave()
            .args(["show", "demo@1.0.0", "--catalog"])
            .arg(repo.path()),
    );
    assert!(text.contains("demo@1.0.0"), "{text}");
    assert!(text.contains("demo at 1.0.0"), "{text}");
    // The `/v` style and `git:` prefix name the same catalog.
    let text = stdout_of(
        pave()
            .args(["show", "demo@2"])
            .arg(format!("--catalog=git:{}", repo.arg())),
    );
    assert!(text.contains("demo@2.0.0"), "{text}");
}

#[test]
fn new_from_a_git_catalog_records_it_and_check_finds_it_again() {
    let repo = one(&["1.0.0", "1.1.0"]);
    let (_tmp, dir) = target();
    pave_new(
        "demo@^1",
        &dir,
        &["--set", "name=pay", "--catalog", &repo.arg()],
    )
    .assert()
    .success();
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "# pay on 8080 (demo 1.1.0)\n"
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o111,
            0o111,
            "the executable bit comes from the tree"
        );
    }
    // The repository has no `origin` and no name: it is recorded by its folder, from home.
    let lock = lock_of(&dir);
    assert!(
        lock.contains(&format!("catalog: git:{}", below_home(repo.path()))),
        "{lock}"
    );
    assert!(lock.contains("version: \"1.1.0\""), "{lock}");

    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("1.1.0 is the newest in git:"));

    repo.golden_path("", "demo", "1.2.0")
        .release("demo/v1.2.0", false);
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1.1.0 is 1 version(s) behind 1.2.0 (Minor lag)",
        ));
}

#[test]
fn a_bare_repository_is_read_in_place() {
    let repo = several();
    let bare = tempfile::tempdir().unwrap();
    let bare_path = bare.path().join("catalog.git");
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&repo.url(), &bare_path)
        .unwrap();
    let text = stdout_of(pave().args(["list", "--catalog"]).arg(&bare_path));
    assert!(text.contains("other  0.1.0"), "{text}");
    let (_tmp, dir) = target();
    pave_new(
        "other",
        &dir,
        &[
            "--set",
            "name=x",
            "--no-git",
            "--catalog",
            bare_path.to_str().unwrap(),
        ],
    )
    .assert()
    .success();
    // A clone records the URL of its `origin`: the catalog, wherever this copy is.
    assert!(lock_of(&dir).contains(&format!("catalog: git:{}", repo.url())));
}

#[test]
fn a_url_is_cloned_into_the_cache_and_used_offline_afterwards() {
    let repo = one(&["1.0.0"]);
    let url = repo.url();
    let cache = tempfile::tempdir().unwrap();
    let list = || {
        let mut cmd = pave();
        cmd.env("PAVE_CACHE_DIR", cache.path())
            .args(["list", "--catalog", &url]);
        cmd
    };
    list()
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.0.0"))
        .stderr(predicate::str::contains(format!(
            "Cloned catalog git:{url}"
        )));
    let clone = cached_clone(cache.path(), &url);
    assert!(
        git2::Repository::open_bare(&clone).is_ok(),
        "{}",
        clone.display()
    );

    // A fresh cache is not fetched again: a new tag shows only with --fetch.
    repo.golden_path("", "demo", "1.1.0")
        .release("demo/v1.1.0", true);
    list()
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.0.0 "))
        .stderr("");
    list()
        .arg("--fetch")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.1.0, 1.0.0"))
        .stderr(predicate::str::contains("Fetched catalog"));

    let (_tmp, dir) = target();
    pave_new("demo@1.0.0", &dir, &["--set", "name=x", "--catalog", &url])
        .env("PAVE_CACHE_DIR", cache.path())
        .assert()
        .success();
    assert!(lock_of(&dir).contains(&format!("catalog: git:{url}")));

    // The repository is gone: the cache serves, with a warning when a fetch was due.
    drop(repo);
    list()
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.1.0, 1.0.0"));
    list()
        .arg("--fetch")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.1.0, 1.0.0"))
        .stderr(predicate::str::contains("warning: could not fetch catalog"))
        .stderr(predicate::str::contains("using its cached clone"));
    let marker = std::fs::File::options()
        .write(true)
        .open(clone.join("pave-fetched"))
        .unwrap();
    marker
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 60 * 60))
        .unwrap();
    list()
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: could not fetch catalog"));
    pave_check(&dir, &[])
        .env("PAVE_CACHE_DIR", cache.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("is 1 version(s) behind 1.1.0"));
}

#[test]
fn an_unreachable_git_catalog_is_an_error() {
    let cache = tempfile::tempdir().unwrap();
    for url in [
        "file:///nonexistent/golden-paths",
        "https://127.0.0.1:9/x.git",
    ] {
        pave()
            .env("PAVE_CACHE_DIR", cache.path())
            .args(["list", "--catalog", url])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "error: the git catalog {url} is not reachable and has no cached clone"
            )))
            .stderr(predicate::str::contains("hint: check the URL"));
    }
    let left: Vec<_> = walkdir::WalkDir::new(cache.path())
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap().path().to_owned())
        .filter(|p| !p.ends_with("pave") && !p.ends_with("pave/catalogs"))
        .collect();
    assert!(left.is_empty(), "a failed clone left {left:?}");
}

#[test]
fn a_symbolic_link_in_a_tagged_tree_is_refused() {
    let repo = CatalogRepo::new();
    repo.golden_path("", "demo", "1.0.0");
    std::os::unix::fs::symlink("/etc/passwd", repo.path().join("components/app/passwd")).unwrap();
    repo.release("demo@1.0.0", false);
    refused(
        "demo",
        &["--set", "name=x", "--catalog", &repo.arg()],
        &["demo@1.0.0:components/app/passwd: symbolic links are not allowed in a golden path"],
    );
}

#[test]
fn a_submodule_in_a_tagged_tree_is_refused() {
    let repo = CatalogRepo::new();
    repo.golden_path("", "demo", "1.0.0");
    commit_all(repo.path(), "golden path");
    let git = git2::Repository::open(repo.path()).unwrap();
    let head = git.head().unwrap().peel_to_commit().unwrap();
    let mut builder = git.treebuilder(Some(&head.tree().unwrap())).unwrap();
    builder.insert("vendored", head.id(), 0o160000).unwrap();
    let tree = git.find_tree(builder.write().unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    let commit = git
        .commit(None, &sig, &sig, "with a submodule", &tree, &[&head])
        .unwrap();
    git.tag_lightweight("demo@1.0.0", &git.find_object(commit, None).unwrap(), false)
        .unwrap();
    refused(
        "demo",
        &["--set", "name=x", "--catalog", &repo.arg()],
        &["demo@1.0.0:vendored: submodules are not allowed in a golden path"],
    );
}

#[test]
fn a_manifest_that_disagrees_with_its_tag_is_refused() {
    let repo = CatalogRepo::new();
    repo.golden_path("demo", "demo", "1.0.1")
        .release("demo@1.0.0", false);
    pave()
        .args(["show", "demo@1.0.0", "--catalog", &repo.arg()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tag `demo@1.0.0` of the git:"))
        .stderr(predicate::str::contains(
            "holds demo@1.0.1; the manifest's name and version must match the tag (demo@1.0.0)",
        ));
}

#[test]
fn the_config_file_chooses_the_catalog_below_flag_and_environment() {
    let repo = one(&["1.0.0"]);
    let home = tempfile::tempdir().unwrap();
    std::fs::rename(repo.path(), home.path().join("golden-paths")).unwrap();
    let config = home.path().join("config.toml");
    // Relative to the config file, not to where pave runs.
    std::fs::write(&config, "# my defaults\ncatalog = \"golden-paths\"\n").unwrap();
    pave()
        .env("PAVE_CONFIG", &config)
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.0.0"));
    pave()
        .env("PAVE_CONFIG", &config)
        .env("PAVE_CATALOG", "builtin")
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("rust-service"));
    pave()
        .env("PAVE_CONFIG", &config)
        .args(["list", "--catalog", "builtin"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("rust-service"));

    // The platform's config dir is read when PAVE_CONFIG is not set.
    let xdg = home.path().join("xdg");
    std::fs::create_dir_all(xdg.join("pave")).unwrap();
    std::fs::copy(&config, xdg.join("pave/config.toml")).unwrap();
    std::fs::rename(
        home.path().join("golden-paths"),
        xdg.join("pave/golden-paths"),
    )
    .unwrap();
    pave()
        .env("XDG_CONFIG_HOME", &xdg)
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.0.0"));
}

#[test]
fn a_malformed_config_file_is_an_error_naming_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    for (text, expected) in [
        ("# defaults\n\ncatalog = \n", ":3: "),
        (
            "catalog = \"builtin\"\ncatalgo = \"x\"\n",
            ":2: unknown field `catalgo`",
        ),
        ("catalog = 3\n", ":1: "),
    ] {
        std::fs::write(&config, text).unwrap();
        pave()
            .env("PAVE_CONFIG", &config)
            .arg("list")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "error: {}{expected}",
                config.display()
            )));
    }
    pave()
        .env("PAVE_CONFIG", home.path().join("missing.toml"))
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml"));
    std::fs::write(&config, "catalog = \"no-such-folder\"\n").unwrap();
    pave()
        .env("PAVE_CONFIG", &config)
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "(set in {})",
            config.display()
        )));
}

#[test]
fn a_directory_catalog_still_works_in_and_beside_git() {
    let repo = CatalogRepo::new();
    repo.write(
        "golden-paths/demo/1.0.0/golden-path.yaml",
        &manifest("demo", "1.0.0"),
    )
    .write(
        "golden-paths/demo/1.0.0/components/app/README.md.jinja",
        "# {{ name }}\n",
    )
    .write(
        "golden-paths/demo/2.0.0/golden-path.yaml",
        &manifest("demo", "2.0.0"),
    )
    .write(
        "golden-paths/demo/2.0.0/components/app/README.md.jinja",
        "# {{ name }}\n",
    );
    commit_all(repo.path(), "a directory catalog inside a git work tree");
    let catalog = repo.path().join("golden-paths");
    pave()
        .args(["list", "--catalog"])
        .arg(&catalog)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  2.0.0, 1.0.0"));
    let (_tmp, dir) = target();
    pave_new("demo@^1", &dir, &["--set", "name=x", "--no-git"])
        .env("PAVE_CATALOG", &catalog)
        .assert()
        .success();
    assert!(lock_of(&dir).contains(&format!("catalog: dir:{}", below_home(&catalog))));
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("is 1 version(s) behind 2.0.0"));
    // A repository that is a directory catalog, with no version tags, stays one.
    let repo_root = CatalogRepo::new();
    repo_root
        .write("demo/1.0.0/golden-path.yaml", &manifest("demo", "1.0.0"))
        .write(
            "demo/1.0.0/components/app/README.md.jinja",
            "# {{ name }}\n",
        );
    commit_all(
        repo_root.path(),
        "a directory catalog at the root of a repository",
    );
    let json = stdout_of(
        pave()
            .args(["list", "--format", "json", "--catalog"])
            .arg(repo_root.path()),
    );
    assert!(
        json.contains(&format!("\"catalog\": \"dir:{}\"", repo_root.arg())),
        "{json}"
    );
    // `dir:` reads a repository root as a folder, not by its tags.
    let json = stdout_of(
        pave()
            .args(["list", "--format", "json"])
            .arg(format!("--catalog=dir:{}", repo.arg())),
    );
    assert!(json.contains("\"catalog\": \"dir:"), "{json}");
}

#[test]
fn audit_knows_how_old_a_version_from_a_git_catalog_is() {
    let repo = one(&["1.0.0", "1.1.0"]);
    let (tmp, dir) = target();
    pave_new(
        "demo@1.0.0",
        &dir,
        &["--set", "name=pay", "--catalog", &repo.arg()],
    )
    .assert()
    .success();
    let out = stdout_of(pave().args(["audit", "--format", "json"]).arg(tmp.path()));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let gp = &report["repos"][0]["golden_paths"][0];
    assert_eq!(gp["latest"], "1.1.0");
    assert_eq!(gp["lag"], "minor");
    assert_eq!(
        gp["days_since_release"], 0,
        "released today, by the tagged commit's time"
    );
    assert_eq!(report["repos"][0]["status"], "outdated");
}

#[test]
fn upgrade_through_a_git_catalog_takes_the_new_tag() {
    let repo = one(&["1.0.0"]);
    let (_tmp, dir) = target();
    pave_new(
        "demo@1.0.0",
        &dir,
        &["--set", "name=pay", "--catalog", &repo.arg()],
    )
    .assert()
    .success();
    repo.golden_path("", "demo", "1.1.0")
        .release("demo/v1.1.0", true);
    pave()
        .args(["upgrade", "-C"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("demo 1.0.0 -> 1.1.0"));
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "# pay on 8080 (demo 1.1.0)\n"
    );
    assert!(lock_of(&dir).contains("version: \"1.1.0\""));
    pave_check(&dir, &[]).assert().success();
}
