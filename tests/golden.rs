//! Golden tests: the colourless rendering of every diagnostic fixture, and the
//! manifests of every example, compared byte for byte with the files kept in
//! the repository. `NPG_BLESS=1 cargo test --test golden` rewrites them all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{first_difference, npg, root};
use npg_compiler::{Code, Severity};

mod common;

/// Codes no file's text can trigger: the test writes their input itself
/// (`generated_*` tests below) and keeps only the `.diag` golden.
const GENERATED_FIXTURES: &[(Code, &str)] =
    &[(Code::InvalidUtf8, "NPG0001-invalid-utf8"), (Code::FileTooLarge, "NPG0002-file-too-large")];

/// The examples the repository ships; each is a folder of `examples/`.
const EXAMPLES: &[&str] = &["pci", "platform", "webshop"];

/// npg refuses files larger than 16 MiB; the generated input is 17 MiB.
const OVERSIZED_FILE_BYTES: usize = 17 * 1024 * 1024;

fn fixtures_dir() -> PathBuf {
    root().join("tests/fixtures/diagnostics")
}

fn blessing() -> bool {
    std::env::var("NPG_BLESS").is_ok_and(|value| value == "1")
}

/// What a `.diag` golden holds: stderr, then a last line with the exit code.
fn transcript(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    match output.status.code() {
        Some(code) => writeln!(text, "exit: {code}").unwrap(),
        None => text.push_str("exit: killed by a signal\n"),
    }
    text
}

/// `npg check --color never FILE` (for a `.yaml` manifest, `npg analyze`), run
/// beside the file so that the rendering names it without any machine-specific folder.
fn check_rendering(dir: &Path, file_name: &str) -> (String, Output) {
    let command = if file_name.ends_with(".yaml") { "analyze" } else { "check" };
    let output = npg(dir, &[command, "--color", "never", file_name]);
    (transcript(&output), output)
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// Compares `actual` with the golden file, or rewrites it when blessing.
/// Returns a description of the mismatch, if any.
fn compare_with_golden(golden: &Path, actual: &str) -> Option<String> {
    if blessing() {
        fs::write(golden, actual).expect("golden is writable");
        return None;
    }
    match fs::read_to_string(golden) {
        Err(_) => Some(format!(
            "{} is missing; run `NPG_BLESS=1 cargo test --test golden` to write it, then review it",
            relative(golden)
        )),
        Ok(expected) if expected != actual => Some(format!(
            "{} differs from what npg prints now; at {}\n--- full actual output ---\n{actual}",
            relative(golden),
            first_difference(&expected, actual)
        )),
        Ok(_) => None,
    }
}

fn fail_on(problems: &[String]) {
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}

/// The fixtures, by file stem (`NPG0201-unknown-name`), sorted: `.npg` programs,
/// and `.yaml` manifests for the codes of `npg analyze`.
fn fixture_stems() -> Vec<String> {
    fixture_files().into_iter().map(|(stem, _)| stem).collect()
}

/// The fixtures as (stem, file name), sorted by stem.
fn fixture_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/diagnostics exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "npg" || extension == "yaml"))
        .map(|path| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, path.file_name().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    files.sort();
    files
}

fn code_named(text: &str) -> Option<Code> {
    Code::ALL.iter().copied().find(|code| code.as_str() == text)
}

/// The code a fixture is named after: `NPG0201-unknown-name` → `NPG0201`.
fn fixture_code(stem: &str) -> Option<Code> {
    let (code, slug) = stem.split_once('-')?;
    let slug_is_plain =
        !slug.is_empty() && slug.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if slug_is_plain { code_named(code) } else { None }
}

