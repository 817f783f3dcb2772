//! The registry's HTTP server (issue 7): batches of events in, repos, golden paths and stats out,
//! as JSON under `/api/v1` (described by its OpenAPI document, `/api/v1/openapi.json`), with
//! `/healthz`, `/readyz` and `/metrics` beside them. An admin token may also delete a repo's
//! records, prune by a period and read the admin log that records both (issue 13); with a
//! retention period, [`run`] prunes at start and hourly.
//!
//! [`app`] builds the whole router from a [`Store`], so tests drive it with `oneshot` and the
//! `pave registry serve` command only binds it to a socket ([`serve`]). The `/api/v1` routes come
//! from one table, [`API_ROUTES`], which also writes the OpenAPI document ([`openapi`]): a route
//! cannot be served undocumented. The store is synchronous (see `store`), so every call runs on
//! tokio's blocking pool and never stalls the workers that serve other requests. Every failure is one [`ApiError`]: a 4xx says what was wrong (naming the
//! field, as the store's validation does), a 5xx is logged and tells the client nothing more.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest as _, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, on};
use axum::{Json, Router};
use schemars::{JsonSchema, json_schema};
use serde::{Deserialize, Serialize};

pub use crate::api_error::ApiError;
use crate::api_error::{ErrorBody, log_line};
use crate::dashboard;
use crate::metrics::{self, Metrics, StoreSnapshot};
use crate::model::{
    Actor, AdminLogEntry, Batch, DailyAdoption, GoldenPathSummary, GroupBy, IngestOutcome, Invalid,
    MAX_BODY_BYTES, Removal, RepoRecord, Retention, Scope, Stats, TokenInfo,
};
use crate::openapi::{self, Access, Method, Operation, Param, ParamIn};
use crate::store::{MAX_DAYS, Store, StoreError};

/// The window of `/api/v1/stats/daily` when `days` is not given.
pub const DEFAULT_DAYS: u32 = 30;

/// Who may read: anyone who can reach the server, or only holders of a `read` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    Open,
    TokenRequired,
}

#[derive(Clone)]
struct AppState {
    store: Arc<dyn Store>,
    read_access: ReadAccess,
    metrics: Arc<Metrics>,
}

