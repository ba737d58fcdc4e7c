//! One pair, end to end: register → normalise the after photo's colours → analyse both → match → changes →
//! verdict. The flow of the issue: normalise before analysing so that a brighter second photo is not
//! "improvement".

use std::sync::Arc;

use image::RgbImage;

use crate::analyze::{analyze, AnalysisOptions};
use crate::profile::Profile;
use crate::report::{num, ImageReport, Status};

use super::changes::{changes, verdict};
use super::geometry::Affine;
use super::matching::{match_regions, shared, status_from_ratio};
use super::photometric;
use super::profile::CompareProfile;
use super::registration::{register, Registration};
use super::relief::{self, Spot};
use super::report::{NormalisationReport, PairReport, RegistrationReport};

/// Options of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Scale of the before photos in px per mm, when known.
    pub px_per_mm: Option<f64>,
    /// The analysis rule profile.
    pub profile: Arc<Profile>,
    /// The comparison thresholds (normally `profile.compare`).
    pub compare: CompareProfile,
}

impl Default for CompareOptions {
    fn default() -> Self {
        let profile = Profile::builtin();
        CompareOptions {
            px_per_mm: None,
            compare: profile.compare.clone(),
            profile: Arc::new(profile),
        }
    }
}

/// What an overlay of a compared pair needs besides the report.
#[derive(Debug, Clone)]
pub struct PairImages {
    /// The before photo.
    pub before: RgbImage,
    /// The after photo after colour normalisation (after frame).
    pub after: RgbImage,
    /// Before-pixel → after-pixel map.
    pub map: Affine,
}

/// The contract's registration object.
pub fn registration_report(r: &Registration) -> RegistrationReport {
    RegistrationReport {
        ok: r.ok,
        rotation_deg: num(r.rotation_deg),
        scale: num(r.scale),
        shift_px: [num(r.shift_px[0]), num(r.shift_px[1])],
        confidence: num(r.confidence).unwrap_or(0.0),
        overlap: num(r.overlap).unwrap_or(0.0),
    }
}

