//! A zip's central directory, read in one positional read and walked in
//! place: what the listing needs of each record, and nothing else.
//!
//! The zip crate's `ZipArchive::new` builds a map of every name and parses
//! every extra field into owned values: about a microsecond per entry,
//! the largest single cost of listing a function of a few thousand files.
//! This reads the same records the same way (the end record and its Zip64
//! counterpart, a prefix before the archive, Zip64 sizes and offsets, the
//! Info-ZIP Unicode path, a later record of a name replacing an earlier
//! one) for the listing; the zip crate still reads what deadweight does
//! not inflate itself.

use rustc_hash::FxHashMap;

use super::positioned::PositionedFile;

const END_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
const END_FIXED: usize = 22;
const ZIP64_LOCATOR_SIGNATURE: [u8; 4] = *b"PK\x06\x07";
const ZIP64_LOCATOR_LEN: u64 = 20;
const ZIP64_END_SIGNATURE: [u8; 4] = *b"PK\x06\x06";
const ZIP64_END_FIXED: usize = 56;
const CENTRAL_SIGNATURE: [u8; 4] = *b"PK\x01\x02";
const CENTRAL_FIXED: usize = 46;
/// The end record's comment is at most this long.
const MAX_COMMENT: usize = u16::MAX as usize;
/// A 32-bit field holding this says "see the Zip64 extra field".
const ZIP64_SENTINEL: u32 = u32::MAX;

const ZIP64_EXTRA: u16 = 0x0001;
const EXTENDED_TIMESTAMP_EXTRA: u16 = 0x5455;
const UNICODE_PATH_EXTRA: u16 = 0x7075;

/// One entry of the central directory, as the listing uses it; a name
/// listed twice is the later record's, at the earlier one's place.
pub(super) struct Record {
    /// The name as stored (or as its Unicode path field gives it).
    pub name: Vec<u8>,
    /// The system that made the entry (the high byte of "version made by").
    pub system: u8,
    pub flags: u16,
    pub method: u16,
    pub dos_time: u16,
    pub dos_date: u16,
    pub crc32: u32,
    pub compressed: u64,
    pub size: u64,
    pub external_attributes: u32,
    /// Where the entry's local header is, the archive's prefix included.
    pub local_header: u64,
    /// Where this record is in the file, and its length.
    pub central_header: u64,
    pub central_len: u64,
    /// The modification time of an Info-ZIP extended timestamp field.
    pub extended_mtime: Option<i64>,
}

pub(super) struct CentralDirectory {
    pub records: Vec<Record>,
    /// Where the central directory starts in the file.
    pub start: u64,
    /// Whether a later record replaced an earlier one of the same name.
    pub duplicate_names: bool,
}

