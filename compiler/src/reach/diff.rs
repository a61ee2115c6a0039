//! What changes when one set of policies replaces another over the same workloads:
//! per ordered pair (workloads and address pieces), the connections opened and
//! closed, in a deterministic order, and their text form for `npg check --workloads`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::addresses::AddressRange;
use super::analysis::Connectivity;
use super::cluster::Cluster;
use super::connections::ConnectionSet;
use super::pairs::{self, Endpoint};

/// The connections of one ordered pair that one side allows and the other does not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// `ns/name[Kind]` or `first-last[External]`.
    pub source: String,
    pub destination: String,
    /// Allowed after, not before.
    pub opened: ConnectionSet,
    /// Allowed before, not after.
    pub closed: ConnectionSet,
}

/// One side of the comparison: a cluster and its connectivity.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub cluster: &'a Cluster,
    pub connectivity: &'a Connectivity,
}

/// Every pair whose connections differ between `before` and `after`, sorted by
/// source then destination. Workloads are matched by `ns/name[Kind]`; one present
/// on one side only is left out. Address pieces are cut along both sides' pieces
/// and adjacent pieces with the same change are joined again.
pub fn changes(before: Side<'_>, after: Side<'_>) -> Vec<Change> {
    let before_index: BTreeMap<String, usize> =
        before.cluster.workloads.iter().enumerate().map(|(index, w)| (w.display_name(), index)).collect();
    // (name, index before, index after), sorted by name.
    let common: Vec<(String, usize, usize)> = after
        .cluster
        .workloads
        .iter()
        .enumerate()
        .filter_map(|(index, w)| {
            let name = w.display_name();
            let earlier = *before_index.get(&name)?;
            Some((name, (earlier, index)))
        })
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(name, (earlier, later))| (name, earlier, later))
        .collect();
    let mut found = Vec::new();
    for (source, from_before, from_after) in &common {
        for (destination, to_before, to_after) in &common {
            if source == destination {
                continue;
            }
            let was = before.connectivity.between(*from_before, *to_before);
            let now = after.connectivity.between(*from_after, *to_after);
            push_change(&mut found, source, destination, was, now);
        }
    }
    let source_pieces = refine(before.connectivity.source_pieces(), after.connectivity.source_pieces());
    let destination_pieces = refine(before.connectivity.destination_pieces(), after.connectivity.destination_pieces());
    for (name, earlier, later) in &common {
        let mut outgoing = Vec::new();
        for piece in &destination_pieces {
            let was = towards_piece(before, *earlier, *piece);
            let now = towards_piece(after, *later, *piece);
            outgoing.push((*piece, now.difference(&was), was.difference(&now)));
        }
        for (range, opened, closed) in join_adjacent(outgoing) {
            push_difference(&mut found, name.clone(), format!("{range}[External]"), opened, closed);
        }
    }
    for (name, earlier, later) in &common {
        let mut incoming = Vec::new();
        for piece in &source_pieces {
            let was = from_piece(before, *piece, *earlier);
            let now = from_piece(after, *piece, *later);
            incoming.push((*piece, now.difference(&was), was.difference(&now)));
        }
        for (range, opened, closed) in join_adjacent(incoming) {
            push_difference(&mut found, format!("{range}[External]"), name.clone(), opened, closed);
        }
    }
    found.sort();
    found
}

fn push_change(found: &mut Vec<Change>, source: &str, destination: &str, was: &ConnectionSet, now: &ConnectionSet) {
    if was != now {
        push_difference(found, source.to_owned(), destination.to_owned(), now.difference(was), was.difference(now));
    }
}

fn push_difference(
    found: &mut Vec<Change>,
    source: String,
    destination: String,
    opened: ConnectionSet,
    closed: ConnectionSet,
) {
    if !opened.is_empty() || !closed.is_empty() {
        found.push(Change { source, destination, opened, closed });
    }
}

/// What workload `from` may open to addresses in `range` (a piece of the common
/// refinement, so inside one piece of `side`, or outside all of them when `side`
/// did not partition that address family).
fn towards_piece(side: Side<'_>, from: usize, range: AddressRange) -> ConnectionSet {
    match containing(side.connectivity.destination_pieces(), range) {
        Some(piece) => side.connectivity.to_piece(from, piece).clone(),
        None => pairs::evaluate(side.cluster, Endpoint::Workload(from), Endpoint::Addresses(range)).allowed,
    }
}

