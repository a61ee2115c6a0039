//! The syntax tree of one `.npg` file: what was written, where, and nothing more.
//! Every node carries the byte span it came from; nothing here is resolved or
//! validated (a port is still the word `8000-8100`, a CIDR still a word).

/// The text of words and strings: up to 24 bytes are stored inline, without a heap
/// allocation (names, label keys and values, ports and addresses almost always fit).
pub use compact_str::CompactString;

/// A half-open byte range `start..end` in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: clamp_offset(start), end: clamp_offset(end) }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

fn clamp_offset(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// A token's text as written (a name, label key or value, port, CIDR), with its span.
/// Multi-token words such as `app.kubernetes.io/name`, `shop/frontend` or
/// `10.0.0.0/8` are joined into one word whose span covers them all.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Word {
    pub text: CompactString,
    pub span: Span,
}

/// A double-quoted string, unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StringLiteral {
    pub value: CompactString,
    pub span: Span,
}

/// A `#` comment, kept so the formatter can put it back. `text` includes the `#`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SourceTree {
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    Namespace(NamespaceDecl),
    Group(GroupDecl),
    Team(TeamDecl),
    Port(PortDecl),
    Network(NetworkDecl),
    Rule(Rule),
    /// Boxed: an assertion is twice the size of any other item, and rare.
    Assert(Box<Assert>),
    /// A statement that did not parse; its syntax error is in `Parse::errors`.
    Error(Span),
}

/// `namespace NAME { ... }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NamespaceDecl {
    pub name: Word,
    pub members: Vec<NamespaceMember>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NamespaceMember {
    Labels(LabelsBlock),
    Owner(Owner),
    Isolate(Isolate),
    /// `allow internal`
    AllowInternal(Span),
    Group(GroupDecl),
    Error(Span),
}

/// `labels { k: v, ... }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LabelsBlock {
    pub entries: Vec<LabelEntry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LabelEntry {
    pub key: Word,
    pub value: Word,
    pub span: Span,
}

/// `owner TEAM`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    pub team: Word,
    pub span: Span,
}

/// `isolate ingress` / `isolate egress`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Isolate {
    pub direction: Direction,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

/// `group NAME [in PLACEMENT] = SELECTOR` or `group NAME [in PLACEMENT] { match SELECTOR; owner T }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupDecl {
    pub name: Word,
    pub placement: Option<Placement>,
    pub body: GroupBody,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// `in shop`
    Namespace(Word),
    /// `in namespaces(env=prod)`; the span covers `namespaces(...)`
    Namespaces { selector: Selector, span: Span },
    /// `in any`
    Any(Span),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupBody {
    /// `= SELECTOR`
    Selector(Selector),
    /// `{ match SELECTOR; owner T }`
    Block { members: Vec<GroupMember>, span: Span },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupMember {
    Match(Selector),
    Owner(Owner),
    Error(Span),
}

/// A comma-separated label selector; every term must hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Selector {
    pub terms: Vec<SelectorTerm>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SelectorTerm {
    pub kind: SelectorTermKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SelectorTermKind {
    /// `k=v`
    Equals { key: Word, value: Word },
    /// `k!=v`
    NotEquals { key: Word, value: Word },
    /// `k in (a, b)`
    In { key: Word, values: Vec<Word> },
    /// `k notin (a, b)`
    NotIn { key: Word, values: Vec<Word> },
    /// `k`
    Exists { key: Word },
    /// `!k`
    DoesNotExist { key: Word },
    /// `*`
    Everything,
}

/// `team NAME { group "g"; user "u"; serviceaccount ns/name }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TeamDecl {
    pub name: Word,
    pub members: Vec<TeamMember>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TeamMember {
    Group { name: StringLiteral, span: Span },
    User { name: StringLiteral, span: Span },
    ServiceAccount { namespace: Word, name: Word, span: Span },
    Error(Span),
}

/// `port NAME = PORTS`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortDecl {
    pub name: Word,
    pub ports: PortSpec,
    pub span: Span,
}

/// `8080`, `53/udp`, `8000-8100/tcp`, `http`, or a set `{ 80, 443/tcp, http }`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortSpec {
    Single(PortItem),
    Set { items: Vec<PortItem>, span: Span },
}

impl PortSpec {
    pub fn span(&self) -> Span {
        match self {
            PortSpec::Single(item) => item.span,
            PortSpec::Set { span, .. } => *span,
        }
    }

    pub fn items(&self) -> &[PortItem] {
        match self {
            PortSpec::Single(item) => std::slice::from_ref(item),
            PortSpec::Set { items, .. } => items,
        }
    }
}

/// One port entry: `port` is the word before any `/` (`8080`, `8000-8100`, `http`),
/// `protocol` the word after it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortItem {
    pub port: Word,
    pub protocol: Option<Word>,
    pub span: Span,
}

/// `network NAME = CIDR [except CIDR, ...]`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NetworkDecl {
    pub name: Word,
    pub cidr: Word,
    pub except: Vec<Word>,
    pub span: Span,
}

/// A reference to a declared or built-in name: `frontend` or `shop/frontend`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    pub namespace: Option<Word>,
    pub name: Word,
    pub span: Span,
}

/// The keyword a rule starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleSource {
    /// `group A may reach ...`
    Group,
    /// `network N may reach ...`
    Network,
}

/// `group A may reach T[:PORTS], ...` / `network N may reach G:PORTS, ...`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub source_kind: RuleSource,
    pub source: Reference,
    pub targets: Vec<Target>,
    pub span: Span,
}

/// One target of a rule or assertion: `backend`, `db:5432`, `web:{80, 443}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub reference: Reference,
    pub ports: Option<PortSpec>,
    pub span: Span,
}

/// `assert ...`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Assert {
    pub kind: AssertKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AssertKind {
    /// `assert A can reach B[:PORTS]`
    CanReach { source: Reference, target: Target },
    /// `assert A cannot reach B[:PORTS]`
    CannotReach { source: Reference, target: Target },
    /// `assert only A, B can reach C[:PORTS]`
    OnlyCanReach { sources: Vec<Reference>, target: Target },
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Namespace(item) => item.span,
            Item::Group(item) => item.span,
            Item::Team(item) => item.span,
            Item::Port(item) => item.span,
            Item::Network(item) => item.span,
            Item::Rule(item) => item.span,
            Item::Assert(item) => item.span,
            Item::Error(span) => *span,
        }
    }
}
