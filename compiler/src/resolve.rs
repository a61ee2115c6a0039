//! Name resolution: the names each file declares (without positions, so edits
//! that keep the names keep this query's value), the program-wide symbol table
//! built from them, and the lookup of a reference in it.

use rustc_hash::FxHashMap;
use std::fmt;
use std::sync::Arc;

use npg_grammar::ast::{self, Item, NamespaceMember, Placement, Reference};

use crate::db::{self, Db, Program, SourceFile};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::suggest;

/// The kinds of names a program declares. Each kind has its own name space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Group,
    Team,
    Port,
    Network,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Namespace => "namespace",
            Kind::Group => "group",
            Kind::Team => "team",
            Kind::Port => "port",
            Kind::Network => "network",
        })
    }
}

/// What identifies a declaration program-wide. Groups are per namespace; a group
/// that lives in several namespaces (`in namespaces(...)`, `in any`) has none.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeclKey {
    pub kind: Kind,
    pub namespace: Option<Arc<str>>,
    pub name: Arc<str>,
}

impl DeclKey {
    pub fn new(kind: Kind, name: &str) -> DeclKey {
        DeclKey { kind, namespace: None, name: name.into() }
    }

    pub fn group(namespace: Option<&str>, name: &str) -> DeclKey {
        DeclKey { kind: Kind::Group, namespace: namespace.map(Arc::from), name: name.into() }
    }

    /// How a user writes it: `shop/frontend`, `http`.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// The namespace the built-in `kube-dns` group lives in.
pub const KUBE_SYSTEM: &str = "kube-system";

/// A name npg declares itself, with a line describing it.
pub struct Builtin {
    pub key: DeclKey,
    pub description: &'static str,
}

static BUILTINS: std::sync::LazyLock<[Builtin; 3]> = std::sync::LazyLock::new(|| {
    [
        Builtin {
            key: DeclKey::group(Some(KUBE_SYSTEM), "kube-dns"),
            description: "the cluster DNS: pods labelled k8s-app=kube-dns in kube-system",
        },
        Builtin { key: DeclKey::group(None, "cluster"), description: "every pod in every namespace" },
        Builtin { key: DeclKey::new(Kind::Network, "world"), description: "every address: 0.0.0.0/0 and ::/0" },
    ]
});

/// Names npg declares itself.
pub fn builtins() -> &'static [Builtin] {
    BUILTINS.as_slice()
}

fn builtin_keys() -> impl Iterator<Item = &'static DeclKey> {
    builtins().iter().map(|builtin| &builtin.key)
}

pub fn builtin_named(name: &str) -> Option<DeclKey> {
    builtin_keys().find(|key| &*key.name == name).cloned()
}

/// Whether `key` is the built-in of that name.
pub fn is_builtin(key: &DeclKey, name: &str) -> bool {
    builtin_keys().any(|builtin| &*builtin.name == name && builtin == key)
}

/// The names one file declares, in source order.
#[salsa::tracked(returns(ref))]
pub fn file_declarations(db: &dyn Db, file: SourceFile) -> Vec<DeclKey> {
    let tree = &db::parse(db, file).tree;
    let mut declarations = Vec::new();
    for item in &tree.items {
        match item {
            Item::Namespace(namespace) => {
                declarations.push(DeclKey::new(Kind::Namespace, &namespace.name.text));
                for member in &namespace.members {
                    if let NamespaceMember::Group(group) = member {
                        declarations.push(group_key(group, Some(&namespace.name.text)));
                    }
                }
            }
            Item::Group(group) => declarations.push(group_key(group, None)),
            Item::Team(team) => declarations.push(DeclKey::new(Kind::Team, &team.name.text)),
            Item::Port(port) => declarations.push(DeclKey::new(Kind::Port, &port.name.text)),
            Item::Network(network) => declarations.push(DeclKey::new(Kind::Network, &network.name.text)),
            Item::Rule(_) | Item::Assert(_) | Item::Error(_) => {}
        }
    }
    declarations
}

