//! Errors a person meets say what went wrong and what to do next (`hint:`), exit 2 and write
//! nothing; a report cut short by a failing standard output is an error, a closed pipe is not.

use std::io::Read as _;
use std::path::Path;
use std::process::Stdio;

use predicates::prelude::*;

use crate::support::*;

/// Asserts that a command exits 2 with nothing on stdout and each of `expected` on stderr.
trait FailsWith {
    fn fails_with(&mut self, expected: &[&str]);
}

impl FailsWith for assert_cmd::Command {
    fn fails_with(&mut self, expected: &[&str]) {
        let mut assert = self.assert().code(2).stdout("");
        for text in expected {
            assert = assert.stderr(predicate::str::contains(*text));
        }
    }
}

#[test]
fn a_full_disk_on_stdout_is_an_error() {
    for args in [
        &["schema", "lock"][..],
        &["--help"],
        &["--version"],
        &["new", "--help"],
    ] {
        let out = pave_std()
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: cannot write to standard output"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hint: "), "{args:?}: {stderr}");
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `pave completions bash | head -1`: the reader closes the pipe before pave is done.
    let mut child = pave_std()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here; the rest of pave's output meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_set_without_a_value_is_refused_with_its_form() {
    refused(
        "rust-service",
        &["--set", "team"],
        &[
            "error: `--set team` needs the form name=value",
            "hint: --set takes name=value, e.g. --set team=payments",
        ],
    );
}

#[test]
fn a_target_that_cannot_be_written_is_reported_as_a_write() {
    // /proc refuses new folders even to root: the staging folder cannot be made.
    pave_new(
        "rust-service",
        "/proc/pave-new-target".as_ref(),
        &RUST_SERVICE_ANSWERS,
    )
    .fails_with(&[
        "error: cannot write /proc",
        "nothing was written",
        "hint: check that the target's parent folder is writable",
    ]);
}

#[test]
fn an_output_without_a_format_says_how_they_pair() {
    let (_tmp, dir) = rust_service(&[]);
    pave_check(&dir, &["--output", "report.md"]).fails_with(&[
        "error: --output report.md comes before any --format",
        "hint: each --output belongs to the --format just before it",
    ]);
    assert!(!dir.join("report.md").exists());
}

#[test]
fn an_upgrade_of_a_golden_path_the_repo_lacks_names_those_it_has() {
    let (_tmp, dir) = rust_service(&[]);
    pave()
        .args(["upgrade", "node-service", "-C"])
        .arg(&dir)
        .fails_with(&[
            "error: this repo has no golden path `node-service`; it has: rust-service",
            "hint: name one of the golden paths",
        ]);
}

#[test]
fn an_audit_of_a_file_says_it_wants_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("repos.txt");
    std::fs::write(&file, "x\n").unwrap();
    pave()
        .arg("audit")
        .arg(&file)
        .fails_with(&["is not a folder", "hint: give folders that hold repos"]);
}

#[test]
fn stats_with_recording_off_says_how_to_turn_it_on() {
    pave()
        .args(["stats"])
        .env("PAVE_REGISTRY_URL", "off")
        .fails_with(&["recording is off", "hint: unset PAVE_REGISTRY_URL"]);
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    pave()
        .arg("audit")
        .arg(tmp.path())
        .args(["--shard", "3/2"])
        .fails_with(&["invalid value '3/2' for '--shard <I/N>': a shard is i/n with 1 <= i <= n"]);
}

#[test]
fn an_audit_of_nothing_says_what_to_give() {
    pave().arg("audit").fails_with(&[
        "error: pave audit needs repos: give folders to search for them, or --repos-file FILE",
        "hint: e.g. `pave audit ~/src`",
    ]);
}

/// `pave registry token create --name ci` on a new SQLite registry, its stdout going to `stdout`.
fn token_create_with_stdout(
    stdout: impl Into<Stdio>,
) -> (tempfile::TempDir, std::path::PathBuf, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("registry.db");
    let out = pave_std()
        .args([
            "registry", "token", "create", "--name", "ci", "--scope", "write",
        ])
        .arg("--database")
        .arg(&database)
        .stdout(stdout)
        .output()
        .unwrap();
    (dir, database, out)
}

