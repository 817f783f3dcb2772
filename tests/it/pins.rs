//! Pins (issue 13, part 4): values a golden path declares in its managed files that dependency
//! bots may move forward. A file that differs from the render only in pins moved forward is
//! `pinned` (conforming) in check, gate conformance, diff and audit, offline too; a pin moved
//! back, or any other edit, is drift; apply keeps forward pins and upgrade lets the newer pin
//! win. Built on a directory catalog of a small golden path, `bots`.

use std::path::{Path, PathBuf};

use crate::support::*;
use predicates::prelude::*;

const CHECKOUT_701: &str = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1";
const CHECKOUT_710: &str = "actions/checkout@0123456789abcdef0123456789abcdef01234567 # v7.1.0";
const CHECKOUT_702: &str = "actions/checkout@89abcdef0123456789abcdef0123456789abcdef # v7.0.2";
const CHECKOUT_690: &str = "actions/checkout@fedcba9876543210fedcba9876543210fedcba98 # v6.9.0";
const DIGEST_A: &str = "sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1";
const DIGEST_B: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const DIGEST_C: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// `bots@<version>`'s manifest: pins of every kind, a merged README.
fn manifest(version: &str) -> String {
    format!(
        r#"apiVersion: pave.dev/v1
name: bots
version: {version}
parameters:
  name: {{type: string, default: demo}}
components:
  app: {{}}
files:
  - {{glob: README.md, ownership: merged}}
pins:
  - {{glob: ".github/workflows/*.yml", kind: github-action}}
  - {{glob: Dockerfile, kind: dockerfile-from}}
  - {{glob: "infra/*.tf", kind: terraform-provider}}
  - {{glob: .gitlab-ci.yml, kind: gitlab-ci-image}}
  - {{glob: "scripts/*.sh", kind: regex, pattern: "cargo install cargo-deny --version (?P<version>[0-9.]+)"}}
"#
    )
}

fn workflow(checkout: &str) -> String {
    format!(
        "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: {checkout}\n      - run: cargo test\n  lint:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: {checkout}\n      - run: cargo clippy\n"
    )
}

fn dockerfile(rust: &str) -> String {
    format!(
        "FROM rust:{rust} AS builder\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian12:nonroot@{DIGEST_A}\nUSER 65532:65532\n"
    )
}

fn versions_tf(aws: &str) -> String {
    format!(
        "terraform {{\n  required_version = \">= 1.6.0\"\n  required_providers {{\n    aws = {{\n      source  = \"hashicorp/aws\"\n      version = \"{aws}\"\n    }}\n  }}\n}}\n"
    )
}

/// A directory catalog with `bots` 1.0.0 and 1.1.0: 1.1.0 moves checkout to v7.0.2, rust to
/// 1.97 and the AWS provider to `~> 5.90`, and changes a line of the workflow.
fn catalog() -> tempfile::TempDir {
    let cat = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = cat.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    for (version, checkout, rust, aws, test) in [
        (
            "1.0.0",
            CHECKOUT_701,
            "1.95-bookworm",
            "~> 5.81",
            "cargo test",
        ),
        (
            "1.1.0",
            CHECKOUT_702,
            "1.97-bookworm",
            "~> 5.90",
            "cargo test --locked",
        ),
    ] {
        let app = format!("bots/{version}/components/app");
        write(
            &format!("bots/{version}/golden-path.yaml"),
            &manifest(version),
        );
        write(
            &format!("{app}/.github/workflows/ci.yml"),
            &workflow(checkout).replace("cargo test", test),
        );
        write(&format!("{app}/Dockerfile"), &dockerfile(rust));
        write(&format!("{app}/infra/versions.tf"), &versions_tf(aws));
        write(
            &format!("{app}/.gitlab-ci.yml"),
            "test:\n  image: rust:1.95\n  services:\n    - postgres:17.2\n  script: [cargo test]\n",
        );
        write(
            &format!("{app}/scripts/tools.sh"),
            "#!/bin/sh\ncargo install cargo-deny --version 0.20.1\n",
        );
        write(&format!("{app}/README.md.jinja"), "# {{ name }}\n");
    }
    cat
}

