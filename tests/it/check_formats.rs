//! `pave check`'s CI formats on a real rendered repo: SARIF valid against the published SARIF
//! 2.1.0 schema (`tests/data/sarif-schema-2.1.0.json`, from oasis-tcs/sarif-spec), JUnit read back
//! as XML, GitHub workflow commands line by line, Markdown for a step summary — and every value
//! escaped for its format.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

use crate::support::*;
use crate::validators::check as validate;

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/sarif-schema-2.1.0.json"
);

/// A rust-service repo with a drifted managed file, a deleted one and an edited merged one.
fn drifted_repo() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = rust_service(&[]);
    let append = |rel: &str, extra: &str| {
        let path = dir.join(rel);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(extra);
        std::fs::write(path, text).unwrap();
    };
    append("Dockerfile", "# a local edit\n");
    append("README.md", "\n## Our notes\n");
    std::fs::remove_file(dir.join("deploy/base/pdb.yaml")).unwrap();
    (tmp, dir)
}

/// The report as JSON: the reference the other formats are checked against.
fn json_report(dir: &Path) -> Value {
    let out = pave()
        .arg("check")
        .arg("-C")
        .arg(dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stdout_of(dir: &Path, format: &str, code: i32) -> String {
    let out = pave()
        .arg("check")
        .arg("-C")
        .arg(dir)
        .args(["--format", format])
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// Validates the SARIF log `file` (relative to `dir`) against the OASIS SARIF 2.1.0 schema.
pub(crate) fn validate_sarif(dir: &Path, file: &str) {
    validate(dir, "check-jsonschema", &["--schemafile", SCHEMA, file]);
}

fn str_set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    items.into_iter().collect()
}

#[test]
fn a_drifted_repo_in_sarif_junit_and_github_formats_at_once() {
    let (tmp, dir) = drifted_repo();
    let report = json_report(&dir);
    let gp = &report["golden_paths"][0];
    let at = format!("rust-service@{}", gp["version"].as_str().unwrap());
    let fix = format!("pave apply {at} --force --allow-dirty");

    let out = pave()
        .current_dir(tmp.path())
        .arg("check")
        .arg("-C")
        .arg(&dir)
        .args(["--format", "sarif", "--output", "a.sarif"])
        .args(["--format", "junit", "--output", "b.xml"])
        .args(["--format", "github"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Wrote sarif report to a.sarif"))
        .get_output()
        .stdout
        .clone();

    // GitHub: an error per failing file, a notice for the merged edit, a summary last.
    let github = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = github.lines().collect();
    let drifted = format!(
        "::error file=Dockerfile,title=Managed file drifted ({at})::Dockerfile is managed by {at} and was edited. See the change with `pave diff`; restore it with `{fix}`."
    );
    let deleted = format!(
        "::error file=deploy/base/pdb.yaml,title=File deleted ({at})::deploy/base/pdb.yaml (managed by {at}) is missing. Restore it with `{fix}`."
    );
    let edited = format!(
        "::notice file=README.md,title=Merged file edited ({at})::README.md is merged with {at}: the local edit is allowed, kept, and merged on upgrade."
    );
    assert_eq!(lines[..3], [&drifted, &edited, &deleted], "{github}");
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with("pave check: does not conform: 1 golden path(s)")
            && summary.contains("1 drifted, 1 deleted, 0 lock mismatch(es), 1 edited (merged)")
            && summary.ends_with(&format!("; fix: {fix}")),
        "{summary}"
    );
    assert_eq!(lines.len(), 4, "{github}");

    // SARIF: valid against the OASIS schema, and naming the failing files.
    validate_sarif(tmp.path(), "a.sarif");
    let text = std::fs::read_to_string(tmp.path().join("a.sarif")).unwrap();
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "pave");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let located = |level: &str| -> BTreeSet<(&str, &str)> {
        results
            .iter()
            .filter(|r| r["level"] == level)
            .map(|r| {
                let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
                (r["ruleId"].as_str().unwrap(), uri.as_str().unwrap())
            })
            .collect()
    };
    assert_eq!(
        located("error"),
        BTreeSet::from([
            ("pave/deleted", "deploy/base/pdb.yaml"),
            ("pave/drifted", "Dockerfile")
        ])
    );
    assert_eq!(
        located("note"),
        BTreeSet::from([("pave/edited-merged", "README.md")])
    );
    let mut fingerprints = BTreeSet::new();
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert!(fingerprints.insert(r["partialFingerprints"]["paveFinding/v1"].to_string()));
    }
    assert!(
        results[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains(&fix)
    );
    // The same report on stdout is byte for byte the file: nothing varies between runs.
    assert_eq!(stdout_of(&dir, "sarif", 1), text);

    // JUnit: a suite per golden path, a case per managed file (and the lock), counts that agree.
    let xml = std::fs::read_to_string(tmp.path().join("b.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some(at.as_str()));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failing: Vec<_> = cases
        .iter()
        .filter_map(|c| {
            let failure = c.children().find(|n| n.has_tag_name("failure"))?;
            Some((c.attribute("name")?, failure.attribute("type")?))
        })
        .collect();
    assert_eq!(
        failing,
        [
            ("Dockerfile", "drifted"),
            ("deploy/base/pdb.yaml", "deleted")
        ]
    );
    let managed: BTreeSet<&str> = gp["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ownership"] == "managed")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let names = str_set(cases.iter().filter_map(|c| c.attribute("name")));
    let mut expected = managed.clone();
    expected.insert(".pave/lock.yaml");
    assert_eq!(
        names, expected,
        "merged and seeded files are not test cases"
    );
    assert!(
        cases
            .iter()
            .all(|c| c.attribute("classname") == Some("rust-service"))
    );
    let tests = cases.len().to_string();
    for node in [root, suite] {
        assert_eq!(node.attribute("tests"), Some(tests.as_str()));
        assert_eq!(node.attribute("failures"), Some("2"));
    }
}

#[test]
fn a_drifted_repo_in_markdown() {
    let (_tmp, dir) = drifted_repo();
    let version = json_report(&dir)["golden_paths"][0]["version"]
        .as_str()
        .unwrap()
        .to_owned();
    let markdown = stdout_of(&dir, "markdown", 1);
    assert!(markdown.starts_with("## ❌ pave check: the repo does not conform (2 failure(s))\n"));
    for expected in [
        format!("### ❌ rust-service@{version}\n"),
        "| drifted | 1 |\n| deleted | 1 |\n| edited (merged: allowed) | 1 |\n".to_owned(),
        "| `Dockerfile` | drifted | managed | app |\n".to_owned(),
        "| `deploy/base/pdb.yaml` | deleted | managed | deploy |\n".to_owned(),
        "| `README.md` | edited | merged | app |\n".to_owned(),
        format!("Version: {version} is the newest in `builtin`.\n"),
        "- see the changes: `pave diff`\n".to_owned(),
        format!("- restore the files: `pave apply rust-service@{version} --force --allow-dirty`\n"),
    ] {
        assert!(
            markdown.contains(&expected),
            "{expected:?} not in:\n{markdown}"
        );
    }
}

#[test]
fn a_conforming_repo_exits_0_in_every_format() {
    let (tmp, dir) = rust_service(&[]);

    let sarif = stdout_of(&dir, "sarif", 0);
    std::fs::write(tmp.path().join("ok.sarif"), &sarif).unwrap();
    validate_sarif(tmp.path(), "ok.sarif");
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["level"] != "error"), "{results:?}");

    let junit = stdout_of(&dir, "junit", 0);
    let doc = roxmltree::Document::parse(&junit).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    assert!(!doc.descendants().any(|n| n.has_tag_name("failure")));

    let github = stdout_of(&dir, "github", 0);
    assert!(!github.contains("::error"), "{github}");
    assert!(
        github.starts_with("pave check: conforms: 1 golden path(s)"),
        "{github}"
    );

    let markdown = stdout_of(&dir, "markdown", 0);
    assert!(markdown.starts_with("## ✅ pave check: the repo conforms to its golden paths\n"));
    assert!(!markdown.contains("**Fix:**"), "{markdown}");
}

#[test]
fn paths_with_markup_and_separators_are_escaped_in_every_format() {
    let name = "we&ird <name> 'q\" |x|, 50%: ok.txt";
    let golden_path = GoldenPathBuilder::demo().file(&format!("components/app/{name}"), "hi\n");
    let (tmp, dir) = target();
    pave_new(&golden_path.arg(), &dir, &["--set", "name=svc", "--no-git"])
        .assert()
        .success();
    std::fs::write(dir.join(name), "edited\n").unwrap();
    let check = |format: &str| {
        let out = pave()
            .arg("check")
            .arg("-C")
            .arg(&dir)
            .args(["--offline", "--format", format])
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };

    let doc_text = check("junit");
    let doc = roxmltree::Document::parse(&doc_text).unwrap();
    let failed: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter_map(|n| n.parent()?.attribute("name"))
        .collect();
    assert_eq!(failed, [name]);

    let github = check("github");
    assert!(
        github.starts_with(
            "::error file=we&ird <name> 'q\" |x|%2C 50%25%3A ok.txt,title=Managed file drifted (demo@1.0.0)::we&ird <name> 'q\" |x|, 50%25: ok.txt is managed"
        ),
        "{github}"
    );

    let markdown = check("markdown");
    assert!(
        markdown.contains("| `we&ird <name> 'q\" \\|x\\|, 50%: ok.txt` | drifted |"),
        "{markdown}"
    );

    let sarif = check("sarif");
    std::fs::write(tmp.path().join("odd.sarif"), &sarif).unwrap();
    validate_sarif(tmp.path(), "odd.sarif");
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "we&ird%20%3Cname%3E%20'q%22%20%7Cx%7C,%2050%25%3A%20ok.txt"
    );
}
