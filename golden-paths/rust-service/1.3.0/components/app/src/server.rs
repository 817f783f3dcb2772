//! The HTTP server and its graceful shutdown.

use std::{future::IntoFuture, net::SocketAddr, time::Duration};

use tokio::{net::TcpListener, sync::oneshot};

use crate::{
    config::Config,
    router,
    shutdown::{self, Signal},
    AppState,
};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Serves the API on `0.0.0.0:PORT` until SIGTERM or SIGINT, then shuts down
/// gracefully:
///
/// 1. `/readyz` starts failing, so Kubernetes takes the pod out of its
///    Service endpoints;
/// 2. on SIGTERM, requests are still served for `SHUTDOWN_DELAY_SECONDS`
///    while that change propagates (SIGINT skips this wait);
/// 3. the listener closes and in-flight requests get up to
///    `SHUTDOWN_TIMEOUT_SECONDS` to finish.
pub async fn serve(config: &Config, state: AppState) -> Result<(), Error> {
    let readiness = state.readiness.clone();
    let app = router(state, config.request_timeout);

    let addr = SocketAddr::from(([0, 0, 0, 0], config.port));
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(%addr, version = crate::VERSION, "listening");

    let (drain, drain_requested) = oneshot::channel::<()>();
    let mut server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = drain_requested.await;
            })
            .into_future(),
    );

    let signal = tokio::select! {
        result = &mut server => {
            result??;
            return Err("server stopped without a shutdown signal".into());
        }
        signal = shutdown::wait_for_signal() => signal?,
    };

    readiness.set_not_ready();
    let delay = match signal {
        Signal::Terminate => config.shutdown_delay,
        Signal::Interrupt => Duration::ZERO,
    };
    tracing::info!(
        signal = signal.name(),
        delay_ms = delay.as_millis() as u64,
        "shutting down: readiness now fails"
    );
    tokio::time::sleep(delay).await;

    tracing::info!("closing the listener, draining in-flight requests");
    let _ = drain.send(());
    match tokio::time::timeout(config.shutdown_timeout, &mut server).await {
        Ok(result) => result??,
        Err(_) => {
            server.abort();
            tracing::warn!(
                timeout_ms = config.shutdown_timeout.as_millis() as u64,
                "in-flight requests did not finish in time; exiting anyway"
            );
        }
    }
    tracing::info!("shutdown complete");
    Ok(())
}
