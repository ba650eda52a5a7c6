//! The files a function sees when it starts: its own package at
//! /var/task, and its layers extracted in order into /opt, a later layer's
//! file replacing an earlier one's at the same path.
//!
//! Files are numbered across the mount: the function's entries keep their
//! indices, each layer's follow. The function's paths stay relative (as
//! everywhere else in a report); a layer's read `/opt/...`, where the
//! function's code finds them.

use crate::artifact::{Artifact, Entry, ReadError};

/// Where layers are extracted.
pub const LAYER_ROOT: &str = "/opt/";

pub struct Mount<'a> {
    pub function: &'a Artifact,
    pub layers: Vec<&'a Artifact>,
    /// The first number of each layer's entries.
    starts: Vec<usize>,
    /// Every layer entry's `/opt/` path, in numbering order.
    layer_paths: Vec<String>,
}

/// One file of the mount: the layer it is in (None for the function's own
/// package) and its entry index there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MountedFile {
    pub layer: Option<usize>,
    pub entry: usize,
}

impl<'a> Mount<'a> {
    pub fn new(function: &'a Artifact, layers: Vec<&'a Artifact>) -> Self {
        let mut starts = Vec::with_capacity(layers.len());
        let mut next = function.entries.len();
        let mut layer_paths = Vec::new();
        for layer in &layers {
            starts.push(next);
            next += layer.entries.len();
            layer_paths.extend(
                layer
                    .entries
                    .iter()
                    .map(|e| format!("{LAYER_ROOT}{}", e.path)),
            );
        }
        Mount {
            function,
            layers,
            starts,
            layer_paths,
        }
    }

    /// How many files it has: their numbers run from 0 up to it.
    pub fn file_count(&self) -> usize {
        self.function.entries.len() + self.layer_paths.len()
    }

    /// The function alone.
    pub fn function(function: &'a Artifact) -> Self {
        Mount::new(function, Vec::new())
    }

    /// Which artifact a number belongs to, and its entry index there.
    pub fn locate(&self, id: usize) -> MountedFile {
        match self.starts.partition_point(|&start| start <= id) {
            0 => MountedFile {
                layer: None,
                entry: id,
            },
            n => MountedFile {
                layer: Some(n - 1),
                entry: id - self.starts[n - 1],
            },
        }
    }

    /// The number of a file [`Mount::locate`] placed.
    pub fn id(&self, file: MountedFile) -> usize {
        file.layer.map_or(0, |l| self.starts[l]) + file.entry
    }

    fn artifact(&self, layer: Option<usize>) -> &'a Artifact {
        layer.map_or(self.function, |l| self.layers[l])
    }

    /// The path the function's code sees: relative for its own files,
    /// `/opt/...` for a layer's.
    pub fn path(&self, id: usize) -> &str {
        match id.checked_sub(self.function.entries.len()) {
            None => &self.function.entries[id].path,
            Some(i) => &self.layer_paths[i],
        }
    }

    pub fn read(&self, id: usize, limit: u64) -> Result<Vec<u8>, ReadError> {
        let file = self.locate(id);
        self.artifact(file.layer).read(file.entry, limit)
    }

    /// The file's size once extracted.
    pub fn size(&self, id: usize) -> u64 {
        let file = self.locate(id);
        self.artifact(file.layer).entries[file.entry].unzipped_bytes
    }

    /// See [`Artifact::content_id`].
    pub fn content_id(&self, id: usize) -> Option<(u32, u64)> {
        let file = self.locate(id);
        self.artifact(file.layer).content_id(file.entry)
    }

    /// The file at a path as [`Mount::path`] gives it; under /opt, the
    /// last layer that has it.
    pub fn find(&self, path: &str) -> Option<usize> {
        match path.strip_prefix(LAYER_ROOT) {
            Some(inside) => self
                .layers
                .iter()
                .zip(&self.starts)
                .rev()
                .find_map(|(layer, start)| layer.find(inside).map(|i| start + i)),
            None => self.function.find(path),
        }
    }

    /// Every file with its number and path, the function's first.
    pub fn files(&self) -> impl Iterator<Item = (usize, &str, &'a Entry)> + '_ {
        let own = self.function.entries.iter().enumerate();
        let layers = self.layers.iter().flat_map(|l| l.entries.iter());
        own.map(|(i, e)| (i, e.path.as_str(), e)).chain(
            layers
                .zip(&self.layer_paths)
                .enumerate()
                .map(|(i, (e, path))| (self.function.entries.len() + i, path.as_str(), e)),
        )
    }

    /// Numbers of the mount's files, split into the function's own entry
    /// indices and the layers' files.
    pub fn split(&self, ids: &[usize]) -> (Vec<usize>, Vec<MountedFile>) {
        let mut own = Vec::new();
        let mut layered = Vec::new();
        for &id in ids {
            match self.locate(id) {
                MountedFile { layer: None, entry } => own.push(entry),
                file => layered.push(file),
            }
        }
        (own, layered)
    }
}

