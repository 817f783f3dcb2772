//! The registry's storage through its one `Store` trait. Every case is written once and runs on
//! both backends: SQLite in a fresh file in a temp dir, and PostgreSQL from
//! `PAVE_TEST_DATABASE_URL` in a fresh schema that is dropped afterwards. Outside CI a missing
//! `PAVE_TEST_DATABASE_URL` skips the PostgreSQL half with a message; in CI it fails.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::{Date, date};
use pave_registry::model::{
    Actor, AdminAction, Adoption, AdoptionCommand, Audit, AuditStatus, AuditedGoldenPath, Batch,
    Conformance, DailyAdoption, Event, EventKind, GroupBy, Lag, RepoRecord, RepoRef, Scope,
    TokenInfo,
};
use pave_registry::store::postgres::PostgresStore;
use pave_registry::store::sqlite::SqliteStore;
use pave_registry::store::{Ingested, Store, StoreError, token_hash};
use semver::Version;
use uuid::Uuid;

use AdoptionCommand::{Apply, New, Upgrade};
use AuditStatus::{Drifted, Outdated, Unadopted};

/// Runs every case on SQLite and on PostgreSQL: `registry_store::sqlite::<case>` and
/// `registry_store::postgresql::<case>`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $case() { super::on_sqlite(super::$case) } )*
        }
        mod postgresql {
            $( #[test] fn $case() { super::on_postgres(super::$case) } )*
        }
    };
}

on_both_backends!(
    migrating_twice_is_a_no_op,
    a_batch_reads_back_as_repos_golden_paths_and_stats,
    a_retried_batch_is_counted_once,
    stored_events_are_counted_by_kind,
    the_store_answers_a_ping,
    a_batch_with_an_invalid_event_stores_nothing,
    daily_adoption_counts_first_adoptions_per_day,
    late_events_do_not_override_newer_state,
    team_and_train_come_from_the_newest_adoption_or_audit,
    a_repo_on_two_golden_paths_is_one_repo_of_its_team,
    the_wire_form_ingests,
    conflicted_files_are_kept_from_checks_and_audits,
    conforming_with_exceptions_is_counted_apart,
    the_fleet_counts_repos_without_a_golden_path,
    tokens_are_created_verified_listed_and_revoked,
    deleting_a_repo_removes_its_events_and_state_in_one_logged_step,
    a_repo_is_deleted_by_its_url_unless_several_have_it,
    pruning_keeps_the_current_state_of_repos_still_reporting,
    a_retention_pass_that_removes_nothing_is_not_logged,
    golden_paths_are_told_apart_by_catalog,
    checks_without_a_catalog_count_for_their_golden_paths_catalog,
    credentials_in_a_catalog_url_are_never_stored,
    the_catalog_migration_reads_the_stored_adoptions,
);

// ---------------------------------------------------------------------------------------------
// Backends

/// A way into the store's database beside the trait, to check what it really holds.
enum Raw {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Raw {
    /// Events stored about `repo_id`.
    fn events_of(&self, repo_id: &str) -> i64 {
        self.count(&format!(
            "SELECT count(*) FROM events WHERE repo_id = '{repo_id}'"
        ))
    }

    fn count(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .query_row(sql, [], |row| row.get(0))
                .unwrap(),
            Raw::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                client
                    .batch_execute(&format!("SET search_path TO {schema}"))
                    .unwrap();
                client.query_one(sql, &[]).unwrap().get(0)
            }
        }
    }

    /// Every stored event, read back from its body.
    fn events(&self) -> Vec<Event> {
        let bodies: Vec<String> = match self {
            Raw::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut statement = conn.prepare("SELECT body FROM events").unwrap();
                statement
                    .query_map([], |row| row.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
            Raw::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                client
                    .query(&format!("SELECT body::text FROM {schema}.events"), &[])
                    .unwrap()
                    .iter()
                    .map(|row| row.get(0))
                    .collect()
            }
        };
        bodies
            .iter()
            .map(|body| serde_json::from_str(body).unwrap())
            .collect()
    }

    /// Every row of the tokens table, every column as text.
    fn token_rows(&self) -> Vec<String> {
        match self {
            Raw::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut statement = conn
                    .prepare(
                        "SELECT id || '|' || name || '|' || secret_sha256 || '|' || scopes
                                || '|' || created_at || '|' || coalesce(revoked_at, '')
                         FROM tokens",
                    )
                    .unwrap();
                statement
                    .query_map([], |row| row.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
            Raw::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                client
                    .query(&format!("SELECT t::text FROM {schema}.tokens t"), &[])
                    .unwrap()
                    .iter()
                    .map(|row| row.get(0))
                    .collect()
            }
        }
    }
}

impl Raw {
    /// Runs `sql` (one statement, the same in both dialects) on the store's database.
    fn execute(&self, sql: &str) {
        match self {
            Raw::Sqlite(path) => {
                rusqlite::Connection::open(path)
                    .unwrap()
                    .execute_batch(sql)
                    .unwrap();
            }
            Raw::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                client
                    .batch_execute(&format!("SET search_path TO {schema}; {sql}"))
                    .unwrap();
            }
        }
    }

    /// Every stored event's body, as text.
    fn event_bodies(&self) -> String {
        match self {
            Raw::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut statement = conn.prepare("SELECT body FROM events").unwrap();
                let bodies: Vec<String> = statement
                    .query_map([], |row| row.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                bodies.join("\n")
            }
            Raw::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                let bodies: Vec<String> = client
                    .query(&format!("SELECT body::text FROM {schema}.events"), &[])
                    .unwrap()
                    .iter()
                    .map(|row| row.get(0))
                    .collect();
                bodies.join("\n")
            }
        }
    }

    /// The number of the last migration of this backend.
    fn last_migration(&self) -> i64 {
        match self {
            Raw::Sqlite(_) => pave_registry::store::sqlite::MIGRATIONS,
            Raw::Postgres { .. } => pave_registry::store::postgres::MIGRATIONS,
        }
        .last()
        .unwrap()
        .version
    }
}

type Case = fn(&dyn Store, &Raw);

/// Migrates a fresh store; the first migration must do something.
fn migrated(store: &dyn Store) {
    assert!(store.migrate().unwrap() > 0, "a fresh database is migrated");
}

fn on_sqlite(case: Case) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let store = SqliteStore::open(&path).unwrap();
    migrated(&store);
    case(&store, &Raw::Sqlite(path.clone()));
    drop(store);
    assert_secret_free(&path);
}

/// The test database's URL; `None` when it is not set outside CI, said once on stderr (written
/// directly, so the test harness does not capture it and it shows in a plain `cargo test`).
pub(crate) fn database_url() -> Option<String> {
    static SKIPPING: std::sync::Once = std::sync::Once::new();
    let url = std::env::var("PAVE_TEST_DATABASE_URL").ok();
    if url.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "PAVE_TEST_DATABASE_URL is not set; CI runs the store tests on PostgreSQL too"
        );
        SKIPPING.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "skipping the PostgreSQL half of registry_store: set PAVE_TEST_DATABASE_URL \
                 (e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
        });
    }
    url
}

/// A schema made for one test and dropped after it, pass or fail.
struct Schema {
    admin: ::postgres::Client,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name));
    }
}

fn on_postgres(case: Case) {
    in_a_fresh_schema(|store, raw| {
        migrated(store);
        case(store, raw);
    });
}

/// Runs `test` on a store in a schema of its own (not migrated yet), dropped afterwards.
fn in_a_fresh_schema(test: impl FnOnce(&PostgresStore, &Raw)) {
    let Some(url) = database_url() else { return };
    let connect = || {
        ::postgres::Client::connect(&url, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to PAVE_TEST_DATABASE_URL={url}: {e}"))
    };
    let mut admin = connect();
    let name = format!("pave_test_{}", Uuid::now_v7().simple());
    admin
        .batch_execute(&format!("CREATE SCHEMA {name}"))
        .unwrap();
    let schema = Schema { admin, name };
    let mut client = connect();
    client
        .batch_execute(&format!("SET search_path TO {}", schema.name))
        .unwrap();
    let store = PostgresStore::from_client(client);
    let raw = Raw::Postgres {
        url: url.clone(),
        schema: schema.name.clone(),
    };
    test(&store, &raw);
    // The store's connection closes before the schema is dropped.
    drop(store);
    drop(schema);
}

/// No secret made by `tokens_…` may be anywhere in the SQLite files, WAL included.
fn assert_secret_free(db: &Path) {
    for path in [db.to_path_buf(), db.with_extension("db-wal")] {
        if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !SECRET_SHAPE.is_match(&text),
                "{} holds a token secret",
                path.display()
            );
        }
    }
}

