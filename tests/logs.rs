//! `deadweight logs` on logs shaped as Lambda writes them: text REPORT lines
//! with START/END and X-Ray trailers, JSON-format platform records, and an
//! `aws logs filter-log-events --output json` document.

mod common;

use common::{deadweight, success_json};
use serde_json::Value;

fn logs(files: &[&std::path::Path]) -> (i32, Value, String) {
    let out = deadweight()
        .args(["logs", "--format", "json"])
        .args(files)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Invocation `i` of 20: every fifth one is a cold start.
fn text_log() -> String {
    let mut text = String::new();
    for i in 0..20 {
        let id = format!("9b1c2f3e-0000-4000-8000-{i:012}");
        let stream = "2026/11/20/[$LATEST]5f2d8a0c9e1b4c7d";
        text.push_str(&format!("2026-11-20T10:{i:02}:00.000000+00:00 {stream} START RequestId: {id} Version: $LATEST\n"));
        text.push_str(&format!(
            "2026-11-20T10:{i:02}:00.100000+00:00 {stream} END RequestId: {id}\n"
        ));
        let init = if i % 5 == 0 {
            format!("Init Duration: {}.50 ms\t", 400 + i)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "2026-11-20T10:{i:02}:00.100000+00:00 {stream} REPORT RequestId: {id}\tDuration: {}.25 ms\tBilled Duration: {} ms\tMemory Size: 512 MB\tMax Memory Used: {} MB\t{init}XRAY TraceId: 1-673dbb00-1a2b3c4d5e6f\tSegmentId: 0a1b2c3d\tSampled: true\n",
            10 + i, 11 + i, 80 + i
        ));
    }
    text
}

#[test]
fn text_logs_give_cold_starts_and_percentiles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.txt");
    std::fs::write(&path, text_log()).unwrap();
    let (code, report, stderr) = logs(&[&path]);
    assert_eq!(code, 0, "{stderr}");
    let f = &report["functions"][0];
    assert_eq!(f["name"], "unknown");
    assert_eq!(f["memory_mb"], 512);
    assert_eq!(f["invocations"], 20);
    assert_eq!(f["cold_starts"], 4);
    assert_eq!(f["cold_start_pct"], 20.0);
    // cold starts at 0, 5, 10, 15: init 400.5, 405.5, 410.5, 415.5 (median 408)
    assert_eq!(f["init_ms"]["median"], 408.0);
    assert_eq!(f["init_ms"]["max"], 415.5);
    assert_eq!(f["duration_ms"]["p99"], 29.25);
    assert_eq!(f["max_memory_used_mb"], 99);
    assert_eq!(report["skipped_lines"], 40, "START and END lines");
}

