//! Hostile inputs for the loader: decompression bombs, and random corruption of valid files (a cheap,
//! always-on fuzz run; `load_image_bytes` is the whole attack surface of a photo).

use image::{DynamicImage, ImageFormat, RgbImage};
use proptest::prelude::*;
use scarscope::load::load_image_bytes;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A tiny PNG whose header declares `w`×`h` RGB pixels (a decompression bomb if believed).
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    // A valid empty zlib stream: the data is far too short for the declared size.
    png.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

#[test]
fn bomb_is_refused_from_its_header_without_allocating() {
    let err = load_image_bytes(&png_declaring(100_000, 100_000), 100.0).expect_err("10 GP refused");
    assert!(err.message.contains("above the limit of 100 MP"), "{}", err.message);
    assert_eq!(err.size, Some((100_000, 100_000)));
    // Within the limit, the short data is a decode error, not a crash.
    let err = load_image_bytes(&png_declaring(3000, 2000), 100.0).expect_err("data missing");
    assert!(err.message.contains("PNG"), "{}", err.message);
}

fn sample(format: ImageFormat) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 7) as u8, ((x * y) % 251) as u8])
    }));
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, format).expect("encode");
    buf.into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_files_never_panic(
        which in 0usize..5,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let formats = [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Tiff, ImageFormat::WebP, ImageFormat::Bmp];
        let mut bytes = sample(formats[which]);
        for (at, v) in flips {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        let keep = cut.index(bytes.len()) + 1;
        bytes.truncate(keep);
        match load_image_bytes(&bytes, 100.0) {
            Ok(img) => prop_assert!(img.rgb.width() > 0 && img.rgb.height() > 0),
            Err(e) => prop_assert!(!e.message.is_empty() && !e.message.contains('\n')),
        }
    }
}
