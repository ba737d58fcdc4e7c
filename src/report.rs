//! Report stage: the JSON contract (`schema_version` 1) that `analyze` prints, as Rust types.
//!
//! Field names are part of the contract: fields may be added, none renamed. `scarscope schema` prints the
//! JSON Schema generated from these types, and a test validates real output against it.
//!
//! Conventions that every field follows:
//! - Coordinates are pixels of the *upright* input image (EXIF orientation applied), origin top-left,
//!   x to the right, y down.
//! - Sizes are in px; a `_mm` field is filled only when the scale is known (`px_per_mm`), otherwise `null`.
//! - A depth proxy is relative and unitless (never millimetres); negative means depressed.
//! - Angles: `azimuth_deg` is the direction the light comes *from*, in degrees counter-clockwise from the
//!   image's +x axis as a viewer sees it (0 = from the right, 90 = from the top, 180 = from the left,
//!   270 = from the bottom), in `[0, 360)`.
//! - Numbers that a definition leaves undefined are `null`, never NaN.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the JSON contract; bumped only when a field is renamed or removed.
pub const SCHEMA_VERSION: u32 = 1;

/// Named numbers (texture or region features); `null` where the value is undefined.
pub type Features = BTreeMap<String, Option<f64>>;

/// The whole document printed by `analyze --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Version of this contract (always 1 for now).
    pub schema_version: u32,
    /// Which program wrote the report.
    pub tool: ToolInfo,
    /// The effective options the images were analysed with.
    pub settings: Settings,
    /// One entry per input image, in sorted input order.
    pub images: Vec<ImageReport>,
    /// Totals over the batch.
    pub batch: BatchSummary,
}

/// The not-a-medical-device notice: in `--help`, once in every table and in JSON as `tool.notice`.
pub const NOTICE: &str =
    "scarscope is not a medical device: it describes what is typical for the kind of \
picture it sees; it is not a diagnosis and not treatment advice.";

/// Name and version of the program that wrote a report.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[schemars(transform = require_notice)]
pub struct ToolInfo {
    /// Always `scarscope`.
    pub name: String,
    /// The crate version.
    pub version: String,
    /// That scarscope is not a medical device and what its output is and is not (always written; reports
    /// of older versions lack it, hence the default when read back; the schema still requires it of output).
    #[serde(default)]
    pub notice: String,
}

/// Lists `notice` as required in [`ToolInfo`]'s schema: `#[serde(default)]` (there for reading older reports)
/// would otherwise make it optional, and every report written now carries it.
fn require_notice(schema: &mut schemars::Schema) {
    if let Some(required) = schema
        .get_mut("required")
        .and_then(serde_json::Value::as_array_mut)
    {
        required.push("notice".into());
    }
}

impl ToolInfo {
    /// The running program's name, version and notice.
    pub fn current() -> Self {
        ToolInfo {
            name: "scarscope".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            notice: NOTICE.into(),
        }
    }
}

/// Effective options of a run. The thread count is deliberately absent: output must not depend on it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Settings {
    /// Scale given with `--px-per-mm`, if any.
    pub px_per_mm: Option<f64>,
    /// Largest image accepted, in megapixels (declared size, checked before decoding).
    pub max_megapixels: f64,
    /// Name of the rule profile (`default` or the file given with `--profile`).
    pub profile: String,
    /// Side of the working resolution the analysis downsamples to, in px (longest side).
    pub working_max_side: Option<u32>,
}

/// Whether an image was analysed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Loaded and analysed.
    Ok,
    /// Could not be loaded or analysed; see `error`.
    Error,
}

/// Where `px_per_mm` came from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScaleSource {
    /// Given by the user with `--px-per-mm`.
    Flag,
    /// Estimated from the image content.
    Estimated,
    /// Unknown: sizes in mm are `null`.
    None,
}

impl ScaleSource {
    /// The name in reports (`flag`, `estimated`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScaleSource::Flag => "flag",
            ScaleSource::Estimated => "estimated",
            ScaleSource::None => "none",
        }
    }
}

/// One analysed (or failed) image.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ImageReport {
    /// The path as discovered (as given, or joined under the folder given; `<stdin>` for `-`).
    pub path: String,
    /// `ok` or `error`.
    pub status: Status,
    /// One-line reason, only when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Upright width in px (`null` if the file could not be read that far).
    pub width: Option<u32>,
    /// Upright height in px (`null` if the file could not be read that far).
    pub height: Option<u32>,
    /// Scale in px per mm, when known.
    pub px_per_mm: Option<f64>,
    /// Where the scale came from.
    pub scale_source: ScaleSource,
    /// How usable the photo is for analysis (`null` on error).
    pub quality: Option<Quality>,
    /// Estimated light direction (`null` on error).
    pub lighting: Option<Lighting>,
    /// Texture numbers over the skin area.
    pub texture: Features,
    /// Lesions found, numbered from 1.
    pub regions: Vec<Region>,
    /// Per-image summary (`null` on error).
    pub summary: Option<Summary>,
    /// Whether this is the typical picture of a microneedling candidate (`null` on error).
    pub microneedling: Option<Microneedling>,
}

