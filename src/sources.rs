//! Finding a program's files under the paths given on the command line and reading
//! them: `*.npg` only, in sorted order, hidden folders skipped, symlink loops cut,
//! and each file's size and encoding checked before the compiler sees its text.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use npg_compiler::diagnostic::{Location, Span};
use npg_compiler::{Code, Diagnostic};

use crate::outcome::Failure;

/// The largest file npg reads, in bytes (16 MiB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How much of a line after an undecodable byte is kept to show it in context.
const SHOWN_BYTES_AFTER_INVALID: usize = 80;

/// One `.npg` file found under the paths given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    /// Where it is on disk.
    pub disk_path: PathBuf,
    /// The path the program knows it by: the path as given joined with the path
    /// inside the folder, with `/` separators and no `./` prefix.
    pub name: Arc<str>,
}

/// What reading one file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contents {
    /// The file's text, ready for the compiler.
    Text(String),
    /// A file npg cannot read as a program (too large, not UTF-8), with the
    /// diagnostic saying why and, where there is one, text to show around it.
    Rejected { diagnostic: Diagnostic, shown_text: Option<String> },
}

/// Every `.npg` file under `paths`, sorted by the name the program knows it by,
/// each file once. A missing path, a folder without `.npg` files or an unreadable
/// folder is a failure.
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<FoundFile>, Failure> {
    let is_npg = |path: &Path| path.extension().is_some_and(|extension| extension == "npg");
    find_files_where(paths, &is_npg, &|folder| {
        format!(
            "no `.npg` files in `{}` (folders are searched recursively; hidden folders are skipped)",
            folder.display()
        )
    })
}

/// Every file under `paths` that is `wanted` (a file named directly is taken
/// whatever it is), sorted by the name the program knows it by, each file once.
/// A folder without a wanted file is a failure that `nothing_found` words.
pub fn find_files_where(
    paths: &[PathBuf],
    wanted: &dyn Fn(&Path) -> bool,
    nothing_found: &dyn Fn(&Path) -> String,
) -> Result<Vec<FoundFile>, Failure> {
    let mut found = Vec::new();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|error| Failure::io("read", path, &error))?;
        if metadata.is_file() {
            found.push(FoundFile { disk_path: path.clone(), name: program_path(path).into() });
        } else if metadata.is_dir() {
            let before = found.len();
            let mut ancestors = Vec::new();
            walk_folder(path, &program_path(path), wanted, &mut ancestors, &mut found)?;
            if found.len() == before {
                return Err(Failure::new(nothing_found(path)));
            }
        } else {
            return Err(Failure::new(format!("`{}` is neither a file nor a folder", path.display())));
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found.dedup_by(|later, earlier| later.name == earlier.name);
    // The same file reached under two names (through a symlink) is read once.
    let mut seen = BTreeSet::new();
    found.retain(|file| seen.insert(fs::canonicalize(&file.disk_path).unwrap_or_else(|_| file.disk_path.clone())));
    Ok(found)
}

fn walk_folder(
    folder: &Path,
    folder_name: &str,
    wanted: &dyn Fn(&Path) -> bool,
    ancestors: &mut Vec<PathBuf>,
    found: &mut Vec<FoundFile>,
) -> Result<(), Failure> {
    let canonical = fs::canonicalize(folder).map_err(|error| Failure::io("read", folder, &error))?;
    if ancestors.contains(&canonical) {
        // A symlink back to a folder being read: following it would never end.
        return Ok(());
    }
    let entries = fs::read_dir(folder).map_err(|error| Failure::io("read", folder, &error))?;
    let mut entries: Vec<_> = entries
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<Result<_, _>>()
        .map_err(|error| Failure::io("read", folder, &error))?;
    entries.sort();

    ancestors.push(canonical);
    for file_name in entries {
        let shown = file_name.to_string_lossy();
        if shown.starts_with('.') {
            continue;
        }
        let path = folder.join(&file_name);
        let name = if folder_name.is_empty() { shown.into_owned() } else { format!("{folder_name}/{shown}") };
        let is_wanted = wanted(&path);
        match fs::metadata(&path) {
            Ok(metadata) if metadata.is_dir() => walk_folder(&path, &name, wanted, ancestors, found)?,
            Ok(metadata) if metadata.is_file() && is_wanted => {
                found.push(FoundFile { disk_path: path, name: name.into() });
            }
            Ok(_) => {}
            Err(error) if is_wanted => return Err(Failure::io("read", &path, &error)),
            // A dangling symlink that is not a wanted file is none of npg's business.
            Err(_) => {}
        }
    }
    ancestors.pop();
    Ok(())
}

