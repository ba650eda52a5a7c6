//! The `//# sourceMappingURL=` comment that ends a JavaScript file: what
//! the bundle reading follows to a file's make-up, and what Node reads at
//! load when source maps are enabled (`--enable-source-maps`).

/// The `sourceMappingURL` comment at the end of a file.
pub struct MapComment<'a> {
    pub url: &'a str,
    /// Where the comment's line starts; only blank lines follow it.
    pub from: usize,
}

/// The comment must be the file's last line (only blank lines after it):
/// only that line is looked at, so a file without a map costs no scan of
/// its text (every file init loads is asked).
pub fn map_comment(code: &[u8]) -> Option<MapComment<'_>> {
    let end = code.iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
    let line_start = memchr::memrchr(b'\n', &code[..end]).map_or(0, |p| p + 1);
    let line = std::str::from_utf8(&code[line_start..end]).ok()?;
    // `//# …` or `/*# … */`, `@` the older form of `#`
    let (opener, rest) = line.trim_start().split_at_checked(2)?;
    if opener != "//" && opener != "/*" {
        return None;
    }
    let url = rest
        .trim_start()
        .strip_prefix("# sourceMappingURL=")
        .or_else(|| rest.trim_start().strip_prefix("@ sourceMappingURL="))?
        .trim();
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
        // blank lines after it, the block and the older `@` forms
        for code in [
            "x();\n//# sourceMappingURL=a.map\n\n  \n",
            "x();\n/*# sourceMappingURL=a.map */",
            "x();\r\n  //@ sourceMappingURL=a.map\r\n",
        ] {
            let link = MapLink::of(code.as_bytes());
            assert_eq!(
                link.and_then(|l| l.file).as_deref(),
                Some("a.map"),
                "{code:?}"
            );
        }
        // the URL in a string on the last line is no comment
        assert_eq!(MapLink::of(b"f('//# sourceMappingURL=a.map');\n"), None);
    }
}
