//! Diagnostics for people, on a terminal: a `error[NPG0201]: ...` header, the
//! source with labelled spans (ariadne, byte offsets), `help:` lines for the help
//! and the fix, and a closing summary.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::Arc;

use ariadne::{Cache, Color, Config, IndexType, Label, Report, ReportKind, Source};
use npg_compiler::diagnostic::Fix;
use npg_compiler::{Diagnostic, Severity};

use super::{Positions, Sources, char_bounds, summary};

/// Writes every diagnostic, each followed by a blank line, then the summary line.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources<'_>, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut cache = SourceCache { sources, built: BTreeMap::new() };
    let style = Style { color };
    for diagnostic in diagnostics {
        write_diagnostic(diagnostic, &mut cache, style, out)?;
        writeln!(out)?;
    }
    if let Some((severity, text)) = summary(diagnostics) {
        writeln!(out, "{}{}", style.severity(severity, severity_word(severity)), style.bold(&format!(": {text}")))?;
    }
    Ok(())
}

fn write_diagnostic(
    diagnostic: &Diagnostic,
    cache: &mut SourceCache<'_, '_>,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let header = format!("{}[{}]", severity_word(diagnostic.severity), diagnostic.code);
    writeln!(
        out,
        "{}{}",
        style.severity(diagnostic.severity, &header),
        style.bold(&format!(": {}", diagnostic.message))
    )?;

    let primary = &diagnostic.primary;
    let mut notes = Vec::new();
    if cache.sources.text(&primary.location.file).is_none() {
        let label = if primary.message.is_empty() { String::new() } else { format!(": {}", primary.message) };
        writeln!(out, " {} {}{label}", style.margin("-->"), primary.location.file)?;
        notes.extend(diagnostic.secondary.iter().map(|label| format!("{} ({})", label.message, label.location.file)));
    } else if touches_a_long_line(diagnostic, cache.sources) {
        write_cut_snippets(diagnostic, cache.sources, style, out, &mut notes)?;
    } else {
        write_snippets(diagnostic, cache, style, out, &mut notes)?;
    }

    for note in notes {
        write_note(out, style, "note", &note)?;
    }
    // The help line says what to do; a fix only speaks when there is no help.
    let help = diagnostic.help.clone().or_else(|| diagnostic.fix.as_ref().and_then(fix_help));
    if let Some(help) = help {
        write_note(out, style, "help", &help)?;
    }
    Ok(())
}

/// The labelled source lines, drawn by ariadne. Labels in files without text
/// become notes.
fn write_snippets(
    diagnostic: &Diagnostic,
    cache: &mut SourceCache<'_, '_>,
    style: Style,
    out: &mut dyn Write,
    notes: &mut Vec<String>,
) -> io::Result<()> {
    let primary = &diagnostic.primary;
    let primary_text = cache.sources.text(&primary.location.file).unwrap_or_default();
    let primary_range = visible_range(primary_text, primary.location.span);
    let mut labels = vec![label(
        &primary.location.file,
        primary_range.clone(),
        &primary.message,
        style.label_color(diagnostic.severity),
    )];
    for secondary in &diagnostic.secondary {
        match cache.sources.text(&secondary.location.file) {
            Some(text) => labels.push(label(
                &secondary.location.file,
                visible_range(text, secondary.location.span),
                &secondary.message,
                style.secondary_color(),
            )),
            None => notes.push(format!("{} ({})", secondary.message, secondary.location.file)),
        }
    }
    let kind = match diagnostic.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let config = Config::default().with_index_type(IndexType::Byte).with_color(style.color);
    let mut body = Vec::new();
    Report::build(kind, (primary.location.file.clone(), primary_range))
        .with_config(config)
        .with_labels(labels)
        .finish()
        .write(&mut *cache, &mut body)?;
    // ariadne's own header line (`Error:`) gives way to ours.
    let after_header = body.iter().position(|&byte| byte == b'\n').map_or(body.len(), |newline| newline + 1);
    out.write_all(body.get(after_header..).unwrap_or_default())
}

/// Lines longer than this many characters are shown cut down around the span
/// (ariadne would print them whole, once per diagnostic).
const LONG_LINE_CHARS: usize = 160;
/// Characters shown on each side of a span on a cut-down line.
const CONTEXT_CHARS: usize = 40;
/// The most characters of a span shown on a cut-down line.
const SHOWN_SPAN_CHARS: usize = 60;

