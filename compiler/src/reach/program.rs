//! The cluster an npg program describes: its lowered NetworkPolicies (each rule
//! knowing the npg lines behind it), the namespaces it names, and one representative
//! workload per group and namespace. Also the program's policies over real workloads.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use range_set_blaze::RangeSetBlaze;

use super::cluster::{Cluster, ContainerPort, Namespace, Policy, Workload};
use super::kubernetes::policy_from_kubernetes;
use crate::lower::{self, SOURCE_ANNOTATION};
use crate::model::{
    Assertion, AssertionKind, AssertionSource, BuiltinGroup, Endpoint, Group, GroupId, LabelSelector, Model,
    NAMESPACE_NAME_LABEL, Placement, Port, PortSet, Protocol, Requirement,
};

/// The kind representatives print with: `shop/frontend[Group]`.
pub const REPRESENTATIVE_KIND: &str = "Group";

/// The value a representative gets for a label its group only needs to exist.
const PRESENT_VALUE: &str = "present";

/// A program's cluster and where each group's representatives are in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgramCluster {
    pub cluster: Cluster,
    /// Per group id: the indices of its representatives in `cluster.workloads`,
    /// one per namespace it lives in (none for the built-in `cluster`).
    pub representatives: Vec<Vec<usize>>,
    /// The container port number each named port (`:http` that is no declared
    /// port) stands for in representatives.
    pub named_ports: BTreeMap<(Protocol, String), u16>,
}

