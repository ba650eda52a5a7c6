//! `requirements.txt`: pins (`name==1.0`), hashes, `-r` includes, markers,
//! extras, editable and URL requirements. pip-compile's `# via` comments
//! give the edges; without them every line is a direct dependency. A line
//! that does not pin a version is reported, since it does not lock anything.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{Requirement, VersionOrUrl};

use super::{LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError};
use crate::artifact::Warning;
use crate::inventory::{normalize_name, DependencyKind, Ecosystem};

const MAX_INCLUDE_DEPTH: usize = 16;

/// Options that take a value and say nothing about what is installed.
const IGNORED_WITH_VALUE: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "-c",
    "--constraint",
    "--no-binary",
    "--only-binary",
    "--use-feature",
    "--config-settings",
];

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let mut lock = Lockfile::new(path, LockFormat::Requirements, Ecosystem::Pypi);
    let mut via: Vec<(usize, Vec<String>)> = Vec::new();
    let mut seen_files = HashSet::new();
    read_file(path, text, 0, &mut seen_files, &mut lock, &mut via)?;

    // `# via x` names the dependents; `# via -r file` marks a direct one
    let by_name: Vec<String> = lock
        .packages
        .iter()
        .map(|p| normalize_name(Ecosystem::Pypi, &p.name))
        .collect();
    let mut direct = vec![true; lock.packages.len()];
    for (child, dependents) in &via {
        let mut from_file = false;
        let mut from_package = false;
        for dependent in dependents {
            if dependent.starts_with("-r") || dependent.starts_with("-c") {
                from_file = true;
                continue;
            }
            let wanted = normalize_name(Ecosystem::Pypi, dependent);
            if let Some(parent) = by_name.iter().position(|n| *n == wanted) {
                from_package = true;
                let child_package = &lock.packages[*child];
                let edge = LockedDependency {
                    name: child_package.name.clone(),
                    requirement: child_package.version.clone(),
                    kind: DependencyKind::Normal,
                    target: Some(*child),
                };
                lock.packages[parent].dependencies.push(edge);
            }
        }
        direct[*child] = from_file || !from_package;
    }
    for (i, p) in lock.packages.iter_mut().enumerate() {
        // what a requirements file lists is what gets installed
        p.dev = Some(false);
        if direct[i] {
            lock.root.push(LockedDependency {
                name: p.name.clone(),
                requirement: p.version.clone(),
                kind: DependencyKind::Normal,
                target: Some(i),
            });
        }
    }
    Ok(lock)
}

