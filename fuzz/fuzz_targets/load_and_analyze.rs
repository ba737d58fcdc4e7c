//! Any bytes, as if read from a file a user pointed the tool at: decoding must return a result or an error
//! (never panic, never allocate past the size limit), and a decoded image must analyse without panicking.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use scarscope::analyze::{analyze, AnalysisOptions};
use scarscope::profile::Profile;

fuzz_target!(|data: &[u8]| {
    // A small limit keeps each run fast; the limit itself is part of what is exercised.
    if let Ok(img) = scarscope::load::load_image_bytes(data, 0.25) {
        let opts = AnalysisOptions {
            px_per_mm: None,
            profile: Arc::new(Profile::builtin()),
        };
        let _ = analyze(&img.rgb, &opts);
    }
});
