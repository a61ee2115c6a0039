//! Full connectivity of a cluster: the connections allowed between every ordered
//! pair of workloads, and between workloads and the pieces of the address space
//! outside the cluster that the policies' ipBlocks cut out.

use super::addresses::{self, AddressRange, AddressSet};
use super::cluster::{Cluster, Peer};
use super::connections::ConnectionSet;
use super::pairs::{self, Endpoint};

/// Who can reach what, for every pair.
#[derive(Clone, Debug)]
pub struct Connectivity {
    workloads: usize,
    /// Row-major: `between[from * workloads + to]`.
    between: Vec<ConnectionSet>,
    /// The pieces of the address space that ingress ipBlocks cut out (sources).
    source_pieces: Vec<AddressRange>,
    /// The pieces that egress ipBlocks cut out (destinations).
    destination_pieces: Vec<AddressRange>,
    /// `from_pieces[piece * workloads + to]`.
    from_pieces: Vec<ConnectionSet>,
    /// `to_pieces[from * destination_pieces + piece]`.
    to_pieces: Vec<ConnectionSet>,
}

impl Connectivity {
    /// Works out every pair of `cluster`.
    pub fn of(cluster: &Cluster) -> Connectivity {
        let (source_pieces, destination_pieces) = address_pieces(cluster);
        let workloads = cluster.workloads.len();
        let allowed = |source, destination| pairs::evaluate(cluster, source, destination).allowed;
        let between = (0..workloads)
            .flat_map(|from| (0..workloads).map(move |to| (from, to)))
            .map(|(from, to)| {
                if from == to {
                    ConnectionSet::none()
                } else {
                    allowed(Endpoint::Workload(from), Endpoint::Workload(to))
                }
            })
            .collect();
        let from_pieces = source_pieces
            .iter()
            .flat_map(|piece| (0..workloads).map(move |to| (*piece, to)))
            .map(|(piece, to)| allowed(Endpoint::Addresses(piece), Endpoint::Workload(to)))
            .collect();
        let to_pieces = (0..workloads)
            .flat_map(|from| destination_pieces.iter().map(move |piece| (from, *piece)))
            .map(|(from, piece)| allowed(Endpoint::Workload(from), Endpoint::Addresses(piece)))
            .collect();
        Connectivity { workloads, between, source_pieces, destination_pieces, from_pieces, to_pieces }
    }

    pub fn workload_count(&self) -> usize {
        self.workloads
    }

    /// What workload `from` may open to workload `to` (nothing for `from == to`:
    /// a workload's pods talking among themselves are not policed here).
    pub fn between(&self, from: usize, to: usize) -> &ConnectionSet {
        static NONE: std::sync::LazyLock<ConnectionSet> = std::sync::LazyLock::new(ConnectionSet::none);
        let index = from.checked_mul(self.workloads).and_then(|row| row.checked_add(to));
        index.filter(|_| to < self.workloads).and_then(|index| self.between.get(index)).unwrap_or(&NONE)
    }

    /// The pieces of the address space sources are told apart by.
    pub fn source_pieces(&self) -> &[AddressRange] {
        &self.source_pieces
    }

    /// The pieces of the address space destinations are told apart by.
    pub fn destination_pieces(&self) -> &[AddressRange] {
        &self.destination_pieces
    }

    /// What addresses in source piece `piece` may open to workload `to`.
    pub fn from_piece(&self, piece: usize, to: usize) -> &ConnectionSet {
        static NONE: std::sync::LazyLock<ConnectionSet> = std::sync::LazyLock::new(ConnectionSet::none);
        let index = piece.checked_mul(self.workloads).and_then(|row| row.checked_add(to));
        index.filter(|_| to < self.workloads).and_then(|index| self.from_pieces.get(index)).unwrap_or(&NONE)
    }

    /// What workload `from` may open to addresses in destination piece `piece`.
    pub fn to_piece(&self, from: usize, piece: usize) -> &ConnectionSet {
        static NONE: std::sync::LazyLock<ConnectionSet> = std::sync::LazyLock::new(ConnectionSet::none);
        let pieces = self.destination_pieces.len();
        let index = from.checked_mul(pieces).and_then(|row| row.checked_add(piece));
        index.filter(|_| piece < pieces).and_then(|index| self.to_pieces.get(index)).unwrap_or(&NONE)
    }
}

/// The source and destination pieces: each side is cut by the ipBlocks of its own
/// direction (ingress `from` for sources, egress `to` for destinations), whatever
/// the policy selects. IPv6 is partitioned only when some block is IPv6.
pub fn address_pieces(cluster: &Cluster) -> (Vec<AddressRange>, Vec<AddressRange>) {
    let mut ingress_blocks = Vec::new();
    let mut egress_blocks = Vec::new();
    for policy in &cluster.policies {
        for (rules, blocks) in [(&policy.ingress, &mut ingress_blocks), (&policy.egress, &mut egress_blocks)] {
            let peers = rules.iter().flatten().filter_map(|rule| rule.peers.as_ref()).flatten();
            for peer in peers {
                if let Peer::Addresses(block) = peer {
                    blocks.push(AddressSet::of_block(block));
                }
            }
        }
    }
    let with_v6 = ingress_blocks.iter().chain(&egress_blocks).any(AddressSet::has_v6);
    (addresses::partition(&ingress_blocks, with_v6), addresses::partition(&egress_blocks, with_v6))
}
