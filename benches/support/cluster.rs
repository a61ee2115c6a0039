//! A seeded generator of Kubernetes clusters for the connectivity benchmarks:
//! namespaces, workloads (Deployments, StatefulSets, DaemonSets, bare Pods) and
//! NetworkPolicies as k8s-openapi objects, in the proportions a named [`Shape`]
//! gives, written as one YAML file per namespace. Same shape and seed, same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, ContainerPort, Namespace, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// How big a cluster to generate and which NetworkPolicy features to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    pub name: &'static str,
    pub namespaces: usize,
    /// Pods in all, counting every replica (a DaemonSet has one pod per node).
    pub pods: usize,
    pub policies: usize,
    /// Application pods labelled `env: prod`: what the widest selector picks.
    pub prod_pods: usize,
    /// Nodes, for the pods of DaemonSets.
    pub nodes: usize,
    /// Distinct ipBlocks the policies draw from (a few are drawn far more than others).
    pub address_blocks: usize,
    /// Percent of the policies that select nothing or allow nothing.
    pub empty_percent: usize,
    /// Percent of the policies in rarer forms: rules without peers or without a
    /// port number, SCTP, namespace selectors with expressions, named ports in
    /// egress, a policy isolating egress with ingress rules only.
    pub rare_percent: usize,
    /// StatefulSets, DaemonSets (one of them on the host network) and bare Pods
    /// besides Deployments, and IPv6 blocks besides IPv4 ones.
    pub every_kind: bool,
}

impl Shape {
    /// A large cluster as publicly described: 5,400 pods in 600 namespaces under
    /// 13,700 policies.
    pub fn public_cluster() -> Shape {
        Shape {
            name: "public-cluster",
            namespaces: 600,
            pods: 5_400,
            policies: 13_700,
            prod_pods: 3_500,
            nodes: 40,
            address_blocks: 160,
            empty_percent: 25,
            rare_percent: 0,
            every_kind: true,
        }
    }

    /// A small cluster with every workload kind, the host network and IPv6, to
    /// compare with network-config-analyzer where the two may differ.
    pub fn nca_kinds() -> Shape {
        Shape {
            name: "nca-kinds",
            namespaces: 20,
            pods: 400,
            policies: 200,
            prod_pods: 260,
            nodes: 5,
            address_blocks: 30,
            empty_percent: 25,
            rare_percent: 10,
            every_kind: true,
        }
    }

    /// About a thousand pods, for the comparison with network-config-analyzer:
    /// Deployments and Namespaces only, IPv4 blocks only, every policy feature.
    pub fn nca_1k() -> Shape {
        Shape {
            name: "nca-1k",
            namespaces: 50,
            pods: 1_000,
            policies: 500,
            prod_pods: 650,
            nodes: 10,
            address_blocks: 40,
            empty_percent: 25,
            rare_percent: 10,
            every_kind: false,
        }
    }
}

/// A workload object of one of the kinds the generator writes.
#[derive(Clone, Debug)]
pub enum WorkloadObject {
    Deployment(Deployment),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    Pod(Pod),
}

/// A workload and what the statistics need to know of it without reading the object.
#[derive(Clone, Debug)]
pub struct GeneratedWorkload {
    pub object: WorkloadObject,
    pub name: String,
    pub pods: usize,
    pub labels: BTreeMap<String, String>,
    pub host_network: bool,
}

/// One namespace with everything in it.
#[derive(Clone, Debug)]
pub struct GeneratedNamespace {
    pub object: Namespace,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub workloads: Vec<GeneratedWorkload>,
    pub policies: Vec<NetworkPolicy>,
}

/// A whole generated cluster.
#[derive(Clone, Debug)]
pub struct GeneratedCluster {
    pub namespaces: Vec<GeneratedNamespace>,
}

/// One YAML file: its name inside the cluster folder and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlFile {
    pub path: String,
    pub text: String,
}

impl GeneratedCluster {
    /// One file per namespace: the Namespace, its workloads, then its policies,
    /// as a multi-document YAML stream.
    pub fn yaml_files(&self) -> Result<Vec<YamlFile>, serde_yaml::Error> {
        self.namespaces
            .iter()
            .map(|namespace| {
                let mut documents = vec![serde_yaml::to_string(&namespace.object)?];
                for workload in &namespace.workloads {
                    documents.push(match &workload.object {
                        WorkloadObject::Deployment(object) => serde_yaml::to_string(object)?,
                        WorkloadObject::StatefulSet(object) => serde_yaml::to_string(object)?,
                        WorkloadObject::DaemonSet(object) => serde_yaml::to_string(object)?,
                        WorkloadObject::Pod(object) => serde_yaml::to_string(object)?,
                    });
                }
                for policy in &namespace.policies {
                    documents.push(serde_yaml::to_string(policy)?);
                }
                Ok(YamlFile { path: format!("{}.yaml", namespace.name), text: documents.join("---\n") })
            })
            .collect()
    }