/// Checks a rendering against its golden and against what its name promises:
/// the code appears, and npg exits 1 for an error and 0 for a warning.
fn check_fixture_output(stem: &str, code: Code, rendering: &str, output: &Output, problems: &mut Vec<String>) {
    if !rendering.contains(code.as_str()) {
        problems.push(format!("{stem}: npg did not report {code}; it printed:\n{rendering}"));
    }
    let expected_exit = match code.severity() {
        Severity::Error => 1,
        Severity::Warning => 0,
    };
    if output.status.code() != Some(expected_exit) {
        problems.push(format!("{stem}: expected exit {expected_exit} for a {code:?}; it printed:\n{rendering}"));
    }
    if let Some(problem) = compare_with_golden(&fixtures_dir().join(format!("{stem}.diag")), rendering) {
        problems.push(problem);
    }
}

#[test]
fn every_diagnostic_fixture_renders_as_its_golden() {
    let mut problems = Vec::new();
    for (stem, file_name) in fixture_files() {
        let Some(code) = fixture_code(&stem) else {
            problems.push(format!("{file_name} is not named <known code>-<lowercase-slug>.npg (or .yaml)"));
            continue;
        };
        let text = fs::read_to_string(fixtures_dir().join(&file_name)).unwrap();
        if !text.starts_with(&format!("# {code}")) {
            problems.push(format!("{file_name} must open with a `# {code}` comment saying what it shows"));
        }
        let (rendering, output) = check_rendering(&fixtures_dir(), &file_name);
        check_fixture_output(&stem, code, &rendering, &output, &mut problems);
    }
    fail_on(&problems);
}

#[test]
fn every_golden_rendering_has_its_fixture() {
    let stems: BTreeSet<String> = fixture_stems().into_iter().collect();
    let generated: BTreeSet<&str> = GENERATED_FIXTURES.iter().map(|(_, stem)| *stem).collect();
    let orphans: Vec<String> = fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "diag"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|stem| !stems.contains(stem) && !generated.contains(stem.as_str()))
        .collect();
    assert!(orphans.is_empty(), "golden renderings without a fixture (remove them): {orphans:?}");
}

#[test]
fn every_code_has_a_fixture_or_a_generated_one() {
    let covered: BTreeSet<Code> = fixture_stems().iter().filter_map(|stem| fixture_code(stem)).collect();
    let generated: BTreeSet<Code> = GENERATED_FIXTURES.iter().map(|(code, _)| *code).collect();
    let mut problems = Vec::new();
    for &code in Code::ALL {
        let exception = generated.contains(&code);
        if !covered.contains(&code) && !exception {
            problems.push(format!("{code} ({code:?}) has no fixture in tests/fixtures/diagnostics"));
        }
        if covered.contains(&code) && exception {
            problems
                .push(format!("{code} ({code:?}) has a fixture now: take it off the exceptions in tests/golden.rs"));
        }
    }
    fail_on(&problems);
}

/// Runs `npg check` on a file the test writes, then checks it like a fixture.
fn check_generated_fixture(code: Code, contents: &[u8]) {
    let (_, stem) = GENERATED_FIXTURES.iter().find(|(listed, _)| *listed == code).expect("listed");
    let dir = tempfile::tempdir().unwrap();
    let file_name = format!("{stem}.npg");
    fs::write(dir.path().join(&file_name), contents).unwrap();
    let (rendering, output) = check_rendering(dir.path(), &file_name);
    let mut problems = Vec::new();
    check_fixture_output(stem, code, &rendering, &output, &mut problems);
    fail_on(&problems);
}

#[test]
fn generated_fixture_invalid_utf8_is_reported_at_the_first_bad_byte() {
    // A comment saved in Latin-1: `é` is the single byte 0xE9.
    let mut contents = b"# Caf".to_vec();
    contents.push(0xE9);
    contents.extend_from_slice(b" team\nnamespace shop {\n  group web = app=web\n}\n");
    check_generated_fixture(Code::InvalidUtf8, &contents);
}

