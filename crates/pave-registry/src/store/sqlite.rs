//! The embedded registry: one SQLite file, nothing to set up. The default store, and the local
//! one events go to when no registry is configured.
//!
//! WAL mode, so a reader in another process (`pave stats` while the server runs) never blocks
//! the writer. One connection behind a mutex: SQLite runs one write transaction at a time
//! anyway, and a batch is one transaction. `synchronous` stays at its default (FULL): an
//! accepted batch is on disk before the client deletes its spooled copy.
//!
//! Times are stored as RFC 3339 UTC text with six fraction digits (`2025-03-01T10:00:00.000000Z`),
//! which sorts as it reads. Booleans are 0 and 1.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension as _, Row, Transaction, TransactionBehavior};

use super::changes::Changes;
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
    DailyAdoption, Event, Fleet, GoldenPathSummary, GroupBy, GroupStats, Lag, LastConformance,
    RepoRecord, RepoRef, Scope, Stats, TokenInfo, TokenSummary, validate_repo_ref,
};

/// How long a write waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "events, repos, golden paths, conformance, tokens",
        statements: &[
            // Every event as sent; the primary key on the client's id makes a retry a no-op.
            "CREATE TABLE events (
            id          TEXT PRIMARY KEY,
            kind        TEXT NOT NULL CHECK (kind IN ('adoption', 'conformance', 'audit')),
            repo_id     TEXT NOT NULL CHECK (repo_id <> ''),
            occurred_at TEXT NOT NULL,
            received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            body        TEXT NOT NULL
        ) STRICT",
            "CREATE INDEX events_by_occurred_at ON events (occurred_at)",
            "CREATE INDEX events_by_repo ON events (repo_id, occurred_at)",
            // Every repo seen. name/url/path come from the newest event (updated_at, event_id);
            // first_adopted_at is the first event that showed it on a golden path.
            "CREATE TABLE repos (
            repo_id          TEXT PRIMARY KEY,
            name             TEXT NOT NULL,
            url              TEXT,
            path             TEXT,
            first_seen_at    TEXT NOT NULL,
            first_adopted_at TEXT,
            updated_at       TEXT NOT NULL,
            event_id         TEXT NOT NULL,
            audit_status     TEXT,
            audited_at       TEXT,
            audit_event_id   TEXT
        ) STRICT",
            "CREATE INDEX repos_by_first_adopted_at ON repos (first_adopted_at)",
            // A repo on a golden path: the version from the newest event naming it (updated_at,
            // event_id), team and train from the newest adoption or audit (labelled_at, labelled_by).
            "CREATE TABLE repo_golden_paths (
            repo_id     TEXT NOT NULL REFERENCES repos (repo_id),
            golden_path TEXT NOT NULL,
            version     TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            event_id    TEXT NOT NULL,
            adopted_at  TEXT NOT NULL,
            team        TEXT,
            train       TEXT,
            labelled_at TEXT,
            labelled_by TEXT,
            PRIMARY KEY (repo_id, golden_path)
        ) STRICT",
            // The newest conformance of a repo's golden path (from a check or an audit).
            "CREATE TABLE conformance (
            repo_id       TEXT NOT NULL,
            golden_path   TEXT NOT NULL,
            version       TEXT NOT NULL,
            conforming    INTEGER NOT NULL CHECK (conforming IN (0, 1)),
            drifted_files INTEGER NOT NULL,
            missing_files INTEGER NOT NULL,
            edited_files  INTEGER NOT NULL,
            lag           TEXT,
            latest        TEXT,
            source        TEXT NOT NULL,
            checked_at    TEXT NOT NULL,
            event_id      TEXT NOT NULL,
            PRIMARY KEY (repo_id, golden_path),
            FOREIGN KEY (repo_id, golden_path) REFERENCES repo_golden_paths (repo_id, golden_path)
        ) STRICT",
            // Bearer tokens: only the SHA-256 of a secret, never the secret.
            "CREATE TABLE tokens (
            id            TEXT PRIMARY KEY,
            name          TEXT NOT NULL CHECK (name <> ''),
            secret_sha256 TEXT NOT NULL UNIQUE,
            scopes        TEXT NOT NULL,
            created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            revoked_at    TEXT
        ) STRICT",
        ],
    },
    Migration {
        version: 2,
        name: "conflicted files in conformance",
        statements: &[
            "ALTER TABLE conformance ADD COLUMN conflicted_files INTEGER NOT NULL DEFAULT 0",
        ],
    },
    Migration {
        version: 3,
        name: "excepted files in conformance",
        // Managed files tailored by recorded exceptions (or kept by choice): the golden path
        // conforms with exceptions. Absent from older clients' events: 0.
        statements: &[
            "ALTER TABLE conformance ADD COLUMN excepted_files INTEGER NOT NULL DEFAULT 0",
        ],
    },
    Migration {
        version: 4,
        name: "golden paths keyed by catalog and name",
        statements: &[
            // The catalog of a repo's golden path, from the newest event that names one
            // (catalog_at, catalog_by); NULL: unknown.
            "ALTER TABLE repo_golden_paths ADD COLUMN catalog TEXT",
            "ALTER TABLE repo_golden_paths ADD COLUMN catalog_at TEXT",
            "ALTER TABLE repo_golden_paths ADD COLUMN catalog_by TEXT",
            // The catalog a conformance named; NULL (older clients): its golden path's.
            "ALTER TABLE conformance ADD COLUMN catalog TEXT",
            // Every adoption stored so far named its catalog: the newest one's is the row's.
            "UPDATE repo_golden_paths SET (catalog, catalog_at, catalog_by) = (
                SELECT json_extract(e.body, '$.catalog'), e.occurred_at, e.id
                FROM events e
                WHERE e.repo_id = repo_golden_paths.repo_id
                  AND e.kind = 'adoption'
                  AND json_extract(e.body, '$.golden_path') = repo_golden_paths.golden_path
                ORDER BY e.occurred_at DESC, e.id DESC
                LIMIT 1
            )",
        ],
    },
    Migration {
        version: 5,
        name: "the admin log: repo deletions and prunes",
        // Who removed what, and how much. Never pruned; names repos by id only.
        statements: &["CREATE TABLE admin_log (
            id             TEXT PRIMARY KEY,
            at             TEXT NOT NULL,
            actor_kind     TEXT NOT NULL CHECK (actor_kind IN ('token', 'local', 'retention')),
            actor_token_id TEXT,
            actor_name     TEXT,
            action         TEXT NOT NULL CHECK (action IN ('delete-repo', 'prune')),
            target         TEXT NOT NULL,
            cutoff         TEXT,
            repos          INTEGER NOT NULL CHECK (repos >= 0),
            events         INTEGER NOT NULL CHECK (events >= 0)
        ) STRICT"],
    },
];

