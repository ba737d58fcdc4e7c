//! `scarscope bench`: how long the analysis takes against decoding the same photo, on one core, in one run.
//!
//! The photos are rendered at run time (a 4000×3000 and a 640×640 scene, JPEG q90) so that the repository stays
//! small and every machine times the same pictures. Three kinds of figures:
//! - **In-process, one core** (the timing thread is pinned to one CPU on Linux; times are the thread's CPU
//!   time where the platform gives it, so other work on a shared machine does not inflate them): the full-resolution decode
//!   with the `image` crate (the reference a user would write), the tool's own loading (what `analyze` does
//!   before the analysis: checks, decode, orientation), and the whole analysis (loading + every stage). Each
//!   figure is the median of `--repeat` runs; the ratio whole / full decode is what issue 14 targets.
//! - **Peak RSS**: `scarscope analyze` on one photo, run as a child process that reports the high-water mark
//!   of its own resident memory (`VmHWM`) as it exits, so nothing held by this process inflates it.
//! - **Throughput on all cores**: `analyze --jobs 1` and `--jobs 2` over a folder of copies, as child
//!   processes; the ratio of their wall times.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use image::RgbImage;

use crate::analyze::{analyze_at, AnalysisOptions};
use crate::profile::Profile;
use crate::render::{encode_jpeg, random_scene, render_raw, Mix, SceneParams};

/// Arguments of `scarscope bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Runs of each in-process timing; the median is reported.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub repeat: usize,
    /// Copies of the 12 MP photo in the folder timed with --jobs 1 and --jobs 2.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub big_photos: usize,
    /// Copies of the 640×640 photo in the folder timed with --jobs 1 and --jobs 2.
    #[arg(long, default_value_t = 48, value_name = "N")]
    pub small_photos: usize,
    /// Only the in-process timings: no child processes (no peak RSS, no --jobs figures).
    #[arg(long)]
    pub no_children: bool,
}

/// One of the benchmark's photos.
#[derive(Debug, Clone)]
pub struct BenchPhoto {
    /// Short name (`12mp`, `640px`).
    pub name: &'static str,
    /// The JPEG file's bytes.
    pub jpeg: Vec<u8>,
}

/// Renders the benchmark's photos: a 4000×3000 scene at 20 px/mm and a 640×640 scene at 10 px/mm (the size of
/// most web and phone crops in the development set), both JPEG q90 with lesions of one kind.
pub fn bench_photos() -> anyhow::Result<Vec<BenchPhoto>> {
    let render = |width, height, px_per_mm, seed, mix| -> anyhow::Result<Vec<u8>> {
        let params = SceneParams {
            width,
            height,
            px_per_mm,
            seed,
            mix,
            ..SceneParams::default()
        };
        encode_jpeg(&render_raw(&random_scene(&params)).rgb, 90)
    };
    Ok(vec![
        BenchPhoto {
            name: "12mp",
            jpeg: render(4000, 3000, 20.0, 3, Mix::Boxcar)?,
        },
        BenchPhoto {
            name: "640px",
            jpeg: render(640, 640, 10.0, 5, Mix::IcePick)?,
        },
    ])
}

/// The reference decode: the whole JPEG at full resolution to 8-bit RGB with the `image` crate.
pub fn decode_full(jpeg: &[u8]) -> anyhow::Result<RgbImage> {
    Ok(image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)?.into_rgb8())
}

/// What `analyze` does to load a photo's bytes: check them, read the header, decode at the scale the
/// analysis needs.
pub fn load_for_analysis(
    jpeg: &[u8],
    opts: &AnalysisOptions,
) -> anyhow::Result<crate::load::LoadedImage> {
    let opened = crate::load::open_bytes(std::borrow::Cow::Borrowed(jpeg), 100.0)?;
    let reduce = crate::batch::working_reduction(opened.upright_size(), opts);
    Ok(opened.decode(reduce)?)
}

/// What `analyze` does with one photo's bytes: load it, then run every stage (no output written).
pub fn whole_analysis(
    jpeg: &[u8],
    opts: &AnalysisOptions,
) -> anyhow::Result<crate::analyze::Analysis> {
    let loaded = load_for_analysis(jpeg, opts)?;
    Ok(analyze_at(&loaded.rgb, loaded.full_size, opts))
}

