//! The fast reading of well-formed text: a recursive-descent parser over the layout
//! pass that follows `grammar.lalrpop` production by production and builds the same
//! tree, statement by statement. At the first statement it cannot read, the lalrpop
//! parser takes over from that statement's start, with recovery and messages.

use crate::ast::{
    Assert, AssertKind, Direction, GroupBody, GroupDecl, GroupMember, Isolate, Item, LabelEntry, LabelsBlock,
    NamespaceDecl, NamespaceMember, NetworkDecl, Owner, Placement, PortDecl, PortItem, PortSpec, Reference, Rule,
    RuleSource, Selector, SelectorTerm, SelectorTermKind, SourceTree, Span, Target, TeamDecl, TeamMember, Word,
};
use crate::lexer::{Layout, Spanned, TokenKind};
use crate::parser::{join, string_literal, word};
use crate::{Parse, parser};

/// Parses one file's text (see [`crate::parse`]). Statements are read by descent
/// until one does not parse; the lalrpop parser takes over from that statement.
pub fn parse(text: &str) -> Parse {
    let mut reader = Reader::new(text);
    let mut items = Vec::new();
    while reader.peek() != TokenKind::End {
        let statement_start = reader.start();
        match reader.statement_line() {
            Some(item) => items.push(item),
            None => return parse_rest(text, items, reader, statement_start),
        }
    }
    let (comments, errors) = reader.layout.finish();
    if !errors.is_empty() {
        // Not expected: a lexical error makes a token no statement takes.
        return parser::parse(text);
    }
    Parse { tree: SourceTree { items, comments }, errors }
}

/// Hands the text from `statement_start` on to the lalrpop parser, with `items`, the
/// statements before it, and the comments met before it.
fn parse_rest(text: &str, items: Vec<Item>, reader: Reader<'_>, statement_start: usize) -> Parse {
    if items.is_empty() {
        return parser::parse(text);
    }
    let (mut comments, errors) = reader.layout.finish();
    let before = |offset: u32| (offset as usize) < statement_start;
    if errors.iter().any(|error| before(error.span.start)) {
        return parser::parse(text);
    }
    comments.truncate(comments.partition_point(|comment| before(comment.span.start)));
    match Layout::resume_at(text, statement_start, comments, parser::MAX_ERRORS + 1) {
        Some(layout) => parser::parse_rest(text, items, layout),
        None => parser::parse(text),
    }
}

/// `word` or any keyword: the grammar's `Name`.
fn is_name(kind: TokenKind) -> bool {
    kind == TokenKind::Word || kind.is_keyword()
}

/// A name after `in` (`PlacementName`): not `any`, which means every namespace.
fn is_placement_name(kind: TokenKind) -> bool {
    kind != TokenKind::Any && is_name(kind)
}

/// A name in an assertion's sources (`AssertName`): not `can` or `cannot`.
fn is_assert_name(kind: TokenKind) -> bool {
    !matches!(kind, TokenKind::Can | TokenKind::Cannot) && is_name(kind)
}

