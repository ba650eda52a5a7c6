//! Helpers shared by the integration tests: zips built in the test from real
//! package layouts, the real binary run on them, and the ownership invariant.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

pub struct ZipBuilder {
    writer: ZipWriter<Cursor<Vec<u8>>>,
}

/// The paths under `root` whose entries `keep` takes, sorted.
fn sorted_paths(
    root: &Path,
    follow_links: bool,
    keep: impl Fn(&walkdir::DirEntry) -> bool,
) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .follow_links(follow_links)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| keep(e))
        .map(walkdir::DirEntry::into_path)
        .collect();
    paths.sort();
    paths
}

impl Default for ZipBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ZipBuilder {
    pub fn new() -> Self {
        ZipBuilder {
            writer: ZipWriter::new(Cursor::new(Vec::new())),
        }
    }

    fn options(method: CompressionMethod) -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o644)
    }

    /// A deflated file.
    pub fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.writer
            .start_file(path, Self::options(CompressionMethod::Deflated))
            .unwrap();
        self.writer.write_all(contents.as_ref()).unwrap();
        self
    }

    /// Every file under `root`, deflated, at `prefix` + its relative path —
    /// a real installed tree zipped the way a build script does.
    pub fn tree(self, root: &Path, prefix: &str) -> Self {
        self.tree_walked(root, prefix, false)
    }

    /// [`Self::tree`] with each symlink under `root` stored as a copy of
    /// what it points to, as `zip -r` stores it.
    pub fn tree_following_links(self, root: &Path, prefix: &str) -> Self {
        self.tree_walked(root, prefix, true)
    }

    fn tree_walked(mut self, root: &Path, prefix: &str, follow_links: bool) -> Self {
        let files = sorted_paths(root, follow_links, |e| {
            e.file_type().is_file() && e.file_name() != ".complete"
        });
        for path in files {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy();
            let contents = std::fs::read(&path).unwrap();
            self = self.file(&format!("{prefix}{relative}"), contents);
        }
        self
    }

    /// [`Self::tree`] with the symlinks under `root` kept as links, as
    /// `zip -ry` stores them.
    pub fn tree_keeping_links(mut self, root: &Path, prefix: &str) -> Self {
        for path in sorted_paths(root, false, walkdir::DirEntry::path_is_symlink) {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy();
            let target = std::fs::read_link(&path).unwrap();
            self = self.symlink(&format!("{prefix}{relative}"), &target.to_string_lossy());
        }
        self.tree(root, prefix)
    }

    /// Deflated files, path and text each.
    pub fn files(self, files: &[(&str, &str)]) -> Self {
        files
            .iter()
            .fold(self, |zip, (path, text)| zip.file(path, text))
    }

    /// A deflated file with these Unix permission bits.
    pub fn file_with_mode(mut self, path: &str, contents: impl AsRef<[u8]>, mode: u32) -> Self {
        self.writer
            .start_file(
                path,
                Self::options(CompressionMethod::Deflated).unix_permissions(mode),
            )
            .unwrap();
        self.writer.write_all(contents.as_ref()).unwrap();
        self
    }

    /// A directory entry with these Unix permission bits.
    pub fn dir_with_mode(mut self, path: &str, mode: u32) -> Self {
        self.writer
            .add_directory(
                path,
                Self::options(CompressionMethod::Stored).unix_permissions(mode),
            )
            .unwrap();
        self
    }

    /// A deflated file with a modification date (UTC), as zip records it.
    pub fn file_dated(
        mut self,
        path: &str,
        contents: impl AsRef<[u8]>,
        date: (u16, u8, u8, u8, u8, u8),
    ) -> Self {
        let (y, mo, d, h, mi, s) = date;
        let time = zip::DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap();
        self.writer
            .start_file(
                path,
                Self::options(CompressionMethod::Deflated).last_modified_time(time),
            )
            .unwrap();
        self.writer.write_all(contents.as_ref()).unwrap();
        self
    }

    /// A deflated file dated as Info-ZIP's `zip -r` dates it: the DOS time
    /// (2-second resolution, odd seconds rounded up) and an extended
    /// timestamp (`UT`, 0x5455) with the exact Unix modification time.
    pub fn file_with_extended_time(
        mut self,
        path: &str,
        contents: impl AsRef<[u8]>,
        dos: (u16, u8, u8, u8, u8, u8),
        unix_mtime: u32,
    ) -> Self {
        let (y, mo, d, h, mi, s) = dos;
        let time = zip::DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap();
        let mut options = zip::write::FullFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o644)
            .last_modified_time(time);
        // flags: modification time present; then the time, little-endian
        let mut field = vec![1u8];
        field.extend_from_slice(&unix_mtime.to_le_bytes());
        options.add_extra_field(0x5455, &field, false).unwrap();
        self.writer.start_file(path, options).unwrap();
        self.writer.write_all(contents.as_ref()).unwrap();
        self
    }

    /// A file stored without compression.
    pub fn stored(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.writer
            .start_file(path, Self::options(CompressionMethod::Stored))
            .unwrap();
        self.writer.write_all(contents.as_ref()).unwrap();
        self
    }

    /// A file with ZIP64 extra fields, as tools write for big entries.
    pub fn zip64_file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.writer
            .start_file(
                path,
                Self::options(CompressionMethod::Deflated).large_file(true),
            )
            .unwrap();
        self.writer.write_all(contents.as_ref()).unwrap();
        self
    }

    /// A directory entry, 0755 as zip records one.
    pub fn dir(self, path: &str) -> Self {
        self.dir_with_mode(path, 0o755)
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.writer
            .add_symlink(path, target, Self::options(CompressionMethod::Stored))
            .unwrap();
        self
    }

    pub fn bytes(self) -> Vec<u8> {
        self.writer.finish().unwrap().into_inner()
    }

    /// Writes the zip into `dir` under `name` and returns its path.
    pub fn write_to(self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.bytes()).unwrap();
        path
    }
}

