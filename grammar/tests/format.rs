//! The canonical layout: what `format` prints, and the promises it keeps (it is
//! idempotent, never changes the tree, and never loses a comment).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use expect_test::{Expect, expect};
use npg_grammar::{format, outline, parse};

/// Formats `text`, checks the promises, and compares the output.
fn check(text: &str, expected: Expect) {
    let formatted = match format(text) {
        Ok(formatted) => formatted,
        Err(errors) => panic!("syntax errors: {errors:?}"),
    };
    assert_promises(text, &formatted);
    expected.assert_eq(&formatted);
}

fn comment_texts(text: &str) -> Vec<String> {
    parse(text).tree.comments.into_iter().map(|comment| comment.text).collect()
}

fn assert_promises(text: &str, formatted: &str) {
    assert_eq!(format(formatted).as_deref(), Ok(formatted), "not idempotent; first pass:\n{formatted}");
    assert_eq!(outline(&parse(formatted).tree), outline(&parse(text).tree), "tree changed:\n{formatted}");
    assert_eq!(comment_texts(formatted), comment_texts(text), "comments changed:\n{formatted}");
    assert!(formatted.is_empty() || (formatted.ends_with('\n') && !formatted.ends_with("\n\n")));
}

#[test]
fn canonical_spacing() {
    check(
        "group   a   =   k = v ,k!=v,k   in(a,b) , k notin ( c ) ,k,! k,*\nport p={80,443}\nnamespace n{labels{env:prod,tier:web}}\ngroup a may reach b : 8080,c\nnetwork n = 10.0.0.0 / 8 except 10.1.0.0/16,10.2.0.0/16\n",
        expect![[r#"
            group a = k=v, k!=v, k in (a, b), k notin (c), k, !k, *
            port p = { 80, 443 }
            namespace n {
              labels { env: prod, tier: web }
            }
            group a may reach b:8080, c
            network n = 10.0.0.0/8 except 10.1.0.0/16, 10.2.0.0/16
        "#]],
    );
}

#[test]
fn every_form() {
    check(
        r#"team web { group "oidc:web-devs"; user "alice \"a\" \\"; serviceaccount ci/deployer }
namespace shop { labels {}; owner web; isolate ingress; isolate egress; allow internal; group web = app=web; group api { match app=api; owner web } }
group b in shop = app=b
group c in namespaces(env=prod, !legacy) { match * }
group d in any = example.com/role=x
port dns = 53/udp
port range = 8000-8100/tcp
network v6 = 2001:db8::/32 except 2001:db8::1/128
group a may reach b:{80, 443/udp, http}, shop/c:8000-8100, d:http
network v6 may reach shop/web:443
assert a can reach b:80
assert a cannot reach shop/c
assert only a, shop/b can reach c:{ 80 }
"#,
        expect![[r#"
            team web {
              group "oidc:web-devs"
              user "alice \"a\" \\"
              serviceaccount ci/deployer
            }
            namespace shop {
              labels {}
              owner web
              isolate ingress
              isolate egress
              allow internal
              group web = app=web
              group api {
                match app=api
                owner web
              }
            }
            group b in shop = app=b
            group c in namespaces(env=prod, !legacy) {
              match *
            }
            group d in any = example.com/role=x
            port dns = 53/udp
            port range = 8000-8100/tcp
            network v6 = 2001:db8::/32 except 2001:db8::1/128
            group a may reach b:{ 80, 443/udp, http }, shop/c:8000-8100, d:http
            network v6 may reach shop/web:443
            assert a can reach b:80
            assert a cannot reach shop/c
            assert only a, shop/b can reach c:{ 80 }
        "#]],
    );
}

#[test]
fn empty_blocks_print_as_a_pair_of_braces() {
    check(
        "namespace a {\n\n}\nteam t {   }\ngroup g {\n}\n",
        expect![[r#"
        namespace a {}
        team t {}
        group g {}
    "#]],
    );
}

#[test]
fn blank_lines_are_kept_but_never_doubled() {
    check(
        "\n\n\ngroup a = x\ngroup b = y\n\n\n\ngroup c = z\nnamespace n {\n\n  owner t\n\n\n  allow internal\n\n}\n\n\n",
        expect![[r#"
            group a = x
            group b = y

            group c = z
            namespace n {
              owner t

              allow internal
            }
        "#]],
    );
}

#[test]
fn comments_stay_where_they_were() {
    check(
        "# file header\n\n# about a\ngroup a = x   # why a\n# about b\ngroup b = y\nnamespace n { # the namespace\n  # about owner\n  owner t # trailing owner\n  # before the end\n}  # after the block\n# end of file\n",
        expect![[r#"
            # file header

            # about a
            group a = x # why a
            # about b
            group b = y
            namespace n { # the namespace
              # about owner
              owner t # trailing owner
              # before the end
            } # after the block
            # end of file
        "#]],
    );
}

#[test]
fn comments_inside_an_otherwise_empty_block_keep_it_open() {
    check(
        "namespace a {\n  # nothing yet\n}\nteam t { # later\n}\n",
        expect![[r#"
        namespace a {
          # nothing yet
        }
        team t { # later
        }
    "#]],
    );
}

#[test]
fn comments_inside_lists_break_the_line() {
    check(
        "group a may reach b, # first\n  c, # second\n  d\nport p = {\n  80, # http\n  443\n}\ngroup g = k in (\n  # values\n  a, b)\n",
        expect![[r#"
            group a may reach b, # first
                c, # second
                d
            port p = { 80, # http
                443 }
            group g = k in (
                # values
                a, b)
        "#]],
    );
}

#[test]
fn long_rules_wrap_after_a_comma() {
    check(
        "group frontend-with-a-long-name may reach backend-one:8080, backend-two:8080, backend-three:{80, 443}, backend-four, backend-five:9090, backend-six\n",
        expect![[r#"
            group frontend-with-a-long-name may reach backend-one:8080, backend-two:8080,
                backend-three:{ 80, 443 }, backend-four, backend-five:9090, backend-six
        "#]],
    );
}

#[test]
fn semicolon_separated_members_become_lines() {
    check(
        "team t { user \"a\"; user \"b\" } # team\n",
        expect![[r#"
        team t {
          user "a"
          user "b"
        } # team
    "#]],
    );
}

#[test]
fn an_empty_file_stays_empty() {
    check("", expect![[r#""#]]);
    check("\n\n\n", expect![[r#""#]]);
    check(
        "# only a comment",
        expect![[r#"
        # only a comment
    "#]],
    );
}

#[test]
fn text_with_syntax_errors_is_refused() {
    let errors = format("group a =\ngroup b = y\n").unwrap_err();
    assert_eq!(errors.len(), 1);
}

#[test]
fn comments_where_no_line_may_break_move_to_the_next_place_that_may() {
    check(
        "group a in namespaces(app in (web, web   # trailing in parens\n  # own line before paren\n)) {\n  match x=y, # after comma\n    z\n}\nport p = {80, 443 # before brace\n}\nnamespace n {\n  group g { match a # trailing after a\n  }\n}\n",
        expect![[r#"
            group a in namespaces(app in (web, web)) { # trailing in parens
              # own line before paren
              match x=y, # after comma
                  z
            }
            port p = { 80, 443 } # before brace
            namespace n {
              group g {
                match a # trailing after a
              }
            }
        "#]],
    );
}

#[test]
fn a_second_trailing_comment_for_the_same_line_gets_its_own_line() {
    check(
        "port p = {80 # one\n} # two\n",
        expect![[r#"
        port p = { 80 } # one
        # two
    "#]],
    );
}
