//! What parsing the files init loads found, kept between runs
//! ([`crate::artifact::cache`]). Following a handler's imports inflates and
//! parses every module it loads (hundreds of files for one SDK), and that
//! is most of an audit's time.

use std::path::Path;

use super::exports::ModuleExports;
use super::source_map::MapLink;
use super::{
    Import, ImportKind, JsonAttribute, Language, Member, ModuleSyntax, SourceFile, TooNew,
};
use crate::artifact::cache::{codec_by_position, codec_struct, ContentCache};

pub type ScanCache = ContentCache<SourceFile>;

/// The cache of the scans made for these artifacts (their paths), in this
/// language and for this Python version.
pub fn open(
    dir: &Path,
    artifacts: &[&Path],
    language: Language,
    python: Option<(u32, u32)>,
) -> ScanCache {
    ContentCache::open(dir, "scan", artifacts, (language as u8, python))
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

codec_struct!(Member { name, line });

codec_struct!(Import {
    module,
    kind,
    line,
    column,
    lazy,
    guarded_by,
    fallback_for,
    after_try,
    conditional,
    stops_module,
    members,
    linked,
    invoked,
    assigned,
    assigned_on_package,
    functions,
    calls,
    calls_in,
    when
});

codec_struct!(TooNew {
    line,
    column,
    message
});

codec_struct!(ModuleSyntax {
    esm,
    commonjs,
    json_imports,
    top_level_await,
    sets_env
});

codec_struct!(ModuleExports {
    names,
    open,
    commonjs,
    for_import,
    reexports
});

codec_struct!(SourceFile {
    path,
    language,
    imports,
    too_new,
    syntax,
    exports,
    classes,
    tokens,
    source_map
});

codec_struct!(MapLink {
    file,
    inline_bytes,
    inline_json_bytes
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::cache::{Codec, Reader, Writer};
    use crate::imports::scan_source_for;

    #[test]
    fn scans_come_back_as_they_were_written() {
        let js = "import * as ns from './ns.js';\nimport { a, b as c } from 'pkg';\n\
                  export { d } from './d.js';\nexport const e = 1;\nconst x = await import('x');\n\
                  import data from './data.json' with { type: 'json' };\nns();\n\
                  try { require('optional') } catch { }\nfunction later() { return require('lazy') }\n\
                  //# sourceMappingURL=index.mjs.map\n";
        let cjs = "const lib = require('./lib');\nmodule.exports = require('./impl');\n\
                   exports.handler = async () => lib.run();\nif (process.env.X) require('x');\n\
                   process.env.NODE_ENV = process.env.NODE_ENV || 'production';\n\
                   process.env.DEBUG ??= 'app';\nprocess.env.TZ = zone;\n";
        let py = "import os, config\nfrom .models import User\ntry:\n    import ujson as json\n\
                  except ImportError:\n    import json\nconfig.REGION = 'eu'\nimport conf.aws\nconf.STAGE = 'prod'\n\
                  match os.name:\n    case _: pass\n\
                  def __getattr__(name):\n    import importlib\n    return importlib.import_module('.' + name, __name__)\n";
        let scans = [
            scan_source_for("index.mjs", js, Language::JavaScript, None).unwrap(),
            scan_source_for("lib/index.js", cjs, Language::JavaScript, None).unwrap(),
            scan_source_for("app/handler.py", py, Language::Python, Some((3, 9))).unwrap(),
        ];
        // the sample exercises what the codec must keep
        assert!(scans[0].imports.iter().any(|i| i.invoked.is_some()));
        assert!(scans[0].imports.iter().any(|i| !i.linked.is_empty()));
        assert!(scans[0].exports.is_some() && scans[0].syntax.top_level_await.is_some());
        assert!(scans[0].source_map.is_some());
        assert!(scans[1]
            .exports
            .as_ref()
            .is_some_and(|e| !e.reexports.is_empty()));
        assert!(scans[1].imports.iter().any(|i| !i.when.is_empty()));
        let set: Vec<(&str, Option<&str>, bool)> = (scans[1].syntax.sets_env.iter())
            .map(|a| (a.variable.as_str(), a.value.as_deref(), a.unless_set))
            .collect();
        assert_eq!(
            set,
            [
                ("NODE_ENV", Some("production"), true),
                ("DEBUG", Some("app"), true),
                ("TZ", None, false)
            ]
        );
        assert!(!scans[2].too_new.is_empty());
        assert!(scans[2].imports.iter().any(|i| !i.assigned.is_empty()));
        assert!(scans[2]
            .imports
            .iter()
            .any(|i| !i.assigned_on_package.is_empty()));
        for scan in scans {
            let mut out = Writer(Vec::new());
            scan.put(&mut out);
            let mut input = Reader::new(&out.0);
            assert_eq!(SourceFile::take(&mut input).as_ref(), Some(&scan));
            assert!(input.is_empty());
        }
    }

    #[test]
    fn languages_and_pythons_keep_apart() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("function.zip");
        let scan = scan_source_for("app.py", "import os\n", Language::Python, None).unwrap();
        let kept = open(dir.path(), &[&artifact], Language::Python, Some((3, 12)));
        kept.add("app.py", (1, 10), &scan);
        kept.save();
        let again = |language, python| {
            open(dir.path(), &[&artifact], language, python).get("app.py", (1, 10))
        };
        assert_eq!(again(Language::Python, Some((3, 12))), Some(scan));
        assert_eq!(again(Language::Python, Some((3, 9))), None);
        assert_eq!(again(Language::JavaScript, None), None);
    }
}
