//! Reachability warnings of `npg check`: a rule that allows nothing other rules do
//! not already allow (NPG0505), and two groups that can select the same pod
//! (NPG0506). Groups are compared through an index by namespace and label.

use std::collections::{BTreeMap, BTreeSet};

use super::addresses::AddressSet;
use super::cluster::Namespace;
use super::connections::ConnectionSet;
use super::program::{group_namespaces, labels_matching, program_namespaces};
use crate::check::Locations;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    BuiltinGroup, Endpoint, Group, GroupId, LabelSelector, Model, Network, Placement, Port, PortSet, Protocol,
    Requirement,
};

/// NPG0505 and NPG0506 for the whole program, in no particular order.
pub fn reachability_warnings(model: &Model, locations: &Locations) -> Vec<Diagnostic> {
    let namespaces = program_namespaces(model);
    let index = GroupIndex::new(model, &namespaces);
    let mut warnings = implied_rules(model, locations, &index);
    warnings.extend(overlapping_groups(model, locations, &index));
    warnings
}

/// The groups of each namespace, found by the `k=v` their selector starts with.
struct GroupIndex<'m> {
    model: &'m Model,
    /// Per group id: the names of the known namespaces it lives in.
    homes: Vec<BTreeSet<&'m str>>,
    by_namespace: BTreeMap<&'m str, NamespaceGroups<'m>>,
}

/// The groups living in one namespace.
#[derive(Default)]
struct NamespaceGroups<'m> {
    /// By the first `k=v` of the selector: key, then value.
    anchored: BTreeMap<&'m str, BTreeMap<&'m str, Vec<GroupId>>>,
    /// Groups whose selector has no `k=v`.
    loose: Vec<GroupId>,
}

impl<'m> GroupIndex<'m> {
    fn new(model: &'m Model, namespaces: &'m [Namespace]) -> GroupIndex<'m> {
        let mut homes = Vec::with_capacity(model.groups.len());
        let mut by_namespace: BTreeMap<&'m str, NamespaceGroups<'m>> = BTreeMap::new();
        for (index, group) in model.groups.iter().enumerate() {
            let id = GroupId(u32::try_from(index).unwrap_or(u32::MAX));
            let mut names: BTreeSet<&str> =
                group_namespaces(group, namespaces).into_iter().map(|n| n.name.as_str()).collect();
            // `cluster` is every pod, wherever; `in any` too, in namespaces npg does not know.
            if group.builtin == Some(BuiltinGroup::Cluster) {
                names.clear();
            }
            for name in &names {
                let entry = by_namespace.entry(name).or_default();
                match anchor(&group.selector) {
                    Some((key, value)) => entry.anchored.entry(key).or_default().entry(value).or_default().push(id),
                    None => entry.loose.push(id),
                }
            }
            homes.push(names);
        }
        GroupIndex { model, homes, by_namespace }
    }

    fn homes(&self, group: GroupId) -> Option<&BTreeSet<&'m str>> {
        self.homes.get(group.0 as usize)
    }

    /// Groups of `namespace` that could select every pod `selector` selects: their
    /// first `k=v` must be one `selector` requires.
    fn could_cover(&self, namespace: &str, selector: &LabelSelector) -> Vec<GroupId> {
        let Some(groups) = self.by_namespace.get(namespace) else { return Vec::new() };
        let mut found = groups.loose.clone();
        for requirement in &selector.requirements {
            if let Requirement::Equals { key, value } = requirement
                && let Some(ids) = groups.anchored.get(key.as_str()).and_then(|values| values.get(value.as_str()))
            {
                found.extend(ids);
            }
        }
        found
    }

    /// Groups of `namespace` that could select a pod `selector` selects: their
    /// first `k=v` must be a value `selector` admits for that key.
    fn could_overlap(&self, namespace: &str, selector: &LabelSelector) -> Vec<GroupId> {
        let Some(groups) = self.by_namespace.get(namespace) else { return Vec::new() };
        let mut found = groups.loose.clone();
        for (key, values) in &groups.anchored {
            match admitted_values(selector, key) {
                Some(admitted) => {
                    found.extend(admitted.iter().filter_map(|value| values.get(*value)).flatten());
                }
                None => found.extend(values.values().flatten()),
            }
        }
        found
    }
}

