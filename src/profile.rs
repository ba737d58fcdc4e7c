//! Rule profile: every threshold of the analysis in one documented TOML file, built into the binary.
//!
//! `profiles/default.toml` is embedded at compile time; `--profile FILE` replaces it. The report's
//! `settings.profile` names the profile used. Each stage reads its own section; a section left out of a
//! user's file takes the built-in values, so a profile may override only what it needs.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The built-in profile's TOML text.
pub const DEFAULT_TOML: &str = include_str!("../profiles/default.toml");

/// The built-in scoring table's TOML text, written by `scarscope calibrate --decision-only` on the
/// development set of real photos (its header says how).
pub const DECISION_TOML: &str = include_str!("../profiles/decision.toml");

/// All thresholds of the analysis, as read from a profile file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name shown in the report's `settings.profile`.
    pub name: String,
    /// Working resolution, skin mask, photo quality and illumination flattening.
    pub prepare: PrepareRules,
    /// The scale estimated from a visible iris when none is given.
    pub scale: ScaleRules,
    /// Light-direction estimate.
    pub light: LightRules,
    /// Candidate detection.
    pub detect: DetectRules,
    /// Region measurement.
    pub measure: MeasureRules,
    /// Classification thresholds.
    pub classify: ClassifyRules,
    /// Summary and verdict thresholds.
    pub summary: SummaryRules,
    /// Before/after comparison: registration, colour matching, region matching, relief and verdict.
    pub compare: crate::compare::profile::CompareProfile,
    /// The image-level scoring table (written by `scarscope calibrate`).
    pub decision: crate::analysis::decide::DecisionRules,
}

/// Thresholds of the prepare stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrepareRules {
    /// Working scale aimed at when the scale is known, px/mm.
    pub target_px_per_mm: f64,
    /// Lowest working scale accepted when the pixel budget forces a smaller image, px/mm.
    pub min_px_per_mm: f64,
    /// Longest side of the working image when the scale is unknown, px.
    pub max_side_unscaled: u32,
    /// Pixel budget of the working image, megapixels.
    pub max_working_megapixels: f64,
    /// Background (illumination) blur sigma when the scale is known, mm.
    pub background_sigma_mm: f64,
    /// Background blur sigma as a fraction of the longest side when the scale is unknown.
    pub background_sigma_fraction: f64,
    /// Half-width of the skin cluster in a*/b* (CIELAB units), lower bound.
    pub skin_ab_radius: f64,
    /// Half-width of the skin cluster in a*/b* as a multiple of the cluster's MAD.
    pub skin_ab_mads: f64,
    /// Skin lightness allowed below the cluster's median L*.
    pub skin_l_below: f64,
    /// Skin lightness allowed above the cluster's median L*.
    pub skin_l_above: f64,
    /// Minimal chroma of a skin pixel (excludes white/grey/black boxes and text).
    pub skin_min_chroma: f64,
    /// Maximal L* of a skin pixel (clipped white is never skin).
    pub skin_max_l: f64,
    /// Smallest skin component kept, as a fraction of the image.
    pub min_component_fraction: f64,
    /// Largest hole inside skin that is filled (lesions), as a fraction of the image.
    pub max_hole_fraction: f64,
    /// A hole whose share of white pixels (sclera, white text or boxes) reaches this stays out of the skin.
    pub hole_max_white_share: f64,
    /// A white pixel has at most this CIELAB chroma C*.
    pub white_max_chroma: f64,
    /// A white pixel is at least this much lighter than the skin's median L*.
    pub white_l_above: f64,
    /// A hole is also an eye when at least `eye_pale_share` of it is a greyish white (chroma at most
    /// `white_max_chroma`, no more than `eye_pale_below` under the skin's median L*, below clipping) and at
    /// least `eye_dark_share` of it is iris or pupil (`eye_dark_below` or more under the skin's L*).
    pub eye_pale_share: f64,
    /// See `eye_pale_share`.
    pub eye_pale_below: f64,
    /// See `eye_pale_share`.
    pub eye_dark_share: f64,
    /// See `eye_pale_share`.
    pub eye_dark_below: f64,
    /// On a face (two eyes found), a hole at least this much redder (Δa*) than the skin, where the mouth is,
    /// is the lips.
    pub lips_min_delta_a: f64,
    /// Range of ln(R/G) (linear light) that skin of any tone spans; a skin median outside it is a colour cast.
    pub skin_ln_rg: [f64; 2],
    /// Range of ln(G/B) (linear light) that skin of any tone spans.
    pub skin_ln_gb: [f64; 2],
    /// Largest channel gain the white balance applies (a camera's white balance errs by less).
    pub max_cast_gain: f64,
    /// The mouth's centre lies this far below the eyes, in interocular distances (from, to).
    pub mouth_below_eyes: [f64; 2],
    /// ... and within this many interocular distances of the eyes' middle, left or right.
    pub mouth_half_width: f64,
    /// On a face, a hole at least this much darker (ΔL*) than the skin above an eye is an eyebrow, and one
    /// below the eyes' middle is a nostril.
    pub face_dark_delta_l: f64,
    /// An eyebrow's centre lies this far above its eye, in interocular distances (from, to) …
    pub brow_above_eyes: [f64; 2],
    /// … and within this many interocular distances of the eye, left or right.
    pub brow_half_width: f64,
    /// The nostrils lie this far below the eyes, in interocular distances (from, to) …
    pub nostrils_below_eyes: [f64; 2],
    /// … and within this many interocular distances of the eyes' middle, left or right.
    pub nostrils_half_width: f64,
    /// Skin fraction below which the photo is not usable.
    pub min_skin_fraction: f64,
    /// Shortest side of the skin's bounding box below which the photo is not usable, px.
    pub min_side_px: u32,
    /// Laplacian variance (0..255 scale) below which the photo is too blurred.
    pub min_sharpness: f64,
    /// Glare fraction above which the photo is not usable.
    pub max_glare_fraction: f64,
    /// Share of impulse px (see [`crate::impulse`]) from which the report notes their removal.
    pub impulse_note_share: f64,
}

