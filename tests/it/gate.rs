//! `pave gate`: real git repos built in temp dirs with the `git` command line (merges and shallow
//! clones as CI makes them), gated with the real binary.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::support::*;

/// A git repo in a temp dir: `main` with a README and, when given, `.pave/gates.yaml`; then
/// a `feature` branch checked out.
struct Repo {
    tmp: tempfile::TempDir,
}

const LIMIT_10: &str =
    "pr_size:\n  max_changed_lines: 10\n  exclude: [Cargo.lock, \"**/*.snap\"]\n";

fn lines(n: usize, word: &str) -> String {
    (1..=n).map(|i| format!("{word} {i}\n")).collect()
}

impl Repo {
    fn new(config: Option<&str>) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Self { tmp };
        std::fs::create_dir(repo.dir()).unwrap();
        repo.git(&["init", "-q"]);
        repo.write("README.md", "# demo\n");
        repo.write("src/lib.rs", &lines(20, "// base"));
        if let Some(config) = config {
            repo.write(".pave/gates.yaml", config);
        }
        repo.commit("initial");
        repo.git(&["checkout", "-q", "-b", "feature"]);
        repo
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(&self.dir(), args)
    }

    fn write(&self, path: &str, content: &str) -> &Self {
        let p = self.dir().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    fn commit(&self, message: &str) -> &Self {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self
    }

    fn gate(&self, args: &[&str]) -> assert_cmd::Command {
        gate_in(&self.dir(), args)
    }

    /// `--format json` of `args`, parsed.
    fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let out = self
            .gate(&[args, &["--format", "json"]].concat())
            .output()
            .unwrap();
        let code = out.status.code().unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, json)
    }
}

fn gate_in(dir: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = pave();
    cmd.env_remove("GITHUB_BASE_REF")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        .env_remove("CI_MERGE_REQUEST_DIFF_BASE_SHA")
        .arg("gate")
        .args(args)
        .arg("--repo")
        .arg(dir);
    cmd
}

fn gate_json<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

