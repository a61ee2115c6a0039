//! Why a connection is allowed or denied: for each pair of endpoints behind two
//! names, the policies that isolate each end, the rules that admit the other end
//! (with the npg line or YAML rule they come from), and, when denied, a rule that would allow it.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

use super::addresses::AddressRange;
use super::analysis::{Connectivity, address_pieces};
use super::cluster::{Cluster, Workload};
use super::connections::ConnectionSet;
use super::pairs::{self, Direction, DirectionVerdict, Endpoint};
use super::subjects::{Subject, SubjectKind};
use crate::model::{Group, Placement, Protocol, SourceLine};

/// One port of one protocol, as `explain SRC DST:PORT/PROTO` asks about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AskedPort {
    pub protocol: Protocol,
    pub port: u16,
}

impl std::fmt::Display for AskedPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.protocol.as_kubernetes(), self.port)
    }
}

/// Splits `DST[:PORT[/PROTO]]` into the name and the port asked about. The protocol
/// defaults to TCP. An IPv6 address with a port is written in brackets:
/// `[2001:db8::1]:443`. A name that is an address or CIDR on its own has no port.
pub fn split_target(text: &str) -> Result<(String, Option<AskedPort>), String> {
    if let Some(rest) = text.strip_prefix('[')
        && let Some((address, port)) = rest.split_once("]:")
    {
        return Ok((address.to_owned(), Some(parse_port(port)?)));
    }
    if text.parse::<IpAddr>().is_ok() || text.parse::<IpNet>().is_ok() {
        return Ok((text.to_owned(), None));
    }
    match text.rsplit_once(':') {
        Some((name, port)) => Ok((name.to_owned(), Some(parse_port(port)?))),
        None => Ok((text.to_owned(), None)),
    }
}

/// `8080`, `53/udp`, `7070/SCTP`.
fn parse_port(text: &str) -> Result<AskedPort, String> {
    let (number, protocol) = match text.split_once('/') {
        Some((number, protocol)) => (number, protocol),
        None => (text, "tcp"),
    };
    let protocol = match protocol.to_ascii_lowercase().as_str() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "sctp" => Protocol::Sctp,
        _ => return Err(format!("`{protocol}` is not a protocol (tcp, udp or sctp)")),
    };
    match number.parse::<u16>() {
        Ok(port) if port > 0 => Ok(AskedPort { protocol, port }),
        _ => Err(format!("`{number}` is not a port number (1-65535)")),
    }
}

/// The answer to "may SOURCE reach DESTINATION (on this port)?" and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub source: String,
    pub destination: String,
    pub asked: Option<AskedPort>,
    /// The pairs of endpoints explained in full: all of them, or the first
    /// [`DETAILED_PAIRS`] (denied ones first) when there are more.
    pub pairs: Vec<PairExplanation>,
    /// How many pairs of endpoints the two names stand for.
    pub pair_count: usize,
    /// How many of them are allowed.
    pub allowed_count: usize,
}

/// How many pairs of endpoints an explanation details; the others are counted.
pub const DETAILED_PAIRS: usize = 10;

/// Whether the connection is allowed, over every pair of endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Allowed,
    Denied,
    /// Allowed for some pairs of endpoints, denied for others.
    Partly,
}

/// One source endpoint and one destination endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairExplanation {
    pub source: String,
    pub destination: String,
    /// What passes both ends.
    pub connections: ConnectionSet,
    /// The asked port passes, or (nothing asked) some connection does.
    pub allowed: bool,
    pub egress: Side,
    pub ingress: Side,
    /// When denied: what to add so that it is allowed.
    pub fix: Option<String>,
}

/// What one end's policies say in one direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// An address outside the cluster: no policy governs it.
    Outside,
    /// A host-network workload: policies never select it.
    HostNetwork,
    /// No policy selects this end for this direction: everything passes.
    Open,
    /// Policies isolate this end; only what their rules admit passes.
    Isolated {
        policies: Vec<PolicyReference>,
        /// The rules that admit the other end (those that admit the asked port, when asked).
        admitting: Vec<RuleReference>,
        /// Rules that admit the other end on other ports only.
        other_ports: Vec<RuleReference>,
        /// This side lets the asked connection (or any connection) through.
        passes: bool,
    },
}

/// A policy, by name and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyReference {
    pub name: String,
    pub source: Arc<str>,
}

/// One `ingress` or `egress` entry of a policy and what it admits here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleReference {
    pub policy: PolicyReference,
    /// `spec.ingress[2]`.
    pub path: String,
    /// The npg lines the entry enforces (empty for YAML).
    pub origins: Vec<SourceLine>,
    pub connections: ConnectionSet,
}

impl Explanation {
    pub fn answer(&self) -> Answer {
        let allowed = self.allowed_count;
        if allowed == self.pair_count && allowed > 0 {
            Answer::Allowed
        } else if allowed == 0 {
            Answer::Denied
        } else {
            Answer::Partly
        }
    }
}

/// How to word a fix: as an npg rule (the policies come from an npg program) or as
/// YAML to add to a NetworkPolicy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixStyle {
    Npg,
    Yaml,
}

