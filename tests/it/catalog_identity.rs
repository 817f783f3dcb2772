//! Locks that travel (issue 13, part 5): a lock made from a catalog on one machine finds the
//! catalog again on another — in CI, in a colleague's checkout, after the catalog moved. A clone
//! is recorded by its `origin` URL, a named catalog by its name (each machine's config.toml maps
//! it), and an old lock's path keeps working where it exists and says how to fix it where not.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::catalogs::{cached_clone, lock_of, one};
use crate::support::*;

/// A machine: its own config file, catalog cache and local registry.
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new() -> Self {
        let machine = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        machine.config("");
        machine
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn config(&self, text: &str) -> &Self {
        std::fs::write(self.config_path(), text).unwrap();
        self
    }

    /// Maps the catalog name `name` to `location`, as config.toml's `[catalogs]` does.
    fn name_catalog(&self, name: &str, location: &Path) -> &Self {
        self.config(&format!(
            "[catalogs]\n{name} = \"{}\"\n",
            location.display()
        ))
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pave(&self) -> assert_cmd::Command {
        let mut cmd = pave();
        cmd.env("PAVE_CONFIG", self.config_path())
            .env("PAVE_CACHE_DIR", self.cache())
            .env("PAVE_DATA_DIR", self.data());
        cmd
    }

    /// `pave <command> -C <dir> <args…>`.
    fn run(&self, command: &str, dir: &Path, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.pave();
        cmd.args([command, "-C"]).arg(dir).args(args);
        cmd
    }

    fn new_repo(&self, reference: &str, dir: &Path, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.pave();
        cmd.args(["new", reference])
            .arg(dir)
            .args(["--set", "name=pay"])
            .args(args);
        cmd
    }
}

/// A copy of the repo at `from` (work tree and history) at `to`: another checkout.
fn checkout_copy(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The repo's files and lock, to show nothing was written.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree(dir)
}

/// Replaces the catalog the lock records, as a hand edit (or an older pave) would, and commits.
fn record_catalog(dir: &Path, catalog: &str) {
    let lock = dir.join(".pave/lock.yaml");
    let text = std::fs::read_to_string(&lock).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("catalog:"))
        .unwrap()
        .to_owned();
    let indent = &line[..line.len() - line.trim_start().len()];
    std::fs::write(
        &lock,
        text.replace(&line, &format!("{indent}catalog: {catalog}")),
    )
    .unwrap();
    commit_all(dir, "the lock as an older pave wrote it");
}

const NOT_PORTABLE: &str = "a folder only this machine knows";

#[test]
fn a_lock_made_from_a_clone_records_its_origin_and_another_checkout_finds_it() {
    let upstream = one(&["1.0.0"]);
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("golden-paths");
    git2::build::RepoBuilder::new()
        .clone(&upstream.url(), &clone)
        .unwrap();
    let laptop = Machine::new();
    let app = work.path().join("app");
    laptop
        .new_repo("demo@1.0.0", &app, &["--catalog", clone.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains(NOT_PORTABLE).not());
    let recorded = format!("catalog: git:{}", upstream.url());
    assert!(lock_of(&app).contains(&recorded), "{}", lock_of(&app));

    // The platform releases 1.1.0. CI checks out the app somewhere else; the laptop's clone of
    // the catalog is nowhere there.
    upstream
        .golden_path("", "demo", "1.1.0")
        .release("demo/v1.1.0", true);
    let ci = Machine::new();
    let runner = tempfile::tempdir().unwrap();
    let checkout = runner.path().join("app");
    checkout_copy(&app, &checkout);
    drop(work);
    ci.run("check", &checkout, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1.0.0 is 1 version(s) behind 1.1.0",
        ));
    ci.run("diff", &checkout, &[]).assert().success().stdout("");
    ci.run("upgrade", &checkout, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains("demo 1.0.0 -> 1.1.0"));
    let lock = lock_of(&checkout);
    assert!(lock.contains(&recorded), "{lock}");
    assert!(lock.contains("version: \"1.1.0\""), "{lock}");
}