fn from_piece(side: Side<'_>, range: AddressRange, to: usize) -> ConnectionSet {
    match containing(side.connectivity.source_pieces(), range) {
        Some(piece) => side.connectivity.from_piece(piece, to).clone(),
        None => pairs::evaluate(side.cluster, Endpoint::Addresses(range), Endpoint::Workload(to)).allowed,
    }
}

/// The index of the piece that holds all of `range`.
fn containing(pieces: &[AddressRange], range: AddressRange) -> Option<usize> {
    pieces.iter().position(|piece| match (*piece, range) {
        (AddressRange::V4(first, last), AddressRange::V4(start, end)) => first <= start && end <= last,
        (AddressRange::V6(first, last), AddressRange::V6(start, end)) => first <= start && end <= last,
        _ => false,
    })
}

/// The coarsest pieces that lie inside one piece of each side: cut at every start of both.
fn refine(a: &[AddressRange], b: &[AddressRange]) -> Vec<AddressRange> {
    let mut v4_starts = std::collections::BTreeSet::new();
    let mut v6_starts = std::collections::BTreeSet::new();
    for piece in a.iter().chain(b) {
        match *piece {
            AddressRange::V4(first, _) => {
                v4_starts.insert(first);
            }
            AddressRange::V6(first, _) => {
                v6_starts.insert(first);
            }
        }
    }
    let v4: Vec<u32> = v4_starts.into_iter().collect();
    let v6: Vec<u128> = v6_starts.into_iter().collect();
    let mut pieces = Vec::with_capacity(v4.len() + v6.len());
    for (index, start) in v4.iter().enumerate() {
        let last = v4.get(index + 1).map_or(u32::MAX, |next| next - 1);
        pieces.push(AddressRange::V4(*start, last));
    }
    for (index, start) in v6.iter().enumerate() {
        let last = v6.get(index + 1).map_or(u128::MAX, |next| next - 1);
        pieces.push(AddressRange::V6(*start, last));
    }
    pieces
}

/// Joins neighbouring pieces whose changes are the same.
fn join_adjacent(
    pieces: Vec<(AddressRange, ConnectionSet, ConnectionSet)>,
) -> Vec<(AddressRange, ConnectionSet, ConnectionSet)> {
    let mut joined: Vec<(AddressRange, ConnectionSet, ConnectionSet)> = Vec::new();
    for (range, opened, closed) in pieces {
        if let Some((last_range, last_opened, last_closed)) = joined.last_mut()
            && *last_opened == opened
            && *last_closed == closed
        {
            let next = match (*last_range, range) {
                (AddressRange::V4(first, end), AddressRange::V4(start, last)) if end.checked_add(1) == Some(start) => {
                    Some(AddressRange::V4(first, last))
                }
                (AddressRange::V6(first, end), AddressRange::V6(start, last)) if end.checked_add(1) == Some(start) => {
                    Some(AddressRange::V6(first, last))
                }
                _ => None,
            };
            if let Some(next) = next {
                *last_range = next;
                continue;
            }
        }
        joined.push((range, opened, closed));
    }
    joined
}

