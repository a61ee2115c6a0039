//! Attack paths: if some workloads are compromised, what they can reach
//! transitively (the blast radius, by hop count) and the shortest paths to a
//! target with the port used at each hop, by breadth-first search over [`Connectivity`].
//!
//! Addresses outside the cluster are endpoints, never relays: an attacker who
//! holds an address outside the cluster can start a path (through ingress that
//! admits it), and reaching one means data can leave, but no path continues from
//! it, since npg knows nothing of what runs there.

use std::fmt::Write as _;

use super::addresses::AddressRange;
use super::analysis::Connectivity;
use super::cluster::{Cluster, Workload};
use super::connections::ConnectionSet;
use crate::model::Protocol;

/// A place on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A workload, by its index in [`Cluster::workloads`].
    Workload(usize),
    /// A piece of the address space as a source ([`Connectivity::source_pieces`]): a start only.
    SourcePiece(usize),
    /// A piece of the address space as a destination ([`Connectivity::destination_pieces`]): an end only.
    DestinationPiece(usize),
}

impl Node {
    /// `ns/name[Kind]` or `first-last[External]`.
    pub fn name(self, cluster: &Cluster, connectivity: &Connectivity) -> String {
        match self {
            Node::Workload(index) => {
                cluster.workloads.get(index).map_or_else(|| format!("workload #{index}"), Workload::display_name)
            }
            Node::SourcePiece(piece) => piece_name(connectivity.source_pieces().get(piece)),
            Node::DestinationPiece(piece) => piece_name(connectivity.destination_pieces().get(piece)),
        }
    }
}

fn piece_name(range: Option<&AddressRange>) -> String {
    range.map_or_else(|| "unknown[External]".to_owned(), |range| format!("{range}[External]"))
}

/// The source pieces that hold some address of `range`: where an attacker outside the cluster starts.
pub fn source_nodes(connectivity: &Connectivity, range: AddressRange) -> Vec<Node> {
    overlapping(connectivity.source_pieces(), range).map(Node::SourcePiece).collect()
}

/// The destination pieces that hold some address of `range`.
pub fn destination_nodes(connectivity: &Connectivity, range: AddressRange) -> Vec<Node> {
    overlapping(connectivity.destination_pieces(), range).map(Node::DestinationPiece).collect()
}

fn overlapping(pieces: &[AddressRange], range: AddressRange) -> impl Iterator<Item = usize> + '_ {
    pieces.iter().enumerate().filter(move |(_, piece)| overlaps(**piece, range)).map(|(index, _)| index)
}

fn overlaps(a: AddressRange, b: AddressRange) -> bool {
    match (a, b) {
        (AddressRange::V4(a1, a2), AddressRange::V4(b1, b2)) => a1.max(b1) <= a2.min(b2),
        (AddressRange::V6(a1, a2), AddressRange::V6(b1, b2)) => a1.max(b1) <= a2.min(b2),
        _ => false,
    }
}

/// One step of a path and what it may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    pub from: Node,
    pub to: Node,
    /// Everything `from` may open to `to`.
    pub connections: ConnectionSet,
}

impl Hop {
    /// The port an attacker would use: TCP first, then UDP, then SCTP, lowest number.
    pub fn port(&self) -> Option<(Protocol, u16)> {
        self.connections.first_port()
    }
}

/// A node reached from the compromised ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reached {
    pub node: Node,
    /// The fewest hops it takes (1: reachable directly).
    pub hops: u32,
    /// The hop that reaches it on one shortest path.
    pub last_hop: Hop,
}

/// Everything reachable from a set of compromised nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlastRadius {
    pub from: Vec<Node>,
    /// By hop count, then node order (workloads in cluster order, then address pieces).
    pub reached: Vec<Reached>,
    /// `max_hops` stopped the search while nodes were still being found.
    pub cut_short: bool,
}

/// The breadth-first search: every node not yet reached is tested against the
/// nodes of the newest layer, so a dense graph empties the unreached list quickly
/// and the work never exceeds one test per (reached, unreached) pair.
struct Search<'c> {
    connectivity: &'c Connectivity,
    /// Hop count per workload; `u32::MAX` when not reached.
    workload_hops: Vec<u32>,
    piece_hops: Vec<u32>,
    unreached_workloads: Vec<usize>,
    unreached_pieces: Vec<usize>,
}

