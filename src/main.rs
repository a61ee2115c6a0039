//! The `npg` command line.

fn main() {}
