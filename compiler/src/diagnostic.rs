//! The one diagnostic type every phase returns. Diagnostics are plain data: they
//! name a file by path and a span in bytes; rendering (terminal, JSON, SARIF, LSP)
//! happens once, at the edge, from these values.

use std::fmt;
use std::sync::Arc;

pub use npg_grammar::Span;

/// How bad it is. Errors stop `npg build`; warnings do not (unless denied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a source file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file's path as the program knows it (forward slashes).
    pub file: Arc<str>,
    pub span: Span,
}

/// A span with a message, pointing at what the diagnostic is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// One replacement of source text that a fix makes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextEdit {
    pub location: Location,
    pub replacement: String,
}

/// A suggested change that resolves the diagnostic (a "did you mean", say).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
}

/// A problem found in a program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where it is; the first thing a renderer shows.
    pub primary: Label,
    /// Other places that explain it (the earlier declaration of a duplicate, say).
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(code: Code, location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label { location, message: String::new() },
            secondary: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// The message shown under the primary span.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, location: Location, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { location, message: message.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// A fix that replaces the primary span with `replacement`.
    pub fn with_replacement(mut self, title: impl Into<String>, replacement: impl Into<String>) -> Diagnostic {
        self.fix = Some(Fix {
            title: title.into(),
            edits: vec![TextEdit { location: self.primary.location.clone(), replacement: replacement.into() }],
        });
        self
    }

    /// A parser error as a diagnostic: its code, and what was expected as the label.
    pub fn from_syntax_error(file: Arc<str>, error: &npg_grammar::SyntaxError) -> Diagnostic {
        use npg_grammar::SyntaxErrorKind;
        let code = match error.kind {
            SyntaxErrorKind::UnexpectedToken => Code::UnexpectedToken,
            SyntaxErrorKind::UnexpectedEnd => Code::UnexpectedEnd,
            SyntaxErrorKind::InvalidCharacter => Code::InvalidCharacter,
            SyntaxErrorKind::UnterminatedString => Code::UnterminatedString,
            SyntaxErrorKind::TooManyErrors => Code::TooManySyntaxErrors,
        };
        let diagnostic = Diagnostic::new(code, Location { file, span: error.span }, error.message.clone());
        match error.expected.as_slice() {
            [] => diagnostic,
            [only] => diagnostic.with_label(format!("expected {only}")),
            [first @ .., last] => diagnostic.with_label(format!("expected {} or {last}", first.join(", "))),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The order diagnostics are reported in: by file, then position, then code.
    pub fn sort_key(&self) -> (&str, u32, u32, Code) {
        let location = &self.primary.location;
        (&location.file, location.span.start, location.span.end, self.code)
    }
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $severity:ident; )*) => {
        /// Stable diagnostic codes. A code never changes meaning once released;
        /// `docs/diagnostics.md` describes each one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as users see it, e.g. `NPG0201`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// A short description, the first line of its documentation.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => first_line(&[$($doc),*]), )* }
            }
        }
    };
}