/// The registry's routes over a migrated store.
pub fn app(store: Arc<dyn Store>, read_access: ReadAccess) -> Router {
    let state = AppState {
        store,
        read_access,
        metrics: Arc::new(Metrics::new()),
    };
    let api = API_ROUTES.iter().fold(Router::new(), |api, route| {
        let method = match route.operation.method {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Delete => MethodFilter::DELETE,
        };
        api.route(route.operation.path, (route.handler)(method))
    });
    Router::new()
        .nest(openapi::API_BASE, api)
        .route("/", get(dashboard_page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        // Inside the router, so every route's template is known (`MatchedPath`).
        .layer(middleware::from_fn_with_state(state.clone(), count_request))
        .with_state(state)
}

/// A route under `/api/v1`: how it is served and how the OpenAPI document describes it.
pub struct ApiRoute {
    pub operation: Operation,
    /// The handler for the operation's method (`on(method, handler)`).
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

/// Every `/api/v1` route. [`app`] serves these and nothing else under `/api/v1`, and [`openapi`]
/// describes these.
pub const API_ROUTES: &[ApiRoute] = &[
    ApiRoute {
        operation: Operation {
            method: Method::Post,
            path: "/events",
            operation_id: "ingestEvents",
            summary: "Store a batch of events, all or nothing; a retried event counts once",
            access: Access::Write,
            params: &[],
            request: Some(|g| g.subschema_for::<Batch>()),
            ok: "Stored: how many events were new and how many were stored before",
            response: |g| g.subschema_for::<IngestOutcome>(),
            errors: &[
                (
                    400,
                    "The body is not a valid batch; `field` names where (`events[2].id`).",
                ),
                (413, "The body is over 1 MiB; send fewer events per batch."),
                (500, "The store failed; the server logs why."),
            ],
        },
        handler: |method| on(method, ingest).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Get,
            path: "/repos",
            operation_id: "listRepos",
            summary: "Every repo on a golden path, by repo id then golden path",
            access: Access::Read,
            params: &[],
            request: None,
            ok: "The repos",
            response: |g| g.subschema_for::<ReposResponse>(),
            errors: &[(500, "The store failed; the server logs why.")],
        },
        handler: |method| on(method, repos),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Get,
            path: "/golden-paths",
            operation_id: "listGoldenPaths",
            summary: "Every golden path some repo is on, with repos per version",
            access: Access::Read,
            params: &[],
            request: None,
            ok: "The golden paths, by name",
            response: |g| g.subschema_for::<GoldenPathsResponse>(),
            errors: &[(500, "The store failed; the server logs why.")],
        },
        handler: |method| on(method, golden_paths),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Get,
            path: "/stats",
            operation_id: "getStats",
            summary: "Adoption and conformance counted per group",
            access: Access::Read,
            params: &[Param {
                name: "by",
                location: ParamIn::Query,
                description: "What to group by (default `golden-path`).",
                schema: |g| g.subschema_for::<GroupBy>(),
            }],
            request: None,
            ok: "The groups, sorted by key",
            response: |g| g.subschema_for::<Stats>(),
            errors: &[
                (400, "`by` is not one of golden-path, version, team, train."),
                (500, "The store failed; the server logs why."),
            ],
        },
        handler: |method| on(method, stats),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Get,
            path: "/stats/daily",
            operation_id: "getDailyAdoption",
            summary: "Repos first adopting a golden path per day (UTC), up to today",
            access: Access::Read,
            params: &[Param {
                name: "days",
                location: ParamIn::Query,
                description: "How many days, ending today (default 30).",
                schema: |_| {
                    json_schema!({
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_DAYS,
                        "default": DEFAULT_DAYS,
                    })
                },
            }],
            request: None,
            ok: "Every day of the window, oldest first",
            response: |g| g.subschema_for::<DailyResponse>(),
            errors: &[
                (400, "`days` is not a whole number from 0 to 3660."),
                (500, "The store failed; the server logs why."),
            ],
        },
        handler: |method| on(method, daily),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Delete,
            path: "/repos/{repo}",
            operation_id: "deleteRepo",
            summary: "Remove a repo's records: every event about it and its current state, in \
                one transaction recorded in the admin log",
            access: Access::Admin,
            params: &[
                Param {
                    name: "repo",
                    location: ParamIn::Path,
                    description: "The repo's id (`repo_id`), or the URL the registry shows for \
                        it (`repo.url`), percent-encoded.",
                    schema: |_| json_schema!({"type": "string", "minLength": 1}),
                },
                DRY_RUN,
            ],
            request: None,
            ok: "Removed (or, with `dry_run`, what would be): the admin log's entry",
            response: |g| g.subschema_for::<Removal>(),
            errors: &[
                (
                    400,
                    "`repo` is empty, too long or holds control characters, or `dry_run` is not \
                     true or false.",
                ),
                (404, "No repo has that id or URL; `field` is `repo`."),
                (409, "Several repos have that URL; delete each by its id."),
                (500, "The store failed; the server logs why."),
            ],
        },
        handler: |method| on(method, delete_repo),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Post,
            path: "/admin/prune",
            operation_id: "prune",
            summary: "Remove events older than a period, and repos not heard of since, keeping \
                the current state of repos still reporting; recorded in the admin log",
            access: Access::Admin,
            params: &[DRY_RUN],
            request: Some(|g| g.subschema_for::<PruneRequest>()),
            ok: "Removed (or, with `dry_run`, what would be): the admin log's entry",
            response: |g| g.subschema_for::<Removal>(),
            errors: &[
                (
                    400,
                    "The body is not `{\"older_than\": PERIOD}` with a period of a day or more \
                     (`400d`, `52w`, `1y`); `field` says which.",
                ),
                (500, "The store failed; the server logs why."),
            ],
        },
        handler: |method| on(method, prune),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Get,
            path: "/admin/log",
            operation_id: "getAdminLog",
            summary: "Every repo deletion and prune, oldest first (the log is never pruned)",
            access: Access::Admin,
            params: &[],
            request: None,
            ok: "The admin log",
            response: |g| g.subschema_for::<AdminLogResponse>(),
            errors: &[(500, "The store failed; the server logs why.")],
        },
        handler: |method| on(method, admin_log),
    },
    ApiRoute {
        operation: Operation {
            method: Method::Get,
            path: "/openapi.json",
            operation_id: "getOpenApi",
            summary: "This document",
            access: Access::Public,
            params: &[],
            request: None,
            ok: "The OpenAPI 3.1 document of this API",
            response: |_| json_schema!({"type": "object"}),
            errors: &[],
        },
        handler: |method| on(method, openapi_json),
    },
];

