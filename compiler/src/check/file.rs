//! The checks of one file: names declared and used, values validated against
//! Kubernetes' rules, and the file's declarations and rules turned into drafts
//! of the model.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashSet;
use std::sync::Arc;

use npg_grammar::Span;
use npg_grammar::ast::{
    self, AssertKind, GroupBody, GroupMember, Item, LabelsBlock, NamespaceMember, PortSpec, Reference, RuleSource,
    SelectorTermKind, TeamMember, Word,
};

use super::kubernetes::{self, PortWord, Problem};
use super::{
    AssertionDraft, FileCheck, GroupDraft, NamespaceDraft, PortDraft, PortPiece, RuleDraft, RulePorts, location,
};
use crate::db::{self, Db, SourceFile};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::line_index::LineIndex;
use crate::model::{
    self, AddressBlock, Group, LabelSelector, ManagedNamespace, Network, Placement, Port, Protocol, Requirement,
    SourceLine, Subject, Team,
};
use crate::resolve::{self, DeclKey, Kind, SymbolTable};

/// Group names whose policy name `npg-<name>` npg uses for its own policies.
const RESERVED_GROUP_NAMES: [&str; 2] = ["default-deny", "allow-internal"];

pub(super) fn check(db: &dyn Db, file: SourceFile, table: &SymbolTable) -> FileCheck {
    let parse = db::parse(db, file);
    let mut checker = FileChecker {
        file: file.path(db).clone(),
        lines: LineIndex::new(file.text(db)),
        table,
        out: FileCheck::default(),
        references: FxHashSet::default(),
    };
    for error in &parse.errors {
        checker.syntax_error(error);
    }
    for item in &parse.tree.items {
        checker.item(item);
    }
    let mut references: Vec<DeclKey> = checker.references.into_iter().collect();
    references.sort_unstable();
    checker.out.references = references;
    checker.out
}

struct FileChecker<'a> {
    file: Arc<str>,
    lines: LineIndex,
    table: &'a SymbolTable,
    out: FileCheck,
    /// Names used so far; sorted into `out.references` at the end.
    references: FxHashSet<DeclKey>,
}

