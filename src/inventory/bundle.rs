//! What a bundle is made of. A function bundled into one file (esbuild,
//! webpack, rollup) lists as the function's own code, though most of its
//! bytes are usually packages. The bundle's source map says which source
//! each stretch of generated code came from; without one, esbuild's
//! unminified output (CDK's and serverless-esbuild's default) names each
//! module in a `// node_modules/…` comment line before its code.

use std::collections::HashMap;

use memchr::memmem;
use rayon::prelude::*;
use serde::Serialize;

use super::{Ecosystem, Inventory, Owner};
use crate::artifact::cache::{codec_by_position, codec_struct, ContentCache};
use crate::artifact::{Artifact, EntryKind, Warning};
use crate::imports::source_map::{map_comment, relative_to};
use crate::lockfile::Lockfile;

/// Files beyond this are not read for their make-up.
const MAX_BUNDLE_BYTES: u64 = 256 << 20;
const MAX_MAP_BYTES: u64 = 256 << 20;

/// How the bundle's bytes were told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFrom {
    /// A `.map` file in the package.
    SourceMap,
    /// A source map carried in the bundle as a data URL.
    InlineSourceMap,
    /// esbuild's `// path` comment before each module (no source map).
    ModuleComments,
}

impl ReadFrom {
    pub fn describe(self, map: Option<&str>) -> String {
        match (self, map) {
            (ReadFrom::SourceMap, Some(map)) => format!("its source map {map}"),
            (ReadFrom::SourceMap, None) => "its source map".to_string(),
            (ReadFrom::InlineSourceMap, _) => "its inline source map".to_string(),
            (ReadFrom::ModuleComments, _) => "esbuild's module comments".to_string(),
        }
    }
}

/// One file of the function's own code that is mostly packages.
#[derive(Clone, Debug, Serialize)]
pub struct Bundle {
    pub path: String,
    pub unzipped_bytes: u64,
    pub read_from: ReadFrom,
    /// The source map file, when it is a file of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<String>,
    /// By bytes in the bundle, largest first; one entry per install path
    /// the sources name, so two copies of a package are two entries.
    pub packages: Vec<BundledPackage>,
    /// The function's own sources (no `node_modules/` in their path).
    pub own: BundledCode,
    /// Bytes no source claims: the bundler's helpers, wrappers and
    /// separators, comments.
    pub other_bytes: u64,
    /// The `sourceMappingURL=data:…` comment of an inline source map: bytes
    /// every cold start reads and only a debugger uses.
    pub inline_map_bytes: u64,
}

/// A source map carried inside a file of the function's own code, as a
/// data URL in its `sourceMappingURL` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineMap {
    pub path: String,
    pub file_bytes: u64,
    /// The comment, from its `//#` to the end of the file.
    pub bytes: u64,
    /// Those bytes deflated at the default level, as `zip -r` stores them.
    pub zipped_bytes: u64,
}

