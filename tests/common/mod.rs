//! What the CLI tests share: where the repository is and its reach fixtures, how to
//! run the `npg` binary, and how to say where two texts part.

#![allow(dead_code, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `npg` binary built for these tests, in `current_dir`, with colour
/// settings of the environment removed.
pub fn npg(current_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npg"))
        .args(args)
        .current_dir(current_dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("npg runs")
}

/// Where two texts first part, line by line, for a failure message.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    let mut line = 1;
    loop {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(want), Some(got)) if want == got => line += 1,
            (None, None) => return "no line differs (only line endings do)".to_owned(),
            (want, got) => {
                return format!(
                    "line {line}:\n  expected: {}\n  actual:   {}",
                    want.unwrap_or("<end of text>"),
                    got.unwrap_or("<end of text>")
                );
            }
        }
    }
}

/// The reach fixtures: an npg program for a shop, and the cluster it is meant for.
pub const SHOP: &str = "tests/fixtures/reach/shop";
pub const K8S: &str = "tests/fixtures/reach/k8s";

/// Runs `npg COMMAND --color never ARGS...` from the repository root: exit code,
/// stdout and stderr.
pub fn run_uncoloured(command: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec![command, "--color", "never"];
    all.extend_from_slice(args);
    let Output { status, stdout, stderr } = npg(&root(), &all);
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    (status.code().unwrap_or(-1), text(stdout), text(stderr))
}