static SECRET_SHAPE: std::sync::LazyLock<regex_lite::Regex> =
    std::sync::LazyLock::new(|| regex_lite::Regex::new("pave_[0-9a-f]{64}").unwrap());

// ---------------------------------------------------------------------------------------------
// Events

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A time in March 2025, UTC: `"03-04 10:00"`.
fn march(when: &str) -> String {
    let (day, time) = when.split_once(' ').unwrap();
    format!("2025-{day}T{time}:00Z")
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

/// `rust-service@1.0.0` as its parts.
fn golden_path(at_version: &str) -> (String, Version) {
    let (name, version) = at_version.split_once('@').unwrap();
    (name.to_owned(), v(version))
}

fn event(repo: &str, when: &str, kind: EventKind) -> Event {
    Event {
        id: Uuid::now_v7(),
        occurred_at: at(&march(when)),
        repo_id: format!("acme/{repo}"),
        repo: RepoRef {
            name: repo.to_owned(),
            url: None,
            path: None,
        },
        kind,
    }
}

/// An adoption by a team and train: `"payments/checkout"`, `"platform/-"` for no train.
fn adopt(
    repo: &str,
    when: &str,
    command: AdoptionCommand,
    at_version: &str,
    team_train: &str,
) -> Event {
    let (name, version) = golden_path(at_version);
    let (team, train) = team_train.split_once('/').unwrap();
    event(
        repo,
        when,
        EventKind::Adoption(Adoption {
            command,
            golden_path: name,
            version,
            components: vec!["ci".to_owned(), "deploy".to_owned()],
            team: Some(team.to_owned()),
            train: (train != "-").then(|| train.to_owned()),
            catalog: "builtin".to_owned(),
        }),
    )
}

/// What `pave check --report` found.
struct Outcome {
    conforming: bool,
    drifted: u32,
    missing: u32,
    lag: Option<Lag>,
    latest: Option<Version>,
}

fn passing() -> Outcome {
    Outcome {
        conforming: true,
        drifted: 0,
        missing: 0,
        lag: Some(Lag::None),
        latest: None,
    }
}

fn failing(drifted: u32, missing: u32) -> Outcome {
    Outcome {
        conforming: false,
        drifted,
        missing,
        ..passing()
    }
}

impl Outcome {
    fn lag(self, lag: Lag, latest: &str) -> Self {
        Self {
            lag: Some(lag),
            latest: Some(v(latest)),
            ..self
        }
    }
}

fn check(repo: &str, when: &str, at_version: &str, outcome: Outcome) -> Event {
    let (name, version) = golden_path(at_version);
    event(
        repo,
        when,
        EventKind::Conformance(Conformance {
            golden_path: name,
            version,
            conforming: outcome.conforming,
            drifted_files: outcome.drifted,
            missing_files: outcome.missing,
            edited_files: 0,
            conflicted_files: 0,
            excepted_files: 0,
            lag: outcome.lag,
            latest: outcome.latest,
            // As an older client sends it: the catalog is the golden path's, from its adoption.
            catalog: None,
        }),
    )
}

/// An audit of a repo without golden paths; `.on(…)` adds them.
fn audit(repo: &str, when: &str, status: AuditStatus, team: Option<&str>) -> Event {
    event(
        repo,
        when,
        EventKind::Audit(Audit {
            status,
            golden_paths: vec![],
            drifted_files: 0,
            missing_files: 0,
            edited_files: 1,
            conflicted_files: 0,
            excepted_files: 0,
            team: team.map(str::to_owned),
            train: None,
        }),
    )
}

/// Changes to an event built above.
trait Adjust {
    fn on(self, at_version: &str, lag: Option<Lag>, latest: Option<&str>) -> Self;
    fn with_repo_id(self, repo_id: &str) -> Self;
    fn with_url(self, url: &str) -> Self;
    /// The catalog the event names (an adoption's, a check's, each audited golden path's).
    fn in_catalog(self, catalog: &str) -> Self;
}

impl Adjust for Event {
    fn on(mut self, at_version: &str, lag: Option<Lag>, latest: Option<&str>) -> Self {
        let EventKind::Audit(audit) = &mut self.kind else {
            panic!("only an audit lists golden paths")
        };
        let (name, version) = golden_path(at_version);
        audit.golden_paths.push(AuditedGoldenPath {
            name,
            version,
            catalog: None,
            latest: latest.map(v),
            lag,
        });
        self
    }

    fn with_repo_id(mut self, repo_id: &str) -> Self {
        self.repo_id = repo_id.to_owned();
        self
    }

    fn with_url(mut self, url: &str) -> Self {
        self.repo.url = Some(url.to_owned());
        self
    }

    fn in_catalog(mut self, catalog: &str) -> Self {
        match &mut self.kind {
            EventKind::Adoption(a) => a.catalog = catalog.to_owned(),
            EventKind::Conformance(c) => c.catalog = Some(catalog.to_owned()),
            EventKind::Audit(a) => {
                for g in &mut a.golden_paths {
                    g.catalog = Some(catalog.to_owned());
                }
            }
        }
        self
    }
}

/// A small fleet's history: 17 events about repos a–g, in time order but for the last three.
///
/// | repo | golden path now        | team     | train    | last conformance (of now)        |
/// |------|------------------------|----------|----------|----------------------------------|
/// | a    | rust-service 1.1.0     | payments | checkout | passing, no lag                  |
/// | b    | rust-service 1.1.0     | payments | search   | failing: 2 drifted, 1 missing    |
/// | c    | python-service 2.0.0   | search   | –        | audit: outdated (minor), 2.1.0   |
/// | d    | – (audited unadopted)  |          |          |                                  |
/// | e    | rust-service 1.0.0     | platform | checkout | none                             |
/// | f    | rust-service 1.0.0     | platform | –        | passing, minor lag               |
/// | g    | rust-service 1.1.0     | platform | search   | of 1.0.0 only: unchecked now     |
#[rustfmt::skip] // a table reads better one event a line
fn fleet() -> Vec<Event> {
    vec![
        adopt("a", "03-01 10:00", New, "rust-service@1.0.0", "payments/checkout"),
        adopt("b", "03-02 09:00", New, "rust-service@1.1.0", "payments/search"),
        adopt("c", "03-02 11:00", New, "python-service@2.0.0", "search/-"),
        adopt("a", "03-03 08:00", Upgrade, "rust-service@1.1.0", "payments/checkout"),
        adopt("e", "03-03 12:00", Apply, "rust-service@1.0.0", "platform/checkout"),
        check("a", "03-04 00:00", "rust-service@1.1.0", passing().lag(Lag::None, "1.1.0")),
        check("b", "03-04 01:00", "rust-service@1.1.0", failing(2, 1))
            .with_url("https://git.example.com/acme/b.git"),
        adopt("f", "03-04 09:00", New, "rust-service@1.0.0", "platform/-"),
        check("f", "03-04 10:00", "rust-service@1.0.0", passing().lag(Lag::Minor, "1.1.0")),
        audit("c", "03-05 00:00", Outdated, Some("search"))
            .on("python-service@2.0.0", Some(Lag::Minor), Some("2.1.0")),
        audit("d", "03-05 00:00", Unadopted, None),
        adopt("g", "03-05 00:30", New, "rust-service@1.0.0", "platform/search"),
        check("g", "03-05 01:00", "rust-service@1.0.0", passing()),
        adopt("g", "03-05 02:00", Upgrade, "rust-service@1.1.0", "platform/search"),
        // Late: a newer check of a and a newer audit of c are stored already.
        check("a", "03-03 09:00", "rust-service@1.1.0", failing(5, 0)),
        audit("c", "03-04 00:00", Drifted, Some("search")).on("python-service@2.0.0", None, None),
        // Late, and under an older name: the newest event names the repo.
        audit("f-old", "03-04 08:00", Unadopted, None).with_repo_id("acme/f"),
    ]
}

fn batch(events: Vec<Event>) -> Batch {
    Batch { events }
}

/// One line per repo and golden path: everything `repos()` says, in a diffable form.
fn describe(record: &RepoRecord) -> String {
    let mut line = format!(
        "{} ({}{}) {}@{} team={} train={} adopted={} updated={}",
        record.repo_id,
        record.repo.name,
        record
            .repo
            .url
            .as_deref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default(),
        record.golden_path,
        record.version,
        record.team.as_deref().unwrap_or("-"),
        record.train.as_deref().unwrap_or("-"),
        record.adopted_at,
        record.updated_at,
    );
    if let Some(c) = &record.conformance {
        line += &format!(
            " | {} {} {}: {} drifted={} missing={} edited={} lag={} latest={}",
            c.source.as_str(),
            c.checked_at,
            c.version,
            if c.conforming {
                "conforming"
            } else {
                "failing"
            },
            c.drifted_files,
            c.missing_files,
            c.edited_files,
            c.lag.map_or("-", Lag::as_str),
            c.latest
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "-".into()),
        );
    }
    if let Some(status) = record.audit_status {
        line += &format!(" | audit: {}", status.as_str());
    }
    line
}

