//! Finding and reading Kubernetes manifests under the paths given on the command
//! line: `.yaml`, `.yml` and `.json` files, folders read recursively in sorted
//! order (hidden ones skipped), each file's size and encoding checked first.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use npg_compiler::Diagnostic;
use npg_compiler::reach::manifests::{ManifestFile, Manifests, ReadOptions, read_manifests_with};

use crate::outcome::Failure;
use crate::render::Sources;
use crate::sources::{Contents, FoundFile, find_files_where, read_file};

/// The extensions of the files read as manifests.
pub const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The manifest files of one run, read once; renderers take their text from here.
#[derive(Debug, Default)]
pub struct LoadedManifests {
    files: Vec<(Arc<str>, String)>,
    /// Files that could not be read as text (too large, not UTF-8).
    rejected: Vec<(Arc<str>, Diagnostic, Option<String>)>,
}

impl LoadedManifests {
    /// Finds and reads every manifest file under `paths`.
    pub fn load(paths: &[PathBuf]) -> Result<LoadedManifests, Failure> {
        let mut loaded = LoadedManifests::default();
        for file in find_manifest_files(paths)? {
            match read_file(&file)? {
                Contents::Text(text) => loaded.files.push((file.name, text)),
                Contents::Rejected { mut diagnostic, shown_text } => {
                    if diagnostic.code == npg_compiler::Code::FileTooLarge {
                        diagnostic.help = Some("split the manifests into several files".to_owned());
                    }
                    loaded.rejected.push((file.name, diagnostic, shown_text));
                }
            }
        }
        Ok(loaded)
    }

    /// The cluster the manifests describe, with warnings; or every error (and
    /// warning), sorted. A file that could not be read is an error.
    pub fn read(&self, options: ReadOptions) -> Result<Manifests, Vec<Diagnostic>> {
        if !self.rejected.is_empty() {
            return Err(self.rejected.iter().map(|(_, diagnostic, _)| diagnostic.clone()).collect());
        }
        let files: Vec<ManifestFile> =
            self.files.iter().map(|(path, text)| ManifestFile { path: path.clone(), text }).collect();
        read_manifests_with(&files, options)
    }

    /// The text of every file, for showing diagnostics in context.
    pub fn sources(&self) -> Sources<'_> {
        let mut sources = Sources::default();
        for (name, text) in &self.files {
            sources.insert(name, text);
        }
        for (name, _, shown) in &self.rejected {
            if let Some(text) = shown {
                sources.insert(name, text);
            }
        }
        sources
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| MANIFEST_EXTENSIONS.iter().any(|known| extension.eq_ignore_ascii_case(known)))
}

/// Every manifest file under `paths`, sorted by name, each once. A file named
/// directly is read whatever its extension. A missing path or a folder without
/// manifest files is a failure.
pub fn find_manifest_files(paths: &[PathBuf]) -> Result<Vec<FoundFile>, Failure> {
    find_files_where(paths, &is_manifest, &|folder| {
        let extensions: Vec<String> = MANIFEST_EXTENSIONS.iter().map(|e| format!("`.{e}`")).collect();
        format!(
            "no manifest files in `{}`: npg reads files ending in {} (folders are searched recursively; hidden folders are skipped)",
            folder.display(),
            extensions.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use std::fs;

    use super::*;
    use crate::sources::program_path;

    #[test]
    fn folders_are_read_recursively_in_sorted_order_for_yaml_yml_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/inner")).unwrap();
        fs::create_dir_all(root.join(".hidden")).unwrap();
        for file in ["z.yaml", "a.json", "b/inner/c.yml", "b/readme.md", ".hidden/x.yaml", "policy.npg", "D.YAML"] {
            fs::write(root.join(file), "").unwrap();
        }
        let found = find_manifest_files(&[root.to_path_buf()]).unwrap();
        let prefix = format!("{}/", program_path(root));
        let names: Vec<&str> = found.iter().map(|file| file.name.strip_prefix(&prefix).unwrap()).collect();
        assert_eq!(names, ["D.YAML", "a.json", "b/inner/c.yml", "z.yaml"]);
    }

    #[test]
    fn a_folder_without_manifests_names_the_extensions_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("empty.xml"), "").unwrap();
        let failure = find_manifest_files(&[dir.path().to_path_buf()]).unwrap_err().to_string();
        assert!(failure.contains("no manifest files"), "{failure}");
        assert!(failure.contains("`.yaml`, `.yml`, `.json`"), "{failure}");
    }
}