impl Default for PrepareRules {
    fn default() -> Self {
        Profile::builtin().prepare
    }
}

/// Thresholds of the scale stage ([`crate::analysis::scale`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScaleRules {
    /// Horizontal visible iris diameter of an adult, mm.
    pub iris_mm: f64,
    /// Narrowest iris measured, working px (a pixel more or less is then at most this share of the width).
    pub min_iris_px: f64,
    /// Two irises whose widths differ by more than this share of the narrower give no scale.
    pub max_width_disagreement: f64,
    /// The adult eyes' centres lie this far apart, mm (from, to); two irises that put them elsewhere give no
    /// scale.
    pub interpupillary_mm: [f64; 2],
    /// An iris holds a pupil or dark iris at least this much darker (ΔL*) than the skin's median.
    pub pupil_below_skin_l: f64,
    /// The eye's visible white, end to end in the iris's row, spans this many iris widths (from, to).
    pub eye_to_iris: [f64; 2],
    /// Rows that show a chord at least half the iris's width, as a share of its width (a disc, not a line).
    pub min_iris_rows: f64,
    /// The eye's opening (the white hole's height) spans at most this many iris widths.
    pub max_opening_to_iris: f64,
}

/// Thresholds of the light stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LightRules {
    /// Pore-scale blob sigma when the scale is known, mm.
    pub pore_sigma_mm: f64,
    /// Pore-scale blob sigma when the scale is unknown, px.
    pub pore_sigma_px: f64,
    /// Dark blobs must exceed this many robust standard deviations of the pore-scale response.
    pub blob_z: f64,
    /// Most blobs used (a deterministic stride keeps the estimate fast on large images).
    pub max_blobs: usize,
    /// Resultant length (0..1) that maps to full confidence.
    pub full_confidence_resultant: f64,
    /// Pore confidence from which the lesion-axis cue is not consulted.
    pub full_confidence_fallback: f64,
    /// Lesions needed for the lesion-axis cue.
    pub min_lesions_for_axis: usize,
    /// Concentration (0..1) of the lesions' doubled-angle moments needed to trust their axis.
    pub min_axis_resultant: f64,
    /// The pores' projection on that axis must reach this many standard deviations to give the sign.
    pub min_sign_z: f64,
    /// Mean a* residual above which a lesion counts as red for the colour sign of the lesion axis.
    pub red_lesion_delta_a: f64,
    /// Largest change in ln(R/G) and ln(G/B) against the ring for a lesion to count as skin-coloured (a
    /// pit) for the colour sign.
    pub neutral_lesion_chromaticity: f64,
    /// Red and skin-coloured lesions with a clear moment along the axis needed for the colour sign.
    pub min_red_votes: usize,
    /// Share of those lesions that must agree on the side of the light.
    pub min_red_agreement: f64,
    /// Confidence given to an azimuth signed by the lesions' colour (the pores could not sign it).
    pub red_sign_confidence: f64,
    /// Below this confidence the azimuth is reported as null.
    pub min_confidence: f64,
}

