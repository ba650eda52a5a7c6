//! Init savings of fixes: the handler's init walked again with the fix
//! applied to the code, and the model's difference taken. Where a fix
//! brings in a package the artifact does not have, the rule's
//! `alternative` figures (with their source) stand in for it.

use super::{model, Family, Inputs};
use crate::analysis::bytecode::CompiledAtStart;
use crate::analysis::init::{loaded_files, LayerFiles};
use crate::analysis::{Finding, InitFiles};
use crate::artifact::Artifact;
use crate::imports::reach::{Edits, InitLoad, InitWalker};
use crate::imports::{Import, ImportKind, Language, SourceFile};
use crate::rules::{Alternative, RuleSet};

/// Everything a fix simulation needs from the audit.
pub struct FixContext<'a, 'w> {
    pub artifact: &'a Artifact,
    pub walker: &'a InitWalker<'w>,
    /// The init as the package is.
    pub before: &'a InitLoad,
    pub sources: &'a [SourceFile],
    pub compiled: &'a CompiledAtStart,
    /// The layers init loads files from.
    pub layers: &'a [LayerFiles<'a>],
    pub rules: &'a RuleSet,
    pub memory_mb: Option<u32>,
    pub calibration: Option<&'a super::Calibration>,
    /// The function's NODE_OPTIONS enable source maps.
    pub source_maps_enabled: bool,
    /// Init with NODE_ENV=production, walked for node/development-build.
    pub in_production: Option<&'a InitLoad>,
}

impl FixContext<'_, '_> {
    fn family(&self) -> &'static Family {
        model().family(self.before.language)
    }

    fn inputs(&self, load: &InitLoad) -> Inputs {
        Inputs::from_files(
            loaded_files(self.artifact, load, &self.compiled.all, self.layers),
            load,
            self.source_maps_enabled,
            self.family(),
        )
    }
}

/// Adds `saving.init_ms` to each finding whose fix changes what init loads.
pub fn add_init_savings(findings: &mut [Finding], cx: &FixContext) {
    let before = cx.inputs(cx.before);
    for finding in findings.iter_mut() {
        let Some((after, alternative)) = after_fix(finding, cx, &before) else {
            continue;
        };
        let family = cx.family();
        let ms = family.calibrated(family.saving(&before, &after, cx.memory_mb), cx.calibration);
        let saving = finding.saving.get_or_insert_with(Default::default);
        saving.init_ms = Some(ms);
        saving.init_files = Some(InitFiles {
            before: before.files,
            after: after.files,
        });
        let Some(alternative) = alternative else {
            continue;
        };
        // the replacement's own bytes come off the size saving
        saving.unzipped_bytes = saving
            .unzipped_bytes
            .saturating_sub(alternative.unzipped_bytes);
        saving.zipped_bytes = saving.zipped_bytes.saturating_sub(alternative.zipped_bytes);
        if let Some(fix) = &mut finding.fix {
            fix.push_str(&format!(
                " (saving with {}: {}, {} loaded at init, {} installed; {})",
                alternative.replacement,
                crate::units::counted(alternative.loaded_files as u64, "file"),
                crate::units::human_bytes(alternative.loaded_bytes),
                crate::units::human_bytes(alternative.unzipped_bytes),
                alternative.source
            ));
        }
    }
}

/// The model's inputs once the finding's fix is applied, when deadweight
/// knows what the fix changes, and the replacement it assumed when the
/// artifact does not have it.
fn after_fix<'r>(
    finding: &Finding,
    cx: &FixContext<'r, '_>,
    before: &Inputs,
) -> Option<(Inputs, Option<&'r Alternative>)> {
    let changed = |inputs: Option<Inputs>| inputs.map(|i| (i, None));
    let loaded = |set: &[usize]| -> u64 {
        cx.before
            .loaded
            .iter()
            .filter(|i| set.binary_search(i).is_ok())
            .map(|&i| cx.artifact.entries[i].unzipped_bytes)
            .sum()
    };
    match finding.rule.as_str() {
        "node/whole-aws-sdk-v2" | "node/xray-capture-all" => {
            changed(rewrite_import(finding, cx, &["aws-sdk"], |import| {
                let clients: Vec<String> = import
                    .members
                    .iter()
                    .filter(|m| m.name.chars().next().is_some_and(char::is_uppercase))
                    .map(|m| format!("aws-sdk/clients/{}", m.name.to_lowercase()))
                    .collect();
                (!clients.is_empty()).then_some(clients)
            }))
        }
        "node/development-build" => changed(cx.in_production.map(|load| cx.inputs(load))),
        "node/whole-xray-sdk" => changed(rewrite_import(finding, cx, &["aws-xray-sdk"], |_| {
            Some(vec!["aws-xray-sdk-core".to_string()])
        })),
        "python/missing-bytecode" => changed(Some(Inputs {
            compiled_bytes: before
                .compiled_bytes
                .saturating_sub(loaded(&cx.compiled.missing)),
            ..before.clone()
        })),
        "python/stale-bytecode" => {
            let unusable: Vec<usize> = cx
                .compiled
                .all
                .iter()
                .copied()
                .filter(|i| cx.compiled.missing.binary_search(i).is_err())
                .collect();
            changed(Some(Inputs {
                compiled_bytes: before.compiled_bytes.saturating_sub(loaded(&unusable)),
                ..before.clone()
            }))
        }
        crate::analysis::module_format::ESM_IMPORTS_COMMONJS_RULE => {
            changed(required_instead(finding, cx))
        }
        // one bundle file instead of every module file
        crate::analysis::init::UNBUNDLED_RULE => {
            let modules = cx
                .before
                .loaded
                .iter()
                .filter(|&&i| {
                    let path = &cx.artifact.entries[i].path;
                    path.starts_with("node_modules/") || path.contains("/node_modules/")
                })
                .count();
            changed(Some(Inputs {
                files: before.files.saturating_sub(modules.saturating_sub(1)),
                ..before.clone()
            }))
        }
        // Node parses no map as it loads
        crate::analysis::source_maps::SOURCE_MAPS_AT_INIT_RULE => changed(Some(Inputs {
            source_map_bytes: 0,
            ..before.clone()
        })),
        // the map a file of its own: not read with the code (with source
        // maps enabled, parsed all the same)
        crate::analysis::source_maps::INLINE_SOURCE_MAP_RULE => {
            let inline: u64 = cx
                .before
                .source_maps
                .iter()
                .filter(|m| m.file == finding.location.path)
                .map(|m| m.inline_bytes)
                .sum();
            changed((inline > 0).then(|| Inputs {
                inline_map_bytes: before.inline_map_bytes.saturating_sub(inline),
                ..before.clone()
            }))
        }
        _ => replace_package(finding, cx),
    }
}

