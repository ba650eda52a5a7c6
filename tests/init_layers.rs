//! Init follows a function's imports into the layers audited beside it,
//! on the paths Lambda gives layers (/opt/python, /opt/nodejs/node_modules
//! on NODE_PATH), and `measure --layer` runs the same mount. The layers
//! are the real pip and npm installs in samples/ (samples/build.sh).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{
    audit_all, audit_with, function, init_files, measured_files, measured_files_with,
    rule_findings, samples_dir, ZipBuilder,
};
use serde_json::Value;

fn estimate_low(init: &Value) -> f64 {
    init["estimate_ms"]["low"].as_f64().unwrap()
}

#[test]
fn python_init_loads_the_layers_site_packages_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "app.py",
        "import attrs\n\ndef lambda_handler(event, context):\n    return attrs.asdict(event)\n",
    );
    let layer = samples_dir().join("python-layer.zip");
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    let init = &report["artifacts"][0]["init"];
    let files = init_files(init);
    let site = "/opt/python/lib/python3.12/site-packages";
    for file in ["attrs/__init__.py", "attr/__init__.py", "attr/_make.py"] {
        assert!(
            files.contains(&format!("{site}/{file}")),
            "{file} not loaded: {files:?}"
        );
    }
    // six is in the layer, but nothing imports it
    assert!(!files.contains(&format!("{site}/six.py")));
    let from_layer = files.iter().filter(|f| f.starts_with("/opt/")).count();
    assert_eq!(init["layer_files"], from_layer);
    assert_eq!(init["loaded_files"], files.len());
    let attrs = init["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "attrs")
        .unwrap();
    assert_eq!(attrs["version"], "24.2.0");
    assert!(attrs["layer"]
        .as_str()
        .unwrap()
        .ends_with("python-layer.zip"));

    let terminal = common::audit_terminal(&[&zip, &layer], &["--runtime", "python3.12"]);
    assert!(
        terminal.contains(&format!(
            "loads 1 of 1 file (81 B of 81 B), and {from_layer} files ("
        )) && terminal.contains("from its layer (python-layer.zip) at module scope"),
        "{terminal}"
    );

    // the same function alone: attrs is missing, and init loads one file
    let (_, alone) = audit_with(&zip, &["--runtime", "python3.12"]);
    let alone = &alone["artifacts"][0]["init"];
    assert_eq!(alone["loaded_files"], 1);
    assert!(estimate_low(init) > estimate_low(alone), "{init}");
}

#[test]
fn a_layer_built_for_another_python_does_not_provide_its_modules() {
    // the layer's site-packages is python3.12's: a python3.11 function
    // does not search it, and fails at its first cold start
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", "import attrs\n");
    let layer = samples_dir().join("python-layer.zip");
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "python3.11"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["deny app.py:1 imports attrs at init, but attrs is not in the package, the standard library or the python3.11 runtime: python-layer.zip has it under python/lib/python3.12/site-packages/, which python3.11 does not search"]
    );
    let fix = report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "runtime/missing-module")
        .unwrap()["fix"]
        .clone();
    assert_eq!(fix, "rebuild python-layer.zip for python3.11: install into python/lib/python3.11/site-packages/ (with that Python's wheels) or python/");

    // a Node layer's versioned folder is searched by that version only
    let node = function(
        dir.path(),
        "index.js",
        "const dep = require('dep');\nexports.handler = async () => dep;\n",
    );
    let layer = ZipBuilder::new()
        .file(
            "nodejs/node20/node_modules/dep/package.json",
            r#"{"name":"dep","version":"1.0.0"}"#,
        )
        .file(
            "nodejs/node20/node_modules/dep/index.js",
            "module.exports = 1;\n",
        )
        .write_to(dir.path(), "node20-layer.zip");
    let (code, report) = audit_all(&[&node, &layer], &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    let (code, report) = audit_all(&[&node, &layer], &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["deny index.js:1 imports dep at init, but dep is not in the package, Node's built-ins or the nodejs22.x runtime: node20-layer.zip has it under nodejs/node20/node_modules/, which nodejs22.x does not search"]
    );
}

#[test]
fn node_init_follows_node_path_into_the_layer_as_node_does() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "index.js",
        "const { v4 } = require('uuid');\nconst ms = require('ms');\nexports.handler = async () => v4() + ms(1000);\n",
    );
    let layer = samples_dir().join("node-layer.zip");
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    let init = &report["artifacts"][0]["init"];
    let ours = init_files(init);
    assert!(ours.contains("/opt/nodejs/node_modules/uuid/dist/index.js"));
    assert!(ours.contains("/opt/nodejs/node_modules/ms/index.js"));
    // what node loads with the layer on NODE_PATH, named the same way
    let layer_arg = layer.to_str().unwrap();
    let real = measured_files_with(&zip, &["--layer", layer_arg]);
    assert_eq!(ours, real);

    // each of those files is a lookup and a compile at every cold start,
    // from the layer as from the function's own node_modules
    let from_layer = ours.iter().filter(|f| f.starts_with("/opt/")).count();
    let config = dir.path().join("deadweight.toml");
    std::fs::write(&config, "[thresholds]\nunbundled_files = 3\n").unwrap();
    let (_, report) = audit_all(
        &[&zip, &layer],
        &[
            "--runtime",
            "nodejs20.x",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let unbundled = rule_findings(&report, "node/unbundled-at-init");
    assert_eq!(unbundled.len(), 1, "{report}");
    assert!(
        unbundled[0].contains(&format!("loads {from_layer} files ("))
            && unbundled[0].contains(&format!(
                "from node_modules at init, {from_layer} of them from its layers, more than 3"
            )),
        "{unbundled:?}"
    );
}

#[test]
fn es_modules_find_layers_from_node_18_on() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "index.mjs",
            "import { v4 } from 'uuid';\nexport const handler = async () => v4();\n",
        )
        .write_to(dir.path(), "function.zip");
    let layer = samples_dir().join("node-layer.zip");
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    // uuid 9's `import` condition: an ES module wrapper around its CommonJS build
    let files = init_files(&report["artifacts"][0]["init"]);
    assert!(
        files.contains("/opt/nodejs/node_modules/uuid/wrapper.mjs")
            && files.contains("/opt/nodejs/node_modules/uuid/dist/index.js"),
        "{files:?}"
    );
    // node finds it as Lambda does, and loads the same files
    let layer_arg = layer.to_str().unwrap();
    let measured = measured_files_with(&zip, &["--layer", layer_arg, "--runtime", "nodejs20.x"]);
    assert_eq!(files, measured);
    // Lambda's Node 16 searches NODE_PATH for require only
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "nodejs16.x"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["deny index.mjs:1 imports uuid at init, but uuid is not in the package, Node's built-ins or the nodejs16.x runtime: node-layer.zip has it under nodejs/node_modules/, where nodejs16.x finds it for require but not for an ES module import"]
    );
}

