//! NetworkPolicies as Kubernetes stores them (k8s-openapi types) turned into the
//! engine's checked [`Policy`]: the API server's defaults applied (`policyTypes`,
//! protocol TCP, absent vs empty lists) and its validation rules enforced.

use std::sync::Arc;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as KubeSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::cluster::{NamespaceScope, Peer, Policy, PolicyRule};
use crate::check::kubernetes::{check_except, check_label_key, check_label_value, check_port_name, parse_cidr};
use crate::diagnostic::Code;
use crate::model::{AddressBlock, LabelSelector, Port, PortSet, Protocol, Requirement};

/// Something Kubernetes would reject (or the engine cannot give a meaning to) in
/// one field of a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyProblem {
    pub code: Code,
    /// Where, as a field path: `spec.ingress[0].from[1].ipBlock.cidr`.
    pub path: String,
    pub message: String,
}

/// The namespace objects without one belong to.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The checked form of `policy`, or every problem found in it. Rules carry no npg
/// origins; `source` names where the policy was read from.
pub fn policy_from_kubernetes(policy: &NetworkPolicy, source: Arc<str>) -> Result<Policy, Vec<PolicyProblem>> {
    let mut problems = Vec::new();
    let namespace = policy.metadata.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    let name = policy.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        problems.push(problem(Code::InvalidManifest, "metadata.name", "a NetworkPolicy needs a name"));
    }
    let spec = policy.spec.clone().unwrap_or_default();
    let pod_selector = selector(spec.pod_selector.as_ref(), "spec.podSelector", &mut problems)
        .unwrap_or_else(LabelSelector::everything);

    let has_egress_rules = spec.egress.as_ref().is_some_and(|rules| !rules.is_empty());
    let (isolates_ingress, isolates_egress) = match &spec.policy_types {
        None => (true, has_egress_rules),
        Some(types) => {
            for (index, kind) in types.iter().enumerate() {
                if kind != "Ingress" && kind != "Egress" {
                    problems.push(problem(
                        Code::InvalidManifest,
                        &format!("spec.policyTypes[{index}]"),
                        &format!("policy type {kind:?} is invalid: it must be Ingress or Egress"),
                    ));
                }
            }
            (types.iter().any(|kind| kind == "Ingress"), types.iter().any(|kind| kind == "Egress"))
        }
    };

    let ingress = isolates_ingress.then(|| {
        let rules = spec.ingress.iter().flatten().enumerate();
        rules
            .filter_map(|(index, rule)| {
                let path = format!("spec.ingress[{index}]");
                rule_from_kubernetes(rule.from.as_deref(), rule.ports.as_deref(), &path, "from", false, &mut problems)
            })
            .collect()
    });
    let egress = isolates_egress.then(|| {
        let rules = spec.egress.iter().flatten().enumerate();
        rules
            .filter_map(|(index, rule)| {
                let path = format!("spec.egress[{index}]");
                rule_from_kubernetes(rule.to.as_deref(), rule.ports.as_deref(), &path, "to", true, &mut problems)
            })
            .collect()
    });
    if problems.is_empty() {
        let managed_by_npg = policy.metadata.labels.as_ref().is_some_and(|labels| {
            labels.get(crate::lower::MANAGED_BY_LABEL).map(String::as_str) == Some(crate::lower::MANAGED_BY)
        });
        Ok(Policy { namespace, name, pod_selector, ingress, egress, source, managed_by_npg })
    } else {
        Err(problems)
    }
}

/// The checked form of a Kubernetes label selector (`matchLabels` and
/// `matchExpressions`, all of which must hold; absent or empty selects everything).
pub fn selector_from_kubernetes(selector: &KubeSelector) -> Result<LabelSelector, Vec<PolicyProblem>> {
    let mut problems = Vec::new();
    match self::selector(Some(selector), "", &mut problems) {
        Some(selector) if problems.is_empty() => Ok(selector),
        _ => Err(problems),
    }
}

