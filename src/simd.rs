//! Runtime dispatch to AVX2 for the analysis's vector loops.
//!
//! A loop written once is compiled twice, plainly and with AVX2 enabled, and the AVX2 copy runs when the CPU
//! has it. AVX2 only widens the vectors of the same IEEE operations (no FMA contraction), so both copies give
//! the same bits: the output does not depend on the machine.

/// Defines `fn $name(args) { body }` that runs `body` compiled with AVX2 when the CPU has it (see the
/// module docs), and compiled plainly otherwise. The function returns nothing.
macro_rules! avx2_dispatch {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) {
                body($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked above).
                unsafe { avx2($($arg),*) };
                return;
            }
            body($($arg),*)
        }
    };
}

pub(crate) use avx2_dispatch;