#[test]
fn json_format_and_filter_log_events_documents() {
    let dir = tempfile::tempdir().unwrap();
    let json_lines = dir.path().join("json-format.log");
    std::fs::write(
        &json_lines,
        [
            r#"{"time":"2026-11-20T10:00:00.000Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init"}}"#,
            r#"{"time":"2026-11-20T10:00:00.400Z","type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":12.5,"billedDurationMs":13,"memorySizeMB":256,"maxMemoryUsedMB":70,"initDurationMs":230.1},"status":"success"}}"#,
            r#"{"time":"2026-11-20T10:01:00.000Z","type":"platform.report","record":{"requestId":"b","metrics":{"durationMs":2.5,"billedDurationMs":3,"memorySizeMB":256,"maxMemoryUsedMB":71},"status":"success"}}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let export = dir.path().join("events.json");
    let event = |id: &str, message: &str| serde_json::json!({"logStreamName": "2026/11/20/[$LATEST]ab", "logGroupName": "/aws/lambda/orders-api", "timestamp": 1_763_632_800_000u64, "message": message, "ingestionTime": 1_763_632_801_000u64, "eventId": id});
    let document = serde_json::json!({"events": [
        event("1", "START RequestId: c Version: $LATEST\n"),
        event("2", "REPORT RequestId: c\tDuration: 50.00 ms\tBilled Duration: 50 ms\tMemory Size: 1024 MB\tMax Memory Used: 120 MB\tInit Duration: 640.00 ms\t\n"),
    ], "searchedLogStreams": []});
    std::fs::write(&export, serde_json::to_string_pretty(&document).unwrap()).unwrap();
    let (code, report, stderr) = logs(&[&json_lines, &export]);
    assert_eq!(code, 0, "{stderr}");
    let functions = report["functions"].as_array().unwrap();
    let orders = functions
        .iter()
        .find(|f| f["name"] == "orders-api")
        .unwrap();
    assert_eq!(orders["init_ms"]["median"], 640.0);
    let unknown = functions.iter().find(|f| f["memory_mb"] == 256).unwrap();
    assert_eq!(unknown["invocations"], 2);
    assert_eq!(unknown["cold_starts"], 1);
    assert_eq!(unknown["init_ms"]["max"], 230.1);
}

#[test]
fn malformed_numbers_warn_with_the_line_and_no_reports_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.txt");
    let mut text = text_log();
    text.push_str("REPORT RequestId: z\tDuration: fast ms\tMemory Size: 512 MB\t\n");
    std::fs::write(&path, text).unwrap();
    let (code, report, _) = logs(&[&path]);
    assert_eq!(code, 0);
    assert_eq!(report["functions"][0]["invocations"], 20);
    let warning = report["warnings"][0]["message"].as_str().unwrap();
    assert!(warning.starts_with("line 61:"), "{warning}");

    let empty = dir.path().join("app.log");
    std::fs::write(&empty, "hello\nworld\n").unwrap();
    let (code, _, stderr) = logs(&[&empty]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("app.log") && stderr.contains("no REPORT records"),
        "{stderr}"
    );
}

#[test]
fn gzip_exports_are_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("000000.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    encoder.write_all(text_log().as_bytes()).unwrap();
    encoder.finish().unwrap();
    let (code, report, stderr) = logs(&[&path]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["functions"][0]["invocations"], 20);
    assert_eq!(report["functions"][0]["cold_starts"], 4);
}

#[test]
fn bins_give_cold_start_share_over_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.txt");
    std::fs::write(&path, text_log()).unwrap();
    let report = success_json(
        deadweight()
            .args(["logs", "--format", "json", "--bin", "5m"])
            .arg(&path),
    );
    let bins = report["bins"].as_array().unwrap();
    // 20 invocations one minute apart from 10:00: four 5-minute bins
    assert_eq!(bins.len(), 4);
    assert_eq!(bins[0]["start"], "2026-11-20T10:00:00Z");
    assert_eq!(bins[1]["start"], "2026-11-20T10:05:00Z");
    assert_eq!(bins[0]["invocations"], 5);
    assert_eq!(bins[0]["cold_starts"], 1);
    assert_eq!(bins[0]["cold_start_pct"], 20.0);
    // durations 10.25 … 14.25 in the first bin
    assert_eq!(bins[0]["mean_duration_ms"], 12.25);
    assert_eq!(bins[0]["mean_init_ms"], 400.5);

    let markdown = deadweight()
        .args(["logs", "--format", "markdown", "--bin", "10m"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&markdown.stdout);
    assert!(
        text.contains("| unknown | 512 MB | 20 | 4 | 20.0% |"),
        "{text}"
    );
    assert!(
        text.contains("| unknown | 2026-11-20T10:10:00Z | 10 | 20.0% |"),
        "{text}"
    );

    let bad = deadweight()
        .args(["logs", "--bin", "soon"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn init_reports_and_import_trees_in_function_logs() {
    // real -X importtime output, as PYTHONPROFILEIMPORTTIME=1 writes it to
    // the function's log, each line prefixed as `aws logs tail` prints it
    let python = std::process::Command::new("python3")
        .args(["-X", "importtime", "-c", "import json, email.message"])
        .output()
        .unwrap();
    let importtime = String::from_utf8_lossy(&python.stderr);
    let stream = "2026/11/20/[$LATEST]5f2d8a0c9e1b4c7d";
    let mut text = String::new();
    for cold in 0..2 {
        for line in importtime.lines() {
            text.push_str(&format!(
                "2026-11-20T10:0{cold}:00.000000+00:00 {stream} {line}\n"
            ));
        }
        text.push_str(&format!("2026-11-20T10:0{cold}:00.500000+00:00 {stream} REPORT RequestId: r{cold}\tDuration: 20.00 ms\tBilled Duration: 21 ms\tMemory Size: 256 MB\tMax Memory Used: 60 MB\tInit Duration: 350.00 ms\t\n"));
    }
    text.push_str(&format!("2026-11-20T10:05:00.000000+00:00 {stream} INIT_REPORT Init Duration: 10000.51 ms\tPhase: init\tStatus: timeout\n"));
    text.push_str(&format!("2026-11-20T10:05:10.000000+00:00 {stream} INIT_REPORT Init Duration: 9000.00 ms\tPhase: invoke\tStatus: timeout\n"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs.txt");
    std::fs::write(&path, text).unwrap();
    let (code, report, stderr) = logs(&[&path]);
    assert_eq!(code, 0, "{stderr}");
    let reports = report["init_reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["phase"], "init");
    assert_eq!(reports[0]["status"], "timeout");
    assert_eq!(reports[0]["duration_ms"]["max"], 10000.51);
    let imports = &report["import_times"][0];
    assert_eq!(imports["trees"], 2);
    let names: Vec<&str> = imports["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"email.message") && names.contains(&"json"),
        "{names:?}"
    );
    let tree: Vec<&str> = imports["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert!(
        tree.contains(&"json") && tree.contains(&"email.message"),
        "{tree:?}"
    );
    let text = deadweight().arg("logs").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("slowest imports of unknown") && text.contains("import tree"),
        "{text}"
    );
    // the import lines are records, not skipped noise
    assert_eq!(report["functions"][0]["cold_starts"], 2);
}

/// A filter-log-events document of `function`: 30 invocations at 512 MB,
/// every third a cold start with Init Duration 300–329 ms.
fn exported(function: &str) -> String {
    let events: Vec<Value> = (0..30)
        .map(|i| {
            let init = if i % 3 == 0 {
                format!("Init Duration: {}.00 ms\t", 300 + i)
            } else {
                String::new()
            };
            serde_json::json!({
                "logGroupName": format!("/aws/lambda/{function}"),
                "logStreamName": "2026/11/20/[$LATEST]abc",
                "timestamp": 1_795_168_800_000i64 + i * 60_000,
                "message": format!("REPORT RequestId: r{i}\tDuration: 5.00 ms\tBilled Duration: 6 ms\tMemory Size: 512 MB\tMax Memory Used: 70 MB\t{init}\n"),
            })
        })
        .collect();
    serde_json::json!({ "events": events }).to_string()
}

#[test]
fn audit_shows_measured_init_and_calibrate_centres_the_estimate_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs.json");
    std::fs::write(&logs, exported("node-express")).unwrap();
    let zip = common::samples_dir().join("node-express.zip");
    let audit = |extra: &[&str]| -> Value {
        let out = deadweight()
            .current_dir(dir.path())
            .args(["audit", "--format", "json", "--memory", "512"])
            .args(extra)
            .arg(&zip)
            .output()
            .unwrap();
        assert!(
            out.status.code().unwrap() < 2,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let report = audit(&["--logs", logs.to_str().unwrap()]);
    let measured = &report["artifacts"][0]["init"]["measured"];
    assert_eq!(measured["function"], "node-express");
    assert_eq!(measured["cold_starts"], 10);
    assert_eq!(measured["memory_mb"], 512);
    assert_eq!(measured["median_ms"], 313.5);

    // a config the user wrote, with a comment that must survive
    let config = dir.path().join("deadweight.toml");
    std::fs::write(
        &config,
        "# budgets for the orders service\n[budgets]\nzipped = \"50 MiB\"\n",
    )
    .unwrap();
    let out = deadweight()
        .current_dir(dir.path())
        .args(["calibrate", "--logs", logs.to_str().unwrap()])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.starts_with("# budgets for the orders service\n[budgets]\nzipped = \"50 MiB\"\n"),
        "{written}"
    );
    assert!(
        written.contains("[calibration.node]") && written.contains("cold_starts = 10"),
        "{written}"
    );

    let estimate = &audit(&[])["artifacts"][0]["init"]["estimate_ms"];
    let (low, high) = (
        estimate["low"].as_f64().unwrap(),
        estimate["high"].as_f64().unwrap(),
    );
    assert!(low < 313.5 && 313.5 < high, "{estimate}");
    assert!(estimate["calibrated"]
        .as_str()
        .unwrap()
        .contains("10 cold starts of node-express at 512 MB"));

    // logs of another function do not calibrate this one
    let other = dir.path().join("other.json");
    let two = format!(
        "{{\"events\": {}}}",
        serde_json::to_string(
            &[
                serde_json::from_str::<Value>(&exported("orders")).unwrap()["events"]
                    .as_array()
                    .unwrap()
                    .clone(),
                serde_json::from_str::<Value>(&exported("payments")).unwrap()["events"]
                    .as_array()
                    .unwrap()
                    .clone(),
            ]
            .concat()
        )
        .unwrap()
    );
    std::fs::write(&other, two).unwrap();
    let out = deadweight()
        .current_dir(dir.path())
        .args(["calibrate", "--logs", other.to_str().unwrap()])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("orders, payments") && stderr.contains("\"node-express\""),
        "{stderr}"
    );
}