/// A repo on bots@1.0.0 from `cat`, committed.
fn repo(cat: &Path) -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = target();
    pave()
        .arg("--catalog")
        .arg(cat)
        .args(["new", "bots@1.0.0"])
        .arg(&dir)
        .assert()
        .success();
    (tmp, dir)
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let text = read(dir, rel);
    assert!(text.contains(from), "{rel} has no `{from}`:\n{text}");
    std::fs::write(dir.join(rel), text.replace(from, to)).unwrap();
}

/// What Dependabot does in one week: an action (SHA and comment), a base image, a provider.
fn bump_forward(dir: &Path) {
    edit(dir, ".github/workflows/ci.yml", CHECKOUT_701, CHECKOUT_710);
    edit(
        dir,
        "Dockerfile",
        "rust:1.95-bookworm",
        "rust:1.96-bookworm",
    );
    edit(dir, "Dockerfile", DIGEST_A, DIGEST_B);
    edit(dir, "infra/versions.tf", "~> 5.81", "~> 5.100");
    commit_all(dir, "chore(deps): bump");
}

fn check_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = pave_check(dir, &[&["--format", "json"], args].concat())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn state_of(report: &serde_json::Value, path: &str) -> String {
    report["golden_paths"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {report}"))["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_lock_records_the_pins_of_managed_files_only() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    assert_eq!(lock.lock_version, 2);
    let pins = |path: &str| {
        lock.golden_paths[0]
            .files
            .iter()
            .find(|f| f.path.as_str() == path)
            .unwrap()
            .pins
            .clone()
    };
    let workflow = pins(".github/workflows/ci.yml").unwrap();
    assert_eq!(
        workflow.values,
        [
            "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
        ]
    );
    assert_eq!(
        pins("Dockerfile").unwrap().values,
        [":1.95-bookworm".to_owned(), format!(":nonroot@{DIGEST_A}")]
    );
    assert_eq!(pins("infra/versions.tf").unwrap().values, ["~> 5.81"]);
    assert_eq!(pins(".gitlab-ci.yml").unwrap().values, [":1.95", ":17.2"]);
    assert_eq!(pins("scripts/tools.sh").unwrap().values, ["0.20.1"]);
    assert!(pins("README.md").is_none(), "merged files record no pins");
    assert!(read(&dir, ".pave/lock.yaml").contains("lock_version: 2\n"));
}

#[test]
fn a_dependabot_bump_is_pinned_not_drift_in_check_and_gate() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    bump_forward(&dir);
    for args in [&[][..], &["--offline"]] {
        pave_check(&dir, args)
            .assert()
            .success()
            .stdout(predicate::str::contains("bots@1.0.0: conforms"))
            .stdout(predicate::str::contains(
                "0 drifted, 3 pinned (pins moved forward)",
            ))
            .stdout(predicate::str::contains(
                "pinned (pins moved forward)    .github/workflows/ci.yml",
            ))
            .stdout(predicate::str::contains(
                "actions/checkout v7.0.1 -> v7.1.0 (lines 7, 12)",
            ))
            .stdout(predicate::str::contains(
                "rust 1.95-bookworm -> 1.96-bookworm (line 1)",
            ))
            .stdout(predicate::str::contains("aws ~> 5.81 -> ~> 5.100 (line 6)"))
            .stdout(predicate::str::contains("fix:").not());
    }
    let report = check_json(&dir, &["--offline"]);
    assert_eq!(report["conforming"], true);
    assert_eq!(state_of(&report, ".github/workflows/ci.yml"), "pinned");
    assert_eq!(state_of(&report, "Dockerfile"), "pinned");
    assert_eq!(state_of(&report, "infra/versions.tf"), "pinned");
    assert_eq!(state_of(&report, ".gitlab-ci.yml"), "unchanged");
    let ci = report["golden_paths"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == ".github/workflows/ci.yml")
        .unwrap();
    assert_eq!(ci["pins"].as_array().unwrap().len(), 2, "{ci}");
    assert_eq!(ci["pins"][0]["pin"], "actions/checkout");
    assert_eq!(ci["pins"][0]["from_version"], "v7.0.1");
    assert_eq!(ci["pins"][0]["to_version"], "v7.1.0");
    assert_eq!(ci["pins"][0]["direction"], "forward");
    assert_eq!(ci["pins"][1]["line"], 12);

    let out = pave_check(&dir, &["--format", "sarif"]).output().unwrap();
    assert!(out.status.success());
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r["ruleId"] == "pave/pinned" && r["level"] == "note" && r["ruleIndex"] == 7)
    );
    pave_check(&dir, &["--format", "github"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "::notice file=Dockerfile,title=Pins moved forward (bots@1.0.0)::",
        ))
        .stdout(predicate::str::contains("0 drifted, 3 pinned"));
    pave_check(&dir, &["--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "| pinned (pins moved forward) | 3 |",
        ))
        .stdout(predicate::str::contains("| `Dockerfile` | pinned: rust"));
    pave_check(&dir, &["--format", "junit"])
        .assert()
        .success()
        .stdout(predicate::str::contains("failures=\"0\""));

    pave()
        .args(["gate", "conformance", "--repo"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0 drifted, 3 pinned (pins moved forward)",
        ));
    let out = pave()
        .args(["gate", "conformance", "--format", "sarif", "--repo"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["ruleId"] == "pave/pinned"));
    pave()
        .args(["gate", "conformance", "--format", "markdown", "--repo"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("3 pinned (pins moved forward)"));
}

