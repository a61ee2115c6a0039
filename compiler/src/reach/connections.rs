//! Connection sets: for each of TCP, UDP and SCTP, the ports allowed, as interval
//! sets (never an enumeration of ports). The algebra (union, intersection,
//! difference) and the canonical text `SCTP 7070,TCP 8080-8081,UDP 9090`.

use std::fmt;
use std::ops::RangeInclusive;

use range_set_blaze::RangeSetBlaze;

use crate::model::{Port, PortSet, Protocol};

/// Every port number a connection can use.
pub const ALL_PORTS: RangeInclusive<u16> = 1..=65535;

/// The protocols NetworkPolicies know, in the order connection sets print them.
pub const PROTOCOLS: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

/// Allowed ports per protocol.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionSet {
    /// Indexed as [`PROTOCOLS`]: SCTP, TCP, UDP.
    ports: [RangeSetBlaze<u16>; 3],
}

fn slot(protocol: Protocol) -> usize {
    match protocol {
        Protocol::Sctp => 0,
        Protocol::Tcp => 1,
        Protocol::Udp => 2,
    }
}

impl ConnectionSet {
    /// No connection at all.
    pub fn none() -> ConnectionSet {
        ConnectionSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> ConnectionSet {
        let every = || RangeSetBlaze::from(ALL_PORTS);
        ConnectionSet { ports: [every(), every(), every()] }
    }

    /// `start..=end` of one protocol (ports outside 1-65535 are dropped).
    pub fn ports(protocol: Protocol, start: u16, end: u16) -> ConnectionSet {
        let mut set = ConnectionSet::none();
        set.add(protocol, start, end);
        set
    }

    /// Adds `start..=end` of `protocol`.
    pub fn add(&mut self, protocol: Protocol, start: u16, end: u16) {
        let (start, end) = (start.max(*ALL_PORTS.start()), end);
        if start <= end
            && let Some(ports) = self.ports.get_mut(slot(protocol))
        {
            ports.ranges_insert(start..=end);
        }
    }

    /// The ports a rule's `ports` allow towards a destination: numbered ports as
    /// they are, named ports through `resolve` (the destination's container ports;
    /// a name it does not declare with that protocol adds nothing).
    pub fn from_port_set(ports: &PortSet, resolve: impl Fn(Protocol, &str) -> Option<u16>) -> ConnectionSet {
        match ports {
            PortSet::All => ConnectionSet::all(),
            PortSet::Only(ports) => {
                let mut set = ConnectionSet::none();
                for port in ports {
                    match port {
                        Port::Range { protocol, start, end } => set.add(*protocol, *start, *end),
                        Port::Named { protocol, name } => {
                            if let Some(number) = resolve(*protocol, name) {
                                set.add(*protocol, number, number);
                            }
                        }
                    }
                }
                set
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(RangeSetBlaze::is_empty)
    }

    /// Every port of every protocol.
    pub fn is_all(&self) -> bool {
        self.ports
            .iter()
            .all(|ports| ports.ranges_len() == 1 && ports.first() == Some(1) && ports.last() == Some(65535))
    }

    /// The ports of one protocol.
    pub fn protocol(&self, protocol: Protocol) -> &RangeSetBlaze<u16> {
        // `slot` only returns 0, 1 or 2.
        #[expect(clippy::indexing_slicing, reason = "slot() is always in 0..3")]
        &self.ports[slot(protocol)]
    }

    pub fn union(&self, other: &ConnectionSet) -> ConnectionSet {
        self.combine(other, |left, right| left | right)
    }

    pub fn intersection(&self, other: &ConnectionSet) -> ConnectionSet {
        self.combine(other, |left, right| left & right)
    }

    /// What `self` allows and `other` does not.
    pub fn difference(&self, other: &ConnectionSet) -> ConnectionSet {
        self.combine(other, |left, right| left - right)
    }

    pub fn is_subset(&self, other: &ConnectionSet) -> bool {
        self.ports.iter().zip(&other.ports).all(|(mine, theirs)| mine.is_subset(theirs))
    }

    /// Whether `protocol`/`port` is allowed.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.protocol(protocol).contains(port)
    }

    /// Each protocol with at least one port, and its ranges, in print order.
    pub fn by_protocol(&self) -> impl Iterator<Item = (Protocol, &RangeSetBlaze<u16>)> {
        PROTOCOLS.into_iter().zip(&self.ports).filter(|(_, ports)| !ports.is_empty())
    }

    /// One port this set allows, preferring TCP, then UDP, then SCTP: the port an
    /// attack path would use.
    pub fn first_port(&self) -> Option<(Protocol, u16)> {
        [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
            .into_iter()
            .find_map(|protocol| self.protocol(protocol).first().map(|port| (protocol, port)))
    }

    fn combine(
        &self,
        other: &ConnectionSet,
        operation: impl Fn(&RangeSetBlaze<u16>, &RangeSetBlaze<u16>) -> RangeSetBlaze<u16>,
    ) -> ConnectionSet {
        let [a, b, c] = &self.ports;
        let [x, y, z] = &other.ports;
        ConnectionSet { ports: [operation(a, x), operation(b, y), operation(c, z)] }
    }
}

/// `All Connections`, `No Connections`, or `SCTP 7070,TCP 8080-8081,UDP 9090`: the
/// text connectivity lists use (protocols in alphabetical order, ascending ranges).
impl fmt::Display for ConnectionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        for (index, (protocol, ports)) in self.by_protocol().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{} ", protocol.as_kubernetes())?;
            for (index, range) in ports.ranges().enumerate() {
                if index > 0 {
                    f.write_str(",")?;
                }
                if range.start() == range.end() {
                    write!(f, "{}", range.start())?;
                } else {
                    write!(f, "{}-{}", range.start(), range.end())?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ConnectionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectionSet({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_protocols_alphabetically_and_merges_adjacent_ports() {
        let mut set = ConnectionSet::ports(Protocol::Tcp, 8081, 8081);
        set.add(Protocol::Tcp, 8080, 8080);
        set.add(Protocol::Udp, 9090, 9090);
        set.add(Protocol::Sctp, 7070, 7070);
        assert_eq!(set.to_string(), "SCTP 7070,TCP 8080-8081,UDP 9090");
    }

    #[test]
    fn every_port_of_every_protocol_is_all_connections() {
        let mut set = ConnectionSet::none();
        for protocol in PROTOCOLS {
            set.add(protocol, 1, 65535);
        }
        assert!(set.is_all());
        assert_eq!(set.to_string(), "All Connections");
        let almost = set.difference(&ConnectionSet::ports(Protocol::Udp, 53, 53));
        assert_eq!(almost.to_string(), "SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535");
    }

    #[test]
    fn named_ports_resolve_through_the_destination() {
        let ports = PortSet::Only(vec![Port::named(Protocol::Udp, "dns"), Port::named(Protocol::Tcp, "missing")]);
        let set = ConnectionSet::from_port_set(&ports, |protocol, name| {
            (protocol == Protocol::Udp && name == "dns").then_some(53)
        });
        assert_eq!(set.to_string(), "UDP 53");
    }

    #[test]
    fn algebra() {
        let web = ConnectionSet::ports(Protocol::Tcp, 80, 443);
        let tls = ConnectionSet::ports(Protocol::Tcp, 443, 443);
        assert_eq!(web.intersection(&tls), tls);
        assert!(tls.is_subset(&web));
        assert_eq!(web.difference(&tls).to_string(), "TCP 80-442");
        assert!(ConnectionSet::none().is_empty());
        assert_eq!(ConnectionSet::none().to_string(), "No Connections");
    }
}
