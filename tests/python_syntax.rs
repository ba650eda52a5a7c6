//! runtime/python-syntax-too-new: syntax the runtime's Python does not
//! have is a SyntaxError when the module is imported.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{audit_with, rule_findings, ZipBuilder};

const FILES: [(&str, &str); 4] = [
    (
        "app.py",
        "import json\n\nfrom helpers import describe\n\n\ndef lambda_handler(event, context):\n    return f\"{event[\"name\"]}: {describe(event)}\"\n",
    ),
    (
        "helpers.py",
        "def describe(event):\n    match event.get(\"kind\"):\n        case \"order\":\n            return \"an order\"\n    return json_name(event)\n\n\ndef json_name(event):\n    return str(event)\n",
    ),
    ("scripts/types.py", "type Pair = tuple[int, int]\n"),
    ("plain.py", "VALUE = 1\n"),
];

fn function(dir: &Path) -> std::path::PathBuf {
    ZipBuilder::new()
        .files(&FILES)
        .write_to(dir, "function.zip")
}

#[test]
fn syntax_newer_than_the_runtime_is_reported_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path());
    let (code, report) = audit_with(&zip, &["--runtime", "python3.9"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/python-syntax-too-new"),
        [
            "deny app.py:7: cannot reuse outer quote character in f-strings on Python 3.9 (syntax was added in Python 3.12); importing it at init raises SyntaxError",
            "deny helpers.py:2: cannot use `match` statement on Python 3.9 (syntax was added in Python 3.10); importing it at init raises SyntaxError",
            // not imported at init: it fails only when something imports it
            "warn scripts/types.py:1: cannot use `type` alias statement on Python 3.9 (syntax was added in Python 3.12); importing it raises SyntaxError",
        ]
    );
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(rule_findings(&report, "runtime/python-syntax-too-new").is_empty());
}

/// The files flagged for this machine's Python are exactly the ones it
/// refuses to compile.
#[test]
fn the_files_flagged_are_the_ones_python_refuses() {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("python3 runs");
    let version = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path());
    let (_, report) = audit_with(&zip, &["--runtime", &format!("python{version}")]);
    let flagged: BTreeSet<String> = report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "runtime/python-syntax-too-new")
        .map(|f| f["location"]["path"].as_str().unwrap().to_string())
        .collect();
    let refused: BTreeSet<String> = FILES
        .iter()
        .filter(|(path, text)| {
            let out = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import sys; compile(sys.stdin.read(), sys.argv[1], 'exec')",
                    path,
                ])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .and_then(|mut child| {
                    use std::io::Write;
                    child.stdin.take().unwrap().write_all(text.as_bytes())?;
                    child.wait()
                })
                .unwrap();
            !out.success()
        })
        .map(|(path, _)| path.to_string())
        .collect();
    assert_eq!(flagged, refused, "python{version}");
}
