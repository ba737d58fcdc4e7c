//! Before/after comparison of a treatment course: pairing, registration, photometric normalisation, matching.

pub mod command;
pub mod fft;
pub mod geometry;
pub mod gray;
pub mod registration;
pub mod synth;
