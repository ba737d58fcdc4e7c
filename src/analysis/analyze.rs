//! The analysis of one image, stage by stage: prepare → light → detect → measure → classify → summarise.
//!
//! Every stage works at the working resolution chosen by [`crate::prepare`]; regions are mapped back to the
//! input's pixels here, so the report's coordinates are always those of the upright input image.

use std::sync::Arc;

use image::RgbImage;

use crate::analysis::candidate::Candidate;
use crate::analysis::decide::Decision;
use crate::analysis::picture::Picture;
use crate::classify::{classify, Classified, ClassifyContext};
use crate::light::LightEstimate;
use crate::measure::{measure, MeasureContext, Measured};
use crate::prepare::Prepared;
use crate::profile::Profile;
use crate::report::{
    num, Features, ImageReport, Lighting, Microneedling, Quality, Region, ScaleSource, Status,
    Summary,
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
    /// The confidence from which a region is counted in the summary (the profile's
    /// `summary.min_confidence`); regions below it are listed but not counted, and drawn apart.
    pub counted_from: f64,
    /// Per-image summary.
    pub summary: Summary,
    /// Microneedling verdict.
    pub microneedling: Microneedling,
    /// Input px per working px (the working image is the input downsampled by this factor).
    pub working_scale: f64,
    /// Working image size (w, h) in px.
    pub working_size: (u32, u32),
    /// The raw light estimate (unit vector towards the light in image axes, confidence, pore amplitude).
    pub light: LightEstimate,
    /// Per-region measurements in working px of the regions the lesion stages found, in the same order as
    /// the first `measured.len()` of `regions` (the papules read on the picture follow them unmeasured).
    pub measured: Vec<Measured>,
    /// The picture features (`analysis::picture::FEATURES` order) the scoring table read.
    pub picture: [f64; crate::analysis::picture::N_FEATURES],
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

/// The region features reported in `Region::features` (working-px measures converted to input px).
fn region_features(m: &Measured, scale: f64) -> Features {
    let mut f = Features::new();
    let mut put = |k: &str, v: f64| {
        f.insert(k.to_string(), num(v));
    };
    put("detection_z", m.z);
    put("eccentricity", m.eccentricity);
    put("circularity", m.circularity);
    put("antisymmetry", m.antisymmetry);
    put("relief_amplitude", m.relief_amplitude);
    put("rim_fraction", m.rim_fraction);
    put("centre_level", m.centre_level);
    put("mean_level", m.mean_level);
    put("delta_l", m.delta_l);
    put("delta_a", m.delta_a);
    put("delta_b", m.delta_b);
    put("delta_e", m.delta_e);
    put("delta_ln_rg", m.delta_rg);
    put("delta_ln_gb", m.delta_gb);
    put("halo_delta_a", m.halo_a);
    put("head_delta_l", m.head_delta_l);
    put("head_delta_b", m.head_delta_b);
    put("gloss_fraction", m.gloss);
    put("scale_radius_px", m.scale_radius * scale);
    put("segmented", if m.segmented { 1.0 } else { 0.0 });
    if let Some(z) = m.depression_z {
        put("depression_z", z);
    }
    f
}

/// Analyses one upright RGB image.
pub fn analyze(rgb: &RgbImage, opts: &AnalysisOptions) -> Analysis {
    analyze_at(rgb, rgb.dimensions(), opts)
}

/// Analyses `rgb`, the upright photo of size `full` or a reduced decode of it no smaller than the working size
/// (the analysis works at a reduced size anyway; see [`crate::load::Opened::decode`]). Sizes and coordinates
/// in the result refer to `full`.
pub fn analyze_at(rgb: &RgbImage, full: (u32, u32), opts: &AnalysisOptions) -> Analysis {
    let prof = &opts.profile;
    let ppm = opts.px_per_mm.filter(|s| s.is_finite() && *s > 0.0);
    let scale_source = if ppm.is_some() {
        ScaleSource::Flag
    } else {
        ScaleSource::None
    };
    if rgb.width() == 0 || rgb.height() == 0 || full.0 == 0 || full.1 == 0 {
        return empty(full, ppm, scale_source, "the image has no pixels", prof);
    }
    let p = crate::prepare::prepare_at(rgb, full, ppm, &prof.prepare);
    let mut found = lesions(&p, full, ppm, prof);
    let mut quality = quality_of(&p, &found.light, prof);
    let lighting = lighting_of(&found.light, prof);
    let texture = skin_texture(&p);
    let pic = crate::analysis::picture::picture(&p, &found.regions);
    let (summary, decision) = decided(&p, &mut found, &pic, full, ppm, prof);
    let microneedling = crate::summarise::verdict(&summary, &decision, p.usable, &p.notes);
    let (reported_ppm, scale_source) = match ppm {
        Some(_) => (ppm, scale_source),
        None => estimated_scale(&p, &mut found.regions, &mut quality.notes, prof),
    };
    Analysis {
        width: full.0,
        height: full.1,
        px_per_mm: reported_ppm,
        scale_source,
        quality,
        lighting,
        texture,
        regions: found.regions,
        counted_from: prof.summary.min_confidence,
        summary,
        microneedling,
        working_scale: p.scale,
        working_size: (p.w as u32, p.h as u32),
        light: found.light,
        measured: found.measured,
        picture: pic.features,
    }
}

/// The image's summary and family decision, the regions reread against it and the picture's papules added.
fn decided(
    p: &Prepared,
    found: &mut Lesions,
    pic: &Picture,
    full: (u32, u32),
    ppm: Option<f64>,
    prof: &Profile,
) -> (Summary, Decision) {
    // With the scale given, the lesion rules size every region in mm (domain.md §1) and the image's family
    // follows from the regions found; without it (web and phone photos, photos.md), the picture's scoring
    // table decides, since region sizes are then guesses.
    let mut summary = crate::summarise::summarise(&found.regions, ppm, &prof.summary);
    let decision = if ppm.is_some() {
        crate::analysis::decide::from_regions(&summary, &found.regions, &prof.summary)
    } else {
        crate::analysis::decide::decide(&pic.features, &prof.decision)
    };
    let decision = crate::analysis::decide::for_photo(decision, p.usable);
    if reread(p, found, pic, &decision, full, prof) > 0 {
        summary = crate::summarise::summarise(&found.regions, ppm, &prof.summary);
    }
    // The size holds the confidence reported, after the regions were read against the picture's answer:
    // held before, the shadows of the raised thumbnails stopped being read as raised relief (subtype
    // agreement 23.1 -> 22.3 %, evaluate --labels) while the family stays the same.
    let decision = crate::analysis::decide::for_size(decision, full.0.max(full.1), &prof.decision);
    crate::summarise::apply_decision(&mut summary, &decision, &pic.features);
    (summary, decision)
}

/// Rereads the regions against the picture's decision and appends the picture's papules no region covers;
/// returns how many regions changed or were added.
fn reread(
    p: &Prepared,
    found: &mut Lesions,
    pic: &Picture,
    decision: &Decision,
    full: (u32, u32),
    prof: &Profile,
) -> usize {
    let reread = crate::analysis::reconcile::reconcile(
        &mut found.regions,
        &found.measured,
        decision,
        &found.cctx,
        &prof.classify,
    );
    let at = crate::analysis::reconcile::GridToInput {
        step: pic.grid_step * p.scale,
        full,
    };
    let added = crate::analysis::reconcile::picture_papules(
        &mut found.regions,
        &pic.papules,
        at,
        decision,
        &prof.classify,
    );
    reread + added
}

/// The report's photo quality: prepare's numbers and notes, with a note when the light cannot be read.
fn quality_of(p: &Prepared, light: &LightEstimate, prof: &Profile) -> Quality {
    let mut notes = p.notes.clone();
    if light.confidence < prof.classify.min_light_confidence {
        notes.push(
            "the light is flat or its direction unclear: relief is judged on colour and size only"
                .into(),
        );
    }
    let (ita_deg, skin_tone) = match p.skin_lab {
        Some(lab) => {
            let (v, band) = crate::prepare::ita(lab[0], lab[2]);
            (num(v), Some(band.to_string()))
        }
        None => (None, None),
    };
    Quality {
        skin_fraction: num(p.skin_fraction).unwrap_or(0.0),
        usable: p.usable,
        notes,
        sharpness: p.sharpness.and_then(num),
        exposure: p.exposure.and_then(num),
        glare_fraction: p.glare_fraction.and_then(num),
        ita_deg,
        skin_tone,
    }
}

/// The report's light direction, withheld when the estimate is not confident.
fn lighting_of(light: &LightEstimate, prof: &Profile) -> Lighting {
    Lighting {
        azimuth_deg: if light.confidence >= prof.light.min_confidence {
            num(light.azimuth_deg)
        } else {
            None
        },
        confidence: num(light.confidence).unwrap_or(0.0),
    }
}

/// What the lesion stages found in one prepared picture.
struct Lesions {
    light: LightEstimate,
    cctx: ClassifyContext,
    regions: Vec<Region>,
    measured: Vec<Measured>,
}

/// Runs the lesion stages (light → detect → measure → classify) on a prepared picture of the photo of
/// size `full`, keeping the strongest reading of each lesion; regions are in `full`'s px.
fn lesions(p: &Prepared, full: (u32, u32), ppm: Option<f64>, prof: &Profile) -> Lesions {
    let fine = crate::detect::fine_segmentation(p, &prof.detect);
    let plain_segments = fine.candidates(None, &prof.detect);
    let light = crate::light::estimate(p, &prof.light, &plain_segments);
    let relief_ok = light.confidence >= prof.classify.min_light_confidence;
    let cands = crate::detect::detect(p, &light, relief_ok, &prof.detect, Some(&fine));
    let mctx = MeasureContext::new(p);
    let cctx = ClassifyContext {
        light_confidence: light.confidence,
        scaled: p.px_per_mm.is_some(),
        short_side: p.w.min(p.h) as f64,
        min_z: prof.detect.min_z,
    };
    let judged = judge(&mctx, &cands, &light, relief_ok, &cctx, prof);
    let (regions, measured) = kept(&judged, p, full, ppm);
    Lesions {
        light,
        cctx,
        regions,
        measured,
    }
}

/// One candidate as measured and classified, and whether it was read from faint shading.
struct Judged<'a> {
    c: &'a Candidate,
    m: Measured,
    k: Classified,
    faint: bool,
}

