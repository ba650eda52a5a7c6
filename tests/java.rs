//! Java functions built from real jars (Debian's, in tests/fixtures/java):
//! a Lambda zip with lib/*.jar, a Spring Boot fat jar with BOOT-INF/lib,
//! a layer's java/lib, nested jars, shaded jars, and broken ones.

mod common;

use std::path::{Path, PathBuf};

use common::{audit_json, deadweight, package, ZipBuilder};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/java")
            .join(name),
    )
    .unwrap()
}

const REAL: [&str; 5] = [
    "jackson-core-2.14.1.jar",
    "jackson-annotations-2.14.0.jar",
    "spring-context-4.3.30.jar",
    "guice-assistedinject-4.2.3.jar",
    "aopalliance-1.0.jar",
];

fn lambda_zip(dir: &Path, prefix: &str) -> PathBuf {
    let mut zip = ZipBuilder::new().file(
        "com/example/Handler.class",
        [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52],
    );
    for jar in REAL {
        zip = zip.file(&format!("{prefix}{jar}"), fixture(jar));
    }
    zip.write_to(dir, "function.zip")
}

#[test]
fn every_jar_is_a_package_named_by_pom_manifest_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let report = audit_json(&[&lambda_zip(dir.path(), "lib/")]);
    let a = &report["artifacts"][0];
    assert_eq!(
        common::package_labels(a),
        [
            "aopalliance@1.0",
            "com.fasterxml.jackson.core:jackson-annotations@2.14.0",
            "com.fasterxml.jackson.core:jackson-core@2.14.1",
            "com.google.inject.assistedinject@4.2.3",
            "spring-context@4.3.30.RELEASE",
        ]
    );
    let jackson = package(a, "com.fasterxml.jackson.core:jackson-core", None);
    assert_eq!(jackson["ecosystem"], "maven");
    assert_eq!(jackson["path"], "lib/jackson-core-2.14.1.jar");
    assert_eq!(
        jackson["unzipped_bytes"],
        fixture("jackson-core-2.14.1.jar").len()
    );
    // the handler class is the function's own code; every byte has an owner
    assert_eq!(a["app"]["files"], 1);
    common::assert_every_byte_owned(a);
    assert_eq!(a["runtime_family"], "java");
    let rules: Vec<&str> = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"java/heavy-di-framework"), "{rules:?}");
}

#[test]
fn a_layer_keeps_its_jars_in_java_lib() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = ZipBuilder::new();
    for jar in REAL {
        zip = zip.file(&format!("java/lib/{jar}"), fixture(jar));
    }
    let report = audit_json(&[&zip.write_to(dir.path(), "layer.zip")]);
    let a = &report["artifacts"][0];
    assert_eq!(a["layout"], "layer");
    assert_eq!(common::package_labels(a).len(), 5);
}

#[test]
fn a_spring_boot_jar_is_read_through_boot_inf_lib() {
    let dir = tempfile::tempdir().unwrap();
    let mut boot = ZipBuilder::new()
        .file(
            "META-INF/MANIFEST.MF",
            "Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\n",
        )
        .file(
            "BOOT-INF/classes/com/example/Handler.class",
            [0xca, 0xfe, 0xba, 0xbe],
        );
    for jar in REAL {
        // Spring Boot stores nested jars uncompressed
        boot = boot.stored(&format!("BOOT-INF/lib/{jar}"), fixture(jar));
    }
    let path = boot.write_to(dir.path(), "orders-1.0.0.jar");
    let report = audit_json(&[&path]);
    let a = &report["artifacts"][0];
    assert_eq!(a["kind"], "jar");
    assert_eq!(common::package_labels(a).len(), 5);
    assert_eq!(
        package(a, "spring-context", None)["path"],
        "BOOT-INF/lib/spring-context-4.3.30.jar"
    );
}

#[test]
fn nested_jars_are_read_and_classes_in_two_jars_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let deep = ZipBuilder::new()
        .file("com/shared/Util.class", [0xca, 0xfe, 0xba, 0xbe])
        .bytes();
    let middle = ZipBuilder::new().stored("lib/deep.jar", deep).bytes();
    let outer = ZipBuilder::new()
        .stored("META-INF/lib/middle.jar", middle)
        .file("com/outer/Main.class", [0xca, 0xfe, 0xba, 0xbe])
        .bytes();
    let other = ZipBuilder::new()
        .file("com/shared/Util.class", [0xca, 0xfe, 0xba, 0xbe, 1])
        .file("com/other/Thing.class", [0xca, 0xfe, 0xba, 0xbe])
        .bytes();
    let zip = ZipBuilder::new()
        .file("lib/outer-1.0.jar", outer)
        .file("lib/other-2.0.jar", other)
        .write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let duplicate = report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "common/duplicate-package")
        .expect("a class found three jars deep and in another jar");
    let message = duplicate["message"].as_str().unwrap();
    assert!(message.contains("com/shared/Util.class"), "{message}");
    assert!(
        message.contains("outer@1.0") && message.contains("other@2.0"),
        "{message}"
    );
}

