//! common/slow-init: an init estimated over the line even at its low end,
//! in a function its deployment does not start warm (SnapStart,
//! provisioned concurrency). tests/registry.rs has it on numpy.

mod common;

use std::path::Path;

use common::{audit_with, function};
use serde_json::Value;

const RULE: &str = "common/slow-init";

fn slow_init(report: &Value) -> Vec<&Value> {
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == RULE)
        .collect()
}

/// A handler importing a few standard-library modules (est. ≈25 ms).
const SMALL_HANDLER: &str = "import asyncio\nimport decimal\nimport http.client\nimport logging\nimport uuid\n\n\ndef handler(event, context):\n    return str(uuid.uuid4())\n";

/// A config in `dir` whose line the small handler crosses.
fn low_line_config(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("deadweight.toml");
    std::fs::write(&config, "[thresholds]\nslow_init_ms = 10\n").unwrap();
    config
}

#[test]
fn snapstart_or_provisioned_concurrency_in_the_template_starts_it_warm() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", SMALL_HANDLER);
    let config = low_line_config(dir.path());
    let config = config.display().to_string();
    let args = ["--config", config.as_str(), "--handler", "app.handler"];
    let with_template = |name: &str, text: &str| {
        let template = dir.path().join(name);
        std::fs::write(&template, text).unwrap();
        let (_, report) = audit_with(&zip, &args);
        std::fs::remove_file(&template).unwrap();
        slow_init(&report).len()
    };
    let sam = "Resources:\n  Ids:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n      Runtime: python3.12\n";
    assert_eq!(with_template("template.yaml", sam), 1);
    assert_eq!(
        with_template(
            "template.yaml",
            &format!("{sam}      AutoPublishAlias: live\n      SnapStart:\n        ApplyOn: PublishedVersions\n")
        ),
        0
    );
    assert_eq!(
        with_template(
            "template.yaml",
            &format!("{sam}      AutoPublishAlias: live\n      ProvisionedConcurrencyConfig:\n        ProvisionedConcurrentExecutions: 2\n")
        ),
        0
    );
    let serverless = "service: ids\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions:\n  ids:\n    handler: app.handler\n";
    assert_eq!(with_template("serverless.yml", serverless), 1);
    assert_eq!(
        with_template(
            "serverless.yml",
            &format!("{serverless}    provisionedConcurrency: 3\n")
        ),
        0
    );
    // zero environments provisioned is none
    assert_eq!(
        with_template(
            "serverless.yml",
            &format!("{serverless}    provisionedConcurrency: 0\n")
        ),
        1
    );
}

