//! Tokens of npg text: a logos lexer for the raw tokens, and the layout pass that
//! decides which line ends matter (they end statements) and which do not (inside a
//! list after a comma, after `{` or `(`, before `}` or `)`). Comments are set aside.

use logos::Logos;

use crate::ast::{Comment, CompactString, Span};
use crate::{SyntaxError, SyntaxErrorKind};

/// The kind of one token. The text of a token is its span in the source.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
#[logos(skip r"[ \t\r\f\u{FEFF}]+")]
pub enum TokenKind {
    #[token("{")]
    LeftBrace,
    #[token("}")]
    RightBrace,
    #[token("(")]
    LeftParen,
    #[token(")")]
    RightParen,
    #[token(",")]
    Comma,
    #[token(";")]
    Semicolon,
    #[token(":")]
    Colon,
    #[token("=")]
    Equals,
    #[token("!=")]
    NotEquals,
    #[token("!")]
    Bang,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("\n")]
    Newline,

    /// `"..."` with `\"` and `\\` escapes, on one line.
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    String,
    /// A `"` whose string runs to the end of the line without closing.
    #[regex(r#""([^"\\\n]|\\[^\n])*\\?"#)]
    UnterminatedString,

    /// A name, label key or value, number, port range, IPv4 address or protocol.
    /// A word may start with `-` or `.` too, so that `app=-web` is an invalid label
    /// value (reported with the Kubernetes rule it breaks), not an invalid character.
    #[regex(r"[A-Za-z0-9_.\-]+")]
    Word,
    /// An IPv6 address: hex digits, `.` and at least two `:`.
    #[regex(r"[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f.:]*")]
    Ipv6,

    /// `#` to the end of the line; set aside by the layout pass.
    #[regex(r"#[^\n]*", allow_greedy = true)]
    Comment,

    #[token("namespace")]
    Namespace,
    #[token("group")]
    Group,
    #[token("team")]
    Team,
    #[token("port")]
    Port,
    #[token("network")]
    Network,
    #[token("labels")]
    Labels,
    #[token("owner")]
    Owner,
    #[token("isolate")]
    Isolate,
    #[token("ingress")]
    Ingress,
    #[token("egress")]
    Egress,
    #[token("allow")]
    Allow,
    #[token("internal")]
    Internal,
    #[token("in")]
    In,
    #[token("namespaces")]
    Namespaces,
    #[token("any")]
    Any,
    #[token("match")]
    Match,
    #[token("user")]
    User,
    #[token("serviceaccount")]
    ServiceAccount,
    #[token("may")]
    May,
    #[token("reach")]
    Reach,
    #[token("except")]
    Except,
    #[token("assert")]
    Assert,
    #[token("can")]
    Can,
    #[token("cannot")]
    Cannot,
    #[token("only")]
    Only,
    #[token("notin")]
    NotIn,

    /// Not produced by logos: the end of the text, after the last line end.
    End,
    /// Not produced by logos: text that starts no token (already reported).
    Invalid,
}

impl TokenKind {
    /// Whether a line end right after this token continues the statement.
    fn continues_after(self) -> bool {
        matches!(
            self,
            TokenKind::LeftBrace | TokenKind::LeftParen | TokenKind::Comma | TokenKind::Newline | TokenKind::Semicolon
        )
    }

    fn is_separator(self) -> bool {
        matches!(self, TokenKind::Newline | TokenKind::Semicolon)
    }

    fn is_closer(self) -> bool {
        matches!(self, TokenKind::RightBrace | TokenKind::RightParen)
    }

    /// Whether this is one of the language's keywords (which may also serve as names
    /// and label words).
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            TokenKind::Namespace
                | TokenKind::Group
                | TokenKind::Team
                | TokenKind::Port
                | TokenKind::Network
                | TokenKind::Labels
                | TokenKind::Owner
                | TokenKind::Isolate
                | TokenKind::Ingress
                | TokenKind::Egress
                | TokenKind::Allow
                | TokenKind::Internal
                | TokenKind::In
                | TokenKind::Namespaces
                | TokenKind::Any
                | TokenKind::Match
                | TokenKind::User
                | TokenKind::ServiceAccount
                | TokenKind::May
                | TokenKind::Reach
                | TokenKind::Except
                | TokenKind::Assert
                | TokenKind::Can
                | TokenKind::Cannot
                | TokenKind::Only
                | TokenKind::NotIn
        )
    }
}

/// A token as the parser sees it: start offset, kind, end offset.
pub type Spanned = (usize, TokenKind, usize);

/// Every token of `text` as logos reads it, comments and line ends included, with
/// unknown characters as [`TokenKind::Invalid`] (a run of them is one token).
pub struct RawTokens<'a> {
    lexer: logos::Lexer<'a, TokenKind>,
    /// A token read while extending a run of invalid characters.
    peeked: Option<Spanned>,
}

