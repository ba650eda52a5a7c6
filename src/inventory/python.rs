//! Python distributions: `*.dist-info` (METADATA, RECORD, top_level.txt) and
//! `*.egg-info` (PKG-INFO, installed-files.txt, top_level.txt), wherever they
//! sit: the function root (`pip install -t .`), a layer's `python/` or
//! `python/lib/python3.x/site-packages`.
//!
//! RECORD is the authority: it lists every installed file, including those
//! outside the package directory (top-level modules, `bin/` scripts). Files
//! a RECORD does not list — bytecode compiled after install, say — go to the
//! distribution whose RECORD alone owns the directory they are in.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::{
    join_relative, parent_dir, Claims, DeclaredDependency, DependencyKind, Ecosystem, Package,
};
use crate::artifact::{Artifact, EntryKind, Warning};

/// One metadata directory, read.
struct Distribution {
    dir: String,
    site_root: String,
    manifest: String,
    /// The line of its `Name:` header.
    name_line: Option<u32>,
    name: String,
    version: Option<String>,
    requires: Vec<DeclaredDependency>,
    /// Installed files as listed (RECORD or installed-files.txt), resolved to
    /// artifact paths; `None` when the list is missing.
    installed: Option<Vec<String>>,
    top_level: Vec<String>,
    warnings: Vec<Warning>,
}

pub(super) fn claim(artifact: &Artifact, claims: &mut Claims) {
    let mut dirs: Vec<&str> = artifact
        .entries
        .iter()
        .filter(|e| !e.unsafe_name)
        .filter_map(|e| metadata_dir(&e.path))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    dirs.sort_unstable();
    if dirs.is_empty() {
        return;
    }
    let distributions: Vec<Distribution> = dirs
        .par_iter()
        .map(|dir| read_distribution(artifact, dir))
        .collect();

    let mut votes: HashMap<String, Option<usize>> = HashMap::new();
    let mut fallbacks: Vec<(usize, String, Vec<String>)> = Vec::new();
    for dist in distributions {
        claims.warnings.extend(dist.warnings);
        let id = claims.add_package(Package {
            manifest_line: dist.name_line,
            dependencies: dist.requires,
            requested: artifact.find(&format!("{}/REQUESTED", dist.dir)).is_some(),
            ..Package::found(
                Ecosystem::Pypi,
                dist.name,
                dist.version,
                dist.dir.clone(),
                dist.manifest,
            )
        });
        claims.dirs.insert(dist.dir.clone(), id);
        match dist.installed {
            Some(files) => {
                for file in files {
                    vote_for_ancestors(&file, &dist.site_root, id, &mut votes);
                    claims.files.insert(file, id);
                }
            }
            None => fallbacks.push((id, dist.site_root, dist.top_level)),
        }
    }
    for (dir, owner) in votes {
        if let Some(id) = owner {
            claims.dirs.entry(dir).or_insert(id);
        }
    }
    for (id, site_root, top_level) in fallbacks {
        claim_top_level(artifact, claims, id, &site_root, &top_level);
    }
}

/// The `.dist-info` / `.egg-info` directory an entry lives in (or is).
fn metadata_dir(path: &str) -> Option<&str> {
    if !path.contains("-info") {
        return None;
    }
    let mut end = 0;
    for part in path.split('/') {
        end += part.len();
        if part.ends_with(".dist-info") || part.ends_with(".egg-info") {
            return Some(&path[..end]);
        }
        end += 1;
    }
    None
}

