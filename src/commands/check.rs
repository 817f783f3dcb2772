//! `pave check`: the CI gate. Exit 0 conforming, 1 drift, 2 error. Several formats in one run:
//! `--format sarif --output pave.sarif --format github` writes SARIF to a file and annotations
//! to stdout.

use crate::check::{self, CatalogAccess};
use crate::cli::CheckArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::lock::{Lock, LockEntry};
use crate::printer::Printer;
use crate::report::{self, CheckFormat};
use crate::settings::{CatalogChoice, catalog_of_source};

pub fn run(
    args: &CheckArgs,
    catalog: Option<&CatalogChoice>,
    printer: &Printer,
) -> Result<u8, Error> {
    let formats = if args.format.is_empty() {
        vec![CheckFormat::Text]
    } else {
        args.format.clone()
    };
    if args.output.len() > formats.len() {
        return Err(Error::Usage(
            "more --output paths than --format options; pair each --output with a --format".into(),
        ));
    }
    if formats.len() - args.output.len() > 1 {
        return Err(Error::Usage(
            "only one format can go to stdout; give an --output path for each --format but one"
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

    for (i, format) in formats.iter().enumerate() {
        let text = report::render(&report, *format);
        match args.output.get(i) {
            Some(path) => {
                std::fs::write(path, text).map_err(|source| Error::Write {
                    path: path.clone(),
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
    Ok(if report.conforming { 0 } else { EXIT_FINDING })
}

fn format_name(format: CheckFormat) -> String {
    clap::ValueEnum::to_possible_value(&format)
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}
