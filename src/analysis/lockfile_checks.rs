//! What the lockfile says against what the artifact holds:
//! `node/dev-dependency-shipped`, `python/dev-dependency-shipped` and
//! `common/lockfile-drift`.

use std::collections::{HashMap, HashSet, VecDeque};

use super::{Finding, Level, Location, Saving};
use crate::artifact::Artifact;
use crate::inventory::{normalize_name, DependencyKind, Ecosystem, Inventory, Layout};
use crate::lockfile::{LockFormat, LockedDependency, Lockfile};
use crate::units::human_bytes;

pub const DRIFT: &str = "common/lockfile-drift";

/// Lockfile entry matched to each inventory package, if any.
pub fn match_packages(inventory: &Inventory, lock: &Lockfile) -> Vec<Option<usize>> {
    let by_path = matches!(
        lock.format,
        LockFormat::NpmV1
            | LockFormat::NpmV2
            | LockFormat::NpmV3
            | LockFormat::Bun
            | LockFormat::InstalledNpm
    );
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    let mut by_name_version: HashMap<(String, &str), usize> = HashMap::new();
    for (i, p) in lock.packages.iter().enumerate() {
        by_key.entry(p.key.as_str()).or_insert(i);
        by_name_version
            .entry((normalize_name(lock.ecosystem, &p.name), p.version.as_str()))
            .or_insert(i);
    }
    inventory
        .packages
        .iter()
        .map(|p| {
            if p.ecosystem != lock.ecosystem {
                return None;
            }
            let version = p.version.as_deref().unwrap_or("");
            if by_path {
                // the same install path at another version is drift, not a match
                if let Some(&i) = by_key.get(install_key(&p.path)) {
                    return (lock.packages[i].version == version).then_some(i);
                }
            }
            by_name_version
                .get(&(normalize_name(p.ecosystem, &p.name), version))
                .copied()
        })
        .collect()
}

/// Without an npm lockfile, the function's own package.json (at the root
/// of the artifact) and the packages installed beside it, read as one: a
/// package only its devDependencies reach is development-only. `None`
/// when it lists no devDependencies.
pub fn installed_project(artifact: &Artifact, inventory: &Inventory) -> Option<Lockfile> {
    if inventory.layout != Layout::Function {
        return None;
    }
    let manifest = artifact.read_text(artifact.find("package.json")?).ok()?;
    let json: serde_json::Value = serde_json::from_str(&manifest).ok()?;
    json.get("devDependencies")?
        .as_object()
        .filter(|dev| !dev.is_empty())?;
    let installed = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Npm && p.path.starts_with("node_modules/"))
        .map(|p| {
            let dependencies = p
                .dependencies
                .iter()
                .map(|d| LockedDependency {
                    name: d.name.clone(),
                    requirement: d.requirement.clone(),
                    kind: d.kind,
                    target: None,
                })
                .collect();
            let version = p.version.as_deref().unwrap_or_default();
            crate::lockfile::installed_package(&p.path, &p.name, version, dependencies)
        })
        .collect();
    Some(crate::lockfile::installed_npm(
        "package.json",
        &manifest,
        installed,
    ))
}

/// `nodejs/node20/node_modules/a` → `node_modules/a`, the lockfile's key.
fn install_key(path: &str) -> &str {
    path.find("node_modules/")
        .map(|at| &path[at..])
        .unwrap_or(path)
}

/// Development-only packages found in the artifact, one finding per
/// development dependency of the project that brought them, with each
/// shipped package counted once.
pub fn dev_dependencies_shipped(
    inventory: &Inventory,
    lock: &Lockfile,
    matched: &[Option<usize>],
) -> Vec<Finding> {
    let shipped_dev: HashMap<usize, usize> = matched
        .iter()
        .enumerate()
        .filter_map(|(pkg, m)| {
            m.filter(|&l| lock.packages[l].dev == Some(true))
                .map(|l| (l, pkg))
        })
        .collect();
    if shipped_dev.is_empty() {
        return Vec::new();
    }
    let rule = match lock.ecosystem {
        Ecosystem::Npm => "node/dev-dependency-shipped",
        Ecosystem::Pypi => "python/dev-dependency-shipped",
        _ => "common/dev-dependency-shipped",
    };
    // each dev root claims the shipped dev packages it reaches first
    let mut claimed: HashSet<usize> = HashSet::new();
    let mut findings = Vec::new();
    let mut roots: Vec<(String, usize)> = lock
        .root
        .iter()
        .filter(|d| d.kind == DependencyKind::Dev)
        .filter_map(|d| d.target.map(|t| (d.name.clone(), t)))
        .collect();
    roots.sort();
    for (declared, start) in roots {
        let mut group: Vec<usize> = Vec::new();
        let mut queue = VecDeque::from([start]);
        let mut seen = HashSet::new();
        while let Some(l) = queue.pop_front() {
            if !seen.insert(l) || lock.packages[l].dev != Some(true) {
                continue;
            }
            if let Some(&pkg) = shipped_dev.get(&l) {
                if claimed.insert(l) {
                    group.push(pkg);
                }
            }
            queue.extend(
                lock.packages[l]
                    .dependencies
                    .iter()
                    .filter_map(|d| d.target),
            );
        }
        if group.is_empty() {
            continue;
        }
        findings.push(dev_finding(
            rule,
            inventory,
            lock,
            &declared,
            &group,
            shipped_dev
                .iter()
                .find(|(l, _)| **l == start)
                .map(|(_, p)| *p),
        ));
    }
    let rest: Vec<usize> = shipped_dev
        .iter()
        .filter(|(l, _)| !claimed.contains(l))
        .map(|(_, &p)| p)
        .collect();
    if !rest.is_empty() {
        findings.push(dev_finding(rule, inventory, lock, "", &rest, None));
    }
    findings
}

