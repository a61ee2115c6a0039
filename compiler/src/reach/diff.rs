//! What changes when one set of policies replaces another over the same workloads:
//! per ordered pair (workloads and address pieces), the connections opened and
//! closed, walked in a deterministic order without holding every change at once,
//! and their text form for `npg check --workloads`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use rustc_hash::FxHashMap;

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

/// What changed for one pair: (opened, closed), or `None` when nothing did.
type Difference = Option<Rc<(ConnectionSet, ConnectionSet)>>;

/// Two connectivity results over the workloads both have, walked pair by pair.
///
/// Workloads are matched by `ns/name[Kind]`; one present on one side only is left
/// out. Address pieces are cut along both sides' pieces, and neighbouring pieces
/// with the same change are joined again. The walk goes: workload to workload (by
/// source name, then destination name), workload to addresses outside the cluster
/// (by workload name, then address), addresses outside to workload (by workload
/// name, then address).
pub struct Comparison<'a> {
    before: Side<'a>,
    after: Side<'a>,
    /// (name, index before, index after), sorted by name.
    common: Vec<(String, usize, usize)>,
    source_pieces: Vec<AddressRange>,
    destination_pieces: Vec<AddressRange>,
    /// Differences worked out so far, by the addresses of the two sets compared:
    /// the matrices intern their sets, so few distinct pairs of sets ever meet.
    known: FxHashMap<(usize, usize), Difference>,
}

impl<'a> Comparison<'a> {
    pub fn new(before: Side<'a>, after: Side<'a>) -> Comparison<'a> {
        let before_index: BTreeMap<String, usize> =
            before.cluster.workloads.iter().enumerate().map(|(index, w)| (w.display_name(), index)).collect();
        let common = after
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
        Comparison {
            before,
            after,
            common,
            source_pieces: refine(before.connectivity.source_pieces(), after.connectivity.source_pieces()),
            destination_pieces: refine(
                before.connectivity.destination_pieces(),
                after.connectivity.destination_pieces(),
            ),
            known: FxHashMap::default(),
        }
    }

    /// Calls `found(source, destination, opened, closed)` for every pair whose
    /// connections differ, in the order the type's documentation gives.
    pub fn for_each(&mut self, mut found: impl FnMut(&str, &str, &ConnectionSet, &ConnectionSet)) {
        let (before, after) = (self.before, self.after);
        let common = std::mem::take(&mut self.common);
        for (source, from_before, from_after) in &common {
            for (destination, to_before, to_after) in &common {
                if source == destination {
                    continue;
                }
                let was = before.connectivity.between(*from_before, *to_before);
                let now = after.connectivity.between(*from_after, *to_after);
                if let Some(difference) = self.difference(was, now, true) {
                    found(source, destination, &difference.0, &difference.1);
                }
            }
        }
        let pieces = std::mem::take(&mut self.destination_pieces);
        for (name, earlier, later) in &common {
            let outgoing = pieces
                .iter()
                .map(|piece| {
                    let was = towards_piece(before, *earlier, *piece);
                    let now = towards_piece(after, *later, *piece);
                    let lasting = matches!((&was, &now), (Cow::Borrowed(_), Cow::Borrowed(_)));
                    (*piece, self.difference(&was, &now, lasting))
                })
                .collect();
            for (range, difference) in join_adjacent(outgoing) {
                if let Some(difference) = difference {
                    found(name, &format!("{range}[External]"), &difference.0, &difference.1);
                }
            }
        }
        self.destination_pieces = pieces;
        let pieces = std::mem::take(&mut self.source_pieces);
        for (name, earlier, later) in &common {
            let incoming = pieces
                .iter()
                .map(|piece| {
                    let was = from_piece(before, *piece, *earlier);
                    let now = from_piece(after, *piece, *later);
                    let lasting = matches!((&was, &now), (Cow::Borrowed(_), Cow::Borrowed(_)));
                    (*piece, self.difference(&was, &now, lasting))
                })
                .collect();
            for (range, difference) in join_adjacent(incoming) {
                if let Some(difference) = difference {
                    found(&format!("{range}[External]"), name, &difference.0, &difference.1);
                }
            }
        }
        self.source_pieces = pieces;
        self.common = common;
    }

    /// What `now` allows that `was` does not, and the other way round. `lasting`:
    /// both sets live in the matrices (so their addresses name them for the
    /// whole walk) rather than being made for this one pair.
    fn difference(&mut self, was: &ConnectionSet, now: &ConnectionSet, lasting: bool) -> Difference {
        let key = (std::ptr::from_ref(was) as usize, std::ptr::from_ref(now) as usize);
        if lasting && let Some(known) = self.known.get(&key) {
            return known.clone();
        }
        let difference = (was != now).then(|| Rc::new((now.difference(was), was.difference(now))));
        if lasting {
            self.known.insert(key, difference.clone());
        }
        difference
    }
}

