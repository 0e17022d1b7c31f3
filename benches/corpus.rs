//! Corpus benchmark: the full check against a bare quick-xml tokenize of the same files.
//!
//! `cargo bench --bench corpus -- [PATH] [RUNS]` (default `../shared/corpus`, 5 runs). Prints
//! files, bytes, wall time, MB/s, peak RSS, and the ratio check / tokenize (target ≤ 1.3), and
//! the speedup of two threads over one.

use rayon::prelude::*;
use sfpolicy::model::discover;
use sfpolicy::pipeline;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Read every file and run quick-xml's reader to the end: the floor any parser pays.
fn tokenize(paths: &[PathBuf]) -> usize {
    paths
        .par_iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            let mut reader = quick_xml::Reader::from_str(&text);
            let mut events = 0usize;
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                    Ok(_) => events += 1,
                }
            }
            events
        })
        .sum()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The median and the range, as text.
fn median_f64(mut values: Vec<f64>) -> String {
    values.sort_by(f64::total_cmp);
    format!(
        "{:.2}x (runs {:.2}-{:.2})",
        values[values.len() / 2],
        values[0],
        values[values.len() - 1]
    )
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let path = PathBuf::from(args.first().map_or("../shared/corpus", String::as_str));
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let options = pipeline::Options {
        paths: vec![path.clone()],
        no_forceignore: true,
        ..pipeline::Options::default()
    };

    let root = discover::find_root(&path);
    let project = discover::discover(
        &root,
        &discover::Options {
            no_forceignore: true,
            ..discover::Options::default()
        },
    );
    let paths: Vec<PathBuf> = project.files.iter().map(|f| f.path.clone()).collect();
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();

    // Warm the page cache so both sides read from memory.
    tokenize(&paths);
    // The check and the tokenize alternate, run by run, so that a machine slowing down or
    // speeding up (shared cores) weighs on both sides of the ratio alike.
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let (mut check_times, mut token_times, mut single_times) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ratios, mut speedups) = (Vec::new(), Vec::new());
    let mut findings = 0;
    let mut events = 0;
    let mut rss = None;
    for _ in 0..runs {
        let start = Instant::now();
        let outcome = pipeline::run(&options).expect("check runs");
        let check = start.elapsed();
        findings = outcome.findings.len();
        drop(outcome);
        // Peak memory of the two-thread check alone (before any one-thread run).
        rss.get_or_insert_with(peak_rss_mb);
        let start = Instant::now();
        events = tokenize(&paths);
        let token = start.elapsed();
        // The same run on one worker thread: what the second core buys.
        let start = Instant::now();
        single.install(|| pipeline::run(&options).expect("check runs"));
        let one = start.elapsed();
        ratios.push(check.as_secs_f64() / token.as_secs_f64());
        speedups.push(one.as_secs_f64() / check.as_secs_f64());
        check_times.push(check);
        token_times.push(token);
        single_times.push(one);
    }
    let rss = rss.unwrap_or(f64::NAN);
    let check_t = median(check_times);
    let token_t = median(token_times);
    let mb = bytes as f64 / 1e6;
    println!("path            {}", path.display());
    println!("threads         {}", rayon::current_num_threads());
    println!("files           {}", paths.len());
    println!("bytes           {bytes} ({mb:.1} MB)");
    println!("findings        {findings}");
    println!(
        "check           {:.1} ms  ({:.0} MB/s)  median of {runs}",
        check_t.as_secs_f64() * 1e3,
        mb / check_t.as_secs_f64()
    );
    println!(
        "bare tokenize   {:.1} ms  ({:.0} MB/s)  {events} events",
        token_t.as_secs_f64() * 1e3,
        mb / token_t.as_secs_f64()
    );
    println!(
        "ratio           {}  (target <= 1.30)  median of the {runs} runs' ratios",
        median_f64(ratios)
    );
    println!("peak RSS        {rss:.0} MB  (target <= 300)");
    let single_t = median(single_times);
    println!(
        "one thread      {:.1} ms  speedup 1 -> {} threads: {}  (median of the runs' speedups)",
        single_t.as_secs_f64() * 1e3,
        rayon::current_num_threads(),
        median_f64(speedups)
    );
}
