//! A private copy of the artifact to run: extracted into a fresh temporary
//! directory, then made read-only like /var/task, removed when dropped.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::artifact::{Artifact, EntryKind};

/// Lambda refuses functions over 250 MB unzipped; four times that leaves
/// room for layers and directories while stopping zip bombs.
pub const EXTRACT_LIMIT: u64 = 1024 * 1024 * 1024;

/// The extracted tree. Dropping it restores write permission and deletes it.
pub struct Extracted {
    dir: tempfile::TempDir,
    /// Symlink entries left out: they are never created.
    pub skipped_symlinks: Vec<String>,
}

impl Extracted {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Extracted {
    fn drop(&mut self) {
        // read-only directories cannot lose their children; TempDir's own
        // drop removes the tree afterwards
        set_writable(self.dir.path(), true);
    }
}

pub fn extract(artifact: &Artifact, limit: u64) -> anyhow::Result<Extracted> {
    if let Some(entry) = artifact.entries.iter().find(|e| e.unsafe_name) {
        bail!(
            "{}: entry `{}` would be written outside the extraction directory; refusing to extract",
            artifact.path.display(),
            entry.path
        );
    }
    let total: u64 = artifact
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| e.unzipped_bytes)
        .sum();
    if total > limit {
        bail!(
            "{}: {} bytes unzipped is more than the {} bytes measure extracts",
            artifact.path.display(),
            total,
            limit
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("deadweight-measure-")
        .tempdir()
        .context("creating a temporary directory to extract into")?;
    let mut extracted = Extracted {
        dir,
        skipped_symlinks: Vec::new(),
    };
    let root = extracted.root().to_path_buf();
    for (index, entry) in artifact.entries.iter().enumerate() {
        let target = root.join(&entry.path);
        match entry.kind {
            EntryKind::Dir => create_dir(&target)?,
            EntryKind::Symlink => extracted.skipped_symlinks.push(entry.path.clone()),
            EntryKind::File => {
                if let Some(parent) = target.parent() {
                    create_dir(parent)?;
                }
                let bytes = artifact.read(index, limit).with_context(|| {
                    format!("{}: reading {}", artifact.path.display(), entry.path)
                })?;
                fs::write(&target, bytes)
                    .with_context(|| format!("writing {}", target.display()))?;
            }
        }
    }
    set_writable(&root, false);
    Ok(extracted)
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
