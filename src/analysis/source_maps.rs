//! Source maps at cold start. node/inline-source-map: a map carried inside
//! the code, as a data URL in its `sourceMappingURL` comment, which Node
//! reads with the file at every cold start. node/source-maps-at-init:
//! NODE_OPTIONS enables source maps, and Node parses the map of every
//! file init loads as it loads it.

use super::{Finding, Level, Location, Saving};
use crate::imports::reach::InitLoad;
use crate::inventory::bundle::InlineMap;
use crate::units::{human_bytes, percent};

pub const INLINE_SOURCE_MAP_RULE: &str = "node/inline-source-map";
pub const SOURCE_MAPS_AT_INIT_RULE: &str = "node/source-maps-at-init";
pub const NODE_OPTIONS: &str = "NODE_OPTIONS";

/// Smaller inline maps are a rounding error of a function's size.
pub const INLINE_REPORTED_BYTES: u64 = 16 << 10;

/// node/inline-source-map: each inline map of the function's own code from
/// [`INLINE_REPORTED_BYTES`] on, with its bytes and zipped cost; its init
/// saving is the model's difference without it ([`crate::estimate::fixes`]).
pub fn inline(maps: &[InlineMap]) -> Vec<Finding> {
    maps.iter()
        .filter(|map| map.bytes >= INLINE_REPORTED_BYTES)
        .map(|map| {
            let saving = Saving::bytes(map.bytes, map.zipped_bytes);
            Finding {
                saving: Some(saving),
                concerns: Some(saving),
                ..Finding::with_fix(
                    INLINE_SOURCE_MAP_RULE,
                    Level::Warn,
                    format!(
                        "{} carries its source map inline: {} of its {} ({}), read at every cold start",
                        map.path,
                        human_bytes(map.bytes),
                        human_bytes(map.file_bytes),
                        percent(map.bytes, map.file_bytes)
                    ),
                    Location {
                        path: map.path.clone(),
                        line: None,
                        column: None,
                    },
                    "build the source map as a file of its own (esbuild --sourcemap, webpack devtool: 'source-map') and leave it out of the zip, or build without one".to_string(),
                )
            }
        })
        .collect()
}

/// Less source map JSON than this parses in well under a millisecond.
pub const PARSED_REPORTED_BYTES: u64 = 64 << 10;

/// Whether Node options enable source maps: the last of
/// `--enable-source-maps` and `--no-enable-source-maps` wins.
pub fn enabled_by(node_options: &str) -> bool {
    node_options
        .split_whitespace()
        .rev()
        .find_map(|option| match option {
            "--enable-source-maps" | "--enable-source-maps=true" => Some(true),
            "--no-enable-source-maps" | "--enable-source-maps=false" => Some(false),
            _ => None,
        })
        .unwrap_or(false)
}

/// node/source-maps-at-init: with source maps enabled, the maps the files
/// init loads name, parsed as they load. Its init saving is the model's
/// difference without them ([`crate::estimate::fixes`]).
pub fn at_init(load: &InitLoad, enabled: bool) -> Option<Finding> {
    let bytes = load.source_map_bytes();
    if !enabled || bytes < PARSED_REPORTED_BYTES {
        return None;
    }
    let mut maps: Vec<_> = load
        .source_maps
        .iter()
        .filter(|m| m.json_bytes > 0)
        .collect();
    maps.sort_by(|a, b| b.json_bytes.cmp(&a.json_bytes).then(a.file.cmp(&b.file)));
    let largest = maps.first()?;
    let named = |m: &crate::imports::reach::LoadedMap| match &m.map {
        Some(map) => format!("{map}, {}", human_bytes(m.json_bytes)),
        None => format!("inline in {}, {}", m.file, human_bytes(m.json_bytes)),
    };
    let shown: Vec<String> = maps.iter().take(3).map(|m| named(m)).collect();
    let more = match maps.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    Some(Finding::with_fix(
        SOURCE_MAPS_AT_INIT_RULE,
        Level::Warn,
        format!(
            "NODE_OPTIONS enables source maps: Node parses {} of source maps as init loads the files that name them ({}{more})",
            human_bytes(bytes),
            shown.join("; ")
        ),
        Location {
            path: largest.map.clone().unwrap_or_else(|| largest.file.clone()),
            line: None,
            column: None,
        },
        "take --enable-source-maps out of NODE_OPTIONS and apply the maps where stack traces are read (upload them to your error tracker, or keep them beside the build); to keep it on, build the maps without their sources (esbuild --sources-content=false), which leaves less to parse".to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::enabled_by;

    #[test]
    fn the_last_source_map_option_wins() {
        assert!(enabled_by("--enable-source-maps"));
        assert!(enabled_by("--max-old-space-size=512 --enable-source-maps"));
        assert!(!enabled_by("--enable-source-maps --no-enable-source-maps"));
        assert!(!enabled_by("--enable-source-maps-of-mine"));
        assert!(!enabled_by(""));
    }
}