#[test]
fn generated_fixture_file_over_16_mib_is_refused() {
    let line = b"# a generated file that grew too large\n";
    let contents: Vec<u8> = line.iter().copied().cycle().take(OVERSIZED_FILE_BYTES).collect();
    check_generated_fixture(Code::FileTooLarge, &contents);
}

/// Every file under `dir`, by path relative to it with `/` separators.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, files);
            } else {
                let name = path
                    .strip_prefix(base)
                    .unwrap()
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

fn write_tree(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    if dir.exists() {
        fs::remove_dir_all(dir).unwrap();
    }
    for (name, contents) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
}

/// Differences between the golden tree and the one npg wrote, one line each.
fn compare_trees(golden: &BTreeMap<String, Vec<u8>>, actual: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut differences = Vec::new();
    for (name, expected) in golden {
        match actual.get(name) {
            None => differences.push(format!("missing: {name} (in the golden, not written by npg)")),
            Some(contents) if contents != expected => differences.push(format!(
                "differs: {name}, at {}",
                first_difference(&String::from_utf8_lossy(expected), &String::from_utf8_lossy(contents))
            )),
            Some(_) => {}
        }
    }
    for name in actual.keys().filter(|name| !golden.contains_key(*name)) {
        differences.push(format!("extra: {name} (written by npg, not in the golden)"));
    }
    differences
}

#[test]
fn examples_build_to_their_golden_manifests() {
    let mut problems = Vec::new();
    for example in EXAMPLES {
        let out = tempfile::tempdir().unwrap();
        let out_dir = out.path().join("manifests");
        let output = npg(&root(), &["build", &format!("examples/{example}"), "-o", out_dir.to_str().unwrap()]);
        if !output.status.success() {
            problems.push(format!("npg build examples/{example} failed:\n{}", transcript(&output)));
            continue;
        }
        let actual = read_tree(&out_dir);
        if actual.is_empty() {
            problems.push(format!("npg build examples/{example} wrote no files"));
            continue;
        }
        let golden_dir = root().join("examples").join(example).join("manifests");
        if blessing() {
            write_tree(&golden_dir, &actual);
            continue;
        }
        let golden = read_tree(&golden_dir);
        if golden.is_empty() {
            problems.push(format!(
                "examples/{example}/manifests is missing; run `NPG_BLESS=1 cargo test --test golden` to write it, then review it"
            ));
            continue;
        }
        let differences = compare_trees(&golden, &actual);
        if !differences.is_empty() {
            problems.push(format!(
                "examples/{example}/manifests is not what npg builds now:\n  {}",
                differences.join("\n  ")
            ));
        }
    }
    fail_on(&problems);
}

#[test]
fn every_shipped_example_is_listed() {
    let mut found: Vec<String> = fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, EXAMPLES, "examples/ and the EXAMPLES list in tests/golden.rs disagree");
}

/// The `## NPGxxxx` sections of docs/diagnostics.md, in order, with their text.
fn documented_sections(docs: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in docs.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let code = heading.split_whitespace().next().unwrap_or("").to_owned();
            sections.push((code, String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    sections
}

#[test]
fn every_code_is_documented_in_code_order_with_its_severity() {
    let docs = fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs/diagnostics.md exists");
    let sections = documented_sections(&docs);
    let documented: Vec<&str> = sections.iter().map(|(code, _)| code.as_str()).collect();
    let expected: Vec<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(documented, expected, "docs/diagnostics.md must have one `## CODE` section per code, in code order");
    let mut problems = Vec::new();
    for ((_, body), code) in sections.iter().zip(Code::ALL) {
        let severity = match code.severity() {
            Severity::Error => "**Severity:** error",
            Severity::Warning => "**Severity:** warning",
        };
        if !body.contains(severity) {
            problems.push(format!("{code}: its section must say `{severity}`"));
        }
        for part in ["**Example", "**Fix:**"] {
            if !body.contains(part) {
                problems.push(format!("{code}: its section has no `{part}`"));
            }
        }
    }
    fail_on(&problems);
}
