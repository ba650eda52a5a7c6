//! Two reports → what changed: totals, packages added, removed, changed in
//! version, grown or shrunk, and findings new and fixed. Both sides are JSON
//! reports (an artifact is audited into one first), so a report saved by an
//! earlier CI run compares just as well as a fresh zip.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::estimate::MsRange;
use crate::gate::fingerprint_json;

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub schema_version: u32,
    pub base: String,
    pub head: String,
    pub artifacts: Vec<ArtifactDiff>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Delta {
    pub base: u64,
    pub head: u64,
    pub change: i64,
    /// Change relative to the base, in percent (`null` when the base is 0).
    pub percent: Option<f64>,
}

impl Delta {
    fn new(base: u64, head: u64) -> Delta {
        Delta {
            base,
            head,
            change: head as i64 - base as i64,
            percent: (base > 0).then(|| (head as f64 - base as f64) * 100.0 / base as f64),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PackageChange {
    pub ecosystem: String,
    pub name: String,
    /// Versions installed on each side (several when installed several times).
    pub base_versions: Vec<String>,
    pub head_versions: Vec<String>,
    pub unzipped: Delta,
    pub zipped: Delta,
}

/// A package inside a bundle (by the bundle's path) that came, went or
/// changed; its bytes are its share of the bundle.
#[derive(Clone, Debug, Serialize)]
pub struct BundledChange {
    pub bundle: String,
    pub name: String,
    /// added, removed, version or resized
    pub change: &'static str,
    pub base_versions: Vec<String>,
    pub head_versions: Vec<String>,
    pub bytes: Delta,
}

#[derive(Debug, Serialize)]
pub struct InitChange {
    pub base: MsRange,
    pub head: MsRange,
    /// Head's midpoint minus base's, in ms.
    pub change: f64,
}

impl InitChange {
    fn from_reports(base: &Value, head: &Value) -> Option<InitChange> {
        let range = |side: &Value| -> Option<MsRange> {
            serde_json::from_value(side["init"]["estimate_ms"].clone()).ok()
        };
        let (base, head) = (range(base)?, range(head)?);
        let mid = |r: &MsRange| (r.low + r.high) / 2.0;
        Some(InitChange {
            change: ((mid(&head) - mid(&base)) * 10.0).round() / 10.0,
            base,
            head,
        })
    }

    /// "+12 ms" / "−3.5 ms" / "±0"
    pub fn change_text(&self) -> String {
        match self.change {
            c if c.abs() < 0.05 => "±0".to_string(),
            c if c > 0.0 => format!("+{c:.1} ms"),
            c => format!("−{:.1} ms", -c),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ArtifactDiff {
    pub path: String,
    pub zipped: Delta,
    pub unzipped: Delta,
    pub files: Delta,
    /// Bytes the handler loads at init, when both reports know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded: Option<Delta>,
    /// The init-time estimates, when both reports have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_ms: Option<InitChange>,
    pub added: Vec<PackageChange>,
    pub removed: Vec<PackageChange>,
    pub version_changed: Vec<PackageChange>,
    /// Same versions, different size (rebuilt, pruned, …).
    pub resized: Vec<PackageChange>,
    /// Packages inside the function's bundles, largest change first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bundled: Vec<BundledChange>,
    pub new_findings: Vec<Value>,
    pub fixed_findings: Vec<Value>,
    /// Head's gate verdict, when the head report has one.
    pub gate_passed: Option<bool>,
}

impl ArtifactDiff {
    /// Every package change, largest change in unzipped bytes first.
    pub fn biggest_changes(&self) -> Vec<(&'static str, &PackageChange)> {
        let mut all: Vec<(&'static str, &PackageChange)> = self
            .added
            .iter()
            .map(|p| ("added", p))
            .chain(self.removed.iter().map(|p| ("removed", p)))
            .chain(self.version_changed.iter().map(|p| ("version", p)))
            .chain(self.resized.iter().map(|p| ("resized", p)))
            .collect();
        all.sort_by(|a, b| {
            b.1.unzipped
                .change
                .unsigned_abs()
                .cmp(&a.1.unzipped.change.unsigned_abs())
                .then(a.1.name.cmp(&b.1.name))
        });
        all
    }
}

/// Per package name: versions and summed sizes on one side.
#[derive(Default)]
struct Side {
    versions: Vec<String>,
    unzipped: u64,
    zipped: u64,
}

fn packages(artifact: &Value) -> BTreeMap<(String, String), Side> {
    let mut out: BTreeMap<(String, String), Side> = BTreeMap::new();
    for p in artifact["packages"].as_array().into_iter().flatten() {
        let key = (
            p["ecosystem"].as_str().unwrap_or("").to_string(),
            p["name"].as_str().unwrap_or("").to_string(),
        );
        let side = out.entry(key).or_default();
        let version = p["version"].as_str().unwrap_or("?").to_string();
        if !side.versions.contains(&version) {
            side.versions.push(version);
        }
        side.unzipped += p["unzipped_bytes"].as_u64().unwrap_or(0);
        side.zipped += p["zipped_bytes"].as_u64().unwrap_or(0);
    }
    for side in out.values_mut() {
        side.versions.sort();
    }
    out
}

/// Per bundle path and package name: versions and bytes in the bundle.
fn bundled(artifact: &Value) -> BTreeMap<(String, String), Side> {
    let mut out: BTreeMap<(String, String), Side> = BTreeMap::new();
    for bundle in artifact["bundles"].as_array().into_iter().flatten() {
        let path = bundle["path"].as_str().unwrap_or("");
        for p in bundle["packages"].as_array().into_iter().flatten() {
            let key = (
                path.to_string(),
                p["name"].as_str().unwrap_or("").to_string(),
            );
            let side = out.entry(key).or_default();
            // a bundle knows versions only from a lockfile or pnpm's paths
            if let Some(version) = p["version"].as_str() {
                if !side.versions.iter().any(|v| v == version) {
                    side.versions.push(version.to_string());
                    side.versions.sort();
                }
            }
            side.unzipped += p["bytes"].as_u64().unwrap_or(0);
        }
    }
    out
}

/// What happened to a package between the two sides, if anything.
fn change_of(base: Option<&Side>, head: Option<&Side>) -> Option<&'static str> {
    match (base, head) {
        (None, Some(_)) => Some("added"),
        (Some(_), None) => Some("removed"),
        (Some(b), Some(h)) if b.versions != h.versions => Some("version"),
        (Some(b), Some(h)) if b.unzipped != h.unzipped => Some("resized"),
        _ => None,
    }
}

fn finding_prints(artifact: &Value) -> Vec<(String, &Value)> {
    artifact["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (fingerprint_json(f), f))
        .collect()
}

/// Compares two reports, pairing artifacts by the functions they deploy as
/// when every artifact names them (a CDK asset's folder changes name with
/// its contents), else by position.
pub fn diff(base_label: &str, base: &Value, head_label: &str, head: &Value) -> DiffReport {
    let empty = Vec::new();
    let base_artifacts = base["artifacts"].as_array().unwrap_or(&empty);
    let head_artifacts = head["artifacts"].as_array().unwrap_or(&empty);
    let null = Value::Null;
    let artifacts = pairs(base_artifacts, head_artifacts)
        .into_iter()
        .map(|(b, h)| {
            diff_artifact(
                b.map_or(&null, |i| &base_artifacts[i]),
                h.map_or(&null, |i| &head_artifacts[i]),
            )
        })
        .collect();
    DiffReport {
        schema_version: crate::report::SCHEMA_VERSION,
        base: base_label.to_string(),
        head: head_label.to_string(),
        artifacts,
    }
}

/// (base, head) artifact indexes to compare: head's order, then what base
/// alone has.
fn pairs(base: &[Value], head: &[Value]) -> Vec<(Option<usize>, Option<usize>)> {
    let deployed = |a: &Value| {
        a["deployed_as"]
            .as_array()
            .filter(|d| !d.is_empty())
            .cloned()
    };
    let named = base.iter().chain(head).all(|a| deployed(a).is_some());
    if !named || base.is_empty() || head.is_empty() {
        return (0..base.len().max(head.len()))
            .map(|i| ((i < base.len()).then_some(i), (i < head.len()).then_some(i)))
            .collect();
    }
    let mut paired = Vec::new();
    let mut matched = vec![false; base.len()];
    for (h, artifact) in head.iter().enumerate() {
        let found =
            (0..base.len()).find(|&b| !matched[b] && deployed(&base[b]) == deployed(artifact));
        if let Some(b) = found {
            matched[b] = true;
        }
        paired.push((found, Some(h)));
    }
    paired.extend(
        (0..base.len())
            .filter(|&b| !matched[b])
            .map(|b| (Some(b), None)),
    );
    paired
}

fn diff_artifact(base: &Value, head: &Value) -> ArtifactDiff {
    let number = |v: &Value, key: &str| v[key].as_u64().unwrap_or(0);
    let base_packages = packages(base);
    let head_packages = packages(head);
    let empty = Side::default();
    let mut diff = ArtifactDiff {
        path: head["path"]
            .as_str()
            .or(base["path"].as_str())
            .unwrap_or("")
            .to_string(),
        zipped: Delta::new(number(base, "zipped_bytes"), number(head, "zipped_bytes")),
        unzipped: Delta::new(
            number(base, "unzipped_bytes"),
            number(head, "unzipped_bytes"),
        ),
        files: Delta::new(number(base, "files"), number(head, "files")),
        loaded: match (
            base["init"]["loaded_bytes"].as_u64(),
            head["init"]["loaded_bytes"].as_u64(),
        ) {
            (Some(b), Some(h)) => Some(Delta::new(b, h)),
            _ => None,
        },
        init_ms: InitChange::from_reports(base, head),
        added: Vec::new(),
        removed: Vec::new(),
        version_changed: Vec::new(),
        resized: Vec::new(),
        bundled: Vec::new(),
        new_findings: Vec::new(),
        fixed_findings: Vec::new(),
        gate_passed: head["gate"]["passed"].as_bool(),
    };
    let keys: Vec<&(String, String)> = base_packages
        .keys()
        .chain(head_packages.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for key in keys {
        let (b, h) = (base_packages.get(key), head_packages.get(key));
        let (bs, hs) = (b.unwrap_or(&empty), h.unwrap_or(&empty));
        let change = PackageChange {
            ecosystem: key.0.clone(),
            name: key.1.clone(),
            base_versions: bs.versions.clone(),
            head_versions: hs.versions.clone(),
            unzipped: Delta::new(bs.unzipped, hs.unzipped),
            zipped: Delta::new(bs.zipped, hs.zipped),
        };
        match change_of(b, h) {
            Some("added") => diff.added.push(change),
            Some("removed") => diff.removed.push(change),
            Some("version") => diff.version_changed.push(change),
            Some(_) => diff.resized.push(change),
            None => {}
        }
    }
    let (base_bundled, head_bundled) = (bundled(base), bundled(head));
    let keys: std::collections::BTreeSet<&(String, String)> =
        base_bundled.keys().chain(head_bundled.keys()).collect();
    for key in keys {
        let (b, h) = (base_bundled.get(key), head_bundled.get(key));
        let Some(change) = change_of(b, h) else {
            continue;
        };
        let (bs, hs) = (b.unwrap_or(&empty), h.unwrap_or(&empty));
        diff.bundled.push(BundledChange {
            bundle: key.0.clone(),
            name: key.1.clone(),
            change,
            base_versions: bs.versions.clone(),
            head_versions: hs.versions.clone(),
            bytes: Delta::new(bs.unzipped, hs.unzipped),
        });
    }
    diff.bundled.sort_by(|a, b| {
        (b.bytes.change.unsigned_abs())
            .cmp(&a.bytes.change.unsigned_abs())
            .then(a.name.cmp(&b.name))
    });
    let base_prints = finding_prints(base);
    let head_prints = finding_prints(head);
    diff.new_findings = head_prints
        .iter()
        .filter(|(p, _)| !base_prints.iter().any(|(q, _)| q == p))
        .map(|(_, f)| (*f).clone())
        .collect();
    diff.fixed_findings = base_prints
        .iter()
        .filter(|(p, _)| !head_prints.iter().any(|(q, _)| q == p))
        .map(|(_, f)| (*f).clone())
        .collect();
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn artifacts_pair_by_the_functions_they_deploy_as_else_by_position() {
        let named = |names: &[&str]| -> Vec<Value> {
            names
                .iter()
                .map(|n| json!({"path": format!("asset.{n}"), "deployed_as": [n]}))
                .collect()
        };
        // a function added, one gone, the rest reordered
        let base = named(&["Stack/Api", "Stack/Worker", "Stack/Old"]);
        let head = named(&["Stack/Worker", "Stack/New", "Stack/Api"]);
        assert_eq!(
            pairs(&base, &head),
            [
                (Some(1), Some(0)),
                (None, Some(1)),
                (Some(0), Some(2)),
                (Some(2), None)
            ]
        );
        // one unnamed artifact: by position
        let plain = vec![json!({"path": "a.zip"})];
        assert_eq!(
            pairs(&base, &plain),
            [(Some(0), Some(0)), (Some(1), None), (Some(2), None)]
        );
    }

    #[test]
    fn packages_are_compared_by_name_across_copies() {
        let base = json!({"artifacts": [{"path": "a.zip", "zipped_bytes": 100, "unzipped_bytes": 300, "files": 3, "packages": [
            {"ecosystem": "npm", "name": "ms", "version": "2.0.0", "unzipped_bytes": 10, "zipped_bytes": 5},
            {"ecosystem": "npm", "name": "left-pad", "version": "1.3.0", "unzipped_bytes": 20, "zipped_bytes": 9},
            {"ecosystem": "npm", "name": "qs", "version": "6.13.0", "unzipped_bytes": 40, "zipped_bytes": 20}], "findings": []}]});
        let head = json!({"artifacts": [{"path": "a.zip", "zipped_bytes": 150, "unzipped_bytes": 400, "files": 4, "packages": [
            {"ecosystem": "npm", "name": "ms", "version": "2.1.3", "unzipped_bytes": 12, "zipped_bytes": 6},
            {"ecosystem": "npm", "name": "qs", "version": "6.13.0", "unzipped_bytes": 30, "zipped_bytes": 15},
            {"ecosystem": "npm", "name": "dayjs", "version": "1.11.13", "unzipped_bytes": 50, "zipped_bytes": 25}],
            "findings": [{"rule": "node/heavy-library", "location": {"path": "node_modules/dayjs/package.json"}, "package": "dayjs@1.11.13"}]}]});
        let d = diff("base", &base, "head", &head);
        let a = &d.artifacts[0];
        assert_eq!(a.zipped.change, 50);
        assert_eq!(a.zipped.percent, Some(50.0));
        assert_eq!(a.added[0].name, "dayjs");
        assert_eq!(a.removed[0].name, "left-pad");
        assert_eq!(a.version_changed[0].name, "ms");
        assert_eq!(a.resized[0].unzipped.change, -10);
        assert_eq!(a.new_findings.len(), 1);
        assert!(a.fixed_findings.is_empty());
        assert_eq!(a.biggest_changes()[0].1.name, "dayjs");
    }
}
