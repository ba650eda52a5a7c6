//! `deadweight logs`: cold-start facts from Lambda's own REPORT records —
//! invocations, cold starts, Init Duration and Duration percentiles, memory —
//! per function and memory size. Reads text REPORT lines (as `aws logs tail`
//! or a CloudWatch export prints them), JSON-format `platform.report`
//! records, and `aws logs filter-log-events --output json` documents,
//! plain or gzip-compressed. Also: cold-start share over time in bins (the
//! Serverless Lens's first Logs Insights query), `INIT_REPORT` /
//! `platform.initReport` records (inits that failed or timed out), and
//! `python -X importtime` trees the function printed (PYTHONPROFILEIMPORTTIME).

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
    /// When it was logged, in ms since the epoch, if the line says.
    pub time_ms: Option<i64>,
}

/// What one line holds.
#[derive(Debug, PartialEq)]
pub enum Record {
    Report(Invocation),
    /// `INIT_REPORT` / `platform.initReport`: an init phase on its own.
    InitReport {
        duration_ms: Option<f64>,
        phase: String,
        status: String,
    },
    /// An `import time:` line of `python -X importtime`.
    ImportTime(String),
}

#[derive(Debug, Serialize)]
pub struct LogsReport {
    pub functions: Vec<FunctionStats>,
    /// Cold-start share and mean duration per time bin, per function, when
    /// asked for (`--bin`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bins: Vec<Bin>,
    /// `INIT_REPORT` records by function, phase and status.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_reports: Vec<InitReports>,
    /// Modules by cumulative import time, from `-X importtime` output in
    /// the logs, per function.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import_times: Vec<ImportTimes>,
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
pub struct Bin {
    pub function: String,
    /// The bin's start, ISO 8601 UTC.
    pub start: String,
    pub invocations: usize,
    pub cold_starts: usize,
    pub cold_start_pct: f64,
    pub mean_duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_init_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct InitReports {
    pub function: String,
    pub phase: String,
    pub status: String,
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<Percentiles>,
}

#[derive(Debug, Serialize)]
pub struct ImportTimes {
    pub function: String,
    /// Import trees read (one per cold start that printed one).
    pub trees: usize,
    /// Slowest first; times are medians over the trees that import it.
    pub modules: Vec<ModuleTime>,
    /// The first cold start's import tree, as Python printed it.
    pub tree: Vec<crate::measure::importtime::ImportNode>,
}

#[derive(Debug, Serialize)]
pub struct ModuleTime {
    pub name: String,
    pub cumulative_ms: f64,
    pub self_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    pub min: f64,
    pub median: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Values of one metric: kept exactly up to `EXACT_VALUES`, then folded
/// into buckets 2% wide (relative) read at their midpoint, so memory stays
/// bounded however long the log is while percentiles stay within 1%.
#[derive(Debug, Default)]
struct Samples {
    exact: Vec<f64>,
    /// Bucket index → count, once `exact` overflowed.
    buckets: BTreeMap<i32, u64>,
    count: u64,
    min: f64,
    max: f64,
}

/// Values kept exactly per metric and group before bucketing.
const EXACT_VALUES: usize = 10_000;
/// Bucket growth factor: a bucketed percentile is within 1% of the value.
const GAMMA: f64 = 1.02;

impl Samples {
    fn push(&mut self, value: f64) {
        if self.count == 0 || value < self.min {
            self.min = value;
        }
        if self.count == 0 || value > self.max {
            self.max = value;
        }
        self.count += 1;
        if self.buckets.is_empty() && self.exact.len() < EXACT_VALUES {
            self.exact.push(value);
            return;
        }
        for v in std::mem::take(&mut self.exact) {
            *self.buckets.entry(bucket(v)).or_default() += 1;
        }
        *self.buckets.entry(bucket(value)).or_default() += 1;
    }

