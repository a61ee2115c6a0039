#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;

fn read(files: &[(&str, &str)]) -> Result<Manifests, Vec<Diagnostic>> {
    let files: Vec<ManifestFile> =
        files.iter().map(|(path, text)| ManifestFile { path: (*path).into(), text }).collect();
    read_manifests(&files)
}

fn names(manifests: &Manifests) -> Vec<String> {
    manifests.cluster.workloads.iter().map(Workload::display_name).collect()
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect()
}

fn shown(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        ports:
        - containerPort: 8080
          name: http
        - containerPort: 53
          protocol: UDP
";

#[test]
fn a_workload_object_is_one_workload_with_its_template_labels_and_ports() {
    let manifests = read(&[("a.yaml", DEPLOYMENT)]).unwrap();
    assert_eq!(names(&manifests), ["shop/web[Deployment]"]);
    let workload = &manifests.cluster.workloads[0];
    assert_eq!(workload.labels, BTreeMap::from([("app".to_owned(), "web".to_owned())]));
    assert_eq!(
        workload.ports,
        [
            ContainerPort { name: None, port: 53, protocol: Protocol::Udp },
            ContainerPort { name: Some("http".into()), port: 8080, protocol: Protocol::Tcp },
        ]
    );
    assert_eq!(&*workload.source, "a.yaml");
}

#[test]
fn referenced_namespaces_are_created_with_their_name_label() {
    let manifests = read(&[("a.yaml", DEPLOYMENT)]).unwrap();
    let namespace = &manifests.cluster.namespaces[0];
    assert_eq!(namespace.name, "shop");
    assert_eq!(namespace.labels, BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), "shop".to_owned())]));
}

#[test]
fn given_namespaces_get_the_name_label_added() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: a\n---\n";
    let manifests = read(&[("ns.yaml", text), ("a.yaml", DEPLOYMENT)]).unwrap();
    let labels = &manifests.cluster.namespaces[0].labels;
    assert_eq!(labels.get("team").map(String::as_str), Some("a"));
    assert_eq!(labels.get(NAMESPACE_NAME_LABEL).map(String::as_str), Some("shop"));
}

#[test]
fn pods_take_their_controlling_owner_name_and_kind_and_collapse() {
    let pod = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: x}}\n  ownerReferences:\n  - kind: ReplicaSet\n    name: x-6f9\n    controller: true\n"
        )
    };
    let text = format!("{}---\n{}", pod("x-6f9-b"), pod("x-6f9-a"));
    let manifests = read(&[("pods.yaml", &text)]).unwrap();
    assert_eq!(names(&manifests), ["default/x-6f9[ReplicaSet]"]);
}

#[test]
fn owners_without_kind_print_as_pod_and_node_owners_are_ignored() {
    let text = "apiVersion: v1\nkind: PodList\nitems:\n- metadata:\n    name: a-1\n    ownerReferences: [{name: owner, controller: true}]\n- metadata:\n    name: kube-apiserver-m\n    namespace: kube-system\n    ownerReferences: [{kind: Node, name: m, controller: true}]\n- metadata:\n    name: virt-launcher-vm\n";
    let manifests = read(&[("pods.yaml", text)]).unwrap();
    assert_eq!(names(&manifests), ["default/owner[Pod]", "kube-system/kube-apiserver-m[Pod]"]);
}

#[test]
fn host_network_pods_carry_their_node_address() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\nstatus: {hostIP: 10.1.2.3}\n";
    let manifests = read(&[("p.yaml", text)]).unwrap();
    let host = manifests.cluster.workloads[0].host_network.clone().unwrap();
    assert_eq!(host.host_ip, Some("10.1.2.3".parse().unwrap()));
}

#[test]
fn host_network_pods_can_be_read_as_ordinary_pods() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\n";
    let options = ReadOptions { host_network: HostNetworkPods::OrdinaryPod };
    let manifests = read_manifests_with(&[ManifestFile { path: "p.yaml".into(), text }], options).unwrap();
    assert_eq!(manifests.cluster.workloads[0].host_network, None);
}

#[test]
fn json_lists_and_kinds_not_modelled() {
    let json = r#"{"kind": "List", "apiVersion": "v1", "items": [
        {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "s"}},
        {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": {"name": "d", "namespace": "n"},
         "spec": {"selector": {}, "template": {"metadata": {"labels": {"a": "b"}}}}}
    ]}"#;
    let manifests = read(&[("l.json", json)]).unwrap();
    assert_eq!(names(&manifests), ["n/d[DaemonSet]"]);
    assert!(manifests.warnings.is_empty(), "{:?}", manifests.warnings);
}