/// What the function's own JavaScript files were found to hold.
#[derive(Default)]
pub struct Reading {
    pub bundles: Vec<Bundle>,
    pub inline_maps: Vec<InlineMap>,
    pub warnings: Vec<Warning>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct BundledCode {
    pub bytes: u64,
    /// Source files the bytes came from.
    pub sources: u32,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BundledPackage {
    pub name: String,
    /// From the install path (pnpm's store folder) or a given lockfile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where the sources say it was installed: `node_modules/@smithy/core`.
    pub path: String,
    pub bytes: u64,
    pub sources: u32,
}

impl BundledPackage {
    pub fn label(&self) -> String {
        match &self.version {
            Some(version) => format!("{}@{version}", self.name),
            None => self.name.clone(),
        }
    }
}

codec_by_position!(
    ReadFrom,
    [
        ReadFrom::SourceMap,
        ReadFrom::InlineSourceMap,
        ReadFrom::ModuleComments
    ]
);
codec_struct!(Bundle {
    path,
    unzipped_bytes,
    read_from,
    map,
    packages,
    own,
    other_bytes,
    inline_map_bytes
});
codec_struct!(BundledCode { bytes, sources });
codec_struct!(InlineMap {
    path,
    file_bytes,
    bytes,
    zipped_bytes
});
codec_struct!(BundledPackage {
    name,
    version,
    path,
    bytes,
    sources
});

/// What reading one file found, as kept between audits: versions are
/// looked up afresh (they come from the lockfiles given).
struct FileRead {
    bundle: Option<Bundle>,
    /// (path, message)
    warnings: Vec<(Option<String>, String)>,
    /// The map file read, with its contents' CRC-32 and size.
    map: Option<(String, (u32, u64))>,
    inline_map: Option<InlineMap>,
}
codec_struct!(FileRead {
    bundle,
    warnings,
    map,
    inline_map
});

/// The bundles among the function's own JavaScript files: those whose
/// source map or module comments show package code inside. An earlier
/// audit's reading of an unchanged file (and map) is taken from `cache`.
pub fn read(
    artifact: &Artifact,
    inventory: &Inventory,
    lockfiles: &[Lockfile],
    cache: Option<&std::path::Path>,
) -> Reading {
    let candidates: Vec<usize> = artifact
        .entries
        .iter()
        .enumerate()
        .filter(|(i, e)| {
            e.kind == EntryKind::File
                && inventory.owners.get(*i) == Some(&Owner::App)
                && is_javascript(&e.path)
        })
        .map(|(i, _)| i)
        .collect();
    let content = |path: &str| artifact.find(path).and_then(|i| artifact.content_id(i));
    let kind = ("bundle", &[artifact.path.as_path()][..], ());
    let read: Vec<FileRead> = ContentCache::keeping(cache, kind, |kept| {
        (candidates.par_iter())
            .map(|&index| {
                let path = &artifact.entries[index].path;
                // a map added beside an unchanged file changes its reading
                let key = match content(&format!("{path}.map")) {
                    Some((crc, size)) => format!("{path} {crc:08x}/{size}"),
                    None => path.clone(),
                };
                let read = || Ok::<_, std::convert::Infallible>(read_one(artifact, index));
                let Ok(found) = ContentCache::through(kept, &key, artifact.content_id(index), read);
                // the map a comment names elsewhere must be the one read then
                match &found.map {
                    Some((map, was)) if content(map) != Some(*was) => read_one(artifact, index),
                    _ => found,
                }
            })
            .collect()
    });
    let versions = Versions::new(lockfiles);
    let mut reading = Reading::default();
    for found in read {
        reading.bundles.extend(found.bundle.map(|mut bundle| {
            for package in &mut bundle.packages {
                package.version = versions.of(&package.path, &package.name);
            }
            bundle
        }));
        reading.inline_maps.extend(found.inline_map);
        let warnings = found.warnings.into_iter();
        (reading.warnings).extend(warnings.map(|(path, message)| Warning { path, message }));
    }
    reading.bundles.sort_by(|a, b| {
        b.unzipped_bytes
            .cmp(&a.unzipped_bytes)
            .then(a.path.cmp(&b.path))
    });
    reading
}

fn is_javascript(path: &str) -> bool {
    [".js", ".mjs", ".cjs"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

fn read_one(artifact: &Artifact, index: usize) -> FileRead {
    let entry = &artifact.entries[index];
    let mut read = FileRead {
        bundle: None,
        warnings: Vec::new(),
        map: None,
        inline_map: None,
    };
    let warnings = &mut read.warnings;
    if entry.unzipped_bytes > MAX_BUNDLE_BYTES || entry.unzipped_bytes == 0 {
        return read;
    }
    let Ok(code) = artifact.read(index, MAX_BUNDLE_BYTES) else {
        // the import scan already warns of own files it cannot read
        return read;
    };
    let comment = map_comment(&code);
    // the comment is nobody's code; the bundle's code ends where it starts
    let end = comment.as_ref().map_or(code.len(), |c| c.from);
    let inline = comment.as_ref().filter(|c| c.url.starts_with("data:"));
    let inline_map_bytes = inline.map_or(0, |c| (code.len() - c.from) as u64);
    let shape = FileShape {
        path: &entry.path,
        bytes: code.len() as u64,
        code_end: end as u64,
        inline_map_bytes,
    };
    read.inline_map = inline.map(|c| InlineMap {
        path: entry.path.clone(),
        file_bytes: code.len() as u64,
        bytes: inline_map_bytes,
        zipped_bytes: crate::artifact::deflated_size(&code[c.from..]),
    });
    let mut map = None;
    if let Some(comment) = inline {
        match sourcemap::decode_data_url(comment.url) {
            Ok(decoded) => map = Some((decoded, ReadFrom::InlineSourceMap, None)),
            Err(e) => warnings.push((
                Some(entry.path.clone()),
                format!(
                    "its inline source map cannot be read ({e}); its make-up is read without it"
                ),
            )),
        }
    } else {
        let named = comment
            .as_ref()
            .and_then(|c| relative_to(&entry.path, c.url));
        let beside = format!("{}.map", entry.path);
        if let Some(map_index) = named
            .iter()
            .chain(std::iter::once(&beside))
            .filter_map(|path| artifact.find(path))
            .find(|&i| artifact.entries[i].kind == EntryKind::File)
        {
            let map_path = &artifact.entries[map_index].path;
            read.map = artifact
                .content_id(map_index)
                .map(|content| (map_path.clone(), content));
            let decoded = artifact
                .read(map_index, MAX_MAP_BYTES)
                .map_err(|e| e.to_string())
                .and_then(|bytes| sourcemap::decode_slice(&bytes).map_err(|e| e.to_string()));
            match decoded {
                Ok(decoded) => map = Some((decoded, ReadFrom::SourceMap, Some(map_path.clone()))),
                Err(e) => warnings.push((
                    Some(map_path.clone()),
                    format!(
                        "not a source map deadweight can read ({e}); {} is read without it",
                        entry.path
                    ),
                )),
            }
        }
    }
    // Some once a map was read: a map that shows no package is no bundle
    let mut made = None;
    if let Some((decoded, read_from, map_path)) = map {
        let named = map_path.clone().unwrap_or_else(|| entry.path.clone());
        let flat = match decoded {
            sourcemap::DecodedMap::Regular(map) => Ok(map),
            sourcemap::DecodedMap::Index(index) => index.flatten(),
            sourcemap::DecodedMap::Hermes(hermes) => Ok((*hermes).clone()),
        };
        match flat.map_err(|e| e.to_string()) {
            Ok(map) => match by_source_map(&code, end, &map) {
                Ok(tally) => made = Some(tally.into_bundle(&shape, read_from, map_path)),
                Err(past_end) => warnings.push((
                    Some(named),
                    format!(
                        "its mappings reach line {past_end}, past the end of {} ({} lines): a map of another build; {} is read without it",
                        entry.path,
                        line_count(&code),
                        entry.path
                    ),
                )),
            },
            Err(e) => warnings.push((
                Some(named),
                format!("its sections cannot be joined ({e}); {} is read without it", entry.path),
            )),
        }
    }
    read.bundle = made.unwrap_or_else(|| {
        by_module_comments(&code[..end])
            .and_then(|tally| tally.into_bundle(&shape, ReadFrom::ModuleComments, None))
    });
    read
}

fn line_count(code: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', code).count() + usize::from(!code.ends_with(b"\n"))
}

/// Whose code a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum SourceOwner<'a> {
    /// The install path (`node_modules/a/node_modules/b`) and the name.
    Package(&'a str, &'a str),
    Own,
    /// The bundler's own modules (webpack's runtime, rollup's helpers).
    Bundler,
}

fn source_owner(source: &str) -> SourceOwner<'_> {
    // `webpack://app/./src/x.js`: the namespace goes, the path stays
    let path = match source.find("://") {
        Some(scheme) => {
            let rest = &source[scheme + 3..];
            rest.find('/').map_or(rest, |slash| &rest[slash + 1..])
        }
        None => source,
    };
    let mut path = path.trim_start_matches('/');
    while let Some(rest) = path.strip_prefix("./").or_else(|| path.strip_prefix("../")) {
        path = rest;
    }
    if source.starts_with(['\0', '<'])
        || path.starts_with("webpack/")
        || path.starts_with("(webpack)")
        || path.starts_with("external ")
    {
        return SourceOwner::Bundler;
    }
    let segment_starts = |at: usize| at == 0 || path.as_bytes()[at - 1] == b'/';
    let Some(first) =
        memmem::find_iter(path.as_bytes(), b"node_modules/").find(|&at| segment_starts(at))
    else {
        return SourceOwner::Own;
    };
    let last = memmem::rfind_iter(path.as_bytes(), b"node_modules/")
        .find(|&at| segment_starts(at))
        .unwrap_or(first);
    let after = &path[last + "node_modules/".len()..];
    let mut segments = after.split('/');
    let name_len = match segments.next() {
        Some(scope) if scope.starts_with('@') => match segments.next() {
            Some(name) if !name.is_empty() => scope.len() + 1 + name.len(),
            _ => return SourceOwner::Own,
        },
        Some(name) if !name.is_empty() && !name.starts_with('.') => name.len(),
        _ => return SourceOwner::Own,
    };
    let name = &after[..name_len];
    let end = last + "node_modules/".len() + name_len;
    SourceOwner::Package(&path[first..end], name)
}

/// Bytes per source owner, with the number of sources seen for each.
#[derive(Default)]
struct Tally<'a> {
    owners: HashMap<SourceOwner<'a>, (u64, u32)>,
    other: u64,
}

impl<'a> Tally<'a> {
    fn add(&mut self, owner: Option<SourceOwner<'a>>, bytes: u64) {
        match owner {
            Some(SourceOwner::Bundler) | None => self.other += bytes,
            Some(owner) => self.owners.entry(owner).or_default().0 += bytes,
        }
    }

