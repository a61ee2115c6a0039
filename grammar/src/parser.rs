//! Drives the generated parser over the layout pass and turns what goes wrong into
//! [`SyntaxError`]s with human wording (`expected `=` or `{`, found `}``). Also
//! holds the small node builders the grammar's actions call.

use std::convert::Infallible;

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::ast::{CompactString, Item, SourceTree, Span, StringLiteral, Word};
use crate::lexer::{Layout, TokenKind, shorten, unescape};
use crate::{Parse, SyntaxError, SyntaxErrorKind};

lalrpop_util::lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        unused_qualifications,
        unused_imports,
        dead_code,
        missing_debug_implementations
    )]
    generated,
    "/grammar.rs"
);

/// Syntax errors reported per file; past this, one `TooManyErrors` error says so.
pub const MAX_ERRORS: usize = 100;

/// Parses one file's text; never fails (see [`crate::parse`]).
pub fn parse(text: &str) -> Parse {
    parse_rest(text, Vec::new(), Layout::new(text, MAX_ERRORS + 1))
}

/// Parses what `layout` has left of the text, at the start of a top-level statement,
/// after `items`: the statements before it, which had no syntax error. The
/// statements before the first error do not change how the rest parses, so this
/// gives what [`parse`] gives for the whole text.
pub fn parse_rest(text: &str, items_before: Vec<Item>, mut layout: Layout<'_>) -> Parse {
    let mut recorder = Recorder { text, errors: Vec::new(), limit: MAX_ERRORS + 1 };
    let items = match generated::FileParser::new().parse(text, &mut recorder, &mut layout) {
        Ok(rest) => {
            let mut items = items_before;
            items.extend(rest);
            items
        }
        Err(error) => {
            // Recovery always succeeds at the end of the file, so this is not
            // expected; keep the error rather than lose it.
            let whole = Span::new(0, text.len());
            recorder.report(error);
            vec![Item::Error(whole)]
        }
    };
    if layout.ends_in_open_block() {
        recorder.mention_unclosed_block();
    }
    let (comments, lexical_errors) = layout.finish();
    let mut errors = recorder.errors;
    errors.extend(lexical_errors);
    errors.sort_by_key(|error| (error.span.start, error.span.end));
    if let Some(first_unreported) = errors.get(MAX_ERRORS).map(|error| error.span) {
        errors.truncate(MAX_ERRORS);
        errors.push(SyntaxError {
            kind: SyntaxErrorKind::TooManyErrors,
            span: first_unreported,
            message: format!("more than {MAX_ERRORS} syntax errors in this file; the rest are not reported"),
            expected: Vec::new(),
        });
    }
    Parse { tree: SourceTree { items, comments }, errors }
}

/// Collects the errors the parser recovers from.
pub struct Recorder<'a> {
    text: &'a str,
    errors: Vec<SyntaxError>,
    limit: usize,
}

type Recovery = ErrorRecovery<usize, TokenKind, Infallible>;
type Error = ParseError<usize, TokenKind, Infallible>;

impl Recorder<'_> {
    /// Records a recovered error and returns the span of the text it skipped.
    pub fn recover(&mut self, recovery: Recovery, start: usize, end: usize) -> Span {
        let skipped = Span::new(start, end);
        self.report(recovery.error);
        skipped
    }

    /// The text ended inside a `{ }` block: make sure the error at the end of the
    /// file says that a closing `}` is one thing that would do.
    fn mention_unclosed_block(&mut self) {
        let closer = "`}`";
        let Some(last) = self.errors.last_mut() else { return };
        if last.kind != SyntaxErrorKind::UnexpectedEnd || last.expected.iter().any(|e| e == closer) {
            return;
        }
        last.expected.insert(0, closer.to_owned());
        last.message = expected_found(&last.expected, "the end of the file");
    }

    fn report(&mut self, error: Error) {
        if self.errors.len() >= self.limit {
            return;
        }
        let error = match error {
            ParseError::UnrecognizedToken { token: (start, kind, end), expected } => {
                if kind == TokenKind::Invalid {
                    // Already reported by the lexer as an invalid character.
                    return;
                }
                let at_end = kind == TokenKind::End || (kind == TokenKind::Newline && start == end);
                let found = if at_end {
                    "the end of the file".to_owned()
                } else {
                    describe_found(kind, self.text.get(start..end).unwrap_or_default())
                };
                let kind = if at_end { SyntaxErrorKind::UnexpectedEnd } else { SyntaxErrorKind::UnexpectedToken };
                unexpected(kind, Span::new(start, end), &found, &expected)
            }
            ParseError::UnrecognizedEof { location, expected } => unexpected(
                SyntaxErrorKind::UnexpectedEnd,
                Span::new(location, location),
                "the end of the file",
                &expected,
            ),
            ParseError::ExtraToken { token: (start, kind, end) } => {
                let found = describe_found(kind, self.text.get(start..end).unwrap_or_default());
                unexpected(SyntaxErrorKind::UnexpectedToken, Span::new(start, end), &found, &[])
            }
            ParseError::InvalidToken { location } => SyntaxError {
                kind: SyntaxErrorKind::InvalidCharacter,
                span: Span::new(location, location),
                message: "invalid token".to_owned(),
                expected: Vec::new(),
            },
            ParseError::User { error } => match error {},
        };
        self.errors.push(error);
    }
}