/// Explains every pair of `source` and `destination` endpoints. Address subjects are
/// cut along the pieces the policies' ipBlocks tell apart, so each piece gets one answer.
///
/// `connectivity`, when given, answers the pairs that are only counted (see
/// [`DETAILED_PAIRS`]) without evaluating each one; it must be of `cluster`.
pub fn explain(
    cluster: &Cluster,
    source: &Subject,
    destination: &Subject,
    asked: Option<AskedPort>,
    style: FixStyle,
    groups: &[Group],
    connectivity: Option<&Connectivity>,
) -> Explanation {
    let (source_pieces, destination_pieces) = address_pieces(cluster);
    let sources = split_addresses(&source.endpoints, &source_pieces);
    let destinations = split_addresses(&destination.endpoints, &destination_pieces);
    let wanted = |connections: &ConnectionSet| match asked {
        Some(asked) => connections.contains(asked.protocol, asked.port),
        None => !connections.is_empty(),
    };
    let mut all = Vec::new();
    for from in &sources {
        for to in &destinations {
            if matches!((from, to), (Endpoint::Addresses(_), Endpoint::Addresses(_))) {
                continue;
            }
            let allowed = match connectivity {
                Some(connectivity) => {
                    let known = known_connections(connectivity, &source_pieces, &destination_pieces, *from, *to);
                    known.map_or_else(|| wanted(&pairs::evaluate(cluster, *from, *to).allowed), wanted)
                }
                None => wanted(&pairs::evaluate(cluster, *from, *to).allowed),
            };
            all.push((*from, *to, allowed));
        }
    }
    let allowed_count = all.iter().filter(|(_, _, allowed)| *allowed).count();
    let chosen: Vec<(Endpoint, Endpoint)> = if all.len() <= DETAILED_PAIRS {
        all.iter().map(|(from, to, _)| (*from, *to)).collect()
    } else {
        let denied = all.iter().filter(|(_, _, allowed)| !allowed);
        let allowed = all.iter().filter(|(_, _, allowed)| *allowed);
        denied.chain(allowed).take(DETAILED_PAIRS).map(|(from, to, _)| (*from, *to)).collect()
    };
    let fixer = Fixer { source, destination, asked, style, groups };
    let pairs = chosen.into_iter().map(|(from, to)| explain_pair(cluster, from, to, asked, &fixer)).collect();
    Explanation {
        source: source.name.clone(),
        destination: destination.name.clone(),
        asked,
        pairs,
        pair_count: all.len(),
        allowed_count,
    }
}

/// What `connectivity` says passes from `from` to `to`; `None` for a workload and
/// itself, which the matrix leaves out.
fn known_connections<'c>(
    connectivity: &'c Connectivity,
    source_pieces: &[AddressRange],
    destination_pieces: &[AddressRange],
    from: Endpoint,
    to: Endpoint,
) -> Option<&'c ConnectionSet> {
    let piece =
        |pieces: &[AddressRange], range: AddressRange| pieces.iter().position(|piece| overlap(*piece, range).is_some());
    match (from, to) {
        (Endpoint::Workload(from), Endpoint::Workload(to)) if from != to => Some(connectivity.between(from, to)),
        (Endpoint::Workload(_), Endpoint::Workload(_)) | (Endpoint::Addresses(_), Endpoint::Addresses(_)) => None,
        (Endpoint::Addresses(range), Endpoint::Workload(to)) => {
            Some(connectivity.from_piece(piece(source_pieces, range)?, to))
        }
        (Endpoint::Workload(from), Endpoint::Addresses(range)) => {
            Some(connectivity.to_piece(from, piece(destination_pieces, range)?))
        }
    }
}

/// Address endpoints cut along `pieces` (workloads pass through).
fn split_addresses(endpoints: &[Endpoint], pieces: &[AddressRange]) -> Vec<Endpoint> {
    let mut split = Vec::new();
    for endpoint in endpoints {
        match endpoint {
            Endpoint::Workload(_) => split.push(*endpoint),
            Endpoint::Addresses(range) => {
                let before = split.len();
                split.extend(pieces.iter().filter_map(|piece| overlap(*piece, *range)).map(Endpoint::Addresses));
                if split.len() == before {
                    split.push(*endpoint);
                }
            }
        }
    }
    split
}

fn overlap(a: AddressRange, b: AddressRange) -> Option<AddressRange> {
    match (a, b) {
        (AddressRange::V4(a1, a2), AddressRange::V4(b1, b2)) => {
            (a1.max(b1) <= a2.min(b2)).then(|| AddressRange::V4(a1.max(b1), a2.min(b2)))
        }
        (AddressRange::V6(a1, a2), AddressRange::V6(b1, b2)) => {
            (a1.max(b1) <= a2.min(b2)).then(|| AddressRange::V6(a1.max(b1), a2.min(b2)))
        }
        _ => None,
    }
}

fn explain_pair(
    cluster: &Cluster,
    source: Endpoint,
    destination: Endpoint,
    asked: Option<AskedPort>,
    fixer: &Fixer<'_>,
) -> PairExplanation {
    let verdict = pairs::evaluate(cluster, source, destination);
    let wanted = |connections: &ConnectionSet| match asked {
        Some(asked) => connections.contains(asked.protocol, asked.port),
        None => !connections.is_empty(),
    };
    let allowed = wanted(&verdict.allowed);
    let egress = side(cluster, source, verdict.egress.as_ref(), Direction::Egress, &wanted);
    let ingress = side(cluster, destination, verdict.ingress.as_ref(), Direction::Ingress, &wanted);
    let fix = (!allowed).then(|| fixer.fix(cluster, source, destination, &egress, &ingress)).flatten();
    PairExplanation {
        source: endpoint_name(cluster, source),
        destination: endpoint_name(cluster, destination),
        connections: verdict.allowed,
        allowed,
        egress,
        ingress,
        fix,
    }
}

