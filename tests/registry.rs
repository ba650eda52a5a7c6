//! Will it start? — on packages installed from PyPI and npm by
//! tests/registry/fetch.sh (`pip install --target` for the function's
//! platform, `npm ci` from a committed lockfile), zipped here with a handler
//! the way a build script zips a Lambda function.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{
    audit_with, beside_template, copy_tree, init_files, measured_files, measured_files_with, needs,
    readelf, registry_fixture, rule_findings, ZipBuilder,
};
use serde_json::Value;

/// The installed tree at the zip's root, plus the handler.
fn function(dir: &Path, fixture: &str, handler: (&str, &str)) -> PathBuf {
    ZipBuilder::new()
        .tree(&registry_fixture(fixture), "")
        .file(handler.0, handler.1)
        .write_to(dir, &format!("{fixture}.zip"))
}

fn python_function(dir: &Path, fixture: &str, module: &str) -> PathBuf {
    let handler = format!(
        "import {module}\n\n\ndef lambda_handler(event, context):\n    return {module}.__name__\n"
    );
    function(dir, fixture, ("lambda_function.py", &handler))
}

fn node_function(dir: &Path, fixture: &str, module: &str) -> PathBuf {
    let handler =
        format!("const m = require('{module}');\nexports.handler = async () => typeof m;\n");
    function(dir, fixture, ("index.js", &handler))
}

struct Audit {
    code: Option<i32>,
    report: Value,
}

impl Audit {
    fn run(zip: &Path, args: &[&str]) -> Audit {
        let (code, report) = audit_with(zip, args);
        Audit { code, report }
    }

    /// "level message" for the findings of `rule`.
    fn findings(&self, rule: &str) -> Vec<String> {
        rule_findings(&self.report, rule)
    }

    fn native(&self, path: &str) -> &Value {
        self.report["artifacts"][0]["native"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["path"] == path)
            .unwrap_or_else(|| panic!("{path} not among the native files"))
    }

    fn native_files(&self) -> &Vec<Value> {
        self.report["artifacts"][0]["native"].as_array().unwrap()
    }
}

const MULTIARRAY: &str = "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so";

#[test]
fn numpy_built_for_glibc_2_27_does_not_start_on_amazon_linux_2() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "numpy-2.4.1", "numpy");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(1));
    // readelf -V: six extension modules ask for GLIBC_2.27; the biggest, the
    // core module, is named
    assert_eq!(
        audit.findings("runtime/glibc-too-new"),
        [format!("deny numpy 2.4.1: {MULTIARRAY} needs GLIBC_2.27 (and 5 more files); python3.11 runs on Amazon Linux 2 (glibc 2.26)")]
    );
    // auditwheel's patchelf moved this file's string table to its end; its
    // needs are still read exactly, the vendored OpenBLAS among them
    let core = audit.native(MULTIARRAY);
    assert_eq!(core["glibc"], "2.27");
    let needed: Vec<&str> = core["needed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(needed.contains(&"libc.so.6"), "{needed:?}");
    assert!(
        needed
            .iter()
            .any(|n| n.starts_with("libscipy_openblas64_-")),
        "{needed:?}"
    );
    // the vendored libraries ship in numpy.libs/: nothing is missing
    assert!(audit.findings("runtime/missing-shared-library").is_empty());

    // Amazon Linux 2023 has glibc 2.34
    let audit = Audit::run(&zip, &["--runtime", "python3.12"]);
    assert!(audit.findings("runtime/glibc-too-new").is_empty());
}

#[test]
fn numpy_built_for_manylinux2014_starts_on_amazon_linux_2() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "numpy-1.26.4", "numpy");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(
        audit.code,
        Some(0),
        "{:#}",
        audit.report["artifacts"][0]["findings"]
    );
    assert!(audit.findings("runtime/glibc-too-new").is_empty());
    // every native file was read, and none asks for more than the wheel's
    // manylinux2014 promise (glibc 2.17)
    let files = audit.native_files();
    assert!(files.len() >= 20, "{}", files.len());
    for file in files {
        let glibc = file["glibc"].as_str().unwrap_or("0.0");
        let minor: u32 = glibc.split('.').nth(1).unwrap().parse().unwrap();
        assert!(minor <= 17, "{file}");
    }
    assert!(audit.native_files().iter().any(|f| f["glibc"] == "2.14"));
}

/// An x86_64 CPython never looks for `_pydantic_core.cpython-311-aarch64-linux-gnu.so`:
/// `import pydantic_core` fails. MarkupSafe's arm64 `_speedups` is just as
/// invisible, but MarkupSafe imports it in a `try` and falls back to its
/// pure-Python `_native`: the function starts, slower.
#[test]
fn an_arm64_wheel_does_not_load_on_x86_64_unless_its_package_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "pydantic-core-arm64", "pydantic_core");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(1));
    // one finding: the extension module read says it; its wheel tag
    // (manylinux2014_aarch64) would only repeat it
    assert_eq!(
        audit.findings("runtime/wrong-architecture"),
        ["deny pydantic_core 2.23.4: pydantic_core/_pydantic_core.cpython-311-aarch64-linux-gnu.so is a Linux arm64 binary; the function runs on x86_64: it fails to load at the first cold start"]
    );
    assert_eq!(
        audit.native("pydantic_core/_pydantic_core.cpython-311-aarch64-linux-gnu.so")["machine"],
        "arm64"
    );
    assert_eq!(audit.report["artifacts"][0]["architecture"], "x86_64");
    // nor does init load it
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(!files.iter().any(|f| f.ends_with(".so")), "{files:?}");
    // x86_64 was assumed, and all the native code says arm64: said so
    let assumed = |audit: &Audit| {
        common::warnings(&audit.report["artifacts"][0])
            .iter()
            .any(|w| w.contains("checked for x86_64, Lambda's default"))
    };
    assert!(assumed(&audit));
    let audit = Audit::run(&zip, &["--runtime", "python3.11", "--arch", "arm64"]);
    assert!(audit.findings("runtime/wrong-architecture").is_empty());
    assert_eq!(audit.code, Some(0));
    assert!(!assumed(&audit));
    // on arm64 the extension is the module init loads
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(
        files.contains("pydantic_core/_pydantic_core.cpython-311-aarch64-linux-gnu.so"),
        "{files:?}"
    );

    // a SAM template beside the zip puts the function on arm64, as deployed
    std::fs::write(
        dir.path().join("template.yaml"),
        "Globals:\n  Function:\n    Runtime: python3.11\n    Architectures:\n      - arm64\nResources:\n  Api:\n    Type: AWS::Serverless::Function\n",
    )
    .unwrap();
    let audit = Audit::run(&zip, &[]);
    assert_eq!(audit.code, Some(0));
    assert_eq!(audit.report["artifacts"][0]["architecture"], "arm64");
    assert!(audit.findings("runtime/wrong-architecture").is_empty());
    // and --arch says otherwise for this run
    let audit = Audit::run(&zip, &["--arch", "x86_64"]);
    assert_eq!(audit.code, Some(1));
    assert_eq!(audit.findings("runtime/wrong-architecture").len(), 1);
    assert!(!assumed(&audit));

    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "markupsafe-arm64", "markupsafe");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(0));
    assert_eq!(
        audit.findings("runtime/wrong-architecture"),
        ["warn MarkupSafe 3.0.2: markupsafe/_speedups.cpython-311-aarch64-linux-gnu.so is a Linux arm64 binary; the function runs on x86_64: its import fails inside a `try` the package falls back from (slower, but the function starts)"]
    );
    // and Python does run it: the fallback's module loads at init
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(files.contains("markupsafe/_native.py"), "{files:?}");
    assert!(!files.iter().any(|f| f.ends_with(".so")), "{files:?}");

    // as this machine's CPython does, when it is an x86_64 one
    if std::env::consts::ARCH == "x86_64" {
        let loaded = files_python_loads("markupsafe-arm64", "markupsafe");
        let walked: BTreeSet<String> = files
            .iter()
            .filter(|f| f.starts_with("markupsafe/"))
            .cloned()
            .collect();
        assert_eq!(walked, loaded);
        assert_eq!(
            module_not_found(&registry_fixture("pydantic-core-arm64"), "pydantic_core"),
            "pydantic_core._pydantic_core"
        );
    }
}

/// MarkupSafe from a musllinux wheel: a glibc CPython never looks for
/// `_speedups.cpython-311-x86_64-linux-musl.so`, and MarkupSafe falls back
/// to its pure-Python `_native`; the function starts, slower.
#[test]
fn a_musllinux_wheel_whose_package_falls_back_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "markupsafe-musl", "markupsafe");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(0));
    assert_eq!(
        audit.findings("runtime/musl-binary"),
        ["warn MarkupSafe 3.0.2: markupsafe/_speedups.cpython-311-x86_64-linux-musl.so is linked against musl (Alpine); python3.11 uses glibc (Amazon Linux 2): its import fails inside a `try` the package falls back from (slower, but the function starts)"]
    );
    // reported once: its tag is no other CPython version's
    assert!(audit
        .findings("python/extension-source-fallback")
        .is_empty());
    assert!(audit.findings("runtime/python-abi-mismatch").is_empty());
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    let walked: BTreeSet<String> = files
        .iter()
        .filter(|f| f.starts_with("markupsafe/"))
        .cloned()
        .collect();
    assert!(walked.contains("markupsafe/_native.py"), "{walked:?}");
    assert!(!walked.iter().any(|f| f.ends_with(".so")), "{walked:?}");
    // as this machine's CPython (glibc) imports it
    assert_eq!(walked, files_python_loads("markupsafe-musl", "markupsafe"));
}

