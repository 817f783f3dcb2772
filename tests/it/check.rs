//! `pave check`: drift from the lock alone, version lag and a tampered lock with the catalog.

use crate::support::*;
use predicates::prelude::*;

fn adopted() -> (tempfile::TempDir, std::path::PathBuf) {
    rust_service(&["--set", "service_name=payments-api"])
}

#[test]
fn a_fresh_repo_conforms() {
    let (_tmp, dir) = adopted();
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("rust-service@1.3.0: conforms"))
        .stdout(predicate::str::contains("1.3.0 is the newest in builtin"));
}

#[test]
fn an_edited_managed_file_is_drift_with_the_fix() {
    let (_tmp, dir) = adopted();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DRIFTED"))
        .stdout(predicate::str::contains(
            "drifted (managed file edited)  Dockerfile",
        ))
        .stdout(predicate::str::contains(
            "fix: pave apply rust-service@1.3.0 --force --allow-dirty",
        ));
    // The fix works as printed on the uncommitted edit it is about.
    pave()
        .args([
            "apply",
            "rust-service@1.3.0",
            "--force",
            "--allow-dirty",
            "-C",
        ])
        .arg(&dir)
        .assert()
        .success();
    pave_check(&dir, &[]).assert().success();
}

#[test]
fn a_deleted_file_fails() {
    let (_tmp, dir) = adopted();
    std::fs::remove_file(dir.join("deploy/base/pdb.yaml")).unwrap();
    pave_check(&dir, &["--offline"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "deleted                        deploy/base/pdb.yaml",
        ));
}

#[test]
fn a_file_replaced_by_a_symlink_is_not_followed_and_fails() {
    let (_tmp, dir) = adopted();
    std::fs::remove_file(dir.join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("Dockerfile")).unwrap();
    pave_check(&dir, &["--offline"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Dockerfile"));
}

#[test]
fn an_edited_merged_file_is_reported_and_passes() {
    let (_tmp, dir) = adopted();
    let readme = dir.join("README.md");
    let mut text = std::fs::read_to_string(&readme).unwrap();
    text.push_str("\n## Our notes\n");
    std::fs::write(&readme, text).unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap(); // seeded: ignored
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "edited (merged: allowed)       README.md",
        ))
        .stdout(predicate::str::contains("src/main.rs").not());
}

#[test]
fn a_tampered_lock_is_detected_with_the_catalog() {
    let (_tmp, dir) = adopted();
    let lock_path = dir.join(".pave/lock.yaml");
    let text = std::fs::read_to_string(&lock_path)
        .unwrap()
        .replace("replicas: 2", "replicas: 3");
    std::fs::write(&lock_path, text).unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "lock mismatch: deploy/overlays/prod/kustomization.yaml",
        ));
    // Offline, from the hashes alone, the files still match the (edited) lock.
    pave_check(&dir, &["--offline"]).assert().success();
}

#[test]
fn a_lock_hash_edited_to_hide_drift_is_detected() {
    let (_tmp, dir) = adopted();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    let lock_path = dir.join(".pave/lock.yaml");
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    let old = lock.golden_paths[0]
        .files
        .iter()
        .find(|f| f.path.as_str() == "Dockerfile")
        .unwrap()
        .sha256
        .clone();
    let text = std::fs::read_to_string(&lock_path)
        .unwrap()
        .replace(&old, &pave_model::lock::sha256_hex(b"FROM scratch\n"));
    std::fs::write(&lock_path, text).unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("lock mismatch: Dockerfile"));
}

#[test]
fn no_lock_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    pave_check(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no lock; this repo has not adopted a golden path",
        ))
        .stderr(predicate::str::contains("hint: adopt a golden path"));
}

#[test]
fn an_unreadable_lock_names_the_line() {
    let (_tmp, dir) = adopted();
    let lock_path = dir.join(".pave/lock.yaml");
    let mut text = std::fs::read_to_string(&lock_path).unwrap();
    text = text.replacen(
        "  catalog: builtin\n",
        "  catalog: builtin\n  colour: red\n",
        1,
    );
    std::fs::write(&lock_path, text).unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "lock.yaml:9: golden_paths[0]: unknown field `colour`",
        ))
        .stderr(predicate::str::contains("colour"));
    std::fs::write(&lock_path, "golden_paths: [\n").unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".pave/lock.yaml:"));
}

#[test]
fn an_unknown_golden_path_is_an_error() {
    let (_tmp, dir) = adopted();
    let lock_path = dir.join(".pave/lock.yaml");
    let text = std::fs::read_to_string(&lock_path)
        .unwrap()
        .replace("- name: rust-service", "- name: go-service");
    std::fs::write(&lock_path, text).unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no golden path `go-service` in the builtin catalog",
        ));
}

#[test]
fn several_formats_in_one_run() {
    let (_tmp, dir) = adopted();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("check.json");
    pave_check(
        &dir,
        &[
            "--format",
            "json",
            "--output",
            json.to_str().unwrap(),
            "--format",
            "text",
        ],
    )
    .assert()
    .code(1)
    .stdout(predicate::str::contains("DRIFTED"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(report["conforming"], false);
    let files = report["golden_paths"][0]["files"].as_array().unwrap();
    let dockerfile = files.iter().find(|f| f["path"] == "Dockerfile").unwrap();
    assert_eq!(dockerfile["state"], "drifted");
    pave_check(&dir, &["--format", "json", "--format", "text"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only one format can go to stdout"));
}

#[test]
fn a_folder_replaced_by_a_link_to_an_identical_copy_is_not_conforming() {
    let (_tmp, dir) = adopted();
    let outside = tempfile::tempdir().unwrap();
    let copy = outside.path().join("overlays");
    std::fs::rename(dir.join("deploy/overlays"), &copy).unwrap();
    std::os::unix::fs::symlink(&copy, dir.join("deploy/overlays")).unwrap();
    pave_check(&dir, &["--offline"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "deploy/overlays/prod/kustomization.yaml",
        ));
}

#[test]
fn each_output_belongs_to_the_format_before_it() {
    let (_tmp, dir) = adopted();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("check.json");
    // The stdout format first, the file format after: as the golden path's CI writes it.
    pave_check(
        &dir,
        &[
            "--format",
            "text",
            "--format",
            "json",
            "--output",
            json.to_str().unwrap(),
        ],
    )
    .assert()
    .code(1)
    .stdout(predicate::str::contains("DRIFTED"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["conforming"], false);
    pave_check(
        &dir,
        &["--output", json.to_str().unwrap(), "--format", "json"],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("comes before any --format"));
}

#[test]
fn a_crlf_checkout_of_an_lf_render_conforms() {
    // Git for Windows and GitHub's Windows runners check text out with CRLF (core.autocrlf).
    let (tmp, dir) = rust_service(&[]);
    check_out_with_crlf(&dir);
    let readme = std::fs::read(dir.join("README.md")).unwrap();
    assert!(
        readme.windows(2).any(|w| w == b"\r\n"),
        "the checkout holds CRLF text"
    );
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 drifted"));
    pave()
        .args(["diff", "-C"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains("matches"));
    let audit = audit_offline(tmp.path());
    assert_eq!(audit["repos"][0]["status"], "conforming", "{audit}");
    // A second apply changes nothing, the lock included.
    pave_apply("rust-service", &dir, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains("Up to date"));
    // A real edit is still drift.
    let ci = dir.join("Dockerfile");
    let mut text = std::fs::read(&ci).unwrap();
    text.extend_from_slice(b"# ours\r\n");
    std::fs::write(&ci, text).unwrap();
    pave_check(&dir, &[]).assert().code(1);
}
