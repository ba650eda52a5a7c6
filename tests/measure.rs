//! `deadweight measure` runs real node and python3 processes on packages
//! built here, and on the committed Express sample.

mod common;

use std::path::Path;

use common::{deadweight, samples_dir, ZipBuilder};
use serde_json::Value;

/// Runs measure with a private TMPDIR; returns the JSON and checks that
/// nothing was left behind there.
fn measure_json(zip: &Path, extra: &[&str]) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let output = deadweight()
        .env("TMPDIR", tmp.path())
        .args(["measure", "--format", "json", "--runs", "3"])
        .args(extra)
        .arg(zip)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "measure failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

fn measure_error(zip: &Path, extra: &[&str]) -> String {
    let output = deadweight()
        .args(["measure", "--runs", "1"])
        .args(extra)
        .arg(zip)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn module<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} not among the loaded modules: {}", report["modules"]))
}

#[test]
fn python_init_time_and_import_tree() {
    let dir = tempfile::tempdir().unwrap();
    // a package that takes 60 ms at import, through a submodule
    let zip = ZipBuilder::new()
        .file("app.py", "import json\nimport slowpkg\n\ndef lambda_handler(event, context):\n    raise SystemExit('the handler must never be called')\n")
        .file("slowpkg/__init__.py", "from slowpkg import heavy\n")
        .file("slowpkg/heavy.py", "import time\ntime.sleep(0.06)\n")
        .write_to(dir.path(), "function.zip");
    let report = measure_json(&zip, &[]);
    assert_eq!(report["runtime"], "python");
    assert_eq!(report["handler"], "app.lambda_handler");
    assert!(report["runtime_version"].as_str().unwrap().starts_with('3'));
    assert_eq!(report["runs"], 3);
    assert_eq!(report["samples_ms"].as_array().unwrap().len(), 3);
    let (min, median, p90) = (
        report["min_ms"].as_f64().unwrap(),
        report["median_ms"].as_f64().unwrap(),
        report["p90_ms"].as_f64().unwrap(),
    );
    assert!(min >= 55.0 && min <= median && median <= p90, "{report}");
    assert!(report["baseline_ms"].as_f64().unwrap() < 50.0);
    // the import tree: the handler module at the top, the sleep in heavy
    assert_eq!(report["import_tree"][0]["name"], "app");
    assert!(
        module(&report, "slowpkg.heavy")["self_ms"]
            .as_f64()
            .unwrap()
            >= 55.0
    );
    assert!(
        module(&report, "slowpkg")["cumulative_ms"]
            .as_f64()
            .unwrap()
            >= 55.0
    );
    assert_eq!(report["modules"][0]["name"], "app");
}

#[test]
fn layers_are_searched_where_lambda_puts_them() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("handler.py", "import layerdep\nimport sitedep\n")
        .write_to(dir.path(), "function.zip");
    // the first layer's layerdep is replaced by the second's, as on Lambda
    let first = ZipBuilder::new()
        .file(
            "python/layerdep.py",
            "raise ImportError('the first layer')\n",
        )
        .write_to(dir.path(), "first.zip");
    let second = ZipBuilder::new()
        .file("python/layerdep.py", "VALUE = 1\n")
        .write_to(dir.path(), "second.zip");
    // the site-packages folder of this machine's Python
    let version = std::process::Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    let site = ZipBuilder::new()
        .file(
            &format!(
                "python/lib/python{}/site-packages/sitedep.py",
                version.trim()
            ),
            "VALUE = 2\n",
        )
        .write_to(dir.path(), "site.zip");
    let layers = [&first, &second, &site].map(|p| p.to_str().unwrap());
    let report = measure_json(
        &zip,
        &[
            "--handler",
            "handler.main",
            "--layer",
            layers[0],
            "--layer",
            layers[1],
            "--layer",
            layers[2],
        ],
    );
    module(&report, "layerdep");
    module(&report, "sitedep");

    // a layer's folders in the function's own package are not searched
    let misplaced = ZipBuilder::new()
        .file("handler.py", "import layerdep\n")
        .file("python/layerdep.py", "VALUE = 1\n")
        .write_to(dir.path(), "misplaced.zip");
    let error = measure_error(&misplaced, &["--handler", "handler.main"]);
    assert!(error.contains("No module named 'layerdep'"), "{error}");
}