/// The registry in a SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens the file, creating it if missing (its folder must exist).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::OpenSqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get::<_, String>(0))
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_error)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Opens the file for a short-lived process (a command recording a few events): closing
    /// leaves the write-ahead log for the next opener (or SQLite's automatic checkpoint) instead
    /// of checkpointing it, which would cost three more syncs on every `pave new`. Commits stay
    /// as durable as with [`SqliteStore::open`].
    pub fn open_short_lived(path: &Path) -> Result<Self, StoreError> {
        let store = Self::open(path)?;
        store
            .conn()
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .map_err(|source| StoreError::OpenSqlite {
                path: path.to_owned(),
                source,
            })?;
        Ok(store)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic mid-transaction dropped (rolled back) the transaction: the connection is sound.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SqliteStore {
    /// Applies the migrations up to `version` only: an older pave's database, for tests that
    /// migrate one.
    pub fn migrate_to(&self, version: i64) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        // IMMEDIATE takes the write lock first: two processes migrating one file take turns.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            ) STRICT",
            [],
        )?;
        let current: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )?;
        check_schema_version(current, MIGRATIONS)?;
        let mut applied = 0;
        for migration in MIGRATIONS
            .iter()
            .filter(|m| m.version > current && m.version <= version)
        {
            for statement in migration.statements {
                tx.execute(statement, [])?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                (migration.version, migration.name),
            )?;
            applied += 1;
        }
        tx.commit()?;
        Ok(applied)
    }
}

impl Store for SqliteStore {
    fn migrate(&self) -> Result<usize, StoreError> {
        self.migrate_to(MIGRATIONS.last().map_or(0, |m| m.version))
    }

