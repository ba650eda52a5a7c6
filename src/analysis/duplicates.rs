//! `common/duplicate-package`: one package installed several times.
//!
//! npm nests a second copy when two dependents ask for incompatible ranges;
//! Python layers and functions can both carry a distribution. Only N−1
//! copies are reclaimable: one must stay, and the one kept is the highest
//! version (the copy most dependents can move to).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{Finding, Level, Location, Saving};
use crate::inventory::{normalize_name, Inventory};
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
