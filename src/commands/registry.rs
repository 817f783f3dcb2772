//! `pave registry serve` and `pave registry token create|list|revoke`: open (and migrate) the
//! database `--database` names, then serve it or manage its tokens (`repos delete`, `prune` and
//! `log` are in `registry_admin`). `pave registry flush`, and
//! [`record`], the edge every recording command (`new`, `apply`, `upgrade`, `check --report`,
//! `audit --push`) ends with: spool the events, send the spool, warn when something stays behind.

use std::path::PathBuf;
use std::sync::Arc;

use pave_registry::client::SendError;
use pave_registry::model::Event;
use pave_registry::recording::{self, Destination, Recorded};
use pave_registry::server::{self, ReadAccess, RegistryError};
use pave_registry::spool::{FlushOutcome, Spool};
use pave_registry::store::{Database, Store, StoreError};

use crate::cli::{
    RegistryArgs, RegistryCommand, RegistryDatabaseArgs, RegistryReposCommand, RegistryServeArgs,
    RegistryTokenCommand, RegistryTokenCreateArgs,
};
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::settings::RegistryChoice;

pub fn run(args: &RegistryArgs, printer: &Printer) -> Result<u8, Error> {
    match &args.command {
        RegistryCommand::Serve(args) => serve(args, printer),
        RegistryCommand::Flush => flush_command(printer),
        RegistryCommand::Repos(repos) => match &repos.command {
            RegistryReposCommand::Delete(args) => super::registry_admin::delete_repo(args, printer),
        },
        RegistryCommand::Prune(args) => super::registry_admin::prune(args, printer),
        RegistryCommand::Log(args) => super::registry_admin::log(args, printer),
        RegistryCommand::Token(token) => match &token.command {
            RegistryTokenCommand::Create(args) => create_token(args, printer),
            RegistryTokenCommand::List(args) => list_tokens(args, printer),
            RegistryTokenCommand::Revoke(args) => {
                let store = open_existing(args.database.database.as_deref(), printer)?;
                if !store.revoke_token(&args.id).map_err(RegistryError::from)? {
                    return Err(RegistryError::UnknownToken(args.id.clone()).into());
                }
                printer.status("Revoked", &format!("token {}", args.id));
                Ok(0)
            }
        },
    }
}

fn serve(args: &RegistryServeArgs, printer: &Printer) -> Result<u8, Error> {
    // The retention setting first: a bad one in config.toml fails before the database opens.
    let retention = crate::settings::serve_retention(args.retention.as_ref())?;
    let store = open(&args.database, printer)?;
    let read_access = if args.read_token_required {
        ReadAccess::TokenRequired
    } else {
        ReadAccess::Open
    };
    if let Some(retention) = &retention {
        printer.status(
            "Retention",
            &format!(
                "events older than {retention} and repos not heard of since are pruned now and every {} minutes",
                server::RETENTION_EVERY.as_secs() / 60
            ),
        );
    }
    server::run(store, args.listen, read_access, retention, |addr| {
        printer.status("Listening", &format!("on http://{addr}"));
    })?;
    printer.status("Stopped", "every request in flight was answered");
    Ok(0)
}

fn create_token(args: &RegistryTokenCreateArgs, printer: &Printer) -> Result<u8, Error> {
    if crate::printer::stdout_is_discarded() {
        return Err(Error::SecretWouldBeLost);
    }
    let store = open(&args.database, printer)?;
    let created = store
        .create_token(&args.name, &args.scopes)
        .map_err(RegistryError::from)?;
    // The secret alone on stdout, so `TOKEN=$(pave registry token create …)` just works. A
    // secret that could not be shown is lost: revoke the token rather than leave it usable by
    // nobody but whoever finds the secret later.
    if let Err(source) = printer.data_that_must_arrive(&created.secret) {
        store
            .revoke_token(&created.id)
            .map_err(RegistryError::from)?;
        return Err(Error::SecretNotShown {
            id: created.id,
            source,
        });
    }
    printer.status(
        "Created",
        &format!(
            "token {} ({}); its secret is shown this once",
            created.id, args.name
        ),
    );
    Ok(0)
}

fn list_tokens(args: &RegistryDatabaseArgs, printer: &Printer) -> Result<u8, Error> {
    let store = open_existing(args.database.as_deref(), printer)?;
    let mut out = String::from("ID\tNAME\tSCOPES\tCREATED\tREVOKED\n");
    for token in store.list_tokens().map_err(RegistryError::from)? {
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let revoked = token
            .revoked_at
            .map_or_else(|| "-".to_owned(), |t| t.to_string());
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{revoked}\n",
            token.id,
            token.name,
            scopes.join(","),
            token.created_at
        ));
    }
    printer.data(&out)?;
    Ok(0)
}

/// The database `--database` names (default: SQLite in the user data folder), migrated.
fn open(args: &RegistryDatabaseArgs, printer: &Printer) -> Result<Arc<dyn Store>, RegistryError> {
    open_database(database(args.database.as_deref())?, printer)
}

/// [`open`] for commands that only read or change what is there (`token list`, `token
/// revoke`, the admin commands): a SQLite file that does not exist is a mistyped `--database`,
/// not a new registry.
pub(crate) fn open_existing(
    database_arg: Option<&str>,
    printer: &Printer,
) -> Result<Arc<dyn Store>, Error> {
    let database = database(database_arg)?;
    if let Database::Sqlite(path) = &database
        && !path.exists()
    {
        return Err(Error::NoRegistryDatabase { path: path.clone() });
    }
    Ok(open_database(database, printer)?)
}