    fn ingest_counted(&self, batch: &Batch) -> Result<Ingested, StoreError> {
        let batch = &*prepare_batch(batch)?;
        let mut conn = self.conn();
        // IMMEDIATE takes the write lock first, so another process's writer waits (busy
        // timeout) rather than failing to upgrade its read lock half-way.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut accepted = Vec::new();
        for event in &batch.events {
            if insert_event(&tx, event)? {
                accepted.push(event);
            }
        }
        apply(&tx, &Changes::of(accepted.iter().copied()))?;
        tx.commit()?;
        Ok(Ingested::of(batch.events.len(), &accepted))
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn repos(&self) -> Result<Vec<RepoRecord>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
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
        )?;
        let rows = statement.query_map([], |row| Ok(repo_row(row)))?;
        rows.map(|row| row?).collect()
    }

    fn golden_paths(&self) -> Result<Vec<GoldenPathSummary>, StoreError> {
        let conn = self.conn();
        let mut counts = Vec::new();
        let mut statement = conn.prepare(VERSION_COUNTS_SQL)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let version: String = row.get(2)?;
            counts.push((
                (row.get(0)?, row.get(1)?),
                parse_version(&version)?,
                count(row, 3)?,
            ));
        }
        let mut latest = Vec::new();
        let mut statement = conn.prepare(REPORTED_LATEST_SQL)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let version: String = row.get(2)?;
            latest.push(((row.get(0)?, row.get(1)?), parse_version(&version)?));
        }
        Ok(golden_path_summaries(counts, latest))
    }

    fn stats(&self, group_by: GroupBy) -> Result<Stats, StoreError> {
        let sql = stats_sql(group_by, Dialect::Sqlite);
        let conn = self.conn();
        let mut statement = conn.prepare(&sql)?;
        let mut rows = statement.query([])?;
        let mut groups = Vec::new();
        while let Some(row) = rows.next()? {
            groups.push(GroupStats {
                key: row.get(0)?,
                golden_path: row.get(1)?,
                catalog: row.get(2)?,
                repos: count(row, 3)?,
                adoptions: count(row, 4)?,
                conforming: count(row, 5)?,
                drifted: count(row, 6)?,
                unchecked: count(row, 7)?,
                excepted: count(row, 8)?,
                lagging: 0,
            });
        }
        drop(rows);
        drop(statement);
        let mut versions = Vec::new();
        let mut statement = conn.prepare(&versions_by_key_sql(group_by))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            versions.push((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                count(row, 4)?,
            ));
        }
        drop(rows);
        drop(statement);
        drop(conn);
        let fleet = self.conn().query_row(FLEET_SQL, [], |row| {
            Ok(Fleet {
                repos: row.get::<_, i64>(0)?.max(0) as u64,
                adopted: row.get::<_, i64>(1)?.max(0) as u64,
            })
        })?;
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
            .map_err(|_| crate::model::Invalid::new("until", "too late a date"))?;
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT substr(first_adopted_at, 1, 10) AS day, count(*)
             FROM repos
             WHERE first_adopted_at < ?1
             GROUP BY day",
        )?;
        let mut counts = Vec::new();
        let mut rows = statement.query([end.to_string()])?;
        while let Some(row) = rows.next()? {
            let day: String = row.get(0)?;
            let day: Date = day
                .parse()
                .map_err(|_| StoreError::corrupt("an adoption time", day))?;
            counts.push((day, count(row, 1)?));
        }
        Ok(daily_series(&counts, first, last)?)
    }

    fn create_token(&self, name: &str, scopes: &[Scope]) -> Result<CreatedToken, StoreError> {
        check_token_name(name)?;
        let scopes = scopes_text(scopes)?;
        let (token, hash) = new_token()?;
        self.conn().execute(
            "INSERT INTO tokens (id, name, secret_sha256, scopes) VALUES (?1, ?2, ?3, ?4)",
            (&token.id, name, &hash, &scopes),
        )?;
        Ok(token)
    }

    fn verify_token(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError> {
        if !is_token_shaped(secret) {
            return Ok(None);
        }
        let found = self
            .conn()
            .query_row(
                "SELECT id, name, scopes FROM tokens
                 WHERE secret_sha256 = ?1 AND revoked_at IS NULL",
                [token_hash(secret)],
                |row| Ok((row.get(0)?, row.get(1)?, row.get::<_, String>(2)?)),
            )
            .optional()?;
        found
            .map(|(id, name, scopes)| {
                Ok(TokenInfo {
                    id,
                    name,
                    scopes: parse_scopes(&scopes)?,
                })
            })
            .transpose()
    }

    fn list_tokens(&self) -> Result<Vec<TokenSummary>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id, name, scopes, created_at, revoked_at FROM tokens ORDER BY created_at, id",
        )?;
        let mut rows = statement.query([])?;
        let mut tokens = Vec::new();
        while let Some(row) = rows.next()? {
            let scopes: String = row.get(2)?;
            tokens.push(TokenSummary {
                id: row.get(0)?,
                name: row.get(1)?,
                scopes: parse_scopes(&scopes)?,
                created_at: time(row.get(3)?)?,
                revoked_at: row.get::<_, Option<String>>(4)?.map(time).transpose()?,
            });
        }
        Ok(tokens)
    }

    fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            &format!("UPDATE tokens SET revoked_at = coalesce(revoked_at, {NOW}) WHERE id = ?1"),
            [id],
        )?;
        Ok(changed > 0)
    }

    fn delete_repo(&self, repo: &str, actor: &Actor, dry_run: bool) -> Result<Removal, StoreError> {
        validate_repo_ref(repo)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let by_id = tx
            .query_row(
                "SELECT repo_id FROM repos WHERE repo_id = ?1",
                [repo],
                |row| row.get(0),
            )
            .optional()?;
        let by_url = if by_id.is_some() {
            Vec::new()
        } else {
            let mut statement =
                tx.prepare("SELECT repo_id FROM repos WHERE url = ?1 ORDER BY repo_id")?;
            let ids = statement.query_map([repo], |row| row.get(0))?;
            ids.collect::<Result<Vec<String>, _>>()?
        };
        let repo_id = resolve_repo(repo, by_id, by_url)?;
        // Children first: the current-state tables refer to their parents.
        tx.execute("DELETE FROM conformance WHERE repo_id = ?1", [&repo_id])?;
        tx.execute(
            "DELETE FROM repo_golden_paths WHERE repo_id = ?1",
            [&repo_id],
        )?;
        let events = tx.execute("DELETE FROM events WHERE repo_id = ?1", [&repo_id])?;
        let repos = tx.execute("DELETE FROM repos WHERE repo_id = ?1", [&repo_id])?;
        let entry = admin_entry(
            actor,
            AdminAction::DeleteRepo,
            &repo_id,
            None,
            repos as u64,
            events as u64,
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
        let before_text = time_text(before);
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Repos not heard of since the cutoff: `updated_at` is their newest event's time.
        let silent = "SELECT repo_id FROM repos WHERE updated_at < ?1";
        tx.execute(
            &format!("DELETE FROM conformance WHERE repo_id IN ({silent})"),
            [&before_text],
        )?;
        tx.execute(
            &format!("DELETE FROM repo_golden_paths WHERE repo_id IN ({silent})"),
            [&before_text],
        )?;
        let silent_events = tx.execute(
            &format!("DELETE FROM events WHERE repo_id IN ({silent})"),
            [&before_text],
        )?;
        let repos = tx.execute("DELETE FROM repos WHERE updated_at < ?1", [&before_text])?;
        // SQLite turns the `NOT IN` list into a temporary index once, not a scan per event.
        let old_events = tx.execute(
            &format!(
                "DELETE FROM events WHERE occurred_at < ?1 AND id NOT IN ({STATE_EVENTS_SQL})"
            ),
            [&before_text],
        )?;
        let entry = admin_entry(
            actor,
            AdminAction::Prune,
            period,
            Some(before),
            repos as u64,
            (silent_events + old_events) as u64,
        );
        finish(tx, entry, dry_run)
    }

    fn admin_log(&self) -> Result<Vec<AdminLogEntry>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id, at, actor_kind, actor_token_id, actor_name, action, target, cutoff,
                    repos, events
             FROM admin_log ORDER BY at, id",
        )?;
        let mut rows = statement.query([])?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let kind: String = row.get(2)?;
            let action: String = row.get(5)?;
            entries.push(AdminLogEntry {
                id: id
                    .parse()
                    .map_err(|_| StoreError::corrupt("an admin log id", id.clone()))?,
                at: time(row.get(1)?)?,
                actor: parse_actor(&kind, row.get(3)?, row.get(4)?)?,
                action: parse_action(&action)?,
                target: row.get(6)?,
                before: row.get::<_, Option<String>>(7)?.map(time).transpose()?,
                repos: count(row, 8)?,
                events: count(row, 9)?,
            });
        }
        Ok(entries)
    }
}

