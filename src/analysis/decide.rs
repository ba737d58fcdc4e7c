//! Decision stage: the scoring table that turns the picture features into the image's family, the
//! inflammation flag and the microneedling verdict.
//!
//! Like the ABCD rule of dermoscopy (domain.md §6: a weighted sum of named visible features whose weights were
//! fitted to real cases), each family gets a score `bias + Σ weight × z`, where `z` is a feature standardised
//! by the mean and spread of the photos the weights were fitted on. The scores become probabilities by the
//! softmax (multinomial logistic regression), so `family_confidence` is a probability that `calibrate`
//! measures on held-out photos. The weights live in the profile's `[decision]` section, written by
//! `scarscope calibrate`; the reasons name the features that carried the answer.
//!
//! ```
//! use scarscope::analysis::decide::{softmax, FAMILIES};
//! let p = softmax(&[0.0, 0.0, 0.0, 0.0, 0.0]);
//! assert!(p.iter().all(|&v| (v - 0.2).abs() < 1e-12));
//! assert_eq!(FAMILIES.len(), 5);
//! ```

use serde::{Deserialize, Serialize};

use super::picture::{FEATURES, N_FEATURES};
use crate::report::Family;

/// The families scored, in the order of the table's rows.
pub const FAMILIES: [Family; 5] = Family::ALL;

/// The scoring table (profile section `[decision]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DecisionRules {
    /// How the table was made (the `calibrate` command, a hash of its labels file, its figures).
    pub source: String,
    /// The features read, by name (see `analysis::picture::FEATURES`), in column order.
    pub features: Vec<String>,
    /// Mean of each feature over the fitting photos.
    pub mean: Vec<f64>,
    /// Spread (standard deviation) of each feature over the fitting photos.
    pub spread: Vec<f64>,
    /// Hinge knots, in spreads from the mean: besides its standardised value `z`, each feature enters the
    /// sum as `max(0, z - knot)` for every knot, so a feature can weigh more at one end of its range (an
    /// additive score with points per level, like the 7-point checklist, domain.md §6).
    #[serde(default)]
    pub knots: Vec<f64>,
    /// One row per family (atrophic, raised, active, flat, clear): the bias, then for each feature its
    /// weight on `z` followed by one weight per knot.
    pub weights: FamilyWeights,
    /// A photo is flagged as active acne when the active family's probability reaches this
    /// (calibrated: missing active acne is the worst error, domain.md §6).
    pub active_threshold: f64,
    /// Below this probability for the best family the answer is `uncertain`.
    pub min_confidence: f64,
    /// A picture with more than this share of its features beyond 5 spreads of the fitting photos' range is
    /// unlike anything the table was fitted on: its answer is `uncertain` rather than an extrapolation.
    #[serde(default = "default_max_outlying")]
    pub max_outlying: f64,
    /// A picture whose `papules` feature reaches this is flagged for active acne whatever the table reads
    /// (domain.md §6: missing active acne is the worst error; the table learns papules only from the acne
    /// sources it was fitted on). `calibrate` sets it so that `--papule-false-flags` (2 %) of the fitting
    /// photos that are not active acne reach it; absent, there is no such flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub papule_flag: Option<f64>,
    /// Long side, px, below which some family had no fitting photo: `calibrate` sets it to the largest,
    /// over the families, of the smallest long side among that family's fitting photos and their copies
    /// (0: no such size). Below it the table answers from sizes it saw for some families only, and small
    /// photos of every kind read as raised scars (docs/method.md, "Size is still evidence").
    #[serde(default)]
    pub small_photo_px: u32,
    /// The confidence an answer on a photo smaller than `small_photo_px` is held at: a photo that small
    /// is read as raised scars about as often whatever it shows (docs/method.md: of 60 clear-skin faces
    /// shrunk to 120 px, 30 were read as raised, at a median confidence of 0.98).
    #[serde(default = "default_small_photo_confidence")]
    pub small_photo_confidence: f64,
}

fn default_max_outlying() -> f64 {
    0.1
}

