//! Port-set algebra on [`PortSet`] and [`Port`]: building normalized sets and
//! taking their union. A normalized set is sorted, holds one range per run of
//! overlapping or adjacent ports of a protocol, and names each named port once.

use std::collections::BTreeSet;

use crate::model::{Port, PortSet, Protocol};

impl Port {
    /// One port number.
    pub fn single(protocol: Protocol, port: u16) -> Port {
        Port::Range { protocol, start: port, end: port }
    }

    /// Every port from `start` to `end`, both included, whichever order they come in.
    pub fn range(protocol: Protocol, start: u16, end: u16) -> Port {
        Port::Range { protocol, start: start.min(end), end: start.max(end) }
    }

    /// A container port name, resolved against the destination pod.
    pub fn named(protocol: Protocol, name: impl Into<String>) -> Port {
        Port::Named { protocol, name: name.into() }
    }
}

impl PortSet {
    /// Exactly these ports, normalized. `None` when there are none, since
    /// `PortSet::Only` is never empty.
    pub fn only(ports: impl IntoIterator<Item = Port>) -> Option<PortSet> {
        let ports = normalize(ports);
        if ports.is_empty() { None } else { Some(PortSet::Only(ports)) }
    }

    /// The same ports, normalized (sorted, ranges merged, names once).
    pub fn normalized(&self) -> PortSet {
        match self {
            PortSet::Only(ports) if !self.is_normalized() => PortSet::Only(normalize(ports.iter().cloned())),
            _ => self.clone(),
        }
    }

    /// Whether the set is normalized already, as the model keeps every set:
    /// sorted, ranges of one protocol apart from each other, each name once.
    pub fn is_normalized(&self) -> bool {
        let PortSet::Only(ports) = self else {
            return true;
        };
        let ranges_read_upwards =
            ports.iter().all(|port| !matches!(port, Port::Range { start, end, .. } if start > end));
        ranges_read_upwards
            && ports.windows(2).all(|pair| match pair {
                [Port::Range { protocol: first, end, .. }, Port::Range { protocol: second, start, .. }]
                    if first == second =>
                {
                    u32::from(*end) + 1 < u32::from(*start)
                }
                [first, second] => first < second,
                _ => true,
            })
    }

    /// Every port of either set, normalized. `All` absorbs everything.
    pub fn union(&self, other: &PortSet) -> PortSet {
        match (self, other) {
            (PortSet::All, _) | (_, PortSet::All) => PortSet::All,
            (PortSet::Only(left), PortSet::Only(right)) => PortSet::Only(normalize(left.iter().chain(right).cloned())),
        }
    }

    /// Whether the set allows no port at all. Only a malformed `Only(vec![])` does.
    pub fn is_empty(&self) -> bool {
        match self {
            PortSet::All => false,
            PortSet::Only(ports) => ports.is_empty(),
        }
    }
}

