//! Where groups live and how the other end of a rule looks from one namespace:
//! a peer with `podSelector`, `namespaceSelector` (both in one peer, so they AND)
//! or `ipBlock`. Peers are small keys that order canonically, so merged rules
//! never depend on rule order.

use std::collections::HashMap;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as KubeSelector;

use super::selectors::{kubernetes_selector, namespace_named};
use crate::model::{BuiltinGroup, Endpoint, GroupId, ManagedNamespace, Model, Placement};

/// The place of a value among every distinct value of its kind in the model:
/// equal values share a rank, and ranks order as the values do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Rank(u32);

/// A managed namespace by its position in the model's table; a name declared
/// twice always stands for its first declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct NamespaceIndex(u32);

impl NamespaceIndex {
    /// The position in the model's namespace table.
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }
}

/// The other end of a rule, as seen from the namespace of the policy being written,
/// with each selector, name or address block by its [`Rank`]. Since ranks order as
/// the values do, the derived order is that of the values: the order of rule
/// entries in a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Peer {
    /// Pods of the policy's own namespace.
    SameNamespace { pods: Rank },
    /// Pods of one other namespace, by name.
    NamedNamespace { namespace: Rank, pods: Rank },
    /// Pods of every namespace whose labels match.
    MatchingNamespaces { namespaces: Rank, pods: Rank },
    /// Pods of every namespace.
    AnyNamespace { pods: Rank },
    /// Every pod of the cluster.
    Cluster,
    /// Addresses outside the cluster: one block and its exceptions.
    Addresses { block: Rank },
}

/// How a group looks as the other end of a rule, before knowing from which namespace.
#[derive(Clone, Copy)]
enum GroupEnd {
    Cluster,
    /// In one namespace: `home` when that namespace is managed.
    InNamespace {
        home: Option<NamespaceIndex>,
        name: Rank,
        pods: Rank,
    },
    Matching {
        namespaces: Rank,
        pods: Rank,
    },
    Any {
        pods: Rank,
    },
}

/// Everything lowering asks about groups, namespaces and networks, worked out once
/// per model: where each group lives, the peer of each rule end, and the
/// Kubernetes form of each distinct selector and address block.
pub(super) struct Peers<'m> {
    model: &'m Model,
    /// Per group id: the managed namespaces it lives in, in model order.
    homes: Vec<Vec<NamespaceIndex>>,
    /// Per group id.
    group_ends: Vec<GroupEnd>,
    /// Per group id: the rank of its pod selector.
    pod_ranks: Vec<Rank>,
    /// Per network id: one peer per address block.
    network_peers: Vec<Vec<Peer>>,
    /// By rank: the Kubernetes form of each group's pod selector.
    pod_selectors: Vec<KubeSelector>,
    /// By rank: the `namespaceSelector` of each distinct `in namespaces(...)`.
    namespace_selectors: Vec<KubeSelector>,
    /// By rank: the `namespaceSelector` naming each namespace a group lives in.
    named_namespaces: Vec<KubeSelector>,
    /// By rank: each distinct address block, exceptions sorted.
    blocks: Vec<IPBlock>,
}

