//! The `audit` and `why` pipelines, from paths to report data.

use std::path::{Path, PathBuf};

use crate::analysis::{self, limits, Level};
use crate::artifact::{Artifact, OpenError, Warning};
use crate::estimate;
use crate::gate::{self, config::FunctionConfig, Baseline, Budgets, Config};
use crate::graph::{self, Environment};
use crate::imports;
use crate::inventory::{self, normalize_name, Inventory, Layout};
use crate::lockfile::{self, LockfileError};
use crate::report::{ArtifactReport, Report, ReportOptions, WhyReport};
use crate::rules::runtimes::{self, RuntimeInfo};
use crate::rules::{Context, RuleError, RuleSet};
use crate::template;

/// Facts about the function that the artifact alone may not tell.
#[derive(Clone, Debug, Default)]
pub struct FunctionFacts {
    /// Lambda runtime id, e.g. `python3.12` or `nodejs20.x`.
    pub runtime: Option<String>,
    /// The instruction set: arm64 or x86_64; None leaves it to the config,
    /// a template, then Lambda's default (x86_64).
    pub arm64: Option<bool>,
    /// Lambda handler, `index.handler`; inferred from the root files when absent.
    pub handler: Option<String>,
    /// Memory size in MB, for the CPU share init runs with.
    pub memory_mb: Option<u32>,
    /// Variables of the function's environment (`--env`): they win over
    /// the config's, which win over the templates'.
    pub environment: std::collections::BTreeMap<String, String>,
}

impl FunctionFacts {
    /// The runtime named by `--runtime`, which must be one deadweight knows.
    pub fn runtime_info(&self) -> Result<Option<&'static RuntimeInfo>, AuditError> {
        match &self.runtime {
            None => Ok(None),
            Some(id) => runtimes::find(id)
                .map(Some)
                .ok_or_else(|| AuditError::UnknownRuntime {
                    id: id.clone(),
                    known: runtimes::known_ids().join(", "),
                }),
        }
    }

    /// Command-line facts first, then the config's for this function.
    fn with_defaults(&self, function: Option<&FunctionConfig>) -> FunctionFacts {
        FunctionFacts {
            runtime: self
                .runtime
                .clone()
                .or_else(|| function.and_then(|f| f.runtime.clone())),
            arm64: self.arm64.or_else(|| function.and_then(|f| f.arm64)),
            handler: self
                .handler
                .clone()
                .or_else(|| function.and_then(|f| f.handler.clone())),
            memory_mb: self
                .memory_mb
                .or_else(|| function.and_then(|f| f.memory_mb)),
            environment: function
                .map(|f| f.environment.clone())
                .unwrap_or_default()
                .into_iter()
                .chain(self.environment.clone())
                .collect(),
        }
    }

    /// A variable of the function's environment: given on the command
    /// line or in the config, else as its deployment sets it.
    fn variable(
        &self,
        name: &str,
        template_texts: &[String],
        packaged: Option<&template::PackagedFunction>,
    ) -> Option<String> {
        self.environment
            .get(name)
            .cloned()
            .or_else(|| template::deployed_variable(template_texts, packaged, name))
    }

    fn environment(&self, inventory: &Inventory) -> Environment {
        let from_runtime = self.runtime.as_deref().and_then(|id| {
            let (major, minor) = id.strip_prefix("python")?.split_once('.')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        });
        let from_runtime = from_runtime.or_else(|| {
            self.runtime
                .as_deref()
                .and_then(runtimes::find)
                .and_then(|r| r.python_version())
        });
        Environment {
            python_version: from_runtime.or(inventory.python_version),
            arm64: self.arm64.unwrap_or(false),
        }
    }
}

/// Why an audit could not run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("unknown runtime {id:?}; known runtimes: {known}")]
    UnknownRuntime { id: String, known: String },
    #[error(transparent)]
    Config(#[from] gate::ConfigError),
}

/// Everything one `audit` run needs.
pub struct AuditRequest<'a> {
    pub paths: &'a [PathBuf],
    pub lockfiles: &'a [PathBuf],
    pub rules: &'a RuleSet,
    pub config: &'a Config,
    /// From the command line; they win over the config's.
    pub facts: FunctionFacts,
    pub baseline: Option<&'a Baseline>,
    /// The functions' logs, for measured init next to the estimate.
    pub logs: Option<&'a crate::logs::LogsReport>,
    pub options: ReportOptions,
    /// The inputs opened ahead by [`open_inputs`], when the caller did.
    pub opened: Option<&'a OpenedInputs>,
    /// Where what reading the zips' files found (their imports, the clients
    /// the handler creates, their ELF tables) is kept between runs
    /// ([`crate::artifact::cache`]); `None` keeps nothing.
    pub cache: Option<PathBuf>,
}

