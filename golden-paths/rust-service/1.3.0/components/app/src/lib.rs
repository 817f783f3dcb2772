//! The service as a library: the binary (`main.rs`) sets up telemetry and
//! runs [`server::serve`] around [`router`]; the integration tests in `tests/`
//! drive the same router in memory.

pub mod config;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod shutdown;
pub mod telemetry;

pub use routes::{router, AppState};

/// Name of the service (the Cargo package name); default `service.name` for
/// traces and the `service` label on metrics.
pub const SERVICE_NAME: &str = env!("CARGO_PKG_NAME");

/// Version of the service (the Cargo package version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