/// Two functions in one project's template, each deployed from its own
/// zip built into `build/`: the template's part for the zip audited
/// decides, so SnapStart on one does not start the other warm, and each
/// gets its own handler and runtime.
#[test]
fn of_two_functions_in_one_template_only_the_one_configured_warm_starts_warm() {
    let (dir, zips) = common::built_project(&[
        ("ids.zip", &[("app.py", SMALL_HANDLER)]),
        (
            "report.zip",
            &[("report.py", SMALL_HANDLER), ("tools.py", "import json\n")],
        ),
    ]);
    let (ids, report_zip) = (&zips[0], &zips[1]);
    let config = low_line_config(dir.path()).display().to_string();
    let audit = |zip: &Path| {
        let (_, report) = audit_with(zip, &["--config", config.as_str()]);
        let artifact = &report["artifacts"][0];
        (
            slow_init(&report).len(),
            artifact["runtime"].as_str().unwrap_or_default().to_string(),
            artifact["init"]["handler"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let sam = "Globals:\n  Function:\n    Runtime: python3.12\n    Timeout: 10\nResources:\n  Ids:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: build/ids.zip\n      Handler: app.handler\n      AutoPublishAlias: live\n      SnapStart:\n        ApplyOn: PublishedVersions\n  Report:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: build/report.zip\n      Handler: report.handler\n      Runtime: python3.13\n";
    let serverless = "service: ids\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions:\n  ids:\n    handler: app.handler\n    provisionedConcurrency: 2\n    package:\n      artifact: build/ids.zip\n  report:\n    handler: report.handler\n    package:\n      artifact: build/report.zip\n";
    // the project's template, above the folder the zips are built in
    for (file, text, report_runtime) in [
        ("template.yaml", sam, "python3.13"),
        ("serverless.yml", serverless, "python3.12"),
    ] {
        let template = dir.path().join(file);
        std::fs::write(&template, text).unwrap();
        assert_eq!(
            audit(ids),
            (0, "python3.12".into(), "app.handler".into()),
            "{file}"
        );
        assert_eq!(
            audit(report_zip),
            (1, report_runtime.into(), "report.handler".into()),
            "{file}"
        );
        std::fs::remove_file(&template).unwrap();
    }
}

#[test]
fn terraform_snap_start_or_a_provisioned_concurrency_config_starts_it_warm() {
    let (project, zip, infra) = common::terraform_project("app.py", SMALL_HANDLER);
    let config = low_line_config(project.path());
    let function = r#"resource "aws_lambda_function" "ids" {
  function_name = "ids"
  role          = "arn:aws:iam::123456789012:role/ids"
  filename      = "${path.module}/../build/function.zip"
  handler       = "app.handler"
  runtime       = "python3.12"
  publish       = true
"#;
    let config = config.display().to_string();
    let slow = |tf: &str| {
        std::fs::write(infra.join("main.tf"), tf).unwrap();
        let (_, report) = audit_with(&zip, &["--config", config.as_str()]);
        assert_eq!(report["artifacts"][0]["runtime"], "python3.12", "{report}");
        slow_init(&report).len()
    };
    assert_eq!(slow(&format!("{function}}}\n")), 1);
    assert_eq!(
        slow(&format!(
            "{function}\n  snap_start {{\n    apply_on = \"PublishedVersions\"\n  }}\n}}\n"
        )),
        0
    );
    let provisioned = r#"
resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.ids.function_name
  function_version = aws_lambda_function.ids.version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  function_name                     = aws_lambda_alias.live.function_name
  provisioned_concurrent_executions = 2
  qualifier                         = aws_lambda_alias.live.name
}
"#;
    // through the alias, the function itself, or its name
    assert_eq!(slow(&format!("{function}}}\n{provisioned}")), 0);
    let by_function = provisioned.replace(
        "function_name                     = aws_lambda_alias.live.function_name",
        "function_name                     = aws_lambda_function.ids.function_name",
    );
    assert_eq!(slow(&format!("{function}}}\n{by_function}")), 0);
    let by_name = provisioned.replace(
        "function_name                     = aws_lambda_alias.live.function_name",
        "function_name                     = \"ids\"",
    );
    assert_eq!(slow(&format!("{function}}}\n{by_name}")), 0);
}

/// With the function's logs, their median Init Duration is what counts:
/// a cold start measured over the line is reported as measured, whatever
/// the estimate, and one measured under it is not.
#[test]
fn the_init_duration_in_the_functions_logs_decides_over_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "app.py",
        "import json\n\n\ndef handler(event, context):\n    return json.dumps(event)\n",
    );
    let logs = dir.path().join("logs.json");
    let with_init = |init_ms: u32| {
        let events: Vec<Value> = (0..6)
            .map(|i| {
                serde_json::json!({
                    "logGroupName": "/aws/lambda/function",
                    "logStreamName": "2026/11/20/[$LATEST]abc",
                    "timestamp": 1_795_168_800_000i64 + i * 60_000,
                    "message": format!("REPORT RequestId: r{i}\tDuration: 5.00 ms\tBilled Duration: 6 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB\tInit Duration: {}.00 ms\t\n", init_ms + i as u32),
                })
            })
            .collect();
        std::fs::write(&logs, serde_json::json!({ "events": events }).to_string()).unwrap();
        let logs = logs.display().to_string();
        let (_, report) = audit_with(
            &zip,
            &[
                "--runtime",
                "python3.12",
                "--handler",
                "app.handler",
                "--logs",
                &logs,
            ],
        );
        slow_init(&report)
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        with_init(1400),
        ["`app.handler` took a median 1402 ms to initialise over 6 cold starts in its logs at 256 MB, over 1000 ms: every cold start waits for it before the handler runs"]
    );
    assert!(with_init(300).is_empty());
}
