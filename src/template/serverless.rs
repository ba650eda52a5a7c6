//! The Serverless Framework's packaging of a service folder, so that
//! auditing the folder audits what `serverless package` would zip.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;

use serde_norway::Value;

use crate::artifact::{LeftOut, Packaging, Part};

/// What `serverless package` leaves out of the service folder it zips:
/// its own files and git's, the packages installed for development only
/// (unless `excludeDevDependencies: false`),
/// then the service's `package.patterns` (and the older `exclude` and
/// `include`) in order. `None` for a folder that is not a service's.
pub(super) fn packaging_of(dir: &Path) -> Option<Packaging> {
    let text = ["serverless.yml", "serverless.yaml"]
        .iter()
        .find_map(|name| std::fs::read_to_string(dir.join(name)).ok())?;
    let service: Value = serde_norway::from_str(&text).ok()?;
    let package = service.get("package");
    let strings = |key: &str| -> Vec<String> {
        package
            .and_then(|p| p.get(key))
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let mut globs: Vec<String> = [
        ".git/**",
        ".gitignore",
        ".DS_Store",
        "npm-debug.log",
        ".serverless/**",
        ".serverless_plugins/**",
    ]
    .iter()
    .map(|glob| format!("!{glob}"))
    .collect();
    let dev_excluded = package
        .and_then(|p| p.get("excludeDevDependencies"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if dev_excluded {
        globs.extend(
            dev_only_packages(dir)
                .into_iter()
                .map(|path| format!("!{path}/**")),
        );
    }
    globs.extend(
        strings("exclude")
            .into_iter()
            .map(|glob| format!("!{glob}")),
    );
    globs.extend(strings("include"));
    globs.extend(strings("patterns"));
    Some(Packaging {
        parts: vec![Part {
            path: dir.to_path_buf(),
            prefix: String::new(),
            left_out: LeftOut::OrderedGlobs(globs),
        }],
    })
}

/// The installed package folders (`node_modules/…`) that only the
/// service's devDependencies reach. The framework asks `npm ls` for the
/// service's development and production trees, which read the installed
/// `node_modules` and its manifests, whichever tool installed them (npm,
/// yarn, a hoisted pnpm): so does this.
fn dev_only_packages(dir: &Path) -> Vec<String> {
    let Some(root) = manifest(&dir.join("package.json")) else {
        return Vec::new();
    };
    let production = installed_closure(dir, runtime_dependencies(&root));
    let development = installed_closure(dir, names(&root, "devDependencies"));
    development.difference(&production).cloned().collect()
}

/// A package's manifest, when it reads as JSON.
fn manifest(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The names in one dependency map of a manifest.
fn names(manifest: &serde_json::Value, field: &str) -> Vec<String> {
    manifest
        .get(field)
        .and_then(serde_json::Value::as_object)
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

/// What a package needs installed to run: its dependencies, optional
/// dependencies and peers (a peer marked optional is not needed).
fn runtime_dependencies(manifest: &serde_json::Value) -> Vec<String> {
    let optional_peer = |name: &str| {
        manifest
            .pointer(&format!(
                "/peerDependenciesMeta/{}/optional",
                name.replace('/', "~1")
            ))
            .and_then(serde_json::Value::as_bool)
            == Some(true)
    };
    let mut needed = names(manifest, "dependencies");
    needed.extend(names(manifest, "optionalDependencies"));
    needed.extend(
        names(manifest, "peerDependencies")
            .into_iter()
            .filter(|name| !optional_peer(name)),
    );
    needed
}

/// The package folders (relative to `dir`) that `roots`, needed by the
/// service, and what they need in turn resolve to, as Node resolves a
/// package name: the `node_modules` beside the package, then each above.
fn installed_closure(dir: &Path, roots: Vec<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut queue: VecDeque<(String, String)> = roots
        .into_iter()
        .map(|name| (String::new(), name))
        .collect();
    while let Some((from, name)) = queue.pop_front() {
        let Some(package) = resolve(dir, &from, &name) else {
            continue;
        };
        if !found.insert(package.clone()) {
            continue;
        }
        if let Some(manifest) = manifest(&dir.join(&package).join("package.json")) {
            queue.extend(
                runtime_dependencies(&manifest)
                    .into_iter()
                    .map(|name| (package.clone(), name)),
            );
        }
    }
    found
}

/// Where `name` needed by the package folder `from` ("" for the service)
/// is installed, as Node finds it.
fn resolve(dir: &Path, from: &str, name: &str) -> Option<String> {
    // a package name (`uuid`, `@smithy/types`) never leaves node_modules
    if name.starts_with(['.', '/']) || name.contains("..") || name.contains('\\') {
        return None;
    }
    crate::graph::resolve_node_module(from, name, |candidate| {
        dir.join(candidate).is_dir().then(|| candidate.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_development_alone_reaches_is_dev_only() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "package.json",
            r#"{"dependencies": {"a": "1"}, "devDependencies": {"b": "1"}}"#,
        );
        // an optional peer is not needed; a name climbing out is no package
        write(
            "node_modules/a/package.json",
            r#"{"dependencies": {"c": "1"},
                "peerDependencies": {"d": "1"},
                "peerDependenciesMeta": {"d": {"optional": true}}}"#,
        );
        write(
            "node_modules/b/package.json",
            r#"{"dependencies": {"c": "2", "d": "1", "../outside": "1"}}"#,
        );
        // b's own c, nested under it; a finds the hoisted one
        write("node_modules/b/node_modules/c/package.json", "{}");
        write("node_modules/c/package.json", "{}");
        write("node_modules/d/package.json", "{}");
        write("outside/package.json", "{}");
        assert_eq!(
            dev_only_packages(dir.path()),
            [
                "node_modules/b",
                "node_modules/b/node_modules/c",
                "node_modules/d"
            ]
        );
    }
}
