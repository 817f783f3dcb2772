//! One thin file per subcommand: read arguments, call the engine, print the outcome.

pub mod apply;
pub mod audit;
pub mod check;
pub mod diff;
pub mod gate;
pub mod list;
pub mod new;
pub mod registry;
pub mod schema;
pub mod show;
pub mod stats;
pub mod upgrade;

use std::path::{Path, PathBuf};

use crate::error::Error;
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

/// The `--format`s of a report and where each goes (`None`: stdout), from the formats, the
/// outputs and their pairing (`cli::pair_outputs`); `default` when no format is given. At most
/// one format may go to stdout.
pub(crate) fn report_targets<F: Copy>(
    formats: &[F],
    outputs: &[PathBuf],
    paired: &[Option<PathBuf>],
    default: F,
) -> Result<Vec<(F, Option<PathBuf>)>, Error> {
    if formats.is_empty() && !outputs.is_empty() {
        return Err(Error::Usage(
            "--output needs a --format before it (e.g. --format markdown --output summary.md)"
                .into(),
        ));
    }
    let targets: Vec<(F, Option<PathBuf>)> = if formats.is_empty() {
        vec![(default, None)]
    } else {
        formats
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, paired.get(i).cloned().flatten()))
            .collect()
    };
    if targets.iter().filter(|(_, out)| out.is_none()).count() > 1 {
        return Err(Error::Usage(
            "only one format can go to stdout; give an --output path after each --format but one"
                .into(),
        ));
    }
    Ok(targets)
}

/// Writes each rendered report to its file, or to stdout.
pub(crate) fn write_reports<F: Copy + clap::ValueEnum>(
    targets: &[(F, Option<PathBuf>)],
    render: impl Fn(F) -> String,
    printer: &Printer,
) -> Result<(), Error> {
    for (format, output) in targets {
        let text = render(*format);
        match output {
            Some(path) => {
                std::fs::write(path, text).map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
                let name = format
                    .to_possible_value()
                    .map(|v| v.get_name().to_owned())
                    .unwrap_or_default();
                printer.status("Wrote", &format!("{name} report to {}", path.display()));
            }
            None => printer.data(&text),
        }
    }
    Ok(())
}
