//! A compact, span-free rendering of a syntax tree: one line per statement or block
//! member, lists in brackets. Two trees that differ only in spans have the same
//! outline, which makes it the yardstick of tests and of `format`'s promise.

use std::fmt::Write as _;

use crate::ast::{
    AssertKind, Direction, GroupBody, GroupDecl, GroupMember, Item, NamespaceMember, Placement, PortItem, PortSpec,
    Reference, RuleSource, Selector, SelectorTermKind, SourceTree, Target, TeamMember, Word,
};

/// The outline of `tree` (comments are not part of it).
///
/// ```
/// let parsed = npg_grammar::parse("group web may reach api:8080, db\n");
/// assert_eq!(npg_grammar::outline(&parsed.tree), "rule group web may reach [api:8080, db]\n");
/// ```
pub fn outline(tree: &SourceTree) -> String {
    let mut out = String::new();
    for item in &tree.items {
        item_line(&mut out, item);
    }
    out
}

fn item_line(out: &mut String, item: &Item) {
    match item {
        Item::Namespace(namespace) => {
            line(out, 0, &format!("namespace {}", namespace.name.text));
            for member in &namespace.members {
                match member {
                    NamespaceMember::Labels(labels) => {
                        let entries: Vec<String> = labels
                            .entries
                            .iter()
                            .map(|entry| format!("{}: {}", entry.key.text, entry.value.text))
                            .collect();
                        line(out, 1, &format!("labels [{}]", entries.join(", ")));
                    }
                    NamespaceMember::Owner(owner) => line(out, 1, &format!("owner {}", owner.team.text)),
                    NamespaceMember::Isolate(isolate) => {
                        let direction = match isolate.direction {
                            Direction::Ingress => "ingress",
                            Direction::Egress => "egress",
                        };
                        line(out, 1, &format!("isolate {direction}"));
                    }
                    NamespaceMember::AllowInternal(_) => line(out, 1, "allow internal"),
                    NamespaceMember::Group(group) => group_lines(out, 1, group),
                    NamespaceMember::Error(_) => line(out, 1, "error"),
                }
            }
        }
        Item::Group(group) => group_lines(out, 0, group),
        Item::Team(team) => {
            line(out, 0, &format!("team {}", team.name.text));
            for member in &team.members {
                let text = match member {
                    TeamMember::Group { name, .. } => format!("group {:?}", name.value),
                    TeamMember::User { name, .. } => format!("user {:?}", name.value),
                    TeamMember::ServiceAccount { namespace, name, .. } => {
                        format!("serviceaccount {} / {}", namespace.text, name.text)
                    }
                    TeamMember::Error(_) => "error".to_owned(),
                };
                line(out, 1, &text);
            }
        }
        Item::Port(port) => line(out, 0, &format!("port {} = {}", port.name.text, ports(&port.ports))),
        Item::Network(network) => {
            let mut text = format!("network {} = {}", network.name.text, network.cidr.text);
            if !network.except.is_empty() {
                let _ = write!(text, " except {}", words(&network.except));
            }
            line(out, 0, &text);
        }
        Item::Rule(rule) => {
            let kind = match rule.source_kind {
                RuleSource::Group => "group",
                RuleSource::Network => "network",
            };
            let targets: Vec<String> = rule.targets.iter().map(target).collect();
            line(out, 0, &format!("rule {kind} {} may reach [{}]", reference(&rule.source), targets.join(", ")));
        }
        Item::Assert(assert) => {
            let text = match &assert.kind {
                AssertKind::CanReach { source, target: to } => {
                    format!("assert {} can reach {}", reference(source), target(to))
                }
                AssertKind::CannotReach { source, target: to } => {
                    format!("assert {} cannot reach {}", reference(source), target(to))
                }
                AssertKind::OnlyCanReach { sources, target: to } => {
                    let sources: Vec<String> = sources.iter().map(reference).collect();
                    format!("assert only [{}] can reach {}", sources.join(", "), target(to))
                }
            };
            line(out, 0, &text);
        }
        Item::Error(_) => line(out, 0, "error"),
    }
}

fn group_lines(out: &mut String, depth: usize, group: &GroupDecl) {
    let mut head = format!("group {}", group.name.text);
    match &group.placement {
        None => {}
        Some(Placement::Namespace(namespace)) => {
            let _ = write!(head, " in {}", namespace.text);
        }
        Some(Placement::Namespaces { selector: namespaces, .. }) => {
            let _ = write!(head, " in namespaces{}", selector(namespaces));
        }
        Some(Placement::Any(_)) => head.push_str(" in any"),
    }
    match &group.body {
        GroupBody::Selector(body) => line(out, depth, &format!("{head} = {}", selector(body))),
        GroupBody::Block { members, .. } => {
            line(out, depth, &format!("{head} block"));
            for member in members {
                let text = match member {
                    GroupMember::Match(body) => format!("match {}", selector(body)),
                    GroupMember::Owner(owner) => format!("owner {}", owner.team.text),
                    GroupMember::Error(_) => "error".to_owned(),
                };
                line(out, depth + 1, &text);
            }
        }
    }
}

fn selector(selector: &Selector) -> String {
    let terms: Vec<String> = selector
        .terms
        .iter()
        .map(|term| match &term.kind {
            SelectorTermKind::Equals { key, value } => format!("{}={}", key.text, value.text),
            SelectorTermKind::NotEquals { key, value } => format!("{}!={}", key.text, value.text),
            SelectorTermKind::In { key, values } => format!("{} in {}", key.text, words(values)),
            SelectorTermKind::NotIn { key, values } => {
                format!("{} notin {}", key.text, words(values))
            }
            SelectorTermKind::Exists { key } => key.text.to_string(),
            SelectorTermKind::DoesNotExist { key } => format!("!{}", key.text),
            SelectorTermKind::Everything => "*".to_owned(),
        })
        .collect();
    format!("({})", terms.join(", "))
}

fn words(words: &[Word]) -> String {
    let texts: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
    format!("[{}]", texts.join(", "))
}

fn reference(reference: &Reference) -> String {
    match &reference.namespace {
        Some(namespace) => format!("{} / {}", namespace.text, reference.name.text),
        None => reference.name.text.to_string(),
    }
}

fn target(target: &Target) -> String {
    match &target.ports {
        Some(spec) => format!("{}:{}", reference(&target.reference), ports(spec)),
        None => reference(&target.reference),
    }
}

fn ports(spec: &PortSpec) -> String {
    match spec {
        PortSpec::Single(item) => port_item(item),
        PortSpec::Set { items, .. } => {
            let items: Vec<String> = items.iter().map(port_item).collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

fn port_item(item: &PortItem) -> String {
    match &item.protocol {
        Some(protocol) => format!("{} / {}", item.port.text, protocol.text),
        None => item.port.text.to_string(),
    }
}

fn line(out: &mut String, depth: usize, text: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str(text);
    out.push('\n');
}
