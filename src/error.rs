//! Errors that end a command, each with a documented exit code and one line of text.

use std::fmt;

/// Process exit codes (documented in the README): the named ones below, and 128 + N
/// for a terminal UI that signal N ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitCode(i32);

#[allow(non_upper_case_globals)]
impl ExitCode {
    /// Success; for `explain`, at least one error was diagnosed.
    pub const Ok: ExitCode = ExitCode(0);
    /// `explain` read the input but found no API error in it; `probe`: the burst was
    /// declined, nothing was sent. (One code, as `grep` uses 1 for "nothing".)
    pub const NoErrorFound: ExitCode = ExitCode(1);
    /// Bad command line (clap's own code).
    pub const Usage: ExitCode = ExitCode(2);
    /// The input could not be read: missing file, I/O error, binary data.
    pub const Unreadable: ExitCode = ExitCode(3);
    /// A network problem: refused, unreachable, TLS, timeout.
    pub const Network: ExitCode = ExitCode(4);
    /// The server answered with an error (probe): see the diagnosis.
    pub const ApiError: ExitCode = ExitCode(5);
    /// Something went wrong inside ratedoctor.
    pub const Internal: ExitCode = ExitCode(70);
    /// Ctrl-C in a terminal UI, or SIGINT: 128 + 2, as shells report it.
    pub const Interrupted: ExitCode = ExitCode(130);
    /// `probe`'s burst was declined at its question: nothing was sent.
    pub const Declined: ExitCode = ExitCode::NoErrorFound;

    /// The code for a terminal UI that signal `n` ended: 128 + n, as shells report it;
    /// `None` for a number that is no signal.
    pub fn from_signal(n: i32) -> Option<ExitCode> {
        (1..=64).contains(&n).then(|| ExitCode(128 + n))
    }

    /// The number the process exits with.
    pub fn code(self) -> i32 {
        self.0
    }
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
        assert_eq!(ExitCode::Interrupted.code(), 130);
        // Every signal that ends a UI: tui::signals's tests.
        assert_eq!(ExitCode::from_signal(0), None);
        assert_eq!(ExitCode::from_signal(-128), None);
        assert_eq!(ExitCode::from_signal(i32::MAX), None);
    }
}
