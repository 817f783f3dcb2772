//! The registry's storage: one [`Store`] trait, two implementations — embedded SQLite (zero
//! set-up, the default) and PostgreSQL (several stateless servers on one database).
//!
//! Both keep every event as sent (`events`, unique on the client's id, so a retry is a no-op;
//! credentials in a catalog's URL are dropped first, see [`prepare_batch`]) and,
//! updated in the same transaction, the current state that reads need: `repos`,
//! `repo_golden_paths` (one row per repo and golden path, with the catalog it came from) and
//! `conformance` (the newest per repo and golden path). Golden paths are told apart by catalog
//! and name: the newest version known, and so lag, is per catalog, so a scratch catalog's
//! `lib-a` never puts the platform's `lib-a` repos behind. Reads never scan events, so stats stay fast however many events are stored,
//! and the event log can rebuild the state if its rules change. What events change is decided
//! once, in `changes`; each backend only says it in its own SQL.
//!
//! Records leave the store two ways, each one transaction recorded in `admin_log` (which
//! nothing ever prunes): [`Store::delete_repo`] removes one repo's events and current state, and
//! [`Store::prune`] applies a retention period. A prune removes the repos not heard of since the
//! cutoff (their newest event is older: gone from the fleet) with everything about them, and the
//! older events of the repos still reporting, except those that carry a fact of their current
//! state (the event behind each row's newest version, labels, conformance, audit status and
//! name): a live repo's state is never changed by a prune, and its kept events still rebuild it.
//!
//! The trait is synchronous: rusqlite is, and the `postgres` crate is a blocking wrapper over
//! tokio-postgres. The server calls it from `tokio::task::spawn_blocking`.

mod changes;
mod pg_tls;
pub mod postgres;
pub mod sqlite;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::civil::Date;
use jiff::{RoundMode, Timestamp, TimestampRound, Unit};
use sha2::Digest as _;

use crate::model::{
    Actor, AdminAction, AdminLogEntry, Batch, CreatedToken, DailyAdoption, Event,
    GoldenPathSummary, GroupBy, GroupStats, IngestOutcome, Invalid, RepoRecord, Scope, Stats,
    TokenInfo, TokenSummary, VersionCount,
};

/// The registry's storage. Every method is one transaction.
pub trait Store: Send + Sync {
    /// Brings the schema to this pave's version; returns how many migrations it applied (0 when
    /// up to date). Safe to run from several servers at once.
    fn migrate(&self) -> Result<usize, StoreError>;

    /// Stores a batch all or nothing: an invalid event or a database error stores none of it.
    /// An event whose id is already stored is a duplicate, counted once.
    fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, StoreError> {
        Ok(self.ingest_counted(batch)?.outcome)
    }

    /// [`Store::ingest`], with the stored events counted by kind (the server's metrics need
    /// them, and only the store knows which events were duplicates).
    fn ingest_counted(&self, batch: &Batch) -> Result<Ingested, StoreError>;

    /// The cheapest round trip to the database (`SELECT 1`): whether it answers at all.
    fn ping(&self) -> Result<(), StoreError>;

    /// Every repo on a golden path, by repo id then golden path.
    fn repos(&self) -> Result<Vec<RepoRecord>, StoreError>;

    /// Every golden path some repo is on, by name.
    fn golden_paths(&self) -> Result<Vec<GoldenPathSummary>, StoreError>;

    fn stats(&self, group_by: GroupBy) -> Result<Stats, StoreError>;

    /// Repos first adopting a golden path per day, for the `days` days ending with `until`.
    fn daily(&self, days: u32, until: Date) -> Result<Vec<DailyAdoption>, StoreError>;

    /// Creates a token; its secret is returned once and only its SHA-256 is stored.
    fn create_token(&self, name: &str, scopes: &[Scope]) -> Result<CreatedToken, StoreError>;

