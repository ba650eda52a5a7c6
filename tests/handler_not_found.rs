//! runtime/handler-not-found: the handler a function is configured with
//! must name a module in the package and a function that module defines.

mod common;

use std::path::Path;

use common::{audit_with, rule_findings, ZipBuilder};
use serde_json::Value;

fn handler_findings(report: &Value) -> Vec<String> {
    rule_findings(report, "runtime/handler-not-found")
}

/// The handler findings of a run over `paths`, which must exit `code`.
fn handler_findings_of(paths: &[&Path], args: &[&str], code: i32) -> Vec<String> {
    let (exit, report) = common::audit_all(paths, args);
    assert_eq!(exit, Some(code), "{report}");
    handler_findings(&report)
}

fn function_zip(dir: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    ZipBuilder::new().files(files).write_to(dir, "function.zip")
}

#[test]
fn a_zip_of_the_build_folder_instead_of_its_contents() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(
        dir.path(),
        &[
            (
                "dist/index.js",
                "exports.handler = async () => ({ statusCode: 200 });\n",
            ),
            ("dist/lib/db.js", "module.exports = {};\n"),
        ],
    );
    let (code, report) = audit_with(
        &zip,
        &["--runtime", "nodejs20.x", "--handler", "index.handler"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `index.handler` needs index.js (or index.mjs, index.cjs) at the package root, but the package has dist/index.js: it holds the folder dist/, not its contents — every invocation fails with Runtime.ImportModuleError"]
    );
    // the same handler, pointed into the folder
    let (code, report) = audit_with(
        &zip,
        &["--runtime", "nodejs20.x", "--handler", "dist/index.handler"],
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(handler_findings(&report).is_empty());
}

#[test]
fn a_function_the_module_does_not_define() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(
        dir.path(),
        &[(
            "app.py",
            "import json\n\n\ndef handler(event, context):\n    return json.dumps(event)\n",
        )],
    );
    let (code, report) = audit_with(
        &zip,
        &["--runtime", "python3.12", "--handler", "app.lambda_handler"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `app.lambda_handler` names app.py, which defines no `lambda_handler` at module level: every invocation fails with Runtime.HandlerNotFound"]
    );
    let (code, _) = audit_with(
        &zip,
        &["--runtime", "python3.12", "--handler", "app.handler"],
    );
    assert_eq!(code, Some(0));

    let esm = tempfile::tempdir().unwrap();
    let zip = function_zip(
        esm.path(),
        &[("index.mjs", "export const main = async () => 1;\n")],
    );
    let (_, report) = audit_with(
        &zip,
        &["--runtime", "nodejs20.x", "--handler", "index.handler"],
    );
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `index.handler` names index.mjs, which exports no `handler`: every invocation fails with Runtime.HandlerNotFound"]
    );
}

#[test]
fn exports_that_cannot_be_seen_statically_are_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(
        dir.path(),
        &[
            // a bundler's CommonJS output, and a module re-exported whole
            ("index.js", "var __export = (t, all) => { for (var n in all) Object.defineProperty(t, n, { get: all[n] }); };\nvar src_exports = {};\n__export(src_exports, { handler: () => handler });\nmodule.exports = src_exports;\nasync function handler() { return 1; }\n"),
            ("api.js", "module.exports = require('./impl');\n"),
            ("impl.js", "exports.main = async () => 1;\n"),
            ("star.mjs", "export * from './impl.mjs';\n"),
            ("impl.mjs", "export const handler = async () => 1;\n"),
        ],
    );
    for handler in ["index.handler", "api.main", "star.handler"] {
        let (_, report) = audit_with(&zip, &["--runtime", "nodejs20.x", "--handler", handler]);
        assert!(handler_findings(&report).is_empty(), "{handler}");
    }
    // Python: a module shipped as bytecode only still imports
    let compiled = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("app.pyc", "\u{0}")
        .write_to(compiled.path(), "function.zip");
    let (_, report) = audit_with(
        &zip,
        &["--runtime", "python3.12", "--handler", "app.lambda_handler"],
    );
    assert!(handler_findings(&report).is_empty());
}