    fn percentiles(self) -> Option<Percentiles> {
        if self.count == 0 {
            return None;
        }
        if self.buckets.is_empty() {
            return Percentiles::of(self.exact);
        }
        // nearest rank over the buckets, each read as its midpoint
        let at = |q: f64| -> f64 {
            let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
            let mut seen = 0;
            for (&index, &n) in &self.buckets {
                seen += n;
                if seen >= rank {
                    return bucket_value(index).clamp(self.min, self.max);
                }
            }
            self.max
        };
        Some(Percentiles {
            min: self.min,
            median: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: self.max,
        })
    }
}

fn bucket(value: f64) -> i32 {
    if value <= 0.0 {
        i32::MIN
    } else {
        (value.ln() / GAMMA.ln()).ceil() as i32
    }
}

fn bucket_value(index: i32) -> f64 {
    if index == i32::MIN {
        0.0
    } else {
        2.0 * GAMMA.powi(index) / (GAMMA + 1.0)
    }
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

/// One function's Init Duration as its logs measured it.
#[derive(Clone, Debug, Serialize)]
pub struct MeasuredInit {
    pub function: String,
    pub memory_mb: Option<u64>,
    pub cold_starts: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
}

impl LogsReport {
    /// The cold starts of the function an artifact deploys: the only
    /// function in the logs, or the one named like the artifact (`orders`
    /// for orders.zip); at `memory_mb` when given, else the memory size with
    /// the most cold starts. `Err` says why none fits.
    pub fn measured_for(
        &self,
        artifact: &Path,
        memory_mb: Option<u32>,
    ) -> Result<MeasuredInit, String> {
        let with_cold: Vec<&FunctionStats> = self
            .functions
            .iter()
            .filter(|f| f.init_ms.is_some())
            .collect();
        let mut names: Vec<&str> = with_cold.iter().map(|f| f.name.as_str()).collect();
        names.dedup();
        let stem = artifact
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = match names.as_slice() {
            [] => return Err("the logs hold no cold start (no Init Duration)".to_string()),
            [one] => one.to_string(),
            many if many.contains(&stem.as_str()) => stem,
            many => {
                return Err(format!(
                    "the logs hold cold starts of {}; none is named {stem:?} like the artifact",
                    many.join(", ")
                ))
            }
        };
        let groups = with_cold.iter().filter(|f| f.name == name);
        let chosen = match memory_mb {
            Some(mb) => groups
                .clone()
                .find(|f| f.memory_mb == Some(u64::from(mb)))
                .ok_or_else(|| format!("the logs of {name} hold no cold start at {mb} MB"))?,
            None => groups
                .max_by_key(|f| f.cold_starts)
                .ok_or_else(|| format!("no cold starts of {name}"))?,
        };
        let init = chosen.init_ms.as_ref().ok_or("no Init Duration")?;
        Ok(MeasuredInit {
            function: name,
            memory_mb: chosen.memory_mb,
            cold_starts: chosen.cold_starts,
            median_ms: init.median,
            p90_ms: init.p90,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    // the I/O error is part of the message, not a cause printed again
    #[error("{path}: {error}")]
    Io { path: String, error: io::Error },
    #[error("{path}: no REPORT records in {lines} lines (Lambda writes one per invocation: `REPORT RequestId: …`)")]
    NoReports { path: String, lines: usize },
}

/// What a line must hold to be a record (`parse_line` finds nothing in any
/// other): a REPORT or INIT_REPORT, an import-time line, a JSON platform
/// record.
const MARKERS: [&str; 3] = ["REPORT ", "import time:", "\"platform."];
/// Text logs are read in blocks of this size (plus the line cut at its end).
const BLOCK: usize = 4 << 20;

/// Reads a text log's lines in blocks of `block_size` (`BLOCK`): those that
/// hold a marker are parsed, the rest counted as skipped without being
/// decoded or split — most lines of a log are the function's own. Returns
/// how many lines there were.
fn read_lines(
    reader: &mut dyn BufRead,
    path: &str,
    found: &mut Collector,
    block_size: usize,
) -> io::Result<usize> {
    let finders: Vec<memchr::memmem::Finder> =
        MARKERS.iter().map(memchr::memmem::Finder::new).collect();
    let mut lines = 0;
    let mut block: Vec<u8> = Vec::with_capacity(block_size + (64 << 10));
    loop {
        // fill the block up to its size and a newline (a line longer than a
        // block makes it grow); what follows the last newline waits for the
        // next block, which it starts
        let (mut ended, mut last_newline) = (false, None);
        loop {
            let available = reader.fill_buf()?;
            if available.is_empty() {
                ended = true;
                break;
            }
            let (from, taken) = (block.len(), available.len());
            block.extend_from_slice(available);
            reader.consume(taken);
            if let Some(at) = memchr::memrchr(b'\n', &block[from..]) {
                last_newline = Some(from + at);
            }
            if block.len() >= block_size && last_newline.is_some() {
                break;
            }
        }
        let complete = match last_newline {
            Some(at) if !ended => at + 1,
            _ => block.len(),
        };
        lines += records_in(&block[..complete], lines, &finders, path, found);
        block.drain(..complete);
        if ended {
            return Ok(lines);
        }
    }
}

/// The lines of `text` (whole lines; the last may lack its newline) after
/// `before` lines: parses those holding a marker, in order. Returns the
/// number of lines.
fn records_in(
    text: &[u8],
    before: usize,
    finders: &[memchr::memmem::Finder],
    path: &str,
    found: &mut Collector,
) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut starts: Vec<usize> = finders
        .iter()
        .flat_map(|finder| finder.find_iter(text))
        .map(|at| memchr::memrchr(b'\n', &text[..at]).map_or(0, |n| n + 1))
        .collect();
    starts.sort_unstable();
    starts.dedup();
    // lines before `counted_to`, counted on from one start to the next
    let (mut counted_to, mut passed) = (0, before);
    for &start in &starts {
        passed += memchr::memchr_iter(b'\n', &text[counted_to..start]).count();
        counted_to = start;
        let number = passed + 1;
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |n| start + n);
        let line = crate::artifact::decode_text(&text[start..end]);
        found.take(path, &|| format!("line {number}"), &line, None, None);
    }
    let total = memchr::memchr_iter(b'\n', text).count() + usize::from(!text.ends_with(b"\n"));
    found.skipped += total - starts.len();
    total
}

/// Reads every file; records are grouped by the function the log group
/// names, else as `unknown`. `bin_seconds` asks for time bins.
pub fn read(paths: &[&Path], bin_seconds: Option<u64>) -> Result<LogsReport, LogsError> {
    let mut found = Collector {
        bin_ms: bin_seconds.map(|w| (w.max(1) * 1000) as i64),
        ..Collector::default()
    };
    for path in paths {
        let shown = path.display().to_string();
        let io_error = |error| LogsError::Io {
            path: shown.clone(),
            error,
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
        let before = found.records();
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
                            &|| format!("event {lines}"),
                            message,
                            group_name(event),
                            event["timestamp"].as_i64(),
                        );
                    }
                }
                None => {
                    for line in text.lines() {
                        lines += 1;
                        found.take(&shown, &|| format!("line {lines}"), line, None, None);
                    }
                }
            }
        } else {
            lines = read_lines(&mut reader, &shown, &mut found, BLOCK).map_err(io_error)?;
        }
        if found.records() == before {
            return Err(LogsError::NoReports { path: shown, lines });
        }
    }
    if found.untimed > 0 {
        found.warnings.push(Warning::general(format!(
            "{} REPORT records carry no timestamp and are left out of the bins",
            found.untimed
        )));
    }
    let bins = found
        .bins
        .into_iter()
        .map(|((function, start), b)| Bin {
            function,
            start: iso_text(start),
            invocations: b.invocations,
            cold_starts: b.cold_starts,
            cold_start_pct: b.cold_starts as f64 * 100.0 / b.invocations as f64,
            mean_duration_ms: b.duration_sum / b.invocations as f64,
            mean_init_ms: (b.cold_starts > 0).then(|| b.init_sum / b.cold_starts as f64),
        })
        .collect();
    let init_reports = found
        .init_reports
        .into_iter()
        .map(|((function, phase, status), durations)| InitReports {
            function,
            phase,
            status,
            count: durations.len(),
            duration_ms: Percentiles::of(durations.into_iter().flatten().collect()),
        })
        .collect();
    let import_times = found
        .import_lines
        .into_iter()
        .filter_map(|(function, text)| import_times(function, &text))
        .collect();
    let functions = found
        .groups
        .into_iter()
        .map(|((name, memory_mb), group)| FunctionStats {
            name,
            memory_mb,
            invocations: group.invocations,
            cold_starts: group.init.count as usize,
            cold_start_pct: group.init.count as f64 * 100.0 / group.invocations as f64,
            init_ms: group.init.percentiles(),
            duration_ms: group.duration.percentiles(),
            restore_ms: group.restore.percentiles(),
            max_memory_used_mb: group.max_memory_used_mb,
        })
        .collect();
    Ok(LogsReport {
        functions,
        bins,
        init_reports,
        import_times,
        skipped_lines: found.skipped,
        warnings: found.warnings,
    })
}

/// One function at one memory size, summed as records arrive.
#[derive(Default)]
struct Group {
    invocations: usize,
    init: Samples,
    duration: Samples,
    restore: Samples,
    max_memory_used_mb: Option<u64>,
}

/// One function's records in one time bin.
#[derive(Default)]
struct BinSums {
    invocations: usize,
    cold_starts: usize,
    duration_sum: f64,
    init_sum: f64,
}

/// REPORT records by function and memory size, and what was skipped: sums
/// and bounded samples, so memory does not grow with the log.
#[derive(Default)]
struct Collector {
    groups: BTreeMap<(String, Option<u64>), Group>,
    /// Bin width in ms, when bins were asked for.
    bin_ms: Option<i64>,
    bins: BTreeMap<(String, i64), BinSums>,
    untimed: usize,
    /// (function, phase, status) → durations.
    init_reports: BTreeMap<(String, String, String), Vec<Option<f64>>>,
    /// `import time:` lines by function.
    import_lines: BTreeMap<String, String>,
    skipped: usize,
    warnings: Vec<Warning>,
}

impl Collector {
    /// One line or event of `path`; `position` (`line N`) starts its
    /// warning; `time_ms` is the event's own timestamp when it has one.
    fn take(
        &mut self,
        path: &str,
        position: &dyn Fn() -> String,
        text: &str,
        function: Option<String>,
        time_ms: Option<i64>,
    ) {
        let function = || function.clone().unwrap_or_else(|| "unknown".to_string());
        match parse_line(text) {
            Ok(Some(Record::Report(invocation))) => {
                let name = function();
                if let Some(width) = self.bin_ms {
                    match invocation.time_ms.or(time_ms) {
                        Some(time) => {
                            let bin = self
                                .bins
                                .entry((name.clone(), time.div_euclid(width) * width))
                                .or_default();
                            bin.invocations += 1;
                            bin.duration_sum += invocation.duration_ms;
                            if let Some(init) = invocation.init_ms {
                                bin.cold_starts += 1;
                                bin.init_sum += init;
                            }
                        }
                        None => self.untimed += 1,
                    }
                }
                let group = self.groups.entry((name, invocation.memory_mb)).or_default();
                group.invocations += 1;
                group.duration.push(invocation.duration_ms);
                if let Some(init) = invocation.init_ms {
                    group.init.push(init);
                }
                if let Some(restore) = invocation.restore_ms {
                    group.restore.push(restore);
                }
                group.max_memory_used_mb =
                    group.max_memory_used_mb.max(invocation.max_memory_used_mb);
            }
            Ok(Some(Record::InitReport {
                duration_ms,
                phase,
                status,
            })) => self
                .init_reports
                .entry((function(), phase, status))
                .or_default()
                .push(duration_ms),
            Ok(Some(Record::ImportTime(line))) => {
                let lines = self.import_lines.entry(function()).or_default();
                lines.push_str(&line);
                lines.push('\n');
            }
            Ok(None) => self.skipped += 1,
            Err(reason) => {
                self.skipped += 1;
                self.warnings
                    .push(Warning::at(path, format!("{}: {reason}", position())));
            }
        }
    }