    fn count_source(&mut self, owner: SourceOwner<'a>) {
        if owner != SourceOwner::Bundler {
            self.owners.entry(owner).or_default().1 += 1;
        }
    }

    /// The bundle these counts make of `file`, when they show a package.
    fn into_bundle(
        self,
        file: &FileShape,
        read_from: ReadFrom,
        map: Option<String>,
    ) -> Option<Bundle> {
        let mut own = BundledCode::default();
        let mut packages = Vec::new();
        for (owner, (bytes, sources)) in self.owners {
            match owner {
                SourceOwner::Package(install, name) if bytes > 0 => packages.push(BundledPackage {
                    name: name.to_string(),
                    version: None,
                    path: install.to_string(),
                    bytes,
                    sources,
                }),
                SourceOwner::Own => {
                    own.bytes += bytes;
                    own.sources += sources;
                }
                // a package whose sources left no generated code
                SourceOwner::Package(..) | SourceOwner::Bundler => {}
            }
        }
        // a compiled file with its own map is not a bundle
        if packages.is_empty() {
            return None;
        }
        packages.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
        Some(Bundle {
            path: file.path.to_string(),
            unzipped_bytes: file.bytes,
            read_from,
            map,
            packages,
            own,
            // an external map's comment line, and blank lines after it
            other_bytes: self.other + (file.bytes - file.code_end) - file.inline_map_bytes,
            inline_map_bytes: file.inline_map_bytes,
        })
    }
}

/// A file read for its make-up: its code ends where its map comment
/// starts (nobody's code), which holds the map itself when inline.
struct FileShape<'p> {
    path: &'p str,
    bytes: u64,
    code_end: u64,
    inline_map_bytes: u64,
}

