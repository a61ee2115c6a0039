//! The salsa database: one `SourceFile` input per file, one `Program` input
//! listing them, and the tracked queries from text to manifests. Each query
//! returns its diagnostics as part of its value.

use std::sync::{Arc, Mutex};

use crate::diagnostic::Diagnostic;
use crate::emit::Manifest;
use crate::model::Model;
use crate::reach::ProgramCluster;

/// One `.npg` file: its path as the program knows it and its text.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: Arc<str>,
    #[returns(ref)]
    pub text: String,
}

/// The files that make up one program, in any order (queries sort them by path).
#[salsa::input(debug)]
pub struct Program {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
}

#[salsa::db]
pub trait Db: salsa::Database {}

/// A record of the queries salsa executed, for tests of incrementality.
#[derive(Clone, Default)]
pub struct ExecutionLog {
    entries: Arc<Mutex<Option<Vec<String>>>>,
}

impl ExecutionLog {
    fn record(&self, event: &salsa::Event) {
        if let salsa::EventKind::WillExecute { database_key } = event.kind
            && let Ok(mut entries) = self.entries.lock()
            && let Some(entries) = entries.as_mut()
        {
            entries.push(format!("{database_key:?}"));
        }
    }
}

/// The compiler's database. Cheap to clone: clones share storage, as salsa's
/// snapshots do.
#[salsa::db]
#[derive(Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
    log: ExecutionLog,
}

impl Default for Database {
    fn default() -> Database {
        let log = ExecutionLog::default();
        let recorder = log.clone();
        Database { storage: salsa::Storage::new(Some(Box::new(move |event| recorder.record(&event)))), log }
    }
}

impl Database {
    /// Starts recording which queries execute (see [`Database::take_executions`]).
    pub fn record_executions(&self) {
        if let Ok(mut entries) = self.log.entries.lock() {
            entries.get_or_insert_with(Vec::new);
        }
    }

    /// The queries executed since recording started or since the last call,
    /// each as `query_name(id)`.
    pub fn take_executions(&self) -> Vec<String> {
        match self.log.entries.lock() {
            Ok(mut entries) => entries.as_mut().map(std::mem::take).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }
}

impl Database {
    /// Parses and checks the program's files on every core, so that the queries
    /// asked next find them done. Files are independent until the model is
    /// assembled: first each file is parsed and its names listed, then, once the
    /// symbol table exists, each file is checked.
    pub fn check_files_in_parallel(&self, program: Program) {
        let files = sorted_files(self, program).clone();
        let workers = std::thread::available_parallelism().map_or(1, usize::from).min(files.len());
        if workers < 2 {
            return;
        }
        let chunk = files.len().div_ceil(workers);
        let in_parallel = |task: &(dyn Fn(&Database, SourceFile) + Sync)| {
            std::thread::scope(|scope| {
                for part in files.chunks(chunk) {
                    let db = self.clone();
                    scope.spawn(move || {
                        for &file in part {
                            task(&db, file);
                        }
                    });
                }
            });
        };
        in_parallel(&|db, file| {
            crate::resolve::file_declarations(db, file);
        });
        crate::resolve::symbol_table(self, program);
        in_parallel(&|db, file| {
            crate::check::check_file(db, program, file);
        });
    }
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {}

/// The syntax tree of one file and its syntax errors.
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> npg_grammar::Parse {
    npg_grammar::parse(file.text(db))
}

/// The program's files sorted by path, so nothing downstream depends on the
/// order files were found in.
#[salsa::tracked(returns(ref))]
pub fn sorted_files(db: &dyn Db, program: Program) -> Vec<SourceFile> {
    let mut files = program.files(db).clone();
    files.sort_by(|a, b| a.path(db).cmp(b.path(db)));
    files
}

/// Every diagnostic of the program, sorted. Assertions and reachability warnings
/// are worked out only for a program without other errors: with rules missing,
/// they would report what the program does not say.
pub fn program_diagnostics(db: &dyn Db, program: Program) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    for file in sorted_files(db, program) {
        diagnostics.extend(crate::check::file_diagnostics(db, program, *file).iter().cloned());
    }
    diagnostics.extend(crate::check::program_wide_diagnostics(db, program).iter().cloned());
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(reachability_warnings(db, program).iter().cloned());
        diagnostics.extend(assertion_failures(db, program).iter().cloned());
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
    diagnostics
}

/// The checked model of the whole program.
#[salsa::tracked(returns(clone))]
pub fn model(db: &dyn Db, program: Program) -> Arc<Model> {
    crate::check::build_model(db, program)
}

/// The cluster the program describes: its policies and one representative
/// workload per group and namespace (see [`crate::reach::program_cluster`]).
#[salsa::tracked(returns(clone))]
pub fn program_cluster(db: &dyn Db, program: Program) -> Arc<ProgramCluster> {
    let assertions = crate::check::assertions(db, program);
    Arc::new(crate::reach::program_cluster(&model(db, program), &assertions))
}

/// The program's assertions that do not hold on its cluster (NPG0401).
#[salsa::tracked(returns(clone))]
pub fn assertion_failures(db: &dyn Db, program: Program) -> Arc<Vec<Diagnostic>> {
    let assertions = crate::check::assertions(db, program);
    if assertions.is_empty() {
        return Arc::new(Vec::new());
    }
    let model = model(db, program);
    let cluster = crate::reach::program::cluster_for_assertions(&model, &assertions);
    let locations = crate::check::locations(db, program);
    Arc::new(crate::reach::evaluate_program_assertions(&model, &assertions, &cluster, &locations))
}

/// Implied rules (NPG0505) and overlapping groups (NPG0506).
#[salsa::tracked(returns(clone))]
pub fn reachability_warnings(db: &dyn Db, program: Program) -> Arc<Vec<Diagnostic>> {
    let locations = crate::check::locations(db, program);
    Arc::new(crate::reach::warnings::reachability_warnings(&model(db, program), &locations))
}

/// The Kubernetes manifests, in their final order. Only meaningful when the
/// program has no errors.
#[salsa::tracked(returns(clone))]
pub fn manifests(db: &dyn Db, program: Program) -> Arc<Vec<Manifest>> {
    // Each object is written as soon as it is built, so a big program's
    // Kubernetes objects never all exist at once.
    Arc::new(crate::emit::model_manifests(&model(db, program)))
}
