//! Init practices on handlers written the ways real functions are: every
//! style under tests/fixtures/handlers/<language>/<style>/ has a failing
//! form, whose lines marked `expect` must each be reported by
//! <language>/client-in-handler at that file and line, and a passing form
//! (the same code written well), which must produce no finding of it.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{audit_with, deadweight};

fn audit(dir: &Path) -> serde_json::Value {
    let mut args: Vec<String> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(dir.join("fixture.toml")) {
        let spec: toml::Table = text.parse().unwrap();
        for arg in spec["args"].as_array().unwrap() {
            args.push(arg.as_str().unwrap().to_string());
        }
    }
    let out = deadweight()
        .args(["audit", "--format", "json"])
        .args(&args)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (file, line) of every line marked `// expect` or `# expect`.
fn expected(dir: &Path) -> BTreeSet<(String, u64)> {
    let mut marks = BTreeSet::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() || entry.file_name() == "fixture.toml" {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let relative = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            if line.ends_with("// expect") || line.ends_with("# expect") {
                marks.insert((relative.clone(), n as u64 + 1));
            }
        }
    }
    marks
}

#[test]
fn client_in_handler_finds_every_failing_form_and_no_passing_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/handlers");
    let mut table = Vec::new();
    let mut problems = Vec::new();
    for language in ["node", "python"] {
        let rule = format!("{language}/client-in-handler");
        let mut styles: Vec<_> = std::fs::read_dir(root.join(language))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        styles.sort();
        let (mut found, mut expected_total, mut false_positives) = (0, 0, 0);
        for style in &styles {
            for kind in ["fail", "pass"] {
                let dir = style.join(kind);
                let report = audit(&dir);
                let reported: BTreeSet<(String, u64)> = report["artifacts"][0]["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| f["rule"] == rule.as_str())
                    .map(|f| {
                        (
                            f["location"]["path"].as_str().unwrap().to_string(),
                            f["location"]["line"].as_u64().unwrap(),
                        )
                    })
                    .collect();
                let marks = expected(&dir);
                assert_eq!(kind == "fail", !marks.is_empty(), "{}", dir.display());
                expected_total += marks.len();
                found += marks.intersection(&reported).count();
                let extra: Vec<_> = reported.difference(&marks).collect();
                false_positives += extra.len();
                if reported != marks {
                    problems.push(format!(
                        "{}: expected {marks:?}, reported {reported:?}",
                        dir.display()
                    ));
                }
            }
        }
        table.push(format!(
            "{rule}: {} styles, {found} of {expected_total} failing forms found, {false_positives} findings on passing code",
            styles.len()
        ));
    }
    println!("{}", table.join("\n"));
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

fn findings_for(zip: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let (_, report) = audit_with(zip, args);
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn an_esm_re_export_is_followed_to_the_module_that_defines_the_handler() {
    let dir = tempfile::tempdir().unwrap();
    let zip = common::ZipBuilder::new()
        .file("index.mjs", "export { handler } from './lib/handler.mjs';\n")
        .file(
            "lib/handler.mjs",
            "import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';\n\nexport async function handler(event) {\n  const sns = new SNSClient({});\n  return sns.send(new PublishCommand({ TopicArn: process.env.TOPIC, Message: 'x' }));\n}\n",
        )
        .write_to(dir.path(), "function.zip");
    let findings = findings_for(&zip, &[]);
    let f = findings
        .iter()
        .find(|f| f["rule"] == "node/client-in-handler")
        .expect("found through the re-export");
    assert_eq!(f["location"]["path"], "lib/handler.mjs");
    assert_eq!(f["location"]["line"], 4);
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("an AWS SDK client (sns)"));
}

/// With no handler given, app.py's handler is `lambda_handler`, or the
/// `handler` function when that is what the module defines.
#[test]
fn an_inferred_python_handler_is_the_function_the_module_defines() {
    let dir = tempfile::tempdir().unwrap();
    let handler = |name: &str| {
        format!("import boto3\n\n\ndef {name}(event, context):\n    s3 = boto3.client(\"s3\")\n    return s3.list_buckets()\n")
    };
    for (name, expected) in [
        ("handler", "app.handler"),
        ("lambda_handler", "app.lambda_handler"),
    ] {
        let zip = common::function(dir.path(), "app.py", &handler(name));
        let (_, report) = audit_with(&zip, &["--runtime", "python3.12"]);
        assert_eq!(report["artifacts"][0]["init"]["handler"], expected);
        let findings = report["artifacts"][0]["findings"].as_array().unwrap();
        let f = findings
            .iter()
            .find(|f| f["rule"] == "python/client-in-handler")
            .unwrap_or_else(|| panic!("{name}: {findings:?}"));
        assert_eq!(f["location"]["line"], 5);
    }
}

#[test]
fn thresholds_come_from_the_config_and_downloads_outside_tmp_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/common/too-much-at-init/fail");
    let rules = |findings: &[serde_json::Value]| -> Vec<String> {
        findings
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let config = dir.path().join("deadweight.toml");
    std::fs::write(&config, "[thresholds]\ninit_services = 6\n").unwrap();
    assert!(!rules(&findings_for(
        &fixture,
        &["--config", config.to_str().unwrap()]
    ))
    .contains(&"common/too-much-at-init".to_string()));
    std::fs::write(&config, "[thresholds]\ninit_services = 5\n").unwrap();
    let found = findings_for(&fixture, &["--config", config.to_str().unwrap()]);
    let too_much = found
        .iter()
        .find(|f| f["rule"] == "common/too-much-at-init")
        .unwrap();
    assert!(too_much["message"]
        .as_str()
        .unwrap()
        .contains("sets up 6 services at init"));
    assert!(too_much["message"]
        .as_str()
        .unwrap()
        .contains("dynamodb (index.js:8)"));

    let zip = common::ZipBuilder::new()
        .file(
            "app.py",
            "import boto3\n\nboto3.client('s3').download_file('models', 'm.bin', '/opt/m.bin')\n\ndef lambda_handler(event, context):\n    return 1\n",
        )
        .write_to(dir.path(), "function.zip");
    let findings = findings_for(&zip, &["--rule-level", "python/tmp-cache-hint=warn"]);
    let hint = findings
        .iter()
        .find(|f| f["rule"] == "python/tmp-cache-hint")
        .unwrap();
    assert!(
        hint["message"].as_str().unwrap().contains("outside /tmp"),
        "{hint}"
    );
    assert_eq!(hint["location"]["line"], 3);
}

/// The handler module's clients are read from the parse its import scan
/// made (one parse of a bundle, not two): for every handler fixture, both
/// readings come out as each gives on its own.
#[test]
fn the_handler_read_with_its_import_scan_matches_each_read_alone() {
    use deadweight::imports::{clients, language_of, scan_handler_source, scan_source_for};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/handlers");
    let mut compared = 0;
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        let path = entry.path().to_string_lossy().to_string();
        let Some(language) = language_of(&path) else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for function in ["handler", "lambda_handler", "main"] {
            let (file, code) = scan_handler_source(&path, &text, language, Some((3, 12)), function)
                .unwrap_or_else(|w| panic!("{path}: {}", w.message));
            let alone = scan_source_for(&path, &text, language, Some((3, 12))).unwrap();
            assert_eq!(file, alone, "{path}");
            let read = clients::read_handler_module(&path, &text, language, function).unwrap();
            assert_eq!(code, read, "{path}#{function}");
            compared += usize::from(code.handler_found);
        }
    }
    // every fixture's handler was found by one of the names
    assert!(compared >= 30, "only {compared} handlers compared");
}
