//! `pave check`: the CI gate. Exit 0 conforming, 1 drift, 2 error. Several formats in one run:
//! each `--output` belongs to the `--format` just before it, so
//! `--format github --format sarif --output pave.sarif` writes annotations to stdout and SARIF
//! to a file. `--report` records the result in the registry; the exit code stays the check's.

use pave_engine::check::{self, CatalogAccess};
use pave_engine::report::{self, CheckFormat};
use pave_model::lock::Lock;

use crate::cli::CheckArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::settings::{LockCatalogs, RegistryChoice};

pub fn run(
    args: &CheckArgs,
    catalogs: &LockCatalogs,
    registry: Option<&RegistryChoice>,
    printer: &Printer,
) -> Result<u8, Error> {
    let targets = super::report_targets(&args.format, &args.output_of_format, CheckFormat::Text)?;
    let root = &args.dir;
    let lock = Lock::read(root)?;
    let open = |entry: &pave_model::lock::LockEntry| catalogs.open(entry).map_err(|e| e.as_note());
    let access = if args.offline {
        CatalogAccess::Offline
    } else {
        // A malformed config file is an error, not a note that the catalog is unknown; a repo of
        // the built-in catalog does not need it.
        if lock.golden_paths.iter().any(|e| e.catalog != "builtin") {
            catalogs.read_config()?;
        }
        CatalogAccess::Online(&open)
    };
    let report = check::check(root, &lock, access)?;

    super::write_reports(&targets, |format| report::render(&report, format), printer)?;
    if let Some(registry) = registry {
        let consulted = catalogs.explicit().map(|c| c.identity().to_string());
        let events = crate::record::conformance(
            &report,
            &crate::record::repo_ref(root),
            consulted.as_deref(),
        );
        super::registry::record(registry, events, printer);
    }
    Ok(if report.conforming { 0 } else { EXIT_FINDING })
}
