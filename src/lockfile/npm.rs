//! `package-lock.json` / `npm-shrinkwrap.json`: v1 (a nested `dependencies`
//! tree) and v2/v3 (a flat `packages` map keyed by install path). Keys are
//! install paths in both, so edges resolve the way Node resolves them.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::{
    line_of, manifest_dependencies, npm_alias, resolve_node_style, LockFormat, LockedDependency,
    LockedPackage, Lockfile, LockfileError,
};
use crate::inventory::{DependencyKind, Ecosystem};

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let json: Value = serde_json::from_str(text).map_err(|e| {
        LockfileError::new(
            path,
            Some(e.line()),
            format!("not valid JSON: {}", super::strip_position(&e.to_string())),
        )
    })?;
    let Some(top) = json.as_object() else {
        return Err(LockfileError::new(path, Some(1), "expected a JSON object"));
    };
    let version = top.get("lockfileVersion").and_then(Value::as_u64);
    let lines = super::json_key_lines(text, '{');
    let mut lockfile = match version {
        Some(1) => {
            let mut lock = Lockfile::new(path, LockFormat::NpmV1, Ecosystem::Npm);
            let deps = top.get("dependencies").and_then(Value::as_object);
            if let Some(deps) = deps {
                walk_v1(deps, "", &lines, &mut lock.packages);
            }
            // v1 keeps the project's own dependencies in package.json only
            if let Some(manifest) = super::sibling(path, "package.json") {
                let (_, root) = super::package_json_root(&manifest);
                lock.root = root;
            } else {
                // without it, what is not dev is what the project needs
                lock.root = lock
                    .packages
                    .iter()
                    .filter(|p| !p.key.contains("/node_modules/"))
                    .map(|p| LockedDependency {
                        name: p.key.trim_start_matches("node_modules/").to_string(),
                        requirement: p.version.clone(),
                        kind: if p.dev == Some(true) {
                            DependencyKind::Dev
                        } else {
                            DependencyKind::Normal
                        },
                        target: None,
                    })
                    .collect();
            }
            lock
        }
        Some(v @ (2 | 3)) => {
            let format = if v == 2 {
                LockFormat::NpmV2
            } else {
                LockFormat::NpmV3
            };
            let mut lock = Lockfile::new(path, format, Ecosystem::Npm);
            let packages = top
                .get("packages")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    LockfileError::new(
                        path,
                        line_of(text, "\"lockfileVersion\""),
                        format!("lockfileVersion {v} without a \"packages\" map"),
                    )
                })?;
            for (key, entry) in packages {
                if key.is_empty() {
                    lock.root = manifest_dependencies(entry, true);
                    continue;
                }
                let Some(entry) = entry.as_object() else {
                    return Err(LockfileError::new(
                        path,
                        line_of(text, &format!("\"{key}\"")),
                        format!("entry {key:?} is not an object"),
                    ));
                };
                // workspace folders and links are not installed packages
                if !key.contains("node_modules/")
                    || entry.get("link").and_then(Value::as_bool) == Some(true)
                {
                    continue;
                }
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| install_name(key).to_string());
                let mut package = LockedPackage::new(
                    name,
                    entry.get("version").and_then(Value::as_str).unwrap_or(""),
                );
                package.key = key.clone();
                package.source = entry
                    .get("resolved")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                package.integrity = entry
                    .get("integrity")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let flag = |name: &str| entry.get(name).and_then(Value::as_bool) == Some(true);
                package.dev = Some(flag("dev") || flag("devOptional"));
                package.optional = flag("optional");
                package.dependencies = manifest_dependencies(&Value::Object(entry.clone()), false);
                package.line = lines.get(key.as_str()).copied();
                lock.packages.push(package);
            }
            lock
        }
        Some(other) => {
            return Err(LockfileError::new(
                path,
                line_of(text, "\"lockfileVersion\""),
                format!("unknown lockfileVersion {other}; deadweight reads versions 1, 2 and 3"),
            ))
        }
        None => {
            return Err(LockfileError::new(
                path,
                Some(1),
                "no \"lockfileVersion\": not an npm lockfile",
            ));
        }
    };
    lockfile.project = top.get("name").and_then(Value::as_str).map(str::to_string);
    resolve_node_style(&mut lockfile);
    Ok(lockfile)
}

/// v1: `dependencies` nest where npm nested the install.
fn walk_v1(
    deps: &Map<String, Value>,
    parent: &str,
    lines: &HashMap<&str, usize>,
    out: &mut Vec<LockedPackage>,
) {
    for (name, entry) in deps {
        let key = if parent.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{parent}/node_modules/{name}")
        };
        let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
        let (real_name, real_version) = npm_alias(version).unwrap_or((name, version));
        let mut package = LockedPackage::new(real_name, real_version);
        package.key = key.clone();
        package.source = entry
            .get("resolved")
            .and_then(Value::as_str)
            .map(str::to_string);
        package.integrity = entry
            .get("integrity")
            .and_then(Value::as_str)
            .map(str::to_string);
        package.dev = Some(entry.get("dev").and_then(Value::as_bool) == Some(true));
        package.optional = entry.get("optional").and_then(Value::as_bool) == Some(true);
        if let Some(requires) = entry.get("requires").and_then(Value::as_object) {
            package.dependencies = requires
                .iter()
                .map(|(dep, range)| LockedDependency {
                    name: dep.clone(),
                    requirement: range.as_str().unwrap_or("").to_string(),
                    kind: DependencyKind::Normal,
                    target: None,
                })
                .collect();
        }
        package.line = lines.get(name.as_str()).copied();
        out.push(package);
        if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
            walk_v1(nested, &key, lines, out);
        }
    }
}

/// `node_modules/a/node_modules/@s/b` → `@s/b`.
fn install_name(key: &str) -> &str {
    let at = key
        .rfind("node_modules/")
        .map(|i| i + "node_modules/".len())
        .unwrap_or(0);
    &key[at..]
}

#[cfg(test)]
mod tests {
    use super::install_name;

    #[test]
    fn install_names_keep_their_scope() {
        assert_eq!(install_name("node_modules/a/node_modules/@s/b"), "@s/b");
        assert_eq!(install_name("node_modules/express"), "express");
    }
}
