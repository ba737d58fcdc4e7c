//! The analysis of one photo, one stage per file, in pipeline order:
//!
//! 1. [`prepare`]: working resolution, colour planes, skin mask (what is not skin leaves it), quality;
//! 2. [`light`]: the light's direction from the shading of pores and lesions;
//! 3. [`detect`]: candidate lesions (blobs, segments, soft depressions);
//! 4. [`measure`]: each candidate's size, shape, colour against its ring and shading;
//! 5. [`classify`]: each region's relief, family and subtype, with reasons;
//! 6. [`picture`]: what the whole picture shows, as named features at one fixed resolution ([`papules`]:
//!    small red spots read against their ring of skin);
//! 7. [`decide`]: the scoring table (fitted by `calibrate`) that gives the image's family and the flag;
//! 8. [`reconcile`]: regions whose relief the light could not tell take it from the picture's reading;
//! 9. [`summarise`]: counts, grading estimates and the microneedling verdict;
//! 10. [`scale`]: without a given scale, px per mm read from a visible iris, for the regions' sizes in mm.
//!
//! [`analyze`] runs them in order; [`candidate`] holds the type detect hands to light and measure.

pub mod analyze;
pub mod candidate;
pub mod classify;
pub mod decide;
pub mod detect;
pub mod light;
pub mod measure;
pub mod papules;
pub mod picture;
pub mod prepare;
pub mod reconcile;
pub mod scale;
pub mod summarise;
