//! The layers keep to themselves: these tests fail when a crate depends on, or a
//! source file uses, something its layer must know nothing of (ARCHITECTURE.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

fn manifest_dependencies(crate_dir: &str) -> String {
    let manifest =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(crate_dir).join("Cargo.toml")).unwrap();
    manifest.split("[dependencies]").nth(1).unwrap_or("").split("\n[").next().unwrap_or("").to_owned()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Non-test source lines of every `.rs` file under `dir` that contain `needle`.
fn uses(dir: &str, needle: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut found = Vec::new();
    for file in rust_files(&root) {
        let text = fs::read_to_string(&file).unwrap();
        let production = text.split("#[cfg(test)]").next().unwrap_or("");
        for (number, line) in production.lines().enumerate() {
            if line.contains(needle) && !line.trim_start().starts_with("//") {
                found.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_grammar_knows_nothing_of_salsa_kubernetes_or_terminals() {
    let dependencies = manifest_dependencies("grammar");
    for forbidden in ["salsa", "k8s-openapi", "serde_yaml", "ariadne", "clap", "tower-lsp", "npg-compiler"] {
        assert!(!dependencies.contains(forbidden), "grammar depends on {forbidden}");
    }
}

#[test]
fn the_compiler_knows_nothing_of_terminals_files_or_the_protocol() {
    let dependencies = manifest_dependencies("compiler");
    for forbidden in ["ariadne", "clap", "tower-lsp", "lsp-types"] {
        assert!(!dependencies.contains(forbidden), "compiler depends on {forbidden}");
    }
    for forbidden in ["std::fs", "println!", "eprintln!", "std::io::stdout", "std::io::stderr", "std::env::"] {
        let found = uses("compiler/src", forbidden);
        assert!(found.is_empty(), "compiler uses {forbidden}:\n{}", found.join("\n"));
    }
    let found = uses("grammar/src", "println!");
    assert!(found.is_empty(), "grammar prints:\n{}", found.join("\n"));
}

#[test]
fn the_language_server_knows_nothing_of_yaml_or_terminals() {
    let dependencies = manifest_dependencies("lsp");
    for forbidden in ["serde_yaml", "serde-saphyr", "k8s-openapi", "ariadne", "clap"] {
        assert!(!dependencies.contains(forbidden), "lsp depends on {forbidden}");
    }
    for forbidden in ["println!", "eprintln!", "ariadne"] {
        let found = uses("lsp/src", forbidden);
        assert!(found.is_empty(), "lsp uses {forbidden}:\n{}", found.join("\n"));
    }
}

#[test]
fn only_the_emit_module_writes_yaml_and_only_the_documents_module_reads_it() {
    let found: Vec<String> = ["serde_yaml::", "serde_saphyr::"]
        .into_iter()
        .flat_map(|library| uses("compiler/src", library).into_iter().chain(uses("src", library)))
        .filter(|line| {
            !line.contains("compiler/src/emit.rs") && !line.contains("compiler/src/reach/manifests/documents.rs")
        })
        .collect();
    assert!(
        found.is_empty(),
        "YAML written outside emit.rs or read outside reach/manifests/documents.rs:\n{}",
        found.join("\n")
    );
}