/// The first `k=v` requirement of a selector (requirements are sorted).
fn anchor(selector: &LabelSelector) -> Option<(&str, &str)> {
    selector.requirements.iter().find_map(|requirement| match requirement {
        Requirement::Equals { key, value } => Some((key.as_str(), value.as_str())),
        _ => None,
    })
}

/// The values a selector allows for `key` when it names them (`k=v`, `k in (...)`);
/// `None` when it allows any value or none at all.
fn admitted_values<'s>(selector: &'s LabelSelector, key: &str) -> Option<BTreeSet<&'s str>> {
    let mut admitted: Option<BTreeSet<&str>> = None;
    for requirement in selector.requirements.iter().filter(|requirement| requirement.key() == key) {
        let values: BTreeSet<&str> = match requirement {
            Requirement::Equals { value, .. } => BTreeSet::from([value.as_str()]),
            Requirement::In { values, .. } => values.iter().map(String::as_str).collect(),
            _ => continue,
        };
        admitted = Some(match admitted {
            Some(before) => &before & &values,
            None => values,
        });
    }
    admitted
}

/// Whether every pod `narrow` selects is selected by `wide` (requirement by
/// requirement: each of `wide`'s follows from those of `narrow` on its key).
pub fn selector_implies(narrow: &LabelSelector, wide: &LabelSelector) -> bool {
    wide.requirements.iter().all(|wanted| {
        let key = wanted.key();
        let on_key: Vec<&Requirement> = narrow.requirements.iter().filter(|r| r.key() == key).collect();
        let absent = on_key.iter().any(|r| matches!(r, Requirement::DoesNotExist { .. }));
        let mut admitted: Option<BTreeSet<&String>> = None;
        let mut excluded: BTreeSet<&String> = BTreeSet::new();
        let mut present = false;
        for requirement in &on_key {
            match requirement {
                Requirement::Equals { value, .. } => {
                    let only = BTreeSet::from([value]);
                    admitted = Some(admitted.map_or(only.clone(), |set| &set & &only));
                }
                Requirement::In { values, .. } => {
                    let these: BTreeSet<&String> = values.iter().collect();
                    admitted = Some(admitted.map_or(these.clone(), |set| &set & &these));
                }
                Requirement::NotEquals { value, .. } => {
                    excluded.insert(value);
                }
                Requirement::NotIn { values, .. } => excluded.extend(values),
                Requirement::Exists { .. } => present = true,
                Requirement::DoesNotExist { .. } => {}
            }
        }
        let admitted: Option<BTreeSet<&String>> = admitted.map(|set| &set - &excluded);
        match wanted {
            Requirement::Equals { value, .. } => admitted.is_some_and(|set| set.len() == 1 && set.contains(value)),
            Requirement::In { values, .. } => admitted.is_some_and(|set| set.iter().all(|v| values.contains(*v))),
            Requirement::Exists { .. } => admitted.is_some() || present,
            Requirement::DoesNotExist { .. } => absent,
            Requirement::NotEquals { value, .. } => {
                absent || excluded.contains(value) || admitted.is_some_and(|set| !set.contains(value))
            }
            Requirement::NotIn { values, .. } => {
                absent
                    || values.iter().all(|value| excluded.contains(value))
                    || admitted.is_some_and(|set| set.iter().all(|v| !values.contains(*v)))
            }
        }
    })
}

/// Whether group `wide` selects every pod of group `narrow`.
fn group_covers(index: &GroupIndex, narrow: GroupId, wide: GroupId) -> bool {
    if narrow == wide {
        return true;
    }
    let (Some(narrow_group), Some(wide_group)) = (index.model.group(narrow), index.model.group(wide)) else {
        return false;
    };
    if wide_group.builtin == Some(BuiltinGroup::Cluster) || matches!(wide_group.placement, Placement::Any) {
        return selector_implies(&narrow_group.selector, &wide_group.selector);
    }
    if narrow_group.builtin == Some(BuiltinGroup::Cluster) || matches!(narrow_group.placement, Placement::Any) {
        return false;
    }
    let (Some(narrow_homes), Some(wide_homes)) = (index.homes(narrow), index.homes(wide)) else { return false };
    let same_placement = narrow_group.placement == wide_group.placement;
    (same_placement || (narrow_homes.is_subset(wide_homes) && !narrow_homes.is_empty()))
        && selector_implies(&narrow_group.selector, &wide_group.selector)
}

