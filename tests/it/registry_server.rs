//! The registry's HTTP server: handlers through `app()` with `oneshot` on SQLite in a temp dir,
//! and once end to end, the real `pave registry serve` on a free loopback port.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use pave_registry::model::MAX_BODY_BYTES;
use pave_registry::model::Scope;
use pave_registry::server::{ReadAccess, app};
use pave_registry::store::Store;
use pave_registry::store::sqlite::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::pave;

struct Registry {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("registry.sqlite")).unwrap());
        store.migrate().unwrap();
        Self { store, _dir: dir }
    }

    fn token(&self, scopes: &[Scope]) -> String {
        self.store.create_token("test", scopes).unwrap().secret
    }

    async fn send(&self, access: ReadAccess, request: Request<Body>) -> (StatusCode, Value) {
        let response = app(Arc::clone(&self.store), access)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body)
    }

    async fn post(&self, token: Option<&str>, body: impl Into<Body>) -> (StatusCode, Value) {
        let mut request =
            Request::post("/api/v1/events").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(ReadAccess::Open, request.body(body.into()).unwrap())
            .await
    }

    async fn get(&self, access: ReadAccess, token: Option<&str>, uri: &str) -> (StatusCode, Value) {
        let mut request = Request::get(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(access, request.body(Body::empty()).unwrap())
            .await
    }
}

fn adoption(n: u32, repo: &str, team: &str) -> Value {
    json!({
        "id": format!("01920000-0000-7000-8000-{n:012}"),
        "occurred_at": "2025-03-01T10:00:00Z",
        "repo_id": format!("github.com/acme/{repo}"),
        "repo": {"name": repo},
        "kind": "adoption",
        "command": "new",
        "golden_path": "rust-service",
        "version": "1.1.0",
        "components": ["ci"],
        "team": team,
        "catalog": "builtin"
    })
}

fn two_adoptions() -> String {
    json!({"events": [adoption(1, "payments", "payments"), adoption(2, "ledger", "core")]})
        .to_string()
}

#[tokio::test]
async fn a_batch_is_accepted_once_and_read_back() {
    let registry = Registry::new();
    let write = registry.token(&[Scope::Write]);

    let (status, body) = registry.post(Some(&write), two_adoptions()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"accepted": 2, "duplicates": 0}));

    let (status, body) = registry.post(Some(&write), two_adoptions()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"accepted": 0, "duplicates": 2}),
        "a retried batch counts once"
    );

    let (status, body) = registry.get(ReadAccess::Open, None, "/api/v1/repos").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let repos: Vec<&str> = body["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repo_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        repos,
        ["github.com/acme/ledger", "github.com/acme/payments"]
    );

    let (status, body) = registry
        .get(ReadAccess::Open, None, "/api/v1/golden-paths")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["golden_paths"][0]["name"], "rust-service");
    assert_eq!(body["golden_paths"][0]["repos"], 2);

    let (status, body) = registry
        .get(ReadAccess::Open, None, "/api/v1/stats?by=team")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["group_by"], "team");
    let teams: Vec<(&str, u64)> = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["repos"].as_u64().unwrap()))
        .collect();
    assert_eq!(teams, [("core", 1), ("payments", 1)]);

    let (status, body) = registry.get(ReadAccess::Open, None, "/api/v1/stats").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["group_by"], "golden-path");

    let (status, body) = registry
        .get(ReadAccess::Open, None, "/api/v1/stats/daily?days=7")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let days = body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(
        days[6]["cumulative"], 2,
        "adopted in 2025, counted up to today"
    );
}

