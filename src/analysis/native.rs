//! What a native file needs to load: its machine, its dynamic loader
//! (glibc or musl), the shared libraries it names (`DT_NEEDED`) and the
//! newest glibc symbol version it requires (`.gnu.version_r`).
//!
//! Small files are read whole and parsed exactly: program headers, the
//! dynamic section, its string table and the version needs, unless their
//! first loadable segment is a small part of them and names nothing but
//! glibc's and GCC's libraries. In a big library the dynamic section comes
//! after the code:
//!
//! - when the first loadable segment is small, it holds the dynamic string
//!   table, whose library and version names are read from it; a library
//!   name other than glibc's and GCC's may be the file's own SONAME, and a
//!   copy of one of those libraries defines GLIBC_ versions, so then the
//!   dynamic section is read too;
//! - when it is big (it holds code too), or has no names (patchelf moved
//!   them to the end, as in every auditwheel-repaired wheel) in a file of
//!   4 MiB or more, the dynamic section and the tables it points to are
//!   read where they lie (`Artifact::tail`), inflating a little of the
//!   file's end; version needs left at the front are then read from the
//!   version names of the string table ([`Versions::Names`]);
//! - a smaller file without names is read whole, inflated in one call;
//! - failing these, the file is read front to back once, keeping only the
//!   ranges wanted.

use object::elf::{
    self, Dyn64, FileHeader32, FileHeader64, ProgramHeader64, SectionHeader64, Vernaux, Verneed,
};
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, FileKind};

use crate::artifact::cache::codec_struct;
use crate::artifact::{Artifact, EntryTail};

/// Files up to this size are read whole and parsed exactly, through the
/// dynamic section. In bigger ones the dynamic section sits after the code,
/// so only the first loadable segment (headers, dynamic symbols and their
/// string table) is read and its strings are scanned instead.
const READ_WHOLE: u64 = 256 * 1024;
/// The most of a big file's first segment that is read.
const MAX_SEGMENT: usize = 2 * 1024 * 1024;
const HEADER_READ: usize = 4096;
/// Files from this size have their tables read where they lie; below it,
/// one read front to back costs less than finding a way into the middle of
/// the deflate stream and following what the bytes there copy.
const TAIL_FROM: u64 = 4 * 1024 * 1024;
/// The libraries of glibc and GCC's runtime, which most native files need
/// and none but their own copies names as its SONAME.
const SYSTEM_LIBRARIES: [&str; 11] = [
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
];
/// First segments up to this size are read and their strings scanned; a
/// bigger one holds code as well, and the dynamic section is read first.
const SCAN_FIRST: usize = 256 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NativeInfo {
    /// `x86_64`, `arm64`, or another machine's name.
    pub machine: String,
    /// Linked against musl (Alpine) rather than glibc.
    pub musl: bool,
    pub needed: Vec<String>,
    /// Newest `GLIBC_x.y` the file requires.
    pub glibc: Option<(u32, u32)>,
    /// Built with Android's NDK (bionic libc): loads on no Linux Lambda.
    pub android: bool,
}

codec_struct!(NativeInfo {
    machine,
    musl,
    needed,
    glibc,
    android
});

