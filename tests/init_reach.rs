//! What the handler loads at init, followed statically by `audit`, checked
//! against what node and python3 really load (`deadweight measure`) and on
//! packages laid out here the way npm, pip and layers lay them out; and
//! the checks that read the handler's code (aws-sdk v2 keep-alive).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{
    audit_json, audit_with, deadweight, init_files, measured_files, measured_files_with, paths,
    rule_findings, samples_dir, ZipBuilder,
};
use serde_json::Value;

/// The report's `init`, whatever the gate says (a missing module fails it).
fn init(zip: &Path) -> Value {
    let (code, report) = audit_with(zip, &[]);
    assert!(matches!(code, Some(0 | 1)), "{report}");
    report["artifacts"][0]["init"].clone()
}

#[test]
fn express_init_matches_what_node_loads() {
    let zip = samples_dir().join("node-express.zip");
    let ours = init_files(&init(&zip));
    let real = measured_files(&zip);
    assert_eq!(
        ours,
        real,
        "missed {:?}, reported what node does not load {:?}",
        real.difference(&ours).collect::<Vec<_>>(),
        ours.difference(&real).collect::<Vec<_>>()
    );
    assert!(ours.contains("node_modules/express/lib/express.js"));
    // body-parser 1.x defines its parsers as getters that require them,
    // and Express 4 reads each at init (`exports.json = bodyParser.json`);
    // iconv-lite turns its streams on by calling a function of its own
    for behind_a_call in [
        "node_modules/body-parser/lib/types/json.js",
        "node_modules/raw-body/index.js",
        "node_modules/iconv-lite/lib/streams.js",
    ] {
        assert!(ours.contains(behind_a_call), "{behind_a_call}");
    }
}

/// `pkg/sub/__init__.py` → `pkg.sub`.
fn module_name(path: &str) -> String {
    let path = path.strip_suffix("/__init__.py").unwrap_or(path);
    let path = path.strip_suffix(".py").unwrap_or(path);
    let path = match path.find(".cpython-") {
        Some(at) if path.ends_with(".so") => &path[..at],
        _ => path,
    };
    path.replace('/', ".")
}

#[test]
fn requests_init_matches_what_python_imports() {
    let zip = samples_dir().join("python-requests.zip");
    let ours: BTreeSet<String> = init_files(&init(&zip))
        .iter()
        .map(|f| module_name(f))
        .collect();
    let shipped = [
        "requests",
        "urllib3",
        "idna",
        "certifi",
        "charset_normalizer",
    ];
    let real: BTreeSet<String> = measured_files(&zip)
        .into_iter()
        .filter(|m| shipped.contains(&m.split('.').next().unwrap()))
        .collect();
    // every module CPython imports, urllib3's optional SOCKS module too:
    // it runs until its import of the absent PySocks fails
    assert!(real.contains("urllib3.contrib.socks"), "{real:?}");
    let ours: BTreeSet<String> = ours
        .into_iter()
        .filter(|m| shipped.contains(&m.split('.').next().unwrap()))
        .collect();
    assert_eq!(ours, real);
    assert!(ours.contains("requests.sessions"));
}

