//! Benchmarks of the connectivity engine on generated clusters
//! (`reach/<shape>/...`): reading the YAML text into a `Cluster`, full
//! connectivity of that cluster (every pair and address piece), both, and the
//! connectivity list `npg analyze` prints.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use npg_compiler::reach::manifests::{ManifestFile, read_manifests};
use npg_compiler::reach::{Cluster, Connectivity, connlist};

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

/// YAML text to a `Cluster`, as `npg analyze` reads it.
fn read(files: &[YamlFile]) -> Result<Cluster, String> {
    let manifests: Vec<ManifestFile> =
        files.iter().map(|file| ManifestFile { path: Arc::from(file.path.as_str()), text: &file.text }).collect();
    read_manifests(&manifests).map(|manifests| manifests.cluster).map_err(|diagnostics| {
        let errors: Vec<String> = diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.is_error())
            .take(5)
            .map(|diagnostic| {
                format!("{} {}: {}", diagnostic.code, diagnostic.primary.location.file, diagnostic.message)
            })
            .collect();
        errors.join("\n")
    })
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
        b.iter(|| {
            let names = connlist::Names::new(&case.cluster, &connectivity);
            black_box(connlist::to_text(&connlist::lines(&names, &connectivity)).len())
        })
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
