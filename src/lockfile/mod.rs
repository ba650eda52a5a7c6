//! Lockfiles: one parser per format, all into one [`Lockfile`] model.
//!
//! A lockfile says what a project installs for production and what only for
//! development. Where the format records that per package (npm, pnpm ≤ 8,
//! Poetry 2, Pipfile.lock, gradle) the flag is taken as written; elsewhere it
//! is derived from the project's own dependencies: a package is production
//! when a production dependency of the project reaches it.

mod bun;
mod cargo;
mod gomod;
mod gradle;
mod maven_tree;
mod npm;
mod pipfile;
mod pnpm;
mod poetry;
mod requirements;
mod uv;
mod yarn;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::artifact::Warning;
use crate::graph::resolve_node_module;
use crate::inventory::{DependencyKind, Ecosystem};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockFormat {
    NpmV1,
    NpmV2,
    NpmV3,
    YarnClassic,
    YarnBerry,
    PnpmV5,
    PnpmV6,
    PnpmV9,
    Bun,
    Poetry,
    Uv,
    Pipfile,
    Requirements,
    CargoLock,
    CargoMetadata,
    GoMod,
    Gradle,
    MavenTree,
    /// No lockfile: the npm packages an artifact holds, with its project's
    /// package.json (see [`installed_npm`]).
    InstalledNpm,
}

impl LockFormat {
    pub fn describe(self) -> &'static str {
        match self {
            LockFormat::NpmV1 => "package-lock v1",
            LockFormat::NpmV2 => "package-lock v2",
            LockFormat::NpmV3 => "package-lock v3",
            LockFormat::YarnClassic => "yarn.lock v1",
            LockFormat::YarnBerry => "yarn.lock (Berry)",
            LockFormat::PnpmV5 => "pnpm-lock v5",
            LockFormat::PnpmV6 => "pnpm-lock v6",
            LockFormat::PnpmV9 => "pnpm-lock v9",
            LockFormat::Bun => "bun.lock",
            LockFormat::Poetry => "poetry.lock",
            LockFormat::Uv => "uv.lock",
            LockFormat::Pipfile => "Pipfile.lock",
            LockFormat::Requirements => "requirements.txt",
            LockFormat::CargoLock => "Cargo.lock",
            LockFormat::CargoMetadata => "cargo metadata",
            LockFormat::GoMod => "go.mod",
            LockFormat::Gradle => "gradle.lockfile",
            LockFormat::MavenTree => "mvn dependency:tree",
            LockFormat::InstalledNpm => "installed node_modules",
        }
    }
}

/// A dependency edge as the lockfile records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedDependency {
    pub name: String,
    pub requirement: String,
    pub kind: DependencyKind,
    /// The package it resolved to, when the lockfile says.
    pub target: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// Unique within the lockfile: the install path for npm
    /// (`node_modules/a/node_modules/b`), else `name@version`.
    pub key: String,
    /// Where it comes from: a registry URL, a git URL, a path.
    pub source: Option<String>,
    pub integrity: Option<String>,
    /// Only needed for development; `None` when the lockfile cannot tell.
    pub dev: Option<bool>,
    pub optional: bool,
    pub dependencies: Vec<LockedDependency>,
    /// 1-based line of the package's entry in the lockfile.
    pub line: Option<usize>,
}

impl LockedPackage {
    fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        let name = name.into();
        let version = version.into();
        LockedPackage {
            key: format!("{name}@{version}"),
            name,
            version,
            source: None,
            integrity: None,
            dev: None,
            optional: false,
            dependencies: Vec::new(),
            line: None,
        }
    }
}

pub struct Lockfile {
    pub path: PathBuf,
    pub format: LockFormat,
    pub ecosystem: Ecosystem,
    /// The project's name, when the lockfile or its manifest gives it.
    pub project: Option<String>,
    /// What the project itself depends on (with `Dev` for development).
    pub root: Vec<LockedDependency>,
    pub packages: Vec<LockedPackage>,
    pub warnings: Vec<Warning>,
}

