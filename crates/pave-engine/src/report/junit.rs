//! `--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Buildkite…).
//!
//! One `<testsuite>` per golden path, named `<golden path>@<version>`, and one `<testcase>` per
//! managed file (class name: the golden path; name: the path). Drifted and deleted files fail;
//! a diverged or excepted file is skipped, as the repo keeps its own version of it by choice (so
//! every exception is a skipped case). Merged and seeded files are not test cases: the repo may
//! edit them, so there is nothing to pass or fail — except a deleted or conflicted merged file,
//! which fails `pave check` and so is a failing test case, and a diverged one (skipped).
//! When the catalog was consulted, `.pave/lock.yaml` is one more test case, failing on lock
//! mismatches. No timestamps or durations, so the same repo gives the same XML. Escaped by
//! [`pave_base::xml`], as every XML pave writes; the test-case writer is shared with
//! `pave gate --format junit` (`gate/format/junit.rs`).

use std::fmt::Write as _;

use crate::check::{CheckReport, FileReport, FileState, GoldenPathReport};
use pave_base::xml::{attr, text};
use pave_model::lock::LOCK_PATH;
use pave_model::manifest::Ownership;

/// One `<testcase>` before escaping.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) outcome: Outcome,
}

pub(crate) enum Outcome {
    Pass,
    Skipped(String),
    Failure {
        kind: &'static str,
        message: String,
        body: String,
    },
}

impl Outcome {
    fn is_failure(&self) -> bool {
        matches!(self, Self::Failure { .. })
    }

    fn is_skipped(&self) -> bool {
        matches!(self, Self::Skipped(_))
    }
}

/// The XML declaration every JUnit report starts with.
pub(crate) const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// `tests="…" failures="…" errors="0" skipped="…"` of some test cases.
pub(crate) fn counts<'a>(cases: impl Iterator<Item = &'a Case> + Clone) -> String {
    format!(
        "tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\"",
        cases.clone().count(),
        cases.clone().filter(|c| c.outcome.is_failure()).count(),
        cases.filter(|c| c.outcome.is_skipped()).count(),
    )
}

/// A `<properties>` block of a `<testsuite>`.
pub(crate) fn write_properties(out: &mut String, properties: &[(&str, String)]) {
    out.push_str("    <properties>\n");
    for (name, value) in properties {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(value)
        );
    }
    out.push_str("    </properties>\n");
}

/// A `<testcase>` of a `<testsuite>`, with its outcome.
pub(crate) fn write_case(out: &mut String, classname: &str, case: &Case) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        attr(classname),
        attr(&case.name)
    );
    match &case.outcome {
        Outcome::Pass => {
            let _ = writeln!(out, "{open}/>");
        }
        Outcome::Skipped(message) => {
            let _ = writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                attr(message)
            );
        }
        Outcome::Failure {
            kind,
            message,
            body,
        } => {
            let _ = writeln!(
                out,
                "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                attr(message),
                attr(kind),
                text(body)
            );
        }
    }
}

pub fn render(report: &CheckReport) -> String {
    let suites: Vec<(&GoldenPathReport, Vec<Case>)> = report
        .golden_paths
        .iter()
        .map(|gp| (gp, cases(gp)))
        .collect();
    let mut out = String::from(DECLARATION);
    let _ = writeln!(
        out,
        "<testsuites name=\"pave check\" {}>",
        counts(suites.iter().flat_map(|(_, cases)| cases))
    );
    for (gp, cases) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" {}>",
            attr(&format!("{}@{}", gp.name, gp.version)),
            counts(cases.iter()),
        );
        let mut properties = vec![("catalog", gp.catalog.clone())];
        if let Some(view) = &gp.catalog_view {
            properties.push(("latest", view.latest.clone()));
            properties.push(("versions-behind", view.versions_behind.to_string()));
        }
        if let Some(note) = &gp.catalog_note {
            properties.push(("catalog-note", note.clone()));
        }
        write_properties(&mut out, &properties);
        for case in cases {
            write_case(&mut out, &gp.name, case);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn cases(gp: &GoldenPathReport) -> Vec<Case> {
    let at = format!("{}@{}", gp.name, gp.version);
    let fix = format!(
        "see the changes: pave diff\nfix: {}",
        super::fix_command(gp)
    );
    let mut cases: Vec<Case> = gp
        .files
        .iter()
        .filter(|f| {
            f.ownership == Ownership::Managed || f.state.is_failure() || f.state.is_exception()
        })
        .map(|f| Case {
            name: f.path.clone(),
            outcome: file_outcome(f, &at, &fix),
        })
        .collect();
    if let Some(view) = &gp.catalog_view {
        let outcome = if view.lock_mismatches.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Failure {
                kind: "lock-mismatch",
                message: format!(
                    "the lock disagrees with {at} in {} place(s)",
                    view.lock_mismatches.len()
                ),
                body: format!(
                    "{}\nfix: {}",
                    view.lock_mismatches.join("\n"),
                    super::LOCK_MISMATCH_FIX
                ),
            }
        };
        cases.push(Case {
            name: LOCK_PATH.to_owned(),
            outcome,
        });
    }
    cases
}

fn file_outcome(file: &FileReport, at: &str, fix: &str) -> Outcome {
    match file.state {
        FileState::Drifted => Outcome::Failure {
            kind: "drifted",
            message: format!("{} is managed by {at} and was edited", file.path),
            body: fix.to_owned(),
        },
        FileState::Deleted => Outcome::Failure {
            kind: "deleted",
            message: format!("{} ({} by {at}) is missing", file.path, file.ownership),
            body: fix.to_owned(),
        },
        FileState::Conflicted => Outcome::Failure {
            kind: "conflicted",
            message: format!(
                "{} is merged with {at} and still holds conflict markers",
                file.path
            ),
            body: super::CONFLICT_FIX.to_owned(),
        },
        FileState::Diverged => {
            Outcome::Skipped("diverged: the repo keeps its own version by choice".into())
        }
        FileState::Excepted => Outcome::Skipped(super::exception_words(file, at)),
        FileState::Unchanged | FileState::Pinned | FileState::Edited | FileState::Seeded => {
            Outcome::Pass
        }
    }
}
