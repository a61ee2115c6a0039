//! Compiler values to LSP values and back: byte offsets become UTF-16 positions
//! through the compiler's line index, severities and codes their LSP forms.

use npg_compiler::diagnostic::Span;

use crate::symbols::{Symbol, SymbolKind};
use npg_compiler::line_index::{LineColumn, LineIndex};
use npg_compiler::{Diagnostic, Severity};
use tower_lsp_server::ls_types::{self, DiagnosticSeverity, NumberOrString, Position, Range};

/// An LSP range as the workspace's edits take it.
pub fn range_from_lsp(range: Range) -> (LineColumn, LineColumn) {
    let point = |position: Position| LineColumn { line: position.line, column: position.character };
    (point(range.start), point(range.end))
}

/// A declaration of `text` as an outline entry.
pub fn document_symbol(symbol: &Symbol, text: &str) -> ls_types::DocumentSymbol {
    let kind = match symbol.kind {
        SymbolKind::Namespace => ls_types::SymbolKind::NAMESPACE,
        SymbolKind::Group => ls_types::SymbolKind::CLASS,
        SymbolKind::Team => ls_types::SymbolKind::STRUCT,
        SymbolKind::Port => ls_types::SymbolKind::CONSTANT,
        SymbolKind::Network => ls_types::SymbolKind::VARIABLE,
    };
    #[expect(deprecated, reason = "`deprecated` is a required field of the LSP type")]
    ls_types::DocumentSymbol {
        name: symbol.name.clone(),
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range: span(symbol.span, text),
        selection_range: span(symbol.name_span, text),
        children: (!symbol.children.is_empty())
            .then(|| symbol.children.iter().map(|child| document_symbol(child, text)).collect()),
    }
}

/// The range of all of `text`.
pub fn whole_text(text: &str) -> Range {
    let index = LineIndex::new(text);
    let end = index.line_column_utf16(text, u32::try_from(text.len()).unwrap_or(u32::MAX));
    Range { start: Position { line: 0, character: 0 }, end: Position { line: end.line, character: end.column } }
}

/// A span of `text` as an LSP range (UTF-16 columns).
pub fn span(span: Span, text: &str) -> Range {
    let index = LineIndex::new(text);
    let position = |offset: u32| {
        let point = index.line_column_utf16(text, offset);
        Position { line: point.line, character: point.column }
    };
    Range { start: position(span.start), end: position(span.end) }
}

/// One diagnostic of `text`'s file, positions in UTF-16 units.
pub fn diagnostic(diagnostic: &Diagnostic, text: &str) -> ls_types::Diagnostic {
    let mut message = diagnostic.message.clone();
    if !diagnostic.primary.message.is_empty() {
        message.push_str(": ");
        message.push_str(&diagnostic.primary.message);
    }
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    ls_types::Diagnostic {
        range: span(diagnostic.primary.location.span, text),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_owned())),
        source: Some("npg".to_owned()),
        message,
        ..ls_types::Diagnostic::default()
    }
}