/// Inspects one ELF entry; `Err` says why it could not be read as one.
pub fn inspect(artifact: &Artifact, index: usize) -> Result<Option<NativeInfo>, String> {
    let size = artifact.entries[index].unzipped_bytes;
    if size <= READ_WHOLE {
        if let Some(info) = from_small_first_segment(artifact, index, size)? {
            return Ok(Some(info));
        }
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
    if matches!(FileKind::parse(&header[..]), Ok(FileKind::Elf32)) {
        // 32-bit: its machine is all that matters, and the header says it
        return match parse(&header) {
            Parsed::Done(info) => Ok(Some(info)),
            _ => Err("unreadable ELF header".into()),
        };
    }
    let Some((mut info, segment_end, dynamic)) = first_segment(&header) else {
        return match FileKind::parse(&header[..]) {
            Ok(FileKind::Elf64) => Err("unreadable ELF program headers".into()),
            _ => Ok(None),
        };
    };
    let first_len = segment_end.min(MAX_SEGMENT);
    // A big first segment holds code too. The dynamic section says exactly
    // where the names are, and reading it where it lies (near the end)
    // inflates less than the segment.
    let big_first = first_len > SCAN_FIRST;
    // bytes read where they are (a folder, a stored entry) cost nothing to
    // reach: the dynamic section is always the way in
    let in_place = artifact.reads_in_place(index);
    let tail_pays = size >= TAIL_FROM && !in_place;
    if dynamic && (in_place || big_first) {
        if let Some(exact) = from_tail(artifact, index, &header)? {
            return Ok(Some(exact));
        }
    }
    // one stream for the first segment and, when needed, what follows it
    let mut stream = EntryStream::open(artifact, index)?;
    let data = match &mut stream {
        Some(stream) => stream.read_ranges(&[(0, first_len)])?.pop().map(|(_, b)| b),
        None => Some(
            artifact
                .read_prefix(index, first_len)
                .map_err(|e| e.to_string())?,
        ),
    }
    .unwrap_or_default();
    scan_strings(&data, &mut info);
    let no_names = info.needed.is_empty() && info.glibc.is_none();
    // a name outside glibc's and GCC's libraries may be the file's own
    // SONAME (a Rust extension's `lib_pydantic_core.so`), which only the
    // dynamic section tells from a needed library
    let unsure = !only_system_libraries(&info, &artifact.entries[index].path);
    if dynamic && (no_names || unsure) {
        // The string table is elsewhere: moved to the end by patchelf
        // (auditwheel-repaired wheels) or placed after the code by the
        // linker. The dynamic section says where: read where it lies when
        // that pays, else picked out of the stream, so memory stays flat
        // whatever the file size.
        if !big_first && tail_pays {
            if let Some(exact) = from_tail(artifact, index, &data)? {
                return Ok(Some(exact));
            }
        }
        // Under TAIL_FROM the file is a few MiB at most, and the tables
        // lie after its first segment, most often at its end: one read of
        // the whole, inflated in one call (faster than the stream), gives
        // every one of them.
        if size < TAIL_FROM {
            let whole = artifact.read(index, TAIL_FROM).map_err(|e| e.to_string())?;
            if let Parsed::Done(exact) = parse(&whole) {
                return Ok(Some(exact));
            }
        }
        if let Some(stream) = stream {
            if let Some(exact) = read_dynamic_ranges(artifact, index, data, stream)? {
                return Ok(Some(exact));
            }
        }
    }
    Ok(Some(info))
}

/// A small file whose first loadable segment is a small part of it (the
/// linker's separate-code layout: headers, dynamic symbols and their names,
/// then the code in a segment of its own) names what it needs in that
/// segment. When the names found there are glibc's and GCC's libraries and
/// versions only, the rest of the file would tell nothing more; `None`
/// sends the file to the exact read of the whole.
fn from_small_first_segment(
    artifact: &Artifact,
    index: usize,
    size: u64,
) -> Result<Option<NativeInfo>, String> {
    if size <= 4 * HEADER_READ as u64 {
        return Ok(None);
    }
    let header = artifact
        .read_prefix(index, HEADER_READ)
        .map_err(|e| e.to_string())?;
    let Some((mut info, segment_end, true)) = first_segment(&header) else {
        return Ok(None);
    };
    if segment_end as u64 > size / 4 {
        return Ok(None);
    }
    let segment = artifact
        .read_prefix(index, segment_end)
        .map_err(|e| e.to_string())?;
    scan_strings(&segment, &mut info);
    let named = info.glibc.is_some() && !info.needed.is_empty();
    Ok((named && only_system_libraries(&info, &artifact.entries[index].path)).then_some(info))
}

/// Whether every library name found is glibc's or GCC's, and the file is
/// not a copy of one of them: such a copy's names include its own SONAME
/// and the versions it defines, which only its dynamic section tells from
/// what it needs.
fn only_system_libraries(info: &NativeInfo, path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let is_copy = SYSTEM_LIBRARIES.iter().any(|library| {
        let stem = library.split(".so").next().unwrap_or(library);
        file.strip_prefix(stem)
            .is_some_and(|rest| rest.starts_with(['.', '-']))
    });
    !is_copy
        && info
            .needed
            .iter()
            .all(|name| SYSTEM_LIBRARIES.contains(&name.as_str()))
}

/// An entry's bytes read front to back, picking ranges and skipping the
/// rest, so nothing is inflated twice within one pass.
struct EntryStream {
    inner: Box<dyn std::io::Read + Send>,
    position: usize,
    scratch: Vec<u8>,
}

impl EntryStream {
    /// `None` when the entry can only be read whole (an unusual method).
    fn open(artifact: &Artifact, index: usize) -> Result<Option<EntryStream>, String> {
        Ok(artifact
            .stream(index)
            .map_err(|e| e.to_string())?
            .map(|inner| EntryStream {
                inner,
                position: 0,
                scratch: Vec::new(),
            }))
    }

    /// Reads `wanted` (offset, length) ranges, in file order, from where the
    /// stream is; a range cut short by the end is kept short, and what lies
    /// before the position already read is not read again.
    fn read_ranges(&mut self, wanted: &[(usize, usize)]) -> Result<Vec<(usize, Vec<u8>)>, String> {
        use std::io::Read;
        let mut wanted = wanted.to_vec();
        wanted.sort_unstable();
        let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
        for (start, len) in wanted {
            let end = start.saturating_add(len);
            let start = start.max(self.position);
            if end <= start {
                continue;
            }
            if !self.skip(start - self.position)? {
                break;
            }
            // the headers' sizes are untrusted: the stream's end bounds the read
            let mut bytes = Vec::with_capacity((end - start).min(1 << 20));
            (&mut self.inner)
                .take((end - start) as u64)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            self.position = start + bytes.len();
            // a range continuing the previous one joins it, so a table that
            // straddles the two is still one slice
            match chunks.last_mut() {
                Some((at, previous)) if *at + previous.len() == start => previous.extend(bytes),
                _ => chunks.push((start, bytes)),
            }
            if self.position < end {
                break;
            }
        }
        Ok(chunks)
    }

    /// Reads and drops `len` bytes; false when the stream ends first. Large
    /// reads let the inflater write long runs instead of 8 KiB at a time.
    fn skip(&mut self, mut len: usize) -> Result<bool, String> {
        self.scratch.resize(len.min(256 * 1024), 0);
        while len > 0 {
            let want = len.min(self.scratch.len());
            match self.inner.read(&mut self.scratch[..want]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    len -= n;
                    self.position += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(true)
    }
}

/// Most of the file kept after the dynamic section in the first pass:
/// patchelf puts the string table and version needs right after it.
const TAIL_KEPT: usize = 4 * 1024 * 1024;
/// Bytes read for the version needs (a few records of 16 bytes each).
const VERNEED_READ: usize = 64 * 1024;

/// Parses a big file's dynamic section and the tables it points to, read
/// as ranges of one stream (two when the tables lie between the start read
/// already and the section).
fn read_dynamic_ranges(
    artifact: &Artifact,
    index: usize,
    start: Vec<u8>,
    mut stream: EntryStream,
) -> Result<Option<NativeInfo>, String> {
    let Some(layout) = Layout::of(&start[..]) else {
        return Ok(None);
    };
    let Some((dynamic_at, dynamic_len)) = layout.dynamic else {
        return Ok(None);
    };
    let mut ranges = Ranges {
        chunks: vec![(0, start)],
        missed: Default::default(),
    };
    let tail = dynamic_len.max(TAIL_KEPT);
    ranges
        .chunks
        .extend(stream.read_ranges(&[(dynamic_at, tail)])?);
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
        // before the section: a second pass from the start
        let Some(mut stream) = EntryStream::open(artifact, index)? else {
            return Ok(None);
        };
        ranges.chunks.extend(stream.read_ranges(&missing)?);
    }
    Ok(match parse_from(&ranges, Versions::Records) {
        Parsed::Done(info) => Some(info),
        _ => None,
    })
}

/// Parses the dynamic section and what it points to from bytes read where
/// they lie (`Artifact::tail`): at the end of a big file, where the linker
/// or patchelf puts the section, that inflates a little of it. Each pass
/// reads what the last one missed: the section, then the names and
/// version records it points to. Parts of the first segment (`head` holds
/// its start) are read from the front instead. `None` when that cannot be
/// done; the file is then read front to back.
fn from_tail(artifact: &Artifact, index: usize, head: &[u8]) -> Result<Option<NativeInfo>, String> {
    let Some(mut tail) = artifact.tail(index).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let mut ranges = Ranges {
        chunks: vec![(0, head.to_vec())],
        missed: Default::default(),
    };
    let size = artifact.entries[index].unzipped_bytes as usize;
    // the section headers must agree when they are among the bytes at
    // hand (patchelf may leave them mid-file)
    let checked = |mut ranges: Ranges, info: NativeInfo, tail: &EntryTail| {
        if let Some((at, len)) = section_table(ranges.head()) {
            let table = tail.read_decoded(at as u64, len);
            ranges.chunks.extend(table.map(|bytes| (at, bytes)));
        }
        (sections_agree(&ranges) != Some(false)).then_some(info)
    };
    // each pass reads at least one range; a version chain is a few dozen
    for _ in 0..256 {
        match parse_from(&ranges, Versions::Records) {
            Parsed::Done(info) => return Ok(checked(ranges, info, &tail)),
            Parsed::NeedsMore => {}
            _ => return Ok(None),
        }
        let missed = ranges.missed.take();
        if missed.is_empty() {
            return Ok(None);
        }
        for (at, len) in missed {
            let Some(end) = at.checked_add(len) else {
                return Ok(None);
            };
            // from the front or from the end, whichever inflates less
            let from_end = match tail.decoded_from() {
                Some(from) if from <= at as u64 => 0,
                _ => 2 * size.saturating_sub(at),
            };
            if end < from_end {
                // the version needs at the front of a file whose names
                // lie at its end: the names say the versions
                if let Some(info) = versions_from_names(&mut ranges, &mut tail)? {
                    return Ok(checked(ranges, info, &tail));
                }
                // names are read one by one: a prefix that at least
                // doubles is inflated a few times at most, not once a name
                let want = end.max(2 * ranges.head().len()).min(size);
                let prefix = artifact
                    .read_prefix(index, want)
                    .map_err(|e| e.to_string())?;
                ranges.chunks[0] = (0, prefix);
                continue;
            }
            match tail.read(at as u64, len).map_err(|e| e.to_string())? {
                Some(bytes) => ranges.chunks.push((at, bytes)),
                None => return Ok(None),
            }
        }
    }
    Ok(None)
}

/// What the file needs, its versions read from the names in its string
/// table ([`Versions::Names`]), when the decoded end of the file holds
/// that table; `None` when it does not, or the file defines versions of
/// its own (the ranges keep what was read).
fn versions_from_names(
    ranges: &mut Ranges,
    tail: &mut EntryTail,
) -> Result<Option<NativeInfo>, String> {
    let layout = Layout::of(&*ranges);
    let table = layout.as_ref().and_then(|layout| {
        // a file defining versions of its own names them there too: the
        // table is not read for nothing
        let defines = (layout.entries(&*ranges)?.iter())
            .map(|entry| entry.d_tag.get(layout.endian))
            .take_while(|&tag| tag != elf::DT_NULL)
            .any(|tag| tag == elf::DT_VERDEF);
        layout.string_table(&*ranges).filter(|_| !defines)
    });
    ranges.missed.take();
    let Some((at, len)) = table else {
        return Ok(None);
    };
    if tail.decoded_from().is_none_or(|from| from > at as u64) {
        return Ok(None);
    }
    if ranges.range(at, len).is_none() {
        ranges.missed.take();
        match tail.read(at as u64, len).map_err(|e| e.to_string())? {
            Some(bytes) => ranges.chunks.push((at, bytes)),
            None => return Ok(None),
        }
    }
    let parsed = parse_from(&*ranges, Versions::Names);
    ranges.missed.take();
    Ok(match parsed {
        Parsed::Done(info) => Some(info),
        _ => None,
    })
}

/// (offset, length) of the section header table, when there is one.
fn section_table(head: &[u8]) -> Option<(usize, usize)> {
    let header = FileHeader64::<Endianness>::parse(head).ok()?;
    let endian = header.endian().ok()?;
    let offset = header.e_shoff.get(endian) as usize;
    let count = usize::from(header.e_shnum.get(endian));
    let len = count.checked_mul(usize::from(header.e_shentsize.get(endian)))?;
    (offset > 0 && len > 0).then_some((offset, len))
}

/// Whether the section headers put the dynamic section and its string
/// table where the program headers and the dynamic section say: a check on
/// bytes read from the middle of a deflate stream. `None` when the file
/// has no section headers (sstrip) or they are not at hand.
fn sections_agree(data: &Ranges) -> Option<bool> {
    let (offset, len) = section_table(data.head())?;
    let header = FileHeader64::<Endianness>::parse(data.head()).ok()?;
    let endian = header.endian().ok()?;
    let entry_size = std::mem::size_of::<SectionHeader64<Endianness>>();
    if usize::from(header.e_shentsize.get(endian)) != entry_size {
        return Some(false);
    }
    let count = len / entry_size;
    let table = data.range(offset, len)?;
    let Ok((sections, _)) =
        object::pod::slice_from_bytes::<SectionHeader64<Endianness>>(table, count)
    else {
        return Some(false);
    };
    let Some(layout) = Layout::of(data) else {
        return Some(false);
    };
    let Some((dynamic_at, dynamic_len)) = layout.dynamic else {
        return Some(false);
    };
    let place = |s: &SectionHeader64<Endianness>| {
        (
            s.sh_offset.get(endian) as usize,
            s.sh_size.get(endian) as usize,
        )
    };
    let Some(dynamic) = sections
        .iter()
        .find(|s| s.sh_type.get(endian) == elf::SHT_DYNAMIC)
    else {
        return Some(false);
    };
    let Some(strings) = sections.get(dynamic.sh_link.get(endian) as usize) else {
        return Some(false);
    };
    Some(
        place(dynamic) == (dynamic_at, dynamic_len)
            && layout
                .string_table(data)
                .is_some_and(|table| place(strings) == table),
    )
}

/// Machine, the end of the first loadable segment, and whether the file is
/// dynamically linked, from the headers.
fn first_segment(data: &[u8]) -> Option<(NativeInfo, usize, bool)> {
    if !matches!(FileKind::parse(data), Ok(FileKind::Elf64)) {
        return None;
    }
    let header = FileHeader64::<Endianness>::parse(data).ok()?;
    let layout = Layout::of(data)?;
    let &(_, size, offset) = layout.loads.first()?;
    let info = NativeInfo {
        machine: machine_name(header.e_machine(layout.endian).0),
        musl: layout
            .interp
            .and_then(|(at, len)| data.range(at, len))
            .is_some_and(is_musl_loader),
        android: is_android(data),
        ..NativeInfo::default()
    };
    let end = usize::try_from(offset.saturating_add(size)).unwrap_or(usize::MAX);
    Some((info, end, layout.dynamic.is_some()))
}

fn is_musl_loader(path: &[u8]) -> bool {
    String::from_utf8_lossy(path).contains("ld-musl")
}

/// The dynamic string table holds the needed libraries' names and the
/// version names (`GLIBC_2.27`) the file requires.
fn scan_strings(data: &[u8], info: &mut NativeInfo) {
    // The strings wanted are a few among thousands of symbol names and the
    // zeros of the tables around them: each is found by what it must hold
    // and read out to the NULs around it.
    let string_at = |hit: usize| {
        let before = &data[hit.saturating_sub(MAX_NAME)..hit];
        let start = match memchr::memrchr(0, before) {
            Some(nul) => hit - before.len() + nul + 1,
            None if before.len() == hit => 0,
            None => return None,
        };
        let after = &data[hit..data.len().min(hit + MAX_NAME)];
        let end = match memchr::memchr(0, after) {
            Some(nul) => hit + nul,
            None if hit + after.len() == data.len() => data.len(),
            None => return None,
        };
        std::str::from_utf8(&data[start..end]).ok()
    };
    for hit in memchr::memmem::find_iter(data, b"GLIBC_") {
        if hit > 0 && data[hit - 1] != 0 {
            continue;
        }
        if let Some(version) = string_at(hit).and_then(glibc_version) {
            info.glibc = info.glibc.max(Some(version));
        }
    }
    let mut last = None;
    for hit in memchr::memmem::find_iter(data, b".so") {
        let Some(text) = string_at(hit) else {
            continue;
        };
        // a name holding ".so" twice is one string
        if last == Some(text.as_ptr()) {
            continue;
        }
        last = Some(text.as_ptr());
        if (text.starts_with("lib") || text.starts_with("ld-"))
            && (text.ends_with(".so") || text.contains(".so."))
            && !text.contains('/')
            && !info.needed.iter().any(|n| n == text)
        {
            info.musl |= text.starts_with("libc.musl");
            info.needed.push(text.to_string());
        }
    }
}

/// Longest library or version name looked for; longer strings are symbol
/// names or data.
const MAX_NAME: usize = 1024;

enum Parsed {
    NotElf,
    Done(NativeInfo),
    /// The data ends before the part needed.
    NeedsMore,
    Invalid(String),
}

/// Whether the program headers' notes name Android: the NDK's start files
/// put an "Android" note in every library and executable they link. Such
/// a file needs bionic's loader and libraries (`libc.so`, `liblog.so`),
/// which no Linux Lambda has. The notes follow the program headers, so
/// the file's first bytes hold them.
pub(crate) fn is_android(head: &[u8]) -> bool {
    match FileKind::parse(head) {
        Ok(FileKind::Elf64) => has_android_note::<FileHeader64<Endianness>>(head),
        Ok(FileKind::Elf32) => has_android_note::<FileHeader32<Endianness>>(head),
        _ => false,
    }
}

fn has_android_note<Elf: FileHeader<Endian = Endianness>>(head: &[u8]) -> bool {
    let Ok(header) = Elf::parse(head) else {
        return false;
    };
    let Ok(endian) = header.endian() else {
        return false;
    };
    let Ok(programs) = header.program_headers(endian, head) else {
        return false;
    };
    programs.iter().any(|program| {
        let Ok(Some(mut notes)) = program.notes(endian, head) else {
            return false;
        };
        std::iter::from_fn(|| notes.next().ok().flatten()).any(|note| note.name() == b"Android")
    })
}

pub(crate) fn machine_name(machine: u16) -> String {
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
    /// Ranges asked for and not at hand, to be read for the next pass.
    missed: std::cell::RefCell<Vec<(usize, usize)>>,
}

impl ElfBytes for Ranges {
    fn head(&self) -> &[u8] {
        match self.chunks.first() {
            Some((0, bytes)) => bytes,
            _ => &[],
        }
    }

    fn range(&self, start: usize, len: usize) -> Option<&[u8]> {
        let found = self.chunks.iter().find_map(|(at, bytes)| {
            let from = start.checked_sub(*at)?;
            bytes.get(from..from.checked_add(len)?)
        });
        if found.is_none() {
            self.missed.borrow_mut().push((start, len));
        }
        found
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
            .and_then(|(vaddr, _, offset)| {
                usize::try_from((address - vaddr).checked_add(*offset)?).ok()
            })
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

    /// (offset, length) of the dynamic string table.
    fn string_table(&self, data: &(impl ElfBytes + ?Sized)) -> Option<(usize, usize)> {
        let mut strsz = 0;
        let mut strtab = None;
        for entry in self.entries(data)? {
            let value = entry.d_val.get(self.endian);
            match entry.d_tag.get(self.endian) {
                tag if tag == elf::DT_NULL => break,
                tag if tag == elf::DT_STRTAB => strtab = self.offset(value),
                tag if tag == elf::DT_STRSZ => strsz = value as usize,
                _ => {}
            }
        }
        strtab.map(|at| (at, strsz))
    }

    /// (offset, length) of the string table and of the version needs.
    fn tables(&self, data: &(impl ElfBytes + ?Sized)) -> Option<Vec<(usize, usize)>> {
        let mut tables: Vec<(usize, usize)> = self
            .entries(data)?
            .iter()
            .take_while(|entry| entry.d_tag.get(self.endian) != elf::DT_NULL)
            .filter(|entry| entry.d_tag.get(self.endian) == elf::DT_VERNEED)
            .filter_map(|entry| self.offset(entry.d_val.get(self.endian)))
            .map(|at| (at, VERNEED_READ))
            .collect();
        tables.extend(self.string_table(data));
        tables.extend(self.interp);
        Some(tables)
    }
}

fn parse(data: &[u8]) -> Parsed {
    parse_from(data, Versions::Records)
}

/// Where the newest `GLIBC_` version a file needs is read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Versions {
    /// The version needs (`.gnu.version_r`), record by record: exact.
    Records,
    /// The names in the dynamic string table, read whole. A file that
    /// defines no versions of its own (glibc's copies do) holds a version
    /// name there only because a need names it, so this gives what the
    /// records give, unless a tool rewrote the records and left the name.
    /// Used when the records lie at the front of a big file and the table
    /// at its end, far apart in the deflate stream.
    Names,
}

fn parse_from(data: &(impl ElfBytes + ?Sized), versions: Versions) -> Parsed {
    let head = data.head();
    match FileKind::parse(head) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => {
            // 32-bit code cannot run on Lambda at all; the machine says why
            let Some(machine) = FileHeader32::<Endianness>::parse(head)
                .ok()
                .and_then(|h| Some(h.e_machine(h.endian().ok()?).0))
            else {
                return Parsed::Invalid("not a valid ELF header".into());
            };
            return Parsed::Done(NativeInfo {
                machine: machine_name(machine),
                android: is_android(head),
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
        android: is_android(head),
        ..NativeInfo::default()
    };
    let Some(layout) = Layout::of(data) else {
        return Parsed::Invalid("unreadable program headers".into());
    };
    if let Some((start, size)) = layout.interp {
        match data.range(start, size) {
            Some(path) => info.musl |= is_musl_loader(path),
            None => return Parsed::NeedsMore,
        }
    }
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
    let mut defines_versions = false;
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
            tag if tag == elf::DT_VERDEF => defines_versions = true,
            _ => {}
        }
    }
    let Some(strtab) = strtab.and_then(|a| layout.offset(a)) else {
        return Parsed::Done(info);
    };
    let string = |offset: usize| table_string(data, strtab, strsz as usize, offset);
    let mut names = Vec::new();
    for offset in needed {
        match string(offset) {
            Ok(name) => names.extend(name),
            Err(NeedsMore) => return Parsed::NeedsMore,
        }
    }
    info.needed = names;
    info.musl |= info.needed.iter().any(|n| n.starts_with("libc.musl"));

    // version needs: a chain of Verneed records, each with Vernaux records
    if versions == Versions::Names && !defines_versions {
        let Some(table) = data.range(strtab, strsz as usize) else {
            return Parsed::NeedsMore;
        };
        info.glibc = table
            .split(|&b| b == 0)
            .filter_map(|name| glibc_version(std::str::from_utf8(name).ok()?))
            .max();
        return Parsed::Done(info);
    }
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
            let mut aux_at = at.saturating_add(need.vn_aux.get(endian) as usize);
            for _ in 0..need.vn_cnt.get(endian).min(1_000) {
                let Some(bytes) = data.range(aux_at, aux_size) else {
                    return Parsed::NeedsMore;
                };
                let Ok((aux, _)) = object::pod::from_bytes::<Vernaux<Endianness>>(bytes) else {
                    return Parsed::NeedsMore;
                };
                let Ok(name) = string(aux.vna_name.get(endian) as usize) else {
                    return Parsed::NeedsMore;
                };
                if let Some(version) = name.as_deref().and_then(glibc_version) {
                    info.glibc = info.glibc.max(Some(version));
                }
                let next = aux.vna_next.get(endian) as usize;
                if next == 0 {
                    break;
                }
                aux_at = aux_at.saturating_add(next);
            }
            let next = need.vn_next.get(endian) as usize;
            if next == 0 {
                break;
            }
            at = at.saturating_add(next);
        }
    }
    Parsed::Done(info)
}

