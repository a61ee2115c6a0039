//! Connectivity lists: one line per ordered pair with something allowed, in the
//! text and JSON forms of netpol-analyzer's `list` (sorted by source, then
//! destination, byte-wise), so answers can be compared line for line.

use std::fmt::Write as _;

use super::analysis::Connectivity;
use super::cluster::Cluster;
use super::connections::ConnectionSet;

/// One line: `source => destination : connections`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnectionLine<'a> {
    pub source: String,
    pub destination: String,
    pub connections: &'a ConnectionSet,
}

/// Every pair with a non-empty connection set, sorted. Workloads print as
/// `namespace/name[Kind]`, address pieces as `first-last[External]`; a workload is
/// never paired with itself, nor a piece with a piece.
pub fn lines<'a>(cluster: &Cluster, connectivity: &'a Connectivity) -> Vec<ConnectionLine<'a>> {
    let names: Vec<String> = cluster.workloads.iter().map(|workload| workload.display_name()).collect();
    let external = |piece: &super::addresses::AddressRange| format!("{piece}[External]");
    let mut lines = Vec::new();
    let mut push = |source: &str, destination: &str, connections: &'a ConnectionSet| {
        if !connections.is_empty() && source != destination {
            lines.push(ConnectionLine { source: source.to_owned(), destination: destination.to_owned(), connections });
        }
    };
    for (from, source) in names.iter().enumerate() {
        for (to, destination) in names.iter().enumerate() {
            push(source, destination, connectivity.between(from, to));
        }
        for (piece, range) in connectivity.destination_pieces().iter().enumerate() {
            push(source, &external(range), connectivity.to_piece(from, piece));
        }
    }
    for (piece, range) in connectivity.source_pieces().iter().enumerate() {
        let source = external(range);
        for (to, destination) in names.iter().enumerate() {
            push(&source, destination, connectivity.from_piece(piece, to));
        }
    }
    lines.sort();
    lines.dedup_by(|later, earlier| later.source == earlier.source && later.destination == earlier.destination);
    lines
}

/// The text form: `src => dst : conns`, one line each, every line ending in `\n`.
pub fn to_text(lines: &[ConnectionLine]) -> String {
    let mut text = String::new();
    for line in lines {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{} => {} : {}", line.source, line.destination, line.connections);
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
        .map(|line| Entry { src: &line.source, dst: &line.destination, conn: line.connections.to_string() })
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
        let _ = writeln!(csv, "{},{},{}", field(&line.source), field(&line.destination), field(&connections));
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
        for node in [line.source.as_str(), line.destination.as_str()] {
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
        let _ = writeln!(dot, "\t{} -> {} [label={}]", quoted(&line.source), quoted(&line.destination), quoted(&label));
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
                source: "0.0.0.0-255.255.255.255[External]".to_owned(),
                destination: "shop/web[Deployment]".to_owned(),
                connections: &sets.1,
            },
            ConnectionLine {
                source: "shop/web[Deployment]".to_owned(),
                destination: "data/db[StatefulSet]".to_owned(),
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
