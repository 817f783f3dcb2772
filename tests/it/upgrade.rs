//! `pave upgrade`: per-ownership upgrades with a real 3-way merge, migrations across versions,
//! release notes, and the refusals that keep a repo whole.

use std::path::{Path, PathBuf};

use crate::support::*;
use predicates::prelude::*;

const README_1: &str = "# {{ name }}\n\nline a\nline b\nline c\nline d\nline e\n";
const README_2: &str = "# {{ name }}\n\nline a\nline b\nline c\nline d\nline e (1.1)\n";

/// A directory catalog with `svc` 1.0.0, 1.1.0 and 1.2.0.
fn catalog() -> tempfile::TempDir {
    let cat = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = cat.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let files_rules = "files:\n  - {glob: \"README.md\", ownership: merged}\n  - {glob: \"**/guide.md\", ownership: merged}\n  - {glob: \"src/**\", ownership: seeded}\n";
    write(
        "svc/1.0.0/golden-path.yaml",
        &format!(
            "apiVersion: pave.dev/v1\nname: svc\nversion: 1.0.0\nrelease_notes: First release.\nparameters:\n  name: {{type: string, default: demo}}\ncomponents:\n  app: {{}}\n{files_rules}"
        ),
    );
    write("svc/1.0.0/components/app/README.md.jinja", README_1);
    write(
        "svc/1.0.0/components/app/config.yaml.jinja",
        "name: {{ name }}\nversion: 1\n",
    );
    write("svc/1.0.0/components/app/legacy.txt", "old stuff\n");
    write(
        "svc/1.0.0/components/app/docs/guide.md",
        "# Guide\n\nstep 1\nstep 2\nstep 3\nstep 4\n",
    );
    write("svc/1.0.0/components/app/src/main.rs", "fn main() {}\n");
    for (version, config, extra) in [
        (
            "1.1.0",
            "name: {{ name }}\nversion: 2\nport: {{ port }}\n",
            "  - rename: {from: docs/guide.md, to: handbook/guide.md}\n  - set_answer: {parameter: port, value: 9000}\n",
        ),
        (
            "1.2.0",
            "name: {{ name }}\nversion: 3\nport: {{ port }}\n",
            "",
        ),
    ] {
        let notes = format!("Release {version}: config version bump.");
        write(
            &format!("svc/{version}/golden-path.yaml"),
            &format!(
                "apiVersion: pave.dev/v1\nname: svc\nversion: {version}\nrelease_notes: \"{notes}\"\nparameters:\n  name: {{type: string, default: demo}}\n  port: {{type: integer, default: 8080}}\ncomponents:\n  app: {{}}\n{files_rules}{}",
                if extra.is_empty() {
                    String::new()
                } else {
                    format!("migrations:\n{extra}")
                }
            ),
        );
        write(
            &format!("svc/{version}/components/app/README.md.jinja"),
            README_2,
        );
        write(
            &format!("svc/{version}/components/app/config.yaml.jinja"),
            config,
        );
        write(
            &format!("svc/{version}/components/app/new.yaml"),
            "added: true\n",
        );
        write(
            &format!("svc/{version}/components/app/handbook/guide.md"),
            "# Guide\n\nstep 1\nstep 2\nstep 3\nstep 4 (1.1)\n",
        );
        write(
            &format!("svc/{version}/components/app/src/main.rs"),
            "fn main() { println!(\"new\"); }\n",
        );
    }
    cat
}

/// A repo on svc@1.0.0 from `cat`, committed.
fn repo_on_1_0(cat: &Path) -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = target();
    pave()
        .arg("--catalog")
        .arg(cat)
        .args(["new", "svc@1.0.0"])
        .arg(&dir)
        .assert()
        .success();
    (tmp, dir)
}