/// Gives each stretch of generated code to the source of the mapping that
/// starts it, up to the next mapping or the end of its line (newline
/// included), as source-map-explorer does; bytes before a line's first
/// mapping, and mappings without a source, are nobody's. `Err` holds the
/// first generated line the map names past the file's end.
fn by_source_map<'m>(
    code: &[u8],
    end: usize,
    map: &'m sourcemap::SourceMap,
) -> Result<Tally<'m>, u64> {
    let owners: Vec<SourceOwner<'m>> = (0..map.get_source_count())
        .map(|i| map.get_source(i).map_or(SourceOwner::Own, source_owner))
        .collect();
    let mut tally = Tally::default();
    for &owner in &owners {
        tally.count_source(owner);
    }
    let mut tokens: Vec<(u32, u32, u32)> = map
        .tokens()
        .map(|t| (t.get_dst_line(), t.get_dst_col(), t.get_src_id()))
        .collect();
    tokens.sort_unstable_by_key(|&(line, col, _)| (line, col));
    if let Some(&(line, ..)) = tokens.last() {
        if line as usize >= line_count(code) {
            return Err(u64::from(line) + 1);
        }
    }
    // the map's own comment, at the end, is nobody's code
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', &code[..end]).map(|p| p + 1))
        .filter(|&start| start < end)
        .collect();
    let mut tokens = tokens.into_iter().peekable();
    for (line, &start) in line_starts.iter().enumerate() {
        let text = &code[start..line_starts.get(line + 1).copied().unwrap_or(end)];
        let mut columns = Columns::new(text);
        // bytes before a line's first mapping are nobody's
        let (mut cursor, mut owner) = (0, None);
        while let Some((_, column, source)) = tokens.next_if(|t| t.0 as usize == line) {
            let at = columns.byte_at(column).max(cursor);
            tally.add(owner, (at - cursor) as u64);
            cursor = at;
            owner = owners.get(source as usize).copied();
        }
        tally.add(owner, (text.len() - cursor) as u64);
    }
    Ok(tally)
}