impl<'a> RawTokens<'a> {
    pub fn new(text: &'a str) -> RawTokens<'a> {
        RawTokens { lexer: TokenKind::lexer(text), peeked: None }
    }

    /// The tokens of `text` from byte `offset` on, with spans in the whole text;
    /// `None` unless `offset` is on a character boundary.
    fn starting_at(text: &'a str, offset: usize) -> Option<RawTokens<'a>> {
        if !text.is_char_boundary(offset) {
            return None;
        }
        let mut lexer = TokenKind::lexer(text);
        lexer.bump(offset);
        Some(RawTokens { lexer, peeked: None })
    }
}

impl Iterator for RawTokens<'_> {
    type Item = Spanned;

    fn next(&mut self) -> Option<Spanned> {
        // `is_some` before `take`: most calls have nothing peeked, and reading the
        // field is cheaper than moving it out.
        let peeked = if self.peeked.is_some() { self.peeked.take() } else { None };
        let (start, mut end) = match peeked {
            Some((start, TokenKind::Invalid, end)) => (start, end),
            Some(token) => return Some(token),
            None => {
                let result = self.lexer.next()?;
                let span = self.lexer.span();
                if let Ok(kind) = result {
                    return Some((span.start, kind, span.end));
                }
                (span.start, span.end)
            }
        };
        while let Some(next) = self.lexer.next() {
            let span = self.lexer.span();
            match next {
                Err(()) if span.start == end => end = span.end,
                Err(()) => {
                    self.peeked = Some((span.start, TokenKind::Invalid, span.end));
                    break;
                }
                Ok(kind) => {
                    self.peeked = Some((span.start, kind, span.end));
                    break;
                }
            }
        }
        Some((start, TokenKind::Invalid, end))
    }
}

/// The layout pass: feeds the parser the tokens that matter, collects comments and
/// lexical errors on the way, and ends the stream with one `End` token.
///
/// Line ends and `;` separate statements. A separator is dropped at the start of
/// the text, after another separator, after `{`, `(` and `,`, and before a `}` or
/// `)` that closes a bracket; the last statement gets a line end if the text has none.
pub struct Layout<'a> {
    text: &'a str,
    raw: RawTokens<'a>,
    /// A separator seen but not yet passed on: it depends on the next token.
    pending_separator: Option<Spanned>,
    /// A token read past a pending separator, passed on after it.
    held: Option<Spanned>,
    last_passed: Option<TokenKind>,
    /// The brackets opened and not yet closed, innermost last.
    open_brackets: Vec<TokenKind>,
    /// Whether the last token before `End` is a separator.
    separator_at_end: bool,
    finished: bool,
    comments: Vec<Comment>,
    errors: Vec<SyntaxError>,
    error_limit: usize,
}

impl<'a> Layout<'a> {
    /// Keeps at most `error_limit` lexical errors (the caller caps the total).
    pub fn new(text: &'a str, error_limit: usize) -> Layout<'a> {
        Layout {
            text,
            raw: RawTokens::new(text),
            pending_separator: None,
            held: None,
            last_passed: None,
            open_brackets: Vec::new(),
            separator_at_end: false,
            finished: false,
            comments: Vec::new(),
            errors: Vec::new(),
            error_limit,
        }
    }

    /// The layout pass taken up again at `offset`, the first token of a top-level
    /// statement after a line end, with the comments before it: from there on it
    /// gives what [`Layout::new`] would have given. `None` if `offset` is not on a
    /// character boundary.
    pub(crate) fn resume_at(
        text: &'a str,
        offset: usize,
        comments: Vec<Comment>,
        error_limit: usize,
    ) -> Option<Layout<'a>> {
        Some(Layout {
            text,
            raw: RawTokens::starting_at(text, offset)?,
            pending_separator: None,
            held: None,
            last_passed: Some(TokenKind::Newline),
            open_brackets: Vec::new(),
            separator_at_end: false,
            finished: false,
            comments,
            errors: Vec::new(),
            error_limit,
        })
    }

    /// Whether the text ends inside a `{ }` block right after a separator, where
    /// the missing `}` would have been accepted (the layout drops separators before it).
    pub fn ends_in_open_block(&self) -> bool {
        self.open_brackets.last() == Some(&TokenKind::LeftBrace) && self.separator_at_end
    }

    /// The comments and lexical errors met so far.
    pub fn finish(self) -> (Vec<Comment>, Vec<SyntaxError>) {
        (self.comments, self.errors)
    }

    fn pass(&mut self, token: Spanned) -> Spanned {
        self.last_passed = Some(token.1);
        token
    }

