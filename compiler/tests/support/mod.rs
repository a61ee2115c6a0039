//! Shared test support: multi-file fixtures written in one string, with
//! `//- path.npg` lines starting each file, and a compact diagnostic listing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use npg_compiler::line_index::LineIndex;
use npg_compiler::{Database, Diagnostic, Program, SourceFile};

/// Splits a fixture into `(path, text)` pairs. Text before any header is `main.npg`.
pub fn files(fixture: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.strip_prefix("//- ") {
            files.push((path.trim().to_owned(), String::new()));
            continue;
        }
        if files.is_empty() {
            files.push(("main.npg".to_owned(), String::new()));
        }
        let text = &mut files.last_mut().unwrap().1;
        text.push_str(line);
        text.push('\n');
    }
    files
}

pub fn program(db: &Database, fixture: &str) -> (Program, Vec<SourceFile>) {
    let sources: Vec<SourceFile> =
        files(fixture).into_iter().map(|(path, text)| SourceFile::new(db, path.into(), text)).collect();
    (Program::new(db, sources.clone()), sources)
}

/// One line per diagnostic: `file:line:column severity[CODE] message`, then its
/// label, help and fix indented under it.
pub fn render(db: &Database, files: &[SourceFile], diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let location = &diagnostic.primary.location;
        let text =
            files.iter().find(|file| file.path(db) == &location.file).map(|file| file.text(db).as_str()).unwrap_or("");
        let index = LineIndex::new(text);
        let position = index.line_column_chars(text, location.span.start);
        let written = text.get(location.span.range()).unwrap_or("");
        out.push_str(&format!(
            "{}:{}:{} {:?}[{}] {}\n",
            location.file,
            position.line + 1,
            position.column + 1,
            diagnostic.severity,
            diagnostic.code,
            diagnostic.message
        ));
        out.push_str(&format!("    at `{written}`"));
        if !diagnostic.primary.message.is_empty() {
            out.push_str(&format!(": {}", diagnostic.primary.message));
        }
        out.push('\n');
        for label in &diagnostic.secondary {
            out.push_str(&format!(
                "    also {}:{}: {}\n",
                label.location.file, label.location.span.start, label.message
            ));
        }
        if let Some(help) = &diagnostic.help {
            out.push_str(&format!("    help: {help}\n"));
        }
        if let Some(fix) = &diagnostic.fix {
            for edit in &fix.edits {
                out.push_str(&format!("    fix: `{}`\n", edit.replacement));
            }
        }
    }
    out
}

/// Every diagnostic of a fixture program, rendered.
pub fn diagnostics(fixture: &str) -> String {
    let db = Database::default();
    let (program, files) = program(&db, fixture);
    let diagnostics = npg_compiler::diagnostics(&db, program);
    render(&db, &files, &diagnostics)
}
