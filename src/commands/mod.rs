//! The subcommands: each reads its files, asks the compiler, reports, writes, and
//! says how it ended. Shared here: reporting diagnostics on stderr.

pub mod analyze;
pub mod build;
pub mod check;
pub mod explain;
pub mod fmt;
pub mod paths;

use std::io::Write;

use npg_compiler::Diagnostic;

use crate::render::{Sources, human};

/// Renders diagnostics for people on stderr. A terminal that cannot be written
/// to leaves nobody to tell, so write errors are dropped.
pub fn report_on_stderr(diagnostics: &[Diagnostic], sources: &Sources<'_>, color: bool) {
    if diagnostics.is_empty() {
        return;
    }
    let mut rendered = Vec::new();
    let _ = human::render(diagnostics, sources, color, &mut rendered);
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(&rendered);
    let _ = stderr.flush();
}

/// Writes `text` to stdout in one piece.
pub fn write_stdout(text: &str) -> Result<(), crate::outcome::Failure> {
    write_stdout_pieces([text])
}

/// Writes text given in pieces to stdout, without joining them first.
pub fn write_stdout_pieces<'a>(pieces: impl IntoIterator<Item = &'a str>) -> Result<(), crate::outcome::Failure> {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = pieces.into_iter().try_for_each(|piece| stdout.write_all(piece.as_bytes()));
    written.and_then(|()| stdout.flush()).map_err(|error| {
        crate::outcome::Failure::new(format!(
            "cannot write to standard output: {}",
            crate::outcome::describe_io_error(&error)
        ))
    })
}
