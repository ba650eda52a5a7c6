//! Will it even start? Python syntax the runtime's version does not have —
//! a PEP 701 f-string on 3.11, `match` on 3.9, a `type` alias before 3.12 —
//! is a SyntaxError when the module is imported. Found by ruff's parser,
//! which reads a file for a target version.

use std::collections::{BTreeMap, HashSet};

use super::init::LayerFiles;
use super::{Finding, Level};
use crate::artifact::Artifact;
use crate::imports::mount::{MountedFile, LAYER_ROOT};
use crate::imports::reach::InitLoad;
use crate::imports::{SourceFile, TooNew};
use crate::inventory::{Inventory, Owner};

pub const RULE: &str = "runtime/python-syntax-too-new";

/// The layer (None: the function's package), then a package of it (its
/// index) or one of its own files (its path).
type GroupKey = (Option<usize>, Option<usize>, String);

/// Where a group's files are: the artifact and its inventory, how its
/// paths read to the function, and which of its files init loads.
struct Place<'a> {
    artifact: &'a Artifact,
    inventory: &'a Inventory,
    prefix: &'static str,
    loaded: HashSet<usize>,
}

/// `sources` are the function's own files, `parsed` the package and layer
/// files the init walk read; `load` says which of them init imports. One
/// finding per file of the function's own code, one per package.
pub fn check(
    artifact: &Artifact,
    inventory: &Inventory,
    load: Option<&InitLoad>,
    sources: &[SourceFile],
    parsed: &[(MountedFile, Vec<TooNew>)],
    layers: &[LayerFiles],
    python: (u32, u32),
) -> Vec<Finding> {
    let own = Place {
        artifact,
        inventory,
        prefix: "",
        loaded: load
            .map(|l| l.loaded.iter().copied().collect())
            .unwrap_or_default(),
    };
    let layer_places: Vec<Place> = layers
        .iter()
        .enumerate()
        .map(|(index, layer)| Place {
            artifact: layer.artifact,
            inventory: layer.inventory,
            prefix: LAYER_ROOT,
            loaded: load
                .into_iter()
                .flat_map(|l| &l.layer_loaded)
                .filter(|f| f.layer == Some(index))
                .map(|f| f.entry)
                .collect(),
        })
        .collect();
    let place = |layer: Option<usize>| layer.and_then(|l| layer_places.get(l)).unwrap_or(&own);
    // by owner: the function's files one by one, a package's together
    let mut groups: BTreeMap<GroupKey, Vec<(usize, &TooNew)>> = BTreeMap::new();
    let app = sources.iter().filter_map(|s| {
        let file = MountedFile {
            layer: None,
            entry: artifact.find(&s.path)?,
        };
        Some((file, s.too_new.as_slice()))
    });
    let packages = parsed
        .iter()
        .filter(|(file, _)| file.layer.is_none_or(|l| l < layer_places.len()))
        .map(|(file, too_new)| (*file, too_new.as_slice()));
    for (file, too_new) in app.chain(packages) {
        let at = place(file.layer);
        let key = match at.inventory.owners[file.entry] {
            Owner::Package(p) => (file.layer, Some(p), String::new()),
            _ => (
                file.layer,
                None,
                at.artifact.entries[file.entry].path.clone(),
            ),
        };
        groups
            .entry(key)
            .or_default()
            .extend(too_new.iter().map(|t| (file.entry, t)));
    }
    groups
        .into_iter()
        .filter(|(_, places)| !places.is_empty())
        .map(|((layer, package, _), places)| finding(place(layer), package, &places, python))
        .collect()
}

fn finding(
    at: &Place,
    package: Option<usize>,
    places: &[(usize, &TooNew)],
    python: (u32, u32),
) -> Finding {
    let (file, first) = places[0];
    let path = format!("{}{}", at.prefix, at.artifact.entries[file].path);
    let inventory = at.inventory;
    let files: HashSet<usize> = places.iter().map(|(f, _)| *f).collect();
    let more = match (places.len() - 1, files.len()) {
        (0, _) => String::new(),
        (n, 1) => format!(" (and {n} more in the file)"),
        (n, f) => format!(" (and {n} more in {f} files)"),
    };
    let at_init = files.iter().any(|f| at.loaded.contains(f));
    let (major, minor) = python;
    let mut message = first.message.clone();
    if let Some(c) = message.get(..1) {
        message.replace_range(..1, &c.to_lowercase());
    }
    let owner = package.map(|p| {
        let p = &inventory.packages[p];
        format!("{} {}", p.name, p.version.as_deref().unwrap_or("?"))
    });
    let when = if at_init {
        "importing it at init raises SyntaxError"
    } else {
        "importing it raises SyntaxError"
    };
    let message = match &owner {
        Some(owner) => format!("{owner}: {path}:{}: {message}{more}; {when}", first.line),
        None => format!("{path}:{}: {message}{more}; {when}", first.line),
    };
    let fix = match &owner {
        Some(owner) => format!(
            "install a release of {owner} that supports Python {major}.{minor}: `pip install --python-version {major}.{minor} --only-binary=:all: --target package/` honours each release's Requires-Python"
        ),
        None => format!(
            "write it for Python {major}.{minor}, or move the function to a runtime whose Python has this syntax"
        ),
    };
    // a file init imports fails every cold start; one imported later, the
    // calls that reach it
    let level = if at_init { Level::Deny } else { Level::Warn };
    let mut finding =
        super::compat::finding(RULE, level, message, &path, None, fix).at_line(first.line);
    finding.location.column = Some(first.column);
    finding.package = package.map(|p| {
        let p = &inventory.packages[p];
        p.label()
    });
    finding
}
