//! Before/after comparison of a treatment course: pairing, registration, photometric normalisation, matching.

pub mod command;
