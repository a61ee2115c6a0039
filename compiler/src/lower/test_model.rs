//! Hand-built models for tests of lowering and emission: declarations get
//! consecutive lines of `policy.npg`, selectors and ports are written as in npg.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ipnet::IpNet;

use crate::model::{
    AddressBlock, BuiltinGroup, Endpoint, Group, GroupId, LabelSelector, ManagedNamespace, Model, Network, NetworkId,
    Placement, Port, PortSet, Protocol, Requirement, Rule, SourceLine, Subject, Team, TeamId,
};

pub(crate) struct ModelBuilder {
    model: Model,
    file: Arc<str>,
    next_line: u32,
}

impl ModelBuilder {
    pub(crate) fn new() -> ModelBuilder {
        ModelBuilder { model: Model::default(), file: Arc::from("policy.npg"), next_line: 1 }
    }

    /// Declarations from here on are written in `file`, from line 1.
    pub(crate) fn in_file(&mut self, file: &str) -> &mut ModelBuilder {
        self.file = Arc::from(file);
        self.next_line = 1;
        self
    }

    fn line(&mut self) -> SourceLine {
        let line = SourceLine { file: self.file.clone(), line: self.next_line };
        self.next_line += 1;
        line
    }

    /// A managed namespace isolating both directions, without labels or owner.
    pub(crate) fn namespace(&mut self, name: &str) -> &mut ManagedNamespace {
        let source = self.line();
        self.model.namespaces.push(ManagedNamespace {
            name: name.to_owned(),
            labels: BTreeMap::new(),
            owner: None,
            isolate_ingress: true,
            isolate_egress: true,
            allow_internal: false,
            source,
        });
        self.model.namespaces.last_mut().unwrap()
    }

    pub(crate) fn team(&mut self, name: &str, subjects: Vec<Subject>) -> TeamId {
        let source = self.line();
        self.model.teams.push(Team { name: name.to_owned(), subjects, source });
        TeamId(u32::try_from(self.model.teams.len() - 1).unwrap())
    }

    /// The `web` team of language.md: one subject of each kind (group, user, service account).
    pub(crate) fn web_team(&mut self) -> TeamId {
        self.team(
            "web",
            vec![
                Subject::Group("oidc:web-devs".into()),
                Subject::User("alice@example.com".into()),
                Subject::ServiceAccount { namespace: "ci".into(), name: "deployer".into() },
            ],
        )
    }

    /// A group; `selector` as npg writes it (`app=web, tier!=cache, k in (a, b), k, !k, *`).
    pub(crate) fn group(&mut self, name: &str, placement: Placement, selector: &str) -> GroupId {
        let source = self.line();
        self.push_group(Group {
            name: name.to_owned(),
            placement,
            selector: selector_of(selector),
            owner: None,
            builtin: None,
            source: Some(source),
        })
    }

    /// A group living in one namespace.
    pub(crate) fn group_in(&mut self, namespace: &str, name: &str, selector: &str) -> GroupId {
        self.group(name, Placement::Namespace(namespace.to_owned()), selector)
    }

    pub(crate) fn group_mut(&mut self, id: GroupId) -> &mut Group {
        &mut self.model.groups[id.0 as usize]
    }

    pub(crate) fn kube_dns(&mut self) -> GroupId {
        self.push_group(Group::builtin(BuiltinGroup::KubeDns))
    }

    pub(crate) fn cluster(&mut self) -> GroupId {
        self.push_group(Group::builtin(BuiltinGroup::Cluster))
    }

    fn push_group(&mut self, group: Group) -> GroupId {
        self.model.groups.push(group);
        GroupId(u32::try_from(self.model.groups.len() - 1).unwrap())
    }

    /// A network; each block as `CIDR` or `CIDR except CIDR CIDR ...`.
    pub(crate) fn network(&mut self, name: &str, blocks: &[&str]) -> NetworkId {
        let source = self.line();
        let blocks = blocks
            .iter()
            .map(|block| {
                let mut parts = block.split_whitespace();
                let cidr: IpNet = parts.next().unwrap().parse().unwrap();
                let except = parts.filter(|part| *part != "except").map(|part| part.parse().unwrap());
                AddressBlock { cidr, except: except.collect() }
            })
            .collect();
        self.model.networks.push(Network { name: name.to_owned(), blocks, builtin: false, source: Some(source) });
        NetworkId(u32::try_from(self.model.networks.len() - 1).unwrap())
    }

    /// A `may reach` rule on its own line; `ports` as after the colon in npg
    /// (`80, 81-90, 53/udp, http`), empty for every port.
    pub(crate) fn rule(&mut self, source: Endpoint, target: Endpoint, ports: &str) -> &mut ModelBuilder {
        let origin = self.line();
        self.model.rules.push(Rule { source, target, ports: ports_of(ports), origin });
        self
    }

    pub(crate) fn build(&self) -> Model {
        self.model.clone()
    }
}

pub(crate) fn selector_of(text: &str) -> LabelSelector {
    let mut requirements = BTreeSet::new();
    for part in split_top_level(text) {
        let part = part.trim();
        if part.is_empty() || part == "*" {
            continue;
        }
        let values = |list: &str| -> BTreeSet<String> {
            list.trim().trim_start_matches('(').trim_end_matches(')').split(',').map(|v| v.trim().to_owned()).collect()
        };
        let requirement = if let Some((key, list)) = part.split_once(" notin ") {
            Requirement::NotIn { key: key.trim().to_owned(), values: values(list) }
        } else if let Some((key, list)) = part.split_once(" in ") {
            Requirement::In { key: key.trim().to_owned(), values: values(list) }
        } else if let Some((key, value)) = part.split_once("!=") {
            Requirement::NotEquals { key: key.trim().to_owned(), value: value.trim().to_owned() }
        } else if let Some((key, value)) = part.split_once('=') {
            Requirement::Equals { key: key.trim().to_owned(), value: value.trim().to_owned() }
        } else if let Some(key) = part.strip_prefix('!') {
            Requirement::DoesNotExist { key: key.trim().to_owned() }
        } else {
            Requirement::Exists { key: part.to_owned() }
        };
        requirements.insert(requirement);
    }
    LabelSelector { requirements: requirements.into_iter().collect() }
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

pub(crate) fn ports_of(text: &str) -> PortSet {
    if text.trim().is_empty() {
        return PortSet::All;
    }
    let ports = text.split(',').map(|item| {
        let item = item.trim();
        let (port, protocol) = match item.split_once('/') {
            Some((port, "udp")) => (port, Protocol::Udp),
            Some((port, "sctp")) => (port, Protocol::Sctp),
            Some((port, _)) => (port, Protocol::Tcp),
            None => (item, Protocol::Tcp),
        };
        match port.split_once('-') {
            Some((start, end)) if start.parse::<u16>().is_ok() => {
                Port::range(protocol, start.parse().unwrap(), end.parse().unwrap())
            }
            _ => match port.parse::<u16>() {
                Ok(number) => Port::single(protocol, number),
                Err(_) => Port::named(protocol, port),
            },
        }
    });
    PortSet::only(ports).unwrap()
}
