//! The JSON contract of `scarscope compare` (`schema_version` 1), as Rust types.
//!
//! Field names are part of the contract: fields may be added, none renamed. Conventions are those of
//! [`crate::report`] (pixels of the upright image, origin top-left, y down; `null` for undefined numbers).
//! Registration convention: the transform maps *before*-pixel coordinates to *after*-pixel coordinates,
//! `x_after = scale · R(−rotation_deg) · (x_before − c) + c + shift_px`, where `c = ((w−1)/2, (h−1)/2)` is the
//! centre of the before image and `rotation_deg` is counter-clockwise as a viewer sees the picture (y points
//! down, so in pixel coordinates the rotation matrix uses −rotation_deg). `shift_px` is therefore where the
//! before image's centre lands in the after image, minus that centre.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::report::{ImageReport, Status, ToolInfo};

/// The whole document printed by `compare --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CompareReport {
    /// Version of this contract (always 1 for now).
    pub schema_version: u32,
    /// Which program wrote the report.
    pub tool: ToolInfo,
    /// The effective options of the run.
    pub settings: CompareSettings,
    /// One entry per pair, in sorted pair order.
    pub pairs: Vec<PairReport>,
    /// Totals over the pairs.
    pub batch: CompareBatch,
}

/// Effective options of a compare run (the thread count is deliberately absent).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CompareSettings {
    /// Scale of the *before* photos given with `--px-per-mm`, if any (the after photo's scale is this × the
    /// registration scale).
    pub px_per_mm: Option<f64>,
    /// Largest image accepted, in megapixels.
    pub max_megapixels: f64,
    /// Name of the rule profile.
    pub profile: String,
    /// How pairs were formed: `files`, `folders` or `pairs_csv`.
    pub pairing: String,
    /// The comparison thresholds in force.
    pub thresholds: super::profile::VerdictThresholds,
}

/// One before/after pair.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PairReport {
    /// Pair identifier (the CSV's `id`, else the shared relative path / stem, else `before → after` names).
    pub id: String,
    /// The before photo, exactly as `analyze` reports it.
    pub before: ImageReport,
    /// The after photo (colour-normalised to the before photo), exactly as `analyze` reports it.
    pub after: ImageReport,
    /// `ok` or `error`.
    pub status: Status,
    /// One-line reason, only when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The estimated before→after transform (`null` when a photo could not be read).
    pub registration: Option<RegistrationReport>,
    /// What was corrected in the after photo's colours (`null` when not done).
    pub normalisation: Option<NormalisationReport>,
    /// Measures before → after, over the area both photos show: `scar_count`, `scar_area`, `depth_proxy_total`,
    /// `depth_proxy_mean`, `roughness`, `redness`, `goodman_baron_quantitative`, `relief_index`, `relief_ratio`
    /// and `floor_darkening` (the share by which the atrophic scars' floors are darker than the skin around
    /// them), among others.
    pub changes: BTreeMap<String, Change>,
    /// Region-by-region matching.
    pub regions: Vec<RegionMatch>,
    /// `improved`, `no_clear_change` or `worse` (`null` on error).
    pub verdict: Option<ChangeVerdict>,
    /// How surely the verdict holds, 0..1, from the relief ratio `r` and the repeat-photo spread `σ` of
    /// `ln r` (`settings.thresholds`): `2Φ(|ln r| / σ) − 1` for `improved` / `worse` (how far the change
    /// stands out of the noise of photographing twice), one minus that for `no_clear_change`; `null` when no
    /// relief ratio could be measured.
    pub verdict_confidence: Option<f64>,
    /// Plain sentences behind the verdict (or the error).
    pub reasons: Vec<String>,
}

/// The estimated transform from before-pixel to after-pixel coordinates (see the module doc).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RegistrationReport {
    /// Whether the photos are judged to show the same area.
    pub ok: bool,
    /// Rotation, degrees counter-clockwise as a viewer sees it.
    pub rotation_deg: Option<f64>,
    /// Scale: after px per before px.
    pub scale: Option<f64>,
    /// Where the before image's centre lands in the after image, minus that centre: `[dx, dy]` px.
    pub shift_px: [Option<f64>; 2],
    /// Confidence 0..1 (the correlation of the aligned texture).
    pub confidence: f64,
    /// Share of the before photo that lies inside the after photo, 0..1.
    pub overlap: f64,
}

