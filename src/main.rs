//! The `deadweight` command: parses arguments, runs the library, maps the
//! outcome to an exit code (0 pass, 1 gate failed, 2 could not run).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use deadweight::audit::{audit, why_chains, AuditRequest, FunctionFacts};
use deadweight::gate::{Baseline, Config};
use deadweight::report::rules::{self, RuleDoc};
use deadweight::report::{
    ColorChoice, Github, Json, Markdown, Render, ReportOptions, Sarif, Terminal, WhyReport,
};
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
    /// Compare two audits: BASE and HEAD are artifacts or JSON reports.
    ///
    /// Shows total size changes, packages added, removed, changed or resized,
    /// and findings new and fixed. Exits 1 when HEAD fails its gate.
    Diff(DiffArgs),
    /// Post or update one sticky pull-request comment (needs GITHUB_TOKEN).
    ///
    /// The comment carrying the body's <!-- deadweight:KEY --> marker is
    /// updated in place; without one, a new comment is created.
    Comment(CommentArgs),
    /// List every rule: id, level, category, title and the file it comes from.
    Rules(RulesArgs),
    /// Print one rule's documentation: what it does, why it matters, an example and the fix.
    Explain(ExplainArgs),
    /// Time the function's init for real: import the handler's module (never call it)
    /// in fresh node or python3 processes.
    ///
    /// Runs the package's code. It is extracted to a private read-only temporary
    /// directory, removed afterwards. Exits 0 when measured, 2 when it cannot be.
    Measure(MeasureArgs),
    /// Cold-start statistics from Lambda REPORT records: invocations, cold starts,
    /// Init Duration and Duration percentiles, per function and memory size.
    ///
    /// Reads text logs (aws logs tail, CloudWatch exports), JSON-format logs and
    /// `aws logs filter-log-events --output json`. Exits 2 when a file has no REPORT record.
    Logs(LogsArgs),
    /// Fit the init estimate to a function's measured Init Duration.
    ///
    /// Reads the function's logs and its artifact, compares the median Init
    /// Duration of its cold starts with deadweight's estimate at that memory
    /// size, and stores the ratio for the runtime family in deadweight.toml
    /// (`[calibration.node]` / `[calibration.python]`); later estimates use
    /// it and say so. Init Duration includes the runtime's own start.
    Calibrate(CalibrateArgs),
}

#[derive(clap::Args)]
struct LogsArgs {
    /// Log files.
    #[arg(required = true)]
    files: Vec<PathBuf>,

    /// Cold-start share and mean duration per time bin, e.g. 5m, 1h.
    #[arg(long, value_name = "LENGTH", value_parser = deadweight::logs::parse_bin)]
    bin: Option<u64>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = LogsFormat::Terminal)]
    format: LogsFormat,

    /// When to color the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(clap::Args)]
struct CalibrateArgs {
    /// The function's artifact.
    #[arg(value_name = "PATH")]
    path: PathBuf,

    /// Its logs (as `deadweight logs` reads them). Repeatable.
    #[arg(long = "logs", value_name = "FILE", required = true)]
    logs: Vec<PathBuf>,

    /// The config file to write; deadweight.toml here or above, else a new
    /// one in this directory.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(flatten)]
    function: FunctionArgs,

    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(clap::Args)]
struct MeasureArgs {
    /// The artifact: a zip or a build directory.
    path: PathBuf,

    /// Lambda handler, e.g. index.handler or app.lambda_handler [default: the
    /// one `serverless package` or `cdk synth` compiled for the zip or asset
    /// folder, or a Terraform configuration near it deploys, else the single
    /// index.js, app.py or lambda_function.py at the root].
    #[arg(long, value_name = "HANDLER")]
    handler: Option<String>,

    /// Lambda runtime id (nodejs20.x, python3.12): picks node or python3 when the
    /// handler could be either [default: the one `serverless package` or `cdk
    /// synth` compiled for the zip or asset folder, or a Terraform
    /// configuration near it deploys].
    #[arg(long, value_name = "ID")]
    runtime: Option<String>,

    /// Interpreter to run instead of node or python3 from PATH.
    #[arg(long, value_name = "PATH")]
    interpreter: Option<PathBuf>,