/// Compares two loaded photos; `before_path`/`after_path` are the display paths for the image objects.
pub fn compare_images(
    id: String,
    before_path: String,
    before: &RgbImage,
    after_path: String,
    after: &RgbImage,
    opts: &CompareOptions,
) -> (PairReport, PairImages) {
    let cp = &opts.compare;
    let reg = register(before, after, &cp.registration);
    let gains = photometric::measure(before, after, &reg.map, &cp.normalisation);
    // Only correct colours when the photos were aligned: gains from unrelated areas mean nothing.
    let after_n = if reg.ok {
        photometric::apply(after, &gains)
    } else {
        after.clone()
    };
    let scale = reg.scale;
    let before_opts = AnalysisOptions {
        px_per_mm: opts.px_per_mm,
        profile: opts.profile.clone(),
    };
    // The after photo's own scale is the before scale times the registration scale (after px per before px).
    let after_opts = AnalysisOptions {
        px_per_mm: opts.px_per_mm.map(|p| {
            if reg.ok && scale.is_finite() && scale > 0.0 {
                p * scale
            } else {
                p
            }
        }),
        profile: opts.profile.clone(),
    };
    let an_b = analyze(before, &before_opts);
    let an_a = analyze(&after_n, &after_opts);
    let rep_b = an_b.into_report(before_path);
    let mut rep_a = an_a.into_report(after_path);
    let normalisation = reg.ok.then(|| NormalisationReport {
        gain_rgb: gains.rgb.map(|g| num(g).unwrap_or(1.0)),
        exposure_ratio: num(gains.exposure_ratio).unwrap_or(1.0),
        pixels_used: gains.pixels,
    });
    if let (Some(n), Some(s)) = (&normalisation, rep_a.summary.as_mut()) {
        s.notes.push(format!(
            "analysed after matching its colours to the before photo (gain R {:.3}, G {:.3}, B {:.3})",
            n.gain_rgb[0], n.gain_rgb[1], n.gain_rgb[2]
        ));
    }
    let images = PairImages {
        before: before.clone(),
        after: after_n,
        map: reg.map,
    };
    let mut pair = PairReport {
        id,
        before: rep_b,
        after: rep_a,
        status: Status::Ok,
        error: None,
        registration: Some(registration_report(&reg)),
        normalisation,
        changes: Default::default(),
        regions: Vec::new(),
        verdict: None,
        verdict_confidence: None,
        reasons: Vec::new(),
    };
    if !reg.ok {
        let why = reg
            .reason
            .clone()
            .unwrap_or_else(|| "photos do not show the same area".into());
        pair.status = Status::Error;
        pair.reasons.push(why.clone());
        pair.error = Some(why);
        return (pair, images);
    }
    let (shared_b, shared_a) = shared(
        &pair.before.regions,
        &pair.after.regions,
        &reg.map,
        before.dimensions(),
        after.dimensions(),
        cp.matching.edge_margin_px,
    );
    pair.regions = match_regions(
        &pair.before.regions,
        &pair.after.regions,
        &shared_b,
        &shared_a,
        &reg.map,
        &cp.matching,
    );
    // Relief at every scar's place, measured the same way in both aligned photos (see `relief`).
    let inv = reg.map.inverse().unwrap_or(Affine::IDENTITY);
    let find = |regs: &[crate::report::Region], id: Option<u32>| {
        id.and_then(|id| regs.iter().find(|r| r.id == id).cloned())
    };
    let mut spot_of: Vec<Option<usize>> = Vec::with_capacity(pair.regions.len());
    let mut spots: Vec<Spot> = Vec::new();
    // The atrophic ones, at their own radius, for the floor darkening.
    let mut pits: Vec<Spot> = Vec::new();
    for m in &pair.regions {
        let rb = find(&pair.before.regions, m.before_id);
        let ra = find(&pair.after.regions, m.after_id);
        let is_scar = rb.as_ref().is_some_and(|r| r.subtype.is_scar())
            || ra.as_ref().is_some_and(|r| r.subtype.is_scar());
        if !is_scar {
            spot_of.push(None);
            continue;
        }
        let center = match (&rb, &ra) {
            (Some(b), _) => b.center,
            (None, Some(a)) => {
                let (x, y) = inv.apply(a.center[0], a.center[1]);
                [x, y]
            }
            (None, None) => {
                spot_of.push(None);
                continue;
            }
        };
        let diam = rb
            .as_ref()
            .map_or(0.0, |r| r.diameter_px)
            .max(ra.as_ref().map_or(0.0, |r| r.diameter_px / scale));
        spot_of.push(Some(spots.len()));
        spots.push(Spot {
            center,
            radius: 0.65 * diam + 2.0,
        });
        // A region read as atrophic in one photo and as a flat mark in the other may be a dark mark, whose
        // colour would outweigh the floors' shading: only regions atrophic wherever they were found count.
        let atrophic = |r: &Option<crate::report::Region>| {
            r.as_ref()
                .is_none_or(|r| r.class == crate::report::RegionClass::Atrophic)
        };
        if atrophic(&rb) && atrophic(&ra) {
            pits.push(Spot {
                center,
                radius: 0.5 * diam,
            });
        }
    }
    // The original after photo: the odd contrast is a ratio of luminances, so it needs no colour matching,
    // and the per-channel gains would only mix the channels differently.
    // Both pair measures read the same working images of the two photos, prepared once.
    let fb = relief::Frame::new(before, &Affine::IDENTITY, &cp.relief);
    let fa = relief::Frame::new(after, &reg.map, &cp.relief);
    let relief_m = relief::measure_frames(
        &fb,
        &fa,
        before.dimensions(),
        after.dimensions(),
        &spots,
        &cp.relief,
    );
    for (m, si) in pair.regions.iter_mut().zip(&spot_of) {
        if let Some(r) = si.and_then(|i| relief_m.spot_ratio[i]) {
            m.relief_ratio = num(r);
            if m.before_id.is_some() && m.after_id.is_some() {
                m.status = status_from_ratio(r, &cp.matching);
            }
        }
    }
    let mm2 = opts
        .px_per_mm
        .filter(|p| p.is_finite() && *p > 0.0)
        .map(|p| 1.0 / (p * p))
        .unwrap_or(1.0);
    pair.changes = changes(
        &pair.before,
        &pair.after,
        &shared_b,
        &shared_a,
        mm2,
        mm2 / (scale * scale),
    );
    pair.changes.insert(
        "relief_index".into(),
        match relief_m.ratio {
            Some(_) => super::changes::change(Some(relief_m.before), Some(relief_m.after)),
            None => super::changes::change(None, None),
        },
    );
    pair.changes.insert(
        "relief_ratio".into(),
        super::changes::change(relief_m.ratio.map(|_| 1.0), relief_m.ratio),
    );
    // Reported as the share by which the floors are darker than the skin around them (0.3 = 30 % darker).
    let dark = super::darkening::measure(&fb, &fa, &pits, &cp.darkening);
    let share = super::darkening::darker_share;
    pair.changes.insert(
        "floor_darkening".into(),
        super::changes::change(dark.map(|d| share(d.before)), dark.map(|d| share(d.after))),
    );
    let (v, reasons) = verdict(&pair.changes, dark.as_ref(), &cp.verdict);
    pair.verdict = Some(v);
    pair.verdict_confidence =
        super::changes::verdict_confidence(v, relief_m.ratio, cp.verdict.relief_noise_sd)
            .and_then(num);
    pair.reasons = reasons;
    pair.reasons.push(format!(
        "relief read at {} places found on the pair (before or after photo)",
        relief_m.places.len()
    ));
    pair.reasons.push(format!(
        "compared over the area both photos show ({:.0} % of the before photo); {} before and {} after regions lie in it",
        reg.overlap * 100.0,
        shared_b.len(),
        shared_a.len()
    ));
    (pair, images)
}

