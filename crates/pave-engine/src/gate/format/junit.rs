//! `--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Buildkite…).
//!
//! One `<testsuite name="pave gate">` with a `<testcase classname="pave.gate">` per gate, named
//! for the gate: a failing gate has a `<failure>` whose message is its verdict and whose body is
//! its numbers, findings, notes and next steps; a disabled gate is `<skipped>`. A gate that cannot
//! give a verdict stops the run (exit 2) before any report, so there is no `<error>`. Written with
//! `pave check --format junit`'s test-case writer (escaped by [`pave_base::xml`]); no timestamps
//! or durations.

use std::fmt::Write as _;

use super::{measure_text, status_word};
use crate::gate::{GateReport, Level, Status, Verdict};
use crate::report::junit::{Case, DECLARATION, Outcome, counts, write_case, write_properties};

const NAME: &str = "pave gate";
const CLASSNAME: &str = "pave.gate";

pub fn render(report: &GateReport) -> String {
    let cases: Vec<Case> = report.gates.iter().map(case).collect();
    let mut out = String::from(DECLARATION);
    let _ = writeln!(out, "<testsuites name=\"{NAME}\" {}>", counts(cases.iter()));
    let _ = writeln!(
        out,
        "  <testsuite name=\"{NAME}\" {}>",
        counts(cases.iter())
    );
    let mut properties = vec![(
        "config",
        report
            .config
            .clone()
            .unwrap_or_else(|| "defaults".to_owned()),
    )];
    if let Some(range) = &report.range {
        properties.push(("base", format!("{} ({})", range.base_ref, range.base)));
        properties.push(("head", format!("{} ({})", range.head_ref, range.head)));
        properties.push(("merge-base", range.merge_base.clone()));
    }
    write_properties(&mut out, &properties);
    for case in &cases {
        write_case(&mut out, CLASSNAME, case);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn case(verdict: &Verdict) -> Case {
    let outcome = match verdict.status {
        Status::Pass => Outcome::Pass,
        Status::Skipped => Outcome::Skipped(verdict.headline.clone()),
        Status::Fail => Outcome::Failure {
            kind: verdict.gate.as_str(),
            message: format!("{}: {}", status_word(verdict.status), verdict.headline),
            body: details(verdict),
        },
    };
    Case {
        name: verdict.gate.as_str().to_owned(),
        outcome,
    }
}

/// What a failing gate measured and found, and what to do: one item a line.
fn details(verdict: &Verdict) -> String {
    let mut lines: Vec<String> = verdict
        .measures
        .iter()
        .map(|m| format!("{}: {}", m.name, measure_text(m)))
        .collect();
    for f in &verdict.findings {
        let level = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        };
        // The messages name their files and lines.
        lines.push(format!("{level}: {}", f.message));
    }
    lines.extend(verdict.notes.iter().map(|n| format!("note: {n}")));
    lines.extend(verdict.next_steps.iter().map(|s| format!("next: {s}")));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Finding, FindingKind, Gate};

    #[test]
    fn verdicts_are_escaped_and_counted() {
        let mut failing =
            Verdict::new(Gate::PrSize, Status::Fail, "\"big\" <change> & more".into());
        failing.findings.push(Finding::new(
            FindingKind::ChangeTooBig,
            Level::Error,
            "Change too big",
            "a <b> & 'c'\r",
        ));
        let report = GateReport::new(
            None,
            None,
            vec![
                failing,
                Verdict::new(Gate::AiProvenance, Status::Pass, "ok".into()),
                Verdict::skipped(Gate::Conformance),
            ],
        );
        let xml = render(&report);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("tests"), Some("3"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        let failure = doc
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert_eq!(
            failure.attribute("message"),
            Some("FAIL: \"big\" <change> & more")
        );
        assert_eq!(failure.attribute("type"), Some("pr-size"));
        assert_eq!(failure.text(), Some("error: a <b> & 'c'\r"));
        let property = doc
            .descendants()
            .find(|n| n.has_tag_name("property"))
            .unwrap();
        assert_eq!(property.attribute("value"), Some("defaults"));
    }
}