impl Default for LightRules {
    fn default() -> Self {
        Profile::builtin().light
    }
}

/// Thresholds of the detect stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DetectRules {
    /// Smallest lesion radius searched when the scale is known, mm (pores are smaller).
    pub min_radius_mm: f64,
    /// Largest lesion radius searched when the scale is known, mm.
    pub max_radius_mm: f64,
    /// Smallest radius searched without a scale, px.
    pub min_radius_px: f64,
    /// Largest radius searched without a scale, as a fraction of the shorter side.
    pub max_radius_fraction: f64,
    /// Ratio between successive scales.
    pub scale_step: f64,
    /// Radius = sigma x this (sqrt(2) for a disc under the Laplacian of Gaussian, domain.md §4).
    pub radius_per_sigma: f64,
    /// Weight turning a* units into log-luminance units in the combined response.
    pub redness_weight: f64,
    /// Minimal combined response (log-luminance units, about a fractional contrast).
    pub min_response: f64,
    /// Minimal response in robust standard deviations of the same scale's response over the skin.
    pub min_z: f64,
    /// Two candidates closer than this fraction of the larger radius are one lesion.
    pub nms_overlap: f64,
    /// Most regions reported per image.
    pub max_regions: usize,
    /// Blob candidates (not segmented) must be at least this wide in radius, mm: soft lesions only.
    pub soft_min_radius_mm: f64,
    /// The same without a scale, px.
    pub soft_min_radius_px: f64,
    /// Coarse segmentation pass (soft wide lesions): contrast smoothing, mm.
    pub coarse_smooth_mm: f64,
    /// Coarse pass: smallest radius kept, mm.
    pub coarse_min_radius_mm: f64,
    /// Coarse pass: strong threshold in robust deviations.
    pub coarse_high_z: f64,
    /// Coarse pass: strong threshold's absolute floor (log units).
    pub coarse_min_contrast: f64,
    /// Smoothing of the contrast map before segmentation, mm (a pore's scale).
    pub segment_smooth_mm: f64,
    /// Weight of |a*| residual in the segmentation contrast (log-luminance units per a* unit).
    pub segment_redness_weight: f64,
    /// A segmented lesion must reach the skin's median contrast plus this many robust deviations.
    pub segment_high_z: f64,
    /// ... and at least this absolute contrast (log units).
    pub segment_min_contrast: f64,
    /// Strong-contrast pixels a segmented lesion needs, as a share of the smallest lesion's area.
    pub segment_min_core: f64,
    /// A dark and a bright segment are one lesion when closer than this times the sum of their radii...
    pub pair_distance: f64,
    /// ... and when the line between them is this aligned with the light (|cos|).
    pub pair_alignment: f64,
    /// Gaps narrower than this are closed so a pit's two crescents join, mm.
    pub segment_close_mm: f64,
    /// Depression pass (wide shallow pits, rolling scars): smallest lesion radius searched, mm.
    pub relief_min_radius_mm: f64,
    /// Depression pass: largest lesion radius searched, mm.
    pub relief_max_radius_mm: f64,
    /// Depression pass without a scale: smallest radius as a fraction of the shorter side.
    pub relief_min_radius_fraction: f64,
    /// Depression pass without a scale: largest radius as a fraction of the shorter side.
    pub relief_max_radius_fraction: f64,
    /// Depression pass: ratio between successive radii.
    pub relief_scale_step: f64,
    /// Depression pass: Gaussian sigma of the along-light derivative per lesion radius.
    pub relief_sigma_per_radius: f64,
    /// Depression pass: the signed along-light response must reach this many robust deviations.
    pub relief_min_z: f64,
    /// Depression pass: a peak with an opposite (bump) peak stronger than this share of it within two radii
    /// is a bump's flank.
    pub relief_max_side_lobe: f64,
    /// Segments thinner than this (mean width, mm) and long ([`Self::line_min_elongation`]) are hairs.
    pub line_max_width_mm: f64,
    /// The same without a scale, px.
    pub line_max_width_px: f64,
    /// Length per mean width from which a thin segment is a line (a hair), not a lesion.
    pub line_min_elongation: f64,
}

