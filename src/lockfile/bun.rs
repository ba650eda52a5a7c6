//! `bun.lock`, bun's text lockfile (JSON with trailing commas). Package keys
//! are install paths with the `node_modules/` left out (`send/ms`,
//! `@smithy/core`), so edges resolve the way Node resolves them.

use std::path::Path;

use serde_json::Value;

use super::{
    manifest_dependencies, resolve_node_style, LockFormat, LockedPackage, Lockfile, LockfileError,
};
use crate::inventory::Ecosystem;

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let json: Value =
        jsonc_parser::parse_to_serde_value(text, &Default::default()).map_err(|e| {
            LockfileError::new(
                path,
                Some(e.line_display()),
                format!("not valid JSON: {}", e.kind()),
            )
        })?;
    match json.get("lockfileVersion").and_then(Value::as_u64) {
        Some(0 | 1) => {}
        Some(other) => {
            return Err(LockfileError::new(
                path,
                super::line_of(text, "\"lockfileVersion\""),
                format!(
                    "unknown lockfileVersion {other}; deadweight reads bun.lock versions 0 and 1"
                ),
            ))
        }
        None => {
            return Err(LockfileError::new(
                path,
                Some(1),
                "no \"lockfileVersion\": not a bun.lock",
            ))
        }
    }
    let mut lock = Lockfile::new(path, LockFormat::Bun, Ecosystem::Npm);
    let lines = super::json_key_lines(text, '[');
    if let Some(root) = json.get("workspaces").and_then(|w| w.get("")) {
        lock.project = root.get("name").and_then(Value::as_str).map(str::to_string);
        lock.root = manifest_dependencies(root, true);
    }
    let empty = serde_json::Map::new();
    let packages = json
        .get("packages")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, entry) in packages {
        let Some(fields) = entry.as_array() else {
            return Err(LockfileError::new(
                path,
                super::line_of(text, &format!("\"{key}\":")),
                format!("package {key:?} is not an array"),
            ));
        };
        let ident = fields.first().and_then(Value::as_str).unwrap_or(key);
        // `name@version`, `name@github:…`, `name@workspace:…`
        let at = ident
            .get(1..)
            .and_then(|r| r.find('@'))
            .map(|i| i + 1)
            .unwrap_or(ident.len());
        let mut package = LockedPackage::new(&ident[..at], ident.get(at + 1..).unwrap_or(""));
        package.key = install_path(key);
        package.source = fields
            .get(1)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        package.integrity = fields.get(3).and_then(Value::as_str).map(str::to_string);
        if let Some(meta) = fields.get(2) {
            package.dependencies = manifest_dependencies(meta, false);
            package.optional = meta.get("optional").and_then(Value::as_bool) == Some(true);
        }
        package.line = lines.get(key.as_str()).copied();
        lock.packages.push(package);
    }

    resolve_node_style(&mut lock);
    Ok(lock)
}

/// `send/ms` → `node_modules/send/node_modules/ms`; scoped names take two
/// segments (`@smithy/core/tslib`).
fn install_path(key: &str) -> String {
    let mut out = String::new();
    let mut parts = key.split('/').peekable();
    while let Some(part) = parts.next() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str("node_modules/");
        out.push_str(part);
        if part.starts_with('@') {
            if let Some(name) = parts.next() {
                out.push('/');
                out.push_str(name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::install_path;

    #[test]
    fn keys_become_install_paths() {
        assert_eq!(install_path("send/ms"), "node_modules/send/node_modules/ms");
        assert_eq!(
            install_path("@smithy/core/tslib"),
            "node_modules/@smithy/core/node_modules/tslib"
        );
        assert_eq!(install_path("a/@s/b"), "node_modules/a/node_modules/@s/b");
    }
}
