//! Addresses outside the cluster: ipBlocks as sets of address ranges (IPv4 and IPv6
//! apart, since a block of one family never matches the other), and the partition
//! of the address space into the pieces that connectivity lists print.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use range_set_blaze::RangeSetBlaze;

use crate::model::AddressBlock;

/// An inclusive range of addresses of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressRange {
    V4(u32, u32),
    V6(u128, u128),
}

impl AddressRange {
    /// Every IPv4 address.
    pub const ALL_V4: AddressRange = AddressRange::V4(0, u32::MAX);
    /// Every IPv6 address.
    pub const ALL_V6: AddressRange = AddressRange::V6(0, u128::MAX);

    /// One address.
    pub fn single(address: IpAddr) -> AddressRange {
        match address {
            IpAddr::V4(address) => AddressRange::V4(address.to_bits(), address.to_bits()),
            IpAddr::V6(address) => AddressRange::V6(address.to_bits(), address.to_bits()),
        }
    }

    pub fn of_net(net: &IpNet) -> AddressRange {
        match net {
            IpNet::V4(net) => AddressRange::V4(net.network().to_bits(), net.broadcast().to_bits()),
            IpNet::V6(net) => AddressRange::V6(net.network().to_bits(), net.broadcast().to_bits()),
        }
    }

    pub fn first(&self) -> IpAddr {
        match *self {
            AddressRange::V4(first, _) => IpAddr::V4(Ipv4Addr::from_bits(first)),
            AddressRange::V6(first, _) => IpAddr::V6(Ipv6Addr::from_bits(first)),
        }
    }

    pub fn last(&self) -> IpAddr {
        match *self {
            AddressRange::V4(_, last) => IpAddr::V4(Ipv4Addr::from_bits(last)),
            AddressRange::V6(_, last) => IpAddr::V6(Ipv6Addr::from_bits(last)),
        }
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match (*self, address) {
            (AddressRange::V4(first, last), IpAddr::V4(address)) => (first..=last).contains(&address.to_bits()),
            (AddressRange::V6(first, last), IpAddr::V6(address)) => (first..=last).contains(&address.to_bits()),
            _ => false,
        }
    }
}

/// `first-last`, both ends always written (`49.50.0.0-49.50.0.0` for one address).
impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first(), self.last())
    }
}

/// A set of addresses of both families.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AddressSet {
    v4: RangeSetBlaze<u32>,
    v6: RangeSetBlaze<u128>,
}

impl AddressSet {
    /// `cidr` minus each of `except`.
    pub fn of_block(block: &AddressBlock) -> AddressSet {
        let mut set = AddressSet::default();
        set.insert(AddressRange::of_net(&block.cidr));
        for except in &block.except {
            set.remove(AddressRange::of_net(except));
        }
        set
    }

    pub fn insert(&mut self, range: AddressRange) {
        match range {
            AddressRange::V4(first, last) => {
                self.v4.ranges_insert(first..=last);
            }
            AddressRange::V6(first, last) => {
                self.v6.ranges_insert(first..=last);
            }
        }
    }

    pub fn remove(&mut self, range: AddressRange) {
        match range {
            AddressRange::V4(first, last) => self.v4 = &self.v4 - &RangeSetBlaze::from(first..=last),
            AddressRange::V6(first, last) => self.v6 = &self.v6 - &RangeSetBlaze::from(first..=last),
        }
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match address {
            IpAddr::V4(address) => self.v4.contains(address.to_bits()),
            IpAddr::V6(address) => self.v6.contains(address.to_bits()),
        }
    }

    /// Whether every address of `range` is in the set (how ipBlocks match the pieces
    /// of a partition: a piece is matched only when it lies wholly inside).
    pub fn covers(&self, range: AddressRange) -> bool {
        match range {
            AddressRange::V4(first, last) => self.v4.range_at(first).is_some_and(|found| *found.end() >= last),
            AddressRange::V6(first, last) => self.v6.range_at(first).is_some_and(|found| *found.end() >= last),
        }
    }

    pub fn has_v6(&self) -> bool {
        !self.v6.is_empty()
    }