impl Default for DetectRules {
    fn default() -> Self {
        Profile::builtin().detect
    }
}

/// Thresholds of the measure stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MeasureRules {
    /// Residual brighter than this (log units) with low chroma counts as a specular highlight.
    pub gloss_log: f64,
    /// Rim annulus starts at this fraction of the radius (wall-profile measure).
    pub rim_start: f64,
    /// Centre disc radius as a fraction of the radius (pustule head, dark centre).
    pub centre_fraction: f64,
    /// Share of the region's excess contrast inside the measured radius.
    pub edge_energy: f64,
    /// Footprint radius per measured radius (calibrated on rendered lesions of known size).
    pub radius_calibration: f64,
    /// Footprint radius per equivalent radius of a segmented region.
    pub segment_radius_calibration: f64,
    /// A bowl found by its shading pair: distance between its dark and bright walls along the light per
    /// footprint radius.
    pub bowl_extremes_per_radius: f64,
    /// Smoothing of that along-light profile, per detection radius.
    pub bowl_profile_smooth: f64,
}

impl Default for MeasureRules {
    fn default() -> Self {
        Profile::builtin().measure
    }
}

/// Thresholds of the classify stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRules {
    /// Light confidence below which relief is unknown.
    pub min_light_confidence: f64,
    /// Smallest radius whose relief is read, px.
    pub min_relief_radius_px: f64,
    /// Antisymmetric share of the shading energy above which the region has relief.
    pub min_antisymmetry: f64,
    /// Log-chromaticity change from which a region is strongly coloured (brown or red).
    pub colourful_chromaticity: f64,
    /// Antisymmetric share a strongly coloured region needs to count as relief.
    pub min_antisymmetry_colourful: f64,
    /// Antisymmetric share that suffices when the region's chromaticity is unchanged (a shadow, not pigment).
    pub min_antisymmetry_neutral: f64,
    /// A shading amplitude (log units) this strong is relief even under a strong colour change...
    pub strong_relief_amplitude: f64,
    /// ... when at least this share of the shading is one-sided.
    pub min_antisymmetry_strong: f64,
    /// Rim share of the shading above which a raised lesion is a plateau (scar), not a dome (papule).
    pub plateau_rim_fraction: f64,
    /// Smallest shading amplitude (log units) that counts as relief.
    pub min_relief_amplitude: f64,
    /// Ice pick is narrower than this, mm (domain.md §1).
    pub ice_pick_max_mm: f64,
    /// Boxcar is at least this wide, mm (domain.md §1: 1.5-4 mm; overlap with ice pick at 1.5-2 mm).
    pub boxcar_min_mm: f64,
    /// Rolling is wider than this, mm (domain.md §1: > 4-5 mm).
    pub rolling_min_mm: f64,
    /// Centre darker than this (log units) is a V profile (ice pick).
    pub v_centre_level: f64,
    /// A chromatically neutral region darker than this (ΔL*) at its centre is a shadowed pit.
    pub pit_delta_l: f64,
    /// Rim share of the antisymmetric shading above which the wall is steep (U, boxcar).
    pub steep_rim_fraction: f64,
    /// Without a scale: ice pick is narrower than this fraction of the shorter image side.
    pub unscaled_ice_pick_fraction: f64,
    /// Without a scale: rolling is wider than this fraction of the shorter image side.
    pub unscaled_rolling_fraction: f64,
    /// Δa* (lesion minus ring) above which a region is red.
    pub red_delta_a: f64,
    /// Δa* of the halo ring above which redness spreads around the lesion (active acne).
    pub halo_delta_a: f64,
    /// Active acne is at most this wide, mm (domain.md §1: 1-5 mm+).
    pub papule_max_mm: f64,
    /// Keloid: raised lesions wider than this, mm.
    pub keloid_min_mm: f64,
    /// Keloid: circularity below this is irregular.
    pub keloid_max_circularity: f64,
    /// Keloid: a red raised lesion with Δb* below this is dusky (red-purple).
    pub keloid_dusky_delta_b: f64,
    /// Hypertrophic: eccentricity above this is elongated.
    pub elongated_eccentricity: f64,
    /// Gloss fraction above which a raised lesion is glossy.
    pub glossy_fraction: f64,
    /// Centre-minus-annulus ΔL* above which a pustule head is seen.
    pub pustule_head_delta_l: f64,
    /// Shading-invariant chromaticity change (log G/B) above which a dark mark is pigment, not shadow.
    pub pigment_chromaticity: f64,
    /// Log-chromaticity change below which a region is colour-neutral (light and shadow only).
    pub neutral_chromaticity: f64,
    /// A skin-coloured, weakly shaded undulation at least this wide (mm) is a rolling scar.
    pub undulation_min_mm: f64,
    /// Confidence multiplier of that reading.
    pub undulation_confidence: f64,
    /// Confidence multiplier of a raised lesion that is not red (below the summary's counting line).
    pub uncoloured_raised_confidence: f64,
    /// Confidence multiplier when sizes are relative (no scale).
    pub unscaled_confidence: f64,
    /// Confidence multiplier when the relief is unknown.
    pub unknown_relief_confidence: f64,
    /// A region found only by the depression pass must be at least this light against its ring (log units).
    pub soft_pit_min_level: f64,
    /// Red also when Δln(R/G) reaches this with Δln(G/B) <= 0 (haemoglobin, not melanin).
    pub red_ln_rg: f64,
    /// Weights of the score that tells active acne from a raised scar.
    pub raised_score: RaisedScoreWeights,
    /// A picture the scoring table reads as raised scars at least this surely has its shadows of unreadable
    /// relief read as raised lesions' (the reconcile stage).
    pub picture_relief_min_confidence: f64,
    /// A picture the scoring table reads as clear skin at least this surely keeps its scar and acne regions
    /// listed, at the lowest confidence and uncounted (the reconcile stage).
    pub clear_picture_min_confidence: f64,
    /// A region's confidence before its rules apply, at the detection threshold.
    pub base_confidence: f64,
    /// What the detection's strength adds to `base_confidence`, in full once z is twice the threshold.
    pub detection_confidence_gain: f64,
    /// The lowest and highest confidence a region is given.
    pub confidence_range: [f64; 2],
    /// Confidence multiplier of an atrophic region in the ice pick / boxcar overlap of widths.
    pub overlap_zone_confidence: f64,
    /// A pustule head may be this much bluer (Δb*) than the spot around it, and no more.
    pub pustule_head_min_delta_b: f64,
    /// A steep-walled pit up to this much wider than `rolling_min_mm` is still a boxcar, mm.
    pub steep_boxcar_extra_mm: f64,
    /// Without a scale, a raised lesion at least this share of the picture's shorter side leans keloid.
    pub unscaled_keloid_fraction: f64,
    /// A red mark is erythematous when its Δa* reaches this times its darkening (−ΔL*), else pigmented.
    pub erythema_redness_per_darkening: f64,
}

