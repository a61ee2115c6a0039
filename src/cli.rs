//! The command line's shape: subcommands, flags and their `--help` text, as clap
//! derives them. Nothing here reads files or prints results.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use npg_compiler::reach::manifests::{HostNetworkPods, ReadOptions};

#[derive(Debug, Parser)]
#[command(
    name = "npg",
    version,
    about = "Type-check network access policies and write Kubernetes NetworkPolicy and RBAC manifests",
    long_about = "npg reads `.npg` files, which say which groups of workloads may reach which others, \
checks them, and writes the Kubernetes NetworkPolicy and RBAC objects that enforce them.\n\n\
A program is every `*.npg` file under the paths given (folders are read recursively, \
hidden folders skipped). Declarations are visible across all files of a program.",
    after_help = "Examples:\n  npg check policies/\n  npg build policies/ -o manifests/\n  npg build shop.npg | kubectl apply -f -\n  npg fmt --check .\n\n\
Exit status: 0 ok, 1 the program has errors (or fmt --check found changes), 2 usage or I/O error."
)]
pub struct Cli {
    /// When to colour diagnostics: `auto` colours when stderr is a terminal and NO_COLOR is unset.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the program and write its Kubernetes manifests.
    #[command(
        after_help = "Examples:\n  npg build                         # every .npg under the current folder, YAML to stdout\n  \
npg build policies/ -o -          # one folder of sources, YAML stream on stdout\n  \
npg build policies/ -o manifests  # one folder per namespace plus kustomization.yaml\n  \
npg build policies/ | kubectl apply -f -\n\n\
Nothing is written when the program has errors. An output folder is replaced as a whole, \
atomically; npg refuses to replace a non-empty folder it did not write."
    )]
    Build(BuildArgs),

    /// Check the program and report its errors and warnings.
    #[command(after_help = "Examples:\n  npg check\n  npg check policies/ --deny-warnings\n  \
npg check policies/ --format json\n  npg check policies/ --format sarif > npg.sarif   # for code scanning\n  \
npg check policies/ --workloads k8s/   # the connections going live would open and close")]
    Check(CheckArgs),

    /// Rewrite `.npg` files in canonical layout.
    #[command(after_help = "Examples:\n  npg fmt                # rewrite every .npg under the current folder\n  \
npg fmt --check policies/   # list files whose layout would change; exit 1 if any\n\n\
A file with syntax errors is left as it is and its errors are reported.")]
    Fmt(FmtArgs),

    /// Work out who can reach what under the NetworkPolicies of Kubernetes manifests.
    #[command(after_help = "Examples:\n  npg analyze k8s/\n  npg analyze k8s/ --format json -o connectivity.json\n  \
npg analyze k8s/ --format dot | dot -Tsvg > connectivity.svg\n\n\
Reads every `.yaml`, `.yml` and `.json` file under the paths given (folders recursively): \
Namespaces, Pods, workload objects (Deployment, ReplicaSet, ReplicationController, DaemonSet, \
StatefulSet, Job, CronJob) and NetworkPolicies; other kinds are skipped. Prints one line per \
ordered pair of workloads (or address range outside the cluster) with something allowed:\n  \
default/frontend[Deployment] => default/backend[Deployment] : TCP 9090\n\n\
`.npg` files under the paths are read too: a program alone is analysed over one representative \
workload per group (`shop/web[Group]`), a program beside manifests in place of the policies npg \
manages, over the manifests' workloads.")]
    Analyze(AnalyzeArgs),

    /// Serve the language server over stdin and stdout (editors start this).
    Lsp,

    /// Say whether one workload, group or address may reach another, and why.
    #[command(after_help = "Examples:\n  npg explain frontend backend:8080\n  \
npg explain shop/web data/db:5432/tcp policies/ k8s/\n  \
npg explain 203.0.113.7 shop/web:443 k8s/\n\n\
SRC and DST are group names (`frontend`, `shop/frontend`), workloads (`shop/web`, \
`shop/web[Deployment]`) or addresses (`203.0.113.7`, `10.0.0.0/8`; an IPv6 address with a port \
goes in brackets: `[2001:db8::1]:443`). PATHS hold `.npg` files, Kubernetes manifests, or both: \
a program over real workloads.\n\n\
Exit status: 0 the answer was given (allowed or denied), 1 the inputs have errors, \
2 usage error (an unknown name, say) or I/O error.")]
    Explain(ExplainArgs),

    /// If FROM is compromised: what it can reach, hop by hop, or the shortest paths to TO.
    #[command(after_help = "Examples:\n  npg paths frontend                 # the blast radius of frontend\n  \
