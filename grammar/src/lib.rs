//! The npg grammar: text in, syntax tree out. A logos lexer turns text into tokens
//! (keeping comments aside), a lalrpop grammar turns tokens into an [`ast::SourceTree`],
//! and [`format()`] prints a tree back in canonical layout with its comments.
//!
//! Parsing never fails: it returns a tree *and* every syntax error it found. A
//! statement (or block member) that does not parse becomes an `Error` node and the
//! rest of the tree is kept.
//!
//! Well-formed text, the common case, is read by a recursive-descent parser that
//! follows the grammar production by production; from the first statement with a
//! syntax error on, the lalrpop parser reads the file and does the recovery and the
//! messages. Both read the same language into the same tree (tests hold them to it).
//!
//! ```
//! use npg_grammar::ast::Item;
//!
//! let parsed = npg_grammar::parse("group frontend may reach backend:8080\nport http =\nport dns = 53/udp\n");
//! assert!(matches!(parsed.tree.items[..], [Item::Rule(_), Item::Error(_), Item::Port(_)]));
//! assert_eq!(parsed.errors.len(), 1);
//! assert_eq!(parsed.errors[0].message, "expected a port such as `8080`, `53/udp` or `http`, found the end of the line");
//!
//! assert_eq!(
//!     npg_grammar::outline(&npg_grammar::parse("group web   may reach api : 8080 , db\n").tree),
//!     "rule group web may reach [api:8080, db]\n",
//! );
//! assert_eq!(
//!     npg_grammar::format("namespace shop{owner web;group web=app=web}  # the shop\n").unwrap(),
//!     "namespace shop {\n  owner web\n  group web = app=web\n} # the shop\n",
//! );
//! ```
//!
//! Comments are not part of the tree's statements: [`ast::SourceTree::comments`]
//! lists them in source order with their spans, and [`format()`] puts each one
//! back by position (an own-line comment before what follows it, a trailing one at
//! the end of its line).

pub mod ast;
mod descent;
mod format;
pub mod lexer;
mod outline;
mod parser;

pub use ast::Span;
pub use format::format;
pub use outline::outline;

/// What went wrong while reading the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyntaxErrorKind {
    /// A token that no statement can continue with.
    UnexpectedToken,
    /// The file ended in the middle of a statement.
    UnexpectedEnd,
    /// A character that starts no token.
    InvalidCharacter,
    /// A `"` string without its closing quote on the same line.
    UnterminatedString,
    /// Recovery gave up after this many errors in one file.
    TooManyErrors,
}

/// One syntax error, with what the parser expected instead (token names such as
/// `` `=` `` or `a name`), most useful first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
    pub message: String,
    pub expected: Vec<String>,
}

/// A syntax tree and the syntax errors met while building it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Parse {
    pub tree: ast::SourceTree,
    pub errors: Vec<SyntaxError>,
}

/// Parses one file's text. Never fails: statements that do not parse become
/// `Error` nodes (`Item::Error`, `NamespaceMember::Error`, ...) and every syntax
/// error is listed in [`Parse::errors`], at most [`MAX_SYNTAX_ERRORS`] of them
/// followed by one [`SyntaxErrorKind::TooManyErrors`].
pub fn parse(text: &str) -> Parse {
    descent::parse(text)
}

/// Parses with the lalrpop parser alone (what [`parse`] does for text with syntax
/// errors), so that tests can check that both parsers agree.
#[doc(hidden)]
pub fn parse_with_recovery(text: &str) -> Parse {
    parser::parse(text)
}

/// How many syntax errors one file reports before giving up on reporting more.
pub const MAX_SYNTAX_ERRORS: usize = parser::MAX_ERRORS;