impl ImageReport {
    /// A report for an image that failed, with a one-line reason.
    pub fn failed(
        path: String,
        error: String,
        size: Option<(u32, u32)>,
        px_per_mm: Option<f64>,
    ) -> Self {
        ImageReport {
            path,
            status: Status::Error,
            error: Some(one_line(&error)),
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
            px_per_mm,
            scale_source: if px_per_mm.is_some() {
                ScaleSource::Flag
            } else {
                ScaleSource::None
            },
            quality: None,
            lighting: None,
            texture: Features::new(),
            regions: Vec::new(),
            summary: None,
            microneedling: None,
        }
    }
}

/// Folds a message onto one line (error chains may carry newlines).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Photo quality: how much skin, how sharp, how exposed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Quality {
    /// Share of the image judged to be skin, 0..1.
    pub skin_fraction: f64,
    /// Whether the photo is good enough for a verdict.
    pub usable: bool,
    /// Plain sentences on what limits the analysis.
    pub notes: Vec<String>,
    /// Sharpness (variance of the Laplacian of the working luminance, 0..255 scale); higher is sharper.
    pub sharpness: Option<f64>,
    /// Mean luminance of the skin, 0..1.
    pub exposure: Option<f64>,
    /// Share of skin pixels that are clipped highlights (glare), 0..1.
    pub glare_fraction: Option<f64>,
    /// ITA° skin-tone angle of the median skin colour.
    pub ita_deg: Option<f64>,
    /// ITA° band: very_light, light, intermediate, tan, brown or dark.
    pub skin_tone: Option<String>,
}

/// Estimated light direction.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Lighting {
    /// Direction the light comes from, degrees counter-clockwise from +x (0 = right, 90 = top); `null` if flat.
    pub azimuth_deg: Option<f64>,
    /// Confidence in the azimuth, 0..1 (near 0 under flat frontal light).
    pub confidence: f64,
}

/// Lesion family.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum RegionClass {
    /// Sunken scar (ice pick, boxcar, rolling).
    Atrophic,
    /// Raised scar (hypertrophic, keloid).
    Hypertrophic,
    /// Active acne (papule, pustule).
    Inflammatory,
    /// Colour only, no relief (pigmented or erythematous mark).
    Flat,
}

/// Lesion kind within its family.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Subtype {
    /// Narrow (< 2 mm) deep V-shaped pit.
    IcePick,
    /// 1.5-4 mm U-shaped depression with a flat floor and steep walls.
    Boxcar,
    /// Wide (> 4-5 mm) shallow M-shaped depression with sloping edges.
    Rolling,
    /// Raised scar within the original wound.
    Hypertrophic,
    /// Raised scar, large or irregular, beyond the original wound.
    Keloid,
    /// Inflamed red bump.
    Papule,
    /// Inflamed bump with a white-yellow head.
    Pustule,
    /// Brown flat mark (post-inflammatory hyperpigmentation).
    Pigmented,
    /// Red flat mark (post-inflammatory erythema).
    Erythematous,
}

impl Subtype {
    /// Every subtype, in contract order.
    pub const ALL: [Subtype; 9] = [
        Subtype::IcePick,
        Subtype::Boxcar,
        Subtype::Rolling,
        Subtype::Hypertrophic,
        Subtype::Keloid,
        Subtype::Papule,
        Subtype::Pustule,
        Subtype::Pigmented,
        Subtype::Erythematous,
    ];

    /// The family a subtype belongs to.
    pub fn class(self) -> RegionClass {
        match self {
            Subtype::IcePick | Subtype::Boxcar | Subtype::Rolling => RegionClass::Atrophic,
            Subtype::Hypertrophic | Subtype::Keloid => RegionClass::Hypertrophic,
            Subtype::Papule | Subtype::Pustule => RegionClass::Inflammatory,
            Subtype::Pigmented | Subtype::Erythematous => RegionClass::Flat,
        }
    }

    /// The contract's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Subtype::IcePick => "ice_pick",
            Subtype::Boxcar => "boxcar",
            Subtype::Rolling => "rolling",
            Subtype::Hypertrophic => "hypertrophic",
            Subtype::Keloid => "keloid",
            Subtype::Papule => "papule",
            Subtype::Pustule => "pustule",
            Subtype::Pigmented => "pigmented",
            Subtype::Erythematous => "erythematous",
        }
    }

    /// Whether this subtype is a scar (atrophic or raised), as opposed to active acne or a flat mark.
    pub fn is_scar(self) -> bool {
        matches!(
            self.class(),
            RegionClass::Atrophic | RegionClass::Hypertrophic
        )
    }
}

