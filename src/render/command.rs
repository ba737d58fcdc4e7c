//! The `scarscope render` command: writes rendered scenes (`scene_0001.png|.jpg`) and their truth files
//! (`scene_0001.truth.json`), each written atomically (a temporary file in the same folder, then renamed).

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
    /// Image width in px (default 800).
    #[arg(long)]
    pub width: Option<u32>,
    /// Image height in px (default 600).
    #[arg(long)]
    pub height: Option<u32>,
    /// Scale in px per mm (8–20 typical; default 12); pass the same value to `analyze --px-per-mm`.
    #[arg(long, value_name = "F", allow_negative_numbers = true, value_parser = crate::cli::positive_number)]
    pub px_per_mm: Option<f64>,
    /// Light azimuth in degrees (direction it comes from, CCW from +x: 0 right, 90 top); random if omitted.
    #[arg(long, value_name = "DEG", allow_hyphen_values = true)]
    pub azimuth: Option<f64>,
    /// Light elevation above the skin in degrees (low = raking side light); random 25–65 if omitted.
    #[arg(long, value_name = "DEG")]
    pub elevation: Option<f64>,
    /// Skin tone band: very_light, light, intermediate, tan, brown, dark (cycles over all if omitted).
    #[arg(long, value_name = "BAND", value_parser = parse_tone)]
    pub tone: Option<SkinTone>,
    /// Dominant kind: ice_pick, boxcar, rolling, raised, active, flat_only, unusable, random (cycles over
    /// the first six if omitted).
    #[arg(long, value_name = "KIND", value_parser = parse_mix)]
    pub mix: Option<Mix>,
    /// Write JPEG at this quality (1–100) instead of PNG.
    #[arg(long, value_name = "Q", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: Option<u8>,
    /// Frontal flash: relief shading almost vanishes.
    #[arg(long)]
    pub flat_light: bool,
    /// Sensor noise in 8-bit levels (default 2).
    #[arg(long, value_name = "SIGMA")]
    pub noise: Option<f64>,
    /// Stray hairs drawn across each scene (artefacts, not lesions).
    #[arg(long, value_name = "N")]
    pub hairs: Option<usize>,
    /// Text stamped on each photo like a clinic watermark, e.g. BEFORE.
    #[arg(long, value_name = "TEXT")]
    pub watermark: Option<String>,
    /// Share of the frame covered by non-skin background (0..0.9); from 0.6 the truth expects `uncertain`.
    #[arg(long, value_name = "F")]
    pub background: Option<f64>,
    /// File stem of the outputs instead of `scene_0001`, ... (only with `--count 1`), e.g. `boxcar_light`.
    #[arg(long, value_name = "STEM")]
    pub name: Option<String>,
    /// Write before/after pairs instead of single scenes: `<stem>_before`, `<stem>_after` and `<stem>.pair.json`.
    #[arg(long)]
    pub pair: bool,
    /// Pairs: factor on every relief height in the after photo (e.g. 0.6 = 40 % shallower).
    #[arg(long, value_name = "F", default_value_t = 0.6)]
    pub depth_factor: f64,
    /// Pairs: light azimuth of the after photo as seen in it (default: the before light's).
    #[arg(long, value_name = "DEG", allow_hyphen_values = true)]
    pub after_azimuth: Option<f64>,
    /// Pairs: light elevation of the after photo (default: the before light's).
    #[arg(long, value_name = "DEG")]
    pub after_elevation: Option<f64>,
    /// Pairs: exposure gain of the after photo.
    #[arg(long, value_name = "G", default_value_t = 1.0)]
    pub exposure_gain: f64,
    /// Pairs: rotation before → after in degrees, counter-clockwise as seen, about the image centre.
    #[arg(
        long,
        value_name = "DEG",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    pub rotate: f64,
    /// Pairs: scale before → after.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub scale: f64,
    /// Pairs: shift before → after in px, as `DX,DY` (applied after rotation and scale).
    #[arg(long, value_name = "DX,DY", value_parser = parse_shift, default_value = "0,0", allow_hyphen_values = true)]
    pub shift: (f64, f64),
    /// Scene parameters as a TOML or JSON file (`SceneParams` fields); flags given on the command line win,
    /// and the camera values (ambient, gloss, vignetting, blur, pores, curvature) vary around the file's.
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
}

fn parse_tone(s: &str) -> Result<SkinTone, String> {
    SkinTone::parse(s).ok_or_else(|| {
        format!("unknown tone '{s}' (very_light, light, intermediate, tan, brown, dark)")
    })
}

