//! `npg build`: check the program and write its manifests, as one YAML stream on
//! stdout or as an output folder (one folder per namespace and a
//! `kustomization.yaml`). Nothing is written when the program has errors.

use std::path::Path;

use npg_compiler::Diagnostic;

use crate::cli::BuildArgs;
use crate::commands::{report_on_stderr, write_stdout_pieces};
use crate::emit;
use crate::outcome::{Failure, Outcome};
use crate::output::{OutputFile, replace_folder};
use crate::program::LoadedProgram;

pub fn run(args: &BuildArgs, color: bool) -> Result<Outcome, Failure> {
    let program = LoadedProgram::load(&args.paths)?;
    let diagnostics = program.diagnostics();
    report_on_stderr(&diagnostics, &program.sources(), color);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Ok(Outcome::Problems);
    }
    let Some(manifests) = program.manifests() else {
        return Ok(Outcome::Problems);
    };

    if args.output == Path::new("-") {
        write_stdout_pieces(emit::yaml_stream_pieces(&manifests))?;
    } else {
        let mut files: Vec<OutputFile> = manifests
            .iter()
            .map(|manifest| OutputFile {
                relative_path: emit::relative_path(manifest),
                contents: manifest.yaml.as_str().into(),
            })
            .collect();
        files.push(OutputFile {
            relative_path: "kustomization.yaml".into(),
            contents: emit::kustomization(&manifests).into(),
        });
        replace_folder(&args.output, &files)?;
    }
    Ok(Outcome::Clean)
}
