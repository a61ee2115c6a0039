//! Lowering, specified by the YAML it produces for hand-built models. Each
//! snapshot under `snapshots/` is meant to be read: it must be valid Kubernetes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use k8s_openapi::api::networking::v1::NetworkPolicy;

use super::test_model::ModelBuilder;
use super::{KubeObject, kubernetes_objects};
use crate::emit;
use crate::model::{Endpoint, Model, Placement, PortSet, Rule, SourceLine, Subject};

fn yaml(model: &Model) -> String {
    emit::stream(&emit::manifests(&kubernetes_objects(model)))
}

fn policy<'o>(objects: &'o [KubeObject], namespace: &str, name: &str) -> &'o NetworkPolicy {
    objects
        .iter()
        .find_map(|object| match object {
            KubeObject::NetworkPolicy(policy) if object.namespace() == namespace && object.name() == name => {
                Some(policy)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no policy {namespace}/{name}"))
}

fn names(objects: &[KubeObject]) -> Vec<String> {
    let mut names: Vec<String> =
        objects.iter().map(|object| format!("{}/{}/{}", object.namespace(), object.kind(), object.name())).collect();
    names.sort();
    names
}

#[test]
fn an_empty_model_writes_nothing() {
    assert!(kubernetes_objects(&Model::default()).is_empty());
}

#[test]
fn default_deny_isolates_both_directions_by_default() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn default_deny_names_only_the_isolated_direction() {
    let mut model = ModelBuilder::new();
    model.namespace("ingress-only").isolate_egress = false;
    model.namespace("egress-only").isolate_ingress = false;
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_namespace_isolating_nothing_has_no_default_deny() {
    let mut model = ModelBuilder::new();
    let open = model.namespace("open");
    open.isolate_ingress = false;
    open.isolate_egress = false;
    open.allow_internal = true;
    assert!(kubernetes_objects(&model.build()).is_empty());
}

#[test]
fn allow_internal_lets_every_pod_of_the_namespace_reach_every_other() {
    let mut model = ModelBuilder::new();
    model.namespace("shop").allow_internal = true;
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn allow_internal_covers_only_isolated_directions_so_it_never_closes_an_open_one() {
    let mut model = ModelBuilder::new();
    let shop = model.namespace("shop");
    shop.allow_internal = true;
    shop.isolate_egress = false;
    let objects = kubernetes_objects(&model.build());
    let spec = policy(&objects, "shop", "npg-allow-internal").spec.clone().unwrap();
    assert_eq!(spec.policy_types, Some(vec!["Ingress".to_owned()]));
    assert!(spec.ingress.is_some());
    assert_eq!(spec.egress, None);
}

#[test]
fn a_rule_inside_one_namespace_writes_egress_on_the_source_and_ingress_on_the_target() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let frontend = model.group_in("shop", "frontend", "app=web, tier=frontend");
    let backend = model.group_in("shop", "backend", "app=api");
    model.rule(Endpoint::Group(frontend), Endpoint::Group(backend), "8080");
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_peer_in_another_namespace_is_one_peer_with_both_selectors() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    model.namespace("data");
    let backend = model.group_in("shop", "backend", "app=api");
    let db = model.group_in("data", "db", "role=db, tier!=cache");
    model.rule(Endpoint::Group(backend), Endpoint::Group(db), "5432");
    let objects = kubernetes_objects(&model.build());

    let egress = policy(&objects, "shop", "npg-backend").spec.clone().unwrap().egress.unwrap();
    assert_eq!(egress.len(), 1);
    let peers = egress[0].to.clone().unwrap();
    assert_eq!(peers.len(), 1, "namespace and pod selectors AND in one peer");
    assert!(peers[0].namespace_selector.is_some() && peers[0].pod_selector.is_some());

    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_group_in_matching_namespaces_has_a_policy_in_each_managed_one_that_matches() {
    let mut model = ModelBuilder::new();
    model.namespace("prod-a").labels.insert("env".into(), "prod".into());
    model.namespace("prod-b").labels.insert("env".into(), "prod".into());
    model.namespace("staging").labels.insert("env".into(), "staging".into());
    model.namespace("monitoring");
    let apps = model.group("apps", Placement::Namespaces(super::test_model::selector_of("env=prod")), "metrics");
    let prometheus = model.group_in("monitoring", "prometheus", "app=prometheus");
    model.rule(Endpoint::Group(prometheus), Endpoint::Group(apps), "metrics");
    let objects = kubernetes_objects(&model.build());
    assert_eq!(
        names(&objects),
        [
            "monitoring/NetworkPolicy/npg-default-deny",
            "monitoring/NetworkPolicy/npg-prometheus",
            "prod-a/NetworkPolicy/npg-apps",
            "prod-a/NetworkPolicy/npg-default-deny",
            "prod-b/NetworkPolicy/npg-apps",
            "prod-b/NetworkPolicy/npg-default-deny",
            "staging/NetworkPolicy/npg-default-deny",
        ]
    );
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_group_in_any_namespace_lives_in_every_managed_namespace() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    model.namespace("data");
    let shippers = model.group("shippers", Placement::Any, "app=log-shipper");
    let collector = model.group_in("data", "collector", "app=collector");
    model.rule(Endpoint::Group(shippers), Endpoint::Group(collector), "4317");
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn the_cluster_as_target_has_only_the_egress_half_and_as_source_only_the_ingress_half() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let cluster = model.cluster();
    let web = model.group_in("shop", "web", "app=web");
    let api = model.group_in("shop", "api", "app=api");
    model.rule(Endpoint::Group(web), Endpoint::Group(cluster), "");
    model.rule(Endpoint::Group(cluster), Endpoint::Group(api), "443");
    let objects = kubernetes_objects(&model.build());
    assert!(!names(&objects).iter().any(|name| name.ends_with("npg-cluster")));
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn dns_in_an_unmanaged_kube_system_gets_only_the_egress_half() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let dns = model.kube_dns();
    let web = model.group_in("shop", "web", "app=web");
    model.rule(Endpoint::Group(web), Endpoint::Group(dns), "53/udp, 53/tcp");
    let objects = kubernetes_objects(&model.build());
    assert_eq!(names(&objects), ["shop/NetworkPolicy/npg-default-deny", "shop/NetworkPolicy/npg-web"]);
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_target_in_an_unmanaged_namespace_skips_its_ingress_half() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let web = model.group_in("shop", "web", "app=web");
    let payments = model.group_in("payments", "gateway", "app=gateway");
    model.rule(Endpoint::Group(web), Endpoint::Group(payments), "443");
    model.rule(Endpoint::Group(payments), Endpoint::Group(web), "8080");
    let objects = kubernetes_objects(&model.build());
    assert!(objects.iter().all(|object| object.namespace() == "shop"));
    let spec = policy(&objects, "shop", "npg-web").spec.clone().unwrap();
    assert_eq!(spec.policy_types, Some(vec!["Ingress".to_owned(), "Egress".to_owned()]));
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_half_in_a_direction_the_namespace_does_not_isolate_is_not_written() {
    let mut model = ModelBuilder::new();
    model.namespace("shop").isolate_egress = false;
    let web = model.group_in("shop", "web", "app=web");
    let api = model.group_in("shop", "api", "app=api");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "8080");
    let objects = kubernetes_objects(&model.build());
    assert_eq!(
        names(&objects),
        ["shop/NetworkPolicy/npg-api", "shop/NetworkPolicy/npg-default-deny"],
        "an egress half would isolate web's egress, which `isolate ingress` leaves open"
    );
    let spec = policy(&objects, "shop", "npg-api").spec.clone().unwrap();
    assert_eq!(spec.policy_types, Some(vec!["Ingress".to_owned()]));
}

#[test]
fn networks_become_one_ip_block_peer_per_block_with_sorted_exceptions() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let internet = model
        .network("internet", &["0.0.0.0/0 except 192.168.0.0/16 10.0.0.0/8 172.16.0.0/12", "::/0 except fd00::/8"]);
    let partner = model.network("partner", &["2001:db8::/32 except 2001:db8:1::/48", "203.0.113.0/24"]);
    let web = model.group_in("shop", "web", "app=web");
    model.rule(Endpoint::Group(web), Endpoint::Network(internet), "443");
    model.rule(Endpoint::Network(partner), Endpoint::Group(web), "443");
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn rules_to_one_peer_merge_their_ports_into_one_entry() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let web = model.group_in("shop", "web", "app=web");
    let api = model.group_in("shop", "api", "app=api");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "80");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "81-90");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "http, 9000/udp");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "http, 8443");
    let objects = kubernetes_objects(&model.build());
    let egress = policy(&objects, "shop", "npg-web").spec.clone().unwrap().egress.unwrap();
    assert_eq!(egress.len(), 1);
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_rule_for_every_port_absorbs_the_port_lists_of_its_peer() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let web = model.group_in("shop", "web", "app=web");
    let api = model.group_in("shop", "api", "app=api");
    let db = model.group_in("shop", "db", "app=db");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "80");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "");
    model.rule(Endpoint::Group(web), Endpoint::Group(db), "5432");
    let objects = kubernetes_objects(&model.build());
    let egress = policy(&objects, "shop", "npg-web").spec.clone().unwrap().egress.unwrap();
    assert_eq!(egress.len(), 2);
    let to_api = egress
        .iter()
        .find(|rule| {
            rule.to.as_ref().unwrap()[0].pod_selector.as_ref().unwrap().match_labels.as_ref().unwrap()["app"] == "api"
        })
        .unwrap();
    assert_eq!(to_api.ports, None, "no ports means every port");
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_rule_allowing_no_port_is_not_written_as_every_port() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let web = model.group_in("shop", "web", "app=web");
    let api = model.group_in("shop", "api", "app=api");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "80");
    let mut malformed = model.build();
    malformed.rules[0].ports = PortSet::Only(Vec::new());
    assert_eq!(names(&kubernetes_objects(&malformed)), ["shop/NetworkPolicy/npg-default-deny"]);
}

