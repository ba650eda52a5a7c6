//! `uv.lock`: one `[[package]]` per resolved distribution; the project is
//! the package whose source is the project directory (`virtual` or
//! `editable` "."), with its dev groups under `dev-dependencies`.

use std::path::Path;

use toml::Value;

use super::{
    toml_package_lines, toml_packages, toml_table, LockFormat, LockedDependency, LockedPackage,
    Lockfile, LockfileError,
};
use crate::inventory::{normalize_name, DependencyKind, Ecosystem};

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let doc = toml_table(path, text)?;
    match doc.get("version").and_then(Value::as_integer) {
        Some(1) => {}
        Some(other) => {
            return Err(LockfileError::new(
                path,
                super::line_of(text, "version"),
                format!("unknown uv.lock version {other}; deadweight reads version 1"),
            ))
        }
        None => {
            return Err(LockfileError::new(
                path,
                Some(1),
                "no top-level version: not a uv.lock",
            ))
        }
    }
    let mut lock = Lockfile::new(path, LockFormat::Uv, Ecosystem::Pypi);
    let lines = toml_package_lines(text);
    let mut project_edges: Vec<LockedDependency> = Vec::new();
    for (n, entry) in toml_packages(&doc) {
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
        let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
        let source = entry.get("source").and_then(Value::as_table);
        let is_project = source.is_some_and(|s| {
            ["virtual", "editable"]
                .iter()
                .any(|k| s.get(*k).and_then(Value::as_str) == Some("."))
        });
        let mut edges = edges(entry.get("dependencies"), DependencyKind::Normal);
        for (_, list) in entry
            .get("optional-dependencies")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            edges.extend(self::edges(Some(list), DependencyKind::Optional));
        }
        if is_project {
            lock.project = Some(name.to_string());
            for (_, list) in entry
                .get("dev-dependencies")
                .and_then(Value::as_table)
                .into_iter()
                .flatten()
            {
                edges.extend(self::edges(Some(list), DependencyKind::Dev));
            }
            project_edges.extend(edges);
            continue;
        }
        let mut package = LockedPackage::new(name, version);
        package.line = lines.get(n).copied();
        package.source = source
            .and_then(|s| s.values().next())
            .and_then(Value::as_str)
            .map(str::to_string);
        package.dependencies = edges;
        lock.packages.push(package);
    }
    lock.root = project_edges;
    // an edge may name a version when several are locked
    let packages = &lock.packages;
    let find = |dep: &LockedDependency| {
        let wanted = normalize_name(Ecosystem::Pypi, &dep.name);
        packages.iter().position(|p| {
            normalize_name(Ecosystem::Pypi, &p.name) == wanted
                && (dep.requirement.is_empty() || p.version == dep.requirement)
        })
    };
    let root_targets: Vec<Option<usize>> = lock.root.iter().map(find).collect();
    let targets: Vec<Vec<Option<usize>>> = lock
        .packages
        .iter()
        .map(|p| p.dependencies.iter().map(find).collect())
        .collect();
    for (d, t) in lock.root.iter_mut().zip(root_targets) {
        d.target = t;
    }
    for (p, t) in lock.packages.iter_mut().zip(targets) {
        for (d, t) in p.dependencies.iter_mut().zip(t) {
            d.target = t;
        }
    }
    Ok(lock)
}

/// `[{ name = "idna" }, { name = "x", version = "1.0", marker = "…" }]`.
fn edges(list: Option<&Value>, kind: DependencyKind) -> Vec<LockedDependency> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let name = d.get("name")?.as_str()?;
            Some(LockedDependency {
                name: name.to_string(),
                requirement: d
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                kind,
                target: None,
            })
        })
        .collect()
}
