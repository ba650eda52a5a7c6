//! Opening a deployment package: a zip (function or layer), a jar, or a build
//! directory, as one in-memory tree of entries with their sizes.
//!
//! Only the zip's central directory is read up front; an entry's bytes are
//! inflated on demand through [`Artifact::read`], with a size limit.

pub mod cache;
mod central_directory;
mod deflate_tail;
mod directory;
pub(crate) use directory::deflated_size;
mod positioned;
mod zipfile;

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use zipfile::ZIP_END_RECORD_BYTES;

/// Largest entry [`Artifact::read`] inflates by default: manifests and
/// sources are far below this; anything larger is not worth holding in memory.
pub const DEFAULT_READ_LIMIT: u64 = 16 * 1024 * 1024;

/// What the artifact is stored as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    Zip,
    Jar,
    Directory,
    /// One source file, the package a deployment makes of it alone.
    File,
}

impl Container {
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Zip => "zip",
            Container::Jar => "jar",
            Container::Directory => "directory",
            Container::File => "file",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
}

/// One file, directory or symlink in the artifact.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Path inside the artifact, `/`-separated, without a trailing slash.
    pub path: String,
    pub kind: EntryKind,
    /// Size once extracted (a symlink's size is the length of its target).
    pub unzipped_bytes: u64,
    /// What the entry costs in the zip: local header, data (and data
    /// descriptor) and its central directory record. For a directory this is
    /// an estimate of what `zip -r` at the default level would produce.
    pub zipped_bytes: u64,
    /// The compressed data alone (zip) or the deflated size (directory estimate).
    pub compressed_bytes: u64,
    /// Set when the name is absolute, climbs out with `..`, or holds a NUL:
    /// such an entry is never treated as part of the function's tree.
    pub unsafe_name: bool,
    pub encrypted: bool,
    /// Unix permission bits when the archive records them.
    pub unix_mode: Option<u32>,
    /// Modification time in seconds since the Unix epoch: a zip's DOS date
    /// read as UTC (2-second resolution); see `Artifact::extracted_mtime`
    /// for the time extraction sets.
    pub modified: Option<i64>,
    source: EntrySource,
}

#[derive(Clone, Debug)]
enum EntrySource {
    ZipIndex(usize),
    Fs(PathBuf),
}

/// A problem that leaves the rest of the artifact readable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The entry (or manifest) the warning is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

impl Warning {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            path: Some(path.into()),
            message: message.into(),
        }
    }
    pub fn general(message: impl Into<String>) -> Self {
        Warning {
            path: None,
            message: message.into(),
        }
    }
}

/// Why an artifact could not be opened at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    // the I/O error is part of the message, not a cause printed again
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: empty file, not a zip archive")]
    Empty { path: PathBuf },
    #[error("{path}: not a readable zip archive ({reason})")]
    NotZip { path: PathBuf, reason: String },
    #[error("{path}: not a zip, jar or directory")]
    Unsupported { path: PathBuf },
}

/// Why one entry's bytes could not be read; the audit goes on without them.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("larger than the {limit}-byte read limit ({size} bytes)")]
    TooLarge { size: u64, limit: u64 },
    #[error("encrypted entry, contents not inspected")]
    Encrypted,
    #[error("not a regular file")]
    NotAFile,
    #[error("corrupt entry: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How a deployment makes a zip of folders and files on disk, when that
/// is more than one folder zipped whole: the first part is the function's
/// code, which names the artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packaging {
    pub parts: Vec<Part>,
}

/// A folder or source file a deployment zips, under a prefix in the zip
/// (empty for its root), without what it leaves out of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub path: PathBuf,
    pub prefix: String,
    pub left_out: LeftOut,
}

