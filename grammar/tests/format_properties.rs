//! Properties of `format` over generated programs with random layout: blank
//! lines, comments in every place a line may end, `;` or line ends between block
//! members, lists continued over several lines. For every program, `format` is
//! idempotent, keeps the tree (ignoring spans) and keeps every comment.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use npg_grammar::{format, outline, parse};
use proptest::prelude::*;

/// Builds a program from a list of random choices (a choice past the end is 0,
/// the plainest option, so every list gives a finite program).
struct Generator {
    choices: Vec<u8>,
    next: usize,
    comments: usize,
    out: String,
}

const NAMES: &[&str] = &["a", "web", "api-1", "db", "kube-dns", "x9", "ingress", "network", "only"];
const LABEL_KEYS: &[&str] = &["app", "tier", "any", "in", "internal", "app.kubernetes.io/name"];
const LABEL_VALUES: &[&str] = &["web", "v1.2_x", "8080", "any", "notin", "egress"];
const PORTS: &[&str] = &["8080", "53/udp", "8000-8100/tcp", "http", "443"];
const CIDRS: &[&str] = &["10.0.0.0/8", "0.0.0.0/0", "192.168.1.1", "fd00::/8", "::/0", "2001:db8::1/128"];

impl Generator {
    fn new(choices: Vec<u8>) -> Generator {
        Generator { choices, next: 0, comments: 0, out: String::new() }
    }

    fn pick(&mut self, count: usize) -> usize {
        let choice = self.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        usize::from(choice) % count
    }

    fn one_of(&mut self, options: &[&str]) -> String {
        options[self.pick(options.len())].to_owned()
    }

    /// Pushes `first` one time in `odds`, else `second`.
    fn either(&mut self, odds: usize, first: &str, second: &str) {
        let text = if self.pick(odds) == 0 { first } else { second };
        self.push(text);
    }

    fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn space(&mut self) {
        let space = [" ", "  ", "\t", " "][self.pick(4)];
        self.push(space);
    }

    fn maybe_space(&mut self) {
        if self.pick(3) == 0 {
            self.space();
        }
    }

    fn comment(&mut self) -> String {
        self.comments += 1;
        let padding = ["", " ", "   "][self.pick(3)];
        format!("#{padding}note {}", self.comments)
    }

    /// Where a list may continue on the next line: after a comma, `(` or `{`.
    fn list_break(&mut self) {
        match self.pick(8) {
            0..=2 => self.space(),
            3 => {}
            4 => self.push("\n  "),
            5 => {
                let comment = self.comment();
                self.push(&format!(" {comment}\n  "));
            }
            6 => {
                let comment = self.comment();
                self.push(&format!("\n  {comment}\n    "));
            }
            _ => self.push("\n\n  "),
        }
    }

    /// Where a list may end on the next line: before `)` or `}`.
    fn list_end(&mut self) {
        match self.pick(6) {
            0..=2 => self.maybe_space(),
            3 => self.push("\n"),
            4 => {
                let comment = self.comment();
                self.push(&format!("\n  {comment}\n"));
            }
            _ => {
                let comment = self.comment();
                self.push(&format!(" {comment}\n"));
            }
        }
    }

    fn list(&mut self, count: usize, mut item: impl FnMut(&mut Self)) {
        for index in 0..count {
            if index > 0 {
                self.maybe_space();
                self.push(",");
                self.list_break();
            }
            item(self);
        }
    }

    fn name(&mut self) {
        let name = self.one_of(NAMES);
        self.push(&name);
    }

    fn reference(&mut self) {
        if self.pick(3) == 0 {
            self.name();
            self.push("/");
        }
        self.name();
    }

    fn label_key(&mut self) {
        let key = self.one_of(LABEL_KEYS);
        self.push(&key);
    }

    fn label_value(&mut self) {
        let value = self.one_of(LABEL_VALUES);
        self.push(&value);
    }

    fn selector(&mut self) {
        let count = 1 + self.pick(3);
        self.list(count, |generator| generator.selector_term());
    }

