//! Logs and traces.
//!
//! Logs are JSON lines on stdout (`RUST_LOG` sets the levels, default `info`).
//! Traces are exported over OTLP/gRPC only when an OTLP endpoint is configured
//! through the standard OpenTelemetry variables, which the SDK reads:
//!
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (e.g. `http://otel-collector:4317`) or
//!   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; `OTEL_EXPORTER_OTLP_HEADERS`,
//!   `OTEL_EXPORTER_OTLP_TIMEOUT` (`OTEL_EXPORTER_OTLP_PROTOCOL`, if set, must
//!   be `grpc`)
//! - `OTEL_SERVICE_NAME` (default: the crate name), `OTEL_RESOURCE_ATTRIBUTES`
//! - `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` (default: parentbased_always_on)
//! - `OTEL_BSP_*` (batch span processor), `OTEL_SPAN_*_LIMIT`
//! - `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn the export off.
//!
//! Incoming W3C `traceparent`/`tracestate` headers continue the caller's trace,
//! and every request log line carries the `trace_id`.

use std::{env, time::Duration};

use axum::{
    extract::{MatchedPath, Request},
    http::HeaderMap,
    response::Response,
};
use opentelemetry::{
    global,
    propagation::Extractor,
    trace::{TraceContextExt, TraceId, TracerProvider as _},
    KeyValue,
};
use opentelemetry_sdk::{
    propagation::TraceContextPropagator,
    resource::{EnvResourceDetector, TelemetryResourceDetector},
    trace::SdkTracerProvider,
    Resource,
};
use tracing::{field, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{filter::Targets, layer::SubscriberExt, util::SubscriberInitExt};

use crate::metrics::UNMATCHED_ROUTE;

/// Default log levels when `RUST_LOG` is unset or invalid.
const DEFAULT_LOG_FILTER: &str = "info";

/// Keeps the tracer provider alive; call [`Telemetry::shutdown`] before exit.
#[must_use = "call Telemetry::shutdown before exiting so buffered spans are flushed"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported over OTLP.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes buffered spans and stops the exporter.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // Flushing blocks until the exporter is done: keep it off the async workers.
        let result = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        match result {
            Ok(Ok(())) => tracing::info!("tracer provider flushed"),
            Ok(Err(error)) => tracing::warn!(%error, "tracer provider shutdown failed"),
            Err(error) => tracing::warn!(%error, "tracer provider shutdown panicked"),
        }
    }
}

/// Installs the global `tracing` subscriber: JSON logs to stdout, plus the
/// OpenTelemetry layer when an OTLP endpoint is configured.
pub fn init() -> Result<Telemetry, Box<dyn std::error::Error>> {
    let service_name = crate::SERVICE_NAME;
    let (provider, export_error) = if otlp_enabled() {
        match tracer_provider(service_name) {
            Ok(provider) => (Some(provider), None),
            Err(error) => (None, Some(error)),
        }
    } else {
        (None, None)
    };

    let (filter, filter_error) = match env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => match spec.parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(error) => (
                default_filter(),
                Some(format!("invalid RUST_LOG {spec:?}: {error}")),
            ),
        },
        _ => (default_filter(), None),
    };
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true);
    let otel = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(service_name))
            .with_tracked_inactivity(false)
            .with_threads(false)
    });
    tracing_subscriber::registry()
        .with(otel)
        .with(json)
        .with(filter)
        .try_init()?;

    if let Some(error) = filter_error {
        tracing::warn!(error, "using default log filter {DEFAULT_LOG_FILTER:?}");
    }
    if let Some(error) = export_error {
        tracing::error!(%error, "OTLP trace exporter not started; traces are not exported");
    }
    if provider.is_some() {
        if let Some(endpoint) = otlp_endpoint().filter(|e| e.starts_with("https://")) {
            tracing::warn!(
                endpoint,
                "this build has no TLS for OTLP; enable the opentelemetry-otlp features \
                 \"tls-ring\" and \"tls-webpki-roots\" for https endpoints"
            );
        }
    }
    tracing::info!(
        service = service_name,
        version = crate::VERSION,
        exporting_traces = provider.is_some(),
        "telemetry initialised"
    );
    Ok(Telemetry { provider })
}

fn default_filter() -> Targets {
    DEFAULT_LOG_FILTER
        .parse()
        .expect("valid default log filter")
}

fn non_empty_env(key: &str) -> Option<String> {
    env::var(key)
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn otlp_endpoint() -> Option<String> {
    non_empty_env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .or_else(|| non_empty_env("OTEL_EXPORTER_OTLP_ENDPOINT"))
}

/// Traces are exported only to an explicitly configured endpoint.
fn otlp_enabled() -> bool {
    let disabled =
        non_empty_env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let no_exporter =
        non_empty_env("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"));
    !disabled && !no_exporter && otlp_endpoint().is_some()
}

fn tracer_provider(
    service_name: &'static str,
) -> Result<SdkTracerProvider, Box<dyn std::error::Error>> {
    // Endpoint, headers and timeout come from OTEL_EXPORTER_OTLP_*. The gRPC
    // channel connects lazily: a collector that is down costs dropped spans,
    // not a failed start.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()?;
    // The sampler (OTEL_TRACES_SAMPLER) and batch settings (OTEL_BSP_*) are
    // read from the environment by the SDK's defaults.
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(service_name))
        .with_batch_exporter(exporter)
        .build();
    global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(provider)
}

/// `service.name` defaults to the crate name and `service.version` to the
/// crate version; `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME` override.
fn resource(service_name: &'static str) -> Resource {
    let builder = Resource::builder_empty()
        .with_service_name(service_name)
        .with_attribute(KeyValue::new("service.version", crate::VERSION))
        .with_detectors(&[
            Box::new(TelemetryResourceDetector),
            Box::new(EnvResourceDetector::new()),
        ]);
    match non_empty_env("OTEL_SERVICE_NAME") {
        Some(name) => builder.with_service_name(name),
        None => builder,
    }
    .build()
}

/// Span of one API request (`tower_http::trace::MakeSpan`): named after the
/// route template, child of the caller's trace when it sent `traceparent`.
pub fn make_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    let method = request.method().as_str();
    let span = tracing::info_span!(
        "http_request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = field::Empty,
        http.request.method = %method,
        http.route = %route,
        url.path = %request.uri().path(),
        http.response.status_code = field::Empty,
        trace_id = field::Empty,
    );
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    // Fails only when no OpenTelemetry layer is installed (export off).
    if span.set_parent(parent).is_ok() {
        let trace_id = span.context().span().span_context().trace_id();
        if trace_id != TraceId::INVALID {
            span.record("trace_id", field::display(trace_id));
        }
    }
    span
}

/// Records the status on the request span and writes the access log line
/// (`tower_http::trace::OnResponse`).
pub fn on_response(response: &Response, latency: Duration, span: &Span) {
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    tracing::info!(
        status = status.as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request completed"
    );
}

/// Reads W3C trace context headers from an incoming request.
struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}
