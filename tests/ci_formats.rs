//! What CI sees: `diff` between two builds, the Markdown pull-request
//! comment with its marker, GitHub annotations and the job summary.

mod common;

use common::{deadweight, samples_dir, success_json, ZipBuilder};

fn manifest(name: &str, version: &str) -> String {
    format!("{{\"name\":\"{name}\",\"version\":\"{version}\"}}")
}

/// The same function before and after a change: moment swapped for dayjs,
/// ms upgraded, aws-sdk v2 imported whole.
fn builds(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let base = ZipBuilder::new()
        .file(
            "index.js",
            "const moment = require('moment');\nexports.handler = async () => moment().format();\n",
        )
        .file(
            "node_modules/moment/package.json",
            r#"{"name":"moment","version":"2.30.1","main":"./moment.js"}"#,
        )
        .file(
            "node_modules/moment/moment.js",
            "exports.x = 1;\n".repeat(4_000),
        )
        .file("node_modules/ms/package.json", manifest("ms", "2.0.0"))
        .file("node_modules/ms/index.js", "s".repeat(3_000))
        .write_to(dir, "base.zip");
    let head = ZipBuilder::new()
        .file("index.js", "const dayjs = require('dayjs');\nconst AWS = require('aws-sdk');\nexports.handler = async () => new AWS.S3().listBuckets().promise();\n")
        .file(
            "node_modules/dayjs/package.json",
            r#"{"name":"dayjs","version":"1.11.13","main":"dayjs.min.js"}"#,
        )
        .file("node_modules/dayjs/dayjs.min.js", "var d=1;".repeat(875))
        .file("node_modules/ms/package.json", manifest("ms", "2.1.3"))
        .file("node_modules/ms/index.js", "s".repeat(3_200))
        .write_to(dir, "head.zip");
    (base, head)
}

/// A CDK app changed between two commits: `cdk synth` names each asset
/// folder by a hash of its contents, so the changed function's folder has
/// another name. `diff` of the two cloud assemblies pairs the functions by
/// their construct paths.
#[test]
fn diff_of_two_cloud_assemblies_pairs_functions_by_construct_path() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cdk/cdk.out");
    let base = dir.path().join("base/cdk.out");
    let head = dir.path().join("head/cdk.out");
    common::copy_tree(&fixture, &base);
    common::copy_tree(&fixture, &head);
    // the head's Api gains a module, in a folder of a new name
    let template_path = head.join("OrdersStack.template.json");
    let template = std::fs::read_to_string(&template_path).unwrap();
    let old = "asset.81bbbad6c0016f17acd047b7c7fa44698903e6e81c40d40e121436974c095605";
    let new = "asset.5d1e0c0ffee5d1e0c0ffee5d1e0c0ffee5d1e0c0ffee5d1e0c0ffee5d1e0c";
    std::fs::rename(head.join(old), head.join(new)).unwrap();
    std::fs::write(head.join(new).join("extra.py"), "x = 1\n".repeat(500)).unwrap();
    std::fs::write(&template_path, template.replace(old, new)).unwrap();

    let diff_artifacts = || {
        let diff = success_json(
            deadweight()
                .args(["diff", "--format", "json"])
                .arg(&base)
                .arg(&head),
        );
        let artifacts = diff["artifacts"].as_array().unwrap().clone();
        assert_eq!(artifacts.len(), 2, "{diff}");
        artifacts
    };
    let artifacts = diff_artifacts();
    let api = artifacts
        .iter()
        .find(|a| a["path"].as_str().unwrap().ends_with(new))
        .expect("the Api's new folder");
    assert_eq!(api["unzipped"]["change"], 3000, "{api}");
    let worker = artifacts
        .iter()
        .find(|a| a["path"].as_str().unwrap().contains("asset.043f"))
        .expect("the Worker");
    assert_eq!(worker["unzipped"]["change"], 0, "{worker}");

    // the Api gone from the head: the Worker still meets the Worker
    let mut stack: serde_json::Value = serde_json::from_str(&template).unwrap();
    let resources = stack["Resources"].as_object_mut().unwrap();
    resources.retain(|id, _| !id.starts_with("Api"));
    std::fs::write(&template_path, stack.to_string()).unwrap();
    let artifacts = diff_artifacts();
    assert!(artifacts[0]["path"]
        .as_str()
        .unwrap()
        .contains("asset.043f"));
    assert_eq!(artifacts[0]["unzipped"]["change"], 0, "{artifacts:?}");
}