#[test]
fn a_token_whose_secret_cannot_be_shown_is_revoked() {
    let (_dir, database, out) =
        token_create_with_stdout(std::fs::File::create("/dev/full").unwrap());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the token was revoked"), "{stderr}");
    assert!(
        stderr.contains("hint: run `pave registry token create` again"),
        "{stderr}"
    );
    let listed = pave()
        .args(["registry", "token", "list", "--database"])
        .arg(&database)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    let line = listed
        .lines()
        .find(|line| line.split('\t').nth(1) == Some("ci"))
        .unwrap_or_else(|| panic!("no token ci in {listed}"));
    let revoked_at = line.rsplit('\t').next().unwrap();
    assert_ne!(revoked_at, "-", "{listed}");
}

#[test]
fn a_golden_path_the_catalog_lacks_is_said_of_the_lock() {
    let (_tmp, dir) = rust_service(&[]);
    set_locked_version(&dir, "1.1.5");
    for args in [&["check"][..], &["diff"], &["upgrade", "--allow-dirty"]] {
        pave()
            .args(args)
            .arg("-C")
            .arg(&dir)
            .fails_with(&["no version of `rust-service` matches `rust-service@1.1.5` in the builtin catalog; it has: 1.0.0, 1.1.0, 1.2.0, 1.3.0; the repo's .pave/lock.yaml records rust-service@1.1.5 from `builtin`", "hint: point --catalog at the catalog the repo was made from (the lock says `builtin`)"]);
    }
}

#[test]
fn a_target_version_that_is_not_one_names_to() {
    let (_tmp, dir) = rust_service(&[]);
    pave()
        .args(["diff", "--to", "abc", "-C"])
        .arg(&dir)
        .fails_with(&[
            "error: --to abc: `abc` is not a version",
            "hint: --to takes a version (`--to 1.3.0`) or a requirement (`--to ^1.3`)",
        ]);
}

#[test]
fn applying_another_version_says_apply_keeps_the_version() {
    let (_tmp, dir) = rust_service(&[]);
    pave()
        .args(["apply", "rust-service@1.0.0", "-C"])
        .arg(&dir)
        .fails_with(&["error: this repo has rust-service@1.3.0; applying rust-service@1.0.0 would mix versions", "hint: `pave apply rust-service` applies 1.3.0, the version the repo has"]);
}

#[test]
fn a_report_written_to_a_folder_asks_for_a_file() {
    let (_tmp, dir) = rust_service(&[]);
    pave_check(&dir, &["--format", "json", "--output"])
        .arg(&dir)
        .fails_with(&["is a directory", "hint: that is a folder: give a file path"]);
}

#[test]
fn a_gates_config_error_names_the_field() {
    let (_tmp, dir) = rust_service(&[]);
    std::fs::write(
        dir.join(".pave/gates.yaml"),
        "pr_size:\n  max_changed_lines: -5\n",
    )
    .unwrap();
    pave()
        .args(["gate", "pr-size", "--base", "HEAD", "--repo"])
        .arg(&dir)
        .fails_with(&[
            "gates.yaml:2: pr_size.max_changed_lines: expected a whole number, 0 or more",
        ]);
    pave()
        .args(["gate", "pr-size", "--base", "HEAD", "--config"])
        .arg(&dir)
        .arg("--repo")
        .arg(&dir)
        .fails_with(&["a folder, not a file"]);
}

#[test]
fn two_formats_to_one_file_are_refused() {
    let (_tmp, dir) = rust_service(&[]);
    let out = dir.join("r.out");
    let out = out.to_str().unwrap();
    pave_check(
        &dir,
        &[
            "--format", "sarif", "--output", out, "--format", "junit", "--output", out,
        ],
    )
    .fails_with(&[
        "error: two formats would be written to",
        "hint: give each --format its own --output file",
    ]);
    assert!(!dir.join("r.out").exists());
}

#[test]
fn a_report_that_cannot_be_written_leaves_the_others_unwritten() {
    let (_tmp, dir) = rust_service(&[]);
    let first = dir.join("first.json");
    std::fs::write(&first, "earlier report\n").unwrap();
    let missing = dir.join("no-such-folder/x.sarif");
    pave_check(&dir, &["--format", "json", "--output"])
        .arg(&first)
        .args(["--format", "sarif", "--output"])
        .arg(&missing)
        .fails_with(&["its folder does not exist"]);
    assert_eq!(
        std::fs::read_to_string(&first).unwrap(),
        "earlier report\n",
        "the first report is not replaced when the second cannot be written"
    );
    let stray: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".pave-report-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn an_output_of_dash_is_stdout() {
    let (_tmp, dir) = rust_service(&[]);
    let out = pave_check(&dir, &["--format", "json", "--output", "-"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["conforming"], true);
    assert!(!dir.join("-").exists());
}

#[test]
fn a_repo_folder_that_is_not_there_is_named() {
    pave_check(Path::new("/nonexistent-pave-repo"), &[]).fails_with(&[
        "error: /nonexistent-pave-repo is not a folder",
        "hint: point -C at the repo's root",
    ]);
}

#[test]
fn token_list_of_a_registry_that_is_not_there_creates_none() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.sqlite");
    pave()
        .args(["registry", "token", "list", "--database"])
        .arg(&typo)
        .fails_with(&["no registry database at", "hint: check --database"]);
    assert!(!typo.exists());
}

