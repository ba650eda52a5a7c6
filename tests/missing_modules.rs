//! runtime/missing-module: an import that init surely runs and that
//! nothing provides fails the first cold start (Runtime.ImportModuleError).
//! Functions are zipped here from handler code; the layers are the real
//! pip and npm installs in samples/ (samples/build.sh).

mod common;

use common::{audit_all, audit_with, function, rule_findings, samples_dir, ZipBuilder};
use serde_json::Value;

/// "level message" of each runtime/missing-module finding of the first artifact.
fn missing(report: &Value) -> Vec<String> {
    rule_findings(report, "runtime/missing-module")
}

const PYTHON_HANDLER: &str = "import json\n\nimport attrs\nimport boto3\n\n\ndef lambda_handler(event, context):\n    return json.dumps(attrs.asdict(event))\n";

#[test]
fn a_python_module_left_out_of_the_package_fails_at_init() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", PYTHON_HANDLER);
    let (code, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(1));
    // json is the standard library's, boto3 the runtime's
    assert_eq!(
        missing(&report),
        ["deny app.py:3 imports attrs at init, but attrs is not in the package, the standard library or the python3.12 runtime"]
    );
    let init = &report["artifacts"][0]["init"];
    assert_eq!(init["unresolved"][0]["module"], "attrs");
    assert_eq!(init["unresolved"].as_array().unwrap().len(), 1);
}

/// A `try` whose `except` raises again does not make a missing module
/// survivable: the function fails at init all the same. One that carries
/// on (`psycopg2 = None`) does survive it.
#[test]
fn an_import_error_raised_again_is_a_failed_start() {
    let dir = tempfile::tempdir().unwrap();
    let handler = |except: &str| {
        format!("try:\n    import psycopg2\nexcept ImportError as error:\n{except}\n\n\ndef lambda_handler(event, context):\n    return 1\n")
    };
    let raising = function(
        dir.path(),
        "app.py",
        &handler("    raise RuntimeError('psycopg2 is required') from error"),
    );
    let (code, report) = audit_with(&raising, &["--runtime", "python3.12"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        missing(&report),
        ["deny app.py:2 imports psycopg2 at init, but psycopg2 is not in the package, the standard library or the python3.12 runtime"]
    );
    let carrying_on = function(dir.path(), "app.py", &handler("    psycopg2 = None"));
    assert_starts(&carrying_on, "python3.12");
}

/// The same in JavaScript: a `catch` that throws again, or exits the
/// process, fails the start; one that carries on survives it.
#[test]
fn a_require_error_thrown_again_is_a_failed_start() {
    let dir = tempfile::tempdir().unwrap();
    let handler = |catch: &str| {
        format!("let pg;\ntry {{\n  pg = require('pg-native');\n}} catch (error) {{\n{catch}\n}}\nexports.handler = async () => pg;\n")
    };
    let deny = ["deny index.js:3 imports pg-native at init, but pg-native is not in the package, Node's built-ins or the nodejs20.x runtime"];
    for catch in [
        "  throw new Error('pg-native is required: ' + error.message);",
        "  console.error('pg-native is required');\n  process.exit(1);",
    ] {
        let zip = function(dir.path(), "index.js", &handler(catch));
        let (code, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
        assert_eq!(code, Some(1), "{catch}");
        assert_eq!(missing(&report), deny, "{catch}");
    }
    let carrying_on = function(dir.path(), "index.js", &handler("  pg = null;"));
    assert_starts(&carrying_on, "nodejs20.x");
}

/// `zip` on `runtime` passes the gate with nothing missing.
fn assert_starts(zip: &std::path::Path, runtime: &str) {
    let (code, report) = audit_with(zip, &["--runtime", runtime]);
    assert_eq!(code, Some(0), "{report}");
    assert!(missing(&report).is_empty());
}

#[test]
fn a_layer_audited_beside_the_function_provides_its_modules() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", PYTHON_HANDLER);
    let layer = samples_dir().join("python-layer.zip");
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "python3.12"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(missing(&report).is_empty());

    let node = tempfile::tempdir().unwrap();
    let zip = function(
        node.path(),
        "index.js",
        "const { v4 } = require('uuid');\nexports.handler = async () => v4();\n",
    );
    let (code, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        missing(&report),
        ["deny index.js:1 imports uuid at init, but uuid is not in the package, Node's built-ins or the nodejs20.x runtime"]
    );
    let layer = samples_dir().join("node-layer.zip");
    let (code, report) = audit_all(&[&zip, &layer], &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(missing(&report).is_empty());
}

#[test]
fn layers_named_in_a_template_turn_the_deny_into_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "app.py", PYTHON_HANDLER);
    std::fs::write(
        dir.path().join("template.yaml"),
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.lambda_handler\n      Layers:\n        - !Ref DepsLayer\n",
    )
    .unwrap();
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        missing(&report),
        ["warn app.py:3 imports attrs at init, but attrs is not in the package, the standard library or the python3.12 runtime; the template gives the function layers, which may provide it"]
    );
}

