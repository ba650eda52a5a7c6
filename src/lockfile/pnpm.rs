//! `pnpm-lock.yaml` v5.x (`/name/1.0.0_peer@2`), v6 (`/name@1.0.0(peer@2)`)
//! and v9 (`name@1.0.0(peer@2)`, with the dependency edges moved from
//! `packages` to `snapshots` and the project under `importers`).

use std::collections::HashMap;
use std::path::Path;

use serde_norway::{Mapping, Value};

use super::{LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError};
use crate::inventory::{DependencyKind, Ecosystem};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V5,
    V6,
    V9,
}

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let doc: Value = serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        LockfileError::new(path, line, format!("not valid YAML: {e}"))
    })?;
    let top = doc
        .as_mapping()
        .ok_or_else(|| LockfileError::new(path, Some(1), "expected a YAML mapping at the top"))?;
    let declared = match top.get("lockfileVersion") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(LockfileError::new(
                path,
                Some(1),
                "no lockfileVersion: not a pnpm lockfile",
            ))
        }
    };
    let version = match declared.split('.').next() {
        Some("5") => Version::V5,
        Some("6") => Version::V6,
        Some("7" | "9") => Version::V9,
        _ => {
            return Err(LockfileError::new(
                path,
                super::line_of(text, "lockfileVersion"),
                format!("unknown lockfileVersion {declared}; deadweight reads pnpm lockfiles 5.x, 6.x and 9.x"),
            ))
        }
    };
    let format = match version {
        Version::V5 => LockFormat::PnpmV5,
        Version::V6 => LockFormat::PnpmV6,
        Version::V9 => LockFormat::PnpmV9,
    };
    let mut lock = Lockfile::new(path, format, Ecosystem::Npm);
    let lines = key_lines(text);

    // the project: top level before v9, importers["."] from v9
    let project = match version {
        Version::V9 => top
            .get("importers")
            .and_then(Value::as_mapping)
            .and_then(|m| m.get(".").or_else(|| m.values().next()))
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default(),
        _ => top.clone(),
    };
    let specifiers = project.get("specifiers").and_then(Value::as_mapping);
    let mut root_edges: Vec<(String, String, String, DependencyKind)> = Vec::new();
    for (field, kind) in [
        ("dependencies", DependencyKind::Normal),
        ("optionalDependencies", DependencyKind::Optional),
        ("devDependencies", DependencyKind::Dev),
    ] {
        for (name, value) in project
            .get(field)
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            let Some(name) = name.as_str() else { continue };
            let (specifier, resolved) = match value {
                Value::Mapping(m) => (
                    m.get("specifier").and_then(Value::as_str).unwrap_or(""),
                    m.get("version").and_then(Value::as_str).unwrap_or(""),
                ),
                other => (
                    specifiers
                        .and_then(|s| s.get(name))
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                    other.as_str().unwrap_or(""),
                ),
            };
            root_edges.push((
                name.to_string(),
                specifier.to_string(),
                resolved.to_string(),
                kind,
            ));
        }
    }

    // package instances and their metadata
    let empty = Mapping::new();
    let metadata = top
        .get("packages")
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let instances = match version {
        Version::V9 => top
            .get("snapshots")
            .and_then(Value::as_mapping)
            .unwrap_or(&empty),
        _ => metadata,
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut edges: Vec<Vec<(String, String, DependencyKind)>> = Vec::new();
    for (key, entry) in instances {
        let Some(key) = key.as_str() else { continue };
        let entry = entry.as_mapping().unwrap_or(&empty);
        let base = strip_peers(key, version);
        let meta = match version {
            Version::V9 => metadata
                .get(base)
                .and_then(Value::as_mapping)
                .unwrap_or(&empty),
            _ => entry,
        };
        let (mut name, mut package_version) = split_key(key, version);
        if let Some(n) = meta.get("name").and_then(Value::as_str) {
            name = n.to_string();
        }
        if let Some(v) = meta.get("version").and_then(Value::as_str) {
            package_version = v.to_string();
        }
        let mut package = LockedPackage::new(name, package_version);
        package.key = key.to_string();
        let resolution = meta.get("resolution").and_then(Value::as_mapping);
        package.integrity = resolution
            .and_then(|r| r.get("integrity"))
            .and_then(Value::as_str)
            .map(str::to_string);
        package.source = resolution
            .and_then(|r| {
                r.get("tarball")
                    .or_else(|| r.get("repo"))
                    .or_else(|| r.get("directory"))
            })
            .and_then(Value::as_str)
            .map(str::to_string);
        // before v9: dev true = development only, false = production only,
        // absent = needed by both
        if version != Version::V9 {
            package.dev = Some(entry.get("dev").and_then(Value::as_bool) == Some(true));
        }
        package.optional = entry.get("optional").and_then(Value::as_bool) == Some(true);
        package.line = lines.get(key).copied();
        let mut out = Vec::new();
        for (field, kind) in [
            ("dependencies", DependencyKind::Normal),
            ("optionalDependencies", DependencyKind::Optional),
        ] {
            for (dep, value) in entry
                .get(field)
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
            {
                if let (Some(dep), Some(value)) = (dep.as_str(), value.as_str()) {
                    out.push((dep.to_string(), value.to_string(), kind));
                }
            }
        }
        index.insert(key.to_string(), lock.packages.len());
        lock.packages.push(package);
        edges.push(out);
    }

    let target = |name: &str, value: &str| index.get(&target_key(name, value, version)).copied();
    for (p, out) in lock.packages.iter_mut().zip(edges) {
        p.dependencies = out
            .into_iter()
            .map(|(name, value, kind)| LockedDependency {
                target: target(&name, &value),
                requirement: value,
                name,
                kind,
            })
            .collect();
    }
    lock.root = root_edges
        .into_iter()
        .map(|(name, specifier, resolved, kind)| LockedDependency {
            target: target(&name, &resolved),
            name,
            requirement: specifier,
            kind,
        })
        .collect();
    if let Some(manifest) = super::sibling(path, "package.json") {
        lock.project = super::package_json_root(&manifest).0;
    }
    Ok(lock)
}

