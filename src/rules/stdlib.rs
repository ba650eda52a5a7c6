//! CPython's standard library per version (`rules/python-stdlib.toml`): a
//! top-level module the runtime itself provides, one removed from the
//! version the function runs on, or neither.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Deserialize;

const TABLE: &str = include_str!("../../rules/python-stdlib.toml");

/// The Python versions Lambda runs (or ran) that the table covers.
const VERSIONS: std::ops::RangeInclusive<u32> = 9..=14;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    base: String,
    modules: Vec<String>,
    /// Submodules of the base release's packages (`xml.etree.ElementTree`).
    submodules: Vec<String>,
    change: Vec<Change>,
}

/// Modules added to or removed from the standard library in one release.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub modules: Vec<String>,
    #[serde(default)]
    pub removed_in: Option<String>,
    #[serde(default)]
    pub added_in: Option<String>,
    /// Why it was removed: the PEP, or how long it was deprecated.
    #[serde(default)]
    pub why: Option<String>,
    /// What code uses in its place.
    #[serde(default)]
    pub instead: Option<String>,
}

struct Stdlib {
    table: Table,
    base: HashSet<String>,
    submodules: HashSet<String>,
}

fn stdlib() -> &'static Stdlib {
    static DATA: OnceLock<Stdlib> = OnceLock::new();
    DATA.get_or_init(|| {
        // the table is part of the binary and checked by a test
        let table: Table = super::builtin_table(super::builtin_json!("python-stdlib"), TABLE)
            .expect("rules/python-stdlib.toml is valid");
        let base = table.modules.iter().cloned().collect();
        let submodules = table.submodules.iter().cloned().collect();
        Stdlib {
            table,
            base,
            submodules,
        }
    })
}

fn minor(version: &str) -> Option<u32> {
    version.strip_prefix("3.")?.parse().ok()
}

impl Change {
    fn present_in(&self, python_minor: u32) -> bool {
        let removed = self.removed_in.as_deref().and_then(minor);
        let added = self.added_in.as_deref().and_then(minor);
        removed.is_none_or(|r| python_minor < r) && added.is_none_or(|a| python_minor >= a)
    }
}

fn change_for(module: &str) -> Option<&'static Change> {
    stdlib()
        .table
        .change
        .iter()
        .find(|c| c.modules.iter().any(|m| m == module))
}

/// Whether the standard library of Python `version` has the top-level
/// module `module`; with no version known, whether any supported version's
/// has it (so nothing is reported missing that some runtime provides).
pub fn has(module: &str, version: Option<(u32, u32)>) -> bool {
    match (change_for(module), version) {
        (Some(change), Some((3, minor))) => change.present_in(minor),
        (Some(change), _) => VERSIONS.into_iter().any(|m| change.present_in(m)),
        (None, _) => stdlib().base.contains(module),
    }
}

/// The change that took `module` out of the standard library before
/// Python `version`, if it was there once.
pub fn removal(module: &str, version: (u32, u32)) -> Option<&'static Change> {
    let change = change_for(module)?;
    let removed = change.removed_in.as_deref().and_then(minor)?;
    (version.0 == 3 && version.1 >= removed).then_some(change)
}

/// The change that brought `module` into the standard library after
/// Python `version`.
pub fn addition(module: &str, version: (u32, u32)) -> Option<&'static Change> {
    let change = change_for(module)?;
    let added = change.added_in.as_deref().and_then(minor)?;
    (version.0 == 3 && version.1 < added).then_some(change)
}

/// The release the table's full list is taken from, `3.11`.
pub fn base_version() -> &'static str {
    &stdlib().table.base
}

/// Whether `name` (`xml.etree.ElementTree`) is a module below one of the
/// standard library's packages rather than a name one defines
/// (`typing.TYPE_CHECKING`).
pub fn is_submodule(name: &str) -> bool {
    stdlib().submodules.contains(name)
}

/// Every submodule of the base release's packages.
pub fn base_submodules() -> &'static [String] {
    &stdlib().table.submodules
}

/// Every top-level module of the base release's standard library.
pub fn base_modules() -> &'static [String] {
    &stdlib().table.modules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_from_its_json() {
        let json = super::super::builtin_json!("python-stdlib");
        super::super::tests::assert_read_from_json::<Table>(
            "rules/python-stdlib.toml",
            TABLE,
            json,
        );
    }

    #[test]
    fn modules_come_and_go_with_their_release() {
        assert!(has("json", Some((3, 12))));
        assert!(has("distutils", Some((3, 11))));
        assert!(!has("distutils", Some((3, 12))));
        assert!(!has("tomllib", Some((3, 10))));
        assert!(has("tomllib", Some((3, 11))));
        assert!(has("parser", Some((3, 9))));
        assert!(!has("parser", Some((3, 10))));
        assert!(!has("cgi", Some((3, 13))));
        assert!(has("cgi", Some((3, 12))));
        assert!(has("annotationlib", Some((3, 14))));
        assert!(!has("requests", Some((3, 12))));
        // unknown version: whatever some runtime has
        assert!(has("distutils", None));
        assert!(has("annotationlib", None));
        assert!(!has("boto3", None));
    }

    #[test]
    fn a_removal_names_its_release_and_replacement() {
        let change = removal("imp", (3, 12)).unwrap();
        assert_eq!(change.removed_in.as_deref(), Some("3.12"));
        assert_eq!(change.instead.as_deref(), Some("importlib"));
        assert!(removal("imp", (3, 11)).is_none());
        assert!(removal("tomllib", (3, 12)).is_none());
        assert!(removal("json", (3, 13)).is_none());
        assert_eq!(
            addition("tomllib", (3, 10)).and_then(|c| c.added_in.as_deref()),
            Some("3.11")
        );
        assert!(addition("tomllib", (3, 11)).is_none());
    }

    #[test]
    fn every_change_names_a_release() {
        for change in &stdlib().table.change {
            assert!(
                change.removed_in.as_deref().and_then(minor).is_some()
                    || change.added_in.as_deref().and_then(minor).is_some(),
                "{:?}",
                change.modules
            );
        }
    }
}