fn read_file(
    path: &Path,
    text: &str,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    lock: &mut Lockfile,
    via: &mut Vec<(usize, Vec<String>)>,
) -> Result<(), LockfileError> {
    seen.insert(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()));
    let top = depth == 0;
    let mut last_package: Option<usize> = None;
    let mut in_via = false;
    for (line_number, line) in logical_lines(text) {
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let comment = comment.trim();
            if let (Some(child), Some(rest)) = (last_package, comment.strip_prefix("via")) {
                in_via = true;
                let names: Vec<String> = rest
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                push_via(via, child, names);
            } else if let (true, Some(child)) = (in_via, last_package) {
                push_via(via, child, vec![comment.to_string()]);
            }
            continue;
        }
        in_via = false;
        let content = strip_comment(trimmed);
        if content.is_empty() {
            continue;
        }
        let at = Some(line_number).filter(|_| top);
        if let Some(rest) = content
            .strip_prefix("-r")
            .or_else(|| content.strip_prefix("--requirement"))
        {
            let include = rest.trim_start_matches('=').trim();
            let include_path = path.parent().unwrap_or(Path::new(".")).join(include);
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(LockfileError::new(
                    path,
                    Some(line_number),
                    "requirement files include each other too deeply",
                ));
            }
            let key = include_path
                .canonicalize()
                .unwrap_or_else(|_| include_path.clone());
            if seen.contains(&key) {
                continue;
            }
            let included = std::fs::read_to_string(&include_path).map_err(|e| {
                LockfileError::new(
                    path,
                    Some(line_number),
                    format!("cannot read the included {}: {e}", include_path.display()),
                )
            })?;
            read_file(&include_path, &included, depth + 1, seen, lock, via)?;
            continue;
        }
        if content.starts_with('-')
            && !content.starts_with("-e")
            && !content.starts_with("--editable")
        {
            let option = content.split([' ', '=']).next().unwrap_or("");
            if !IGNORED_WITH_VALUE.contains(&option) && !option.starts_with("--") {
                lock.warnings.push(Warning::at(
                    format!("{}:{line_number}", path.display()),
                    format!("option {option} not understood; line skipped"),
                ));
            }
            continue;
        }
        let (editable, spec) = match content
            .strip_prefix("-e")
            .or_else(|| content.strip_prefix("--editable"))
        {
            Some(rest) => (true, rest.trim()),
            None => (false, content),
        };
        let spec = strip_hashes(spec);
        let package = if editable
            || spec.starts_with('.')
            || spec.starts_with('/')
            || spec.contains("://") && !spec.contains(" @ ")
        {
            // a path or URL: the name is in `#egg=` when anywhere
            let name = spec
                .split("#egg=")
                .nth(1)
                .map(|n| n.split(['&', '[']).next().unwrap_or(n))
                .unwrap_or(spec);
            let mut package = LockedPackage::new(name, "");
            package.source = Some(spec.split('#').next().unwrap_or(spec).to_string());
            package
        } else {
            let requirement =
                Requirement::<pep508_rs::VerbatimUrl>::from_str(spec).map_err(|e| {
                    LockfileError::new(
                        path,
                        Some(line_number),
                        format!("not a requirement: {}", e.message),
                    )
                })?;
            let name = requirement.name.to_string();
            match &requirement.version_or_url {
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                    let pinned = specifiers
                        .iter()
                        .next()
                        .filter(|_| specifiers.len() == 1)
                        .and_then(|s| {
                            matches!(s.operator().to_string().as_str(), "==" | "===")
                                .then(|| s.version().to_string())
                        });
                    match pinned.filter(|v| !v.contains('*')) {
                        Some(version) => LockedPackage::new(name, version),
                        None => {
                            lock.warnings.push(Warning::at(
                                format!("{}:{line_number}", path.display()),
                                format!("{name} is not pinned ({specifiers}); the installed version can change between builds"),
                            ));
                            LockedPackage::new(name, "")
                        }
                    }
                }
                Some(VersionOrUrl::Url(url)) => {
                    let mut package = LockedPackage::new(name, "");
                    package.source = Some(url.to_string());
                    package
                }
                None => {
                    lock.warnings.push(Warning::at(
                        format!("{}:{line_number}", path.display()),
                        format!("{name} has no version; the installed version can change between builds"),
                    ));
                    LockedPackage::new(name, "")
                }
            }
        };
        let mut package = package;
        package.line = at;
        package.integrity = content
            .split_whitespace()
            .find_map(|w| w.strip_prefix("--hash="))
            .map(str::to_string);
        let wanted = normalize_name(Ecosystem::Pypi, &package.name);
        last_package = match lock
            .packages
            .iter()
            .position(|p| normalize_name(Ecosystem::Pypi, &p.name) == wanted)
        {
            Some(existing) => Some(existing),
            None => {
                lock.packages.push(package);
                Some(lock.packages.len() - 1)
            }
        };
    }
    Ok(())
}

fn push_via(via: &mut Vec<(usize, Vec<String>)>, child: usize, names: Vec<String>) {
    match via.iter_mut().find(|(c, _)| *c == child) {
        Some((_, list)) => list.extend(names),
        None => via.push((child, names)),
    }
}

/// Physical lines joined at trailing backslashes, with the number of the
/// first physical line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (n, line) in text.lines().enumerate() {
        if current.is_empty() {
            start = n + 1;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push((start, std::mem::take(&mut current)));
            }
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

/// pip ends a requirement at ` #`; a `#` inside a URL fragment stays.
fn strip_comment(line: &str) -> &str {
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => line[..at].trim(),
        None => line,
    }
}

fn strip_hashes(spec: &str) -> &str {
    match spec.find(" --hash") {
        Some(at) => spec[..at].trim(),
        None => spec.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join() {
        let lines = logical_lines("a==1 \\\n    --hash=sha256:x\nb==2\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].0, 3);
        assert!(lines[0].1.contains("--hash=sha256:x"));
    }
}
