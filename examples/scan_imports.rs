//! Import-scanning throughput: `cargo run --release --example scan_imports -- FILE…`
//! parses each JavaScript/TypeScript/Python file with deadweight's scanner
//! (all files in parallel, as `audit` does) and prints MB/s.

use std::time::Instant;

use deadweight::imports::{language_of, scan_source};
use rayon::prelude::*;

fn main() {
    let files: Vec<(String, String)> = std::env::args()
        .skip(1)
        .filter(|p| language_of(p).is_some())
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let mut best = f64::MAX;
    let mut imports = 0;
    for _ in 0..5 {
        let start = Instant::now();
        imports = files
            .par_iter()
            .map(|(path, text)| {
                let language = language_of(path).unwrap();
                scan_source(path, text, language)
                    .map(|f| f.imports.len())
                    .unwrap_or(0)
            })
            .sum::<usize>();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{}, {:.1} MB, {imports} imports: {:.1} ms, {:.0} MB/s",
        deadweight::units::counted(files.len() as u64, "file"),
        bytes as f64 / 1e6,
        best * 1e3,
        bytes as f64 / 1e6 / best
    );
}
