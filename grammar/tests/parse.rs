//! The syntax tree of every form of the language, as outlines without spans.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use expect_test::{Expect, expect};

fn check(text: &str, expected: Expect) {
    let parsed = npg_grammar::parse(text);
    let mut out = npg_grammar::outline(&parsed.tree);
    for error in &parsed.errors {
        out.push_str(&format!("! {:?} {:?}: {}\n", error.kind, error.span.range(), error.message));
    }
    expected.assert_eq(&out);
}

#[test]
fn the_example_from_the_language_design() {
    check(
        r#"# shop.npg
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

group frontend may reach backend:http
group backend may reach db:5432, kube-dns
group backend may reach internet:443
network internet may reach frontend:443

assert frontend cannot reach db
assert only backend can reach db
"#,
        expect![[r#"
            team web
              group "oidc:web-devs"
              user "alice@example.com"
              serviceaccount ci / deployer
            namespace shop
              owner web
              group frontend = (app=web, tier=frontend)
              group backend = (app=api)
            namespace data
              labels [env: prod]
              group db = (role=db, tier!=cache)
            port http = 8080
            network internet = 0.0.0.0/0 except [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
            rule group frontend may reach [backend:http]
            rule group backend may reach [db:5432, kube-dns]
            rule group backend may reach [internet:443]
            rule network internet may reach [frontend:443]
            assert frontend cannot reach db
            assert only [backend] can reach db
        "#]],
    );
}

#[test]
fn namespace_members() {
    check(
        "namespace shop {\n  labels { env: prod, app.kubernetes.io/part-of: shop }\n  owner web\n  isolate ingress\n  isolate egress\n  allow internal\n  group web = app=web\n  group api { match app=api; owner backend }\n}\n",
        expect![[r#"
            namespace shop
              labels [env: prod, app.kubernetes.io/part-of: shop]
              owner web
              isolate ingress
              isolate egress
              allow internal
              group web = (app=web)
              group api block
                match (app=api)
                owner backend
        "#]],
    );
}

#[test]
fn block_members_may_be_separated_by_semicolons_on_one_line() {
    check(
        "namespace a { owner t; allow internal; isolate egress }\nteam t { user \"u\"; group \"g\" }\n",
        expect![[r#"
        namespace a
          owner t
          allow internal
          isolate egress
        team t
          user "u"
          group "g"
    "#]],
    );
}

#[test]
fn empty_blocks() {
    check(
        "namespace a {}\nteam t {\n}\nnamespace b { labels {} }\ngroup g {}\n",
        expect![[r#"
        namespace a
        team t
        namespace b
          labels []
        group g block
    "#]],
    );
}

#[test]
fn group_placements() {
    check(
        "group a in shop = app=a\ngroup b in namespaces(env=prod, team in (x, y)) = app=b\ngroup c in any = *\ngroup d in shop { match app=d }\ngroup e in namespaces(*) {\n  match app=e\n  owner t\n}\n",
        expect![[r#"
            group a in shop = (app=a)
            group b in namespaces(env=prod, team in [x, y]) = (app=b)
            group c in any = (*)
            group d in shop block
              match (app=d)
            group e in namespaces(*) block
              match (app=e)
              owner t
        "#]],
    );
}

#[test]
fn selector_terms() {
    check(
        "group a = k=v, k!=v, k in (a, b), k notin (c), k, !k, *, example.com/key=v1.2_x, !example.com/gone, n=8080\n",
        expect![[r#"
            group a = (k=v, k!=v, k in [a, b], k notin [c], k, !k, *, example.com/key=v1.2_x, !example.com/gone, n=8080)
        "#]],
    );
}

#[test]
fn teams() {
    check(
        "team web {\n  group \"oidc:web-devs\"\n  user \"alice \\\"the admin\\\" \\\\ x\"\n  serviceaccount ci/deployer\n}\n",
        expect![[r#"
            team web
              group "oidc:web-devs"
              user "alice \"the admin\" \\ x"
              serviceaccount ci / deployer
        "#]],
    );
}

#[test]
fn ports() {
    check(
        "port http = 8080\nport dns = 53/udp\nport range = 8000-8100/tcp\nport web = { 80, 443 }\nport mixed = {80, 443/udp, http,}\nport named = http\n",
        expect![[r#"
            port http = 8080
            port dns = 53 / udp
            port range = 8000-8100 / tcp
            port web = {80, 443}
            port mixed = {80, 443 / udp, http}
            port named = http
        "#]],
    );
}

#[test]
fn networks_v4_and_v6() {
    check(
        "network internet = 0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12\nnetwork v6 = 2001:db8::/32 except 2001:db8::1/128, ::ffff:10.0.0.1/128\nnetwork all6 = ::/0\nnetwork host = 10.1.2.3\n",
        expect![[r#"
            network internet = 0.0.0.0/0 except [10.0.0.0/8, 172.16.0.0/12]
            network v6 = 2001:db8::/32 except [2001:db8::1/128, ::ffff:10.0.0.1/128]
            network all6 = ::/0
            network host = 10.1.2.3
        "#]],
    );
}

#[test]
fn rules_with_every_port_form() {
    check(
        "group a may reach b:8080, c:8080/udp, d:8000-8100, e:http, f:{80, 443/udp, http}, shop/g, shop/h:53\nnetwork internet may reach shop/frontend:443\n",
        expect![[r#"
            rule group a may reach [b:8080, c:8080 / udp, d:8000-8100, e:http, f:{80, 443 / udp, http}, shop / g, shop / h:53]
            rule network internet may reach [shop / frontend:443]
        "#]],
    );
}

#[test]
fn assertions() {
    check(
        "assert a can reach b\nassert a cannot reach shop/b:5432\nassert only a, shop/b, net can reach c:{80, 443}\n",
        expect![[r#"
            assert a can reach b
            assert a cannot reach shop / b:5432
            assert only [a, shop / b, net] can reach c:{80, 443}
        "#]],
    );
}

#[test]
fn lists_continue_on_the_next_line_after_a_comma() {
    check(
        "group a may reach b,\n  c,\n\n  d\ngroup g = app=g,\n  tier=x\nnamespace n {\n  labels {\n    env: prod,\n    tier: web,\n  }\n}\nport p = {\n  80,\n  443\n}\nassert only a,\n  b can reach c\nnetwork x = 10.0.0.0/8 except 10.1.0.0/16,\n  10.2.0.0/16\n",
        expect![[r#"
            rule group a may reach [b, c, d]
            group g = (app=g, tier=x)
            namespace n
              labels [env: prod, tier: web]
            port p = {80, 443}
            assert only [a, b] can reach c
            network x = 10.0.0.0/8 except [10.1.0.0/16, 10.2.0.0/16]
        "#]],
    );
}

#[test]
fn keywords_serve_as_label_keys_and_values() {
    check(
        "group a = app=ingress, tier in (internal, any), egress!=network, namespace notin (in, notin), owner\nnamespace n { labels { team: network, port: any } }\n",
        expect![[r#"
            group a = (app=ingress, tier in [internal, any], egress!=network, namespace notin [in, notin], owner)
            namespace n
              labels [team: network, port: any]
        "#]],
    );
}

#[test]
fn keywords_serve_as_names_where_unambiguous() {
    check(
        "namespace ingress {\n  group egress = app=egress\n  owner network\n}\ngroup ingress may reach egress:port, network/any\nport internal = 80\nteam owner { serviceaccount in/may }\ngroup in in namespaces = x\ngroup any in match = x\nassert only only, any can reach can\nassert ingress cannot reach match\nnetwork group = 10.0.0.0/8\n",
        expect![[r#"
            namespace ingress
              group egress = (app=egress)
              owner network
            rule group ingress may reach [egress:port, network / any]
            port internal = 80
            team owner
              serviceaccount in / may
            group in in namespaces = (x)
            group any in match = (x)
            assert only [only, any] can reach can
            assert ingress cannot reach match
            network group = 10.0.0.0/8
        "#]],
    );
}

#[test]
fn blank_lines_and_comments_between_statements() {
    check(
        "\n\n# leading\n\ngroup a = x # trailing\n\n\n# between\n\n\ngroup b = y\n# last\n",
        expect![[r#"
            group a = (x)
            group b = (y)
        "#]],
    );
}

#[test]
fn a_file_may_end_without_a_line_end() {
    check(
        "group a may reach b",
        expect![[r#"
        rule group a may reach [b]
    "#]],
    );
}

#[test]
fn windows_line_ends() {
    check(
        "namespace a {\r\n  owner t\r\n}\r\ngroup b = x\r\n",
        expect![[r#"
        namespace a
          owner t
        group b = (x)
    "#]],
    );
}
