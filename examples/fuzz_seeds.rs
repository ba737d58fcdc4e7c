//! Writes the seed corpus of the fuzz targets (`fuzz/`) into `fuzz/seeds/<target>/`:
//! `cargo run --example fuzz_seeds`. The files are small and made here, so the corpus can be rebuilt and
//! holds nothing but what this program writes (and the shipped `profiles/*.toml`). The progressive JPEG needs `cjpeg` (libjpeg-turbo); without
//! it that one seed is skipped.

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageBuffer, ImageEncoder, ImageFormat, Luma, Rgb, RgbImage, Rgba};

/// A small skin-toned picture with a darker spot, so the analysis gets past its skin mask now and then.
fn picture(w: u32, h: u32) -> RgbImage {
    ImageBuffer::from_fn(w, h, |x, y| {
        let dx = x as i32 - w as i32 / 2;
        let dy = y as i32 - h as i32 / 2;
        let spot = if dx * dx + dy * dy < (w as i32 / 5).pow(2) {
            40
        } else {
            0
        };
        Rgb([
            (200 - spot + x as i32 % 7) as u8,
            (150 - spot + y as i32 % 5) as u8,
            (125 - spot) as u8,
        ])
    })
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// `jpeg` with an EXIF block saying "rotate 90° clockwise" (orientation 6) after its SOI marker.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // first IFD
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A progressive JPEG of `img` by `cjpeg -progressive`, if cjpeg is installed.
fn progressive_jpeg(img: &RgbImage) -> Option<Vec<u8>> {
    let mut ppm = format!("P6\n{} {}\n255\n", img.width(), img.height()).into_bytes();
    ppm.extend_from_slice(img.as_raw());
    let mut child = Command::new("cjpeg")
        .args(["-progressive", "-quality", "80"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(&ppm).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("writes seed");
}

fn images(dir: &Path) {
    let rgb = picture(24, 16);
    let img = DynamicImage::ImageRgb8(rgb.clone());
    let rgba = DynamicImage::ImageRgba8(ImageBuffer::from_fn(16, 12, |x, y| {
        let p = rgb.get_pixel(x, y).0;
        Rgba([p[0], p[1], p[2], (x * 16) as u8])
    }));
    let grey = DynamicImage::ImageLuma8(ImageBuffer::from_fn(16, 12, |x, y| {
        Luma([(x * 9 + y * 5) as u8])
    }));
    let grey16 = DynamicImage::ImageLuma16(ImageBuffer::from_fn(16, 12, |x, y| {
        Luma([(x * 4000 + y * 100) as u16])
    }));
    let rgb16 = DynamicImage::ImageRgb16(ImageBuffer::from_fn(8, 8, |x, y| {
        Rgb([(x * 8000) as u16, (y * 8000) as u16, 30000])
    }));

    write(dir, "rgb8.png", &encode(&img, ImageFormat::Png));
    write(dir, "rgba8.png", &encode(&rgba, ImageFormat::Png));
    write(dir, "grey16.png", &encode(&grey16, ImageFormat::Png));
    write(dir, "rgb16.png", &encode(&rgb16, ImageFormat::Png));
    let mut unfiltered = Vec::new();
    PngEncoder::new_with_quality(&mut unfiltered, CompressionType::Fast, FilterType::NoFilter)
        .write_image(grey.as_bytes(), 16, 12, image::ExtendedColorType::L8)
        .expect("encodes");
    write(dir, "grey8_nofilter.png", &unfiltered);

    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&img)
        .expect("encodes");
    write(dir, "baseline.jpg", &jpeg);
    write(dir, "exif_rotated.jpg", &with_exif_orientation(&jpeg, 6));
    write(dir, "truncated.jpg", &jpeg[..jpeg.len() * 2 / 3]);
    write(dir, "grey.jpg", &encode(&grey, ImageFormat::Jpeg));
    match progressive_jpeg(&rgb) {
        Some(p) => write(dir, "progressive.jpg", &p),
        None => eprintln!("cjpeg not found: no progressive JPEG seed"),
    }

    write(dir, "rgb8.tif", &encode(&img, ImageFormat::Tiff));
    write(dir, "grey16.tif", &encode(&grey16, ImageFormat::Tiff));
    write(dir, "rgba8.tif", &encode(&rgba, ImageFormat::Tiff));
    write(dir, "lossless.webp", &encode(&img, ImageFormat::WebP));
    write(dir, "rgba.webp", &encode(&rgba, ImageFormat::WebP));
    write(dir, "rgb8.bmp", &encode(&img, ImageFormat::Bmp));
    write(dir, "rgba8.bmp", &encode(&rgba, ImageFormat::Bmp));

    // Formats the loader recognises and refuses with a message: their headers are enough.
    write(dir, "tiny.ppm", b"P6\n2 1\n255\n\xc8\x96\x7d\x90\x60\x50");
    write(dir, "tiny.pgm", b"P2\n2 2\n255\n0 64\n128 255\n");
    write(
        dir,
        "tiny.gif",
        b"GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;",
    );
    write(
        dir,
        "header.ico",
        b"\0\0\x01\0\x01\0\x10\x10\0\0\x01\0 \0\x68\x04\0\0\x16\0\0\0",
    );
    write(
        dir,
        "header.qoi",
        b"qoif\0\0\0\x02\0\0\0\x01\x03\0\x13\x03\x07\0\0\0\0\0\0\0\x01",
    );
    write(
        dir,
        "header.heic",
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08free",
    );
    write(dir, "text.txt", b"not an image\n");
}

fn profiles(dir: &Path, root: &Path) {
    for name in ["default.toml", "decision.toml"] {
        let text = std::fs::read(root.join("profiles").join(name)).expect("reads shipped profile");
        write(dir, name, &text);
    }
    write(dir, "empty.toml", b"");
    write(dir, "named.toml", b"name = \"strict\"\n");
    write(
        dir,
        "override.toml",
        b"[prepare]\ntarget_px_per_mm = 10.0\nskin_ln_rg = [0.2, 1.4]\n",
    );
    write(dir, "nan.toml", b"[prepare]\nmin_px_per_mm = nan\n");
    write(
        dir,
        "backwards.toml",
        b"[prepare]\nskin_ln_gb = [0.7, -0.1]\n",
    );
    write(
        dir,
        "rotation.toml",
        b"[compare.registration]\nmax_rotation_deg = 91\n",
    );
    write(
        dir,
        "wrong_type.toml",
        b"[prepare]\nmax_side_unscaled = \"big\"\n",
    );
    write(dir, "unknown.toml", b"[nothing]\nx = 1\n");
    write(dir, "broken.toml", b"[prepare\nx = ");
}

fn pairs(dir: &Path) {
    write(
        dir,
        "header.csv",
        b"before,after,id\nb/1.jpg,a/1.jpg,one\nb/2.jpg,a/2.jpg,\n",
    );
    write(
        dir,
        "plain.csv",
        b"Anna_before.jpg,Anna_after.jpg\n/abs/pre cheek.png,/abs/post cheek.png\n",
    );
    write(
        dir,
        "quoted.csv",
        "\u{feff}# comment\n\"b, 1.jpg\",\"a \"\"1\"\".jpg\",\"id, quoted\"\n\n  \nx.tif , y.tif\n"
            .as_bytes(),
    );
    write(dir, "short.csv", b"before,after\nonly_one.jpg\n");
    write(dir, "empty_field.csv", b",a.jpg\n");
    write(dir, "crlf.csv", b"before,after\r\nb.jpg,a.jpg\r\n");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fuzz = root.join("fuzz");
    for (target, fill) in [
        ("load_and_analyze", images as fn(&Path)),
        ("pairs_csv", pairs),
    ] {
        let dir = fuzz.join("seeds").join(target);
        std::fs::create_dir_all(&dir).expect("creates seed folder");
        fill(&dir);
    }
    let dir = fuzz.join("seeds").join("profile");
    std::fs::create_dir_all(&dir).expect("creates seed folder");
    profiles(&dir, root);
}