impl ClassifyRules {
    /// `confidence` held within `confidence_range` (a range the profile check would refuse, running backwards
    /// or not a number, holds nothing rather than panicking).
    pub fn bounded_confidence(&self, confidence: f64) -> f64 {
        let [lo, hi] = self.confidence_range;
        if lo <= hi {
            confidence.clamp(lo, hi)
        } else {
            confidence
        }
    }
}

/// Weights of the raised-lesion score: each sign a raised region shows adds its weight to active acne or to a
/// raised scar, and the larger sum wins (active acne only when the region is red or has a head).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RaisedScoreWeights {
    /// For active acne: a pale head on a red spot (pustule).
    pub active_head: f64,
    /// For active acne: red with a red halo around it.
    pub active_red_halo: f64,
    /// For active acne: no wider than active acne grows (`papule_max_mm`).
    pub active_small: f64,
    /// For active acne: a dome (shading spread over the whole radius).
    pub active_dome: f64,
    /// For a raised scar: wider than active acne grows.
    pub scar_large: f64,
    /// For a raised scar: a plateau (shading at the rim, `plateau_rim_fraction`).
    pub scar_plateau: f64,
    /// For a raised scar: glossy.
    pub scar_glossy: f64,
    /// For a raised scar: elongated.
    pub scar_elongated: f64,
    /// For a raised scar: not red.
    pub scar_not_red: f64,
}