/// A path as the program knows it: components joined with `/`, `.` components dropped.
pub fn program_path(path: &Path) -> String {
    let mut text = String::new();
    for component in path.components() {
        let part = match component {
            Component::Prefix(prefix) => {
                text.push_str(&prefix.as_os_str().to_string_lossy());
                continue;
            }
            Component::RootDir => {
                text.push('/');
                continue;
            }
            Component::CurDir => continue,
            Component::ParentDir => "..".into(),
            Component::Normal(part) => part.to_string_lossy(),
        };
        if !text.is_empty() && !text.ends_with('/') {
            text.push('/');
        }
        text.push_str(&part);
    }
    text
}

/// Reads one file, refusing files over [`MAX_FILE_BYTES`] without reading them
/// whole, and text that is not UTF-8.
pub fn read_file(file: &FoundFile) -> Result<Contents, Failure> {
    let io_failure = |error: std::io::Error| Failure::io("read", &file.disk_path, &error);
    let handle = fs::File::open(&file.disk_path).map_err(io_failure)?;
    let announced = handle.metadata().map_err(io_failure)?.len();
    if announced > MAX_FILE_BYTES {
        return Ok(too_large(file, announced));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    handle.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io_failure)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > MAX_FILE_BYTES {
        return Ok(too_large(file, read));
    }
    Ok(decode(&file.name, bytes))
}

fn too_large(file: &FoundFile, bytes: u64) -> Contents {
    let limit_mib = MAX_FILE_BYTES / (1024 * 1024);
    let message = if bytes > MAX_FILE_BYTES + 1 {
        format!("`{}` is {bytes} bytes, more than the {limit_mib} MiB npg reads", file.name)
    } else {
        format!("`{}` is larger than the {limit_mib} MiB npg reads", file.name)
    };
    let diagnostic = Diagnostic::new(
        Code::FileTooLarge,
        Location { file: file.name.clone(), span: Span::default() },
        message,
    )
    .with_help(format!(
        "split the program into several files of at most {limit_mib} MiB; declarations are visible across all files"
    ));
    Contents::Rejected { diagnostic, shown_text: None }
}