/// Byte offsets of a line's UTF-16 columns (source maps count in UTF-16
/// code units), read forward as mappings come in column order.
struct Columns<'a> {
    text: &'a [u8],
    ascii: bool,
    byte: usize,
    unit: u32,
}

impl<'a> Columns<'a> {
    fn new(text: &'a [u8]) -> Self {
        Columns {
            text,
            ascii: text.is_ascii(),
            byte: 0,
            unit: 0,
        }
    }

    fn byte_at(&mut self, column: u32) -> usize {
        if self.ascii {
            return (column as usize).min(self.text.len());
        }
        while self.unit < column && self.byte < self.text.len() {
            let (len, units) = utf8_char(&self.text[self.byte..]);
            self.byte += len;
            self.unit += units;
        }
        self.byte
    }
}

/// The length in bytes and in UTF-16 units of the character `bytes`
/// starts with; a byte that starts no valid character counts as one unit.
fn utf8_char(bytes: &[u8]) -> (usize, u32) {
    let len = match bytes[0] {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return (1, 1),
    };
    match bytes.get(..len).map(std::str::from_utf8) {
        Some(Ok(_)) => (len, if len == 4 { 2 } else { 1 }),
        _ => (1, 1),
    }
}

/// esbuild's unminified output: a `// path` line before each module's
/// code. Everything from one such line to the next is that module's; what
/// comes before the first is esbuild's runtime helpers.
fn by_module_comments(code: &[u8]) -> Option<Tally<'_>> {
    let mut starts: Vec<(usize, &str)> = Vec::new();
    let line_starts = std::iter::once(0).chain(memmem::find_iter(code, b"\n// ").map(|p| p + 1));
    for start in line_starts {
        let line_end = memchr::memchr(b'\n', &code[start..]).map_or(code.len(), |p| start + p);
        if let Some(path) = std::str::from_utf8(&code[start..line_end])
            .ok()
            .and_then(module_comment)
        {
            starts.push((start, path));
        }
    }
    let mut tally = Tally::default();
    let mut seen = std::collections::HashSet::new();
    let first = starts.first().map_or(code.len(), |s| s.0);
    tally.add(None, first as u64);
    for (i, &(start, path)) in starts.iter().enumerate() {
        let until = starts.get(i + 1).map_or(code.len(), |s| s.0);
        let owner = source_owner(path);
        if seen.insert(path) {
            tally.count_source(owner);
        }
        tally.add(Some(owner), (until - start) as u64);
    }
    tally
        .owners
        .keys()
        .any(|o| matches!(o, SourceOwner::Package(..)))
        .then_some(tally)
}

/// The path of an esbuild module comment: `// node_modules/ms/index.js`.
fn module_comment(line: &str) -> Option<&str> {
    let path = line.strip_prefix("// ")?.trim_end_matches('\r');
    const SOURCE: [&str; 11] = [
        ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".json", ".node", ".css",
    ];
    (!path.is_empty()
        && !path.contains(char::is_whitespace)
        && SOURCE.iter().any(|ext| path.ends_with(ext)))
    .then_some(path)
}

/// Versions of bundled packages: from the install path when pnpm's store
/// folder names it, else from a given npm lockfile (by install path, or by
/// name when it locks one version).
struct Versions {
    by_path: HashMap<String, String>,
    by_name: HashMap<String, Option<String>>,
}

impl Versions {
    fn new(lockfiles: &[Lockfile]) -> Self {
        let mut by_path = HashMap::new();
        let mut by_name: HashMap<String, Option<String>> = HashMap::new();
        for lock in lockfiles.iter().filter(|l| l.ecosystem == Ecosystem::Npm) {
            for package in &lock.packages {
                by_path.insert(package.key.clone(), package.version.clone());
                by_name
                    .entry(package.name.clone())
                    .and_modify(|v| {
                        if v.as_deref() != Some(&package.version) {
                            *v = None;
                        }
                    })
                    .or_insert_with(|| Some(package.version.clone()));
            }
        }
        Versions { by_path, by_name }
    }

