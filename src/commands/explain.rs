//! `ratedoctor explain`.

use crate::cli::ExplainArgs;
use crate::error::{AppError, ExitCode};

pub fn run(args: &ExplainArgs) -> Result<ExitCode, AppError> {
    let _ = args;
    Ok(ExitCode::NoErrorFound)
}