    /// The token a secret belongs to, unless it is unknown or revoked.
    fn verify_token(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError>;

    /// Every token, revoked ones too, oldest first.
    fn list_tokens(&self) -> Result<Vec<TokenSummary>, StoreError>;

    /// Revokes a token; `false` when no token has this id. Revoking twice keeps the first time.
    fn revoke_token(&self, id: &str) -> Result<bool, StoreError>;

    /// Removes one repo's records: every event about it and its rows in the current state, in
    /// one transaction logged in the admin log as `actor`'s. `repo` is a repo id, or the URL the
    /// registry shows for exactly one repo. With `dry_run` the transaction is rolled back: the
    /// answer says what would go; nothing goes, nothing is logged.
    fn delete_repo(&self, repo: &str, actor: &Actor, dry_run: bool) -> Result<Removal, StoreError>;

    /// Applies a retention period (`period`, as the log shows it) whose cutoff is `before`:
    /// removes the repos whose newest event occurred before it, with everything about them, and
    /// the events before it of the other repos except those their current state rests on (see
    /// the module doc). One transaction, logged as `actor`'s, except a retention pass that
    /// removed nothing. `dry_run` as for [`Store::delete_repo`].
    fn prune(
        &self,
        period: &str,
        before: Timestamp,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<Removal, StoreError>;

    /// Every deletion and prune, oldest first. Never pruned.
    fn admin_log(&self) -> Result<Vec<AdminLogEntry>, StoreError>;
}

pub use crate::model::Removal;

/// A batch as the store took it: the outcome a client sees, and the stored events by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    pub outcome: IngestOutcome,
    /// Events stored (duplicates left out) per kind (`adoption`, `conformance`, `audit`);
    /// a kind without any is absent.
    pub accepted_by_kind: BTreeMap<&'static str, u64>,
}

impl Ingested {
    /// The count of a batch of `sent` events of which `accepted` were stored.
    fn of(sent: usize, accepted: &[&Event]) -> Self {
        let mut accepted_by_kind = BTreeMap::new();
        for event in accepted {
            *accepted_by_kind.entry(event.kind.as_str()).or_default() += 1;
        }
        Self {
            outcome: IngestOutcome {
                accepted: accepted.len() as u64,
                duplicates: (sent - accepted.len()) as u64,
            },
            accepted_by_kind,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The caller's input (an event, a token name): a client error.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("cannot open the SQLite database {path}: {source}")]
    OpenSqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot connect to PostgreSQL: {}", with_causes(.0))]
    ConnectPostgres(::postgres::Error),
    #[error("PostgreSQL: {}", with_causes(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error(
        "the database schema is at version {found}, newer than this pave knows ({known}); upgrade pave"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the database holds {what} that pave cannot read: {value:?}")]
    Corrupt { what: &'static str, value: String },
    #[error("cannot generate a token secret: {0}")]
    Random(getrandom::Error),
    /// No repo has this id, nor this URL.
    #[error("no repo has the id or URL `{0}`")]
    UnknownRepo(String),
    /// A URL that several repos have (one audited before it adopted a golden path, a fork).
    #[error("{} repos have the URL `{url}`: {}", ids.len(), ids.join(", "))]
    AmbiguousRepo { url: String, ids: Vec<String> },
}

/// A PostgreSQL error with what caused it: the crate says "error performing TLS handshake" or
/// "db error" and keeps the useful part (the certificate problem, the server's message) as its
/// source.
fn with_causes(e: &::postgres::Error) -> String {
    let mut text = e.to_string();
    if let Some(db) = e.as_db_error() {
        text = format!("{text}: {}: {}", db.severity(), db.message());
        return text;
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

impl StoreError {
    fn corrupt(what: &'static str, value: impl Into<String>) -> Self {
        Self::Corrupt {
            what,
            value: value.into(),
        }
    }
}

/// Where the registry's data lives, as `--database` names it.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// `sqlite:PATH`, or a plain path.
    Sqlite(PathBuf),
    /// A `postgres://…` or `postgresql://…` URL.
    Postgres(String),
}

/// Never prints a PostgreSQL password: logs and error messages show `postgres://user:***@host`.
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Self::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&redact_password(url))
                .finish(),
        }
    }
}

/// `scheme://user:password@host…` with the password replaced by `***`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl Database {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Self::Postgres(s.to_owned()));
        }
        let path = s.strip_prefix("sqlite:").unwrap_or(s);
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(Invalid::new(
                "database",
                "expected sqlite:PATH, a path, or postgres://…",
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// Opens (creates, for SQLite) the database. The caller runs [`Store::migrate`] next.
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            Self::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path)?),
            Self::Postgres(url) => Box::new(postgres::PostgresStore::connect(url)?),
        })
    }
}