/// An extension module built on a newer system than the runtime's needs a
/// newer glibc: here MarkupSafe with its `_speedups` built on this machine,
/// calling arc4random (GLIBC_2.36, Debian 12's). On python3.11 (Amazon
/// Linux 2, glibc 2.26) its load raises ImportError, which MarkupSafe
/// catches to use `_native`: the function starts, and the finding is a
/// warning. A package that imports it outside a `try` does not start.
#[test]
fn an_extension_needing_a_newer_glibc_is_a_warning_where_its_package_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let built = dir.path().join("_speedups.so");
    let source = dir.path().join("speedups.c");
    std::fs::write(
        &source,
        "#include <stdlib.h>\nunsigned int PyInit__speedups(void) { return arc4random(); }\n",
    )
    .unwrap();
    let compiled = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&built)
        .arg(&source)
        .status()
        .expect("a C compiler (cc), which Rust links with");
    assert!(compiled.success());
    let so = std::fs::read(&built).unwrap();
    let speedups = "_speedups.cpython-311-x86_64-linux-gnu.so";
    // MarkupSafe's Python files and its dist-info as pip installed them,
    // the RECORD naming the extension built here
    let installed = registry_fixture("markupsafe-musl");
    let mut zip = ZipBuilder::new();
    for path in [
        "markupsafe/__init__.py",
        "markupsafe/_native.py",
        "MarkupSafe-3.0.2.dist-info/METADATA",
        "MarkupSafe-3.0.2.dist-info/RECORD",
    ] {
        let text = std::fs::read_to_string(installed.join(path)).unwrap();
        zip = zip.file(
            path,
            text.replace(
                "cpython-311-x86_64-linux-musl",
                "cpython-311-x86_64-linux-gnu",
            ),
        );
    }
    let zip = zip
        .file(&format!("markupsafe/{speedups}"), &so)
        .file("lambda_function.py", "import markupsafe\n\n\ndef lambda_handler(event, context):\n    return str(markupsafe.escape('<p>'))\n")
        .write_to(dir.path(), "falls-back.zip");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(0), "{}", audit.report);
    assert_eq!(
        audit.findings("runtime/glibc-too-new"),
        [format!("warn MarkupSafe 3.0.2: markupsafe/{speedups} needs GLIBC_2.36; python3.11 runs on Amazon Linux 2 (glibc 2.26): its import fails inside a `try` the package falls back from (slower, but the function starts)")]
    );
    // Amazon Linux 2023's glibc is 2.34: not new enough either
    let audit = Audit::run(&zip, &["--runtime", "python3.12"]);
    assert_eq!(audit.code, Some(0), "{}", audit.report);

    let zip = ZipBuilder::new()
        .file("speedy/__init__.py", "from ._speedups import escape\n")
        .file(&format!("speedy/{speedups}"), &so)
        .file(
            "lambda_function.py",
            "import speedy\n\n\ndef lambda_handler(event, context):\n    return speedy.escape\n",
        )
        .write_to(dir.path(), "no-fallback.zip");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(1), "{}", audit.report);
    assert_eq!(
        audit.findings("runtime/glibc-too-new"),
        [format!("deny the function's own code: speedy/{speedups} needs GLIBC_2.36; python3.11 runs on Amazon Linux 2 (glibc 2.26)")]
    );
}

/// pydantic-core's Rust extension is the package: built for CPython 3.12,
/// or installed on a Mac (`cpython-311-darwin`) or on Windows
/// (`cp311-win_amd64.pyd`), `import pydantic_core` fails on Lambda's 3.11. MarkupSafe's `_speedups` built for
/// 3.12 fails to import there too, but MarkupSafe imports it in a `try`
/// and falls back to its pure-Python `_native`: the function starts,
/// slower.
#[test]
fn a_cpython_3_12_wheel_does_not_import_on_python_3_11_unless_its_package_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "pydantic-core", "pydantic_core");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(1));
    assert_eq!(
        audit.findings("runtime/python-abi-mismatch"),
        ["deny pydantic_core 2.23.4: 1 extension module built for CPython 3.12 (e.g. pydantic_core/_pydantic_core.cpython-312-x86_64-linux-gnu.so); python3.11 runs CPython 3.11 on Linux and cannot import it"]
    );
    let audit = Audit::run(&zip, &["--runtime", "python3.12"]);
    assert!(audit.findings("runtime/python-abi-mismatch").is_empty());

    let zip = python_function(dir.path(), "pydantic-core-macos", "pydantic_core");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(1));
    assert_eq!(
        audit.findings("runtime/python-abi-mismatch"),
        ["deny pydantic_core 2.23.4: 1 extension module built for CPython 3.11 on macOS (e.g. pydantic_core/_pydantic_core.cpython-311-darwin.so); python3.11 runs CPython 3.11 on Linux and cannot import it"]
    );
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(!files.iter().any(|f| f.ends_with(".so")), "{files:?}");

    // installed on Windows: a .pyd no Linux Python loads
    let zip = python_function(dir.path(), "pydantic-core-windows", "pydantic_core");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(1));
    assert_eq!(
        audit.findings("runtime/python-abi-mismatch"),
        ["deny pydantic_core 2.23.4: 1 extension module built for CPython 3.11 on Windows (e.g. pydantic_core/_pydantic_core.cp311-win_amd64.pyd); python3.11 runs CPython 3.11 on Linux and cannot import it"]
    );
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(!files.iter().any(|f| f.ends_with(".pyd")), "{files:?}");
    assert_eq!(
        module_not_found(&registry_fixture("pydantic-core-windows"), "pydantic_core"),
        "pydantic_core._pydantic_core"
    );

    let zip = python_function(dir.path(), "markupsafe-cp312", "markupsafe");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert_eq!(audit.code, Some(0));
    assert!(audit.findings("runtime/python-abi-mismatch").is_empty());
    let fallback = audit.findings("python/extension-source-fallback");
    assert_eq!(fallback.len(), 1, "{fallback:?}");
    assert!(
        fallback[0].starts_with("warn MarkupSafe 3.0.2: 1 extension module built for CPython 3.12 (e.g. markupsafe/_speedups.cpython-312-x86_64-linux-gnu.so); python3.11 runs CPython 3.11 on Linux, whose import of it fails inside a `try` the package falls back from: slower code"),
        "{fallback:?}"
    );
    // and Python does run it: the fallback's module loads at init
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(files.contains("markupsafe/_native.py"), "{files:?}");
}

/// `import nose` reaches nose/importer.py, which imports imp: Python 3.12
/// removed it, so the function fails at its first cold start there.
#[test]
fn nose_imports_imp_which_python_3_12_removed() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "nose", "nose");
    let audit = Audit::run(&zip, &["--runtime", "python3.12"]);
    assert_eq!(audit.code, Some(1));
    assert_eq!(
        audit.findings("runtime/missing-module"),
        ["deny nose/importer.py:12 imports imp at init, which left the standard library in Python 3.12 (deprecated since 3.4)"]
    );
    // the Python here (3.11, which still has imp) loads both at `import nose`
    let out = std::process::Command::new("python3")
        .args([
            "-W",
            "ignore",
            "-c",
            "import sys, nose; print('nose.importer' in sys.modules, 'imp' in sys.modules)",
        ])
        .env("PYTHONPATH", registry_fixture("nose"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "True True");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    assert!(audit.findings("runtime/missing-module").is_empty());
}

#[test]
fn zeromq_prebuilt_for_node_20_needs_a_newer_glibc_than_amazon_linux_2023_node_22s_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let zip = node_function(dir.path(), "zeromq", "zeromq");
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(audit.code, Some(1));
    // build/manifest.json maps Node 20 (ABI 115) on glibc to this file; the
    // builds for other Node versions (2.38 too for ABI 72 and 147) are never
    // loaded by Node 20
    assert_eq!(
        audit.findings("runtime/glibc-too-new"),
        ["deny zeromq 6.8.0: node_modules/zeromq/build/linux/x64/node/glibc-115-Release/addon.node needs GLIBC_2.38; nodejs20.x runs on Amazon Linux 2023 (glibc 2.34)"]
    );
    assert_eq!(
        audit.native("node_modules/zeromq/build/linux/x64/node/glibc-147-Release/addon.node")
            ["glibc"],
        "2.38"
    );
    // its Alpine builds ride along with the glibc ones: weight, not a failure
    let musl = audit.findings("runtime/musl-binary");
    assert_eq!(musl.len(), 1, "{musl:?}");
    assert!(
        musl[0].starts_with("warn zeromq 6.8.0: node_modules/zeromq/build/linux/"),
        "{musl:?}"
    );
    assert!(
        musl[0].ends_with("dead weight next to its glibc build"),
        "{musl:?}"
    );

    // the Linux x64 glibc builds for Node 10, 12, 22 and 25 are never loaded
    assert_eq!(
        audit.findings("node/other-node-version-builds"),
        ["warn zeromq 6.8.0: 4 addons built for other Node versions (NODE_MODULE_VERSION 64, 72, 127, 147) ship beside the one nodejs20.x loads, e.g. node_modules/zeromq/build/linux/x64/node/64/addon.node"]
    );
    assert!(audit.findings("runtime/node-abi-mismatch").is_empty());

    // Node 22's build (ABI 127) asks for glibc 2.25: it starts there
    let audit = Audit::run(&zip, &["--runtime", "nodejs22.x"]);
    assert_eq!(
        audit.native("node_modules/zeromq/build/linux/x64/node/glibc-127-Release/addon.node")
            ["glibc"],
        "2.25"
    );
    assert!(audit.findings("runtime/glibc-too-new").is_empty());
}

#[test]
fn sharp_libvips_needs_glibc_2_28_so_nodejs18_cannot_load_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = node_function(dir.path(), "sharp", "sharp");
    let audit = Audit::run(&zip, &["--runtime", "nodejs18.x"]);
    assert_eq!(audit.code, Some(1));
    // libvips is linked with its dynamic string table after the code
    assert_eq!(
        audit.findings("runtime/glibc-too-new"),
        ["deny @img/sharp-libvips-linux-x64 1.3.4: node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.7 needs GLIBC_2.28; nodejs18.x runs on Amazon Linux 2 (glibc 2.26)"]
    );
    let engines = audit.findings("runtime/node-engines");
    assert!(engines.contains(&"warn sharp@0.35.5 declares engines.node \">=20.9.0\", which excludes Node 18 (nodejs18.x)".to_string()), "{engines:?}");
    // sharp's addon finds libvips in the package beside it
    assert!(audit.findings("runtime/missing-shared-library").is_empty());

    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    assert!(audit.findings("runtime/glibc-too-new").is_empty());
    assert!(audit.findings("runtime/node-engines").is_empty());
    assert_eq!(audit.code, Some(0));

    // init follows sharp's platform switch to the linux-x64 addon; the
    // other platforms' builds it tries are not reported as missing
    let init = &audit.report["artifacts"][0]["init"];
    assert_eq!(
        init["unresolved"].as_array().unwrap().len(),
        0,
        "{:#}",
        init["unresolved"]
    );
    assert!(init["unresolved_guarded"].as_u64().unwrap() >= 10);
    let followed = init_files(init);
    assert!(followed.contains("node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-0.35.5.node"));
    // and it agrees with what node really loads (this machine's glibc
    // runs it); node also reads a versions.json through a computed path
    assert_loads_what_the_runtime_loads(&followed, &measured_files(&zip), 2);
}

/// Every file the walk follows is one the runtime loads, and at most
/// `unseen` more load that it cannot see (computed paths, imports by name).
fn assert_loads_what_the_runtime_loads(
    followed: &BTreeSet<String>,
    loaded: &BTreeSet<String>,
    unseen: usize,
) {
    assert!(
        followed.is_subset(loaded),
        "{:?}",
        followed.difference(loaded).collect::<Vec<_>>()
    );
    assert!(
        loaded.len() - followed.len() <= unseen,
        "{:?}",
        loaded.difference(followed).collect::<Vec<_>>()
    );
}

