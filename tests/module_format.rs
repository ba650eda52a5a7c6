//! runtime/module-format-mismatch: Node loads a file as an ES module or as
//! CommonJS by its extension and package.json's "type", not by what the
//! file says. Each case is also imported by the node on this machine: the
//! files flagged are the ones that fail.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{audit_with, rule_findings};

/// (name, files): each a function folder whose handler is `index.handler`.
const CASES: [(&str, &[(&str, &str)]); 11] = [
    // what tsc writes for "module": "commonjs", under "type": "module"
    (
        "tsc-output-under-type-module",
        &[
            ("package.json", r#"{"name": "orders", "type": "module"}"#),
            ("index.js", "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\nexports.handler = void 0;\nconst handler = async () => ({ statusCode: 200 });\nexports.handler = handler;\n"),
        ],
    ),
    (
        "esm-under-type-commonjs",
        &[
            ("package.json", r#"{"name": "orders", "type": "commonjs"}"#),
            ("index.js", "import { readFileSync } from 'node:fs';\nexport const handler = async () => typeof readFileSync;\n"),
        ],
    ),
    (
        "dirname-in-mjs",
        &[(
            "index.mjs",
            "import path from 'node:path';\nconst templates = path.join(__dirname, 'templates');\nexport const handler = async () => templates;\n",
        )],
    ),
    // an ES module that makes its own require, and asks about module the UMD way
    (
        "esm-done-right",
        &[(
            "index.mjs",
            "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nconst umd = typeof module === 'object';\nexport const handler = async () => [require('node:os').EOL, umd];\n",
        )],
    ),
    (
        "json-without-attribute",
        &[
            ("config.json", r#"{"table": "orders"}"#),
            ("index.mjs", "import config from './config.json';\nexport const handler = async () => config.table;\n"),
        ],
    ),
    (
        "json-with-attribute",
        &[
            ("config.json", r#"{"table": "orders"}"#),
            ("index.mjs", "import config from './config.json' with { type: 'json' };\nexport const handler = async () => config.table;\n"),
        ],
    ),
    // Node 20 still reads the old syntax (22 does not: see below)
    (
        "json-with-assert",
        &[
            ("config.json", r#"{"table": "orders"}"#),
            ("index.mjs", "import config from './config.json' assert { type: 'json' };\nexport const handler = async () => config.table;\n"),
        ],
    ),
    // tsc keeps specifiers as written: fine for require, not for import
    (
        "extensionless-esm-import",
        &[
            ("lib/db.js", "export const table = 'orders';\n"),
            ("index.mjs", "import { table } from './lib/db';\nexport const handler = async () => table;\n"),
        ],
    ),
    (
        "esm-import-named-in-full",
        &[
            ("lib/db.js", "export const table = 'orders';\n"),
            ("package.json", r#"{"name": "orders", "type": "module"}"#),
            ("index.js", "import { table } from './lib/db.js';\nexport const handler = async () => table;\n"),
        ],
    ),
    // Node 20.19 and 22.7 detect the syntax (see below for nodejs18.x)
    (
        "esm-without-type",
        &[
            ("package.json", r#"{"name": "orders"}"#),
            ("index.js", "import os from 'node:os';\nexport const handler = async () => os.EOL;\n"),
        ],
    ),
    (
        "commonjs-without-type",
        &[
            ("package.json", r#"{"name": "orders"}"#),
            ("index.js", "const os = require('node:os');\nexports.handler = async () => os.EOL;\n"),
        ],
    ),
];

fn write_case(root: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(root).unwrap();
    common::write_files(root, files);
}

#[test]
fn the_files_flagged_are_the_ones_node_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut flagged = BTreeSet::new();
    let mut refused = BTreeSet::new();
    for (name, files) in CASES {
        let root = dir.path().join(name);
        write_case(&root, files);
        let (_, report) = audit_with(
            &root,
            &["--runtime", "nodejs20.x", "--handler", "index.handler"],
        );
        let denied = [
            "runtime/module-format-mismatch",
            "runtime/json-import-attribute",
            "runtime/missing-module",
        ]
        .iter()
        .any(|rule| !rule_findings(&report, rule).is_empty());
        if denied {
            flagged.insert(name);
        }
        let handler = files
            .iter()
            .find(|(p, _)| p.starts_with("index."))
            .unwrap()
            .0;
        let imported = std::process::Command::new("node")
            .args(["--input-type=module", "-e", "await import(process.argv[1])"])
            .arg(root.join(handler))
            .output()
            .expect("node runs");
        if !imported.status.success() {
            refused.insert(name);
        }
    }
    assert_eq!(
        flagged,
        BTreeSet::from([
            "tsc-output-under-type-module",
            "esm-under-type-commonjs",
            "dirname-in-mjs",
            "json-without-attribute",
            "extensionless-esm-import",
        ])
    );
    assert_eq!(flagged, refused);
}

#[test]
fn the_finding_names_the_line_and_what_node_throws() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), CASES[0].1);
    let (code, report) = audit_with(
        dir.path(),
        &["--runtime", "nodejs20.x", "--handler", "index.handler"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/module-format-mismatch"),
        ["deny index.js:2 uses CommonJS (`exports`) at init, but package.json says \"type\": \"module\", so Node loads it as an ES module: ReferenceError: exports is not defined in ES module scope, at every cold start"]
    );
}

#[test]
fn es_module_syntax_in_a_typeless_js_fails_before_node_20_19() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), CASES[9].1);
    let args = |runtime| ["--runtime", runtime, "--handler", "index.handler"];
    let (code, report) = audit_with(dir.path(), &args("nodejs18.x"));
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/module-format-mismatch"),
        ["deny index.js:1 is written as an ES module (import/export), but no package.json above it says \"type\": \"module\": nodejs18.x's Node loads a .js as CommonJS then (module syntax is detected from Node 20.19 and 22.7), and fails with SyntaxError: Cannot use import statement outside a module, at every cold start"]
    );
    let (code, report) = audit_with(dir.path(), &args("nodejs20.x"));
    assert_eq!(code, Some(0), "{report}");
    // without a runtime: what it would do on the old ones, as a warning
    let (code, report) = audit_with(dir.path(), &["--handler", "index.handler"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/module-format-mismatch").len(),
        1
    );
    // Lambda's runtime loads a .js under no "type" with require: this
    // machine's Node 20 does it too
    let required = std::process::Command::new("node")
        .args(["-e", "require(process.argv[1])"])
        .arg(dir.path().join("index.js"))
        .output()
        .expect("node runs");
    assert!(required.status.success(), "{required:?}");
}

#[test]
fn import_assertions_fail_from_node_22() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), CASES[6].1);
    let args = |runtime| ["--runtime", runtime, "--handler", "index.handler"];
    let (code, report) = audit_with(dir.path(), &args("nodejs22.x"));
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/json-import-attribute"),
        ["deny index.mjs:1 imports ./config.json with `assert { type: 'json' }`, which Node 22 removed: SyntaxError at every cold start on nodejs22.x"]
    );
    let (code, report) = audit_with(dir.path(), &args("nodejs20.x"));
    assert_eq!(code, Some(0), "{report}");
}