#[test]
fn broken_and_bottomless_jars_warn_and_never_stop_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    // twenty jars, each inside the next: reading stops at a depth limit
    let mut nested = ZipBuilder::new().file("a/A.class", [0xca, 0xfe]).bytes();
    for _ in 0..20 {
        nested = ZipBuilder::new().stored("in.jar", nested).bytes();
    }
    let zip = ZipBuilder::new()
        .file("lib/broken-1.2.jar", b"PK\x03\x04 this is not a jar")
        .file("lib/deep-1.0.jar", nested)
        .file(
            "lib/jackson-core-2.14.1.jar",
            fixture("jackson-core-2.14.1.jar"),
        )
        .write_to(dir.path(), "function.zip");
    let out = deadweight()
        .args(["audit", "--format", "json"])
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &report["artifacts"][0];
    assert_eq!(
        common::package_labels(a),
        [
            "broken@1.2",
            "com.fasterxml.jackson.core:jackson-core@2.14.1",
            "deep@1.0"
        ]
    );
    let warnings = a["warnings"].to_string();
    assert!(
        warnings.contains("lib/broken-1.2.jar") && warnings.contains("jar not read"),
        "{warnings}"
    );
}

#[test]
fn a_shaded_jar_splits_into_the_libraries_it_carries() {
    let dir = tempfile::tempdir().unwrap();
    let props = |g: &str, a: &str, v: &str| format!("groupId={g}\nartifactId={a}\nversion={v}\n");
    let jar = ZipBuilder::new()
        .file(
            "META-INF/maven/com.example/orders/pom.properties",
            props("com.example", "orders", "1.0.0"),
        )
        .file(
            "META-INF/maven/com.fasterxml.jackson.core/jackson-core/pom.properties",
            props("com.fasterxml.jackson.core", "jackson-core", "2.14.1"),
        )
        .file("com/example/orders/Handler.class", [0xca, 0xfe, 0xba, 0xbe])
        .file(
            "com/fasterxml/jackson/core/JsonParser.class",
            vec![0u8; 4000],
        )
        .file(
            "com/fasterxml/jackson/core/JsonFactory.class",
            vec![0u8; 3000],
        )
        .write_to(dir.path(), "orders-shaded.jar");
    let report = audit_json(&[&jar]);
    let a = &report["artifacts"][0];
    let jackson = package(a, "com.fasterxml.jackson.core:jackson-core", None);
    assert_eq!(
        jackson["unzipped_bytes"].as_u64().unwrap(),
        7000 + props("com.fasterxml.jackson.core", "jackson-core", "2.14.1").len() as u64
    );
    assert_eq!(package(a, "com.example:orders", None)["files"], 2);
}

#[test]
fn why_follows_pom_dependencies_between_jars() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/java/multiple-http-clients/fail");
    let out = deadweight()
        .args(["why", "software.amazon.awssdk:netty-nio-client"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("software.amazon.awssdk:dynamodb") && text.contains("netty-nio-client"),
        "{text}"
    );
}

#[test]
fn maven_dependency_tree_output_is_a_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("dependency-tree.txt");
    std::fs::write(
        &tree,
        "com.example:orders:jar:1.0.0\n\
         +- software.amazon.awssdk:dynamodb:jar:2.25.60:compile\n\
         |  +- software.amazon.awssdk:apache-client:jar:2.25.60:runtime\n\
         |  \\- software.amazon.awssdk:netty-nio-client:jar:2.25.60:runtime\n\
         \\- org.junit.jupiter:junit-jupiter:jar:5.10.2:test\n",
    )
    .unwrap();
    let report = audit_json(&[&tree]);
    let a = &report["artifacts"][0];
    assert_eq!(a["kind"], "lockfile");
    assert_eq!(a["lockfile"]["format"], "maven-tree");
    let out = deadweight()
        .args(["why", "software.amazon.awssdk:netty-nio-client"])
        .arg(&tree)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("software.amazon.awssdk:dynamodb"), "{text}");
}

