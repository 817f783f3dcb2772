//! `pave check`: the CI gate. Exit 0 conforming, 1 drift, 2 error. Several formats in one run:
//! each `--output` belongs to the `--format` just before it, so
//! `--format github --format sarif --output pave.sarif` writes annotations to stdout and SARIF
//! to a file. `--report` records the result in the registry; the exit code stays the check's.

use crate::check::{self, CatalogAccess};
use crate::cli::CheckArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::lock::{Lock, LockEntry};
use crate::printer::Printer;
use crate::report::{self, CheckFormat};
use crate::settings::{CatalogChoice, RegistryChoice, catalog_of_source};

pub fn run(
    args: &CheckArgs,
    catalog: Option<&CatalogChoice>,
    registry: Option<&RegistryChoice>,
    printer: &Printer,
) -> Result<u8, Error> {
    let formats: Vec<(CheckFormat, Option<&std::path::PathBuf>)> = if args.format.is_empty() {
        vec![(CheckFormat::Text, None)]
    } else {
        args.format
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, args.output_of_format.get(i).and_then(Option::as_ref)))
            .collect()
    };
    if args.format.is_empty() && !args.output.is_empty() {
        return Err(Error::Usage(
            "--output needs a --format before it (e.g. --format sarif --output pave.sarif)".into(),
        ));
    }
    if formats.iter().filter(|(_, out)| out.is_none()).count() > 1 {
        return Err(Error::Usage(
            "only one format can go to stdout; give an --output path after each --format but one"
                .into(),
        ));
    }
    let root = &args.dir;
    let lock = Lock::read(root)?;
    let open = |entry: &LockEntry| match catalog {
        Some(choice) => Some(choice.open()),
        None => catalog_of_source(&entry.catalog),
    };
    let access = if args.offline {
        CatalogAccess::Offline
    } else {
        CatalogAccess::Online(&open)
    };
    let report = check::check(root, &lock, access)?;

    for (format, output) in &formats {
        let text = report::render(&report, *format);
        match output {
            Some(path) => {
                std::fs::write(path, text).map_err(|source| Error::Write {
                    path: path.to_path_buf(),
                    source,
                })?;
                printer.status(
                    "Wrote",
                    &format!("{} report to {}", format_name(*format), path.display()),
                );
            }
            None => printer.data(&text),
        }
    }
    if let Some(registry) = registry {
        let events = crate::record::conformance(&report, &crate::record::repo_ref(root));
        super::registry::record(registry, events, printer);
    }
    Ok(if report.conforming { 0 } else { EXIT_FINDING })
}

fn format_name(format: CheckFormat) -> String {
    clap::ValueEnum::to_possible_value(&format)
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}
