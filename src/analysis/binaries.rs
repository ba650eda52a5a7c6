//! `common/foreign-platform-binary`: native files built for another OS or
//! instruction set than the function's. Lambda runs Linux on x86_64 or
//! arm64; a Mach-O `.node`, a Windows `.dll` or an arm64 `.so` in an
//! x86_64 function can never load there and is pure weight (or, when it is
//! the only build of a module the code needs, a crash at first use).

use std::collections::BTreeMap;

use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::FileHeader;
use object::{Endianness, FileKind};

use super::native;
use super::{Finding, Level, Location, Saving};
use crate::artifact::{Artifact, EntryKind};
use crate::inventory::{Inventory, Owner};
use crate::units::human_bytes;

pub const RULE: &str = "common/foreign-platform-binary";

/// Enough of a file to identify its format and machine (PE needs the DOS
/// stub's pointer to its header; ELF notes follow the program headers).
const HEADER_BYTES: usize = 4096;

/// What a native file was built for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Platform {
    Linux(String),
    /// Built with Android's NDK: bionic, not glibc or musl.
    Android(String),
    MacOs,
    Windows,
}

impl Platform {
    pub fn describe(&self) -> String {
        match self {
            Platform::Linux(arch) => format!("Linux {arch}"),
            Platform::Android(arch) => format!("Android {arch}"),
            Platform::MacOs => "macOS (Mach-O)".to_string(),
            Platform::Windows => "Windows (PE)".to_string(),
        }
    }
}

/// Files worth opening: native extensions, shared libraries, executables
/// in `bin/` directories and a custom runtime's `bootstrap`.
pub fn is_native_candidate(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    // bytes, not chars: a name may hold any UTF-8 (or replacement) text
    let ends_with = |suffix: &str| {
        let name = name.as_bytes();
        name.len() >= suffix.len()
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    [".node", ".so", ".dylib", ".dll", ".exe", ".pyd"]
        .iter()
        .any(|s| ends_with(s))
        || name.contains(".so.")
        || crate::inventory::binary::is_executable_candidate(path)
}

/// Reads a file's header; `None` when it is not a native binary.
pub fn platform(header: &[u8]) -> Option<Platform> {
    match FileKind::parse(header).ok()? {
        kind @ (FileKind::Elf64 | FileKind::Elf32) => {
            let machine = if kind == FileKind::Elf64 {
                let h = FileHeader64::<Endianness>::parse(header).ok()?;
                h.e_machine(h.endian().ok()?)
            } else {
                let h = FileHeader32::<Endianness>::parse(header).ok()?;
                h.e_machine(h.endian().ok()?)
            };
            let machine = native::machine_name(machine.0);
            Some(if native::is_android(header) {
                Platform::Android(machine)
            } else {
                Platform::Linux(machine)
            })
        }
        FileKind::MachO32 | FileKind::MachO64 | FileKind::MachOFat32 | FileKind::MachOFat64 => {
            Some(Platform::MacOs)
        }
        FileKind::Pe32 | FileKind::Pe64 => Some(Platform::Windows),
        _ => None,
    }
}

/// `tagged` are Python distributions from manylinux/musllinux wheels, which
/// hold Linux binaries only; `elf` the ELF files the runtime checks read,
/// whose platform is known without reading them again.
pub fn check(
    artifact: &Artifact,
    inventory: &Inventory,
    arm64: bool,
    tagged: &[usize],
    elf: &[super::compat::NativeFile],
) -> Vec<Finding> {
    let wanted = super::compat::function_machine(arm64);
    let read_as_elf: std::collections::HashMap<&str, &super::compat::NativeFile> =
        elf.iter().map(|f| (f.path.as_str(), f)).collect();
    // owner label → (platforms seen, files, bytes)
    let mut foreign: BTreeMap<String, (Vec<Platform>, Vec<usize>, Saving)> = BTreeMap::new();
    for (i, entry) in artifact.entries.iter().enumerate() {
        if entry.kind != EntryKind::File || entry.unsafe_name || !is_native_candidate(&entry.path) {
            continue;
        }
        if matches!(inventory.owners[i], Owner::Package(p) if tagged.contains(&p)) {
            continue;
        }
        let platform = match read_as_elf.get(entry.path.as_str()) {
            Some(file) if file.android => Platform::Android(file.machine.clone()),
            Some(file) => Platform::Linux(file.machine.clone()),
            None => {
                let Ok(header) = artifact.read_prefix(i, HEADER_BYTES) else {
                    continue;
                };
                let Some(platform) = platform(&header) else {
                    continue;
                };
                platform
            }
        };
        // a Linux binary for the other machine is runtime/wrong-architecture
        if matches!(platform, Platform::Linux(_)) {
            continue;
        }
        let label = match inventory.owners[i] {
            Owner::Package(p) => {
                let p = &inventory.packages[p];
                p.label()
            }
            Owner::App => inventory.own_files_label().to_string(),
            Owner::Unowned => "unowned files".to_string(),
        };
        let slot = foreign.entry(label).or_default();
        if !slot.0.contains(&platform) {
            slot.0.push(platform);
        }
        slot.1.push(i);
        slot.2.unzipped_bytes += entry.unzipped_bytes;
        slot.2.zipped_bytes += entry.zipped_bytes;
    }
    foreign
        .into_iter()
        .map(|(label, (mut platforms, files, saving))| {
            let first = &artifact.entries[files[0]].path;
            platforms.sort();
            let platforms: Vec<String> = platforms.iter().map(Platform::describe).collect();
            let count = if files.len() == 1 { "1 native file".to_string() } else { format!("{} native files", files.len()) };
            Finding {
                rule: RULE.to_string(),
                level: Level::Warn,
                message: format!(
                    "{label}: {count} built for {} ({}), which cannot load on Lambda's Linux {wanted}",
                    crate::units::and_list(&platforms),
                    human_bytes(saving.unzipped_bytes)
                ),
                location: Location {
                    path: first.clone(),
                    line: None,
                    column: None,
                },
                package: label.contains('@').then(|| label.clone()),
                saving: Some(saving),
                concerns: Some(saving),
                known: false,
                fix: Some(format!(
                    "install for the target platform: `npm install --os=linux --cpu={}` (or build in the runtime's image), or `pip install --platform manylinux2014_{} --only-binary=:all:`; set --arch if the function runs on the other architecture",
                    if arm64 { "arm64" } else { "x64" },
                    if arm64 { "aarch64" } else { "x86_64" }
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_native_candidate;

    #[test]
    fn candidates_by_name_whatever_the_characters() {
        assert!(is_native_candidate(
            "node_modules/sharp/build/Release/sharp.NODE"
        ));
        assert!(is_native_candidate("numpy.libs/libopenblas.so.0"));
        assert!(is_native_candidate("bootstrap"));
        assert!(!is_native_candidate("caf\u{e9}.js"));
        assert!(!is_native_candidate("\u{fffd}\u{fffd}"));
    }
}