/// `?dry_run=true`: say what would be removed, remove nothing.
const DRY_RUN: Param = Param {
    name: "dry_run",
    location: ParamIn::Query,
    description: "`true`: answer what would be removed, and remove (and log) nothing.",
    schema: |_| json_schema!({"type": "boolean", "default": false}),
};

/// How often a server with a retention period applies it (after once at start).
pub const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// The OpenAPI 3.1 document of [`API_ROUTES`].
pub fn openapi() -> serde_json::Value {
    openapi::document(API_ROUTES.iter().map(|route| &route.operation), |g| {
        g.subschema_for::<ErrorBody>()
    })
}

/// Serves `app` on `listener`, logging every request, until `shutdown` completes; then finishes
/// the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.layer(middleware::from_fn(log_request)))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves `store` on `listen` until ctrl-c or SIGTERM, answering every request in flight before
/// it returns (`pave registry serve`). `on_listening` is called with the bound address (a port of
/// 0 is chosen by the system).
///
/// With a `retention` period, the store is pruned before the server listens (so a server that
/// answers has applied it) and every [`RETENTION_EVERY`] after, on a thread of its own; each
/// pass that removes something is logged on stderr and in the admin log.
pub fn run(
    store: Arc<dyn Store>,
    listen: SocketAddr,
    read_access: ReadAccess,
    retention: Option<Retention>,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), RegistryError> {
    let pruner = match retention {
        Some(retention) => {
            apply_retention(store.as_ref(), &retention).map_err(RegistryError::Retention)?;
            Some(Pruner::start(Arc::clone(&store), retention))
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RegistryError::Runtime)?;
    let app = app(Arc::clone(&store), read_access);
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| RegistryError::Bind {
                addr: listen,
                source,
            })?;
        on_listening(listener.local_addr().unwrap_or(listen));
        serve(listener, app, shutdown_signal())
            .await
            .map_err(RegistryError::Serve)
    });
    // The last handle on the store is dropped here, outside the runtime: the PostgreSQL client
    // runs its own runtime and must not be dropped inside another.
    drop(runtime);
    drop(pruner);
    drop(store);
    served
}

/// Prunes what `retention` no longer keeps, as the server does; logs on stderr a pass that
/// removed something (the store logs it in the admin log).
pub fn apply_retention(store: &dyn Store, retention: &Retention) -> Result<Removal, StoreError> {
    let before = retention.cutoff(jiff::Timestamp::now());
    let removal = store.prune(retention.as_str(), before, &Actor::Retention, false)?;
    if removal.entry.repos > 0 || removal.entry.events > 0 {
        log_admin(&removal.entry);
    }
    Ok(removal)
}

/// The thread that applies the retention period every [`RETENTION_EVERY`]; stopped (and
/// waited for, so a pass in progress commits or rolls back first) when dropped.
struct Pruner {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Pruner {
    fn start(store: Arc<dyn Store>, retention: Retention) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            // Nothing is ever sent: the sender's drop ends the wait, and the thread.
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(RETENTION_EVERY)
            {
                if let Err(e) = apply_retention(store.as_ref(), &retention) {
                    log_line(&serde_json::json!({
                        "ts": jiff::Timestamp::now().to_string(),
                        "level": "error",
                        "retention": retention.as_str(),
                        "error": e.to_string(),
                    }));
                }
            }
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Pruner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A deletion or prune on the server's log: one JSON line, as the admin log keeps it.
fn log_admin(entry: &AdminLogEntry) {
    log_line(&serde_json::json!({
        "ts": jiff::Timestamp::now().to_string(),
        "level": "info",
        "admin_log": entry,
    }));
}

/// Completes on ctrl-c or, on Unix, SIGTERM (what a container runtime sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No ctrl-c handler on this platform: wait for SIGTERM alone.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Everything that can go wrong running the registry outside a request.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error(
        "this system has no user data folder for the default database; pass --database sqlite:PATH or postgres://…"
    )]
    NoDataDir,
    #[error("cannot create {path}: {source}")]
    CreateDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("no token has the id {0}")]
    UnknownToken(String),
    /// The retention period could not be applied at start.
    #[error("cannot apply the retention period: {0}")]
    Retention(StoreError),
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<Json<IngestOutcome>, ApiError> {
    // Authorize before reading the body: an unauthenticated client cannot make us buffer a MiB.
    authorize(&state, &headers, Scope::Write).await?;
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::Invalid(Invalid::new("body", rejection.body_text()))
            }
        })?;
    let batch = parse_batch(&body).map_err(ApiError::Invalid)?;
    let ingested = blocking(&state.store, move |store| store.ingest_counted(&batch)).await?;
    state.metrics.observe_ingest(&ingested);
    Ok(Json(ingested.outcome))
}

