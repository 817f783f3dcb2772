//! The registry on PostgreSQL, for scale: the server keeps no state, so several replicas can
//! share one database (or a PostgreSQL-compatible distributed SQL engine).
//!
//! The same tables and rules as the SQLite store, in PostgreSQL's own types: `uuid` ids,
//! `timestamptz` times, `boolean`, `jsonb` bodies. A batch is one transaction of a few
//! set-based statements (arrays through `unnest`), whatever its size, so its cost is a handful
//! of round trips rather than several per event. Migrations and ingests each take an advisory
//! lock: replicas starting together migrate once, and batches are written one at a time (no
//! deadlocks between batches about the same repos; reads are never blocked).
//!
//! The `postgres` crate is the blocking wrapper over tokio-postgres (the same dependencies, no
//! async in the trait). TLS as `sslmode` says, libpq's way (`pg_tls`). One connection behind a
//! mutex.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use postgres::{Client, Row, Transaction};
use uuid::Uuid;

use super::changes::{Changes, Labels, Stamp};
use super::{
    Dialect, FLEET_SQL, Ingested, Migration, REPORTED_LATEST_SQL, Removal, STATE_EVENTS_SQL, Store,
    StoreError, VERSION_COUNTS_SQL, actor_columns, admin_entry, check_schema_version,
    check_token_name, daily_series, daily_window, golden_path_summaries, is_logged,
    is_token_shaped, new_token, parse_action, parse_actor, parse_scopes, parse_version,
    prepare_batch, resolve_repo, scopes_text, set_lagging, sort_groups, stats_sql, stored_time,
    token_hash, versions_by_key_sql,
};
use crate::model::{
    Actor, AdminAction, AdminLogEntry, AuditStatus, Batch, ConformanceSource, CreatedToken,
    DailyAdoption, Event, Fleet, GoldenPathSummary, GroupBy, GroupStats, Invalid, Lag,
    LastConformance, RepoRecord, RepoRef, Scope, Stats, TokenInfo, TokenSummary, validate_repo_ref,
};

