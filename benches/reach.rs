//! Benchmarks of the connectivity engine on generated clusters
//! (`reach/<shape>/...`): reading the YAML text into a `Cluster`, full
//! connectivity of that cluster (every pair and address piece), both, and the
//! connectivity list `npg analyze` prints.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace as KubeNamespace, Pod, PodSpec};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use npg_compiler::model::Protocol;
use npg_compiler::reach::kubernetes::{DEFAULT_NAMESPACE, policy_from_kubernetes};
use npg_compiler::reach::{Cluster, Connectivity, ContainerPort, HostNetwork, Namespace, Workload, connlist};
use serde::Deserialize as _;

#[path = "support/cluster.rs"]
mod cluster;

use cluster::{Shape, YamlFile};

/// The allocator the `npg` binary uses, so the figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The seed every cluster is generated from, so runs compare like with like.
const SEED: u64 = 0x6E70_6722;

/// Where the clusters are written for measuring the command line by hand and
/// for `benches/nca/compare.py`: the `bench-clusters` folder of the target
/// directory this benchmark was built in.
fn clusters_dir() -> PathBuf {
    let from_executable = std::env::current_exe().ok().and_then(|executable| {
        let deps = executable.parent()?;
        if deps.file_name()? != "deps" {
            return None;
        }
        Some(deps.parent()?.parent()?.to_path_buf())
    });
    from_executable.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")).join("bench-clusters")
}

/// YAML text to a `Cluster`: every document deserialized by its kind into
/// k8s-openapi types, workloads taken from their pod templates, policies checked
/// by `policy_from_kubernetes`.
fn read(files: &[YamlFile]) -> Result<Cluster, String> {
    let mut cluster = Cluster::default();
    for file in files {
        let source: Arc<str> = Arc::from(file.path.as_str());
        for document in serde_yaml::Deserializer::from_str(&file.text) {
            let value = serde_yaml::Value::deserialize(document).map_err(|error| format!("{}: {error}", file.path))?;
            let kind = value.get("kind").and_then(serde_yaml::Value::as_str).unwrap_or_default().to_owned();
            let invalid = |error: serde_yaml::Error| format!("{}: {kind}: {error}", file.path);
            match kind.as_str() {
                "Namespace" => {
                    let namespace: KubeNamespace = serde_yaml::from_value(value).map_err(invalid)?;
                    let name = namespace.metadata.name.unwrap_or_default();
                    let mut labels = namespace.metadata.labels.unwrap_or_default();
                    labels.insert("kubernetes.io/metadata.name".to_owned(), name.clone());
                    cluster.namespaces.push(Namespace { name, labels });
                }
                "Deployment" => {
                    let object: Deployment = serde_yaml::from_value(value).map_err(invalid)?;
                    let template = object.spec.map(|spec| spec.template).unwrap_or_default();
                    cluster.workloads.push(workload(object.metadata, &kind, template.metadata, template.spec, &source));
                }
                "StatefulSet" => {
                    let object: StatefulSet = serde_yaml::from_value(value).map_err(invalid)?;
                    let template = object.spec.map(|spec| spec.template).unwrap_or_default();
                    cluster.workloads.push(workload(object.metadata, &kind, template.metadata, template.spec, &source));
                }
                "DaemonSet" => {
                    let object: DaemonSet = serde_yaml::from_value(value).map_err(invalid)?;
                    let template = object.spec.map(|spec| spec.template).unwrap_or_default();
                    cluster.workloads.push(workload(object.metadata, &kind, template.metadata, template.spec, &source));
                }
                "Pod" => {
                    let object: Pod = serde_yaml::from_value(value).map_err(invalid)?;
                    let metadata = Some(object.metadata.clone());
                    cluster.workloads.push(workload(object.metadata, &kind, metadata, object.spec, &source));
                }
                "NetworkPolicy" => {
                    let object: NetworkPolicy = serde_yaml::from_value(value).map_err(invalid)?;
                    let policy = policy_from_kubernetes(&object, source.clone()).map_err(|problems| {
                        let problems: Vec<String> =
                            problems.iter().map(|problem| format!("{}: {}", problem.path, problem.message)).collect();
                        format!("{}: {:?}: {}", file.path, object.metadata.name, problems.join("; "))
                    })?;
                    cluster.policies.push(policy);
                }
                _ => {}
            }
        }
    }
    cluster.namespaces.sort_by(|first, second| first.name.cmp(&second.name));
    cluster.workloads.sort_by(|first, second| {
        (&first.namespace, &first.name, &first.kind).cmp(&(&second.namespace, &second.name, &second.kind))
    });
    cluster.policies.sort_by(|first, second| (&first.namespace, &first.name).cmp(&(&second.namespace, &second.name)));
    Ok(cluster)
}