impl FileChecker<'_> {
    fn at(&self, span: Span) -> Location {
        location(&self.file, span)
    }

    fn source_line(&self, span: Span) -> SourceLine {
        SourceLine { file: self.file.clone(), line: self.lines.line_number(span.start) }
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.out.diagnostics.push(diagnostic);
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) {
        let diagnostic = Diagnostic::new(code, self.at(span), message);
        self.report(diagnostic);
    }

    /// Reports a failed value check at `span`, with its suggested replacement.
    fn problem(&mut self, span: Span, problem: Problem) {
        let mut diagnostic = Diagnostic::new(problem.code, self.at(span), problem.message).with_label("not valid here");
        if let Some(suggestion) = problem.suggestion {
            diagnostic = diagnostic
                .with_help(format!("write `{suggestion}`"))
                .with_replacement(format!("replace with `{suggestion}`"), suggestion);
        }
        self.report(diagnostic);
    }

    fn valid(&mut self, span: Span, result: Result<(), Problem>) -> bool {
        match result {
            Ok(()) => true,
            Err(problem) => {
                self.problem(span, problem);
                false
            }
        }
    }

    fn syntax_error(&mut self, error: &npg_grammar::SyntaxError) {
        let diagnostic = Diagnostic::from_syntax_error(self.file.clone(), error);
        self.report(diagnostic);
    }

    /// Records a declaration, reporting it when the same name was declared before
    /// (earlier in this file, or in a file that sorts first).
    fn declare(&mut self, key: DeclKey, name: &Word) {
        let location = self.at(name.span);
        if let Some(builtin) =
            resolve::builtin_named(&key.name).filter(|_| matches!(key.kind, Kind::Group | Kind::Network))
        {
            let diagnostic = Diagnostic::new(
                Code::DuplicateDeclaration,
                location.clone(),
                format!("`{}` is built in and cannot be declared again", builtin.name),
            )
            .with_label(format!("npg already defines this {}", builtin.kind))
            .with_help("choose another name");
            self.report(diagnostic);
            return;
        } else if self.table.declaring_files(&key).len() > 1 {
            let earlier_here =
                self.out.declarations.iter().find(|(declared, _)| *declared == key).map(|(_, at)| at.clone());
            let earlier_file =
                self.table.declaring_files(&key).iter().find(|path| path.as_ref() < self.file.as_ref()).cloned();
            let what = format!("{} `{}`", key.kind, key.display_name());
            if let Some(earlier) = earlier_here {
                let diagnostic =
                    Diagnostic::new(Code::DuplicateDeclaration, location.clone(), format!("{what} is declared twice"))
                        .with_label("declared again here")
                        .with_secondary(earlier, "first declared here")
                        .with_help("rename one of them, or merge them into one declaration");
                self.report(diagnostic);
            } else if let Some(earlier_file) = earlier_file {
                let diagnostic =
                    Diagnostic::new(Code::DuplicateDeclaration, location.clone(), format!("{what} is declared twice"))
                        .with_label("declared again here")
                        .with_help(format!("it is first declared in `{earlier_file}`; rename one of them"));
                self.report(diagnostic);
            }
        }
        self.out.declarations.push((key, location));
    }

    /// Looks a reference up, recording the use; reports the failure.
    fn resolve(&mut self, reference: &Reference, expected: &[Kind]) -> Option<DeclKey> {
        match self.table.resolve(reference, expected, &self.file) {
            Ok(key) => {
                self.references.insert(key.clone());
                Some(key)
            }
            Err(diagnostic) => {
                self.report(*diagnostic);
                None
            }
        }
    }

    fn resolve_word(&mut self, word: &Word, expected: &[Kind]) -> Option<DeclKey> {
        let reference = Reference { namespace: None, name: word.clone(), span: word.span };
        self.resolve(&reference, expected)
    }

    fn name(&mut self, word: &Word) -> bool {
        let result = kubernetes::check_name(&word.text);
        self.valid(word.span, result)
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Namespace(namespace) => self.namespace(namespace),
            Item::Group(group) => self.group(group, None),
            Item::Team(team) => self.team(team),
            Item::Port(port) => self.port(port),
            Item::Network(network) => self.network(network),
            Item::Rule(rule) => self.rule(rule),
            Item::Assert(assert) => self.assert(assert),
            Item::Error(_) => {}
        }
    }

    fn namespace(&mut self, declaration: &ast::NamespaceDecl) {
        self.name(&declaration.name);
        let name = declaration.name.text.to_string();
        self.declare(DeclKey::new(Kind::Namespace, &name), &declaration.name);
        let mut namespace = ManagedNamespace {
            name: name.clone(),
            labels: BTreeMap::new(),
            owner: None,
            isolate_ingress: true,
            isolate_egress: true,
            allow_internal: false,
            source: self.source_line(declaration.span),
        };
        let mut owner = None;
        let mut seen_labels: Option<Span> = None;
        let mut seen_owner: Option<Span> = None;
        let mut isolations: Vec<(ast::Direction, Span)> = Vec::new();
        let mut seen_allow_internal: Option<Span> = None;
        for member in &declaration.members {
            match member {
                NamespaceMember::Labels(block) => {
                    if self.once(&mut seen_labels, block.span, "`labels`", &name) {
                        namespace.labels = self.labels(block, &name);
                    }
                }
                NamespaceMember::Owner(declared) => {
                    if self.once(&mut seen_owner, declared.span, "`owner`", &name)
                        && self.resolve_word(&declared.team, &[Kind::Team]).is_some()
                    {
                        owner = Some(declared.team.text.to_string());
                    }
                }
                NamespaceMember::Isolate(isolate) => {
                    if isolations.iter().any(|(direction, _)| *direction == isolate.direction) {
                        self.error(Code::DuplicateMember, isolate.span, "this direction is already isolated");
                    }
                    isolations.push((isolate.direction, isolate.span));
                }
                NamespaceMember::AllowInternal(span) => {
                    if self.once(&mut seen_allow_internal, *span, "`allow internal`", &name) {
                        namespace.allow_internal = true;
                    }
                }
                NamespaceMember::Group(group) => self.group(group, Some(&name)),
                NamespaceMember::Error(_) => {}
            }
        }
        if !isolations.is_empty() {
            namespace.isolate_ingress = isolations.iter().any(|(direction, _)| *direction == ast::Direction::Ingress);
            namespace.isolate_egress = isolations.iter().any(|(direction, _)| *direction == ast::Direction::Egress);
        }
        self.out.namespaces.push(NamespaceDraft { namespace, owner });
    }

    /// Reports a block member given twice; true the first time.
    fn once(&mut self, seen: &mut Option<Span>, span: Span, what: &str, block: &str) -> bool {
        match seen {
            Some(first) => {
                let diagnostic = Diagnostic::new(
                    Code::DuplicateMember,
                    self.at(span),
                    format!("{what} is given twice in `{block}`"),
                )
                .with_label("given again here")
                .with_secondary(self.at(*first), "first given here")
                .with_help("keep one of them");
                self.report(diagnostic);
                false
            }
            None => {
                *seen = Some(span);
                true
            }
        }
    }

    fn labels(&mut self, block: &LabelsBlock, namespace: &str) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut first_at: BTreeMap<String, Span> = BTreeMap::new();
        for entry in &block.entries {
            let key_ok = self.valid(entry.key.span, kubernetes::check_label_key(&entry.key.text));
            let value_ok = self.valid(entry.value.span, kubernetes::check_label_value(&entry.value.text));
            if !(key_ok && value_ok) {
                continue;
            }
            if entry.key.text == crate::model::NAMESPACE_NAME_LABEL && entry.value.text != namespace {
                let diagnostic = Diagnostic::new(
                    Code::ConflictingLabels,
                    self.at(entry.span),
                    format!("Kubernetes sets `{}` to the namespace's name, `{namespace}`", entry.key.text),
                )
                .with_help("remove this label: every namespace already has it");
                self.report(diagnostic);
                continue;
            }
            if let Some(first) = first_at.get(entry.key.text.as_str()) {
                let diagnostic = Diagnostic::new(
                    Code::ConflictingLabels,
                    self.at(entry.key.span),
                    format!("label `{}` is given twice", entry.key.text),
                )
                .with_secondary(self.at(*first), "first given here");
                self.report(diagnostic);
                continue;
            }
            first_at.insert(entry.key.text.to_string(), entry.key.span);
            labels.insert(entry.key.text.to_string(), entry.value.text.to_string());
        }
        labels
    }

    fn group(&mut self, declaration: &ast::GroupDecl, enclosing: Option<&str>) {
        let named_ok = self.name(&declaration.name);
        let key = resolve::group_key(declaration, enclosing);
        self.declare(key.clone(), &declaration.name);
        let name = declaration.name.text.to_string();
        if named_ok && RESERVED_GROUP_NAMES.contains(&name.as_str()) {
            let diagnostic = Diagnostic::new(
                Code::PolicyNameClash,
                self.at(declaration.name.span),
                format!("group `{name}` would write a policy named `npg-{name}`, which npg writes for namespaces"),
            )
            .with_help("choose another name");
            self.report(diagnostic);
        }
        if named_ok {
            self.clashes_across_namespaces(&key, &declaration.name);
        }
        let placement = match (enclosing, &declaration.placement) {
            (Some(namespace), None) => Some(Placement::Namespace(namespace.to_owned())),
            (Some(namespace), Some(placement)) => {
                let span = placement_span(placement);
                let diagnostic = Diagnostic::new(
                    Code::ConflictingPlacement,
                    self.at(span),
                    format!("group `{name}` is inside `namespace {namespace}` and cannot also say where it lives"),
                )
                .with_help("remove the `in` clause, or move the group out of the namespace block");
                self.report(diagnostic);
                None
            }
            (None, None) => {
                let diagnostic = Diagnostic::new(
                    Code::GroupWithoutNamespace,
                    self.at(declaration.name.span),
                    format!("group `{name}` does not say which namespace it is in"),
                )
                .with_label("in which namespace?")
                .with_help(format!(
                    "declare it inside `namespace NAME {{ }}`, or write `group {name} in NAME = ...` (or `in any`)"
                ));
                self.report(diagnostic);
                None
            }
            (None, Some(ast::Placement::Namespace(namespace))) => {
                self.name(namespace).then(|| Placement::Namespace(namespace.text.to_string()))
            }
            (None, Some(ast::Placement::Namespaces { selector, .. })) => {
                self.selector(selector).map(Placement::Namespaces)
            }
            (None, Some(ast::Placement::Any(_))) => Some(Placement::Any),
        };
        let mut owner = None;
        let selector = match &declaration.body {
            GroupBody::Selector(selector) => self.selector(selector),
            GroupBody::Block { members, span } => {
                let mut selector = None;
                let mut seen_match = None;
                let mut seen_owner = None;
                for member in members {
                    match member {
                        GroupMember::Match(written) => {
                            if self.once(&mut seen_match, written.span, "`match`", &name) {
                                selector = Some(self.selector(written));
                            }
                        }
                        GroupMember::Owner(declared) => {
                            if self.once(&mut seen_owner, declared.span, "`owner`", &name)
                                && self.resolve_word(&declared.team, &[Kind::Team]).is_some()
                            {
                                owner = Some(declared.team.text.to_string());
                            }
                        }
                        GroupMember::Error(_) => {}
                    }
                }
                if selector.is_none() {
                    let diagnostic = Diagnostic::new(
                        Code::MissingMember,
                        self.at(*span),
                        format!("group `{name}` does not say which pods it selects"),
                    )
                    .with_help("add a line `match KEY=VALUE` (or `match *` for every pod)");
                    self.report(diagnostic);
                }
                selector.flatten()
            }
        };
        let (Some(placement), Some(selector)) = (placement, selector) else {
            return;
        };
        if selector.selects_everything() {
            let (message, help) = match &placement {
                Placement::Namespace(namespace) => (
                    format!("group `{name}` selects every pod in namespace `{namespace}`"),
                    "for traffic inside the namespace, `allow internal` says this directly; otherwise narrow the selector",
                ),
                Placement::Namespaces(_) | Placement::Any => (
                    format!("group `{name}` selects every pod in every namespace it is in"),
                    "the built-in group `cluster` means every pod; otherwise narrow the selector",
                ),
            };
            let diagnostic =
                Diagnostic::new(Code::SelectsEveryPod, self.at(declaration.name.span), message).with_help(help);
            self.report(diagnostic);
        }
        let group = Group {
            name: name.clone(),
            placement,
            selector,
            owner: None,
            builtin: None,
            source: Some(self.source_line(declaration.span)),
        };
        let name_location = self.at(declaration.name.span);
        self.out.groups.push(GroupDraft { key, group, owner, name: name_location });
    }

    /// A group that lives in several namespaces writes `npg-<name>` into each of
    /// them, so no other group may share its name.
    fn clashes_across_namespaces(&mut self, key: &DeclKey, name: &Word) {
        if resolve::builtin_named(&key.name).is_some() {
            return; // reported as a redeclared built-in
        }
        let others: Vec<DeclKey> = self
            .table
            .groups_named(&key.name)
            .into_iter()
            .filter(|other| other != key && (other.namespace.is_none() || key.namespace.is_none()))
            .collect();
        let Some(other) = others.first() else {
            return;
        };
        let diagnostic = Diagnostic::new(
            Code::PolicyNameClash,
            self.at(name.span),
            format!(
                "group `{}` and group `{}` could both write a policy named `npg-{}` in one namespace",
                key.display_name(),
                other.display_name(),
                key.name
            ),
        )
        .with_help("a group declared `in namespaces(...)` or `in any` needs a name no other group has");
        self.report(diagnostic);
    }

    /// Checks a selector; `None` when any term is invalid.
    fn selector(&mut self, selector: &ast::Selector) -> Option<LabelSelector> {
        let mut requirements: Vec<(Requirement, Span)> = Vec::new();
        let mut everything: Option<Span> = None;
        let mut valid = true;
        for term in &selector.terms {
            let requirement = match &term.kind {
                SelectorTermKind::Everything => {
                    everything = Some(term.span);
                    continue;
                }
                SelectorTermKind::Equals { key, value } => {
                    self.label_pair(key, std::slice::from_ref(value)).map(|(key, mut values)| Requirement::Equals {
                        key,
                        value: values.pop_first().unwrap_or_default(),
                    })
                }
                SelectorTermKind::NotEquals { key, value } => {
                    self.label_pair(key, std::slice::from_ref(value)).map(|(key, mut values)| Requirement::NotEquals {
                        key,
                        value: values.pop_first().unwrap_or_default(),
                    })
                }
                SelectorTermKind::In { key, values } => {
                    self.label_pair(key, values).map(|(key, values)| Requirement::In { key, values })
                }
                SelectorTermKind::NotIn { key, values } => {
                    self.label_pair(key, values).map(|(key, values)| Requirement::NotIn { key, values })
                }
                SelectorTermKind::Exists { key } => {
                    self.label_pair(key, &[]).map(|(key, _)| Requirement::Exists { key })
                }
                SelectorTermKind::DoesNotExist { key } => {
                    self.label_pair(key, &[]).map(|(key, _)| Requirement::DoesNotExist { key })
                }
            };
            match requirement {
                Some(requirement) => requirements.push((requirement, term.span)),
                None => valid = false,
            }
        }
        if let Some(span) = everything
            && selector.terms.len() > 1
        {
            let diagnostic = Diagnostic::new(
                Code::ConflictingLabels,
                self.at(span),
                "`*` selects every pod, so the other terms of this selector say nothing",
            )
            .with_help("remove `*`, or remove the other terms");
            self.report(diagnostic);
            valid = false;
        }
        valid &= self.consistent(&requirements);
        if !valid {
            return None;
        }
        let mut requirements: Vec<Requirement> = requirements.into_iter().map(|(requirement, _)| requirement).collect();
        requirements.sort();
        Some(LabelSelector { requirements })
    }

    /// Checks a key and its values; the values as a set.
    fn label_pair(&mut self, key: &Word, values: &[Word]) -> Option<(String, BTreeSet<String>)> {
        let mut valid = self.valid(key.span, kubernetes::check_label_key(&key.text));
        for value in values {
            valid &= self.valid(value.span, kubernetes::check_label_value(&value.text));
        }
        valid.then(|| (key.text.to_string(), values.iter().map(|value| value.text.to_string()).collect()))
    }

    /// Reports terms that repeat each other or can never hold together.
    fn consistent(&mut self, requirements: &[(Requirement, Span)]) -> bool {
        let mut consistent = true;
        for (index, (requirement, span)) in requirements.iter().enumerate() {
            for (earlier, earlier_span) in requirements.iter().take(index) {
                if earlier.key() != requirement.key() {
                    continue;
                }
                let message = if earlier == requirement {
                    format!("`{}` is said twice in this selector", requirement.key())
                } else if contradicts(earlier, requirement) {
                    format!("no pod can match both of these terms on `{}`", requirement.key())
                } else {
                    continue;
                };
                let diagnostic = Diagnostic::new(Code::ConflictingLabels, self.at(*span), message)
                    .with_secondary(self.at(*earlier_span), "this term")
                    .with_help("remove one of the terms");
                self.report(diagnostic);
                consistent = false;
            }
        }
        consistent
    }

    fn team(&mut self, declaration: &ast::TeamDecl) {
        self.name(&declaration.name);
        self.declare(DeclKey::new(Kind::Team, &declaration.name.text), &declaration.name);
        let mut subjects: Vec<Subject> = Vec::new();
        for member in &declaration.members {
            let (subject, span) = match member {
                TeamMember::Group { name, span } => {
                    if !self.valid(name.span, kubernetes::check_subject_name("group", &name.value)) {
                        continue;
                    }
                    (Subject::Group(name.value.to_string()), *span)
                }
                TeamMember::User { name, span } => {
                    if !self.valid(name.span, kubernetes::check_subject_name("user", &name.value)) {
                        continue;
                    }
                    (Subject::User(name.value.to_string()), *span)
                }
                TeamMember::ServiceAccount { namespace, name, span } => {
                    let namespace_ok =
                        self.valid(namespace.span, kubernetes::check_service_account_namespace(&namespace.text));
                    if !(namespace_ok && self.valid(name.span, kubernetes::check_service_account_name(&name.text))) {
                        continue;
                    }
                    (
                        Subject::ServiceAccount { namespace: namespace.text.to_string(), name: name.text.to_string() },
                        *span,
                    )
                }
                TeamMember::Error(_) => continue,
            };
            if subjects.contains(&subject) {
                self.error(
                    Code::DuplicateMember,
                    span,
                    format!("this subject is already in team `{}`", declaration.name.text),
                );
                continue;
            }
            subjects.push(subject);
        }
        self.out.teams.push(Team {
            name: declaration.name.text.to_string(),
            subjects,
            source: self.source_line(declaration.span),
        });
    }

    fn port(&mut self, declaration: &ast::PortDecl) {
        if self.name(&declaration.name) && !declaration.name.text.bytes().any(|byte| byte.is_ascii_lowercase()) {
            let diagnostic = Diagnostic::new(
                Code::InvalidName,
                self.at(declaration.name.span),
                format!("port name `{}` has no letter, so it reads as a port number", declaration.name.text),
            )
            .with_help("name the port after its service, e.g. `http` or `metrics`");
            self.report(diagnostic);
        }
        self.declare(DeclKey::new(Kind::Port, &declaration.name.text), &declaration.name);
        if let Some(pieces) = self.port_spec(&declaration.ports) {
            let location = self.at(declaration.name.span);
            self.out.ports.push(PortDraft { name: declaration.name.text.to_string(), pieces, location });
        }
    }

    /// Checks a port list; `None` when an entry is invalid.
    fn port_spec(&mut self, spec: &PortSpec) -> Option<Vec<PortPiece>> {
        let mut pieces = Vec::new();
        let mut valid = true;
        for item in spec.items() {
            match self.port_item(item) {
                Some(piece) => pieces.push(piece),
                None => valid = false,
            }
        }
        valid.then_some(pieces)
    }

    fn port_item(&mut self, item: &ast::PortItem) -> Option<PortPiece> {
        let protocol = match &item.protocol {
            Some(word) => match kubernetes::parse_protocol(&word.text) {
                Ok(protocol) => Some(protocol),
                Err(problem) => {
                    self.problem(word.span, problem);
                    return None;
                }
            },
            None => None,
        };
        let declared = DeclKey::new(Kind::Port, &item.port.text);
        if self.table.is_declared(&declared) {
            return self.declared_port(declared, item);
        }
        let word = match kubernetes::parse_port_word(&item.port.text) {
            Ok(word) => word,
            Err(problem) => {
                self.problem(item.port.span, problem);
                return None;
            }
        };
        let protocol_or_tcp = protocol.unwrap_or(Protocol::Tcp);
        match word {
            PortWord::Number(port) => {
                Some(PortPiece::Port(Port::Range { protocol: protocol_or_tcp, start: port, end: port }))
            }
            PortWord::Range(start, end) => Some(PortPiece::Port(Port::Range { protocol: protocol_or_tcp, start, end })),
            PortWord::Name(name) => {
                if !self.valid(item.port.span, kubernetes::check_port_name(&name)) {
                    return None;
                }
                Some(PortPiece::Port(Port::Named { protocol: protocol_or_tcp, name }))
            }
        }
    }

    /// A use of a `port NAME = ...` declaration, which carries its own protocols.
    fn declared_port(&mut self, declared: DeclKey, item: &ast::PortItem) -> Option<PortPiece> {
        let name = declared.name.clone();
        self.references.insert(declared);
        if let Some(written) = &item.protocol {
            let diagnostic = Diagnostic::new(
                Code::InvalidProtocol,
                self.at(written.span),
                format!("port `{name}` is declared with its own protocols"),
            )
            .with_help(format!("remove `/{}`, or declare another port with this protocol", written.text));
            self.report(diagnostic);
            return None;
        }
        Some(PortPiece::Declared(name.to_string()))
    }

    fn network(&mut self, declaration: &ast::NetworkDecl) {
        self.name(&declaration.name);
        self.declare(DeclKey::new(Kind::Network, &declaration.name.text), &declaration.name);
        let cidr = match kubernetes::parse_cidr(&declaration.cidr.text) {
            Ok(cidr) => cidr,
            Err(problem) => {
                self.problem(declaration.cidr.span, problem);
                return;
            }
        };
        let mut except = Vec::new();
        let mut valid = true;
        for word in &declaration.except {
            match kubernetes::parse_cidr(&word.text)
                .and_then(|block| kubernetes::check_except(&cidr, &block).map(|()| block))
            {
                Ok(block) => except.push(block),
                Err(problem) => {
                    self.problem(word.span, problem);
                    valid = false;
                }
            }
        }
        if !valid {
            return;
        }
        except.sort();
        except.dedup();
        self.out.networks.push(Network {
            name: declaration.name.text.to_string(),
            blocks: vec![AddressBlock { cidr, except }],
            builtin: false,
            source: Some(self.source_line(declaration.span)),
        });
    }

    fn rule(&mut self, rule: &ast::Rule) {
        let source_kinds: &[Kind] = match rule.source_kind {
            RuleSource::Group => &[Kind::Group],
            RuleSource::Network => &[Kind::Network],
        };
        let source = self.resolve(&rule.source, source_kinds);
        for target in &rule.targets {
            let resolved = self.resolve(&target.reference, &[Kind::Group, Kind::Network]);
            let ports = match &target.ports {
                Some(spec) => self.port_spec(spec).map(RulePorts::Pieces),
                None if resolved.as_ref().is_some_and(is_kube_dns) => Some(RulePorts::Pieces(dns_ports())),
                None => Some(RulePorts::All),
            };
            let (Some(source), Some(target_key), Some(ports)) = (source.clone(), resolved, ports) else {
                continue;
            };
            if source.kind == Kind::Network && target_key.kind == Kind::Network {
                let diagnostic = Diagnostic::new(
                    Code::InvalidRule,
                    self.at(target.span),
                    format!(
                        "network `{}` cannot reach network `{}`: npg writes policies for pods",
                        source.name, target_key.name
                    ),
                )
                .with_help("a network may only reach groups");
                self.report(diagnostic);
                continue;
            }
            self.half_warnings(&source, &target_key, target.span);
            self.out.rules.push(RuleDraft {
                source,
                target: target_key,
                ports,
                origin: self.source_line(target.span),
                target_location: self.at(target.span),
            });
        }
    }

    /// Warns where a half of a rule cannot be written.
    fn half_warnings(&mut self, source: &DeclKey, target: &DeclKey, span: Span) {
        if source.kind != Kind::Group || target.kind != Kind::Group || is_kube_dns(target) {
            return;
        }
        if resolve::is_builtin(target, "cluster") {
            let diagnostic = Diagnostic::new(
                Code::HalfNotWritten,
                self.at(span),
                "npg writes only the egress half of a rule to `cluster`",
            )
            .with_help("pods in isolated namespaces still need a rule that lets this traffic in");
            self.report(diagnostic);
            return;
        }
        if let Some(namespace) = &target.namespace
            && !self.table.is_managed_namespace(namespace)
        {
            let diagnostic = Diagnostic::new(
                Code::UnmanagedTarget,
                self.at(span),
                format!("namespace `{namespace}` is not managed by npg, so the ingress half of this rule cannot be written"),
            )
            .with_label("only the egress half is written")
            .with_help(format!(
                "if `{namespace}` isolates ingress, its own policies must allow this traffic; or declare `namespace {namespace} {{ }}` to let npg manage it"
            ));
            self.report(diagnostic);
        }
    }

    fn assert(&mut self, assert: &ast::Assert) {
        let expected = [Kind::Group, Kind::Network];
        let (kind, sources, target, source_kinds) = match &assert.kind {
            AssertKind::CanReach { source, target } => {
                (model::AssertionKind::CanReach, std::slice::from_ref(source), target, &expected[..])
            }
            AssertKind::CannotReach { source, target } => {
                (model::AssertionKind::CannotReach, std::slice::from_ref(source), target, &expected[..])
            }
            AssertKind::OnlyCanReach { sources, target } => (
                model::AssertionKind::OnlyCanReach,
                sources.as_slice(),
                target,
                &[Kind::Group, Kind::Network, Kind::Namespace][..],
            ),
        };
        let resolved: Vec<Option<DeclKey>> = sources.iter().map(|source| self.resolve(source, source_kinds)).collect();
        let target_key = self.resolve(&target.reference, &expected);
        let ports = match &target.ports {
            Some(spec) => self.port_spec(spec).map(RulePorts::Pieces),
            None if target_key.as_ref().is_some_and(is_kube_dns) => Some(RulePorts::Pieces(dns_ports())),
            None => Some(RulePorts::All),
        };
        let (Some(sources), Some(target), Some(ports)) =
            (resolved.into_iter().collect::<Option<Vec<DeclKey>>>(), target_key, ports)
        else {
            return;
        };
        self.out.assertions.push(AssertionDraft { kind, sources, target, ports, location: self.at(assert.span) });
    }
}

