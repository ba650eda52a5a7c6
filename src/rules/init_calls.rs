//! Calls that import at init what no import statement names
//! (`rules/init-calls.toml`): a class whose constructor imports more from
//! inside its methods, through a lazy loader or with `importlib`; and
//! calls that turn a block of imports into a table a module's
//! `__getattr__` imports from on first use.

use std::sync::OnceLock;

use serde::Deserialize;

const TABLE: &str = include_str!("../../rules/init-calls.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    call: Vec<InitCall>,
    #[serde(default)]
    lazy_table: Vec<LazyTable>,
}

/// A function that, called in `if TYPE_CHECKING or not f():` at a
/// package's module scope, installs a `__getattr__` importing on first use
/// what the block imports, and returns true: the block never runs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LazyTable {
    /// The module the function is imported from.
    pub module: String,
    pub name: String,
    pub source: String,
}

impl LazyTable {
    /// Whether `name`, imported from `module` as written (relative within
    /// its package: `._lazyimport`), is this function.
    pub fn matches(&self, module: &str, name: &str) -> bool {
        let relative = module.trim_start_matches('.');
        name == self.name
            && (module == self.module
                || (module.starts_with('.')
                    && !relative.is_empty()
                    && self
                        .module
                        .strip_suffix(relative)
                        .is_some_and(|package| package.ends_with('.'))))
    }
}

/// One class or function, and what calling it imports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitCall {
    /// The module the name is imported from, or a package above it.
    pub module: String,
    pub name: String,
    /// Modules the call imports.
    pub loads: Vec<String>,
    /// Modules it tries to import, failing quietly when they are absent.
    #[serde(default)]
    pub tries: Vec<String>,
    /// A keyword argument that, passed as `False`, skips `tries`.
    #[serde(default)]
    pub unless: Option<String>,
    /// A keyword argument that, passed as `False`, skips `loads` and
    /// `tries` both.
    #[serde(default)]
    pub all_unless: Option<String>,
    /// Another call of the table this one makes, as `module.name`: what
    /// that one imports is imported too (skipped with `tries`).
    #[serde(default)]
    pub runs: Option<String>,
    pub source: String,
}

impl InitCall {
    /// Whether `name` imported from `module` is this call's class.
    pub fn matches(&self, module: &str, name: &str) -> bool {
        name == self.name
            && (module == self.module
                || module
                    .strip_prefix(self.module.as_str())
                    .is_some_and(|rest| rest.starts_with('.')))
    }
}

fn table() -> &'static Table {
    static DATA: OnceLock<Table> = OnceLock::new();
    DATA.get_or_init(|| {
        // the table is part of the binary and checked by a test
        super::builtin_table::<Table>(super::builtin_json!("init-calls"), TABLE)
            .expect("rules/init-calls.toml is valid")
    })
}

/// The Python calls the table knows.
pub fn python() -> &'static [InitCall] {
    &table().call
}

/// The call of the table named `module.name`.
pub fn python_call(path: &str) -> Option<&'static InitCall> {
    let (module, name) = path.rsplit_once('.')?;
    python()
        .iter()
        .find(|call| call.module == module && call.name == name)
}

/// The Python lazy importers the table knows.
pub fn lazy_tables() -> &'static [LazyTable] {
    &table().lazy_table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_from_its_json() {
        let json = super::super::builtin_json!("init-calls");
        let assert = super::super::tests::assert_read_from_json::<Table>;
        assert("rules/init-calls.toml", TABLE, json);
    }

    #[test]
    fn the_calls_a_call_runs_are_in_the_table() {
        for call in python() {
            if let Some(runs) = &call.runs {
                assert!(python_call(runs).is_some(), "{}: {runs}", call.name);
            }
        }
        let tracer = python().iter().find(|c| c.name == "Tracer").unwrap();
        assert_eq!(tracer.runs.as_deref(), Some("aws_xray_sdk.core.patch_all"));
    }

    #[test]
    fn lazy_importers_match_as_imported_within_their_package() {
        let anyio = lazy_tables()
            .iter()
            .find(|t| t.name == "install_lazy_importer")
            .unwrap();
        assert!(anyio.matches("anyio._lazyimport", "install_lazy_importer"));
        assert!(anyio.matches("._lazyimport", "install_lazy_importer"));
        assert!(!anyio.matches("._other", "install_lazy_importer"));
        assert!(!anyio.matches("._lazyimport", "fix_package_names"));
        assert!(!anyio.matches("other_lazyimport", "install_lazy_importer"));
    }

    #[test]
    fn the_table_parses_and_names_packages_as_written() {
        let calls = python();
        let tracer = calls.iter().find(|c| c.name == "Tracer").unwrap();
        assert!(tracer.matches("aws_lambda_powertools", "Tracer"));
        assert!(tracer.matches("aws_lambda_powertools.tracing", "Tracer"));
        assert!(!tracer.matches("aws_lambda_powertools_extra", "Tracer"));
        assert!(!tracer.matches("aws_lambda_powertools", "Logger"));
        for call in calls {
            let imports = !call.loads.is_empty() || !call.tries.is_empty();
            assert!(imports && !call.source.is_empty(), "{call:?}");
        }
    }
}
