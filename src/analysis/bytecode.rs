//! `python/missing-bytecode` and `python/stale-bytecode`.
//!
//! Lambda's /var/task is read-only, so Python cannot write the bytecode it
//! compiles: a module without a usable `.pyc` in the package is compiled
//! again at every cold start. A `.pyc` is usable when its magic number is
//! the runtime's and, for the default timestamp kind, its recorded source
//! mtime and size match the `.py` as extracted. Hash-based `.pyc` files
//! (`--invalidation-mode unchecked-hash`) do not depend on dates at all.

use std::collections::HashMap;

use rayon::prelude::*;

use super::{Finding, Level, Location, Saving};
use crate::artifact::{Artifact, EntryKind};
use crate::inventory::{Inventory, Owner};
use crate::rules::runtimes::{magic_matches, python_for_magic};
use crate::units::{human_bytes, thousands};

pub const MISSING: &str = "python/missing-bytecode";
pub const STALE: &str = "python/stale-bytecode";

/// Size of the `.pyc` header: magic, flags, then mtime and size or a hash.
const HEADER: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Usable,
    OtherVersion(Option<(u32, u32)>),
    Stale,
}

/// The `.py` files Python compiles at every cold start, sorted.
#[derive(Debug, Default)]
pub struct CompiledAtStart {
    /// No usable bytecode: none at all, another version's, or stale.
    pub all: Vec<usize>,
    /// No bytecode at all (`python/missing-bytecode`).
    pub missing: Vec<usize>,
}

