//! The dependency graph on real-shaped packages: why-chains, retained
//! size, duplicates.

mod common;

use common::{audit_json, deadweight, package, samples_dir, success_json, ZipBuilder};

fn manifest(name: &str, version: &str, deps: &[(&str, &str)]) -> String {
    let deps: Vec<String> = deps
        .iter()
        .map(|(n, v)| format!("\"{n}\":\"{v}\""))
        .collect();
    format!(
        "{{\"name\":\"{name}\",\"version\":\"{version}\",\"dependencies\":{{{}}}}}",
        deps.join(",")
    )
}

/// express → debug@2.6.9 → ms@2.0.0 nested; body-parser shares the hoisted
/// debug@4 → ms@2.1.3; `shared` is kept alive by two dependents.
fn function() -> ZipBuilder {
    ZipBuilder::new()
        .file("index.js", "require('express'); require('body-parser');\n")
        .file(
            "package.json",
            manifest(
                "fn",
                "1.0.0",
                &[("express", "^4.21.2"), ("body-parser", "^1.20.3")],
            ),
        )
        .file(
            "node_modules/express/package.json",
            manifest(
                "express",
                "4.21.2",
                &[("debug", "2.6.9"), ("shared", "^1.0.0")],
            ),
        )
        .file("node_modules/express/index.js", "e".repeat(10_000))
        .file(
            "node_modules/express/node_modules/debug/package.json",
            manifest("debug", "2.6.9", &[("ms", "2.0.0")]),
        )
        .file(
            "node_modules/express/node_modules/debug/index.js",
            "d".repeat(2_000),
        )
        .file(
            "node_modules/express/node_modules/ms/package.json",
            manifest("ms", "2.0.0", &[]),
        )
        .file(
            "node_modules/express/node_modules/ms/index.js",
            "m".repeat(1_000),
        )
        .file(
            "node_modules/body-parser/package.json",
            manifest(
                "body-parser",
                "1.20.3",
                &[("debug", "^4.3.4"), ("shared", "^1.0.0")],
            ),
        )
        .file("node_modules/body-parser/index.js", "b".repeat(3_000))
        .file(
            "node_modules/debug/package.json",
            manifest("debug", "4.3.4", &[("ms", "^2.1.3")]),
        )
        .file("node_modules/debug/index.js", "D".repeat(4_000))
        .file("node_modules/ms/package.json", manifest("ms", "2.1.3", &[]))
        .file("node_modules/ms/index.js", "M".repeat(1_500))
        .file(
            "node_modules/shared/package.json",
            manifest("shared", "1.0.0", &[]),
        )
        .file("node_modules/shared/index.js", "s".repeat(7_000))
}

#[test]
fn retained_size_counts_only_what_the_package_alone_keeps_alive() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function().write_to(dir.path(), "function.zip");
    let a = &audit_json(&[&zip])["artifacts"][0];
    let bytes = |name: &str, version: &str| {
        package(a, name, Some(version))["unzipped_bytes"]
            .as_u64()
            .unwrap()
    };
    let retained = |name: &str, version: &str| {
        package(a, name, Some(version))["retained_bytes"]
            .as_u64()
            .unwrap()
    };
    // express frees its nested debug and ms, but not `shared`, which body-parser also uses
    assert_eq!(
        retained("express", "4.21.2"),
        bytes("express", "4.21.2") + bytes("debug", "2.6.9") + bytes("ms", "2.0.0")
    );
    assert_eq!(
        retained("body-parser", "1.20.3"),
        bytes("body-parser", "1.20.3") + bytes("debug", "4.3.4") + bytes("ms", "2.1.3")
    );
    assert_eq!(retained("shared", "1.0.0"), bytes("shared", "1.0.0"));
}