    /// Records read so far, of any kind.
    fn records(&self) -> usize {
        self.groups.values().map(|g| g.invocations).sum::<usize>()
            + self.init_reports.values().map(Vec::len).sum::<usize>()
            + self
                .import_lines
                .values()
                .map(|l| l.lines().count())
                .sum::<usize>()
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

/// `Ok(None)`: a line that holds no record deadweight reads. `Err`: a
/// record whose numbers do not read.
pub fn parse_line(line: &str) -> Result<Option<Record>, String> {
    let line = line.trim();
    if line.starts_with('{') && line.contains("\"platform.") {
        return parse_json_record(line);
    }
    // one search finds both REPORT and INIT_REPORT; most lines have neither
    let Some(report) = line.find("REPORT ") else {
        return Ok(line
            .find("import time:")
            .map(|at| Record::ImportTime(line[at..].to_string())));
    };
    if line[..report].ends_with("INIT_") {
        let fields = fields(&line[report + "REPORT ".len()..]);
        let text = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        let duration_ms = match text("Init Duration") {
            Some(v) => Some(number(&v, "Init Duration")?),
            None => None,
        };
        return Ok(Some(Record::InitReport {
            duration_ms,
            phase: text("Phase").unwrap_or_else(|| "init".to_string()),
            status: text("Status").unwrap_or_else(|| "unknown".to_string()),
        }));
    }
    if !line[report..].starts_with("REPORT RequestId:") {
        return Ok(None);
    }
    let at = report;
    let time_ms = line.split_whitespace().next().and_then(iso_ms);
    let mut invocation = Invocation {
        time_ms,
        ..Invocation::default()
    };
    let mut duration = None;
    for (name, value) in fields(&line[at..]) {
        match name {
            "Duration" => duration = Some(number(value, name)?),
            "Memory Size" => invocation.memory_mb = Some(number(value, name)? as u64),
            "Max Memory Used" => invocation.max_memory_used_mb = Some(number(value, name)? as u64),
            "Init Duration" => invocation.init_ms = Some(number(value, name)?),
            "Restore Duration" => invocation.restore_ms = Some(number(value, name)?),
            _ => {}
        }
    }
    invocation.duration_ms = duration.ok_or("a REPORT line without Duration")?;
    Ok(Some(Record::Report(invocation)))
}

/// Tab-separated `Name: value unit` fields, names exact (`Billed Restore
/// Duration` is not `Restore Duration`).
fn fields(text: &str) -> Vec<(&str, &str)> {
    text.split('\t')
        .filter_map(|field| field.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect()
}

fn number(value: &str, name: &str) -> Result<f64, String> {
    value
        .split_whitespace()
        .next()
        .unwrap_or("")
        .parse::<f64>()
        .map_err(|_| format!("`{value}` is not a number of {name}"))
}

fn parse_json_record(line: &str) -> Result<Option<Record>, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let record = &value["record"];
    let metrics = &record["metrics"];
    let number = |key: &str| metrics[key].as_f64();
    match value["type"].as_str() {
        Some("platform.report") => Ok(Some(Record::Report(Invocation {
            duration_ms: number("durationMs")
                .ok_or("a platform.report record without durationMs")?,
            memory_mb: number("memorySizeMB").map(|v| v as u64),
            max_memory_used_mb: number("maxMemoryUsedMB").map(|v| v as u64),
            init_ms: number("initDurationMs"),
            restore_ms: number("restoreDurationMs"),
            time_ms: value["time"].as_str().and_then(iso_ms),
        }))),
        Some("platform.initReport") => Ok(Some(Record::InitReport {
            duration_ms: number("durationMs"),
            phase: record["phase"].as_str().unwrap_or("init").to_string(),
            status: record["status"].as_str().unwrap_or("unknown").to_string(),
        })),
        _ => Ok(None),
    }
}

/// `2024-02-01T12:00:00.123Z`, `…+00:00`, `… 12:00:00` → ms since the epoch.
fn iso_ms(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b' ')
    {
        return None;
    }
    let field = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let seconds = crate::artifact::unix_seconds(
        i64::from(field(0..4)?),
        field(5..7)?,
        field(8..10)?,
        field(11..13)?,
        field(14..16)?,
        field(17..19)?,
    );
    let mut rest = &text[19..];
    let mut millis = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits: String = fraction.chars().take_while(char::is_ascii_digit).collect();
        millis = format!("{:0<3}", &digits[..digits.len().min(3)])
            .parse()
            .ok()?;
        rest = &fraction[digits.len()..];
    }
    let offset = match rest {
        "" | "Z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = digits.get(0..2)?.parse().ok()?;
            let minutes: i64 = digits.get(2..4).unwrap_or("0").parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    Some((seconds - offset) * 1000 + millis)
}

/// ms since the epoch → `2024-02-01T12:05:00Z`.
fn iso_text(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // civil from days (proleptic Gregorian)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `5m`, `30s`, `1h`, `1d`, or plain seconds.
pub fn parse_bin(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("bin {text:?}: expected a length such as 5m, 30s, 1h"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("bin {text:?}: units are s, m, h, d")),
    };
    if n == 0 {
        return Err("bin length must be more than 0".to_string());
    }
    Ok(n * scale)
}

/// The modules of every import tree one function printed, by median
/// cumulative time.
fn import_times(function: String, text: &str) -> Option<ImportTimes> {
    let roots = crate::measure::importtime::parse(text);
    if roots.is_empty() {
        return None;
    }
    // each cold start prints its trees again: a root seen twice starts a new one
    let mut trees = 1;
    let mut seen = std::collections::HashSet::new();
    let mut times: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    fn walk(
        node: &crate::measure::importtime::ImportNode,
        times: &mut BTreeMap<String, (Vec<f64>, Vec<f64>)>,
    ) {
        let entry = times.entry(node.name.clone()).or_default();
        entry.0.push(node.cumulative_us / 1000.0);
        entry.1.push(node.self_us / 1000.0);
        for child in &node.children {
            walk(child, times);
        }
    }
    let mut first = Vec::new();
    for root in &roots {
        if !seen.insert(root.name.clone()) {
            trees += 1;
            seen.clear();
            seen.insert(root.name.clone());
        }
        if trees == 1 {
            first.push(root.clone());
        }
        walk(root, &mut times);
    }
    let mut modules: Vec<ModuleTime> = times
        .into_iter()
        .map(|(name, (mut cumulative, mut own))| {
            cumulative.sort_by(f64::total_cmp);
            own.sort_by(f64::total_cmp);
            ModuleTime {
                name,
                cumulative_ms: median(&cumulative),
                self_ms: median(&own),
            }
        })
        .collect();
    modules.sort_by(|a, b| {
        b.cumulative_ms
            .total_cmp(&a.cumulative_ms)
            .then(a.name.cmp(&b.name))
    });
    modules.truncate(50);
    Some(ImportTimes {
        function,
        trees,
        modules,
        tree: first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(line: &str) -> Invocation {
        match parse_line(line).unwrap() {
            Some(Record::Report(invocation)) => invocation,
            other => panic!("not a REPORT record: {other:?}"),
        }
    }

    #[test]
    fn lines_read_in_blocks_are_the_lines_read_one_by_one() {
        let lines = [
            "2026-11-20T10:00:00.000Z START RequestId: a Version: $LATEST",
            "2026-11-20T10:00:00.100Z REPORT RequestId: a\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\tInit Duration: 300.00 ms\t",
            "",
            "a line longer than the small blocks below, and nothing in it but words and words and words",
            "REPORT RequestId: b\tDuration: slow ms\t",
            "INIT_REPORT Init Duration: 9999.99 ms\tPhase: init\tStatus: timeout\r",
            "import time:       120 |        450 | json",
            "{\"time\":\"2026-11-20T10:00:01Z\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"c\",\"metrics\":{\"durationMs\":7.5,\"billedDurationMs\":8,\"memorySizeMB\":512,\"maxMemoryUsedMB\":90}}}",
            "REPORT RequestId: d\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\tMax Memory Used: 81 MB\t REPORT twice on a line",
            "REPORT RequestId: e\tDuration: nope ms\t",
        ];
        let summary = |found: &Collector| {
            let messages: Vec<String> = found.warnings.iter().map(|w| w.message.clone()).collect();
            (found.records(), found.skipped, messages)
        };
        for ending in ["", "\n"] {
            let text = lines.join("\n") + ending;
            let mut expected = Collector::default();
            for (n, line) in text.lines().enumerate() {
                expected.take("log", &|| format!("line {}", n + 1), line, None, None);
            }
            for block_size in [1, 7, 64, 200, 1 << 20] {
                let mut found = Collector::default();
                let mut reader = io::BufReader::with_capacity(16, text.as_bytes());
                let count = read_lines(&mut reader, "log", &mut found, block_size).unwrap();
                assert_eq!(count, lines.len(), "block of {block_size}");
                assert_eq!(summary(&found), summary(&expected), "block of {block_size}");
            }
        }
        let (records, skipped, warnings) = {
            let mut found = Collector::default();
            read_lines(&mut lines.join("\n").as_bytes(), "log", &mut found, BLOCK).unwrap();
            summary(&found)
        };
        assert_eq!((records, skipped), (5, 5));
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].starts_with("line 5: ") && warnings[1].starts_with("line 10: "));
    }

    #[test]
    fn text_report_lines_with_and_without_init() {
        let cold = "REPORT RequestId: 3f5e0f6e-1111-2222-3333-444455556666\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB\tInit Duration: 412.96 ms\t\nXRAY TraceId: 1-abc\tSegmentId: def\tSampled: true";
        let r = report(cold);
        assert_eq!(r.duration_ms, 102.25);
        assert_eq!(r.init_ms, Some(412.96));
        assert_eq!(r.memory_mb, Some(512));
        assert_eq!(r.max_memory_used_mb, Some(87));
        assert_eq!(r.time_ms, None);
        let warm = "2026-11-20T10:00:00.250Z REPORT RequestId: x\tDuration: 3.10 ms\tBilled Duration: 4 ms\tMemory Size: 512 MB\tMax Memory Used: 88 MB\t";
        let warm = report(warm);
        assert_eq!(warm.init_ms, None);
        assert_eq!(warm.time_ms, Some(1_795_168_800_250));
        // `Billed Restore Duration` must not be read as `Restore Duration`
        let snap = "REPORT RequestId: y\tDuration: 20.00 ms\tBilled Duration: 21 ms\tMemory Size: 1024 MB\tMax Memory Used: 150 MB\tRestore Duration: 310.50 ms\tBilled Restore Duration: 120 ms\t";
        assert_eq!(report(snap).restore_ms, Some(310.5));
        assert!(parse_line("START RequestId: x Version: $LATEST")
            .unwrap()
            .is_none());
        assert!(parse_line("REPORT RequestId: z\tDuration: fast ms\t").is_err());
    }

    #[test]
    fn json_platform_report_records() {
        let line = r#"{"time":"2026-11-20T10:00:00.000Z","type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":12.5,"billedDurationMs":13,"memorySizeMB":256,"maxMemoryUsedMB":70,"initDurationMs":230.1},"status":"success"}}"#;
        let r = report(line);
        assert_eq!(r.init_ms, Some(230.1));
        assert_eq!(r.memory_mb, Some(256));
        assert_eq!(r.time_ms, Some(1_795_168_800_000));
    }

    #[test]
    fn init_reports_in_text_and_json() {
        let text = "INIT_REPORT Init Duration: 10001.07 ms\tPhase: init\tStatus: timeout";
        assert_eq!(
            parse_line(text).unwrap(),
            Some(Record::InitReport {
                duration_ms: Some(10001.07),
                phase: "init".into(),
                status: "timeout".into()
            })
        );
        let json = r#"{"time":"2026-11-20T10:00:00.000Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"error","metrics":{"durationMs":88.2}}}"#;
        assert_eq!(
            parse_line(json).unwrap(),
            Some(Record::InitReport {
                duration_ms: Some(88.2),
                phase: "init".into(),
                status: "error".into()
            })
        );
    }

    #[test]
    fn long_logs_keep_bounded_samples_within_one_percent() {
        let mut samples = Samples::default();
        for v in 1..=200_000 {
            samples.push(f64::from(v));
        }
        assert!(samples.exact.is_empty() && samples.buckets.len() < 700);
        let p = samples.percentiles().unwrap();
        assert_eq!((p.min, p.max), (1.0, 200_000.0));
        for (got, want) in [
            (p.median, 100_000.0),
            (p.p90, 180_000.0),
            (p.p99, 198_000.0),
        ] {
            assert!((got - want).abs() / want < 0.01, "{got} vs {want}");
        }
        // short logs stay exact
        let mut few = Samples::default();
        for v in [3.0, 1.0, 2.0, 10.0] {
            few.push(v);
        }
        assert_eq!(few.percentiles().unwrap().median, 2.5);
    }

    #[test]
    fn timestamps_and_bins() {
        assert_eq!(iso_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(
            iso_ms("2026-11-20T12:00:00.5+02:00"),
            iso_ms("2026-11-20T10:00:00.500Z")
        );
        assert_eq!(
            iso_ms("2026-11-20T10:00:00.123456+00:00"),
            Some(1_795_168_800_123)
        );
        assert_eq!(iso_ms("REPORT"), None);
        assert_eq!(iso_text(1_795_168_800_123), "2026-11-20T10:00:00Z");
        assert_eq!(iso_text(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(parse_bin("5m"), Ok(300));
        assert_eq!(parse_bin("90"), Ok(90));
        assert!(parse_bin("5 parsecs").is_err());
        assert!(parse_bin("0m").is_err());
    }
}
