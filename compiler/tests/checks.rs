//! The checks of language.md, one behaviour per test: each program below is
//! checked and its diagnostics listed compactly (file:line:column, code, message,
//! label, help, fix).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use expect_test::{Expect, expect};

fn check(fixture: &str, expected: Expect) {
    expected.assert_eq(&support::diagnostics(fixture));
}

#[test]
fn a_clean_program_has_no_diagnostics() {
    check(
        r#"
team web {
  group "oidc:web-devs"
  user "alice@example.com"
  serviceaccount ci/deployer
}
namespace shop {
  owner web
  group frontend = app=web, tier=frontend
  group backend  = app=api
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
assert frontend cannot reach db
assert only backend can reach db
"#,
        expect![[r#""#]],
    );
}

#[test]
fn unknown_names_suggest_the_closest_declared_one() {
    check(
        "namespace shop {\n  group frontend = app=web\n  group backend = app=api\n}\ngroup fronend may reach backend\n",
        expect![[r#""#]],
    );
}

#[test]
fn a_name_of_the_wrong_kind_is_a_type_error() {
    check("namespace shop {\n  group web = app=web\n}\nport http = 8080\ngroup web may reach http\n", expect![[r#""#]]);
}

#[test]
fn a_group_in_two_namespaces_must_be_qualified() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\nnamespace blog {\n  group web = app=web\n}\ngroup api may reach web\ngroup api may reach blog/web, shop/web, shop/wbe\n",
        expect![[r#""#]],
    );
}

#[test]
fn duplicate_declarations_point_at_the_first_one() {
    check(
        "//- a.npg\nport http = 8080\nport http = 8081\nnamespace shop {\n  group web = app=web\n}\ngroup web may reach web:http\n//- b.npg\nnamespace shop {\n}\nnetwork world = 0.0.0.0/0\n",
        expect![[r#""#]],
    );
}

#[test]
fn label_keys_and_values_follow_kubernetes_rules() {
    check(
        "namespace shop {\n  labels { env: prod, Bad_Key: x, team: -bad }\n  group web = app.kubernetes.io/name=web, app=web, app=api\n}\ngroup web may reach web\n",
        expect![[r#""#]],
    );
}

#[test]
fn ports_ranges_and_protocols_are_validated() {
    check(
        "namespace shop {\n  group web = app=web\n}\nport p1 = 0\nport p2 = 8100-8000\nport p3 = 53/icmp\nport p4 = this-name-is-far-too-long\nport p5 = 70000\ngroup web may reach web:{p1, p2, p3, p4, p5}\n",
        expect![[r#""#]],
    );
}

#[test]
fn cidrs_and_their_exceptions_are_validated() {
    check(
        "namespace shop {\n  group web = app=web\n}\nnetwork a = 10.0.0.1/8\nnetwork b = 10.0.0.0/8 except 192.168.0.0/16\nnetwork c = 10.0.0.0/8 except fd00::/8\nnetwork d = 300.0.0.0/8\ngroup web may reach a, b, c, d\n",
        expect![[r#""#]],
    );
}

#[test]
fn warnings_name_unused_declarations_and_missing_dns() {
    check(
        "team nobody {\n  user \"x@example.com\"\n}\nnamespace shop {\n  group web = app=web\n  group api = app=api\n  group idle = app=idle\n  group everything = *\n}\nport unused = 9999\ngroup web may reach api:8080\ngroup everything may reach kube-dns\n",
        expect![[r#""#]],
    );
}

#[test]
fn egress_to_an_unmanaged_namespace_warns_that_its_ingress_half_is_not_written() {
    check(
        "namespace shop {\n  group web = app=web\n}\ngroup prometheus in monitoring = app=prometheus\ngroup web may reach prometheus:9090, kube-dns\n",
        expect![[r#""#]],
    );
}

#[test]
fn groups_must_say_where_they_live_and_only_once() {
    check(
        "group orphan = app=x\nnamespace shop {\n  group twice in data = app=y\n  group default-deny = app=z\n  group blocky {\n    owner nobody\n  }\n}\n",
        expect![[r#""#]],
    );
}

#[test]
fn ports_defined_through_each_other_must_not_loop() {
    check(
        "namespace shop {\n  group web = app=web\n}\nport a = { b, 80 }\nport b = { a }\ngroup web may reach web:a, kube-dns\n",
        expect![[r#""#]],
    );
}

#[test]
fn named_ports_cannot_be_used_with_networks() {
    check("namespace shop {\n  group web = app=web\n}\ngroup web may reach world:https, kube-dns\n", expect![[r#""#]]);
}

#[test]
fn contradictory_selectors_can_never_match() {
    check(
        "namespace shop {\n  group a = app=web, !app\n  group b = tier in (x, y), tier notin (x, y)\n  group c = *, app=web\n}\ngroup a may reach b, c\n",
        expect![[r#""#]],
    );
}
