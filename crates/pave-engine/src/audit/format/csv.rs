//! `--format csv`: one row per repo and golden path, for spreadsheets. A repo without a lock gets
//! one row with the golden-path columns empty; a repo's own columns (status, file counts, lock
//! problems, error) repeat on each of its rows, so sum them over distinct paths.
//!
//! RFC 4180: a header row, CRLF line ends, a field quoted when it holds a comma, quote, CR or LF,
//! quotes doubled. Repo paths and errors come from untrusted repos, so a field a spreadsheet would
//! run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR; OWASP's CSV injection list)
//! gets a leading `'`.

use crate::audit::{AuditReport, RepoAudit, RepoGoldenPath, RepoKind};
use pave_model::status::Lag;

const HEADER: [&str; 18] = [
    "path",
    "kind",
    "status",
    "team",
    "train",
    "golden_path",
    "version",
    "latest",
    "lag",
    "versions_behind",
    "drifted_files",
    "missing_files",
    "edited_merged_files",
    "conflicted_files",
    "excepted_files",
    "lock_problems",
    "error",
    "pinned_files",
];

pub fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    write_row(&mut out, HEADER.map(String::from));
    for repo in &report.repos {
        if repo.golden_paths.is_empty() {
            write_row(&mut out, row(repo, None));
        }
        for gp in &repo.golden_paths {
            write_row(&mut out, row(repo, Some(gp)));
        }
    }
    out
}

fn row(repo: &RepoAudit, gp: Option<&RepoGoldenPath>) -> [String; 18] {
    let optional = |value: Option<&String>| value.cloned().unwrap_or_default();
    [
        repo.path.clone(),
        match repo.kind {
            RepoKind::Worktree => "worktree",
            RepoKind::Bare => "bare",
        }
        .to_owned(),
        repo.status.as_str().to_owned(),
        optional(repo.team.as_ref()),
        optional(repo.train.as_ref()),
        optional(gp.map(|g| &g.name)),
        optional(gp.map(|g| &g.version)),
        optional(gp.and_then(|g| g.latest.as_ref())),
        gp.and_then(|g| g.lag)
            .map(Lag::as_str)
            .unwrap_or_default()
            .to_owned(),
        gp.and_then(|g| g.versions_behind)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        repo.drifted_files.len().to_string(),
        repo.missing_files.len().to_string(),
        repo.edited_merged_files.len().to_string(),
        repo.conflicted_files.len().to_string(),
        repo.excepted_files.len().to_string(),
        repo.lock_problems.join("; "),
        optional(repo.error.as_ref()),
        repo.pinned_files.len().to_string(),
    ]
}

fn write_row(out: &mut String, fields: [String; 18]) {
    for (index, value) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&field(value));
    }
    out.push_str("\r\n");
}

/// One field: defused as a formula, then quoted if it must be.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\"\r\n"), "\"say \"\"hi\"\"\r\n\"");
        assert_eq!(field("=cmd|x"), "'=cmd|x");
        assert_eq!(field("-1+2,3"), "\"'-1+2,3\"");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("a=b"), "a=b");
    }
}