#[test]
fn node_resolution_follows_exports_iife_and_skips_lazy_and_fallbacks() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("package.json", r#"{"name":"fn","version":"1.0.0"}"#)
        .file(
            "index.js",
            "const a = require('pkg-a');\n\
             const b = require('pkg-b/feature');\n\
             const conf = require('./config.json');\n\
             (function () { require('./lib/boot'); })();\n\
             try { require('fs'); } catch (e) { require('pkg-fallback'); }\n\
             exports.handler = async () => { const lazy = require('pkg-lazy'); return lazy; };\n",
        )
        .file("config.json", "{}")
        .file("lib/boot.js", "module.exports = 1;\n")
        .file("node_modules/pkg-a/package.json", r#"{"name":"pkg-a","version":"1.0.0","exports":{".":{"import":"./esm.mjs","require":"./cjs.js"}}}"#)
        .file("node_modules/pkg-a/cjs.js", "require('./dep');\n")
        .file("node_modules/pkg-a/dep.js", "")
        .file("node_modules/pkg-a/esm.mjs", "")
        .file("node_modules/pkg-b/package.json", r#"{"name":"pkg-b","version":"2.0.0","exports":{"./feature":"./lib/feature.js"}}"#)
        .file("node_modules/pkg-b/lib/feature.js", "")
        .file("node_modules/pkg-fallback/package.json", r#"{"name":"pkg-fallback","version":"1.0.0"}"#)
        .file("node_modules/pkg-fallback/index.js", "")
        .file("node_modules/pkg-lazy/package.json", r#"{"name":"pkg-lazy","version":"1.0.0"}"#)
        .file("node_modules/pkg-lazy/index.js", "")
        .write_to(dir.path(), "function.zip");
    let init = init(&zip);
    let loaded = init_files(&init);
    let expected: BTreeSet<String> = [
        "index.js",
        "config.json",
        "lib/boot.js",
        "node_modules/pkg-a/cjs.js",
        "node_modules/pkg-a/dep.js",
        "node_modules/pkg-b/lib/feature.js",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(loaded, expected);
    assert_eq!(init["handler"], "index.handler");
    assert_eq!(init["lazy_imports"], 2);
    let not_loaded = init["not_loaded"].to_string();
    assert!(
        not_loaded.contains("pkg-lazy@1.0.0") && not_loaded.contains("pkg-fallback@1.0.0"),
        "{not_loaded}"
    );
    assert_eq!(init["packages"][0]["name"], "pkg-a");
    assert_eq!(init["packages"][0]["loaded_files"], 2);
}

/// An ES module's top-level `await import()` runs at init (a template
/// literal without substitutions is a plain specifier), as does a
/// `require` made with createRequire; an import in the handler waits for
/// the first invocation.
#[test]
fn top_level_await_imports_and_create_require_load_at_init() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = ZipBuilder::new()
        .file(
            "package.json",
            r#"{"name":"fn","version":"1.0.0","type":"module"}"#,
        )
        .file(
            "index.js",
            "import { createRequire } from 'node:module';
             const require = createRequire(import.meta.url);
             const a = require('pkg-a');
             const b = await import('pkg-b');
             const c = await import(`pkg-c`);
             export const handler = async () => (await import('pkg-lazy')).default;
",
        );
    for name in ["pkg-a", "pkg-b", "pkg-c", "pkg-lazy"] {
        zip = zip
            .file(
                &format!("node_modules/{name}/package.json"),
                format!(r#"{{"name":"{name}","version":"1.0.0"}}"#),
            )
            .file(
                &format!("node_modules/{name}/index.js"),
                "module.exports = 1;\n",
            );
    }
    let zip = zip.write_to(dir.path(), "function.zip");
    let init = init(&zip);
    let expected: BTreeSet<String> = [
        "index.js",
        "node_modules/pkg-a/index.js",
        "node_modules/pkg-b/index.js",
        "node_modules/pkg-c/index.js",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(init_files(&init), expected);
    assert_eq!(init["lazy_imports"], 1);
}

#[test]
fn a_commonjs_module_may_return_at_its_top_level() {
    // Node wraps a CommonJS file in a function, so `return` at its top is
    // legal (packages use it to bail out early); the requires before it load
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("index.js", "const setup = require('./setup');\nexports.handler = async () => setup;\n")
        .file("setup.js", "const config = require('./config');\nif (!process.env.TRACE) {\n  module.exports = config;\n  return;\n}\nmodule.exports = require('./trace');\n")
        .file("config.js", "module.exports = {};\n")
        .file("trace.js", "module.exports = {};\n")
        .write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let init = &report["artifacts"][0]["init"];
    assert_eq!(
        init_files(init),
        paths(&["index.js", "setup.js", "config.js", "trace.js"])
    );
    assert!(common::warnings(&report["artifacts"][0]).is_empty());
}

#[test]
fn builds_tried_in_a_try_block_are_not_missing_files() {
    // the prebuilt-binary pattern: one require per platform, in a try
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("index.js", "const img = require('img');\nexports.handler = async () => img;\n")
        .file("node_modules/img/package.json", r#"{"name":"img","version":"1.0.0","main":"index.js"}"#)
        .file("node_modules/img/index.js", "let binding;\ntry {\n  switch (`${process.platform}-${process.arch}`) {\n    case 'darwin-arm64': binding = require('@img/darwin-arm64/img.node'); break;\n    case 'linux-x64': binding = require('@img/linux-x64/img.node'); break;\n  }\n} catch (err) {\n  binding = require('./wasm');\n}\nmodule.exports = binding;\nrequire('./not-shipped');\n")
        .file("node_modules/img/wasm.js", "module.exports = {};\n")
        .file("node_modules/@img/linux-x64/package.json", r#"{"name":"@img/linux-x64","version":"1.0.0"}"#)
        .file("node_modules/@img/linux-x64/img.node", "\x7fELF")
        .write_to(dir.path(), "function.zip");
    let init = init(&zip);
    assert!(init_files(&init).contains("node_modules/@img/linux-x64/img.node"));
    assert!(
        !init_files(&init).contains("node_modules/img/wasm.js"),
        "the catch is a fallback"
    );
    // the darwin build is tried and absent by design; ./not-shipped is missing
    assert_eq!(init["unresolved_guarded"], 1);
    let unresolved: Vec<&str> = init["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["module"].as_str().unwrap())
        .collect();
    assert_eq!(unresolved, ["./not-shipped"]);
}

#[test]
fn a_fallback_runs_at_init_when_what_its_try_imports_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    // the native build is not shipped: the catch's pure-JS fallback loads
    let node = ZipBuilder::new()
        .file("index.js", "let impl;\ntry {\n  impl = require('./build/Release/fast.node');\n} catch (e) {\n  impl = require('./slow');\n}\nexports.handler = async () => impl;\n")
        .file("slow.js", "module.exports = {};\n")
        .write_to(dir.path(), "node.zip");
    let load = init(&node);
    assert_eq!(
        init_files(&load),
        BTreeSet::from(["index.js".to_string(), "slow.js".to_string()])
    );
    assert_eq!(load["lazy_imports"], 0);
    // shipped: the fallback does not run
    let node = ZipBuilder::new()
        .file("index.js", "let impl;\ntry {\n  impl = require('./build/Release/fast.node');\n} catch (e) {\n  impl = require('./slow');\n}\nexports.handler = async () => impl;\n")
        .file("build/Release/fast.node", "\x7fELF")
        .file("slow.js", "module.exports = {};\n")
        .write_to(dir.path(), "node-native.zip");
    let load = init(&node);
    assert!(init_files(&load).contains("build/Release/fast.node"));
    assert!(!init_files(&load).contains("slow.js"));
    assert_eq!(load["lazy_imports"], 1);

    // Python: `except ImportError:` imports the pure-Python module; a
    // fallback inside a function stays lazy
    let python = ZipBuilder::new()
        .file("lambda_function.py", "try:\n    import fastjson as json\nexcept ImportError:\n    from vendor import slowjson as json\n\n\ndef lambda_handler(event, context):\n    try:\n        import orjson\n    except ImportError:\n        import vendor.other\n    return json\n")
        .file("vendor/__init__.py", "")
        .file("vendor/slowjson.py", "import decimal\n")
        .file("vendor/other.py", "")
        .write_to(dir.path(), "python.zip");
    let load = init(&python);
    assert_eq!(
        init_files(&load),
        paths(&[
            "lambda_function.py",
            "vendor/__init__.py",
            "vendor/slowjson.py"
        ])
    );
    assert!(load["runtime_modules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "decimal"));
}

/// `except ImportError: raise …` ends the module where its library is
/// missing: what it imports further down never loads. A handler that
/// carries on (`plugin = None`) goes on loading.
#[test]
fn an_import_error_raised_again_stops_the_module_there() {
    let dir = tempfile::tempdir().unwrap();
    let module = |handler: &str| {
        format!("import early\n\ntry:\n    import absent_library\nexcept ImportError:\n{handler}\n\nimport late\n")
    };
    let audit = |plugin: &str| {
        let zip = ZipBuilder::new()
            .file("app.py", "try:\n    import plugin\nexcept Exception:\n    plugin = None\n\n\ndef handler(event, context):\n    return plugin\n")
            .file("plugin.py", plugin)
            .file("early.py", "")
            .file("late.py", "")
            .write_to(dir.path(), "function.zip");
        init_files(&init(&zip))
    };
    let stopped = audit(&module(
        "    raise RuntimeError('plugin needs absent_library')",
    ));
    assert!(
        stopped.contains("early.py") && !stopped.contains("late.py"),
        "{stopped:?}"
    );
    let carried_on = audit(&module("    absent_library = None"));
    assert!(carried_on.contains("late.py"), "{carried_on:?}");
}

/// The gate's exit code auditing `zip` for python3.12, and its
/// runtime/missing-module findings.
fn missing_on_python(zip: &Path) -> (Option<i32>, Vec<String>) {
    let (code, report) = audit_with(zip, &["--runtime", "python3.12"]);
    (code, rule_findings(&report, "runtime/missing-module"))
}

/// The files init loads for an index.js that requires `module` inside a
/// `try` whose `catch` carries on, beside these files.
fn loaded_requiring_in_a_try(dir: &Path, module: &str, files: &[(&str, &str)]) -> BTreeSet<String> {
    let index = format!("let m;\ntry {{\n  m = require('{module}');\n}} catch (e) {{\n  m = null;\n}}\nexports.handler = async () => m;\n");
    let zip = ZipBuilder::new()
        .file("index.js", &index)
        .files(files)
        .write_to(dir, "node.zip");
    init_files(&init(&zip))
}

/// What python3 -S prints running `probe` in a folder of these files.
fn python_prints_with(files: &[(&str, &str)], probe: &str) -> String {
    let extracted = tempfile::tempdir().unwrap();
    common::write_files(extracted.path(), files);
    let out = std::process::Command::new("python3")
        .args(["-S", "-c", probe])
        .current_dir(extracted.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The files of the folder that python3 -S loads running `code` there.
fn python_loads(files: &[(&str, &str)], code: &str) -> BTreeSet<String> {
    let probe = format!(
        "import sys, os\nexec({code:?})\n\
         print(' '.join(sorted(os.path.relpath(m.__file__) for m in list(sys.modules.values()) \
         if getattr(m, '__file__', None) and os.path.abspath(m.__file__).startswith(os.getcwd()))))"
    );
    let printed = python_prints_with(files, &probe);
    printed.split(' ').map(str::to_string).collect()
}

/// A module imported in a `try` that imports, outside any `try`, a library
/// the package lacks stops there: what it imports further down never
/// loads (pymongo's optional pyopenssl_context stops at service_identity,
/// before cryptography), in Python as in CommonJS. Nothing is reported
/// missing: the importer catches the failure. A handler that itself
/// lacks two modules gets both reported, though the first stops it.
#[test]
fn a_module_missing_outside_a_try_stops_its_importer_there() {
    let dir = tempfile::tempdir().unwrap();
    let package = [
        (
            "pkg/__init__.py",
            "try:\n    from pkg import optional\nexcept ImportError:\n    optional = None\n",
        ),
        (
            "pkg/optional.py",
            "import json\nimport not_installed_dependency\nfrom pkg import heavy\n",
        ),
        ("pkg/heavy.py", "HEAVY = 1\n"),
    ];
    let zip = ZipBuilder::new()
        .file(
            "app.py",
            "import pkg\n\n\ndef handler(event, context):\n    return pkg.optional\n",
        )
        .files(&package)
        .write_to(dir.path(), "python.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    let loaded = init_files(&report["artifacts"][0]["init"]);
    assert_eq!(
        loaded,
        paths(&["app.py", "pkg/__init__.py", "pkg/optional.py"])
    );
    assert_eq!(
        python_prints_with(
            &package,
            "import sys\nimport pkg\nprint('pkg.heavy' in sys.modules, pkg.optional)"
        ),
        "False None"
    );

    let loaded = loaded_requiring_in_a_try(
        dir.path(),
        "./extra",
        &[
            ("extra.js", "const binding = require('not-installed-binding');\nconst heavy = require('./heavy');\nmodule.exports = { binding, heavy };\n"),
            ("heavy.js", "module.exports = {};\n"),
        ],
    );
    assert!(
        loaded.contains("extra.js") && !loaded.contains("heavy.js"),
        "{loaded:?}"
    );

    // the handler itself lacks two: both reported
    let zip = ZipBuilder::new()
        .file("app.py", "import first_missing\nimport second_missing\n\n\ndef handler(event, context):\n    return 1\n")
        .write_to(dir.path(), "both.zip");
    let (code, missing) = missing_on_python(&zip);
    assert_eq!(code, Some(1));
    assert_eq!(missing.len(), 2, "{missing:?}");
}

/// A module that stops fails the import of it: the package that imports
/// it, with nothing to catch the failure, stops there too (its later
/// submodules never load), and so does a CommonJS module whose require of
/// a failing one nothing catches. What CPython loads is the check.
#[test]
fn a_failing_module_stops_the_modules_that_import_it() {
    let dir = tempfile::tempdir().unwrap();
    let package = [
        ("plugin/__init__.py", "from plugin import early\nfrom plugin import needs_library\nfrom plugin import late\n"),
        ("plugin/early.py", ""),
        ("plugin/needs_library.py", "try:\n    import absent_library\nexcept ImportError:\n    raise RuntimeError('needs absent_library')\n"),
        ("plugin/late.py", ""),
    ];
    let plugin = ZipBuilder::new()
        .file("app.py", "try:\n    import plugin\nexcept Exception:\n    plugin = None\n\n\ndef handler(event, context):\n    return plugin\n")
        .files(&package)
        .write_to(dir.path(), "python.zip");
    let loaded = init_files(&init(&plugin));
    let expected = paths(&[
        "app.py",
        "plugin/__init__.py",
        "plugin/early.py",
        "plugin/needs_library.py",
    ]);
    assert_eq!(loaded, expected);
    // CPython agrees: the handler's module survives, plugin.late never ran
    assert_eq!(
        python_prints_with(
            &package,
            "import sys\ntry:\n    import plugin\nexcept Exception:\n    pass\nprint('plugin.late' in sys.modules, 'plugin.early' in sys.modules)"
        ),
        "False True"
    );

    let loaded = loaded_requiring_in_a_try(
        dir.path(),
        "./db",
        &[
            ("db.js", "const pool = require('./pool');\nconst queries = require('./queries');\nmodule.exports = { pool, queries };\n"),
            ("pool.js", "try {\n  module.exports = require('pg-native');\n} catch (e) {\n  throw new Error('pg-native is required');\n}\n"),
            ("queries.js", "module.exports = {};\n"),
        ],
    );
    assert!(
        loaded.contains("pool.js") && !loaded.contains("queries.js"),
        "{loaded:?}"
    );
}

#[test]
fn node_unresolved_imports_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("index.mjs", "import { x } from 'not-installed';\nimport path from 'node:path';\nexport const handler = async () => x;\n")
        .write_to(dir.path(), "function.zip");
    let init = init(&zip);
    assert_eq!(init["unresolved"][0]["module"], "not-installed");
    assert_eq!(init["unresolved"][0]["line"], 1);
    assert_eq!(
        init["unresolved"].as_array().unwrap().len(),
        1,
        "node:path is a built-in"
    );
}

#[test]
fn python_resolution_covers_packages_relative_imports_and_the_task_root_only() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("app/__init__.py", "")
        .file("app/main.py", "import json\nfrom . import models\nfrom .util import helper\nimport vendored.deep.mod\nfrom layered import thing\n\ndef handler(event, context):\n    import lazy_pkg\n")
        .file("app/models.py", "from typing import TYPE_CHECKING\nfrom xml.etree import ElementTree\nif TYPE_CHECKING:\n    import typed_only\nelse:\n    import runtime_pkg\n")
        .file("typed_only/__init__.py", "")
        .file("runtime_pkg/__init__.py", "")
        .file("app/util.py", "from boto3 import client\nfrom boto3.dynamodb import conditions\nfrom botocore.exceptions import ClientError\ntry:\n    import fastjson\nexcept ImportError:\n    import fallback_pkg\n")
        .file("fastjson/__init__.py", "")
        .file("fastjson/_speedups.cpython-312-x86_64-linux-gnu.so", "not really ELF")
        .file("fallback_pkg/__init__.py", "")
        .file("lazy_pkg/__init__.py", "")
        .file("vendored/__init__.py", "")
        .file("vendored/deep/__init__.py", "")
        .file("vendored/deep/mod.py", "from ._native import fast\n")
        .file("vendored/deep/_native.abi3.so", "not really ELF")
        .file("python/lib/python3.12/site-packages/layered/__init__.py", "")
        .file("python/lib/python3.12/site-packages/layered/thing.py", "")
        .write_to(dir.path(), "function.zip");
    let output = deadweight()
        .args([
            "audit",
            "--format",
            "json",
            "--handler",
            "app/main.handler",
            "--runtime",
            "python3.12",
        ])
        .arg(&zip)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let loaded = init_files(&report["artifacts"][0]["init"]);
    let expected: BTreeSet<String> = [
        "app/main.py",
        "app/__init__.py",
        "app/models.py",
        "app/util.py",
        "runtime_pkg/__init__.py",
        "fastjson/__init__.py",
        "vendored/__init__.py",
        "vendored/deep/__init__.py",
        "vendored/deep/mod.py",
        "vendored/deep/_native.abi3.so",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(loaded, expected);
    // the standard library is found nowhere in the package: the runtime's
    let runtime = report["artifacts"][0]["init"]["runtime_modules"].to_string();
    assert!(
        runtime.contains("\"json\"") && runtime.contains("\"typing\""),
        "{runtime}"
    );
    // a submodule imported by name is a module; a name defined in a module is not
    assert!(runtime.contains("\"xml.etree.ElementTree\""), "{runtime}");
    assert!(!runtime.contains("TYPE_CHECKING"), "{runtime}");
    // the same for what the runtime ships besides (boto3's `client` is a function)
    for module in ["boto3.dynamodb.conditions", "botocore.exceptions"] {
        assert!(runtime.contains(&format!("\"{module}\"")), "{runtime}");
    }
    assert!(
        !runtime.contains("ClientError") && !runtime.contains("boto3.client"),
        "{runtime}"
    );
    // a layer's folders inside a function's package are not on sys.path
    assert_eq!(
        rule_findings(&report, "runtime/missing-module"),
        ["deny app/main.py:5 imports layered at init, but layered is not in the package, the standard library or the python3.12 runtime: the package has it under python/lib/python3.12/site-packages/, a layer's layout, which Lambda does not search in a function's package"]
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn node_path_ends_with_the_task_root() {
    // Lambda's NODE_PATH ends with /var/task: require('lib/db') finds the
    // package's lib/db.js; node_modules folders come first
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("src/index.js", "const db = require('lib/db');\nconst dep = require('dep');\nexports.handler = async () => db;\n")
        .file("lib/db.js", "module.exports = 1;\n")
        .file("dep/index.js", "module.exports = 'shadowed';\n")
        .file("node_modules/dep/index.js", "module.exports = 2;\n")
        .write_to(dir.path(), "function.zip");
    let (_, report) = audit_with(
        &zip,
        &["--handler", "src/index.handler", "--runtime", "nodejs20.x"],
    );
    let loaded = init_files(&report["artifacts"][0]["init"]);
    let expected: BTreeSet<String> = ["src/index.js", "lib/db.js", "node_modules/dep/index.js"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(loaded, expected);
    assert!(rule_findings(&report, "runtime/missing-module").is_empty());
    assert_eq!(
        measured_files_with(&zip, &["--handler", "src/index.handler"]),
        expected
    );
}

#[test]
fn layers_and_unknown_handlers_have_no_init() {
    assert!(init(&samples_dir().join("node-layer.zip")).is_null());
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file("index.js", "")
        .file("app.py", "")
        .write_to(dir.path(), "function.zip");
    assert!(init(&zip).is_null(), "two candidate handlers: no guess");
}

#[test]
fn aws_sdk_v2_without_keep_alive_is_found_and_an_agent_in_code_counts() {
    let dir = tempfile::tempdir().unwrap();
    let sdk = |zip: ZipBuilder| {
        zip.file(
            "node_modules/aws-sdk/package.json",
            r#"{"name":"aws-sdk","version":"2.1692.0"}"#,
        )
        .file(
            "node_modules/aws-sdk/index.js",
            "exports.config = { update() {} };\n",
        )
    };
    let without = sdk(ZipBuilder::new().file(
        "index.mjs",
        "import S3 from 'aws-sdk/clients/s3.js';\nconst s3 = new S3();\nexport const handler = async () => s3.listBuckets().promise();\n",
    ))
    .write_to(dir.path(), "without.zip");
    let with_agent = sdk(ZipBuilder::new().file(
        "index.js",
        "const https = require('https');\nconst AWS = require('aws-sdk');\nAWS.config.update({ httpOptions: { agent: new https.Agent({ keepAlive: true }) } });\nexports.handler = async () => 1;\n",
    ))
    .write_to(dir.path(), "with-agent.zip");
    let keepalive = |zip: &std::path::Path| -> Vec<serde_json::Value> {
        audit_json(&[zip])["artifacts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "node/sdk-v2-keepalive")
            .cloned()
            .collect()
    };
    let found = keepalive(&without);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["location"]["path"], "index.mjs");
    assert_eq!(found[0]["location"]["line"], 1);
    assert!(keepalive(&with_agent).is_empty());

    // set by the deploy tool, told through the config
    let config = dir.path().join("deadweight.toml");
    std::fs::write(
        &config,
        "[function]\n[function.environment]\nAWS_NODEJS_CONNECTION_REUSE_ENABLED = \"1\"\n",
    )
    .unwrap();
    let out = deadweight()
        .args(["audit", "--format", "json", "--config"])
        .arg(&config)
        .arg(&without)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = report["artifacts"][0]["findings"].to_string();
    assert!(!rules.contains("node/sdk-v2-keepalive"), "{rules}");
}

/// A package that gives require() an ES module through the `module-sync`
/// condition (async-function 1.0.0's layout, which get-intrinsic requires):
/// Node 20.19 and later take it, nodejs18.x knows no such condition and
/// loads the CommonJS file. Neither is a failure.
#[test]
fn the_module_sync_condition_is_followed_where_the_runtime_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "node_modules/async-function/package.json",
            r#"{"name":"async-function","version":"1.0.0","exports":{".":[{"module-sync":"./require.mjs","import":"./index.mjs","default":"./index.js"},"./index.js"]}}"#,
        )
        .file(
            "node_modules/async-function/index.js",
            "module.exports = function getAsyncFunction() { return async function () {}.constructor; };\n",
        )
        .file(
            "node_modules/async-function/require.mjs",
            "import getAsyncFunction from './index.js';\nexport default getAsyncFunction;\n",
        )
        .file(
            "node_modules/async-function/index.mjs",
            "import getAsyncFunction from './index.js';\nexport default getAsyncFunction;\n",
        )
        .file(
            "index.js",
            "const getAsyncFunction = require('async-function');\nexports.handler = async () => typeof getAsyncFunction;\n",
        )
        .write_to(dir.path(), "function.zip");
    for (runtime, through_module_sync) in [("nodejs20.x", true), ("nodejs18.x", false)] {
        let (code, report) = audit_with(&zip, &["--runtime", runtime]);
        assert_eq!(code, Some(0), "{report}");
        let files = init_files(&report["artifacts"][0]["init"]);
        assert!(files.contains("node_modules/async-function/index.js"));
        assert_eq!(
            files.contains("node_modules/async-function/require.mjs"),
            through_module_sync,
            "{runtime}: {files:?}"
        );
        assert!(rule_findings(&report, "runtime/require-esm").is_empty());
    }
}

/// A package whose `exports` point require() at an `.mjs` file, called at
/// init: the extension alone makes it an ES module, whatever its
/// package.json says.
#[test]
fn a_required_mjs_file_called_at_init_is_named_by_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "node_modules/kit/package.json",
            r#"{"name":"kit","version":"2.0.0","exports":"./index.mjs"}"#,
        )
        .file(
            "node_modules/kit/index.mjs",
            "export default function kit() { return {}; }\n",
        )
        .file(
            "index.js",
            "const kit = require('kit');\nconst app = kit();\nexports.handler = async () => app;\n",
        )
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/require-esm"),
        ["deny index.js:2 calls what `require('kit')` returns, but node_modules/kit/index.mjs is an ES module (its extension is .mjs): require() gives its namespace object, not its default export, so the call is a TypeError (kit is not a function) at every cold start"]
    );
}

/// An ES module handler taking names from CommonJS packages (the Express
/// sample's own): Node links only the names its static analysis of each
/// file finds. body-parser defines `json` through a getter it makes by a
/// call, http-errors its error classes through a variable: neither is
/// found, and each is reported; express re-exports lib/express.js, whose
/// `exports.Router` is found there, and a name it lacks is reported. Node
/// agrees name for name: each failure it shows is among the reported
/// ones, and with those names gone it starts.
#[test]
fn es_module_imports_of_names_node_cannot_see_in_commonjs_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let zip = std::fs::File::open(samples_dir().join("node-express.zip")).unwrap();
    zip::ZipArchive::new(zip)
        .unwrap()
        .extract(dir.path())
        .unwrap();
    let package = std::fs::read_to_string(dir.path().join("package.json")).unwrap();
    assert!(package.contains("\"type\": \"commonjs\""));
    let handler = "import express, { Router, static as serve, Application } from 'express';\nimport { json, urlencoded } from 'body-parser';\nimport { parse, serialize } from 'cookie';\nimport createError, { NotFound, HttpError } from 'http-errors';\n\nconst app = express();\nexport const handler = async () => app;\n";
    common::write_files(
        dir.path(),
        &[
            (
                "package.json",
                &package.replace("\"type\": \"commonjs\"", "\"type\": \"module\""),
            ),
            ("index.js", handler),
        ],
    );
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    let found = rule_findings(&report, "runtime/missing-export");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("deny index.js:1 imports Application from express at init, but express@4.21.2 (node_modules/express/index.js) is CommonJS"), "{found:?}");
    let found = &found[1..];
    assert!(found[0].starts_with("deny index.js:2 imports json, urlencoded from body-parser at init, but body-parser@1.20.3 (node_modules/body-parser/index.js) is CommonJS, and Node's analysis of it does not find those names: SyntaxError: Named export 'json' not found"), "{found:?}");
    assert!(
        found[1].starts_with("deny index.js:4 imports NotFound from http-errors at init"),
        "{found:?}"
    );

    // Node, one failure at a time
    let mut code = handler.to_string();
    for _ in 0..6 {
        std::fs::write(dir.path().join("index.js"), &code).unwrap();
        let Some((started, stderr)) = common::node(
            dir.path(),
            &["--input-type=module", "-e", "await import('./index.js')"],
        ) else {
            return;
        };
        let Some(name) = stderr
            .split("Named export '")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
        else {
            assert!(started, "{stderr}");
            return;
        };
        assert!(
            ["json", "urlencoded", "NotFound", "Application"].contains(&name),
            "node fails on {name}: {stderr}"
        );
        code = code
            .replace(&format!("{name}, "), "")
            .replace(&format!(", {name}"), "")
            .replace(&format!("{{ {name} }}"), "{}");
        code = code.replace("import {} from 'body-parser';", "import 'body-parser';");
    }
    panic!("node still fails with the reported names gone:\n{code}");
}

/// Node reads a `module.exports = { … }` literal word by word and stops at
/// the first value that does not start with a name: a package exporting
/// `{ VERSION: '1.0.0', parse }` gives an ES module neither name, and of two
/// `module.exports = require(…)` only the last counts. The audit finds what
/// Node refuses, and passes once the literal lists the names first.
#[test]
fn commonjs_literals_and_reexports_give_es_modules_what_node_reads() {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(
        dir.path(),
        &[
            ("package.json", r#"{"name":"fn","type":"module"}"#),
            (
                "node_modules/fmt/package.json",
                r#"{"name":"fmt","version":"2.0.0","main":"index.js"}"#,
            ),
            (
                "node_modules/fmt/index.js",
                "function parse(s) { return s; }\nfunction format(s) { return s; }\nmodule.exports = { VERSION: '2.0.0', parse, format };\n",
            ),
            (
                "node_modules/pick/package.json",
                r#"{"name":"pick","version":"1.0.0","main":"index.js"}"#,
            ),
            (
                "node_modules/pick/index.js",
                "if (process.env.PICK_LEGACY) module.exports = require('./legacy');\nelse module.exports = require('./modern');\n",
            ),
            ("node_modules/pick/legacy.js", "exports.old = 1;\n"),
            ("node_modules/pick/modern.js", "exports.fresh = 1;\n"),
            (
                "index.js",
                "import { VERSION, parse } from 'fmt';\nimport { old } from 'pick';\nexport const handler = async (e) => parse(e) && old && VERSION;\n",
            ),
        ],
    );
    let node_import = |dir: &Path| {
        common::node(
            dir,
            &["--input-type=module", "-e", "await import('./index.js')"],
        )
    };
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    let found = rule_findings(&report, "runtime/missing-export");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("deny index.js:1 imports VERSION, parse from fmt at init, but fmt@2.0.0 (node_modules/fmt/index.js) is CommonJS"), "{found:?}");
    assert!(
        found[1].starts_with("deny index.js:2 imports old from pick at init"),
        "{found:?}"
    );
    if let Some((started, stderr)) = node_import(dir.path()) {
        assert!(!started, "node loads it");
        assert!(
            ["VERSION", "parse", "old"]
                .iter()
                .any(|name| stderr.contains(&format!("Named export '{name}' not found"))),
            "{stderr}"
        );
    }
    // the names first, and the name the last re-export gives
    common::write_files(
        dir.path(),
        &[
            (
                "node_modules/fmt/index.js",
                "function parse(s) { return s; }\nfunction format(s) { return s; }\nmodule.exports = { parse, format, VERSION: '2.0.0' };\n",
            ),
            (
                "index.js",
                "import { parse } from 'fmt';\nimport { fresh } from 'pick';\nexport const handler = async (e) => parse(e) && fresh;\n",
            ),
        ],
    );
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    if let Some((started, stderr)) = node_import(dir.path()) {
        assert!(started, "{stderr}");
    }
}

/// require() of an ES module whose graph waits at its top level (a module
/// it imports awaits its configuration as it loads): from Node 20.19 and
/// 22.12 it is ERR_REQUIRE_ASYNC_MODULE, as Node shows. An `await` inside a
/// function called where it stands is no top-level one.
#[test]
fn requiring_an_es_module_that_waits_as_it_loads_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "node_modules/cfg/package.json",
            r#"{"name":"cfg","version":"1.0.0","type":"module","exports":"./index.js"}"#,
        ),
        (
            "node_modules/cfg/index.js",
            "import { load } from './load.js';\nexport const settings = load();\n",
        ),
        (
            "node_modules/cfg/load.js",
            "(async () => { await Promise.resolve(); })();\nconst raw = await Promise.resolve('{}');\nexport function load() { return JSON.parse(raw); }\n",
        ),
        (
            "index.js",
            "const { settings } = require('cfg');\nexports.handler = async () => settings;\n",
        ),
    ];
    common::write_files(dir.path(), &files);
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/require-esm"),
        ["deny index.js:1 requires cfg, an ES module (node_modules/cfg/index.js: node_modules/cfg/package.json says \"type\": \"module\") whose imports wait at their top level (node_modules/cfg/load.js:2): require() cannot load it, Error [ERR_REQUIRE_ASYNC_MODULE] at every cold start"]
    );
    if let Some((_, stderr)) = common::node(dir.path(), &["-e", "require('./index.js')"]) {
        assert!(stderr.contains("ERR_REQUIRE_ASYNC_MODULE"), "{stderr}");
    }
    // the await moved into the function: nothing waits, and Node loads it
    common::write_files(
        dir.path(),
        &[(
            "node_modules/cfg/load.js",
            "export function load() { return (async () => JSON.parse(await Promise.resolve('{}')))(); }\n",
        )],
    );
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(0), "{report}");
}

/// An ES module function (`"type": "module"`) with a CommonJS package,
/// route-kit, whose index.js each test writes.
const ROUTE_KIT_FUNCTION: [(&str, &str); 2] = [
    (
        "package.json",
        r#"{"name":"orders","version":"1.0.0","type":"module"}"#,
    ),
    (
        "node_modules/route-kit/package.json",
        r#"{"name":"route-kit","version":"4.2.0","main":"index.js"}"#,
    ),
];

/// Node importing the handler's ES module as the runtime does: what it
/// wrote to stderr, ending with `loaded` once init finished (None without
/// node).
fn node_imports_handler(dir: &std::path::Path) -> Option<String> {
    let args = [
        "-e",
        "import('./index.js').then(() => console.error('loaded'))",
    ];
    common::node(dir, &args).map(|(_, stderr)| stderr)
}

/// `import * as m` used as a function at init: a namespace object never is
/// one, whatever the module (a CommonJS package, a built-in), in the
/// function's code or a package's, and Node agrees, one failure at a time.
/// A member of the namespace, a call inside a function and the default
/// import are no failure.
#[test]
fn an_import_namespace_used_as_a_function_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let handler = "import * as routeKit from 'route-kit';\nimport { Bus } from 'bus-kit';\n\nconst router = new routeKit.Router();\nexport function later() {\n  return routeKit();\n}\nconst app = routeKit();\nexport const handler = async () => ({ statusCode: 200, body: typeof app + typeof router + Bus.name });\n";
    let files = [
        (
            "node_modules/route-kit/index.js",
            "module.exports = function createApp() { return {}; };\nmodule.exports.Router = class Router {};\n",
        ),
        (
            "node_modules/bus-kit/package.json",
            r#"{"name":"bus-kit","version":"1.0.0","type":"module","exports":"./index.js"}"#,
        ),
        (
            "node_modules/bus-kit/index.js",
            "import * as events from 'node:events';\nexport class Bus extends events {}\n",
        ),
        ("index.js", handler),
    ];
    common::write_files(dir.path(), &ROUTE_KIT_FUNCTION);
    common::write_files(dir.path(), &files);

    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(1), "{report}");
    let mut found = rule_findings(&report, "runtime/namespace-call");
    found.sort();
    assert_eq!(
        found,
        [
            "deny index.js:8 uses routeKit, the namespace object of `import * as routeKit from 'route-kit'`, as a function (a call, `new` or `extends`): a module namespace is never one, so init throws a TypeError at every cold start",
            "deny node_modules/bus-kit/index.js:2 uses events, the namespace object of `import * as events from 'node:events'`, as a function (a call, `new` or `extends`): a module namespace is never one, so init throws a TypeError at every cold start",
        ]
    );
    // the package's module runs first
    if let Some(stderr) = node_imports_handler(dir.path()) {
        assert!(
            stderr.contains("Class extends value [object Module]"),
            "{stderr}"
        );
    }

    common::write_files(
        dir.path(),
        &[(
            "node_modules/bus-kit/index.js",
            "import * as events from 'node:events';\nexport class Bus extends events.EventEmitter {}\n",
        )],
    );
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/namespace-call").len(),
        1,
        "{report}"
    );
    if let Some(stderr) = node_imports_handler(dir.path()) {
        assert!(
            stderr.contains("TypeError: routeKit is not a function"),
            "{stderr}"
        );
    }

    let fixed = handler.replacen("import * as routeKit from", "import routeKit from", 1);
    common::write_files(dir.path(), &[("index.js", fixed.as_str())]);
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(0), "{report}");
    if let Some(stderr) = node_imports_handler(dir.path()) {
        assert!(stderr.contains("loaded"), "{stderr}");
    }
}