/// Ends a deletion's or prune's transaction: rolled back on a dry run, else logged (when
/// [`is_logged`]) and committed.
fn finish(tx: Transaction<'_>, entry: AdminLogEntry, dry_run: bool) -> Result<Removal, StoreError> {
    if dry_run {
        tx.rollback()?;
        return Ok(Removal { dry_run, entry });
    }
    if is_logged(&entry) {
        let (kind, token_id, name) = actor_columns(&entry.actor);
        tx.execute(
            "INSERT INTO admin_log
                 (id, at, actor_kind, actor_token_id, actor_name, action, target, cutoff, repos,
                  events)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                entry.id.to_string(),
                time_text(entry.at),
                kind,
                token_id,
                name,
                entry.action.as_str(),
                &entry.target,
                entry.before.map(time_text),
                i64::try_from(entry.repos).unwrap_or(i64::MAX),
                i64::try_from(entry.events).unwrap_or(i64::MAX),
            ],
        )?;
    }
    tx.commit()?;
    Ok(Removal { dry_run, entry })
}

/// Stores the event; `false` when its id is already stored.
fn insert_event(tx: &Transaction<'_>, event: &Event) -> Result<bool, StoreError> {
    let body = serde_json::to_string(event).expect("an event serialises to JSON");
    let inserted = tx
        .prepare_cached(
            "INSERT INTO events (id, kind, repo_id, occurred_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute((
            event.id.to_string(),
            event.kind.as_str(),
            &event.repo_id,
            time_text(event.occurred_at),
            body,
        ))?;
    Ok(inserted == 1)
}

