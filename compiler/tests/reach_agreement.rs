//! The connectivity matrix (worked out per class of workloads, on bitsets and
//! interned sets) agrees with the definitions applied one pair at a time
//! (`reach::pairs::evaluate`) on random clusters: every workload pair, every
//! workload to every address piece and back.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use npg_compiler::model::{AddressBlock, LabelSelector, Port, PortSet, Protocol, Requirement};
use npg_compiler::reach::{
    Cluster, Connectivity, ContainerPort, Endpoint, HostNetwork, Namespace, NamespaceScope, Peer, Policy, PolicyRule,
    Workload, pairs,
};
use proptest::prelude::*;

const NAMESPACES: [&str; 3] = ["alpha", "beta", "gamma"];
const KEYS: [&str; 3] = ["app", "tier", "team"];
const VALUES: [&str; 3] = ["a", "b", "c"];
const PORT_NAMES: [&str; 2] = ["http", "dns"];
const BLOCKS: [(&str, &[&str]); 5] = [
    ("0.0.0.0/0", &["10.0.0.0/8"]),
    ("10.0.0.0/8", &["10.1.0.0/16"]),
    ("10.1.2.0/24", &[]),
    ("192.168.0.0/16", &[]),
    ("2001:db8::/32", &[]),
];
const HOST_IPS: [&str; 3] = ["10.1.2.3", "192.168.1.1", "172.16.0.1"];

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(
        proptest::sample::select(&KEYS[..]).prop_map(str::to_owned),
        proptest::sample::select(&VALUES[..]).prop_map(str::to_owned),
        0..3,
    )
}

fn requirement() -> impl Strategy<Value = Requirement> {
    let key = || proptest::sample::select(&KEYS[..]).prop_map(str::to_owned);
    let value = || proptest::sample::select(&VALUES[..]).prop_map(str::to_owned);
    let values = || proptest::collection::btree_set(value(), 1..3);
    prop_oneof![
        (key(), value()).prop_map(|(key, value)| Requirement::Equals { key, value }),
        (key(), value()).prop_map(|(key, value)| Requirement::NotEquals { key, value }),
        (key(), values()).prop_map(|(key, values)| Requirement::In { key, values }),
        (key(), values()).prop_map(|(key, values)| Requirement::NotIn { key, values }),
        key().prop_map(|key| Requirement::Exists { key }),
        key().prop_map(|key| Requirement::DoesNotExist { key }),
    ]
}

fn selector() -> impl Strategy<Value = LabelSelector> {
    proptest::collection::vec(requirement(), 0..3).prop_map(|mut requirements| {
        requirements.sort();
        requirements.dedup();
        LabelSelector { requirements }
    })
}

fn peer() -> impl Strategy<Value = Peer> {
    prop_oneof![
        (selector(), proptest::option::of(selector())).prop_map(|(pods, namespaces)| Peer::Pods {
            namespaces: namespaces.map_or(NamespaceScope::Own, NamespaceScope::Matching),
            pods,
        }),
        proptest::sample::select(&BLOCKS[..]).prop_map(|(cidr, except)| Peer::Addresses(AddressBlock {
            cidr: cidr.parse().unwrap(),
            except: except.iter().map(|net| net.parse().unwrap()).collect(),
        })),
    ]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    proptest::sample::select(&[Protocol::Tcp, Protocol::Udp, Protocol::Sctp][..])
}

fn ports() -> impl Strategy<Value = PortSet> {
    let port = prop_oneof![
        (protocol(), 1u16..100, 0u16..20).prop_map(|(protocol, start, width)| Port::range(
            protocol,
            start,
            start + width
        )),
        (protocol(), proptest::sample::select(&PORT_NAMES[..]))
            .prop_map(|(protocol, name)| Port::named(protocol, name)),
    ];
    prop_oneof![
        Just(PortSet::All),
        proptest::collection::vec(port, 1..3).prop_map(|ports| PortSet::only(ports).unwrap_or(PortSet::All)),
    ]
}

fn rule(with_addresses: bool) -> impl Strategy<Value = PolicyRule> {
    (proptest::option::of(proptest::collection::vec(peer(), 1..3)), ports()).prop_map(move |(peers, ports)| {
        let peers = peers.map(|peers| {
            peers.into_iter().filter(|peer| with_addresses || matches!(peer, Peer::Pods { .. })).collect::<Vec<_>>()
        });
        PolicyRule { peers: peers.filter(|peers| !peers.is_empty()), ports, origins: Vec::new() }
    })
}

