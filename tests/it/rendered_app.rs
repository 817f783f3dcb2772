//! The rendered service is real: it compiles and its own tests pass (`cargo test` inside the
//! rendered repo). Slow the first time (it builds axum and OpenTelemetry); the build cache lives
//! in `target/rendered-app` so later runs are incremental.

use std::path::Path;
use std::process::Command;

use crate::support::*;

#[test]
fn rendered_app_compiles_and_its_tests_pass() {
    let (_tmp, dir) = rust_service(&["--only", "app"]);
    let target_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/rendered-app");
    let out = Command::new(env!("CARGO"))
        .args(["test", "--quiet", "--locked"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo test in the rendered repo failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
