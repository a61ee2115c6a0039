//! Reading a cluster from Kubernetes manifests (YAML streams and JSON files, `List`
//! objects included): namespaces, NetworkPolicies and the workloads that pods and
//! workload objects stand for, named as netpol-analyzer names them.

mod documents;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Container, Namespace as KubeNamespace, Pod, PodSpec, PodTemplateSpec, ReplicationController,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::Value;

use self::documents::{Document, Step};
use super::cluster::{Cluster, ContainerPort, HostNetwork, Namespace, NamespaceScope, Peer, Policy, Workload};
use super::kubernetes::{DEFAULT_NAMESPACE, policy_from_kubernetes};
use crate::diagnostic::{Code, Diagnostic, Location, Span};
use crate::model::{LabelSelector, NAMESPACE_NAME_LABEL, Protocol};

/// One file to read: the path it is known by and its text.
#[derive(Clone, Debug)]
pub struct ManifestFile<'a> {
    pub path: Arc<str>,
    pub text: &'a str,
}

/// What the manifests describe, and what was skipped on the way (warnings).
#[derive(Clone, Debug)]
pub struct Manifests {
    pub cluster: Cluster,
    pub warnings: Vec<Diagnostic>,
}

/// How to read what manifests leave open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    pub host_network: HostNetworkPods,
}

/// What a pod with `hostNetwork: true` is. Kubernetes leaves it to the network
/// plugin: most cannot tell such a pod's traffic from its node's, so they neither
/// select it by pod selectors nor isolate it, and ipBlocks holding the node's
/// address match it; a few police it like any other pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostNetworkPods {
    /// The node's address (the common behaviour, and npg's default).
    #[default]
    NodeAddress,
    /// A pod like any other (what netpol-analyzer assumes).
    OrdinaryPod,
}

/// Workload kinds whose pod template stands for their pods.
const WORKLOAD_KINDS: &[&str] =
    &["Deployment", "ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet", "Job", "CronJob"];

/// How deep `List`s may nest inside each other.
const MAX_LIST_DEPTH: usize = 4;

/// Reads every object of `files` into a [`Cluster`]. Kinds the engine does not
/// model (Service, ConfigMap, ...) are skipped silently; documents that do not
/// parse and objects with fields of the wrong type are skipped with a warning.
/// The result does not depend on the order of `files`. On errors, the `Err` holds
/// them and the warnings, sorted.
pub fn read_manifests(files: &[ManifestFile]) -> Result<Manifests, Vec<Diagnostic>> {
    read_manifests_with(files, ReadOptions::default())
}

/// [`read_manifests`] with `options`.
pub fn read_manifests_with(files: &[ManifestFile], options: ReadOptions) -> Result<Manifests, Vec<Diagnostic>> {
    let mut sorted: Vec<&ManifestFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut reader = Reader { options, ..Reader::default() };
    reader.read_files(&sorted);
    reader.finish(sorted.first().map(|file| file.path.clone()))
}

/// Where an object is: its file, its document and its path inside the document
/// (`items[3]` for an item of a list).
#[derive(Clone)]
struct Origin<'a> {
    file: Arc<str>,
    document: Document<'a>,
    prefix: Vec<Step>,
}

impl<'a> Origin<'a> {
    /// `path` (relative to the object) as steps from the document's root.
    fn steps(&self, path: &str) -> Vec<Step> {
        let mut steps = self.prefix.clone();
        steps.extend(documents::parse_path(path));
        steps
    }

    /// The place of `path` in the object (or of its deepest part that exists).
    fn at(&self, path: &str) -> Place<'a> {
        Place::Find { origin: self.clone(), paths: vec![self.steps(path)] }
    }

    /// The place of the object as a whole: its name, else its kind.
    fn object(&self) -> Place<'a> {
        Place::Find { origin: self.clone(), paths: vec![self.steps("metadata.name"), self.steps("kind")] }
    }

    /// A location to build a diagnostic with until its place is found.
    fn placeholder(&self) -> Location {
        Location { file: self.file.clone(), span: Span::default() }
    }

    /// Orders objects by where they are written.
    fn order_key(&self) -> (&str, usize, &[Step]) {
        (&self.file, self.document.offset, &self.prefix)
    }
}