    fn selector_term(&mut self) {
        match self.pick(7) {
            0 | 1 => {
                self.label_key();
                self.maybe_space();
                self.either(2, "=", "!=");
                self.maybe_space();
                self.label_value();
            }
            2 | 3 => {
                self.label_key();
                self.space();
                self.either(2, "in", "notin");
                self.maybe_space();
                self.push("(");
                self.list_break_inside();
                let count = 1 + self.pick(3);
                self.list(count, |generator| generator.label_value());
                self.list_end();
                self.push(")");
            }
            4 => self.label_key(),
            5 => {
                self.push("!");
                self.maybe_space();
                self.label_key();
            }
            _ => self.push("*"),
        }
    }

    /// Right after an opening bracket.
    fn list_break_inside(&mut self) {
        match self.pick(5) {
            0 | 1 => {}
            2 => self.space(),
            3 => self.push("\n  "),
            _ => {
                let comment = self.comment();
                self.push(&format!(" {comment}\n  "));
            }
        }
    }

    fn ports(&mut self) {
        if self.pick(3) == 0 {
            self.push("{");
            self.list_break_inside();
            let count = 1 + self.pick(3);
            self.list(count, |generator| {
                let port = generator.one_of(PORTS);
                generator.push(&port);
            });
            self.list_end();
            self.push("}");
        } else {
            let port = self.one_of(PORTS);
            self.push(&port);
        }
    }

    fn target(&mut self) {
        self.reference();
        if self.pick(2) == 0 {
            self.push(":");
            self.ports();
        }
    }

    /// Between members of a block (after the first one).
    fn member_separator(&mut self) {
        match self.pick(7) {
            0 | 1 => self.push("\n  "),
            2 => self.push("; "),
            3 => self.push(";\n  "),
            4 => self.push("\n\n  "),
            5 => {
                let comment = self.comment();
                self.push(&format!(" {comment}\n  "));
            }
            _ => {
                let comment = self.comment();
                self.push(&format!("\n  {comment}\n  "));
            }
        }
    }

    fn block(&mut self, count: usize, mut member: impl FnMut(&mut Self)) {
        self.maybe_space();
        self.push("{");
        if count == 0 {
            match self.pick(3) {
                0 => {}
                1 => self.push("\n"),
                _ => {
                    let comment = self.comment();
                    self.push(&format!("\n  {comment}\n"));
                }
            }
            self.push("}");
            return;
        }
        match self.pick(3) {
            0 => self.push("\n  "),
            1 => self.space(),
            _ => {
                let comment = self.comment();
                self.push(&format!(" {comment}\n  "));
            }
        }
        for index in 0..count {
            if index > 0 {
                self.member_separator();
            }
            member(self);
        }
        match self.pick(4) {
            0 | 1 => self.push("\n"),
            2 => self.space(),
            _ => {
                let comment = self.comment();
                self.push(&format!(" {comment}\n"));
            }
        }
        self.push("}");
    }

    fn group(&mut self) {
        self.push("group");
        self.space();
        self.name();
        match self.pick(5) {
            0 => {
                self.space();
                self.push("in");
                self.space();
                self.push("shop");
            }
            1 => {
                self.space();
                self.push("in namespaces(");
                self.selector();
                self.push(")");
            }
            2 => self.push(" in any"),
            _ => {}
        }
        if self.pick(3) == 0 {
            let count = self.pick(3);
            self.block(count, |generator| {
                if generator.pick(2) == 0 {
                    generator.push("match ");
                    generator.selector();
                } else {
                    generator.push("owner ");
                    generator.name();
                }
            });
        } else {
            self.maybe_space();
            self.push("=");
            self.maybe_space();
            self.selector();
        }
    }

