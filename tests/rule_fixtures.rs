//! Every rule, data or built-in, has docs in four parts and a failing and a
//! passing fixture under tests/fixtures/rules/<id>/{fail,pass}: the failing
//! one must produce the rule's finding, the passing one must not.
//!
//! A fixture is a package laid out as files. An optional fixture.toml gives
//! `args` for `deadweight audit` (`{fixture}` is the fixture's directory),
//! `artifact` (a subdirectory to audit, so lockfiles can sit beside it),
//! `[[generate]]` files too large to commit (`path`, `bytes` of zeros) and
//! `[[chmod]]` modes git does not keep (`path`, `mode` in octal).

mod common;

use std::path::{Path, PathBuf};

use common::{copy_tree, deadweight};
use deadweight::rules::{fixture_dir, RuleSet};

/// Audits one fixture and returns the rule ids it reports.
fn rules_reported(fixture: &Path) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    copy_tree(fixture, work.path());
    let mut args: Vec<String> = Vec::new();
    let mut artifact: PathBuf = work.path().to_path_buf();
    if let Ok(text) = std::fs::read_to_string(fixture.join("fixture.toml")) {
        let spec: toml::Table = text.parse().unwrap();
        let here = work.path().display().to_string();
        for arg in spec
            .get("args")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
        {
            args.push(arg.as_str().unwrap().replace("{fixture}", &here));
        }
        if let Some(sub) = spec.get("artifact").and_then(|a| a.as_str()) {
            artifact = work.path().join(sub);
        }
        for generated in spec
            .get("generate")
            .and_then(|g| g.as_array())
            .into_iter()
            .flatten()
        {
            let path = artifact.join(generated["path"].as_str().unwrap());
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let file = std::fs::File::create(&path).unwrap();
            file.set_len(generated["bytes"].as_integer().unwrap() as u64)
                .unwrap();
        }
        for chmod in spec
            .get("chmod")
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = u32::from_str_radix(chmod["mode"].as_str().unwrap(), 8).unwrap();
            std::fs::set_permissions(
                artifact.join(chmod["path"].as_str().unwrap()),
                std::fs::Permissions::from_mode(mode),
            )
            .unwrap();
        }
    }
    std::fs::remove_file(work.path().join("fixture.toml")).ok();
    let out = deadweight()
        .args(["audit", "--format", "json"])
        .args(&args)
        .arg(&artifact)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: {}",
        fixture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_rule_is_documented_and_has_a_failing_and_a_passing_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = RuleSet::builtin().unwrap();
    let mut problems = Vec::new();
    for rule in &rules.rules {
        for (part, text) in [
            ("what", &rule.docs.what),
            ("why", &rule.docs.why),
            ("example", &rule.docs.example),
            ("fix", &rule.docs.fix),
        ] {
            if text.trim().len() < 10 {
                problems.push(format!("{}: docs.{part} is too thin", rule.id));
            }
        }
        let dir = fixture_dir(root, &rule.id);
        for (kind, expected) in [("fail", true), ("pass", false)] {
            let fixture = dir.join(kind);
            if !fixture.is_dir() {
                problems.push(format!(
                    "{}: no {kind} fixture at {}",
                    rule.id,
                    fixture.display()
                ));
                continue;
            }
            let reported = rules_reported(&fixture).contains(&rule.id);
            if reported != expected {
                problems.push(format!(
                    "{}: the {kind} fixture {} the rule",
                    rule.id,
                    if reported {
                        "triggers"
                    } else {
                        "does not trigger"
                    }
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