/// The advisory lock migrations hold ("pave" in ASCII), so concurrent servers migrate in turn.
const MIGRATION_LOCK: i64 = 0x7061_7665;
/// The advisory lock ingests hold, so batches are written one at a time.
const INGEST_LOCK: i64 = MIGRATION_LOCK + 1;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "events, repos, golden paths, conformance, tokens",
        statements: &[
            // Every event as sent; the primary key on the client's id makes a retry a no-op.
            "CREATE TABLE events (
            id          uuid PRIMARY KEY,
            kind        text NOT NULL CHECK (kind IN ('adoption', 'conformance', 'audit')),
            repo_id     text NOT NULL CHECK (repo_id <> ''),
            occurred_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            body        jsonb NOT NULL
        )",
            "CREATE INDEX events_by_occurred_at ON events (occurred_at)",
            "CREATE INDEX events_by_repo ON events (repo_id, occurred_at)",
            // Every repo seen. name/url/path come from the newest event (updated_at, event_id);
            // first_adopted_at is the first event that showed it on a golden path.
            "CREATE TABLE repos (
            repo_id          text PRIMARY KEY,
            name             text NOT NULL,
            url              text,
            path             text,
            first_seen_at    timestamptz NOT NULL,
            first_adopted_at timestamptz,
            updated_at       timestamptz NOT NULL,
            event_id         uuid NOT NULL,
            audit_status     text,
            audited_at       timestamptz,
            audit_event_id   uuid
        )",
            "CREATE INDEX repos_by_first_adopted_at ON repos (first_adopted_at)",
            // A repo on a golden path: the version from the newest event naming it (updated_at,
            // event_id), team and train from the newest adoption or audit (labelled_at, labelled_by).
            "CREATE TABLE repo_golden_paths (
            repo_id     text NOT NULL REFERENCES repos (repo_id),
            golden_path text NOT NULL,
            version     text NOT NULL,
            updated_at  timestamptz NOT NULL,
            event_id    uuid NOT NULL,
            adopted_at  timestamptz NOT NULL,
            team        text,
            train       text,
            labelled_at timestamptz,
            labelled_by uuid,
            PRIMARY KEY (repo_id, golden_path)
        )",
            // The newest conformance of a repo's golden path (from a check or an audit).
            "CREATE TABLE conformance (
            repo_id       text NOT NULL,
            golden_path   text NOT NULL,
            version       text NOT NULL,
            conforming    boolean NOT NULL,
            drifted_files bigint NOT NULL,
            missing_files bigint NOT NULL,
            edited_files  bigint NOT NULL,
            lag           text,
            latest        text,
            source        text NOT NULL,
            checked_at    timestamptz NOT NULL,
            event_id      uuid NOT NULL,
            PRIMARY KEY (repo_id, golden_path),
            FOREIGN KEY (repo_id, golden_path) REFERENCES repo_golden_paths (repo_id, golden_path)
        )",
            // Bearer tokens: only the SHA-256 of a secret, never the secret.
            "CREATE TABLE tokens (
            id            text PRIMARY KEY,
            name          text NOT NULL CHECK (name <> ''),
            secret_sha256 text NOT NULL UNIQUE,
            scopes        text NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now(),
            revoked_at    timestamptz
        )",
        ],
    },
    Migration {
        version: 2,
        name: "room on each page of the current-state tables for in-place updates",
        // Every check rewrites its repo's rows in these three tables. With full pages each rewrite
        // goes to a new page and the tables grow with every event until vacuumed (146 MB instead of
        // 19 MB after 1,000,000 events on 100,000 repos, and the stats reads slowed to match). With
        // room left on the page, PostgreSQL updates in place (HOT: no indexed column changes) and
        // prunes the old versions as it goes: 51 MB, stats reads about twice as fast.
        statements: &[
            "ALTER TABLE repos SET (fillfactor = 70)",
            "ALTER TABLE repo_golden_paths SET (fillfactor = 70)",
            "ALTER TABLE conformance SET (fillfactor = 70)",
        ],
    },
    Migration {
        version: 3,
        name: "conflicted files in conformance",
        statements: &[
            "ALTER TABLE conformance ADD COLUMN conflicted_files bigint NOT NULL DEFAULT 0",
        ],
    },
    Migration {
        version: 4,
        name: "excepted files in conformance",
        // Managed files tailored by recorded exceptions (or kept by choice): the golden path
        // conforms with exceptions. Absent from older clients' events: 0.
        statements: &[
            "ALTER TABLE conformance ADD COLUMN excepted_files bigint NOT NULL DEFAULT 0",
        ],
    },
    Migration {
        version: 5,
        name: "golden paths keyed by catalog and name",
        statements: &[
            // The catalog of a repo's golden path, from the newest event that names one
            // (catalog_at, catalog_by); NULL: unknown. The catalog a conformance named; NULL
            // (older clients): its golden path's.
            "ALTER TABLE repo_golden_paths
                 ADD COLUMN catalog text,
                 ADD COLUMN catalog_at timestamptz,
                 ADD COLUMN catalog_by uuid",
            "ALTER TABLE conformance ADD COLUMN catalog text",
            // Every adoption stored so far named its catalog: the newest one's is the row's.
            "UPDATE repo_golden_paths g
             SET catalog = a.catalog, catalog_at = a.occurred_at, catalog_by = a.id
             FROM (SELECT DISTINCT ON (repo_id, body->>'golden_path')
                          repo_id, body->>'golden_path' AS golden_path,
                          body->>'catalog' AS catalog, occurred_at, id
                   FROM events
                   WHERE kind = 'adoption'
                   ORDER BY repo_id, body->>'golden_path', occurred_at DESC, id DESC) a
             WHERE g.repo_id = a.repo_id AND g.golden_path = a.golden_path",
        ],
    },
    Migration {
        version: 6,
        name: "the admin log: repo deletions and prunes",
        // Who removed what, and how much. Never pruned; names repos by id only.
        statements: &["CREATE TABLE admin_log (
            id             uuid PRIMARY KEY,
            at             timestamptz NOT NULL,
            actor_kind     text NOT NULL CHECK (actor_kind IN ('token', 'local', 'retention')),
            actor_token_id text,
            actor_name     text,
            action         text NOT NULL CHECK (action IN ('delete-repo', 'prune')),
            target         text NOT NULL,
            cutoff         timestamptz,
            repos          bigint NOT NULL CHECK (repos >= 0),
            events         bigint NOT NULL CHECK (events >= 0)
        )"],
    },
];

/// A client connected as `url` says, TLS included (see `pg_tls`): what [`PostgresStore::connect`]
/// uses, for callers that need the connection itself (tests, tools).
pub fn connect_client(url: &str) -> Result<Client, StoreError> {
    super::pg_tls::connect(url)
}

/// The registry in a PostgreSQL database.
pub struct PostgresStore {
    client: Mutex<Client>,
}

