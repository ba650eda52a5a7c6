//! The colored report a developer reads in a terminal.

use std::io::{self, IsTerminal, Write};

use owo_colors::{OwoColorize, Style};

use super::{ArtifactReport, LockfileSummary, Render, Report};
use crate::analysis::Level;
use crate::inventory::bundle::Bundle;
use crate::inventory::{Layout, Totals};
use crate::units::{counted, human_bytes, percent, signed_count, signed_percent, thousands};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Color when writing to a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to color standard output.
    pub fn for_stdout(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && io::stdout().is_terminal()
            }
        }
    }
}

pub struct Terminal {
    pub color: bool,
    /// Packages listed per artifact before the rest is summarised.
    pub top: usize,
}

impl Terminal {
    fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }
}

impl Render for Terminal {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        for (i, artifact) in report.artifacts.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            self.artifact(artifact, out)?;
        }
        let packages: Vec<&ArtifactReport> = report
            .artifacts
            .iter()
            .filter(|a| a.lockfile.is_none())
            .collect();
        if packages.len() > 1 {
            let zipped: u64 = packages.iter().map(|a| a.zipped_bytes).sum();
            let unzipped: u64 = packages.iter().map(|a| a.unzipped_bytes).sum();
            let files: usize = packages.iter().map(|a| a.files).sum();
            writeln!(
                out,
                "\n{}  {} zipped · {} unzipped · {}",
                self.paint(
                    &format!("all {} artifacts", packages.len()),
                    Style::new().bold()
                ),
                human_bytes(zipped),
                human_bytes(unzipped),
                counted(files as u64, "file")
            )?;
        }
        Ok(())
    }
}

