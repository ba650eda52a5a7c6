//! npm layouts as `npm install` lays them out: hoisted and nested copies,
//! scoped packages, aliases, inner package.json markers.

mod common;

use common::{audit_json, package, warnings, ZipBuilder};

fn manifest(name: &str, version: &str, deps: &[(&str, &str)]) -> String {
    let deps: Vec<String> = deps
        .iter()
        .map(|(n, v)| format!("    \"{n}\": \"{v}\""))
        .collect();
    format!(
        "{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\",\n  \"main\": \"index.js\",\n  \"license\": \"MIT\",\n  \"dependencies\": {{\n{}\n  }}\n}}\n",
        deps.join(",\n")
    )
}

/// An Express function with the AWS SDK v3 S3 client, installed by npm:
/// `debug` hoisted at 4.3.4 and nested under express at 2.6.9, `my-ms` an
/// alias (`npm:ms@2.1.3`), a deep `node_modules` chain.
fn express_function() -> ZipBuilder {
    ZipBuilder::new()
        .file(
            "index.js",
            "const express = require('express');\nconst { S3Client } = require('@aws-sdk/client-s3');\nexports.handler = async () => ({ statusCode: 200 });\n",
        )
        .file(
            "package.json",
            manifest(
                "orders-api",
                "1.0.0",
                &[
                    ("express", "^4.21.2"),
                    ("@aws-sdk/client-s3", "^3.699.0"),
                    ("debug", "^4.3.4"),
                    ("my-ms", "npm:ms@2.1.3"),
                ],
            ),
        )
        .file("lib/orders.js", "module.exports = { list() { return []; } };\n")
        .file("node_modules/.package-lock.json", "{\"name\":\"orders-api\",\"lockfileVersion\":3}\n")
        .symlink("node_modules/.bin/mime", "../mime/cli.js")
        .dir("node_modules/express/")
        .file(
            "node_modules/express/package.json",
            manifest("express", "4.21.2", &[("debug", "2.6.9"), ("mime", "1.6.0")]),
        )
        .file("node_modules/express/index.js", "module.exports = require('./lib/express');\n")
        .file("node_modules/express/lib/express.js", "x".repeat(20_000))
        .file("node_modules/express/lib/router/index.js", "y".repeat(9_000))
        .file(
            "node_modules/express/node_modules/debug/package.json",
            manifest("debug", "2.6.9", &[("ms", "2.0.0")]),
        )
        .file("node_modules/express/node_modules/debug/src/index.js", "d".repeat(3_000))
        .file(
            "node_modules/express/node_modules/ms/package.json",
            manifest("ms", "2.0.0", &[]),
        )
        .file("node_modules/express/node_modules/ms/index.js", "m".repeat(3_000))
        .file("node_modules/debug/package.json", manifest("debug", "4.3.4", &[("ms", "2.1.2")]))
        .file("node_modules/debug/src/browser.js", "b".repeat(6_000))
        .file("node_modules/mime/package.json", manifest("mime", "1.6.0", &[]))
        .file("node_modules/mime/cli.js", "#!/usr/bin/env node\n")
        .file("node_modules/mime/types.json", "{}".repeat(5_000))
        .file("node_modules/my-ms/package.json", manifest("ms", "2.1.3", &[]))
        .file("node_modules/my-ms/index.js", "n".repeat(3_000))
        .file(
            "node_modules/@aws-sdk/client-s3/package.json",
            manifest("@aws-sdk/client-s3", "3.699.0", &[("@smithy/core", "^2.5.3")]),
        )
        .file("node_modules/@aws-sdk/client-s3/dist-cjs/index.js", "s".repeat(50_000))
        // inner manifests mark module types; they are not package roots
        .file("node_modules/@aws-sdk/client-s3/dist-es/package.json", "{\"type\":\"module\"}\n")
        .file("node_modules/@aws-sdk/client-s3/dist-es/index.js", "e".repeat(40_000))
        .file("node_modules/@smithy/core/package.json", manifest("@smithy/core", "2.5.3", &[]))
        .file("node_modules/@smithy/core/dist-cjs/index.js", "c".repeat(7_000))
        .file(
            "node_modules/a/node_modules/b/node_modules/@scope/c/package.json",
            manifest("@scope/c", "0.0.1", &[]),
        )
        .file("node_modules/a/package.json", manifest("a", "1.0.0", &[("b", "*")]))
        .file("node_modules/a/node_modules/b/package.json", manifest("b", "1.0.0", &[("@scope/c", "*")]))
        .file("node_modules/a/node_modules/b/node_modules/@scope/c/index.js", "z".repeat(100))
}