impl PostgresStore {
    /// Connects to a `postgres://` URL; `sslmode` and `sslrootcert` as in `pg_tls`.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let client = connect_client(url)?;
        Ok(Self::from_client(client))
    }

    /// Uses a connection set up by the caller (a `search_path`, a session setting, TLS).
    pub fn from_client(client: Client) -> Self {
        Self {
            client: Mutex::new(client),
        }
    }

    fn client(&self) -> MutexGuard<'_, Client> {
        // A panic mid-transaction dropped (rolled back) the transaction: the connection is sound.
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PostgresStore {
    /// Applies the migrations up to `version` only: an older pave's database, for tests that
    /// migrate one.
    pub fn migrate_to(&self, version: i64) -> Result<usize, StoreError> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version    bigint PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )",
        )?;
        let current: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .try_get(0)?;
        check_schema_version(current, MIGRATIONS)?;
        let mut applied = 0;
        for migration in MIGRATIONS
            .iter()
            .filter(|m| m.version > current && m.version <= version)
        {
            for statement in migration.statements {
                tx.batch_execute(statement)?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[&migration.version, &migration.name],
            )?;
            applied += 1;
        }
        tx.commit()?;
        Ok(applied)
    }
}

impl Store for PostgresStore {
    fn migrate(&self) -> Result<usize, StoreError> {
        self.migrate_to(MIGRATIONS.last().map_or(0, |m| m.version))
    }

    fn ingest_counted(&self, batch: &Batch) -> Result<Ingested, StoreError> {
        let batch = &*prepare_batch(batch)?;
        if batch.events.is_empty() {
            return Ok(Ingested::default());
        }
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Ingests take turns. Each is a few set-based statements, so one at a time is fast, and
        // two batches about the same repos cannot deadlock on their rows.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INGEST_LOCK])?;
        let inserted = insert_events(&mut tx, &batch.events)?;
        // A batch holding one id twice stored its first event.
        let mut seen = HashSet::new();
        let accepted: Vec<&Event> = batch
            .events
            .iter()
            .filter(|event| inserted.contains(&event.id) && seen.insert(event.id))
            .collect();
        apply(&mut tx, &Changes::of(accepted.iter().copied()))?;
        tx.commit()?;
        Ok(Ingested::of(batch.events.len(), &accepted))
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.client().simple_query("SELECT 1")?;
        Ok(())
    }

    fn repos(&self) -> Result<Vec<RepoRecord>, StoreError> {
        let rows = self.client().query(
            "SELECT g.repo_id, r.name, r.url, r.path,
                    g.golden_path, g.version, g.team, g.train, g.adopted_at, g.updated_at,
                    r.audit_status,
                    c.version, c.conforming, c.drifted_files, c.missing_files, c.edited_files,
                    c.lag, c.latest, c.source, c.checked_at, c.conflicted_files, g.catalog,
                    c.excepted_files
             FROM repo_golden_paths g
             JOIN repos r ON r.repo_id = g.repo_id
             LEFT JOIN conformance c ON c.repo_id = g.repo_id AND c.golden_path = g.golden_path
             ORDER BY g.repo_id, g.golden_path",
            &[],
        )?;
        rows.iter().map(repo_row).collect()
    }