#[test]
fn a_later_layer_replaces_an_earlier_ones_file() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", "import shared\n");
    let first = ZipBuilder::new()
        .file("python/shared.py", "import first_only\n")
        .file("python/first_only.py", "")
        .write_to(dir.path(), "first.zip");
    let second = ZipBuilder::new()
        .file("python/shared.py", "import second_only\n")
        .file("python/second_only.py", "")
        .write_to(dir.path(), "second.zip");
    let (code, report) = audit_all(&[&zip, &first, &second], &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    let expected: BTreeSet<String> = [
        "app.py",
        "/opt/python/shared.py",
        "/opt/python/second_only.py",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(init_files(&report["artifacts"][0]["init"]), expected);
}

/// The template `sam build` (SAM CLI 1.x) wrote for a function with a
/// layer built from requirements.txt (BuildMethod) and one given by ARN.
const SAM_BUILT_TEMPLATE: &str = "AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 3
Resources:
  DepsLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: DepsLayer
      CompatibleRuntimes:
      - python3.11
    Metadata:
      BuildMethod: python3.11
      SamResourceId: DepsLayer
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: HelloFunction
      Handler: app.lambda_handler
      Runtime: python3.11
      Layers:
      - Ref: DepsLayer
      - arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7
    Metadata:
      SamResourceId: HelloFunction
";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_sam_build_folder_follows_init_into_the_layers_its_template_builds() {
    let build = tempfile::tempdir().unwrap();
    let build = build.path();
    write(&build.join("template.yaml"), SAM_BUILT_TEMPLATE);
    write(
        &build.join("HelloFunction/app.py"),
        "import attrs\nimport powertools_only\n\ndef lambda_handler(event, context):\n    return 1\n",
    );
    // sam build installs a layer's requirements into python/
    write(
        &build.join("DepsLayer/python/attrs/__init__.py"),
        "from attr import define\n",
    );
    write(
        &build.join("DepsLayer/python/attr/__init__.py"),
        "def define(cls):\n    return cls\n",
    );
    write(
        &build.join("DepsLayer/python/attrs-24.2.0.dist-info/METADATA"),
        "Metadata-Version: 2.3\nName: attrs\nVersion: 24.2.0\n",
    );
    let (code, report) = audit_with(&build.join("HelloFunction"), &[]);
    let init = &report["artifacts"][0]["init"];
    assert_eq!(
        init["layers"][0],
        build.join("DepsLayer").display().to_string()
    );
    let expected: BTreeSet<String> = [
        "app.py",
        "/opt/python/attrs/__init__.py",
        "/opt/python/attr/__init__.py",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(init_files(init), expected);
    // the layer given by ARN may have powertools_only: a warning
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["warn app.py:2 imports powertools_only at init, but powertools_only is not in the package, the standard library or the python3.11 runtime; the template gives the function layers, which may provide it"]
    );

    // every layer on disk: what none of them has is missing for sure
    write(
        &build.join("template.yaml"),
        &SAM_BUILT_TEMPLATE.replace(
            "      - arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7\n",
            "",
        ),
    );
    let (code, report) = audit_with(&build.join("HelloFunction"), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["deny app.py:2 imports powertools_only at init, but powertools_only is not in the package, the standard library or the python3.11 runtime"]
    );
}

#[test]
fn syntax_the_runtime_lacks_in_a_layer_fails_init_too() {
    // a layer installed with a newer Python into python/, which every
    // Python searches: its modules are compiled by the runtime's
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", "import fmt\nimport shared\n");
    let layer = ZipBuilder::new()
        .file(
            "python/fmt/__init__.py",
            "def show(event):\n    return f\"{event[\"name\"]}\"\n",
        )
        .file(
            "python/fmt-2.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: fmt\nVersion: 2.0\n",
        )
        .file("python/fmt-2.0.dist-info/RECORD", "fmt/__init__.py,,\n")
        .file("python/shared.py", "type Pair = tuple[int, int]\n")
        .write_to(dir.path(), "layer.zip");
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "python3.11"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/python-syntax-too-new"),
        [
            "deny /opt/python/shared.py:1: cannot use `type` alias statement on Python 3.11 (syntax was added in Python 3.12); importing it at init raises SyntaxError",
            "deny fmt 2.0: /opt/python/fmt/__init__.py:2: cannot reuse outer quote character in f-strings on Python 3.11 (syntax was added in Python 3.12); importing it at init raises SyntaxError",
        ]
    );
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn the_config_names_a_functions_layers() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", "import attrs\n");
    let config = dir.path().join("deadweight.toml");
    std::fs::write(
        &config,
        format!(
            "[function]\nruntime = \"python3.12\"\nlayers = [{:?}]\n",
            samples_dir().join("python-layer.zip")
        ),
    )
    .unwrap();
    let config_arg = config.to_str().unwrap();
    let (code, report) = audit_with(&zip, &["--config", config_arg]);
    assert_eq!(code, Some(0), "{report}");
    let init = &report["artifacts"][0]["init"];
    assert!(init["layers"][0]
        .as_str()
        .unwrap()
        .ends_with("python-layer.zip"));
    assert!(init_files(init).contains("/opt/python/lib/python3.12/site-packages/attrs/__init__.py"));

    // a layer that is not there stops the gate: exit 2, naming it
    std::fs::write(
        &config,
        "[function]\nruntime = \"python3.12\"\nlayers = [\"build/missing-layer.zip\"]\n",
    )
    .unwrap();
    let output = common::deadweight()
        .args(["audit", "--config", config_arg])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("build/missing-layer.zip: no such file or directory"),
        "{stderr}"
    );
}