/// Where a diagnostic points. Finding a path's span means reading the document's
/// text again, so places are found at the end, every place of a document in one
/// reading: a list of thousands of pods is not read once per pod.
#[derive(Clone)]
enum Place<'a> {
    Known(Location),
    /// The first of `paths` found in the object's document, else its first line.
    Find {
        origin: Origin<'a>,
        paths: Vec<Vec<Step>>,
    },
}

/// A diagnostic whose locations are still to be found: `primary` for its primary
/// label, `secondary` for its secondary labels, in order.
struct Pending<'a> {
    diagnostic: Diagnostic,
    primary: Place<'a>,
    secondary: Vec<Place<'a>>,
}

/// One pod, or the template of a workload object, before pods of one owner are merged.
struct Member<'a> {
    pod_name: String,
    labels: BTreeMap<String, String>,
    ports: Vec<ContainerPort>,
    host_network: Option<HostNetwork>,
    origin: Origin<'a>,
    /// Where `hostNetwork: true` is written in the object.
    host_network_path: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct WorkloadKey {
    namespace: String,
    name: String,
    kind: String,
}

#[derive(Default)]
struct Reader<'a> {
    options: ReadOptions,
    namespaces: BTreeMap<String, (BTreeMap<String, String>, Origin<'a>)>,
    policies: BTreeMap<(String, String), (Policy, Origin<'a>)>,
    members: BTreeMap<WorkloadKey, Vec<Member<'a>>>,
    pending: Vec<Pending<'a>>,
}

impl<'a> Reader<'a> {
    /// Reports `diagnostic` at `place`.
    fn report(&mut self, place: Place<'a>, diagnostic: Diagnostic) {
        self.pending.push(Pending { diagnostic, primary: place, secondary: Vec::new() });
    }

    /// Reports `diagnostic`, whose secondary labels are at `secondary`, at `place`.
    fn report_with(&mut self, place: Place<'a>, diagnostic: Diagnostic, secondary: Vec<Place<'a>>) {
        self.pending.push(Pending { diagnostic, primary: place, secondary });
    }

    fn has_errors(&self) -> bool {
        self.pending.iter().any(|pending| pending.diagnostic.is_error())
    }

    /// Reads every file: documents are parsed on every core, then read in order.
    fn read_files(&mut self, files: &[&'a ManifestFile<'a>]) {
        let mut pieces = Vec::new();
        for (index, file) in files.iter().enumerate() {
            if file.path.to_ascii_lowercase().ends_with(".json") {
                pieces.push((index, Document { text: file.text, offset: 0 }, true));
            } else {
                pieces.extend(documents::split_yaml(file.text).into_iter().map(|document| (index, document, false)));
            }
        }
        let parsed = crate::parallel::map(&pieces, |(_, document, is_json)| {
            if *is_json { documents::read_json(document).map(Some) } else { documents::read_yaml(document) }
        });
        let mut broken_file = None;
        for (position, ((index, document, is_json), result)) in pieces.iter().zip(parsed).enumerate() {
            let Some(file) = files.get(*index) else { continue };
            if broken_file == Some(*index) {
                continue;
            }
            match result {
                Ok(Some(value)) => {
                    let origin = Origin { file: file.path.clone(), document: *document, prefix: Vec::new() };
                    self.read_value(value, &origin, 0);
                }
                Ok(None) => {}
                Err(problem) if *is_json => {
                    let location = Location { file: file.path.clone(), span: problem.span };
                    self.report(
                        Place::Known(location.clone()),
                        Diagnostic::new(
                            Code::UnreadableDocument,
                            location,
                            format!("`{}` is not valid JSON: {}", file.path, problem.message),
                        )
                        .with_label("the file is skipped"),
                    );
                }
                Err(problem) => {
                    broken_file = Some(*index);
                    let of_file: Vec<usize> = pieces
                        .iter()
                        .enumerate()
                        .filter(|(_, (other, _, _))| other == index)
                        .map(|(at, _)| at)
                        .collect();
                    let number = of_file.iter().filter(|at| **at <= position).count();
                    let after = of_file.len() - number;
                    let what = match after {
                        0 => "this document is skipped".to_owned(),
                        _ => format!("this document and the {after} after it are skipped"),
                    };
                    let location = Location { file: file.path.clone(), span: problem.span };
                    self.report(
                        Place::Known(location.clone()),
                        Diagnostic::new(
                            Code::UnreadableDocument,
                            location,
                            format!("document {number} of `{}` is not valid YAML: {}", file.path, problem.message),
                        )
                        .with_label(what)
                        .with_help("the documents before it are read; fix the YAML to read the rest of the file"),
                    );
                }
            }
        }
    }

    /// One object, or a list of them.
    fn read_value(&mut self, value: Value, origin: &Origin<'a>, depth: usize) {
        let Value::Object(mut object) = value else {
            self.report(
                origin.at(""),
                Diagnostic::new(
                    Code::MalformedObject,
                    origin.placeholder(),
                    "a document that is not a mapping is not a Kubernetes object; it is skipped",
                )
                .with_label("expected `apiVersion:`, `kind:` and the object's fields"),
            );
            return;
        };
        let Some(kind) = object.get("kind").and_then(Value::as_str).map(str::to_owned) else {
            self.report(
                origin.at(""),
                Diagnostic::new(Code::MalformedObject, origin.placeholder(), "an object without `kind` is skipped")
                    .with_label("no `kind` in this object")
                    .with_help("every Kubernetes object says its `kind` and `apiVersion`"),
            );
            return;
        };
        let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_owned();
        if let Some(item_kind) = kind.strip_suffix("List")
            && let Some(Value::Array(items)) = object.remove("items")
        {
            if depth >= MAX_LIST_DEPTH {
                self.report(
                    origin.at("items"),
                    Diagnostic::new(
                        Code::MalformedObject,
                        origin.placeholder(),
                        format!("lists nested more than {MAX_LIST_DEPTH} deep are skipped"),
                    ),
                );
                return;
            }
            for (index, mut item) in items.into_iter().enumerate() {
                // Items of a typed list (`PodList`) may leave out their kind.
                if let Value::Object(fields) = &mut item
                    && !item_kind.is_empty()
                    && !fields.contains_key("kind")
                {
                    fields.insert("kind".into(), Value::String(item_kind.to_owned()));
                    fields.insert("apiVersion".into(), Value::String(api_version.clone()));
                }
                let mut item_origin = origin.clone();
                item_origin.prefix.push(Step::Key("items".into()));
                item_origin.prefix.push(Step::Index(index));
                self.read_value(item, &item_origin, depth + 1);
            }
            return;
        }
        if !is_modelled(&kind, &api_version) {
            return;
        }
        object.remove("kind");
        object.remove("apiVersion");
        let name = object_name(&object);
        let value = Value::Object(object);
        match kind.as_str() {
            "Namespace" => {
                if let Some(namespace) = self.decode::<KubeNamespace>(value, &kind, &name, origin) {
                    self.add_namespace(&namespace, origin);
                }
            }
            "NetworkPolicy" => {
                if let Some(policy) = self.decode::<NetworkPolicy>(value, &kind, &name, origin) {
                    self.add_policy(policy, origin);
                }
            }
            "Pod" => {
                if let Some(pod) = self.decode::<Pod>(value, &kind, &name, origin) {
                    self.add_pod(&pod, origin);
                }
            }
            _ => {
                if let Some(template) = self.workload_template(value, &kind, &name, origin) {
                    let metadata = template.0;
                    self.add_workload(metadata, &kind, template.1.as_ref(), origin);
                }
            }
        }
    }

    /// The object as a k8s-openapi value, or a warning saying why it is skipped.
    fn decode<T: serde::de::DeserializeOwned>(
        &mut self,
        value: Value,
        kind: &str,
        name: &str,
        origin: &Origin<'a>,
    ) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(object) => Some(object),
            Err(error) => {
                let (path, shown) = field_path(error.path());
                let place = if path.is_empty() {
                    origin.object()
                } else {
                    let mut steps = origin.prefix.clone();
                    steps.extend(path);
                    Place::Find { origin: origin.clone(), paths: vec![steps, origin.steps("metadata.name")] }
                };
                let label = if shown.is_empty() { "in this object".to_owned() } else { format!("in {shown}") };
                self.report(
                    place,
                    Diagnostic::new(
                        Code::MalformedObject,
                        origin.placeholder(),
                        format!("{kind} '{name}' is skipped: {}", error.inner()),
                    )
                    .with_label(label)
                    .with_help("Kubernetes would refuse this object; give the field a value of the type it takes"),
                );
                None
            }
        }
    }

    /// The metadata and pod template of a workload object.
    fn workload_template(
        &mut self,
        value: Value,
        kind: &str,
        name: &str,
        origin: &Origin<'a>,
    ) -> Option<(k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, Option<PodTemplateSpec>)> {
        Some(match kind {
            "Deployment" => {
                let object = self.decode::<Deployment>(value, kind, name, origin)?;
                (object.metadata, object.spec.map(|spec| spec.template))
            }
            "ReplicaSet" => {
                let object = self.decode::<ReplicaSet>(value, kind, name, origin)?;
                (object.metadata, object.spec.and_then(|spec| spec.template))
            }
            "ReplicationController" => {
                let object = self.decode::<ReplicationController>(value, kind, name, origin)?;
                (object.metadata, object.spec.and_then(|spec| spec.template))
            }
            "DaemonSet" => {
                let object = self.decode::<DaemonSet>(value, kind, name, origin)?;
                (object.metadata, object.spec.map(|spec| spec.template))
            }
            "StatefulSet" => {
                let object = self.decode::<StatefulSet>(value, kind, name, origin)?;
                (object.metadata, object.spec.map(|spec| spec.template))
            }
            "Job" => {
                let object = self.decode::<Job>(value, kind, name, origin)?;
                (object.metadata, object.spec.map(|spec| spec.template))
            }
            "CronJob" => {
                let object = self.decode::<CronJob>(value, kind, name, origin)?;
                let template = object.spec.and_then(|spec| spec.job_template.spec).map(|spec| spec.template);
                (object.metadata, template)
            }
            _ => return None,
        })
    }

    fn add_namespace(&mut self, namespace: &KubeNamespace, origin: &Origin<'a>) {
        let name = namespace.metadata.name.clone().unwrap_or_default();
        if let Some((_, first)) = self.namespaces.get(&name) {
            let first = first.clone();
            self.report_with(
                origin.object(),
                Diagnostic::new(
                    Code::DuplicateObject,
                    origin.placeholder(),
                    format!("Namespace '{name}' is given twice"),
                )
                .with_label("second definition")
                .with_secondary(first.placeholder(), "first definition")
                .with_help("keep one definition of each namespace"),
                vec![first.object()],
            );
            return;
        }
        let mut labels = namespace.metadata.labels.clone().unwrap_or_default();
        labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.clone());
        self.namespaces.insert(name, (labels, origin.clone()));
    }

    fn add_policy(&mut self, mut policy: NetworkPolicy, origin: &Origin<'a>) {
        let namespace = policy.metadata.namespace.get_or_insert_with(|| DEFAULT_NAMESPACE.to_owned()).clone();
        let name = policy.metadata.name.clone().unwrap_or_default();
        let shown = format!("{namespace}/{name}");
        if let Some((_, first)) = self.policies.get(&(namespace.clone(), name.clone())) {
            let first = first.clone();
            self.report_with(
                origin.object(),
                Diagnostic::new(
                    Code::DuplicateObject,
                    origin.placeholder(),
                    format!("NetworkPolicy '{shown}' is given twice"),
                )
                .with_label("second definition")
                .with_secondary(first.placeholder(), "first definition")
                .with_help("Kubernetes keeps one NetworkPolicy per namespace and name; remove or rename one"),
                vec![first.object()],
            );
            return;
        }
        match policy_from_kubernetes(&policy, origin.file.clone()) {
            Ok(checked) => {
                self.policies.insert((namespace, name), (checked, origin.clone()));
            }
            Err(problems) => {
                for problem in problems {
                    self.report(
                        origin.at(&problem.path),
                        Diagnostic::new(
                            problem.code,
                            origin.placeholder(),
                            format!("NetworkPolicy '{shown}': {}", problem.message),
                        )
                        .with_label(format!("in {}", problem.path)),
                    );
                }
            }
        }
    }

    fn add_pod(&mut self, pod: &Pod, origin: &Origin<'a>) {
        let metadata = &pod.metadata;
        let pod_name = metadata.name.clone().unwrap_or_default();
        if pod_name.starts_with("virt-launcher-") {
            return;
        }
        let namespace = metadata.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        let owner = metadata
            .owner_references
            .iter()
            .flatten()
            .find(|owner| owner.controller == Some(true))
            .filter(|owner| owner.kind != "Node" && !owner.name.is_empty());
        let (name, kind) = match owner {
            Some(owner) => {
                let kind = if owner.kind.is_empty() { "Pod" } else { owner.kind.as_str() };
                (owner.name.clone(), kind.to_owned())
            }
            None => (pod_name.clone(), "Pod".to_owned()),
        };
        let spec = pod.spec.as_ref();
        let host_network = spec.filter(|spec| self.on_host_network(spec)).map(|_| HostNetwork {
            host_ip: pod.status.as_ref().and_then(|status| status.host_ip.as_deref()?.parse::<IpAddr>().ok()),
        });
        let member = Member {
            pod_name,
            labels: metadata.labels.clone().unwrap_or_default(),
            ports: spec.map(container_ports).unwrap_or_default(),
            host_network,
            origin: origin.clone(),
            host_network_path: "spec.hostNetwork",
        };
        self.members.entry(WorkloadKey { namespace, name, kind }).or_default().push(member);
    }

    fn add_workload(
        &mut self,
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        kind: &str,
        template: Option<&PodTemplateSpec>,
        origin: &Origin<'a>,
    ) {
        let name = metadata.name.clone().unwrap_or_default();
        let namespace = metadata.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        let spec = template.and_then(|template| template.spec.as_ref());
        let labels = template.and_then(|template| template.metadata.as_ref()?.labels.clone()).unwrap_or_default();
        let host_network = spec.filter(|spec| self.on_host_network(spec)).map(|_| HostNetwork { host_ip: None });
        let template_path = if kind == "CronJob" {
            "spec.jobTemplate.spec.template.spec.hostNetwork"
        } else {
            "spec.template.spec.hostNetwork"
        };
        let member = Member {
            pod_name: name.clone(),
            labels,
            ports: spec.map(container_ports).unwrap_or_default(),
            host_network,
            origin: origin.clone(),
            host_network_path: template_path,
        };
        let key = WorkloadKey { namespace, name, kind: kind.to_owned() };
        self.members.entry(key).or_default().push(member);
    }

    /// Whether pods of `spec` are read as their node's address.
    fn on_host_network(&self, spec: &PodSpec) -> bool {
        spec.host_network == Some(true) && self.options.host_network == HostNetworkPods::NodeAddress
    }

    fn finish(mut self, first_file: Option<Arc<str>>) -> Result<Manifests, Vec<Diagnostic>> {
        let policies: Vec<Policy> =
            std::mem::take(&mut self.policies).into_values().map(|(policy, _)| policy).collect();
        let mut namespaces: BTreeMap<String, BTreeMap<String, String>> =
            std::mem::take(&mut self.namespaces).into_iter().map(|(name, (labels, _))| (name, labels)).collect();
        let referenced: BTreeSet<String> = self
            .members
            .keys()
            .map(|key| key.namespace.clone())
            .chain(policies.iter().map(|policy| policy.namespace.clone()))
            .collect();
        for name in referenced {
            namespaces.entry(name.clone()).or_insert_with(|| BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), name)]));
        }

        let mut workloads = Vec::new();
        for (key, mut members) in std::mem::take(&mut self.members) {
            members.sort_by(|a, b| {
                a.pod_name.cmp(&b.pod_name).then_with(|| a.origin.order_key().cmp(&b.origin.order_key()))
            });
            self.check_owner_labels(&key, &members, &policies, &namespaces);
            let Some(first) = members.into_iter().next() else { continue };
            if let Some(host_network) = &first.host_network {
                let display = format!("{}/{}[{}]", key.namespace, key.name, key.kind);
                let matched_by = match host_network.host_ip {
                    Some(address) => format!("ipBlocks that hold its node's address {address} match it"),
                    None => "its node's address is not given (status.hostIP), so no ipBlock matches it".to_owned(),
                };
                self.report(
                    first.origin.at(first.host_network_path),
                    Diagnostic::new(
                        Code::HostNetworkWorkload,
                        first.origin.placeholder(),
                        format!(
                            "{display} uses its node's network: no policy selects or isolates it, and pod selectors do not match it"
                        ),
                    )
                    .with_label(matched_by)
                    .with_help(
                        "most network plugins cannot tell such pods from their node; \
                         `npg analyze --host-network pod` treats them as ordinary pods instead",
                    ),
                );
            }
            workloads.push(Workload {
                namespace: key.namespace,
                name: key.name,
                kind: key.kind,
                labels: first.labels,
                ports: first.ports,
                host_network: first.host_network,
                source: first.origin.file,
            });
        }
        if workloads.is_empty() && !self.has_errors() {
            let location = Location { file: first_file.unwrap_or_else(|| "".into()), span: Span::default() };
            self.report(
                Place::Known(location.clone()),
                Diagnostic::new(
                    Code::NoWorkloads,
                    location,
                    "the manifests hold no workloads, so there is no connectivity to report",
                )
                .with_label("no Pod or workload object in the files read")
                .with_help(format!(
                    "give Pod objects or workload objects ({}); other kinds are not read",
                    WORKLOAD_KINDS.join(", ")
                )),
            );
        }

        let mut diagnostics = resolve_places(self.pending);
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.message.cmp(&b.message)));
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(diagnostics);
        }
        let namespaces = namespaces.into_iter().map(|(name, labels)| Namespace { name, labels }).collect();
        Ok(Manifests { cluster: Cluster { namespaces, workloads, policies }, warnings: diagnostics })
    }

    /// Pods of one owner may differ in labels only where no policy selector looks:
    /// one workload stands for all of them.
    fn check_owner_labels(
        &mut self,
        key: &WorkloadKey,
        members: &[Member<'a>],
        policies: &[Policy],
        namespaces: &BTreeMap<String, BTreeMap<String, String>>,
    ) {
        let Some(first) = members.first() else { return };
        if members.iter().all(|member| member.labels == first.labels) {
            return;
        }
        let namespace_labels = namespaces.get(&key.namespace);
        for policy in policies {
            for selector in selectors_applying_to(policy, &key.namespace, namespace_labels) {
                let Some(differing) =
                    members.iter().find(|member| selector.matches(&member.labels) != selector.matches(&first.labels))
                else {
                    continue;
                };
                self.report_with(
                    differing.origin.object(),
                    Diagnostic::new(
                        Code::InconsistentOwnerLabels,
                        differing.origin.placeholder(),
                        format!(
                            "the pods of {}/{}[{}] have different labels, and NetworkPolicy '{}' selects `{}` but not `{}`",
                            key.namespace,
                            key.name,
                            key.kind,
                            policy.display_name(),
                            if selector.matches(&first.labels) { &first.pod_name } else { &differing.pod_name },
                            if selector.matches(&first.labels) { &differing.pod_name } else { &first.pod_name },
                        ),
                    )
                    .with_label(format!("labels {}", describe_labels(&differing.labels)))
                    .with_secondary(first.origin.placeholder(), format!("labels {}", describe_labels(&first.labels)))
                    .with_help(
                        "one workload stands for all pods of an owner; give them the same labels, \
                         or select on labels they share",
                    ),
                    vec![first.origin.object()],
                );
                return;
            }
        }
    }
}