fn policy(index: usize) -> impl Strategy<Value = Policy> {
    let rules = |with_addresses| proptest::option::of(proptest::collection::vec(rule(with_addresses), 0..3));
    (proptest::sample::select(&NAMESPACES[..]), selector(), rules(true), rules(true)).prop_map(
        move |(namespace, pod_selector, ingress, egress)| Policy {
            namespace: namespace.to_owned(),
            name: format!("policy-{index}"),
            pod_selector,
            ingress,
            egress,
            source: "test.yaml".into(),
            managed_by_npg: false,
        },
    )
}

fn workload(index: usize) -> impl Strategy<Value = Workload> {
    let container_port = (proptest::option::of(proptest::sample::select(&PORT_NAMES[..])), 1u16..100, protocol())
        .prop_map(|(name, port, protocol)| ContainerPort { name: name.map(str::to_owned), port, protocol });
    let host = proptest::option::weighted(
        0.2,
        proptest::option::of(proptest::sample::select(&HOST_IPS[..]))
            .prop_map(|ip| HostNetwork { host_ip: ip.map(|ip| ip.parse().unwrap()) }),
    );
    (proptest::sample::select(&NAMESPACES[..]), labels(), proptest::collection::vec(container_port, 0..3), host)
        .prop_map(move |(namespace, labels, ports, host_network)| Workload {
            namespace: namespace.to_owned(),
            name: format!("w{index}"),
            kind: "Deployment".to_owned(),
            labels,
            ports,
            host_network,
            source: "test.yaml".into(),
        })
}

fn cluster() -> impl Strategy<Value = Cluster> {
    let namespaces = proptest::collection::vec(labels(), 2..=2).prop_map(|label_sets| {
        // `gamma` is left undescribed: it has only its name label.
        NAMESPACES
            .iter()
            .take(2)
            .zip(label_sets)
            .map(|(name, mut labels)| {
                labels.insert("kubernetes.io/metadata.name".to_owned(), (*name).to_owned());
                Namespace { name: (*name).to_owned(), labels }
            })
            .collect::<Vec<_>>()
    });
    let workloads = (1usize..7).prop_flat_map(|count| (0..count).map(workload).collect::<Vec<_>>());
    let policies = (0usize..6).prop_flat_map(|count| (0..count).map(policy).collect::<Vec<_>>());
    (namespaces, workloads, policies).prop_map(|(namespaces, workloads, policies)| Cluster {
        namespaces,
        workloads,
        policies,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_matrix_agrees_with_the_definitions_pair_by_pair(cluster in cluster()) {
        let connectivity = Connectivity::of(&cluster);
        let count = cluster.workloads.len();
        for from in 0..count {
            for to in 0..count {
                let expected = if from == to {
                    npg_compiler::reach::ConnectionSet::none()
                } else {
                    pairs::evaluate(&cluster, Endpoint::Workload(from), Endpoint::Workload(to)).allowed
                };
                prop_assert_eq!(connectivity.between(from, to), &expected, "{} -> {}", from, to);
            }
            for (piece, range) in connectivity.destination_pieces().iter().enumerate() {
                let expected = pairs::evaluate(&cluster, Endpoint::Workload(from), Endpoint::Addresses(*range)).allowed;
                prop_assert_eq!(connectivity.to_piece(from, piece), &expected, "{} -> {}", from, range);
            }
            for (piece, range) in connectivity.source_pieces().iter().enumerate() {
                let expected = pairs::evaluate(&cluster, Endpoint::Addresses(*range), Endpoint::Workload(from)).allowed;
                prop_assert_eq!(connectivity.from_piece(piece, from), &expected, "{} -> {}", range, from);
            }
        }
    }
}

#[test]
fn workloads_no_policy_tells_apart_share_a_class() {
    let workload = |name: &str, app: &str| Workload {
        namespace: "shop".to_owned(),
        name: name.to_owned(),
        kind: "Deployment".to_owned(),
        labels: BTreeMap::from([("app".to_owned(), app.to_owned())]),
        ports: Vec::new(),
        host_network: None,
        source: "shop.yaml".into(),
    };
    let cluster = Cluster {
        namespaces: Vec::new(),
        workloads: vec![workload("a", "web"), workload("b", "web"), workload("c", "db")],
        policies: vec![Policy {
            namespace: "shop".to_owned(),
            name: "db".to_owned(),
            pod_selector: LabelSelector {
                requirements: vec![Requirement::Equals { key: "app".to_owned(), value: "db".to_owned() }],
            },
            ingress: Some(Vec::new()),
            egress: None,
            source: "shop.yaml".into(),
            managed_by_npg: false,
        }],
    };
    let connectivity = Connectivity::of(&cluster);
    assert_eq!(connectivity.class_count(), 2);
    assert!(connectivity.between(0, 2).is_empty());
    assert!(connectivity.between(2, 0).is_all());
    assert!(connectivity.between(0, 1).is_all());
}
