//! `npg check`: report the program's diagnostics, for people (stderr) or tools
//! (JSON or SARIF on stdout), and fail on errors or, when denied, warnings. With
//! `--workloads K8S_DIR`, also simulate the program over the cluster's real workloads.

use npg_compiler::reach::diff::{self, Side};
use npg_compiler::reach::manifests::ReadOptions;
use npg_compiler::reach::{Connectivity, cluster_with_workloads, evaluate_assertions};
use npg_compiler::{Code, Diagnostic};

use crate::cli::{CheckArgs, ReportFormat};
use crate::commands::{report_on_stderr, write_stdout};
use crate::manifests::LoadedManifests;
use crate::outcome::{Failure, Outcome};
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
        let simulated = simulate(&program, workloads, &diagnostics);
        diagnostics.extend(simulated.diagnostics);
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        diagnostics.dedup();
        if let Some(changes) = simulated.changes {
            // Tools read diagnostics from stdout: the changes go to stderr for them.
            match args.format {
                ReportFormat::Human => write_stdout(&changes)?,
                ReportFormat::Json | ReportFormat::Sarif => eprint!("{changes}"),
            }
        }
    }
    match args.format {
        ReportFormat::Human => report_on_stderr(&diagnostics, &sources, color),
        ReportFormat::Json => write_stdout(&json::render(&diagnostics, &sources))?,
        ReportFormat::Sarif => write_stdout(&sarif::render(&diagnostics, &sources))?,
    }
    let failing = diagnostics.iter().any(|diagnostic| diagnostic.is_error() || args.deny_warnings);
    Ok(if failing { Outcome::Problems } else { Outcome::Clean })
}

/// What simulating the program over the real cluster found.
struct Simulation {
    /// The connections opened and closed, as text; `None` when it could not be worked out.
    changes: Option<String>,
    /// The manifests' own diagnostics, and assertions that fail over the real workloads.
    diagnostics: Vec<Diagnostic>,
}

/// The program's policies in place of the ones npg manages in `workloads`: the
/// connectivity changes and the assertions over the real workloads. Nothing is
/// simulated when the manifests have errors, or the program has errors other than
/// failed assertions.
fn simulate(program: &LoadedProgram, workloads: &LoadedManifests, program_diagnostics: &[Diagnostic]) -> Simulation {
    let real = match workloads.read(ReadOptions::default()) {
        Ok(read) => read,
        Err(diagnostics) => return Simulation { changes: None, diagnostics },
    };
    // Failed assertions do not change the policies: everything else does.
    if program_diagnostics.iter().any(|diagnostic| diagnostic.is_error() && diagnostic.code != Code::AssertionFailed) {
        return Simulation { changes: None, diagnostics: real.warnings };
    }
    let (db, handle) = program.query();
    let model = npg_compiler::db::model(db, handle);
    let assertions = npg_compiler::check::assertions(db, handle);
    let after = cluster_with_workloads(&model, &real.cluster);
    let (was, now) = (Connectivity::of(&real.cluster), Connectivity::of(&after));
    let changes = diff::changes(
        Side { cluster: &real.cluster, connectivity: &was },
        Side { cluster: &after, connectivity: &now },
    );
    let mut diagnostics = real.warnings;
    diagnostics.extend(evaluate_assertions(&model, &assertions, &after));
    Simulation { changes: Some(diff::to_text(&changes)), diagnostics }
}