/// A network's addresses, all blocks together.
fn network_addresses(network: &Network) -> AddressSet {
    let mut set = AddressSet::default();
    for block in &network.blocks {
        for range in AddressSet::of_block(block).ranges() {
            set.insert(range);
        }
    }
    set
}

/// Ports as numbered connections and names; `None` for every port.
fn port_parts(ports: &PortSet) -> Option<(ConnectionSet, BTreeSet<(Protocol, &str)>)> {
    let PortSet::Only(ports) = ports else { return None };
    let mut numbered = ConnectionSet::none();
    let mut names = BTreeSet::new();
    for port in ports {
        match port {
            Port::Range { protocol, start, end } => numbered.add(*protocol, *start, *end),
            Port::Named { protocol, name } => {
                names.insert((*protocol, name.as_str()));
            }
        }
    }
    Some((numbered, names))
}

/// Whether two port sets share a port.
fn ports_meet(a: &PortSet, b: &PortSet) -> bool {
    match (port_parts(a), port_parts(b)) {
        (Some((a_numbers, a_names)), Some((b_numbers, b_names))) => {
            !a_numbers.intersection(&b_numbers).is_empty() || !a_names.is_disjoint(&b_names)
        }
        _ => true,
    }
}

/// NPG0505: rules whose every connection other rules (or `allow internal`)
/// already allow. Rules are looked at from the last one back, and a rule reported
/// is not counted as implying others, so that of two equal rules the later is
/// reported, and removing every reported rule changes nothing.
fn implied_rules(model: &Model, locations: &Locations, index: &GroupIndex) -> Vec<Diagnostic> {
    let mut by_source: BTreeMap<Endpoint, Vec<usize>> = BTreeMap::new();
    for (position, rule) in model.rules.iter().enumerate() {
        by_source.entry(rule.source).or_default().push(position);
    }
    let dns_id = model.groups.iter().position(|group| group.builtin == Some(BuiltinGroup::KubeDns));
    let is_kube_dns = |endpoint: Endpoint| matches!(endpoint, Endpoint::Group(id) if Some(id.0 as usize) == dns_id);
    let cluster_id = model.groups.iter().position(|group| group.builtin == Some(BuiltinGroup::Cluster));
    let is_cluster = |endpoint: Endpoint| matches!(endpoint, Endpoint::Group(id) if Some(id.0 as usize) == cluster_id);
    let network_sets: Vec<AddressSet> = model.networks.iter().map(network_addresses).collect();
    let covers = |narrow: Endpoint, wide: Endpoint| match (narrow, wide) {
        (Endpoint::Group(narrow), Endpoint::Group(wide)) => group_covers(index, narrow, wide),
        (Endpoint::Network(narrow), Endpoint::Network(wide)) => {
            let (Some(narrow), Some(wide)) = (network_sets.get(narrow.0 as usize), network_sets.get(wide.0 as usize))
            else {
                return false;
            };
            narrow.ranges().all(|range| wide.covers(range))
        }
        _ => false,
    };
    let everywhere: Vec<GroupId> = (0..model.groups.len())
        .filter_map(|position| {
            let group = model.groups.get(position)?;
            let wide = group.builtin == Some(BuiltinGroup::Cluster) || matches!(group.placement, Placement::Any);
            wide.then(|| GroupId(u32::try_from(position).unwrap_or(u32::MAX)))
        })
        .collect();
    // The endpoints that could cover each source: the same, and groups found by
    // the index or placed in every namespace; networks that contain it.
    let covering_sources = |source: Endpoint| -> Vec<Endpoint> {
        match source {
            Endpoint::Group(id) => {
                let mut candidates: BTreeSet<GroupId> = BTreeSet::from([id]);
                if let (Some(group), Some(homes)) = (model.group(id), index.homes(id)) {
                    for home in homes {
                        candidates.extend(index.could_cover(home, &group.selector));
                    }
                }
                candidates.extend(everywhere.iter().copied());
                candidates.into_iter().map(Endpoint::Group).filter(|wide| covers(source, *wide)).collect()
            }
            Endpoint::Network(_) => (0..model.networks.len())
                .map(|position| Endpoint::Network(crate::model::NetworkId(u32::try_from(position).unwrap_or(u32::MAX))))
                .filter(|wide| covers(source, *wide))
                .collect(),
        }
    };
    let mut source_cover_cache: BTreeMap<Endpoint, Vec<Endpoint>> = BTreeMap::new();
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    let mut warnings = Vec::new();
    for (position, rule) in model.rules.iter().enumerate().rev() {
        if rule.ports.is_empty() {
            continue;
        }
        let Some(location) = locations.rules.get(position) else { continue };
        // Every group with egress rules is asked for its own rule to DNS (NPG0504),
        // so those rules are never reported as implied.
        if is_kube_dns(rule.target) {
            continue;
        }
        if let Some(namespace) = internal_namespace(model, rule.source, rule.target) {
            let diagnostic = Diagnostic::new(
                Code::ImpliedRule,
                location.clone(),
                format!(
                    "this rule adds nothing: namespace `{}` already allows every connection inside it",
                    namespace.0
                ),
            )
            .with_label("already allowed by `allow internal`")
            .with_help(format!(
                "remove this target: `allow internal` in namespace `{}` (declared at {}) allows it",
                namespace.0, namespace.1
            ));
            warnings.push(diagnostic);
            reported.insert(position);
            continue;
        }
        let sources = source_cover_cache.entry(rule.source).or_insert_with(|| covering_sources(rule.source)).clone();
        let mut implying: Vec<usize> = Vec::new();
        let mut covered = PortSet::Only(Vec::new());
        let mut covered_all = false;
        for source in sources {
            for &other_position in by_source.get(&source).into_iter().flatten() {
                if other_position == position || reported.contains(&other_position) {
                    continue;
                }
                let Some(other) = model.rules.get(other_position) else { continue };
                let halves_kept = (!is_cluster(other.source) || is_cluster(rule.source))
                    && (!is_cluster(other.target) || is_cluster(rule.target));
                if !halves_kept || !covers(rule.target, other.target) || !ports_meet(&rule.ports, &other.ports) {
                    continue;
                }
                implying.push(other_position);
                match &other.ports {
                    PortSet::All => covered_all = true,
                    ports => covered = covered.union(ports),
                }
            }
        }
        if implying.is_empty() || !(covered_all || port_subset(&rule.ports, &covered)) {
            continue;
        }
        implying.sort_unstable();
        let lines: Vec<String> = implying
            .iter()
            .filter_map(|other| model.rules.get(*other))
            .map(|other| other.origin.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut diagnostic = Diagnostic::new(
            Code::ImpliedRule,
            location.clone(),
            format!(
                "this rule adds nothing: {} already allow{} every connection it allows",
                lines.join(", "),
                if implying.len() == 1 { "s" } else { "" }
            ),
        )
        .with_label("already allowed")
        .with_help("remove this target from the rule");
        for other in &implying {
            if let Some(other_location) = locations.rules.get(*other) {
                diagnostic = diagnostic.with_secondary(other_location.clone(), "this rule allows it");
            }
        }
        warnings.push(diagnostic);
        reported.insert(position);
    }
    warnings
}

/// Whether every port of `narrow` is in `wide` (both `Only`).
fn port_subset(narrow: &PortSet, wide: &PortSet) -> bool {
    match (port_parts(narrow), port_parts(wide)) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some((narrow_numbers, narrow_names)), Some((wide_numbers, wide_names))) => {
            narrow_numbers.is_subset(&wide_numbers) && narrow_names.is_subset(&wide_names)
        }
    }
}