#[test]
fn a_rebuilt_base_image_tag_is_pinned_and_a_gitlab_image_and_regex_pin_move_forward() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    edit(&dir, "Dockerfile", DIGEST_A, DIGEST_C);
    edit(&dir, ".gitlab-ci.yml", "postgres:17.2", "postgres:17.5");
    edit(&dir, "scripts/tools.sh", "0.20.1", "0.20.3");
    let report = check_json(&dir, &["--offline"]);
    assert_eq!(report["conforming"], true, "{report}");
    assert_eq!(state_of(&report, "Dockerfile"), "pinned");
    assert_eq!(state_of(&report, ".gitlab-ci.yml"), "pinned");
    assert_eq!(state_of(&report, "scripts/tools.sh"), "pinned");
    pave_check(&dir, &["--offline"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "gcr.io/distroless/cc-debian12 nonroot -> nonroot (line 3): same tag, new digest",
        ));
}

#[test]
fn a_pin_moved_backwards_is_drift_and_says_so() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    edit(&dir, ".github/workflows/ci.yml", CHECKOUT_701, CHECKOUT_690);
    pave_check(&dir, &["--offline"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("bots@1.0.0: DRIFTED"))
        .stdout(predicate::str::contains(
            "drifted (managed file edited)  .github/workflows/ci.yml",
        ))
        .stdout(predicate::str::contains(
            "actions/checkout v7.0.1 -> v6.9.0 (lines 7, 12): moved backwards, which is drift",
        ))
        .stdout(predicate::str::contains(
            "fix: pave apply bots@1.0.0 --force",
        ));
    let report = check_json(&dir, &["--offline"]);
    assert_eq!(state_of(&report, ".github/workflows/ci.yml"), "drifted");
    pave()
        .args(["gate", "conformance", "--repo"])
        .arg(&dir)
        .assert()
        .code(1);
}

#[test]
fn other_changes_of_a_pinned_file_are_drift() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    // A forward bump together with another edit.
    edit(&dir, ".github/workflows/ci.yml", CHECKOUT_701, CHECKOUT_710);
    edit(
        &dir,
        ".github/workflows/ci.yml",
        "cargo clippy",
        "cargo clippy || true",
    );
    // Another action in a pin's place, a variant change, a digest dropped.
    edit(&dir, "Dockerfile", "FROM rust:", "FROM evil/rust:");
    edit(&dir, "infra/versions.tf", "hashicorp/aws", "evil/aws");
    edit(
        &dir,
        "scripts/tools.sh",
        "--version 0.20.1",
        "--version 0.20.1 --force",
    );
    edit(&dir, ".gitlab-ci.yml", "rust:1.95", "rust:1.96-alpine");
    let report = check_json(&dir, &["--offline"]);
    assert_eq!(report["conforming"], false);
    for path in [
        ".github/workflows/ci.yml",
        "Dockerfile",
        "infra/versions.tf",
        "scripts/tools.sh",
        ".gitlab-ci.yml",
    ] {
        assert_eq!(state_of(&report, path), "drifted", "{path}");
    }
    // A variant change is named as a pin that did not move forward.
    pave_check(&dir, &["--offline"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "rust 1.95 -> 1.96-alpine (line 2): not a forward move",
        ));
}