/// A schema migration: applied once, in version order, with its version recorded in
/// `schema_migrations`. A released migration is never edited; a change is a new one.
#[derive(Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub statements: &'static [&'static str],
}

/// Refuses a database migrated by a newer pave, which may store what this one misreads.
fn check_schema_version(found: i64, migrations: &[Migration]) -> Result<(), StoreError> {
    let known = migrations.last().map_or(0, |m| m.version);
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    Ok(())
}

/// The batch as the store keeps it: checked ([`validate_batch`]), and without credentials in
/// any catalog it names (older clients recorded a catalog's URL as given, token and all).
fn prepare_batch(batch: &Batch) -> Result<Cow<'_, Batch>, Invalid> {
    validate_batch(batch)?;
    if batch
        .events
        .iter()
        .all(|e| e.without_credentials().is_none())
    {
        return Ok(Cow::Borrowed(batch));
    }
    Ok(Cow::Owned(Batch {
        events: batch
            .events
            .iter()
            .map(|e| e.without_credentials().unwrap_or_else(|| e.clone()))
            .collect(),
    }))
}

/// Checks a batch before anything is written: its size, then every event.
fn validate_batch(batch: &Batch) -> Result<(), Invalid> {
    if batch.events.len() > Batch::MAX_EVENTS {
        return Err(Invalid::new(
            "events",
            format!(
                "at most {} events per batch, got {}",
                Batch::MAX_EVENTS,
                batch.events.len()
            ),
        ));
    }
    for (index, event) in batch.events.iter().enumerate() {
        event
            .validate()
            .map_err(|e| e.within(&format!("events[{index}]")))?;
    }
    Ok(())
}

/// Event times as stored: to the microsecond (PostgreSQL's precision), cut rather than rounded,
/// so both backends keep the same instant.
fn stored_time(ts: Timestamp) -> Timestamp {
    ts.round(
        TimestampRound::new()
            .smallest(Unit::Microsecond)
            .mode(RoundMode::Trunc),
    )
    .expect("cutting to microseconds stays within the timestamp's range")
}

/// The repo `repo` names, from what the store found: the repo with that id, else the one repo
/// with that URL.
fn resolve_repo(
    repo: &str,
    by_id: Option<String>,
    by_url: Vec<String>,
) -> Result<String, StoreError> {
    if let Some(id) = by_id {
        return Ok(id);
    }
    match <[String; 1]>::try_from(by_url) {
        Ok([id]) => Ok(id),
        Err(ids) if ids.is_empty() => Err(StoreError::UnknownRepo(repo.to_owned())),
        Err(ids) => Err(StoreError::AmbiguousRepo {
            url: repo.to_owned(),
            ids,
        }),
    }
}

/// The admin log's entry for what was just removed.
fn admin_entry(
    actor: &Actor,
    action: AdminAction,
    target: &str,
    before: Option<Timestamp>,
    repos: u64,
    events: u64,
) -> AdminLogEntry {
    AdminLogEntry {
        id: uuid::Uuid::now_v7(),
        at: stored_time(Timestamp::now()),
        actor: actor.clone(),
        action,
        target: target.to_owned(),
        before: before.map(stored_time),
        repos,
        events,
    }
}

/// Whether an entry goes into the admin log: everything a person asked for, and every
/// retention pass that removed something. A pass that removed nothing (most of them: the server
/// prunes hourly) would fill the log, which is never pruned, with nothing to say.
fn is_logged(entry: &AdminLogEntry) -> bool {
    entry.actor != Actor::Retention || entry.repos > 0 || entry.events > 0
}

/// The events the current state rests on: each row's newest fact came from one of them. A prune
/// keeps them, so a repo still reporting keeps the events that rebuild its state. (`NOT IN`
/// treats a NULL in the list as unknown, hence the filters.)
const STATE_EVENTS_SQL: &str = "SELECT event_id FROM repos
     UNION ALL SELECT audit_event_id FROM repos WHERE audit_event_id IS NOT NULL
     UNION ALL SELECT event_id FROM repo_golden_paths
     UNION ALL SELECT labelled_by FROM repo_golden_paths WHERE labelled_by IS NOT NULL
     UNION ALL SELECT catalog_by FROM repo_golden_paths WHERE catalog_by IS NOT NULL
     UNION ALL SELECT event_id FROM conformance";

