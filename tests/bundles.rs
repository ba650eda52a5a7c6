//! Bundled functions: what a file of the function's own code that esbuild
//! bundled is made of, read from its source map (a file beside it, or
//! inline) or from esbuild's module comments, checked against esbuild's
//! own account of the same build (its metafile: the bytes each input
//! contributes to the output). The fixture is built by
//! tests/registry/npm/bundled/build.sh from the registry's packages.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::ZipBuilder;
use serde_json::Value;

fn fixture() -> PathBuf {
    common::registry_fixture("bundled")
}

/// The zip of one esbuild output folder (`dist/<variant>`).
fn bundle_zip(dir: &Path, variant: &str) -> PathBuf {
    ZipBuilder::new()
        .tree(&fixture().join("dist").join(variant), "")
        .write_to(dir, &format!("{variant}.zip"))
}

/// What esbuild's metafile says each package and the function's own
/// sources put into the output: bytes by install path
/// (`node_modules/@smithy/core`), own code under "".
fn metafile_bytes(variant: &str, output: &str) -> BTreeMap<String, u64> {
    let meta: Value = serde_json::from_slice(
        &std::fs::read(fixture().join(format!("meta/{variant}.json"))).unwrap(),
    )
    .unwrap();
    let inputs = meta["outputs"][format!("dist/{variant}/{output}")]["inputs"]
        .as_object()
        .unwrap();
    let mut by_package = BTreeMap::new();
    for (path, input) in inputs {
        let owner = match path.find("node_modules/") {
            Some(at) => {
                let rest: Vec<&str> = path[at + "node_modules/".len()..].split('/').collect();
                let name_parts = if rest[0].starts_with('@') { 2 } else { 1 };
                format!("node_modules/{}", rest[..name_parts].join("/"))
            }
            None => String::new(),
        };
        *by_package.entry(owner).or_insert(0) += input["bytesInOutput"].as_u64().unwrap();
    }
    by_package
}

fn audit(zip: &Path, args: &[&str]) -> Value {
    let (code, report) = common::audit_with(zip, args);
    assert_eq!(code, Some(0), "{report}");
    report["artifacts"][0].clone()
}

fn only_bundle(artifact: &Value) -> &Value {
    let bundles = artifact["bundles"]
        .as_array()
        .unwrap_or_else(|| panic!("no bundles: {artifact}"));
    assert_eq!(bundles.len(), 1, "{bundles:?}");
    &bundles[0]
}

/// Packages, own code, the bundler's bytes and an inline map add up to
/// the file.
fn assert_every_byte_counted(bundle: &Value) {
    let packages: u64 = bundle["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["bytes"].as_u64().unwrap())
        .sum();
    let counted = packages
        + bundle["own"]["bytes"].as_u64().unwrap()
        + bundle["other_bytes"].as_u64().unwrap()
        + bundle["inline_map_bytes"].as_u64().unwrap();
    assert_eq!(
        counted,
        bundle["unzipped_bytes"].as_u64().unwrap(),
        "{bundle}"
    );
}

/// Each package's bytes against the metafile's: the same packages, each
/// within `tolerance` of esbuild's figure (or 256 bytes for tiny ones).
fn assert_matches_metafile(bundle: &Value, expected: &BTreeMap<String, u64>, tolerance: f64) {
    let found: BTreeMap<String, u64> = bundle["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_string(),
                p["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let packages: BTreeMap<&String, &u64> =
        expected.iter().filter(|(k, _)| !k.is_empty()).collect();
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        packages.keys().copied().collect::<Vec<_>>(),
        "packages in the bundle"
    );
    assert!(packages.len() > 20, "{packages:?}");
    for (path, &&meta) in &packages {
        let ours = found[*path];
        let allowed = (meta as f64 * tolerance).max(256.0);
        assert!(
            (ours as f64 - meta as f64).abs() <= allowed,
            "{path}: {ours} bytes found, esbuild's metafile says {meta}"
        );
    }
}

#[test]
fn a_minified_bundle_is_read_from_its_source_map() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "minified");
    let lockfile = fixture().join("package-lock.json");
    let artifact = audit(&zip, &["--lockfile", lockfile.to_str().unwrap()]);
    let bundle = only_bundle(&artifact);
    assert_eq!(bundle["path"], "index.js");
    assert_eq!(bundle["read_from"], "source_map");
    assert_eq!(bundle["map"], "index.js.map");
    assert_every_byte_counted(bundle);
    assert_matches_metafile(bundle, &metafile_bytes("minified", "index.js"), 0.02);
    // the two files of src/, a few hundred bytes minified
    assert_eq!(bundle["own"]["sources"], 2, "{bundle}");
    let own = bundle["own"]["bytes"].as_u64().unwrap();
    assert!((200..2048).contains(&own), "{bundle}");
    // the biggest share is the SDK's core, then what the code imports;
    // versions come from the lockfile given
    let packages = bundle["packages"].as_array().unwrap();
    assert_eq!(packages[0]["name"], "@smithy/core");
    let lodash = packages.iter().find(|p| p["name"] == "lodash").unwrap();
    assert_eq!(lodash["version"], "4.17.21");
    let client = packages
        .iter()
        .find(|p| p["name"] == "@aws-sdk/client-dynamodb")
        .unwrap();
    assert_eq!(client["version"], "3.1169.0");

    // without a lockfile the bundle cannot say which versions
    let artifact = audit(&zip, &[]);
    let packages = only_bundle(&artifact)["packages"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        packages.iter().all(|p| p.get("version").is_none()),
        "{packages:?}"
    );

    let terminal = common::audit_terminal(&[&zip], &["--top", "5"]);
    assert!(terminal.contains("inside index.js ("), "{terminal}");
    assert!(
        terminal.contains("read from its source map index.js.map"),
        "{terminal}"
    );
    assert!(terminal.contains("@smithy/core"), "{terminal}");
    assert!(terminal.contains("more packages"), "{terminal}");
}

