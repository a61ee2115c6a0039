//! `npg fmt`: rewrite files in canonical layout, or with `--check` list the files
//! whose layout would change. A file with syntax errors is left as it is and its
//! errors are reported.

use std::sync::Arc;

use npg_compiler::diagnostic::Location;
use npg_compiler::{Code, Database, Diagnostic, Program, SourceFile};
use npg_grammar::{SyntaxError, SyntaxErrorKind};

use crate::cli::FmtArgs;
use crate::commands::{report_on_stderr, write_stdout};
use crate::outcome::{Failure, Outcome};
use crate::output::replace_file;
use crate::render::Sources;
use crate::sources::{Contents, find_files, read_file};

pub fn run(args: &FmtArgs, color: bool) -> Result<Outcome, Failure> {
    let files = find_files(&args.paths)?;
    let mut diagnostics = Vec::new();
    let mut shown_texts: Vec<(Arc<str>, String)> = Vec::new();
    let mut changed = Vec::new();
    for file in &files {
        let text = match read_file(file)? {
            Contents::Text(text) => text,
            Contents::Rejected { diagnostic, shown_text } => {
                diagnostics.push(diagnostic);
                shown_texts.extend(shown_text.map(|text| (file.name.clone(), text)));
                continue;
            }
        };
        match npg_grammar::format(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                if !args.check {
                    replace_file(&file.disk_path, &formatted)?;
                }
                changed.push(file.name.clone());
            }
            Err(errors) => {
                diagnostics.extend(syntax_diagnostics(&file.name, &text, &errors));
                shown_texts.push((file.name.clone(), text));
            }
        }
    }

    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut sources = Sources::default();
    for (name, text) in &shown_texts {
        sources.insert(name, text);
    }
    report_on_stderr(&diagnostics, &sources, color);
    if args.check && !changed.is_empty() {
        let listing: String = changed.iter().map(|name| format!("{name}\n")).collect();
        write_stdout(&listing)?;
    }
    let problems = !diagnostics.is_empty() || (args.check && !changed.is_empty());
    Ok(if problems { Outcome::Problems } else { Outcome::Clean })
}

/// The syntax errors of one file as the compiler reports them (so `fmt` and
/// `check` say the same thing), or, when the compiler has none to give, as
/// diagnostics made here from the parser's errors.
fn syntax_diagnostics(name: &Arc<str>, text: &str, errors: &[SyntaxError]) -> Vec<Diagnostic> {
    let db = Database::default();
    let file = SourceFile::new(&db, name.clone(), text.to_owned());
    let program = Program::new(&db, vec![file]);
    let from_compiler: Vec<Diagnostic> = npg_compiler::diagnostics(&db, program)
        .into_iter()
        .filter(|diagnostic| is_syntax_code(diagnostic.code))
        .collect();
    if !from_compiler.is_empty() {
        return from_compiler;
    }
    errors.iter().map(|error| syntax_diagnostic(name, error)).collect()
}

fn is_syntax_code(code: Code) -> bool {
    matches!(
        code,
        Code::UnexpectedToken
            | Code::UnexpectedEnd
            | Code::InvalidCharacter
            | Code::UnterminatedString
            | Code::TooManySyntaxErrors
    )
}

fn syntax_diagnostic(name: &Arc<str>, error: &SyntaxError) -> Diagnostic {
    let code = match error.kind {
        SyntaxErrorKind::UnexpectedToken => Code::UnexpectedToken,
        SyntaxErrorKind::UnexpectedEnd => Code::UnexpectedEnd,
        SyntaxErrorKind::InvalidCharacter => Code::InvalidCharacter,
        SyntaxErrorKind::UnterminatedString => Code::UnterminatedString,
        SyntaxErrorKind::TooManyErrors => Code::TooManySyntaxErrors,
    };
    let diagnostic = Diagnostic::new(code, Location { file: name.clone(), span: error.span }, error.message.clone());
    match error.expected.as_slice() {
        [] => diagnostic,
        [only] => diagnostic.with_label(format!("expected {only}")),
        [first @ .., last] => diagnostic.with_label(format!("expected {} or {last}", first.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use npg_grammar::Span;

    #[test]
    fn parser_errors_become_diagnostics_with_what_was_expected() {
        let error = SyntaxError {
            kind: SyntaxErrorKind::UnexpectedToken,
            span: Span::new(3, 5),
            message: "unexpected `:`".into(),
            expected: vec!["`=`".into(), "`{`".into(), "a name".into()],
        };
        let diagnostic = syntax_diagnostic(&"a.npg".into(), &error);
        assert_eq!(diagnostic.code, Code::UnexpectedToken);
        assert_eq!(diagnostic.primary.location.span, Span::new(3, 5));
        assert_eq!(diagnostic.primary.message, "expected `=`, `{` or a name");
    }
}