    fn report(&mut self, kind: SyntaxErrorKind, start: usize, end: usize) {
        if self.errors.len() >= self.error_limit {
            return;
        }
        let found = self.text.get(start..end).unwrap_or_default();
        let (message, expected) = match kind {
            SyntaxErrorKind::UnterminatedString => {
                (format!("unterminated string {}: add a closing `\"`", shorten(found)), vec!["`\"`".to_owned()])
            }
            _ => {
                let noun = if found.chars().nth(1).is_some() { "characters" } else { "character" };
                (format!("invalid {noun} {}", describe_characters(found)), Vec::new())
            }
        };
        self.errors.push(SyntaxError { kind, span: Span::new(start, end), message, expected });
    }

    fn next_raw(&mut self) -> Option<Spanned> {
        loop {
            let (start, kind, end) = self.raw.next()?;
            match kind {
                TokenKind::Comment => {
                    let text = self.text.get(start..end).unwrap_or_default().trim_end();
                    self.comments.push(Comment { text: text.to_owned(), span: Span::new(start, start + text.len()) });
                }
                TokenKind::Invalid => {
                    self.report(SyntaxErrorKind::InvalidCharacter, start, end);
                    return Some((start, kind, end));
                }
                TokenKind::UnterminatedString => {
                    self.report(SyntaxErrorKind::UnterminatedString, start, end);
                    return Some((start, TokenKind::Invalid, end));
                }
                _ => return Some((start, kind, end)),
            }
        }
    }
}

impl Iterator for Layout<'_> {
    type Item = Spanned;

    fn next(&mut self) -> Option<Spanned> {
        if self.held.is_some()
            && let Some(token) = self.held.take()
        {
            return Some(self.pass(token));
        }
        loop {
            let Some(token) = self.next_raw() else {
                if self.finished {
                    return None;
                }
                self.finished = true;
                let end = self.text.len();
                let pending = self.pending_separator.take();
                let needs_line_end = match self.last_passed {
                    Some(kind) => !kind.continues_after(),
                    None => false,
                };
                self.separator_at_end = needs_line_end;
                if needs_line_end {
                    self.held = Some((end, TokenKind::End, end));
                    let separator = pending.unwrap_or((end, TokenKind::Newline, end));
                    return Some(self.pass(separator));
                }
                return Some(self.pass((end, TokenKind::End, end)));
            };
            let kind = token.1;
            let closes_a_bracket = kind.is_closer() && !self.open_brackets.is_empty();
            match kind {
                TokenKind::LeftBrace | TokenKind::LeftParen => self.open_brackets.push(kind),
                TokenKind::RightBrace | TokenKind::RightParen => {
                    self.open_brackets.pop();
                }
                _ => {}
            }
            if kind.is_separator() {
                let dropped = match self.last_passed {
                    Some(last) => last.continues_after(),
                    None => true,
                };
                if !dropped && self.pending_separator.is_none() {
                    self.pending_separator = Some(token);
                }
                continue;
            }
            // A separator right before a closing bracket is dropped.
            if self.pending_separator.is_some()
                && let Some(separator) = self.pending_separator.take()
                && !closes_a_bracket
            {
                self.held = Some(token);
                return Some(self.pass(separator));
            }
            return Some(self.pass(token));
        }
    }
}

/// At most 40 characters of `text`, for messages.
pub(crate) fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// Characters in backquotes, with invisible ones spelled as escapes.
fn describe_characters(text: &str) -> String {
    let mut out = String::from("`");
    for character in text.chars().take(20) {
        if character.is_control() || character == '\u{FEFF}' {
            out.extend(character.escape_unicode());
        } else {
            out.push(character);
        }
    }
    if text.chars().nth(20).is_some() {
        out.push('…');
    }
    out.push('`');
    out
}

/// The value of a string literal token (with its quotes): `\"` and `\\` are
/// unescaped, any other backslash is kept as written.
pub fn unescape(literal: &str) -> CompactString {
    let inner = literal.strip_prefix('"').unwrap_or(literal);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    if !inner.contains('\\') {
        return CompactString::new(inner);
    }
    let mut value = CompactString::with_capacity(inner.len());
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        if character == '\\' {
            match characters.next() {
                Some(escaped @ ('"' | '\\')) => value.push(escaped),
                Some(other) => {
                    value.push('\\');
                    value.push(other);
                }
                None => value.push('\\'),
            }
        } else {
            value.push(character);
        }
    }
    value
}

