//! Connectivity lists: one line per ordered pair with something allowed, in the
//! text and JSON forms of netpol-analyzer's `list` (sorted by source, then
//! destination, byte-wise), so answers can be compared line for line.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use super::addresses::AddressRange;
use super::analysis::Connectivity;
use super::cluster::Cluster;
use super::connections::ConnectionSet;

/// One line: `source => destination : connections`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnectionLine<'a> {
    pub source: &'a str,
    pub destination: &'a str,
    pub connections: &'a ConnectionSet,
}

/// How the ends of lines print: workloads as `namespace/name[Kind]`, address pieces
/// as `first-last[External]`.
#[derive(Clone, Debug)]
pub struct Names {
    workloads: Vec<String>,
    source_pieces: Vec<String>,
    destination_pieces: Vec<String>,
}

impl Names {
    pub fn new(cluster: &Cluster, connectivity: &Connectivity) -> Names {
        let external = |pieces: &[AddressRange]| pieces.iter().map(|piece| format!("{piece}[External]")).collect();
        Names {
            workloads: cluster.workloads.iter().map(|workload| workload.display_name()).collect(),
            source_pieces: external(connectivity.source_pieces()),
            destination_pieces: external(connectivity.destination_pieces()),
        }
    }
}

/// One end of a line while the list is being made.
#[derive(Clone, Copy)]
enum End {
    Workload(usize),
    Piece(usize),
}

/// Every pair with a non-empty connection set, sorted by source, then destination
/// (byte-wise, as printed). A workload is never paired with itself, nor a piece
/// with a piece. Lines are made in order, so nothing is sorted afterwards.
pub fn lines<'a>(names: &'a Names, connectivity: &'a Connectivity) -> Vec<ConnectionLine<'a>> {
    let ordered = |pieces: &'a [String]| {
        let workloads = names.workloads.iter().enumerate().map(|(index, name)| (name.as_str(), End::Workload(index)));
        let pieces = pieces.iter().enumerate().map(|(index, name)| (name.as_str(), End::Piece(index)));
        let mut ends: Vec<(&str, End)> = workloads.chain(pieces).collect();
        ends.sort_by(|left, right| left.0.cmp(right.0));
        ends
    };
    let sources = ordered(&names.source_pieces);
    let destinations = ordered(&names.destination_pieces);
    let mut lines: Vec<ConnectionLine> = Vec::new();
    for &(source, from) in &sources {
        for &(destination, to) in &destinations {
            let connections = match (from, to) {
                (End::Workload(from), End::Workload(to)) => connectivity.between(from, to),
                (End::Workload(from), End::Piece(piece)) => connectivity.to_piece(from, piece),
                (End::Piece(piece), End::Workload(to)) => connectivity.from_piece(piece, to),
                (End::Piece(_), End::Piece(_)) => continue,
            };
            if connections.is_empty() || source == destination {
                continue;
            }
            if lines.last().is_some_and(|last| last.source == source && last.destination == destination) {
                continue;
            }
            lines.push(ConnectionLine { source, destination, connections });
        }
    }
    lines
}

/// Each distinct connection set of `lines` printed once (sets are interned, so
/// equal sets are one value).
fn printed_sets(lines: &[ConnectionLine]) -> FxHashMap<*const ConnectionSet, String> {
    let mut printed = FxHashMap::default();
    for line in lines {
        printed.entry(std::ptr::from_ref(line.connections)).or_insert_with(|| line.connections.to_string());
    }
    printed
}

/// The text form: `src => dst : conns`, one line each, every line ending in `\n`.
pub fn to_text(lines: &[ConnectionLine]) -> String {
    let printed = printed_sets(lines);
    let mut text = String::with_capacity(lines.len() * 96);
    for line in lines {
        let connections = printed.get(&std::ptr::from_ref(line.connections)).map_or("", String::as_str);
        for part in [line.source, " => ", line.destination, " : ", connections, "\n"] {
            text.push_str(part);
        }
    }
    text
}

/// The JSON form: an array of `{"src", "dst", "conn"}` objects, indented by two
/// spaces, with no newline after the closing bracket.
pub fn to_json(lines: &[ConnectionLine]) -> String {
    #[derive(serde::Serialize)]
    struct Entry<'a> {
        src: &'a str,
        dst: &'a str,
        conn: String,
    }
    let entries: Vec<Entry> = lines
        .iter()
        .map(|line| Entry { src: line.source, dst: line.destination, conn: line.connections.to_string() })
        .collect();
    serde_json::to_string_pretty(&entries).unwrap_or_default()
}

/// The CSV form: a `src,dst,conn` header, then one record per line, fields quoted
/// where they hold a comma.
pub fn to_csv(lines: &[ConnectionLine]) -> String {
    let field = |text: &str| {
        if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
    };
    let mut csv = String::from("src,dst,conn\n");
    for line in lines {
        let connections = line.connections.to_string();
        let _ = writeln!(csv, "{},{},{}", field(line.source), field(line.destination), field(&connections));
    }
    csv
}