/// In-process figures for one photo, in milliseconds (medians).
#[derive(Debug, Clone)]
pub struct Timing {
    /// Photo name.
    pub name: &'static str,
    /// Width × height.
    pub size: (u32, u32),
    /// Full-resolution decode with the `image` crate.
    pub decode_ms: f64,
    /// The tool's loading (checks, decode, orientation).
    pub load_ms: f64,
    /// Loading and the whole analysis.
    pub whole_ms: f64,
}

/// The CPU time this thread has used (Linux and other Unixes with `CLOCK_THREAD_CPUTIME_ID`).
///
/// Timings are taken in CPU time, not wall time, when it can be read: on a shared machine the wall time of a
/// pinned thread includes every slice the other processes on that core took (the development machine ran at
/// a load average of 6–9 on 2 cores while this was measured), the CPU time does not.
fn thread_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; clock_gettime only fills it in.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
            return None;
        }
        Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Whether [`median_ms`] measures CPU time (else wall time).
fn measures_cpu_time() -> bool {
    thread_cpu_time().is_some()
}

fn median_ms(runs: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut t: Vec<Duration> = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let (wall, cpu) = (Instant::now(), thread_cpu_time());
        f()?;
        t.push(match (cpu, thread_cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall.elapsed(),
        });
    }
    t.sort();
    Ok(t[t.len() / 2].as_secs_f64() * 1e3)
}

/// Times decode, loading and the whole analysis of each photo on the calling thread. Call it on a one-thread
/// rayon pool (as [`run`] does): the JPEG decoder's tasks go to the current pool, and there they run on the
/// calling thread, inside its measured CPU time.
pub fn time_in_process(photos: &[BenchPhoto], repeat: usize) -> anyhow::Result<Vec<Timing>> {
    let opts = AnalysisOptions {
        px_per_mm: None,
        profile: Arc::new(Profile::builtin()),
    };
    let mut out = Vec::new();
    for p in photos {
        let size = decode_full(&p.jpeg)?.dimensions();
        // Small photos take milliseconds: more runs keep the median steady.
        let runs = if size.0 as u64 * size.1 as u64 > 4_000_000 {
            repeat
        } else {
            repeat * 4
        };
        let decode_ms = median_ms(runs, || {
            std::hint::black_box(decode_full(&p.jpeg)?);
            Ok(())
        })?;
        let load_ms = median_ms(runs, || {
            std::hint::black_box(load_for_analysis(&p.jpeg, &opts)?);
            Ok(())
        })?;
        let whole_ms = median_ms(repeat, || {
            std::hint::black_box(whole_analysis(&p.jpeg, &opts)?);
            Ok(())
        })?;
        out.push(Timing {
            name: p.name,
            size,
            decode_ms,
            load_ms,
            whole_ms,
        });
    }
    Ok(out)
}

