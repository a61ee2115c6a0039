//! `npg analyze` from the outside: what it prints for manifests, how it fails
//! (exit 1 for broken manifests, 2 for usage and I/O), how its diagnostics point
//! into YAML, and that its output does not depend on the order files come in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::path::Path;
use std::process::Output;

use common::npg;

mod common;

const FRONTEND: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  namespace: shop
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: web, image: web}]}
";

const BACKEND: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
  namespace: shop
spec:
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers:
      - name: api
        image: api
        ports: [{name: http, containerPort: 9090}]
";

const BACKEND_POLICY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: backend
  namespace: shop
spec:
  podSelector: {matchLabels: {app: backend}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: http}]
";

const EXPECTED: &str = "\
0.0.0.0-255.255.255.255[External] => shop/frontend[Deployment] : All Connections
shop/backend[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections
shop/backend[Deployment] => shop/frontend[Deployment] : All Connections
shop/frontend[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections
shop/frontend[Deployment] => shop/backend[Deployment] : TCP 9090
";

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("frontend.yaml", FRONTEND), ("backend.yml", BACKEND), ("policies/backend.yaml", BACKEND_POLICY)],
    );
    dir
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn a_folder_of_manifests_gives_the_connectivity_list() {
    let dir = shop();
    let output = npg(dir.path(), &["analyze", "--color", "never", "."]);
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), EXPECTED);
}

#[test]
fn the_current_folder_is_read_when_no_path_is_given() {
    let dir = shop();
    let output = npg(dir.path(), &["analyze"]);
    assert_eq!(stdout(&output), EXPECTED);
}