/// Audits each path in turn — artifacts, or lockfiles on their own — with
/// the given lockfiles applied to every artifact, then runs the gate. The
/// first input that cannot be read stops the run.
pub fn audit(request: &AuditRequest) -> Result<Report, AuditError> {
    let lockfiles = request
        .lockfiles
        .iter()
        .map(|p| lockfile::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let opened_here;
    let together = match request.opened {
        Some(opened) if opened.0.len() == request.paths.len() => &opened.0,
        _ => {
            opened_here = open_together(request.paths, request.cache.as_deref());
            &opened_here
        }
    };
    let mut reports = Vec::with_capacity(request.paths.len());
    let mut budgets = Vec::with_capacity(request.paths.len());
    for (position, path) in request.paths.iter().enumerate() {
        let function = function_config(request.config, path);
        let mut facts = request.facts.with_defaults(function);
        let templates = template::Templates::read(path);
        let template_texts = templates.texts(path);
        if facts.runtime.is_none() {
            facts.runtime = template::runtime(&template_texts);
        }
        // a handler given (not inferred from the files) may name a file
        // the package does not have
        if facts.handler.is_none() && template::handler_applies(path, &template_texts) {
            facts.handler = template::handler(&template_texts);
        }
        // what `serverless package` or `cdk synth` compiled for the artifact
        let packaged = templates.packaged(facts.handler.as_deref());
        if facts.handler.is_none() {
            facts.handler = packaged.and_then(|f| f.handler.clone());
        }
        if facts.runtime.is_none() {
            facts.runtime = templates.packaged_runtime(packaged);
        }
        if facts.arm64.is_none() {
            facts.arm64 =
                template::arm64(&template_texts).or_else(|| packaged.and_then(|f| f.arm64));
        }
        let runtime = facts.runtime_info()?;
        let mut report = if is_lockfile_input(path) {
            let lock = lockfile::load(path)?;
            let mut report = ArtifactReport::from_lockfile(&lock);
            report.findings.extend(crate::rules::evaluate_lockfile(
                request.rules,
                &lock,
                runtime,
            ));
            report
        } else {
            // a function audit with a handler reads the init model and the
            // client vocabulary: parse them while the artifact is listed
            rayon::spawn(prepare);
            let opened_here;
            let artifact = match &together[position] {
                Some(opened) => &opened.artifact,
                None => {
                    opened_here = open_artifact(path)?;
                    &opened_here
                }
            };
            let (handler, not_inferred) = match &facts.handler {
                Some(handler) => (Some(handler.clone()), None),
                None => match imports::reach::infer_handler(artifact) {
                    Ok(handler) => (Some(handler), None),
                    Err(why) => (None, Some(why)),
                },
            };
            let (wrapped, wrapper_warning) = wrapped_handler(&facts, &template_texts, packaged);
            let handler = wrapped.clone().or(handler);
            let function_layers = function_layers(
                together,
                position,
                function,
                path,
                (&templates, &template_texts, packaged),
                request.cache.as_deref(),
            )?;
            let layers = function_layers.all();
            let unknown_layers = function_layers.unknown;
            let mount =
                imports::mount::Mount::new(artifact, layers.iter().map(|l| &l.artifact).collect());
            let built_here;
            let (inventory, native) = match &together[position] {
                Some(opened) => (&opened.inventory, &opened.native),
                None => {
                    built_here = inventory_and_native(artifact, request.cache.as_deref());
                    (&built_here.0, &built_here.1)
                }
            };
            let environment = facts.environment(inventory);
            let family = match runtime {
                Some(runtime) => runtime.family.as_str(),
                None => inventory.runtime.as_str(),
            };
            let handler_layers = analysis::handler::Layers {
                known: &mount.layers,
                unknown: unknown_layers,
                python: runtime.and_then(|r| r.python_version()),
            };
            // parsing the function's code pays only when an import rule is on;
            // the analysis and the bundles' make-up read none of it, and
            // take the other core while a bundle of megabytes is parsed
            let (app, mut analysis) = rayon::join(
                || match request.rules.scans_imports() {
                    true => imports::scan_app(
                        artifact,
                        inventory,
                        runtime.and_then(|r| r.python_version()),
                        request.cache.as_deref(),
                        handler.as_deref(),
                    ),
                    false => imports::AppScan::default(),
                },
                || {
                    let mut analysis = analysis::analyze(
                        artifact,
                        &mount.layers,
                        inventory,
                        &environment,
                        runtime,
                        &lockfiles,
                        native,
                    );
                    let reading = inventory::bundle::read(
                        artifact,
                        inventory,
                        &lockfiles,
                        request.cache.as_deref(),
                    );
                    analysis
                        .findings
                        .extend(analysis::source_maps::inline(&reading.inline_maps));
                    analysis.bundles = reading.bundles;
                    analysis.warnings.extend(reading.warnings);
                    analysis
                },
            );
            let imports::AppScan {
                files: sources,
                warnings: scan_warnings,
                handler: handler_read,
            } = app;
            let check_handler = |handler: &str| {
                analysis::handler::check(artifact, handler, Some(family), handler_layers, &sources)
            };
            let handler_finding = match (&facts.handler, inventory.layout, family) {
                (Some(handler), Layout::Function, "node" | "python") => check_handler(handler),
                (Some(handler), Layout::Function, "java") => {
                    let layers: Vec<&Inventory> = layers.iter().map(|l| &l.inventory).collect();
                    analysis::handler::check_java(artifact, inventory, &layers, handler)
                }
                // a custom runtime's entry point is its bootstrap
                (_, Layout::Function, "binary") if runtime.is_some() => {
                    analysis::handler::check_bootstrap(artifact)
                }
                _ => None,
            };
            // the handler a wrapper imports must be there too
            let wrapped_finding = match (&wrapped, inventory.layout, family) {
                (Some(handler), Layout::Function, "node" | "python") => check_handler(handler),
                _ => None,
            };
            let mut walker = match (&handler, inventory.layout) {
                (Some(handler), Layout::Function) => imports::reach::InitWalker::new(
                    &mount,
                    handler,
                    imports::reach::Platform {
                        python: environment.python_version,
                        runtime,
                        arm64: environment.arm64,
                        unknown_layers,
                    },
                    &sources,
                )
                .map(|walker| {
                    match (wrapped.is_some(), facts.handler.as_deref()) {
                        // the wrapper's module loads first, from its layer
                        (true, Some(wrapper)) => walker.with_wrapper(wrapper),
                        _ => walker,
                    }
                })
                .map(|walker| match &request.cache {
                    Some(dir) => walker.with_cache(dir),
                    None => walker,
                })
                .map(|walker| {
                    use imports::environment::{Variables, NODE_ENV};
                    let node_env = facts.variable(NODE_ENV, &template_texts, packaged);
                    walker.with_variables(Variables::on_lambda(&facts.environment, node_env))
                }),
                _ => None,
            };
            // The data rules and the directory tree read no init: they run
            // beside the walk.
            let ((data_findings, directories), load) = rayon::join(
                || {
                    let context = Context {
                        artifact,
                        inventory,
                        analysis: &analysis,
                        sources: &sources,
                        runtime,
                    };
                    let data_findings = crate::rules::evaluate_data(request.rules, &context);
                    let directories =
                        crate::report::biggest_directories(artifact, &request.options);
                    (data_findings, directories)
                },
                || {
                    walker
                        .as_ref()
                        .map(|w| w.load(&imports::reach::Edits::new()))
                },
            );
            // the clients the function's modules create at init, priced by the estimate
            let mut priced_calls = Vec::new();
            // init with NODE_ENV=production, when it loads other builds
            let mut in_production = None;
            if let Some(load) = &load {
                analysis
                    .findings
                    .extend(analysis::init::not_loaded(inventory, load));
                let providers = analysis::missing_modules::Providers {
                    runtime,
                    python: runtime.and_then(|r| r.python_version()),
                    template_layers: unknown_layers,
                    layers: &mount.layers,
                    declared: analysis::missing_modules::Declared::read(artifact, load.language),
                };
                analysis.findings.extend(analysis::missing_modules::check(
                    artifact, inventory, load, &providers,
                ));
                if let Some(walker) = &walker {
                    analysis
                        .findings
                        .extend(analysis::missing_modules::missing_exports(
                            inventory,
                            load.language,
                            &walker.missing_exports(load),
                        ));
                }
                analysis.findings.extend(analysis::module_format::check(
                    artifact, load, &sources, runtime,
                ));
                if let Some(walker) = &walker {
                    if let Some((finding, load)) =
                        analysis::node_env::check(artifact, inventory, walker, load)
                    {
                        analysis.findings.push(finding);
                        in_production = Some(load);
                    }
                    analysis
                        .findings
                        .extend(analysis::module_format::required_es_modules(
                            inventory,
                            &walker.requires(load),
                            runtime,
                        ));
                    analysis
                        .findings
                        .extend(analysis::module_format::namespace_calls(
                            inventory,
                            &walker.namespace_calls(load),
                        ));
                    analysis
                        .findings
                        .extend(analysis::module_format::commonjs_imports(
                            inventory,
                            &walker.commonjs_imports(load),
                            &analysis.bundles,
                        ));
                }
                let thresholds = request.config.thresholds;
                analysis.findings.extend(analysis::init::unbundled(
                    artifact,
                    &mount.layers,
                    load,
                    thresholds.unbundled_files,
                ));
                let mut warnings = Vec::new();
                let module = walker.as_ref().and_then(|walker| {
                    analysis::practices::read_handler(
                        artifact,
                        walker,
                        &load.handler,
                        request.cache.as_deref(),
                        handler_read,
                        &mut warnings,
                    )
                });
                if let Some(module) = &module {
                    analysis
                        .findings
                        .extend(analysis::practices::check(module, thresholds.init_services));
                    let route = templates.database_route(path, Some(&facts.environment), packaged);
                    analysis
                        .findings
                        .extend(analysis::practices::database_without_proxy(module, route));
                }
                priced_calls =
                    analysis::practices::priced_calls(artifact, inventory, load, module.as_ref());
                analysis.warnings.extend(warnings);
            }
            // the .py files init loads from a layer compile at every cold
            // start unless the layer carries their bytecode
            let layer_files: Vec<analysis::init::LayerFiles> = layers
                .iter()
                .enumerate()
                .map(|(index, layer)| {
                    let python_loaded = load.as_ref().is_some_and(|load| {
                        load.language == imports::Language::Python
                            && load.layer_loaded.iter().any(|f| f.layer == Some(index))
                    });
                    let recompiled = if python_loaded {
                        analysis::bytecode::check(
                            &layer.artifact,
                            &layer.inventory,
                            environment.python_version,
                        )
                        .1
                        .all
                    } else {
                        Vec::new()
                    };
                    analysis::init::LayerFiles {
                        artifact: &layer.artifact,
                        inventory: &layer.inventory,
                        recompiled,
                    }
                })
                .collect();
            // the runtime's own version: a deny needs the runtime
            if let Some(python) = runtime.and_then(|r| r.python_version()) {
                let parsed = walker
                    .as_ref()
                    .map(|w| w.syntax_too_new())
                    .unwrap_or_default();
                analysis.findings.extend(analysis::python_syntax::check(
                    artifact,
                    inventory,
                    load.as_ref(),
                    &sources,
                    &parsed,
                    &layer_files,
                    python,
                ));
            }
            analysis.findings.extend(analysis::keepalive::check(
                artifact,
                &sources,
                &template_texts,
                Some(&facts.environment),
            ));
            analysis.findings.extend(handler_finding);
            analysis.findings.extend(wrapped_finding);
            analysis.warnings.extend(wrapper_warning);
            let (findings, warnings) =
                layer_findings(artifact, inventory, &function_layers, runtime, &environment);
            analysis.findings.extend(findings);
            analysis.warnings.extend(warnings);
            // the init report, its estimate and the Init Duration its logs
            // show, which common/slow-init reads
            let mut logs_warning = None;
            let source_maps_enabled = facts
                .variable(
                    analysis::source_maps::NODE_OPTIONS,
                    &template_texts,
                    packaged,
                )
                .is_some_and(|options| analysis::source_maps::enabled_by(&options));
            let init = load.as_ref().map(|load| {
                let mut init = analysis::init::report(
                    artifact,
                    inventory,
                    load,
                    &analysis.compiled_at_start.all,
                    &layer_files,
                );
                init.priced_calls = std::mem::take(&mut priced_calls);
                init.source_maps_enabled =
                    source_maps_enabled && init.language == imports::Language::JavaScript;
                let calibration = request
                    .config
                    .calibration
                    .get(estimate::family_key(init.language));
                init.estimate_ms =
                    Some(estimate::init_estimate(&init, facts.memory_mb, calibration));
                if let Some(logs) = request.logs {
                    match logs.measured_for(path, facts.memory_mb) {
                        Ok(measured) => init.measured = Some(measured),
                        Err(why) => logs_warning = Some(format!("--logs: {why}")),
                    }
                }
                init
            });
            if let Some(load) = &load {
                analysis
                    .findings
                    .extend(analysis::source_maps::at_init(load, source_maps_enabled));
            }
            if let Some(init) = &init {
                analysis.findings.extend(analysis::init::slow(
                    init,
                    runtime,
                    template::warm_start(packaged, &template_texts),
                    request.config.thresholds.slow_init_ms,
                ));
            }
            let builtin = std::mem::take(&mut analysis.findings);
            analysis.findings = crate::rules::with_builtin(request.rules, data_findings, builtin);
            if let (Some(walker), Some(before)) = (&walker, &load) {
                let fixes = estimate::fixes::FixContext {
                    artifact,
                    walker,
                    before,
                    sources: &sources,
                    compiled: &analysis.compiled_at_start,
                    layers: &layer_files,
                    rules: request.rules,
                    memory_mb: facts.memory_mb,
                    source_maps_enabled,
                    in_production: in_production.as_ref(),
                    calibration: request
                        .config
                        .calibration
                        .get(estimate::family_key(before.language)),
                };
                estimate::fixes::add_init_savings(&mut analysis.findings, &fixes);
            }
            if let Some(walker) = &mut walker {
                walker.save_caches();
                walker.free_later();
            }
            let mut report = ArtifactReport::build(artifact, inventory, &analysis, directories);
            if handler.is_none()
                && inventory.layout == Layout::Function
                && matches!(family, "node" | "python")
            {
                report.init_not_followed = not_inferred;
            }
            report.architecture = Some(analysis::compat::function_machine(environment.arm64));
            report.deployed_as = templates.packaged_names();
            if facts.arm64.is_none() {
                report
                    .warnings
                    .extend(assumed_architecture_warning(&analysis.native));
            }
            report.warnings.extend(scan_warnings);
            report.warnings.extend(logs_warning.map(Warning::general));
            if let (Some(load), Some(init)) = (load, init) {
                report.init = Some(init);
                // the function's own files were scanned once already
                for warning in load.warnings {
                    if !report.warnings.contains(&warning) {
                        report.warnings.push(warning);
                    }
                }
            }
            report
        };
        report.runtime = facts.runtime.clone();
        budgets.push(match function {
            Some(f) => merge_budgets(&request.config.budgets, &f.budgets),
            None => request.config.budgets.clone(),
        });
        reports.push(report);
    }
    check_layers_together(&mut reports, request.rules);
    let today = gate::today();
    let mut used_ignores = vec![false; request.config.ignores.len()];
    for (position, (report, budgets)) in reports.iter_mut().zip(&budgets).enumerate() {
        gate::apply(
            report,
            position,
            request.config,
            budgets,
            request.baseline,
            &today,
            &mut used_ignores,
        );
    }
    if let Some(first) = reports.first_mut() {
        first
            .warnings
            .extend(gate::unused_ignores(request.config, &used_ignores));
    }
    Ok(Report::new(reports))
}

/// With no architecture given, the checks take Lambda's default (x86_64);
/// a package whose Linux native code is all arm64 was likely built for an
/// arm64 function, which only the user can say.
fn assumed_architecture_warning(native: &[analysis::compat::NativeFile]) -> Option<Warning> {
    let linux: Vec<&str> = native
        .iter()
        .filter(|n| !n.android)
        .map(|n| n.machine.as_str())
        .collect();
    let all_arm64 = !linux.is_empty() && linux.iter().all(|m| *m == "arm64");
    all_arm64.then(|| {
        Warning::general(format!(
            "checked for x86_64, Lambda's default, as no --arch, config or template names the architecture; the package's {} Linux native {} arm64: if the function runs on arm64, say so (--arch arm64, `architecture` in deadweight.toml, or the template's Architectures)",
            linux.len(),
            if linux.len() == 1 { "file is" } else { "files are all" }
        ))
    })
}

/// What a function's layers add to its findings: a package both ship
/// (common/duplicate-in-layer); and for layers from the config or the
/// template, which are no inputs of their own, their native code checked
/// against the function's runtime and the 250 MB limit on the function
/// with its layers.
fn layer_findings(
    artifact: &Artifact,
    inventory: &Inventory,
    layers: &FunctionLayers,
    runtime: Option<&RuntimeInfo>,
    environment: &Environment,
) -> (Vec<analysis::Finding>, Vec<Warning>) {
    let all = layers.all();
    let (mut findings, mut warnings) = (Vec::new(), Vec::new());
    if inventory.layout == Layout::Function && !all.is_empty() {
        let named: Vec<analysis::duplicates::LayerPackages> = all
            .iter()
            .map(|l| analysis::duplicates::LayerPackages {
                name: l.artifact.name(),
                inventory: &l.inventory,
            })
            .collect();
        // the layer folders the runtime searches: its Node major, or the
        // Python version init follows
        let version = match runtime {
            Some(r) if r.family == "node" => Some(r.version.clone()),
            _ => environment.python_version.map(|(a, b)| format!("{a}.{b}")),
        };
        findings.extend(analysis::duplicates::in_function_and_layers(
            inventory,
            &named,
            version.as_deref(),
        ));
    }
    for layer in &layers.opened {
        let compat = analysis::compat::check(
            &layer.artifact,
            &[],
            &layer.inventory,
            runtime,
            environment.arm64,
            &layer.native,
        );
        let name = layer.artifact.name();
        for mut finding in compat.findings {
            finding.location.path = format!("/opt/{}", finding.location.path);
            finding.message = format!("layer {name}: {}", finding.message);
            findings.push(finding);
        }
        for mut warning in compat.warnings {
            warning.path = warning.path.map(|p| format!("/opt/{p}"));
            warnings.push(warning);
        }
    }
    if !layers.opened.is_empty() {
        let total = artifact.unzipped_bytes()
            + all.iter().map(|l| l.artifact.unzipped_bytes()).sum::<u64>();
        let label = match all.len() {
            1 => "the function with its layer".to_string(),
            n => format!("the function with its {n} layers"),
        };
        findings.extend(limits::check(
            &artifact.path.display().to_string(),
            0,
            total,
            false,
            &label,
        ));
    }
    (findings, warnings)
}

/// A wrapper layer's handler (Datadog's, New Relic's, Lumigo's) imports the
/// function's own, named by an environment variable: that handler, from the
/// config's environment, a template's or the compiled Serverless one, for
/// init and the handler check to follow; or a warning saying what to set.
fn wrapped_handler(
    facts: &FunctionFacts,
    template_texts: &[String],
    packaged: Option<&template::PackagedFunction>,
) -> (Option<String>, Option<crate::artifact::Warning>) {
    let Some(wrapper) = facts.handler.as_deref().and_then(runtimes::wrapper) else {
        return (None, None);
    };
    let wrapped = facts.variable(&wrapper.environment, template_texts, packaged);
    let warning = wrapped.is_none().then(|| {
        crate::artifact::Warning::general(format!(
            "the handler is {}'s wrapper, which imports the handler {} names: set it in the config's [function.environment] (or the template's) to follow init from the function's own handler",
            wrapper.name, wrapper.environment
        ))
    });
    (wrapped, warning)
}

/// A function's layers: those audited beside it (among the inputs, in
/// the order given); without any, the config's for the function; without
/// those, the ones on disk its SAM template gives it.
struct FunctionLayers<'t> {
    among_inputs: Vec<&'t Opened>,
    /// The config's or the template's, opened for this function.
    opened: Vec<Opened>,
    /// The template gives the function layers the audit does not have.
    unknown: bool,
}