impl ProgramCluster {
    pub fn representatives_of(&self, group: GroupId) -> &[usize] {
        self.representatives.get(group.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// The name a representative's port number stands for, if it is a named port.
    pub fn port_name(&self, protocol: Protocol, number: u16) -> Option<&str> {
        self.named_ports
            .iter()
            .find(|((named_protocol, _), port)| *named_protocol == protocol && **port == number)
            .map(|((_, name), _)| name.as_str())
    }
}

/// The cluster an npg program describes (see [`program_cluster`]).
pub fn cluster_for_program(model: &Model) -> Cluster {
    program_cluster(model, &[]).cluster
}

/// The program's cluster, built so that `assertions` can be checked on it: named
/// ports that assertions ask about are declared by the representatives too.
///
/// - Policies: the NetworkPolicies npg writes for the program, each rule with the
///   npg lines behind it and each policy with its declaration's `file:line`.
/// - Namespaces: the managed ones with their labels, and every other namespace the
///   program places a group in, with only `kubernetes.io/metadata.name`.
/// - Workloads: one representative per group and namespace it lives in, named
///   after the group, of kind `Group`, with labels that satisfy its selector and a
///   container port for every named port a rule or assertion aims at the group.
pub fn program_cluster(model: &Model, assertions: &[Assertion]) -> ProgramCluster {
    program_cluster_with_policies_in(model, assertions, None)
}

/// The program's cluster as far as `assertions` need it: with only the policies of
/// the namespaces their sources and targets live in (every namespace for `only`,
/// whose sources are every workload). A connection is decided by the policies of
/// its two ends' namespaces alone, so the assertions' answers do not change.
pub fn cluster_for_assertions(model: &Model, assertions: &[Assertion]) -> ProgramCluster {
    let namespaces = program_namespaces(model);
    let mut needed: BTreeSet<String> = BTreeSet::new();
    for assertion in assertions {
        if assertion.kind == AssertionKind::OnlyCanReach {
            return program_cluster(model, assertions);
        }
        let mut endpoints = vec![assertion.target];
        for source in &assertion.sources {
            match source {
                AssertionSource::Endpoint(endpoint) => endpoints.push(*endpoint),
                AssertionSource::Namespace(name) => {
                    needed.insert(name.clone());
                }
            }
        }
        for endpoint in endpoints {
            if let Endpoint::Group(id) = endpoint
                && let Some(group) = model.group(id)
            {
                if group.builtin == Some(BuiltinGroup::Cluster) {
                    return program_cluster(model, assertions);
                }
                needed.extend(group_namespaces(group, &namespaces).into_iter().map(|n| n.name.clone()));
            }
        }
    }
    program_cluster_with_policies_in(model, assertions, Some(&needed))
}

fn program_cluster_with_policies_in(
    model: &Model,
    assertions: &[Assertion],
    policy_namespaces: Option<&BTreeSet<String>>,
) -> ProgramCluster {
    let namespaces = program_namespaces(model);
    let named_ports = named_port_numbers(model, assertions);
    let ports_by_group = named_ports_by_group(model, assertions, &named_ports);
    let every_group_port = model
        .groups
        .iter()
        .position(|group| group.builtin == Some(BuiltinGroup::Cluster))
        .and_then(|index| ports_by_group.get(&GroupId(u32::try_from(index).unwrap_or(u32::MAX))));

    let mut workloads: Vec<(Workload, usize)> = Vec::new();
    for (index, group) in model.groups.iter().enumerate() {
        if group.builtin == Some(BuiltinGroup::Cluster) {
            continue;
        }
        let id = GroupId(u32::try_from(index).unwrap_or(u32::MAX));
        let labels = representative_labels(&group.selector);
        let mut ports: BTreeSet<ContainerPort> = BTreeSet::new();
        ports.extend(ports_by_group.get(&id).into_iter().flatten().cloned());
        ports.extend(every_group_port.into_iter().flatten().cloned());
        for namespace in group_namespaces(group, &namespaces) {
            let workload = Workload {
                namespace: namespace.name.clone(),
                name: group.name.clone(),
                kind: REPRESENTATIVE_KIND.to_owned(),
                labels: labels.clone(),
                ports: ports.iter().cloned().collect(),
                host_network: None,
                source: group_source(group),
            };
            workloads.push((workload, index));
        }
    }
    workloads.sort_by(|(a, _), (b, _)| (&a.namespace, &a.name, &a.kind).cmp(&(&b.namespace, &b.name, &b.kind)));
    let mut representatives = vec![Vec::new(); model.groups.len()];
    for (position, (_, group)) in workloads.iter().enumerate() {
        if let Some(list) = representatives.get_mut(*group) {
            list.push(position);
        }
    }
    let cluster = Cluster {
        namespaces,
        workloads: workloads.into_iter().map(|(workload, _)| workload).collect(),
        policies: policies_in(model, policy_namespaces),
    };
    ProgramCluster { cluster, representatives, named_ports }
}

/// The program's policies applied to a real cluster's workloads: its namespaces
/// (with the program's namespaces added where it lacks them) and workloads, its
/// policies that npg does not manage, and the program's policies in place of the
/// ones npg manages. What the cluster would allow once the program goes live.
pub fn cluster_with_workloads(model: &Model, real: &Cluster) -> Cluster {
    let mut namespaces: BTreeMap<String, Namespace> =
        real.namespaces.iter().map(|namespace| (namespace.name.clone(), namespace.clone())).collect();
    for namespace in program_namespaces(model) {
        namespaces.entry(namespace.name.clone()).or_insert(namespace);
    }
    let mut policies: Vec<Policy> = real.policies.iter().filter(|policy| !policy.managed_by_npg).cloned().collect();
    policies.extend(program_policies(model));
    policies.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Cluster { namespaces: namespaces.into_values().collect(), workloads: real.workloads.clone(), policies }
}

/// The NetworkPolicies npg writes for `model`, in checked form, sorted by
/// namespace and name, each rule with its npg origins.
pub fn program_policies(model: &Model) -> Vec<Policy> {
    policies_in(model, None)
}

/// [`program_policies`], only those of `namespaces` when given.
fn policies_in(model: &Model, namespaces: Option<&BTreeSet<String>>) -> Vec<Policy> {
    let wanted = |namespace: &str| namespaces.is_none_or(|wanted| wanted.contains(namespace));
    let mut policies: Vec<Policy> = lower::map_network_policies_with_origins(model, wanted, |policy, origins| {
        let source = policy
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(SOURCE_ANNOTATION))
            .map_or_else(|| Arc::from(""), |source| Arc::from(source.as_str()));
        // npg's own output always converts; a policy that did not would say
        // nothing true about the program, so it is left out.
        let mut converted = policy_from_kubernetes(&policy, source).ok()?;
        for (rules, lines) in [(&mut converted.ingress, origins.ingress), (&mut converted.egress, origins.egress)] {
            for (rule, lines) in rules.iter_mut().flatten().zip(lines) {
                rule.origins = lines;
            }
        }
        Some(converted)
    })
    .into_iter()
    .flatten()
    .collect();
    policies.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    policies
}

/// The managed namespaces with their labels, and every namespace a group is
/// placed in by name, with only its name label; sorted by name.
pub fn program_namespaces(model: &Model) -> Vec<Namespace> {
    let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();
    for managed in &model.namespaces {
        namespaces
            .entry(managed.name.clone())
            .or_insert_with(|| Namespace { name: managed.name.clone(), labels: managed.all_labels() });
    }
    for group in &model.groups {
        if let Placement::Namespace(name) = &group.placement {
            namespaces.entry(name.clone()).or_insert_with(|| Namespace {
                name: name.clone(),
                labels: BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), name.clone())]),
            });
        }
    }
    namespaces.into_values().collect()
}