#[test]
fn node_commonjs_lists_loaded_files() {
    let dir = tempfile::tempdir().unwrap();
    let slow = "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60);\n";
    let zip = ZipBuilder::new()
        .file("index.js", "const dep = require('dep');\nconst slow = require('./lib/slow');\nexports.handler = async () => { throw new Error('never called'); };\n")
        .file("lib/slow.js", slow)
        .file("node_modules/dep/package.json", r#"{"name":"dep","version":"1.0.0","main":"main.js"}"#)
        .file("node_modules/dep/main.js", "module.exports = 'x'.repeat(10);\n")
        .write_to(dir.path(), "function.zip");
    let report = measure_json(&zip, &[]);
    assert_eq!(report["runtime"], "node");
    assert!(report["runtime_version"].as_str().unwrap().starts_with('v'));
    assert!(report["min_ms"].as_f64().unwrap() >= 55.0, "{report}");
    assert_eq!(report["baseline_module"], "empty CommonJS module");
    assert_eq!(module(&report, "lib/slow.js")["bytes"], slow.len());
    module(&report, "node_modules/dep/main.js");
    module(&report, "index.js");
}

/// Packages branch at init on what Lambda sets (dd-trace instruments
/// Lambda when AWS_LAMBDA_FUNCTION_NAME is set): measure runs with those
/// variables, whatever this shell has, so it loads what Lambda would.
#[test]
fn init_runs_with_the_variables_lambda_sets() {
    let dir = tempfile::tempdir().unwrap();
    let node = ZipBuilder::new()
        .file(
            "index.js",
            "if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) require('./lambda');\n\
             else require('./local');\n\
             if (process.env._HANDLER === 'index.handler' && process.env.AWS_EXECUTION_ENV === 'AWS_Lambda_nodejs20.x') require('./runtime');\n\
             exports.handler = async () => 1;\n",
        )
        .file("lambda.js", "")
        .file("local.js", "")
        .file("runtime.js", "")
        .write_to(dir.path(), "node.zip");
    let report = measure_json(&node, &["--runtime", "nodejs20.x"]);
    let names: Vec<&str> = report["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in ["index.js", "lambda.js", "runtime.js"] {
        assert!(names.contains(&name), "{name} not loaded: {names:?}");
    }

    let python = ZipBuilder::new()
        .file(
            "app.py",
            "import os\nif os.environ.get('AWS_EXECUTION_ENV') == 'AWS_Lambda_python3.12' and os.environ['LAMBDA_RUNTIME_DIR'] == '/var/runtime':\n    import on_lambda\n\n\ndef handler(event, context):\n    return 1\n",
        )
        .file("on_lambda.py", "")
        .write_to(dir.path(), "python.zip");
    let report = measure_json(&python, &["--runtime", "python3.12"]);
    module(&report, "on_lambda");
}

#[test]
fn node_es_module_with_top_level_await() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("package.json", r#"{"type":"module"}"#)
        .file("index.js", "await new Promise((resolve) => setTimeout(resolve, 200));\nexport const handler = async () => 1;\n")
        .write_to(dir.path(), "function.zip");
    // an older runtime than the node here: said so
    let report = measure_json(&zip, &["--runtime", "nodejs18.x"]);
    // the wait counts; the baseline taken off (an empty ES module, which
    // sets up the loader too) varies by more under load than a CommonJS one
    assert!(report["min_ms"].as_f64().unwrap() >= 180.0, "{report}");
    // Lambda's runtime has set up Node's ES module loader before it
    // imports the handler: the baseline imports an ES module too
    assert_eq!(report["baseline_module"], "empty ES module");
    // ES modules pass no require.cache: the listing run's loader hook has it
    module(&report, "index.js");
    let notes = report["notes"].to_string();
    assert!(notes.contains("runs on nodejs18.x"), "{notes}");
    // and the terminal counts it among the files loaded
    let out = deadweight()
        .args(["measure", "--color", "never", "--runs", "1"])
        .arg(&zip)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("loaded 1 file, "), "{text}");
}

#[test]
fn express_sample_skips_symlinks() {
    let report = measure_json(&samples_dir().join("node-express.zip"), &[]);
    module(&report, "node_modules/express/index.js");
    let notes = report["notes"].to_string();
    assert!(notes.contains("symlink"), "{notes}");
}