    /// Writes every file under `dir`, replacing whatever `dir` held.
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        let files = self.yaml_files().map_err(io::Error::other)?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        for file in files {
            std::fs::write(dir.join(&file.path), &file.text)?;
        }
        Ok(())
    }

    pub fn policy_count(&self) -> usize {
        self.namespaces.iter().map(|namespace| namespace.policies.len()).sum()
    }

    pub fn workload_count(&self) -> usize {
        self.namespaces.iter().map(|namespace| namespace.workloads.len()).sum()
    }

    /// What the generated cluster looks like, measured on the objects themselves.
    pub fn statistics(&self) -> Statistics {
        let pods_where = |namespaces: &dyn Fn(&GeneratedNamespace) -> bool, pods: &LabelSelector| -> usize {
            self.namespaces
                .iter()
                .filter(|namespace| namespaces(namespace))
                .flat_map(|namespace| &namespace.workloads)
                .filter(|workload| !workload.host_network && selector_matches(pods, &workload.labels))
                .map(|workload| workload.pods)
                .sum()
        };
        let mut selected = Vec::new();
        let mut empty = 0;
        let mut widest = 0;
        let mut peers_per_policy = Vec::new();
        let mut blocks_per_policy = Vec::new();
        let mut ports_per_policy = Vec::new();
        let mut blocks = BTreeSet::new();
        let mut kinds = BTreeMap::new();
        for namespace in &self.namespaces {
            for workload in &namespace.workloads {
                *kinds.entry(workload.kind()).or_insert(0) += 1;
            }
            for policy in &namespace.policies {
                let Some(spec) = &policy.spec else { continue };
                let own = |candidate: &GeneratedNamespace| candidate.name == namespace.name;
                let everything = LabelSelector::default();
                let count = pods_where(&own, spec.pod_selector.as_ref().unwrap_or(&everything));
                selected.push(count);
                widest = widest.max(count);
                let ingress = spec.ingress.iter().flatten().map(|rule| (&rule.from, &rule.ports));
                let egress = spec.egress.iter().flatten().map(|rule| (&rule.to, &rule.ports));
                let rules: Vec<_> = ingress.chain(egress).collect();
                if count == 0 || rules.is_empty() {
                    empty += 1;
                }
                let mut peers = 0;
                let mut address_peers = 0;
                let mut ports = 0;
                for (rule_peers, rule_ports) in rules {
                    ports += rule_ports.as_ref().map_or(0, Vec::len);
                    for peer in rule_peers.iter().flatten() {
                        peers += 1;
                        if let Some(block) = &peer.ip_block {
                            address_peers += 1;
                            blocks.insert((block.cidr.clone(), block.except.clone()));
                            continue;
                        }
                        let pods = peer.pod_selector.as_ref().unwrap_or(&everything);
                        let count = match &peer.namespace_selector {
                            None => pods_where(&own, pods),
                            Some(namespaces) => {
                                pods_where(&|candidate| selector_matches(namespaces, &candidate.labels), pods)
                            }
                        };
                        widest = widest.max(count);
                    }
                }
                peers_per_policy.push(peers);
                blocks_per_policy.push(address_peers);
                ports_per_policy.push(ports);
            }
        }
        let pods = self.namespaces.iter().flat_map(|namespace| &namespace.workloads).map(|workload| workload.pods);
        Statistics {
            namespaces: self.namespaces.len(),
            workloads: self.workload_count(),
            workloads_by_kind: kinds,
            pods: pods.sum(),
            policies: self.policy_count(),
            empty_policies: empty,
            median_selected_pods: median(&mut selected),
            median_peers: median(&mut peers_per_policy),
            median_address_peers: median(&mut blocks_per_policy),
            median_ports: median(&mut ports_per_policy),
            widest_selector_pods: widest,
            distinct_address_blocks: blocks.len(),
        }
    }
}

impl GeneratedWorkload {
    pub fn kind(&self) -> &'static str {
        match self.object {
            WorkloadObject::Deployment(_) => "Deployment",
            WorkloadObject::StatefulSet(_) => "StatefulSet",
            WorkloadObject::DaemonSet(_) => "DaemonSet",
            WorkloadObject::Pod(_) => "Pod",
        }
    }
}

/// Measured facts about a generated cluster, as docs/benchmarks.md reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statistics {
    pub namespaces: usize,
    pub workloads: usize,
    pub workloads_by_kind: BTreeMap<&'static str, usize>,
    pub pods: usize,
    pub policies: usize,
    /// Policies that select no pod, or have no rule in any direction they isolate.
    pub empty_policies: usize,
    pub median_selected_pods: usize,
    pub median_peers: usize,
    pub median_address_peers: usize,
    pub median_ports: usize,
    /// The most pods one selector picks: a policy's own or one of its peers.
    pub widest_selector_pods: usize,
    pub distinct_address_blocks: usize,
}

impl std::fmt::Display for Statistics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<String> = self.workloads_by_kind.iter().map(|(kind, count)| format!("{count} {kind}")).collect();
        write!(
            formatter,
            "{} namespaces, {} pods in {} workloads ({}), {} policies of which {} empty; \
             per policy (median): {} selected pods, {} peers of which {} ipBlocks, {} ports; widest selector: {} pods; \
             {} distinct ipBlocks",
            self.namespaces,
            self.pods,
            self.workloads,
            kinds.join(", "),
            self.policies,
            self.empty_policies,
            self.median_selected_pods,
            self.median_peers,
            self.median_address_peers,
            self.median_ports,
            self.widest_selector_pods,
            self.distinct_address_blocks
        )
    }
}

fn median(values: &mut [usize]) -> usize {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// Kubernetes label selector semantics, enough for the statistics: matchLabels and
/// the four matchExpressions operators.
fn selector_matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let by_labels =
        selector.match_labels.iter().flatten().all(|(key, value)| labels.get(key).is_some_and(|found| found == value));
    let by_expressions = selector.match_expressions.iter().flatten().all(|expression| {
        let found = labels.get(&expression.key);
        let listed = |value: &String| expression.values.iter().flatten().any(|listed| listed == value);
        match expression.operator.as_str() {
            "In" => found.is_some_and(listed),
            "NotIn" => !found.is_some_and(listed),
            "Exists" => found.is_some(),
            "DoesNotExist" => found.is_none(),
            _ => false,
        }
    });
    by_labels && by_expressions
}

/// The generator's state: the random stream and the shape's choices so far.
struct Generator {
    random: fastrand::Rng,
    shape: Shape,
    blocks: Vec<IPBlock>,
    /// `(team, namespace)` of every application namespace, for cross-namespace peers.
    application_namespaces: Vec<(String, String)>,
}

