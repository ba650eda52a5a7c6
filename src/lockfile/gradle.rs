//! `gradle.lockfile`: `group:artifact:version=configuration,…` per line.
//! A dependency only on test configurations is development-only. Gradle
//! records no edges.

use std::path::Path;

use super::{LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError};
use crate::inventory::{DependencyKind, Ecosystem};

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let mut lock = Lockfile::new(path, LockFormat::Gradle, Ecosystem::Maven);
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let (coordinates, configurations) = line.split_once('=').unwrap_or((line, ""));
        let parts: Vec<&str> = coordinates.split(':').collect();
        let [group, artifact, version] = parts.as_slice() else {
            return Err(LockfileError::new(
                path,
                Some(n + 1),
                format!("expected group:artifact:version=configurations, found {line:?}"),
            ));
        };
        let test_only = !configurations.is_empty()
            && configurations
                .split(',')
                .all(|c| c.trim().to_ascii_lowercase().starts_with("test"));
        let mut package = LockedPackage::new(format!("{group}:{artifact}"), *version);
        package.dev = Some(test_only);
        package.line = Some(n + 1);
        lock.root.push(LockedDependency {
            name: package.name.clone(),
            requirement: version.to_string(),
            kind: if test_only {
                DependencyKind::Dev
            } else {
                DependencyKind::Normal
            },
            target: Some(lock.packages.len()),
        });
        lock.packages.push(package);
    }
    Ok(lock)
}