impl<'c> Search<'c> {
    fn new(connectivity: &'c Connectivity) -> Search<'c> {
        let workloads = connectivity.workload_count();
        let pieces = connectivity.destination_pieces().len();
        Search {
            connectivity,
            workload_hops: vec![u32::MAX; workloads],
            piece_hops: vec![u32::MAX; pieces],
            unreached_workloads: (0..workloads).collect(),
            unreached_pieces: (0..pieces).collect(),
        }
    }

    fn edge(&self, from: Node, to: Node) -> Option<&'c ConnectionSet> {
        let connections = match (from, to) {
            (Node::Workload(from), Node::Workload(to)) if from != to => self.connectivity.between(from, to),
            (Node::Workload(from), Node::DestinationPiece(piece)) => self.connectivity.to_piece(from, piece),
            (Node::SourcePiece(piece), Node::Workload(to)) => self.connectivity.from_piece(piece, to),
            _ => return None,
        };
        (!connections.is_empty()).then_some(connections)
    }

    fn hops(&self, node: Node) -> u32 {
        match node {
            Node::Workload(index) => self.workload_hops.get(index).copied().unwrap_or(u32::MAX),
            Node::DestinationPiece(piece) => self.piece_hops.get(piece).copied().unwrap_or(u32::MAX),
            Node::SourcePiece(_) => u32::MAX,
        }
    }

    /// Marks the start nodes (hop 0) and runs layer by layer up to `max_hops`.
    /// Returns every reached node with its first-found last hop, and whether the
    /// search was cut short.
    fn run(&mut self, from: &[Node], max_hops: Option<u32>) -> (Vec<Reached>, bool) {
        let mut layer: Vec<Node> = Vec::new();
        for node in from {
            if let Node::Workload(index) = *node
                && let Some(hops) = self.workload_hops.get_mut(index)
            {
                *hops = 0;
            }
            if !layer.contains(node) {
                layer.push(*node);
            }
        }
        self.unreached_workloads.retain(|index| !from.contains(&Node::Workload(*index)));
        let mut reached = Vec::new();
        let mut depth = 0u32;
        while !layer.is_empty() {
            if max_hops.is_some_and(|max| depth >= max) {
                let more = layer.iter().any(|node| {
                    self.unreached_workloads.iter().any(|to| self.edge(*node, Node::Workload(*to)).is_some())
                        || self
                            .unreached_pieces
                            .iter()
                            .any(|to| self.edge(*node, Node::DestinationPiece(*to)).is_some())
                });
                return (reached, more);
            }
            depth += 1;
            let mut next = Vec::new();
            for from in &layer {
                let mut still_unreached = Vec::with_capacity(self.unreached_workloads.len());
                for to in std::mem::take(&mut self.unreached_workloads) {
                    let node = Node::Workload(to);
                    match self.edge(*from, node) {
                        Some(connections) => {
                            if let Some(hops) = self.workload_hops.get_mut(to) {
                                *hops = depth;
                            }
                            next.push(node);
                            let last_hop = Hop { from: *from, to: node, connections: connections.clone() };
                            reached.push(Reached { node, hops: depth, last_hop });
                        }
                        None => still_unreached.push(to),
                    }
                }
                self.unreached_workloads = still_unreached;
                let mut still_unreached = Vec::with_capacity(self.unreached_pieces.len());
                for piece in std::mem::take(&mut self.unreached_pieces) {
                    let node = Node::DestinationPiece(piece);
                    match self.edge(*from, node) {
                        Some(connections) => {
                            if let Some(hops) = self.piece_hops.get_mut(piece) {
                                *hops = depth;
                            }
                            let last_hop = Hop { from: *from, to: node, connections: connections.clone() };
                            reached.push(Reached { node, hops: depth, last_hop });
                        }
                        None => still_unreached.push(piece),
                    }
                }
                self.unreached_pieces = still_unreached;
            }
            next.sort_unstable();
            layer = next;
        }
        (reached, false)
    }
}