const PREBUILDS_HANDLER: &str = "const { ClassicLevel } = require('classic-level');\nconst bufferutil = require('bufferutil');\nconst isValidUTF8 = require('utf-8-validate');\nexports.handler = async () => [typeof ClassicLevel, typeof bufferutil.mask, typeof isValidUTF8];\n";

/// classic-level ships prebuilds for every platform node-gyp-build knows:
/// Linux x64 (glibc and musl) and arm64, 32-bit arm, Android, macOS and
/// Windows. bufferutil and utf-8-validate ship no Linux arm64 build, and
/// load their JavaScript fallback when the addon fails.
#[test]
fn prebuilds_for_every_platform_are_weight_and_a_caught_addon_failure_is_no_failed_start() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "prebuilds", ("index.js", PREBUILDS_HANDLER));
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(audit.code, Some(0));
    // 32-bit files of every size are read (their machine is what counts)
    let warnings = common::warnings(&audit.report["artifacts"][0]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let android = "node_modules/classic-level/prebuilds/android-arm64/node.napi.armv8.node";
    assert_eq!(audit.native(android)["android"], true);
    assert_eq!(audit.native(android)["machine"], "arm64");
    assert_eq!(
        audit.native("node_modules/classic-level/prebuilds/linux-arm/node.napi.armv7.node")
            ["machine"],
        "arm (32-bit)"
    );
    assert_eq!(
        audit.native("node_modules/classic-level/prebuilds/linux-x64/node.napi.glibc.node")
            ["android"],
        false
    );
    // Android builds are another platform, not Linux ones missing libraries
    let foreign = audit.findings("common/foreign-platform-binary");
    assert!(
        foreign.contains(&"warn classic-level@1.4.1: 5 native files built for Android arm (32-bit), Android arm64, macOS (Mach-O) and Windows (PE) (2.2 MiB), which cannot load on Lambda's Linux x86_64".to_string()),
        "{foreign:?}"
    );
    assert!(audit.findings("runtime/missing-shared-library").is_empty());
    assert_eq!(
        audit.findings("runtime/wrong-architecture"),
        ["warn classic-level 1.4.1: node_modules/classic-level/prebuilds/linux-arm/node.napi.armv6.node is a Linux arm (32-bit) binary (and 2 more files, for arm64); the function runs on x86_64: dead weight next to its right-machine build"]
    );
    let musl = audit.findings("runtime/musl-binary");
    assert_eq!(musl.len(), 2, "{musl:?}");
    // the terminal's glibc is that of the builds the function's machine loads
    let terminal = common::audit_terminal(&[&zip], &["--runtime", "nodejs20.x"]);
    assert!(
        terminal.contains("native code: 10 ELF files for arm (32-bit), arm64, x86_64; the x86_64 ones need up to GLIBC_2.14 ("),
        "{terminal}"
    );
    assert!(
        musl.iter()
            .all(|m| m.ends_with("dead weight next to its glibc build")),
        "{musl:?}"
    );

    // on arm64 the x64 addons of bufferutil and utf-8-validate fail to
    // load, which both packages catch
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x", "--arch", "arm64"]);
    assert_eq!(audit.code, Some(0));
    let wrong = audit.findings("runtime/wrong-architecture");
    assert!(
        wrong.contains(&"warn bufferutil 4.1.0: node_modules/bufferutil/prebuilds/linux-x64/bufferutil.node is a Linux x86_64 binary; the function runs on arm64: it fails to load at the first cold start; the package catches the failed load and uses its JavaScript fallback `./fallback` instead (slower, but the function starts)".to_string()),
        "{wrong:?}"
    );
    // a musl build for the other machine is that machine's weight
    assert!(audit.findings("runtime/musl-binary").is_empty());

    // without the catch, the same addon stops the function
    let tree = dir.path().join("tree");
    copy_tree(&registry_fixture("prebuilds"), &tree);
    std::fs::write(
        tree.join("node_modules/bufferutil/index.js"),
        "'use strict';\n\nmodule.exports = require('node-gyp-build')(__dirname);\n",
    )
    .unwrap();
    let zip = ZipBuilder::new()
        .tree(&tree, "")
        .file("index.js", PREBUILDS_HANDLER)
        .write_to(dir.path(), "uncaught.zip");
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x", "--arch", "arm64"]);
    assert_eq!(audit.code, Some(1));
    let wrong = audit.findings("runtime/wrong-architecture");
    assert!(
        wrong.contains(&"deny bufferutil 4.1.0: node_modules/bufferutil/prebuilds/linux-x64/bufferutil.node is a Linux x86_64 binary; the function runs on arm64: it fails to load at the first cold start".to_string()),
        "{wrong:?}"
    );
}

/// Powertools' Tracer, created at module scope, imports the X-Ray SDK from
/// inside its constructor and has it patch every library it knows, through
/// importlib, as the SDK's own `patch_all()` does: init loads all that
/// though no import statement names it (rules/init-calls.toml). Checked
/// against `python -X importtime`.
#[test]
fn a_powertools_tracer_at_module_scope_loads_the_x_ray_sdk_and_its_patches() {
    let dir = tempfile::tempdir().unwrap();
    let audit = |name: &str, handler: &str| {
        let zip = ZipBuilder::new()
            .tree(&registry_fixture("powertools-tracer"), "")
            .file("lambda_function.py", handler)
            .write_to(dir.path(), &format!("{name}.zip"));
        Audit::run(&zip, &["--runtime", "python3.12"])
    };
    let handler = |setup: &str| {
        format!("from aws_lambda_powertools import Logger, Tracer\n\nlogger = Logger()\n{setup}\n\n\ndef lambda_handler(event, context):\n    return 1\n")
    };
    let estimate = |audit: &Audit| {
        audit.report["artifacts"][0]["init"]["estimate_ms"]["low"]
            .as_f64()
            .unwrap()
    };

    let traced = audit("traced", &handler("tracer = Tracer()"));
    assert_eq!(traced.code, Some(0));
    let init = &traced.report["artifacts"][0]["init"];
    let files = init_files(init);
    for loaded in [
        "aws_xray_sdk/core/__init__.py",
        "aws_xray_sdk/core/patcher.py",
        "aws_xray_sdk/ext/botocore/patch.py",
        "aws_xray_sdk/ext/sqlite3/patch.py",
        "aws_xray_sdk/ext/requests/patch.py",
    ] {
        assert!(files.contains(loaded), "{loaded} not in {files:?}");
    }
    // botocore comes from the runtime; requests, pymongo and the rest are
    // absent, and the SDK ignores the failed import
    assert!(
        init["runtime_modules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "botocore.client"),
        "{}",
        init["runtime_modules"]
    );
    assert_eq!(
        init["unresolved"].as_array().unwrap().len(),
        0,
        "{}",
        init["unresolved"]
    );
    assert!(traced.findings("runtime/missing-module").is_empty());

    let unpatched = audit("unpatched", &handler("tracer = Tracer(auto_patch=False)"));
    let files = init_files(&unpatched.report["artifacts"][0]["init"]);
    assert!(files.contains("aws_xray_sdk/core/__init__.py"));
    assert!(
        !files.iter().any(|f| f.starts_with("aws_xray_sdk/ext/")),
        "{files:?}"
    );

    // the X-Ray SDK's own patch_all, as its docs show it
    let patched = audit(
        "patched",
        "from aws_xray_sdk.core import patch_all\n\npatch_all()\n\n\ndef lambda_handler(event, context):\n    return 1\n",
    );
    assert_eq!(patched.code, Some(0));
    let files = init_files(&patched.report["artifacts"][0]["init"]);
    assert!(
        files.contains("aws_xray_sdk/ext/requests/patch.py"),
        "{files:?}"
    );

    let logged = audit("logged", &handler(""));
    let files = init_files(&logged.report["artifacts"][0]["init"]);
    assert!(
        !files.iter().any(|f| f.starts_with("aws_xray_sdk/")),
        "{files:?}"
    );
    assert!(estimate(&traced) > estimate(&unpatched) && estimate(&unpatched) > estimate(&logged));
}

/// sentry_sdk.init at module scope, as Sentry's docs show it, sets up the
/// SDK's default integrations and tries every auto-enabling one: each
/// integration module imports its library, and stops (`except
/// ImportError: raise DidNotEnable`) when that is absent. On Lambda the
/// boto3 one finds the runtime's botocore. What init follows is what
/// CPython loads, plus the integration files it reads and gives up on.
#[test]
fn sentry_init_at_module_scope_loads_its_integrations() {
    let dir = tempfile::tempdir().unwrap();
    let audit = |name: &str, setup: &str| {
        let handler = format!(
            "import sentry_sdk\n\n{setup}\n\n\ndef lambda_handler(event, context):\n    return 1\n"
        );
        let zip = python_function_with(dir.path(), "sentry", &handler);
        std::fs::rename(&zip, dir.path().join(name)).unwrap();
        Audit::run(&dir.path().join(name), &["--runtime", "python3.12"])
    };
    let init_call = "sentry_sdk.init(dsn=\"https://key@o1.ingest.sentry.io/1\")";
    let audit_init = audit("init.zip", init_call);
    assert_eq!(audit_init.code, Some(0));
    let init = &audit_init.report["artifacts"][0]["init"];
    let sentry_modules = |init: &Value| -> BTreeSet<String> {
        init_files(init)
            .iter()
            .filter(|f| f.starts_with("sentry_sdk/"))
            .map(|f| module_name(f))
            .collect()
    };
    let ours = sentry_modules(init);
    // -S: the SDK alone, none of this machine's libraries to instrument
    let real: BTreeSet<String> =
        modules_python_loads("sentry", &format!("import sentry_sdk\n{init_call}"), true)
            .into_iter()
            .filter(|m| m.starts_with("sentry_sdk"))
            .collect();
    assert!(real.contains("sentry_sdk.integrations.logging"), "{real:?}");
    let missed: Vec<&String> = real.difference(&ours).collect();
    assert!(missed.is_empty(), "{missed:?}");
    // the rest is the integrations CPython reads and drops for want of
    // their library (and a module one of them imports before it stops)
    let extra: Vec<&String> = ours.difference(&real).collect();
    assert!(
        extra
            .iter()
            .all(|m| m.starts_with("sentry_sdk.integrations.")),
        "{extra:?}"
    );
    assert!(extra.len() <= 40, "{extra:?}");
    // no integration's own imports after it stopped: django's submodules
    assert!(
        !ours.contains("sentry_sdk.integrations.django.asgi"),
        "{ours:?}"
    );
    // the boto3 integration imports the runtime's botocore
    let runtime_modules = init["runtime_modules"].to_string();
    assert!(
        runtime_modules.contains("botocore.client"),
        "{runtime_modules}"
    );
    assert!(init["unresolved"].as_array().unwrap().is_empty());

    // without the auto-enabling ones: neither they nor botocore
    let audit_plain = audit(
        "plain.zip",
        "sentry_sdk.init(dsn=\"https://key@o1.ingest.sentry.io/1\", auto_enabling_integrations=False)",
    );
    let plain = &audit_plain.report["artifacts"][0]["init"];
    let modules = sentry_modules(plain);
    assert!(modules.contains("sentry_sdk.integrations.logging"));
    assert!(!modules.contains("sentry_sdk.integrations.boto3"));
    assert!(!plain["runtime_modules"].to_string().contains("botocore"));
    let low = |init: &Value| init["estimate_ms"]["low"].as_f64().unwrap();
    assert!(
        low(init) > low(plain) + 30.0,
        "{} vs {}",
        low(init),
        low(plain)
    );

    // without the defaults, auto-enabling ones included: only what the
    // user's own import statements load, as CPython shows
    let bare_call =
        "sentry_sdk.init(dsn=\"https://key@o1.ingest.sentry.io/1\", default_integrations=False)";
    let audit_bare = audit("bare.zip", bare_call);
    let bare = sentry_modules(&audit_bare.report["artifacts"][0]["init"]);
    let real_bare: BTreeSet<String> =
        modules_python_loads("sentry", &format!("import sentry_sdk\n{bare_call}"), true)
            .into_iter()
            .filter(|m| m.starts_with("sentry_sdk.integrations."))
            .collect();
    assert!(
        !real_bare.contains("sentry_sdk.integrations.logging"),
        "{real_bare:?}"
    );
    let integrations: BTreeSet<String> = bare
        .into_iter()
        .filter(|m| m.starts_with("sentry_sdk.integrations."))
        .collect();
    assert_eq!(integrations, real_bare);
}

/// pydantic 2's package imports BaseModel, Field and the rest on first use
/// (a module `__getattr__` reading its `_dynamic_imports` table): `from
/// pydantic import BaseModel` loads pydantic.main and what it imports. What
/// init follows is what CPython's sys.modules holds after that import.
#[test]
fn from_pydantic_import_base_model_loads_what_its_getattr_imports() {
    let dir = tempfile::tempdir().unwrap();
    let imports = "from pydantic import BaseModel, Field";
    let handler = format!("{imports}\n\n\ndef lambda_handler(event, context):\n    return 1\n");
    let zip = python_function_with(dir.path(), "pydantic", &handler);
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    let tops = [
        "pydantic",
        "pydantic_core",
        "annotated_types",
        "typing_extensions",
    ];
    let ours: BTreeSet<String> = init_files(&audit.report["artifacts"][0]["init"])
        .iter()
        .map(|f| module_name(f))
        .filter(|m| tops.contains(&m.split('.').next().unwrap()))
        .collect();
    let real: BTreeSet<String> = modules_python_loads("pydantic", imports, false)
        .into_iter()
        .filter(|m| tops.contains(&m.split('.').next().unwrap()))
        .collect();
    assert!(real.contains("pydantic.main"), "{real:?}");
    assert_eq!(ours, real);
    // measure lists them too, though -X importtime does not see an
    // import through importlib
    let measured: BTreeSet<String> = measured_files(&zip)
        .into_iter()
        .filter(|m| tops.contains(&m.split('.').next().unwrap()))
        .collect();
    assert_eq!(measured, real);

    // the package alone reads no attribute: pydantic.main stays unloaded
    let zip = python_function_with(dir.path(), "pydantic", "import pydantic\n");
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(!files.contains("pydantic/main.py"), "{files:?}");
    // but its __init__.py calls getattr_migration at module scope, whose
    // body imports pydantic.errors (and typing_extensions with it), as
    // CPython does
    let expected = modules_python_loads("pydantic", "import pydantic", false)
        .into_iter()
        .filter(|m| tops.contains(&m.split('.').next().unwrap()))
        .collect::<BTreeSet<_>>();
    let ours: BTreeSet<String> = files
        .iter()
        .map(|f| module_name(f))
        .filter(|m| tops.contains(&m.split('.').next().unwrap()))
        .collect();
    assert!(ours.contains("pydantic.errors"), "{ours:?}");
    assert_eq!(ours, expected);
    // nor are its table of 141 attributes and its `if TYPE_CHECKING:`
    // imports counted as imports not followed: those are the imports in
    // function bodies and except blocks of the files init loads, as
    // Python's own parser finds them, less getattr_migration's own
    let lazy = audit.report["artifacts"][0]["init"]["lazy_imports"].clone();
    let count = r#"
import ast, sys
class Lazy(ast.NodeVisitor):
    depth = n = 0
    def nested(self, node):
        self.depth += 1; self.generic_visit(node); self.depth -= 1
    visit_AsyncFunctionDef = visit_ExceptHandler = nested
    def visit_FunctionDef(self, node):
        # called at module scope: its own imports run at init
        if self.depth == 0 and node.name == 'getattr_migration':
            self.depth -= 1; self.nested(node); self.depth += 1
        else:
            self.nested(node)
    def visit_Import(self, node):
        self.n += len(node.names) if self.depth else 0
    def visit_ImportFrom(self, node):
        self.n += 1 if self.depth else 0
counter = Lazy()
for path in sys.argv[1:]:
    counter.visit(ast.parse(open(path).read()))
print(counter.n)
"#;
    let tree = registry_fixture("pydantic");
    let paths: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.as_str() != "lambda_function.py")
        .map(|f| tree.join(f))
        .collect();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(count)
        .args(&paths)
        .output()
        .expect("python3 runs");
    let expected: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(lazy, expected);
}

