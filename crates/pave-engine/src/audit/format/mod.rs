//! Renderers of the audit report, one file per `--format`; each reads only the typed model.

mod csv;
mod html;
mod json;
mod markdown;
mod text;

use std::collections::BTreeMap;

use clap::ValueEnum;

pub(crate) use pave_base::text::{percent, share};

use super::model::Breakdown;
use pave_model::status::RepoStatus;

use super::{AuditReport, RepoAudit};

/// Output formats of `pave audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// One screen for a platform lead.
    Text,
    /// `summary` and `repos`; what `pave audit merge` reads back.
    Json,
    /// One row per repo and golden path, for spreadsheets.
    Csv,
    Markdown,
    /// One self-contained file with charts (no network).
    Html,
}

pub fn render(report: &AuditReport, format: AuditFormat) -> String {
    match format {
        AuditFormat::Text => text::render(report),
        AuditFormat::Json => json::render(report),
        AuditFormat::Csv => csv::render(report),
        AuditFormat::Markdown => markdown::render(report),
        AuditFormat::Html => html::render(report),
    }
}

/// The counts behind the summary's rates, for "3 of 5" next to a percentage.
pub(crate) struct Adoption {
    /// Repos with a lock.
    pub adopted: usize,
    /// Adopted repos whose every golden path is on its newest version.
    pub on_latest: usize,
    /// Adopted repos with drift.
    pub drifted: usize,
}

impl Adoption {
    /// Counted as [`super::model::Summary`] counts its rates.
    pub fn of(report: &AuditReport) -> Self {
        let adopted: Vec<&RepoAudit> = report
            .repos
            .iter()
            .filter(|r| !r.golden_paths.is_empty())
            .collect();
        Self {
            adopted: adopted.len(),
            on_latest: adopted
                .iter()
                .filter(|r| {
                    r.golden_paths
                        .iter()
                        .all(|g| g.lag == Some(pave_model::status::Lag::None))
                })
                .count(),
            drifted: adopted
                .iter()
                .filter(|r| r.status == RepoStatus::Drifted)
                .count(),
        }
    }
}

/// Repos a person should look at (drifted or unreadable), in report order.
pub(crate) fn needs_attention(report: &AuditReport) -> Vec<&RepoAudit> {
    report
        .repos
        .iter()
        .filter(|r| matches!(r.status, RepoStatus::Drifted | RepoStatus::Error))
        .collect()
}

/// Repos with exceptions (excepted or diverged files), whatever their status: a platform team
/// reviews them.
pub(crate) fn with_exceptions(report: &AuditReport) -> Vec<&RepoAudit> {
    report
        .repos
        .iter()
        .filter(|r| !r.excepted_files.is_empty())
        .collect()
}

/// How many repos and managed files hold declared pins that dependency bots moved forward
/// (accepted, not drift), as one line; `None` when there are none.
pub(crate) fn pinned_line(report: &AuditReport) -> Option<String> {
    let repos = report
        .repos
        .iter()
        .filter(|r| !r.pinned_files.is_empty())
        .count();
    let files: usize = report.repos.iter().map(|r| r.pinned_files.len()).sum();
    (repos > 0).then(|| {
        format!("Pins moved forward (accepted, not drift): {files} file(s) in {repos} repo(s)")
    })
}

/// A golden path's versions newest first, by semver (the map's string order puts 1.10 before 1.9);
/// a version that is not semver (a hand-made JSON report) goes last.
pub(crate) fn versions_newest_first(versions: &BTreeMap<String, usize>) -> Vec<(&str, usize)> {
    let mut sorted: Vec<(&str, usize)> = versions.iter().map(|(v, n)| (v.as_str(), *n)).collect();
    sorted.sort_by(|a, b| {
        let (va, vb) = (
            semver::Version::parse(a.0).ok(),
            semver::Version::parse(b.0).ok(),
        );
        vb.cmp(&va).then_with(|| a.0.cmp(b.0))
    });
    sorted
}

/// A breakdown's slices, most drifted first (then by name): where to look first.
pub(crate) fn most_drifted_first(map: &BTreeMap<String, Breakdown>) -> Vec<(&str, &Breakdown)> {
    let mut rows: Vec<(&str, &Breakdown)> = map.iter().map(|(k, b)| (k.as_str(), b)).collect();
    rows.sort_by(|a, b| b.1.drifted.cmp(&a.1.drifted).then_with(|| a.0.cmp(b.0)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{RepoGoldenPath, RepoKind};
    use pave_model::status::Lag;

    /// `count` drifted repos spread over 30 teams and 25 trains.
    fn big_fleet(count: usize) -> AuditReport {
        let repos = (0..count)
            .map(|i| RepoAudit {
                path: format!("repos/r{i:04}"),
                kind: RepoKind::Worktree,
                status: RepoStatus::Drifted,
                golden_paths: vec![RepoGoldenPath {
                    name: "rust-service".into(),
                    version: format!("1.{}.0", i % 12),
                    catalog: Some("builtin".into()),
                    latest: Some("1.11.0".into()),
                    lag: Some(Lag::between(
                        &semver::Version::new(1, (i % 12) as u64, 0),
                        &semver::Version::new(1, 11, 0),
                    )),
                    versions_behind: Some(11 - i % 12),
                    days_since_release: None,
                }],
                drifted_files: (0..7).map(|f| format!("f{f}")).collect(),
                missing_files: Vec::new(),
                edited_merged_files: Vec::new(),
                conflicted_files: Vec::new(),
                excepted_files: Vec::new(),
                notes: Vec::new(),
                pinned_files: Vec::new(),
                lock_problems: Vec::new(),
                error: None,
                team: Some(format!("team-{:02}", i % 30)),
                train: Some(format!("train-{:02}", i % 25)),
                repo_id: None,
                location: None,
            })
            .collect();
        AuditReport::new(repos)
    }

    #[test]
    fn versions_sort_by_semver_not_by_text() {
        let versions = BTreeMap::from([("1.9.0".into(), 1), ("1.10.0".into(), 2), ("x".into(), 3)]);
        assert_eq!(
            versions_newest_first(&versions),
            [("1.10.0", 2), ("1.9.0", 1), ("x", 3)]
        );
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let report = big_fleet(250);
        let md = markdown::render(&report);
        assert_eq!(
            md.lines()
                .filter(|l| l.starts_with("- **drifted**"))
                .count(),
            50
        );
        assert!(md.contains("… and 200 more"), "{md}");
        assert!(md.contains("f4`, 2 more)"), "{md}");
        let html = html::render(&report);
        assert_eq!(html.matches("<tr><td><span class=\"badge").count(), 200);
        assert!(html.contains("The first 200 of 250"));
        assert!(html.contains("… and 10 more teams."));
        assert!(html.contains("… and 5 more trains."));
        assert!(html.contains("1.11.0 (newest): 20 · 1.10.0 (minor behind): 20"));
        assert!(html.contains("6 older versions: 126"));
    }
}
