//! `npg fmt`: rewrite files in canonical layout, or with `--check` list the files
//! whose layout would change. A file with syntax errors is left as it is and its
//! errors are reported.

use std::sync::Arc;

use npg_compiler::Diagnostic;

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
                diagnostics.extend(errors.iter().map(|error| Diagnostic::from_syntax_error(file.name.clone(), error)));
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
