//! Before/after comparison of a treatment course: pairing, registration, photometric normalisation, matching.

pub mod changes;
pub mod command;
pub mod fft;
pub mod geometry;
pub mod gray;
pub mod matching;
pub mod pairing;
pub mod photometric;
pub mod pipeline;
pub mod profile;
pub mod registration;
pub mod report;
pub mod synth;
