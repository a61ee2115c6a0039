//! Hostile and half-finished input: parsing neither panics, hangs nor overflows the
//! stack, and still reports errors and keeps what it can.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use npg_grammar::{SyntaxErrorKind, outline, parse};

/// A small deterministic generator, so the garbage is the same on every run.
struct Noise(u64);

impl Noise {
    fn next_byte(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_byte()).collect()
    }
}

fn sample_program() -> &'static str {
    "namespace shop {\n  labels { env: prod }\n  owner web\n  group frontend = app=web, tier=frontend\n  group backend { match app=api; owner web }\n}\nteam web {\n  user \"alice@example.com\"\n  serviceaccount ci/deployer\n}\nport http = 8080\nnetwork internet = 0.0.0.0/0 except 10.0.0.0/8, fd00::/8\ngroup frontend may reach backend:http, kube-dns # dns\nnetwork internet may reach frontend:{80, 443}\nassert only frontend can reach backend:8080/tcp\n\n"
}

#[test]
fn ten_thousand_open_braces() {
    let text = format!("group a = x\n{}\ngroup b = y\n", "{".repeat(10_000));
    let parsed = parse(&text);
    assert!(!parsed.errors.is_empty());
    assert!(parsed.errors.len() <= 101);
    assert!(outline(&parsed.tree).starts_with("group a = (x)\n"));
}

#[test]
fn ten_thousand_nested_braces_inside_a_namespace() {
    let text = format!("namespace a {{\n{}\n{}\n}}\ngroup b = y\n", "{".repeat(10_000), "}".repeat(10_000));
    let parsed = parse(&text);
    assert!(!parsed.errors.is_empty());
}

#[test]
fn ten_thousand_open_parentheses() {
    let text = format!("group a = k in {}\ngroup b = y\n", "(".repeat(10_000));
    let parsed = parse(&text);
    assert!(!parsed.errors.is_empty());
    let text = format!("group a in namespaces{}\n", "(".repeat(10_000));
    assert!(!parse(&text).errors.is_empty());
}

#[test]
fn ten_thousand_closing_brackets() {
    let text = format!("{}\n{}\ngroup b = y\n", "}".repeat(10_000), ")".repeat(10_000));
    let parsed = parse(&text);
    assert!(!parsed.errors.is_empty());
    assert!(outline(&parsed.tree).ends_with("group b = (y)\n"));
}

#[test]
fn fifty_megabytes_of_valid_text() {
    let program = sample_program();
    let copies = 50 * 1024 * 1024 / program.len() + 1;
    let text = program.repeat(copies);
    let parsed = parse(&text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
    assert_eq!(parsed.tree.items.len(), copies * 7);
}

#[test]
fn fifty_megabytes_on_one_line() {
    let text = "x ".repeat(25 * 1024 * 1024);
    let parsed = parse(&text);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.tree.items.len(), 1);
}

#[test]
fn random_binary_garbage_decoded_lossily() {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    for len in [0, 1, 7, 100, 10_000, 1_000_000] {
        let bytes = noise.bytes(len);
        let text = String::from_utf8_lossy(&bytes);
        let parsed = parse(&text);
        assert!(parsed.errors.len() <= 101);
        if len >= 100 {
            assert!(!parsed.errors.is_empty());
        }
        for error in &parsed.errors {
            assert!(text.is_char_boundary(error.span.start as usize));
            assert!(text.is_char_boundary(error.span.end as usize));
        }
    }
}

#[test]
fn garbage_spliced_into_a_program_keeps_the_rest() {
    let mut noise = Noise(42);
    for _ in 0..50 {
        let program = sample_program();
        let bytes = noise.bytes(20);
        let garbage = String::from_utf8_lossy(&bytes);
        let cut = (noise.next_byte() as usize * program.len()) / 256;
        let cut = (0..=cut).rev().find(|&at| program.is_char_boundary(at)).unwrap_or(0);
        let text = format!("{}{}{}", &program[..cut], garbage, &program[cut..]);
        let parsed = parse(&text);
        // The last statement is after every possible cut of a single line.
        assert!(parsed.tree.items.len() >= 2, "{text}");
    }
}

#[test]
fn every_prefix_of_a_program_parses_without_panicking() {
    let program = sample_program();
    for end in (0..=program.len()).filter(|&end| program.is_char_boundary(end)) {
        let parsed = parse(&program[..end]);
        for error in &parsed.errors {
            assert!(
                matches!(
                    error.kind,
                    SyntaxErrorKind::UnexpectedEnd
                        | SyntaxErrorKind::UnexpectedToken
                        | SyntaxErrorKind::UnterminatedString
                ),
                "{error:?}"
            );
            assert!(
                !error.message.contains('"')
                    || error.kind == SyntaxErrorKind::UnterminatedString
                    || error.message.contains("the string"),
                "{error:?}"
            );
        }
    }
}

#[test]
fn a_file_of_only_comments_and_blank_lines() {
    let parsed = parse("\n\n# one\n   # two\n\n");
    assert!(parsed.errors.is_empty());
    assert!(parsed.tree.items.is_empty());
    assert_eq!(parsed.tree.comments.len(), 2);
}

/// Pieces of npg text, glued at random: mostly nonsense, sometimes a statement.
const SOUP: &[&str] = &[
    "namespace",
    "group",
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
    "in",
    "namespaces",
    "any",
    "match",
    "user",
    "serviceaccount",
    "may",
    "reach",
    "except",
    "assert",
    "can",
    "cannot",
    "only",
    "notin",
    "{",
    "}",
    "(",
    ")",
    ",",
    ";",
    ":",
    "=",
    "!=",
    "!",
    "*",
    "/",
    "\n",
    "\n\n",
    " ",
    "web",
    "8080",
    "10.0.0.0",
    "fd00::",
    "\"s\"",
    "\"open",
    "# note\n",
    "§",
    "\r\n",
    "\t",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

    #[test]
    fn token_soup_parses_with_sound_spans(picks in proptest::collection::vec(0..SOUP.len(), 0..80)) {
        let text: String = picks.iter().map(|&pick| SOUP[pick]).collect();
        check_spans(&text)?;
    }

    #[test]
    fn arbitrary_text_parses_with_sound_spans(text in ".{0,200}") {
        check_spans(&text)?;
    }
}

fn check_spans(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
    let parsed = parse(text);
    let mut previous_end = 0;
    for item in &parsed.tree.items {
        let span = item.span();
        proptest::prop_assert!(span.start <= span.end && span.end as usize <= text.len(), "{text:?}");
        proptest::prop_assert!(span.start >= previous_end, "items overlap in {text:?}");
        previous_end = span.end;
    }
    for error in &parsed.errors {
        proptest::prop_assert!(text.is_char_boundary(error.span.start as usize), "{text:?}");
        proptest::prop_assert!(text.is_char_boundary(error.span.end as usize), "{text:?}");
        proptest::prop_assert!(!error.message.is_empty());
    }
    for comment in &parsed.tree.comments {
        proptest::prop_assert_eq!(text.get(comment.span.range()), Some(comment.text.as_str()));
    }
    // Text without errors formats, and its format is stable.
    if parsed.errors.is_empty() {
        let formatted = npg_grammar::format(text);
        proptest::prop_assert!(formatted.is_ok());
        let formatted = formatted.unwrap_or_default();
        proptest::prop_assert_eq!(npg_grammar::format(&formatted).ok(), Some(formatted.clone()), "{:?}", text);
        proptest::prop_assert_eq!(outline(&parse(&formatted).tree), outline(&parsed.tree));
    }
    Ok(())
}
