//! Python modules installed by a distribution of another name
//! (`rules/python-distributions.toml`): `yaml` comes from PyYAML, `cv2`
//! from opencv-python-headless.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const TABLE: &str = include_str!("../../rules/python-distributions.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    modules: HashMap<String, Vec<String>>,
}

fn table() -> &'static Table {
    static DATA: OnceLock<Table> = OnceLock::new();
    // the table is part of the binary and checked by a test
    DATA.get_or_init(|| {
        super::builtin_table(super::builtin_json!("python-distributions"), TABLE)
            .expect("rules/python-distributions.toml is valid")
    })
}

/// The distributions that install the top-level module of `module`
/// (`cv2.data` → opencv-python-headless, …), the one to suggest first;
/// empty when the module's name is its distribution's.
pub fn installing(module: &str) -> &'static [String] {
    let top = module.split('.').next().unwrap_or(module);
    table().modules.get(top).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_from_its_json() {
        let json = super::super::builtin_json!("python-distributions");
        let assert = super::super::tests::assert_read_from_json::<Table>;
        assert("rules/python-distributions.toml", TABLE, json);
    }

    #[test]
    fn every_entry_names_another_distribution() {
        let normal = |name: &str| name.to_lowercase().replace('_', "-");
        assert!(table().modules.len() > 30);
        for (module, distributions) in &table().modules {
            assert!(!distributions.is_empty(), "{module}");
            // the module's own name, spelled otherwise, needs no entry
            for distribution in distributions {
                assert_ne!(normal(distribution), normal(module), "{module}");
            }
        }
        assert_eq!(installing("cv2.data")[0], "opencv-python-headless");
        assert!(installing("requests").is_empty());
    }
}