fn placement_span(placement: &ast::Placement) -> Span {
    match placement {
        ast::Placement::Namespace(word) => word.span,
        ast::Placement::Namespaces { span, .. } => *span,
        ast::Placement::Any(span) => *span,
    }
}

fn is_kube_dns(key: &DeclKey) -> bool {
    resolve::is_builtin(key, "kube-dns")
}

/// The ports a rule to `kube-dns` gets when it names none.
fn dns_ports() -> Vec<PortPiece> {
    [Protocol::Udp, Protocol::Tcp]
        .into_iter()
        .map(|protocol| PortPiece::Port(Port::Range { protocol, start: 53, end: 53 }))
        .collect()
}

/// Whether no set of labels can satisfy both requirements on the same key.
fn contradicts(a: &Requirement, b: &Requirement) -> bool {
    use Requirement::{DoesNotExist, Equals, Exists, In, NotEquals, NotIn};
    let present = |requirement: &Requirement| matches!(requirement, Equals { .. } | In { .. } | Exists { .. });
    match (a, b) {
        (DoesNotExist { .. }, other) | (other, DoesNotExist { .. }) => present(other),
        (Equals { value: x, .. }, Equals { value: y, .. }) => x != y,
        (Equals { value, .. }, NotEquals { value: other, .. })
        | (NotEquals { value: other, .. }, Equals { value, .. }) => value == other,
        (Equals { value, .. }, In { values, .. }) | (In { values, .. }, Equals { value, .. }) => {
            !values.contains(value)
        }
        (Equals { value, .. }, NotIn { values, .. }) | (NotIn { values, .. }, Equals { value, .. }) => {
            values.contains(value)
        }
        (In { values: x, .. }, In { values: y, .. }) => x.is_disjoint(y),
        (In { values, .. }, NotIn { values: excluded, .. }) | (NotIn { values: excluded, .. }, In { values, .. }) => {
            values.is_subset(excluded)
        }
        _ => false,
    }
}