fn side(
    cluster: &Cluster,
    endpoint: Endpoint,
    verdict: Option<&DirectionVerdict>,
    direction: Direction,
    wanted: &impl Fn(&ConnectionSet) -> bool,
) -> Side {
    let Some(verdict) = verdict else {
        return match endpoint {
            Endpoint::Addresses(_) => Side::Outside,
            Endpoint::Workload(_) => Side::HostNetwork,
        };
    };
    if verdict.isolating.is_empty() {
        return Side::Open;
    }
    let policies = verdict.isolating.iter().filter_map(|index| policy_reference(cluster, *index)).collect();
    let (mut admitting, mut other_ports) = (Vec::new(), Vec::new());
    for rule in &verdict.admitting {
        let Some(policy) = cluster.policies.get(rule.policy) else { continue };
        let rules = match direction {
            Direction::Egress => &policy.egress,
            Direction::Ingress => &policy.ingress,
        };
        let origins =
            rules.as_ref().and_then(|rules| rules.get(rule.rule)).map(|r| r.origins.clone()).unwrap_or_default();
        let spec = match direction {
            Direction::Egress => "egress",
            Direction::Ingress => "ingress",
        };
        let reference = RuleReference {
            policy: PolicyReference { name: policy.display_name(), source: policy.source.clone() },
            path: format!("spec.{spec}[{}]", rule.rule),
            origins,
            connections: rule.connections.clone(),
        };
        if wanted(&rule.connections) { admitting.push(reference) } else { other_ports.push(reference) }
    }
    Side::Isolated { policies, admitting, other_ports, passes: wanted(&verdict.allowed) }
}

fn policy_reference(cluster: &Cluster, index: usize) -> Option<PolicyReference> {
    let policy = cluster.policies.get(index)?;
    Some(PolicyReference { name: policy.display_name(), source: policy.source.clone() })
}

/// `ns/name[Kind]` for a workload, `first-last` for addresses.
pub fn endpoint_name(cluster: &Cluster, endpoint: Endpoint) -> String {
    match endpoint {
        Endpoint::Workload(index) => {
            cluster.workloads.get(index).map_or_else(|| format!("workload #{index}"), Workload::display_name)
        }
        Endpoint::Addresses(range) => range.to_string(),
    }
}

impl Side {
    fn passes(&self) -> bool {
        match self {
            Side::Outside | Side::HostNetwork | Side::Open => true,
            Side::Isolated { passes, .. } => *passes,
        }
    }
}

/// Words a rule that would allow a denied connection.
struct Fixer<'a> {
    source: &'a Subject,
    destination: &'a Subject,
    asked: Option<AskedPort>,
    style: FixStyle,
    /// The program's groups, to name a workload in an npg rule.
    groups: &'a [Group],
}

impl Fixer<'_> {
    fn fix(
        &self,
        cluster: &Cluster,
        source: Endpoint,
        destination: Endpoint,
        egress: &Side,
        ingress: &Side,
    ) -> Option<String> {
        if egress.passes() && ingress.passes() {
            // Both halves pass on their own but not together: nothing to add on one side.
            return None;
        }
        if self.style == FixStyle::Npg
            && let Some(line) = self.npg_rule(cluster, source, destination)
        {
            return Some(line);
        }
        let mut fix = String::new();
        if let Side::Isolated { policies, passes: false, .. } = egress
            && let Some(policy) = policy_to_extend(cluster, policies, Direction::Egress, destination)
        {
            let peer = yaml_peer(cluster, destination, policy_namespace(&policy.name));
            let _ = write!(
                fix,
                "add to spec.egress of {} ({}):\n{}",
                policy.name,
                policy.source,
                self.yaml_rule("to", &peer)
            );
        }
        if let Side::Isolated { policies, passes: false, .. } = ingress
            && let Some(policy) = policy_to_extend(cluster, policies, Direction::Ingress, source)
        {
            let peer = yaml_peer(cluster, source, policy_namespace(&policy.name));
            let _ = write!(
                fix,
                "add to spec.ingress of {} ({}):\n{}",
                policy.name,
                policy.source,
                self.yaml_rule("from", &peer)
            );
        }
        (!fix.is_empty()).then_some(fix)
    }

    /// `group frontend may reach backend:8080`, with a `network` line first when an
    /// end is an address. `None` when an end is a workload rather than a group.
    fn npg_rule(&self, cluster: &Cluster, source: Endpoint, destination: Endpoint) -> Option<String> {
        let port = match self.asked {
            None => String::new(),
            Some(AskedPort { protocol: Protocol::Tcp, port }) => format!(":{port}"),
            Some(AskedPort { protocol: Protocol::Udp, port }) => format!(":{port}/udp"),
            Some(AskedPort { protocol: Protocol::Sctp, port }) => format!(":{port}/sctp"),
        };
        let mut networks = String::new();
        let mut name = |subject: &Subject, endpoint: Endpoint| match (&subject.kind, endpoint) {
            (SubjectKind::Group { name } | SubjectKind::Network { name }, _) => Some(name.clone()),
            (_, Endpoint::Workload(index)) => {
                let workload = cluster.workloads.get(index)?;
                Some(self.group_of(workload, &mut networks))
            }
            (SubjectKind::Addresses, Endpoint::Addresses(range)) => {
                let network = network_name(range);
                let blocks: Vec<String> = cidrs(range).iter().map(ToString::to_string).collect();
                let _ = writeln!(networks, "network {network} = {}", blocks.join(", "));
                Some(network)
            }
            _ => None,
        };
        let from = name(self.source, source)?;
        let to = name(self.destination, destination)?;
        let keyword = if matches!(source, Endpoint::Addresses(_)) { "network" } else { "group" };
        Some(format!("{networks}{keyword} {from} may reach {to}{port}"))
    }

    /// A group of the program that selects `workload`, or a declaration (added to
    /// `declarations`) of one that does.
    fn group_of(&self, workload: &Workload, declarations: &mut String) -> String {
        let selecting = self.groups.iter().find(|group| {
            let placed = match &group.placement {
                Placement::Namespace(namespace) => *namespace == workload.namespace,
                Placement::Namespaces(_) | Placement::Any => false,
            };
            placed && group.builtin.is_none() && group.selector.matches(&workload.labels)
        });
        if let Some(group) = selecting {
            return super::subjects::qualified_name(group);
        }
        let name: String = workload
            .name
            .chars()
            .map(|character| if character.is_ascii_alphanumeric() { character.to_ascii_lowercase() } else { '-' })
            .collect();
        let selector: Vec<String> = workload.labels.iter().map(|(key, value)| format!("{key}={value}")).collect();
        let selector = if selector.is_empty() { "*".to_owned() } else { selector.join(", ") };
        let _ = writeln!(declarations, "group {name} in {} = {selector}", workload.namespace);
        format!("{}/{name}", workload.namespace)
    }

    fn yaml_rule(&self, key: &str, peer: &str) -> String {
        let mut rule = format!("  - {key}:\n{peer}");
        if let Some(asked) = self.asked {
            let _ = write!(
                rule,
                "    ports:\n      - protocol: {}\n        port: {}\n",
                asked.protocol.as_kubernetes(),
                asked.port
            );
        }
        rule
    }
}

