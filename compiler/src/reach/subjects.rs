//! The names people give on the command line for the ends of a connection: a group
//! (`frontend`, `shop/frontend`), a workload (`shop/web`, `shop/web[Deployment]`), or
//! an address (`203.0.113.7`, `10.0.0.0/8`), resolved to the endpoints of a cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::addresses::AddressRange;
use super::addresses::AddressSet;
use super::cluster::{Cluster, Workload};
use super::pairs::Endpoint;
use super::program::REPRESENTATIVE_KIND;
use crate::model::{BuiltinGroup, Group, Model, NAMESPACE_NAME_LABEL, Network, Placement};
use crate::suggest;

/// What a name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The name as it was resolved (`shop/frontend`, `10.0.0.0-10.255.255.255`).
    pub name: String,
    pub kind: SubjectKind,
    /// Workload endpoints in cluster order, or one address range.
    pub endpoints: Vec<Endpoint>,
}

/// How a name was understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    /// A group of the program: the workloads it selects (its representative when
    /// there are no real workloads). `name` is the group's name as npg rules write it.
    Group { name: String },
    /// A network of the program: its address ranges. `name` as rules write it.
    Network { name: String },
    /// Workloads named `namespace/name` (and `[Kind]`), or every workload of a namespace.
    Workloads,
    /// Addresses outside the cluster.
    Addresses,
}

impl Subject {
    /// Every endpoint is outside the cluster (an address, a CIDR or a network).
    pub fn is_outside(&self) -> bool {
        self.endpoints.iter().all(|endpoint| matches!(endpoint, Endpoint::Addresses(_)))
    }
}

/// The names a program declares: its groups and networks (none for YAML alone).
#[derive(Clone, Copy, Debug, Default)]
pub struct Names<'a> {
    pub groups: &'a [Group],
    pub networks: &'a [Network],
}

impl<'a> Names<'a> {
    pub fn of(model: Option<&'a Model>) -> Names<'a> {
        model.map_or_else(Names::default, |model| Names { groups: &model.groups, networks: &model.networks })
    }
}

/// Why a name could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectError {
    /// Nothing goes by this name; `suggestion` is the closest known name.
    Unknown { name: String, suggestion: Option<String> },
    /// A bare name that several namespaces use.
    Ambiguous { name: String, candidates: Vec<String> },
    /// A group that selects no workload of the cluster.
    Empty { name: String },
}

impl fmt::Display for SubjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectError::Unknown { name, suggestion: Some(suggestion) } => {
                write!(f, "no group, workload or address is called `{name}`; did you mean `{suggestion}`?")
            }
            SubjectError::Unknown { name, suggestion: None } => {
                write!(f, "no group, workload or address is called `{name}`")
            }
            SubjectError::Ambiguous { name, candidates } => {
                let listed: Vec<String> = candidates.iter().map(|candidate| format!("`{candidate}`")).collect();
                write!(f, "`{name}` is ambiguous: say which of {} you mean", listed.join(", "))
            }
            SubjectError::Empty { name } => write!(f, "group `{name}` selects no workload"),
        }
    }
}

/// Resolves `name` against the workloads of `cluster` and the names of the program
/// (none when the input is YAML alone).
///
/// Addresses come first (an IP address or a CIDR), then `namespace/name[Kind]`
/// (exactly one workload), then group and network names (a program's names win
/// over workload names), then `namespace/name`, a bare workload name, and last a
/// namespace (every workload in it).
pub fn resolve(cluster: &Cluster, names: Names<'_>, name: &str) -> Result<Subject, SubjectError> {
    let groups = names.groups;
    let name = name.trim();
    if let Some(range) = address(name) {
        return Ok(Subject {
            name: range.to_string(),
            kind: SubjectKind::Addresses,
            endpoints: vec![Endpoint::Addresses(range)],
        });
    }
    if let Some((namespace, rest)) = name.split_once('/')
        && let Some((workload_name, kind)) = rest.strip_suffix(']').and_then(|rest| rest.split_once('['))
    {
        let found = indices(cluster, |w| w.namespace == namespace && w.name == workload_name && w.kind == kind);
        if found.is_empty() {
            return Err(unknown(cluster, names, name));
        }
        return Ok(Subject { name: name.to_owned(), kind: SubjectKind::Workloads, endpoints: found });
    }
    if let Some(subject) = group(cluster, groups, name)? {
        return Ok(subject);
    }
    if let Some(network) = names.networks.iter().find(|network| network.name == name) {
        let mut addresses = AddressSet::default();
        for block in &network.blocks {
            for range in AddressSet::of_block(block).ranges() {
                addresses.insert(range);
            }
        }
        let endpoints = addresses.ranges().map(Endpoint::Addresses).collect();
        return Ok(Subject { name: name.to_owned(), kind: SubjectKind::Network { name: name.to_owned() }, endpoints });
    }
    let found = match name.split_once('/') {
        Some((namespace, workload_name)) => indices(cluster, |w| w.namespace == namespace && w.name == workload_name),
        None => bare_workload(cluster, name)?,
    };
    // Last, a namespace: every workload in it.
    let found = if found.is_empty() && !name.contains('/') { indices(cluster, |w| w.namespace == name) } else { found };
    if found.is_empty() {
        return Err(unknown(cluster, names, name));
    }
    Ok(Subject { name: name.to_owned(), kind: SubjectKind::Workloads, endpoints: found })
}

