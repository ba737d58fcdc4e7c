//! scarscope: reads skin photographs and reports the acne scars they show.
//!
//! The library is organised by pipeline stage; the binary in `main.rs` only parses arguments and prints.

pub mod colour;
pub mod texture;
