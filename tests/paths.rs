//! `npg paths`: the blast radius of a compromised workload by hop count, and the
//! shortest paths to a target with the port each hop uses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

fn paths(args: &[&str]) -> (i32, String, String) {
    common::run_uncoloured("paths", args)
}

use common::{K8S, SHOP};

#[test]
fn the_blast_radius_is_grouped_by_hop_with_the_port_of_each_hop() {
    let (status, stdout, stderr) = paths(&["web", SHOP, K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(
        stdout,
        "from shop/web[Deployment]: 4 workloads and 1 external range reachable\n\
         hop 1:\n  \
         kube-system/coredns[Deployment] on TCP 53 from shop/web[Deployment] (allows TCP 53,UDP 53)\n  \
         shop/api[Deployment] on TCP 8080 from shop/web[Deployment]\n\
         hop 2:\n  \
         ops/toolbox[Deployment] on any port from kube-system/coredns[Deployment]\n  \
         shop/db[StatefulSet] on TCP 5432 from shop/api[Deployment]\n  \
         0.0.0.0-255.255.255.255[External] on any port from kube-system/coredns[Deployment]\n"
    );
}

#[test]
fn the_shortest_path_names_the_port_at_each_hop() {
    let (status, stdout, stderr) = paths(&["web", "db", SHOP, K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(
        stdout,
        "1 shortest path from shop/web[Deployment] to shop/db[StatefulSet], 2 hops each\n\
         path 1:\n  \
         shop/web[Deployment]\n  \
         -> shop/api[Deployment] on TCP 8080\n  \
         -> shop/db[StatefulSet] on TCP 5432\n"
    );
}

#[test]
fn to_can_be_given_as_an_option_and_json_lists_the_hops() {
    let (status, stdout, stderr) = paths(&["web", "--to", "db", SHOP, K8S, "--format", "json"]);
    assert_eq!(status, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["paths"][0][0]["to"], "shop/api[Deployment]");
    assert_eq!(json["paths"][0][0]["port"], "TCP 8080");
    assert_eq!(json["paths"][0][1]["port"], "TCP 5432");
}

#[test]
fn the_hop_limit_cuts_the_search_and_says_so() {
    let (status, stdout, _) = paths(&["web", SHOP, K8S, "--max-hops", "1"]);
    assert_eq!(status, 0);
    assert!(stdout.ends_with("(stopped at the hop limit; more is reachable beyond it)\n"), "{stdout}");
    let (status, stdout, _) = paths(&["web", "db", SHOP, K8S, "--max-hops", "1"]);
    assert_eq!(status, 0);
    assert_eq!(stdout, "no path from shop/web[Deployment] to shop/db[StatefulSet]\n");
}

#[test]
fn an_attacker_outside_the_cluster_starts_where_ingress_admits_it() {
    // Today only the database is isolated: an outside address reaches the api, the report job and
    // the operations toolbox, and the database through each of them.
    let (status, stdout, stderr) = paths(&["203.0.113.9", "shop/db", K8S]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stdout.starts_with(
            "3 shortest paths from 0.0.0.0-255.255.255.255[External] to shop/db[StatefulSet], 2 hops each\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  -> shop/api[Deployment] on any port\n  -> shop/db[StatefulSet] on TCP 5432\n"),
        "{stdout}"
    );
}

#[test]
fn representatives_stand_for_groups_when_there_is_only_a_program() {
    let (status, stdout, stderr) = paths(&["web", "db", SHOP]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("-> shop/api[Group] on TCP 8080\n  -> shop/db[Group] on TCP 5432\n"), "{stdout}");
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    let (status, _, stderr) = paths(&["web", "--to", "dbb", SHOP]);
    assert_eq!(status, 2);
    assert!(stderr.contains("did you mean `db`?"), "{stderr}");
}

#[test]
fn the_blast_radius_as_json_names_each_hop() {
    let (status, stdout, stderr) = paths(&["web", SHOP, K8S, "--format", "json"]);
    assert_eq!(status, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["from"][0], "shop/web[Deployment]");
    let db =
        json["reached"].as_array().unwrap().iter().find(|reached| reached["name"] == "shop/db[StatefulSet]").unwrap();
    assert_eq!(db["hops"], 2);
    assert_eq!(db["via"], "shop/api[Deployment]");
    assert_eq!(db["port"], "TCP 5432");
    assert_eq!(json["cut_short"], false);
}
