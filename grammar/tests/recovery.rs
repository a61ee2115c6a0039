//! Syntax errors: every one in a file is reported, in human words, and the rest of
//! the tree survives each of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use expect_test::{Expect, expect};

fn check(text: &str, expected: Expect) {
    let parsed = npg_grammar::parse(text);
    let mut out = npg_grammar::outline(&parsed.tree);
    for error in &parsed.errors {
        out.push_str(&format!(
            "! {:?} {:?}: {}\n    expected: {:?}\n",
            error.kind,
            error.span.range(),
            error.message,
            error.expected
        ));
    }
    expected.assert_eq(&out);
}

#[test]
fn every_broken_statement_is_reported_and_the_others_kept() {
    check(
        "group a = app=a\ngroup b app=b\nport p = 80\nnetwork = 10.0.0.0/8\ngroup c may reach d\nassert a reach b\n",
        expect![[r#"
            group a = (app=a)
            error
            port p = 80
            error
            rule group c may reach [d]
            error
            ! UnexpectedToken 24..27: expected `=`, `{`, `in`, `may` or `/`, found `app`
                expected: ["`=`", "`{`", "`in`", "`may`", "`/`"]
            ! UnexpectedToken 50..51: expected a name, found `=`
                expected: ["a name"]
            ! UnexpectedToken 92..97: expected `can`, `cannot` or `/`, found `reach`
                expected: ["`can`", "`cannot`", "`/`"]
        "#]],
    );
}

#[test]
fn broken_members_inside_blocks_keep_the_block() {
    check(
        "namespace shop {\n  owner\n  group web = app=web\n  isolate sideways\n  allow internal\n}\nteam t { user alice; group \"g\"; serviceaccount ci }\ngroup g { match; owner t }\n",
        expect![[r#"
            namespace shop
              error
              group web = (app=web)
              error
              allow internal
            team t
              error
              group "g"
              error
            group g block
              error
              owner t
            ! UnexpectedToken 24..25: expected a name, found the end of the line
                expected: ["a name"]
            ! UnexpectedToken 57..65: expected `ingress` or `egress`, found `sideways`
                expected: ["`ingress`", "`egress`"]
            ! UnexpectedToken 99..104: expected a string in double quotes, found `alice`
                expected: ["a string in double quotes"]
            ! UnexpectedToken 135..136: expected `/`, found `}`
                expected: ["`/`"]
            ! UnexpectedToken 152..153: expected a label key, found `;`
                expected: ["a label key"]
        "#]],
    );
}

#[test]
fn half_typed_statements() {
    check(
        "group fro",
        expect![[r#"
        error
        ! UnexpectedEnd 9..9: expected `=`, `{`, `in`, `may` or `/`, found the end of the file
            expected: ["`=`", "`{`", "`in`", "`may`", "`/`"]
    "#]],
    );
    check(
        "group a may reach",
        expect![[r#"
        error
        ! UnexpectedEnd 17..17: expected a name, found the end of the file
            expected: ["a name"]
    "#]],
    );
    check(
        "group a may reach b:",
        expect![[r#"
        error
        ! UnexpectedEnd 20..20: expected a port such as `8080`, `53/udp` or `http`, found the end of the file
            expected: ["a port such as `8080`, `53/udp` or `http`"]
    "#]],
    );
    check(
        "namespace x {",
        expect![[r#"
        error
        ! UnexpectedEnd 13..13: expected `group`, `labels`, `owner`, `isolate`, `allow` or `}`, found the end of the file
            expected: ["`group`", "`labels`", "`owner`", "`isolate`", "`allow`", "`}`"]
    "#]],
    );
    check(
        "group a = app=web\nnamespace x {\n  group b = c\n",
        expect![[r#"
        group a = (app=web)
        error
        ! UnexpectedEnd 46..46: expected `}`, `group`, `labels`, `owner`, `isolate` or `allow`, found the end of the file
            expected: ["`}`", "`group`", "`labels`", "`owner`", "`isolate`", "`allow`"]
    "#]],
    );
    check(
        "assert only a,",
        expect![[r#"
        error
        ! UnexpectedEnd 14..14: expected a name, found the end of the file
            expected: ["a name"]
    "#]],
    );
    check(
        "network n = ",
        expect![[r#"
        error
        ! UnexpectedEnd 12..12: expected an address block such as `10.0.0.0/8`, found the end of the file
            expected: ["an address block such as `10.0.0.0/8`"]
    "#]],
    );
    check(
        "group a = k in (",
        expect![[r#"
        error
        ! UnexpectedEnd 16..16: expected a name, found the end of the file
            expected: ["a name"]
    "#]],
    );
}

#[test]
fn invalid_characters_are_reported_once_each() {
    check(
        "group a = app=web§\ngroup b = x @ y\ngroup c = z\n",
        expect![[r#"
        error
        error
        group c = (z)
        ! InvalidCharacter 17..19: invalid character `§`
            expected: []
        ! InvalidCharacter 32..33: invalid character `@`
            expected: []
    "#]],
    );
}

#[test]
fn an_unterminated_string_ends_at_the_line_end() {
    check(
        "team t {\n  user \"alice\n  user \"bob\"\n}\n",
        expect![[r#"
        team t
          error
          user "bob"
        ! UnterminatedString 16..22: unterminated string "alice: add a closing `"`
            expected: ["`\"`"]
    "#]],
    );
}

#[test]
fn a_stray_closing_brace_at_the_top_level() {
    check(
        "}\ngroup a = x\n)\n",
        expect![[r#"
        error
        group a = (x)
        error
        ! UnexpectedToken 0..1: expected `namespace`, `group`, `team`, `port`, `network` or `assert`, found `}`
            expected: ["`namespace`", "`group`", "`team`", "`port`", "`network`", "`assert`"]
        ! UnexpectedToken 14..15: expected `namespace`, `group`, `team`, `port`, `network` or `assert`, found `)`
            expected: ["`namespace`", "`group`", "`team`", "`port`", "`network`", "`assert`"]
    "#]],
    );
}

#[test]
fn a_semicolon_does_not_separate_top_level_statements() {
    check(
        "group a = x; group b = y\n",
        expect![[r#"
        error
        ! UnexpectedToken 11..12: expected the end of the line, found `;`
            expected: ["the end of the line"]
    "#]],
    );
}

#[test]
fn after_a_hundred_errors_one_says_there_are_too_many() {
    let text = "group\n".repeat(150);
    let parsed = npg_grammar::parse(&text);
    assert_eq!(parsed.errors.len(), 101);
    let last = parsed.errors.last().unwrap();
    assert_eq!(last.kind, npg_grammar::SyntaxErrorKind::TooManyErrors);
    assert_eq!(last.span.start, 100 * 6 + 5);
    assert_eq!(parsed.tree.items.len(), 150);
}

#[test]
fn an_error_inside_labels_resumes_at_their_closing_brace() {
    check(
        "namespace shop {\n  labels { env: prod, team: § }\n  group web = app=web\n}\ngroup b = y\n",
        expect![[r#"
            namespace shop
              error
              group web = (app=web)
            group b = (y)
            ! InvalidCharacter 45..47: invalid character `§`
                expected: []
        "#]],
    );
}
