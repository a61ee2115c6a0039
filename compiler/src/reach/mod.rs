//! The connectivity engine: who can reach what under a set of NetworkPolicies, with
//! exactly Kubernetes' semantics, for npg programs and for the YAML a cluster
//! already has. Input is a [`Cluster`]; answers are [`ConnectionSet`]s per pair.

pub mod addresses;
pub mod analysis;
pub mod assertions;
mod classes;
pub mod cluster;
pub mod connections;
pub mod connlist;
pub mod diff;
pub mod explain;
pub mod kubernetes;
pub mod manifests;
pub mod pairs;
pub mod paths;
pub mod program;
pub mod subjects;
#[cfg(test)]
mod test_cluster;
pub mod warnings;

pub use addresses::{AddressRange, AddressSet};
pub use analysis::Connectivity;
pub use assertions::{evaluate_assertions, evaluate_program_assertions};
pub use cluster::{Cluster, ContainerPort, HostNetwork, Namespace, NamespaceScope, Peer, Policy, PolicyRule, Workload};
pub use connections::ConnectionSet;
pub use pairs::{Direction, Endpoint, PairVerdict};
pub use program::{ProgramCluster, cluster_for_program, cluster_with_workloads, program_cluster};
