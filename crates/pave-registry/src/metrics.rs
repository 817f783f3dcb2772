//! The registry server's Prometheus metrics (`GET /metrics`), in the Prometheus text format 0.0.4
//! (`promtool check metrics` reads it; it does not read OpenMetrics' `_total` counters).
//!
//! Two kinds: counters and a histogram the server keeps in memory (requests, ingested events),
//! reset when it restarts as Prometheus expects; and gauges read from the store at each scrape
//! (repos per golden path and version, conformance per golden path) by the same small reads as
//! `/api/v1/golden-paths` and `/api/v1/stats` (current-state tables, never the event log), so
//! every server on one PostgreSQL database reports the same numbers. Golden paths are labelled
//! by catalog and name (`catalog=""`: unknown), as the registry tells them apart.
//!
//! Labels stay bounded: a request is labelled by its route's template (`/api/v1/stats`, never a
//! raw path a client made up) and its method only if it is a standard one.

use std::fmt;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::model::{GoldenPathSummary, Stats};
use crate::store::Ingested;

/// `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const PREFIX: &str = "pave_registry";

/// The route label of a request no route matched (a 404).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Request durations, in seconds: Prometheus' default buckets.
const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The event kinds, so each has a series (at zero) before its first event.
const EVENT_KINDS: [&str; 3] = ["adoption", "conformance", "audit"];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    golden_path: String,
    catalog: String,
    version: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConformanceLabels {
    golden_path: String,
    catalog: String,
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GoldenPathLabels {
    golden_path: String,
    catalog: String,
}

/// The counters and histogram a server keeps; one per [`crate::server::app`].
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    ingested: Family<KindLabels, Counter>,
    duplicates: Counter,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let durations: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method and route template",
            Unit::Seconds,
            durations.clone(),
        );
        let ingested = Family::<KindLabels, Counter>::default();
        registry.register(
            "events_ingested",
            "Events stored, by kind (duplicates not included)",
            ingested.clone(),
        );
        for kind in EVENT_KINDS {
            drop(ingested.get_or_create(&KindLabels { kind: kind.into() }));
        }
        let duplicates = Counter::default();
        registry.register(
            "events_duplicate",
            "Events received again (a retry): already stored, not counted again",
            duplicates.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            ingested,
            duplicates,
        }
    }

    /// Counts an answered request. `route` is the matched route's template, or
    /// [`UNMATCHED_ROUTE`].
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = bounded_method(method);
        self.requests
            .get_or_create(&RequestLabels {
                method: method.into(),
                route: route.into(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.into(),
                route: route.into(),
            })
            .observe(seconds);
    }

    /// Counts a stored batch.
    pub fn observe_ingest(&self, ingested: &Ingested) {
        for (kind, n) in &ingested.accepted_by_kind {
            self.ingested
                .get_or_create(&KindLabels {
                    kind: (*kind).into(),
                })
                .inc_by(*n);
        }
        self.duplicates.inc_by(ingested.outcome.duplicates);
    }

    /// The exposition: the server's counters, then the store's gauges from `snapshot`.
    pub fn render(&self, snapshot: &StoreSnapshot) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail, and the labels are ours: nothing here can either.
        encode(&mut text, &self.registry).expect("metrics encode into a String");
        encode(&mut text, &snapshot.registry()).expect("metrics encode into a String");
        text
    }
}

/// What a scrape reads from the store.
#[derive(Debug, Clone)]
pub struct StoreSnapshot {
    pub golden_paths: Vec<GoldenPathSummary>,
    /// Grouped by golden path.
    pub stats: Stats,
}

