//! What reading a zip's files found, kept between runs. A zip's central
//! directory identifies each file's contents without reading them (CRC-32
//! and size), so a file an earlier audit read — parsed for its imports,
//! or inflated to its ELF tables — need not be read again: the audit of a
//! rebuilt function mostly meets the same files.
//!
//! One cache file per kind of reading and set of audited artifacts (by
//! path), under the user's cache directory. It is a cache only: a file
//! that is missing, from another build of deadweight, truncated or damaged
//! counts as empty, and one that cannot be written is left alone. Readings
//! that failed are never kept, so their warnings come back on every run.
//! Audits of paths that are gone (temporary folders, old CI workspaces)
//! leave their files behind: files no run used for 30 days are removed
//! when a new one is made.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Where the cache lives unless the command line says otherwise:
/// `DEADWEIGHT_CACHE_DIR` (empty: no cache), else `$XDG_CACHE_HOME/deadweight`,
/// else `~/.cache/deadweight`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DEADWEIGHT_CACHE_DIR") {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(std::env::var_os("HOME")?).join(".cache")))?;
    Some(base.join("deadweight"))
}

/// A file's place and contents: its path as the function sees it, the
/// CRC-32 and the size of its contents.
type Key = (String, u32, u64);

pub struct ContentCache<T> {
    file: PathBuf,
    /// The cache file was not there: saving it makes a new one.
    new: bool,
    /// The cache file as read; what it keeps is decoded when asked for.
    bytes: Vec<u8>,
    /// Where what was read of each file lies in `bytes`, and whether this
    /// run used it.
    stored: HashMap<Key, (Range<usize>, AtomicBool)>,
    /// What this run read, encoded.
    added: Mutex<Vec<(Key, Vec<u8>)>>,
    kept: PhantomData<fn() -> T>,
}

const MAGIC: &[u8; 8] = b"dwkept1\n";

impl<T: Codec> ContentCache<T> {
    /// The cache of what was read of these artifacts (their paths): `kind`
    /// names what is kept, `reading` anything else the reading depended on
    /// (the Python version a scan was made for).
    pub fn open(dir: &Path, kind: &str, artifacts: &[&Path], reading: impl Hash) -> Self {
        let mut hasher = std::hash::DefaultHasher::new();
        for path in artifacts {
            std::fs::canonicalize(path)
                .unwrap_or_else(|_| path.to_path_buf())
                .hash(&mut hasher);
        }
        reading.hash(&mut hasher);
        let file = dir.join(format!("{kind}-{:016x}.bin", hasher.finish()));
        let read = std::fs::read(&file);
        let new = read.is_err();
        let bytes = read.unwrap_or_default();
        let stored = index_file(&bytes, build_id()).unwrap_or_default();
        ContentCache {
            file,
            new,
            bytes,
            stored: stored
                .into_iter()
                .map(|(key, range)| (key, (range, AtomicBool::new(false))))
                .collect(),
            added: Mutex::new(Vec::new()),
            kept: PhantomData,
        }
    }

    /// What was read of a file with these contents at this path, when kept.
    pub fn get(&self, path: &str, content: (u32, u64)) -> Option<T> {
        let (range, used) = self.stored.get(&(path.to_string(), content.0, content.1))?;
        let source = decode_whole(&self.bytes[range.clone()])?;
        used.store(true, Ordering::Relaxed);
        Some(source)
    }

    /// What `read` gives for a file, taken from `cache` when kept there
    /// and kept when new. Without a cache, or contents to know the file
    /// by (a file on disk), just `read`; what fails is never kept.
    pub fn through<E>(
        cache: Option<&Self>,
        path: &str,
        content: Option<(u32, u64)>,
        read: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let Some((cache, content)) = cache.zip(content) else {
            return read();
        };
        if let Some(kept) = cache.get(path, content) {
            return Ok(kept);
        }
        let value = read()?;
        cache.add(path, content, &value);
        Ok(value)
    }

    pub fn add(&self, path: &str, content: (u32, u64), read: &T) {
        let mut body = Writer(Vec::new());
        read.put(&mut body);
        self.added
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(((path.to_string(), content.0, content.1), body.0));
    }

    /// Runs `read` with the cache in `dir` (none without a directory), then
    /// saves what it used and added.
    pub fn keeping<R>(
        dir: Option<&Path>,
        (kind, artifacts, reading): (&str, &[&Path], impl Hash),
        read: impl FnOnce(Option<&Self>) -> R,
    ) -> R {
        let kept = dir.map(|dir| Self::open(dir, kind, artifacts, reading));
        let read = read(kept.as_ref());
        if let Some(kept) = kept {
            kept.save();
        }
        read
    }

