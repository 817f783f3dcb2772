//! Renderers of a [`GateReport`](super::GateReport): one model, one file per `--format`. Every
//! renderer is pure (report in, text out) and lists in a stable order.

mod github;
mod junit;
mod markdown;
mod sarif;
mod text;

use clap::ValueEnum;

use super::GateReport;

/// Output formats of `pave gate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateFormat {
    /// One screen for a person: PASS/FAIL per gate, the numbers, and what to do next.
    Text,
    /// The report model, for scripts (documented in the README).
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`).
    Github,
    /// Markdown for `$GITHUB_STEP_SUMMARY` or a merge-request comment.
    Markdown,
    /// SARIF 2.1.0, for code-scanning upload (`category: pave-gate`).
    Sarif,
    /// JUnit XML: one test case per gate.
    Junit,
}

/// At most this many files are listed as "biggest".
pub(crate) const TOP_FILES: usize = 5;

pub fn render(report: &GateReport, format: GateFormat) -> String {
    match format {
        GateFormat::Text => text::render(report),
        GateFormat::Json => {
            serde_json::to_string_pretty(report).expect("the gate report serialises") + "\n"
        }
        GateFormat::Github => github::render(report),
        GateFormat::Markdown => markdown::render(report),
        GateFormat::Sarif => sarif::render(report),
        GateFormat::Junit => junit::render(report),
    }
}

/// `+12 -3`, or `binary`.
pub(crate) fn lines_of(file: &super::FileChange) -> String {
    if file.binary {
        "binary".into()
    } else {
        format!("+{} -{}", file.added, file.deleted)
    }
}

/// `src/new.rs (was src/old.rs)` for a rename.
pub(crate) fn path_of(file: &super::FileChange) -> String {
    match &file.old_path {
        Some(old) => format!("{} (was {old})", file.path),
        None => file.path.clone(),
    }
}

/// `123 ≤ 400`, `50.0% < 80.0%`, `not measured (min 80.0%)`, `nothing measured (min 80.0%)`.
pub(crate) fn measure_text(m: &super::Measure) -> String {
    use super::{Bound, MeasureStatus};
    let Some(value) = m.value else {
        let bound = if m.bound == Bound::Max { "max" } else { "min" };
        // A measure that fails without a value could not be taken from what was given.
        let what = if m.status == MeasureStatus::Fail {
            "nothing measured"
        } else {
            "not measured"
        };
        return format!("{what} ({bound} {})", m.limit);
    };
    let op = match (m.bound, m.status == MeasureStatus::Fail) {
        (Bound::Max, false) => "≤",
        (Bound::Max, true) => ">",
        (Bound::Min, false) => "≥",
        (Bound::Min, true) => "<",
    };
    format!("{value} {op} {}", m.limit)
}

pub(crate) fn status_word(status: super::Status) -> &'static str {
    match status {
        super::Status::Pass => "PASS",
        super::Status::Fail => "FAIL",
        super::Status::Skipped => "SKIP",
    }
}
