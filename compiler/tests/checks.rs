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
        expect![[r#"
            main.npg:2:9 Warning[NPG0501] group `shop/frontend` is in no rule or assertion
                at `frontend`: declared here, used nowhere
                help: remove it, or use it
            main.npg:5:7 Error[NPG0201] unknown group `fronend`
                at `fronend`: not declared anywhere in the program
                help: did you mean `frontend`?
                fix: `frontend`
        "#]],
    );
}

#[test]
fn a_name_of_the_wrong_kind_is_a_type_error() {
    check(
        "namespace shop {\n  group web = app=web\n}\nport http = 8080\ngroup web may reach http\n",
        expect![[r#"
            main.npg:4:6 Warning[NPG0501] port `http` is never used
                at `http`: declared here, used nowhere
                help: remove it, or use it
            main.npg:5:21 Error[NPG0203] `http` is a port, not a group or a network
                at `http`: expected a group or a network
        "#]],
    );
}

#[test]
fn a_group_in_two_namespaces_must_be_qualified() {
    check(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\nnamespace blog {\n  group web = app=web\n}\ngroup api may reach web\ngroup api may reach blog/web, shop/web, shop/wbe\n",
        expect![[r#"
            main.npg:3:9 Warning[NPG0504] group `shop/api` cannot reach DNS: namespace `shop` isolates egress and no rule lets it reach `kube-dns`
                at `api`: names will not resolve from these pods
                help: add `group shop/api may reach kube-dns`
            main.npg:8:21 Error[NPG0204] `web` names a group in several namespaces
                at `web`: which one?
                help: write one of `blog/web`, `shop/web`
            main.npg:9:41 Error[NPG0201] no group `wbe` in namespace `shop`
                at `shop/wbe`: not declared
                help: did you mean `shop/web`?
                fix: `shop/web`
        "#]],
    );
}

#[test]
fn duplicate_declarations_point_at_the_first_one() {
    check(
        "//- a.npg\nport http = 8080\nport http = 8081\nnamespace shop {\n  group web = app=web\n}\ngroup web may reach web:http\n//- b.npg\nnamespace shop {\n}\nnetwork world = 0.0.0.0/0\n",
        expect![[r#"
            a.npg:2:6 Error[NPG0202] port `http` is declared twice
                at `http`: declared again here
                also a.npg:5: first declared here
                help: rename one of them, or merge them into one declaration
            a.npg:4:9 Warning[NPG0504] group `shop/web` cannot reach DNS: namespace `shop` isolates egress and no rule lets it reach `kube-dns`
                at `web`: names will not resolve from these pods
                help: add `group shop/web may reach kube-dns`
            b.npg:1:11 Error[NPG0202] namespace `shop` is declared twice
                at `shop`: declared again here
                help: it is first declared in `a.npg`; rename one of them
            b.npg:3:9 Error[NPG0202] `world` is built in and cannot be declared again
                at `world`: npg already defines this network
                help: choose another name
        "#]],
    );
}

#[test]
fn label_keys_and_values_follow_kubernetes_rules() {
    check(
        "namespace shop {\n  labels { env: prod, Bad_Key: x, team: -bad }\n  group web = app.kubernetes.io/name=web, app=web, app=api\n}\ngroup web may reach web\n",
        expect![[r#"
            main.npg:2:41 Error[NPG0302] label value "-bad" is invalid: it may contain only letters, digits, '-', '_' and '.', and must start and end with a letter or digit
                at `-bad`: not valid here
            main.npg:3:52 Error[NPG0303] no pod can match both of these terms on `app`
                at `app=api`
                also main.npg:106: this term
                help: remove one of the terms
        "#]],
    );
}

#[test]
fn ports_ranges_and_protocols_are_validated() {
    check(
        "namespace shop {\n  group web = app=web\n}\nport p1 = 0\nport p2 = 8100-8000\nport p3 = 53/icmp\nport p4 = this-name-is-far-too-long\nport p5 = 70000\ngroup web may reach web:{p1, p2, p3, p4, p5}\n",
        expect![[r#"
            main.npg:4:11 Error[NPG0304] port 0 is invalid: ports are 1 to 65535
                at `0`: not valid here
            main.npg:5:11 Error[NPG0305] port range "8100-8000" is invalid: its start is above its end
                at `8100-8000`: not valid here
                help: write `8000-8100`
                fix: `8000-8100`
            main.npg:6:14 Error[NPG0306] protocol "icmp" is invalid: it must be tcp, udp or sctp
                at `icmp`: not valid here
            main.npg:7:11 Error[NPG0307] port name "this-name-is-far-too-long" is invalid: it must be at most 15 characters (it has 25)
                at `this-name-is-far-too-long`: not valid here
            main.npg:8:11 Error[NPG0304] port 70000 is invalid: ports are 1 to 65535
                at `70000`: not valid here
        "#]],
    );
}

#[test]
fn cidrs_and_their_exceptions_are_validated() {
    check(
        "namespace shop {\n  group web = app=web\n}\nnetwork a = 10.0.0.1/8\nnetwork b = 10.0.0.0/8 except 192.168.0.0/16\nnetwork c = 10.0.0.0/8 except fd00::/8\nnetwork d = 300.0.0.0/8\ngroup web may reach a, b, c, d\n",
        expect![[r#"
            main.npg:4:13 Error[NPG0308] CIDR "10.0.0.1/8" is invalid: the address has bits set beyond the prefix length; the block is written 10.0.0.0/8
                at `10.0.0.1/8`: not valid here
                help: write `10.0.0.0/8`
                fix: `10.0.0.0/8`
            main.npg:5:31 Error[NPG0309] except 192.168.0.0/16 is invalid: it is not inside the block 10.0.0.0/8
                at `192.168.0.0/16`: not valid here
            main.npg:6:31 Error[NPG0310] except fd00::/8 is IPv6 but its block 10.0.0.0/8 is IPv4: an except must be of its block's IP family
                at `fd00::/8`: not valid here
            main.npg:7:13 Error[NPG0308] CIDR "300.0.0.0/8" is invalid: 300 is not a byte of an IPv4 address (0 to 255)
                at `300.0.0.0/8`: not valid here
        "#]],
    );
}

#[test]
fn warnings_name_unused_declarations_and_missing_dns() {
    check(
        "team nobody {\n  user \"x@example.com\"\n}\nnamespace shop {\n  group web = app=web\n  group api = app=api\n  group idle = app=idle\n  group everything = *\n}\nport unused = 9999\ngroup web may reach api:8080\ngroup everything may reach kube-dns\n",
        expect![[r#"
            main.npg:1:6 Warning[NPG0501] team `nobody` owns nothing
                at `nobody`: declared here, used nowhere
                help: remove it, or use it
            main.npg:5:9 Warning[NPG0504] group `shop/web` cannot reach DNS: namespace `shop` isolates egress and no rule lets it reach `kube-dns`
                at `web`: names will not resolve from these pods
                help: add `group shop/web may reach kube-dns`
            main.npg:7:9 Warning[NPG0501] group `shop/idle` is in no rule or assertion
                at `idle`: declared here, used nowhere
                help: remove it, or use it
            main.npg:8:9 Warning[NPG0502] group `everything` selects every pod in namespace `shop`
                at `everything`
                help: for traffic inside the namespace, `allow internal` says this directly; otherwise narrow the selector
            main.npg:10:6 Warning[NPG0501] port `unused` is never used
                at `unused`: declared here, used nowhere
                help: remove it, or use it
        "#]],
    );
}

#[test]
fn egress_to_an_unmanaged_namespace_warns_that_its_ingress_half_is_not_written() {
    check(
        "namespace shop {\n  group web = app=web\n}\ngroup prometheus in monitoring = app=prometheus\ngroup web may reach prometheus:9090, kube-dns\n",
        expect![[r#"
            main.npg:5:21 Warning[NPG0503] namespace `monitoring` is not managed by npg, so the ingress half of this rule cannot be written
                at `prometheus:9090`: only the egress half is written
                help: if `monitoring` isolates ingress, its own policies must allow this traffic; or declare `namespace monitoring { }` to let npg manage it
        "#]],
    );
}

#[test]
fn groups_must_say_where_they_live_and_only_once() {
    check(
        "group orphan = app=x\nnamespace shop {\n  group twice in data = app=y\n  group default-deny = app=z\n  group blocky {\n    owner nobody\n  }\n}\n",
        expect![[r#"
            main.npg:1:7 Error[NPG0208] group `orphan` does not say which namespace it is in
                at `orphan`: in which namespace?
                help: declare it inside `namespace NAME { }`, or write `group orphan in NAME = ...` (or `in any`)
            main.npg:1:7 Warning[NPG0501] group `orphan` is in no rule or assertion
                at `orphan`: declared here, used nowhere
                help: remove it, or use it
            main.npg:3:9 Warning[NPG0501] group `shop/twice` is in no rule or assertion
                at `twice`: declared here, used nowhere
                help: remove it, or use it
            main.npg:3:18 Error[NPG0206] group `twice` is inside `namespace shop` and cannot also say where it lives
                at `data`
                help: remove the `in` clause, or move the group out of the namespace block
            main.npg:4:9 Error[NPG0207] group `default-deny` would write a policy named `npg-default-deny`, which npg writes for namespaces
                at `default-deny`
                help: choose another name
            main.npg:4:9 Warning[NPG0501] group `shop/default-deny` is in no rule or assertion
                at `default-deny`: declared here, used nowhere
                help: remove it, or use it
            main.npg:5:9 Warning[NPG0501] group `shop/blocky` is in no rule or assertion
                at `blocky`: declared here, used nowhere
                help: remove it, or use it
            main.npg:5:16 Error[NPG0313] group `blocky` does not say which pods it selects
                at `{
                owner nobody
              }`
                help: add a line `match KEY=VALUE` (or `match *` for every pod)
            main.npg:6:11 Error[NPG0201] unknown team `nobody`
                at `nobody`: not declared anywhere in the program
        "#]],
    );
}

#[test]
fn ports_defined_through_each_other_must_not_loop() {
    check(
        "namespace shop {\n  group web = app=web\n}\nport a = { b, 80 }\nport b = { a }\ngroup web may reach web:a, kube-dns\n",
        expect![[r#"
            main.npg:4:6 Error[NPG0209] port `a` is defined in terms of itself: a → b → a
                at `a`
                help: give one of these ports numbers instead of names
            main.npg:5:6 Error[NPG0209] port `b` is defined in terms of itself: b → a → b
                at `b`
                help: give one of these ports numbers instead of names
        "#]],
    );
}

#[test]
fn named_ports_cannot_be_used_with_networks() {
    check(
        "namespace shop {\n  group web = app=web\n}\ngroup web may reach world:https, kube-dns\n",
        expect![[r#"
        main.npg:4:21 Error[NPG0314] port name `https` means nothing for network `world`: only pods have named ports
            at `world:https`
            help: give the port number
    "#]],
    );
}

#[test]
fn contradictory_selectors_can_never_match() {
    check(
        "namespace shop {\n  group a = app=web, !app\n  group b = tier in (x, y), tier notin (x, y)\n  group c = *, app=web\n}\ngroup a may reach b, c\n",
        expect![[r#"
            main.npg:2:22 Error[NPG0303] no pod can match both of these terms on `app`
                at `!app`
                also main.npg:29: this term
                help: remove one of the terms
            main.npg:3:29 Error[NPG0303] no pod can match both of these terms on `tier`
                at `tier notin (x, y)`
                also main.npg:55: this term
                help: remove one of the terms
            main.npg:4:13 Error[NPG0303] `*` selects every pod, so the other terms of this selector say nothing
                at `*`
                help: remove `*`, or remove the other terms
        "#]],
    );
}
