//! `pave audit`'s CSV, Markdown and HTML on a small real fleet, each checked against the JSON
//! report: CSV read back by a strict RFC 4180 reader, Markdown tables with their columns intact,
//! HTML parsed as XML, self-contained and with a chart per breakdown — and the names and errors
//! of untrusted repos escaped (and defused as spreadsheet formulas) in every format.
//!
//! The CSV reader is the test's own (a few lines) rather than the `csv` crate: it must be strict
//! (CRLF, no bare quotes, no text after a closing quote) where `csv` is deliberately lenient.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

/// The repos file's names (what the report calls the repos) and the statuses they must get.
const REPOS: [(&str, &str); 5] = [
    ("=cmd|x", "error"),
    ("a&b<c>", "drifted"),
    ("new-b", "conforming"),
    ("old-a", "outdated"),
    ("plain", "unadopted"),
];

/// A fleet in a temp dir and the repos file that lists it (names relative, so no temp paths).
struct Fleet {
    _tmp: tempfile::TempDir,
    repos_file: PathBuf,
}

impl Fleet {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let new = |golden_path: &str, name: &str, args: &[&str]| {
            pave_new(golden_path, &root.join(name), args)
                .assert()
                .success();
        };
        let team_a = ["--set", "team=team-a", "--set", "train=art-1"];
        new("rust-service@1.0.0", "old-a", &team_a);
        new(
            "rust-service",
            "new-b",
            &[
                "--set",
                "team=team-b",
                "--set",
                "train=art-2",
                "--set",
                "organization=acme",
            ],
        );
        new(
            "rust-service@1.0.0",
            "a&b<c>",
            &[&team_a[..], &["--set", "service_name=abc"]].concat(),
        );
        append(&root.join("a&b<c>/Dockerfile"), "# a local edit\n");
        new(
            "rust-service",
            "=cmd|x",
            &[
                "--set",
                "team=team-c",
                "--set",
                "service_name=cmd",
                "--set",
                "organization=acme",
            ],
        );
        std::fs::write(root.join("=cmd|x/.pave/lock.yaml"), ": : [ not a lock\n").unwrap();
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        git2::Repository::init_opts(root.join("plain"), &opts).unwrap();

        let repos_file = root.join("repos.txt");
        let names: Vec<&str> = REPOS.iter().map(|(name, _)| *name).collect();
        std::fs::write(&repos_file, names.join("\n") + "\n").unwrap();
        Self {
            _tmp: tmp,
            repos_file,
        }
    }

    fn audit(&self, format: &str) -> String {
        let out = pave()
            .arg("audit")
            .arg("--repos-file")
            .arg(&self.repos_file)
            .args(["--format", format])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    }

    /// The JSON report: the reference the other formats are checked against.
    fn json(&self) -> Value {
        serde_json::from_str(&self.audit("json")).unwrap()
    }
}

fn append(path: &Path, extra: &str) {
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str(extra);
    std::fs::write(path, text).unwrap();
}

/// A rate of the JSON summary as the reports print it.
fn percent(summary: &Value, key: &str) -> String {
    format!("{:.1}%", summary[key].as_f64().unwrap() * 100.0)
}

/// `pave audit merge` of a (hand-edited) JSON report: how untrusted text reaches the renderers
/// without having to create folders that file systems refuse.
fn merged(report: &Value, format: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("audit.json");
    std::fs::write(&path, serde_json::to_string(report).unwrap()).unwrap();
    let out = pave()
        .args(["audit", "merge"])
        .arg(&path)
        .args(["--format", format])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// RFC 4180 records: CRLF line ends, quoted fields with doubled quotes; anything else fails.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut in_quotes, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(
                    field.is_empty() && !was_quoted,
                    "a quote inside an unquoted field: {field}"
                );
                (in_quotes, was_quoted) = (true, true);
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                was_quoted = false;
            }
            '\n' => panic!("a bare LF ends a record"),
            c => {
                assert!(!was_quoted, "text after a closing quote");
                field.push(c);
            }
        }
    }
    assert!(!in_quotes, "an unterminated quoted field");
    assert!(
        field.is_empty() && record.is_empty(),
        "the last record must end with CRLF"
    );
    records
}

/// CSV records as maps from the header's names.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let records = parse_csv(text);
    let header = &records[0];
    records[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "ragged row {r:?}");
            header.iter().cloned().zip(r.iter().cloned()).collect()
        })
        .collect()
}

