//! HEIC/HEIF photos (what iPhones save): recognised by content and by name, so that a folder of phone photos
//! reports each one with what to do instead of skipping it as a non-image.
//!
//! This build cannot decode them: the maintained binding (libheif-rs) needs libheif 1.17 or newer, and the
//! Debian release the project builds on ships 1.15. Each such file is an error entry with
//! [`UNSUPPORTED`].

use std::path::Path;

/// The error of a HEIC/HEIF photo in a build that cannot decode it.
/// (No `heic` feature exists yet, so the message does not suggest one.)
pub const UNSUPPORTED: &str =
    "HEIC/HEIF photo: this build cannot read it; convert it to JPEG first (e.g. heif-convert photo.heic photo.jpg)";

/// File extensions of HEIF photos (any case).
pub const EXTENSIONS: &[&str] = &["heic", "heif", "hif", "heics", "heifs"];

/// Brands of an ISO-BMFF `ftyp` box that mark a HEIF image (HEVC-coded `heic`/`heix`/..., and the
/// generic still-image and sequence brands `mif1`/`msf1`).
const BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1",
];

/// Brands that make a `mif1` file an AVIF instead (the image crate names those itself).
const AVIF_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis"];

/// Whether `head` (the first bytes of a file, 12 at least) starts a HEIF image: an `ftyp` box at offset 4
/// whose major brand is a HEIF brand, and no compatible brand in the bytes given says AVIF.
pub fn is_heif(head: &[u8]) -> bool {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return false;
    }
    let major = &head[8..12];
    if !BRANDS.iter().any(|b| &b[..] == major) {
        return false;
    }
    // Compatible brands follow the minor version (bytes 12..16), up to the box's size.
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let end = size.min(head.len());
    let compatible = head.get(16..end).unwrap_or(&[]);
    !compatible
        .chunks_exact(4)
        .any(|c| AVIF_BRANDS.iter().any(|b| &b[..] == c))
}

/// Whether `path`'s extension is a HEIF one (any case).
pub fn has_heif_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut b = (size as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(&c[..]);
        }
        b.extend_from_slice(b"\0\0\0\x08meta");
        b
    }

    #[test]
    fn heif_brands_are_recognised_and_avif_is_not() {
        assert!(is_heif(&ftyp(b"heic", &[b"mif1", b"heic"])));
        assert!(is_heif(&ftyp(b"heix", &[])));
        assert!(is_heif(&ftyp(b"mif1", &[b"heic"])));
        assert!(is_heif(&ftyp(b"hevc", &[b"msf1"])));
        assert!(!is_heif(&ftyp(b"mif1", &[b"avif", b"miaf"])), "an AVIF");
        assert!(!is_heif(&ftyp(b"avif", &[b"mif1"])));
        assert!(!is_heif(&ftyp(b"isom", &[b"mp41"])), "an MP4 video");
        assert!(!is_heif(b"\xFF\xD8\xFF\xE0"));
        assert!(has_heif_extension(Path::new("IMG_0001.HEIC")));
        assert!(has_heif_extension(Path::new("a/b.heif")));
        assert!(!has_heif_extension(Path::new("a/heic.jpg")));
    }
}
