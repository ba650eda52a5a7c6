//! The `//# sourceMappingURL=` comment that ends a JavaScript file: what
//! the bundle reading follows to a file's make-up, and what Node reads at
//! load when source maps are enabled (`--enable-source-maps`).

use memchr::memmem;

/// The `sourceMappingURL` comment at the end of a file.
pub struct MapComment<'a> {
    pub url: &'a str,
    /// Where the comment's line starts; only blank lines follow it.
    pub from: usize,
}

pub fn map_comment(code: &[u8]) -> Option<MapComment<'_>> {
    let at = memmem::rfind(code, b"# sourceMappingURL=")
        .or_else(|| memmem::rfind(code, b"@ sourceMappingURL="))?;
    // the comment opens the line: `//# …` or `/*# … */`
    let line_start = code[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let opener = std::str::from_utf8(&code[line_start..at]).ok()?.trim();
    if opener != "//" && opener != "/*" {
        return None;
    }
    let url_start = at + "# sourceMappingURL=".len();
    let line_end = memchr::memchr(b'\n', &code[url_start..]).map_or(code.len(), |p| url_start + p);
    // only blank lines may follow: a later comment names no map
    if !code[line_end..].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let url = std::str::from_utf8(&code[url_start..line_end]).ok()?.trim();
    let url = url.strip_suffix("*/").unwrap_or(url).trim();
    (!url.is_empty()).then_some(MapComment {
        url,
        from: line_start,
    })
}

/// A map's URL taken relative to the bundle's directory, inside the package.
pub fn relative_to(bundle: &str, url: &str) -> Option<String> {
    if url.contains("://") || url.starts_with('/') {
        return None;
    }
    let url = url.split(['?', '#']).next()?;
    let mut parts: Vec<&str> = bundle.split('/').collect();
    parts.pop();
    for part in url.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Where a file's source map is, as its comment says: what Node reads
/// for it when source maps are enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapLink {
    /// The map file's URL as written (relative to the file), when the map
    /// is a file of its own.
    pub file: Option<String>,
    /// Bytes of the comment holding the data URL, when the map is inline:
    /// text Node reads with the code at every load.
    pub inline_bytes: u32,
    /// Bytes of the JSON that data URL decodes to.
    pub inline_json_bytes: u32,
}

impl MapLink {
    /// The link a file's text ends with, if any.
    pub fn of(code: &[u8]) -> Option<MapLink> {
        let comment = map_comment(code)?;
        let Some(data) = comment.url.strip_prefix("data:") else {
            return Some(MapLink {
                file: Some(comment.url.to_string()),
                ..MapLink::default()
            });
        };
        // the comment, from its line on: what taking the map out removes
        let bytes = u32::try_from(code.len() - comment.from).unwrap_or(u32::MAX);
        // `data:application/json;charset=utf-8;base64,…`: three bytes per
        // four characters; a URL-encoded map is about its own length
        let (meta, payload) = data.split_once(',')?;
        let json = match meta.ends_with(";base64") {
            true => payload.trim_end_matches('=').len() / 4 * 3,
            false => payload.len(),
        };
        Some(MapLink {
            file: None,
            inline_bytes: bytes,
            inline_json_bytes: u32::try_from(json).unwrap_or(u32::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_map_and_an_inline_one() {
        let file = MapLink::of(b"console.log(1);\n//# sourceMappingURL=index.js.map\n").unwrap();
        assert_eq!(file.file.as_deref(), Some("index.js.map"));
        assert_eq!(file.inline_bytes, 0);
        // {"version":3} in base64
        let url = "data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==";
        let code = format!("x();\n//# sourceMappingURL={url}\n");
        let inline = MapLink::of(code.as_bytes()).unwrap();
        assert_eq!(inline.file, None);
        assert_eq!(inline.inline_bytes as usize, code.len() - "x();\n".len());
        assert_eq!(
            inline.inline_json_bytes as usize,
            r#"{"version":3}"#.len() / 3 * 3
        );
        // a comment that is not last names no map
        assert_eq!(MapLink::of(b"//# sourceMappingURL=a.map\nlater();\n"), None);
    }
}
