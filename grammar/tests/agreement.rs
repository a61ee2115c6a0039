//! `parse` reads well-formed text with a recursive-descent parser and falls back to
//! the lalrpop parser at the first syntax error. These properties hold the two to
//! one language and one tree: for every text, `parse` gives exactly what the
//! lalrpop parser alone gives (tree, spans, comments and errors).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use npg_grammar::{parse, parse_with_recovery};
use proptest::prelude::*;

fn assert_agree(text: &str) -> Result<(), TestCaseError> {
    let fast = parse(text);
    let reference = parse_with_recovery(text);
    prop_assert_eq!(fast, reference, "{:?}", text);
    Ok(())
}

/// Builds the pieces (tokens and layout) of a program from random choices; a
/// choice past the end is 0, so every list gives a finite program.
struct Generator {
    choices: Vec<u8>,
    next: usize,
    pieces: Vec<String>,
}

/// Names, keywords among them: every keyword may be a name somewhere, and `any`,
/// `can`, `cannot`, `only` and `namespaces` are where the grammar is subtle.
const NAMES: &[&str] = &[
    "web",
    "api-1",
    "x9",
    "any",
    "can",
    "cannot",
    "only",
    "in",
    "namespaces",
    "notin",
    "may",
    "reach",
    "group",
    "namespace",
    "team",
    "port",
    "network",
    "labels",
    "owner",
    "isolate",
    "ingress",
    "egress",
    "allow",
    "internal",
    "match",
    "user",
    "serviceaccount",
    "except",
    "assert",
    "app.kubernetes.io",
    "8080",
    "v1.2_x",
    "-web",
];
const ADDRESSES: &[&str] = &["10.0.0.0", "0.0.0.0", "192.168.1.1", "fd00::", "::", "2001:db8::1", "any", "web"];
const STRINGS: &[&str] = &["\"oidc:web\"", "\"a \\\"b\\\"\"", "\"\"", "\"x\\\\y\""];

impl Generator {
    fn new(choices: Vec<u8>) -> Generator {
        Generator { choices, next: 0, pieces: Vec::new() }
    }

    fn pick(&mut self, count: usize) -> usize {
        let choice = self.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        usize::from(choice) % count
    }

    /// True one time in `odds`; false past the end of the choices.
    fn chance(&mut self, odds: usize) -> bool {
        self.pick(odds) == 1
    }

    /// Pushes `first` one time in `odds`, else `second`.
    fn either(&mut self, odds: usize, first: &str, second: &str) {
        let piece = if self.chance(odds) { first } else { second };
        self.push(piece);
    }

    fn push(&mut self, piece: &str) {
        self.pieces.push(piece.to_owned());
    }

    fn name(&mut self) {
        let name = NAMES[self.pick(NAMES.len())];
        self.push(name);
    }

    fn reference(&mut self) {
        self.name();
        if self.chance(4) {
            self.push("/");
            self.name();
        }
    }

    fn label_key(&mut self) {
        self.name();
        if self.chance(5) {
            self.push("/");
            self.name();
        }
    }

    /// After a comma or an opening bracket a list may go on on the next line.
    fn list_break(&mut self) {
        match self.pick(6) {
            0 => self.push("\n"),
            1 => self.push("# note\n"),
            _ => {}
        }
    }

    fn comma(&mut self) {
        self.push(",");
        self.list_break();
    }

    fn bracket_list(&mut self, item: fn(&mut Generator)) {
        let count = 1 + self.pick(3);
        for index in 0..count {
            if index > 0 {
                self.comma();
            }
            item(self);
        }
        if self.chance(3) {
            self.push(",");
        }
    }

    fn selector(&mut self) {
        let count = 1 + self.pick(3);
        for index in 0..count {
            if index > 0 {
                self.comma();
            }
            match self.pick(7) {
                0 => {
                    self.label_key();
                    self.push("=");
                    self.name();
                }
                1 => {
                    self.label_key();
                    self.push("!=");
                    self.name();
                }
                2 | 3 => {
                    self.label_key();
                    self.either(2, "in", "notin");
                    self.push("(");
                    self.list_break();
                    self.bracket_list(Generator::name);
                    self.push(")");
                }
                4 => self.label_key(),
                5 => {
                    self.push("!");
                    self.label_key();
                }
                _ => self.push("*"),
            }
        }
    }