fn touches_a_long_line(diagnostic: &Diagnostic, sources: &Sources<'_>) -> bool {
    std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary).any(|label| {
        let Some(text) = sources.text(&label.location.file) else {
            return false;
        };
        let (start, end) = char_bounds(text, label.location.span);
        [start, end].into_iter().any(|offset| {
            let (line_start, line_end) = line_around(text, offset);
            text.get(line_start..line_end).is_some_and(|line| line.chars().nth(LONG_LINE_CHARS).is_some())
        })
    })
}

/// Byte bounds of the line holding `offset` (a character boundary), without
/// its line break.
fn line_around(text: &str, offset: usize) -> (usize, usize) {
    let start = text.get(..offset).and_then(|before| before.rfind('\n')).map_or(0, |newline| newline + 1);
    let mut end = text.get(offset..).and_then(|after| after.find('\n')).map_or(text.len(), |newline| offset + newline);
    if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
        end -= 1;
    }
    (start, end)
}

/// Each label as `--> file:line:column` and a window of its line around the span,
/// marked with carets: the form for lines too long to show whole.
fn write_cut_snippets(
    diagnostic: &Diagnostic,
    sources: &Sources<'_>,
    style: Style,
    out: &mut dyn Write,
    notes: &mut Vec<String>,
) -> io::Result<()> {
    let mut positions = Positions::new(sources);
    let labels =
        std::iter::once((&diagnostic.primary, true)).chain(diagnostic.secondary.iter().map(|label| (label, false)));
    for (label, primary) in labels {
        let file = &label.location.file;
        let Some(text) = sources.text(file) else {
            notes.push(format!("{} ({file})", label.message));
            continue;
        };
        let (start, end) = char_bounds(text, label.location.span);
        let (position, _) = positions.range(file, label.location.span);
        let (line_start, line_end) = line_around(text, start);
        let start = start.min(line_end);
        let before = text.get(line_start..start).unwrap_or_default();
        let window_start =
            before.char_indices().rev().take(CONTEXT_CHARS).last().map_or(start, |(at, _)| line_start + at);
        let span_text = text.get(start..end.clamp(start, line_end)).unwrap_or_default();
        let span_end =
            span_text.char_indices().nth(SHOWN_SPAN_CHARS).map_or(start + span_text.len(), |(at, _)| start + at);
        let after = text.get(span_end..line_end).unwrap_or_default();
        let window_end = after.char_indices().nth(CONTEXT_CHARS).map_or(line_end, |(at, _)| span_end + at);

        let cut_before = if window_start > line_start { "…" } else { "" };
        let cut_after = if window_end < line_end { "…" } else { "" };
        let shown = one_line(text.get(window_start..window_end).unwrap_or_default());
        let indent = cut_before.chars().count() + text.get(window_start..start).unwrap_or_default().chars().count();
        let marks = span_text.get(..span_end - start).unwrap_or_default().chars().count().max(1);
        let mark = if primary { "^" } else { "-" };
        let marks = mark.repeat(marks);
        let marks = if primary { style.severity(diagnostic.severity, &marks) } else { style.margin(&marks) };

        let gutter = position.line.to_string();
        let pad = " ".repeat(gutter.len());
        let bar = style.margin("|");
        writeln!(out, "{pad}{} {file}:{}:{}", style.margin("-->"), position.line, position.column)?;
        writeln!(out, "{pad} {bar}")?;
        writeln!(out, "{} {bar} {cut_before}{shown}{cut_after}", style.margin(&gutter))?;
        let message = if label.message.is_empty() { String::new() } else { format!(" {}", label.message) };
        writeln!(out, "{pad} {bar} {}{marks}{message}", " ".repeat(indent))?;
    }
    Ok(())
}

/// Part of one line as the terminal should see it, one character for each
/// character, so that marks under it line up.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => ' ',
            other if replacement(other).is_some() => '\u{FFFD}',
            other => other,
        })
        .collect()
}

/// The `help:` line for a fix: `did you mean `x`?` for a single replacement,
/// otherwise the fix's own title.
fn fix_help(fix: &Fix) -> Option<String> {
    let title = fix.title.trim();
    if title.to_lowercase().starts_with("did you mean") {
        return Some(title.to_owned());
    }
    if let [edit] = fix.edits.as_slice()
        && !edit.replacement.is_empty()
        && !edit.replacement.contains('\n')
    {
        return Some(format!("did you mean `{}`?", edit.replacement));
    }
    (!title.is_empty()).then(|| title.to_owned())
}