/// Actors as stored: kind, token id, token name.
fn actor_columns(actor: &Actor) -> (&'static str, Option<&str>, Option<&str>) {
    match actor {
        Actor::Token { id, name } => ("token", Some(id), Some(name)),
        Actor::Local => ("local", None, None),
        Actor::Retention => ("retention", None, None),
    }
}

fn parse_actor(
    kind: &str,
    token_id: Option<String>,
    name: Option<String>,
) -> Result<Actor, StoreError> {
    match (kind, token_id, name) {
        ("token", Some(id), Some(name)) => Ok(Actor::Token { id, name }),
        ("local", None, None) => Ok(Actor::Local),
        ("retention", None, None) => Ok(Actor::Retention),
        (kind, _, _) => Err(StoreError::corrupt("an admin log actor", kind)),
    }
}

fn parse_action(s: &str) -> Result<AdminAction, StoreError> {
    AdminAction::parse(s).ok_or_else(|| StoreError::corrupt("an admin log action", s))
}

/// The longest `daily` window (ten years).
pub const MAX_DAYS: u32 = 3660;

/// The window of `days` days ending with `until`, first and last day.
fn daily_window(days: u32, until: Date) -> Result<Option<(Date, Date)>, Invalid> {
    if days > MAX_DAYS {
        return Err(Invalid::new(
            "days",
            format!("at most {MAX_DAYS}, got {days}"),
        ));
    }
    if days == 0 {
        return Ok(None);
    }
    let first = until
        .checked_sub(jiff::Span::new().days(i64::from(days) - 1))
        .map_err(|_| Invalid::new("until", "too early a date"))?;
    Ok(Some((first, until)))
}

/// The daily series from first-adoption counts per day (any order, any days): every day of the
/// window, zero or not, with the running total of all days up to it.
fn daily_series(
    counts: &[(Date, u64)],
    first: Date,
    last: Date,
) -> Result<Vec<DailyAdoption>, Invalid> {
    let mut per_day: BTreeMap<Date, u64> = BTreeMap::new();
    for (day, n) in counts {
        *per_day.entry(*day).or_default() += n;
    }
    let mut cumulative: u64 = per_day.range(..first).map(|(_, n)| n).sum();
    let mut series = Vec::new();
    let mut day = first;
    while day <= last {
        let adopted = per_day.get(&day).copied().unwrap_or(0);
        cumulative += adopted;
        series.push(DailyAdoption {
            day,
            adopted,
            cumulative,
        });
        day = day
            .tomorrow()
            .map_err(|_| Invalid::new("until", "too late a date"))?;
    }
    Ok(series)
}

/// A golden path as the registry tells them apart: its catalog (`None`: unknown) and name.
type GoldenPathKey = (Option<String>, String);

/// Golden paths from (catalog, name, version, repos) rows and the newest versions clients
/// reported per catalog and name.
fn golden_path_summaries(
    counts: Vec<(GoldenPathKey, semver::Version, u64)>,
    reported_latest: Vec<(GoldenPathKey, semver::Version)>,
) -> Vec<GoldenPathSummary> {
    let mut summaries: Vec<GoldenPathSummary> = Vec::new();
    for ((catalog, name), version, repos) in counts {
        let index = match summaries
            .iter()
            .position(|s| s.name == name && s.catalog == catalog)
        {
            Some(index) => index,
            None => {
                summaries.push(GoldenPathSummary {
                    name,
                    catalog,
                    repos: 0,
                    latest: None,
                    versions: Vec::new(),
                });
                summaries.len() - 1
            }
        };
        let summary = &mut summaries[index];
        summary.repos += repos;
        summary.latest = summary.latest.take().max(Some(version.clone()));
        summary.versions.push(VersionCount { version, repos });
    }
    for ((catalog, name), latest) in reported_latest {
        if let Some(summary) = summaries
            .iter_mut()
            .find(|s| s.name == name && s.catalog == catalog)
        {
            summary.latest = summary.latest.take().max(Some(latest));
        }
    }
    for summary in &mut summaries {
        summary.versions.sort_by(|a, b| b.version.cmp(&a.version));
    }
    summaries.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| by_catalog(a.catalog.as_deref(), b.catalog.as_deref()))
    });
    summaries
}

/// Catalogs in order, the unknown one last.
fn by_catalog(a: Option<&str>, b: Option<&str>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (a, b) => a.is_none().cmp(&b.is_none()),
    }
}