    /// Node: a node_modules folder standing in for the runtime's own
    /// (/var/runtime/node_modules, where nodejs18.x and later keep the AWS
    /// SDK), searched after the layers as Lambda's NODE_PATH does; e.g.
    /// `npm install --prefix sdk @aws-sdk/client-s3`, then `sdk/node_modules`.
    #[arg(long, value_name = "DIR")]
    runtime_modules: Option<PathBuf>,

    /// A layer the function uses (zip or directory), extracted where Lambda
    /// puts layers; repeat in the function's layer order [default: those its
    /// SAM template, `serverless package` build, `cdk synth` stack or
    /// Terraform configuration gives it, on disk].
    #[arg(long = "layer", value_name = "PATH")]
    layers: Vec<PathBuf>,

    /// A variable of the function's environment, NAME=VALUE, set for every
    /// run; repeat for more [default: NODE_OPTIONS and NODE_ENV as a SAM,
    /// Serverless, CDK or Terraform template sets them; this shell's
    /// NODE_OPTIONS and NODE_ENV are not passed on, as Lambda sets
    /// neither; what Lambda sets in every function (AWS_LAMBDA_FUNCTION_NAME,
    /// AWS_EXECUTION_ENV, _HANDLER…) is set as Lambda would].
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_variable)]
    env: Vec<(String, String)>,

    /// Fresh processes to time (after one unrecorded warm-up run).
    #[arg(long, default_value_t = 10, value_name = "N")]
    runs: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SimpleFormat::Terminal)]
    format: SimpleFormat,

    /// When to color the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The base: an artifact (zip, jar, directory) or a JSON report.
    base: PathBuf,
    /// The head: an artifact or a JSON report.
    head: PathBuf,

    /// Output format (markdown makes a pull-request comment).
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    format: Format,

    /// Marker key of the Markdown comment (<!-- deadweight:KEY -->); the
    /// head artifact's file name by default.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,

    /// When to color the terminal output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    /// The config file for auditing artifacts (deadweight.toml found upward by default).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(flatten)]
    function: FunctionArgs,

    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(clap::Args)]
struct CommentArgs {
    /// The repository, OWNER/NAME.
    #[arg(long, value_name = "OWNER/NAME")]
    repo: String,
    /// The pull request number.
    #[arg(long, value_name = "N")]
    pr: u64,
    /// The Markdown to post (from `audit` or `diff --format markdown`).
    #[arg(long, value_name = "FILE")]
    body_file: PathBuf,
    /// Marker key; by default the one in the body.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
}

#[derive(clap::Args)]
struct RulesArgs {
    /// Directories of extra rule files (*.toml); a rule with a built-in id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SimpleFormat::Terminal)]
    format: SimpleFormat,

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
    #[arg(long, value_enum, default_value_t = SimpleFormat::Terminal)]
    format: SimpleFormat,

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
    /// Zip files, jars or directories to audit; several give one report, and
    /// the layers among them are the functions' layers (init follows imports
    /// into them; installed packages alone beside a function count as its
    /// layer zipped without nodejs/ or python/). A lockfile on its own
    /// (package-lock.json, poetry.lock, …) reports the production install it
    /// describes. A deployment folder (cdk.out, .serverless, .aws-sam/build,
    /// a folder of Terraform .tf files) is the functions it deploys. A
    /// Python or JavaScript file alone is the package made of just it.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// The project's lockfile: marks development-only packages, checks
    /// the package against it, and gives the versions of the packages
    /// inside a bundle. Repeat for several.
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

    /// Marker key of the Markdown output (<!-- deadweight:KEY -->); the first
    /// artifact's file name by default.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,

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

    /// The functions' logs: measured Init Duration shown next to the estimate.
    #[arg(long = "logs", value_name = "FILE")]
    logs: Vec<PathBuf>,

    #[command(flatten)]
    cache: CacheArgs,
}

/// Whether what audits read is kept.
#[derive(clap::Args)]
struct CacheArgs {
    /// Read every file again and keep nothing: by default what reading a
    /// zip's files found (the code's imports, the clients its handler
    /// creates, native files' ELF tables) is kept in DEADWEIGHT_CACHE_DIR
    /// (else $XDG_CACHE_HOME/deadweight or ~/.cache/deadweight) for the next
    /// audit that meets the same contents.
    #[arg(long)]
    no_cache: bool,
}

