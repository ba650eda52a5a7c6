//! Packages compiled into a binary: a custom runtime's `bootstrap` (or an
//! executable in `bin/`) built by Go, whose build info lists every module
//! (`.go.buildinfo`: Go version, main module, `dep` lines, build settings;
//! no edges), or by Rust with cargo-auditable, whose `.dep-v0` section is
//! the dependency graph as zlib-compressed JSON. What the binary carries for
//! debuggers (DWARF, symbol tables) is measured for `binary/debug-info`.

use std::io::Read;

use object::{Object, ObjectSection, ObjectSymbol};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Claims, DeclaredDependency, DependencyKind, Ecosystem, Package};
use crate::artifact::{Artifact, EntryKind, Warning};

/// Binaries bigger than this are not read whole.
const BINARY_LIMIT: u64 = 512 * 1024 * 1024;
const GO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// What one executable says about how it was built.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BinaryInfo {
    pub path: String,
    /// `go` or `rust`, when the binary says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `go1.22.3`; Rust binaries do not record their compiler.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<String>,
    /// The Go main module or the Rust root crate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main: Option<String>,
    /// Packages it lists, the main one left out.
    pub packages: usize,
    /// Go build settings (`-ldflags`, `CGO_ENABLED`, `GOARCH`, `vcs.revision`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<(String, String)>,
    /// Bytes of DWARF sections and symbol tables, which `strip` removes.
    pub debug_bytes: u64,
    /// ELF machine: `x86_64`, `arm64`.
    pub machine: String,
    /// Why no dependency list was read, when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The function's own executables: a custom runtime's `bootstrap`, and
/// extension-less files in a `bin/` directory (a layer's `bin/` included).
pub fn is_executable_candidate(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "bootstrap"
        || ((path.starts_with("bin/") || path.contains("/bin/")) && !name.contains('.'))
}

pub(super) fn claim(artifact: &Artifact, claims: &mut Claims, binaries: &mut Vec<BinaryInfo>) {
    let candidates: Vec<usize> = artifact
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.kind == EntryKind::File && !e.unsafe_name && is_executable_candidate(&e.path)
        })
        .map(|(i, _)| i)
        .collect();
    let read: Vec<(usize, Result<Option<Built>, String>)> = candidates
        .par_iter()
        .map(|&i| {
            let path = &artifact.entries[i].path;
            let info = artifact
                .read(i, BINARY_LIMIT)
                .map_err(|e| e.to_string())
                .and_then(|bytes| read_binary(path, &bytes));
            (i, info)
        })
        .collect();
    for (i, result) in read {
        let path = artifact.entries[i].path.clone();
        match result {
            Ok(Some((info, packages))) => {
                for package in packages {
                    claims.add_package(package);
                }
                binaries.push(info);
            }
            Ok(None) => {}
            Err(reason) => claims
                .warnings
                .push(Warning::at(&path, format!("binary not read: {reason}"))),
        }
    }
}

/// An executable's build facts and the packages compiled into it.
pub type Built = (BinaryInfo, Vec<Package>);