#[test]
fn csv_has_a_row_per_repo_and_golden_path_and_defuses_formulas() {
    let fleet = Fleet::new();
    let json = fleet.json();
    let csv = fleet.audit("csv");
    assert_eq!(
        parse_csv(&csv)[0].join(","),
        "path,kind,status,team,train,golden_path,version,latest,lag,versions_behind,\
         drifted_files,missing_files,edited_merged_files,conflicted_files,excepted_files,lock_problems,error,pinned_files"
    );
    let rows = csv_rows(&csv);
    let expected_rows: usize = json["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["golden_paths"].as_array().unwrap().len().max(1))
        .sum();
    assert_eq!(rows.len(), expected_rows);
    assert_eq!(rows.len(), REPOS.len());

    let by_path: BTreeMap<&str, &BTreeMap<String, String>> =
        rows.iter().map(|r| (r["path"].as_str(), r)).collect();
    // The repo named `=cmd|x` would be a formula (a DDE command in some spreadsheets).
    assert!(!by_path.contains_key("=cmd|x"));
    for (name, status) in REPOS {
        let key = if name.starts_with('=') {
            format!("'{name}")
        } else {
            name.to_owned()
        };
        assert_eq!(by_path[key.as_str()]["status"], status, "{name}");
    }
    for row in &rows {
        for (column, value) in row {
            assert!(
                !value.starts_with(['=', '+', '-', '@']),
                "{column} is a formula: {value}"
            );
        }
    }

    let drifted = by_path["a&b<c>"];
    for (column, value) in [
        ("kind", "worktree"),
        ("team", "team-a"),
        ("train", "art-1"),
        ("golden_path", "rust-service"),
        ("version", "1.0.0"),
        ("latest", "1.3.0"),
        ("lag", "minor"),
        ("versions_behind", "3"),
        ("drifted_files", "1"),
        ("missing_files", "0"),
        ("error", ""),
    ] {
        assert_eq!(drifted[column], value, "{column}");
    }
    let error = by_path["'=cmd|x"];
    let json_error = json["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "=cmd|x")
        .unwrap()["error"]
        .as_str()
        .unwrap();
    assert_eq!(error["error"], json_error);
    assert!(
        error["error"].starts_with(".pave/lock.yaml:"),
        "{}",
        error["error"]
    );
    for column in [
        "team",
        "golden_path",
        "version",
        "latest",
        "lag",
        "versions_behind",
    ] {
        assert_eq!(by_path["plain"][column], "", "{column}");
        assert_eq!(error[column], "", "{column}");
    }
}

/// The number of cells of a Markdown table row: `|` not escaped, minus one.
fn cells(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        if c == '|' && !escaped {
            count += 1;
        }
        escaped = c == '\\' && !escaped;
    }
    count - 1
}

/// Every table: each row has as many cells as its header.
fn assert_tables_intact(md: &str) {
    let mut width = None;
    for line in md.lines() {
        match (line.starts_with('|'), width) {
            (true, None) => width = Some(cells(line)),
            (true, Some(w)) => assert_eq!(
                cells(line),
                w,
                "a row with a cell too many or too few: {line}"
            ),
            (false, _) => width = None,
        }
    }
}

#[test]
fn markdown_has_the_summary_tables_and_escapes_untrusted_text() {
    let fleet = Fleet::new();
    let json = fleet.json();
    let s = &json["summary"];
    let md = fleet.audit("markdown");
    assert!(md.starts_with("## pave audit: 5 repos\n"), "{md}");
    for rate in ["adoption_rate", "on_latest_rate", "drift_rate"] {
        assert!(md.contains(&percent(s, rate)), "{rate} missing:\n{md}");
    }
    for expected in [
        "**Adoption 60.0%** (3 of 5 repos have a lock)",
        "| status | repos | share |",
        "| drifted | 1 | 20.0% |",
        "### Golden paths",
        "| `rust-service` | 3 | 1.3.0 | 1 | 1 | 1.3.0: 1, 1.0.0: 2 |",
        "### Teams",
        "| team-a | 2 | 0 | 0 | 1 | 1 | 0 | 0 |",
        "| team-b | 1 | 1 | 0 | 0 | 0 | 0 | 0 |",
        "### Trains",
        "| art-1 | 2 | 0 | 0 | 1 | 1 |",
        "### Most drifted files",
        "| `Dockerfile` | 1 |",
        "### Needs attention (2)",
        // Paths are code spans; the error's `<String>` is escaped text, not an HTML tag.
        "- **error** `=cmd|x`: .pave/lock.yaml:1:",
        "- **drifted** `a&b<c>` (team-a): 1 drifted (`Dockerfile`)",
    ] {
        assert!(md.contains(expected), "{expected:?} missing:\n{md}");
    }
    assert!(!md.contains("<String>"), "{md}");
    assert_tables_intact(&md);
}

#[test]
fn html_is_one_self_contained_well_formed_page_with_a_chart_per_breakdown() {
    let fleet = Fleet::new();
    let json = fleet.json();
    let s = &json["summary"];
    let html = fleet.audit("html");
    assert_eq!(html, fleet.audit("html"), "the page is not deterministic");
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    for network in [
        "http://", "https://", "//cdn", "<script", "src=", "href=", "url(", "@import",
    ] {
        assert!(!html.contains(network), "{network} in the page");
    }

    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, options).unwrap();
    let svgs: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("svg"))
        .collect();
    assert_eq!(svgs.len(), 3, "one chart per breakdown");
    for svg in &svgs {
        let label = svg.attribute("aria-label").unwrap();
        let title = svg.first_element_child().unwrap();
        assert!(title.has_tag_name("title"));
        assert_eq!(title.text(), Some(label));
    }
    let chart_text = |index: usize| -> String {
        svgs[index]
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Versions: the numbers are written, not only drawn.
    let versions = chart_text(0);
    assert!(
        versions.contains("1.3.0 (newest): 1 · 1.0.0 (minor behind): 2"),
        "{versions}"
    );
    assert!(versions.contains("3 repos"), "{versions}");
    // Teams, most drifted first.
    let teams = chart_text(1);
    assert!(
        teams.starts_with("drifted\noutdated\nconforming"),
        "legend first: {teams}"
    );
    let (a, b) = (teams.find("team-a").unwrap(), teams.find("team-b").unwrap());
    assert!(a < b, "{teams}");
    assert!(
        teams.contains("1 drifted · 1 outdated · 0 conforming"),
        "{teams}"
    );
    let trains = chart_text(2);
    assert!(
        trains.contains("1 conforming (100.0%) · 0 outdated (0.0%) · 0 drifted (0.0%)"),
        "{trains}"
    );

    let page_text: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n");
    let repos = s["repos"].as_u64().unwrap().to_string();
    for number in [
        repos.as_str(),
        &percent(s, "adoption_rate"),
        &percent(s, "on_latest_rate"),
        &percent(s, "drift_rate"),
        "3 of 5 repos have a lock",
        "1 of 3 adopted repos drifted",
        "Needs attention (2)",
    ] {
        assert!(page_text.contains(number), "{number:?} missing");
    }
    // The untrusted names survive as text, and only as text.
    for name in ["a&b<c>", "=cmd|x", "Option<String>"] {
        assert!(page_text.contains(name), "{name:?} missing");
    }
    assert!(html.contains("<code>a&amp;b&lt;c&gt;</code>"));
    assert!(!html.contains("<c>"));
}