#[test]
fn pr_size_passes_at_the_limit_and_fails_one_line_over() {
    let repo = Repo::new(Some(LIMIT_10));
    repo.write("src/new.rs", &lines(10, "fn"))
        .commit("ten lines");
    repo.gate(&["pr-size"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS  pr-size: 10 changed lines"))
        .stdout(predicate::str::contains("src/new.rs"));

    repo.write("src/new.rs", &lines(11, "fn"))
        .commit("eleven lines");
    repo.gate(&["pr-size"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL  pr-size: 11 changed lines"))
        .stdout(predicate::str::contains("changed lines: 11 > 10"))
        .stdout(predicate::str::contains("+11 -0  src/new.rs"))
        .stdout(predicate::str::contains("next: split the change"));
}

#[test]
fn deleted_lines_count_and_renames_and_binaries_are_listed() {
    let repo = Repo::new(Some(LIMIT_10));
    // 20 lines → the first 17 kept and 2 new: 3 deleted + 2 added.
    let mut text = lines(17, "// base");
    text.push_str("new a\nnew b\n");
    repo.write("src/lib.rs", &text);
    repo.git(&["mv", "README.md", "README.markdown"]);
    std::fs::write(repo.dir().join("logo.png"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    repo.commit("edit, rename, binary");
    let (code, report) = repo.json(&["pr-size"]);
    assert_eq!(code, 0, "{report:#}");
    let gate = gate_json(&report, "pr-size");
    assert_eq!(gate["measures"][0]["value"], 5);
    let files = gate["files"].as_array().unwrap();
    let file = |p: &str| files.iter().find(|f| f["path"] == p).unwrap();
    assert_eq!(file("src/lib.rs")["added"], 2);
    assert_eq!(file("src/lib.rs")["deleted"], 3);
    assert_eq!(file("README.markdown")["status"], "renamed");
    assert_eq!(file("README.markdown")["old_path"], "README.md");
    assert_eq!(file("logo.png")["binary"], true);
    assert_eq!(report["range"]["base_ref"], "main");
}

#[test]
fn excluded_files_are_listed_but_not_counted() {
    let repo = Repo::new(Some(LIMIT_10));
    repo.write("Cargo.lock", &lines(500, "dep"))
        .write("tests/snapshots/a.snap", &lines(50, "snap"))
        .write("src/a.rs", &lines(4, "fn"))
        .commit("lock file, snapshot and code");
    repo.gate(&["pr-size"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("4 changed lines"))
        .stdout(predicate::str::contains("2 excluded file(s) not counted"))
        .stdout(predicate::str::contains(
            "not counted (excluded): Cargo.lock (+500 -0)",
        ));
}

#[test]
fn the_default_base_comes_from_the_ci_environment() {
    let repo = Repo::new(Some(LIMIT_10));
    repo.git(&["branch", "release"]);
    repo.write("src/a.rs", &lines(4, "fn")).commit("four");
    repo.git(&["checkout", "-q", "release"]);
    repo.write("src/b.rs", &lines(30, "fn")).commit("thirty");
    repo.git(&["checkout", "-q", "feature"]);
    // The default base is main; GitLab's variable names another branch.
    let (_, report) = repo.json(&["pr-size"]);
    assert_eq!(report["range"]["base_ref"], "main");
    let out = repo
        .gate(&["pr-size", "--format", "json"])
        .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "release")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["range"]["base_ref"], "release");
    assert_eq!(gate_json(&report, "pr-size")["measures"][0]["value"], 4);
    // A GitLab merge-request pipeline that did not fetch the target branch: its diff base.
    let main = repo.git(&["rev-parse", "main"]);
    let out = repo
        .gate(&["pr-size", "--format", "json"])
        .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "unfetched")
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", main.trim())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["range"]["base_ref"], main.trim());
    // A base that exists nowhere is an error, naming what was tried.
    repo.gate(&["pr-size"])
        .env("GITHUB_BASE_REF", "nope")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("origin/nope, nope"))
        .stderr(predicate::str::contains("--base"));
}

const MARKED: [(&str, &str); 6] = [
    (
        "Co-authored-by: GitHub Copilot <175728472+Copilot@users.noreply.github.com>",
        "Co-authored-by: *Copilot*",
    ),
    (
        "Co-authored-by: Claude <noreply@anthropic.com>",
        "Co-authored-by: *Claude*",
    ),
    ("Assisted-by: Cursor", "Assisted-by: *"),
    ("AI-Assisted: true", "AI-Assisted: true"),
    ("ai-assisted: TRUE", "AI-Assisted: true"),
    ("Generated-by: ChatGPT 5", "Generated-by: *"),
];

#[test]
fn each_kind_of_trailer_marks_a_commit_and_says_why() {
    for (trailer, marker) in MARKED {
        let repo = Repo::new(None);
        repo.write("src/a.rs", "fn a() {}\n")
            .write("tests/a.rs", "#[test]\nfn a() {}\n")
            .commit(&format!("Add a\n\nSome explanation.\n\n{trailer}\n"));
        let (code, report) = repo.json(&["ai-provenance", "--base", "main"]);
        assert_eq!(code, 0, "{trailer}: {report:#}");
        let gate = gate_json(&report, "ai-provenance");
        let commits = gate["ai_commits"].as_array().unwrap();
        assert_eq!(commits.len(), 1, "{trailer}: {gate:#}");
        let reason = commits[0]["reasons"][0].as_str().unwrap();
        assert!(
            reason.contains(trailer) && reason.contains(marker),
            "{trailer}: {reason}"
        );
        assert_eq!(commits[0]["summary"], "Add a");
    }
}

#[test]
fn commits_without_an_ai_trailer_pass_with_a_note() {
    let repo = Repo::new(None);
    repo.write("src/a.rs", &lines(300, "fn"))
        .commit("Human work\n\nCo-authored-by: Jane Doe <jane@example.com>\nAI-Assisted: false\nReviewed-by: Copilot Fan <fan@example.com>\n");
    repo.gate(&["ai-provenance"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "PASS  ai-provenance: no AI-assisted commits",
        ));
}

#[test]
fn an_ai_assisted_change_has_the_smaller_size_limit() {
    let repo = Repo::new(None);
    repo.write("src/a.rs", &lines(201, "fn"))
        .write("tests/a.rs", "#[test]\nfn a() {}\n")
        .commit("Big\n\nAssisted-by: Claude\n");
    // pr-size's own limit (400) passes; the AI limit (200) does not.
    repo.gate(&["pr-size"]).assert().code(0);
    repo.gate(&["ai-provenance"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "changed lines (AI-assisted change, tests apart): 201 > 200",
        ))
        .stdout(predicate::str::contains(
            "2 changed test line(s) are not counted towards the AI-assisted size limit",
        ))
        .stdout(predicate::str::contains("Assisted-by: Claude"));
}

#[test]
fn ai_source_changes_need_test_changes() {
    let repo = Repo::new(None);
    repo.write("src/lib.rs", &lines(25, "// base"))
        .commit("More\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\n");
    repo.gate(&["ai-provenance", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::error file=src/lib.rs,title=Source changed without tests (rust)::src/lib.rs was changed by AI-assisted commit(s)",
        ));
    // A human commit adding the tests satisfies the rule: the change as a whole has tests.
    repo.write("tests/lib.rs", "#[test]\nfn more() {}\n")
        .commit("Tests");
    repo.gate(&["ai-provenance"]).assert().code(0);
    // A test file under src/ counts as a test, not as source.
    let repo = Repo::new(None);
    repo.write("src/gate/tests.rs", "#[test]\nfn t() {}\n")
        .commit("Only tests\n\nAI-Assisted: true\n");
    repo.gate(&["ai-provenance"]).assert().code(0);
}

#[test]
fn commits_of_merged_branches_count() {
    let repo = Repo::new(Some(&format!("{LIMIT_10}conformance:\n  enabled: false\n")));
    repo.write("docs/a.md", "a\n").commit("human");
    repo.git(&["checkout", "-q", "-b", "side", "main"]);
    repo.write("src/side.rs", &lines(12, "fn"))
        .commit("Side work\n\nCo-authored-by: Gemini <gemini@google.com>\n");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "--no-ff", "side", "-m", "Merge side"]);
    let (code, report) = repo.json(&["all"]);
    assert_eq!(code, 1, "{report:#}");
    let size = gate_json(&report, "pr-size");
    assert_eq!(size["measures"][0]["value"], 13);
    assert_eq!(size["status"], "fail");
    let ai = gate_json(&report, "ai-provenance");
    let commits = ai["ai_commits"].as_array().unwrap();
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0]["summary"], "Side work");
    assert_eq!(commits[0]["files"][0], "src/side.rs");
}

