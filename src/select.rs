//! The `k`-th smallest of `f32` samples in the order of [`f32::total_cmp`] (a median, a percentile), by
//! radix selection.
//!
//! Definition: the value `select_nth_unstable_by(k, f32::total_cmp)` leaves at index `k`. The analysis takes
//! medians of up to a whole working image (the skin's colour, the noise of each detection scale); a
//! comparison-based selection spends ~4 ns per sample there, a count of the samples' top 16 bits (their
//! order as keys) then a selection among the few of one bucket about a fifth of that. The value is the
//! same to the bit: the keys order exactly as `total_cmp` does.
//!
//! ```
//! use scarscope::select::nth_smallest;
//! let mut v = [3.0f32, -1.0, 2.0, -0.0, 0.0];
//! assert_eq!(nth_smallest(&mut v, 0), -1.0);
//! assert_eq!(nth_smallest(&mut v, 1).to_bits(), (-0.0f32).to_bits()); // -0 before +0, as total_cmp
//! assert_eq!(nth_smallest(&mut v, 4), 3.0);
//! ```

/// Below this many samples the comparison-based selection is as fast (the count's tables are 512 KB).
const MIN_RADIX: usize = 1 << 14;

/// The `f32`'s bits as an unsigned key ordered as [`f32::total_cmp`] orders the floats.
#[inline(always)]
fn key(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// The `k`-th smallest value of `v` (0-based, `k < v.len()`) in `total_cmp` order; `v` may be reordered.
///
/// # Panics
/// When `k >= v.len()`, as `select_nth_unstable_by` does.
pub fn nth_smallest(v: &mut [f32], k: usize) -> f32 {
    assert!(k < v.len(), "index {k} out of {} samples", v.len());
    if v.len() < MIN_RADIX {
        return *v.select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1;
    }
    COUNTS.with_borrow_mut(|counts| {
        SAME.with_borrow_mut(|same| {
            let (bucket, below) = bucket_of_rank(count_top_bits(v, counts), k);
            bucket_members(v, bucket as u32, same);
            let x = *same
                .select_nth_unstable_by(k - below, |a, b| a.total_cmp(b))
                .1;
            if same.capacity() > MAX_SAME {
                *same = Vec::new();
            }
            x
        })
    })
}

thread_local! {
    /// The count tables of [`count_top_bits`], reused by the thread's next selection instead of allocated
    /// per call.
    static COUNTS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The samples of the rank's bucket ([`bucket_members`]), reused likewise.
    static SAME: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest bucket buffer kept between selections (16 MB, a 3 MP working image's samples).
const MAX_SAME: usize = 4 << 20;

/// The count of `v`'s samples per top 16 bits of their key, in `tables` (resized and zeroed here).
///
/// Even and odd samples go to two tables summed after: neighbouring pixels often share a bucket, and one
/// table made each increment wait for the previous one's store (the count of 400 000 samples of a smooth
/// plane took ~0.8 ns per sample with one table, ~0.65 with two; of noise ~1.05 and ~0.65).
fn count_top_bits<'t>(v: &[f32], tables: &'t mut Vec<u32>) -> &'t [u32] {
    const B: usize = 1 << 16;
    tables.clear();
    tables.resize(2 * B, 0);
    let (even, odd) = tables.split_at_mut(B);
    let mut pairs = v.chunks_exact(2);
    for p in &mut pairs {
        even[(key(p[0]) >> 16) as usize] += 1;
        odd[(key(p[1]) >> 16) as usize] += 1;
    }
    for &x in pairs.remainder() {
        even[(key(x) >> 16) as usize] += 1;
    }
    for (e, &o) in even.iter_mut().zip(odd.iter()) {
        *e += o;
    }
    even
}

/// The samples of `v` whose key's top 16 bits are `bucket`, in order, into `same` (cleared first).
///
/// Sixteen samples are tested at once without a branch (the test vectorises) and only a block holding a
/// member is gathered: the bucket of a rank is a small share of the samples, and testing and pushing each
/// one took longer than the count (400 000 samples: ~0.9 ns per sample; blockwise, with the selection in
/// the bucket, ~0.2 ns).
fn bucket_members(v: &[f32], bucket: u32, same: &mut Vec<f32>) {
    let member = |x: f32| key(x) >> 16 == bucket;
    same.clear();
    let mut blocks = v.chunks_exact(16);
    for b in &mut blocks {
        if b.iter().fold(false, |any, &x| any | member(x)) {
            same.extend(b.iter().copied().filter(|&x| member(x)));
        }
    }
    same.extend(blocks.remainder().iter().copied().filter(|&x| member(x)));
}

/// The bucket holding the `k`-th sample (0-based) and the count of samples in the buckets before it.
///
/// Sums 16 buckets at a time (a vector add) before stepping through the one chunk that holds the rank.
fn bucket_of_rank(counts: &[u32], k: usize) -> (usize, usize) {
    let mut below = 0usize;
    for (c, chunk) in counts.chunks_exact(16).enumerate() {
        let sum = chunk.iter().sum::<u32>() as usize;
        if below + sum > k {
            for (j, &n) in chunk.iter().enumerate() {
                if below + n as usize > k {
                    return (c * 16 + j, below);
                }
                below += n as usize;
            }
        }
        below += sum;
    }
    unreachable!("rank {k} beyond the {below} samples counted")
}

/// The values of `v` at the ranks `ks` among its px where `mask` holds (0-based, each below their count), in
/// `total_cmp` order: what [`nth_smallest`] returns for each rank on those values copied out.
///
/// One count serves all the ranks and nothing is copied but each rank's bucket: the copy of a skin's values
/// before the selection, and one count per quantile of the same values, cost as much as the count itself.
///
/// ```
/// use scarscope::select::nth_smallest_masked;
/// let v = [5.0f32, 1.0, 9.0, 3.0];
/// assert_eq!(nth_smallest_masked(&v, &[true, false, true, true], [0, 2]), [3.0, 9.0]);
/// ```
///
/// # Panics
/// When `v` and `mask` differ in length or a rank is not below the count of masked px.
pub fn nth_smallest_masked<const R: usize>(v: &[f32], mask: &[bool], ks: [usize; R]) -> [f32; R] {
    assert_eq!(v.len(), mask.len(), "values and mask differ in length");
    let n = mask.iter().filter(|&&m| m).count();
    for k in ks {
        assert!(k < n, "index {k} out of {n} samples");
    }
    if n < MIN_RADIX {
        let mut xs: Vec<f32> = v
            .iter()
            .zip(mask)
            .filter(|(_, &m)| m)
            .map(|(&x, _)| x)
            .collect();
        return ks.map(|k| nth_smallest(&mut xs, k));
    }
    COUNTS.with_borrow_mut(|counts| {
        SAME.with_borrow_mut(|same| {
            let counts = count_top_bits_masked(v, mask, counts);
            let x = ks.map(|k| {
                let (bucket, below) = bucket_of_rank(counts, k);
                bucket_members_masked(v, mask, bucket as u32, same);
                *same
                    .select_nth_unstable_by(k - below, |a, b| a.total_cmp(b))
                    .1
            });
            if same.capacity() > MAX_SAME {
                *same = Vec::new();
            }
            x
        })
    })
}

/// The values of `v` at the ranks `ks` (0-based, each below `v.len()`) in `total_cmp` order, from one count
/// and without reordering `v`: what [`nth_smallest`] returns for each rank.
///
/// # Panics
/// When a rank is not below `v.len()`.
pub fn nth_smallest_ranks<const R: usize>(v: &[f32], ks: [usize; R]) -> [f32; R] {
    for k in ks {
        assert!(k < v.len(), "index {k} out of {} samples", v.len());
    }
    if v.len() < MIN_RADIX {
        let mut xs = v.to_vec();
        return ks.map(|k| nth_smallest(&mut xs, k));
    }
    COUNTS.with_borrow_mut(|counts| {
        SAME.with_borrow_mut(|same| {
            let counts = count_top_bits(v, counts);
            let x = ks.map(|k| {
                let (bucket, below) = bucket_of_rank(counts, k);
                bucket_members(v, bucket as u32, same);
                *same
                    .select_nth_unstable_by(k - below, |a, b| a.total_cmp(b))
                    .1
            });
            if same.capacity() > MAX_SAME {
                *same = Vec::new();
            }
            x
        })
    })
}

/// [`count_top_bits`] of the px of `v` where `mask` holds.
///
/// A branch per px, not a masked add: the mask comes in long runs (the skin) that predict well, and an add
/// of 0 for every masked-out px would chain the increments of the one bucket they mostly share.
fn count_top_bits_masked<'t>(v: &[f32], mask: &[bool], tables: &'t mut Vec<u32>) -> &'t [u32] {
    const B: usize = 1 << 16;
    tables.clear();
    tables.resize(2 * B, 0);
    let (even, odd) = tables.split_at_mut(B);
    let (mut pairs, mut masks) = (v.chunks_exact(2), mask.chunks_exact(2));
    for (p, m) in (&mut pairs).zip(&mut masks) {
        if m[0] {
            even[(key(p[0]) >> 16) as usize] += 1;
        }
        if m[1] {
            odd[(key(p[1]) >> 16) as usize] += 1;
        }
    }
    for (&x, _) in pairs
        .remainder()
        .iter()
        .zip(masks.remainder())
        .filter(|(_, &m)| m)
    {
        even[(key(x) >> 16) as usize] += 1;
    }
    for (e, &o) in even.iter_mut().zip(odd.iter()) {
        *e += o;
    }
    even
}