    fn golden_paths(&self) -> Result<Vec<GoldenPathSummary>, StoreError> {
        let mut client = self.client();
        let counts = client
            .query(VERSION_COUNTS_SQL, &[])?
            .iter()
            .map(|row| {
                Ok((
                    (row.try_get(0)?, row.try_get(1)?),
                    parse_version(row.try_get(2)?)?,
                    count(row, 3)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let latest = client
            .query(REPORTED_LATEST_SQL, &[])?
            .iter()
            .map(|row| {
                Ok((
                    (row.try_get(0)?, row.try_get(1)?),
                    parse_version(row.try_get(2)?)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(golden_path_summaries(counts, latest))
    }

    fn stats(&self, group_by: GroupBy) -> Result<Stats, StoreError> {
        let sql = stats_sql(group_by, Dialect::Postgres);
        let mut groups = self
            .client()
            .query(&sql, &[])?
            .iter()
            .map(|row| {
                Ok(GroupStats {
                    key: row.try_get(0)?,
                    golden_path: row.try_get(1)?,
                    catalog: row.try_get(2)?,
                    repos: count(row, 3)?,
                    adoptions: count(row, 4)?,
                    conforming: count(row, 5)?,
                    drifted: count(row, 6)?,
                    unchecked: count(row, 7)?,
                    excepted: count(row, 8)?,
                    lagging: 0,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let versions = self
            .client()
            .query(&versions_by_key_sql(group_by), &[])?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                    count(row, 4)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let row = self.client().query_one(FLEET_SQL, &[])?;
        let fleet = Fleet {
            repos: count(&row, 0)?,
            adopted: count(&row, 1)?,
        };
        set_lagging(group_by, &mut groups, versions, &self.golden_paths()?);
        sort_groups(group_by, &mut groups);
        Ok(Stats {
            group_by,
            groups,
            fleet,
        })
    }

    fn daily(&self, days: u32, until: Date) -> Result<Vec<DailyAdoption>, StoreError> {
        let Some((first, last)) = daily_window(days, until)? else {
            return Ok(Vec::new());
        };
        let end = last
            .tomorrow()
            .ok()
            .and_then(|day| {
                jiff::tz::Offset::UTC
                    .to_timestamp(day.to_datetime(Time::midnight()))
                    .ok()
            })
            .ok_or_else(|| Invalid::new("until", "too late a date"))?;
        let counts = self
            .client()
            .query(
                "SELECT (first_adopted_at AT TIME ZONE 'UTC')::date AS day, count(*)
                 FROM repos
                 WHERE first_adopted_at < $1
                 GROUP BY day",
                &[&end],
            )?
            .iter()
            .map(|row| Ok((row.try_get::<_, Date>(0)?, count(row, 1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(daily_series(&counts, first, last)?)
    }

    fn create_token(&self, name: &str, scopes: &[Scope]) -> Result<CreatedToken, StoreError> {
        check_token_name(name)?;
        let scopes = scopes_text(scopes)?;
        let (token, hash) = new_token()?;
        self.client().execute(
            "INSERT INTO tokens (id, name, secret_sha256, scopes) VALUES ($1, $2, $3, $4)",
            &[&token.id, &name, &hash, &scopes],
        )?;
        Ok(token)
    }

    fn verify_token(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError> {
        if !is_token_shaped(secret) {
            return Ok(None);
        }
        let row = self.client().query_opt(
            "SELECT id, name, scopes FROM tokens
             WHERE secret_sha256 = $1 AND revoked_at IS NULL",
            &[&token_hash(secret)],
        )?;
        row.map(|row| {
            Ok(TokenInfo {
                id: row.try_get(0)?,
                name: row.try_get(1)?,
                scopes: parse_scopes(row.try_get(2)?)?,
            })
        })
        .transpose()
    }

    fn list_tokens(&self) -> Result<Vec<TokenSummary>, StoreError> {
        self.client()
            .query(
                "SELECT id, name, scopes, created_at, revoked_at FROM tokens
                 ORDER BY created_at, id",
                &[],
            )?
            .iter()
            .map(|row| {
                Ok(TokenSummary {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    scopes: parse_scopes(row.try_get(2)?)?,
                    created_at: row.try_get(3)?,
                    revoked_at: row.try_get(4)?,
                })
            })
            .collect()
    }

    fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let changed = self.client().execute(
            "UPDATE tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
            &[&id],
        )?;
        Ok(changed > 0)
    }

    fn delete_repo(&self, repo: &str, actor: &Actor, dry_run: bool) -> Result<Removal, StoreError> {
        validate_repo_ref(repo)?;
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Ingests and removals take turns: a batch about this repo cannot put back half of it.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INGEST_LOCK])?;
        let by_id = tx
            .query_opt("SELECT repo_id FROM repos WHERE repo_id = $1", &[&repo])?
            .map(|row| row.try_get(0))
            .transpose()?;
        let by_url = if by_id.is_some() {
            Vec::new()
        } else {
            tx.query(
                "SELECT repo_id FROM repos WHERE url = $1 ORDER BY repo_id",
                &[&repo],
            )?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<Vec<String>, _>>()?
        };
        let repo_id = resolve_repo(repo, by_id, by_url)?;
        // Children first: the current-state tables refer to their parents.
        tx.execute("DELETE FROM conformance WHERE repo_id = $1", &[&repo_id])?;
        tx.execute(
            "DELETE FROM repo_golden_paths WHERE repo_id = $1",
            &[&repo_id],
        )?;
        let events = tx.execute("DELETE FROM events WHERE repo_id = $1", &[&repo_id])?;
        let repos = tx.execute("DELETE FROM repos WHERE repo_id = $1", &[&repo_id])?;
        let entry = admin_entry(
            actor,
            AdminAction::DeleteRepo,
            &repo_id,
            None,
            repos,
            events,
        );
        finish(tx, entry, dry_run)
    }

    fn prune(
        &self,
        period: &str,
        before: Timestamp,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<Removal, StoreError> {
        let before = stored_time(before);
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // One prune at a time, and no batch half-way through one (several servers each apply
        // the retention period).
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INGEST_LOCK])?;
        // Repos not heard of since the cutoff: `updated_at` is their newest event's time.
        let silent = "SELECT repo_id FROM repos WHERE updated_at < $1";
        tx.execute(
            &format!("DELETE FROM conformance WHERE repo_id IN ({silent})"),
            &[&before],
        )?;
        tx.execute(
            &format!("DELETE FROM repo_golden_paths WHERE repo_id IN ({silent})"),
            &[&before],
        )?;
        let silent_events = tx.execute(
            &format!("DELETE FROM events WHERE repo_id IN ({silent})"),
            &[&before],
        )?;
        let repos = tx.execute("DELETE FROM repos WHERE updated_at < $1", &[&before])?;
        // `NOT EXISTS`, which PostgreSQL plans as a hash anti-join (spilling to disk if it must);
        // `NOT IN` over a list larger than work_mem would be rescanned for every event.
        let old_events = tx.execute(
            &format!(
                "DELETE FROM events e WHERE e.occurred_at < $1
                   AND NOT EXISTS (SELECT 1 FROM ({STATE_EVENTS_SQL}) s WHERE s.event_id = e.id)"
            ),
            &[&before],
        )?;
        let entry = admin_entry(
            actor,
            AdminAction::Prune,
            period,
            Some(before),
            repos,
            silent_events + old_events,
        );
        finish(tx, entry, dry_run)
    }

    fn admin_log(&self) -> Result<Vec<AdminLogEntry>, StoreError> {
        self.client()
            .query(
                "SELECT id, at, actor_kind, actor_token_id, actor_name, action, target, cutoff,
                        repos, events
                 FROM admin_log ORDER BY at, id",
                &[],
            )?
            .iter()
            .map(|row| {
                Ok(AdminLogEntry {
                    id: row.try_get(0)?,
                    at: row.try_get(1)?,
                    actor: parse_actor(row.try_get(2)?, row.try_get(3)?, row.try_get(4)?)?,
                    action: parse_action(row.try_get(5)?)?,
                    target: row.try_get(6)?,
                    before: row.try_get(7)?,
                    repos: count(row, 8)?,
                    events: count(row, 9)?,
                })
            })
            .collect()
    }
}

/// Ends a deletion's or prune's transaction: rolled back on a dry run, else logged (when
/// [`is_logged`]) and committed.
fn finish(
    mut tx: Transaction<'_>,
    entry: AdminLogEntry,
    dry_run: bool,
) -> Result<Removal, StoreError> {
    if dry_run {
        tx.rollback()?;
        return Ok(Removal { dry_run, entry });
    }
    if is_logged(&entry) {
        let (kind, token_id, name) = actor_columns(&entry.actor);
        let repos = i64::try_from(entry.repos).unwrap_or(i64::MAX);
        let events = i64::try_from(entry.events).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO admin_log
                 (id, at, actor_kind, actor_token_id, actor_name, action, target, cutoff, repos,
                  events)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &entry.id,
                &entry.at,
                &kind,
                &token_id,
                &name,
                &entry.action.as_str(),
                &entry.target,
                &entry.before,
                &repos,
                &events,
            ],
        )?;
    }
    tx.commit()?;
    Ok(Removal { dry_run, entry })
}

/// Stores the events whose id is new, in one statement; returns their ids.
fn insert_events(tx: &mut Transaction<'_>, events: &[Event]) -> Result<HashSet<Uuid>, StoreError> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let repo_ids: Vec<&str> = events.iter().map(|e| e.repo_id.as_str()).collect();
    let times: Vec<Timestamp> = events.iter().map(|e| stored_time(e.occurred_at)).collect();
    let bodies: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).expect("an event serialises to JSON"))
        .collect();
    let rows = tx.query(
        "INSERT INTO events (id, kind, repo_id, occurred_at, body)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
         ON CONFLICT (id) DO NOTHING
         RETURNING id",
        &[&ids, &kinds, &repo_ids, &times, &bodies],
    )?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Merges a batch's changes into the stored rows, by the rules of `changes`: each statement
/// merges one thing for every row of the batch at once (arrays through `unnest`) and changes a
/// row only when it has something newer (or earlier) to say.
fn apply(tx: &mut Transaction<'_>, changes: &Changes<'_>) -> Result<(), StoreError> {
    // Each array is one column, every map walked in its (key) order.
    if !changes.repos.is_empty() {
        let repos = || changes.repos.values();
        let repo_ids: Vec<&str> = changes.repos.keys().copied().collect();
        let names: Vec<&str> = repos().map(|c| c.repo.name.as_str()).collect();
        let urls: Vec<Option<&str>> = repos().map(|c| c.repo.url.as_deref()).collect();
        let paths: Vec<Option<&str>> = repos().map(|c| c.repo.path.as_deref()).collect();
        let first_seen: Vec<Timestamp> = repos().map(|c| c.first_seen_at).collect();
        let first_adopted: Vec<Option<Timestamp>> = repos().map(|c| c.first_adopted_at).collect();
        let updated: Vec<Timestamp> = repos().map(|c| c.newest.at).collect();
        let event_ids: Vec<Uuid> = repos().map(|c| c.newest.id).collect();
        tx.execute(
            "INSERT INTO repos AS r
                 (repo_id, name, url, path, first_seen_at, first_adopted_at, updated_at, event_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                  $5::timestamptz[], $6::timestamptz[], $7::timestamptz[],
                                  $8::uuid[])
             ON CONFLICT (repo_id) DO UPDATE SET
                 name = excluded.name,
                 url = excluded.url,
                 path = excluded.path,
                 updated_at = excluded.updated_at,
                 event_id = excluded.event_id
             WHERE (excluded.updated_at, excluded.event_id) > (r.updated_at, r.event_id)",
            &[
                &repo_ids,
                &names,
                &urls,
                &paths,
                &first_seen,
                &first_adopted,
                &updated,
                &event_ids,
            ],
        )?;
        // least() skips NULLs: a repo not adopted in this batch keeps its first adoption.
        tx.execute(
            "UPDATE repos r SET
                 first_seen_at = least(r.first_seen_at, c.first_seen_at),
                 first_adopted_at = least(r.first_adopted_at, c.first_adopted_at)
             FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[])
                  AS c (repo_id, first_seen_at, first_adopted_at)
             WHERE r.repo_id = c.repo_id
               AND (c.first_seen_at < r.first_seen_at
                    OR c.first_adopted_at < r.first_adopted_at
                    OR (r.first_adopted_at IS NULL AND c.first_adopted_at IS NOT NULL))",
            &[&repo_ids, &first_seen, &first_adopted],
        )?;
    }

    let audits: Vec<(&str, Stamp, &str)> = changes
        .repos
        .iter()
        .filter_map(|(id, c)| c.audit.map(|(stamp, status)| (*id, stamp, status.as_str())))
        .collect();
    if !audits.is_empty() {
        let repo_ids: Vec<&str> = audits.iter().map(|a| a.0).collect();
        let statuses: Vec<&str> = audits.iter().map(|a| a.2).collect();
        let times: Vec<Timestamp> = audits.iter().map(|a| a.1.at).collect();
        let event_ids: Vec<Uuid> = audits.iter().map(|a| a.1.id).collect();
        tx.execute(
            "UPDATE repos r SET audit_status = a.status, audited_at = a.at, audit_event_id = a.id
             FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::uuid[])
                  AS a (repo_id, status, at, id)
             WHERE r.repo_id = a.repo_id
               AND (r.audited_at IS NULL OR (r.audited_at, r.audit_event_id) < (a.at, a.id))",
            &[&repo_ids, &statuses, &times, &event_ids],
        )?;
    }

    if !changes.golden_paths.is_empty() {
        let keys = changes.golden_paths.keys();
        let repo_ids: Vec<&str> = keys.clone().map(|(id, _)| *id).collect();
        let names: Vec<&str> = keys.map(|(_, gp)| *gp).collect();
        let golden_paths = || changes.golden_paths.values();
        let versions: Vec<&str> = golden_paths().map(|c| c.version.as_str()).collect();
        let updated: Vec<Timestamp> = golden_paths().map(|c| c.newest.at).collect();
        let event_ids: Vec<Uuid> = golden_paths().map(|c| c.newest.id).collect();
        let adopted: Vec<Timestamp> = golden_paths().map(|c| c.adopted_at).collect();
        tx.execute(
            "INSERT INTO repo_golden_paths AS g
                 (repo_id, golden_path, version, updated_at, event_id, adopted_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                                  $5::uuid[], $6::timestamptz[])
             ON CONFLICT (repo_id, golden_path) DO UPDATE SET
                 version = excluded.version,
                 updated_at = excluded.updated_at,
                 event_id = excluded.event_id
             WHERE (excluded.updated_at, excluded.event_id) > (g.updated_at, g.event_id)",
            &[&repo_ids, &names, &versions, &updated, &event_ids, &adopted],
        )?;
        tx.execute(
            "UPDATE repo_golden_paths g SET adopted_at = c.adopted_at
             FROM unnest($1::text[], $2::text[], $3::timestamptz[])
                  AS c (repo_id, golden_path, adopted_at)
             WHERE g.repo_id = c.repo_id AND g.golden_path = c.golden_path
               AND c.adopted_at < g.adopted_at",
            &[&repo_ids, &names, &adopted],
        )?;
    }

    let catalogued: Vec<(&(&str, &str), Stamp, &str)> = changes
        .golden_paths
        .iter()
        .filter_map(|(key, c)| c.catalog.map(|(stamp, catalog)| (key, stamp, catalog)))
        .collect();
    if !catalogued.is_empty() {
        let repo_ids: Vec<&str> = catalogued.iter().map(|((id, _), _, _)| *id).collect();
        let names: Vec<&str> = catalogued.iter().map(|((_, gp), _, _)| *gp).collect();
        let catalogs: Vec<&str> = catalogued.iter().map(|(_, _, c)| *c).collect();
        let times: Vec<Timestamp> = catalogued.iter().map(|(_, s, _)| s.at).collect();
        let event_ids: Vec<Uuid> = catalogued.iter().map(|(_, s, _)| s.id).collect();
        tx.execute(
            "UPDATE repo_golden_paths g
             SET catalog = l.catalog, catalog_at = l.at, catalog_by = l.id
             FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::uuid[])
                  AS l (repo_id, golden_path, catalog, at, id)
             WHERE g.repo_id = l.repo_id AND g.golden_path = l.golden_path
               AND (g.catalog_at IS NULL OR (g.catalog_at, g.catalog_by) < (l.at, l.id))",
            &[&repo_ids, &names, &catalogs, &times, &event_ids],
        )?;
    }

    let labelled: Vec<(&(&str, &str), Stamp, Labels<'_>)> = changes
        .golden_paths
        .iter()
        .filter_map(|(key, c)| c.labels.map(|(stamp, labels)| (key, stamp, labels)))
        .collect();
    if !labelled.is_empty() {
        let repo_ids: Vec<&str> = labelled.iter().map(|((id, _), _, _)| *id).collect();
        let names: Vec<&str> = labelled.iter().map(|((_, gp), _, _)| *gp).collect();
        let teams: Vec<Option<&str>> = labelled.iter().map(|(_, _, l)| l.team).collect();
        let trains: Vec<Option<&str>> = labelled.iter().map(|(_, _, l)| l.train).collect();
        let times: Vec<Timestamp> = labelled.iter().map(|(_, s, _)| s.at).collect();
        let event_ids: Vec<Uuid> = labelled.iter().map(|(_, s, _)| s.id).collect();
        tx.execute(
            "UPDATE repo_golden_paths g
             SET team = l.team, train = l.train, labelled_at = l.at, labelled_by = l.id
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                         $6::uuid[])
                  AS l (repo_id, golden_path, team, train, at, id)
             WHERE g.repo_id = l.repo_id AND g.golden_path = l.golden_path
               AND (g.labelled_at IS NULL OR (g.labelled_at, g.labelled_by) < (l.at, l.id))",
            &[&repo_ids, &names, &teams, &trains, &times, &event_ids],
        )?;
    }

    if !changes.conformance.is_empty() {
        let keys = changes.conformance.keys();
        let repo_ids: Vec<&str> = keys.clone().map(|(id, _)| *id).collect();
        let names: Vec<&str> = keys.map(|(_, gp)| *gp).collect();
        let facts = || changes.conformance.values().map(|(_, fact)| fact);
        let versions: Vec<&str> = facts().map(|f| f.version.as_str()).collect();
        let conforming: Vec<bool> = facts().map(|f| f.conforming).collect();
        let drifted: Vec<i64> = facts().map(|f| i64::from(f.drifted_files)).collect();
        let missing: Vec<i64> = facts().map(|f| i64::from(f.missing_files)).collect();
        let edited: Vec<i64> = facts().map(|f| i64::from(f.edited_files)).collect();
        let conflicted: Vec<i64> = facts().map(|f| i64::from(f.conflicted_files)).collect();
        let excepted: Vec<i64> = facts().map(|f| i64::from(f.excepted_files)).collect();
        let lags: Vec<Option<&str>> = facts().map(|f| f.lag.map(Lag::as_str)).collect();
        let latest: Vec<Option<&str>> = facts().map(|f| f.latest.as_deref()).collect();
        let sources: Vec<&str> = facts().map(|f| f.source.as_str()).collect();
        let catalogs: Vec<Option<&str>> = facts().map(|f| f.catalog).collect();
        let stamps = changes.conformance.values().map(|(stamp, _)| stamp);
        let times: Vec<Timestamp> = stamps.clone().map(|s| s.at).collect();
        let event_ids: Vec<Uuid> = stamps.map(|s| s.id).collect();
        tx.execute(
            "INSERT INTO conformance AS c
                 (repo_id, golden_path, version, conforming, drifted_files, missing_files,
                  edited_files, lag, latest, source, checked_at, event_id, conflicted_files,
                  catalog, excepted_files)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[],
                                  $5::bigint[], $6::bigint[], $7::bigint[], $8::text[],
                                  $9::text[], $10::text[], $11::timestamptz[], $12::uuid[],
                                  $13::bigint[], $14::text[], $15::bigint[])
             ON CONFLICT (repo_id, golden_path) DO UPDATE SET
                 version = excluded.version,
                 conforming = excluded.conforming,
                 drifted_files = excluded.drifted_files,
                 missing_files = excluded.missing_files,
                 edited_files = excluded.edited_files,
                 conflicted_files = excluded.conflicted_files,
                 excepted_files = excluded.excepted_files,
                 catalog = excluded.catalog,
                 lag = excluded.lag,
                 latest = excluded.latest,
                 source = excluded.source,
                 checked_at = excluded.checked_at,
                 event_id = excluded.event_id
             WHERE (excluded.checked_at, excluded.event_id) > (c.checked_at, c.event_id)",
            &[
                &repo_ids,
                &names,
                &versions,
                &conforming,
                &drifted,
                &missing,
                &edited,
                &lags,
                &latest,
                &sources,
                &times,
                &event_ids,
                &conflicted,
                &catalogs,
                &excepted,
            ],
        )?;
    }
    Ok(())
}

fn repo_row(row: &Row) -> Result<RepoRecord, StoreError> {
    let audit_status = row
        .try_get::<_, Option<&str>>(10)?
        .map(|s| AuditStatus::parse(s).ok_or_else(|| StoreError::corrupt("an audit status", s)))
        .transpose()?;
    let conformance = match row.try_get::<_, Option<&str>>(11)? {
        None => None,
        Some(checked_version) => {
            let lag = row
                .try_get::<_, Option<&str>>(16)?
                .map(|s| Lag::parse(s).ok_or_else(|| StoreError::corrupt("a lag", s)))
                .transpose()?;
            let source: &str = row.try_get(18)?;
            Some(LastConformance {
                version: parse_version(checked_version)?,
                conforming: row.try_get(12)?,
                drifted_files: file_count(row, 13)?,
                missing_files: file_count(row, 14)?,
                edited_files: file_count(row, 15)?,
                conflicted_files: file_count(row, 20)?,
                excepted_files: file_count(row, 22)?,
                lag,
                latest: row
                    .try_get::<_, Option<&str>>(17)?
                    .map(parse_version)
                    .transpose()?,
                source: ConformanceSource::parse(source)
                    .ok_or_else(|| StoreError::corrupt("a conformance source", source))?,
                checked_at: row.try_get(19)?,
            })
        }
    };
    Ok(RepoRecord {
        repo_id: row.try_get(0)?,
        repo: RepoRef {
            name: row.try_get(1)?,
            url: row.try_get(2)?,
            path: row.try_get(3)?,
        },
        golden_path: row.try_get(4)?,
        catalog: row.try_get(21)?,
        version: parse_version(row.try_get(5)?)?,
        team: row.try_get(6)?,
        train: row.try_get(7)?,
        adopted_at: row.try_get::<_, Timestamp>(8)?,
        updated_at: row.try_get::<_, Timestamp>(9)?,
        conformance,
        audit_status,
    })
}

/// A `count(*)`: PostgreSQL's bigint, never negative.
fn count(row: &Row, index: usize) -> Result<u64, StoreError> {
    let n: i64 = row.try_get(index)?;
    u64::try_from(n).map_err(|_| StoreError::corrupt("a count", n.to_string()))
}

fn file_count(row: &Row, index: usize) -> Result<u32, StoreError> {
    let n: i64 = row.try_get(index)?;
    u32::try_from(n).map_err(|_| StoreError::corrupt("a file count", n.to_string()))
}