#[test]
fn failures_are_clear_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = ZipBuilder::new()
        .file("app.py", "import not_shipped_with_the_function\n")
        .write_to(dir.path(), "missing.zip");
    let error = measure_error(&missing, &[]);
    assert!(
        error.contains("ModuleNotFoundError") && error.contains("not_shipped_with_the_function"),
        "{error}"
    );

    let escaping = ZipBuilder::new()
        .file("app.py", "")
        .file("../outside.py", "")
        .write_to(dir.path(), "escaping.zip");
    let error = measure_error(&escaping, &[]);
    assert!(
        error.contains("outside the extraction directory"),
        "{error}"
    );

    let two = ZipBuilder::new()
        .file("app.py", "")
        .file("index.js", "")
        .write_to(dir.path(), "two.zip");
    let error = measure_error(&two, &[]);
    assert!(error.contains("--handler"), "{error}");

    // a cloud assembly of two functions: which one, by construct path
    let assembly = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cdk/cdk.out");
    let error = measure_error(&assembly, &[]);
    assert!(
        error.contains("deploys 2 functions; measure one of them")
            && error.contains("(OrdersStack/Api)")
            && error.contains("(OrdersStack/Worker)"),
        "{error}"
    );

    let error = measure_error(&missing, &["--interpreter", "/nonexistent/python3"]);
    assert!(error.contains("/nonexistent/python3"), "{error}");

    // a layer that is not there, and one whose entry would escape /opt
    let error = measure_error(&two, &["--layer", "/nonexistent/layer.zip"]);
    assert!(error.contains("/nonexistent/layer.zip"), "{error}");
    let error = measure_error(&missing, &["--layer", escaping.to_str().unwrap()]);
    assert!(
        error.contains("escaping.zip") && error.contains("outside the extraction directory"),
        "{error}"
    );

    let error = measure_error(&missing, &["--handler", "nothere.handler"]);
    assert!(error.contains("nothere"), "{error}");

    // the runtime's SDK for JavaScript: this machine has none to stand in
    let sdk = ZipBuilder::new()
        .file(
            "index.js",
            "require('@aws-sdk/client-s3');
",
        )
        .write_to(dir.path(), "sdk.zip");
    let error = measure_error(&sdk, &["--runtime", "nodejs20.x"]);
    assert!(
        error.contains("Cannot find module '@aws-sdk/client-s3'")
            && error.contains("comes with Lambda's Node.js runtime")
            && error.contains("--runtime-modules"),
        "{error}"
    );
    // a folder standing in for the runtime's node_modules, after the package
    let runtime = dir.path().join("sdk/node_modules/@aws-sdk/client-s3");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::write(
        runtime.join("package.json"),
        r#"{"name":"@aws-sdk/client-s3","main":"index.js"}"#,
    )
    .unwrap();
    std::fs::write(
        runtime.join("index.js"),
        "module.exports = { S3Client: class {} };\n",
    )
    .unwrap();
    let folder = dir.path().join("sdk/node_modules");
    let report = measure_json(
        &sdk,
        &[
            "--runtime",
            "nodejs20.x",
            "--runtime-modules",
            folder.to_str().unwrap(),
        ],
    );
    module(
        &report,
        "/var/runtime/node_modules/@aws-sdk/client-s3/index.js",
    );
}

/// Lambda's Python runtimes provide boto3: a function that imports it
/// without shipping it is measured with this machine's boto3, placed after
/// the package as on Lambda, and says so. Nothing else of this machine's
/// site-packages is found.
#[test]
fn boto3_comes_from_this_machines_python_as_the_runtime_provides_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = common::function(
        dir.path(),
        "app.py",
        "import boto3\n\n\ndef handler(event, context):\n    return 1\n",
    );
    let report = measure_json(
        &zip,
        &["--handler", "app.handler", "--runtime", "python3.12"],
    );
    assert!(module(&report, "boto3")["cumulative_ms"].as_f64().unwrap() > 0.0);
    assert!(module(&report, "botocore.session")["self_ms"].is_number());
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("boto3, botocore") && notes.contains("came from this machine's Python"),
        "{notes}"
    );

    // a package's own boto3 comes first, as on Lambda
    let zip = ZipBuilder::new()
        .file("app.py", "import boto3\n")
        .file("boto3/__init__.py", "VERSION = 'shipped'\n")
        .write_to(dir.path(), "shipped.zip");
    let report = measure_json(
        &zip,
        &["--handler", "app.handler", "--runtime", "python3.12"],
    );
    assert!(module(&report, "boto3")["cumulative_ms"].is_number());
    assert!(!report["modules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "botocore"));
    assert!(!report["notes"]
        .to_string()
        .contains("came from this machine"));

    // a module the runtime does not provide stays missing
    let zip = ZipBuilder::new()
        .file("app.py", "import pip\n")
        .write_to(dir.path(), "pip.zip");
    let error = measure_error(
        &zip,
        &["--handler", "app.handler", "--runtime", "python3.12"],
    );
    assert!(error.contains("No module named 'pip'"), "{error}");
}