/// `connections opened:` and `connections closed:` sections, one
/// `source => destination : connections` line each; `no connection changes` when none.
pub fn to_text(changes: &[Change]) -> String {
    let mut text = String::new();
    let opened: Vec<&Change> = changes.iter().filter(|change| !change.opened.is_empty()).collect();
    let closed: Vec<&Change> = changes.iter().filter(|change| !change.closed.is_empty()).collect();
    if opened.is_empty() && closed.is_empty() {
        text.push_str("no connection changes\n");
        return text;
    }
    if !opened.is_empty() {
        let _ = writeln!(text, "connections opened ({}):", opened.len());
        for change in opened {
            let _ = writeln!(text, "  + {} => {} : {}", change.source, change.destination, change.opened);
        }
    }
    if !closed.is_empty() {
        let _ = writeln!(text, "connections closed ({}):", closed.len());
        for change in closed {
            let _ = writeln!(text, "  - {} => {} : {}", change.source, change.destination, change.closed);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::model::{AddressBlock, LabelSelector, Port, PortSet, Protocol, Requirement};
    use crate::reach::cluster::{NamespaceScope, Peer, Policy, PolicyRule, Workload};

    fn app(value: &str) -> LabelSelector {
        LabelSelector { requirements: vec![Requirement::Equals { key: "app".into(), value: value.into() }] }
    }

    fn workloads() -> Vec<Workload> {
        ["api", "db", "web"]
            .into_iter()
            .map(|name| Workload {
                namespace: "shop".into(),
                name: name.into(),
                kind: "Deployment".into(),
                labels: BTreeMap::from([("app".to_owned(), name.to_owned())]),
                ports: vec![],
                host_network: None,
                source: Arc::from("k8s.yaml"),
            })
            .collect()
    }

    fn ingress(to: &str, peers: Vec<Peer>, port: u16) -> Policy {
        Policy {
            namespace: "shop".into(),
            name: format!("{to}-in"),
            pod_selector: app(to),
            ingress: Some(vec![PolicyRule {
                peers: Some(peers),
                ports: PortSet::Only(vec![Port::Range { protocol: Protocol::Tcp, start: port, end: port }]),
                origins: vec![],
            }]),
            egress: None,
            source: Arc::from("k8s.yaml"),
            managed_by_npg: false,
        }
    }

    fn pods(name: &str) -> Peer {
        Peer::Pods { namespaces: NamespaceScope::Own, pods: app(name) }
    }

    fn compare(before: Vec<Policy>, after: Vec<Policy>) -> String {
        let before = Cluster { namespaces: vec![], workloads: workloads(), policies: before };
        let after = Cluster { namespaces: vec![], workloads: workloads(), policies: after };
        let (was, now) = (Connectivity::of(&before), Connectivity::of(&after));
        to_text(&changes(Side { cluster: &before, connectivity: &was }, Side { cluster: &after, connectivity: &now }))
    }

    #[test]
    fn isolating_a_workload_closes_everything_but_what_its_rules_admit() {
        expect_test::expect![[r#"
            connections closed (3):
              - 0.0.0.0-255.255.255.255[External] => shop/db[Deployment] : All Connections
              - shop/api[Deployment] => shop/db[Deployment] : SCTP 1-65535,TCP 1-5431,5433-65535,UDP 1-65535
              - shop/web[Deployment] => shop/db[Deployment] : All Connections
        "#]]
        .assert_eq(&compare(vec![], vec![ingress("db", vec![pods("api")], 5432)]));
    }

    #[test]
    fn a_changed_port_is_opened_and_closed_for_the_same_pair() {
        expect_test::expect![[r#"
            connections opened (1):
              + shop/api[Deployment] => shop/db[Deployment] : TCP 6432
            connections closed (1):
              - shop/api[Deployment] => shop/db[Deployment] : TCP 5432
        "#]]
        .assert_eq(&compare(
            vec![ingress("db", vec![pods("api")], 5432)],
            vec![ingress("db", vec![pods("api")], 6432)],
        ));
    }

    #[test]
    fn address_pieces_of_either_side_are_compared_and_joined_back() {
        let block = |cidr: &str| Peer::Addresses(AddressBlock { cidr: cidr.parse().unwrap(), except: vec![] });
        expect_test::expect![[r#"
            connections opened (1):
              + 10.0.0.0-10.0.0.255[External] => shop/db[Deployment] : TCP 5432
            connections closed (1):
              - 10.0.1.0-10.0.1.255[External] => shop/db[Deployment] : TCP 5432
        "#]]
        .assert_eq(&compare(
            vec![ingress("db", vec![block("10.0.1.0/24")], 5432)],
            vec![ingress("db", vec![block("10.0.0.0/24")], 5432)],
        ));
    }

    #[test]
    fn an_address_family_only_one_side_cuts_is_compared_all_the_same() {
        let egress_to_v6 = Policy {
            namespace: "shop".into(),
            name: "api-out".into(),
            pod_selector: app("api"),
            ingress: None,
            egress: Some(vec![PolicyRule {
                peers: Some(vec![Peer::Addresses(AddressBlock {
                    cidr: "2001:db8::/32".parse().unwrap(),
                    except: vec![],
                })]),
                ports: PortSet::All,
                origins: vec![],
            }]),
            source: Arc::from("k8s.yaml"),
            managed_by_npg: false,
        };
        let text = compare(vec![], vec![egress_to_v6]);
        assert!(
            text.contains("  - shop/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "  - shop/api[Deployment] => ::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External] : All Connections\n"
            ),
            "{text}"
        );
        assert!(!text.contains("2001:db8::-"), "{text}");
        assert!(text.contains("  - shop/api[Deployment] => shop/db[Deployment] : All Connections\n"), "{text}");
        assert!(!text.contains("connections opened"), "{text}");
    }

    #[test]
    fn the_same_policies_change_nothing() {
        let policies = vec![ingress("db", vec![pods("api")], 5432)];
        assert_eq!(compare(policies.clone(), policies), "no connection changes\n");
    }
}