npg paths frontend orders-db        # the shortest paths from frontend to orders-db\n  \
npg paths shop/web k8s/ --max-hops 2\n  \
npg paths 203.0.113.7 --to data/db k8s/ --format json\n\n\
Which argument is TO: with `--to`, none; otherwise the argument after FROM is TO unless it is \
an existing file or folder (then it and the rest are PATHS). Addresses outside the cluster end \
paths but never relay them: an attacker there starts where ingress admits it.")]
    Paths(PathsArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Files or folders to read (folders recursively, `*.npg` only).
    #[arg(value_name = "PATHS", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Where to write: `-` for one YAML stream on stdout, or a folder to fill with one
    /// folder per namespace and a `kustomization.yaml`.
    #[arg(short, long, value_name = "DIR", default_value = "-")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to read (folders recursively, `*.npg` only).
    #[arg(value_name = "PATHS", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Treat warnings as errors for the exit status.
    #[arg(long)]
    pub deny_warnings: bool,

    /// How to report diagnostics: `human` on stderr, `json` or `sarif` on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub format: ReportFormat,

    /// Kubernetes manifests of the cluster as it is: check assertions over its real
    /// workloads too, and print the connections the program would open and close.
    #[arg(long, value_name = "K8S_DIR")]
    pub workloads: Option<PathBuf>,

    #[command(flatten)]
    pub host_network: HostNetworkArg,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Where the connection starts: a group, `namespace/workload[Kind]` or an address.
    #[arg(value_name = "SRC")]
    pub source: String,

    /// Where it goes, with an optional port and protocol: `backend:8080/tcp`.
    #[arg(value_name = "DST[:PORT[/PROTO]]")]
    pub destination: String,

    /// Files or folders to read: `.npg` files and/or Kubernetes manifests (`.yaml`, `.yml`, `.json`).
    #[arg(value_name = "PATHS", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// How to print the answer.
    #[arg(long, value_enum, default_value_t = AnswerFormat::Txt, value_name = "FORMAT")]
    pub format: AnswerFormat,

    #[command(flatten)]
    pub host_network: HostNetworkArg,
}

#[derive(Debug, Args)]
pub struct PathsArgs {
    /// What is compromised: a group, `namespace/workload[Kind]` or an address outside the cluster.
    #[arg(value_name = "FROM")]
    pub from: String,

    /// `[TO] [PATHS...]`: the target, unless `--to` is given or it exists on disk, then the paths to read.
    #[arg(value_name = "TO|PATHS")]
    pub rest: Vec<String>,

    /// The target; every positional argument after FROM is then a path.
    #[arg(long, value_name = "TO")]
    pub to: Option<String>,

    /// Follow at most this many hops.
    #[arg(long, value_name = "N")]
    pub max_hops: Option<u32>,

    /// How to print the answer.
    #[arg(long, value_enum, default_value_t = AnswerFormat::Txt, value_name = "FORMAT")]
    pub format: AnswerFormat,

    #[command(flatten)]
    pub host_network: HostNetworkArg,
}

/// How `explain` and `paths` print their answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AnswerFormat {
    /// For people.
    Txt,
    /// A JSON object.
    Json,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Write nothing; list the files whose layout would change and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,

    /// Files or folders to format (folders recursively, `*.npg` only).
    #[arg(value_name = "PATHS", default_value = ".")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Manifest files or folders to read (folders recursively: `.yaml`, `.yml`, `.json`, and `.npg`).
    #[arg(value_name = "PATHS", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// How to print the connectivity list.
    #[arg(long, value_enum, default_value_t = ConnlistFormat::Txt, value_name = "FORMAT")]
    pub format: ConnlistFormat,

    /// Write the list to this file instead of stdout (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub host_network: HostNetworkArg,
}

/// How manifests' host-network pods are read, for every command that reads manifests.
#[derive(Clone, Copy, Debug, Args)]
pub struct HostNetworkArg {
    /// What a pod with `hostNetwork: true` is: `node`, its node's address (pod
    /// selectors do not select it, policies do not isolate it, ipBlocks holding the
    /// node's address match it, as most network plugins behave); or `pod`, a pod like
    /// any other (as netpol-analyzer assumes).
    #[arg(long = "host-network", value_enum, default_value_t = HostNetworkMode::Node, value_name = "MODE")]
    pub mode: HostNetworkMode,
}

impl HostNetworkArg {
    /// The reader's options for this choice.
    pub fn read_options(self) -> ReadOptions {
        let host_network = match self.mode {
            HostNetworkMode::Node => HostNetworkPods::NodeAddress,
            HostNetworkMode::Pod => HostNetworkPods::OrdinaryPod,
        };
        ReadOptions { host_network }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HostNetworkMode {
    /// The node's address.
    Node,
    /// An ordinary pod.
    Pod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConnlistFormat {
    /// `source => destination : connections`, one line per pair.
    Txt,
    /// An array of `{"src", "dst", "conn"}` objects.
    Json,
    /// Comma-separated values with a `src,dst,conn` header.
    Csv,
    /// A Graphviz graph, one box per namespace.
    Dot,
    /// A Markdown table.
    Md,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Rendered for people, with source snippets.
    Human,
    /// A JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, as code scanning tools read it.
    Sarif,
}

impl ColorChoice {
    /// Whether diagnostics on stderr get colours, given whether stderr is a terminal
    /// and the value of `NO_COLOR`.
    pub fn enabled(self, stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stderr_is_terminal && no_color.is_none_or(|value| value.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn auto_colour_needs_a_terminal_and_no_no_color() {
        let set = Some(std::ffi::OsStr::new("1"));
        assert!(ColorChoice::Auto.enabled(true, None));
        assert!(!ColorChoice::Auto.enabled(false, None));
        assert!(!ColorChoice::Auto.enabled(true, set));
        assert!(ColorChoice::Auto.enabled(true, Some(std::ffi::OsStr::new(""))));
        assert!(ColorChoice::Always.enabled(false, set));
        assert!(!ColorChoice::Never.enabled(true, None));
    }
}
