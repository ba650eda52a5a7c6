//! `common/duplicate-package`: one package installed several times.
//!
//! npm nests a second copy when two dependents ask for incompatible ranges;
//! Python layers and functions can both carry a distribution. Only N−1
//! copies are reclaimable: one must stay, and the one kept is the highest
//! version (the copy most dependents can move to).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{Finding, Level, Location, Saving};
use crate::inventory::{normalize_name, Ecosystem, Inventory, Package};
use crate::lockfile::Lockfile;
use crate::units::human_bytes;

pub const RULE: &str = "common/duplicate-package";

pub fn duplicate_packages(inventory: &Inventory) -> Vec<Finding> {
    let mut groups: BTreeMap<(&str, String), Vec<usize>> = BTreeMap::new();
    for (i, p) in inventory.packages.iter().enumerate() {
        groups
            .entry((p.ecosystem.as_str(), normalize_name(p.ecosystem, &p.name)))
            .or_default()
            .push(i);
    }
    let mut findings = Vec::new();
    for indices in groups.into_values().filter(|g| g.len() > 1) {
        let packages: Vec<_> = indices.iter().map(|&i| &inventory.packages[i]).collect();
        let keep = (0..packages.len())
            .max_by(|&a, &b| {
                compare_versions(
                    packages[a].version.as_deref().unwrap_or(""),
                    packages[b].version.as_deref().unwrap_or(""),
                )
                .then(
                    packages[a]
                        .totals
                        .unzipped_bytes
                        .cmp(&packages[b].totals.unzipped_bytes),
                )
                .then(packages[b].path.cmp(&packages[a].path))
            })
            .unwrap_or(0);
        let mut saving = Saving::default();
        for (n, p) in packages.iter().enumerate() {
            if n != keep {
                saving.unzipped_bytes += p.totals.unzipped_bytes;
                saving.zipped_bytes += p.totals.zipped_bytes;
            }
        }
        let name = &packages[keep].name;
        let copies: Vec<String> = packages
            .iter()
            .map(|p| format!("{} ({})", p.version.as_deref().unwrap_or("?"), p.path))
            .collect();
        let first_extra = packages
            .iter()
            .enumerate()
            .find(|(n, _)| *n != keep)
            .map(|(_, p)| (p.manifest.clone(), p.manifest_line))
            .unwrap_or_default();
        findings.push(Finding {
            rule: RULE.to_string(),
            level: Level::Warn,
            message: format!(
                "{name} is installed {} times: {}; {} reclaimable",
                packages.len(),
                copies.join(", "),
                human_bytes(saving.unzipped_bytes)
            ),
            location: Location {
                path: first_extra.0,
                line: first_extra.1,
                column: None,
            },
            package: Some(name.clone()),
            saving: Some(saving),
            concerns: None,
            known: false,
            fix: Some(format!(
                "let one copy serve every dependent: widen or align the ranges that ask for {name}, or pin it once (npm `overrides`, yarn `resolutions`, pnpm `overrides`), then reinstall"
            )),
        });
    }
    findings
}

/// Orders versions the way people read them: numeric parts as numbers,
/// `1.0.0-beta` before `1.0.0`, anything else as text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (Vec<String>, bool) {
        let (main, pre) = match v.find(['-', '+']) {
            Some(at) => (&v[..at], v[at..].starts_with('-')),
            None => (v, false),
        };
        (main.split(['.', '_']).map(str::to_string).collect(), pre)
    };
    let (pa, pre_a) = split(a);
    let (pb, pre_b) = split(b);
    for i in 0..pa.len().max(pb.len()) {
        let x = pa.get(i).map(String::as_str).unwrap_or("0");
        let y = pb.get(i).map(String::as_str).unwrap_or("0");
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    // a pre-release sorts before its release
    pre_b.cmp(&pre_a)
}

/// The same package locked at several versions in a production install.
/// Sizes are unknown from a lockfile alone, so there is no byte saving.
pub fn locked_duplicates(lock: &Lockfile, production: &[usize]) -> Vec<Finding> {
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for &i in production {
        let p = &lock.packages[i];
        let versions = groups.entry(p.name.clone()).or_default();
        if !versions.contains(&p.version.as_str()) {
            versions.push(&p.version);
        }
    }
    groups
        .into_iter()
        .filter(|(_, versions)| versions.len() > 1)
        .map(|(name, mut versions)| {
            versions.sort_by(|a, b| compare_versions(a, b));
            let line = lock.packages.iter().find(|p| p.name == name).and_then(|p| p.line);
            Finding {
                rule: RULE.to_string(),
                level: Level::Warn,
                message: format!("{name} is locked at {} versions: {}", versions.len(), versions.join(", ")),
                location: Location { path: lock.path.display().to_string(), line: line.map(|l| l as u32), column: None },
                package: Some(name.clone()),
                saving: None,
                concerns: None,
                known: false,
                fix: Some(format!("let one version of {name} serve every dependent: align the ranges that ask for it, or pin it once with overrides/resolutions")),
            }
        })
        .collect()
}

