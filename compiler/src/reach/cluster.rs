//! What the connectivity engine reads: namespaces with labels, workloads with their
//! pods' labels and container ports, and NetworkPolicies in a checked form (selectors
//! parsed, CIDRs parsed, ports validated), each rule carrying where it came from.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use crate::model::{AddressBlock, LabelSelector, PortSet, Protocol, SourceLine};

/// Everything the engine needs to know of a cluster. Tables are sorted (namespaces
/// by name, workloads by namespace, name and kind, policies by namespace and name)
/// so that every answer is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cluster {
    pub namespaces: Vec<Namespace>,
    pub workloads: Vec<Workload>,
    pub policies: Vec<Policy>,
}

/// A namespace and its labels, `kubernetes.io/metadata.name` included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// The pods of one workload (a Deployment, a DaemonSet, the pods one owner made, or one
/// bare Pod). Its pods share labels and container ports, so one stands for all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    /// As Kubernetes spells the kind: `Deployment`, `ReplicaSet`, `Pod`, ...
    pub kind: String,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<ContainerPort>,
    /// `hostNetwork: true`: the pods use their node's address. Pod selectors never
    /// select them and policies do not isolate them; ipBlocks holding the node's
    /// address match them.
    pub host_network: Option<HostNetwork>,
    /// The file the workload was read from (or the npg group it stands for).
    pub source: Arc<str>,
}

impl Workload {
    /// `namespace/name[Kind]`, as connectivity lists print it.
    pub fn display_name(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

/// A host-network workload and its node's address, when the manifest gives one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostNetwork {
    pub host_ip: Option<IpAddr>,
}

/// A port a container declares; named ones are what named ports in policies resolve to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A NetworkPolicy in checked form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub namespace: String,
    pub name: String,
    /// Selects the pods of `namespace` the policy applies to.
    pub pod_selector: LabelSelector,
    /// `Some` when the policy isolates the selected pods for ingress (its
    /// `policyTypes`, or the Kubernetes default: always ingress), with the rules that
    /// allow traffic in. `Some(vec![])` denies every connection in.
    pub ingress: Option<Vec<PolicyRule>>,
    /// `Some` when the policy isolates egress (`policyTypes` lists Egress, or it has
    /// none and there are egress rules).
    pub egress: Option<Vec<PolicyRule>>,
    /// Where the policy came from: a YAML file, or the npg declaration it was lowered from.
    pub source: Arc<str>,
    /// Labelled `app.kubernetes.io/managed-by: npg`: written by npg, so a program
    /// replaces it when its policies are simulated over a real cluster.
    pub managed_by_npg: bool,
}

impl Policy {
    /// `namespace/name`.
    pub fn display_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// One `ingress` or `egress` entry: traffic with any of `peers` on any of `ports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRule {
    /// `None` when `from`/`to` is absent or empty: every address, in the cluster or not.
    pub peers: Option<Vec<Peer>>,
    /// `PortSet::All` when `ports` is absent or empty. A port entry with a protocol and
    /// no port is that protocol's whole range, 1-65535.
    pub ports: PortSet,
    /// The npg rules this entry enforces (empty for policies read from YAML).
    pub origins: Vec<SourceLine>,
}

/// One element of `from`/`to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector` in one element: pods matching
    /// `pods` in the namespaces `namespaces` picks (both must hold).
    Pods { namespaces: NamespaceScope, pods: LabelSelector },
    /// `ipBlock`: `cidr` minus `except`.
    Addresses(AddressBlock),
}

/// Which namespaces a pod peer looks in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceScope {
    /// No `namespaceSelector`: the policy's own namespace.
    Own,
    /// A `namespaceSelector` (empty: every namespace).
    Matching(LabelSelector),
}
