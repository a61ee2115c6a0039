//! Properties every example program keeps: it checks clean, formatting it
//! changes nothing it means, its output does not depend on file order or
//! location, and every document it emits is a valid, labelled Kubernetes object.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use common::{first_difference, npg, root};

mod common;
#[allow(dead_code)]
#[path = "../benches/support/generate.rs"]
mod generate;

const EXAMPLES: &[&str] = &["pci", "platform", "webshop"];

/// The verbs a team's Role may grant on the policies it owns: never create,
/// never `*`.
const ALLOWED_VERBS: &[&str] = &["delete", "get", "list", "patch", "update", "watch"];

/// Runs npg and returns its stdout, failing the test with stderr when it exits non-zero.
fn npg_ok(current_dir: &Path, args: &[&str]) -> String {
    let output = npg(current_dir, args);
    assert!(
        output.status.success(),
        "`npg {}` in {} exited with {:?}:\n{}",
        args.join(" "),
        current_dir.display(),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("npg writes UTF-8")
}

/// The example's `.npg` files, as paths relative to the repository root, sorted.
fn source_files(example: &str) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(root().join("examples").join(example))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "npg"))
        .map(|path| format!("examples/{example}/{}", path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "examples/{example} has no .npg files");
    files
}

/// Copies the example's sources to `<base>/examples/<example>/`, creating the
/// files in the given order, so the paths npg reports stay the same.
fn copy_example(example: &str, base: &Path, order: &[String]) {
    fs::create_dir_all(base.join("examples").join(example)).unwrap();
    for file in order {
        fs::copy(root().join(file), base.join(file)).unwrap();
    }
}

fn build_stream(current_dir: &Path, paths: &[&str]) -> String {
    let mut args = vec!["build"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["-o", "-"]);
    npg_ok(current_dir, &args)
}

/// The YAML without the lines that name source locations (the header
/// comment, `npg.dev/source` and `npg.dev/rules`): formatting moves statements
/// to other lines, joins continuation lines and splits `;`-separated blocks,
/// so those change, and nothing else may.
fn without_source_locations(yaml: &str) -> String {
    yaml.lines().filter(|line| !line.contains(".npg:")).map(|line| format!("{line}\n")).collect()
}

/// Fails with the first differing line rather than two whole streams.
fn assert_same_text(expected: &str, actual: &str, what: &str) {
    assert!(expected == actual, "{what}: output differs at {}", first_difference(expected, actual));
}

fn read_sources(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "npg"))
        .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), fs::read_to_string(&path).unwrap()))
        .collect()
}

#[test]
fn examples_check_without_errors_or_warnings() {
    for example in EXAMPLES {
        let output = npg(&root(), &["check", "--deny-warnings", &format!("examples/{example}")]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success() && stderr.is_empty(), "examples/{example} is not clean:\n{stderr}");
    }
}

