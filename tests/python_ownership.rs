//! Python layouts as pip lays them out with `pip install -t`: dist-info with
//! RECORD (scripts recorded as `../../bin/x`), top-level modules, bytecode
//! compiled after install, namespace packages, a dist-info without RECORD,
//! and a legacy egg-info.

mod common;

use common::{audit_json, package, warnings, ZipBuilder};

fn metadata(name: &str, version: &str, requires: &[&str]) -> String {
    let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a package\nLicense: Apache 2.0\n");
    for r in requires {
        text.push_str(&format!("Requires-Dist: {r}\n"));
    }
    text.push_str("\nLong description that mentions Name: not-a-header\n");
    text
}

fn record(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| format!("{l},sha256=AAAA,{}\n", l.len()))
        .collect::<String>()
}

fn pip_target_function() -> ZipBuilder {
    ZipBuilder::new()
        .file("lambda_function.py", "import requests\n\ndef lambda_handler(event, context):\n    return requests.get(event['url']).status_code\n")
        .file("__pycache__/lambda_function.cpython-312.pyc", vec![0u8; 300])
        .file("helpers/__init__.py", "")
        .file("helpers/retry.py", "def retry(): pass\n")
        // requests: RECORD lists its files and a compiled module
        .file(
            "requests-2.32.3.dist-info/METADATA",
            metadata("requests", "2.32.3", &["charset-normalizer (<4,>=2)", "urllib3 (<3,>=1.21.1)", "PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'"]),
        )
        .file(
            "requests-2.32.3.dist-info/RECORD",
            record(&[
                "requests/__init__.py",
                "requests/api.py",
                "requests/__pycache__/api.cpython-312.pyc",
                "requests-2.32.3.dist-info/METADATA",
                "requests-2.32.3.dist-info/RECORD",
                "requests-2.32.3.dist-info/top_level.txt",
            ]),
        )
        .file("requests-2.32.3.dist-info/top_level.txt", "requests\n")
        .file("requests/__init__.py", "r".repeat(5_000))
        .file("requests/api.py", "a".repeat(6_000))
        .file("requests/__pycache__/api.cpython-312.pyc", vec![1u8; 4_000])
        // compiled after install: not in RECORD, but requests/ is requests' alone
        .file("requests/__pycache__/__init__.cpython-312.pyc", vec![1u8; 2_000])
        // charset-normalizer: a console script recorded relative to a prefix
        .file("charset_normalizer-3.4.0.dist-info/METADATA", metadata("charset-normalizer", "3.4.0", &[]))
        .file(
            "charset_normalizer-3.4.0.dist-info/RECORD",
            record(&[
                "../../bin/normalizer",
                "charset_normalizer/__init__.py",
                "charset_normalizer/md.cpython-312-x86_64-linux-gnu.so",
                "charset_normalizer-3.4.0.dist-info/METADATA",
                "charset_normalizer-3.4.0.dist-info/RECORD",
            ]),
        )
        .file("bin/normalizer", "#!/usr/bin/python\nfrom charset_normalizer.cli import cli_detect\n")
        .file("charset_normalizer/__init__.py", "c".repeat(1_000))
        .file("charset_normalizer/md.cpython-312-x86_64-linux-gnu.so", vec![0x7fu8; 30_000])
        // six: a single top-level module and its bytecode in the shared __pycache__
        .file("six-1.16.0.dist-info/METADATA", metadata("six", "1.16.0", &[]))
        .file(
            "six-1.16.0.dist-info/RECORD",
            record(&["six.py", "six-1.16.0.dist-info/METADATA", "six-1.16.0.dist-info/RECORD"]),
        )
        .file("six.py", "s".repeat(34_000))
        .file("__pycache__/six.cpython-312.pyc", vec![2u8; 29_000])
        // urllib3 is required by requests
        .file("urllib3-2.2.3.dist-info/METADATA", metadata("urllib3", "2.2.3", &[]))
        .file("urllib3-2.2.3.dist-info/RECORD", record(&["urllib3/__init__.py"]))
        .file("urllib3/__init__.py", "u".repeat(3_000))
        // namespace package google/ shared by two distributions
        .file("protobuf-5.28.3.dist-info/METADATA", metadata("protobuf", "5.28.3", &[]))
        .file("protobuf-5.28.3.dist-info/RECORD", record(&["google/protobuf/__init__.py", "google/protobuf/message.py"]))
        .file("google/protobuf/__init__.py", "p".repeat(100))
        .file("google/protobuf/message.py", "p".repeat(14_000))
        .file("google/protobuf/__pycache__/message.cpython-312.pyc", vec![3u8; 9_000])
        .file("googleapis_common_protos-1.66.0.dist-info/METADATA", metadata("googleapis-common-protos", "1.66.0", &["protobuf (>=3.20.2)"]))
        .file("googleapis_common_protos-1.66.0.dist-info/RECORD", record(&["google/api/annotations_pb2.py"]))
        .file("google/api/annotations_pb2.py", "g".repeat(2_000))
        // PyYAML without RECORD: top_level.txt names its packages
        .file("PyYAML-6.0.2.dist-info/METADATA", metadata("PyYAML", "6.0.2", &[]))
        .file("PyYAML-6.0.2.dist-info/top_level.txt", "_yaml\nyaml\n")
        .file("yaml/__init__.py", "y".repeat(12_000))
        .file("yaml/_yaml.cpython-312-x86_64-linux-gnu.so", vec![0x7fu8; 2_000])
        .file("_yaml/__init__.py", "y".repeat(1_400))
        // a legacy egg-info with installed-files.txt
        .file("simplejson-3.19.3-py3.12.egg-info/PKG-INFO", metadata("simplejson", "3.19.3", &[]))
        .file("simplejson-3.19.3-py3.12.egg-info/installed-files.txt", "../simplejson/__init__.py\n../simplejson/decoder.py\nPKG-INFO\ninstalled-files.txt\n")
        .file("simplejson/__init__.py", "j".repeat(7_000))
        .file("simplejson/decoder.py", "j".repeat(3_000))
}

