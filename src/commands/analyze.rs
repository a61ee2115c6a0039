//! `npg analyze`: read Kubernetes manifests, work out who can reach what under their
//! NetworkPolicies, and print the connectivity list (netpol-analyzer's text or JSON
//! form, or CSV, Markdown, Graphviz) on stdout or into a file.

use std::path::{Path, PathBuf};

use npg_compiler::Diagnostic;
use npg_compiler::reach::manifests::ReadOptions;
use npg_compiler::reach::{Connectivity, connlist};

use crate::cli::{AnalyzeArgs, ConnlistFormat};
use crate::commands::{report_on_stderr, write_stdout};
use crate::inputs::{self, Analysed, Inputs};
use crate::outcome::{Failure, Outcome};
use crate::output::replace_file;

pub fn run(args: &AnalyzeArgs, color: bool) -> Result<Outcome, Failure> {
    let inputs = load_cluster(&args.paths, args.host_network.read_options())?;
    let sources = inputs.files.sources();
    let manifests = match inputs.cluster {
        Ok(manifests) => manifests,
        Err(diagnostics) => {
            report_on_stderr(&diagnostics, &sources, color);
            return Ok(Outcome::Problems);
        }
    };
    report_on_stderr(&manifests.warnings, &sources, color);

    let connectivity = Connectivity::of(&manifests.cluster);
    let names = connlist::Names::new(&manifests.cluster, &connectivity);
    let lines = connlist::lines(&names, &connectivity);
    let text = match args.format {
        ConnlistFormat::Txt => connlist::to_text(&lines),
        ConnlistFormat::Json => connlist::to_json(&lines),
        ConnlistFormat::Csv => connlist::to_csv(&lines),
        ConnlistFormat::Md => connlist::to_markdown(&lines),
        ConnlistFormat::Dot => connlist::to_dot(&lines),
    };
    match &args.output {
        Some(path) if path != Path::new("-") => write_file(path, &text)?,
        _ => write_stdout(&text)?,
    }
    Ok(Outcome::Clean)
}

/// What a command that works on a cluster reads: the files (kept for showing
/// diagnostics in context) and the cluster they describe, or why there is none.
pub struct ClusterInputs {
    pub files: Inputs,
    pub cluster: Result<Analysed, Vec<Diagnostic>>,
}

/// Finds and reads every input under `paths` (`.npg` files and/or manifests, see
/// [`inputs::load`]) and builds the cluster from it. A missing path or a folder
/// with nothing to read is a failure (exit 2); problems in the files themselves
/// are diagnostics in `cluster`.
pub fn load_cluster(paths: &[PathBuf], options: ReadOptions) -> Result<ClusterInputs, Failure> {
    let files = inputs::load(paths)?;
    let cluster = files.analysed(options);
    Ok(ClusterInputs { files, cluster })
}

/// Writes `text` to `path`, creating the folders it needs.
fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| Failure::io("create", parent, &error))?;
    }
    if path.exists() {
        replace_file(path, text)
    } else {
        std::fs::write(path, text).map_err(|error| Failure::io("write", path, &error))
    }
}