/// What the tool that zips a folder leaves out of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeftOut {
    Nothing,
    /// Globs over paths from the folder (`*` within a name, `**` across
    /// folders); a folder matched goes with all it holds: a Terraform
    /// `archive_file`'s `excludes`.
    Globs(Vec<String>),
    /// Globs over file paths from the folder, each keeping what it
    /// matches or, after a `!`, leaving it out; the last that matches
    /// decides, and what none matches is kept; a folder is kept when a file
    /// below it is: the Serverless Framework's `package.patterns`.
    OrderedGlobs(Vec<String>),
    /// Regular expressions over whole paths as the zip holds them (from
    /// the folder, under its prefix there; a folder's ending in `/`), each
    /// keeping what it matches or, after a `!`, leaving it out; the last
    /// that matches decides, and what none matches is kept: the Terraform
    /// Lambda module's `patterns`.
    Patterns(Vec<String>),
}

/// An opened deployment package.
pub struct Artifact {
    /// The path the user gave.
    pub path: PathBuf,
    pub container: Container,
    /// Size of the archive file; for a directory, the estimated zip size.
    pub zipped_bytes: u64,
    /// True when `zipped_bytes` (and each entry's) is an estimate, not a
    /// measurement of an existing zip.
    pub zipped_estimated: bool,
    /// Zip bytes that belong to no entry: the end-of-central-directory
    /// records, the archive comment and anything before the first entry.
    pub archive_overhead_bytes: u64,
    pub entries: Vec<Entry>,
    pub warnings: Vec<Warning>,
    /// Paths are hashed for every lookup the inventory makes: a fast,
    /// non-cryptographic hasher pays here (the input is not adversarial to
    /// the point of mattering for a one-shot CLI).
    by_path: FxHashMap<String, usize>,
    reader: Reader,
}

/// Random access to one entry's bytes (`Artifact::tail`).
pub enum EntryTail {
    /// Stored or on disk: read where they are.
    Exact {
        read: deflate_tail::ReadAt,
        size: u64,
    },
    Deflated(deflate_tail::DeflateTail),
}

impl EntryTail {
    /// Where the bytes already at hand start: reading after it costs
    /// nothing more.
    pub fn decoded_from(&self) -> Option<u64> {
        match self {
            EntryTail::Exact { .. } => Some(0),
            EntryTail::Deflated(tail) => tail.decoded_from(),
        }
    }

    /// The bytes `[offset, offset + len)` when they are at hand without
    /// inflating more: always for stored bytes.
    pub fn read_decoded(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        match self {
            EntryTail::Exact { read, size } => offset
                .checked_add(len as u64)
                .filter(|end| end <= size)
                .and_then(|_| read(offset, len).ok()),
            EntryTail::Deflated(tail) => tail.read_decoded(offset, len),
        }
    }

    /// The bytes `[offset, offset + len)`, exactly; `None` when they lie
    /// past the end, or reaching them in a deflated entry would cost more
    /// than reading it whole.
    pub fn read(&mut self, offset: u64, len: usize) -> Result<Option<Vec<u8>>, ReadError> {
        Ok(match self {
            EntryTail::Exact { read, size } => match offset.checked_add(len as u64) {
                Some(end) if end <= *size => Some(read(offset, len)?),
                _ => None,
            },
            EntryTail::Deflated(tail) => tail.read(offset, len)?,
        })
    }
}

enum Reader {
    Zip(zipfile::ZipReader),
    Directory,
}