#[test]
fn an_inline_source_map_is_read_and_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "inline");
    let artifact = audit(&zip, &[]);
    let bundle = only_bundle(&artifact);
    assert_eq!(bundle["path"], "index.mjs");
    assert_eq!(bundle["read_from"], "inline_source_map");
    assert!(bundle.get("map").is_none(), "{bundle}");
    assert_every_byte_counted(bundle);
    assert_matches_metafile(bundle, &metafile_bytes("inline", "index.mjs"), 0.02);
    // the data URL's line, from its `//#` to the end of the file
    let code = std::fs::read(fixture().join("dist/inline/index.mjs")).unwrap();
    let comment = String::from_utf8_lossy(&code)
        .rfind("//# sourceMappingURL=data:")
        .unwrap();
    assert_eq!(
        bundle["inline_map_bytes"].as_u64().unwrap(),
        (code.len() - comment) as u64
    );
    assert!(bundle["inline_map_bytes"].as_u64().unwrap() > 3 << 20);
}

#[test]
fn an_unminified_bundle_without_a_map_is_read_from_esbuilds_module_comments() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "plain");
    let artifact = audit(&zip, &[]);
    let bundle = only_bundle(&artifact);
    assert_eq!(bundle["read_from"], "module_comments");
    assert_every_byte_counted(bundle);
    // a module's stretch holds esbuild's wrapper around it too, which the
    // metafile leaves out
    assert_matches_metafile(bundle, &metafile_bytes("plain", "index.js"), 0.10);
    assert_eq!(bundle["own"]["sources"], 2, "{bundle}");
}

#[test]
fn an_unminified_bundle_with_a_map_reads_as_esbuild_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "plain-mapped");
    let artifact = audit(&zip, &[]);
    let bundle = only_bundle(&artifact);
    assert_eq!(bundle["read_from"], "source_map");
    assert_every_byte_counted(bundle);
    assert_matches_metafile(bundle, &metafile_bytes("plain-mapped", "index.js"), 0.05);
}

/// A map that cannot be read, or that belongs to another build, is named
/// in a warning and left aside; the audit still runs.
#[test]
fn a_broken_or_foreign_source_map_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let minified = std::fs::read(fixture().join("dist/minified/index.js")).unwrap();
    let unminified_map = std::fs::read(fixture().join("dist/plain-mapped/index.js.map")).unwrap();
    let foreign = ZipBuilder::new()
        .file("index.js", &minified)
        .file("index.js.map", &unminified_map)
        .write_to(dir.path(), "foreign.zip");
    let artifact = audit(&foreign, &[]);
    assert!(artifact.get("bundles").is_none(), "{artifact}");
    let warnings = common::warnings(&artifact);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("index.js.map: its mappings reach line")
                && w.contains("past the end of index.js")),
        "{warnings:?}"
    );

    let broken = ZipBuilder::new()
        .file("index.js", &minified)
        .file("index.js.map", "{\"version\": 3, \"sources\": [")
        .write_to(dir.path(), "broken.zip");
    let artifact = audit(&broken, &[]);
    assert!(artifact.get("bundles").is_none(), "{artifact}");
    let warnings = common::warnings(&artifact);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("index.js.map: not a source map deadweight can read")),
        "{warnings:?}"
    );
}

