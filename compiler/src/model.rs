//! The checked model of a whole program: every name resolved, every value
//! validated, built-ins included. Lowering to Kubernetes objects and the
//! connectivity engine read this; they never see syntax.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ipnet::IpNet;

/// Where a declaration or rule was written, for annotations and explanations.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceLine {
    pub file: Arc<str>,
    /// 1-based line number.
    pub line: u32,
}

impl std::fmt::Display for SourceLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Indices into the model's tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TeamId(pub u32);

/// A whole checked program. Tables are sorted by name (groups by namespace, then
/// name) so that everything derived from them is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Model {
    pub namespaces: Vec<ManagedNamespace>,
    pub groups: Vec<Group>,
    pub networks: Vec<Network>,
    pub teams: Vec<Team>,
    /// One entry per (rule, target), in source order: files sorted by path, then
    /// position, so the order never depends on how files were found.
    pub rules: Vec<Rule>,
}

impl Model {
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.get(id.0 as usize)
    }

    pub fn network(&self, id: NetworkId) -> Option<&Network> {
        self.networks.get(id.0 as usize)
    }

    pub fn team(&self, id: TeamId) -> Option<&Team> {
        self.teams.get(id.0 as usize)
    }

    pub fn namespace(&self, name: &str) -> Option<&ManagedNamespace> {
        self.namespaces.iter().find(|namespace| namespace.name == name)
    }
}

/// A namespace declared with `namespace NAME { ... }`: npg writes all of its policies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ManagedNamespace {
    pub name: String,
    /// The labels declared in `labels { }`. Kubernetes also sets
    /// `kubernetes.io/metadata.name: <name>` on every namespace; see [`ManagedNamespace::all_labels`].
    pub labels: BTreeMap<String, String>,
    pub owner: Option<TeamId>,
    /// Which directions `npg-default-deny` isolates (both unless `isolate` says otherwise).
    pub isolate_ingress: bool,
    pub isolate_egress: bool,
    /// `allow internal`: every pod of the namespace may reach every other, any port.
    pub allow_internal: bool,
    pub source: SourceLine,
}

/// The label that Kubernetes puts on every namespace, holding its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

impl ManagedNamespace {
    /// The declared labels plus the automatic `kubernetes.io/metadata.name`.
    pub fn all_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(NAMESPACE_NAME_LABEL.to_owned(), self.name.clone());
        labels
    }
}

/// A group of workloads: pods matching `selector` in the namespaces of `placement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Group {
    pub name: String,
    pub placement: Placement,
    pub selector: LabelSelector,
    /// The team named by the group's own `owner`; when absent, its namespace's owner applies.
    pub owner: Option<TeamId>,
    /// `kube-dns` and `cluster` are built in; they have no source line.
    pub builtin: Option<BuiltinGroup>,
    pub source: Option<SourceLine>,
}

impl Group {
    /// The group npg declares itself under this built-in's name.
    pub fn builtin(builtin: BuiltinGroup) -> Group {
        let (name, placement, selector) = match builtin {
            BuiltinGroup::KubeDns => (
                "kube-dns",
                Placement::Namespace("kube-system".to_owned()),
                LabelSelector {
                    requirements: vec![Requirement::Equals { key: "k8s-app".to_owned(), value: "kube-dns".to_owned() }],
                },
            ),
            BuiltinGroup::Cluster => ("cluster", Placement::Any, LabelSelector::everything()),
        };
        Group { name: name.to_owned(), placement, selector, owner: None, builtin: Some(builtin), source: None }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuiltinGroup {
    /// `kube-dns`: `k8s-app=kube-dns` in `kube-system`, default ports 53/udp and 53/tcp.
    KubeDns,
    /// `cluster`: every pod in every namespace.
    Cluster,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    /// One namespace, by name (managed or not).
    Namespace(String),
    /// Every namespace whose labels match.
    Namespaces(LabelSelector),
    /// Every namespace.
    Any,
}

/// A Kubernetes label selector: every requirement must hold; empty selects everything.
/// Requirements are kept sorted and free of duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    pub fn selects_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether a set of labels satisfies every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|requirement| requirement.matches(labels))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Requirement {
    Equals { key: String, value: String },
    NotEquals { key: String, value: String },
    In { key: String, values: BTreeSet<String> },
    NotIn { key: String, values: BTreeSet<String> },
    Exists { key: String },
    DoesNotExist { key: String },
}

impl Requirement {
    pub fn key(&self) -> &str {
        match self {
            Requirement::Equals { key, .. }
            | Requirement::NotEquals { key, .. }
            | Requirement::In { key, .. }
            | Requirement::NotIn { key, .. }
            | Requirement::Exists { key }
            | Requirement::DoesNotExist { key } => key,
        }
    }