/// The diagnostics with their places found: every document is read once more, for
/// all the places in it at once.
fn resolve_places(pending: Vec<Pending>) -> Vec<Diagnostic> {
    type DocumentKey = (Arc<str>, usize);
    let mut wanted: BTreeMap<DocumentKey, (Document, BTreeSet<Vec<Step>>)> = BTreeMap::new();
    let places = pending.iter().flat_map(|item| std::iter::once(&item.primary).chain(&item.secondary));
    for place in places {
        if let Place::Find { origin, paths } = place {
            let entry = wanted
                .entry((origin.file.clone(), origin.document.offset))
                .or_insert_with(|| (origin.document, BTreeSet::new()));
            entry.1.extend(paths.iter().cloned());
        }
    }
    let mut found: BTreeMap<(DocumentKey, Vec<Step>), Span> = BTreeMap::new();
    for (key, (document, paths)) in wanted {
        let paths: Vec<Vec<Step>> = paths.into_iter().collect();
        for (path, span) in paths.iter().zip(documents::locate_all(&document, &paths)) {
            if let Some(span) = span.filter(|span| span.end > span.start) {
                found.insert((key.clone(), path.clone()), span);
            }
        }
    }
    let location_of = |place: &Place| match place {
        Place::Known(location) => location.clone(),
        Place::Find { origin, paths } => {
            let key = (origin.file.clone(), origin.document.offset);
            let span = paths
                .iter()
                .find_map(|path| found.get(&(key.clone(), path.clone())).copied())
                .unwrap_or_else(|| origin.document.first_line());
            Location { file: origin.file.clone(), span }
        }
    };
    pending
        .into_iter()
        .map(|item| {
            let mut diagnostic = item.diagnostic;
            diagnostic.primary.location = location_of(&item.primary);
            for (label, place) in diagnostic.secondary.iter_mut().zip(&item.secondary) {
                label.location = location_of(place);
            }
            diagnostic
        })
        .collect()
}