/// A string literal (with quotes) whose value is `value`.
pub fn escape(value: &str) -> String {
    let mut literal = String::with_capacity(value.len() + 2);
    literal.push('"');
    for character in value.chars() {
        if matches!(character, '"' | '\\') {
            literal.push('\\');
        }
        literal.push(character);
    }
    literal.push('"');
    literal
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use expect_test::{Expect, expect};

    fn check_raw(text: &str, expected: Expect) {
        let rendered: Vec<String> =
            RawTokens::new(text).map(|(start, kind, end)| format!("{kind:?} {:?}", &text[start..end])).collect();
        expected.assert_eq(&rendered.join("\n"));
    }

    fn check_layout(text: &str, expected: Expect) {
        let mut layout = Layout::new(text, 100);
        let rendered: Vec<String> = layout
            .by_ref()
            .map(|(start, kind, end)| match kind {
                TokenKind::Newline | TokenKind::Semicolon | TokenKind::End => format!("{kind:?}"),
                _ => text[start..end].to_owned(),
            })
            .collect();
        let (comments, errors) = layout.finish();
        let mut out = rendered.join(" ");
        for comment in comments {
            out.push_str(&format!("\ncomment {:?} at {:?}", comment.text, comment.span.range()));
        }
        for error in errors {
            out.push_str(&format!("\n{:?} at {:?}: {}", error.kind, error.span.range(), error.message));
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn words_cover_names_labels_numbers_ranges_and_ipv4() {
        check_raw(
            "kube-dns app.kubernetes.io v1.2_x 8080 8000-8100 10.0.0.0 udp -bad",
            expect![[r#"
                Word "kube-dns"
                Word "app.kubernetes.io"
                Word "v1.2_x"
                Word "8080"
                Word "8000-8100"
                Word "10.0.0.0"
                Word "udp"
                Word "-bad""#]],
        );
    }

    #[test]
    fn ipv6_needs_two_colons_so_a_target_port_is_not_an_address() {
        check_raw(
            ":: fd00:: 2001:db8::1 ::ffff:10.0.0.1 db:5432 cafe:80",
            expect![[r#"
                Ipv6 "::"
                Ipv6 "fd00::"
                Ipv6 "2001:db8::1"
                Ipv6 "::ffff:10.0.0.1"
                Word "db"
                Colon ":"
                Word "5432"
                Word "cafe"
                Colon ":"
                Word "80""#]],
        );
    }

    #[test]
    fn keywords_are_whole_words_only() {
        check_raw(
            "in index namespaces namespace-x can cannot notin",
            expect![[r#"
                In "in"
                Word "index"
                Namespaces "namespaces"
                Word "namespace-x"
                Can "can"
                Cannot "cannot"
                NotIn "notin""#]],
        );
    }

    #[test]
    fn punctuation_and_strings() {
        check_raw(
            r#"{ } ( ) , ; : = != ! * / "a \"b\" \\" "open"#,
            expect![[r#"
                LeftBrace "{"
                RightBrace "}"
                LeftParen "("
                RightParen ")"
                Comma ","
                Semicolon ";"
                Colon ":"
                Equals "="
                NotEquals "!="
                Bang "!"
                Star "*"
                Slash "/"
                String "\"a \\\"b\\\" \\\\\""
                UnterminatedString "\"open""#]],
        );
    }

    #[test]
    fn a_run_of_unknown_characters_is_one_invalid_token() {
        check_raw(
            "a §§ b @",
            expect![[r#"
                Word "a"
                Invalid "§§"
                Word "b"
                Invalid "@""#]],
        );
    }

    #[test]
    fn string_escapes_round_trip() {
        assert_eq!(unescape(r#""a \"b\" \\ \n""#), "a \"b\" \\ \\n");
        assert_eq!(unescape(&escape("x\"y\\z")), "x\"y\\z");
    }

    #[test]
    fn layout_collapses_line_ends_and_keeps_comments_aside() {
        check_layout(
            "\n\n# head\ngroup a = x   # trailing  \n\n\n;group b = y",
            expect![[r##"
                group a = x Newline group b = y Newline End
                comment "# head" at 2..8
                comment "# trailing" at 23..33"##]],
        );
    }

    #[test]
    fn layout_continues_lists_after_commas_and_inside_brackets() {
        check_layout(
            "group a may reach b,\n  c\nnamespace x {\n  labels {\n    env: prod,\n  }\n  owner t;\n}\n",
            expect![[r#"
                group a may reach b , c Newline namespace x { labels { env : prod , } Newline owner t } Newline End"#]],
        );
    }

    #[test]
    fn layout_reports_invalid_characters_and_open_strings() {
        check_layout(
            "team t { user \"alice }\ngroup § = x",
            expect![[r#"
                team t { user "alice } Newline group § = x Newline End
                UnterminatedString at 14..22: unterminated string "alice }: add a closing `"`
                InvalidCharacter at 29..31: invalid character `§`"#]],
        );
    }

    #[test]
    fn layout_of_an_unclosed_block_ends_without_a_line_end() {
        check_layout("namespace x {", expect!["namespace x { End"]);
        check_layout("", expect!["End"]);
    }
}