fn expected_repos() -> Vec<&'static str> {
    vec![
        "acme/a (a) rust-service@1.1.0 team=payments train=checkout adopted=2025-03-01T10:00:00Z updated=2025-03-04T00:00:00Z | check 2025-03-04T00:00:00Z 1.1.0: conforming drifted=0 missing=0 edited=0 lag=none latest=1.1.0",
        "acme/b (b https://git.example.com/acme/b.git) rust-service@1.1.0 team=payments train=search adopted=2025-03-02T09:00:00Z updated=2025-03-04T01:00:00Z | check 2025-03-04T01:00:00Z 1.1.0: failing drifted=2 missing=1 edited=0 lag=none latest=-",
        "acme/c (c) python-service@2.0.0 team=search train=- adopted=2025-03-02T11:00:00Z updated=2025-03-05T00:00:00Z | audit 2025-03-05T00:00:00Z 2.0.0: conforming drifted=0 missing=0 edited=1 lag=minor latest=2.1.0 | audit: outdated",
        "acme/e (e) rust-service@1.0.0 team=platform train=checkout adopted=2025-03-03T12:00:00Z updated=2025-03-03T12:00:00Z",
        "acme/f (f) rust-service@1.0.0 team=platform train=- adopted=2025-03-04T09:00:00Z updated=2025-03-04T10:00:00Z | check 2025-03-04T10:00:00Z 1.0.0: conforming drifted=0 missing=0 edited=0 lag=minor latest=1.1.0 | audit: unadopted",
        "acme/g (g) rust-service@1.1.0 team=platform train=search adopted=2025-03-05T00:30:00Z updated=2025-03-05T02:00:00Z | check 2025-03-05T01:00:00Z 1.0.0: conforming drifted=0 missing=0 edited=0 lag=none latest=-",
    ]
}

fn repos(store: &dyn Store) -> Vec<String> {
    store.repos().unwrap().iter().map(describe).collect()
}

/// `stats(group_by)` as `key [golden path]: repos/adoptions conforming drifted unchecked lagging`.
fn stats(store: &dyn Store, group_by: GroupBy) -> Vec<String> {
    let stats = store.stats(group_by).unwrap();
    assert_eq!(stats.group_by, group_by);
    stats
        .groups
        .iter()
        .map(|g| {
            format!(
                "{}{}: repos={} adoptions={} conforming={} drifted={} unchecked={} lagging={}",
                g.golden_path
                    .as_deref()
                    .map(|gp| format!("{gp} "))
                    .unwrap_or_default(),
                g.key.as_deref().unwrap_or("(none)"),
                g.repos,
                g.adoptions,
                g.conforming,
                g.drifted,
                g.unchecked,
                g.lagging,
            )
        })
        .collect()
}

fn daily(store: &dyn Store, days: u32, until: Date) -> Vec<(Date, u64, u64)> {
    store
        .daily(days, until)
        .unwrap()
        .iter()
        .map(
            |DailyAdoption {
                 day,
                 adopted,
                 cumulative,
             }| (*day, *adopted, *cumulative),
        )
        .collect()
}