#[test]
fn diff_names_pinned_files_and_shows_them_with_all() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    bump_forward(&dir);
    let mut diff = pave();
    diff.args(["diff", "-C"]).arg(&dir);
    diff.assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains(
            "3 file(s) differ only in pins moved forward, which pave check accepts (--all shows their diff):",
        ))
        .stderr(predicate::str::contains(
            "  Dockerfile\n    rust 1.95-bookworm -> 1.96-bookworm (line 1)",
        ))
        .stderr(predicate::str::contains("the repo matches a fresh render"));
    let mut all = pave();
    all.args(["diff", "--all", "-C"]).arg(&dir);
    all.assert()
        .success()
        .stdout(predicate::str::contains(
            "diff Dockerfile bots@1.0.0 (managed, pins moved forward)",
        ))
        .stdout(predicate::str::contains(
            "-FROM rust:1.95-bookworm AS builder\n+FROM rust:1.96-bookworm AS builder",
        ));
    // A real difference beside them still fails.
    edit(&dir, "Dockerfile", "USER 65532:65532", "USER root");
    let mut diff = pave();
    diff.args(["diff", "-C"]).arg(&dir);
    diff.assert()
        .code(1)
        .stdout(predicate::str::contains("+USER root"))
        .stderr(predicate::str::contains("2 file(s) differ only in pins"));
}

