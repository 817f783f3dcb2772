//! Prometheus metrics of the HTTP API (the SLIs behind the SLO alerts and
//! dashboards in `observability/`):
//!
//! - `http_requests_total{service, route, method, status}`: counter
//! - `http_request_duration_seconds{service, route, method, status}`: histogram
//!
//! `route` is the matched route template (`/api/v1/hello`, not the raw path;
//! `unmatched` for requests no route matched) and `method` is folded to the
//! standard methods, so label cardinality stays bounded. The operational
//! endpoints (`/healthz`, `/readyz`, `/metrics`) are not counted: probes and
//! scrapes would otherwise dilute the availability and latency SLIs.

use std::time::{Duration, Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::Response,
};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

/// Name of the request counter.
pub const REQUESTS_TOTAL: &str = "http_requests_total";
/// Name of the request latency histogram.
pub const REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";
/// Latency buckets in seconds. The SLO latency threshold must be one of them.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// `route` label value of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

const LABELS: &[&str] = &["route", "method", "status"];

/// The metrics registry of the service (cheap to clone).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl Metrics {
    /// Creates the registry; `service` becomes the constant `service` label.
    pub fn new(service: &str) -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                REQUESTS_TOTAL,
                "HTTP requests handled, by route, method and status code.",
            )
            .const_label("service", service),
            LABELS,
        )
        .expect("valid counter definition");
        let duration = HistogramVec::new(
            HistogramOpts::new(REQUEST_DURATION_SECONDS, "HTTP request latency in seconds.")
                .const_label("service", service)
                .buckets(LATENCY_BUCKETS.to_vec()),
            LABELS,
        )
        .expect("valid histogram definition");
        let registry = Registry::new();
        registry
            .register(Box::new(requests.clone()))
            .expect("counter registered once");
        registry
            .register(Box::new(duration.clone()))
            .expect("histogram registered once");
        Self {
            registry,
            requests,
            duration,
        }
    }

    /// Records one finished request.
    pub fn observe(&self, route: &str, method: &Method, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [route, method_label(method), status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.duration
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The registry in the Prometheus text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        TextEncoder::new().encode_to_string(&self.registry.gather())
    }

    /// The registry, to register further application metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// Middleware that counts and times every request of the routes it wraps.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    metrics.observe(&route, &method, response.status().as_u16(), start.elapsed());
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