/// Everything the store can say about the fleet, read back in full.
fn assert_reads_back_the_fleet(store: &dyn Store) {
    assert_eq!(repos(store), expected_repos());

    let golden_paths: Vec<String> = store
        .golden_paths()
        .unwrap()
        .iter()
        .map(|g| {
            let versions: Vec<String> = g
                .versions
                .iter()
                .map(|v| format!("{}={}", v.version, v.repos))
                .collect();
            format!(
                "{}: repos={} latest={} versions={}",
                g.name,
                g.repos,
                g.latest
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                versions.join(",")
            )
        })
        .collect();
    assert_eq!(
        golden_paths,
        [
            "python-service: repos=1 latest=2.1.0 versions=2.0.0=1",
            "rust-service: repos=5 latest=1.1.0 versions=1.1.0=3,1.0.0=2",
        ]
    );

    assert_eq!(
        stats(store, GroupBy::GoldenPath),
        [
            "python-service: repos=1 adoptions=1 conforming=1 drifted=0 unchecked=0 lagging=1",
            "rust-service: repos=5 adoptions=5 conforming=2 drifted=1 unchecked=2 lagging=2",
        ]
    );
    assert_eq!(
        stats(store, GroupBy::Version),
        [
            "python-service 2.0.0: repos=1 adoptions=1 conforming=1 drifted=0 unchecked=0 lagging=1",
            "rust-service 1.1.0: repos=3 adoptions=3 conforming=1 drifted=1 unchecked=1 lagging=0",
            "rust-service 1.0.0: repos=2 adoptions=2 conforming=1 drifted=0 unchecked=1 lagging=2",
        ]
    );
    assert_eq!(
        stats(store, GroupBy::Team),
        [
            "payments: repos=2 adoptions=2 conforming=1 drifted=1 unchecked=0 lagging=0",
            "platform: repos=3 adoptions=3 conforming=1 drifted=0 unchecked=2 lagging=2",
            "search: repos=1 adoptions=1 conforming=1 drifted=0 unchecked=0 lagging=1",
        ]
    );
    assert_eq!(
        stats(store, GroupBy::Train),
        [
            "checkout: repos=2 adoptions=2 conforming=1 drifted=0 unchecked=1 lagging=1",
            "search: repos=2 adoptions=2 conforming=0 drifted=1 unchecked=1 lagging=0",
            "(none): repos=2 adoptions=2 conforming=2 drifted=0 unchecked=0 lagging=2",
        ]
    );

    assert_eq!(
        daily(store, 5, date(2025, 3, 5)),
        [
            (date(2025, 3, 1), 1, 1),
            (date(2025, 3, 2), 2, 3),
            (date(2025, 3, 3), 1, 4),
            (date(2025, 3, 4), 1, 5),
            (date(2025, 3, 5), 1, 6),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Cases

fn migrating_twice_is_a_no_op(store: &dyn Store, _: &Raw) {
    store.ingest(&batch(fleet())).unwrap();
    assert_eq!(store.migrate().unwrap(), 0);
    assert_eq!(store.migrate().unwrap(), 0);
    assert_reads_back_the_fleet(store);
}

fn a_batch_reads_back_as_repos_golden_paths_and_stats(store: &dyn Store, _: &Raw) {
    let outcome = store.ingest(&batch(fleet())).unwrap();
    assert_eq!((outcome.accepted, outcome.duplicates), (17, 0));
    assert_reads_back_the_fleet(store);

    let a = &store.repos().unwrap()[0];
    assert_eq!(a.repo_id, "acme/a");
    assert_eq!(a.version, v("1.1.0"));
    assert_eq!(a.conformance.as_ref().unwrap().version, v("1.1.0"));
}

fn a_retried_batch_is_counted_once(store: &dyn Store, _: &Raw) {
    let events = fleet();
    let first = store.ingest(&batch(events.clone())).unwrap();
    assert_eq!((first.accepted, first.duplicates), (17, 0));
    let retry = store.ingest(&batch(events.clone())).unwrap();
    assert_eq!((retry.accepted, retry.duplicates), (0, 17));
    assert_reads_back_the_fleet(store);

    // A new event, an old one and the new one again in one batch: one accepted.
    let new = adopt("h", "03-06 00:00", New, "rust-service@1.1.0", "payments/-");
    let mixed = store
        .ingest(&batch(vec![new.clone(), events[3].clone(), new]))
        .unwrap();
    assert_eq!((mixed.accepted, mixed.duplicates), (1, 2));
    assert_eq!(store.repos().unwrap().len(), 7);
    assert_eq!(
        daily(store, 1, date(2025, 3, 6)),
        [(date(2025, 3, 6), 1, 7)]
    );
}

fn stored_events_are_counted_by_kind(store: &dyn Store, _: &Raw) {
    let events = fleet();
    let first = store.ingest_counted(&batch(events.clone())).unwrap();
    assert_eq!((first.outcome.accepted, first.outcome.duplicates), (17, 0));
    let by_kind: Vec<(&str, u64)> = first.accepted_by_kind.into_iter().collect();
    assert_eq!(by_kind, [("adoption", 8), ("audit", 4), ("conformance", 5)]);

    // Duplicates are left out of the kinds: only the new audit counts.
    let new = audit("h", "03-06 00:00", Unadopted, None);
    let mixed = store
        .ingest_counted(&batch(vec![events[0].clone(), new, events[5].clone()]))
        .unwrap();
    assert_eq!((mixed.outcome.accepted, mixed.outcome.duplicates), (1, 2));
    let by_kind: Vec<(&str, u64)> = mixed.accepted_by_kind.into_iter().collect();
    assert_eq!(by_kind, [("audit", 1)]);

    let empty = store.ingest_counted(&batch(Vec::new())).unwrap();
    assert_eq!(empty, Ingested::default());
}

fn the_store_answers_a_ping(store: &dyn Store, _: &Raw) {
    store.ping().unwrap();
    // A ping is a round trip, not a write: the store still reads as empty.
    assert_eq!(store.repos().unwrap(), []);
}

fn a_batch_with_an_invalid_event_stores_nothing(store: &dyn Store, _: &Raw) {
    let mut events = fleet();
    events[5].repo_id = String::new();
    let err = store.ingest(&batch(events.clone())).unwrap_err();
    // The five events before it were written, then rolled back with the transaction.
    let StoreError::Invalid(invalid) = &err else {
        panic!("expected an invalid event, got {err:?}")
    };
    assert_eq!(invalid.field, "events[5].repo_id");
    assert_eq!(err.to_string(), "events[5].repo_id: must not be empty");
    assert_eq!(store.repos().unwrap(), []);
    assert_eq!(store.golden_paths().unwrap(), []);
    assert_eq!(store.stats(GroupBy::Team).unwrap().groups, []);
    assert_eq!(
        daily(store, 1, date(2025, 3, 5)),
        [(date(2025, 3, 5), 0, 0)]
    );

    // None of them was stored: once fixed, every event is new.
    events[5].repo_id = "acme/a".to_owned();
    let outcome = store.ingest(&batch(events)).unwrap();
    assert_eq!((outcome.accepted, outcome.duplicates), (17, 0));
    assert_reads_back_the_fleet(store);

    // Too many events for one batch.
    let many = vec![fleet()[0].clone(); Batch::MAX_EVENTS + 1];
    let err = store.ingest(&batch(many)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("events: at most 1000 events per batch"),
        "{err}"
    );
}

fn daily_adoption_counts_first_adoptions_per_day(store: &dyn Store, _: &Raw) {
    assert_eq!(daily(store, 3, date(2025, 3, 5)).len(), 3);
    store.ingest(&batch(fleet())).unwrap();
    // a's upgrade (3 March) and g's second event are no new adoptions; d was never adopted.
    assert_eq!(
        daily(store, 2, date(2025, 3, 3)),
        [(date(2025, 3, 2), 2, 3), (date(2025, 3, 3), 1, 4)],
        "the total counts the days before the window"
    );
    assert_eq!(
        daily(store, 3, date(2025, 3, 7)),
        [
            (date(2025, 3, 5), 1, 6),
            (date(2025, 3, 6), 0, 6),
            (date(2025, 3, 7), 0, 6),
        ]
    );
    assert_eq!(
        daily(store, 2, date(2025, 2, 28)),
        [(date(2025, 2, 27), 0, 0), (date(2025, 2, 28), 0, 0)]
    );
    assert_eq!(daily(store, 0, date(2025, 3, 5)), []);
    assert!(matches!(
        store.daily(100_000, date(2025, 3, 5)),
        Err(StoreError::Invalid(_))
    ));

    // Day boundaries are UTC: 23:30 at -02:00 is the next day.
    let mut late = adopt("h", "03-06 23:30", New, "rust-service@1.1.0", "payments/-");
    late.occurred_at = at("2025-03-06T23:30:00-02:00");
    store.ingest(&batch(vec![late])).unwrap();
    assert_eq!(
        daily(store, 2, date(2025, 3, 7)),
        [(date(2025, 3, 6), 0, 6), (date(2025, 3, 7), 1, 7)]
    );
}

fn late_events_do_not_override_newer_state(store: &dyn Store, _: &Raw) {
    // Newest first, one event per batch (a spool flushed out of order): the same state.
    for event in fleet().into_iter().rev() {
        let outcome = store.ingest(&batch(vec![event])).unwrap();
        assert_eq!(outcome.accepted, 1);
    }
    assert_reads_back_the_fleet(store);
}

fn team_and_train_come_from_the_newest_adoption_or_audit(store: &dyn Store, _: &Raw) {
    // The team moved on 2 March, reported late; a newer check (which knows no team) is no
    // reason to keep the old one.
    let history = |repo: &str| {
        [
            adopt(repo, "03-01 00:00", New, "rust-service@1.0.0", "old/blue"),
            check(repo, "03-03 00:00", "rust-service@1.0.0", passing()),
            adopt(repo, "03-02 00:00", Apply, "rust-service@1.0.0", "new/-"),
        ]
    };
    // Whatever the order and batching, the same.
    let [first, checked, moved] = history("x");
    store.ingest(&batch(vec![first, checked])).unwrap();
    store.ingest(&batch(vec![moved])).unwrap();
    let [first, checked, moved] = history("y");
    store.ingest(&batch(vec![checked, moved, first])).unwrap();
    for event in history("z").into_iter().rev() {
        store.ingest(&batch(vec![event])).unwrap();
    }

    let labels: Vec<String> = store
        .repos()
        .unwrap()
        .iter()
        .map(|r| format!("{} {:?} {:?} {}", r.repo_id, r.team, r.train, r.updated_at))
        .collect();
    assert_eq!(
        labels,
        [
            "acme/x Some(\"new\") None 2025-03-03T00:00:00Z",
            "acme/y Some(\"new\") None 2025-03-03T00:00:00Z",
            "acme/z Some(\"new\") None 2025-03-03T00:00:00Z",
        ]
    );
}

/// Grouped by team or train, `repos` counts each repo once and `adoptions` each golden path it is
/// on; repos without a train form one group of their own.
fn a_repo_on_two_golden_paths_is_one_repo_of_its_team(store: &dyn Store, _: &Raw) {
    store
        .ingest(&batch(vec![
            adopt(
                "ledger",
                "03-01 10:00",
                New,
                "rust-service@1.1.0",
                "payments/-",
            ),
            adopt(
                "ledger",
                "03-01 11:00",
                Apply,
                "docs-site@2.0.0",
                "payments/-",
            ),
            adopt("fx", "03-02 10:00", New, "rust-service@1.0.0", "payments/-"),
            check("fx", "03-03 10:00", "rust-service@1.0.0", failing(1, 0)),
        ]))
        .unwrap();
    assert_eq!(
        stats(store, GroupBy::Team),
        ["payments: repos=2 adoptions=3 conforming=0 drifted=1 unchecked=2 lagging=1"]
    );
    assert_eq!(
        stats(store, GroupBy::Train),
        ["(none): repos=2 adoptions=3 conforming=0 drifted=1 unchecked=2 lagging=1"]
    );
    assert_eq!(
        stats(store, GroupBy::GoldenPath),
        [
            "docs-site: repos=1 adoptions=1 conforming=0 drifted=0 unchecked=1 lagging=0",
            "rust-service: repos=2 adoptions=2 conforming=0 drifted=1 unchecked=1 lagging=1",
        ]
    );
}

fn the_wire_form_ingests(store: &dyn Store, _: &Raw) {
    let json = serde_json::json!({"events": [
        {
            "id": Uuid::now_v7(),
            "occurred_at": "2025-03-01T11:00:00+01:00",
            "repo_id": "acme/a",
            "repo": {"name": "a", "path": "/src/a"},
            "kind": "adoption",
            "command": "new",
            "golden_path": "rust-service",
            "version": "1.0.0",
            "components": ["app"],
            "team": "payments",
            "catalog": "builtin"
        },
        {
            "id": Uuid::now_v7(),
            "occurred_at": "2025-03-01T10:30:00.123456789Z",
            "repo_id": "acme/a",
            "repo": {"name": "a", "path": "/src/a"},
            "kind": "conformance",
            "golden_path": "rust-service",
            "version": "1.0.0",
            "conforming": true,
            "drifted_files": 0,
            "missing_files": 0,
            "edited_files": 3
        }
    ]});
    let batch: Batch = serde_json::from_value(json).unwrap();
    assert_eq!(store.ingest(&batch).unwrap().accepted, 2);
    assert_eq!(
        repos(store),
        [
            "acme/a (a) rust-service@1.0.0 team=payments train=- adopted=2025-03-01T10:00:00Z updated=2025-03-01T10:30:00.123456Z | check 2025-03-01T10:30:00.123456Z 1.0.0: conforming drifted=0 missing=0 edited=3 lag=- latest=-"
        ]
    );
    assert_eq!(
        store.repos().unwrap()[0].repo.path.as_deref(),
        Some("/src/a")
    );
}

/// Repo `a` made with rust-service 1.0.0 by team payments.
fn a_on_rust_service() -> Event {
    adopt(
        "a",
        "03-01 10:00",
        AdoptionCommand::New,
        "rust-service@1.0.0",
        "payments/-",
    )
}

fn conflicted_files_are_kept_from_checks_and_audits(store: &dyn Store, _: &Raw) {
    let conflicted = |event: &mut Event, n: u32| match &mut event.kind {
        EventKind::Conformance(c) => c.conflicted_files = n,
        EventKind::Audit(a) => a.conflicted_files = n,
        EventKind::Adoption(_) => unreachable!("an adoption has no files"),
    };
    let mut checked = check("a", "03-02 10:00", "rust-service@1.0.0", failing(0, 0));
    conflicted(&mut checked, 2);
    store
        .ingest(&batch(vec![a_on_rust_service(), checked]))
        .unwrap();
    let last = |store: &dyn Store| {
        store.repos().unwrap()[0]
            .conformance
            .as_ref()
            .map(|c| (c.conforming, c.conflicted_files))
    };
    assert_eq!(last(store), Some((false, 2)));
    let mut audited =
        audit("a", "03-03 10:00", AuditStatus::Drifted, None).on("rust-service@1.0.0", None, None);
    conflicted(&mut audited, 1);
    store.ingest(&batch(vec![audited])).unwrap();
    assert_eq!(last(store), Some((false, 1)));
}

/// A repo that conforms with exceptions is never plainly conforming: its excepted files are
/// kept, from checks and audits, and the stats count it apart.
fn conforming_with_exceptions_is_counted_apart(store: &dyn Store, _: &Raw) {
    let excepted = |event: &mut Event, n: u32| match &mut event.kind {
        EventKind::Conformance(c) => c.excepted_files = n,
        EventKind::Audit(a) => a.excepted_files = n,
        EventKind::Adoption(_) => unreachable!("an adoption has no files"),
    };
    let mut checked = check("a", "03-02 10:00", "rust-service@1.0.0", passing());
    excepted(&mut checked, 2);
    store
        .ingest(&batch(vec![a_on_rust_service(), checked]))
        .unwrap();
    let last = |store: &dyn Store| {
        store.repos().unwrap()[0]
            .conformance
            .as_ref()
            .map(|c| (c.conforming, c.excepted_files))
    };
    assert_eq!(last(store), Some((true, 2)));
    let group = &store.stats(GroupBy::GoldenPath).unwrap().groups[0];
    assert_eq!((group.conforming, group.excepted), (1, 1), "{group:?}");

    let mut audited =
        audit("a", "03-03 10:00", AuditStatus::Excepted, None).on("rust-service@1.0.0", None, None);
    excepted(&mut audited, 1);
    store.ingest(&batch(vec![audited])).unwrap();
    assert_eq!(last(store), Some((true, 1)));
    assert_eq!(
        store.repos().unwrap()[0].audit_status,
        Some(AuditStatus::Excepted)
    );
    // Its exceptions gone, the repo is plainly conforming again.
    store
        .ingest(&batch(vec![check(
            "a",
            "03-04 10:00",
            "rust-service@1.0.0",
            passing(),
        )]))
        .unwrap();
    let group = &store.stats(GroupBy::Team).unwrap().groups[0];
    assert_eq!((group.conforming, group.excepted), (1, 0), "{group:?}");
}

fn the_fleet_counts_repos_without_a_golden_path(store: &dyn Store, _: &Raw) {
    store
        .ingest(&batch(vec![
            a_on_rust_service(),
            // `pave audit --push` of repos without a lock.
            audit("legacy", "03-02 10:00", AuditStatus::Unadopted, None),
            audit("old", "03-02 10:00", AuditStatus::Unadopted, None),
        ]))
        .unwrap();
    for group_by in [GroupBy::GoldenPath, GroupBy::Team] {
        let fleet = store.stats(group_by).unwrap().fleet;
        assert_eq!((fleet.adopted, fleet.repos), (1, 3), "{group_by:?}");
    }
}

/// The platform's catalog and a scratch catalog someone tried a golden path in.
const PLATFORM: &str = "git:https://git.example.com/platform/golden-paths.git";
const SCRATCH: &str = "git:~/scratch-golden-paths";

/// `golden_paths()` as `name (catalog): repos latest versions`.
fn golden_paths_by_catalog(store: &dyn Store) -> Vec<String> {
    store
        .golden_paths()
        .unwrap()
        .iter()
        .map(|g| {
            let versions: Vec<String> = g
                .versions
                .iter()
                .map(|v| format!("{}={}", v.version, v.repos))
                .collect();
            format!(
                "{} ({}): repos={} latest={} versions={}",
                g.name,
                g.catalog.as_deref().unwrap_or("unknown"),
                g.repos,
                g.latest
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                versions.join(",")
            )
        })
        .collect()
}

/// `stats(group_by)` with each group's catalog, as `key (catalog): adoptions lagging`.
fn lag_by_catalog(store: &dyn Store, group_by: GroupBy) -> Vec<String> {
    store
        .stats(group_by)
        .unwrap()
        .groups
        .iter()
        .map(|g| {
            format!(
                "{}{} ({}): adoptions={} lagging={}",
                g.golden_path
                    .as_deref()
                    .map(|gp| format!("{gp} "))
                    .unwrap_or_default(),
                g.key.as_deref().unwrap_or("(none)"),
                g.catalog.as_deref().unwrap_or("-"),
                g.adoptions,
                g.lagging
            )
        })
        .collect()
}

/// Two catalogs with a golden path `lib-a`: the platform's at 1.0.0, and a scratch catalog where
/// someone tried `lib-a` 5.0.0 (its check says 6.0.0 is out there). The platform's repos are
/// on their catalog's newest and are not behind; only the scratch repo is (issue 13).
fn golden_paths_are_told_apart_by_catalog(store: &dyn Store, _: &Raw) {
    #[rustfmt::skip]
    let events = vec![
        adopt("p1", "03-01 10:00", New, "lib-a@1.0.0", "payments/-").in_catalog(PLATFORM),
        adopt("p2", "03-01 11:00", New, "lib-a@1.0.0", "search/-").in_catalog(PLATFORM),
        adopt("s1", "03-01 12:00", New, "lib-a@5.0.0", "payments/-").in_catalog(SCRATCH),
        check("s1", "03-02 10:00", "lib-a@5.0.0", passing().lag(Lag::Major, "6.0.0"))
            .in_catalog(SCRATCH),
        check("p1", "03-02 10:00", "lib-a@1.0.0", passing().lag(Lag::None, "1.0.0"))
            .in_catalog(PLATFORM),
    ];
    store.ingest(&batch(events)).unwrap();
    assert_eq!(
        golden_paths_by_catalog(store),
        [
            format!("lib-a ({PLATFORM}): repos=2 latest=1.0.0 versions=1.0.0=2"),
            format!("lib-a ({SCRATCH}): repos=1 latest=6.0.0 versions=5.0.0=1"),
        ]
    );
    assert_eq!(
        lag_by_catalog(store, GroupBy::GoldenPath),
        [
            format!("lib-a ({PLATFORM}): adoptions=2 lagging=0"),
            format!("lib-a ({SCRATCH}): adoptions=1 lagging=1"),
        ]
    );
    assert_eq!(
        lag_by_catalog(store, GroupBy::Version),
        [
            format!("lib-a 5.0.0 ({SCRATCH}): adoptions=1 lagging=1"),
            format!("lib-a 1.0.0 ({PLATFORM}): adoptions=2 lagging=0"),
        ]
    );
    assert_eq!(
        lag_by_catalog(store, GroupBy::Team),
        [
            "payments (-): adoptions=2 lagging=1",
            "search (-): adoptions=1 lagging=0",
        ]
    );
    let catalogs: Vec<(String, Option<String>)> = store
        .repos()
        .unwrap()
        .into_iter()
        .map(|r| (r.repo.name, r.catalog))
        .collect();
    assert_eq!(
        catalogs,
        [
            ("p1".to_owned(), Some(PLATFORM.to_owned())),
            ("p2".to_owned(), Some(PLATFORM.to_owned())),
            ("s1".to_owned(), Some(SCRATCH.to_owned())),
        ]
    );

    // s1 moves to the platform's lib-a: it leaves the scratch catalog, and its old check (of
    // the scratch catalog) does not make the platform's newest 6.0.0.
    store
        .ingest(&batch(vec![
            adopt("s1", "03-03 10:00", Apply, "lib-a@1.0.0", "payments/-").in_catalog(PLATFORM),
        ]))
        .unwrap();
    assert_eq!(
        golden_paths_by_catalog(store),
        [format!(
            "lib-a ({PLATFORM}): repos=3 latest=1.0.0 versions=1.0.0=3"
        )]
    );
    assert_eq!(
        lag_by_catalog(store, GroupBy::GoldenPath),
        [format!("lib-a ({PLATFORM}): adoptions=3 lagging=0")]
    );
}

/// Older clients' checks and audits name no catalog: they count for the catalog the golden
/// path's adoption named; a golden path no event named a catalog for is of the unknown catalog.
fn checks_without_a_catalog_count_for_their_golden_paths_catalog(store: &dyn Store, _: &Raw) {
    #[rustfmt::skip]
    let events = vec![
        adopt("p1", "03-01 10:00", New, "lib-a@1.0.0", "payments/-").in_catalog(PLATFORM),
        adopt("s1", "03-01 12:00", New, "lib-a@5.0.0", "payments/-").in_catalog(SCRATCH),
        // An older client's check of p1: the platform's lib-a has 1.1.0.
        check("p1", "03-02 10:00", "lib-a@1.0.0", passing().lag(Lag::Minor, "1.1.0")),
        // An older client's audit of a repo no adoption of which reached the registry.
        audit("u1", "03-02 11:00", Outdated, Some("search"))
            .on("lib-a@0.9.0", Some(Lag::Minor), Some("0.10.0")),
    ];
    store.ingest(&batch(events)).unwrap();
    assert_eq!(
        golden_paths_by_catalog(store),
        [
            format!("lib-a ({PLATFORM}): repos=1 latest=1.1.0 versions=1.0.0=1"),
            format!("lib-a ({SCRATCH}): repos=1 latest=5.0.0 versions=5.0.0=1"),
            "lib-a (unknown): repos=1 latest=0.10.0 versions=0.9.0=1".to_owned(),
        ]
    );
    assert_eq!(
        lag_by_catalog(store, GroupBy::GoldenPath),
        [
            format!("lib-a ({PLATFORM}): adoptions=1 lagging=1"),
            format!("lib-a ({SCRATCH}): adoptions=1 lagging=0"),
            "lib-a (-): adoptions=1 lagging=1".to_owned(),
        ]
    );
    // The check named no catalog, so p1 keeps its adoption's.
    let p1 = store.repos().unwrap().into_iter().next().unwrap();
    assert_eq!(p1.catalog.as_deref(), Some(PLATFORM));
}

/// Older clients recorded a catalog's URL as given, a token and all: the registry keeps none.
fn credentials_in_a_catalog_url_are_never_stored(store: &dyn Store, raw: &Raw) {
    let with_token =
        "git:https://x-access-token:ghs_SECRET123@git.example.com/platform/golden-paths.git";
    store
        .ingest(&batch(vec![
            adopt("p1", "03-01 10:00", New, "lib-a@1.0.0", "payments/-").in_catalog(with_token),
            check("p1", "03-02 10:00", "lib-a@1.0.0", passing()).in_catalog(with_token),
            // An older client sends the repo's origin as configured, a CI job token and all.
            check("p2", "03-02 11:00", "lib-a@1.0.0", passing())
                .with_url("https://gitlab-ci-token:glcbt-SECRET456@gitlab.example.com/a/p2.git"),
        ]))
        .unwrap();
    assert_eq!(store.repos().unwrap()[0].catalog.as_deref(), Some(PLATFORM));
    let urls: Vec<Option<String>> = store
        .repos()
        .unwrap()
        .into_iter()
        .map(|r| r.repo.url)
        .collect();
    assert!(
        urls.contains(&Some("https://gitlab.example.com/a/p2.git".to_owned())),
        "{urls:?}"
    );
    let bodies = raw.event_bodies();
    assert!(!bodies.contains("SECRET123"), "{bodies}");
    assert!(!bodies.contains("SECRET456"), "{bodies}");
    assert!(bodies.contains(PLATFORM), "{bodies}");
}

/// A registry that stored adoptions before golden paths had catalogs: the migration gives each
/// repo's golden path the catalog its newest adoption named.
fn the_catalog_migration_reads_the_stored_adoptions(store: &dyn Store, raw: &Raw) {
    #[rustfmt::skip]
    let events = vec![
        adopt("p1", "03-01 10:00", New, "lib-a@1.0.0", "payments/-").in_catalog(SCRATCH),
        adopt("p1", "03-02 10:00", Apply, "lib-a@1.0.0", "payments/-").in_catalog(PLATFORM),
        adopt("p1", "03-02 11:00", New, "lib-b@2.0.0", "payments/-"),
        check("p2", "03-02 12:00", "lib-a@1.0.0", passing().lag(Lag::None, "1.0.0")),
    ];
    store.ingest(&batch(events)).unwrap();
    // The database as it was before the migration: no catalog columns (and so no admin log,
    // the migration after it).
    let catalog_migration = raw.last_migration() - 1;
    for sql in [
        "ALTER TABLE repo_golden_paths DROP COLUMN catalog",
        "ALTER TABLE repo_golden_paths DROP COLUMN catalog_at",
        "ALTER TABLE repo_golden_paths DROP COLUMN catalog_by",
        "ALTER TABLE conformance DROP COLUMN catalog",
        "DROP TABLE admin_log",
        &format!("DELETE FROM schema_migrations WHERE version >= {catalog_migration}"),
    ] {
        raw.execute(sql);
    }
    assert_eq!(
        store.migrate().unwrap(),
        2,
        "the catalog's and the admin log's"
    );
    let catalogs: Vec<String> = store
        .repos()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}: {}",
                r.repo.name,
                r.golden_path,
                r.catalog.as_deref().unwrap_or("unknown")
            )
        })
        .collect();
    assert_eq!(
        catalogs,
        [
            format!("p1 lib-a: {PLATFORM}"),
            "p1 lib-b: builtin".to_owned(),
            "p2 lib-a: unknown".to_owned(),
        ]
    );
    // And newer events still merge by time: an older adoption does not take the catalog back.
    store
        .ingest(&batch(vec![
            adopt("p1", "03-01 12:00", Apply, "lib-a@1.0.0", "payments/-").in_catalog(SCRATCH),
        ]))
        .unwrap();
    assert_eq!(store.repos().unwrap()[0].catalog.as_deref(), Some(PLATFORM));
}

