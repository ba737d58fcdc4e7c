//! scarscope: reads skin photographs and reports the acne scars they show.
//!
//! The library is organised by pipeline stage, one file each: [`load`] → [`analyze`] (prepare, light, detect,
//! measure, classify, summarise) → [`report`] and [`output`]. [`batch`] runs many images in parallel with
//! deterministic output. The binary in `main.rs` only parses arguments and prints.

pub mod analyze;
pub mod batch;
pub mod blur;
pub mod classify;
pub mod cli;
pub mod colour;
pub mod compare;
pub mod detect;
pub mod evaluate;
pub mod jpeg_scan;
pub mod light;
pub mod load;
pub mod measure;
pub mod output;
pub mod overlay;
pub mod prepare;
pub mod profile;
pub mod profile_check;
pub mod render;
pub mod report;
pub mod summarise;
pub mod texture;