impl Artifact {
    /// Opens a zip/jar, a directory, or a Python or JavaScript file alone.
    /// A path that cannot be read as one is an error; problems inside a
    /// readable archive become warnings.
    pub fn open(path: &Path) -> Result<Artifact, OpenError> {
        let meta = metadata(path)?;
        if let Some((listing, container)) = list_on_disk(path, &meta, &LeftOut::Nothing, "")? {
            return Ok(Artifact::assemble(
                path,
                container,
                listing,
                Reader::Directory,
            ));
        }
        let container = match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("jar") || ext.eq_ignore_ascii_case("war") => {
                Container::Jar
            }
            _ => Container::Zip,
        };
        let (listing, reader) = zipfile::list(path, meta.len())?;
        Ok(Artifact::assemble(
            path,
            container,
            listing,
            Reader::Zip(reader),
        ))
    }

    /// Opens a folder or source file as the zip a deployment makes of it
    /// and its `packaging`'s further parts, each listed under its prefix
    /// without what it leaves out. A pattern that is not valid leaves
    /// nothing out; a further part that is missing or not a folder or
    /// source file is a warning.
    pub fn open_packaged(path: &Path, packaging: &Packaging) -> Result<Artifact, OpenError> {
        let mut container = Container::Directory;
        let mut whole: Option<Listing> = None;
        for (n, part) in packaging.parts.iter().enumerate() {
            // the function's own code must be there; a further part that is
            // not (made by a build step, say) is a warning
            let listed = metadata(&part.path)
                .and_then(|meta| list_on_disk(&part.path, &meta, &part.left_out, &part.prefix));
            let (mut listing, kind) = match (listed, &mut whole) {
                (Ok(Some(listed)), _) => listed,
                (Ok(None), None) => {
                    return Err(OpenError::Unsupported {
                        path: part.path.clone(),
                    })
                }
                (Err(error), None) => return Err(error),
                (Ok(None), Some(whole)) => {
                    whole.warnings.push(Warning::at(
                        part.path.display().to_string(),
                        "packaged with the function but not a folder or source file; not audited",
                    ));
                    continue;
                }
                (Err(error), Some(whole)) => {
                    whole.warnings.push(Warning::at(
                        part.path.display().to_string(),
                        format!(
                            "packaged with the function but cannot be read ({error}); not audited"
                        ),
                    ));
                    continue;
                }
            };
            if n == 0 {
                container = kind;
            }
            let prefix = part.prefix.trim_matches('/');
            if !prefix.is_empty() {
                for entry in &mut listing.entries {
                    entry.path = format!("{prefix}/{}", entry.path);
                }
            }
            match &mut whole {
                None => whole = Some(listing),
                Some(whole) => {
                    // one zip: one set of end records
                    whole.zipped_bytes += listing.zipped_bytes - listing.archive_overhead_bytes;
                    whole.entries.extend(listing.entries);
                    whole.warnings.extend(listing.warnings);
                }
            }
        }
        let Some(listing) = whole else {
            return Artifact::open(path);
        };
        Ok(Artifact::assemble(
            path,
            container,
            listing,
            Reader::Directory,
        ))
    }

    fn assemble(path: &Path, container: Container, listing: Listing, reader: Reader) -> Artifact {
        let mut warnings = listing.warnings;
        let mut by_path =
            FxHashMap::with_capacity_and_hasher(listing.entries.len(), Default::default());
        for (index, entry) in listing.entries.iter().enumerate() {
            if by_path.insert(entry.path.clone(), index).is_some() && !entry.unsafe_name {
                warnings.push(Warning::at(
                    &entry.path,
                    "listed twice; when extracted the last copy wins",
                ));
            }
        }
        Artifact {
            path: path.to_path_buf(),
            container,
            zipped_bytes: listing.zipped_bytes,
            zipped_estimated: listing.zipped_estimated,
            archive_overhead_bytes: listing.archive_overhead_bytes,
            entries: listing.entries,
            warnings,
            by_path,
            reader,
        }
    }

    /// The file or folder name the artifact was given by, for messages.
    pub fn name(&self) -> String {
        let name = self.path.file_name().unwrap_or(self.path.as_os_str());
        name.to_string_lossy().into_owned()
    }

    /// Total extracted size of all entries.
    pub fn unzipped_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.unzipped_bytes).sum()
    }

    /// Number of regular files (directories and symlinks not counted).
    pub fn file_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.kind == EntryKind::File)
            .count()
    }

    /// Index of the entry at `path` (no leading or trailing slash).
    pub fn find(&self, path: &str) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    /// Reads one entry's bytes, refusing entries larger than `limit`.
    /// Safe to call from several threads at once.
    pub fn read(&self, index: usize, limit: u64) -> Result<Vec<u8>, ReadError> {
        let entry = &self.entries[index];
        if entry.kind == EntryKind::Dir {
            return Err(ReadError::NotAFile);
        }
        if entry.encrypted {
            return Err(ReadError::Encrypted);
        }
        if entry.unzipped_bytes > limit {
            return Err(ReadError::TooLarge {
                size: entry.unzipped_bytes,
                limit,
            });
        }
        match (&self.reader, &entry.source) {
            (Reader::Zip(zip), EntrySource::ZipIndex(i)) => zip.read(*i, limit),
            (Reader::Directory, EntrySource::Fs(fs_path)) => {
                directory::read(fs_path, entry.kind, limit)
            }
            _ => Err(ReadError::NotAFile),
        }
    }

    /// A zip entry's contents identified without reading them: the CRC-32
    /// its central directory records and its size. `None` for files on
    /// disk, which have no such record.
    pub fn content_id(&self, index: usize) -> Option<(u32, u64)> {
        let entry = &self.entries[index];
        match (&self.reader, &entry.source) {
            (Reader::Zip(zip), EntrySource::ZipIndex(i)) if entry.kind == EntryKind::File => {
                Some((zip.crc32(*i), entry.unzipped_bytes))
            }
            _ => None,
        }
    }

    /// The entry, when it is a file whose bytes can be read.
    fn file_entry(&self, index: usize) -> Result<&Entry, ReadError> {
        let entry = &self.entries[index];
        if entry.kind != EntryKind::File {
            return Err(ReadError::NotAFile);
        }
        if entry.encrypted {
            return Err(ReadError::Encrypted);
        }
        Ok(entry)
    }

    /// An entry's bytes as a stream, to pick a few ranges out of a big file
    /// with flat memory. `None` when the entry can only be read whole.
    pub fn stream(&self, index: usize) -> Result<Option<Box<dyn std::io::Read + Send>>, ReadError> {
        let entry = self.file_entry(index)?;
        match (&self.reader, &entry.source) {
            (Reader::Zip(zip), EntrySource::ZipIndex(i)) => zip.stream(*i),
            (Reader::Directory, EntrySource::Fs(fs_path)) => {
                Ok(Some(Box::new(std::fs::File::open(fs_path)?)))
            }
            _ => Err(ReadError::NotAFile),
        }
    }

    /// The modification time extraction gives an entry: a zip entry's
    /// extended timestamp when it has one (exact to the second), else its
    /// DOS time read as UTC; a file's own time in a directory.
    pub fn extracted_mtime(&self, index: usize) -> Option<i64> {
        let entry = &self.entries[index];
        match (&self.reader, &entry.source) {
            (Reader::Zip(zip), EntrySource::ZipIndex(i)) => {
                zip.extended_mtime(*i).or(entry.modified)
            }
            _ => entry.modified,
        }
    }

    /// Whether an entry's bytes can be read at any offset as they are: a
    /// file on disk, or a zip entry stored without compression.
    pub fn reads_in_place(&self, index: usize) -> bool {
        match (&self.reader, &self.entries[index].source) {
            (Reader::Zip(zip), EntrySource::ZipIndex(i)) => zip.is_stored(*i),
            (Reader::Directory, EntrySource::Fs(_)) => true,
            _ => false,
        }
    }

    /// An entry's bytes at any offset, read without inflating all that
    /// comes before them: for a few tables at the end of a big library.
    /// `None` when the entry can only be read front to back.
    pub fn tail(&self, index: usize) -> Result<Option<EntryTail>, ReadError> {
        let entry = self.file_entry(index)?;
        match (&self.reader, &entry.source) {
            (Reader::Zip(zip), EntrySource::ZipIndex(i)) => zip.tail(*i),
            (Reader::Directory, EntrySource::Fs(fs_path)) => directory::tail(fs_path).map(Some),
            _ => Err(ReadError::NotAFile),
        }
    }

    /// Reads the first `len` bytes of an entry (a header), inflating no more
    /// of it than that.
    pub fn read_prefix(&self, index: usize, len: usize) -> Result<Vec<u8>, ReadError> {
        let entry = self.file_entry(index)?;
        match (&self.reader, &entry.source) {
            (Reader::Zip(zip), EntrySource::ZipIndex(i)) => zip.read_prefix(*i, len),
            (Reader::Directory, EntrySource::Fs(fs_path)) => directory::read_prefix(fs_path, len),
            _ => Err(ReadError::NotAFile),
        }
    }

    /// Reads an entry as UTF-8 text (lossy), for manifests.
    pub fn read_text(&self, index: usize) -> Result<String, ReadError> {
        let bytes = self.read(index, DEFAULT_READ_LIMIT)?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

/// The metadata of an input, or the error that names it.
fn metadata(path: &Path) -> Result<std::fs::Metadata, OpenError> {
    std::fs::metadata(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            OpenError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            OpenError::Io {
                path: path.to_path_buf(),
                error: source,
            }
        }
    })
}