/// The token stream with two tokens of lookahead and the end of the last token taken
/// (what the grammar's `@R` reads at the end of a production).
struct Reader<'a> {
    text: &'a str,
    layout: Layout<'a>,
    /// The next token, field by field (cheaper to move than the tuple).
    kind: TokenKind,
    start: usize,
    end: usize,
    /// The token after it, once asked for.
    second: Option<Spanned>,
    last_end: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        let layout = Layout::new(text, parser::MAX_ERRORS + 1);
        let mut reader = Reader { text, layout, kind: TokenKind::End, start: 0, end: 0, second: None, last_end: 0 };
        let first = reader.pull();
        reader.set_next(first);
        reader
    }

    fn set_next(&mut self, (start, kind, end): Spanned) {
        self.start = start;
        self.kind = kind;
        self.end = end;
    }

    fn peek(&self) -> TokenKind {
        self.kind
    }

    fn peek_second(&mut self) -> TokenKind {
        if self.second.is_none() {
            self.second = Some(self.pull());
        }
        self.second.map_or(TokenKind::End, |token| token.1)
    }

    fn pull(&mut self) -> Spanned {
        let end = self.text.len();
        self.layout.next().unwrap_or((end, TokenKind::End, end))
    }

    fn advance(&mut self) -> Spanned {
        let token = (self.start, self.kind, self.end);
        self.last_end = self.end;
        let next = match self.second.take() {
            Some(token) => token,
            None => self.pull(),
        };
        self.set_next(next);
        token
    }

    /// Takes the next token if it is `kind`.
    fn take(&mut self, kind: TokenKind) -> Option<Spanned> {
        (self.peek() == kind).then(|| self.advance())
    }

    /// The start of the next token (the grammar's `@L`).
    fn start(&self) -> usize {
        self.start
    }

    /// The span from `start` to the end of the last token taken.
    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.last_end)
    }

    fn word_if(&mut self, accepts: fn(TokenKind) -> bool) -> Option<Word> {
        if !accepts(self.peek()) {
            return None;
        }
        let (start, _, end) = self.advance();
        Some(word(self.text, start, end))
    }

    fn name(&mut self) -> Option<Word> {
        self.word_if(is_name)
    }

    // ------------------------------------------------------------ the file

    /// A top-level statement and the line end after it.
    fn statement_line(&mut self) -> Option<Item> {
        let item = self.statement()?;
        self.take(TokenKind::Newline)?;
        Some(item)
    }

    fn statement(&mut self) -> Option<Item> {
        let start = self.start();
        match self.peek() {
            TokenKind::Namespace => self.namespace().map(Item::Namespace),
            TokenKind::Group => {
                self.advance();
                let first = self.name()?;
                match self.peek() {
                    TokenKind::Slash | TokenKind::May => self.rule(start, RuleSource::Group, first),
                    _ => self.group_rest(start, first).map(Item::Group),
                }
            }
            TokenKind::Team => self.team().map(Item::Team),
            TokenKind::Port => {
                self.advance();
                let name = self.name()?;
                self.take(TokenKind::Equals)?;
                let ports = self.port_spec()?;
                Some(Item::Port(PortDecl { name, ports, span: self.span_from(start) }))
            }
            TokenKind::Network => {
                self.advance();
                let first = self.name()?;
                match self.peek() {
                    TokenKind::Equals => self.network_rest(start, first),
                    TokenKind::Slash | TokenKind::May => self.rule(start, RuleSource::Network, first),
                    _ => None,
                }
            }
            TokenKind::Assert => self.assert(),
            _ => None,
        }
    }

    // ------------------------------------------------------------ lists

    /// `{ T; T ... }` after its `{`, up to the `}` (left for the caller).
    fn members<T>(&mut self, member: fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut members = Vec::new();
        if self.peek() == TokenKind::RightBrace {
            return Some(members);
        }
        loop {
            members.push(member(self)?);
            match self.peek() {
                TokenKind::Newline | TokenKind::Semicolon => {
                    self.advance();
                }
                _ => return Some(members),
            }
        }
    }

    /// A list's first item, in a vector with room for a few more if a comma follows
    /// (most lists have one item; the others rarely more than four).
    fn list_start<T>(&mut self, item: fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let first = item(self)?;
        if self.peek() != TokenKind::Comma {
            return Some(vec![first]);
        }
        let mut list = Vec::with_capacity(4);
        list.push(first);
        Some(list)
    }

    /// `T, T, ...`
    fn comma_list<T>(&mut self, item: fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut list = self.list_start(item)?;
        while self.take(TokenKind::Comma).is_some() {
            list.push(item(self)?);
        }
        Some(list)
    }

    /// `T, T, ...` with an optional trailing comma before `closer` (left for the caller).
    fn bracket_list<T>(&mut self, item: fn(&mut Self) -> Option<T>, closer: TokenKind) -> Option<Vec<T>> {
        let mut list = self.list_start(item)?;
        while self.take(TokenKind::Comma).is_some() {
            if self.peek() == closer {
                break;
            }
            list.push(item(self)?);
        }
        Some(list)
    }

    // ------------------------------------------------------------ names

    /// `key` or `example.com/key`
    fn label_key(&mut self) -> Option<Word> {
        let prefix = self.name()?;
        if self.take(TokenKind::Slash).is_none() {
            return Some(prefix);
        }
        let name = self.name()?;
        Some(join(prefix, name))
    }

    /// The rest of `first` or `first/name`.
    fn reference_from(&mut self, first: Word, accepts: fn(TokenKind) -> bool) -> Option<Reference> {
        if self.take(TokenKind::Slash).is_none() {
            let span = first.span;
            return Some(Reference { namespace: None, name: first, span });
        }
        let name = self.word_if(accepts)?;
        let span = first.span.cover(name.span);
        Some(Reference { namespace: Some(first), name, span })
    }

    fn reference(&mut self) -> Option<Reference> {
        let first = self.name()?;
        self.reference_from(first, is_name)
    }

    fn assert_reference(&mut self) -> Option<Reference> {
        let first = self.word_if(is_assert_name)?;
        self.reference_from(first, is_assert_name)
    }

    // ------------------------------------------------------------ namespaces

    fn namespace(&mut self) -> Option<NamespaceDecl> {
        let start = self.advance().0;
        let name = self.name()?;
        self.take(TokenKind::LeftBrace)?;
        let members = self.members(Self::namespace_member)?;
        self.take(TokenKind::RightBrace)?;
        Some(NamespaceDecl { name, members, span: self.span_from(start) })
    }

    fn namespace_member(&mut self) -> Option<NamespaceMember> {
        let start = self.start();
        match self.peek() {
            TokenKind::Labels => {
                self.advance();
                self.take(TokenKind::LeftBrace)?;
                let entries = if self.peek() == TokenKind::RightBrace {
                    Vec::new()
                } else {
                    self.bracket_list(Self::label_entry, TokenKind::RightBrace)?
                };
                self.take(TokenKind::RightBrace)?;
                Some(NamespaceMember::Labels(LabelsBlock { entries, span: self.span_from(start) }))
            }
            TokenKind::Owner => self.owner().map(NamespaceMember::Owner),
            TokenKind::Isolate => {
                self.advance();
                let direction = match self.peek() {
                    TokenKind::Ingress => Direction::Ingress,
                    TokenKind::Egress => Direction::Egress,
                    _ => return None,
                };
                self.advance();
                Some(NamespaceMember::Isolate(Isolate { direction, span: self.span_from(start) }))
            }
            TokenKind::Allow => {
                self.advance();
                self.take(TokenKind::Internal)?;
                Some(NamespaceMember::AllowInternal(self.span_from(start)))
            }
            TokenKind::Group => {
                self.advance();
                let name = self.name()?;
                self.group_rest(start, name).map(NamespaceMember::Group)
            }
            _ => None,
        }
    }

    fn label_entry(&mut self) -> Option<LabelEntry> {
        let start = self.start();
        let key = self.label_key()?;
        self.take(TokenKind::Colon)?;
        let value = self.name()?;
        Some(LabelEntry { key, value, span: self.span_from(start) })
    }

    fn owner(&mut self) -> Option<Owner> {
        let start = self.take(TokenKind::Owner)?.0;
        let team = self.name()?;
        Some(Owner { team, span: self.span_from(start) })
    }

    // ------------------------------------------------------------ groups

    /// A group declaration after `group NAME`.
    fn group_rest(&mut self, start: usize, name: Word) -> Option<GroupDecl> {
        let placement = if self.take(TokenKind::In).is_some() { Some(self.placement()?) } else { None };
        let body = match self.peek() {
            TokenKind::Equals => {
                self.advance();
                GroupBody::Selector(self.selector()?)
            }
            TokenKind::LeftBrace => {
                let block_start = self.advance().0;
                let members = self.members(Self::group_member)?;
                self.take(TokenKind::RightBrace)?;
                GroupBody::Block { members, span: self.span_from(block_start) }
            }
            _ => return None,
        };
        Some(GroupDecl { name, placement, body, span: self.span_from(start) })
    }

    /// What follows `in`.
    fn placement(&mut self) -> Option<Placement> {
        let start = self.start();
        match self.peek() {
            TokenKind::Namespaces if self.peek_second() == TokenKind::LeftParen => {
                self.advance();
                self.advance();
                let selector = self.selector()?;
                self.take(TokenKind::RightParen)?;
                Some(Placement::Namespaces { selector, span: self.span_from(start) })
            }
            TokenKind::Any => {
                self.advance();
                Some(Placement::Any(self.span_from(start)))
            }
            _ => self.word_if(is_placement_name).map(Placement::Namespace),
        }
    }

    fn group_member(&mut self) -> Option<GroupMember> {
        match self.peek() {
            TokenKind::Match => {
                self.advance();
                self.selector().map(GroupMember::Match)
            }
            TokenKind::Owner => self.owner().map(GroupMember::Owner),
            _ => None,
        }
    }

    fn selector(&mut self) -> Option<Selector> {
        let start = self.start();
        let terms = self.comma_list(Self::selector_term)?;
        Some(Selector { terms, span: self.span_from(start) })
    }

    fn selector_term(&mut self) -> Option<SelectorTerm> {
        let start = self.start();
        let kind = match self.peek() {
            TokenKind::Bang => {
                self.advance();
                SelectorTermKind::DoesNotExist { key: self.label_key()? }
            }
            TokenKind::Star => {
                self.advance();
                SelectorTermKind::Everything
            }
            _ => {
                let key = self.label_key()?;
                match self.peek() {
                    TokenKind::Equals => {
                        self.advance();
                        SelectorTermKind::Equals { key, value: self.name()? }
                    }
                    TokenKind::NotEquals => {
                        self.advance();
                        SelectorTermKind::NotEquals { key, value: self.name()? }
                    }
                    TokenKind::In => {
                        self.advance();
                        SelectorTermKind::In { key, values: self.value_set()? }
                    }
                    TokenKind::NotIn => {
                        self.advance();
                        SelectorTermKind::NotIn { key, values: self.value_set()? }
                    }
                    _ => SelectorTermKind::Exists { key },
                }
            }
        };
        Some(SelectorTerm { kind, span: self.span_from(start) })
    }

    /// `(a, b)` after `in` or `notin`.
    fn value_set(&mut self) -> Option<Vec<Word>> {
        self.take(TokenKind::LeftParen)?;
        let values = self.bracket_list(Self::name, TokenKind::RightParen)?;
        self.take(TokenKind::RightParen)?;
        Some(values)
    }

    // ------------------------------------------------------------ teams

    fn team(&mut self) -> Option<TeamDecl> {
        let start = self.advance().0;
        let name = self.name()?;
        self.take(TokenKind::LeftBrace)?;
        let members = self.members(Self::team_member)?;
        self.take(TokenKind::RightBrace)?;
        Some(TeamDecl { name, members, span: self.span_from(start) })
    }

    fn team_member(&mut self) -> Option<TeamMember> {
        let start = self.start();
        match self.peek() {
            TokenKind::Group | TokenKind::User => {
                let is_group = self.advance().1 == TokenKind::Group;
                let (string_start, _, string_end) = self.take(TokenKind::String)?;
                let name = string_literal(self.text, string_start, string_end);
                let span = self.span_from(start);
                Some(if is_group { TeamMember::Group { name, span } } else { TeamMember::User { name, span } })
            }
            TokenKind::ServiceAccount => {
                self.advance();
                let namespace = self.name()?;
                self.take(TokenKind::Slash)?;
                let name = self.name()?;
                Some(TeamMember::ServiceAccount { namespace, name, span: self.span_from(start) })
            }
            _ => None,
        }
    }

    // ------------------------------------------------------------ ports

    fn port_spec(&mut self) -> Option<PortSpec> {
        if self.peek() != TokenKind::LeftBrace {
            return self.port_item().map(PortSpec::Single);
        }
        let start = self.advance().0;
        let items = self.bracket_list(Self::port_item, TokenKind::RightBrace)?;
        self.take(TokenKind::RightBrace)?;
        Some(PortSpec::Set { items, span: self.span_from(start) })
    }

    fn port_item(&mut self) -> Option<PortItem> {
        let start = self.start();
        let port = self.name()?;
        let protocol = if self.take(TokenKind::Slash).is_some() { Some(self.name()?) } else { None };
        Some(PortItem { port, protocol, span: self.span_from(start) })
    }

    // ------------------------------------------------------------ networks

    /// A network declaration after `network NAME`.
    fn network_rest(&mut self, start: usize, name: Word) -> Option<Item> {
        self.take(TokenKind::Equals)?;
        let cidr = self.cidr()?;
        let except = if self.take(TokenKind::Except).is_some() { self.comma_list(Self::cidr)? } else { Vec::new() };
        Some(Item::Network(NetworkDecl { name, cidr, except, span: self.span_from(start) }))
    }

    fn cidr(&mut self) -> Option<Word> {
        let address = self.word_if(|kind| matches!(kind, TokenKind::Word | TokenKind::Ipv6))?;
        if self.take(TokenKind::Slash).is_none() {
            return Some(address);
        }
        let length = self.word_if(|kind| kind == TokenKind::Word)?;
        Some(join(address, length))
    }

    // ------------------------------------------------------------ rules

    /// A rule after `group NAME` or `network NAME`.
    fn rule(&mut self, start: usize, source_kind: RuleSource, first: Word) -> Option<Item> {
        let source = self.reference_from(first, is_name)?;
        self.take(TokenKind::May)?;
        self.take(TokenKind::Reach)?;
        let targets = self.comma_list(Self::target)?;
        Some(Item::Rule(Rule { source_kind, source, targets, span: self.span_from(start) }))
    }

    fn target(&mut self) -> Option<Target> {
        let start = self.start();
        let reference = self.reference()?;
        let ports = if self.take(TokenKind::Colon).is_some() { Some(self.port_spec()?) } else { None };
        Some(Target { reference, ports, span: self.span_from(start) })
    }

    fn assert(&mut self) -> Option<Item> {
        let start = self.advance().0;
        let kind = if self.peek() == TokenKind::Only && is_assert_name(self.peek_second()) {
            self.advance();
            let sources = self.comma_list(Self::assert_reference)?;
            self.take(TokenKind::Can)?;
            self.take(TokenKind::Reach)?;
            AssertKind::OnlyCanReach { sources, target: self.target()? }
        } else {
            let source = self.assert_reference()?;
            let can = match self.peek() {
                TokenKind::Can => true,
                TokenKind::Cannot => false,
                _ => return None,
            };
            self.advance();
            self.take(TokenKind::Reach)?;
            let target = self.target()?;
            if can { AssertKind::CanReach { source, target } } else { AssertKind::CannotReach { source, target } }
        };
        Some(Item::Assert(Box::new(Assert { kind, span: self.span_from(start) })))
    }
}