/// The pod selectors of `policy` that can look at pods of `namespace`: the policy's
/// own selector (in its namespace) and the pod selectors of its peers whose
/// namespace part takes in `namespace`.
fn selectors_applying_to<'p>(
    policy: &'p Policy,
    namespace: &str,
    namespace_labels: Option<&BTreeMap<String, String>>,
) -> Vec<&'p LabelSelector> {
    let mut selectors = Vec::new();
    if policy.namespace == namespace {
        selectors.push(&policy.pod_selector);
    }
    let rules = policy.ingress.iter().flatten().chain(policy.egress.iter().flatten());
    for peer in rules.filter_map(|rule| rule.peers.as_ref()).flatten() {
        if let Peer::Pods { namespaces, pods } = peer {
            let applies = match namespaces {
                NamespaceScope::Own => policy.namespace == namespace,
                NamespaceScope::Matching(selector) => namespace_labels.is_some_and(|labels| selector.matches(labels)),
            };
            if applies {
                selectors.push(pods);
            }
        }
    }
    selectors
}

/// A deserializer's path as steps, and as text (`spec.containers[0].ports[0]`,
/// with keys that hold dots or brackets quoted: `labels["app.kubernetes.io/name"]`).
fn field_path(path: &serde_path_to_error::Path) -> (Vec<Step>, String) {
    use serde_path_to_error::Segment;
    let mut steps = Vec::new();
    let mut shown = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                steps.push(Step::Index(*index));
                shown.push_str(&format!("[{index}]"));
            }
            Segment::Map { key } => {
                if key.contains(['.', '[', ']', '"']) {
                    shown.push_str(&format!("[{}]", serde_json::Value::String(key.clone())));
                } else {
                    if !shown.is_empty() {
                        shown.push('.');
                    }
                    shown.push_str(key);
                }
                steps.push(Step::Key(key.clone()));
            }
            Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    (steps, shown)
}

