//! Import scanning with the real parsers, on handlers written the way real
//! functions are written.

use deadweight::imports::{scan_source, Import, Language};

fn js(path: &str, text: &str) -> Vec<Import> {
    scan_source(path, text, Language::JavaScript)
        .unwrap_or_else(|w| panic!("{}", w.message))
        .imports
}

fn py(text: &str) -> Vec<Import> {
    scan_source("app.py", text, Language::Python)
        .unwrap_or_else(|w| panic!("{}", w.message))
        .imports
}

/// The modules of `imports` whose environment tests `variables` allow.
fn running<'i>(
    imports: &'i [Import],
    variables: &deadweight::imports::environment::Variables,
) -> Vec<&'i str> {
    imports
        .iter()
        .filter(|i| variables.allow(&i.when))
        .map(|i| i.module.as_str())
        .collect()
}

fn summary(imports: &[Import]) -> Vec<String> {
    imports
        .iter()
        .map(|i| {
            let members: Vec<String> = i
                .members
                .iter()
                .map(|m| format!("{}@{}", m.name, m.line))
                .collect();
            format!(
                "{} {:?} {}:{}{} [{}]",
                i.module,
                i.kind,
                i.line,
                i.column,
                if i.lazy { " lazy" } else { "" },
                members.join(" ")
            )
        })
        .collect()
}

#[test]
fn commonjs_handler_with_the_whole_v2_sdk() {
    let imports = js(
        "index.js",
        "const AWS = require('aws-sdk');\nconst db = new AWS.DynamoDB.DocumentClient();\nconst s3 = new AWS.S3({ region: 'eu-west-1' });\n\nexports.handler = async (event) => {\n  const { v4 } = require('uuid');\n  return db.get({ TableName: 'x', Key: { id: v4() } }).promise();\n};\n",
    );
    assert_eq!(
        summary(&imports),
        [
            "aws-sdk Require 1:13 [DynamoDB@2 S3@3]",
            "uuid Require 6:18 lazy [v4@6]"
        ]
    );
}

#[test]
fn esm_typescript_and_reexports() {
    let imports = js(
        "src/handler.ts",
        "import type { Context } from 'aws-lambda';\nimport { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';\nimport * as AWS from 'aws-sdk';\nimport fs = require('fs');\nimport type Foo = require('foo');\nexport { helper } from './helper';\nexport * from './types';\nexport const handler = async (_e: unknown, _c: Context) => {\n  const m = await import('./lazy.js');\n  return new AWS.SQS();\n};\n",
    );
    assert_eq!(
        summary(&imports),
        [
            "@aws-sdk/client-dynamodb Esm 2:1 [DynamoDBClient@2 GetItemCommand@2]",
            "aws-sdk Esm 3:1 [SQS@10]",
            "fs TsImportEquals 4:1 []",
            "./helper ExportFrom 6:1 [helper@6]",
            "./types ExportFrom 7:1 []",
            "./lazy.js Dynamic 9:19 lazy []",
        ]
    );
}

#[test]
fn xray_wrapping_is_recorded_on_the_wrapped_module() {
    let imports = js(
        "index.js",
        "const AWSXRay = require('aws-xray-sdk');\nconst AWS = AWSXRay.captureAWS(require('aws-sdk'));\nexports.handler = async () => new AWS.S3().listBuckets().promise();\n",
    );
    assert_eq!(
        summary(&imports),
        [
            "aws-xray-sdk Require 1:17 [captureAWS@2]",
            "aws-sdk Require 2:32 [captureAWS()@2 S3@3]"
        ]
    );
}

#[test]
fn scripts_that_are_not_strict_mode_still_parse() {
    // octal literals and `with` are errors in modules, fine in scripts
    let imports = js(
        "legacy.js",
        "var x = 010;\nwith (Math) { x = max(1, 2); }\nvar _ = require('lodash');\n",
    );
    assert_eq!(summary(&imports), ["lodash Require 3:9 []"]);
}

