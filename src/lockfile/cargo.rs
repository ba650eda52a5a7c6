//! Rust functions (cargo-lambda builds): `Cargo.lock` through the
//! `cargo-lock` crate, and a `Cargo.toml` workspace through `cargo
//! metadata`, which also tells normal from build and dev dependencies.
//! Workspace members are the project, not packages.

use std::collections::HashMap;
use std::path::Path;

use cargo_metadata::{DependencyKind as CargoKind, MetadataCommand};

use super::{LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError};
use crate::inventory::{DependencyKind, Ecosystem};

pub(super) fn parse_lock(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    // syntax first, for an error with a line
    super::toml_table(path, text)?;
    let parsed: cargo_lock::Lockfile = text.parse().map_err(|e: cargo_lock::Error| {
        // the message is a multi-line TOML report; keep its first line
        let message = e.to_string();
        let first = message.lines().next().unwrap_or("").trim().to_string();
        let line = first
            .split("at line ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.trim().parse().ok());
        let detail = message
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('|'))
            .unwrap_or("")
            .trim();
        LockfileError::new(path, line, format!("not a Cargo.lock: {detail}"))
    })?;
    let mut lock = Lockfile::new(path, LockFormat::CargoLock, Ecosystem::Cargo);
    let lines = super::toml_package_lines(text);
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut members = Vec::new();
    for (n, package) in parsed.packages.iter().enumerate() {
        let edges: Vec<LockedDependency> = package
            .dependencies
            .iter()
            .map(|d| LockedDependency {
                name: d.name.to_string(),
                requirement: d.version.to_string(),
                kind: DependencyKind::Normal,
                target: None,
            })
            .collect();
        // path and workspace crates carry no source
        if package.source.is_none() {
            lock.project.get_or_insert_with(|| package.name.to_string());
            members.push(package.name.to_string());
            lock.root.extend(edges);
            continue;
        }
        let mut locked = LockedPackage::new(package.name.to_string(), package.version.to_string());
        locked.source = package.source.as_ref().map(|s| s.to_string());
        locked.integrity = package.checksum.as_ref().map(|c| c.to_string());
        locked.line = lines.get(n).copied();
        locked.dependencies = edges;
        index.insert(
            (locked.name.clone(), locked.version.clone()),
            lock.packages.len(),
        );
        lock.packages.push(locked);
    }
    // members depending on each other are not edges out of the project
    lock.root.retain(|d| !members.contains(&d.name));
    let find = |d: &LockedDependency| index.get(&(d.name.clone(), d.requirement.clone())).copied();
    for d in &mut lock.root {
        d.target = find(d);
    }
    let targets: Vec<Vec<Option<usize>>> = lock
        .packages
        .iter()
        .map(|p| p.dependencies.iter().map(find).collect())
        .collect();
    for (p, t) in lock.packages.iter_mut().zip(targets) {
        for (d, t) in p.dependencies.iter_mut().zip(t) {
            d.target = t;
        }
    }
    Ok(lock)
}

/// Runs `cargo metadata --frozen` on a manifest: it reads manifests and
/// the lockfile, runs no build script, touches no network and never
/// rewrites the project's Cargo.lock.
pub(super) fn load_metadata(path: &Path) -> Result<Lockfile, LockfileError> {
    let metadata = MetadataCommand::new()
        .manifest_path(path)
        .other_options(vec!["--frozen".to_string()])
        .exec()
        .map_err(|e| {
            let message = e.to_string();
            let first = message
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&message)
                .trim()
                .to_string();
            LockfileError::new(path, None, format!("cargo metadata failed: {first}"))
        })?;
    let mut lock = Lockfile::new(path, LockFormat::CargoMetadata, Ecosystem::Cargo);
    let members: Vec<_> = metadata.workspace_members.clone();
    let mut index = HashMap::new();
    for package in &metadata.packages {
        if members.contains(&package.id) {
            lock.project.get_or_insert_with(|| package.name.to_string());
            continue;
        }
        let mut locked = LockedPackage::new(package.name.to_string(), package.version.to_string());
        locked.source = package.source.as_ref().map(|s| s.to_string());
        index.insert(package.id.clone(), lock.packages.len());
        lock.packages.push(locked);
    }
    let Some(resolve) = metadata.resolve else {
        return Ok(lock);
    };
    for node in &resolve.nodes {
        let edges: Vec<LockedDependency> = node
            .deps
            .iter()
            .filter(|d| !members.contains(&d.pkg))
            .map(|d| {
                // a crate needed only to build or to test is not in the binary
                let shipped = d.dep_kinds.iter().any(|k| k.kind == CargoKind::Normal);
                let name = metadata
                    .packages
                    .iter()
                    .find(|p| p.id == d.pkg)
                    .map(|p| p.name.to_string())
                    .unwrap_or_else(|| d.name.clone());
                LockedDependency {
                    name,
                    requirement: String::new(),
                    kind: if shipped {
                        DependencyKind::Normal
                    } else {
                        DependencyKind::Dev
                    },
                    target: index.get(&d.pkg).copied(),
                }
            })
            .collect();
        if members.contains(&node.id) {
            lock.root.extend(edges);
        } else if let Some(&i) = index.get(&node.id) {
            // only normal edges carry a dependency into the binary
            lock.packages[i].dependencies = edges
                .into_iter()
                .filter(|e| e.kind == DependencyKind::Normal)
                .collect();
        }
    }
    Ok(lock)
}