fn write_note(out: &mut dyn Write, style: Style, word: &str, text: &str) -> io::Result<()> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    writeln!(out, "{}: {first}", style.help(word))?;
    let indent = " ".repeat(word.len() + 2);
    for line in lines {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

fn label(file: &Arc<str>, range: Range<usize>, message: &str, color: Option<Color>) -> Label<(Arc<str>, Range<usize>)> {
    // An empty message still gets its span underlined.
    let mut label = Label::new((file.clone(), range)).with_message(message);
    if let Some(color) = color {
        label = label.with_color(color);
    }
    label
}

/// The byte range ariadne underlines for `span`: on character boundaries, and one
/// character wide when the span is empty, so that it can be seen.
fn visible_range(text: &str, span: npg_grammar::Span) -> Range<usize> {
    let (start, end) = char_bounds(text, span);
    if start < end {
        return start..end;
    }
    match text.get(start..).and_then(|rest| rest.chars().next()) {
        Some(next) if next != '\n' && next != '\r' => start..start + next.len_utf8(),
        _ => start..end,
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Source text as the terminal should see it: control characters and line
/// separators other than `\n` become spaces of the same byte length (so offsets
/// still hold and line numbers agree with npg's), and bidirectional overrides
/// become `�`, also of the same length.
fn displayable(text: &str) -> Cow<'_, str> {
    let needs_change = |(index, character): (usize, char)| match character {
        '\t' | '\n' => false,
        '\r' => text.as_bytes().get(index + 1) != Some(&b'\n'),
        other => replacement(other).is_some(),
    };
    if !text.char_indices().any(needs_change) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len());
    for (index, character) in text.char_indices() {
        match character {
            '\r' if text.as_bytes().get(index + 1) == Some(&b'\n') => shown.push('\r'),
            '\t' | '\n' => shown.push(character),
            other => match replacement(other) {
                Some(replaced) => shown.push_str(replaced),
                None => shown.push(other),
            },
        }
    }
    Cow::Owned(shown)
}

fn replacement(character: char) -> Option<&'static str> {
    match character {
        '\u{0}'..='\u{1f}' | '\u{7f}' => Some(" "),
        '\u{80}'..='\u{9f}' => Some("  "),
        '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => Some("\u{FFFD}"),
        _ => None,
    }
}

/// Builds ariadne's view of a file once, when a diagnostic first needs it.
struct SourceCache<'s, 'a> {
    sources: &'s Sources<'a>,
    built: BTreeMap<Arc<str>, Source<Cow<'a, str>>>,
}

impl<'a> Cache<Arc<str>> for SourceCache<'_, 'a> {
    type Storage = Cow<'a, str>;

    fn fetch(&mut self, file: &Arc<str>) -> Result<&Source<Cow<'a, str>>, impl fmt::Debug> {
        match self.built.entry(file.clone()) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => match self.sources.text(file) {
                Some(text) => Ok(entry.insert(Source::from(displayable(text)))),
                None => Err(format!("no text for `{file}`")),
            },
        }
    }

    fn display<'b>(&self, file: &'b Arc<str>) -> Option<impl fmt::Display + 'b> {
        Some(&**file)
    }
}

