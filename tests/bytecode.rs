//! Timestamp bytecode against the dates a zip records: the .pyc CPython
//! 3.11 wrote for handler.py (tests/fixtures/pyc) is usable only while the
//! zipped source keeps its date and size.

mod common;

use common::{audit_json, ZipBuilder};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pyc")
            .join(name),
    )
    .unwrap()
}

fn rules_for(source: &[u8], date: (u16, u8, u8, u8, u8, u8)) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file_dated("handler.py", source, date)
        .file(
            "__pycache__/handler.cpython-311.pyc",
            fixture("handler.cpython-311.pyc"),
        )
        .write_to(dir.path(), "function.zip");
    let out = common::deadweight()
        .args(["audit", "--format", "json", "--runtime", "python3.11"])
        .arg(&zip)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_timestamp_pyc_matching_the_zipped_source_is_usable() {
    // 1700000000 = 2023-11-14 22:13:20 UTC, the mtime the .pyc records
    let findings = rules_for(&fixture("handler.py"), (2023, 11, 14, 22, 13, 20));
    assert!(
        findings.iter().all(|f| !f.starts_with("python/")),
        "{findings:?}"
    );
}

#[test]
fn a_reset_zip_date_makes_the_pyc_stale() {
    // reproducible-zip tools reset every date to 1980-01-01
    let findings = rules_for(&fixture("handler.py"), (1980, 1, 1, 0, 0, 0));
    assert!(
        findings.iter().any(|f| f.starts_with(
            "python/stale-bytecode: 1 timestamp .pyc files record a source mtime or size"
        )),
        "{findings:?}"
    );
}

#[test]
fn python_compares_the_seconds_exactly() {
    // two seconds off: a zip without extended timestamps rounds odd seconds
    // away, and CPython then recompiles
    let findings = rules_for(&fixture("handler.py"), (2023, 11, 14, 22, 13, 22));
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("python/stale-bytecode")),
        "{findings:?}"
    );
}

/// `zip -r` keeps the exact time in an extended timestamp beside the
/// rounded DOS one, and extraction restores it: a .pyc compiled for a
/// source last changed at an odd second stays valid.
#[test]
fn an_extended_timestamp_keeps_odd_seconds() {
    // the .pyc as CPython writes it for a source dated 22:13:21
    let mut pyc = fixture("handler.cpython-311.pyc");
    pyc[8..12].copy_from_slice(&1_700_000_001u32.to_le_bytes());
    let audit = |zip: ZipBuilder| {
        let dir = tempfile::tempdir().unwrap();
        let zip = zip
            .file("__pycache__/handler.cpython-311.pyc", &pyc)
            .write_to(dir.path(), "function.zip");
        audit_json(&[&zip])["artifacts"][0]["findings"].to_string()
    };
    let with_extended_time = audit(ZipBuilder::new().file_with_extended_time(
        "handler.py",
        fixture("handler.py"),
        (2023, 11, 14, 22, 13, 22),
        1_700_000_001,
    ));
    assert!(
        !with_extended_time.contains("python/stale-bytecode"),
        "{with_extended_time}"
    );
    // the DOS time alone has lost the odd second
    let dos_only = audit(ZipBuilder::new().file_dated(
        "handler.py",
        fixture("handler.py"),
        (2023, 11, 14, 22, 13, 22),
    ));
    assert!(dos_only.contains("python/stale-bytecode"), "{dos_only}");
}

#[test]
fn an_edited_source_makes_the_pyc_stale() {
    let mut source = fixture("handler.py");
    source.extend_from_slice(b"# edited after compiling\n");
    let findings = rules_for(&source, (2023, 11, 14, 22, 13, 20));
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("python/stale-bytecode")),
        "{findings:?}"
    );
}

#[test]
fn the_committed_samples_lack_bytecode() {
    // samples/build.sh builds them with pip --no-compile
    let report = audit_json(&[&common::samples_dir().join("python-requests.zip")]);
    let findings = report["artifacts"][0]["findings"].as_array().unwrap();
    let missing = findings
        .iter()
        .find(|f| f["rule"] == "python/missing-bytecode")
        .expect("missing-bytecode");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("have no bytecode for Python 3.12"),
        "{missing}"
    );
}
