//! Every kind of bad input: exit 2, a message naming what is wrong and where, nothing written.

use crate::support::*;
use predicates::prelude::*;

#[test]
fn unknown_parameter() {
    refused(
        "rust-service",
        &["--set", "team=payments", "--set", "colour=red"],
        &[
            "error: unknown parameter `colour` (--set); rust-service@1.3.0 has: service_name,",
            "hint: see the parameters with `pave show",
        ],
    );
}

#[test]
fn bad_type() {
    refused(
        "rust-service",
        &["--set", "team=payments", "--set", "replicas=many"],
        &["parameter `replicas` expects an integer, got `many` (--set)"],
    );
    refused(
        "rust-service",
        &["--set", "team=payments", "--set", "canary=perhaps"],
        &["parameter `canary` expects true or false, got `perhaps`"],
    );
}

#[test]
fn out_of_range() {
    refused(
        "rust-service",
        &["--set", "team=payments", "--set", "replicas=80"],
        &["parameter `replicas` must be at most 50, got 80 (--set)"],
    );
}

#[test]
fn pattern_mismatch() {
    refused(
        "rust-service",
        &[
            "--set",
            "team=payments",
            "--set",
            "service_name=Payments_API",
        ],
        &["parameter `service_name` must match ^[a-z][a-z0-9-]{1,38}[a-z0-9]$, got `Payments_API`"],
    );
}

#[test]
fn a_folder_name_that_does_not_fit_the_default_is_named_once_as_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r1");
    pave_new("rust-service", &dir, &["--set", "team=payments", "--no-input"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "its default comes from the folder's name, `r1`, which must match ^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
        ))
        .stderr(predicate::str::contains("got `r1`").not());
    assert!(!dir.exists());
}

#[test]
fn bad_choice() {
    refused(
        "rust-service",
        &["--set", "team=payments", "--set", "ci_provider=jenkins"],
        &["parameter `ci_provider` must be one of github, gitlab, got `jenkins`"],
    );
}

#[test]
fn bad_answer_in_a_file_names_file_and_line() {
    let answers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(answers.path(), "team: payments\n\nreplicas: 80\n").unwrap();
    let path = answers.path().display().to_string();
    refused(
        "rust-service",
        &["--answers", &path],
        &[&format!(
            "parameter `replicas` must be at most 50, got 80 ({path}:3)"
        )],
    );
}

#[test]
fn malformed_answers_file() {
    let answers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(answers.path(), "team: [payments\n").unwrap();
    refused(
        "rust-service",
        &["--answers", &answers.path().display().to_string()],
        &["cannot read answers file", "line "],
    );
}

#[test]
fn missing_required_lists_every_parameter_and_how_to_pass_it() {
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}parameters:\n  team: {{type: string, required: true, help: Owning team}}\n  region: {{type: string}}\n  port: {{type: integer, default: 1}}\ncomponents:\n  app: {{}}\n"
    ));
    for extra in [&["--no-input"][..], &[][..]] {
        refused(
            &gp.arg(),
            extra,
            &[
                "error: 2 required parameters are missing: `team`, `region`",
                "--set team=<string>  # Owning team",
                "--set region=<string>",
            ],
        );
    }
}

#[test]
fn malformed_manifest_names_file_and_line() {
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}components:\n  app: {{}}\nparameters:\n  x: {{type: string, colour: red}}\n"
    ));
    refused(&gp.arg(), &[], &["golden-path.yaml:8: ", "colour"]);
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}components:\n  app: {{}}\nparameters:\n  n: {{type: integer, default: lots}}\n"
    ));
    refused(
        &gp.arg(),
        &[],
        &["golden-path.yaml:8: parameters.n: `default`: expects an integer, got `lots`"],
    );
    let gp = GoldenPathBuilder::new("apiVersion: pave.dev/v1\nname: [demo\n");
    refused(&gp.arg(), &[], &["golden-path.yaml:"]);
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}components:\n  app: {{}}\nfiles:\n  - {{glob: \"a/**\", when: \"x ==\"}}\n"
    ));
    refused(
        &gp.arg(),
        &[],
        &["golden-path.yaml:8: files[0]: bad `when` expression"],
    );
}

#[test]
fn template_syntax_error_names_golden_path_file_and_line() {
    let gp = GoldenPathBuilder::demo().file(
        "components/app/src/main.rs.jinja",
        "fn main() {}\n// {{ name }}\n{% if %}\n",
    );
    refused(
        &gp.arg(),
        &["--set", "name=x"],
        &["demo@1.0.0: components/app/src/main.rs.jinja:3: syntax error"],
    );
}

#[test]
fn undefined_variable_names_golden_path_file_and_line() {
    let gp = GoldenPathBuilder::demo().file("components/app/a.txt.jinja", "ok\nok\n{{ nmae }}\n");
    refused(
        &gp.arg(),
        &["--set", "name=x"],
        &["demo@1.0.0: components/app/a.txt.jinja:3: undefined value"],
    );
}

#[test]
fn non_empty_target() {
    let (_tmp, dir) = target();
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine").unwrap();
    pave_new("rust-service", &dir, &["--set", "team=payments"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exists and is not empty"))
        .stderr(predicate::str::contains(
            "hint: give a path that does not exist yet",
        ));
    assert_eq!(tree(&dir).len(), 1, "the folder is as it was");
}

#[test]
fn unknown_golden_path_and_version() {
    refused(
        "no-such-path",
        &[],
        &[
            "no golden path `no-such-path` in the builtin catalog; it has: rust-service",
            "hint: see what the catalog has with `pave list`",
        ],
    );
    refused(
        "rust-service@9.9.9",
        &[],
        &["no version of `rust-service` matches `rust-service@9.9.9`"],
    );
    refused(
        "rust-service@banana",
        &[],
        &["`rust-service@banana` is not a golden-path reference"],
    );
}

#[test]
fn unknown_component() {
    refused(
        "rust-service",
        &[
            "--set",
            "team=x1",
            "--set",
            "organization=acme",
            "--only",
            "ci,nope",
        ],
        &["rust-service@1.3.0 has no component `nope`"],
    );
}

#[test]
fn malformed_set() {
    refused(
        "rust-service",
        &["--set", "team"],
        &["`--set team` needs the form name=value"],
    );
}