impl Terminal {
    fn lockfile(
        &self,
        a: &ArtifactReport,
        summary: &LockfileSummary,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let project = summary
            .project
            .as_deref()
            .map(|p| format!(" · {p}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}  {}",
            self.paint(&a.path, Style::new().bold()),
            self.paint(
                &format!("lockfile · {}{project}", summary.format.describe()),
                Style::new().dimmed()
            )
        )?;
        // the production figure's direct ones: a development tool the
        // manifest lists is direct too, and shown as such in the list
        let direct = a
            .packages
            .iter()
            .filter(|p| p.direct && p.dev != Some(true))
            .count();
        writeln!(
            out,
            "  {} production packages ({direct} direct) · {} development-only · {} locked in all",
            self.paint(&thousands(summary.production as u64), Style::new().bold()),
            thousands(summary.development as u64),
            thousands(summary.packages as u64)
        )?;
        let direct: Vec<String> = a
            .packages
            .iter()
            .filter(|p| p.direct)
            .map(|p| format!("{}@{}", p.name, p.version.as_deref().unwrap_or("?")))
            .collect();
        if !direct.is_empty() {
            writeln!(out, "  direct: {}", direct.join(", "))?;
        }
        Ok(())
    }

    fn artifact(&self, a: &ArtifactReport, out: &mut dyn Write) -> io::Result<()> {
        if let Some(summary) = &a.lockfile {
            self.lockfile(a, summary, out)?;
            self.findings(a, out)?;
            self.gate(a, out)?;
            return self.warnings(a, out);
        }
        let layout = match a.layout {
            Layout::Function => "function",
            Layout::Layer => "layer",
        };
        let mut kind = format!("{} · {layout} · {}", a.kind, a.runtime_family.as_str());
        if let Some(runtime) = &a.runtime {
            kind.push_str(&format!(" ({runtime})"));
        }
        if !a.deployed_as.is_empty() {
            kind.push_str(&format!(" · deploys {}", a.deployed_as.join(", ")));
        }
        writeln!(
            out,
            "{}  {}",
            self.paint(&a.path, Style::new().bold()),
            self.paint(&kind, Style::new().dimmed())
        )?;
        let approx = if a.zipped_estimated { "≈" } else { "" };
        writeln!(
            out,
            "  {approx}{} zipped · {} unzipped · {} · {}",
            self.paint(&human_bytes(a.zipped_bytes), Style::new().bold()),
            self.paint(&human_bytes(a.unzipped_bytes), Style::new().bold()),
            counted(a.files as u64, "file"),
            counted(a.packages.len() as u64, "package"),
        )?;
        if !a.native.is_empty() {
            let mut machines: Vec<&str> = a.native.iter().map(|n| n.machine.as_str()).collect();
            machines.sort_unstable();
            machines.dedup();
            // with builds for several machines, the glibc that matters is
            // that of the files the function's machine loads
            let function_machine = a.architecture.filter(|_| machines.len() > 1);
            let newest = a
                .native
                .iter()
                .filter(|n| function_machine.is_none_or(|m| n.machine == m))
                .filter_map(|n| {
                    n.glibc
                        .as_deref()
                        .and_then(crate::analysis::native::parse_glibc)
                        .map(|v| (v, n))
                })
                .max_by_key(|(v, _)| *v);
            let glibc = match (newest, function_machine) {
                (Some(((major, minor), n)), None) => {
                    format!("; needs up to GLIBC_{major}.{minor} ({})", n.path)
                }
                (Some(((major, minor), n)), Some(machine)) => format!(
                    "; the {machine} ones need up to GLIBC_{major}.{minor} ({})",
                    n.path
                ),
                (None, _) => String::new(),
            };
            let musl = if a.native.iter().any(|n| n.musl) {
                "; some linked against musl"
            } else {
                ""
            };
            writeln!(
                out,
                "  {}",
                self.paint(
                    &format!(
                        "native code: {} for {}{glibc}{musl}",
                        counted(a.native.len() as u64, "ELF file"),
                        machines.join(", ")
                    ),
                    Style::new().dimmed()
                )
            )?;
        }
        for b in &a.binaries {
            let language = match (b.language.as_deref(), &b.toolchain) {
                (Some("go"), Some(version)) => format!("Go ({version})"),
                (Some("rust"), Some(toolchain)) => format!("Rust ({toolchain})"),
                (Some("rust"), None) => "Rust".to_string(),
                _ => "an executable".to_string(),
            };
            let main = b
                .main
                .as_deref()
                .map(|m| format!(" {m}"))
                .unwrap_or_default();
            let debug = if b.debug_bytes > 0 {
                format!("; {} of debug info and symbols", human_bytes(b.debug_bytes))
            } else {
                String::new()
            };
            writeln!(
                out,
                "  binary: {} is {language}{main} for {}, listing {}{debug}",
                b.path,
                b.machine,
                counted(b.packages as u64, "package")
            )?;
            if let Some(note) = &b.note {
                writeln!(out, "          {}", self.paint(note, Style::new().dimmed()))?;
            }
        }
        if let Some(why) = &a.init_not_followed {
            writeln!(
                out,
                "  init: not followed ({why}); --handler FILE.FUNCTION names the handler"
            )?;
        }
        if let Some(init) = &a.init {
            let unresolved = match init.unresolved.len() {
                0 => String::new(),
                1 => "; 1 import found nowhere".to_string(),
                n => format!("; {n} imports found nowhere"),
            };
            let from_layers = match init.layers.len() {
                0 => String::new(),
                n => {
                    let names: Vec<String> = init
                        .layers
                        .iter()
                        .map(|path| {
                            let path = std::path::Path::new(path);
                            path.file_name()
                                .unwrap_or(path.as_os_str())
                                .to_string_lossy()
                                .into_owned()
                        })
                        .collect();
                    let layers = if n == 1 { "its layer" } else { "its layers" };
                    match init.layer_files {
                        0 => format!(", and nothing from {layers} ({})", names.join(", ")),
                        files => format!(
                            ", and {} ({}) from {layers} ({})",
                            counted(files as u64, "file"),
                            human_bytes(init.layer_bytes),
                            names.join(", ")
                        ),
                    }
                }
            };
            writeln!(
                out,
                "  init: {} loads {} of {} ({} of {}){from_layers} at module scope; {} not followed{unresolved}",
                init.handler,
                thousands((init.loaded_files - init.layer_files) as u64),
                counted(a.files as u64, "file"),
                human_bytes(init.loaded_bytes - init.layer_bytes),
                human_bytes(a.unzipped_bytes),
                counted(init.lazy_imports as u64, "lazy import"),
            )?;
            if let Some(estimate) = &init.estimate_ms {
                let source = match &estimate.calibrated {
                    Some(c) => format!("(model: {}; {c})", estimate.model),
                    None => format!("(model: {})", estimate.model),
                };
                writeln!(
                    out,
                    "        {} {}",
                    super::estimate_text(estimate),
                    self.paint(&source, Style::new().dimmed())
                )?;
            }
            if init.source_maps_enabled && init.source_map_bytes > 0 {
                writeln!(
                    out,
                    "        with NODE_OPTIONS=--enable-source-maps, Node parses {} of source maps as init loads",
                    human_bytes(init.source_map_bytes)
                )?;
            }
            if let Some(measured) = &init.measured {
                writeln!(out, "        {}", super::measured_text(measured))?;
            }
        }
        if a.zipped_estimated {
            writeln!(
                out,
                "  {}",
                self.paint(
                    "zipped sizes estimated: each file deflated at the default level, as zip -r would",
                    Style::new().dimmed()
                )
            )?;
        }

        writeln!(out)?;
        let packages = a.packages.iter().fold(Totals::default(), |mut t, p| {
            t.files += p.files;
            t.unzipped_bytes += p.unzipped_bytes;
            t.zipped_bytes += p.zipped_bytes;
            t
        });
        let mut owners = Table::new(["owner", "files", "unzipped", "zipped", "share"]);
        for (label, t) in [
            ("app (your code)".to_string(), a.app),
            (format!("packages ({})", a.packages.len()), packages),
            ("unowned".to_string(), a.unowned),
        ] {
            owners.row([
                label,
                thousands(t.files as u64),
                human_bytes(t.unzipped_bytes),
                human_bytes(t.zipped_bytes),
                percent(t.unzipped_bytes, a.unzipped_bytes),
            ]);
        }
        owners.write(self, out)?;

        if !a.packages.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "  {}",
                self.paint("heaviest packages", Style::new().bold())
            )?;
            let mut table = Table::new([
                "package", "unzipped", "zipped", "retained", "files", "share",
            ]);
            for p in a.packages.iter().take(self.top) {
                let version = p.version.as_deref().unwrap_or("?");
                let direct = if p.direct { "" } else { " ·" };
                table.row([
                    format!("{}@{version}{direct}", p.name),
                    human_bytes(p.unzipped_bytes),
                    human_bytes(p.zipped_bytes),
                    p.retained_bytes.map(human_bytes).unwrap_or_default(),
                    thousands(p.files as u64),
                    percent(p.unzipped_bytes, a.unzipped_bytes),
                ]);
            }
            table.write(self, out)?;
            if a.packages.len() > self.top {
                let rest = &a.packages[self.top..];
                let bytes: u64 = rest.iter().map(|p| p.unzipped_bytes).sum();
                writeln!(
                    out,
                    "  {}",
                    self.paint(
                        &format!(
                            "… {} more packages, {} (--top N to list more)",
                            rest.len(),
                            human_bytes(bytes)
                        ),
                        Style::new().dimmed()
                    )
                )?;
            }
            if a.packages.iter().take(self.top).any(|p| !p.direct) {
                writeln!(
                    out,
                    "  {}",
                    self.paint(
                        "· brought in by another package, not by the function itself; retained: what removing it would free",
                        Style::new().dimmed()
                    )
                )?;
            }
        }