fn dev_finding(
    rule: &str,
    inventory: &Inventory,
    lock: &Lockfile,
    declared: &str,
    group: &[usize],
    head: Option<usize>,
) -> Finding {
    let mut saving = Saving::default();
    for &p in group {
        saving.unzipped_bytes += inventory.packages[p].totals.unzipped_bytes;
        saving.zipped_bytes += inventory.packages[p].totals.zipped_bytes;
    }
    let (message, location, package) = match head {
        Some(h) => {
            let p = &inventory.packages[h];
            let more = group.len() - 1;
            (
                format!(
                    "{} is a development dependency ({}) but ships in the package{}; {}",
                    p.label(),
                    declared,
                    if more > 0 {
                        format!(" with {more} more packages only development needs")
                    } else {
                        String::new()
                    },
                    human_bytes(saving.unzipped_bytes)
                ),
                p.path.clone(),
                Some(p.label()),
            )
        }
        None => {
            let mut names: Vec<String> = group
                .iter()
                .map(|&p| inventory.packages[p].label())
                .collect();
            names.sort();
            let shown = names.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
            let more = names.len().saturating_sub(8);
            (
                format!(
                    "{} development-only packages ship in the package: {shown}{}; {}",
                    names.len(),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    },
                    human_bytes(saving.unzipped_bytes)
                ),
                inventory.packages[group[0]].path.clone(),
                None,
            )
        }
    };
    let fix = match lock.ecosystem {
        Ecosystem::Npm => "install for production before packaging: `npm ci --omit=dev` (yarn: `yarn workspaces focus --production`, pnpm: `pnpm install --prod`)",
        Ecosystem::Pypi => "install only the main group: `poetry install --only main`, `uv sync --no-dev`, `pipenv install --deploy` without `--dev`, or a requirements file without dev tools",
        _ => "build the package from production dependencies only",
    };
    Finding {
        rule: rule.to_string(),
        level: Level::Warn,
        message,
        location: Location {
            path: location,
            line: None,
            column: None,
        },
        package,
        saving: Some(saving),
        concerns: None,
        known: false,
        fix: Some(fix.to_string()),
    }
}

/// Installed versions that differ from the lockfile, packages installed but
/// not locked, and production packages locked but missing.
pub fn drift(inventory: &Inventory, lock: &Lockfile, matched: &[Option<usize>]) -> Vec<Finding> {
    let lock_path = lock.path.display().to_string();
    let mut findings = Vec::new();
    let mut locked_by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in lock.packages.iter().enumerate() {
        locked_by_name
            .entry(normalize_name(lock.ecosystem, &p.name))
            .or_default()
            .push(i);
    }
    let mut unlocked = Vec::new();
    for (pkg, m) in inventory.packages.iter().zip(matched) {
        if pkg.ecosystem != lock.ecosystem || m.is_some() {
            continue;
        }
        let installed = pkg.version.as_deref().unwrap_or("?");
        match locked_by_name.get(&normalize_name(pkg.ecosystem, &pkg.name)) {
            Some(candidates) => {
                let versions: Vec<&str> = candidates
                    .iter()
                    .map(|&i| lock.packages[i].version.as_str())
                    .collect();
                let first = &lock.packages[candidates[0]];
                findings.push(Finding {
                    rule: DRIFT.to_string(),
                    level: Level::Warn,
                    message: format!(
                        "{} {installed} is installed at {}, the lockfile has {}",
                        pkg.name,
                        pkg.path,
                        versions.join(", ")
                    ),
                    location: Location { path: lock_path.clone(), line: first.line.map(|l| l as u32), column: None },
                    package: Some(format!("{}@{installed}", pkg.name)),
                    saving: None,
                    concerns: None,
                    known: false,
                    fix: Some("rebuild the package from the lockfile (`npm ci`, `poetry install --sync`, `uv sync --frozen`) instead of a fresh install".to_string()),
                });
            }
            None => unlocked.push(format!("{}@{installed}", pkg.name)),
        }
    }
    if !unlocked.is_empty() {
        unlocked.sort();
        findings.push(Finding {
            rule: DRIFT.to_string(),
            level: Level::Warn,
            message: format!("{} installed packages are not in the lockfile: {}", unlocked.len(), list(&unlocked)),
            location: Location { path: lock_path.clone(), line: None, column: None },
            package: None,
            saving: None,
            concerns: None,
            known: false,
            fix: Some("add them to the project's dependencies and lock again, or stop copying them into the package".to_string()),
        });
    }
    let present: HashSet<usize> = matched.iter().flatten().copied().collect();
    let present_names: HashSet<String> = inventory
        .packages
        .iter()
        .map(|p| normalize_name(p.ecosystem, &p.name))
        .collect();
    let mut missing: Vec<String> = lock
        .production()
        .into_iter()
        .filter(|i| !present.contains(i) && !lock.packages[*i].optional)
        .filter(|i| {
            !present_names.contains(&normalize_name(lock.ecosystem, &lock.packages[*i].name))
        })
        .map(|i| format!("{}@{}", lock.packages[i].name, lock.packages[i].version))
        .collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        findings.push(Finding {
            rule: DRIFT.to_string(),
            level: Level::Warn,
            message: format!("{} production packages in the lockfile are missing from the package: {}", missing.len(), list(&missing)),
            location: Location { path: lock_path, line: None, column: None },
            package: None,
            saving: None,
            concerns: None,
            known: false,
            fix: Some("check that the build installs from this lockfile; a runtime-provided SDK or a bundler can explain some".to_string()),
        });
    }
    findings
}

fn list(names: &[String]) -> String {
    let shown = names
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        format!("{shown} and {} more", names.len() - 10)
    } else {
        shown
    }
}