/// Merges a batch's changes into the stored rows, by the rules of `changes`: each statement
/// merges one thing and changes a row only when it has something newer (or earlier) to say.
fn apply(tx: &Transaction<'_>, changes: &Changes<'_>) -> Result<(), StoreError> {
    for (repo_id, change) in &changes.repos {
        tx.prepare_cached(
            "INSERT INTO repos AS r
                 (repo_id, name, url, path, first_seen_at, first_adopted_at, updated_at, event_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (repo_id) DO UPDATE SET
                 name = excluded.name,
                 url = excluded.url,
                 path = excluded.path,
                 updated_at = excluded.updated_at,
                 event_id = excluded.event_id
             WHERE (excluded.updated_at, excluded.event_id) > (r.updated_at, r.event_id)",
        )?
        .execute((
            repo_id,
            &change.repo.name,
            &change.repo.url,
            &change.repo.path,
            time_text(change.first_seen_at),
            change.first_adopted_at.map(time_text),
            time_text(change.newest.at),
            change.newest.id.to_string(),
        ))?;
        // SQLite's two-argument min() is NULL when either is: coalesce keeps whichever is set.
        tx.prepare_cached(
            "UPDATE repos SET
                 first_seen_at = min(first_seen_at, ?2),
                 first_adopted_at = coalesce(min(first_adopted_at, ?3), first_adopted_at, ?3)
             WHERE repo_id = ?1
               AND (?2 < first_seen_at
                    OR ?3 < first_adopted_at
                    OR (first_adopted_at IS NULL AND ?3 IS NOT NULL))",
        )?
        .execute((
            repo_id,
            time_text(change.first_seen_at),
            change.first_adopted_at.map(time_text),
        ))?;
        if let Some((stamp, status)) = change.audit {
            tx.prepare_cached(
                "UPDATE repos SET audit_status = ?2, audited_at = ?3, audit_event_id = ?4
                 WHERE repo_id = ?1
                   AND (audited_at IS NULL OR (audited_at, audit_event_id) < (?3, ?4))",
            )?
            .execute((
                repo_id,
                status.as_str(),
                time_text(stamp.at),
                stamp.id.to_string(),
            ))?;
        }
    }

    for ((repo_id, golden_path), change) in &changes.golden_paths {
        tx.prepare_cached(
            "INSERT INTO repo_golden_paths AS g
                 (repo_id, golden_path, version, updated_at, event_id, adopted_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (repo_id, golden_path) DO UPDATE SET
                 version = excluded.version,
                 updated_at = excluded.updated_at,
                 event_id = excluded.event_id
             WHERE (excluded.updated_at, excluded.event_id) > (g.updated_at, g.event_id)",
        )?
        .execute((
            repo_id,
            golden_path,
            &change.version,
            time_text(change.newest.at),
            change.newest.id.to_string(),
            time_text(change.adopted_at),
        ))?;
        tx.prepare_cached(
            "UPDATE repo_golden_paths SET adopted_at = ?3
             WHERE repo_id = ?1 AND golden_path = ?2 AND ?3 < adopted_at",
        )?
        .execute((repo_id, golden_path, time_text(change.adopted_at)))?;
        if let Some((stamp, catalog)) = change.catalog {
            tx.prepare_cached(
                "UPDATE repo_golden_paths
                 SET catalog = ?3, catalog_at = ?4, catalog_by = ?5
                 WHERE repo_id = ?1 AND golden_path = ?2
                   AND (catalog_at IS NULL OR (catalog_at, catalog_by) < (?4, ?5))",
            )?
            .execute((
                repo_id,
                golden_path,
                catalog,
                time_text(stamp.at),
                stamp.id.to_string(),
            ))?;
        }
        if let Some((stamp, labels)) = change.labels {
            tx.prepare_cached(
                "UPDATE repo_golden_paths
                 SET team = ?3, train = ?4, labelled_at = ?5, labelled_by = ?6
                 WHERE repo_id = ?1 AND golden_path = ?2
                   AND (labelled_at IS NULL OR (labelled_at, labelled_by) < (?5, ?6))",
            )?
            .execute((
                repo_id,
                golden_path,
                labels.team,
                labels.train,
                time_text(stamp.at),
                stamp.id.to_string(),
            ))?;
        }
    }

    for ((repo_id, golden_path), (stamp, fact)) in &changes.conformance {
        tx.prepare_cached(
            "INSERT INTO conformance AS c
                 (repo_id, golden_path, version, conforming, drifted_files, missing_files,
                  edited_files, lag, latest, source, checked_at, event_id, conflicted_files,
                  catalog, excepted_files)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
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
        )?
        .execute(rusqlite::params![
            repo_id,
            golden_path,
            &fact.version,
            fact.conforming,
            fact.drifted_files,
            fact.missing_files,
            fact.edited_files,
            fact.lag.map(Lag::as_str),
            &fact.latest,
            fact.source.as_str(),
            time_text(stamp.at),
            stamp.id.to_string(),
            fact.conflicted_files,
            fact.catalog,
            fact.excepted_files,
        ])?;
    }
    Ok(())
}

fn repo_row(row: &Row<'_>) -> Result<RepoRecord, StoreError> {
    let version: String = row.get(5)?;
    let audit_status = row
        .get::<_, Option<String>>(10)?
        .map(|s| AuditStatus::parse(&s).ok_or_else(|| StoreError::corrupt("an audit status", s)))
        .transpose()?;
    let conformance = match row.get::<_, Option<String>>(11)? {
        None => None,
        Some(checked_version) => {
            let lag = row
                .get::<_, Option<String>>(16)?
                .map(|s| Lag::parse(&s).ok_or_else(|| StoreError::corrupt("a lag", s)))
                .transpose()?;
            let source: String = row.get(18)?;
            Some(LastConformance {
                version: parse_version(&checked_version)?,
                conforming: row.get(12)?,
                drifted_files: row.get(13)?,
                missing_files: row.get(14)?,
                edited_files: row.get(15)?,
                conflicted_files: row.get(20)?,
                excepted_files: row.get(22)?,
                lag,
                latest: row
                    .get::<_, Option<String>>(17)?
                    .as_deref()
                    .map(parse_version)
                    .transpose()?,
                source: ConformanceSource::parse(&source)
                    .ok_or_else(|| StoreError::corrupt("a conformance source", source))?,
                checked_at: time(row.get(19)?)?,
            })
        }
    };
    Ok(RepoRecord {
        repo_id: row.get(0)?,
        repo: RepoRef {
            name: row.get(1)?,
            url: row.get(2)?,
            path: row.get(3)?,
        },
        golden_path: row.get(4)?,
        catalog: row.get(21)?,
        version: parse_version(&version)?,
        team: row.get(6)?,
        train: row.get(7)?,
        adopted_at: time(row.get(8)?)?,
        updated_at: time(row.get(9)?)?,
        conformance,
        audit_status,
    })
}

/// A `count(*)`: never negative.
fn count(row: &Row<'_>, index: usize) -> Result<u64, StoreError> {
    let n: i64 = row.get(index)?;
    u64::try_from(n).map_err(|_| StoreError::corrupt("a count", n.to_string()))
}

/// A time as stored: fixed width, so text order is time order.
fn time_text(ts: Timestamp) -> String {
    format!("{:.6}", stored_time(ts))
}

fn time(text: String) -> Result<Timestamp, StoreError> {
    text.parse()
        .map_err(|_| StoreError::corrupt("a timestamp", text))
}
