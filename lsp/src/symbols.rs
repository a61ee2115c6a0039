//! The outline of one file for the editor: namespaces with the groups declared in
//! them, and the groups, teams, ports and networks declared at the top level.

use npg_grammar::Span;
use npg_grammar::ast::{Item, NamespaceMember};

/// What kind of declaration a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Namespace,
    Group,
    Team,
    Port,
    Network,
}

/// One declaration: its name, the span of its name and of the whole declaration,
/// and what is declared inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub name_span: Span,
    pub span: Span,
    pub children: Vec<Symbol>,
}

/// Every declaration of `text`, in file order. Statements that do not parse are left out.
pub fn symbols(text: &str) -> Vec<Symbol> {
    let symbol = |name: &npg_grammar::ast::Word, kind, span| Symbol {
        name: name.text.to_string(),
        kind,
        name_span: name.span,
        span,
        children: Vec::new(),
    };
    npg_grammar::parse(text)
        .tree
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Namespace(namespace) => {
                let mut parent = symbol(&namespace.name, SymbolKind::Namespace, namespace.span);
                parent.children = namespace
                    .members
                    .iter()
                    .filter_map(|member| match member {
                        NamespaceMember::Group(group) => Some(symbol(&group.name, SymbolKind::Group, group.span)),
                        _ => None,
                    })
                    .collect();
                Some(parent)
            }
            Item::Group(group) => Some(symbol(&group.name, SymbolKind::Group, group.span)),
            Item::Team(team) => Some(symbol(&team.name, SymbolKind::Team, team.span)),
            Item::Port(port) => Some(symbol(&port.name, SymbolKind::Port, port.span)),
            Item::Network(network) => Some(symbol(&network.name, SymbolKind::Network, network.span)),
            Item::Rule(_) | Item::Assert(_) | Item::Error(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_hold_their_groups_and_rules_are_not_symbols() {
        let text = "team web {\n  user \"a@b.c\"\n}\nnamespace shop {\n  group api = app=api\n}\nport http = 8080\n\
                    network office = 10.0.0.0/8\ngroup api may reach shop/api:http\n";
        let outline: Vec<(String, SymbolKind, Vec<String>)> = symbols(text)
            .into_iter()
            .map(|symbol| (symbol.name, symbol.kind, symbol.children.into_iter().map(|child| child.name).collect()))
            .collect();
        assert_eq!(
            outline,
            [
                ("web".to_owned(), SymbolKind::Team, vec![]),
                ("shop".to_owned(), SymbolKind::Namespace, vec!["api".to_owned()]),
                ("http".to_owned(), SymbolKind::Port, vec![]),
                ("office".to_owned(), SymbolKind::Network, vec![]),
            ]
        );
    }
}
