//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning, uploaded with `category: pave-gate`
//! (the run's `automationDetails.id` says the same), so the gate's alerts and `pave check`'s stay
//! apart.
//!
//! One run of the `pave` driver, the log skeleton of `pave check --format sarif`
//! (`report::sarif`). Its rules are always all listed, in a fixed order, so indexes and ids are
//! stable: one per kind of pr-size and ai-provenance finding (`pave.gate.pr-size`,
//! `pave.gate.ai-provenance.tests`, …), then `pave check`'s own rules for the conformance gate's
//! findings (`pave/drifted`, …). Every finding is a result: at its file and lines when it has
//! them, at line 1 of its file when it has no line (code scanning needs a region), and a finding
//! of the change as a whole (too big, coverage too low) at the configuration file that sets the
//! limit when that is `.pave/gates.yaml`, else without a location.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::gate::config::CONFIG_PATH;
use crate::gate::{Finding, FindingKind, GateReport, Level};
use crate::report::sarif::{
    self, CONFLICTED, DELETED, DIVERGED, DRIFTED, EDITED, EXCEPTED, FINGERPRINT_KEY, LOCK_MISMATCH,
    PINNED, RULES, Rule, location,
};
use pave_model::lock::sha256_hex;

/// The code scanning category of the gate's results.
pub const CATEGORY: &str = "pave-gate";

const TAGS: &[&str] = &["pave", "gate"];

/// The rules of the pr-size and ai-provenance gates, in their [`FindingKind`] order.
const GATE_RULES: [Rule; 5] = [
    Rule {
        id: "pave.gate.pr-size",
        name: "ChangeTooBig",
        level: "error",
        short: "The change has more changed lines than the pr-size gate allows",
        full: "`pave gate pr-size` counts the lines added and deleted from the merge base to head, without the files `pr_size.exclude` matches, against `pr_size.max_changed_lines` in .pave/gates.yaml.",
        help: "Split the change into smaller pull requests, biggest files first. If a file is generated, vendored or a lock file, add its glob to `pr_size.exclude` in .pave/gates.yaml.",
        tags: TAGS,
    },
    Rule {
        id: "pave.gate.ai-provenance.size",
        name: "AiAssistedChangeTooBig",
        level: "error",
        short: "A change with AI-assisted commits is over its smaller size limit",
        full: "When a commit of the change is AI-assisted (a trailer such as `Co-authored-by: *Copilot*` or `Assisted-by: *`), the change must stay within `ai_provenance.rules.max_changed_lines`, so a person can review every line.",
        help: "Split the change into smaller pull requests.",
        tags: TAGS,
    },
    Rule {
        id: "pave.gate.ai-provenance.tests",
        name: "AiSourceChangedWithoutTests",
        level: "error",
        short: "AI-assisted commits changed source and the change touches no test",
        full: "With `ai_provenance.rules.require_tests_with_source`, source that AI-assisted commits changed must come with a change to the language's tests in the same change.",
        help: "Add or update tests for the changed source in the same pull request; the result names the test globs of its language.",
        tags: TAGS,
    },
    Rule {
        id: "pave.gate.ai-provenance.coverage",
        name: "AiChangedLineCoverageTooLow",
        level: "error",
        short: "Tests execute too few of the lines AI-assisted commits added",
        full: "The changed-line coverage of the lines AI-assisted commits added (from the --coverage report, lcov or Cobertura) is below `ai_provenance.rules.min_changed_line_coverage`.",
        help: "Write tests that execute the uncovered lines (each range is a result of `pave.gate.ai-provenance.uncovered-lines`), then run the coverage again.",
        tags: TAGS,
    },
    Rule {
        id: "pave.gate.ai-provenance.uncovered-lines",
        name: "AiAddedLinesNotCovered",
        level: "warning",
        short: "Lines an AI-assisted commit added that no test executes",
        full: "The coverage report given with --coverage shows these lines, added by an AI-assisted commit, as coverable and never executed.",
        help: "Write a test that executes these lines.",
        tags: TAGS,
    },
];

