//! `common/foreign-platform-binary`: native files built for another OS or
//! instruction set than the function's. Lambda runs Linux on x86_64 or
//! arm64; a Mach-O `.node`, a Windows `.dll` or an arm64 `.so` in an
//! x86_64 function can never load there and is pure weight (or, when it is
//! the only build of a module the code needs, a crash at first use).

use std::collections::BTreeMap;

use object::elf::{FileHeader32, FileHeader64, EM_AARCH64, EM_X86_64};
use object::read::elf::FileHeader;
use object::{Endianness, FileKind};

use super::{Finding, Level, Location, Saving};
use crate::artifact::{Artifact, EntryKind};
use crate::inventory::{Inventory, Owner};
use crate::units::human_bytes;

pub const RULE: &str = "common/foreign-platform-binary";

/// Enough of a file to identify its format and machine (PE needs the DOS
/// stub's pointer to its header).
const HEADER_BYTES: usize = 1024;

/// What a native file was built for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Platform {
    Linux(&'static str),
    MacOs,
    Windows,
}

impl Platform {
    pub fn describe(&self) -> String {
        match self {
            Platform::Linux(arch) => format!("Linux {arch}"),
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
        FileKind::Elf64 => {
            let h = FileHeader64::<Endianness>::parse(header).ok()?;
            let endian = h.endian().ok()?;
            Some(Platform::Linux(machine_name(h.e_machine(endian).0)))
        }
        FileKind::Elf32 => {
            let h = FileHeader32::<Endianness>::parse(header).ok()?;
            let endian = h.endian().ok()?;
            Some(Platform::Linux(machine_name(h.e_machine(endian).0)))
        }
        FileKind::MachO32 | FileKind::MachO64 | FileKind::MachOFat32 | FileKind::MachOFat64 => {
            Some(Platform::MacOs)
        }
        FileKind::Pe32 | FileKind::Pe64 => Some(Platform::Windows),
        _ => None,
    }
}

fn machine_name(machine: u16) -> &'static str {
    match machine {
        m if m == EM_X86_64.0 => "x86_64",
        m if m == EM_AARCH64.0 => "arm64",
        3 => "x86 (32-bit)",
        40 => "arm (32-bit)",
        _ => "another architecture",
    }
}

/// `tagged` are Python distributions from manylinux/musllinux wheels, which
/// hold Linux binaries only.
pub fn check(
    artifact: &Artifact,
    inventory: &Inventory,
    arm64: bool,
    tagged: &[usize],
) -> Vec<Finding> {
    let wanted = super::compat::function_machine(arm64);
    // owner label → (platforms seen, files, bytes)
    let mut foreign: BTreeMap<String, (Vec<String>, Vec<usize>, Saving)> = BTreeMap::new();
    for (i, entry) in artifact.entries.iter().enumerate() {
        if entry.kind != EntryKind::File || entry.unsafe_name || !is_native_candidate(&entry.path) {
            continue;
        }
        if matches!(inventory.owners[i], Owner::Package(p) if tagged.contains(&p)) {
            continue;
        }
        let Ok(header) = artifact.read_prefix(i, HEADER_BYTES) else {
            continue;
        };
        let Some(platform) = platform(&header) else {
            continue;
        };
        // a Linux binary for the other machine is runtime/wrong-architecture
        if matches!(platform, Platform::Linux(_)) {
            continue;
        }
        let label = match inventory.owners[i] {
            Owner::Package(p) => {
                let p = &inventory.packages[p];
                format!("{}@{}", p.name, p.version.as_deref().unwrap_or("?"))
            }
            Owner::App => inventory.own_files_label().to_string(),
            Owner::Unowned => "unowned files".to_string(),
        };
        let slot = foreign.entry(label).or_default();
        let described = platform.describe();
        if !slot.0.contains(&described) {
            slot.0.push(described);
        }
        slot.1.push(i);
        slot.2.unzipped_bytes += entry.unzipped_bytes;
        slot.2.zipped_bytes += entry.zipped_bytes;
    }
    foreign
        .into_iter()
        .map(|(label, (platforms, files, saving))| {
            let first = &artifact.entries[files[0]].path;
            let count = if files.len() == 1 { "1 native file".to_string() } else { format!("{} native files", files.len()) };
            Finding {
                rule: RULE.to_string(),
                level: Level::Warn,
                message: format!(
                    "{label}: {count} built for {} ({}), which cannot load on Lambda's Linux {wanted}",
                    platforms.join(" and "),
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