/// The isolating policy a YAML fix goes into: one written for this workload (a
/// non-empty pod selector) that already has rules in this direction, if any.
fn policy_to_extend<'p>(
    cluster: &Cluster,
    policies: &'p [PolicyReference],
    direction: Direction,
    other: Endpoint,
) -> Option<&'p PolicyReference> {
    let other_namespace = match other {
        Endpoint::Workload(index) => cluster.workloads.get(index).map(|workload| workload.namespace.as_str()),
        Endpoint::Addresses(_) => None,
    };
    // A peer like the one to add: pods of the policy's namespace, pods of other
    // namespaces, or addresses.
    let alike = |policy: &super::cluster::Policy, peer: &super::cluster::Peer| match (peer, other_namespace) {
        (super::cluster::Peer::Addresses(_), None) => true,
        (super::cluster::Peer::Pods { namespaces, .. }, Some(namespace)) => {
            (*namespaces == super::cluster::NamespaceScope::Own) == (namespace == policy.namespace)
        }
        _ => false,
    };
    let score = |reference: &PolicyReference| {
        let Some(policy) = cluster.policies.iter().find(|policy| policy.display_name() == reference.name) else {
            return (false, false, false);
        };
        let rules = match direction {
            Direction::Egress => &policy.egress,
            Direction::Ingress => &policy.ingress,
        };
        let rules = rules.as_deref().unwrap_or_default();
        let similar = rules.iter().filter_map(|rule| rule.peers.as_ref()).flatten().any(|peer| alike(policy, peer));
        (!policy.pod_selector.selects_everything(), !rules.is_empty(), similar)
    };
    let best = policies.iter().map(score).max()?;
    policies.iter().find(|reference| score(reference) == best)
}

fn policy_namespace(name: &str) -> &str {
    name.split_once('/').map_or(name, |(namespace, _)| namespace)
}

/// A `from`/`to` entry matching `endpoint`, seen from a policy in `namespace`.
fn yaml_peer(cluster: &Cluster, endpoint: Endpoint, namespace: &str) -> String {
    match endpoint {
        Endpoint::Addresses(range) => {
            cidrs(range).iter().map(|cidr| format!("      - ipBlock:\n          cidr: {cidr}\n")).collect()
        }
        Endpoint::Workload(index) => {
            let Some(workload) = cluster.workloads.get(index) else { return String::new() };
            if let Some(host_ip) = workload.host_network.as_ref().and_then(|host| host.host_ip) {
                let cidr = IpNet::from(host_ip);
                return format!("      - ipBlock:\n          cidr: {cidr}\n");
            }
            let mut peer = String::new();
            let mut first = "      - ";
            if workload.namespace != namespace {
                let _ = write!(
                    peer,
                    "{first}namespaceSelector:\n          matchLabels:\n            kubernetes.io/metadata.name: {}\n",
                    workload.namespace
                );
                first = "        ";
            }
            if workload.labels.is_empty() {
                let _ = writeln!(peer, "{first}podSelector: {{}}");
            } else {
                let _ = write!(peer, "{first}podSelector:\n          matchLabels:\n");
                for (key, value) in &workload.labels {
                    let _ = writeln!(peer, "            {key}: {value}");
                }
            }
            peer
        }
    }
}

/// The CIDR blocks that make up `range` exactly.
fn cidrs(range: AddressRange) -> Vec<IpNet> {
    match range {
        AddressRange::V4(first, last) => {
            Ipv4Subnets::new(Ipv4Addr::from_bits(first), Ipv4Addr::from_bits(last), 0).map(IpNet::V4).collect()
        }
        AddressRange::V6(first, last) => {
            Ipv6Subnets::new(Ipv6Addr::from_bits(first), Ipv6Addr::from_bits(last), 0).map(IpNet::V6).collect()
        }
    }
}

