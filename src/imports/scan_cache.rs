//! What parsing the files init loads found, kept between runs. Following
//! a handler's imports inflates and parses every module it loads (hundreds
//! of files for one SDK), and that is most of an audit's time; the next
//! audit of the same function, rebuilt or not, mostly meets the same
//! files again. A zip's central directory identifies each file's contents
//! without reading them (CRC-32 and size), so a file seen before is
//! neither inflated nor parsed again.
//!
//! One cache file per set of audited artifacts (by path), under the user's
//! cache directory. It is a cache only: a file that is missing, from
//! another build of deadweight, truncated or damaged counts as empty, and
//! one that cannot be written is left alone. Files that do not parse are
//! never kept, so their warnings come back on every run.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::exports::ModuleExports;
use super::{
    Import, ImportKind, JsonAttribute, Language, Member, ModuleSyntax, SourceFile, TooNew,
};

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

pub struct ScanCache {
    file: PathBuf,
    /// The cache file as read; scans are decoded from it when asked for.
    bytes: Vec<u8>,
    /// Where each kept scan lies in `bytes`, and whether this run used it.
    stored: HashMap<Key, (Range<usize>, AtomicBool)>,
    /// Files parsed in this run, encoded.
    added: Mutex<Vec<(Key, Vec<u8>)>>,
}

const MAGIC: &[u8; 8] = b"dwscan2\n";

impl ScanCache {
    /// The cache of the scans made for these artifacts (their paths), in
    /// this language and for this Python version.
    pub fn open(
        dir: &Path,
        artifacts: &[&Path],
        language: Language,
        python: Option<(u32, u32)>,
    ) -> ScanCache {
        let mut hasher = std::hash::DefaultHasher::new();
        for path in artifacts {
            std::fs::canonicalize(path)
                .unwrap_or_else(|_| path.to_path_buf())
                .hash(&mut hasher);
        }
        (language as u8, python).hash(&mut hasher);
        let file = dir.join(format!("scan-{:016x}.bin", hasher.finish()));
        let bytes = std::fs::read(&file).unwrap_or_default();
        let stored = index_file(&bytes, build_id()).unwrap_or_default();
        ScanCache {
            file,
            bytes,
            stored: stored
                .into_iter()
                .map(|(key, range)| (key, (range, AtomicBool::new(false))))
                .collect(),
            added: Mutex::new(Vec::new()),
        }
    }

    /// The scan of a file with these contents at this path, when kept.
    pub fn get(&self, path: &str, content: (u32, u64)) -> Option<SourceFile> {
        let (range, used) = self.stored.get(&(path.to_string(), content.0, content.1))?;
        let source = decode_whole(&self.bytes[range.clone()])?;
        used.store(true, Ordering::Relaxed);
        Some(source)
    }

    pub fn add(&self, path: &str, content: (u32, u64), source: &SourceFile) {
        let mut body = Writer(Vec::new());
        source.put(&mut body);
        self.added
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(((path.to_string(), content.0, content.1), body.0));
    }

    /// Writes the scans this run used or made, when they differ from what
    /// the file holds: scans of files no longer in the function go.
    pub fn save(&self) {
        let added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        let used = |used: &AtomicBool| used.load(Ordering::Relaxed);
        if added.is_empty() && self.stored.values().all(|(_, u)| used(u)) {
            return;
        }
        let kept = (self.stored.iter())
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
        let partial = (self.file).with_extension(format!("{}.partial", std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&partial, bytes))
            .and_then(|()| std::fs::rename(&partial, &self.file));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
    }
}

/// This build of deadweight: scans made by another may differ.
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

/// The cache file: magic, build, then each scan's key and its encoded
/// [`SourceFile`] (length first), and a CRC-32 of all that.
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

/// Where each scan of a cache file lies in it.
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

struct Writer(Vec<u8>);
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }
}

/// A value's place in the cache file. Structs are written by destructuring
/// them whole, so a field added to one fails to compile here until the
/// cache keeps it too.
trait Codec: Sized {
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
        (0..len).map(|_| T::take(input)).collect()
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
        (0..len).map(|_| String::take(input)).collect()
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
        impl Codec for $type {
            fn put(&self, out: &mut Writer) {
                let position = [$($variant),+].iter().position(|v| v == self);
                out.0.push(position.unwrap_or(0) as u8);
            }
            fn take(input: &mut Reader) -> Option<Self> {
                [$($variant),+].get(usize::from(input.byte()?)).copied()
            }
        }
    };
}