    /// Writes what this run used or read, when it differs from what the
    /// file holds: what was read of files no longer there goes.
    pub fn save(&self) {
        let added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        let used = |used: &AtomicBool| used.load(Ordering::Relaxed);
        if added.is_empty() && self.stored.values().all(|(_, u)| used(u)) {
            // unchanged, but used: not one for pruning to remove
            touch(&self.file);
            return;
        }
        let kept = self
            .stored
            .iter()
            .filter(|(_, (_, u))| used(u))
            .map(|(key, (range, _))| (key, &self.bytes[range.clone()]));
        let mut records: Vec<(&Key, &[u8])> = kept
            .chain(added.iter().map(|(key, body)| (key, body.as_slice())))
            .collect();
        records.sort_by(|a, b| a.0.cmp(b.0));
        records.dedup_by(|a, b| a.0 == b.0);
        let bytes = encode_file(&records, build_id());
        let Some(dir) = self.file.parent() else {
            return;
        };
        // written aside and renamed: a run reading it meanwhile sees the
        // old file or the new one, never half of one
        let partial = self
            .file
            .with_extension(format!("{}.partial", std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&partial, bytes))
            .and_then(|()| std::fs::rename(&partial, &self.file));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        } else if self.new {
            prune(dir);
        }
    }
}

/// How long a cache file may go unused before pruning removes it.
const UNUSED_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Marks a cache file used now, when it was last marked more than a day
/// ago (one write a day at most).
fn touch(file: &Path) {
    let Ok(modified) = std::fs::metadata(file).and_then(|m| m.modified()) else {
        return;
    };
    let now = SystemTime::now();
    if now.duration_since(modified).unwrap_or_default() > Duration::from_secs(24 * 60 * 60) {
        if let Ok(handle) = std::fs::File::options().write(true).open(file) {
            let _ = handle.set_modified(now);
        }
    }
}

/// Removes deadweight's files in `dir` untouched for `UNUSED_FOR`: cache
/// files no run used, and any a run that stopped midway left half written.
/// Only names deadweight gives its files are looked at: the directory may
/// be shared.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(is_cache_file_name) {
            continue;
        }
        let unused = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| now.duration_since(modified).unwrap_or_default() > UNUSED_FOR);
        if unused {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `{kind}-{16 hex digits}.bin`, or the same written aside as
/// `{kind}-{hex}.{process id}.partial`.
fn is_cache_file_name(name: &str) -> bool {
    let Some((kind, rest)) = name.split_once('-') else {
        return false;
    };
    let Some((hash, extension)) = rest.split_once('.') else {
        return false;
    };
    let process_id = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    !kind.is_empty()
        && kind.bytes().all(|b| b.is_ascii_lowercase())
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && (extension == "bin" || extension.strip_suffix(".partial").is_some_and(process_id))
}

/// This build of deadweight: what another read may differ.
fn build_id() -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    if let Some(meta) = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::metadata(exe).ok())
    {
        meta.len().hash(&mut hasher);
        meta.modified().ok().hash(&mut hasher);
    }
    hasher.finish()
}

/// The cache file: magic, build, then each file's key and what was read
/// of it, encoded (length first), and a CRC-32 of all that.
fn encode_file(records: &[(&Key, &[u8])], build: u64) -> Vec<u8> {
    let mut out = Writer(MAGIC.to_vec());
    build.put(&mut out);
    for (key, body) in records {
        key.put(&mut out);
        (body.len() as u32).put(&mut out);
        out.0.extend_from_slice(body);
    }
    let crc = crc32fast::hash(&out.0);
    crc.put(&mut out);
    out.0
}

/// Where each record of a cache file lies in it.
fn index_file(bytes: &[u8], build: u64) -> Option<Vec<(Key, Range<usize>)>> {
    let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
    if crc32fast::hash(body).to_le_bytes() != crc || !body.starts_with(MAGIC) {
        return None;
    }
    let mut reader = Reader(&body[MAGIC.len()..]);
    if u64::take(&mut reader)? != build {
        return None;
    }
    let mut records = Vec::new();
    while !reader.0.is_empty() {
        let key = Key::take(&mut reader)?;
        let len = take_len(&mut reader)?;
        let start = body.len() - reader.0.len();
        reader.bytes(len)?;
        records.push((key, start..start + len));
    }
    Some(records)
}

/// A value that fills `bytes` exactly.
fn decode_whole<T: Codec>(bytes: &[u8]) -> Option<T> {
    let mut reader = Reader(bytes);
    let value = T::take(&mut reader)?;
    reader.0.is_empty().then_some(value)
}

pub struct Writer(pub(crate) Vec<u8>);
pub struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    #[cfg(test)]
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader(bytes)
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }
}

