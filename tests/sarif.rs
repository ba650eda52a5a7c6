//! SARIF output validated against the SARIF 2.1.0 JSON schema, with the
//! fields GitHub code scanning relies on.

mod common;

use common::{deadweight, samples_dir, ZipBuilder};

fn sarif_for(path: &std::path::Path) -> serde_json::Value {
    let out = deadweight()
        .args(["audit", "--format", "sarif", "--runtime", "nodejs20.x"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The schema, minus its one malformed `pattern` (a BCP-47 language tag
/// pattern with a stray `]`, present in the published 2.1.0 schemas too),
/// which JSON Schema validators refuse to compile. We never emit `language`.
fn schema() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sarif/sarif-2.1.0-rtm.5.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map
                    .get("pattern")
                    .and_then(|p| p.as_str())
                    .is_some_and(|p| p.contains("]?$") && p.contains("{2}|"))
                {
                    map.remove("pattern");
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut schema);
    schema
}

#[test]
fn sarif_validates_against_the_schema_and_locates_every_result() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("index.js", "const AWS = require('aws-sdk');\nexports.handler = async () => new AWS.S3().listBuckets().promise();\n")
        .file("node_modules/aws-sdk/package.json", "{\"name\":\"aws-sdk\",\"version\":\"2.1692.0\"}")
        .file("node_modules/aws-sdk/lib/aws.js", "a".repeat(5_000))
        .write_to(dir.path(), "function.zip");
    let validator = jsonschema::draft4::new(&schema()).unwrap();
    for path in [
        zip.clone(),
        samples_dir().join("node-express.zip"),
        samples_dir().join("python-requests.zip"),
    ] {
        let log = sarif_for(&path);
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        let run = &log["runs"][0];
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        for result in run["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index], result["ruleId"].as_str().unwrap());
            assert!(
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string()
            );
            assert!(result["partialFingerprints"]["deadweight/v1"].is_string());
        }
    }
    let log = sarif_for(&zip);
    let sdk = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "node/whole-aws-sdk-v2")
        .unwrap();
    assert_eq!(
        sdk["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(
        sdk["locations"][0]["physicalLocation"]["region"]["startColumn"],
        13
    );
    let package = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "node/sdk-v2-on-modern-runtime")
        .unwrap();
    assert_eq!(
        package["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "node_modules/aws-sdk/package.json"
    );
    assert_eq!(
        package["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );

    // a package finding points at the line that declares the package's name
    let log = sarif_for(&samples_dir().join("node-express.zip"));
    let express = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "node/heavy-framework")
        .unwrap();
    let location = &express["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "node_modules/express/package.json"
    );
    assert_eq!(location["region"]["startLine"], 2);
    // and a Python package at its METADATA `Name:` line
    let zip = ZipBuilder::new()
        .file(
            "app.py",
            "import flask\n\ndef lambda_handler(event, context):\n    return 1\n",
        )
        .file("flask/__init__.py", "")
        .file(
            "flask-3.0.3.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.3\n\nA web framework.\n",
        )
        .file("flask-3.0.3.dist-info/RECORD", "flask/__init__.py,,0\n")
        .write_to(dir.path(), "python.zip");
    let log = sarif_for(&zip);
    let flask = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "python/heavy-framework")
        .unwrap();
    let location = &flask["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "flask-3.0.3.dist-info/METADATA"
    );
    assert_eq!(location["region"]["startLine"], 2);
}

#[test]
fn fingerprints_are_stable_across_runs() {
    let a = sarif_for(&samples_dir().join("node-express.zip"));
    let b = sarif_for(&samples_dir().join("node-express.zip"));
    let prints = |log: &serde_json::Value| -> Vec<String> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["deadweight/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(prints(&a), prints(&b));
    assert!(!prints(&a).is_empty());
}
