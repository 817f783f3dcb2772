//! `--format text`: the fleet in one screen — adoption, versions, drift, where to look.

use std::fmt::Write as _;

use super::percent;
use pave_model::status::RepoStatus;

use crate::audit::AuditReport;

/// Rows per breakdown table; the rest are counted.
const MAX_ROWS: usize = 12;

pub fn render(report: &AuditReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let count = |status: RepoStatus| s.by_status.get(status.as_str()).copied().unwrap_or(0);
    let _ = writeln!(out, "{} repos audited", s.repos);
    let _ = writeln!(
        out,
        "  adoption {} (repos with a lock)   on newest version {}   drift {} (of adopted repos)",
        percent(s.adoption_rate),
        percent(s.on_latest_rate),
        percent(s.drift_rate)
    );
    let _ = writeln!(
        out,
        "  conforming {}   conforming with exceptions {}   outdated {}   drifted {}   unadopted {}   error {}",
        count(RepoStatus::Conforming),
        count(RepoStatus::Excepted),
        count(RepoStatus::Outdated),
        count(RepoStatus::Drifted),
        count(RepoStatus::Unadopted),
        count(RepoStatus::Error)
    );
    if !s.by_golden_path.is_empty() {
        let _ = writeln!(out, "\nGolden paths:");
        for (name, gp) in &s.by_golden_path {
            let versions: Vec<String> = gp
                .versions
                .iter()
                .rev()
                .map(|(v, n)| format!("{v}: {n}"))
                .collect();
            let _ = writeln!(
                out,
                "  {name:<20} {:>6} repos, newest {} on it {}, drifted {}   [{}]",
                gp.repos,
                gp.latest.as_deref().unwrap_or("?"),
                gp.on_latest,
                gp.drifted,
                versions.join(", ")
            );
        }
    }
    for (title, map) in [("Teams", &s.by_team), ("Trains", &s.by_train)] {
        if map.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{title} (repos / conforming / with exceptions / outdated / drifted / unadopted / error):"
        );
        let mut rows: Vec<_> = map.iter().collect();
        rows.sort_by(|a, b| b.1.drifted.cmp(&a.1.drifted).then_with(|| a.0.cmp(b.0)));
        for (name, b) in rows.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "  {name:<24} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}",
                b.repos, b.conforming, b.excepted, b.outdated, b.drifted, b.unadopted, b.error
            );
        }
        if rows.len() > MAX_ROWS {
            let _ = writeln!(out, "  … and {} more", rows.len() - MAX_ROWS);
        }
    }
    if !s.top_drifted_files.is_empty() {
        let _ = writeln!(out, "\nMost drifted files:");
        for (file, n) in &s.top_drifted_files {
            let _ = writeln!(out, "  {n:>6}  {file}");
        }
    }
    if let Some(line) = super::pinned_line(report) {
        let _ = writeln!(out, "\n{line}");
    }
    let attention: Vec<_> = report
        .repos
        .iter()
        .filter(|r| matches!(r.status, RepoStatus::Drifted | RepoStatus::Error))
        .collect();
    if !attention.is_empty() {
        let _ = writeln!(out, "\nNeeds attention ({}):", attention.len());
        for r in attention.iter().take(MAX_ROWS) {
            let why = match &r.error {
                Some(e) => e.clone(),
                None => {
                    let mut parts = Vec::new();
                    if !r.drifted_files.is_empty() {
                        parts.push(format!("{} drifted", r.drifted_files.len()));
                    }
                    if !r.missing_files.is_empty() {
                        parts.push(format!("{} missing", r.missing_files.len()));
                    }
                    if !r.conflicted_files.is_empty() {
                        parts.push(format!(
                            "{} with unresolved conflicts",
                            r.conflicted_files.len()
                        ));
                    }
                    parts.extend(r.lock_problems.iter().cloned());
                    parts.join(", ")
                }
            };
            let _ = writeln!(out, "  {:<9} {}  {why}", r.status.as_str(), r.path);
        }
        if attention.len() > MAX_ROWS {
            let _ = writeln!(
                out,
                "  … and {} more (--format json lists every repo)",
                attention.len() - MAX_ROWS
            );
        }
    }
    // Exceptions are allowed, but a platform team reviews them: every repo that has some.
    let excepted = super::with_exceptions(report);
    if !excepted.is_empty() {
        let _ = writeln!(out, "\nWith exceptions ({}):", excepted.len());
        for r in excepted.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "  {}  {} excepted: {}",
                r.path,
                r.excepted_files.len(),
                r.excepted_files.join(", ")
            );
        }
        if excepted.len() > MAX_ROWS {
            let _ = writeln!(out, "  … and {} more", excepted.len() - MAX_ROWS);
        }
    }
    out
}
