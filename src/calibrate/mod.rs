//! `scarscope calibrate`: fits the scoring table of the image-level decision to labelled photos.
//!
//! Every photo is analysed once with the base profile; the picture features do not depend on the table, so
//! every fit (each cross-validation fold, each held-out source, the final table) reuses them. Folds are
//! grouped: copies of one photograph (the same source file stem, see `evaluate::labels::photo_group`) never
//! sit on both sides, and each family is spread evenly over the folds.

pub mod fit;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::analysis::decide::{DecisionRules, FAMILIES};
use crate::analysis::picture::{FEATURES, N_FEATURES};
use crate::analyze::{analyze, AnalysisOptions};
use crate::batch::{load_whole_admitted, progress, run_ordered, thread_pool, UsageError};
use crate::evaluate::labelled::{images_dir, labelled_paths};
use crate::evaluate::labels::{read_labels, LabelRow};
use crate::evaluate::real::{score, Figures, Outcome};
use crate::evaluate::stability::{fnv1a, fnv1a_bytes, Answer, Change, Kept as Same};
use crate::memory::MemoryBudget;
use crate::profile::Profile;
use crate::report::{ImageReport, Microneedling, ScaleSource, Status, Summary};
use fit::{fit, Example};

/// Arguments of `scarscope calibrate`.
#[derive(Debug, Clone, clap::Args)]
pub struct CalibrateArgs {
    /// Labels CSV (header with `file` and `family`; optional `subtype`, `source`).
    #[arg(long, value_name = "FILE.csv")]
    pub labels: PathBuf,
    /// Folder the labels' `file` column is relative to (default: the CSV's folder).
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Where to write the profile (atomically).
    #[arg(short = 'o', long, value_name = "PROFILE.toml")]
    pub output: PathBuf,
    /// Number of cross-validation folds.
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub folds: usize,
    /// Seed of the fold assignment.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Cross-validate again with fold seeds S+1 … S+R-1 and write each headline figure per seed and their mean
    /// (the draw of the folds alone moves balanced accuracy by about 3 points on the development set, so a fit
    /// option is judged over several draws). The table and the other header lines are those of `--seed`.
    #[arg(long, value_name = "R", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=20))]
    pub repeats: u64,
    /// L2 strength of the fit (on the mean loss).
    #[arg(long, value_name = "F", default_value_t = 0.0003)]
    pub lambda: f64,
    /// Hinge knots of the table, in spreads from the mean (comma-separated; `--knots=` with nothing for a
    /// plain linear table).
    #[arg(long, value_name = "Z,...", default_value = "-1,0,1", value_parser = parse_knots)]
    pub knots: Knots,
    /// Class balance of the fit: 1 weighs every family alike, 0 every photo alike.
    #[arg(long, value_name = "B", default_value_t = 1.0)]
    pub balance: f64,
    /// Size balance within each family: 1 weighs each band of the long side (under 160, 160-319, 320-639,
    /// 640-1279, 1280+ px) alike, 0 every photo alike. 0.5 for the built-in table: its raised photos are
    /// mostly thumbnails and every other family's are 640 px (docs/method.md).
    #[arg(long, value_name = "B", default_value_t = 0.5)]
    pub size_balance: f64,
    /// Weight of the penalty on copies of one photo (the `--augment` copies and a photograph's own copies in
    /// the labels) scoring apart; 0 leaves it out.
    #[arg(long, value_name = "MU", default_value_t = 0.0)]
    pub consistency: f64,
    /// Below this best-family probability the answer is `uncertain` (written into the profile).
    #[arg(long, value_name = "P", default_value_t = 0.4)]
    pub min_confidence: f64,
    /// Active-acne recall the flag's threshold is set for on the fitting photos.
    #[arg(long, value_name = "R", default_value_t = 0.95)]
    pub active_recall: f64,
    /// Share of the fitting photos that are not active acne whose `papules` feature may reach the papule
    /// flag (`[decision] papule_flag`: that many papules flag active acne whatever the table reads); 0 leaves
    /// the flag out.
    #[arg(long, value_name = "SHARE", default_value_t = 0.02)]
    pub papule_false_flags: f64,
    /// Write only the `[decision]` section (the form of the built-in `profiles/decision.toml`).
    #[arg(long)]
    pub decision_only: bool,
    /// Base profile whose analysis rules are kept (default: the built-in one).
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Photos analysed in parallel (default: all cores). The profile does not depend on it.
    #[arg(short = 'j', long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::positive_count)]
    pub jobs: Option<usize>,
    /// Memory budget for the photos in flight, as `analyze --max-memory`: each photo waits for its share,
    /// read from its header; one larger than the budget runs alone. The profile does not depend on it.
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)]
    pub max_memory: Option<u64>,
    /// No progress bar and no figures on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also fit on this many rendered scenes (the project's renderer, known truth, analysed without the scale
    /// as the table only decides then), so the table knows rendered crops too. They never enter the figures.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rendered: usize,
    /// Seed of the rendered scenes.
    #[arg(long, value_name = "S", default_value_t = 7777)]
    pub rendered_seed: u64,
    /// Leave these picture features out of the table (comma-separated names; a name ending in `*` is a
    /// prefix), e.g. to measure what a group of features brings.
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Keep the per-photo analysis in FILE (JSON lines) and reuse it when it matches the labels and the
    /// feature list, so that trying other fitting options does not analyse the photos again.
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
    /// Also fit on each photo after these changes (comma-separated: half, jpeg60, crop10, exposure, mirror,
    /// the changes of `evaluate --stability`; thumb and zoom, fitting changes only), so that the table
    /// learns answers that survive them. Each
    /// changed copy sits in its photo's fold; the figures are on the unchanged photos only, and the
    /// held-out stability under each change is reported.
    #[arg(long, value_name = "CHANGE,...", value_delimiter = ',')]
    pub augment: Vec<Change>,
    /// Report held-out stability under these changes without fitting on them (to measure a table fitted
    /// without `--augment` the same way).
    #[arg(long, value_name = "CHANGE,...", value_delimiter = ',')]
    pub check: Vec<Change>,
    /// Write each photo's held-out answer (file, label, source, decided family, confidence, active
    /// probability, dominant finding, then the dominant finding of each changed copy) to FILE.csv, to see
    /// which photos the cross-validated table misses and which change their answer.
    #[arg(long, value_name = "FILE.csv")]
    pub held_out: Option<PathBuf>,
}