/// `const m = await import('…')` gives the namespace too: calling it at
/// init is the same TypeError, as Node shows; its default export is the
/// fix.
#[test]
fn an_awaited_import_namespace_used_as_a_function_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let handler = "const routeKit = await import('route-kit');\n\nconst app = routeKit();\nexport const handler = async () => ({ statusCode: 200, body: typeof app });\n";
    let files = [
        (
            "node_modules/route-kit/index.js",
            "module.exports = function createApp() { return {}; };\n",
        ),
        ("index.js", handler),
    ];
    common::write_files(dir.path(), &ROUTE_KIT_FUNCTION);
    common::write_files(dir.path(), &files);
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/namespace-call"),
        ["deny index.js:3 uses routeKit, the namespace object of `const routeKit = await import('route-kit')`, as a function (a call, `new` or `extends`): a module namespace is never one, so init throws a TypeError at every cold start"]
    );
    if let Some(stderr) = node_imports_handler(dir.path()) {
        assert!(
            stderr.contains("TypeError: routeKit is not a function"),
            "{stderr}"
        );
    }

    let fixed = handler.replacen("const routeKit =", "const { default: routeKit } =", 1);
    common::write_files(dir.path(), &[("index.js", fixed.as_str())]);
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs22.x"]);
    assert_eq!(code, Some(0), "{report}");
    if let Some(stderr) = node_imports_handler(dir.path()) {
        assert!(stderr.contains("loaded"), "{stderr}");
    }
}

