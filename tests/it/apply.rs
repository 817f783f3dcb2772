//! `pave apply`: a golden path into an existing repo — conflicts, their modes, idempotence,
//! several components and golden paths, symlinks, dirty trees.

use crate::support::*;
use predicates::prelude::*;

/// What a repo without a git remote must be told (its organisation cannot come from `origin`).
const TEAM: [&str; 6] = [
    "--set",
    "team=payments",
    "--set",
    "service_name=payments-api",
    "--set",
    "organization=acme",
];

/// A repo with its own README and CI workflow, as most existing repos are.
fn existing_repo() -> tempfile::TempDir {
    git_repo(&[
        ("README.md", "# Payments\nOur own words.\n"),
        (".github/workflows/ci.yml", "name: ours\n"),
        ("src/lib.rs", "pub fn ours() {}\n"),
    ])
}

#[test]
fn unowned_existing_files_are_conflicts_and_nothing_is_written() {
    let repo = existing_repo();
    let before = tree(repo.path());
    pave_apply("rust-service", repo.path(), &TEAM)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "CONFLICT  .github/workflows/ci.yml",
        ))
        .stderr(predicate::str::contains("CONFLICT  README.md"))
        .stderr(predicate::str::contains("nothing was written"))
        .stderr(predicate::str::contains("--conflict=keep"));
    assert_eq!(tree(repo.path()), before, "the repo is as it was");
}

#[test]
fn conflict_keep_keeps_the_repos_files_and_records_them_as_diverged() {
    let repo = existing_repo();
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--conflict=keep"]].concat(),
    )
    .assert()
    .success();
    assert_eq!(
        std::fs::read_to_string(repo.path().join("README.md")).unwrap(),
        "# Payments\nOur own words.\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".github/workflows/ci.yml")).unwrap(),
        "name: ours\n"
    );
    assert!(repo.path().join("Dockerfile").exists());
    let lock = pave_model::lock::Lock::read(repo.path()).unwrap();
    let diverged: Vec<_> = lock.golden_paths[0]
        .files
        .iter()
        .filter(|f| f.diverged)
        .map(|f| f.path.to_string())
        .collect();
    assert_eq!(
        diverged,
        [".github/workflows/ci.yml", "README.md", "src/lib.rs"]
    );
    commit_all(repo.path(), "adopt");
    pave_check(repo.path(), &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 diverged"));
    // Kept by choice is not a difference to show, as check agrees; --all shows it.
    pave()
        .args(["diff", "-C"])
        .arg(repo.path())
        .assert()
        .success();
    pave()
        .args(["diff", "--all", "-C"])
        .arg(repo.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("README.md"));
}

#[test]
fn the_conflict_policy_can_be_given_per_file() {
    let repo = existing_repo();
    pave_apply(
        "rust-service",
        repo.path(),
        &[
            &TEAM[..],
            &["--conflict", ".github/**=write-new", "--conflict", "keep"],
        ]
        .concat(),
    )
    .assert()
    .success();
    // The first matching glob decides: the workflow gets pave's beside it, the rest are kept.
    assert!(
        repo.path()
            .join(".github/workflows/ci.yml.pave-new")
            .exists()
    );
    assert!(!repo.path().join("README.md.pave-new").exists());
    assert_eq!(
        std::fs::read_to_string(repo.path().join("README.md")).unwrap(),
        "# Payments\nOur own words.\n"
    );
    let lock = pave_model::lock::Lock::read(repo.path()).unwrap();
    let diverged: Vec<_> = lock.golden_paths[0]
        .files
        .iter()
        .filter(|f| f.diverged)
        .map(|f| f.path.to_string())
        .collect();
    assert_eq!(
        diverged,
        [".github/workflows/ci.yml", "README.md", "src/lib.rs"]
    );
}

#[test]
fn conflict_write_new_writes_the_render_beside_the_repos_file() {
    let repo = existing_repo();
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--conflict=write-new"]].concat(),
    )
    .assert()
    .success();
    assert_eq!(
        std::fs::read_to_string(repo.path().join("README.md")).unwrap(),
        "# Payments\nOur own words.\n"
    );
    let beside = std::fs::read_to_string(repo.path().join("README.md.pave-new")).unwrap();
    assert!(beside.starts_with("# payments-api"), "{beside}");
    assert!(
        repo.path()
            .join(".github/workflows/ci.yml.pave-new")
            .exists()
    );
}

#[test]
fn force_overwrites() {
    let repo = existing_repo();
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--force"]].concat(),
    )
    .assert()
    .success();
    assert!(
        std::fs::read_to_string(repo.path().join("README.md"))
            .unwrap()
            .starts_with("# payments-api")
    );
    commit_all(repo.path(), "adopt");
    pave_check(repo.path(), &[]).assert().success();
}

