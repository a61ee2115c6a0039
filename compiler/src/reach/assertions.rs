//! `assert` statements checked on a cluster: the program's own (one representative
//! per group and namespace) or real workloads under the program's policies. A
//! failure is an NPG0401 error naming the npg lines that allow or deny the traffic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::addresses::{self, AddressRange, AddressSet};
use super::cluster::{Cluster, NamespaceScope, Peer, Policy, PolicyRule, Workload};
use super::connections::{ConnectionSet, PROTOCOLS};
use super::pairs::{self, Direction, DirectionVerdict, Endpoint as End, PairVerdict};
use super::program::{ProgramCluster, group_namespaces};
use crate::check::Locations;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::{
    Assertion, AssertionKind, AssertionSource, Endpoint, Group, Model, Network, Placement, Port, PortSet, Protocol,
    SourceLine,
};

/// At most this many offending pairs are named in one failure.
const PAIRS_NAMED: usize = 3;

/// Every assertion that does not hold on `cluster`, as NPG0401 errors. Groups stand
/// for the workloads of `cluster` they select (for the program's own cluster, the
/// representatives), networks for their addresses, namespaces for every workload in
/// them. Pass [`super::program::cluster_with_workloads`] to check real workloads.
pub fn evaluate_assertions(model: &Model, assertions: &[Assertion], cluster: &Cluster) -> Vec<Diagnostic> {
    let checker = Checker { model, cluster, names: None, locations: None };
    assertions.iter().filter_map(|assertion| checker.check(assertion)).collect()
}

/// [`evaluate_assertions`], with a secondary label at each rule that lets
/// forbidden traffic through (`locations` from [`crate::check::locations`]).
pub fn evaluate_assertions_at(
    model: &Model,
    assertions: &[Assertion],
    cluster: &Cluster,
    locations: &Locations,
) -> Vec<Diagnostic> {
    let checker = Checker { model, cluster, names: None, locations: Some(locations) };
    assertions.iter().filter_map(|assertion| checker.check(assertion)).collect()
}

/// [`evaluate_assertions_at`] on the program's own cluster, whose named ports print by name.
pub fn evaluate_program_assertions(
    model: &Model,
    assertions: &[Assertion],
    program: &ProgramCluster,
    locations: &Locations,
) -> Vec<Diagnostic> {
    let checker = Checker { model, cluster: &program.cluster, names: Some(program), locations: Some(locations) };
    assertions.iter().filter_map(|assertion| checker.check(assertion)).collect()
}

struct Checker<'a> {
    model: &'a Model,
    cluster: &'a Cluster,
    /// Where named ports' numbers come from, to print them by name.
    names: Option<&'a ProgramCluster>,
    /// Where the model's rules are written, to point at them.
    locations: Option<&'a Locations>,
}

/// One end of a checked connection and how to print it.
#[derive(Clone)]
struct Side {
    end: End,
    name: String,
}

/// A connection that breaks the assertion, and why.
struct Offence {
    source: Side,
    destination: Side,
    /// The ports at stake: allowed ones for `cannot`/`only`, missing ones for `can`.
    ports: ConnectionSet,
    verdict: PairVerdict,
}

