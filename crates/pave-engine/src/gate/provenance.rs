//! The `ai-provenance` gate: which commits of the change were AI-assisted (by their trailers), and
//! the stricter rules for them: a smaller size limit for the whole change, test changes with the
//! source changes they made, and coverage of the lines they added (attributed by git blame at
//! head, so a line a later human commit rewrote is no longer theirs).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use pave_base::text::percentage;

use super::coverage::Coverage;
use super::range::{diff_files, git};
use super::{
    AiCommit, Change, FileCoverage, Finding, FindingKind, Gate, GateError, Gates, Level,
    LineCoverage, Measure, MeasureStatus, Range, Status, Verdict, line_ranges,
};

/// At most this many coverage findings (one per uncovered range) are reported.
const MAX_COVERAGE_FINDINGS: usize = 20;

/// The `ai-provenance` gate. `coverage` is `None` when no report was given: the coverage rule is
/// then reported as not measured, not failed.
pub fn ai_provenance(
    repo: &git2::Repository,
    range: &Range,
    change: &Change,
    gates: &Gates,
    coverage: Option<&Coverage>,
) -> Result<Verdict, GateError> {
    let commits = ai_commits(repo, range, gates)?;
    if commits.is_empty() {
        let mut verdict = Verdict::new(
            Gate::AiProvenance,
            Status::Pass,
            "no AI-assisted commits in the change; the stricter rules do not apply".into(),
        );
        verdict.notes.push(format!(
            "looked for these trailers: {}",
            gates
                .markers
                .iter()
                .map(|m| m.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return Ok(verdict);
    }
    let mut measures = Vec::new();
    let mut findings = Vec::new();
    let mut next_steps = Vec::new();
    let mut notes = Vec::new();

    // Files the AI-assisted commits touched that are still part of the change.
    let in_change: BTreeMap<&str, &super::FileChange> = change
        .files
        .iter()
        .filter(|f| f.exists_at_head())
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut touched_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for commit in &commits {
        for file in &commit.files {
            if in_change.contains_key(file.as_str()) {
                touched_by
                    .entry(file.clone())
                    .or_default()
                    .push(commit.short_id().to_owned());
            }
        }
    }

    // Tests inside the source files of the change, at head (Rust's `#[cfg(test)]` modules and
    // `#[test]` functions): all their lines are test code; code added inside a test function is
    // a test change.
    let inline_tests: BTreeMap<&str, InlineTests> = in_change
        .keys()
        .filter_map(|path| {
            let text = head_text(repo, range, path)?;
            let tests = InlineTests {
                code: super::tests_in_source::test_lines(path, &text),
                functions: super::tests_in_source::test_function_lines(path, &text),
            };
            (!tests.code.is_empty()).then_some((*path, tests))
        })
        .collect();
    let is_test_line = |path: &str, line: u32| {
        inline_tests
            .get(path)
            .is_some_and(|t| within(&t.code, line))
    };
    let is_test_function_line = |path: &str, line: u32| {
        inline_tests
            .get(path)
            .is_some_and(|t| within(&t.functions, line))
    };

    // A smaller size limit for the whole change.
    // Tests are counted apart: the gate asks for them, so they must not use up the limit.
    let test_lines: u64 = change
        .counted()
        .map(|f| {
            if gates.languages.iter().any(|l| l.tests.is_match(&f.path)) {
                f.changed()
            } else {
                f.added_lines
                    .iter()
                    .filter(|line| is_test_line(&f.path, **line))
                    .count() as u64
            }
        })
        .sum();
    let counted = change.counted_lines() - test_lines.min(change.counted_lines());
    let size = Measure::max_lines(
        "changed lines (AI-assisted change, tests apart)",
        counted,
        gates.ai_max_changed_lines,
    );
    if test_lines > 0 {
        notes.push(format!(
            "{test_lines} changed test line(s) are not counted towards the AI-assisted size limit (pr-size counts every line)"
        ));
    }
    if size.status == MeasureStatus::Fail {
        findings.push(Finding::new(
            FindingKind::AiChangeTooBig,
            Level::Error,
            "AI-assisted change too big",
            format!(
                "{counted} changed lines is over the limit of {} for changes with AI-assisted commits",
                gates.ai_max_changed_lines
            ),
        ));
        next_steps.push(format!(
            "split the change into pull requests of at most {} changed lines",
            gates.ai_max_changed_lines
        ));
    }
    measures.push(size);

    // Tests with source, per language. A test change adds or changes a test: a test file changed
    // in more than comments, or test lines added inside a source file.
    if gates.require_tests_with_source {
        for language in &gates.languages {
            let sources: Vec<&String> = touched_by
                .keys()
                .filter(|p| language.is_source(p))
                .collect();
            if sources.is_empty() {
                continue;
            }
            let tests_changed = in_change.iter().any(|(path, file)| {
                (language.tests.is_match(path) && file.changes_code)
                    || (language.is_source(path)
                        && file
                            .added_code_lines
                            .iter()
                            .any(|line| is_test_function_line(path, *line)))
            });
            if tests_changed {
                notes.push(format!(
                    "{}: AI-assisted source changes come with test changes",
                    language.name
                ));
                continue;
            }
            for source in &sources {
                findings.push(
                    Finding::new(
                        FindingKind::SourceWithoutTests,
                        Level::Error,
                        format!("Source changed without tests ({})", language.name),
                        format!(
                            "{source} was changed by AI-assisted commit(s) {}, and the change touches no test ({})",
                            touched_by[*source].join(", "),
                            language.test_globs.join(", ")
                        ),
                    )
                    .on(source, None, None),
                );
            }
            let inline = sources
                .iter()
                .find_map(|s| super::tests_in_source::inline_tests_hint(s.as_str()))
                .map(|hint| format!(", or {hint}"))
                .unwrap_or_default();
            next_steps.push(format!(
                "add or update {} tests ({}{inline}) for: {}",
                language.name,
                language.test_globs.join(", "),
                sources
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    // Coverage of the lines the AI-assisted commits added.
    let coverage_result = match coverage {
        None => {
            measures.push(Measure {
                name: "changed-line coverage (AI-added lines)".into(),
                value: None,
                limit: super::Amount::Percent(gates.min_changed_line_coverage),
                bound: super::Bound::Min,
                status: MeasureStatus::NotMeasured,
            });
            notes.push(
                "changed-line coverage not measured: pass a report with --coverage lcov.info (lcov or Cobertura)".into(),
            );
            None
        }
        Some(report) => {
            let ai_ids: BTreeSet<&str> = commits.iter().map(|c| c.id.as_str()).collect();
            let mut added = ai_added_lines(repo, range, touched_by.keys(), &ai_ids)?;
            // Test lines are tests, never covered source.
            for (path, lines) in added.iter_mut() {
                lines.retain(|line| !is_test_line(path, *line));
            }
            added.retain(|_, lines| !lines.is_empty());
            let result = line_coverage(&added, report, gates);
            // A report that knows none of the changed source files measured nothing of this
            // change (another checkout's report, or one from other tests): that is a finding,
            // not a pass.
            let is_foreign = result.coverable == 0 && !result.not_in_report.is_empty();
            let passed = !is_foreign
                && result
                    .percent
                    .is_none_or(|p| p >= gates.min_changed_line_coverage);
            measures.push(Measure {
                name: "changed-line coverage (AI-added lines)".into(),
                value: result.percent.map(super::Amount::Percent),
                limit: super::Amount::Percent(gates.min_changed_line_coverage),
                bound: super::Bound::Min,
                status: if is_foreign {
                    MeasureStatus::Fail
                } else if result.percent.is_none() {
                    MeasureStatus::NotMeasured
                } else if passed {
                    MeasureStatus::Pass
                } else {
                    MeasureStatus::Fail
                },
            });
            if is_foreign {
                findings.push(Finding::new(
                    FindingKind::CoverageTooLow,
                    Level::Error,
                    "Coverage report does not know the changed files",
                    format!(
                        "the coverage report has none of the source files AI-assisted commits changed ({}): it measures nothing of this change",
                        result.not_in_report.join(", ")
                    ),
                ));
                next_steps.push(
                    "run the tests with coverage in this checkout and pass that report (paths are matched to the repo, also from another checkout's absolute paths)".into(),
                );
            } else if result.percent.is_none() {
                notes.push("no coverable line among the lines AI-assisted commits added".into());
            }
            if !passed && !is_foreign {
                findings.push(Finding::new(
                    FindingKind::CoverageTooLow,
                    Level::Error,
                    "Changed-line coverage too low",
                    format!(
                        "tests execute {} of {} coverable lines that AI-assisted commits added ({}), below {}",
                        result.covered,
                        result.coverable,
                        percentage(result.percent.unwrap_or(0.0)),
                        percentage(gates.min_changed_line_coverage)
                    ),
                ));
                for file in &result.files {
                    for range in &file.uncovered {
                        findings.push(
                            Finding::new(
                                FindingKind::UncoveredLines,
                                Level::Warning,
                                "Line not covered by tests",
                                format!(
                                    "{}:{range} was added by an AI-assisted commit and no test executes it",
                                    file.path
                                ),
                            )
                            .on(&file.path, Some(range.start), Some(range.end)),
                        );
                    }
                }
                // Keep the findings to what a person reads: the first ranges of the worst files.
                let mut kept = 0;
                findings.retain(|f| {
                    if f.kind != FindingKind::UncoveredLines {
                        return true;
                    }
                    kept += 1;
                    kept <= MAX_COVERAGE_FINDINGS
                });
                next_steps.push(
                    "write tests that execute the uncovered lines listed above, then run the coverage again".into(),
                );
            }
            if !is_foreign {
                for path in &result.not_in_report {
                    notes.push(format!(
                        "{path} has AI-added lines but is not in the coverage report"
                    ));
                }
            }
            Some(result)
        }
    };

    let mut failing = Vec::new();
    if measures[0].status == MeasureStatus::Fail {
        failing.push("size limit");
    }
    if findings
        .iter()
        .any(|f| f.title.starts_with("Source changed"))
    {
        failing.push("tests with source");
    }
    if measures
        .iter()
        .skip(1)
        .any(|m| m.status == MeasureStatus::Fail)
    {
        failing.push("changed-line coverage");
    }
    let failed = !failing.is_empty();
    let headline = if failed {
        format!(
            "{} AI-assisted commit(s); failing: {}",
            commits.len(),
            failing.join(", ")
        )
    } else {
        format!(
            "{} AI-assisted commit(s); the stricter rules pass",
            commits.len()
        )
    };
    let mut verdict = Verdict::new(
        Gate::AiProvenance,
        if failed { Status::Fail } else { Status::Pass },
        headline,
    );
    verdict.measures = measures;
    verdict.ai_commits = commits;
    verdict.coverage = coverage_result;
    verdict.findings = findings;
    verdict.notes = notes;
    verdict.next_steps = next_steps;
    Ok(verdict)
}

/// The commits of merge-base..head (every parent, so merged branches count) that carry a
/// marker trailer, oldest first.
pub fn ai_commits(
    repo: &git2::Repository,
    range: &Range,
    gates: &Gates,
) -> Result<Vec<AiCommit>, GateError> {
    let oid = |s: &str| git2::Oid::from_str(s).map_err(git);
    let mut walk = repo.revwalk().map_err(git)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .map_err(git)?;
    walk.push(oid(&range.head)?).map_err(git)?;
    walk.hide(oid(&range.merge_base)?).map_err(git)?;
    let mut out = Vec::new();
    for id in walk {
        let commit = repo.find_commit(id.map_err(git)?).map_err(git)?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        let mut reasons = Vec::new();
        for (name, value) in trailers(&message) {
            if let Some(marker) = gates.markers.iter().find(|m| m.matches(&name, &value)) {
                reasons.push(format!(
                    "trailer `{name}: {value}` matches `{}`",
                    marker.text
                ));
            }
        }
        if reasons.is_empty() {
            continue;
        }
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree().map_err(git)?),
            Err(_) => None,
        };
        let tree = commit.tree().map_err(git)?;
        let files = diff_files(repo, parent_tree.as_ref(), &tree)?
            .into_iter()
            .map(|f| f.path)
            .collect();
        out.push(AiCommit {
            id: id_string(commit.id()),
            summary: message.lines().next().unwrap_or_default().trim().to_owned(),
            author: String::from_utf8_lossy(commit.author().name_bytes()).into_owned(),
            reasons,
            files,
        });
    }
    Ok(out)
}

fn id_string(id: git2::Oid) -> String {
    id.to_string()
}

/// The trailers of a commit message: what git parses, plus `Name: value` lines of the last
/// paragraph that git's stricter parser leaves out (e.g. a paragraph mixing trailers and text).
pub fn trailers(message: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Ok(parsed) = git2::message_trailers_strs(message) {
        out.extend(
            parsed
                .iter()
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())),
        );
    }
    let body = message.trim_end();
    if let Some(last) = body.rsplit("\n\n").next().filter(|_| body.contains("\n\n")) {
        for line in last.lines() {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim();
            let is_token =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            let pair = (name.to_owned(), value.trim().to_owned());
            if is_token && !value.trim().is_empty() && !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

/// Per file, the lines (1-based, at head) whose blame is an AI-assisted commit.
fn ai_added_lines<'a>(
    repo: &git2::Repository,
    range: &Range,
    files: impl Iterator<Item = &'a String>,
    ai_ids: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Vec<u32>>, GateError> {
    let head = git2::Oid::from_str(&range.head).map_err(git)?;
    let oldest = git2::Oid::from_str(&range.merge_base).map_err(git)?;
    let mut ids: HashMap<git2::Oid, bool> = HashMap::new();
    let mut out = BTreeMap::new();
    for file in files {
        let mut options = git2::BlameOptions::new();
        options.newest_commit(head).oldest_commit(oldest);
        let blame = repo
            .blame_file(Path::new(file), Some(&mut options))
            .map_err(git)?;
        let mut lines = Vec::new();
        for hunk in blame.iter() {
            let id = hunk.final_commit_id();
            let is_ai = *ids
                .entry(id)
                .or_insert_with(|| ai_ids.contains(id.to_string().as_str()));
            if is_ai && !hunk.is_boundary() {
                let start = hunk.final_start_line() as u32;
                lines.extend(start..start + hunk.lines_in_hunk() as u32);
            }
        }
        if !lines.is_empty() {
            lines.sort_unstable();
            out.insert(file.clone(), lines);
        }
    }
    Ok(out)
}

/// A source file's test code and test functions, as 1-based inclusive line ranges.
struct InlineTests {
    code: Vec<(u32, u32)>,
    functions: Vec<(u32, u32)>,
}

fn within(ranges: &[(u32, u32)], line: u32) -> bool {
    ranges.iter().any(|(a, b)| (*a..=*b).contains(&line))
}

/// The text of `path` at head, when it is a UTF-8 blob.
fn head_text(repo: &git2::Repository, range: &Range, path: &str) -> Option<String> {
    let head = repo
        .find_commit(git2::Oid::from_str(&range.head).ok()?)
        .ok()?;
    let entry = head.tree().ok()?.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    String::from_utf8(blob.content().to_vec()).ok()
}

/// Coverage of `added` lines per file: coverable lines are those the report has hits for.
pub fn line_coverage(
    added: &BTreeMap<String, Vec<u32>>,
    report: &Coverage,
    gates: &Gates,
) -> LineCoverage {
    let (mut covered, mut coverable) = (0, 0);
    let mut files = Vec::new();
    let mut not_in_report = Vec::new();
    for (path, lines) in added {
        if !report.files.contains_key(path) {
            if gates.languages.iter().any(|l| l.is_source(path)) {
                not_in_report.push(path.clone());
            }
            continue;
        }
        let (mut file_covered, mut file_coverable) = (0, 0);
        let mut uncovered = Vec::new();
        for &line in lines {
            if let Some(hits) = report.hits(path, line) {
                file_coverable += 1;
                if hits > 0 {
                    file_covered += 1;
                } else {
                    uncovered.push(line);
                }
            }
        }
        covered += file_covered;
        coverable += file_coverable;
        if !uncovered.is_empty() {
            files.push(FileCoverage {
                path: path.clone(),
                covered: file_covered,
                coverable: file_coverable,
                uncovered: line_ranges(&uncovered),
            });
        }
    }
    files.sort_by(|a, b| {
        (b.coverable - b.covered)
            .cmp(&(a.coverable - a.covered))
            .then(a.path.cmp(&b.path))
    });
    LineCoverage {
        covered,
        coverable,
        percent: (coverable > 0).then(|| covered as f64 * 100.0 / coverable as f64),
        threshold: gates.min_changed_line_coverage,
        files,
        not_in_report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_come_from_git_and_from_the_last_paragraph() {
        let message = "Add a thing\n\nBody text.\n\nCo-authored-by: GitHub Copilot <copilot@github.com>\nSigned-off-by: A <a@example.com>\n";
        let found = trailers(message);
        assert!(found.contains(&(
            "Co-authored-by".into(),
            "GitHub Copilot <copilot@github.com>".into()
        )));
        // A last paragraph that starts with text: git's parser may skip it, the fallback does not.
        let message = "Fix\n\nSome words here\nAI-Assisted: true\n";
        assert!(trailers(message).contains(&("AI-Assisted".into(), "true".into())));
        // A subject alone has no trailers.
        assert!(trailers("Assisted-by: nobody").is_empty());
    }

    #[test]
    fn coverage_counts_only_coverable_added_lines() {
        let gates = Gates::load(Path::new("/nonexistent/gates.yaml")).unwrap();
        let mut report = Coverage::default();
        report.files.insert(
            "src/a.rs".into(),
            BTreeMap::from([(1, 3), (2, 0), (3, 0), (5, 1), (9, 0)]),
        );
        let added = BTreeMap::from([
            ("src/a.rs".to_owned(), vec![1, 2, 3, 4, 5]),
            ("src/new.rs".to_owned(), vec![1, 2]),
            ("README.md".to_owned(), vec![1]),
        ]);
        let result = line_coverage(&added, &report, &gates);
        assert_eq!((result.covered, result.coverable), (2, 4));
        assert_eq!(result.percent, Some(50.0));
        assert_eq!(result.files.len(), 1);
        let ranges: Vec<String> = result.files[0]
            .uncovered
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ranges, ["2-3"]);
        assert_eq!(result.not_in_report, ["src/new.rs"]);
    }

    #[test]
    fn no_coverable_line_is_not_a_percentage() {
        let gates = Gates::load(Path::new("/nonexistent/gates.yaml")).unwrap();
        let added = BTreeMap::from([("src/a.rs".to_owned(), vec![1])]);
        let mut report = Coverage::default();
        report.files.insert("src/a.rs".into(), BTreeMap::new());
        let result = line_coverage(&added, &report, &gates);
        assert_eq!(result.percent, None);
    }

    /// Commits `files` (path, content) on top of `parents` with `message`; returns its id.
    fn commit(
        repo: &git2::Repository,
        parents: &[git2::Oid],
        files: &[(&str, &str)],
        message: &str,
    ) -> git2::Oid {
        let parents: Vec<git2::Commit<'_>> = parents
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let mut index = git2::Index::new().unwrap();
        if let Some(first) = parents.first() {
            index.read_tree(&first.tree().unwrap()).unwrap();
        }
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        let tree = repo.find_tree(index.write_tree_to(repo).unwrap()).unwrap();
        let sig = git2::Signature::now("Dev", "dev@example.com").unwrap();
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(None, &sig, &sig, message, &tree, &refs)
            .unwrap()
    }

    fn numbered(lines: std::ops::RangeInclusive<u32>, word: &str) -> String {
        lines.map(|i| format!("{word} {i}\n")).collect()
    }

    #[test]
    fn coverage_counts_lines_ai_commits_added_and_still_own_at_head() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(tmp.path()).unwrap();
        let base = commit(
            &repo,
            &[],
            &[("src/a.rs", &numbered(1..=4, "base"))],
            "base",
        );
        // A side branch: an AI commit appends lines 5-8 to src/a.rs; merged into the feature.
        let mut a = numbered(1..=4, "base");
        a.push_str(&numbered(5..=8, "ai"));
        let ai = commit(
            &repo,
            &[base],
            &[("src/a.rs", &a)],
            "AI work\n\nCo-authored-by: Claude <noreply@anthropic.com>\n",
        );
        let human = commit(&repo, &[base], &[("tests/a.rs", "test\n")], "tests");
        let merge = commit(&repo, &[human, ai], &[("src/a.rs", &a)], "Merge side");
        // A human rewrites line 8: no longer the AI commit's line.
        let mut a = numbered(1..=4, "base");
        a.push_str(&numbered(5..=7, "ai"));
        a.push_str("human 8\n");
        let head = commit(&repo, &[merge], &[("src/a.rs", &a)], "fix by hand");

        let gates = Gates::load(Path::new("/nonexistent/gates.yaml")).unwrap();
        let range = Range {
            base_ref: "base".into(),
            base: base.to_string(),
            merge_base: base.to_string(),
            head_ref: "head".into(),
            head: head.to_string(),
        };
        let change = super::super::range::change(&repo, &range, &gates).unwrap();
        let mut report = Coverage::default();
        // Line 4 (base) and 8 (human) uncovered but not the AI's; 5 and 6 covered, 7 not.
        report.files.insert(
            "src/a.rs".into(),
            BTreeMap::from([(4, 0), (5, 1), (6, 2), (7, 0), (8, 0)]),
        );
        let verdict = ai_provenance(&repo, &range, &change, &gates, Some(&report)).unwrap();
        assert_eq!(verdict.ai_commits.len(), 1, "{verdict:#?}");
        assert_eq!(verdict.ai_commits[0].id, ai.to_string());
        let coverage = verdict.coverage.as_ref().unwrap();
        assert_eq!(
            (coverage.covered, coverage.coverable),
            (2, 3),
            "{coverage:#?}"
        );
        assert_eq!(
            coverage.files[0].uncovered,
            [crate::gate::LineRange { start: 7, end: 7 }]
        );
        // 66.7% is below the default 80%.
        assert_eq!(verdict.status, Status::Fail);
        assert!(
            verdict
                .findings
                .iter()
                .any(|f| f.file.as_deref() == Some("src/a.rs") && f.line == Some(7))
        );
        // The tests rule holds: the change has a test file.
        assert!(
            !verdict
                .findings
                .iter()
                .any(|f| f.title.starts_with("Source changed"))
        );
    }
}
