//! `Pipfile.lock`: two flat sections, `default` (production) and `develop`,
//! each holding the whole closure. It records no edges.

use std::path::Path;

use serde_json::Value;

use super::{LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError};
use crate::inventory::{DependencyKind, Ecosystem};

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let json: Value = serde_json::from_str(text)
        .map_err(|e| LockfileError::new(path, Some(e.line()), format!("not valid JSON: {e}")))?;
    let spec = json
        .get("_meta")
        .and_then(|m| m.get("pipfile-spec"))
        .and_then(Value::as_u64);
    match spec {
        Some(6) => {}
        Some(other) => {
            return Err(LockfileError::new(
                path,
                super::line_of(text, "pipfile-spec"),
                format!("unknown pipfile-spec {other}; deadweight reads spec 6"),
            ))
        }
        None => {
            return Err(LockfileError::new(
                path,
                Some(1),
                "no _meta.pipfile-spec: not a Pipfile.lock",
            ))
        }
    }
    let mut lock = Lockfile::new(path, LockFormat::Pipfile, Ecosystem::Pypi);
    let lines = super::json_key_lines(text, '{');
    let default = json.get("default").and_then(Value::as_object);
    for (section, dev) in [("default", false), ("develop", true)] {
        for (name, entry) in json
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            // a package in both sections is needed in production
            if dev && default.is_some_and(|d| d.contains_key(name)) {
                continue;
            }
            let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
            let mut package = LockedPackage::new(name, version.trim_start_matches("=="));
            package.dev = Some(dev);
            package.line = lines.get(name.as_str()).copied();
            package.integrity = entry
                .get("hashes")
                .and_then(Value::as_array)
                .and_then(|h| h.first())
                .and_then(Value::as_str)
                .map(str::to_string);
            package.source = entry
                .get("git")
                .or_else(|| entry.get("path"))
                .and_then(Value::as_str)
                .map(str::to_string);
            lock.root.push(LockedDependency {
                name: name.clone(),
                requirement: version.to_string(),
                kind: if dev {
                    DependencyKind::Dev
                } else {
                    DependencyKind::Normal
                },
                target: Some(lock.packages.len()),
            });
            lock.packages.push(package);
        }
    }
    Ok(lock)
}
