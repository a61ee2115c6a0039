//! Writing results to disk all at once: a build's output folder is filled as a
//! sibling temporary folder that then takes the old one's place, and a formatted
//! file is written beside the original and renamed over it. A failure on the way
//! leaves what was there before untouched.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::emit::written_by_npg;
use crate::outcome::Failure;

/// One file of an output folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile<'a> {
    /// Its path inside the folder, `/`-separated.
    pub relative_path: String,
    /// Borrowed where it can be: a big program's manifests are not copied.
    pub contents: std::borrow::Cow<'a, str>,
}

const KUSTOMIZATION: &str = "kustomization.yaml";

/// Replaces the folder `dir` with one holding exactly `files`. A folder that
/// exists must be empty or hold a `kustomization.yaml` written by npg.
pub fn replace_folder(dir: &Path, files: &[OutputFile<'_>]) -> Result<(), Failure> {
    replace_folder_with(dir, |temporary| write_files(temporary, files))
}

fn replace_folder_with(dir: &Path, fill: impl FnOnce(&Path) -> Result<(), Failure>) -> Result<(), Failure> {
    let (parent, name) = split_folder_path(dir)?;
    let existing = check_replaceable(dir)?;
    fs::create_dir_all(&parent).map_err(|error| Failure::io("create", &parent, &error))?;

    let pid = std::process::id();
    let temporary = parent.join(format!(".{name}.npg-tmp-{pid}"));
    remove_if_present(&temporary).map_err(|error| Failure::io("remove", &temporary, &error))?;
    fs::create_dir(&temporary).map_err(|error| Failure::io("create", &temporary, &error))?;
    if let Err(failure) = fill(&temporary) {
        let _ = fs::remove_dir_all(&temporary);
        return Err(failure);
    }

    if !existing {
        return fs::rename(&temporary, dir).map_err(|error| {
            let _ = fs::remove_dir_all(&temporary);
            Failure::io("write", dir, &error)
        });
    }
    let old = parent.join(format!(".{name}.npg-old-{pid}"));
    let set_aside = remove_if_present(&old).and_then(|()| fs::rename(dir, &old));
    if let Err(error) = set_aside {
        let _ = fs::remove_dir_all(&temporary);
        return Err(Failure::io("replace", dir, &error));
    }
    if let Err(error) = fs::rename(&temporary, dir) {
        let _ = fs::rename(&old, dir);
        let _ = fs::remove_dir_all(&temporary);
        return Err(Failure::io("replace", dir, &error));
    }
    if let Err(error) = fs::remove_dir_all(&old) {
        eprintln!(
            "warning: wrote `{}` but could not remove the previous output set aside in `{}`: {}",
            dir.display(),
            old.display(),
            crate::outcome::describe_io_error(&error)
        );
    }
    Ok(())
}

/// The folder that holds `dir`, and `dir`'s own name.
fn split_folder_path(dir: &Path) -> Result<(PathBuf, String), Failure> {
    let Some(name) = dir.file_name() else {
        return Err(Failure::new(format!(
            "cannot use `{}` as the output folder: name the folder itself (e.g. `-o manifests`)",
            dir.display()
        )));
    };
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_string_lossy().into_owned()))
}

/// Whether `dir` exists; a failure when it may not be replaced.
fn check_replaceable(dir: &Path) -> Result<bool, Failure> {
    let metadata = match fs::metadata(dir) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            // A dangling symlink is in the way as much as a file is.
            return match fs::symlink_metadata(dir) {
                Ok(_) => Err(Failure::new(format!("`{}` exists and is not a folder", dir.display()))),
                Err(_) => Ok(false),
            };
        }
        Err(error) => return Err(Failure::io("read", dir, &error)),
    };
    if !metadata.is_dir() {
        return Err(Failure::new(format!("`{}` exists and is not a folder", dir.display())));
    }
    let mut entries = fs::read_dir(dir).map_err(|error| Failure::io("read", dir, &error))?;
    if entries.next().is_none() {
        return Ok(true);
    }
    let kustomization = read_small(&dir.join(KUSTOMIZATION)).unwrap_or_default();
    if written_by_npg(&kustomization) {
        return Ok(true);
    }
    Err(Failure::new(format!(
        "refusing to replace `{}`: it is not empty and has no {KUSTOMIZATION} written by npg, so it may hold \
         files npg did not write; remove it yourself or choose another output folder",
        dir.display()
    )))
}

fn read_small(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    fs::File::open(path)?.take(1024 * 1024).read_to_string(&mut text)?;
    Ok(text)
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

fn write_files(folder: &Path, files: &[OutputFile<'_>]) -> Result<(), Failure> {
    for file in files {
        let relative = safe_relative_path(&file.relative_path)?;
        let path = folder.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|error| Failure::io("create", parent, &error))?;
        }
        let mut handle = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|error| Failure::io("write", &path, &error))?;
        handle.write_all(file.contents.as_bytes()).map_err(|error| Failure::io("write", &path, &error))?;
    }
    Ok(())
}

/// A `/`-separated path that stays inside the folder it is joined to.
fn safe_relative_path(relative: &str) -> Result<PathBuf, Failure> {
    let path: PathBuf = relative.split('/').collect();
    let inside = !relative.is_empty()
        && relative.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && path.components().all(|component| matches!(component, Component::Normal(_)));
    if inside {
        Ok(path)
    } else {
        Err(Failure::new(format!("cannot write a manifest to `{relative}`: the path leaves the output folder")))
    }
}