        for bundle in &a.bundles {
            self.bundle(bundle, out)?;
        }

        if !a.directories.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "  {}",
                self.paint("biggest directories", Style::new().bold())
            )?;
            let mut table = Table::new(["directory", "unzipped", "zipped", "files", "share"]);
            for d in &a.directories {
                table.row([
                    format!("{}{}/", "  ".repeat(d.depth - 1), d.label),
                    human_bytes(d.unzipped_bytes),
                    human_bytes(d.zipped_bytes),
                    thousands(d.files as u64),
                    percent(d.unzipped_bytes, a.unzipped_bytes),
                ]);
            }
            table.write(self, out)?;
        }

        self.findings(a, out)?;
        self.gate(a, out)?;

        if !a.symlinks.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "  {} {} (listed, not followed)",
                self.paint("symlinks:", Style::new().bold()),
                a.symlinks.len()
            )?;
            for link in a.symlinks.iter().take(5) {
                writeln!(out, "    {link}")?;
            }
        }

        self.warnings(a, out)
    }

    /// What a bundled file of the function's own code is made of.
    fn bundle(&self, bundle: &Bundle, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out)?;
        writeln!(
            out,
            "  {} {}",
            self.paint(&format!("inside {}", bundle.path), Style::new().bold()),
            self.paint(
                &format!(
                    "({}, read from {})",
                    human_bytes(bundle.unzipped_bytes),
                    bundle.read_from.describe(bundle.map.as_deref())
                ),
                Style::new().dimmed()
            )
        )?;
        let mut table = Table::new(["package", "bytes", "share", "sources"]);
        for p in bundle.packages.iter().take(self.top) {
            table.row([
                p.label(),
                human_bytes(p.bytes),
                percent(p.bytes, bundle.unzipped_bytes),
                thousands(p.sources as u64),
            ]);
        }
        table.write(self, out)?;
        let mut rest = Vec::new();
        if bundle.packages.len() > self.top {
            let more = &bundle.packages[self.top..];
            rest.push(format!(
                "… {} more packages, {}",
                more.len(),
                human_bytes(more.iter().map(|p| p.bytes).sum())
            ));
        }
        rest.push(format!(
            "own code {} from {}",
            human_bytes(bundle.own.bytes),
            counted(bundle.own.sources as u64, "source")
        ));
        rest.push(format!(
            "bundler and unmapped {}",
            human_bytes(bundle.other_bytes)
        ));
        if bundle.inline_map_bytes > 0 {
            rest.push(format!(
                "inline source map {}",
                human_bytes(bundle.inline_map_bytes)
            ));
        }
        writeln!(
            out,
            "  {}",
            self.paint(&rest.join(" · "), Style::new().dimmed())
        )
    }

    fn findings(&self, a: &ArtifactReport, out: &mut dyn Write) -> io::Result<()> {
        if !a.findings.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "  {}",
                self.paint(
                    &format!("findings ({})", a.findings.len()),
                    Style::new().bold()
                )
            )?;
            for f in &a.findings {
                let level = match f.level {
                    Level::Deny => self.paint("deny ", Style::new().red().bold()),
                    Level::Warn => self.paint("warn ", Style::new().yellow().bold()),
                    Level::Allow => self.paint("allow", Style::new().dimmed()),
                };
                let location = match (f.location.line, f.location.column) {
                    (Some(line), Some(column)) => format!("{}:{line}:{column}", f.location.path),
                    (Some(line), None) => format!("{}:{line}", f.location.path),
                    _ => f.location.path.clone(),
                };
                let known = if f.known {
                    self.paint(" (known: in the baseline)", Style::new().dimmed())
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "  {level}  {}  {}{known}",
                    self.paint(&f.rule, Style::new().cyan()),
                    self.paint(&location, Style::new().dimmed())
                )?;
                writeln!(out, "         {}", f.message)?;
                match (&f.saving, &f.concerns) {
                    (Some(saving), _) => {
                        writeln!(out, "         saves: {}", super::saving_text(saving))?
                    }
                    (None, Some(concerns)) => writeln!(
                        out,
                        "         concerns: {} unzipped, {} zipped",
                        human_bytes(concerns.unzipped_bytes),
                        human_bytes(concerns.zipped_bytes)
                    )?,
                    _ => {}
                }
                if let Some(fix) = &f.fix {
                    writeln!(
                        out,
                        "         {} {fix}",
                        self.paint("fix:", Style::new().green())
                    )?;
                }
            }
        }

        Ok(())
    }

    fn gate(&self, a: &ArtifactReport, out: &mut dyn Write) -> io::Result<()> {
        if !a.ignored.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "  {}",
                self.paint(
                    &format!("ignored ({})", a.ignored.len()),
                    Style::new().dimmed()
                )
            )?;
            for i in &a.ignored {
                writeln!(
                    out,
                    "  {}",
                    self.paint(
                        &format!(
                            "{}  {} — {} ({})",
                            i.finding.rule, i.finding.location.path, i.reason, i.ignored_by
                        ),
                        Style::new().dimmed()
                    )
                )?;
            }
        }
        if a.gate.budgets.is_empty() && a.gate.passed {
            return Ok(());
        }
        writeln!(out)?;
        let verdict = if a.gate.passed {
            self.paint("PASS", Style::new().green().bold())
        } else {
            self.paint("FAIL", Style::new().red().bold())
        };
        writeln!(
            out,
            "  {} {verdict}",
            self.paint("gate", Style::new().bold())
        )?;
        if !a.gate.budgets.is_empty() {
            let mut table = Table::new(["budget", "value", "limit", ""]);
            for b in &a.gate.budgets {
                table.row([
                    b.budget.clone(),
                    b.show(b.value),
                    b.show(b.limit),
                    if b.passed {
                        "PASS".to_string()
                    } else {
                        "FAIL".to_string()
                    },
                ]);
            }
            table.write(self, out)?;
        }
        for reason in &a.gate.reasons {
            writeln!(out, "  {} {reason}", self.paint("✗", Style::new().red()))?;
        }
        Ok(())
    }

    fn warnings(&self, a: &ArtifactReport, out: &mut dyn Write) -> io::Result<()> {
        if !a.warnings.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "  {}",
                self.paint(
                    &format!("warnings ({})", a.warnings.len()),
                    Style::new().yellow().bold()
                )
            )?;
            for w in &a.warnings {
                let at = w
                    .path
                    .as_deref()
                    .map(|p| format!("{p}: "))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {} {at}{}",
                    self.paint("!", Style::new().yellow()),
                    w.message
                )?;
            }
        }
        Ok(())
    }
}