#[test]
fn second_apply_is_a_noop_and_asks_nothing() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    pave_apply("rust-service", repo.path(), &TEAM)
        .assert()
        .success();
    commit_all(repo.path(), "adopt");
    let before = tree(repo.path());
    // No --set: the answers come from the lock, and nothing changes.
    pave_apply("rust-service", repo.path(), &["--no-input"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Up to date"));
    assert_eq!(tree(repo.path()), before);
}

#[test]
fn more_components_later_join_the_same_lock_entry() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--only", "ci"]].concat(),
    )
    .assert()
    .success();
    commit_all(repo.path(), "ci");
    assert!(!repo.path().join("deploy").exists());
    pave_apply(
        "rust-service",
        repo.path(),
        &["--only", "deploy", "--no-input"],
    )
    .assert()
    .success();
    let lock = pave_model::lock::Lock::read(repo.path()).unwrap();
    assert_eq!(lock.golden_paths.len(), 1);
    assert_eq!(lock.golden_paths[0].components, ["ci", "deploy"]);
    assert!(
        lock.golden_paths[0]
            .files
            .iter()
            .any(|f| f.path.as_str() == ".github/workflows/ci.yml")
    );
    assert!(
        lock.golden_paths[0]
            .files
            .iter()
            .any(|f| f.path.as_str() == "deploy/base/kustomization.yaml")
    );
    commit_all(repo.path(), "deploy");
    pave_check(repo.path(), &[]).assert().success();
}

fn second_golden_path(file: &str) -> GoldenPathBuilder {
    GoldenPathBuilder::new(
        "apiVersion: pave.dev/v1\nname: docs-site\nversion: 0.1.0\ncomponents:\n  docs: {}\n",
    )
    .file(&format!("components/docs/{file}"), "docs\n")
}

#[test]
fn a_second_golden_path_adds_a_second_entry() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--only", "ci"]].concat(),
    )
    .assert()
    .success();
    commit_all(repo.path(), "ci");
    let gp = second_golden_path("docs/index.md");
    pave_apply(&gp.arg(), repo.path(), &[]).assert().success();
    let lock = pave_model::lock::Lock::read(repo.path()).unwrap();
    let names: Vec<_> = lock.golden_paths.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["rust-service", "docs-site"]);
    commit_all(repo.path(), "docs");
    pave_check(repo.path(), &[]).assert().success();
}

#[test]
fn two_golden_paths_claiming_one_file_is_an_error_naming_both() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--only", "ci"]].concat(),
    )
    .assert()
    .success();
    commit_all(repo.path(), "ci");
    let before = tree(repo.path());
    let gp = second_golden_path(".github/dependabot.yml");
    pave_apply(&gp.arg(), repo.path(), &["--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`.github/dependabot.yml` is claimed by both docs-site@0.1.0 and rust-service@1.3.0",
        ));
    assert_eq!(tree(repo.path()), before);
}

#[test]
fn never_writes_through_a_symlink_out_of_the_repo() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join(".github")).unwrap();
    commit_all(repo.path(), "link");
    let before = tree(repo.path());
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--force"]].concat(),
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains(
        ".github: refusing to write through a symbolic link; nothing was written",
    ));
    assert!(
        is_absent_or_empty(outside.path()),
        "nothing written outside the repo"
    );
    assert_eq!(tree(repo.path()), before);
}

#[test]
fn a_dirty_work_tree_is_refused_unless_allowed() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    std::fs::write(repo.path().join("NOTES.md"), "changed\n").unwrap();
    pave_apply("rust-service", repo.path(), &TEAM)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "has uncommitted changes (NOTES.md)",
        ))
        .stderr(predicate::str::contains("--allow-dirty"));
    assert!(!repo.path().join(".pave").exists());
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--allow-dirty"]].concat(),
    )
    .assert()
    .success();
}

#[test]
fn a_folder_without_git_is_allowed_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    pave_apply(
        "rust-service",
        dir.path(),
        &[&TEAM[..], &["--only", "ci"]].concat(),
    )
    .assert()
    .success()
    .stderr(
        predicate::str::contains("warning:")
            .and(predicate::str::contains("not in a git repository")),
    );
}

#[test]
fn dry_run_writes_nothing() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    let before = tree(repo.path());
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--dry-run"]].concat(),
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("create    Dockerfile"));
    assert_eq!(tree(repo.path()), before);
}