#[test]
fn a_group_reaching_itself_has_both_halves_on_one_policy() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let cache = model.group_in("shop", "cache", "app=redis");
    model.rule(Endpoint::Group(cache), Endpoint::Group(cache), "6379");
    let objects = kubernetes_objects(&model.build());
    let spec = policy(&objects, "shop", "npg-cache").spec.clone().unwrap();
    assert_eq!(spec.policy_types, Some(vec!["Ingress".to_owned(), "Egress".to_owned()]));
    assert_eq!(spec.ingress.unwrap().len(), 1);
    assert_eq!(spec.egress.unwrap().len(), 1);
}

#[test]
fn selectors_use_match_labels_for_equality_and_expressions_for_the_rest() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let web = model.group_in(
        "shop",
        "web",
        "app=web, tier!=cache, zone in (c, a, b), env notin (dev, test), canary, !legacy",
    );
    let everything = model.group_in("shop", "everything", "*");
    model.rule(Endpoint::Group(web), Endpoint::Group(everything), "");
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn two_equalities_on_one_key_keep_both_requirements() {
    let mut model = ModelBuilder::new();
    model.namespace("shop");
    let odd = model.group_in("shop", "odd", "app=a, app=b");
    let web = model.group_in("shop", "web", "app=web");
    model.rule(Endpoint::Group(web), Endpoint::Group(odd), "");
    let objects = kubernetes_objects(&model.build());
    let selector = policy(&objects, "shop", "npg-odd").spec.clone().unwrap().pod_selector.unwrap();
    assert_eq!(selector.match_labels.unwrap().len(), 1);
    assert_eq!(selector.match_expressions.unwrap().len(), 1);
}