#[test]
fn a_layer_zipped_without_its_runtime_folder_is_named() {
    // node_modules/ (or site-packages' contents) zipped at the layer's root
    // land in /opt/node_modules, which nothing searches
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "index.js",
        "const ms = require('ms');\nexports.handler = async () => ms(1000);\n",
    );
    ZipBuilder::new()
        .file(
            "node_modules/ms/package.json",
            r#"{"name":"ms","version":"2.1.3"}"#,
        )
        .file("node_modules/ms/index.js", "module.exports = () => 1;\n")
        .write_to(dir.path(), "deps-layer.zip");
    let config = dir.path().join("deadweight.toml");
    std::fs::write(
        &config,
        "[function]\nruntime = \"nodejs20.x\"\nlayers = [\"deps-layer.zip\"]\n",
    )
    .unwrap();
    let (code, report) = audit_with(&zip, &["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    let misplaced = ["deny index.js:1 imports ms at init, but ms is not in the package, Node's built-ins or the nodejs20.x runtime: deps-layer.zip has it under node_modules/ at its root, but Lambda searches only a layer's nodejs/node_modules/ and nodejs/nodeNN/node_modules/"];
    assert_eq!(rule_findings(&report, "runtime/missing-module"), misplaced);
    // the same layer audited beside the function: node_modules/ alone is a
    // layer there, not a function the command line's handler is checked in
    let layer = dir.path().join("deps-layer.zip");
    let args = ["--runtime", "nodejs20.x", "--handler", "index.handler"];
    let (code, report) = common::audit_all(&[&zip, &layer], &args);
    assert_eq!(code, Some(1));
    assert_eq!(rule_findings(&report, "runtime/missing-module"), misplaced);
    assert_eq!(report["artifacts"][1]["layout"], "layer");
    assert!(report["artifacts"][1]["findings"]
        .as_array()
        .unwrap()
        .is_empty());
    // alone it may be a function whose handler its node_modules holds
    let (_, alone) = common::audit_all(&[&layer], &args);
    assert_eq!(alone["artifacts"][0]["layout"], "function");
}

#[test]
fn site_packages_zipped_at_a_layers_root_beside_the_function_are_named() {
    // `pip install -t layer/ && zip`: the packages land in /opt, which
    // Python does not search; beside the function the zip is that layer
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "app.py",
        "import markupsafe\n\ndef handler(event, context):\n    return markupsafe.escape(event)\n",
    );
    let layer = ZipBuilder::new()
        .tree(&common::registry_fixture("markupsafe-cp312"), "")
        .write_to(dir.path(), "pip-layer.zip");
    let args = ["--runtime", "python3.12", "--handler", "app.handler"];
    let (code, report) = common::audit_all(&[&zip, &layer], &args);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["deny app.py:1 imports markupsafe at init, but markupsafe is not in the package, the standard library or the python3.12 runtime: pip-layer.zip has it at its root, but Lambda searches only a layer's python/ and python/lib/pythonX.Y/site-packages/"]
    );
    assert_eq!(report["artifacts"][1]["layout"], "layer");
    // under python/, as a layer wants it, the module is found
    let proper = ZipBuilder::new()
        .tree(&common::registry_fixture("markupsafe-cp312"), "python/")
        .write_to(dir.path(), "python-layer.zip");
    let (code, report) = common::audit_all(&[&zip, &proper], &args);
    assert!(
        rule_findings(&report, "runtime/missing-module").is_empty(),
        "{report}"
    );
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn a_function_with_its_template_layers_counts_against_the_250_mb_limit() {
    let build = tempfile::tempdir().unwrap();
    let build = build.path();
    write(
        &build.join("template.yaml"),
        "Resources:\n  ModelLayer:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: ModelLayer\n  PredictFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: PredictFunction\n      Handler: app.lambda_handler\n      Runtime: python3.12\n      Layers:\n      - Ref: ModelLayer\n",
    );
    write(
        &build.join("PredictFunction/app.py"),
        "import model\n\ndef lambda_handler(event, context):\n    return model.predict(event)\n",
    );
    write(
        &build.join("ModelLayer/python/model.py"),
        "def predict(event):\n    return 1\n",
    );
    // a sparse file: 260 MiB of weights that take no disk
    let weights = std::fs::File::create(build.join("ModelLayer/python/weights.bin")).unwrap();
    weights.set_len(260 * 1024 * 1024).unwrap();
    let (code, report) = audit_with(&build.join("PredictFunction"), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "common/lambda-size-limit"),
        ["deny the function with its layer is 260.0 MiB unzipped: over Lambda's 250.0 MiB limit (104% of it)"]
    );
}

#[test]
fn native_code_in_a_template_layer_is_checked_against_the_functions_runtime() {
    // sam build installed the layer on a newer system than the runtime's
    let build = tempfile::tempdir().unwrap();
    let build = build.path();
    write(
        &build.join("template.yaml"),
        &SAM_BUILT_TEMPLATE.replace(
            "      - arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7\n",
            "",
        ),
    );
    write(
        &build.join("HelloFunction/app.py"),
        "def lambda_handler(event, context):\n    return 1\n",
    );
    let library = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rules/runtime/glibc-too-new/fail/libworker.so"),
    )
    .unwrap();
    let layer = build.join("DepsLayer/python/libworker.so");
    std::fs::create_dir_all(layer.parent().unwrap()).unwrap();
    std::fs::write(&layer, library).unwrap();
    let (code, report) = audit_with(&build.join("HelloFunction"), &[]);
    assert_eq!(code, Some(1));
    let findings = rule_findings(&report, "runtime/glibc-too-new");
    assert_eq!(findings.len(), 1, "{report}");
    assert!(
        findings[0].starts_with("deny layer DepsLayer: ") && findings[0].contains("GLIBC_2.34"),
        "{findings:?}"
    );
    let located = report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "runtime/glibc-too-new")
        .unwrap()["location"]["path"]
        .clone();
    assert_eq!(located, "/opt/python/libworker.so");
}