/// Reads the central directory of the zip in `file`; Err says why it is
/// not a readable zip.
pub(super) fn read(file: &PositionedFile, file_len: u64) -> Result<CentralDirectory, String> {
    let tail_len = file_len.min((END_FIXED + MAX_COMMENT) as u64) as usize;
    let tail_start = file_len - tail_len as u64;
    let mut tail = vec![0u8; tail_len];
    file.read_exact_at(&mut tail, tail_start)
        .map_err(|e| e.to_string())?;
    let end_at = find_end_record(&tail)
        .ok_or("no end-of-central-directory record: not a zip, or cut short")?;
    let end = &tail[end_at..];
    let end_pos = tail_start + end_at as u64;
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let u64_at =
        |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"));
    if u16_at(end, 4) != 0 || u16_at(end, 6) != 0 {
        return Err("unsupported archive: it spans several disks".into());
    }
    let mut entries = u64::from(u16_at(end, 10));
    let mut size = u64::from(u32_at(end, 12));
    let mut offset = u64::from(u32_at(end, 16));
    // where the central directory ends: the end record, or the Zip64 one
    let mut directory_end = end_pos;
    if let Some(locator_pos) = end_pos.checked_sub(ZIP64_LOCATOR_LEN) {
        let mut locator = [0u8; ZIP64_LOCATOR_LEN as usize];
        file.read_exact_at(&mut locator, locator_pos)
            .map_err(|e| e.to_string())?;
        if locator[..4] == ZIP64_LOCATOR_SIGNATURE {
            // the record's place as written, then where it is found
            // before the locator (a prefix shifts the archive)
            let stated = u64_at(&locator, 8);
            let mut record = [0u8; ZIP64_END_FIXED];
            let found = [stated, locator_pos.saturating_sub(ZIP64_END_FIXED as u64)]
                .into_iter()
                .find(|&at| {
                    at.checked_add(ZIP64_END_FIXED as u64)
                        .is_some_and(|end| end <= locator_pos)
                        && file.read_exact_at(&mut record, at).is_ok()
                        && record[..4] == ZIP64_END_SIGNATURE
                })
                .ok_or("invalid archive: no Zip64 end record where its locator points")?;
            if u32_at(&record, 16) != 0 || u32_at(&record, 20) != 0 {
                return Err("unsupported archive: it spans several disks".into());
            }
            entries = u64_at(&record, 32);
            size = u64_at(&record, 40);
            offset = u64_at(&record, 48);
            directory_end = found;
        }
    }
    // the offsets count from the archive's start: with a prefix (a
    // self-extractor's stub) the directory lies that much further on
    let expected = directory_end
        .checked_sub(size)
        .ok_or("invalid archive: the central directory is larger than the file")?;
    let prefix = expected.saturating_sub(offset);
    let start = match prefix {
        0 => offset,
        _ if has_signature(file, offset) || entries == 0 => offset,
        _ => expected,
    };
    let prefix = start - offset;
    if start.checked_add(size).is_none_or(|end| end > file_len) {
        return Err("truncated: the file ends inside the central directory".into());
    }
    // a small archive's directory lies in the tail already read
    let directory = match start.checked_sub(tail_start) {
        Some(at) => std::borrow::Cow::Borrowed(&tail[at as usize..][..size as usize]),
        None => {
            let mut directory = vec![0u8; size as usize];
            file.read_exact_at(&mut directory, start)
                .map_err(|e| e.to_string())?;
            std::borrow::Cow::Owned(directory)
        }
    };

    let capacity = usize::try_from(entries)
        .unwrap_or(0)
        .min(directory.len() / CENTRAL_FIXED);
    let mut records: Vec<Record> = Vec::with_capacity(capacity);
    // names keyed as they lie in the directory read: no copy per record
    let mut by_name: FxHashMap<&[u8], usize> = FxHashMap::default();
    let mut duplicate_names = false;
    let mut at = 0usize;
    for n in 0..entries {
        let damaged = || {
            format!(
                "invalid archive: central directory record {} is damaged",
                n + 1
            )
        };
        let fixed = directory
            .get(at..at + CENTRAL_FIXED)
            .filter(|f| f[..4] == CENTRAL_SIGNATURE)
            .ok_or_else(damaged)?;
        let name_len = usize::from(u16_at(fixed, 28));
        let extra_len = usize::from(u16_at(fixed, 30));
        let comment_len = usize::from(u16_at(fixed, 32));
        let name_at = at + CENTRAL_FIXED;
        let extra_at = name_at + name_len;
        let next = extra_at + extra_len + comment_len;
        if next > directory.len() {
            return Err(damaged());
        }
        let stored_name = &directory[name_at..extra_at];
        let mut record = Record {
            name: Vec::new(),
            system: fixed[5],
            flags: u16_at(fixed, 8),
            method: u16_at(fixed, 10),
            dos_time: u16_at(fixed, 12),
            dos_date: u16_at(fixed, 14),
            crc32: u32_at(fixed, 16),
            compressed: u64::from(u32_at(fixed, 20)),
            size: u64::from(u32_at(fixed, 24)),
            external_attributes: u32_at(fixed, 38),
            local_header: u64::from(u32_at(fixed, 42)),
            central_header: start + at as u64,
            central_len: (next - at) as u64,
            extended_mtime: None,
        };
        let name = apply_extra_fields(
            &mut record,
            stored_name,
            &directory[extra_at..extra_at + extra_len],
        )
        .map_err(|why| format!("invalid archive: record {}: {why}", n + 1))?;
        record.name = name.to_vec();
        record.local_header = record
            .local_header
            .checked_add(prefix)
            .ok_or_else(damaged)?;
        match by_name.get(name) {
            Some(&earlier) => {
                duplicate_names = true;
                records[earlier] = record;
            }
            None => {
                by_name.insert(name, records.len());
                records.push(record);
            }
        }
        at = next;
    }
    Ok(CentralDirectory {
        records,
        start,
        duplicate_names,
    })
}

/// Where the end record starts in `tail`: the last signature whose
/// comment ends the file, else the last one at all.
fn find_end_record(tail: &[u8]) -> Option<usize> {
    let last = tail.len().checked_sub(END_FIXED)?;
    let mut any = None;
    for at in (0..=last).rev() {
        if tail[at..at + 4] != END_SIGNATURE {
            continue;
        }
        let comment = usize::from(u16::from_le_bytes([tail[at + 20], tail[at + 21]]));
        if at + END_FIXED + comment == tail.len() {
            return Some(at);
        }
        any.get_or_insert(at);
    }
    any
}

fn has_signature(file: &PositionedFile, at: u64) -> bool {
    let mut signature = [0u8; 4];
    file.read_exact_at(&mut signature, at).is_ok() && signature == CENTRAL_SIGNATURE
}

