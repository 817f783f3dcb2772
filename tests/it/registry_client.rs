//! The registry client end to end: the real `pave registry serve` on a free loopback port, the
//! CLI recording into it (`new`, `apply`, `upgrade`, `check --report`, `audit --push`), stats read
//! back with `pave stats` and from the API, and everything that can go wrong on the way: a wrong,
//! missing or revoked token, a registry that is down or killed mid-way, a duplicate flush, an
//! event the registry rejects. Without a configured registry, events go to the local one. The
//! whole scenario runs once more on PostgreSQL when `PAVE_TEST_DATABASE_URL` is set.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::registry_server::http;
use crate::support::pave;

/// One developer machine: its own state (spool) and data (local registry) folders, and repos.
struct Machine {
    dir: tempfile::TempDir,
    url: Option<String>,
    token: Option<String>,
}

impl Machine {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            url: None,
            token: None,
        }
    }

    fn pointed_at(server: &Server, token: Option<&str>) -> Self {
        Self {
            url: Some(server.url()),
            token: token.map(str::to_owned),
            ..Self::new()
        }
    }

    fn pave(&self) -> Command {
        let mut cmd = pave();
        cmd.env("PAVE_STATE_DIR", self.dir.path().join("state"))
            .env("PAVE_DATA_DIR", self.dir.path().join("data"));
        if let Some(url) = &self.url {
            cmd.env("PAVE_REGISTRY_URL", url);
        }
        if let Some(token) = &self.token {
            cmd.env("PAVE_REGISTRY_TOKEN", token);
        }
        cmd
    }

    fn repos(&self) -> PathBuf {
        self.dir.path().join("repos")
    }

    fn spool(&self) -> PathBuf {
        self.dir.path().join("state/pave/spool")
    }

    /// Events waiting in the spool.
    fn spooled(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.spool()) else {
            return 0;
        };
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let batch: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
                batch["events"].as_array().unwrap().len()
            })
            .sum()
    }

    /// `pave new rust-service repos/<name>` with a team; returns the repo's folder.
    fn new_repo(&self, name: &str, reference: &str) -> (PathBuf, std::process::Output) {
        let dir = self.repos().join(name);
        let output = self
            .pave()
            .args(["new", reference])
            .arg(&dir)
            .args([
                "--set",
                "team=payments",
                "--set",
                "train=atlas",
                "--set",
                "organization=acme",
                "--no-input",
            ])
            .output()
            .unwrap();
        (dir, output)
    }

    fn stats_json(&self, by: &str) -> Value {
        let output = self
            .pave()
            .args(["stats", "--by", by, "--format", "json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &std::process::Output) -> String {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    text
}

fn repo_id(dir: &Path) -> String {
    pave_model::lock::Lock::read(dir).unwrap().repo_id
}

// ---------------------------------------------------------------------------------------------
// The server

/// The real `pave registry serve`; killed when dropped.
struct Server {
    child: Option<std::process::Child>,
    addr: String,
    database: String,
}

impl Server {
    fn start(database: &str) -> Self {
        let mut server = Self {
            child: None,
            addr: format!("127.0.0.1:{}", free_port()),
            database: database.to_owned(),
        };
        server.restart();
        server
    }

    /// Starts it (again) on the same port and database.
    fn restart(&mut self) {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pave"));
        command.args(["registry", "serve", "--listen", &self.addr]);
        match self.database.strip_prefix("default:") {
            // No --database: the local registry below PAVE_DATA_DIR.
            Some(data_dir) => command.env("PAVE_DATA_DIR", data_dir),
            None => command.args(["--database", &self.database]),
        };
        let child = command
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let started = Instant::now();
        while http(&self.addr, "GET", "/healthz", None, "").map_or(0, |(status, _)| status) != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the server never became healthy"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Kills it at once (no graceful shutdown): a crash, or a pulled plug.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn token(&self, name: &str, scopes: &[&str]) -> String {
        token(&self.database, name, scopes)
    }

    fn get(&self, path: &str) -> Value {
        let (status, body) = http(&self.addr, "GET", path, None, "").unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn token(database: &str, name: &str, scopes: &[&str]) -> String {
    let mut cmd = pave();
    cmd.args(["registry", "token", "create", "--name", name, "--database"])
        .arg(database);
    for scope in scopes {
        cmd.args(["--scope", scope]);
    }
    let output = cmd.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sqlite(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("registry.sqlite").display())
}

/// How many events of `kind` a SQLite registry holds.
fn stored(database: &str, kind: &str) -> i64 {
    let path = database.strip_prefix("sqlite:").unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT count(*) FROM events WHERE kind = ?1",
        [kind],
        |row| row.get(0),
    )
    .unwrap()
}

/// The stats group of `key`.
fn group<'a>(stats: &'a Value, key: &str) -> &'a Value {
    stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key}: {stats}"))
}

