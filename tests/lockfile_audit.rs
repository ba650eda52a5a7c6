//! An artifact checked against its lockfile: development packages that
//! shipped, versions that drifted, and lockfiles read on their own.

mod common;

use std::path::{Path, PathBuf};

use common::{audit_json, deadweight, package, success_json, ZipBuilder};
use deadweight::lockfile;

fn fixture(dir: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lockfiles")
        .join(dir)
        .join(file)
}

/// Installs what the npm lockfile describes into a zip layout, as `npm ci`
/// would (`with_dev` as plain `npm ci`, without it as `--omit=dev`).
fn installed_from(
    lock_path: &Path,
    with_dev: bool,
    change: impl Fn(&str, &str) -> Option<String>,
) -> ZipBuilder {
    let lock = lockfile::load(lock_path).unwrap();
    let mut zip = ZipBuilder::new()
        .file(
            "index.js",
            "exports.handler = async () => require('express');\n",
        )
        .file(
            "package.json",
            std::fs::read_to_string(lock_path.with_file_name("package.json")).unwrap(),
        );
    for p in &lock.packages {
        if p.dev == Some(true) && !with_dev {
            continue;
        }
        let Some(version) = change(&p.name, &p.version) else {
            continue;
        };
        let deps: Vec<String> = p
            .dependencies
            .iter()
            .map(|d| format!("\"{}\":\"{}\"", d.name, d.requirement))
            .collect();
        zip = zip
            .file(
                &format!("{}/package.json", p.key),
                format!(
                    "{{\"name\":\"{}\",\"version\":\"{version}\",\"dependencies\":{{{}}}}}",
                    p.name,
                    deps.join(",")
                ),
            )
            .file(
                &format!("{}/index.js", p.key),
                format!("// {}\n", p.name).repeat(100),
            );
    }
    zip
}

#[test]
fn a_production_install_matches_its_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let lock = fixture("npm-v3", "package-lock.json");
    let zip = installed_from(&lock, false, |_, v| Some(v.to_string()))
        .write_to(dir.path(), "function.zip");
    let report = success_json(
        deadweight()
            .args(["audit", "--format", "json", "--lockfile"])
            .arg(&lock)
            .arg(&zip),
    );
    let a = &report["artifacts"][0];
    let rules: Vec<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"node/dev-dependency-shipped"), "{rules:?}");
    assert!(
        !rules.contains(&"common/lockfile-drift"),
        "{}",
        a["findings"]
    );
    assert_eq!(package(a, "express", None)["dev"], false);
}

#[test]
fn development_packages_in_the_artifact_are_found_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let lock_path = fixture("npm-v3", "package-lock.json");
    let zip = installed_from(&lock_path, true, |_, v| Some(v.to_string()))
        .write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["audit", "--format", "json", "--lockfile"])
        .arg(&lock_path)
        .arg(&zip)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &report["artifacts"][0];
    let shipped: Vec<&serde_json::Value> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "node/dev-dependency-shipped")
        .collect();
    let heads: Vec<&str> = shipped
        .iter()
        .filter_map(|f| f["package"].as_str())
        .collect();
    assert!(
        heads.contains(&"mocha@10.7.3") && heads.contains(&"typescript@5.6.3"),
        "{heads:?}"
    );
    // the savings add up to the bytes of every dev-only package, each once
    let saved: u64 = shipped
        .iter()
        .map(|f| f["saving"]["unzipped_bytes"].as_u64().unwrap())
        .sum();
    let dev_bytes: u64 = a["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["dev"] == true)
        .map(|p| p["unzipped_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(saved, dev_bytes);
    assert_eq!(package(a, "mocha", None)["dev"], true);
}

#[test]
fn drift_names_changed_unlocked_and_missing_packages() {
    let dir = tempfile::tempdir().unwrap();
    let lock_path = fixture("npm-v3", "package-lock.json");
    let zip = installed_from(&lock_path, false, |name, version| match name {
        "qs" => Some("6.14.0".to_string()),
        "uuid" => None,
        _ => Some(version.to_string()),
    })
    .file(
        "node_modules/left-pad/package.json",
        "{\"name\":\"left-pad\",\"version\":\"1.3.0\"}",
    )
    .write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["audit", "--format", "json", "--lockfile"])
        .arg(&lock_path)
        .arg(&zip)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<String> = report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "common/lockfile-drift")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m
                .starts_with("qs 6.14.0 is installed at node_modules/qs, the lockfile has 6.13.0")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("not in the lockfile: left-pad@1.3.0")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("missing from the package: uuid@9.0.1")),
        "{messages:?}"
    );
}

#[test]
fn python_dev_dependencies_from_a_poetry_lock() {
    let dir = tempfile::tempdir().unwrap();
    let lock_path = fixture("poetry2", "poetry.lock");
    let lock = lockfile::load(&lock_path).unwrap();
    let mut zip = ZipBuilder::new().file("lambda_function.py", "import requests\n");
    for p in &lock.packages {
        let dist = format!("{}-{}.dist-info", p.name.replace('-', "_"), p.version);
        let module = p.name.replace('-', "_");
        zip = zip
            .file(
                &format!("{dist}/METADATA"),
                format!("Name: {}\nVersion: {}\n", p.name, p.version),
            )
            .file(
                &format!("{dist}/RECORD"),
                format!("{module}/__init__.py,,\n"),
            )
            .file(&format!("{module}/__init__.py"), "x = 1\n".repeat(50));
    }
    let zip = zip.write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["audit", "--format", "json", "--lockfile"])
        .arg(&lock_path)
        .arg(&zip)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &report["artifacts"][0];
    let shipped: Vec<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "python/dev-dependency-shipped")
        .filter_map(|f| f["package"].as_str())
        .collect();
    assert_eq!(shipped, ["pytest@8.3.3"]);
    assert_eq!(package(a, "requests", None)["dev"], false);
}

#[test]
fn a_lockfile_alone_reports_its_production_install() {
    let report = audit_json(&[&fixture("pnpm9", "pnpm-lock.yaml")]);
    let a = &report["artifacts"][0];
    assert_eq!(a["kind"], "lockfile");
    assert_eq!(a["lockfile"]["format"], "pnpm-v9");
    // one entry per name and version (npm's lockfile has one per install path)
    assert_eq!(a["lockfile"]["production"], 73);
    assert!(a["packages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["dev"] == false));
    assert_eq!(package(a, "express", None)["direct"], true);
}

#[test]
fn why_works_on_a_lockfile() {
    let out = deadweight()
        .args(["why", "yargs", "--color", "never"])
        .arg(fixture("yarn1", "yarn.lock"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("└─ mocha@10.7.3  wanted \"10.7.3\""),
        "{text}"
    );
}

#[test]
fn package_rules_apply_to_a_lockfiles_production_install() {
    let report = audit_json(&[&fixture("yarn1", "yarn.lock")]);
    let findings = report["artifacts"][0]["findings"].as_array().unwrap();
    let heavy = findings
        .iter()
        .find(|f| f["rule"] == "node/heavy-framework")
        .expect("express is a heavy framework");
    assert_eq!(heavy["package"], "express@4.21.2");
    assert!(heavy["location"]["line"].as_u64().is_some());
    // mocha and typescript are development-only: not in the production install
    assert!(
        !findings
            .iter()
            .any(|f| f["rule"] == "node/dev-tool-shipped"),
        "{findings:?}"
    );
}
