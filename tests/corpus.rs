//! Conformance with netpol-analyzer: every case of the corpus's MANIFEST.tsv, run
//! through `npg analyze` and compared with the expected connectivity list (as sets
//! of lines, then in order), the expected JSON, or the expected failure.
//!
//! The corpus is found through `NPG_CORPUS` (it must then be readable), else at
//! `../shared/corpus` beside the workspace; without either, the tests say so and
//! pass. netpol-analyzer polices `hostNetwork` pods like any other pod, so the
//! cases run with `--host-network pod`; run as npg runs by default (such pods are
//! their node's address), every line that names no host-network workload must
//! still be as expected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

/// One test per case; `every_case_of_the_manifest_has_a_test` keeps this list and
/// MANIFEST.tsv in step.
macro_rules! corpus_cases {
    ($($test:ident => $case:literal,)*) => {
        const CASES: &[&str] = &[$($case),*];
        $(
            #[test]
            fn $test() {
                run_case($case);
            }
        )*
    };
}

corpus_cases! {
    core_pods_without_host_ip => "core_pods_without_host_ip",
    document_with_syntax_error => "document_with_syntax_error",
    example_pods_w_same_owner_and_labels_gap_no_policy => "example_pods_w_same_owner_and_labels_gap_no_policy",
    example_pods_w_same_owner_and_labels_gap_with_good_match_expression => "example_pods_w_same_owner_and_labels_gap_with_good_match_expression",
    example_pods_w_same_owner_and_labels_gap_with_good_match_expression2 => "example_pods_w_same_owner_and_labels_gap_with_good_match_expression2",
    example_pods_w_same_owner_and_labels_gap_with_policy_selector_not_in_gap => "example_pods_w_same_owner_and_labels_gap_with_policy_selector_not_in_gap",
    exposure_test_pod_exposed_only_to_representative_peers => "exposure_test_pod_exposed_only_to_representative_peers",
    ipblockstest => "ipblockstest",
    ipblockstest_2 => "ipblockstest_2",
    ipblockstest_3 => "ipblockstest_3",
    ipblockstest_4 => "ipblockstest_4",
    minikube_resources => "minikube_resources",
    minimal_test_in_ns => "minimal_test_in_ns",
    multiple_topology_resources_1 => "multiple_topology_resources_1",
    multiple_topology_resources_2 => "multiple_topology_resources_2",
    multiple_topology_resources_3 => "multiple_topology_resources_3",
    multiple_topology_resources_4 => "multiple_topology_resources_4",
    netpol_analysis_example_minimal => "netpol-analysis-example-minimal",
    netpol_named_port_test => "netpol_named_port_test",
    netpol_named_port_test_2 => "netpol_named_port_test_2",
    new_online_boutique => "new_online_boutique",
    new_online_boutique_synthesis => "new_online_boutique_synthesis",
    online_boutique_workloads_no_ns => "online_boutique_workloads_no_ns",
    onlineboutique => "onlineboutique",
    onlineboutique_workloads => "onlineboutique_workloads",
    semanticdiff_different_topologies_policy_a => "semanticDiff-different-topologies-policy-a",
    semanticdiff_different_topologies_policy_a_with_ipblock => "semanticDiff-different-topologies-policy-a-with-ipblock",
    semanticdiff_different_topologies_policy_b => "semanticDiff-different-topologies-policy-b",
    semanticdiff_different_topologies_policy_b_with_ipblock => "semanticDiff-different-topologies-policy-b-with-ipblock",
    semanticdiff_orig_topologies_no_policy => "semanticDiff-orig-topologies-no-policy",
    semanticdiff_orig_topologies_policy_a => "semanticDiff-orig-topologies-policy-a",
    semanticdiff_same_topologies_new1 => "semanticDiff-same-topologies-new1",
    semanticdiff_same_topologies_new1a => "semanticDiff-same-topologies-new1a",
    semanticdiff_same_topologies_new2 => "semanticDiff-same-topologies-new2",
    semanticdiff_same_topologies_new3 => "semanticDiff-same-topologies-new3",
    semanticdiff_same_topologies_old1 => "semanticDiff-same-topologies-old1",
    semanticdiff_same_topologies_old2 => "semanticDiff-same-topologies-old2",
    semanticdiff_same_topologies_old3 => "semanticDiff-same-topologies-old3",
    test_with_named_ports => "test_with_named_ports",
    test_with_named_ports_changed_netpol => "test_with_named_ports_changed_netpol",
    test_with_named_ports_changed_netpol_2 => "test_with_named_ports_changed_netpol_2",
    with_end_port_example => "with_end_port_example",
    with_end_port_example_new => "with_end_port_example_new",
    bad_netpols_subdir1 => "bad_netpols__subdir1",
    bad_netpols_subdir2 => "bad_netpols__subdir2",
    bad_netpols_subdir3 => "bad_netpols__subdir3",
    bad_netpols_subdir4 => "bad_netpols__subdir4",
    bad_netpols_subdir6 => "bad_netpols__subdir6",
    bad_netpols_subdir7 => "bad_netpols__subdir7",
    bad_path_namespace_with_same_name => "bad_path_namespace_with_same_name",
    bad_yamls_irrelevant_k8s_resources => "bad_yamls__irrelevant_k8s_resources",
    bad_yamls_subdir2 => "bad_yamls__subdir2",
    example_pods_w_same_owner_and_labels_gap_with_bad_match_expression => "example_pods_w_same_owner_and_labels_gap_with_bad_match_expression",
    malformed_pod_example_4 => "malformed-pod-example-4",
    malformed_pod_example => "malformed_pod_example",
    np_bad_path_test_1 => "np_bad_path_test_1",
    np_bad_path_test_2 => "np_bad_path_test_2",
    np_test_with_empty_port_range => "np_test_with_empty_port_range",
    semanticdiff_same_topologies_illegal_podlist => "semanticDiff-same-topologies-illegal-podlist",
}

