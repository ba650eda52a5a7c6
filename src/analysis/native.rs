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
        // linker. The dynamic section says where; those ranges are picked
        // out of the stream, so memory stays flat whatever the file size.
        if let Some(exact) = read_dynamic_ranges(artifact, index, header)? {
            return Ok(Some(exact));
        }
    }
    Ok(Some(info))
}

/// Most of the file kept after the dynamic section in the first pass:
/// patchelf puts the string table and version needs right after it.
const TAIL_KEPT: usize = 4 * 1024 * 1024;
/// Bytes read for the version needs (a few records of 16 bytes each).
const VERNEED_READ: usize = 64 * 1024;

/// Parses a big file's dynamic section and the tables it points to, read
/// as ranges of one stream (two when the tables come before the section).
fn read_dynamic_ranges(
    artifact: &Artifact,
    index: usize,
    header: Vec<u8>,
) -> Result<Option<NativeInfo>, String> {
    let Some(layout) = Layout::of(&header[..]) else {
        return Ok(None);
    };
    let Some((dynamic_at, dynamic_len)) = layout.dynamic else {
        return Ok(None);
    };
    let tail = dynamic_len.max(TAIL_KEPT);
    let mut ranges = Ranges {
        chunks: vec![(0, header)],
    };
    let Some(stream) = artifact.stream(index).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    ranges
        .chunks
        .extend(read_ranges(stream, &[(dynamic_at, tail)])?);
    let Some(tables) = layout.tables(&ranges) else {
        return Ok(None);
    };
    // a table cannot run past the end of the file
    let size = artifact.entries[index].unzipped_bytes as usize;
    let missing: Vec<(usize, usize)> = tables
        .into_iter()
        .map(|(start, len)| (start, len.min(size.saturating_sub(start))))
        .filter(|&(start, len)| ranges.range(start, len).is_none())
        .collect();
    if !missing.is_empty() {
        let Some(stream) = artifact.stream(index).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        ranges.chunks.extend(read_ranges(stream, &missing)?);
    }
    Ok(match parse_from(&ranges) {
        Parsed::Done(info) => Some(info),
        _ => None,
    })
}

/// Reads `wanted` (offset, length) ranges, in file order, out of a stream,
/// skipping what lies between; a range cut short by the end is kept short.
fn read_ranges(
    mut stream: Box<dyn std::io::Read + Send>,
    wanted: &[(usize, usize)],
) -> Result<Vec<(usize, Vec<u8>)>, String> {
    use std::io::Read;
    let mut wanted = wanted.to_vec();
    wanted.sort_unstable();
    let mut position = 0usize;
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    for (start, len) in wanted {
        let end = start.saturating_add(len);
        let start = start.max(position);
        if end <= start {
            continue;
        }
        let skip = (start - position) as u64;
        let skipped = std::io::copy(&mut (&mut stream).take(skip), &mut std::io::sink())
            .map_err(|e| e.to_string())?;
        if skipped < skip {
            break;
        }
        let mut bytes = Vec::with_capacity(end - start);
        (&mut stream)
            .take((end - start) as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        position = start + bytes.len();
        // a range continuing the previous one joins it, so a table that
        // straddles the two is still one slice
        match chunks.last_mut() {
            Some((at, previous)) if *at + previous.len() == start => previous.extend(bytes),
            _ => chunks.push((start, bytes)),
        }
        if position < end {
            break;
        }
    }
    Ok(chunks)
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

/// Bytes of an ELF file at their file offsets: the whole file, or ranges
/// read out of it.
trait ElfBytes {
    /// The bytes from the start of the file that are at hand.
    fn head(&self) -> &[u8];
    fn range(&self, start: usize, len: usize) -> Option<&[u8]>;
}

impl ElfBytes for [u8] {
    fn head(&self) -> &[u8] {
        self
    }

    fn range(&self, start: usize, len: usize) -> Option<&[u8]> {
        self.get(start..start.checked_add(len)?)
    }
}

/// Ranges of a file, each at its offset; the first starts at 0.
struct Ranges {
    chunks: Vec<(usize, Vec<u8>)>,
}

impl ElfBytes for Ranges {
    fn head(&self) -> &[u8] {
        match self.chunks.first() {
            Some((0, bytes)) => bytes,
            _ => &[],
        }
    }

    fn range(&self, start: usize, len: usize) -> Option<&[u8]> {
        self.chunks.iter().find_map(|(at, bytes)| {
            let from = start.checked_sub(*at)?;
            bytes.get(from..from.checked_add(len)?)
        })
    }
}

/// What the program headers say: where the dynamic section is, and how
/// addresses map to file offsets.
struct Layout {
    endian: Endianness,
    /// (virtual address, size in the file, file offset) of each PT_LOAD.
    loads: Vec<(u64, u64, u64)>,
    /// (file offset, size) of PT_DYNAMIC.
    dynamic: Option<(usize, usize)>,
    /// (file offset, size) of PT_INTERP, the dynamic loader's path.
    interp: Option<(usize, usize)>,
}

impl Layout {
    fn of(data: &(impl ElfBytes + ?Sized)) -> Option<Layout> {
        let header = FileHeader64::<Endianness>::parse(data.head()).ok()?;
        let endian = header.endian().ok()?;
        let phoff = header.e_phoff.get(endian) as usize;
        let phnum = header.e_phnum.get(endian) as usize;
        let size = std::mem::size_of::<ProgramHeader64<Endianness>>();
        let table = data.range(phoff, phnum.checked_mul(size)?)?;
        let (headers, _) =
            object::pod::slice_from_bytes::<ProgramHeader64<Endianness>>(table, phnum).ok()?;
        let find = |kind: elf::ProgramType| {
            headers
                .iter()
                .find(|h| h.p_type.get(endian) == kind)
                .map(|h| {
                    (
                        h.p_offset.get(endian) as usize,
                        h.p_filesz.get(endian) as usize,
                    )
                })
        };
        Some(Layout {
            endian,
            loads: headers
                .iter()
                .filter(|h| h.p_type.get(endian) == elf::PT_LOAD)
                .map(|h| {
                    (
                        h.p_vaddr.get(endian),
                        h.p_filesz.get(endian),
                        h.p_offset.get(endian),
                    )
                })
                .collect(),
            dynamic: find(elf::PT_DYNAMIC),
            interp: find(elf::PT_INTERP),
        })
    }

    fn offset(&self, address: u64) -> Option<usize> {
        self.loads
            .iter()
            .find(|(vaddr, size, _)| address >= *vaddr && address < vaddr.saturating_add(*size))
            .map(|(vaddr, _, offset)| (address - vaddr + offset) as usize)
    }

    /// The dynamic entries, once the dynamic section is at hand.
    fn entries<'d>(&self, data: &'d (impl ElfBytes + ?Sized)) -> Option<&'d [Dyn64<Endianness>]> {
        let (start, size) = self.dynamic?;
        let bytes = data.range(start, size)?;
        let count = size / std::mem::size_of::<Dyn64<Endianness>>();
        object::pod::slice_from_bytes::<Dyn64<Endianness>>(bytes, count)
            .ok()
            .map(|(entries, _)| entries)
    }

    /// (offset, length) of the string table and of the version needs.
    fn tables(&self, data: &(impl ElfBytes + ?Sized)) -> Option<Vec<(usize, usize)>> {
        let mut tables = Vec::new();
        let mut strsz = 0;
        let mut strtab = None;
        for entry in self.entries(data)? {
            let value = entry.d_val.get(self.endian);
            match entry.d_tag.get(self.endian) {
                tag if tag == elf::DT_NULL => break,
                tag if tag == elf::DT_STRTAB => strtab = self.offset(value),
                tag if tag == elf::DT_STRSZ => strsz = value as usize,
                tag if tag == elf::DT_VERNEED => {
                    tables.extend(self.offset(value).map(|at| (at, VERNEED_READ)))
                }
                _ => {}
            }
        }
        tables.extend(strtab.map(|at| (at, strsz)));
        tables.extend(self.interp);
        Some(tables)
    }
}