#[test]
fn a_lock_made_from_a_named_catalog_records_the_name_that_each_machine_maps() {
    let mut catalog = one(&["1.0.0"]);
    let laptop = Machine::new();
    laptop.name_catalog("platform", catalog.path());
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    laptop
        .new_repo("demo@1.0.0", &app, &[])
        .env("PAVE_CATALOG", "platform")
        .assert()
        .success()
        .stderr(predicate::str::contains(NOT_PORTABLE).not());
    assert!(
        lock_of(&app).contains("catalog: platform\n"),
        "{}",
        lock_of(&app)
    );
    let second = tmp.path().join("second");
    laptop
        .new_repo("demo@1.0.0", &second, &["--catalog", "platform"])
        .assert()
        .success();
    assert!(lock_of(&second).contains("catalog: platform\n"));

    // The catalog moves and gets a new version; the laptop's config still names the old place.
    let moved = tmp.path().join("elsewhere/golden-paths");
    catalog.move_to(&moved);
    catalog
        .golden_path("", "demo", "1.1.0")
        .release("demo/v1.1.0", true);
    let before = snapshot(&app);
    laptop
        .run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{}:2: catalogs.platform: `",
            laptop.config_path().display()
        )))
        .stdout(predicate::str::contains(
            "is not a folder; version lag unknown",
        ));
    laptop
        .run("upgrade", &app, &[])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "error: {}:2: catalogs.platform: `",
            laptop.config_path().display()
        )));
    assert_eq!(snapshot(&app), before, "nothing was written");

    // A machine without the name: check notes it, upgrade and diff say how to map it.
    let fresh = Machine::new();
    fresh
        .run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "the lock records catalog `platform` for demo, a name that [catalogs] of",
        ))
        .stdout(predicate::str::contains("version lag unknown"));
    for command in ["upgrade", "diff"] {
        fresh
            .run(command, &app, &[])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "error: the lock records catalog `platform` for demo, a name that [catalogs] of {} does not map",
                fresh.config_path().display()
            )))
            .stderr(predicate::str::contains(
                "\n  [catalogs]\n  platform = \"https://git.example.com/platform/golden-paths.git\"\n",
            ))
            .stderr(predicate::str::contains("or set PAVE_CATALOG"));
        assert_eq!(snapshot(&app), before, "nothing was written");
    }
    // PAVE_CATALOG names the catalog for this run, whatever the lock records.
    fresh
        .run("check", &app, &[])
        .env("PAVE_CATALOG", &moved)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1.0.0 is 1 version(s) behind 1.1.0",
        ));

    // Another machine maps the name to where the catalog is there: check, diff, audit and
    // upgrade find it, and the lock keeps the name.
    let ci = Machine::new();
    ci.name_catalog("platform", &moved);
    ci.run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1.0.0 is 1 version(s) behind 1.1.0",
        ));
    ci.run("diff", &app, &[]).assert().success();
    let audit = ci
        .pave()
        .args(["audit", "--format", "json"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let gp = &report["repos"][0]["golden_paths"][0];
    assert_eq!(
        (&gp["catalog"], &gp["latest"], &gp["lag"]),
        (
            &serde_json::json!("platform"),
            &serde_json::json!("1.1.0"),
            &serde_json::json!("minor")
        ),
        "{report}"
    );
    ci.run("upgrade", &app, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains("demo 1.0.0 -> 1.1.0"));
    assert!(lock_of(&app).contains("catalog: platform\n"));
    assert!(lock_of(&app).contains("version: \"1.1.0\""));
}

#[test]
fn an_old_lock_with_a_path_works_where_the_path_is_and_says_how_to_fix_it_where_not() {
    let mut catalog = one(&["1.0.0", "1.1.0"]);
    let machine = Machine::new();
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    // A catalog with no `origin` and no name is recorded by its folder, with a warning.
    machine
        .new_repo("demo@1.0.0", &app, &["--catalog", &catalog.arg()])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "warning: the lock records catalog `git:{}` for demo: {NOT_PORTABLE}",
            below_home(catalog.path())
        )))
        .stderr(predicate::str::contains("[catalogs]"));
    // As an older pave recorded it: the whole path.
    let old = format!("git:{}", catalog.arg());
    record_catalog(&app, &old);
    machine
        .run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1.0.0 is 1 version(s) behind 1.1.0",
        ));

    // The path is gone (another machine, or the catalog moved).
    let moved = tmp.path().join("golden-paths");
    catalog.move_to(&moved);
    let before = snapshot(&app);
    let gone =
        format!("the lock records catalog `{old}` for demo, a folder that is not on this machine");
    machine
        .run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(&gone))
        .stdout(predicate::str::contains("version lag unknown"));
    for command in ["upgrade", "diff"] {
        machine
            .run(command, &app, &[])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!("error: {gone}")))
            .stderr(predicate::str::contains(
                "hint: set PAVE_CATALOG to the catalog's git URL or its folder here",
            ))
            .stderr(predicate::str::contains("\n  [catalogs]\n"))
            .stderr(predicate::str::contains(
                "and run `pave apply demo --catalog ",
            ));
        assert_eq!(snapshot(&app), before, "nothing was written");
    }

    // The fix the hint gives: name the catalog, apply once with the name, and the lock records
    // it; after that no variable is needed.
    machine.name_catalog("golden-paths", &moved);
    machine
        .run("apply", &app, &["demo", "--catalog", "golden-paths"])
        .assert()
        .success();
    assert!(
        lock_of(&app).contains("catalog: golden-paths\n"),
        "{}",
        lock_of(&app)
    );
    commit_all(&app, "the lock records the catalog's name");
    machine
        .run("upgrade", &app, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains("demo 1.0.0 -> 1.1.0"));
}