/// The instance key a dependency value points at.
fn target_key(name: &str, value: &str, version: Version) -> String {
    let before_peers = value.split('(').next().unwrap_or(value);
    match version {
        Version::V5 | Version::V6 if value.starts_with('/') => value.to_string(),
        Version::V5 => format!("/{name}/{value}"),
        Version::V6 => format!("/{name}@{value}"),
        // an alias or a non-registry package is written as a whole key
        Version::V9 if before_peers.get(1..).is_some_and(|r| r.contains('@')) => value.to_string(),
        Version::V9 => format!("{name}@{value}"),
    }
}

/// `/debug/4.4.3_supports-color@8.1.1` → `/debug/4.4.3`;
/// `debug@4.4.3(supports-color@8.1.1)` → `debug@4.4.3`.
fn strip_peers(key: &str, version: Version) -> &str {
    match version {
        Version::V5 => {
            let (name, _) = split_v5(key);
            let rest = &key[name.len() + 2..];
            let end = rest
                .find('_')
                .map(|i| name.len() + 2 + i)
                .unwrap_or(key.len());
            &key[..end]
        }
        _ => key.split('(').next().unwrap_or(key),
    }
}

fn split_key(key: &str, version: Version) -> (String, String) {
    match version {
        Version::V5 => {
            let (name, rest) = split_v5(key);
            let version = rest.split('_').next().unwrap_or(rest);
            (name.to_string(), version.to_string())
        }
        _ => {
            let base = key.trim_start_matches('/').split('(').next().unwrap_or(key);
            match base.get(1..).and_then(|r| r.find('@')) {
                Some(at) => (base[..at + 1].to_string(), base[at + 2..].to_string()),
                None => (base.to_string(), String::new()),
            }
        }
    }
}

/// `/@scope/name/1.0.0_x` → ("@scope/name", "1.0.0_x").
fn split_v5(key: &str) -> (&str, &str) {
    let trimmed = key.trim_start_matches('/');
    let segments = if trimmed.starts_with('@') { 2 } else { 1 };
    let mut cut = 0;
    for _ in 0..segments {
        match trimmed[cut..].find('/') {
            Some(i) => cut += i + 1,
            None => return (trimmed, ""),
        }
    }
    (&trimmed[..cut - 1], &trimmed[cut..])
}

/// The line of each two-space-indented key (`  /ms@2.1.3:`), in one pass.
fn key_lines(text: &str) -> HashMap<&str, usize> {
    let mut lines = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        if rest.starts_with(' ') {
            continue;
        }
        let key = rest
            .trim_end()
            .trim_end_matches(':')
            .trim_matches(['\'', '"']);
        let key = key.strip_suffix(": {}").unwrap_or(key);
        lines.entry(key).or_insert(n + 1);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_name_and_version() {
        assert_eq!(
            split_key("/@aws-sdk/client-s3/3.699.0_x@1", Version::V5),
            ("@aws-sdk/client-s3".into(), "3.699.0".into())
        );
        assert_eq!(
            split_key("/debug@4.4.3(supports-color@8.1.1)", Version::V6),
            ("debug".into(), "4.4.3".into())
        );
        assert_eq!(
            split_key("@smithy/core@2.5.3", Version::V9),
            ("@smithy/core".into(), "2.5.3".into())
        );
        assert_eq!(
            strip_peers("/debug/4.4.3_supports-color@8.1.1", Version::V5),
            "/debug/4.4.3"
        );
        assert_eq!(
            strip_peers("debug@4.4.3(supports-color@8.1.1)", Version::V9),
            "debug@4.4.3"
        );
    }

    #[test]
    fn dependency_values_point_at_instance_keys() {
        assert_eq!(target_key("ms", "2.0.0", Version::V5), "/ms/2.0.0");
        assert_eq!(target_key("my-ms", "/ms/2.1.3", Version::V5), "/ms/2.1.3");
        assert_eq!(
            target_key("debug", "4.4.3(supports-color@8.1.1)", Version::V6),
            "/debug@4.4.3(supports-color@8.1.1)"
        );
        assert_eq!(target_key("my-ms", "ms@2.1.3", Version::V9), "ms@2.1.3");
        assert_eq!(
            target_key("debug", "4.4.3(supports-color@8.1.1)", Version::V9),
            "debug@4.4.3(supports-color@8.1.1)"
        );
    }
}