/// See [`DecisionRules::small_photo_confidence`].
pub fn default_small_photo_confidence() -> f64 {
    0.5
}

/// The table's rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FamilyWeights {
    /// Atrophic scars.
    pub atrophic: Vec<f64>,
    /// Raised scars.
    pub raised: Vec<f64>,
    /// Active acne.
    pub active: Vec<f64>,
    /// Flat marks.
    pub flat: Vec<f64>,
    /// Clear skin.
    pub clear: Vec<f64>,
}

impl FamilyWeights {
    /// The rows in [`FAMILIES`] order.
    pub fn rows(&self) -> [&Vec<f64>; 5] {
        [
            &self.atrophic,
            &self.raised,
            &self.active,
            &self.flat,
            &self.clear,
        ]
    }

    /// Builds the rows from a matrix in [`FAMILIES`] order.
    pub fn from_rows(rows: [Vec<f64>; 5]) -> Self {
        let [atrophic, raised, active, flat, clear] = rows;
        FamilyWeights {
            atrophic,
            raised,
            active,
            flat,
            clear,
        }
    }
}

impl DecisionRules {
    /// Checks that every named feature exists and every row has one bias plus one weight per feature.
    pub fn check(&self) -> Result<(), String> {
        let d = self.features.len();
        for name in &self.features {
            if !FEATURES.iter().any(|f| f.name == name) {
                return Err(format!("[decision] features: unknown feature `{name}`"));
            }
        }
        if self.mean.len() != d || self.spread.len() != d {
            return Err(format!(
                "[decision] mean and spread need {d} values, one per feature"
            ));
        }
        if self.papule_flag.is_some_and(|t| !t.is_finite()) {
            return Err("[decision] papule_flag must be a finite number".into());
        }
        if !(0.0..=1.0).contains(&self.small_photo_confidence) {
            return Err("[decision] small_photo_confidence must be between 0 and 1".into());
        }
        let cols = 1 + d * (1 + self.knots.len());
        for (f, row) in FAMILIES.iter().zip(self.weights.rows()) {
            if row.len() != cols {
                return Err(format!(
                    "[decision.weights] {}: needs {cols} values (a bias, then per feature one weight and one \
                     per knot)",
                    f.as_str(),
                ));
            }
        }
        Ok(())
    }

    /// The standardised feature vector (one `z` per feature, limited to ±5 spreads), from the picture
    /// features.
    pub fn standardise(&self, picture: &[f64; N_FEATURES]) -> Vec<f64> {
        let raw: Vec<f64> = self
            .features
            .iter()
            .map(|name| {
                FEATURES
                    .iter()
                    .position(|f| f.name == name)
                    .map_or(0.0, |i| picture[i])
            })
            .collect();
        standardise(&raw, &self.mean, &self.spread)
    }
}

/// `(x - mean) / spread` per feature, limited to ±5 spreads so one freak value cannot decide alone.
pub fn standardise(x: &[f64], mean: &[f64], spread: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(mean.iter().zip(spread))
        .map(|(v, (m, s))| ((v - m) / if *s > 1e-12 { *s } else { 1.0 }).clamp(-5.0, 5.0))
        .collect()
}

/// Share of the standardised features at the ±5-spread limit: how far a picture lies outside the photos
/// the table was fitted on.
pub fn outlying(z: &[f64]) -> f64 {
    if z.is_empty() {
        return 0.0;
    }
    z.iter().filter(|v| v.abs() >= 5.0).count() as f64 / z.len() as f64
}

/// The terms of the sum: per feature its `z`, then `max(0, z - knot)` per knot.
pub fn expand(z: &[f64], knots: &[f64]) -> Vec<f64> {
    let mut t = Vec::with_capacity(z.len() * (1 + knots.len()));
    for &v in z {
        t.push(v);
        t.extend(knots.iter().map(|k| (v - k).max(0.0)));
    }
    t
}

