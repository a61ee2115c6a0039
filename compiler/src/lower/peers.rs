//! Where groups live and how the other end of a rule looks from one namespace:
//! a peer with `podSelector`, `namespaceSelector` (both in one peer, so they AND)
//! or `ipBlock`. Peers order canonically, so merged rules never depend on rule order.

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as KubeSelector;

use super::selectors::{kubernetes_selector, namespace_named};
use crate::model::{AddressBlock, BuiltinGroup, Endpoint, Group, LabelSelector, ManagedNamespace, Model, Placement};

/// The other end of a rule, as seen from the namespace of the policy being written.
/// The derived order is the order of rule entries in a policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Peer {
    /// Pods of the policy's own namespace.
    SameNamespace { pods: LabelSelector },
    /// Pods of one other namespace, by name.
    NamedNamespace { namespace: String, pods: LabelSelector },
    /// Pods of every namespace whose labels match.
    MatchingNamespaces { namespaces: LabelSelector, pods: LabelSelector },
    /// Pods of every namespace.
    AnyNamespace { pods: LabelSelector },
    /// Every pod of the cluster.
    Cluster,
    /// Addresses outside the cluster.
    Addresses { cidr: IpNet, except: Vec<IpNet> },
}

impl Peer {
    pub(super) fn to_kubernetes(&self) -> NetworkPolicyPeer {
        match self {
            Peer::SameNamespace { pods } => {
                NetworkPolicyPeer { pod_selector: Some(kubernetes_selector(pods)), ..NetworkPolicyPeer::default() }
            }
            Peer::NamedNamespace { namespace, pods } => NetworkPolicyPeer {
                namespace_selector: Some(namespace_named(namespace)),
                pod_selector: Some(kubernetes_selector(pods)),
                ..NetworkPolicyPeer::default()
            },
            Peer::MatchingNamespaces { namespaces, pods } => NetworkPolicyPeer {
                namespace_selector: Some(kubernetes_selector(namespaces)),
                pod_selector: Some(kubernetes_selector(pods)),
                ..NetworkPolicyPeer::default()
            },
            Peer::AnyNamespace { pods } => NetworkPolicyPeer {
                namespace_selector: Some(KubeSelector::default()),
                pod_selector: Some(kubernetes_selector(pods)),
                ..NetworkPolicyPeer::default()
            },
            Peer::Cluster => {
                NetworkPolicyPeer { namespace_selector: Some(KubeSelector::default()), ..NetworkPolicyPeer::default() }
            }
            Peer::Addresses { cidr, except } => NetworkPolicyPeer {
                ip_block: Some(IPBlock {
                    cidr: cidr.to_string(),
                    except: (!except.is_empty()).then(|| except.iter().map(ToString::to_string).collect()),
                }),
                ..NetworkPolicyPeer::default()
            },
        }
    }
}

/// The peers of one end of a rule, seen from `namespace`: one for a group, one per
/// address block for a network; none for a dangling id.
pub(super) fn endpoint_peers(model: &Model, endpoint: Endpoint, namespace: &str) -> Vec<Peer> {
    match endpoint {
        Endpoint::Group(id) => model.group(id).map(|group| vec![group_peer(group, namespace)]).unwrap_or_default(),
        Endpoint::Network(id) => {
            model.network(id).map(|network| network.blocks.iter().map(address_peer).collect()).unwrap_or_default()
        }
    }
}

fn group_peer(group: &Group, namespace: &str) -> Peer {
    if group.builtin == Some(BuiltinGroup::Cluster) {
        return Peer::Cluster;
    }
    let pods = group.selector.clone();
    match &group.placement {
        Placement::Namespace(home) if home == namespace => Peer::SameNamespace { pods },
        Placement::Namespace(home) => Peer::NamedNamespace { namespace: home.clone(), pods },
        Placement::Namespaces(namespaces) => Peer::MatchingNamespaces { namespaces: namespaces.clone(), pods },
        Placement::Any => Peer::AnyNamespace { pods },
    }
}

fn address_peer(block: &AddressBlock) -> Peer {
    let mut except: Vec<IpNet> = block.except.iter().map(IpNet::trunc).collect();
    except.sort_unstable();
    except.dedup();
    Peer::Addresses { cidr: block.cidr.trunc(), except }
}

/// The managed namespaces a group lives in, in model order.
pub(super) fn managed_homes<'m>(model: &'m Model, group: &'m Group) -> impl Iterator<Item = &'m ManagedNamespace> + 'm {
    model.namespaces.iter().filter(move |namespace| match &group.placement {
        Placement::Namespace(home) => *home == namespace.name,
        Placement::Namespaces(selector) => selector.matches(&namespace.all_labels()),
        Placement::Any => true,
    })
}
