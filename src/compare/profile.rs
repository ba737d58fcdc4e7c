//! `CompareProfile`: every threshold of `scarscope compare`, with where it comes from.
//!
//! The values live in the `[compare]` section of `profiles/default.toml` (with where each comes from), so
//! `--profile FILE` reaches every compare threshold; `Default` is the built-in profile's section.

use serde::{Deserialize, Serialize};

use super::darkening::DarkeningParams;
use super::registration::RegistrationParams;
use super::relief::ReliefParams;

impl Default for CompareProfile {
    fn default() -> Self {
        crate::profile::Profile::builtin().compare
    }
}

/// All tunables of the before/after comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareProfile {
    /// Registration search range and acceptance.
    pub registration: RegistrationParams,
    /// Exposure / white-balance matching.
    pub normalisation: NormalisationParams,
    /// Pairing of regions between the photos.
    pub matching: MatchingParams,
    /// The pair relief measure (places, disc radii, texture floor).
    pub relief: ReliefParams,
    /// The scars' floor darkening, read in both photos (the light-elevation-free depth cue).
    pub darkening: DarkeningParams,
    /// When a change counts as real rather than repeat-photo noise.
    pub verdict: VerdictThresholds,
}

/// Tunables of photometric normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalisationParams {
    /// Channel values at or below this are treated as clipped shadows and not used.
    pub clip_low: u8,
    /// Channel values at or above this are treated as clipped highlights (glare) and not used.
    pub clip_high: u8,
    /// Largest per-channel gain applied either way (a bigger mismatch is reported, not corrected further).
    pub max_gain: f64,
}

impl Default for NormalisationParams {
    fn default() -> Self {
        crate::profile::Profile::builtin().compare.normalisation
    }
}

/// Tunables of region matching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingParams {
    /// Two regions pair up when their centres (after mapping) are closer than this × the larger diameter.
    pub radius_factor: f64,
    /// Smallest matching radius, px of the after photo (registration error is ~1 px; detection jitter more).
    pub min_radius_px: f64,
    /// A region's depth proxy must change by at least this share of its before value to be improved/worse.
    pub region_relative_change: f64,
    /// … and by at least this much in absolute terms (depth proxies of flat marks hover near zero).
    pub region_absolute_change: f64,
    /// Regions whose centre lies closer than this to the edge of the shared area are left out (half-visible).
    pub edge_margin_px: f64,
}

impl Default for MatchingParams {
    fn default() -> Self {
        crate::profile::Profile::builtin().compare.matching
    }
}

/// Thresholds of the pair verdict, set from the measured repeat-photo noise (see `noise` in the tests and the
/// module doc of [`super::changes`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictThresholds {
    /// Relative change of the relief index (see `relief`) that exceeds repeat-photo noise.
    pub relief_relative: f64,
    /// Relative change of the total depth proxy (e.g. 0.25 = 25 %) that exceeds repeat-photo noise.
    pub depth_total_relative: f64,
    /// Change of the scar count that exceeds noise, as a share of the before count …
    pub count_relative: f64,
    /// … and at least this many scars.
    pub count_absolute: f64,
    /// Change of the Goodman & Baron quantitative estimate that exceeds noise (domain.md §2: raters agree
    /// within 4 points on 19 of 21 photos, so less than ~4 points is noise).
    pub goodman_baron_points: f64,
    /// Spread (standard deviation) of the natural log of the relief ratio between repeat photos of one scene:
    /// the noise the verdict's confidence is measured against.
    pub relief_noise_sd: f64,
    /// The scars' floors must be darker than the skin around them by more than this (minus the natural log of
    /// the luminance ratio, both photos' mean; 0.03 is about 3 %) for their darkening to speak to depth.
    pub darkening_level: f64,
    /// Where it can confirm, a relief change is called only when the floor darkening moved the same way by at
    /// least this share of its level (repeat photos mostly stayed below it, real changes moved 28 % or more).
    pub darkening_confirm: f64,
    /// A floor darkening change beyond this share of its level (never less than `darkening_confirm`) counts on
    /// its own when the relief index moved the same way, however little.
    pub darkening_alone: f64,
}

impl Default for VerdictThresholds {
    fn default() -> Self {
        crate::profile::Profile::builtin().compare.verdict
    }
}