/// The hinge knots of `--knots`, in spreads from the mean; empty for a plain linear table.
#[derive(Debug, Clone, PartialEq)]
pub struct Knots(pub Vec<f64>);

/// Parses `--knots`: comma-separated finite numbers, or nothing at all (a plain linear table).
fn parse_knots(s: &str) -> Result<Knots, String> {
    if s.trim().is_empty() {
        return Ok(Knots(Vec::new()));
    }
    s.split(',')
        .map(|v| match v.trim().parse::<f64>() {
            Ok(k) if k.is_finite() => Ok(k),
            _ => Err(format!(
                "`{v}` is not a number (knots are numbers like -1,0,1)"
            )),
        })
        .collect::<Result<Vec<f64>, String>>()
        .map(Knots)
}

/// What calibration keeps of one photo's analysis.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Kept {
    /// Picture features.
    #[serde(with = "features_serde")]
    pub picture: [f64; N_FEATURES],
    /// The summary before the table's answer is applied again.
    pub summary: Summary,
    /// Whether the photo was usable.
    pub usable: bool,
    /// Quality notes.
    pub notes: Vec<String>,
    /// Long side of the photo or copy analysed, px (absent in caches written before it was kept).
    #[serde(default)]
    pub long_side: Option<u32>,
}

/// The report a table would give for a kept analysis (only what the scores read is filled).
pub fn report_with(k: Option<&Kept>, rules: &DecisionRules) -> ImageReport {
    let Some(k) = k else {
        return ImageReport::failed(String::new(), "failed".into(), None, None);
    };
    let d = crate::analysis::decide::for_photo(
        crate::analysis::decide::decide(&k.picture, rules),
        k.usable,
    );
    let d = match k.long_side {
        Some(side) => crate::analysis::decide::for_size(d, side, rules),
        None => d,
    };
    let mut summary = k.summary.clone();
    summary.notes.clear();
    crate::summarise::apply_decision(&mut summary, &d, &k.picture);
    let verdict: Microneedling = crate::summarise::verdict(&summary, &d, k.usable, &k.notes);
    ImageReport {
        path: String::new(),
        status: Status::Ok,
        error: None,
        // Only the long side is kept; the scores read the size as the larger of the two.
        width: k.long_side,
        height: None,
        px_per_mm: None,
        scale_source: ScaleSource::None,
        quality: None,
        lighting: None,
        texture: Default::default(),
        regions: Vec::new(),
        summary: Some(summary),
        microneedling: Some(verdict),
    }
}

/// Stratified grouped folds: groups of copies are shuffled by `seed` and dealt out per family.
pub fn fold_of(rows: &[LabelRow], k: usize, seed: u64) -> Vec<usize> {
    let mut group_family: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        group_family.entry(r.group()).or_insert(r.family.index());
    }
    let mut fold_of_group: BTreeMap<String, usize> = BTreeMap::new();
    for fam in 0..5 {
        let mut groups: Vec<&String> = group_family
            .iter()
            .filter(|(_, &f)| f == fam)
            .map(|(g, _)| g)
            .collect();
        groups.sort_by_key(|g| (fnv1a(&format!("{seed}:{g}")), (*g).clone()));
        for (i, g) in groups.into_iter().enumerate() {
            fold_of_group.insert(g.clone(), i % k.max(1));
        }
    }
    rows.iter()
        .map(|r| fold_of_group.get(&r.group()).copied().unwrap_or(0))
        .collect()
}

