//! `pave audit`: the platform team's view of a fleet (the engine's
//! [`audit::run`](pave_engine::audit::run)). `pave audit merge` combines the JSON reports of
//! `--shard` runs. `--fail-on` turns it into a scheduled CI gate (exit 1). `--push` records one
//! audit event per repo in the registry.

use std::io::IsTerminal as _;
use std::path::Path;

use pave_engine::audit::format::{self, AuditFormat};
use pave_engine::audit::{self, AuditReport, CatalogIndex, FailOn, Fleet};

use crate::cli::{AuditArgs, AuditCommand};
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::settings::{LockCatalogs, RegistryChoice, audit_cache_dir};

pub fn run(
    args: &AuditArgs,
    catalogs: &LockCatalogs,
    registry: Option<&RegistryChoice>,
    printer: &Printer,
) -> Result<u8, Error> {
    if let Some(AuditCommand::Merge(merge)) = &args.command {
        let reports = merge
            .reports
            .iter()
            .map(|path| audit::read_report(path))
            .collect::<Result<Vec<_>, _>>()?;
        let report = AuditReport::merge(reports);
        return emit(
            &report,
            merge.format,
            merge.output.as_deref(),
            &merge.fail_on,
            None,
            printer,
        );
    }
    if args.dirs.is_empty() && args.repos_file.is_none() {
        return Err(Error::NoFleet);
    }
    if args.fail_on.contains(&FailOn::Undelivered) && registry.is_none() {
        return Err(Error::UndeliveredWithoutPush);
    }
    if let Some(dir) = args.dirs.iter().find(|dir| !dir.is_dir()) {
        return Err(Error::NotAFleetFolder { path: dir.clone() });
    }
    let mut listed = Vec::new();
    if let Some(file) = &args.repos_file {
        let read = audit::read_repos_file(file, &audit_cache_dir()?, args.fetch)?;
        for warning in &read.warnings {
            printer.warn(warning);
        }
        listed = read.repos;
    }
    let catalogs = if args.offline {
        CatalogIndex::new(None)
    } else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        // Every repo's catalogs through one resolution: --catalog/PAVE_CATALOG, else what each
        // lock records, as config.toml maps it here.
        catalogs.read_config()?;
        let catalogs = catalogs.clone();
        CatalogIndex::new(Some(Box::new(move |source: &str| {
            catalogs
                .open_recorded(source, "its golden path")
                .map_err(|e| e.as_note())
        })))
        .at(now)
    };
    let bar = progress_bar(printer);
    let on_done = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let fleet = Fleet {
        listed,
        dirs: args.dirs.clone(),
        shard: args.shard,
    };
    let report = audit::run(fleet, &catalogs, &on_done);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut is_delivered = true;
    if let Some(registry) = registry {
        // One audit event per repo, spooled in batches of at most 1,000 and sent.
        let events = report.repos.iter().map(crate::record::audit).collect();
        is_delivered = super::registry::record(registry, events, printer);
    }
    let undelivered = (!is_delivered && args.fail_on.contains(&FailOn::Undelivered))
        .then_some("the audit events were not all delivered to the registry (they stay spooled)");
    emit(
        &report,
        args.format,
        args.output.as_deref(),
        &args.fail_on,
        undelivered,
        printer,
    )
}

fn emit(
    report: &AuditReport,
    format: AuditFormat,
    output: Option<&Path>,
    fail_on: &[FailOn],
    undelivered: Option<&str>,
    printer: &Printer,
) -> Result<u8, Error> {
    let text = format::render(report, format);
    let what = format!("audit of {} repos", report.repos.len());
    super::write_report(&text, output, &what, printer)?;
    let mut failing = report.failures(fail_on);
    failing.extend(undelivered.map(str::to_owned));
    if failing.is_empty() {
        return Ok(0);
    }
    let only_undelivered = undelivered.is_some() && failing.len() == 1;
    printer.error(
        &format!("the fleet fails --fail-on: {}", failing.join("; ")),
        Some(if only_undelivered {
            "`pave registry flush` sends the spooled events once the registry is reachable (the warning above says why it was not)"
        } else {
            "the report lists each repo with its status (`--format csv` or `json` to sort them); \
             in a repo, `pave check` names each file's state (excepted ones with their reason), `pave diff` shows drift (`--all` also exceptions) and `pave upgrade` brings it to the newest version"
        }),
    );
    Ok(EXIT_FINDING)
}

fn progress_bar(printer: &Printer) -> Option<indicatif::ProgressBar> {
    if printer.is_quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} repos audited ({per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}