fn upgrade(dir: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = pave();
    cmd.args(["upgrade", "-C"]).arg(dir).args(args);
    cmd
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

#[test]
fn without_local_edits_the_result_equals_a_fresh_render() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    upgrade(&dir, &["--to", "1.1.0"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Release notes of svc@1.1.0:\n  Release 1.1.0: config version bump.",
        ))
        .stderr(
            predicate::str::contains("move      handbook/guide.md")
                .and(predicate::str::contains("(from docs/guide.md)")),
        )
        .stderr(predicate::str::contains("delete    legacy.txt"));
    let (_tmp2, fresh) = target();
    pave()
        .arg("--catalog")
        .arg(cat.path())
        .args(["new", "svc@1.1.0", "--set", "port=9000", "--no-git"])
        .arg(&fresh)
        .assert()
        .success();
    let mut upgraded = tree(&dir);
    let mut expected = tree(&fresh);
    // Seeded files are the repo's own: the upgraded repo keeps 1.0.0's src/main.rs.
    assert_eq!(upgraded.remove("src/main.rs").unwrap(), b"fn main() {}\n");
    expected.remove("src/main.rs");
    let lock_up = pave_model::lock::Lock::parse(
        &String::from_utf8(upgraded.remove(".pave/lock.yaml").unwrap()).unwrap(),
    )
    .unwrap();
    let lock_fresh = pave_model::lock::Lock::parse(
        &String::from_utf8(expected.remove(".pave/lock.yaml").unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(upgraded, expected);
    let (mut a, mut b) = (
        lock_up.golden_paths[0].clone(),
        lock_fresh.golden_paths[0].clone(),
    );
    a.catalog.clear();
    b.catalog.clear();
    assert_eq!(a, b, "the lock records what a fresh render would");
    assert_eq!(lock_up.golden_paths[0].version.to_string(), "1.1.0");
    pave_check(&dir, &[]).assert().success();
}

#[test]
fn a_non_overlapping_edit_of_a_merged_file_keeps_both_changes() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    merge_an_edit_far_from_1_1(&dir);
    assert_eq!(
        read(&dir, "README.md"),
        "# demo\n\nline a (ours)\nline b\nline c\nline d\nline e (1.1)\n"
    );
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "edited (merged: allowed)       README.md",
        ));
}

#[test]
fn an_overlapping_edit_gets_conflict_markers_and_exit_one_with_the_rest_done() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    std::fs::write(
        dir.join("README.md"),
        read(&dir, "README.md").replace("line e", "line e (ours)"),
    )
    .unwrap();
    commit_all(&dir, "our readme");
    upgrade(&dir, &["--to", "1.1.0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("CONFLICT  README.md"))
        .stderr(predicate::str::contains("1 file(s) have conflicting edits"));
    assert_eq!(
        read(&dir, "README.md"),
        "# demo\n\nline a\nline b\nline c\nline d\n<<<<<<< ours\nline e (ours)\n=======\nline e (1.1)\n>>>>>>> theirs\n"
    );
    // Everything else of the upgrade is complete and consistent.
    assert_eq!(
        read(&dir, "config.yaml"),
        "name: demo\nversion: 2\nport: 9000\n"
    );
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    assert_eq!(lock.golden_paths[0].version.to_string(), "1.1.0");
}

#[test]
fn an_edited_managed_file_refuses_the_upgrade_with_the_diff() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    std::fs::write(
        dir.join("config.yaml"),
        "name: demo\nversion: 1\nours: true\n",
    )
    .unwrap();
    commit_all(&dir, "edit managed");
    let before = tree(&dir);
    upgrade(&dir, &[])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("REFUSED   config.yaml"))
        .stderr(predicate::str::contains("+ours: true"))
        .stderr(predicate::str::contains("nothing was written"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(tree(&dir), before);
    upgrade(&dir, &["--force"]).assert().success();
    assert_eq!(
        read(&dir, "config.yaml"),
        "name: demo\nversion: 3\nport: 9000\n"
    );
}

#[test]
fn a_rename_migration_moves_the_edited_file_first_so_its_edits_survive() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    std::fs::write(
        dir.join("docs/guide.md"),
        read(&dir, "docs/guide.md").replace("step 1", "step 1 (ours)"),
    )
    .unwrap();
    commit_all(&dir, "our guide");
    upgrade(&dir, &["--to", "1.1.0"]).assert().success();
    assert!(!dir.join("docs/guide.md").exists());
    assert_eq!(
        read(&dir, "handbook/guide.md"),
        "# Guide\n\nstep 1 (ours)\nstep 2\nstep 3\nstep 4 (1.1)\n"
    );
}