#[rustfmt::skip]
const PRODUCTS: &[&str] = &[
    "billing", "checkout", "catalog", "search", "payments", "identity", "inventory", "shipping", "orders", "reviews",
    "ads", "analytics", "notifications", "pricing", "loyalty", "fraud", "ledger", "reports", "media", "profiles",
    "recommendations", "support", "geo", "booking", "cart", "email", "messaging", "exports", "imports", "audit", "tax",
    "invoices", "rewards", "coupons", "wishlist", "feeds", "chat", "video", "maps", "partners",
];

#[rustfmt::skip]
const TEAMS: &[&str] = &[
    "atlas", "borealis", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "indigo", "juniper", "kestrel",
    "lumen", "meridian", "nimbus", "onyx", "pioneer", "quartz", "raven", "summit", "tundra", "umber", "vertex", "willow",
    "zephyr",
];

/// Application names and the tier each belongs to.
const APPLICATIONS: &[(&str, Tier)] = &[
    ("web", Tier::Frontend),
    ("ui", Tier::Frontend),
    ("admin", Tier::Frontend),
    ("api", Tier::Backend),
    ("grpc-gateway", Tier::Backend),
    ("backend", Tier::Backend),
    ("proxy", Tier::Backend),
    ("sync", Tier::Backend),
    ("db", Tier::Data),
    ("cache", Tier::Data),
    ("store", Tier::Data),
    ("queue", Tier::Data),
    ("indexer", Tier::Data),
    ("worker", Tier::Worker),
    ("scheduler", Tier::Worker),
    ("consumer", Tier::Worker),
    ("mailer", Tier::Worker),
    ("exporter", Tier::Worker),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tier {
    Frontend,
    Backend,
    Data,
    Worker,
}

impl Tier {
    fn label(self) -> &'static str {
        match self {
            Tier::Frontend => "frontend",
            Tier::Backend => "backend",
            Tier::Data => "data",
            Tier::Worker => "worker",
        }
    }
}

const ENVIRONMENTS: &[&str] = &["prod", "staging", "dev"];

/// Port names containers declare; `metrics` only on some, so that policies naming
/// it resolve on some destinations and not on others.
const HTTP: (&str, i32) = ("http", 8080);
const GRPC: (&str, i32) = ("grpc", 9090);
const METRICS: (&str, i32) = ("metrics", 9102);
/// A port name no container declares: policies naming it allow nothing.
const UNDECLARED_PORT_NAME: &str = "admin-http";

/// Generates the cluster `shape` describes from `seed`.
pub fn generate(shape: &Shape, seed: u64) -> GeneratedCluster {
    let mut generator = Generator {
        random: fastrand::Rng::with_seed(seed),
        shape: shape.clone(),
        blocks: Vec::new(),
        application_namespaces: Vec::new(),
    };
    generator.blocks = generator.address_blocks();
    let mut namespaces = generator.system_namespaces();
    let system_pods: usize = namespaces.iter().flat_map(|namespace| &namespace.workloads).map(|w| w.pods).sum();
    let application_count = shape.namespaces.saturating_sub(namespaces.len());
    let application_pods = shape.pods.saturating_sub(system_pods);
    namespaces.extend(generator.application_namespaces(application_count, application_pods));
    let weights: Vec<usize> =
        namespaces.iter().map(|namespace| namespace.workloads.iter().map(|w| w.pods).sum::<usize>() + 1).collect();
    let policy_counts = apportion(shape.policies, &weights);
    for (namespace, count) in namespaces.iter_mut().zip(policy_counts) {
        namespace.policies = generator.policies(namespace, count);
    }
    namespaces.sort_by(|first, second| first.name.cmp(&second.name));
    GeneratedCluster { namespaces }
}

/// Splits `total` in proportion to `weights`, by largest remainder, so the parts
/// add up to `total` exactly.
fn apportion(total: usize, weights: &[usize]) -> Vec<usize> {
    let sum: usize = weights.iter().sum::<usize>().max(1);
    let mut parts: Vec<usize> = weights.iter().map(|weight| total * weight / sum).collect();
    let mut remainders: Vec<(usize, usize)> =
        weights.iter().enumerate().map(|(index, weight)| (total * weight % sum, index)).collect();
    remainders.sort_by(|first, second| second.cmp(first));
    let missing = total.saturating_sub(parts.iter().sum());
    for (_, index) in remainders.into_iter().take(missing) {
        if let Some(part) = parts.get_mut(index) {
            *part += 1;
        }
    }
    parts
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
}

fn match_labels(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector { match_labels: Some(labels(pairs)), match_expressions: None }
}

fn expression(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_owned(),
        operator: operator.to_owned(),
        values: (!values.is_empty()).then(|| values.iter().map(|value| (*value).to_owned()).collect()),
    }
}

fn namespace_object(name: &str, labels: &BTreeMap<String, String>) -> Namespace {
    Namespace {
        metadata: ObjectMeta { name: Some(name.to_owned()), labels: Some(labels.clone()), ..ObjectMeta::default() },
        ..Namespace::default()
    }
}

/// A port a container declares.
#[derive(Clone, Debug)]
struct DeclaredPort {
    name: Option<&'static str>,
    port: i32,
    protocol: &'static str,
}

impl DeclaredPort {
    fn named((name, port): (&'static str, i32)) -> DeclaredPort {
        DeclaredPort { name: Some(name), port, protocol: "TCP" }
    }
}

/// What one workload to create looks like before it becomes an object.
struct WorkloadPlan<'a> {
    namespace: &'a str,
    name: String,
    kind: &'static str,
    replicas: usize,
    labels: BTreeMap<String, String>,
    ports: Vec<DeclaredPort>,
    host_network: bool,
}

