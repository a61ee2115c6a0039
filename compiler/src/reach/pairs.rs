//! One connection at a time, straight from the definitions: which policies isolate
//! each end, which of their rules admit the other end, and what passes both. This
//! is what `explain` and assertions report, and the reference the fast
//! [`Connectivity`](super::Connectivity) matrix is tested against.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::addresses::{AddressRange, AddressSet};
use super::cluster::{Cluster, NamespaceScope, Peer, Policy, PolicyRule, Workload};
use super::connections::ConnectionSet;
use crate::model::{NAMESPACE_NAME_LABEL, Protocol};

/// One end of a connection: a workload of the cluster (by its index in
/// [`Cluster::workloads`]) or a range of addresses outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Workload(usize),
    Addresses(AddressRange),
}

/// Which direction of a connection a policy governs at one end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Out of the source.
    Egress,
    /// Into the destination.
    Ingress,
}

/// A rule that admits the other end, and what it admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    /// Index in [`Cluster::policies`].
    pub policy: usize,
    /// Index in the policy's `ingress` or `egress` list.
    pub rule: usize,
    pub connections: ConnectionSet,
}

/// What one end's policies say about a connection in one direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectionVerdict {
    /// The policies that isolate this end in this direction. Empty: not isolated, so
    /// everything is allowed.
    pub isolating: Vec<usize>,
    /// The rules of those policies that admit the other end, with non-empty connections.
    pub admitting: Vec<RuleMatch>,
    /// Everything allowed in this direction: all when not isolated, else the union of `admitting`.
    pub allowed: ConnectionSet,
}

/// Both halves of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairVerdict {
    /// The source's egress; `None` when the source is outside the cluster (nothing
    /// governs it) or a host-network workload (policies do not apply to it).
    pub egress: Option<DirectionVerdict>,
    /// The destination's ingress, `None` in the same cases.
    pub ingress: Option<DirectionVerdict>,
    /// What passes both halves.
    pub allowed: ConnectionSet,
}

/// Everything that decides whether `source` may open connections to `destination`.
pub fn evaluate(cluster: &Cluster, source: Endpoint, destination: Endpoint) -> PairVerdict {
    let namespaces: BTreeMap<&str, &BTreeMap<String, String>> =
        cluster.namespaces.iter().map(|namespace| (namespace.name.as_str(), &namespace.labels)).collect();
    let view = View { cluster, namespaces };
    let egress = view.workload_under_policies(source).map(|workload| {
        view.direction(workload, Direction::Egress, |policy, rule| view.admits(policy, rule, destination, destination))
    });
    let ingress = view.workload_under_policies(destination).map(|workload| {
        view.direction(workload, Direction::Ingress, |policy, rule| view.admits(policy, rule, source, destination))
    });
    let everything = ConnectionSet::all();
    let out = egress.as_ref().map_or(&everything, |verdict| &verdict.allowed);
    let into = ingress.as_ref().map_or(&everything, |verdict| &verdict.allowed);
    let allowed = match (source, destination) {
        (Endpoint::Addresses(_), Endpoint::Addresses(_)) => ConnectionSet::none(),
        _ => out.intersection(into),
    };
    PairVerdict { egress, ingress, allowed }
}

/// Whether `policy` applies to `workload`: same namespace, pod selector matches,
/// and the workload is not on the host network (policies never select those).
pub fn selects(policy: &Policy, workload: &Workload) -> bool {
    workload.host_network.is_none()
        && policy.namespace == workload.namespace
        && policy.pod_selector.matches(&workload.labels)
}

/// A cluster with its namespaces' labels at hand.
struct View<'c> {
    cluster: &'c Cluster,
    namespaces: BTreeMap<&'c str, &'c BTreeMap<String, String>>,
}

impl<'c> View<'c> {
    /// The workload at `endpoint` when policies can govern it.
    fn workload_under_policies(&self, endpoint: Endpoint) -> Option<&'c Workload> {
        match endpoint {
            Endpoint::Workload(index) => self.cluster.workloads.get(index).filter(|w| w.host_network.is_none()),
            Endpoint::Addresses(_) => None,
        }
    }

    fn direction(
        &self,
        workload: &Workload,
        direction: Direction,
        admits: impl Fn(&Policy, &PolicyRule) -> ConnectionSet,
    ) -> DirectionVerdict {
        let mut isolating = Vec::new();
        let mut admitting = Vec::new();
        let mut allowed = ConnectionSet::none();
        for (index, policy) in self.cluster.policies.iter().enumerate() {
            let rules = match direction {
                Direction::Egress => &policy.egress,
                Direction::Ingress => &policy.ingress,
            };
            let Some(rules) = rules else { continue };
            if !selects(policy, workload) {
                continue;
            }
            isolating.push(index);
            for (rule_index, rule) in rules.iter().enumerate() {
                let connections = admits(policy, rule);
                if !connections.is_empty() {
                    allowed = allowed.union(&connections);
                    admitting.push(RuleMatch { policy: index, rule: rule_index, connections });
                }
            }
        }
        if isolating.is_empty() {
            allowed = ConnectionSet::all();
        }
        DirectionVerdict { isolating, admitting, allowed }
    }

    /// What `rule` of `policy` admits when its peers are matched against `other`,
    /// named ports resolved against `destination`.
    fn admits(&self, policy: &Policy, rule: &PolicyRule, other: Endpoint, destination: Endpoint) -> ConnectionSet {
        let matched = match &rule.peers {
            None => true,
            Some(peers) => peers.iter().any(|peer| self.peer_matches(policy, peer, other)),
        };
        if !matched {
            return ConnectionSet::none();
        }
        let destination = match destination {
            Endpoint::Workload(index) => self.cluster.workloads.get(index),
            Endpoint::Addresses(_) => None,
        };
        ConnectionSet::from_port_set(&rule.ports, |protocol, name| named_port(destination?, protocol, name))
    }

    fn peer_matches(&self, policy: &Policy, peer: &Peer, other: Endpoint) -> bool {
        match (peer, other) {
            (Peer::Pods { namespaces, pods }, Endpoint::Workload(index)) => {
                let Some(workload) = self.cluster.workloads.get(index) else { return false };
                workload.host_network.is_none()
                    && pods.matches(&workload.labels)
                    && match namespaces {
                        NamespaceScope::Own => workload.namespace == policy.namespace,
                        NamespaceScope::Matching(selector) => {
                            selector.matches(&self.namespace_labels(&workload.namespace))
                        }
                    }
            }
            (Peer::Addresses(block), Endpoint::Workload(index)) => {
                let host_ip = self.cluster.workloads.get(index).and_then(|w| w.host_network.as_ref()?.host_ip);
                host_ip.is_some_and(|address| AddressSet::of_block(block).contains(address))
            }
            (Peer::Addresses(block), Endpoint::Addresses(range)) => AddressSet::of_block(block).covers(range),
            (Peer::Pods { .. }, Endpoint::Addresses(_)) => false,
        }
    }

    /// A namespace's labels; one the cluster does not describe has only its name label.
    fn namespace_labels(&self, name: &str) -> Cow<'c, BTreeMap<String, String>> {
        match self.namespaces.get(name) {
            Some(labels) => Cow::Borrowed(*labels),
            None => Cow::Owned(BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned())])),
        }
    }
}

/// The number of the container port `name`/`protocol` of `workload`.
pub fn named_port(workload: &Workload, protocol: Protocol, name: &str) -> Option<u16> {
    workload
        .ports
        .iter()
        .find(|port| port.protocol == protocol && port.name.as_deref() == Some(name))
        .map(|port| port.port)
}