/// A name for a `network` declaration: `net-203-0-113-0-24`.
fn network_name(range: AddressRange) -> String {
    let blocks = cidrs(range);
    let text = match blocks.as_slice() {
        [only] => only.to_string(),
        _ => range.first().to_string(),
    };
    let mut name = String::from("net-");
    for character in text.chars() {
        name.push(if character.is_ascii_alphanumeric() { character } else { '-' });
    }
    let trimmed = name.trim_end_matches('-').chars().take(63).collect::<String>();
    trimmed.trim_end_matches('-').to_owned()
}

/// Renders an explanation for people. `line_text` gives the text of an npg source
/// line when it is known, to quote it beside its `file:line`.
pub fn to_text(explanation: &Explanation, line_text: &dyn Fn(&SourceLine) -> Option<String>) -> String {
    let mut text = String::new();
    let asked = explanation.asked.map(|asked| format!(" on {asked}")).unwrap_or_default();
    let answer = match explanation.answer() {
        Answer::Allowed => "ALLOWED",
        Answer::Denied => "DENIED",
        Answer::Partly => "PARTLY ALLOWED",
    };
    // One pair of endpoints is its own summary; several get one line above them.
    let several = explanation.pairs.len() != 1;
    if several {
        let _ = writeln!(text, "{} => {}{asked}: {answer}", explanation.source, explanation.destination);
        let (allowed, count) = (explanation.allowed_count, explanation.pair_count);
        let _ = writeln!(text, "  {allowed} of {count} pairs of endpoints allowed");
        if explanation.pairs.len() < count {
            let _ = writeln!(text, "  the first {} are explained, denied ones first", explanation.pairs.len());
        }
    }
    if explanation.pairs.is_empty() {
        let _ = writeln!(
            text,
            "  no pair of endpoints to explain: connections between two addresses outside the cluster are not policed"
        );
    }
    for pair in &explanation.pairs {
        let verdict = if pair.allowed { "ALLOWED" } else { "DENIED" };
        let separator = if several { "\n" } else { "" };
        let _ = writeln!(text, "{separator}{} => {}{asked}: {verdict}", pair.source, pair.destination);
        let _ = writeln!(text, "  allowed connections: {}", pair.connections);
        write_side(&mut text, "egress from", &pair.source, &pair.egress, line_text);
        write_side(&mut text, "ingress to", &pair.destination, &pair.ingress, line_text);
        if !pair.allowed {
            let denied_by: Vec<String> =
                [("egress from", &pair.source, &pair.egress), ("ingress to", &pair.destination, &pair.ingress)]
                    .into_iter()
                    .filter(|(_, _, side)| !side.passes())
                    .map(|(direction, name, _)| format!("the {direction} {name}"))
                    .collect();
            if denied_by.is_empty() {
                let _ = writeln!(text, "  denied: each side lets through connections the other does not");
            } else {
                let _ = writeln!(text, "  denied by {}", denied_by.join(" and "));
            }
            if let Some(fix) = &pair.fix {
                let _ = writeln!(text, "  to allow it:");
                for line in fix.lines() {
                    let _ = writeln!(text, "    {line}");
                }
            }
        }
    }
    text
}

fn write_side(
    text: &mut String,
    direction: &str,
    name: &str,
    side: &Side,
    line_text: &dyn Fn(&SourceLine) -> Option<String>,
) {
    match side {
        Side::Outside => {
            let _ = writeln!(text, "  {direction} {name}: outside the cluster, no policy applies");
        }
        Side::HostNetwork => {
            let _ = writeln!(text, "  {direction} {name}: on the host network, policies do not apply");
        }
        Side::Open => {
            let _ = writeln!(text, "  {direction} {name}: not isolated (no policy selects it), so open");
        }
        Side::Isolated { policies, admitting, other_ports, passes } => {
            let names: Vec<String> =
                policies.iter().map(|policy| format!("{} ({})", policy.name, policy.source)).collect();
            let _ = writeln!(text, "  {direction} {name}: isolated by {}", names.join(", "));
            for rule in admitting {
                let _ = writeln!(text, "    allowed by {}", rule_text(rule, "      ", line_text));
            }
            if !passes {
                let _ = writeln!(text, "    no rule allows it");
                if !other_ports.is_empty() {
                    let _ = writeln!(text, "    rules that admit the other end on other ports:");
                }
                for rule in other_ports {
                    let _ = writeln!(text, "      {}", rule_text(rule, "        ", line_text));
                }
            }
        }
    }
}

/// `shop/npg-web spec.egress[0]: TCP 8080 (from shop.npg:7: group web may reach api:8080)`.
fn rule_text(rule: &RuleReference, indent: &str, line_text: &dyn Fn(&SourceLine) -> Option<String>) -> String {
    let mut text = format!("{} {}: {}", rule.policy.name, rule.path, rule.connections);
    if rule.origins.is_empty() {
        let _ = write!(text, " ({})", rule.policy.source);
    }
    for origin in &rule.origins {
        match line_text(origin) {
            Some(line) => {
                let _ = write!(text, "\n{indent}from {origin}: {}", line.trim());
            }
            None => {
                let _ = write!(text, "\n{indent}from {origin}");
            }
        }
    }
    text
}