impl WorkloadPlan<'_> {
    fn build(self, nodes: usize) -> GeneratedWorkload {
        let metadata = |name: &str| ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.namespace.to_owned()),
            ..ObjectMeta::default()
        };
        let container_ports: Vec<ContainerPort> = self
            .ports
            .iter()
            .map(|port| ContainerPort {
                name: port.name.map(str::to_owned),
                container_port: port.port,
                protocol: (port.protocol != "TCP").then(|| port.protocol.to_owned()),
                ..ContainerPort::default()
            })
            .collect();
        let pod_spec = PodSpec {
            containers: vec![Container {
                name: "main".to_owned(),
                image: Some(format!("registry.example.com/{}:1.0", self.name)),
                ports: (!container_ports.is_empty()).then_some(container_ports),
                ..Container::default()
            }],
            host_network: self.host_network.then_some(true),
            ..PodSpec::default()
        };
        let template = PodTemplateSpec {
            metadata: Some(ObjectMeta { labels: Some(self.labels.clone()), ..ObjectMeta::default() }),
            spec: Some(pod_spec.clone()),
        };
        let selector = match_labels(&[("app", self.name.as_str())]);
        let replicas = i32::try_from(self.replicas).unwrap_or(i32::MAX);
        let (object, pods) = match self.kind {
            "StatefulSet" => (
                WorkloadObject::StatefulSet(StatefulSet {
                    metadata: metadata(&self.name),
                    spec: Some(StatefulSetSpec {
                        replicas: Some(replicas),
                        selector,
                        service_name: Some(self.name.clone()),
                        template,
                        ..StatefulSetSpec::default()
                    }),
                    ..StatefulSet::default()
                }),
                self.replicas,
            ),
            "DaemonSet" => (
                WorkloadObject::DaemonSet(DaemonSet {
                    metadata: metadata(&self.name),
                    spec: Some(DaemonSetSpec { selector, template, ..DaemonSetSpec::default() }),
                    ..DaemonSet::default()
                }),
                nodes,
            ),
            "Pod" => (
                WorkloadObject::Pod(Pod {
                    metadata: ObjectMeta { labels: Some(self.labels.clone()), ..metadata(&self.name) },
                    spec: Some(pod_spec),
                    ..Pod::default()
                }),
                1,
            ),
            _ => (
                WorkloadObject::Deployment(Deployment {
                    metadata: metadata(&self.name),
                    spec: Some(DeploymentSpec {
                        replicas: Some(replicas),
                        selector,
                        template,
                        ..DeploymentSpec::default()
                    }),
                    ..Deployment::default()
                }),
                self.replicas,
            ),
        };
        GeneratedWorkload { object, name: self.name, pods, labels: self.labels, host_network: self.host_network }
    }
}

