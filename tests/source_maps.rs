//! Source maps at cold start: the maps the files init loads name, what Node
//! reads of them (an inline map always, every map when NODE_OPTIONS
//! enables source maps), where the function's NODE_OPTIONS come from, and
//! `measure` running Node with them. The bundles are the registry fixture
//! tests/registry/npm/bundled builds with esbuild.

mod common;

use std::path::{Path, PathBuf};

use common::{audit_with, beside_template, deadweight, ZipBuilder};
use serde_json::Value;

const MAPS_ON: &str = "NODE_OPTIONS=--enable-source-maps";

fn dist(variant: &str) -> PathBuf {
    common::registry_fixture("bundled")
        .join("dist")
        .join(variant)
}

/// The zip of one esbuild output folder (`dist/<variant>`).
fn bundle_zip(dir: &Path, variant: &str) -> PathBuf {
    ZipBuilder::new()
        .tree(&dist(variant), "")
        .write_to(dir, &format!("{variant}.zip"))
}

fn init(report: &Value) -> &Value {
    &report["artifacts"][0]["init"]
}

fn midpoint(range: &Value) -> f64 {
    (range["low"].as_f64().unwrap() + range["high"].as_f64().unwrap()) / 2.0
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn a_map_file_is_parsed_at_init_only_when_node_options_enable_source_maps() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "minified");
    let map_bytes = std::fs::metadata(dist("minified").join("index.js.map"))
        .unwrap()
        .len();
    let (_, off) = audit_with(&zip, &[]);
    let (_, on) = audit_with(&zip, &["--env", MAPS_ON]);
    for report in [&off, &on] {
        // the map the bundle names, to the byte; nothing of it inline
        assert_eq!(init(report)["source_map_bytes"], map_bytes, "{report}");
        assert_eq!(init(report)["inline_map_bytes"], 0);
    }
    assert_eq!(init(&off)["source_maps_enabled"], false);
    assert_eq!(init(&on)["source_maps_enabled"], true);
    assert!(findings(&off, "node/source-maps-at-init").is_empty());

    // enabled, the map costs init time, and turning it off saves what the
    // estimate adds for it
    let added = midpoint(&init(&on)["estimate_ms"]) - midpoint(&init(&off)["estimate_ms"]);
    assert!(added > 1.0, "{added}");
    let found = findings(&on, "node/source-maps-at-init");
    assert_eq!(found.len(), 1, "{on}");
    let finding = found[0];
    assert_eq!(finding["location"]["path"], "index.js.map");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("3.0 MiB"), "{message}");
    let saved = midpoint(&finding["saving"]["init_ms"]);
    assert!((saved - added).abs() < 0.05 * added, "{saved} vs {added}");
}

#[test]
fn an_inline_map_is_read_at_every_load_and_its_fix_is_priced() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "inline");
    let code = std::fs::read_to_string(dist("inline").join("index.mjs")).unwrap();
    let url = code
        .rsplit_once("//# sourceMappingURL=")
        .unwrap()
        .1
        .trim_end();
    let payload = url.split_once("base64,").unwrap().1;
    let args = ["--handler", "index.handler", "--runtime", "nodejs20.x"];
    let (_, report) = audit_with(&zip, &args);
    let init = init(&report);
    // the comment holding the data URL, as the bundle reading counts it
    let inline = init["inline_map_bytes"].as_u64().unwrap() as usize;
    assert_eq!(
        "//# sourceMappingURL=".len() + url.len() + 1,
        inline,
        "{init}"
    );
    assert_eq!(
        report["artifacts"][0]["bundles"][0]["inline_map_bytes"],
        inline
    );
    // the JSON the data URL decodes to, which source maps enabled would parse
    let decoded = payload.trim_end_matches('=').len() / 4 * 3;
    let parsed = init["source_map_bytes"].as_u64().unwrap() as usize;
    assert!(parsed.abs_diff(decoded) <= 2, "{parsed} vs {decoded}");
    let found = findings(&report, "node/inline-source-map");
    assert_eq!(found.len(), 1, "{report}");
    let saved = midpoint(&found[0]["saving"]["init_ms"]);
    assert!(saved > 1.0, "{}", found[0]);
}

/// A deployment's template says what NODE_OPTIONS is; the config says it
/// for a function whose deployment deadweight cannot read; `--env` wins
/// over both.
#[test]
fn node_options_come_from_the_template_the_config_or_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let zip = bundle_zip(dir.path(), "minified");
    let template = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: function.zip\n      Handler: index.handler\n      Runtime: nodejs20.x\n      Environment:\n        Variables:\n          NODE_OPTIONS: --enable-source-maps\n";
    let (_keep, deployed) = beside_template(&zip, template);
    let enabled = |report: &Value| init(report)["source_maps_enabled"].as_bool().unwrap();
    assert!(enabled(&audit_with(&deployed, &[]).1));
    assert!(!enabled(
        &audit_with(
            &deployed,
            &["--env", "NODE_OPTIONS=--no-enable-source-maps"]
        )
        .1
    ));

    let config = dir.path().join("deadweight.toml");
    std::fs::write(
        &config,
        "[function.environment]\nNODE_OPTIONS = \"--max-old-space-size=512 --enable-source-maps\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    assert!(enabled(&audit_with(&zip, &["--config", config]).1));
    assert!(!enabled(
        &audit_with(&zip, &["--config", config, "--env", "NODE_OPTIONS="]).1
    ));
}

#[test]
fn env_arguments_must_name_a_variable() {
    let out = deadweight()
        .args(["audit", "--env", "=1", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not NAME=VALUE"));
}

/// `measure` runs Node as Lambda would with the function's NODE_OPTIONS:
/// the handler's module fails to load unless source maps are on.
#[test]
fn measure_runs_node_with_the_functions_node_options() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "index.js",
            "if (!process.sourceMapsEnabled) throw new Error('source maps are off');\nexports.handler = async () => 1;\n",
        )
        .write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["measure", "--runs", "1"])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let measured = common::measured_with(&zip, &["--env", MAPS_ON]);
    let notes = measured["notes"].to_string();
    assert!(notes.contains(MAPS_ON), "{notes}");

    // from the deployment's template when not given
    let template = "Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: function.zip\n      Handler: index.handler\n      Runtime: nodejs20.x\n      Environment:\n        Variables:\n          NODE_OPTIONS: --enable-source-maps\n";
    let (_keep, deployed) = beside_template(&zip, template);
    common::measured(&deployed);
}
