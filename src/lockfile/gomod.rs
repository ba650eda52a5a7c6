//! Go functions: `go.mod` (the module's requirements, `// indirect` for
//! those it does not import itself) with hashes from the `go.sum` beside
//! it. Neither file records edges, so the graph is flat.

use std::path::Path;

use super::{LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError};
use crate::inventory::{DependencyKind, Ecosystem};

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let mut lock = Lockfile::new(path, LockFormat::GoMod, Ecosystem::Go);
    let mut in_block: Option<String> = None;
    let mut seen_module = false;
    for (n, raw) in text.lines().enumerate() {
        let line_number = n + 1;
        let (code, comment) = match raw.find("//") {
            Some(at) => (raw[..at].trim(), raw[at + 2..].trim()),
            None => (raw.trim(), ""),
        };
        if code.is_empty() {
            continue;
        }
        if code == ")" {
            in_block = None;
            continue;
        }
        let (directive, rest) = match &in_block {
            Some(block) => (block.as_str(), code),
            None => {
                let (directive, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
                let rest = rest.trim();
                if rest == "(" {
                    in_block = Some(directive.to_string());
                    continue;
                }
                (directive, rest)
            }
        };
        match directive {
            "module" => {
                lock.project = Some(rest.trim_matches('"').to_string());
                seen_module = true;
            }
            "require" => {
                let mut parts = rest.split_whitespace();
                let (Some(module), Some(version)) = (parts.next(), parts.next()) else {
                    return Err(LockfileError::new(
                        path,
                        Some(line_number),
                        "expected `require module version`",
                    ));
                };
                let mut package = LockedPackage::new(module.trim_matches('"'), version);
                package.line = Some(line_number);
                package.dev = Some(false);
                let indirect = comment.split(';').any(|c| c.trim() == "indirect");
                if !indirect {
                    lock.root.push(LockedDependency {
                        name: package.name.clone(),
                        requirement: version.to_string(),
                        kind: DependencyKind::Normal,
                        target: Some(lock.packages.len()),
                    });
                }
                lock.packages.push(package);
            }
            "go" | "toolchain" | "replace" | "exclude" | "retract" | "godebug" | "tool"
            | "ignore" => {}
            other => {
                return Err(LockfileError::new(
                    path,
                    Some(line_number),
                    format!("unknown go.mod directive {other:?}"),
                ));
            }
        }
    }
    if !seen_module {
        return Err(LockfileError::new(
            path,
            None,
            "no `module` line: not a go.mod",
        ));
    }
    if let Some(sums) = super::sibling(path, "go.sum") {
        for line in sums.lines() {
            let mut parts = line.split_whitespace();
            let (Some(module), Some(version), Some(hash)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if let Some(p) = lock
                .packages
                .iter_mut()
                .find(|p| p.name == module && p.version == version)
            {
                p.integrity = Some(hash.to_string());
            }
        }
    }
    Ok(lock)
}