#[test]
fn a_catalog_below_home_is_recorded_from_home_and_found_below_another_home() {
    let mut catalog = one(&["1.0.0", "1.1.0"]);
    let ada = tempfile::tempdir().unwrap();
    let bob = tempfile::tempdir().unwrap();
    catalog.move_to(&ada.path().join("src/golden-paths"));
    let machine = Machine::new();
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    // As a variable holds it, unexpanded by a shell.
    machine
        .new_repo("demo@1.0.0", &app, &["--no-git"])
        .env("PAVE_CATALOG", "git:~/src/golden-paths")
        .env("HOME", ada.path())
        .assert()
        .success();
    let lock = lock_of(&app);
    assert!(lock.contains("catalog: git:~/src/golden-paths\n"), "{lock}");
    assert!(
        !lock.contains(&ada.path().display().to_string()),
        "no home path in the lock: {lock}"
    );
    catalog.move_to(&bob.path().join("src/golden-paths"));
    machine
        .run("check", &app, &[])
        .env("HOME", bob.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1.0.0 is 1 version(s) behind 1.1.0",
        ));
    machine
        .run("check", &app, &[])
        .env("HOME", ada.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "the lock records catalog `git:~/src/golden-paths` for demo, a folder that is not on this machine",
        ));
}

#[test]
fn a_token_in_a_catalog_url_is_never_recorded() {
    let upstream = one(&["1.0.0"]);
    let machine = Machine::new();
    let clean = "https://git.example.com/platform/golden-paths.git";
    let with_token =
        "https://x-access-token:ghs_SECRET123@git.example.com/platform/golden-paths.git";
    // The catalog was fetched a moment ago: its cached clone is fresh, so nothing is fetched
    // (this pave has no https transport to a host that does not exist anyway).
    let clone = cached_clone(&machine.cache(), clean);
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&upstream.url(), &clone)
        .unwrap();
    std::fs::write(clone.join("pave-fetched"), format!("{clean}\n")).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    let out = machine
        .new_repo("demo", &app, &["--catalog", with_token])
        .assert()
        .success()
        .get_output()
        .clone();
    let lock = lock_of(&app);
    assert!(lock.contains(&format!("catalog: git:{clean}\n")), "{lock}");
    for (what, text) in [
        ("lock", lock),
        ("stdout", String::from_utf8_lossy(&out.stdout).into_owned()),
        ("stderr", String::from_utf8_lossy(&out.stderr).into_owned()),
    ] {
        assert!(
            !text.contains("SECRET123"),
            "the token is in the {what}: {text}"
        );
    }
    for entry in walkdir::WalkDir::new(machine.data()) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("SECRET123"),
                "the token is in the local registry: {}",
                entry.path().display()
            );
        }
    }
    // The lock's URL, without the token, finds the same cached clone.
    machine
        .run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("1.0.0 is the newest"));
}

#[test]
fn catalogs_that_cannot_be_used_are_errors_that_say_what_to_do() {
    // An unknown name: nothing written.
    refused(
        "demo",
        &["--catalog", "nosuch"],
        &[
            "error: catalog `nosuch` is neither a name in [catalogs] of",
            "\n  [catalogs]\n  nosuch = \"",
        ],
    );
    // Malformed URLs.
    for (url, why) in [
        ("https://", "a https:// URL names a host"),
        (
            "git:https://example.com",
            "a https:// URL names a repository after the host",
        ),
        ("git@example.com", "an scp-like URL is git@<host>:<path>"),
    ] {
        refused(
            "demo",
            &["--catalog", url],
            &[&format!("error: catalog `{url}` is not a git URL: {why}")],
        );
    }
    // A name config.toml maps to a malformed URL: the file and line.
    let machine = Machine::new();
    machine.config("# catalogs\n[catalogs]\nplatform = \"https://\"\n");
    let (tmp, dir) = target();
    machine
        .new_repo("demo", &dir, &["--catalog", "platform"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "error: {}:3: catalogs.platform: `https://` is not a git URL",
            machine.config_path().display()
        )));
    assert!(is_absent_or_empty(tmp.path()));
    // A name config.toml cannot define.
    machine.config("[catalogs]\n\"my catalog\" = \"/srv/gp\"\n");
    machine
        .pave()
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "error: {}:2: catalogs.my catalog: `my catalog` cannot name a catalog",
            machine.config_path().display()
        )));

    // A lock whose catalog names no catalog: the lock's file and line, for every command.
    let (_tmp, app) = rust_service(&[]);
    record_catalog(&app, "svn:https://svn.example.com/gp");
    let before = snapshot(&app);
    let line = lock_of(&app)
        .lines()
        .position(|l| l.contains("catalog: svn:"))
        .unwrap()
        + 1;
    for command in ["check", "diff", "upgrade"] {
        pave()
            .args([command, "-C"])
            .arg(&app)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                ".pave/lock.yaml:{line}: golden_paths[0].catalog: `svn:https://svn.example.com/gp` is not a catalog"
            )))
            .stderr(predicate::str::contains(
                "hint: restore the lock from git, or write the catalog as `builtin`, `git:<URL>` or a name",
            ));
    }
    assert_eq!(snapshot(&app), before, "nothing was written");
}