fn parse_shift(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("shift '{s}' must be DX,DY"))?;
    let x: f64 = a.trim().parse().map_err(|_| format!("bad shift '{s}'"))?;
    let y: f64 = b.trim().parse().map_err(|_| format!("bad shift '{s}'"))?;
    if x.is_finite() && y.is_finite() {
        Ok((x, y))
    } else {
        Err(format!("bad shift '{s}'"))
    }
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
    // Flags win over the parameter file, which wins over the defaults.
    base.width = args.width.unwrap_or(base.width);
    base.height = args.height.unwrap_or(base.height);
    base.px_per_mm = args.px_per_mm.unwrap_or(base.px_per_mm);
    base.noise_sigma = args.noise.unwrap_or(base.noise_sigma);
    anyhow::ensure!(
        base.width >= 16 && base.height >= 16,
        "width and height must be at least 16 px"
    );
    anyhow::ensure!(
        (base.width as u64) * (base.height as u64) <= 100_000_000,
        "at most 100 megapixels per scene"
    );
    anyhow::ensure!(
        base.px_per_mm.is_finite() && base.px_per_mm > 0.5,
        "--px-per-mm must be > 0.5"
    );
    anyhow::ensure!(
        base.noise_sigma.is_finite() && base.noise_sigma >= 0.0,
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
    base.flat_light |= args.flat_light;
    if let Some(n) = args.hairs {
        anyhow::ensure!(n <= 200, "--hairs must be at most 200");
        base.hairs = n;
    }
    if let Some(b) = args.background {
        anyhow::ensure!(
            b.is_finite() && (0.0..=0.9).contains(&b),
            "--background must be within 0..0.9"
        );
        base.background = b;
    }
    if args.watermark.is_some() {
        base.watermark = args.watermark.clone();
    }
    if args.jpeg_quality.is_some() {
        base.jpeg_quality = args.jpeg_quality;
    }
    let mut out = scene_suite(args.seed, args.count, &base);
    for p in &mut out {
        // The suite varies scale, noise and compression; a render command keeps what was asked for, so
        // `--px-per-mm`, `--noise` and `--jpeg-quality` are exact.
        p.px_per_mm = base.px_per_mm;
        p.noise_sigma = base.noise_sigma;
        p.jpeg_quality = base.jpeg_quality;
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

/// Encodes an image as JPEG at `quality`, or PNG without one; returns the extension and the bytes.
fn encode(img: &image::RgbImage, quality: Option<u8>) -> anyhow::Result<(&'static str, Vec<u8>)> {
    match quality {
        Some(q) => Ok(("jpg", encode_jpeg(img, q)?)),
        None => {
            let mut buf = std::io::Cursor::new(Vec::new());
            img.write_to(&mut buf, image::ImageFormat::Png)
                .context("PNG encoding failed")?;
            Ok(("png", buf.into_inner()))
        }
    }
}

/// Runs `scarscope render`.
pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let all = params_from_args(args)?;
    if let Some(n) = &args.name {
        anyhow::ensure!(args.count == 1, "--name needs --count 1");
        anyhow::ensure!(
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !n.starts_with('.'),
            "--name must be a plain file stem (letters, digits, '-', '_', '.')"
        );
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create folder {}", args.out_dir.display()))?;
    if args.pair {
        anyhow::ensure!(
            args.depth_factor.is_finite() && args.depth_factor >= 0.0,
            "--depth-factor must be >= 0"
        );
        anyhow::ensure!(
            args.exposure_gain.is_finite() && args.exposure_gain > 0.0,
            "--exposure-gain must be > 0"
        );
        anyhow::ensure!(
            args.scale.is_finite() && (0.2..=5.0).contains(&args.scale),
            "--scale must be within 0.2..5"
        );
        anyhow::ensure!(args.rotate.is_finite(), "--rotate must be a number");
    }
    for (i, p) in all.iter().enumerate() {
        let scene = random_scene(p);
        let stem = args
            .name
            .clone()
            .unwrap_or_else(|| format!("scene_{:04}", i + 1));
        if args.pair {
            let light = (
                args.after_azimuth.unwrap_or(scene.light.azimuth_deg),
                args.after_elevation.unwrap_or(scene.light.elevation_deg),
            );
            // Compression, if asked for, is applied when writing (once), not inside the pair renderer.
            let mut lossless = scene.clone();
            lossless.jpeg_quality = None;
            let (before, after, truth) = super::render_pair(
                &lossless,
                args.depth_factor,
                light,
                args.exposure_gain,
                args.rotate,
                args.scale,
                args.shift,
            );
            for (img, which) in [(&before, "before"), (&after, "after")] {
                let (ext, bytes) = encode(img, scene.jpeg_quality)?;
                crate::output::write_atomic(
                    &args.out_dir.join(format!("{stem}_{which}.{ext}")),
                    &bytes,
                )?;
            }
            let json =
                serde_json::to_string_pretty(&truth).context("cannot serialise the truth")?;
            crate::output::write_atomic(
                &args.out_dir.join(format!("{stem}.pair.json")),
                format!("{json}\n").as_bytes(),
            )?;
            continue;
        }
        let r = render_raw(&scene);
        let (ext, bytes) = encode(&r.rgb, scene.jpeg_quality)?;
        crate::output::write_atomic(&args.out_dir.join(format!("{stem}.{ext}")), &bytes)?;
        let json = serde_json::to_string_pretty(&r.truth).context("cannot serialise the truth")?;
        crate::output::write_atomic(
            &args.out_dir.join(format!("{stem}.truth.json")),
            format!("{json}\n").as_bytes(),
        )?;
    }
    Ok(())
}