/// The `netpol-analyzer` folder of the corpus, or `None` (with a note) when there
/// is no corpus to read.
fn corpus() -> Option<PathBuf> {
    let folder = match std::env::var_os("NPG_CORPUS") {
        Some(path) => {
            let folder = PathBuf::from(path).join("netpol-analyzer");
            assert!(
                folder.join("MANIFEST.tsv").is_file(),
                "NPG_CORPUS is set, but {} has no MANIFEST.tsv",
                folder.display()
            );
            folder
        }
        None => {
            let fallback = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/netpol-analyzer");
            if !fallback.join("MANIFEST.tsv").is_file() {
                eprintln!("note: no corpus (set NPG_CORPUS, or put it at ../shared/corpus); skipping");
                return None;
            }
            fallback
        }
    };
    Some(folder)
}

/// The `expect` column of each case in MANIFEST.tsv.
fn manifest(corpus: &std::path::Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("MANIFEST.tsv has a header").split('\t').collect();
    assert_eq!(header.get(..2), Some(&["case", "expect"][..]), "MANIFEST.tsv columns changed");
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            (fields.next().unwrap().to_owned(), fields.next().unwrap_or_default().to_owned())
        })
        .collect()
}

fn analyze(input: &std::path::Path, format: &str) -> Output {
    analyze_with(input, format, "pod")
}

fn analyze_with(input: &std::path::Path, format: &str, host_network: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npg"))
        .args(["analyze", "--color", "never", "--host-network", host_network, "--format", format])
        .arg(input)
        .output()
        .expect("npg runs")
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn run_case(case: &str) {
    let Some(corpus) = corpus() else { return };
    let expect = manifest(&corpus)
        .into_iter()
        .find(|(name, _)| name == case)
        .map(|(_, expect)| expect)
        .unwrap_or_else(|| panic!("{case} is not in MANIFEST.tsv"));
    let folder = corpus.join(case);
    let input = folder.join("input");
    let problems = match expect.as_str() {
        "txt" => {
            let mut problems = check_text(&folder, &input);
            problems.extend(check_host_network_as_node(&folder, &input));
            problems
        }
        "txt+json" => {
            let mut problems = check_text(&folder, &input);
            problems.extend(check_host_network_as_node(&folder, &input));
            problems.extend(check_json(&folder, &input));
            problems
        }
        "error-fatal" => check_fatal(&folder, &input),
        "error-nonfatal-empty" => check_error_or_empty(&input),
        other => vec![format!("unknown expectation {other:?}")],
    };
    assert!(problems.is_empty(), "case {case}:\n{}", problems.join("\n"));
}

/// The text output against expected.txt: same set of lines, sorted byte-wise,
/// no duplicates, every line ending in a newline.
fn check_text(folder: &std::path::Path, input: &std::path::Path) -> Vec<String> {
    let expected = fs::read_to_string(folder.join("expected.txt")).expect("expected.txt is readable");
    let output = analyze(input, "txt");
    let mut problems = Vec::new();
    if output.status.code() != Some(0) {
        problems.push(format!("exit {:?}, expected 0; stderr:\n{}", output.status.code(), stderr_of(&output)));
    }
    let actual = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let expected_lines: BTreeSet<&str> = expected.lines().collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    let actual_set: BTreeSet<&str> = actual_lines.iter().copied().collect();
    let missing: Vec<&str> = expected_lines.difference(&actual_set).copied().collect();
    let extra: Vec<&str> = actual_set.difference(&expected_lines).copied().collect();
    if !missing.is_empty() || !extra.is_empty() {
        problems.push(format!(
            "{} line(s) missing, {} extra\n{}{}",
            missing.len(),
            extra.len(),
            missing.iter().take(40).map(|line| format!("  missing: {line}\n")).collect::<String>(),
            extra.iter().take(40).map(|line| format!("  extra:   {line}\n")).collect::<String>(),
        ));
    }
    if let Some(pair) = actual_lines.windows(2).find(|pair| pair[0] >= pair[1]) {
        problems.push(format!("lines out of order or repeated:\n  {}\n  {}", pair[0], pair[1]));
    }
    if !actual.is_empty() && !actual.ends_with('\n') {
        problems.push("the last line does not end in a newline".to_owned());
    }
    problems
}

/// With host-network pods read as their node's address (npg's default), the lines
/// that name no host-network workload are exactly the expected ones that name none.
/// npg names those workloads in its NPG0607 warnings.
fn check_host_network_as_node(folder: &std::path::Path, input: &std::path::Path) -> Vec<String> {
    let expected = fs::read_to_string(folder.join("expected.txt")).expect("expected.txt is readable");
    let output = analyze_with(input, "txt", "node");
    let stderr = stderr_of(&output);
    if output.status.code() != Some(0) {
        return vec![format!("--host-network node: exit {:?}; stderr:\n{stderr}", output.status.code())];
    }
    let on_host_network: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("warning[NPG0607]: "))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    let names_one = |line: &&str| {
        line.split(" : ").next().unwrap_or_default().split(" => ").any(|peer| on_host_network.contains(&peer))
    };
    let actual = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let expected: BTreeSet<&str> = expected.lines().filter(|line| !names_one(line)).collect();
    let actual: BTreeSet<&str> = actual.lines().filter(|line| !names_one(line)).collect();
    let mut problems = Vec::new();
    for line in expected.difference(&actual).take(20) {
        problems.push(format!("--host-network node: missing {line}"));
    }
    for line in actual.difference(&expected).take(20) {
        problems.push(format!("--host-network node: extra {line}"));
    }
    problems
}