#[test]
fn a_removed_file_that_was_edited_is_kept_and_reported() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    std::fs::write(dir.join("legacy.txt"), "still needed\n").unwrap();
    commit_all(&dir, "keep legacy");
    upgrade(&dir, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "legacy.txt is no longer part of svc; kept",
        ));
    assert_eq!(read(&dir, "legacy.txt"), "still needed\n");
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    assert!(
        !lock.golden_paths[0]
            .files
            .iter()
            .any(|f| f.path.as_str() == "legacy.txt")
    );
}

#[test]
fn skipping_a_version_runs_every_migration_and_prints_every_release_note() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    upgrade(&dir, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains("Release notes of svc@1.1.0"))
        .stderr(predicate::str::contains("Release notes of svc@1.2.0"))
        .stderr(predicate::str::contains("svc 1.0.0 -> 1.2.0"));
    assert_eq!(
        read(&dir, "config.yaml"),
        "name: demo\nversion: 3\nport: 9000\n",
        "1.1.0's set_answer applied"
    );
    assert!(
        dir.join("handbook/guide.md").exists(),
        "1.1.0's rename applied"
    );
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    assert_eq!(
        lock.golden_paths[0].answers.get("port"),
        Some(&pave_model::parameter::Value::Integer(9000))
    );
}

#[test]
fn the_same_version_is_a_noop() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    let before = tree(&dir);
    upgrade(&dir, &["--to", "1.0.0"])
        .assert()
        .success()
        .stderr(predicate::str::contains("already at that version"));
    assert_eq!(tree(&dir), before);
}

#[test]
fn dry_run_writes_nothing() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    dry_run_plans_and_writes_nothing(&dir);
}

/// `upgrade --dry-run` prints the plan to 1.2.0 and leaves the repo as it was.
fn dry_run_plans_and_writes_nothing(dir: &Path) {
    let before = tree(dir);
    upgrade(dir, &["--dry-run"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Plan: svc@1.0.0 -> 1.2.0"));
    assert_eq!(tree(dir), before);
}

#[test]
fn an_unknown_version_is_an_error() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    upgrade(&dir, &["--to", "9.0.0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no version of `svc` matches `svc@9.0.0`",
        ));
}

#[test]
fn a_dirty_tree_is_refused() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    std::fs::write(dir.join("scratch.txt"), "wip\n").unwrap();
    upgrade(&dir, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "uncommitted changes (scratch.txt)",
        ));
    // A dry run writes nothing, so it may look at a dirty tree, and says the real run will not.
    upgrade(&dir, &["--dry-run"]).assert().success().stderr(
        predicate::str::contains("uncommitted changes (scratch.txt): this dry run goes on, but the real run will refuse them"),
    );
    dry_run_plans_and_writes_nothing(&dir);
}

#[test]
fn an_unreachable_catalog_is_an_error() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    drop(cat);
    upgrade(&dir, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a folder that is not on this machine",
        ))
        .stderr(predicate::str::contains("hint: set PAVE_CATALOG"));
}