fn describe_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "(none)".to_owned();
    }
    labels.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join(", ")
}

/// The name an object gives, for messages: `namespace/name`, or `name`.
fn object_name(object: &serde_json::Map<String, Value>) -> String {
    let metadata = object.get("metadata");
    let name = metadata.and_then(|metadata| metadata.get("name")?.as_str()).unwrap_or("");
    match metadata.and_then(|metadata| metadata.get("namespace")?.as_str()) {
        Some(namespace) => format!("{namespace}/{name}"),
        None => name.to_owned(),
    }
}

/// Whether the engine reads objects of this kind and API group. A `NetworkPolicy`
/// of another group (Calico's, say) is not Kubernetes' and is skipped.
fn is_modelled(kind: &str, api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    match kind {
        "Namespace" | "Pod" | "ReplicationController" => group.is_empty(),
        "NetworkPolicy" => matches!(group, "networking.k8s.io" | "extensions"),
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => matches!(group, "apps" | "extensions"),
        "Job" | "CronJob" => group == "batch",
        _ => false,
    }
}

/// The ports the pod's containers declare, and those of its sidecars (init
/// containers with `restartPolicy: Always`, which keep running beside the others).
/// Plain init containers end before the pod serves anything, so theirs do not count.
fn container_ports(spec: &PodSpec) -> Vec<ContainerPort> {
    let sidecars =
        spec.init_containers.iter().flatten().filter(|container| container.restart_policy.as_deref() == Some("Always"));
    let mut ports: Vec<ContainerPort> = spec
        .containers
        .iter()
        .chain(sidecars)
        .flat_map(|container: &Container| container.ports.iter().flatten())
        .filter_map(|port| {
            let number = u16::try_from(port.container_port).ok().filter(|number| *number > 0)?;
            let protocol = match port.protocol.as_deref() {
                None | Some("TCP") => Protocol::Tcp,
                Some("UDP") => Protocol::Udp,
                Some("SCTP") => Protocol::Sctp,
                Some(_) => return None,
            };
            Some(ContainerPort { name: port.name.clone().filter(|name| !name.is_empty()), port: number, protocol })
        })
        .collect();
    ports.sort();
    ports.dedup();
    ports
}

#[cfg(test)]
mod tests;