fn tokens_are_created_verified_listed_and_revoked(store: &dyn Store, raw: &Raw) {
    assert_eq!(store.list_tokens().unwrap(), []);
    let ci = store.create_token("ci", &[Scope::Write]).unwrap();
    let admin = store
        .create_token("platform lead", &[Scope::Admin, Scope::Read, Scope::Admin])
        .unwrap();
    assert!(
        ci.secret.starts_with("pave_") && ci.secret.len() == 69,
        "{}",
        ci.secret
    );
    assert_ne!(ci.secret, admin.secret);

    let verified = store.verify_token(&ci.secret).unwrap().unwrap();
    assert_eq!(
        verified,
        TokenInfo {
            id: ci.id.clone(),
            name: "ci".into(),
            scopes: vec![Scope::Write],
        }
    );
    assert!(verified.allows(Scope::Write));
    assert!(!verified.allows(Scope::Read), "write does not imply read");
    let lead = store.verify_token(&admin.secret).unwrap().unwrap();
    assert_eq!(lead.scopes, [Scope::Read, Scope::Admin]);
    assert!(lead.allows(Scope::Write), "admin may do everything");

    // Wrong, malformed and empty secrets: no token.
    let mut wrong = ci.secret.clone();
    wrong.replace_range(10..11, if &wrong[10..11] == "0" { "1" } else { "0" });
    for secret in [wrong.as_str(), "", "pave_", "Bearer x", &ci.secret[5..]] {
        assert_eq!(store.verify_token(secret).unwrap(), None, "{secret:?}");
    }

    // Only the hash is stored.
    let rows = raw.token_rows();
    assert_eq!(rows.len(), 2);
    let table = rows.join("\n");
    for secret in [&ci.secret, &admin.secret] {
        assert!(
            !table.contains(secret.as_str()),
            "the secret is stored:\n{table}"
        );
        assert!(
            !table.contains(&secret[5..]),
            "the secret is stored:\n{table}"
        );
        assert!(
            table.contains(&token_hash(secret)),
            "the hash is missing:\n{table}"
        );
    }

    let listed = store.list_tokens().unwrap();
    let names: Vec<(&str, &str, bool)> = listed
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str(), t.revoked_at.is_some()))
        .collect();
    assert_eq!(
        names,
        [
            (ci.id.as_str(), "ci", false),
            (admin.id.as_str(), "platform lead", false)
        ]
    );
    assert_eq!(listed[1].scopes, [Scope::Read, Scope::Admin]);
    let age = Timestamp::now().duration_since(listed[0].created_at);
    assert!(age.as_secs() < 60, "created just now: {age:?}");

    assert!(store.revoke_token(&ci.id).unwrap());
    assert_eq!(store.verify_token(&ci.secret).unwrap(), None, "revoked");
    assert!(store.verify_token(&admin.secret).unwrap().is_some());
    let revoked_at = store.list_tokens().unwrap()[0].revoked_at.unwrap();
    assert!(
        store.revoke_token(&ci.id).unwrap(),
        "revoking again is fine"
    );
    assert_eq!(
        store.list_tokens().unwrap()[0].revoked_at,
        Some(revoked_at),
        "and keeps the first time"
    );
    assert!(!store.revoke_token("no-such-token").unwrap());

    for (name, scopes, field) in [
        ("", &[Scope::Read][..], "name"),
        ("  ", &[Scope::Read][..], "name"),
        ("ci", &[][..], "scopes"),
    ] {
        match store.create_token(name, scopes) {
            Err(StoreError::Invalid(invalid)) => assert_eq!(invalid.field, field),
            other => panic!("{name:?} {scopes:?}: {other:?}"),
        }
    }
    assert_eq!(store.list_tokens().unwrap().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Deleting, pruning, the admin log

/// The fleet's repos but `gone`.
fn expected_repos_without(gone: &str) -> Vec<&'static str> {
    let prefix = format!("acme/{gone} ");
    expected_repos()
        .into_iter()
        .filter(|line| !line.starts_with(&prefix))
        .collect()
}