pub fn check(
    artifact: &Artifact,
    inventory: &Inventory,
    python: Option<(u32, u32)>,
) -> (Vec<Finding>, CompiledAtStart) {
    // .pyc files by the source they were compiled from
    let mut compiled: HashMap<String, Vec<usize>> = HashMap::new();
    let mut sources = Vec::new();
    for (i, entry) in artifact.entries.iter().enumerate() {
        if entry.kind != EntryKind::File || entry.unsafe_name {
            continue;
        }
        if entry.path.ends_with(".py") {
            sources.push(i);
        } else if let Some(source) = cached_source(&entry.path) {
            compiled.entry(source).or_default().push(i);
        }
    }
    if sources.is_empty() {
        return (Vec::new(), CompiledAtStart::default());
    }
    let tag = python.map(|(major, minor)| format!(".cpython-{major}{minor}.pyc"));
    let mut missing: Vec<usize> = Vec::new();
    let mut other_version: Vec<(usize, Option<(u32, u32)>)> = Vec::new();
    let mut stale: Vec<usize> = Vec::new();
    // each .pyc header is a small inflate of its own: read them in parallel
    let outcomes: Vec<(usize, Option<(usize, Verdict)>)> = sources
        .par_iter()
        .map(|&source| {
            let path = &artifact.entries[source].path;
            let candidates = compiled.get(path).map(Vec::as_slice).unwrap_or(&[]);
            let mut best: Option<(usize, Verdict)> = None;
            for &pyc in candidates {
                let v = verdict(artifact, pyc, source, python, tag.as_deref());
                if v == Verdict::Usable {
                    best = Some((pyc, v));
                    break;
                }
                best.get_or_insert((pyc, v));
            }
            (source, best)
        })
        .collect();
    let mut recompiled = Vec::new();
    for (source, best) in outcomes {
        if !matches!(best, Some((_, Verdict::Usable))) {
            recompiled.push(source);
        }
        match best {
            None => missing.push(source),
            Some((_, Verdict::Usable)) => {}
            Some((pyc, Verdict::OtherVersion(v))) => other_version.push((pyc, v)),
            Some((pyc, Verdict::Stale)) => stale.push(pyc),
        }
    }

    let mut findings = Vec::new();
    let version_text = python
        .map(|(a, b)| format!("Python {a}.{b}"))
        .unwrap_or_else(|| "any Python".to_string());
    if !missing.is_empty() {
        let bytes: u64 = missing
            .iter()
            .map(|&i| artifact.entries[i].unzipped_bytes)
            .sum();
        findings.push(Finding {
            rule: MISSING.to_string(),
            level: Level::Warn,
            message: format!(
                "{} of {} Python modules {} no bytecode for {version_text}: {} of source is compiled at every cold start ({})",
                thousands(missing.len() as u64),
                thousands(sources.len() as u64),
                if missing.len() == 1 { "has" } else { "have" },
                human_bytes(bytes),
                top_owners(artifact, inventory, &missing)
            ),
            location: location(artifact, &missing),
            package: None,
            saving: None,
            concerns: Some(sizes(artifact, &missing)),
            known: false,
            fix: Some(format!(
                "compile before zipping with the runtime's Python: `python{} -m compileall -q -j 0 --invalidation-mode unchecked-hash .` in the package directory",
                python.map(|(a, b)| format!("{a}.{b}")).unwrap_or_default()
            )),
        });
    }
    if !other_version.is_empty() {
        let mut versions: Vec<String> = other_version
            .iter()
            .map(|(_, v)| {
                v.map(|(a, b)| format!("{a}.{b}"))
                    .unwrap_or_else(|| "an unknown version".into())
            })
            .collect();
        versions.sort();
        versions.dedup();
        let files: Vec<usize> = other_version.iter().map(|(i, _)| *i).collect();
        findings.push(Finding {
            rule: STALE.to_string(),
            level: Level::Warn,
            message: format!(
                "{} .pyc files were compiled by Python {} and are ignored by {version_text}: their modules are compiled at every cold start ({})",
                thousands(files.len() as u64),
                versions.join(", "),
                top_owners(artifact, inventory, &files)
            ),
            location: location(artifact, &files),
            package: None,
            saving: Some(sizes(artifact, &files)),
            concerns: Some(sizes(artifact, &files)),
            known: false,
            fix: Some("build the package with the runtime's Python version (e.g. in the runtime's build image) and compile with `--invalidation-mode unchecked-hash`".to_string()),
        });
    }
    if !stale.is_empty() {
        findings.push(Finding {
            rule: STALE.to_string(),
            level: Level::Warn,
            message: format!(
                "{} timestamp .pyc files record a source mtime or size that differs from the .py in the package (zip tools that reset dates cause this): Python ignores them and recompiles ({})",
                thousands(stale.len() as u64),
                top_owners(artifact, inventory, &stale)
            ),
            location: location(artifact, &stale),
            package: None,
            saving: Some(sizes(artifact, &stale)),
            concerns: Some(sizes(artifact, &stale)),
            known: false,
            fix: Some("compile with `python -m compileall --invalidation-mode unchecked-hash`: hash-based .pyc files do not depend on file dates".to_string()),
        });
    }
    recompiled.sort_unstable();
    missing.sort_unstable();
    (
        findings,
        CompiledAtStart {
            all: recompiled,
            missing,
        },
    )
}

fn verdict(
    artifact: &Artifact,
    pyc: usize,
    source: usize,
    python: Option<(u32, u32)>,
    tag: Option<&str>,
) -> Verdict {
    let path = &artifact.entries[pyc].path;
    // the interpreter tag in the name already says another Python wrote it:
    // no need to inflate anything (Python itself goes by the name first)
    if let Some(tag) = tag {
        if !path.ends_with(tag) {
            return Verdict::OtherVersion(tag_version(path));
        }
    }
    let Ok(header) = artifact.read_prefix(pyc, HEADER) else {
        return Verdict::Stale;
    };
    if header.len() < HEADER || header[2..4] != [b'\r', b'\n'] {
        return Verdict::Stale;
    }
    let magic = u16::from_le_bytes([header[0], header[1]]);
    let compiled_for = python_for_magic(magic);
    match python {
        Some(version)
            if !magic_matches(magic, version) || tag.is_some_and(|t| !path.ends_with(t)) =>
        {
            return Verdict::OtherVersion(compiled_for);
        }
        _ => {}
    }
    let flags = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default());
    if flags & 1 == 1 {
        // hash-based: unchecked is always used; checked re-hashes the source
        return Verdict::Usable;
    }
    let recorded_mtime = i64::from(u32::from_le_bytes(
        header[8..12].try_into().unwrap_or_default(),
    ));
    let recorded_size = u32::from_le_bytes(header[12..16].try_into().unwrap_or_default());
    let py = &artifact.entries[source];
    if u64::from(recorded_size) != py.unzipped_bytes & 0xffff_ffff {
        return Verdict::Stale;
    }
    // Python compares the seconds exactly: a zip without extended
    // timestamps rounds odd seconds away, and those .pyc files go unused.
    // The DOS time is at hand; the extended one is read only when it differs.
    match py.modified {
        Some(mtime)
            if mtime != recorded_mtime
                && artifact.extracted_mtime(source) != Some(recorded_mtime) =>
        {
            Verdict::Stale
        }
        _ => Verdict::Usable,
    }
}

