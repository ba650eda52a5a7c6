//! What audits read of a zip's files, kept between them (the scans of the
//! files init loads, the ELF tables of native files): a file whose contents
//! the zip's central directory shows unchanged is taken from the cache, a
//! changed one is read again, and the report is the same either way, with
//! the cache damaged, or with none.

mod common;

use std::path::Path;

use common::{deadweight, init_files, samples_dir, ZipBuilder};
use deadweight::analysis::native::NativeInfo;
use deadweight::analysis::{compat, practices};
use deadweight::artifact::cache::ContentCache;
use deadweight::artifact::Artifact;
use deadweight::imports::clients::{HandlerCode, Place};
use deadweight::imports::mount::Mount;
use deadweight::imports::reach::{Edits, InitWalker, Platform};
use deadweight::imports::scan_cache;
use deadweight::imports::{scan_source, Language};
use serde_json::Value;

/// A function whose handler requires a package that gives another module's
/// exports as its own: three files loaded at init, one shipped unloaded.
fn function(dir: &Path, package_main: &str) -> std::path::PathBuf {
    ZipBuilder::new()
        .file(
            "index.js",
            "const lib = require('lib');\nexports.handler = async () => lib.run();\n",
        )
        .file(
            "node_modules/lib/package.json",
            r#"{"name":"lib","version":"1.0.0"}"#,
        )
        .file("node_modules/lib/index.js", package_main)
        .file("node_modules/lib/impl.js", "exports.run = () => 1;\n")
        .file("node_modules/lib/other.js", "exports.run = () => 2;\n")
        .write_to(dir, "function.zip")
}

const MAIN: &str = "module.exports = require('./impl');\n";

/// `read` given the zip's artifact and a walker from its `index.handler`,
/// in this process (whose build wrote the cache).
fn with_walker<T>(zip: &Path, read: impl FnOnce(&Artifact, InitWalker) -> T) -> T {
    let artifact = Artifact::open(zip).unwrap();
    let mount = Mount::function(&artifact);
    let platform = Platform {
        python: None,
        runtime: None,
        arm64: false,
        unknown_layers: false,
    };
    let walker = InitWalker::new(&mount, "index.handler", platform, &[]).unwrap();
    read(&artifact, walker)
}

/// What init loads, walked with the cache.
fn walked(zip: &Path, cache: &Path) -> Vec<String> {
    with_walker(zip, |artifact, walker| {
        let walker = walker.with_cache(cache);
        let load = walker.load(&Edits::new());
        walker.save_caches();
        let mut files: Vec<String> = (load.loaded.iter())
            .map(|&i| artifact.entries[i].path.clone())
            .collect();
        files.sort();
        files
    })
}

#[test]
fn a_walk_takes_unchanged_files_from_the_cache_and_parses_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = function(dir.path(), MAIN);
    let loaded = [
        "index.js",
        "node_modules/lib/impl.js",
        "node_modules/lib/index.js",
    ];
    assert_eq!(walked(&zip, &cache), loaded);
    // the scans, and Node's resolutions
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 2);

    // A scan planted for the package's main file, as if an earlier run had
    // found it requiring other.js: the walk believes the cache while the
    // file's CRC-32 and size are the same.
    let artifact = Artifact::open(&zip).unwrap();
    let main = artifact.find("node_modules/lib/index.js").unwrap();
    let content = artifact.content_id(main).unwrap();
    let planted = scan_source(
        "node_modules/lib/index.js",
        "module.exports = require('./other');\n",
        Language::JavaScript,
    )
    .unwrap();
    let kept = scan_cache::open(&cache, &[&zip], Language::JavaScript, None);
    kept.add("node_modules/lib/index.js", content, &planted);
    kept.save();
    assert_eq!(
        walked(&zip, &cache),
        [
            "index.js",
            "node_modules/lib/index.js",
            "node_modules/lib/other.js"
        ]
    );

    // the same path rebuilt with other contents is parsed again
    let zip = function(dir.path(), "module.exports = require('./impl.js');\n");
    assert_eq!(walked(&zip, &cache), loaded);
}