    fn statement(&mut self) {
        match self.pick(8) {
            0 => {
                self.push("namespace ");
                self.name();
                let count = self.pick(5);
                self.block(count, |generator| match generator.pick(6) {
                    0 => {
                        generator.push("labels");
                        generator.maybe_space();
                        generator.push("{");
                        let count = generator.pick(3);
                        if count > 0 {
                            generator.list_break_inside();
                        }
                        generator.list(count, |generator| {
                            generator.label_key();
                            generator.push(":");
                            generator.space();
                            generator.label_value();
                        });
                        if count > 0 {
                            generator.list_end();
                        }
                        generator.push("}");
                    }
                    1 => {
                        generator.push("owner ");
                        generator.name();
                    }
                    2 => generator.either(2, "isolate ingress", "isolate egress"),
                    3 => generator.push("allow internal"),
                    _ => generator.group(),
                });
            }
            1 => self.group(),
            2 => {
                self.push("team ");
                self.name();
                let count = self.pick(4);
                self.block(count, |generator| match generator.pick(3) {
                    0 => generator.push("group \"oidc:dev \\\"x\\\"\""),
                    1 => generator.push("user \"alice@example.com\""),
                    _ => {
                        generator.push("serviceaccount ");
                        generator.name();
                        generator.push("/");
                        generator.name();
                    }
                });
            }
            3 => {
                self.push("port ");
                self.name();
                self.push(" = ");
                self.ports();
            }
            4 => {
                self.push("network ");
                self.name();
                self.push(" = ");
                let cidr = self.one_of(CIDRS);
                self.push(&cidr);
                if self.pick(2) == 0 {
                    self.push(" except ");
                    let count = 1 + self.pick(3);
                    self.list(count, |generator| {
                        let cidr = generator.one_of(CIDRS);
                        generator.push(&cidr);
                    });
                }
            }
            5 | 6 => {
                self.either(3, "network ", "group ");
                self.reference();
                self.space();
                self.push("may reach");
                self.space();
                let count = 1 + self.pick(12);
                self.list(count, |generator| generator.target());
            }
            _ => {
                self.push("assert ");
                match self.pick(3) {
                    0 => {
                        self.reference();
                        self.push(" can reach ");
                    }
                    1 => {
                        self.reference();
                        self.push(" cannot reach ");
                    }
                    _ => {
                        self.push("only ");
                        let count = 1 + self.pick(3);
                        self.list(count, |generator| generator.reference());
                        self.push(" can reach ");
                    }
                }
                self.target();
            }
        }
    }

    /// Between statements, and at the ends of the file.
    fn statement_break(&mut self) {
        match self.pick(7) {
            0 | 1 => self.push("\n"),
            2 => self.push("\n\n"),
            3 => self.push("\n\n\n"),
            4 => {
                let comment = self.comment();
                self.push(&format!(" {comment}\n"));
            }
            5 => {
                let comment = self.comment();
                self.push(&format!("\n{comment}\n"));
            }
            _ => {
                let comment = self.comment();
                self.push(&format!("\n\n  {comment}\n\n"));
            }
        }
    }

    fn program(mut self) -> String {
        let count = self.pick(8);
        if self.pick(2) == 0 {
            self.statement_break();
        }
        for _ in 0..count {
            self.statement();
            self.statement_break();
        }
        self.out
    }
}

fn comment_texts(text: &str) -> Vec<String> {
    parse(text).tree.comments.into_iter().map(|comment| comment.text).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn format_is_idempotent_keeps_the_tree_and_every_comment(choices in prop::collection::vec(any::<u8>(), 0..600)) {
        let text = Generator::new(choices).program();
        let parsed = parse(&text);
        prop_assert!(parsed.errors.is_empty(), "generated text does not parse: {:?}\n{}", parsed.errors, text);
        let formatted = format(&text);
        prop_assert!(formatted.is_ok());
        let formatted = formatted.unwrap_or_default();
        let again = format(&formatted).unwrap_or_default();
        prop_assert_eq!(&again, &formatted, "not idempotent, from:\n{}", text);
        prop_assert_eq!(outline(&parse(&formatted).tree), outline(&parsed.tree), "tree changed, from:\n{}", text);
        prop_assert_eq!(comment_texts(&formatted), comment_texts(&text));
        prop_assert!(formatted.is_empty() || (formatted.ends_with('\n') && !formatted.ends_with("\n\n")));
        for line in formatted.lines() {
            prop_assert!(!line.ends_with(' ') && !line.ends_with('\t'), "trailing blank in {:?}", line);
        }
    }
}