#[test]
fn audit_lists_pinned_files_apart_from_drift() {
    let cat = catalog();
    let fleet = tempfile::tempdir().unwrap();
    let dir = fleet.path().join("svc");
    pave()
        .arg("--catalog")
        .arg(cat.path())
        .args(["new", "bots@1.0.0"])
        .arg(&dir)
        .assert()
        .success();
    bump_forward(&dir);
    let report = audit_offline(fleet.path());
    let repo = &report["repos"][0];
    assert_eq!(repo["status"], "conforming", "{repo}");
    assert_eq!(
        repo["pinned_files"],
        serde_json::json!([
            ".github/workflows/ci.yml",
            "Dockerfile",
            "infra/versions.tf"
        ])
    );
    assert_eq!(repo["drifted_files"], serde_json::json!([]));
    pave()
        .args(["audit", "--offline"])
        .arg(fleet.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Pins moved forward (accepted, not drift): 3 file(s) in 1 repo(s)",
        ));
    // Read from a bare clone's HEAD the same way.
    let bare = fleet.path().join("svc.git");
    git_in(
        fleet.path(),
        &["clone", "-q", "--bare", "svc", bare.to_str().unwrap()],
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let report = audit_offline(fleet.path());
    assert_eq!(report["repos"][0]["kind"], "bare");
    assert_eq!(report["repos"][0]["status"], "conforming");
    assert_eq!(
        report["repos"][0]["pinned_files"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn apply_again_keeps_forward_pins_even_with_force() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    bump_forward(&dir);
    let before = tree(&dir);
    pave_apply("bots", &dir, &[])
        .assert()
        .success()
        .stderr(predicate::str::contains("Up to date"));
    assert_eq!(tree(&dir), before);
    // --force restores drift, not pins: the drifted line goes, the newer pins stay.
    edit(&dir, "Dockerfile", "USER 65532:65532", "USER root");
    pave_apply("bots", &dir, &["--force", "--allow-dirty"])
        .assert()
        .success();
    assert_eq!(
        read(&dir, "Dockerfile"),
        dockerfile("1.96-bookworm").replace(DIGEST_A, DIGEST_B)
    );
    pave_check(&dir, &[]).assert().success();
}

#[test]
fn apply_with_changed_answers_keeps_forward_pins_and_updates_the_rest() {
    let cat = catalog();
    let cat_path = cat.path();
    // A golden path whose workflow uses an answer: changing it re-renders the file.
    let ci = cat_path.join("bots/1.0.0/components/app/.github/workflows/ci.yml");
    std::fs::rename(&ci, ci.with_extension("yml.jinja")).unwrap();
    let template = workflow(CHECKOUT_701).replace("name: ci\n", "name: ci of {{ name }}\n");
    std::fs::write(ci.with_extension("yml.jinja"), template).unwrap();
    let (_tmp, dir) = repo(cat_path);
    bump_forward(&dir);
    pave_apply("bots", &dir, &["--set", "name=other"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "keeps the repo's newer pins: actions/checkout v7.1.0, actions/checkout v7.1.0",
        ));
    assert_eq!(
        read(&dir, ".github/workflows/ci.yml"),
        workflow(CHECKOUT_710).replace("name: ci\n", "name: ci of other\n")
    );
    pave_check(&dir, &[]).assert().success();
}

#[test]
fn upgrade_lets_the_newer_pin_win() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    // The repo: checkout v7.1.0 (newer than 1.1.0's v7.0.2), rust 1.96 (older than 1.1.0's
    // 1.97), aws ~> 5.100 (newer than 1.1.0's ~> 5.90).
    bump_forward(&dir);
    let mut upgrade = pave();
    upgrade.args(["upgrade", "--to", "1.1.0", "-C"]).arg(&dir);
    upgrade
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "(keeps the repo's newer pins: actions/checkout v7.1.0, actions/checkout v7.1.0)",
        ))
        .stderr(predicate::str::contains(
            "(keeps the repo's newer pins: aws ~> 5.100)",
        ));
    // The workflow: 1.1.0's new line, the repo's newer checkout.
    assert_eq!(
        read(&dir, ".github/workflows/ci.yml"),
        workflow(CHECKOUT_710).replace("cargo test", "cargo test --locked")
    );
    // The Dockerfile: 1.1.0's rust 1.97 wins over the repo's 1.96 (and 1.96's digest goes
    // with it); the untouched distroless digest the repo refreshed stays the repo's.
    assert_eq!(
        read(&dir, "Dockerfile"),
        dockerfile("1.97-bookworm").replace(DIGEST_A, DIGEST_B)
    );
    assert_eq!(read(&dir, "infra/versions.tf"), versions_tf("~> 5.100"));
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    assert_eq!(lock.golden_paths[0].version.to_string(), "1.1.0");
    let report = check_json(&dir, &[]);
    assert_eq!(report["conforming"], true, "{report}");
    assert_eq!(state_of(&report, ".github/workflows/ci.yml"), "pinned");
    assert_eq!(state_of(&report, "Dockerfile"), "pinned");
    assert_eq!(state_of(&report, "infra/versions.tf"), "pinned");
}

#[test]
fn upgrade_still_refuses_a_pinned_file_with_another_edit() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    edit(
        &dir,
        "Dockerfile",
        "rust:1.95-bookworm",
        "rust:1.96-bookworm",
    );
    edit(&dir, "Dockerfile", "USER 65532:65532", "USER root");
    commit_all(&dir, "edit");
    let mut upgrade = pave();
    upgrade.args(["upgrade", "--to", "1.1.0", "-C"]).arg(&dir);
    upgrade
        .assert()
        .code(1)
        .stderr(predicate::str::contains("REFUSED   Dockerfile"));
}

#[test]
fn a_lock_whose_pins_were_edited_is_a_lock_mismatch_with_the_catalog() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    // Someone widens the Dockerfile's pins in the lock to hide an edit.
    let lock = read(&dir, ".pave/lock.yaml");
    let widened = lock.replacen(
        "- kind: dockerfile-from",
        "- kind: regex\n        pattern: \"(?P<version>.*)\"",
        1,
    );
    assert_ne!(lock, widened);
    std::fs::write(dir.join(".pave/lock.yaml"), widened).unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "lock mismatch: Dockerfile: the lock's pins are not the ones bots@1.0.0 declares and renders",
        ));
}

