//! Go and Rust executables as a custom runtime's `bootstrap`: what their
//! build info and cargo-auditable sections list, their architecture, and
//! debug info left in them. Binaries built with real toolchains
//! (tests/fixtures/go, tests/fixtures/rust; see their READMEs).

mod common;

use std::path::Path;

use common::{audit_json, audit_with, deadweight, package, ZipBuilder};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .unwrap()
}

/// The artifact's first finding of `rule`.
fn first_finding<'a>(artifact: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {}", artifact["findings"]))
}

fn function(dir: &Path, bootstrap: &str) -> std::path::PathBuf {
    ZipBuilder::new()
        // as `chmod 755 bootstrap && zip` packs it
        .file_with_mode("bootstrap", fixture(bootstrap), 0o755)
        .write_to(dir, "function.zip")
}

#[test]
fn go_build_info_gives_the_modules_and_the_toolchain() {
    let dir = tempfile::tempdir().unwrap();
    let report = audit_json(&[&function(dir.path(), "go/bootstrap")]);
    let a = &report["artifacts"][0];
    assert_eq!(a["runtime_family"], "binary");
    let greet = package(a, "example.com/greet", None);
    assert_eq!(greet["ecosystem"], "go");
    assert_eq!(greet["version"], "v0.1.0 => ../greet (devel)");
    let binary = &a["binaries"][0];
    assert_eq!(binary["language"], "go");
    assert_eq!(binary["toolchain"], "go1.19.8");
    assert_eq!(binary["main"], "example.com/orders");
    assert_eq!(binary["machine"], "x86_64");
    assert!(
        binary["settings"].to_string().contains("CGO_ENABLED"),
        "{binary}"
    );
    // stripped with -s -w: nothing for binary/debug-info
    assert_eq!(binary["debug_bytes"], 0);
    common::assert_every_byte_owned(a);
}

#[test]
fn cargo_auditable_gives_the_crates_and_their_graph() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "rust/bootstrap-auditable");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    // the versions Cargo.lock.txt of that build pinned
    assert_eq!(package(a, "itoa", None)["version"], "1.0.19");
    assert_eq!(package(a, "memchr", None)["version"], "2.8.3");
    assert_eq!(package(a, "memchr", None)["ecosystem"], "cargo");
    let binary = &a["binaries"][0];
    assert_eq!(binary["language"], "rust");
    assert_eq!(binary["main"], "orders-bootstrap");
    assert!(binary["toolchain"]
        .as_str()
        .unwrap()
        .starts_with("rustc (commit "));
    let out = deadweight()
        .args(["why", "itoa"])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("itoa@1.0.19"));
}

#[test]
fn a_rust_binary_without_a_dependency_list_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let report = audit_json(&[&function(dir.path(), "rust/bootstrap-plain")]);
    let a = &report["artifacts"][0];
    assert_eq!(a["packages"].as_array().unwrap().len(), 0);
    let binary = &a["binaries"][0];
    assert_eq!(binary["language"], "rust");
    assert!(binary["note"]
        .as_str()
        .unwrap()
        .contains("cargo auditable build"));
}

#[test]
fn a_bootstrap_for_the_other_machine_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(dir.path(), "go/bootstrap");
    let (code, report) = audit_with(&zip, &["--arch", "arm64"]);
    assert_eq!(code, Some(1));
    let f = first_finding(&report["artifacts"][0], "binary/foreign-arch");
    assert_eq!(f["level"], "deny");
    assert!(f["message"].as_str().unwrap().contains("x86_64 executable"));
    // the library-level check does not report the same file again
    assert!(!report.to_string().contains("runtime/wrong-architecture"));
    let (code, _) = audit_with(&zip, &["--arch", "x86_64"]);
    assert_eq!(code, Some(0));
}