/// Every node reachable from `from` (a workload's compromise, or an attacker on
/// addresses outside the cluster), with its hop distance. `max_hops` bounds the
/// search (`None`: no bound).
pub fn blast_radius(connectivity: &Connectivity, from: &[Node], max_hops: Option<u32>) -> BlastRadius {
    let mut search = Search::new(connectivity);
    let (mut reached, cut_short) = search.run(from, max_hops);
    reached.sort_by_key(|reached| (reached.hops, reached.node));
    BlastRadius { from: from.to_vec(), reached, cut_short }
}

/// How many shortest paths [`shortest_paths`] returns at most.
pub const PATH_LIMIT: usize = 10;

/// The shortest paths from any of `from` to any of `to` (all of the same, least
/// length; at most `limit`, sorted by the nodes they pass), each hop with what it
/// may use. Empty when no path of at most `max_hops` hops exists.
pub fn shortest_paths(
    connectivity: &Connectivity,
    from: &[Node],
    to: &[Node],
    max_hops: Option<u32>,
    limit: usize,
) -> Vec<Vec<Hop>> {
    // A target that is compromised already says nothing; the others are what is asked.
    let to: Vec<Node> = match to.iter().copied().filter(|node| !from.contains(node)).collect::<Vec<_>>() {
        others if others.is_empty() => to.to_vec(),
        others => others,
    };
    let to = to.as_slice();
    let mut search = Search::new(connectivity);
    let _ = search.run(from, max_hops);
    let Some(best) = to.iter().map(|node| search.hops(*node)).filter(|hops| *hops != u32::MAX).min() else {
        return Vec::new();
    };
    if best == 0 {
        // A target that is also compromised: the empty path.
        return vec![Vec::new()];
    }
    let mut targets: Vec<Node> = to.iter().copied().filter(|node| search.hops(*node) == best).collect();
    targets.sort_unstable();
    targets.dedup();
    let mut paths = Vec::new();
    for target in targets {
        let mut suffix = Vec::new();
        walk_back(&search, from, target, best, &mut suffix, &mut paths, limit);
    }
    for path in &mut paths {
        path.reverse();
    }
    paths.sort_by(|a, b| a.iter().map(|hop| (hop.from, hop.to)).cmp(b.iter().map(|hop| (hop.from, hop.to))));
    paths
}

/// Extends `suffix` (hops from `node` onwards, last first) backwards to a start
/// node. Every node one hop closer with an edge to `node` lies on a shortest
/// path, so no branch is a dead end.
fn walk_back(
    search: &Search<'_>,
    from: &[Node],
    node: Node,
    hops: u32,
    suffix: &mut Vec<Hop>,
    paths: &mut Vec<Vec<Hop>>,
    limit: usize,
) {
    if paths.len() >= limit {
        return;
    }
    let previous: Vec<Node> = if hops == 1 {
        from.to_vec()
    } else {
        (0..search.workload_hops.len())
            .map(Node::Workload)
            .filter(|candidate| search.hops(*candidate) == hops - 1)
            .collect()
    };
    for before in previous {
        if paths.len() >= limit {
            return;
        }
        let Some(connections) = search.edge(before, node) else { continue };
        suffix.push(Hop { from: before, to: node, connections: connections.clone() });
        if hops == 1 {
            paths.push(suffix.clone());
        } else {
            walk_back(search, from, before, hops - 1, suffix, paths, limit);
        }
        suffix.pop();
    }
}

/// `TCP 8080`, `any port` when the hop allows every connection, or `-` when it
/// allows nothing (never the case on a path).
fn port_text(hop: &Hop) -> String {
    if hop.connections.is_all() {
        return "any port".to_owned();
    }
    hop.port().map_or_else(|| "-".to_owned(), |(protocol, port)| format!("{} {port}", protocol.as_kubernetes()))
}

/// ` (allows TCP 8080-8090)` when the hop allows more than the port shown.
fn more_text(hop: &Hop) -> String {
    match hop.port() {
        Some((protocol, port))
            if !hop.connections.is_all() && hop.connections != ConnectionSet::ports(protocol, port, port) =>
        {
            format!(" (allows {})", hop.connections)
        }
        _ => String::new(),
    }
}

