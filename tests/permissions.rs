//! runtime/file-permissions: Lambda extracts the zip with the modes it
//! records and runs the code as a user that owns none of the files.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{audit_with, rule_findings, ZipBuilder};

const HANDLER: &str =
    "const config = require('./config.json');\nexports.handler = async () => config;\n";

#[test]
fn files_only_their_owner_can_read_stop_the_function() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file_with_mode("index.js", HANDLER, 0o600)
        .file_with_mode("config.json", "{}", 0o640)
        .dir_with_mode("lib/", 0o700)
        .file("lib/db.js", "module.exports = {};\n")
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/file-permissions"),
        [
            "deny 2 files are readable only by the owner (index.js 0600, config.json 0640): Lambda runs the code as another user, which gets EACCES (Runtime.ImportModuleError at the first cold start)",
            "deny 1 directory is not readable and searchable by everyone (lib 0700): nothing below can be loaded",
        ]
    );
}

#[test]
fn modes_as_zip_and_chmod_leave_them_pass() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file_with_mode("index.js", HANDLER, 0o644)
        .file_with_mode("config.json", "{}", 0o444)
        .dir_with_mode("bin/", 0o755)
        .file_with_mode("bin/tool", "#!/bin/sh\n", 0o755)
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(rule_findings(&report, "runtime/file-permissions").is_empty());
}

#[test]
fn a_custom_runtime_bootstrap_must_be_executable() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file_with_mode("bootstrap", "\u{7f}ELF", 0o644)
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "provided.al2023"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        rule_findings(&report, "runtime/file-permissions"),
        ["deny bootstrap has mode 0644: a custom runtime's bootstrap must be executable by everyone, or the function fails with Runtime.InvalidEntrypoint (permission denied)"]
    );
}

#[test]
fn a_build_folder_gets_a_warning() {
    // a build step run with umask 077: zip -r would record these modes
    let dir = tempfile::tempdir().unwrap();
    let build = dir.path().join("build");
    std::fs::create_dir(&build).unwrap();
    std::fs::write(
        build.join("app.py"),
        "def lambda_handler(event, context):\n    return 1\n",
    )
    .unwrap();
    std::fs::set_permissions(build.join("app.py"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, report) = audit_with(&build, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        rule_findings(&report, "runtime/file-permissions"),
        ["warn 1 file is readable only by the owner (app.py 0600): Lambda runs the code as another user, which gets EACCES (Runtime.ImportModuleError at the first cold start)"]
    );
}