/// Re-walks init with the import at the finding's location replaced by the
/// modules `replacement` names, when each of them is in the artifact.
fn rewrite_import(
    finding: &Finding,
    cx: &FixContext<'_, '_>,
    modules: &[&str],
    replacement: impl Fn(&Import) -> Option<Vec<String>>,
) -> Option<Inputs> {
    let file = cx
        .sources
        .iter()
        .find(|s| s.path == finding.location.path)?;
    let line = finding.location.line?;
    let at = file
        .imports
        .iter()
        .position(|i| i.line == line && modules.contains(&i.module.as_str()))?;
    let new_modules = replacement(&file.imports[at])?;
    let mut imports = file.imports.clone();
    let old = imports.remove(at);
    for module in new_modules.into_iter().rev() {
        imports.insert(
            at,
            Import {
                module,
                members: Vec::new(),
                linked: Vec::new(),
                invoked: None,
                ..old.clone()
            },
        );
    }
    let index = cx.artifact.find(&file.path)?;
    let after = cx.walker.load(&Edits::from([(index, imports)]));
    // a replacement that does not resolve is not a fix deadweight can price
    (after.unresolved.len() <= cx.before.unresolved.len()).then(|| cx.inputs(&after))
}

/// Re-walks init with the ES module imports at the finding's line made
/// `require()` calls (through `createRequire`): the same files load, and
/// none is read a second time for its export names.
fn required_instead(finding: &Finding, cx: &FixContext) -> Option<Inputs> {
    let file = cx
        .sources
        .iter()
        .find(|s| s.path == finding.location.path)?;
    let line = finding.location.line?;
    let mut imports = file.imports.clone();
    let mut changed = false;
    for import in imports.iter_mut().filter(|i| i.line == line) {
        if matches!(import.kind, ImportKind::Esm | ImportKind::Dynamic) {
            import.kind = ImportKind::Require;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    let index = cx.artifact.find(&file.path)?;
    Some(cx.inputs(&cx.walker.load(&Edits::from([(index, imports)]))))
}

/// Re-walks init without the finding's package imported by the function's
/// code, then adds what the rule's alternative loads, if it names one.
fn replace_package<'r>(
    finding: &Finding,
    cx: &FixContext<'r, '_>,
) -> Option<(Inputs, Option<&'r Alternative>)> {
    let (name, _) = finding.package.as_deref()?.rsplit_once('@')?;
    let rule = cx.rules.rules.iter().find(|r| r.id == finding.rule)?;
    let alternative: Option<&'r Alternative> = rule.alternative.iter().find(|a| a.package == name);
    // removing a package is only a fix when the rule says what replaces it
    // or the rule is about init time
    if alternative.is_none() && rule.category != crate::rules::Category::InitTime {
        return None;
    }
    let separator = match cx.before.language {
        Language::JavaScript => '/',
        Language::Python => '.',
    };
    let is_package = |module: &str| {
        module == name
            || module
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(separator))
    };
    let mut edits = Edits::new();
    for file in cx.sources {
        if file.imports.iter().any(|i| is_package(&i.module)) {
            let index = cx.artifact.find(&file.path)?;
            let kept = file
                .imports
                .iter()
                .filter(|i| !is_package(&i.module))
                .cloned()
                .collect();
            edits.insert(index, kept);
        }
    }
    if edits.is_empty() {
        return None;
    }
    let after = cx.walker.load(&edits);
    let mut inputs = cx.inputs(&after);
    let Some(alternative) = alternative else {
        return Some((inputs, None));
    };
    let mut runtime = after.runtime_modules.clone();
    runtime.extend(alternative.runtime_modules.iter().cloned());
    inputs.files += alternative.loaded_files;
    inputs.code_bytes += alternative.loaded_bytes;
    inputs.code_tokens += alternative.loaded_tokens;
    inputs.runtime_ms = cx.family().runtime_ms(&runtime);
    Some((inputs, Some(alternative)))
}