fn workload(
    object: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    kind: &str,
    template: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
    spec: Option<PodSpec>,
    source: &Arc<str>,
) -> Workload {
    let spec = spec.unwrap_or_default();
    let ports = spec
        .containers
        .iter()
        .flat_map(|container| container.ports.iter().flatten())
        .filter_map(|port| {
            let protocol = match port.protocol.as_deref() {
                Some("UDP") => Protocol::Udp,
                Some("SCTP") => Protocol::Sctp,
                _ => Protocol::Tcp,
            };
            let number = u16::try_from(port.container_port).ok()?;
            Some(ContainerPort { name: port.name.clone(), port: number, protocol })
        })
        .collect();
    Workload {
        namespace: object.namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()),
        name: object.name.unwrap_or_default(),
        kind: kind.to_owned(),
        labels: template.and_then(|metadata| metadata.labels).unwrap_or_default(),
        ports,
        host_network: (spec.host_network == Some(true)).then_some(HostNetwork { host_ip: None }),
        source: source.clone(),
    }
}

/// A generated cluster ready to measure: its YAML files and what they read to.
struct Case {
    shape: Shape,
    files: Vec<YamlFile>,
    cluster: Cluster,
}

/// Generates the cluster, writes it under `bench-clusters/<shape>/`, and stops
/// before measuring anything if it does not read: timing the error path would
/// say nothing about the engine.
fn prepare(shape: Shape) -> Case {
    let generated = cluster::generate(&shape, SEED);
    eprintln!("{}: {}", shape.name, generated.statistics());
    let dir = clusters_dir().join(shape.name);
    if let Err(error) = generated.write_to(&dir) {
        eprintln!("could not write {}: {error}", dir.display());
    }
    let files = match generated.yaml_files() {
        Ok(files) => files,
        Err(error) => {
            eprintln!("the generated cluster {} does not serialize: {error}", shape.name);
            std::process::exit(1);
        }
    };
    let cluster = match read(&files) {
        Ok(cluster) => cluster,
        Err(error) => {
            eprintln!("the generated cluster {} does not read: {error}", shape.name);
            std::process::exit(1);
        }
    };
    Case { shape, files, cluster }
}

fn reach(c: &mut Criterion, case: &Case) {
    let mut group = c.benchmark_group(format!("reach/{}", case.shape.name));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("read", |b| b.iter(|| black_box(read(&case.files).map(|cluster| cluster.workloads.len()))));
    group.bench_function("connectivity", |b| b.iter(|| black_box(Connectivity::of(&case.cluster))));
    let connectivity = Connectivity::of(&case.cluster);
    group.bench_function("connlist", |b| {
        b.iter(|| black_box(connlist::to_text(&connlist::lines(&case.cluster, &connectivity)).len()))
    });
    group.bench_function("read+connectivity", |b| {
        b.iter(|| black_box(read(&case.files).map(|cluster| Connectivity::of(&cluster).workload_count())))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    // Written for benches/nca/compare.py only, not measured.
    prepare(Shape::nca_kinds());
    for shape in [Shape::nca_1k(), Shape::public_cluster()] {
        let started = Instant::now();
        let case = prepare(shape);
        eprintln!("{}: generated and read in {:.2?}", case.shape.name, started.elapsed());
        reach(c, &case);
    }
}

criterion_group!(all, benches);
criterion_main!(all);