#[test]
fn teams_may_edit_exactly_the_policies_they_own() {
    let mut model = ModelBuilder::new();
    let web = model.web_team();
    let dba = model.team("dba", vec![Subject::Group("oidc:dba".into())]);
    let shop = model.namespace("shop");
    shop.owner = Some(web);
    shop.allow_internal = true;
    model.namespace("data");
    let frontend = model.group_in("shop", "frontend", "app=web");
    let backend = model.group_in("shop", "backend", "app=api");
    let db = model.group_in("data", "db", "app=db");
    model.group_mut(db).owner = Some(dba);
    let reports = model.group_in("shop", "reports", "app=reports");
    model.group_mut(reports).owner = Some(dba);
    model.rule(Endpoint::Group(frontend), Endpoint::Group(backend), "8080");
    model.rule(Endpoint::Group(backend), Endpoint::Group(db), "5432");
    model.rule(Endpoint::Group(reports), Endpoint::Group(db), "5432");
    let objects = kubernetes_objects(&model.build());
    assert_eq!(
        names(&objects),
        [
            "data/NetworkPolicy/npg-db",
            "data/NetworkPolicy/npg-default-deny",
            "data/Role/npg-team-dba",
            "data/RoleBinding/npg-team-dba",
            "shop/NetworkPolicy/npg-allow-internal",
            "shop/NetworkPolicy/npg-backend",
            "shop/NetworkPolicy/npg-default-deny",
            "shop/NetworkPolicy/npg-frontend",
            "shop/NetworkPolicy/npg-reports",
            "shop/Role/npg-team-dba",
            "shop/Role/npg-team-web",
            "shop/RoleBinding/npg-team-dba",
            "shop/RoleBinding/npg-team-web",
        ],
        "data/npg-default-deny has no owner, so no team may edit it"
    );
    insta::assert_snapshot!(yaml(&model.build()));
}

