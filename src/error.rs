//! Errors that end a command, each with a documented exit code and one line of text.

use std::fmt;

/// Process exit codes (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ExitCode {
    /// Success; for `explain`, at least one error was diagnosed.
    Ok = 0,
    /// `explain` read the input but found no API error in it; `probe`: the burst was
    /// declined, nothing was sent. (One code, as `grep` uses 1 for "nothing".)
    NoErrorFound = 1,
    /// Bad command line (clap's own code).
    Usage = 2,
    /// The input could not be read: missing file, I/O error, binary data.
    Unreadable = 3,
    /// A network problem: refused, unreachable, TLS, timeout.
    Network = 4,
    /// The server answered with an error (probe): see the diagnosis.
    ApiError = 5,
    /// Something went wrong inside ratedoctor.
    Internal = 70,
    /// A terminal UI ended by SIGHUP (128 + 1): the terminal went away.
    #[cfg(unix)]
    Hangup = 128 + libc::SIGHUP,
    /// Ctrl-C in a terminal UI, or SIGINT: 128 + 2, as shells report it.
    Interrupted = 130,
    /// A terminal UI ended by SIGQUIT (128 + 3).
    #[cfg(unix)]
    Quit = 128 + libc::SIGQUIT,
    /// A terminal UI ended by SIGUSR1 (128 + 10 on Linux).
    #[cfg(unix)]
    User1 = 128 + libc::SIGUSR1,
    /// A terminal UI ended by SIGUSR2 (128 + 12 on Linux).
    #[cfg(unix)]
    User2 = 128 + libc::SIGUSR2,
    /// A terminal UI ended by SIGALRM (128 + 14).
    #[cfg(unix)]
    Alarm = 128 + libc::SIGALRM,
    /// A terminal UI ended by SIGTERM (128 + 15).
    #[cfg(unix)]
    Terminated = 128 + libc::SIGTERM,
}

/// An error that stops a command.
#[derive(Debug)]
pub enum AppError {
    /// The input could not be read.
    Unreadable(String),
    /// The arguments make no sense together.
    Usage(String),
    /// A network failure.
    Network(String),
    /// The API answered, but not with a usable answer.
    Api(String),
    /// Anything else.
    Internal(String),
}

impl ExitCode {
    /// The code for a terminal UI that signal `n` ended (128 + n), for the signals the UI
    /// catches (see `tui::signals`); `None` for any other.
    pub fn from_signal(n: i32) -> Option<ExitCode> {
        #[cfg(unix)]
        const CAUGHT: &[ExitCode] = &[
            ExitCode::Hangup,
            ExitCode::Interrupted,
            ExitCode::Quit,
            ExitCode::User1,
            ExitCode::User2,
            ExitCode::Alarm,
            ExitCode::Terminated,
        ];
        #[cfg(not(unix))]
        const CAUGHT: &[ExitCode] = &[ExitCode::Interrupted];
        let code = n.checked_add(128)?;
        CAUGHT.iter().copied().find(|c| *c as i32 == code)
    }

    /// `probe`'s burst was declined at its question: nothing was sent.
    #[allow(non_upper_case_globals)]
    pub const Declined: ExitCode = ExitCode::NoErrorFound;
}

impl AppError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            AppError::Unreadable(_) => ExitCode::Unreadable,
            AppError::Usage(_) => ExitCode::Usage,
            AppError::Network(_) => ExitCode::Network,
            AppError::Api(_) => ExitCode::ApiError,
            AppError::Internal(_) => ExitCode::Internal,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Unreadable(m)
            | AppError::Usage(m)
            | AppError::Network(m)
            | AppError::Api(m)
            | AppError::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use super::ExitCode;

    #[test]
    fn a_signal_n_gives_128_plus_n() {
        assert_eq!(ExitCode::from_signal(2), Some(ExitCode::Interrupted));
        assert_eq!(ExitCode::Interrupted as i32, 130);
        // Every signal that ends a UI: tui::signals's tests.
        assert_eq!(ExitCode::from_signal(9), None);
        assert_eq!(ExitCode::from_signal(-128), None);
        assert_eq!(ExitCode::from_signal(i32::MAX), None);
    }
}
