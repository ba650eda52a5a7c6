//! node/inline-source-map: a source map carried inside the code, as a data
//! URL in its `sourceMappingURL` comment. Node reads it with the file at
//! every cold start and uses it only with `--enable-source-maps`.

use super::{Finding, Level, Location, Saving};
use crate::inventory::bundle::InlineMap;
use crate::units::{human_bytes, percent};

pub const INLINE_SOURCE_MAP_RULE: &str = "node/inline-source-map";

/// Smaller inline maps are a rounding error of a function's size.
pub const REPORTED_BYTES: u64 = 16 << 10;

pub fn check(maps: &[InlineMap]) -> Vec<Finding> {
    maps.iter()
        .filter(|map| map.bytes >= REPORTED_BYTES)
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