/// function.zip in `dir`, holding one file: a handler written in the test.
pub fn function(dir: &Path, file: &str, code: &str) -> PathBuf {
    ZipBuilder::new()
        .file(file, code)
        .write_to(dir, "function.zip")
}

/// A project whose functions are zipped into `build/`, each zip named
/// with the files it holds. The project, and the zips in order.
pub fn built_project(zips: &[(&str, &[(&str, &str)])]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let project = tempfile::tempdir().unwrap();
    let build = project.path().join("build");
    std::fs::create_dir(&build).unwrap();
    let zips = zips
        .iter()
        .map(|(name, files)| ZipBuilder::new().files(files).write_to(&build, name))
        .collect();
    (project, zips)
}

/// A project as Terraform users keep one: `build/function.zip` holding
/// `file`, and an `infra/` folder for the configuration. The project, the
/// zip and `infra/`.
pub fn terraform_project(file: &str, code: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (project, mut zips) = built_project(&[("function.zip", &[(file, code)])]);
    let infra = project.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    (project, zips.remove(0), infra)
}

/// A project of these files, its `.tf` files in `infra/`, as Terraform
/// users keep one. The project and its `infra/` folder.
pub fn terraform_files(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let project = tempfile::tempdir().unwrap();
    write_files(project.path(), files);
    let infra = project.path().join("infra");
    (project, infra)
}

/// A copy of `zip` as function.zip in a folder of its own, with a SAM
/// template beside it: how a deploy keeps them.
pub fn beside_template(zip: &Path, template: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("function.zip");
    std::fs::copy(zip, &copy).unwrap();
    std::fs::write(dir.path().join("template.yaml"), template).unwrap();
    (dir, copy)
}

/// datadog-layer.zip in `dir`: Datadog's Python wrapper as its layer lays
/// it out for python3.12, importing the handler DD_LAMBDA_HANDLER names.
pub fn datadog_python_layer(dir: &Path) -> PathBuf {
    let package = "python/lib/python3.12/site-packages/datadog_lambda";
    ZipBuilder::new()
        .file(&format!("{package}/__init__.py"), "")
        .file(
            &format!("{package}/handler.py"),
            "import os\nfrom importlib import import_module\nmodule, name = os.environ['DD_LAMBDA_HANDLER'].rsplit('.', 1)\nhandler = getattr(import_module(module), name)\n",
        )
        .write_to(dir, "datadog-layer.zip")
}

/// The binary, keeping what it reads of zips under the target directory
/// rather than the user's cache: audits of the same zip in later tests,
/// and in later runs of the suite, take their readings from there.
pub fn deadweight() -> Command {
    let mut command = Command::cargo_bin("deadweight").unwrap();
    command.env(
        "DEADWEIGHT_CACHE_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan-cache"),
    );
    command
}