#[test]
fn the_builtin_rust_service_upgrades_out_of_the_box() {
    let (_tmp, dir) = target();
    pave_new("rust-service@1.0.0", &dir, &["--set", "team=payments"])
        .assert()
        .success();
    // Two local edits: a merged file and a seeded one (the runbook 1.1.0 moves to docs/).
    let readme = dir.join("README.md");
    std::fs::write(
        &readme,
        read(&dir, "README.md") + "\n## On call\n\n#payments-oncall\n",
    )
    .unwrap();
    let runbook = dir.join("observability/runbook.md");
    std::fs::write(
        &runbook,
        read(&dir, "observability/runbook.md") + "\nOur own step.\n",
    )
    .unwrap();
    commit_all(&dir, "local edits");
    upgrade(&dir, &["--to", "1.1.0"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Release notes of rust-service@1.1.0",
        ))
        .stderr(predicate::str::contains("create    deny.toml"));
    assert!(read(&dir, "README.md").ends_with("## On call\n\n#payments-oncall\n"));
    assert!(read(&dir, "docs/runbook.md").ends_with("Our own step.\n"));
    assert!(!runbook.exists());
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    assert_eq!(
        lock.golden_paths[0].answers.get("latency_objective_ms"),
        Some(&pave_model::parameter::Value::Integer(500))
    );
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("rust-service@1.1.0: conforms"));
}

/// 1.2.0 wires the quality gates into CI: a repo made at 1.1.0 (either CI provider) upgrades
/// cleanly to what a fresh 1.2.0 render would be, keeping its edit of the merged README.
#[test]
fn the_builtin_rust_service_upgrades_from_1_1_to_1_2_with_the_gates_in_ci() {
    for (provider, ci_file) in [
        ("github", ".github/workflows/ci.yml"),
        ("gitlab", ".gitlab-ci.yml"),
    ] {
        let answers = [
            "--set",
            "team=payments",
            "--set",
            &format!("ci_provider={provider}"),
        ];
        let (_tmp, dir) = target();
        pave_new("rust-service@1.1.0", &dir, &answers)
            .assert()
            .success();
        let on_call = "\n## On call\n\n#payments-oncall\n";
        std::fs::write(dir.join("README.md"), read(&dir, "README.md") + on_call).unwrap();
        commit_all(&dir, "local edits");
        upgrade(&dir, &["--to", "1.2.0"])
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "Release notes of rust-service@1.2.0:\n  rust-service 1.2.0: the quality gates run in CI",
            ))
            .stderr(predicate::str::contains("What your team must do"))
            .stderr(predicate::str::contains("Plan: rust-service@1.1.0 -> 1.2.0"))
            .stderr(predicate::str::contains(format!("replace   {ci_file}")))
            .stderr(predicate::str::contains("replace   .pave/gates.yaml"))
            .stderr(predicate::str::contains("create    scripts/ci/install-pave.sh"))
            .stderr(predicate::str::contains("merge     README.md"))
            .stderr(predicate::str::contains("0 conflict(s)"));

        let (_tmp2, fresh) = target();
        pave_new("rust-service@1.2.0", &fresh, &answers)
            .arg("--no-git")
            .assert()
            .success();
        let mut upgraded = tree(&dir);
        let mut expected = tree(&fresh);
        assert_eq!(
            String::from_utf8(upgraded.remove("README.md").unwrap()).unwrap(),
            String::from_utf8(expected.remove("README.md").unwrap()).unwrap() + on_call,
            "{provider}: the README merges 1.2.0's changes with the repo's edit"
        );
        let lock_up = upgraded.remove(".pave/lock.yaml").unwrap();
        let lock_fresh = expected.remove(".pave/lock.yaml").unwrap();
        assert_eq!(
            upgraded.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{provider}: the same files as a fresh render"
        );
        for (path, bytes) in &expected {
            assert!(upgraded[path] == *bytes, "{provider}: {path} differs");
        }
        let ci = read(&dir, ci_file);
        assert!(ci.contains("pave gate all --coverage lcov.info"), "{ci}");
        assert!(ci.contains("scripts/ci/install-pave.sh"), "{ci}");
        assert!(dir.join("scripts/ci/install-pave.sh").is_file());
        let (lock_up, lock_fresh) = (
            pave_model::lock::Lock::parse(&String::from_utf8(lock_up).unwrap()).unwrap(),
            pave_model::lock::Lock::parse(&String::from_utf8(lock_fresh).unwrap()).unwrap(),
        );
        let (mut a, mut b) = (
            lock_up.golden_paths[0].clone(),
            lock_fresh.golden_paths[0].clone(),
        );
        // README.md is merged: its record differs by the repo's edit; every other file's is the
        // fresh render's.
        a.files.retain(|f| f.path.as_str() != "README.md");
        b.files.retain(|f| f.path.as_str() != "README.md");
        assert_eq!(
            a, b,
            "{provider}: the lock records what a fresh render would"
        );
        pave_check(&dir, &[])
            .assert()
            .success()
            .stdout(predicate::str::contains("rust-service@1.2.0: conforms"));
    }
}