impl<'m> Peers<'m> {
    pub(super) fn new(model: &'m Model) -> Peers<'m> {
        let mut first_of_name: HashMap<&str, NamespaceIndex> = HashMap::new();
        for (index, namespace) in (0u32..).zip(&model.namespaces) {
            first_of_name.entry(namespace.name.as_str()).or_insert(NamespaceIndex(index));
        }
        let labels: Vec<_> = model.namespaces.iter().map(ManagedNamespace::all_labels).collect();
        let distinct_namespaces: Vec<NamespaceIndex> = (0u32..)
            .zip(&model.namespaces)
            .filter(|(index, namespace)| first_of_name.get(namespace.name.as_str()) == Some(&NamespaceIndex(*index)))
            .map(|(index, _)| NamespaceIndex(index))
            .collect();

        let homes = model
            .groups
            .iter()
            .map(|group| match &group.placement {
                Placement::Namespace(home) => first_of_name.get(home.as_str()).copied().into_iter().collect(),
                Placement::Namespaces(selector) => distinct_namespaces
                    .iter()
                    .copied()
                    .filter(|index| labels.get(index.0 as usize).is_some_and(|labels| selector.matches(labels)))
                    .collect(),
                Placement::Any => distinct_namespaces.clone(),
            })
            .collect();

        let (pod_ranks, pod_selectors) = rank(model.groups.iter().map(|group| &group.selector).collect());
        let (name_ranks, names) = rank(
            model
                .groups
                .iter()
                .filter_map(|group| match &group.placement {
                    Placement::Namespace(home) => Some(home.as_str()),
                    _ => None,
                })
                .collect(),
        );
        let (selector_ranks, namespace_selectors) = rank(
            model
                .groups
                .iter()
                .filter_map(|group| match &group.placement {
                    Placement::Namespaces(selector) => Some(selector),
                    _ => None,
                })
                .collect(),
        );

        let mut name_ranks = name_ranks.into_iter();
        let mut selector_ranks = selector_ranks.into_iter();
        let group_ends = model
            .groups
            .iter()
            .zip(pod_ranks.iter().copied())
            .map(|(group, pods)| {
                // Every group takes its place in the rank lists of its placement, so
                // those are read in step even for the built-in `cluster`.
                let end = match &group.placement {
                    Placement::Namespace(home) => GroupEnd::InNamespace {
                        home: first_of_name.get(home.as_str()).copied(),
                        name: name_ranks.next().unwrap_or(Rank(0)),
                        pods,
                    },
                    Placement::Namespaces(_) => {
                        GroupEnd::Matching { namespaces: selector_ranks.next().unwrap_or(Rank(0)), pods }
                    }
                    Placement::Any => GroupEnd::Any { pods },
                };
                if group.builtin == Some(BuiltinGroup::Cluster) { GroupEnd::Cluster } else { end }
            })
            .collect();

        let block_owners: Vec<(usize, (IpNet, Vec<IpNet>))> = model
            .networks
            .iter()
            .enumerate()
            .flat_map(|(network, address)| {
                address.blocks.iter().map(move |block| {
                    let mut except: Vec<IpNet> = block.except.iter().map(IpNet::trunc).collect();
                    except.sort_unstable();
                    except.dedup();
                    (network, (block.cidr.trunc(), except))
                })
            })
            .collect();
        let (owners, blocks): (Vec<usize>, Vec<(IpNet, Vec<IpNet>)>) = block_owners.into_iter().unzip();
        let (block_ranks, blocks) = rank(blocks);
        let mut network_peers: Vec<Vec<Peer>> = vec![Vec::new(); model.networks.len()];
        for (network, block) in owners.into_iter().zip(block_ranks) {
            if let Some(peers) = network_peers.get_mut(network) {
                peers.push(Peer::Addresses { block });
            }
        }

        Peers {
            model,
            homes,
            group_ends,
            pod_ranks,
            network_peers,
            pod_selectors: pod_selectors.into_iter().map(kubernetes_selector).collect(),
            namespace_selectors: namespace_selectors.into_iter().map(kubernetes_selector).collect(),
            named_namespaces: names.into_iter().map(namespace_named).collect(),
            blocks: blocks
                .into_iter()
                .map(|(cidr, except)| IPBlock {
                    cidr: cidr.to_string(),
                    except: (!except.is_empty()).then(|| except.iter().map(ToString::to_string).collect()),
                })
                .collect(),
        }
    }

    /// The managed namespaces `group` lives in, in model order.
    pub(super) fn homes(&self, group: GroupId) -> &[NamespaceIndex] {
        self.homes.get(group.0 as usize).map_or(&[], Vec::as_slice)
    }

    pub(super) fn namespace(&self, index: NamespaceIndex) -> Option<&'m ManagedNamespace> {
        self.model.namespaces.get(index.0 as usize)
    }

