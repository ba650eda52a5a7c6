//! Will it start? Wheel tags, templates that name the runtime, and the
//! facts reported when no runtime is known.

mod common;

use std::path::Path;

use common::{deadweight, ZipBuilder};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rules/runtime")
            .join(path),
    )
    .unwrap()
}

fn findings(out: &std::process::Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["level"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// A distribution whose wheel was built for glibc 2.28, as pip records it.
fn manylinux_2_28_function(dir: &Path) -> std::path::PathBuf {
    ZipBuilder::new()
        .file("lambda_function.py", "import fastjson\n")
        .file("fastjson-1.0.0.dist-info/METADATA", "Name: fastjson\nVersion: 1.0.0\n")
        .file("fastjson-1.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.44.0)\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_28_x86_64\n")
        .file("fastjson-1.0.0.dist-info/RECORD", "fastjson/__init__.py,,\n")
        .file("fastjson/__init__.py", "x = 1\n")
        .write_to(dir, "function.zip")
}

#[test]
fn wheel_tags_name_the_glibc_a_distribution_needs() {
    let dir = tempfile::tempdir().unwrap();
    let zip = manylinux_2_28_function(dir.path());
    let out = deadweight()
        .args(["audit", "--format", "json", "--runtime", "python3.11"])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let f = findings(&out);
    assert!(f.iter().any(|f| f.starts_with("deny runtime/glibc-too-new fastjson 1.0.0: the wheel needs glibc 2.28 (manylinux_2_28_x86_64); python3.11 runs on Amazon Linux 2 (glibc 2.26)")), "{f:?}");
    let out = deadweight()
        .args(["audit", "--format", "json", "--runtime", "python3.12"])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(!findings(&out).iter().any(|f| f.contains("glibc-too-new")));
    // an arm64 function cannot load an x86_64 wheel
    let out = deadweight()
        .args([
            "audit",
            "--format",
            "json",
            "--runtime",
            "python3.12",
            "--arch",
            "arm64",
        ])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(findings(&out).iter().any(|f| f
        .starts_with("deny runtime/wrong-architecture fastjson 1.0.0: the wheel is for x86_64")));
}

#[test]
fn a_sam_template_beside_the_artifact_names_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("app.py", "import ctypes\n")
        .file("libworker.so", fixture("glibc-too-new/fail/libworker.so"))
        .write_to(dir.path(), "function.zip");
    std::fs::write(
        dir.path().join("template.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: function.zip\n      Handler: app.handler\n      Runtime: python3.11\n      Role: !GetAtt WorkerRole.Arn\n",
    )
    .unwrap();
    let out = deadweight()
        .args(["audit", "--format", "json"])
        .arg(&zip)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["artifacts"][0]["runtime"], "python3.11");
    assert!(findings(&out)
        .iter()
        .any(|f| f.contains("runtime/glibc-too-new")));
}

#[test]
fn without_a_runtime_the_facts_are_reported_but_nothing_is_denied() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("app.py", "import ctypes\n")
        .file("libworker.so", fixture("glibc-too-new/fail/libworker.so"))
        .file(
            "lib/libsum.so",
            fixture("missing-shared-library/fail/libsum.so"),
        )
        .write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["audit", "--format", "json"])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let native = report["artifacts"][0]["native"].as_array().unwrap();
    let worker = native.iter().find(|n| n["path"] == "libworker.so").unwrap();
    assert_eq!(worker["glibc"], "2.34");
    assert_eq!(worker["machine"], "x86_64");
    let sum = native
        .iter()
        .find(|n| n["path"] == "lib/libsum.so")
        .unwrap();
    assert!(sum["needed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "libgomp.so.1"));
    assert!(!findings(&out).iter().any(|f| f.contains("runtime/")));
    assert!(common::audit_terminal(&[&zip], &[])
        .contains("native code: 2 ELF files for x86_64; needs up to GLIBC_2.34 (libworker.so)"));
}

#[test]
fn a_file_named_like_a_library_that_is_not_elf_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("app.py", "x = 1\n")
        .file("fake.so", {
            let mut bytes = b"\x7fELF\x02\x01\x01".to_vec();
            bytes.extend(vec![0u8; 40]);
            bytes
        })
        .write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["audit", "--format", "json", "--runtime", "python3.12"])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["artifacts"][0]["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["path"] == "fake.so"
            && w["message"]
                .as_str()
                .unwrap()
                .starts_with("not a readable ELF file")),
        "{warnings:?}"
    );
}

#[test]
fn a_library_in_a_layers_lib_folder_is_on_the_library_path() {
    // Lambda's LD_LIBRARY_PATH ends with /opt/lib: a layer's lib/
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("app.py", "import ctypes\n")
        .file(
            "lib/libsum.so",
            fixture("missing-shared-library/fail/libsum.so"),
        )
        .write_to(dir.path(), "function.zip");
    let layer = |name: &str, path: &str| {
        ZipBuilder::new()
            .file(path, "the runtime library")
            .write_to(dir.path(), name)
    };
    let on_path = layer("gomp-layer.zip", "lib/libgomp.so.1");
    let elsewhere = layer("gomp-python-layer.zip", "python/libgomp.so.1");
    let missing = |layer: &Path| {
        let out = deadweight()
            .args(["audit", "--format", "json", "--runtime", "python3.12"])
            .args([&zip, layer])
            .output()
            .unwrap();
        findings(&out)
            .iter()
            .any(|f| f.contains("runtime/missing-shared-library"))
    };
    assert!(!missing(&on_path));
    assert!(missing(&elsewhere));
}

/// Copies of glibc's and GCC's own libraries, as a layer that vendors them
/// ships them: each names itself (its SONAME) and defines GLIBC_ versions,
/// which are not what it needs. Big and small ones read as readelf reads
/// them.
#[test]
fn copies_of_the_systems_own_libraries_read_as_readelf_reads_them() {
    let names = [
        "libc.so.6",
        "libm.so.6",
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "libresolv.so.2",
    ];
    let folders = [
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
    ];
    let found: Vec<std::path::PathBuf> = names
        .iter()
        .filter_map(|name| {
            folders
                .iter()
                .map(|folder| Path::new(folder).join(name))
                .find(|path| path.exists())
        })
        .collect();
    assert!(found.len() >= 4, "{found:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut zip = ZipBuilder::new().file("lambda_function.py", "import os\n");
    for path in &found {
        let name = path.file_name().unwrap().to_str().unwrap();
        zip = zip.file(&format!("lib/{name}"), std::fs::read(path).unwrap());
    }
    let zip = zip.write_to(dir.path(), "function.zip");
    let (_, report) = common::audit_with(&zip, &["--runtime", "python3.12"]);
    let native = report["artifacts"][0]["native"].as_array().unwrap();
    assert_eq!(native.len(), found.len(), "{native:?}");
    for path in &found {
        let name = path.file_name().unwrap().to_str().unwrap();
        let file = native
            .iter()
            .find(|f| f["path"] == format!("lib/{name}"))
            .unwrap();
        assert_eq!(common::needs(file), common::readelf(path), "{name}");
    }
}