/// Colours, or none.
#[derive(Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    fn paint(self, codes: &str, text: &str) -> String {
        if self.color { format!("\u{1b}[{codes}m{text}\u{1b}[0m") } else { text.to_owned() }
    }

    fn severity(self, severity: Severity, text: &str) -> String {
        match severity {
            Severity::Error => self.paint("1;31", text),
            Severity::Warning => self.paint("1;33", text),
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn help(self, text: &str) -> String {
        self.paint("1;36", text)
    }

    fn margin(self, text: &str) -> String {
        self.paint("34", text)
    }

    fn label_color(self, severity: Severity) -> Option<Color> {
        let color = match severity {
            Severity::Error => Color::Red,
            Severity::Warning => Color::Yellow,
        };
        self.color.then_some(color)
    }

    fn secondary_color(self) -> Option<Color> {
        self.color.then_some(Color::Blue)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use npg_compiler::Code;
    use npg_compiler::diagnostic::Location;
    use npg_grammar::Span;

    const SHOP: &str =
        "namespace shop {\n  group frontend = app=web\n  group api = app=api\n}\ngroup fronend may reach api:8080\n";

    fn at(file: &str, text: &str, needle: &str) -> Location {
        let start = text.find(needle).unwrap();
        Location { file: file.into(), span: Span::new(start, start + needle.len()) }
    }

    fn rendered(diagnostics: &[Diagnostic], files: &[(&str, &str)], color: bool) -> String {
        let mut sources = Sources::default();
        for (name, text) in files {
            sources.insert(name, text);
        }
        let mut out = Vec::new();
        render(diagnostics, &sources, color, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_unknown_name_shows_code_label_and_fix() {
        let diagnostic = Diagnostic::new(Code::UnknownName, at("shop.npg", SHOP, "fronend"), "unknown group `fronend`")
            .with_label("no group has this name")
            .with_replacement("did you mean `frontend`?", "frontend");
        let text = rendered(&[diagnostic], &[("shop.npg", SHOP)], false);
        insta::assert_snapshot!("unknown_name", text);
    }

    #[test]
    fn columns_count_characters_on_a_line_with_non_ascii_text() {
        let text = "# café ☕ policies\ngroup cafés = app=café, tier=ünïcode\n";
        let diagnostic = Diagnostic::new(Code::InvalidName, at("café.npg", text, "cafés"), "invalid name `cafés`")
            .with_label("names are lowercase letters, digits and `-`")
            .with_help("Kubernetes names are DNS labels");
        let text = rendered(&[diagnostic], &[("café.npg", text)], false);
        assert!(text.contains("╭─[ café.npg:2:7 ]"), "{text}");
        insta::assert_snapshot!("non_ascii_line", text);
    }

    #[test]
    fn secondary_labels_in_other_files_are_shown_with_their_file() {
        let first = "group web = app=web\n";
        let second = "namespace shop {\n  group web = app=shop\n}\n";
        let diagnostic =
            Diagnostic::new(Code::DuplicateDeclaration, at("b.npg", second, "web"), "group `web` is declared twice")
                .with_label("declared again here")
                .with_secondary(at("a.npg", first, "web"), "first declared here");
        let text = rendered(&[diagnostic], &[("a.npg", first), ("b.npg", second)], false);
        assert!(text.contains("b.npg:2:9") && text.contains("a.npg:1:7"), "{text}");
        insta::assert_snapshot!("secondary_label", text);
    }

    #[test]
    fn warnings_and_errors_are_counted_in_the_summary() {
        let text = "port http = 8080\ngroup a = *\n";
        let unused = Diagnostic::new(Code::UnusedDeclaration, at("a.npg", text, "http"), "port `http` is never used");
        let every = Diagnostic::new(Code::SelectsEveryPod, at("a.npg", text, "*"), "group `a` selects every pod");
        let error = Diagnostic::new(Code::UnknownName, at("b.npg", "x\n", "x"), "unknown name `x`");
        let text = rendered(&[unused, every, error], &[("a.npg", text), ("b.npg", "x\n")], false);
        assert!(text.starts_with("warning[NPG0501]: port `http` is never used\n"), "{text}");
        assert!(text.ends_with("\nerror: 1 error and 2 warnings found in 2 files\n"), "{text}");
    }

    #[test]
    fn colour_is_used_only_when_asked_for() {
        let diagnostic = Diagnostic::new(Code::UnknownName, at("shop.npg", SHOP, "fronend"), "unknown group `fronend`")
            .with_label("here")
            .with_help("declare it");
        let plain = rendered(std::slice::from_ref(&diagnostic), &[("shop.npg", SHOP)], false);
        assert!(!plain.contains('\u{1b}'), "{plain}");
        let coloured = rendered(&[diagnostic], &[("shop.npg", SHOP)], true);
        assert!(coloured.contains("\u{1b}[1;31merror[NPG0201]\u{1b}[0m"), "{coloured}");
    }

    #[test]
    fn a_file_without_text_is_named_without_a_snippet() {
        let location = Location { file: "big.npg".into(), span: Span::default() };
        let diagnostic = Diagnostic::new(Code::FileTooLarge, location, "`big.npg` is larger than the 16 MiB npg reads")
            .with_help("split the program into several files");
        let text = rendered(&[diagnostic], &[], false);
        insta::assert_snapshot!("no_text", text);
    }

    #[test]
    fn an_empty_span_at_the_end_of_the_file_is_shown() {
        let text = "namespace shop {\n  group web = app=web\n";
        let location = Location { file: "a.npg".into(), span: Span::new(text.len(), text.len()) };
        let diagnostic = Diagnostic::new(Code::UnexpectedEnd, location, "the file ends inside `namespace shop {`")
            .with_label("expected `}`");
        let rendered = rendered(&[diagnostic], &[("a.npg", text)], false);
        assert!(rendered.contains("error[NPG0102]"), "{rendered}");
        assert!(rendered.contains("a.npg:"), "{rendered}");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let text = "group a\u{1b}[31m = x\u{7}\u{202e}\n";
        let location = at("a.npg", text, "\u{1b}");
        let diagnostic = Diagnostic::new(Code::InvalidCharacter, location, "invalid character").with_label("here");
        let rendered = rendered(&[diagnostic], &[("a.npg", text)], false);
        assert!(!rendered.chars().any(|c| c.is_control() && c != '\n'), "{rendered:?}");
        assert!(!rendered.contains('\u{202e}'), "{rendered:?}");
    }

    #[test]
    fn line_numbers_agree_with_npg_when_the_text_has_other_line_breaks() {
        let text = "a\rb\u{c}c\u{2028}\nbad\r\n";
        let diagnostic = Diagnostic::new(Code::UnexpectedToken, at("a.npg", text, "bad"), "unexpected `bad`");
        let rendered = rendered(&[diagnostic], &[("a.npg", text)], false);
        assert!(rendered.contains("a.npg:2:1"), "{rendered}");
    }

    #[test]
    fn fixes_read_as_did_you_mean_when_they_replace_one_span() {
        let location = Location { file: "a.npg".into(), span: Span::new(0, 1) };
        let edit = |replacement: &str| npg_compiler::diagnostic::TextEdit {
            location: location.clone(),
            replacement: replacement.into(),
        };
        let fix = |title: &str, edits| Fix { title: title.into(), edits };
        assert_eq!(
            fix_help(&fix("use the network address", vec![edit("10.0.0.0/8")])).unwrap(),
            "did you mean `10.0.0.0/8`?"
        );
        assert_eq!(fix_help(&fix("Did you mean `web`?", vec![edit("web")])).unwrap(), "Did you mean `web`?");
        assert_eq!(fix_help(&fix("remove the second owner", vec![edit("")])).unwrap(), "remove the second owner");
        assert_eq!(fix_help(&fix("", vec![edit("")])), None);
    }

    #[test]
    fn a_very_long_line_is_shown_cut_down_around_the_span() {
        let text = format!("namespace a {}{}\n", "{".repeat(5000), "}".repeat(5000));
        let start = "namespace a {".len();
        let location = Location { file: "deep.npg".into(), span: Span::new(start, start + 1) };
        let diagnostic = Diagnostic::new(Code::UnexpectedToken, location, "unexpected `{`").with_label("expected `}`");
        let rendered = rendered(&[diagnostic], &[("deep.npg", &text)], false);
        assert!(rendered.len() < 600, "{rendered}");
        insta::assert_snapshot!("long_line", rendered);
    }

    #[test]
    fn cut_down_lines_mark_spans_after_non_ascii_text() {
        let text = format!("{}ünïcode é{}\n", "é".repeat(300), "x".repeat(300));
        let start = text.find("ünïcode").unwrap();
        let location = Location { file: "a.npg".into(), span: Span::new(start, start + "ünïcode".len()) };
        let diagnostic = Diagnostic::new(Code::InvalidName, location, "invalid").with_label("here");
        let rendered = rendered(&[diagnostic], &[("a.npg", &text)], false);
        let lines: Vec<&str> = rendered.lines().collect();
        let source = lines.iter().find(|line| line.starts_with("1 |")).unwrap();
        let marks = lines.iter().find(|line| line.contains('^')).unwrap();
        let column = |line: &str, needle: &str| line[..line.find(needle).unwrap()].chars().count();
        assert_eq!(column(source, "ünïcode"), column(marks, "^^^^^^^ here"), "{rendered}");
        assert!(rendered.contains("--> a.npg:1:301"), "{rendered}");
    }

    proptest::proptest! {
        #[test]
        fn any_span_on_any_text_renders_without_panicking(
            text in "(\\PC|\n|\r|\t){0,400}",
            start in 0u32..420,
            length in 0u32..420,
            secondary_start in 0u32..420,
        ) {
            let location = Location { file: "a.npg".into(), span: Span { start, end: start.saturating_add(length) } };
            let secondary = Location { file: "a.npg".into(), span: Span { start: secondary_start, end: start } };
            let diagnostic = Diagnostic::new(Code::UnexpectedToken, location, "m")
                .with_label("l")
                .with_secondary(secondary, "s");
            let rendered = rendered(&[diagnostic], &[("a.npg", &text)], false);
            proptest::prop_assert!(rendered.starts_with("error[NPG0101]: m\n"));
        }
    }
}
