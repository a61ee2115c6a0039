//! Lowering: the checked model becomes Kubernetes objects (k8s-openapi types):
//! default-deny and allow-internal per managed namespace, one NetworkPolicy per
//! group with both halves of every rule, and RBAC per owning team.

mod peers;
mod policies;
mod rbac;
mod selectors;
#[cfg(test)]
pub(crate) mod test_model;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::model::{Model, SourceLine};
use crate::parallel::Cores;

pub use policies::{ALLOW_INTERNAL, DEFAULT_DENY, RuleOrigins, group_policy_name};

/// Label on every object npg writes: `app.kubernetes.io/managed-by: npg`.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "npg";
/// Label naming the group a group policy enforces.
pub const GROUP_LABEL: &str = "npg.dev/group";
/// Label naming the namespace of `npg-default-deny` and `npg-allow-internal`.
pub const NAMESPACE_LABEL: &str = "npg.dev/namespace";
/// Label naming the team of a Role or RoleBinding.
pub const TEAM_LABEL: &str = "npg.dev/team";
/// Annotation naming the declaration an object comes from, as `file:line`.
pub const SOURCE_ANNOTATION: &str = "npg.dev/source";
/// Annotation on group policies listing the rules they enforce, as `file:line, ...`.
pub const RULES_ANNOTATION: &str = "npg.dev/rules";

/// One object npg writes.
#[derive(Clone, Debug, PartialEq)]
pub enum KubeObject {
    NetworkPolicy(NetworkPolicy),
    Role(Role),
    RoleBinding(RoleBinding),
}

impl KubeObject {
    /// The object's `kind`, as Kubernetes spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            KubeObject::NetworkPolicy(_) => "NetworkPolicy",
            KubeObject::Role(_) => "Role",
            KubeObject::RoleBinding(_) => "RoleBinding",
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            KubeObject::NetworkPolicy(policy) => &policy.metadata,
            KubeObject::Role(role) => &role.metadata,
            KubeObject::RoleBinding(binding) => &binding.metadata,
        }
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.metadata().namespace.as_deref().unwrap_or_default()
    }

    /// The `npg.dev/source` annotation: where the object's declaration was written.
    pub fn source(&self) -> Option<&str> {
        self.metadata().annotations.as_ref()?.get(SOURCE_ANNOTATION).map(String::as_str)
    }
}

/// Every object the model asks for: NetworkPolicies, then a Role and RoleBinding
/// per owning team and namespace. The order is deterministic; emission sorts anyway.
pub fn kubernetes_objects(model: &Model) -> Vec<KubeObject> {
    // These objects outlive lowering. Built on worker threads they would be freed
    // from another thread, which keeps their memory longer (30 MB more at the peak
    // of the 10k-group benchmark) for a few tens of milliseconds saved.
    lower(model, Cores::One, |object| object)
}

/// The model's NetworkPolicies, in the order [`kubernetes_objects`] gives them,
/// each with the npg rules behind every `ingress` and `egress` entry. The policies
/// are exactly those written to manifests.
pub fn network_policies_with_origins(model: &Model) -> Vec<(NetworkPolicy, RuleOrigins)> {
    policies::map_policies_with_origins(model, &|_| true, &|policy, origins| (policy, origins))
}

/// What `finish` makes of each NetworkPolicy of the model and the rules behind
/// its entries, in the order of [`network_policies_with_origins`], for the
/// namespaces `wanted` accepts. Policies are built on every core and dropped
/// once `finish` has seen them.
pub fn map_network_policies_with_origins<T: Send>(
    model: &Model,
    wanted: impl Fn(&str) -> bool + Sync,
    finish: impl Fn(NetworkPolicy, RuleOrigins) -> T + Sync,
) -> Vec<T> {
    policies::map_policies_with_origins(model, &wanted, &finish)
}

/// What `finish` makes of each object the model asks for, in the order of
/// [`kubernetes_objects`]. Objects are built on every available core and each is
/// handed to `finish` on the core that built it, then dropped: the objects of a
/// big program never all exist at once.
pub fn map_objects<T: Send>(model: &Model, finish: impl Fn(KubeObject) -> T + Sync) -> Vec<T> {
    lower(model, Cores::All, finish)
}

fn lower<T: Send>(model: &Model, cores: Cores, finish: impl Fn(KubeObject) -> T + Sync) -> Vec<T> {
    let (mut results, owners) =
        policies::network_policies(model, cores, &|policy| finish(KubeObject::NetworkPolicy(policy)));
    results.extend(rbac::team_access(model, &owners, cores, &finish));
    results
}

/// Name, namespace, the npg labels and the provenance annotations of one object.
fn object_meta(
    name: &str,
    namespace: &str,
    origin_label: (&str, &str),
    source: &SourceLine,
    rules: Option<String>,
) -> ObjectMeta {
    let (origin_key, origin_value) = origin_label;
    let labels = BTreeMap::from([
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
        (origin_key.to_owned(), origin_value.to_owned()),
    ]);
    let mut annotations = BTreeMap::from([(SOURCE_ANNOTATION.to_owned(), source.to_string())]);
    if let Some(rules) = rules {
        annotations.insert(RULES_ANNOTATION.to_owned(), rules);
    }
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        labels: Some(labels),
        annotations: Some(annotations),
        ..ObjectMeta::default()
    }
}