#[test]
fn a_group_policy_names_its_group_declaration_and_every_rule_behind_it() {
    let mut model = ModelBuilder::new();
    model.in_file("shop.npg");
    model.namespace("shop");
    let web = model.group_in("shop", "web", "app=web");
    let api = model.group_in("shop", "api", "app=api");
    let db = model.group_in("shop", "db", "app=db");
    model.in_file("rules/web.npg");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "8080");
    model.in_file("rules/api.npg");
    model.rule(Endpoint::Group(api), Endpoint::Group(db), "5432");
    let mut built = model.build();
    for line in [10, 9] {
        built.rules.push(Rule { origin: SourceLine { file: "rules/web.npg".into(), line }, ..built.rules[0].clone() });
    }

    let objects = kubernetes_objects(&built);
    let metadata = &policy(&objects, "shop", "npg-api").metadata;
    let labels = metadata.labels.clone().unwrap();
    assert_eq!(labels["app.kubernetes.io/managed-by"], "npg");
    assert_eq!(labels["npg.dev/group"], "api");
    let annotations = metadata.annotations.clone().unwrap();
    assert_eq!(annotations["npg.dev/source"], "shop.npg:3");
    assert_eq!(
        annotations["npg.dev/rules"], "rules/api.npg:1, rules/web.npg:1, rules/web.npg:9, rules/web.npg:10",
        "origins sort by file, then line as a number"
    );

    let deny = &policy(&objects, "shop", "npg-default-deny").metadata;
    assert_eq!(deny.labels.clone().unwrap()["npg.dev/namespace"], "shop");
    assert_eq!(deny.annotations.clone().unwrap()["npg.dev/source"], "shop.npg:1");
    assert!(!deny.annotations.clone().unwrap().contains_key("npg.dev/rules"));
}

#[test]
fn the_example_program_of_the_language_design() {
    let mut model = ModelBuilder::new();
    model.in_file("shop.npg");
    let web_team = model.web_team();
    model.namespace("shop").owner = Some(web_team);
    let frontend = model.group_in("shop", "frontend", "app=web, tier=frontend");
    let backend = model.group_in("shop", "backend", "app=api");
    model.namespace("data").labels.insert("env".into(), "prod".into());
    let db = model.group_in("data", "db", "role=db, tier!=cache");
    let internet = model.network("internet", &["0.0.0.0/0 except 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"]);
    let dns = model.kube_dns();
    model.rule(Endpoint::Group(frontend), Endpoint::Group(backend), "8080");
    model.rule(Endpoint::Group(backend), Endpoint::Group(db), "5432");
    model.rule(Endpoint::Group(backend), Endpoint::Group(dns), "53/udp, 53/tcp");
    model.rule(Endpoint::Group(backend), Endpoint::Network(internet), "443");
    model.rule(Endpoint::Network(internet), Endpoint::Group(frontend), "443");
    insta::assert_snapshot!(yaml(&model.build()));
}

mod determinism {
    use proptest::prelude::*;

    use super::*;