#[test]
fn an_https_catalog_is_fetched_by_the_users_own_git() {
    let upstream = one(&["1.0.0"]);
    // Nothing listens there: only git's own configuration (here an insteadOf rule, in CI a
    // credential helper or GIT_ASKPASS) can reach it.
    let url = "https://127.0.0.1:9/platform/golden-paths.git";
    let with_git_config = |mut cmd: assert_cmd::Command| {
        cmd.env("GIT_CONFIG_COUNT", "1")
            .env(
                "GIT_CONFIG_KEY_0",
                format!("url.{}.insteadOf", upstream.url()),
            )
            .env("GIT_CONFIG_VALUE_0", url);
        cmd
    };
    let laptop = Machine::new();
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    with_git_config(laptop.new_repo("demo", &app, &[]))
        .env("PAVE_CATALOG", url)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "Cloned catalog git:{url}"
        )));
    assert!(lock_of(&app).contains(&format!("catalog: git:{url}\n")));

    upstream
        .golden_path("", "demo", "1.1.0")
        .release("demo/v1.1.0", true);
    let ci = Machine::new();
    with_git_config(ci.run("check", &app, &[]))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1.0.0 is 1 version(s) behind 1.1.0",
        ));

    // Where git cannot reach it: check goes on without lag, upgrade says what to check.
    let offline = Machine::new();
    offline
        .run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "the catalog git:{url} that demo came from is not reachable: no cached clone"
        )));
    let before = snapshot(&app);
    offline
        .run("upgrade", &app, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "error: the catalog git:{url} that demo came from is not reachable"
        )))
        .stderr(predicate::str::contains("GIT_ASKPASS"));
    assert_eq!(snapshot(&app), before, "nothing was written");
}

/// CI maps the lock's catalog name to the catalog's URL, on a machine that has never seen it:
/// the catalog is cloned, so check sees the version lag and upgrade works (found by a trial).
#[test]
fn a_name_mapped_to_a_url_is_cloned_on_a_fresh_machine() {
    let catalog = one(&["1.0.0"]);
    let laptop = Machine::new();
    laptop.name_catalog("platform", catalog.path());
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    laptop
        .new_repo("demo@1.0.0", &app, &["--catalog", "platform"])
        .assert()
        .success();
    assert!(lock_of(&app).contains("catalog: platform\n"));

    let ci = Machine::new();
    ci.config(&format!(
        "[catalogs]\nplatform = \"file://{}\"\n",
        catalog.path().display()
    ));
    ci.run("check", &app, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("version: 1.0.0 is the newest"))
        .stdout(predicate::str::contains("lag unknown").not());
    assert!(
        ci.cache().exists(),
        "the catalog was cloned into CI's cache"
    );
}

/// An audit on a machine that cannot find a repo's catalog judges the repo from its lock, as
/// check does: lag unknown, noted, never drift (found by a trial).
#[test]
fn an_audit_without_the_catalog_notes_the_unknown_lag_and_finds_no_drift() {
    let catalog = one(&["1.0.0"]);
    let laptop = Machine::new();
    laptop.name_catalog("platform", catalog.path());
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("fleet/app");
    laptop
        .new_repo("demo@1.0.0", &app, &["--catalog", "platform"])
        .assert()
        .success();
    let elsewhere = Machine::new();
    let out = elsewhere
        .pave()
        .args(["audit", "--format", "json"])
        .arg(tmp.path().join("fleet"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let repo = &report["repos"][0];
    assert_eq!(repo["status"], "conforming", "{repo}");
    assert_eq!(repo["lock_problems"], serde_json::json!([]), "{repo}");
    assert!(
        repo["notes"][0]
            .as_str()
            .unwrap()
            .ends_with("version lag unknown"),
        "{repo}"
    );
}
