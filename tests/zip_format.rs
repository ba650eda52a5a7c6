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

/// Every entry as deadweight lists and reads it, and as the zip crate
/// does: name, sizes, mode, time and contents.
fn assert_listed_as_the_zip_crate_lists(path: &std::path::Path) {
    use deadweight::artifact::Artifact;
    let artifact = Artifact::open(path).unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    assert_eq!(artifact.entries.len(), archive.len(), "{}", path.display());
    for (index, entry) in artifact.entries.iter().enumerate() {
        let mut theirs = archive.by_index(index).unwrap();
        let name = String::from_utf8_lossy(theirs.name_raw()).into_owned();
        assert_eq!(entry.path, name.trim_end_matches('/'), "{}", path.display());
        assert_eq!(entry.unzipped_bytes, theirs.size(), "{name}");
        assert_eq!(entry.compressed_bytes, theirs.compressed_size(), "{name}");
        assert_eq!(entry.unix_mode, theirs.unix_mode(), "{name}");
        // the date's conversion has its own test: here, the same time of day
        let time_of_day = theirs.last_modified().map(|t| {
            i64::from(t.hour()) * 3_600 + i64::from(t.minute()) * 60 + i64::from(t.second())
        });
        assert_eq!(entry.modified.map(|s| s % 86_400), time_of_day, "{name}");
        if theirs.is_file() && !theirs.encrypted() {
            let mut contents = Vec::new();
            std::io::Read::read_to_end(&mut theirs, &mut contents).unwrap();
            assert_eq!(artifact.read(index, u64::MAX).unwrap(), contents, "{name}");
        }
    }
}

/// `bytes` with every copy of `from` (a name, in its local and central
/// headers) replaced by `to`, of the same length.
fn renamed(mut bytes: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut at = 0;
    while let Some(found) = bytes[at..]
        .windows(from.len())
        .position(|w| w == from.as_bytes())
    {
        let start = at + found;
        bytes[start..start + to.len()].copy_from_slice(to.as_bytes());
        at = start + to.len();
    }
    bytes
}

#[test]
fn the_listing_reads_the_central_directory_as_the_zip_crate_does() {
    let dir = tempfile::tempdir().unwrap();
    let base = || {
        ZipBuilder::new()
            .file("index.js", "exports.handler = async () => 1;\n")
            .stored("lib/data.json", "{\"a\": 1}\n")
            .file_with_mode("bin/tool", "#!/bin/sh\nexit 0\n", 0o100755)
            .dir("lib/empty")
            .symlink("current", "lib")
            .file("b.js", "module.exports = 'b';\n")
            .file("c.js", "module.exports = 'c';\n")
    };
    let plain = base().bytes();
    let mut inputs = vec![
        ("plain.zip", plain.clone()),
        // a self-extractor's stub before an archive whose offsets count
        // from its own start
        (
            "prefixed.zip",
            [b"#!/bin/sh\nexit 0\n".repeat(40), plain.clone()].concat(),
        ),
        // the same name listed twice: the later record counts
        ("twice.zip", renamed(plain.clone(), "c.js", "b.js")),
        (
            "zip64.zip",
            base().zip64_file("big/first.js", "x".repeat(1_000)).bytes(),
        ),
    ];
    // an entry made on DOS: its mode comes from the attribute byte
    let mut dos = plain.clone();
    let at = (0..dos.len() - 4)
        .rev()
        .find(|&i| dos[i..].starts_with(b"PK\x01\x02"))
        .unwrap();
    dos[at + 5] = 0;
    // the archive bit: a plain writable file
    dos[at + 38..at + 42].copy_from_slice(&0x20u32.to_le_bytes());
    inputs.push(("dos.zip", dos));
    // an archive comment
    let mut commented = Vec::new();
    {
        let mut zip = ZipWriter::new(std::io::Cursor::new(&mut commented));
        zip.start_file("index.js", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"exports.handler = 1;\n").unwrap();
        zip.set_comment("built by PK\x05\x06 a tool").unwrap();
        zip.finish().unwrap();
    }
    inputs.push(("commented.zip", commented));
    for (name, bytes) in inputs {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_listed_as_the_zip_crate_lists(&path);
    }
    // the duplicate is said, and its earlier copy's bytes are overhead
    let twice = audit_json(&[&dir.path().join("twice.zip")]);
    let warnings = twice["artifacts"][0]["warnings"].to_string();
    assert!(
        warnings.contains("lists some names more than once"),
        "{warnings}"
    );
}
