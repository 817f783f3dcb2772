//! Exceptions: `pave except` records a reviewed tailoring of a managed file, and every command
//! reports the repo as "conforming with exceptions" while the file holds exactly that change —
//! never as plainly conforming, and never once the change grows unreviewed.

use std::path::Path;

use crate::support::*;
use predicates::prelude::*;

const POLICY: &str = "deploy/base/networkpolicy.yaml";
const REASON: &str = "our ingress controller runs in namespace gateway";

fn tailor(dir: &Path) {
    let path = dir.join(POLICY);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}# tailored: gateway namespace\n")).unwrap();
}

fn except(dir: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = pave();
    cmd.args(["except", "-C"]).arg(dir).args(args);
    cmd
}

fn lock_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(".pave/lock.yaml")).unwrap()
}

#[test]
fn an_exception_is_recorded_and_shown_everywhere_as_its_own_status() {
    let (tmp, dir) = rust_service(&["--no-input"]);
    tailor(&dir);
    // Without the exception the edit is drift.
    pave_check(&dir, &[]).assert().code(1);

    except(&dir, &[POLICY, "--reason", REASON])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "Excepted {POLICY} (+1 -0): {REASON}"
        )));
    let lock = lock_text(&dir);
    assert!(lock.contains(&format!("reason: {REASON}")), "{lock}");
    assert!(lock.contains("added: 1"), "{lock}");

    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "rust-service@1.3.0: conforms with exceptions",
        ))
        .stdout(predicate::str::contains(format!(
            "excepted                       {POLICY} (+1 -0): {REASON}"
        )));
    let json = pave_check(&dir, &["--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["verdict"], "conforming with exceptions", "{json}");
    assert_eq!(json["exceptions"], 1);
    let file = json["golden_paths"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == POLICY)
        .unwrap();
    assert_eq!(file["state"], "excepted");
    assert_eq!(file["exception"]["reason"], REASON);

    let sarif = pave_check(&dir, &["--format", "sarif"]).output().unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let excepted = results
        .iter()
        .find(|r| r["ruleId"] == "pave/excepted")
        .expect("an excepted result");
    assert_eq!(excepted["level"], "note");
    assert!(
        excepted["message"]["text"]
            .as_str()
            .unwrap()
            .contains(REASON)
    );
    pave_check(&dir, &["--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("with 1 exception(s)"))
        .stdout(predicate::str::contains(format!(
            "excepted (+1 -0): {REASON}"
        )));

    commit_all(&dir, "tailor the network policy");
    pave()
        .args(["gate", "conformance", "--base", "HEAD", "--repo"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "conforming with exceptions, 1 exception(s)",
        ));

    let audit = audit_offline(tmp.path());
    let repo = &audit["repos"][0];
    assert_eq!(repo["status"], "excepted", "{repo}");
    assert_eq!(repo["excepted_files"], serde_json::json!([POLICY]));
    pave()
        .args(["audit", "--offline"])
        .arg(tmp.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("conforming with exceptions 1"))
        .stdout(predicate::str::contains("With exceptions (1):"));

    // `pave diff` leaves the recorded tailoring out, and says so; --all shows it.
    pave()
        .args(["diff", "-C"])
        .arg(&dir)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "apart from 1 excepted or diverged file(s)",
        ));
    pave()
        .args(["diff", "--all", "-C"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("+# tailored: gateway namespace"));
}

#[test]
fn a_tailoring_that_grows_after_review_is_drift_until_recorded_again() {
    let (_tmp, dir) = rust_service(&["--no-input"]);
    tailor(&dir);
    except(&dir, &[POLICY, "--reason", REASON])
        .assert()
        .success();
    tailor(&dir);
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "drifted (managed file edited)  {POLICY}"
        )));
    // Recorded again without --reason: the reason stays, size and fingerprint follow.
    except(&dir, &[POLICY])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "Updated exception of {POLICY}, now (+2 -0): {REASON}"
        )));
    pave_check(&dir, &[]).assert().success();
    // Dropped: the tailoring is drift again, and the way back is named.
    except(&dir, &["--drop", POLICY])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "still holds its tailoring, which is drift now: `pave apply rust-service@1.3.0 --force --allow-dirty`",
        ));
    assert!(!lock_text(&dir).contains("exception:"));
    pave_check(&dir, &[]).assert().code(1);
}

#[test]
fn what_cannot_be_excepted_is_refused_and_the_lock_is_untouched() {
    let (_tmp, dir) = rust_service(&["--no-input"]);
    let before = lock_text(&dir);
    let refused = |args: &[&str], expected: &str| {
        except(&dir, args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
        assert_eq!(lock_text(&dir), before, "{args:?} wrote the lock");
    };
    refused(
        &[POLICY, "--reason", REASON],
        "the file is exactly what rust-service@1.3.0 renders; edit it first",
    );
    tailor(&dir);
    refused(&[POLICY], "say why with --reason");
    refused(&[POLICY, "--reason", "  "], "--reason: must say why");
    refused(
        &["README.md", "--reason", REASON],
        "README.md: a merged file of rust-service@1.3.0 needs no exception",
    );
    refused(
        &["src/main.rs", "--reason", REASON],
        "seeded files are the repo's own",
    );
    refused(
        &["nope.txt", "--reason", REASON],
        "nope.txt: not in the lock",
    );
    refused(&["../x", "--reason", REASON], "FILE: `../x`");
    refused(&["--drop", POLICY], "has no recorded exception to drop");
    refused(
        &[POLICY, "--reason", "fine \u{202e}gnp.exe"],
        "without control or text-direction characters",
    );
    for markers in [
        "<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n",
        // A `git merge` of two branches that both excepted the file.
        "<<<<<<< HEAD\na\n=======\nb\n>>>>>>> other-branch\n",
    ] {
        std::fs::write(dir.join(POLICY), markers).unwrap();
        refused(
            &[POLICY, "--reason", REASON],
            "still holds conflict markers",
        );
    }
}

#[test]
fn a_hand_edited_exception_is_caught() {
    let (_tmp, dir) = rust_service(&["--no-input"]);
    tailor(&dir);
    except(&dir, &[POLICY, "--reason", REASON])
        .assert()
        .success();
    let lock = lock_text(&dir);
    // A reason that would inject a workflow command into a CI log.
    std::fs::write(
        dir.join(".pave/lock.yaml"),
        lock.replace(
            &format!("reason: {REASON}"),
            "reason: \"x\\n::error file=x::injected\"",
        ),
    )
    .unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".exception.reason: one line of text",
        ));
    // A size that understates the change is a lock mismatch.
    std::fs::write(
        dir.join(".pave/lock.yaml"),
        lock.replace("added: 1", "added: 0"),
    )
    .unwrap();
    pave_check(&dir, &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "lock mismatch: {POLICY}: the exception records +0 -0 lines, but the file is +1 -0"
        )));
}