#[test]
fn duplicates_count_all_but_the_highest_version_as_reclaimable() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function().write_to(dir.path(), "function.zip");
    let a = &audit_json(&[&zip])["artifacts"][0];
    let findings = a["findings"].as_array().unwrap();
    let ms = findings
        .iter()
        .find(|f| f["rule"] == "common/duplicate-package" && f["package"] == "ms")
        .expect("ms duplicate");
    // ms@2.1.3 is kept; the nested 2.0.0 copy is what can go
    assert_eq!(
        ms["saving"]["unzipped_bytes"],
        package(a, "ms", Some("2.0.0"))["unzipped_bytes"]
    );
    // the extra copy's manifest, at the line naming it
    assert_eq!(
        ms["location"]["path"],
        "node_modules/express/node_modules/ms/package.json"
    );
    assert!(ms["location"]["line"].as_u64().is_some(), "{ms}");
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["rule"] == "common/duplicate-package")
            .count(),
        2
    );
}

#[test]
fn why_lists_the_shortest_chains_with_the_ranges_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function().write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["why", "ms", "--color", "never"])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let expected = "\
ms@2.1.3  node_modules/ms  1.5 KiB
  the function
    └─ body-parser@1.20.3  wanted \"^1.20.3\"
      └─ debug@4.3.4  wanted \"^4.3.4\"
        └─ ms@2.1.3  wanted \"^2.1.3\"

ms@2.0.0  node_modules/express/node_modules/ms  1.0 KiB
  the function
    └─ express@4.21.2  wanted \"^4.21.2\"
      └─ debug@2.6.9  wanted \"2.6.9\"
        └─ ms@2.0.0  wanted \"2.0.0\"
";
    // both copies are three steps away; the order between them follows the graph
    for block in expected.split("\n\n") {
        assert!(
            text.contains(block.trim_end()),
            "missing\n{block}\nin\n{text}"
        );
    }
}

#[test]
fn why_shows_every_shortest_chain_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function().write_to(dir.path(), "function.zip");
    let report = success_json(
        deadweight()
            .args(["why", "shared@1.0.0", "--format", "json"])
            .arg(&zip),
    );
    let chains = report["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 2);
    let via: Vec<&str> = chains
        .iter()
        .map(|c| c[1]["name"].as_str().unwrap())
        .collect();
    assert!(
        via.contains(&"express") && via.contains(&"body-parser"),
        "{via:?}"
    );
}

#[test]
fn why_exits_1_for_a_package_that_is_not_there() {
    let out = deadweight()
        .args(["why", "left-pad"])
        .arg(samples_dir().join("node-express.zip"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("left-pad is not installed"));
}

/// botocore installed with urllib3 and awscrt beside it, as pip lays them
/// out; `requires` are botocore's Requires-Dist lines.
fn botocore_layout(app: &str, requires: &str) -> ZipBuilder {
    ZipBuilder::new()
        .file("app.py", app)
        .file(
            "botocore-1.35.99.dist-info/METADATA",
            format!("Name: botocore\nVersion: 1.35.99\n{requires}"),
        )
        .file(
            "botocore-1.35.99.dist-info/RECORD",
            "botocore/__init__.py,,\n",
        )
        .file("botocore/__init__.py", "b".repeat(100))
        .file(
            "urllib3-2.2.3.dist-info/METADATA",
            "Name: urllib3\nVersion: 2.2.3\n",
        )
        .file("urllib3-2.2.3.dist-info/RECORD", "urllib3/__init__.py,,\n")
        .file("urllib3/__init__.py", "u".repeat(100))
        .file(
            "awscrt-0.22.0.dist-info/METADATA",
            "Name: awscrt\nVersion: 0.22.0\n",
        )
        .file("awscrt-0.22.0.dist-info/RECORD", "awscrt/__init__.py,,\n")
        .file("awscrt/__init__.py", "a".repeat(100))
}

#[test]
fn python_requirements_follow_markers_for_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let zip = botocore_layout(
        "import botocore\n",
        "Requires-Dist: urllib3 (<1.27,>=1.25.4) ; python_version < \"3.10\"\nRequires-Dist: urllib3 (!=2.2.0,<3,>=1.25.4) ; python_version >= \"3.10\"\nRequires-Dist: awscrt (==0.22.0) ; extra == \"crt\"\n",
    )
    .write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args([
            "why",
            "urllib3",
            "--format",
            "json",
            "--runtime",
            "python3.12",
        ])
        .arg(&zip)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["chains"][0][2]["requirement"],
        ">=1.25.4, !=2.2.0, <3"
    );
    // the crt extra was not asked for: awscrt hangs off the root, not botocore
    let out = deadweight()
        .args(["why", "awscrt", "--format", "json"])
        .arg(&zip)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["chains"][0].as_array().unwrap().len(), 2);
}