const fn first_line(docs: &[&'static str]) -> &'static str {
    match docs.first() {
        Some(line) => line,
        None => "",
    }
}

codes! {
    // Source text (NPG00xx)
    /// The file is not valid UTF-8.
    InvalidUtf8 = "NPG0001", Error;
    /// The file is larger than npg reads.
    FileTooLarge = "NPG0002", Error;

    // Syntax (NPG01xx)
    /// A token that no statement can continue with.
    UnexpectedToken = "NPG0101", Error;
    /// The file ends in the middle of a statement.
    UnexpectedEnd = "NPG0102", Error;
    /// A character that starts no token.
    InvalidCharacter = "NPG0103", Error;
    /// A string without its closing quote.
    UnterminatedString = "NPG0104", Error;
    /// Too many syntax errors in one file; the rest are not reported.
    TooManySyntaxErrors = "NPG0105", Error;

    // Names (NPG02xx)
    /// A name that is not declared.
    UnknownName = "NPG0201", Error;
    /// A name declared twice.
    DuplicateDeclaration = "NPG0202", Error;
    /// A name of the wrong kind (a port where a group is expected, say).
    WrongKind = "NPG0203", Error;
    /// A group name declared in several namespaces, used without `namespace/`.
    AmbiguousReference = "NPG0204", Error;
    /// A name that is not a valid DNS label.
    InvalidName = "NPG0205", Error;
    /// A group or namespace declared in two places at once (an `in` clause inside a namespace block, say).
    ConflictingPlacement = "NPG0206", Error;
    /// Two things that would write a NetworkPolicy of the same name in one namespace.
    PolicyNameClash = "NPG0207", Error;
    /// A group declared outside any namespace block without `in NAMESPACE`.
    GroupWithoutNamespace = "NPG0208", Error;
    /// A port declaration that refers back to itself through other ports.
    CyclicPort = "NPG0209", Error;

    // Values (NPG03xx)
    /// A label key that Kubernetes rejects.
    InvalidLabelKey = "NPG0301", Error;
    /// A label value that Kubernetes rejects.
    InvalidLabelValue = "NPG0302", Error;
    /// A selector or label block that says something twice or contradicts itself.
    ConflictingLabels = "NPG0303", Error;
    /// A port number outside 1-65535.
    InvalidPort = "NPG0304", Error;
    /// A port range whose start is above its end, or out of bounds.
    InvalidPortRange = "NPG0305", Error;
    /// A protocol other than tcp, udp or sctp.
    InvalidProtocol = "NPG0306", Error;
    /// A port name that breaks the IANA service name rules Kubernetes uses.
    InvalidPortName = "NPG0307", Error;
    /// A malformed CIDR block.
    InvalidCidr = "NPG0308", Error;
    /// An `except` block that is not inside its network's block.
    ExceptOutsideBlock = "NPG0309", Error;
    /// An `except` block of the other IP family.
    ExceptFamilyMismatch = "NPG0310", Error;
    /// A user, group or service account subject that Kubernetes rejects.
    InvalidSubject = "NPG0311", Error;
    /// A block that says the same thing twice (two owners, two `match` lines).
    DuplicateMember = "NPG0312", Error;
    /// A block that lacks something it needs (a group block without `match`).
    MissingMember = "NPG0313", Error;
    /// A rule whose source or target cannot be used in that place.
    InvalidRule = "NPG0314", Error;

    // Checks (NPG04xx)
    /// An `assert` that does not hold.
    AssertionFailed = "NPG0401", Error;

    // Warnings (NPG05xx)
    /// A declaration nothing uses.
    UnusedDeclaration = "NPG0501", Warning;
    /// A group whose selector matches every pod of its namespaces.
    SelectsEveryPod = "NPG0502", Warning;
    /// Egress to a namespace npg does not manage: its ingress half cannot be written.
    UnmanagedTarget = "NPG0503", Warning;
    /// A group whose egress is isolated and that cannot reach DNS.
    NoDnsEgress = "NPG0504", Warning;
    /// A rule that allows nothing another rule does not already allow.
    ImpliedRule = "NPG0505", Warning;
    /// Two groups that can select the same pod.
    OverlappingGroups = "NPG0506", Warning;
    /// A rule half that npg cannot write because the other side is not managed or is every pod.
    HalfNotWritten = "NPG0507", Warning;

    // Kubernetes manifests read by the connectivity engine (NPG06xx)
    /// A field of a Kubernetes object that Kubernetes rejects or that cannot be given a meaning.
    InvalidManifest = "NPG0601", Error;
    /// A YAML document or JSON file that does not parse; it and the rest of its file are skipped.
    UnreadableDocument = "NPG0602", Warning;
    /// An object whose fields have values of the wrong type, or that is no Kubernetes object; it is skipped.
    MalformedObject = "NPG0603", Warning;
    /// A Namespace or NetworkPolicy given twice.
    DuplicateObject = "NPG0604", Error;
    /// Pods of one owner with different labels that a policy selector tells apart.
    InconsistentOwnerLabels = "NPG0605", Error;
    /// Manifests without any workload to report connectivity for.
    NoWorkloads = "NPG0606", Error;
    /// A workload on its node's network, which policies neither select nor isolate.
    HostNetworkWorkload = "NPG0607", Warning;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_errors_become_diagnostics_with_what_was_expected() {
        let error = npg_grammar::SyntaxError {
            kind: npg_grammar::SyntaxErrorKind::UnexpectedToken,
            span: Span::new(3, 5),
            message: "unexpected `:`".into(),
            expected: vec!["`=`".into(), "`{`".into(), "a name".into()],
        };
        let diagnostic = Diagnostic::from_syntax_error("a.npg".into(), &error);
        assert_eq!(diagnostic.code, Code::UnexpectedToken);
        assert_eq!(diagnostic.primary.location.span, Span::new(3, 5));
        assert_eq!(diagnostic.primary.message, "expected `=`, `{` or a name");
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} is used twice");
            assert_eq!(text.len(), 7, "{text}");
            assert!(text.starts_with("NPG") && text[3..].bytes().all(|b| b.is_ascii_digit()), "{text}");
            assert!(!code.summary().is_empty(), "{text} has no summary");
        }
    }
}
