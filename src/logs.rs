//! `deadweight logs`: cold-start facts from Lambda's own REPORT records —
//! invocations, cold starts, Init Duration and Duration percentiles, memory —
//! per function and memory size. Reads text REPORT lines (as `aws logs tail`
//! or a CloudWatch export prints them), JSON-format `platform.report`
//! records, and `aws logs filter-log-events --output json` documents,
//! plain or gzip-compressed.

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::path::Path;

use serde::Serialize;

use crate::artifact::Warning;
use crate::units::{median, percentile};

/// One REPORT record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Invocation {
    pub duration_ms: f64,
    pub memory_mb: Option<u64>,
    pub max_memory_used_mb: Option<u64>,
    /// Present on cold starts only.
    pub init_ms: Option<f64>,
    /// SnapStart restores.
    pub restore_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct LogsReport {
    pub functions: Vec<FunctionStats>,
    /// Lines that hold no REPORT record.
    pub skipped_lines: usize,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize)]
pub struct FunctionStats {
    /// The function's name when the logs say it, else `unknown`.
    pub name: String,
    pub memory_mb: Option<u64>,
    pub invocations: usize,
    pub cold_starts: usize,
    pub cold_start_pct: f64,
    pub init_ms: Option<Percentiles>,
    pub duration_ms: Option<Percentiles>,
    pub restore_ms: Option<Percentiles>,
    pub max_memory_used_mb: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    pub min: f64,
    pub median: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    fn of(mut values: Vec<f64>) -> Option<Percentiles> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(Percentiles {
            min: values[0],
            median: median(&values),
            p90: percentile(&values, 0.9),
            p99: percentile(&values, 0.99),
            max: values[values.len() - 1],
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: no REPORT records in {lines} lines (Lambda writes one per invocation: `REPORT RequestId: …`)")]
    NoReports { path: String, lines: usize },
}

/// Reads every file; `name` groups records when a file does not say which
/// function wrote them.
pub fn read(paths: &[&Path]) -> Result<LogsReport, LogsError> {
    let mut found = Collector::default();
    for path in paths {
        let shown = path.display().to_string();
        let io_error = |source| LogsError::Io {
            path: shown.clone(),
            source,
        };
        let mut file = io::BufReader::new(std::fs::File::open(path).map_err(io_error)?);
        // CloudWatch exports to S3 are gzip files
        let gzip = file
            .fill_buf()
            .map_err(io_error)?
            .starts_with(&[0x1f, 0x8b]);
        let mut reader: Box<dyn BufRead> = if gzip {
            Box::new(io::BufReader::new(flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        let before = found.invocations();
        let mut lines = 0;
        if reader.fill_buf().map_err(io_error)?.starts_with(b"{") {
            // a filter-log-events document, or JSON-format log lines
            let text = io::read_to_string(reader).map_err(io_error)?;
            let document = serde_json::from_str::<serde_json::Value>(&text).ok();
            match document.as_ref().and_then(|d| d["events"].as_array()) {
                Some(events) => {
                    for event in events {
                        lines += 1;
                        let message = event["message"].as_str().unwrap_or("");
                        found.take(
                            &shown,
                            &format!("event {lines}"),
                            message,
                            group_name(event),
                        );
                    }
                }
                None => {
                    for line in text.lines() {
                        lines += 1;
                        found.take(&shown, &format!("line {lines}"), line, None);
                    }
                }
            }
        } else {
            for line in reader.split(b'\n') {
                let line = line.map_err(io_error)?;
                lines += 1;
                let text = String::from_utf8_lossy(&line);
                found.take(&shown, &format!("line {lines}"), &text, None);
            }
        }
        if found.invocations() == before {
            return Err(LogsError::NoReports { path: shown, lines });
        }
    }
    let functions = found
        .groups
        .into_iter()
        .map(|((name, memory_mb), invocations)| {
            let cold: Vec<f64> = invocations.iter().filter_map(|i| i.init_ms).collect();
            let restores: Vec<f64> = invocations.iter().filter_map(|i| i.restore_ms).collect();
            FunctionStats {
                name,
                memory_mb,
                invocations: invocations.len(),
                cold_starts: cold.len(),
                cold_start_pct: cold.len() as f64 * 100.0 / invocations.len() as f64,
                init_ms: Percentiles::of(cold),
                duration_ms: Percentiles::of(invocations.iter().map(|i| i.duration_ms).collect()),
                restore_ms: Percentiles::of(restores),
                max_memory_used_mb: invocations
                    .iter()
                    .filter_map(|i| i.max_memory_used_mb)
                    .max(),
            }
        })
        .collect();
    Ok(LogsReport {
        functions,
        skipped_lines: found.skipped,
        warnings: found.warnings,
    })
}

/// REPORT records by function and memory size, and what was skipped.
#[derive(Default)]
struct Collector {
    groups: BTreeMap<(String, Option<u64>), Vec<Invocation>>,
    skipped: usize,
    warnings: Vec<Warning>,
}

impl Collector {
    /// One line or event of `path`; `position` (`line N`) starts its warning.
    fn take(&mut self, path: &str, position: &str, text: &str, function: Option<String>) {
        match parse_line(text) {
            Ok(Some(invocation)) => {
                let function = function.unwrap_or_else(|| "unknown".to_string());
                self.groups
                    .entry((function, invocation.memory_mb))
                    .or_default()
                    .push(invocation);
            }
            Ok(None) => self.skipped += 1,
            Err(reason) => {
                self.skipped += 1;
                self.warnings
                    .push(Warning::at(path, format!("{position}: {reason}")));
            }
        }
    }

    fn invocations(&self) -> usize {
        self.groups.values().map(Vec::len).sum()
    }
}

/// The function of a filter-log-events event, from its log group when the
/// export carries it.
fn group_name(event: &serde_json::Value) -> Option<String> {
    event["logGroupName"]
        .as_str()
        .and_then(|group| group.strip_prefix("/aws/lambda/"))
        .map(str::to_string)
}

/// `Ok(None)`: not a REPORT record. `Err`: one whose numbers do not read.
pub fn parse_line(line: &str) -> Result<Option<Invocation>, String> {
    let line = line.trim();
    if line.starts_with('{') && line.contains("platform.report") {
        return parse_json_record(line);
    }
    let Some(at) = line.find("REPORT RequestId:") else {
        return Ok(None);
    };
    let mut invocation = Invocation::default();
    let mut duration = None;
    // fields are tab-separated: `Duration: 12.34 ms`, `Memory Size: 128 MB`
    for field in line[at..].split('\t') {
        let Some((name, value)) = field.split_once(':') else {
            continue;
        };
        let number = || {
            value
                .split_whitespace()
                .next()
                .unwrap_or("")
                .parse::<f64>()
                .map_err(|_| format!("`{}` is not a number of {}", value.trim(), name.trim()))
        };
        match name.trim() {
            "Duration" => duration = Some(number()?),
            "Memory Size" => invocation.memory_mb = Some(number()? as u64),
            "Max Memory Used" => invocation.max_memory_used_mb = Some(number()? as u64),
            "Init Duration" => invocation.init_ms = Some(number()?),
            "Restore Duration" => invocation.restore_ms = Some(number()?),
            _ => {}
        }
    }
    invocation.duration_ms = duration.ok_or("a REPORT line without Duration")?;
    Ok(Some(invocation))
}

fn parse_json_record(line: &str) -> Result<Option<Invocation>, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    if value["type"] != "platform.report" {
        return Ok(None);
    }
    let metrics = &value["record"]["metrics"];
    let number = |key: &str| metrics[key].as_f64();
    Ok(Some(Invocation {
        duration_ms: number("durationMs").ok_or("a platform.report record without durationMs")?,
        memory_mb: number("memorySizeMB").map(|v| v as u64),
        max_memory_used_mb: number("maxMemoryUsedMB").map(|v| v as u64),
        init_ms: number("initDurationMs"),
        restore_ms: number("restoreDurationMs"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_report_lines_with_and_without_init() {
        let cold = "REPORT RequestId: 3f5e0f6e-1111-2222-3333-444455556666\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB\tInit Duration: 412.96 ms\t\nXRAY TraceId: 1-abc\tSegmentId: def\tSampled: true";
        let r = parse_line(cold).unwrap().unwrap();
        assert_eq!(r.duration_ms, 102.25);
        assert_eq!(r.init_ms, Some(412.96));
        assert_eq!(r.memory_mb, Some(512));
        assert_eq!(r.max_memory_used_mb, Some(87));
        let warm = "2026-11-20T10:00:00.000Z REPORT RequestId: x\tDuration: 3.10 ms\tBilled Duration: 4 ms\tMemory Size: 512 MB\tMax Memory Used: 88 MB\t";
        assert_eq!(parse_line(warm).unwrap().unwrap().init_ms, None);
        // `Billed Restore Duration` must not be read as `Restore Duration`
        let snap = "REPORT RequestId: y\tDuration: 20.00 ms\tBilled Duration: 21 ms\tMemory Size: 1024 MB\tMax Memory Used: 150 MB\tRestore Duration: 310.50 ms\tBilled Restore Duration: 120 ms\t";
        assert_eq!(parse_line(snap).unwrap().unwrap().restore_ms, Some(310.5));
        assert!(parse_line("START RequestId: x Version: $LATEST")
            .unwrap()
            .is_none());
        assert!(parse_line("REPORT RequestId: z\tDuration: fast ms\t").is_err());
    }

    #[test]
    fn json_platform_report_records() {
        let line = r#"{"time":"2026-11-20T10:00:00.000Z","type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":12.5,"billedDurationMs":13,"memorySizeMB":256,"maxMemoryUsedMB":70,"initDurationMs":230.1},"status":"success"}}"#;
        let r = parse_line(line).unwrap().unwrap();
        assert_eq!(r.init_ms, Some(230.1));
        assert_eq!(r.memory_mb, Some(256));
    }
}