    /// The peers of one end of a rule, seen from the namespace `viewer`: one for a
    /// group, one per address block for a network; none for a dangling id.
    pub(super) fn endpoint_peers(&self, endpoint: Endpoint, viewer: NamespaceIndex) -> impl Iterator<Item = Peer> + '_ {
        let (group, network) = match endpoint {
            Endpoint::Group(id) => (self.group_ends.get(id.0 as usize).map(|end| group_peer(*end, viewer)), None),
            Endpoint::Network(id) => (None, self.network_peers.get(id.0 as usize)),
        };
        group.into_iter().chain(network.into_iter().flatten().copied())
    }

    /// The `podSelector` of a group's own policy.
    pub(super) fn pod_selector(&self, group: GroupId) -> KubeSelector {
        let rank = self.pod_ranks.get(group.0 as usize);
        rank.and_then(|rank| self.pod_selectors.get(rank.0 as usize)).cloned().unwrap_or_default()
    }

    pub(super) fn to_kubernetes(&self, peer: Peer) -> NetworkPolicyPeer {
        let selector = |table: &[KubeSelector], rank: Rank| table.get(rank.0 as usize).cloned();
        let every_namespace = || Some(KubeSelector::default());
        match peer {
            Peer::SameNamespace { pods } => {
                NetworkPolicyPeer { pod_selector: selector(&self.pod_selectors, pods), ..NetworkPolicyPeer::default() }
            }
            Peer::NamedNamespace { namespace, pods } => NetworkPolicyPeer {
                namespace_selector: selector(&self.named_namespaces, namespace),
                pod_selector: selector(&self.pod_selectors, pods),
                ..NetworkPolicyPeer::default()
            },
            Peer::MatchingNamespaces { namespaces, pods } => NetworkPolicyPeer {
                namespace_selector: selector(&self.namespace_selectors, namespaces),
                pod_selector: selector(&self.pod_selectors, pods),
                ..NetworkPolicyPeer::default()
            },
            Peer::AnyNamespace { pods } => NetworkPolicyPeer {
                namespace_selector: every_namespace(),
                pod_selector: selector(&self.pod_selectors, pods),
                ..NetworkPolicyPeer::default()
            },
            Peer::Cluster => {
                NetworkPolicyPeer { namespace_selector: every_namespace(), ..NetworkPolicyPeer::default() }
            }
            Peer::Addresses { block } => NetworkPolicyPeer {
                ip_block: self.blocks.get(block.0 as usize).cloned(),
                ..NetworkPolicyPeer::default()
            },
        }
    }
}

fn group_peer(end: GroupEnd, viewer: NamespaceIndex) -> Peer {
    match end {
        GroupEnd::Cluster => Peer::Cluster,
        GroupEnd::InNamespace { home, pods, .. } if home == Some(viewer) => Peer::SameNamespace { pods },
        GroupEnd::InNamespace { name, pods, .. } => Peer::NamedNamespace { namespace: name, pods },
        GroupEnd::Matching { namespaces, pods } => Peer::MatchingNamespaces { namespaces, pods },
        GroupEnd::Any { pods } => Peer::AnyNamespace { pods },
    }
}

/// The rank of each value, in input order, and the distinct values sorted.
fn rank<T: Ord>(values: Vec<T>) -> (Vec<Rank>, Vec<T>) {
    let mut ranks = vec![Rank(0); values.len()];
    let mut sorted: Vec<(T, usize)> = values.into_iter().zip(0..).collect();
    sorted.sort_unstable();
    let mut distinct: Vec<T> = Vec::new();
    for (value, position) in sorted {
        if distinct.last() != Some(&value) {
            distinct.push(value);
        }
        let next = u32::try_from(distinct.len() - 1).unwrap_or(u32::MAX);
        if let Some(slot) = ranks.get_mut(position) {
            *slot = Rank(next);
        }
    }
    (ranks, distinct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LabelSelector;

    #[test]
    fn equal_values_share_a_rank_and_ranks_order_as_the_values_do() {
        let (ranks, distinct) = rank(vec!["web", "api", "web", "db"]);
        assert_eq!(ranks, [Rank(2), Rank(0), Rank(2), Rank(1)]);
        assert_eq!(distinct, ["api", "db", "web"]);
    }

    #[test]
    fn nothing_to_rank_gives_no_ranks() {
        let (ranks, distinct) = rank(Vec::<LabelSelector>::new());
        assert!(ranks.is_empty() && distinct.is_empty());
    }
}