/// Two shapes of real packages, checked against what python3 -S loads:
/// bs4 tries cchardet, then in its `except` chardet, then in that one's
/// `except` charset_normalizer; psycopg 3 imports its submodule
/// (`from . import postgres`) and calls a function of it at init, which
/// imports the type adapters.
#[test]
fn python_nested_fallbacks_and_functions_of_imported_submodules() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "dammit.py",
            "chardet_module = None\ntry:\n    import cchardet\n    chardet_module = cchardet\nexcept ImportError:\n    \
             try:\n        import chardet\n        chardet_module = chardet\n    except ImportError:\n        \
             try:\n            import charset_normalizer\n            chardet_module = charset_normalizer\n        \
             except ImportError:\n            pass\n",
        ),
        ("charset_normalizer/__init__.py", "from .api import detect\n"),
        ("charset_normalizer/api.py", "def detect(b):\n    return None\n"),
        (
            "pg/__init__.py",
            "from . import postgres, other\n\npostgres.register_default_adapters(None)\n",
        ),
        (
            "pg/postgres.py",
            "def register_default_adapters(context):\n    from .types import json, uuid\n\n\ndef later():\n    from .types import numpy\n",
        ),
        ("pg/other.py", "def register_default_adapters(context):\n    from . import unused\n"),
        ("pg/types/__init__.py", ""),
        ("pg/types/json.py", ""),
        ("pg/types/uuid.py", ""),
        ("pg/types/numpy.py", ""),
        ("pg/unused.py", ""),
    ];
    let zip = ZipBuilder::new()
        .file(
            "app.py",
            "import dammit\nimport pg\n\n\ndef handler(event, context):\n    return 1\n",
        )
        .files(&files)
        .write_to(dir.path(), "python.zip");
    let ours = init_files(&init(&zip));
    let mut real = python_loads(&files, "import dammit, pg");
    real.insert("app.py".into());
    assert!(real.contains("charset_normalizer/api.py"), "{real:?}");
    assert!(real.contains("pg/types/json.py"), "{real:?}");
    assert_eq!(ours, real);
}