fn read_distribution(artifact: &Artifact, dir: &str) -> Distribution {
    let site_root = parent_dir(dir).to_string();
    let dir_name = dir.rsplit('/').next().unwrap_or(dir);
    let is_dist_info = dir_name.ends_with(".dist-info");
    let (dir_project, dir_version) = name_from_directory(dir_name);
    let mut warnings = Vec::new();

    // An egg-info may be a single file holding PKG-INFO itself.
    let manifest = match artifact.find(dir) {
        Some(i) if artifact.entries[i].kind == EntryKind::File => dir.to_string(),
        _ if is_dist_info => format!("{dir}/METADATA"),
        _ => format!("{dir}/PKG-INFO"),
    };
    let mut name_line = None;
    let headers = match artifact.find(&manifest).map(|i| artifact.read_text(i)) {
        Some(Ok(text)) => {
            name_line = text
                .lines()
                .take_while(|l| !l.is_empty())
                .position(|l| l.to_ascii_lowercase().starts_with("name:"))
                .map(|i| i as u32 + 1);
            parse_headers(&text)
        }
        Some(Err(e)) => {
            warnings.push(Warning::at(&manifest, format!("cannot read: {e}")));
            Vec::new()
        }
        None => {
            warnings.push(Warning::at(
                dir,
                format!(
                    "{} is missing; name and version taken from the directory name",
                    file_name(&manifest)
                ),
            ));
            Vec::new()
        }
    };
    let header = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let name = match header("Name").filter(|n| !n.is_empty()) {
        Some(name) => name,
        None => {
            if artifact.find(&manifest).is_some() {
                warnings.push(Warning::at(
                    &manifest,
                    format!("no Name: field; using the directory name {dir_project}"),
                ));
            }
            dir_project.clone()
        }
    };
    let version = header("Version").or(dir_version);
    let requires = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Requires-Dist"))
        .filter_map(|(_, v)| parse_requirement(v))
        .collect();

    let installed = if is_dist_info {
        read_record(artifact, dir, &site_root, &mut warnings)
    } else {
        read_installed_files(artifact, dir)
    };
    let top_level = match artifact
        .find(&format!("{dir}/top_level.txt"))
        .and_then(|i| artifact.read_text(i).ok())
    {
        Some(text) => text
            .lines()
            .map(|l| l.trim().replace('\\', "/"))
            .filter(|l| !l.is_empty())
            .collect(),
        None => vec![name.to_lowercase().replace(['-', '.'], "_")],
    };
    if installed.is_none() && is_dist_info {
        warnings.push(Warning::at(
            format!("{dir}/RECORD"),
            format!(
                "missing; files given to {name} by its top-level names ({})",
                top_level.join(", ")
            ),
        ));
    }
    Distribution {
        dir: dir.to_string(),
        site_root,
        manifest,
        name_line,
        name,
        version,
        requires,
        installed,
        top_level,
        warnings,
    }
}

/// RECORD rows are CSV: path, hash, size. Paths are relative to the
/// directory holding the .dist-info; scripts installed with `pip -t` are
/// recorded relative to a prefix that no longer exists (`../../../bin/x`),
/// so a path that does not resolve is retried below the site root.
fn read_record(
    artifact: &Artifact,
    dir: &str,
    site_root: &str,
    warnings: &mut Vec<Warning>,
) -> Option<Vec<String>> {
    let record_path = format!("{dir}/RECORD");
    let text = match artifact.read_text(artifact.find(&record_path)?) {
        Ok(text) => text,
        Err(e) => {
            warnings.push(Warning::at(&record_path, format!("cannot read: {e}")));
            return None;
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut files = Vec::new();
    for (line, row) in reader.records().enumerate() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                warnings.push(Warning::at(
                    &record_path,
                    format!("line {}: unreadable row ({e}); skipped", line + 1),
                ));
                continue;
            }
        };
        let Some(listed) = row.get(0).filter(|p| !p.is_empty()) else {
            continue;
        };
        if let Some(path) = resolve_installed(artifact, site_root, listed) {
            files.push(path);
        }
    }
    Some(files)
}

/// installed-files.txt lists paths relative to the .egg-info directory.
fn read_installed_files(artifact: &Artifact, dir: &str) -> Option<Vec<String>> {
    let index = artifact.find(&format!("{dir}/installed-files.txt"))?;
    let text = artifact.read_text(index).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .filter_map(|l| resolve_installed(artifact, dir, l))
            .collect(),
    )
}

