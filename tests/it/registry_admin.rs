//! An SRE's side of the registry, through the CLI: `pave registry repos delete`, `pave registry
//! prune` and `pave registry log` on a database directly (`--database`, SQLite and, with
//! `PAVE_TEST_DATABASE_URL`, PostgreSQL) and on a running registry's API with an admin token;
//! `pave registry serve --retention` (and `[registry] retention`) applied at start; and every
//! bad input: exit 2, a message naming the flag or field, nothing removed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pave_registry::model::Batch;
use pave_registry::store::Database;
use serde_json::{Value, json};

use crate::registry_server::{Child, free_port, http};
use crate::support::{pave, pave_std};

// ---------------------------------------------------------------------------------------------
// A registry with three repos

const PAYMENTS_URL: &str = "https://git.example.com/acme/payments.git";

/// `github.com/acme/<repo>`.
fn id(repo: &str) -> String {
    format!("github.com/acme/{repo}")
}

fn event(n: u32, repo: &str, at: jiff::Timestamp, kind: Value) -> Value {
    let mut event = json!({
        "id": format!("01920000-0000-7000-8000-{n:012}"),
        "occurred_at": at.to_string(),
        "repo_id": id(repo),
        "repo": {"name": repo},
    });
    event
        .as_object_mut()
        .unwrap()
        .extend(kind.as_object().unwrap().clone());
    event
}

fn adoption() -> Value {
    json!({"kind": "adoption", "command": "new", "golden_path": "rust-service",
           "version": "1.0.0", "catalog": "builtin", "team": "payments"})
}

fn check() -> Value {
    json!({"kind": "conformance", "golden_path": "rust-service", "version": "1.0.0",
           "conforming": true, "drifted_files": 0, "missing_files": 0, "edited_files": 0})
}

