//! `npg explain`: allowed and denied connections with the policies, rules and npg
//! lines behind them, over a program, over manifests, and over both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::Output;

fn explain(args: &[&str]) -> (i32, String, String) {
    common::run_uncoloured("explain", args)
}

use common::{K8S, SHOP};

#[test]
fn an_allowed_connection_names_the_npg_line_that_allows_it() {
    let (status, stdout, stderr) = explain(&["web", "api:8080", SHOP]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.starts_with("shop/web[Group] => shop/api[Group] on TCP 8080: ALLOWED\n"), "{stdout}");
    assert!(stdout.contains("allowed by shop/npg-web spec.egress[0]: TCP 8080"), "{stdout}");
    assert!(
        stdout.contains("from tests/fixtures/reach/shop/shop.npg:8: group web may reach api:8080, kube-dns"),
        "{stdout}"
    );
}

#[test]
fn a_denied_connection_says_which_side_denies_it_and_the_npg_rule_that_would_allow_it() {
    let (status, stdout, stderr) = explain(&["web", "db:5432", SHOP]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.starts_with("shop/web[Group] => shop/db[Group] on TCP 5432: DENIED\n"), "{stdout}");
    assert!(stdout.contains("denied by the egress from shop/web[Group] and the ingress to shop/db[Group]"), "{stdout}");
    assert!(stdout.contains("to allow it:\n    group web may reach db:5432\n"), "{stdout}");
}

#[test]
fn over_manifests_the_yaml_rule_and_file_are_named() {
    let (status, stdout, stderr) = explain(&["shop/api", "shop/db:5432", K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains(": ALLOWED\n"), "{stdout}");
    assert!(
        stdout
            .contains("allowed by shop/db-ingress spec.ingress[0]: TCP 5432 (tests/fixtures/reach/k8s/policies.yaml)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("egress from shop/api[Deployment]: not isolated (no policy selects it), so open"),
        "{stdout}"
    );
}

#[test]
fn over_manifests_a_denied_connection_gets_the_yaml_peer_to_add() {
    let (status, stdout, stderr) = explain(&["shop/web", "shop/db:5432", K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("shop/web[Deployment] => shop/db[StatefulSet] on TCP 5432: DENIED"), "{stdout}");
    assert!(stdout.contains("denied by the ingress to shop/db[StatefulSet]"), "{stdout}");
    assert!(
        stdout.contains(
            "add to spec.ingress of shop/db-ingress (tests/fixtures/reach/k8s/policies.yaml):\n      - from:\n          - podSelector:\n              matchLabels:\n                app: web\n"
        ),
        "{stdout}"
    );
}

#[test]
fn a_program_over_real_workloads_explains_each_workload_pair() {
    let (status, stdout, stderr) = explain(&["web", "db", SHOP, K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.starts_with("shop/web[Deployment] => shop/db[StatefulSet]: DENIED\n"), "{stdout}");
    assert!(
        stdout.contains("denied by the egress from shop/web[Deployment] and the ingress to shop/db[StatefulSet]"),
        "{stdout}"
    );
    assert!(stdout.contains("to allow it:\n    group web may reach db\n"), "{stdout}");
}

#[test]
fn an_address_outside_the_cluster_is_a_subject() {
    let (status, stdout, stderr) = explain(&["203.0.113.9", "shop/web:8080", K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("egress from 203.0.113.9-203.0.113.9: outside the cluster, no policy applies"), "{stdout}");
    assert!(stdout.contains(": ALLOWED\n"), "{stdout}");
}

#[test]
fn an_unknown_name_is_a_usage_error_with_a_suggestion() {
    let (status, stdout, stderr) = explain(&["wbe", "api", SHOP]);
    assert_eq!(status, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr, "error: no group, workload or address is called `wbe`; did you mean `web`?\n");
}

#[test]
fn a_bad_port_is_a_usage_error() {
    let (status, _, stderr) = explain(&["web", "api:http/icmp", SHOP]);
    assert_eq!(status, 2);
    assert!(stderr.contains("`icmp` is not a protocol"), "{stderr}");
}

#[test]
fn a_program_with_errors_exits_1_with_its_diagnostics() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("bad.npg"),
        "namespace shop {\n  group web = app=web\n}\ngroup web may reach nope\n",
    )
    .unwrap();
    let path = folder.path().to_str().unwrap();
    let (status, stdout, stderr) = explain(&["web", "web", path]);
    assert_eq!(status, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("NPG0201"), "{stderr}");
    assert!(Path::new(path).exists());
}

#[test]
fn the_webshop_example_explains_with_its_npg_lines() {
    let (status, stdout, stderr) = explain(&["frontend", "bff:8080", "examples/webshop"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stdout.starts_with("storefront/frontend[Group] => storefront/bff[Group] on TCP 8080: ALLOWED\n"),
        "{stdout}"
    );
    assert!(stdout.contains("from examples/webshop/storefront.npg:"), "{stdout}");
    let (status, stdout, _) = explain(&["frontend", "orders-db:5432", "examples/webshop"]);
    assert_eq!(status, 0);
    assert!(stdout.contains("DENIED"), "{stdout}");
    assert!(stdout.contains("group frontend may reach orders-db:5432"), "{stdout}");
}

#[test]
fn a_workload_no_group_selects_gets_a_group_declared_in_the_npg_fix() {
    let (status, stdout, stderr) = explain(&["shop/report", "shop/db:5432", SHOP, K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("denied by the egress from shop/report[CronJob]\n"), "{stdout}");
    // The unmanaged db-ingress still admits the report job; npg's default deny stops it leaving.
    assert!(stdout.contains("allowed by shop/db-ingress spec.ingress[0]: TCP 5432"), "{stdout}");
    assert!(
        stdout.ends_with(
            "  to allow it:\n    group report in shop = app=report\n    group shop/report may reach shop/db:5432\n"
        ),
        "{stdout}"
    );
}

#[test]
fn json_gives_the_answer_and_each_side() {
    let (status, stdout, stderr) = explain(&["web", "db:5432", SHOP, "--format", "json"]);
    assert_eq!(status, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["answer"], "denied");
    assert_eq!(json["pairs"][0]["ingress"]["policies"][0], "shop/npg-db");
    assert_eq!(json["pairs"][0]["fix"], "group web may reach db:5432");
}

#[test]
fn analyze_reads_the_same_inputs_a_program_alone_over_its_representatives() {
    let Output { status, stdout, .. } = common::npg(&common::root(), &["analyze", SHOP]);
    assert_eq!(status.code(), Some(0));
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(stdout.contains("shop/web[Group] => shop/api[Group] : TCP 8080\n"), "{stdout}");
    let Output { status, stdout, .. } = common::npg(&common::root(), &["analyze", SHOP, K8S]);
    assert_eq!(status.code(), Some(0));
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(stdout.contains("shop/web[Deployment] => shop/api[Deployment] : TCP 8080\n"), "{stdout}");
    assert!(!stdout.contains("[Group]"), "{stdout}");
}