impl DecisionRules {
    /// The five family scores of a picture.
    pub fn scores(&self, picture: &[f64; N_FEATURES]) -> [f64; 5] {
        scores(
            self.weights.rows(),
            &expand(&self.standardise(picture), &self.knots),
        )
    }
}

/// Softmax of five scores (stable for large scores).
pub fn softmax(s: &[f64; 5]) -> [f64; 5] {
    let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e = s.map(|v| (v - m).exp());
    let t: f64 = e.iter().sum();
    e.map(|v| v / t)
}

/// The scores of the five families for a standardised feature vector `z`.
pub fn scores(rows: [&Vec<f64>; 5], z: &[f64]) -> [f64; 5] {
    rows.map(|r| r[0] + r[1..].iter().zip(z).map(|(w, x)| w * x).sum::<f64>())
}

/// What the table decides for one photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Probability of each family, in [`FAMILIES`] order.
    pub probabilities: [f64; 5],
    /// The family, `None` when the best probability is below `min_confidence`.
    pub family: Option<Family>,
    /// The best family's probability.
    pub confidence: f64,
    /// Whether active inflammation is flagged.
    pub active: bool,
    /// Plain sentences: the features that carried the answer.
    pub reasons: Vec<String>,
    /// Whether the answer came from the regions found one by one (scale given), not from the table.
    pub from_regions: bool,
}

/// Applies the table to the picture features.
pub fn decide(picture: &[f64; N_FEATURES], rules: &DecisionRules) -> Decision {
    let z = rules.standardise(picture);
    let p = softmax(&rules.scores(picture));
    let best = (0..5).fold(0, |b, i| if p[i] > p[b] { i } else { b });
    let odd = outlying(&z);
    let unlike = odd > rules.max_outlying;
    let family = (p[best] >= rules.min_confidence && !unlike).then_some(FAMILIES[best]);
    let active_p = p[Family::Active.index()];
    // The papule flag, when it holds: the picture's `papules` and the flag's value.
    let papule_field = FEATURES
        .iter()
        .position(|f| f.name == "papules")
        .zip(rules.papule_flag)
        .map(|(i, t)| (picture[i], t))
        .filter(|&(v, t)| v >= t);
    let active = family == Some(Family::Active)
        || active_p >= rules.active_threshold
        || papule_field.is_some();
    let mut reasons = vec![match family {
        None if unlike => format!(
            "the picture is unlike the photos the scoring table was fitted on ({:.0} % of its features lie \
             beyond their range): no family is given",
            100.0 * odd
        ),
        Some(f) => format!(
            "the picture reads as {} ({:.0} % by the scoring table)",
            words(f),
            100.0 * p[best]
        ),
        None => format!(
            "the picture's evidence is weak: the best reading, {}, has only {:.0} % by the scoring table",
            words(FAMILIES[best]),
            100.0 * p[best]
        ),
    }];
    reasons.extend(carried(rules, picture, &z, best, &p));
    if active && family != Some(Family::Active) && active_p >= rules.active_threshold {
        reasons.push(format!(
            "active acne is likely as well ({:.0} %, flagged from {:.0} %)",
            100.0 * active_p,
            100.0 * rules.active_threshold
        ));
    }
    if let Some((v, t)) = papule_field {
        reasons.push(format!(
            "many small red papules stand out of the skin around them ({:.2} per 1000 skin px; from {:.2}, \
             which few photos without active acne reach): active acne is flagged whatever the table reads",
            v.exp_m1(),
            t.exp_m1()
        ));
    }
    Decision {
        probabilities: p,
        family,
        confidence: p[best],
        active,
        reasons,
        from_regions: false,
    }
}