#[test]
fn a_managed_file_edited_locally_is_a_conflict_on_reapply_unless_forced() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    pave_apply("rust-service", repo.path(), &TEAM)
        .assert()
        .success();
    std::fs::write(repo.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(repo.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    commit_all(repo.path(), "edits");
    pave_apply("rust-service", repo.path(), &[])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("CONFLICT  Dockerfile"));
    pave_apply("rust-service", repo.path(), &["--force"])
        .assert()
        .success();
    assert_ne!(
        std::fs::read_to_string(repo.path().join("Dockerfile")).unwrap(),
        "FROM scratch\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/main.rs")).unwrap(),
        "fn main() {}\n",
        "seeded stays"
    );
}

#[test]
fn a_different_version_is_upgrades_job() {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    pave_apply(
        "rust-service",
        repo.path(),
        &[&TEAM[..], &["--only", "ci"]].concat(),
    )
    .assert()
    .success();
    commit_all(repo.path(), "ci");
    pave_apply("rust-service@^2", repo.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pave upgrade"));
}

/// The paths `.pave/lock.yaml` of the repo at `dir` records.
fn locked_paths(dir: &std::path::Path) -> Vec<String> {
    let lock = pave_model::lock::Lock::read(dir).unwrap();
    lock.golden_paths
        .iter()
        .flat_map(|e| e.files.iter().map(|f| f.path.to_string()))
        .collect()
}

#[test]
fn changing_an_answer_retires_the_files_it_no_longer_renders() {
    let (_tmp, dir) = rust_service(&[]);
    let rollout = "deploy/base/rollout.yaml";
    let analysis = "deploy/base/analysis-template.yaml";
    assert!(dir.join(rollout).is_file() && dir.join(analysis).is_file());
    // The repo's own edit of one of them (managed, so check would call it drift).
    std::fs::write(dir.join(rollout), "# tuned by us\n").unwrap();
    commit_all(&dir, "our rollout");

    let before = tree(&dir);
    pave_apply(
        "rust-service",
        &dir,
        &["--set", "canary=false", "--dry-run"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains(format!("delete    {analysis}")))
    .stderr(predicate::str::contains(format!("orphan    {rollout}")));
    assert_eq!(tree(&dir), before, "a dry run writes nothing");

    pave_apply("rust-service", &dir, &["--set", "canary=false"])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 deleted"))
        .stderr(predicate::str::contains(format!(
            "warning: {rollout} is no longer rendered by rust-service@1.3.0 but was edited locally"
        )));
    assert!(!dir.join(analysis).exists(), "unmodified: deleted");
    assert_eq!(
        std::fs::read_to_string(dir.join(rollout)).unwrap(),
        "# tuned by us\n",
        "edited: kept"
    );
    assert!(dir.join("deploy/base/deployment.yaml").is_file());
    let locked = locked_paths(&dir);
    assert!(
        !locked.iter().any(|p| p == rollout || p == analysis),
        "{locked:?}"
    );
    assert!(locked.iter().any(|p| p == "deploy/base/deployment.yaml"));

    // Every command that reads the lock agrees: the repo conforms, matches, and is up to date.
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("conforms"));
    pave().args(["diff", "-C"]).arg(&dir).assert().success();
    commit_all(&dir, "canary off");
    pave_apply("rust-service", &dir, &["--set", "canary=false"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Up to date"));
}

#[test]
fn an_edited_managed_file_is_a_conflict_whose_hint_fits_it() {
    let (_tmp, dir) = rust_service(&[]);
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    commit_all(&dir, "our Dockerfile");
    let out = pave_apply("rust-service", &dir, &["--conflict=keep"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let hint = stderr
        .lines()
        .find(|l| l.starts_with("hint:"))
        .unwrap_or_else(|| panic!("no hint: {stderr}"));
    assert!(
        hint.contains("managed files edited locally (Dockerfile)"),
        "{hint}"
    );
    assert!(
        !hint.contains("git restore"),
        "the edit is committed: {hint}"
    );
    assert!(hint.contains("--force"), "{hint}");
    assert!(
        !hint.contains("--conflict=keep"),
        "the mode just refused is not the way: {hint}"
    );
}

#[test]
fn changing_an_answer_with_only_re_renders_every_applied_component() {
    let (_tmp, dir) = rust_service(&[]);
    pave_apply(
        "rust-service",
        &dir,
        &["--only", "ci", "--set", "canary=false"],
    )
    .assert()
    .success();
    assert!(!dir.join("deploy/base/rollout.yaml").exists());
    assert!(dir.join("deploy/base/deployment.yaml").is_file());
    commit_all(&dir, "canary off");
    pave_check(&dir, &[]).assert().success();
    pave_apply("rust-service", &dir, &["--only", "ci"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Up to date"));
}
