//! Before/after comparison of a treatment course: pairing, registration, photometric normalisation, region
//! matching, changes and a verdict measured against repeat-photo noise.
//!
//! Flow per pair ([`pipeline::compare_images`]): register the after photo to the before photo
//! ([`registration`]), match its colours ([`photometric`]), analyse both ([`crate::analyze`]), pair the regions
//! ([`matching`]), measure the changes and give a verdict ([`changes`]). [`command`] runs pairs in parallel
//! with ordered, thread-count-independent output ([`output`]); [`report`] is the JSON contract.

pub mod changes;
pub mod command;
pub mod darkening;
pub mod fft;
pub mod geometry;
pub mod gray;
pub mod matching;
pub mod output;
pub mod overlay;
pub mod pairing;
pub mod photometric;
pub mod pipeline;
pub mod profile;
pub mod registration;
pub mod report;
pub mod synth;

pub use report::schema_json;
pub mod relief;
