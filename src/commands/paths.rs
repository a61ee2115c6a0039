//! `npg paths FROM [TO] [PATHS...]`: if FROM is compromised, what it can reach hop
//! by hop (the blast radius) or, with TO, the shortest paths there and the port
//! each hop uses. The argument after FROM is TO unless `--to` is given or it exists on disk.

use std::path::PathBuf;

use npg_compiler::reach::paths::{self, Node, PATH_LIMIT};
use npg_compiler::reach::subjects::{self, Subject};
use npg_compiler::reach::{Connectivity, Endpoint};

use crate::cli::{AnswerFormat, PathsArgs};
use crate::commands::{report_on_stderr, write_stdout};
use crate::inputs;
use crate::outcome::{Failure, Outcome};

pub fn run(args: &PathsArgs, color: bool) -> Result<Outcome, Failure> {
    let (to, paths) = target_and_paths(args);
    let inputs = inputs::load(&paths)?;
    let sources = inputs.sources();
    let analysed = match inputs.analysed(args.host_network.read_options()) {
        Ok(analysed) => analysed,
        Err(diagnostics) => {
            report_on_stderr(&diagnostics, &sources, color);
            return Ok(Outcome::Problems);
        }
    };
    let cluster = &analysed.cluster;
    let names = subjects::Names::of(analysed.model.as_deref());
    let resolve = |name: &str| subjects::resolve(cluster, names, name).map_err(|error| Failure::new(error.to_string()));
    let connectivity = Connectivity::of(cluster);
    let from_subject = resolve(&args.from)?;
    let from = nodes(&connectivity, &from_subject, true);
    if from.is_empty() {
        return Err(Failure::new(format!(
            "`{}` lies in no piece of the address space the policies tell apart (IPv6 addresses count only when some policy names an IPv6 block)",
            args.from
        )));
    }
    let text = match to {
        None => {
            let radius = paths::blast_radius(&connectivity, &from, args.max_hops);
            match args.format {
                AnswerFormat::Txt => paths::blast_radius_text(&radius, cluster, &connectivity),
                AnswerFormat::Json => paths::blast_radius_json(&radius, cluster, &connectivity) + "\n",
            }
        }
        Some(to) => {
            let to_subject = resolve(&to)?;
            let to = nodes(&connectivity, &to_subject, false);
            let found = paths::shortest_paths(&connectivity, &from, &to, args.max_hops, PATH_LIMIT);
            match args.format {
                AnswerFormat::Txt => paths::paths_text(&found, &from, &to, cluster, &connectivity),
                AnswerFormat::Json => paths::paths_json(&found, &from, &to, cluster, &connectivity) + "\n",
            }
        }
    };
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}

/// TO (from `--to`, or the first argument after FROM unless it exists on disk) and
/// the paths to read (the current folder when none is given).
fn target_and_paths(args: &PathsArgs) -> (Option<String>, Vec<PathBuf>) {
    let mut rest = args.rest.as_slice();
    let mut to = args.to.clone();
    if to.is_none()
        && let Some((first, others)) = rest.split_first()
        && !inputs::exists(first)
    {
        to = Some(first.clone());
        rest = others;
    }
    let mut paths: Vec<PathBuf> = rest.iter().map(PathBuf::from).collect();
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    (to, paths)
}

/// The nodes a subject stands for: its workloads, or the address pieces that hold
/// its addresses (as sources at the start of a path, as destinations at its end).
fn nodes(connectivity: &Connectivity, subject: &Subject, start: bool) -> Vec<Node> {
    let mut nodes = Vec::new();
    for endpoint in &subject.endpoints {
        match *endpoint {
            Endpoint::Workload(index) => nodes.push(Node::Workload(index)),
            Endpoint::Addresses(range) if start => nodes.extend(paths::source_nodes(connectivity, range)),
            Endpoint::Addresses(range) => nodes.extend(paths::destination_nodes(connectivity, range)),
        }
    }
    nodes
}
