//! End-to-end behaviour of the `npg` binary: exit codes, what goes to stdout,
//! stderr and disk, for good programs, bad programs and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// A valid program with no warnings.
const CLEAN: &str = "\
namespace shop {
  group web = app=web
  group api = app=api
}
group web may reach api:8080, kube-dns
group api may reach kube-dns
";

/// A valid program whose only problem is a port nothing uses (a warning).
const WARNS: &str = "\
namespace shop {
  group web = app=web
  group api = app=api
}
port unused-port = 9090
group web may reach api:8080, kube-dns
group api may reach kube-dns
";

/// A program with one unknown name.
const UNKNOWN_NAME: &str = "\
namespace shop {
  group web = app=web
  group api = app=api
}
group web may reach apl:8080, kube-dns
group api may reach kube-dns
";

/// A program with a syntax error.
const SYNTAX_ERROR: &str = "\
namespace shop {
  group web = app=web
  group api = = app=api
}
";

/// The same program as [`CLEAN`] in a layout `npg fmt` rewrites.
const MESSY: &str = "\
namespace shop {
    group web   =   app=web ; group api=app=api
}



group web may reach   api:8080,kube-dns
group api   may reach kube-dns   # DNS only
";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn npg(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_npg"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("npg runs");
    let run = Run {
        code: output.status.code().expect("npg exits with a status, not a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "npg {args:?} panicked:\n{}", run.stderr);
    assert_ne!(run.code, 101, "npg {args:?} crashed:\n{}", run.stderr);
    run
}

fn folder_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, contents) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
}

/// Every file under `dir`, by `/`-separated relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn names(dir: &Path) -> Vec<String> {
    tree(dir).into_keys().collect()
}

