//! Small helpers: a deterministic RNG, percentiles, running child processes with their
//! peak memory.

use std::{
    io::{Read, Write},
    process::{Command, Stdio},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

/// splitmix64: deterministic and fast; plenty for generated test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0xB3AC_4F0E_5EED_1234)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Nearest-rank percentile (`q` in 0..=1) of unsorted samples; 0 for none.
pub fn percentile(samples: &[f64], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn median(samples: &[f64]) -> f64 {
    percentile(samples, 0.5)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A finished child process with what it printed and what it cost.
pub struct Measured {
    pub wall: Duration,
    /// The exit code, or None if a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set size of the child (`ru_maxrss` from `wait4`).
    pub max_rss_bytes: u64,
    pub user_cpu: Duration,
    pub sys_cpu: Duration,
}

impl Measured {
    /// Fails with the child's output unless it exited with 0.
    pub fn ok(self, what: &str) -> Result<Measured> {
        if self.code != Some(0) {
            bail!(
                "{what} failed ({}):\n{}{}",
                match self.code {
                    Some(c) => format!("exit code {c}"),
                    None => "killed by a signal".to_owned(),
                },
                self.stdout,
                self.stderr
            );
        }
        Ok(self)
    }

    pub fn json(&self, what: &str) -> Result<serde_json::Value> {
        serde_json::from_str(&self.stdout)
            .with_context(|| format!("{what} printed no JSON: {}", self.stdout))
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

/// Runs `cmd` to completion, feeding `stdin`, and reaps it with `wait4` so its own peak
/// RSS and CPU times are known. Wall time runs from spawn to exit.
pub fn run_measured(cmd: &mut Command, stdin: Option<&str>) -> Result<Measured> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let program = cmd.get_program().to_string_lossy().into_owned();
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {program}"))?;
    let pid = child.id() as libc::pid_t;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A child that exits without reading its input is not our error here.
        let _ = pipe.write_all(text.as_bytes());
    }
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is a plain C struct for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child and nothing else reaps it (std's Child is never
        // waited on); both out-pointers are valid for the call.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return Err(e).with_context(|| format!("waiting for {program}"));
    }
    let wall = started.elapsed();
    drop(child);
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Measured {
        wall,
        code,
        stdout,
        stderr,
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: usage.ru_maxrss.max(0) as u64 * 1024,
        user_cpu: timeval(usage.ru_utime),
        sys_cpu: timeval(usage.ru_stime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.95), 95.0);
        assert_eq!(percentile(&[3.0], 0.95), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn measures_a_child() {
        let m = run_measured(Command::new("cat").arg("-"), Some("hello"))
            .and_then(|m| m.ok("cat"))
            .expect("cat runs");
        assert_eq!(m.stdout, "hello");
        assert!(m.max_rss_bytes > 0);
    }
}