/// Pins the calling thread to the CPU it is running on, so that in-process timings use one core (Linux only;
/// elsewhere the timings are still single-threaded, just not pinned).
fn pin_to_one_core() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `sched_getcpu` takes no arguments; `cpu_set_t` is plain data that CPU_ZERO/CPU_SET fill
        // in, and `sched_setaffinity(0, …)` applies to the calling thread only.
        unsafe {
            let cpu = libc::sched_getcpu();
            if cpu < 0 {
                return false;
            }
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_ZERO(&mut set);
            libc::CPU_SET(cpu as usize, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// A child run of `scarscope analyze`: wall time and peak resident memory.
#[derive(Debug, Clone, Copy)]
pub struct ChildRun {
    /// Wall time in seconds.
    pub seconds: f64,
    /// CPU time (user + system) in seconds, when the platform reports it (Unix).
    pub cpu_seconds: Option<f64>,
    /// Peak resident set in MB, when the platform reports it (Linux).
    pub peak_rss_mb: Option<f64>,
}

/// Environment variable that makes the `scarscope` binary print its own peak resident memory on stderr as it
/// exits (see [`report_peak_rss_if_asked`]); `scarscope bench` sets it on its child processes.
pub const PEAK_RSS_ENV: &str = "SCARSCOPE_REPORT_PEAK_RSS";

/// This process's peak resident set in KiB: `VmHWM` of /proc/self/status (Linux only).
///
/// Not `getrusage`'s `ru_maxrss`: on Linux a process started by fork/vfork + exec inherits there the high-water
/// mark of the parent's memory at the exec, so a child of a process holding a 12 MP render would report that.
pub fn own_peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Prints `scarscope: peak RSS <n> KiB` on stderr when [`PEAK_RSS_ENV`] is set (called by the binary at exit).
pub fn report_peak_rss_if_asked() {
    if std::env::var_os(PEAK_RSS_ENV).is_some() {
        if let Some(kib) = own_peak_rss_kib() {
            eprintln!("scarscope: peak RSS {kib} KiB");
        }
    }
}

/// Runs `exe analyze <path> --jobs N` into `out` and measures its wall time and peak memory.
fn run_child(exe: &Path, path: &Path, jobs: usize, out: &Path) -> anyhow::Result<ChildRun> {
    let cpu_before = children_cpu_seconds();
    let start = Instant::now();
    let done = Command::new(exe)
        .arg("analyze")
        .arg(path)
        .args([
            "--jobs",
            &jobs.to_string(),
            "--quiet",
            "--format",
            "jsonl",
            "-o",
        ])
        .arg(out)
        .env(PEAK_RSS_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .output()
        .context("cannot run scarscope analyze")?;
    let seconds = start.elapsed().as_secs_f64();
    let cpu_seconds = cpu_before.zip(children_cpu_seconds()).map(|(a, b)| b - a);
    let stderr = String::from_utf8_lossy(&done.stderr);
    if !done.status.success() {
        anyhow::bail!(
            "scarscope analyze {} failed ({}): {}",
            path.display(),
            done.status,
            stderr.trim()
        );
    }
    let peak_rss_mb = stderr
        .lines()
        .find_map(|l| l.strip_prefix("scarscope: peak RSS "))
        .and_then(|v| v.trim_end_matches(" KiB").parse::<f64>().ok())
        .map(|kib| kib / 1024.0);
    Ok(ChildRun {
        seconds,
        cpu_seconds,
        peak_rss_mb,
    })
}

/// CPU time (user + system, seconds) of every child process waited for so far. Unlike `ru_maxrss`, the times
/// are sums, so the difference across one child's run is that child's.
fn children_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: `rusage` is plain data that getrusage fills in.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) } != 0 {
            return None;
        }
        let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
        Some(t(u.ru_utime) + t(u.ru_stime))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Child-process figures for one photo.
#[derive(Debug, Clone)]
pub struct Throughput {
    /// Photo name.
    pub name: &'static str,
    /// `analyze` of the photo alone with `--jobs 1`.
    pub single: ChildRun,
    /// Photos in the folder.
    pub photos: usize,
    /// The folder with `--jobs 1`.
    pub jobs1: ChildRun,
    /// The folder with `--jobs 2`.
    pub jobs2: ChildRun,
}

/// Writes `copies` copies of each photo into folders under `dir` and times `analyze` over them.
pub fn time_children(
    exe: &Path,
    photos: &[BenchPhoto],
    copies: &[usize],
    dir: &Path,
) -> anyhow::Result<Vec<Throughput>> {
    let mut out = Vec::new();
    let sink = dir.join("out.jsonl");
    for (p, &n) in photos.iter().zip(copies) {
        let folder = dir.join(p.name);
        std::fs::create_dir_all(&folder)?;
        for i in 0..n.max(1) {
            std::fs::write(folder.join(format!("{i:04}.jpg")), &p.jpeg)?;
        }
        let one = folder.join("0000.jpg");
        let single = run_child(exe, &one, 1, &sink)?;
        let jobs1 = run_child(exe, &folder, 1, &sink)?;
        let jobs2 = run_child(exe, &folder, 2, &sink)?;
        out.push(Throughput {
            name: p.name,
            single,
            photos: n.max(1),
            jobs1,
            jobs2,
        });
    }
    Ok(out)
}

fn mb(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0} MB"))
}