/// Every element and attribute the page may use: nothing that loads or runs anything.
fn assert_inert(html: &str) {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(html, options).unwrap();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        assert!(
            ![
                "script",
                "img",
                "iframe",
                "object",
                "embed",
                "link",
                "a",
                "image",
                "use",
                "foreignObject"
            ]
            .contains(&tag),
            "<{tag}> in the page"
        );
        for attr in node.attributes() {
            let name = attr.name();
            assert!(
                !name.starts_with("on") && !["src", "href", "style"].contains(&name),
                "{name}= on <{tag}>"
            );
        }
    }
}

#[test]
fn untrusted_text_in_a_merged_report_is_escaped_in_every_format() {
    let fleet = Fleet::new();
    let mut json = fleet.json();
    let hostile_team = "x|y <img src=x onerror=alert(1)> *b* @org/all";
    let hostile_error = "=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\"\r\n<script>alert(1)</script> | `tick`";
    for repo in json["repos"].as_array_mut().unwrap() {
        match repo["status"].as_str().unwrap() {
            "drifted" => {
                repo["team"] = hostile_team.into();
                repo["path"] = "-2+3 <b>|</b>".into();
            }
            "error" => repo["error"] = hostile_error.into(),
            _ => {}
        }
    }

    let rows = csv_rows(&merged(&json, "csv"));
    let error = rows.iter().find(|r| r["status"] == "error").unwrap();
    assert_eq!(error["error"], format!("'{hostile_error}"));
    let drifted = rows.iter().find(|r| r["status"] == "drifted").unwrap();
    assert_eq!(drifted["path"], "'-2+3 <b>|</b>");
    assert_eq!(drifted["team"], hostile_team);

    let md = merged(&json, "markdown");
    assert_tables_intact(&md);
    assert!(
        md.contains("| x\\|y \\<img src=x onerror=alert(1)\\> \\*b\\* @org/all | 1 |"),
        "{md}"
    );
    assert!(md.contains("`-2+3 <b>|</b>`"), "{md}");
    let unescaped = md.replace("\\<", "").replace("\\*", "");
    for raw in ["<img", "<script", "*b"] {
        assert!(!unescaped.contains(raw), "{raw} unescaped:\n{md}");
    }
    assert_eq!(
        md.lines().filter(|l| l.starts_with("- **")).count(),
        2,
        "a newline in an error broke the list:\n{md}"
    );

    let html = merged(&json, "html");
    assert_inert(&html);
    for raw in ["<img", "<script", "<b>"] {
        assert!(!html.contains(raw), "{raw} unescaped");
    }
    assert!(html.contains("x|y &lt;img src=x onerror=alert(1)&gt;"));
}