/// A lockfile that cannot be used: the audit stops (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct LockfileError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl LockfileError {
    fn new(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        LockfileError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// File names deadweight reads as lockfiles (or project manifests).
pub fn is_lockfile(path: &Path) -> bool {
    detect(path).is_some()
}

enum Kind {
    Npm,
    Yarn,
    Pnpm,
    Bun,
    BunBinary,
    Poetry,
    Uv,
    Pipfile,
    Requirements,
    CargoLock,
    CargoManifest,
    GoMod,
    Gradle,
    MavenTree,
}

fn detect(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    Some(match name {
        "package-lock.json" | "npm-shrinkwrap.json" => Kind::Npm,
        "yarn.lock" => Kind::Yarn,
        "pnpm-lock.yaml" => Kind::Pnpm,
        "bun.lock" => Kind::Bun,
        "bun.lockb" => Kind::BunBinary,
        "poetry.lock" => Kind::Poetry,
        "uv.lock" => Kind::Uv,
        "Pipfile.lock" => Kind::Pipfile,
        "Cargo.lock" => Kind::CargoLock,
        "Cargo.toml" => Kind::CargoManifest,
        "go.mod" => Kind::GoMod,
        "gradle.lockfile" => Kind::Gradle,
        _ if name.starts_with("requirements") && name.ends_with(".txt") => Kind::Requirements,
        _ if name.contains("tree") && name.ends_with(".txt") => Kind::MavenTree,
        _ if name.ends_with(".lockfile") && path.to_string_lossy().contains("gradle") => {
            Kind::Gradle
        }
        _ => return None,
    })
}

/// An npm package installed at `path` (`node_modules/a`), with what its
/// manifest asks for: an entry of [`installed_npm`].
pub fn installed_package(
    path: &str,
    name: &str,
    version: &str,
    dependencies: Vec<LockedDependency>,
) -> LockedPackage {
    let mut package = LockedPackage::new(name, version);
    package.key = path.to_string();
    package.dependencies = dependencies;
    package
}

/// An installed package's manifest (package.json) as [`installed_package`]
/// takes it: its name, version and runtime dependencies.
pub fn installed_manifest(path: &str, manifest: &serde_json::Value) -> LockedPackage {
    let text = |key: &str| manifest.get(key).and_then(|v| v.as_str()).unwrap_or("");
    installed_package(
        path,
        text("name"),
        text("version"),
        manifest_dependencies(manifest, false),
    )
}

/// The npm packages installed in an artifact or a folder, read as a
/// lockfile would list them: each at its install path, its edges resolved
/// as Node resolves them, development-only when only the project's
/// devDependencies reach it (a leftover that nothing reaches is not).
/// `manifest` is the project's package.json text, `manifest_path` where it
/// is.
pub fn installed_npm(
    manifest_path: &str,
    manifest: &str,
    packages: Vec<LockedPackage>,
) -> Lockfile {
    let mut lock = Lockfile::new(
        Path::new(manifest_path),
        LockFormat::InstalledNpm,
        Ecosystem::Npm,
    );
    (lock.project, lock.root) = package_json_root(manifest);
    lock.packages = packages;
    resolve_node_style(&mut lock);
    let production = lock.reach(|d| d.kind != DependencyKind::Dev);
    let development = lock.reach(|d| d.kind == DependencyKind::Dev);
    for (i, package) in lock.packages.iter_mut().enumerate() {
        package.dev = Some(development.contains(&i) && !production.contains(&i));
    }
    lock
}

/// Reads and parses a lockfile, choosing the parser by file name.
pub fn load(path: &Path) -> Result<Lockfile, LockfileError> {
    let kind = detect(path).ok_or_else(|| {
        LockfileError::new(
            path,
            None,
            "not a lockfile deadweight knows (package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock, poetry.lock, uv.lock, Pipfile.lock, requirements*.txt, Cargo.lock, Cargo.toml, go.mod, gradle.lockfile, mvn dependency:tree output as *tree*.txt)",
        )
    })?;
    if let Kind::CargoManifest = kind {
        let mut lockfile = cargo::load_metadata(path)?;
        lockfile.derive_dev_flags();
        return Ok(lockfile);
    }
    let text = read_text(path)?;
    let mut lockfile = match kind {
        Kind::Npm => npm::parse(path, &text)?,
        Kind::Yarn => yarn::parse(path, &text)?,
        Kind::Pnpm => pnpm::parse(path, &text)?,
        Kind::Bun => bun::parse(path, &text)?,
        Kind::BunBinary => {
            return Err(LockfileError::new(
                path,
                None,
                "the binary bun.lockb cannot be read; run `bun install --save-text-lockfile` for a text bun.lock",
            ))
        }
        Kind::Poetry => poetry::parse(path, &text)?,
        Kind::Uv => uv::parse(path, &text)?,
        Kind::Pipfile => pipfile::parse(path, &text)?,
        Kind::Requirements => requirements::parse(path, &text)?,
        Kind::CargoLock => cargo::parse_lock(path, &text)?,
        Kind::GoMod => gomod::parse(path, &text)?,
        Kind::Gradle => gradle::parse(path, &text)?,
        Kind::MavenTree => maven_tree::parse(path, &text)?,
        Kind::CargoManifest => unreachable!("handled above"),
    };
    lockfile.derive_dev_flags();
    Ok(lockfile)
}

fn read_text(path: &Path) -> Result<String, LockfileError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let message = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".to_string()
        } else {
            e.to_string()
        };
        LockfileError::new(path, None, message)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        LockfileError::new(path, Some(line), "not UTF-8 text")
    })
}