/// Replaces the contents of the file at `path` (following a symlink to the file
/// it names), keeping its permissions.
pub fn replace_file(path: &Path, contents: &str) -> Result<(), Failure> {
    let target = fs::canonicalize(path).map_err(|error| Failure::io("write", path, &error))?;
    let (parent, name) = split_folder_path(&target)?;
    let temporary = parent.join(format!(".{name}.npg-tmp-{}", std::process::id()));
    let result = write_new_file(&temporary, &target, contents).and_then(|()| fs::rename(&temporary, &target));
    result.map_err(|error| {
        let _ = fs::remove_file(&temporary);
        Failure::io("write", path, &error)
    })
}

fn write_new_file(temporary: &Path, original: &Path, contents: &str) -> io::Result<()> {
    remove_if_present(temporary)?;
    let mut handle = fs::OpenOptions::new().write(true).create_new(true).open(temporary)?;
    handle.write_all(contents.as_bytes())?;
    handle.sync_all()?;
    let permissions = fs::metadata(original)?.permissions();
    fs::set_permissions(temporary, permissions)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    fn file<'a>(relative_path: &str, contents: &'a str) -> OutputFile<'a> {
        OutputFile { relative_path: relative_path.into(), contents: contents.into() }
    }

    fn npg_kustomization() -> OutputFile<'static> {
        file(KUSTOMIZATION, "# Generated by npg from .npg sources.\nkind: Kustomization\n")
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(folder) = stack.pop() {
            for entry in fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    names.push(path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        names.sort();
        names
    }

    #[test]
    fn a_new_folder_is_created_with_every_file() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("deep/out");
        replace_folder(&out, &[npg_kustomization(), file("shop/a.yaml", "a")]).unwrap();
        assert_eq!(listing(&out), ["kustomization.yaml", "shop/a.yaml"]);
        assert_eq!(fs::read_to_string(out.join("shop/a.yaml")).unwrap(), "a");
        assert_eq!(listing(root.path()), ["deep/out/kustomization.yaml", "deep/out/shop/a.yaml"]);
    }

    #[test]
    fn an_npg_folder_is_replaced_whole() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        replace_folder(&out, &[npg_kustomization(), file("old/gone.yaml", "x")]).unwrap();
        replace_folder(&out, &[npg_kustomization(), file("shop/new.yaml", "y")]).unwrap();
        assert_eq!(listing(&out), ["kustomization.yaml", "shop/new.yaml"]);
        assert_eq!(listing(root.path()).len(), 2, "temporary folders are left behind");
    }

    #[test]
    fn a_failure_while_filling_leaves_the_old_folder_untouched() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        replace_folder(&out, &[npg_kustomization(), file("shop/a.yaml", "old")]).unwrap();
        let failure = replace_folder_with(&out, |temporary| {
            write_files(temporary, &[file("shop/a.yaml", "new")])?;
            Err(Failure::new("disk full"))
        })
        .unwrap_err();
        assert_eq!(failure.to_string(), "disk full");
        assert_eq!(fs::read_to_string(out.join("shop/a.yaml")).unwrap(), "old");
        assert_eq!(listing(root.path()), ["out/kustomization.yaml", "out/shop/a.yaml"]);
    }

    #[test]
    fn a_folder_npg_did_not_write_is_not_replaced() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("src");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("main.rs"), "fn main() {}").unwrap();
        let failure = replace_folder(&out, &[npg_kustomization()]).unwrap_err();
        assert!(failure.to_string().contains("refusing to replace"), "{failure}");
        assert_eq!(listing(&out), ["main.rs"]);

        fs::write(out.join(KUSTOMIZATION), "resources: [main.rs]\n").unwrap();
        assert!(replace_folder(&out, &[npg_kustomization()]).is_err());
    }

    #[test]
    fn an_empty_folder_is_replaced() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir(&out).unwrap();
        replace_folder(&out, &[npg_kustomization()]).unwrap();
        assert_eq!(listing(&out), ["kustomization.yaml"]);
    }

    #[test]
    fn a_file_in_the_way_is_not_replaced() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::write(&out, "data").unwrap();
        assert!(replace_folder(&out, &[npg_kustomization()]).is_err());
        assert_eq!(fs::read_to_string(&out).unwrap(), "data");
    }

    #[test]
    fn a_stale_temporary_folder_is_cleared_first() {
        let root = tempfile::tempdir().unwrap();
        let stale = root.path().join(format!(".out.npg-tmp-{}", std::process::id()));
        fs::create_dir_all(stale.join("junk")).unwrap();
        let out = root.path().join("out");
        replace_folder(&out, &[npg_kustomization()]).unwrap();
        assert_eq!(listing(root.path()), ["out/kustomization.yaml"]);
    }

    #[test]
    fn manifest_paths_may_not_leave_the_folder() {
        for bad in ["../x.yaml", "/etc/x.yaml", "a//b.yaml", "", "a/./b.yaml", "ns/.."] {
            assert!(safe_relative_path(bad).is_err(), "{bad}");
        }
        assert_eq!(safe_relative_path("shop/a.yaml").unwrap(), Path::new("shop").join("a.yaml"));
    }

    #[test]
    fn the_current_folder_cannot_be_the_output() {
        assert!(replace_folder(Path::new("."), &[]).is_err());
        assert!(replace_folder(Path::new(".."), &[]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions_and_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real.npg");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = root.path().join("link.npg");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        replace_file(&link, "new").unwrap();
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(listing(root.path()), ["link.npg", "real.npg"]);
    }
}