    fn busy_model() -> Model {
        let mut model = ModelBuilder::new();
        let team = model.team("web", vec![Subject::User("alice".into())]);
        model.namespace("shop").owner = Some(team);
        model.namespace("data").labels.insert("env".into(), "prod".into());
        let web = model.group_in("shop", "web", "app=web");
        let api = model.group_in("shop", "api", "app=api");
        let db = model.group_in("data", "db", "app=db");
        let shippers = model.group("shippers", Placement::Any, "app=node-exporter");
        let dns = model.kube_dns();
        let world = model.network("world", &["0.0.0.0/0 except 10.0.0.0/8", "::/0"]);
        model
            .rule(Endpoint::Group(web), Endpoint::Group(api), "80")
            .rule(Endpoint::Group(web), Endpoint::Group(api), "81-90, http")
            .rule(Endpoint::Group(web), Endpoint::Group(api), "8443")
            .rule(Endpoint::Group(api), Endpoint::Group(db), "5432")
            .rule(Endpoint::Group(api), Endpoint::Group(db), "")
            .rule(Endpoint::Group(api), Endpoint::Group(dns), "53/udp, 53/tcp")
            .rule(Endpoint::Group(web), Endpoint::Group(dns), "53/udp")
            .rule(Endpoint::Group(shippers), Endpoint::Group(api), "9100")
            .rule(Endpoint::Group(shippers), Endpoint::Group(db), "9100")
            .rule(Endpoint::Network(world), Endpoint::Group(web), "443")
            .rule(Endpoint::Group(api), Endpoint::Network(world), "443, 80");
        model.build()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_order_of_rules_and_namespaces_does_not_change_a_byte(
            rules in Just(busy_model().rules).prop_shuffle(),
            namespaces in Just(busy_model().namespaces).prop_shuffle(),
        ) {
            let expected = yaml(&busy_model());
            let shuffled = Model { rules, namespaces, ..busy_model() };
            prop_assert_eq!(yaml(&shuffled), expected);
        }
    }
}

#[test]
fn policies_with_origins_are_the_written_policies_and_name_the_rules_behind_each_entry() {
    let mut model = ModelBuilder::new();
    model.namespace("shop").allow_internal = true;
    model.namespace("data");
    let web = model.group_in("shop", "web", "app=web");
    let api = model.group_in("shop", "api", "app=api");
    let db = model.group_in("data", "db", "app=db");
    let internet = model.network("internet", &["0.0.0.0/0"]);
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "8080");
    model.rule(Endpoint::Group(api), Endpoint::Group(db), "5432");
    model.rule(Endpoint::Group(web), Endpoint::Group(api), "9090");
    model.rule(Endpoint::Network(internet), Endpoint::Group(web), "443");
    let built = model.build();

    let written: Vec<NetworkPolicy> = kubernetes_objects(&built)
        .into_iter()
        .filter_map(|object| match object {
            KubeObject::NetworkPolicy(policy) => Some(policy),
            _ => None,
        })
        .collect();
    let with_origins = super::network_policies_with_origins(&built);
    let policies: Vec<NetworkPolicy> = with_origins.iter().map(|(policy, _)| policy.clone()).collect();
    assert_eq!(policies, written);

    let lines = |entries: &[Vec<SourceLine>]| -> Vec<Vec<u32>> {
        entries.iter().map(|lines| lines.iter().map(|line| line.line).collect()).collect()
    };
    let summary: Vec<String> = with_origins
        .iter()
        .map(|(policy, origins)| {
            format!(
                "{}/{} ingress {:?} egress {:?}",
                policy.metadata.namespace.as_deref().unwrap_or_default(),
                policy.metadata.name.as_deref().unwrap_or_default(),
                lines(&origins.ingress),
                lines(&origins.egress)
            )
        })
        .collect();
    expect_test::expect![[r#"
        shop/npg-default-deny ingress [] egress []
        shop/npg-allow-internal ingress [[1]] egress [[1]]
        data/npg-default-deny ingress [] egress []
        shop/npg-web ingress [[10]] egress [[7, 9]]
        shop/npg-api ingress [[7, 9]] egress [[8]]
        data/npg-db ingress [[8]] egress []"#]]
    .assert_eq(&summary.join("\n"));
}