/// The manifest beside a lockfile (`package.json`, `pyproject.toml`, …), if any.
fn sibling(path: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(path.with_file_name(name)).ok()
}

/// 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|at| line_at(text, at))
}

/// The line each JSON key opening a value with `opener` (`"key": {`) first
/// appears on, from one pass over the text.
fn json_key_lines(text: &str, opener: char) -> HashMap<&str, usize> {
    let mut lines = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix('"') else {
            continue;
        };
        let Some(end) = rest.find('"') else { continue };
        let after = rest[end + 1..].trim_start();
        if after
            .strip_prefix(':')
            .is_some_and(|v| v.trim_start().starts_with(opener))
        {
            lines.entry(&rest[..end]).or_insert(number + 1);
        }
    }
    lines
}

/// Parses a TOML document; an error names its line.
fn toml_table(path: &Path, text: &str) -> Result<toml::Table, LockfileError> {
    text.parse::<toml::Table>().map_err(|e| {
        let line = e.span().map(|span| line_at(text, span.start));
        LockfileError::new(path, line, format!("not valid TOML: {}", e.message()))
    })
}

/// The `[[package]]` tables of a TOML lockfile with their position, which
/// indexes the lines `toml_package_lines` gives.
fn toml_packages(doc: &toml::Table) -> impl Iterator<Item = (usize, &toml::Table)> {
    doc.get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(n, entry)| Some((n, entry.as_table()?)))
}

/// Lines of the `[[package]]` headers, in order: the n-th is the n-th package.
fn toml_package_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[package]]")
        .map(|(n, _)| n + 1)
        .collect()
}

fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl Lockfile {
    fn new(path: &Path, format: LockFormat, ecosystem: Ecosystem) -> Self {
        Lockfile {
            path: path.to_path_buf(),
            format,
            ecosystem,
            project: None,
            root: Vec::new(),
            packages: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Resolves edges by name alone, for formats that lock one version per
    /// name (Poetry, uv, Cargo within a source, pip-compile).
    fn resolve_by_name(&mut self) {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, p) in self.packages.iter().enumerate() {
            by_name
                .entry(crate::inventory::normalize_name(self.ecosystem, &p.name))
                .or_insert(i);
        }
        let ecosystem = self.ecosystem;
        let resolve = |dep: &mut LockedDependency| {
            if dep.target.is_none() {
                dep.target = by_name
                    .get(&crate::inventory::normalize_name(ecosystem, &dep.name))
                    .copied();
            }
        };
        self.root.iter_mut().for_each(resolve);
        for p in &mut self.packages {
            p.dependencies.iter_mut().for_each(resolve);
        }
    }

    /// Fills `dev` where the format left it open: production is whatever a
    /// non-dev dependency of the project reaches.
    fn derive_dev_flags(&mut self) {
        if self.packages.iter().all(|p| p.dev.is_some()) || self.root.is_empty() {
            return;
        }
        let production = self.reach(|d| d.kind != DependencyKind::Dev);
        for (i, p) in self.packages.iter_mut().enumerate() {
            if p.dev.is_none() {
                p.dev = Some(!production.contains(&i));
            }
        }
    }

    /// Packages reachable from the root through root edges that pass `take`.
    pub fn reach(&self, take: impl Fn(&LockedDependency) -> bool) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<usize> = self
            .root
            .iter()
            .filter(|d| take(d))
            .filter_map(|d| d.target)
            .collect();
        while let Some(i) = queue.pop_front() {
            if !seen.insert(i) {
                continue;
            }
            for dep in &self.packages[i].dependencies {
                if let Some(t) = dep.target {
                    if !seen.contains(&t) {
                        queue.push_back(t);
                    }
                }
            }
        }
        seen
    }

    /// Indices of the packages a production install contains.
    pub fn production(&self) -> Vec<usize> {
        (0..self.packages.len())
            .filter(|&i| self.packages[i].dev != Some(true))
            .collect()
    }
}