/// A value's place in the cache file. Structs are written by destructuring
/// them whole, so a field added to one fails to compile here until the
/// cache keeps it too.
pub trait Codec: Sized {
    fn put(&self, out: &mut Writer);
    fn take(input: &mut Reader) -> Option<Self>;
}

impl Codec for u32 {
    fn put(&self, out: &mut Writer) {
        out.0.extend_from_slice(&self.to_le_bytes());
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(u32::from_le_bytes(input.bytes(4)?.try_into().ok()?))
    }
}

impl Codec for u64 {
    fn put(&self, out: &mut Writer) {
        out.0.extend_from_slice(&self.to_le_bytes());
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(u64::from_le_bytes(input.bytes(8)?.try_into().ok()?))
    }
}

impl Codec for bool {
    fn put(&self, out: &mut Writer) {
        out.0.push(u8::from(*self));
    }
    fn take(input: &mut Reader) -> Option<Self> {
        match input.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// A length that the bytes left could hold: damaged counts allocate nothing.
fn take_len(input: &mut Reader) -> Option<usize> {
    let len = u32::take(input)? as usize;
    (len <= input.0.len()).then_some(len)
}

impl Codec for String {
    fn put(&self, out: &mut Writer) {
        (self.len() as u32).put(out);
        out.0.extend_from_slice(self.as_bytes());
    }
    fn take(input: &mut Reader) -> Option<Self> {
        let len = take_len(input)?;
        String::from_utf8(input.bytes(len)?.to_vec()).ok()
    }
}

impl<T: Codec> Codec for Option<T> {
    fn put(&self, out: &mut Writer) {
        self.is_some().put(out);
        if let Some(value) = self {
            value.put(out);
        }
    }
    fn take(input: &mut Reader) -> Option<Self> {
        match bool::take(input)? {
            true => Some(Some(T::take(input)?)),
            false => Some(None),
        }
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn put(&self, out: &mut Writer) {
        (self.len() as u32).put(out);
        self.iter().for_each(|item| item.put(out));
    }
    fn take(input: &mut Reader) -> Option<Self> {
        let len = take_len(input)?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(T::take(input)?);
        }
        Some(items)
    }
}

impl Codec for HashSet<String> {
    /// Sorted: the same scans make the same file.
    fn put(&self, out: &mut Writer) {
        (self.len() as u32).put(out);
        let mut names: Vec<&String> = self.iter().collect();
        names.sort();
        names.into_iter().for_each(|name| name.put(out));
    }
    fn take(input: &mut Reader) -> Option<Self> {
        let len = take_len(input)?;
        let mut names = HashSet::with_capacity(len);
        for _ in 0..len {
            names.insert(String::take(input)?);
        }
        Some(names)
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn put(&self, out: &mut Writer) {
        self.0.put(out);
        self.1.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some((A::take(input)?, B::take(input)?))
    }
}

impl<A: Codec, B: Codec, C: Codec> Codec for (A, B, C) {
    fn put(&self, out: &mut Writer) {
        self.0.put(out);
        self.1.put(out);
        self.2.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some((A::take(input)?, B::take(input)?, C::take(input)?))
    }
}

/// Enums without data, written as their position in `ALL`.
macro_rules! codec_by_position {
    ($type:ty, [$($variant:path),+ $(,)?]) => {
        impl $crate::artifact::cache::Codec for $type {
            fn put(&self, out: &mut $crate::artifact::cache::Writer) {
                let position = [$($variant),+].iter().position(|v| v == self);
                out.0.push(position.unwrap_or(0) as u8);
            }
            fn take(input: &mut $crate::artifact::cache::Reader) -> Option<Self> {
                [$($variant),+].get(usize::from(input.byte()?)).copied()
            }
        }
    };
}
pub(crate) use codec_by_position;

/// Structs, written field by field in the order listed. The list must
/// name every field (the struct is destructured whole), so a field added
/// to one fails to compile until the cache keeps it.
macro_rules! codec_struct {
    ($type:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::artifact::cache::Codec for $type {
            fn put(&self, out: &mut $crate::artifact::cache::Writer) {
                let $type { $($field),+ } = self;
                $($crate::artifact::cache::Codec::put($field, out);)+
            }
            fn take(input: &mut $crate::artifact::cache::Reader) -> Option<Self> {
                Some($type {
                    $($field: $crate::artifact::cache::Codec::take(input)?),+
                })
            }
        }
    };
}
pub(crate) use codec_struct;

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> Vec<(Key, Vec<String>)> {
        (0..3u32)
            .map(|i| {
                let key = (format!("lib/{i}.so"), i * 7919, u64::from(i) * 100);
                (key, (0..i).map(|n| format!("GLIBC_2.{n}")).collect())
            })
            .collect()
    }

    fn encoded(records: &[(Key, Vec<String>)]) -> Vec<u8> {
        let bodies: Vec<Vec<u8>> = (records.iter())
            .map(|(_, read)| {
                let mut body = Writer(Vec::new());
                read.put(&mut body);
                body.0
            })
            .collect();
        let pairs: Vec<(&Key, &[u8])> = (records.iter().zip(&bodies))
            .map(|((key, _), body)| (key, body.as_slice()))
            .collect();
        encode_file(&pairs, 42)
    }

    fn decoded(bytes: &[u8], build: u64) -> Option<Vec<(Key, Vec<String>)>> {
        index_file(bytes, build)?
            .into_iter()
            .map(|(key, range)| Some((key, decode_whole(&bytes[range])?)))
            .collect()
    }

    #[test]
    fn another_build_or_damage_empties_the_cache() {
        let records = records();
        let bytes = encoded(&records);
        assert_eq!(decoded(&bytes, 42), Some(records));
        assert_eq!(decoded(&bytes, 43), None, "another build's");
        for cut in [0, 1, 8, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decoded(&bytes[..cut], 42), None, "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 0x20;
        assert_eq!(decoded(&flipped, 42), None, "a flipped bit");
    }

    #[test]
    fn a_cache_keeps_what_its_run_used_or_read() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("function.zip");
        let open = |reading: u8| {
            ContentCache::<Vec<String>>::open(dir.path(), "test", &[&artifact], reading)
        };
        let records = records();
        let first = open(1);
        assert!(first.get("lib/1.so", (7919, 100)).is_none());
        for ((path, crc, size), read) in &records[1..] {
            first.add(path, (*crc, *size), read);
        }
        first.save();
        let second = open(1);
        let ((path, crc, size), read) = &records[1];
        assert_eq!(second.get(path, (*crc, *size)).as_ref(), Some(read));
        assert!(
            second.get(path, (crc + 1, *size)).is_none(),
            "other contents"
        );
        second.save();
        // the second run asked for one of the two: the other is gone
        let third = open(1);
        assert!(third.get(path, (*crc, *size)).is_some());
        let ((path, crc, size), _) = &records[2];
        assert!(third.get(path, (*crc, *size)).is_none());
        // what was read another way is kept apart
        let ((path, crc, size), _) = &records[1];
        assert!(open(2).get(path, (*crc, *size)).is_none());
    }

    #[test]
    fn files_unused_for_a_month_go_when_a_new_one_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let month_ago = SystemTime::now() - Duration::from_secs(31 * 24 * 60 * 60);
        let set_modified = |path: &Path, modified: SystemTime| {
            let file = std::fs::File::options().write(true).open(path).unwrap();
            file.set_modified(modified).unwrap();
        };
        let put = |name: &str, modified: SystemTime| {
            let path = dir.path().join(name);
            std::fs::write(&path, b"old").unwrap();
            set_modified(&path, modified);
            path
        };
        let artifact = dir.path().join("function.zip");
        let open =
            |kind: &str| ContentCache::<Vec<String>>::open(dir.path(), kind, &[&artifact], 0u8);
        let read = vec!["GLIBC_2.17".to_string()];
        let used = open("handler");
        used.add("index.js", (1, 2), &read);
        used.save();
        set_modified(&used.file, month_ago);
        let stale = put("native-00112233aabbccdd.bin", month_ago);
        let half_written = put("app-00112233aabbccdd.4242.partial", month_ago);
        let recent = put("scan-0123456789abcdef.bin", SystemTime::now());
        let not_ours = put("notes.bin", month_ago);

        // read again with nothing new: marked used, and nothing pruned
        let again = open("handler");
        assert_eq!(again.get("index.js", (1, 2)), Some(read.clone()));
        again.save();
        assert!(stale.exists());
        // a new cache file prunes
        let new = open("native");
        new.add("lib.so", (3, 4), &read);
        new.save();
        assert!(!stale.exists(), "unused for a month");
        assert!(!half_written.exists(), "left half written");
        assert!(recent.exists() && not_ours.exists() && new.file.exists());
        assert!(used.file.exists(), "used, though not rewritten");
    }

    #[test]
    fn cache_file_names_are_told_from_others() {
        for ours in [
            "app-0123456789abcdef.bin",
            "native-00112233AABBCCDD.bin",
            "scan-0123456789abcdef.77.partial",
        ] {
            assert!(is_cache_file_name(ours), "{ours}");
        }
        for other in [
            "notes.bin",
            "app-0123.bin",
            "app-0123456789abcdef.txt",
            "-0123456789abcdef.bin",
            "app-0123456789abcdef.x.partial",
            "App-0123456789abcdef.bin",
        ] {
            assert!(!is_cache_file_name(other), "{other}");
        }
    }
}