    /// Kubernetes semantics: `!=` and `notin` hold when the key is absent.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(self.key());
        match self {
            Requirement::Equals { value: wanted, .. } => value == Some(wanted),
            Requirement::NotEquals { value: unwanted, .. } => value != Some(unwanted),
            Requirement::In { values, .. } => value.is_some_and(|value| values.contains(value)),
            Requirement::NotIn { values, .. } => value.is_none_or(|value| !values.contains(value)),
            Requirement::Exists { .. } => value.is_some(),
            Requirement::DoesNotExist { .. } => value.is_none(),
        }
    }
}

/// Addresses outside the cluster: a union of CIDR blocks, each minus its exceptions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Network {
    pub name: String,
    pub blocks: Vec<AddressBlock>,
    /// `world` is built in.
    pub builtin: bool,
    pub source: Option<SourceLine>,
}

/// `cidr` minus every block of `except` (each inside `cidr`, same family).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressBlock {
    pub cidr: IpNet,
    pub except: Vec<IpNet>,
}

/// People and service accounts who own workloads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Team {
    pub name: String,
    pub subjects: Vec<Subject>,
    pub source: SourceLine,
}

/// An RBAC subject, in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Group(String),
    User(String),
    ServiceAccount { namespace: String, name: String },
}

/// One end of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Group(GroupId),
    Network(NetworkId),
}

/// Traffic from `source` to `target` on `ports` is allowed. Written once per target
/// of a `may reach` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub source: Endpoint,
    pub target: Endpoint,
    pub ports: PortSet,
    pub origin: SourceLine,
}

/// An `assert` statement with its names resolved, checked against the
/// connectivity of the compiled policies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Assertion {
    pub kind: AssertionKind,
    /// One source for `can reach` and `cannot reach`; the listed ones for `only`.
    pub sources: Vec<AssertionSource>,
    pub target: Endpoint,
    /// The ports asked about; `All` when none are written (for `kube-dns`, its DNS ports).
    pub ports: PortSet,
    /// Where the `assert` is written.
    pub location: crate::diagnostic::Location,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssertionKind {
    /// `assert A can reach B[:PORTS]`
    CanReach,
    /// `assert A cannot reach B[:PORTS]`
    CannotReach,
    /// `assert only A, B can reach C[:PORTS]`
    OnlyCanReach,
}

/// A source named by an assertion: a group or network, or (after `only`) a
/// managed namespace, standing for every pod in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssertionSource {
    Endpoint(Endpoint),
    Namespace(String),
}

/// Which ports a rule allows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortSet {
    /// No port was given: every port, every protocol.
    All,
    /// These, and nothing else (never empty). Kept sorted and merged:
    /// overlapping or adjacent ranges of one protocol are one range.
    Only(Vec<Port>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// `start..=end` (`start == end` for a single port).
    Range { protocol: Protocol, start: u16, end: u16 },
    /// A container port name, resolved against the destination pod.
    Named { protocol: Protocol, name: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// As Kubernetes spells it: `TCP`, `UDP`, `SCTP`.
    pub fn as_kubernetes(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}
