//! The text side of reading manifests: cutting a YAML stream into documents at its
//! `---` lines, reading one document (YAML or JSON) into a JSON value, and finding
//! where a field path such as `spec.ingress[0].from[1]` sits in a document's text.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, StructureStyle};

use crate::diagnostic::Span;

/// One document of a file: its text and where that text starts in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Document<'a> {
    pub text: &'a str,
    pub offset: usize,
}

impl Document<'_> {
    /// The span of the document's first line that holds something other than a
    /// comment or blanks: a short place to point at when nothing better is known.
    pub fn first_line(&self) -> Span {
        let mut start = 0;
        for line in self.text.split_inclusive('\n') {
            let content = line.trim();
            if !content.is_empty() && !content.starts_with('#') {
                let leading = line.len() - line.trim_start().len();
                return Span::new(self.offset + start + leading, self.offset + start + line.trim_end().len());
            }
            start += line.len();
        }
        Span::new(self.offset, self.offset)
    }

    /// Whether the document holds nothing but blanks and comments.
    pub fn is_blank(&self) -> bool {
        self.text.lines().all(|line| {
            let content = line.trim();
            content.is_empty() || content.starts_with('#')
        })
    }
}

/// The documents of a YAML stream, cut at lines that start with `---` followed by
/// nothing but blanks or a comment, as Kubernetes' own YAML reader cuts them.
pub fn split_yaml(text: &str) -> Vec<Document<'_>> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut position = 0;
    for line in text.split_inclusive('\n') {
        if is_separator(line) {
            documents.push(Document { text: text.get(start..position).unwrap_or_default(), offset: start });
            start = position + line.len();
        }
        position += line.len();
    }
    documents.push(Document { text: text.get(start..).unwrap_or_default(), offset: start });
    documents.retain(|document| !document.is_blank());
    documents
}

fn is_separator(line: &str) -> bool {
    line.strip_prefix("---").is_some_and(|rest| {
        let rest = rest.trim();
        rest.is_empty() || rest.starts_with('#')
    })
}

/// Why a document could not be read, and where (a span of the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxProblem {
    pub message: String,
    pub span: Span,
}

/// Reads a YAML document into a JSON value (`None` for an empty document).
/// serde-saphyr's budget refuses alias bombs and runaway nesting.
pub fn read_yaml(document: &Document) -> Result<Option<serde_json::Value>, SyntaxProblem> {
    serde_saphyr::from_str::<Option<serde_json::Value>>(document.text).map_err(|error| {
        let plain = error.without_snippet();
        let span = plain
            .location()
            .and_then(|location| {
                let line = usize::try_from(location.line()).ok()?;
                let column = usize::try_from(location.column()).ok()?;
                let start = char_offset_of(document.text, line, column)?;
                Some(Span::new(document.offset + start, document.offset + start + 1))
            })
            .unwrap_or_else(|| document.first_line());
        SyntaxProblem { message: without_position(&first_line_of(&plain.to_string())), span }
    })
}

/// Reads a JSON file into a value.
pub fn read_json(document: &Document) -> Result<serde_json::Value, SyntaxProblem> {
    serde_json::from_str::<serde_json::Value>(document.text).map_err(|error| {
        let offset = byte_offset_of(document.text, error.line(), error.column());
        let message = error.to_string();
        let message = without_position(&message);
        SyntaxProblem { message, span: Span::new(document.offset + offset, document.offset + offset + 1) }
    })
}

/// A message without its ` at line L, column C` ending: the span says where.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(end) => message.get(..end).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

/// The byte offset of a 1-based line and a 1-based column counted in characters,
/// when the text has that line.
fn char_offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let within = content.char_indices().nth(column.saturating_sub(1)).map_or(content.len(), |(at, _)| at);
            return Some((start + within).min(text.len().saturating_sub(1)));
        }
        start += content.len();
    }
    None
}

fn first_line_of(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// The byte offset of a 1-based line and column (columns counted in bytes, as
/// serde_json counts them), clamped to the text.
fn byte_offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize =
        text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>().min(text.len());
    (line_start + column.saturating_sub(1)).min(text.len().saturating_sub(1))
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// `spec.ingress[0].from[1].ipBlock.cidr` as steps; a key with dots is written
/// quoted in brackets: `matchLabels["app.kubernetes.io/name"]`.
pub fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            // `["a.b/c"]`: a quoted key; `[3]`: an index.
            let quoted = inner.starts_with('"');
            let close = if quoted { inner.find("\"]").map(|at| at + 1) } else { inner.find(']') };
            let Some(close) = close else { break };
            let inside = inner.get(..close).unwrap_or_default();
            if quoted {
                match serde_json::from_str::<String>(inside) {
                    Ok(key) => steps.push(Step::Key(key)),
                    Err(_) => break,
                }
            } else {
                match inside.parse() {
                    Ok(index) => steps.push(Step::Index(index)),
                    Err(_) => break,
                }
            }
            rest = inner.get(close + 1..).unwrap_or_default();
        } else if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            steps.push(Step::Key(rest.get(..end).unwrap_or_default().to_owned()));
            rest = rest.get(end..).unwrap_or_default();
        }
    }
    steps
}