/// The key a group declaration gets. Inside a namespace block the block wins over
/// any `in` clause (which is an error reported by the checks).
pub fn group_key(group: &ast::GroupDecl, enclosing_namespace: Option<&str>) -> DeclKey {
    let namespace = match (enclosing_namespace, &group.placement) {
        (Some(namespace), _) => Some(namespace),
        (None, Some(Placement::Namespace(namespace))) => Some(namespace.text.as_str()),
        (None, _) => None,
    };
    DeclKey::group(namespace, &group.name.text)
}

/// Every declared name of the program, and the files declaring it (sorted by path;
/// more than one file, or one file twice, means a duplicate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolTable {
    declarations: FxHashMap<DeclKey, Vec<Arc<str>>>,
    /// Every key by its bare name, for lookups of unqualified references.
    by_name: FxHashMap<Arc<str>, Vec<DeclKey>>,
}

#[salsa::tracked(returns(clone))]
pub fn symbol_table(db: &dyn Db, program: Program) -> Arc<SymbolTable> {
    let mut table = SymbolTable::default();
    for &file in db::sorted_files(db, program) {
        for key in file_declarations(db, file) {
            table.declarations.entry(key.clone()).or_default().push(file.path(db).clone());
        }
    }
    for key in table.declarations.keys() {
        table.by_name.entry(key.name.clone()).or_default().push(key.clone());
    }
    for keys in table.by_name.values_mut() {
        keys.sort_unstable();
    }
    Arc::new(table)
}

impl SymbolTable {
    /// The files that declare `key` (one entry per declaration).
    pub fn declaring_files(&self, key: &DeclKey) -> &[Arc<str>] {
        self.declarations.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn is_declared(&self, key: &DeclKey) -> bool {
        self.declarations.contains_key(key) || builtin_keys().any(|builtin| builtin == key)
    }

    /// Every group of this name, in any namespace.
    pub fn groups_named(&self, name: &str) -> Vec<DeclKey> {
        self.named(name).filter(|key| key.kind == Kind::Group).cloned().collect()
    }

    pub fn is_managed_namespace(&self, name: &str) -> bool {
        self.declarations.contains_key(&DeclKey::new(Kind::Namespace, name))
    }

    /// Every declared key of one kind, built-ins included.
    pub fn keys_of(&self, kind: Kind) -> impl Iterator<Item = DeclKey> + '_ {
        let declared = self.declarations.keys().filter(move |key| key.kind == kind).cloned();
        let builtin = builtin_keys().filter(move |key| key.kind == kind).cloned();
        declared.chain(builtin)
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a DeclKey> + 'a {
        let declared = self.by_name.get(name).into_iter().flatten();
        let builtin =
            builtin_keys().filter(move |key| &*key.name == name).map(|key: &'static DeclKey| -> &'a DeclKey { key });
        declared.chain(builtin)
    }

    /// Looks up `reference` as one of the `expected` kinds. A failure is an error
    /// diagnostic with a "did you mean" fix where a close name exists.
    pub fn resolve(
        &self,
        reference: &Reference,
        expected: &[Kind],
        file: &Arc<str>,
    ) -> Result<DeclKey, Box<Diagnostic>> {
        if reference.namespace.is_none() {
            let mut matching = self.named(&reference.name.text).filter(|key| expected.contains(&key.kind));
            if let (Some(only), None) = (matching.next(), matching.next()) {
                return Ok(only.clone());
            }
        }
        self.resolve_slowly(reference, expected, file)
    }