/// 1.3.0 takes `organization` from the git remote instead of defaulting to `acme`: a repo made
/// at 1.2.0 (which recorded the answer, here its old default) keeps that answer on the upgrade,
/// even when its remote names another owner, and ends as a fresh 1.3.0 render with that answer
/// would (either CI provider), keeping its edit of the merged README.
#[test]
fn the_builtin_rust_service_upgrades_from_1_2_to_1_3_keeping_the_recorded_organization() {
    for (provider, codeowners) in [
        ("github", ".github/CODEOWNERS"),
        ("gitlab", ".gitlab/CODEOWNERS"),
    ] {
        let answers = [
            "--set",
            "team=payments",
            "--set",
            &format!("ci_provider={provider}"),
        ];
        let (_tmp, dir) = target();
        pave_new(
            "rust-service@1.2.0",
            &dir,
            &[&answers[..], &["--no-input"]].concat(),
        )
        .assert()
        .success();
        let recorded = pave_model::lock::Lock::read(&dir).unwrap();
        assert_eq!(
            recorded.golden_paths[0].answers.get("organization"),
            Some(&pave_model::parameter::Value::String("acme".into())),
            "1.2.0 is as released: its default is acme"
        );
        git2::Repository::open(&dir)
            .unwrap()
            .remote("origin", "git@github.com:octo-org/payments-api.git")
            .unwrap();
        let on_call = "\n## On call\n\n#payments-oncall\n";
        std::fs::write(dir.join("README.md"), read(&dir, "README.md") + on_call).unwrap();
        commit_all(&dir, "local edits");
        upgrade(&dir, &["--no-input"])
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "Release notes of rust-service@1.3.0:\n  rust-service 1.3.0: no silent organisation.",
            ))
            .stderr(predicate::str::contains("Plan: rust-service@1.2.0 -> 1.3.0"))
            .stderr(predicate::str::contains("merge     README.md"))
            .stderr(predicate::str::contains("0 conflict(s)"));

        let (_tmp2, fresh) = target();
        pave_new(
            "rust-service@1.3.0",
            &fresh,
            &[&answers[..], &["--set", "organization=acme", "--no-git"]].concat(),
        )
        .assert()
        .success();
        let mut upgraded = tree(&dir);
        let mut expected = tree(&fresh);
        assert_eq!(
            String::from_utf8(upgraded.remove("README.md").unwrap()).unwrap(),
            String::from_utf8(expected.remove("README.md").unwrap()).unwrap() + on_call,
            "{provider}: the README merges 1.3.0's changes with the repo's edit"
        );
        let lock_up = upgraded.remove(".pave/lock.yaml").unwrap();
        let lock_fresh = expected.remove(".pave/lock.yaml").unwrap();
        assert_eq!(
            upgraded.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{provider}: the same files as a fresh render"
        );
        for (path, bytes) in &expected {
            assert!(upgraded[path] == *bytes, "{provider}: {path} differs");
        }
        assert!(
            read(&dir, codeowners).contains("@acme/payments"),
            "{provider}: the recorded answer, not the remote's octo-org"
        );
        let (lock_up, lock_fresh) = (
            pave_model::lock::Lock::parse(&String::from_utf8(lock_up).unwrap()).unwrap(),
            pave_model::lock::Lock::parse(&String::from_utf8(lock_fresh).unwrap()).unwrap(),
        );
        let (mut a, mut b) = (
            lock_up.golden_paths[0].clone(),
            lock_fresh.golden_paths[0].clone(),
        );
        a.files.retain(|f| f.path.as_str() != "README.md");
        b.files.retain(|f| f.path.as_str() != "README.md");
        assert_eq!(
            a, b,
            "{provider}: the lock records what a fresh render would"
        );
        commit_all(&dir, "upgrade");
        pave_check(&dir, &[])
            .assert()
            .success()
            .stdout(predicate::str::contains("rust-service@1.3.0: conforms"));
    }
}