codec_by_position!(Language, [Language::JavaScript, Language::Python]);
codec_by_position!(
    JsonAttribute,
    [
        JsonAttribute::Missing,
        JsonAttribute::Assert,
        JsonAttribute::With
    ]
);
codec_by_position!(
    ImportKind,
    [
        ImportKind::Esm,
        ImportKind::ExportFrom,
        ImportKind::Require,
        ImportKind::Dynamic,
        ImportKind::TsImportEquals,
        ImportKind::PythonImport,
        ImportKind::PythonFrom,
        ImportKind::PythonImportlib,
        ImportKind::PythonLazyAttribute,
    ]
);

impl Codec for Member {
    fn put(&self, out: &mut Writer) {
        let Member { name, line } = self;
        name.put(out);
        line.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(Member {
            name: Codec::take(input)?,
            line: Codec::take(input)?,
        })
    }
}

impl Codec for Import {
    fn put(&self, out: &mut Writer) {
        let Import {
            module,
            kind,
            line,
            column,
            lazy,
            guarded_by,
            fallback_for,
            conditional,
            stops_module,
            members,
            linked,
            invoked,
            assigned,
        } = self;
        module.put(out);
        kind.put(out);
        line.put(out);
        column.put(out);
        lazy.put(out);
        guarded_by.put(out);
        fallback_for.put(out);
        conditional.put(out);
        stops_module.put(out);
        members.put(out);
        linked.put(out);
        invoked.put(out);
        assigned.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(Import {
            module: Codec::take(input)?,
            kind: Codec::take(input)?,
            line: Codec::take(input)?,
            column: Codec::take(input)?,
            lazy: Codec::take(input)?,
            guarded_by: Codec::take(input)?,
            fallback_for: Codec::take(input)?,
            conditional: Codec::take(input)?,
            stops_module: Codec::take(input)?,
            members: Codec::take(input)?,
            linked: Codec::take(input)?,
            invoked: Codec::take(input)?,
            assigned: Codec::take(input)?,
        })
    }
}

impl Codec for TooNew {
    fn put(&self, out: &mut Writer) {
        let TooNew {
            line,
            column,
            message,
        } = self;
        line.put(out);
        column.put(out);
        message.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(TooNew {
            line: Codec::take(input)?,
            column: Codec::take(input)?,
            message: Codec::take(input)?,
        })
    }
}

impl Codec for ModuleSyntax {
    fn put(&self, out: &mut Writer) {
        let ModuleSyntax {
            esm,
            commonjs,
            json_imports,
            top_level_await,
        } = self;
        esm.put(out);
        commonjs.put(out);
        json_imports.put(out);
        top_level_await.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(ModuleSyntax {
            esm: Codec::take(input)?,
            commonjs: Codec::take(input)?,
            json_imports: Codec::take(input)?,
            top_level_await: Codec::take(input)?,
        })
    }
}

impl Codec for ModuleExports {
    fn put(&self, out: &mut Writer) {
        let ModuleExports {
            names,
            open,
            commonjs,
            for_import,
            reexports,
        } = self;
        names.put(out);
        open.put(out);
        commonjs.put(out);
        for_import.put(out);
        reexports.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(ModuleExports {
            names: Codec::take(input)?,
            open: Codec::take(input)?,
            commonjs: Codec::take(input)?,
            for_import: Codec::take(input)?,
            reexports: Codec::take(input)?,
        })
    }
}

