//! `--format markdown`: the fleet summary a platform lead pastes into an issue (GitHub
//! flavoured): headline rates, then tables of statuses, golden paths (repos per version), teams
//! and trains, the most drifted files and the repos that need attention. Repo names, teams and
//! errors come from untrusted repos: paths are code spans, free text is escaped, `|` is escaped
//! in table cells (the check report's helpers), and long lists are cut with a count (an issue
//! has a size limit).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Adoption, most_drifted_first, needs_attention, percent, share, versions_newest_first};
use crate::audit::model::Breakdown;
use pave_model::status::RepoStatus;

use crate::audit::{AuditReport, RepoAudit};
use crate::report::markdown::{cell, code, text};

/// Rows per table and repos in the attention list; the rest are counted.
const MAX_ROWS: usize = 50;
/// Files named per repo in the attention list.
const MAX_FILES: usize = 5;

pub fn render(report: &AuditReport) -> String {
    let s = &report.summary;
    let n = Adoption::of(report);
    let mut out = String::new();
    let _ = writeln!(out, "## pave audit: {} repos\n", s.repos);
    let _ = writeln!(
        out,
        "**Adoption {}** ({} of {} repos have a lock) · **on newest version {}** ({} of {} adopted) · **drift {}** ({} of {} adopted)",
        percent(s.adoption_rate),
        n.adopted,
        s.repos,
        percent(s.on_latest_rate),
        n.on_latest,
        n.adopted,
        percent(s.drift_rate),
        n.drifted,
        n.adopted
    );

    out.push_str("\n| status | repos | share |\n| --- | ---: | ---: |\n");
    for status in RepoStatus::ALL {
        let count = s.by_status.get(status.as_str()).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "| {} | {count} | {} |",
            status.label(),
            share(count, s.repos)
        );
    }

    if !s.by_golden_path.is_empty() {
        out.push_str("\n### Golden paths\n\n");
        out.push_str(
            "| golden path | repos | newest | on newest | drifted | repos per version |\n",
        );
        out.push_str("| --- | ---: | --- | ---: | ---: | --- |\n");
        for (name, gp) in &s.by_golden_path {
            let versions: Vec<String> = versions_newest_first(&gp.versions)
                .into_iter()
                .map(|(v, n)| format!("{}: {n}", text(v)))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&code(name)),
                gp.repos,
                cell(
                    &gp.latest
                        .as_deref()
                        .map_or_else(|| "unknown".to_owned(), text)
                ),
                gp.on_latest,
                gp.drifted,
                cell(&versions.join(", "))
            );
        }
    }

    breakdown(&mut out, "Teams", "team", &s.by_team, false);
    // Only adopted repos have a train (it is an answer in the lock): no unadopted or error columns.
    breakdown(&mut out, "Trains", "train", &s.by_train, true);

    if !s.top_drifted_files.is_empty() {
        out.push_str("\n### Most drifted files\n\n| file | repos |\n| --- | ---: |\n");
        for (file, count) in &s.top_drifted_files {
            let _ = writeln!(out, "| {} | {count} |", cell(&code(file)));
        }
    }

    let attention = needs_attention(report);
    if !attention.is_empty() {
        let _ = writeln!(out, "\n### Needs attention ({})\n", attention.len());
        for repo in attention.iter().take(MAX_ROWS) {
            let team = repo
                .team
                .as_deref()
                .map(|t| format!(" ({})", text(t)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- **{}** {}{team}: {}",
                repo.status.as_str(),
                code(&repo.path),
                why(repo)
            );
        }
        if attention.len() > MAX_ROWS {
            let _ = writeln!(
                out,
                "\n… and {} more ({} lists every repo).",
                attention.len() - MAX_ROWS,
                code("pave audit --format json")
            );
        }
    }
    let excepted = super::with_exceptions(report);
    if !excepted.is_empty() {
        let _ = writeln!(out, "\n### With exceptions ({})\n", excepted.len());
        for repo in excepted.iter().take(MAX_ROWS) {
            let files: Vec<String> = repo.excepted_files.iter().map(|f| code(f)).collect();
            let _ = writeln!(
                out,
                "- {} ({}): {}",
                code(&repo.path),
                repo.status.label(),
                files.join(", ")
            );
        }
        if excepted.len() > MAX_ROWS {
            let _ = writeln!(out, "\n… and {} more.", excepted.len() - MAX_ROWS);
        }
    }
    if let Some(line) = super::pinned_line(report) {
        let _ = writeln!(out, "\n{}", text(&line));
    }
    out
}

/// A table of a breakdown, most drifted first.
fn breakdown(
    out: &mut String,
    title: &str,
    column: &str,
    map: &BTreeMap<String, Breakdown>,
    is_adopted_only: bool,
) {
    if map.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### {title}\n");
    if is_adopted_only {
        let _ = writeln!(
            out,
            "| {column} | repos | conforming | with exceptions | outdated | drifted |"
        );
        out.push_str("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    } else {
        let _ = writeln!(
            out,
            "| {column} | repos | conforming | with exceptions | outdated | drifted | unadopted | error |"
        );
        out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    }
    let rows = most_drifted_first(map);
    for (name, b) in rows.iter().take(MAX_ROWS) {
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&text(name)),
            b.repos,
            b.conforming,
            b.excepted,
            b.outdated,
            b.drifted
        );
        if !is_adopted_only {
            let _ = write!(out, " {} | {} |", b.unadopted, b.error);
        }
        out.push('\n');
    }
    if rows.len() > MAX_ROWS {
        let _ = writeln!(out, "\n… and {} more.", rows.len() - MAX_ROWS);
    }
}

/// Why a repo needs attention, on one line: its error, or what drifted.
fn why(repo: &RepoAudit) -> String {
    if let Some(error) = &repo.error {
        return text(error);
    }
    let files = |label: &str, list: &[String]| {
        let mut named: Vec<String> = list.iter().take(MAX_FILES).map(|f| code(f)).collect();
        if list.len() > MAX_FILES {
            named.push(format!("{} more", list.len() - MAX_FILES));
        }
        format!("{} {label} ({})", list.len(), named.join(", "))
    };
    let mut parts = Vec::new();
    if !repo.drifted_files.is_empty() {
        parts.push(files("drifted", &repo.drifted_files));
    }
    if !repo.missing_files.is_empty() {
        parts.push(files("missing", &repo.missing_files));
    }
    if !repo.conflicted_files.is_empty() {
        parts.push(files("with unresolved conflicts", &repo.conflicted_files));
    }
    if !repo.excepted_files.is_empty() {
        parts.push(files("excepted", &repo.excepted_files));
    }
    parts.extend(repo.lock_problems.iter().map(|p| text(p)));
    parts.join("; ")
}