/// Where `require('lib')` and `require('./impl')` lead, in a zip rebuilt
/// at the same path with these package files.
fn resolved_in(dir: &Path, cache: &Path, files: &[(&str, &str)]) -> Vec<String> {
    // npm's command shim: one link, as most packages have
    let mut zip = ZipBuilder::new()
        .file("index.js", "require('lib');\n")
        .symlink("node_modules/.bin/lib", "../lib/a.js");
    for (path, text) in files {
        zip = zip.file(&format!("node_modules/lib/{path}"), text);
    }
    walked(&zip.write_to(dir, "function.zip"), cache)
}

#[test]
fn resolutions_are_kept_while_the_files_and_manifests_they_read_are_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let manifest = r#"{"name":"lib","main":"a.js"}"#;
    let files = [
        ("package.json", manifest),
        ("a.js", "require('./impl');\n"),
        ("b.js", ""),
        ("impl/index.js", ""),
    ];
    let loaded = |files: &[&str]| -> Vec<String> {
        let mut all = vec!["index.js".to_string()];
        all.extend(files.iter().map(|f| format!("node_modules/lib/{f}")));
        all
    };
    let first = resolved_in(dir.path(), &cache, &files);
    assert_eq!(first, loaded(&["a.js", "impl/index.js"]));
    let kept = std::fs::read_dir(&cache).unwrap().flatten();
    assert!(kept
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .any(|name| name.starts_with("resolve-")));
    // the code changed, the files did not: the same, from the cache
    let mut changed = files;
    changed[1].1 = "require('./impl'); // rebuilt\n";
    assert_eq!(resolved_in(dir.path(), &cache, &changed), first);
    // a file added where `./impl` looks first
    let mut added = files.to_vec();
    added.push(("impl.js", ""));
    assert_eq!(
        resolved_in(dir.path(), &cache, &added),
        loaded(&["a.js", "impl.js"])
    );
    // the same files, a manifest that names another main
    let mut other_main = files;
    other_main[0].1 = r#"{"name":"lib","main":"b.js"}"#;
    assert_eq!(
        resolved_in(dir.path(), &cache, &other_main),
        loaded(&["b.js"])
    );
    // and back
    assert_eq!(resolved_in(dir.path(), &cache, &files), first);
}

#[test]
fn a_link_pointed_elsewhere_resolves_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let linked_to = |target: &str| {
        let mut zip = ZipBuilder::new().file("index.js", "require('alias');\n");
        for package in ["a", "b"] {
            zip = zip.file(&format!("node_modules/{package}/index.js"), "");
        }
        let zip = zip.symlink("node_modules/alias", target);
        walked(&zip.write_to(dir.path(), "function.zip"), &cache)
    };
    assert_eq!(linked_to("a"), ["index.js", "node_modules/a/index.js"]);
    assert_eq!(linked_to("b"), ["index.js", "node_modules/b/index.js"]);
}

#[test]
fn the_functions_own_code_unchanged_is_not_parsed_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = function(dir.path(), MAIN);
    let artifact = Artifact::open(&zip).unwrap();
    let inventory = deadweight::inventory::build(&artifact);
    let imports = |cache: &Path| -> Vec<String> {
        let scan = deadweight::imports::scan_app(&artifact, &inventory, None, Some(cache), None);
        assert!(scan.warnings.is_empty(), "{:?}", scan.warnings);
        let handler = scan.files.iter().find(|s| s.path == "index.js").unwrap();
        handler.imports.iter().map(|i| i.module.clone()).collect()
    };
    assert_eq!(imports(&cache), ["lib"]);
    assert_eq!(imports(&cache), ["lib"]);
    let index = artifact.find("index.js").unwrap();
    let planted = scan_source("index.js", "require('planted');\n", Language::JavaScript).unwrap();
    let kept = scan_cache::ScanCache::open(&cache, "app", &[&zip], None::<(u32, u32)>);
    kept.add("index.js", artifact.content_id(index).unwrap(), &planted);
    kept.save();
    assert_eq!(imports(&cache), ["planted"]);
}

