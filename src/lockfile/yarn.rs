//! `yarn.lock`: yarn 1 (its own text format) and Berry, yarn 2+ (YAML with
//! `__metadata`). Entries are keyed by descriptors (`ms@^2.1.3`,
//! `ms@npm:^2.1.3`), which is how dependencies point at them.

use std::collections::HashMap;
use std::path::Path;

use super::{
    line_at, npm_alias, LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError,
};
use crate::inventory::{DependencyKind, Ecosystem};

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let parsed = yarn_lock_parser::parse_str(text).map_err(|e| {
        let yarn_lock_parser::YarnLockError::Parser { source } = e;
        let remaining = match &source {
            nom::Err::Error(v) | nom::Err::Failure(v) => v.errors.first().map(|(rest, _)| rest.len()),
            nom::Err::Incomplete(_) => None,
        };
        let line = remaining.map(|len| line_at(text, text.len().saturating_sub(len)));
        LockfileError::new(path, line, "not a yarn.lock entry this parser can read (expected `name@range:` followed by indented fields)")
    })?;
    let berry = parsed.version > 1;
    let format = if berry {
        LockFormat::YarnBerry
    } else {
        LockFormat::YarnClassic
    };
    let mut lock = Lockfile::new(path, format, Ecosystem::Npm);

    let header_lines = entry_header_lines(text);
    let mut descriptors: HashMap<(String, String), usize> = HashMap::new();
    let mut workspace_deps: Vec<(String, String)> = Vec::new();
    for (n, entry) in parsed.entries.iter().enumerate() {
        if entry.resolved.contains("@workspace:")
            || entry
                .descriptors
                .iter()
                .any(|(_, r)| r.starts_with("workspace:"))
        {
            if lock.project.is_none() {
                lock.project = Some(entry.name.to_string());
            }
            workspace_deps.extend(
                entry
                    .dependencies
                    .iter()
                    .map(|(n, r)| (n.to_string(), r.to_string())),
            );
            continue;
        }
        // yarn 1 names an aliased entry after the alias; the range says what it is
        let real_name = entry
            .descriptors
            .iter()
            .find_map(|(_, range)| npm_alias(range).map(|(name, _)| name))
            .filter(|_| !berry)
            .unwrap_or(entry.name);
        let mut package = LockedPackage::new(real_name, entry.version);
        package.source = Some(entry.resolved.to_string()).filter(|s| !s.is_empty());
        package.integrity = Some(entry.integrity.to_string()).filter(|s| !s.is_empty());
        package.line = header_lines.get(n).copied();
        for (field, kind) in [
            (&entry.dependencies, DependencyKind::Normal),
            (&entry.optional_dependencies, DependencyKind::Optional),
            (&entry.peer_dependencies, DependencyKind::Peer),
        ] {
            package
                .dependencies
                .extend(field.iter().map(|(name, range)| LockedDependency {
                    name: name.to_string(),
                    requirement: range.to_string(),
                    kind,
                    target: None,
                }));
        }
        let index = lock.packages.len();
        for (name, range) in &entry.descriptors {
            descriptors.insert((name.to_string(), range.to_string()), index);
        }
        lock.packages.push(package);
    }

    // package.json tells production from development; Berry's workspace
    // entry lists both together, yarn 1 lists neither
    if let Some(manifest) = super::sibling(path, "package.json") {
        let (name, root) = super::package_json_root(&manifest);
        lock.project = lock.project.or(name);
        lock.root = root;
    } else {
        lock.root = workspace_deps
            .into_iter()
            .map(|(name, requirement)| LockedDependency {
                name,
                requirement,
                kind: DependencyKind::Normal,
                target: None,
            })
            .collect();
    }

    let find = |name: &str, range: &str| {
        descriptors
            .get(&(name.to_string(), range.to_string()))
            .or_else(|| descriptors.get(&(name.to_string(), format!("npm:{range}"))))
            .copied()
    };
    for dep in &mut lock.root {
        dep.target = find(&dep.name, &dep.requirement);
    }
    let targets: Vec<Vec<Option<usize>>> = lock
        .packages
        .iter()
        .map(|p| {
            p.dependencies
                .iter()
                .map(|d| find(&d.name, &d.requirement))
                .collect()
        })
        .collect();
    for (p, t) in lock.packages.iter_mut().zip(targets) {
        for (d, t) in p.dependencies.iter_mut().zip(t) {
            d.target = t;
        }
    }
    Ok(lock)
}

/// Lines of the entry headers (`"ms@npm:2.1.3, ms@npm:^2.1.3":`), in file
/// order, which is the parser's entry order.
fn entry_header_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            !l.starts_with([' ', '#'])
                && l.trim_end().ends_with(':')
                && !l.starts_with("__metadata")
        })
        .map(|(n, _)| n + 1)
        .collect()
}
