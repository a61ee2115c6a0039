//! The canonical layout of npg text: one statement or block member per line,
//! two-space indentation, fixed spacing, comments kept where they were written
//! (own-line comments before what follows them, trailing comments at line ends).

use std::borrow::Cow;

use crate::ast::{
    AssertKind, Comment, Direction, GroupBody, GroupDecl, GroupMember, Item, LabelsBlock, NamespaceMember, Placement,
    PortItem, PortSpec, Reference, RuleSource, Selector, SelectorTermKind, Span, Target, TeamMember, Word,
};
use crate::lexer::escape;
use crate::{SyntaxError, parse};

/// Lines longer than this wrap a `may reach` list after a comma.
const MAX_WIDTH: usize = 100;
const INDENT: &str = "  ";
const CONTINUATION_INDENT: &str = "    ";

/// Prints `text` in canonical layout, or returns its syntax errors: text that does
/// not parse is never rewritten.
///
/// ```
/// let formatted = npg_grammar::format("group  web may reach api:8080,db # why\n").unwrap();
/// assert_eq!(formatted, "group web may reach api:8080, db # why\n");
/// ```
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> {
    let parsed = parse(text);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut printer = Printer::new(text, &parsed.tree.comments);
    for item in &parsed.tree.items {
        printer.item(item);
    }
    Ok(printer.finish())
}

/// One piece of a line: text (with the source offset it came from, when comments
/// may precede it), or a place where a long list may break.
enum Piece<'t> {
    Text {
        text: Cow<'t, str>,
        source: Option<Span>,
        space_before: bool,
    },
    /// A space, or a line break when the next `width` columns would not fit.
    SoftBreak {
        width: usize,
    },
}

/// The pieces of one statement's line (or of a block's opening line).
#[derive(Default)]
struct Line<'t> {
    pieces: Vec<Piece<'t>>,
}

impl<'t> Line<'t> {
    fn keyword(&mut self, text: &'static str) -> &mut Self {
        self.pieces.push(Piece::Text { text: Cow::Borrowed(text), source: None, space_before: true });
        self
    }

    /// Punctuation written right after what precedes it.
    fn glued(&mut self, text: &'static str) -> &mut Self {
        self.pieces.push(Piece::Text { text: Cow::Borrowed(text), source: None, space_before: false });
        self
    }

    fn word(&mut self, word: &'t Word) -> &mut Self {
        self.push_word(word, true)
    }

    fn glued_word(&mut self, word: &'t Word) -> &mut Self {
        self.push_word(word, false)
    }

    fn push_word(&mut self, word: &'t Word, space_before: bool) -> &mut Self {
        self.pieces.push(Piece::Text { text: Cow::Borrowed(&word.text), source: Some(word.span), space_before });
        self
    }

    fn string(&mut self, value: &str, span: Span) -> &mut Self {
        self.pieces.push(Piece::Text { text: Cow::Owned(escape(value)), source: Some(span), space_before: true });
        self
    }

