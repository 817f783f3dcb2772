//! `--format text`: one screen. A verdict line, the change measured, then per gate PASS/FAIL,
//! its numbers against the limits, the biggest files, the AI-assisted commits and why, the
//! uncovered lines, and what to do next.

use std::fmt::Write as _;

use super::{TOP_FILES, lines_of, measure_text, path_of, status_word};
use crate::gate::{GateReport, Level, Status};

/// At most this many findings are printed per gate; the rest are counted.
const MAX_FINDINGS: usize = 8;

pub fn render(report: &GateReport) -> String {
    let mut out = String::new();
    let failed = report
        .gates
        .iter()
        .filter(|g| g.status == Status::Fail)
        .count();
    if report.passed {
        let _ = writeln!(out, "pave gate: PASS ({} gate(s))", report.gates.len());
    } else {
        let _ = writeln!(
            out,
            "pave gate: FAIL ({failed} of {} gate(s) failed)",
            report.gates.len()
        );
    }
    if let Some(range) = &report.range {
        let _ = writeln!(
            out,
            "change: {} ({}) → {} ({}), merge base {}",
            range.base_ref,
            short(&range.base),
            range.head_ref,
            short(&range.head),
            short(&range.merge_base)
        );
    }
    let _ = writeln!(
        out,
        "config: {}",
        report
            .config
            .as_deref()
            .unwrap_or("defaults (no .pave/gates.yaml)")
    );
    for verdict in &report.gates {
        let _ = writeln!(
            out,
            "\n{}  {}: {}",
            status_word(verdict.status),
            verdict.gate.as_str(),
            verdict.headline
        );
        for m in &verdict.measures {
            let _ = writeln!(out, "      {}: {}", m.name, measure_text(m));
        }
        let counted: Vec<_> = verdict.files.iter().filter(|f| !f.excluded).collect();
        if !counted.is_empty() {
            let _ = writeln!(out, "      biggest files:");
            for f in counted.iter().take(TOP_FILES) {
                let _ = writeln!(out, "        {:>12}  {}", lines_of(f), path_of(f));
            }
            if counted.len() > TOP_FILES {
                let _ = writeln!(
                    out,
                    "        … and {} more file(s)",
                    counted.len() - TOP_FILES
                );
            }
        }
        let excluded: Vec<_> = verdict.files.iter().filter(|f| f.excluded).collect();
        if !excluded.is_empty() {
            let names: Vec<String> = excluded
                .iter()
                .take(TOP_FILES)
                .map(|f| format!("{} ({})", f.path, lines_of(f)))
                .collect();
            let more = if excluded.len() > TOP_FILES {
                format!(", … and {} more", excluded.len() - TOP_FILES)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "      not counted (excluded): {}{more}",
                names.join(", ")
            );
        }
        if !verdict.ai_commits.is_empty() {
            let _ = writeln!(out, "      AI-assisted commits:");
            for c in &verdict.ai_commits {
                let _ = writeln!(out, "        {} {}", c.short_id(), c.summary);
                for reason in &c.reasons {
                    let _ = writeln!(out, "          {reason}");
                }
            }
        }
        if let Some(coverage) = &verdict.coverage {
            for file in coverage.files.iter().take(TOP_FILES) {
                let ranges: Vec<String> = file.uncovered.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    out,
                    "      uncovered AI-added lines: {}:{} ({} of {} covered)",
                    file.path,
                    ranges.join(","),
                    file.covered,
                    file.coverable
                );
            }
        }
        let shown: Vec<_> = verdict
            .findings
            .iter()
            .filter(|f| f.level != Level::Notice || verdict.status != Status::Pass)
            .collect();
        for f in shown.iter().take(MAX_FINDINGS) {
            let level = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Notice => "notice",
            };
            let _ = writeln!(out, "      {level}: {}", f.message);
        }
        if shown.len() > MAX_FINDINGS {
            let _ = writeln!(
                out,
                "      … and {} more finding(s)",
                shown.len() - MAX_FINDINGS
            );
        }
        for note in &verdict.notes {
            let _ = writeln!(out, "      note: {note}");
        }
        for step in &verdict.next_steps {
            let _ = writeln!(out, "      next: {step}");
        }
    }
    out
}

fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}