impl FunctionLayers<'_> {
    fn all(&self) -> Vec<&Opened> {
        self.among_inputs
            .iter()
            .copied()
            .chain(&self.opened)
            .collect()
    }
}

/// A config's layer that cannot be read stops the audit, as an input would;
/// a template's that is not a layer (a source folder `sam build` has not
/// built yet) is left out, and counts as unknown. The templates are SAM's
/// (parsed, and as text) and the function `serverless package` or `cdk
/// synth` compiled.
fn function_layers<'t>(
    together: &'t [Option<Opened>],
    position: usize,
    function: Option<&FunctionConfig>,
    path: &Path,
    (templates, template_texts, packaged): (
        &template::Templates,
        &[String],
        Option<&template::PackagedFunction>,
    ),
    cache: Option<&Path>,
) -> Result<FunctionLayers<'t>, AuditError> {
    let open = |path: &Path| -> Result<Opened, OpenError> {
        let artifact = open_artifact(path)?;
        let (inventory, native) = inventory_and_native(&artifact, cache);
        Ok(Opened {
            inventory,
            native,
            artifact,
        })
    };
    let among_inputs: Vec<&Opened> = together
        .iter()
        .enumerate()
        .filter(|(other, _)| *other != position)
        .filter_map(|(_, opened)| opened.as_ref())
        .filter(|opened| opened.inventory.layout == Layout::Layer)
        .collect();
    let configured = function.map(|f| f.layers.as_slice()).unwrap_or_default();
    if !among_inputs.is_empty() || !configured.is_empty() {
        let opened = match among_inputs.is_empty() {
            true => configured
                .iter()
                .map(|p| open(p))
                .collect::<Result<_, _>>()?,
            false => Vec::new(),
        };
        return Ok(FunctionLayers {
            among_inputs,
            opened,
            unknown: template::gives_layers(template_texts),
        });
    }
    let Some(from_template) = templates.function_layers(path, packaged) else {
        return Ok(FunctionLayers {
            among_inputs,
            opened: Vec::new(),
            unknown: template::gives_layers(template_texts),
        });
    };
    let opened: Vec<Opened> = from_template
        .local
        .iter()
        .filter_map(|p| open(p).ok())
        .filter(|opened| opened.inventory.layout == Layout::Layer)
        .collect();
    Ok(FunctionLayers {
        unknown: from_template.elsewhere + from_template.local.len() > opened.len(),
        among_inputs,
        opened,
    })
}