/// The newest versions clients reported, per catalog and golden path: a conformance's own
/// catalog, else (an older client's, which named none) its golden path's.
const REPORTED_LATEST_SQL: &str =
    "SELECT DISTINCT coalesce(c.catalog, g.catalog), c.golden_path, c.latest
     FROM conformance c
     JOIN repo_golden_paths g ON g.repo_id = c.repo_id AND g.golden_path = c.golden_path
     WHERE c.latest IS NOT NULL";

/// Repos per catalog, golden path and version.
const VERSION_COUNTS_SQL: &str = "SELECT catalog, golden_path, version, count(*)
     FROM repo_golden_paths
     GROUP BY catalog, golden_path, version";

/// The SQL a backend speaks, where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
}

/// The stats query: one row per group (key, golden path, catalog, repos, then the counts). Only a
/// conformance of the current version counts: one of a version the repo has since left says
/// nothing about where it is now. Golden paths and versions are grouped per catalog.
fn stats_sql(group_by: GroupBy, dialect: Dialect) -> String {
    let null_text = match dialect {
        Dialect::Sqlite => "NULL",
        Dialect::Postgres => "NULL::text",
    };
    let counts = "count(*) AS adoptions,
                count(*) FILTER (WHERE c.conforming) AS conforming,
                count(*) FILTER (WHERE NOT c.conforming) AS drifted,
                count(*) FILTER (WHERE c.repo_id IS NULL) AS unchecked,
                count(*) FILTER (WHERE c.conforming AND c.excepted_files > 0) AS excepted
         FROM repo_golden_paths g
         LEFT JOIN conformance c
                ON c.repo_id = g.repo_id
               AND c.golden_path = g.golden_path
               AND c.version = g.version";
    let (key, golden_path) = match group_by {
        // `repo_golden_paths` is keyed by (repo, golden path), so grouped by golden path or
        // version every row is a distinct repo: `count(*)` says it without a sort.
        GroupBy::GoldenPath => ("g.golden_path", null_text),
        GroupBy::Version => ("g.version", "g.golden_path"),
        GroupBy::Team => ("g.team", null_text),
        GroupBy::Train => ("g.train", null_text),
    };
    match (group_by, dialect) {
        (GroupBy::GoldenPath | GroupBy::Version, _) => {
            format!("SELECT {key}, {golden_path}, g.catalog, count(*), {counts} GROUP BY 1, 2, 3")
        }
        // A repo on two golden paths of one team is one repo of that team. SQLite counts
        // distinct repos fastest inline; PostgreSQL sorts for `count(DISTINCT)`, so there the
        // distinct repos are a hashed `DISTINCT` of their own, joined to the other counts
        // (measured with 100,000 repos: 110 ms instead of 170).
        (_, Dialect::Sqlite) => format!(
            "SELECT {key}, {golden_path}, {null_text}, count(DISTINCT g.repo_id), {counts} GROUP BY 1, 2"
        ),
        (_, Dialect::Postgres) => {
            let column = key.trim_start_matches("g.");
            format!(
                "WITH counts AS (SELECT {key} AS key, {counts} GROUP BY 1),
                      repos AS (SELECT key, count(*) AS repos
                                FROM (SELECT DISTINCT {column} AS key, repo_id
                                      FROM repo_golden_paths) d
                                GROUP BY 1)
                 SELECT counts.key, {null_text}, {null_text}, repos.repos, counts.adoptions,
                        counts.conforming, counts.drifted, counts.unchecked, counts.excepted
                 FROM counts JOIN repos ON counts.key IS NOT DISTINCT FROM repos.key"
            )
        }
    }
}

/// The fleet: every repo seen, and those on a golden path.
const FLEET_SQL: &str = "SELECT (SELECT count(*) FROM repos),
        (SELECT count(DISTINCT repo_id) FROM repo_golden_paths)";

/// The query behind [`set_lagging`]: adoptions per stats key, catalog, golden path and version.
fn versions_by_key_sql(group_by: GroupBy) -> String {
    let key = match group_by {
        GroupBy::GoldenPath => "golden_path",
        GroupBy::Version => "version",
        GroupBy::Team => "team",
        GroupBy::Train => "train",
    };
    format!(
        "SELECT {key}, catalog, golden_path, version, count(*) FROM repo_golden_paths GROUP BY 1, 2, 3, 4"
    )
}

