//! The registry on PostgreSQL, for scale: the server keeps no state, so several replicas can
//! share one database (or a PostgreSQL-compatible distributed SQL engine).
//!
//! The same tables and semantics as the SQLite store, in PostgreSQL's own types: `uuid` ids,
//! `timestamptz` times, `boolean`, `jsonb` bodies. Migrations take an advisory lock, so replicas
//! starting together migrate once. One connection behind a mutex; a batch is one transaction
//! whose statements are prepared once per batch.
//!
//! The `postgres` crate is the blocking wrapper over tokio-postgres (same dependencies, no
//! async in the trait); it connects without TLS for now.

use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};

use super::{
    Facts, Migration, Store, StoreError, check_batch_size, check_schema_version, check_token_name,
    daily_series, daily_window, golden_path_summaries, is_token_shaped, new_token, parse_scopes,
    parse_version, scopes_text, sort_groups, stored_time, token_hash, validate_at,
};
use crate::registry::model::{
    AuditStatus, Batch, ConformanceSource, CreatedToken, DailyAdoption, Event, GoldenPathSummary,
    GroupBy, GroupStats, IngestOutcome, Invalid, LastConformance, RepoRecord, RepoRef, Scope,
    Stats, TokenInfo, TokenSummary, lag_str, parse_lag,
};

/// The advisory lock migrations hold ("pave" in ASCII), so concurrent servers migrate in turn.
const MIGRATION_LOCK: i64 = 0x7061_7665;

pub const MIGRATIONS: &[Migration] = &[Migration {
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
        // A repo on a golden path, as the newest event naming both reported it.
        "CREATE TABLE repo_golden_paths (
            repo_id     text NOT NULL REFERENCES repos (repo_id),
            golden_path text NOT NULL,
            version     text NOT NULL,
            team        text,
            train       text,
            adopted_at  timestamptz NOT NULL,
            updated_at  timestamptz NOT NULL,
            event_id    uuid NOT NULL,
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
}];

/// The registry in a PostgreSQL database.
pub struct PostgresStore {
    client: Mutex<Client>,
}