    /// The maximal ranges of the set, IPv4 first, ascending.
    pub fn ranges(&self) -> impl Iterator<Item = AddressRange> + '_ {
        let v4 = self.v4.ranges().map(|range| AddressRange::V4(*range.start(), *range.end()));
        let v6 = self.v6.ranges().map(|range| AddressRange::V6(*range.start(), *range.end()));
        v4.chain(v6)
    }
}

/// The pieces of the address space over which membership in every one of `sets`
/// is constant: cut at every edge of every range, never merged afterwards. IPv4
/// is always partitioned; IPv6 only when `with_v6` (some block of the input is IPv6).
pub fn partition<'a>(sets: impl IntoIterator<Item = &'a AddressSet>, with_v6: bool) -> Vec<AddressRange> {
    let mut v4_starts = std::collections::BTreeSet::from([0u64]);
    let mut v6_starts = std::collections::BTreeSet::from([0u128]);
    for set in sets {
        for range in set.v4.ranges() {
            v4_starts.insert(u64::from(*range.start()));
            v4_starts.insert(u64::from(*range.end()) + 1);
        }
        for range in set.v6.ranges() {
            v6_starts.insert(*range.start());
            if let Some(next) = range.end().checked_add(1) {
                v6_starts.insert(next);
            }
        }
    }
    let v4_end = u64::from(u32::MAX) + 1;
    let v4_starts: Vec<u64> = v4_starts.into_iter().filter(|start| *start < v4_end).collect();
    let mut pieces = Vec::with_capacity(v4_starts.len());
    for (index, start) in v4_starts.iter().enumerate() {
        let next = v4_starts.get(index + 1).copied().unwrap_or(v4_end);
        if let (Ok(first), Ok(last)) = (u32::try_from(*start), u32::try_from(next - 1)) {
            pieces.push(AddressRange::V4(first, last));
        }
    }
    if with_v6 {
        let v6_starts: Vec<u128> = v6_starts.into_iter().collect();
        for (index, start) in v6_starts.iter().enumerate() {
            let last = v6_starts.get(index + 1).map_or(u128::MAX, |next| next - 1);
            pieces.push(AddressRange::V6(*start, last));
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn block(cidr: &str, except: &[&str]) -> AddressSet {
        AddressSet::of_block(&AddressBlock {
            cidr: cidr.parse().unwrap(),
            except: except.iter().map(|net| net.parse().unwrap()).collect(),
        })
    }

    fn printed(pieces: &[AddressRange]) -> Vec<String> {
        pieces.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn an_except_cuts_the_space_into_three_pieces() {
        let pieces = partition([&block("0.0.0.0/0", &["10.0.0.0/8"])], false);
        assert_eq!(printed(&pieces), ["0.0.0.0-9.255.255.255", "10.0.0.0-10.255.255.255", "11.0.0.0-255.255.255.255"]);
    }

    #[test]
    fn adjacent_excepts_merge_into_one_hole() {
        let pieces = partition([&block("0.0.0.0/0", &["10.0.0.0/9", "10.128.0.0/9"])], false);
        assert_eq!(printed(&pieces), ["0.0.0.0-9.255.255.255", "10.0.0.0-10.255.255.255", "11.0.0.0-255.255.255.255"]);
    }

    #[test]
    fn no_block_leaves_the_whole_space_and_ipv6_only_on_request() {
        assert_eq!(printed(&partition([], false)), ["0.0.0.0-255.255.255.255"]);
        let pieces = partition([&block("2001:db8::/32", &[])], true);
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces[2].to_string(), "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    }

    #[test]
    fn a_block_covers_only_pieces_wholly_inside_it() {
        let set = block("10.0.0.0/8", &["10.10.0.0/16"]);
        assert!(set.covers(AddressRange::V4(0x0A00_0000, 0x0A09_FFFF)));
        assert!(!set.covers(AddressRange::V4(0x0A00_0000, 0x0A0A_0000)));
        assert!(set.contains("10.1.2.3".parse().unwrap()));
        assert!(!set.contains("10.10.2.3".parse().unwrap()));
        assert!(!set.contains("::1".parse().unwrap()));
    }
}
