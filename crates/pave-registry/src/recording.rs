//! Recording what a command did: its events are written to the on-disk [`Spool`] first, then the
//! whole spool (older events first) is sent to the [`Destination`] — a registry's API, or the
//! local embedded registry when none is configured. Recording never fails a command: what cannot
//! be sent stays spooled, and the caller tells the person where and what to do.

use std::path::PathBuf;

use crate::client::{LocalRegistry, RemoteRegistry, RetryPolicy, SendError, Sink};
use crate::model::{Batch, DailyAdoption, Event, GroupBy, Stats};
use crate::spool::{FlushOutcome, Spool, SpoolError};

/// Where events go, ready to send to.
pub enum Destination {
    Remote {
        registry: RemoteRegistry,
        has_token: bool,
    },
    Local(LocalRegistry),
}

/// What recording did.
#[derive(Debug)]
pub enum Recorded {
    /// Nothing was left to send (stored, or sent with the rest of the spool).
    Done,
    /// The spool was sent, or tried: what was accepted, rejected and left.
    Flushed(FlushOutcome),
    /// The events could not even be spooled: they are lost.
    NotSpooled(SpoolError),
}

impl Destination {
    /// A registry's HTTP API at `url` (its base, e.g. `https://pave.example.com`).
    pub fn remote(url: &str, token: Option<String>) -> Self {
        Self::Remote {
            has_token: token.is_some(),
            registry: RemoteRegistry::new(url, token, RetryPolicy::default()),
        }
    }

    /// The local embedded registry (SQLite) at `path`.
    pub fn local(path: PathBuf) -> Self {
        Self::Local(LocalRegistry::new(path))
    }

    /// How messages name it: `the registry https://…`, `the local registry /…/registry.sqlite`.
    pub fn describe(&self) -> String {
        match self {
            Self::Remote { registry, .. } => format!("the registry {}", registry.url()),
            Self::Local(local) => format!("the local registry {}", local.path.display()),
        }
    }

    fn sink(&self) -> &dyn Sink {
        match self {
            Self::Remote { registry, .. } => registry,
            Self::Local(local) => local,
        }
    }

    /// Sends the spool, unless a token is missing (which the registry would refuse anyway).
    pub fn flush(&self, spool: &Spool) -> FlushOutcome {
        if let Self::Remote {
            registry,
            has_token: false,
        } = self
        {
            return FlushOutcome {
                remaining: spool.count(),
                stopped: Some(SendError::NoToken {
                    url: registry.url().to_owned(),
                }),
                ..FlushOutcome::default()
            };
        }
        spool.flush(self.sink())
    }

    /// Adoption figures grouped by `group_by`.
    pub fn stats(&self, group_by: GroupBy) -> Result<Stats, SendError> {
        match self {
            Self::Remote { registry, .. } => registry.stats(group_by),
            Self::Local(local) => local.store().and_then(|store| {
                store
                    .stats(group_by)
                    .map_err(|e| SendError::Failed(e.to_string()))
            }),
        }
    }

    /// First adoptions per day over the last `days` days up to `today` (UTC).
    pub fn daily(
        &self,
        days: u32,
        today: jiff::civil::Date,
    ) -> Result<Vec<DailyAdoption>, SendError> {
        match self {
            Self::Remote { registry, .. } => registry.daily(days),
            Self::Local(local) => local.store().and_then(|store| {
                store
                    .daily(days, today)
                    .map_err(|e| SendError::Failed(e.to_string()))
            }),
        }
    }
}

/// Records `events`: writes them to `spool`, then sends the whole spool to `destination`.
pub fn record(destination: &Destination, spool: &Spool, events: Vec<Event>) -> Recorded {
    if let Destination::Local(local) = destination
        && !events.is_empty()
        && events.len() <= Batch::MAX_EVENTS
        && spool.is_empty()
    {
        // The local registry is as durable as the spool (SQLite syncs each commit): store the
        // events directly, and spool them only when that fails. Saves a synced write, a rename
        // and a removal on every scaffold.
        let batch = Batch {
            events: events.clone(),
        };
        if local.send(&batch).is_ok() {
            return Recorded::Done;
        }
    }
    if let Err(e) = spool.write(events) {
        return Recorded::NotSpooled(e);
    }
    if spool.is_empty() {
        return Recorded::Done;
    }
    Recorded::Flushed(destination.flush(spool))
}
