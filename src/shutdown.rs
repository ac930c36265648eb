//! Ctrl-C and SIGTERM for long-running commands (`mock`, `watch`). The handlers are
//! installed by [`StopSignals::install`] — before a command announces that it is ready — so
//! a signal sent right after the announcement stops it cleanly instead of killing it.

/// Installed stop signals.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Installs the handlers now (inside a tokio runtime).
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            StopSignals {}
        }
    }

    /// Resolves on the first Ctrl-C (SIGINT) or SIGTERM.
    pub async fn wait(&mut self) {
        self.wait_which().await;
    }

    /// Resolves on the first Ctrl-C (SIGINT) or SIGTERM: true for Ctrl-C.
    pub async fn wait_which(&mut self) -> bool {
        #[cfg(unix)]
        {
            let int = async {
                match self.interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let term = async {
                match self.terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = int => true,
                () = term => false,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            true
        }
    }
}