/// An artifact opened and listed before the audit of each input starts.
struct Opened {
    artifact: Artifact,
    inventory: Inventory,
    native: analysis::compat::NativeReads,
}

/// Parses the tables a function's audit reads: the init model and the
/// client vocabulary. Each is parsed once per process; a caller with a core
/// to spare calls this while the artifacts are opened.
pub fn prepare() {
    crate::estimate::model();
    crate::imports::clients::prepare();
}

/// Opens an input; a folder the deployment zips is listed as the zip it
/// makes (without what a Terraform `archive_file`'s `excludes` or the
/// Lambda module's `patterns` leave out, with the module's further
/// `source_path` items).
pub fn open_artifact(path: &Path) -> Result<Artifact, OpenError> {
    match template::packaging_of(path) {
        Some(packaging) => Artifact::open_packaged(path, &packaging),
        None => Artifact::open(path),
    }
}

/// An artifact's inventory and its native files' needs: reading the ELF
/// headers needs only the listing, and fills the cores the inventory
/// leaves idle.
fn inventory_and_native(
    artifact: &Artifact,
    cache: Option<&Path>,
) -> (Inventory, analysis::compat::NativeReads) {
    rayon::join(
        || inventory::build(artifact),
        || analysis::compat::read_native_files(artifact, cache),
    )
}