/// The classes a module creates as it runs: class bodies run at import,
/// function bodies and fallbacks do not, and `if TYPE_CHECKING:` never.
#[test]
fn python_classes_created_at_import_are_counted() {
    let text = "from typing import TYPE_CHECKING\nfrom pydantic import BaseModel\n\n\
                class Item(BaseModel):\n    name: str\n\n    class Config:\n        frozen = True\n\n\
                if TYPE_CHECKING:\n    class Hint: ...\n\n\
                try:\n    from ujson import dumps\nexcept ImportError:\n    class Dumps: ...\n\n\
                if True:\n    class Chosen: ...\n\n\
                def handler(event, context):\n    class Later: ...\n    return Later\n";
    let scanned = scan_source("app.py", text, Language::Python).unwrap();
    // Item, its Config, Chosen
    assert_eq!(scanned.classes, 3);
    let js = scan_source("app.js", "class A {}\n", Language::JavaScript).unwrap();
    assert_eq!(js.classes, 0);
}

#[test]
fn python_imports_at_module_level_and_lazily() {
    let imports = py(
        "import os, json\nimport boto3\nfrom botocore.exceptions import ClientError\nfrom . import models\nfrom ..shared.db import connect as db\nimport importlib\nyaml = __import__('yaml')\n\nclass Repo:\n    import decimal\n\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n\ndef handler(event, context):\n    import pandas as pd\n    mod = importlib.import_module('plugins.' + event['name'])\n    other = importlib.import_module('plugins.default')\n    return pd.DataFrame()\n",
    );
    assert_eq!(
        summary(&imports),
        [
            "os PythonImport 1:8 []",
            "json PythonImport 1:12 []",
            "boto3 PythonImport 2:8 []",
            "botocore.exceptions PythonFrom 3:1 [ClientError@3]",
            ". PythonFrom 4:1 [models@4]",
            "..shared.db PythonFrom 5:1 [connect@5]",
            "importlib PythonImport 6:8 []",
            "yaml PythonImportlib 7:8 []",
            "decimal PythonImport 10:12 []",
            "ujson PythonImport 13:12 []",
            "pandas PythonImport 18:12 lazy []",
            "plugins.default PythonImportlib 20:13 lazy []",
        ]
    );
}

#[test]
fn files_that_do_not_parse_are_warnings_with_a_line() {
    let warning = scan_source("broken.js", "const a = ;\n", Language::JavaScript).unwrap_err();
    assert!(warning.message.contains("at line 1"), "{}", warning.message);
    let warning = scan_source("broken.py", "def f(:\n  pass\n", Language::Python).unwrap_err();
    assert!(
        warning.message.starts_with("does not parse"),
        "{}",
        warning.message
    );
    assert!(warning.message.contains("line 1"), "{}", warning.message);
}

/// What init uses of a required module where a missing name would throw:
/// TypeScript's and esbuild's CommonJS output, and hand-written code. Uses
/// inside functions, under a condition, in a `try`, through `?.` or in an
/// instance field run later or survive; they are not taken.
#[test]
fn names_init_uses_from_a_required_module() {
    let source = scan_source(
        "lib/cjs/index.js",
        "const commons_1 = require(\"@aws-lambda-powertools/commons\");\nconst { Base, helper: help, opt = 1 } = require('./base');\nclass Env extends commons_1.EnvironmentVariablesService {}\nconst version = (0, commons_1.getVersion)();\nconst client = new commons_1.Client();\nconst level = commons_1.config.level;\nclass Local extends Base { field = commons_1.lazyField(); static shared = commons_1.sharedField(); }\nhelp();\nconst plain = commons_1.justRead;\nconst maybe = commons_1.optional?.();\nif (process.env.X) commons_1.whenSet();\ntry { commons_1.guarded(); } catch (e) {}\nexports.handler = async () => commons_1.later();\n",
        Language::JavaScript,
    )
    .unwrap_or_else(|w| panic!("{}", w.message));
    let linked = |module: &str| -> Vec<String> {
        let import = source.imports.iter().find(|i| i.module == module).unwrap();
        import
            .linked
            .iter()
            .map(|m| format!("{}@{}", m.name, m.line))
            .collect()
    };
    assert_eq!(
        linked("@aws-lambda-powertools/commons"),
        [
            "EnvironmentVariablesService@3",
            "getVersion@4",
            "Client@5",
            "config@6",
            "sharedField@7"
        ]
    );
    assert_eq!(linked("./base"), ["Base@7", "helper@8"]);
    // an ES module's namespace import too; a default import is not the
    // module, and takes the name `default` from it
    let esm = scan_source(
        "index.mjs",
        "import * as m from './m.mjs';\nimport d from './d.mjs';\nm.start();\nd.start();\n",
        Language::JavaScript,
    )
    .unwrap_or_else(|w| panic!("{}", w.message));
    let names: Vec<Vec<&str>> = esm
        .imports
        .iter()
        .map(|i| i.linked.iter().map(|m| m.name.as_str()).collect())
        .collect();
    assert_eq!(names, [vec!["start"], vec!["default"]]);
}

