//! What the connectivity commands read: the paths given hold `.npg` files, Kubernetes
//! manifests, or both, and one loader turns them into the cluster to analyse: a
//! program's representatives, the manifests as read, or the program over real workloads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use npg_compiler::model::{Model, SourceLine};
use npg_compiler::reach::Cluster;
use npg_compiler::reach::explain::FixStyle;
use npg_compiler::reach::manifests::ReadOptions;
use npg_compiler::reach::program::cluster_with_workloads;
use npg_compiler::{Code, Diagnostic};

use crate::manifests::{LoadedManifests, find_manifest_files};
use crate::outcome::Failure;
use crate::program::LoadedProgram;
use crate::render::Sources;
use crate::sources::find_files;

/// The files found under the paths of one run, read once.
pub struct Inputs {
    program: Option<LoadedProgram>,
    manifests: Option<LoadedManifests>,
}

/// The cluster to analyse and what it came from.
pub struct Analysed {
    pub cluster: Cluster,
    /// The checked program, when there are `.npg` files: its groups name subjects.
    pub model: Option<Arc<Model>>,
    /// Warnings about the inputs (the program's, the manifests').
    pub warnings: Vec<Diagnostic>,
    /// How fixes are worded: npg rules when a program writes the policies, YAML otherwise.
    pub fix_style: FixStyle,
}

/// Finds and reads every `.npg` file and every manifest (`.yaml`, `.yml`, `.json`)
/// under `paths`. A file named directly is a program file when it ends in `.npg`
/// and a manifest otherwise. A folder must hold at least one of either.
pub fn load(paths: &[PathBuf]) -> Result<Inputs, Failure> {
    let mut program_files = Vec::new();
    let mut manifest_files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|error| Failure::io("read", path, &error))?;
        if metadata.is_file() {
            if path.extension().is_some_and(|extension| extension == "npg") {
                program_files.push(path.clone());
            } else {
                manifest_files.push(path.clone());
            }
            continue;
        }
        // Both searches walk the same folders, so a folder that cannot be read fails
        // both: when one of them finds files, the other's error can only be that
        // it found none of its kind.
        let npg = find_files(std::slice::from_ref(path));
        let yaml = find_manifest_files(std::slice::from_ref(path));
        match (npg, yaml) {
            (Err(npg), Err(_)) if !npg.to_string().starts_with("no `.npg` files") => return Err(npg),
            (Err(_), Err(yaml)) if !yaml.to_string().starts_with("no manifest files") => return Err(yaml),
            (Err(_), Err(_)) => {
                return Err(Failure::new(format!(
                    "no `.npg` files and no Kubernetes manifests (`.yaml`, `.yml`, `.json`) in `{}` \
                     (folders are searched recursively; hidden folders are skipped)",
                    path.display()
                )));
            }
            (npg, yaml) => {
                program_files.extend(npg.into_iter().flatten().map(|file| file.disk_path));
                manifest_files.extend(yaml.into_iter().flatten().map(|file| file.disk_path));
            }
        }
    }
    let program = if program_files.is_empty() { None } else { Some(LoadedProgram::load(&program_files)?) };
    let manifests = if manifest_files.is_empty() { None } else { Some(LoadedManifests::load(&manifest_files)?) };
    Ok(Inputs { program, manifests })
}

impl Inputs {
    /// The text of every file read, for showing diagnostics and quoting npg lines.
    pub fn sources(&self) -> Sources<'_> {
        let mut sources = Sources::default();
        if let Some(manifests) = &self.manifests {
            sources.merge(manifests.sources());
        }
        if let Some(program) = &self.program {
            sources.merge(program.sources());
        }
        sources
    }

    /// The cluster to analyse, or every diagnostic when the inputs have errors.
    ///
    /// - `.npg` files only: the program's policies over one representative workload
    ///   per group and namespace.
    /// - manifests only: the cluster they describe.
    /// - both: the program's policies in place of the ones npg manages, over the
    ///   manifests' real workloads; when the manifests hold no workload (npg's own
    ///   output, say), the representatives stand in, as for a program alone.
    pub fn analysed(&self, options: ReadOptions) -> Result<Analysed, Vec<Diagnostic>> {
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        let real = match &self.manifests {
            None => None,
            Some(manifests) => match manifests.read(options) {
                Ok(read) => {
                    warnings.extend(read.warnings);
                    Some(read.cluster)
                }
                // Manifests without workloads beside a program (npg's own output,
                // say) add nothing to simulate: the representatives stand in.
                Err(diagnostics) if self.program.is_some() && only_missing_workloads(&diagnostics) => {
                    warnings.extend(diagnostics.into_iter().filter(|diagnostic| !diagnostic.is_error()));
                    None
                }
                Err(diagnostics) => {
                    errors.extend(diagnostics);
                    None
                }
            },
        };
        let mut program_cluster: Option<(Arc<Model>, Cluster)> = None;
        if let Some(program) = &self.program {
            let diagnostics = program.diagnostics();
            if diagnostics.iter().any(Diagnostic::is_error) {
                errors.extend(diagnostics);
            } else {
                warnings.extend(diagnostics);
                let (db, handle) = program.query();
                let model = npg_compiler::db::model(db, handle);
                program_cluster = Some((model, npg_compiler::db::program_cluster(db, handle).cluster.clone()));
            }
        }
        if !errors.is_empty() {
            errors.extend(warnings);
            errors.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            return Err(errors);
        }
        warnings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let (cluster, model) = match (program_cluster, real) {
            (Some((model, representatives)), Some(real)) => {
                let cluster =
                    if real.workloads.is_empty() { representatives } else { cluster_with_workloads(&model, &real) };
                (cluster, Some(model))
            }
            (Some((model, representatives)), None) => (representatives, Some(model)),
            (None, Some(real)) => (real, None),
            (None, None) => (Cluster::default(), None),
        };
        let fix_style = if model.is_some() { FixStyle::Npg } else { FixStyle::Yaml };
        Ok(Analysed { cluster, model, warnings, fix_style })
    }

    /// The text of one line of an `.npg` file, to quote beside its `file:line`.
    pub fn line_text(&self, line: &SourceLine) -> Option<String> {
        let program = self.program.as_ref()?;
        let sources = program.sources();
        let text = sources.text(&line.file)?;
        let index = usize::try_from(line.line).ok()?.checked_sub(1)?;
        text.lines().nth(index).map(str::to_owned)
    }
}

/// Whether the only errors say that the manifests hold no workload.
fn only_missing_workloads(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).all(|diagnostic| diagnostic.code == Code::NoWorkloads)
}

/// Whether `path` names something on disk (how `npg paths` tells a target from a path).
pub fn exists(path: &str) -> bool {
    Path::new(path).exists()
}
