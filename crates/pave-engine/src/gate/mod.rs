//! The AI-aware quality gates (issue #8): `pr-size`, `ai-provenance`, `conformance`.
//!
//! Each gate turns typed input (the configuration, the change between a merge base and head read
//! with git2, a [`coverage`] report, a check report) into one [`Verdict`]; `format/` renders a
//! [`GateReport`] of verdicts as text, JSON, GitHub workflow commands, Markdown, SARIF or JUnit. Nothing here
//! prints or reads the environment: the CI's base branch is the edge's business
//! (`commands/gate.rs`).

pub mod config;
mod conformance;
pub mod coverage;
pub mod format;
mod provenance;
pub mod range;
mod run;
pub mod tests_in_source;

use std::path::PathBuf;

use pave_base::text::percentage;
use serde::Serialize;

pub use config::Gates;
pub use conformance::conformance;
pub use provenance::ai_provenance;
pub use range::{Change, FileChange, Range};
pub use run::{Request, run};

/// Why a gate could not give a verdict (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot read {path}: {source}")]
    ConfigUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    ConfigSyntax {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}:{line}: {field}: {message}")]
    ConfigInvalid {
        path: PathBuf,
        line: u64,
        field: String,
        message: String,
    },
    #[error("{path} is not in a git repository")]
    NotARepo { path: PathBuf },
    #[error("git failed: {message}")]
    Git { message: String },
    #[error(
        "the base of the change is not in this repository (tried {}){}",
        tried.join(", "),
        if *shallow { "; this is a shallow clone, so it was probably not fetched" } else { "" }
    )]
    BaseNotFound { tried: Vec<String>, shallow: bool },
    #[error("head `{head}` is not a commit of this repository")]
    HeadNotFound { head: String },
    #[error(
        "this is a shallow clone and its history does not reach {missing}; the change cannot be measured"
    )]
    Shallow { missing: String },
    #[error("`{base}` and `{head}` have no common history (no merge base)")]
    NoMergeBase { base: String, head: String },
    #[error(transparent)]
    Coverage(#[from] coverage::CoverageError),
    #[error("--coverage is for `pave gate ai-provenance` and `pave gate all`")]
    CoverageUnused,
    /// `conformance` needs the lock.
    #[error(transparent)]
    Lock(#[from] pave_model::lock::LockError),
    /// `conformance` found a golden path its catalog does not know.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

/// The gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    PrSize,
    AiProvenance,
    Conformance,
}

impl Gate {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrSize => "pr-size",
            Self::AiProvenance => "ai-provenance",
            Self::Conformance => "conformance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    /// Disabled in the configuration.
    Skipped,
}

/// A number a gate measured, against its limit.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    /// What was measured (`changed lines`).
    pub name: String,
    /// `None`: not measured (e.g. no coverage report given).
    pub value: Option<Amount>,
    pub limit: Amount,
    /// `max`: the value must be at most the limit; `min`: at least.
    pub bound: Bound,
    pub status: MeasureStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Amount {
    Lines(u64),
    Percent(f64),
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lines(n) => write!(f, "{n}"),
            Self::Percent(p) => f.write_str(&percentage(*p)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    Max,
    Min,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeasureStatus {
    Pass,
    Fail,
    NotMeasured,
}

impl Measure {
    fn max_lines(name: &str, value: u64, limit: u64) -> Self {
        Self {
            name: name.to_owned(),
            value: Some(Amount::Lines(value)),
            limit: Amount::Lines(limit),
            bound: Bound::Max,
            status: if value <= limit {
                MeasureStatus::Pass
            } else {
                MeasureStatus::Fail
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Error,
    Warning,
    Notice,
}

/// What a finding is about; `--format sarif` makes each kind a rule with a stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// `pr-size`: the change is over `pr_size.max_changed_lines`.
    ChangeTooBig,
    /// `ai-provenance`: a change with AI-assisted commits is over its smaller size limit.
    AiChangeTooBig,
    /// `ai-provenance`: AI-assisted commits changed source and the change has no test change.
    SourceWithoutTests,
    /// `ai-provenance`: too few of the AI-added lines are executed by tests.
    CoverageTooLow,
    /// `ai-provenance`: AI-added lines that no test executes.
    UncoveredLines,
    /// `conformance`: `pave check`'s findings.
    Drifted,
    Deleted,
    EditedMerged,
    LockMismatch,
    Conflicted,
    /// A managed file tailored by a recorded exception, or kept by choice (diverged).
    Excepted,
    Diverged,
    /// `conformance`: a managed file whose declared pins moved forward (allowed).
    Pinned,
}

/// Something a developer should look at, on a file and line when there is one.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    #[serde(skip)]
    pub kind: FindingKind,
    pub level: Level,
    pub title: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
}

impl Finding {
    fn new(
        kind: FindingKind,
        level: Level,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            level,
            title: title.into(),
            message: message.into(),
            file: None,
            line: None,
            end_line: None,
        }
    }

    fn on(mut self, file: &str, line: Option<u32>, end_line: Option<u32>) -> Self {
        self.file = Some(file.to_owned());
        self.line = line;
        self.end_line = end_line;
        self
    }
}

/// A commit found to be AI-assisted, and why.
#[derive(Debug, Clone, Serialize)]
pub struct AiCommit {
    pub id: String,
    pub summary: String,
    pub author: String,
    /// The trailer lines that matched, each with the marker it matched.
    pub reasons: Vec<String>,
    /// Files the commit touched.
    pub files: Vec<String>,
}

impl AiCommit {
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(8)]
    }
}

/// Changed-line coverage of the lines AI-assisted commits added.
#[derive(Debug, Clone, Serialize)]
pub struct LineCoverage {
    pub covered: u64,
    pub coverable: u64,
    /// `None` when no added line is coverable.
    pub percent: Option<f64>,
    pub threshold: f64,
    /// Files with uncovered added lines, most uncovered first.
    pub files: Vec<FileCoverage>,
    /// Source files with added lines that the report does not know at all.
    pub not_in_report: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileCoverage {
    pub path: String,
    pub covered: u64,
    pub coverable: u64,
    /// Uncovered added lines as ranges (`12-14`, `20`).
    pub uncovered: Vec<LineRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineRange {
    pub start: u32,
    pub end: u32,
}

impl std::fmt::Display for LineRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// One gate's verdict: what it measured, what it found, and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub gate: Gate,
    pub status: Status,
    /// One line: the verdict and the main number.
    pub headline: String,
    pub measures: Vec<Measure>,
    /// The files that counted (and the excluded ones), biggest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileChange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ai_commits: Vec<AiCommit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<LineCoverage>,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
    /// What the developer can do to pass.
    pub next_steps: Vec<String>,
}

impl Verdict {
    fn new(gate: Gate, status: Status, headline: String) -> Self {
        Self {
            gate,
            status,
            headline,
            measures: Vec::new(),
            files: Vec::new(),
            ai_commits: Vec::new(),
            coverage: None,
            findings: Vec::new(),
            notes: Vec::new(),
            next_steps: Vec::new(),
        }
    }

    /// A gate turned off in the configuration.
    pub fn skipped(gate: Gate) -> Self {
        let mut verdict = Self::new(
            gate,
            Status::Skipped,
            format!("{} is disabled in the gates configuration", gate.as_str()),
        );
        verdict.notes.push(format!(
            "set `{}.enabled: true` in .pave/gates.yaml to run it",
            gate.as_str().replace('-', "_")
        ));
        verdict
    }
}

/// Every verdict of one run.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    /// True when no gate failed.
    pub passed: bool,
    /// The configuration file used; `None`: the documented defaults.
    pub config: Option<String>,
    /// The change measured; `None` when only conformance ran.
    pub range: Option<Range>,
    pub gates: Vec<Verdict>,
}

impl GateReport {
    pub fn new(config: Option<String>, range: Option<Range>, gates: Vec<Verdict>) -> Self {
        Self {
            passed: gates.iter().all(|g| g.status != Status::Fail),
            config,
            range,
            gates,
        }
    }
}

/// The `pr-size` gate: the change's counted lines against `pr_size.max_changed_lines`.
pub fn pr_size(change: &Change, gates: &Gates) -> Verdict {
    let counted = change.counted_lines();
    let limit = gates.max_changed_lines;
    let passed = counted <= limit;
    let excluded = change.files.iter().filter(|f| f.excluded).count();
    let headline = format!(
        "{counted} changed lines (added + deleted) in {} file(s), limit {limit}{}",
        change.files.len() - excluded,
        if excluded > 0 {
            format!("; {excluded} excluded file(s) not counted")
        } else {
            String::new()
        }
    );
    let mut verdict = Verdict::new(
        Gate::PrSize,
        if passed { Status::Pass } else { Status::Fail },
        headline,
    );
    verdict
        .measures
        .push(Measure::max_lines("changed lines", counted, limit));
    verdict.files = change.files.clone();
    if !passed {
        let biggest: Vec<String> = change
            .counted()
            .take(3)
            .map(|f| format!("{} ({})", f.path, f.changed()))
            .collect();
        verdict.findings.push(Finding::new(
            FindingKind::ChangeTooBig,
            Level::Error,
            "Change too big",
            format!(
                "{counted} changed lines is over the limit of {limit}; biggest: {}",
                biggest.join(", ")
            ),
        ));
        verdict.next_steps.push(format!(
            "split the change into pull requests of at most {limit} changed lines (start with the biggest files above)"
        ));
        verdict.next_steps.push(
            "if a file is generated, vendored or a lock file, add its glob to `pr_size.exclude` in .pave/gates.yaml".into(),
        );
    }
    verdict
}

/// Compact ranges of sorted line numbers: `[1, 2, 3, 7]` → `1-3, 7`.
pub fn line_ranges(lines: &[u32]) -> Vec<LineRange> {
    let mut out: Vec<LineRange> = Vec::new();
    for &line in lines {
        match out.last_mut() {
            Some(last) if line == last.end + 1 => last.end = line,
            Some(last) if line <= last.end => {}
            _ => out.push(LineRange {
                start: line,
                end: line,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges_are_compact() {
        let text: Vec<String> = line_ranges(&[1, 2, 3, 7, 9, 10])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(text, ["1-3", "7", "9-10"]);
        assert!(line_ranges(&[]).is_empty());
    }

    #[test]
    fn amounts_show_lines_as_counts_and_coverage_as_a_percentage() {
        assert_eq!(Amount::Lines(400).to_string(), "400");
        assert_eq!(Amount::Percent(75.0).to_string(), "75.0%");
        assert_eq!(Amount::Percent(200.0 / 3.0).to_string(), "66.7%");
    }
}
