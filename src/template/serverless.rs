//! The Serverless Framework's packaging of a service folder, so that
//! auditing the folder audits what `serverless package` would zip.

use std::path::Path;

use serde_norway::Value;

use crate::artifact::{LeftOut, Packaging, Part};

/// What `serverless package` leaves out of the service folder it zips:
/// its own files and git's, the development-only packages of the
/// service's package-lock.json (unless `excludeDevDependencies: false`),
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
    let lockfile = dir.join("package-lock.json");
    if dev_excluded && lockfile.is_file() {
        if let Ok(lock) = crate::lockfile::load(&lockfile) {
            globs.extend(
                lock.packages
                    .iter()
                    .filter(|p| p.dev == Some(true) && p.key.starts_with("node_modules/"))
                    .map(|p| format!("!{}/**", p.key)),
            );
        }
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