impl RegionClass {
    /// The contract's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionClass::Atrophic => "atrophic",
            RegionClass::Hypertrophic => "hypertrophic",
            RegionClass::Inflammatory => "inflammatory",
            RegionClass::Flat => "flat",
        }
    }
}

/// Surface relief of a region, read from the order of bright and dark along the light direction.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Relief {
    /// Sunken: dark on the wall nearest the light, bright on the far wall.
    Depressed,
    /// Raised: bright on the near slope, shadowed on the far side.
    Raised,
    /// No bright/dark pair: colour only.
    Flat,
    /// The light is too flat or the region too small to tell.
    Unknown,
}

impl Relief {
    /// The contract's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Relief::Depressed => "depressed",
            Relief::Raised => "raised",
            Relief::Flat => "flat",
            Relief::Unknown => "unknown",
        }
    }
}

/// One lesion found in an image.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Region {
    /// Number within the image, from 1, in detection order (stable for the same input).
    pub id: u32,
    /// Centre `[x, y]` in px.
    pub center: [f64; 2],
    /// Bounding box `[x, y, w, h]` in px.
    pub bbox: [u32; 4],
    /// Area in px².
    pub area_px: f64,
    /// Equivalent-circle diameter in px.
    pub diameter_px: f64,
    /// Equivalent-circle diameter in mm, when the scale is known.
    pub diameter_mm: Option<f64>,
    /// Lesion family.
    pub class: RegionClass,
    /// Lesion kind.
    pub subtype: Subtype,
    /// Confidence in class and subtype, 0..1.
    pub confidence: f64,
    /// Surface relief.
    pub relief: Relief,
    /// Signed relative depth proxy (unitless; negative = depressed, positive = raised).
    pub depth_proxy: f64,
    /// Measured numbers behind the classification.
    pub features: Features,
    /// Plain sentences saying why the region got its class and subtype.
    pub reasons: Vec<String>,
}

#[cfg(test)]
impl Region {
    /// A region for unit tests: number 1, `subtype` at `confidence`, 20 px across centred at (10, 10), relief
    /// unknown, one reason ("test").
    pub(crate) fn example(subtype: Subtype, confidence: f64) -> Region {
        Region {
            id: 1,
            center: [10.0, 10.0],
            bbox: [0, 0, 20, 20],
            area_px: 300.0,
            diameter_px: 20.0,
            diameter_mm: None,
            class: subtype.class(),
            subtype,
            confidence,
            relief: Relief::Unknown,
            depth_proxy: 0.0,
            features: Features::new(),
            reasons: vec!["test".to_string()],
        }
    }
}

/// What a picture shows as its main finding (image-level family; also the families of a labels file).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Atrophic acne scars (pits, boxcars, rolling).
    Atrophic,
    /// Raised scars (hypertrophic, keloid).
    Raised,
    /// Active acne (papules, pustules, nodules).
    Active,
    /// Flat marks (post-inflammatory pigment or redness).
    Flat,
    /// Skin without scars or acne.
    Clear,
}

impl Family {
    /// Every family, in the order tables list them.
    pub const ALL: [Family; 5] = [
        Family::Atrophic,
        Family::Raised,
        Family::Active,
        Family::Flat,
        Family::Clear,
    ];

