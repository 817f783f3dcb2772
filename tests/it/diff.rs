//! `pave diff`: the repo against a fresh render of its locked version.

use crate::support::*;
use predicates::prelude::*;

fn adopted() -> (tempfile::TempDir, std::path::PathBuf) {
    rust_service(&["--set", "service_name=payments-api"])
}

fn pave_diff(dir: &std::path::Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = pave();
    cmd.args(["diff", "-C"]).arg(dir).args(args);
    cmd
}

#[test]
fn no_difference_exits_zero() {
    let (_tmp, dir) = adopted();
    pave_diff(&dir, &[]).assert().success().stdout("");
}

#[test]
fn a_unified_diff_per_file_and_exit_one() {
    let (_tmp, dir) = adopted();
    let path = dir.join("Dockerfile");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("USER 65532:65532", "USER root");
    std::fs::write(&path, text).unwrap();
    std::fs::remove_file(dir.join("deploy/base/pdb.yaml")).unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    pave_diff(&dir, &[])
        .assert()
        .code(1)
        // As `git diff` reads: the golden path is the old side, the repo's edit the new one.
        .stdout(
            predicate::str::is_match(
                r"--- a/Dockerfile\t\(rust-service@[0-9.]+\)\n\+\+\+ b/Dockerfile\t\(repo\)\n@@",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains("-USER 65532:65532\n+USER root\n"))
        .stdout(predicate::str::contains(
            "--- a/deploy/base/pdb.yaml\t(rust-service@",
        ))
        .stdout(predicate::str::contains("src/main.rs").not());
    pave_diff(&dir, &["--all"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("+++ b/src/main.rs\t(repo)"));
    pave_diff(&dir, &["--stat"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::is_match(r" Dockerfile rust-service@[0-9.]+ \(managed\) \| \+1 -1")
                .unwrap(),
        )
        .stdout(predicate::str::contains("2 file(s) differ"));
}

#[test]
fn no_colour_without_a_terminal() {
    let (_tmp, dir) = adopted();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    pave_diff(&dir, &[])
        .env_remove("NO_COLOR")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b[").not());
}
