//! `npg check`: report the program's diagnostics, for people (stderr) or tools
//! (JSON or SARIF on stdout), and fail on errors or, when denied, warnings. With
//! `--workloads K8S_DIR`, also simulate the program over the cluster's real workloads.

use std::io::{BufWriter, Write};

use npg_compiler::reach::diff::{self, Side};
use npg_compiler::reach::manifests::ReadOptions;
use npg_compiler::reach::{Connectivity, cluster_with_workloads, evaluate_assertions};
use npg_compiler::{Code, Diagnostic};

use crate::cli::{CheckArgs, ReportFormat};
use crate::commands::{report_on_stderr, write_stdout};
use crate::manifests::LoadedManifests;
use crate::outcome::{Failure, Outcome, describe_io_error};
use crate::program::LoadedProgram;
use crate::render::{json, sarif};

pub fn run(args: &CheckArgs, color: bool) -> Result<Outcome, Failure> {
    let program = LoadedProgram::load(&args.paths)?;
    let mut diagnostics = program.diagnostics();
    let workloads = match &args.workloads {
        Some(folder) => Some(LoadedManifests::load(std::slice::from_ref(folder))?),
        None => None,
    };
    let mut sources = program.sources();
    if let Some(workloads) = &workloads {
        sources.merge(workloads.sources());
        // Tools read diagnostics from stdout: the changes go to stderr for them.
        let changes_on_stdout = args.format == ReportFormat::Human;
        diagnostics.extend(simulate(
            &program,
            (workloads, args.host_network.read_options()),
            &diagnostics,
            changes_on_stdout,
        )?);
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        diagnostics.dedup();
    }
    match args.format {
        ReportFormat::Human => report_on_stderr(&diagnostics, &sources, color),
        ReportFormat::Json => write_stdout(&json::render(&diagnostics, &sources))?,
        ReportFormat::Sarif => write_stdout(&sarif::render(&diagnostics, &sources))?,
    }
    let failing = diagnostics.iter().any(|diagnostic| diagnostic.is_error() || args.deny_warnings);
    Ok(if failing { Outcome::Problems } else { Outcome::Clean })
}

/// The program's policies in place of the ones npg manages in `workloads`: writes
/// the connections opened and closed (on stdout, or stderr), and returns the
/// manifests' diagnostics and the assertions that fail over the real workloads.
/// Nothing is simulated when the manifests have errors, or the program has errors
/// other than failed assertions.
fn simulate(
    program: &LoadedProgram,
    (workloads, options): (&LoadedManifests, ReadOptions),
    program_diagnostics: &[Diagnostic],
    changes_on_stdout: bool,
) -> Result<Vec<Diagnostic>, Failure> {
    let real = match workloads.read(options) {
        Ok(read) => read,
        Err(diagnostics) => return Ok(diagnostics),
    };
    // Failed assertions do not change the policies: everything else does.
    if program_diagnostics.iter().any(|diagnostic| diagnostic.is_error() && diagnostic.code != Code::AssertionFailed) {
        return Ok(real.warnings);
    }
    let (db, handle) = program.query();
    let model = npg_compiler::db::model(db, handle);
    let assertions = npg_compiler::check::assertions(db, handle);
    let after = cluster_with_workloads(&model, &real.cluster);
    let (was, now) = (Connectivity::of(&real.cluster), Connectivity::of(&after));
    let mut comparison = diff::Comparison::new(
        Side { cluster: &real.cluster, connectivity: &was },
        Side { cluster: &after, connectivity: &now },
    );
    if changes_on_stdout {
        let written = write_pieces(std::io::stdout().lock(), &mut comparison);
        written
            .map_err(|error| Failure::new(format!("cannot write to standard output: {}", describe_io_error(&error))))?;
    } else {
        // Nobody is left to tell when stderr cannot be written to.
        let _ = write_pieces(std::io::stderr().lock(), &mut comparison);
    }
    let mut diagnostics = real.warnings;
    diagnostics.extend(evaluate_assertions(&model, &assertions, &after));
    Ok(diagnostics)
}

/// Writes the changes as they are walked, without building the whole text.
fn write_pieces(out: impl Write, comparison: &mut diff::Comparison<'_>) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut failed = None;
    diff::write_text(comparison, |piece| {
        if failed.is_none()
            && let Err(error) = out.write_all(piece.as_bytes())
        {
            failed = Some(error);
        }
    });
    match failed {
        Some(error) => Err(error),
        None => out.flush(),
    }
}
