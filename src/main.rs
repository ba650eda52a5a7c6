//! The `deadweight` command: parses arguments, runs the library, maps the
//! outcome to an exit code (0 pass, 1 gate failed, 2 could not run).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use deadweight::audit::{audit, why_chains, AuditRequest, FunctionFacts};
use deadweight::gate::{Baseline, Config};
use deadweight::report::rules::{self, RuleDoc};
use deadweight::report::{ColorChoice, Json, Render, ReportOptions, Terminal, WhyReport};
use deadweight::rules::RuleSet;

/// Audit serverless deployment packages: what is inside and who put it there,
/// what makes them heavy and slow to cold-start.
#[derive(Parser)]
#[command(name = "deadweight", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit deployment packages: a Lambda zip, a layer zip, a jar or a build directory.
    ///
    /// Exits 0 when the gate passes, 1 when it fails, 2 when an input cannot be read.
    Audit(AuditArgs),
    /// Show every shortest chain from the function to a package: who asked for it, with which range.
    ///
    /// Exits 0 when the package is found, 1 when it is not, 2 when the input cannot be read.
    Why(WhyArgs),
    /// List every rule: id, level, category, title and the file it comes from.
    Rules(RulesArgs),
    /// Print one rule's documentation: what it does, why it matters, an example and the fix.
    Explain(ExplainArgs),
}

#[derive(clap::Args)]
struct RulesArgs {
    /// Directories of extra rule files (*.toml); a rule with a built-in id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    format: Format,

    /// When to color the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// The rule id, e.g. node/whole-aws-sdk-v2.
    rule: String,

    #[command(flatten)]
    list: RulesArgs,
}

#[derive(clap::Args)]
struct WhyArgs {
    /// Package name, optionally with a version: `xml2js` or `debug@2.6.9`.
    package: String,

    /// The artifact (zip, jar or directory) or lockfile to look in.
    #[arg(value_name = "PATH")]
    path: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    format: Format,

    /// When to color the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    #[command(flatten)]
    function: FunctionArgs,

    /// At most this many chains per installed copy.
    #[arg(long, default_value_t = 10, value_name = "N")]
    limit: usize,
}

#[derive(clap::Args)]
struct AuditArgs {
    /// Zip files, jars or directories to audit; several give one report. A
    /// lockfile on its own (package-lock.json, poetry.lock, …) reports the
    /// production install it describes.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// The project's lockfile: marks development-only packages and checks
    /// the package against it. Repeat for several.
    #[arg(long = "lockfile", value_name = "FILE")]
    lockfiles: Vec<PathBuf>,

    /// Directories of extra rule files (*.toml); a rule with a built-in id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,

    /// Set a rule's level for this run: `node/runtime-provided-sdk=warn`,
    /// `common/docs-and-tests=allow`. Repeatable.
    #[arg(long = "rule-level", value_name = "RULE=LEVEL")]
    rule_levels: Vec<String>,

    /// The config file; by default deadweight.toml in this directory or the
    /// nearest one above it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// A JSON report of an earlier audit: its findings are known and do not
    /// fail the gate; growth budgets compare against it.
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    format: Format,

    /// When to color the terminal report (NO_COLOR is honoured with auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    #[command(flatten)]
    function: FunctionArgs,

    /// How many of the heaviest packages the terminal report lists.
    #[arg(long, default_value_t = 15, value_name = "N")]
    top: usize,
}

/// What the function runs on.
#[derive(clap::Args)]
struct FunctionArgs {
    /// Lambda runtime id of the function, e.g. nodejs20.x or python3.12.
    #[arg(long, value_name = "ID")]
    runtime: Option<String>,

    /// Instruction set the function runs on.
    #[arg(long, value_enum, default_value_t = Arch::X86_64)]
    arch: Arch,
}