/// `mod.cpython-311.pyc` → (3, 11).
fn tag_version(path: &str) -> Option<(u32, u32)> {
    let at = path.rfind(".cpython-")? + ".cpython-".len();
    let digits: String = path[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let (major, minor) = digits.split_at_checked(1)?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// `pkg/__pycache__/mod.cpython-312.pyc` → `pkg/mod.py`. Optimised
/// (`.opt-1`) bytecode is read only under `python -O`, and a legacy `.pyc`
/// beside its source never while the source exists: neither counts.
fn cached_source(path: &str) -> Option<String> {
    if path.contains(".opt-") {
        return None;
    }
    let stem = path.strip_suffix(".pyc")?;
    let (dir, file) = stem.rsplit_once('/').unwrap_or(("", stem));
    let outer = dir.strip_suffix("__pycache__")?;
    let module = file.split('.').next()?;
    Some(format!("{outer}{module}.py"))
}

fn sizes(artifact: &Artifact, entries: &[usize]) -> Saving {
    let mut s = Saving::default();
    for &i in entries {
        s.unzipped_bytes += artifact.entries[i].unzipped_bytes;
        s.zipped_bytes += artifact.entries[i].zipped_bytes;
    }
    s
}

fn location(artifact: &Artifact, entries: &[usize]) -> Location {
    Location {
        path: entries
            .first()
            .map(|&i| artifact.entries[i].path.clone())
            .unwrap_or_default(),
        line: None,
        column: None,
    }
}

/// "boto3 1.2 MiB, the function's own code 20 KiB"
fn top_owners(artifact: &Artifact, inventory: &Inventory, entries: &[usize]) -> String {
    let mut by_owner: HashMap<String, u64> = HashMap::new();
    for &i in entries {
        let name = match inventory.owners[i] {
            Owner::Package(p) => inventory.packages[p].name.clone(),
            Owner::App => inventory.own_files_label().to_string(),
            Owner::Unowned => "unowned files".to_string(),
        };
        *by_owner.entry(name).or_default() += artifact.entries[i].unzipped_bytes;
    }
    let mut owners: Vec<(String, u64)> = by_owner.into_iter().collect();
    owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut text: Vec<String> = owners
        .iter()
        .take(3)
        .map(|(n, b)| format!("{n} {}", human_bytes(*b)))
        .collect();
    if owners.len() > 3 {
        text.push(format!("{} more", owners.len() - 3));
    }
    text.join(", ")
}

#[cfg(test)]
mod tests {
    use super::cached_source;

    #[test]
    fn cached_bytecode_names_its_source() {
        assert_eq!(
            cached_source("a/__pycache__/m.cpython-312.pyc").as_deref(),
            Some("a/m.py")
        );
        assert_eq!(cached_source("__pycache__/m.cpython-311.opt-1.pyc"), None);
        assert_eq!(
            cached_source("__pycache__/m.cpython-311.pyc").as_deref(),
            Some("m.py")
        );
        assert_eq!(cached_source("a/m.pyc"), None);
    }
}