#[test]
fn libraries_shaded_into_a_jar_are_packages_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let props = |g: &str, a: &str, v: &str| format!("groupId={g}\nartifactId={a}\nversion={v}\n");
    // as Guice 4 ships: its own classes, plus cglib and asm shaded in
    let jar = ZipBuilder::new()
        .file(
            "META-INF/maven/com.google.inject/guice/pom.properties",
            props("com.google.inject", "guice", "4.2.3"),
        )
        .file(
            "META-INF/maven/cglib/cglib/pom.properties",
            props("cglib", "cglib", "3.2.6"),
        )
        .file("com/google/inject/Guice.class", [0xca, 0xfe, 0xba, 0xbe])
        .file("com/google/inject/Injector.class", [0xca, 0xfe, 0xba, 0xbe])
        .file(
            "com/google/inject/internal/cglib/core/ClassEmitter.class",
            [0xca, 0xfe, 0xba, 0xbe],
        )
        .bytes();
    let zip = ZipBuilder::new()
        .file("lib/guice-4.2.3.jar", jar)
        .write_to(dir.path(), "function.zip");
    let report = audit_json(&[&zip]);
    let a = &report["artifacts"][0];
    let guice = package(a, "com.google.inject:guice", None);
    let cglib = package(a, "cglib:cglib", None);
    assert_eq!(cglib["version"], "3.2.6");
    assert_eq!(cglib["path"], "lib/guice-4.2.3.jar");
    // its bytes stay the jar's; the jar depends on it
    assert_eq!(cglib["unzipped_bytes"], 0);
    assert!(guice["unzipped_bytes"].as_u64().unwrap() > 0);
    let out = deadweight()
        .args(["why", "cglib:cglib"])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("com.google.inject:guice"));
}

/// The handler's class must be on the classpath Lambda's Java runtimes set:
/// the package root and lib/*.jar.
#[test]
fn the_handler_class_is_looked_for_where_lambda_loads_classes() {
    let dir = tempfile::tempdir().unwrap();
    let zip = lambda_zip(dir.path(), "lib/");
    let handler_findings = |handler: &str| {
        let (_, report) = common::audit_with(&zip, &["--runtime", "java21", "--handler", handler]);
        common::rule_findings(&report, "runtime/handler-not-found")
    };
    // the function's own class at the root, a library's class in lib/
    assert!(handler_findings("com.example.Handler::handleRequest").is_empty());
    assert!(handler_findings("com.fasterxml.jackson.core.JsonFactory").is_empty());
    assert_eq!(
        handler_findings("com.example.OrderHandler::handleRequest"),
        ["deny the handler `com.example.OrderHandler::handleRequest` names class com.example.OrderHandler, which is neither among the package's classes nor in a jar under lib/ — ClassNotFoundException at every cold start"]
    );
    // a layer's java/lib/*.jar (/opt/java/lib) is on the classpath too
    let handlers = ZipBuilder::new()
        .file(
            "META-INF/maven/com.example/handlers/pom.properties",
            "groupId=com.example\nartifactId=handlers\nversion=1.0.0\n",
        )
        .file("com/example/OrderHandler.class", [0xca, 0xfe, 0xba, 0xbe])
        .bytes();
    let layer = ZipBuilder::new()
        .file("java/lib/handlers-1.0.0.jar", handlers)
        .write_to(dir.path(), "handlers-layer.zip");
    let (code, report) = common::audit_all(
        &[&zip, &layer],
        &[
            "--runtime",
            "java21",
            "--handler",
            "com.example.OrderHandler::handleRequest",
        ],
    );
    assert_eq!(code, Some(0), "{report}");
    assert!(common::rule_findings(&report, "runtime/handler-not-found").is_empty());

    // a Spring Boot fat jar keeps its classes where Lambda does not look
    let mut boot = ZipBuilder::new().file(
        "BOOT-INF/classes/com/example/Handler.class",
        [0xca, 0xfe, 0xba, 0xbe],
    );
    for jar in REAL {
        boot = boot.stored(&format!("BOOT-INF/lib/{jar}"), fixture(jar));
    }
    let jar = boot.write_to(dir.path(), "orders-1.0.0.jar");
    let (code, report) = common::audit_with(
        &jar,
        &[
            "--runtime",
            "java21",
            "--handler",
            "com.example.Handler::handleRequest",
        ],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        common::rule_findings(&report, "runtime/handler-not-found"),
        ["deny the handler `com.example.Handler::handleRequest` names class com.example.Handler, which is in BOOT-INF/classes/com/example/Handler.class: not on the classpath Lambda's Java runtimes load (the package root and lib/*.jar) — ClassNotFoundException at every cold start"]
    );
}