#[test]
fn diff_reports_totals_packages_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = builds(dir.path());
    let diff = success_json(
        deadweight()
            .args(["diff", "--format", "json"])
            .arg(&base)
            .arg(&head),
    );
    let a = &diff["artifacts"][0];
    assert!(a["zipped"]["change"].as_i64().unwrap() != 0);
    assert_eq!(a["added"][0]["name"], "dayjs");
    assert_eq!(a["removed"][0]["name"], "moment");
    assert_eq!(a["version_changed"][0]["name"], "ms");
    assert_eq!(a["version_changed"][0]["base_versions"][0], "2.0.0");
    // moment (60,000 bytes) loaded at init before, dayjs (7,000) after
    let loaded = &a["loaded"];
    assert!(loaded["base"].as_u64().unwrap() > 60_000, "{loaded}");
    assert!(loaded["change"].as_i64().unwrap() < -50_000, "{loaded}");
    // and the init estimate drops with it
    let init = &a["init_ms"];
    assert!(init["change"].as_f64().unwrap() < 0.0, "{init}");
    assert!(init["base"]["low"].as_f64().unwrap() > init["head"]["low"].as_f64().unwrap());
    let new: Vec<&str> = a["new_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    let fixed: Vec<&str> = a["fixed_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(new.contains(&"node/whole-aws-sdk-v2"), "{new:?}");
    assert!(fixed.contains(&"node/heavy-library"), "{fixed:?}");
}

#[test]
fn diff_accepts_saved_json_reports_and_writes_a_marked_markdown_comment() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = builds(dir.path());
    let saved = deadweight()
        .args(["audit", "--format", "json"])
        .arg(&base)
        .output()
        .unwrap();
    std::fs::write(dir.path().join("base.json"), &saved.stdout).unwrap();
    let out = deadweight()
        .args(["diff", "--format", "markdown", "--key", "orders-api"])
        .arg(dir.path().join("base.json"))
        .arg(&head)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().next(), Some("<!-- deadweight:orders-api -->"));
    for expected in [
        "zipped |",
        "**Biggest changes**",
        "| `dayjs` | added 1.11.13 |",
        "| `ms` | 2.0.0 → 2.1.3 |",
        "**New findings",
        "node/whole-aws-sdk-v2",
        "**Fixed (",
        "~~`node/heavy-library`~~",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
}

#[test]
fn a_malformed_report_given_to_diff_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.json"), "{\"artifacts\": [").unwrap();
    let out = deadweight()
        .arg("diff")
        .arg(dir.path().join("old.json"))
        .arg(samples_dir().join("node-layer.zip"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("old.json:1: not a JSON report"));
}

#[test]
fn audit_markdown_has_the_marker_and_the_findings() {
    let out = deadweight()
        .args(["audit", "--format", "markdown"])
        .arg(samples_dir().join("node-express.zip"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("<!-- deadweight:node-express.zip -->")
    );
    assert!(text.contains("node/heavy-framework"));
    assert!(text.contains("<details><summary>Heaviest packages</summary>"));
    assert!(text.contains("At init `index.handler` loads **"), "{text}");
}

#[test]
fn github_annotations_are_escaped_capped_and_summarised() {
    let dir = tempfile::tempdir().unwrap();
    // twelve 'deny' findings: more than GitHub shows
    let mut zip = ZipBuilder::new().file("index.js", "exports.handler = async () => 1;\n");
    for i in 0..12 {
        zip = zip.file(
            &format!("node_modules/tool{i}/package.json"),
            manifest(&format!("tool{i}"), "1.0.0"),
        );
    }
    let path = zip.write_to(dir.path(), "function.zip");
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("tools.toml"),
        "[[rule]]\nid = \"node/no-tools\"\ntitle = \"No tools\"\nlevel = \"deny\"\ncategory = \"size\"\nmessage = \"{name}: 100% dead, weight\"\nfix = \"remove them\"\n\n[rule.package]\necosystem = \"npm\"\nnames = [\"tool*\"]\n\n[rule.docs]\nwhat = \"Finds tools.\"\nwhy = \"They never run.\"\nexample = \"tool0\"\nfix = \"remove them\"\n",
    )
    .unwrap();
    let summary = dir.path().join("summary.md");
    let out = deadweight()
        .args(["audit", "--format", "github", "--rules"])
        .arg(rules.path())
        .arg(&path)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 10);
    // `%` is escaped in the message, `,` is left alone there
    let line = errors
        .iter()
        .find(|l| l.contains("/tool1/"))
        .copied()
        .unwrap_or(errors[0]);
    let name = line
        .split("/package.json")
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert_eq!(line, format!("::error file=node_modules/{name}/package.json,line=1,title=node/no-tools::{name}: 100%25 dead, weight%0Afix: remove them"));
    assert!(text.contains("::notice title=deadweight::2 more error findings"));
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("<!-- deadweight:function.zip -->"));
}

/// Counts in the Markdown report read as English: one file, not "1 files".
#[test]
fn markdown_counts_one_file_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let zip = common::function(dir.path(), "index.js", "exports.handler = async () => 1;\n");
    let out = deadweight()
        .args(["audit", "--format", "markdown", "--runtime", "nodejs20.x"])
        .arg(&zip)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(" · 1 file · 0 packages\n"), "{text}");
    assert!(text.contains("` loads **33 B** in 1 file."), "{text}");
}