// ---------------------------------------------------------------------------------------------
// The whole path, on a given database

/// new, upgrade, apply, check --report and audit --push into `database`'s registry, read back
/// with `pave stats` and the API.
fn records_everything(database: &str) {
    let server = Server::start(database);
    let write = server.token("ci", &["write"]);
    let machine = Machine::pointed_at(&server, Some(&write));

    let (payments, output) = machine.new_repo("payments", "rust-service");
    let text = succeeded(&output);
    assert!(!text.contains("warning"), "{text}");
    let (ledger, output) = machine.new_repo("ledger", "rust-service@1.0.0");
    succeeded(&output);
    assert_eq!(machine.spooled(), 0, "delivered, nothing left behind");

    let stats = machine.stats_json("golden-path");
    let rust = group(&stats, "rust-service");
    assert_eq!(rust["repos"], 2, "{stats}");
    assert_eq!(rust["unchecked"], 2, "{stats}");
    let stats = machine.stats_json("team");
    assert_eq!(group(&stats, "payments")["repos"], 2, "{stats}");
    let stats = machine.stats_json("train");
    assert_eq!(group(&stats, "atlas")["repos"], 2, "{stats}");
    let output = machine
        .pave()
        .args(["stats", "--daily", "3", "--format", "json"])
        .output()
        .unwrap();
    succeeded(&output);
    let daily: Value = serde_json::from_slice(&output.stdout).unwrap();
    let days = daily["days"].as_array().unwrap();
    assert_eq!(days.len(), 3, "{daily}");
    assert_eq!(days[2]["adopted"], 2, "today: {daily}");
    assert_eq!(days[2]["cumulative"], 2, "{daily}");

    let repos = server.get("/api/v1/repos");
    let record = |id: &str| {
        repos["repos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["repo_id"] == id)
            .unwrap_or_else(|| panic!("no repo {id}: {repos}"))
            .clone()
    };
    let first = record(&repo_id(&payments));
    assert_eq!(first["repo"]["name"], "payments");
    assert_eq!(
        first["repo"]["path"],
        std::path::absolute(&payments)
            .unwrap()
            .display()
            .to_string()
    );
    assert_eq!(first["team"], "payments");
    assert_eq!(record(&repo_id(&ledger))["version"], "1.0.0");

    // upgrade: an adoption of the new version.
    succeeded(
        &machine
            .pave()
            .args(["upgrade", "-C"])
            .arg(&ledger)
            .args(["--no-input"])
            .output()
            .unwrap(),
    );
    crate::support::commit_all(&ledger, "upgrade");
    let repos = server.get("/api/v1/repos");
    let ledger_record = repos["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repo_id"] == repo_id(&ledger))
        .unwrap()
        .clone();
    assert_eq!(ledger_record["version"], "1.3.0", "{repos}");

    // check --report: conforming, then drifted; the exit code stays the check's.
    machine
        .pave()
        .args(["check", "--report", "-C"])
        .arg(&payments)
        .assert()
        .code(0);
    let stats = machine.stats_json("golden-path");
    assert_eq!(group(&stats, "rust-service")["conforming"], 1, "{stats}");
    let lock = pave_model::lock::Lock::read(&payments).unwrap();
    let managed = lock.golden_paths[0]
        .files
        .iter()
        .find(|f| f.ownership == pave_model::manifest::Ownership::Managed)
        .unwrap();
    let path = payments.join(managed.path.as_str());
    std::fs::write(&path, "edited\n").unwrap();
    machine
        .pave()
        .args(["check", "--report", "-C"])
        .arg(&payments)
        .assert()
        .code(1);
    let stats = machine.stats_json("golden-path");
    let rust = group(&stats, "rust-service");
    assert_eq!(
        (rust["conforming"].clone(), rust["drifted"].clone()),
        (0.into(), 1.into()),
        "{stats}"
    );

    // audit --push: one event per repo, an unadopted one too.
    let legacy = crate::support::git_repo(&[("README.md", "no golden path\n")]);
    std::fs::rename(legacy.keep(), machine.repos().join("legacy")).unwrap();
    let output = machine
        .pave()
        .args(["audit", "--push", "--offline", "--format", "json"])
        .arg(machine.repos())
        .output()
        .unwrap();
    succeeded(&output);
    let repos = server.get("/api/v1/repos");
    let payments_record = repos["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repo_id"] == repo_id(&payments))
        .unwrap();
    assert_eq!(
        payments_record["audit_status"], "drifted",
        "the lock's repo id: {repos}"
    );
    let audited: Vec<&str> = repos["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["audit_status"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(audited.len(), 2, "{repos}");
    assert!(audited.contains(&"drifted"), "{repos}");
    // The unadopted repo is not on a golden path, but it is in the fleet: the adoption rate.
    let fleet = &server.get("/api/v1/stats")["fleet"];
    assert_eq!(
        (fleet["adopted"].as_u64(), fleet["repos"].as_u64()),
        (Some(2), Some(3)),
        "{fleet}"
    );
    assert_eq!(machine.spooled(), 0);
}