#[test]
fn json_is_an_array_of_src_dst_conn_objects_without_a_final_newline() {
    let dir = shop();
    let output = npg(dir.path(), &["analyze", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with("[\n  {\n    \"src\": "), "{text}");
    assert!(text.ends_with(']'), "{text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = value.as_array().unwrap();
    assert_eq!(entries.len(), EXPECTED.lines().count());
    assert!(entries.iter().all(|entry| entry.as_object().unwrap().len() == 3));
    let first_object = &text[..text.find('}').unwrap()];
    let at = |key: &str| first_object.find(&format!("\"{key}\"")).unwrap();
    assert!(at("src") < at("dst") && at("dst") < at("conn"), "{first_object}");
    assert_eq!(entries[4]["src"], "shop/frontend[Deployment]");
    assert_eq!(entries[4]["dst"], "shop/backend[Deployment]");
    assert_eq!(entries[4]["conn"], "TCP 9090");
}

#[test]
fn the_output_does_not_depend_on_file_names_or_the_order_of_paths() {
    let first = shop();
    let second = tempfile::tempdir().unwrap();
    write(second.path(), &[("z.yaml", FRONTEND), ("a/b.yaml", BACKEND), ("m.yaml", BACKEND_POLICY)]);
    let one = npg(first.path(), &["analyze", "frontend.yaml", "backend.yml", "policies"]);
    let two = npg(first.path(), &["analyze", "policies", "backend.yml", "frontend.yaml"]);
    let three = npg(second.path(), &["analyze", "."]);
    assert_eq!(stdout(&one), EXPECTED);
    assert_eq!(stdout(&two), EXPECTED);
    assert_eq!(stdout(&three), EXPECTED);
}

#[test]
fn output_goes_to_a_file_with_dash_o() {
    let dir = shop();
    let output = npg(dir.path(), &["analyze", "-o", "out/connectivity.txt"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(fs::read_to_string(dir.path().join("out/connectivity.txt")).unwrap(), EXPECTED);
}

#[test]
fn a_bad_cidr_is_reported_at_its_line_with_its_code_and_nothing_is_printed() {
    let dir = shop();
    let bad = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: office\n  namespace: shop\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/33\n";
    write(dir.path(), &[("policies/office.yaml", bad)]);
    let output = npg(dir.path(), &["analyze", "--color", "never", "."]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let rendered = stderr(&output);
    assert!(rendered.contains("error[NPG0308]: NetworkPolicy 'shop/office': "), "{rendered}");
    assert!(rendered.contains("policies/office.yaml:11:9"), "{rendered}");
    assert!(rendered.contains("cidr: 10.0.0.0/33"), "{rendered}");
    assert!(rendered.contains("in spec.ingress[0].from[0].ipBlock.cidr"), "{rendered}");
}

#[test]
fn manifests_without_workloads_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")]);
    let output = npg(dir.path(), &["analyze", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("error[NPG0606]"), "{}", stderr(&output));
}

#[test]
fn a_broken_document_is_a_warning_and_the_rest_is_analyzed() {
    let dir = shop();
    write(dir.path(), &[("broken.yaml", "a: [\n")]);
    let output = npg(dir.path(), &["analyze", "--color", "never"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("warning[NPG0602]"), "{}", stderr(&output));
    assert_eq!(stdout(&output), EXPECTED);
}

#[test]
fn a_folder_without_manifests_is_a_usage_error_listing_the_extensions() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("empty.xml", "")]);
    let output = npg(dir.path(), &["analyze", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`.yaml`, `.yml`, `.json`"), "{}", stderr(&output));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = npg(dir.path(), &["analyze", "nowhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read `nowhere`"), "{}", stderr(&output));
}

#[test]
fn csv_markdown_and_graphviz_carry_the_same_pairs() {
    let dir = shop();
    let csv = stdout(&npg(dir.path(), &["analyze", "--format", "csv"]));
    assert!(csv.starts_with("src,dst,conn\n"), "{csv}");
    assert!(csv.contains("shop/frontend[Deployment],shop/backend[Deployment],TCP 9090\n"), "{csv}");
    assert_eq!(csv.lines().count(), EXPECTED.lines().count() + 1);
    let markdown = stdout(&npg(dir.path(), &["analyze", "--format", "md"]));
    assert!(markdown.contains("| shop/frontend[Deployment] | shop/backend[Deployment] | TCP 9090 |"), "{markdown}");
    let dot = stdout(&npg(dir.path(), &["analyze", "--format", "dot"]));
    assert!(dot.starts_with("digraph {"), "{dot}");
    assert!(
        dot.contains("\"shop/frontend[Deployment]\" -> \"shop/backend[Deployment]\" [label=\"TCP 9090\"]"),
        "{dot}"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_an_error() {
    let dir = shop();
    fs::write(dir.path().join("latin1.yaml"), b"# caf\xe9\n").unwrap();
    let output = npg(dir.path(), &["analyze", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("error[NPG0001]"), "{}", stderr(&output));
}

const HOST_NETWORK_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: node-agent
  namespace: shop
  labels: {app: agent}
spec:
  hostNetwork: true
  containers: [{name: agent, image: agent}]
status:
  hostIP: 10.0.0.7
";

const DENY_ALL: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

#[test]
fn host_network_pods_are_their_node_by_default_and_ordinary_pods_on_request() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("agent.yaml", HOST_NETWORK_POD), ("deny.yaml", DENY_ALL), ("frontend.yaml", FRONTEND)]);
    let as_node = npg(dir.path(), &["analyze", "--color", "never"]);
    assert!(stderr(&as_node).contains("warning[NPG0607]: shop/node-agent[Pod] uses its node's network"));
    assert!(stderr(&as_node).contains("ipBlocks that hold its node's address 10.0.0.7 match it"));
    assert_eq!(
        stdout(&as_node),
        "0.0.0.0-255.255.255.255[External] => shop/node-agent[Pod] : All Connections\n\
         shop/node-agent[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
    );
    let as_pod = npg(dir.path(), &["analyze", "--host-network", "pod"]);
    assert_eq!(as_pod.status.code(), Some(0));
    assert_eq!(stderr(&as_pod), "");
    assert_eq!(stdout(&as_pod), "");
}

#[test]
fn explain_and_paths_read_host_network_pods_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("agent.yaml", HOST_NETWORK_POD), ("deny.yaml", DENY_ALL), ("frontend.yaml", FRONTEND)]);
    let explained = |mode: &str| {
        let output =
            npg(dir.path(), &["explain", "--color", "never", "--host-network", mode, "10.1.2.3", "shop/node-agent:22"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
    };
    assert!(explained("node").contains(": ALLOWED\n"), "{}", explained("node"));
    assert!(explained("pod").contains(": DENIED\n"), "{}", explained("pod"));
    let reached = |mode: &str| {
        let output = npg(
            dir.path(),
            &["paths", "--color", "never", "--host-network", mode, "shop/node-agent", "--to", "10.1.2.3"],
        );
        stdout(&output)
    };
    assert!(reached("node").contains("1 shortest path"), "{}", reached("node"));
    assert!(reached("pod").to_lowercase().starts_with("no path from shop/node-agent[pod]"), "{}", reached("pod"));
}