impl Default for ClassifyRules {
    fn default() -> Self {
        Profile::builtin().classify
    }
}

/// Thresholds of the summary and verdict.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SummaryRules {
    /// Regions below this confidence are not counted in the summary.
    pub min_confidence: f64,
    /// Active inflammation needs at least this many inflammatory regions.
    pub min_inflammatory: u32,
    /// Goodman & Baron qualitative 3 (moderate-severe) from this many scars.
    pub grade3_min_scars: u32,
    /// Depth proxy magnitude above which an atrophic scar counts as deep.
    pub deep_depth_proxy: f64,
}

impl Default for SummaryRules {
    fn default() -> Self {
        Profile::builtin().summary
    }
}

impl Profile {
    /// The profile built into the binary.
    pub fn builtin() -> Self {
        // The embedded text is checked by a unit test, so this cannot fail in a released binary.
        Self::from_toml_named("", "default").expect("built-in profile parses")
    }

    /// Reads a profile from a TOML file (at most [`crate::profile_check::MAX_PROFILE_BYTES`]); a file without
    /// `name` is named after its stem (`strict.toml` is "strict"), never "default".
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let text =
            read_capped(path).with_context(|| format!("cannot read profile {}", path.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "custom".into());
        Self::from_toml_named(&text, &stem)
            .with_context(|| format!("invalid profile {}", path.display()))
    }

    /// Parses a profile from TOML text; sections or fields left out take the built-in values, and a text
    /// without `name` is named "custom". Every value is checked ([`crate::profile_check`]).
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        Self::from_toml_named(text, "custom")
    }

    /// As [`Self::from_toml`], naming a profile without `name` `fallback_name`.
    pub fn from_toml_named(text: &str, fallback_name: &str) -> anyhow::Result<Self> {
        let mut base: toml::Table = toml::from_str(DEFAULT_TOML)?;
        merge(&mut base, toml::from_str(DECISION_TOML)?);
        let mut over: toml::Table = toml::from_str(text)?;
        if !over.contains_key("name") {
            over.insert("name".into(), toml::Value::String(fallback_name.into()));
        }
        merge(&mut base, over);
        crate::profile_check::check(&base)?;
        let p: Profile = toml::Value::Table(base).try_into()?;
        p.decision.check().map_err(anyhow::Error::msg)?;
        Ok(p)
    }

    /// The profile as TOML text that [`Self::from_toml`] (and `--profile`) reads back to the same profile.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string(self)?)
    }
}

