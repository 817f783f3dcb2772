//! The rendered rust-service repo passes the real tools of its ecosystems: actionlint,
//! check-jsonschema (GitHub workflow, GitLab CI, Dependabot, Renovate schemas and pave's own),
//! kubernetes-validate --strict, kubectl kustomize, yamllint, promtool, hadolint, shellcheck and
//! python-hcl2. `.ci/setup-tools` installs them; in CI a missing validator fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// Finds a validator in `.ci/venv/bin` or on PATH. Outside CI a missing one skips the test.
#[allow(clippy::print_stderr)] // a skipped validator must be visible in the test log
fn tool(name: &str) -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/venv/bin")
        .join(name);
    if venv.is_file() {
        return Some(venv);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if on_path.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "validator `{name}` is missing; `.ci/setup-tools` installs it"
        );
        eprintln!("skipping: validator `{name}` is not installed (run .ci/setup-tools)");
    }
    on_path
}

/// Runs a validator and fails the test with its output if it reports anything.
fn check(dir: &Path, tool_name: &str, args: &[&str]) {
    let Some(exe) = tool(tool_name) else { return };
    let out = Command::new(&exe)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool_name} {args:?} failed in {}:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn render(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = target();
    pave_new(
        "rust-service",
        &dir,
        &[
            "--set",
            "team=payments",
            "--set",
            "train=checkout",
            "--no-git",
        ],
    )
    .args(extra)
    .assert()
    .success();
    (tmp, dir)
}

fn files_with(dir: &Path, suffixes: &[&str]) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|p| suffixes.iter().any(|s| p.ends_with(s)))
        .collect()
}

fn validate_common(dir: &Path) {
    let yaml = files_with(dir, &[".yaml", ".yml"]);
    let mut args = vec!["--strict", "-c", ".yamllint.yaml"];
    args.extend(yaml.iter().map(String::as_str));
    check(dir, "yamllint", &args);

    // Kubernetes: every base manifest, and every overlay as kustomize builds it.
    let base: Vec<String> = files_with(dir, &[".yaml"])
        .into_iter()
        .filter(|p| p.starts_with("deploy/base/") && !p.ends_with("kustomization.yaml"))
        .collect();
    assert!(!base.is_empty());
    let mut args = vec!["--strict"];
    args.extend(base.iter().map(String::as_str));
    check(dir, "kubernetes-validate", &args);
    for env in ["dev", "staging", "prod"] {
        let Some(kubectl) = tool("kubectl") else {
            return;
        };
        let out = Command::new(kubectl)
            .args(["kustomize", &format!("deploy/overlays/{env}")])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl kustomize {env}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let built = dir.join(format!("built-{env}.yaml"));
        std::fs::write(&built, &out.stdout).unwrap();
        check(
            dir,
            "kubernetes-validate",
            &["--strict", built.to_str().unwrap()],
        );
        std::fs::remove_file(built).unwrap();
    }

    // slo-rules.yaml is a PrometheusRule; the repo's own check script extracts its spec and runs
    // `promtool check rules` and the burn-rate unit tests (`promtool test rules`).
    if tool("promtool").is_some() {
        check(dir, "sh", &["observability/prometheus/tests/check.sh"]);
    }
    assert!(
        dir.join("observability/prometheus/tests/slo-rules_test.yaml")
            .is_file()
    );

    check(dir, "hadolint", &["Dockerfile"]);
    let scripts = files_with(dir, &[".sh"]);
    if !scripts.is_empty() {
        let mut args = vec!["--severity=style"];
        args.extend(scripts.iter().map(String::as_str));
        check(dir, "shellcheck", &args);
    }
    let hcl = files_with(dir, &[".tf", ".tfvars", ".hcl"]);
    assert!(
        hcl.iter().any(|f| f.ends_with(".tf")),
        "no Terraform rendered"
    );
    for file in &hcl {
        check(dir, "hcl2tojson", &[file]);
    }
    for json in files_with(dir, &[".json"]) {
        let text = std::fs::read_to_string(dir.join(&json)).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{json}: {e}"));
    }

    // pave's own files against pave's own schemas.
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    check(
        dir,
        "check-jsonschema",
        &[
            "--schemafile",
            schemas.join("lock.schema.json").to_str().unwrap(),
            ".pave/lock.yaml",
        ],
    );
}

#[test]
fn github_canary_passes_the_validators() {
    let (_tmp, dir) = render(&[
        "--set",
        "ci_provider=github",
        "--set",
        "canary=true",
        "--set",
        "protected_environments=staging,prod",
    ]);
    validate_common(&dir);
    let workflows = files_with(&dir, &[".yml"])
        .into_iter()
        .filter(|p| p.starts_with(".github/workflows/"))
        .collect::<Vec<_>>();
    assert!(!workflows.is_empty());
    let mut args = vec!["-no-color"];
    args.extend(workflows.iter().map(String::as_str));
    check(&dir, "actionlint", &args);
    let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
    args.extend(workflows.iter().map(String::as_str));
    check(&dir, "check-jsonschema", &args);
    check(
        &dir,
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.dependabot",
            ".github/dependabot.yml",
        ],
    );
}

#[test]
fn gitlab_plain_deployment_passes_the_validators() {
    let (_tmp, dir) = render(&["--set", "ci_provider=gitlab", "--set", "canary=false"]);
    validate_common(&dir);
    check(
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
    check(
        &dir,
        "check-jsonschema",
        &["--builtin-schema", "vendor.renovate", "renovate.json"],
    );
}

#[test]
fn the_builtin_manifest_matches_its_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for manifest in walkdir::WalkDir::new(root.join("golden-paths"))
        .into_iter()
        .filter_map(Result::ok)
    {
        if manifest.file_name() == "golden-path.yaml" {
            check(
                root,
                "check-jsonschema",
                &[
                    "--schemafile",
                    "schemas/golden-path.schema.json",
                    manifest.path().to_str().unwrap(),
                ],
            );
        }
    }
}
