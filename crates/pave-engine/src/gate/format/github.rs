//! `--format github`: GitHub Actions workflow commands. Each finding becomes an annotation
//! (`::error`, `::warning`, `::notice`, on its file and lines when it has them), then one
//! `::notice` or `::error` per gate with its headline. Values are escaped by the same code as
//! `pave check --format github` uses.

use crate::gate::{GateReport, Level, Status};
use crate::report::github::annotation;

pub fn render(report: &GateReport) -> String {
    let mut out = String::new();
    for verdict in &report.gates {
        for f in &verdict.findings {
            let level = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Notice => "notice",
            };
            let lines = f.line.map(|l| (l, f.end_line.unwrap_or(l)));
            annotation(
                &mut out,
                level,
                f.file.as_deref(),
                lines,
                &f.title,
                &f.message,
            );
        }
        let level = if verdict.status == Status::Fail {
            "error"
        } else {
            "notice"
        };
        let mut message = format!(
            "{}: {}",
            super::status_word(verdict.status),
            verdict.headline
        );
        for step in &verdict.next_steps {
            message.push_str(&format!("\nnext: {step}"));
        }
        annotation(
            &mut out,
            level,
            None,
            None,
            &format!("pave gate {}", verdict.gate.as_str()),
            &message,
        );
    }
    out
}
