//! A build directory (`.aws-sam/build/Fn`, `dist/`, an unzipped layer).
//!
//! A directory has no zipped size, yet the 50 MB Lambda limit is about the
//! zip. So each file is deflated at zlib's default level, the level `zip -r`,
//! SAM and the Serverless Framework use, and the zip headers are added: the
//! result is an estimate of the zip those tools would write, marked as such.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use flate2::{Compress, Compression, FlushCompress, Status};
use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use regex::Regex;
use walkdir::WalkDir;

use super::zipfile::ZIP_END_RECORD_BYTES;
use super::{Entry, EntryKind, EntrySource, LeftOut, Listing, ReadError, Warning};

/// Local header + central record without extra fields, plus the name twice.
const ZIP_HEADERS_FIXED: u64 = 30 + 46;

/// What of a folder a listing holds.
pub(super) enum Selection<'a> {
    /// All but the paths these globs match (from the root, `/`-separated):
    /// a folder matched is left out with all it holds, as the tool that
    /// zips it walks it.
    Excluding(GlobSet),
    /// What these rules keep (true) or leave out (false), the last that
    /// matches a path deciding (see [`super::LeftOut::Patterns`]), the
    /// paths under the prefix they go to in the zip; every folder is
    /// walked into.
    Patterns(Vec<(bool, Regex)>, String),
    /// Files these globs keep (true) or leave out (false), the last that
    /// matches deciding; a folder is listed when a file below it is.
    OrderedGlobs(Vec<(bool, GlobMatcher)>),
    /// One file at the root: a source file a deployment zips alone.
    File(&'a str),
}

impl Selection<'_> {
    /// The selection a deployment's [`LeftOut`] makes of a folder it puts
    /// under `prefix` in the zip.
    pub(super) fn of(left_out: &LeftOut, prefix: &str) -> Selection<'static> {
        match left_out {
            LeftOut::Nothing => Selection::Excluding(GlobSet::empty()),
            LeftOut::Globs(globs) => {
                let mut set = GlobSetBuilder::new();
                for glob in globs.iter().filter_map(|pattern| glob(pattern)) {
                    set.add(glob);
                }
                Selection::Excluding(set.build().unwrap_or_else(|_| GlobSet::empty()))
            }
            LeftOut::OrderedGlobs(globs) => Selection::OrderedGlobs(
                globs
                    .iter()
                    .filter_map(|pattern| {
                        let (keep, pattern) = rule(pattern);
                        Some((keep, glob(pattern)?.compile_matcher()))
                    })
                    .collect(),
            ),
            LeftOut::Patterns(patterns) => Selection::Patterns(
                patterns
                    .iter()
                    .filter_map(|pattern| {
                        let (keep, expression) = rule(pattern);
                        // the whole path must match, as Python's fullmatch
                        let regex = Regex::new(&format!("^(?:{expression})$")).ok()?;
                        Some((keep, regex))
                    })
                    .collect(),
                prefix.trim_matches('/').to_string(),
            ),
        }
    }

    /// Whether the walk goes into every folder and reaches every file.
    fn walks_everywhere(&self) -> bool {
        match self {
            Selection::Excluding(excluded) => excluded.is_empty(),
            Selection::Patterns(..) | Selection::OrderedGlobs(_) => true,
            Selection::File(_) => false,
        }
    }

    /// Whether the walk goes into a folder, or lists a file, at `relative`.
    fn walks(&self, relative: &str) -> bool {
        match self {
            Selection::Excluding(excluded) => !excluded.is_match(relative),
            Selection::Patterns(..) | Selection::OrderedGlobs(_) => true,
            Selection::File(name) => relative == *name,
        }
    }

    /// Whether an entry the walk reaches is listed.
    pub(super) fn lists(&self, relative: &str, folder: bool) -> bool {
        if let Selection::OrderedGlobs(rules) = self {
            // folders: decided by the files below them, after the walk
            return folder
                || rules
                    .iter()
                    .rev()
                    .find(|(_, glob)| glob.is_match(relative))
                    .is_none_or(|(keep, _)| *keep);
        }
        let Selection::Patterns(rules, prefix) = self else {
            return true;
        };
        let slash = if folder { "/" } else { "" };
        let path = match prefix.is_empty() {
            true => format!("{relative}{slash}"),
            false => format!("{prefix}/{relative}{slash}"),
        };
        rules
            .iter()
            .rev()
            .find(|(_, regex)| regex.is_match(&path))
            .is_none_or(|(keep, _)| *keep)
    }
}

/// A rule that keeps what it matches, or after a `!` leaves it out.
fn rule(pattern: &str) -> (bool, &str) {
    match pattern.strip_prefix('!') {
        Some(rest) => (false, rest),
        None => (true, pattern),
    }
}

/// A glob over paths from a folder: `*` within a name, `**` across
/// folders; `None` when it is not a valid one.
fn glob(pattern: &str) -> Option<globset::Glob> {
    GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .ok()
}