/// The text of a file, or a diagnostic at its first byte that is not UTF-8.
pub fn decode(name: &Arc<str>, bytes: Vec<u8>) -> Contents {
    let error = match String::from_utf8(bytes) {
        Ok(text) => return Contents::Text(text),
        Err(error) => error,
    };
    let utf8_error = error.utf8_error();
    let bytes = error.into_bytes();
    let start = utf8_error.valid_up_to();
    let length = utf8_error.error_len().unwrap_or(bytes.len().saturating_sub(start)).max(1);
    let bad_byte = bytes.get(start).copied().unwrap_or(0);

    // Enough of the text to show the bad byte in its line; the rest may be anything.
    let line_end = bytes
        .get(start..)
        .and_then(|rest| rest.iter().position(|&byte| byte == b'\n'))
        .map_or(bytes.len(), |offset| start + offset);
    let shown_end = line_end.min(start.saturating_add(SHOWN_BYTES_AFTER_INVALID));
    let shown_text = String::from_utf8_lossy(bytes.get(..shown_end).unwrap_or_default()).into_owned();

    let location = Location { file: name.clone(), span: Span::new(start, start + length) };
    let diagnostic = Diagnostic::new(Code::InvalidUtf8, location, format!("`{name}` is not valid UTF-8"))
        .with_label(format!("byte 0x{bad_byte:02X} does not belong here in UTF-8"))
        .with_help("npg reads source files as UTF-8; save the file in that encoding");
    Contents::Rejected { diagnostic, shown_text: Some(shown_text) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn program_paths_use_slashes_and_drop_the_current_folder() {
        assert_eq!(program_path(Path::new(".")), "");
        assert_eq!(program_path(Path::new("./shop.npg")), "shop.npg");
        assert_eq!(program_path(Path::new("././policies//shop/")), "policies/shop");
        assert_eq!(program_path(Path::new("../up/a.npg")), "../up/a.npg");
        assert_eq!(program_path(Path::new("/abs/a.npg")), "/abs/a.npg");
    }

    #[test]
    fn a_folder_is_read_recursively_in_sorted_order_skipping_hidden_folders_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/inner")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        for file in ["z.npg", "a.npg", "b/inner/c.npg", "b/readme.md", ".git/x.npg", ".hidden.npg"] {
            fs::write(root.join(file), "").unwrap();
        }
        let found = find_files(&[root.to_path_buf()]).unwrap();
        let prefix = program_path(root);
        let names: Vec<String> =
            found.iter().map(|file| file.name.strip_prefix(&format!("{prefix}/")).unwrap().to_owned()).collect();
        assert_eq!(names, ["a.npg", "b/inner/c.npg", "z.npg"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_not_followed_forever() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::write(root.join("a/x.npg"), "").unwrap();
        std::os::unix::fs::symlink(root, root.join("a/loop")).unwrap();
        let found = find_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn a_file_named_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.npg");
        fs::write(&file, "").unwrap();
        let found = find_files(&[file.clone(), dir.path().to_path_buf(), file]).unwrap();
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_folder_without_sources_is_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "").unwrap();
        let failure = find_files(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(failure.to_string().contains("no `.npg` files"), "{failure}");
    }

    #[test]
    fn a_missing_path_is_a_failure() {
        let failure = find_files(&[PathBuf::from("/nonexistent/npg/shop.npg")]).unwrap_err();
        assert_eq!(failure.to_string(), "cannot read `/nonexistent/npg/shop.npg`: no such file or folder");
    }

    #[test]
    fn invalid_utf8_is_reported_at_the_first_bad_byte() {
        let name: Arc<str> = "a.npg".into();
        let Contents::Rejected { diagnostic, shown_text } = decode(&name, b"ok\nab\xffcd\nmore".to_vec()) else {
            panic!("accepted invalid UTF-8");
        };
        assert_eq!(diagnostic.code, Code::InvalidUtf8);
        assert_eq!(diagnostic.primary.location.span, Span::new(5, 6));
        assert_eq!(shown_text.as_deref(), Some("ok\nab\u{FFFD}cd"));
    }

    #[test]
    fn a_truncated_character_at_the_end_is_invalid_utf8() {
        let name: Arc<str> = "a.npg".into();
        let Contents::Rejected { diagnostic, .. } = decode(&name, b"ab\xe2\x82".to_vec()) else {
            panic!("accepted invalid UTF-8");
        };
        assert_eq!(diagnostic.primary.location.span, Span::new(2, 4));
    }

    #[test]
    fn valid_text_is_accepted_as_is() {
        let name: Arc<str> = "a.npg".into();
        assert_eq!(decode(&name, "héllo".as_bytes().to_vec()), Contents::Text("héllo".into()));
    }

    #[test]
    fn files_over_the_limit_are_refused_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.npg");
        let handle = fs::File::create(&path).unwrap();
        handle.set_len(MAX_FILE_BYTES + 1).unwrap();
        let file = FoundFile { disk_path: path, name: "big.npg".into() };
        let Contents::Rejected { diagnostic, shown_text } = read_file(&file).unwrap() else {
            panic!("read a file over the limit");
        };
        assert_eq!(diagnostic.code, Code::FileTooLarge);
        assert!(diagnostic.message.contains("16 MiB"), "{}", diagnostic.message);
        assert!(shown_text.is_none());
    }

    #[test]
    fn a_file_at_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.npg");
        fs::write(&path, vec![b'\n'; usize::try_from(MAX_FILE_BYTES).unwrap()]).unwrap();
        let file = FoundFile { disk_path: path, name: "edge.npg".into() };
        assert!(matches!(read_file(&file).unwrap(), Contents::Text(_)));
    }
}