fn sre() -> Actor {
    Actor::Token {
        id: "0192-sre".into(),
        name: "sre on call".into(),
    }
}

fn deleting_a_repo_removes_its_events_and_state_in_one_logged_step(store: &dyn Store, raw: &Raw) {
    store.ingest(&batch(fleet())).unwrap();
    assert_eq!(raw.events_of("acme/b"), 2);

    // A dry run says what would go and changes nothing.
    let preview = store.delete_repo("acme/b", &sre(), true).unwrap();
    assert!(preview.dry_run);
    assert_eq!(
        (
            preview.entry.target.as_str(),
            preview.entry.repos,
            preview.entry.events
        ),
        ("acme/b", 1, 2)
    );
    assert_reads_back_the_fleet(store);
    assert_eq!(store.admin_log().unwrap(), [], "a dry run is not logged");

    let removal = store.delete_repo("acme/b", &sre(), false).unwrap();
    assert!(!removal.dry_run);
    let entry = &removal.entry;
    assert_eq!(
        (
            entry.action,
            entry.target.as_str(),
            entry.repos,
            entry.events,
            entry.before
        ),
        (AdminAction::DeleteRepo, "acme/b", 1, 2, None)
    );
    assert_eq!(entry.actor, sre());
    assert_eq!(entry.id.get_version_num(), 7);
    assert!(
        Timestamp::now().duration_since(entry.at).as_secs() < 60,
        "{entry:?}"
    );
    assert_eq!(
        store.admin_log().unwrap(),
        std::slice::from_ref(entry),
        "logged as returned"
    );

    // Nothing of b is left: not its events, not its rows, not in any figure.
    assert_eq!(raw.events_of("acme/b"), 0);
    assert_eq!(raw.count("SELECT count(*) FROM events"), 15);
    assert_eq!(repos(store), expected_repos_without("b"));
    assert_eq!(
        stats(store, GroupBy::Team)[0],
        "payments: repos=1 adoptions=1 conforming=1 drifted=0 unchecked=0 lagging=0",
        "b was payments' drifted repo"
    );
    let fleet = store.stats(GroupBy::GoldenPath).unwrap().fleet;
    assert_eq!((fleet.adopted, fleet.repos), (5, 6));
    assert_eq!(
        daily(store, 1, date(2025, 3, 5)),
        [(date(2025, 3, 5), 1, 5)],
        "its first adoption no longer counts"
    );
    for table in ["repos", "repo_golden_paths", "conformance"] {
        assert_eq!(
            raw.count(&format!(
                "SELECT count(*) FROM {table} WHERE repo_id = 'acme/b'"
            )),
            0,
            "{table}"
        );
    }

    // Gone is gone: a second deletion names the repo as unknown, and changes nothing.
    match store.delete_repo("acme/b", &sre(), false) {
        Err(StoreError::UnknownRepo(repo)) => assert_eq!(repo, "acme/b"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.admin_log().unwrap().len(), 1);
    // A repo that reports again is a repo again.
    store
        .ingest(&batch(vec![check(
            "b",
            "03-06 00:00",
            "rust-service@1.1.0",
            passing(),
        )]))
        .unwrap();
    assert_eq!(store.repos().unwrap().len(), 6);
}

fn a_repo_is_deleted_by_its_url_unless_several_have_it(store: &dyn Store, raw: &Raw) {
    store.ingest(&batch(fleet())).unwrap();
    // The URL the registry shows for b (its newest event named it).
    let removal = store
        .delete_repo("https://git.example.com/acme/b.git", &Actor::Local, false)
        .unwrap();
    assert_eq!(
        removal.entry.target, "acme/b",
        "the log names the id, not the URL"
    );
    assert_eq!(raw.events_of("acme/b"), 0);

    // Two repos with one URL (one audited before it adopted, a fork): neither is guessed.
    let url = "https://git.example.com/acme/twin.git";
    store
        .ingest(&batch(vec![
            audit("x", "03-06 00:00", Unadopted, None).with_url(url),
            audit("y", "03-06 00:00", Unadopted, None).with_url(url),
        ]))
        .unwrap();
    match store.delete_repo(url, &Actor::Local, false) {
        Err(StoreError::AmbiguousRepo { url: said, ids }) => {
            assert_eq!(said, url);
            assert_eq!(ids, ["acme/x", "acme/y"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((raw.events_of("acme/x"), raw.events_of("acme/y")), (1, 1));
    store.delete_repo("acme/x", &Actor::Local, false).unwrap();
    assert_eq!(
        store
            .delete_repo(url, &Actor::Local, false)
            .unwrap()
            .entry
            .target,
        "acme/y",
        "one repo left with that URL"
    );

    match store.delete_repo("acme/nope", &Actor::Local, false) {
        Err(StoreError::UnknownRepo(repo)) => assert_eq!(repo, "acme/nope"),
        other => panic!("{other:?}"),
    }
    for bad in ["", "  ", "acme/a\nacme/b"] {
        match store.delete_repo(bad, &Actor::Local, false) {
            Err(StoreError::Invalid(invalid)) => assert_eq!(invalid.field, "repo", "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert_eq!(store.admin_log().unwrap().len(), 3, "b, x and y");
}

/// `describe` without the first-adoption time: the one fact a rebuild from the pruned log
/// cannot know (it is kept in the current state, not in an event).
fn facts(store: &dyn Store) -> Vec<String> {
    let adopted = regex_lite::Regex::new(" adopted=[^ ]+").unwrap();
    repos(store)
        .iter()
        .map(|line| adopted.replace(line, "").into_owned())
        .collect()
}

fn pruning_keeps_the_current_state_of_repos_still_reporting(store: &dyn Store, raw: &Raw) {
    store.ingest(&batch(fleet())).unwrap();
    let before = at(&march("03-04 00:00"));

    let preview = store.prune("1y", before, &Actor::Local, true).unwrap();
    assert_eq!((preview.entry.repos, preview.entry.events), (1, 3));
    assert_eq!(raw.count("SELECT count(*) FROM events"), 17, "a dry run");

    let removal = store.prune("1y", before, &Actor::Local, false).unwrap();
    let entry = &removal.entry;
    assert_eq!(
        (entry.action, entry.target.as_str(), entry.before),
        (AdminAction::Prune, "1y", Some(before))
    );
    // e was last heard of before the cutoff: gone with its one event. The others lose their
    // older events (a: its first adoption and a late check), but not those their state rests
    // on (a's upgrade names its team and train; c's adoption, the catalog of its golden path).
    assert_eq!((entry.repos, entry.events), (1, 3));
    assert_eq!(raw.count("SELECT count(*) FROM events"), 14);
    assert_eq!(raw.events_of("acme/e"), 0);
    assert_eq!(raw.events_of("acme/a"), 2);

    // Every repo still reporting reads exactly as before the prune.
    assert_eq!(repos(store), expected_repos_without("e"));
    let fleet = store.stats(GroupBy::GoldenPath).unwrap().fleet;
    assert_eq!((fleet.adopted, fleet.repos), (5, 6));

    // And the events kept rebuild that state: the log still tells each repo's newest facts.
    let dir = tempfile::tempdir().unwrap();
    let rebuilt = SqliteStore::open(&dir.path().join("rebuilt.db")).unwrap();
    rebuilt.migrate().unwrap();
    rebuilt.ingest(&batch(raw.events())).unwrap();
    assert_eq!(facts(&rebuilt), facts(store));

    assert_eq!(store.admin_log().unwrap(), std::slice::from_ref(entry));
}

fn a_retention_pass_that_removes_nothing_is_not_logged(store: &dyn Store, _: &Raw) {
    store.ingest(&batch(fleet())).unwrap();
    let before = at(&march("03-01 00:00"));
    let pass = store
        .prune("400d", before, &Actor::Retention, false)
        .unwrap();
    assert_eq!((pass.entry.repos, pass.entry.events), (0, 0));
    assert_eq!(
        store.admin_log().unwrap(),
        [],
        "an hourly pass with nothing to say"
    );

    // A person's prune is logged even when it removes nothing: someone asked for it.
    store.prune("400d", before, &Actor::Local, false).unwrap();
    // A retention pass that removes something is logged as the retention's.
    let later = at(&march("03-04 00:00"));
    let pass = store
        .prune("400d", later, &Actor::Retention, false)
        .unwrap();
    let log: Vec<(Actor, u64, u64)> = store
        .admin_log()
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.repos, e.events))
        .collect();
    assert_eq!(log, [(Actor::Local, 0, 0), (Actor::Retention, 1, 3)]);
    assert_eq!(pass.entry.events, 3);
    assert_eq!(repos(store), expected_repos_without("e"));
}

/// A registry made before the admin log existed (SQLite schema 4) migrates in place: its events
/// and state stay, and deletion, pruning and the log work on it.
#[test]
fn an_existing_sqlite_registry_gains_the_admin_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let old = SqliteStore::open(&path).unwrap();
    assert_eq!(old.migrate_to(4).unwrap(), 4);
    old.ingest(&batch(fleet())).unwrap();
    drop(old);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.migrate().unwrap(),
        1,
        "only the admin log's migration"
    );
    gains_the_admin_log(&store);
}

/// The same on PostgreSQL, from schema 5.
#[test]
fn an_existing_postgresql_registry_gains_the_admin_log() {
    in_a_fresh_schema(|store, _| {
        assert_eq!(store.migrate_to(5).unwrap(), 5);
        store.ingest(&batch(fleet())).unwrap();
        assert_eq!(
            store.migrate().unwrap(),
            1,
            "only the admin log's migration"
        );
        gains_the_admin_log(store);
    });
}

fn gains_the_admin_log(store: &dyn Store) {
    assert_reads_back_the_fleet(store);
    assert_eq!(store.admin_log().unwrap(), []);
    store.delete_repo("acme/b", &Actor::Local, false).unwrap();
    store
        .prune("1y", at(&march("03-04 00:00")), &Actor::Local, false)
        .unwrap();
    let actions: Vec<AdminAction> = store
        .admin_log()
        .unwrap()
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, [AdminAction::DeleteRepo, AdminAction::Prune]);
    assert_eq!(store.migrate().unwrap(), 0);
}

/// `sslmode` read the libpq way: the default (`prefer`) and `require` encrypt — this machine's
/// PostgreSQL offers TLS with a self-signed certificate —, `disable` does not, and `verify-full`
/// refuses a certificate that no trusted root signed.
#[test]
fn postgres_connections_use_tls_as_sslmode_says() {
    let Some(url) = database_url() else { return };
    let with = |mode: &str| {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}sslmode={mode}")
    };
    let encrypted = |url: &str| -> bool {
        let mut client = pave_registry::store::postgres::connect_client(url).unwrap();
        client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0)
    };
    assert!(!encrypted(&with("disable")));
    let mut plain = pave_registry::store::postgres::connect_client(&with("disable")).unwrap();
    let offered: String = plain.query_one("SHOW ssl", &[]).unwrap().get(0);
    if offered != "on" {
        assert!(encrypted(&url), "prefer falls back to plain text");
        let _ = writeln!(
            std::io::stderr(),
            "this PostgreSQL does not offer TLS (ssl = {offered}); its TLS half is skipped"
        );
        return;
    }
    assert!(encrypted(&url), "prefer, the default, encrypts");
    assert!(encrypted(&with("require")));
    let refused = pave_registry::store::postgres::connect_client(&with("verify-full"))
        .err()
        .expect("a self-signed certificate is not trusted")
        .to_string();
    assert!(refused.contains("certificate"), "{refused}");

    // Debian's PostgreSQL serves its snake-oil certificate, issued to `localhost`: trusted as the
    // root, it passes `verify-full` for that name.
    let snakeoil = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    if Path::new(snakeoil).is_file() && url.contains("@127.0.0.1:") {
        let by_name = url.replacen("@127.0.0.1:", "@localhost:", 1);
        let separator = if by_name.contains('?') { '&' } else { '?' };
        assert!(encrypted(&format!(
            "{by_name}{separator}sslmode=verify-full&sslrootcert={snakeoil}"
        )));
    }
}
