//! The `deadweight` command: parses arguments, runs the library, maps the
//! outcome to an exit code (0 pass, 1 gate failed, 2 could not run).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use deadweight::audit::audit;
use deadweight::report::{ColorChoice, Json, Render, ReportOptions, Terminal};

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
}

#[derive(clap::Args)]
struct AuditArgs {
    /// Zip files, jars or directories to audit; several give one report.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    format: Format,

    /// When to color the terminal report (NO_COLOR is honoured with auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    /// Lambda runtime id of the function, e.g. nodejs20.x or python3.12.
    #[arg(long, value_name = "ID")]
    runtime: Option<String>,

    /// How many of the heaviest packages the terminal report lists.
    #[arg(long, default_value_t = 15, value_name = "N")]
    top: usize,
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
        Command::Audit(args) => {
            let options = ReportOptions {
                runtime: args.runtime,
                ..ReportOptions::default()
            };
            let report = audit(&args.paths, &options)?;
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
