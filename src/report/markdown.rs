//! Markdown for pull-request comments and CI summaries. The first line is a
//! hidden marker, `<!-- deadweight:KEY -->`, so a bot can find its own
//! comment again and update it in place.

use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;

use super::{Render, Report};
use crate::analysis::Saving;
use crate::diff::{ArtifactDiff, Delta, DiffReport};
use crate::units::{counted, human_bytes, percent, signed_count, signed_percent, thousands};

pub struct Markdown {
    /// Marker key; by default the first artifact's file name.
    pub key: Option<String>,
}

/// The default marker key for an artifact path.
pub fn default_key(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

fn marker(key: &str) -> String {
    // a marker must not close the comment early
    format!("<!-- deadweight:{} -->", key.replace("--", "-"))
}

/// `|` and line breaks would break a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn signed(bytes: i64) -> String {
    match bytes {
        0 => "±0".to_string(),
        b if b > 0 => format!("▲ +{}", human_bytes(b as u64)),
        b => format!("▼ −{}", human_bytes(b.unsigned_abs())),
    }
}

fn delta_text(delta: &Delta) -> String {
    match delta.percent {
        Some(p) if delta.change != 0 => {
            format!("{} ({})", signed(delta.change), signed_percent(p))
        }
        _ => signed(delta.change),
    }
}

/// "added 1.2.3", "removed …", "1.2.3 → 1.3.0" or "resized".
fn change_text(kind: &str, base: &[String], head: &[String]) -> String {
    let text = match kind {
        "added" => format!("added {}", head.join(", ")),
        "removed" => format!("removed {}", base.join(", ")),
        "version" => format!("{} → {}", base.join(", "), head.join(", ")),
        _ => "resized".to_string(),
    };
    text.trim_end().to_string()
}

fn level_icon(level: &str) -> &'static str {
    match level {
        "deny" => "⛔",
        "warn" => "⚠️",
        _ => "ℹ️",
    }
}

fn finding_line(f: &Value) -> String {
    let location = match (
        f["location"]["line"].as_u64(),
        f["location"]["column"].as_u64(),
    ) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", f["location"]["path"].as_str().unwrap_or("")),
        (Some(l), None) => format!("{}:{l}", f["location"]["path"].as_str().unwrap_or("")),
        _ => f["location"]["path"].as_str().unwrap_or("").to_string(),
    };
    let mut line = format!(
        "- {} **`{}`** `{}` — {}",
        level_icon(f["level"].as_str().unwrap_or("")),
        f["rule"].as_str().unwrap_or(""),
        location,
        f["message"].as_str().unwrap_or("")
    );
    if let Some(unzipped_bytes) = f["saving"]["unzipped_bytes"].as_u64() {
        let saving = Saving {
            unzipped_bytes,
            zipped_bytes: f["saving"]["zipped_bytes"].as_u64().unwrap_or(0),
            init_ms: serde_json::from_value(f["saving"]["init_ms"].clone()).ok(),
            init_files: serde_json::from_value(f["saving"]["init_files"].clone()).ok(),
        };
        line.push_str(&format!(" · saves {}", super::saving_text(&saving)));
    }
    if let Some(fix) = f["fix"].as_str() {
        line.push_str(&format!("<br>fix: {fix}"));
    }
    line
}