/// The batch in a body, or what is wrong with it and where (`events[2].occurred_at`).
fn parse_batch(body: &[u8]) -> Result<Batch, Invalid> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let batch: Batch = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        // serde_path_to_error says `.` for the top level and `?` where a key was not read yet.
        let path = e.path().to_string();
        let path = path.strip_suffix(".?").unwrap_or(&path);
        let field = match path {
            "." | "?" => "body".to_owned(),
            path => path.to_owned(),
        };
        Invalid::new(field, e.into_inner().to_string())
    })?;
    deserializer
        .end()
        .map_err(|e| Invalid::new("body", e.to_string()))?;
    Ok(batch)
}

#[derive(Serialize, JsonSchema)]
struct ReposResponse {
    repos: Vec<RepoRecord>,
}

async fn repos(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ReposResponse>, ApiError> {
    authorize_read(&state, &headers).await?;
    let repos = blocking(&state.store, |store| store.repos()).await?;
    Ok(Json(ReposResponse { repos }))
}

#[derive(Serialize, JsonSchema)]
struct GoldenPathsResponse {
    golden_paths: Vec<GoldenPathSummary>,
}

async fn golden_paths(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<GoldenPathsResponse>, ApiError> {
    authorize_read(&state, &headers).await?;
    let golden_paths = blocking(&state.store, |store| store.golden_paths()).await?;
    Ok(Json(GoldenPathsResponse { golden_paths }))
}

#[derive(Deserialize)]
struct StatsQuery {
    by: Option<String>,
}

async fn stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Stats>, ApiError> {
    authorize_read(&state, &headers).await?;
    let Query(query) =
        query.map_err(|r| ApiError::Invalid(Invalid::new("query", r.body_text())))?;
    let group_by = match query.by.as_deref() {
        None => GroupBy::GoldenPath,
        Some(by) => GroupBy::ALL
            .into_iter()
            .find(|g| g.as_str() == by)
            .ok_or_else(|| {
                ApiError::Invalid(Invalid::new(
                    "by",
                    format!("expected golden-path, version, team or train, got `{by}`"),
                ))
            })?,
    };
    let stats = blocking(&state.store, move |store| store.stats(group_by)).await?;
    Ok(Json(stats))
}

#[derive(Deserialize)]
struct DailyQuery {
    days: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct DailyResponse {
    days: Vec<DailyAdoption>,
}

async fn daily(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<DailyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DailyResponse>, ApiError> {
    authorize_read(&state, &headers).await?;
    let Query(query) =
        query.map_err(|r| ApiError::Invalid(Invalid::new("query", r.body_text())))?;
    let days = match query.days.as_deref() {
        None => DEFAULT_DAYS,
        Some(days) => days.parse::<u32>().map_err(|_| {
            ApiError::Invalid(Invalid::new(
                "days",
                format!("expected a whole number of days, got `{days}`"),
            ))
        })?,
    };
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    let days = blocking(&state.store, move |store| store.daily(days, today)).await?;
    Ok(Json(DailyResponse { days }))
}

#[derive(Deserialize)]
struct DryRunQuery {
    dry_run: Option<String>,
}

/// `?dry_run=true|false`, absent meaning false.
fn dry_run(
    query: Result<Query<DryRunQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<bool, ApiError> {
    let Query(query) =
        query.map_err(|r| ApiError::Invalid(Invalid::new("query", r.body_text())))?;
    match query.dry_run.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::Invalid(Invalid::new(
            "dry_run",
            format!("expected true or false, got `{other}`"),
        ))),
    }
}

/// The actor a request acts as: its admin token.
fn token_actor(token: TokenInfo) -> Actor {
    Actor::Token {
        id: token.id,
        name: token.name,
    }
}

async fn delete_repo(
    State(state): State<AppState>,
    headers: HeaderMap,
    repo: Result<Path<String>, axum::extract::rejection::PathRejection>,
    query: Result<Query<DryRunQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Removal>, ApiError> {
    let actor = token_actor(authorize(&state, &headers, Scope::Admin).await?);
    let Path(repo) = repo.map_err(|r| {
        ApiError::Invalid(Invalid::new(
            "repo",
            format!(
                "{}; give the repo's id or URL, percent-encoded",
                r.body_text()
            ),
        ))
    })?;
    let dry_run = dry_run(query)?;
    let removal = blocking(&state.store, move |store| {
        store.delete_repo(&repo, &actor, dry_run)
    })
    .await?;
    if !removal.dry_run {
        log_admin(&removal.entry);
    }
    Ok(Json(removal))
}

/// The body of `POST /api/v1/admin/prune`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PruneRequest {
    /// The retention period: what occurred longer ago goes (`400d`, `52w`, `1y`; at least a
    /// day).
    older_than: String,
}

async fn prune(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<DryRunQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<Json<Removal>, ApiError> {
    let actor = token_actor(authorize(&state, &headers, Scope::Admin).await?);
    let dry_run = dry_run(query)?;
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|rejection| ApiError::Invalid(Invalid::new("body", rejection.body_text())))?;
    let parsed: PruneRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Invalid(Invalid::new("body", e.to_string())))?;
    let retention = Retention::parse(&parsed.older_than)
        .map_err(|message| ApiError::Invalid(Invalid::new("older_than", message)))?;
    let before = retention.cutoff(jiff::Timestamp::now());
    let removal = blocking(&state.store, move |store| {
        store.prune(retention.as_str(), before, &actor, dry_run)
    })
    .await?;
    if !removal.dry_run {
        log_admin(&removal.entry);
    }
    Ok(Json(removal))
}

#[derive(Serialize, JsonSchema)]
struct AdminLogResponse {
    entries: Vec<AdminLogEntry>,
}

async fn admin_log(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<AdminLogResponse>, ApiError> {
    authorize(&state, &headers, Scope::Admin).await?;
    let entries = blocking(&state.store, |store| store.admin_log()).await?;
    Ok(Json(AdminLogResponse { entries }))
}

/// The process is up and answering.
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// The API's description, public (it describes the API, not the registry's data), built once.
async fn openapi_json() -> impl IntoResponse {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| openapi().to_string());
    (
        [(header::CONTENT_TYPE, "application/json")],
        Bytes::from_static(DOCUMENT.as_bytes()),
    )
}

/// The Prometheus exposition: the server's counters and the store's gauges. Behind the read
/// token when reads are: its gauges say what `/api/v1/golden-paths` says.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize_read(&state, &headers).await?;
    let snapshot = blocking(&state.store, |store| {
        Ok(StoreSnapshot {
            golden_paths: store.golden_paths()?,
            stats: store.stats(GroupBy::GoldenPath)?,
        })
    })
    .await?;
    let text = state.metrics.render(&snapshot);
    Ok(([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response())
}

/// The store answers a query: this server can do its job.
async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    match blocking(&state.store, |store| store.ping()).await {
        Ok(_) => Ok(Json(serde_json::json!({"status": "ready"}))),
        Err(ApiError::Internal(message)) => {
            log_line(&serde_json::json!({"level": "error", "readyz": message}));
            Err(ApiError::Unavailable)
        }
        Err(other) => Err(other),
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The dashboard: read like the API (a refusal is a page a browser shows), rendered as HTML.
async fn dashboard_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Err(refused) = authorize_read(&state, &headers).await {
        return Ok(dashboard::refused(refused, &headers));
    }
    let now = jiff::Timestamp::now();
    let figures = blocking(&state.store, move |store| {
        dashboard::Figures::load(store, now)
    })
    .await?;
    Ok(dashboard::page(&figures, &headers))
}

// ---------------------------------------------------------------------------------------------
// Auth, the blocking pool, errors and the request log

/// The token of a request, if it carries a valid one that allows `scope`.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<TokenInfo, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized("a bearer token is required"));
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_owned())
        .ok_or(ApiError::Unauthorized(
            "expected the header `Authorization: Bearer <token>`",
        ))?;
    let token = blocking(&state.store, move |store| store.verify_token(&secret))
        .await?
        .ok_or(ApiError::Unauthorized("the token is unknown or revoked"))?;
    if !token.allows(scope) {
        return Err(ApiError::Forbidden(scope));
    }
    Ok(token)
}

async fn authorize_read(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match state.read_access {
        ReadAccess::Open => Ok(()),
        ReadAccess::TokenRequired => authorize(state, headers, Scope::Read).await.map(|_| ()),
    }
}

/// Runs a store call on the blocking pool.
async fn blocking<T, F>(store: &Arc<dyn Store>, call: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || call(store.as_ref()))
        .await
        .map_err(|e| ApiError::Internal(format!("a store call failed: {e}")))?
        .map_err(ApiError::from)
}