/// Three repos, six events:
/// - `old`: adopted in 2020, never heard of since (a 400-day retention removes it);
/// - `live`: adopted in 2020, checked in 2020 and an hour ago (retention removes the 2020 check,
///   keeps the adoption its team comes from);
/// - `payments`: adopted and checked an hour ago, from a clone whose origin is
///   [`PAYMENTS_URL`].
fn seed(database: &str) {
    let now = jiff::Timestamp::now();
    let hour_ago = now - jiff::SignedDuration::from_hours(1);
    let in_2020 = |month: i8| {
        jiff::civil::date(2020, month, 1)
            .at(12, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
    };
    let mut payments_check = event(6, "payments", hour_ago, check());
    payments_check["repo"]["url"] = json!(PAYMENTS_URL);
    let events = json!({"events": [
        event(1, "old", in_2020(1), adoption()),
        event(2, "live", in_2020(1), adoption()),
        event(3, "live", in_2020(6), check()),
        event(4, "live", hour_ago, check()),
        event(5, "payments", hour_ago, adoption()),
        payments_check,
    ]});
    let batch: Batch = serde_json::from_value(events).unwrap();
    let store = Database::parse(database).unwrap().open().unwrap();
    store.migrate().unwrap();
    assert_eq!(store.ingest(&batch).unwrap().accepted, 6);
}

/// The repos on a golden path a database holds, and how many repos it has seen.
fn held(database: &str) -> (Vec<String>, usize) {
    let store = Database::parse(database).unwrap().open().unwrap();
    let mut ids: Vec<String> = store
        .repos()
        .unwrap()
        .into_iter()
        .map(|r| r.repo_id)
        .collect();
    ids.dedup();
    let fleet = store
        .stats(pave_registry::model::GroupBy::GoldenPath)
        .unwrap()
        .fleet;
    (ids, fleet.repos as usize)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn run(args: &[&str]) -> std::process::Output {
    pave().args(args).output().unwrap()
}

/// Exit 2, and every one of `said` on stderr.
fn refused(output: &std::process::Output, said: &[&str]) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    for part in said {
        assert!(text.contains(part), "expected {part:?} in:\n{text}");
    }
}

fn succeeded(output: &std::process::Output) -> String {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    text
}

// ---------------------------------------------------------------------------------------------
// On a database directly

/// Delete, prune and log on `database` with `--database`: recorded as `local`.
fn deletes_prunes_and_logs_on(database: &str) {
    seed(database);
    let all = (vec![id("live"), id("old"), id("payments")], 3);
    assert_eq!(held(database), all);
    let db = ["--database", database];
    let delete = |repo: &str, extra: &[&str]| {
        let mut args = vec!["registry", "repos", "delete", repo];
        args.extend(db);
        args.extend(extra);
        run(&args)
    };

    // No terminal to ask on, no --yes: refused, nothing removed.
    refused(
        &delete(&id("payments"), &[]),
        &[
            "refusing to delete the repo without --yes",
            "nothing was removed",
            "hint: add --yes",
        ],
    );
    let text = succeeded(&delete(&id("payments"), &["--dry-run"]));
    assert!(
        text.contains("Would delete repo github.com/acme/payments from the database"),
        "{text}"
    );
    assert!(text.contains(": 2 events; nothing was removed"), "{text}");
    assert_eq!(held(database), all);

    // By the URL the registry shows: the repo's id is what is said and logged.
    let text = succeeded(&delete(PAYMENTS_URL, &["--yes"]));
    assert!(
        text.contains("Deleted repo github.com/acme/payments from the database"),
        "{text}"
    );
    assert!(text.contains("2 events and its current state"), "{text}");
    assert_eq!(held(database), (vec![id("live"), id("old")], 2));
    refused(
        &delete(&id("payments"), &["--yes"]),
        &[
            "error: no repo has the id or URL `github.com/acme/payments`",
            "hint: name the repo by its id: `repo_id` in its .pave/lock.yaml",
        ],
    );
    refused(&delete(" ", &["--yes"]), &["repo: must not be empty"]);

    let prune = |extra: &[&str]| {
        let mut args = vec!["registry", "prune", "--older-than", "400d"];
        args.extend(db);
        args.extend(extra);
        run(&args)
    };
    refused(
        &prune(&[]),
        &["refusing to prune the registry without --yes"],
    );
    let text = succeeded(&prune(&["--dry-run"]));
    assert!(
        text.contains("Would prune 1 repo and 2 events older than 400d (before 20"),
        "{text}"
    );
    let text = succeeded(&prune(&["--yes"]));
    assert!(
        text.contains("Pruned 1 repo and 2 events older than 400d"),
        "{text}"
    );
    assert_eq!(
        held(database),
        (vec![id("live")], 1),
        "live keeps its state"
    );

    let log = run(&["registry", "log", "--database", database]);
    succeeded(&log);
    let text = String::from_utf8(log.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        rows[0],
        ["AT", "ACTOR", "ACTION", "TARGET", "REPOS", "EVENTS", "ID"]
    );
    assert_eq!(
        rows[1][1..6],
        ["local", "delete-repo", "github.com/acme/payments", "1", "2"]
    );
    assert_eq!(rows[2][1..3], ["local", "prune"]);
    assert!(rows[2][3].starts_with("older than 400d (before "), "{text}");
    assert_eq!(rows[2][4..6], ["1", "2"]);
    assert_eq!(
        rows.len(),
        3,
        "dry runs and refusals are not logged: {text}"
    );

    let log = run(&[
        "registry",
        "log",
        "--format",
        "json",
        "--database",
        database,
    ]);
    let json: Value = serde_json::from_slice(&log.stdout).unwrap();
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["actor"], json!({"kind": "local"}));
    assert_eq!(entries[1]["action"], "prune");
}

#[test]
fn an_sre_deletes_prunes_and_reads_the_log_on_a_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    deletes_prunes_and_logs_on(&format!(
        "sqlite:{}",
        dir.path().join("registry.sqlite").display()
    ));
}