    /// The rest of [`SymbolTable::resolve`]: qualified names, ambiguity and errors.
    #[cold]
    fn resolve_slowly(
        &self,
        reference: &Reference,
        expected: &[Kind],
        file: &Arc<str>,
    ) -> Result<DeclKey, Box<Diagnostic>> {
        let location = Location { file: file.clone(), span: reference.span };
        let expected_text = describe_kinds(expected);
        if let Some(namespace) = &reference.namespace {
            let key = DeclKey::group(Some(&namespace.text), &reference.name.text);
            if expected.contains(&Kind::Group) && self.is_declared(&key) {
                return Ok(key);
            }
            let candidates: Vec<DeclKey> =
                self.keys_of(Kind::Group).filter(|key| key.namespace.as_deref() == Some(&namespace.text)).collect();
            let written = format!("{}/{}", namespace.text, reference.name.text);
            let mut diagnostic = Diagnostic::new(
                Code::UnknownName,
                location,
                format!("no group `{}` in namespace `{}`", reference.name.text, namespace.text),
            )
            .with_label("not declared");
            diagnostic = with_suggestion(diagnostic, &written, candidates.iter().map(DeclKey::display_name));
            return Err(Box::new(diagnostic));
        }
        let name = &reference.name.text;
        let found: Vec<&DeclKey> = self.named(name).collect();
        let matching: Vec<&DeclKey> = found.iter().copied().filter(|key| expected.contains(&key.kind)).collect();
        match matching.as_slice() {
            [key] => Ok((*key).clone()),
            [] => {
                if let Some(other) = found.iter().find(|key| key.kind != Kind::Namespace) {
                    let diagnostic = Diagnostic::new(
                        Code::WrongKind,
                        location,
                        format!("`{name}` is a {}, not {expected_text}", other.kind),
                    )
                    .with_label(format!("expected {expected_text}"));
                    return Err(Box::new(diagnostic));
                }
                let candidates: Vec<String> =
                    expected.iter().flat_map(|&kind| self.keys_of(kind)).map(|key| key.name.to_string()).collect();
                let nouns: Vec<String> = expected.iter().map(Kind::to_string).collect();
                let diagnostic =
                    Diagnostic::new(Code::UnknownName, location, format!("unknown {} `{name}`", nouns.join(" or ")))
                        .with_label("not declared anywhere in the program");
                Err(Box::new(with_suggestion(diagnostic, name, candidates)))
            }
            several => {
                let groups: Vec<&&DeclKey> = several.iter().filter(|key| key.kind == Kind::Group).collect();
                if groups.len() == several.len() {
                    let choices: Vec<String> = groups.iter().map(|key| format!("`{}`", key.display_name())).collect();
                    let diagnostic = Diagnostic::new(
                        Code::AmbiguousReference,
                        location,
                        format!("`{name}` names a group in several namespaces"),
                    )
                    .with_label("which one?")
                    .with_help(format!("write one of {}", choices.join(", ")));
                    return Err(Box::new(diagnostic));
                }
                // A group and a network of the same name: the rule target may be
                // either, so prefer the group and let the user qualify it otherwise.
                several.iter().find(|key| key.kind == Kind::Group).map(|key| (*key).clone()).ok_or_else(|| {
                    Box::new(Diagnostic::new(Code::AmbiguousReference, location, format!("`{name}` is ambiguous")))
                })
            }
        }
    }
}

fn describe_kinds(kinds: &[Kind]) -> String {
    let words: Vec<String> = kinds.iter().map(|kind| format!("a {kind}")).collect();
    match words.as_slice() {
        [] => "a name".to_owned(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Adds a "did you mean" help and fix when a candidate is close to `written`.
pub fn with_suggestion(
    diagnostic: Diagnostic,
    written: &str,
    candidates: impl IntoIterator<Item = String>,
) -> Diagnostic {
    let candidates: Vec<String> = candidates.into_iter().collect();
    match suggest::closest(written, candidates.iter().map(String::as_str)) {
        Some(best) => {
            let best = best.to_owned();
            diagnostic
                .with_help(format!("did you mean `{best}`?"))
                .with_replacement(format!("replace with `{best}`"), best)
        }
        None => diagnostic,
    }
}
