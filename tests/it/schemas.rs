//! The committed JSON Schemas in `schemas/` are exactly what the code generates.
//! To update them after changing the types: `cargo run -- schema golden-path > schemas/golden-path.schema.json`
//! `cargo run -- schema lock > schemas/lock.schema.json` and
//! `cargo run -- schema gates > schemas/gates.schema.json`.

use crate::support::*;

#[test]
fn committed_schemas_match_the_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for (name, file) in [
        ("golden-path", "golden-path.schema.json"),
        ("lock", "lock.schema.json"),
        ("gates", "gates.schema.json"),
    ] {
        let generated = pave().args(["schema", name]).output().unwrap();
        assert!(generated.status.success());
        let committed = std::fs::read(root.join(file)).unwrap_or_default();
        assert!(
            committed == generated.stdout,
            "schemas/{file} is stale: run `cargo run -- schema {name} > schemas/{file}`"
        );
    }
}

#[test]
fn the_lock_written_beside_the_lock_is_the_lock_schema() {
    let (_tmp, dir) = target();
    pave_new(
        "rust-service",
        &dir,
        &[&RUST_SERVICE_ANSWERS[..], &["--no-git", "--only", "ci"]].concat(),
    )
    .assert()
    .success();
    let beside = std::fs::read_to_string(dir.join(".pave/lock.schema.json")).unwrap();
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/lock.schema.json"),
    )
    .unwrap();
    assert_eq!(beside, committed);
}