/// Where each of `targets` sits in `document`, all found in one reading of it: for
/// a scalar in a mapping, its key and value (`cidr: A`); for a collection in a
/// mapping, its key (a flow collection up to its closing bracket); for a sequence
/// item, the item's first line. When a path goes deeper than the text (a field that
/// is absent), the deepest part that exists. `None` when not even the first step is
/// there, or the text does not parse.
pub fn locate_all(document: &Document, targets: &[Vec<Step>]) -> Vec<Option<Span>> {
    enum Frame {
        Mapping {
            path: Vec<Step>,
            key: Option<(String, usize, usize)>,
        },
        Sequence {
            path: Vec<Step>,
            next: usize,
        },
        /// A collection no target goes through, or one used as a mapping key.
        Ignored,
    }
    // Every prefix of every target, with the targets it leads to.
    let mut prefixes: HashMap<&[Step], Vec<usize>> = HashMap::new();
    for (index, target) in targets.iter().enumerate() {
        for length in 1..=target.len() {
            prefixes.entry(target.get(..length).unwrap_or_default()).or_default().push(index);
        }
    }
    let mut found: Vec<Option<(usize, Span)>> = vec![None; targets.len()];
    let mut exact = vec![false; targets.len()];
    // Flow collections that are targets, shown up to their closing bracket: the
    // depth of their frame, where their span starts, and the target.
    let mut closing: Vec<(usize, usize, usize)> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for event in Parser::new_from_str(document.text) {
        let Ok((event, span)) = event else { break };
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        let is_collection = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
        let is_node = is_collection || matches!(event, Event::Scalar(..) | Event::Alias(..));
        if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
            let depth = stack.len();
            for (_, shown_start, target) in closing.iter().filter(|(at, _, _)| *at == depth) {
                if let Some(slot) = found.get_mut(*target) {
                    *slot = Some((usize::MAX, Span::new(*shown_start, end)));
                }
            }
            closing.retain(|(at, _, _)| *at != depth);
            stack.pop();
            continue;
        }
        if !is_node {
            continue;
        }
        // Where this node sits: its path and the span to show for it.
        let placed = match stack.last_mut() {
            None => Some((Vec::new(), Span::new(start, end))),
            Some(Frame::Ignored) => None,
            Some(Frame::Mapping { path, key }) => match key.take() {
                None => {
                    if let Event::Scalar(text, ..) = &event {
                        *key = Some((text.to_string(), start, end));
                    } else if is_collection {
                        // A complex key, then its value: skip both.
                        *key = Some((String::new(), start, end));
                        stack.push(Frame::Ignored);
                    }
                    continue;
                }
                Some((name, key_start, key_end)) => {
                    let mut node_path = path.clone();
                    node_path.push(Step::Key(name));
                    let shown_end = if is_collection { key_end } else { end.max(key_end) };
                    Some((node_path, Span::new(key_start, shown_end)))
                }
            },
            Some(Frame::Sequence { path, next }) => {
                let mut node_path = path.clone();
                node_path.push(Step::Index(*next));
                *next += 1;
                let line_end = document.text.get(start..).and_then(|rest| rest.find('\n')).map_or(end, |at| start + at);
                Some((node_path, Span::new(start, if is_collection { line_end } else { end })))
            }
        };
        let Some((node_path, shown)) = placed else {
            if is_collection {
                stack.push(Frame::Ignored);
            }
            continue;
        };
        let leads_to = if node_path.is_empty() { None } else { prefixes.get(node_path.as_slice()) };
        if !node_path.is_empty() && leads_to.is_none() {
            if is_collection {
                stack.push(Frame::Ignored);
            }
            continue;
        }
        let is_flow = matches!(
            event,
            Event::MappingStart(StructureStyle::Flow, ..) | Event::SequenceStart(StructureStyle::Flow, ..)
        );
        for &target in leads_to.into_iter().flatten() {
            let length = targets.get(target).map_or(0, Vec::len);
            let (Some(slot), Some(done)) = (found.get_mut(target), exact.get_mut(target)) else { continue };
            if *done {
                continue;
            }
            if node_path.len() == length {
                *done = true;
                *slot = Some((usize::MAX, shown));
                if is_flow {
                    closing.push((stack.len() + 1, shown.start as usize, target));
                }
            } else if slot.is_none_or(|(depth, _)| depth < node_path.len()) {
                *slot = Some((node_path.len(), shown));
            }
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Mapping { path: node_path, key: None }),
            Event::SequenceStart(..) => stack.push(Frame::Sequence { path: node_path, next: 0 }),
            _ => {}
        }
    }
    found.into_iter().map(|slot| slot.map(|(_, span)| shift(span, document.offset))).collect()
}

