//! Readiness state and the shutdown signals.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

/// Whether the service accepts new traffic (`/readyz`). It starts ready and
/// flips to not-ready for good when shutdown begins.
#[derive(Clone, Debug)]
pub struct Readiness(Arc<AtomicBool>);

impl Default for Readiness {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub fn set_not_ready(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The signal that asked the service to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (ctrl-c): a developer stopping a local run.
    Interrupt,
    /// SIGTERM: the orchestrator (Kubernetes, docker stop) stopping the pod.
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
        }
    }
}

/// Waits for SIGINT or SIGTERM.
pub async fn wait_for_signal() -> std::io::Result<Signal> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map(|()| Signal::Interrupt),
            _ = terminate.recv() => Ok(Signal::Terminate),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| Signal::Interrupt)
    }
}
