//! The analysis of one image, stage by stage: prepare → light → detect → measure → classify → summarise.

use std::sync::Arc;

use image::RgbImage;

use crate::profile::Profile;
use crate::report::{
    Features, ImageReport, Lighting, Microneedling, Quality, Region, ScaleSource, Status, Summary,
    Verdict,
};

/// Options for analysing one image.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
    /// Scale in px per mm, when the user knows it.
    pub px_per_mm: Option<f64>,
    /// The rule profile.
    pub profile: Arc<Profile>,
}

/// Everything the analysis found in one image.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Upright width in px.
    pub width: u32,
    /// Upright height in px.
    pub height: u32,
    /// Scale in px per mm, when known.
    pub px_per_mm: Option<f64>,
    /// Where the scale came from.
    pub scale_source: ScaleSource,
    /// Photo quality.
    pub quality: Quality,
    /// Light direction.
    pub lighting: Lighting,
    /// Texture over the skin.
    pub texture: Features,
    /// Lesions found.
    pub regions: Vec<Region>,
    /// Per-image summary.
    pub summary: Summary,
    /// Microneedling verdict.
    pub microneedling: Microneedling,
}

impl Analysis {
    /// The contract's image object for this analysis.
    pub fn into_report(self, path: String) -> ImageReport {
        ImageReport {
            path,
            status: Status::Ok,
            error: None,
            width: Some(self.width),
            height: Some(self.height),
            px_per_mm: self.px_per_mm,
            scale_source: self.scale_source,
            quality: Some(self.quality),
            lighting: Some(self.lighting),
            texture: self.texture,
            regions: self.regions,
            summary: Some(self.summary),
            microneedling: Some(self.microneedling),
        }
    }
}

/// Analyses one upright RGB image.
pub fn analyze(rgb: &RgbImage, opts: &AnalysisOptions) -> Analysis {
    let counts = crate::report::Subtype::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    Analysis {
        width: rgb.width(),
        height: rgb.height(),
        px_per_mm: opts.px_per_mm,
        scale_source: if opts.px_per_mm.is_some() {
            ScaleSource::Flag
        } else {
            ScaleSource::None
        },
        quality: Quality {
            skin_fraction: 0.0,
            usable: false,
            notes: vec!["lesion analysis is not implemented yet".into()],
            sharpness: None,
            exposure: None,
            glare_fraction: None,
            ita_deg: None,
            skin_tone: None,
        },
        lighting: Lighting {
            azimuth_deg: None,
            confidence: 0.0,
        },
        texture: Features::new(),
        regions: Vec::new(),
        summary: Summary {
            counts,
            dominant: crate::report::Dominant::None,
            dominant_subtype: None,
            active_inflammation: false,
            goodman_baron_qualitative: None,
            goodman_baron_quantitative: None,
            ecca: None,
            notes: vec!["lesion analysis is not implemented yet".into()],
        },
        microneedling: Microneedling {
            verdict: Verdict::Uncertain,
            reasons: vec!["lesion analysis is not implemented yet, so no verdict is given".into()],
            cannot_assess: Vec::new(),
            typical_course: None,
        },
    }
}