impl Checker<'_> {
    fn check(&self, assertion: &Assertion) -> Option<Diagnostic> {
        match assertion.kind {
            AssertionKind::CanReach => self.can_reach(assertion),
            AssertionKind::CannotReach => self.cannot_reach(assertion),
            AssertionKind::OnlyCanReach => self.only_can_reach(assertion),
        }
    }

    fn can_reach(&self, assertion: &Assertion) -> Option<Diagnostic> {
        let source = assertion.sources.first()?;
        let sources = self.source_sides(source);
        let destinations = self.destination_sides(assertion.target);
        let mut offences = Vec::new();
        for from in &sources {
            for to in &destinations {
                let wanted = self.wanted(&assertion.ports, to.end);
                if wanted.is_empty() || from.end == to.end {
                    continue;
                }
                let verdict = pairs::evaluate(self.cluster, from.end, to.end);
                let missing = wanted.difference(&verdict.allowed);
                if !missing.is_empty() {
                    offences.push(Offence { source: from.clone(), destination: to.clone(), ports: missing, verdict });
                }
            }
        }
        let first = offences.first()?;
        let message = format!(
            "assertion does not hold: {} cannot reach {}{}",
            self.source_text(source),
            self.endpoint_text(assertion.target),
            self.on_ports(&first.ports)
        );
        let label = self.denial(first);
        let mut diagnostic = Diagnostic::new(Code::AssertionFailed, assertion.location.clone(), message)
            .with_label(with_more(label, offences.len(), 1));
        if let Some(line) = self.suggested_rule(source, assertion, first) {
            diagnostic = diagnostic.with_help(format!("to allow it, add `{line}`"));
        }
        Some(diagnostic)
    }

    fn cannot_reach(&self, assertion: &Assertion) -> Option<Diagnostic> {
        let source = assertion.sources.first()?;
        let sources = self.source_sides(source);
        let destinations = self.destination_sides(assertion.target);
        let mut offences = Vec::new();
        for from in &sources {
            for to in &destinations {
                if let Some(offence) = self.allowed_offence(from, to, &assertion.ports) {
                    offences.push(offence);
                }
            }
        }
        let first = offences.first()?;
        let message = format!(
            "assertion does not hold: {} can reach {}{}",
            self.source_text(source),
            self.endpoint_text(assertion.target),
            self.on_ports(&first.ports)
        );
        Some(self.allowed_diagnostic(assertion, message, &offences))
    }

    fn only_can_reach(&self, assertion: &Assertion) -> Option<Diagnostic> {
        let destinations = self.destination_sides(assertion.target);
        let listed_networks: Vec<&Network> = assertion
            .sources
            .iter()
            .filter_map(|source| match source {
                AssertionSource::Endpoint(Endpoint::Network(id)) => self.model.network(*id),
                _ => None,
            })
            .collect();
        let mut others: Vec<Side> = self
            .cluster
            .workloads
            .iter()
            .enumerate()
            .filter(|(_, workload)| !assertion.sources.iter().any(|source| self.source_holds(source, workload)))
            .map(|(index, workload)| Side { end: End::Workload(index), name: workload.display_name() })
            .collect();
        let listed_addresses: Vec<AddressSet> =
            listed_networks.iter().flat_map(|network| network.blocks.iter().map(AddressSet::of_block)).collect();
        let pieces = self.pieces(true, &listed_addresses);
        others.extend(
            pieces
                .into_iter()
                .filter(|piece| !listed_addresses.iter().any(|set| set.covers(*piece)))
                .map(|piece| Side { end: End::Addresses(piece), name: format!("{piece}[External]") }),
        );
        let mut offences = Vec::new();
        let namespace_labels: BTreeMap<&str, &BTreeMap<String, String>> =
            self.cluster.namespaces.iter().map(|namespace| (namespace.name.as_str(), &namespace.labels)).collect();
        for to in &destinations {
            let admitted = self.ingress_admitters(to.end);
            for from in &others {
                if let Some(rules) = &admitted
                    && !rules.iter().any(|(policy, rule)| self.may_admit(policy, rule, from.end, &namespace_labels))
                {
                    continue;
                }
                if let Some(offence) = self.allowed_offence(from, to, &assertion.ports) {
                    offences.push(offence);
                }
            }
        }
        let first = offences.first()?;
        let listed: Vec<String> = assertion.sources.iter().map(|source| self.source_text(source)).collect();
        let message = format!(
            "assertion does not hold: {} can reach {}{} too, not only {}",
            first.source.name,
            self.endpoint_text(assertion.target),
            self.on_ports(&first.ports),
            listed.join(", ")
        );
        Some(self.allowed_diagnostic(assertion, message, &offences))
    }

    /// The ingress rules of the policies that isolate `destination` for ingress;
    /// `None` when nothing isolates it (every source may be admitted).
    fn ingress_admitters(&self, destination: End) -> Option<Vec<(&Policy, &PolicyRule)>> {
        let End::Workload(index) = destination else { return None };
        let workload = self.cluster.workloads.get(index)?;
        let isolating: Vec<&Policy> = self
            .cluster
            .policies
            .iter()
            .filter(|policy| policy.ingress.is_some() && pairs::selects(policy, workload))
            .collect();
        if isolating.is_empty() {
            return None;
        }
        Some(
            isolating
                .into_iter()
                .flat_map(|policy| policy.ingress.iter().flatten().map(move |rule| (policy, rule)))
                .collect(),
        )
    }

    /// Whether `rule` of `policy` could admit `source`: a quick test that never
    /// says no to a source the rule admits (the exact answer is the engine's), so
    /// that sources no rule can admit are not evaluated one by one.
    fn may_admit(
        &self,
        policy: &Policy,
        rule: &PolicyRule,
        source: End,
        namespace_labels: &BTreeMap<&str, &BTreeMap<String, String>>,
    ) -> bool {
        let Some(peers) = &rule.peers else { return true };
        peers.iter().any(|peer| match (peer, source) {
            (Peer::Addresses(_), End::Addresses(_)) => true,
            // Only pods on the host network have addresses an ipBlock can hold.
            (Peer::Addresses(_), End::Workload(index)) => {
                self.cluster.workloads.get(index).is_none_or(|workload| workload.host_network.is_some())
            }
            (Peer::Pods { .. }, End::Addresses(_)) => false,
            (Peer::Pods { namespaces, pods }, End::Workload(index)) => {
                let Some(workload) = self.cluster.workloads.get(index) else { return true };
                let in_scope = match namespaces {
                    NamespaceScope::Own => workload.namespace == policy.namespace,
                    NamespaceScope::Matching(selector) => match namespace_labels.get(workload.namespace.as_str()) {
                        Some(labels) => selector.matches(labels),
                        None => true,
                    },
                };
                workload.host_network.is_none() && in_scope && pods.matches(&workload.labels)
            }
        })
    }

    /// The connection from `from` to `to` when it allows some of `ports`.
    fn allowed_offence(&self, from: &Side, to: &Side, ports: &PortSet) -> Option<Offence> {
        if from.end == to.end {
            return None;
        }
        let wanted = self.wanted(ports, to.end);
        if wanted.is_empty() {
            return None;
        }
        let verdict = pairs::evaluate(self.cluster, from.end, to.end);
        let allowed = wanted.intersection(&verdict.allowed);
        (!allowed.is_empty()).then(|| Offence {
            source: from.clone(),
            destination: to.clone(),
            ports: allowed,
            verdict,
        })
    }

    /// A failure of `cannot reach` or `only`: which rules let the traffic through.
    fn allowed_diagnostic(&self, assertion: &Assertion, message: String, offences: &[Offence]) -> Diagnostic {
        // Offences for the same reason are told once, with how many there are.
        let mut reasons: Vec<(String, String, usize)> = Vec::new();
        for offence in offences {
            let reason = format!("{}: {}", offence.destination.name, self.admission(offence));
            match reasons.iter_mut().find(|(_, known, _)| *known == reason) {
                Some((_, _, count)) => *count += 1,
                None => reasons.push((offence.source.name.clone(), reason, 1)),
            }
        }
        let told: Vec<String> = reasons
            .iter()
            .take(PAIRS_NAMED)
            .map(|(source, reason, count)| match count {
                1 => format!("{source} → {reason}"),
                _ => format!("{source} (and {} more) → {reason}", count - 1),
            })
            .collect();
        let lines = self.admitting_lines(offences.first());
        let mut diagnostic = Diagnostic::new(Code::AssertionFailed, assertion.location.clone(), message)
            .with_label(with_more(told.join("; "), reasons.len(), told.len()));
        if !lines.is_empty() {
            let written: Vec<String> = lines.iter().map(ToString::to_string).collect();
            diagnostic = diagnostic.with_help(format!("remove or narrow the rule at {}", written.join(", ")));
        }
        for line in &lines {
            if let Some(location) = self.rule_location(line, assertion.target) {
                diagnostic = diagnostic.with_secondary(location, "this rule allows it");
            }
        }
        diagnostic
    }

    /// Why a connection is allowed: the npg lines (or policies) admitting it at each
    /// end, or that an end is not isolated.
    fn admission(&self, offence: &Offence) -> String {
        let mut parts = Vec::new();
        for (verdict, direction, side) in [
            (&offence.verdict.egress, Direction::Egress, &offence.source),
            (&offence.verdict.ingress, Direction::Ingress, &offence.destination),
        ] {
            let word = direction_word(direction);
            match verdict {
                None => {}
                Some(verdict) if verdict.isolating.is_empty() => {
                    parts.push(format!("{word} of {} is not isolated", side.name));
                }
                Some(verdict) => {
                    let rules = self.admitting_rules(verdict, direction, &offence.ports);
                    parts.push(format!("{word} allowed by {}", rules.join(", ")));
                }
            }
        }
        if parts.is_empty() { "nothing isolates it".to_owned() } else { parts.join(", ") }
    }

    /// The npg lines behind the rules that admit the first offence.
    fn admitting_lines(&self, offence: Option<&Offence>) -> BTreeSet<SourceLine> {
        let Some(offence) = offence else { return BTreeSet::new() };
        let mut lines: BTreeSet<SourceLine> = BTreeSet::new();
        let verdicts = [(&offence.verdict.egress, Direction::Egress), (&offence.verdict.ingress, Direction::Ingress)];
        for (verdict, direction) in verdicts {
            let Some(verdict) = verdict else { continue };
            for admitted in &verdict.admitting {
                if admitted.connections.intersection(&offence.ports).is_empty() {
                    continue;
                }
                let rule = self.rule_of(admitted.policy, admitted.rule, direction);
                lines.extend(rule.into_iter().flat_map(|rule| rule.origins.iter().cloned()));
            }
        }
        lines
    }

    /// Where the rule target written on `line` is: the one aiming at `target` if
    /// the line has it, else the line's first.
    fn rule_location(&self, line: &SourceLine, target: Endpoint) -> Option<Location> {
        let locations = self.locations?;
        let on_line: Vec<(&crate::model::Rule, &Location)> =
            self.model.rules.iter().zip(&locations.rules).filter(|(rule, _)| rule.origin == *line).collect();
        on_line
            .iter()
            .find(|(rule, _)| rule.target == target)
            .or_else(|| on_line.first())
            .map(|(_, location)| (*location).clone())
    }

    /// Each rule admitting some of `ports`: its npg lines, or for a policy read
    /// from YAML, the policy and rule index.
    fn admitting_rules(&self, verdict: &DirectionVerdict, direction: Direction, ports: &ConnectionSet) -> Vec<String> {
        let mut named: Vec<String> = Vec::new();
        for admitted in &verdict.admitting {
            if admitted.connections.intersection(ports).is_empty() {
                continue;
            }
            let Some(policy) = self.cluster.policies.get(admitted.policy) else { continue };
            let origins = self.rule_of(admitted.policy, admitted.rule, direction).map(|rule| rule.origins.as_slice());
            let text = match origins {
                Some(origins) if !origins.is_empty() => {
                    origins.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                }
                _ => format!(
                    "{} {} rule {} ({})",
                    policy.display_name(),
                    direction_word(direction),
                    admitted.rule,
                    policy.source
                ),
            };
            if !named.contains(&text) {
                named.push(text);
            }
        }
        named
    }

    /// The rule `rule` of policy `policy`, in one direction.
    fn rule_of(&self, policy: usize, rule: usize, direction: Direction) -> Option<&PolicyRule> {
        let policy = self.cluster.policies.get(policy)?;
        let rules = match direction {
            Direction::Egress => policy.egress.as_ref(),
            Direction::Ingress => policy.ingress.as_ref(),
        };
        rules?.get(rule)
    }

    /// Why a connection is denied: the end whose isolation lacks the ports.
    fn denial(&self, offence: &Offence) -> String {
        let ports = self.port_text(&offence.ports);
        let mut parts = Vec::new();
        for (verdict, direction, side) in [
            (&offence.verdict.egress, "egress", &offence.source),
            (&offence.verdict.ingress, "ingress", &offence.destination),
        ] {
            let Some(verdict) = verdict else { continue };
            if verdict.isolating.is_empty() || offence.ports.is_subset(&verdict.allowed) {
                continue;
            }
            // The first isolating policy is enough to say why: npg's default-deny
            // sorts first in its namespace.
            let isolating = verdict
                .isolating
                .iter()
                .filter_map(|index| self.cluster.policies.get(*index))
                .min_by_key(|policy| (!policy.pod_selector.selects_everything(), &policy.name))
                .map(|policy| format!(" (by {}, {})", policy.display_name(), policy.source))
                .unwrap_or_default();
            parts.push(format!(
                "{direction} of {} is isolated{} and no rule allows {ports} {}",
                side.name,
                isolating,
                if direction == "egress" {
                    format!("to {}", offence.destination.name)
                } else {
                    format!("from {}", offence.source.name)
                }
            ));
        }
        if parts.is_empty() {
            format!("{} → {}: {ports} is not allowed", offence.source.name, offence.destination.name)
        } else {
            parts.join("; ")
        }
    }

    /// The connections `ports` means towards `destination`: named ports resolved
    /// against its container ports (a name it does not declare means nothing).
    fn wanted(&self, ports: &PortSet, destination: End) -> ConnectionSet {
        let workload = match destination {
            End::Workload(index) => self.cluster.workloads.get(index),
            End::Addresses(_) => None,
        };
        ConnectionSet::from_port_set(ports, |protocol, name| pairs::named_port(workload?, protocol, name))
    }

    /// The ends a source stands for. Networks are cut into the pieces the
    /// cluster's ingress blocks tell apart, so that each piece is all in or all out.
    fn source_sides(&self, source: &AssertionSource) -> Vec<Side> {
        match source {
            AssertionSource::Endpoint(Endpoint::Network(id)) => self.network_sides(*id, true),
            AssertionSource::Endpoint(Endpoint::Group(_)) | AssertionSource::Namespace(_) => self
                .cluster
                .workloads
                .iter()
                .enumerate()
                .filter(|(_, workload)| self.source_holds(source, workload))
                .map(|(index, workload)| Side { end: End::Workload(index), name: workload.display_name() })
                .collect(),
        }
    }

    fn destination_sides(&self, target: Endpoint) -> Vec<Side> {
        match target {
            Endpoint::Network(id) => self.network_sides(id, false),
            Endpoint::Group(_) => self.source_sides(&AssertionSource::Endpoint(target)),
        }
    }

    fn network_sides(&self, id: crate::model::NetworkId, as_source: bool) -> Vec<Side> {
        let Some(network) = self.model.network(id) else { return Vec::new() };
        let sets: Vec<AddressSet> = network.blocks.iter().map(AddressSet::of_block).collect();
        self.pieces(as_source, &sets)
            .into_iter()
            .filter(|piece| sets.iter().any(|set| set.covers(*piece)))
            .map(|piece| Side { end: End::Addresses(piece), name: format!("{piece}[External]") })
            .collect()
    }

    /// The pieces of the address space that the cluster's blocks of one direction
    /// (ingress when the addresses are sources) and `extra` tell apart.
    fn pieces(&self, as_source: bool, extra: &[AddressSet]) -> Vec<AddressRange> {
        let mut sets: Vec<AddressSet> = extra.to_vec();
        for policy in &self.cluster.policies {
            let rules = if as_source { &policy.ingress } else { &policy.egress };
            for peer in rules.iter().flatten().filter_map(|rule| rule.peers.as_ref()).flatten() {
                if let Peer::Addresses(block) = peer {
                    sets.push(AddressSet::of_block(block));
                }
            }
        }
        let with_v6 = sets.iter().any(AddressSet::has_v6);
        addresses::partition(&sets, with_v6)
    }

    /// Whether `workload` is one of the pods `source` stands for.
    fn source_holds(&self, source: &AssertionSource, workload: &Workload) -> bool {
        match source {
            AssertionSource::Namespace(name) => workload.namespace == *name,
            AssertionSource::Endpoint(Endpoint::Group(id)) => {
                self.model.group(*id).is_some_and(|group| self.selects(group, workload))
            }
            AssertionSource::Endpoint(Endpoint::Network(_)) => false,
        }
    }

    /// Whether `group` selects `workload`: it lives in the workload's namespace and
    /// its selector matches (pods on the host network are never selected).
    fn selects(&self, group: &Group, workload: &Workload) -> bool {
        if workload.host_network.is_some() {
            return false;
        }
        let in_namespace = match &group.placement {
            Placement::Namespace(name) => *name == workload.namespace,
            Placement::Any => true,
            Placement::Namespaces(_) => group_namespaces(group, &self.cluster.namespaces)
                .into_iter()
                .any(|namespace| namespace.name == workload.namespace),
        };
        in_namespace && group.selector.matches(&workload.labels)
    }

    fn source_text(&self, source: &AssertionSource) -> String {
        match source {
            AssertionSource::Endpoint(endpoint) => self.endpoint_text(*endpoint),
            AssertionSource::Namespace(name) => format!("namespace `{name}`"),
        }
    }

    fn endpoint_text(&self, endpoint: Endpoint) -> String {
        format!("`{}`", self.reference(endpoint))
    }

    /// How a program refers to a group or network: `frontend`, or `shop/frontend`
    /// when another group has the same name.
    fn reference(&self, endpoint: Endpoint) -> String {
        match endpoint {
            Endpoint::Group(id) => {
                let Some(group) = self.model.group(id) else { return String::new() };
                let shared = self.model.groups.iter().filter(|other| other.name == group.name).count() > 1;
                match &group.placement {
                    Placement::Namespace(namespace) if shared => format!("{namespace}/{}", group.name),
                    _ => group.name.clone(),
                }
            }
            Endpoint::Network(id) => self.model.network(id).map(|network| network.name.clone()).unwrap_or_default(),
        }
    }

    /// ` on TCP 5432`, named ports by name; nothing for every connection.
    fn on_ports(&self, ports: &ConnectionSet) -> String {
        if ports.is_all() { String::new() } else { format!(" on {}", self.port_text(ports)) }
    }

    fn port_text(&self, ports: &ConnectionSet) -> String {
        if ports.is_all() {
            return "every port".to_owned();
        }
        let Some(program) = self.names else { return ports.to_string() };
        let mut rest = ports.clone();
        let mut names = Vec::new();
        for protocol in PROTOCOLS {
            for ((named_protocol, name), number) in &program.named_ports {
                if *named_protocol == protocol && ports.contains(protocol, *number) {
                    names.push(format!("{} port `{name}`", protocol.as_kubernetes()));
                    rest = rest.difference(&ConnectionSet::ports(protocol, *number, *number));
                }
            }
        }
        if !rest.is_empty() {
            names.insert(0, rest.to_string());
        }
        names.join(", ")
    }

    /// The entries of `ports` that the offence lacks (all of them when none can be told apart).
    fn missing_ports(&self, ports: &PortSet, offence: &Offence) -> PortSet {
        let PortSet::Only(list) = ports else { return PortSet::All };
        let kept: Vec<Port> = list
            .iter()
            .filter(|port| {
                let one = PortSet::Only(vec![(*port).clone()]);
                !self.wanted(&one, offence.destination.end).intersection(&offence.ports).is_empty()
            })
            .cloned()
            .collect();
        if kept.is_empty() { ports.clone() } else { PortSet::Only(kept) }
    }

    /// The npg line that would make a failed `can reach` hold.
    fn suggested_rule(&self, source: &AssertionSource, assertion: &Assertion, offence: &Offence) -> Option<String> {
        let (keyword, source) = match source {
            AssertionSource::Endpoint(endpoint @ Endpoint::Group(_)) => ("group", *endpoint),
            AssertionSource::Endpoint(endpoint @ Endpoint::Network(_)) => ("network", *endpoint),
            AssertionSource::Namespace(_) => return None,
        };
        if keyword == "network" && matches!(assertion.target, Endpoint::Network(_)) {
            return None;
        }
        Some(format!(
            "{keyword} {} may reach {}{}",
            self.reference(source),
            self.reference(assertion.target),
            npg_ports(&self.missing_ports(&assertion.ports, offence))
        ))
    }
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Egress => "egress",
        Direction::Ingress => "ingress",
    }
}

/// Says how many of `total` were left out when `shown` are told.
fn with_more(text: String, total: usize, shown: usize) -> String {
    let more = total.saturating_sub(shown);
    if more == 0 {
        return text;
    }
    let mut text = text;
    let _ = write!(text, " ({more} more not shown)");
    text
}

/// Ports as npg writes them after a target: `:5432`, `:53/udp`, `:{80, 443}`,
/// nothing for every port.
pub fn npg_ports(ports: &PortSet) -> String {
    let PortSet::Only(ports) = ports else { return String::new() };
    let written: Vec<String> = ports
        .iter()
        .map(|port| {
            let (text, protocol) = match port {
                Port::Range { protocol, start, end } if start == end => (start.to_string(), *protocol),
                Port::Range { protocol, start, end } => (format!("{start}-{end}"), *protocol),
                Port::Named { protocol, name } => (name.clone(), *protocol),
            };
            match protocol {
                Protocol::Tcp => text,
                Protocol::Udp => format!("{text}/udp"),
                Protocol::Sctp => format!("{text}/sctp"),
            }
        })
        .collect();
    match written.as_slice() {
        [only] => format!(":{only}"),
        _ => format!(":{{{}}}", written.join(", ")),
    }
}