fn resolve_installed(artifact: &Artifact, base: &str, listed: &str) -> Option<String> {
    if let Some(path) = join_relative(base, listed) {
        if artifact.find(&path).is_some() {
            return Some(path);
        }
    }
    let tail = listed.trim_start_matches("../");
    if tail.len() != listed.len() {
        let path = join_relative(parent_dir_of_site(base), tail)?;
        if artifact.find(&path).is_some() {
            return Some(path);
        }
    }
    None
}

/// For `pip -t DIR`, scripts land in `DIR/bin`; DIR is the site root itself.
fn parent_dir_of_site(base: &str) -> &str {
    match base.strip_suffix(".egg-info") {
        Some(_) => parent_dir(base),
        None => base,
    }
}

fn vote_for_ancestors(
    file: &str,
    site_root: &str,
    id: usize,
    votes: &mut HashMap<String, Option<usize>>,
) {
    let Some(inside) = (if site_root.is_empty() {
        Some(file)
    } else {
        file.strip_prefix(site_root)
            .and_then(|r| r.strip_prefix('/'))
    }) else {
        return;
    };
    let top = inside.split('/').next().unwrap_or("");
    // bin/ and __pycache__/ at the site root are shared by every distribution
    if matches!(top, "bin" | "__pycache__") || top.ends_with(".data") {
        return;
    }
    let mut dir = parent_dir(file);
    while dir.len() > site_root.len() {
        votes
            .entry(dir.to_string())
            .and_modify(|owner| {
                if *owner != Some(id) {
                    *owner = None;
                }
            })
            .or_insert(Some(id));
        dir = parent_dir(dir);
    }
}

