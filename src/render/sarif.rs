//! Diagnostics as SARIF 2.1.0, the format code scanning services read: one run
//! of the `npg` tool, one rule per diagnostic code used, one result per
//! diagnostic with its location, related locations and fixes.

use std::collections::{BTreeMap, BTreeSet};

use npg_compiler::diagnostic::{Label, Severity, TextEdit};
use npg_compiler::{Code, Diagnostic};
use serde_json::{Value, json};

use super::{Positions, Sources};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const DOCS: &str = "docs/diagnostics.md";

/// The diagnostics as one pretty-printed SARIF log, ending with a newline.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources<'_>) -> String {
    let codes: BTreeSet<Code> = diagnostics.iter().map(|diagnostic| diagnostic.code).collect();
    let rule_index: BTreeMap<Code, usize> = codes.iter().enumerate().map(|(index, &code)| (code, index)).collect();
    let rules: Vec<Value> = codes.iter().map(|&code| rule(code)).collect();

    let mut positions = Positions::new(sources);
    let mut occurrences: BTreeMap<String, usize> = BTreeMap::new();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let identity =
                format!("{}\u{0}{}\u{0}{}", diagnostic.code, diagnostic.primary.location.file, diagnostic.message);
            let occurrence = occurrences.entry(identity.clone()).or_default();
            *occurrence += 1;
            let fingerprint = format!("{:016x}:{}", fnv1a(identity.as_bytes()), occurrence);
            result(diagnostic, rule_index.get(&diagnostic.code).copied().unwrap_or(0), fingerprint, &mut positions)
        })
        .collect();

    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "npg",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

fn rule(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "name": rule_name(code),
        "shortDescription": { "text": code.summary() },
        "fullDescription": { "text": code.summary() },
        "help": {
            "text": format!("{} See {DOCS} in the npg repository, under {}.", code.summary(), code.as_str()),
        },
        "helpUri": format!("{}/blob/main/{DOCS}#{}", env!("CARGO_PKG_REPOSITORY"), code.as_str().to_lowercase()),
        "defaultConfiguration": { "level": level(code.severity()) },
    })
}

/// The code's variant name, e.g. `UnknownName`, as a SARIF rule name.
fn rule_name(code: Code) -> String {
    format!("{code:?}")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn result(diagnostic: &Diagnostic, rule_index: usize, fingerprint: String, positions: &mut Positions<'_, '_>) -> Value {
    let related: Vec<Value> = diagnostic
        .secondary
        .iter()
        .enumerate()
        .map(|(id, label)| {
            let mut location = json!({
                "id": id,
                "physicalLocation": physical_location(label, positions),
            });
            if !label.message.is_empty()
                && let Some(object) = location.as_object_mut()
            {
                object.insert("message".into(), json!({ "text": label.message }));
            }
            location
        })
        .collect();

    let mut location = json!({ "physicalLocation": physical_location(&diagnostic.primary, positions) });
    if !diagnostic.primary.message.is_empty()
        && let Some(object) = location.as_object_mut()
    {
        object.insert("message".into(), json!({ "text": diagnostic.primary.message }));
    }

    let mut result = json!({
        "ruleId": diagnostic.code.as_str(),
        "ruleIndex": rule_index,
        "level": level(diagnostic.severity),
        "message": { "text": message_text(diagnostic) },
        "locations": [location],
        "partialFingerprints": { "npgResultHash/v1": fingerprint },
    });
    let Some(object) = result.as_object_mut() else {
        return result;
    };
    if !related.is_empty() {
        object.insert("relatedLocations".into(), Value::Array(related));
    }
    if let Some(fix) = &diagnostic.fix {
        let mut by_file: BTreeMap<&str, Vec<&TextEdit>> = BTreeMap::new();
        for edit in &fix.edits {
            by_file.entry(&edit.location.file).or_default().push(edit);
        }
        let changes: Vec<Value> = by_file
            .into_iter()
            .map(|(file, edits)| {
                let replacements: Vec<Value> = edits
                    .into_iter()
                    .map(|edit| {
                        json!({
                            "deletedRegion": region(positions, file, edit.location.span),
                            "insertedContent": { "text": edit.replacement },
                        })
                    })
                    .collect();
                json!({ "artifactLocation": { "uri": uri(file) }, "replacements": replacements })
            })
            .collect();
        object.insert("fixes".into(), json!([{ "description": { "text": fix.title }, "artifactChanges": changes }]));
    }
    result
}

/// The message, with the help appended so code scanning shows it too.
fn message_text(diagnostic: &Diagnostic) -> String {
    match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    }
}