/// A decision table fitted on `train`, with the flag threshold set for `active_recall` on held-out
/// predictions of `train` itself (three inner grouped folds): in-sample probabilities are overconfident and
/// would set the threshold too high for new photos.
fn table(train: &[Example], args: &CalibrateArgs, source: String) -> DecisionRules {
    let fit_on = |ex: &[Example]| {
        fit(
            ex,
            args.lambda,
            &args.knots.0,
            args.balance,
            args.size_balance,
            args.consistency,
        )
    };
    let f = fit_on(train);
    let active = crate::report::Family::Active.index();
    let mut ps: Vec<f64> = Vec::new();
    for k in 0..3u64 {
        let inner: Vec<Example> = train.iter().filter(|e| e.group % 3 != k).cloned().collect();
        let g = fit_on(&inner);
        ps.extend(
            train
                .iter()
                .filter(|e| e.group % 3 == k && e.y == active)
                .map(|e| g.predict(&e.x)[active]),
        );
    }
    ps.sort_by(f64::total_cmp);
    // The largest threshold that still flags `active_recall` of the active photos, never above one half.
    let miss = ((1.0 - args.active_recall.clamp(0.0, 1.0)) * ps.len() as f64).floor() as usize;
    let thr = ps.get(miss).copied().unwrap_or(0.5).min(0.5);
    let papule_flag = papule_flag(train, args);
    DecisionRules {
        source,
        features: kept_features(&args.exclude)
            .into_iter()
            .map(|i| FEATURES[i].name.to_string())
            .collect(),
        mean: f.mean.clone(),
        spread: f.spread.clone(),
        knots: f.knots.clone(),
        weights: f.weights(),
        active_threshold: crate::report::round_sig(thr),
        min_confidence: args.min_confidence,
        max_outlying: 0.1,
        papule_flag,
        small_photo_px: smallest_shared_size(train),
        small_photo_confidence: crate::analysis::decide::default_small_photo_confidence(),
    }
}

/// The long side, px, from which every family of `train` has fitting photos: the largest, over the
/// families, of the smallest long side among that family's examples (0 when no size is known).
fn smallest_shared_size(train: &[Example]) -> u32 {
    let mut least = [None::<u32>; 5];
    for e in train.iter().filter(|e| e.long_side > 0) {
        let m = &mut least[e.y];
        *m = Some(m.map_or(e.long_side, |v: u32| v.min(e.long_side)));
    }
    least.iter().flatten().copied().max().unwrap_or(0)
}

/// The papule flag (`[decision] papule_flag`): the `papules` value that only `--papule-false-flags` of the
/// fitting photos that are not active acne reach (the next value up from that quantile), `None` when the
/// share is 0 or the feature is left out of the table.
fn papule_flag(train: &[Example], args: &CalibrateArgs) -> Option<f64> {
    let share = args.papule_false_flags;
    let col = kept_features(&args.exclude)
        .into_iter()
        .position(|i| FEATURES[i].name == "papules")?;
    if share <= 0.0 {
        return None;
    }
    let active = crate::report::Family::Active.index();
    let mut v: Vec<f64> = train
        .iter()
        .filter(|e| e.y != active)
        .map(|e| e.x[col])
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let k = (((1.0 - share.min(1.0)) * v.len() as f64).floor() as usize).min(v.len() - 1);
    Some(crate::report::round_sig(v[k]))
}

/// Indices of the features the table reads: all but those `exclude` names (or prefixes ending in `*`).
fn kept_features(exclude: &[String]) -> Vec<usize> {
    (0..N_FEATURES)
        .filter(|&i| {
            let name = FEATURES[i].name;
            !exclude.iter().any(|e| match e.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == e,
            })
        })
        .collect()
}

/// The table's columns of a picture's features.
fn columns(picture: &[f64; N_FEATURES], exclude: &[String]) -> Vec<f64> {
    kept_features(exclude)
        .into_iter()
        .map(|i| picture[i])
        .collect()
}

fn examples(
    kept: &[Option<Kept>],
    rows: &[LabelRow],
    exclude: &[String],
    pick: impl Fn(usize) -> bool,
) -> Vec<Example> {
    kept.iter()
        .zip(rows)
        .enumerate()
        .filter(|(i, _)| pick(*i))
        .filter_map(|(_, (k, r))| {
            k.as_ref().map(|k| Example {
                x: columns(&k.picture, exclude),
                y: r.family.index(),
                group: fnv1a(&r.group()),
                long_side: k.long_side.unwrap_or(0),
            })
        })
        .collect()
}

mod features_serde {
    use super::N_FEATURES;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(v: &[f64; N_FEATURES], s: S) -> Result<S::Ok, S::Error> {
        v.to_vec().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; N_FEATURES], D::Error> {
        let v = Vec::<f64>::deserialize(d)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom("wrong number of features"))
    }
}

/// The cache key: the labels' files, the feature names, the grid and the tool's version (a changed feature
/// list or grid analyses again; a changed computation under the same names needs a fresh cache file).
fn cache_key(rows: &[LabelRow], change: Option<Change>) -> String {
    let mut names: Vec<String> = FEATURES.iter().map(|f| f.name.to_string()).collect();
    if let Some(c) = change {
        names.push(format!("changed {}", c.as_str()));
    }
    names.push(format!(
        "grid {} v{}",
        crate::analysis::picture::GRID,
        env!("CARGO_PKG_VERSION")
    ));
    let files: Vec<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    format!(
        "{:016x}",
        fnv1a(&format!("{}|{}", names.join(","), files.join("|")))
    )
}