/// A pair that could not be compared because a photo failed to load (the failed image carries its own error).
pub fn failed_pair(
    id: String,
    before: ImageReport,
    after: ImageReport,
    error: String,
) -> PairReport {
    PairReport {
        id,
        before,
        after,
        status: Status::Error,
        error: Some(crate::report::one_line(&error)),
        registration: None,
        normalisation: None,
        changes: Default::default(),
        regions: Vec::new(),
        verdict: None,
        verdict_confidence: None,
        reasons: vec![crate::report::one_line(&error)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_photo_sizes_never_panic() {
        let skin = image::Rgb([200, 150, 130]);
        // Textured skin so registration and the relief measure have something to read.
        let textured = |w: u32, h: u32| {
            RgbImage::from_fn(w, h, |x, y| {
                let n = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 23) as u8;
                image::Rgb([190 + n, 140 + n / 2, 120 + n / 3])
            })
        };
        let sizes = [
            ((1, 1), (1, 1)),
            ((2, 2), (300, 300)),
            ((3, 500), (3, 500)),
            ((500, 3), (500, 3)),
            ((16, 16), (16, 16)),
            ((17, 400), (17, 400)),
            ((400, 17), (17, 400)),
            ((40, 40), (120, 120)),
        ];
        let opts = CompareOptions::default();
        for ((bw, bh), (aw, ah)) in sizes {
            for plain in [true, false] {
                let (b, a) = if plain {
                    (
                        RgbImage::from_pixel(bw, bh, skin),
                        RgbImage::from_pixel(aw, ah, skin),
                    )
                } else {
                    (textured(bw, bh), textured(aw, ah))
                };
                let (rep, _) = compare_images("p".into(), "b".into(), &b, "a".into(), &a, &opts);
                let what = format!("{bw}x{bh} / {aw}x{ah}, plain {plain}");
                let reg = rep
                    .registration
                    .as_ref()
                    .expect("a loaded pair is registered");
                assert!((0.0..=1.0).contains(&reg.confidence), "{what}");
                assert!((0.0..=1.0).contains(&reg.overlap), "{what}");
                if bw.min(bh).min(aw).min(ah) < 16 {
                    assert!(!reg.ok, "{what}: too small to align");
                }
                // Flawless skin on both sides: nothing got better or worse.
                if plain {
                    assert!(
                        !matches!(
                            rep.verdict,
                            Some(super::super::report::ChangeVerdict::Improved)
                                | Some(super::super::report::ChangeVerdict::Worse)
                        ),
                        "{what}: {:?}",
                        rep.verdict
                    );
                }
            }
        }
    }
}