#[test]
fn diff_to_shows_what_the_upgrade_would_write() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    let mut cmd = pave();
    cmd.args(["diff", "-C"]).arg(&dir).args(["--to", "1.1.0"]);
    cmd.assert()
        .code(1)
        .stdout(predicate::str::contains(
            "diff config.yaml svc@1.0.0 -> 1.1.0 (replace)",
        ))
        .stdout(predicate::str::contains(
            "-version: 1\n+version: 2\n+port: 9000\n",
        ))
        .stdout(predicate::str::contains(
            "diff legacy.txt svc@1.0.0 -> 1.1.0 (delete)",
        ));
    let before = tree(&dir);
    assert_eq!(tree(&dir), before, "diff writes nothing");
}

#[test]
fn a_delete_migration_removes_an_unmodified_seeded_file_and_keeps_an_edited_one() {
    let cat = catalog();
    // 1.1.0 also drops src/main.rs (seeded) and says so with a delete migration.
    let manifest = cat.path().join("svc/1.1.0/golden-path.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "migrations:\n",
        "migrations:\n  - delete: {path: src/main.rs}\n",
    );
    std::fs::write(&manifest, text).unwrap();
    std::fs::remove_file(cat.path().join("svc/1.1.0/components/app/src/main.rs")).unwrap();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    upgrade(&dir, &["--to", "1.1.0"])
        .assert()
        .success()
        .stderr(predicate::str::contains("delete    src/main.rs"));
    assert!(!dir.join("src/main.rs").exists());

    let (_tmp2, edited) = repo_on_1_0(cat.path());
    std::fs::write(edited.join("src/main.rs"), "fn main() { ours(); }\n").unwrap();
    commit_all(&edited, "our main");
    upgrade(&edited, &["--to", "1.1.0"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "src/main.rs is no longer part of svc; kept",
        ));
    assert_eq!(read(&edited, "src/main.rs"), "fn main() { ours(); }\n");
}

#[test]
fn a_file_the_new_version_adds_where_the_repo_has_its_own_is_not_overwritten() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    std::fs::write(dir.join("new.yaml"), "mine: true\n").unwrap();
    commit_all(&dir, "our own new.yaml");
    let before = tree(&dir);
    upgrade(&dir, &["--to", "1.1.0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("EXISTS"))
        .stderr(predicate::str::contains(
            "1.1.0 adds 1 file(s) the repo already has as its own; upgrading would overwrite them, so nothing was written: new.yaml",
        ))
        .stderr(predicate::str::contains("hint: move or rename them"));
    assert_eq!(tree(&dir), before, "nothing was written");
    upgrade(&dir, &["--to", "1.1.0", "--force"])
        .assert()
        .success();
    assert_eq!(read(&dir, "new.yaml"), "added: true\n");
}

#[test]
fn a_folder_where_the_new_version_adds_a_file_is_refused_even_when_forced() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    std::fs::create_dir(dir.join("new.yaml")).unwrap();
    std::fs::write(dir.join("new.yaml/keep.txt"), "ours\n").unwrap();
    commit_all(&dir, "a folder named new.yaml");
    let before = tree(&dir);
    for args in [
        &["--to", "1.1.0", "--dry-run"][..],
        &["--to", "1.1.0", "--force"],
    ] {
        upgrade(&dir, args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("EXISTS"))
            .stderr(predicate::str::contains("a folder or link there must move"));
    }
    assert_eq!(tree(&dir), before, "nothing was written");
}