/// motor 3 imports its Tornado classes in the `else:` of `try: import
/// tornado`, which runs only when Tornado is there: a function without it
/// starts (python3 -S agrees), and nothing is missing. With it, the
/// `else` runs.
#[test]
fn python_try_else_runs_only_when_the_try_found_its_imports() {
    let dir = tempfile::tempdir().unwrap();
    let motor = [
        (
            "motor/__init__.py",
            "try:\n    import tornado\nexcept ImportError:\n    tornado = None\nelse:\n    from .motor_tornado import *\n",
        ),
        ("motor/motor_tornado.py", "import tornado.gen\n"),
        ("motor/motor_asyncio.py", "import asyncio\n"),
    ];
    let app = "import motor.motor_asyncio\n\n\ndef handler(event, context):\n    return 1\n";
    let zip = ZipBuilder::new()
        .file("app.py", app)
        .files(&motor)
        .write_to(dir.path(), "without.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(rule_findings(&report, "runtime/missing-module").is_empty());
    assert_eq!(
        init_files(&report["artifacts"][0]["init"]),
        paths(&["app.py", "motor/__init__.py", "motor/motor_asyncio.py"])
    );
    assert_eq!(
        python_prints_with(
            &motor,
            "import sys\nimport motor.motor_asyncio\nprint('motor.motor_tornado' in sys.modules)"
        ),
        "False"
    );

    let zip = ZipBuilder::new()
        .file("app.py", app)
        .files(&motor)
        .file("tornado/__init__.py", "")
        .file("tornado/gen.py", "")
        .write_to(dir.path(), "with.zip");
    let loaded = init_files(&init(&zip));
    assert!(loaded.contains("motor/motor_tornado.py"), "{loaded:?}");
    assert!(loaded.contains("tornado/gen.py"), "{loaded:?}");
}

/// Two ways packages survive an optional library's absence besides a
/// `try` around the import, both passing the gate as python3 -S starts
/// them: jsonschema's `with suppress(ImportError):` around each format
/// checker's import; mako calls, at init, a function that calls in a
/// `try` the one importing Pygments (its plugin module, which imports
/// pygments), falling back without it. A function that calls it outside
/// a `try` fails, and is denied.
#[test]
fn python_suppressed_and_caught_calls_of_missing_modules_pass_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "formats.py",
            "from contextlib import suppress\nimport contextlib\n\nwith suppress(ImportError):\n    from fqdn import FQDN\n\n\
             with contextlib.suppress(ModuleNotFoundError):\n    import webcolors\n",
        ),
        (
            "highlight.py",
            "def _install_pygments():\n    global syntax_highlight\n    from plugin import syntax_highlight\n\n\n\
             def _install_fallback():\n    global syntax_highlight\n    syntax_highlight = None\n\n\n\
             def _install_highlighting():\n    try:\n        _install_pygments()\n    except ImportError:\n        _install_fallback()\n\n\n\
             _install_highlighting()\n",
        ),
        ("plugin.py", "import pygments\n\nsyntax_highlight = pygments\n"),
    ];
    assert_eq!(
        python_prints_with(
            &files,
            "import formats, highlight\nprint(highlight.syntax_highlight)"
        ),
        "None"
    );
    let app = "import formats\nimport highlight\n\n\ndef handler(event, context):\n    return 1\n";
    let zip = ZipBuilder::new()
        .file("app.py", app)
        .files(&files)
        .write_to(dir.path(), "optional.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(rule_findings(&report, "runtime/missing-module").is_empty());
    // plugin.py runs until its import fails: it counts
    let loaded = init_files(&report["artifacts"][0]["init"]);
    assert!(loaded.contains("plugin.py"), "{loaded:?}");

    let unguarded = files[1].1.replace(
        "    try:\n        _install_pygments()\n    except ImportError:\n        _install_fallback()\n",
        "    _install_pygments()\n",
    );
    let zip = ZipBuilder::new()
        .file("app.py", app)
        .files(&[files[0], ("highlight.py", &unguarded), files[2]])
        .write_to(dir.path(), "required.zip");
    let (code, missing) = missing_on_python(&zip);
    assert_eq!(code, Some(1));
    assert_eq!(missing.len(), 1, "{missing:?}");
}

