//! What a native file needs to load: its machine, its dynamic loader
//! (glibc or musl), the shared libraries it names (`DT_NEEDED`) and the
//! newest glibc symbol version it requires (`.gnu.version_r`).
//!
//! Small files are read whole and parsed exactly: program headers, the
//! dynamic section, its string table and the version needs. In a big
//! library the dynamic section comes after the code, so only the first
//! loadable segment is inflated — it holds the dynamic string table, whose
//! library and version names are read from it.

use object::elf::{self, Dyn64, FileHeader64, ProgramHeader64, Vernaux, Verneed};
use object::read::elf::FileHeader;
use object::{Endianness, FileKind};

use crate::artifact::Artifact;

/// Files up to this size are read whole and parsed exactly, through the
/// dynamic section. In bigger ones the dynamic section sits after the code,
/// so only the first loadable segment (headers, dynamic symbols and their
/// string table) is read and its strings are scanned instead.
const READ_WHOLE: u64 = 256 * 1024;
/// The most of a big file's first segment that is read.
const MAX_SEGMENT: usize = 2 * 1024 * 1024;
const HEADER_READ: usize = 4096;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NativeInfo {
    /// `x86_64`, `arm64`, or another machine's name.
    pub machine: String,
    /// Linked against musl (Alpine) rather than glibc.
    pub musl: bool,
    pub needed: Vec<String>,
    /// Newest `GLIBC_x.y` the file requires.
    pub glibc: Option<(u32, u32)>,
}

/// Inspects one ELF entry; `Err` says why it could not be read as one.
pub fn inspect(artifact: &Artifact, index: usize) -> Result<Option<NativeInfo>, String> {
    let size = artifact.entries[index].unzipped_bytes;
    if size <= READ_WHOLE {
        let data = artifact
            .read_prefix(index, size as usize)
            .map_err(|e| e.to_string())?;
        return match parse(&data) {
            Parsed::NotElf => Ok(None),
            Parsed::Done(info) => Ok(Some(info)),
            Parsed::NeedsMore => {
                Err("truncated: its dynamic section lies past the end of the file".into())
            }
            Parsed::Invalid(reason) => Err(reason),
        };
    }
    let header = artifact
        .read_prefix(index, HEADER_READ)
        .map_err(|e| e.to_string())?;
    let Some((mut info, segment_end, dynamic)) = first_segment(&header) else {
        return match FileKind::parse(&header[..]) {
            Ok(FileKind::Elf64 | FileKind::Elf32) => Err("unreadable ELF program headers".into()),
            _ => Ok(None),
        };
    };
    let data = artifact
        .read_prefix(index, segment_end.min(MAX_SEGMENT))
        .map_err(|e| e.to_string())?;
    scan_strings(&data, &mut info);
    if dynamic && info.needed.is_empty() && info.glibc.is_none() {
        // The string table is elsewhere: moved to the end by patchelf
        // (auditwheel-repaired wheels) or placed after the code by the
        // linker. Only the whole file answers exactly.
        let data = artifact
            .read_prefix(index, size as usize)
            .map_err(|e| e.to_string())?;
        if let Parsed::Done(exact) = parse(&data) {
            return Ok(Some(exact));
        }
    }
    Ok(Some(info))
}

/// Machine, the end of the first loadable segment, and whether the file is
/// dynamically linked, from the headers.
fn first_segment(data: &[u8]) -> Option<(NativeInfo, usize, bool)> {
    if !matches!(FileKind::parse(data), Ok(FileKind::Elf64)) {
        return None;
    }
    let header = FileHeader64::<Endianness>::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let phoff = header.e_phoff.get(endian) as usize;
    let phnum = header.e_phnum.get(endian) as usize;
    let size = std::mem::size_of::<ProgramHeader64<Endianness>>();
    let table = data.get(phoff..phoff + phnum * size)?;
    let (headers, _) =
        object::pod::slice_from_bytes::<ProgramHeader64<Endianness>>(table, phnum).ok()?;
    let first = headers
        .iter()
        .find(|h| h.p_type.get(endian) == elf::PT_LOAD)?;
    let mut info = NativeInfo {
        machine: machine_name(header.e_machine(endian).0),
        ..NativeInfo::default()
    };
    for h in headers
        .iter()
        .filter(|h| h.p_type.get(endian) == elf::PT_INTERP)
    {
        let (start, len) = (
            h.p_offset.get(endian) as usize,
            h.p_filesz.get(endian) as usize,
        );
        info.musl |= data
            .get(start..start + len)
            .is_some_and(|b| String::from_utf8_lossy(b).contains("ld-musl"));
    }
    let dynamic = headers
        .iter()
        .any(|h| h.p_type.get(endian) == elf::PT_DYNAMIC);
    Some((
        info,
        (first.p_offset.get(endian) + first.p_filesz.get(endian)) as usize,
        dynamic,
    ))
}

