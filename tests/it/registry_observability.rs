//! What the registry server says about itself: its OpenAPI document (checked by
//! openapi-spec-validator, against the route table it must cover, and against the bodies served,
//! with check-jsonschema), `/metrics` (checked by `promtool check metrics`, and its samples
//! against what the API reads back) and `/readyz` (on PostgreSQL, a connection ended under it).
//! Outside CI a missing tool or `PAVE_TEST_DATABASE_URL` skips its check; in CI it fails.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use pave_registry::model::Scope;
use pave_registry::openapi::{Method, Operation};
use pave_registry::server::{API_ROUTES, ReadAccess, app};
use pave_registry::store::Store;
use pave_registry::store::postgres::PostgresStore;
use pave_registry::store::sqlite::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::validators::tool;

struct Server {
    app: Router,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

/// A response: status, `Content-Type`, body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Server {
    /// One router for the whole test, so its metrics add up across requests.
    fn new(access: ReadAccess) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("registry.sqlite")).unwrap());
        store.migrate().unwrap();
        Self {
            app: app(Arc::clone(&store), access),
            store,
            _dir: dir,
        }
    }

    async fn call(&self, method: &str, uri: &str, token: Option<&str>, body: &str) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(Body::from(body.to_owned())).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            content_type,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.call("GET", uri, None, "").await
    }
}

fn event(n: u32, repo: &str, kind: Value) -> Value {
    let mut event = json!({
        "id": format!("01920000-0000-7000-8000-{n:012}"),
        "occurred_at": "2025-03-01T10:00:00Z",
        "repo_id": format!("github.com/acme/{repo}"),
        "repo": {"name": repo},
    });
    event
        .as_object_mut()
        .unwrap()
        .extend(kind.as_object().unwrap().clone());
    event
}

fn adoption(golden_path: &str, version: &str) -> Value {
    json!({
        "kind": "adoption", "command": "new", "golden_path": golden_path, "version": version,
        "catalog": "builtin", "team": "payments"
    })
}

fn conformance(golden_path: &str, version: &str, conforming: bool) -> Value {
    json!({
        "kind": "conformance", "golden_path": golden_path, "version": version,
        "conforming": conforming, "drifted_files": u32::from(!conforming),
        "missing_files": 0, "edited_files": 0
    })
}

fn batch(events: &[Value]) -> String {
    json!({ "events": events }).to_string()
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

#[tokio::test]
async fn the_openapi_document_is_public_json_and_valid_openapi_3_1() {
    // Public even where reads need a token: it describes the API, not the registry's data.
    let server = Server::new(ReadAccess::TokenRequired);
    let answer = server.get("/api/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type, "application/json");
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc, pave_registry::server::openapi(), "served as built");

    // schemars' `$defs` are hoisted into the components, and every `$ref` resolves there.
    assert!(!answer.body.contains("$defs"), "{}", answer.body);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Batch",
        "Event",
        "IngestOutcome",
        "ReposResponse",
        "RepoRecord",
        "GoldenPathsResponse",
        "Stats",
        "GroupBy",
        "DailyResponse",
        "Error",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}: {schemas:?}");
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 10, "{refs:?}");
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a $ref outside the components: {reference}"));
        assert!(
            schemas.contains_key(name),
            "{reference} resolves to nothing"
        );
    }

    let ingest = &doc["paths"]["/api/v1/events"]["post"];
    assert_eq!(ingest["security"], json!([{"bearer": []}]));
    assert_eq!(
        ingest["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Batch"
    );
    let statuses: Vec<&String> = ingest["responses"].as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["200", "400", "401", "403", "413", "500"]);
    assert_eq!(
        ingest["responses"]["413"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );
    let stats = &doc["paths"]["/api/v1/stats"]["get"];
    assert_eq!(
        stats["security"],
        json!([{}, {"bearer": []}]),
        "reads: open or token"
    );
    assert_eq!(stats["parameters"][0]["name"], "by");
    assert_eq!(
        stats["parameters"][0]["schema"]["$ref"],
        "#/components/schemas/GroupBy"
    );
    let days = &doc["paths"]["/api/v1/stats/daily"]["get"]["parameters"][0];
    assert_eq!(days["name"], "days");
    assert_eq!(days["schema"]["type"], "integer");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({
            "type": "http",
            "scheme": "bearer",
            "description": doc["components"]["securitySchemes"]["bearer"]["description"]
        })
    );

    let Some(validator) = tool("openapi-spec-validator") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &answer.body).unwrap();
    let out = Command::new(validator).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every route's answer, and an error's, is what the document says it is: each body is checked