fn problem(code: Code, path: &str, message: &str) -> PolicyProblem {
    PolicyProblem { code, path: path.to_owned(), message: message.to_owned() }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

fn selector(selector: Option<&KubeSelector>, path: &str, problems: &mut Vec<PolicyProblem>) -> Option<LabelSelector> {
    let Some(selector) = selector else {
        return Some(LabelSelector::everything());
    };
    let before = problems.len();
    let mut requirements = Vec::new();
    for (key, value) in selector.match_labels.iter().flatten() {
        let at = join(path, &format!("matchLabels[{key:?}]"));
        label_key(key, &at, problems);
        if let Err(invalid) = check_label_value(value) {
            problems.push(problem(invalid.code, &at, &invalid.message));
        }
        requirements.push(Requirement::Equals { key: key.clone(), value: value.clone() });
    }
    for (index, expression) in selector.match_expressions.iter().flatten().enumerate() {
        let at = join(path, &format!("matchExpressions[{index}]"));
        label_key(&expression.key, &at, problems);
        let values = expression.values.clone().unwrap_or_default();
        for value in &values {
            if let Err(invalid) = check_label_value(value) {
                problems.push(problem(invalid.code, &at, &invalid.message));
            }
        }
        let key = expression.key.clone();
        let requirement = match expression.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => {
                let message = format!("operator {} needs at least one value", expression.operator);
                problems.push(problem(Code::InvalidManifest, &at, &message));
                continue;
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                let message = format!("operator {} takes no values", expression.operator);
                problems.push(problem(Code::InvalidManifest, &at, &message));
                continue;
            }
            "In" => Requirement::In { key, values: values.into_iter().collect() },
            "NotIn" => Requirement::NotIn { key, values: values.into_iter().collect() },
            "Exists" => Requirement::Exists { key },
            "DoesNotExist" => Requirement::DoesNotExist { key },
            other => {
                let message = format!("operator {other:?} is invalid: it must be In, NotIn, Exists or DoesNotExist");
                problems.push(problem(Code::InvalidManifest, &at, &message));
                continue;
            }
        };
        requirements.push(requirement);
    }
    requirements.sort();
    requirements.dedup();
    (problems.len() == before).then_some(LabelSelector { requirements })
}

fn label_key(key: &str, path: &str, problems: &mut Vec<PolicyProblem>) {
    if let Err(invalid) = check_label_key(key) {
        problems.push(problem(invalid.code, path, &invalid.message));
    }
}

/// One ingress (`from`) or egress (`to`) entry. `None` when it has problems.
fn rule_from_kubernetes(
    peers: Option<&[NetworkPolicyPeer]>,
    ports: Option<&[NetworkPolicyPort]>,
    path: &str,
    peers_field: &str,
    egress: bool,
    problems: &mut Vec<PolicyProblem>,
) -> Option<PolicyRule> {
    let before = problems.len();
    let peers: Option<Vec<Peer>> = match peers {
        None | Some([]) => None,
        Some(peers) => Some(
            peers
                .iter()
                .enumerate()
                .filter_map(|(index, peer)| {
                    peer_from_kubernetes(peer, &format!("{path}.{peers_field}[{index}]"), problems)
                })
                .collect(),
        ),
    };
    let ports = port_set(ports, &join(path, "ports"), problems);
    let named =
        matches!(&ports, Some(PortSet::Only(ports)) if ports.iter().any(|port| matches!(port, Port::Named { .. })));
    let to_addresses = peers.iter().flatten().any(|peer| matches!(peer, Peer::Addresses(_)));
    if egress && named && to_addresses {
        problems.push(problem(
            Code::InvalidManifest,
            &join(path, "ports"),
            "a named port cannot apply to an ipBlock destination: addresses outside the cluster have no \
             container ports to name it",
        ));
    }
    (problems.len() == before).then_some(PolicyRule { peers, ports: ports?, origins: Vec::new() })
}

fn peer_from_kubernetes(peer: &NetworkPolicyPeer, path: &str, problems: &mut Vec<PolicyProblem>) -> Option<Peer> {
    match (&peer.ip_block, &peer.pod_selector, &peer.namespace_selector) {
        (Some(block), None, None) => address_block(block, &join(path, "ipBlock"), problems).map(Peer::Addresses),
        (Some(_), _, _) => {
            let message = "a peer with an ipBlock cannot also have a podSelector or namespaceSelector";
            problems.push(problem(Code::InvalidManifest, path, message));
            None
        }
        (None, None, None) => {
            let message = "an empty peer selects nothing Kubernetes accepts: give a podSelector, a \
                           namespaceSelector or an ipBlock (or leave the list out to allow every peer)";
            problems.push(problem(Code::InvalidManifest, path, message));
            None
        }
        (None, pods, namespaces) => {
            let pods = selector(pods.as_ref(), &join(path, "podSelector"), problems);
            let namespaces = match namespaces {
                None => Some(NamespaceScope::Own),
                Some(namespaces) => {
                    selector(Some(namespaces), &join(path, "namespaceSelector"), problems).map(NamespaceScope::Matching)
                }
            };
            Some(Peer::Pods { namespaces: namespaces?, pods: pods? })
        }
    }
}

