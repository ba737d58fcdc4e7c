//! The `k`-th smallest of `f32` samples in the order of [`f32::total_cmp`] (a median, a percentile), by
//! radix selection.
//!
//! Definition: the value `select_nth_unstable_by(k, f32::total_cmp)` leaves at index `k`. The analysis takes
//! medians of up to a whole working image (the skin's colour, the noise of each detection scale); a
//! comparison-based selection spends ~4 ns per sample there, a count of the samples' top 16 bits (their
//! order as keys) then a selection among the few of one bucket about a quarter of that. The value is the
//! same to the bit: the keys order exactly as `total_cmp` does.
//!
//! ```
//! use scarscope::select::nth_smallest;
//! let mut v = [3.0f32, -1.0, 2.0, -0.0, 0.0];
//! assert_eq!(nth_smallest(&mut v, 0), -1.0);
//! assert_eq!(nth_smallest(&mut v, 1).to_bits(), (-0.0f32).to_bits()); // -0 before +0, as total_cmp
//! assert_eq!(nth_smallest(&mut v, 4), 3.0);
//! ```

/// Below this many samples the comparison-based selection is as fast (the count's table is 256 KB).
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
    let mut counts = vec![0u32; 1 << 16];
    for &x in v.iter() {
        counts[(key(x) >> 16) as usize] += 1;
    }
    let (bucket, below) = bucket_of_rank(&counts, k);
    // Sized from the count: collecting into a growing Vec copied it over and over.
    let mut same = Vec::with_capacity(counts[bucket] as usize);
    same.extend(
        v.iter()
            .copied()
            .filter(|&x| (key(x) >> 16) as usize == bucket),
    );
    *same
        .select_nth_unstable_by(k - below, |a, b| a.total_cmp(b))
        .1
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
        for n in [1usize, 5, 1000, MIN_RADIX, 100_003] {
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
}
