//! `pave registry repos delete`, `pave registry prune` and `pave registry log`: what an SRE
//! removes from a registry, and the record of it. They work on the registry `pave stats` reads
//! (its API, with an `admin` token: the admin log names the token) or, with `--database`, on a
//! database directly (the admin log says `local`). Each deletion or prune is one transaction,
//! recorded in the registry's admin log; without `--yes` a person at a terminal is asked first,
//! and anywhere else the command refuses.

use std::sync::Arc;

use pave_registry::client::{RemoteRegistry, SendError};
use pave_registry::model::{Actor, AdminAction, AdminLogEntry, Removal, Retention};
use pave_registry::server::RegistryError;
use pave_registry::store::Store;

use crate::cli::{
    RegistryAdminTarget, RegistryLogArgs, RegistryLogFormat, RegistryPruneArgs,
    RegistryRepoDeleteArgs,
};
use crate::error::Error;
use crate::printer::Printer;
use crate::settings::RegistryChoice;

/// The registry an admin command works on.
enum Target {
    /// A database opened directly (`--database`, or the local registry): the actor is `local`.
    Store {
        store: Arc<dyn Store>,
        describe: String,
    },
    /// A registry's API: the actor is the admin token it is given.
    Remote {
        registry: RemoteRegistry,
        token_from: String,
    },
}

impl Target {
    /// `--database`, else the registry `pave stats` reads: PAVE_REGISTRY_URL (or `url` in
    /// config.toml) with its token, else the local registry.
    fn resolve(args: &RegistryAdminTarget, printer: &Printer) -> Result<Self, Error> {
        if let Some(database) = args.database.as_deref() {
            let store = super::registry::open_existing(Some(database), printer)?;
            let describe = format!(
                "the database {}",
                pave_registry::store::redact_password(database)
            );
            return Ok(Self::Store { store, describe });
        }
        match crate::settings::registry_choice()? {
            RegistryChoice::Off => Err(Error::NoAdminRegistry),
            RegistryChoice::Local(path) => {
                let store =
                    super::registry::open_existing(Some(&path.display().to_string()), printer)?;
                Ok(Self::Store {
                    store,
                    describe: format!("the local registry {}", path.display()),
                })
            }
            RegistryChoice::Remote {
                url,
                token,
                token_from,
                ..
            } => {
                if token.is_none() {
                    return Err(Error::Admin {
                        what: "cannot reach the registry as an admin",
                        source: SendError::NoToken { url },
                        token_from,
                    });
                }
                Ok(Self::Remote {
                    registry: RemoteRegistry::admin(&url, token),
                    token_from,
                })
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Store { describe, .. } => describe.clone(),
            Self::Remote { registry, .. } => format!("the registry {}", registry.url()),
        }
    }

    /// A failure of the remote registry, said with what was being done.
    fn remote_error(what: &'static str, token_from: &str, source: SendError) -> Error {
        Error::Admin {
            what,
            source,
            token_from: token_from.to_owned(),
        }
    }

    fn delete_repo(&self, repo: &str, dry_run: bool) -> Result<Removal, Error> {
        match self {
            Self::Store { store, .. } => Ok(store
                .delete_repo(repo, &Actor::Local, dry_run)
                .map_err(RegistryError::from)?),
            Self::Remote {
                registry,
                token_from,
            } => registry
                .delete_repo(repo, dry_run)
                .map_err(|e| Self::remote_error("cannot delete the repo", token_from, e)),
        }
    }

    fn prune(&self, retention: &Retention, dry_run: bool) -> Result<Removal, Error> {
        match self {
            Self::Store { store, .. } => {
                let before = retention.cutoff(jiff::Timestamp::now());
                Ok(store
                    .prune(retention.as_str(), before, &Actor::Local, dry_run)
                    .map_err(RegistryError::from)?)
            }
            Self::Remote {
                registry,
                token_from,
            } => registry
                .prune(retention.as_str(), dry_run)
                .map_err(|e| Self::remote_error("cannot prune the registry", token_from, e)),
        }
    }

    fn admin_log(&self) -> Result<Vec<AdminLogEntry>, Error> {
        match self {
            Self::Store { store, .. } => Ok(store.admin_log().map_err(RegistryError::from)?),
            Self::Remote {
                registry,
                token_from,
            } => registry
                .admin_log()
                .map_err(|e| Self::remote_error("cannot read the admin log", token_from, e)),
        }
    }
}

/// Goes ahead with `what` when `--yes` says so or a person at a terminal answers yes to
/// `question` (asked lazily: it may need a dry run to say how much goes).
fn confirmed(
    what: &'static str,
    yes: bool,
    question: impl FnOnce() -> Result<String, Error>,
) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !crate::prompt::is_interactive() {
        return Err(Error::NotConfirmed {
            what,
            is_interactive: false,
        });
    }
    match crate::prompt::confirm(&question()?) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(Error::NotConfirmed {
            what,
            is_interactive: true,
        }),
    }
}

