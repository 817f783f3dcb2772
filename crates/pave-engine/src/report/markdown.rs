//! `--format markdown`: a report for `$GITHUB_STEP_SUMMARY` or a merge-request comment (GitHub
//! flavoured). A verdict heading, then per golden path a table of file states, the failing files,
//! edited merged files, version lag, lock mismatches and the commands that fix them. Paths are code
//! spans, free text is escaped, and `|` is escaped in table cells.

use std::fmt::Write as _;

use pave_model::status::Lag;

use crate::check::{CheckReport, FileState, GoldenPathReport};

/// At most this many files are listed per table; the rest are counted (a comment has a size limit).
const MAX_LISTED: usize = 50;

pub fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    let failing: usize = report.golden_paths.iter().map(failures).sum();
    if report.conforming && report.exceptions > 0 {
        let _ = writeln!(
            out,
            "## ✅ pave check: the repo conforms to its golden paths with {} exception(s)",
            report.exceptions
        );
    } else if report.conforming {
        out.push_str("## ✅ pave check: the repo conforms to its golden paths\n");
    } else {
        let _ = writeln!(
            out,
            "## ❌ pave check: the repo does not conform ({failing} failure(s))"
        );
    }
    for gp in &report.golden_paths {
        golden_path(&mut out, gp);
    }
    out
}

fn failures(gp: &GoldenPathReport) -> usize {
    gp.files.iter().filter(|f| f.state.is_failure()).count()
        + gp.catalog_view
            .as_ref()
            .map_or(0, |v| v.lock_mismatches.len())
}

fn golden_path(out: &mut String, gp: &GoldenPathReport) {
    let at = format!("{}@{}", gp.name, gp.version);
    let mark = if gp.is_conforming() { "✅" } else { "❌" };
    let _ = writeln!(out, "\n### {mark} {}\n", text(&at));
    out.push_str("| state | files |\n| --- | ---: |\n");
    for (state, label) in [
        (FileState::Unchanged, "unchanged"),
        (FileState::Drifted, "drifted"),
        (FileState::Pinned, "pinned (pins moved forward)"),
        (FileState::Deleted, "deleted"),
        (FileState::Conflicted, "conflicted (unresolved merge)"),
        (FileState::Edited, "edited (merged: allowed)"),
        (FileState::Diverged, "diverged (kept by choice)"),
        (FileState::Excepted, "excepted (recorded exception)"),
        (FileState::Seeded, "seeded (not checked)"),
    ] {
        // Conflicted, pinned and excepted files are rarer: a row only when there are some.
        if matches!(
            state,
            FileState::Conflicted | FileState::Pinned | FileState::Excepted
        ) && gp.count(state) == 0
        {
            continue;
        }
        let _ = writeln!(out, "| {label} | {} |", gp.count(state));
    }

    let listed: Vec<_> = gp
        .files
        .iter()
        .filter(|f| {
            f.state.is_failure()
                || matches!(
                    f.state,
                    FileState::Edited | FileState::Pinned | FileState::Excepted
                )
        })
        .collect();
    if !listed.is_empty() {
        out.push_str("\n| file | state | ownership | component |\n| --- | --- | --- | --- |\n");
        for f in listed.iter().take(MAX_LISTED) {
            let pins: Vec<String> = super::describe_pins(&f.pins)
                .iter()
                .map(|p| text(p))
                .collect();
            let state = match &f.exception {
                Some(e) if f.state == FileState::Excepted => {
                    format!("excepted ({}): {}", e.size(), text(&e.reason))
                }
                _ if !pins.is_empty() => format!("{}: {}", f.state.as_str(), pins.join("; ")),
                _ => f.state.as_str().to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&code(&f.path)),
                cell(&state),
                f.ownership,
                cell(&text(&f.component))
            );
        }
        if listed.len() > MAX_LISTED {
            let _ = writeln!(out, "\n… and {} more.", listed.len() - MAX_LISTED);
        }
    }

    out.push('\n');
    if let Some(view) = &gp.catalog_view {
        match view.lag {
            Lag::None => {
                let _ = writeln!(
                    out,
                    "Version: {} is the newest in {}.",
                    text(&gp.version),
                    code(&view.catalog)
                );
            }
            lag => {
                let _ = writeln!(
                    out,
                    "Version: {} is {} version(s) behind {} ({lag:?} lag); {} takes it.",
                    text(&gp.version),
                    view.versions_behind,
                    text(&view.latest),
                    code("pave upgrade")
                );
            }
        }
        if !view.lock_mismatches.is_empty() {
            let _ = writeln!(out, "\nThe lock disagrees with {}:\n", text(&at));
            for m in &view.lock_mismatches {
                let _ = writeln!(out, "- {}", text(m));
            }
        }
    }
    if let Some(note) = &gp.catalog_note {
        let _ = writeln!(out, "Note: {}.", text(note));
    }

    let has_failing_files = gp.files.iter().any(|f| f.state.is_restorable());
    let has_conflicts = gp.count(FileState::Conflicted) > 0;
    let has_mismatches = gp
        .catalog_view
        .as_ref()
        .is_some_and(|v| !v.lock_mismatches.is_empty());
    let exception_fix = super::exception_fix(gp);
    if has_failing_files || has_conflicts || has_mismatches || exception_fix.is_some() {
        out.push_str("\n**Fix:**\n\n");
    }
    if let Some(fix) = &exception_fix {
        let _ = writeln!(out, "- {}", text(fix));
    }
    if has_failing_files {
        let _ = writeln!(out, "- see the changes: {}", code("pave diff"));
        let _ = writeln!(
            out,
            "- restore the files: {}",
            code(&super::fix_command(gp))
        );
    }
    if has_conflicts {
        let _ = writeln!(out, "- {}", text(super::CONFLICT_FIX));
    }
    if has_mismatches {
        let _ = writeln!(out, "- {}", text(super::LOCK_MISMATCH_FIX));
    }
}

/// A code span that holds `value` whatever backticks it contains.
pub(crate) fn code(value: &str) -> String {
    let value = value.replace(['\r', '\n'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in value.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || value.starts_with(' ') || value.ends_with(' ') {
        format!("{fence} {value} {fence}")
    } else {
        format!("{fence}{value}{fence}")
    }
}

/// Free text with the characters Markdown (or HTML in it) would act on backslash-escaped.
pub(crate) fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 1);
    if value.starts_with(['-', '+']) {
        out.push('\\'); // a list marker at the start of a list item would nest a list
    }
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: a `|` ends the cell unless escaped, even inside a code span.
pub(crate) fn cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if c == '|' && !escaped {
            out.push('\\');
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_are_escaped_in_cells() {
        assert_eq!(cell(&code("a|b")), "`a\\|b`");
        assert_eq!(cell(&text("a|b")), "a\\|b");
    }

    #[test]
    fn code_spans_survive_backticks_and_text_is_inert() {
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(text("<b>*x*</b>\n"), "\\<b\\>\\*x\\*\\</b\\> ");
    }
}