#[test]
fn aws_sdk_v2_is_only_in_nodejs16_and_v3_only_from_nodejs18() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "index.js",
        "const AWS = require('aws-sdk');\nconst { S3Client } = require('@aws-sdk/client-s3');\nexports.handler = async () => [AWS, S3Client];\n",
    );
    let (_, report) = audit_with(&zip, &["--runtime", "nodejs18.x"]);
    assert_eq!(
        missing(&report),
        ["deny index.js:1 imports aws-sdk at init, but aws-sdk is not in the package, Node's built-ins or the nodejs18.x runtime (nodejs16.x has it)"]
    );
    let (_, report) = audit_with(&zip, &["--runtime", "nodejs16.x"]);
    assert_eq!(
        missing(&report),
        ["deny index.js:2 imports @aws-sdk/client-s3 at init, but @aws-sdk/client-s3 is not in the package, Node's built-ins or the nodejs16.x runtime (nodejs18.x to nodejs24.x have it)"]
    );
    // no runtime known: either may be the runtime's, so neither is reported
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(0));
    assert!(missing(&report).is_empty());
}

#[test]
fn only_imports_that_surely_run_count() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "index.js",
            "let fast;\ntry { fast = require('fast-json'); } catch (e) { fast = JSON; }\nif (process.env.TRACE) { require('tracer'); }\nconst log = process.env.DEBUG ? require('pino') : console;\nconst cfg = require('./config');\nexports.handler = async () => { const lazy = require('lazy-only'); return [fast, log, cfg, lazy]; };\n",
        )
        .file("config.js", "module.exports = require('./missing-defaults');\n")
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        missing(&report),
        ["deny config.js:1 imports ./missing-defaults at init, but that file is not in the package"]
    );
    assert_eq!(report["artifacts"][0]["init"]["unresolved_guarded"], 3);
}

#[test]
fn a_module_the_standard_library_dropped_or_gained_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "app.py",
        "import asyncore\nimport tomllib\n\n\ndef lambda_handler(event, context):\n    return 1\n",
    );
    let (_, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    assert_eq!(
        missing(&report),
        ["deny app.py:1 imports asyncore at init, which left the standard library in Python 3.12 (PEP 594)"]
    );
    let (_, report) = audit_with(&zip, &["--runtime", "python3.10"]);
    assert_eq!(
        missing(&report),
        ["deny app.py:2 imports tomllib at init, which the standard library has only from Python 3.11"]
    );
    let (code, report) = audit_with(&zip, &["--runtime", "python3.11"]);
    assert_eq!(code, Some(0));
    assert!(missing(&report).is_empty());
}