#[test]
fn a_committed_conflict_fails_check_gate_and_audit_until_resolved() {
    let cat = catalog();
    let (tmp, dir) = repo_on_1_0(cat.path());
    std::fs::write(
        dir.join("README.md"),
        read(&dir, "README.md").replace("line e", "line e (ours)"),
    )
    .unwrap();
    commit_all(&dir, "our readme");
    upgrade(&dir, &["--to", "1.1.0"]).assert().code(1);
    // The person commits the upgrade without resolving the markers.
    commit_all(&dir, "upgrade to 1.1.0");
    let catalog_arg = cat.path().to_str().unwrap();
    pave_check(&dir, &["--catalog", catalog_arg])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("svc@1.1.0: DRIFTED"))
        .stdout(predicate::str::contains("1 conflicted (unresolved merge)"))
        .stdout(predicate::str::contains(
            "conflicted (unresolved merge)  README.md",
        ))
        .stdout(predicate::str::contains("resolve the conflict markers"))
        .stdout(predicate::str::contains("--force").not());
    let sarif = pave_check(&dir, &["--catalog", catalog_arg, "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "pave/conflicted"),
        "{results:?}"
    );
    pave()
        .args(["gate", "conformance", "--base", "HEAD", "--repo"])
        .arg(&dir)
        .args(["--catalog", catalog_arg])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("0 deleted, 1 conflicted"))
        .stdout(predicate::str::contains(
            "README.md is merged with svc@1.1.0 and still holds the conflict markers",
        ));
    let audit = audit_offline(tmp.path());
    let repo = &audit["repos"][0];
    assert_eq!(repo["status"], "drifted", "{repo}");
    assert_eq!(repo["conflicted_files"], serde_json::json!(["README.md"]));
    // The upgrade to 1.1.0 is not finished while they are there.
    upgrade(&dir, &["--to", "1.1.0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the upgrade to 1.1.0 is not finished: 1 merged file(s) still hold its conflict markers: README.md",
        ));
    // Upgrading again would merge over the markers: refused until they are resolved.
    let before = tree(&dir);
    upgrade(&dir, &["--to", "1.2.0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("UNRESOLVED"))
        .stderr(predicate::str::contains(
            "1 merged file(s) still hold the conflict markers of an earlier upgrade",
        ))
        .stderr(predicate::str::contains(
            "hint: resolve the conflict markers",
        ));
    assert_eq!(tree(&dir), before, "nothing was written");

    // Resolved: the merged file is an allowed edit again.
    std::fs::write(
        dir.join("README.md"),
        "# demo\n\nline a\nline b\nline c\nline d\nline e (ours, and 1.1)\n",
    )
    .unwrap();
    pave_check(&dir, &["--catalog", catalog_arg])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"edited \(merged: allowed\)\s+README\.md").unwrap());
}

#[test]
fn a_crlf_checkout_merges_line_by_line_and_keeps_its_line_endings() {
    let cat = catalog();
    let (_tmp, dir) = repo_on_1_0(cat.path());
    check_out_with_crlf(&dir);
    assert!(read(&dir, "README.md").contains("\r\n"));
    // A local edit far from what 1.1 changes, in the checkout's own line endings.
    merge_an_edit_far_from_1_1(&dir);
    assert_eq!(
        read(&dir, "README.md"),
        "# demo\r\n\r\nline a (ours)\r\nline b\r\nline c\r\nline d\r\nline e (1.1)\r\n"
    );
    assert_eq!(
        read(&dir, "config.yaml"),
        "name: demo\r\nversion: 2\r\nport: 9000\r\n"
    );
    let catalog_arg = cat.path().to_str().unwrap();
    pave_check(&dir, &["--catalog", catalog_arg])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 drifted"));
}