impl CacheArgs {
    fn dir(&self) -> Option<PathBuf> {
        match self.no_cache {
            true => None,
            false => deadweight::artifact::cache::default_dir(),
        }
    }
}

/// What the function runs on.
#[derive(clap::Args)]
struct FunctionArgs {
    /// Lambda runtime id of the function, e.g. nodejs20.x or python3.12, for the
    /// runtime checks [default: the config's, or the one a SAM, Serverless,
    /// CDK or Terraform template of the artifact declares].
    #[arg(long, value_name = "ID")]
    runtime: Option<String>,

    /// Instruction set the function runs on [default: the config's, or the one
    /// a SAM, Serverless, CDK or Terraform template of the artifact declares,
    /// else x86_64].
    #[arg(long, value_enum)]
    arch: Option<Arch>,

    /// Lambda handler, e.g. index.handler, app.lambda_handler or
    /// com.example.Handler::handleRequest: what it loads at init, and checked to be
    /// in the package [default: the config's or a template's, else the single
    /// index.js, app.py or lambda_function.py at the root].
    #[arg(long, value_name = "HANDLER")]
    handler: Option<String>,

    /// Memory size in MB: init estimates scale to Lambda's CPU share (one
    /// vCPU at 1,769 MB, proportionally less below) [default: a full vCPU].
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u32).range(128..=10240))]
    memory: Option<u32>,

    /// A variable of the function's environment, as Lambda sets it; repeat
    /// for more. NODE_OPTIONS=--enable-source-maps makes init parse the
    /// source maps of what it loads; NODE_ENV (unset on Lambda unless the
    /// function sets it) picks the builds React and others load; the code's
    /// tests of variables follow them [default: the config's
    /// [function.environment], then a SAM, Serverless, CDK or Terraform
    /// template's].
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_variable)]
    env: Vec<(String, String)>,
}

impl FunctionArgs {
    fn facts(&self) -> FunctionFacts {
        FunctionFacts {
            runtime: self.runtime.clone(),
            arm64: self.arch.map(|arch| arch == Arch::Arm64),
            handler: self.handler.clone(),
            memory_mb: self.memory,
            environment: self.env.iter().cloned().collect(),
        }
    }
}

/// `NAME=VALUE`, the value possibly empty or holding `=` itself.
fn parse_variable(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("{text:?} is not NAME=VALUE")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Arch {
    #[value(name = "x86_64")]
    X86_64,
    Arm64,
}

/// Formats of `logs`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogsFormat {
    /// For people.
    Terminal,
    /// A table for a pull request or a wiki.
    Markdown,
    /// For tools.
    Json,
}

/// Formats of the commands that print one listing.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SimpleFormat {
    /// For people.
    Terminal,
    /// For tools.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Colored report for people.
    Terminal,
    /// The stable JSON report for tools and baselines.
    Json,
    /// A pull-request comment with a hidden marker line.
    Markdown,
    /// GitHub Actions annotations; the Markdown report goes to $GITHUB_STEP_SUMMARY.
    Github,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
}