#[test]
fn an_sre_deletes_prunes_and_reads_the_log_on_a_postgresql_database() {
    let Some(database) = PostgresDatabase::new() else {
        return;
    };
    deletes_prunes_and_logs_on(&database.url);
}

/// A PostgreSQL database of its own from `PAVE_TEST_DATABASE_URL`, dropped afterwards; `None`
/// outside CI without the variable.
struct PostgresDatabase {
    admin: postgres::Client,
    name: String,
    url: String,
}

impl PostgresDatabase {
    fn new() -> Option<Self> {
        let url = crate::registry_store::database_url()?;
        let name = format!("pave_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(Self { admin, name, url })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// On a terminal, without `--yes`, a person is asked (saying how much would go) and only a yes
/// deletes. Driven through a real pseudo-terminal.
#[test]
fn on_a_terminal_a_deletion_is_asked_first() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.sqlite").display());
    seed(&database);
    let ask = |answer: &str| {
        let mut cmd = pave_std();
        cmd.args([
            "registry",
            "repos",
            "delete",
            &id("payments"),
            "--database",
            &database,
        ]);
        let mut session = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
        session
            .exp_string("Delete repo github.com/acme/payments from the database")
            .unwrap();
        session
            .exp_string(": 2 events and its current state?")
            .unwrap();
        session.send_line(answer).unwrap();
        let rest = session.exp_eof().unwrap();
        let status = session.process().wait().unwrap();
        (rest, status)
    };
    let (said, status) = ask("n");
    assert!(
        said.contains("did not delete the repo: not confirmed"),
        "{said}"
    );
    // nix's `WaitStatus::Exited(pid, code)`, which rexpect does not re-export.
    let status = format!("{status:?}");
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 2)"),
        "{status}"
    );
    assert_eq!(held(&database).1, 3, "nothing removed");
    let (said, _) = ask("y");
    assert!(
        said.contains("Deleted repo github.com/acme/payments"),
        "{said}"
    );
    assert_eq!(held(&database).1, 2);
}

#[test]
fn a_missing_database_or_an_off_registry_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.sqlite");
    refused(
        &run(&[
            "registry",
            "prune",
            "--older-than",
            "400d",
            "--yes",
            "--database",
            &missing.display().to_string(),
        ]),
        &["no registry database at", "hint: check --database"],
    );
    assert!(!missing.exists(), "not created");
    let output = pave()
        .env("PAVE_REGISTRY_URL", "off")
        .args(["registry", "log"])
        .output()
        .unwrap();
    refused(
        &output,
        &[
            "the registry url is `off` and no --database is given",
            "hint: pass --database",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Bad periods

#[test]
fn a_bad_period_names_the_flag_and_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("r.sqlite").display());
    for (command, flag) in [("prune", "--older-than"), ("serve", "--retention")] {
        for (bad, why) in [
            ("0d", "`0d` keeps nothing"),
            ("abc", "`abc` is not a period"),
            ("400", "`400` is not a period"),
            ("-3d", "`-3d` is negative"),
            ("1h", "`1h` is shorter than a day"),
        ] {
            refused(
                &run(&[
                    "registry",
                    command,
                    &format!("{flag}={bad}"),
                    "--database",
                    &database,
                ]),
                &[
                    &format!("invalid value '{bad}' for '{flag} <PERIOD>'"),
                    why,
                    "give a period such as 400d, 52w or 1y",
                ],
            );
        }
    }
    // The variable is the flag's: said as the flag.
    let output = pave()
        .env("PAVE_REGISTRY_RETENTION", "forever")
        .args(["registry", "serve", "--database", &database])
        .output()
        .unwrap();
    refused(
        &output,
        &["for '--retention <PERIOD>'", "`forever` is not a period"],
    );
    // In config.toml: the file, the line, the key.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[registry]\n\nretention = \"0d\"\n").unwrap();
    let output = pave()
        .env("PAVE_CONFIG", &config)
        .args(["registry", "serve", "--database", &database])
        .output()
        .unwrap();
    refused(
        &output,
        &[
            &format!(
                "{}:3: registry retention: `0d` keeps nothing",
                config.display()
            ),
            "hint: [registry] takes",
            "retention = \"400d\"",
        ],
    );
    assert!(
        !dir.path().join("r.sqlite").exists(),
        "refused before any database was made"
    );
}

