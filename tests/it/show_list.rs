//! `pave list` and `pave show`: what a person reads to choose and understand a golden path.

use crate::support::*;
use predicates::prelude::*;

#[test]
fn list_shows_builtin_golden_paths_and_versions() {
    let out = pave()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("rust-service  1.3.0, 1.2.0, 1.1.0, 1.0.0"),
        "{text}"
    );
    let json = pave()
        .args(["list", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["catalog"], "builtin");
    assert_eq!(json["golden_paths"][0]["name"], "rust-service");
    assert_eq!(json["golden_paths"][0]["latest"], "1.3.0");
}

#[test]
fn list_of_a_directory_catalog() {
    let catalog = tempfile::tempdir().unwrap();
    let gp = GoldenPathBuilder::demo();
    let dest = catalog.path().join("demo/1.0.0");
    std::fs::create_dir_all(&dest).unwrap();
    for (rel, bytes) in tree(gp.path()) {
        let p = dest.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    pave()
        .args(["list", "--catalog"])
        .arg(catalog.path())
        .assert()
        .success()
        .stdout(predicate::str::starts_with("demo  1.0.0"));
    let (_tmp, dir) = target();
    pave()
        .env("PAVE_CATALOG", catalog.path())
        .args(["new", "demo@^1", "--set", "name=x", "--no-git"])
        .arg(&dir)
        .assert()
        .success();
    let lock = std::fs::read_to_string(dir.join(".pave/lock.yaml")).unwrap();
    assert!(
        lock.contains(&format!("catalog: dir:{}", below_home(catalog.path()))),
        "{lock}"
    );
}

#[test]
fn show_lists_parameters_components_and_ownership() {
    let out = pave()
        .args(["show", "rust-service"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for must in [
        "rust-service@1.3.0",
        "replicas",
        "1..=50",
        "(required)",
        "one of github, gitlab",
        "Minimum replicas in production",
        "Components:",
        "seeded   src/main.rs",
        "merged   README.md",
        "managed  .gitlab-ci.yml  when ci_provider == 'gitlab'",
    ] {
        assert!(text.contains(must), "`{must}` missing from:\n{text}");
    }
    let json = pave()
        .args(["show", "rust-service@1.0.0", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let params = json["parameters"].as_array().unwrap();
    let replicas = params.iter().find(|p| p["name"] == "replicas").unwrap();
    assert_eq!(replicas["type"], "integer");
    assert_eq!(replicas["max"], 50);
    assert_eq!(json["components"][0]["name"], "app");
}

#[test]
fn completions_are_printed() {
    pave()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("pave"));
}