/// One row of [`versions_by_key_sql`]: key, catalog, golden path, version, adoptions.
type VersionsByKey = (Option<String>, Option<String>, String, String, u64);

/// Counts each group's `lagging` (0 as the stats query leaves it) the way the dashboard's
/// "Behind the newest" counts: adoptions on a version older than the newest the registry knows
/// for their golden path in their catalog (the newest adopted or reported by that catalog; see
/// [`golden_path_summaries`]). `rows` are [`versions_by_key_sql`]'s.
fn set_lagging(
    group_by: GroupBy,
    groups: &mut [GroupStats],
    rows: Vec<VersionsByKey>,
    summaries: &[GoldenPathSummary],
) {
    let is_per_catalog = matches!(group_by, GroupBy::GoldenPath | GroupBy::Version);
    for (key, catalog, golden_path, version, count) in rows {
        let latest = summaries
            .iter()
            .find(|s| s.name == golden_path && s.catalog == catalog)
            .and_then(|s| s.latest.as_ref());
        let is_behind = match (semver::Version::parse(&version), latest) {
            (Ok(version), Some(latest)) => version < *latest,
            _ => false,
        };
        if !is_behind {
            continue;
        }
        let group_golden_path = (group_by == GroupBy::Version).then_some(&golden_path);
        if let Some(group) = groups.iter_mut().find(|g| {
            g.key == key
                && g.golden_path.as_ref() == group_golden_path
                && (!is_per_catalog || g.catalog == catalog)
        }) {
            group.lagging += count;
        }
    }
}

/// Stable order for stats: by golden path, then key (versions by semver, newest first; text keys
/// alphabetically), groups without a key last.
fn sort_groups(group_by: GroupBy, groups: &mut [GroupStats]) {
    groups.sort_by(|a, b| {
        a.golden_path
            .cmp(&b.golden_path)
            .then_with(|| match (&a.key, &b.key) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) if group_by == GroupBy::Version => {
                    match (semver::Version::parse(x), semver::Version::parse(y)) {
                        (Ok(x), Ok(y)) => y.cmp(&x),
                        _ => x.cmp(y),
                    }
                }
                (Some(x), Some(y)) => x.cmp(y),
            })
            .then_with(|| by_catalog(a.catalog.as_deref(), b.catalog.as_deref()))
    });
}

fn parse_version(s: &str) -> Result<semver::Version, StoreError> {
    semver::Version::parse(s).map_err(|_| StoreError::corrupt("a version", s))
}

/// Scopes as stored: sorted, without repeats, comma-separated.
fn scopes_text(scopes: &[Scope]) -> Result<String, Invalid> {
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(Invalid::new(
            "scopes",
            "a token needs at least one scope (read, write, admin)",
        ));
    }
    Ok(scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

fn parse_scopes(s: &str) -> Result<Vec<Scope>, StoreError> {
    s.split(',')
        .map(|scope| Scope::parse(scope).ok_or_else(|| StoreError::corrupt("token scopes", s)))
        .collect()
}

fn check_token_name(name: &str) -> Result<(), Invalid> {
    if name.trim().is_empty() {
        return Err(Invalid::new("name", "a token needs a name"));
    }
    if name.len() > crate::model::MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(Invalid::new(
            "name",
            "must be at most 256 bytes, without control characters",
        ));
    }
    Ok(())
}

/// Every secret starts so, which makes a leaked one easy for secret scanners to recognise.
pub const TOKEN_PREFIX: &str = "pave_";
const TOKEN_BYTES: usize = 32;

/// A new token: its id, its secret (`pave_` and 64 hex digits: 256 random bits) and the hash
/// the store keeps.
fn new_token() -> Result<(CreatedToken, String), StoreError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(StoreError::Random)?;
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = token_hash(&secret);
    let id = uuid::Uuid::now_v7().to_string();
    Ok((CreatedToken { id, secret }, hash))
}

