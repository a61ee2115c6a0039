//! Workloads that no policy can tell apart: same policies selecting them, same
//! peers matching them, same named container ports. Each such class is worked out
//! once. Selectors are evaluated on bitsets through a label index, never pod by pod.

use std::collections::BTreeMap;

use fixedbitset::FixedBitSet;
use rustc_hash::FxHashMap;

use super::addresses::AddressSet;
use super::cluster::{Cluster, NamespaceScope, Peer};
use crate::model::{LabelSelector, NAMESPACE_NAME_LABEL, Port, PortSet, Protocol, Requirement};

/// A named container port a policy may ask for: name, protocol and number.
pub(super) type NamedPort = (String, Protocol, u16);

/// The equivalence classes of a cluster's workloads and its policy rules compiled
/// against them.
pub(super) struct Classes<'c> {
    /// Per workload: its class.
    pub class_of: Vec<u32>,
    pub classes: Vec<Class>,
    /// Every ingress and egress rule of every policy.
    pub rules: Vec<CompiledRule<'c>>,
    /// Per named-port profile id: the named ports of the class's workloads that some policy names.
    pub profiles: Vec<Vec<NamedPort>>,
}

pub(super) struct Class {
    /// Policies isolating the class for ingress, and the rules they bring (ids into `rules`).
    pub ingress_rules: Option<Vec<u32>>,
    /// The same for egress.
    pub egress_rules: Option<Vec<u32>>,
    /// Index into `profiles`.
    pub profile: u32,
}

/// One ingress or egress rule of a policy, against classes.
pub(super) struct CompiledRule<'c> {
    /// The classes its peers match (for ingress: sources; for egress: destinations).
    pub classes: FixedBitSet,
    /// The address blocks its peers hold; `None` when it has no peer list (every address).
    pub blocks: Option<Vec<AddressSet>>,
    pub ports: &'c PortSet,
    /// Whether `ports` names container ports, so what it allows depends on the destination.
    pub named: bool,
}

impl Classes<'_> {
    /// The named-port profile of `class`: its id and the ports.
    pub fn named_ports(&self, class: usize) -> Option<(u32, &[NamedPort])> {
        let profile = self.classes.get(class)?.profile;
        self.profiles.get(profile as usize).map(|ports| (profile, ports.as_slice()))
    }
}

/// Which bits of a universe (workloads or namespaces) carry each label.
struct LabelIndex<'c> {
    universe: usize,
    by_label: FxHashMap<&'c str, FxHashMap<&'c str, FixedBitSet>>,
    by_key: FxHashMap<&'c str, FixedBitSet>,
}