#[test]
fn every_package_root_is_found_with_its_own_name_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let zip = express_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];

    assert_eq!(a["runtime_family"], "node");
    assert_eq!(a["layout"], "function");
    let mut found: Vec<String> = a["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}@{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["path"].as_str().unwrap()
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "@aws-sdk/client-s3@3.699.0 node_modules/@aws-sdk/client-s3",
            "@scope/c@0.0.1 node_modules/a/node_modules/b/node_modules/@scope/c",
            "@smithy/core@2.5.3 node_modules/@smithy/core",
            "a@1.0.0 node_modules/a",
            "b@1.0.0 node_modules/a/node_modules/b",
            "debug@2.6.9 node_modules/express/node_modules/debug",
            "debug@4.3.4 node_modules/debug",
            "express@4.21.2 node_modules/express",
            "mime@1.6.0 node_modules/mime",
            "ms@2.0.0 node_modules/express/node_modules/ms",
            "ms@2.1.3 node_modules/my-ms",
        ]
    );
}

#[test]
fn files_belong_to_their_nearest_package_root() {
    let dir = tempfile::tempdir().unwrap();
    let zip = express_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];

    // express's own files, not its nested node_modules
    let express = package(a, "express", None);
    assert_eq!(express["files"], 4);
    assert_eq!(
        express["unzipped_bytes"].as_u64().unwrap(),
        express_manifest_len()
            + "module.exports = require('./lib/express');\n".len() as u64
            + 20_000
            + 9_000
    );
    // the inner dist-es/package.json stays with client-s3
    let s3 = package(a, "@aws-sdk/client-s3", None);
    assert_eq!(s3["files"], 4);
    assert_eq!(package(a, "debug", Some("2.6.9"))["files"], 2);
    // app: index.js, package.json, lib/orders.js
    assert_eq!(a["app"]["files"], 3);
    // node_modules/.package-lock.json and the .bin link belong to nobody
    assert_eq!(a["unowned"]["files"], 1);
    assert_eq!(a["symlinks"][0], "node_modules/.bin/mime");
}

fn express_manifest_len() -> u64 {
    manifest(
        "express",
        "4.21.2",
        &[("debug", "2.6.9"), ("mime", "1.6.0")],
    )
    .len() as u64
}

#[test]
fn direct_packages_are_the_ones_the_function_declares() {
    let dir = tempfile::tempdir().unwrap();
    let zip = express_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    assert_eq!(package(a, "express", None)["direct"], true);
    assert_eq!(package(a, "@aws-sdk/client-s3", None)["direct"], true);
    assert_eq!(package(a, "debug", Some("4.3.4"))["direct"], true);
    // declared through the alias directory name
    assert_eq!(package(a, "ms", Some("2.1.3"))["direct"], true);
    assert_eq!(package(a, "debug", Some("2.6.9"))["direct"], false);
    assert_eq!(package(a, "mime", None)["direct"], false);
    assert_eq!(package(a, "@smithy/core", None)["direct"], false);
}

#[test]
fn heaviest_packages_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let zip = express_function().write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let sizes: Vec<u64> = report["artifacts"][0]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["unzipped_bytes"].as_u64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert_eq!(
        report["artifacts"][0]["packages"][0]["name"],
        "@aws-sdk/client-s3"
    );
}

#[test]
fn a_broken_package_json_is_a_warning_and_the_package_keeps_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("index.js", "require('left-pad')\n")
        .file(
            "node_modules/left-pad/package.json",
            "{\n  \"name\": \"left-pad\",\n  \"version\": 1.3.0\n}\n",
        )
        .file(
            "node_modules/left-pad/index.js",
            "module.exports = (s) => s;\n",
        )
        .write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    let pad = package(a, "left-pad", None);
    assert!(pad["version"].is_null());
    assert_eq!(pad["files"], 2);
    let w = warnings(a);
    assert!(
        w.iter().any(|w| w.starts_with(
            "node_modules/left-pad/package.json: package.json not valid JSON (line 3"
        )),
        "{w:?}"
    );
}