/// smart_open registers its transports at init by name,
/// `register_transport("smart_open.s3")`, a function of its own that
/// imports the name it is given in a `try`: each module named loads (the
/// one whose library is absent fails quietly), as python3 -S shows.
#[test]
fn python_functions_importing_the_name_they_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("transports/__init__.py", ""),
        (
            "transports/registry.py",
            "import importlib\n\n_REGISTRY = {}\n\n\ndef register_transport(submodule):\n    \
             if isinstance(submodule, str):\n        try:\n            submodule = importlib.import_module(submodule)\n        \
             except ImportError:\n            return\n    _REGISTRY[submodule.__name__] = submodule\n\n\n\
             register_transport('transports.s3')\nregister_transport('transports.azure')\n",
        ),
        ("transports/s3.py", "import json\n"),
        ("transports/azure.py", "import azure_sdk_not_installed\n"),
        ("transports/unused.py", ""),
    ];
    let probe = "import sys\nimport transports.registry\n\
                 print(' '.join(sorted(m for m in sys.modules if m.startswith('transports'))))";
    assert_eq!(
        python_prints_with(&files, probe),
        "transports transports.registry transports.s3"
    );
    let zip = ZipBuilder::new()
        .file(
            "app.py",
            "import transports.registry\n\n\ndef handler(event, context):\n    return 1\n",
        )
        .files(&files)
        .write_to(dir.path(), "python.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    // azure.py runs until its import fails
    assert_eq!(
        init_files(&report["artifacts"][0]["init"]),
        paths(&[
            "app.py",
            "transports/__init__.py",
            "transports/azure.py",
            "transports/registry.py",
            "transports/s3.py"
        ])
    );
}