fn shift(span: Span, offset: usize) -> Span {
    Span::new(span.start as usize + offset, span.end as usize + offset)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    fn locate(document: &Document, path: &[Step]) -> Option<Span> {
        locate_all(document, &[path.to_vec()]).into_iter().next().flatten()
    }

    fn shown(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    #[test]
    fn a_stream_is_cut_at_separator_lines_only() {
        let text = "# head\na: 1\n---\nb: 2\n--- # two\nc: '---'\n---\n\n---\n";
        let documents = split_yaml(text);
        let texts: Vec<&str> = documents.iter().map(|document| document.text).collect();
        assert_eq!(texts, ["# head\na: 1\n", "b: 2\n", "c: '---'\n"]);
        assert_eq!(&text[documents[1].offset..documents[1].offset + 4], "b: 2");
    }

    #[test]
    fn a_separator_with_content_after_it_does_not_cut() {
        let documents = split_yaml("a: 1\n---x: 2\n");
        assert_eq!(documents.len(), 1);
    }

    #[test]
    fn paths_are_read_as_keys_and_indexes() {
        assert_eq!(
            parse_path("spec.ingress[0].from[12].ipBlock"),
            [
                Step::Key("spec".into()),
                Step::Key("ingress".into()),
                Step::Index(0),
                Step::Key("from".into()),
                Step::Index(12),
                Step::Key("ipBlock".into()),
            ]
        );
        assert_eq!(
            parse_path(r#"spec.podSelector.matchLabels["a.b/c]"]"#),
            [
                Step::Key("spec".into()),
                Step::Key("podSelector".into()),
                Step::Key("matchLabels".into()),
                Step::Key("a.b/c]".into())
            ]
        );
    }

    const POLICY: &str = "kind: NetworkPolicy\nspec:\n  ingress:\n  - from:\n    - podSelector: {}\n    - ipBlock:\n        cidr: A\n  egress: [{to: [{}]}]\n";

    #[test]
    fn a_scalar_field_is_found_with_its_key() {
        let document = Document { text: POLICY, offset: 0 };
        let span = locate(&document, &parse_path("spec.ingress[0].from[1].ipBlock.cidr")).unwrap();
        assert_eq!(shown(POLICY, span), "cidr: A");
    }

    #[test]
    fn a_sequence_item_is_found_by_its_first_line() {
        let document = Document { text: POLICY, offset: 0 };
        let span = locate(&document, &parse_path("spec.ingress[0].from[1]")).unwrap();
        assert_eq!(shown(POLICY, span), "ipBlock:");
    }

    #[test]
    fn flow_collections_are_found_too() {
        let document = Document { text: POLICY, offset: 0 };
        let span = locate(&document, &parse_path("spec.egress[0].to[0]")).unwrap();
        assert_eq!(shown(POLICY, span), "{}");
        let span = locate(&document, &parse_path("spec.egress")).unwrap();
        assert_eq!(shown(POLICY, span), "egress: [{to: [{}]}]");
    }

    #[test]
    fn an_absent_field_falls_back_to_its_deepest_parent() {
        let document = Document { text: POLICY, offset: 0 };
        let span = locate(&document, &parse_path("spec.ingress[0].ports[0].port")).unwrap();
        assert_eq!(shown(POLICY, span), "from:");
    }

    #[test]
    fn several_paths_are_found_in_one_reading() {
        let document = Document { text: POLICY, offset: 0 };
        let targets = [
            parse_path("spec.egress"),
            parse_path("spec.ingress[0].from[1].ipBlock.cidr"),
            parse_path("metadata.name"),
            parse_path("kind"),
        ];
        let spans = locate_all(&document, &targets);
        let shown: Vec<Option<&str>> = spans.iter().map(|span| span.map(|span| shown(POLICY, span))).collect();
        assert_eq!(shown, [Some("egress: [{to: [{}]}]"), Some("cidr: A"), None, Some("kind: NetworkPolicy")]);
    }

    #[test]
    fn spans_are_offsets_in_the_file() {
        let text = format!("a: 1\n---\n{POLICY}");
        let documents = split_yaml(&text);
        let span = locate(&documents[1], &parse_path("spec.ingress[0].from[1].ipBlock.cidr")).unwrap();
        assert_eq!(shown(&text, span), "cidr: A");
    }

    #[test]
    fn json_errors_point_into_the_text() {
        let text = "{\n  \"a\": [1,\n}";
        let problem = read_json(&Document { text, offset: 0 }).unwrap_err();
        assert_eq!(&text[problem.span.start as usize..], "}");
        assert!(!problem.message.contains("line"), "{}", problem.message);
    }

    #[test]
    fn yaml_errors_name_the_problem_on_one_line() {
        let text = "a: 1\nb: \"{{ x \"y\" }}\"\n";
        let problem = read_yaml(&Document { text, offset: 0 }).unwrap_err();
        assert!(!problem.message.contains('\n') && !problem.message.contains("line"), "{problem:?}");
        assert_eq!(problem.span.start, 15, "{problem:?}");
    }
}