/// Tests Lambda answers before the code runs: it is Linux, and its Python
/// is the runtime's. urllib3 2 (in every boto3 function) imports its
/// browser support only under Emscripten; tomllib replaced tomli in 3.11.
#[test]
fn python_branches_lambda_never_takes_import_nothing() {
    let text = "import sys, os, platform\n\
                if sys.platform == \"emscripten\":\n    from .contrib.emscripten import inject_into_urllib3\n\
                if sys.platform.startswith((\"win\", \"cygwin\")):\n    import winreg\nelif sys.platform == \"darwin\":\n    import _scproxy\nelse:\n    import fcntl\n\
                if os.name == \"nt\" or platform.system() == \"Windows\":\n    import msvcrt\n\
                if \"linux\" != sys.platform:\n    import pwd\n\
                if sys.platform in (\"linux\", \"linux2\") and not os.name == \"nt\":\n    import termios\n\
                if sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli as tomllib\n\
                if sys.version_info[:2] < (3, 12):\n    import distutils\n\
                if sys.version_info >= (3, 11, 4):\n    import enum\n\
                if sys.version_info.major == 2:\n    import urllib2\n\
                if os.environ.get(\"WIN\"):\n    import ctypes\n\
                import ssl\nif not getattr(ssl, \"HAS_SNI\", False):\n    from urllib3.contrib import pyopenssl\n\
                if not ssl.HAS_SNI or other:\n    import OpenSSL\n\
                if __name__ == \"__main__\":\n    import argparse\nif \"__main__\" != __name__:\n    import json\n";
    let modules = |python: Option<(u32, u32)>| -> Vec<String> {
        deadweight::imports::scan_source_for("urllib3/__init__.py", text, Language::Python, python)
            .unwrap_or_else(|w| panic!("{}", w.message))
            .imports
            .iter()
            .map(|i| i.module.clone())
            .collect()
    };
    let common = ["sys", "os", "platform", "fcntl", "termios"];
    let last = ["ssl", "OpenSSL", "json"];
    for (python, rest) in [
        // the micro version decides (3, 11, 4); an environment test is unknown
        (
            Some((3, 11)),
            &["tomllib", "distutils", "enum", "ctypes"][..],
        ),
        (Some((3, 12)), &["tomllib", "enum", "ctypes"]),
        (Some((3, 10)), &["tomli", "distutils", "ctypes"]),
        // with no runtime known, either version's import may run
        (
            None,
            &["tomllib", "tomli", "distutils", "enum", "urllib2", "ctypes"],
        ),
    ] {
        let expected: Vec<&str> = common.iter().chain(rest).chain(&last).copied().collect();
        assert_eq!(modules(python), expected, "{python:?}");
    }
}

/// `process.platform` is "linux" on Lambda: a require only another
/// platform takes loads nothing there (chokidar's fsevents, a package's
/// Windows shims).
#[test]
fn javascript_branches_lambda_never_takes_load_nothing() {
    let imports = js(
        "lib/index.js",
        "let fsevents;\n\
         if (process.platform === 'darwin') {\n  fsevents = require('fsevents');\n}\n\
         const shell = process.platform === 'win32' ? require('./win32') : require('./posix');\n\
         if (!process.platform.startsWith('win') && 'linux' == process.platform) require('./linux');\n\
         if (process.platform !== 'win32' || process.env.FORCE) { require('./not-windows'); } else { require('./windows'); }\n\
         if (process.env.FORCE) require('./forced');\n",
    );
    let modules: Vec<&str> = imports.iter().map(|i| i.module.as_str()).collect();
    assert_eq!(modules, ["./posix", "./linux", "./not-windows", "./forced"]);
}