/// Reads a text file of at most [`crate::profile_check::MAX_PROFILE_BYTES`], failing fast beyond.
fn read_capped(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    let max = crate::profile_check::MAX_PROFILE_BYTES;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        anyhow::bail!("is a folder");
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        anyhow::bail!("larger than {} KiB, too large for a profile", max >> 10);
    }
    Ok(String::from_utf8(bytes)?)
}

/// Overlays `over` onto `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Profile;

    #[test]
    fn builtin_profile_parses() {
        let p = super::Profile::builtin();
        assert_eq!(p.name, "default");
        assert!(p.detect.min_radius_mm > 0.0);
    }

    #[test]
    fn partial_profile_keeps_builtin_values() {
        let p = Profile::from_toml("name = \"mine\"\n[detect]\nmin_z = 9.5\n").expect("parses");
        assert_eq!(p.name, "mine");
        assert_eq!(p.detect.min_z, 9.5);
        assert_eq!(p.classify, Profile::builtin().classify);
    }

    #[test]
    fn partial_compare_section_keeps_builtin_values() {
        let p = Profile::from_toml("[compare.verdict]\nrelief_relative = 0.5\n").expect("parses");
        let b = Profile::builtin();
        assert_eq!(p.compare.verdict.relief_relative, 0.5);
        assert_eq!(
            p.compare.verdict.goodman_baron_points,
            b.compare.verdict.goodman_baron_points
        );
        assert_eq!(p.compare.registration, b.compare.registration);
        assert!(Profile::from_toml("[compare.relief]\nno_such = 1\n").is_err());
    }

    #[test]
    fn a_profile_without_name_is_not_called_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gentle.toml");
        std::fs::write(&path, "[detect]\nmin_z = 9.5\n").expect("write");
        assert_eq!(Profile::from_file(&path).expect("parses").name, "gentle");
        assert_eq!(
            Profile::from_toml("[detect]\nmin_z = 9.5\n")
                .expect("parses")
                .name,
            "custom"
        );
    }

    #[test]
    fn non_finite_values_are_refused_with_their_key() {
        for text in [
            "[compare.registration]\nmax_rotation_deg = inf\n",
            "[compare.registration]\nmax_scale_change = inf\n",
            "[compare.registration]\nmax_rotation_deg = 1e300\n",
            "[detect]\nmin_z = nan\n",
            "[summary]\nmin_confidence = -0.5\n",
        ] {
            let err = Profile::from_toml(text).expect_err(text);
            let key = text.split('\n').nth(1).and_then(|l| l.split(' ').next());
            assert!(
                key.is_some_and(|k| err.to_string().contains(k)),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn printed_profile_reads_back_to_the_same_profile() {
        let b = Profile::builtin();
        let text = b.to_toml().expect("serialises");
        assert_eq!(Profile::from_toml(&text).expect("reads back"), b);
    }

    #[test]
    fn oversized_profile_fails_fast() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.toml");
        let mut text = String::from("name = \"big\"\n");
        text.push_str(&"# padding\n".repeat(200_000));
        std::fs::write(&path, text).expect("write");
        let err = Profile::from_file(&path).expect_err("2 MB profile");
        assert!(format!("{err:#}").contains("too large"), "{err:#}");
    }

    #[test]
    fn unknown_field_is_an_error() {
        assert!(Profile::from_toml("name = \"x\"\n[detect]\nno_such = 1\n").is_err());
    }
}