struct NeedsMore;

/// The NUL-terminated name at `offset` in the string table, read a little
/// at a time (a big library's table is hundreds of KiB; a few names are
/// wanted). `Ok(None)` for an offset out of the table or a name without
/// its terminator.
fn table_string(
    data: &(impl ElfBytes + ?Sized),
    strtab: usize,
    strsz: usize,
    offset: usize,
) -> Result<Option<String>, NeedsMore> {
    let Some(left) = strsz.checked_sub(offset).filter(|&left| left > 0) else {
        return Ok(None);
    };
    for len in [64, 4096, left] {
        let len = len.min(left);
        let bytes = data.range(strtab + offset, len).ok_or(NeedsMore)?;
        if let Some(end) = bytes.iter().position(|&b| b == 0) {
            return Ok(Some(String::from_utf8_lossy(&bytes[..end]).into_owned()));
        }
        if len == left {
            break;
        }
    }
    Ok(None)
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

    #[test]
    fn names_are_found_by_what_they_hold() {
        let mut data =
            b"libfoo.so.1\0xGLIBC_2.99\0GLIBC_2.28\0libbar.so.so\0sym_lib.so\0libc.so.6\0libfoo.so.1\0"
                .to_vec();
        // a string longer than any name is data, whatever it ends with
        data.extend(vec![b'a'; 2 * MAX_NAME]);
        data.extend(b"lib.so\0libend.so.2\0");
        // and one that runs on past the end of what was read
        data.extend(vec![b'b'; 2 * MAX_NAME]);
        data.extend(b".so.3");
        let mut info = NativeInfo::default();
        scan_strings(&data, &mut info);
        assert_eq!(
            info.needed,
            ["libfoo.so.1", "libbar.so.so", "libc.so.6", "libend.so.2"]
        );
        assert_eq!(info.glibc, Some((2, 28)));
    }

    fn cursor(bytes: Vec<u8>) -> EntryStream {
        EntryStream {
            inner: Box::new(std::io::Cursor::new(bytes)),
            position: 0,
            scratch: Vec::new(),
        }
    }

    /// An x86_64 ELF header with these program headers (type, offset,
    /// vaddr, filesz), as a file of `len` bytes.
    fn elf_with(programs: &[(u32, u64, u64, u64)], len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len.max(64 + 56 * programs.len())];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2; // 64-bit
        bytes[5] = 1; // little-endian
        bytes[6] = 1;
        bytes[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86_64
        bytes[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
        bytes[56..58].copy_from_slice(&(programs.len() as u16).to_le_bytes());
        for (k, &(kind, offset, vaddr, filesz)) in programs.iter().enumerate() {
            let at = 64 + 56 * k;
            bytes[at..at + 4].copy_from_slice(&kind.to_le_bytes());
            bytes[at + 8..at + 16].copy_from_slice(&offset.to_le_bytes());
            bytes[at + 16..at + 24].copy_from_slice(&vaddr.to_le_bytes());
            bytes[at + 32..at + 40].copy_from_slice(&filesz.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn section_headers_check_what_the_dynamic_section_says() {
        let libc = std::fs::read("/lib/x86_64-linux-gnu/libc.so.6").expect("glibc's libc.so.6");
        let ranges = |bytes: Vec<u8>| Ranges {
            chunks: vec![(0, bytes)],
            missed: Default::default(),
        };
        assert_eq!(sections_agree(&ranges(libc.clone())), Some(true));
        // a string table size one off, as a wrong byte from a bad decode
        // would give
        let layout = Layout::of(&libc[..]).unwrap();
        let (dynamic_at, _) = layout.dynamic.unwrap();
        let mut wrong = libc.clone();
        let strsz = (0..)
            .map(|k| dynamic_at + 16 * k)
            .find(|&at| u64::from_le_bytes(wrong[at..at + 8].try_into().unwrap()) == 10)
            .unwrap();
        wrong[strsz + 8] ^= 1;
        assert_eq!(sections_agree(&ranges(wrong)), Some(false));
        // without section headers there is nothing to check against
        let mut stripped = libc;
        stripped[40..48].fill(0); // e_shoff
        assert_eq!(sections_agree(&ranges(stripped)), None);
    }

    #[test]
    fn absurd_offsets_and_sizes_in_the_headers_are_refused_not_followed() {
        let (load, dynamic, interp) = (1, 2, 3);
        let hostile = elf_with(
            &[
                (load, u64::MAX, u64::MAX - 10, u64::MAX),
                (dynamic, u64::MAX - 4, 0, u64::MAX),
                (interp, u64::MAX, 0, 16),
            ],
            4096,
        );
        assert!(matches!(
            parse(&hostile),
            Parsed::NeedsMore | Parsed::Invalid(_)
        ));
        assert!(first_segment(&hostile).is_some());
        let layout = Layout::of(&hostile[..]).unwrap();
        assert_eq!(layout.offset(u64::MAX - 1), None);
        let ranges = Ranges {
            chunks: vec![(0, hostile.clone())],
            missed: Default::default(),
        };
        assert!(layout.tables(&ranges).is_none());
        // a range far past the stream's end comes back short, not allocated
        let chunks = cursor(hostile)
            .read_ranges(&[(4000, usize::MAX / 2), (10, 20)])
            .unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!((chunks[0].0, chunks[0].1.len()), (10, 20));
        assert_eq!((chunks[1].0, chunks[1].1.len()), (4000, 96));
    }

    #[test]
    fn tables_are_found_through_the_dynamic_section_wherever_they_lie() {
        // a library laid out as patchelf leaves it: the dynamic section and
        // its string table after everything else
        let (load, dynamic) = (1, 2);
        let mut file = elf_with(
            &[
                (load, 0, 0, 0x1000),
                (load, 0x2000, 0x10000, 0x1000),
                (dynamic, 0x2000, 0x10000, 0x40),
            ],
            0x3000,
        );
        let strings = b"\0libGL.so.1\0libc.so.6\0";
        file[0x2100..0x2100 + strings.len()].copy_from_slice(strings);
        let entries: [(u64, u64); 4] = [(5, 0x10100), (10, strings.len() as u64), (1, 1), (1, 12)];
        for (k, (tag, value)) in entries.iter().enumerate() {
            let at = 0x2000 + 16 * k;
            file[at..at + 8].copy_from_slice(&tag.to_le_bytes());
            file[at + 8..at + 16].copy_from_slice(&value.to_le_bytes());
        }
        let Parsed::Done(whole) = parse(&file) else {
            panic!("the whole file parses")
        };
        assert_eq!(whole.needed, ["libGL.so.1", "libc.so.6"]);
        // read as ranges: the header, then the dynamic section and its tail
        let mut ranges = Ranges {
            chunks: vec![(0, file[..0x1000].to_vec())],
            missed: Default::default(),
        };
        ranges.chunks.extend(
            cursor(file.clone())
                .read_ranges(&[(0x2000, 0x1000)])
                .unwrap(),
        );
        let Parsed::Done(ranged) = parse_from(&ranges, Versions::Records) else {
            panic!("the ranges parse")
        };
        assert_eq!(ranged, whole);
    }
}