impl FunctionArgs {
    fn facts(&self) -> FunctionFacts {
        FunctionFacts {
            runtime: self.runtime.clone(),
            arm64: self.arch == Arch::Arm64,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Arch {
    #[value(name = "x86_64")]
    X86_64,
    Arm64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Colored report for people.
    Terminal,
    /// The stable JSON report for tools and baselines.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("deadweight: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Why(args) => why(args),
        Command::Rules(args) => {
            let rules = deadweight::rules::load(&args.rules)?;
            let mut out = io::BufWriter::new(io::stdout().lock());
            let written = match args.format {
                Format::Terminal => rules::render_list(&rules, args.color.for_stdout(), &mut out),
                Format::Json => {
                    let docs: Vec<RuleDoc> = rules.rules.iter().map(RuleDoc::new).collect();
                    serde_json::to_writer_pretty(&mut out, &docs)
                        .map_err(io::Error::from)
                        .and_then(|()| writeln!(out))
                }
            };
            finish_output(written.and_then(|()| out.flush()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            let rules = deadweight::rules::load(&args.list.rules)?;
            let Some(rule) = rules.get(&args.rule) else {
                let close: Vec<&str> = rules
                    .rules
                    .iter()
                    .map(|r| r.id.as_str())
                    .filter(|id| id.contains(args.rule.rsplit('/').next().unwrap_or(&args.rule)))
                    .collect();
                let hint = if close.is_empty() {
                    "run `deadweight rules` for the list".to_string()
                } else {
                    format!("did you mean {}?", close.join(", "))
                };
                anyhow::bail!("no rule {:?}; {hint}", args.rule);
            };
            let mut out = io::BufWriter::new(io::stdout().lock());
            let written = match args.list.format {
                Format::Terminal => {
                    rules::render_explain(rule, args.list.color.for_stdout(), &mut out)
                }
                Format::Json => serde_json::to_writer_pretty(&mut out, &RuleDoc::new(rule))
                    .map_err(io::Error::from)
                    .and_then(|()| writeln!(out)),
            };
            finish_output(written.and_then(|()| out.flush()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(args) => {
            let (rules, config) =
                rules_and_config(&args.rules, args.config.as_deref(), &args.rule_levels)?;
            let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
            let report = audit(&AuditRequest {
                paths: &args.paths,
                lockfiles: &args.lockfiles,
                rules: &rules,
                config: &config,
                facts: args.function.facts(),
                baseline: baseline.as_ref(),
                options: ReportOptions::default(),
            })?;
            let renderer: Box<dyn Render> = match args.format {
                Format::Terminal => Box::new(Terminal {
                    color: args.color.for_stdout(),
                    top: args.top,
                }),
                Format::Json => Box::new(Json),
            };
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            if let Err(e) = renderer
                .render(&report, &mut out)
                .and_then(|()| out.flush())
            {
                // a closed pipe (`| head`) is not a failure of the audit
                if e.kind() != io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
            Ok(if report.gate_passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn why(args: WhyArgs) -> anyhow::Result<ExitCode> {
    let report: WhyReport = why_chains(
        &args.package,
        &args.path,
        &args.function.facts(),
        args.limit,
    )?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if report.chains.is_empty() {
        if args.format == Format::Json {
            report.render_json(&mut out)?;
        } else {
            writeln!(
                out,
                "{} is not installed in {}",
                args.package,
                args.path.display()
            )?;
        }
        out.flush()?;
        return Ok(ExitCode::from(1));
    }
    let written = match args.format {
        Format::Terminal => report.render_terminal(args.color.for_stdout(), &mut out),
        Format::Json => report.render_json(&mut out),
    };
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(ExitCode::SUCCESS)
}

/// A closed pipe (`| head`) is not a failure of the command.
fn finish_output(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Rules (built in, `--rules` and the config's `rules_dirs`), the config,
/// then levels: the config's, overridden by `--rule-level`.
fn rules_and_config(
    dirs: &[PathBuf],
    config_path: Option<&std::path::Path>,
    levels: &[String],
) -> anyhow::Result<(RuleSet, Config)> {
    let mut rules = deadweight::rules::load(dirs)?;
    let mut config = match deadweight::gate::config::find(config_path) {
        Some(path) => deadweight::gate::config::load(&path, &rules)?,
        None => Config::default(),
    };
    if !config.rules_dirs.is_empty() {
        let all: Vec<PathBuf> = dirs.iter().chain(&config.rules_dirs).cloned().collect();
        rules = deadweight::rules::load(&all)?;
        if let Some(path) = config.path.clone() {
            config = deadweight::gate::config::load(&path, &rules)?;
        }
    }
    for (id, level) in &config.rule_levels {
        rules
            .set_level(&format!("{id}={}", level.as_str()))
            .map_err(|e| anyhow::anyhow!(e))?;
    }
    for assignment in levels {
        rules
            .set_level(assignment)
            .map_err(|e| anyhow::anyhow!("--rule-level {assignment}: {e}"))?;
    }
    Ok((rules, config))
}
