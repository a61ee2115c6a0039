//! RBAC per owning team and namespace: a `Role` that may read and change exactly
//! the policies the team owns there (by `resourceNames`) and list/watch policies,
//! and a `RoleBinding` of that Role to the team's subjects.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject as KubeSubject};

use super::policies::PolicyOwner;
use super::{KubeObject, TEAM_LABEL, object_meta};
use crate::model::{Model, Subject, Team, TeamId};
use crate::parallel::{self, Cores};

const RBAC_API_GROUP: &str = "rbac.authorization.k8s.io";
const NETWORKING_API_GROUP: &str = "networking.k8s.io";

/// The name of a team's Role and RoleBinding.
pub(super) fn team_role_name(team: &Team) -> String {
    format!("npg-team-{}", team.name)
}

/// A Role and a RoleBinding per (team, namespace) where the team owns a policy,
/// built on `cores`, each handed to `finish` on the core that built it.
pub(super) fn team_access<T: Send>(
    model: &Model,
    policies: &[PolicyOwner],
    cores: Cores,
    finish: &(impl Fn(KubeObject) -> T + Sync),
) -> Vec<T> {
    let mut owned: BTreeMap<(TeamId, &str), BTreeSet<&str>> = BTreeMap::new();
    for policy in policies {
        if let Some(team) = policy.team {
            owned.entry((team, &policy.namespace)).or_default().insert(&policy.name);
        }
    }
    let owned: Vec<_> = owned.into_iter().collect();
    let pairs = parallel::map_on(cores, &owned, |((team, namespace), names)| {
        let team = model.team(*team)?;
        Some([
            finish(KubeObject::Role(role(team, namespace, names))),
            finish(KubeObject::RoleBinding(role_binding(team, namespace))),
        ])
    });
    pairs.into_iter().flatten().flatten().collect()
}

fn role(team: &Team, namespace: &str, policy_names: &BTreeSet<&str>) -> Role {
    let on_policies = |verbs: &[&str], names: Option<Vec<String>>| PolicyRule {
        api_groups: Some(vec![NETWORKING_API_GROUP.to_owned()]),
        resources: Some(vec!["networkpolicies".to_owned()]),
        resource_names: names,
        verbs: verbs.iter().map(|verb| (*verb).to_owned()).collect(),
        non_resource_urls: None,
    };
    let names: Vec<String> = policy_names.iter().map(|name| (*name).to_owned()).collect();
    Role {
        metadata: team_meta(team, namespace),
        rules: Some(vec![
            on_policies(&["delete", "get", "patch", "update"], Some(names)),
            // `resourceNames` cannot narrow list and watch, so they get a rule of their own.
            on_policies(&["list", "watch"], None),
        ]),
    }
}

fn role_binding(team: &Team, namespace: &str) -> RoleBinding {
    let subjects: Vec<KubeSubject> = team.subjects.iter().map(kubernetes_subject).collect();
    RoleBinding {
        metadata: team_meta(team, namespace),
        role_ref: RoleRef { api_group: RBAC_API_GROUP.to_owned(), kind: "Role".to_owned(), name: team_role_name(team) },
        subjects: (!subjects.is_empty()).then_some(subjects),
    }
}

fn kubernetes_subject(subject: &Subject) -> KubeSubject {
    match subject {
        Subject::Group(name) => KubeSubject {
            api_group: Some(RBAC_API_GROUP.to_owned()),
            kind: "Group".to_owned(),
            name: name.clone(),
            namespace: None,
        },
        Subject::User(name) => KubeSubject {
            api_group: Some(RBAC_API_GROUP.to_owned()),
            kind: "User".to_owned(),
            name: name.clone(),
            namespace: None,
        },
        Subject::ServiceAccount { namespace, name } => KubeSubject {
            api_group: None,
            kind: "ServiceAccount".to_owned(),
            name: name.clone(),
            namespace: Some(namespace.clone()),
        },
    }
}

fn team_meta(team: &Team, namespace: &str) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    object_meta(&team_role_name(team), namespace, (TEAM_LABEL, &team.name), &team.source, None)
}