/// The table's 3.11 list is `sys.stdlib_module_names` of CPython 3.11:
/// checked against the python3 here when it is a 3.11.
#[test]
fn the_standard_library_table_matches_this_machines_python() {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print('%d.%d' % sys.version_info[:2]); print(' '.join(sorted(sys.stdlib_module_names)))",
        ])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let version = lines.next().unwrap();
    if version != deadweight::rules::stdlib::base_version() {
        eprintln!("python3 is {version}: the table's list is not compared");
        return;
    }
    let here: Vec<&str> = lines.next().unwrap().split(' ').collect();
    assert_eq!(deadweight::rules::stdlib::base_modules(), here.as_slice());

    let out = std::process::Command::new("python3")
        .args(["-c", STDLIB_SUBMODULES])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let here: Vec<&str> = text.lines().collect();
    assert!(here.contains(&"xml.etree.ElementTree"), "{here:?}");
    assert_eq!(
        deadweight::rules::stdlib::base_submodules(),
        here.as_slice()
    );
}

/// The submodules of the standard library's packages, test suites left
/// out, and `os.path` (posixpath, which `os` registers under that name).
const STDLIB_SUBMODULES: &str = r#"
import os, pkgutil, sys, sysconfig
stdlib = sysconfig.get_paths()["stdlib"]
names = {"os.path"}
for top in pkgutil.iter_modules([stdlib]):
    if not (top.ispkg and top.name in sys.stdlib_module_names):
        continue
    packages = [top.name]
    while packages:
        package = packages.pop()
        for sub in pkgutil.iter_modules([os.path.join(stdlib, *package.split("."))]):
            name = package + "." + sub.name
            names.add(name)
            if sub.ispkg:
                packages.append(name)
tests = ("test", "tests", "idle_test")
print("\n".join(sorted(n for n in names if not any(p in tests for p in n.split(".")))))
"#;

#[test]
fn imports_after_the_search_path_changes_may_come_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    // dependencies vendored in a folder the handler puts on sys.path, and
    // serverless-python-requirements' zip mode, which extracts them to /tmp
    let zip = ZipBuilder::new()
        .file(
            "app.py",
            "import os\nimport sys\n\nimport attrs\n\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'vendor'))\n\nimport requests\n\n\ndef lambda_handler(event, context):\n    return requests.get(event['url']).status_code\n",
        )
        .file("vendor/requests/__init__.py", "")
        .file(
            "packed.py",
            "try:\n    import unzip_requirements\nexcept ImportError:\n    pass\n\nimport numpy\n",
        )
        .file("unzip_requirements.py", "import os\n")
        .write_to(dir.path(), "function.zip");
    let (_, report) = audit_with(&zip, &["--runtime", "python3.12"]);
    // attrs is imported before the change: it is missing
    assert_eq!(
        missing(&report),
        ["deny app.py:4 imports attrs at init, but attrs is not in the package, the standard library or the python3.12 runtime"]
    );
    let (code, report) = audit_with(
        &zip,
        &["--runtime", "python3.12", "--handler", "packed.handler"],
    );
    assert!(missing(&report).is_empty(), "{code:?} {report}");
}

#[test]
fn a_missing_relative_file_is_reported_per_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .files(&[
            ("index.js", "require('./settings');\nrequire('./lib/db');\nrequire('./lib/cache');\nexports.handler = async () => 1;\n"),
            ("lib/db.js", "module.exports = require('./settings');\n"),
            ("lib/cache.js", "module.exports = require('./settings');\n"),
        ])
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1));
    // ./settings is index's settings.js and lib's lib/settings.js
    assert_eq!(
        missing(&report),
        [
            "deny index.js:1 imports ./settings at init, but that file is not in the package",
            "deny lib/cache.js:1 imports ./settings at init (and 1 more place), but that file is not in the package",
        ]
    );
}