/// The dynamic string table holds the needed libraries' names and the
/// version names (`GLIBC_2.27`) the file requires.
fn scan_strings(data: &[u8], info: &mut NativeInfo) {
    for raw in data.split(|&b| b == 0) {
        let Ok(text) = std::str::from_utf8(raw) else {
            continue;
        };
        if let Some(version) = glibc_version(text) {
            info.glibc = info.glibc.max(Some(version));
        } else if (text.starts_with("lib") || text.starts_with("ld-"))
            && (text.ends_with(".so") || text.contains(".so."))
            && !text.contains('/')
            && !info.needed.iter().any(|n| n == text)
        {
            info.musl |= text.starts_with("libc.musl");
            info.needed.push(text.to_string());
        }
    }
}

enum Parsed {
    NotElf,
    Done(NativeInfo),
    /// The data ends before the part needed.
    NeedsMore,
    Invalid(String),
}

fn machine_name(machine: u16) -> String {
    match machine {
        m if m == elf::EM_X86_64.0 => "x86_64".into(),
        m if m == elf::EM_AARCH64.0 => "arm64".into(),
        3 => "x86 (32-bit)".into(),
        40 => "arm (32-bit)".into(),
        other => format!("machine {other}"),
    }
}

fn parse(data: &[u8]) -> Parsed {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => {
            // 32-bit code cannot run on Lambda at all; the machine says why
            let machine = data
                .get(18..20)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .unwrap_or(0);
            return Parsed::Done(NativeInfo {
                machine: machine_name(machine),
                ..NativeInfo::default()
            });
        }
        _ => return Parsed::NotElf,
    }
    let Ok(header) = FileHeader64::<Endianness>::parse(data) else {
        return Parsed::Invalid("not a valid ELF header".into());
    };
    let Ok(endian) = header.endian() else {
        return Parsed::Invalid("unknown ELF byte order".into());
    };
    let mut info = NativeInfo {
        machine: machine_name(header.e_machine(endian).0),
        ..NativeInfo::default()
    };
    let phoff = header.e_phoff.get(endian) as usize;
    let phnum = header.e_phnum.get(endian) as usize;
    let phsize = std::mem::size_of::<ProgramHeader64<Endianness>>();
    let Some(table) = data.get(phoff..phoff + phnum * phsize) else {
        return Parsed::NeedsMore;
    };
    let Ok((headers, _)) =
        object::pod::slice_from_bytes::<ProgramHeader64<Endianness>>(table, phnum)
    else {
        return Parsed::Invalid("unreadable program headers".into());
    };
    let loads: Vec<(u64, u64, u64)> = headers
        .iter()
        .filter(|h| h.p_type.get(endian) == elf::PT_LOAD)
        .map(|h| {
            (
                h.p_vaddr.get(endian),
                h.p_filesz.get(endian),
                h.p_offset.get(endian),
            )
        })
        .collect();
    let to_offset = |address: u64| {
        loads
            .iter()
            .find(|(vaddr, size, _)| address >= *vaddr && address < vaddr + size)
            .map(|(vaddr, _, offset)| (address - vaddr + offset) as usize)
    };
    for h in headers {
        if h.p_type.get(endian) == elf::PT_INTERP {
            let (start, size) = (
                h.p_offset.get(endian) as usize,
                h.p_filesz.get(endian) as usize,
            );
            match data.get(start..start + size) {
                Some(bytes) => info.musl |= String::from_utf8_lossy(bytes).contains("ld-musl"),
                None => return Parsed::NeedsMore,
            }
        }
    }
    let Some(dynamic) = headers
        .iter()
        .find(|h| h.p_type.get(endian) == elf::PT_DYNAMIC)
    else {
        // statically linked: needs nothing from the system
        return Parsed::Done(info);
    };
    let (start, size) = (
        dynamic.p_offset.get(endian) as usize,
        dynamic.p_filesz.get(endian) as usize,
    );
    let Some(bytes) = data.get(start..start + size) else {
        return Parsed::NeedsMore;
    };
    let count = size / std::mem::size_of::<Dyn64<Endianness>>();
    let Ok((entries, _)) = object::pod::slice_from_bytes::<Dyn64<Endianness>>(bytes, count) else {
        return Parsed::Invalid("unreadable dynamic section".into());
    };
    let mut strtab = None;
    let mut strsz = 0u64;
    let mut verneed = None;
    let mut verneed_count = 0u64;
    let mut needed = Vec::new();
    for entry in entries {
        let value = entry.d_val.get(endian);
        match entry.d_tag.get(endian) {
            tag if tag == elf::DT_NULL => break,
            tag if tag == elf::DT_STRTAB => strtab = Some(value),
            tag if tag == elf::DT_STRSZ => strsz = value,
            tag if tag == elf::DT_NEEDED => needed.push(value as usize),
            tag if tag == elf::DT_VERNEED => verneed = Some(value),
            tag if tag == elf::DT_VERNEEDNUM => verneed_count = value,
            _ => {}
        }
    }
    let Some(strtab) = strtab.and_then(to_offset) else {
        return Parsed::Done(info);
    };
    let end = strtab + strsz as usize;
    let Some(strings) = data.get(strtab..end) else {
        return Parsed::NeedsMore;
    };
    let string = |offset: usize| -> Option<String> {
        let rest = strings.get(offset..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..len]).into_owned())
    };
    info.needed = needed.into_iter().filter_map(string).collect();
    info.musl |= info.needed.iter().any(|n| n.starts_with("libc.musl"));

    // version needs: a chain of Verneed records, each with Vernaux records
    if let Some(mut at) = verneed.and_then(to_offset) {
        for _ in 0..verneed_count.min(1_000) {
            let Some(bytes) = data.get(at..) else {
                return Parsed::NeedsMore;
            };
            let Ok((need, _)) = object::pod::from_bytes::<Verneed<Endianness>>(bytes) else {
                return Parsed::NeedsMore;
            };
            let mut aux_at = at + need.vn_aux.get(endian) as usize;
            for _ in 0..need.vn_cnt.get(endian).min(1_000) {
                let Some(bytes) = data.get(aux_at..) else {
                    return Parsed::NeedsMore;
                };
                let Ok((aux, _)) = object::pod::from_bytes::<Vernaux<Endianness>>(bytes) else {
                    return Parsed::NeedsMore;
                };
                if let Some(version) = string(aux.vna_name.get(endian) as usize)
                    .as_deref()
                    .and_then(glibc_version)
                {
                    info.glibc = info.glibc.max(Some(version));
                }
                let next = aux.vna_next.get(endian) as usize;
                if next == 0 {
                    break;
                }
                aux_at += next;
            }
            let next = need.vn_next.get(endian) as usize;
            if next == 0 {
                break;
            }
            at += next;
        }
    }
    Parsed::Done(info)
}

/// `GLIBC_2.27` → (2, 27).
fn glibc_version(name: &str) -> Option<(u32, u32)> {
    let version = name.strip_prefix("GLIBC_")?;
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// `2.26` → (2, 26).
pub fn parse_glibc(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_parse() {
        assert_eq!(glibc_version("GLIBC_2.27"), Some((2, 27)));
        assert_eq!(glibc_version("GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(glibc_version("GLIBCXX_3.4"), None);
        assert_eq!(parse_glibc("2.34"), Some((2, 34)));
    }
}