/// Counts a request in the metrics by its route's template, never its raw path: the label
/// values stay as few as the routes.
async fn count_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(metrics::UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    state.metrics.observe_request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    // For the request log, which runs outside the router.
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}

/// One JSON line per request: method, path (never the query, which may grow), status, time.
/// A route with parameters is logged as its template (`/api/v1/repos/{repo}`): a repo named
/// by its URL, which may hold a person's name, stays out of the log.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let mut path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(template) = response.extensions().get::<MatchedPath>()
        && template.as_str().contains('{')
    {
        path = template.as_str().to_owned();
    }
    let duration_ms = (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    log_line(&serde_json::json!({
        "ts": jiff::Timestamp::now().to_string(),
        "method": method,
        "path": path,
        "status": response.status().as_u16(),
        "duration_ms": duration_ms,
    }));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_documented_once() {
        let doc = openapi();
        let paths = doc["paths"].as_object().unwrap();
        let mut operations = 0;
        for route in API_ROUTES {
            let operation = &route.operation;
            let described = &paths[&operation.full_path()][operation.method.as_str()];
            assert_eq!(
                described["operationId"],
                operation.operation_id,
                "{} {} is not in the document",
                operation.method.as_str(),
                operation.full_path()
            );
            operations += 1;
            let in_path: Vec<&str> = operation
                .params
                .iter()
                .filter(|p| p.location == ParamIn::Path)
                .map(|p| p.name)
                .collect();
            assert_eq!(
                in_path,
                operation.path_names(),
                "{}: every {{name}} of the path is a path parameter, and only those",
                operation.operation_id
            );
        }
        let documented: usize = paths
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(documented, operations);
    }

    #[test]
    fn the_documented_limits_are_the_enforced_ones() {
        let doc = openapi().to_string();
        assert!(
            doc.contains(&format!("over {} MiB", MAX_BODY_BYTES / (1024 * 1024))),
            "{doc}"
        );
        assert!(doc.contains(&format!("from 0 to {MAX_DAYS}.")), "{doc}");
        assert!(doc.contains(&format!("(default {DEFAULT_DAYS})")), "{doc}");
    }

    #[test]
    fn a_malformed_batch_names_the_field() {
        let err = parse_batch(br#"{"events": [{"id": "nope"}]}"#).unwrap_err();
        assert_eq!(err.field, "events[0].id");
        assert_eq!(parse_batch(b"{").unwrap_err().field, "body");
        assert_eq!(parse_batch(b"[]").unwrap_err().field, "body");
        assert_eq!(
            parse_batch(br#"{"events": [{"#).unwrap_err().field,
            "events[0]"
        );
        assert_eq!(
            parse_batch(b"{\"events\": []} x").unwrap_err().field,
            "body"
        );
        assert_eq!(parse_batch(b"{\"events\": []}").unwrap(), Batch::default());
    }
}