/// A file compiled on its own (tsc) has a map with one source: no bundle.
#[test]
fn a_compiled_file_with_its_own_map_is_no_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "index.js",
            "\"use strict\";\nexports.handler = async () => 1;\n//# sourceMappingURL=index.js.map\n",
        )
        .file(
            "index.js.map",
            r#"{"version":3,"file":"index.js","sourceRoot":"","sources":["../src/index.ts"],"names":[],"mappings":";AAAa,QAAA,OAAO,GAAG,KAAK,IAAI,EAAE,CAAC,CAAC,CAAC"}"#,
        )
        .write_to(dir.path(), "tsc.zip");
    let artifact = audit(&zip, &[]);
    assert!(artifact.get("bundles").is_none(), "{artifact}");
    assert!(common::warnings(&artifact).is_empty(), "{artifact}");
}

/// Maps no bundler would write: each a warning or nothing, never a crash,
/// and the audit runs on.
#[test]
fn malformed_source_maps_never_stop_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let code =
        "var a=1;\n// node_modules/ms/index.js\nvar ms=2;\n//# sourceMappingURL=index.js.map\n";
    let maps = [
        "",
        "null",
        "[1, 2]",
        r#"{"version": 3}"#,
        r#"{"version": 3, "sources": ["../node_modules/ms/index.js"], "mappings": "!!!!"}"#,
        r#"{"version": 3, "sources": ["../node_modules/ms/index.js"], "mappings": "A"}"#,
        r#"{"version": 3, "sources": ["../node_modules/ms/index.js"], "names": [], "mappings": "gggggggggC,AAAA;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;AAAA"}"#,
        r#"{"version": 3, "sources": ["../node_modules/ms/index.js"], "names": [], "mappings": "/////////////////////////////////////////D"}"#,
        r#"{"version": 3, "sections": [{"offset": {"line": 4294967295, "column": 4294967295}, "map": {"version": 3, "sources": ["a.js"], "mappings": "AAAA"}}]}"#,
        r#"{"version": 3, "sections": [{"offset": {"line": 0, "column": 0}, "map": {"version": 3, "sections": []}}]}"#,
        r#"{"version": 3, "sources": [null, "../node_modules/ms/index.js"], "names": [], "mappings": "AAAA,CCAA"}"#,
    ];
    for (n, map) in maps.iter().enumerate() {
        let zip = ZipBuilder::new()
            .file("index.js", code)
            .file("index.js.map", map)
            .write_to(dir.path(), &format!("map-{n}.zip"));
        let (exit, report) = common::audit_with(&zip, &[]);
        assert_eq!(exit, Some(0), "{map}: {report}");
    }
    // an inline map that is not base64
    let zip = ZipBuilder::new()
        .file(
            "index.js",
            "var a=1;\n//# sourceMappingURL=data:application/json;base64,%%%%\n",
        )
        .write_to(dir.path(), "inline.zip");
    let artifact = audit(&zip, &[]);
    let warnings = common::warnings(&artifact);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("index.js: its inline source map cannot be read")),
        "{warnings:?}"
    );
}

/// A package a rule names is found inside the bundle too: lodash and
/// moment bundled whole are node/heavy-library findings at index.js,
/// saving their bytes in the bundle.
#[test]
fn package_rules_see_the_packages_inside_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "minified");
    let lockfile = fixture().join("package-lock.json");
    let artifact = audit(&zip, &["--lockfile", lockfile.to_str().unwrap()]);
    let bundled: BTreeMap<String, u64> = only_bundle(&artifact)["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let heavy: Vec<&Value> = artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "node/heavy-library")
        .collect();
    let mut packages: Vec<&str> = heavy
        .iter()
        .map(|f| f["package"].as_str().unwrap())
        .collect();
    packages.sort_unstable();
    assert_eq!(packages, ["lodash@4.17.21", "moment@2.30.1"], "{heavy:?}");
    for f in heavy {
        assert_eq!(f["location"]["path"], "index.js");
        let message = f["message"].as_str().unwrap();
        assert!(
            message.ends_with("— bundled into index.js, as its source map index.js.map shows"),
            "{message}"
        );
        let name = f["package"].as_str().unwrap().split('@').next().unwrap();
        assert_eq!(
            f["saving"]["unzipped_bytes"].as_u64(),
            Some(bundled[name]),
            "{f}"
        );
        let zipped = f["saving"]["zipped_bytes"].as_u64().unwrap();
        assert!(zipped > 0 && zipped < bundled[name], "{f}");
    }
}