/// `N events`, `1 event`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `pave registry repos delete REPO`.
pub fn delete_repo(args: &RegistryRepoDeleteArgs, printer: &Printer) -> Result<u8, Error> {
    let target = Target::resolve(&args.target, printer)?;
    if args.dry_run {
        let removal = target.delete_repo(&args.repo, true)?;
        printer.status(
            "Would delete",
            &format!(
                "repo {} from {}: {}; nothing was removed (--dry-run)",
                removal.entry.target,
                target.describe(),
                counted(removal.entry.events, "event", "events")
            ),
        );
        return Ok(0);
    }
    confirmed("delete the repo", args.yes, || {
        let preview = target.delete_repo(&args.repo, true)?;
        Ok(format!(
            "Delete repo {} from {}: {} and its current state?",
            preview.entry.target,
            target.describe(),
            counted(preview.entry.events, "event", "events")
        ))
    })?;
    let removal = target.delete_repo(&args.repo, false)?;
    printer.status(
        "Deleted",
        &format!(
            "repo {} from {}: {} and its current state (admin log {})",
            removal.entry.target,
            target.describe(),
            counted(removal.entry.events, "event", "events"),
            removal.entry.id
        ),
    );
    Ok(0)
}

/// `pave registry prune --older-than PERIOD`.
pub fn prune(args: &RegistryPruneArgs, printer: &Printer) -> Result<u8, Error> {
    let target = Target::resolve(&args.target, printer)?;
    let said = |removal: &Removal| {
        format!(
            "{} and {} older than {} (before {}) from {}",
            counted(removal.entry.repos, "repo", "repos"),
            counted(removal.entry.events, "event", "events"),
            args.older_than,
            removal
                .entry
                .before
                .map_or_else(|| "-".to_owned(), |t| t.to_string()),
            target.describe()
        )
    };
    if args.dry_run {
        let removal = target.prune(&args.older_than, true)?;
        printer.status(
            "Would prune",
            &format!("{}; nothing was removed (--dry-run)", said(&removal)),
        );
        return Ok(0);
    }
    confirmed("prune the registry", args.yes, || {
        let preview = target.prune(&args.older_than, true)?;
        Ok(format!("Prune {}?", said(&preview)))
    })?;
    let removal = target.prune(&args.older_than, false)?;
    printer.status(
        "Pruned",
        &format!("{} (admin log {})", said(&removal), removal.entry.id),
    );
    Ok(0)
}

/// `pave registry log`: the admin log, oldest first.
pub fn log(args: &RegistryLogArgs, printer: &Printer) -> Result<u8, Error> {
    let target = Target::resolve(&args.target, printer)?;
    let entries = target.admin_log()?;
    let text = match args.format {
        RegistryLogFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({ "entries": entries }))
                .expect("the admin log serializes to JSON")
                + "\n"
        }
        RegistryLogFormat::Text => {
            let mut out = String::from("AT\tACTOR\tACTION\tTARGET\tREPOS\tEVENTS\tID\n");
            for entry in &entries {
                let target = match (entry.action, entry.before) {
                    (AdminAction::Prune, Some(before)) => {
                        format!("older than {} (before {before})", entry.target)
                    }
                    _ => entry.target.clone(),
                };
                out.push_str(&format!(
                    "{}\t{}\t{}\t{target}\t{}\t{}\t{}\n",
                    entry.at,
                    entry.actor,
                    entry.action.as_str(),
                    entry.repos,
                    entry.events,
                    entry.id
                ));
            }
            out
        }
    };
    if entries.is_empty() {
        printer.info(&format!(
            "the admin log of {} is empty: nothing was deleted or pruned yet",
            target.describe()
        ));
    }
    printer.data(&text)?;
    Ok(0)
}