    /// `a, b, c`, each item added by `add`.
    fn list<T>(&mut self, items: &'t [T], mut add: impl FnMut(&mut Self, &'t T, bool)) -> &mut Self {
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.glued(",");
            }
            add(self, item, index > 0 || !self.pieces.is_empty());
        }
        self
    }

    fn words(&mut self, words: &'t [Word]) -> &mut Self {
        self.list(words, |line, word, space| {
            line.push_word(word, space);
        })
    }

    fn reference(&mut self, reference: &'t Reference, space_before: bool) -> &mut Self {
        match &reference.namespace {
            Some(namespace) => self.push_word(namespace, space_before).glued("/").glued_word(&reference.name),
            None => self.push_word(&reference.name, space_before),
        }
    }

    fn target(&mut self, target: &'t Target, space_before: bool) -> &mut Self {
        self.reference(&target.reference, space_before);
        if let Some(ports) = &target.ports {
            self.glued(":");
            self.ports(ports, false);
        }
        self
    }

    fn ports(&mut self, ports: &'t PortSpec, space_before: bool) -> &mut Self {
        match ports {
            PortSpec::Single(item) => self.port_item(item, space_before),
            PortSpec::Set { items, .. } => {
                if space_before {
                    self.keyword("{");
                } else {
                    self.glued("{");
                }
                self.list(items, |line, item, _| {
                    line.port_item(item, true);
                });
                self.keyword("}")
            }
        }
    }

    fn port_item(&mut self, item: &'t PortItem, space_before: bool) -> &mut Self {
        self.push_word(&item.port, space_before);
        if let Some(protocol) = &item.protocol {
            self.glued("/").glued_word(protocol);
        }
        self
    }

    fn selector(&mut self, selector: &'t Selector) -> &mut Self {
        self.list(&selector.terms, |line, term, space| match &term.kind {
            SelectorTermKind::Equals { key, value } => {
                line.push_word(key, space).glued("=").glued_word(value);
            }
            SelectorTermKind::NotEquals { key, value } => {
                line.push_word(key, space).glued("!=").glued_word(value);
            }
            SelectorTermKind::In { key, values } => {
                line.push_word(key, space).keyword("in").keyword("(").bracketed_words(values).glued(")");
            }
            SelectorTermKind::NotIn { key, values } => {
                line.push_word(key, space).keyword("notin").keyword("(").bracketed_words(values).glued(")");
            }
            SelectorTermKind::Exists { key } => {
                line.push_word(key, space);
            }
            SelectorTermKind::DoesNotExist { key } => {
                if space {
                    line.keyword("!");
                } else {
                    line.glued("!");
                }
                line.glued_word(key);
            }
            SelectorTermKind::Everything => {
                if space {
                    line.keyword("*");
                } else {
                    line.glued("*");
                }
            }
        })
    }

    /// Words right after an opening bracket: `(a, b)`.
    fn bracketed_words(&mut self, words: &'t [Word]) -> &mut Self {
        for (index, word) in words.iter().enumerate() {
            if index > 0 {
                self.glued(",").word(word);
            } else {
                self.glued_word(word);
            }
        }
        self
    }

    fn labels(&mut self, labels: &'t LabelsBlock) -> &mut Self {
        self.keyword("labels");
        if labels.entries.is_empty() {
            return self.keyword("{}");
        }
        self.keyword("{");
        self.list(&labels.entries, |line, entry, _| {
            line.word(&entry.key).glued(":").word(&entry.value);
        });
        self.keyword("}")
    }

    fn placement(&mut self, placement: &'t Placement) -> &mut Self {
        match placement {
            Placement::Namespace(namespace) => self.keyword("in").word(namespace),
            Placement::Namespaces { selector, .. } => {
                self.keyword("in").keyword("namespaces").glued("(");
                let start = self.pieces.len();
                self.selector(selector);
                if let Some(Piece::Text { space_before, .. }) = self.pieces.get_mut(start) {
                    *space_before = false;
                }
                self.glued(")")
            }
            Placement::Any(_) => self.keyword("in").keyword("any"),
        }
    }

    /// The width of the pieces from `start` on, as printed on one line.
    fn width_from(&self, start: usize) -> usize {
        self.pieces
            .iter()
            .skip(start)
            .map(|piece| match piece {
                Piece::Text { text, space_before, .. } => text.chars().count() + usize::from(*space_before),
                Piece::SoftBreak { .. } => 1,
            })
            .sum()
    }
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    depth: usize,
    /// Nothing written on the current output line yet.
    at_line_start: bool,
    /// Inside a statement (or a block's opening line).
    in_statement: bool,
    /// The statement has text already: a new line continues it, indented further.
    continuing: bool,
    /// Right after a block opened (or at the top of the file): no blank line here.
    at_block_start: bool,
    /// End of the last source text printed, to see blank lines that follow it.
    source_end: usize,
    /// The last line printed ends with a comment.
    comment_ends_line: bool,
}