/// The decision from the regions found one by one, used when the scale is given: the family is active
/// acne when papules or pustules are counted, else the scar family with more regions, else flat marks or
/// clear skin. Its confidence is the mean confidence of the regions behind it (0.5 for clear skin), and
/// `probabilities` puts it all on that family: with a scale, no table was fitted to spread it.
pub fn from_regions(
    s: &crate::report::Summary,
    regions: &[crate::report::Region],
    rules: &crate::profile::SummaryRules,
) -> Decision {
    use crate::report::{Dominant, RegionClass};
    let counted: Vec<&crate::report::Region> = regions
        .iter()
        .filter(|r| r.confidence >= rules.min_confidence)
        .collect();
    let has = |c: RegionClass| counted.iter().any(|r| r.class == c);
    let family = if s.active_inflammation {
        Family::Active
    } else {
        match s.dominant {
            Dominant::Atrophic => Family::Atrophic,
            Dominant::Hypertrophic => Family::Raised,
            Dominant::None if has(RegionClass::Flat) => Family::Flat,
            Dominant::None => Family::Clear,
        }
    };
    let class = match family {
        Family::Atrophic => Some(RegionClass::Atrophic),
        Family::Raised => Some(RegionClass::Hypertrophic),
        Family::Active => Some(RegionClass::Inflammatory),
        Family::Flat => Some(RegionClass::Flat),
        Family::Clear => None,
    };
    let confs: Vec<f64> = counted
        .iter()
        .filter(|r| Some(r.class) == class)
        .map(|r| r.confidence)
        .collect();
    let confidence = if confs.is_empty() {
        0.5
    } else {
        confs.iter().sum::<f64>() / confs.len() as f64
    };
    let mut probabilities = [0.0; 5];
    probabilities[family.index()] = 1.0;
    Decision {
        probabilities,
        family: Some(family),
        confidence,
        active: s.active_inflammation,
        reasons: vec![format!(
            "scale given: the picture reads as {} from the lesions found one by one, sized in mm",
            words(family)
        )],
        from_regions: true,
    }
}

/// Withholds the family of a photo that is not good enough to judge (too little skin, blurred, too small,
/// glare: `quality.usable`): the table would only extrapolate there. The active-acne flag stays, since
/// missing active acne is the worst error (domain.md §6).
pub fn for_photo(mut d: Decision, usable: bool) -> Decision {
    if !usable && d.family.is_some() {
        d.family = None;
        d.reasons.insert(
            0,
            "the photo is not good enough to judge, so no family is given".into(),
        );
    }
    d
}

/// Holds the confidence of the table's answer for a photo whose long side (`long_side`, px) is below
/// [`DecisionRules::small_photo_px`] at [`DecisionRules::small_photo_confidence`], with the reason: the
/// family stays, but the table saw photos that small of some families only.
pub fn for_size(mut d: Decision, long_side: u32, rules: &DecisionRules) -> Decision {
    let small = long_side < rules.small_photo_px && !d.from_regions;
    if small && d.family.is_some() && d.confidence > rules.small_photo_confidence {
        d.confidence = rules.small_photo_confidence;
        d.reasons.insert(
            1,
            format!(
                "the photo is only {long_side} px on its long side, smaller than the photos of some \
                 families the scoring table was fitted on ({} px): photos that small are often read as raised \
                 scars whatever they show, so the confidence is held at {:.0} %",
                rules.small_photo_px,
                100.0 * rules.small_photo_confidence
            ),
        );
    }
    d
}

/// Words for a family.
pub fn words(f: Family) -> &'static str {
    match f {
        Family::Atrophic => "atrophic (sunken) scars",
        Family::Raised => "raised scars",
        Family::Active => "active acne",
        Family::Flat => "flat marks",
        Family::Clear => "clear skin",
    }
}