fn address_block(block: &IPBlock, path: &str, problems: &mut Vec<PolicyProblem>) -> Option<AddressBlock> {
    let cidr = cidr(&block.cidr, &join(path, "cidr"), problems)?;
    let mut except = Vec::new();
    for (index, text) in block.except.iter().flatten().enumerate() {
        let at = join(path, &format!("except[{index}]"));
        let Some(hole) = self::cidr(text, &at, problems) else { continue };
        match check_except(&cidr, &hole) {
            Ok(()) => except.push(hole),
            Err(invalid) => problems.push(problem(invalid.code, &at, &invalid.message)),
        }
    }
    except.sort();
    except.dedup();
    Some(AddressBlock { cidr, except })
}

/// A CIDR as the API server stores it. Host bits beyond the prefix are accepted and
/// dropped (Kubernetes accepted them before strict validation, so clusters have them).
fn cidr(text: &str, path: &str, problems: &mut Vec<PolicyProblem>) -> Option<IpNet> {
    match parse_cidr(text) {
        Ok(net) => Some(net),
        Err(invalid) => match text.parse::<IpNet>() {
            Ok(net) => Some(net.trunc()),
            Err(_) => {
                problems.push(problem(invalid.code, path, &invalid.message));
                None
            }
        },
    }
}

/// `ports`: absent or empty allows every port of every protocol.
fn port_set(ports: Option<&[NetworkPolicyPort]>, path: &str, problems: &mut Vec<PolicyProblem>) -> Option<PortSet> {
    let ports = match ports {
        None | Some([]) => return Some(PortSet::All),
        Some(ports) => ports,
    };
    let before = problems.len();
    let mut entries = Vec::new();
    for (index, entry) in ports.iter().enumerate() {
        let at = format!("{path}[{index}]");
        if let Some(port) = port_entry(entry, &at, problems) {
            entries.push(port);
        }
    }
    if problems.len() != before {
        return None;
    }
    PortSet::only(entries)
}

fn port_entry(entry: &NetworkPolicyPort, path: &str, problems: &mut Vec<PolicyProblem>) -> Option<Port> {
    let protocol = match entry.protocol.as_deref() {
        None | Some("TCP") => Protocol::Tcp,
        Some("UDP") => Protocol::Udp,
        Some("SCTP") => Protocol::Sctp,
        Some(other) => {
            let message = format!("protocol {other:?} is invalid: it must be TCP, UDP or SCTP");
            problems.push(problem(Code::InvalidProtocol, &join(path, "protocol"), &message));
            return None;
        }
    };
    let invalid = |problems: &mut Vec<PolicyProblem>, field: &str, code: Code, message: String| {
        problems.push(problem(code, &join(path, field), &message));
        None
    };
    match (&entry.port, entry.end_port) {
        (None, None) => Some(Port::range(protocol, 1, 65535)),
        (None, Some(_)) => invalid(problems, "endPort", Code::InvalidPortRange, "endPort needs a port".to_owned()),
        (Some(IntOrString::String(name)), end_port) => {
            if end_port.is_some() {
                return invalid(
                    problems,
                    "endPort",
                    Code::InvalidPortRange,
                    format!("endPort cannot be used with the named port {name:?}: a range needs a numbered port"),
                );
            }
            match name.parse::<i64>() {
                Ok(number) => numbered(protocol, number, None, path, problems),
                Err(_) => match check_port_name(name) {
                    Ok(()) => Some(Port::named(protocol, name.clone())),
                    Err(bad) => invalid(problems, "port", bad.code, bad.message),
                },
            }
        }
        (Some(IntOrString::Int(number)), end_port) => {
            numbered(protocol, i64::from(*number), end_port.map(i64::from), path, problems)
        }
    }
}