/// Without RECORD: the distribution's top-level packages (directories) and
/// modules (`six.py`, `_cffi_backend.cpython-311-x86_64-linux-gnu.so`).
fn claim_top_level(
    artifact: &Artifact,
    claims: &mut Claims,
    id: usize,
    site_root: &str,
    top_level: &[String],
) {
    for top in top_level {
        let Some(dir) = join_relative(site_root, top) else {
            continue;
        };
        claims.dirs.entry(dir).or_insert(id);
    }
    for entry in &artifact.entries {
        if parent_dir(&entry.path) != site_root || entry.kind != EntryKind::File {
            continue;
        }
        let name = file_name(&entry.path);
        let stem = name.split('.').next().unwrap_or(name);
        let is_module = [".py", ".so", ".pyd", ".pyc"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if is_module && top_level.iter().any(|t| t == stem) {
            claims.files.entry(entry.path.clone()).or_insert(id);
        }
    }
}

/// The Python version the artifact was built for, from where pip put it
/// (`lib/python3.12/site-packages`) or from extension module tags
/// (`*.cpython-312-x86_64-linux-gnu.so`); bytecode tags
/// (`*.cpython-312.pyc`) only as a last resort, since pip compiles with
/// whatever Python runs it.
pub(super) fn detect_version(artifact: &Artifact) -> Option<(u32, u32)> {
    let mut from_extension = None;
    let mut from_bytecode = None;
    // built once: every path of the artifact is searched
    let site_packages = memchr::memmem::Finder::new("/python3.");
    for entry in &artifact.entries {
        if let Some(at) = site_packages.find(entry.path.as_bytes()) {
            let rest = &entry.path[at + "/python3.".len()..];
            let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if rest[minor.len()..].starts_with("/site-packages") {
                if let Ok(minor) = minor.parse() {
                    return Some((3, minor));
                }
            }
        }
        let slot = if entry.path.ends_with(".so") {
            &mut from_extension
        } else if entry.path.ends_with(".pyc") {
            &mut from_bytecode
        } else {
            continue;
        };
        if slot.is_none() {
            if let Some(at) = entry.path.find(".cpython-3") {
                let digits: String = entry.path[at + ".cpython-3".len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                *slot = digits.parse().ok().map(|minor| (3, minor));
            }
        }
    }
    from_extension.or(from_bytecode)
}

/// `pkg/__pycache__/mod.cpython-311.pyc` → `pkg/mod.py`; `pkg/mod.pyc` →
/// `pkg/mod.py`. Bytecode belongs to whoever owns its source.
pub(super) fn compiled_source(path: &str) -> Option<String> {
    let stem_path = path.strip_suffix(".pyc")?;
    let dir = parent_dir(stem_path);
    let file = file_name(stem_path);
    match dir.strip_suffix("__pycache__") {
        Some(outer) => {
            let module = file.split('.').next()?;
            Some(format!("{outer}{module}.py"))
        }
        None if dir.is_empty() => Some(format!("{file}.py")),
        None => Some(format!("{dir}/{file}.py")),
    }
}

/// `requests-2.31.0.dist-info` → ("requests", Some("2.31.0")).
fn name_from_directory(dir_name: &str) -> (String, Option<String>) {
    let stem = dir_name
        .strip_suffix(".dist-info")
        .or_else(|| dir_name.strip_suffix(".egg-info"))
        .unwrap_or(dir_name);
    match stem.split_once('-') {
        Some((name, rest)) => {
            let version = rest.split('-').next().unwrap_or(rest);
            (name.to_string(), Some(version.to_string()))
        }
        None => (stem.to_string(), None),
    }
}

/// Email-style headers up to the first blank line (the body is the README).
fn parse_headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        // only an empty line ends the headers: a line of spaces is a folded
        // continuation (pandas' License field holds a whole license text)
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // folded continuation of a long header such as License
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

/// `requests (>=2.0) ; extra == "socks"` → name `requests`, the rest as written.
fn parse_requirement(spec: &str) -> Option<DeclaredDependency> {
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    if name.is_empty() {
        return None;
    }
    let requirement = spec[end..].trim().to_string();
    let kind = if requirement.contains("extra ==") || requirement.contains("extra==") {
        DependencyKind::Optional
    } else {
        DependencyKind::Normal
    };
    Some(DeclaredDependency {
        name: name.to_string(),
        requirement,
        kind,
    })
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_dash {
                out.push('-');
            }
            last_dash = true;
        } else {
            out.extend(c.to_lowercase());
            last_dash = false;
        }
    }
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_maps_to_its_source() {
        assert_eq!(
            compiled_source("python/six/__pycache__/x.cpython-311.pyc").as_deref(),
            Some("python/six/x.py")
        );
        assert_eq!(
            compiled_source("__pycache__/six.cpython-312.opt-1.pyc").as_deref(),
            Some("six.py")
        );
        assert_eq!(compiled_source("a/mod.pyc").as_deref(), Some("a/mod.py"));
        assert_eq!(compiled_source("a/mod.py"), None);
    }

    #[test]
    fn requirement_names_and_extras() {
        let r = parse_requirement("urllib3 (<3,>=1.21.1)").unwrap();
        assert_eq!(r.name, "urllib3");
        assert_eq!(r.kind, DependencyKind::Normal);
        let r = parse_requirement("PySocks!=1.5.7,>=1.5.6; extra == \"socks\"").unwrap();
        assert_eq!(r.name, "PySocks");
        assert_eq!(r.kind, DependencyKind::Optional);
    }

    #[test]
    fn folded_headers_with_blank_looking_lines_do_not_end_the_headers() {
        let text = "Name: pandas\nLicense: BSD\n        \n        Copyright\nRequires-Dist: numpy>=1.26.0; python_version >= \"3.12\"\n\nbody: x\n";
        let headers = parse_headers(text);
        let keys: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["Name", "License", "Requires-Dist"]);
    }

    #[test]
    fn names_normalize_per_pep_503() {
        assert_eq!(normalize("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalize("zope.interface"), "zope-interface");
    }

    #[test]
    fn metadata_directory_names() {
        assert_eq!(
            name_from_directory("python_dateutil-2.9.0.post0.dist-info"),
            (
                "python_dateutil".to_string(),
                Some("2.9.0.post0".to_string())
            )
        );
        assert_eq!(
            metadata_dir("a/six-1.16.0.dist-info/RECORD"),
            Some("a/six-1.16.0.dist-info")
        );
        assert_eq!(metadata_dir("six.py"), None);
    }
}
