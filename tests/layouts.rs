//! Lambda layers, build directories, several artifacts in one report, the
//! committed samples, and the terminal report a developer reads.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;

use common::{audit_json, deadweight, package, samples_dir, ZipBuilder};

#[test]
fn node_layer_with_a_runtime_specific_directory() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .dir("nodejs/")
        .file(
            "nodejs/package.json",
            "{\"dependencies\":{\"uuid\":\"9.0.1\"}}",
        )
        .file(
            "nodejs/node_modules/uuid/package.json",
            "{\"name\":\"uuid\",\"version\":\"9.0.1\"}",
        )
        .file("nodejs/node_modules/uuid/dist/index.js", "u".repeat(4_000))
        .file(
            "nodejs/node20/node_modules/sharp/package.json",
            "{\"name\":\"sharp\",\"version\":\"0.33.5\"}",
        )
        .file(
            "nodejs/node20/node_modules/sharp/lib/index.js",
            "s".repeat(9_000),
        )
        .write_to(dir.path(), "layer.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    assert_eq!(a["layout"], "layer");
    assert_eq!(a["runtime_family"], "node");
    assert_eq!(package(a, "uuid", None)["files"], 2);
    assert_eq!(package(a, "uuid", None)["direct"], true);
    assert_eq!(
        package(a, "sharp", None)["path"],
        "nodejs/node20/node_modules/sharp"
    );
}

#[test]
fn python_layers_in_both_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "python/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA",
            "Name: six\nVersion: 1.16.0\n",
        )
        .file(
            "python/lib/python3.12/site-packages/six-1.16.0.dist-info/RECORD",
            "six.py,,\n../../../bin/six-tool,,\n",
        )
        .file(
            "python/lib/python3.12/site-packages/six.py",
            "s".repeat(3_000),
        )
        .file(
            "python/lib/python3.12/site-packages/bin/six-tool",
            "#!/bin/sh\n",
        )
        .file("python/attr/__init__.py", "a".repeat(2_000))
        .file(
            "python/attrs-24.2.0.dist-info/METADATA",
            "Name: attrs\nVersion: 24.2.0\n",
        )
        .file(
            "python/attrs-24.2.0.dist-info/RECORD",
            "attr/__init__.py,,\n",
        )
        .file("python/shared_utils.py", "def helper(): pass\n")
        .write_to(dir.path(), "layer.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    assert_eq!(a["layout"], "layer");
    assert_eq!(package(a, "six", None)["files"], 4);
    assert_eq!(package(a, "attrs", None)["files"], 3);
    // the layer author's own module
    assert_eq!(a["app"]["files"], 1);
}

#[test]
fn java_layer() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("java/lib/jackson-core-2.17.2.jar", vec![0u8; 5_000])
        .write_to(dir.path(), "layer.zip");
    let a = &audit_json(&[&zip])["artifacts"][0];
    assert_eq!(a["layout"], "layer");
    assert_eq!(a["runtime_family"], "java");
}

#[test]
fn a_directory_is_walked_without_following_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("build");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(root.join("node_modules/ms")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("huge.bin"), vec![0u8; 1_000_000]).unwrap();
    std::fs::write(root.join("index.js"), "exports.handler = async () => 1;\n").unwrap();
    std::fs::write(
        root.join("node_modules/ms/package.json"),
        "{\"name\":\"ms\",\"version\":\"2.1.3\"}",
    )
    .unwrap();
    std::fs::write(root.join("node_modules/ms/index.js"), "m".repeat(10_000)).unwrap();
    symlink(&outside, root.join("linked-outside")).unwrap();
    symlink("ms", root.join("node_modules/alias")).unwrap();
    symlink(&root, root.join("loop")).unwrap();

    let before = listing(&root);
    let report = audit_json(&[&root]);
    assert_eq!(
        listing(&root),
        before,
        "the audit changed the input directory"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "the audit wrote next to its input"
    );

    let a = &report["artifacts"][0];
    assert_eq!(a["kind"], "directory");
    assert_eq!(a["zipped_estimated"], true);
    assert_eq!(a["files"], 3);
    let unzipped = a["unzipped_bytes"].as_u64().unwrap();
    assert!(
        unzipped < 20_000,
        "a symlink was followed: {unzipped} bytes"
    );
    assert_eq!(a["symlinks"].as_array().unwrap().len(), 3);
    // 10,000 repeated bytes deflate to very little
    let ms = package(a, "ms", None);
    assert!(ms["zipped_bytes"].as_u64().unwrap() < 500, "{ms}");
}

fn listing(root: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.path().symlink_metadata().unwrap();
            (e.path().display().to_string(), meta.len())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_directory_zipped_estimate_is_close_to_the_real_zip() {
    // the committed Node sample, extracted, against its own zip
    let dir = tempfile::tempdir().unwrap();
    let zip_path = samples_dir().join("node-express.zip");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    archive.extract(dir.path().join("x")).unwrap();
    let report = audit_json(&[&dir.path().join("x"), &zip_path]);
    let estimated = report["artifacts"][0]["zipped_bytes"].as_f64().unwrap();
    let real = report["artifacts"][1]["zipped_bytes"].as_f64().unwrap();
    assert_eq!(
        report["artifacts"][0]["unzipped_bytes"],
        report["artifacts"][1]["unzipped_bytes"]
    );
    let ratio = estimated / real;
    assert!(
        (0.95..1.05).contains(&ratio),
        "estimate {estimated} vs real {real}"
    );
}

#[test]
fn committed_samples_are_fully_owned() {
    let samples = [
        "node-express.zip",
        "python-requests.zip",
        "node-layer.zip",
        "python-layer.zip",
    ];
    let paths: Vec<_> = samples.iter().map(|s| samples_dir().join(s)).collect();
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let report = audit_json(&refs);
    let artifacts = report["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 4);
    let express = &artifacts[0];
    assert_eq!(package(express, "express", Some("4.21.2"))["direct"], true);
    assert!(express["packages"].as_array().unwrap().len() > 50);
    let requests = &artifacts[1];
    assert_eq!(requests["runtime_family"], "python");
    assert_eq!(
        package(requests, "requests", Some("2.32.3"))["direct"],
        true
    );
    assert_eq!(artifacts[2]["layout"], "layer");
    assert_eq!(artifacts[3]["layout"], "layer");
    for a in artifacts {
        assert!(
            a["warnings"].as_array().unwrap().is_empty(),
            "{}",
            a["warnings"]
        );
    }
}

#[test]
fn terminal_report_shows_totals_owners_and_heaviest_packages() {
    let output = deadweight()
        .args(["audit", "--color", "never", "--top", "3"])
        .arg(samples_dir().join("node-express.zip"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "colors with --color never");
    for expected in [
        "zip · function · node",
        "app (your code)",
        "heaviest packages",
        "express@4.21.2",
        "biggest directories",
        "node_modules/",
        "more packages",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // --top 3 lists exactly three packages before the summary line
    let listed = text
        .lines()
        .skip_while(|l| !l.contains("heaviest packages"))
        .skip(2)
        .take_while(|l| !l.contains("more packages"))
        .count();
    assert_eq!(listed, 3, "{text}");
}

#[test]
fn color_always_colors_and_no_color_is_honoured() {
    let sample = samples_dir().join("node-layer.zip");
    let colored = deadweight()
        .args(["audit", "--color", "always"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(String::from_utf8(colored.stdout)
        .unwrap()
        .contains('\u{1b}'));
    let plain = deadweight()
        .args(["audit"])
        .arg(&sample)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8(plain.stdout).unwrap().contains('\u{1b}'));
}
