//! Assembly: the files' drafts joined into one [`Model`] with ids, declared ports
//! expanded, owners resolved, built-ins added; and the checks that need the whole
//! program (unused declarations, cyclic ports, DNS reachability).

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

use ipnet::IpNet;

use super::{FileCheck, PortPiece, RulePorts, check_file};
use crate::db::{self, Db, Program};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::{
    AddressBlock, Assertion, AssertionSource, BuiltinGroup, Endpoint, Group, GroupId, Model, Network, NetworkId,
    Placement, Port, PortSet, Rule, TeamId,
};
use crate::resolve::{self, DeclKey, Kind};

/// The assembled model and the program-wide diagnostics found on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Assembly {
    pub model: Arc<Model>,
    /// Kept apart from the model, so that editing an assertion does not lower the
    /// program again.
    pub assertions: Arc<Vec<Assertion>>,
    /// Where each group's name and each rule's target are written, index for
    /// index with the model's groups (none for built-ins) and rules.
    pub locations: Arc<Locations>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Spans of the model's groups and rules, kept apart from the model so that an
/// edit that moves text within a line does not change it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Locations {
    pub groups: Vec<Option<Location>>,
    pub rules: Vec<Location>,
}

#[salsa::tracked(returns(ref))]
pub fn assemble(db: &dyn Db, program: Program) -> Assembly {
    let checks: Vec<&FileCheck> =
        db::sorted_files(db, program).iter().map(|&file| check_file(db, program, file)).collect();
    let mut assembler = Assembler::default();
    assembler.run(&checks);
    Assembly {
        model: Arc::new(assembler.model),
        assertions: Arc::new(assembler.assertions),
        locations: Arc::new(assembler.locations),
        diagnostics: assembler.diagnostics,
    }
}

#[derive(Default)]
struct Assembler {
    model: Model,
    assertions: Vec<Assertion>,
    locations: Locations,
    diagnostics: Vec<Diagnostic>,
    group_ids: FxHashMap<DeclKey, GroupId>,
    network_ids: FxHashMap<String, NetworkId>,
    team_ids: FxHashMap<String, TeamId>,
}

impl Assembler {
    fn run(&mut self, checks: &[&FileCheck]) {
        self.teams(checks);
        self.namespaces(checks);
        self.groups(checks);
        self.networks(checks);
        let ports = self.expand_ports(checks);
        self.rules(checks, &ports);
        self.assertions(checks, &ports);
        self.unused(checks);
        self.dns_reachability(checks);
    }

    fn teams(&mut self, checks: &[&FileCheck]) {
        let mut teams: BTreeMap<String, crate::model::Team> = BTreeMap::new();
        for team in checks.iter().flat_map(|check| &check.teams) {
            teams.entry(team.name.clone()).or_insert_with(|| team.clone());
        }
        for (index, (name, team)) in teams.into_iter().enumerate() {
            self.team_ids.insert(name, TeamId(id(index)));
            self.model.teams.push(team);
        }
    }

    fn team(&self, name: Option<&String>) -> Option<TeamId> {
        name.and_then(|name| self.team_ids.get(name).copied())
    }

    fn namespaces(&mut self, checks: &[&FileCheck]) {
        let mut namespaces = BTreeMap::new();
        for draft in checks.iter().flat_map(|check| &check.namespaces) {
            let mut namespace = draft.namespace.clone();
            namespace.owner = self.team(draft.owner.as_ref());
            namespaces.entry(namespace.name.clone()).or_insert(namespace);
        }
        self.model.namespaces = namespaces.into_values().collect();
    }

    fn groups(&mut self, checks: &[&FileCheck]) {
        let mut groups: BTreeMap<DeclKey, (Group, Option<Location>)> =
            builtin_groups().into_iter().map(|(key, group)| (key, (group, None))).collect();
        for draft in checks.iter().flat_map(|check| &check.groups) {
            let mut group = draft.group.clone();
            group.owner = self.team(draft.owner.as_ref());
            groups.entry(draft.key.clone()).or_insert((group, Some(draft.name.clone())));
        }
        for (index, (key, (group, location))) in groups.into_iter().enumerate() {
            self.group_ids.insert(key, GroupId(id(index)));
            self.model.groups.push(group);
            self.locations.groups.push(location);
        }
    }

    fn networks(&mut self, checks: &[&FileCheck]) {
        let mut networks: BTreeMap<String, Network> = BTreeMap::new();
        networks.insert("world".to_owned(), world());
        for network in checks.iter().flat_map(|check| &check.networks) {
            networks.entry(network.name.clone()).or_insert_with(|| network.clone());
        }
        for (index, (name, network)) in networks.into_iter().enumerate() {
            self.network_ids.insert(name, NetworkId(id(index)));
            self.model.networks.push(network);
        }
    }