#[test]
fn a_malformed_pin_declaration_is_refused_with_file_line_and_field() {
    for (pin, expected) in [
        (
            "{glob: Dockerfile, kind: docker-image}",
            "golden-path.yaml:8: pins[0].kind: unknown variant `docker-image`",
        ),
        (
            "{glob: x.sh, kind: regex, pattern: \"tool (?P<version>[0-9.]+\"}",
            "golden-path.yaml:8: pins[0].pattern: bad `pattern`",
        ),
        (
            "{glob: x.sh, kind: regex, pattern: \"tool [0-9.]+\"}",
            "golden-path.yaml:8: pins[0].pattern: `pattern` has no named group `version`",
        ),
    ] {
        let gp = GoldenPathBuilder::new(&format!(
            "{MANIFEST_HEAD}components:\n  app: {{}}\npins:\n  - {pin}\n"
        ))
        .file("components/app/x.sh", "tool 1.0\n");
        refused(&gp.arg(), &["--no-input"], &[expected]);
    }
}

#[test]
fn show_names_the_pins_of_each_file() {
    let cat = catalog();
    pave()
        .arg("--catalog")
        .arg(cat.path())
        .args(["show", "bots@1.0.0"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "managed  .github/workflows/ci.yml  pins: github-action",
        ))
        .stdout(predicate::str::contains("merged   README.md\n"));
    let out = pave()
        .arg("--catalog")
        .arg(cat.path())
        .args(["show", "bots@1.0.0", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = json["components"][0]["files"].as_array().unwrap();
    let dockerfile = files.iter().find(|f| f["path"] == "Dockerfile").unwrap();
    assert_eq!(dockerfile["pins"], serde_json::json!(["dockerfile-from"]));
}

#[test]
fn except_refuses_a_file_whose_only_change_is_pins_moved_forward() {
    let cat = catalog();
    let (_tmp, dir) = repo(cat.path());
    bump_forward(&dir);
    let lock = read(&dir, ".pave/lock.yaml");
    let mut except = pave();
    except
        .arg("--catalog")
        .arg(cat.path())
        .args(["except", "-C"])
        .arg(&dir)
        .args(["Dockerfile", "--reason", "newer rust"]);
    except
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "Dockerfile: the file differs from bots@1.0.0 only in pins moved forward, which pave check accepts as they are; no exception is needed",
        ));
    assert_eq!(read(&dir, ".pave/lock.yaml"), lock, "nothing written");
}

// rust-service's own bots. Its newest version declares as pins what its dependabot.yml (GitHub)
// and renovate.json (GitLab) update; a week of their pull requests must conform and still pass
// the validators the rendered repo is held to (tests/it/validators.rs), and a pin taken back
// must not.

/// `text` with the first match of `pattern` (and every other occurrence of that same text)
/// replaced by what `to` makes of its captures.
fn bump(text: &str, pattern: &str, to: impl Fn(&regex_lite::Captures) -> String) -> String {
    let re = regex_lite::Regex::new(pattern).unwrap();
    let caps = re
        .captures(text)
        .unwrap_or_else(|| panic!("no `{pattern}` in:\n{text}"));
    let new = to(&caps);
    text.replace(&caps[0], &new)
}

fn number(caps: &regex_lite::Captures, name: &str) -> u64 {
    caps[name].parse().unwrap()
}

fn rewrite(dir: &Path, rel: &str, edit: impl Fn(&str) -> String) {
    let before = read(dir, rel);
    let after = edit(&before);
    assert_ne!(before, after, "{rel} unchanged");
    std::fs::write(dir.join(rel), after).unwrap();
}

/// What Dependabot proposes in a week on rust-service (GitHub): the next minor of
/// actions/checkout (new commit SHA and `# v` comment, in every job), the next Rust image (new
/// tag and digest) and the next major of the AWS provider.
fn dependabot_week(dir: &Path) {
    rewrite(dir, ".github/workflows/ci.yml", |t| {
        bump(
            t,
            r"actions/checkout@[0-9a-f]{40} # v(?P<major>\d+)\.(?P<minor>\d+)\.\d+",
            |c| {
                format!(
                    "actions/checkout@{} # v{}.{}.0",
                    "0123456789abcdef0123456789abcdef01234567",
                    number(c, "major"),
                    number(c, "minor") + 1
                )
            },
        )
    });
    rewrite(dir, "Dockerfile", |t| {
        bump(
            t,
            r"FROM rust:(?P<major>\d+)\.(?P<minor>\d+)-bookworm@sha256:[0-9a-f]{64}",
            |c| {
                format!(
                    "FROM rust:{}.{}-bookworm@sha256:{}",
                    number(c, "major"),
                    number(c, "minor") + 1,
                    "a".repeat(64)
                )
            },
        )
    });
    rewrite(dir, "infra/terraform/versions.tf", |t| {
        bump(t, r#"version = "~> (?P<major>\d+)\.\d+""#, |c| {
            format!("version = \"~> {}.0\"", number(c, "major") + 1)
        })
    });
    commit_all(
        dir,
        "chore(deps): bump actions/checkout, rust and hashicorp/aws",
    );
}