fn database(database_arg: Option<&str>) -> Result<Database, RegistryError> {
    Ok(match database_arg {
        Some(text) => Database::parse(text).map_err(StoreError::from)?,
        None => Database::Sqlite(default_sqlite()?),
    })
}

fn open_database(database: Database, printer: &Printer) -> Result<Arc<dyn Store>, RegistryError> {
    let store: Arc<dyn Store> = Arc::from(database.open()?);
    let applied = store.migrate()?;
    if applied > 0 {
        let steps = if applied == 1 { "step" } else { "steps" };
        printer.status(
            "Migrated",
            &format!("the registry database ({applied} {steps})"),
        );
    }
    Ok(store)
}

/// `<data dir>/pave/registry.sqlite` (`PAVE_DATA_DIR` overrides the data dir), its folder
/// created: the local registry that commands record into when no registry is configured.
fn default_sqlite() -> Result<PathBuf, RegistryError> {
    let path = crate::settings::local_registry_path().ok_or(RegistryError::NoDataDir)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| RegistryError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    Ok(path)
}

/// Records what a command did: writes `events` to the spool, then sends the whole spool (older
/// events first). Never fails the command: what cannot be sent stays spooled, with one warning
/// that says where and what to do.
/// Returns whether every event is where it belongs (recording off counts as delivered: nothing
/// was meant to go).
pub(crate) fn record(choice: &RegistryChoice, events: Vec<Event>, printer: &Printer) -> bool {
    let Some(destination) = choice.destination() else {
        return true;
    };
    let Some(dir) = crate::settings::spool_dir() else {
        printer.warn(&format!(
            "{} event(s) not recorded: this system has no user state folder for the spool; set PAVE_STATE_DIR",
            events.len()
        ));
        return false;
    };
    let spool = Spool::new(dir);
    match recording::record(&destination, &spool, events) {
        Recorded::Done => true,
        Recorded::NotSpooled(e) => {
            printer.warn(&format!("event(s) not recorded: {e}"));
            false
        }
        Recorded::Flushed(outcome) => {
            let later = "`pave registry flush` or the next pave command that records sends them";
            warn_about(choice, &destination, &spool, &outcome, later, printer);
            outcome.stopped.is_none() && outcome.rejected.is_empty() && outcome.remaining == 0
        }
    }
}

/// One warning for what stayed spooled (saying what sends it `later`), and one per rejected
/// event.
fn warn_about(
    choice: &RegistryChoice,
    destination: &Destination,
    spool: &Spool,
    outcome: &FlushOutcome,
    later: &str,
    printer: &Printer,
) {
    const SHOWN: usize = 3;
    for rejection in outcome.rejected.iter().take(SHOWN) {
        printer.warn(&format!(
            "{} rejected event {}: {}; it can never be accepted and was moved to {}",
            destination.describe(),
            rejection.event_id,
            rejection.message,
            rejection.path.display()
        ));
    }
    if outcome.rejected.len() > SHOWN {
        printer.warn(&format!(
            "{} more event(s) were rejected and moved to {}",
            outcome.rejected.len() - SHOWN,
            spool.dir.join(pave_registry::spool::REJECTED_DIR).display()
        ));
    }
    let Some(stopped) = &outcome.stopped else {
        return;
    };
    let spooled = format!(
        "{} spooled in {}",
        if outcome.remaining == 1 {
            "1 event is".to_owned()
        } else {
            format!("{} events are", outcome.remaining)
        },
        spool.dir.display()
    );
    let message = match (stopped, choice) {
        (
            SendError::Unauthorized {
                url,
                status,
                message,
            },
            RegistryChoice::Remote { token_from, .. },
        ) => format!(
            "the registry {url} refused the token ({status}: {message}); {spooled}. Set a token with the `write` scope in {token_from}, then run `pave registry flush`"
        ),
        (SendError::NoToken { url }, RegistryChoice::Remote { token_from, .. }) => format!(
            "no token is set for the registry {url}, so nothing was sent; {spooled}. Set a token with the `write` scope in {token_from}, then run `pave registry flush`"
        ),
        (SendError::Unreachable { .. }, _) => format!("{stopped}; {spooled}: {later}"),
        (other, _) => format!(
            "{} did not take the events ({other}); {spooled}: {later}",
            destination.describe()
        ),
    };
    printer.warn(&message);
}

/// `pave registry flush`: 0 when the spool is empty afterwards, 1 when events stay spooled
/// (the registry is unreachable or refuses the token), 2 for bad settings.
fn flush_command(printer: &Printer) -> Result<u8, Error> {
    let choice = crate::settings::registry_choice()?;
    let spool = Spool::new(crate::settings::required_spool_dir()?);
    let Some(destination) = choice.destination() else {
        let spooled = spool.count();
        printer.status(
            "Off",
            &format!(
                "recording is off (registry url `off`); {spooled} event(s) stay spooled in {}",
                spool.dir.display()
            ),
        );
        return Ok(0);
    };
    if spool.is_empty() {
        printer.status("Flushed", "nothing: the spool is empty");
        return Ok(0);
    }
    let outcome = destination.flush(&spool);
    let later = "run `pave registry flush` again once the registry is up";
    warn_about(&choice, &destination, &spool, &outcome, later, printer);
    let sent = outcome.accepted + outcome.duplicates;
    if sent > 0 || outcome.stopped.is_none() {
        printer.status(
            "Flushed",
            &format!(
                "{sent} event(s) to {} ({} new, {} already there), {} rejected, {} still spooled",
                destination.describe(),
                outcome.accepted,
                outcome.duplicates,
                outcome.rejected.len(),
                outcome.remaining
            ),
        );
    }
    Ok(if outcome.stopped.is_some() {
        EXIT_FINDING
    } else {
        0
    })
}
