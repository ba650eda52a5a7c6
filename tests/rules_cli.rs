//! Rule files from the user's point of view: `deadweight rules`, `explain`,
//! `--rules DIR` (add or override), `--rule-level`, and rule files that are
//! wrong, which must stop the run with file:line (exit 2).

mod common;

use common::{deadweight, samples_dir};

const DOCS: &str = "[rule.docs]\nwhat = \"Finds left-pad.\"\nwhy = \"It is eleven lines.\"\nexample = \"require('left-pad')\"\nfix = \"String.prototype.padStart\"\n";

fn rules_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn audit_with_rules(dir: &std::path::Path) -> std::process::Output {
    deadweight()
        .args(["audit", "--format", "json", "--rules"])
        .arg(dir)
        .arg(samples_dir().join("node-express.zip"))
        .output()
        .unwrap()
}

#[test]
fn rules_lists_every_rule_with_its_level_and_source() {
    let out = deadweight()
        .args(["rules", "--color", "never"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for id in [
        "node/whole-aws-sdk-v2",
        "python/missing-bytecode",
        "common/lambda-size-limit",
        "node/dev-dependency-shipped",
        "common/duplicate-package",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} missing:\n{text}"));
        assert!(line.contains("rules/"), "{line}");
    }
    assert!(text
        .lines()
        .find(|l| l.starts_with("common/lambda-size-limit"))
        .unwrap()
        .contains("deny"));
}

#[test]
fn explain_prints_the_four_parts_and_the_evidence() {
    let out = deadweight()
        .args(["explain", "node/whole-aws-sdk-v2", "--color", "never"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "What it does",
        "Why is this bad?",
        "Example",
        "Use instead",
        "Evidence",
        "125 ms faster",
    ] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    let out = deadweight()
        .args(["explain", "node/nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule \"node/nope\""));
}

#[test]
fn a_user_rule_adds_findings_and_can_override_a_built_in_one() {
    let dir = rules_dir(&[(
        "team.toml",
        &format!(
            "[[rule]]\nid = \"node/no-body-parser\"\ntitle = \"body-parser is not needed behind API Gateway\"\nlevel = \"deny\"\ncategory = \"size\"\nmessage = \"{{name}}@{{version}} is shipped\"\n\n[rule.package]\necosystem = \"npm\"\nnames = [\"body-parser\"]\n\n{DOCS}\n[[rule]]\nid = \"node/heavy-framework\"\ntitle = \"Express is allowed here\"\nlevel = \"allow\"\ncategory = \"init-time\"\n\n[rule.package]\necosystem = \"npm\"\nnames = [\"express\"]\n\n{DOCS}"
        ),
    )]);
    let out = audit_with_rules(dir.path());
    // a deny finding fails the gate
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &report["artifacts"][0];
    let rules: Vec<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"node/no-body-parser"), "{rules:?}");
    assert!(!rules.contains(&"node/heavy-framework"), "{rules:?}");
    assert_eq!(a["gate"]["passed"], false);
    assert!(a["gate"]["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("node/no-body-parser: body-parser@1.20.3 is shipped"));
}

#[test]
fn rule_levels_can_be_set_on_the_command_line() {
    let sample = samples_dir().join("node-express.zip");
    let out = deadweight()
        .args([
            "audit",
            "--format",
            "json",
            "--rule-level",
            "node/heavy-framework=deny",
        ])
        .arg(&sample)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = deadweight()
        .args(["audit", "--rule-level", "node/nope=warn"])
        .arg(&sample)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule \"node/nope\""));
}