    /// Every declared port with its pieces expanded; a cycle is reported once per
    /// declaration on it, and those declarations are left out.
    fn expand_ports(&mut self, checks: &[&FileCheck]) -> BTreeMap<String, Vec<Port>> {
        let mut declared: BTreeMap<&str, &super::PortDraft> = BTreeMap::new();
        for draft in checks.iter().flat_map(|check| &check.ports) {
            declared.entry(draft.name.as_str()).or_insert(draft);
        }
        let mut expanded = BTreeMap::new();
        for (&name, draft) in &declared {
            let mut visiting = vec![name];
            match expand(&declared, &draft.pieces, &mut visiting) {
                Ok(ports) => {
                    expanded.insert(name.to_owned(), ports);
                }
                Err(cycle) => {
                    let diagnostic = Diagnostic::new(
                        Code::CyclicPort,
                        draft.location.clone(),
                        format!("port `{name}` is defined in terms of itself: {}", cycle.join(" → ")),
                    )
                    .with_help("give one of these ports numbers instead of names");
                    self.diagnostics.push(diagnostic);
                }
            }
        }
        expanded
    }

    fn endpoint(&self, key: &DeclKey) -> Option<Endpoint> {
        match key.kind {
            Kind::Group => self.group_ids.get(key).copied().map(Endpoint::Group),
            Kind::Network => self.network_ids.get(&*key.name).copied().map(Endpoint::Network),
            Kind::Namespace | Kind::Team | Kind::Port => None,
        }
    }

    fn rules(&mut self, checks: &[&FileCheck], ports: &BTreeMap<String, Vec<Port>>) {
        let mut rules = Vec::new();
        for draft in checks.iter().flat_map(|check| &check.rules) {
            let (Some(source), Some(target)) = (self.endpoint(&draft.source), self.endpoint(&draft.target)) else {
                continue;
            };
            let Some(port_set) = expand_rule_ports(&draft.ports, ports) else {
                continue;
            };
            if let (Endpoint::Network(_), PortSet::Only(list)) = (target, &port_set)
                && let Some(Port::Named { name, .. }) = list.iter().find(|port| matches!(port, Port::Named { .. }))
            {
                let diagnostic = Diagnostic::new(
                    Code::InvalidRule,
                    draft.target_location.clone(),
                    format!(
                        "port name `{name}` means nothing for network `{}`: only pods have named ports",
                        draft.target.name
                    ),
                )
                .with_help("give the port number");
                self.diagnostics.push(diagnostic);
                continue;
            }
            rules.push(Rule { source, target, ports: port_set, origin: draft.origin.clone() });
            self.locations.rules.push(draft.target_location.clone());
        }
        self.model.rules = rules;
    }

    fn assertions(&mut self, checks: &[&FileCheck], ports: &BTreeMap<String, Vec<Port>>) {
        for draft in checks.iter().flat_map(|check| &check.assertions) {
            let Some(target) = self.endpoint(&draft.target) else { continue };
            let Some(ports) = expand_rule_ports(&draft.ports, ports) else { continue };
            let sources: Option<Vec<AssertionSource>> = draft
                .sources
                .iter()
                .map(|key| match key.kind {
                    Kind::Namespace => Some(AssertionSource::Namespace(key.name.to_string())),
                    _ => self.endpoint(key).map(AssertionSource::Endpoint),
                })
                .collect();
            let Some(sources) = sources else { continue };
            if matches!(target, Endpoint::Network(_))
                && let PortSet::Only(list) = &ports
                && list.iter().any(|port| matches!(port, Port::Named { .. }))
            {
                let diagnostic = Diagnostic::new(
                    Code::InvalidRule,
                    draft.location.clone(),
                    format!("network `{}` has no named ports: only pods have them", draft.target.name),
                )
                .with_help("give the port number");
                self.diagnostics.push(diagnostic);
                continue;
            }
            self.assertions.push(Assertion {
                kind: draft.kind,
                sources,
                target,
                ports,
                location: draft.location.clone(),
            });
        }
    }

    fn unused(&mut self, checks: &[&FileCheck]) {
        let used: FxHashSet<&DeclKey> = checks.iter().flat_map(|check| &check.references).collect();
        for (key, location) in checks.iter().flat_map(|check| &check.declarations) {
            if key.kind == Kind::Namespace || used.contains(key) {
                continue;
            }
            let what = match key.kind {
                Kind::Group => "is in no rule or assertion",
                Kind::Team => "owns nothing",
                Kind::Port | Kind::Network => "is never used",
                Kind::Namespace => continue,
            };
            let diagnostic = Diagnostic::new(
                Code::UnusedDeclaration,
                location.clone(),
                format!("{} `{}` {what}", key.kind, key.display_name()),
            )
            .with_label("declared here, used nowhere")
            .with_help("remove it, or use it");
            self.diagnostics.push(diagnostic);
        }
    }