/// by check-jsonschema against the schema the document gives its status.
#[tokio::test]
async fn served_bodies_match_their_documented_schemas() {
    let Some(checker) = tool("check-jsonschema") else {
        return;
    };
    let server = Server::new(ReadAccess::Open);
    let write = server
        .store
        .create_token("ci", &[Scope::Write])
        .unwrap()
        .secret;
    let audit = json!({
        "kind": "audit", "status": "outdated", "drifted_files": 0, "missing_files": 0,
        "edited_files": 1, "team": "search",
        "golden_paths": [{"name": "rust-service", "version": "1.0.0", "latest": "1.1.0", "lag": "minor"}]
    });
    let events = batch(&[
        event(1, "payments", adoption("rust-service", "1.1.0")),
        event(2, "payments", conformance("rust-service", "1.1.0", false)),
        event(3, "search", audit),
    ]);
    let admin = server
        .store
        .create_token("sre", &[Scope::Admin])
        .unwrap()
        .secret;
    let doc = pave_registry::server::openapi();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    // Method, URI, the documented path it is, body, expected status. The table's order: events
    // are posted before the repo they name is deleted.
    let mut calls: Vec<(&str, String, String, String, &str)> = API_ROUTES
        .iter()
        .map(|route| {
            let (method, uri, body) = ok_request(&route.operation, &events);
            (method, uri, route.operation.full_path(), body, "200")
        })
        .collect();
    let path = |p: &str| format!("/api/v1{p}");
    for (method, uri, documented, body, status) in [
        ("GET", "/stats?by=colour", "/stats", "", "400"),
        ("POST", "/events", "/events", "{\"events\": [{}]}", "400"),
        ("DELETE", "/repos/no-such-repo", "/repos/{repo}", "", "404"),
        (
            "DELETE",
            "/repos/x?dry_run=maybe",
            "/repos/{repo}",
            "",
            "400",
        ),
        (
            "POST",
            "/admin/prune",
            "/admin/prune",
            "{\"older_than\": \"0d\"}",
            "400",
        ),
    ] {
        calls.push((method, path(uri), path(documented), body.to_owned(), status));
    }
    for (method, uri, documented, body, status) in calls {
        let token = if documented.contains("/admin/") || method == "DELETE" {
            &admin
        } else {
            &write
        };
        let answer = server.call(method, &uri, Some(token), &body).await;
        assert_eq!(
            answer.status.as_str(),
            status,
            "{method} {uri}: {}",
            answer.body
        );
        let schema = &doc["paths"][&documented][method.to_lowercase()]["responses"][status]["content"]
            ["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {uri} {status} is not documented"
        );
        // The document's components, with the response's schema as the root.
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": [schema],
            "components": doc["components"],
        });
        let n = checked.len();
        let schema_file = dir.path().join(format!("schema-{n}.json"));
        let instance_file = dir.path().join(format!("instance-{n}.json"));
        std::fs::write(&schema_file, root.to_string()).unwrap();
        std::fs::write(&instance_file, &answer.body).unwrap();
        let out = Command::new(&checker)
            .arg("--schemafile")
            .arg(&schema_file)
            .arg(&instance_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{method} {uri} answered {status} with a body its schema refuses:\n{}\n{}\n{}",
            answer.body,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        checked.push(format!("{method} {uri}"));
    }
    assert_eq!(checked.len(), API_ROUTES.len() + 5);
}