#[test]
fn a_package_in_both_the_function_and_its_layer_is_dead_weight_on_one_side() {
    let dir = tempfile::tempdir().unwrap();
    let code = "const ms = require('ms');\nexports.handler = async () => ms('1s');\n";
    let with_copy = |name: &str, version: &str| {
        ZipBuilder::new()
            .file("index.js", code)
            .file(
                "node_modules/ms/package.json",
                format!(r#"{{"name":"ms","version":"{version}"}}"#),
            )
            .file("node_modules/ms/index.js", "module.exports = () => 1000;\n")
            .write_to(dir.path(), name)
    };
    let layer = samples_dir().join("node-layer.zip");
    let duplicates = |zip: &Path| {
        let (_, report) = audit_all(&[zip, &layer], &["--runtime", "nodejs20.x"]);
        rule_findings(&report, "common/duplicate-in-layer")
    };
    // the layer's ms is 2.1.3
    assert_eq!(
        duplicates(&with_copy("same.zip", "2.1.3")),
        ["warn ms 2.1.3 ships in the package (60 B) and in layer node-layer.zip (2.1.3): the function's requires load the package's copy, and without it would find the layer's on NODE_PATH"]
    );
    // another version: what pins it needs it (Express's debug pins ms 2.0.0)
    assert!(duplicates(&with_copy("other.zip", "2.0.0")).is_empty());
    assert!(duplicates(&samples_dir().join("node-express.zip")).is_empty());
    // without its copy, the function loads the layer's
    let without = function(dir.path(), "index.js", code);
    let (status, report) = audit_all(&[&without, &layer], &["--runtime", "nodejs20.x"]);
    assert_eq!(status, Some(0), "{report}");
    assert!(init_files(&report["artifacts"][0]["init"])
        .contains("/opt/nodejs/node_modules/ms/index.js"));
}

#[test]
fn init_follows_the_handler_a_wrapper_layer_imports() {
    // Datadog's redirected handler: the layer's wrapper imports the
    // function's handler named by DD_LAMBDA_HANDLER
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "app.py",
        "import json\n\ndef lambda_handler(event, context):\n    return json.dumps(event)\n",
    );
    let layer = common::datadog_python_layer(dir.path());
    let config = dir.path().join("deadweight.toml");
    let audit = |environment: &str| {
        std::fs::write(
            &config,
            format!("[function]\nruntime = \"python3.12\"\nhandler = \"datadog_lambda.handler.handler\"\n{environment}"),
        )
        .unwrap();
        audit_all(&[&zip, &layer], &["--config", config.to_str().unwrap()])
    };
    let (code, report) =
        audit("[function.environment]\nDD_LAMBDA_HANDLER = \"app.lambda_handler\"\n");
    assert_eq!(code, Some(0), "{report}");
    let init = &report["artifacts"][0]["init"];
    assert_eq!(init["handler"], "app.lambda_handler");
    // the wrapper's module loads first, from its layer, and the function's
    let site = "/opt/python/lib/python3.12/site-packages/datadog_lambda";
    let expected: BTreeSet<String> = [
        "app.py".to_string(),
        format!("{site}/__init__.py"),
        format!("{site}/handler.py"),
    ]
    .into();
    assert_eq!(init_files(init), expected);
    assert!(rule_findings(&report, "runtime/handler-not-found").is_empty());

    // the handler it names must be there too
    let (code, report) = audit("[function.environment]\nDD_LAMBDA_HANDLER = \"app.main\"\n");
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/handler-not-found"),
        ["deny the handler `app.main` names app.py, which defines no `main` at module level: every invocation fails with Runtime.HandlerNotFound"]
    );

    // or the template's Environment names it
    let (_deployed, deployed_zip) = common::beside_template(
        &zip,
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: datadog_lambda.handler.handler\n      Runtime: python3.12\n      Environment:\n        Variables:\n          DD_LAMBDA_HANDLER: app.lambda_handler\n",
    );
    let (_, report) = audit_all(&[&deployed_zip, &layer], &[]);
    assert_eq!(
        report["artifacts"][0]["init"]["handler"],
        "app.lambda_handler"
    );

    // not told which: no init, and a warning says what to set
    let (_, report) = audit("");
    assert!(report["artifacts"][0]["init"].is_null());
    let warnings = common::warnings(&report["artifacts"][0]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Datadog's wrapper") && w.contains("DD_LAMBDA_HANDLER")),
        "{warnings:?}"
    );
}

#[test]
fn a_node_wrapper_handler_loads_from_its_layer_before_the_functions() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "index.js", "exports.handler = async () => 1;\n");
    let dist = "nodejs/node_modules/datadog-lambda-js/dist";
    let layer = ZipBuilder::new()
        .file(
            "nodejs/node_modules/datadog-lambda-js/package.json",
            r#"{"name":"datadog-lambda-js","version":"10.0.0","main":"dist/index.js"}"#,
        )
        .file(
            &format!("{dist}/handler.js"),
            "const tracer = require('./tracer');\nconst target = require(process.env.LAMBDA_TASK_ROOT + '/index.js');\nexports.handler = target.handler;\n",
        )
        .file(&format!("{dist}/tracer.js"), "module.exports = {};\n")
        .write_to(dir.path(), "datadog-node-layer.zip");
    let config = dir.path().join("deadweight.toml");
    std::fs::write(
        &config,
        "[function]\nruntime = \"nodejs20.x\"\nhandler = \"/opt/nodejs/node_modules/datadog-lambda-js/dist/handler.handler\"\n[function.environment]\nDD_LAMBDA_HANDLER = \"index.handler\"\n",
    )
    .unwrap();
    let (code, report) = audit_all(&[&zip, &layer], &["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{report}");
    let expected: BTreeSet<String> = [
        "index.js".to_string(),
        format!("/opt/{dist}/handler.js"),
        format!("/opt/{dist}/tracer.js"),
    ]
    .into();
    assert_eq!(init_files(&report["artifacts"][0]["init"]), expected);
}