/// Reads the cache when it matches, else analyses and writes it.
fn cached_analysis(
    args: &CalibrateArgs,
    rows: &[LabelRow],
    opts: &AnalysisOptions,
    change: Option<Change>,
) -> anyhow::Result<Vec<Option<Kept>>> {
    let key = cache_key(rows, change);
    // Each change keeps its own file beside the unchanged photos' one (`cache.jsonl.half`, ...).
    let cache = args.cache.as_ref().map(|p| match change {
        Some(c) => {
            let mut s = p.clone().into_os_string();
            s.push(format!(".{}", c.as_str()));
            PathBuf::from(s)
        }
        None => p.clone(),
    });
    if let Some(path) = &cache {
        if let Ok(text) = std::fs::read_to_string(path) {
            let mut lines = text.lines();
            if lines.next() == Some(key.as_str()) {
                let kept: Result<Vec<Option<Kept>>, _> = lines.map(serde_json::from_str).collect();
                if let Ok(k) = kept.map_err(anyhow::Error::from).and_then(|k| {
                    anyhow::ensure!(k.len() == rows.len(), "cache length");
                    Ok(k)
                }) {
                    return Ok(k);
                }
            }
        }
    }
    let kept = analyse_all(args, rows, opts, change)?;
    if let Some(path) = &cache {
        let mut text = format!("{key}\n");
        for k in &kept {
            text.push_str(&serde_json::to_string(k)?);
            text.push('\n');
        }
        crate::output::write_atomic(path, text.as_bytes())?;
    }
    Ok(kept)
}

/// Analyses the labelled photos once (after `change`, when given), keeping what every fit needs.
fn analyse_all(
    args: &CalibrateArgs,
    rows: &[LabelRow],
    opts: &AnalysisOptions,
    change: Option<Change>,
) -> anyhow::Result<Vec<Option<Kept>>> {
    let dir = images_dir(&args.labels, args.images.as_deref());
    let paths = labelled_paths(rows, &dir)?;
    let pool = thread_pool(args.jobs, args.quiet)?;
    let bar = progress(paths.len(), args.quiet);
    let mut kept = Vec::with_capacity(paths.len());
    let items: Vec<(&PathBuf, &LabelRow)> = paths.iter().zip(rows).collect();
    let budget = MemoryBudget::for_run(args.max_memory);
    run_ordered(
        &pool,
        &items,
        |(path, row)| {
            // A panic while decoding (as while analysing) loses this photo's example, not the fit. The photo
            // waits for its memory (and a changed copy's) and holds it until analysed.
            let copies = u64::from(change.is_some());
            let (loaded, _held) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                load_whole_admitted(path, 100.0, opts, copies, &budget)
            }))
            .ok()?
            .ok()?;
            if change.is_some_and(|c| !c.alters(loaded.rgb.width(), loaded.rgb.height())) {
                return None;
            }
            let a = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match change {
                // The same change `evaluate --stability` makes (keyed by the labels' file name).
                Some(c) => analyze(&c.apply(&loaded.rgb, &row.file), opts),
                None => analyze(&loaded.rgb, opts),
            }))
            .ok()?;
            Some(Kept {
                picture: a.picture,
                usable: a.quality.usable,
                notes: a.quality.notes.clone(),
                summary: a.summary,
                long_side: Some(a.width.max(a.height)),
            })
        },
        |k| -> anyhow::Result<()> {
            bar.inc();
            kept.push(k);
            Ok(())
        },
    )?;
    bar.finish();
    Ok(kept)
}

/// The family a rendered scene's truth expects.
fn scene_family(t: &crate::render::Truth) -> crate::report::Family {
    use crate::report::{Dominant, Family, RegionClass};
    match (t.expected.active_inflammation, t.expected.dominant) {
        (true, _) => Family::Active,
        (false, Dominant::Atrophic) => Family::Atrophic,
        (false, Dominant::Hypertrophic) => Family::Raised,
        (false, Dominant::None) if t.lesions.iter().any(|l| l.class == RegionClass::Flat) => {
            Family::Flat
        }
        (false, Dominant::None) => Family::Clear,
    }
}