/// Colour correction applied to the after photo before analysis.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct NormalisationReport {
    /// Gain multiplied into the after photo's R, G, B (1 = unchanged).
    pub gain_rgb: [f64; 3],
    /// Brightness of the after photo relative to the before photo, before correction (1.3 = 30 % brighter).
    pub exposure_ratio: f64,
    /// Pixels of the shared area the gains were measured on.
    pub pixels_used: u64,
}

/// One measure before and after.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Change {
    /// Value in the before photo.
    pub before: Option<f64>,
    /// Value in the after photo (areas converted to the before frame).
    pub after: Option<f64>,
    /// `after − before`.
    pub delta: Option<f64>,
    /// `100 · delta / before`; `null` when before is 0 or unknown.
    pub percent: Option<f64>,
}

/// What happened to one region between the photos.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum RegionStatus {
    /// Matched, and its depth proxy is clearly smaller in magnitude.
    Improved,
    /// Matched, change within noise.
    Unchanged,
    /// Matched, and its depth proxy is clearly larger in magnitude.
    Worse,
    /// Seen before, not found after (inside the shared area).
    Resolved,
    /// Not seen before, found after (inside the shared area).
    New,
}

impl RegionStatus {
    /// The contract's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionStatus::Improved => "improved",
            RegionStatus::Unchanged => "unchanged",
            RegionStatus::Worse => "worse",
            RegionStatus::Resolved => "resolved",
            RegionStatus::New => "new",
        }
    }
}

/// One matched pair or lone region.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RegionMatch {
    /// Region id in the before photo (`null` for a new region).
    pub before_id: Option<u32>,
    /// Region id in the after photo (`null` for a resolved region).
    pub after_id: Option<u32>,
    /// What happened to it.
    pub status: RegionStatus,
    /// `after − before` depth proxy (a resolved region counts as 0 after, a new one as 0 before).
    pub depth_proxy_change: Option<f64>,
    /// Distance between the mapped centres, after-photo px (`null` for lone regions).
    pub distance_px: Option<f64>,
    /// After/before ratio of the odd shading relief measured at this scar's place in both aligned
    /// photos (see `relief_index`); `null` for non-scars or where it cannot be measured.
    pub relief_ratio: Option<f64>,
}

/// Verdict of one pair.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChangeVerdict {
    /// The scars look clearly better than repeat-photo noise allows.
    Improved,
    /// No change beyond repeat-photo noise (or signs that disagree).
    NoClearChange,
    /// The scars look clearly worse than repeat-photo noise allows.
    Worse,
}

impl ChangeVerdict {
    /// The contract's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeVerdict::Improved => "improved",
            ChangeVerdict::NoClearChange => "no_clear_change",
            ChangeVerdict::Worse => "worse",
        }
    }
}

/// Totals over the pairs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CompareBatch {
    /// Pairs reported (ok + failed).
    pub pairs: usize,
    /// Pairs compared.
    pub ok: usize,
    /// Pairs that could not be compared.
    pub failed: usize,
    /// Pairs per verdict (`improved`, `no_clear_change`, `worse`).
    pub verdicts: BTreeMap<String, usize>,
    /// Median `delta` and `percent` of each measure over the compared pairs.
    pub median_change: BTreeMap<String, MedianChange>,
    /// Files found on one side only (relative paths), before side.
    pub unpaired_before: Vec<String>,
    /// Files found on one side only (relative paths), after side.
    pub unpaired_after: Vec<String>,
    /// Non-image files met inside folders and skipped.
    pub skipped_non_image: usize,
}

/// Median change of one measure over the batch.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct MedianChange {
    /// Median of `delta` over pairs where it is defined.
    pub delta: Option<f64>,
    /// Median of `percent` over pairs where it is defined.
    pub percent: Option<f64>,
    /// Pairs that contributed a `delta`.
    pub pairs: usize,
}

/// The JSON Schema of [`CompareReport`], pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(CompareReport);
    serde_json::to_string_pretty(&schema).unwrap_or_else(|_| String::from("{}"))
}
