//! A private copy of the function to run: its package and its layers
//! extracted into a fresh temporary directory (`task/` standing in for
//! /var/task, `opt/` for /opt, the layers in order), then made read-only,
//! removed when dropped.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::artifact::{Artifact, EntryKind};

/// Lambda refuses functions over 250 MB unzipped; four times that leaves
/// room for layers and directories while stopping zip bombs.
pub const EXTRACT_LIMIT: u64 = 1024 * 1024 * 1024;

/// The extracted tree, writable until sealed. Dropping it restores write
/// permission and deletes it.
pub struct Extracted {
    dir: tempfile::TempDir,
    task: PathBuf,
    /// Where the layers are, when there are any.
    opt: Option<PathBuf>,
    /// Symlink entries left out: they are never created.
    pub skipped_symlinks: Vec<String>,
}

impl Extracted {
    /// The function's package.
    pub fn root(&self) -> &Path {
        &self.task
    }

    /// The layers, merged in order.
    pub fn layers(&self) -> Option<&Path> {
        self.opt.as_deref()
    }
}

impl Drop for Extracted {
    fn drop(&mut self) {
        // read-only directories cannot lose their children; TempDir's own
        // drop removes the tree afterwards
        set_writable(self.dir.path(), true);
    }
}

/// `limit` bounds the function and its layers together.
pub fn extract(artifact: &Artifact, layers: &[Artifact], limit: u64) -> anyhow::Result<Extracted> {
    let all = || std::iter::once(artifact).chain(layers);
    for artifact in all() {
        if let Some(entry) = artifact.entries.iter().find(|e| e.unsafe_name) {
            bail!(
                "{}: entry `{}` would be written outside the extraction directory; refusing to extract",
                artifact.path.display(),
                entry.path
            );
        }
    }
    let total: u64 = all()
        .flat_map(|a| &a.entries)
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| e.unzipped_bytes)
        .sum();
    if total > limit {
        bail!(
            "{}: {} bytes unzipped{} is more than the {} bytes measure extracts",
            artifact.path.display(),
            total,
            if layers.is_empty() {
                ""
            } else {
                " with its layers"
            },
            limit
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("deadweight-measure-")
        .tempdir()
        .context("creating a temporary directory to extract into")?;
    let task = dir.path().join("task");
    let opt = (!layers.is_empty()).then(|| dir.path().join("opt"));
    let mut extracted = Extracted {
        dir,
        task,
        opt,
        skipped_symlinks: Vec::new(),
    };
    create_dir(&extracted.task)?;
    write_tree(
        artifact,
        &extracted.task.clone(),
        limit,
        &mut extracted.skipped_symlinks,
    )?;
    if let Some(opt) = extracted.opt.clone() {
        create_dir(&opt)?;
        // a later layer's file replaces an earlier one's, as on Lambda
        for layer in layers {
            write_tree(layer, &opt, limit, &mut extracted.skipped_symlinks)?;
        }
    }
    Ok(extracted)
}

impl Extracted {
    /// Makes the tree read-only, like /var/task and /opt, once everything
    /// is written.
    pub fn seal(&self) {
        set_writable(self.dir.path(), false);
    }
}

/// Writes one artifact's files under `root`.
fn write_tree(
    artifact: &Artifact,
    root: &Path,
    limit: u64,
    skipped_symlinks: &mut Vec<String>,
) -> anyhow::Result<()> {
    for (index, entry) in artifact.entries.iter().enumerate() {
        let target = root.join(&entry.path);
        match entry.kind {
            EntryKind::Dir => create_dir(&target)?,
            EntryKind::Symlink => skipped_symlinks.push(entry.path.clone()),
            EntryKind::File => {
                if let Some(parent) = target.parent() {
                    create_dir(parent)?;
                }
                let bytes = artifact.read(index, limit).with_context(|| {
                    format!("{}: reading {}", artifact.path.display(), entry.path)
                })?;
                fs::write(&target, bytes)
                    .with_context(|| format!("writing {}", target.display()))?;
                // Python trusts a timestamp .pyc only when its source's mtime
                // matches: keep the dates the package carries, as Lambda does
                // (the exact extended timestamp when the zip has one)
                let modified = artifact.extracted_mtime(index);
                if let Some(seconds) = modified.and_then(|s| u64::try_from(s).ok()) {
                    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
                    let file = fs::File::options().write(true).open(&target);
                    let _ = file.and_then(|f| f.set_modified(time));
                }
            }
        }
    }
    Ok(())
}

fn create_dir(path: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))
}

/// Files and directories read-only (0444 / 0555, keeping execute bits), or
/// owner-writable again.
fn set_writable(root: &Path, writable: bool) {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .collect();
    if !writable {
        // children before their directory loses its write bit
        paths.reverse();
    }
    for path in paths {
        let _ = set_mode(&path, writable);
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, writable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = fs::symlink_metadata(path)?;
    let mode = metadata.permissions().mode();
    let mode = if writable {
        mode | 0o200
    } else {
        mode & !0o222
    };
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, writable: bool) -> io::Result<()> {
    let mut permissions = fs::metadata(path)?.permissions();
    permissions.set_readonly(!writable);
    fs::set_permissions(path, permissions)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// The Unix mtime `extract` gives `handler.py`, zipped with a DOS time
    /// and, when given, an extended timestamp (Info-ZIP's `UT` field).
    fn extracted_seconds(dos: (u16, u8, u8, u8, u8, u8), extended: Option<u32>) -> u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("function.zip");
        let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
        let (y, mo, d, h, mi, s) = dos;
        let date = zip::DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap();
        let mut options = zip::write::FullFileOptions::default().last_modified_time(date);
        if let Some(mtime) = extended {
            let mut field = vec![1u8];
            field.extend_from_slice(&mtime.to_le_bytes());
            options.add_extra_field(0x5455, &field, false).unwrap();
        }
        zip.start_file("handler.py", options).unwrap();
        zip.write_all(b"x = 1\n").unwrap();
        zip.finish().unwrap();

        let artifact = Artifact::open(&path).unwrap();
        let extracted = extract(&artifact, &[], EXTRACT_LIMIT).unwrap();
        fs::metadata(extracted.root().join("handler.py"))
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn extracted_files_keep_the_dates_the_zip_records() {
        // what a timestamp .pyc of this source records: 1700000000
        assert_eq!(
            extracted_seconds((2023, 11, 14, 22, 13, 20), None),
            1_700_000_000
        );
    }

    #[test]
    fn an_extended_timestamp_gives_the_exact_second() {
        // `zip -r` of a file changed at 22:13:21: DOS rounds up to :22
        let dos = (2023, 11, 14, 22, 13, 22);
        assert_eq!(extracted_seconds(dos, None), 1_700_000_002);
        assert_eq!(extracted_seconds(dos, Some(1_700_000_001)), 1_700_000_001);
    }
}