/// The known namespaces a group lives in.
/// `namespaces` must be sorted by name, as [`program_namespaces`] and
/// [`Cluster::namespaces`] are.
pub fn group_namespaces<'n>(group: &Group, namespaces: &'n [Namespace]) -> Vec<&'n Namespace> {
    match &group.placement {
        Placement::Namespace(name) => namespaces
            .binary_search_by(|namespace| namespace.name.as_str().cmp(name))
            .ok()
            .and_then(|index| namespaces.get(index))
            .into_iter()
            .collect(),
        Placement::Namespaces(selector) => {
            namespaces.iter().filter(|namespace| selector.matches(&namespace.labels)).collect()
        }
        Placement::Any => namespaces.iter().collect(),
    }
}

fn group_source(group: &Group) -> Arc<str> {
    match &group.source {
        Some(source) => Arc::from(source.to_string()),
        None => Arc::from(format!("built-in group {}", group.name)),
    }
}

/// Labels that satisfy `selector`: `k=v` gives `v`; `k in (...)` the smallest
/// value; `k` (exists) the value `present`; `!=`, `notin` and `!k` leave the key out.
pub fn representative_labels(selector: &LabelSelector) -> BTreeMap<String, String> {
    labels_matching(&[selector]).unwrap_or_default()
}

/// The smallest set of labels that satisfies every selector, if one does: for each
/// key, the smallest value every requirement on it admits, and no label for a key
/// that may be absent.
pub fn labels_matching(selectors: &[&LabelSelector]) -> Option<BTreeMap<String, String>> {
    let mut by_key: BTreeMap<&str, Vec<&Requirement>> = BTreeMap::new();
    for requirement in selectors.iter().flat_map(|selector| &selector.requirements) {
        by_key.entry(requirement.key()).or_default().push(requirement);
    }
    let mut labels = BTreeMap::new();
    for (key, requirements) in by_key {
        if let Some(value) = value_for(&requirements)? {
            labels.insert(key.to_owned(), value);
        }
    }
    Some(labels)
}

