//! Hostile and huge inputs (issue 13). sfpolicy runs on pull requests, so metadata, file names,
//! policies and config may come from anyone who can open one. Every case here exits with its
//! documented status, quickly, with a located message, and no output carries a raw control byte.
//!
//! - `output`: text from files and scripts cannot inject terminal escapes or CI commands.
//! - `sandbox`: every runaway script stops within the time limit with a located error.
//! - `large`: large but valid metadata always works and reports.
//! - `fail_closed`: what cannot be read, written or trusted is an error or a finding, never a
//!   silent pass.
//!
//! Time limits: 2 s per run in a release build (`cargo test --release --test hostile`, which CI
//! runs); the debug build's interpreter is several times slower, so it gets more room. The
//! 200 MB profile runs in release builds only.

#[path = "../common/mod.rs"]
mod common;

mod fail_closed;
mod large;
mod output;
mod sandbox;

use std::path::Path;
use std::time::{Duration, Instant};

/// What one run produced, as bytes: the assertions are about bytes, not lossy text.
pub struct Raw {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
}

impl Raw {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    /// Exit status as documented, within the time limit, nothing raw in either stream.
    pub fn expect(&self, code: i32, what: &str) -> &Self {
        self.expect_within(code, time_limit(), what)
    }

    /// [`Raw::expect`] with another time limit (the large-file cases).
    pub fn expect_within(&self, code: i32, limit: Duration, what: &str) -> &Self {
        assert_eq!(
            self.code,
            code,
            "{what}: exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self.within(limit, what)
    }

    pub fn within(&self, limit: Duration, what: &str) -> &Self {
        assert!(
            self.elapsed <= limit,
            "{what}: took {:?} (limit {limit:?})",
            self.elapsed
        );
        assert_clean(&self.stdout, &format!("{what}: stdout"));
        assert_clean(&self.stderr, &format!("{what}: stderr"));
        self
    }
}

/// `sfpolicy <args>` in `cwd`, timed.
pub fn run(cwd: &Path, args: &[&str]) -> Raw {
    let started = Instant::now();
    let output = common::sfpolicy()
        .current_dir(cwd)
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("run sfpolicy");
    Raw {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: output.stderr,
        elapsed: started.elapsed(),
    }
}

/// The limit for one run of a small project.
pub fn time_limit() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(6)
    } else {
        Duration::from_secs(2)
    }
}

/// No raw control character: no C0 byte but tab and newline, no DEL, no C1 control (UTF-8
/// `C2 80`–`C2 9F`), no bidi override. An ESC is allowed only as the start of a colour
/// sequence sfpolicy wrote (`ESC [ digits/; m`).
pub fn assert_clean(bytes: &[u8], what: &str) {
    let show = |i: usize| {
        let from = i.saturating_sub(40);
        let to = (i + 40).min(bytes.len());
        format!("{:?}", String::from_utf8_lossy(&bytes[from..to]))
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0x1b {
            let rest = &bytes[i + 1..];
            let sgr = rest.first() == Some(&b'[')
                && rest[1..]
                    .iter()
                    .position(|&c| !(c.is_ascii_digit() || c == b';'))
                    .is_some_and(|end| rest[1 + end] == b'm');
            assert!(sgr, "{what}: raw ESC at byte {i}: {}", show(i));
        } else {
            assert!(
                !(b < 0x20 && b != b'\n' && b != b'\t') && b != 0x7f,
                "{what}: raw control byte {b:#04x} at byte {i}: {}",
                show(i)
            );
        }
        if b == 0xc2 {
            let next = bytes.get(i + 1).copied().unwrap_or(0);
            assert!(
                !(0x80..=0x9f).contains(&next),
                "{what}: raw C1 control U+00{next:02X} at byte {i}: {}",
                show(i)
            );
        }
        i += 1;
    }
    let text = String::from_utf8_lossy(bytes);
    for bidi in [
        '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ] {
        assert!(
            !text.contains(bidi),
            "{what}: raw bidi control U+{:04X}",
            bidi as u32
        );
    }
}

#[test]
fn the_cleanliness_check_catches_what_it_should() {
    // The negative cases: each of these must fail the check.
    for bad in [
        &b"a\x1b]0;title\x07b"[..],
        b"a\x1b[2Jb",
        b"\x00",
        b"a\rb",
        b"a\x7fb",
        "a\u{9b}31mb".as_bytes(),
        "a\u{202e}b".as_bytes(),
    ] {
        let caught = std::panic::catch_unwind(|| assert_clean(bad, "probe")).is_err();
        assert!(
            caught,
            "{:?} passed the check",
            String::from_utf8_lossy(bad)
        );
    }
    assert_clean(b"plain\ttext\n\x1b[1;31mred\x1b[0m \xc3\xa9\n", "good");
}