/// Importing pydantic's models is mostly creating classes (each model
/// builds its validator then): the init estimate prices the classes init
/// creates, and the audit counts as many as CPython creates in the
/// function's files when it imports the handler.
#[test]
fn the_classes_init_creates_are_counted_as_python_creates_them() {
    let dir = tempfile::tempdir().unwrap();
    let handler = "from pydantic import BaseModel, Field\n\n\nclass Item(BaseModel):\n    \
                   name: str\n    price: float = Field(gt=0)\n\n    class Config:\n        \
                   frozen = True\n\n\ndef lambda_handler(event, context):\n    \
                   class Later:\n        pass\n    return Item(name='a', price=1)\n";
    let zip = python_function_with(dir.path(), "pydantic", handler);
    let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
    let ours = audit.report["artifacts"][0]["init"]["classes"]
        .as_u64()
        .unwrap();
    // every class statement CPython runs in a file of the function
    let function = dir.path().join("function");
    copy_tree(&registry_fixture("pydantic"), &function);
    std::fs::write(function.join("lambda_function.py"), handler).unwrap();
    let count = r#"
import builtins, os, sys
root = os.path.abspath(sys.argv[1])
sys.path.insert(0, root)
created = 0
build = builtins.__build_class__
def counting(body, name, *bases, **keywords):
    global created
    if os.path.abspath(body.__globals__.get('__file__') or '').startswith(root + os.sep):
        created += 1
    return build(body, name, *bases, **keywords)
builtins.__build_class__ = counting
import lambda_function
print(created)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", count])
        .arg(&function)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    let created: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(created > 200, "{created}");
    // a class in both branches of a version check is counted twice
    assert!(
        ours.abs_diff(created) * 10 <= created,
        "audit {ours}, CPython {created}"
    );
}

/// The modules `sys.modules` gains when python3 runs `code` with a registry
/// fixture on its path (`isolated`: with -S, none of this machine's
/// site-packages).
fn modules_python_loads(fixture: &str, code: &str, isolated: bool) -> BTreeSet<String> {
    let probe = format!(
        "import sys\nbefore = set(sys.modules)\n{code}\nprint('\\n'.join(sorted(set(sys.modules) - before)))"
    );
    python_prints(fixture, &probe, isolated).collect()
}

/// The lines python3 prints running `probe` with a registry fixture on its
/// path (its root the first argument), writing no bytecode there.
fn python_prints(fixture: &str, probe: &str, isolated: bool) -> impl Iterator<Item = String> {
    python_prints_in(&registry_fixture(fixture), probe, isolated)
}