#[test]
fn a_template_that_does_not_parse_leaves_the_audit_to_the_package() {
    // a half-written template: no layers from it, and no failure either
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", "import json\n");
    for text in [
        "Resources:\n  Fn: [unclosed\n    Layers:\n      - !Ref\n",
        "Resources:\n  DepsLayer:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: ../../../../../../../../nowhere\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Layers:\n        - Ref: DepsLayer\n        - !GetAtt Other.Arn\n        - {}\n",
        "\u{0}\u{1}binary",
    ] {
        let (_kept, deployed) = common::beside_template(&zip, text);
        let (code, report) = audit_with(&deployed, &["--runtime", "python3.12"]);
        assert_eq!(code, Some(0), "{text:?}: {report}");
        assert!(report["artifacts"][0]["init"]["layers"]
            .as_array()
            .unwrap()
            .is_empty());
    }
}

/// tests/fixtures/serverless-package: what `serverless package` wrote for a
/// service of two functions on one zip, whose requirements
/// serverless-python-requirements put in a layer.
fn serverless_package() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/serverless-package/.serverless")
}

#[test]
fn a_serverless_package_gives_its_functions_runtime_and_layers() {
    let zip = serverless_package().join("orders.zip");
    let layer = serverless_package().join("pythonRequirements.zip");
    for handler in ["handler.create", "report.main"] {
        let (code, report) = audit_with(&zip, &["--handler", handler]);
        assert_eq!(code, Some(0), "{report}");
        let artifact = &report["artifacts"][0];
        // from the compiled template: no --runtime given
        assert_eq!(artifact["runtime"], "python3.11");
        let init = &artifact["init"];
        assert_eq!(init["layers"][0], layer.display().to_string());
        let files = init_files(init);
        assert!(files.contains("/opt/python/attrs/__init__.py"), "{files:?}");
        assert!(files.contains("/opt/python/attr/_make.py"), "{files:?}");
        assert!(rule_findings(&report, "runtime/missing-module").is_empty());
    }
    // two functions deploy from the zip: the runtime they share, but no
    // handler to follow
    let (_, report) = audit_with(&zip, &[]);
    assert_eq!(report["artifacts"][0]["runtime"], "python3.11");
    assert!(report["artifacts"][0]["init"].is_null());
    // `.serverless/` itself is the zip its functions deploy from, with its
    // layer mounted as theirs and no input of its own
    let (_, whole) = audit_with(&serverless_package(), &[]);
    assert_eq!(whole["artifacts"].as_array().unwrap().len(), 1);
    assert_eq!(whole["artifacts"][0]["path"], zip.display().to_string());
    assert_eq!(whole["artifacts"][0]["runtime"], "python3.11");
    assert_eq!(
        whole["artifacts"][0]["deployed_as"],
        serde_json::json!(["orders-dev-create", "orders-dev-report"])
    );
    let text = common::audit_terminal(&[&serverless_package()], &[]);
    assert!(
        text.contains(
            "zip · function · python (python3.11) · deploys orders-dev-create, orders-dev-report"
        ),
        "{text}"
    );

    // the same zip away from what serverless compiled: attrs is missing
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("orders.zip");
    std::fs::copy(&zip, &alone).unwrap();
    let (code, report) = audit_with(
        &alone,
        &["--handler", "report.main", "--runtime", "python3.11"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["deny report.py:3 imports attrs at init, but attrs is not in the package, the standard library or the python3.11 runtime"]
    );
}

#[test]
fn measure_runs_a_serverless_package_with_the_layer_it_deploys_with() {
    let zip = serverless_package().join("orders.zip");
    // no --layer, no --runtime: the compiled template gives both
    let measured = common::measured_with(&zip, &["--handler", "report.main"]);
    assert_eq!(measured["runtime"], "python");
    let modules: BTreeSet<&str> = measured["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    let (_, report) = audit_with(&zip, &["--handler", "report.main"]);
    // what python imported from the layer, audit follows too
    let followed = init_files(&report["artifacts"][0]["init"]);
    for (module, file) in [
        ("attrs", "/opt/python/attrs/__init__.py"),
        ("attr._make", "/opt/python/attr/_make.py"),
    ] {
        assert!(modules.contains(module), "{modules:?}");
        assert!(followed.contains(file), "{followed:?}");
    }
}

/// Each artifact of a deployment folder's audit: its path, runtime and
/// the first name it deploys as.
fn deployments(report: &Value) -> Vec<(String, String, String)> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                a["runtime"].as_str().unwrap().to_string(),
                a["deployed_as"][0].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// tests/fixtures/cdk: what `cdk synth` wrote for a stack of a Python
/// function on arm64 with a layer and a Node function, each in its asset
/// folder in cdk.out.
#[test]
fn a_cdk_asset_gets_runtime_handler_architecture_and_layers_from_its_stack() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cdk/cdk.out");
    let template: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("OrdersStack.template.json")).unwrap(),
    )
    .unwrap();
    let asset_of = |logical_prefix: &str| {
        let (_, resource) = template["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(name, r)| {
                name.starts_with(logical_prefix) && r["Metadata"]["aws:asset:path"].is_string()
            })
            .unwrap();
        out.join(resource["Metadata"]["aws:asset:path"].as_str().unwrap())
    };
    // no flags: the stack template says all of it
    let (code, report) = audit_with(&asset_of("Api"), &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["runtime"], "python3.12");
    assert_eq!(artifact["architecture"], "arm64");
    let init = &artifact["init"];
    assert_eq!(init["handler"], "app.handler");
    // `from helpers import x` comes from the layer's asset folder
    assert_eq!(init["layers"][0], asset_of("Deps").display().to_string());
    assert!(
        init_files(init).contains("/opt/python/helpers.py"),
        "{init}"
    );
    assert!(rule_findings(&report, "runtime/missing-module").is_empty());

    let (_, report) = audit_with(&asset_of("Worker"), &[]);
    assert_eq!(report["artifacts"][0]["runtime"], "nodejs20.x");
    assert_eq!(report["artifacts"][0]["architecture"], "x86_64");

    assert_eq!(
        artifact["deployed_as"],
        serde_json::json!(["OrdersStack/Api"])
    );
    // the cloud assembly itself is its functions, each as above
    let (_, report) = audit_with(&out, &[]);
    assert_eq!(
        deployments(&report),
        [
            (
                asset_of("Api").display().to_string(),
                "python3.12".to_string(),
                "OrdersStack/Api".to_string()
            ),
            (
                asset_of("Worker").display().to_string(),
                "nodejs20.x".to_string(),
                "OrdersStack/Worker".to_string()
            ),
        ]
    );

    // the same folder away from its cloud assembly knows none of it
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&asset_of("Api"), dir.path());
    let (code, report) = audit_with(dir.path(), &["--runtime", "python3.12"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["artifacts"][0]["architecture"], "x86_64");
    assert_eq!(rule_findings(&report, "runtime/missing-module").len(), 1);
}

