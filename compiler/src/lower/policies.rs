//! NetworkPolicies: `npg-default-deny` and `npg-allow-internal` per managed
//! namespace, and `npg-<group>` per group and namespace it lives in, holding the
//! egress half of its rules and the ingress half of rules that reach it, merged per peer.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt::Write as _;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as KubeSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::peers::{NamespaceIndex, Peer, Peers};
use super::{GROUP_LABEL, NAMESPACE_LABEL, object_meta};
use crate::model::{
    BuiltinGroup, Endpoint, Group, GroupId, ManagedNamespace, Model, Port, PortSet, Rule, SourceLine, TeamId,
};
use crate::parallel::{self, Cores};

/// The name of the policy that isolates a managed namespace.
pub const DEFAULT_DENY: &str = "npg-default-deny";
/// The name of the policy that opens a namespace to itself (`allow internal`).
pub const ALLOW_INTERNAL: &str = "npg-allow-internal";

/// The name of the policy enforcing `group` in each namespace it lives in.
pub fn group_policy_name(group: &Group) -> String {
    format!("npg-{}", group.name)
}

/// A NetworkPolicy and the team that may edit it.
pub(super) struct OwnedPolicy {
    pub(super) owner: PolicyOwner,
    pub(super) policy: NetworkPolicy,
    /// The rules behind each entry; empty unless asked for.
    pub(super) origins: RuleOrigins,
}

/// The npg rules behind each `ingress` and `egress` entry of one NetworkPolicy,
/// index for index, each list sorted and free of repeats. The entries of
/// `npg-allow-internal` name the namespace declaration; `npg-default-deny` has none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleOrigins {
    pub ingress: Vec<Vec<SourceLine>>,
    pub egress: Vec<Vec<SourceLine>>,
}

/// Where a policy is, its name and the team that may edit it: all that RBAC
/// needs to know of it.
pub(super) struct PolicyOwner {
    pub(super) namespace: String,
    pub(super) name: String,
    pub(super) team: Option<TeamId>,
}

impl OwnedPolicy {
    fn finish<T>(self, finish: &impl Fn(NetworkPolicy, RuleOrigins) -> T) -> (T, PolicyOwner) {
        (finish(self.policy, self.origins), self.owner)
    }
}

/// Whether lowering records which rules are behind each policy entry (the
/// connectivity engine asks; writing manifests does not).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Origins {
    Skip,
    Record,
}

/// Every NetworkPolicy of the model, built on `cores`, each handed to `finish` on
/// the core that built it: first each namespace's own, then the groups'. Returns
/// what `finish` made of each, in that order, and who owns each policy.
pub(super) fn network_policies<T: Send>(
    model: &Model,
    cores: Cores,
    finish: &(impl Fn(NetworkPolicy) -> T + Sync),
) -> (Vec<T>, Vec<PolicyOwner>) {
    policies_with(model, cores, Origins::Skip, &|_| true, &|policy, _| finish(policy))
}

/// Every NetworkPolicy of the model, in the order of [`network_policies`], each
/// with the rules behind its entries.
/// Only the policies of namespaces `wanted` accepts are built.
pub(super) fn map_policies_with_origins<T: Send>(
    model: &Model,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    finish: &(impl Fn(NetworkPolicy, RuleOrigins) -> T + Sync),
) -> Vec<T> {
    policies_with(model, Cores::All, Origins::Record, wanted, finish).0
}

fn policies_with<T: Send>(
    model: &Model,
    cores: Cores,
    record: Origins,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    finish: &(impl Fn(NetworkPolicy, RuleOrigins) -> T + Sync),
) -> (Vec<T>, Vec<PolicyOwner>) {
    let namespace_policies = parallel::map_on(cores, &model.namespaces, |namespace| {
        if !wanted(&namespace.name) {
            return Vec::new();
        }
        let policies = default_deny(namespace).into_iter().chain(allow_internal(namespace, record));
        policies.map(|policy| policy.finish(finish)).collect::<Vec<_>>()
    });
    let peers = Peers::new(model);
    let options =
        PlanOptions { record, wanted: model.namespaces.iter().map(|namespace| wanted(&namespace.name)).collect() };
    let plans: Vec<_> = plan_group_policies(model, &peers, &options).into_iter().collect();
    let group_policies = parallel::map_on(cores, &plans, |((namespace, group_id), plan)| {
        let (Some(namespace), Some(group)) = (peers.namespace(*namespace), model.group(*group_id)) else {
            return None;
        };
        Some(group_policy(&peers, namespace, (*group_id, group), plan)?.finish(finish))
    });
    namespace_policies.into_iter().flatten().chain(group_policies.into_iter().flatten()).unzip()
}

/// `policyTypes` for these directions, Ingress first.
fn policy_types(ingress: bool, egress: bool) -> Vec<String> {
    [(ingress, "Ingress"), (egress, "Egress")]
        .into_iter()
        .filter(|(wanted, _)| *wanted)
        .map(|(_, direction)| direction.to_owned())
        .collect()
}