#[test]
fn a_shallow_clone_without_the_base_is_an_error_that_says_how_to_fix_it() {
    let repo = Repo::new(None);
    repo.write("src/a.rs", "fn a() {}\n").commit("one");
    repo.write("src/b.rs", "fn b() {}\n").commit("two");
    let origin = format!("file://{}", repo.dir().display());
    // Only the feature branch, one commit deep: no origin/main at all.
    git_in(
        repo.tmp.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &origin, "shallow",
        ],
    );
    gate_in(&repo.tmp.path().join("shallow"), &["pr-size"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("origin/main, main"))
        .stderr(predicate::str::contains("shallow clone"))
        .stderr(predicate::str::contains("fetch-depth: 0"))
        .stderr(predicate::str::contains("GIT_DEPTH: 0"))
        .stderr(predicate::str::contains("git fetch --unshallow"));
    // Both branches, one commit deep: the base is there, the merge base is not.
    git_in(
        repo.tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            "--branch",
            "feature",
            &origin,
            "both",
        ],
    );
    gate_in(&repo.tmp.path().join("both"), &["all"])
        .env("GITHUB_BASE_REF", "main")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("shallow clone"))
        .stderr(predicate::str::contains("merge base of `origin/main`"))
        .stderr(predicate::str::contains("fetch-depth: 0"));
    // The full clone works, from origin/main.
    git_in(
        repo.tmp.path(),
        &["clone", "-q", "--branch", "feature", &origin, "full"],
    );
    let out = gate_in(
        &repo.tmp.path().join("full"),
        &["pr-size", "--format", "json"],
    )
    .output()
    .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["range"]["base_ref"], "origin/main");
    assert_eq!(gate_json(&report, "pr-size")["measures"][0]["value"], 2);
}