/// `Some(None)`: the key may be absent; `Some(Some(v))`: it must be `v`
/// (the smallest admissible value); `None`: no value satisfies all requirements.
fn value_for(requirements: &[&Requirement]) -> Option<Option<String>> {
    let mut allowed: Option<BTreeSet<&String>> = None;
    let mut excluded: BTreeSet<&String> = BTreeSet::new();
    let mut must_exist = false;
    let mut must_be_absent = false;
    for requirement in requirements {
        match requirement {
            Requirement::Equals { value, .. } => {
                let only = BTreeSet::from([value]);
                allowed = Some(allowed.map_or(only.clone(), |set| &set & &only));
            }
            Requirement::In { values, .. } => {
                let these: BTreeSet<&String> = values.iter().collect();
                allowed = Some(allowed.map_or(these.clone(), |set| &set & &these));
            }
            Requirement::NotEquals { value, .. } => {
                excluded.insert(value);
            }
            Requirement::NotIn { values, .. } => excluded.extend(values),
            Requirement::Exists { .. } => must_exist = true,
            Requirement::DoesNotExist { .. } => must_be_absent = true,
        }
    }
    match allowed {
        Some(allowed) => {
            let value = allowed.into_iter().find(|value| !excluded.contains(value))?;
            (!must_be_absent).then(|| Some(value.clone()))
        }
        None if must_exist => {
            if must_be_absent {
                return None;
            }
            let value = (0u32..)
                .map(|n| if n == 0 { PRESENT_VALUE.to_owned() } else { format!("{PRESENT_VALUE}-{n}") })
                .find(|candidate| !excluded.iter().any(|value| *value == candidate))?;
            Some(Some(value))
        }
        None => Some(None),
    }
}

/// A container port number for every named port a rule or assertion aims at a
/// group: counting down from 65535, the highest numbers that no rule or assertion
/// names by number for that protocol, so that no numbered rule allows a named
/// port by accident. Messages print the name, never the number.
fn named_port_numbers(model: &Model, assertions: &[Assertion]) -> BTreeMap<(Protocol, String), u16> {
    let port_sets = model
        .rules
        .iter()
        .map(|rule| (&rule.target, &rule.ports))
        .chain(assertions.iter().map(|assertion| (&assertion.target, &assertion.ports)));
    let mut numbered: BTreeMap<Protocol, RangeSetBlaze<u16>> = BTreeMap::new();
    let mut names: BTreeSet<(Protocol, String)> = BTreeSet::new();
    for (target, ports) in port_sets {
        let PortSet::Only(ports) = ports else { continue };
        for port in ports {
            match port {
                Port::Range { protocol, start, end } => {
                    numbered.entry(*protocol).or_default().ranges_insert(*start..=*end);
                }
                Port::Named { protocol, name } if matches!(target, Endpoint::Group(_)) => {
                    names.insert((*protocol, name.clone()));
                }
                Port::Named { .. } => {}
            }
        }
    }
    let mut numbers = BTreeMap::new();
    let mut next: BTreeMap<Protocol, u16> = BTreeMap::new();
    for (protocol, name) in names {
        let taken = numbered.entry(protocol).or_default();
        let candidate = next.entry(protocol).or_insert(65535);
        while *candidate > 1 && taken.contains(*candidate) {
            *candidate -= 1;
        }
        numbers.insert((protocol, name), *candidate);
        taken.insert(*candidate);
    }
    numbers
}

/// The container ports of each group's representatives: one per named port a
/// rule or assertion aims at the group.
fn named_ports_by_group(
    model: &Model,
    assertions: &[Assertion],
    numbers: &BTreeMap<(Protocol, String), u16>,
) -> BTreeMap<GroupId, BTreeSet<ContainerPort>> {
    let port_sets = model
        .rules
        .iter()
        .map(|rule| (rule.target, &rule.ports))
        .chain(assertions.iter().map(|assertion| (assertion.target, &assertion.ports)));
    let mut by_group: BTreeMap<GroupId, BTreeSet<ContainerPort>> = BTreeMap::new();
    for (target, ports) in port_sets {
        let (Endpoint::Group(group), PortSet::Only(ports)) = (target, ports) else { continue };
        for port in ports {
            if let Port::Named { protocol, name } = port
                && let Some(number) = numbers.get(&(*protocol, name.clone()))
            {
                by_group.entry(group).or_default().insert(ContainerPort {
                    name: Some(name.clone()),
                    port: *number,
                    protocol: *protocol,
                });
            }
        }
    }
    by_group
}