#[test]
fn new_upgrade_check_and_audit_are_recorded_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    records_everything(&database);
    assert_eq!(stored(&database, "audit"), 3, "the unadopted repo too");
    assert_eq!(stored(&database, "adoption"), 3, "two new, one upgrade");
    assert_eq!(stored(&database, "conformance"), 2);
}

#[test]
fn new_upgrade_check_and_audit_are_recorded_on_postgresql() {
    let Ok(url) = std::env::var("PAVE_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PAVE_TEST_DATABASE_URL is not set; CI runs the client on PostgreSQL too"
        );
        return;
    };
    // A database of its own, dropped afterwards: the server connects by URL, so a schema would
    // need a search_path in the URL; a database needs nothing.
    let name = format!("pave_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    struct Dropped(postgres::Client, String);
    impl Drop for Dropped {
        fn drop(&mut self) {
            let _ = self
                .0
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.1));
        }
    }
    let _dropped = Dropped(admin, name.clone());
    let (base, _) = url.rsplit_once('/').unwrap();
    records_everything(&format!("{base}/{name}"));
}

// ---------------------------------------------------------------------------------------------
// When the registry cannot take the events

#[test]
fn a_wrong_missing_or_revoked_token_keeps_events_spooled_until_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start(&database);
    let unknown = format!("pave_{}", "0".repeat(64));
    let revoked = server.token("old", &["write"]);
    let list = pave()
        .args(["registry", "token", "list", "--database", &database])
        .output()
        .unwrap();
    let id = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    pave()
        .args(["registry", "token", "revoke", &id, "--database", &database])
        .assert()
        .success();
    let read_only = server.token("reader", &["read"]);

    let mut machine = Machine::pointed_at(&server, None);
    let cases = [
        (None, "no token is set for the registry"),
        (Some(unknown.as_str()), "unknown or revoked"),
        (Some(revoked.as_str()), "unknown or revoked"),
        (Some(read_only.as_str()), "lacks the `write` scope"),
    ];
    for (i, (token, why)) in cases.iter().enumerate() {
        machine.token = token.map(str::to_owned);
        let (_, output) = machine.new_repo(&format!("repo-{i}"), "rust-service");
        let text = succeeded(&output);
        if token.is_some() {
            assert!(text.contains("refused the token"), "{text}");
        }
        assert!(text.contains(why), "{text}");
        assert!(
            text.contains("PAVE_REGISTRY_TOKEN"),
            "names what to fix: {text}"
        );
        let spooled = match i {
            0 => "1 event is spooled".to_owned(),
            n => format!("{} events are spooled", n + 1),
        };
        assert!(text.contains(&spooled), "{text}");
        assert_eq!(
            text.matches("warning").count(),
            1,
            "one warning line: {text}"
        );
        assert_eq!(machine.spooled(), i + 1);
    }
    assert_eq!(stored(&database, "adoption"), 0);

    machine.token = Some(server.token("ci", &["write"]));
    machine
        .pave()
        .args(["registry", "flush"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("4 new, 0 already there"));
    assert_eq!(machine.spooled(), 0);
    assert_eq!(stored(&database, "adoption"), 4);
}