/// An explanation as JSON: `source`, `destination`, `asked`, `answer` (`allowed`,
/// `denied` or `partly allowed`) and per pair of endpoints both sides and the fix.
pub fn to_json(explanation: &Explanation) -> String {
    #[derive(serde::Serialize)]
    struct RuleJson {
        policy: String,
        path: String,
        connections: String,
        origins: Vec<String>,
        source: String,
    }
    #[derive(serde::Serialize)]
    struct SideJson {
        state: &'static str,
        policies: Vec<String>,
        admitting: Vec<RuleJson>,
        other_ports: Vec<RuleJson>,
        passes: bool,
    }
    #[derive(serde::Serialize)]
    struct PairJson {
        source: String,
        destination: String,
        allowed: bool,
        connections: String,
        egress: SideJson,
        ingress: SideJson,
        fix: Option<String>,
    }
    #[derive(serde::Serialize)]
    struct ExplanationJson {
        source: String,
        destination: String,
        asked: Option<String>,
        answer: &'static str,
        pair_count: usize,
        allowed_count: usize,
        pairs: Vec<PairJson>,
    }
    let rules = |rules: &[RuleReference]| {
        rules
            .iter()
            .map(|rule| RuleJson {
                policy: rule.policy.name.clone(),
                path: rule.path.clone(),
                connections: rule.connections.to_string(),
                origins: rule.origins.iter().map(ToString::to_string).collect(),
                source: rule.policy.source.to_string(),
            })
            .collect()
    };
    let side = |side: &Side| {
        let simple = |state| SideJson { state, policies: vec![], admitting: vec![], other_ports: vec![], passes: true };
        match side {
            Side::Outside => simple("outside"),
            Side::HostNetwork => simple("host-network"),
            Side::Open => simple("open"),
            Side::Isolated { policies, admitting, other_ports, passes } => SideJson {
                state: "isolated",
                policies: policies.iter().map(|policy| policy.name.clone()).collect(),
                admitting: rules(admitting),
                other_ports: rules(other_ports),
                passes: *passes,
            },
        }
    };
    let json = ExplanationJson {
        source: explanation.source.clone(),
        destination: explanation.destination.clone(),
        asked: explanation.asked.map(|asked| asked.to_string()),
        answer: match explanation.answer() {
            Answer::Allowed => "allowed",
            Answer::Denied => "denied",
            Answer::Partly => "partly allowed",
        },
        pair_count: explanation.pair_count,
        allowed_count: explanation.allowed_count,
        pairs: explanation
            .pairs
            .iter()
            .map(|pair| PairJson {
                source: pair.source.clone(),
                destination: pair.destination.clone(),
                allowed: pair.allowed,
                connections: pair.connections.to_string(),
                egress: side(&pair.egress),
                ingress: side(&pair.ingress),
                fix: pair.fix.clone(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{AddressBlock, LabelSelector, Port, PortSet, Requirement};
    use crate::reach::cluster::{Namespace, NamespaceScope, Peer, Policy, PolicyRule};
    use crate::reach::subjects;
    use crate::reach::test_cluster::{app, deployment};

    fn workload(namespace: &str, name: &str, app: &str) -> Workload {
        deployment(namespace, name, app, "k8s/apps.yaml")
    }

    fn tcp(port: u16) -> PortSet {
        PortSet::Only(vec![Port::Range { protocol: Protocol::Tcp, start: port, end: port }])
    }

    fn origin(line: u32) -> Vec<SourceLine> {
        vec![SourceLine { file: Arc::from("shop.npg"), line }]
    }

    /// `web` may reach `api` on 8080 (both halves written, as npg does); `db` is isolated for ingress with no rule.
    fn shop() -> Cluster {
        let deny = |name: &str| Policy {
            namespace: "shop".into(),
            name: name.into(),
            pod_selector: LabelSelector::everything(),
            ingress: Some(vec![]),
            egress: Some(vec![]),
            source: Arc::from("shop.npg"),
            managed_by_npg: false,
        };
        let web = Policy {
            namespace: "shop".into(),
            name: "npg-web".into(),
            pod_selector: app("web"),
            ingress: None,
            egress: Some(vec![PolicyRule {
                peers: Some(vec![Peer::Pods { namespaces: NamespaceScope::Own, pods: app("api") }]),
                ports: tcp(8080),
                origins: origin(7),
            }]),
            source: Arc::from("shop.npg"),
            managed_by_npg: false,
        };
        let api = Policy {
            namespace: "shop".into(),
            name: "npg-api".into(),
            pod_selector: app("api"),
            ingress: Some(vec![PolicyRule {
                peers: Some(vec![Peer::Pods { namespaces: NamespaceScope::Own, pods: app("web") }]),
                ports: tcp(8080),
                origins: origin(7),
            }]),
            egress: None,
            source: Arc::from("shop.npg"),
            managed_by_npg: false,
        };
        Cluster {
            namespaces: vec![Namespace { name: "shop".into(), labels: BTreeMap::new() }],
            workloads: vec![
                workload("shop", "api", "api"),
                workload("shop", "db", "db"),
                workload("shop", "web", "web"),
            ],
            policies: vec![api, deny("npg-default-deny"), web],
        }
    }

    fn subject(cluster: &Cluster, name: &str) -> Subject {
        subjects::resolve(cluster, subjects::Names::default(), name).unwrap()
    }

    fn explained(cluster: &Cluster, source: &str, destination: &str, style: FixStyle) -> (Explanation, String) {
        let (destination, asked) = split_target(destination).unwrap();
        let explanation =
            explain(cluster, &subject(cluster, source), &subject(cluster, &destination), asked, style, &[], None);
        let text = to_text(&explanation, &|line| (line.line == 7).then(|| "group web may reach api:8080".to_owned()));
        (explanation, text)
    }

    #[test]
    fn targets_split_into_name_port_and_protocol() {
        assert_eq!(
            split_target("api:8080").unwrap(),
            ("api".into(), Some(AskedPort { protocol: Protocol::Tcp, port: 8080 }))
        );
        assert_eq!(
            split_target("shop/dns[Pod]:53/UDP").unwrap().1,
            Some(AskedPort { protocol: Protocol::Udp, port: 53 })
        );
        assert_eq!(split_target("2001:db8::1").unwrap(), ("2001:db8::1".into(), None));
        assert_eq!(split_target("[2001:db8::1]:443").unwrap().0, "2001:db8::1");
        assert_eq!(split_target("api").unwrap(), ("api".into(), None));
        assert!(split_target("api:0").is_err());
        assert!(split_target("api:53/icmp").is_err());
    }

    #[test]
    fn an_allowed_connection_names_the_rules_and_npg_lines_on_both_sides() {
        let cluster = shop();
        let (explanation, text) = explained(&cluster, "shop/web", "shop/api:8080", FixStyle::Npg);
        assert_eq!(explanation.answer(), Answer::Allowed);
        expect_test::expect![[r#"
            shop/web[Deployment] => shop/api[Deployment] on TCP 8080: ALLOWED
              allowed connections: TCP 8080
              egress from shop/web[Deployment]: isolated by shop/npg-default-deny (shop.npg), shop/npg-web (shop.npg)
                allowed by shop/npg-web spec.egress[0]: TCP 8080
                  from shop.npg:7: group web may reach api:8080
              ingress to shop/api[Deployment]: isolated by shop/npg-api (shop.npg), shop/npg-default-deny (shop.npg)
                allowed by shop/npg-api spec.ingress[0]: TCP 8080
                  from shop.npg:7: group web may reach api:8080
        "#]]
        .assert_eq(&text);
    }

    #[test]
    fn many_pairs_are_counted_and_the_first_denied_ones_explained() {
        let pod = |app: &str, index: usize| Workload {
            namespace: "shop".into(),
            name: format!("{app}{index}"),
            kind: "Pod".into(),
            labels: BTreeMap::from([("app".to_owned(), app.to_owned()), ("index".to_owned(), index.to_string())]),
            ports: vec![],
            host_network: None,
            source: Arc::from("k8s/pods.yaml"),
        };
        let first =
            LabelSelector { requirements: vec![Requirement::Equals { key: "index".into(), value: "0".into() }] };
        let cluster = Cluster {
            namespaces: vec![],
            workloads: (0..4).map(|i| pod("a", i)).chain((0..4).map(|i| pod("b", i))).collect(),
            policies: vec![Policy {
                namespace: "shop".into(),
                name: "b-in".into(),
                pod_selector: app("b"),
                ingress: Some(vec![PolicyRule {
                    peers: Some(vec![Peer::Pods { namespaces: NamespaceScope::Own, pods: first }]),
                    ports: tcp(80),
                    origins: vec![],
                }]),
                egress: None,
                source: Arc::from("k8s/policies.yaml"),
                managed_by_npg: false,
            }],
        };
        let subject = |name: &str, range: std::ops::Range<usize>| Subject {
            name: name.into(),
            kind: SubjectKind::Workloads,
            endpoints: range.map(Endpoint::Workload).collect(),
        };
        let (a, b) = (subject("a", 0..4), subject("b", 4..8));
        let connectivity = Connectivity::of(&cluster);
        for known in [None, Some(&connectivity)] {
            let explanation = explain(&cluster, &a, &b, None, FixStyle::Yaml, &[], known);
            assert_eq!((explanation.pair_count, explanation.allowed_count), (16, 4));
            assert_eq!(explanation.answer(), Answer::Partly);
            assert_eq!(explanation.pairs.len(), DETAILED_PAIRS);
            assert!(explanation.pairs.iter().all(|pair| !pair.allowed));
            let text = to_text(&explanation, &|_| None);
            assert!(text.starts_with("a => b: PARTLY ALLOWED\n  4 of 16 pairs of endpoints allowed\n  the first 10 are explained, denied ones first\n"), "{text}");
        }
    }

    #[test]
    fn json_carries_the_answer_both_sides_and_the_fix() {
        let cluster = shop();
        let (explanation, _) = explained(&cluster, "shop/web", "shop/api:9090", FixStyle::Yaml);
        let json: serde_json::Value = serde_json::from_str(&to_json(&explanation)).unwrap();
        assert_eq!(json["answer"], "denied");
        assert_eq!(json["asked"], "TCP 9090");
        assert_eq!(json["pairs"][0]["egress"]["state"], "isolated");
        assert_eq!(json["pairs"][0]["egress"]["other_ports"][0]["origins"][0], "shop.npg:7");
        assert!(json["pairs"][0]["fix"].as_str().unwrap().starts_with("add to spec.egress of shop/npg-web"));
    }

    #[test]
    fn a_denied_port_says_which_side_denies_and_what_the_rules_allow_instead() {
        let cluster = shop();
        let (explanation, text) = explained(&cluster, "shop/web", "shop/api:9090", FixStyle::Yaml);
        assert_eq!(explanation.answer(), Answer::Denied);
        expect_test::expect![[r#"
            shop/web[Deployment] => shop/api[Deployment] on TCP 9090: DENIED
              allowed connections: TCP 8080
              egress from shop/web[Deployment]: isolated by shop/npg-default-deny (shop.npg), shop/npg-web (shop.npg)
                no rule allows it
                rules that admit the other end on other ports:
                  shop/npg-web spec.egress[0]: TCP 8080
                    from shop.npg:7: group web may reach api:8080
              ingress to shop/api[Deployment]: isolated by shop/npg-api (shop.npg), shop/npg-default-deny (shop.npg)
                no rule allows it
                rules that admit the other end on other ports:
                  shop/npg-api spec.ingress[0]: TCP 8080
                    from shop.npg:7: group web may reach api:8080
              denied by the egress from shop/web[Deployment] and the ingress to shop/api[Deployment]
              to allow it:
                add to spec.egress of shop/npg-web (shop.npg):
                  - to:
                      - podSelector:
                          matchLabels:
                            app: api
                    ports:
                      - protocol: TCP
                        port: 9090
                add to spec.ingress of shop/npg-api (shop.npg):
                  - from:
                      - podSelector:
                          matchLabels:
                            app: web
                    ports:
                      - protocol: TCP
                        port: 9090
        "#]]
        .assert_eq(&text);
    }

    #[test]
    fn an_open_side_and_an_address_outside_the_cluster() {
        let mut cluster = shop();
        cluster.policies.retain(|policy| policy.name == "npg-api");
        cluster.policies[0].ingress.as_mut().unwrap().push(PolicyRule {
            peers: Some(vec![Peer::Addresses(AddressBlock {
                cidr: "203.0.113.0/24".parse().unwrap(),
                except: vec![],
            })]),
            ports: tcp(443),
            origins: vec![],
        });
        let (explanation, text) = explained(&cluster, "203.0.113.9", "shop/api:443", FixStyle::Yaml);
        assert_eq!(explanation.answer(), Answer::Allowed);
        assert!(text.contains("egress from 203.0.113.9-203.0.113.9: outside the cluster, no policy applies"), "{text}");
        assert!(text.contains("allowed by shop/npg-api spec.ingress[1]: TCP 443 (shop.npg)"), "{text}");
        let (_, text) = explained(&cluster, "shop/api", "shop/web:80", FixStyle::Yaml);
        assert!(
            text.contains("egress from shop/api[Deployment]: not isolated (no policy selects it), so open"),
            "{text}"
        );
    }

    #[test]
    fn a_wide_address_is_cut_into_the_pieces_the_policies_tell_apart() {
        let mut cluster = shop();
        cluster.policies.retain(|policy| policy.name == "npg-api");
        cluster.policies[0].ingress.as_mut().unwrap().push(PolicyRule {
            peers: Some(vec![Peer::Addresses(AddressBlock { cidr: "10.0.0.0/24".parse().unwrap(), except: vec![] })]),
            ports: PortSet::All,
            origins: vec![],
        });
        let (explanation, _) = explained(&cluster, "10.0.0.0/16", "shop/api", FixStyle::Yaml);
        assert_eq!(explanation.answer(), Answer::Partly);
        let answers: Vec<(String, bool)> =
            explanation.pairs.iter().map(|pair| (pair.source.clone(), pair.allowed)).collect();
        assert_eq!(answers, [("10.0.0.0-10.0.0.255".to_owned(), true), ("10.0.1.0-10.0.255.255".to_owned(), false)]);
        assert_eq!(
            explanation.pairs[1].fix.as_deref(),
            Some(
                "add to spec.ingress of shop/npg-api (shop.npg):\n  - from:\n      - ipBlock:\n          cidr: 10.0.1.0/24\n      - ipBlock:\n          cidr: 10.0.2.0/23\n      - ipBlock:\n          cidr: 10.0.4.0/22\n      - ipBlock:\n          cidr: 10.0.8.0/21\n      - ipBlock:\n          cidr: 10.0.16.0/20\n      - ipBlock:\n          cidr: 10.0.32.0/19\n      - ipBlock:\n          cidr: 10.0.64.0/18\n      - ipBlock:\n          cidr: 10.0.128.0/17\n"
            )
        );
    }

    #[test]
    fn a_denied_connection_between_groups_suggests_an_npg_rule() {
        let cluster = shop();
        let web = Subject {
            name: "shop/web".into(),
            kind: SubjectKind::Group { name: "web".into() },
            endpoints: vec![Endpoint::Workload(2)],
        };
        let db = Subject {
            name: "shop/db".into(),
            kind: SubjectKind::Group { name: "db".into() },
            endpoints: vec![Endpoint::Workload(1)],
        };
        let asked = Some(AskedPort { protocol: Protocol::Udp, port: 5432 });
        let explanation = explain(&cluster, &web, &db, asked, FixStyle::Npg, &[], None);
        assert_eq!(explanation.pairs[0].fix.as_deref(), Some("group web may reach db:5432/udp"));
        let outside = Subject {
            name: "203.0.113.0-203.0.113.255".into(),
            kind: SubjectKind::Addresses,
            endpoints: vec![Endpoint::Addresses(AddressRange::V4(0xCB00_7100, 0xCB00_71FF))],
        };
        let explanation = explain(
            &cluster,
            &web,
            &outside,
            Some(AskedPort { protocol: Protocol::Tcp, port: 443 }),
            FixStyle::Npg,
            &[],
            None,
        );
        assert_eq!(
            explanation.pairs[0].fix.as_deref(),
            Some("network net-203-0-113-0-24 = 203.0.113.0/24\ngroup web may reach net-203-0-113-0-24:443")
        );
        // A workload no group selects gets a group declared for it.
        let api = subject(&cluster, "shop/api");
        let explanation = explain(&cluster, &api, &db, None, FixStyle::Npg, &[], None);
        assert_eq!(
            explanation.pairs[0].fix.as_deref(),
            Some("group api in shop = app=api\ngroup shop/api may reach db")
        );
    }
}