/// `203.0.113.7` (one address) or `10.0.0.0/8` (its whole block).
fn address(name: &str) -> Option<AddressRange> {
    if let Ok(address) = name.parse::<IpAddr>() {
        return Some(AddressRange::single(address));
    }
    name.parse::<IpNet>().ok().map(|net| AddressRange::of_net(&net.trunc()))
}

fn indices(cluster: &Cluster, wanted: impl Fn(&Workload) -> bool) -> Vec<Endpoint> {
    cluster
        .workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| wanted(w))
        .map(|(index, _)| Endpoint::Workload(index))
        .collect()
}

/// A workload name without its namespace: fine when one namespace has it.
fn bare_workload(cluster: &Cluster, name: &str) -> Result<Vec<Endpoint>, SubjectError> {
    let found = indices(cluster, |w| w.name == name);
    let namespaces: BTreeSet<&str> = found
        .iter()
        .filter_map(|endpoint| match endpoint {
            Endpoint::Workload(index) => cluster.workloads.get(*index).map(|w| w.namespace.as_str()),
            Endpoint::Addresses(_) => None,
        })
        .collect();
    if namespaces.len() > 1 {
        let candidates = namespaces.iter().map(|namespace| format!("{namespace}/{name}")).collect();
        return Err(SubjectError::Ambiguous { name: name.to_owned(), candidates });
    }
    Ok(found)
}

/// The group called `name` (`frontend` or `shop/frontend`), if the program has one.
fn group(cluster: &Cluster, groups: &[Group], name: &str) -> Result<Option<Subject>, SubjectError> {
    let matching: Vec<&Group> = match name.split_once('/') {
        Some((namespace, group_name)) => groups
            .iter()
            .filter(|group| group.name == group_name && group.placement == Placement::Namespace(namespace.to_owned()))
            .collect(),
        None => groups.iter().filter(|group| group.name == name).collect(),
    };
    let [group] = matching.as_slice() else {
        if matching.is_empty() {
            return Ok(None);
        }
        let candidates = matching.iter().map(|group| qualified_name(group)).collect();
        return Err(SubjectError::Ambiguous { name: name.to_owned(), candidates });
    };
    let endpoints = group_workloads(cluster, group);
    if endpoints.is_empty() {
        return Err(SubjectError::Empty { name: name.to_owned() });
    }
    Ok(Some(Subject { name: qualified_name(group), kind: SubjectKind::Group { name: name.to_owned() }, endpoints }))
}

/// `shop/frontend` for a group of one namespace, the bare name otherwise.
pub fn qualified_name(group: &Group) -> String {
    match &group.placement {
        Placement::Namespace(namespace) => format!("{namespace}/{}", group.name),
        Placement::Namespaces(_) | Placement::Any => group.name.clone(),
    }
}

