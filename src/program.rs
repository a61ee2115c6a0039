//! One run's program: the files read from disk as salsa inputs, the files that
//! could not be read as text, and the compiler's diagnostics about them. Each file
//! is read once; renderers take its text from here.

use std::path::PathBuf;
use std::sync::Arc;

use npg_compiler::{Database, Diagnostic, Manifest, Program, SourceFile};

use crate::outcome::Failure;
use crate::render::Sources;
use crate::sources::{self, Contents};

/// A file that could not be given to the compiler, and why.
struct RejectedFile {
    name: Arc<str>,
    diagnostic: Diagnostic,
    shown_text: Option<String>,
}

pub struct LoadedProgram {
    /// Never freed: the process ends right after the command, and freeing the
    /// database of a large program takes longer than the OS does.
    db: std::mem::ManuallyDrop<Database>,
    program: Program,
    files: Vec<SourceFile>,
    rejected: Vec<RejectedFile>,
}

impl LoadedProgram {
    /// Finds and reads every `.npg` file under `paths`.
    pub fn load(paths: &[PathBuf]) -> Result<LoadedProgram, Failure> {
        let found = sources::find_files(paths)?;
        let db = Database::default();
        let mut files = Vec::with_capacity(found.len());
        let mut rejected = Vec::new();
        for file in &found {
            match sources::read_file(file)? {
                Contents::Text(text) => files.push(SourceFile::new(&db, file.name.clone(), text)),
                Contents::Rejected { diagnostic, shown_text } => {
                    rejected.push(RejectedFile { name: file.name.clone(), diagnostic, shown_text });
                }
            }
        }
        let program = Program::new(&db, files.clone());
        Ok(LoadedProgram { db: std::mem::ManuallyDrop::new(db), program, files, rejected })
    }

    /// Every diagnostic, sorted. When a file could not be read, only those
    /// problems are reported: checking the rest would call every name declared in
    /// the unread file unknown.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        if !self.rejected.is_empty() {
            return self.rejected.iter().map(|file| file.diagnostic.clone()).collect();
        }
        npg_compiler::diagnostics(&self.db, self.program)
    }

    /// The manifests, or `None` when the program has errors (see [`Self::diagnostics`]).
    pub fn manifests(&self) -> Option<Arc<Vec<Manifest>>> {
        if !self.rejected.is_empty() {
            return None;
        }
        npg_compiler::build(&self.db, self.program).ok()
    }

    /// The database and the program, for the compiler's other queries.
    pub fn query(&self) -> (&Database, Program) {
        (&self.db, self.program)
    }

    /// The text of every file, for showing diagnostics in context.
    pub fn sources(&self) -> Sources<'_> {
        let mut sources = Sources::default();
        for file in &self.files {
            sources.insert(file.path(&*self.db), file.text(&*self.db));
        }
        for file in &self.rejected {
            if let Some(text) = &file.shown_text {
                sources.insert(&file.name, text);
            }
        }
        sources
    }
}