/// A folder, or a handler's source file alone (the package a deployment
/// makes of it: the Terraform Lambda module's `source_path = "index.py"`),
/// listed as a zip of it would hold it, put under `prefix` there; `None`
/// for a zip or jar, an error for anything else.
fn list_on_disk(
    path: &Path,
    meta: &std::fs::Metadata,
    left_out: &LeftOut,
    prefix: &str,
) -> Result<Option<(Listing, Container)>, OpenError> {
    let selection = directory::Selection::of(left_out, prefix);
    if meta.is_dir() {
        let listing = directory::list(path, selection);
        return Ok(Some((listing, Container::Directory)));
    }
    if !meta.is_file() {
        return Err(OpenError::Unsupported {
            path: path.to_path_buf(),
        });
    }
    let name = path.file_name().and_then(|n| n.to_str());
    match (name, is_source_file(path)) {
        (Some(name), true) => {
            let root = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            let mut listing = directory::list(root, directory::Selection::File(name));
            // patterns may leave the one file out too
            listing
                .entries
                .retain(|entry| selection.lists(&entry.path, false));
            if listing.entries.is_empty() {
                listing.zipped_bytes = listing.archive_overhead_bytes;
            }
            Ok(Some((listing, Container::File)))
        }
        _ => Ok(None),
    }
}