/// The workloads a group stands for: the real ones it selects when the cluster has
/// any, else its representatives (kind [`REPRESENTATIVE_KIND`], named after it;
/// for the built-in `cluster`, every representative).
pub fn group_workloads(cluster: &Cluster, group: &Group) -> Vec<Endpoint> {
    let namespace_labels: BTreeMap<&str, BTreeMap<String, String>> = cluster
        .namespaces
        .iter()
        .map(|namespace| {
            let mut labels = namespace.labels.clone();
            labels.entry(NAMESPACE_NAME_LABEL.to_owned()).or_insert_with(|| namespace.name.clone());
            (namespace.name.as_str(), labels)
        })
        .collect();
    let placed = |workload: &Workload| match &group.placement {
        Placement::Namespace(namespace) => workload.namespace == *namespace,
        Placement::Any => true,
        Placement::Namespaces(selector) => match namespace_labels.get(workload.namespace.as_str()) {
            Some(labels) => selector.matches(labels),
            None => selector.matches(&BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), workload.namespace.clone())])),
        },
    };
    let real = indices(cluster, |w| w.kind != REPRESENTATIVE_KIND && placed(w) && group.selector.matches(&w.labels));
    if !real.is_empty() {
        return real;
    }
    if group.builtin == Some(BuiltinGroup::Cluster) {
        // `cluster` has no representative of its own: every pod is in it.
        return indices(cluster, |_| true);
    }
    indices(cluster, |w| w.kind == REPRESENTATIVE_KIND && w.name == group.name && placed(w))
}

