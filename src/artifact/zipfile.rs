//! Zip and jar archives, read from the central directory only.
//!
//! Per-entry zipped bytes are measured from the archive's layout rather than
//! recomputed from header fields: an entry owns every byte from its local
//! header up to the next local header (so data descriptors and padding are
//! included) plus its central directory record. What is left — the end
//! records, the comment, a prefix before the first entry — is archive
//! overhead. The sum of both is exactly the file size.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::OnceLock;

use libdeflater::{DecompressionError, Decompressor};
use zip::result::ZipError;
use zip::{DateTime, ZipArchive};

use super::central_directory;
use super::positioned::PositionedFile;
use super::{
    normalize_name, Entry, EntryKind, EntrySource, Listing, OpenError, ReadError, Warning,
};

/// Size of the end-of-central-directory record without a comment: the
/// smallest overhead any zip has.
pub const ZIP_END_RECORD_BYTES: u64 = 22;

/// Fixed part of a local file header.
const LOCAL_HEADER_FIXED: u64 = 30;

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFDIR: u32 = 0o040000;

pub struct ZipReader {
    /// The zip crate's reading of the archive, for the entries deadweight
    /// does not inflate itself (other methods, beyond a read's limit):
    /// opened the first time one is read.
    archive: OnceLock<Result<ZipArchive<PositionedFile>, String>>,
    file: PositionedFile,
    /// Where each entry's local record lies, for whole-entry reads.
    spans: Vec<LocalSpan>,
    /// Each entry's extended timestamp, from its central record.
    extended_mtimes: Vec<Option<i64>>,
}

/// An entry's local header and data, `[start, end)` in the file, with what
/// the central directory says about its data.
#[derive(Clone, Copy, Default)]
struct LocalSpan {
    start: u64,
    end: u64,
    method: Method,
    compressed: u64,
    size: u64,
    crc32: u32,
}

#[derive(Clone, Copy, Default, PartialEq)]
enum Method {
    Stored,
    Deflated,
    /// Anything else (or encrypted): read through the zip crate.
    #[default]
    Other,
}

thread_local! {
    /// One libdeflate decompressor per thread: a function loads hundreds of
    /// small files at init, each inflated whole into a buffer of the size
    /// its header gives, and building zlib's streaming state and tables per
    /// file cost about as much as parsing it.
    static INFLATER: std::cell::RefCell<Decompressor> =
        std::cell::RefCell::new(Decompressor::new());
}

impl ZipReader {
    /// The CRC-32 the central directory gives for an entry's contents.
    pub fn crc32(&self, index: usize) -> u32 {
        self.spans[index].crc32
    }

