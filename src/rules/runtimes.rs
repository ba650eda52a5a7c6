//! The Lambda runtime table (`rules/runtimes.toml`): which OS and glibc
//! each runtime runs on, its language version, what it already provides,
//! and the CPython bytecode magic numbers.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const TABLE: &str = include_str!("../../rules/runtimes.toml");
const SUBMODULES_TABLE: &str = include_str!("../../rules/python-runtime-submodules.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeInfo {
    pub id: String,
    pub family: String,
    pub os: String,
    pub glibc: String,
    pub version: String,
    /// Node's NODE_MODULE_VERSION, for addons built per Node version.
    #[serde(default)]
    pub node_abi: Option<u32>,
    /// Package name globs the runtime ships, by ecosystem (`npm`, `pypi`).
    #[serde(default)]
    pub provides: HashMap<String, Vec<String>>,
    /// Whether ES module imports search NODE_PATH (the layers' folders and
    /// /var/task), as require does.
    #[serde(default = "yes")]
    pub esm_node_path: bool,
    /// Whether Node loads a `.js` with no `"type"` as an ES module when
    /// its syntax says so.
    #[serde(default = "yes")]
    pub module_syntax_detection: bool,
    /// Whether `require()` loads an ES module (returning its namespace
    /// object) rather than failing with ERR_REQUIRE_ESM.
    #[serde(default = "yes")]
    pub require_esm: bool,
    /// Whether Lambda SnapStart is available on the runtime.
    #[serde(default)]
    pub snapstart: bool,
}

fn yes() -> bool {
    true
}

impl RuntimeInfo {
    /// `(3, 12)` for `python3.12`.
    pub fn python_version(&self) -> Option<(u32, u32)> {
        if self.family != "python" {
            return None;
        }
        let (major, minor) = self.version.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BytecodeLine {
    python: String,
    first: u16,
    magic: Option<u16>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseImage {
    os: String,
    libraries: Vec<String>,
}

/// A layer's handler that wraps the function's own: it imports the
/// handler an environment variable names when the function starts.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wrapper {
    pub name: String,
    pub handlers: Vec<String>,
    pub environment: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    runtime: Vec<RuntimeInfo>,
    base_image: Vec<BaseImage>,
    bytecode: Vec<BytecodeLine>,
    wrapper: Vec<Wrapper>,
}

fn table() -> &'static Table {
    static TABLE_DATA: OnceLock<Table> = OnceLock::new();
    // the table is part of the binary and checked by a test
    TABLE_DATA.get_or_init(|| {
        super::builtin_table(super::builtin_json!("runtimes"), TABLE)
            .expect("rules/runtimes.toml is valid")
    })
}

pub fn find(id: &str) -> Option<&'static RuntimeInfo> {
    table().runtime.iter().find(|r| r.id == id)
}

/// The wrapper whose handler this is, if any.
pub fn wrapper(handler: &str) -> Option<&'static Wrapper> {
    table()
        .wrapper
        .iter()
        .find(|w| w.handlers.iter().any(|h| h == handler))
}

/// Every runtime in the table.
pub fn all() -> &'static [RuntimeInfo] {
    &table().runtime
}

pub fn known_ids() -> Vec<&'static str> {
    table().runtime.iter().map(|r| r.id.as_str()).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submodules {
    submodules: std::collections::HashSet<String>,
}

/// Whether `name` (`botocore.exceptions`) is a module below one of the
/// packages the Python runtimes provide (rules/python-runtime-submodules.toml)
/// rather than a name one defines (`boto3.client`).
pub fn ships_python_submodule(name: &str) -> bool {
    static SUBMODULES: OnceLock<Submodules> = OnceLock::new();
    SUBMODULES
        .get_or_init(|| {
            super::builtin_table(
                super::builtin_json!("python-runtime-submodules"),
                SUBMODULES_TABLE,
            )
            .expect("rules/python-runtime-submodules.toml is valid")
        })
        .submodules
        .contains(name)
}

/// Shared libraries the base image of this operating system provides.
pub fn base_libraries(os: &str) -> &'static [String] {
    table()
        .base_image
        .iter()
        .find(|b| b.os == os)
        .map(|b| b.libraries.as_slice())
        .unwrap_or(&[])
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The CPython release line a `.pyc` magic number belongs to.
pub fn python_for_magic(magic: u16) -> Option<(u32, u32)> {
    let lines = &table().bytecode;
    lines
        .iter()
        .enumerate()
        .filter(|(i, line)| {
            magic >= line.first && lines.get(i + 1).is_none_or(|next| magic < next.first)
        })
        .find_map(|(_, line)| parse_version(&line.python))
}

/// Whether Python `version` loads a `.pyc` with this magic number.
pub fn magic_matches(magic: u16, version: (u32, u32)) -> bool {
    let line = table()
        .bytecode
        .iter()
        .find(|l| parse_version(&l.python) == Some(version));
    match line.and_then(|l| l.magic) {
        Some(expected) => magic == expected,
        None => python_for_magic(magic) == Some(version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_from_its_json() {
        let json = super::super::builtin_json!("runtimes");
        let assert = super::super::tests::assert_read_from_json::<Table>;
        assert("rules/runtimes.toml", TABLE, json);
        let json = super::super::builtin_json!("python-runtime-submodules");
        let assert = super::super::tests::assert_read_from_json::<Submodules>;
        assert(
            "rules/python-runtime-submodules.toml",
            SUBMODULES_TABLE,
            json,
        );
    }

    #[test]
    fn runtime_submodules_belong_to_packages_a_runtime_provides() {
        let table: toml::Table = toml::from_str(SUBMODULES_TABLE).unwrap();
        let submodules = table["submodules"].as_array().unwrap();
        assert!(submodules.len() > 200);
        for name in submodules.iter().map(|n| n.as_str().unwrap()) {
            let top = name.split('.').next().unwrap();
            assert!(
                all().iter().any(|r| r
                    .provides
                    .get("python")
                    .is_some_and(|p| p.iter().any(|p| p == top))),
                "{name}"
            );
            assert!(ships_python_submodule(name));
        }
        assert!(!ships_python_submodule("boto3.client"));
    }

    #[test]
    fn the_table_parses_and_knows_the_runtimes() {
        assert_eq!(find("python3.12").unwrap().glibc, "2.34");
        assert_eq!(find("nodejs18.x").unwrap().os, "Amazon Linux 2");
        assert_eq!(find("python3.11").unwrap().python_version(), Some((3, 11)));
        assert!(find("nodejs4.3").is_none());
    }

    #[test]
    fn magic_numbers_name_their_python() {
        assert_eq!(python_for_magic(3495), Some((3, 11)));
        assert_eq!(python_for_magic(3531), Some((3, 12)));
        assert_eq!(python_for_magic(3569), Some((3, 13)));
        assert!(magic_matches(3495, (3, 11)));
        assert!(!magic_matches(3531, (3, 11)));
        assert!(magic_matches(3610, (3, 14)));
    }
}
