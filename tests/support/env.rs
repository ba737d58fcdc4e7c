//! Settings of the measuring harnesses, read from the environment.

/// An environment variable parsed as `T`, if set and valid.
pub fn env<T: std::str::FromStr>(key: &str) -> Option<T> {
    std::env::var(key).ok().and_then(|v| v.parse().ok())
}
