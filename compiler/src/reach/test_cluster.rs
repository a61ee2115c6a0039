//! Builders for the small clusters the engine's unit tests describe: selectors on
//! `app`, and Deployments labelled with their app.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cluster::Workload;
use crate::model::{LabelSelector, Requirement};

/// `app=<value>`.
pub(crate) fn app(value: &str) -> LabelSelector {
    LabelSelector { requirements: vec![Requirement::Equals { key: "app".into(), value: value.into() }] }
}

/// A Deployment `namespace/name` labelled `app=<app>`, with no container ports, read from `source`.
pub(crate) fn deployment(namespace: &str, name: &str, app: &str, source: &str) -> Workload {
    Workload {
        namespace: namespace.into(),
        name: name.into(),
        kind: "Deployment".into(),
        labels: BTreeMap::from([("app".to_owned(), app.to_owned())]),
        ports: vec![],
        host_network: None,
        source: Arc::from(source),
    }
}