fn numbered(
    protocol: Protocol,
    start: i64,
    end: Option<i64>,
    path: &str,
    problems: &mut Vec<PolicyProblem>,
) -> Option<Port> {
    let in_range = |number: i64| u16::try_from(number).ok().filter(|port| *port >= 1);
    let Some(first) = in_range(start) else {
        let message = format!("port {start} is invalid: it must be between 1 and 65535");
        problems.push(problem(Code::InvalidPort, &join(path, "port"), &message));
        return None;
    };
    let Some(end) = end else {
        return Some(Port::single(protocol, first));
    };
    match in_range(end) {
        Some(last) if last >= first => Some(Port::range(protocol, first, last)),
        _ => {
            let message = format!("endPort {end} is invalid: it must be at least port {start} and at most 65535");
            problems.push(problem(Code::InvalidPortRange, &join(path, "endPort"), &message));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn read(yaml: &str) -> Result<Policy, Vec<PolicyProblem>> {
        let policy: NetworkPolicy = serde_yaml::from_str(yaml).unwrap();
        policy_from_kubernetes(&policy, "test.yaml".into())
    }

    fn paths(problems: Vec<PolicyProblem>) -> Vec<String> {
        problems.into_iter().map(|problem| problem.path).collect()
    }

    #[test]
    fn without_policy_types_ingress_is_always_isolated_and_egress_only_with_rules() {
        let ingress_only = read("metadata: {name: a}\nspec: {podSelector: {}, egress: []}").unwrap();
        assert_eq!(ingress_only.ingress, Some(vec![]));
        assert_eq!(ingress_only.egress, None);
        assert_eq!(ingress_only.namespace, "default");
        let both = read("metadata: {name: a, namespace: x}\nspec: {podSelector: {}, egress: [{}]}").unwrap();
        assert!(both.ingress.is_some());
        assert_eq!(both.egress.unwrap()[0], PolicyRule { peers: None, ports: PortSet::All, origins: vec![] });
    }

    #[test]
    fn listed_policy_types_decide_alone() {
        let egress = read("metadata: {name: a}\nspec: {podSelector: {}, policyTypes: [Egress]}").unwrap();
        assert_eq!((egress.ingress, egress.egress), (None, Some(vec![])));
    }

    #[test]
    fn a_selector_pair_in_one_peer_ands_and_a_missing_namespace_selector_means_own_namespace() {
        let policy = read(
            "metadata: {name: a}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - {namespaceSelector: {matchLabels: {team: x}}, podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}}
    - podSelector: {}
    ports: [{port: 5432}, {protocol: UDP}, {port: 8000, endPort: 8080}]",
        )
        .unwrap();
        let rule = &policy.ingress.unwrap()[0];
        let peers = rule.peers.as_ref().unwrap();
        assert!(
            matches!(&peers[0], Peer::Pods { namespaces: NamespaceScope::Matching(_), pods } if pods.requirements.len() == 1)
        );
        assert_eq!(peers[1], Peer::Pods { namespaces: NamespaceScope::Own, pods: LabelSelector::everything() });
        assert_eq!(
            rule.ports,
            PortSet::Only(vec![
                Port::single(Protocol::Tcp, 5432),
                Port::range(Protocol::Tcp, 8000, 8080),
                Port::range(Protocol::Udp, 1, 65535)
            ])
        );
    }

    #[test]
    fn what_kubernetes_rejects_is_reported_with_its_field_path() {
        let problems = read(
            "metadata: {name: a}
spec:
  podSelector: {matchLabels: {app@b: x}}
  ingress:
  - from: [{}, {ipBlock: {cidr: A}}, {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]
    ports: [{port: http, endPort: 90}, {port: 10, endPort: 1}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
    ports: [{port: abc}]",
        )
        .unwrap_err();
        assert_eq!(
            paths(problems),
            [
                "spec.podSelector.matchLabels[\"app@b\"]",
                "spec.ingress[0].from[0]",
                "spec.ingress[0].from[1].ipBlock.cidr",
                "spec.ingress[0].from[2]",
                "spec.ingress[0].ports[0].endPort",
                "spec.ingress[0].ports[1].endPort",
                "spec.egress[0].ports",
            ]
        );
    }

    #[test]
    fn host_bits_are_dropped_and_excepts_must_lie_inside() {
        let policy = read(
            "metadata: {name: a}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.1.2.3/8, except: [10.2.0.0/16]}}]}]}",
        )
        .unwrap();
        let peers = policy.ingress.unwrap()[0].peers.clone().unwrap();
        assert_eq!(
            peers[0],
            Peer::Addresses(AddressBlock {
                cidr: "10.0.0.0/8".parse().unwrap(),
                except: vec!["10.2.0.0/16".parse().unwrap()]
            })
        );
        let outside = read(
            "metadata: {name: a}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}",
        );
        assert_eq!(paths(outside.unwrap_err()), ["spec.ingress[0].from[0].ipBlock.except[0]"]);
    }
}