impl Render for Markdown {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let key = self
            .key
            .clone()
            .or_else(|| report.artifacts.first().map(|a| default_key(&a.path)))
            .unwrap_or_else(|| "report".to_string());
        writeln!(out, "{}", marker(&key))?;
        for a in &report.artifacts {
            let verdict = if a.gate.passed { "✅" } else { "❌" };
            let deployed = match a.deployed_as.is_empty() {
                true => String::new(),
                false => format!(" ({})", a.deployed_as.join(", ")),
            };
            writeln!(out, "### {verdict} deadweight: `{}`{deployed}\n", a.path)?;
            if a.lockfile.is_none() {
                writeln!(
                    out,
                    "**{}** zipped{} · **{}** unzipped · {} · {}\n",
                    human_bytes(a.zipped_bytes),
                    if a.zipped_estimated {
                        " (estimated)"
                    } else {
                        ""
                    },
                    human_bytes(a.unzipped_bytes),
                    counted(a.files as u64, "file"),
                    counted(a.packages.len() as u64, "package")
                )?;
            }
            if let Some(why) = &a.init_not_followed {
                writeln!(
                    out,
                    "Init not followed ({why}); `--handler FILE.FUNCTION` names the handler.\n"
                )?;
            }
            if let Some(init) = &a.init {
                let mut estimate = init
                    .estimate_ms
                    .as_ref()
                    .map(|e| format!(" Init {}.", super::estimate_text(e)))
                    .unwrap_or_default();
                if let Some(measured) = &init.measured {
                    estimate.push_str(&format!(" {}.", super::measured_text(measured)));
                }
                writeln!(
                    out,
                    "At init `{}` loads **{}** in {}.{estimate}\n",
                    init.handler,
                    human_bytes(init.loaded_bytes),
                    counted(init.loaded_files as u64, "file")
                )?;
            }
            let findings: Vec<Value> = a
                .findings
                .iter()
                .filter_map(|f| serde_json::to_value(f).ok())
                .collect();
            if findings.is_empty() {
                writeln!(out, "No findings.\n")?;
            } else {
                writeln!(out, "**Findings ({})**\n", findings.len())?;
                for f in &findings {
                    writeln!(out, "{}", finding_line(f))?;
                }
                writeln!(out)?;
            }
            for reason in &a.gate.reasons {
                writeln!(out, "> ❌ {}", cell(reason))?;
            }
            if !a.gate.reasons.is_empty() {
                writeln!(out)?;
            }
            if !a.packages.is_empty() {
                writeln!(out, "<details><summary>Heaviest packages</summary>\n")?;
                writeln!(
                    out,
                    "| package | unzipped | zipped | retained | share |\n|---|---:|---:|---:|---:|"
                )?;
                for p in a.packages.iter().take(25) {
                    writeln!(
                        out,
                        "| `{}@{}` | {} | {} | {} | {} |",
                        cell(&p.name),
                        p.version.as_deref().unwrap_or("?"),
                        human_bytes(p.unzipped_bytes),
                        human_bytes(p.zipped_bytes),
                        p.retained_bytes.map(human_bytes).unwrap_or_default(),
                        percent(p.unzipped_bytes, a.unzipped_bytes)
                    )?;
                }
                writeln!(out, "\n</details>\n")?;
            }
            for bundle in &a.bundles {
                writeln!(
                    out,
                    "<details><summary>Inside <code>{}</code> ({}, read from {})</summary>\n",
                    cell(&bundle.path),
                    human_bytes(bundle.unzipped_bytes),
                    cell(&bundle.read_from.describe(bundle.map.as_deref()))
                )?;
                writeln!(out, "| package | bytes | share |\n|---|---:|---:|")?;
                for p in bundle.packages.iter().take(25) {
                    writeln!(
                        out,
                        "| `{}` | {} | {} |",
                        cell(&p.label()),
                        human_bytes(p.bytes),
                        percent(p.bytes, bundle.unzipped_bytes)
                    )?;
                }
                writeln!(
                    out,
                    "| own code | {} | {} |",
                    human_bytes(bundle.own.bytes),
                    percent(bundle.own.bytes, bundle.unzipped_bytes)
                )?;
                writeln!(out, "\n</details>\n")?;
            }
        }
        Ok(())
    }
}

/// Levels sort worst first in the new-findings list.
fn level_rank(f: &Value) -> u8 {
    match f["level"].as_str() {
        Some("deny") => 0,
        Some("warn") => 1,
        _ => 2,
    }
}

pub fn render_diff(diff: &DiffReport, key: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let key = key
        .map(str::to_string)
        .or_else(|| diff.artifacts.first().map(|a| default_key(&a.path)))
        .unwrap_or_else(|| "diff".to_string());
    writeln!(out, "{}", marker(&key))?;
    for a in &diff.artifacts {
        artifact_diff(a, out)?;
    }
    Ok(())
}

