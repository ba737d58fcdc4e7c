//! Any bytes, as if given as `--profile FILE`: reading them as a profile (TOML, merged over the built-in
//! profile and every value checked) must return a profile or an error, never panic; a profile accepted
//! must write back to TOML that reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scarscope::profile::Profile;

fuzz_target!(|data: &[u8]| {
    // Profile::from_file reads at most MAX_PROFILE_BYTES of UTF-8; anything else is refused before parsing.
    if data.len() as u64 > scarscope::profile_check::MAX_PROFILE_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Profile::from_toml_named(text, "fuzz") {
        let again = p.to_toml().expect("an accepted profile writes as TOML");
        Profile::from_toml(&again).expect("a written profile reads back");
    }
});