/// Picture features and families of `count` rendered scenes (in scene order, whatever the thread count).
fn rendered_examples(args: &CalibrateArgs, opts: &AnalysisOptions) -> anyhow::Result<Vec<Example>> {
    if args.rendered == 0 {
        return Ok(Vec::new());
    }
    let base = crate::render::SceneParams {
        width: 800,
        height: 600,
        px_per_mm: 12.0,
        jpeg_quality: Some(80),
        ..Default::default()
    };
    let suite = crate::render::scene_suite(args.rendered_seed, args.rendered, &base);
    let pool = thread_pool(args.jobs, args.quiet)?;
    let idx: Vec<usize> = (0..suite.len()).collect();
    let mut out = Vec::with_capacity(suite.len());
    run_ordered(
        &pool,
        &idx,
        |&i| {
            let r = crate::render::render(&crate::render::random_scene(&suite[i]));
            let a = analyze(&r.rgb, opts);
            Example {
                x: columns(&a.picture, &args.exclude),
                y: scene_family(&r.truth).index(),
                group: i as u64,
                long_side: a.width.max(a.height),
            }
        },
        |e| -> anyhow::Result<()> {
            out.push(e);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Figures of held-out predictions: each photo scored with the table fitted without it.
fn held_out_figures(
    rows: &[LabelRow],
    reports: &[ImageReport],
) -> crate::evaluate::real::LabelScores {
    let outcomes: Vec<Outcome> = rows
        .iter()
        .zip(reports)
        .map(|(label, r)| Outcome {
            label,
            report: Some(r),
        })
        .collect();
    score(&outcomes)
}

/// Writes each photo's held-out answer as CSV (file names are the labels' own; cells neutralised as in
/// `analyze --format csv`).
fn write_held_out(
    path: &std::path::Path,
    rows: &[LabelRow],
    reps: &[ImageReport],
    changes: &[&str],
    after: &[Vec<Option<Answer>>],
) -> anyhow::Result<()> {
    let mut text = String::from("file,label,source,decided,confidence,active_probability,dominant");
    for c in changes {
        text.push_str(&format!(",{c}"));
    }
    text.push('\n');
    let dominant = |a: Option<Answer>| a.map_or("", |a| a.dominant.as_str());
    for (i, (r, rep)) in rows.iter().zip(reps).enumerate() {
        let s = rep.summary.as_ref();
        let decided = s.map_or("error", |s| s.family.map_or("uncertain", |f| f.as_str()));
        let conf = s.map(|s| s.family_confidence);
        let active = s.and_then(|s| s.family_probabilities.get("active").copied());
        let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.4}"));
        text.push_str(&format!(
            "{},{},{},{},{},{},{}",
            crate::output::csv_field(&r.file),
            r.family.as_str(),
            crate::output::csv_field(&r.source_key().unwrap_or_default()),
            decided,
            num(conf),
            num(active),
            dominant(Answer::of(rep))
        ));
        for a in after {
            text.push_str(&format!(",{}", dominant(a[i])));
        }
        text.push('\n');
    }
    crate::output::write_atomic(path, text.as_bytes())
        .map_err(|e| UsageError(format!("{e:#}")).into())
}

/// One line of figures for the profile header and stderr.
fn summary_line(f: &Figures) -> String {
    let v = |s: &crate::evaluate::real::Share| s.value().map_or("-".into(), |x| format!("{x:.3}"));
    format!(
        "atrophic_vs_raised_balanced_accuracy {}, atrophic_typical {}, raised_not_typical {}, active_flagged {}, \
         active_not_typical {}, flat_not_typical {}, clear_not_typical {}, family {}, family at confidence >= 0.8 {} \
         ({} photos)",
        f.balanced_accuracy().map_or("-".into(), |x| format!("{x:.3}")),
        v(&f.verdict.atrophic_typical),
        v(&f.verdict.raised_not_typical),
        v(&f.active_flagged),
        v(&f.verdict.active_not_typical),
        v(&f.verdict.flat_not_typical),
        v(&f.verdict.clear_not_typical),
        v(&f.family),
        v(&f.confident_family),
        f.images
    )
}

/// The fitting examples of the photos a predicate keeps (each photo and its fitted copies).
type Fitting<'a> = dyn Fn(&dyn Fn(usize) -> bool) -> Vec<Example> + 'a;

/// One cross-validation's held-out answers.
struct CrossValidated {
    /// Each photo's report from the table fitted without its fold.
    reports: Vec<ImageReport>,
    /// Per change: how many held-out photos kept their answer.
    same: Vec<Same>,
    /// Per change: each photo's held-out answer after it (`None`: no copy).
    changed: Vec<Vec<Option<Answer>>>,
}

/// What every cross-validation reads, whatever its folds.
struct CrossValidation<'a> {
    rows: &'a [LabelRow],
    kept: &'a [Option<Kept>],
    changed: &'a [(Change, bool, Vec<Option<Kept>>)],
    fitting: &'a Fitting<'a>,
    scenes: &'a [Example],
    args: &'a CalibrateArgs,
    base: &'a DecisionRules,
}

impl CrossValidation<'_> {
    /// Cross-validation with the folds of `seed`: every photo (and its changed copies) predicted by the table
    /// fitted on the other folds.
    fn with_seed(&self, seed: u64) -> CrossValidated {
        let (rows, changed, args) = (self.rows, self.changed, self.args);
        let folds = fold_of(rows, args.folds, seed);
        let mut reports: Vec<ImageReport> = vec![report_with(None, self.base); rows.len()];
        let mut same = vec![Same::default(); changed.len()];
        let mut answers_after: Vec<Vec<Option<Answer>>> =
            vec![vec![None; rows.len()]; changed.len()];
        for k in 0..args.folds {
            let mut train = (self.fitting)(&|i| folds[i] != k);
            train.extend(self.scenes.iter().cloned());
            let t = table(&train, args, String::new());
            for i in (0..rows.len()).filter(|&i| folds[i] == k) {
                reports[i] = report_with(self.kept[i].as_ref(), &t);
                for (((c, _, ck), kept_same), answers) in changed
                    .iter()
                    .zip(same.iter_mut())
                    .zip(answers_after.iter_mut())
                {
                    // A thumbnail is not shrunk again (nor a small photo zoomed into): no copy, nothing to
                    // compare.
                    if ck[i].is_none() && c.fitting_only() {
                        continue;
                    }
                    let after = report_with(ck[i].as_ref(), &t);
                    answers[i] = Answer::of(&after);
                    kept_same.add(Answer::of(&reports[i]), answers[i]);
                }
            }
        }
        CrossValidated {
            reports,
            same,
            changed: answers_after,
        }
    }
}