/// A branch that tests the function's environment keeps its test with
/// the imports in it, for the walk to decide with what it knows of the
/// function: React's build by NODE_ENV, a debug module by DEBUG.
#[test]
fn javascript_branches_on_the_environment_are_decided_by_the_functions_variables() {
    use deadweight::imports::environment::{Variables, NODE_ENV};
    let imports = js(
        "node_modules/react/index.js",
        "if (process.env.NODE_ENV === 'production') {\n  module.exports = require('./prod');\n} else {\n  module.exports = require('./dev');\n}\n\
         const d = process.env['DEBUG'] ? require('./debug') : null;\n\
         process.env.NODE_ENV !== 'production' && require('./checks');\n\
         if (typeof process === 'object' && process.env.NODE_ENV == 'production' || other) require('./maybe');\n\
         if (!process.env.AWS_LAMBDA_FUNCTION_NAME) require('./local');\n\
         if (other) require('./plain');\n",
    );
    let runs = |variables: &Variables| running(&imports, variables);
    let none = std::collections::BTreeMap::new();
    let unset = Variables::on_lambda(&none, None);
    assert_eq!(
        runs(&unset),
        ["./dev", "./debug", "./checks", "./maybe", "./plain"]
    );
    let production = Variables::on_lambda(&none, Some("production".into()));
    assert_eq!(
        runs(&production),
        ["./prod", "./debug", "./maybe", "./plain"]
    );
    assert_eq!(runs(&unset.with(NODE_ENV, "production")), runs(&production));
    // nothing known: every branch may run, as before the walk knew
    assert_eq!(
        imports
            .iter()
            .filter(|i| Variables::default().allow(&i.when))
            .count(),
        7
    );
    // `./plain` tests no variable, and a package's own `process` is not Node's
    assert!(imports[6].when.is_empty());
    let own = js(
        "lib/shim.js",
        "var process = { env: {} };\nif (process.env.NODE_ENV === 'production') require('./prod');\n",
    );
    assert!(own[0].when.is_empty());
}

/// A top-level variable holding an environment test decides a branch on
/// it as the test would: kafkajs 2.2's retry/index.js, pg 8's forceNative
/// (set in a `try`). A name given another value after, or given one in a
/// branch, decides nothing.
#[test]
fn javascript_variables_holding_an_environment_test_decide_branches() {
    use deadweight::imports::environment::Variables;
    let imports = js(
        "node_modules/kafkajs/src/retry/index.js",
        "const isTestMode = process.env.NODE_ENV === 'test'\n\
         const RETRY_DEFAULT = isTestMode ? require('./defaults.test') : require('./defaults')\n\
         let forceNative = false\ntry {\n  forceNative = !!process.env.NODE_PG_FORCE_NATIVE\n} catch {}\n\
         if (forceNative) { require('./native') }\n\
         let later = process.env.LATER === '1'\nlater = other()\nif (later) require('./later')\n\
         let maybe = false\nif (other) maybe = process.env.MAYBE === '1'\nif (maybe) require('./maybe')\n",
    );
    let runs = |variables: &Variables| running(&imports, variables);
    // NODE_PG_FORCE_NATIVE is none of Lambda's: not known, both ways
    let none = std::collections::BTreeMap::new();
    let unset = Variables::on_lambda(&none, None);
    assert_eq!(
        runs(&unset),
        ["./defaults", "./native", "./later", "./maybe"]
    );
    let given = std::collections::BTreeMap::from([("NODE_PG_FORCE_NATIVE".into(), String::new())]);
    let empty = Variables::on_lambda(&given, None);
    assert_eq!(runs(&empty), ["./defaults", "./later", "./maybe"]);
    let test = empty
        .with("NODE_ENV", "test")
        .with("NODE_PG_FORCE_NATIVE", "1");
    assert_eq!(
        runs(&test),
        ["./defaults.test", "./native", "./later", "./maybe"]
    );
}