fn artifact_diff(a: &ArtifactDiff, out: &mut dyn Write) -> io::Result<()> {
    let verdict = match a.gate_passed {
        Some(false) => "❌ ",
        Some(true) => "✅ ",
        None => "",
    };
    writeln!(
        out,
        "### {verdict}deadweight: `{}` {} zipped\n",
        a.path,
        delta_text(&a.zipped)
    )?;
    writeln!(out, "| | base | head | change |\n|---|---:|---:|---:|")?;
    let mut rows = vec![("zipped", &a.zipped), ("unzipped", &a.unzipped)];
    if let Some(loaded) = &a.loaded {
        rows.push(("loaded at init", loaded));
    }
    for (label, d) in rows {
        writeln!(
            out,
            "| {label} | {} | {} | {} |",
            human_bytes(d.base),
            human_bytes(d.head),
            delta_text(d)
        )?;
    }
    if let Some(init) = &a.init_ms {
        writeln!(
            out,
            "| init (estimated) | {} | {} | {} |",
            init.base.text(),
            init.head.text(),
            init.change_text()
        )?;
    }
    writeln!(
        out,
        "| files | {} | {} | {} |\n",
        thousands(a.files.base),
        thousands(a.files.head),
        signed_count(a.files.change)
    )?;

    let changes = a.biggest_changes();
    if !changes.is_empty() {
        writeln!(out, "**Biggest changes**\n")?;
        writeln!(
            out,
            "| package | what | unzipped | zipped |\n|---|---|---:|---:|"
        )?;
        for (kind, p) in changes.iter().take(10) {
            let what = change_text(kind, &p.base_versions, &p.head_versions);
            writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                cell(&p.name),
                cell(&what),
                delta_text(&p.unzipped),
                signed(p.zipped.change)
            )?;
        }
        writeln!(out)?;
    }
    if !a.bundled.is_empty() {
        writeln!(out, "**Inside bundles**\n")?;
        writeln!(
            out,
            "| package | bundle | what | bytes |\n|---|---|---|---:|"
        )?;
        for p in a.bundled.iter().take(10) {
            writeln!(
                out,
                "| `{}` | `{}` | {} | {} |",
                cell(&p.name),
                cell(&p.bundle),
                cell(&change_text(p.change, &p.base_versions, &p.head_versions)),
                delta_text(&p.bytes)
            )?;
        }
        writeln!(out)?;
    }
    let mut new: Vec<&Value> = a.new_findings.iter().collect();
    new.sort_by_key(|f| level_rank(f));
    if !new.is_empty() {
        writeln!(out, "**New findings ({})**\n", new.len())?;
        for f in new {
            writeln!(out, "{}", finding_line(f))?;
        }
        writeln!(out)?;
    }
    if !a.fixed_findings.is_empty() {
        writeln!(out, "**Fixed ({})**\n", a.fixed_findings.len())?;
        for f in &a.fixed_findings {
            writeln!(
                out,
                "- ~~`{}`~~ {}",
                f["rule"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("")
            )?;
        }
        writeln!(out)?;
    }
    if changes.len() > 10 {
        writeln!(
            out,
            "<details><summary>All {} package changes</summary>\n",
            changes.len()
        )?;
        writeln!(out, "| package | what | unzipped |\n|---|---|---:|")?;
        for (kind, p) in &changes {
            writeln!(
                out,
                "| `{}` | {kind} | {} |",
                cell(&p.name),
                delta_text(&p.unzipped)
            )?;
        }
        writeln!(out, "\n</details>\n")?;
    }
    if changes.is_empty() && a.new_findings.is_empty() && a.fixed_findings.is_empty() {
        writeln!(out, "No package or finding changed.\n")?;
    }
    Ok(())
}

/// `deadweight logs --format markdown`: the per-function table, then the
/// bins, init reports and slowest imports when there are any.
pub fn render_logs(report: &crate::logs::LogsReport, out: &mut dyn Write) -> io::Result<()> {
    let ms = |p: &Option<crate::logs::Percentiles>, pick| super::logs_ms(p, pick, "–");
    writeln!(out, "### Cold starts from Lambda's REPORT records\n")?;
    writeln!(
        out,
        "| function | memory | invocations | cold starts | cold % | init p50 | init p90 | init p99 | init max | duration p50 | duration p99 | max memory used |"
    )?;
    writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for f in &report.functions {
        let mut cells = super::logs_function_cells(f, "–");
        cells[0] = cell(&cells[0]);
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(
        out,
        "\nTimes in ms; init is Lambda's Init Duration on cold starts."
    )?;
    if !report.bins.is_empty() {
        writeln!(out, "\n**Cold starts over time**\n")?;
        writeln!(
            out,
            "| function | bin start | invocations | cold % | avg duration | avg init |"
        )?;
        writeln!(out, "|---|---|---:|---:|---:|---:|")?;
        for b in &report.bins {
            writeln!(
                out,
                "| {} | {} | {} | {:.1}% | {:.1} | {} |",
                cell(&b.function),
                b.start,
                thousands(b.invocations as u64),
                b.cold_start_pct,
                b.mean_duration_ms,
                b.mean_init_ms
                    .map_or("–".to_string(), |m| format!("{m:.0}"))
            )?;
        }
    }
    if !report.init_reports.is_empty() {
        writeln!(out, "\n**INIT_REPORT records**\n")?;
        writeln!(
            out,
            "| function | phase | status | count | duration p50 | max |"
        )?;
        writeln!(out, "|---|---|---|---:|---:|---:|")?;
        for r in &report.init_reports {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&r.function),
                cell(&r.phase),
                cell(&r.status),
                r.count,
                ms(&r.duration_ms, |p| p.median),
                ms(&r.duration_ms, |p| p.max)
            )?;
        }
    }
    for it in &report.import_times {
        writeln!(
            out,
            "\n**Slowest imports of `{}`** ({} import trees; ms, median)\n",
            it.function, it.trees
        )?;
        writeln!(out, "| module | cumulative | self |\n|---|---:|---:|")?;
        for m in it.modules.iter().take(15) {
            writeln!(
                out,
                "| `{}` | {:.1} | {:.1} |",
                m.name, m.cumulative_ms, m.self_ms
            )?;
        }
    }
    if report.skipped_lines > 0 {
        writeln!(
            out,
            "\n{} lines without a REPORT record skipped.",
            thousands(report.skipped_lines as u64)
        )?;
    }
    Ok(())
}