/// The three features that most favour family `best` over the runner-up, as sentences.
fn carried(
    rules: &DecisionRules,
    picture: &[f64; N_FEATURES],
    z: &[f64],
    best: usize,
    p: &[f64; 5],
) -> Vec<String> {
    let second = (0..5)
        .filter(|&i| i != best)
        .fold(None, |b: Option<usize>, i| match b {
            Some(j) if p[j] >= p[i] => Some(j),
            _ => Some(i),
        })
        .unwrap_or(best);
    let rows = rules.weights.rows();
    let terms = expand(z, &rules.knots);
    let per = 1 + rules.knots.len();
    // A feature's part is the sum over its terms of (best row - runner-up row) x term.
    let mut parts: Vec<(f64, usize)> = (0..z.len())
        .map(|j| {
            let c = (j * per..(j + 1) * per)
                .map(|t| (rows[best][t + 1] - rows[second][t + 1]) * terms[t])
                .sum::<f64>();
            (c, j)
        })
        .filter(|(c, _)| *c > 0.1)
        .collect();
    parts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    parts
        .iter()
        .take(3)
        .filter_map(|&(_, j)| {
            let i = FEATURES.iter().position(|f| f.name == rules.features[j])?;
            let f = &FEATURES[i];
            let level = if z[j] > 0.0 { "more" } else { "less" };
            Some(format!(
                "{} is {} than usual ({} = {:.3}): points to {} rather than {}",
                f.says,
                level,
                f.name,
                picture[i],
                words(FAMILIES[best]),
                words(FAMILIES[second])
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn papules_reaching_the_papule_flag_flag_active_acne_whatever_the_table_reads() {
        let mut rules = Profile::builtin().decision;
        // The table alone flags nothing and names no family here.
        rules.active_threshold = 1.01;
        rules.min_confidence = 1.01;
        let mut picture = [0.0; N_FEATURES];
        for (name, m) in rules.features.iter().zip(&rules.mean) {
            if let Some(i) = FEATURES.iter().position(|f| f.name == name) {
                picture[i] = *m;
            }
        }
        let i = FEATURES
            .iter()
            .position(|f| f.name == "papules")
            .expect("the papules feature");
        rules.papule_flag = Some(0.7);
        picture[i] = 0.69;
        let below = decide(&picture, &rules);
        assert!(!below.active, "{:?}", below.reasons);
        picture[i] = 0.7;
        let at = decide(&picture, &rules);
        assert!(at.active);
        assert_eq!(at.family, None);
        let why = at.reasons.last().map_or("", |s| s.as_str());
        // ln(1 + 1.01) = 0.7: about one papule per 1000 skin px.
        assert!(why.contains("papules") && why.contains("1.01"), "{why}");
        // Without the flag in the profile, the same picture is not flagged.
        rules.papule_flag = None;
        assert!(!decide(&picture, &rules).active);
    }

    #[test]
    fn an_answer_on_a_photo_smaller_than_some_families_fitting_photos_is_held_at_the_small_photo_confidence(
    ) {
        let mut rules = Profile::builtin().decision;
        rules.small_photo_px = 160;
        rules.small_photo_confidence = 0.5;
        let raised = Decision {
            probabilities: [0.01, 0.96, 0.01, 0.01, 0.01],
            family: Some(Family::Raised),
            confidence: 0.96,
            active: false,
            reasons: vec!["the picture reads as raised scars (96 % by the scoring table)".into()],
            from_regions: false,
        };
        // 159 px: held, the family and the table's probabilities kept, the reason second.
        let held = for_size(raised.clone(), 159, &rules);
        assert_eq!(held.confidence, 0.5);
        assert_eq!(held.family, Some(Family::Raised));
        assert_eq!(held.probabilities, raised.probabilities);
        assert!(
            held.reasons[1].contains("159 px") && held.reasons[1].contains("160 px"),
            "{:?}",
            held.reasons
        );
        // 160 px, an answer already below the cap, no family, or one from the regions: unchanged.
        assert_eq!(for_size(raised.clone(), 160, &rules), raised);
        let weak = Decision {
            confidence: 0.45,
            ..raised.clone()
        };
        assert_eq!(for_size(weak.clone(), 100, &rules), weak);
        let none = Decision {
            family: None,
            ..raised.clone()
        };
        assert_eq!(for_size(none.clone(), 100, &rules), none);
        let regions = Decision {
            from_regions: true,
            ..raised.clone()
        };
        assert_eq!(for_size(regions.clone(), 100, &rules), regions);
        // A table without the size (0, as before calibrate measured it) holds nothing.
        rules.small_photo_px = 0;
        assert_eq!(for_size(raised.clone(), 10, &rules), raised);
    }
}