/// What `python_prints` prints with the tree at `root` on the path.
fn python_prints_in(root: &Path, probe: &str, isolated: bool) -> impl Iterator<Item = String> {
    let mut python = std::process::Command::new("python3");
    if isolated {
        python.arg("-S");
    }
    let out = python
        .args(["-c", probe])
        .arg(root)
        .env("PYTHONPATH", root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.into_iter()
}

/// The module whose absence stops `import module` in python3 -S with the
/// tree at `root` on its path (empty when the import succeeds).
fn module_not_found(root: &Path, module: &str) -> String {
    let probe =
        format!("try:\n    import {module}\nexcept ModuleNotFoundError as e:\n    print(e.name)");
    python_prints_in(root, &probe, true)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `lambda_function.py` in an installed tree, zipped.
fn python_function_with(dir: &Path, fixture: &str, handler: &str) -> PathBuf {
    function(dir, fixture, ("lambda_function.py", handler))
}

/// `a/b/__init__.py`, `a/b.py`, `a/_b.cpython-311-x86_64-linux-gnu.so` → `a.b`.
fn module_name(path: &str) -> String {
    let path = path.strip_suffix("/__init__.py").unwrap_or(path);
    let path = path.strip_suffix(".py").unwrap_or(path);
    let path = match path.find(".cpython-") {
        Some(at) => &path[..at],
        None => path,
    };
    path.replace('/', ".")
}

#[test]
fn undici_8_declares_node_22_and_up() {
    let dir = tempfile::tempdir().unwrap();
    let zip = node_function(dir.path(), "undici", "undici");
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(
        audit.findings("runtime/node-engines"),
        ["warn undici@8.13.1 declares engines.node \">=22.19.0\", which excludes Node 20 (nodejs20.x)"]
    );
    let audit = Audit::run(&zip, &["--runtime", "nodejs22.x"]);
    assert!(audit.findings("runtime/node-engines").is_empty());
}

#[test]
fn opencv_with_its_gui_needs_libgl_which_lambda_does_not_have() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "opencv-python", "cv2");
    let audit = Audit::run(&zip, &["--runtime", "python3.12"]);
    // `import cv2` loads cv2.abi3.so, which loads the Qt the wheel vendors,
    // which needs the system's OpenGL and GLib: ImportError: libGL.so.1
    assert_eq!(
        audit.findings("runtime/missing-shared-library"),
        ["warn opencv-python 4.10.0.84: cv2/cv2.abi3.so (and 1 more file) needs libGL.so.1, libgthread-2.0.so.0, libglib-2.0.so.0 through libQt5Widgets-e392eaf8.so.5.15.13 — in neither the package nor the Amazon Linux 2023 base image"]
    );
    // every library auditwheel vendored was read, its table moved or not
    let widgets = audit.native("opencv_python.libs/libQt5Widgets-e392eaf8.so.5.15.13");
    assert!(widgets["needed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "libGL.so.1"));
}

#[test]
fn every_native_file_reads_as_readelf_reads_it() {
    // small files, big ones with their tables up front, auditwheel-repaired
    // ones (tables at the end), libvips (tables after the code), musl builds,
    // a Rust extension with a SONAME
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for fixture in [
        "numpy-2.4.1",
        "opencv-python",
        "sharp",
        "zeromq",
        "pydantic-core",
    ] {
        let root = registry_fixture(fixture);
        // zipped, and as the folder a build leaves
        let zip = python_function(dir.path(), fixture, "os");
        for audit in [Audit::run(&zip, &[]), Audit::run(&root, &[])] {
            for file in audit.native_files() {
                let path = file["path"].as_str().unwrap();
                assert_eq!(needs(file), readelf(&root.join(path)), "{fixture}: {path}");
                checked += 1;
            }
        }
    }
    assert!(checked > 120, "{checked}");
}

/// ES-module-only packages (node-fetch 3, chalk 5, nanoid 5, p-limit 5)
/// from an .mjs handler: Node's ES module loader takes every relative path
/// as written. What audit follows is what node loads, file for file, and
/// nothing is reported missing.
#[test]
fn es_module_packages_are_followed_as_node_loads_them() {
    let dir = tempfile::tempdir().unwrap();
    let handler = "import fetch from 'node-fetch';\nimport chalk from 'chalk';\nimport { nanoid } from 'nanoid';\nimport pLimit from 'p-limit';\n\nexport const handler = async () => [typeof fetch, chalk.level, nanoid().length, pLimit(2).concurrency];\n";
    let zip = function(dir.path(), "esm-only", ("index.mjs", handler));
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(audit.code, Some(0), "{}", audit.report);
    let followed = init_files(&audit.report["artifacts"][0]["init"]);
    let loaded = measured_files(&zip);
    assert!(
        followed.contains("node_modules/node-fetch/src/index.js"),
        "{followed:?}"
    );
    assert_eq!(followed, loaded);

    // required from CommonJS (require(esm), Node 20.19 on): the ES modules
    // the required one imports load as well, and measure lists them too
    let handler = "const fetch = require('node-fetch').default;\nconst { nanoid } = require('nanoid');\n\nexports.handler = async () => [typeof fetch, nanoid().length];\n";
    let zip = function(dir.path(), "esm-only", ("index.js", handler));
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(audit.code, Some(0), "{}", audit.report);
    let followed = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(
        followed.contains("node_modules/fetch-blob/index.js"),
        "{followed:?}"
    );
    assert_eq!(followed, measured_files(&zip));
}

/// CommonJS requiring ES-module-only packages (p-limit 5, nanoid 5). From
/// Node 20.19 on, require() loads them but gives the namespace object:
/// `pLimit(2)` at init is a TypeError, and nanoid's named export is fine.
/// On nodejs18.x every such require is ERR_REQUIRE_ESM. Node agrees on
/// both (the second with require(esm) turned off, as Node 18 has it).
#[test]
fn requiring_es_module_packages_fails_where_node_fails() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("esm-only"), dir.path());
    let handler = "const pLimit = require('p-limit');\nconst { nanoid } = require('nanoid');\n\nconst limit = pLimit(2);\nexports.handler = async () => limit(() => nanoid());\n";
    common::write_files(dir.path(), &[("index.js", handler)]);
    let node = |flags: &[&str]| -> Option<String> {
        let args: Vec<&str> = flags
            .iter()
            .copied()
            .chain(["-e", "require('./index.js')"])
            .collect();
        common::node(dir.path(), &args).map(|(_, stderr)| stderr)
    };

    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    let found = rule_findings(&report, "runtime/require-esm");
    assert_eq!(
        found,
        ["deny index.js:4 calls what `require('p-limit')` returns, but node_modules/p-limit/index.js is an ES module (node_modules/p-limit/package.json says \"type\": \"module\"): require() gives its namespace object, not its default export, so the call is a TypeError (pLimit is not a function) at every cold start"],
    );
    if let Some(stderr) = node(&[]) {
        assert!(
            stderr.contains("TypeError: pLimit is not a function"),
            "{stderr}"
        );
    }

    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs18.x"]);
    assert_eq!(code, Some(1), "{report}");
    let found = rule_findings(&report, "runtime/require-esm");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("deny index.js:1 requires p-limit, which Node loads as an ES module"),
        "{found:?}"
    );
    assert!(
        found[1].contains("index.js:2 requires nanoid")
            && found[1].contains(
                "nodejs18.x's Node cannot require() an ES module, Error [ERR_REQUIRE_ESM]"
            ),
        "{found:?}"
    );
    if let Some(stderr) = node(&["--no-experimental-require-module"]) {
        assert!(stderr.contains("ERR_REQUIRE_ESM"), "{stderr}");
    }

    // the default export taken: Node 20 starts it, and so does the gate
    let fixed = handler.replace("require('p-limit')", "require('p-limit').default");
    common::write_files(dir.path(), &[("index.js", &fixed)]);
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(rule_findings(&report, "runtime/require-esm").is_empty());
    if let Some(stderr) = node(&[]) {
        assert!(!stderr.contains("Error"), "{stderr}");
    }
}

/// nanoid 5 exports names only: a default import of it does not link, and
/// Node says so. p-limit 5's default import beside it is fine.
#[test]
fn a_default_import_of_an_es_module_without_one_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("esm-only"), dir.path());
    let handler = "import nanoid from 'nanoid';\nimport pLimit from 'p-limit';\n\nconst limit = pLimit(2);\nexport const handler = async () => limit(() => nanoid());\n";
    common::write_files(dir.path(), &[("index.mjs", handler)]);
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/missing-export"),
        ["deny index.mjs:1 imports the default export of nanoid at init, but nanoid@5.1.5 (node_modules/nanoid/index.js) has none: SyntaxError: The requested module 'nanoid' does not provide an export named 'default', at every cold start"]
    );
    if let Some((_, stderr)) = common::node(
        dir.path(),
        &["--input-type=module", "-e", "await import('./index.mjs')"],
    ) {
        assert!(
            stderr.contains("does not provide an export named 'default'"),
            "{stderr}"
        );
    }
    // the named import it has
    let fixed = handler.replace("import nanoid from", "import { nanoid } from");
    common::write_files(dir.path(), &[("index.mjs", &fixed)]);
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
}

/// `import numpy` takes ≈200–270 ms with a full vCPU, under common/slow-init's
/// 1000 ms; at 128 MB's share of a vCPU it is over 2.5 s, and the fix is what
/// the runtime offers: SnapStart from Python 3.12, provisioned concurrency
/// before.
#[test]
fn numpy_at_128_mb_is_slow_to_start_and_the_runtime_decides_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let zip = python_function(dir.path(), "numpy-2.4.1", "numpy");
    let slow = |args: &[&str]| -> Vec<Value> {
        let (_, report) = audit_with(&zip, args);
        report["artifacts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "common/slow-init")
            .cloned()
            .collect()
    };
    assert!(slow(&["--runtime", "python3.12"]).is_empty());
    let found = slow(&["--runtime", "python3.12", "--memory", "128"]);
    assert_eq!(found.len(), 1);
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("`lambda_function.lambda_handler` takes est. ")
            && message.contains(" ms at 128 MB to initialise, over 1000 ms"),
        "{message}"
    );
    let fix = found[0]["fix"].as_str().unwrap();
    assert!(fix.contains("SnapStart on python3.12"), "{fix}");
    let found = slow(&["--runtime", "python3.11", "--memory", "128"]);
    let fix = found[0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("provisioned concurrency") && fix.contains("not python3.11"),
        "{fix}"
    );
}

