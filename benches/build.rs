//! Benchmarks of the whole pipeline on generated programs: text to YAML
//! (`build/*`), parsing with every diagnostic (`parse_check/*`, in bytes per
//! second) and serde_yaml alone on the same objects (`baseline/serde_yaml/*`).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use npg_compiler::lower::KubeObject;
use npg_compiler::{Database, Program, SourceFile};

#[path = "support/generate.rs"]
mod generate;

/// The allocator the `npg` binary uses, so the figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use generate::{GeneratedProgram, Shape};

/// The seed every program is generated from, so runs compare like with like.
const SEED: u64 = 0x6E70_6721;

/// A generated program and the name its benchmarks carry.
struct Case {
    name: &'static str,
    program: GeneratedProgram,
}

fn cases() -> Vec<Case> {
    let shapes = [
        ("1k", Shape::with_rules(1_000)),
        ("10k", Shape::with_rules(10_000)),
        ("100k", Shape::with_rules(100_000)),
        ("10k-groups-50k-rules", Shape { rules: 50_000, groups: 10_000 }),
    ];
    shapes.into_iter().map(|(name, shape)| Case { name, program: generate::generate(shape, SEED) }).collect()
}

/// Where the programs are written for measuring the command line by hand: the
/// `bench-programs` folder of the target directory this benchmark was built in.
fn programs_dir() -> PathBuf {
    let from_executable = std::env::current_exe().ok().and_then(|executable| {
        let deps = executable.parent()?;
        if deps.file_name()? != "deps" {
            return None;
        }
        Some(deps.parent()?.parent()?.to_path_buf())
    });
    from_executable.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")).join("bench-programs")
}

/// A fresh database holding the program's files.
fn load(program: &GeneratedProgram) -> (Database, Program) {
    let db = Database::default();
    let files = program
        .files
        .iter()
        .map(|file| SourceFile::new(&db, Arc::from(file.path.as_str()), file.text.clone()))
        .collect();
    let input = Program::new(&db, files);
    (db, input)
}

/// Stops before measuring anything when a generated program does not compile:
/// timing the error path would say nothing about the compiler.
fn ensure_valid(case: &Case) {
    let (db, program) = load(&case.program);
    let errors: Vec<String> = npg_compiler::diagnostics(&db, program)
        .into_iter()
        .filter(npg_compiler::Diagnostic::is_error)
        .take(5)
        .map(|diagnostic| {
            format!(
                "{} {}:{}: {}",
                diagnostic.code,
                diagnostic.primary.location.file,
                diagnostic.primary.location.span.start,
                diagnostic.message
            )
        })
        .collect();
    if !errors.is_empty() {
        eprintln!("the generated program {} has errors, first ones:\n{}", case.name, errors.join("\n"));
        std::process::exit(1);
    }
}

/// Big cases get fewer, shorter samples so that `cargo bench` stays reasonable.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case) {
    group.sample_size(10);
    if case.program.rules >= 50_000 {
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(10));
    } else {
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
    }
}

fn rule_throughput(case: &Case) -> Throughput {
    Throughput::Elements(u64::try_from(case.program.rules).unwrap_or(u64::MAX))
}

fn build(c: &mut Criterion, cases: &[Case]) {
    let mut group = c.benchmark_group("build");
    for case in cases {
        configure(&mut group, case);
        group.throughput(rule_throughput(case));
        group.bench_function(case.name, |b| {
            b.iter_batched(
                || load(&case.program),
                |(db, program)| {
                    let manifests = npg_compiler::build(&db, program).map(|manifests| manifests.len()).unwrap_or(0);
                    black_box(manifests);
                    db
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

fn parse_check(c: &mut Criterion, cases: &[Case]) {
    let mut group = c.benchmark_group("parse_check");
    for case in cases {
        configure(&mut group, case);
        group.throughput(Throughput::Bytes(u64::try_from(case.program.total_bytes()).unwrap_or(u64::MAX)));
        group.bench_function(case.name, |b| {
            b.iter_batched(
                || load(&case.program),
                |(db, program)| {
                    black_box(npg_compiler::diagnostics(&db, program).len());
                    db
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// serde_yaml alone, on the objects the build of the same program serializes:
/// the floor that the whole build is compared with.
fn serde_yaml_baseline(c: &mut Criterion, cases: &[Case]) {
    let mut group = c.benchmark_group("baseline/serde_yaml");
    for case in cases {
        let (db, program) = load(&case.program);
        let model = npg_compiler::db::model(&db, program);
        let objects = npg_compiler::lower::kubernetes_objects(&model);
        configure(&mut group, case);
        group.throughput(rule_throughput(case));
        group.bench_function(case.name, |b| b.iter(|| black_box(serialize(&objects))));
    }
    group.finish();
}

/// The total length of every object's YAML.
fn serialize(objects: &[KubeObject]) -> usize {
    objects
        .iter()
        .map(|object| {
            let yaml = match object {
                KubeObject::NetworkPolicy(policy) => serde_yaml::to_string(policy),
                KubeObject::Role(role) => serde_yaml::to_string(role),
                KubeObject::RoleBinding(binding) => serde_yaml::to_string(binding),
            };
            yaml.map_or(0, |text| text.len())
        })
        .sum()
}

fn benches(c: &mut Criterion) {
    let cases = cases();
    let dir = programs_dir();
    for case in &cases {
        if let Err(error) = case.program.write_to(&dir.join(case.name)) {
            eprintln!("could not write {}: {error}", dir.join(case.name).display());
        }
        ensure_valid(case);
    }
    build(c, &cases);
    parse_check(c, &cases);
    serde_yaml_baseline(c, &cases);
}

criterion_group!(all, benches);
criterion_main!(all);