#[test]
fn module_aliases_registered_at_init_may_provide_package_names() {
    let dir = tempfile::tempdir().unwrap();
    // module-alias reads _moduleAliases from package.json when it loads
    let files = |register: &str| {
        ZipBuilder::new()
            .files(&[
                ("package.json", r#"{"name": "orders", "_moduleAliases": {"@lib": "lib"}}"#),
                ("index.js", &format!("{register}const db = require('@lib/db');\nexports.handler = async () => db.table;\n")),
                ("lib/db.js", "exports.table = 'orders';\n"),
                ("node_modules/module-alias/package.json", r#"{"name": "module-alias", "version": "2.2.3", "main": "index.js"}"#),
                ("node_modules/module-alias/index.js", "module.exports = function init() {};\n"),
                ("node_modules/module-alias/register.js", "require('.')();\n"),
            ])
            .write_to(dir.path(), "function.zip")
    };
    let (code, report) = audit_with(
        &files("require('module-alias/register');\n"),
        &["--runtime", "nodejs20.x"],
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(missing(&report).is_empty());
    // the alias is never registered: @lib/db is nowhere
    let (code, report) = audit_with(&files(""), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        missing(&report),
        ["deny index.js:1 imports @lib/db at init, but @lib/db is not in the package, Node's built-ins or the nodejs20.x runtime"]
    );
}

#[test]
fn search_paths_changed_in_code_may_provide_package_names() {
    let dir = tempfile::tempdir().unwrap();
    let function = |setup: &str| {
        let root = dir.path().join(format!("case{}", setup.len()));
        let files = [
            (
                "index.js",
                format!("const path = require('path');\n{setup}const helper = require('helper');\nexports.handler = async () => helper;\n"),
            ),
            ("vendor/helper.js", "module.exports = 'vendored';\n".to_string()),
        ];
        for (file, text) in files {
            let file = root.join(file);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        root
    };
    for setup in [
        "module.paths.push(path.join(__dirname, 'vendor'));\n",
        "process.env.NODE_PATH = path.join(__dirname, 'vendor');\nrequire('module').Module._initPaths();\n",
    ] {
        let root = function(setup);
        let (code, report) = audit_with(&root, &["--runtime", "nodejs20.x"]);
        assert_eq!(code, Some(0), "{setup}: {report}");
        assert!(missing(&report).is_empty());
        // node finds it that way
        let loaded = std::process::Command::new("node")
            .args(["-e", "require(process.argv[1])"])
            .arg(root.join("index.js"))
            .env_remove("NODE_PATH")
            .output()
            .unwrap();
        assert!(loaded.status.success(), "{setup}: {loaded:?}");
    }
    let (code, report) = audit_with(&function(""), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        missing(&report),
        ["deny index.js:2 imports helper at init, but helper is not in the package, Node's built-ins or the nodejs20.x runtime"]
    );
}

/// A function of another module that the handler calls at init requires
/// a file the package lacks: Node fails there, at every cold start, and so
/// does the gate. Called only from the handler, it is no failure at init.
#[test]
fn a_module_missing_from_a_function_init_calls_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let function = |call: &str| {
        let root = dir
            .path()
            .join(call.replace(['(', ')', '.', ' ', ';'], "_"));
        common::write_files(
            &root,
            &[
                (
                    "index.js",
                    &format!("const config = require('./config');\n{call}\nexports.handler = async () => config.settings;\n"),
                ),
                (
                    "config.js",
                    "exports.load = function load() {\n  exports.settings = require('./settings.json');\n};\n",
                ),
            ],
        );
        root
    };
    let at_init = function("config.load();");
    let (code, report) = audit_with(&at_init, &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        missing(&report),
        ["deny config.js:2 imports ./settings.json at init, but that file is not in the package"]
    );
    if let Some((started, stderr)) = common::node(&at_init, &["-e", "require('./index.js')"]) {
        assert!(
            !started && stderr.contains("Cannot find module './settings.json'"),
            "{stderr}"
        );
    }
    let in_handler = function("exports.prepare = () => config.load();");
    let (code, report) = audit_with(&in_handler, &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(missing(&report).is_empty());
}

/// A folder whose requirements.txt or package.json declares what it lacks
/// is the function's source before the build installs its dependencies:
/// those imports are a warning that says so, and what nothing declares
/// stays a deny. Zipped, the same files are what deploys: every one is.
#[test]
fn a_source_folder_declares_what_its_build_installs() {
    let dir = tempfile::tempdir().unwrap();
    let python = dir.path().join("python-src");
    common::write_files(
        &python,
        &[
            (
                "app.py",
                "import attrs\nimport psycopg2.extras\nimport requests\nimport yaml\n\n\ndef handler(event, context):\n    return 1\n",
            ),
            (
                "requirements.txt",
                "# runtime dependencies\nrequests==2.32.3\npsycopg2-binary>=2.9 ; python_version >= \"3.8\"\nPyYAML~=6.0\n",
            ),
        ],
    );
    let args = ["--runtime", "python3.12", "--handler", "app.handler"];
    let (code, report) = audit_with(&python, &args);
    assert_eq!(code, Some(1));
    assert_eq!(
        missing(&report),
        [
            "deny app.py:1 imports attrs at init, but attrs is not in the package, the standard library or the python3.12 runtime",
            "warn app.py:2 imports psycopg2 at init, but psycopg2 is not in this folder, whose requirements.txt lists psycopg2-binary for the build to install: it looks like the function's source rather than what deploys",
            "warn app.py:3 imports requests at init, but requests is not in this folder, whose requirements.txt lists requests for the build to install: it looks like the function's source rather than what deploys",
            "warn app.py:4 imports yaml at init, but yaml is not in this folder, whose requirements.txt lists pyyaml for the build to install: it looks like the function's source rather than what deploys",
        ]
    );
    let zip = ZipBuilder::new()
        .tree(&python, "")
        .write_to(dir.path(), "python.zip");
    let (_, report) = audit_with(&zip, &args);
    assert!(
        missing(&report).iter().all(|m| m.starts_with("deny")),
        "{:?}",
        missing(&report)
    );
    assert_eq!(missing(&report).len(), 4);
    // the fix names the distribution to install, not the module
    let yaml = report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("imports yaml"))
        .unwrap();
    assert!(
        yaml["fix"]
            .as_str()
            .unwrap()
            .contains("`pip install --target package/ PyYAML`"),
        "{yaml}"
    );

    let node = dir.path().join("node-src");
    common::write_files(
        &node,
        &[
            (
                "index.js",
                "const { v4 } = require('uuid');\nconst { Pool } = require('pg');\nexports.handler = async () => v4();\n",
            ),
            (
                "package.json",
                r#"{"name": "svc", "dependencies": {"uuid": "^11.0.0"}}"#,
            ),
        ],
    );
    let (_, report) = audit_with(&node, &["--runtime", "nodejs20.x"]);
    assert_eq!(
        missing(&report),
        [
            "deny index.js:2 imports pg at init, but pg is not in the package, Node's built-ins or the nodejs20.x runtime",
            "warn index.js:1 imports uuid at init, but uuid is not in this folder, whose package.json lists uuid for the build to install: it looks like the function's source rather than what deploys",
        ]
    );
}

/// `from module import name` of a name the package's module does not
/// define fails at init; a submodule, a name every module has, and an
/// import a `try` guards do not.
#[test]
fn a_python_import_of_a_name_the_module_lacks_is_a_deny() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file(
            "app.py",
            "from settings import load, DEFAULTS\nfrom settings import __doc__\nfrom tools import helpers\ntry:\n    from settings import fast_load\nexcept ImportError:\n    fast_load = None\n\ndef handler(event, context):\n    return load(DEFAULTS)\n",
        )
        .file("settings.py", "# 2.0 renamed DEFAULTS to defaults\ndefaults = {}\n\ndef load(base):\n    return dict(base)\n")
        .file("tools/__init__.py", "")
        .file("tools/helpers.py", "def slug(s):\n    return s\n")
        .write_to(dir.path(), "function.zip");
    let (code, report) = common::audit_with(
        &zip,
        &["--handler", "app.handler", "--runtime", "python3.12"],
    );
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        common::rule_findings(&report, "runtime/missing-export"),
        ["deny app.py:1 imports DEFAULTS from settings at init, but settings (settings.py) does not define it: ImportError: cannot import name 'DEFAULTS' at every cold start"]
    );
}

/// What python3 prints importing `app` in `dir` (None without python3).
fn python_imports_app(dir: &std::path::Path) -> Option<String> {
    std::process::Command::new("python3")
        .args(["-B", "-c", "import app"])
        .current_dir(dir)
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A Python function (`app.py` first) whose app imports `unset` last in a
/// `from … import` line, a name nothing defines or sets: the audit denies
/// `finding` alone and Python fails on that name; without it in app.py,
/// the audit passes and Python imports the rest.
fn assert_only_unset_name_missing(files: &[(&str, &str)], unset: &str, finding: &str) {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), files);
    let args = ["--handler", "app.handler", "--runtime", "python3.12"];
    let (code, report) = common::audit_with(dir.path(), &args);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        common::rule_findings(&report, "runtime/missing-export"),
        [finding]
    );
    if let Some(stderr) = python_imports_app(dir.path()) {
        let error = format!("cannot import name '{unset}'");
        assert!(stderr.contains(&error), "{stderr}");
    }
    let app = files[0].1.replace(&format!(", {unset}"), "");
    common::write_files(dir.path(), &[("app.py", &app)]);
    let (code, report) = common::audit_with(dir.path(), &args);
    assert_eq!(code, Some(0), "{report}");
    if let Some(stderr) = python_imports_app(dir.path()) {
        assert!(stderr.is_empty(), "{stderr}");
    }
}