/// Up to three names, then how many more.
fn names(nodes: &[Node], cluster: &Cluster, connectivity: &Connectivity) -> String {
    let shown: Vec<String> = nodes.iter().take(3).map(|node| node.name(cluster, connectivity)).collect();
    match nodes.len() {
        0..=3 => shown.join(", "),
        count => format!("{} and {} more", shown.join(", "), count - 3),
    }
}

/// The blast radius for people: the reached nodes grouped by hop count, each with
/// the port of the hop that reaches it and where that hop starts. Neighbouring
/// address pieces reached the same way print (and count) as one range.
pub fn blast_radius_text(radius: &BlastRadius, cluster: &Cluster, connectivity: &Connectivity) -> String {
    // (hops, line, outside the cluster), neighbouring address pieces reached the same way joined.
    let mut lines: Vec<(u32, String, bool)> = Vec::new();
    let mut pending: Option<(AddressRange, &Reached)> = None;
    let flush = |lines: &mut Vec<(u32, String, bool)>, pending: &mut Option<(AddressRange, &Reached)>| {
        if let Some((range, reached)) = pending.take() {
            let hop = &reached.last_hop;
            let from = hop.from.name(cluster, connectivity);
            let line = format!("  {range}[External] on {} from {from}{}", port_text(hop), more_text(hop));
            lines.push((reached.hops, line, true));
        }
    };
    for reached in &radius.reached {
        let hop = &reached.last_hop;
        if let Node::DestinationPiece(piece) = reached.node
            && let Some(range) = connectivity.destination_pieces().get(piece)
        {
            let joined = pending.as_ref().and_then(|(before, earlier)| {
                let same_way = earlier.hops == reached.hops
                    && earlier.last_hop.from == hop.from
                    && earlier.last_hop.connections == hop.connections;
                same_way.then(|| join(*before, *range)).flatten()
            });
            match joined {
                Some(joined) => pending = Some((joined, reached)),
                None => {
                    flush(&mut lines, &mut pending);
                    pending = Some((*range, reached));
                }
            }
            continue;
        }
        flush(&mut lines, &mut pending);
        let line = format!(
            "  {} on {} from {}{}",
            reached.node.name(cluster, connectivity),
            port_text(hop),
            hop.from.name(cluster, connectivity),
            more_text(hop)
        );
        lines.push((reached.hops, line, false));
    }
    flush(&mut lines, &mut pending);

    let mut text = String::new();
    let external = lines.iter().filter(|(_, _, outside)| *outside).count();
    let workloads = lines.len() - external;
    let _ = writeln!(
        text,
        "from {}: {workloads} workload{} and {external} external range{} reachable",
        names(&radius.from, cluster, connectivity),
        if workloads == 1 { "" } else { "s" },
        if external == 1 { "" } else { "s" },
    );
    let mut current = 0;
    for (hops, line, _) in &lines {
        if *hops != current {
            current = *hops;
            let _ = writeln!(text, "hop {current}:");
        }
        let _ = writeln!(text, "{line}");
    }
    if radius.cut_short {
        let _ = writeln!(text, "(stopped at the hop limit; more is reachable beyond it)");
    }
    text
}

/// `first` and `second` as one range when `second` starts right after `first`.
fn join(first: AddressRange, second: AddressRange) -> Option<AddressRange> {
    match (first, second) {
        (AddressRange::V4(start, end), AddressRange::V4(next, last)) if end.checked_add(1) == Some(next) => {
            Some(AddressRange::V4(start, last))
        }
        (AddressRange::V6(start, end), AddressRange::V6(next, last)) if end.checked_add(1) == Some(next) => {
            Some(AddressRange::V6(start, last))
        }
        _ => None,
    }
}