#[test]
fn cronjobs_use_their_job_template() {
    let text = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {job: c}}\n        spec: {containers: []}\n";
    let manifests = read(&[("c.yaml", text)]).unwrap();
    assert_eq!(names(&manifests), ["default/c[CronJob]"]);
    assert_eq!(manifests.cluster.workloads[0].labels.get("job").map(String::as_str), Some("c"));
}

#[test]
fn a_document_that_does_not_parse_keeps_those_before_it_with_a_warning() {
    let text = format!("{DEPLOYMENT}---\nkind: [\n---\n{}", DEPLOYMENT.replace("name: web", "name: api"));
    let manifests = read(&[("a.yaml", &text)]).unwrap();
    assert_eq!(names(&manifests), ["shop/web[Deployment]"]);
    assert_eq!(codes(&manifests.warnings), ["NPG0602"]);
    assert!(manifests.warnings[0].message.contains("document 2"), "{}", manifests.warnings[0].message);
    assert!(manifests.warnings[0].primary.message.contains("1 after it"), "{}", manifests.warnings[0].primary.message);
}

#[test]
fn an_object_with_a_field_of_the_wrong_type_is_skipped_with_a_warning() {
    let bad = "apiVersion: v1\nkind: Pod\nmetadata: {name: nginx}\nspec:\n  containers:\n  - name: nginx\n    ports:\n    - containerPort: []\n";
    let errors = read(&[("pod.yaml", bad)]).unwrap_err();
    assert_eq!(codes(&errors), ["NPG0606", "NPG0603"]);
    let malformed = errors.iter().find(|d| d.code == Code::MalformedObject).unwrap();
    assert_eq!(shown(bad, malformed.primary.location.span), "containerPort: []");
    assert_eq!(malformed.primary.message, "in spec.containers[0].ports[0].containerPort");
    assert_eq!(malformed.message, "Pod 'nginx' is skipped: invalid type: sequence, expected i32");
}

#[test]
fn no_workloads_is_an_error() {
    let policy =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n";
    let errors = read(&[("p.yaml", policy)]).unwrap_err();
    assert_eq!(codes(&errors), ["NPG0606"]);
}

#[test]
fn duplicate_namespaces_and_policies_are_errors_pointing_at_both() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: blue\n";
    let policy =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec: {podSelector: {}}\n";
    let text = format!("{ns}---\n{ns}---\n{policy}---\n{policy}---\n{DEPLOYMENT}");
    let errors = read(&[("all.yaml", &text)]).unwrap_err();
    assert_eq!(codes(&errors), ["NPG0604", "NPG0604"]);
    assert!(errors[0].message.contains("Namespace 'blue'"), "{}", errors[0].message);
    assert!(errors[1].message.contains("NetworkPolicy 'default/p'"), "{}", errors[1].message);
    assert_eq!(errors[0].secondary.len(), 1);
    assert!(errors[0].secondary[0].location.span.start < errors[0].primary.location.span.start);
}

#[test]
fn policy_problems_name_the_policy_and_point_at_the_field() {
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: A\n";
    let text = format!("{DEPLOYMENT}---\n{policy}");
    let errors = read(&[("all.yaml", &text)]).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.starts_with("NetworkPolicy 'shop/p': "), "{}", errors[0].message);
    assert_eq!(shown(&text, errors[0].primary.location.span), "cidr: A");
    assert_eq!(errors[0].primary.message, "in spec.ingress[0].from[0].ipBlock.cidr");
}

#[test]
fn items_of_lists_are_located_inside_the_list() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: ok}\n  spec: {podSelector: {}}\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: bad}\n  spec:\n    podSelector:\n      matchLabels:\n        app@b: x\n";
    let errors = read(&[("l.yaml", text), ("d.yaml", DEPLOYMENT)]).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(shown(text, errors[0].primary.location.span), "app@b: x");
}

const TWO_PODS: &str = "apiVersion: v1\nkind: PodList\nitems:\n- metadata:\n    name: a\n    labels: {app: one, tier: t}\n    ownerReferences: [{kind: DaemonSet, name: d, controller: true}]\n- metadata:\n    name: b\n    labels: {app: two, tier: t}\n    ownerReferences: [{kind: DaemonSet, name: d, controller: true}]\n";