pub const LAYER_RULE: &str = "common/duplicate-in-layer";

/// One of the function's layers, by the name findings give it.
pub struct LayerPackages<'a> {
    pub name: String,
    pub inventory: &'a Inventory,
}

/// Packages the function's package and one of its layers both carry where
/// the runtime finds them. Python imports the package's copy for everyone
/// (the task root is first on sys.path), so the layer's is never used by
/// this function. Node's requires from the function load the package's
/// copy and would find the layer's on NODE_PATH without it: reported when
/// both are the same version (another version is pinned by what needs
/// it). Dropping the package's copy saves its bytes in the deployment
/// package.
/// `runtime_version`: the runtime's language version (`3.12`, `20`), whose
/// layer folders alone are searched; any when unknown.
pub fn in_function_and_layers(
    function: &Inventory,
    layers: &[LayerPackages],
    runtime_version: Option<&str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for package in function.packages.iter().filter(|p| on_function_path(p)) {
        let key = (
            package.ecosystem,
            normalize_name(package.ecosystem, &package.name),
        );
        let in_layer = layers.iter().find_map(|layer| {
            let copy = layer.inventory.packages.iter().find(|p| {
                p.ecosystem == package.ecosystem
                    && normalize_name(p.ecosystem, &p.name) == key.1
                    && on_layer_path(p, runtime_version)
            })?;
            Some((layer, copy))
        });
        let Some((layer, copy)) = in_layer else {
            continue;
        };
        if !seen.insert(key.clone()) {
            continue;
        }
        let version = |p: &Package| p.version.clone().unwrap_or("?".into());
        let (ours, theirs) = (version(package), version(copy));
        // npm packages that pin another version need theirs: both copies load
        if package.ecosystem == Ecosystem::Npm && ours != theirs {
            continue;
        }
        let who = match package.ecosystem {
            Ecosystem::Npm => "the function's requires load the package's copy, and without it would find the layer's on NODE_PATH".to_string(),
            _ => "Python imports the package's copy (the task root comes first on sys.path), so the layer's is never used by this function".to_string(),
        };
        let fix = if ours == theirs {
            format!(
                "drop {} from the package and rely on the layer's (or drop the layer if the function needs nothing else from it)",
                package.name
            )
        } else {
            format!(
                "align the function's requirements with the layer's {theirs} and drop {} from the package, or drop it from the layer",
                package.name
            )
        };
        findings.push(Finding {
            rule: LAYER_RULE.to_string(),
            level: Level::Warn,
            message: format!(
                "{} {ours} ships in the package ({}) and in layer {} ({theirs}): {who}",
                package.name,
                human_bytes(package.totals.unzipped_bytes),
                layer.name
            ),
            location: Location {
                path: package.manifest.clone(),
                line: package.manifest_line,
                column: None,
            },
            package: Some(format!("{}@{ours}", package.name)),
            saving: Some(Saving::bytes(
                package.totals.unzipped_bytes,
                package.totals.zipped_bytes,
            )),
            concerns: None,
            known: false,
            fix: Some(fix),
        });
    }
    findings
}

/// A package at the top of the function's search path: `node_modules/x`
/// (or `node_modules/@scope/x`), or a distribution at the task root.
fn on_function_path(package: &Package) -> bool {
    match package.ecosystem {
        Ecosystem::Npm => package
            .path
            .strip_prefix("node_modules/")
            .is_some_and(top_level_npm),
        Ecosystem::Pypi => !package.path.contains('/'),
        _ => false,
    }
}

/// A package at the top of a layer folder the runtime searches.
fn on_layer_path(package: &Package, runtime_version: Option<&str>) -> bool {
    let Some(at) = crate::imports::mount::layer_folder(&package.path) else {
        return false;
    };
    at.searched_by(runtime_version)
        && match package.ecosystem {
            Ecosystem::Npm => at.folder.starts_with("nodejs/") && top_level_npm(at.inside),
            Ecosystem::Pypi => at.folder.starts_with("python/") && !at.inside.contains('/'),
            _ => false,
        }
}

/// `x` or `@scope/x`: a package directly in a node_modules folder.
fn top_level_npm(inside: &str) -> bool {
    match inside.strip_prefix('@') {
        Some(scoped) => scoped.matches('/').count() == 1,
        None => !inside.contains('/'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("2.10.0", "2.9.1"), Ordering::Greater);
        assert_eq!(compare_versions("1.0.0-beta.1", "1.0.0"), Ordering::Less);
        assert_eq!(compare_versions("2.9.0.post0", "2.9.0"), Ordering::Greater);
        assert_eq!(compare_versions("1.0", "1.0.0"), Ordering::Equal);
    }
}