    /// Warns about groups in egress-isolated namespaces whose rules let them reach
    /// something but not the cluster DNS.
    fn dns_reachability(&mut self, checks: &[&FileCheck]) {
        let dns_targets: BTreeSet<Endpoint> = ["kube-dns", "cluster"]
            .into_iter()
            .filter_map(resolve::builtin_named)
            .filter_map(|key| self.endpoint(&key))
            .collect();
        let mut with_egress: BTreeSet<Endpoint> = BTreeSet::new();
        let mut with_dns: BTreeSet<Endpoint> = BTreeSet::new();
        for rule in &self.model.rules {
            with_egress.insert(rule.source);
            if dns_targets.contains(&rule.target) {
                with_dns.insert(rule.source);
            }
        }
        for draft in checks.iter().flat_map(|check| &check.groups) {
            let Some(endpoint) = self.endpoint(&draft.key) else {
                continue;
            };
            if !with_egress.contains(&endpoint) || with_dns.contains(&endpoint) {
                continue;
            }
            // The first managed namespace the group lives in that isolates egress.
            let isolating = self.model.namespaces.iter().find(|namespace| {
                namespace.isolate_egress
                    && match &draft.group.placement {
                        Placement::Namespace(name) => *name == namespace.name,
                        Placement::Namespaces(selector) => selector.matches(&namespace.all_labels()),
                        Placement::Any => true,
                    }
            });
            let Some(namespace) = isolating.map(|namespace| namespace.name.clone()) else {
                continue;
            };
            let name = draft.key.display_name();
            let diagnostic = Diagnostic::new(
                Code::NoDnsEgress,
                draft.name.clone(),
                format!("group `{name}` cannot reach DNS: namespace `{namespace}` isolates egress and no rule lets it reach `kube-dns`"),
            )
            .with_label("names will not resolve from these pods")
            .with_help(format!("add `group {name} may reach kube-dns`"));
            self.diagnostics.push(diagnostic);
        }
    }
}

/// A rule's or assertion's ports with declared port names expanded; `None` when
/// a name could not be expanded (its error is reported where it is declared).
fn expand_rule_ports(ports: &RulePorts, declared: &BTreeMap<String, Vec<Port>>) -> Option<PortSet> {
    match ports {
        RulePorts::All => Some(PortSet::All),
        RulePorts::Pieces(pieces) => {
            let mut list = Vec::new();
            for piece in pieces {
                match piece {
                    PortPiece::Port(port) => list.push(port.clone()),
                    PortPiece::Declared(name) => list.extend(declared.get(name)?.iter().cloned()),
                }
            }
            PortSet::only(list)
        }
    }
}

fn id(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Expands declared port names, failing with the cycle's names on a cycle.
fn expand<'a>(
    declared: &BTreeMap<&'a str, &'a super::PortDraft>,
    pieces: &'a [PortPiece],
    visiting: &mut Vec<&'a str>,
) -> Result<Vec<Port>, Vec<String>> {
    let mut ports = Vec::new();
    for piece in pieces {
        match piece {
            PortPiece::Port(port) => ports.push(port.clone()),
            PortPiece::Declared(name) => {
                if visiting.contains(&name.as_str()) {
                    let mut cycle: Vec<String> = visiting.iter().map(|name| (*name).to_owned()).collect();
                    cycle.push(name.clone());
                    return Err(cycle);
                }
                let Some(draft) = declared.get(name.as_str()) else {
                    continue;
                };
                visiting.push(&draft.name);
                ports.extend(expand(declared, &draft.pieces, visiting)?);
                visiting.pop();
            }
        }
    }
    Ok(ports)
}

fn builtin_groups() -> BTreeMap<DeclKey, Group> {
    let mut groups = BTreeMap::new();
    groups.insert(DeclKey::group(Some(resolve::KUBE_SYSTEM), "kube-dns"), Group::builtin(BuiltinGroup::KubeDns));
    groups.insert(DeclKey::group(None, "cluster"), Group::builtin(BuiltinGroup::Cluster));
    groups
}

fn world() -> Network {
    let blocks = [IpNet::V4(ipnet::Ipv4Net::default()), IpNet::V6(ipnet::Ipv6Net::default())]
        .into_iter()
        .map(|cidr| AddressBlock { cidr, except: Vec::new() })
        .collect();
    Network { name: "world".to_owned(), blocks, builtin: true, source: None }
}
