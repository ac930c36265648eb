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