#[test]
fn apply_keeps_an_excepted_file_even_forced_and_only_drop_gives_it_up() {
    let (_tmp, dir) = rust_service(&["--no-input"]);
    tailor(&dir);
    except(&dir, &[POLICY, "--reason", REASON])
        .assert()
        .success();
    commit_all(&dir, "tailor");
    let tailored = std::fs::read(dir.join(POLICY)).unwrap();
    for args in [&["--no-input"][..], &["--no-input", "--force"][..]] {
        pave_apply("rust-service", &dir, args).assert().success();
        assert_eq!(
            std::fs::read(dir.join(POLICY)).unwrap(),
            tailored,
            "{args:?}"
        );
        assert!(
            lock_text(&dir).contains(REASON),
            "the exception stays: {args:?}"
        );
        pave_check(&dir, &[]).assert().success();
    }
    except(&dir, &["--drop", POLICY]).assert().success();
    pave_apply(
        "rust-service",
        &dir,
        &["--no-input", "--force", "--allow-dirty"],
    )
    .assert()
    .success();
    assert_ne!(std::fs::read(dir.join(POLICY)).unwrap(), tailored);
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("rust-service@1.3.0: conforms\n"));
}

#[test]
fn new_answers_that_change_an_excepted_files_render_are_a_conflict_unless_kept_or_forced() {
    const HPA: &str = "deploy/base/hpa.yaml";
    let (_tmp, dir) = rust_service(&["--no-input"]);
    for file in [HPA, POLICY] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        std::fs::write(dir.join(file), format!("{text}# ours\n")).unwrap();
        except(&dir, &[file, "--reason", REASON]).assert().success();
    }
    commit_all(&dir, "tailor");
    let before = tree(&dir);
    // canary=false renders hpa.yaml differently (it scales a Deployment, not a Rollout).
    pave_apply(
        "rust-service",
        &dir,
        &["--no-input", "--set", "canary=false"],
    )
    .assert()
    .code(1)
    .stderr(predicate::str::contains(format!("CONFLICT  {HPA}")))
    .stderr(predicate::str::contains(
        "--conflict FILE=keep keeps your version",
    ));
    assert_eq!(tree(&dir), before, "nothing written");

    // Kept as it is: the exception stays, measured against the new render.
    pave_apply(
        "rust-service",
        &dir,
        &[
            "--no-input",
            "--set",
            "canary=false",
            "--conflict",
            &format!("{HPA}=keep"),
        ],
    )
    .assert()
    .success();
    assert!(
        std::fs::read_to_string(dir.join(HPA))
            .unwrap()
            .ends_with("# ours\n")
    );
    pave_check(&dir, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 excepted"));
    commit_all(&dir, "kept");

    // Forced: only the file whose render changed loses its exception, and it is said.
    pave_apply("rust-service", &dir, &["--no-input", "--set", "canary=true", "--force"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "{HPA}: excepted, and these answers change its render: --force takes the new render and drops the exception"
        )));
    let lock = lock_text(&dir);
    assert_eq!(lock.matches("exception:").count(), 1, "{lock}");
    assert!(
        std::fs::read_to_string(dir.join(POLICY))
            .unwrap()
            .ends_with("# ours\n")
    );
}

#[test]
fn conflict_modes_are_given_once_for_every_file() {
    let (_tmp, dir) = rust_service(&["--no-input"]);
    pave_apply(
        "rust-service",
        &dir,
        &["--conflict", "keep", "--conflict", "write-new"],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains(
        "a second mode for every file (after `keep`)",
    ));
    pave_apply(
        "rust-service",
        &dir,
        &["--no-input", "--conflict", "./README.md=keep", "--dry-run"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains(
        "--conflict `./README.md=keep`: the glob matches no file of rust-service@1.3.0",
    ));
}

#[test]
fn a_file_kept_with_conflict_keep_makes_the_repo_conforming_with_exceptions() {
    let dir = git_repo(&[("deploy/base/hpa.yaml", "# ours\n")]);
    pave_apply(
        "rust-service",
        dir.path(),
        &[
            "--no-input",
            "--set",
            "team=payments",
            "--set",
            "organization=acme",
            "--conflict",
            "keep",
        ],
    )
    .assert()
    .success();
    pave_check(dir.path(), &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("conforms with exceptions"))
        .stdout(predicate::str::contains(
            "diverged (kept by choice)      deploy/base/hpa.yaml",
        ));
    let json = pave_check(dir.path(), &["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["verdict"], "conforming with exceptions");
}
