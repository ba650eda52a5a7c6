//! Zip features seen in real deployment packages: stored and deflated
//! entries, directory entries, symlinks, data descriptors written by
//! streaming tools, archive comments, ZIP64.

mod common;

use std::io::Write;

use common::{audit_json, ZipBuilder};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

#[test]
fn stored_and_deflated_entries_report_both_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let body = "exports.handler = async () => 'ok';\n".repeat(200);
    let zip = ZipBuilder::new()
        .stored("stored.js", &body)
        .file("deflated.js", &body)
        .write_to(dir.path(), "function.zip");
    let a = &audit_json(&[&zip])["artifacts"][0];
    assert_eq!(a["unzipped_bytes"].as_u64().unwrap(), 2 * body.len() as u64);
    assert_eq!(a["files"], 2);
    let zipped = a["zipped_bytes"].as_u64().unwrap();
    assert_eq!(zipped, std::fs::metadata(&zip).unwrap().len());
    // the stored copy alone is bigger than the body; the deflated one is tiny
    assert!(
        zipped > body.len() as u64 && zipped < body.len() as u64 + 1_000,
        "{zipped}"
    );
}

#[test]
fn directory_entries_and_symlinks_are_listed_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let zip = ZipBuilder::new()
        .dir("node_modules/")
        .dir("node_modules/ms/")
        .file(
            "node_modules/ms/package.json",
            "{\"name\":\"ms\",\"version\":\"2.1.3\"}",
        )
        .symlink("node_modules/.bin/ms", "../ms/index.js")
        .symlink("etc-passwd", "/etc/passwd")
        .write_to(dir.path(), "function.zip");
    let a = &audit_json(&[&zip])["artifacts"][0];
    assert_eq!(a["files"], 1);
    let links: Vec<&str> = a["symlinks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(links, ["node_modules/.bin/ms", "etc-passwd"]);
    // a link's size is its target's length, never the target's content
    assert_eq!(
        a["unzipped_bytes"].as_u64().unwrap(),
        "{\"name\":\"ms\",\"version\":\"2.1.3\"}".len() as u64
            + "../ms/index.js".len() as u64
            + "/etc/passwd".len() as u64
    );
}

#[test]
fn data_descriptors_and_comments_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = ZipWriter::new_stream(Vec::new());
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for i in 0..20 {
        writer
            .start_file(format!("src/module{i}.js"), options)
            .unwrap();
        writer
            .write_all(format!("module.exports = {i};\n").repeat(50).as_bytes())
            .unwrap();
    }
    writer.set_comment("built by the release pipeline").unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let path = dir.path().join("streamed.zip");
    std::fs::write(&path, &bytes).unwrap();

    let a = &audit_json(&[&path])["artifacts"][0];
    assert_eq!(a["files"], 20);
    assert_eq!(a["zipped_bytes"].as_u64().unwrap(), bytes.len() as u64);
    // end record (22) + the comment
    assert_eq!(
        a["archive_overhead_bytes"].as_u64().unwrap(),
        22 + "built by the release pipeline".len() as u64
    );
}

#[test]
fn zip64_archive_with_more_entries_than_a_classic_zip_can_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = ZipBuilder::new().zip64_file("big/first.js", "x".repeat(1_000));
    for i in 0..70_000 {
        builder = builder.stored(&format!("f/{i}.js"), "1");
    }
    let zip = builder.write_to(dir.path(), "zip64.zip");
    let a = &audit_json(&[&zip])["artifacts"][0];
    assert_eq!(a["files"], 70_001);
    assert_eq!(a["unzipped_bytes"].as_u64().unwrap(), 71_000);
    // ZIP64 end record (56) + locator (20) + classic end record (22)
    assert_eq!(a["archive_overhead_bytes"].as_u64().unwrap(), 98);
}