fn physical_location(label: &Label, positions: &mut Positions<'_, '_>) -> Value {
    json!({
        "artifactLocation": { "uri": uri(&label.location.file) },
        "region": region(positions, &label.location.file, label.location.span),
    })
}

fn region(positions: &mut Positions<'_, '_>, file: &str, span: npg_grammar::Span) -> Value {
    let (start, end) = positions.range(file, span);
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

/// A file's path as a URI reference: relative paths stay relative (forward
/// slashes), absolute ones become `file://` URIs; characters outside the
/// unreserved set are percent-encoded.
pub fn uri(file: &str) -> String {
    let mut encoded = String::with_capacity(file.len());
    if file.starts_with('/') {
        encoded.push_str("file://");
    }
    for byte in file.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(char::from(byte))
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

/// The 64-bit FNV-1a hash: small, stable across platforms and releases.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use npg_compiler::diagnostic::Location;
    use npg_grammar::Span;

    fn location(file: &str, text: &str, needle: &str) -> Location {
        let start = text.find(needle).unwrap();
        Location { file: file.into(), span: Span::new(start, start + needle.len()) }
    }

    fn sample() -> (Vec<Diagnostic>, String) {
        let text = "group web = app=wéb\ngroup web = app=api\ngroup fronend may reach web\n".to_owned();
        let diagnostics = vec![
            Diagnostic::new(
                Code::DuplicateDeclaration,
                location("dir/a b.npg", &text, "web = app=api"),
                "group `web` is declared twice",
            )
            .with_label("declared again")
            .with_secondary(location("dir/a b.npg", &text, "web"), "first declared here"),
            Diagnostic::new(Code::UnknownName, location("dir/a b.npg", &text, "fronend"), "unknown group `fronend`")
                .with_replacement("did you mean `frontend`?", "frontend"),
            Diagnostic::new(Code::UnusedDeclaration, location("dir/a b.npg", &text, "group"), "unused"),
        ];
        (diagnostics, text)
    }

    fn log() -> Value {
        let (diagnostics, text) = sample();
        let mut sources = Sources::default();
        sources.insert("dir/a b.npg", &text);
        serde_json::from_str(&render(&diagnostics, &sources)).unwrap()
    }

    fn text_at<'v>(value: &'v Value, pointer: &str) -> &'v str {
        value.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no string at {pointer} in {value:#}"))
    }

    fn number_at(value: &Value, pointer: &str) -> u64 {
        value.pointer(pointer).and_then(Value::as_u64).unwrap_or_else(|| panic!("no number at {pointer} in {value:#}"))
    }

    /// The properties code scanning requires of an uploaded SARIF file.
    #[test]
    fn the_log_has_every_property_code_scanning_requires() {
        let log = log();
        assert!(text_at(&log, "/$schema").contains("sarif-2.1.0"));
        assert_eq!(text_at(&log, "/version"), "2.1.0");
        let runs = log["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        assert_eq!(text_at(run, "/tool/driver/name"), "npg");
        assert_eq!(text_at(run, "/tool/driver/version"), env!("CARGO_PKG_VERSION"));
        assert!(text_at(run, "/tool/driver/informationUri").starts_with("https://"));

        let rules = run.pointer("/tool/driver/rules").and_then(Value::as_array).unwrap();
        let ids: Vec<&str> = rules.iter().map(|rule| text_at(rule, "/id")).collect();
        assert_eq!(ids, ["NPG0201", "NPG0202", "NPG0501"], "one rule per code used, in code order");
        for rule in rules {
            assert!(!text_at(rule, "/shortDescription/text").is_empty());
            assert!(!text_at(rule, "/fullDescription/text").is_empty());
            assert!(!text_at(rule, "/help/text").is_empty());
            assert!(["error", "warning"].contains(&text_at(rule, "/defaultConfiguration/level")));
        }
        assert_eq!(text_at(&rules[0], "/shortDescription/text"), Code::UnknownName.summary());
        assert_eq!(text_at(&rules[2], "/defaultConfiguration/level"), "warning");

        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        for result in results {
            let rule_id = text_at(result, "/ruleId");
            let index = usize::try_from(number_at(result, "/ruleIndex")).unwrap();
            assert_eq!(text_at(&rules[index], "/id"), rule_id);
            assert!(["error", "warning"].contains(&text_at(result, "/level")));
            assert!(!text_at(result, "/message/text").is_empty());
            assert!(result["partialFingerprints"].as_object().is_some_and(|prints| !prints.is_empty()));
            let locations = result["locations"].as_array().unwrap();
            assert_eq!(locations.len(), 1);
            let physical = &locations[0]["physicalLocation"];
            assert_eq!(text_at(physical, "/artifactLocation/uri"), "dir/a%20b.npg");
            for field in ["startLine", "startColumn", "endLine", "endColumn"] {
                assert!(number_at(physical, &format!("/region/{field}")) >= 1, "{field}");
            }
        }
    }

    #[test]
    fn regions_secondary_labels_and_fixes_are_placed_by_line_and_character() {
        let log = log();
        let results = log.pointer("/runs/0/results").and_then(Value::as_array).unwrap();
        let duplicate = &results[0];
        let region = duplicate.pointer("/locations/0/physicalLocation/region").unwrap();
        assert_eq!(region, &json!({ "startLine": 2, "startColumn": 7, "endLine": 2, "endColumn": 20 }));
        let related = duplicate.pointer("/relatedLocations/0").unwrap();
        assert_eq!(text_at(related, "/message/text"), "first declared here");
        assert_eq!(number_at(related, "/physicalLocation/region/startLine"), 1);
        assert_eq!(number_at(related, "/physicalLocation/region/startColumn"), 7);

        let fix = results[1].pointer("/fixes/0").unwrap();
        assert_eq!(text_at(fix, "/description/text"), "did you mean `frontend`?");
        let change = fix.pointer("/artifactChanges/0").unwrap();
        assert_eq!(text_at(change, "/artifactLocation/uri"), "dir/a%20b.npg");
        assert_eq!(text_at(change, "/replacements/0/insertedContent/text"), "frontend");
        assert_eq!(
            change.pointer("/replacements/0/deletedRegion").unwrap(),
            &json!({ "startLine": 3, "startColumn": 7, "endLine": 3, "endColumn": 14 })
        );
    }

    #[test]
    fn a_clean_program_is_a_log_with_no_results_and_no_rules() {
        let log: Value = serde_json::from_str(&render(&[], &Sources::default())).unwrap();
        assert_eq!(log.pointer("/runs/0/results"), Some(&json!([])));
        assert_eq!(log.pointer("/runs/0/tool/driver/rules"), Some(&json!([])));
    }

    #[test]
    fn uris_are_relative_with_forward_slashes_or_file_uris() {
        assert_eq!(uri("policies/shop.npg"), "policies/shop.npg");
        assert_eq!(uri("/abs/ü.npg"), "file:///abs/%C3%BC.npg");
        assert_eq!(uri("../a#b.npg"), "../a%23b.npg");
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let fingerprints = |log: &Value| -> Vec<Value> {
            let results = log.pointer("/runs/0/results").and_then(Value::as_array).unwrap();
            results.iter().map(|result| result["partialFingerprints"].clone()).collect()
        };
        let prints = fingerprints(&log());
        let again = fingerprints(&log());
        assert_eq!(prints, again);
        assert_ne!(prints[0], prints[1]);
    }
}
