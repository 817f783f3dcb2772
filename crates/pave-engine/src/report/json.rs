//! `--format json`: the report model as it is, for scripts.

use crate::check::CheckReport;

pub fn render(report: &CheckReport) -> String {
    serde_json::to_string_pretty(report).expect("the check report serialises") + "\n"
}