/// `Ok(None)`: not an ELF file.
pub fn read_binary(path: &str, bytes: &[u8]) -> Result<Option<Built>, String> {
    if !bytes.starts_with(b"\x7fELF") {
        return Ok(None);
    }
    let file = object::File::parse(bytes).map_err(|e| format!("not a readable ELF file ({e})"))?;
    let mut info = BinaryInfo {
        path: path.to_string(),
        machine: match file.architecture() {
            object::Architecture::X86_64 => "x86_64".to_string(),
            object::Architecture::Aarch64 => "arm64".to_string(),
            other => format!("{other:?}").to_lowercase(),
        },
        ..BinaryInfo::default()
    };
    info.debug_bytes = file
        .sections()
        .filter(|s| {
            s.name().is_ok_and(|n| {
                n.starts_with(".debug_")
                    || n.starts_with(".zdebug_")
                    || n == ".symtab"
                    || n == ".strtab"
            })
        })
        .map(|s| s.size())
        .sum();
    let mut packages = Vec::new();
    // the whole-file search for Rust's paths runs only when Go said nothing
    let rustc = |bytes: &[u8]| rustc_commit(bytes).map(|c| format!("rustc (commit {c})"));
    if let Some(section) = file.section_by_name(".dep-v0") {
        info.toolchain = rustc(bytes);
        let data = section
            .data()
            .map_err(|e| format!(".dep-v0 unreadable ({e})"))?;
        match cargo_auditable(path, data) {
            Ok((main, found)) => {
                info.language = Some("rust".to_string());
                info.main = Some(main);
                info.packages = found.len();
                packages = found;
            }
            Err(reason) => {
                info.note = Some(format!(
                    "its cargo-auditable dependency list is not trusted: {reason}"
                ))
            }
        }
    } else if let Some(build) = go_build_info(&file, bytes) {
        info.language = Some("go".to_string());
        info.toolchain = Some(build.version);
        info.main = build.main.clone();
        info.settings = build.settings;
        info.packages = build.deps.len();
        packages = build
            .deps
            .into_iter()
            // Go's build info has no edges: every module is listed flat
            .map(|(name, version)| {
                Package::found(
                    Ecosystem::Go,
                    name,
                    Some(version),
                    path.to_string(),
                    path.to_string(),
                )
            })
            .collect();
    } else if let Some(toolchain) = rustc(bytes).map(Some).or_else(|| {
        file.symbols()
            .any(|s| s.name().is_ok_and(|n| n.contains("rust_begin_unwind")))
            .then_some(None)
    }) {
        info.language = Some("rust".to_string());
        info.toolchain = toolchain;
        info.note = Some("the binary carries no dependency list; build it with `cargo auditable build --release` to embed one".to_string());
    } else {
        info.note = Some("no Go build info and no cargo-auditable section".to_string());
    }
    Ok(Some((info, packages)))
}

/// The standard library's source paths name the compiler's commit:
/// `/rustc/59807616e1fa…/library/core/…` → the first 12 hex digits.
fn rustc_commit(bytes: &[u8]) -> Option<String> {
    let at = bytes.windows(7).position(|w| w == b"/rustc/")? + 7;
    let hash: String = bytes[at..]
        .iter()
        .take(40)
        .take_while(|b| b.is_ascii_hexdigit())
        .map(|&b| char::from(b))
        .collect();
    (hash.len() == 40).then(|| hash[..12].to_string())
}

struct GoBuild {
    version: String,
    main: Option<String>,
    deps: Vec<(String, String)>,
    settings: Vec<(String, String)>,
}

/// Go 1.18+ build info: a 32-byte header (magic, pointer size, flags) and,
/// with flag 2, the version and module strings inline, each prefixed by its
/// length as a varint.
fn go_build_info(file: &object::File, bytes: &[u8]) -> Option<GoBuild> {
    let data: &[u8] = match file.section_by_name(".go.buildinfo") {
        Some(section) => section.data().ok()?,
        None => {
            let at = bytes.windows(GO_MAGIC.len()).position(|w| w == GO_MAGIC)?;
            &bytes[at..]
        }
    };
    if !data.starts_with(GO_MAGIC) || data.len() < 32 || data[15] & 2 == 0 {
        return None;
    }
    let mut rest = &data[32..];
    let version = varint_string(&mut rest)?;
    let modinfo = varint_string(&mut rest)?;
    // the module text sits between two 16-byte sentinels
    let modinfo = if modinfo.len() >= 33 && modinfo.as_bytes()[modinfo.len() - 17] == b'\n' {
        modinfo.get(16..modinfo.len() - 16)?.to_string()
    } else {
        modinfo
    };
    let mut build = GoBuild {
        version,
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
    };
    for line in modinfo.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mod", path, ..] => build.main = Some(path.to_string()),
            ["dep", path, version, ..] => build.deps.push((path.to_string(), version.to_string())),
            // `=> replacement version sum`: the dep above is built from here
            ["=>", path, version, ..] => {
                if let Some(last) = build.deps.last_mut() {
                    last.1 = format!("{} => {path} {version}", last.1);
                }
            }
            ["build", setting] => {
                if let Some((k, v)) = setting.split_once('=') {
                    build.settings.push((k.to_string(), v.to_string()));
                }
            }
            _ => {}
        }
    }
    Some(build)
}

fn varint_string(data: &mut &[u8]) -> Option<String> {
    let (mut length, mut shift, mut used) = (0usize, 0u32, 0usize);
    for &b in data.iter() {
        used += 1;
        length |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 35 {
            return None;
        }
    }
    let text = data.get(used..used.checked_add(length)?)?;
    *data = &data[used + length..];
    Some(String::from_utf8_lossy(text).into_owned())
}

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
    #[serde(default)]
    kind: Option<String>,
}