impl PostgresStore {
    /// Connects to a `postgres://` URL (or libpq key=value parameters).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let client = Client::connect(url, NoTls).map_err(StoreError::ConnectPostgres)?;
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

impl Store for PostgresStore {
    fn migrate(&self) -> Result<usize, StoreError> {
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
        for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
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

    fn ingest(&self, batch: &Batch) -> Result<IngestOutcome, StoreError> {
        check_batch_size(batch)?;
        let mut outcome = IngestOutcome::default();
        if batch.events.is_empty() {
            return Ok(outcome);
        }
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let statements = Statements::prepare(&mut tx)?;
        for (index, event) in batch.events.iter().enumerate() {
            // Validated inside the transaction: whatever fails, this event or the database,
            // drops the transaction and so rolls back the events before it.
            validate_at(index, event)?;
            let body = serde_json::to_value(event).expect("an event serialises to JSON");
            let inserted = tx.execute(
                &statements.insert_event,
                &[
                    &event.id,
                    &event.kind.as_str(),
                    &event.repo_id,
                    &stored_time(event.occurred_at),
                    &body,
                ],
            )?;
            if inserted == 1 {
                apply_facts(&mut tx, &statements, event)?;
                outcome.accepted += 1;
            } else {
                outcome.duplicates += 1;
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn repos(&self) -> Result<Vec<RepoRecord>, StoreError> {
        let rows = self.client().query(
            "SELECT g.repo_id, r.name, r.url, r.path,
                    g.golden_path, g.version, g.team, g.train, g.adopted_at, g.updated_at,
                    r.audit_status,
                    c.version, c.conforming, c.drifted_files, c.missing_files, c.edited_files,
                    c.lag, c.latest, c.source, c.checked_at
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
            .query(
                "SELECT golden_path, version, count(*)
                 FROM repo_golden_paths
                 GROUP BY golden_path, version",
                &[],
            )?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    parse_version(row.try_get(1)?)?,
                    count(row, 2)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let latest = client
            .query(
                "SELECT DISTINCT golden_path, latest FROM conformance WHERE latest IS NOT NULL",
                &[],
            )?
            .iter()
            .map(|row| Ok((row.try_get(0)?, parse_version(row.try_get(1)?)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(golden_path_summaries(counts, latest))
    }

    fn stats(&self, group_by: GroupBy) -> Result<Stats, StoreError> {
        let (key, golden_path) = match group_by {
            GroupBy::GoldenPath => ("g.golden_path", "NULL::text"),
            GroupBy::Version => ("g.version", "g.golden_path"),
            GroupBy::Team => ("g.team", "NULL::text"),
            GroupBy::Train => ("g.train", "NULL::text"),
        };
        // Only a conformance of the current version counts: one of a version the repo has
        // since left says nothing about where it is now.
        let sql = format!(
            "SELECT {key}, {golden_path},
                    count(DISTINCT g.repo_id),
                    count(*),
                    count(*) FILTER (WHERE c.conforming),
                    count(*) FILTER (WHERE NOT c.conforming),
                    count(*) FILTER (WHERE c.repo_id IS NULL),
                    count(*) FILTER (WHERE c.lag IN ('patch', 'minor', 'major'))
             FROM repo_golden_paths g
             LEFT JOIN conformance c
                    ON c.repo_id = g.repo_id
                   AND c.golden_path = g.golden_path
                   AND c.version = g.version
             GROUP BY 1, 2"
        );
        let mut groups = self
            .client()
            .query(&sql, &[])?
            .iter()
            .map(|row| {
                Ok(GroupStats {
                    key: row.try_get(0)?,
                    golden_path: row.try_get(1)?,
                    repos: count(row, 2)?,
                    adoptions: count(row, 3)?,
                    conforming: count(row, 4)?,
                    drifted: count(row, 5)?,
                    unchecked: count(row, 6)?,
                    lagging: count(row, 7)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        sort_groups(group_by, &mut groups);
        Ok(Stats { group_by, groups })
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
}

/// The statements of an ingest, prepared once per batch (one round trip each, not one per use).
struct Statements {
    insert_event: Statement,
    newest_repo: Statement,
    older_repo: Statement,
    newest_golden_path: Statement,
    older_golden_path: Statement,
    conformance: Statement,
    audit: Statement,
}

impl Statements {
    fn prepare(tx: &mut Transaction<'_>) -> Result<Self, StoreError> {
        Ok(Self {
            insert_event: tx.prepare(
                "INSERT INTO events (id, kind, repo_id, occurred_at, body)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO NOTHING",
            )?,
            newest_repo: tx.prepare(
                "INSERT INTO repos AS r
                     (repo_id, name, url, path, first_seen_at, first_adopted_at, updated_at,
                      event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $5, $7)
                 ON CONFLICT (repo_id) DO UPDATE SET
                     name = excluded.name,
                     url = excluded.url,
                     path = excluded.path,
                     first_adopted_at = coalesce(r.first_adopted_at, excluded.first_adopted_at),
                     updated_at = excluded.updated_at,
                     event_id = excluded.event_id
                 WHERE (excluded.updated_at, excluded.event_id) > (r.updated_at, r.event_id)",
            )?,
            // least() skips NULLs: an event that is no adoption leaves first_adopted_at alone.
            older_repo: tx.prepare(
                "UPDATE repos SET
                     first_seen_at = least(first_seen_at, $2),
                     first_adopted_at = least(first_adopted_at, $3)
                 WHERE repo_id = $1",
            )?,
            newest_golden_path: tx.prepare(
                "INSERT INTO repo_golden_paths AS g
                     (repo_id, golden_path, version, team, train, adopted_at, updated_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
                 ON CONFLICT (repo_id, golden_path) DO UPDATE SET
                     version = excluded.version,
                     team = coalesce(excluded.team, g.team),
                     train = coalesce(excluded.train, g.train),
                     updated_at = excluded.updated_at,
                     event_id = excluded.event_id
                 WHERE (excluded.updated_at, excluded.event_id) > (g.updated_at, g.event_id)",
            )?,
            older_golden_path: tx.prepare(
                "UPDATE repo_golden_paths SET
                     adopted_at = least(adopted_at, $3),
                     team = coalesce(team, $4),
                     train = coalesce(train, $5)
                 WHERE repo_id = $1 AND golden_path = $2",
            )?,
            conformance: tx.prepare(
                "INSERT INTO conformance AS c
                     (repo_id, golden_path, version, conforming, drifted_files, missing_files,
                      edited_files, lag, latest, source, checked_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (repo_id, golden_path) DO UPDATE SET
                     version = excluded.version,
                     conforming = excluded.conforming,
                     drifted_files = excluded.drifted_files,
                     missing_files = excluded.missing_files,
                     edited_files = excluded.edited_files,
                     lag = excluded.lag,
                     latest = excluded.latest,
                     source = excluded.source,
                     checked_at = excluded.checked_at,
                     event_id = excluded.event_id
                 WHERE (excluded.checked_at, excluded.event_id) > (c.checked_at, c.event_id)",
            )?,
            audit: tx.prepare(
                "UPDATE repos SET audit_status = $2, audited_at = $3, audit_event_id = $4
                 WHERE repo_id = $1
                   AND (audited_at IS NULL
                        OR ($3::timestamptz, $4::uuid) > (audited_at, audit_event_id))",
            )?,
        })
    }
}

/// Updates the current state with what the event says. Each upsert changes a row only for an
/// event newer (time, then id) than the one that last set it; an older event, arriving late,
/// can still move the first-seen and adopted times earlier and fill in a missing team or train.
fn apply_facts(
    tx: &mut Transaction<'_>,
    statements: &Statements,
    event: &Event,
) -> Result<(), StoreError> {
    let facts = Facts::of(event);
    let at = stored_time(event.occurred_at);
    let adopted_at = facts.is_adopted().then_some(at);

    let newest = tx.execute(
        &statements.newest_repo,
        &[
            &event.repo_id,
            &event.repo.name,
            &event.repo.url,
            &event.repo.path,
            &at,
            &adopted_at,
            &event.id,
        ],
    )?;
    if newest == 0 {
        tx.execute(&statements.older_repo, &[&event.repo_id, &at, &adopted_at])?;
    }

    for fact in &facts.golden_paths {
        let newest = tx.execute(
            &statements.newest_golden_path,
            &[
                &event.repo_id,
                &fact.golden_path,
                &fact.version,
                &fact.team,
                &fact.train,
                &at,
                &event.id,
            ],
        )?;
        if newest == 0 {
            tx.execute(
                &statements.older_golden_path,
                &[
                    &event.repo_id,
                    &fact.golden_path,
                    &at,
                    &fact.team,
                    &fact.train,
                ],
            )?;
        }
    }

    for fact in &facts.conformance {
        let params: [&(dyn ToSql + Sync); 12] = [
            &event.repo_id,
            &fact.golden_path,
            &fact.version,
            &fact.conforming,
            &i64::from(fact.drifted_files),
            &i64::from(fact.missing_files),
            &i64::from(fact.edited_files),
            &fact.lag.map(lag_str),
            &fact.latest,
            &fact.source.as_str(),
            &at,
            &event.id,
        ];
        tx.execute(&statements.conformance, &params)?;
    }

    if let Some(status) = facts.audit_status {
        tx.execute(
            &statements.audit,
            &[&event.repo_id, &status.as_str(), &at, &event.id],
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
                .map(|s| parse_lag(s).ok_or_else(|| StoreError::corrupt("a lag", s)))
                .transpose()?;
            let source: &str = row.try_get(18)?;
            Some(LastConformance {
                version: parse_version(checked_version)?,
                conforming: row.try_get(12)?,
                drifted_files: file_count(row, 13)?,
                missing_files: file_count(row, 14)?,
                edited_files: file_count(row, 15)?,
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