/// sympy calls, at init, a helper of its own named `import_module` that
/// returns None when the module is missing (gmpy2 is optional): the
/// function starts, and passes the gate. importlib's raises: denied.
#[test]
fn python_an_import_module_that_is_not_importlibs_is_no_sure_failure() {
    let dir = tempfile::tempdir().unwrap();
    let helper = (
        "importtools.py",
        "import importlib\n\n\ndef import_module(module, min_module_version=None):\n    \
         try:\n        return importlib.import_module(module)\n    except ImportError:\n        return None\n",
    );
    let gmpy = (
        "gmpy.py",
        "from importtools import import_module\n\n\ndef _get_gmpy2():\n    \
         return import_module('gmpy2', min_module_version='2.0.0')\n\n\ngmpy = _get_gmpy2()\n",
    );
    assert_eq!(
        python_prints_with(&[helper, gmpy], "import gmpy\nprint(gmpy.gmpy)"),
        "None"
    );
    let app = "import gmpy\n\n\ndef handler(event, context):\n    return 1\n";
    let zip = ZipBuilder::new()
        .file("app.py", app)
        .files(&[helper, gmpy])
        .write_to(dir.path(), "helper.zip");
    let (code, missing) = missing_on_python(&zip);
    assert_eq!((code, missing.len()), (Some(0), 0), "{missing:?}");

    let importlib = (
        "gmpy.py",
        "from importlib import import_module\n\n\ndef _get_gmpy2():\n    \
         return import_module('gmpy2')\n\n\ngmpy = _get_gmpy2()\n",
    );
    let zip = ZipBuilder::new()
        .file("app.py", app)
        .files(&[importlib])
        .write_to(dir.path(), "importlib.zip");
    let (code, missing) = missing_on_python(&zip);
    assert_eq!((code, missing.len()), (Some(1), 1), "{missing:?}");
}

