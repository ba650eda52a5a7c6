//! Broken inputs, built in the test: each gives exit 2 with a one-line error
//! naming the file, or a warning while the rest is audited — never a panic.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_every_byte_owned, deadweight, warnings, ZipBuilder};
use deadweight::artifact::Artifact;
use deadweight::report::{
    biggest_directories, ArtifactReport, Json, Render, Report, ReportOptions, Terminal,
};

fn good_zip() -> Vec<u8> {
    ZipBuilder::new()
        .file(
            "index.js",
            "exports.handler = async () => require('ms')(1000);\n",
        )
        .file("package.json", "{\"dependencies\":{\"ms\":\"2.1.3\"}}")
        .stored(
            "node_modules/ms/package.json",
            "{\"name\":\"ms\",\"version\":\"2.1.3\",\"main\":\"./index\"}",
        )
        .file(
            "node_modules/ms/index.js",
            "var s = 1000;\nmodule.exports = function (val) { return val / s; };\n".repeat(20),
        )
        .file("vendored.py", "x = 1\n")
        .file(
            "six-1.16.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
        )
        .file("six-1.16.0.dist-info/RECORD", "six.py,,\n")
        .file("six.py", "import sys\n".repeat(30))
        .bytes()
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn audit(path: &Path) -> Outcome {
    let out = deadweight()
        .args(["audit", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    Outcome {
        code: out.status.code().expect("killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Exit 2 with one line on stderr that names the file.
fn assert_clear_error(path: &Path, expected: &str) {
    let out = audit(path);
    assert_eq!(
        out.code, 2,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.is_empty(), "an error must not print a report");
    let line = out.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains(&path.display().to_string()), "{line}");
    assert!(line.contains(expected), "{line}");
}

/// Exit 0, the report still owns every byte, and a warning mentions `expected`.
fn assert_warning(path: &Path, expected: &str) -> serde_json::Value {
    let out = audit(path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let artifact = &report["artifacts"][0];
    assert_every_byte_owned(artifact);
    let w = warnings(artifact);
    assert!(
        w.iter().any(|w| w.contains(expected)),
        "no warning with {expected:?}: {w:?}"
    );
    artifact.clone()
}

/// Offset of the local header of the entry called `name`.
fn local_header(bytes: &[u8], name: &str) -> usize {
    find_header(bytes, b"PK\x03\x04", 30, 26, name)
}

/// Offset of the central directory record of the entry called `name`.
fn central_header(bytes: &[u8], name: &str) -> usize {
    find_header(bytes, b"PK\x01\x02", 46, 28, name)
}

fn find_header(
    bytes: &[u8],
    signature: &[u8],
    fixed: usize,
    name_len_at: usize,
    name: &str,
) -> usize {
    (0..bytes.len() - fixed)
        .find(|&i| {
            bytes[i..].starts_with(signature) && {
                let n = u16::from_le_bytes([bytes[i + name_len_at], bytes[i + name_len_at + 1]])
                    as usize;
                bytes.get(i + fixed..i + fixed + n) == Some(name.as_bytes())
            }
        })
        .unwrap_or_else(|| panic!("no header for {name}"))
}

#[test]
fn a_missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert_clear_error(&dir.path().join("nope.zip"), "no such file or directory");
}

#[test]
fn a_file_that_is_not_a_zip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "function.zip",
        b"exports.handler = async () => {};\n",
    );
    assert_clear_error(&path, "not a readable zip archive");
}

#[test]
fn an_empty_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "function.zip", b"");
    assert_clear_error(&path, "empty file");
}

#[test]
fn a_truncated_zip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = good_zip();
    for keep in [bytes.len() / 2, bytes.len() - 10] {
        let path = write(dir.path(), "function.zip", &bytes[..keep]);
        assert_clear_error(&path, "not a readable zip archive");
    }
}

#[test]
fn a_corrupted_central_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good_zip();
    let at = central_header(&bytes, "node_modules/ms/index.js");
    bytes[at..at + 4].copy_from_slice(b"XXXX");
    let path = write(dir.path(), "function.zip", &bytes);
    assert_clear_error(&path, "not a readable zip archive");
}

