//! npg programs in the connectivity engine: the cluster a program describes
//! (representatives, namespaces, policies with their npg lines), its assertions
//! (NPG0401) and the reachability warnings (NPG0505, NPG0506).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use expect_test::{Expect, expect};
use npg_compiler::db;
use npg_compiler::model::{LabelSelector, Requirement};
use npg_compiler::reach::program::representative_labels;
use npg_compiler::reach::{Cluster, Namespace, Workload, cluster_for_program, cluster_with_workloads};
use npg_compiler::{Code, Database};

fn check(fixture: &str, expected: Expect) {
    expected.assert_eq(&support::diagnostics(fixture));
}

fn model_of(fixture: &str) -> (Database, Arc<npg_compiler::model::Model>, npg_compiler::Program) {
    let db = Database::default();
    let (program, _) = support::program(&db, fixture);
    let model = db::model(&db, program);
    (db, model, program)
}

const SHOP: &str = r#"
namespace shop {
  group frontend = app=web, tier=frontend
  group backend = app=api
}
namespace data {
  labels { env: prod }
  group db = role=db, tier!=cache
}
port http = 8080
network internet = 0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16
group frontend may reach backend:http, kube-dns
group backend may reach db:5432, kube-dns
group backend may reach internet:443
network internet may reach frontend:443
"#;

fn workload_names(cluster: &Cluster) -> Vec<String> {
    cluster.workloads.iter().map(Workload::display_name).collect()
}

#[test]
fn a_program_has_one_representative_per_group_and_namespace() {
    let (_, model, _) = model_of(SHOP);
    let cluster = cluster_for_program(&model);
    assert_eq!(
        workload_names(&cluster),
        ["data/db[Group]", "kube-system/kube-dns[Group]", "shop/backend[Group]", "shop/frontend[Group]"]
    );
    let namespaces: Vec<(&str, usize)> =
        cluster.namespaces.iter().map(|namespace| (namespace.name.as_str(), namespace.labels.len())).collect();
    assert_eq!(namespaces, [("data", 2), ("kube-system", 1), ("shop", 1)]);
    let db = &cluster.workloads[0];
    assert_eq!(db.labels, BTreeMap::from([("role".to_owned(), "db".to_owned())]));
}

#[test]
fn groups_in_many_namespaces_have_a_representative_in_each_known_one() {
    let (_, model, _) = model_of(
        "namespace a {\n  labels { team: x }\n}\nnamespace b {\n  labels { team: y }\n}\ngroup agent in any = app=agent\ngroup probe in namespaces(team=x) = app=probe\ngroup agent may reach probe:9100, kube-dns\n",
    );
    let cluster = cluster_for_program(&model);
    assert_eq!(
        workload_names(&cluster),
        [
            "a/agent[Group]",
            "a/probe[Group]",
            "b/agent[Group]",
            "kube-system/agent[Group]",
            "kube-system/kube-dns[Group]"
        ]
    );
}

#[test]
fn representatives_satisfy_every_selector_operator() {
    let selector = |requirements: Vec<Requirement>| LabelSelector { requirements };
    let key = |k: &str| k.to_owned();
    let set = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
    let cases = [
        (Requirement::Equals { key: key("app"), value: "web".into() }, Some("web")),
        (Requirement::In { key: key("app"), values: set(&["zeta", "alpha"]) }, Some("alpha")),
        (Requirement::Exists { key: key("app") }, Some("present")),
        (Requirement::NotEquals { key: key("app"), value: "web".into() }, None),
        (Requirement::NotIn { key: key("app"), values: set(&["a", "b"]) }, None),
        (Requirement::DoesNotExist { key: key("app") }, None),
    ];
    for (requirement, expected) in cases {
        let selector = selector(vec![requirement.clone()]);
        let labels = representative_labels(&selector);
        assert_eq!(labels.get("app").map(String::as_str), expected, "{requirement:?}");
        assert!(selector.matches(&labels), "{requirement:?}");
    }
    let excluded = selector(vec![
        Requirement::Exists { key: key("app") },
        Requirement::NotIn { key: key("app"), values: set(&["present"]) },
    ]);
    assert!(excluded.matches(&representative_labels(&excluded)));
}