#[test]
fn a_registry_that_is_down_loses_nothing_and_counts_each_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let mut server = Server::start(&database);
    let write = server.token("ci", &["write"]);
    let machine = Machine::pointed_at(&server, Some(&write));
    server.kill();

    // Down: the scaffold succeeds, quickly, and says where the event is.
    let started = Instant::now();
    let (first, output) = machine.new_repo("alpha", "rust-service");
    let text = succeeded(&output);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(first.join(".pave/lock.yaml").is_file());
    assert!(text.contains("is unreachable"), "{text}");
    assert!(text.contains("1 event is spooled in"), "{text}");
    assert!(text.contains("pave registry flush"), "{text}");
    let (_, output) = machine.new_repo("bravo", "rust-service");
    assert!(stderr(&output).contains("2 events are spooled"));
    machine
        .pave()
        .args(["stats"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "cannot read stats: the registry http://",
        ))
        .stderr(predicate::str::contains(
            "hint: check PAVE_REGISTRY_URL (or `url` in [registry] of config.toml) and that the registry is running",
        ));
    machine
        .pave()
        .args(["registry", "flush"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is unreachable"));
    assert_eq!(machine.spooled(), 2);

    // Back on the same port and database: the flush delivers; a copy of the spool flushed again
    // (a crash between the answer and the removal) is counted once.
    let copy = dir.path().join("spool-copy");
    copy_dir(&machine.spool(), &copy);
    server.restart();
    machine
        .pave()
        .args(["registry", "flush"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("2 new, 0 already there"));
    assert_eq!(machine.spooled(), 0);
    copy_dir(&copy, &machine.spool());
    machine
        .pave()
        .args(["registry", "flush"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 new, 2 already there"));
    assert_eq!(stored(&database, "adoption"), 2);

    // Killed again mid-way: the next recording command sends what the last one spooled.
    server.kill();
    let (_, output) = machine.new_repo("charlie", "rust-service");
    assert!(stderr(&output).contains("1 event is spooled"));
    server.restart();
    let (_, output) = machine.new_repo("delta", "rust-service");
    let text = succeeded(&output);
    assert!(!text.contains("warning"), "{text}");
    assert_eq!(machine.spooled(), 0);
    assert_eq!(stored(&database, "adoption"), 4);
    let stats = machine.stats_json("golden-path");
    assert_eq!(group(&stats, "rust-service")["repos"], 4, "{stats}");
    machine
        .pave()
        .args(["registry", "flush"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("nothing: the spool is empty"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn an_event_the_registry_rejects_is_set_aside_and_the_rest_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start(&database);
    let write = server.token("ci", &["write"]);
    let machine = Machine::pointed_at(&server, Some(&write));
    // A spooled batch with an event no registry accepts (an empty team), e.g. from an old pave.
    let bad_id = "01920000-0000-7000-8000-000000000001";
    let batch = serde_json::json!({"events": [{
        "id": bad_id, "occurred_at": "2025-03-01T10:00:00Z",
        "repo_id": "r", "repo": {"name": "r"}, "kind": "adoption", "command": "new",
        "golden_path": "rust-service", "version": "1.1.0", "team": "", "catalog": "builtin"
    }]});
    std::fs::create_dir_all(machine.spool()).unwrap();
    std::fs::write(
        machine
            .spool()
            .join("01920000-0000-7000-8000-000000000000.json"),
        batch.to_string(),
    )
    .unwrap();
    let (_, output) = machine.new_repo("alpha", "rust-service");
    let text = succeeded(&output);
    assert!(text.contains(&format!("rejected event {bad_id}")), "{text}");
    assert!(text.contains("must not be empty"), "{text}");
    assert!(
        machine
            .spool()
            .join("rejected")
            .join(format!("{bad_id}.json"))
            .is_file()
    );
    assert_eq!(machine.spooled(), 0);
    assert_eq!(stored(&database, "adoption"), 1);
}

// ---------------------------------------------------------------------------------------------
// Without a registry, and with bad settings

#[test]
fn without_a_registry_events_go_to_the_local_one() {
    let machine = Machine::new();
    let (_, output) = machine.new_repo("alpha", "rust-service");
    let text = succeeded(&output);
    assert!(!text.contains("warning"), "{text}");
    assert!(
        machine
            .dir
            .path()
            .join("data/pave/registry.sqlite")
            .is_file()
    );
    assert_eq!(machine.spooled(), 0);
    let stats = machine.stats_json("golden-path");
    assert_eq!(group(&stats, "rust-service")["repos"], 1, "{stats}");
    let output = machine
        .pave()
        .args(["stats", "--by", "team"])
        .output()
        .unwrap();
    succeeded(&output);
    let table = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert_eq!(
        lines[3],
        "fleet: 1 of 1 repos seen are on a golden path (100.0%)"
    );
    assert!(
        lines[0].starts_with("TEAM      REPOS  ADOPTIONS"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("payments      1          1"),
        "{table}"
    );
    let output = machine
        .pave()
        .args(["stats", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .starts_with("| golden path | catalog | repos |")
    );

    // apply records too.
    let golden_path = crate::support::GoldenPathBuilder::new(&format!(
        "{}parameters:\n  team: {{type: string, default: core}}\ncomponents:\n  app: {{summary: the app}}\n",
        crate::support::MANIFEST_HEAD
    ))
    .file("components/app/OWNERS.jinja", "{{ team }}\n");
    let repo = crate::support::git_repo(&[("README.md", "mine\n")]);
    let output = machine
        .pave()
        .args(["apply", &golden_path.arg(), "-C"])
        .arg(repo.path())
        .args(["--no-input"])
        .output()
        .unwrap();
    succeeded(&output);
    let stats = machine.stats_json("team");
    assert_eq!(group(&stats, "core")["repos"], 1, "{stats}");
    assert_eq!(group(&stats, "payments")["repos"], 1, "{stats}");

    // `pave registry serve` without --database serves the same local registry.
    let server = Server::start(&format!(
        "default:{}",
        machine.dir.path().join("data").display()
    ));
    let repos = server.get("/api/v1/repos");
    assert_eq!(repos["repos"].as_array().unwrap().len(), 2, "{repos}");
}

#[test]
fn off_records_nothing() {
    let mut machine = Machine::new();
    machine.url = Some("off".into());
    let (_, output) = machine.new_repo("alpha", "rust-service");
    succeeded(&output);
    assert!(!machine.dir.path().join("data").exists());
    assert!(!machine.dir.path().join("state").exists());
    machine
        .pave()
        .args(["stats"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("recording is off"));
}

#[test]
fn a_malformed_registry_url_is_an_error_naming_where_it_is_set() {
    let mut machine = Machine::new();
    machine.url = Some("ftp://registry.example.com".into());
    let (dir, output) = machine.new_repo("alpha", "rust-service");
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("PAVE_REGISTRY_URL `ftp://registry.example.com`"),
        "{text}"
    );
    assert!(!dir.exists(), "nothing written");

    let config = machine.dir.path().join("config.toml");
    std::fs::write(
        &config,
        "catalog = \"builtin\"\n[registry]\nurl = \"registry.example.com\"\n",
    )
    .unwrap();
    machine.url = None;
    let output = machine
        .pave()
        .env("PAVE_CONFIG", &config)
        .args(["registry", "flush"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains(&format!("{}:3: registry url", config.display())),
        "{text}"
    );
    assert!(text.contains("hint: [registry] takes"), "{text}");

    std::fs::write(
        &config,
        "[registry]\nurl = \"http://127.0.0.1:1\"\ntokn = \"x\"\n",
    )
    .unwrap();
    let output = machine
        .pave()
        .env("PAVE_CONFIG", &config)
        .args(["registry", "flush"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(":3:"), "{}", stderr(&output));
}

#[test]
fn the_config_file_names_the_registry_and_env_beats_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start(&database);
    let write = server.token("ci", &["write"]);
    let machine = Machine::new();
    let config = machine.dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[registry]\nurl = \"{}\"\ntoken = \"{write}\"\n",
            server.url()
        ),
    )
    .unwrap();
    let output = machine
        .pave()
        .env("PAVE_CONFIG", &config)
        .args(["new", "rust-service"])
        .arg(machine.repos().join("alpha"))
        .args(crate::support::RUST_SERVICE_ANSWERS)
        .arg("--no-input")
        .output()
        .unwrap();
    succeeded(&output);
    assert_eq!(stored(&database, "adoption"), 1);
    // The variable wins: a wrong token from it keeps the event spooled, and says so.
    let output = machine
        .pave()
        .env("PAVE_CONFIG", &config)
        .env("PAVE_REGISTRY_TOKEN", "pave_wrong")
        .args(["new", "rust-service"])
        .arg(machine.repos().join("bravo"))
        .args(crate::support::RUST_SERVICE_ANSWERS)
        .arg("--no-input")
        .output()
        .unwrap();
    let text = succeeded(&output);
    assert!(
        text.contains("Set a token with the `write` scope in PAVE_REGISTRY_TOKEN"),
        "{text}"
    );
    assert_eq!(stored(&database, "adoption"), 1);
}

#[test]
fn concurrent_flushes_deliver_every_event_once_in_batches_the_registry_takes() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start(&database);
    let write = server.token("ci", &["write"]);
    let machine = Machine::pointed_at(&server, Some(&write));
    // 2,600 events in files of 1,000, 1,000, 500 and 100: more than one batch may carry.
    std::fs::create_dir_all(machine.spool()).unwrap();
    let mut n = 0u32;
    for (file, size) in [1000, 1000, 500, 100].into_iter().enumerate() {
        let events: Vec<Value> = (0..size)
            .map(|_| {
                n += 1;
                serde_json::json!({
                    "id": uuid::Uuid::now_v7(), "occurred_at": "2025-03-01T10:00:00Z",
                    "repo_id": format!("repo-{n}"), "repo": {"name": format!("repo-{n}")},
                    "kind": "adoption", "command": "new", "golden_path": "rust-service",
                    "version": "1.1.0", "team": "payments", "catalog": "builtin"
                })
            })
            .collect();
        std::fs::write(
            machine
                .spool()
                .join(format!("0192{file:04}-0000-7000-8000-000000000000.json")),
            serde_json::json!({ "events": events }).to_string(),
        )
        .unwrap();
    }
    let flushes: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = machine.pave();
            cmd.args(["registry", "flush"]);
            std::thread::spawn(move || cmd.output().unwrap())
        })
        .collect();
    for flush in flushes {
        let output = flush.join().unwrap();
        succeeded(&output);
    }
    assert_eq!(machine.spooled(), 0);
    assert_eq!(stored(&database, "adoption"), 2600);
    let stats = machine.stats_json("team");
    assert_eq!(group(&stats, "payments")["repos"], 2600, "{stats}");
}

#[test]
fn an_audit_push_that_cannot_deliver_fails_only_when_asked() {
    let mut machine = Machine::new();
    machine.url = Some(format!("http://127.0.0.1:{}", free_port()));
    machine.token = Some("pave_unused".to_owned());
    std::fs::create_dir_all(machine.repos()).unwrap();
    let repo = crate::support::git_repo(&[("README.md", "no golden path\n")]);
    std::fs::rename(repo.keep(), machine.repos().join("legacy")).unwrap();
    let audit = |rules: &[&str]| {
        let mut cmd = machine.pave();
        cmd.args(["audit", "--push", "--offline"])
            .arg(machine.repos());
        for rule in rules {
            cmd.args(["--fail-on", rule]);
        }
        cmd.output().unwrap()
    };
    let quiet = audit(&[]);
    assert_eq!(quiet.status.code(), Some(0), "{quiet:?}");
    let strict = audit(&["undelivered"]);
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the audit events were not all delivered to the registry"),
        "{stderr}"
    );
    assert!(machine.spooled() >= 1, "the events stay spooled");
    // Without --push there is nothing to deliver: the rule is a mistake, said so.
    machine
        .pave()
        .args(["audit", "--offline", "--fail-on", "undelivered"])
        .arg(machine.repos())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hint: add --push"));
}
