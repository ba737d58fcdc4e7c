//! scarscope: reads skin photographs and reports the acne scars they show.
//!
//! The library is organised by pipeline stage, one file each, in [`analysis`]: [`load`] → [`analyze`]
//! (prepare, light, detect, measure, classify, picture, decide, summarise) → [`report`] and [`output`].
//! Development tools (the scene renderer [`render`] and the scorers in [`evaluate`]) are apart from it. [`batch`] runs many images in parallel with
//! deterministic output. The binary in `main.rs` only parses arguments and prints.

pub mod analysis;
// The stages keep their short paths (`scarscope::prepare`, ...): they live in `analysis/`, one file each.
pub use analysis::{analyze, classify, detect, light, measure, prepare, summarise};
pub mod batch;
pub mod bench;
pub mod blur;
pub mod calibrate;
pub mod cli;
pub mod colour;
pub mod compare;
pub mod disjoint;
pub mod evaluate;
pub mod heif;
pub mod html;
pub mod impulse;
pub mod jpeg_scan;
pub mod load;
pub mod memory;
pub mod output;
pub mod overlay;
pub mod plane;
pub mod profile;
pub mod profile_check;
pub mod render;
pub mod report;
pub mod select;
pub mod shard;
mod simd;
#[cfg(test)]
mod test_rng;
pub mod texture;
pub mod walk_filter;