#[test]
fn typescript_is_not_run_by_lambda() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(
        dir.path(),
        &[(
            "src/index.ts",
            "export const handler = async (): Promise<number> => 1;\n",
        )],
    );
    let (code, report) = audit_with(
        &zip,
        &["--runtime", "nodejs22.x", "--handler", "src/index.handler"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `src/index.handler` is src/index.ts, but Lambda's Node runtimes do not run TypeScript"]
    );
}

#[test]
fn the_handler_comes_from_a_template_beside_the_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(
        dir.path(),
        &[(
            "app.py",
            "def lambda_handler(event, context):\n    return 1\n",
        )],
    );
    let template = |handler: &str, runtime: &str| {
        std::fs::write(
            dir.path().join("template.yaml"),
            format!("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: {runtime}\n      Handler: {handler}\n"),
        )
        .unwrap();
    };
    template("app.handler", "python3.12");
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(handler_findings(&report).len(), 1);
    template("app.lambda_handler", "python3.12");
    let (code, _) = audit_with(&zip, &[]);
    assert_eq!(code, Some(0));
    // a Java handler names a class, looked for among classes and jars
    template("com.example.Handler::handleRequest", "java21");
    let (_, report) = audit_with(&zip, &[]);
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `com.example.Handler::handleRequest` names class com.example.Handler, which is neither among the package's classes nor in a jar under lib/ — ClassNotFoundException at every cold start"]
    );
    // a custom runtime's handler is the program's own business; its
    // entry point is the root bootstrap, which this package lacks
    template("not.used", "provided.al2023");
    let (_, report) = audit_with(&zip, &[]);
    assert_eq!(
        handler_findings(&report),
        ["deny a custom runtime starts the root `bootstrap`, and the package has none — Runtime.InvalidEntrypoint at every invocation"]
    );
}

#[test]
fn an_inferred_handler_is_never_reported() {
    let dir = tempfile::tempdir().unwrap();
    // no handler given: lambda_function.py is taken, whatever it defines
    let zip = function_zip(
        dir.path(),
        &[(
            "lambda_function.py",
            "def main(event, context):\n    return 1\n",
        )],
    );
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0));
    assert!(handler_findings(&report).is_empty());
}

#[test]
fn a_sam_project_folder_is_not_its_function_package() {
    // `sam init` layout: the handler is relative to CodeUri, not to the
    // folder that holds the template
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("hello_world")).unwrap();
    std::fs::write(
        dir.path().join("hello_world/app.py"),
        "def lambda_handler(event, context):\n    return 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        "Resources:\n  HelloWorldFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: hello_world/\n      Handler: app.lambda_handler\n      Runtime: python3.12\n",
    )
    .unwrap();
    let (_, report) = audit_with(dir.path(), &[]);
    assert!(handler_findings(&report).is_empty(), "{report}");
    // the folder the template names is the package, and its handler is checked
    let (code, report) = audit_with(&dir.path().join("hello_world"), &["--handler", "app.main"]);
    assert_eq!(code, Some(1));
    assert_eq!(handler_findings(&report).len(), 1);
}

