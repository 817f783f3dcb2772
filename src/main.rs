//! pave: the paved-path scaffolder of an internal developer platform.
//!
//! This binary is the edge: it parses the command line ([`cli`]), resolves settings once
//! ([`settings`]), runs one command ([`commands`], a thin file each) and maps the outcome to an
//! exit code (0 success, 1 a finding, 2 an error), printing through one [`printer`]. The work is
//! done by the layers below it, each a crate (docs/ARCHITECTURE.md): `pave-base` ← `pave-model`
//! ← `pave-engine` ← `pave-registry` ← this package.

mod cli;
mod commands;
mod error;
mod printer;
mod prompt;
mod record;
mod settings;

use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::printer::Printer;
use crate::settings::{CatalogChoice, LockCatalogs};

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run())
}

/// Parses the command line, runs the command and returns the process exit code.
fn run() -> u8 {
    let parsed = <Cli as clap::CommandFactory>::command()
        .try_get_matches()
        .and_then(|matches| {
            Ok((
                <Cli as clap::FromArgMatches>::from_arg_matches(&matches)?,
                matches,
            ))
        });
    let cli = match parsed {
        Ok((mut cli, matches)) => {
            if let Err(e) = cli.command.pair_outputs(&matches) {
                let e = Error::from(e);
                Printer::new(false).error(&e.to_string(), e.hint().as_deref());
                return e.exit_code();
            }
            cli
        }
        Err(e) => {
            // Usage errors exit 2, help and version exit 0; clap knows which. Help or a version
            // that could not be written (a full disk) is not a success; a closed pipe is.
            let printed = e
                .print()
                .and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
            if let Err(failed) = printed
                && failed.kind() != std::io::ErrorKind::BrokenPipe
            {
                let failed = Error::from(printer::StdoutError(failed));
                Printer::new(false).error(&failed.to_string(), failed.hint().as_deref());
                return failed.exit_code();
            }
            return u8::try_from(e.exit_code()).unwrap_or(error::EXIT_ERROR);
        }
    };
    let printer = Printer::new(cli.global.quiet);
    match dispatch(&cli, &printer) {
        Ok(code) => code,
        Err(e) => {
            printer.error(&e.to_string(), e.hint().as_deref());
            e.exit_code()
        }
    }
}

fn dispatch(cli: &Cli, printer: &Printer) -> Result<u8, Error> {
    // Commands on an existing repo use the catalog its lock records unless one is named
    // (--catalog > PAVE_CATALOG); anything new comes from it, else the config file's, else builtin.
    let config = settings::ConfigFile::default();
    let explicit = || settings::explicit_catalog(&cli.global, &config, printer);
    let chosen = |explicit: Option<CatalogChoice>| match explicit {
        Some(choice) => Ok(choice),
        None => settings::default_catalog(&cli.global, &config, printer),
    };
    let locks = |explicit: Option<CatalogChoice>| LockCatalogs::new(explicit, config.clone());
    // Commands that record resolve the registry first: a bad URL is an error before any write.
    let registry = settings::registry_choice;
    match &cli.command {
        Command::New(args) => {
            let registry = registry()?;
            commands::new::run(args, &chosen(explicit()?)?, &config, &registry, printer)
        }
        Command::List(args) => commands::list::run(args, &chosen(explicit()?)?, printer),
        Command::Show(args) => commands::show::run(args, &chosen(explicit()?)?, &config, printer),
        Command::Apply(args) => {
            let registry = registry()?;
            let explicit = explicit()?;
            let fresh = chosen(explicit.clone())?;
            commands::apply::run(args, &locks(explicit), &fresh, &config, &registry, printer)
        }
        Command::Check(args) => {
            let registry = args.report.then(registry).transpose()?;
            commands::check::run(args, &locks(explicit()?), registry.as_ref(), printer)
        }
        Command::Gate(args) => commands::gate::run(args, &locks(explicit()?), printer),
        Command::Diff(args) => commands::diff::run(args, &locks(explicit()?), printer),
        Command::Except(args) => commands::except::run(args, &locks(explicit()?), printer),
        Command::Upgrade(args) => {
            let registry = registry()?;
            commands::upgrade::run(args, &locks(explicit()?), &registry, printer)
        }
        Command::Audit(args) => {
            let registry = args.push.then(registry).transpose()?;
            commands::audit::run(args, &locks(explicit()?), registry.as_ref(), printer)
        }
        Command::Stats(args) => commands::stats::run(args, &registry()?, printer),
        Command::Registry(args) => commands::registry::run(args, printer),
        Command::Schema(args) => commands::schema::run(args, printer),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "pave", &mut out);
            printer.data(&String::from_utf8_lossy(&out))?;
            Ok(0)
        }
    }
}