#[test]
fn distributions_are_named_from_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let zip = pip_target_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    assert_eq!(a["runtime_family"], "python");
    let mut names: Vec<String> = a["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["ecosystem"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "pypi PyYAML 6.0.2",
            "pypi charset-normalizer 3.4.0",
            "pypi googleapis-common-protos 1.66.0",
            "pypi protobuf 5.28.3",
            "pypi requests 2.32.3",
            "pypi simplejson 3.19.3",
            "pypi six 1.16.0",
            "pypi urllib3 2.2.3",
        ]
    );
}

#[test]
fn record_owns_files_outside_the_package_directory() {
    let dir = tempfile::tempdir().unwrap();
    let zip = pip_target_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];

    // bin/normalizer (recorded as ../../bin/normalizer), __init__, .so, 2 dist-info files
    let cn = package(a, "charset-normalizer", None);
    assert_eq!(cn["files"], 5);
    // six.py, its bytecode in the shared __pycache__, 2 dist-info files
    let six = package(a, "six", None);
    assert_eq!(six["files"], 4);
    assert_eq!(
        six["unzipped_bytes"].as_u64().unwrap(),
        34_000
            + 29_000
            + metadata("six", "1.16.0", &[]).len() as u64
            + record(&[
                "six.py",
                "six-1.16.0.dist-info/METADATA",
                "six-1.16.0.dist-info/RECORD"
            ])
            .len() as u64
    );
    // bytecode compiled after install goes with its package directory
    let requests = package(a, "requests", None);
    assert_eq!(requests["files"], 7);
}

#[test]
fn namespace_packages_split_by_subdirectory() {
    let dir = tempfile::tempdir().unwrap();
    let zip = pip_target_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    // RECORD's two files + the unlisted bytecode under google/protobuf/
    assert_eq!(package(a, "protobuf", None)["files"], 5);
    assert_eq!(package(a, "googleapis-common-protos", None)["files"], 3);
}

#[test]
fn without_record_top_level_names_decide() {
    let dir = tempfile::tempdir().unwrap();
    let zip = pip_target_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    // yaml/ (2 files), _yaml/ (1), 2 dist-info files
    assert_eq!(package(a, "PyYAML", None)["files"], 5);
    assert!(warnings(a)
        .iter()
        .any(|w| w.contains("PyYAML-6.0.2.dist-info/RECORD: missing")));
    // egg-info: installed-files.txt relative to the egg-info directory
    assert_eq!(package(a, "simplejson", None)["files"], 4);
}

#[test]
fn the_functions_own_code_is_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let zip = pip_target_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    // lambda_function.py, its bytecode, helpers/__init__.py, helpers/retry.py
    assert_eq!(a["app"]["files"], 4);
    assert_eq!(a["unowned"]["files"], 0);
}

#[test]
fn direct_distributions_are_those_nothing_else_requires() {
    let dir = tempfile::tempdir().unwrap();
    let zip = pip_target_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    assert_eq!(package(a, "requests", None)["direct"], true);
    assert_eq!(package(a, "six", None)["direct"], true);
    // required by requests (names compared after PEP 503 normalisation)
    assert_eq!(package(a, "urllib3", None)["direct"], false);
    assert_eq!(package(a, "charset-normalizer", None)["direct"], false);
    assert_eq!(package(a, "protobuf", None)["direct"], false);
}

#[test]
fn metadata_without_a_name_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("app.py", "import attr\n")
        .file(
            "attrs-24.2.0.dist-info/METADATA",
            "Metadata-Version: 2.3\nVersion: 24.2.0\n\n",
        )
        .file("attrs-24.2.0.dist-info/RECORD", "attr/__init__.py,,\n")
        .file("attr/__init__.py", "x".repeat(3_000))
        .write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    let attrs = package(a, "attrs", Some("24.2.0"));
    assert_eq!(attrs["files"], 3);
    assert!(
        warnings(a).iter().any(|w| w
            == "attrs-24.2.0.dist-info/METADATA: no Name: field; using the directory name attrs"),
        "{:?}",
        warnings(a)
    );
}
