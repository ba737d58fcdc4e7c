//! The `scarscope texture` command: all texture features of one image, as a table or JSON.
//!
//! Features are computed on the 8-bit luminance: the image itself if it is greyscale, otherwise
//! `image::DynamicImage::to_luma8()` (the `image` crate's Rec. 709 luma weights
//! 0.2126/0.7152/0.0722 applied to the gamma-encoded values). Default discretisation: IBSI fixed
//! bin number with 32 bins over the ROI (`--bins 32`); `--no-discretisation` uses grey + 1
//! (levels 1..=256, Ng = 256). Colour images also get CIELAB statistics of the ROI and, when a
//! ROI is given, its contrast against a ring 0 < d ≤ [`RING_OUTER_PX`] px around it.

use super::discretise::{Discretisation, Quantised};
use super::glcm::{directional_glcms, IBSI_DIRECTIONS_2D};
use super::{glcm, gradient, lbp};
use crate::colour;
use anyhow::{bail, Context};
use image::GrayImage;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::PathBuf;

/// Outer distance (pixels) of the ring used for the region-versus-ring colour contrast.
pub const RING_OUTER_PX: f64 = 15.0;

/// Window size of the local standard deviation reported by the command.
pub const LOCAL_STD_WINDOW: usize = 5;

/// Output format of `scarscope texture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned two-column text.
    Table,
    /// Nested JSON object.
    Json,
}