impl<'a> Printer<'a> {
    fn new(text: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            text,
            comments,
            next_comment: 0,
            out: String::with_capacity(text.len() + text.len() / 8),
            depth: 0,
            at_line_start: true,
            in_statement: false,
            continuing: false,
            at_block_start: true,
            source_end: 0,
            comment_ends_line: false,
        }
    }

    fn finish(mut self) -> String {
        self.comments_before(u32::MAX);
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.out
    }

    // ------------------------------------------------------------ statements

    fn item(&mut self, item: &Item) {
        let span = item.span();
        match item {
            Item::Namespace(namespace) => {
                let mut line = Line::default();
                line.keyword("namespace").word(&namespace.name);
                self.block(span, line, namespace.name.span.end, &namespace.members, |printer, member| {
                    printer.namespace_member(member)
                });
            }
            Item::Group(group) => self.group(group),
            Item::Team(team) => {
                let mut line = Line::default();
                line.keyword("team").word(&team.name);
                self.block(span, line, team.name.span.end, &team.members, |printer, member| {
                    printer.team_member(member)
                });
            }
            Item::Port(port) => {
                let mut line = Line::default();
                line.keyword("port").word(&port.name).keyword("=").ports(&port.ports, true);
                self.statement(span, &line);
            }
            Item::Network(network) => {
                let mut line = Line::default();
                line.keyword("network").word(&network.name).keyword("=").word(&network.cidr);
                if !network.except.is_empty() {
                    line.keyword("except").words(&network.except);
                }
                self.statement(span, &line);
            }
            Item::Rule(rule) => {
                let mut line = Line::default();
                line.keyword(match rule.source_kind {
                    RuleSource::Group => "group",
                    RuleSource::Network => "network",
                });
                line.reference(&rule.source, true).keyword("may").keyword("reach");
                let count = rule.targets.len();
                for (index, target) in rule.targets.iter().enumerate() {
                    if index == 0 {
                        line.target(target, true);
                        continue;
                    }
                    line.glued(",");
                    let break_at = line.pieces.len();
                    line.pieces.push(Piece::SoftBreak { width: 0 });
                    line.target(target, false);
                    // The target, and the comma after it unless it is the last.
                    let width = line.width_from(break_at + 1) + usize::from(index + 1 < count);
                    if let Some(Piece::SoftBreak { width: slot }) = line.pieces.get_mut(break_at) {
                        *slot = width;
                    }
                }
                self.statement(span, &line);
            }
            Item::Assert(assert) => {
                let mut line = Line::default();
                line.keyword("assert");
                let target = match &assert.kind {
                    AssertKind::CanReach { source, target } => {
                        line.reference(source, true).keyword("can");
                        target
                    }
                    AssertKind::CannotReach { source, target } => {
                        line.reference(source, true).keyword("cannot");
                        target
                    }
                    AssertKind::OnlyCanReach { sources, target } => {
                        line.keyword("only").list(sources, |line, source, _| {
                            line.reference(source, true);
                        });
                        line.keyword("can");
                        target
                    }
                };
                line.keyword("reach").target(target, true);
                self.statement(span, &line);
            }
            Item::Error(_) => {}
        }
    }

    fn group(&mut self, group: &GroupDecl) {
        let mut line = Line::default();
        line.keyword("group").word(&group.name);
        if let Some(placement) = &group.placement {
            line.placement(placement);
        }
        match &group.body {
            GroupBody::Selector(selector) => {
                line.keyword("=").selector(selector);
                self.statement(group.span, &line);
            }
            GroupBody::Block { members, span } => {
                self.block(group.span, line, span.start, members, |printer, member| {
                    let mut line = Line::default();
                    let span = match member {
                        GroupMember::Match(selector) => {
                            line.keyword("match").selector(selector);
                            selector.span
                        }
                        GroupMember::Owner(owner) => {
                            line.keyword("owner").word(&owner.team);
                            owner.span
                        }
                        GroupMember::Error(span) => *span,
                    };
                    printer.statement(span, &line);
                });
            }
        }
    }

    fn namespace_member(&mut self, member: &NamespaceMember) {
        let mut line = Line::default();
        let span = match member {
            NamespaceMember::Labels(labels) => {
                line.labels(labels);
                labels.span
            }
            NamespaceMember::Owner(owner) => {
                line.keyword("owner").word(&owner.team);
                owner.span
            }
            NamespaceMember::Isolate(isolate) => {
                line.keyword("isolate").keyword(match isolate.direction {
                    Direction::Ingress => "ingress",
                    Direction::Egress => "egress",
                });
                isolate.span
            }
            NamespaceMember::AllowInternal(span) => {
                line.keyword("allow").keyword("internal");
                *span
            }
            NamespaceMember::Group(group) => {
                self.group(group);
                return;
            }
            NamespaceMember::Error(span) => *span,
        };
        self.statement(span, &line);
    }

    fn team_member(&mut self, member: &TeamMember) {
        let mut line = Line::default();
        let span = match member {
            TeamMember::Group { name, span } => {
                line.keyword("group").string(&name.value, name.span);
                *span
            }
            TeamMember::User { name, span } => {
                line.keyword("user").string(&name.value, name.span);
                *span
            }
            TeamMember::ServiceAccount { namespace, name, span } => {
                line.keyword("serviceaccount").word(namespace).glued("/").glued_word(name);
                *span
            }
            TeamMember::Error(span) => *span,
        };
        self.statement(span, &line);
    }

    /// A statement on one line (wrapped only where a comment or a long list asks).
    fn statement(&mut self, span: Span, line: &Line<'_>) {
        self.start_statement(span.start);
        self.pieces(line);
        self.end_statement(span.end);
    }

    /// `HEAD {`, its members one per line, `}`; `HEAD {}` when there is nothing inside.
    /// `inside` starts after the head (comments from there on are inside the block).
    fn block<T>(
        &mut self,
        span: Span,
        mut head: Line<'_>,
        inside: u32,
        members: &[T],
        mut member: impl FnMut(&mut Self, &T),
    ) {
        let close = span.end.saturating_sub(1);
        let has_comments = self
            .comments
            .iter()
            .skip(self.next_comment)
            .take_while(|comment| comment.span.start < close)
            .any(|comment| comment.span.start >= inside);
        self.start_statement(span.start);
        if members.is_empty() && !has_comments {
            head.keyword("{}");
            self.pieces(&head);
            self.end_statement(span.end);
            return;
        }
        head.keyword("{");
        self.pieces(&head);
        self.end_line();
        self.in_statement = false;
        self.continuing = false;
        self.depth += 1;
        self.at_block_start = true;
        for each in members {
            member(self, each);
        }
        self.comments_before(close);
        self.depth = self.depth.saturating_sub(1);
        self.write("}");
        self.end_statement(span.end);
    }

    fn start_statement(&mut self, start: u32) {
        self.comments_before(start);
        if !self.at_block_start && self.blank_line_before(start) {
            self.out.push('\n');
        }
        self.at_block_start = false;
        self.in_statement = true;
        self.continuing = false;
    }

    fn end_statement(&mut self, end: u32) {
        self.end_line();
        self.in_statement = false;
        self.continuing = false;
        self.source_end = self.source_end.max(end as usize);
    }

    fn pieces(&mut self, line: &Line<'_>) {
        let mut pending_space = false;
        for piece in &line.pieces {
            match piece {
                Piece::Text { text, source, space_before } => {
                    // Comments wait for a place where the line may break.
                    if let Some(span) = source
                        && self.may_break_here()
                    {
                        self.comments_before(span.start);
                    }
                    if (*space_before || pending_space) && !self.at_line_start {
                        self.out.push(' ');
                    }
                    pending_space = false;
                    self.write(text);
                    if let Some(span) = source {
                        self.source_end = self.source_end.max(span.end as usize);
                    }
                }
                Piece::SoftBreak { width } => {
                    if self.column() + 1 + width > MAX_WIDTH {
                        self.end_line();
                    } else {
                        pending_space = true;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------ comments

    /// Prints every comment that starts before `offset`.
    fn comments_before(&mut self, offset: u32) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start >= offset {
                break;
            }
            self.next_comment += 1;
            self.comment(comment);
        }
    }

    fn comment(&mut self, comment: &Comment) {
        // A trailing comment goes at the end of the line printed last, unless that
        // line already ends with one: then it gets a line of its own.
        let own_line = self.is_own_line(comment.span.start as usize)
            || self.out.is_empty()
            || (self.at_line_start && self.comment_ends_line);
        if own_line {
            if !self.at_line_start {
                self.end_line();
            }
            if !self.in_statement && !self.at_block_start && self.blank_line_before(comment.span.start) {
                self.out.push('\n');
            }
            self.at_block_start = false;
            self.write(&comment.text);
        } else {
            if self.at_line_start && self.out.ends_with('\n') {
                self.out.pop();
            }
            self.out.push(' ');
            self.out.push_str(&comment.text);
        }
        self.end_line();
        self.source_end = self.source_end.max(comment.span.end as usize);
        self.comment_ends_line = true;
    }

    /// Whether only blanks precede `offset` on its line in the source.
    fn is_own_line(&self, offset: usize) -> bool {
        let before = self.text.get(..offset).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        before
            .get(line_start..)
            .unwrap_or_default()
            .chars()
            .all(|c| c == ' ' || c == '\t' || c == '\r' || c == '\u{FEFF}')
    }

    /// Whether the source has an empty line between what was printed last and `offset`.
    fn blank_line_before(&self, offset: u32) -> bool {
        let between = self.text.get(self.source_end..offset as usize).unwrap_or_default();
        let mut lines = between.split('\n');
        // The first piece ends the line printed last; the last one starts `offset`'s line.
        lines.next();
        let whole_lines = lines.clone().count().saturating_sub(1);
        lines.take(whole_lines).any(|line| line.trim().is_empty())
    }

    // ------------------------------------------------------------ output

    fn write(&mut self, text: &str) {
        if self.at_line_start {
            for _ in 0..self.depth {
                self.out.push_str(INDENT);
            }
            if self.continuing {
                self.out.push_str(CONTINUATION_INDENT);
            }
            self.at_line_start = false;
        }
        self.out.push_str(text);
        self.continuing = self.in_statement;
        self.comment_ends_line = false;
    }

    fn end_line(&mut self) {
        self.out.push('\n');
        self.at_line_start = true;
    }

    /// Whether a line may end here without ending the statement: after `,`, `(` or `{`.
    fn may_break_here(&self) -> bool {
        self.at_line_start || matches!(self.out.as_bytes().last(), Some(b',' | b'(' | b'{'))
    }

    fn column(&self) -> usize {
        let line_start = self.out.rfind('\n').map_or(0, |newline| newline + 1);
        self.out.get(line_start..).unwrap_or_default().chars().count()
    }
}