impl Codec for SourceFile {
    fn put(&self, out: &mut Writer) {
        let SourceFile {
            path,
            language,
            imports,
            too_new,
            syntax,
            exports,
        } = self;
        path.put(out);
        language.put(out);
        imports.put(out);
        too_new.put(out);
        syntax.put(out);
        exports.put(out);
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(SourceFile {
            path: Codec::take(input)?,
            language: Codec::take(input)?,
            imports: Codec::take(input)?,
            too_new: Codec::take(input)?,
            syntax: Codec::take(input)?,
            exports: Codec::take(input)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::scan_source_for;

    fn scanned() -> Vec<(Key, SourceFile)> {
        let js = "import * as ns from './ns.js';\nimport { a, b as c } from 'pkg';\n\
                  export { d } from './d.js';\nexport const e = 1;\nconst x = await import('x');\n\
                  import data from './data.json' with { type: 'json' };\nns();\n\
                  try { require('optional') } catch { }\nfunction later() { return require('lazy') }\n";
        let cjs = "const lib = require('./lib');\nmodule.exports = require('./impl');\n\
                   exports.handler = async () => lib.run();\nif (process.env.X) require('x');\n";
        let py = "import os, config\nfrom .models import User\ntry:\n    import ujson as json\n\
                  except ImportError:\n    import json\nconfig.REGION = 'eu'\nmatch os.name:\n    case _: pass\n\
                  def __getattr__(name):\n    import importlib\n    return importlib.import_module('.' + name, __name__)\n";
        let files = [
            ("index.mjs", js, Language::JavaScript, None),
            ("lib/index.js", cjs, Language::JavaScript, None),
            ("app/handler.py", py, Language::Python, Some((3, 9))),
        ];
        files
            .iter()
            .enumerate()
            .map(|(i, (path, text, language, python))| {
                let source = scan_source_for(path, text, *language, *python).unwrap();
                (
                    (path.to_string(), i as u32 * 7919, text.len() as u64),
                    source,
                )
            })
            .collect()
    }

    fn encoded(records: &[(Key, SourceFile)]) -> Vec<u8> {
        let bodies: Vec<Vec<u8>> = (records.iter())
            .map(|(_, source)| {
                let mut body = Writer(Vec::new());
                source.put(&mut body);
                body.0
            })
            .collect();
        let pairs: Vec<(&Key, &[u8])> = (records.iter().zip(&bodies))
            .map(|((key, _), body)| (key, body.as_slice()))
            .collect();
        encode_file(&pairs, 42)
    }

    fn decoded(bytes: &[u8], build: u64) -> Option<Vec<(Key, SourceFile)>> {
        index_file(bytes, build)?
            .into_iter()
            .map(|(key, range)| Some((key, decode_whole(&bytes[range])?)))
            .collect()
    }

    #[test]
    fn scans_come_back_as_they_were_written() {
        let records = scanned();
        // the sample exercises what the codec must keep
        let (_, esm) = &records[0];
        assert!(esm.imports.iter().any(|i| i.invoked.is_some()));
        assert!(esm.imports.iter().any(|i| !i.linked.is_empty()));
        assert!(esm.exports.is_some() && esm.syntax.top_level_await.is_some());
        assert!(!records[2].1.too_new.is_empty());
        assert!(records[2].1.imports.iter().any(|i| !i.assigned.is_empty()));
        let bytes = encoded(&records);
        assert_eq!(decoded(&bytes, 42), Some(records));
    }

    #[test]
    fn another_build_or_damage_empties_the_cache() {
        let records = scanned();
        let bytes = encoded(&records);
        assert_eq!(decoded(&bytes, 43), None, "another build's scans");
        for cut in [0, 1, 8, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decoded(&bytes[..cut], 42), None, "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 0x20;
        assert_eq!(decoded(&flipped, 42), None, "a flipped bit");
    }

    #[test]
    fn a_cache_keeps_what_its_run_used_or_made() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("function.zip");
        let records = scanned();
        let open = || ScanCache::open(dir.path(), &[&artifact], Language::JavaScript, None);
        let first = open();
        assert!(first.get("index.mjs", (0, 1)).is_none());
        for ((path, crc, size), source) in &records[..2] {
            first.add(path, (*crc, *size), source);
        }
        first.save();
        let second = open();
        let ((path, crc, size), source) = &records[0];
        assert_eq!(second.get(path, (*crc, *size)).as_ref(), Some(source));
        assert!(
            second.get(path, (crc + 1, *size)).is_none(),
            "other contents"
        );
        second.save();
        // the second run asked for one of the two: the other is gone
        let third = open();
        assert!(third.get(path, (*crc, *size)).is_some());
        let ((path, crc, size), _) = &records[1];
        assert!(third.get(path, (*crc, *size)).is_none());
        // another language's scans are kept apart
        let python = ScanCache::open(dir.path(), &[&artifact], Language::Python, Some((3, 12)));
        assert!(python
            .get(&records[0].0 .0, (records[0].0 .1, records[0].0 .2))
            .is_none());
    }
}