#[test]
fn an_invalid_config_is_an_error_naming_the_line_and_field() {
    let repo = Repo::new(Some(
        "pr_size:\n  max_changed_lines: 10\nai_provenance:\n  rules:\n    min_changed_line_coverage: 180\n",
    ));
    repo.gate(&["pr-size"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "gates.yaml:5: ai_provenance.rules.min_changed_line_coverage: must be a percentage",
        ))
        .stderr(predicate::str::contains("pave schema gates"));
    let repo = Repo::new(Some("pr_size:\n  max_changed_line: 10\n"));
    repo.gate(&["all"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("gates.yaml:2"))
        .stderr(predicate::str::contains("max_changed_line"));
    let repo = Repo::new(None);
    repo.gate(&["pr-size", "--config", "nowhere.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nowhere.yaml"));
    repo.gate(&["pr-size", "--head", "no-such-branch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`no-such-branch` is not a commit"));
    gate_in(repo.tmp.path(), &["pr-size"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not in a git repository"));
}

#[test]
fn without_a_config_the_documented_defaults_apply() {
    let repo = Repo::new(None);
    repo.write("src/a.rs", &lines(400, "fn")).commit("400");
    repo.gate(&["pr-size"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("config: defaults"))
        .stdout(predicate::str::contains("limit 400"));
    repo.write("src/a.rs", &lines(401, "fn")).commit("401");
    repo.gate(&["pr-size"]).assert().code(1);
}

#[test]
fn several_formats_in_one_run_each_to_its_place() {
    let repo = Repo::new(Some(&format!("{LIMIT_10}conformance:\n  enabled: false\n")));
    repo.write("src/a.rs", &lines(12, "fn"))
        .write("tests/a.rs", "#[test]\nfn a() {}\n")
        .commit("Twelve\n\nGenerated-by: Codeium\n");
    let summary = repo.tmp.path().join("summary.md");
    let report = repo.tmp.path().join("gate.json");
    let out = repo
        .gate(&[
            "all",
            "--format",
            "github",
            "--format",
            "markdown",
            "--output",
            summary.to_str().unwrap(),
            "--format",
            "json",
            "--output",
            report.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let github = String::from_utf8(out.stdout).unwrap();
    assert!(
        github.contains("::error title=Change too big::14 changed lines is over the limit of 10"),
        "{github}"
    );
    assert!(
        github.contains("::error title=pave gate pr-size::FAIL"),
        "{github}"
    );
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(markdown.starts_with("## ❌ pave gate:"), "{markdown}");
    assert!(markdown.contains("| `pr-size` | ❌ FAIL |"), "{markdown}");
    assert!(markdown.contains("| `src/a.rs` | +12 -0 |"), "{markdown}");
    assert!(markdown.contains("Generated-by: Codeium"), "{markdown}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["passed"], false);
    assert_eq!(json["gates"][1]["gate"], "ai-provenance");
    assert_eq!(json["gates"][2]["status"], "skipped");
}

#[test]
fn output_before_any_format_is_a_usage_error() {
    let repo = Repo::new(None);
    repo.gate(&["pr-size", "--output", "x.md", "--format", "markdown"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("comes before any --format"));
    repo.gate(&["pr-size", "--format", "json", "--format", "text"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only one format can go to stdout"));
    repo.gate(&["pr-size", "--coverage", "lcov.info"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--coverage is for"));
}

/// A repo rendered by `pave new` (it has a lock), on branch `feature`.
fn adopted() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = rust_service(&["--only", "app,quality-gates"]);
    git_in(&dir, &["checkout", "-q", "-b", "feature"]);
    (tmp, dir)
}

#[test]
fn conformance_is_pave_check_as_a_gate() {
    let (_tmp, dir) = adopted();
    gate_in(&dir, &["conformance"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS  conformance:"));
    std::fs::write(dir.join(".pave/gates.yaml"), "# edited\n").unwrap();
    gate_in(&dir, &["conformance", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::error file=.pave/gates.yaml,title=Managed file drifted",
        ));
    pave_check(&dir, &[]).assert().code(1);
}

#[test]
fn all_runs_every_enabled_gate_and_skips_the_others() {
    let (_tmp, dir) = adopted();
    std::fs::write(dir.join("src/extra.rs"), lines(3, "// x")).unwrap();
    git_in(&dir, &["add", "-A"]);
    git_in(&dir, &["commit", "-q", "-m", "extra"]);
    let out = gate_in(&dir, &["all", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["gate"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pr-size", "ai-provenance", "conformance"]);
    assert!(
        report["config"]
            .as_str()
            .unwrap()
            .ends_with(".pave/gates.yaml")
    );

    let repo = Repo::new(Some(
        "conformance:\n  enabled: false\npr_size:\n  enabled: false\n",
    ));
    repo.gate(&["all"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SKIP  pr-size"))
        .stdout(predicate::str::contains("SKIP  conformance"))
        .stdout(predicate::str::contains("PASS  ai-provenance"));
}

/// An AI commit adds src/calc.rs (lines 1-10); coverage reports know lines 2-9 of it.
fn covered_repo() -> Repo {
    let repo = Repo::new(None);
    repo.write("src/calc.rs", &lines(10, "let x ="))
        .write("tests/calc.rs", "#[test]\nfn calc() {}\n")
        .commit("Calc\n\nCo-authored-by: Copilot <copilot@github.com>\n");
    repo
}

/// Lines 2-9 coverable; 2, 3, 4, 5, 6, 7 hit; 8 and 9 not: 6 of 8 = 75%.
const LCOV: &str = "TN:\nSF:src/calc.rs\nDA:2,1\nDA:3,4\nDA:4,1\nDA:5,1\nDA:6,2\nDA:7,1\nDA:8,0\nDA:9,0\nLF:8\nLH:6\nend_of_record\n";

fn cobertura(root: &Path) -> String {
    let line = |n: u32, hits: u32| format!("<line number=\"{n}\" hits=\"{hits}\"/>");
    let lines: String = (2..=9)
        .map(|n| line(n, if n >= 8 { 0 } else { 1 }))
        .collect();
    format!(
        "<?xml version=\"1.0\" ?>\n<coverage line-rate=\"0.75\" version=\"1\"><sources><source>{}</source></sources><packages><package name=\"p\"><classes><class name=\"calc\" filename=\"src/calc.rs\"><lines>{lines}</lines></class></classes></package></packages></coverage>\n",
        root.display()
    )
}

#[test]
fn changed_line_coverage_from_lcov() {
    let repo = covered_repo();
    let report = repo.tmp.path().join("lcov.info");
    std::fs::write(&report, LCOV).unwrap();
    let report = report.to_str().unwrap();
    repo.gate(&["ai-provenance", "--coverage", report])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "changed-line coverage (AI-added lines): 75.0% < 80.0%",
        ))
        .stdout(predicate::str::contains("src/calc.rs:8-9 (6 of 8 covered)"));
    repo.gate(&["ai-provenance", "--coverage", report, "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::warning file=src/calc.rs,line=8,endLine=9,title=Line not covered by tests::",
        ));
    // The markdown table's total is the message's figure.
    repo.gate(&[
        "ai-provenance",
        "--coverage",
        report,
        "--format",
        "markdown",
    ])
    .assert()
    .code(1)
    .stdout(predicate::str::contains(
        "tests execute 6 of 8 coverable lines",
    ))
    .stdout(predicate::str::contains("| all AI-added lines | 6/8 |"));
    repo.write(
        ".pave/gates.yaml",
        "ai_provenance:\n  rules:\n    min_changed_line_coverage: 75\n",
    )
    .commit("lower the bar");
    repo.gate(&["ai-provenance", "--coverage", report])
        .assert()
        .code(0);
}

#[test]
fn a_coverage_report_that_knows_none_of_the_changed_files_fails() {
    let repo = covered_repo();
    let report = repo.tmp.path().join("other-lcov.info");
    std::fs::write(&report, LCOV.replace("src/calc.rs", "src/unrelated.rs")).unwrap();
    repo.gate(&["ai-provenance", "--coverage", report.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "the coverage report has none of the source files AI-assisted commits changed (src/calc.rs)",
        ))
        .stdout(predicate::str::contains("not measured").not());
}

#[test]
fn changed_line_coverage_from_cobertura() {
    let repo = covered_repo();
    let report = repo.tmp.path().join("coverage.xml");
    std::fs::write(&report, cobertura(&repo.dir())).unwrap();
    let (code, json) = repo.json(&["ai-provenance", "--coverage", report.to_str().unwrap()]);
    assert_eq!(code, 1, "{json:#}");
    let coverage = &gate_json(&json, "ai-provenance")["coverage"];
    assert_eq!(coverage["covered"], 6);
    assert_eq!(coverage["coverable"], 8);
    assert_eq!(coverage["percent"], 75.0);
    assert_eq!(coverage["files"][0]["uncovered"][0]["start"], 8);
    assert_eq!(coverage["files"][0]["uncovered"][0]["end"], 9);
}

#[test]
fn coverage_is_not_measured_without_a_report_and_an_unreadable_one_is_an_error() {
    let repo = covered_repo();
    repo.gate(&["ai-provenance"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "changed-line coverage (AI-added lines): not measured (min 80.0%)",
        ))
        .stdout(predicate::str::contains("pass a report with --coverage"));
    repo.gate(&["ai-provenance", "--coverage", "missing-lcov.info"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("missing-lcov.info"));
}

/// What a developer reads, in each format: an AI-assisted change over both limits, without
/// tests, with a lock file excluded.
#[test]
fn verdicts_read_as_snapshots() {
    let repo = Repo::new(Some(&format!("{LIMIT_10}conformance:\n  enabled: false\n")));
    repo.write("Cargo.lock", &lines(40, "dep"))
        .write("src/lib.rs", &lines(12, "// base"))
        .write("src/parse.rs", &lines(9, "fn"))
        .commit("Parse input\n\nCo-authored-by: GitHub Copilot <copilot@github.com>\n");
    repo.write("docs/notes.md", "notes\n")
        .commit("Notes by hand");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[sha]");
    settings.add_filter(r"\b[0-9a-f]{8}\b", "[short]");
    settings.add_filter(r"config: .*gates.yaml", "config: [repo]/.pave/gates.yaml");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots");
    for format in ["text", "markdown", "github"] {
        let out = repo.gate(&["all", "--format", format]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        settings.bind(|| {
            insta::assert_snapshot!(
                format!("gate_{format}"),
                String::from_utf8(out.stdout).unwrap()
            );
        });
    }
}

/// The first child element of `node` named `tag`.
fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(tag))
}

/// An AI-assisted change over pr-size's limit, without tests, with two added lines no test runs:
/// pr-size and ai-provenance fail, conformance is disabled.
fn failing_ai_change() -> (Repo, String) {
    let repo = Repo::new(Some(&format!("{LIMIT_10}conformance:\n  enabled: false\n")));
    repo.write("src/calc.rs", &lines(12, "let x ="))
        .commit("Calc\n\nCo-authored-by: Copilot <copilot@github.com>\n");
    let lcov = repo.tmp.path().join("lcov.info");
    std::fs::write(&lcov, LCOV).unwrap();
    (repo, lcov.to_str().unwrap().to_owned())
}

#[test]
fn sarif_and_junit_in_one_run() {
    let (repo, lcov) = failing_ai_change();
    let sarif_path = repo.tmp.path().join("x.sarif");
    let junit_path = repo.tmp.path().join("x.xml");
    repo.gate(&[
        "all",
        "--coverage",
        &lcov,
        "--format",
        "sarif",
        "--output",
        sarif_path.to_str().unwrap(),
        "--format",
        "junit",
        "--output",
        junit_path.to_str().unwrap(),
    ])
    .assert()
    .code(1)
    .stdout("");

    // SARIF: valid against the OASIS schema; a result per finding, under stable rule ids, at the
    // file and lines when known, at the configuration file for the change as a whole.
    crate::check_formats::validate_sarif(repo.tmp.path(), "x.sarif");
    let text = std::fs::read_to_string(&sarif_path).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "pave");
    assert_eq!(run["automationDetails"]["id"], "pave-gate/");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "pave.gate.pr-size",
        "pave.gate.ai-provenance.size",
        "pave.gate.ai-provenance.tests",
        "pave.gate.ai-provenance.coverage",
        "pave.gate.ai-provenance.uncovered-lines",
        "pave/drifted",
        "pave/lock-mismatch",
    ] {
        assert!(rules.contains(&id), "{id} not in {rules:?}");
    }
    let results: Vec<_> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index], r["ruleId"], "{r:#}");
            let at = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                at["artifactLocation"]["uri"].as_str().unwrap(),
                at["region"]["startLine"].as_u64().unwrap(),
                at["region"]["endLine"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("pave.gate.pr-size", "error", ".pave/gates.yaml", 1, None),
            (
                "pave.gate.ai-provenance.tests",
                "error",
                "src/calc.rs",
                1,
                None
            ),
            (
                "pave.gate.ai-provenance.coverage",
                "error",
                ".pave/gates.yaml",
                1,
                None
            ),
            (
                "pave.gate.ai-provenance.uncovered-lines",
                "warning",
                "src/calc.rs",
                8,
                Some(9)
            ),
        ]
    );
    assert!(
        run["results"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("12 changed lines is over the limit of 10")
    );
    // The same report on stdout is byte for byte the file.
    let stdout = repo
        .gate(&["all", "--coverage", &lcov, "--format", "sarif"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(String::from_utf8(stdout).unwrap(), text);

    // JUnit: one suite, a case per gate, counts that agree, the verdicts as failure messages.
    let xml = std::fs::read_to_string(&junit_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("pave gate"));
    for node in [doc.root_element(), suite] {
        assert_eq!(node.attribute("tests"), Some("3"), "{xml}");
        assert_eq!(node.attribute("failures"), Some("2"), "{xml}");
        assert_eq!(node.attribute("skipped"), Some("1"), "{xml}");
        assert_eq!(node.attribute("errors"), Some("0"), "{xml}");
    }
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<_> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(names, ["pr-size", "ai-provenance", "conformance"]);
    assert!(
        cases
            .iter()
            .all(|c| c.attribute("classname") == Some("pave.gate"))
    );
    let size = child(cases[0], "failure").expect("pr-size fails");
    assert_eq!(
        size.attribute("message"),
        Some("FAIL: 12 changed lines (added + deleted) in 1 file(s), limit 10")
    );
    let body = size.text().unwrap();
    assert!(body.contains("changed lines: 12 > 10"), "{body}");
    assert!(body.contains("next: split the change"), "{body}");
    let ai = child(cases[1], "failure").expect("ai-provenance fails");
    assert!(
        ai.attribute("message").unwrap().starts_with("FAIL: "),
        "{xml}"
    );
    let body = ai.text().unwrap();
    assert!(
        body.contains("changed-line coverage (AI-added lines): 75.0% < 80.0%"),
        "{body}"
    );
    assert!(
        body.contains("error: src/calc.rs was changed by AI-assisted commit(s)"),
        "{body}"
    );
    assert!(
        body.contains("warning: src/calc.rs:8-9 was added"),
        "{body}"
    );
    let skipped = child(cases[2], "skipped").expect("conformance is skipped");
    assert_eq!(
        skipped.attribute("message"),
        Some("conformance is disabled in the gates configuration")
    );
    assert!(child(cases[2], "failure").is_none());
}

/// src/lib.rs at the base: two functions, no tests.
const LIB_BASE: &str = "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";
/// The AI-assisted change: a new function (lines 5-7) and an inline test module (lines 9-17).
const LIB_WITH_TESTS: &str = "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\npub fn double(a: u32) -> u32 {\n    a * 2\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn doubles() {\n        assert_eq!(double(2), 4);\n    }\n}\n";

#[test]
fn an_inline_test_module_is_a_test_change_and_not_covered_source() {
    let repo = Repo::new(None);
    repo.write("src/lib.rs", LIB_BASE).commit("base");
    repo.git(&["branch", "-f", "main"]);
    repo.git(&["checkout", "-q", "-b", "work"]);
    repo.write("src/lib.rs", LIB_WITH_TESTS)
        .commit("Double\n\nCo-authored-by: Copilot <copilot@github.com>\n");
    repo.gate(&["ai-provenance", "--base", "main"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "rust: AI-assisted source changes come with test changes",
        ))
        .stdout(predicate::str::contains(
            "9 changed test line(s) are not counted",
        ));
    // The test lines ran (hits), the new function did not: 0 of its 2 coverable lines.
    let report = repo.tmp.path().join("lcov.info");
    let hit = |n: u32, hits: u32| format!("DA:{n},{hits}\n");
    let lcov: String = format!(
        "TN:\nSF:src/lib.rs\n{}{}{}end_of_record\n",
        hit(5, 0) + &hit(6, 0),
        (13..=16).map(|n| hit(n, 1)).collect::<String>(),
        hit(1, 1) + &hit(2, 1)
    );
    std::fs::write(&report, lcov).unwrap();
    let (code, json) = repo.json(&[
        "ai-provenance",
        "--base",
        "main",
        "--coverage",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{json:#}");
    let coverage = &gate_json(&json, "ai-provenance")["coverage"];
    assert_eq!(coverage["coverable"], 2, "{coverage:#}");
    assert_eq!(coverage["covered"], 0, "{coverage:#}");
}

#[test]
fn a_comment_in_a_test_file_is_not_a_test_change() {
    let repo = Repo::new(None);
    repo.write("src/lib.rs", LIB_BASE)
        .write("tests/http.rs", "#[test]\nfn serves() {}\n")
        .commit("base");
    repo.git(&["branch", "-f", "main"]);
    repo.git(&["checkout", "-q", "-b", "work"]);
    repo.write(
        "src/lib.rs",
        &LIB_WITH_TESTS[..LIB_WITH_TESTS.find("\n#[cfg").unwrap() + 1],
    )
    .write(
        "tests/http.rs",
        "// serves the API\n#[test]\nfn serves() {}\n",
    )
    .commit("Double\n\nCo-authored-by: Copilot <copilot@github.com>\n");
    repo.gate(&["ai-provenance", "--base", "main"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("the change touches no test"));
    // Nor is a block comment in a test file, a trailing comment on a test's line, deleting a
    // test, a comment inside a test module, or a test module without a test.
    for (path, text) in [
        (
            "tests/http.rs",
            "/* the API\n   in detail */\n#[test]\nfn serves() {}\n",
        ),
        ("tests/http.rs", "#[test]\nfn serves() {} // the API\n"),
        ("tests/http.rs", "\n"),
        (
            "src/lib.rs",
            "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\npub fn double(a: u32) -> u32 {\n    a * 2\n}\n\n#[cfg(test)]\nmod tests {\n    // TODO: test double\n}\n",
        ),
    ] {
        repo.git(&["checkout", "-q", "-B", "work", "main"]);
        repo.write(
            "src/lib.rs",
            &LIB_WITH_TESTS[..LIB_WITH_TESTS.find("\n#[cfg").unwrap() + 1],
        )
        .write(path, text)
        .commit("Double\n\nCo-authored-by: Copilot <copilot@github.com>\n");
        repo.gate(&["ai-provenance", "--base", "main"])
            .assert()
            .code(1)
            .stdout(predicate::str::contains("the change touches no test"));
    }
}
