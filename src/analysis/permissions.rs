//! Will it even start? Lambda extracts the package with the permission bits
//! the zip records and runs the code as a user that owns none of it: files
//! must be readable by everyone, directories searchable, and a custom
//! runtime's `bootstrap` executable.

use super::{Finding, Level};
use crate::artifact::{Artifact, Container, EntryKind};

pub const RULE: &str = "runtime/file-permissions";

const OTHER_READ: u32 = 0o004;
const OTHER_EXECUTE: u32 = 0o001;

/// Entries Lambda's user cannot use, when the archive records Unix modes.
/// A zip is what Lambda extracts (deny); a build folder's modes carry into
/// the zip only when the packaging tool keeps them (warning).
pub fn check(artifact: &Artifact) -> Vec<Finding> {
    let level = match artifact.container {
        Container::Directory | Container::File => Level::Warn,
        Container::Zip | Container::Jar => Level::Deny,
    };
    let mut unreadable: Vec<(&str, u32)> = Vec::new();
    let mut unsearchable: Vec<(&str, u32)> = Vec::new();
    let mut findings = Vec::new();
    for entry in artifact.entries.iter().filter(|e| !e.unsafe_name) {
        // no bits at all: a tool that wrote no modes, not a file no one may read
        let Some(mode) = entry.unix_mode.filter(|m| m & 0o777 != 0) else {
            continue;
        };
        match entry.kind {
            EntryKind::File if mode & OTHER_READ == 0 => unreadable.push((&entry.path, mode)),
            EntryKind::Dir if mode & (OTHER_READ | OTHER_EXECUTE) != OTHER_READ | OTHER_EXECUTE => {
                unsearchable.push((&entry.path, mode))
            }
            _ => {}
        }
        if entry.path == "bootstrap" && entry.kind == EntryKind::File && mode & OTHER_EXECUTE == 0 {
            findings.push(super::compat::finding(
                RULE,
                level,
                format!(
                    "bootstrap has mode {:04o}: a custom runtime's bootstrap must be executable by everyone, or the function fails with Runtime.InvalidEntrypoint (permission denied)",
                    mode & 0o7777
                ),
                "bootstrap",
                None,
                "`chmod 755 bootstrap` before zipping".to_string(),
            ));
        }
    }
    let groups = [
        (
            unreadable,
            "file",
            "readable only by the owner",
            "Lambda runs the code as another user, which gets EACCES (Runtime.ImportModuleError at the first cold start)",
            "give everyone read access before zipping: `chmod -R a+rX <folder>` (644 for files, 755 for directories and executables)",
        ),
        (
            unsearchable,
            "directory",
            "not readable and searchable by everyone",
            "nothing below can be loaded",
            "`chmod -R a+rX <folder>` before zipping (755 for directories)",
        ),
    ];
    for (entries, what, state, effect, fix) in groups {
        let Some((first, _)) = entries.first() else {
            continue;
        };
        findings.push(super::compat::finding(
            RULE,
            level,
            format!(
                "{} {state} ({}): {effect}",
                count(what, entries.len()),
                examples(&entries)
            ),
            first,
            None,
            fix.to_string(),
        ));
    }
    findings
}

fn count(what: &str, n: usize) -> String {
    match (n, what) {
        (1, _) => format!("1 {what} is"),
        (_, "directory") => format!("{n} directories are"),
        _ => format!("{n} {what}s are"),
    }
}

/// The first few paths with their modes: `index.js 0600, lib/db.js 0600`.
fn examples(entries: &[(&str, u32)]) -> String {
    let mut shown: Vec<String> = entries
        .iter()
        .take(3)
        .map(|(path, mode)| format!("{path} {:04o}", mode & 0o7777))
        .collect();
    if entries.len() > 3 {
        shown.push(format!("and {} more", entries.len() - 3));
    }
    shown.join(", ")
}
