//! Diagnostics as a JSON array, for editors and scripts: each with its code,
//! severity, message, place (1-based lines and character columns, and bytes),
//! labels, help and fix.

use npg_compiler::Diagnostic;
use npg_compiler::diagnostic::{Label, Severity};
use serde::Serialize;

use super::{Position, Positions, Sources};

#[derive(Serialize)]
struct JsonDiagnostic<'d> {
    code: &'static str,
    severity: Severity,
    message: &'d str,
    file: &'d str,
    start: Position,
    end: Position,
    span: ByteSpan,
    /// The primary label first, then the secondary ones.
    labels: Vec<JsonLabel<'d>>,
    help: Option<&'d str>,
    fix: Option<JsonFix<'d>>,
}

#[derive(Serialize)]
struct JsonLabel<'d> {
    file: &'d str,
    start: Position,
    end: Position,
    span: ByteSpan,
    message: &'d str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonFix<'d> {
    title: &'d str,
    edits: Vec<JsonEdit<'d>>,
}

#[derive(Serialize)]
struct JsonEdit<'d> {
    file: &'d str,
    span: ByteSpan,
    replacement: &'d str,
}

#[derive(Serialize)]
struct ByteSpan {
    start: u32,
    end: u32,
}

impl From<npg_grammar::Span> for ByteSpan {
    fn from(span: npg_grammar::Span) -> ByteSpan {
        ByteSpan { start: span.start, end: span.end }
    }
}

/// The diagnostics as a pretty-printed JSON array, ending with a newline.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources<'_>) -> String {
    let mut positions = Positions::new(sources);
    let values: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|diagnostic| {
            let location = &diagnostic.primary.location;
            let (start, end) = positions.range(&location.file, location.span);
            let labels = std::iter::once((&diagnostic.primary, true))
                .chain(diagnostic.secondary.iter().map(|label| (label, false)))
                .map(|(label, primary)| json_label(&mut positions, label, primary))
                .collect();
            JsonDiagnostic {
                code: diagnostic.code.as_str(),
                severity: diagnostic.severity,
                message: &diagnostic.message,
                file: &location.file,
                start,
                end,
                span: location.span.into(),
                labels,
                help: diagnostic.help.as_deref(),
                fix: diagnostic.fix.as_ref().map(|fix| JsonFix {
                    title: &fix.title,
                    edits: fix
                        .edits
                        .iter()
                        .map(|edit| JsonEdit {
                            file: &edit.location.file,
                            span: edit.location.span.into(),
                            replacement: &edit.replacement,
                        })
                        .collect(),
                }),
            }
        })
        .collect();
    // Serializing plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&values).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

fn json_label<'d>(positions: &mut Positions<'_, '_>, label: &'d Label, primary: bool) -> JsonLabel<'d> {
    let (start, end) = positions.range(&label.location.file, label.location.span);
    JsonLabel {
        file: &label.location.file,
        start,
        end,
        span: label.location.span.into(),
        message: &label.message,
        primary,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use npg_compiler::Code;
    use npg_compiler::diagnostic::Location;
    use npg_grammar::Span;
    use serde_json::{Value, json};

    #[test]
    fn every_field_is_present_with_one_based_character_positions() {
        let text = "# ünïcode\ngroup fronend may reach api\n";
        let start = text.find("fronend").unwrap();
        let location = Location { file: "a.npg".into(), span: Span::new(start, start + 7) };
        let earlier = Location { file: "a.npg".into(), span: Span::new(2, 9) };
        let diagnostic = Diagnostic::new(Code::UnknownName, location, "unknown group `fronend`")
            .with_label("not declared")
            .with_secondary(earlier, "a comment")
            .with_help("declare it")
            .with_replacement("did you mean `frontend`?", "frontend");
        let mut sources = Sources::default();
        sources.insert("a.npg", text);
        let value: Value = serde_json::from_str(&render(&[diagnostic], &sources)).unwrap();
        let span = json!({ "start": start, "end": start + 7 });
        assert_eq!(
            value,
            json!([{
                "code": "NPG0201",
                "severity": "error",
                "message": "unknown group `fronend`",
                "file": "a.npg",
                "start": { "line": 2, "column": 7 },
                "end": { "line": 2, "column": 14 },
                "span": span,
                "labels": [
                    {
                        "file": "a.npg",
                        "start": { "line": 2, "column": 7 },
                        "end": { "line": 2, "column": 14 },
                        "span": span,
                        "message": "not declared",
                        "primary": true,
                    },
                    {
                        "file": "a.npg",
                        "start": { "line": 1, "column": 3 },
                        "end": { "line": 1, "column": 8 },
                        "span": { "start": 2, "end": 9 },
                        "message": "a comment",
                        "primary": false,
                    },
                ],
                "help": "declare it",
                "fix": {
                    "title": "did you mean `frontend`?",
                    "edits": [{ "file": "a.npg", "span": span, "replacement": "frontend" }],
                },
            }])
        );
    }

    #[test]
    fn no_diagnostics_is_an_empty_array() {
        assert_eq!(render(&[], &Sources::default()), "[]\n");
    }

    #[test]
    fn missing_help_and_fix_are_null() {
        let location = Location { file: "big.npg".into(), span: Span::default() };
        let diagnostic = Diagnostic::new(Code::FileTooLarge, location, "too large");
        let value: Value = serde_json::from_str(&render(&[diagnostic], &Sources::default())).unwrap();
        assert_eq!(value[0]["help"], Value::Null);
        assert_eq!(value[0]["fix"], Value::Null);
        assert_eq!(value[0]["start"], json!({ "line": 1, "column": 1 }));
    }
}