/// The glibc each native file needs, read in this process.
fn glibc_needed(zip: &Path, cache: &Path) -> Vec<(String, Option<String>)> {
    let artifact = Artifact::open(zip).unwrap();
    let inventory = deadweight::inventory::build(&artifact);
    let reads = compat::read_native_files(&artifact, Some(cache));
    let checked = compat::check(&artifact, &[], &inventory, None, false, &reads);
    (checked.files.into_iter())
        .map(|file| (file.path, file.glibc))
        .collect()
}

#[test]
fn native_files_unchanged_are_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let bootstrap =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/c/bootstrap"))
            .unwrap();
    let zip = ZipBuilder::new()
        .file_with_mode("bootstrap", &bootstrap, 0o755)
        .write_to(dir.path(), "function.zip");
    let read = vec![("bootstrap".to_string(), Some("2.34".to_string()))];
    assert_eq!(glibc_needed(&zip, &cache), read);
    assert_eq!(glibc_needed(&zip, &cache), read);

    // what an earlier audit would have read, had the file needed 2.99
    let artifact = Artifact::open(&zip).unwrap();
    let content = artifact.content_id(artifact.find("bootstrap").unwrap());
    let kept = ContentCache::<Option<NativeInfo>>::open(&cache, "native", &[&zip], ());
    let planted = NativeInfo {
        machine: "x86_64".into(),
        glibc: Some((2, 99)),
        ..NativeInfo::default()
    };
    kept.add("bootstrap", content.unwrap(), &Some(planted));
    kept.save();
    assert_eq!(glibc_needed(&zip, &cache)[0].1.as_deref(), Some("2.99"));

    // rebuilt with the file changed: read again
    let mut changed = bootstrap.clone();
    changed.extend_from_slice(b"\0");
    let zip = ZipBuilder::new()
        .file_with_mode("bootstrap", &changed, 0o755)
        .write_to(dir.path(), "function.zip");
    assert_eq!(glibc_needed(&zip, &cache), read);
}

/// Where the handler module creates its clients, read in this process.
fn clients(zip: &Path, cache: &Path) -> Vec<(String, Place)> {
    with_walker(zip, |artifact, walker| {
        let mut warnings = Vec::new();
        let handler = "index.handler";
        let module =
            practices::read_handler(artifact, &walker, handler, Some(cache), None, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        (module.unwrap().code.constructions.into_iter())
            .map(|c| (c.service, c.place))
            .collect()
    })
}

#[test]
fn a_handler_module_unchanged_is_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = ZipBuilder::new()
        .file(
            "index.js",
            "const { S3Client } = require('@aws-sdk/client-s3');\n\
             exports.handler = async () => new S3Client({});\n",
        )
        .write_to(dir.path(), "function.zip");
    let read = vec![("s3".to_string(), Place::Handler("handler".into()))];
    assert_eq!(clients(&zip, &cache), read);
    assert_eq!(clients(&zip, &cache), read);

    // what an earlier audit would have read, had the handler made no client
    let artifact = Artifact::open(&zip).unwrap();
    let content = artifact.content_id(artifact.find("index.js").unwrap());
    let kept =
        ContentCache::<HandlerCode>::open(&cache, "handler", &[&zip], Language::JavaScript as u8);
    let nothing = HandlerCode {
        handler_found: true,
        ..HandlerCode::default()
    };
    // kept by path and the function looked for
    kept.add("index.js#handler", content.unwrap(), &nothing);
    kept.save();
    assert_eq!(clients(&zip, &cache), []);
}