/// Exit 2, one line naming file and line, containing `expected`.
fn assert_rule_error(text: &str, line: usize, expected: &str) {
    let dir = rules_dir(&[("bad.toml", text)]);
    let out = audit_with_rules(dir.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = dir.path().join("bad.toml");
    assert!(
        stderr.contains(&format!("{}:{line}: ", file.display())),
        "expected line {line}: {stderr}"
    );
    assert!(stderr.contains(expected), "{stderr}");
}

#[test]
fn broken_rule_files_name_file_and_line() {
    let rule = |extra: &str| {
        format!("[[rule]]\nid = \"node/x\"\ntitle = \"x\"\nlevel = \"warn\"\ncategory = \"size\"\n{extra}\n[rule.package]\necosystem = \"npm\"\nnames = [\"x\"]\n\n{DOCS}")
    };
    assert_rule_error(&rule("colour = \"red\""), 6, "unknown field `colour`");
    assert_rule_error(
        &rule("level2 = 1").replace("level = \"warn\"", "level = \"fatal\""),
        4,
        "unknown variant `fatal`",
    );
    assert_rule_error(
        &format!("{}\n{}", rule(""), rule("")),
        18,
        "duplicate rule id node/x",
    );
    assert_rule_error(
        &rule("").replace("names = [\"x\"]", "names = [\"[x\"]"),
        9,
        "invalid glob",
    );
    assert_rule_error(
        &rule("").replace(
            "names = [\"x\"]",
            "names = [\"x\"]\n\n[rule.package.fixes]\nx = \"use z\"\n\"@types/y\" = \"drop it\"",
        ),
        13,
        "fixes names @types/y, which the rule's names do not match",
    );
    assert_rule_error(&rule("").replace(DOCS, ""), 2, "has no [rule.docs]");
    assert_rule_error(
        &rule("").replace("node/x", "leftpad"),
        2,
        "must be `ecosystem/kebab-case-name`",
    );
    assert_rule_error(
        &rule("runtimes = [\"nodejs99.x\"]"),
        6,
        "unknown runtime \"nodejs99.x\"",
    );
}

#[test]
fn an_unknown_runtime_lists_the_known_ones() {
    let out = deadweight()
        .args(["audit", "--runtime", "nodejs99.x"])
        .arg(samples_dir().join("node-express.zip"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown runtime \"nodejs99.x\"; known runtimes: nodejs16.x, nodejs18.x"),
        "{stderr}"
    );
}

#[test]
fn a_package_rule_gives_each_package_its_own_fix() {
    let dir = tempfile::tempdir().unwrap();
    let zip = common::ZipBuilder::new()
        .file("index.js", "const _ = require('lodash');\nconst moment = require('moment');\nexports.handler = async () => moment(_.now()).format();\n")
        .file("package.json", "{\"dependencies\":{\"lodash\":\"4.17.21\",\"moment\":\"2.30.1\"}}")
        .file("node_modules/lodash/package.json", "{\"name\":\"lodash\",\"version\":\"4.17.21\",\"main\":\"lodash.js\"}")
        .file("node_modules/lodash/lodash.js", "module.exports = { now: Date.now };\n")
        .file("node_modules/moment/package.json", "{\"name\":\"moment\",\"version\":\"2.30.1\",\"main\":\"./moment.js\"}")
        .file("node_modules/moment/moment.js", "module.exports = (t) => ({ format: () => String(t) });\n")
        .write_to(dir.path(), "function.zip");
    let (_, report) = common::audit_with(&zip, &[]);
    let fix_of = |package: &str| fix_of(&report, "node/heavy-library", package);
    let (lodash, moment) = (fix_of("lodash@"), fix_of("moment@"));
    assert!(
        lodash.contains("lodash/get") && !lodash.contains("dayjs"),
        "{lodash}"
    );
    assert!(
        moment.contains("dayjs") && !moment.contains("lodash"),
        "{moment}"
    );
}

/// A build tool the function lists itself is moved to devDependencies; one
/// that another package lists among its dependencies cannot be, and the
/// fix says which package brings it.
#[test]
fn a_dev_tool_another_package_brings_in_gets_a_fix_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = common::ZipBuilder::new()
        .file("index.js", "const db = require('db-client');\nexports.handler = async () => db;\n")
        .file("package.json", "{\"dependencies\":{\"db-client\":\"1.0.0\",\"typescript\":\"5.6.3\"}}")
        .file("node_modules/db-client/package.json", "{\"name\":\"db-client\",\"version\":\"1.0.0\",\"dependencies\":{\"@types/uuid\":\"^9.0.1\"}}")
        .file("node_modules/db-client/index.js", "module.exports = {};\n")
        .file("node_modules/@types/uuid/package.json", "{\"name\":\"@types/uuid\",\"version\":\"9.0.8\"}")
        .file("node_modules/@types/uuid/index.d.ts", "export declare function v4(): string;\n")
        .file("node_modules/typescript/package.json", "{\"name\":\"typescript\",\"version\":\"5.6.3\"}")
        .file("node_modules/typescript/lib/tsc.js", "module.exports = {};\n")
        .write_to(dir.path(), "function.zip");
    let (_, report) = common::audit_with(&zip, &[]);
    let fix_of = |package: &str| fix_of(&report, "node/dev-tool-shipped", package);
    assert!(
        fix_of("@types/uuid@").starts_with("db-client lists it among its dependencies"),
        "{report}"
    );
    assert!(
        fix_of("typescript@").starts_with("move it to devDependencies"),
        "{report}"
    );
}

/// The fix of the first finding of `rule` about a package whose label
/// starts with `package` (`lodash@`).
fn fix_of(report: &serde_json::Value, rule: &str, package: &str) -> String {
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == rule
                && f["package"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(package))
        })
        .map(|f| f["fix"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {rule} finding for {package}: {report}"))
}