/// The Markdown form: a table with a header row.
pub fn to_markdown(lines: &[ConnectionLine]) -> String {
    let mut markdown = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for line in lines {
        let _ = writeln!(markdown, "| {} | {} | {} |", line.source, line.destination, line.connections);
    }
    markdown
}

/// The Graphviz form: workloads grouped in one box per namespace, addresses outside
/// the cluster as separate nodes, one edge per line labelled with its connections.
pub fn to_dot(lines: &[ConnectionLine]) -> String {
    use std::collections::{BTreeMap, BTreeSet};
    let quoted = |text: &str| format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""));
    let mut namespaces: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut external: BTreeSet<&str> = BTreeSet::new();
    for line in lines {
        for node in [line.source, line.destination] {
            match node.split_once('/') {
                Some((namespace, _)) if !node.ends_with("[External]") => {
                    namespaces.entry(namespace).or_default().insert(node);
                }
                _ => {
                    external.insert(node);
                }
            }
        }
    }
    let mut dot = String::from("digraph {\n");
    for (index, (namespace, nodes)) in namespaces.iter().enumerate() {
        let _ = writeln!(dot, "\tsubgraph cluster_{index} {{\n\t\tlabel={}", quoted(namespace));
        for node in nodes {
            let name = node.split_once('/').map_or(*node, |(_, name)| name);
            let _ = writeln!(dot, "\t\t{} [label={} shape=box]", quoted(node), quoted(name));
        }
        dot.push_str("\t}\n");
    }
    for node in external {
        let _ =
            writeln!(dot, "\t{} [label={} shape=ellipse]", quoted(node), quoted(node.trim_end_matches("[External]")));
    }
    for line in lines {
        let label = line.connections.to_string();
        let _ = writeln!(dot, "\t{} -> {} [label={}]", quoted(line.source), quoted(line.destination), quoted(&label));
    }
    dot.push_str("}\n");
    dot
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;
    use crate::model::Protocol;

    fn sample() -> (ConnectionSet, ConnectionSet) {
        let mut web = ConnectionSet::ports(Protocol::Tcp, 80, 80);
        web.add(Protocol::Udp, 53, 53);
        (web, ConnectionSet::all())
    }

    fn lines<'a>(sets: &'a (ConnectionSet, ConnectionSet)) -> Vec<ConnectionLine<'a>> {
        vec![
            ConnectionLine {
                source: "0.0.0.0-255.255.255.255[External]",
                destination: "shop/web[Deployment]",
                connections: &sets.1,
            },
            ConnectionLine {
                source: "shop/web[Deployment]",
                destination: "data/db[StatefulSet]",
                connections: &sets.0,
            },
        ]
    }

    #[test]
    fn text_has_one_line_per_pair() {
        let sets = sample();
        assert_eq!(
            to_text(&lines(&sets)),
            "0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : All Connections\n\
             shop/web[Deployment] => data/db[StatefulSet] : TCP 80,UDP 53\n"
        );
    }

    #[test]
    fn csv_quotes_connection_lists() {
        let sets = sample();
        assert_eq!(
            to_csv(&lines(&sets)),
            "src,dst,conn\n0.0.0.0-255.255.255.255[External],shop/web[Deployment],All Connections\n\
             shop/web[Deployment],data/db[StatefulSet],\"TCP 80,UDP 53\"\n"
        );
    }

    #[test]
    fn markdown_is_a_table() {
        let sets = sample();
        assert!(
            to_markdown(&lines(&sets)).ends_with("| shop/web[Deployment] | data/db[StatefulSet] | TCP 80,UDP 53 |\n")
        );
    }

    #[test]
    fn dot_boxes_namespaces_and_labels_edges() {
        let sets = sample();
        let dot = to_dot(&lines(&sets));
        assert!(dot.contains("subgraph cluster_0 {\n\t\tlabel=\"data\"\n\t\t\"data/db[StatefulSet]\" [label=\"db[StatefulSet]\" shape=box]"));
        assert!(
            dot.contains("\"0.0.0.0-255.255.255.255[External]\" [label=\"0.0.0.0-255.255.255.255\" shape=ellipse]")
        );
        assert!(dot.contains("\"shop/web[Deployment]\" -> \"data/db[StatefulSet]\" [label=\"TCP 80,UDP 53\"]"));
    }

    #[test]
    fn json_matches_the_upstream_layout() {
        let sets = sample();
        assert_eq!(
            to_json(&lines(&sets)[1..]),
            "[\n  {\n    \"src\": \"shop/web[Deployment]\",\n    \"dst\": \"data/db[StatefulSet]\",\n    \"conn\": \"TCP 80,UDP 53\"\n  }\n]"
        );
    }
}