#[test]
fn a_sam_build_folder_takes_its_function_from_the_template_beside_it() {
    // `sam build` writes .aws-sam/build/template.yaml beside one folder per
    // function, each named by its CodeUri
    let build = tempfile::tempdir().unwrap();
    std::fs::write(
        build.path().join("template.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Timeout: 3\n    Runtime: python3.12\nResources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: OrdersFunction\n      Handler: orders.lambda_handler\n    Metadata:\n      SamResourceId: OrdersFunction\n  ReportsFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ReportsFunction\n      Handler: index.handler\n      Runtime: nodejs20.x\n",
    )
    .unwrap();
    let orders = build.path().join("OrdersFunction");
    std::fs::create_dir(&orders).unwrap();
    std::fs::write(
        orders.join("orders.py"),
        "def handler(event, context):\n    return 1\n",
    )
    .unwrap();
    let reports = build.path().join("ReportsFunction");
    std::fs::create_dir(&reports).unwrap();
    std::fs::write(
        reports.join("index.js"),
        "exports.handler = async () => 1;\n",
    )
    .unwrap();

    let (code, report) = audit_with(&orders, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["artifacts"][0]["runtime"], "python3.12",
        "from Globals"
    );
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `orders.lambda_handler` names orders.py, which defines no `lambda_handler` at module level: every invocation fails with Runtime.HandlerNotFound"]
    );
    let (code, report) = audit_with(&reports, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report["artifacts"][0]["runtime"], "nodejs20.x",
        "its own Runtime"
    );

    // `.aws-sam/build` itself is its functions' folders, each as above
    let project = tempfile::tempdir().unwrap();
    let sam_build = project.path().join(".aws-sam/build");
    common::copy_tree(build.path(), &sam_build);
    let (code, report) = audit_with(&sam_build, &[]);
    assert_eq!(code, Some(1));
    let runtimes: Vec<(&str, &str)> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let path = a["path"].as_str().unwrap();
            (
                path.rsplit('/').next().unwrap(),
                a["runtime"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        runtimes,
        [
            ("OrdersFunction", "python3.12"),
            ("ReportsFunction", "nodejs20.x")
        ]
    );
}

#[test]
fn a_wrapper_layers_handler_is_looked_for_in_the_layers() {
    // Datadog's layers set the handler to their own wrapper: a Python
    // module found through the layer's site-packages, or a Node file named
    // by its /opt path
    let dir = tempfile::tempdir().unwrap();
    let function = function_zip(
        dir.path(),
        &[(
            "app.py",
            "def lambda_handler(event, context):\n    return 1\n",
        )],
    );
    let layer = common::datadog_python_layer(dir.path());
    let wrapper = ["--handler", "datadog_lambda.handler.handler"];
    let run = |paths: &[&Path], runtime: &str| {
        let mut args = wrapper.to_vec();
        args.extend(["--runtime", runtime]);
        common::audit_all(paths, &args)
    };
    let (code, report) = run(&[&function, &layer], "python3.12");
    assert_eq!(code, Some(0), "{report}");
    assert!(handler_findings(&report).is_empty());
    // the layer's site-packages is 3.12's: python3.11 does not search it
    let (code, report) = run(&[&function, &layer], "python3.11");
    assert_eq!(code, Some(1));
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `datadog_lambda.handler.handler` is Datadog's wrapper, which none of the function's layers (datadog-layer.zip) provides for this runtime: every invocation fails with Runtime.ImportModuleError"]
    );
    // no layer known, or a template's by ARN: the vendor's layer comes
    // with its handler, and may well be attached
    let (code, report) = run(&[&function], "python3.12");
    assert_eq!(code, Some(0), "{report}");
    assert!(handler_findings(&report).is_empty());
    let (_deployed, deployed_zip) = common::beside_template(
        &function,
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: datadog_lambda.handler.handler\n      Runtime: python3.12\n      Layers:\n        - arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Python312:98\n",
    );
    let (code, report) = audit_with(&deployed_zip, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(handler_findings(&report).is_empty());
    // a handler of the function's own is still looked for
    let (code, report) = audit_with(
        &function,
        &["--handler", "missing.handler", "--runtime", "python3.12"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        handler_findings(&report),
        ["deny the handler `missing.handler` needs missing.py, which is not in the package: every invocation fails with Runtime.ImportModuleError"]
    );

    let node = function_zip(
        dir.path(),
        &[("index.js", "exports.handler = async () => 1;\n")],
    );
    let node_layer = ZipBuilder::new()
        .file(
            "nodejs/node_modules/datadog-lambda-js/dist/handler.js",
            "exports.handler = async () => 1;\n",
        )
        .write_to(dir.path(), "datadog-node-layer.zip");
    let other_layer = ZipBuilder::new()
        .file("nodejs/node_modules/ms/index.js", "module.exports = 1;\n")
        .write_to(dir.path(), "other-layer.zip");
    let args = [
        "--handler",
        "/opt/nodejs/node_modules/datadog-lambda-js/dist/handler.handler",
        "--runtime",
        "nodejs20.x",
    ];
    // its layer audited beside it, or no layer known: nothing to say
    assert!(handler_findings_of(&[&node, &node_layer], &args, 0).is_empty());
    assert!(handler_findings_of(&[&node], &args, 0).is_empty());
    // the layers known, none with the file
    assert_eq!(
        handler_findings_of(&[&node, &other_layer], &args, 1),
        ["deny the handler `/opt/nodejs/node_modules/datadog-lambda-js/dist/handler.handler` names a file in the function's layers, but none of them (other-layer.zip) has it: every invocation fails with Runtime.ImportModuleError"]
    );
}

/// A vendor's Node wrapper is a package its layer puts on NODE_PATH: the
/// handler (`{package}.handler`) has no file in the task root, so the
/// runtime requires it by name, and the wrapper loads the function's own
/// handler, named by `variable`. With the layer audited beside the function
/// init runs both; with no layer known there is nothing to say; with only
/// other layers known the handler is the vendor's missing wrapper.
fn node_wrapper_package(package: &str, variable: &str, vendor: &str) {
    let dir = tempfile::tempdir().unwrap();
    let node = function_zip(
        dir.path(),
        &[("index.js", "exports.handler = async () => 1;\n")],
    );
    let wrapper = format!("nodejs/node_modules/{package}");
    let layer = ZipBuilder::new()
        .file(
            &format!("{wrapper}/package.json"),
            format!("{{\"name\": \"{package}\", \"main\": \"index.js\"}}\n"),
        )
        .file(
            &format!("{wrapper}/index.js"),
            format!("const path = require('path');\nconst [file, name] = process.env.{variable}.split('.');\nexports.handler = require(path.join(process.env.LAMBDA_TASK_ROOT, file))[name];\n"),
        )
        .write_to(dir.path(), "wrapper-layer.zip");
    let other_layer = ZipBuilder::new()
        .file("nodejs/node_modules/ms/index.js", "module.exports = 1;\n")
        .write_to(dir.path(), "other-layer.zip");
    let config = dir.path().join("deadweight.toml");
    std::fs::write(
        &config,
        format!("[function]\nruntime = \"nodejs20.x\"\nhandler = \"{package}.handler\"\n[function.environment]\n{variable} = \"index.handler\"\n"),
    )
    .unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let (code, report) = common::audit_all(&[&node, &layer], &args);
    assert_eq!(code, Some(0), "{report}");
    assert!(handler_findings(&report).is_empty());
    let files = common::init_files(&report["artifacts"][0]["init"]);
    let expected: std::collections::BTreeSet<String> =
        ["index.js".to_string(), format!("/opt/{wrapper}/index.js")].into();
    assert_eq!(files, expected);
    assert!(handler_findings_of(&[&node], &args, 0).is_empty());
    assert_eq!(
        handler_findings_of(&[&node, &other_layer], &args, 1),
        [format!("deny the handler `{package}.handler` is {vendor}'s wrapper, which none of the function's layers (other-layer.zip) provides for this runtime: every invocation fails with Runtime.ImportModuleError")]
    );
}

#[test]
fn new_relics_node_wrapper_is_a_package_the_runtime_requires_by_name() {
    // New Relic's layers set the Node handler to `newrelic-lambda-wrapper.handler`
    node_wrapper_package(
        "newrelic-lambda-wrapper",
        "NEW_RELIC_LAMBDA_HANDLER",
        "New Relic",
    );
}

#[test]
fn lumigos_wrappers_load_the_handler_its_variable_names() {
    // Lumigo's CDK constructs and Serverless plugin set the handler to its
    // layer's `lumigo_tracer._handler` (Python) or `lumigo-auto-instrument.
    // handler` (Node), with the function's own in LUMIGO_ORIGINAL_HANDLER
    let dir = tempfile::tempdir().unwrap();
    let other_layer = ZipBuilder::new()
        .file("python/six.py", "")
        .file("nodejs/node_modules/ms/index.js", "module.exports = 1;\n")
        .write_to(dir.path(), "other-layer.zip");
    let config = |runtime: &str, wrapper: &str, own: &str| {
        let path = dir.path().join(format!("{runtime}.toml"));
        std::fs::write(
            &path,
            format!("[function]\nruntime = \"{runtime}\"\nhandler = \"{wrapper}\"\n[function.environment]\nLUMIGO_ORIGINAL_HANDLER = \"{own}\"\n"),
        )
        .unwrap();
        path
    };

    let python = ZipBuilder::new()
        .file(
            "app.py",
            "import json\ndef lambda_handler(event, context):\n    return 1\n",
        )
        .write_to(dir.path(), "python-function.zip");
    let python_layer = ZipBuilder::new()
        .file(
            "python/lumigo_tracer/__init__.py",
            "from .auto_instrument_handler import _handler  # noqa\n",
        )
        .file(
            "python/lumigo_tracer/auto_instrument_handler.py",
            "import os\nimport importlib\n\ndef _handler(*args, **kwargs):\n    module, name = os.environ['LUMIGO_ORIGINAL_HANDLER'].rsplit('.', 1)\n    return getattr(importlib.import_module(module), name)(*args, **kwargs)\n",
        )
        .write_to(dir.path(), "lumigo-python-layer.zip");
    let python_config = config("python3.12", "lumigo_tracer._handler", "app.lambda_handler");
    let args = ["--config", python_config.to_str().unwrap()];
    let (code, report) = common::audit_all(&[&python, &python_layer], &args);
    assert_eq!(code, Some(0), "{report}");
    assert!(handler_findings(&report).is_empty());
    let files = common::init_files(&report["artifacts"][0]["init"]);
    let expected = common::paths(&[
        "app.py",
        "/opt/python/lumigo_tracer/__init__.py",
        "/opt/python/lumigo_tracer/auto_instrument_handler.py",
    ]);
    assert_eq!(files, expected);
    assert_eq!(
        handler_findings_of(&[&python, &other_layer], &args, 1),
        ["deny the handler `lumigo_tracer._handler` is Lumigo's wrapper, which none of the function's layers (other-layer.zip) provides for this runtime: every invocation fails with Runtime.ImportModuleError"]
    );
    // the function's own handler is checked through the variable
    let wrong = config(
        "python3.12",
        "lumigo_tracer._handler",
        "main.lambda_handler",
    );
    let findings = handler_findings_of(
        &[&python, &python_layer],
        &["--config", wrong.to_str().unwrap()],
        1,
    );
    assert_eq!(
        findings,
        ["deny the handler `main.lambda_handler` needs main.py, which is not in the package: every invocation fails with Runtime.ImportModuleError"]
    );

    node_wrapper_package(
        "lumigo-auto-instrument",
        "LUMIGO_ORIGINAL_HANDLER",
        "Lumigo",
    );
}

#[test]
fn a_python_handler_given_as_an_absolute_path_never_imports() {
    // the runtime imports `module.replace("/", ".")`: `/opt/python/x` is
    // `.opt.python.x`, a relative import that raises TypeError, whether or
    // not a layer has the module (awslambdaric's bootstrap._get_handler)
    let dir = tempfile::tempdir().unwrap();
    let function = function_zip(
        dir.path(),
        &[(
            "app.py",
            "def lambda_handler(event, context):\n    return 1\n",
        )],
    );
    let layer = ZipBuilder::new()
        .file(
            "python/lumigo_tracer/__init__.py",
            "def _handler(e, c):\n    return 1\n",
        )
        .write_to(dir.path(), "lumigo-python-layer.zip");
    let python = |handler| ["--handler", handler, "--runtime", "python3.12"];
    let path_handler = python("/opt/python/lumigo_tracer._handler");
    let expected = ["deny the handler `/opt/python/lumigo_tracer._handler` is an absolute path: Python's runtime turns each / into a dot and imports `.opt.python.lumigo_tracer`, a relative import that fails (TypeError) at every cold start"];
    let fix = |report: &serde_json::Value| {
        report["artifacts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "runtime/handler-not-found")
            .map(|f| f["fix"].clone())
    };
    let by_module = "name the module as Python's search path sees it: `lumigo_tracer._handler`";
    for paths in [
        vec![function.as_path(), layer.as_path()],
        vec![function.as_path()],
    ] {
        let (code, report) = common::audit_all(&paths, &path_handler);
        assert_eq!(code, Some(1), "{report}");
        assert_eq!(handler_findings(&report), expected);
        assert_eq!(fix(&report).unwrap(), by_module);
    }
    // from a layer's site-packages folder, too
    let in_site_packages =
        python("/opt/python/lib/python3.12/site-packages/lumigo_tracer._handler");
    let (_, report) = common::audit_all(&[&function], &in_site_packages);
    assert_eq!(fix(&report).unwrap(), by_module);
    // the module name the fix gives is found in the layer
    let by_name = python("lumigo_tracer._handler");
    assert!(handler_findings_of(&[&function, &layer], &by_name, 0).is_empty());
    // a relative path is a dotted module name to the runtime
    let nested = ZipBuilder::new()
        .file(
            "src/app.py",
            "def lambda_handler(event, context):\n    return 1\n",
        )
        .write_to(dir.path(), "nested.zip");
    let relative = python("src/app.lambda_handler");
    assert!(handler_findings_of(&[&nested], &relative, 0).is_empty());
}

#[test]
fn a_node_handler_named_after_a_package_of_the_function_is_found_there() {
    // `handlers.main` with no handlers.js: the runtime requires the
    // function's own node_modules/handlers
    let dir = tempfile::tempdir().unwrap();
    let with_package = function_zip(
        dir.path(),
        &[(
            "node_modules/handlers/index.js",
            "exports.main = async () => 1;\n",
        )],
    );
    let args = ["--handler", "handlers.main", "--runtime", "nodejs20.x"];
    assert!(handler_findings_of(&[&with_package], &args, 0).is_empty());
    let without = ZipBuilder::new()
        .file(
            "node_modules/other/index.js",
            "exports.main = async () => 1;\n",
        )
        .write_to(dir.path(), "without.zip");
    assert_eq!(handler_findings_of(&[&without], &args, 1).len(), 1);
}

/// A function whose handler is neither given nor at the root (a TypeScript
/// build's dist/) gets no init report, and says why instead of nothing;
/// with the handler named, init is followed; a layer has no handler to ask.
#[test]
fn init_not_followed_says_why_and_what_names_the_handler() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "dist/handler.js",
            "\"use strict\";\nconst db = require('./db');\nexports.main = async () => db.get();\n",
        )
        .file("dist/db.js", "exports.get = () => 1;\n")
        .write_to(dir.path(), "function.zip");
    let (_, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["init"], Value::Null, "{artifact}");
    assert_eq!(
        artifact["init_not_followed"],
        "no index.js, app.py or lambda_function.py at the root"
    );
    // the terminal and the PR comment say it too
    for (format, said) in [
        ("terminal", "init: not followed (no index.js, app.py or lambda_function.py at the root); --handler FILE.FUNCTION names the handler"),
        ("markdown", "Init not followed (no index.js, app.py or lambda_function.py at the root); `--handler FILE.FUNCTION` names the handler."),
    ] {
        let out = common::deadweight()
            .args(["audit", "--color", "never", "--format", format])
            .args(["--runtime", "nodejs20.x"])
            .arg(&zip)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&out.stdout);
        assert!(out.contains(said), "{format}: {out}");
    }

    let (_, report) = audit_with(
        &zip,
        &["--runtime", "nodejs20.x", "--handler", "dist/handler.main"],
    );
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["init"]["loaded_files"], 2, "{artifact}");
    assert!(artifact.get("init_not_followed").is_none(), "{artifact}");

    // two candidates at the root: which one is the handler is not guessed
    let zip = ZipBuilder::new()
        .file("index.js", "exports.handler = async () => 1;\n")
        .file(
            "app.py",
            "def lambda_handler(event, context):\n    return 1\n",
        )
        .write_to(dir.path(), "two.zip");
    let (_, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
    let why = report["artifacts"][0]["init_not_followed"].as_str();
    assert!(
        why.is_some_and(|w| w.starts_with("several handler files at the root")),
        "{report}"
    );

    let layer = ZipBuilder::new()
        .file(
            "nodejs/node_modules/left-pad/package.json",
            r#"{"name":"left-pad","version":"1.3.0","main":"index.js"}"#,
        )
        .file(
            "nodejs/node_modules/left-pad/index.js",
            "module.exports = 1;\n",
        )
        .write_to(dir.path(), "layer.zip");
    let (_, report) = audit_with(&layer, &[]);
    assert!(
        report["artifacts"][0].get("init_not_followed").is_none(),
        "{report}"
    );
}