/// Runs `scarscope bench` and prints its table.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let repeat = args.repeat.max(1);
    eprintln!("scarscope: rendering the benchmark photos…");
    let photos = bench_photos()?;
    eprintln!("scarscope: timing decode and analysis on one core…");
    let timed = {
        let photos = photos.clone();
        // A one-thread rayon pool of its own: pinning its thread leaves the child processes free to use every
        // core, and the decoder's rayon tasks (jpeg-decoder's components) run on that same thread, inside the
        // thread CPU time that is measured.
        let pinned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = pinned.clone();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "scarscope-bench".into())
            .start_handler(move |_| {
                flag.store(pin_to_one_core(), std::sync::atomic::Ordering::SeqCst)
            })
            .build()?;
        let t = pool.install(|| time_in_process(&photos, repeat))?;
        (t, pinned.load(std::sync::atomic::Ordering::SeqCst))
    };
    let (timings, pinned) = timed;
    writeln!(
        out,
        "one core{}, {}, median of {repeat} runs ({}× for small photos); ratio = whole analysis / full decode",
        if pinned { " (pinned)" } else { "" },
        if measures_cpu_time() {
            "thread CPU time"
        } else {
            "wall time"
        },
        repeat * 4
    )?;
    writeln!(
        out,
        "{:<7} {:>11} {:>16} {:>9} {:>16} {:>7}",
        "photo", "size", "full decode ms", "load ms", "whole analysis ms", "ratio"
    )?;
    for t in &timings {
        writeln!(
            out,
            "{:<7} {:>11} {:>16.1} {:>9.1} {:>16.1} {:>6.1}×",
            t.name,
            format!("{}×{}", t.size.0, t.size.1),
            t.decode_ms,
            t.load_ms,
            t.whole_ms,
            t.whole_ms / t.decode_ms
        )?;
    }
    if args.no_children {
        return Ok(());
    }
    let exe = std::env::current_exe().context("cannot find the scarscope executable")?;
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    eprintln!("scarscope: timing analyze --jobs 1 and --jobs 2 over folders of copies…");
    let runs = time_children(
        &exe,
        &photos,
        &[args.big_photos, args.small_photos],
        dir.path(),
    )?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    // Other work on the machine skews the --jobs figures most: say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            l.split_whitespace()
                .next()
                .map(|v| format!(", load average {v}"))
        })
        .unwrap_or_default();
    writeln!(
        out,
        "\nscarscope analyze as a child process ({cores} cores here{load}); peak RSS = the child's own VmHWM"
    )?;
    writeln!(
        out,
        "{:<7} {:>15} {:>7} {:>16} {:>16} {:>8} {:>14} {:>9}",
        "photo",
        "peak RSS 1 job",
        "photos",
        "--jobs 1 s (cpu)",
        "--jobs 2 s (cpu)",
        "jobs2/1",
        "peak RSS -j2",
        "cpu 2/1"
    )?;
    let cpu = |c: &ChildRun| {
        c.cpu_seconds
            .map_or_else(|| "?".into(), |v| format!("{v:.1}"))
    };
    for r in &runs {
        writeln!(
            out,
            "{:<7} {:>15} {:>7} {:>16} {:>16} {:>7.2}× {:>14} {:>9}",
            r.name,
            mb(r.single.peak_rss_mb),
            r.photos,
            format!("{:.2} ({})", r.jobs1.seconds, cpu(&r.jobs1)),
            format!("{:.2} ({})", r.jobs2.seconds, cpu(&r.jobs2)),
            r.jobs1.seconds / r.jobs2.seconds,
            mb(r.jobs2.peak_rss_mb),
            r.jobs2
                .cpu_seconds
                .zip(r.jobs1.cpu_seconds)
                .map_or_else(|| "?".into(), |(a, b)| format!("{:.2}", a / b))
        )?;
    }
    writeln!(
        out,
        "jobs2/1 = throughput ratio (wall); cpu 2/1 = CPU time with 2 jobs over 1 job (1.00 = no parallel overhead; \
         the wall ratio falls short of 2 by it and by other work on the machine)"
    )?;
    Ok(())
}