impl Generator {
    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 { 0 } else { self.random.usize(..bound) }
    }

    fn percent(&mut self, chance: usize) -> bool {
        self.below(100) < chance
    }

    fn pick<T: Copy>(&mut self, items: &[T], fallback: T) -> T {
        let index = self.below(items.len());
        items.get(index).copied().unwrap_or(fallback)
    }

    /// An index into `0..len` that favours small indices: the first few blocks
    /// of the pool are the office and load-balancer ranges most policies name.
    fn popular(&mut self, len: usize) -> usize {
        let draw = self.random.f64();
        let index = (draw * draw * draw * len as f64) as usize;
        index.min(len.saturating_sub(1))
    }

    /// The pool of ipBlocks: host addresses (/32), office and partner ranges
    /// (/24 to /28), VPC ranges (/16 to /20, some with `except`), the internet
    /// without private ranges, and a few IPv6 blocks.
    fn address_blocks(&mut self) -> Vec<IPBlock> {
        let mut blocks = vec![IPBlock {
            cidr: "0.0.0.0/0".to_owned(),
            except: Some(vec!["10.0.0.0/8".to_owned(), "172.16.0.0/12".to_owned(), "192.168.0.0/16".to_owned()]),
        }];
        let mut seen = BTreeSet::new();
        while blocks.len() < self.shape.address_blocks {
            if self.shape.every_kind && self.percent(3) {
                let block = format!("2001:db8:{:x}::/48", self.below(0xffff));
                if seen.insert(block.clone()) {
                    blocks.push(IPBlock { cidr: block, except: None });
                }
                continue;
            }
            let prefix = self.pick(&[32, 32, 32, 28, 24, 24, 24, 22, 20, 16], 32);
            let first_octet: u32 =
                if self.percent(60) { 10 } else { self.pick(&[34, 35, 52, 54, 104, 151, 172, 185, 192, 203], 10) };
            let address = (first_octet << 24) | (self.random.u32(..) & 0x00ff_ffff);
            let address = match first_octet {
                172 => (address & 0xff0f_ffff) | 0x0010_0000,
                192 => (address & 0xff00_ffff) | 0x00a8_0000,
                _ => address,
            };
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            let network = address & mask;
            let cidr = format!("{}/{prefix}", std::net::Ipv4Addr::from(network));
            if !seen.insert(cidr.clone()) {
                continue;
            }
            let except = (prefix <= 20 && self.percent(40)).then(|| {
                let inner = (0..1 + self.below(2))
                    .map(|_| {
                        let offset = self.random.u32(..) & !mask & !0xff;
                        format!("{}/24", std::net::Ipv4Addr::from(network | offset))
                    })
                    .collect::<BTreeSet<_>>();
                inner.into_iter().collect()
            });
            blocks.push(IPBlock { cidr, except });
        }
        blocks
    }

    /// kube-system (DNS, kube-proxy on the host network, metrics-server),
    /// monitoring (Prometheus, node exporter, Grafana), logging (one log shipper per
    /// node) and ingress-nginx. Without every kind: Deployments only.
    fn system_namespaces(&mut self) -> Vec<GeneratedNamespace> {
        let every = self.shape.every_kind;
        let per_node = if every { "DaemonSet" } else { "Deployment" };
        let stateful = if every { "StatefulSet" } else { "Deployment" };
        let dns = DeclaredPort { name: Some("dns"), port: 53, protocol: "UDP" };
        let dns_tcp = DeclaredPort { name: Some("dns-tcp"), port: 53, protocol: "TCP" };
        #[allow(clippy::type_complexity)]
        let plans: Vec<(&str, Vec<(&str, &str, usize, Vec<(&str, &str)>, Vec<DeclaredPort>, bool)>)> = vec![
            (
                "kube-system",
                vec![
                    ("coredns", "Deployment", 2, vec![("k8s-app", "kube-dns")], vec![dns, dns_tcp], false),
                    ("kube-proxy", per_node, 2, vec![("k8s-app", "kube-proxy")], vec![], every),
                    (
                        "metrics-server",
                        "Deployment",
                        1,
                        vec![("k8s-app", "metrics-server")],
                        vec![DeclaredPort::named(("https", 4443))],
                        false,
                    ),
                ],
            ),
            (
                "monitoring",
                vec![
                    (
                        "prometheus",
                        stateful,
                        2,
                        vec![("app", "prometheus")],
                        vec![DeclaredPort::named(("web", 9090))],
                        false,
                    ),
                    (
                        "node-exporter",
                        per_node,
                        2,
                        vec![("app", "node-exporter")],
                        vec![DeclaredPort::named(METRICS)],
                        false,
                    ),
                    ("grafana", "Deployment", 1, vec![("app", "grafana")], vec![DeclaredPort::named(HTTP)], false),
                ],
            ),
            (
                "logging",
                vec![(
                    "fluent-bit",
                    per_node,
                    2,
                    vec![("app", "fluent-bit")],
                    vec![DeclaredPort::named(METRICS)],
                    false,
                )],
            ),
            (
                "ingress-nginx",
                vec![(
                    "ingress-nginx-controller",
                    "Deployment",
                    3,
                    vec![("app.kubernetes.io/name", "ingress-nginx")],
                    vec![DeclaredPort::named(("http", 80)), DeclaredPort::named(("https", 443))],
                    false,
                )],
            ),
        ];
        plans
            .into_iter()
            .map(|(name, workloads)| {
                let namespace_labels = labels(&[("kubernetes.io/metadata.name", name), ("purpose", "platform")]);
                let workloads = workloads
                    .into_iter()
                    .map(|(workload, kind, replicas, extra, ports, host_network)| {
                        let mut pod_labels = labels(&[("app", workload)]);
                        pod_labels.extend(labels(&extra));
                        WorkloadPlan {
                            namespace: name,
                            name: workload.to_owned(),
                            kind,
                            replicas,
                            labels: pod_labels,
                            ports,
                            host_network,
                        }
                        .build(self.shape.nodes)
                    })
                    .collect();
                GeneratedNamespace {
                    object: namespace_object(name, &namespace_labels),
                    name: name.to_owned(),
                    labels: namespace_labels,
                    workloads,
                    policies: Vec::new(),
                }
            })
            .collect()
    }

    /// Application namespaces: sizes skewed (many small, a few large), `env:
    /// prod` given to whole namespaces until `prod_pods` pods carry it.
    fn application_namespaces(&mut self, count: usize, pods: usize) -> Vec<GeneratedNamespace> {
        let weights: Vec<usize> = (0..count)
            .map(|_| {
                let draw = self.random.f64();
                1 + (draw * draw * draw * 60.0) as usize
            })
            .collect();
        let sizes: Vec<usize> =
            apportion(pods.saturating_sub(count), &weights).into_iter().map(|size| size + 1).collect();
        let mut order: Vec<usize> = (0..count).collect();
        self.random.shuffle(&mut order);
        let mut environments = vec![""; count];
        let mut prod = 0;
        for index in order {
            let size = sizes.get(index).copied().unwrap_or(0);
            let environment = if prod + size <= self.shape.prod_pods {
                prod += size;
                "prod"
            } else {
                self.pick(ENVIRONMENTS.get(1..).unwrap_or_default(), "dev")
            };
            if let Some(slot) = environments.get_mut(index) {
                *slot = environment;
            }
        }
        let mut taken = BTreeSet::new();
        let mut namespaces = Vec::new();
        for (size, environment) in sizes.into_iter().zip(environments) {
            let product = self.pick(PRODUCTS, "billing");
            let team = self.pick(TEAMS, "atlas");
            let mut name = format!("{product}-{environment}");
            let mut suffix = 2;
            while !taken.insert(name.clone()) {
                name = format!("{product}-{environment}-{suffix}");
                suffix += 1;
            }
            self.application_namespaces.push((team.to_owned(), name.clone()));
            let namespace_labels =
                labels(&[("kubernetes.io/metadata.name", &name), ("team", team), ("env", environment)]);
            let workloads = self.application_workloads(&name, team, environment, size);
            namespaces.push(GeneratedNamespace {
                object: namespace_object(&name, &namespace_labels),
                name,
                labels: namespace_labels,
                workloads,
                policies: Vec::new(),
            });
        }
        namespaces
    }

    /// Workloads whose replicas add up to `pods`.
    fn application_workloads(
        &mut self,
        namespace: &str,
        team: &str,
        environment: &str,
        pods: usize,
    ) -> Vec<GeneratedWorkload> {
        let mut left = pods;
        let mut names = BTreeSet::new();
        let mut workloads = Vec::new();
        while left > 0 {
            let (application, tier) = self.pick(APPLICATIONS, ("api", Tier::Backend));
            let mut name = application.to_owned();
            let mut suffix = 2;
            while !names.insert(name.clone()) {
                name = format!("{application}-{suffix}");
                suffix += 1;
            }
            let draw = self.below(100);
            let kind = match draw {
                _ if !self.shape.every_kind => "Deployment",
                0..8 if tier == Tier::Data => "StatefulSet",
                8..14 => "Pod",
                _ if tier == Tier::Data && draw < 60 => "StatefulSet",
                _ => "Deployment",
            };
            if kind == "Pod" {
                // A name no replica of another workload can have: pods of a
                // Deployment `web` are never called `web-toolbox`.
                name = format!("{name}-toolbox");
            }
            let replicas = match kind {
                "Pod" => 1,
                "StatefulSet" => 1 + self.below(3),
                _ => self.pick(&[1, 1, 2, 2, 3, 3, 3, 4, 5, 6, 8, 12], 2),
            }
            .min(left);
            left -= replicas;
            let mut pod_labels = labels(&[("app", &name), ("tier", tier.label()), ("team", team), ("version", "v1")]);
            if !environment.is_empty() {
                pod_labels.insert("env".to_owned(), environment.to_owned());
            }
            let ports = self.container_ports(application, tier);
            workloads.push(
                WorkloadPlan { namespace, name, kind, replicas, labels: pod_labels, ports, host_network: false }
                    .build(self.shape.nodes),
            );
        }
        workloads
    }

    fn container_ports(&mut self, application: &str, tier: Tier) -> Vec<DeclaredPort> {
        let mut ports = match (tier, application) {
            (Tier::Frontend, _) => vec![DeclaredPort::named(HTTP)],
            (Tier::Backend, _) => vec![DeclaredPort::named(HTTP), DeclaredPort::named(GRPC)],
            (Tier::Data, "db") => vec![DeclaredPort::named(("postgres", 5432))],
            (Tier::Data, "cache") => vec![DeclaredPort::named(("redis", 6379))],
            (Tier::Data, "queue") => vec![DeclaredPort::named(("amqp", 5672))],
            (Tier::Data, _) => vec![DeclaredPort::named(("http", 9200))],
            (Tier::Worker, "exporter") => vec![DeclaredPort { name: Some("statsd"), port: 8125, protocol: "UDP" }],
            (Tier::Worker, _) => vec![],
        };
        if self.percent(55) {
            ports.push(DeclaredPort::named(METRICS));
        }
        if self.percent(10) {
            ports.push(DeclaredPort { name: None, port: 8081, protocol: "TCP" });
        }
        ports
    }

    /// `count` policies for `namespace`: usually a default deny first, then a
    /// mix dominated by "these pods from that CIDR on one port".
    fn policies(&mut self, namespace: &GeneratedNamespace, count: usize) -> Vec<NetworkPolicy> {
        let mut policies = Vec::with_capacity(count);
        let application = namespace.labels.contains_key("team");
        if count > 0 && application && self.percent(70) {
            policies.push(self.policy(namespace, "default-deny-ingress", LabelSelector::default(), Some(vec![]), None));
        }
        while policies.len() < count {
            let index = policies.len();
            let policy = self.one_policy(namespace, index);
            policies.push(policy);
        }
        policies
    }

    fn policy(
        &mut self,
        namespace: &GeneratedNamespace,
        name: &str,
        pod_selector: LabelSelector,
        ingress: Option<Vec<NetworkPolicyIngressRule>>,
        egress: Option<Vec<NetworkPolicyEgressRule>>,
    ) -> NetworkPolicy {
        let mut types = Vec::new();
        if ingress.is_some() {
            types.push("Ingress".to_owned());
        }
        if egress.is_some() {
            types.push("Egress".to_owned());
        }
        // Kubernetes' default when `policyTypes` is absent: Ingress, plus Egress
        // when there are egress rules. Written out on most policies, left to the
        // default on some.
        let implied = egress.as_ref().is_none_or(|rules| !rules.is_empty()) && ingress.is_some();
        let policy_types = (!implied || self.percent(70)).then_some(types);
        NetworkPolicy {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.name.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(pod_selector),
                policy_types,
                ingress: ingress.filter(|rules| !rules.is_empty()),
                egress: egress.filter(|rules| !rules.is_empty()),
            }),
        }
    }

    /// Picks pods of `namespace` for a policy to apply to: one application, one
    /// tier, or (rarely) every pod.
    fn target(&mut self, namespace: &GeneratedNamespace) -> (LabelSelector, Option<usize>) {
        // Bigger workloads are the subject of more policies: pick by pod.
        let pods: usize = namespace.workloads.iter().map(|workload| workload.pods).sum();
        let mut pod = self.below(pods);
        let workload = namespace
            .workloads
            .iter()
            .position(|workload| {
                let here = pod < workload.pods;
                pod = pod.saturating_sub(workload.pods);
                here
            })
            .unwrap_or(0);
        let Some(chosen) = namespace.workloads.get(workload) else {
            return (LabelSelector::default(), None);
        };
        let draw = self.below(100);
        if draw < 22 {
            (match_labels(&[("app", &chosen.name)]), Some(workload))
        } else if draw < 75 {
            let tier = chosen.labels.get("tier").map_or("backend", String::as_str);
            (match_labels(&[("tier", tier)]), Some(workload))
        } else if draw < 92 {
            (LabelSelector::default(), Some(workload))
        } else {
            let selector = LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![
                    expression("tier", "In", &["backend", "data"]),
                    expression("version", "Exists", &[]),
                ]),
            };
            (selector, Some(workload))
        }
    }

    /// A port on the chosen workload: its first declared port by number most of
    /// the time, else by name (`metrics` resolves only where declared, and one
    /// name nobody declares), a UDP port, or an `endPort` range.
    fn port(&mut self, namespace: &GeneratedNamespace, workload: Option<usize>) -> NetworkPolicyPort {
        let declared = workload
            .and_then(|index| namespace.workloads.get(index))
            .and_then(|workload| first_declared_port(&workload.object));
        let draw = self.below(100);
        let number = |port: i32| Some(IntOrString::Int(port));
        match draw {
            0..60 => {
                let (port, protocol) = declared.clone().map_or((8080, None), |(_, port, protocol)| (port, protocol));
                NetworkPolicyPort { port: number(port), protocol, end_port: None }
            }
            60..75 => {
                let name = declared.and_then(|(name, _, _)| name).unwrap_or_else(|| "http".to_owned());
                NetworkPolicyPort { port: Some(IntOrString::String(name)), protocol: None, end_port: None }
            }
            75..82 => NetworkPolicyPort { port: Some(IntOrString::String("metrics".to_owned())), ..Default::default() },
            82..85 => NetworkPolicyPort {
                port: Some(IntOrString::String(UNDECLARED_PORT_NAME.to_owned())),
                ..Default::default()
            },
            85..92 => NetworkPolicyPort { port: number(443), ..Default::default() },
            92..96 => {
                let start = self.pick(&[8000, 9000, 30000], 8000);
                NetworkPolicyPort { port: number(start), end_port: Some(start + 99), protocol: None }
            }
            _ => {
                let port = self.pick(&[53, 8125, 514], 53);
                NetworkPolicyPort { port: number(port), protocol: Some("UDP".to_owned()), end_port: None }
            }
        }
    }

    fn block(&mut self) -> NetworkPolicyPeer {
        let index = self.popular(self.blocks.len());
        let block = self.blocks.get(index).cloned().unwrap_or_default();
        NetworkPolicyPeer { ip_block: Some(block), ..NetworkPolicyPeer::default() }
    }

    fn one_policy(&mut self, namespace: &GeneratedNamespace, index: usize) -> NetworkPolicy {
        if self.shape.rare_percent > 0 && self.percent(self.shape.rare_percent) {
            return self.rare_policy(namespace, index);
        }
        let (selector, workload) = self.target(namespace);
        let draw = self.below(100);
        let empty = self.shape.empty_percent.saturating_sub(4);
        if draw < empty {
            // Empty: allows nothing to chosen pods, or selects nothing at all.
            return if self.percent(50) {
                let egress = self.percent(40).then(Vec::new);
                let ingress = (egress.is_none() || self.percent(50)).then(Vec::new);
                self.policy(namespace, &format!("deny-{index}"), selector, ingress, egress)
            } else {
                let retired = match_labels(&[("app", &format!("legacy-{index}"))]);
                let rule = NetworkPolicyIngressRule {
                    from: Some(vec![self.block()]),
                    ports: Some(vec![self.port(namespace, workload)]),
                };
                self.policy(namespace, &format!("legacy-{index}"), retired, Some(vec![rule]), None)
            };
        }
        let rest = draw - empty;
        let scale = 100 - empty;
        let share = |percent: usize| percent * scale / 100;
        if rest < share(55) {
            // The common case: one CIDR on one port.
            let mut from = vec![self.block()];
            if self.percent(10) {
                from.push(self.block());
            }
            let rule = NetworkPolicyIngressRule { from: Some(from), ports: Some(vec![self.port(namespace, workload)]) };
            return self.policy(namespace, &format!("allow-cidr-{index}"), selector, Some(vec![rule]), None);
        }
        if rest < share(70) {
            // From other pods of the namespace.
            let source_workload = self.below(namespace.workloads.len());
            let source = namespace.workloads.get(source_workload).map_or("web", |workload| workload.name.as_str());
            let peer =
                if self.percent(50) { match_labels(&[("app", source)]) } else { match_labels(&[("tier", "frontend")]) };
            let mut ports = vec![self.port(namespace, workload)];
            if self.percent(30) {
                ports.push(self.port(namespace, workload));
            }
            let rule = NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer { pod_selector: Some(peer), ..NetworkPolicyPeer::default() }]),
                ports: Some(ports),
            };
            return self.policy(namespace, &format!("allow-internal-{index}"), selector, Some(vec![rule]), None);
        }
        if rest < share(82) {
            // From pods of another team's namespaces, or of one named namespace.
            let other = self.below(self.application_namespaces.len());
            let (team, name) = self.application_namespaces.get(other).cloned().unwrap_or_default();
            let namespaces = if self.percent(50) {
                match_labels(&[("team", &team)])
            } else {
                match_labels(&[("kubernetes.io/metadata.name", &name)])
            };
            let application = self.pick(APPLICATIONS, ("api", Tier::Backend)).0;
            let pods = if self.percent(20) {
                LabelSelector {
                    match_labels: None,
                    match_expressions: Some(vec![expression("tier", "NotIn", &["data"])]),
                }
            } else {
                match_labels(&[("app", application)])
            };
            let rule = NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    namespace_selector: Some(namespaces),
                    pod_selector: Some(pods),
                    ip_block: None,
                }]),
                ports: Some(vec![self.port(namespace, workload)]),
            };
            return self.policy(namespace, &format!("allow-{team}-{index}"), selector, Some(vec![rule]), None);
        }
        if rest < share(86) {
            // From every production pod of the cluster (the widest selector), or
            // metrics scraping from the monitoring namespace.
            let peer = if self.percent(50) {
                NetworkPolicyPeer {
                    namespace_selector: Some(LabelSelector::default()),
                    pod_selector: Some(match_labels(&[("env", "prod")])),
                    ip_block: None,
                }
            } else {
                NetworkPolicyPeer {
                    namespace_selector: Some(match_labels(&[("kubernetes.io/metadata.name", "monitoring")])),
                    pod_selector: Some(match_labels(&[("app", "prometheus")])),
                    ip_block: None,
                }
            };
            let port =
                NetworkPolicyPort { port: Some(IntOrString::String("metrics".to_owned())), ..Default::default() };
            let ports = if self.percent(50) { vec![port] } else { vec![self.port(namespace, workload)] };
            let rule = NetworkPolicyIngressRule { from: Some(vec![peer]), ports: Some(ports) };
            return self.policy(namespace, &format!("allow-shared-{index}"), selector, Some(vec![rule]), None);
        }
        // Egress: DNS to kube-system, and out to a CIDR (often the internet
        // without private ranges) on 443.
        let dns = NetworkPolicyEgressRule {
            to: Some(vec![NetworkPolicyPeer {
                namespace_selector: Some(match_labels(&[("kubernetes.io/metadata.name", "kube-system")])),
                pod_selector: Some(match_labels(&[("k8s-app", "kube-dns")])),
                ip_block: None,
            }]),
            ports: Some(vec![
                NetworkPolicyPort {
                    port: Some(IntOrString::Int(53)),
                    protocol: Some("UDP".to_owned()),
                    end_port: None,
                },
                NetworkPolicyPort {
                    port: Some(IntOrString::Int(53)),
                    protocol: Some("TCP".to_owned()),
                    end_port: None,
                },
            ]),
        };
        let out = NetworkPolicyEgressRule {
            to: Some(vec![self.block()]),
            ports: Some(vec![NetworkPolicyPort { port: Some(IntOrString::Int(443)), ..Default::default() }]),
        };
        let mut rules = vec![dns, out];
        if self.percent(30) {
            let same_namespace = NetworkPolicyPeer {
                pod_selector: Some(match_labels(&[("tier", "data")])),
                ..NetworkPolicyPeer::default()
            };
            rules.push(NetworkPolicyEgressRule { to: Some(vec![same_namespace]), ports: None });
        }
        self.policy(namespace, &format!("egress-{index}"), selector, None, Some(rules))
    }
}