/// Sorted ranges (merged per protocol), then sorted, distinct named ports: the
/// order of `Port`'s derived `Ord`.
fn normalize(ports: impl IntoIterator<Item = Port>) -> Vec<Port> {
    let mut ranges: Vec<(Protocol, u16, u16)> = Vec::new();
    let mut names: BTreeSet<(Protocol, String)> = BTreeSet::new();
    for port in ports {
        match port {
            Port::Range { protocol, start, end } => {
                ranges.push((protocol, start.min(end), start.max(end)));
            }
            Port::Named { protocol, name } => {
                names.insert((protocol, name));
            }
        }
    }
    ranges.sort_unstable();

    let mut merged: Vec<(Protocol, u16, u16)> = Vec::with_capacity(ranges.len());
    for (protocol, start, end) in ranges {
        match merged.last_mut() {
            Some((last_protocol, _, last_end))
                if *last_protocol == protocol && u32::from(start) <= u32::from(*last_end) + 1 =>
            {
                *last_end = (*last_end).max(end);
            }
            _ => merged.push((protocol, start, end)),
        }
    }

    merged
        .into_iter()
        .map(|(protocol, start, end)| Port::Range { protocol, start, end })
        .chain(names.into_iter().map(|(protocol, name)| Port::Named { protocol, name }))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use Protocol::{Sctp, Tcp, Udp};

    fn only(ports: Vec<Port>) -> PortSet {
        PortSet::only(ports).unwrap()
    }

    #[test]
    fn an_empty_list_is_no_port_set() {
        assert_eq!(PortSet::only(Vec::new()), None);
    }

    #[test]
    fn ports_come_out_sorted_by_protocol_then_number() {
        let set = only(vec![Port::single(Udp, 53), Port::single(Tcp, 443), Port::single(Tcp, 80)]);
        assert_eq!(set, PortSet::Only(vec![Port::single(Tcp, 80), Port::single(Tcp, 443), Port::single(Udp, 53)]));
    }

    #[test]
    fn adjacent_ports_of_one_protocol_become_one_range() {
        let set = only(vec![Port::range(Tcp, 81, 90), Port::single(Tcp, 80)]);
        assert_eq!(set, PortSet::Only(vec![Port::range(Tcp, 80, 90)]));
    }

    #[test]
    fn overlapping_and_contained_ranges_merge() {
        let set = only(vec![Port::range(Tcp, 8000, 8100), Port::range(Tcp, 8050, 8200), Port::single(Tcp, 8120)]);
        assert_eq!(set, PortSet::Only(vec![Port::range(Tcp, 8000, 8200)]));
    }

    #[test]
    fn ranges_with_a_gap_stay_apart() {
        let set = only(vec![Port::single(Tcp, 80), Port::single(Tcp, 82)]);
        assert_eq!(set, PortSet::Only(vec![Port::single(Tcp, 80), Port::single(Tcp, 82)]));
    }

    #[test]
    fn the_same_number_on_two_protocols_stays_two_ports() {
        let set = only(vec![Port::single(Udp, 53), Port::single(Tcp, 53), Port::single(Sctp, 53)]);
        assert_eq!(set, PortSet::Only(vec![Port::single(Tcp, 53), Port::single(Udp, 53), Port::single(Sctp, 53)]));
    }

    #[test]
    fn a_range_at_the_top_of_the_port_space_merges_without_overflow() {
        let set = only(vec![Port::single(Tcp, 65535), Port::range(Tcp, 65000, 65534)]);
        assert_eq!(set, PortSet::Only(vec![Port::range(Tcp, 65000, 65535)]));
    }

    #[test]
    fn a_reversed_range_is_read_low_to_high() {
        assert_eq!(Port::range(Tcp, 90, 80), Port::Range { protocol: Tcp, start: 80, end: 90 });
        let reversed = PortSet::Only(vec![Port::Range { protocol: Tcp, start: 90, end: 80 }]);
        assert_eq!(reversed.normalized(), PortSet::Only(vec![Port::range(Tcp, 80, 90)]));
    }

    #[test]
    fn normalizing_an_already_normal_set_changes_nothing() {
        let set = only(vec![Port::range(Tcp, 80, 90), Port::named(Tcp, "http")]);
        assert_eq!(set.normalized(), set);
        assert_eq!(PortSet::All.normalized(), PortSet::All);
    }

    #[test]
    fn named_ports_are_kept_once_and_after_numbers() {
        let set = only(vec![
            Port::named(Tcp, "http"),
            Port::single(Tcp, 443),
            Port::named(Tcp, "http"),
            Port::named(Udp, "http"),
            Port::named(Tcp, "grpc"),
        ]);
        assert_eq!(
            set,
            PortSet::Only(vec![
                Port::single(Tcp, 443),
                Port::named(Tcp, "grpc"),
                Port::named(Tcp, "http"),
                Port::named(Udp, "http"),
            ])
        );
    }

    #[test]
    fn a_set_knows_whether_it_is_normalized() {
        assert!(PortSet::All.is_normalized());
        assert!(only(vec![Port::range(Tcp, 80, 90), Port::single(Udp, 53), Port::named(Tcp, "http")]).is_normalized());
        let unsorted = PortSet::Only(vec![Port::single(Tcp, 443), Port::single(Tcp, 80)]);
        let touching = PortSet::Only(vec![Port::single(Tcp, 80), Port::single(Tcp, 81)]);
        let twice = PortSet::Only(vec![Port::named(Tcp, "http"), Port::named(Tcp, "http")]);
        let reversed = PortSet::Only(vec![Port::Range { protocol: Tcp, start: 90, end: 80 }]);
        let name_first = PortSet::Only(vec![Port::named(Tcp, "http"), Port::single(Tcp, 80)]);
        for set in [unsorted, touching, twice, reversed, name_first] {
            assert!(!set.is_normalized(), "{set:?}");
        }
    }

    #[test]
    fn union_merges_ports_of_both_sets() {
        let web = only(vec![Port::single(Tcp, 80)]);
        let more = only(vec![Port::range(Tcp, 81, 90), Port::named(Tcp, "http")]);
        assert_eq!(web.union(&more), PortSet::Only(vec![Port::range(Tcp, 80, 90), Port::named(Tcp, "http")]));
    }

    #[test]
    fn all_absorbs_any_set_on_either_side() {
        let web = only(vec![Port::single(Tcp, 80)]);
        assert_eq!(PortSet::All.union(&web), PortSet::All);
        assert_eq!(web.union(&PortSet::All), PortSet::All);
        assert_eq!(PortSet::All.union(&PortSet::All), PortSet::All);
    }

    #[test]
    fn only_a_malformed_empty_only_is_empty() {
        assert!(!PortSet::All.is_empty());
        assert!(!only(vec![Port::single(Tcp, 80)]).is_empty());
        assert!(PortSet::Only(Vec::new()).is_empty());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn port() -> impl Strategy<Value = Port> {
            let protocol = prop_oneof![Just(Tcp), Just(Udp), Just(Sctp)];
            prop_oneof![
                (protocol.clone(), 1u16..200, 0u16..20)
                    .prop_map(|(protocol, start, width)| { Port::range(protocol, start, start + width) }),
                (protocol, prop_oneof![Just("http"), Just("dns"), Just("grpc")])
                    .prop_map(|(protocol, name)| Port::named(protocol, name)),
            ]
        }

        fn allows(ports: &[Port], protocol: Protocol, number: u16) -> bool {
            ports.iter().any(|port| {
                matches!(port, Port::Range { protocol: p, start, end }
                    if *p == protocol && (*start..=*end).contains(&number))
            })
        }

        proptest! {
            #[test]
            fn normalizing_keeps_exactly_the_same_ports(ports in prop::collection::vec(port(), 1..12)) {
                let PortSet::Only(normal) = PortSet::only(ports.clone()).unwrap() else {
                    unreachable!("a non-empty list is an Only set");
                };
                for protocol in [Tcp, Udp, Sctp] {
                    for number in 1u16..230 {
                        prop_assert_eq!(allows(&ports, protocol, number), allows(&normal, protocol, number));
                    }
                }
                let names = |list: &[Port]| list.iter()
                    .filter(|port| matches!(port, Port::Named { .. }))
                    .cloned()
                    .collect::<BTreeSet<_>>();
                prop_assert_eq!(names(&ports), names(&normal));
            }

            #[test]
            fn normalized_sets_are_sorted_and_never_touch(ports in prop::collection::vec(port(), 1..12)) {
                let PortSet::Only(normal) = PortSet::only(ports).unwrap() else {
                    unreachable!("a non-empty list is an Only set");
                };
                for pair in normal.windows(2) {
                    prop_assert!(pair[0] < pair[1]);
                    if let (
                        Port::Range { protocol: a, end, .. },
                        Port::Range { protocol: b, start, .. },
                    ) = (&pair[0], &pair[1]) && a == b {
                        prop_assert!(u32::from(*end) + 1 < u32::from(*start));
                    }
                }
            }

            #[test]
            fn a_set_is_normalized_exactly_when_normalizing_changes_nothing(
                ports in prop::collection::vec(port(), 0..8),
            ) {
                let unchanged = normalize(ports.iter().cloned()) == ports;
                prop_assert_eq!(PortSet::Only(ports).is_normalized(), unchanged);
            }

            #[test]
            fn union_is_commutative_and_idempotent(
                left in prop::collection::vec(port(), 1..8),
                right in prop::collection::vec(port(), 1..8),
            ) {
                let left = PortSet::only(left).unwrap();
                let right = PortSet::only(right).unwrap();
                prop_assert_eq!(left.union(&right), right.union(&left));
                prop_assert_eq!(left.union(&left), left.clone());
            }
        }
    }
}