/// Names set on a submodule reached through its package: `import
/// conf.aws` then `conf.aws.REGION = …`, and `from conf import db` then
/// `db.URL = …`; and on the package itself through the name `import
/// conf.aws` binds, `conf.STAGE = …`. Python imports them all; a name
/// nothing sets still fails, as reported.
#[test]
fn a_python_name_set_on_a_submodule_is_no_missing_export() {
    assert_only_unset_name_missing(
        &[
            ("app.py", "import boot\nfrom conf import STAGE\nfrom conf.aws import REGION\nfrom conf.db import URL, POOL\n\ndef handler(event, context):\n    return STAGE, REGION, URL\n"),
            (
                "boot.py",
                "import conf.aws\nfrom conf import db\nconf.aws.REGION = 'eu-west-1'\ndb.URL = 'postgres://db'\nconf.STAGE = 'prod'\n",
            ),
            ("conf/__init__.py", ""),
            ("conf/aws.py", "PARTITION = 'aws'\n"),
            ("conf/db.py", "PORT = 5432\n"),
        ],
        "POOL",
        "deny app.py:4 imports POOL from conf.db at init, but conf.db (conf/db.py) does not define it: ImportError: cannot import name 'POOL' at every cold start",
    );
}

/// A name another module sets on a module (`settings.REGION = …` after
/// `import settings`) is the module's once that code ran: importing it is
/// no missing export, as Python shows; a name nothing sets still is.
#[test]
fn a_python_name_another_module_sets_is_no_missing_export() {
    assert_only_unset_name_missing(
        &[
            ("app.py", "import boot\nfrom settings import REGION, DEFAULTS\n\ndef handler(event, context):\n    return REGION\n"),
            (
                "boot.py",
                "import os\nimport settings as config\nconfig.REGION, config.STAGE = os.environ.get('AWS_REGION', 'us-east-1'), 'prod'\n",
            ),
            ("settings.py", "defaults = {}\n"),
        ],
        "DEFAULTS",
        "deny app.py:2 imports DEFAULTS from settings at init, but settings (settings.py) does not define it: ImportError: cannot import name 'DEFAULTS' at every cold start",
    );
}