impl Generator {
    /// A policy in one of the rarer forms Kubernetes allows, so that comparisons
    /// with other analyzers cover them too.
    fn rare_policy(&mut self, namespace: &GeneratedNamespace, index: usize) -> NetworkPolicy {
        let (selector, workload) = self.target(namespace);
        let protocol_only =
            |protocol: &str| NetworkPolicyPort { protocol: Some(protocol.to_owned()), ..Default::default() };
        let number = |port: i32| NetworkPolicyPort { port: Some(IntOrString::Int(port)), ..Default::default() };
        let named =
            |name: &str| NetworkPolicyPort { port: Some(IntOrString::String(name.to_owned())), ..Default::default() };
        let ingress = |from: Option<Vec<NetworkPolicyPeer>>, ports: Option<Vec<NetworkPolicyPort>>| {
            Some(vec![NetworkPolicyIngressRule { from, ports }])
        };
        match self.below(7) {
            0 => {
                // From anywhere, on every UDP port.
                let rules = ingress(None, Some(vec![protocol_only("UDP")]));
                self.policy(namespace, &format!("udp-from-anywhere-{index}"), selector, rules, None)
            }
            1 => {
                // From every namespace but development ones, on an SCTP range.
                let namespaces = LabelSelector {
                    match_labels: None,
                    match_expressions: Some(vec![expression("env", "NotIn", &["dev"])]),
                };
                let peer = NetworkPolicyPeer { namespace_selector: Some(namespaces), ..NetworkPolicyPeer::default() };
                let port = NetworkPolicyPort {
                    port: Some(IntOrString::Int(9000)),
                    end_port: Some(9010),
                    protocol: Some("SCTP".to_owned()),
                };
                let rules = ingress(Some(vec![peer]), Some(vec![port]));
                self.policy(namespace, &format!("sctp-from-non-dev-{index}"), selector, rules, None)
            }
            2 => {
                // From platform pods (namespaces with a `purpose`, pods without a
                // `version`), on every port.
                let peer = NetworkPolicyPeer {
                    namespace_selector: Some(LabelSelector {
                        match_labels: None,
                        match_expressions: Some(vec![expression("purpose", "Exists", &[])]),
                    }),
                    pod_selector: Some(LabelSelector {
                        match_labels: None,
                        match_expressions: Some(vec![expression("version", "DoesNotExist", &[])]),
                    }),
                    ip_block: None,
                };
                let rules = ingress(Some(vec![peer]), None);
                self.policy(namespace, &format!("from-platform-{index}"), selector, rules, None)
            }
            3 => {
                // Egress to pods of the namespace by port name: each destination
                // resolves it against its own container ports.
                let peer = NetworkPolicyPeer { pod_selector: Some(LabelSelector::default()), ..Default::default() };
                let rules = vec![NetworkPolicyEgressRule {
                    to: Some(vec![peer]),
                    ports: Some(vec![named("http"), named("grpc"), named("metrics")]),
                }];
                self.policy(namespace, &format!("egress-by-name-{index}"), selector, None, Some(rules))
            }
            4 => {
                // Egress anywhere on TCP 443 and every UDP port.
                let rules =
                    vec![NetworkPolicyEgressRule { to: None, ports: Some(vec![number(443), protocol_only("UDP")]) }];
                self.policy(namespace, &format!("egress-anywhere-{index}"), selector, None, Some(rules))
            }
            5 => {
                // Isolates egress without allowing any: ingress rules only.
                let port = self.port(namespace, workload);
                let rules = ingress(Some(vec![self.block()]), Some(vec![port]));
                self.policy(namespace, &format!("no-egress-{index}"), selector, rules, Some(Vec::new()))
            }
            _ => {
                // Two rules, the second from anywhere on every port.
                let port = self.port(namespace, workload);
                let first = NetworkPolicyIngressRule { from: Some(vec![self.block()]), ports: Some(vec![port]) };
                let second = NetworkPolicyIngressRule { from: None, ports: None };
                self.policy(namespace, &format!("open-{index}"), selector, Some(vec![first, second]), None)
            }
        }
    }
}

/// The first port the workload's container declares: name, number, protocol
/// (`None` for TCP, as policies usually leave it out).
fn first_declared_port(object: &WorkloadObject) -> Option<(Option<String>, i32, Option<String>)> {
    let spec = match object {
        WorkloadObject::Deployment(object) => object.spec.as_ref()?.template.spec.as_ref(),
        WorkloadObject::StatefulSet(object) => object.spec.as_ref()?.template.spec.as_ref(),
        WorkloadObject::DaemonSet(object) => object.spec.as_ref()?.template.spec.as_ref(),
        WorkloadObject::Pod(object) => object.spec.as_ref(),
    }?;
    let port = spec.containers.first()?.ports.as_ref()?.first()?;
    Some((port.name.clone(), port.container_port, port.protocol.clone()))
}