    fn of(&self, install: &str, name: &str) -> Option<String> {
        pnpm_version(install, name)
            .map(str::to_string)
            .or_else(|| self.by_path.get(install).cloned())
            .or_else(|| self.by_name.get(name).cloned().flatten())
    }
}

/// `node_modules/.pnpm/@smithy+core@3.1.0_x/node_modules/@smithy/core`: 3.1.0.
fn pnpm_version<'p>(install: &'p str, name: &str) -> Option<&'p str> {
    let store = install
        .rsplit("/.pnpm/")
        .next()
        .filter(|s| s.len() < install.len())?;
    let folder = store.split('/').next()?;
    let version = folder
        .strip_prefix(&name.replace('/', "+"))?
        .strip_prefix('@')?;
    let version = version.split(['_', '(']).next()?;
    (!version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_owned_by_the_package_of_their_last_node_modules() {
        let cases = [
            ("../node_modules/lodash/lodash.js", SourceOwner::Package("node_modules/lodash", "lodash")),
            (
                "webpack://app/./node_modules/@smithy/core/dist-es/index.js",
                SourceOwner::Package("node_modules/@smithy/core", "@smithy/core"),
            ),
            (
                "node_modules/a/node_modules/b/x.js",
                SourceOwner::Package("node_modules/a/node_modules/b", "b"),
            ),
            (
                "../../node_modules/.pnpm/@smithy+core@3.1.0/node_modules/@smithy/core/dist/index.js",
                SourceOwner::Package(
                    "node_modules/.pnpm/@smithy+core@3.1.0/node_modules/@smithy/core",
                    "@smithy/core",
                ),
            ),
            ("../src/index.ts", SourceOwner::Own),
            ("src/my_node_modules/x.js", SourceOwner::Own),
            ("webpack://app/webpack/bootstrap", SourceOwner::Bundler),
            ("\0commonjsHelpers.js", SourceOwner::Bundler),
            ("<define:process.env.NODE_ENV>", SourceOwner::Bundler),
        ];
        for (source, owner) in cases {
            assert_eq!(source_owner(source), owner, "{source}");
        }
    }

    #[test]
    fn pnpm_store_folders_give_the_version() {
        let cases = [
            (
                "node_modules/.pnpm/@smithy+core@3.1.0/node_modules/@smithy/core",
                "@smithy/core",
                Some("3.1.0"),
            ),
            (
                "node_modules/.pnpm/foo@1.2.3_bar@2.0.0/node_modules/foo",
                "foo",
                Some("1.2.3"),
            ),
            (
                "node_modules/.pnpm/foo@1.2.3(bar@2.0.0)/node_modules/foo",
                "foo",
                Some("1.2.3"),
            ),
            // the store folder is another package's: its dependency's version is not in it
            ("node_modules/.pnpm/foo@1.2.3/node_modules/bar", "bar", None),
            ("node_modules/foo", "foo", None),
        ];
        for (install, name, version) in cases {
            assert_eq!(pnpm_version(install, name), version, "{install}");
        }
    }

    #[test]
    fn esbuild_module_comments_are_told_from_other_comments() {
        assert_eq!(
            module_comment("// node_modules/ms/index.js"),
            Some("node_modules/ms/index.js")
        );
        assert_eq!(module_comment("// src/index.ts"), Some("src/index.ts"));
        assert_eq!(
            module_comment("// Annotate the CommonJS export names for ESM import in node:"),
            None
        );
        assert_eq!(module_comment("// eslint-disable-next-line"), None);
        assert_eq!(module_comment("//node_modules/ms/index.js"), None);
    }

    #[test]
    fn columns_count_utf16_units() {
        // "é" is two bytes and one unit; "😀" four bytes and two units
        let line = "a\u{e9}b\u{1F600}c".as_bytes();
        let mut columns = Columns::new(line);
        assert_eq!(columns.byte_at(1), 1);
        assert_eq!(columns.byte_at(2), 3);
        assert_eq!(columns.byte_at(3), 4);
        assert_eq!(columns.byte_at(5), 8);
        assert_eq!(columns.byte_at(9), line.len());
    }
}