/// Selects every pod of the namespace and allows nothing in the isolated directions.
fn default_deny(namespace: &ManagedNamespace) -> Option<OwnedPolicy> {
    let types = policy_types(namespace.isolate_ingress, namespace.isolate_egress);
    if types.is_empty() {
        return None;
    }
    let spec = NetworkPolicySpec {
        pod_selector: Some(KubeSelector::default()),
        policy_types: Some(types),
        ..NetworkPolicySpec::default()
    };
    Some(namespace_policy(namespace, DEFAULT_DENY, spec, RuleOrigins::default()))
}

/// Every pod of the namespace may reach every other, in the isolated directions.
/// A direction that is not isolated is open already; naming it in `policyTypes`
/// would isolate it instead.
fn allow_internal(namespace: &ManagedNamespace, record: Origins) -> Option<OwnedPolicy> {
    if !namespace.allow_internal {
        return None;
    }
    let types = policy_types(namespace.isolate_ingress, namespace.isolate_egress);
    if types.is_empty() {
        return None;
    }
    let every_pod_here = || {
        Some(vec![NetworkPolicyPeer { pod_selector: Some(KubeSelector::default()), ..NetworkPolicyPeer::default() }])
    };
    let spec = NetworkPolicySpec {
        pod_selector: Some(KubeSelector::default()),
        policy_types: Some(types),
        ingress: namespace
            .isolate_ingress
            .then(|| vec![NetworkPolicyIngressRule { from: every_pod_here(), ports: None }]),
        egress: namespace.isolate_egress.then(|| vec![NetworkPolicyEgressRule { to: every_pod_here(), ports: None }]),
    };
    let mut origins = RuleOrigins::default();
    if record == Origins::Record {
        let declaration = || vec![namespace.source.clone()];
        origins.ingress.extend(namespace.isolate_ingress.then(declaration));
        origins.egress.extend(namespace.isolate_egress.then(declaration));
    }
    Some(namespace_policy(namespace, ALLOW_INTERNAL, spec, origins))
}

fn namespace_policy(
    namespace: &ManagedNamespace,
    name: &str,
    spec: NetworkPolicySpec,
    origins: RuleOrigins,
) -> OwnedPolicy {
    OwnedPolicy {
        origins,
        owner: PolicyOwner { namespace: namespace.name.clone(), name: name.to_owned(), team: namespace.owner },
        policy: NetworkPolicy {
            metadata: object_meta(name, &namespace.name, (NAMESPACE_LABEL, &namespace.name), &namespace.source, None),
            spec: Some(spec),
        },
    }
}

/// What one group's policy in one namespace allows, merged per peer.
#[derive(Default)]
struct GroupPlan<'m> {
    ingress: BTreeMap<Peer, Cow<'m, PortSet>>,
    egress: BTreeMap<Peer, Cow<'m, PortSet>>,
    /// The rules behind the policy, once or more each.
    origins: Vec<&'m SourceLine>,
    /// The rules behind each entry, when recorded.
    ingress_origins: BTreeMap<Peer, Vec<&'m SourceLine>>,
    egress_origins: BTreeMap<Peer, Vec<&'m SourceLine>>,
}

#[derive(Clone, Copy)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn is_isolated_in(self, namespace: &ManagedNamespace) -> bool {
        match self {
            Direction::Ingress => namespace.isolate_ingress,
            Direction::Egress => namespace.isolate_egress,
        }
    }
}

/// What planning records, and for which namespaces.
struct PlanOptions {
    record: Origins,
    /// Per managed namespace, in model order: whether its policies are wanted.
    wanted: Vec<bool>,
}

impl PlanOptions {
    fn wants(&self, namespace: NamespaceIndex) -> bool {
        self.wanted.get(namespace.index()).copied().unwrap_or(false)
    }
}

/// Both halves of every rule, keyed by (namespace, group). The egress half
/// belongs to the source group, the ingress half to the target group; networks and
/// the built-in `cluster` have no policy of their own.
fn plan_group_policies<'m>(
    model: &'m Model,
    peers: &Peers<'m>,
    options: &PlanOptions,
) -> BTreeMap<(NamespaceIndex, GroupId), GroupPlan<'m>> {
    let mut plans = BTreeMap::new();
    for rule in &model.rules {
        if rule.ports.is_empty() {
            continue;
        }
        if let Endpoint::Group(source) = rule.source {
            add_half(model, peers, &mut plans, (rule, options), source, rule.target, Direction::Egress);
        }
        if let Endpoint::Group(target) = rule.target {
            add_half(model, peers, &mut plans, (rule, options), target, rule.source, Direction::Ingress);
        }
    }
    plans
}