impl<'c> LabelIndex<'c> {
    fn new(labels: impl ExactSizeIterator<Item = &'c BTreeMap<String, String>>) -> LabelIndex<'c> {
        let universe = labels.len();
        let mut index = LabelIndex { universe, by_label: FxHashMap::default(), by_key: FxHashMap::default() };
        for (bit, labels) in labels.enumerate() {
            for (key, value) in labels {
                let empty = || FixedBitSet::with_capacity(universe);
                index.by_label.entry(key.as_str()).or_default().entry(value.as_str()).or_insert_with(empty).insert(bit);
                index.by_key.entry(key.as_str()).or_insert_with(empty).insert(bit);
            }
        }
        index
    }

    fn everything(&self) -> FixedBitSet {
        let mut all = FixedBitSet::with_capacity(self.universe);
        all.insert_range(..);
        all
    }

    fn label(&self, key: &str, value: &str) -> Option<&FixedBitSet> {
        self.by_label.get(key)?.get(value)
    }

    /// The bits whose labels satisfy every requirement of `selector`.
    fn select(&self, selector: &LabelSelector) -> FixedBitSet {
        let mut selected = self.everything();
        for requirement in &selector.requirements {
            let mut matching = FixedBitSet::with_capacity(self.universe);
            let negated = match requirement {
                Requirement::Equals { key, value } | Requirement::NotEquals { key, value } => {
                    if let Some(bits) = self.label(key, value) {
                        matching.union_with(bits);
                    }
                    matches!(requirement, Requirement::NotEquals { .. })
                }
                Requirement::In { key, values } | Requirement::NotIn { key, values } => {
                    for value in values {
                        if let Some(bits) = self.label(key, value) {
                            matching.union_with(bits);
                        }
                    }
                    matches!(requirement, Requirement::NotIn { .. })
                }
                Requirement::Exists { key } | Requirement::DoesNotExist { key } => {
                    if let Some(bits) = self.by_key.get(key.as_str()) {
                        matching.union_with(bits);
                    }
                    matches!(requirement, Requirement::DoesNotExist { .. })
                }
            };
            if negated {
                selected.difference_with(&matching);
            } else {
                selected.intersect_with(&matching);
            }
        }
        selected
    }
}

/// How a pod peer looks once its policy's namespace is known.
#[derive(Clone, PartialEq, Eq, Hash)]
enum PodsKey<'c> {
    InNamespace(usize, &'c LabelSelector),
    Matching(&'c LabelSelector, &'c LabelSelector),
}

impl<'c> Classes<'c> {
    pub fn new(cluster: &'c Cluster) -> Classes<'c> {
        let workloads = &cluster.workloads;
        let count = workloads.len();

        // Namespaces, with the ones only named by workloads or policies added.
        let mut namespace_labels: BTreeMap<&str, BTreeMap<String, String>> =
            cluster.namespaces.iter().map(|namespace| (namespace.name.as_str(), namespace.labels.clone())).collect();
        let named =
            workloads.iter().map(|w| w.namespace.as_str()).chain(cluster.policies.iter().map(|p| p.namespace.as_str()));
        for name in named {
            namespace_labels
                .entry(name)
                .or_insert_with(|| BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned())]));
        }
        let namespace_index: FxHashMap<&str, usize> =
            namespace_labels.keys().enumerate().map(|(index, name)| (*name, index)).collect();
        let mut namespace_members = vec![FixedBitSet::with_capacity(count); namespace_labels.len()];
        for (bit, workload) in workloads.iter().enumerate() {
            if let Some(members) =
                namespace_index.get(workload.namespace.as_str()).and_then(|index| namespace_members.get_mut(*index))
            {
                members.insert(bit);
            }
        }
        let namespace_label_index = LabelIndex::new(namespace_labels.values());
        let pods = LabelIndex::new(workloads.iter().map(|workload| &workload.labels));
        let mut policed = FixedBitSet::with_capacity(count);
        for (bit, workload) in workloads.iter().enumerate() {
            policed.set(bit, workload.host_network.is_none());
        }
        let in_namespaces = |selected: &FixedBitSet| {
            let mut members = FixedBitSet::with_capacity(count);
            for namespace in selected.ones() {
                if let Some(bits) = namespace_members.get(namespace) {
                    members.union_with(bits);
                }
            }
            members
        };
        let mut pod_selections: FxHashMap<&LabelSelector, FixedBitSet> = FxHashMap::default();
        let mut select_pods = |selector: &'c LabelSelector| {
            pod_selections.entry(selector).or_insert_with(|| pods.select(selector)).clone()
        };

        // Every workload's tokens: what selects it and what it matches, in a fixed order.
        let mut tokens: Vec<Vec<u32>> = vec![Vec::new(); count];
        let mut ingress_of: Vec<Vec<u32>> = vec![Vec::new(); count];
        let mut egress_of: Vec<Vec<u32>> = vec![Vec::new(); count];
        for (index, policy) in cluster.policies.iter().enumerate() {
            let Some(members) = namespace_index.get(policy.namespace.as_str()).and_then(|n| namespace_members.get(*n))
            else {
                continue;
            };
            let mut selected = select_pods(&policy.pod_selector);
            selected.intersect_with(members);
            selected.intersect_with(&policed);
            let id = u32::try_from(index).unwrap_or(u32::MAX);
            for bit in selected.ones() {
                if policy.ingress.is_some()
                    && let Some(list) = ingress_of.get_mut(bit)
                {
                    list.push(id);
                }
                if policy.egress.is_some()
                    && let Some(list) = egress_of.get_mut(bit)
                {
                    list.push(id);
                }
            }
        }

        // Distinct pod peers and the workloads each matches.
        let mut peer_ids: FxHashMap<PodsKey, usize> = FxHashMap::default();
        let mut peer_members: Vec<FixedBitSet> = Vec::new();
        let mut blocks: Vec<&AddressSet> = Vec::new();
        let mut rule_peers: Vec<(Vec<usize>, Option<Vec<AddressSet>>)> = Vec::new();
        let mut named_ports: std::collections::BTreeSet<(&str, Protocol)> = std::collections::BTreeSet::new();
        let mut namespace_selections: FxHashMap<&LabelSelector, FixedBitSet> = FxHashMap::default();
        for policy in &cluster.policies {
            let home = namespace_index.get(policy.namespace.as_str()).copied().unwrap_or(usize::MAX);
            for rule in policy.ingress.iter().chain(&policy.egress).flatten() {
                if let PortSet::Only(ports) = &rule.ports {
                    for port in ports {
                        if let Port::Named { protocol, name } = port {
                            named_ports.insert((name.as_str(), *protocol));
                        }
                    }
                }
                let Some(peers) = &rule.peers else {
                    rule_peers.push((Vec::new(), None));
                    continue;
                };
                let mut ids = Vec::new();
                let mut addresses = Vec::new();
                for peer in peers {
                    match peer {
                        Peer::Addresses(block) => addresses.push(AddressSet::of_block(block)),
                        Peer::Pods { namespaces, pods: selector } => {
                            let key = match namespaces {
                                NamespaceScope::Own => PodsKey::InNamespace(home, selector),
                                NamespaceScope::Matching(namespaces) => PodsKey::Matching(namespaces, selector),
                            };
                            let next = peer_members.len();
                            let id = *peer_ids.entry(key.clone()).or_insert(next);
                            if id == next {
                                let mut members = select_pods(selector);
                                members.intersect_with(&policed);
                                let scope = match key {
                                    PodsKey::InNamespace(home, _) => namespace_members
                                        .get(home)
                                        .cloned()
                                        .unwrap_or_else(|| FixedBitSet::with_capacity(count)),
                                    PodsKey::Matching(namespaces_selector, _) => namespace_selections
                                        .entry(namespaces_selector)
                                        .or_insert_with(|| {
                                            in_namespaces(&namespace_label_index.select(namespaces_selector))
                                        })
                                        .clone(),
                                };
                                members.intersect_with(&scope);
                                peer_members.push(members);
                            }
                            ids.push(id);
                        }
                    }
                }
                rule_peers.push((ids, Some(addresses)));
            }
        }
        for (id, members) in peer_members.iter().enumerate() {
            let token = u32::try_from(id).unwrap_or(u32::MAX);
            for bit in members.ones() {
                if let Some(list) = tokens.get_mut(bit) {
                    list.push(token);
                }
            }
        }
        // Host-network workloads are told apart by the blocks holding their node address.
        for (_, addresses) in &rule_peers {
            blocks.extend(addresses.iter().flatten());
        }
        for (bit, workload) in workloads.iter().enumerate() {
            let Some(host_ip) = workload.host_network.as_ref().and_then(|host| host.host_ip) else { continue };
            if let Some(list) = tokens.get_mut(bit) {
                let holding = blocks.iter().enumerate().filter(|(_, block)| block.contains(host_ip));
                let first_block_token = peer_members.len();
                list.extend(holding.map(|(index, _)| u32::try_from(first_block_token + index).unwrap_or(u32::MAX)));
            }
        }

        // Named-port profiles.
        let mut profile_ids: FxHashMap<Vec<NamedPort>, u32> = FxHashMap::default();
        let mut profiles: Vec<Vec<NamedPort>> = Vec::new();
        let mut profile_of = Vec::with_capacity(count);
        for workload in workloads {
            // A name declared twice resolves to its first declaration, as `pairs::named_port` does.
            let mut profile: Vec<NamedPort> = Vec::new();
            for port in &workload.ports {
                let Some(name) = port.name.as_deref() else { continue };
                let declared = profile.iter().any(|(seen, protocol, _)| seen == name && *protocol == port.protocol);
                if named_ports.contains(&(name, port.protocol)) && !declared {
                    profile.push((name.to_owned(), port.protocol, port.port));
                }
            }
            profile.sort();
            let next = u32::try_from(profiles.len()).unwrap_or(u32::MAX);
            let id = *profile_ids.entry(profile.clone()).or_insert(next);
            if id == next {
                profiles.push(profile);
            }
            profile_of.push(id);
        }

        // Classes: equal tokens, policies, profile and host networking.
        type Signature<'s> = (&'s [u32], &'s [u32], &'s [u32], u32, bool);
        let mut class_ids: FxHashMap<Signature, u32> = FxHashMap::default();
        let mut class_of = Vec::with_capacity(count);
        let mut representatives = Vec::new();
        for (bit, workload) in workloads.iter().enumerate() {
            let signature = (
                tokens.get(bit).map_or(&[][..], Vec::as_slice),
                ingress_of.get(bit).map_or(&[][..], Vec::as_slice),
                egress_of.get(bit).map_or(&[][..], Vec::as_slice),
                profile_of.get(bit).copied().unwrap_or(0),
                workload.host_network.is_some(),
            );
            let next = u32::try_from(representatives.len()).unwrap_or(u32::MAX);
            let id = *class_ids.entry(signature).or_insert(next);
            if id == next {
                representatives.push(bit);
            }
            class_of.push(id);
        }
        let class_count = representatives.len();

        // Rules against classes.
        let peer_classes: Vec<FixedBitSet> = peer_members
            .iter()
            .map(|members| {
                let mut classes = FixedBitSet::with_capacity(class_count);
                for bit in members.ones() {
                    if let Some(class) = class_of.get(bit) {
                        classes.insert(*class as usize);
                    }
                }
                classes
            })
            .collect();
        let host_classes: Vec<(usize, std::net::IpAddr)> = representatives
            .iter()
            .enumerate()
            .filter_map(|(class, bit)| Some((class, workloads.get(*bit)?.host_network.as_ref()?.host_ip?)))
            .collect();
        let mut rules = Vec::new();
        let mut rule_peers = rule_peers.into_iter();
        let mut rule_ids_of_policy = Vec::with_capacity(cluster.policies.len());
        for policy in &cluster.policies {
            let mut compile = |list: &'c Option<Vec<super::cluster::PolicyRule>>| {
                list.as_ref().map(|list| {
                    list.iter()
                        .map(|rule| {
                            let (ids, addresses) = rule_peers.next().unwrap_or_default();
                            let mut classes = FixedBitSet::with_capacity(class_count);
                            match &addresses {
                                None => classes.insert_range(..),
                                Some(addresses) => {
                                    for id in ids {
                                        if let Some(members) = peer_classes.get(id) {
                                            classes.union_with(members);
                                        }
                                    }
                                    for (class, host_ip) in &host_classes {
                                        if addresses.iter().any(|block| block.contains(*host_ip)) {
                                            classes.insert(*class);
                                        }
                                    }
                                }
                            }
                            let named = matches!(&rule.ports, PortSet::Only(ports)
                                if ports.iter().any(|port| matches!(port, Port::Named { .. })));
                            let id = u32::try_from(rules.len()).unwrap_or(u32::MAX);
                            rules.push(CompiledRule { classes, blocks: addresses, ports: &rule.ports, named });
                            id
                        })
                        .collect::<Vec<u32>>()
                })
            };
            let ingress = compile(&policy.ingress);
            let egress = compile(&policy.egress);
            rule_ids_of_policy.push((ingress, egress));
        }
        let gather = |policies: &[u32], egress: bool| -> Option<Vec<u32>> {
            if policies.is_empty() {
                return None;
            }
            let mut ids = Vec::new();
            for policy in policies {
                if let Some((ingress_ids, egress_ids)) = rule_ids_of_policy.get(*policy as usize) {
                    let list = if egress { egress_ids } else { ingress_ids };
                    ids.extend(list.iter().flatten());
                }
            }
            Some(ids)
        };
        let classes = representatives
            .iter()
            .map(|bit| Class {
                ingress_rules: gather(ingress_of.get(*bit).map_or(&[][..], Vec::as_slice), false),
                egress_rules: gather(egress_of.get(*bit).map_or(&[][..], Vec::as_slice), true),
                profile: profile_of.get(*bit).copied().unwrap_or(0),
            })
            .collect();
        Classes { class_of, classes, rules, profiles }
    }
}