/// [`bucket_members`] of the px of `v` where `mask` holds.
fn bucket_members_masked(v: &[f32], mask: &[bool], bucket: u32, same: &mut Vec<f32>) {
    let member = |(&x, &m): (&f32, &bool)| m & (key(x) >> 16 == bucket);
    same.clear();
    let (mut blocks, mut masks) = (v.chunks_exact(16), mask.chunks_exact(16));
    for (b, m) in (&mut blocks).zip(&mut masks) {
        if b.iter().zip(m).fold(false, |any, p| any | member(p)) {
            same.extend(b.iter().zip(m).filter(|&p| member(p)).map(|(&x, _)| x));
        }
    }
    let rest = blocks.remainder().iter().zip(masks.remainder());
    same.extend(rest.filter(|&p| member(p)).map(|(&x, _)| x));
}

/// The upper median of `v`: its element `len / 2` in [`f32::total_cmp`] order; `v` may be reordered.
///
/// # Panics
/// When `v` is empty.
pub fn upper_median(v: &mut [f32]) -> f32 {
    let k = v.len() / 2;
    nth_smallest(v, k)
}

/// The upper median of `v` and the upper median of the absolute deviations from it (the MAD, unscaled), in
/// place: `v` is left holding the deviations.
///
/// ```
/// use scarscope::select::median_and_mad;
/// let mut v = [1.0f32, 2.0, 4.0, 9.0];
/// assert_eq!(median_and_mad(&mut v), (4.0, 3.0)); // deviations 3, 2, 0, 5
/// ```
///
/// # Panics
/// When `v` is empty.
pub fn median_and_mad(v: &mut [f32]) -> (f32, f32) {
    let m = upper_median(v);
    v.iter_mut().for_each(|x| *x = (*x - m).abs());
    (m, upper_median(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_value_as_the_comparison_selection_to_the_bit() {
        let mut rng = crate::test_rng::lcg(7);
        let mut next = || (rng() >> 33) as u32;
        for n in [1usize, 5, 1000, MIN_RADIX, MIN_RADIX + 17, 100_003] {
            // Spread values, repeats, both zeros, infinities and a NaN.
            let v: Vec<f32> = (0..n)
                .map(|i| match next() % 50 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => f32::INFINITY,
                    3 => f32::NEG_INFINITY,
                    4 if i % 7 == 0 => f32::NAN,
                    5..=20 => (next() % 16) as f32 * 0.25,
                    _ => (next() as f32 / u32::MAX as f32 - 0.4) * 1e3,
                })
                .collect();
            for k in [0, n / 3, n / 2, n - 1] {
                let want = *v.clone().select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1;
                let got = nth_smallest(&mut v.clone(), k);
                assert_eq!(got.to_bits(), want.to_bits(), "n {n} k {k}");
            }
        }
    }

    /// Samples with spread values, repeats, both zeros, infinities and NaNs of both signs.
    fn awkward_samples(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::test_rng::lcg(seed);
        let mut next = || (rng() >> 33) as u32;
        (0..n)
            .map(|_| match next() % 40 {
                0 => -0.0,
                1 => 0.0,
                2 => f32::INFINITY,
                3 => f32::NEG_INFINITY,
                4 => f32::from_bits(0x7fc0_0000 | (next() & 0xff)),
                5 => f32::from_bits(0xffc0_0000 | (next() & 0xff)),
                6..=20 => (next() % 16) as f32 * 0.25,
                _ => (next() as f32 / u32::MAX as f32 - 0.4) * 1e3,
            })
            .collect()
    }

    #[test]
    fn masked_ranks_select_as_the_copied_values_to_the_bit() {
        for (n, seed) in [
            (7usize, 1u64),
            (MIN_RADIX + 3, 2),
            (3 * MIN_RADIX + 1, 3),
            (100_003, 4),
        ] {
            let v = awkward_samples(n, seed);
            // Runs of skin and single px, as a mask is; a third of the px off it.
            let mask: Vec<bool> = (0..n).map(|i| (i / 37) % 3 != 0 || i % 11 == 0).collect();
            let mut kept: Vec<f32> = v
                .iter()
                .zip(&mask)
                .filter(|(_, &m)| m)
                .map(|(&x, _)| x)
                .collect();
            let m = kept.len();
            let ks = [0, m / 100, m / 10, m / 2, 9 * m / 10, m - 1];
            let got = nth_smallest_masked(&v, &mask, ks);
            for (k, g) in ks.into_iter().zip(got) {
                let want = nth_smallest(&mut kept, k);
                assert_eq!(g.to_bits(), want.to_bits(), "n {n} k {k}");
            }
        }
    }

    #[test]
    fn several_ranks_select_as_one_at_a_time_to_the_bit() {
        for (n, seed) in [(9usize, 6u64), (MIN_RADIX, 7), (100_003, 8)] {
            let v = awkward_samples(n, seed);
            let ks = [0, n / 100, n / 10, n / 2, 9 * n / 10, n - 1];
            let got = nth_smallest_ranks(&v, ks);
            for (k, g) in ks.into_iter().zip(got) {
                let want = nth_smallest(&mut v.clone(), k);
                assert_eq!(g.to_bits(), want.to_bits(), "n {n} k {k}");
            }
        }
    }

    #[test]
    fn all_masked_in_selects_as_the_whole_and_none_selects_nothing() {
        let v = awkward_samples(MIN_RADIX + 9, 5);
        let all = vec![true; v.len()];
        let k = v.len() / 2;
        let want = nth_smallest(&mut v.clone(), k);
        assert_eq!(
            nth_smallest_masked(&v, &all, [k])[0].to_bits(),
            want.to_bits()
        );
        let none: [f32; 0] = nth_smallest_masked(&v, &vec![false; v.len()], []);
        assert!(none.is_empty());
        let out_of_range =
            std::panic::catch_unwind(|| nth_smallest_masked(&v, &vec![false; v.len()], [0]));
        assert!(out_of_range.is_err());
    }

    #[test]
    fn one_crowded_bucket_and_nan_payloads_select_as_total_cmp() {
        // Most samples in one bucket (a plane that is 0 off the skin), NaNs of both signs and payloads.
        let mut rng = crate::test_rng::lcg(3);
        let mut next = || (rng() >> 33) as u32;
        let n = 3 * MIN_RADIX + 5;
        let v: Vec<f32> = (0..n)
            .map(|_| match next() % 10 {
                0 => f32::from_bits(0x7fc0_0000 | (next() & 0xff)),
                1 => f32::from_bits(0xffc0_0000 | (next() & 0xff)),
                2 => 1.0 + (next() % 1000) as f32 * 1e-6,
                _ => 0.0,
            })
            .collect();
        for k in [0, 1, n / 10, n / 2, 9 * n / 10, n - 1] {
            let want = *v.clone().select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1;
            let got = nth_smallest(&mut v.clone(), k);
            assert_eq!(got.to_bits(), want.to_bits(), "k {k}");
        }
    }
}