/// A package whose __init__.py tries its optional submodule and binds the
/// name either way (structlog's `twisted`): `from logkit import twisted`
/// takes what the package bound, None here, and never imports the
/// submodule again, so the module it needs being absent fails nothing, as
/// Python shows. Without that binding the same import loads the submodule
/// from the handler, and its missing module is a deny.
#[test]
fn a_submodule_its_package_tried_and_bound_is_not_imported_again() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "app.py",
            "from logkit import twisted, stdlib\n\ndef handler(event, context):\n    return twisted\n",
        ),
        (
            "logkit/__init__.py",
            "try:\n    from logkit import twisted\nexcept ImportError:\n    twisted = None\nfrom logkit import stdlib\n",
        ),
        ("logkit/twisted.py", "from twisted.python import log\n"),
        ("logkit/stdlib.py", "import logging\n"),
    ];
    common::write_files(dir.path(), &files);
    let args = ["--handler", "app.handler", "--runtime", "python3.12"];
    let (code, report) = common::audit_with(dir.path(), &args);
    assert_eq!(code, Some(0), "{report}");
    assert!(missing(&report).is_empty(), "{report}");
    if let Some(stderr) = python_imports_app(dir.path()) {
        assert!(stderr.is_empty(), "{stderr}");
    }
    // the package no longer tries it: the handler's import loads it
    common::write_files(
        dir.path(),
        &[("logkit/__init__.py", "from logkit import stdlib\n")],
    );
    let (code, report) = common::audit_with(dir.path(), &args);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        missing(&report),
        ["deny logkit/twisted.py:1 imports twisted at init, but twisted is not in the package, the standard library or the python3.12 runtime"]
    );
    if let Some(stderr) = python_imports_app(dir.path()) {
        assert!(stderr.contains("No module named 'twisted'"), "{stderr}");
    }
}