/// cargo-auditable's `.dep-v0`: zlib JSON of packages whose `dependencies`
/// are indices. Trusted only with one root, indices in range and no cycle.
fn cargo_auditable(path: &str, compressed: &[u8]) -> Result<(String, Vec<Package>), String> {
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(64 * 1024 * 1024)
        .read_to_string(&mut json)
        .map_err(|e| format!("does not inflate ({e})"))?;
    let data: AuditData = serde_json::from_str(&json).map_err(|e| format!("not its JSON ({e})"))?;
    let n = data.packages.len();
    let roots: Vec<usize> = (0..n).filter(|&i| data.packages[i].root).collect();
    let [root] = roots.as_slice() else {
        return Err(format!("{} root packages, expected one", roots.len()));
    };
    if data
        .packages
        .iter()
        .any(|p| p.dependencies.iter().any(|&d| d >= n))
    {
        return Err("a dependency index points past the package list".to_string());
    }
    // depth-first search for a cycle: 0 unvisited, 1 on the stack, 2 done
    let mut state = vec![0u8; n];
    let mut stack: Vec<(usize, usize)> = vec![(*root, 0)];
    state[*root] = 1;
    while let Some((node, next)) = stack.pop() {
        if let Some(&child) = data.packages[node].dependencies.get(next) {
            stack.push((node, next + 1));
            match state[child] {
                0 => {
                    state[child] = 1;
                    stack.push((child, 0));
                }
                1 => return Err("the dependency list has a cycle".to_string()),
                _ => {}
            }
        } else {
            state[node] = 2;
        }
    }
    let main = data.packages[*root].name.clone();
    let packages =
        data.packages
            .iter()
            .enumerate()
            .filter(|&(i, p)| i != *root && p.kind.as_deref() != Some("build"))
            .map(|(_, p)| Package {
                direct: data.packages[*root].dependencies.iter().any(|&d| {
                    data.packages[d].name == p.name && data.packages[d].version == p.version
                }),
                dependencies: p
                    .dependencies
                    .iter()
                    .map(|&d| DeclaredDependency {
                        name: data.packages[d].name.clone(),
                        requirement: data.packages[d].version.clone(),
                        kind: DependencyKind::Normal,
                    })
                    .collect(),
                ..Package::found(
                    Ecosystem::Cargo,
                    p.name.clone(),
                    Some(p.version.clone()),
                    path.to_string(),
                    format!("{path} (.dep-v0)"),
                )
            })
            .collect();
    Ok((main, packages))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compressed(json: &str) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(json.as_bytes()).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn cargo_auditable_lists_are_checked_before_they_are_trusted() {
        let good = r#"{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"itoa","version":"1.0.11","source":"crates.io"}]}"#;
        let (main, packages) = cargo_auditable("bootstrap", &compressed(good)).unwrap();
        assert_eq!(main, "app");
        assert_eq!(packages.len(), 1);
        assert!(packages[0].direct);
        let two_roots = r#"{"packages":[{"name":"a","version":"1","root":true},{"name":"b","version":"1","root":true}]}"#;
        assert!(cargo_auditable("b", &compressed(two_roots))
            .unwrap_err()
            .contains("2 root"));
        let cycle = r#"{"packages":[{"name":"a","version":"1","root":true,"dependencies":[1]},{"name":"b","version":"1","dependencies":[2]},{"name":"c","version":"1","dependencies":[1]}]}"#;
        assert!(cargo_auditable("b", &compressed(cycle))
            .unwrap_err()
            .contains("cycle"));
        let past = r#"{"packages":[{"name":"a","version":"1","root":true,"dependencies":[7]}]}"#;
        assert!(cargo_auditable("b", &compressed(past)).is_err());
        assert!(cargo_auditable("b", b"not zlib").is_err());
    }

    #[test]
    fn executables_are_bootstraps_and_bin_files() {
        assert!(is_executable_candidate("bootstrap"));
        assert!(is_executable_candidate("bin/helper"));
        assert!(is_executable_candidate("tools/bin/helper"));
        assert!(!is_executable_candidate("robin/helper"));
        assert!(!is_executable_candidate("bin/helper.sh"));
    }

    #[test]
    fn truncated_elf_files_are_an_error_not_a_panic() {
        assert!(read_binary("bootstrap", b"\x7fELF\x02\x01\x01").is_err());
        assert!(read_binary("bootstrap", b"#!/bin/sh\nexec node index.js\n")
            .unwrap()
            .is_none());
    }
}
