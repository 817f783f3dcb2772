//! HTTP routes: the example API plus the operational endpoints.

use std::time::Duration;

use axum::{
    extract::{Query, State},
    http::{header, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};

use crate::{metrics::Metrics, shutdown::Readiness, telemetry};

/// State shared by all handlers (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub metrics: Metrics,
    pub readiness: Readiness,
}

impl AppState {
    /// Fresh state; `service` is the `service` label of the metrics.
    pub fn new(service: &str) -> Self {
        Self {
            metrics: Metrics::new(service),
            readiness: Readiness::default(),
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new(crate::SERVICE_NAME)
    }
}

/// The complete router of the service.
///
/// API routes are traced, counted in the request metrics and bounded by
/// `request_timeout`; the operational endpoints (`/healthz`, `/readyz`,
/// `/metrics`) are kept out of traces and metrics.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let api = Router::new()
        .route("/", get(index))
        .route("/api/v1/hello", get(hello))
        .fallback(not_found)
        // Layers wrap each route; the last one added runs first.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::make_span)
                .on_response(telemetry::on_response),
        )
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api)
        .with_state(state)
}

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

/// Liveness: the process is up and serving HTTP.
async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// Readiness: 200 while serving, 503 once shutdown has begun. Add checks of
/// hard dependencies (database, ...) here, not in `/healthz`.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Status>) {
    if state.readiness.is_ready() {
        (StatusCode::OK, Json(Status { status: "ready" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Status {
                status: "shutting_down",
            }),
        )
    }
}

/// Prometheus scrape endpoint.
async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render() {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "failed to encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Serialize)]
struct About {
    service: &'static str,
    version: &'static str,
}

async fn index() -> Json<About> {
    Json(About {
        service: crate::SERVICE_NAME,
        version: crate::VERSION,
    })
}

#[derive(Deserialize)]
struct HelloParams {
    name: Option<String>,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

#[derive(Serialize)]
struct ApiError {
    error: String,
}

const MAX_NAME_LEN: usize = 64;

/// Example endpoint: `GET /api/v1/hello?name=Ada`.
async fn hello(Query(params): Query<HelloParams>) -> Response {
    let name = params.name.as_deref().map_or("world", str::trim);
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        let error = format!("name must be 1 to {MAX_NAME_LEN} characters");
        return (StatusCode::BAD_REQUEST, Json(ApiError { error })).into_response();
    }
    tracing::debug!(name, "greeting");
    Json(Greeting {
        message: format!("Hello, {name}!"),
    })
    .into_response()
}

async fn not_found() -> (StatusCode, Json<ApiError>) {
    (
        StatusCode::NOT_FOUND,
        Json(ApiError {
            error: "not found".to_owned(),
        }),
    )
}