/// The documents of a YAML stream, trimmed, empty ones dropped.
fn documents(stream: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in stream.lines() {
        if line == "---" {
            documents.push(String::new());
        } else if let Some(current) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents.into_iter().map(|document| document.trim().to_owned()).filter(|document| !document.is_empty()).collect()
}

fn invalid_utf8_program() -> Vec<u8> {
    let mut bytes = b"namespace shop {\n  group w\xe9b = app=web\n}\n".to_vec();
    bytes.extend_from_slice(CLEAN.as_bytes());
    bytes
}

/// The byte offset of the first invalid byte in [`invalid_utf8_program`].
const INVALID_UTF8_OFFSET: u64 = 26;

// ---------------------------------------------------------------- build

#[test]
fn build_writes_one_yaml_stream_to_stdout_by_default() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    let run = npg(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert!(run.stdout.contains("kind: NetworkPolicy"), "{}", run.stdout);
    assert!(run.stdout.contains("npg-default-deny"), "{}", run.stdout);
    assert!(documents(&run.stdout).len() >= 3, "default-deny, web and api policies:\n{}", run.stdout);
    assert_eq!(npg(dir.path(), &["build", ".", "-o", "-"]).stdout, run.stdout);
}

#[test]
fn build_into_a_folder_writes_one_folder_per_namespace_and_a_kustomization() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    let run = npg(dir.path(), &["build", "shop.npg", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "nothing on stdout when writing a folder");

    let files = tree(&dir.path().join("out"));
    let kustomization: serde_yaml::Value =
        serde_yaml::from_slice(files.get("kustomization.yaml").expect("a kustomization.yaml")).unwrap();
    assert_eq!(kustomization["kind"], serde_yaml::Value::from("Kustomization"));
    let resources: Vec<String> = kustomization["resources"]
        .as_sequence()
        .expect("a list of resources")
        .iter()
        .map(|resource| resource.as_str().unwrap().to_owned())
        .collect();
    let mut sorted = resources.clone();
    sorted.sort();
    assert_eq!(resources, sorted, "resources are sorted");
    let manifests: Vec<String> = files.keys().filter(|name| *name != "kustomization.yaml").cloned().collect();
    assert_eq!(manifests, resources, "every manifest is listed, and nothing else is written");
    assert!(manifests.iter().all(|name| name.starts_with("shop/") && name.ends_with(".yaml")), "{manifests:?}");
    assert!(manifests.contains(&"shop/networkpolicy-npg-default-deny.yaml".to_owned()), "{manifests:?}");

    let stream = npg(dir.path(), &["build", "shop.npg"]).stdout;
    let mut from_stream = documents(&stream);
    from_stream.sort();
    let mut from_folder: Vec<String> =
        manifests.iter().map(|name| String::from_utf8(files[name].clone()).unwrap().trim().to_owned()).collect();
    from_folder.sort();
    assert_eq!(from_folder, from_stream, "the folder holds the same documents as the stream");
}

#[test]
fn build_with_errors_writes_nothing_and_exits_1() {
    let dir = folder_with(&[("shop.npg", UNKNOWN_NAME.as_bytes())]);
    let run = npg(dir.path(), &["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("error[NPG0201]"), "{}", run.stderr);
    assert!(run.stderr.contains("shop.npg:5:"), "{}", run.stderr);

    let run = npg(dir.path(), &["build", "-o", "out"]);
    assert_eq!(run.code, 1);
    assert!(!dir.path().join("out").exists());
    assert_eq!(names(dir.path()), ["shop.npg"], "no temporary files left");
}

#[test]
fn build_with_errors_leaves_the_previous_output_folder_untouched() {
    let dir = folder_with(&[("src/shop.npg", CLEAN.as_bytes())]);
    assert_eq!(npg(dir.path(), &["build", "src", "-o", "out"]).code, 0);
    let before = tree(&dir.path().join("out"));

    for broken in [UNKNOWN_NAME.as_bytes(), &invalid_utf8_program()] {
        fs::write(dir.path().join("src/shop.npg"), broken).unwrap();
        let run = npg(dir.path(), &["build", "src", "-o", "out"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(tree(&dir.path().join("out")), before);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "only src/ and out/ remain");
    }
}

#[test]
fn an_unreadable_file_stops_the_build_before_anything_is_written() {
    let dir = folder_with(&[("a.npg", &invalid_utf8_program()), ("b.npg", b"")]);
    let run = npg(dir.path(), &["build", "-o", "out"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn build_replaces_its_own_output_folder_whole() {
    let dir = folder_with(&[("src/shop.npg", CLEAN.as_bytes())]);
    assert_eq!(npg(dir.path(), &["build", "src", "-o", "out"]).code, 0);
    let first = tree(&dir.path().join("out"));
    write_files(dir.path(), &[("out/shop/stale.yaml", b"kind: ConfigMap\n")]);

    let run = npg(dir.path(), &["build", "src", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(&dir.path().join("out")), first, "stale files are gone");
    let mut top: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["out", "src"], "no temporary folders left beside the output");
}

#[test]
fn build_refuses_to_replace_a_folder_it_did_not_write() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes()), ("docs/notes.txt", b"keep me")]);
    let run = npg(dir.path(), &["build", "shop.npg", "-o", "docs"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("refusing to replace `docs`"), "{}", run.stderr);
    assert!(run.stderr.contains("kustomization.yaml"), "says why: {}", run.stderr);
    assert_eq!(names(dir.path()), ["docs/notes.txt", "shop.npg"]);

    let run = npg(dir.path(), &["build", "shop.npg", "-o", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(names(dir.path()), ["docs/notes.txt", "shop.npg"]);
}

#[test]
fn build_into_an_empty_or_new_nested_folder_works() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    fs::create_dir(dir.path().join("empty")).unwrap();
    assert_eq!(npg(dir.path(), &["build", "shop.npg", "-o", "empty"]).code, 0);
    assert!(dir.path().join("empty/kustomization.yaml").is_file());
    assert_eq!(npg(dir.path(), &["build", "shop.npg", "-o", "deploy/manifests/"]).code, 0);
    assert!(dir.path().join("deploy/manifests/kustomization.yaml").is_file());
}

#[test]
fn build_into_a_path_that_is_a_file_fails_with_2() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes()), ("out", b"not a folder")]);
    let run = npg(dir.path(), &["build", "shop.npg", "-o", "out"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a folder"), "{}", run.stderr);
    assert_eq!(fs::read(dir.path().join("out")).unwrap(), b"not a folder");
}

#[test]
fn warnings_are_printed_and_do_not_stop_a_build() {
    let dir = folder_with(&[("shop.npg", WARNS.as_bytes())]);
    let run = npg(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning[NPG0501]"), "{}", run.stderr);
    assert!(run.stderr.contains("warning: 1 warning found in 1 file"), "{}", run.stderr);
    assert!(run.stdout.contains("kind: NetworkPolicy"), "{}", run.stdout);
}

#[test]
fn output_is_the_same_whatever_the_order_of_arguments_or_files() {
    let split: [(&str, &[u8]); 3] = [
        ("policies/namespaces.npg", b"namespace shop {\n  group web = app=web\n  group api = app=api\n}\n"),
        ("policies/rules/web.npg", b"group web may reach api:8080, kube-dns\n"),
        ("policies/rules/api.npg", b"group api may reach kube-dns\n"),
    ];
    let first = folder_with(&split);
    let mut reversed = split;
    reversed.reverse();
    let second = folder_with(&reversed);

    let reference = npg(first.path(), &["build", "policies"]);
    assert_eq!(reference.code, 0, "{}", reference.stderr);
    assert!(!reference.stdout.is_empty());
    let orders: [&[&str]; 3] = [
        &["build", "policies/rules", "policies/namespaces.npg"],
        &["build", "policies/rules/web.npg", "policies/rules/api.npg", "policies/namespaces.npg"],
        &["build", "./policies/rules/", "./policies/namespaces.npg", "policies"],
    ];
    for args in orders {
        assert_eq!(npg(first.path(), args).stdout, reference.stdout, "{args:?}");
    }
    assert_eq!(npg(second.path(), &["build", "policies"]).stdout, reference.stdout, "a copy made in another order");

    assert_eq!(npg(first.path(), &["build", "policies", "-o", "out"]).code, 0);
    assert_eq!(npg(second.path(), &["build", "./policies/", "-o", "out"]).code, 0);
    assert_eq!(tree(&first.path().join("out")), tree(&second.path().join("out")));
}

// ---------------------------------------------------------------- check

#[test]
fn check_exit_codes_follow_errors_and_denied_warnings() {
    let clean = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    let run = npg(clean.path(), &["check"]);
    assert_eq!((run.code, run.stderr.as_str(), run.stdout.as_str()), (0, "", ""));
    assert_eq!(npg(clean.path(), &["check", "--deny-warnings"]).code, 0);

    let warns = folder_with(&[("shop.npg", WARNS.as_bytes())]);
    assert_eq!(npg(warns.path(), &["check"]).code, 0);
    let denied = npg(warns.path(), &["check", "--deny-warnings"]);
    assert_eq!(denied.code, 1);
    assert!(denied.stderr.contains("warning[NPG0501]"), "{}", denied.stderr);

    let broken = folder_with(&[("shop.npg", UNKNOWN_NAME.as_bytes())]);
    let run = npg(broken.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[NPG0201]: "), "{}", run.stderr);
    assert!(run.stderr.ends_with(" found in 1 file\n"), "ends with a summary: {}", run.stderr);
    assert!(run.stderr.contains("\nerror: 1 error"), "{}", run.stderr);
}

#[test]
fn check_reports_syntax_errors_with_their_code() {
    let dir = folder_with(&[("shop.npg", SYNTAX_ERROR.as_bytes())]);
    let run = npg(dir.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[NPG01"), "{}", run.stderr);
    assert!(run.stderr.contains("shop.npg:3:"), "{}", run.stderr);
}

#[test]
fn check_json_lists_each_diagnostic_with_its_place() {
    let dir = folder_with(&[("policies/shop.npg", UNKNOWN_NAME.as_bytes())]);
    let run = npg(dir.path(), &["check", "./policies", "--format", "json"]);
    assert_eq!(run.code, 1);
    let diagnostics: Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostic = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .find(|diagnostic| diagnostic["code"] == "NPG0201")
        .unwrap_or_else(|| panic!("no NPG0201 in {diagnostics:#}"));
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["file"], "policies/shop.npg");
    assert_eq!(diagnostic["start"]["line"], 5);
    assert_eq!(diagnostic["start"]["column"], 21);
    let start = UNKNOWN_NAME.find("apl").unwrap();
    assert_eq!(diagnostic["span"]["start"], start);
    for field in ["message", "end", "labels", "help", "fix"] {
        assert!(diagnostic.get(field).is_some(), "{field} in {diagnostic:#}");
    }
    assert_eq!(run.stderr, "", "JSON goes to stdout alone");

    let clean = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    assert_eq!(npg(clean.path(), &["check", "--format", "json"]).stdout, "[]\n");
}

#[test]
fn check_json_places_invalid_utf8_at_the_first_bad_byte() {
    let dir = folder_with(&[("policies/bad.npg", &invalid_utf8_program())]);
    let run = npg(dir.path(), &["check", "./policies/", "--format", "json"]);
    assert_eq!(run.code, 1);
    let diagnostics: Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "NPG0001");
    assert_eq!(diagnostic["file"], "policies/bad.npg", "the path as given, without `./`");
    assert_eq!(diagnostic["span"]["start"], INVALID_UTF8_OFFSET);
    assert_eq!(diagnostic["start"], serde_json::json!({ "line": 2, "column": 10 }));
}

#[test]
fn check_sarif_has_the_fields_code_scanning_needs() {
    let dir = folder_with(&[("policies/shop.npg", UNKNOWN_NAME.as_bytes())]);
    let run = npg(dir.path(), &["check", "policies", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif"));
    let run_log = &log["runs"][0];
    assert_eq!(run_log["tool"]["driver"]["name"], "npg");
    let rules = run_log["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|rule| rule["id"] == "NPG0201"), "{rules:?}");
    let result = run_log["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "NPG0201")
        .unwrap_or_else(|| panic!("no NPG0201 result in {run_log:#}"));
    assert_eq!(result["level"], "error");
    assert!(result["message"]["text"].as_str().is_some_and(|text| !text.is_empty()));
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "policies/shop.npg");
    assert_eq!(physical["region"]["startLine"], 5);
    assert_eq!(physical["region"]["startColumn"], 21);
    assert_eq!(physical["region"]["endColumn"], 24);
}

#[test]
fn check_sarif_reports_unreadable_files_too() {
    let dir = folder_with(&[("bad.npg", &invalid_utf8_program())]);
    let run = npg(dir.path(), &["check", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "NPG0001");
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "bad.npg");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
}

// ---------------------------------------------------------------- fmt

#[test]
fn fmt_check_lists_files_that_would_change_and_fmt_rewrites_them() {
    let dir = folder_with(&[("a/messy.npg", MESSY.as_bytes()), ("a/clean.npg", CLEAN.as_bytes())]);
    let clean_before = fs::read(dir.path().join("a/clean.npg")).unwrap();

    let run = npg(dir.path(), &["fmt", "--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "a/messy.npg\n");
    assert_eq!(fs::read_to_string(dir.path().join("a/messy.npg")).unwrap(), MESSY, "--check writes nothing");

    let run = npg(dir.path(), &["fmt", "a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let formatted = fs::read_to_string(dir.path().join("a/messy.npg")).unwrap();
    assert_ne!(formatted, MESSY);
    assert!(formatted.contains("group web may reach api:8080, kube-dns\n"), "{formatted}");
    assert_eq!(fs::read(dir.path().join("a/clean.npg")).unwrap(), clean_before);

    let run = npg(dir.path(), &["fmt", "--check"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "formatting is stable: {}", run.stderr);
    assert_eq!(names(dir.path()), ["a/clean.npg", "a/messy.npg"], "no temporary files left");

    let built_from_formatted = npg(dir.path(), &["build", "a/messy.npg"]).stdout;
    let original = folder_with(&[("a/messy.npg", MESSY.as_bytes())]);
    let built_from_original = npg(original.path(), &["build", "a/messy.npg"]).stdout;
    let without_source_lines =
        |yaml: &str| yaml.lines().filter(|line| !line.contains("messy.npg")).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        without_source_lines(&built_from_formatted),
        without_source_lines(&built_from_original),
        "formatting does not change what the program means"
    );
}

#[test]
fn fmt_leaves_files_with_syntax_errors_alone_and_reports_them() {
    let dir = folder_with(&[("broken.npg", SYNTAX_ERROR.as_bytes()), ("messy.npg", MESSY.as_bytes())]);
    let run = npg(dir.path(), &["fmt"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[NPG01"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.npg:3:"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(dir.path().join("broken.npg")).unwrap(), SYNTAX_ERROR);
    assert_ne!(fs::read_to_string(dir.path().join("messy.npg")).unwrap(), MESSY, "other files are still formatted");
}

#[test]
fn fmt_does_not_touch_a_file_that_is_not_utf8() {
    let bytes = invalid_utf8_program();
    let dir = folder_with(&[("bad.npg", &bytes)]);
    let run = npg(dir.path(), &["fmt"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[NPG0001]"), "{}", run.stderr);
    assert_eq!(fs::read(dir.path().join("bad.npg")).unwrap(), bytes);
}

// ---------------------------------------------------------------- bad input

#[test]
fn a_missing_path_is_an_io_error() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    for command in ["build", "check", "fmt"] {
        let run = npg(dir.path(), &[command, "shop.npg", "missing.npg"]);
        assert_eq!(run.code, 2, "{command}");
        assert_eq!(run.stderr, "error: cannot read `missing.npg`: no such file or folder\n", "{command}");
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn a_folder_without_npg_files_is_an_io_error() {
    let dir = folder_with(&[("docs/readme.md", b"# docs"), ("docs/.hidden/x.npg", CLEAN.as_bytes())]);
    for command in ["build", "check", "fmt"] {
        let run = npg(dir.path(), &[command, "docs"]);
        assert_eq!(run.code, 2, "{command}");
        assert!(run.stderr.contains("no `.npg` files in `docs`"), "{}", run.stderr);
    }
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(npg(empty.path(), &["check"]).code, 2, "the current folder by default");
}

#[test]
fn hidden_folders_are_skipped() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes()), (".git/broken.npg", &invalid_utf8_program())]);
    let run = npg(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn non_utf8_bytes_are_reported_at_the_first_bad_byte() {
    let dir = folder_with(&[("bad.npg", &invalid_utf8_program())]);
    let run = npg(dir.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("error[NPG0001]: `bad.npg` is not valid UTF-8\n"), "{}", run.stderr);
    assert!(run.stderr.contains("bad.npg:2:10"), "{}", run.stderr);
    assert!(run.stderr.contains("0xE9"), "{}", run.stderr);
}

#[test]
fn a_file_over_16_mib_is_refused_without_reading_it() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    let big = fs::File::create(dir.path().join("huge.npg")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    let run = npg(dir.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[NPG0002]"), "{}", run.stderr);
    assert!(run.stderr.contains("16 MiB"), "says the limit: {}", run.stderr);
    assert!(run.stderr.contains("split"), "suggests splitting: {}", run.stderr);
    assert_eq!(npg(dir.path(), &["build"]).stdout, "");
}

#[test]
fn ten_thousand_nested_braces_are_a_syntax_error_not_a_crash() {
    let mut text = "namespace a ".to_owned();
    text.push_str(&"{".repeat(10_000));
    text.push_str(&"}".repeat(10_000));
    text.push('\n');
    let dir = folder_with(&[("deep.npg", text.as_bytes())]);
    for command in ["check", "build", "fmt"] {
        let run = npg(dir.path(), &[command]);
        assert_eq!(run.code, 1, "{command}: {}", run.stderr);
        assert!(run.stderr.contains("error[NPG01"), "{command}: {}", run.stderr);
    }
    assert_eq!(fs::read_to_string(dir.path().join("deep.npg")).unwrap(), text);
}

#[test]
fn binary_garbage_is_reported_not_a_crash() {
    let mut state: u32 = 0x9e37_79b9;
    let mut random = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let garbage: Vec<u8> = (0..65_536).map(|_| random().to_le_bytes()[0]).collect();
    let ascii_garbage: Vec<u8> = (0..65_536).map(|_| random().to_le_bytes()[0] & 0x7f).collect();
    let dir = folder_with(&[("garbage.npg", &garbage)]);
    let run = npg(dir.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[NPG0001]"), "{}", run.stderr);

    let dir = folder_with(&[("garbage.npg", &ascii_garbage)]);
    let run = npg(dir.path(), &["check", "--color", "never"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "control characters of the file never reach the terminal");
    assert_eq!(npg(dir.path(), &["build"]).stdout, "");
}

#[test]
fn an_empty_file_is_a_valid_empty_program() {
    let dir = folder_with(&[("empty.npg", b"")]);
    let run = npg(dir.path(), &["build"]);
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    let run = npg(dir.path(), &["check"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

// ---------------------------------------------------------------- usage

#[test]
fn usage_errors_exit_2() {
    let dir = folder_with(&[("shop.npg", CLEAN.as_bytes())]);
    for args in [
        &["build", "--bogus"][..],
        &["frobnicate"],
        &["check", "--format", "xml"],
        &["--color", "sometimes", "check"],
        &[],
    ] {
        let run = npg(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_shows_examples() {
    let dir = tempfile::tempdir().unwrap();
    let run = npg(dir.path(), &["--help"]);
    assert_eq!(run.code, 0);
    for command in ["build", "check", "fmt"] {
        assert!(run.stdout.contains(command), "{}", run.stdout);
        let run = npg(dir.path(), &[command, "--help"]);
        assert_eq!(run.code, 0);
        assert!(run.stdout.contains("Examples:"), "{command}: {}", run.stdout);
    }
    assert_eq!(npg(dir.path(), &["--version"]).code, 0);
}

#[test]
fn colour_follows_the_color_flag() {
    let dir = folder_with(&[("bad.npg", &invalid_utf8_program())]);
    let always = npg(dir.path(), &["--color", "always", "check"]);
    assert!(always.stderr.contains("\u{1b}["), "{}", always.stderr);
    let never = npg(dir.path(), &["check", "--color", "never"]);
    assert!(!never.stderr.contains('\u{1b}'), "{}", never.stderr);
    let auto = npg(dir.path(), &["check"]);
    assert!(!auto.stderr.contains('\u{1b}'), "stderr is not a terminal here: {}", auto.stderr);
    assert_eq!(auto.stderr, never.stderr);
}

#[test]
fn diagnostics_name_files_by_the_path_given() {
    let dir = folder_with(&[("policies/team/bad.npg", &invalid_utf8_program())]);
    let cases: [(&[&str], &str); 3] = [
        (&["check", "./policies"], "policies/team/bad.npg"),
        (&["check", "policies/team/"], "policies/team/bad.npg"),
        (&["check", "./policies/team/bad.npg"], "policies/team/bad.npg"),
    ];
    for (args, shown) in cases {
        let run = npg(dir.path(), args);
        assert!(run.stderr.contains(&format!("`{shown}` is not valid UTF-8")), "{args:?}: {}", run.stderr);
    }
    let inside = npg(&dir.path().join("policies"), &["check"]);
    assert!(inside.stderr.contains("`team/bad.npg` is not valid UTF-8"), "{}", inside.stderr);
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang() {
    let dir = folder_with(&[("policies/shop.npg", CLEAN.as_bytes())]);
    std::os::unix::fs::symlink(dir.path().join("policies"), dir.path().join("policies/again")).unwrap();
    let run = npg(dir.path(), &["check", "policies"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
