//! Benchmarks of the grammar alone, in bytes per second, on the generated programs
//! the whole-pipeline benchmarks use: `parse/*` (the tree and comments, what the
//! compiler reads), `parse_with_recovery/*` (the lalrpop parser alone, which reads
//! text with syntax errors) and `layout/*` (tokens after the layout pass).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use npg_grammar::lexer::Layout;

#[path = "../../benches/support/generate.rs"]
#[allow(dead_code, reason = "the whole-pipeline benchmarks also write the programs to disk")]
mod generate;

use generate::{GeneratedProgram, Shape};

/// The seed of the whole-pipeline benchmarks, so both measure the same text.
const SEED: u64 = 0x6E70_6721;

fn cases() -> Vec<(&'static str, GeneratedProgram)> {
    vec![
        ("10k", generate::generate(Shape::with_rules(10_000), SEED)),
        ("10k-groups-50k-rules", generate::generate(Shape { rules: 50_000, groups: 10_000 }, SEED)),
    ]
}

fn bytes(program: &GeneratedProgram) -> Throughput {
    Throughput::Bytes(u64::try_from(program.total_bytes()).unwrap_or(u64::MAX))
}

fn benches(c: &mut Criterion) {
    let cases = cases();
    for (group_name, read) in [
        ("parse", (|text| npg_grammar::parse(text).tree.items.len()) as fn(&str) -> usize),
        ("parse_with_recovery", |text| npg_grammar::parse_with_recovery(text).tree.items.len()),
        ("layout", |text| Layout::new(text, npg_grammar::MAX_SYNTAX_ERRORS).count()),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(20);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(4));
        for (name, program) in &cases {
            group.throughput(bytes(program));
            group.bench_function(*name, |b| {
                b.iter(|| program.files.iter().map(|file| read(black_box(&file.text))).sum::<usize>());
            });
        }
        group.finish();
    }
}

criterion_group!(grammar, benches);
criterion_main!(grammar);