/// A Python or JavaScript source file, which Lambda runs from a package
/// holding just that file.
pub(crate) fn is_source_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "js" | "mjs" | "cjs")
    )
}

/// Bytes as UTF-8 text, invalid sequences replaced. std's check has a fast
/// path for ASCII that the lossy decoder lacks, so it goes first: source
/// files and logs are nearly always valid.
pub fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Seconds since the Unix epoch of a civil date and time in UTC.
pub(crate) fn unix_seconds(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> i64 {
    // days from civil, for the proleptic Gregorian calendar
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second)
}

/// What a container lister hands back to [`Artifact::assemble`].
struct Listing {
    entries: Vec<Entry>,
    warnings: Vec<Warning>,
    zipped_bytes: u64,
    zipped_estimated: bool,
    archive_overhead_bytes: u64,
}

/// Normalises an entry name: `/`-separated, no `./` prefix, no trailing
/// slash. Returns the name and whether it is unsafe to extract.
fn normalize_name(raw: &str) -> (String, bool) {
    let unsafe_name = raw.starts_with('/')
        || raw.starts_with('\\')
        || raw.contains('\0')
        || raw.as_bytes().get(1) == Some(&b':')
        || (raw.contains("..") && raw.split(['/', '\\']).any(|part| part == ".."));
    let mut name = raw.trim_end_matches('/');
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    (name.to_string(), unsafe_name)
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    #[test]
    fn civil_dates_convert_to_unix_seconds() {
        assert_eq!(super::unix_seconds(1970, 1, 1, 0, 0, 0), 0);
        assert_eq!(super::unix_seconds(1980, 1, 1, 0, 0, 0), 315_532_800);
        assert_eq!(super::unix_seconds(2024, 2, 29, 12, 30, 15), 1_709_209_815);
    }

    #[test]
    fn names_that_escape_the_root_are_unsafe() {
        assert_eq!(normalize_name("a/b/"), ("a/b".to_string(), false));
        assert_eq!(normalize_name("./a.js"), ("a.js".to_string(), false));
        assert!(normalize_name("../etc/passwd").1);
        assert!(normalize_name("a/../../b").1);
        assert!(normalize_name("/etc/passwd").1);
        assert!(normalize_name("C:/x").1);
        assert!(!normalize_name("a..b/c").1);
    }
}