#[test]
fn a_locked_version_newer_than_the_catalog_is_not_called_a_downgrade() {
    let (_tmp, dir) = rust_service(&[]);
    set_locked_version(&dir, "1.9.0");
    pave()
        .args(["upgrade", "--allow-dirty", "-C"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the repo's .pave/lock.yaml records rust-service@1.9.0",
        ))
        .stderr(predicate::str::contains("does not go back").not());
}

#[test]
fn a_report_to_a_symbolic_link_is_written_through_it() {
    let (_tmp, dir) = rust_service(&[]);
    let real = dir.join("real.json");
    std::fs::write(&real, "old\n").unwrap();
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    pave_check(&dir, &["--format", "json", "--output"])
        .arg(&link)
        .assert()
        .success();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(report["conforming"], true);
}

#[test]
fn two_spellings_of_one_file_are_one_file() {
    let (_tmp, dir) = rust_service(&[]);
    let real = dir.join("real.out");
    std::fs::write(&real, "old\n").unwrap();
    std::os::unix::fs::symlink(&real, dir.join("link.out")).unwrap();
    let dotted = dir.join("src/../real.out");
    for first in [dir.join("link.out"), dotted] {
        pave_check(&dir, &["--format", "json", "--output"])
            .arg(&first)
            .args(["--format", "sarif", "--output"])
            .arg(&real)
            .fails_with(&["two formats would be written to"]);
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "old\n");
    }
}

#[test]
fn a_token_is_not_made_when_its_secret_would_go_nowhere() {
    let (_dir, database, out) = token_create_with_stdout(Stdio::null());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard output goes nowhere"), "{stderr}");
    assert!(!database.exists(), "no database, no token");
}

#[test]
fn a_golden_path_folder_named_without_a_path_is_pointed_at() {
    let gp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(gp.path().join("mygp/components/app")).unwrap();
    std::fs::write(
        gp.path().join("mygp/golden-path.yaml"),
        "apiVersion: pave.dev/v1\nname: mygp\nversion: 1.0.0\ncomponents:\n  app: {}\n",
    )
    .unwrap();
    std::fs::write(gp.path().join("mygp/components/app/a.txt"), "a\n").unwrap();
    pave()
        .current_dir(gp.path())
        .args(["new", "mygp", "out", "--no-git"])
        .fails_with(&["hint: `mygp` is a golden-path folder here: name it as a path, `./mygp`"]);
    pave()
        .current_dir(gp.path())
        .args(["new", "./mygp", "out", "--no-git"])
        .assert()
        .success();
}

#[test]
fn force_and_a_conflict_mode_are_refused_together() {
    let (_tmp, dir) = rust_service(&[]);
    pave()
        .args(["apply", "rust-service", "--conflict=keep", "--force", "-C"])
        .arg(&dir)
        .fails_with(&[
            "--force overwrites every conflicting file, which the --conflict keep/write-new given contradicts",
            "hint: choose one",
        ]);
    // `fail` is the default: saying so does not contradict --force.
    pave()
        .args([
            "apply",
            "rust-service",
            "--conflict=fail",
            "--force",
            "--dry-run",
            "-C",
        ])
        .arg(&dir)
        .assert()
        .success();
}

#[test]
fn a_conflict_rule_that_is_not_a_mode_or_glob_is_refused() {
    let (_tmp, dir) = rust_service(&[]);
    for (given, expected) in [
        (
            "sometimes",
            "--conflict `sometimes`: give a mode (fail, keep or write-new) or GLOB=MODE",
        ),
        (
            "deploy/**=maybe",
            "`maybe` is not a mode; use fail, keep or write-new",
        ),
        ("=keep", "the glob before `=` is empty"),
        ("deploy/[=keep", "the glob does not compile"),
    ] {
        pave()
            .args(["apply", "rust-service", "--conflict", given, "-C"])
            .arg(&dir)
            .fails_with(&[expected, "hint: e.g. `--conflict keep`"]);
    }
}