/// Edits README.md's first line (far from what 1.1 changes), commits, and upgrades to 1.1.0,
/// which merges the file cleanly.
fn merge_an_edit_far_from_1_1(dir: &Path) {
    std::fs::write(
        dir.join("README.md"),
        read(dir, "README.md").replace("line a", "line a (ours)"),
    )
    .unwrap();
    commit_all(dir, "our readme");
    upgrade(dir, &["--to", "1.1.0"])
        .assert()
        .success()
        .stderr(predicate::str::contains("merge     README.md"));
}

#[test]
fn an_exception_is_carried_across_an_upgrade_by_a_three_way_merge() {
    let cat = catalog();
    let catalog_arg = cat.path().to_str().unwrap().to_owned();
    let (tmp, dir) = repo_on_1_0(cat.path());
    // config.yaml is managed: tailored at the top, recorded as an exception.
    std::fs::write(
        dir.join("config.yaml"),
        format!("# tailored\n{}", read(&dir, "config.yaml")),
    )
    .unwrap();
    pave()
        .args([
            "except",
            "config.yaml",
            "--reason",
            "ops needs the header",
            "-C",
        ])
        .arg(&dir)
        .args(["--catalog", &catalog_arg])
        .assert()
        .success();
    commit_all(&dir, "tailor config");
    // What the upgrade would write keeps the tailoring (a merge, not a replace).
    pave()
        .args(["diff", "--to", "1.1.0", "-C"])
        .arg(&dir)
        .args(["--catalog", &catalog_arg])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("+port: 9000"))
        .stdout(predicate::str::contains("-# tailored").not());
    // --force drops unreviewed edits, never a recorded exception.
    upgrade(&dir, &["--to", "1.1.0", "--force"])
        .assert()
        .success();
    // Both changes: the tailoring and 1.1.0's.
    assert_eq!(
        read(&dir, "config.yaml"),
        "# tailored\nname: demo\nversion: 2\nport: 9000\n"
    );
    pave_check(&dir, &["--catalog", &catalog_arg])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "svc@1.1.0: conforms with exceptions",
        ))
        .stdout(predicate::str::contains(
            "config.yaml (+1 -0): ops needs the header",
        ));
    commit_all(&dir, "upgrade to 1.1.0");

    // An overlapping change conflicts: markers, exit 1, and the file fails check until resolved.
    std::fs::write(
        dir.join("config.yaml"),
        "# tailored\nname: demo\nversion: 20\nport: 9000\n",
    )
    .unwrap();
    pave()
        .args(["except", "config.yaml", "-C"])
        .arg(&dir)
        .args(["--catalog", &catalog_arg])
        .assert()
        .success();
    commit_all(&dir, "tailor the version too");
    upgrade(&dir, &["--to", "1.2.0"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "for excepted files record the resolution with `pave except config.yaml`",
        ));
    assert!(read(&dir, "config.yaml").contains("<<<<<<<"));
    commit_all(&dir, "upgrade to 1.2.0, unresolved");
    pave_check(&dir, &["--catalog", &catalog_arg])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("conflicted (unresolved merge)  config.yaml"))
        .stdout(predicate::str::contains(
            "once reviewed (and any conflict markers resolved), `pave except config.yaml` records the change",
        ));
    // An unresolved merge is not the recorded exception: diff shows it.
    pave()
        .args(["diff", "--stat", "-C"])
        .arg(&dir)
        .args(["--catalog", &catalog_arg])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("config.yaml"));
    assert_eq!(audit_offline(tmp.path())["repos"][0]["status"], "drifted");
    // Resolved by hand: drift until the resolution is recorded (reviewed) as the exception.
    std::fs::write(
        dir.join("config.yaml"),
        "# tailored\nname: demo\nversion: 30\nport: 9000\n",
    )
    .unwrap();
    pave_check(&dir, &["--catalog", &catalog_arg])
        .assert()
        .code(1);
    pave()
        .args(["except", "config.yaml", "-C"])
        .arg(&dir)
        .args(["--catalog", &catalog_arg])
        .assert()
        .success();
    pave_check(&dir, &["--catalog", &catalog_arg])
        .assert()
        .success()
        .stdout(predicate::str::contains("ops needs the header"));
}