/// Artifacts opened and listed ahead of their audit, by [`open_inputs`].
pub struct OpenedInputs(Vec<Option<Opened>>);

/// Opens and lists every artifact input in parallel, which needs neither
/// rules nor config: a caller runs it while it loads those. One that fails
/// here is opened again in its turn, to stop the audit with its error in
/// order; lockfile inputs are read in their turn.
pub fn open_inputs(paths: &[PathBuf], cache: Option<&Path>) -> OpenedInputs {
    OpenedInputs(open_all(paths, cache))
}

/// With several inputs, each artifact opened and listed up front (in
/// parallel): a function's layers may be among them, and init follows
/// imports into them. A single input has no layers beside it and is
/// opened in its turn.
fn open_together(paths: &[PathBuf], cache: Option<&Path>) -> Vec<Option<Opened>> {
    if paths.len() < 2 {
        return paths.iter().map(|_| None).collect();
    }
    open_all(paths, cache)
}

fn open_all(paths: &[PathBuf], cache: Option<&Path>) -> Vec<Option<Opened>> {
    use rayon::prelude::*;
    let mut opened: Vec<Option<Opened>> = paths
        .par_iter()
        .map(|path| {
            if is_lockfile_input(path) {
                return None;
            }
            let artifact = open_artifact(path).ok()?;
            let (inventory, native) = inventory_and_native(&artifact, cache);
            Some(Opened {
                artifact,
                inventory,
                native,
            })
        })
        .collect();
    // packages alone beside a function with code of its own are that
    // function's layer, zipped without its `nodejs/` or `python/` folder:
    // mounted as one, the function's missing modules are found there and
    // the misplaced folder named
    let packages_only = |o: &Opened| {
        o.inventory.layout == Layout::Function && o.inventory.dependencies_only(&o.artifact)
    };
    let with_code = |o: &Opened| o.inventory.layout == Layout::Function && !packages_only(o);
    if opened.iter().flatten().any(with_code) {
        for o in opened.iter_mut().flatten() {
            if packages_only(o) {
                o.inventory.layout = Layout::Layer;
            }
        }
    }
    opened
}

