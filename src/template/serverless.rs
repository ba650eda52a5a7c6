//! The Serverless Framework's packaging of a service folder, so that
//! auditing the folder audits what `serverless package` would zip.

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
/// yarn, a hoisted pnpm): so does this, with the installed tree read as a
/// lockfile (as a zip's is, see `lockfile::installed_npm`).
fn dev_only_packages(dir: &Path) -> Vec<String> {
    let Ok(root) = std::fs::read_to_string(dir.join("package.json")) else {
        return Vec::new();
    };
    let lock = crate::lockfile::installed_npm("package.json", &root, installed_packages(dir));
    let mut dev_only: Vec<String> = lock
        .packages
        .into_iter()
        .filter(|p| p.dev == Some(true))
        .map(|p| p.key)
        .collect();
    dev_only.sort();
    dev_only
}

/// Every package installed under the service's `node_modules`, nested
/// ones included: a folder right under a `node_modules` (or its `@scope`)
/// with a package.json. Symlinks are not followed.
fn installed_packages(dir: &Path) -> Vec<crate::lockfile::LockedPackage> {
    let read = |path: &Path| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    };
    walkdir::WalkDir::new(dir.join("node_modules"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name() == "package.json")
        .filter_map(|e| {
            let folder = e.path().parent()?.strip_prefix(dir).ok()?;
            let folder = folder.to_str()?.replace('\\', "/");
            let (above, name) = folder.rsplit_once('/')?;
            let package_root = above.ends_with("node_modules")
                || above.rsplit_once('/').is_some_and(|(up, scope)| {
                    scope.starts_with('@') && up.ends_with("node_modules")
                });
            let manifest = read(e.path()).filter(|_| package_root && !name.starts_with('.'))?;
            Some(crate::lockfile::installed_manifest(&folder, &manifest))
        })
        .collect()
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
        // a name climbing out of node_modules is no package; a file inside
        // a package is none either
        write(
            "node_modules/a/package.json",
            r#"{"dependencies": {"c": "1"}}"#,
        );
        write("node_modules/a/lib/package.json", r#"{"type": "module"}"#);
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