/// Where a path inside a layer sits among the folders Lambda searches:
/// `python/`, `python/lib/pythonX.Y/site-packages/`, `nodejs/node_modules/`
/// or `nodejs/nodeNN/node_modules/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerFolder<'p> {
    /// The folder, with its trailing slash.
    pub folder: &'p str,
    /// The language version the folder is for (`3.12`, `20`), if it names one.
    pub version: Option<&'p str>,
    /// The path inside the folder.
    pub inside: &'p str,
}

impl LayerFolder<'_> {
    /// Whether a runtime of `version` searches the folder (any does, when
    /// the version is unknown).
    pub fn searched_by(&self, version: Option<&str>) -> bool {
        match (self.version, version) {
            (Some(folder), Some(runtime)) => folder == runtime,
            _ => true,
        }
    }
}

/// The layer folder `path` (relative to the layer's root) is in, if any.
pub fn layer_folder(path: &str) -> Option<LayerFolder<'_>> {
    let (folder_len, version, inside) = if let Some(rest) = path.strip_prefix("python/") {
        match rest.strip_prefix("lib/") {
            Some(lib) => {
                let (folder, inside) = lib.split_once("/site-packages/")?;
                (
                    path.len() - inside.len(),
                    folder.strip_prefix("python"),
                    inside,
                )
            }
            None => ("python/".len(), None, rest),
        }
    } else {
        let rest = path.strip_prefix("nodejs/")?;
        match rest.strip_prefix("node_modules/") {
            Some(inside) => ("nodejs/node_modules/".len(), None, inside),
            None => {
                let (folder, inside) = rest.split_once("/node_modules/")?;
                let version = folder
                    .strip_prefix("node")
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))?;
                (path.len() - inside.len(), Some(version), inside)
            }
        }
    };
    Some(LayerFolder {
        folder: &path[..folder_len],
        version,
        inside,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_folders_and_their_versions() {
        let folder = |path| layer_folder(path).map(|f| (f.folder, f.version, f.inside));
        assert_eq!(
            folder("python/lib/python3.12/site-packages/attr/__init__.py"),
            Some((
                "python/lib/python3.12/site-packages/",
                Some("3.12"),
                "attr/__init__.py"
            ))
        );
        assert_eq!(folder("python/six.py"), Some(("python/", None, "six.py")));
        assert_eq!(
            folder("nodejs/node20/node_modules/ms/index.js"),
            Some(("nodejs/node20/node_modules/", Some("20"), "ms/index.js"))
        );
        assert_eq!(
            folder("nodejs/node_modules/@aws-sdk/x/package.json"),
            Some(("nodejs/node_modules/", None, "@aws-sdk/x/package.json"))
        );
        assert_eq!(folder("node_modules/ms/index.js"), None);
        assert_eq!(folder("nodejs/nodefoo/node_modules/ms/index.js"), None);
        assert_eq!(folder("python/lib/other/thing.py"), None);
        assert!(layer_folder("nodejs/node20/node_modules/ms")
            .unwrap()
            .searched_by(Some("20")));
        assert!(!layer_folder("nodejs/node20/node_modules/ms")
            .unwrap()
            .searched_by(Some("22")));
    }
}