/// Adds one half of `rule` to the policies of `owner` in each managed namespace it
/// lives in. A direction the namespace does not isolate is open already, so its
/// half would only close it.
fn add_half<'m>(
    model: &'m Model,
    peers: &Peers<'m>,
    plans: &mut BTreeMap<(NamespaceIndex, GroupId), GroupPlan<'m>>,
    (rule, options): (&'m Rule, &PlanOptions),
    owner: GroupId,
    other_end: Endpoint,
    direction: Direction,
) {
    let Some(group) = model.group(owner) else {
        return;
    };
    if group.builtin == Some(BuiltinGroup::Cluster) {
        return;
    }
    for &home in peers.homes(owner) {
        if !peers.namespace(home).is_some_and(|namespace| direction.is_isolated_in(namespace)) || !options.wants(home) {
            continue;
        }
        let mut other_peers = peers.endpoint_peers(other_end, home).peekable();
        if other_peers.peek().is_none() {
            continue;
        }
        let plan: &mut GroupPlan = plans.entry((home, owner)).or_default();
        let (entries, entry_origins) = match direction {
            Direction::Ingress => (&mut plan.ingress, &mut plan.ingress_origins),
            Direction::Egress => (&mut plan.egress, &mut plan.egress_origins),
        };
        for peer in other_peers {
            if options.record == Origins::Record {
                entry_origins.entry(peer).or_default().push(&rule.origin);
            }
            match entries.entry(peer) {
                Entry::Vacant(entry) if rule.ports.is_normalized() => {
                    entry.insert(Cow::Borrowed(&rule.ports));
                }
                Entry::Vacant(entry) => {
                    entry.insert(Cow::Owned(rule.ports.normalized()));
                }
                // Equal sets are normalized already, and a union with itself changes nothing.
                Entry::Occupied(entry) if **entry.get() == rule.ports => {}
                Entry::Occupied(mut entry) => {
                    let merged = entry.get().union(&rule.ports);
                    entry.insert(Cow::Owned(merged));
                }
            }
        }
        plan.origins.push(&rule.origin);
    }
}

fn group_policy(
    peers: &Peers,
    namespace: &ManagedNamespace,
    (group_id, group): (GroupId, &Group),
    plan: &GroupPlan,
) -> Option<OwnedPolicy> {
    let ingress: Vec<NetworkPolicyIngressRule> = plan
        .ingress
        .iter()
        .map(|(peer, ports)| NetworkPolicyIngressRule {
            from: Some(vec![peers.to_kubernetes(*peer)]),
            ports: port_entries(ports),
        })
        .collect();
    let egress: Vec<NetworkPolicyEgressRule> = plan
        .egress
        .iter()
        .map(|(peer, ports)| NetworkPolicyEgressRule {
            to: Some(vec![peers.to_kubernetes(*peer)]),
            ports: port_entries(ports),
        })
        .collect();
    if ingress.is_empty() && egress.is_empty() {
        return None;
    }

    let name = group_policy_name(group);
    let mut origins = plan.origins.clone();
    origins.sort_unstable();
    origins.dedup();
    let mut rules = String::new();
    for (index, origin) in origins.into_iter().enumerate() {
        let separator = if index == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(rules, "{separator}{origin}");
    }
    let source = group.source.as_ref().unwrap_or(&namespace.source);
    let spec = NetworkPolicySpec {
        pod_selector: Some(peers.pod_selector(group_id)),
        policy_types: Some(policy_types(!ingress.is_empty(), !egress.is_empty())),
        ingress: (!ingress.is_empty()).then_some(ingress),
        egress: (!egress.is_empty()).then_some(egress),
    };
    let entry_origins = |recorded: &BTreeMap<Peer, Vec<&SourceLine>>| -> Vec<Vec<SourceLine>> {
        recorded
            .values()
            .map(|lines| {
                let mut lines: Vec<SourceLine> = lines.iter().map(|line| (*line).clone()).collect();
                lines.sort_unstable();
                lines.dedup();
                lines
            })
            .collect()
    };
    let origins =
        RuleOrigins { ingress: entry_origins(&plan.ingress_origins), egress: entry_origins(&plan.egress_origins) };
    Some(OwnedPolicy {
        origins,
        policy: NetworkPolicy {
            metadata: object_meta(&name, &namespace.name, (GROUP_LABEL, &group.name), source, Some(rules)),
            spec: Some(spec),
        },
        owner: PolicyOwner { namespace: namespace.name.clone(), name, team: group.owner.or(namespace.owner) },
    })
}

/// `None` (no `ports`: every port) for `All`, else one entry per port or range.
fn port_entries(ports: &PortSet) -> Option<Vec<NetworkPolicyPort>> {
    match ports {
        PortSet::All => None,
        PortSet::Only(ports) => Some(ports.iter().map(port_entry).collect()),
    }
}

fn port_entry(port: &Port) -> NetworkPolicyPort {
    match port {
        Port::Range { protocol, start, end } => NetworkPolicyPort {
            protocol: Some(protocol.as_kubernetes().to_owned()),
            port: Some(IntOrString::Int(i32::from(*start))),
            end_port: (end > start).then(|| i32::from(*end)),
        },
        Port::Named { protocol, name } => NetworkPolicyPort {
            protocol: Some(protocol.as_kubernetes().to_owned()),
            port: Some(IntOrString::String(name.clone())),
            end_port: None,
        },
    }
}
