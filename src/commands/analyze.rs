//! `npg analyze`: read Kubernetes manifests, work out who can reach what under their
//! NetworkPolicies, and print the connectivity list (netpol-analyzer's text or JSON
//! form) on stdout or into a file.

use std::path::Path;

use npg_compiler::reach::manifests::{HostNetworkPods, ReadOptions};
use npg_compiler::reach::{Connectivity, connlist};

use crate::cli::{AnalyzeArgs, ConnlistFormat, HostNetworkMode};
use crate::commands::{report_on_stderr, write_stdout};
use crate::manifests::LoadedManifests;
use crate::outcome::{Failure, Outcome};
use crate::output::replace_file;

pub fn run(args: &AnalyzeArgs, color: bool) -> Result<Outcome, Failure> {
    if matches!(args.format, ConnlistFormat::Csv | ConnlistFormat::Dot | ConnlistFormat::Md) {
        return Err(Failure::new(format!("--format {} is not supported yet; use txt or json", args.format.name())));
    }
    let loaded = load_cluster_inputs(&args.paths)?;
    let sources = loaded.sources();
    let host_network = match args.host_network {
        HostNetworkMode::Node => HostNetworkPods::NodeAddress,
        HostNetworkMode::Pod => HostNetworkPods::OrdinaryPod,
    };
    let manifests = match loaded.read(ReadOptions { host_network }) {
        Ok(manifests) => manifests,
        Err(diagnostics) => {
            report_on_stderr(&diagnostics, &sources, color);
            return Ok(Outcome::Problems);
        }
    };
    report_on_stderr(&manifests.warnings, &sources, color);

    let connectivity = Connectivity::of(&manifests.cluster);
    let lines = connlist::lines(&manifests.cluster, &connectivity);
    let text = match args.format {
        ConnlistFormat::Json => connlist::to_json(&lines),
        _ => connlist::to_text(&lines),
    };
    match &args.output {
        Some(path) if path != Path::new("-") => {
            if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|error| Failure::io("create", parent, &error))?;
            }
            if path.exists() {
                replace_file(path, &text)?;
            } else {
                std::fs::write(path, &text).map_err(|error| Failure::io("write", path, &error))?;
            }
        }
        _ => write_stdout(&text)?,
    }
    Ok(Outcome::Clean)
}

/// Reads what `analyze` works on from `paths`: every manifest file under them.
pub fn load_cluster_inputs(paths: &[std::path::PathBuf]) -> Result<LoadedManifests, Failure> {
    LoadedManifests::load(paths)
}