/// The hex SHA-256 of a secret: what the store keeps and looks tokens up by.
///
/// No constant-time comparison is needed: the lookup compares hashes, not secrets, and a timing
/// difference can at most tell an attacker how much of the *hash* of their guess matches a
/// stored hash, which says nothing useful about a secret without a SHA-256 preimage. With 256
/// random bits in a secret, a plain (fast, unsalted) hash is enough too; salting and slow hashes
/// protect low-entropy passwords.
pub fn token_hash(secret: &str) -> String {
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// Whether a string can be a secret at all; anything else is refused without a query.
fn is_token_shaped(secret: &str) -> bool {
    secret.strip_prefix(TOKEN_PREFIX).is_some_and(|hex_part| {
        hex_part.len() == TOKEN_BYTES * 2 && hex_part.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_password() {
        let db = Database::Postgres("postgres://pave:s3cret@db:5432/pave".into());
        let shown = format!("{db:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://pave:***@db:5432/pave"),
            "{shown}"
        );
    }
    use jiff::civil::date;

    #[test]
    fn database_urls() {
        assert_eq!(
            Database::parse("sqlite:/var/lib/pave.db").unwrap(),
            Database::Sqlite("/var/lib/pave.db".into())
        );
        assert_eq!(
            Database::parse("sqlite://rel/pave.db").unwrap(),
            Database::Sqlite("rel/pave.db".into())
        );
        assert_eq!(
            Database::parse("pave.db").unwrap(),
            Database::Sqlite("pave.db".into())
        );
        assert_eq!(
            Database::parse("postgres://u@h/db").unwrap(),
            Database::Postgres("postgres://u@h/db".into())
        );
        assert!(Database::parse("sqlite:").is_err());
    }

    #[test]
    fn secrets_are_prefixed_random_and_only_their_hash_is_kept() {
        let (a, hash) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert!(is_token_shaped(&a.secret), "{}", a.secret);
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.id, b.id);
        assert_eq!(hash, token_hash(&a.secret));
        assert_eq!(hash.len(), 64);
        assert!(!is_token_shaped("pave_123"));
        assert!(!is_token_shaped(&a.secret.replace("pave_", "evap_")));
    }

    #[test]
    fn scopes_are_stored_sorted_once() {
        assert_eq!(
            scopes_text(&[Scope::Write, Scope::Read, Scope::Write]).unwrap(),
            "read,write"
        );
        assert_eq!(
            parse_scopes("read,write").unwrap(),
            [Scope::Read, Scope::Write]
        );
        assert!(scopes_text(&[]).is_err());
        assert!(parse_scopes("read,root").is_err());
    }

    #[test]
    fn the_daily_series_fills_empty_days_and_counts_earlier_ones() {
        let counts = [
            (date(2025, 3, 3), 2),
            (date(2025, 1, 1), 5),
            (date(2025, 3, 1), 1),
        ];
        let (first, last) = daily_window(4, date(2025, 3, 4)).unwrap().unwrap();
        assert_eq!(first, date(2025, 3, 1));
        let series = daily_series(&counts, first, last).unwrap();
        let rows: Vec<(Date, u64, u64)> = series
            .iter()
            .map(|d| (d.day, d.adopted, d.cumulative))
            .collect();
        assert_eq!(
            rows,
            [
                (date(2025, 3, 1), 1, 6),
                (date(2025, 3, 2), 0, 6),
                (date(2025, 3, 3), 2, 8),
                (date(2025, 3, 4), 0, 8),
            ]
        );
        assert_eq!(daily_window(0, date(2025, 3, 4)).unwrap(), None);
        assert!(daily_window(MAX_DAYS + 1, date(2025, 3, 4)).is_err());
    }

    #[test]
    fn stored_times_are_cut_to_microseconds() {
        let ts: Timestamp = "2025-03-01T10:00:00.123456789Z".parse().unwrap();
        assert_eq!(stored_time(ts).to_string(), "2025-03-01T10:00:00.123456Z");
    }

    #[test]
    fn versions_sort_by_semver_within_their_golden_path() {
        let group = |gp: &str, v: &str| GroupStats {
            key: Some(v.into()),
            golden_path: Some(gp.into()),
            ..GroupStats::default()
        };
        let mut groups = vec![
            group("b", "1.0.0"),
            group("a", "1.9.0"),
            group("a", "1.10.0"),
        ];
        sort_groups(GroupBy::Version, &mut groups);
        let keys: Vec<_> = groups
            .iter()
            .map(|g| {
                format!(
                    "{}@{}",
                    g.golden_path.as_deref().unwrap(),
                    g.key.as_deref().unwrap()
                )
            })
            .collect();
        assert_eq!(keys, ["a@1.10.0", "a@1.9.0", "b@1.0.0"]);
    }
}