/// The config's `[[function]]` for this artifact, or its single `[function]`.
fn function_config<'c>(config: &'c Config, path: &Path) -> Option<&'c FunctionConfig> {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let wanted = canonical(path);
    config
        .functions
        .iter()
        .find(|f| f.path.as_deref().is_some_and(|p| canonical(p) == wanted))
        .or_else(|| config.functions.iter().find(|f| f.path.is_none()))
}

/// A function's own budgets win over the file-wide ones.
fn merge_budgets(global: &Budgets, own: &Budgets) -> Budgets {
    Budgets {
        zipped: own.zipped.or(global.zipped),
        unzipped: own.unzipped.or(global.unzipped),
        loaded: own.loaded.or(global.loaded),
        init_ms: own.init_ms.or(global.init_ms),
        growth: own.growth.or(global.growth),
    }
}

/// Function code and layers share the 250 MiB unzipped limit.
fn check_layers_together(artifacts: &mut [ArtifactReport], rules: &RuleSet) {
    let packages: Vec<usize> = (0..artifacts.len())
        .filter(|&i| artifacts[i].lockfile.is_none())
        .collect();
    if packages.len() < 2
        || rules
            .get(limits::RULE)
            .is_some_and(|r| r.level == Level::Allow)
    {
        return;
    }
    let unzipped: u64 = packages.iter().map(|&i| artifacts[i].unzipped_bytes).sum();
    let label = format!(
        "{} artifacts together (function and layers)",
        packages.len()
    );
    let first = packages[0];
    let path = artifacts[first].path.clone();
    artifacts[first]
        .findings
        .extend(limits::check(&path, 0, unzipped, false, &label));
}

