//! Who owns every byte: each entry of the artifact is given to a package, to
//! the function's own code (the app), or to nobody (unowned).
//!
//! Each ecosystem contributes *claims*: exact files (a Python RECORD) and
//! whole directories (an npm package root, a Python top-level package). An
//! entry goes to its exact claim, else to the deepest claimed directory above
//! it, else to the app — or to unowned when it sits in package-manager
//! territory (`node_modules`, `site-packages`) without belonging to a package.

pub mod binary;
pub mod bundle;
pub mod java;
mod npm;
mod python;

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::artifact::{Artifact, EntryKind, Warning};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Npm,
    Pypi,
    Maven,
    Go,
    Cargo,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Maven => "maven",
            Ecosystem::Go => "go",
            Ecosystem::Cargo => "cargo",
        }
    }
}

/// Files, extracted bytes and zipped bytes of a group of entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub files: usize,
    pub unzipped_bytes: u64,
    pub zipped_bytes: u64,
}

impl Totals {
    fn add(&mut self, kind: EntryKind, unzipped: u64, zipped: u64) {
        if kind == EntryKind::File {
            self.files += 1;
        }
        self.unzipped_bytes += unzipped;
        self.zipped_bytes += zipped;
    }
}

/// A dependency as declared in a package's own manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredDependency {
    pub name: String,
    /// Version requirement as written (`^4.17.1`, `>=2.0; extra == "socks"`).
    pub requirement: String,
    pub kind: DependencyKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DependencyKind {
    Normal,
    Optional,
    Peer,
    /// Needed only to develop the project (devDependencies, dev groups).
    Dev,
}

/// One installed package found in the artifact.
#[derive(Clone, Debug)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// The package's own name (from its manifest), not an alias directory.
    pub name: String,
    pub version: Option<String>,
    /// Where it lives in the artifact: the npm package root, or the Python
    /// `.dist-info` / `.egg-info` directory.
    pub path: String,
    /// The manifest the identity was read from.
    pub manifest: String,
    /// The line in it that declares the package's name.
    pub manifest_line: Option<u32>,
    pub totals: Totals,
    /// Required by the function itself rather than by another package.
    pub direct: bool,
    /// What the function's own manifest asks for, when it names the package.
    pub root_requirement: Option<String>,
    /// The function's own manifest lists it only among devDependencies.
    pub root_dev: bool,
    pub dependencies: Vec<DeclaredDependency>,
    /// The Node versions an npm package declares it runs on (`engines.node`).
    pub engines_node: Option<String>,
    /// A Python distribution pip was asked for by name: its `.dist-info`
    /// holds a `REQUESTED` file (PEP 376).
    pub requested: bool,
}

impl Package {
    /// `name@version`, as findings name it (`?` for an unknown version).
    pub fn label(&self) -> String {
        format!("{}@{}", self.name, self.version.as_deref().unwrap_or("?"))
    }

    /// A package as first found: its identity and where it was read from,
    /// with no bytes, edges or requirements yet.
    pub fn found(
        ecosystem: Ecosystem,
        name: String,
        version: Option<String>,
        path: String,
        manifest: String,
    ) -> Package {
        Package {
            ecosystem,
            name,
            version,
            path,
            manifest,
            manifest_line: None,
            totals: Totals::default(),
            direct: false,
            root_requirement: None,
            root_dev: false,
            dependencies: Vec::new(),
            engines_node: None,
            requested: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    App,
    Unowned,
    Package(usize),
}

/// The language family the artifact is for, judged from what it contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeFamily {
    Node,
    Python,
    Java,
    Binary,
    Mixed,
    Unknown,
}

impl RuntimeFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeFamily::Node => "node",
            RuntimeFamily::Python => "python",
            RuntimeFamily::Java => "java",
            RuntimeFamily::Binary => "binary",
            RuntimeFamily::Mixed => "mixed",
            RuntimeFamily::Unknown => "unknown",
        }
    }
}