    fn port_item(&mut self) {
        self.name();
        if self.chance(3) {
            self.push("/");
            self.name();
        }
    }

    fn ports(&mut self) {
        if self.chance(3) {
            self.push("{");
            self.bracket_list(Generator::port_item);
            self.push("}");
        } else {
            self.port_item();
        }
    }

    fn target(&mut self) {
        self.reference();
        if self.chance(2) {
            self.push(":");
            self.ports();
        }
    }

    fn cidr(&mut self) {
        let address = ADDRESSES[self.pick(ADDRESSES.len())];
        self.push(address);
        if self.chance(2) {
            self.push("/");
            let length = ["8", "0", "128", "x"][self.pick(4)];
            self.push(length);
        }
    }

    fn separator(&mut self) {
        match self.pick(4) {
            0 => self.push(";"),
            1 => self.push("\n\n"),
            2 => self.push("# note\n"),
            _ => self.push("\n"),
        }
    }

    fn block(&mut self, member: fn(&mut Generator)) {
        self.push("{");
        if self.chance(2) {
            self.push("\n");
        }
        let count = self.pick(4);
        for index in 0..count {
            if index > 0 {
                self.separator();
            }
            member(self);
        }
        if self.chance(2) {
            self.push("\n");
        }
        self.push("}");
    }

    fn group_declaration(&mut self) {
        self.push("group");
        self.name();
        if self.chance(3) {
            self.push("in");
            match self.pick(3) {
                0 => {
                    self.push("namespaces");
                    self.push("(");
                    self.selector();
                    self.push(")");
                }
                1 => self.push("any"),
                _ => self.name(),
            }
        }
        if self.chance(3) {
            self.block(|generator| {
                if generator.chance(2) {
                    generator.push("match");
                    generator.selector();
                } else {
                    generator.push("owner");
                    generator.name();
                }
            });
        } else {
            self.push("=");
            self.selector();
        }
    }

    fn namespace_member(&mut self) {
        match self.pick(6) {
            0 => {
                self.push("labels");
                self.push("{");
                if self.chance(4) {
                    self.push("}");
                    return;
                }
                self.bracket_list(|generator| {
                    generator.label_key();
                    generator.push(":");
                    generator.name();
                });
                self.push("}");
            }
            1 => {
                self.push("owner");
                self.name();
            }
            2 => {
                self.push("isolate");
                self.either(2, "ingress", "egress");
            }
            3 => {
                self.push("allow");
                self.push("internal");
            }
            _ => self.group_declaration(),
        }
    }

    fn team_member(&mut self) {
        match self.pick(3) {
            0 | 1 => {
                self.either(2, "group", "user");
                let string = STRINGS[self.pick(STRINGS.len())];
                self.push(string);
            }
            _ => {
                self.push("serviceaccount");
                self.name();
                self.push("/");
                self.name();
            }
        }
    }

    fn statement(&mut self) {
        match self.pick(9) {
            0 => {
                self.push("namespace");
                self.name();
                self.block(Generator::namespace_member);
            }
            1 => self.group_declaration(),
            2 => {
                self.push("team");
                self.name();
                self.block(Generator::team_member);
            }
            3 => {
                self.push("port");
                self.name();
                self.push("=");
                self.ports();
            }
            4 => {
                self.push("network");
                self.name();
                self.push("=");
                self.cidr();
                if self.chance(2) {
                    self.push("except");
                    self.cidr();
                    while self.chance(2) {
                        self.comma();
                        self.cidr();
                    }
                }
            }
            5 | 6 => {
                self.either(3, "network", "group");
                self.reference();
                self.push("may");
                self.push("reach");
                self.target();
                while self.chance(2) {
                    self.comma();
                    self.target();
                }
            }
            _ => {
                self.push("assert");
                if self.chance(3) {
                    self.push("only");
                    self.reference();
                    while self.chance(3) {
                        self.comma();
                        self.reference();
                    }
                    self.push("can");
                } else {
                    self.reference();
                    self.either(2, "can", "cannot");
                }
                self.push("reach");
                self.target();
            }
        }
    }