/// The headline figures of several fold draws, each per seed and their mean, for the profile header.
fn draws_line(draws: &[(u64, &Figures, &[Same])], changes: &[&str]) -> String {
    let per = |name: &str, v: &dyn Fn(&Figures) -> Option<f64>| {
        let xs: Vec<Option<f64>> = draws.iter().map(|(_, f, _)| v(f)).collect();
        let each = xs
            .iter()
            .map(|x| x.map_or("-".into(), |x| format!("{x:.3}")))
            .collect::<Vec<_>>()
            .join(" / ");
        let known: Vec<f64> = xs.iter().flatten().copied().collect();
        match known.len() {
            n if n == xs.len() && n > 0 => {
                format!(
                    "{name} {each} (mean {:.3})",
                    known.iter().sum::<f64>() / n as f64
                )
            }
            _ => format!("{name} {each}"),
        }
    };
    let mut parts = vec![
        per("atrophic_vs_raised_balanced_accuracy", &|f| {
            f.balanced_accuracy()
        }),
        per("atrophic_typical", &|f| f.verdict.atrophic_typical.value()),
        per("active_flagged", &|f| f.active_flagged.value()),
        per("active_not_typical", &|f| {
            f.verdict.active_not_typical.value()
        }),
        per("clear_not_typical", &|f| {
            f.verdict.clear_not_typical.value()
        }),
        per("family", &|f| f.family.value()),
    ];
    for (j, c) in changes.iter().enumerate() {
        let both: Vec<f64> = draws
            .iter()
            .map(|(_, _, k)| 100.0 * k[j].both as f64 / k[j].photos.max(1) as f64)
            .collect();
        parts.push(format!(
            "{c} both {} % (mean {:.1})",
            both.iter()
                .map(|x| format!("{x:.1}"))
                .collect::<Vec<_>>()
                .join(" / "),
            both.iter().sum::<f64>() / both.len().max(1) as f64
        ));
    }
    let seeds = draws
        .iter()
        .map(|(s, _, _)| s.to_string())
        .collect::<Vec<_>>()
        .join(" / ");
    format!("fold seeds {seeds}: {}", parts.join(", "))
}