pub(super) fn list(root: &Path, selection: Selection) -> Listing {
    let mut warnings = Vec::new();
    let mut entries = Vec::new();
    let left_out = std::cell::Cell::new(0usize);
    // Symlinks are listed as links, never followed: a link into the rest of
    // the file system is not part of the package, and a link loop cannot hang.
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter()
        .filter_entry(|item| {
            // most folders leave nothing out: no path to build for them
            if selection.walks_everywhere() {
                return true;
            }
            let keep = item
                .path()
                .strip_prefix(root)
                .map_or(true, |relative| selection.walks(&slash_path(relative)));
            left_out.set(left_out.get() + usize::from(!keep));
            keep
        });
    for item in walker {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                let at = e
                    .path()
                    .and_then(|p| p.strip_prefix(root).ok())
                    .map(slash_path)
                    .unwrap_or_default();
                warnings.push(Warning::at(at, format!("cannot read: {}", io_reason(&e))));
                continue;
            }
        };
        let relative = match item.path().strip_prefix(root) {
            Ok(rel) => slash_path(rel),
            Err(_) => continue,
        };
        let file_type = item.file_type();
        if !selection.lists(&relative, file_type.is_dir()) {
            left_out.set(left_out.get() + 1);
            continue;
        }
        let (kind, unzipped_bytes) = if file_type.is_symlink() {
            let target_len = std::fs::read_link(item.path())
                .map(|t| t.as_os_str().len() as u64)
                .unwrap_or(0);
            (EntryKind::Symlink, target_len)
        } else if file_type.is_dir() {
            (EntryKind::Dir, 0)
        } else if file_type.is_file() {
            match item.metadata() {
                Ok(meta) => (EntryKind::File, meta.len()),
                Err(e) => {
                    warnings.push(Warning::at(&relative, format!("cannot read: {e}")));
                    continue;
                }
            }
        } else {
            warnings.push(Warning::at(
                &relative,
                "not a regular file, directory or symlink; skipped",
            ));
            continue;
        };
        if relative.contains('\\') {
            warnings.push(Warning::at(&relative, "file name contains a backslash"));
        }
        entries.push(Entry {
            path: relative,
            kind,
            unzipped_bytes,
            zipped_bytes: 0,
            compressed_bytes: 0,
            unsafe_name: false,
            encrypted: false,
            unix_mode: unix_mode(&item),
            modified: item
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64),
            source: EntrySource::Fs(item.into_path()),
        });
    }

    let estimates: Vec<Result<u64, String>> = entries
        .par_iter()
        .map(|entry| match (&entry.kind, &entry.source) {
            (EntryKind::File, EntrySource::Fs(path)) => {
                deflated_len(path, entry.unzipped_bytes).map_err(|e| e.to_string())
            }
            _ => Ok(entry.unzipped_bytes),
        })
        .collect();
    for (entry, estimate) in entries.iter_mut().zip(estimates) {
        let compressed = estimate.unwrap_or_else(|reason| {
            warnings.push(Warning::at(&entry.path, format!("cannot read: {reason}")));
            entry.unzipped_bytes
        });
        // zip stores an entry uncompressed when deflate would not shrink it
        entry.compressed_bytes = compressed.min(entry.unzipped_bytes);
        let name_len = entry.path.len() as u64 + u64::from(entry.kind == EntryKind::Dir);
        entry.zipped_bytes = ZIP_HEADERS_FIXED + 2 * name_len + entry.compressed_bytes;
    }
    if matches!(selection, Selection::OrderedGlobs(_)) {
        // a folder no kept file is below is not in the zip
        let holding: std::collections::HashSet<&str> = entries
            .iter()
            .filter(|e| e.kind != EntryKind::Dir)
            .flat_map(|e| {
                e.path
                    .char_indices()
                    .filter(|(_, c)| *c == '/')
                    .map(|(i, _)| &e.path[..i])
            })
            .collect();
        let holding: std::collections::HashSet<String> =
            holding.into_iter().map(str::to_string).collect();
        let before = entries.len();
        entries.retain(|e| e.kind != EntryKind::Dir || holding.contains(&e.path));
        left_out.set(left_out.get() + before - entries.len());
    }
    let left_out = left_out.get();
    if left_out > 0 && !matches!(selection, Selection::File(_)) {
        warnings.push(Warning::general(format!(
            "{left_out} file{} or folder{} not audited: the deployment's excludes leave them out of the zip",
            if left_out == 1 { "" } else { "s" },
            if left_out == 1 { "" } else { "s" },
        )));
    }
    let zipped_bytes = entries.iter().map(|e| e.zipped_bytes).sum::<u64>() + ZIP_END_RECORD_BYTES;
    Listing {
        entries,
        warnings,
        zipped_bytes,
        zipped_estimated: true,
        archive_overhead_bytes: ZIP_END_RECORD_BYTES,
    }
}