/// `pave check` (text and json) and `pave gate conformance` say the repo conforms with the
/// `pinned` files named.
fn assert_conforms_with_pins(dir: &Path, pinned: &[&str]) {
    pave_check(dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "0 drifted, {} pinned (pins moved forward)",
            pinned.len()
        )));
    let report = check_json(dir, &["--offline"]);
    assert_eq!(report["conforming"], true, "{report}");
    for path in pinned {
        assert_eq!(state_of(&report, path), "pinned", "{path}");
    }
    pave()
        .args(["gate", "conformance", "--repo"])
        .arg(dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} pinned (pins moved forward)",
            pinned.len()
        )));
}

#[test]
fn a_dependabot_week_on_rust_service_conforms_and_passes_the_validators() {
    let (_tmp, dir) = rust_service(&["--set", "ci_provider=github"]);
    let lock = pave_model::lock::Lock::read(&dir).unwrap();
    let with_pins: Vec<&str> = lock.golden_paths[0]
        .files
        .iter()
        .filter(|f| f.pins.is_some())
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        with_pins,
        [
            ".github/workflows/ci.yml",
            "Dockerfile",
            "infra/terraform/versions.tf"
        ],
        "every file dependabot.yml updates declares its pins"
    );
    dependabot_week(&dir);
    assert_conforms_with_pins(
        &dir,
        &[
            ".github/workflows/ci.yml",
            "Dockerfile",
            "infra/terraform/versions.tf",
        ],
    );

    // The bumped files still pass the tools of their ecosystems.
    use crate::validators::check as validate;
    validate(
        &dir,
        "actionlint",
        &["-no-color", ".github/workflows/ci.yml"],
    );
    validate(
        &dir,
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.github-workflows",
            ".github/workflows/ci.yml",
        ],
    );
    validate(
        &dir,
        "yamllint",
        &[
            "--strict",
            "-c",
            ".yamllint.yaml",
            ".github/workflows/ci.yml",
        ],
    );
    validate(&dir, "hadolint", &["Dockerfile"]);
    validate(&dir, "hcl2tojson", &["infra/terraform/versions.tf"]);

    // A "bump" that takes an action back is drift, in check and in the gate.
    rewrite(&dir, ".github/workflows/ci.yml", |t| {
        bump(
            t,
            r"actions/checkout@[0-9a-f]{40} # v(?P<major>\d+)\.\d+\.\d+",
            |c| {
                format!(
                    "actions/checkout@{} # v{}.9.0",
                    "fedcba9876543210fedcba9876543210fedcba98",
                    number(c, "major") - 1
                )
            },
        )
    });
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("moved backwards, which is drift"));
    pave()
        .args(["gate", "conformance", "--repo"])
        .arg(&dir)
        .assert()
        .code(1);
}