    /// The snake_case name used in labels files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Atrophic => "atrophic",
            Family::Raised => "raised",
            Family::Active => "active",
            Family::Flat => "flat",
            Family::Clear => "clear",
        }
    }

    /// Parses a family name (exact, lower case).
    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Position in [`Family::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Dominant lesion family of an image.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Dominant {
    /// Sunken scars dominate.
    Atrophic,
    /// Raised scars dominate.
    Hypertrophic,
    /// No scars found.
    None,
}

impl Dominant {
    /// The contract's name (`atrophic`, `hypertrophic`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dominant::Atrophic => "atrophic",
            Dominant::Hypertrophic => "hypertrophic",
            Dominant::None => "none",
        }
    }
}

/// Per-image summary.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Summary {
    /// Number of regions per subtype (every subtype listed, zeros included).
    pub counts: BTreeMap<String, u32>,
    /// The dominant scar family.
    pub dominant: Dominant,
    /// The dominant scar subtype, `null` when no scars.
    pub dominant_subtype: Option<Subtype>,
    /// Whether active acne (papules, pustules) is seen.
    pub active_inflammation: bool,
    /// Goodman & Baron qualitative grade estimate (1-4; a photo cannot do the stretch test, so 3 stands for 3-4).
    pub goodman_baron_qualitative: Option<u8>,
    /// Goodman & Baron quantitative score estimate (max 84); an estimate, changes under ~4 points are noise.
    pub goodman_baron_quantitative: Option<f64>,
    /// ECCA score estimate (0-540), weights not checked against the paper.
    pub ecca: Option<f64>,
    /// Plain sentences on how the summary was reached and its limits.
    pub notes: Vec<String>,
    /// What the picture shows as its main finding, from the scoring table; `null` when the evidence is too
    /// weak to say (`uncertain`).
    #[serde(default)]
    pub family: Option<Family>,
    /// Probability of the family the scoring table gives (0..1): the highest of `family_probabilities`, but
    /// held at the table's `small_photo_confidence` (0.5) on a photo smaller than its `small_photo_px`,
    /// where photos of every kind are often read as raised scars (the reasons say so).
    #[serde(default)]
    pub family_confidence: f64,
    /// Probability of each family from the scoring table (they sum to 1).
    #[serde(default)]
    pub family_probabilities: BTreeMap<String, f64>,
    /// The picture features the scoring table read (`summary.features`; definitions in README).
    #[serde(default)]
    pub features: Features,
}

/// Microneedling verdict.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The typical picture of someone whom microneedling helps.
    Typical,
    /// Not the typical picture (raised scars, active acne, or nothing to treat).
    NotTypical,
    /// The photo cannot tell.
    Uncertain,
}

impl Verdict {
    /// The contract's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Typical => "typical",
            Verdict::NotTypical => "not_typical",
            Verdict::Uncertain => "uncertain",
        }
    }
}

/// Whether a photo is the typical picture of a microneedling candidate, and why.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Microneedling {
    /// `typical`, `not_typical` or `uncertain`.
    pub verdict: Verdict,
    /// Plain sentences behind the verdict.
    pub reasons: Vec<String>,
    /// What no photo can show and a clinician must ask about.
    pub cannot_assess: Vec<String>,
    /// The typical course in the literature, as information, not advice.
    pub typical_course: Option<String>,
}

/// Totals over a batch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct BatchSummary {
    /// Images reported (ok + failed).
    pub images: usize,
    /// Images analysed.
    pub ok: usize,
    /// Images that failed.
    pub failed: usize,
    /// Non-image files met inside folders and skipped.
    pub skipped_non_image: usize,
    /// Images per dominant family (`atrophic`, `hypertrophic`, `none`).
    pub dominant: BTreeMap<String, usize>,
    /// Images per microneedling verdict.
    pub verdicts: BTreeMap<String, usize>,
    /// Images with active inflammation.
    pub active_inflammation: usize,
}

impl BatchSummary {
    /// Adds one image report to the totals.
    pub fn add(&mut self, img: &ImageReport) {
        self.images += 1;
        match img.status {
            Status::Ok => self.ok += 1,
            Status::Error => self.failed += 1,
        }
        if let Some(s) = &img.summary {
            *self
                .dominant
                .entry(s.dominant.as_str().to_string())
                .or_default() += 1;
            if s.active_inflammation {
                self.active_inflammation += 1;
            }
        }
        if let Some(m) = &img.microneedling {
            *self
                .verdicts
                .entry(m.verdict.as_str().to_string())
                .or_default() += 1;
        }
    }
}

/// Rounds a number for the report (6 significant digits is plenty and keeps output stable and short).
pub fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let mag = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(5 - mag);
    (x * scale).round() / scale
}

/// The bounding box `[x, y, width, height]` in input px of the span from `lo` to `hi` (input px, rounded):
/// inside an input of size `full`, at least 1 px wide and high.
pub fn bbox_within(lo: [f64; 2], hi: [f64; 2], full: (u32, u32)) -> [u32; 4] {
    let px = |v: f64| v.round().max(0.0) as u32;
    let x0 = px(lo[0]).min(full.0.saturating_sub(1));
    let y0 = px(lo[1]).min(full.1.saturating_sub(1));
    let x1 = px(hi[0]).clamp(x0 + 1, full.0.max(x0 + 1));
    let y1 = px(hi[1]).clamp(y0 + 1, full.1.max(y0 + 1));
    [x0, y0, x1 - x0, y1 - y0]
}

/// A finite number rounded for the report, or `None` (JSON `null`) when undefined.
pub fn num(x: f64) -> Option<f64> {
    if x.is_finite() {
        Some(round_sig(x))
    } else {
        None
    }
}

/// The JSON Schema of [`Report`], pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Report);
    serde_json::to_string_pretty(&schema).unwrap_or_else(|_| String::from("{}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtype_names_match_serde() {
        for s in Subtype::ALL {
            let json = serde_json::to_string(&s).expect("serialise");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn round_sig_keeps_six_digits() {
        assert_eq!(round_sig(1.23456789), 1.23457);
        assert_eq!(round_sig(-0.000123456789), -0.000123457);
        assert_eq!(round_sig(123456789.0), 123457000.0);
        assert!(num(f64::NAN).is_none());
    }
}
