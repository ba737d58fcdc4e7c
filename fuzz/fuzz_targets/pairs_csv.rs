//! Any bytes, as if given as `scarscope compare --pairs FILE`: reading them as a pairs CSV must return the
//! pairs or an error naming the line, never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use scarscope::compare::pairing::pair_csv_text;

fuzz_target!(|data: &[u8]| {
    // pair_csv reads the file as UTF-8; anything else is refused before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = pair_csv_text(text, Path::new("dir/pairs.csv")) {
        for pair in &p.pairs {
            assert!(!pair.id.is_empty(), "every pair has an id");
        }
    }
});