// ---------------------------------------------------------------------------------------------
// The real server

/// `pave registry serve` on a free port, its stderr (the server's log) kept in a file.
struct Served {
    addr: String,
    log: PathBuf,
    child: Option<Child>,
}

impl Served {
    fn start(database: &str, dir: &Path, extra: &[&str]) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.join(format!("server-{}.log", free_port()));
        let child = pave_std()
            .args([
                "registry",
                "serve",
                "--listen",
                &addr,
                "--database",
                database,
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let served = Self {
            addr,
            log,
            child: Some(Child(child)),
        };
        let started = Instant::now();
        while http(&served.addr, "GET", "/healthz", None, "").map_or(0, |(status, _)| status) != 200
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server never became healthy: {}",
                served.log_text()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
        served
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn get(&self, path: &str, token: Option<&str>) -> Value {
        let (status, body) = http(&self.addr, "GET", path, token, "").unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    fn repo_ids(&self) -> Vec<String> {
        self.get("/api/v1/repos", None)["repos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["repo_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Stops the server (SIGKILL is enough: its log is written line by line) and returns its log.
    fn stop(&mut self) -> String {
        drop(self.child.take());
        self.log_text()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn token(database: &str, name: &str, scope: &str) -> String {
    let output = run(&[
        "registry",
        "token",
        "create",
        "--name",
        name,
        "--scope",
        scope,
        "--database",
        database,
    ]);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// `pave` pointed at a registry with a token.
fn remote(server: &Served, token: Option<&str>) -> assert_cmd::Command {
    let mut cmd = pave();
    cmd.env("PAVE_REGISTRY_URL", server.url());
    if let Some(token) = token {
        cmd.env("PAVE_REGISTRY_TOKEN", token);
    }
    cmd
}

#[test]
fn an_sre_deletes_and_prunes_through_the_registrys_api_with_an_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.sqlite").display());
    seed(&database);
    let write = token(&database, "ci", "write");
    let admin = token(&database, "sre on call", "admin");
    let mut server = Served::start(&database, dir.path(), &[]);
    let delete = |token: Option<&str>, repo: &str| {
        remote(&server, token)
            .args(["registry", "repos", "delete", repo, "--yes"])
            .output()
            .unwrap()
    };

    refused(
        &delete(Some(&write), &id("payments")),
        &[
            "error: cannot delete the repo:",
            "refused the token (403: the token lacks the `admin` scope)",
            "hint: set a token with the `admin` scope in PAVE_REGISTRY_TOKEN",
        ],
    );
    refused(
        &delete(None, &id("payments")),
        &[
            "no token is set for the registry",
            "hint: set a token with the `admin` scope in PAVE_REGISTRY_TOKEN",
        ],
    );
    refused(
        &delete(Some(&admin), &id("nope")),
        &[
            "error: cannot delete the repo: no repo has the id or URL `github.com/acme/nope`",
            "hint: name the repo by its id",
        ],
    );
    assert_eq!(server.repo_ids().len(), 3, "nothing removed");

    // By its URL, which travels percent-encoded as one path segment.
    let text = succeeded(&delete(Some(&admin), PAYMENTS_URL));
    assert!(
        text.contains(&format!(
            "Deleted repo github.com/acme/payments from the registry {}: 2 events",
            server.url()
        )),
        "{text}"
    );
    assert_eq!(server.repo_ids(), [id("live"), id("old")]);
    let stats = server.get("/api/v1/stats", None);
    assert_eq!(stats["fleet"], json!({"repos": 2, "adopted": 2}), "{stats}");

    let text = succeeded(
        &remote(&server, Some(&admin))
            .args(["registry", "prune", "--older-than", "400d", "--yes"])
            .output()
            .unwrap(),
    );
    assert!(
        text.contains("Pruned 1 repo and 2 events older than 400d"),
        "{text}"
    );
    assert_eq!(server.repo_ids(), [id("live")]);

    let log = remote(&server, Some(&admin))
        .args(["registry", "log"])
        .output()
        .unwrap();
    succeeded(&log);
    let text = String::from_utf8(log.stdout).unwrap();
    let actors: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(actors.len(), 2, "{text}");
    assert!(
        actors.iter().all(|a| a.starts_with("token sre on call (")),
        "{text}"
    );
    refused(
        &remote(&server, Some(&write))
            .args(["registry", "log"])
            .output()
            .unwrap(),
        &[
            "cannot read the admin log",
            "the token lacks the `admin` scope",
        ],
    );

    // The server's own log: each removal as a JSON line, and the repo's URL nowhere.
    let logged = server.stop();
    let lines: Vec<Value> = logged
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let removals: Vec<&Value> = lines.iter().filter_map(|l| l.get("admin_log")).collect();
    assert_eq!(removals.len(), 2, "{logged}");
    assert_eq!(removals[0]["target"], id("payments"));
    assert_eq!(removals[0]["actor"]["name"], "sre on call");
    assert_eq!(removals[1]["action"], "prune");
    assert!(
        lines
            .iter()
            .any(|l| l["method"] == "DELETE" && l["path"] == "/api/v1/repos/{repo}"),
        "{logged}"
    );
    assert!(!logged.contains("git.example.com"), "{logged}");
}

#[test]
fn serve_applies_its_retention_before_it_listens() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.sqlite").display());
    seed(&database);
    let mut server = Served::start(&database, dir.path(), &["--retention", "400d"]);
    // Answering means pruned: the repo silent since 2020 is gone, the others read as before.
    assert_eq!(server.repo_ids(), [id("live"), id("payments")]);
    let log = server.stop();
    assert!(
        log.contains("Retention events older than 400d and repos not heard of since are pruned now and every 60 minutes"),
        "{log}"
    );
    let removal: Value = log
        .lines()
        .find(|l| l.contains("\"admin_log\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap_or_else(|| panic!("no admin_log line: {log}"));
    assert_eq!(removal["admin_log"]["actor"], json!({"kind": "retention"}));
    assert_eq!(
        (
            removal["admin_log"]["repos"].as_u64(),
            removal["admin_log"]["events"].as_u64()
        ),
        (Some(1), Some(2))
    );

    // A second start has nothing left to prune: nothing more is logged. The config file's
    // retention is used when no flag gives one.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[registry]\nretention = \"400d\"\n").unwrap();
    let output = run(&[
        "registry",
        "log",
        "--database",
        &database,
        "--format",
        "json",
    ]);
    let before: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(before["entries"].as_array().unwrap().len(), 1);
    let addr = format!("127.0.0.1:{}", free_port());
    let child = pave_std()
        .args([
            "registry",
            "serve",
            "--listen",
            &addr,
            "--database",
            &database,
        ])
        .env("PAVE_CONFIG", &config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Child(child);
    let started = Instant::now();
    while http(&addr, "GET", "/healthz", None, "").map_or(0, |(status, _)| status) != 200 {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(30));
    }
    let _ = child.0.kill();
    let output = std::mem::replace(&mut child.0, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("events older than 400d"),
        "from the file: {text}"
    );
    let output = run(&[
        "registry",
        "log",
        "--database",
        &database,
        "--format",
        "json",
    ]);
    let after: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(after, before, "an empty pass is not logged");
}
