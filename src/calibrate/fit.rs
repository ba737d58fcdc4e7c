//! Fitting the scoring table: L2-regularised multinomial logistic regression with class- and size-balanced weights.
//!
//! Written here rather than taken from a crate: the problem is tiny (thousands of photos, a few dozen
//! features, five classes), the fit must be bit-for-bit deterministic (the same labels give a byte-identical
//! profile), and the crates that do it (linfa-logistic, smartcore) bring an optimiser stack whose results
//! depend on their versions. Full-batch gradient descent with Nesterov momentum on standardised features
//! converges in a few hundred steps here; every sum runs in a fixed order.

use crate::analysis::decide::{expand, softmax, standardise, FamilyWeights};

/// One fitting example: raw feature values and the family index (0..5).
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Raw feature values, one per table column.
    pub x: Vec<f64>,
    /// Family index in `FAMILIES` order.
    pub y: usize,
    /// The photograph it is a copy of (a hash of its group): inner folds keep copies together.
    pub group: u64,
    /// Long side of the photo or copy analysed, px (0: unknown).
    pub long_side: u32,
}

/// A fitted table: standardisation and the rows (bias first).
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// Feature means.
    pub mean: Vec<f64>,
    /// Feature spreads.
    pub spread: Vec<f64>,
    /// Hinge knots (see `DecisionRules::knots`).
    pub knots: Vec<f64>,
    /// Rows in `FAMILIES` order, bias first.
    pub rows: [Vec<f64>; 5],
}

impl Fitted {
    /// Probabilities for raw features `x`.
    pub fn predict(&self, x: &[f64]) -> [f64; 5] {
        let z = expand(&standardise(x, &self.mean, &self.spread), &self.knots);
        let rows = [
            &self.rows[0],
            &self.rows[1],
            &self.rows[2],
            &self.rows[3],
            &self.rows[4],
        ];
        softmax(&crate::analysis::decide::scores(rows, &z))
    }

    /// The rows as the profile's weights.
    pub fn weights(&self) -> FamilyWeights {
        FamilyWeights::from_rows(self.rows.clone())
    }
}