/// The shortest paths for people, one hop per line with the port it uses.
pub fn paths_text(
    paths: &[Vec<Hop>],
    from: &[Node],
    to: &[Node],
    cluster: &Cluster,
    connectivity: &Connectivity,
) -> String {
    let mut text = String::new();
    let (from, to) = (names(from, cluster, connectivity), names(to, cluster, connectivity));
    let Some(first) = paths.first() else {
        let _ = writeln!(text, "no path from {from} to {to}");
        return text;
    };
    let hops = first.len();
    let _ = writeln!(
        text,
        "{} shortest path{} from {from} to {to}, {hops} hop{} each",
        paths.len(),
        if paths.len() == 1 { "" } else { "s" },
        if hops == 1 { "" } else { "s" },
    );
    for (number, path) in paths.iter().enumerate() {
        let _ = writeln!(text, "path {}:", number + 1);
        if let Some(start) = path.first() {
            let _ = writeln!(text, "  {}", start.from.name(cluster, connectivity));
        }
        for hop in path {
            let _ =
                writeln!(text, "  -> {} on {}{}", hop.to.name(cluster, connectivity), port_text(hop), more_text(hop));
        }
    }
    text
}

#[derive(serde::Serialize)]
struct HopJson {
    from: String,
    to: String,
    port: String,
    connections: String,
}

impl HopJson {
    fn of(hop: &Hop, cluster: &Cluster, connectivity: &Connectivity) -> HopJson {
        HopJson {
            from: hop.from.name(cluster, connectivity),
            to: hop.to.name(cluster, connectivity),
            port: port_text(hop),
            connections: hop.connections.to_string(),
        }
    }
}