fn audit(zip: &Path, cache: &Path, args: &[&str]) -> Value {
    let out = deadweight()
        .env("DEADWEIGHT_CACHE_DIR", cache)
        .args(["audit", "--format", "json"])
        .args(args)
        .arg(zip)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn audits_report_the_same_with_a_cache_cold_warm_damaged_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = samples_dir().join("node-express.zip");
    let none = audit(&zip, &cache, &["--no-cache"]);
    assert!(!cache.exists(), "--no-cache keeps nothing");
    assert!(init_files(&none["artifacts"][0]["init"]).len() > 100);

    let cold = audit(&zip, &cache, &[]);
    let kept = |cache: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let written = kept(&cache);
    // the walk's scans and Node's resolutions, the function's own code's
    // scans, what its JavaScript files are made of (bundles), the
    // handler's reading
    let kinds: Vec<&str> = written
        .iter()
        .map(|(name, _)| &name[..name.find('-').unwrap()])
        .collect();
    assert_eq!(kinds, ["app", "bundle", "handler", "resolve", "scan"]);
    let warm = audit(&zip, &cache, &[]);
    assert_eq!(cold, none);
    assert_eq!(warm, none);
    let unchanged = kept(&cache) == written;
    assert!(
        unchanged,
        "a run with nothing new to keep rewrote the cache"
    );

    // damaged: taken for empty, and written anew
    for (name, bytes) in &written {
        std::fs::write(cache.join(name), &bytes[..bytes.len() / 3]).unwrap();
    }
    assert_eq!(audit(&zip, &cache, &[]), none);
    let rewritten = kept(&cache) == written;
    assert!(
        rewritten,
        "the damaged cache was not written anew as it was"
    );
    for (name, _) in &written {
        std::fs::write(cache.join(name), b"not a cache").unwrap();
    }
    assert_eq!(audit(&zip, &cache, &[]), none);

    // an empty DEADWEIGHT_CACHE_DIR turns it off too
    let out = deadweight()
        .env("DEADWEIGHT_CACHE_DIR", "")
        .env("HOME", dir.path().join("home"))
        .args(["audit", "--format", "json"])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), none);
    assert!(!dir.path().join("home").exists());
}

#[test]
fn diff_keeps_what_it_read_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = samples_dir().join("node-express.zip");
    let diff = |args: &[&str]| {
        let out = deadweight()
            .env("DEADWEIGHT_CACHE_DIR", &cache)
            .args(["diff", "--format", "json"])
            .args(args)
            .args([&zip, &zip])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let fresh = diff(&["--no-cache"]);
    assert!(!cache.exists(), "--no-cache keeps nothing");
    assert_eq!(diff(&[]), fresh);
    assert!(cache.exists(), "a diff of zips keeps what it read");
    assert_eq!(diff(&[]), fresh);
}

#[test]
fn an_es_module_function_reports_the_same_warm_as_cold() {
    // the handler's own format and every resolution come from the cache
    // on a warm run: the files Node's loaders read are not listed again
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let zip = ZipBuilder::new()
        .file(
            "package.json",
            r#"{"name":"fn","version":"1.0.0","type":"module"}"#,
        )
        .file(
            "index.js",
            "import { get } from './lib/db.js';\nimport './lib/log';\nimport esm from 'esm-lib';\nexport const handler = async () => get(esm);\n",
        )
        .file("lib/db.js", "export const get = (x) => x;\n")
        .file("lib/log.js", "export default 1;\n")
        .file(
            "node_modules/esm-lib/package.json",
            r#"{"name":"esm-lib","version":"2.0.0","type":"module","exports":{".":"./main.js"}}"#,
        )
        .file("node_modules/esm-lib/main.js", "export default 2;\n")
        .write_to(dir.path(), "function.zip");
    let none = audit(&zip, &cache, &["--no-cache"]);
    let init = &none["artifacts"][0]["init"];
    let loaded: Vec<String> = init_files(init).into_iter().collect();
    assert_eq!(
        loaded,
        [
            "index.js",
            "lib/db.js",
            "lib/log.js",
            "node_modules/esm-lib/main.js"
        ],
        "{init}"
    );
    assert_eq!(init["es_modules"], 3, "{init}");
    let cold = audit(&zip, &cache, &[]);
    let warm = audit(&zip, &cache, &[]);
    assert_eq!(cold, none);
    assert_eq!(warm, none);
}