/// A Serverless service folder, its dependencies installed by `npm ci`
/// (devDependencies too, as on a developer's machine): `serverless
/// package` leaves out the development-only packages its
/// package-lock.json marks, its own and git's files and what
/// `package.patterns` excludes, so auditing the folder audits that zip.
#[test]
fn a_serverless_service_folder_is_audited_as_serverless_packages_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("serverless-service"), dir.path());
    common::write_files(
        dir.path(),
        &[
            (
                "handler.js",
                "const { v4 } = require('uuid');\nexports.handler = async () => v4();\n",
            ),
            (
                "serverless.yml",
                "service: svc\nprovider:\n  name: aws\n  runtime: nodejs20.x\npackage:\n  patterns:\n    - '!notes/**'\nfunctions:\n  hello:\n    handler: handler.handler\n",
            ),
            ("notes/design.md", "# why\n"),
            (".serverless/svc.zip", "an earlier package\n"),
        ],
    );
    let (code, report) = audit_with(dir.path(), &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    let packages: Vec<&str> = artifact["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(packages, ["uuid"], "{report}");
    assert!(rule_findings(&report, "node/dev-tool-shipped").is_empty());
    assert!(
        common::warnings(artifact)
            .iter()
            .any(|w| w.contains("not audited: the deployment's excludes")),
        "{report}"
    );
    // what serverless package zips, compared with the folder: prettier,
    // notes/ and .serverless/ are not in it
    let (_, whole) = audit_with(&registry_fixture("serverless-service"), &[]);
    assert!(
        whole["artifacts"][0]["unzipped_bytes"].as_u64().unwrap()
            > 20 * artifact["unzipped_bytes"].as_u64().unwrap(),
        "{report}"
    );
}

/// A function packaged with its devDependencies installed (yarn, no
/// package-lock.json, no --lockfile): its own package.json tells them
/// apart. Each is reported once, as a development dependency, with the fix
/// that applies (not "move it to devDependencies").
#[test]
fn development_dependencies_shipped_are_found_from_the_functions_own_package_json() {
    let (code, report) = audit_with(&registry_fixture("serverless-yarn-service"), &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    let dev_of =
        |name: &str, version: &str| common::package(artifact, name, Some(version))["dev"].clone();
    assert_eq!(dev_of("mocha", "10.8.2"), true);
    assert_eq!(dev_of("prettier", "3.3.3"), true);
    // mocha's own newer debug, nested under it, and what only mocha needs
    assert_eq!(dev_of("debug", "4.4.3"), true);
    assert_eq!(dev_of("yargs", "16.2.2"), true);
    // the service's debug, and ms, which both debugs need
    assert_eq!(dev_of("debug", "4.3.7"), false);
    assert_eq!(dev_of("ms", "2.1.3"), false);
    assert_eq!(dev_of("uuid", "9.0.1"), false);
    let shipped = rule_findings(&report, "node/dev-dependency-shipped");
    assert_eq!(shipped.len(), 2, "{shipped:?}");
    assert!(
        shipped.iter().any(|f| f.contains(
            "mocha@10.8.2 is a development dependency (mocha) but ships in the package with"
        )),
        "{shipped:?}"
    );
    assert!(
        shipped
            .iter()
            .any(|f| f.contains("prettier@3.3.3 is a development dependency (prettier)")),
        "{shipped:?}"
    );
    assert!(
        rule_findings(&report, "node/dev-tool-shipped").is_empty(),
        "{report}"
    );
    // the function's package.json asks for its tools too: they are direct,
    // mocha's nested debug is not
    let direct_of = |name: &str, version: &str| {
        common::package(artifact, name, Some(version))["direct"].clone()
    };
    assert_eq!(direct_of("mocha", "10.8.2"), true);
    assert_eq!(direct_of("prettier", "3.3.3"), true);
    assert_eq!(direct_of("debug", "4.3.7"), true);
    assert_eq!(direct_of("debug", "4.4.3"), false);
    // with a handler that loads debug only: uuid is shipped for nothing, and
    // the development tools are reported once, as such, not again here
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("serverless-yarn-service"), dir.path());
    common::write_files(
        dir.path(),
        &[(
            "index.js",
            "const debug = require('debug')('orders');\nexports.handler = async () => debug('ok');\n",
        )],
    );
    let (_, with_handler) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    let unloaded = rule_findings(&with_handler, "common/not-loaded-at-init");
    assert_eq!(unloaded.len(), 1, "{unloaded:?}");
    assert!(unloaded[0].contains("uuid@9.0.1"), "{unloaded:?}");
}

/// A service installed by yarn has no package-lock.json: what only its
/// devDependencies need is still left out, as the framework finds it in
/// the installed tree. mocha brings a newer debug of its own (nested under
/// it) and shares ms with the service's debug, which stays.
#[test]
fn a_yarn_installed_serverless_service_leaves_out_what_only_development_needs() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("serverless-yarn-service"), dir.path());
    common::write_files(
        dir.path(),
        &[
            (
                "handler.js",
                "const debug = require('debug')('orders');\nconst { v4 } = require('uuid');\nexports.handler = async () => debug(v4());\n",
            ),
            (
                "serverless.yml",
                "service: orders\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  create:\n    handler: handler.handler\n",
            ),
        ],
    );
    assert!(dir
        .path()
        .join("node_modules/mocha/node_modules/debug")
        .is_dir());
    let (code, report) = audit_with(dir.path(), &[]);
    assert_eq!(code, Some(0), "{report}");
    let artifact = &report["artifacts"][0];
    let packages = common::package_labels(artifact);
    assert_eq!(
        packages,
        ["debug@4.3.7", "ms@2.1.3", "uuid@9.0.1"],
        "{report}"
    );
    assert!(rule_findings(&report, "node/dev-tool-shipped").is_empty());
    // the folder as it is ships mocha and prettier
    let (_, whole) = audit_with(&registry_fixture("serverless-yarn-service"), &[]);
    let shipped = whole["artifacts"][0]["packages"].as_array().unwrap().len();
    assert!(shipped > 60, "{whole}");
}

/// @aws-lambda-powertools/logger 2.11.0 asks for commons `^2.11.0`, and npm
/// installs today's 2.36.0, which no longer exports what the logger's ES
/// module build imports: Node fails to link it. The audit says so before
/// deploy, with the import's file and line, and Node agrees.
#[test]
fn an_es_module_import_its_module_no_longer_exports_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("powertools-mismatch"), dir.path());
    common::write_files(
        dir.path(),
        &[(
            "index.js",
            "import { Logger } from '@aws-lambda-powertools/logger';\nconst logger = new Logger();\nexport const handler = async () => logger.info('ok');\n",
        )],
    );
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    let found = rule_findings(&report, "runtime/missing-export");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("deny node_modules/@aws-lambda-powertools/logger/lib/esm/config/EnvironmentVariablesService.js:1 imports EnvironmentVariablesService from @aws-lambda-powertools/commons at init, but @aws-lambda-powertools/commons@2.36.0 (node_modules/@aws-lambda-powertools/commons/lib/esm/index.js) does not export it"),
        "{found:?}"
    );
    // Node itself refuses the ES module build
    if let Some((_, stderr)) = common::node(
        dir.path(),
        &[
            "--input-type=module",
            "-e",
            "await import('@aws-lambda-powertools/logger')",
        ],
    ) {
        assert!(
            stderr.contains("does not provide an export named 'EnvironmentVariablesService'"),
            "{stderr}"
        );
    }
}

/// The same function as CommonJS: the logger's CommonJS build extends
/// `commons_1.EnvironmentVariablesService` at its module scope, which the
/// installed commons no longer exports (its exports are TypeScript's
/// `exports.a = …` and `Object.defineProperty(exports, 'a', …)`). The class
/// extends undefined: a TypeError at init, which Node shows too.
#[test]
fn a_required_module_that_no_longer_exports_what_init_uses_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("powertools-mismatch"), dir.path());
    let package = std::fs::read_to_string(dir.path().join("package.json")).unwrap();
    common::write_files(
        dir.path(),
        &[
            (
                "index.js",
                "const { Logger } = require('@aws-lambda-powertools/logger');\nconst logger = new Logger();\nexports.handler = async () => logger.info('ok');\n",
            ),
            ("package.json", &package.replace("\"type\": \"module\",", "")),
        ],
    );
    let (code, report) = audit_with(dir.path(), &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    let found = rule_findings(&report, "runtime/missing-export");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("deny node_modules/@aws-lambda-powertools/logger/lib/cjs/config/EnvironmentVariablesService.js:16 uses EnvironmentVariablesService from @aws-lambda-powertools/commons at init, but @aws-lambda-powertools/commons@2.36.0 (node_modules/@aws-lambda-powertools/commons/lib/cjs/index.js) does not export it: it is undefined there, a TypeError"),
        "{found:?}"
    );
    if let Some((_, stderr)) = common::node(dir.path(), &["-e", "require('./index.js')"]) {
        assert!(
            stderr.contains("TypeError: Class extends value undefined"),
            "{stderr}"
        );
    }
}

/// Flask 2.2.2 with the Werkzeug 3 its `Werkzeug>=2.2.2` lets pip install:
/// flask/app.py imports url_quote, which Werkzeug 3 removed. The audit names
/// the import; Python agrees.
#[test]
fn a_python_import_of_a_name_its_module_no_longer_defines_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("flask-werkzeug3"), dir.path());
    common::write_files(
        dir.path(),
        &[(
            "app.py",
            "from flask import Flask\n\napp = Flask(__name__)\n\n\ndef handler(event, context):\n    return {'statusCode': 200}\n",
        )],
    );
    let (code, report) = audit_with(
        dir.path(),
        &["--handler", "app.handler", "--runtime", "python3.12"],
    );
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        rule_findings(&report, "runtime/missing-export"),
        ["deny flask/app.py:30 imports url_quote from werkzeug.urls at init, but Werkzeug@3.0.6 (werkzeug/urls.py) does not define it: ImportError: cannot import name 'url_quote' at every cold start"]
    );
    let python = std::process::Command::new("python3")
        .args(["-c", "import app"])
        .current_dir(dir.path())
        .output();
    if let Ok(python) = python {
        let stderr = String::from_utf8_lossy(&python.stderr);
        assert!(
            stderr.contains("cannot import name 'url_quote' from 'werkzeug.urls'"),
            "{stderr}"
        );
    }
}

/// What Node tells of each package of the cjs-names fixture: the names
/// `require` gives (those an import can name) and those an ES module's
/// `import` links (Node's static analysis of the CommonJS file, or the
/// package's ES module build).
const PACKAGE_NAMES: &str = r#"
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
const require = createRequire(process.cwd() + '/');
const packages = Object.keys(JSON.parse(readFileSync('package.json')).dependencies);
const names = {};
for (const name of packages) {
  const given = Object.keys(require(name))
    .filter(n => /^[A-Za-z_$][\w$]*$/.test(n) && !['default', 'then', '__esModule'].includes(n));
  names[name] = { given, linked: Object.keys(await import(name)) };
}
writeFileSync('names.json', JSON.stringify(names));
"#;

/// An ES module handler importing, from each of 51 CommonJS packages
/// installed from npm (lodash, moment, http-errors, jsonwebtoken, axios,
/// pg, validator, …), every name `require` gives. Node links only the
/// names its analysis of each file finds; the audit reports the others
/// name for name: never a name Node links (no false deny), and every name
/// Node refuses (winston's too, whose getters defined on `exports` in a
/// loop over a list Node skips).
#[test]
fn named_imports_of_commonjs_registry_packages_fail_where_node_fails() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("cjs-names"), dir.path());
    let Some((ran, stderr)) =
        common::node(dir.path(), &["--input-type=module", "-e", PACKAGE_NAMES])
    else {
        return;
    };
    assert!(ran, "{stderr}");
    let names: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("names.json")).unwrap())
            .unwrap();
    let strings = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    // one import line per package, each name under an alias of its own
    let mut handler = String::new();
    let mut refused = std::collections::BTreeMap::new();
    for (package, names) in names.as_object().unwrap() {
        let given = strings(&names["given"]);
        let linked = strings(&names["linked"]);
        if given.is_empty() {
            continue;
        }
        let aliased: Vec<String> = given
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n} as n{}_{i}", refused.len()))
            .collect();
        handler += &format!("import {{ {} }} from '{package}';\n", aliased.join(", "));
        let line = handler.lines().count();
        let not_linked: BTreeSet<String> = given.difference(&linked).cloned().collect();
        refused.insert(line, (package.clone(), not_linked));
    }
    handler += "export const handler = async () => 1;\n";
    let package = std::fs::read_to_string(dir.path().join("package.json")).unwrap();
    common::write_files(
        dir.path(),
        &[
            ("index.js", &handler),
            (
                "package.json",
                &package.replacen('{', "{\n  \"type\": \"module\",", 1),
            ),
        ],
    );
    let (code, report) = audit_with(
        dir.path(),
        &["--handler", "index.handler", "--runtime", "nodejs20.x"],
    );
    assert_eq!(code, Some(1), "{report}");
    let mut reported = std::collections::BTreeMap::new();
    for finding in rule_findings(&report, "runtime/missing-export") {
        let rest = finding.strip_prefix("deny index.js:").expect(&finding);
        let (line, rest) = rest.split_once(" imports ").unwrap();
        let (names, _) = rest.split_once(" from ").unwrap();
        let names: BTreeSet<String> = names.split(", ").map(String::from).collect();
        reported.insert(line.parse::<usize>().unwrap(), names);
    }
    let mut judged = 0;
    for (line, (package, not_linked)) in &refused {
        let found = reported.remove(line).unwrap_or_default();
        assert!(
            found.is_subset(not_linked),
            "{package}: reported names Node links: {:?}",
            found.difference(not_linked).collect::<Vec<_>>()
        );
        assert_eq!(&found, not_linked, "{package}");
        judged += not_linked.len();
    }
    assert!(reported.is_empty(), "{reported:?}");
    // the fixture is worth its install: hundreds of names Node refuses
    assert!(judged > 500, "{judged}");
    assert!(refused.len() > 45, "{}", refused.len());
}