/// The Lambda module zips a `source_path` that is one file alone, as its
/// own examples write it: that file is the package, at its root.
#[test]
fn terraform_lambda_module_source_path_may_be_one_file() {
    let (project, infra) = common::terraform_files(&[
        (
            "src/index.py",
            "import json\n\n\ndef handler(event, context):\n    return json.dumps(event)\n",
        ),
        ("src/notes.txt", "not deployed\n"),
        (
            "infra/main.tf",
            r#"module "single" {
  source = "terraform-aws-modules/lambda/aws"

  function_name = "single"
  handler       = "index.handler"
  runtime       = "python3.12"
  source_path   = "${path.module}/../src/index.py"
}
"#,
        ),
    ]);
    let src = project.path().join("src");
    let (code, report) = audit_with(&infra, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        deployments(&report),
        [(
            src.join("index.py").display().to_string(),
            "python3.12".to_string(),
            "single".to_string()
        )]
    );
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["kind"], "file");
    assert_eq!(artifact["files"], 1);
    assert_eq!(artifact["init"]["handler"], "index.handler");
    assert_eq!(
        init_files(&artifact["init"]),
        BTreeSet::from(["index.py".to_string()])
    );
}

/// The Lambda module's `patterns` (regular expressions over paths from
/// the folder, `!` leaving out, the last match deciding) filter the folder
/// it packages, as its packaging script does.
#[test]
fn terraform_lambda_module_patterns_leave_files_out_of_the_folder() {
    let (_project, infra) = common::terraform_files(&[
        (
            "src/api/app.py",
            "import json\n\n\ndef handler(event, context):\n    return json.dumps(event)\n",
        ),
        ("src/api/tests/test_app.py", "import pytest\n"),
        ("src/api/docs/NOTES.md", "# notes\n"),
        ("src/api/README.md", "# api\n"),
        ("src/api/docs/keep.md", "# kept again by the last pattern\n"),
        (
            "infra/main.tf",
            r#"module "api" {
  source = "terraform-aws-modules/lambda/aws"

  function_name = "api"
  handler       = "app.handler"
  runtime       = "python3.12"
  source_path = [{
    path     = "${path.module}/../src/api"
    patterns = [
      "!tests/.*",
      "!.*\\.md",
      "docs/keep\\.md",
    ]
  }]
}
"#,
        ),
    ]);
    let (code, report) = audit_with(&infra, &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["deployed_as"][0], "api");
    // app.py and docs/keep.md; tests/, its file and two Markdown files left out
    assert_eq!(artifact["files"], 2, "{report}");
    assert!(
        common::warnings(artifact).contains(
            &": 4 files or folders not audited: the deployment's excludes leave them out of the zip"
                .to_string()
        ),
        "{report}"
    );
}

/// A `source_path` list zips each of its paths, each under its
/// `prefix_in_zip` and filtered by its `patterns` (which see that
/// prefix): the function's code is all of them, and init follows imports
/// into the shared package it puts under `common/`.
#[test]
fn terraform_lambda_module_source_path_items_are_one_package() {
    let (project, infra) = common::terraform_files(&[
        ("src/orders/app.py", "from common.money import cents\n\n\ndef handler(event, context):\n    return cents(event)\n"),
        ("shared/__init__.py", ""),
        ("shared/money.py", "import decimal\n\n\ndef cents(value):\n    return int(decimal.Decimal(value) * 100)\n"),
        ("shared/test_money.py", "import pytest\n"),
        ("infra/main.tf", r#"module "orders" {
  source = "terraform-aws-modules/lambda/aws"

  function_name = "orders"
  handler       = "app.handler"
  runtime       = "python3.12"
  source_path = [
    "${path.module}/../src/orders",
    {
      path          = "${path.module}/../shared"
      prefix_in_zip = "common"
      patterns      = ["!common/test_.*"]
    },
    "${path.module}/../build/generated",
  ]
}
"#),
    ]);
    let root = project.path();
    let (code, report) = audit_with(&infra, &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["deployed_as"][0], "orders");
    assert_eq!(artifact["files"], 3, "{report}");
    assert_eq!(
        init_files(&artifact["init"]),
        BTreeSet::from([
            "app.py".to_string(),
            "common/__init__.py".to_string(),
            "common/money.py".to_string()
        ])
    );
    assert!(rule_findings(&report, "runtime/missing-module").is_empty());
    // Python, run on the package as the module zips it, imports the same
    let imported = measured_files(&root.join("src/orders"));
    assert!(
        ["app", "common", "common.money"]
            .iter()
            .all(|module| imported.contains(*module)),
        "{imported:?}"
    );
    // a path a build step makes is not there yet: said, not fatal
    assert!(
        common::warnings(artifact)
            .iter()
            .any(|w| w.contains("build/generated: packaged with the function but cannot be read")),
        "{report}"
    );
}

