//! `binary/debug-info`: executables that carry DWARF and symbol tables,
//! which the function never uses at run time.

use super::{Finding, Level, Location, Saving};
use crate::artifact::Artifact;
use crate::inventory::Inventory;
use crate::units::{human_bytes, percent};

pub const DEBUG_INFO: &str = "binary/debug-info";
pub const FOREIGN_ARCH: &str = "binary/foreign-arch";

/// Below this, stripping is not worth a finding.
const MIN_DEBUG_BYTES: u64 = 64 * 1024;

pub fn check(artifact: &Artifact, inventory: &Inventory) -> Vec<Finding> {
    inventory
        .binaries
        .iter()
        .filter(|b| b.debug_bytes >= MIN_DEBUG_BYTES)
        .filter_map(|b| {
            let entry = &artifact.entries[artifact.find(&b.path)?];
            // zipped: the same share of the entry's compressed bytes (DWARF
            // compresses about as well as code; an estimate)
            let share = b.debug_bytes as f64 / entry.unzipped_bytes.max(1) as f64;
            let fix = match b.language.as_deref() {
                Some("go") => "build with `go build -ldflags=\"-s -w\"` (drops the symbol table and DWARF; panics still print stack traces)",
                Some("rust") => "set `[profile.release] strip = true` (or `strip = \"debuginfo\"`) in Cargo.toml",
                _ => "run `strip` on the binary before zipping (or link with -s)",
            };
            Some(Finding {
                rule: DEBUG_INFO.to_string(),
                level: Level::Warn,
                message: format!(
                    "{} carries {} of debug info and symbol tables ({} of the file), unused at run time",
                    b.path,
                    human_bytes(b.debug_bytes),
                    percent(b.debug_bytes, entry.unzipped_bytes)
                ),
                location: Location {
                    path: b.path.clone(),
                    line: None,
                    column: None,
                },
                package: None,
                saving: Some(Saving::bytes(b.debug_bytes, (entry.zipped_bytes as f64 * share) as u64)),
                concerns: None,
                known: false,
                fix: Some(fix.to_string()),
            })
        })
        .collect()
}