/// Measures and classifies every candidate, in detection order.
fn judge<'a>(
    mctx: &MeasureContext,
    cands: &'a [Candidate],
    light: &LightEstimate,
    relief_ok: bool,
    cctx: &ClassifyContext,
    prof: &Profile,
) -> Vec<Judged<'a>> {
    cands
        .iter()
        .map(|c| {
            let m = measure(
                mctx,
                c,
                light,
                relief_ok,
                prof.detect.redness_weight,
                &prof.measure,
            );
            let k = classify(&m, cctx, &prof.classify);
            // Read from faint shading over a wide disc: found only as a soft structure, or a weak raised
            // undulation read as a rolling scar.
            let faint = c.soft
                || (k.relief == crate::report::Relief::Raised
                    && k.subtype == crate::report::Subtype::Rolling);
            Judged { c, m, k, faint }
        })
        .collect()
}

/// The readings reported, one per lesion, as the report's regions (in `full`'s px) with their measurements.
fn kept(
    judged: &[Judged],
    p: &Prepared,
    full: (u32, u32),
    ppm: Option<f64>,
) -> (Vec<Region>, Vec<Measured>) {
    let s = p.scale;
    let mut regions = Vec::with_capacity(judged.len());
    let mut measured = Vec::with_capacity(judged.len());
    // Measured circles can differ from the detected ones (a pit's far-wall crescent is segmented on its own,
    // then falls inside the pit once the pit's extent is measured): strongest first, a region whose centre
    // lies inside an already accepted region is the same lesion.
    // Faint readings go last: where one's disc reaches into a lesion found on its own contrast, that lesion
    // (a bump's flank, a mark's edge) is what it read, whichever was stronger.
    let order = judged
        .iter()
        .filter(|j| !j.faint)
        .chain(judged.iter().filter(|j| j.faint));
    let mut accepted: Vec<(f64, f64, f64)> = Vec::new();
    for j in order {
        if !admitted(j, &accepted, p) {
            continue;
        }
        let m = &j.m;
        accepted.push((m.x, m.y, m.radius));
        regions.push(region_of(
            regions.len() as u32 + 1,
            m,
            j.k.clone(),
            s,
            full,
            ppm,
        ));
        measured.push(m.clone());
    }
    (regions, measured)
}

