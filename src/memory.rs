//! Memory admission: images enter the workers by the memory their decoding and analysis take, against a
//! budget (`--max-memory`), so that large images wait for each other instead of piling up (issue 15: four
//! 90 MP PNGs with `--jobs 2` under a 2 GB address-space limit lost the whole batch).
//!
//! The cost of an image is known from its header before any pixel is decoded (width × height × bytes per
//! pixel, see [`crate::load::Opened::decode_bytes`], plus the analysis' planes at the working size). An
//! image costlier than the whole budget is not refused: it runs when nothing else holds memory, alone.

use std::sync::{Condvar, Mutex, MutexGuard};

/// Parses a memory size: a number with an optional unit K, M, G or T (powers of 1024, as `ulimit` and
/// container limits count; a trailing `B` or `iB` is accepted), e.g. `512M`, `1.5G`, `2GiB`, `800000000`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (num, mul) = match body.chars().last() {
        Some('k') => (&body[..body.len() - 1], 1u64 << 10),
        Some('m') => (&body[..body.len() - 1], 1 << 20),
        Some('g') => (&body[..body.len() - 1], 1 << 30),
        Some('t') => (&body[..body.len() - 1], 1 << 40),
        _ => (body, 1),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a memory size: {t:?} (examples: 512M, 2G, 1.5GiB)"))?;
    let bytes = v * mul as f64;
    if !(bytes.is_finite() && bytes >= 1.0) {
        return Err(format!("memory size must be positive, got {t:?}"));
    }
    // `as` saturates: an absurdly large size means "no limit", never a wrapped small one.
    Ok(bytes as u64)
}

/// Where the default budget came from, for the help text and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetSource {
    /// Half of the memory the kernel says is available (`MemAvailable`), or of a smaller limit on this process
    /// (address space, data size, the cgroup's `memory.max`).
    Machine,
    /// Nothing could be read: a fixed 2 GiB.
    Fallback,
}

/// The fixed budget when the machine's memory cannot be read.
pub const FALLBACK_BUDGET: u64 = 2 << 30;

/// The default budget: half of the smallest of the memory available and the limits this process runs under.
/// Half, because the budget counts the images' pixels and planes only: the allocator's slack, thread stacks
/// and the program itself take the rest.
pub fn default_budget() -> (u64, BudgetSource) {
    let mut limits: Vec<u64> = Vec::new();
    if let Some(kib) = meminfo_kib("MemAvailable:").or_else(|| meminfo_kib("MemTotal:")) {
        limits.push(kib.saturating_mul(1024));
    }
    if let Some(m) = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        limits.push(m);
    }
    limits.extend(rlimits());
    match limits.into_iter().min() {
        Some(m) if m > 0 => ((m / 2).max(64 << 20), BudgetSource::Machine),
        _ => (FALLBACK_BUDGET, BudgetSource::Fallback),
    }
}

fn meminfo_kib(key: &str) -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The address-space and data-size limits of this process (`ulimit -v`, `-d`; `prlimit --as`), when set.
fn rlimits() -> Vec<u64> {
    #[cfg(unix)]
    {
        let mut out = Vec::new();
        for res in [libc::RLIMIT_AS, libc::RLIMIT_DATA] {
            let mut r = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: `r` is a valid, writable rlimit; getrlimit only fills it in.
            if unsafe { libc::getrlimit(res, &mut r) } == 0 && r.rlim_cur != libc::RLIM_INFINITY {
                // rlim_t is u64 on Linux but not on every Unix.
                #[allow(clippy::unnecessary_cast)]
                out.push(r.rlim_cur as u64);
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        Vec::new()
    }
}

/// A memory budget shared by the workers of one run.
#[derive(Debug)]
pub struct MemoryBudget {
    total: u64,
    in_use: Mutex<u64>,
    freed: Condvar,
}

/// Memory held by one image until dropped (also when its work panics: the drop runs while unwinding).
#[derive(Debug)]
pub struct Admission<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    /// A budget of `total` bytes.
    pub fn new(total: u64) -> Self {
        MemoryBudget {
            total: total.max(1),
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// The budget of a run: `max_memory` bytes (`--max-memory`) when given, else [`default_budget`].
    pub fn for_run(max_memory: Option<u64>) -> Self {
        Self::new(max_memory.unwrap_or_else(|| default_budget().0))
    }

    /// The budget in bytes.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // Nothing panics while holding this lock; a poisoned one still holds a correct count.
        self.in_use.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `bytes` fit beside what other images hold, then holds them. An image larger than the whole
    /// budget waits until nothing else is held and then runs alone.
    pub fn admit(&self, bytes: u64) -> Admission<'_> {
        let want = bytes.min(self.total);
        let mut used = self.lock();
        while *used > 0 && used.saturating_add(want) > self.total {
            used = self.freed.wait(used).unwrap_or_else(|p| p.into_inner());
        }
        *used += want;
        Admission {
            budget: self,
            bytes: want,
        }
    }

    /// Bytes held now.
    pub fn in_use(&self) -> u64 {
        *self.lock()
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.lock();
        *used = used.saturating_sub(self.bytes);
        drop(used);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("800000000"), Ok(800_000_000));
        assert_eq!(parse_size("64kb"), Ok(64 << 10));
        assert_eq!(parse_size("1e30T"), Ok(u64::MAX));
        for bad in ["", "G", "-1G", "0", "nan", "inf", "twelve"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_budget_is_positive() {
        let (b, _) = default_budget();
        assert!(b >= 64 << 20);
    }

    #[test]
    fn admissions_never_exceed_the_budget_and_oversized_ones_run_alone() {
        let budget = Arc::new(MemoryBudget::new(100));
        let peak = Arc::new(AtomicU64::new(0));
        let alone_ok = Arc::new(AtomicU64::new(1));
        let threads: Vec<_> = (0..6u64)
            .map(|i| {
                let (budget, peak, alone_ok) = (budget.clone(), peak.clone(), alone_ok.clone());
                std::thread::spawn(move || {
                    for k in 0..20u64 {
                        // Every seventh request is bigger than the whole budget.
                        let want = if (i + k) % 7 == 0 {
                            500
                        } else {
                            30 + (i * 7 + k) % 40
                        };
                        let a = budget.admit(want);
                        let now = budget.in_use();
                        peak.fetch_max(now, Ordering::SeqCst);
                        if want > 100 && now != 100 {
                            alone_ok.store(0, Ordering::SeqCst);
                        }
                        std::thread::yield_now();
                        drop(a);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("worker");
        }
        assert!(peak.load(Ordering::SeqCst) <= 100);
        assert_eq!(alone_ok.load(Ordering::SeqCst), 1);
        assert_eq!(budget.in_use(), 0);
    }
}