fn is_lockfile_input(path: &Path) -> bool {
    lockfile::is_lockfile(path) && !path.is_dir()
}

/// The chains from the root to `query` (`name` or `name@version`) in the
/// artifact or lockfile at `path`.
pub fn why_chains(
    query: &str,
    path: &Path,
    facts: &FunctionFacts,
    limit: usize,
) -> Result<WhyReport, AuditError> {
    let graph = if is_lockfile_input(path) {
        graph::from_lockfile(&lockfile::load(path)?)
    } else {
        let artifact = open_artifact(path)?;
        let inventory = inventory::build(&artifact);
        graph::from_inventory(&inventory, &facts.environment(&inventory))
    };
    let (name, version) = split_query(query);
    let chains = graph.why(
        |p| {
            normalize_name(p.ecosystem, &p.name) == normalize_name(p.ecosystem, name)
                && version.is_none_or(|v| p.version.as_deref() == Some(v))
        },
        limit,
    );
    Ok(WhyReport::build(
        query,
        &path.display().to_string(),
        &graph,
        chains,
    ))
}

/// `debug@2.6.9` → ("debug", Some("2.6.9")); a leading `@` is a scope.
fn split_query(query: &str) -> (&str, Option<&str>) {
    match query.get(1..).and_then(|rest| rest.rfind('@')) {
        Some(at) => (&query[..at + 1], Some(&query[at + 2..])),
        None => (query, None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_query;

    #[test]
    fn queries_split_at_the_version_not_the_scope() {
        assert_eq!(split_query("debug@2.6.9"), ("debug", Some("2.6.9")));
        assert_eq!(
            split_query("@aws-sdk/client-s3"),
            ("@aws-sdk/client-s3", None)
        );
        assert_eq!(
            split_query("@aws-sdk/client-s3@3.1.0"),
            ("@aws-sdk/client-s3", Some("3.1.0"))
        );
        assert_eq!(split_query(""), ("", None));
    }
}
