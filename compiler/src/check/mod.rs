//! Checking: each file's syntax tree is checked on its own against the program's
//! symbol table (so an edit re-checks one file), yielding its diagnostics and its
//! part of the model; `assemble` joins the parts into the checked [`Model`].

mod assemble;
mod file;
pub mod kubernetes;

use std::sync::Arc;

use npg_grammar::Span;

use crate::db::{Db, Program, SourceFile};
use crate::diagnostic::{Diagnostic, Location};
use crate::model::{self, ManagedNamespace, Model, SourceLine};
use crate::resolve::DeclKey;

pub use assemble::{Assembly, Locations};

/// What checking one file yields: its diagnostics and its part of the model, with
/// references to other files' declarations still as keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FileCheck {
    pub diagnostics: Vec<Diagnostic>,
    pub namespaces: Vec<NamespaceDraft>,
    pub groups: Vec<GroupDraft>,
    pub teams: Vec<model::Team>,
    pub ports: Vec<PortDraft>,
    pub networks: Vec<model::Network>,
    pub rules: Vec<RuleDraft>,
    pub assertions: Vec<AssertionDraft>,
    /// Every name this file declares, where its name is written.
    pub declarations: Vec<(DeclKey, Location)>,
    /// Every declared name this file uses, sorted, each once.
    pub references: Vec<DeclKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NamespaceDraft {
    /// `owner` is not filled in yet: teams get their ids when the model is assembled.
    pub namespace: ManagedNamespace,
    pub owner: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupDraft {
    pub key: DeclKey,
    /// `owner` is not filled in yet, as for namespaces.
    pub group: model::Group,
    pub owner: Option<String>,
    pub name: Location,
}

/// One entry of a port list before declared port names are expanded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortPiece {
    Port(model::Port),
    /// A `port NAME = ...` declaration, expanded when the model is assembled.
    Declared(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortDraft {
    pub name: String,
    pub pieces: Vec<PortPiece>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RulePorts {
    All,
    Pieces(Vec<PortPiece>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleDraft {
    pub source: DeclKey,
    pub target: DeclKey,
    pub ports: RulePorts,
    pub origin: SourceLine,
    /// Where the target is written, for diagnostics found after expansion.
    pub target_location: Location,
}

/// An `assert` whose names resolved and whose ports are valid, before declared
/// ports are expanded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AssertionDraft {
    pub kind: model::AssertionKind,
    pub sources: Vec<DeclKey>,
    pub target: DeclKey,
    pub ports: RulePorts,
    pub location: Location,
}

/// Checks one file against the program's names.
#[salsa::tracked(returns(ref))]
pub fn check_file(db: &dyn Db, program: Program, file: SourceFile) -> FileCheck {
    let table = crate::resolve::symbol_table(db, program);
    file::check(db, file, &table)
}

/// The diagnostics that belong to one file.
pub fn file_diagnostics(db: &dyn Db, program: Program, file: SourceFile) -> &[Diagnostic] {
    &check_file(db, program, file).diagnostics
}

/// Diagnostics about the program as a whole (unused declarations, say).
pub fn program_wide_diagnostics(db: &dyn Db, program: Program) -> &[Diagnostic] {
    &assemble::assemble(db, program).diagnostics
}

/// The program's assertions, names resolved and ports expanded.
#[salsa::tracked(returns(clone))]
pub fn assertions(db: &dyn Db, program: Program) -> Arc<Vec<model::Assertion>> {
    assemble::assemble(db, program).assertions.clone()
}

/// Where the model's groups and rules are written.
#[salsa::tracked(returns(clone))]
pub fn locations(db: &dyn Db, program: Program) -> Arc<Locations> {
    assemble::assemble(db, program).locations.clone()
}

/// The checked model of the whole program.
pub fn build_model(db: &dyn Db, program: Program) -> Arc<Model> {
    assemble::assemble(db, program).model.clone()
}

fn location(file: &Arc<str>, span: Span) -> Location {
    Location { file: file.clone(), span }
}
