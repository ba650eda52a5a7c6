//! The built-in tables under `rules/` as JSON beside their TOML: the binary
//! parses JSON several times faster, and an audit of a small function
//! spends a good part of its time reading these tables. A file that does
//! not parse gets no JSON: the binary then parses the TOML and reports its
//! error with the line.

use std::path::PathBuf;

const TABLES: &[&str] = &[
    "common",
    "node",
    "python",
    "java",
    "binary",
    "init-model",
    "clients",
    "runtimes",
    "python-stdlib",
    "python-distributions",
    "python-runtime-submodules",
    "init-calls",
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in TABLES {
        let path = format!("rules/{name}.toml");
        println!("cargo::rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let json = toml::from_str::<toml::Value>(&text)
            .ok()
            .and_then(|value| serde_json::to_string(&value).ok())
            .unwrap_or_default();
        std::fs::write(out.join(format!("{name}.json")), json).expect("OUT_DIR is writable");
    }
}