#[test]
fn formatting_is_idempotent_and_keeps_what_the_program_means() {
    for example in EXAMPLES {
        let files = source_files(example);
        let original = tempfile::tempdir().unwrap();
        let formatted = tempfile::tempdir().unwrap();
        copy_example(example, original.path(), &files);
        copy_example(example, formatted.path(), &files);
        let folder = format!("examples/{example}");

        npg_ok(formatted.path(), &["fmt", &folder]);
        let once = read_sources(&formatted.path().join(&folder));
        let check = npg(formatted.path(), &["fmt", "--check", &folder]);
        assert!(
            check.status.success(),
            "`npg fmt --check` wants to change freshly formatted examples/{example}:\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        npg_ok(formatted.path(), &["fmt", &folder]);
        let twice = read_sources(&formatted.path().join(&folder));
        assert_eq!(once, twice, "formatting examples/{example} a second time changed it");

        let before = build_stream(original.path(), &[&folder]);
        let after = build_stream(formatted.path(), &[&folder]);
        assert!(!before.is_empty(), "examples/{example} builds to nothing");
        assert_same_text(
            &without_source_locations(&before),
            &without_source_locations(&after),
            &format!("formatting examples/{example} changed its manifests"),
        );
    }
}

#[test]
fn output_does_not_depend_on_the_order_files_are_given_or_found_in() {
    for example in EXAMPLES {
        let files = source_files(example);
        let folder = format!("examples/{example}");
        let from_folder = build_stream(&root(), &[&folder]);
        assert!(!from_folder.is_empty(), "examples/{example} builds to nothing");

        let sorted: Vec<&str> = files.iter().map(String::as_str).collect();
        let mut reversed = sorted.clone();
        reversed.reverse();
        let mut rotated = sorted.clone();
        rotated.rotate_left(1);
        for order in [&sorted, &reversed, &rotated] {
            let built = build_stream(&root(), order);
            assert_same_text(
                &from_folder,
                &built,
                &format!("examples/{example} built from files in the order {order:?}"),
            );
        }

        let elsewhere = tempfile::tempdir().unwrap();
        let mut creation_order = files.clone();
        creation_order.reverse();
        copy_example(example, elsewhere.path(), &creation_order);
        let built = build_stream(elsewhere.path(), &[&folder]);
        assert_same_text(&from_folder, &built, &format!("examples/{example} copied elsewhere"));
    }
}

/// The documents of a multi-document YAML stream, without empty ones.
fn documents(stream: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in stream.lines() {
        if line == "---" {
            documents.push(String::new());
        } else if let Some(document) = documents.last_mut() {
            document.push_str(line);
            document.push('\n');
        }
    }
    documents.retain(|document| document.lines().any(|line| !line.trim().is_empty() && !line.starts_with('#')));
    documents
}

/// Problems with the labels and annotations npg promises on every object.
fn check_metadata(example: &str, kind: &str, metadata: &ObjectMeta, problems: &mut Vec<String>) {
    let name =
        format!("{kind} {}/{}", metadata.namespace.as_deref().unwrap_or("?"), metadata.name.as_deref().unwrap_or("?"));
    let managed_by = metadata.labels.as_ref().and_then(|labels| labels.get("app.kubernetes.io/managed-by"));
    if managed_by.map(String::as_str) != Some("npg") {
        problems.push(format!("{name}: label app.kubernetes.io/managed-by is {managed_by:?}, not npg"));
    }
    let source = metadata.annotations.as_ref().and_then(|annotations| annotations.get("npg.dev/source"));
    let Some(source) = source else {
        problems.push(format!("{name}: no npg.dev/source annotation"));
        return;
    };
    let Some((file, line)) = source.rsplit_once(':') else {
        problems.push(format!("{name}: npg.dev/source `{source}` is not FILE:LINE"));
        return;
    };
    let lines = fs::read_to_string(root().join(file)).map(|text| text.lines().count());
    let line: usize = line.parse().unwrap_or(0);
    match lines {
        Ok(count) if file.starts_with(&format!("examples/{example}/")) && (1..=count).contains(&line) => {}
        _ => problems.push(format!("{name}: npg.dev/source `{source}` names no line of the example's files")),
    }
}

fn has_star(values: Option<&Vec<String>>) -> bool {
    values.is_some_and(|values| values.iter().any(|value| value.contains('*')))
}

#[test]
fn every_document_is_a_labelled_kubernetes_object_and_rbac_never_uses_a_wildcard() {
    let mut problems = Vec::new();
    for example in EXAMPLES {
        let stream = build_stream(&root(), &[&format!("examples/{example}")]);
        let mut kinds = BTreeSet::new();
        let mut policies: BTreeSet<(String, String)> = BTreeSet::new();
        let mut roles = Vec::new();
        for document in documents(&stream) {
            let value: serde_yaml::Value = match serde_yaml::from_str(&document) {
                Ok(value) => value,
                Err(error) => {
                    problems.push(format!("{example}: a document is not YAML ({error}):\n{document}"));
                    continue;
                }
            };
            let kind = value.get("kind").and_then(serde_yaml::Value::as_str).unwrap_or("").to_owned();
            kinds.insert(kind.clone());
            match kind.as_str() {
                "NetworkPolicy" => match serde_yaml::from_str::<NetworkPolicy>(&document) {
                    Ok(policy) => {
                        check_metadata(example, &kind, &policy.metadata, &mut problems);
                        policies.insert((
                            policy.metadata.namespace.clone().unwrap_or_default(),
                            policy.metadata.name.clone().unwrap_or_default(),
                        ));
                    }
                    Err(error) => problems.push(format!("{example}: not a NetworkPolicy ({error}):\n{document}")),
                },
                "Role" => match serde_yaml::from_str::<Role>(&document) {
                    Ok(role) => {
                        check_metadata(example, &kind, &role.metadata, &mut problems);
                        roles.push(role);
                    }
                    Err(error) => problems.push(format!("{example}: not a Role ({error}):\n{document}")),
                },
                "RoleBinding" => match serde_yaml::from_str::<RoleBinding>(&document) {
                    Ok(binding) => {
                        check_metadata(example, &kind, &binding.metadata, &mut problems);
                        let subjects = binding.subjects.iter().flatten();
                        if binding.role_ref.kind != "Role"
                            || binding.role_ref.name.contains('*')
                            || subjects.clone().any(|subject| subject.name.contains('*'))
                        {
                            problems.push(format!(
                                "{example}: RoleBinding {:?} binds a wildcard or a ClusterRole",
                                binding.metadata.name
                            ));
                        }
                    }
                    Err(error) => problems.push(format!("{example}: not a RoleBinding ({error}):\n{document}")),
                },
                other => problems.push(format!("{example}: unexpected kind `{other}`:\n{document}")),
            }
        }
        for kind in ["NetworkPolicy", "Role", "RoleBinding"] {
            if !kinds.contains(kind) {
                problems.push(format!("{example}: the build has no {kind}"));
            }
        }
        for role in &roles {
            let name = role.metadata.name.clone().unwrap_or_default();
            let namespace = role.metadata.namespace.clone().unwrap_or_default();
            for rule in role.rules.iter().flatten() {
                if has_star(rule.api_groups.as_ref())
                    || has_star(rule.resources.as_ref())
                    || has_star(rule.resource_names.as_ref())
                    || rule.verbs.iter().any(|verb| verb.contains('*'))
                {
                    problems.push(format!("{example}: Role {namespace}/{name} uses `*`"));
                }
                if rule.verbs.iter().any(|verb| !ALLOWED_VERBS.contains(&verb.as_str())) {
                    problems.push(format!("{example}: Role {namespace}/{name} grants {:?}", rule.verbs));
                }
                if rule.resources.as_deref() != Some(&["networkpolicies".to_owned()][..]) {
                    problems.push(format!(
                        "{example}: Role {namespace}/{name} covers {:?}, not only networkpolicies",
                        rule.resources
                    ));
                }
                for policy in rule.resource_names.iter().flatten() {
                    if !policies.contains(&(namespace.clone(), policy.clone())) {
                        problems.push(format!(
                            "{example}: Role {namespace}/{name} names {policy}, which npg did not write there"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}

#[test]
fn generated_benchmark_programs_are_deterministic_and_check_without_errors() {
    let shape = generate::Shape::with_rules(1_000);
    let program = generate::generate(shape, 7);
    assert_eq!(program, generate::generate(shape, 7), "the same seed gave two programs");
    assert_ne!(program, generate::generate(shape, 8), "the seed changed nothing");
    assert_eq!(program.groups, 200);
    assert!((950..=1_000).contains(&program.rules), "{} rules for a 1k shape", program.rules);

    let dir = tempfile::tempdir().unwrap();
    program.write_to(&dir.path().join("program")).unwrap();
    let output = npg(dir.path(), &["check", "--color", "never", "program"]);
    assert!(output.status.success(), "the generated program has errors:\n{}", String::from_utf8_lossy(&output.stderr));
}