/// A module's own function that its top level calls runs its requires at
/// init (iconv-lite's `module.exports.enableStreamingAPI(stream)`); one
/// called under a condition only may, and one nobody calls does not. What
/// an importer calls of the module (`module.exports = setup`, debug's) is
/// named on the function's imports for the walk.
#[test]
fn javascript_functions_module_scope_calls_run_their_requires_at_init() {
    let imports = js(
        "lib/index.js",
        "function setup() {\n  require('./setup');\n  function later() { require('./later'); }\n}\n\
         const load = () => require('./loaded');\n\
         module.exports.enableStreams = function enableStreams(s) { require('./streams'); };\n\
         function maybe() { require('./maybe'); }\n\
         function never() { require('./never'); }\n\
         function exported() { require('./exported'); }\n\
         setup();\nconst config = load();\nif (s) module.exports.enableStreams(s);\n\
         try { maybe(); } catch (e) {}\nmodule.exports = exported;\n",
    );
    let at_init: Vec<String> = imports
        .iter()
        .map(|i| {
            format!(
                "{}{}{}",
                i.module,
                if i.lazy { " lazy" } else { "" },
                if i.conditional { " conditional" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        at_init,
        [
            "./setup",
            "./later lazy",
            "./loaded",
            "./streams conditional",
            "./maybe conditional",
            "./never lazy",
            "./exported lazy",
        ]
    );
    // what an importer calling the module itself runs
    assert_eq!(imports[6].functions, ["exported", "module.exports"]);

    let importer = js(
        "index.js",
        "const make = require('./lib')(exports);\nconst lib = require('./other');\nlib.init();\n\
         const { start } = require('./third');\nstart();\nfunction later() { require('./fourth')(); }\n\
         const lib_1 = require('./compiled');\n(0, lib_1.configure)();\n",
    );
    let calls: Vec<(&str, Vec<&str>)> = importer
        .iter()
        .map(|i| {
            (
                i.module.as_str(),
                i.calls.iter().map(|c| c.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("./lib", vec!["module.exports"]),
            // a read of `init` first, which runs a getter if it is one
            ("./other", vec!["get exports.init", "exports.init"]),
            ("./third", vec!["exports.start"]),
            ("./fourth", vec![]),
            // TypeScript's CommonJS output
            (
                "./compiled",
                vec!["get exports.configure", "exports.configure"]
            ),
        ]
    );
}

/// iconv-lite 0.6 (under cheerio) names its exports `iconv` and calls
/// `iconv.enableStreamingAPI(stream)` at init; firebase-admin creates its
/// namespace with `new FirebaseNamespace()`, whose constructor (an
/// instance field too) runs at init what it calls. Methods run later.
#[test]
fn javascript_exports_aliases_and_constructors_run_at_init() {
    let iconv = js(
        "node_modules/iconv-lite/lib/index.js",
        "var iconv = module.exports;
iconv.enableStreamingAPI = function enableStreamingAPI(m) {
  var streams = require('./streams')(m);
};
         var stream_module;
try { stream_module = require('stream'); } catch (e) {}
         if (stream_module && stream_module.Transform) { iconv.enableStreamingAPI(stream_module); }
",
    );
    let streams = &iconv[0];
    assert_eq!(streams.module, "./streams");
    assert!(!streams.lazy && streams.conditional, "{streams:?}");

    let namespace = js(
        "node_modules/firebase-admin/lib/app/firebase-namespace.js",
        "const index_1 = require('../utils/index');
         class FirebaseNamespace {
  constructor() {
    this.SDK_VERSION = (0, index_1.getSdkVersion)();
    require('./internals');
  }
           apps = require('./apps');
  static store = require('./store');
  initializeApp() { require('./later'); }
}
         class Unused { constructor() { require('./unused'); } }
         exports.defaultNamespace = new FirebaseNamespace();
         const lib = require('./lib');
const client = new lib.Client();
",
    );
    let at_init: Vec<String> = namespace
        .iter()
        .map(|i| format!("{}{}", i.module, if i.lazy { " lazy" } else { "" }))
        .collect();
    assert_eq!(
        at_init,
        [
            "../utils/index",
            "./internals",
            "./apps",
            "./store",
            "./later lazy",
            "./unused lazy",
            "./lib"
        ]
    );
    let calls: Vec<&str> = namespace[0].calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        calls,
        ["get exports.getSdkVersion", "exports.getSdkVersion"]
    );
    let calls: Vec<&str> = namespace[6].calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(calls, ["get exports.Client", "exports.Client"]);
}

/// body-parser 1.x defines its parsers as getters on its exports, made
/// by a function of its own whose getter calls `loadParser`, which
/// requires the parser; Express 4 reads them at init. The getter's
/// imports are named for it, and a read at init is recorded as its call.
#[test]
fn javascript_getters_on_exports_run_what_they_call_when_read() {
    let body_parser = js(
        "node_modules/body-parser/index.js",
        "Object.defineProperty(exports, 'json', { configurable: true, enumerable: true, get: createParserGetter('json') });\n\
         Object.defineProperty(module.exports, 'raw', { get: function () { return require('./lib/types/raw'); } });\n\
         function createParserGetter(name) {\n  return function get() { return loadParser(name); };\n}\n\
         function loadParser(name) {\n  switch (name) {\n    case 'json': return require('./lib/types/json');\n  }\n}\n",
    );
    let functions: Vec<(&str, Vec<&str>, bool)> = body_parser
        .iter()
        .map(|i| {
            (
                i.module.as_str(),
                i.functions.iter().map(String::as_str).collect(),
                i.lazy,
            )
        })
        .collect();
    assert_eq!(
        functions,
        [
            ("./lib/types/raw", vec!["get exports.raw"], true),
            (
                "./lib/types/json",
                vec!["get exports.json", "loadParser"],
                true
            ),
        ]
    );
    let express = js(
        "node_modules/express/lib/express.js",
        "var bodyParser = require('body-parser');\nexports.json = bodyParser.json;\nfunction later() { return bodyParser.raw; }\n",
    );
    let reads: Vec<&str> = express[0].calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(reads, ["get exports.json"]);
}

/// requests/packages.py imports urllib3 and idna through a loop over their
/// names; a loop over names that are not literals imports what cannot be
/// known.
#[test]
fn python_imports_of_a_loop_over_literal_names() {
    let imports = py(
        "import sys\n\n\
         for package in (\"urllib3\", \"idna\"):\n    locals()[package] = __import__(package)\n\n\
         for name in sys.argv:\n    __import__(name)\n\n\
         def load():\n    for plugin in [\"json\", \"csv\"]:\n        importlib.import_module(plugin)\n",
    );
    assert_eq!(
        summary(&imports),
        [
            "sys PythonImport 1:8 []",
            "urllib3 PythonImportlib 4:25 []",
            "idna PythonImportlib 4:25 []",
            "json PythonImportlib 11:9 lazy []",
            "csv PythonImportlib 11:9 lazy []",
        ]
    );
}

/// langchain-core's packages import their attributes on first use from a
/// table of module names relative to the package (`None`: a submodule of
/// the attribute's name), as pydantic's does with tuples; a table of
/// messages is none.
#[test]
fn python_tables_of_lazy_attributes_name_their_modules() {
    use deadweight::imports::ImportKind;
    // (attribute, module)
    fn lazy_attributes(imports: &[Import]) -> Vec<(&str, &str)> {
        imports
            .iter()
            .filter(|i| i.kind == ImportKind::PythonLazyAttribute)
            .map(|i| (i.members[0].name.as_str(), i.module.as_str()))
            .collect()
    }
    let imports = py(
        "from typing import TYPE_CHECKING\n\nfrom langchain_core._import_utils import import_attr\n\n\
         _dynamic_imports = {\n    \"beta\": \"beta_decorator\",\n    \"deprecated\": \"deprecation\",\n    \"path\": None,\n}\n\
         _MESSAGES = {\"old\": \"use new instead\"}\n\n\
         def __getattr__(attr_name: str) -> object:\n    module_name = _dynamic_imports.get(attr_name)\n    \
         result = import_attr(attr_name, module_name, __spec__.parent)\n    globals()[attr_name] = result\n    return result\n",
    );
    assert_eq!(
        lazy_attributes(&imports),
        [
            ("beta", ".beta_decorator"),
            ("deprecated", ".deprecation"),
            ("path", ".path")
        ]
    );

    // azure-core's pipeline.transport branches on the name instead
    let imports = py(
        "def __getattr__(name: str):\n    transport = None\n    if name == \"RequestsTransport\":\n        try:\n            \
         from ._requests_basic import RequestsTransport\n\n            transport = RequestsTransport\n        \
         except ImportError as err:\n            raise ImportError(\"requests package is not installed\") from err\n    \
         elif name in (\"AioHttpTransport\", \"AioHttpTransportResponse\"):\n        from ._aiohttp import AioHttpTransport, AioHttpTransportResponse\n    \
         if other == \"X\":\n        from .unrelated import X\n    return transport\n",
    );
    assert_eq!(
        lazy_attributes(&imports),
        [
            ("RequestsTransport", "._requests_basic"),
            ("AioHttpTransport", "._aiohttp"),
            ("AioHttpTransportResponse", "._aiohttp")
        ]
    );
}

/// debug (under express, knex, mongoose…) picks its browser build by
/// markers Node never has, jszip a polyfill by globals it has, unzipper
/// readable-stream by a method its `stream` has; a module that declares
/// `window` itself, or whose `Stream` is its own, is left to decide at
/// run time.
#[test]
fn javascript_browser_checks_lambda_answers_load_the_node_build() {
    let debug = js(
        "node_modules/debug/src/index.js",
        "if (typeof process === 'undefined' || process.type === 'renderer' || process.browser === true || process.__nwjs) {\n\
         \tmodule.exports = require('./browser.js');\n} else {\n\tmodule.exports = require('./node.js');\n}\n\
         const fetch = typeof window !== 'undefined' ? window.fetch : require('node-fetch');\n\
         if (process.browser) require('./shim');\n",
    );
    let modules: Vec<&str> = debug.iter().map(|i| i.module.as_str()).collect();
    assert_eq!(modules, ["./node.js", "node-fetch"]);

    // jszip 3.10's lib/external.js (under exceljs); a UMD wrapper
    let polyfills = js(
        "node_modules/jszip/lib/external.js",
        "var ES6Promise = null;\nif (typeof Promise !== \"undefined\") {\n    ES6Promise = Promise;\n} else {\n    ES6Promise = require(\"lie\");\n}\n\
         if (typeof define === 'function' && define.amd) { define(['./amd'], f); } else if (typeof setImmediate === 'function') { require('./timers'); }\n\
         var tick = typeof queueMicrotask == 'undefined' ? require('./tick') : queueMicrotask;\n",
    );
    let modules: Vec<&str> = polyfills.iter().map(|i| i.module.as_str()).collect();
    assert_eq!(modules, ["./timers"]);

    // unzipper 0.10's lib/BufferStream.js, and object-keys' kind of test:
    // Node has both, so no polyfill loads (`node -e` agrees, below)
    let present = js(
        "node_modules/unzipper/lib/BufferStream.js",
        "var Promise = require('bluebird');\nvar Stream = require('stream');\n\n\
         if (!Stream.Writable || !Stream.Writable.prototype.destroy)\n  Stream = require('readable-stream');\n\
         var keys = Object.keys ? Object.keys : require('./keys-shim');\n",
    );
    let modules: Vec<&str> = present.iter().map(|i| i.module.as_str()).collect();
    assert_eq!(modules, ["bluebird", "stream"]);
    if let Ok(out) = std::process::Command::new("node")
        .args(["-e", "const S = require('stream'); console.log(!!(S.Writable && S.Writable.prototype.destroy && Object.keys))"])
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    }
    // a Stream of the package's own may lack it
    let own = js(
        "lib/streams.js",
        "var Stream = require('./my-stream');\nif (!Stream.Writable) Stream = require('readable-stream');\n",
    );
    let modules: Vec<&str> = own.iter().map(|i| i.module.as_str()).collect();
    assert_eq!(modules, ["./my-stream", "readable-stream"]);

    let declares = js(
        "lib/umd.js",
        "var window = globalThis.window;\nif (typeof window !== 'undefined') require('./dom');\n",
    );
    let modules: Vec<&str> = declares.iter().map(|i| i.module.as_str()).collect();
    assert_eq!(modules, ["./dom"]);
}