/// Whether a reading is a lesion of its own, given the discs (x, y, r) of those already accepted.
fn admitted(j: &Judged, accepted: &[(f64, f64, f64)], p: &Prepared) -> bool {
    let (c, m, k) = (j.c, &j.m, &j.k);
    // An unsegmented (soft, wide) blob is reported only when its shading says it is a depression: albedo
    // mottling makes soft blobs of every other kind, and a rolling scar is the one lesion that only shows
    // as soft shading (domain.md §1: "soft superficial shadowing", easy to miss under flat light).
    if !k.reportable || (c.soft && k.subtype.class() != crate::report::RegionClass::Atrophic) {
        return false;
    }
    let inside = |px: f64, py: f64| {
        accepted
            .iter()
            .any(|&(x, y, r)| ((x - px).powi(2) + (y - py).powi(2)).sqrt() < r)
    };
    if inside(m.x, m.y) || inside(c.x, c.y) {
        return false;
    }
    // A faint reading needs its whole disc in the frame: cut by the frame's edge, its shading pair is
    // one-sided and the flattened background there is extrapolated, not measured.
    let (fw, fh) = (p.w as f64 - 1.0, p.h as f64 - 1.0);
    let cut =
        m.x - m.radius < 0.0 || m.y - m.radius < 0.0 || m.x + m.radius > fw || m.y + m.radius > fh;
    if j.faint && cut {
        return false;
    }
    !(j.faint
        && accepted
            .iter()
            .any(|&(x, y, r)| ((x - m.x).powi(2) + (y - m.y).powi(2)).sqrt() < r + m.radius))
}

