//! The `scarscope render` command: writes rendered scenes (`scene_0001.png|.jpg`) and their truth files
//! (`scene_0001.truth.json`), each written atomically (a temporary file in the same folder, then renamed).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::scene::{random_scene, scene_suite, Mix, SceneParams};
use super::skin::SkinTone;
use super::{encode_jpeg, render_raw};

/// Arguments of `scarscope render`.
#[derive(Debug, Clone, clap::Args)]
pub struct RenderArgs {
    /// Folder to write the scenes into (created if missing).
    pub out_dir: PathBuf,
    /// Number of scenes.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// Seed of the first scene (the rest follow deterministically).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Image width in px.
    #[arg(long, default_value_t = 800)]
    pub width: u32,
    /// Image height in px.
    #[arg(long, default_value_t = 600)]
    pub height: u32,
    /// Scale in px per mm (8–20 typical); pass the same value to `analyze --px-per-mm`.
    #[arg(long, value_name = "F", default_value_t = 12.0)]
    pub px_per_mm: f64,
    /// Light azimuth in degrees (direction it comes from, CCW from +x: 0 right, 90 top); random if omitted.
    #[arg(long, value_name = "DEG", allow_hyphen_values = true)]
    pub azimuth: Option<f64>,
    /// Light elevation above the skin in degrees (low = raking side light); random 25–65 if omitted.
    #[arg(long, value_name = "DEG")]
    pub elevation: Option<f64>,
    /// Skin tone band: very_light, light, intermediate, tan, brown, dark (cycles over all if omitted).
    #[arg(long, value_name = "BAND", value_parser = parse_tone)]
    pub tone: Option<SkinTone>,
    /// Dominant kind: ice_pick, boxcar, rolling, raised, active, flat_only, random (cycles if omitted).
    #[arg(long, value_name = "KIND", value_parser = parse_mix)]
    pub mix: Option<Mix>,
    /// Write JPEG at this quality (1–100) instead of PNG.
    #[arg(long, value_name = "Q", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: Option<u8>,
    /// Frontal flash: relief shading almost vanishes.
    #[arg(long)]
    pub flat_light: bool,
    /// Sensor noise in 8-bit levels.
    #[arg(long, value_name = "SIGMA", default_value_t = 2.0)]
    pub noise: f64,
    /// Scene parameters as a TOML or JSON file (`SceneParams` fields); flags given on the command line win.
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
}

fn parse_tone(s: &str) -> Result<SkinTone, String> {
    SkinTone::parse(s).ok_or_else(|| {
        format!("unknown tone '{s}' (very_light, light, intermediate, tan, brown, dark)")
    })
}

fn parse_mix(s: &str) -> Result<Mix, String> {
    Mix::parse(s).ok_or_else(|| {
        format!("unknown mix '{s}' (ice_pick, boxcar, rolling, raised, active, flat_only, random)")
    })
}

/// The scene parameters of every scene the arguments ask for.
pub fn params_from_args(args: &RenderArgs) -> anyhow::Result<Vec<SceneParams>> {
    let mut base = match &args.params {
        Some(p) => read_params(p)?,
        None => SceneParams::default(),
    };
    anyhow::ensure!(
        args.width >= 16 && args.height >= 16,
        "width and height must be at least 16 px"
    );
    anyhow::ensure!(
        (args.width as u64) * (args.height as u64) <= 100_000_000,
        "at most 100 megapixels per scene"
    );
    anyhow::ensure!(
        args.px_per_mm.is_finite() && args.px_per_mm > 0.5,
        "--px-per-mm must be > 0.5"
    );
    anyhow::ensure!(
        args.noise.is_finite() && args.noise >= 0.0,
        "--noise must be >= 0"
    );
    if let Some(e) = args.elevation {
        anyhow::ensure!(
            e.is_finite() && (1.0..=90.0).contains(&e),
            "--elevation must be within 1..90 degrees"
        );
    }
    if let Some(a) = args.azimuth {
        anyhow::ensure!(a.is_finite(), "--azimuth must be a number");
    }
    base.width = args.width;
    base.height = args.height;
    base.px_per_mm = args.px_per_mm;
    base.noise_sigma = args.noise;
    base.flat_light |= args.flat_light;
    if args.jpeg_quality.is_some() {
        base.jpeg_quality = args.jpeg_quality;
    }
    let mut out = scene_suite(args.seed, args.count, &base);
    for p in &mut out {
        // The suite varies the scale; a render command keeps the scale asked for so `--px-per-mm` is exact.
        p.px_per_mm = args.px_per_mm;
        if let Some(m) = args
            .mix
            .or(Some(base.mix).filter(|m| *m != Mix::Random && args.params.is_some()))
        {
            p.mix = m;
        }
        if let Some(t) = args.tone.or(base.tone) {
            p.tone = Some(t);
        }
        if let Some(a) = args.azimuth.or(base.azimuth_deg) {
            p.azimuth_deg = Some(a);
        }
        if let Some(e) = args.elevation.or(base.elevation_deg) {
            p.elevation_deg = Some(e);
        }
    }
    Ok(out)
}

fn read_params(path: &Path) -> anyhow::Result<SceneParams> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(&text)
            .with_context(|| format!("invalid scene parameters in {}", path.display()))
    } else {
        toml::from_str(&text)
            .with_context(|| format!("invalid scene parameters in {}", path.display()))
    }
}

/// Writes bytes to `path` atomically: a temporary file in the same folder, flushed, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Runs `scarscope render`.
pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let all = params_from_args(args)?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create folder {}", args.out_dir.display()))?;
    for (i, p) in all.iter().enumerate() {
        let scene = random_scene(p);
        let r = render_raw(&scene);
        let stem = format!("scene_{:04}", i + 1);
        let (name, bytes) = match scene.jpeg_quality {
            Some(q) => (format!("{stem}.jpg"), encode_jpeg(&r.rgb, q)),
            None => {
                let mut buf = std::io::Cursor::new(Vec::new());
                r.rgb
                    .write_to(&mut buf, image::ImageFormat::Png)
                    .context("PNG encoding failed")?;
                (format!("{stem}.png"), buf.into_inner())
            }
        };
        write_atomic(&args.out_dir.join(&name), &bytes)?;
        let json = serde_json::to_string_pretty(&r.truth).context("cannot serialise the truth")?;
        write_atomic(
            &args.out_dir.join(format!("{stem}.truth.json")),
            format!("{json}\n").as_bytes(),
        )?;
    }
    Ok(())
}