/// A function package (code at the root, `/var/task`) or a Lambda layer
/// (`nodejs/`, `python/`, `java/lib/` … extracted under `/opt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Function,
    Layer,
}

pub struct Inventory {
    pub packages: Vec<Package>,
    /// Owner of each artifact entry, by entry index.
    pub owners: Vec<Owner>,
    pub app: Totals,
    pub unowned: Totals,
    pub runtime: RuntimeFamily,
    pub layout: Layout,
    /// The Python version the packages were installed for, when it shows.
    pub python_version: Option<(u32, u32)>,
    /// The class files of each jar package, by package index.
    pub jar_classes: Vec<(usize, Vec<String>)>,
    /// Executables and what they say about their build (Go, Rust).
    pub binaries: Vec<binary::BinaryInfo>,
    pub warnings: Vec<Warning>,
}

impl Inventory {
    /// How findings name files no package owns: a function's code, or a
    /// layer's own files.
    pub fn own_files_label(&self) -> &'static str {
        match self.layout {
            Layout::Layer => "the layer's own files",
            Layout::Function => "the function's own code",
        }
    }

    pub fn package_totals(&self) -> Totals {
        let mut sum = Totals::default();
        for p in &self.packages {
            sum.files += p.totals.files;
            sum.unzipped_bytes += p.totals.unzipped_bytes;
            sum.zipped_bytes += p.totals.zipped_bytes;
        }
        sum
    }
}

/// What the ecosystem scanners hand to the ownership pass.
#[derive(Default)]
struct Claims {
    packages: Vec<Package>,
    /// Exact files, by path.
    files: FxHashMap<String, usize>,
    /// Whole directories, by path; the deepest claim above an entry wins.
    dirs: FxHashMap<String, usize>,
    warnings: Vec<Warning>,
}

impl Claims {
    fn add_package(&mut self, package: Package) -> usize {
        self.packages.push(package);
        self.packages.len() - 1
    }

    /// The package that owns `path`, by exact claim or nearest claimed directory.
    fn owner_of(&self, path: &str) -> Option<usize> {
        if let Some(&p) = self.files.get(path) {
            return Some(p);
        }
        let mut current = path;
        loop {
            if let Some(&p) = self.dirs.get(current) {
                return Some(p);
            }
            match current.rfind('/') {
                Some(cut) => current = &current[..cut],
                None => return None,
            }
        }
    }
}

/// Builds the inventory of an opened artifact.
pub fn build(artifact: &Artifact) -> Inventory {
    let mut claims = Claims::default();
    npm::claim(artifact, &mut claims);
    python::claim(artifact, &mut claims);
    let mut jar_classes = Vec::new();
    java::claim(artifact, &mut claims, &mut jar_classes);
    let mut binaries = Vec::new();
    binary::claim(artifact, &mut claims, &mut binaries);

    let mut owners = Vec::with_capacity(artifact.entries.len());
    let mut app = Totals::default();
    let mut unowned = Totals::default();
    for entry in &artifact.entries {
        let owner = if entry.unsafe_name {
            Owner::Unowned
        } else if let Some(p) = claims
            .owner_of(&entry.path)
            .or_else(|| python::compiled_source(&entry.path).and_then(|src| claims.owner_of(&src)))
        {
            Owner::Package(p)
        } else if in_package_manager_territory(&entry.path) {
            Owner::Unowned
        } else {
            Owner::App
        };
        let totals = match owner {
            Owner::App => &mut app,
            Owner::Unowned => &mut unowned,
            Owner::Package(p) => &mut claims.packages[p].totals,
        };
        totals.add(entry.kind, entry.unzipped_bytes, entry.zipped_bytes);
        owners.push(owner);
    }
    // The zip's end records belong to no entry; counting them as unowned keeps
    // the owners' sum equal to the archive size.
    unowned.zipped_bytes += artifact.archive_overhead_bytes;

    mark_direct(artifact, &mut claims.packages);
    let runtime = detect_runtime(artifact, &owners, &claims.packages);
    let layout = detect_layout(artifact);
    Inventory {
        packages: claims.packages,
        owners,
        app,
        unowned,
        runtime,
        layout,
        python_version: python::detect_version(artifact),
        jar_classes,
        binaries,
        warnings: claims.warnings,
    }
}

