//! The unit tests' random inputs: a seeded 64-bit linear congruential generator (Knuth's MMIX constants),
//! the same sequence on every machine and toolchain, with no dependency.

/// Successive states of the generator started at `seed`; callers take the high bits they need.
pub(crate) fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s
    }
}