#[test]
fn named_ports_aimed_at_a_group_become_its_container_ports() {
    let (_, model, _) = model_of(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\ngroup web may reach api:{metrics, 65535}, kube-dns\n",
    );
    let program = npg_compiler::reach::program_cluster(&model, &[]);
    let api = program.cluster.workloads.iter().find(|workload| workload.name == "api").unwrap();
    assert_eq!(api.ports.len(), 1);
    let port = &api.ports[0];
    assert_eq!(port.name.as_deref(), Some("metrics"));
    // 65535 is named by number, so the name gets the next free number below it.
    assert_eq!(port.port, 65534);
    let web = program.cluster.workloads.iter().find(|workload| workload.name == "web").unwrap();
    assert!(web.ports.is_empty());
}

#[test]
fn program_policies_know_the_npg_lines_behind_each_rule() {
    let (_, model, _) = model_of(SHOP);
    let cluster = cluster_for_program(&model);
    let summary: Vec<String> = cluster
        .policies
        .iter()
        .map(|policy| {
            let lines = |rules: &Option<Vec<npg_compiler::reach::PolicyRule>>| {
                rules
                    .iter()
                    .flatten()
                    .map(|rule| rule.origins.iter().map(|o| o.line.to_string()).collect::<Vec<_>>().join("+"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                "{} from {} ingress[{}] egress[{}]",
                policy.display_name(),
                policy.source,
                lines(&policy.ingress),
                lines(&policy.egress)
            )
        })
        .collect();
    expect![[r#"
        data/npg-db from main.npg:8 ingress[13] egress[]
        data/npg-default-deny from main.npg:6 ingress[] egress[]
        shop/npg-backend from main.npg:4 ingress[12] egress[13,13,14]
        shop/npg-default-deny from main.npg:2 ingress[] egress[]
        shop/npg-frontend from main.npg:3 ingress[15] egress[12,12]"#]]
    .assert_eq(&summary.join("\n"));
}

#[test]
fn assertions_that_hold_say_nothing() {
    check(
        &format!(
            "{SHOP}assert frontend cannot reach db\nassert only backend can reach db\nassert backend can reach db:5432\nassert only internet can reach frontend:443\nassert frontend can reach backend:http\n"
        ),
        expect![[r#""#]],
    );
}

#[test]
fn a_failed_can_reach_says_which_side_denies_it_and_which_rule_would_allow_it() {
    check(
        &format!("{SHOP}assert frontend can reach db:5432\n"),
        expect![[r#"
            main.npg:16:1 Error[NPG0401] assertion does not hold: `frontend` cannot reach `db` on TCP 5432
                at `assert frontend can reach db:5432`: egress of shop/frontend[Group] is isolated (by shop/npg-default-deny, main.npg:2) and no rule allows TCP 5432 to data/db[Group]; ingress of data/db[Group] is isolated (by data/npg-default-deny, main.npg:6) and no rule allows TCP 5432 from shop/frontend[Group]
                help: to allow it, add `group frontend may reach db:5432`
        "#]],
    );
}

#[test]
fn a_failed_cannot_reach_names_the_rule_that_allows_it() {
    check(
        &format!("{SHOP}assert backend cannot reach db\n"),
        expect![[r#"
            main.npg:16:1 Error[NPG0401] assertion does not hold: `backend` can reach `db` on TCP 5432
                at `assert backend cannot reach db`: shop/backend[Group] → data/db[Group]: egress allowed by main.npg:13, ingress allowed by main.npg:13
                also main.npg:331: this rule allows it
                help: remove or narrow the rule at main.npg:13
        "#]],
    );
}

#[test]
fn a_failed_only_names_who_else_can_reach_and_through_which_rule() {
    check(
        &format!("{SHOP}group frontend may reach db:5432\nassert only backend can reach db:5432\n"),
        expect![[r#"
            main.npg:17:1 Error[NPG0401] assertion does not hold: shop/frontend[Group] can reach `db` on TCP 5432 too, not only `backend`
                at `assert only backend can reach db:5432`: shop/frontend[Group] → data/db[Group]: egress allowed by main.npg:16, ingress allowed by main.npg:16
                also main.npg:451: this rule allows it
                help: remove or narrow the rule at main.npg:16
        "#]],
    );
}

#[test]
fn only_counts_addresses_outside_the_listed_networks() {
    check(
        &format!("{SHOP}network office = 192.0.2.0/24\nassert only office can reach frontend\n"),
        expect![[r#"
            main.npg:17:1 Error[NPG0401] assertion does not hold: 0.0.0.0-9.255.255.255[External] can reach `frontend` on TCP 443 too, not only `office`
                at `assert only office can reach frontend`: 0.0.0.0-9.255.255.255[External] (and 4 more) → shop/frontend[Group]: ingress allowed by main.npg:15
                also main.npg:413: this rule allows it
                help: remove or narrow the rule at main.npg:15
        "#]],
    );
}

#[test]
fn only_accepts_namespaces_as_sources() {
    check(
        &format!("{SHOP}assert only shop can reach db\nassert only data can reach backend\n"),
        expect![[r#"
            main.npg:17:1 Error[NPG0401] assertion does not hold: shop/frontend[Group] can reach `backend` on TCP 8080 too, not only namespace `data`
                at `assert only data can reach backend`: shop/frontend[Group] → shop/backend[Group]: egress allowed by main.npg:12, ingress allowed by main.npg:12
                also main.npg:284: this rule allows it
                help: remove or narrow the rule at main.npg:12
        "#]],
    );
}

#[test]
fn a_network_that_cannot_reach_is_checked_piece_by_piece() {
    check(
        &format!("{SHOP}assert world cannot reach frontend:443\nassert frontend cannot reach world\n"),
        expect![[r#"
            main.npg:16:1 Error[NPG0401] assertion does not hold: `world` can reach `frontend` on TCP 443
                at `assert world cannot reach frontend:443`: 0.0.0.0-9.255.255.255[External] (and 3 more) → shop/frontend[Group]: ingress allowed by main.npg:15
                also main.npg:413: this rule allows it
                help: remove or narrow the rule at main.npg:15
        "#]],
    );
}

#[test]
fn assertions_are_not_evaluated_while_the_program_has_errors() {
    check(
        &format!("{SHOP}group frontend may reach nowhere\nassert frontend can reach db\n"),
        expect![[r#"
            main.npg:16:26 Error[NPG0201] unknown group or network `nowhere`
                at `nowhere`: not declared anywhere in the program
        "#]],
    );
}

#[test]
fn assertions_hold_over_real_workloads_the_groups_select() {
    let (db, model, program) =
        model_of(&format!("{SHOP}assert frontend cannot reach db\nassert backend cannot reach db\n"));
    let assertions = npg_compiler::check::assertions(&db, program);
    let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let workload = |namespace: &str, name: &str, pairs: &[(&str, &str)]| Workload {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        kind: "Deployment".to_owned(),
        labels: labels(pairs),
        ports: Vec::new(),
        host_network: None,
        source: Arc::from("k8s/app.yaml"),
    };
    let real = Cluster {
        namespaces: vec![
            Namespace { name: "data".into(), labels: labels(&[("kubernetes.io/metadata.name", "data")]) },
            Namespace { name: "shop".into(), labels: labels(&[("kubernetes.io/metadata.name", "shop")]) },
        ],
        workloads: vec![
            workload("data", "postgres", &[("role", "db")]),
            workload("shop", "api", &[("app", "api")]),
            workload("shop", "web", &[("app", "web"), ("tier", "frontend")]),
        ],
        policies: Vec::new(),
    };
    let simulated = cluster_with_workloads(&model, &real);
    assert_eq!(simulated.workloads, real.workloads);
    let failures = npg_compiler::reach::evaluate_assertions(&model, &assertions, &simulated);
    let messages: Vec<String> =
        failures.iter().map(|d| format!("{} {} | {}", d.code, d.message, d.primary.message)).collect();
    expect![[r#"
        NPG0401 assertion does not hold: `backend` can reach `db` on TCP 5432 | shop/api[Deployment] → data/postgres[Deployment]: egress allowed by main.npg:13, ingress allowed by main.npg:13"#]]
    .assert_eq(&messages.join("\n"));
}

#[test]
fn simulating_replaces_the_policies_npg_manages_and_keeps_the_others() {
    let (_, model, _) = model_of(SHOP);
    let policy = |name: &str, managed_by_npg: bool| npg_compiler::reach::Policy {
        namespace: "shop".into(),
        name: name.into(),
        pod_selector: LabelSelector::everything(),
        ingress: Some(Vec::new()),
        egress: None,
        source: Arc::from("k8s/policies.yaml"),
        managed_by_npg,
    };
    let real = Cluster {
        namespaces: Vec::new(),
        workloads: Vec::new(),
        policies: vec![policy("npg-old", true), policy("team-own", false)],
    };
    let simulated = cluster_with_workloads(&model, &real);
    let names: Vec<String> = simulated.policies.iter().map(npg_compiler::reach::Policy::display_name).collect();
    assert_eq!(
        names,
        [
            "data/npg-db",
            "data/npg-default-deny",
            "shop/npg-backend",
            "shop/npg-default-deny",
            "shop/npg-frontend",
            "shop/team-own"
        ]
    );
    assert!(simulated.namespaces.iter().any(|namespace| namespace.name == "kube-system"));
}

#[test]
fn a_rule_inside_a_wider_one_is_implied() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\ngroup web may reach kube-dns\ngroup web may reach api:8000-8100\ngroup web may reach api:{8080, 8081}\n",
        expect![[r#"
            main.npg:7:21 Warning[NPG0505] this rule adds nothing: main.npg:6 already allows every connection it allows
                at `api:{8080, 8081}`: already allowed
                also main.npg:112: this rule allows it
                help: remove this target from the rule
        "#]],
    );
}

#[test]
fn of_two_equal_rules_the_later_is_implied() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\ngroup web may reach kube-dns, api:80\ngroup web may reach api:80\n",
        expect![[r#"
            main.npg:6:21 Warning[NPG0505] this rule adds nothing: main.npg:5 already allows every connection it allows
                at `api:80`: already allowed
                also main.npg:93: this rule allows it
                help: remove this target from the rule
        "#]],
    );
}

#[test]
fn rules_that_only_together_allow_a_rule_imply_it_but_never_each_other() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\ngroup web may reach kube-dns, api:80\ngroup web may reach api:{80, 443}\ngroup web may reach api:443\n",
        expect![[r#"
            main.npg:5:31 Warning[NPG0505] this rule adds nothing: main.npg:6 already allows every connection it allows
                at `api:80`: already allowed
                also main.npg:120: this rule allows it
                help: remove this target from the rule
            main.npg:7:21 Warning[NPG0505] this rule adds nothing: main.npg:6 already allows every connection it allows
                at `api:443`: already allowed
                also main.npg:120: this rule allows it
                help: remove this target from the rule
        "#]],
    );
}

#[test]
fn a_rule_from_a_narrower_group_is_implied_by_the_wider_groups_rule() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n  group web-canary = app=web, track=canary\n}\ngroup web may reach kube-dns, api:80\ngroup web-canary may reach kube-dns, api:80\n",
        expect![[r#"
            main.npg:4:9 Warning[NPG0506] groups `web` and `web-canary` can select the same pod: a pod labelled app=web, track=canary in namespace `shop` matches both
                at `web-canary`: overlaps another group
                also main.npg:25: `web` is declared here
                help: make the selectors exclusive (a label one requires and the other excludes), or merge the groups
            main.npg:7:38 Warning[NPG0505] this rule adds nothing: main.npg:6 already allows every connection it allows
                at `api:80`: already allowed
                also main.npg:136: this rule allows it
                help: remove this target from the rule
        "#]],
    );
}

#[test]
fn a_group_in_another_namespace_implies_nothing() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\nnamespace lab {\n  group web-canary = app=web, track=canary\n}\ngroup web may reach kube-dns, api:80\ngroup web-canary may reach kube-dns, api:80\n",
        expect![[r#""#]],
    );
}

#[test]
fn rules_inside_a_namespace_that_allows_internal_traffic_are_implied() {
    check(
        "namespace shop {\n  allow internal\n  group web = app=web\n  group api = app=api\n}\ngroup web may reach kube-dns, api:80\n",
        expect![[r#"
            main.npg:6:31 Warning[NPG0505] this rule adds nothing: namespace `shop` already allows every connection inside it
                at `api:80`: already allowed by `allow internal`
                help: remove this target: `allow internal` in namespace `shop` (declared at main.npg:1) allows it
        "#]],
    );
}

#[test]
fn groups_that_can_select_the_same_pod_are_reported_with_such_a_pod() {
    check(
        "namespace shop {\n  group web = app=web\n  group frontend = app=web, tier in (frontend, edge)\n  group api = app=api\n  group team = team=payments\n}\ngroup web may reach api:80, kube-dns\ngroup frontend may reach api:81, kube-dns\ngroup team may reach api:82, kube-dns\n",
        expect![[r#"
            main.npg:3:9 Warning[NPG0506] groups `web` and `frontend` can select the same pod: a pod labelled app=web, tier=edge in namespace `shop` matches both
                at `frontend`: overlaps another group
                also main.npg:25: `web` is declared here
                help: make the selectors exclusive (a label one requires and the other excludes), or merge the groups
        "#]],
    );
}

#[test]
fn groups_that_exclude_each_other_do_not_overlap() {
    check(
        "namespace shop {\n  group web = app=web, track!=canary\n  group canary = app=web, track=canary\n  group api = app in (api, worker), !legacy\n  group legacy = app=api, legacy\n}\ngroup web may reach api:80, kube-dns\ngroup canary may reach api:81, kube-dns\ngroup legacy may reach web:82, kube-dns\n",
        expect![[r#""#]],
    );
}

#[test]
fn overlap_spans_groups_placed_in_many_namespaces() {
    check(
        "namespace shop {\n  group web = app=web\n}\ngroup everywhere-web in any = app=web, tier=edge\ngroup web may reach everywhere-web:80, kube-dns\n",
        expect![[r#"
            main.npg:4:7 Warning[NPG0506] groups `web` and `everywhere-web` can select the same pod: a pod labelled app=web, tier=edge in namespace `shop` matches both
                at `everywhere-web`: overlaps another group
                also main.npg:25: `web` is declared here
                help: make the selectors exclusive (a label one requires and the other excludes), or merge the groups
        "#]],
    );
}

#[test]
fn warnings_codes_are_warnings_and_assertion_failures_errors() {
    assert!(!Code::ImpliedRule.severity().eq(&npg_compiler::Severity::Error));
    assert!(!Code::OverlappingGroups.severity().eq(&npg_compiler::Severity::Error));
    assert!(Code::AssertionFailed.severity().eq(&npg_compiler::Severity::Error));
}

#[test]
fn editing_an_assertion_reevaluates_assertions_but_keeps_the_warnings() {
    use salsa::Setter;
    let mut db = Database::default();
    let (program, files) = support::program(&db, &format!("{SHOP}assert frontend cannot reach db\n"));
    assert!(npg_compiler::diagnostics(&db, program).is_empty());
    db.record_executions();

    let edited = files[0].text(&db).replace("frontend cannot reach db", "backend cannot reach db");
    files[0].set_text(&mut db).to(edited);
    let diagnostics = npg_compiler::diagnostics(&db, program);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, Code::AssertionFailed);

    let log = db.take_executions();
    let ran = |query: &str| log.iter().filter(|entry| entry.starts_with(query)).count();
    assert_eq!(ran("assertion_failures"), 1, "{log:#?}");
    assert_eq!(ran("reachability_warnings"), 0, "the model did not change: {log:#?}");
}

#[test]
fn a_group_in_many_namespaces_without_dns_is_warned_about() {
    check(
        "namespace shop {\n  group api = app=api\n}\ngroup agent in any = app=agent\ngroup agent may reach api:9100\ngroup api may reach kube-dns\n",
        expect![[r#"
            main.npg:4:7 Warning[NPG0504] group `agent` cannot reach DNS: namespace `shop` isolates egress and no rule lets it reach `kube-dns`
                at `agent`: names will not resolve from these pods
                help: add `group agent may reach kube-dns`
        "#]],
    );
}

#[test]
fn only_over_real_workloads_counts_host_network_pods_that_an_ip_block_admits() {
    use npg_compiler::model::{AddressBlock, PortSet};
    use npg_compiler::reach::{HostNetwork, Peer, Policy, PolicyRule};
    let (db, model, program) = model_of(&format!("{SHOP}assert only backend can reach db\n"));
    let assertions = npg_compiler::check::assertions(&db, program);
    let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let mut node_agent = Workload {
        namespace: "ops".to_owned(),
        name: "node-agent".to_owned(),
        kind: "DaemonSet".to_owned(),
        labels: labels(&[("app", "agent")]),
        ports: Vec::new(),
        host_network: Some(HostNetwork { host_ip: Some("10.0.0.7".parse().unwrap()) }),
        source: Arc::from("k8s/agent.yaml"),
    };
    let postgres = Workload {
        namespace: "data".to_owned(),
        name: "postgres".to_owned(),
        kind: "StatefulSet".to_owned(),
        labels: labels(&[("role", "db")]),
        ports: Vec::new(),
        host_network: None,
        source: Arc::from("k8s/db.yaml"),
    };
    let from_nodes = Policy {
        namespace: "data".into(),
        name: "from-nodes".into(),
        pod_selector: LabelSelector::everything(),
        ingress: Some(vec![PolicyRule {
            peers: Some(vec![Peer::Addresses(AddressBlock {
                cidr: "10.0.0.0/24".parse().unwrap(),
                except: Vec::new(),
            })]),
            ports: PortSet::All,
            origins: Vec::new(),
        }]),
        egress: None,
        source: Arc::from("k8s/data-policies.yaml"),
        managed_by_npg: false,
    };
    let real = Cluster {
        namespaces: Vec::new(),
        workloads: vec![postgres.clone(), node_agent.clone()],
        policies: vec![from_nodes],
    };
    let failures =
        npg_compiler::reach::evaluate_assertions(&model, &assertions, &cluster_with_workloads(&model, &real));
    let messages: Vec<String> = failures.iter().map(|d| format!("{} | {}", d.message, d.primary.message)).collect();
    expect!["assertion does not hold: ops/node-agent[DaemonSet] can reach `db` too, not only `backend` | ops/node-agent[DaemonSet] (and 1 more) → data/postgres[StatefulSet]: ingress allowed by data/from-nodes ingress rule 0 (k8s/data-policies.yaml)"]
    .assert_eq(&messages.join("\n"));

    node_agent.host_network = None;
    let real = Cluster { workloads: vec![postgres, node_agent], ..real };
    let failures =
        npg_compiler::reach::evaluate_assertions(&model, &assertions, &cluster_with_workloads(&model, &real));
    let messages: Vec<String> = failures.iter().map(|d| format!("{} | {}", d.message, d.primary.message)).collect();
    expect!["assertion does not hold: 10.0.0.0-10.0.0.255[External] can reach `db` too, not only `backend` | 10.0.0.0-10.0.0.255[External] → data/postgres[StatefulSet]: ingress allowed by data/from-nodes ingress rule 0 (k8s/data-policies.yaml)"]
        .assert_eq(&messages.join("\n"));
}

#[test]
fn a_network_rule_inside_a_wider_network_rule_is_implied() {
    check(
        "namespace shop {\n  group web = app=web\n}\nnetwork office = 192.0.2.0/24\nnetwork world may reach web:443\nnetwork office may reach web:{443}\n",
        expect![[r#"
            main.npg:6:26 Warning[NPG0505] this rule adds nothing: main.npg:5 already allows every connection it allows
                at `web:{443}`: already allowed
                also main.npg:95: this rule allows it
                help: remove this target from the rule
        "#]],
    );
}

#[test]
fn a_rule_to_cluster_does_not_imply_a_rule_whose_ingress_half_it_cannot_write() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\ngroup web may reach kube-dns, cluster:9100\ngroup web may reach api:9100\n",
        expect![[r#"
            main.npg:5:31 Warning[NPG0507] npg writes only the egress half of a rule to `cluster`
                at `cluster:9100`
                help: pods in isolated namespaces still need a rule that lets this traffic in
        "#]],
    );
}

#[test]
fn a_rule_to_every_port_implies_rules_to_some() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\ngroup web may reach kube-dns, api\ngroup web may reach api:http-alt\n",
        expect![[r#"
            main.npg:6:21 Warning[NPG0505] this rule adds nothing: main.npg:5 already allows every connection it allows
                at `api:http-alt`: already allowed
                also main.npg:93: this rule allows it
                help: remove this target from the rule
        "#]],
    );
}

#[test]
fn a_failed_can_reach_from_many_pods_tells_one_and_counts_the_rest() {
    check(
        &format!(
            "{SHOP}group agent in any = app=agent\ngroup agent may reach kube-dns\nassert agent can reach backend:8080\n"
        ),
        expect![[r#"
            main.npg:18:1 Error[NPG0401] assertion does not hold: `agent` cannot reach `backend` on TCP 8080
                at `assert agent can reach backend:8080`: egress of data/agent[Group] is isolated (by data/npg-default-deny, main.npg:6) and no rule allows TCP 8080 to shop/backend[Group]; ingress of shop/backend[Group] is isolated (by shop/npg-default-deny, main.npg:2) and no rule allows TCP 8080 from data/agent[Group] (2 more not shown)
                help: to allow it, add `group agent may reach backend:8080`
        "#]],
    );
}