/// The error for a name nothing goes by, with the closest group or workload name.
fn unknown(cluster: &Cluster, names: Names<'_>, name: &str) -> SubjectError {
    let mut candidates: BTreeSet<String> = BTreeSet::new();
    candidates.extend(names.networks.iter().map(|network| network.name.clone()));
    for group in names.groups {
        candidates.insert(group.name.clone());
        candidates.insert(qualified_name(group));
    }
    for workload in &cluster.workloads {
        candidates.insert(workload.namespace.clone());
        if workload.kind != REPRESENTATIVE_KIND {
            candidates.insert(format!("{}/{}", workload.namespace, workload.name));
            candidates.insert(workload.display_name());
        }
    }
    let suggestion = suggest::closest(name, candidates.iter().map(String::as_str)).map(str::to_owned);
    SubjectError::Unknown { name: name.to_owned(), suggestion }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::model::{LabelSelector, Requirement};
    use crate::reach::cluster::Namespace;
    use std::sync::Arc;

    fn workload(namespace: &str, name: &str, kind: &str, app: &str) -> Workload {
        Workload {
            namespace: namespace.into(),
            name: name.into(),
            kind: kind.into(),
            labels: BTreeMap::from([("app".to_owned(), app.to_owned())]),
            ports: vec![],
            host_network: None,
            source: Arc::from("k8s/workloads.yaml"),
        }
    }

    fn group(name: &str, namespace: &str, app: &str) -> Group {
        Group {
            name: name.into(),
            placement: Placement::Namespace(namespace.into()),
            selector: LabelSelector {
                requirements: vec![Requirement::Equals { key: "app".into(), value: app.into() }],
            },
            owner: None,
            builtin: None,
            source: None,
        }
    }

    fn cluster(workloads: Vec<Workload>) -> Cluster {
        let namespaces =
            ["shop", "data"].into_iter().map(|name| Namespace { name: name.into(), labels: BTreeMap::new() }).collect();
        Cluster { namespaces, workloads, policies: vec![] }
    }

    #[test]
    fn an_address_or_a_cidr_is_an_address_range() {
        let subject = resolve(&Cluster::default(), Names::default(), "10.1.0.0/16").unwrap();
        assert_eq!(subject.name, "10.1.0.0-10.1.255.255");
        assert_eq!(subject.kind, SubjectKind::Addresses);
        let subject = resolve(&Cluster::default(), Names::default(), "203.0.113.7").unwrap();
        assert_eq!(subject.endpoints, vec![Endpoint::Addresses(AddressRange::single("203.0.113.7".parse().unwrap()))]);
    }

    #[test]
    fn a_group_stands_for_the_real_workloads_it_selects() {
        let cluster = cluster(vec![
            workload("shop", "frontend", REPRESENTATIVE_KIND, "web"),
            workload("shop", "web", "Deployment", "web"),
            workload("shop", "web-canary", "Deployment", "web"),
            workload("data", "web", "Deployment", "web"),
        ]);
        let subject =
            resolve(&cluster, Names { groups: &[group("frontend", "shop", "web")], networks: &[] }, "frontend")
                .unwrap();
        assert_eq!(subject.name, "shop/frontend");
        assert_eq!(subject.endpoints, vec![Endpoint::Workload(1), Endpoint::Workload(2)]);
    }

    #[test]
    fn without_real_workloads_a_group_stands_for_its_representative() {
        let cluster = cluster(vec![
            workload("shop", "backend", REPRESENTATIVE_KIND, "api"),
            workload("shop", "frontend", REPRESENTATIVE_KIND, "web"),
        ]);
        let subject =
            resolve(&cluster, Names { groups: &[group("frontend", "shop", "web")], networks: &[] }, "shop/frontend")
                .unwrap();
        assert_eq!(subject.endpoints, vec![Endpoint::Workload(1)]);
    }

    #[test]
    fn namespace_and_name_find_workloads_of_any_kind_and_a_kind_picks_one() {
        let cluster =
            cluster(vec![workload("shop", "web", "Deployment", "web"), workload("shop", "web", "Pod", "web")]);
        assert_eq!(resolve(&cluster, Names::default(), "shop/web").unwrap().endpoints.len(), 2);
        assert_eq!(
            resolve(&cluster, Names::default(), "shop/web[Pod]").unwrap().endpoints,
            vec![Endpoint::Workload(1)]
        );
        assert_eq!(resolve(&cluster, Names::default(), "web").unwrap().endpoints.len(), 2);
    }

    #[test]
    fn a_namespace_stands_for_every_workload_in_it() {
        let cluster = cluster(vec![
            workload("data", "db", "StatefulSet", "db"),
            workload("shop", "web", "Deployment", "web"),
            workload("shop", "api", "Deployment", "api"),
        ]);
        let subject = resolve(&cluster, Names::default(), "shop").unwrap();
        assert_eq!(subject.endpoints, vec![Endpoint::Workload(1), Endpoint::Workload(2)]);
        let error = resolve(&cluster, Names::default(), "shpo").unwrap_err();
        assert!(error.to_string().ends_with("did you mean `shop`?"), "{error}");
    }

    #[test]
    fn a_bare_name_in_two_namespaces_is_ambiguous() {
        let cluster =
            cluster(vec![workload("shop", "web", "Deployment", "a"), workload("data", "web", "Deployment", "b")]);
        let error = resolve(&cluster, Names::default(), "web").unwrap_err();
        assert_eq!(error.to_string(), "`web` is ambiguous: say which of `data/web`, `shop/web` you mean");
    }

    #[test]
    fn an_unknown_name_suggests_the_closest_one() {
        let cluster = cluster(vec![workload("shop", "frontend", REPRESENTATIVE_KIND, "web")]);
        let error = resolve(&cluster, Names { groups: &[group("frontend", "shop", "web")], networks: &[] }, "fronted")
            .unwrap_err();
        assert_eq!(error.to_string(), "no group, workload or address is called `fronted`; did you mean `frontend`?");
        let error = resolve(&cluster, Names::default(), "shop/web[Pod]").unwrap_err();
        assert!(matches!(error, SubjectError::Unknown { .. }), "{error:?}");
    }

    #[test]
    fn a_network_stands_for_its_addresses() {
        let network = Network {
            name: "internet".into(),
            blocks: vec![crate::model::AddressBlock {
                cidr: "0.0.0.0/0".parse().unwrap(),
                except: vec!["10.0.0.0/8".parse().unwrap()],
            }],
            builtin: false,
            source: None,
        };
        let names = Names { groups: &[], networks: std::slice::from_ref(&network) };
        let subject = resolve(&Cluster::default(), names, "internet").unwrap();
        assert_eq!(subject.kind, SubjectKind::Network { name: "internet".into() });
        let ranges: Vec<String> = subject
            .endpoints
            .iter()
            .map(|endpoint| match endpoint {
                Endpoint::Addresses(range) => range.to_string(),
                Endpoint::Workload(_) => String::new(),
            })
            .collect();
        assert_eq!(ranges, ["0.0.0.0-9.255.255.255", "11.0.0.0-255.255.255.255"]);
        assert!(subject.is_outside());
        let error = resolve(&Cluster::default(), names, "internt").unwrap_err();
        assert!(error.to_string().ends_with("did you mean `internet`?"), "{error}");
    }

    #[test]
    fn a_group_that_selects_nothing_is_an_error() {
        let error =
            resolve(&cluster(vec![]), Names { groups: &[group("frontend", "shop", "web")], networks: &[] }, "frontend")
                .unwrap_err();
        assert_eq!(error, SubjectError::Empty { name: "frontend".into() });
    }
}