/// The blast radius as JSON: `{"from": [...], "reached": [{"name", "hops", "via", "port", "connections"}], "cut_short"}`.
pub fn blast_radius_json(radius: &BlastRadius, cluster: &Cluster, connectivity: &Connectivity) -> String {
    #[derive(serde::Serialize)]
    struct ReachedJson {
        name: String,
        hops: u32,
        via: String,
        port: String,
        connections: String,
    }
    #[derive(serde::Serialize)]
    struct RadiusJson {
        from: Vec<String>,
        reached: Vec<ReachedJson>,
        cut_short: bool,
    }
    let json = RadiusJson {
        from: radius.from.iter().map(|node| node.name(cluster, connectivity)).collect(),
        reached: radius
            .reached
            .iter()
            .map(|reached| {
                let hop = HopJson::of(&reached.last_hop, cluster, connectivity);
                ReachedJson {
                    name: hop.to,
                    hops: reached.hops,
                    via: hop.from,
                    port: hop.port,
                    connections: hop.connections,
                }
            })
            .collect(),
        cut_short: radius.cut_short,
    };
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

/// Shortest paths as JSON: `{"from": [...], "to": [...], "paths": [[{"from", "to", "port", "connections"}]]}`.
pub fn paths_json(
    paths: &[Vec<Hop>],
    from: &[Node],
    to: &[Node],
    cluster: &Cluster,
    connectivity: &Connectivity,
) -> String {
    #[derive(serde::Serialize)]
    struct PathsJson {
        from: Vec<String>,
        to: Vec<String>,
        paths: Vec<Vec<HopJson>>,
    }
    let json = PathsJson {
        from: from.iter().map(|node| node.name(cluster, connectivity)).collect(),
        to: to.iter().map(|node| node.name(cluster, connectivity)).collect(),
        paths: paths
            .iter()
            .map(|path| path.iter().map(|hop| HopJson::of(hop, cluster, connectivity)).collect())
            .collect(),
    };
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::model::{AddressBlock, Port, PortSet};
    use crate::reach::cluster::{Namespace, NamespaceScope, Peer, Policy, PolicyRule};
    use crate::reach::test_cluster::{app, deployment};

    fn workload(name: &str) -> Workload {
        deployment("shop", name, name, "k8s.yaml")
    }

    fn to_pods(target: &str) -> Peer {
        Peer::Pods { namespaces: NamespaceScope::Own, pods: app(target) }
    }

    /// Egress-only policies: `name` may reach each of `targets` on `port`.
    fn egress(name: &str, targets: &[&str], port: u16, addresses: Option<&str>) -> Policy {
        let mut peers: Vec<Peer> = targets.iter().map(|target| to_pods(target)).collect();
        if let Some(cidr) = addresses {
            peers.push(Peer::Addresses(AddressBlock { cidr: cidr.parse().unwrap(), except: vec![] }));
        }
        Policy {
            namespace: "shop".into(),
            name: format!("{name}-out"),
            pod_selector: app(name),
            ingress: None,
            egress: Some(vec![PolicyRule {
                peers: Some(peers),
                ports: PortSet::Only(vec![Port::Range { protocol: Protocol::Tcp, start: port, end: port + 10 }]),
                origins: vec![],
            }]),
            source: Arc::from("k8s.yaml"),
            managed_by_npg: false,
        }
    }

    /// web → api → db, web → cache → db, db → 198.51.100.0/24; `ingress` admits 203.0.113.0/24 into web.
    fn shop() -> (Cluster, Connectivity) {
        let names = ["api", "cache", "db", "lonely", "web"];
        let open_in = Policy {
            namespace: "shop".into(),
            name: "web-in".into(),
            pod_selector: app("web"),
            ingress: Some(vec![PolicyRule {
                peers: Some(vec![Peer::Addresses(AddressBlock {
                    cidr: "203.0.113.0/24".parse().unwrap(),
                    except: vec![],
                })]),
                ports: PortSet::Only(vec![Port::Range { protocol: Protocol::Tcp, start: 443, end: 443 }]),
                origins: vec![],
            }]),
            egress: None,
            source: Arc::from("k8s.yaml"),
            managed_by_npg: false,
        };
        let isolate_in = |name: &str| Policy {
            namespace: "shop".into(),
            name: format!("{name}-in"),
            pod_selector: app(name),
            ingress: Some(vec![PolicyRule { peers: None, ports: PortSet::All, origins: vec![] }]),
            egress: None,
            source: Arc::from("k8s.yaml"),
            managed_by_npg: false,
        };
        let cluster = Cluster {
            namespaces: vec![Namespace { name: "shop".into(), labels: BTreeMap::new() }],
            workloads: names.iter().map(|name| workload(name)).collect(),
            policies: vec![
                egress("api", &["db"], 5432, None),
                egress("cache", &["db"], 6379, None),
                egress("db", &[], 443, Some("198.51.100.0/24")),
                egress("lonely", &[], 1, None),
                egress("web", &["api", "cache"], 8080, None),
                isolate_in("db"),
                open_in,
            ],
        };
        let connectivity = Connectivity::of(&cluster);
        (cluster, connectivity)
    }

    const API: Node = Node::Workload(0);
    const DB: Node = Node::Workload(2);
    const WEB: Node = Node::Workload(4);

    #[test]
    fn the_blast_radius_lists_what_is_reached_by_hop_with_the_port_used() {
        let (cluster, connectivity) = shop();
        let radius = blast_radius(&connectivity, &[WEB], None);
        expect_test::expect![[r#"
            from shop/web[Deployment]: 3 workloads and 1 external range reachable
            hop 1:
              shop/api[Deployment] on TCP 8080 from shop/web[Deployment] (allows TCP 8080-8090)
              shop/cache[Deployment] on TCP 8080 from shop/web[Deployment] (allows TCP 8080-8090)
            hop 2:
              shop/db[Deployment] on TCP 5432 from shop/api[Deployment] (allows TCP 5432-5442)
            hop 3:
              198.51.100.0-198.51.100.255[External] on TCP 443 from shop/db[Deployment] (allows TCP 443-453)
        "#]]
        .assert_eq(&blast_radius_text(&radius, &cluster, &connectivity));
    }

    #[test]
    fn the_hop_limit_stops_the_search_and_says_so() {
        let (cluster, connectivity) = shop();
        let radius = blast_radius(&connectivity, &[WEB], Some(1));
        assert_eq!(radius.reached.len(), 2);
        assert!(radius.cut_short);
        assert!(blast_radius_text(&radius, &cluster, &connectivity).ends_with("more is reachable beyond it)\n"));
        let radius = blast_radius(&connectivity, &[WEB], Some(3));
        assert!(!radius.cut_short);
    }

    #[test]
    fn an_attacker_outside_the_cluster_starts_where_ingress_admits_it_and_outside_addresses_relay_nothing() {
        let (cluster, connectivity) = shop();
        let attacker = source_nodes(&connectivity, AddressRange::single("203.0.113.9".parse().unwrap()));
        assert_eq!(attacker.len(), 1);
        let radius = blast_radius(&connectivity, &attacker, None);
        let reached: Vec<(String, u32)> =
            radius.reached.iter().map(|r| (r.node.name(&cluster, &connectivity), r.hops)).collect();
        // Ingress that is not isolated admits the outside too; web only admits 203.0.113.0/24 on 443.
        assert_eq!(reached.iter().filter(|(_, hops)| *hops == 1).count(), 5);
        let web = radius.reached.iter().find(|r| r.node == WEB).unwrap();
        assert_eq!(web.last_hop.port(), Some((Protocol::Tcp, 443)));
        assert!(reached.contains(&("198.51.100.0-198.51.100.255[External]".to_owned(), 2)));
        // Nothing is reached from the external piece db sends to.
        assert!(reached.iter().all(|(_, hops)| *hops <= 2));
    }

    #[test]
    fn shortest_paths_give_every_path_of_least_length_with_ports() {
        let (cluster, connectivity) = shop();
        let paths = shortest_paths(&connectivity, &[WEB], &[DB], None, PATH_LIMIT);
        expect_test::expect![[r#"
            2 shortest paths from shop/web[Deployment] to shop/db[Deployment], 2 hops each
            path 1:
              shop/web[Deployment]
              -> shop/api[Deployment] on TCP 8080 (allows TCP 8080-8090)
              -> shop/db[Deployment] on TCP 5432 (allows TCP 5432-5442)
            path 2:
              shop/web[Deployment]
              -> shop/cache[Deployment] on TCP 8080 (allows TCP 8080-8090)
              -> shop/db[Deployment] on TCP 6379 (allows TCP 6379-6389)
        "#]]
        .assert_eq(&paths_text(&paths, &[WEB], &[DB], &cluster, &connectivity));
        assert_eq!(shortest_paths(&connectivity, &[WEB], &[DB], None, 1).len(), 1);
        assert!(shortest_paths(&connectivity, &[WEB], &[DB], Some(1), PATH_LIMIT).is_empty());
        assert!(shortest_paths(&connectivity, &[DB], &[API], None, PATH_LIMIT).is_empty());
        let outside = destination_nodes(&connectivity, AddressRange::single("198.51.100.7".parse().unwrap()));
        let paths = shortest_paths(&connectivity, &[WEB], &outside, None, PATH_LIMIT);
        assert_eq!(paths.len(), 2);
        assert_eq!(paths[0].len(), 3);
    }

    #[test]
    fn json_names_each_hop_and_port() {
        let (cluster, connectivity) = shop();
        let paths = shortest_paths(&connectivity, &[API], &[DB], None, PATH_LIMIT);
        let json: serde_json::Value =
            serde_json::from_str(&paths_json(&paths, &[API], &[DB], &cluster, &connectivity)).unwrap();
        assert_eq!(json["paths"][0][0]["port"], "TCP 5432");
        assert_eq!(json["paths"][0][0]["connections"], "TCP 5432-5442");
        let radius = blast_radius(&connectivity, &[API], None);
        let json: serde_json::Value =
            serde_json::from_str(&blast_radius_json(&radius, &cluster, &connectivity)).unwrap();
        assert_eq!(json["reached"][0]["name"], "shop/db[Deployment]");
        assert_eq!(json["reached"][0]["via"], "shop/api[Deployment]");
    }

    #[test]
    fn a_chain_of_a_thousand_workloads_is_searched_to_its_end() {
        // w0 → w1 → ... → w999: every workload admits only the one before it.
        let n = 1000;
        let name = |i: usize| format!("w{i:04}");
        let workloads: Vec<Workload> = (0..n).map(|i| workload(&name(i))).collect();
        let policies = (0..n)
            .map(|i| Policy {
                namespace: "shop".into(),
                name: format!("{}-in", name(i)),
                pod_selector: app(&name(i)),
                ingress: Some(vec![PolicyRule {
                    peers: Some(vec![to_pods(&i.checked_sub(1).map_or_else(|| "nobody".to_owned(), name))]),
                    ports: PortSet::Only(vec![Port::Range { protocol: Protocol::Tcp, start: 80, end: 80 }]),
                    origins: vec![],
                }]),
                egress: None,
                source: Arc::from("k8s.yaml"),
                managed_by_npg: false,
            })
            .collect();
        let cluster = Cluster { namespaces: vec![], workloads, policies };
        let connectivity = Connectivity::of(&cluster);
        let started = std::time::Instant::now();
        let radius = blast_radius(&connectivity, &[Node::Workload(0)], None);
        let paths = shortest_paths(&connectivity, &[Node::Workload(0)], &[Node::Workload(n - 1)], None, PATH_LIMIT);
        eprintln!("chain of {n}: searched in {:?}", started.elapsed());
        let last = radius.reached.iter().rfind(|r| matches!(r.node, Node::Workload(_))).unwrap();
        assert_eq!((last.node, last.hops), (Node::Workload(n - 1), 999));
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0].len(), 999);
        assert!(paths[0].iter().all(|hop| hop.port() == Some((Protocol::Tcp, 80))));
    }

    /// A cluster whose workload `i` admits exactly the workloads in `admits[i]` (port 80).
    fn graph(admits: &[Vec<bool>]) -> (Cluster, Connectivity) {
        let n = admits.len();
        let name = |i: usize| format!("w{i}");
        let policies = (0..n)
            .map(|i| {
                let peers = (0..n).filter(|j| admits[i][*j]).map(|j| to_pods(&name(j))).collect();
                Policy {
                    namespace: "shop".into(),
                    name: format!("{}-in", name(i)),
                    pod_selector: app(&name(i)),
                    ingress: Some(vec![PolicyRule {
                        peers: Some(peers),
                        ports: PortSet::Only(vec![Port::Range { protocol: Protocol::Tcp, start: 80, end: 80 }]),
                        origins: vec![],
                    }]),
                    egress: None,
                    source: Arc::from("k8s.yaml"),
                    managed_by_npg: false,
                }
            })
            .collect();
        let cluster = Cluster { namespaces: vec![], workloads: (0..n).map(|i| workload(&name(i))).collect(), policies };
        let connectivity = Connectivity::of(&cluster);
        (cluster, connectivity)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn hop_counts_and_shortest_paths_agree_with_all_pairs_distances(
            admits in proptest::collection::vec(proptest::collection::vec(proptest::bool::weighted(0.25), 9), 9),
            start in 0usize..9,
            target in 0usize..9,
        ) {
            let n = admits.len();
            let (_, connectivity) = graph(&admits);
            // Floyd-Warshall over the same edges: j reaches i when i admits j.
            let mut distance = vec![vec![u32::MAX; n]; n];
            for i in 0..n {
                distance[i][i] = 0;
                for j in 0..n {
                    if i != j && admits[j][i] {
                        distance[i][j] = 1;
                    }
                }
            }
            for k in 0..n {
                for i in 0..n {
                    for j in 0..n {
                        if distance[i][k] != u32::MAX && distance[k][j] != u32::MAX {
                            distance[i][j] = distance[i][j].min(distance[i][k] + distance[k][j]);
                        }
                    }
                }
            }
            let radius = blast_radius(&connectivity, &[Node::Workload(start)], None);
            for (to, expected) in distance[start].iter().copied().enumerate() {
                let found = radius.reached.iter().find(|reached| reached.node == Node::Workload(to));
                match found {
                    Some(reached) => proptest::prop_assert_eq!(reached.hops, expected),
                    None => proptest::prop_assert!(expected == u32::MAX || to == start),
                }
            }
            let paths = shortest_paths(&connectivity, &[Node::Workload(start)], &[Node::Workload(target)], None, PATH_LIMIT);
            if start == target {
                proptest::prop_assert_eq!(paths.len(), 1);
            } else if distance[start][target] == u32::MAX {
                proptest::prop_assert!(paths.is_empty());
            } else {
                proptest::prop_assert!(!paths.is_empty());
                for path in &paths {
                    proptest::prop_assert_eq!(path.len() as u32, distance[start][target]);
                    proptest::prop_assert_eq!(path.first().map(|hop| hop.from), Some(Node::Workload(start)));
                    proptest::prop_assert_eq!(path.last().map(|hop| hop.to), Some(Node::Workload(target)));
                    for pair in path.windows(2) {
                        proptest::prop_assert_eq!(pair[0].to, pair[1].from);
                    }
                    for hop in path {
                        proptest::prop_assert!(!hop.connections.is_empty());
                    }
                }
            }
        }
    }
}