/// Runs `scarscope calibrate`.
pub fn run(args: &CalibrateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.folds < 2 {
        bail!(UsageError("--folds must be at least 2".into()));
    }
    if !(args.consistency.is_finite() && args.consistency >= 0.0) {
        bail!(UsageError(format!(
            "--consistency must be a number >= 0, got {}",
            args.consistency
        )));
    }
    for (name, v) in [
        ("--balance", args.balance),
        ("--size-balance", args.size_balance),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            bail!(UsageError(format!("{name} must be a number >= 0, got {v}")));
        }
    }
    if !(args.lambda.is_finite() && args.lambda >= 0.0) {
        bail!(UsageError(format!(
            "--lambda must be a number >= 0, got {}",
            args.lambda
        )));
    }
    let labels_bytes = std::fs::read(&args.labels)
        .map_err(|e| UsageError(format!("cannot read labels {}: {e}", args.labels.display())))?;
    let rows = read_labels(&args.labels).map_err(|e| UsageError(format!("{e:#}")))?;
    let base = match &args.profile {
        Some(p) => Profile::from_file(p).map_err(|e| UsageError(format!("{e:#}")))?,
        None => Profile::builtin(),
    };
    if let Some(parent) = args.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            bail!(UsageError(format!(
                "cannot write {}: no such folder",
                args.output.display()
            )));
        }
    }
    let opts = AnalysisOptions {
        px_per_mm: None,
        profile: Arc::new(base.clone()),
    };
    let kept = cached_analysis(args, &rows, &opts, None)?;
    // Changed copies: those of `--augment` are fitted on, those of `--check` only measured.
    let mut changed: Vec<(Change, bool, Vec<Option<Kept>>)> = Vec::new();
    for (c, fitted) in args
        .augment
        .iter()
        .map(|&c| (c, true))
        .chain(args.check.iter().map(|&c| (c, false)))
    {
        if !changed.iter().any(|(d, _, _)| *d == c) {
            changed.push((c, fitted, cached_analysis(args, &rows, &opts, Some(c))?));
        }
    }
    // The fitting examples of the photos `pick` keeps: unchanged, then each fitted change.
    let fitting = |pick: &dyn Fn(usize) -> bool| {
        let mut e = examples(&kept, &rows, &args.exclude, pick);
        for (_, _, k) in changed.iter().filter(|(_, fitted, _)| *fitted) {
            e.extend(examples(k, &rows, &args.exclude, pick));
        }
        e
    };
    let scenes = rendered_examples(args, &opts)?;
    let cv_inputs = CrossValidation {
        rows: &rows,
        kept: &kept,
        changed: &changed,
        fitting: &fitting,
        scenes: &scenes,
        args,
        base: &base.decision,
    };
    let CrossValidated {
        reports: cv_reports,
        same: cv_same,
        changed: cv_changed,
    } = cv_inputs.with_seed(args.seed);
    // Further fold draws (`--repeats`): their headline figures only.
    let draws: Vec<(u64, Figures, Vec<Same>)> = (1..args.repeats)
        .map(|r| {
            let c = cv_inputs.with_seed(args.seed + r);
            (
                args.seed + r,
                held_out_figures(&rows, &c.reports).all,
                c.same,
            )
        })
        .collect();
    let cv = held_out_figures(&rows, &cv_reports);
    if let Some(path) = &args.held_out {
        let names: Vec<&str> = changed.iter().map(|(c, _, _)| c.as_str()).collect();
        write_held_out(path, &rows, &cv_reports, &names, &cv_changed)?;
    }
    let mut family_confusion = String::from("held-out family confusion (label -> decided):\n");
    for f in FAMILIES {
        let mut n: BTreeMap<&str, usize> = BTreeMap::new();
        for (r, rep) in rows.iter().zip(&cv_reports).filter(|(r, _)| r.family == f) {
            let _ = r;
            let got = rep
                .summary
                .as_ref()
                .map_or("error", |s| s.family.map_or("uncertain", |x| x.as_str()));
            *n.entry(got).or_default() += 1;
        }
        family_confusion.push_str(&format!("  {:<9} {:?}\n", f.as_str(), n));
    }
    // Leave one source out, where the held-out source shows more than one family.
    let mut loso = Vec::new();
    let sources: std::collections::BTreeSet<String> =
        rows.iter().filter_map(|r| r.source_key()).collect();
    for s in &sources {
        let fams: std::collections::BTreeSet<usize> = rows
            .iter()
            .filter(|r| r.source_key().as_deref() == Some(s))
            .map(|r| r.family.index())
            .collect();
        if fams.len() < 2 {
            continue;
        }
        let mut train = fitting(&|i| rows[i].source_key().as_deref() != Some(s));
        train.extend(scenes.iter().cloned());
        let t = table(&train, args, String::new());
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].source_key().as_deref() == Some(s))
            .collect();
        let held: Vec<LabelRow> = idx.iter().map(|&i| rows[i].clone()).collect();
        let reps: Vec<ImageReport> = idx
            .iter()
            .map(|&i| report_with(kept[i].as_ref(), &t))
            .collect();
        loso.push((s.clone(), held_out_figures(&held, &reps).all));
    }
    // The table itself: fitted on every photo.
    let mut all = fitting(&|_| true);
    all.extend(scenes.iter().cloned());
    let mut per_family = [0usize; 5];
    rows.iter().for_each(|r| per_family[r.family.index()] += 1);
    let failed = kept.iter().filter(|k| k.is_none()).count();
    let mut header = String::new();
    let labels_name = args
        .labels
        .file_name()
        .map_or("labels.csv".into(), |n| n.to_string_lossy().into_owned());
    header.push_str(&format!(
        "# Scoring table written by `scarscope calibrate --labels {labels_name} --folds {} --seed {} --lambda {} \
         --min-confidence {} --active-recall {} --papule-false-flags {} --knots={} --balance {} --size-balance {}{} --rendered {} \
         --rendered-seed {}{}{}`\n",
        args.folds,
        args.seed,
        args.lambda,
        args.min_confidence,
        args.active_recall,
        args.papule_false_flags,
        args.knots.0.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(","),
        args.balance,
        args.size_balance,
        if args.consistency > 0.0 {
            format!(" --consistency {}", args.consistency)
        } else {
            String::new()
        },
        args.rendered,
        args.rendered_seed,
        if args.augment.is_empty() {
            String::new()
        } else {
            format!(
                " --augment {}",
                args.augment.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
            )
        },
        if args.repeats > 1 {
            format!(" --repeats {}", args.repeats)
        } else {
            String::new()
        }
    ));
    header.push_str(&format!(
        "# labels file: {} rows, FNV-1a 64 hash {:016x}; photos per family: {}; {} photos could not be analysed\n",
        rows.len(),
        fnv1a_bytes(&labels_bytes),
        FAMILIES
            .iter()
            .zip(per_family)
            .map(|(f, n)| format!("{} {n}", f.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        failed
    ));
    header.push_str(&format!(
        "# {}-fold grouped cross-validation: {}\n",
        args.folds,
        summary_line(&cv.all)
    ));
    for (s, f) in &cv.by_source {
        header.push_str(&format!("#   source {s}: {}\n", summary_line(f)));
    }
    for (&band, f) in &cv.by_size {
        header.push_str(&format!(
            "#   long side {}: {}\n",
            crate::evaluate::real::size_band_name(band),
            summary_line(f)
        ));
    }
    for ((c, fitted, _), same) in changed.iter().zip(&cv_same) {
        let pct = |n: usize| 100.0 * n as f64 / same.photos.max(1) as f64;
        header.push_str(&format!(
            "#   held-out stability, {} ({}): dominant {:.1} %, verdict {:.1} %, both {:.1} % of {} photos\n",
            c.as_str(),
            if *fitted { "fitted on" } else { "not fitted on" },
            pct(same.dominant),
            pct(same.verdict),
            pct(same.both),
            same.photos
        ));
    }
    if !draws.is_empty() {
        let names: Vec<&str> = changed.iter().map(|(c, _, _)| c.as_str()).collect();
        let mut all_draws = vec![(args.seed, &cv.all, cv_same.as_slice())];
        all_draws.extend(draws.iter().map(|(s, f, k)| (*s, f, k.as_slice())));
        header.push_str(&format!("#   {}\n", draws_line(&all_draws, &names)));
    }
    for (s, f) in &loso {
        header.push_str(&format!(
            "# leave-one-source-out, {s} held out: {}\n",
            summary_line(f)
        ));
    }
    let source = format!(
        "calibrate on {labels_name} ({} photos, hash {:016x}); {}-fold CV {}",
        rows.len(),
        fnv1a_bytes(&labels_bytes),
        args.folds,
        summary_line(&cv.all)
    );
    let t = table(&all, args, source);
    let mut profile = base;
    profile.decision = t;
    let body = if args.decision_only {
        #[derive(serde::Serialize)]
        struct Only<'a> {
            decision: &'a DecisionRules,
        }
        toml::to_string(&Only {
            decision: &profile.decision,
        })
        .context("cannot write the table as TOML")?
    } else {
        if profile.name == "default" {
            profile.name = "calibrated".into();
        }
        toml::to_string(&profile).context("cannot write the profile as TOML")?
    };
    crate::output::write_atomic(&args.output, format!("{header}{body}").as_bytes())
        .map_err(|e| UsageError(format!("{e:#}")))?;
    writeln!(out, "{header}")?;
    writeln!(out, "{family_confusion}")?;
    writeln!(out, "wrote {}", args.output.display())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_analysis_reads_back_to_the_bit() {
        // A fit from the cache must be the fit of the run that wrote it: every feature value comes back
        // exactly (serde_json's default parsing put about 1 in 8 values one ulp off).
        let mut rng = crate::test_rng::lcg(3);
        let mut picture = [0.0f64; N_FEATURES];
        for v in picture.iter_mut() {
            *v = (rng() >> 11) as f64 / (1u64 << 53) as f64 * 37.0 - 3.0;
        }
        picture[0] = 0.1 + 0.2;
        picture[1] = 1e-300;
        let k = Kept {
            picture,
            summary: crate::summarise::summarise(&[], None, &Default::default()),
            usable: true,
            notes: vec![],
            long_side: Some(640),
        };
        let back: Kept =
            serde_json::from_str(&serde_json::to_string(&k).expect("writes")).expect("reads");
        for (a, b) in k.picture.iter().zip(&back.picture) {
            assert_eq!(a.to_bits(), b.to_bits(), "{a} read back as {b}");
        }
        assert_eq!(back.summary, k.summary);
    }

    #[test]
    fn knots_parse_as_a_list_or_as_nothing_for_a_linear_table() {
        assert_eq!(parse_knots("-1,0,1"), Ok(Knots(vec![-1.0, 0.0, 1.0])));
        assert_eq!(parse_knots(" 0.5 "), Ok(Knots(vec![0.5])));
        assert_eq!(parse_knots(""), Ok(Knots(vec![])));
        assert!(parse_knots("1,,2").is_err());
        assert!(parse_knots("1,x").is_err());
        assert!(parse_knots("nan").is_err());
    }

    #[test]
    fn the_draws_line_gives_each_seed_and_the_mean() {
        use crate::evaluate::real::Share;
        let figs = |atrophic: usize, raised: usize| Figures {
            atrophic_recall: Share {
                right: atrophic,
                of: 10,
            },
            raised_recall: Share {
                right: raised,
                of: 10,
            },
            ..Figures::default()
        };
        let (a, b) = (figs(8, 6), figs(9, 9));
        let same = |both| Same {
            photos: 20,
            dominant: both,
            verdict: both,
            both,
        };
        let (sa, sb) = ([same(17)], [same(18)]);
        let line = draws_line(&[(1, &a, &sa[..]), (2, &b, &sb[..])], &["half"]);
        // Balanced accuracy 0.70 and 0.90, mean 0.80; shares nothing counted stay "-" with no mean.
        assert!(
            line.starts_with(
                "fold seeds 1 / 2: atrophic_vs_raised_balanced_accuracy 0.700 / 0.900 (mean 0.800)"
            ),
            "{line}"
        );
        assert!(line.contains("active_flagged - / -,"), "{line}");
        assert!(
            line.ends_with("half both 85.0 / 90.0 % (mean 87.5)"),
            "{line}"
        );
    }

    #[test]
    fn the_shared_size_is_where_the_last_family_begins_to_have_fitting_photos() {
        let ex = |y: usize, long_side: u32| Example {
            x: vec![],
            y,
            group: 0,
            long_side,
        };
        // Raised from 42 px (a halved thumbnail), active from 160 (its smallest thumbnail copy), clear from
        // 320; a size of 0 is unknown and left out; flat and atrophic have no photos here.
        let train = [
            ex(1, 84),
            ex(1, 42),
            ex(2, 640),
            ex(2, 160),
            ex(4, 320),
            ex(4, 0),
        ];
        assert_eq!(smallest_shared_size(&train), 320);
        assert_eq!(smallest_shared_size(&train[..4]), 160);
        assert_eq!(smallest_shared_size(&[ex(1, 0)]), 0);
    }
}