/// Arguments of `scarscope texture`.
#[derive(Debug, Clone, clap::Args)]
pub struct TextureArgs {
    /// The image to measure.
    pub image: PathBuf,
    /// Region mask (same size as the image; nonzero = inside).
    #[arg(long, value_name = "MASK.png", conflicts_with = "roi")]
    pub mask: Option<PathBuf>,
    /// Rectangular region `x,y,w,h` in pixels.
    #[arg(long, value_name = "x,y,w,h")]
    pub roi: Option<String>,
    /// IBSI fixed bin number (default 32 when no other discretisation is chosen).
    #[arg(long, value_name = "N", conflicts_with_all = ["bin_width", "no_discretisation"])]
    pub bins: Option<u16>,
    /// IBSI fixed bin width in grey values (≥ 1), from the ROI minimum.
    #[arg(long, value_name = "W", conflicts_with = "no_discretisation")]
    pub bin_width: Option<f64>,
    /// Use raw grey levels (grey + 1, Ng = 256).
    #[arg(long)]
    pub no_discretisation: bool,
    /// GLCM Chebyshev distance.
    #[arg(long, default_value_t = 1, value_name = "D")]
    pub distance: usize,
    /// LBP number of sample points P.
    #[arg(long, default_value_t = 8, value_name = "P")]
    pub lbp_points: usize,
    /// LBP radius R in pixels.
    #[arg(long, default_value_t = 1.0, value_name = "R")]
    pub lbp_radius: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Parses `x,y,w,h` and builds a rectangle mask, checking it lies inside a `w × h` image.
fn roi_mask(spec: &str, w: u32, h: u32) -> anyhow::Result<GrayImage> {
    let parts: Vec<u32> = spec
        .split(',')
        .map(|s| s.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--roi {spec:?}: expected four non-negative integers x,y,w,h"))?;
    let [x, y, rw, rh] = parts[..] else {
        bail!(
            "--roi {spec:?}: expected four values x,y,w,h, got {}",
            parts.len()
        );
    };
    if rw == 0 || rh == 0 {
        bail!("--roi {spec:?}: width and height must be positive");
    }
    if x.checked_add(rw).is_none_or(|e| e > w) || y.checked_add(rh).is_none_or(|e| e > h) {
        bail!("--roi {spec:?} does not fit inside the {w}x{h} image");
    }
    Ok(GrayImage::from_fn(w, h, |px, py| {
        let inside = px >= x && px < x + rw && py >= y && py < y + rh;
        image::Luma([if inside { 255 } else { 0 }])
    }))
}

fn load(path: &std::path::Path) -> anyhow::Result<image::DynamicImage> {
    image::ImageReader::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read {}", path.display()))?
        .decode()
        .with_context(|| format!("cannot decode {}", path.display()))
}

fn opt(v: Option<f64>) -> Value {
    v.filter(|x| x.is_finite()).map_or(Value::Null, Value::from)
}

/// Computes every texture feature for `args` as a JSON value (the command's `--format json`).
pub fn compute(args: &TextureArgs) -> anyhow::Result<Value> {
    let img = load(&args.image)?;
    let gray = img.to_luma8();
    let (w, h) = gray.dimensions();
    let mask = match (&args.mask, &args.roi) {
        (Some(p), _) => {
            let m = load(p)?.to_luma8();
            if m.dimensions() != (w, h) {
                bail!(
                    "mask {} is {}x{} but the image is {w}x{h}",
                    p.display(),
                    m.width(),
                    m.height()
                );
            }
            Some(m)
        }
        (None, Some(spec)) => Some(roi_mask(spec, w, h)?),
        (None, None) => None,
    };
    let disc = if args.no_discretisation {
        Discretisation::None
    } else if let Some(bw) = args.bin_width {
        Discretisation::FixedBinWidth(bw)
    } else {
        Discretisation::FixedBinNumber(args.bins.unwrap_or(32))
    };
    if args.distance == 0 {
        bail!("--distance must be at least 1");
    }
    let q = Quantised::new(&gray, mask.as_ref(), disc).context("discretisation")?;
    let agg = glcm::aggregate(&directional_glcms(&q, args.distance, &IBSI_DIRECTIONS_2D));
    let (p, r) = (args.lbp_points, args.lbp_radius);
    let hist = lbp::uniform_histogram(&gray, mask.as_ref(), p, r).context("LBP settings")?;
    let m = mask.as_ref();
    let rough = gradient::roughness(&gray, m, gradient::DEFAULT_FLATTEN_SIGMA);
    let mut out = Map::new();
    out.insert(
        "settings".into(),
        json!({
            "image": args.image.display().to_string(),
            "width": w,
            "height": h,
            "region": match (&args.mask, &args.roi) {
                (Some(p), _) => json!({"mask": p.display().to_string()}),
                (None, Some(s)) => json!({"roi": s}),
                _ => json!("whole_image"),
            },
            "region_pixels": q.inside_count(),
            "luminance": if img.color().has_color() { "image crate to_luma8 (Rec. 709 weights on gamma-encoded RGB)" } else { "greyscale input" },
            "discretisation": disc,
            "grey_levels": q.ng(),
            "glcm_distance": args.distance,
            "glcm_directions": IBSI_DIRECTIONS_2D.map(|(dx, dy)| [dx, dy]),
            "lbp_points": p,
            "lbp_radius": r,
            "local_std_window": LOCAL_STD_WINDOW,
            "flatten_sigma_px": gradient::DEFAULT_FLATTEN_SIGMA,
        }),
    );
    out.insert("glcm".into(), serde_json::to_value(&agg)?);
    out.insert(
        "lbp".into(),
        json!({
            "uniform_histogram": hist,
            "uniform_entropy": opt(lbp::histogram_entropy(&hist)),
        }),
    );
    out.insert(
        "gradient".into(),
        json!({
            "sobel_energy": opt(gradient::gradient_energy(&gray, m, gradient::Kernel::Sobel)),
            "scharr_energy": opt(gradient::gradient_energy(&gray, m, gradient::Kernel::Scharr)),
            "laplacian_variance": opt(gradient::laplacian_variance(&gray, m)),
            "local_std": opt(gradient::local_std(&gray, m, LOCAL_STD_WINDOW)),
            "roughness_ra": opt(rough.map(|r| r.ra)),
            "roughness_rq": opt(rough.map(|r| r.rq)),
        }),
    );
    if img.color().has_color() {
        let lab = colour::lab_planes(&img.to_rgb8());
        let full = GrayImage::from_pixel(w, h, image::Luma([255]));
        let region = m.unwrap_or(&full);
        let mean = colour::mean_lab(&lab, region);
        let ita = mean.map(|[l, _, b]| colour::ita_degrees(l, b));
        let ring = m.and_then(|m| {
            let ring = colour::ring_mask(m, 0.0, RING_OUTER_PX);
            colour::ring_contrast(&lab, m, &ring)
        });
        out.insert(
            "colour".into(),
            json!({
                "mean_lab": mean,
                "ita_degrees": opt(ita),
                "ita_band": ita.map(|i| colour::ItaBand::from_ita(i).as_str()),
                "ring_outer_px": RING_OUTER_PX,
                "ring_contrast": ring,
            }),
        );
    }
    Ok(Value::Object(out))
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e7).contains(&v.abs()) {
        format!("{v:.6}")
    } else {
        format!("{v:.6e}")
    }
}

/// Flattens nested JSON into `dotted.key -> text` rows for the table output.
fn flatten(prefix: &str, v: &Value, rows: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, rows);
            }
        }
        Value::Array(a) if a.iter().all(Value::is_number) => {
            let s: Vec<String> = a
                .iter()
                .map(|x| x.as_f64().map_or_else(|| x.to_string(), fmt_num))
                .collect();
            rows.push((prefix.to_string(), s.join(" ")));
        }
        Value::Number(n) => rows.push((
            prefix.to_string(),
            if n.is_f64() {
                n.as_f64().map_or_else(|| n.to_string(), fmt_num)
            } else {
                n.to_string()
            },
        )),
        Value::Null => rows.push((prefix.to_string(), "n/a".into())),
        Value::String(s) => rows.push((prefix.to_string(), s.clone())),
        other => rows.push((prefix.to_string(), other.to_string())),
    }
}

/// Runs `scarscope texture` and writes the result to `out`.
pub fn run(args: &TextureArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let v = compute(args)?;
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Table => {
            let mut rows = Vec::new();
            flatten("", &v, &mut rows);
            let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            for (k, val) in rows {
                writeln!(out, "{k:<width$}  {val}")?;
            }
        }
    }
    Ok(())
}