/// Reads the extra fields the listing uses: Zip64 sizes and offset (each
/// present only where the record holds the 0xFFFFFFFF sentinel) and the
/// extended timestamp; returns the entry's name: a Unicode path whose CRC
/// matches the stored name, else the stored name.
fn apply_extra_fields<'d>(
    record: &mut Record,
    stored_name: &'d [u8],
    mut extra: &'d [u8],
) -> Result<&'d [u8], &'static str> {
    let mut name = stored_name;
    let mut original_name_crc = None;
    let mut timestamp_read = false;
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let Some(data) = extra.get(4..4 + len) else {
            // a field running past the extra data is left unread
            break;
        };
        match id {
            ZIP64_EXTRA => {
                let mut values = data
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("eight bytes")));
                let mut take = |sentinel: bool| -> Result<Option<u64>, &'static str> {
                    match sentinel {
                        true => values.next().map(Some).ok_or("Zip64 extra field truncated"),
                        false => Ok(None),
                    }
                };
                let size = take(record.size == u64::from(ZIP64_SENTINEL))?;
                let compressed = take(record.compressed == u64::from(ZIP64_SENTINEL))?;
                let local_header = take(record.local_header == u64::from(ZIP64_SENTINEL))?;
                record.size = size.unwrap_or(record.size);
                record.compressed = compressed.unwrap_or(record.compressed);
                record.local_header = local_header.unwrap_or(record.local_header);
            }
            EXTENDED_TIMESTAMP_EXTRA if !timestamp_read => {
                timestamp_read = true;
                // flags, then the modification time when bit 0 is set
                if let [flags, t0, t1, t2, t3, ..] = data {
                    if flags & 1 == 1 {
                        record.extended_mtime =
                            Some(i64::from(u32::from_le_bytes([*t0, *t1, *t2, *t3])));
                    }
                }
            }
            UNICODE_PATH_EXTRA => {
                // a version byte, the CRC-32 of the name it stands for, the name
                if let [_version, c0, c1, c2, c3, path @ ..] = data {
                    let crc = u32::from_le_bytes([*c0, *c1, *c2, *c3]);
                    let original =
                        *original_name_crc.get_or_insert_with(|| crc32fast::hash(stored_name));
                    if crc == original && std::str::from_utf8(path).is_ok() {
                        name = path;
                    }
                }
            }
            _ => {}
        }
        extra = &extra[4 + len..];
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use super::read;
    use crate::artifact::positioned::PositionedFile;

    fn read_bytes(bytes: &[u8]) -> Result<usize, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crafted.zip");
        std::fs::write(&path, bytes).unwrap();
        let file = PositionedFile::new(File::open(&path).unwrap(), bytes.len() as u64);
        read(&file, bytes.len() as u64).map(|d| d.records.len())
    }

    /// An end record: entries, directory size and offset as given.
    fn end_record(entries: u16, size: u32, offset: u32) -> Vec<u8> {
        let mut end = b"PK\x05\x06".to_vec();
        end.extend([0u8; 4]);
        end.extend(entries.to_le_bytes());
        end.extend(entries.to_le_bytes());
        end.extend(size.to_le_bytes());
        end.extend(offset.to_le_bytes());
        end.extend([0u8; 2]);
        end
    }

    #[test]
    fn crafted_sizes_and_offsets_are_errors_not_overflows() {
        // an empty archive lists nothing
        assert_eq!(read_bytes(&end_record(0, 0, 0)), Ok(0));
        // a directory said to lie past the end, or to be larger than the file
        for (size, offset) in [(46, u32::MAX - 10), (u32::MAX, 0), (u32::MAX, u32::MAX)] {
            let got = read_bytes(&end_record(1, size, offset));
            assert!(got.is_err(), "{size} at {offset}: {got:?}");
        }
        // a Zip64 locator pointing nowhere, and a Zip64 end record whose
        // size and offset are the largest there are
        let mut locator = b"PK\x06\x07".to_vec();
        locator.extend([0u8; 4]);
        locator.extend(u64::MAX.to_le_bytes());
        locator.extend(1u32.to_le_bytes());
        let got = read_bytes(&[locator.clone(), end_record(0xffff, u32::MAX, u32::MAX)].concat());
        assert!(got.is_err(), "{got:?}");
        // entries, size, offset
        for (entries, size, offset) in [(u64::MAX, u64::MAX, u64::MAX), (1, 1, u64::MAX)] {
            let mut zip64_end = b"PK\x06\x06".to_vec();
            zip64_end.extend(44u64.to_le_bytes());
            zip64_end.extend([45, 0, 45, 0]);
            zip64_end.extend([0u8; 8]);
            zip64_end.extend(entries.to_le_bytes());
            zip64_end.extend(entries.to_le_bytes());
            zip64_end.extend(size.to_le_bytes());
            zip64_end.extend(offset.to_le_bytes());
            let mut locator = b"PK\x06\x07".to_vec();
            locator.extend([0u8; 4]);
            locator.extend(0u64.to_le_bytes());
            locator.extend(1u32.to_le_bytes());
            let end = end_record(0xffff, u32::MAX, u32::MAX);
            // what lies before the records: the directory, as they say
            let before = vec![0u8; 100];
            let got = read_bytes(&[before, zip64_end, locator, end].concat());
            assert!(got.is_err(), "{size} at {offset}: {got:?}");
        }
    }
}