/// The JSON a run that must succeed prints (its stderr shown when it fails).
pub fn success_json(command: &mut Command) -> Value {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `deadweight audit --format json ARGS ZIP`: its exit code and report
/// (stderr shown when it printed no JSON).
pub fn audit_with(zip: &Path, args: &[&str]) -> (Option<i32>, Value) {
    audit_all(&[zip], args)
}

/// `deadweight audit --format json ARGS PATHS…`, several artifacts in one run.
pub fn audit_all(paths: &[&Path], args: &[&str]) -> (Option<i32>, Value) {
    let out = deadweight()
        .args(["audit", "--format", "json"])
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

/// "level message" of each finding of `rule` on the report's first artifact.
pub fn rule_findings(report: &Value, rule: &str) -> Vec<String> {
    report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            format!(
                "{} {}",
                f["level"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// `deadweight measure` once on a function: what node / python3 load.
pub fn measured(zip: &Path) -> Value {
    measured_with(zip, &[])
}

/// `deadweight measure --runs 1 ARGS` on a function.
pub fn measured_with(zip: &Path, args: &[&str]) -> Value {
    success_json(
        deadweight()
            .args(["measure", "--format", "json", "--runs", "1"])
            .args(args)
            .arg(zip),
    )
}

/// The files `measure` saw the handler's import load, by path.
pub fn measured_files(zip: &Path) -> BTreeSet<String> {
    measured_files_with(zip, &[])
}

/// The files `measure ARGS` saw the handler's import load, by path.
pub fn measured_files_with(zip: &Path, args: &[&str]) -> BTreeSet<String> {
    measured_with(zip, args)["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

/// Paths as the sets of files tests compare.
pub fn paths(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|p| p.to_string()).collect()
}

/// The files an audit's `init` follows, by path.
pub fn init_files(init: &Value) -> BTreeSet<String> {
    init["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

/// `audit --color never ARGS PATHS`: the terminal report, as text.
pub fn audit_terminal(paths: &[&Path], args: &[&str]) -> String {
    let out = deadweight()
        .args(["audit", "--color", "never"])
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `deadweight audit --format json PATHS…`, expects success, returns the report.
pub fn audit_json(paths: &[&Path]) -> Value {
    let output = deadweight()
        .arg("audit")
        .args(paths)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "audit failed ({:?}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    for artifact in report["artifacts"].as_array().unwrap() {
        assert_every_byte_owned(artifact);
    }
    report
}

/// The sum over owners (packages, app, unowned) equals the artifact's
/// totals, in unzipped bytes, zipped bytes and files.
pub fn assert_every_byte_owned(artifact: &Value) {
    for field in ["unzipped_bytes", "zipped_bytes"] {
        let packages: u64 = artifact["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[field].as_u64().unwrap())
            .sum();
        let owned = packages
            + artifact["app"][field].as_u64().unwrap()
            + artifact["unowned"][field].as_u64().unwrap();
        assert_eq!(
            owned,
            artifact[field].as_u64().unwrap(),
            "{field} of {} not fully owned",
            artifact["path"]
        );
    }
    let files: u64 = artifact["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["files"].as_u64().unwrap())
        .sum::<u64>()
        + artifact["app"]["files"].as_u64().unwrap()
        + artifact["unowned"]["files"].as_u64().unwrap();
    assert_eq!(files, artifact["files"].as_u64().unwrap());
}

/// The package with this name (and version, when given).
pub fn package<'a>(artifact: &'a Value, name: &str, version: Option<&str>) -> &'a Value {
    artifact["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name && version.is_none_or(|v| p["version"] == v))
        .unwrap_or_else(|| panic!("no package {name} {version:?} in {}", artifact["packages"]))
}

/// The artifact's packages as `name@version`, sorted.
pub fn package_labels(artifact: &Value) -> Vec<String> {
    let mut labels: Vec<String> = artifact["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap_or("?")
            )
        })
        .collect();
    labels.sort();
    labels
}

pub fn warnings(artifact: &Value) -> Vec<String> {
    artifact["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["path"].as_str().unwrap_or(""),
                w["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// Writes each (path, text) below `root`, making the folders it needs.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Copies a tree of files, each with mode 644, or 755 when executable.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            // the modes a checkout got from its umask are not the fixture's:
            // 644, or 755 for what git keeps executable ([[chmod]] sets others)
            use std::os::unix::fs::PermissionsExt;
            let executable = entry.metadata().unwrap().permissions().mode() & 0o111 != 0;
            let mode = if executable { 0o755 } else { 0o644 };
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// Runs `node` with `args` in `dir`: whether it exited 0, and what it
/// printed on stderr. `None` when node is not installed: the audit's side
/// of a test still runs.
pub fn node(dir: &Path, args: &[&str]) -> Option<(bool, String)> {
    let out = std::process::Command::new("node")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// A package tree installed from the registry by tests/registry/fetch.sh.
pub fn registry_fixture(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/registry-fixtures")
        .join(name);
    assert!(
        dir.join(".complete").exists(),
        "{} is missing: run tests/registry/fetch.sh first (it installs the registry packages these tests audit; .ci/run does)",
        dir.display()
    );
    dir
}

/// A native file of a report as [`readelf`] gives it: its needed
/// libraries, sorted, and its newest GLIBC_x.y need.
pub fn needs(file: &Value) -> (Vec<String>, Option<String>) {
    let mut needed: Vec<String> = file["needed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    needed.sort();
    (needed, file["glibc"].as_str().map(str::to_string))
}

/// What `readelf` (GNU binutils) says a file needs: its DT_NEEDED
/// libraries and its newest GLIBC_x.y version need.
pub fn readelf(path: &Path) -> (Vec<String>, Option<String>) {
    let run = |flag: &str| {
        let out = std::process::Command::new("readelf")
            .args([flag, "-W"])
            .arg(path)
            .output()
            .expect("readelf (binutils) runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut needed: Vec<String> = run("-d")
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split_once('[')?.1.split_once(']')?.0.to_string()))
        .collect();
    needed.sort();
    // a library's own GLIBC_ versions (glibc's copies define them) are
    // listed before its needs
    let versions = run("-V");
    let needs = versions
        .split_once("Version needs section")
        .map_or("", |(_, needs)| needs);
    let glibc = needs
        .split("GLIBC_")
        .skip(1)
        .filter_map(|rest| {
            let version: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let mut parts = version.split('.');
            Some((
                parts.next()?.parse::<u32>().ok()?,
                parts.next()?.parse::<u32>().ok()?,
            ))
        })
        .max()
        .map(|(major, minor)| format!("{major}.{minor}"));
    (needed, glibc)
}