    pub fn read(&self, index: usize, limit: u64) -> Result<Vec<u8>, ReadError> {
        let span = self.spans[index];
        if span.method != Method::Other && span.size <= limit {
            return self.read_whole(span);
        }
        let mut archive = self.archive()?;
        let file = archive.by_index(index).map_err(|e| match e {
            ZipError::UnsupportedArchive(msg) if msg.contains("assword") => ReadError::Encrypted,
            ZipError::Io(io) => ReadError::Io(io),
            other => ReadError::Corrupt(other.to_string()),
        })?;
        let declared = file.size();
        let mut bytes = Vec::with_capacity(declared.min(limit) as usize);
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ReadError::Corrupt(e.to_string()))?;
        if bytes.len() as u64 > limit {
            return Err(ReadError::TooLarge {
                size: declared,
                limit,
            });
        }
        if bytes.len() as u64 != declared {
            return Err(ReadError::Corrupt(format!(
                "inflated to {} bytes, the header says {declared}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

impl ZipReader {
    /// The zip crate's archive, opened once; a clone shares its parsed
    /// central directory and the file handle, with a read position of its
    /// own.
    fn archive(&self) -> Result<ZipArchive<PositionedFile>, ReadError> {
        self.archive
            .get_or_init(|| ZipArchive::new(self.file.clone()).map_err(|e| describe_zip_error(&e)))
            .clone()
            .map_err(ReadError::Corrupt)
    }

    /// A whole stored or deflated entry: one positional read of its local
    /// record, inflated with this thread's state, checked against its CRC.
    fn read_whole(&self, span: LocalSpan) -> Result<Vec<u8>, ReadError> {
        let corrupt = |why: &str| ReadError::Corrupt(why.to_string());
        // the local header's name and extra field are at most 64 KiB each;
        // whatever lies between this record and the next is not read
        let longest = LOCAL_HEADER_FIXED + 2 * u64::from(u16::MAX) + span.compressed;
        let mut record = vec![0u8; span.end.saturating_sub(span.start).min(longest) as usize];
        self.file.read_exact_at(&mut record, span.start)?;
        if record.len() < LOCAL_HEADER_FIXED as usize || record[..4] != [0x50, 0x4b, 0x03, 0x04] {
            return Err(corrupt(
                "no local header where the central directory points",
            ));
        }
        let field = |at: usize| usize::from(u16::from_le_bytes([record[at], record[at + 1]]));
        let data_start = LOCAL_HEADER_FIXED as usize + field(26) + field(28);
        let data = usize::try_from(span.compressed)
            .ok()
            .and_then(|len| record.get(data_start..data_start.checked_add(len)?))
            .ok_or_else(|| corrupt("entry data runs past its record"))?;
        let bytes = match span.method {
            Method::Stored => data.to_vec(),
            _ => INFLATER.with(|inflater| {
                // the central directory gives the size: one call inflates
                // into a buffer of exactly that size, and a stream that
                // would not fit (or stops short) is damaged
                let mut out = vec![0u8; span.size as usize];
                let written = inflater
                    .borrow_mut()
                    .deflate_decompress(data, &mut out)
                    .map_err(|e| match e {
                        DecompressionError::InsufficientSpace => ReadError::Corrupt(format!(
                            "inflates to more than the {} bytes the header says",
                            span.size
                        )),
                        DecompressionError::BadData => corrupt("invalid deflate data"),
                    })?;
                out.truncate(written);
                Ok::<_, ReadError>(out)
            })?,
        };
        if bytes.len() as u64 != span.size {
            return Err(ReadError::Corrupt(format!(
                "inflated to {} bytes, the header says {}",
                bytes.len(),
                span.size
            )));
        }
        if crc32fast::hash(&bytes) != span.crc32 {
            return Err(corrupt("CRC-32 does not match: the data is damaged"));
        }
        Ok(bytes)
    }

    /// The entry's bytes as a stream, for reading a few ranges of a big
    /// file without holding all of it; `None` for methods other than stored
    /// and deflated. The data is not CRC-checked (it is not read whole).
    pub fn stream(&self, index: usize) -> Result<Option<Box<dyn Read + Send>>, ReadError> {
        let span = self.spans[index];
        if span.method == Method::Other {
            return Ok(None);
        }
        let mut file = self.file.clone();
        file.seek(SeekFrom::Start(self.data_start(span)?))?;
        let data = file.take(span.compressed);
        Ok(Some(match span.method {
            Method::Stored => Box::new(data),
            _ => Box::new(flate2::bufread::DeflateDecoder::new(
                std::io::BufReader::with_capacity(256 * 1024, data),
            )),
        }))
    }

    /// Where an entry's data starts: after its local header's name and
    /// extra field, whose lengths may differ from the central directory's.
    fn data_start(&self, span: LocalSpan) -> Result<u64, ReadError> {
        let mut header = [0u8; LOCAL_HEADER_FIXED as usize];
        self.file.read_exact_at(&mut header, span.start)?;
        if header[..4] != [0x50, 0x4b, 0x03, 0x04] {
            return Err(ReadError::Corrupt(
                "no local header where the central directory points".into(),
            ));
        }
        let field = |at: usize| u64::from(u16::from_le_bytes([header[at], header[at + 1]]));
        Ok(span.start + LOCAL_HEADER_FIXED + field(26) + field(28))
    }

    /// The modification time in the entry's extended timestamp (Info-ZIP's
    /// `UT` extra field, Unix seconds), which `zip -r` writes beside the
    /// 2-second DOS time; extractors that know it (unzip, Go's and Java's
    /// zip readers) restore that time, not the DOS one. Read from the
    /// entry's central record when the archive was listed.
    pub fn extended_mtime(&self, index: usize) -> Option<i64> {
        self.extended_mtimes[index]
    }

    /// Whether the entry's bytes are stored as they are (not compressed).
    pub fn is_stored(&self, index: usize) -> bool {
        self.spans[index].method == Method::Stored
    }

    /// The entry's bytes at any offset, without inflating all that comes
    /// before them (see `deflate_tail`); `None` for methods other than
    /// stored and deflated.
    pub fn tail(&self, index: usize) -> Result<Option<super::EntryTail>, ReadError> {
        let span = self.spans[index];
        if span.method == Method::Other {
            return Ok(None);
        }
        let data_start = self.data_start(span)?;
        let file = self.file.clone();
        let read: super::deflate_tail::ReadAt = Box::new(move |at, len| {
            let mut bytes = vec![0u8; len];
            file.read_exact_at(&mut bytes, data_start + at)?;
            Ok(bytes)
        });
        Ok(Some(match span.method {
            Method::Stored => super::EntryTail::Exact {
                read,
                size: span.size.min(span.compressed),
            },
            _ => super::EntryTail::Deflated(super::deflate_tail::DeflateTail::new(
                read,
                span.compressed,
                span.size,
            )),
        }))
    }

    pub fn read_prefix(&self, index: usize, len: usize) -> Result<Vec<u8>, ReadError> {
        let span = self.spans[index];
        if span.method != Method::Other && span.size <= len as u64 {
            return self.read_whole(span);
        }
        let mut archive = self.archive()?;
        let file = archive.by_index(index).map_err(|e| match e {
            ZipError::Io(io) => ReadError::Io(io),
            other => ReadError::Corrupt(other.to_string()),
        })?;
        let mut bytes = Vec::with_capacity(len);
        file.take(len as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| ReadError::Corrupt(e.to_string()))?;
        Ok(bytes)
    }
}

pub(super) fn list(path: &Path, file_len: u64) -> Result<(Listing, ZipReader), OpenError> {
    if file_len == 0 {
        return Err(OpenError::Empty {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(|error| OpenError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let reader = PositionedFile::new(file, file_len);
    let directory =
        central_directory::read(&reader, file_len).map_err(|reason| OpenError::NotZip {
            path: path.to_path_buf(),
            reason,
        })?;

    let mut warnings = Vec::new();
    let count = directory.records.len();
    let mut entries = Vec::with_capacity(count);
    // (header_start, central_header_start, name length, central record
    // length) per index
    let mut offsets = Vec::with_capacity(count);
    let mut skipped_encrypted = 0usize;
    let mut spans = Vec::with_capacity(count);
    let mut extended_mtimes = Vec::with_capacity(count);

    let duplicate_names = directory.duplicate_names;
    for (index, record) in directory.records.into_iter().enumerate() {
        let name_len = record.name.len() as u64;
        // the record's name becomes the entry's, not copied
        let name = match String::from_utf8(record.name) {
            Ok(name) => name,
            Err(raw) => {
                let lossy = String::from_utf8_lossy(raw.as_bytes()).into_owned();
                warnings.push(Warning::at(
                    &lossy,
                    "entry name is not valid UTF-8; shown with replacement characters",
                ));
                lossy
            }
        };
        let (normalized, unsafe_name) = normalize_name(&name);
        if unsafe_name {
            warnings.push(Warning::at(
                &name,
                "entry name is absolute or climbs out of the archive with '..'; not counted as part of the function",
            ));
        } else if name.contains('\\') {
            warnings.push(Warning::at(
                &name,
                "entry name uses backslashes; Linux extracts it as a single file name, not a path",
            ));
        }
        let unix_mode = unix_mode(record.system, record.external_attributes);
        let kind = match unix_mode.map(|m| m & S_IFMT) {
            Some(S_IFLNK) => EntryKind::Symlink,
            Some(S_IFDIR) => EntryKind::Dir,
            _ if name.ends_with('/') => EntryKind::Dir,
            _ => EntryKind::File,
        };
        let encrypted = record.flags & 1 == 1;
        if encrypted {
            skipped_encrypted += 1;
        }
        offsets.push((
            record.local_header,
            record.central_header,
            name_len,
            record.central_len,
        ));
        spans.push(LocalSpan {
            start: record.local_header,
            end: 0,
            method: match record.method {
                _ if encrypted => Method::Other,
                0 => Method::Stored,
                8 => Method::Deflated,
                _ => Method::Other,
            },
            compressed: record.compressed,
            size: record.size,
            crc32: record.crc32,
        });
        extended_mtimes.push(record.extended_mtime);
        entries.push(Entry {
            path: normalized,
            kind,
            unzipped_bytes: record.size,
            zipped_bytes: 0,
            compressed_bytes: record.compressed,
            unsafe_name,
            encrypted,
            unix_mode,
            modified: DateTime::try_from_msdos(record.dos_date, record.dos_time)
                .ok()
                .map(|t| {
                    super::unix_seconds(
                        i64::from(t.year()),
                        u32::from(t.month()),
                        u32::from(t.day()),
                        u32::from(t.hour()),
                        u32::from(t.minute()),
                        u32::from(t.second()),
                    )
                }),
            source: EntrySource::ZipIndex(index),
        });
    }
    if skipped_encrypted > 0 {
        warnings.push(Warning::general(format!(
            "{skipped_encrypted} encrypted entries: sizes counted, contents not inspected (Lambda cannot extract encrypted zips)"
        )));
    }
    if duplicate_names {
        warnings.push(Warning::general(
            "the archive lists some names more than once; only the last copy of each is counted",
        ));
    }

    let central_directory_start = directory.start;
    let owned = measure_spans(
        &offsets,
        central_directory_start,
        &mut entries,
        &mut spans,
        &mut warnings,
    );
    let archive_overhead_bytes = match file_len.checked_sub(owned) {
        Some(rest) => rest,
        None => {
            warnings.push(Warning::general(
                "entry offsets overlap or run past the end of the file; zipped sizes are approximate",
            ));
            0
        }
    };
    Ok((
        Listing {
            entries,
            warnings,
            zipped_bytes: file_len,
            zipped_estimated: false,
            archive_overhead_bytes,
        },
        ZipReader {
            archive: OnceLock::new(),
            file: reader,
            spans,
            extended_mtimes,
        },
    ))
}

/// Fills each entry's `zipped_bytes` from the archive layout and returns
/// their sum.
fn measure_spans(
    offsets: &[(u64, u64, u64, u64)],
    central_directory_start: u64,
    entries: &mut [Entry],
    spans: &mut [LocalSpan],
    warnings: &mut Vec<Warning>,
) -> u64 {
    let count = offsets.len();
    let mut by_local: Vec<usize> = (0..count).collect();
    by_local.sort_by_key(|&i| offsets[i].0);
    for (pos, &i) in by_local.iter().enumerate() {
        let start = offsets[i].0;
        let end = by_local
            .get(pos + 1)
            .map(|&next| offsets[next].0)
            .unwrap_or(central_directory_start);
        let span = end.saturating_sub(start);
        let minimum = LOCAL_HEADER_FIXED + offsets[i].2 + entries[i].compressed_bytes;
        if span < minimum && !entries[i].encrypted {
            warnings.push(Warning::at(
                &entries[i].path,
                format!(
                    "entry data ({} bytes) runs into the next entry; the archive is corrupt there",
                    entries[i].compressed_bytes
                ),
            ));
        }
        entries[i].zipped_bytes = span;
        spans[i].end = end;
        if span < minimum {
            // the record overlaps the next one: let the zip crate judge it
            spans[i].method = Method::Other;
        }
    }

    let mut by_central: Vec<usize> = (0..count).collect();
    by_central.sort_by_key(|&i| offsets[i].1);
    for (pos, &i) in by_central.iter().enumerate() {
        let start = offsets[i].1;
        let span = match by_central.get(pos + 1) {
            Some(&next) => offsets[next].1.saturating_sub(start),
            // the last has no successor: its own length
            None => offsets[i].3,
        };
        entries[i].zipped_bytes += span;
    }
    entries.iter().map(|e| e.zipped_bytes).sum()
}

/// The entry's Unix mode, as the zip crate reads it: the high half of the
/// external attributes from Unix (special bits cleared), a mode made from
/// the DOS attributes (directory, read-only) from DOS, else the high half
/// if it holds anything (Windows tools that store Unix modes).
fn unix_mode(system: u8, external_attributes: u32) -> Option<u32> {
    const UNIX: u8 = 3;
    const DOS: u8 = 0;
    const S_IFREG: u32 = 0o100000;
    const SPECIAL_BITS: u32 = 0o7000;
    if external_attributes == 0 {
        return None;
    }
    let high = external_attributes >> 16;
    match system {
        UNIX => Some(high & !SPECIAL_BITS),
        DOS => {
            let dos = external_attributes & 0xff;
            let mut mode = match dos & 0x10 {
                0 => S_IFREG | 0o664,
                _ => S_IFDIR | 0o775,
            };
            if dos & 0x01 != 0 {
                mode &= !0o222;
            }
            Some(mode)
        }
        _ => (high != 0).then_some(high & !SPECIAL_BITS),
    }
}

fn describe_zip_error(e: &ZipError) -> String {
    match e {
        ZipError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated: the file ends inside the central directory".to_string()
        }
        ZipError::InvalidArchive(msg) if msg.contains("EOCD") => {
            "no end-of-central-directory record: not a zip, or cut short".to_string()
        }
        ZipError::InvalidArchive(msg) => format!("invalid archive: {msg}"),
        ZipError::UnsupportedArchive(msg) => format!("unsupported archive: {msg}"),
        other => other.to_string(),
    }
}
