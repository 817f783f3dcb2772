//! The rendered rust-service repo passes the real tools of its ecosystems: actionlint,
//! check-jsonschema (GitHub workflow, GitLab CI, Dependabot, Renovate schemas and pave's own),
//! kubernetes-validate --strict, kubectl kustomize, yamllint, promtool, hadolint, shellcheck and
//! python-hcl2. `.ci/setup-tools` installs them; in CI a missing validator fails the test.
//!
//! kubernetes-validate skips custom resources, so those (Argo Rollouts, Prometheus Operator) go
//! through check-jsonschema against strict schemas of their CRDs in `tests/data/crd-schemas`,
//! which `scripts/extract-crd-schemas.py` makes from the upstream CRDs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// Finds a validator in `.ci/venv/bin` or on PATH. Outside CI a missing one skips the test.
#[allow(clippy::print_stderr)] // a skipped validator must be visible in the test log
pub(crate) fn tool(name: &str) -> Option<PathBuf> {
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
pub(crate) fn check(dir: &Path, tool_name: &str, args: &[&str]) {
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
    let args = [&["--set", "train=checkout", "--no-git"], extra].concat();
    rust_service(&args)
}

fn files_with(dir: &Path, suffixes: &[&str]) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|p| suffixes.iter().any(|s| p.ends_with(s)))
        .collect()
}

/// The documents of a YAML stream that separates them with `---` lines, without empty ones.
fn documents(yaml: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in yaml.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.retain(|doc| {
        doc.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    docs
}

/// Validates each document of `yaml` that has a CRD schema (by apiVersion and kind) with
/// check-jsonschema, and returns the kinds it validated. `source` names `yaml` in failures.
fn check_custom_resources(dir: &Path, source: &str, yaml: &str) -> BTreeSet<String> {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crd-schemas");
    let scratch = tempfile::tempdir().unwrap();
    let mut by_schema: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut kinds = BTreeSet::new();
    for (i, doc) in documents(yaml).iter().enumerate() {
        let head: serde_json::Value =
            serde_saphyr::from_str(doc).unwrap_or_else(|e| panic!("{source}: {e}"));
        let (Some(api_version), Some(kind)) = (head["apiVersion"].as_str(), head["kind"].as_str())
        else {
            continue;
        };
        let schema = schemas.join(format!("{}_{kind}.json", api_version.replace('/', "_")));
        if !schema.is_file() {
            continue;
        }
        let name = source.trim_end_matches(".yaml").replace(['/', ' '], "_");
        let file = scratch.path().join(format!("{name}.{i}.{kind}.yaml"));
        std::fs::write(&file, doc).unwrap();
        by_schema
            .entry(schema)
            .or_default()
            .push(file.to_str().unwrap().to_owned());
        kinds.insert(kind.to_owned());
    }
    for (schema, files) in &by_schema {
        let mut args = vec!["--schemafile", schema.to_str().unwrap()];
        args.extend(files.iter().map(String::as_str));
        check(dir, "check-jsonschema", &args);
    }
    kinds
}

/// Fails unless every kind of `expected` was among the custom resources validated in `source`.
fn assert_validated(source: &str, validated: &BTreeSet<String>, expected: &[&str]) {
    let missing: Vec<_> = expected
        .iter()
        .filter(|kind| !validated.contains(**kind))
        .collect();
    assert!(
        missing.is_empty(),
        "{source}: {missing:?} not validated against a CRD schema (validated: {validated:?})"
    );
}

fn validate_common(dir: &Path, canary: bool) {
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
    // Custom resources (and the overlays' below): against their CRDs' schemas.
    let mut custom = vec!["ServiceMonitor"];
    if canary {
        custom.extend(["AnalysisTemplate", "Rollout"]);
    }
    let slo_rules = "observability/prometheus/slo-rules.yaml";
    let mut validated = BTreeSet::new();
    for file in base.iter().map(String::as_str).chain([slo_rules]) {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        validated.extend(check_custom_resources(dir, file, &text));
    }
    assert_validated(
        "base",
        &validated,
        &[custom.as_slice(), &["PrometheusRule"]].concat(),
    );
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
        let source = format!("kubectl kustomize {env}");
        let validated = check_custom_resources(dir, &source, &String::from_utf8_lossy(&out.stdout));
        let prometheus_rule: &[&str] = if env == "prod" {
            &["PrometheusRule"]
        } else {
            &[]
        };
        assert_validated(
            &source,
            &validated,
            &[custom.as_slice(), prometheus_rule].concat(),
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
    check(
        dir,
        "check-jsonschema",
        &[
            "--schemafile",
            schemas.join("gates.schema.json").to_str().unwrap(),
            ".pave/gates.yaml",
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
        "--set",
        "organization=octo-org",
    ]);
    validate_common(&dir, true);
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
    // A GitLab group's full path, as `git.remote_owner` gives it for a subgroup.
    let (_tmp, dir) = render(&[
        "--set",
        "ci_provider=gitlab",
        "--set",
        "canary=false",
        "--set",
        "organization=platform/payments",
    ]);
    validate_common(&dir, false);
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
