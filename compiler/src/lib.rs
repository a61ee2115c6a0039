//! The npg compiler. Source files are salsa inputs; parsing, name resolution,
//! checking and lowering are tracked queries, so an edit recomputes only what
//! depends on it. Diagnostics are values that queries return, never printed here.
//!
//! ```
//! use npg_compiler::{Database, Program, SourceFile};
//!
//! let db = Database::default();
//! let file = SourceFile::new(&db, "shop.npg".into(), "namespace shop {\n  group web = app=web\n}\n".into());
//! let program = Program::new(&db, vec![file]);
//! assert!(npg_compiler::diagnostics(&db, program).iter().all(|d| !d.is_error()));
//! let manifests = npg_compiler::build(&db, program).unwrap_or_default();
//! assert_eq!(manifests[0].name, "npg-default-deny");
//! ```

pub mod check;
pub mod db;
pub mod diagnostic;
pub mod emit;
pub mod line_index;
pub mod lower;
pub mod model;
mod parallel;
pub mod ports;
pub mod reach;
pub mod resolve;
pub mod suggest;

pub use db::{Database, Program, SourceFile};
pub use diagnostic::{Code, Diagnostic, Severity};
pub use emit::Manifest;

use std::sync::Arc;

/// Every diagnostic of the program (syntax, names, values, warnings), sorted by
/// file and position.
pub fn diagnostics(db: &Database, program: Program) -> Vec<Diagnostic> {
    db.check_files_in_parallel(program);
    db::program_diagnostics(db, program)
}

/// The Kubernetes manifests of a program, or its errors when it has any.
/// Warnings do not stop a build.
pub fn build(db: &Database, program: Program) -> Result<Arc<Vec<Manifest>>, Vec<Diagnostic>> {
    let diagnostics = diagnostics(db, program);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics.into_iter().filter(Diagnostic::is_error).collect());
    }
    Ok(db::manifests(db, program))
}

/// The cluster the program describes: the NetworkPolicies it compiles to (each rule
/// with the npg lines behind it) and one representative workload per group and
/// namespace. Only meaningful when the program has no errors.
pub fn program_cluster(db: &Database, program: Program) -> Arc<reach::ProgramCluster> {
    db::program_cluster(db, program)
}

/// The program's policies over a real cluster's namespaces and workloads, in place
/// of the policies npg manages there: what the cluster allows once the program is
/// applied (`npg check --workloads`).
pub fn simulate(db: &Database, program: Program, real: &reach::Cluster) -> reach::Cluster {
    reach::cluster_with_workloads(&db::model(db, program), real)
}

/// The program's assertions that fail on `cluster` (for instance one from
/// [`simulate`]), each group standing for the workloads it selects there.
pub fn assertion_failures_on(db: &Database, program: Program, cluster: &reach::Cluster) -> Vec<Diagnostic> {
    let assertions = check::assertions(db, program);
    let locations = check::locations(db, program);
    reach::assertions::evaluate_assertions_at(&db::model(db, program), &assertions, cluster, &locations)
}