/// The audit's `direct` reads requirements as the graph does: one behind
/// an extra that no installed package asks for brings nothing in, so the
/// package is the function's own choice (and `why` agrees); once a package
/// asks for the extra, or pip's REQUESTED files show the extra was asked
/// for at install, it is brought in by the chain through it.
#[test]
fn a_requirement_behind_an_extra_nobody_asks_for_brings_nothing_in() {
    let dir = tempfile::tempdir().unwrap();
    let botocore = || {
        botocore_layout(
            "import botocore\nimport awscrt\n",
            "Requires-Dist: urllib3 (!=2.2.0,<3,>=1.25.4) ; python_version >= \"3.10\"\nRequires-Dist: awscrt (==0.22.0) ; extra == \"crt\"\n",
        )
    };
    let direct = |zip: &std::path::Path| -> Vec<(String, bool)> {
        let out = deadweight()
            .args(["audit", "--format", "json", "--runtime", "python3.12"])
            .arg(zip)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut packages: Vec<(String, bool)> = report["artifacts"][0]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["direct"].as_bool().unwrap(),
                )
            })
            .collect();
        packages.sort();
        packages
    };
    let why_length = |zip: &std::path::Path, package: &str| -> usize {
        let out = deadweight()
            .args(["why", package, "--format", "json"])
            .arg(zip)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["chains"][0].as_array().unwrap().len()
    };

    let alone = botocore().write_to(dir.path(), "alone.zip");
    let yes_no = |names: &[(&str, bool)]| -> Vec<(String, bool)> {
        names.iter().map(|(n, d)| (n.to_string(), *d)).collect()
    };
    assert_eq!(
        direct(&alone),
        yes_no(&[("awscrt", true), ("botocore", true), ("urllib3", false)])
    );
    assert_eq!(why_length(&alone, "awscrt"), 2);

    let asked = botocore()
        .file(
            "boto3-1.35.99.dist-info/METADATA",
            "Name: boto3\nVersion: 1.35.99\nRequires-Dist: botocore[crt] (<1.36.0,>=1.35.99)\n",
        )
        .file("boto3-1.35.99.dist-info/RECORD", "boto3/__init__.py,,\n")
        .file("boto3/__init__.py", "3".repeat(100))
        .write_to(dir.path(), "asked.zip");
    assert_eq!(
        direct(&asked),
        yes_no(&[
            ("awscrt", false),
            ("boto3", true),
            ("botocore", false),
            ("urllib3", false)
        ])
    );
    // function → boto3 → botocore → awscrt
    assert_eq!(why_length(&asked, "awscrt"), 4);

    // `pip install 'botocore[crt]'`: pip marks botocore REQUESTED, not
    // what it brought in; the extra was asked for
    let installed_with_extra = botocore()
        .file("botocore-1.35.99.dist-info/REQUESTED", "")
        .write_to(dir.path(), "installed-with-extra.zip");
    assert_eq!(
        direct(&installed_with_extra),
        yes_no(&[("awscrt", false), ("botocore", true), ("urllib3", false)])
    );
    assert_eq!(why_length(&installed_with_extra, "awscrt"), 3);
    // `pip install botocore awscrt`: both asked for by name
    let both_asked = botocore()
        .file("botocore-1.35.99.dist-info/REQUESTED", "")
        .file("awscrt-0.22.0.dist-info/REQUESTED", "")
        .write_to(dir.path(), "both-asked.zip");
    assert_eq!(
        direct(&both_asked),
        yes_no(&[("awscrt", true), ("botocore", true), ("urllib3", false)])
    );
    assert_eq!(why_length(&both_asked, "awscrt"), 2);
}