impl StoreSnapshot {
    fn registry(&self) -> Registry {
        let mut registry = Registry::with_prefix(PREFIX);
        let repos = Family::<VersionLabels, Gauge>::default();
        registry.register(
            "repos",
            "Repos on a golden path, by golden path, catalog and the version they are on",
            repos.clone(),
        );
        for golden_path in &self.golden_paths {
            for version in &golden_path.versions {
                repos
                    .get_or_create(&VersionLabels {
                        golden_path: golden_path.name.clone(),
                        catalog: golden_path.catalog.clone().unwrap_or_default(),
                        version: version.version.to_string(),
                    })
                    .set(gauge_value(version.repos));
            }
        }
        let conformance = Family::<ConformanceLabels, Gauge>::default();
        registry.register(
            "repos_conformance",
            "Repos on a golden path by the conformance of their current version: conforming, \
             drifted, or unchecked (none recorded)",
            conformance.clone(),
        );
        let lagging = Family::<GoldenPathLabels, Gauge>::default();
        registry.register(
            "repos_lagging",
            "Repos on a golden path behind the newest version the registry knows in its catalog",
            lagging.clone(),
        );
        for group in &self.stats.groups {
            let Some(golden_path) = &group.key else {
                continue;
            };
            for (state, n) in [
                ("conforming", group.conforming),
                ("drifted", group.drifted),
                ("unchecked", group.unchecked),
            ] {
                conformance
                    .get_or_create(&ConformanceLabels {
                        golden_path: golden_path.clone(),
                        catalog: group.catalog.clone().unwrap_or_default(),
                        state,
                    })
                    .set(gauge_value(n));
            }
            lagging
                .get_or_create(&GoldenPathLabels {
                    golden_path: golden_path.clone(),
                    catalog: group.catalog.clone().unwrap_or_default(),
                })
                .set(gauge_value(group.lagging));
        }
        registry
    }
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A standard method as itself, anything else as `other`: a client cannot mint label values.
fn bounded_method(method: &str) -> &str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GroupBy, GroupStats, IngestOutcome, VersionCount};

    #[test]
    fn counters_and_gauges_render_as_prometheus_text() {
        let metrics = Metrics::new();
        metrics.observe_request("GET", "/api/v1/stats", 200, 0.003);
        metrics.observe_request("BREW", UNMATCHED_ROUTE, 404, 0.001);
        metrics.observe_ingest(&Ingested {
            outcome: IngestOutcome {
                accepted: 3,
                duplicates: 1,
            },
            accepted_by_kind: [("adoption", 2), ("audit", 1)].into_iter().collect(),
        });
        let snapshot = StoreSnapshot {
            golden_paths: vec![GoldenPathSummary {
                name: "rust \"service\"".into(),
                catalog: Some("builtin".into()),
                repos: 2,
                latest: None,
                versions: vec![VersionCount {
                    version: "1.1.0".parse().unwrap(),
                    repos: 2,
                }],
            }],
            stats: Stats {
                fleet: Default::default(),
                group_by: GroupBy::GoldenPath,
                groups: vec![GroupStats {
                    key: Some("rust \"service\"".into()),
                    catalog: Some("builtin".into()),
                    repos: 2,
                    adoptions: 2,
                    conforming: 1,
                    unchecked: 1,
                    ..GroupStats::default()
                }],
            },
        };
        let text = metrics.render(&snapshot);
        for line in [
            "# TYPE pave_registry_http_requests_total counter",
            r#"pave_registry_http_requests_total{method="GET",route="/api/v1/stats",status="200"} 1"#,
            r#"pave_registry_http_requests_total{method="other",route="unmatched",status="404"} 1"#,
            r#"pave_registry_http_request_duration_seconds_bucket{method="GET",route="/api/v1/stats",le="0.005"} 1"#,
            r#"pave_registry_events_ingested_total{kind="adoption"} 2"#,
            r#"pave_registry_events_ingested_total{kind="conformance"} 0"#,
            "pave_registry_events_duplicate_total 1",
            r#"pave_registry_repos{golden_path="rust \"service\"",catalog="builtin",version="1.1.0"} 2"#,
            r#"pave_registry_repos_conformance{golden_path="rust \"service\"",catalog="builtin",state="drifted"} 0"#,
            r#"pave_registry_repos_lagging{golden_path="rust \"service\"",catalog="builtin"} 0"#,
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
    }
}