/// An app factory (`app = create_app()` at module scope, the blueprints
/// imported by a function it calls, as Flask apps are laid out) imports
/// at init what those functions import: a module it needs that the
/// package lacks fails the start, as Python finds when it imports the
/// handler. A function module scope never calls imports nothing at init.
#[test]
fn what_a_function_called_at_module_scope_imports_runs_at_init() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "app.py",
            "from service import create_app\nimport service.jobs as jobs\n\napp = create_app()\njobs.schedule()\n\n\
             def handler(event, context):\n    return app(event)\n",
        ),
        (
            "service/__init__.py",
            "def create_app():\n    import flask_cors\n    return register_blueprints()\n\n\n\
             def register_blueprints():\n    from service.views import routes\n    return routes\n\n\n\
             def unused():\n    import never_installed\n",
        ),
        ("service/views.py", "routes = {}\n"),
        (
            "service/jobs.py",
            "def schedule():\n    import croniter\n\n\nclass Jobs:\n    def schedule(self):\n        import also_never\n",
        ),
    ];
    common::write_files(dir.path(), &files);
    let args = ["--handler", "app.handler", "--runtime", "python3.12"];
    let (code, report) = common::audit_with(dir.path(), &args);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        missing(&report),
        [
            "deny service/jobs.py:2 imports croniter at init, but croniter is not in the package, the standard library or the python3.12 runtime",
            "deny service/__init__.py:2 imports flask_cors at init, but flask_cors is not in the package, the standard library or the python3.12 runtime",
        ]
    );
    let init = &report["artifacts"][0]["init"];
    let files: Vec<&str> = init["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"service/views.py"), "{files:?}");
    // never_installed and also_never stay lazy
    assert_eq!(init["lazy_imports"], 2, "{init}");
    // without this machine's site-packages, as on Lambda
    let python = std::process::Command::new("python3")
        .args(["-S", "-B", "-c", "import app"])
        .current_dir(dir.path())
        .output();
    if let Ok(out) = python {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("No module named 'flask_cors'"), "{stderr}");
    }
}