fn in_package_manager_territory(path: &str) -> bool {
    path.split('/')
        .any(|part| part == "node_modules" || part == "site-packages" || part == "dist-packages")
}

/// A package is direct when the function's own manifest asks for it; without
/// such a manifest, when it is installed at the top level and no other
/// installed package depends on it.
fn mark_direct(artifact: &Artifact, packages: &mut [Package]) {
    let root_deps = npm::root_dependencies(
        artifact,
        packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Npm)
            .map(|p| p.path.as_str()),
    );
    // a Python requirement behind an extra no installed package asks for
    // (`pydantic; extra == "parser"`) wants nothing, as in the graph, unless
    // pip's REQUESTED files show the extra was asked for at install; the
    // Python version is not known yet, so its markers do not decide
    let python_by_name = crate::graph::python_markers::by_name(packages);
    let python = crate::graph::python_markers::PythonRequirements::read(packages, &python_by_name);
    let any_python = crate::graph::python_markers::PythonEnvironment::new(None, false);
    let mut wanted_by_packages: HashMap<(Ecosystem, String), usize> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        let own_name = normalize_name(p.ecosystem, &p.name);
        for (n, dep) in p.dependencies.iter().enumerate() {
            // a line pep508 cannot read still counts, as it always did
            if p.ecosystem == Ecosystem::Pypi
                && python.parsed[i][n].is_some()
                && !python.applies(&any_python, i, n)
            {
                continue;
            }
            let key = (p.ecosystem, normalize_name(p.ecosystem, &dep.name));
            // `attrs[tests]; extra == "cov"`: a package naming itself for an extra
            if key.1 != own_name {
                *wanted_by_packages.entry(key).or_default() += 1;
            }
        }
    }
    for p in packages.iter_mut() {
        p.direct = match p.ecosystem {
            Ecosystem::Npm => {
                if !npm::is_top_level(&p.path) {
                    false
                } else if let Some(Some(deps)) = root_deps.get(npm::project_root(&p.path)) {
                    // the manifest names the install directory, which is the alias
                    let asked = deps.get(&npm::directory_package_name(&p.path));
                    p.root_requirement = asked.map(|d| d.requirement.clone());
                    p.root_dev = asked.is_some_and(|d| d.kind == DependencyKind::Dev);
                    asked.is_some()
                } else {
                    !wanted_by_packages.contains_key(&(p.ecosystem, p.name.clone()))
                }
            }
            eco => !wanted_by_packages.contains_key(&(eco, normalize_name(eco, &p.name))),
        };
    }
}

/// Names as the ecosystem compares them (PEP 503 for Python).
pub fn normalize_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Pypi => python::normalize(name),
        _ => name.to_string(),
    }
}

fn detect_runtime(artifact: &Artifact, owners: &[Owner], packages: &[Package]) -> RuntimeFamily {
    let mut node = packages.iter().any(|p| p.ecosystem == Ecosystem::Npm);
    let mut python = packages.iter().any(|p| p.ecosystem == Ecosystem::Pypi);
    let mut java = false;
    let mut binary = false;
    for (entry, owner) in artifact.entries.iter().zip(owners) {
        if entry.kind != EntryKind::File {
            continue;
        }
        let name = entry.path.rsplit('/').next().unwrap_or(&entry.path);
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        if matches!(ext, "class" | "jar") {
            java = true;
        }
        if *owner != Owner::App {
            continue;
        }
        match ext {
            "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" => node = true,
            "py" | "pyc" => python = true,
            _ => {}
        }
        if name == "bootstrap" && !entry.path.contains('/') {
            binary = true;
        }
    }
    match [node, python, java, binary].iter().filter(|&&b| b).count() {
        0 => RuntimeFamily::Unknown,
        1 if node => RuntimeFamily::Node,
        1 if python => RuntimeFamily::Python,
        1 if java => RuntimeFamily::Java,
        1 => RuntimeFamily::Binary,
        _ => RuntimeFamily::Mixed,
    }
}