    fn program(mut self) -> Vec<String> {
        let count = 1 + self.pick(6);
        for _ in 0..count {
            self.statement();
            self.either(5, "  # end\n", "\n");
        }
        self.pieces
    }
}

/// One small edit: most edits make the text wrong, some keep it right.
fn mutate(pieces: &mut Vec<String>, position: usize, edit: u8, filler: &str) {
    if pieces.is_empty() {
        return;
    }
    let position = position % pieces.len();
    match edit % 4 {
        0 => {
            pieces.remove(position);
        }
        1 => {
            let copy = pieces[position].clone();
            pieces.insert(position, copy);
        }
        2 if position + 1 < pieces.len() => pieces.swap(position, position + 1),
        _ => pieces.insert(position, filler.to_owned()),
    }
}

const FILLERS: &[&str] = &[
    "any",
    "can",
    "only",
    "in",
    "namespaces",
    "/",
    ":",
    ",",
    ";",
    "\n",
    "{",
    "}",
    "(",
    ")",
    "=",
    "!",
    "*",
    "web",
    "fd00::",
    "\"s\"",
    "§",
    "\"open",
];

fn join(pieces: &[String]) -> String {
    let mut text = String::new();
    for piece in pieces {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push(' ');
        }
        text.push_str(piece);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn well_formed_programs_parse_the_same(choices in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = join(&Generator::new(choices).program());
        assert_agree(&text)?;
    }

    #[test]
    fn programs_with_one_edit_parse_the_same(
        choices in proptest::collection::vec(any::<u8>(), 0..200),
        position in any::<usize>(),
        edit in any::<u8>(),
        filler in 0..FILLERS.len(),
    ) {
        let mut pieces = Generator::new(choices).program();
        mutate(&mut pieces, position, edit, FILLERS[filler]);
        assert_agree(&join(&pieces))?;
    }

    #[test]
    fn programs_glued_without_spaces_parse_the_same(choices in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text: String = Generator::new(choices).program().concat();
        assert_agree(&text)?;
    }
}

proptest! {
    // Each case parses every prefix of its program twice.
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_prefix_of_a_program_parses_the_same(choices in proptest::collection::vec(any::<u8>(), 0..120)) {
        let text = join(&Generator::new(choices).program());
        for end in (0..=text.len()).filter(|end| text.is_char_boundary(*end)) {
            assert_agree(&text[..end])?;
        }
    }
}

#[test]
fn the_forms_where_keywords_are_names_parse_the_same() {
    for text in [
        "group any may reach can:any, cannot/only\n",
        "group x in any = *\n",
        "group x in namespaces = a\n",
        "group x in namespaces(a in (b,)) { match in in (in); owner owner }\n",
        "assert only can reach x\n",
        "assert only cannot reach x\n",
        "assert only only can reach x\n",
        "assert only only/x, y can reach z:{80, 443/udp,}\n",
        "assert only/x can reach any\n",
        "assert any cannot reach can\n",
        "assert can can reach x\n",
        "network may may reach x:80\n",
        "network n = any\n",
        "network n = 10.0.0.0/any\n",
        "group may reach x\n",
        "group a may reach b,\n  c\n",
        "group a may reach b,\ngroup c = x\n",
        "port p = {80,}\nport q = {}\n",
        "team t {}\nnamespace n {}\nnamespace m { labels {} }\n",
        "namespace n { labels { a: b, } ; owner t ; }\n",
        "namespace n {\n\n  group g = a\n\n}\n",
        "group g = a;\n",
        "; group g = a\n",
        "group g = a",
        "",
        "\n\n# only a comment",
    ] {
        assert_agree(text).unwrap();
    }
}

/// The properties above are only as strong as their programs: most must be well
/// formed, so that the recursive-descent parser is the one that reads them.
#[test]
fn most_generated_programs_are_well_formed() {
    let mut state = 0x6E70_6721_u64;
    let mut next_byte = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    };
    let total = 1000;
    let well_formed = (0..total)
        .filter(|_| {
            let choices: Vec<u8> = (0..200).map(|_| next_byte()).collect();
            parse(&join(&Generator::new(choices).program())).errors.is_empty()
        })
        .count();
    assert!(well_formed * 10 >= total * 7, "{well_formed} of {total} generated programs are well formed");
}