/// What Python tells of each top-level module of the folder it runs in:
/// the names an import of it gives (`dir()` after importing it).
const MODULE_NAMES: &str = r#"
import importlib, json, os
names = {}
for entry in sorted(os.listdir('.')):
    module = entry[:-3] if entry.endswith('.py') else entry
    package = os.path.isfile(os.path.join(entry, '__init__.py'))
    if module.startswith('_') or not (package or entry.endswith('.py')):
        continue
    imported = importlib.import_module(module)
    names[module] = [n for n in dir(imported)
                     if n.isidentifier() and not (n.startswith('__') and n.endswith('__'))]
print(json.dumps(names))
"#;

/// A handler importing every name of 36 packages installed from PyPI
/// (requests, flask, httpx, structlog, attrs, PyYAML, …) by name: Python
/// imports it, so the audit denies none of it: no name reported missing,
/// no module (structlog binds `twisted` to None when Twisted is absent,
/// and `from structlog import twisted` takes that).
#[test]
fn importing_every_name_of_pypi_packages_is_no_missing_module_or_export() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&registry_fixture("pypi-names"), dir.path());
    let Ok(out) = std::process::Command::new("python3")
        .args(["-B", "-c", MODULE_NAMES])
        .current_dir(dir.path())
        .output()
    else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = names.as_object().unwrap();
    let mut handler = String::new();
    let mut imported = 0;
    for (index, (module, names)) in names.iter().enumerate() {
        let names: Vec<String> = names
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                format!(
                    "{} as m{index}_{}",
                    n.as_str().unwrap(),
                    n.as_str().unwrap()
                )
            })
            .collect();
        if !names.is_empty() {
            handler += &format!("from {module} import ({})\n", names.join(", "));
            imported += names.len();
        }
    }
    handler += "\n\ndef lambda_handler(event, context):\n    return 1\n";
    common::write_files(dir.path(), &[("lambda_function.py", &handler)]);
    let python = std::process::Command::new("python3")
        .args(["-B", "-c", "import lambda_function"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    let (_, report) = audit_with(dir.path(), &["--runtime", "python3.11"]);
    for rule in ["runtime/missing-module", "runtime/missing-export"] {
        assert_eq!(rule_findings(&report, rule), Vec::<String>::new(), "{rule}");
    }
    assert_eq!(report["artifacts"][0]["warnings"], serde_json::json!([]));
    let loaded = report["artifacts"][0]["init"]["loaded_files"]
        .as_u64()
        .unwrap();
    assert!(
        names.len() >= 35 && imported > 1500,
        "{} modules, {imported} names",
        names.len()
    );
    assert!(loaded > 300, "{loaded}");
}

/// An Express function installed by pnpm and zipped with its links kept
/// (`zip -ry`): node_modules/express is a link into node_modules/.pnpm/,
/// and each package's dependencies are links beside its real folder. Node
/// follows them and loads each module from its real path; so does the init
/// walk: what it loads is what Node loads, and nothing is missing.
#[test]
fn a_pnpm_install_zipped_with_its_links_loads_as_node_loads_it() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = registry_fixture("pnpm-express");
    let handler = "const express = require('express');\nconst { v4 } = require('uuid');\nconst app = express();\nexports.handler = async () => v4();\n";
    let zip = ZipBuilder::new()
        .tree_keeping_links(&fixture, "")
        .file("index.js", handler)
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(rule_findings(&report, "runtime/missing-module").is_empty());
    let loaded = init_files(&report["artifacts"][0]["init"]);
    assert!(
        loaded
            .contains("node_modules/.pnpm/express@4.21.2/node_modules/express/lib/router/index.js"),
        "{loaded:?}"
    );
    // Node, from the installed tree
    let Some((ran, stderr)) = common::node(
        &fixture,
        &[
            "-e",
            "require('express'); require('uuid'); console.error(JSON.stringify(Object.keys(require.cache)))",
        ],
    ) else {
        return;
    };
    assert!(ran, "{stderr}");
    let root = format!("{}/", fixture.display());
    let by_node: Vec<String> = serde_json::from_str::<Vec<String>>(stderr.trim())
        .unwrap()
        .into_iter()
        .map(|path| path.strip_prefix(&root).unwrap_or(&path).to_string())
        .collect();
    let found = by_node.iter().filter(|p| loaded.contains(*p)).count();
    assert!(by_node.len() > 100, "{by_node:?}");
    assert!(
        found * 10 >= by_node.len() * 9,
        "{found} of Node's {} files; not loaded: {:?}",
        by_node.len(),
        by_node
            .iter()
            .filter(|p| !loaded.contains(*p))
            .collect::<Vec<_>>()
    );
}

/// The same install zipped the way `zip -r` does, following the links:
/// node_modules/express is a copy, and the packages it requires are only
/// in pnpm's store, where Node does not search from it. Node fails to
/// start; the audit denies each package, says where it is and how to zip
/// the install instead.
#[test]
fn a_pnpm_install_zipped_as_copies_of_its_links_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let handler =
        "const express = require('express');\nexports.handler = async () => typeof express;\n";
    let zip = ZipBuilder::new()
        .tree_following_links(&registry_fixture("pnpm-express"), "")
        .file("index.js", handler)
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "nodejs20.x"]);
    assert_eq!(code, Some(1), "{report}");
    let missing = rule_findings(&report, "runtime/missing-module");
    assert!(missing.len() > 20, "{missing:?}");
    let body_parser = "deny node_modules/express/lib/express.js:15 imports body-parser at init, but body-parser is not in the package, Node's built-ins or the nodejs20.x runtime: the package has it under node_modules/.pnpm/body-parser@1.20.3/node_modules/body-parser/, pnpm's store, which Node reaches only through pnpm's symlinks (zipped as copies, or left out, here)";
    assert!(missing.iter().any(|m| m == body_parser), "{missing:?}");
    // Node, from the zip extracted
    let extracted = dir.path().join("task");
    zip::ZipArchive::new(std::fs::File::open(&zip).unwrap())
        .unwrap()
        .extract(&extracted)
        .unwrap();
    if let Some((started, stderr)) = common::node(&extracted, &["-e", "require('./index.js')"]) {
        assert!(!started);
        assert!(
            stderr.contains("Cannot find module 'body-parser'"),
            "{stderr}"
        );
    }
}

/// botocore.client imports botocore.docs.docstring at init, and
/// boto3.resources imports boto3.docs: code, though the folders are called
/// docs. Pruning documentation must not take them (a function pruned that
/// way fails its first import); boto3/examples, reStructuredText pages for
/// boto3's documentation, is all the seven distributions carry of it.
#[test]
fn docs_folders_boto3_imports_are_code_not_documentation_to_prune() {
    let dir = tempfile::tempdir().unwrap();
    let handler = "import boto3\n\ns3 = boto3.client('s3')\n\n\ndef lambda_handler(event, context):\n    return 1\n";
    let zip = function(dir.path(), "boto3", ("lambda_function.py", handler));
    let audit = Audit::run(&zip, &["--runtime", "python3.12"]);
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    for loaded in ["botocore/docs/docstring.py", "boto3/docs/docstring.py"] {
        assert!(files.contains(loaded), "{loaded} not in {files:?}");
    }

    let examples: Vec<u64> = std::fs::read_dir(registry_fixture("boto3").join("boto3/examples"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    let findings: Vec<&Value> = audit.report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "common/docs-and-tests")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = findings[0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{} documentation", examples.len())),
        "{finding}"
    );
    assert_eq!(
        finding["saving"]["unzipped_bytes"].as_u64(),
        Some(examples.iter().sum::<u64>()),
        "{finding}"
    );
    assert!(finding["location"]["path"]
        .as_str()
        .unwrap()
        .starts_with("boto3/examples/"));
}

/// A build that prunes botocore/docs/ as documentation (it is code: the
/// client imports it) ships a function whose first cold start fails with
/// ModuleNotFoundError: botocore is there, its submodule is not. The gate
/// says so, where the import is, as Python does.
#[test]
fn a_pruned_submodule_of_a_package_that_is_there_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    copy_tree(&registry_fixture("boto3"), &tree);
    std::fs::remove_dir_all(tree.join("botocore/docs")).unwrap();
    let handler = "import boto3\n\ns3 = boto3.client('s3')\n\n\ndef lambda_handler(event, context):\n    return 1\n";
    common::write_files(&tree, &[("lambda_function.py", handler)]);
    let zip = ZipBuilder::new()
        .tree(&tree, "")
        .write_to(dir.path(), "pruned.zip");
    let audit = Audit::run(&zip, &["--runtime", "python3.12"]);
    assert_eq!(audit.code, Some(1));
    let missing = audit.findings("runtime/missing-module");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains(" imports botocore.docs")
            && missing[0].contains("but the package botocore has no module docs"),
        "{missing:?}"
    );
    // botocore's own __init__ still loads before the import fails
    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(files.contains("botocore/__init__.py"), "{files:?}");
    assert_eq!(module_not_found(&tree, "boto3"), "botocore.docs");
}

/// anyio 4.16 imports its API lazily: `if TYPE_CHECKING or not
/// install_lazy_importer():` never runs, and its `__getattr__` imports
/// what the block names on first use. `import anyio` loads two files;
/// `from anyio import to_thread, create_task_group` adds the modules those
/// names come from. The walk agrees with CPython, file for file (it took
/// the block as maybe running: every module of anyio's API, in every
/// FastAPI, openai, stripe or sentry-sdk function).
#[test]
fn anyio_lazy_api_loads_what_its_names_come_from() {
    let dir = tempfile::tempdir().unwrap();
    for code in [
        "import anyio",
        "from anyio import to_thread, create_task_group",
    ] {
        let handler = format!("{code}\n\n\ndef lambda_handler(event, context):\n    return 1\n");
        let zip = function(dir.path(), "anyio", ("lambda_function.py", &handler));
        let audit = Audit::run(&zip, &["--runtime", "python3.11"]);
        assert_eq!(audit.code, Some(0), "{}", audit.report);
        let walked: BTreeSet<String> = init_files(&audit.report["artifacts"][0]["init"])
            .into_iter()
            .filter(|f| f.starts_with("anyio/"))
            .collect();
        let probe = format!(
            "import os, sys\n{code}\nroot = sys.argv[1] + os.sep\n\
             for m in list(sys.modules.values()):\n    \
             f = getattr(m, '__file__', None) or ''\n    \
             if f.startswith(root + 'anyio'):\n        print(f[len(root):])\n"
        );
        let loaded: BTreeSet<String> = python_prints("anyio", &probe, true).collect();
        assert_eq!(walked, loaded, "{code}");
    }
}

