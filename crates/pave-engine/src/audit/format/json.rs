//! `--format json`: the model as it is (what `pave audit merge` reads back).

use crate::audit::AuditReport;

pub fn render(report: &AuditReport) -> String {
    serde_json::to_string_pretty(report).expect("the audit report serialises") + "\n"
}
