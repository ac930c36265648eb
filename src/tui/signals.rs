//! The signals a terminal UI answers (view layer; on unix, Ctrl-C alone elsewhere).
//!
//! - SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM and every other signal
//!   whose default action ends a process and that a program may catch ([`ending`]: SIGPROF,
//!   SIGVTALRM, SIGXCPU, SIGXFSZ, SIGIO, SIGSYS, SIGTRAP, SIGPWR, SIGSTKFLT, the real-time
//!   ones) end the UI: the loop quits, the terminal is restored, the command prints what it
//!   prints after the view, then exits with 128 + N.
//! - SIGTSTP suspends: the loop gives the terminal back, then [`stop_process`]; SIGCONT
//!   (`fg`) lets it go on, and the loop takes the terminal again and redraws it all.
//!
//! Raw mode turns Ctrl-C and Ctrl-Z into keys (see `input`), which do what SIGINT and
//! SIGTSTP do.

use futures_util::Stream;
use std::pin::Pin;

/// What a signal asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Signal N ends the UI (exit 128 + N).
    End(i32),
    /// SIGTSTP: give the terminal back and stop until continued.
    Suspend,
    /// SIGCONT: the process was stopped (by us or by SIGSTOP) and goes on; a shell may
    /// have reset the terminal meanwhile.
    Continued,
}

/// The signals that end a UI (exit 128 + N): SIGTSTP and SIGCONT aside, every signal a
/// program may catch whose default action ends it (SIGPIPE is ignored by Rust programs;
/// SIGILL, SIGFPE and SIGSEGV are the program's own faults, left to their action), the
/// real-time ones included.
#[cfg(unix)]
pub fn ending() -> Vec<i32> {
    let mut all = vec![
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGTERM,
        libc::SIGPROF,
        libc::SIGVTALRM,
        libc::SIGXCPU,
        libc::SIGXFSZ,
        libc::SIGIO,
        libc::SIGSYS,
        libc::SIGTRAP,
    ];
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        all.extend([libc::SIGPWR, libc::SIGSTKFLT]);
        all.extend(libc::SIGRTMIN()..=libc::SIGRTMAX());
    }
    all
}

/// The signals, as they arrive. Handlers are installed on the first call (inside a tokio
/// runtime) and stay: tokio never gives a signal back to its default action, which is why
/// [`stop_process`] sets SIGTSTP's for a moment itself.
pub fn signals() -> Pin<Box<dyn Stream<Item = Signal> + Send>> {
    #[cfg(unix)]
    {
        use futures_util::StreamExt;
        use tokio::signal::unix::{SignalKind, signal};
        let all = ending()
            .into_iter()
            .map(|n| (n, Signal::End(n)))
            .chain([
                (libc::SIGTSTP, Signal::Suspend),
                (libc::SIGCONT, Signal::Continued),
            ])
            // A signal that cannot be watched is left to its default action.
            .filter_map(|(n, what)| Some((signal(SignalKind::from_raw(n)).ok()?, what)))
            .map(|(s, what)| {
                futures_util::stream::unfold(s, move |mut s| async move {
                    s.recv().await.map(|()| (what, s))
                })
                .boxed()
            });
        Box::pin(futures_util::stream::select_all(all))
    }
    #[cfg(not(unix))]
    {
        Box::pin(futures_util::stream::once(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            Signal::End(super::app::SIGINT)
        }))
    }
}

/// Stops this process as SIGTSTP's default action does, and returns once it is continued
/// (SIGCONT: `fg`, `bg`, `kill -CONT`). With `whole_group`, the rest of its process group
/// (the shell's job: a wrapper script, `run`'s program) stops too, as the terminal does
/// on Ctrl-Z outside raw mode; without it (SIGTSTP sent to this process), only this one.
///
/// SIGTSTP rather than SIGSTOP: the shell reports the job as stopped the usual way, and
/// the kernel drops it for an orphaned process group (no shell to continue it), so
/// nothing stops for good. An error of a call leaves the process running, never stuck.
#[cfg(unix)]
#[allow(unsafe_code)]
pub fn stop_process(whole_group: bool) {
    // SAFETY: plain libc calls with no memory of ours handed over beyond the `sigaction`
    // structs, which live on this stack for the length of each call. `sigaction` swaps
    // SIGTSTP's disposition (tokio's handler, saved in `saved`) for SIG_IGN, then SIG_DFL,
    // then puts the saved one back; `kill(0, ..)` signals our process group, `raise` this
    // thread, whose default action stops the whole process and returns after SIGCONT.
    unsafe {
        let mut saved: libc::sigaction = std::mem::zeroed();
        let mut ignore: libc::sigaction = std::mem::zeroed();
        ignore.sa_sigaction = libc::SIG_IGN;
        if libc::sigaction(libc::SIGTSTP, &ignore, &mut saved) != 0 {
            return;
        }
        if whole_group {
            // Ignored here, so only the others stop now.
            libc::kill(0, libc::SIGTSTP);
        }
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        if libc::sigaction(libc::SIGTSTP, &default, std::ptr::null_mut()) == 0 {
            // Delivered to this thread before `raise` returns: it returns once continued.
            libc::raise(libc::SIGTSTP);
        }
        libc::sigaction(libc::SIGTSTP, &saved, std::ptr::null_mut());
    }
}

/// Elsewhere there is no stopping: the UI takes the terminal back at once.
#[cfg(not(unix))]
pub fn stop_process(_whole_group: bool) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::error::ExitCode;

    #[test]
    fn every_signal_that_ends_the_ui_has_its_exit_code_128_plus_n() {
        let all = ending();
        assert!(all.len() >= 20, "{all:?}");
        for n in all {
            assert_eq!(ExitCode::from_signal(n).map(ExitCode::code), Some(128 + n));
        }
        assert_eq!(
            ExitCode::from_signal(libc::SIGINT),
            Some(ExitCode::Interrupted)
        );
        assert_eq!(
            ExitCode::from_signal(libc::SIGTERM).map(ExitCode::code),
            Some(143)
        );
    }

    #[tokio::test]
    async fn a_signal_sent_to_this_process_arrives_as_what_it_asks() {
        use futures_util::StreamExt;
        let mut s = signals();
        // SIGUSR2: nothing else in the test binary uses it. The handler is installed by
        // `signals()`, so the default action (the end of the test binary) never runs.
        assert!(send_to_self(libc::SIGUSR2));
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), s.next()).await;
        assert_eq!(got.ok().flatten(), Some(Signal::End(libc::SIGUSR2)));
    }

    /// Sends `sig` to this process with `kill(1)`, the way a user would.
    fn send_to_self(sig: i32) -> bool {
        std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(std::process::id().to_string())
            .status()
            .is_ok_and(|s| s.success())
    }
}
