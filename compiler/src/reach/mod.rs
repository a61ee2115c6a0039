//! The connectivity engine: who can reach what under a set of NetworkPolicies, with
//! exactly Kubernetes' semantics, for npg programs and for the YAML a cluster
//! already has. Input is a [`Cluster`]; answers are [`ConnectionSet`]s per pair.

pub mod addresses;
pub mod analysis;
mod classes;
pub mod cluster;
pub mod connections;
pub mod connlist;
pub mod diff;
pub mod explain;
pub mod kubernetes;
pub mod pairs;
pub mod paths;
pub mod subjects;

pub use addresses::{AddressRange, AddressSet};
pub use analysis::Connectivity;
pub use cluster::{Cluster, ContainerPort, HostNetwork, Namespace, NamespaceScope, Peer, Policy, PolicyRule, Workload};
pub use connections::ConnectionSet;
pub use pairs::{Direction, Endpoint, PairVerdict};
