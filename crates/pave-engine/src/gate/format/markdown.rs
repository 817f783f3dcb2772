//! `--format markdown`: a step summary (`$GITHUB_STEP_SUMMARY`) or merge-request comment: a
//! verdict heading, one table row per gate, then per gate its numbers, biggest files, AI-assisted
//! commits, uncovered lines, findings and next steps. Escaping is `pave check`'s.

use std::fmt::Write as _;

use super::{TOP_FILES, lines_of, measure_text, path_of, status_word};
use crate::gate::{GateReport, Status};
use crate::report::markdown::{cell, code, text};

/// At most this many findings are listed per gate (a comment has a size limit).
const MAX_FINDINGS: usize = 30;

pub fn render(report: &GateReport) -> String {
    let mut out = String::new();
    if report.passed {
        out.push_str("## ✅ pave gate: passed\n\n");
    } else {
        let failed = report
            .gates
            .iter()
            .filter(|g| g.status == Status::Fail)
            .count();
        let _ = writeln!(out, "## ❌ pave gate: {failed} gate(s) failed\n");
    }
    if let Some(range) = &report.range {
        let _ = writeln!(
            out,
            "Change: {} → {} (merge base {})\n",
            code(&range.base_ref),
            code(&range.head_ref),
            code(&range.merge_base[..range.merge_base.len().min(8)])
        );
    }
    out.push_str("| gate | result | verdict |\n| --- | --- | --- |\n");
    for v in &report.gates {
        let _ = writeln!(
            out,
            "| {} | {} {} | {} |",
            code(v.gate.as_str()),
            mark(v.status),
            status_word(v.status),
            cell(&text(&v.headline))
        );
    }
    for v in &report.gates {
        let _ = writeln!(out, "\n### {} {}\n", mark(v.status), text(v.gate.as_str()));
        if v.status == Status::Skipped {
            let _ = writeln!(out, "{}", text(&v.headline));
        }
        for m in &v.measures {
            let _ = writeln!(out, "- {}: {}", text(&m.name), text(&measure_text(m)));
        }
        let counted: Vec<_> = v.files.iter().filter(|f| !f.excluded).collect();
        if !counted.is_empty() {
            out.push_str("\n| biggest files | lines |\n| --- | ---: |\n");
            for f in counted.iter().take(TOP_FILES) {
                let _ = writeln!(out, "| {} | {} |", cell(&code(&path_of(f))), lines_of(f));
            }
            if counted.len() > TOP_FILES {
                let _ = writeln!(out, "\n… and {} more file(s).", counted.len() - TOP_FILES);
            }
        }
        let excluded: Vec<_> = v.files.iter().filter(|f| f.excluded).collect();
        if !excluded.is_empty() {
            let names: Vec<String> = excluded
                .iter()
                .map(|f| format!("{} ({})", code(&f.path), lines_of(f)))
                .collect();
            let _ = writeln!(out, "\nNot counted (excluded): {}", names.join(", "));
        }
        if !v.ai_commits.is_empty() {
            out.push_str("\n| AI-assisted commit | why |\n| --- | --- |\n");
            for c in &v.ai_commits {
                let why: Vec<String> = c.reasons.iter().map(|r| prose(r)).collect();
                let _ = writeln!(
                    out,
                    "| {} {} | {} |",
                    code(c.short_id()),
                    cell(&text(&c.summary)),
                    cell(&why.join("<br>"))
                );
            }
        }
        if let Some(coverage) = &v.coverage
            && !coverage.files.is_empty()
        {
            out.push_str("\n| file | covered | uncovered AI-added lines |\n| --- | ---: | --- |\n");
            for file in coverage.files.iter().take(TOP_FILES) {
                let ranges: Vec<String> = file.uncovered.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    out,
                    "| {} | {}/{} | {} |",
                    cell(&code(&file.path)),
                    file.covered,
                    file.coverable,
                    ranges.join(", ")
                );
            }
            // The rows are the files with uncovered lines; the total is every AI-added line,
            // the figure the message gives.
            let listed: u64 = coverage.files.iter().map(|f| f.coverable).sum();
            let others = if coverage.coverable > listed {
                "fully covered files are not listed"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| all AI-added lines | {}/{} | {others} |",
                coverage.covered, coverage.coverable
            );
        }
        if !v.findings.is_empty() {
            out.push('\n');
            for f in v.findings.iter().take(MAX_FINDINGS) {
                let _ = writeln!(out, "- **{}**: {}", text(&f.title), prose(&f.message));
            }
            if v.findings.len() > MAX_FINDINGS {
                let _ = writeln!(out, "- … and {} more", v.findings.len() - MAX_FINDINGS);
            }
        }
        for note in &v.notes {
            let _ = writeln!(out, "\nNote: {}", prose(note));
        }
        if !v.next_steps.is_empty() {
            out.push_str("\n**Next:**\n\n");
            for step in &v.next_steps {
                let _ = writeln!(out, "- {}", prose(step));
            }
        }
    }
    out
}

/// Free text whose `backticked` parts become code spans (escaped text if the backticks do not
/// pair up).
fn prose(value: &str) -> String {
    let parts: Vec<&str> = value.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return text(value);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { text(part) })
        .collect()
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Skipped => "⏭️",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticked_words_become_code_and_the_rest_is_escaped() {
        assert_eq!(prose("add `a*b` to *x*"), "add `a*b` to \\*x\\*");
        assert_eq!(prose("odd ` tick"), "odd \\` tick");
    }
}