/// Fits the table on `ex` with L2 strength `lambda` (on the mean loss), each photo weighted by
/// `(n / (families × n_family)) ^ balance`: 1 makes every family present count as much as any other, 0
/// counts photos alike; and within its family by `(n_family / (bands × n_band)) ^ size_balance`, where the
/// bands are those of the long side ([`crate::evaluate::real::SIZE_BANDS`]) the family has examples in: 1 makes
/// each size count alike within a family, 0 counts its photos alike. `consistency` weighs a penalty on how
/// far each example's scores lie from the mean scores of its group (the copies of one photograph: shrunk,
/// exposed, cropped): 0 leaves it out.
pub fn fit(
    ex: &[Example],
    lambda: f64,
    knots: &[f64],
    balance: f64,
    size_balance: f64,
    consistency: f64,
) -> Fitted {
    let d = ex.first().map_or(0, |e| e.x.len());
    let n = ex.len().max(1) as f64;
    let mut mean = vec![0.0; d];
    for e in ex {
        mean.iter_mut().zip(&e.x).for_each(|(m, v)| *m += v / n);
    }
    let mut spread = vec![0.0; d];
    for e in ex {
        spread
            .iter_mut()
            .zip(e.x.iter().zip(&mean))
            .for_each(|(s, (v, m))| *s += (v - m) * (v - m) / n);
    }
    let spread: Vec<f64> = spread
        .into_iter()
        .map(|v| if v.sqrt() > 1e-9 { v.sqrt() } else { 1.0 })
        .collect();
    let z: Vec<Vec<f64>> = ex
        .iter()
        .map(|e| expand(&standardise(&e.x, &mean, &spread), knots))
        .collect();
    let mut count = [0usize; 5];
    ex.iter().for_each(|e| count[e.y] += 1);
    let sw = weights(ex, &count, balance, size_balance);
    let dev = if consistency > 0.0 {
        group_deviations(ex, &z)
    } else {
        Vec::new()
    };
    let cols = d * (1 + knots.len()) + 1;
    let mut w = vec![vec![0.0; cols]; 5];
    let mut v = w.clone();
    let step = 0.5;
    for _ in 0..600 {
        // Nesterov: the gradient at the look-ahead point.
        let look: Vec<Vec<f64>> = (0..5)
            .map(|k| (0..cols).map(|j| w[k][j] + 0.9 * v[k][j]).collect())
            .collect();
        let mut g = vec![vec![0.0; cols]; 5];
        for (i, zi) in z.iter().enumerate() {
            let s: [f64; 5] = std::array::from_fn(|k| {
                look[k][0] + look[k][1..].iter().zip(zi).map(|(a, b)| a * b).sum::<f64>()
            });
            let p = softmax(&s);
            for k in 0..5 {
                let r = sw[i] * (p[k] - (ex[i].y == k) as u8 as f64) / n;
                g[k][0] += r;
                g[k][1..]
                    .iter_mut()
                    .zip(zi)
                    .for_each(|(gj, x)| *gj += r * x);
            }
        }
        // The consistency penalty μ/n Σ_i Σ_k (w_k · d_i)², d_i the example's deviation from its group's mean:
        // the scores are linear in the expanded features, so copies of one photo score alike when the rows
        // are flat along their deviations. A quadratic (data-dependent ridge) term: the fit stays convex.
        for di in &dev {
            for k in 0..5 {
                let c: f64 = look[k][1..].iter().zip(di).map(|(a, b)| a * b).sum();
                let r = 2.0 * consistency * c / n;
                g[k][1..]
                    .iter_mut()
                    .zip(di)
                    .for_each(|(gj, x)| *gj += r * x);
            }
        }
        for k in 0..5 {
            for j in 0..cols {
                let reg = if j == 0 { 0.0 } else { lambda * look[k][j] };
                v[k][j] = 0.9 * v[k][j] - step * (g[k][j] + reg);
                w[k][j] += v[k][j];
            }
        }
    }
    // Centre the rows (softmax is unchanged by a common shift): the table then reads as each family's
    // weight relative to the average family.
    let means: Vec<f64> = (0..cols)
        .map(|j| w.iter().map(|row| row[j]).sum::<f64>() / 5.0)
        .collect();
    for row in w.iter_mut() {
        row.iter_mut().zip(&means).for_each(|(x, m)| *x -= m);
    }
    let round = |x: f64| crate::report::round_sig(x);
    let [a, b, c, dd, e] =
        [0, 1, 2, 3, 4].map(|k| w[k].iter().map(|&x| round(x)).collect::<Vec<_>>());
    Fitted {
        mean: mean.into_iter().map(round).collect(),
        spread: spread.into_iter().map(round).collect(),
        knots: knots.to_vec(),
        rows: [a, b, c, dd, e],
    }
}

/// Each example's expanded features minus the mean of its group's, for groups of two or more examples
/// (a lone photo has no copies to agree with). Group means are summed in example order: deterministic.
fn group_deviations(ex: &[Example], z: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut sums: std::collections::BTreeMap<u64, (Vec<f64>, usize)> = Default::default();
    for (e, zi) in ex.iter().zip(z) {
        let (sum, count) = sums
            .entry(e.group)
            .or_insert_with(|| (vec![0.0; zi.len()], 0));
        sum.iter_mut().zip(zi).for_each(|(s, v)| *s += v);
        *count += 1;
    }
    ex.iter()
        .zip(z)
        .filter_map(|(e, zi)| {
            let (sum, count) = sums.get(&e.group)?;
            (*count > 1).then(|| {
                zi.iter()
                    .zip(sum)
                    .map(|(v, s)| v - s / *count as f64)
                    .collect()
            })
        })
        .collect()
}

