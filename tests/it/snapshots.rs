//! Snapshots (insta) of the rendered rust-service tree for both CI providers, canary on and off.
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test`).

use crate::support::*;

fn rendered(extra: &[&str]) -> String {
    let (_tmp, dir) = rust_service(&[&["--no-git"], extra].concat());
    let mut out = String::new();
    for (path, bytes) in tree(&dir) {
        if path == ".pave/lock.schema.json" || path == "Cargo.lock" {
            // The schema is checked against schemas/ by its own test; the Cargo.lock by
            // `cargo test --locked` in rendered_app. Their size would drown the review.
            out.push_str(&format!(
                "==> {path} <==\n[{} lines]\n",
                bytes.iter().filter(|b| **b == b'\n').count()
            ));
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        out.push_str(&format!("==> {path} <==\n{text}"));
        if !text.ends_with('\n') {
            out.push_str("\n<no newline at end>\n");
        }
    }
    out
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"repo_id: [0-9a-f-]{36}", "repo_id: [uuid]");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn github_canary() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "github_canary",
            rendered(&["--set", "ci_provider=github", "--set", "canary=true"])
        )
    });
}

#[test]
fn github_no_canary() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "github_no_canary",
            rendered(&["--set", "ci_provider=github", "--set", "canary=false"])
        )
    });
}

#[test]
fn gitlab_canary() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "gitlab_canary",
            rendered(&["--set", "ci_provider=gitlab", "--set", "canary=true"])
        )
    });
}

#[test]
fn gitlab_no_canary() {
    settings().bind(|| {
        insta::assert_snapshot!(
            "gitlab_no_canary",
            rendered(&["--set", "ci_provider=gitlab", "--set", "canary=false"])
        )
    });
}
