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