/// Root dependencies from a package.json text: production, optional, peer
/// and development.
fn package_json_root(text: &str) -> (Option<String>, Vec<LockedDependency>) {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return (None, Vec::new());
    };
    let name = json
        .get("name")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    (name, manifest_dependencies(&json, true))
}

/// The dependency maps of a package.json-shaped object (npm's and bun's
/// lockfiles repeat them per package); a name listed twice counts once.
fn manifest_dependencies(entry: &serde_json::Value, with_dev: bool) -> Vec<LockedDependency> {
    let mut fields = vec![
        ("dependencies", DependencyKind::Normal),
        ("optionalDependencies", DependencyKind::Optional),
        ("peerDependencies", DependencyKind::Peer),
    ];
    if with_dev {
        fields.push(("devDependencies", DependencyKind::Dev));
    }
    let mut out: Vec<LockedDependency> = Vec::new();
    for (field, kind) in fields {
        for (name, range) in entry
            .get(field)
            .and_then(|v| v.as_object())
            .into_iter()
            .flatten()
        {
            if out.iter().any(|d| d.name == *name) {
                continue;
            }
            out.push(LockedDependency {
                name: name.clone(),
                requirement: range.as_str().unwrap_or("").to_string(),
                kind,
                target: None,
            });
        }
    }
    out
}

/// Resolves edges of lockfiles keyed by install path the way Node does:
/// the nearest `node_modules` upward from the dependent.
fn resolve_node_style(lock: &mut Lockfile) {
    let by_path: HashMap<&str, usize> = lock
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.as_str(), i))
        .collect();
    let targets: Vec<Vec<Option<usize>>> = lock
        .packages
        .iter()
        .map(|p| {
            p.dependencies
                .iter()
                .map(|d| resolve_node_module(&p.key, &d.name, |c| by_path.get(c).copied()))
                .collect()
        })
        .collect();
    let root_targets: Vec<Option<usize>> = lock
        .root
        .iter()
        .map(|d| resolve_node_module("", &d.name, |c| by_path.get(c).copied()))
        .collect();
    for (p, t) in lock.packages.iter_mut().zip(targets) {
        for (d, t) in p.dependencies.iter_mut().zip(t) {
            d.target = t;
        }
    }
    for (d, t) in lock.root.iter_mut().zip(root_targets) {
        d.target = t;
    }
}

/// `npm:ms@2.1.3` → ("ms", "2.1.3"): the real package behind an alias.
fn npm_alias(spec: &str) -> Option<(&str, &str)> {
    let rest = spec.strip_prefix("npm:")?;
    let at = rest.get(1..)?.rfind('@')? + 1;
    Some((&rest[..at], &rest[at + 1..]))
}

/// serde_json appends " at line L column C" to its messages; ours already
/// lead with the position.
pub(crate) fn strip_position(message: &str) -> &str {
    message
        .rsplit_once(" at line ")
        .map(|(m, _)| m)
        .unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_name_the_real_package() {
        assert_eq!(npm_alias("npm:ms@2.1.3"), Some(("ms", "2.1.3")));
        assert_eq!(
            npm_alias("npm:@types/node@20.1.0"),
            Some(("@types/node", "20.1.0"))
        );
        assert_eq!(npm_alias("2.1.3"), None);
    }

    #[test]
    fn lockfiles_are_recognised_by_name() {
        for name in [
            "package-lock.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "poetry.lock",
            "uv.lock",
            "requirements-dev.txt",
            "go.mod",
            "Cargo.lock",
        ] {
            assert!(is_lockfile(Path::new(name)), "{name}");
        }
        assert!(!is_lockfile(Path::new("function.zip")));
    }
}