/// An `archive_file` of one `source_file` zips that file alone: before
/// Terraform has run, the file is the function's code.
#[test]
fn terraform_archive_file_of_one_source_file_is_that_file() {
    let (project, infra) = common::terraform_files(&[
        (
            "src/index.mjs",
            "export const handler = async () => ({ statusCode: 200 });\n",
        ),
        (
            "infra/main.tf",
            r#"data "archive_file" "index" {
  type        = "zip"
  source_file = "${path.module}/../src/index.mjs"
  output_path = "${path.module}/../build/index.zip"
}

resource "aws_lambda_function" "index" {
  function_name = "index"
  role          = "arn:aws:iam::123456789012:role/index"
  filename      = data.archive_file.index.output_path
  handler       = "index.handler"
  runtime       = "nodejs22.x"
}
"#,
        ),
    ]);
    let root = project.path();
    let (code, report) = audit_with(&infra, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        deployments(&report),
        [(
            root.join("src/index.mjs").display().to_string(),
            "nodejs22.x".to_string(),
            "index".to_string()
        )]
    );
    assert_eq!(report["artifacts"][0]["kind"], "file");
    assert_eq!(
        init_files(&report["artifacts"][0]["init"]),
        BTreeSet::from(["index.mjs".to_string()])
    );
}

/// A copy of the Lambda module kept in the repository (its own examples
/// call it as `source = "../../"`) is called as the module is, not read
/// as a module of the project's own.
#[test]
fn terraform_a_local_copy_of_the_lambda_module_is_the_lambda_module() {
    let (project, infra) = common::terraform_files(&[
        ("src/app.py", "def handler(event, context):\n    return 1\n"),
        ("vendor/terraform-aws-lambda/package.py", "# builds the package\n"),
        (
            "vendor/terraform-aws-lambda/variables.tf",
            "variable \"source_path\" {\n  default = null\n}\n\nvariable \"local_existing_package\" {\n  default = null\n}\n",
        ),
        (
            "vendor/terraform-aws-lambda/main.tf",
            "resource \"aws_lambda_function\" \"this\" {\n  filename = local.filename\n  handler  = var.handler\n  runtime  = var.runtime\n}\n",
        ),
        ("infra/main.tf", r#"module "app" {
  source = "../vendor/terraform-aws-lambda"

  function_name = "app"
  handler       = "app.handler"
  runtime       = "python3.13"
  source_path   = "${path.module}/../src"
}
"#),
    ]);
    let root = project.path();
    let (_, report) = audit_with(&infra, &[]);
    assert_eq!(
        deployments(&report),
        [(
            root.join("src").display().to_string(),
            "python3.13".to_string(),
            "app".to_string()
        )]
    );
}

/// A layer an `archive_file` makes of a folder holds what its excludes
/// leave: a module they leave out is missing at init.
#[test]
fn terraform_layer_folders_are_read_without_what_their_archive_excludes() {
    let project = tempfile::tempdir().unwrap();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform"),
        project.path(),
    );
    let orders = project.path().join("src/orders");
    let missing = || {
        let (_, report) = audit_with(&orders, &[]);
        rule_findings(&report, "runtime/missing-module")
    };
    assert_eq!(missing().len(), 1);
    let main_tf = project.path().join("infra/main.tf");
    let text = std::fs::read_to_string(&main_tf).unwrap();
    let layer = "  source_dir  = \"${path.module}/../layers/deps\"\n";
    assert!(text.contains(layer));
    std::fs::write(
        &main_tf,
        text.replace(
            layer,
            &format!("{layer}  excludes    = [\"python/helpers.py\"]\n"),
        ),
    )
    .unwrap();
    let found = missing();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.iter().any(|f| f.contains("imports helpers at init")),
        "{found:?}"
    );
}

/// tests/fixtures/terraform: a project Terraform deploys. Its `.tf` files
/// name each function's code (an `archive_file` of `src/orders`, the
/// Lambda module's `source_path`, one zip for a `for_each` of jobs, the
/// project's own module called with the API's folder),
/// runtime, handler, architecture and layers; auditing that code, or the
/// zip Terraform makes of it, reads them.
#[test]
fn terraform_gives_the_functions_it_deploys_runtime_handler_architecture_and_layers() {
    let project = tempfile::tempdir().unwrap();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform"),
        project.path(),
    );
    let orders = project.path().join("src/orders");
    let check_orders = |code: Option<i32>, report: &Value| {
        assert_eq!(code, Some(0), "{report}");
        let artifact = &report["artifacts"][0];
        assert_eq!(artifact["runtime"], "python3.12");
        assert_eq!(artifact["architecture"], "arm64");
        assert_eq!(artifact["deployed_as"], serde_json::json!(["orders-dev"]));
        let init = &artifact["init"];
        assert_eq!(init["handler"], "app.handler");
        // the layer an archive_file makes of layers/deps, and Powertools'
        // public layer, which deadweight cannot read
        assert!(
            Path::new(init["layers"][0].as_str().unwrap()).ends_with("layers/deps"),
            "{init}"
        );
        assert!(
            init_files(init).contains("/opt/python/helpers.py"),
            "{init}"
        );
        assert_eq!(
            rule_findings(report, "runtime/missing-module"),
            ["warn app.py:4 imports aws_lambda_powertools at init, but aws_lambda_powertools is not in the package, the standard library or the python3.12 runtime; the template gives the function layers, which may provide it"]
        );
    };
    // the folder the archive_file zips, before Terraform ran, without what
    // it excludes: the tests and any Markdown
    std::fs::create_dir_all(orders.join("tests")).unwrap();
    std::fs::write(orders.join("tests/test_app.py"), "import pytest\n").unwrap();
    std::fs::create_dir_all(orders.join("docs")).unwrap();
    std::fs::write(orders.join("docs/NOTES.md"), "# Orders\n").unwrap();
    let (code, report) = audit_with(&orders, &[]);
    check_orders(code, &report);
    assert_eq!(report["artifacts"][0]["files"], 1, "{report}");
    assert!(
        common::warnings(&report["artifacts"][0])
            .contains(&": 2 files or folders not audited: the deployment's excludes leave them out of the zip".to_string()),
        "{report}"
    );
    std::fs::remove_dir_all(orders.join("tests")).unwrap();
    std::fs::remove_dir_all(orders.join("docs")).unwrap();

    // the zip Terraform writes to build/, as the configuration names it
    std::fs::create_dir(project.path().join("build")).unwrap();
    let zip = ZipBuilder::new()
        .tree(&orders, "")
        .write_to(&project.path().join("build"), "orders.zip");
    let (code, report) = audit_with(&zip, &[]);
    check_orders(code, &report);

    // the configuration's folder is the functions it deploys
    let (_, report) = audit_with(&project.path().join("infra"), &[]);
    assert_eq!(
        deployments(&report),
        [
            // through the project's own module, with the arguments it is called with
            (
                project.path().join("src/api").display().to_string(),
                "python3.12".to_string(),
                "api-dev".to_string()
            ),
            (
                project.path().join("src/jobs").display().to_string(),
                "python3.13".to_string(),
                "nightly-dev".to_string()
            ),
            (
                zip.display().to_string(),
                "python3.12".to_string(),
                "orders-dev".to_string()
            ),
            (
                project.path().join("src/worker").display().to_string(),
                "nodejs20.x".to_string(),
                "worker-dev".to_string()
            ),
        ]
    );

    // the Lambda module's layer, made of layers/worker-deps as it is
    let (_, report) = audit_with(&project.path().join("src/worker"), &[]);
    let layers = &report["artifacts"][0]["init"]["layers"];
    assert!(
        Path::new(layers[0].as_str().unwrap()).ends_with("layers/worker-deps"),
        "{layers}"
    );

    let (_, report) = audit_with(&project.path().join("src/api"), &[]);
    assert_eq!(report["artifacts"][0]["architecture"], "arm64");
    assert_eq!(report["artifacts"][0]["init"]["handler"], "main.handler");

    // `for_each`: a function per entry, from one zip; the handler picks one
    let jobs = project.path().join("src/jobs");
    let (_, report) = audit_with(&jobs, &[]);
    assert_eq!(
        report["artifacts"][0]["deployed_as"],
        serde_json::json!(["nightly-dev", "hourly-dev"])
    );
    assert!(report["artifacts"][0]["init"].is_null());
    let (code, report) = audit_with(&jobs, &["--handler", "hourly.handler"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["artifacts"][0]["runtime"], "python3.13");
    assert_eq!(
        init_files(&report["artifacts"][0]["init"]),
        BTreeSet::from(["hourly.py".to_string()])
    );

    // terraform.tfvars sets variables over their defaults, as Terraform
    // loads it by itself
    std::fs::write(
        project.path().join("infra/terraform.tfvars"),
        "stage = \"prod\"\n",
    )
    .unwrap();
    let (_, report) = audit_with(&zip, &[]);
    assert_eq!(
        report["artifacts"][0]["deployed_as"],
        serde_json::json!(["orders-prod"])
    );

    // the same code away from its configuration knows none of it
    let away = tempfile::tempdir().unwrap();
    common::copy_tree(&orders, away.path());
    let (_, report) = audit_with(away.path(), &[]);
    assert!(report["artifacts"][0]["runtime"].is_null(), "{report}");
    assert_eq!(report["artifacts"][0]["architecture"], "x86_64");
}

