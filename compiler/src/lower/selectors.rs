//! Label selectors as Kubernetes writes them: `k=v` in `matchLabels`, every other
//! requirement in `matchExpressions`, values sorted; an empty selector is `{}`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector as KubeSelector, LabelSelectorRequirement};

use crate::model::{LabelSelector, NAMESPACE_NAME_LABEL, Requirement};

/// The Kubernetes form of a selector, meaning exactly the same pods.
pub(super) fn kubernetes_selector(selector: &LabelSelector) -> KubeSelector {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let mut expressions: Vec<LabelSelectorRequirement> = Vec::new();
    for requirement in &selector.requirements {
        match requirement {
            Requirement::Equals { key, value } => {
                // A second `k=v` on one key cannot share `matchLabels` (a map) without
                // dropping a requirement, which would widen the selector.
                if labels.contains_key(key) {
                    expressions.push(expression(key, "In", [value]));
                } else {
                    labels.insert(key.clone(), value.clone());
                }
            }
            Requirement::NotEquals { key, value } => {
                expressions.push(expression(key, "NotIn", [value]));
            }
            Requirement::In { key, values } => expressions.push(expression(key, "In", values)),
            Requirement::NotIn { key, values } => {
                expressions.push(expression(key, "NotIn", values));
            }
            Requirement::Exists { key } => expressions.push(expression(key, "Exists", None)),
            Requirement::DoesNotExist { key } => {
                expressions.push(expression(key, "DoesNotExist", None));
            }
        }
    }
    expressions.sort_by(|a, b| (&a.key, &a.operator, &a.values).cmp(&(&b.key, &b.operator, &b.values)));
    expressions.dedup();
    KubeSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        match_expressions: (!expressions.is_empty()).then_some(expressions),
    }
}

/// The selector of one namespace, by the label Kubernetes gives every namespace.
pub(super) fn namespace_named(name: &str) -> KubeSelector {
    KubeSelector {
        match_labels: Some(BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned())])),
        match_expressions: None,
    }
}

fn expression<'v>(key: &str, operator: &str, values: impl IntoIterator<Item = &'v String>) -> LabelSelectorRequirement {
    let mut values: Vec<String> = values.into_iter().cloned().collect();
    values.sort();
    values.dedup();
    let takes_values = matches!(operator, "In" | "NotIn");
    LabelSelectorRequirement {
        key: key.to_owned(),
        operator: operator.to_owned(),
        values: takes_values.then_some(values),
    }
}