/// A request `operation` answers with 200 on a registry that holds repo `payments`: method, URI
/// (path parameters filled in) and body (`events` for the ingest).
fn ok_request(operation: &Operation, events: &str) -> (&'static str, String, String) {
    let mut uri = operation.full_path();
    for name in operation.path_names() {
        let value = match name {
            // A repo id with slashes, percent-encoded as one segment.
            "repo" => "github.com%2Facme%2Fpayments",
            other => panic!("no example value for the path parameter {other}"),
        };
        uri = uri.replace(&format!("{{{name}}}"), value);
    }
    let body = match (operation.method, operation.operation_id) {
        (Method::Post, "prune") => r#"{"older_than": "400d"}"#.to_owned(),
        (Method::Post, _) => events.to_owned(),
        (Method::Get | Method::Delete, _) => String::new(),
    };
    let method = match operation.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Delete => "DELETE",
    };
    (method, uri, body)
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => refs.push(reference.clone()),
                    _ => collect_refs(value, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

/// The router and the document come from one table: each of its routes is served (not the
/// fallback's 404, nor a 405) and documented, and the document holds nothing else.
#[tokio::test]
async fn every_api_route_is_served_and_documented() {
    let server = Server::new(ReadAccess::TokenRequired);
    let admin = server.store.create_token("admin", &[Scope::Admin]).unwrap();
    let doc = pave_registry::server::openapi();
    let mut served = Vec::new();
    let payments = batch(&[event(1, "payments", adoption("rust-service", "1.1.0"))]);
    for route in API_ROUTES {
        let operation = &route.operation;
        let (method, uri, body) = ok_request(operation, &payments);
        let answer = server.call(method, &uri, Some(&admin.secret), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{method} {uri}: {}",
            answer.body
        );
        let path = operation.full_path();
        assert!(
            doc["paths"][&path][operation.method.as_str()].is_object(),
            "{method} {path} is served but not documented"
        );
        served.push(format!("{} {path}", operation.method.as_str()));
    }
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{method} {path}"))
        })
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);
    // The routes the issue names, in case the table loses one.
    for expected in [
        "post /api/v1/events",
        "get /api/v1/repos",
        "get /api/v1/golden-paths",
        "get /api/v1/stats",
        "get /api/v1/stats/daily",
        "get /api/v1/openapi.json",
        "delete /api/v1/repos/{repo}",
        "post /api/v1/admin/prune",
        "get /api/v1/admin/log",
    ] {
        assert!(
            served.iter().any(|s| s == expected),
            "{expected}: {served:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// `name{labels}` → value, for every sample of an exposition.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_events_by_kind_and_read_the_store() {
    let server = Server::new(ReadAccess::Open);
    let write = server
        .store
        .create_token("ci", &[Scope::Write])
        .unwrap()
        .secret;
    let first = batch(&[
        event(1, "payments", adoption("rust-service", "1.1.0")),
        event(2, "ledger", adoption("rust-service", "1.0.0")),
        event(3, "search", adoption("python \"service\"", "2.0.0")),
    ]);
    let checks = batch(&[
        event(4, "payments", conformance("rust-service", "1.1.0", true)),
        event(5, "ledger", conformance("rust-service", "1.0.0", false)),
    ]);
    for body in [&first, &checks, &first] {
        let answer = server
            .call("POST", "/api/v1/events", Some(&write), body)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    assert_eq!(
        server.get("/api/v1/stats?by=colour").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        server.get("/api/v1/repos/42/secret").await.status,
        StatusCode::NOT_FOUND
    );
    let golden_paths = server.get("/api/v1/golden-paths").await.json();
    let stats = server.get("/api/v1/stats").await.json();

    let answer = server.get("/metrics").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = &answer.body;
    let samples = samples(text);
    let sample = |series: &str| {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
    };

    assert_eq!(
        sample(r#"pave_registry_events_ingested_total{kind="adoption"}"#),
        3.0
    );
    assert_eq!(
        sample(r#"pave_registry_events_ingested_total{kind="conformance"}"#),
        2.0
    );
    assert_eq!(
        sample(r#"pave_registry_events_ingested_total{kind="audit"}"#),
        0.0
    );
    assert_eq!(sample("pave_registry_events_duplicate_total"), 3.0);
    assert_eq!(
        sample(
            r#"pave_registry_http_requests_total{method="POST",route="/api/v1/events",status="200"}"#
        ),
        3.0
    );
    assert_eq!(
        sample(
            r#"pave_registry_http_requests_total{method="GET",route="/api/v1/stats",status="400"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(r#"pave_registry_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        1.0
    );
    assert_eq!(
        sample(
            r#"pave_registry_http_request_duration_seconds_count{method="POST",route="/api/v1/events"}"#
        ),
        3.0
    );
    assert!(
        !text.contains("/api/v1/repos/42"),
        "a raw path became a label value:\n{text}"
    );

    // The gauges say what the API says, golden paths by name and catalog.
    let mut gauges = 0;
    for golden_path in golden_paths["golden_paths"].as_array().unwrap() {
        let name = golden_path["name"].as_str().unwrap();
        let catalog = golden_path["catalog"].as_str().unwrap_or_default();
        for version in golden_path["versions"].as_array().unwrap() {
            let series = format!(
                "pave_registry_repos{{golden_path={},catalog={},version={}}}",
                // A JSON string is escaped as the exposition escapes a label value here.
                Value::from(name),
                Value::from(catalog),
                version["version"]
            );
            assert_eq!(
                sample(&series),
                version["repos"].as_f64().unwrap(),
                "{series}"
            );
            gauges += 1;
        }
    }
    assert_eq!(gauges, 3);
    assert!(
        text.contains(r#"golden_path="python \"service\"""#),
        "{text}"
    );
    for group in stats["groups"].as_array().unwrap() {
        let name = Value::from(group["key"].as_str().unwrap());
        let catalog = Value::from(group["catalog"].as_str().unwrap_or_default());
        for state in ["conforming", "drifted", "unchecked"] {
            let series = format!(
                "pave_registry_repos_conformance{{golden_path={name},catalog={catalog},state=\"{state}\"}}"
            );
            assert_eq!(sample(&series), group[state].as_f64().unwrap(), "{series}");
        }
    }
    assert_eq!(
        sample(
            r#"pave_registry_repos_conformance{golden_path="rust-service",catalog="builtin",state="drifted"}"#
        ),
        1.0
    );

    let Some(promtool) = tool("promtool") else {
        return;
    };
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}\n{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn metrics_follow_the_read_rule_and_readyz_pings_the_store() {
    let server = Server::new(ReadAccess::TokenRequired);
    assert_eq!(
        server.get("/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    let read = server
        .store
        .create_token("prometheus", &[Scope::Read])
        .unwrap();
    let answer = server.call("GET", "/metrics", Some(&read.secret), "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let answer = server.get("/readyz").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": "ready"}));
}

/// `/readyz` asks the store itself: with its PostgreSQL connection gone, the server is not ready.
#[tokio::test]
async fn readyz_is_unavailable_when_the_database_is_gone() {
    let Some(url) = crate::registry_store::database_url() else {
        return;
    };
    // Named, so this test can find its own connection among the others and end it.
    let name = format!("pave_readyz_{}", uuid::Uuid::now_v7().simple());
    let separator = if url.contains('?') { '&' } else { '?' };
    let store_url = format!("{url}{separator}application_name={name}");
    // The `postgres` crate blocks (it runs its own runtime): never on this test's workers.
    let store = tokio::task::spawn_blocking(move || PostgresStore::connect(&store_url).unwrap())
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let app = app(Arc::clone(&store), ReadAccess::Open);
    let readyz = || Request::get("/readyz").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(readyz()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let terminated = tokio::task::spawn_blocking(move || {
        let mut admin = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
        admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .unwrap()
            .len()
    })
    .await
    .unwrap();
    assert_eq!(terminated, 1);

    let response = app.oneshot(readyz()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body, json!({"error": "the store is not reachable"}));
    // Closing the connection blocks too.
    tokio::task::spawn_blocking(move || drop(store))
        .await
        .unwrap();
}
