//! `npg check`: report the program's diagnostics, for people (stderr) or tools
//! (JSON or SARIF on stdout), and fail on errors or, when denied, warnings.

use crate::cli::{CheckArgs, ReportFormat};
use crate::commands::{report_on_stderr, write_stdout};
use crate::outcome::{Failure, Outcome};
use crate::program::LoadedProgram;
use crate::render::{json, sarif};

pub fn run(args: &CheckArgs, color: bool) -> Result<Outcome, Failure> {
    let program = LoadedProgram::load(&args.paths)?;
    let diagnostics = program.diagnostics();
    let sources = program.sources();
    match args.format {
        ReportFormat::Human => report_on_stderr(&diagnostics, &sources, color),
        ReportFormat::Json => write_stdout(&json::render(&diagnostics, &sources))?,
        ReportFormat::Sarif => write_stdout(&sarif::render(&diagnostics, &sources))?,
    }
    let failing = diagnostics.iter().any(|diagnostic| diagnostic.is_error() || args.deny_warnings);
    Ok(if failing { Outcome::Problems } else { Outcome::Clean })
}