/// What creating a client at module scope runs, in the shapes of real
/// SDKs, checked against python3 -S: httpx's `Client()` reaches its
/// transport through a method and another module's class, whose
/// constructor imports the connection library and calls a function that
/// imports the certificates (a package taking its names with `*`);
/// anthropic's client creates a wrapper derived from an alias of a class
/// derived from httpx's; stripe's package imports its client on first use
/// (`__getattr__` over a table of `(module, is_submodule)`), whose
/// constructor picks a library with `try: import …; return` blocks. What
/// only runs under a condition (a proxy, never asked) or in a method never
/// called does not load, and a module missing there fails nothing.
#[test]
fn python_constructors_called_at_init_run_their_imports() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "httpish/__init__.py",
            "from ._client import *\nfrom ._config import *\n",
        ),
        (
            "httpish/_client.py",
            "from ._transports import Transport\n\n__all__ = ['Client']\n\n\n\
             class BaseClient:\n    def __init__(self, **kwargs):\n        self.options = kwargs\n\n\n\
             class Client(BaseClient):\n    def __init__(self, proxy=None, **kwargs):\n        \
             super().__init__(**kwargs)\n        if proxy:\n            import socksio\n            \
             from . import proxying\n        self._transport = self._init_transport()\n\n    \
             def _init_transport(self):\n        return Transport()\n\n    \
             def send(self):\n        from . import sending\n",
        ),
        (
            "httpish/_transports.py",
            "from ._config import make_context\n\n\nclass Transport:\n    def __init__(self):\n        \
             import wirecore\n        self.pool = wirecore.Pool(make_context())\n",
        ),
        (
            "httpish/_config.py",
            "__all__ = ['make_context']\n\n\ndef make_context():\n    import certs\n    return certs.where()\n",
        ),
        ("httpish/proxying.py", ""),
        ("httpish/sending.py", ""),
        ("wirecore/__init__.py", "from ._pool import Pool\n"),
        ("wirecore/_pool.py", "class Pool:\n    def __init__(self, context):\n        self.context = context\n"),
        ("certs/__init__.py", "def where():\n    return 'cacert.pem'\n"),
        ("sdk/__init__.py", "from ._client import Sdk\n"),
        (
            "sdk/_client.py",
            "from typing import TYPE_CHECKING\n\nimport httpish\n\n\n\
             class _DefaultClient(httpish.Client):\n    def __init__(self, **kwargs):\n        \
             super().__init__(**kwargs)\n\n\nif TYPE_CHECKING:\n    DefaultClient = httpish.Client\nelse:\n    \
             DefaultClient = _DefaultClient\n\n\nclass Wrapper(DefaultClient):\n    pass\n\n\n\
             class Sdk:\n    def __init__(self):\n        self._client = Wrapper()\n",
        ),
        (
            "lazy/__init__.py",
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from lazy._client import LazyClient\n\n\
             _import_map = {'LazyClient': ('lazy._client', False)}\n\nif not TYPE_CHECKING:\n\n    \
             def __getattr__(name):\n        from importlib import import_module\n\n        \
             target, is_submodule = _import_map[name]\n        module = import_module(target)\n        \
             return module if is_submodule else getattr(module, name)\n",
        ),
        (
            "lazy/_client.py",
            "def _resolve():\n    try:\n        import certs\n        return certs\n    except ImportError:\n        pass\n    \
             try:\n        import slowlib\n        return slowlib\n    except ImportError:\n        pass\n\n\n\
             class LazyClient:\n    def __init__(self):\n        self.backend = _resolve()\n",
        ),
        ("slowlib/__init__.py", ""),
    ];
    let app = "import sdk\nimport lazy\n\nclient = sdk.Sdk()\nother = lazy.LazyClient()\n\n\n\
               def handler(event, context):\n    return 1\n";
    let mut real = python_loads(&files, app);
    assert!(real.contains("certs/__init__.py"), "{real:?}");
    assert!(!real.contains("slowlib/__init__.py"), "{real:?}");
    real.insert("app.py".into());
    let zip = ZipBuilder::new()
        .file("app.py", app)
        .files(&files)
        .write_to(dir.path(), "python.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(init_files(&report["artifacts"][0]["init"]), real);
}

/// numpy imports its submodules on first use, in its `__getattr__`
/// (`if attr == "fft": import numpy.fft as fft`, defined in the `else:`
/// of a module-scope `if`): reading `np.fft` at init imports it (not a
/// read in a branch that may not run), and so does `from numpy import *`
/// (what scipy's array API layer does), for every name `__all__` lists.
/// Checked against python3 -S.
#[test]
fn python_attributes_read_at_init_run_the_packages_getattr() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "nump/__init__.py",
            "_SETUP = False\nif _SETUP:\n    pass\nelse:\n    from . import core\n    \
             __all__ = ['core', 'fft', 'testing']\n\n    def __getattr__(attr):\n        \
             if attr == 'fft':\n            import nump.fft as fft\n            return fft\n        \
             elif attr == 'testing':\n            import nump.testing as testing\n            return testing\n        \
             raise AttributeError(attr)\n",
        ),
        ("nump/core.py", ""),
        ("nump/fft/__init__.py", "from ._pocket import fft\n"),
        ("nump/fft/_pocket.py", "def fft(a):\n    return a\n"),
        ("nump/testing.py", ""),
        (
            "spectral.py",
            "import nump as np\n\nFFT = np.fft.fft\nLEGACY = False\nif LEGACY:\n    T = np.testing\n",
        ),
        ("compat.py", "from nump import *\n"),
    ];
    for (module, absent) in [("spectral", Some("nump/testing.py")), ("compat", None)] {
        let mut real = python_loads(&files, &format!("import {module}"));
        assert!(real.contains("nump/fft/_pocket.py"), "{real:?}");
        assert!(!absent.is_some_and(|f| real.contains(f)), "{real:?}");
        real.insert("app.py".into());
        let app = format!("import {module}\n\n\ndef handler(event, context):\n    return 1\n");
        let zip = ZipBuilder::new()
            .file("app.py", &app)
            .files(&files)
            .write_to(dir.path(), &format!("{module}.zip"));
        assert_eq!(init_files(&init(&zip)), real, "{module}");
    }
}