/// The scale read from a visible iris when none was given ([`crate::analysis::scale`]): the regions get
/// their sizes in mm and the notes say how the scale was read, or why a measured iris gave none. Returns the
/// input px per mm to report and where it came from.
fn estimated_scale(
    p: &Prepared,
    regions: &mut [Region],
    notes: &mut Vec<String>,
    prof: &Profile,
) -> (Option<f64>, ScaleSource) {
    match crate::analysis::scale::estimate(p, &prof.scale, &prof.prepare) {
        Ok(Some(est)) => {
            let ppm = est.px_per_mm * p.scale;
            for r in regions.iter_mut() {
                r.diameter_mm = num(r.diameter_px / ppm);
            }
            notes.push(crate::analysis::scale::note(&est, p.scale, &prof.scale));
            (num(ppm), ScaleSource::Estimated)
        }
        Ok(None) => (None, ScaleSource::None),
        Err(why) => {
            notes.push(why);
            (None, ScaleSource::None)
        }
    }
}

/// The report's region for a measured and classified lesion, mapped to the input's px (`s` input px per
/// working px, `full` the input's size).
fn region_of(
    id: u32,
    m: &Measured,
    k: crate::classify::Classified,
    s: f64,
    full: (u32, u32),
    ppm: Option<f64>,
) -> Region {
    // A bowl found by its shading pair reports the width its walls give, not the pass's scale.
    let r_in = m.bowl_radius.unwrap_or(m.radius) * s;
    let bbox = match m.bowl_radius {
        Some(r) => [m.x - r, m.y - r, m.x + r, m.y + r],
        None => m.bbox,
    };
    let depth = if k.relief == crate::report::Relief::Unknown {
        0.0
    } else {
        m.depth_proxy
    };
    Region {
        id,
        center: [
            num((m.x + 0.5) * s - 0.5).unwrap_or(0.0),
            num((m.y + 0.5) * s - 0.5).unwrap_or(0.0),
        ],
        bbox: crate::report::bbox_within(
            [bbox[0] * s, bbox[1] * s],
            [bbox[2] * s, bbox[3] * s],
            full,
        ),
        area_px: num(std::f64::consts::PI * r_in * r_in).unwrap_or(0.0),
        diameter_px: num(2.0 * r_in).unwrap_or(0.0),
        diameter_mm: ppm.and_then(|v| num(2.0 * r_in / v)),
        class: k.subtype.class(),
        subtype: k.subtype,
        confidence: num(k.confidence).unwrap_or(0.0),
        relief: k.relief,
        depth_proxy: num(depth).unwrap_or(0.0),
        features: region_features(m, s),
        reasons: k.reasons,
    }
}

/// Texture numbers (texture.rs: GLCM, LBP, gradient, roughness) of the working-resolution lightness over
/// the skin mask; every value `null` when there is no skin.
fn skin_texture(p: &Prepared) -> Features {
    let (w, h) = (p.w as u32, p.h as u32);
    let gray = image::GrayImage::from_fn(w, h, |x, y| {
        let l = p.lab[0].data[y as usize * p.w + x as usize];
        image::Luma([(l * 2.55).round().clamp(0.0, 255.0) as u8])
    });
    let mask = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([if p.mask[y as usize * p.w + x as usize] {
            255
        } else {
            0
        }])
    });
    crate::texture::skin_texture(&gray, Some(&mask))
        .into_iter()
        .map(|(k, v)| (k, v.and_then(num)))
        .collect()
}

/// The analysis of an image that cannot be analysed at all (no pixels).
fn empty(
    full: (u32, u32),
    ppm: Option<f64>,
    scale_source: ScaleSource,
    why: &str,
    prof: &Profile,
) -> Analysis {
    let summary = crate::summarise::summarise(&[], ppm, &prof.summary);
    let notes = vec![why.to_string()];
    let decision = crate::analysis::decide::Decision {
        probabilities: [0.2; 5],
        family: None,
        confidence: 0.2,
        active: false,
        reasons: Vec::new(),
        from_regions: false,
    };
    let microneedling = crate::summarise::verdict(&summary, &decision, false, &notes);
    Analysis {
        width: full.0,
        height: full.1,
        px_per_mm: ppm,
        scale_source,
        quality: Quality {
            skin_fraction: 0.0,
            usable: false,
            notes,
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
        counted_from: prof.summary.min_confidence,
        summary,
        microneedling,
        working_scale: 1.0,
        working_size: (0, 0),
        light: LightEstimate::none(),
        measured: Vec::new(),
        picture: [0.0; crate::analysis::picture::N_FEATURES],
    }
}