/// Left-aligned first column, right-aligned numbers.
struct Table<const N: usize> {
    header: [&'static str; N],
    rows: Vec<[String; N]>,
}

impl<const N: usize> Table<N> {
    fn new(header: [&'static str; N]) -> Self {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: [String; N]) {
        self.rows.push(cells);
    }

    fn write(&self, term: &Terminal, out: &mut dyn Write) -> io::Result<()> {
        let mut widths = self.header.map(|h| h.chars().count());
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String; N]| {
            let mut text = String::from(" ");
            for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
                let pad = width - cell.chars().count();
                if i == 0 {
                    text.push_str(&format!(" {cell}{}", " ".repeat(pad)));
                } else {
                    text.push_str(&format!("  {}{cell}", " ".repeat(pad)));
                }
            }
            text
        };
        let header = line(&self.header.map(str::to_string));
        writeln!(out, "{}", term.paint(&header, Style::new().dimmed()))?;
        for row in &self.rows {
            writeln!(out, "{}", line(row))?;
        }
        Ok(())
    }
}

/// `deadweight diff` for a terminal.
pub fn render_diff(
    diff: &crate::diff::DiffReport,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let term = Terminal { color, top: 0 };
    let signed = |change: i64| match change {
        0 => "±0".to_string(),
        c if c > 0 => format!("+{}", human_bytes(c as u64)),
        c => format!("−{}", human_bytes(c.unsigned_abs())),
    };
    for a in &diff.artifacts {
        writeln!(
            out,
            "{}  {} → {}",
            term.paint(&a.path, Style::new().bold()),
            diff.base,
            diff.head
        )?;
        let mut totals = Table::new(["", "base", "head", "change"]);
        let mut rows = vec![("zipped", &a.zipped), ("unzipped", &a.unzipped)];
        if let Some(loaded) = &a.loaded {
            rows.push(("loaded at init", loaded));
        }
        for (label, d) in rows {
            let pct = d
                .percent
                .filter(|_| d.change != 0)
                .map(|p| format!(" ({})", signed_percent(p)))
                .unwrap_or_default();
            totals.row([
                label.to_string(),
                human_bytes(d.base),
                human_bytes(d.head),
                format!("{}{pct}", signed(d.change)),
            ]);
        }
        if let Some(init) = &a.init_ms {
            totals.row([
                "init (estimated)".to_string(),
                init.base.text(),
                init.head.text(),
                init.change_text(),
            ]);
        }
        totals.row([
            "files".to_string(),
            thousands(a.files.base),
            thousands(a.files.head),
            signed_count(a.files.change),
        ]);
        totals.write(&term, out)?;
        let changes = a.biggest_changes();
        if !changes.is_empty() {
            writeln!(out)?;
            let mut table = Table::new(["package", "change", "base", "head", "unzipped"]);
            for (kind, p) in &changes {
                table.row([
                    p.name.clone(),
                    kind.to_string(),
                    p.base_versions.join(", "),
                    p.head_versions.join(", "),
                    signed(p.unzipped.change),
                ]);
            }
            table.write(&term, out)?;
        }
        if !a.bundled.is_empty() {
            writeln!(out)?;
            let mut table =
                Table::new(["bundled package", "in", "change", "base", "head", "bytes"]);
            for p in a.bundled.iter().take(10) {
                table.row([
                    p.name.clone(),
                    p.bundle.clone(),
                    p.change.to_string(),
                    p.base_versions.join(", "),
                    p.head_versions.join(", "),
                    signed(p.bytes.change),
                ]);
            }
            table.write(&term, out)?;
            if a.bundled.len() > 10 {
                let rest = &a.bundled[10..];
                let bytes: i64 = rest.iter().map(|p| p.bytes.change).sum();
                writeln!(
                    out,
                    "  {}",
                    term.paint(
                        &format!(
                            "… {} more bundled packages changed, {} in all",
                            rest.len(),
                            signed(bytes)
                        ),
                        Style::new().dimmed()
                    )
                )?;
            }
        }
        for (label, list, style) in [
            ("new", &a.new_findings, Style::new().yellow()),
            ("fixed", &a.fixed_findings, Style::new().green()),
        ] {
            if list.is_empty() {
                continue;
            }
            writeln!(
                out,
                "\n  {}",
                term.paint(&format!("{label} findings ({})", list.len()), style.bold())
            )?;
            for f in list.iter() {
                writeln!(
                    out,
                    "  {}  {}  {}",
                    f["level"].as_str().unwrap_or(""),
                    term.paint(f["rule"].as_str().unwrap_or(""), Style::new().cyan()),
                    f["message"].as_str().unwrap_or("")
                )?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `deadweight logs` for a terminal: one row per function and memory size.
pub fn render_logs(
    report: &crate::logs::LogsReport,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let term = Terminal { color, top: 0 };
    let ms = |p: &Option<crate::logs::Percentiles>, pick| super::logs_ms(p, pick, "-");
    let mut table = Table::new([
        "function",
        "memory",
        "invocations",
        "cold",
        "cold %",
        "init p50",
        "init p90",
        "init p99",
        "init max",
        "duration p50",
        "duration p99",
        "max used",
    ]);
    for f in &report.functions {
        table.row(super::logs_function_cells(f, "-"));
    }
    table.write(&term, out)?;
    writeln!(
        out,
        "  {}",
        term.paint(
            "times in ms; init is Lambda's Init Duration on cold starts",
            Style::new().dimmed()
        )
    )?;
    if report.functions.iter().any(|f| f.name == "unknown") {
        writeln!(
            out,
            "  {}",
            term.paint(
                "unknown: the logs do not name the function; records are grouped by memory size",
                Style::new().dimmed()
            )
        )?;
    }
    if !report.bins.is_empty() {
        writeln!(
            out,
            "\n  {}",
            term.paint("cold starts over time", Style::new().bold())
        )?;
        let mut table = Table::new([
            "function",
            "bin start",
            "invocations",
            "cold",
            "cold %",
            "avg duration",
            "avg init",
        ]);
        for b in &report.bins {
            table.row([
                b.function.clone(),
                b.start.clone(),
                thousands(b.invocations as u64),
                thousands(b.cold_starts as u64),
                format!("{:.1}%", b.cold_start_pct),
                format!("{:.1}", b.mean_duration_ms),
                b.mean_init_ms
                    .map_or("-".to_string(), |m| format!("{m:.0}")),
            ]);
        }
        table.write(&term, out)?;
    }
    if !report.init_reports.is_empty() {
        writeln!(
            out,
            "\n  {}",
            term.paint("INIT_REPORT records", Style::new().bold())
        )?;
        let mut table = Table::new([
            "function",
            "phase",
            "status",
            "count",
            "duration p50",
            "max",
        ]);
        for r in &report.init_reports {
            table.row([
                r.function.clone(),
                r.phase.clone(),
                r.status.clone(),
                thousands(r.count as u64),
                ms(&r.duration_ms, |p| p.median),
                ms(&r.duration_ms, |p| p.max),
            ]);
        }
        table.write(&term, out)?;
    }
    for it in &report.import_times {
        writeln!(
            out,
            "\n  {} {} ({} import trees; ms, median)",
            term.paint("slowest imports of", Style::new().bold()),
            it.function,
            it.trees
        )?;
        let mut table = Table::new(["module", "cumulative", "self"]);
        for m in it.modules.iter().take(15) {
            table.row([
                m.name.clone(),
                format!("{:.1}", m.cumulative_ms),
                format!("{:.1}", m.self_ms),
            ]);
        }
        table.write(&term, out)?;
        writeln!(
            out,
            "  {}",
            term.paint(
                "first cold start's import tree (ms, cumulative):",
                Style::new().dimmed()
            )
        )?;
        let mut roots: Vec<&crate::measure::importtime::ImportNode> = it.tree.iter().collect();
        roots.sort_by(|a, b| b.cumulative_us.total_cmp(&a.cumulative_us));
        for root in roots.iter().take(5) {
            import_tree(out, root, 0)?;
        }
    }
    if report.skipped_lines > 0 {
        writeln!(
            out,
            "  {}",
            term.paint(
                &format!(
                    "{} lines without a REPORT record skipped",
                    thousands(report.skipped_lines as u64)
                ),
                Style::new().dimmed()
            )
        )?;
    }
    for w in &report.warnings {
        let path = w
            .path
            .as_deref()
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        writeln!(out, "  ! {path}{}", w.message)?;
    }
    Ok(())
}

/// An import and its slowest children, three levels deep.
fn import_tree(
    out: &mut dyn Write,
    node: &crate::measure::importtime::ImportNode,
    depth: usize,
) -> io::Result<()> {
    writeln!(
        out,
        "    {}{} {:.1}",
        "  ".repeat(depth),
        node.name,
        node.cumulative_us / 1000.0
    )?;
    if depth < 2 {
        let mut children: Vec<&crate::measure::importtime::ImportNode> =
            node.children.iter().collect();
        children.sort_by(|a, b| b.cumulative_us.total_cmp(&a.cumulative_us));
        for child in children.iter().take(3) {
            import_tree(out, child, depth + 1)?;
        }
    }
    Ok(())
}
