//! The assembled model: names resolved to ids, declared ports expanded, built-ins
//! present, and nothing depending on the order files come in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use npg_compiler::Database;
use npg_compiler::model::{Endpoint, Model, Placement, Port, PortSet, Protocol};

fn model(fixture: &str) -> std::sync::Arc<Model> {
    let db = Database::default();
    let (program, _) = support::program(&db, fixture);
    let diagnostics = npg_compiler::diagnostics(&db, program);
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:#?}");
    npg_compiler::db::model(&db, program)
}

fn tcp(start: u16, end: u16) -> Port {
    Port::Range { protocol: Protocol::Tcp, start, end }
}

fn group_named(model: &Model, name: &str) -> Endpoint {
    let index = model.groups.iter().position(|group| group.name == name).unwrap();
    Endpoint::Group(npg_compiler::model::GroupId(index as u32))
}

#[test]
fn a_rule_to_kube_dns_without_ports_allows_dns_over_udp_and_tcp() {
    let model = model("namespace shop {\n  group web = app=web\n}\ngroup web may reach kube-dns\n");
    let rule = &model.rules[0];
    assert_eq!(rule.target, group_named(&model, "kube-dns"));
    assert_eq!(
        rule.ports,
        PortSet::Only(vec![
            Port::Range { protocol: Protocol::Udp, start: 53, end: 53 },
            Port::Range { protocol: Protocol::Tcp, start: 53, end: 53 },
        ])
        .normalized()
    );
}

#[test]
fn declared_ports_expand_through_each_other_and_merge() {
    let model = model(
        "namespace shop {\n  group web = app=web\n}\nport http = 80\nport web-ports = { http, 81-90, 443 }\ngroup web may reach web:web-ports, kube-dns\n",
    );
    let rule = model.rules.iter().find(|rule| rule.target == group_named(&model, "web")).unwrap();
    assert_eq!(rule.ports, PortSet::Only(vec![tcp(80, 90), tcp(443, 443)]));
}

#[test]
fn a_rule_without_ports_allows_every_port_and_names_its_line() {
    let model = model(
        "namespace shop {\n  group web = app=web\n  group api = app=api\n}\n\ngroup web may reach api, kube-dns\n",
    );
    let rule = model.rules.iter().find(|rule| rule.target == group_named(&model, "api")).unwrap();
    assert_eq!(rule.ports, PortSet::All);
    assert_eq!(rule.source, group_named(&model, "web"));
    assert_eq!(rule.origin.to_string(), "main.npg:6");
}

#[test]
fn groups_know_their_namespaces_and_owners() {
    let model = model(
        "team ops {\n  user \"ops@example.com\"\n}\nteam web {\n  user \"web@example.com\"\n}\nnamespace shop {\n  owner web\n  group api { match app=api; owner ops }\n}\ngroup agent in any = app=agent\ngroup scraper in namespaces(monitoring=on) = app=scraper\ngroup agent may reach api\ngroup scraper may reach api\n",
    );
    let api = model.groups.iter().find(|group| group.name == "api").unwrap();
    assert_eq!(api.placement, Placement::Namespace("shop".into()));
    assert_eq!(model.team(api.owner.unwrap()).unwrap().name, "ops");
    let shop = model.namespace("shop").unwrap();
    assert_eq!(model.team(shop.owner.unwrap()).unwrap().name, "web");
    let agent = model.groups.iter().find(|group| group.name == "agent").unwrap();
    assert_eq!(agent.placement, Placement::Any);
    let scraper = model.groups.iter().find(|group| group.name == "scraper").unwrap();
    assert!(matches!(&scraper.placement, Placement::Namespaces(selector) if !selector.selects_everything()));
}

#[test]
fn the_model_does_not_depend_on_the_order_of_files() {
    let a = "//- a.npg\nnamespace shop {\n  group web = app=web\n}\nport http = 8080\n";
    let b = "//- b.npg\nnamespace data {\n  group db = app=db\n}\ngroup web may reach db:http, kube-dns\n";
    assert_eq!(model(&format!("{a}{b}")), model(&format!("{b}{a}")));
}
