//! HEIC/HEIF photos (what iPhones save): recognised by content and by name, so that a folder of phone photos
//! reports each one instead of skipping it as a non-image.
//!
//! With the cargo feature `heic`, they are decoded by libheif (through `libheif-rs`, with the libheif sources
//! that `libheif-sys` vendors built by cmake, and the system's libde265 as the HEVC decoder): the primary
//! image only, with its transformations (rotation, mirror, crop) applied as libheif applies them by default,
//! its size checked from the header before any pixel is decoded (see `read_header` and `decode`). Without
//! the feature, each such file is an error entry with [`UNSUPPORTED`].

use std::path::Path;

/// The error of a HEIC/HEIF photo in a build without the `heic` feature.
pub const UNSUPPORTED: &str =
    "HEIC/HEIF photo: this build cannot read it; build with --features heic or convert to JPEG";

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

/// What a HEIF photo's header declares about its primary image (feature `heic`).
#[cfg(feature = "heic")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Width and height as displayed: after libheif's transformations (a quarter turn swaps them).
    pub size: (u32, u32),
    /// Width and height as coded (the `ispe` property), before the transformations.
    pub coded: (u32, u32),
    /// Bits per luma sample (8 for most phone photos, 10 for some HDR ones).
    pub luma_bits: u8,
    /// Whether the image has an alpha channel.
    pub alpha: bool,
}

#[cfg(feature = "heic")]
impl Header {
    /// Bytes that libheif's decoding holds at its peak, beside the file: the coded planes (at most 4:4:4, 1 or
    /// 2 bytes a sample) and the interleaved RGB(A) it converts them to; with alpha, also the RGBA copy
    /// [`decode`] makes before compositing. An estimate for the memory admission, not an exact figure.
    pub fn decode_bytes(&self) -> u64 {
        let coded = self.coded.0 as u64 * self.coded.1 as u64;
        let px = self.size.0 as u64 * self.size.1 as u64;
        let sample = if self.luma_bits > 8 { 2 } else { 1 };
        let channels = if self.alpha { 4 } else { 3 };
        let copy = if self.alpha { px * 4 } else { 0 };
        coded.max(px) * channels * sample + px * channels + copy
    }
}

/// libheif's global state, initialised once for the whole run (`heif_init` is reference-counted and
/// thread-safe; it is never released, which is what a process that may decode HEIF at any time wants).
#[cfg(feature = "heic")]
fn libheif() -> &'static libheif_rs::LibHeif {
    static LIB: std::sync::OnceLock<libheif_rs::LibHeif> = std::sync::OnceLock::new();
    LIB.get_or_init(libheif_rs::LibHeif::new)
}

/// A libheif error as one line: its message, or its code when the message is empty.
#[cfg(feature = "heic")]
fn error_text(e: &libheif_rs::HeifError) -> String {
    let text = if e.message.trim().is_empty() {
        format!("{:?} ({:?})", e.code, e.sub_code)
    } else {
        e.message.clone()
    };
    crate::report::one_line(&text)
}

/// Reads the header of the HEIF photo in `bytes`: its primary image's size, depth and alpha, without decoding
/// any pixel. An error is libheif's message (a file it cannot parse, no primary image, ...).
#[cfg(feature = "heic")]
pub fn read_header(bytes: &[u8]) -> Result<Header, String> {
    let _lib = libheif();
    let ctx = libheif_rs::HeifContext::read_from_bytes(bytes).map_err(|e| error_text(&e))?;
    let handle = ctx.primary_image_handle().map_err(|e| error_text(&e))?;
    let coded = (
        u32::try_from(handle.ispe_width()).unwrap_or(0),
        u32::try_from(handle.ispe_height()).unwrap_or(0),
    );
    Ok(Header {
        size: (handle.width(), handle.height()),
        coded,
        luma_bits: handle.luma_bits_per_pixel(),
        alpha: handle.has_alpha_channel(),
    })
}

/// Decodes the primary image of the HEIF photo in `bytes`, whose header is `header`, with its transformations
/// applied, as 8-bit RGB (or RGBA when it has alpha). An error is libheif's message, or says how the decoded
/// image differs from what the header declared.
#[cfg(feature = "heic")]
pub fn decode(bytes: &[u8], header: &Header) -> Result<image::DynamicImage, String> {
    use libheif_rs::{ColorSpace, HeifContext, RgbChroma};
    let lib = libheif();
    let ctx = HeifContext::read_from_bytes(bytes).map_err(|e| error_text(&e))?;
    let handle = ctx.primary_image_handle().map_err(|e| error_text(&e))?;
    let (chroma, channels) = if header.alpha {
        (RgbChroma::Rgba, 4usize)
    } else {
        (RgbChroma::Rgb, 3usize)
    };
    let img = lib
        .decode(&handle, ColorSpace::Rgb(chroma), None)
        .map_err(|e| error_text(&e))?;
    let (w, h) = (img.width(), img.height());
    if (w, h) != header.size {
        return Err(format!(
            "decoded image is {w}×{h}, not the {}×{} its header declares",
            header.size.0, header.size.1
        ));
    }
    let planes = img.planes();
    let plane = planes
        .interleaved
        .ok_or("libheif gave no interleaved RGB plane")?;
    if plane.storage_bits_per_pixel != 8 * channels as u8 {
        return Err(format!(
            "libheif gave {} bits a pixel, not 8-bit RGB",
            plane.storage_bits_per_pixel
        ));
    }
    // Rows are `stride` bytes apart; copy the `w × channels` bytes of each.
    let row = w as usize * channels;
    let mut px = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        let start = y * plane.stride;
        let line = plane
            .data
            .get(start..start + row)
            .ok_or("libheif's pixel plane is shorter than the image")?;
        px.extend_from_slice(line);
    }
    let short = || "libheif's pixel plane does not match the image size".to_string();
    Ok(if header.alpha {
        image::DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, px).ok_or_else(short)?)
    } else {
        image::DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, px).ok_or_else(short)?)
    })
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
