//! The workspace the server keeps: every `.npg` file under the root folder, opened
//! or not, as salsa inputs of one program. Edits set one input; diagnostics are
//! asked of the compiler afterwards, so only what an edit touched is recomputed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use npg_compiler::diagnostic::Location;
use npg_compiler::line_index::{LineColumn, LineIndex};
use npg_compiler::model::Placement;
use npg_compiler::{Database, Diagnostic, Program, SourceFile};
use salsa::Setter;

/// A replacement of the text between two LSP positions (UTF-16 columns), or of
/// the whole text when there is no range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Option<(LineColumn, LineColumn)>,
    pub text: String,
}

/// The files of one workspace and the program they make.
pub struct Workspace {
    db: Database,
    program: Program,
    /// By path, as the program knows it.
    files: BTreeMap<Arc<str>, SourceFile>,
}

impl Default for Workspace {
    fn default() -> Workspace {
        let db = Database::default();
        let program = Program::new(&db, Vec::new());
        Workspace { db, program, files: BTreeMap::new() }
    }
}

impl Workspace {
    /// Reads every `.npg` file under `root` (hidden folders skipped). Files that
    /// cannot be read as UTF-8 are left out; their errors show when they are opened.
    pub fn load_folder(&mut self, root: &Path) {
        let mut found = Vec::new();
        collect_npg_files(root, &mut found, &mut BTreeSet::new());
        for path in found {
            if let Ok(text) = std::fs::read_to_string(&path) {
                self.set_text(&path.to_string_lossy(), text);
            }
        }
    }

    /// Sets the whole text of `path`, adding the file when it is new.
    pub fn set_text(&mut self, path: &str, text: String) {
        if let Some(file) = self.files.get(path) {
            if file.text(&self.db) != &text {
                file.set_text(&mut self.db).to(text);
            }
            return;
        }
        let path: Arc<str> = Arc::from(path);
        let file = SourceFile::new(&self.db, path.clone(), text);
        self.files.insert(path, file);
        self.update_program();
    }

    /// Applies the edits of one `didChange`, in order.
    pub fn edit(&mut self, path: &str, edits: &[Edit]) {
        let mut text = self.text(path).unwrap_or_default().to_owned();
        for edit in edits {
            match edit.range {
                None => text.clone_from(&edit.text),
                Some((start, end)) => {
                    let index = LineIndex::new(&text);
                    let start = index.offset_utf16(&text, start) as usize;
                    let end = (index.offset_utf16(&text, end) as usize).max(start);
                    if text.is_char_boundary(start) && text.is_char_boundary(end) && end <= text.len() {
                        text.replace_range(start..end, &edit.text);
                    }
                }
            }
        }
        self.set_text(path, text);
    }

    /// Forgets `path` (deleted from disk).
    pub fn remove(&mut self, path: &str) {
        if self.files.remove(path).is_some() {
            self.update_program();
        }
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|file| file.text(&self.db).as_str())
    }

    /// The file's text in canonical layout (as `npg fmt` writes it), when it
    /// differs from the text and the file has no syntax errors.
    pub fn formatted(&self, path: &str) -> Option<String> {
        let text = self.text(path)?;
        npg_grammar::format(text).ok().filter(|formatted| formatted != text)
    }

    /// Where the group named at `position` of `path` is declared (`web`, or
    /// `shop/web` for one namespace's): the name in each declaration it may mean.
    pub fn definition(&self, path: &str, position: LineColumn) -> Vec<Location> {
        let Some(text) = self.text(path) else { return Vec::new() };
        let offset = LineIndex::new(text).offset_utf16(text, position) as usize;
        let Some(word) = word_at(text, offset) else { return Vec::new() };
        let (namespace, name) = match word.split_once('/') {
            Some((namespace, name)) => (Some(namespace), name),
            None => (None, word),
        };
        let model = npg_compiler::db::model(&self.db, self.program);
        let locations = npg_compiler::check::locations(&self.db, self.program);
        let in_namespace = |placement: &Placement| match (namespace, placement) {
            (None, _) => true,
            (Some(wanted), Placement::Namespace(namespace)) => wanted == namespace,
            (Some(_), _) => false,
        };
        model
            .groups
            .iter()
            .zip(locations.groups.iter())
            .filter(|(group, _)| group.name == name && in_namespace(&group.placement))
            .filter_map(|(_, location)| location.clone())
            .collect()
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(|path| &**path)
    }

    /// Every file's diagnostics, an entry for each file (empty when it is clean).
    pub fn diagnostics(&self) -> BTreeMap<Arc<str>, Vec<Diagnostic>> {
        let mut by_file: BTreeMap<Arc<str>, Vec<Diagnostic>> =
            self.files.keys().map(|path| (path.clone(), Vec::new())).collect();
        for diagnostic in npg_compiler::diagnostics(&self.db, self.program) {
            by_file.entry(diagnostic.primary.location.file.clone()).or_default().push(diagnostic);
        }
        by_file
    }

    fn update_program(&mut self) {
        let files: Vec<SourceFile> = self.files.values().copied().collect();
        self.program.set_files(&mut self.db).to(files);
    }
}

