//! Rendering diagnostics at the edge: `human` for terminals (ariadne), `json` and
//! `sarif` for tools. All three read the same `Diagnostic` values and the source
//! texts the program already holds; none of them reads a file.

pub mod human;
pub mod json;
pub mod sarif;

use std::collections::{BTreeMap, BTreeSet};

use npg_compiler::line_index::LineIndex;
use npg_compiler::{Diagnostic, Severity};
use npg_grammar::Span;

/// The source text of each file, by the path the program knows it by.
#[derive(Clone, Debug, Default)]
pub struct Sources<'a> {
    texts: BTreeMap<&'a str, &'a str>,
}

impl<'a> Sources<'a> {
    pub fn insert(&mut self, file: &'a str, text: &'a str) {
        self.texts.insert(file, text);
    }

    pub fn text(&self, file: &str) -> Option<&'a str> {
        self.texts.get(file).copied()
    }

    /// Adds every text of `other`.
    pub fn merge(&mut self, other: Sources<'a>) {
        self.texts.extend(other.texts);
    }
}

/// A 1-based line and a 1-based column counted in Unicode characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// Converts byte offsets to lines and columns, building each file's line index
/// once, on first use.
pub struct Positions<'s, 'a> {
    sources: &'s Sources<'a>,
    indexes: BTreeMap<&'a str, LineIndex>,
}

impl<'s, 'a> Positions<'s, 'a> {
    pub fn new(sources: &'s Sources<'a>) -> Positions<'s, 'a> {
        Positions { sources, indexes: BTreeMap::new() }
    }

    /// Where `span` starts and ends. A file without text (one too large to
    /// read) puts everything at line 1, column 1.
    pub fn range(&mut self, file: &str, span: Span) -> (Position, Position) {
        let Some((&name, &text)) = self.sources.texts.get_key_value(file) else {
            let start = Position { line: 1, column: 1 };
            return (start, start);
        };
        let (start, end) = char_bounds(text, span);
        let index = self.indexes.entry(name).or_insert_with(|| LineIndex::new(text));
        let to_position = |offset: usize| {
            let offset = u32::try_from(offset).unwrap_or(u32::MAX);
            let at = index.line_column_chars(text, offset);
            Position { line: at.line.saturating_add(1), column: at.column.saturating_add(1) }
        };
        (to_position(start), to_position(end))
    }
}

/// `span` as a byte range of `text` that starts and ends on character
/// boundaries: the start moves back and the end forward, so a span inside a
/// character covers all of it.
pub fn char_bounds(text: &str, span: Span) -> (usize, usize) {
    let mut start = (span.start as usize).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// The closing line of a human report, e.g. `2 errors and 1 warning found in 3
/// files`, with the severity it is shown at; `None` when there is nothing to say.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<(Severity, String)> {
    let errors = diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let files: BTreeSet<&str> = diagnostics.iter().map(|diagnostic| &*diagnostic.primary.location.file).collect();
    let counted = match (errors, warnings) {
        (0, 0) => return None,
        (errors, 0) => plural(errors, "error"),
        (0, warnings) => plural(warnings, "warning"),
        (errors, warnings) => format!("{} and {}", plural(errors, "error"), plural(warnings, "warning")),
    };
    let severity = if errors > 0 { Severity::Error } else { Severity::Warning };
    Some((severity, format!("{counted} found in {}", plural(files.len(), "file"))))
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use npg_compiler::Code;
    use npg_compiler::diagnostic::Location;

    fn diagnostic(code: Code, file: &str) -> Diagnostic {
        Diagnostic::new(code, Location { file: file.into(), span: Span::default() }, "m")
    }

    #[test]
    fn summary_counts_errors_warnings_and_files() {
        let diagnostics = [
            diagnostic(Code::UnknownName, "a.npg"),
            diagnostic(Code::UnknownName, "b.npg"),
            diagnostic(Code::UnusedDeclaration, "c.npg"),
        ];
        assert_eq!(summary(&diagnostics), Some((Severity::Error, "2 errors and 1 warning found in 3 files".into())));
        assert_eq!(summary(&diagnostics[..1]), Some((Severity::Error, "1 error found in 1 file".into())));
        assert_eq!(summary(&diagnostics[2..]), Some((Severity::Warning, "1 warning found in 1 file".into())));
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn positions_count_characters_from_one() {
        let text = "ab\nñé x\n";
        let mut sources = Sources::default();
        sources.insert("a.npg", text);
        let mut positions = Positions::new(&sources);
        let x = text.find('x').unwrap();
        let range = positions.range("a.npg", Span::new(x, x + 1));
        assert_eq!(range, (Position { line: 2, column: 4 }, Position { line: 2, column: 5 }));
    }

    #[test]
    fn a_span_inside_a_character_covers_the_whole_character() {
        let text = "aé";
        assert_eq!(char_bounds(text, Span::new(2, 2)), (1, 3));
        assert_eq!(char_bounds(text, Span::new(9, 12)), (3, 3));
        assert_eq!(char_bounds(text, Span { start: 2, end: 0 }), (1, 1));
    }

    #[test]
    fn files_without_text_are_placed_at_the_start() {
        let sources = Sources::default();
        let mut positions = Positions::new(&sources);
        let start = Position { line: 1, column: 1 };
        assert_eq!(positions.range("big.npg", Span::new(0, 0)), (start, start));
    }
}