// an audit makes many small allocations across threads (paths, parsed
// imports, inflated files): mimalloc takes 5-10% off an audit's time.
// Without transparent huge pages its resident memory stays within about
// 1.5x the system allocator's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The stack of the threads that parse: JavaScript and Python parsers
/// recurse once per level of nesting, and a generated file can nest
/// expressions tens of thousands deep (a `||` chain of 60,000 terms
/// overflowed the default 2 MiB). Reserved, not used: pages never touched
/// cost nothing.
const PARSER_STACK: usize = 256 << 20;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // everything runs on the pool's threads, the first stage too (the
    // calling thread blocks): each has the parsers' stack
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(PARSER_STACK)
        .build_global();
    let result = match pool {
        Ok(()) => rayon::scope(|_| run(cli)),
        Err(_) => run(cli),
    };
    match result {
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
        Command::Measure(args) => measure(args),
        Command::Calibrate(args) => calibrate(args),
        Command::Logs(args) => {
            let paths: Vec<&std::path::Path> = args.files.iter().map(PathBuf::as_path).collect();
            let report = deadweight::logs::read(&paths, args.bin)?;
            let mut out = io::stdout().lock();
            let written = match args.format {
                LogsFormat::Terminal => {
                    deadweight::report::render_logs(&report, args.color.for_stdout(), &mut out)
                }
                LogsFormat::Markdown => {
                    deadweight::report::markdown::render_logs(&report, &mut out)
                }
                LogsFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
                    .map_err(io::Error::from)
                    .and_then(|()| writeln!(out)),
            };
            finish_output(written.and_then(|()| out.flush()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff(args) => diff_command(args),
        Command::Comment(args) => {
            let token = std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.is_empty());
            let Some(token) = token else {
                anyhow::bail!("GITHUB_TOKEN is not set; the comment command needs a token that may write pull-request comments");
            };
            let api = std::env::var("GITHUB_API_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "https://api.github.com".to_string());
            let body = std::fs::read_to_string(&args.body_file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.body_file.display()))?;
            let outcome =
                deadweight::comment::post_or_update(&deadweight::comment::CommentRequest {
                    api: &api,
                    token: &token,
                    repo: &args.repo,
                    pr: args.pr,
                    body: &body,
                    key: args.key.as_deref(),
                })?;
            match outcome {
                deadweight::comment::Outcome::Created { id, url } => {
                    println!("created comment {id} {url}")
                }
                deadweight::comment::Outcome::Updated { id, url } => {
                    println!("updated comment {id} {url}")
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(args) => {
            let rules = deadweight::rules::load(&args.rules)?;
            let mut out = io::BufWriter::new(io::stdout().lock());
            let written = match args.format {
                SimpleFormat::Terminal => {
                    rules::render_list(&rules, args.color.for_stdout(), &mut out)
                }
                SimpleFormat::Json => {
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
                SimpleFormat::Terminal => {
                    rules::render_explain(rule, args.list.color.for_stdout(), &mut out)
                }
                SimpleFormat::Json => serde_json::to_writer_pretty(&mut out, &RuleDoc::new(rule))
                    .map_err(io::Error::from)
                    .and_then(|()| writeln!(out)),
            };
            finish_output(written.and_then(|()| out.flush()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(args) => {
            // a deployment folder (cdk.out, .serverless, .aws-sam/build, a
            // Terraform configuration) is its functions' code, each audited
            // with what its template says
            let paths = deadweight::template::expand_deployments(&args.paths);
            let cache = args.cache.dir();
            // listing the artifacts needs neither rules nor config, and
            // takes longer: the Terraform configurations near them are
            // looked for beside the rules, and the init model parsed as a
            // task of its own, which a core done listing a small artifact
            // takes up
            let ((loaded, ()), opened) = rayon::join(
                || {
                    rayon::join(
                        || {
                            let loaded = rules_and_config(
                                &args.rules,
                                args.config.as_deref(),
                                &args.rule_levels,
                            );
                            deadweight::template::prefetch(&paths);
                            loaded
                        },
                        deadweight::audit::prepare,
                    )
                },
                || deadweight::audit::open_inputs(&paths, cache.as_deref()),
            );
            let (rules, config) = loaded?;
            let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
            let logs = if args.logs.is_empty() {
                None
            } else {
                let paths: Vec<&std::path::Path> = args.logs.iter().map(PathBuf::as_path).collect();
                Some(deadweight::logs::read(&paths, None)?)
            };
            let report = audit(&AuditRequest {
                paths: &paths,
                lockfiles: &args.lockfiles,
                rules: &rules,
                config: &config,
                facts: args.function.facts(),
                baseline: baseline.as_ref(),
                logs: logs.as_ref(),
                options: ReportOptions::default(),
                opened: Some(&opened),
                cache,
            })?;
            let renderer: Box<dyn Render> = match args.format {
                Format::Terminal => Box::new(Terminal {
                    color: args.color.for_stdout(),
                    top: args.top,
                }),
                Format::Json => Box::new(Json),
                Format::Markdown => Box::new(Markdown {
                    key: args.key.clone(),
                }),
                Format::Sarif => Box::new(Sarif { rules: &rules }),
                Format::Github => Box::new(Github {
                    summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                        .filter(|v| !v.is_empty())
                        .map(PathBuf::from),
                    key: args.key.clone(),
                }),
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
            let code = if report.gate_passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
            drop(renderer);
            // the process ends next: its memory goes back whole, faster
            // than freeing the listings, rules and report piece by piece
            std::mem::forget((opened, rules, report));
            Ok(code)
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
        if args.format == SimpleFormat::Json {
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
        SimpleFormat::Terminal => report.render_terminal(args.color.for_stdout(), &mut out),
        SimpleFormat::Json => report.render_json(&mut out),
    };
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(ExitCode::SUCCESS)
}

/// A closed pipe (`| head`) is not a failure of the command.
fn measure(mut args: MeasureArgs) -> anyhow::Result<ExitCode> {
    use deadweight::template;
    // a deployment folder holding one function is that function's code;
    // with several, the user picks one
    if let Some(functions) = template::deployed_functions(&args.path) {
        match functions.as_slice() {
            [one] => args.path = one.clone(),
            several => {
                let listed: Vec<String> = several
                    .iter()
                    .map(|path| {
                        let names = template::Templates::read(path).packaged_names();
                        match names.is_empty() {
                            true => path.display().to_string(),
                            false => format!("{} ({})", path.display(), names.join(", ")),
                        }
                    })
                    .collect();
                anyhow::bail!(
                    "{} deploys {} functions; measure one of them:\n  {}",
                    args.path.display(),
                    several.len(),
                    listed.join("\n  ")
                );
            }
        }
    }
    // the package the deployment makes of it, as audit reads it
    let artifact = deadweight::audit::open_artifact(&args.path)?;
    // what the function deploys with, as audit reads it
    let templates = template::Templates::read(&args.path);
    let packaged = templates.packaged(args.handler.as_deref());
    let handler = args
        .handler
        .or_else(|| packaged.and_then(|f| f.handler.clone()));
    let runtime = args
        .runtime
        .or_else(|| templates.packaged_runtime(packaged));
    let layer_paths = match args.layers.is_empty() {
        false => args.layers,
        true => templates
            .function_layers(&args.path, packaged)
            .map(|layers| layers.local)
            .unwrap_or_default(),
    };
    let layers = layer_paths
        .iter()
        .map(|path| deadweight::audit::open_artifact(path))
        .collect::<Result<Vec<_>, _>>()?;
    // what the deployment sets NODE_OPTIONS and NODE_ENV to, unless given:
    // they change what Node loads
    let mut environment: std::collections::BTreeMap<String, String> =
        args.env.into_iter().collect();
    let texts = templates.texts(&args.path);
    for name in [
        deadweight::analysis::source_maps::NODE_OPTIONS,
        deadweight::imports::environment::NODE_ENV,
    ] {
        if !environment.contains_key(name) {
            if let Some(value) = template::deployed_variable(&texts, packaged, name) {
                environment.insert(name.to_string(), value);
            }
        }
    }
    let options = deadweight::measure::MeasureOptions {
        handler,
        runtime,
        interpreter: args.interpreter,
        runtime_modules: args.runtime_modules,
        runs: args.runs,
        environment,
    };
    let show_progress = io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if show_progress {
            eprint!("\rmeasuring: {done}/{total} runs");
            if done == total {
                eprint!("\r\x1b[K");
            }
        }
    };
    let measurement = deadweight::measure::measure(&artifact, &layers, &options, &mut progress)?;
    let mut out = io::stdout().lock();
    let written = match args.format {
        SimpleFormat::Terminal => deadweight::report::measure::render_terminal(
            &measurement,
            args.color.for_stdout(),
            &mut out,
        ),
        SimpleFormat::Json => serde_json::to_writer_pretty(&mut out, &measurement)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
    };
    finish_output(written.and_then(|()| out.flush()))?;
    Ok(ExitCode::SUCCESS)
}

fn finish_output(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Rules (built in, `--rules` and the config's `rules_dirs`), the config,
/// then levels: the config's, overridden by `--rule-level`.
/// Artifacts audited with no lockfile, baseline or logs: a side of
/// `diff`, the function `calibrate` estimates.
fn audit_paths(
    paths: &[PathBuf],
    rules: &RuleSet,
    config: &Config,
    facts: FunctionFacts,
    cache: Option<PathBuf>,
) -> Result<deadweight::report::Report, deadweight::audit::AuditError> {
    audit(&AuditRequest {
        paths,
        lockfiles: &[],
        rules,
        config,
        facts,
        baseline: None,
        logs: None,
        options: ReportOptions::default(),
        opened: None,
        cache,
    })
}

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

fn diff_command(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let (rules, config) = rules_and_config(&[], args.config.as_deref(), &[])?;
    let side = |path: &PathBuf| -> anyhow::Result<serde_json::Value> {
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{}:{}: not a JSON report: {e}", path.display(), e.line())
            })?;
            if report
                .get("schema_version")
                .and_then(|v| v.as_u64())
                .is_none()
                || !report["artifacts"].is_array()
            {
                anyhow::bail!(
                    "{}:1: not a deadweight JSON report (no schema_version and artifacts)",
                    path.display()
                );
            }
            Ok(report)
        } else {
            // a deployment folder is its functions, as `audit` takes it
            let paths = deadweight::template::expand_deployments(std::slice::from_ref(path));
            let facts = args.function.facts();
            let report = audit_paths(&paths, &rules, &config, facts, args.cache.dir())?;
            Ok(serde_json::to_value(&report)?)
        }
    };
    let base = side(&args.base)?;
    let head = side(&args.head)?;
    let diff = deadweight::diff::diff(
        &args.base.display().to_string(),
        &base,
        &args.head.display().to_string(),
        &head,
    );
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = match args.format {
        Format::Terminal => {
            deadweight::report::render_diff_terminal(&diff, args.color.for_stdout(), &mut out)
        }
        Format::Json => serde_json::to_writer_pretty(&mut out, &diff)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Markdown => {
            deadweight::report::markdown::render_diff(&diff, args.key.as_deref(), &mut out)
        }
        Format::Github | Format::Sarif => {
            anyhow::bail!("diff writes terminal, json or markdown; run `audit --format sarif|github` on the head instead")
        }
    };
    finish_output(written.and_then(|()| out.flush()))?;
    let failed = diff.artifacts.iter().any(|a| a.gate_passed == Some(false));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn calibrate(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    let rules = deadweight::rules::load(&[])?;
    let config_path = deadweight::gate::config::find(args.config.as_deref())
        .unwrap_or_else(|| PathBuf::from(deadweight::gate::config::FILE_NAME));
    let mut config = if config_path.is_file() {
        deadweight::gate::config::load(&config_path, &rules)?
    } else {
        Config::default()
    };
    // the model's own estimate, not an earlier calibration of it
    config.calibration.clear();
    let paths: Vec<&std::path::Path> = args.logs.iter().map(PathBuf::as_path).collect();
    let logs = deadweight::logs::read(&paths, None)?;
    let paths = [args.path.clone()];
    let facts = args.function.facts();
    let report = audit_paths(&paths, &rules, &config, facts, args.cache.dir())?;
    let Some(init) = report.artifacts.first().and_then(|a| a.init.as_ref()) else {
        anyhow::bail!(
            "{}: what the handler loads is unknown (a layer, or no handler found); give --handler",
            args.path.display()
        );
    };
    let measured = logs
        .measured_for(&args.path, args.function.memory)
        .map_err(|why| anyhow::anyhow!("{why}"))?;
    let memory = measured.memory_mb.and_then(|m| u32::try_from(m).ok());
    let calibration = deadweight::estimate::calibrate(init, &measured, memory);
    let family = deadweight::estimate::family_key(init.language);
    deadweight::gate::config::write_calibration(&config_path, family, &calibration)?;
    println!(
        "{}: measured Init Duration median {:.0} ms over {} cold starts at {} MB; the model estimated {:.0} ms; ratio {:.2} stored as [calibration.{family}] in {}",
        measured.function,
        measured.median_ms,
        measured.cold_starts,
        measured.memory_mb.map_or("?".to_string(), |m| m.to_string()),
        measured.median_ms / calibration.ratio,
        calibration.ratio,
        config_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
