//! `--format csv` (being written).

use crate::audit::AuditReport;

pub fn render(report: &AuditReport) -> String {
    super::json::render(report)
}