fn unexpected(kind: SyntaxErrorKind, span: Span, found: &str, expected: &[String]) -> SyntaxError {
    let expected = describe_expected(expected);
    let message = expected_found(&expected, found);
    SyntaxError { kind, span, message, expected }
}

fn expected_found(expected: &[String], found: &str) -> String {
    if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", one_of(expected))
    }
}

/// `a`, `a or b`, `a, b or c`.
fn one_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn describe_found(kind: TokenKind, text: &str) -> String {
    match kind {
        TokenKind::Newline => "the end of the line".to_owned(),
        TokenKind::End => "the end of the file".to_owned(),
        TokenKind::String => format!("the string {}", shorten(text)),
        _ => format!("`{}`", shorten(text)),
    }
}

/// Terminals in the order they are worth mentioning, with their description.
/// Keywords not listed here are described as themselves, after these.
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("word", "a name"),
    ("ipv6", "an IPv6 address"),
    ("string", "a string in double quotes"),
    ("namespace", "`namespace`"),
    ("group", "`group`"),
    ("team", "`team`"),
    ("port", "`port`"),
    ("network", "`network`"),
    ("assert", "`assert`"),
    ("labels", "`labels`"),
    ("owner", "`owner`"),
    ("isolate", "`isolate`"),
    ("allow", "`allow`"),
    ("match", "`match`"),
    ("user", "`user`"),
    ("serviceaccount", "`serviceaccount`"),
    ("ingress", "`ingress`"),
    ("egress", "`egress`"),
    ("internal", "`internal`"),
    ("=", "`=`"),
    ("{", "`{`"),
    ("in", "`in`"),
    ("namespaces", "`namespaces`"),
    ("any", "`any`"),
    ("may", "`may`"),
    ("reach", "`reach`"),
    ("only", "`only`"),
    ("can", "`can`"),
    ("cannot", "`cannot`"),
    (":", "`:`"),
    ("/", "`/`"),
    ("!=", "`!=`"),
    ("notin", "`notin`"),
    ("!", "`!`"),
    ("*", "`*`"),
    ("(", "`(`"),
    ("except", "`except`"),
    (",", "`,`"),
    (")", "`)`"),
    ("}", "`}`"),
    ("line end", "the end of the line"),
    (";", "`;`"),
    ("end of file", "the end of the file"),
];

/// Turns the parser's terminal names into the words a person expects to read.
fn describe_expected(expected: &[String]) -> Vec<String> {
    let mut names: Vec<&str> =
        expected.iter().map(|name| name.trim_matches('"')).filter(|name| *name != "invalid").collect();
    // Where a statement may start, the end of the file is also fine; not worth saying.
    if names.len() > 1 {
        names.retain(|name| *name != "end of file");
    }
    let has = |name: &str| names.contains(&name);
    let keyword_count = names.iter().filter(|name| is_keyword(name)).count();
    // A place where any word (keywords included) is accepted asks for a name.
    let name_position = has("word") && keyword_count >= 20;

    let mut described: Vec<(usize, String)> = Vec::new();
    if name_position {
        let what = if has("{") && !has("=") {
            "a port such as `8080`, `53/udp` or `http`"
        } else if has("!") && has("*") {
            "a label key"
        } else {
            "a name"
        };
        described.push((0, what.to_owned()));
    } else if has("word") && has("ipv6") {
        described.push((0, "an address block such as `10.0.0.0/8`".to_owned()));
    } else if has("word") && names.len() == 1 {
        described.push((0, "a prefix length".to_owned()));
    }
    for name in &names {
        let covered = match *name {
            "word" | "ipv6" => !described.is_empty(),
            "{" => name_position && has("{") && !has("="),
            "!" | "*" => name_position && has("!") && has("*"),
            keyword if is_keyword(keyword) => name_position,
            _ => false,
        };
        if covered {
            continue;
        }
        let position = DESCRIPTIONS.iter().position(|(terminal, _)| terminal == name);
        let text = match position.and_then(|index| DESCRIPTIONS.get(index)) {
            Some((_, description)) => (*description).to_owned(),
            None => format!("`{name}`"),
        };
        described.push((position.unwrap_or(DESCRIPTIONS.len()), text));
    }
    described.sort();
    described.dedup();
    described.into_iter().map(|(_, text)| text).collect()
}

fn is_keyword(name: &str) -> bool {
    name.bytes().all(|byte| byte.is_ascii_lowercase()) && !matches!(name, "word" | "ipv6" | "string" | "invalid")
}

// ---------------------------------------------------------------- node builders

pub fn span(start: usize, end: usize) -> Span {
    Span::new(start, end)
}

/// The token at `start..end` as a word.
pub fn word(text: &str, start: usize, end: usize) -> Word {
    Word { text: CompactString::new(text.get(start..end).unwrap_or_default()), span: Span::new(start, end) }
}

/// `prefix/name` as one word covering both.
pub fn join(prefix: Word, name: Word) -> Word {
    let mut text = prefix.text;
    text.push('/');
    text.push_str(&name.text);
    Word { text, span: prefix.span.cover(name.span) }
}

/// Block members come off the parser's stack boxed.
pub fn unbox_all<T>(boxed: Vec<Box<T>>) -> Vec<T> {
    boxed.into_iter().map(|member| *member).collect()
}

pub fn string_literal(text: &str, start: usize, end: usize) -> StringLiteral {
    StringLiteral { value: unescape(text.get(start..end).unwrap_or_default()), span: Span::new(start, end) }
}