/// An inline source map is a finding of its own: its bytes, and what they
/// cost in the zip, which deleting the comment from the file gives back.
#[test]
fn an_inline_source_map_is_reported_with_what_it_costs_zipped() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "inline");
    let artifact = audit(&zip, &[]);
    let inline_map_bytes = only_bundle(&artifact)["inline_map_bytes"].as_u64().unwrap();
    let found: Vec<&Value> = artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "node/inline-source-map")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["location"]["path"], "index.mjs");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("index.mjs carries its source map inline: 4.0 MiB of its 4.7 MiB"),
        "{}",
        found[0]["message"]
    );
    let saving = &found[0]["saving"];
    assert_eq!(saving["unzipped_bytes"].as_u64(), Some(inline_map_bytes));
    // the same zip without the comment is smaller by about that much
    let code = std::fs::read(fixture().join("dist/inline/index.mjs")).unwrap();
    let without = &code[..code.len() - inline_map_bytes as usize];
    let stripped = ZipBuilder::new()
        .file("index.mjs", without)
        .write_to(dir.path(), "stripped.zip");
    let gone =
        artifact["zipped_bytes"].as_u64().unwrap() - std::fs::metadata(&stripped).unwrap().len();
    let estimated = saving["zipped_bytes"].as_u64().unwrap();
    assert!(
        (estimated as f64 / gone as f64 - 1.0).abs() < 0.05,
        "estimated {estimated}, the zip lost {gone}"
    );
}

/// `diff` of two builds of the function: the packages that left the
/// bundle, with their bytes, in JSON and in the pull-request comment.
#[test]
fn diff_shows_what_came_into_or_left_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let base = bundle_zip(dir.path(), "minified");
    let head = bundle_zip(dir.path(), "lean");
    let base_report = audit(&base, &[]);
    let diff = common::success_json(
        common::deadweight()
            .args(["diff", "--format", "json"])
            .arg(&base)
            .arg(&head),
    );
    let bundled = diff["artifacts"][0]["bundled"].as_array().unwrap();
    let change = |name: &str| {
        bundled
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {bundled:?}"))
    };
    let bytes_in_base = |name: &str| {
        only_bundle(&base_report)["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["bytes"]
            .as_i64()
            .unwrap()
    };
    for name in ["lodash", "moment", "@aws-sdk/lib-dynamodb"] {
        let c = change(name);
        assert_eq!(c["change"], "removed", "{c}");
        assert_eq!(c["bundle"], "index.js");
        assert_eq!(
            c["bytes"]["change"].as_i64(),
            Some(-bytes_in_base(name)),
            "{c}"
        );
    }
    // the client stays, smaller without the document client's commands
    assert!(
        bundled.iter().all(|c| c["change"] != "added"),
        "{bundled:?}"
    );
    // largest change first
    let sizes: Vec<u64> = bundled
        .iter()
        .map(|c| c["bytes"]["change"].as_i64().unwrap().unsigned_abs())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");

    let out = common::deadweight()
        .args(["diff", "--format", "markdown"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    let markdown = String::from_utf8(out.stdout).unwrap();
    assert!(markdown.contains("**Inside bundles**"), "{markdown}");
    assert!(
        markdown.contains("| `lodash` | `index.js` | removed |"),
        "{markdown}"
    );
}

/// The Markdown report (a job summary, a pull-request comment) shows what
/// the bundle is made of.
#[test]
fn the_markdown_report_shows_what_a_bundle_holds() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "minified");
    let out = common::deadweight()
        .args(["audit", "--format", "markdown"])
        .arg(&zip)
        .output()
        .unwrap();
    let markdown = String::from_utf8(out.stdout).unwrap();
    assert!(
        markdown.contains(
            "<details><summary>Inside <code>index.js</code> (672.5 KiB, read from its source map index.js.map)</summary>"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `lodash` | 71.8 KiB | 10.7% |"),
        "{markdown}"
    );
    assert!(markdown.contains("| own code | 467 B |"), "{markdown}");
}