/// Top-level directories Lambda puts on a runtime's search path when a layer
/// is extracted under `/opt`.
const LAYER_ROOTS: &[&str] = &[
    "nodejs",
    "python",
    "java",
    "ruby",
    "bin",
    "lib",
    "extensions",
];

/// Files at the root that list the packages beside them, not code.
const MANIFESTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "requirements.txt",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
];

impl Inventory {
    /// No code of its own: every file belongs to an installed package
    /// (node_modules/, Python distributions), but for the manifests at the
    /// root that list them. Audited beside a function, such an input is a
    /// layer zipped without its `nodejs/` or `python/` folder; alone, it
    /// may still be a function whose handler is in one of its packages.
    pub fn dependencies_only(&self, artifact: &Artifact) -> bool {
        let mut packaged = false;
        for (entry, owner) in artifact.entries.iter().zip(&self.owners) {
            if entry.kind != EntryKind::File {
                continue;
            }
            match owner {
                Owner::Package(_) => packaged = true,
                Owner::App if MANIFESTS.contains(&entry.path.as_str()) => {}
                Owner::App => return false,
                // in a package manager's folder, claimed by no package
                Owner::Unowned => {}
            }
        }
        packaged
    }
}

fn detect_layout(artifact: &Artifact) -> Layout {
    let mut has_runtime_root = false;
    for entry in &artifact.entries {
        if entry.unsafe_name {
            continue;
        }
        let (top, rest) = match entry.path.split_once('/') {
            Some((top, rest)) => (top, Some(rest)),
            None => (entry.path.as_str(), None),
        };
        if rest.is_none() && entry.kind != EntryKind::Dir {
            return Layout::Function;
        }
        if !LAYER_ROOTS.contains(&top) {
            return Layout::Function;
        }
        // a runtime's folder, or what only a layer holds: shared libraries
        // for /opt/lib (on LD_LIBRARY_PATH), executables for /opt/bin, or
        // extensions (a function's lib/ holds jars)
        let shared_library = |r: &str| r.ends_with(".so") || r.contains(".so.");
        if matches!(top, "nodejs" | "python" | "ruby" | "bin" | "extensions")
            || (top == "java" && rest.is_some_and(|r| r.starts_with("lib")))
            || (top == "lib" && rest.is_some_and(shared_library))
        {
            has_runtime_root = true;
        }
    }
    if has_runtime_root {
        Layout::Layer
    } else {
        Layout::Function
    }
}

/// Parent directory of a `/`-separated path ("" at the root).
fn parent_dir(path: &str) -> &str {
    path.rfind('/').map(|cut| &path[..cut]).unwrap_or("")
}

/// Joins a directory and a relative path, folding `.` and `..`. Returns
/// `None` when the result would climb above the artifact root.
pub(crate) fn join_relative(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for part in relative.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_relative_folds_dots_and_refuses_escapes() {
        assert_eq!(join_relative("a/b", "../c.py").as_deref(), Some("a/c.py"));
        assert_eq!(join_relative("", "x/./y").as_deref(), Some("x/y"));
        assert_eq!(join_relative("a", "../../x"), None);
    }

    #[test]
    fn parent_dir_of_root_entry_is_empty() {
        assert_eq!(parent_dir("index.js"), "");
        assert_eq!(parent_dir("a/b/c"), "a/b");
    }
}