#[test]
fn debug_info_is_priced_from_its_sections() {
    let dir = tempfile::tempdir().unwrap();
    let zip = function(
        dir.path(),
        "../fixtures/rules/binary/debug-info/fail/bootstrap",
    );
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    let f = first_finding(a, "binary/debug-info");
    let saved = f["saving"]["unzipped_bytes"].as_u64().unwrap();
    assert_eq!(saved, a["binaries"][0]["debug_bytes"].as_u64().unwrap());
    assert!(saved > 200_000, "{f}");
    assert!(f["fix"].as_str().unwrap().contains("-ldflags"));
}

#[test]
fn broken_binaries_warn_and_the_audit_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut truncated = fixture("go/bootstrap");
    truncated.truncate(300);
    let zip = ZipBuilder::new()
        .file_with_mode("bootstrap", truncated, 0o755)
        .file("bin/helper", b"#!/bin/sh\necho not an ELF file\n")
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &[]);
    assert_eq!(code, Some(0));
    let warnings = report["artifacts"][0]["warnings"].to_string();
    assert!(
        warnings.contains("bootstrap") && warnings.contains("binary not read"),
        "{warnings}"
    );
}

/// A custom runtime starts the root `bootstrap`: the Go binary built with
/// `go build -o main` (the go1.x habit) or zipped with its folder is not it.
#[test]
fn a_custom_runtime_needs_its_bootstrap_at_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let findings = |zip: &Path| {
        let (code, report) = audit_with(zip, &["--runtime", "provided.al2023"]);
        (
            code,
            common::rule_findings(&report, "runtime/handler-not-found"),
        )
    };
    let named_main = ZipBuilder::new()
        .file_with_mode("main", fixture("go/bootstrap"), 0o755)
        .write_to(dir.path(), "main.zip");
    assert_eq!(
        findings(&named_main),
        (
            Some(1),
            vec!["deny a custom runtime starts the root `bootstrap`, but the package's executable is main — Runtime.InvalidEntrypoint at every invocation".to_string()]
        )
    );
    let in_folder = ZipBuilder::new()
        .file_with_mode(
            "target/lambda/orders/bootstrap",
            fixture("rust/bootstrap-plain"),
            0o755,
        )
        .write_to(dir.path(), "folder.zip");
    assert_eq!(
        findings(&in_folder).1,
        ["deny a custom runtime starts the root `bootstrap`, but the package has target/lambda/orders/bootstrap: it holds the folder target/lambda/orders/, not its contents — Runtime.InvalidEntrypoint at every invocation"]
    );
    let right = function(dir.path(), "go/bootstrap");
    assert_eq!(findings(&right), (Some(0), Vec::new()));
}

/// A bootstrap linked against the build machine's glibc (Debian 12: 2.36,
/// so GLIBC_2.34 for `__libc_start_main`) does not start on provided.al2
/// (glibc 2.26); the fix is about the bootstrap, not a package.
#[test]
fn a_dynamically_linked_bootstrap_needs_the_glibc_it_was_built_against() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .file_with_mode("bootstrap", fixture("c/bootstrap"), 0o755)
        .write_to(dir.path(), "function.zip");
    let (code, report) = audit_with(&zip, &["--runtime", "provided.al2"]);
    assert_eq!(code, Some(1));
    let finding = first_finding(&report["artifacts"][0], "runtime/glibc-too-new");
    assert_eq!(
        finding["message"],
        "the function's own code: bootstrap needs GLIBC_2.34; provided.al2 runs on Amazon Linux 2 (glibc 2.26)"
    );
    let fix = finding["fix"].as_str().unwrap();
    assert!(
        fix.contains("link it statically (Go: CGO_ENABLED=0"),
        "{fix}"
    );
    assert!(fix.contains("such as provided.al2023"), "{fix}");

    let (code, report) = audit_with(&zip, &["--runtime", "provided.al2023"]);
    assert_eq!(code, Some(0));
    assert!(common::rule_findings(&report, "runtime/glibc-too-new").is_empty());
}