/// A finding kind's rule: its index among the driver's rules and the rule.
fn rule_of(kind: FindingKind) -> (usize, &'static Rule) {
    let check = |index: usize| (GATE_RULES.len() + index, &RULES[index]);
    match kind {
        FindingKind::ChangeTooBig => (0, &GATE_RULES[0]),
        FindingKind::AiChangeTooBig => (1, &GATE_RULES[1]),
        FindingKind::SourceWithoutTests => (2, &GATE_RULES[2]),
        FindingKind::CoverageTooLow => (3, &GATE_RULES[3]),
        FindingKind::UncoveredLines => (4, &GATE_RULES[4]),
        FindingKind::Drifted => check(DRIFTED),
        FindingKind::Deleted => check(DELETED),
        FindingKind::EditedMerged => check(EDITED),
        FindingKind::LockMismatch => check(LOCK_MISMATCH),
        FindingKind::Conflicted => check(CONFLICTED),
        FindingKind::Excepted => check(EXCEPTED),
        FindingKind::Diverged => check(DIVERGED),
        FindingKind::Pinned => check(PINNED),
    }
}

pub fn render(report: &GateReport) -> String {
    let rules: Vec<Value> = GATE_RULES.iter().chain(&RULES).map(sarif::rule).collect();
    // Where findings of the change as a whole are shown: the configuration file, if in the repo.
    let config = report
        .config
        .as_deref()
        .filter(|path| Path::new(path).ends_with(CONFIG_PATH))
        .map(|_| CONFIG_PATH);
    let mut seen: BTreeMap<(&str, Option<&str>, Option<u32>), usize> = BTreeMap::new();
    let mut results = Vec::new();
    for verdict in &report.gates {
        for finding in &verdict.findings {
            let (index, rule) = rule_of(finding.kind);
            let file = finding.file.as_deref().or(config);
            // Results of one rule at one place are told apart by their order.
            let nth = seen.entry((rule.id, file, finding.line)).or_default();
            *nth += 1;
            let identity = format!(
                "{}\0{}\0{}\0{nth}",
                rule.id,
                file.unwrap_or_default(),
                finding.line.map(|l| l.to_string()).unwrap_or_default()
            );
            let mut result = json!({
                "ruleId": rule.id,
                "ruleIndex": index,
                "level": level(finding),
                "message": {"text": finding.message},
                "partialFingerprints": {FINGERPRINT_KEY: sha256_hex(identity.as_bytes())},
                "properties": {"gate": verdict.gate, "title": finding.title},
            });
            if let (Some(file), Some(map)) = (file, result.as_object_mut()) {
                let start = finding.line.unwrap_or(1);
                map.insert(
                    "locations".into(),
                    json!([location(file, start, finding.end_line)]),
                );
            }
            results.push(result);
        }
    }
    sarif::log(rules, results, Some(CATEGORY))
}

fn level(finding: &Finding) -> &'static str {
    match finding.level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Notice => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_indexes_match_the_listed_rules() {
        let listed: Vec<&str> = GATE_RULES.iter().chain(&RULES).map(|r| r.id).collect();
        for kind in [
            FindingKind::ChangeTooBig,
            FindingKind::AiChangeTooBig,
            FindingKind::SourceWithoutTests,
            FindingKind::CoverageTooLow,
            FindingKind::UncoveredLines,
            FindingKind::Drifted,
            FindingKind::Deleted,
            FindingKind::EditedMerged,
            FindingKind::LockMismatch,
            FindingKind::Conflicted,
            FindingKind::Pinned,
        ] {
            let (index, rule) = rule_of(kind);
            assert_eq!(listed[index], rule.id, "{kind:?}");
        }
        assert_eq!(rule_of(FindingKind::Drifted).1.id, "pave/drifted");
        assert_eq!(rule_of(FindingKind::Pinned).1.id, "pave/pinned");
        assert_eq!(
            rule_of(FindingKind::SourceWithoutTests).1.id,
            "pave.gate.ai-provenance.tests"
        );
    }
}