#[test]
fn a_renovate_week_on_gitlab_rust_service_conforms_and_passes_the_validators() {
    let (_tmp, dir) = rust_service(&["--set", "ci_provider=gitlab"]);
    // What Renovate proposes: CI images (the Rust toolchain, gitleaks, docker with its dind
    // service), the Dockerfile's base image and syntax, Terraform's required version.
    rewrite(&dir, ".gitlab-ci.yml", |t| {
        let t = bump(t, r"image: rust:(?P<major>\d+)\.(?P<minor>\d+)\n", |c| {
            format!(
                "image: rust:{}.{}\n",
                number(c, "major"),
                number(c, "minor") + 1
            )
        });
        let t = bump(&t, r"gitleaks:v(?P<major>\d+)\.(?P<minor>\d+)\.\d+", |c| {
            format!(
                "gitleaks:v{}.{}.0",
                number(c, "major"),
                number(c, "minor") + 1
            )
        });
        let t = bump(&t, r"image: docker:(?P<major>\d+)\n", |c| {
            format!("image: docker:{}\n", number(c, "major") + 1)
        });
        bump(&t, r"- docker:(?P<major>\d+)-dind", |c| {
            format!("- docker:{}-dind", number(c, "major") + 1)
        })
    });
    rewrite(&dir, "Dockerfile", |t| {
        let t = bump(t, r"# syntax=docker/dockerfile:(?P<major>\d+)\n", |c| {
            format!("# syntax=docker/dockerfile:{}.7\n", number(c, "major"))
        });
        bump(&t, r"cc-debian12:nonroot@sha256:[0-9a-f]{64}", |_| {
            format!("cc-debian12:nonroot@sha256:{}", "b".repeat(64))
        })
    });
    rewrite(&dir, "infra/terraform/versions.tf", |t| {
        bump(
            t,
            r#"required_version = ">= (?P<major>\d+)\.(?P<minor>\d+)\.\d+""#,
            |c| {
                format!(
                    "required_version = \">= {}.{}.3\"",
                    number(c, "major"),
                    number(c, "minor") + 1
                )
            },
        )
    });
    commit_all(
        &dir,
        "chore(deps): update ci images, dockerfile and terraform",
    );
    assert_conforms_with_pins(
        &dir,
        &[
            ".gitlab-ci.yml",
            "Dockerfile",
            "infra/terraform/versions.tf",
        ],
    );

    use crate::validators::check as validate;
    validate(
        &dir,
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            ".gitlab-ci.yml",
        ],
    );
    validate(
        &dir,
        "yamllint",
        &["--strict", "-c", ".yamllint.yaml", ".gitlab-ci.yml"],
    );
    validate(&dir, "hadolint", &["Dockerfile"]);
    validate(&dir, "hcl2tojson", &["infra/terraform/versions.tf"]);

    // Taking the toolchain image back is drift.
    rewrite(&dir, ".gitlab-ci.yml", |t| {
        bump(t, r"image: rust:(?P<major>\d+)\.(?P<minor>\d+)\n", |c| {
            format!(
                "image: rust:{}.{}\n",
                number(c, "major"),
                number(c, "minor") - 2
            )
        })
    });
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "drifted (managed file edited)  .gitlab-ci.yml",
        ));
}

/// The repos that need 1.3.0 most are on 1.2.0, whose bots already bumped pins it did not
/// declare: the upgrade judges them by 1.3.0's pins, carries the newer ones and is not refused,
/// with or without --force (found by a trial).
#[test]
fn an_upgrade_from_a_version_without_pins_carries_the_bots_bumps() {
    for force in [&[][..], &["--force"][..]] {
        let (_tmp, dir) = target();
        pave_new(
            "rust-service@1.2.0",
            &dir,
            &[
                "--set",
                "team=payments",
                "--set",
                "ci_provider=github",
                "--no-input",
            ],
        )
        .assert()
        .success();
        let rendered = read(&dir, "Dockerfile");
        dependabot_week(&dir);
        let bumped = read(&dir, "Dockerfile");
        assert_ne!(bumped, rendered, "the bot bumped the base image");
        pave()
            .args(["upgrade", "--to", "1.3.0", "-C"])
            .arg(&dir)
            .args(force)
            .assert()
            .success()
            .stderr(predicate::str::contains("REFUSED").not());
        // The bot's newer image stays (1.3.0 renders the older one).
        let from = |text: &str| {
            text.lines()
                .find(|l| l.starts_with("FROM rust:"))
                .unwrap()
                .to_owned()
        };
        assert_eq!(from(&read(&dir, "Dockerfile")), from(&bumped), "{force:?}");
        commit_all(&dir, "upgrade");
        let report = check_json(&dir, &["--offline"]);
        assert_eq!(report["conforming"], true, "{force:?}: {report}");
        assert_eq!(state_of(&report, "Dockerfile"), "pinned", "{force:?}");
    }
}
