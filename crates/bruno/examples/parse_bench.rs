//! Parse throughput of `algogate-bruno` over every `.bru` file under the given directories.
//!
//! ```text
//! cargo run --release -p algogate-bruno --example parse_bench -- DIR...
//! ```
//!
//! Mirrors `crates/bruno/bench/official.mjs` (the npm parser) exactly: the same file walk,
//! the same mode per path (collection.bru/folder.bru → collection, files in `environments/`
//! → environment, else request, with the strict official grammar), files the parser
//! rejects are left out (and counted), a warm-up, then `ROUNDS` rounds of at least
//! `BENCH_SECONDS / ROUNDS` seconds each. Prints one line with the best and median MB/s
//! (1 MB = 10^6 bytes of `.bru` text).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "node_modules" {
                walk(&e.path(), out);
            }
        } else if kind.is_file() && name.ends_with(".bru") {
            out.push(e.path());
        }
    }
}

type Parser = fn(&str) -> Result<serde_json::Value, algogate_bruno::ParseError>;

fn parser_for(path: &Path) -> Parser {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if name == "collection.bru" || name == "folder.bru" {
        algogate_bruno::parse_collection
    } else if parent == "environments" {
        algogate_bruno::parse_environment
    } else {
        algogate_bruno::parse_request
    }
}

fn pass(files: &[(String, Parser)]) -> usize {
    let mut bytes = 0;
    for (text, parse) in files {
        bytes += text.len();
        black_box(parse(black_box(text)).ok());
    }
    bytes
}

fn main() {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: parse_bench DIR...");
        std::process::exit(2);
    }
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let mut paths = Vec::new();
    for d in &dirs {
        walk(Path::new(d), &mut paths);
    }
    let mut files = Vec::new();
    let mut rejected = 0;
    for p in &paths {
        let Ok(text) = std::fs::read_to_string(p) else {
            rejected += 1;
            continue;
        };
        let parse = parser_for(p);
        if parse(&text).is_ok() {
            files.push((text, parse));
        } else {
            rejected += 1;
        }
    }
    let total: usize = files.iter().map(|(t, _)| t.len()).sum();
    if total == 0 {
        eprintln!("no parsable .bru files");
        std::process::exit(1);
    }
    let round = Duration::from_secs_f64(seconds / ROUNDS as f64);
    let warm = Instant::now();
    while warm.elapsed() < round {
        pass(&files);
    }
    let mut rates = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut bytes = 0;
        while start.elapsed() < round {
            bytes += pass(&files);
        }
        rates.push(bytes as f64 / start.elapsed().as_secs_f64() / 1e6);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "algogate-bruno: {} files ({} rejected), {} bytes, best {:.2} MB/s, median {:.2} MB/s",
        files.len(),
        rejected,
        total,
        rates[ROUNDS - 1],
        rates[ROUNDS / 2]
    );
}