#[test]
fn a_corrupt_manifest_is_a_warning_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good_zip();
    // the stored package.json: change one byte of its data, the CRC no longer matches
    let at = local_header(&bytes, "node_modules/ms/package.json")
        + 30
        + "node_modules/ms/package.json".len()
        + 10;
    bytes[at] ^= 0x20;
    let path = write(dir.path(), "function.zip", &bytes);
    assert_warning(
        &path,
        "node_modules/ms/package.json: package.json corrupt entry",
    );
}

#[test]
fn an_entry_whose_size_disagrees_with_the_archive_layout_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good_zip();
    // central record claims far more compressed data than the entry has
    let at = central_header(&bytes, "index.js") + 20;
    bytes[at..at + 4].copy_from_slice(&5_000u32.to_le_bytes());
    let path = write(dir.path(), "function.zip", &bytes);
    assert_warning(
        &path,
        "index.js: entry data (5000 bytes) runs into the next entry",
    );
}

#[test]
fn an_entry_that_inflates_to_more_or_less_than_its_header_says_is_a_warning() {
    let ms = "var s = 1000;\nmodule.exports = function (val) { return val / s; };\n".repeat(20);
    let function = ZipBuilder::new()
        .file(
            "index.js",
            "const ms = require('ms');\nexports.handler = async () => ms(1000);\n",
        )
        .file(
            "node_modules/ms/package.json",
            "{\"name\":\"ms\",\"version\":\"2.1.3\"}",
        )
        .file("node_modules/ms/index.js", &ms)
        .bytes();
    // ms's index.js, which the handler loads at init
    for (claimed, expected) in [
        (100, "more than the 100 bytes the header says".to_string()),
        (
            4_000,
            format!("inflated to {} bytes, the header says 4000", ms.len()),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = function.clone();
        let at = central_header(&bytes, "node_modules/ms/index.js") + 24;
        bytes[at..at + 4].copy_from_slice(&(claimed as u32).to_le_bytes());
        let path = write(dir.path(), "function.zip", &bytes);
        let artifact = assert_warning(&path, "node_modules/ms/index.js: not followed at init");
        let w = warnings(&artifact);
        assert!(w.iter().any(|w| w.contains(&expected)), "{w:?}");
    }
}

#[test]
fn encrypted_entries_are_counted_but_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = good_zip();
    let name = "node_modules/ms/package.json";
    for at in [
        local_header(&bytes, name) + 6,
        central_header(&bytes, name) + 8,
    ] {
        bytes[at] |= 1; // general purpose flag bit 0: encrypted
    }
    let path = write(dir.path(), "function.zip", &bytes);
    let a = assert_warning(&path, "1 encrypted entries");
    assert!(warnings(&a)
        .iter()
        .any(|w| w.contains("encrypted entry, contents not inspected")));
}

#[test]
fn names_that_escape_the_root_are_warned_about_and_unowned() {
    let dir = tempfile::tempdir().unwrap();
    let path = ZipBuilder::new()
        .file("index.js", "exports.handler = () => 1;\n")
        .file("../../etc/cron.d/evil", "* * * * * root sh\n")
        .file("/tmp/absolute.js", "1")
        .file("node_modules/../../escape.js", "2")
        .write_to(dir.path(), "function.zip");
    let a = assert_warning(
        &path,
        "../../etc/cron.d/evil: entry name is absolute or climbs out",
    );
    assert_eq!(a["unowned"]["files"], 3);
    assert_eq!(a["app"]["files"], 1);
}

#[test]
fn non_utf8_names_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = ZipBuilder::new()
        .file("index.js", "1")
        .file("caf-.js", "2")
        .bytes();
    // mark the name as UTF-8 (flag bit 11) and put an invalid byte in it
    for at in [
        local_header(&bytes, "caf-.js"),
        central_header(&bytes, "caf-.js"),
    ] {
        let (flags, name) = if bytes[at + 2] == 3 {
            (at + 6, at + 30)
        } else {
            (at + 8, at + 46)
        };
        bytes[flags + 1] |= 0x08;
        bytes[name + 3] = 0xff;
    }
    let path = write(dir.path(), "function.zip", &bytes);
    let a = assert_warning(&path, "caf\u{fffd}.js: entry name is not valid UTF-8");
    assert_eq!(a["files"], 2);
}

#[test]
fn an_unreadable_subdirectory_does_not_stop_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("build");
    std::fs::create_dir_all(root.join("locked")).unwrap();
    std::fs::write(root.join("index.js"), "1").unwrap();
    std::fs::write(root.join("locked/secret.js"), "2").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = audit(&root);
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // root reads everything anyway; anyone else gets a warning naming the directory
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_every_byte_owned(&report["artifacts"][0]);
}

