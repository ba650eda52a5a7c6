//! `poetry.lock`: lock-version 1.x (`category = "dev"`), 2.0 (no groups:
//! production comes from `pyproject.toml`) and 2.1 (`groups = […]`).

use std::path::Path;

use toml::{Table, Value};

use super::{
    toml_package_lines, toml_packages, toml_table, LockFormat, LockedDependency, LockedPackage,
    Lockfile, LockfileError,
};
use crate::inventory::{DependencyKind, Ecosystem};

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let doc = toml_table(path, text)?;
    let lock_version = doc
        .get("metadata")
        .and_then(|m| m.get("lock-version"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            LockfileError::new(path, None, "no [metadata] lock-version: not a poetry.lock")
        })?;
    if !matches!(lock_version.split('.').next(), Some("1" | "2")) {
        return Err(LockfileError::new(
            path,
            super::line_of(text, "lock-version"),
            format!(
                "unknown lock-version {lock_version}; deadweight reads poetry.lock 1.x and 2.x"
            ),
        ));
    }
    let mut lock = Lockfile::new(path, LockFormat::Poetry, Ecosystem::Pypi);
    let lines = toml_package_lines(text);
    for (n, entry) in toml_packages(&doc) {
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
        let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            return Err(LockfileError::new(
                path,
                lines.get(n).copied(),
                "[[package]] without a name",
            ));
        }
        let mut package = LockedPackage::new(name, version);
        package.line = lines.get(n).copied();
        package.optional = entry.get("optional").and_then(Value::as_bool) == Some(true);
        package.source = entry
            .get("source")
            .and_then(|s| s.get("url"))
            .and_then(Value::as_str)
            .map(str::to_string);
        package.dev = if let Some(groups) = entry.get("groups").and_then(Value::as_array) {
            Some(!groups.iter().any(|g| g.as_str() == Some("main")))
        } else {
            entry
                .get("category")
                .and_then(Value::as_str)
                .map(|c| c != "main")
        };
        for (dep, spec) in entry
            .get("dependencies")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            package.dependencies.push(LockedDependency {
                name: dep.clone(),
                requirement: constraint(spec),
                kind: DependencyKind::Normal,
                target: None,
            });
        }
        lock.packages.push(package);
    }
    if let Some(manifest) = super::sibling(path, "pyproject.toml") {
        if let Ok(project) = manifest.parse::<Table>() {
            let (name, root) = pyproject_root(&project);
            lock.project = name;
            lock.root = root;
        }
    }
    lock.resolve_by_name();
    Ok(lock)
}

/// `"*"`, `{version = ">=1.5,<2", markers = "…"}` or a list of such.
fn constraint(spec: &Value) -> String {
    match spec {
        Value::String(s) => s.clone(),
        Value::Table(t) => t
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("*")
            .to_string(),
        Value::Array(items) => items.iter().map(constraint).collect::<Vec<_>>().join(" | "),
        _ => String::new(),
    }
}

/// A pyproject's own dependencies: `[project]` (PEP 621) and
/// `[tool.poetry]`, with dev groups as development.
pub(super) fn pyproject_root(project: &Table) -> (Option<String>, Vec<LockedDependency>) {
    let mut root = Vec::new();
    let pep621 = project.get("project");
    let mut push = |name: &str, requirement: String, kind| {
        if name != "python" && !root.iter().any(|d: &LockedDependency| d.name == name) {
            root.push(LockedDependency {
                name: name.to_string(),
                requirement,
                kind,
                target: None,
            });
        }
    };
    for spec in pep621
        .and_then(|p| p.get("dependencies"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(spec) = spec.as_str() {
            let (name, rest) = split_requirement(spec);
            push(name, rest.to_string(), DependencyKind::Normal);
        }
    }
    let poetry = project.get("tool").and_then(|t| t.get("poetry"));
    for (name, spec) in poetry
        .and_then(|p| p.get("dependencies"))
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        push(name, constraint(spec), DependencyKind::Normal);
    }
    for (_, extra) in pep621
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        for spec in extra
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let (name, rest) = split_requirement(spec);
            push(name, rest.to_string(), DependencyKind::Optional);
        }
    }
    let groups = poetry
        .and_then(|p| p.get("group"))
        .and_then(Value::as_table);
    for (_, group) in groups.into_iter().flatten() {
        for (name, spec) in group
            .get("dependencies")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            push(name, constraint(spec), DependencyKind::Dev);
        }
    }
    for (name, spec) in poetry
        .and_then(|p| p.get("dev-dependencies"))
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        push(name, constraint(spec), DependencyKind::Dev);
    }
    // PEP 735 dependency groups (uv's dev group)
    for (_, group) in project
        .get("dependency-groups")
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        for spec in group
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let (name, rest) = split_requirement(spec);
            push(name, rest.to_string(), DependencyKind::Dev);
        }
    }
    let name = pep621
        .and_then(|p| p.get("name"))
        .or_else(|| poetry.and_then(|p| p.get("name")))
        .and_then(Value::as_str)
        .map(str::to_string);
    (name, root)
}

/// `requests[socks]>=2.0; python_version>"3"` → ("requests", "[socks]>=2.0; …").
pub(super) fn split_requirement(spec: &str) -> (&str, &str) {
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    (&spec[..end], spec[end..].trim())
}