fn policy_selecting(expression: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - from:\n    - podSelector: {expression}\n"
    )
}

#[test]
fn pods_of_one_owner_may_differ_where_no_selector_looks() {
    let policy = policy_selecting("{matchLabels: {tier: t}}");
    let manifests = read(&[("pods.yaml", TWO_PODS), ("p.yaml", &policy)]).unwrap();
    assert_eq!(names(&manifests), ["default/d[DaemonSet]"]);
    assert_eq!(manifests.cluster.workloads[0].labels.get("app").map(String::as_str), Some("one"));
}

#[test]
fn pods_of_one_owner_that_a_selector_tells_apart_are_an_error() {
    let policy = policy_selecting("{matchExpressions: [{key: app, operator: In, values: [one]}]}");
    let errors = read(&[("pods.yaml", TWO_PODS), ("p.yaml", &policy)]).unwrap_err();
    assert_eq!(codes(&errors), ["NPG0605"]);
    assert!(errors[0].message.contains("default/d[DaemonSet]"), "{}", errors[0].message);
    assert!(errors[0].message.contains("NetworkPolicy 'default/p' selects `a` but not `b`"), "{}", errors[0].message);
}

#[test]
fn the_result_does_not_depend_on_file_order() {
    let policy = policy_selecting("{matchLabels: {tier: t}}");
    let one = read(&[("pods.yaml", TWO_PODS), ("p.yaml", &policy), ("d.yaml", DEPLOYMENT)]).unwrap();
    let two = read(&[("d.yaml", DEPLOYMENT), ("p.yaml", &policy), ("pods.yaml", TWO_PODS)]).unwrap();
    assert_eq!(one.cluster, two.cluster);
}

#[test]
fn policies_of_other_api_groups_are_not_read() {
    let calico =
        "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: c}\nspec: {selector: all()}\n";
    let manifests = read(&[("c.yaml", calico), ("d.yaml", DEPLOYMENT)]).unwrap();
    assert!(manifests.cluster.policies.is_empty());
}

#[test]
fn init_containers_count_only_as_sidecars() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n  - {name: setup, ports: [{containerPort: 1}]}\n  - {name: proxy, restartPolicy: Always, ports: [{containerPort: 2}]}\n  containers: [{name: app, ports: [{containerPort: 3}]}]\n";
    let manifests = read(&[("p.yaml", text)]).unwrap();
    let ports: Vec<u16> = manifests.cluster.workloads[0].ports.iter().map(|port| port.port).collect();
    assert_eq!(ports, [2, 3]);
}

#[test]
fn a_wrong_type_under_a_dotted_key_is_named_with_the_key_quoted() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app.kubernetes.io/name: [x]\n";
    let errors = read(&[("p.yaml", text)]).unwrap_err();
    let malformed = errors.iter().find(|d| d.code == Code::MalformedObject).unwrap();
    assert_eq!(malformed.primary.message, r#"in metadata.labels["app.kubernetes.io/name"]"#);
    assert_eq!(shown(text, malformed.primary.location.span), "app.kubernetes.io/name: [x]");
}

#[test]
fn every_prefix_of_a_manifest_is_read_without_panicking() {
    let policy = policy_selecting("{matchLabels: {tier: t}}");
    let text = format!("{DEPLOYMENT}---\n{TWO_PODS}---\n{policy}");
    for end in (0..=text.len()).filter(|end| text.is_char_boundary(*end)) {
        let _ = read(&[("a.yaml", &text[..end])]);
        let _ = read(&[("a.json", &text[..end])]);
    }
}

#[test]
fn an_alias_bomb_is_refused_as_an_unreadable_document() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (level, name) in "bcdefghi".chars().enumerate() {
        let previous = char::from(b'a' + u8::try_from(level).unwrap());
        let aliases = vec![format!("*{previous}"); 9].join(", ");
        text.push_str(&format!("{name}: &{name} [{aliases}]\n"));
    }
    let errors = read(&[("bomb.yaml", &text)]).unwrap_err();
    assert_eq!(codes(&errors), ["NPG0606", "NPG0602"]);
}

#[test]
fn deep_nesting_is_refused_as_an_unreadable_document() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let errors = read(&[("deep.yaml", &text), ("d.json", &text)]).unwrap_err();
    assert_eq!(codes(&errors), ["NPG0606", "NPG0602", "NPG0602"]);
}