fn parse(data: &[u8]) -> Parsed {
    parse_from(data)
}

fn parse_from(data: &(impl ElfBytes + ?Sized)) -> Parsed {
    let head = data.head();
    match FileKind::parse(head) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => {
            // 32-bit code cannot run on Lambda at all; the machine says why
            let machine = head
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
    let Ok(header) = FileHeader64::<Endianness>::parse(head) else {
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
    let Some(table) = data.range(phoff, phnum * phsize) else {
        return Parsed::NeedsMore;
    };
    let Ok((headers, _)) =
        object::pod::slice_from_bytes::<ProgramHeader64<Endianness>>(table, phnum)
    else {
        return Parsed::Invalid("unreadable program headers".into());
    };
    for h in headers {
        if h.p_type.get(endian) == elf::PT_INTERP {
            let (start, size) = (
                h.p_offset.get(endian) as usize,
                h.p_filesz.get(endian) as usize,
            );
            match data.range(start, size) {
                Some(bytes) => info.musl |= String::from_utf8_lossy(bytes).contains("ld-musl"),
                None => return Parsed::NeedsMore,
            }
        }
    }
    let Some(layout) = Layout::of(data) else {
        return Parsed::Invalid("unreadable program headers".into());
    };
    if layout.dynamic.is_none() {
        // statically linked: needs nothing from the system
        return Parsed::Done(info);
    }
    let Some(entries) = layout.entries(data) else {
        return Parsed::NeedsMore;
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
    let Some(strtab) = strtab.and_then(|a| layout.offset(a)) else {
        return Parsed::Done(info);
    };
    let Some(strings) = data.range(strtab, strsz as usize) else {
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
    let need_size = std::mem::size_of::<Verneed<Endianness>>();
    let aux_size = std::mem::size_of::<Vernaux<Endianness>>();
    if let Some(mut at) = verneed.and_then(|a| layout.offset(a)) {
        for _ in 0..verneed_count.min(1_000) {
            let Some(bytes) = data.range(at, need_size) else {
                return Parsed::NeedsMore;
            };
            let Ok((need, _)) = object::pod::from_bytes::<Verneed<Endianness>>(bytes) else {
                return Parsed::NeedsMore;
            };
            let mut aux_at = at + need.vn_aux.get(endian) as usize;
            for _ in 0..need.vn_cnt.get(endian).min(1_000) {
                let Some(bytes) = data.range(aux_at, aux_size) else {
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