/// Every pair whose connections differ, in the walk's order (see [`Comparison`]).
/// Holds every change: [`write_text`] walks them instead.
pub fn changes(before: Side<'_>, after: Side<'_>) -> Vec<Change> {
    let mut found = Vec::new();
    Comparison::new(before, after).for_each(|source, destination, opened, closed| {
        found.push(Change {
            source: source.to_owned(),
            destination: destination.to_owned(),
            opened: opened.clone(),
            closed: closed.clone(),
        });
    });
    found
}

/// What workload `from` may open to addresses in `range` (a piece of the common
/// refinement, so inside one piece of `side`, or outside all of them when `side`
/// did not partition that address family).
fn towards_piece<'s>(side: Side<'s>, from: usize, range: AddressRange) -> Cow<'s, ConnectionSet> {
    match containing(side.connectivity.destination_pieces(), range) {
        Some(piece) => Cow::Borrowed(side.connectivity.to_piece(from, piece)),
        None => Cow::Owned(pairs::evaluate(side.cluster, Endpoint::Workload(from), Endpoint::Addresses(range)).allowed),
    }
}

fn from_piece<'s>(side: Side<'s>, range: AddressRange, to: usize) -> Cow<'s, ConnectionSet> {
    match containing(side.connectivity.source_pieces(), range) {
        Some(piece) => Cow::Borrowed(side.connectivity.from_piece(piece, to)),
        None => Cow::Owned(pairs::evaluate(side.cluster, Endpoint::Addresses(range), Endpoint::Workload(to)).allowed),
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
fn join_adjacent(pieces: Vec<(AddressRange, Difference)>) -> Vec<(AddressRange, Difference)> {
    let mut joined: Vec<(AddressRange, Difference)> = Vec::new();
    for (range, difference) in pieces {
        if let Some((last_range, last_difference)) = joined.last_mut()
            && *last_difference == difference
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
        joined.push((range, difference));
    }
    joined
}

/// Writes, piece by piece through `write`, a `connections opened (N):` and a
/// `connections closed (N):` section with one `source => destination :
/// connections` line per pair, or `no connection changes`. The pairs are walked
/// three times (to count, then for each section) rather than held.
pub fn write_text(comparison: &mut Comparison<'_>, mut write: impl FnMut(&str)) {
    let (mut opened, mut closed) = (0usize, 0usize);
    comparison.for_each(|_, _, more, less| {
        opened += usize::from(!more.is_empty());
        closed += usize::from(!less.is_empty());
    });
    if opened == 0 && closed == 0 {
        write("no connection changes\n");
        return;
    }
    let mut line = String::new();
    for (count, heading, sign, opening) in [(opened, "opened", '+', true), (closed, "closed", '-', false)] {
        if count == 0 {
            continue;
        }
        write(&format!("connections {heading} ({count}):\n"));
        comparison.for_each(|source, destination, more, less| {
            let connections = if opening { more } else { less };
            if !connections.is_empty() {
                line.clear();
                let _ = writeln!(line, "  {sign} {source} => {destination} : {connections}");
                write(&line);
            }
        });
    }
}

/// [`write_text`] into one string.
pub fn to_text(comparison: &mut Comparison<'_>) -> String {
    let mut text = String::new();
    write_text(comparison, |piece| text.push_str(piece));
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use std::sync::Arc;

    use super::*;
    use crate::model::{AddressBlock, Port, PortSet, Protocol};
    use crate::reach::cluster::{NamespaceScope, Peer, Policy, PolicyRule, Workload};
    use crate::reach::test_cluster::{app, deployment};

    fn workloads() -> Vec<Workload> {
        ["api", "db", "web"].into_iter().map(|name| deployment("shop", name, name, "k8s.yaml")).collect()
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
        let mut comparison = Comparison::new(
            Side { cluster: &before, connectivity: &was },
            Side { cluster: &after, connectivity: &now },
        );
        to_text(&mut comparison)
    }

    #[test]
    fn isolating_a_workload_closes_everything_but_what_its_rules_admit() {
        expect_test::expect![[r#"
            connections closed (3):
              - shop/api[Deployment] => shop/db[Deployment] : SCTP 1-65535,TCP 1-5431,5433-65535,UDP 1-65535
              - shop/web[Deployment] => shop/db[Deployment] : All Connections
              - 0.0.0.0-255.255.255.255[External] => shop/db[Deployment] : All Connections
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