/// Each example's weight in the loss: the family balance times the size balance within the family (see
/// [`fit`]). The raised photos of the development set are mostly thumbnails and every other family's are
/// 640 px, so without the size balance the table learns a raised scar mostly as it looks in a thumbnail.
fn weights(ex: &[Example], count: &[usize; 5], balance: f64, size_balance: f64) -> Vec<f64> {
    let n = ex.len().max(1) as f64;
    let present = count.iter().filter(|&&c| c > 0).count().max(1) as f64;
    let band = |e: &Example| crate::evaluate::real::size_band(Some(e.long_side));
    let mut by_band: std::collections::BTreeMap<(usize, u32), usize> = Default::default();
    ex.iter()
        .for_each(|e| *by_band.entry((e.y, band(e))).or_default() += 1);
    let mut bands = [0usize; 5];
    by_band.keys().for_each(|&(y, _)| bands[y] += 1);
    ex.iter()
        .map(|e| {
            let family = n / (present * count[e.y] as f64);
            let size = count[e.y] as f64 / (bands[e.y] as f64 * by_band[&(e.y, band(e))] as f64);
            family.powf(balance) * size.powf(size_balance)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_balance_weighs_each_band_of_a_family_alike() {
        // Family 0: three thumbnails and one 640 px photo; family 1: two 640 px photos.
        let e = |y: usize, long_side: u32| Example {
            x: vec![0.0],
            y,
            group: 0,
            long_side,
        };
        let ex = [
            e(0, 200),
            e(0, 210),
            e(0, 220),
            e(0, 640),
            e(1, 640),
            e(1, 700),
        ];
        let count = [4, 2, 0, 0, 0];
        let plain = weights(&ex, &count, 0.0, 0.0);
        assert!(plain.iter().all(|&w| w == 1.0));
        // Size balance 1: family 0's two bands weigh 2 each (4 photos / 2 bands), whatever their counts.
        let sized = weights(&ex, &count, 0.0, 1.0);
        let band_sum = |r: std::ops::Range<usize>| sized[r].iter().sum::<f64>();
        assert!((band_sum(0..3) - 2.0).abs() < 1e-12 && (sized[3] - 2.0).abs() < 1e-12);
        // One band only: nothing changes.
        assert_eq!(&sized[4..], &[1.0, 1.0]);
        // With the family balance too: each family sums to n / families = 3.
        let both = weights(&ex, &count, 1.0, 1.0);
        assert!((both[..4].iter().sum::<f64>() - 3.0).abs() < 1e-12);
        assert!((both[4..].iter().sum::<f64>() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn recovers_a_separating_feature_and_is_deterministic() {
        // Family 0 has a high first feature, family 1 a low one; the second feature is noise.
        let ex: Vec<Example> = (0..200)
            .map(|i| {
                let y = i % 2;
                let noise = ((i * 37) % 11) as f64 / 11.0;
                Example {
                    x: vec![if y == 0 { 2.0 } else { -2.0 } + noise, noise * 3.0],
                    y,
                    group: i as u64,
                    long_side: 0,
                }
            })
            .collect();
        let f = fit(&ex, 0.01, &[], 1.0, 0.0, 0.0);
        assert!(f.rows[0][1] > f.rows[1][1] + 1.0, "{:?}", f.rows);
        assert!(
            f.rows[0][2].abs() < f.rows[0][1].abs() / 4.0,
            "{:?}",
            f.rows
        );
        assert!(f.predict(&[2.5, 0.0])[0] > 0.9);
        assert!(f.predict(&[-2.5, 0.0])[1] > 0.9);
        assert_eq!(f, fit(&ex, 0.01, &[], 1.0, 0.0, 0.0));
        let h = fit(&ex, 0.01, &[0.0], 1.0, 0.0, 0.0);
        assert!(h.predict(&[2.5, 0.0])[0] > 0.9);
    }
    #[test]
    fn consistency_turns_the_fit_away_from_a_feature_its_copies_do_not_share() {
        // Feature 0 separates the families alike on both copies of a photo, but noisily; feature 1 separates
        // the originals cleanly and is blank on their copies (a feature that needs the detail of the size a
        // source saved).
        let mut ex = Vec::new();
        for i in 0..200u64 {
            let y = (i % 2) as usize;
            let sign = if y == 0 { 1.0 } else { -1.0 };
            let noise = ((i * 37) % 11) as f64 / 11.0 - 0.5;
            ex.push(Example {
                x: vec![sign + 2.0 * noise, 2.0 * sign],
                y,
                group: i,
                long_side: 0,
            });
            ex.push(Example {
                x: vec![sign + 2.0 * noise, 0.0],
                y,
                group: i,
                long_side: 0,
            });
        }
        let plain = fit(&ex, 0.001, &[], 1.0, 0.0, 0.0);
        let steady = fit(&ex, 0.001, &[], 1.0, 0.0, 1.0);
        let share = |f: &Fitted| f.rows[0][2].abs() / (f.rows[0][1].abs() + f.rows[0][2].abs());
        assert!(
            share(&steady) < share(&plain) / 2.0,
            "{:?} {:?}",
            plain.rows,
            steady.rows
        );
        // The copies of one photo now score alike.
        let gap = |f: &Fitted| (f.predict(&[0.5, 2.0])[0] - f.predict(&[0.5, 0.0])[0]).abs();
        assert!(
            gap(&steady) < gap(&plain),
            "{} {}",
            gap(&steady),
            gap(&plain)
        );
        assert_eq!(steady, fit(&ex, 0.001, &[], 1.0, 0.0, 1.0));
    }
}