/// A function deployed from S3: `s3_key` names the `aws_s3_object` that
/// uploads the zip, whose `source` is the artifact. One whose `count` is
/// 0 is not deployed.
#[test]
fn terraform_follows_a_function_s3_key_to_the_zip_it_uploads() {
    let (_project, zip, infra) =
        common::terraform_project("app.py", "def handler(event, context):\n    return 1\n");
    std::fs::write(
        infra.join("main.tf"),
        r#"resource "aws_s3_object" "code" {
  bucket = "builds-123456789012"
  key    = "ids/function.zip"
  source = "${path.module}/../build/function.zip"
  etag   = filemd5("${path.module}/../build/function.zip")
}

resource "aws_lambda_function" "ids" {
  function_name = "ids"
  role          = "arn:aws:iam::123456789012:role/ids"
  s3_bucket     = aws_s3_object.code.bucket
  s3_key        = aws_s3_object.code.key
  handler       = "app.handler"
  runtime       = "python3.13"
  architectures = ["arm64"]
}
"#,
    )
    .unwrap();
    // a copy of the function its `count` turns off deploys nothing
    std::fs::write(
        infra.join("disabled.tf"),
        r#"variable "legacy" {
  default = false
}

resource "aws_lambda_function" "legacy" {
  count         = var.legacy ? 1 : 0
  function_name = "ids-legacy"
  role          = "arn:aws:iam::123456789012:role/ids"
  filename      = "${path.module}/../build/function.zip"
  handler       = "legacy.handler"
  runtime       = "python3.9"
}
"#,
    )
    .unwrap();
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["runtime"], "python3.13");
    assert_eq!(artifact["architecture"], "arm64");
    assert_eq!(artifact["deployed_as"], serde_json::json!(["ids"]));
    assert_eq!(artifact["init"]["handler"], "app.handler");
}

/// Configurations kept per environment (`infra/envs/prod/`) calling the
/// project's own modules: found below the infrastructure folder, the
/// modules' `path.module` relative to the environment's folder, and the
/// modules not read as configurations of their own.
#[test]
fn terraform_per_environment_folders_are_found_below_the_infrastructure_folder() {
    let (project, zip, _) = common::terraform_project(
        "index.mjs",
        "export const handler = async () => ({ statusCode: 204 });\n",
    );
    let write = |path: &str, text: &str| {
        let file = project.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        "infra/modules/api/main.tf",
        r#"variable "stage" {
  type = string
}

resource "aws_lambda_function" "api" {
  function_name = "api-${var.stage}"
  role          = "arn:aws:iam::123456789012:role/api"
  filename      = "${path.module}/../../../build/function.zip"
  handler       = "index.handler"
  runtime       = "nodejs22.x"
  architectures = ["arm64"]
}
"#,
    );
    // through a module that calls another
    write(
        "infra/modules/service/main.tf",
        "variable \"stage\" {\n  type = string\n}\n\nmodule \"api\" {\n  source = \"../api\"\n  stage  = var.stage\n}\n",
    );
    write(
        "infra/envs/prod/main.tf",
        "module \"service\" {\n  source = \"../../modules/service\"\n  stage  = \"prod\"\n}\n",
    );
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["runtime"], "nodejs22.x");
    assert_eq!(artifact["architecture"], "arm64");
    assert_eq!(artifact["deployed_as"], serde_json::json!(["api-prod"]));
}