/// The name under `offset`: letters, digits, `-`, `_`, `.` and `/` (for `ns/name`).
fn word_at(text: &str, offset: usize) -> Option<&str> {
    let is_name = |character: char| character.is_ascii_alphanumeric() || "-_./".contains(character);
    let before = text.get(..offset)?;
    let start = before.char_indices().rev().take_while(|(_, c)| is_name(*c)).last().map_or(offset, |(index, _)| index);
    let after = text.get(offset..)?;
    let end = offset + after.char_indices().find(|(_, c)| !is_name(*c)).map_or(after.len(), |(index, _)| index);
    text.get(start..end).filter(|word| !word.is_empty())
}

fn collect_npg_files(folder: &Path, found: &mut Vec<std::path::PathBuf>, seen: &mut BTreeSet<std::path::PathBuf>) {
    let Ok(canonical) = std::fs::canonicalize(folder) else { return };
    if !seen.insert(canonical) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let mut paths: Vec<_> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_npg_files(&path, found, seen);
        } else if path.extension().is_some_and(|extension| extension == "npg") {
            found.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn position(line: u32, column: u32) -> LineColumn {
        LineColumn { line, column }
    }

    #[test]
    fn an_edit_replaces_a_range_counted_in_utf16_units() {
        let mut workspace = Workspace::default();
        workspace.set_text("/w/a.npg", "# café ☕\nnamespace shop {\n}\n".to_owned());
        let edit = Edit { range: Some((position(0, 7), position(0, 8))), text: "tea".to_owned() };
        workspace.edit("/w/a.npg", &[edit]);
        assert_eq!(workspace.text("/w/a.npg"), Some("# café tea\nnamespace shop {\n}\n"));
    }

    #[test]
    fn diagnostics_follow_edits_and_every_file_gets_an_entry() {
        let mut workspace = Workspace::default();
        workspace.set_text("/w/a.npg", "namespace shop {\n  group web = app=web\n}\n".to_owned());
        workspace.set_text("/w/b.npg", "group web may reach api:8080\n".to_owned());
        let diagnostics = workspace.diagnostics();
        assert!(diagnostics["/w/a.npg"].is_empty());
        assert_eq!(diagnostics["/w/b.npg"][0].code.as_str(), "NPG0201");

        let declare =
            Edit { range: Some((position(1, 21), position(1, 21))), text: "\n  group api = app=api".to_owned() };
        workspace.edit("/w/a.npg", &[declare]);
        let diagnostics = workspace.diagnostics();
        assert!(diagnostics.values().all(|list| list.iter().all(|d| !d.is_error())), "{diagnostics:?}");

        workspace.remove("/w/a.npg");
        assert_eq!(workspace.paths().collect::<Vec<_>>(), ["/w/b.npg"]);
    }

    #[test]
    fn a_group_name_leads_to_its_declaration_in_another_file() {
        let mut workspace = Workspace::default();
        workspace
            .set_text("/w/a.npg", "namespace shop {\n  group web = app=web\n  group api = app=api\n}\n".to_owned());
        workspace.set_text("/w/b.npg", "group web may reach shop/api:8080\n".to_owned());
        let web = workspace.definition("/w/b.npg", position(0, 8));
        assert_eq!(web.len(), 1);
        assert_eq!((&*web[0].file, web[0].span.start, web[0].span.end), ("/w/a.npg", 25, 28));
        let api = workspace.definition("/w/b.npg", position(0, 26));
        assert_eq!(api[0].span.start, 47);
        assert!(workspace.definition("/w/b.npg", position(0, 14)).is_empty(), "`reach` is no group");
    }

    #[test]
    fn formatting_is_npg_fmt_and_leaves_broken_or_tidy_files_alone() {
        let mut workspace = Workspace::default();
        workspace.set_text("/w/a.npg", "namespace   shop {\n group web = app=web\n}\n".to_owned());
        assert_eq!(workspace.formatted("/w/a.npg").as_deref(), Some("namespace shop {\n  group web = app=web\n}\n"));
        workspace.set_text("/w/a.npg", "namespace shop {\n  group web = app=web\n}\n".to_owned());
        assert_eq!(workspace.formatted("/w/a.npg"), None);
        workspace.set_text("/w/a.npg", "namespace shop {\n  group web = \n".to_owned());
        assert_eq!(workspace.formatted("/w/a.npg"), None);
    }
}