/// zod and ajv publish their TypeScript sources beside the JavaScript Node
/// runs, and Node refuses to strip types under node_modules: every .ts,
/// .mts and .cts there but declarations and tests (which other rules
/// count) is weight no cold start loads.
#[test]
fn typescript_sources_npm_packages_publish_are_weight_init_never_loads() {
    let dir = tempfile::tempdir().unwrap();
    let handler = "const { z } = require('zod');\nconst Ajv = require('ajv');\nconst ajv = new Ajv();\nexports.handler = async (event) => z.string().parse(event.name);\n";
    let zip = function(dir.path(), "cjs-names", ("index.js", handler));
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);

    let root = registry_fixture("cjs-names");
    let (mut count, mut bytes) = (0usize, 0u64);
    for entry in walkdir::WalkDir::new(root.join("node_modules")) {
        let entry = entry.unwrap();
        let path = entry.path().strip_prefix(&root).unwrap().to_str().unwrap();
        let name = entry.file_name().to_str().unwrap();
        let source = [".ts", ".mts", ".cts"].iter().any(|e| name.ends_with(e))
            && ![".d.ts", ".d.mts", ".d.cts", ".test.ts", ".spec.ts"]
                .iter()
                .any(|e| name.ends_with(e));
        let test = path
            .split('/')
            .any(|part| ["test", "tests", "__tests__"].contains(&part));
        if entry.file_type().is_file() && source && !test {
            count += 1;
            bytes += entry.metadata().unwrap().len();
        }
    }
    let found: Vec<&Value> = audit.report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "node/package-typescript-sources")
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("{count} TypeScript source files")),
        "{message}"
    );
    assert!(message.contains("the most in zod@3.25.76"), "{message}");
    assert_eq!(found[0]["saving"]["unzipped_bytes"].as_u64(), Some(bytes));

    let files = init_files(&audit.report["artifacts"][0]["init"]);
    assert!(files.contains("node_modules/zod/index.cjs"), "{files:?}");
    assert!(files
        .iter()
        .any(|f| f.starts_with("node_modules/ajv/dist/")));
    assert!(
        !files
            .iter()
            .any(|f| f.ends_with(".ts") || f.ends_with(".mts") || f.ends_with(".cts")),
        "{files:?}"
    );
}

/// charset_normalizer (in every requests function) ships `md` and `cd`
/// twice: compiled by mypyc for one CPython, and as .py; tomli compiles
/// every module, its package's `__init__` too, and ships mypyc's shared
/// library at the top level; SQLAlchemy compiles its `_cy` modules with
/// Cython, whose `import cython` is for the compiler. Python prefers an
/// extension module it can load to the source beside it, and skips one
/// built for another version: the function starts either way.
#[test]
fn an_extension_module_beside_its_source_loads_where_its_python_loads_it() {
    // the fixtures are built for CPython 3.11, as the machine's python3
    let version = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; print('python%d.%d' % sys.version_info[:2])",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "python3.11"
    );
    for (fixture, package, compiled) in [
        ("pypi-names", "charset_normalizer", 2),
        ("tomli", "tomli", 5),
        ("sqlalchemy", "sqlalchemy", 8),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let zip = python_function(dir.path(), fixture, package);
        let audit = |runtime: &str| Audit::run(&zip, &["--runtime", runtime]);
        let package_files = |audit: &Audit| -> BTreeSet<String> {
            init_files(&audit.report["artifacts"][0]["init"])
                .into_iter()
                .filter(|f| f.starts_with(&format!("{package}/")))
                .collect()
        };
        let cpython = files_python_loads(fixture, package);
        let compiled_loaded = cpython.iter().filter(|f| f.ends_with(".so")).count();
        assert!(compiled_loaded >= 2, "{cpython:?}");
        // what the walk loads CPython loads, compiled or not (SQLAlchemy's
        // preload_module imports three more by name, which it cannot see)
        let on_311 = package_files(&audit("python3.11"));
        let extensions = |files: &BTreeSet<String>| -> BTreeSet<String> {
            files
                .iter()
                .filter(|f| f.ends_with(".so"))
                .cloned()
                .collect()
        };
        assert_eq!(extensions(&on_311), extensions(&cpython));
        assert_loads_what_the_runtime_loads(&on_311, &cpython, 3);

        let on_312 = audit("python3.12");
        let files = package_files(&on_312);
        assert!(
            files.contains(&format!("{package}/__init__.py")),
            "{files:?}"
        );
        assert!(!files.iter().any(|f| f.ends_with(".so")), "{files:?}");
        let named = |rule: &str| -> Vec<String> {
            on_312
                .findings(rule)
                .into_iter()
                .filter(|f| {
                    // the distribution's name as its METADATA spells it
                    f.to_lowercase()
                        .contains(&format!("{} ", package.replace('_', "-")))
                })
                .collect()
        };
        let fallback = named("python/extension-source-fallback");
        assert_eq!(fallback.len(), 1, "{fallback:?}");
        assert!(
            fallback[0].contains(&format!(
                "{compiled} extension modules built for CPython 3.11"
            )),
            "{fallback:?}"
        );
        assert!(fallback[0].contains("which imports the .py beside them instead"));
        assert!(named("runtime/python-abi-mismatch").is_empty());
    }
}

/// The files under a registry fixture that python3 -S loads importing
/// `module` with the fixture on its path.
fn files_python_loads(fixture: &str, module: &str) -> BTreeSet<String> {
    let probe = format!(
        "import os, sys\nimport {module}\nroot = sys.argv[1] + os.sep\n\
         for m in list(sys.modules.values()):\n    \
         f = getattr(m, '__file__', None) or ''\n    \
         if f.startswith(root):\n        print(f[len(root):])\n"
    );
    python_prints(fixture, &probe, true)
        .filter(|f| f.starts_with(&format!("{module}/")))
        .collect()
}

/// React and react-dom's server renderer pick their development or their
/// production build by NODE_ENV as they load, and Lambda leaves NODE_ENV
/// unset. The walk follows the branch the function's environment takes
/// (the command line's, the template's, the handler's own assignment),
/// file for file as Node loads it in each; the development builds are a
/// finding whose saving is the walk with NODE_ENV=production, and it goes
/// when the environment sets it.
#[test]
fn react_loads_its_development_build_unless_node_env_is_production() {
    let dir = tempfile::tempdir().unwrap();
    let handler = "const React = require('react');\nconst { renderToString } = require('react-dom/server');\n\nexports.handler = async () => renderToString(React.createElement('p', null, 'hi'));\n";
    let zip = function(dir.path(), "react-ssr", ("index.js", handler));
    let production = ["--env", "NODE_ENV=production"];

    let unset = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    let followed = init_files(&unset.report["artifacts"][0]["init"]);
    assert!(
        followed.contains("node_modules/react/cjs/react.development.js")
            && !followed.contains("node_modules/react/cjs/react.production.min.js"),
        "{followed:?}"
    );
    assert_eq!(followed, measured_files(&zip));
    let set = Audit::run(
        &zip,
        &["--runtime", "nodejs20.x", production[0], production[1]],
    );
    let followed_in_production = init_files(&set.report["artifacts"][0]["init"]);
    assert!(
        followed_in_production
            .contains("node_modules/react-dom/cjs/react-dom-server.node.production.min.js"),
        "{followed_in_production:?}"
    );
    assert_eq!(
        followed_in_production,
        measured_files_with(&zip, &production)
    );

    let finding = |audit: &Audit| -> Option<Value> {
        audit.report["artifacts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "node/development-build")
            .cloned()
    };
    let found = finding(&unset).expect("development builds found");
    assert_eq!(found["level"], "warn");
    // where react-dom's server renderer chose its build
    assert_eq!(
        found["location"]["path"],
        "node_modules/react-dom/server.node.js"
    );
    assert_eq!(found["location"]["line"], 8);
    let message = found["message"].as_str().unwrap();
    assert!(
        message.contains("react, react-dom") && message.contains("NODE_ENV is not set"),
        "{message}"
    );
    // the saving is the walk in production against this one
    let saving = &found["saving"];
    assert_eq!(saving["init_files"]["before"], followed.len());
    assert_eq!(saving["init_files"]["after"], followed_in_production.len());
    assert!(saving["init_ms"]["low"].as_f64().unwrap() > 0.0, "{saving}");
    assert!(finding(&set).is_none());

    // a deployment's template that sets it
    let template = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Web:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: function.zip\n      Handler: index.handler\n      Runtime: nodejs20.x\n      Environment:\n        Variables:\n          NODE_ENV: production\n";
    let (_keep, deployed) = beside_template(&zip, template);
    let deployed = Audit::run(&deployed, &[]);
    assert!(finding(&deployed).is_none(), "{}", deployed.report);
    assert_eq!(
        init_files(&deployed.report["artifacts"][0]["init"]),
        followed_in_production
    );

    // a handler that sets it before it requires React, as Next.js's
    // standalone server does
    let sets_it = format!("process.env.NODE_ENV = 'production';\n{handler}");
    let zip = function(dir.path(), "react-ssr", ("index.js", &sets_it));
    let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
    assert!(finding(&audit).is_none(), "{}", audit.report);
    let followed = init_files(&audit.report["artifacts"][0]["init"]);
    assert_eq!(followed, measured_files(&zip));
    assert!(
        followed.contains("node_modules/react/cjs/react.production.min.js"),
        "{followed:?}"
    );
}

/// Packages whose top level calls functions of theirs or of the modules
/// they require, which require more as they run: iconv-lite's
/// `module.exports.enableStreamingAPI(stream)` (under express's
/// body-parser, and mysql2), debug's `require('./common')(exports)` whose
/// `setup` requires ms (under axios and express). The walk follows those
/// calls and loads what Node loads, file for file.
#[test]
fn functions_init_calls_load_what_node_loads() {
    let dir = tempfile::tempdir().unwrap();
    for package in ["express", "axios"] {
        let zip = node_function(dir.path(), "cjs-names", package);
        let audit = Audit::run(&zip, &["--runtime", "nodejs20.x"]);
        let followed = init_files(&audit.report["artifacts"][0]["init"]);
        assert_eq!(followed, measured_files(&zip), "{package}");
        let mut called = vec!["node_modules/ms/index.js"];
        if package == "express" {
            called.push("node_modules/iconv-lite/lib/streams.js");
        }
        for file in called {
            assert!(followed.contains(file), "{package}: {file} in {followed:?}");
        }
    }
}
