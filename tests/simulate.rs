//! `npg check PATHS --workloads K8S_DIR`: the connections a program would open and
//! close relative to the policies a cluster has now, and its assertions over the
//! cluster's real workloads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

fn check(args: &[&str]) -> (i32, String, String) {
    common::run_uncoloured("check", args)
}

use common::{K8S, SHOP};

/// A program for the fixture's shop namespace; `rules` follow the group declarations.
fn program(rules: &str) -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    let text =
        format!("namespace shop {{\n  group web = app=web\n  group api = app=api\n  group db = app=db\n}}\n{rules}");
    std::fs::write(folder.path().join("shop.npg"), text).unwrap();
    folder
}

#[test]
fn the_connections_the_program_closes_are_listed_per_pair() {
    let (_, stdout, stderr) = check(&[SHOP, "--workloads", K8S]);
    let closed = stdout.split("connections closed").nth(1).unwrap_or_default();
    // The report job loses the database it reached through db-ingress.
    assert!(closed.contains("  - shop/report[CronJob] => shop/db[StatefulSet] : TCP 5432\n"), "{stdout}{stderr}");
    // The web tier keeps 8080 to the api and loses every other port.
    assert!(
        closed.contains(
            "  - shop/web[Deployment] => shop/api[Deployment] : SCTP 1-65535,TCP 1-8079,8081-65535,UDP 1-65535\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("connections opened"), "{stdout}");
}

#[test]
fn the_connections_the_program_opens_are_listed_per_pair() {
    let folder = program("group api may reach db:{5432, 6432}, kube-dns\n");
    let k8s = common::root().join(K8S);
    let (status, stdout, stderr) = check(&[folder.path().to_str().unwrap(), "--workloads", k8s.to_str().unwrap()]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with(
            "connections opened (1):\n  + shop/api[Deployment] => shop/db[StatefulSet] : TCP 6432\nconnections closed"
        ),
        "{stdout}"
    );
}

#[test]
fn an_assertion_that_holds_for_the_program_can_fail_over_the_real_workloads() {
    // `only api can reach db` holds between groups, but a policy npg does not manage
    // (db-from-ops) still lets the operations namespace in.
    let (status, _, stderr) = check(&[SHOP, "--workloads", K8S]);
    assert_eq!(status, 1, "{stderr}");
    assert!(
        stderr.contains("error[NPG0401]: assertion does not hold: ops/toolbox[Deployment] can reach `db`"),
        "{stderr}"
    );
    assert!(stderr.contains("shop/db-from-ops"), "{stderr}");
    let (status, _, stderr) = check(&[SHOP]);
    assert_eq!(status, 0, "{stderr}");
}

#[test]
fn machine_formats_keep_stdout_for_diagnostics() {
    let (_, stdout, stderr) = check(&[SHOP, "--workloads", K8S, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(json.as_array().unwrap().iter().any(|diagnostic| diagnostic["code"] == "NPG0401"), "{stdout}");
    assert!(stderr.starts_with("connections closed"), "{stderr}");
}

#[test]
fn a_workloads_folder_without_manifests_is_a_usage_error() {
    let folder = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) = check(&[SHOP, "--workloads", folder.path().to_str().unwrap()]);
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert!(stderr.contains("no manifest files"), "{stderr}");
}