#[tokio::test]
async fn writes_need_a_valid_write_token() {
    let registry = Registry::new();
    let (status, body) = registry.post(None, two_adoptions()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "a bearer token is required");

    let (status, _) = registry
        .post(Some("pave_not-a-token"), two_adoptions())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let revoked = registry.store.create_token("old", &[Scope::Write]).unwrap();
    assert!(registry.store.revoke_token(&revoked.id).unwrap());
    let (status, body) = registry.post(Some(&revoked.secret), two_adoptions()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "the token is unknown or revoked");

    let read = registry.token(&[Scope::Read]);
    let (status, body) = registry.post(Some(&read), two_adoptions()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "the token lacks the `write` scope");

    let admin = registry.token(&[Scope::Admin]);
    let (status, _) = registry.post(Some(&admin), two_adoptions()).await;
    assert_eq!(status, StatusCode::OK, "admin may do everything");
}

#[tokio::test]
async fn a_malformed_batch_is_refused_naming_the_field_and_stores_nothing() {
    let registry = Registry::new();
    let write = registry.token(&[Scope::Write]);

    let (status, body) = registry.post(Some(&write), "not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "body");

    let (status, body) = registry.post(Some(&write), "{\"events\": [").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "events", "cut off inside the list: {body}");

    let (status, body) = registry
        .post(Some(&write), json!({"events": [{"id": 42}]}).to_string())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "events[0].id", "{body}");

    // Valid JSON the store's validation refuses: the second event's team is empty.
    let batch = json!({"events": [adoption(1, "payments", "payments"), adoption(2, "ledger", "")]});
    let (status, body) = registry.post(Some(&write), batch.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body,
        json!({"error": "must not be empty", "field": "events[1].team"})
    );
    assert!(
        registry.store.repos().unwrap().is_empty(),
        "nothing partial is stored"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let registry = Registry::new();
    let write = registry.token(&[Scope::Write]);
    let body = format!(
        "{{\"events\": [], \"pad\": \"{}\"}}",
        "x".repeat(MAX_BODY_BYTES)
    );
    let (status, body) = registry.post(Some(&write), body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("bytes"), "{body}");
}

#[tokio::test]
async fn reads_can_require_a_read_token() {
    let registry = Registry::new();
    let read = registry.token(&[Scope::Read]);
    let write = registry.token(&[Scope::Write]);
    let required = ReadAccess::TokenRequired;
    assert_eq!(
        registry.get(required, None, "/api/v1/repos").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        registry
            .get(required, Some(&write), "/api/v1/repos")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        registry.get(required, Some(&read), "/api/v1/repos").await.0,
        StatusCode::OK
    );
    assert_eq!(
        registry.get(required, None, "/healthz").await.0,
        StatusCode::OK,
        "probes need no token"
    );
}

