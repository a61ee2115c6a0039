//! Benchmarks of the whole pipeline on generated programs.

fn main() {}