/// The managed namespace with `allow internal` that both groups live in (and only
/// in), with where it is declared.
fn internal_namespace(model: &Model, source: Endpoint, target: Endpoint) -> Option<(String, String)> {
    let (Endpoint::Group(source), Endpoint::Group(target)) = (source, target) else { return None };
    let (Some(source), Some(target)) = (model.group(source), model.group(target)) else { return None };
    let (Placement::Namespace(from), Placement::Namespace(to)) = (&source.placement, &target.placement) else {
        return None;
    };
    let namespace = model.namespace(from).filter(|namespace| from == to && namespace.allow_internal)?;
    // `allow internal` only opens the directions the namespace isolates, and a
    // rule inside the namespace needs nothing more.
    Some((namespace.name.clone(), namespace.source.to_string()))
}

/// NPG0506: pairs of groups in a common namespace whose selectors a pod can
/// satisfy at once. Groups that select every pod (NPG0502) and `cluster` are left out.
fn overlapping_groups(model: &Model, locations: &Locations, index: &GroupIndex) -> Vec<Diagnostic> {
    let mut seen: BTreeSet<(GroupId, GroupId)> = BTreeSet::new();
    let mut warnings = Vec::new();
    for (position, group) in model.groups.iter().enumerate() {
        let id = GroupId(u32::try_from(position).unwrap_or(u32::MAX));
        if skip_for_overlap(group) {
            continue;
        }
        let Some(homes) = index.homes(id) else { continue };
        for home in homes {
            for other_id in index.could_overlap(home, &group.selector) {
                if other_id <= id || seen.contains(&(id, other_id)) {
                    continue;
                }
                let Some(other) = model.group(other_id) else { continue };
                if skip_for_overlap(other) {
                    continue;
                }
                if !related(&group.selector, &other.selector) {
                    continue;
                }
                let Some(labels) = labels_matching(&[&group.selector, &other.selector]) else { continue };
                seen.insert((id, other_id));
                let pod = if labels.is_empty() {
                    "a pod without labels".to_owned()
                } else {
                    let written: Vec<String> = labels.iter().map(|(key, value)| format!("{key}={value}")).collect();
                    format!("a pod labelled {}", written.join(", "))
                };
                // The later declaration is where the overlap is reported.
                let mut declared = [
                    (locations.groups.get(position).cloned().flatten(), group_reference(model, group)),
                    (locations.groups.get(other_id.0 as usize).cloned().flatten(), group_reference(model, other)),
                ];
                declared.sort_by(|(a, _), (b, _)| {
                    let key = |location: &Option<crate::diagnostic::Location>| {
                        location.as_ref().map(|location| (location.file.clone(), location.span.start))
                    };
                    key(a).cmp(&key(b))
                });
                let [(earlier, first), (later, second)] = declared;
                let (primary, secondary) = match (later, earlier) {
                    (Some(later), earlier) => (later, earlier),
                    (None, Some(earlier)) => (earlier, None),
                    (None, None) => continue,
                };
                let mut diagnostic = Diagnostic::new(
                    Code::OverlappingGroups,
                    primary,
                    format!("groups `{first}` and `{second}` can select the same pod: {pod} in namespace `{home}` matches both"),
                )
                .with_label("overlaps another group")
                .with_help("make the selectors exclusive (a label one requires and the other excludes), or merge the groups");
                if let Some(secondary) = secondary {
                    diagnostic = diagnostic.with_secondary(secondary, format!("`{first}` is declared here"));
                }
                warnings.push(diagnostic);
            }
        }
    }
    warnings
}

/// Whether two selectors speak of the same pods at all: they require a common
/// label, or one selects only pods the other selects. Selectors over unrelated
/// labels (`app=web` and `team=payments`) describe pods in different terms, and
/// every pair of them could meet; they are not reported.
fn related(a: &LabelSelector, b: &LabelSelector) -> bool {
    fn required(selector: &LabelSelector) -> BTreeSet<&str> {
        selector
            .requirements
            .iter()
            .filter(|requirement| {
                matches!(requirement, Requirement::Equals { .. } | Requirement::In { .. } | Requirement::Exists { .. })
            })
            .map(Requirement::key)
            .collect()
    }
    !required(a).is_disjoint(&required(b)) || selector_implies(a, b) || selector_implies(b, a)
}

fn skip_for_overlap(group: &Group) -> bool {
    group.builtin == Some(BuiltinGroup::Cluster) || group.selector.selects_everything()
}

/// `frontend`, or `shop/frontend` when another group has the same name.
fn group_reference(model: &Model, group: &Group) -> String {
    let shared = model.groups.iter().filter(|other| other.name == group.name).count() > 1;
    match &group.placement {
        Placement::Namespace(namespace) if shared => format!("{namespace}/{}", group.name),
        _ => group.name.clone(),
    }
}