#[tokio::test]
async fn bad_queries_health_and_unknown_routes() {
    let registry = Registry::new();
    let (status, body) = registry
        .get(ReadAccess::Open, None, "/api/v1/stats?by=colour")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "by");
    let (status, body) = registry
        .get(ReadAccess::Open, None, "/api/v1/stats/daily?days=-1")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "days");
    let (status, body) = registry
        .get(ReadAccess::Open, None, "/api/v1/stats/daily?days=99999")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the store's limit: {body}");
    assert_eq!(body["field"], "days");
    assert_eq!(
        registry.get(ReadAccess::Open, None, "/readyz").await.0,
        StatusCode::OK
    );
    assert_eq!(
        registry.get(ReadAccess::Open, None, "/nope").await.0,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------------------------
// Deleting, pruning, the admin log

impl Registry {
    /// Any request, open reads, JSON body.
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(
            ReadAccess::Open,
            request.body(Body::from(body.to_owned())).unwrap(),
        )
        .await
    }

    async fn repo_ids(&self) -> Vec<String> {
        let (_, body) = self.get(ReadAccess::Open, None, "/api/v1/repos").await;
        body["repos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["repo_id"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Two adoptions in 2025, and a check of `payments` from a machine that names its URL.
async fn seeded() -> (Registry, String) {
    let registry = Registry::new();
    let write = registry.token(&[Scope::Write]);
    let mut checked = adoption(3, "payments", "payments");
    checked["repo"]["url"] = json!("https://git.example.com/acme/payments.git");
    let (status, body) = registry
        .post(
            Some(&write),
            json!({"events": [adoption(1, "payments", "payments"), adoption(2, "ledger", "core"), checked]})
                .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admin = registry
        .store
        .create_token("sre on call", &[Scope::Admin])
        .unwrap();
    (registry, admin.secret)
}

const PAYMENTS: &str = "/api/v1/repos/github.com%2Facme%2Fpayments";

#[tokio::test]
async fn deleting_a_repo_needs_the_admin_scope() {
    let (registry, _) = seeded().await;
    let (status, body) = registry.call("DELETE", PAYMENTS, None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    for scopes in [
        &[Scope::Read][..],
        &[Scope::Write],
        &[Scope::Read, Scope::Write],
    ] {
        let token = registry.token(scopes);
        let (status, body) = registry.call("DELETE", PAYMENTS, Some(&token), "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{scopes:?}: {body}");
        assert_eq!(body["error"], "the token lacks the `admin` scope");
        let (status, body) = registry
            .call("GET", "/api/v1/admin/log", Some(&token), "")
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _) = registry
            .call(
                "POST",
                "/api/v1/admin/prune",
                Some(&token),
                r#"{"older_than": "1d"}"#,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(registry.repo_ids().await.len(), 2, "nothing was deleted");
    assert_eq!(registry.store.admin_log().unwrap(), []);
}

#[tokio::test]
async fn an_admin_deletes_a_repo_by_id_or_url_and_the_log_names_the_token() {
    let (registry, admin) = seeded().await;

    let (status, body) = registry
        .call(
            "DELETE",
            &format!("{PAYMENTS}?dry_run=true"),
            Some(&admin),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dry_run"], true);
    assert_eq!(body["entry"]["events"], 2);
    assert_eq!(
        registry.repo_ids().await.len(),
        2,
        "a dry run removes nothing"
    );

    let (status, body) = registry.call("DELETE", PAYMENTS, Some(&admin), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dry_run"], false);
    let entry = &body["entry"];
    assert_eq!(entry["action"], "delete-repo");
    assert_eq!(entry["target"], "github.com/acme/payments", "{body}");
    assert_eq!(
        (entry["repos"].as_u64(), entry["events"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(entry["actor"]["kind"], "token");
    assert_eq!(entry["actor"]["name"], "sre on call");
    assert_eq!(registry.repo_ids().await, ["github.com/acme/ledger"]);
    let (_, stats) = registry.get(ReadAccess::Open, None, "/api/v1/stats").await;
    assert_eq!(stats["fleet"], json!({"repos": 1, "adopted": 1}));
    assert_eq!(stats["groups"][0]["repos"], 1);

    let (status, body) = registry.call("DELETE", PAYMENTS, Some(&admin), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body,
        json!({"error": "no repo has the id or URL `github.com/acme/payments`", "field": "repo"})
    );

    // By URL: percent-encoded, it is one path segment.
    let mut checked = adoption(4, "ledger", "core");
    checked["repo"]["url"] = json!("https://git.example.com/acme/ledger.git");
    let write = registry.token(&[Scope::Write]);
    registry
        .post(Some(&write), json!({"events": [checked]}).to_string())
        .await;
    let (status, body) = registry
        .call(
            "DELETE",
            "/api/v1/repos/https:%2F%2Fgit.example.com%2Facme%2Fledger.git",
            Some(&admin),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["target"], "github.com/acme/ledger");
    assert_eq!(registry.repo_ids().await, Vec::<String>::new());

    let (status, log) = registry
        .call("GET", "/api/v1/admin/log", Some(&admin), "")
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let targets: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["github.com/acme/payments", "github.com/acme/ledger"]
    );
    let stored = serde_json::to_value(&registry.store.admin_log().unwrap()[0]).unwrap();
    assert_eq!(log["entries"][0], stored, "the log as the store keeps it");
}

#[tokio::test]
async fn bad_deletions_and_prunes_are_refused_naming_the_field_and_remove_nothing() {
    let (registry, admin) = seeded().await;
    let long = format!("/api/v1/repos/{}", "r".repeat(3000));
    for (method, uri, body, field) in [
        ("DELETE", "/api/v1/repos/%FF%FE", "", "repo"),
        ("DELETE", "/api/v1/repos/acme%0Apayments", "", "repo"),
        ("DELETE", "/api/v1/repos/%20", "", "repo"),
        ("DELETE", long.as_str(), "", "repo"),
        ("DELETE", "/api/v1/repos/x?dry_run=yes", "", "dry_run"),
        (
            "POST",
            "/api/v1/admin/prune",
            r#"{"older_than": "0d"}"#,
            "older_than",
        ),
        (
            "POST",
            "/api/v1/admin/prune",
            r#"{"older_than": "abc"}"#,
            "older_than",
        ),
        (
            "POST",
            "/api/v1/admin/prune",
            r#"{"older_than": "12h"}"#,
            "older_than",
        ),
        (
            "POST",
            "/api/v1/admin/prune",
            r#"{"older_than": 400}"#,
            "body",
        ),
        (
            "POST",
            "/api/v1/admin/prune",
            r#"{"older": "400d"}"#,
            "body",
        ),
        ("POST", "/api/v1/admin/prune", "", "body"),
    ] {
        let (status, answer) = registry.call(method, uri, Some(&admin), body).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{method} {uri} {body}: {answer}"
        );
        assert_eq!(answer["field"], field, "{method} {uri} {body}: {answer}");
    }
    let (_, answer) = registry
        .call("DELETE", "/api/v1/repos/%FF%FE", Some(&admin), "")
        .await;
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .ends_with("give the repo's id or URL, percent-encoded"),
        "{answer}"
    );
    let (_, answer) = registry
        .call(
            "POST",
            "/api/v1/admin/prune",
            Some(&admin),
            r#"{"older_than": "abc"}"#,
        )
        .await;
    assert_eq!(
        answer["error"],
        "`abc` is not a period; give a period such as 400d, 52w or 1y"
    );
    assert_eq!(registry.repo_ids().await.len(), 2);
    assert_eq!(registry.store.admin_log().unwrap(), []);

    // Two repos with one URL: neither is guessed.
    let write = registry.token(&[Scope::Write]);
    let mut twin = adoption(5, "ledger", "core");
    twin["repo"]["url"] = json!("https://git.example.com/acme/payments.git");
    registry
        .post(Some(&write), json!({"events": [twin]}).to_string())
        .await;
    let (status, answer) = registry
        .call(
            "DELETE",
            "/api/v1/repos/https:%2F%2Fgit.example.com%2Facme%2Fpayments.git",
            Some(&admin),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["field"], "repo");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("github.com/acme/ledger, github.com/acme/payments; delete each by its id"),
        "{answer}"
    );
    assert_eq!(registry.repo_ids().await.len(), 2);
}

#[tokio::test]
async fn an_admin_prunes_what_a_retention_period_no_longer_keeps() {
    let (registry, admin) = seeded().await;
    // The seeded events are of March 2025: within ten years, older than a week.
    let (status, body) = registry
        .call(
            "POST",
            "/api/v1/admin/prune",
            Some(&admin),
            r#"{"older_than": "10y"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["entry"]["repos"].as_u64(),
            body["entry"]["events"].as_u64()
        ),
        (Some(0), Some(0))
    );
    let (status, body) = registry
        .call(
            "POST",
            "/api/v1/admin/prune?dry_run=true",
            Some(&admin),
            r#"{"older_than": "1w"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["entry"]["repos"].as_u64(),
            body["entry"]["events"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(registry.repo_ids().await.len(), 2, "a dry run");
    let (status, body) = registry
        .call(
            "POST",
            "/api/v1/admin/prune",
            Some(&admin),
            r#"{"older_than": "1w"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["target"], "1w");
    assert!(body["entry"]["before"].is_string(), "{body}");
    assert_eq!(registry.repo_ids().await, Vec::<String>::new());
    let (_, log) = registry
        .call("GET", "/api/v1/admin/log", Some(&admin), "")
        .await;
    let logged: Vec<(&str, u64)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["target"].as_str().unwrap(), e["events"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        logged,
        [("10y", 0), ("1w", 3)],
        "both asked for, both logged"
    );
}

// ---------------------------------------------------------------------------------------------
// End to end

/// One HTTP/1.1 request on a fresh connection; the status and the body.
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the server if the test fails before it is stopped.
pub(crate) struct Child(pub(crate) std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
#[test]
fn the_real_server_ingests_serves_and_stops_cleanly_on_sigterm() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.sqlite").display());
    let output = pave()
        .args([
            "registry",
            "token",
            "create",
            "--name",
            "ci",
            "--scope",
            "write",
            "--database",
            &database,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).unwrap();
    let token = token.strip_suffix('\n').unwrap();
    assert!(
        token.starts_with("pave_") && !token.contains(char::is_whitespace),
        "{token:?}"
    );

    let addr = format!("127.0.0.1:{}", free_port());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pave"))
        .args([
            "registry",
            "serve",
            "--listen",
            &addr,
            "--database",
            &database,
        ])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Child(child);

    let started = std::time::Instant::now();
    loop {
        match http(&addr, "GET", "/healthz", None, "") {
            Ok((200, _)) => break,
            _ if started.elapsed() < std::time::Duration::from_secs(20) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => panic!("the server never became healthy: {other:?}"),
        }
    }

    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/events",
        Some(token),
        &two_adoptions(),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"accepted": 2, "duplicates": 0})
    );
    let (status, body) = http(&addr, "GET", "/api/v1/repos", None, "").unwrap();
    assert_eq!(status, 200, "{body}");
    let repos: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(repos["repos"].as_array().unwrap().len(), 2, "{repos}");

    // A request in flight when SIGTERM arrives: headers sent, half its body still to come.
    let in_flight = json!({"events": [adoption(3, "billing", "payments")]}).to_string();
    let (head, tail) = in_flight.split_at(in_flight.len() / 2);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{head}",
        in_flight.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));

    let pid = child.0.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    stream.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "the request in flight is answered: {response}"
    );
    let output = std::mem::replace(
        &mut child.0,
        std::process::Command::new("true").spawn().unwrap(),
    )
    .wait_with_output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let logged: Vec<Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        logged.iter().any(|l| l["method"] == "POST"
            && l["path"] == "/api/v1/events"
            && l["status"] == 200
            && l["duration_ms"].is_number()),
        "{stderr}"
    );
}

#[test]
fn tokens_are_listed_without_secrets_and_revoked_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.sqlite").display());
    let create = |name: &str| {
        let output = pave()
            .args(["registry", "token", "create", "--name", name])
            .args([
                "--scope",
                "write",
                "--scope",
                "read",
                "--database",
                &database,
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let ci = create("ci");
    create("dashboard");
    let list = || {
        let output = pave()
            .args(["registry", "token", "list", "--database", &database])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let listed = list();
    assert!(!listed.contains(&ci), "never a secret: {listed}");
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], ["ID", "NAME", "SCOPES", "CREATED", "REVOKED"]);
    assert_eq!(
        (rows[1][1], rows[1][2], rows[1][4]),
        ("ci", "read,write", "-")
    );
    assert_eq!(rows.len(), 3, "{listed}");

    let id = rows[1][0].to_owned();
    pave()
        .args(["registry", "token", "revoke", &id, "--database", &database])
        .assert()
        .success();
    let listed = list();
    let revoked = listed.lines().nth(1).unwrap().split('\t').nth(4).unwrap();
    assert_ne!(revoked, "-", "{listed}");

    pave()
        .args([
            "registry",
            "token",
            "revoke",
            "no-such-id",
            "--database",
            &database,
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no token has the id no-such-id"));
    pave()
        .args([
            "registry", "token", "create", "--name", "x", "--scope", "root",
        ])
        .args(["--database", &database])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("expected read, write or admin"));
}