pub(super) fn read(path: &Path, kind: EntryKind, limit: u64) -> Result<Vec<u8>, ReadError> {
    match kind {
        EntryKind::Symlink => Ok(std::fs::read_link(path)?
            .to_string_lossy()
            .into_owned()
            .into_bytes()),
        EntryKind::Dir => Err(ReadError::NotAFile),
        EntryKind::File => {
            let mut bytes = Vec::new();
            File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > limit {
                return Err(ReadError::TooLarge {
                    size: bytes.len() as u64,
                    limit,
                });
            }
            Ok(bytes)
        }
    }
}

pub(super) fn read_prefix(path: &Path, len: usize) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(len);
    File::open(path)?.take(len as u64).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A file's bytes at any offset.
pub(super) fn tail(path: &Path) -> Result<super::EntryTail, ReadError> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let read: super::deflate_tail::ReadAt = Box::new(move |at, len| {
        use std::os::unix::fs::FileExt;
        let mut bytes = vec![0u8; len];
        file.read_exact_at(&mut bytes, at)?;
        Ok(bytes)
    });
    Ok(super::EntryTail::Exact { read, size })
}

/// Deflated size of a file at the default level, streamed in fixed chunks so
/// memory stays flat whatever the file size.
fn deflated_len(path: &Path, size: u64) -> io::Result<u64> {
    if size == 0 {
        return Ok(2);
    }
    let mut file = File::open(path)?;
    DEFLATE.with_borrow_mut(|deflate| deflate.len_of(&mut file))
}

/// Deflated size of `bytes` at the default level, what `zip -r` would
/// store for them.
pub(crate) fn deflated_size(mut bytes: &[u8]) -> u64 {
    DEFLATE
        .with_borrow_mut(|deflate| deflate.len_of(&mut bytes))
        .unwrap_or(bytes.len() as u64)
}

thread_local! {
    // each thread keeps its deflate state and buffers: a new state per file
    // (its window and hash tables allocated and zeroed) was a quarter of
    // the time of a folder of 30,000 small files
    static DEFLATE: RefCell<SizeOnlyDeflate> = RefCell::new(SizeOnlyDeflate::new());
}

/// Deflate that counts its output and keeps none of it.
struct SizeOnlyDeflate {
    state: Compress,
    input: Vec<u8>,
    output: Vec<u8>,
}

impl SizeOnlyDeflate {
    fn new() -> Self {
        SizeOnlyDeflate {
            state: Compress::new(Compression::default(), false),
            input: vec![0; 64 * 1024],
            output: vec![0; 64 * 1024],
        }
    }

    fn len_of(&mut self, file: &mut impl Read) -> io::Result<u64> {
        self.state.reset();
        loop {
            let n = file.read(&mut self.input)?;
            let flush = match n {
                0 => FlushCompress::Finish,
                _ => FlushCompress::None,
            };
            let mut chunk = &self.input[..n];
            loop {
                let before = self.state.total_in();
                // the output is counted, then written over
                let status = self
                    .state
                    .compress(chunk, &mut self.output, flush)
                    .map_err(io::Error::other)?;
                chunk = &chunk[(self.state.total_in() - before) as usize..];
                match status {
                    Status::StreamEnd => return Ok(self.state.total_out()),
                    // all of this chunk taken: read the next
                    _ if flush == FlushCompress::None && chunk.is_empty() => break,
                    _ => {}
                }
            }
        }
    }
}

fn slash_path(path: &Path) -> String {
    let mut out = String::new();
    for (i, part) in path.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    out
}

fn io_reason(e: &walkdir::Error) -> String {
    e.io_error()
        .map(|io| io.to_string())
        .unwrap_or_else(|| e.to_string())
}

#[cfg(unix)]
fn unix_mode(item: &walkdir::DirEntry) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    item.metadata().ok().map(|m| m.mode())
}

#[cfg(not(unix))]
fn unix_mode(_item: &walkdir::DirEntry) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflated(bytes: &[u8]) -> u64 {
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap().len() as u64
    }

    /// One state used file after file counts what a new one counts, and
    /// what an encoder writes (to a few bytes: zlib-rs ends a block where
    /// its input was cut), for inputs smaller and larger than its buffers.
    #[test]
    fn a_reused_deflate_counts_what_a_fresh_one_writes() {
        let text = b"module.exports = function handler(event) { return event; };\n".repeat(40);
        let mut noise = Vec::new();
        let mut x: u32 = 2_463_534_242;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push((x % 7) as u8 + b'a');
        }
        let mut reused = SizeOnlyDeflate::new();
        for input in [&text[..], &noise[..], b"", &text[..10], &noise[..]] {
            let counted = reused.len_of(&mut &input[..]).unwrap();
            let fresh = SizeOnlyDeflate::new().len_of(&mut &input[..]).unwrap();
            assert_eq!(counted, fresh, "{} bytes", input.len());
            let written = deflated(input);
            assert!(counted.abs_diff(written) <= 8, "{counted} vs {written}");
        }
    }
}
