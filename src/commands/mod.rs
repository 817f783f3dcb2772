//! One thin file per subcommand: read arguments, call the engine, print the outcome.

pub mod apply;
pub mod audit;
pub mod check;
pub mod diff;
pub mod list;
pub mod new;
pub mod registry;
pub mod schema;
pub mod show;
pub mod stats;
pub mod upgrade;

use std::path::Path;

use crate::plan::{Action, Plan};
use crate::printer::Printer;

/// The last component of `dir` made absolute (`.` is the current folder's name): what a
/// templated default such as `{{ target_name }}` sees.
pub(crate) fn folder_name(dir: &Path) -> String {
    std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Prints a plan of `new` or `apply` to stderr: one line per file that changes, a count of the
/// unchanged ones.
pub(crate) fn print_plan(printer: &Printer, plan: &Plan) {
    let width = plan
        .files
        .iter()
        .map(|f| f.path.as_str().len())
        .max()
        .unwrap_or(0);
    for file in plan.files.iter().filter(|f| f.action != Action::Unchanged) {
        let owner = match (&file.ownership, &file.component) {
            (Some(o), Some(c)) => format!("{o:<7} {c}"),
            _ => "pave".to_owned(),
        };
        let owner = match file.reason {
            Some(reason) => format!("{owner}  ({reason})"),
            None => owner,
        };
        printer.info(&format!(
            "  {:<9} {:<width$}  {}",
            file.action.to_string(),
            file.path.as_str(),
            printer.dim(&owner)
        ));
    }
    let unchanged = plan.count(Action::Unchanged);
    if unchanged > 0 {
        printer.info(&format!("  {unchanged} file(s) unchanged"));
    }
}