/// Thousands of damaged variants of a real-shaped zip, read through the
/// library: each opens with warnings or fails with an error, never panics,
/// and whatever opens still owns every byte.
#[test]
fn damaged_archives_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_zip();
    let mut opened = 0;
    let mut refused = 0;
    let mut variants: Vec<Vec<u8>> = Vec::new();
    for cut in (0..good.len()).step_by(7) {
        variants.push(good[..cut].to_vec());
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..1_500 {
        let mut bytes = good.clone();
        for _ in 0..1 + (seed % 3) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % bytes.len();
            bytes[at] = (seed >> 32) as u8;
        }
        variants.push(bytes);
    }
    let path = dir.path().join("mutant.zip");
    for bytes in variants {
        std::fs::write(&path, &bytes).unwrap();
        match Artifact::open(&path) {
            Err(e) => {
                assert!(e.to_string().contains("mutant.zip"), "{e}");
                refused += 1;
            }
            Ok(artifact) => {
                let inventory = deadweight::inventory::build(&artifact);
                let analysis = deadweight::analysis::analyze(
                    &artifact,
                    &[],
                    &inventory,
                    &Default::default(),
                    None,
                    &[],
                    &deadweight::analysis::compat::read_native_files(&artifact, None),
                );
                let report = Report::new(vec![ArtifactReport::build(
                    &artifact,
                    &inventory,
                    &analysis,
                    biggest_directories(&artifact, &ReportOptions::default()),
                )]);
                let mut sink = Vec::new();
                Json.render(&report, &mut sink).unwrap();
                Terminal {
                    color: false,
                    top: 10,
                }
                .render(&report, &mut sink)
                .unwrap();
                let a = &report.artifacts[0];
                let owned: u64 = a.packages.iter().map(|p| p.unzipped_bytes).sum::<u64>()
                    + a.app.unzipped_bytes
                    + a.unowned.unzipped_bytes;
                assert_eq!(owned, a.unzipped_bytes);
                opened += 1;
            }
        }
    }
    assert!(
        opened > 100 && refused > 100,
        "opened {opened}, refused {refused}"
    );
}

#[test]
fn broken_code_on_the_init_path_is_a_warning_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = ZipBuilder::new()
        .file(
            "index.js",
            "require('./a');\nrequire('./link');\nrequire('broken');\nexports.handler = 1;\n",
        )
        // a cycle back to the handler, then bytes no parser accepts
        .file("a.js", "require('./index');\n\u{0}\u{1} (((")
        .symlink("link.js", "a.js")
        .file("node_modules/broken/package.json", "{not json")
        .file("node_modules/broken/index.js", "")
        .write_to(dir.path(), "function.zip");
    let artifact = assert_warning(&path, "a.js: does not parse");
    let parse_warnings = warnings(&artifact)
        .iter()
        .filter(|w| w.contains("does not parse"))
        .count();
    assert_eq!(parse_warnings, 1);
    let init = &artifact["init"];
    assert_eq!(init["files"], serde_json::json!(["index.js", "a.js"]));
    // the symlink leads to a.js, loaded once; the package is not known to
    // be missing: it is there with a package.json that does not parse
    assert_eq!(init["unresolved"], serde_json::json!([]));
    assert_eq!(init["unresolved_guarded"], 1);
    assert!(
        warnings(&artifact)
            .iter()
            .any(|w| w.contains("index.js") && w.contains("`broken` not followed at init")),
        "{:?}",
        warnings(&artifact)
    );
}

/// Generated code can nest expressions tens of thousands deep, and the
/// parser recurses once per level: a `||` chain of 60,000 terms, which
/// Node loads, is audited, not a stack overflow that aborts the process.
#[test]
fn deeply_nested_code_is_audited_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let chain: Vec<String> = (0..60_000).map(|i| format!("a === {i}")).collect();
    let js = format!(
        "var a = 3;\nif ({}) require('./x');\nexports.handler = async () => a;\n",
        chain.join(" || ")
    );
    let zip = ZipBuilder::new()
        .file("index.js", js)
        .file("x.js", "module.exports = 1;\n")
        .write_to(dir.path(), "node.zip");
    let outcome = audit(&zip);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let report: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(report["artifacts"][0]["init"]["loaded_files"], 2);
}