/// The JSON output against expected.json, element by element.
fn check_json(folder: &std::path::Path, input: &std::path::Path) -> Vec<String> {
    let expected = fs::read_to_string(folder.join("expected.json")).expect("expected.json is readable");
    let expected: serde_json::Value = serde_json::from_str(&expected).expect("expected.json is JSON");
    let output = analyze(input, "json");
    if output.status.code() != Some(0) {
        return vec![format!("json: exit {:?}; stderr:\n{}", output.status.code(), stderr_of(&output))];
    }
    let actual: serde_json::Value = match serde_json::from_slice(&output.stdout) {
        Ok(value) => value,
        Err(error) => return vec![format!("json: output is not JSON: {error}")],
    };
    if actual == expected {
        return Vec::new();
    }
    let as_set = |value: &serde_json::Value| -> BTreeSet<String> {
        value.as_array().into_iter().flatten().map(ToString::to_string).collect()
    };
    let (expected_set, actual_set) = (as_set(&expected), as_set(&actual));
    let mut problem = String::from("json differs from expected.json\n");
    for entry in expected_set.difference(&actual_set) {
        problem.push_str(&format!("  missing: {entry}\n"));
    }
    for entry in actual_set.difference(&expected_set) {
        problem.push_str(&format!("  extra:   {entry}\n"));
    }
    if expected_set == actual_set {
        problem.push_str("  (same entries, different order or layout)\n");
    }
    vec![problem]
}

/// A fatal case: npg reports errors (exit 1) and prints no connectivity. A folder
/// without manifest files is a usage error instead (exit 2).
fn check_fatal(folder: &std::path::Path, input: &std::path::Path) -> Vec<String> {
    let upstream = fs::read_to_string(folder.join("expected-error.txt")).unwrap_or_default();
    let no_manifests = upstream.contains("recognized file extensions");
    let output = analyze(input, "txt");
    let stderr = stderr_of(&output);
    let mut problems = Vec::new();
    let expected_exit = if no_manifests { 2 } else { 1 };
    if output.status.code() != Some(expected_exit) {
        problems.push(format!("exit {:?}, expected {expected_exit}; stderr:\n{stderr}", output.status.code()));
    }
    if !output.stdout.is_empty() {
        problems.push(format!(
            "printed connectivity although the input is broken:\n{}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    if no_manifests && !stderr.contains(".yaml") {
        problems.push(format!("the message does not list the extensions read:\n{stderr}"));
    }
    if !no_manifests && !stderr.contains("error[NPG") {
        problems.push(format!("no diagnostic with a code on stderr:\n{stderr}"));
    }
    problems
}

/// Upstream records an error but reports no connections: an error or an empty list.
fn check_error_or_empty(input: &std::path::Path) -> Vec<String> {
    let output = analyze(input, "txt");
    match output.status.code() {
        Some(0) if output.stdout.is_empty() => Vec::new(),
        Some(1) if output.stdout.is_empty() => Vec::new(),
        code => vec![format!(
            "expected an error or no connections, got exit {code:?} with:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            stderr_of(&output)
        )],
    }
}

#[test]
fn every_case_of_the_manifest_has_a_test() {
    let Some(corpus) = corpus() else { return };
    let listed: BTreeSet<String> = manifest(&corpus).into_iter().map(|(case, _)| case).collect();
    let tested: BTreeSet<String> = CASES.iter().map(|case| (*case).to_owned()).collect();
    assert_eq!(listed, tested, "MANIFEST.tsv and the cases in tests/corpus.rs differ");
}
