//! Load stage: finds the photos under the paths given and decodes them upright, safely.
//!
//! - Discovery walks folders recursively in sorted order, skips hidden entries, follows symlinks but never
//!   enters a folder twice (so a symlink loop cannot hang), and counts non-image files it skips. What it cannot
//!   read (an unreadable folder, a special file, a broken or looping link) becomes an error entry.
//! - Decoding detects the format from the file's content, not its extension (a `.jpg` that is really a PNG
//!   loads, so does `.jfif`), checks the declared size against a limit *before* allocating, applies the EXIF
//!   orientation so that every coordinate refers to the upright image, and converts 16-bit, greyscale, alpha
//!   and palette images to 8-bit RGB (alpha composited over black, which the skin mask treats as background).
//! - Every failure is a [`LoadError`] with a one-line message; nothing here panics on bad input.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use crate::walk_filter::WalkFilter;

/// File extensions taken as photos when met inside a folder (content still decides how they are decoded).
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "tif", "tiff", "webp", "bmp", "dib",
];

/// Formats this build decodes.
const SUPPORTED: &[ImageFormat] = &[
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::Tiff,
    ImageFormat::WebP,
    ImageFormat::Bmp,
];

/// One photo to analyse, as discovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where it is.
    pub path: PathBuf,
    /// The path as shown in reports (as given, or joined under the folder given).
    pub display: String,
    /// Why the walk could not take this entry as a file to read (a folder that cannot be read, a FIFO or other
    /// special file, a symlink that cannot be followed): it is reported as an error without being opened.
    pub problem: Option<String>,
}

impl Input {
    /// A file to read.
    pub fn file(path: PathBuf) -> Self {
        Input {
            display: if is_stdin(&path) {
                STDIN_NAME.to_string()
            } else {
                display_path(&path)
            },
            path,
            problem: None,
        }
    }
}

/// What discovery found under the paths given.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Photos (and explicitly named files, whatever they hold), in sorted walk order.
    pub inputs: Vec<Input>,
    /// Non-image files met inside folders and skipped.
    pub skipped_non_image: usize,
    /// Problems met while walking (unreadable folders, special files, broken links, loops), one line each.
    pub warnings: Vec<String>,
    /// Files and folders inside walks left out by `--include`/`--exclude`.
    pub filtered_out: usize,
}

impl Discovery {
    /// The message when nothing is left to analyse, counting what the walk left out and why.
    pub fn nothing_found(&self) -> String {
        let mut left = Vec::new();
        if self.skipped_non_image > 0 {
            left.push(format!(
                "{} non-image files skipped",
                self.skipped_non_image
            ));
        }
        if self.filtered_out > 0 {
            left.push(format!(
                "{} files or folders left out by --include/--exclude",
                self.filtered_out
            ));
        }
        if left.is_empty() {
            "no images found to analyse".into()
        } else {
            format!("no images found to analyse ({})", left.join(", "))
        }
    }

    /// Records an entry the walk cannot read: an error entry in the output and a warning naming it.
    fn problem(&mut self, path: &Path, problem: String) {
        let display = display_path(path);
        self.warnings.push(format!("{display}: {problem}"));
        self.inputs.push(Input {
            path: path.to_path_buf(),
            display,
            problem: Some(problem),
        });
    }
}

/// Finds the photos under `paths`: files are taken as given, folders are walked recursively in sorted order.
///
/// A file named explicitly is always an input, even if it is not an image (it is then reported as an
/// error for that file). Inside folders, a file is an input when its extension is an image extension or its
/// first bytes are an image signature; other files are skipped and counted.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    discover_filtered(paths, &WalkFilter::default())
}

/// [`discover`], taking inside folders only the files that `filter` takes (see [`crate::walk_filter`]).
pub fn discover_filtered(paths: &[PathBuf], filter: &WalkFilter) -> Discovery {
    let mut d = Discovery::default();
    let mut visited = HashSet::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut visited, &mut d, &Walk { root: p, filter });
        } else {
            d.inputs.push(Input::file(p.clone()));
        }
    }
    d
}

/// One folder walk: the folder given, whose relative paths the filter matches.
struct Walk<'a> {
    root: &'a Path,
    filter: &'a WalkFilter,
}

impl Walk<'_> {
    /// Whether `path` (under the root) is left out by the filter; a file must also be taken by it.
    fn filtered_out(&self, path: &Path, is_dir: bool) -> bool {
        let rel = path.strip_prefix(self.root).unwrap_or(path);
        if is_dir {
            self.filter.excludes(rel)
        } else {
            !self.filter.takes_file(rel)
        }
    }
}

fn walk(dir: &Path, visited: &mut HashSet<PathBuf>, d: &mut Discovery, w: &Walk<'_>) {
    // Canonical paths identify a folder however it was reached, so symlink loops end here.
    match std::fs::canonicalize(dir) {
        Ok(c) => {
            if !visited.insert(c) {
                d.warnings.push(format!(
                    "{}: folder already visited (symlink loop?), skipped",
                    display_path(dir)
                ));
                return;
            }
        }
        Err(e) => {
            d.problem(dir, format!("cannot resolve folder: {e}"));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            d.problem(dir, format!("cannot read folder: {e}"));
            return;
        }
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        // On the bytes: a name starting with '.' is hidden even when the rest is not UTF-8.
        let hidden = path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().first() == Some(&b'.'));
        if hidden {
            continue;
        }
        // `metadata` follows symlinks. What is neither a folder nor a regular file is reported, never opened: a
        // FIFO would block the walk, and a broken or looping link or an unreadable entry may hide a photo.
        let meta = std::fs::metadata(&path);
        if w.filtered_out(&path, meta.as_ref().is_ok_and(|m| m.is_dir())) {
            d.filtered_out += 1;
            continue;
        }
        match meta {
            Ok(m) if m.is_dir() => walk(&path, visited, d, w),
            Ok(m) if m.is_file() => {
                // HEIC/HEIF photos are taken too, to be reported with what to do (see `heif`).
                if has_image_extension(&path)
                    || crate::heif::has_heif_extension(&path)
                    || sniff_is_image(&path)
                {
                    d.inputs.push(Input::file(path));
                } else {
                    d.skipped_non_image += 1;
                }
            }
            Ok(m) => d.problem(
                &path,
                format!(
                    "not a regular file ({}), not read in a folder walk",
                    special_kind(&m)
                ),
            ),
            Err(e) => {
                let link =
                    std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                let problem = if link {
                    format!("symbolic link cannot be followed: {e}")
                } else {
                    format!("cannot read: {e}")
                };
                d.problem(&path, problem);
            }
        }
    }
}

/// What kind of special file `m` describes.
fn special_kind(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    #[cfg(not(unix))]
    let _ = m;
    "a special file"
}

/// A path as shown in reports and messages: as given, with every byte that is not UTF-8 escaped as `\xFF`
/// (a lossy conversion would print U+FFFD, and two different files could show the same name).
pub fn display_path(p: &Path) -> String {
    let bytes = p.as_os_str().as_encoded_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Whether a path's extension is one of [`IMAGE_EXTENSIONS`] (any case).
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn sniff_is_image(path: &Path) -> bool {
    let mut head = [0u8; 32];
    let n = File::open(path)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .unwrap_or(0);
    image::guess_format(&head[..n]).is_ok() || crate::heif::is_heif(&head[..n])
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The format of a photo, found in its content: one the `image` crate decodes, or HEIF (decoded with the
/// `heic` feature only, see [`crate::heif`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoFormat {
    /// A format of the `image` crate (the `SUPPORTED` ones are decoded).
    Image(ImageFormat),
    /// HEIC/HEIF.
    Heif,
}

impl PhotoFormat {
    /// A short, stable name for the format.
    pub fn name(self) -> &'static str {
        match self {
            PhotoFormat::Image(f) => format_name(f),
            PhotoFormat::Heif => "HEIF",
        }
    }
}

/// A decoded photo, upright, as 8-bit RGB.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// The pixels, upright (EXIF orientation applied).
    pub rgb: RgbImage,
    /// The format found in the content.
    pub format: PhotoFormat,
    /// Whether an EXIF orientation other than "upright" was applied. For HEIF, whose own transformations
    /// libheif applies (its EXIF orientation is ignored, as the format requires): whether they changed the
    /// coded size (a quarter turn or a crop; a half turn or a mirror alone is applied but not flagged).
    pub reoriented: bool,
    /// The photo's upright width and height. `rgb` is smaller when it was decoded at a reduced scale
    /// ([`Opened::decode`]); every coordinate reported refers to this size.
    pub full_size: (u32, u32),
}

/// Why a photo could not be loaded, with its upright size when it was read before the failure.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    /// One-line reason.
    pub message: String,
    /// Upright width and height, when known.
    pub size: Option<(u32, u32)>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoadError {}

fn fail(message: impl Into<String>) -> LoadError {
    LoadError {
        message: message.into(),
        size: None,
    }
}

/// Decodes the photo at `path` (standard input for [`STDIN_PATH`]), refusing images whose declared size
/// exceeds `max_megapixels`.
pub fn load_image(path: &Path, max_megapixels: f64) -> Result<LoadedImage, LoadError> {
    open_image(path, max_megapixels)?.decode(1.0)
}

/// Reads the photo at `path` (standard input for [`STDIN_PATH`]) and checks its header (format, completeness,
/// declared size) without decoding its pixels: the caller can weigh its memory ([`Opened::decode_bytes`])
/// before [`Opened::decode`].
pub fn open_image(path: &Path, max_megapixels: f64) -> Result<Opened<'static>, LoadError> {
    if is_stdin(path) {
        return open_stdin(max_megapixels);
    }
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read file: {e}")))?;
    if meta.is_dir() {
        return Err(fail("is a folder, not an image file"));
    }
    let cap = file_size_cap(max_megapixels);
    let too_large = |len: u64| {
        fail(format!(
            "file is {:.0} MB, more than any image within the {max_megapixels} MP limit needs",
            len as f64 / 1e6
        ))
    };
    let bytes = if meta.is_file() {
        if meta.len() == 0 {
            return Err(fail("empty file (0 bytes)"));
        }
        if meta.len() > cap {
            return Err(too_large(meta.len()));
        }
        std::fs::read(path).map_err(|e| fail(format!("cannot read file: {e}")))?
    } else {
        // A FIFO, a process substitution (`<(cat a.jpg)`) or a device: its size is not known beforehand, so it
        // is read as a stream, up to the same cap.
        let file = File::open(path).map_err(|e| fail(format!("cannot read file: {e}")))?;
        read_stream(file, max_megapixels)?
    };
    open_read_bytes(bytes, max_megapixels, crate::heif::has_heif_extension(path))
}

/// The path that names standard input on the command line (`scarscope analyze -`). A file called `-` is still
/// reachable as `./-`.
pub const STDIN_PATH: &str = "-";

/// The name a photo read from standard input gets in reports. Not `-`: a CSV cell starting with `-` gets the
/// formula guard's apostrophe, and `<stdin>` cannot be mistaken for a file given as `./-`.
pub const STDIN_NAME: &str = "<stdin>";

/// Whether `path` is [`STDIN_PATH`] exactly.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_PATH
}

/// Reads one photo from standard input and checks its header, under the same size cap as a file.
pub fn open_stdin(max_megapixels: f64) -> Result<Opened<'static>, LoadError> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    // Waiting for a photo to be typed would look like a hang.
    if stdin.is_terminal() {
        return Err(fail(
            "standard input is a terminal: pipe or redirect a photo into it (scarscope analyze - < photo.jpg)",
        ));
    }
    let bytes = read_stream(stdin.lock(), max_megapixels)?;
    open_read_bytes(bytes, max_megapixels, false)
}

/// Reads a stream of unknown length, refusing it past [`file_size_cap`] (read one byte further to tell).
fn read_stream(r: impl Read, max_megapixels: f64) -> Result<Vec<u8>, LoadError> {
    let cap = file_size_cap(max_megapixels);
    let mut bytes = Vec::new();
    r.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read file: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(fail(format!(
            "stream is more than {:.0} MB, more than any image within the {max_megapixels} MP limit needs",
            cap as f64 / 1e6
        )));
    }
    if bytes.is_empty() {
        return Err(fail("empty stream (0 bytes)"));
    }
    // Reading in growing steps leaves up to twice the length allocated; the photo is held until analysed.
    bytes.shrink_to_fit();
    Ok(bytes)
}

/// Checks bytes read from a file or stream, saying what they are when they are no image at all.
/// `heif_name`: the file is named like a HEIF photo, which makes content no decoder knows a HEIF one.
fn open_read_bytes(
    bytes: Vec<u8>,
    max_megapixels: f64,
    heif_name: bool,
) -> Result<Opened<'static>, LoadError> {
    let known = image::guess_format(&bytes).is_ok();
    if crate::heif::is_heif(&bytes) || (heif_name && !known) {
        return open_heif(Cow::Owned(bytes), max_megapixels);
    }
    if !known {
        return Err(fail(describe_unknown(&bytes)));
    }
    open_bytes(Cow::Owned(bytes), max_megapixels)
}

/// The largest file accepted under a pixel limit: no valid image within `max_megapixels` needs more bytes than
/// its uncompressed 16-bit RGBA size, plus 16 MiB of metadata. Computed in f64 and saturated (`as` clamps), so
/// a huge limit (`--max-megapixels 3e12`) means "no cap" instead of wrapping round to 16 MiB.
pub fn file_size_cap(max_megapixels: f64) -> u64 {
    let bytes = max_megapixels.max(1.0) * 1e6 * 8.0 + (16u64 << 20) as f64;
    if bytes.is_nan() {
        u64::MAX
    } else {
        bytes as u64
    }
}

/// Decodes an in-memory image (used by tests and by callers that already hold the bytes).
pub fn load_image_bytes(bytes: &[u8], max_megapixels: f64) -> Result<LoadedImage, LoadError> {
    open_bytes(Cow::Borrowed(bytes), max_megapixels)?.decode(1.0)
}

/// A photo read and checked, not yet decoded: its format, its declared size and orientation.
#[derive(Debug, Clone)]
pub struct Opened<'a> {
    bytes: Cow<'a, [u8]>,
    format: PhotoFormat,
    max_megapixels: f64,
    /// Width and height as stored (before the EXIF orientation); for HEIF, as libheif gives them upright.
    stored: (u32, u32),
    orientation: image::metadata::Orientation,
    /// Bytes of the decoder's own output (its native pixel type, e.g. 16-bit RGBA).
    native_bytes: u64,
    /// Whether the decoder's output is already 8-bit RGB (no conversion buffer).
    native_rgb8: bool,
}

/// Checks an in-memory image's format, completeness and declared size; see [`open_image`].
pub fn open_bytes(bytes: Cow<'_, [u8]>, max_megapixels: f64) -> Result<Opened<'_>, LoadError> {
    if bytes.is_empty() {
        return Err(fail("empty file (0 bytes)"));
    }
    if crate::heif::is_heif(&bytes) {
        return open_heif(bytes, max_megapixels);
    }
    let reader = ImageReader::new(std::io::Cursor::new(&bytes[..]))
        .with_guessed_format()
        .map_err(|e| fail(format!("cannot read data: {e}")))?;
    let format = match reader.format() {
        Some(f) if SUPPORTED.contains(&f) => f,
        Some(f) => {
            return Err(fail(format!(
                "unsupported image format {} (supported: JPEG, PNG, TIFF, WebP, BMP)",
                format_name(f)
            )))
        }
        None => {
            return Err(fail(
                "not an image: the content is not JPEG, PNG, TIFF, WebP or BMP",
            ))
        }
    };
    if format == ImageFormat::Jpeg {
        // The decoder fills blocks whose data is missing instead of failing: walk the scans to see that the
        // data covers the picture (see `jpeg_scan` for why this and not a byte count or the pixels).
        if let crate::jpeg_scan::Completeness::Incomplete { rows_done, rows } =
            crate::jpeg_scan::completeness(&bytes, max_megapixels * 1e6)
        {
            return Err(LoadError {
                message: format!("incomplete JPEG: data ends at row {rows_done} of {rows}"),
                size: jpeg_size_hint(&bytes),
            });
        }
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(&bytes) {
        // The JPEG decoder fills a missing tail with grey rather than failing; a half photo must not be
        // analysed as if it were whole.
        return Err(LoadError {
            message: "truncated JPEG: the data ends before the end-of-image marker".into(),
            size: jpeg_size_hint(&bytes),
        });
    }
    let (w, h, native_bytes, native_rgb8, orientation) = {
        let mut decoder = header_decoder(&bytes, format, max_megapixels)?;
        let (w, h) = decoder.dimensions();
        // A broken EXIF block must not lose the photo: fall back to "as stored".
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        (
            w,
            h,
            decoder.total_bytes(),
            decoder.color_type() == image::ColorType::Rgb8,
            orientation,
        )
    };
    let upright = if swaps_axes(orientation) {
        (h, w)
    } else {
        (w, h)
    };
    check_declared_size(format_name(format), upright, max_megapixels)?;
    Ok(Opened {
        bytes,
        format: PhotoFormat::Image(format),
        max_megapixels,
        stored: (w, h),
        orientation,
        native_bytes,
        native_rgb8,
    })
}

/// Refuses a declared size (`upright`, of a `name` image) that is empty or above `max_megapixels`.
fn check_declared_size(
    name: &str,
    upright: (u32, u32),
    max_megapixels: f64,
) -> Result<(), LoadError> {
    let (w, h) = upright;
    let mp = w as f64 * h as f64 / 1e6;
    if w == 0 || h == 0 {
        return Err(LoadError {
            message: format!("{name} declares an empty image ({w}×{h})"),
            size: Some(upright),
        });
    }
    if mp > max_megapixels {
        return Err(LoadError {
            message: format!(
                "image is {w}×{h} = {mp:.1} MP, above the limit of {max_megapixels} MP (raise it with --max-megapixels)"
            ),
            size: Some(upright),
        });
    }
    Ok(())
}

/// Checks a HEIF photo's header and declared size, before any pixel is decoded (feature `heic`).
#[cfg(feature = "heic")]
fn open_heif(bytes: Cow<'_, [u8]>, max_megapixels: f64) -> Result<Opened<'_>, LoadError> {
    let header =
        crate::heif::read_header(&bytes).map_err(|e| fail(format!("cannot decode HEIF: {e}")))?;
    check_declared_size("HEIF", header.size, max_megapixels)?;
    Ok(Opened {
        bytes,
        format: PhotoFormat::Heif,
        max_megapixels,
        stored: header.size,
        orientation: image::metadata::Orientation::NoTransforms,
        native_bytes: header.decode_bytes(),
        native_rgb8: false,
    })
}

/// A HEIF photo in a build without the `heic` feature: the error that says what to do.
#[cfg(not(feature = "heic"))]
fn open_heif(_bytes: Cow<'_, [u8]>, _max_megapixels: f64) -> Result<Opened<'_>, LoadError> {
    Err(fail(crate::heif::UNSUPPORTED))
}

/// The `image` crate's decoder for `bytes`, its header read, with the allocation limit set.
fn header_decoder<'b>(
    bytes: &'b [u8],
    format: ImageFormat,
    max_megapixels: f64,
) -> Result<Box<dyn ImageDecoder + 'b>, LoadError> {
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // The pixel limit is checked on the declared size; the allocation limit is a second guard for decoders
    // that allocate more than the final image (16-bit RGBA is 8 bytes a pixel).
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(file_size_cap(max_megapixels).saturating_add(48 << 20));
    reader.limits(limits);
    reader
        .into_decoder()
        .map(|d| Box::new(d) as Box<dyn ImageDecoder>)
        .map_err(|e| {
            fail(format!(
                "cannot decode {}: {}",
                format_name(format),
                error_text(&e)
            ))
        })
}

/// The DCT scale denominator (1, 2, 4 or 8) for a JPEG that its consumer will shrink by `reduce`: the
/// coarsest one that still leaves at least the consumer's resolution, so its own downsampling has the last
/// word and the JPEG decoder skips only detail that would be averaged away.
pub fn dct_denominator(reduce: f64) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|&d| reduce.is_finite() && reduce >= d as f64)
        .unwrap_or(1)
}

impl Opened<'_> {
    /// The upright width and height (EXIF orientation applied), as the report gives them.
    pub fn upright_size(&self) -> (u32, u32) {
        if swaps_axes(self.orientation) {
            (self.stored.1, self.stored.0)
        } else {
            self.stored
        }
    }

    /// The format found in the content.
    pub fn format(&self) -> PhotoFormat {
        self.format
    }

    /// Bytes that decoding holds at its peak, for a consumer that shrinks the photo by `reduce` (see
    /// [`Opened::decode`]): the file as held in memory (a buffer read from a stream counts by its capacity),
    /// the decoder's own copy of it and its scratch frame where it makes them, the decoder's output and the
    /// 8-bit RGB copy when one is needed.
    pub fn decode_bytes(&self, reduce: f64) -> u64 {
        let file = self.held_bytes();
        let (w, h) = (self.stored.0 as u64, self.stored.1 as u64);
        let d = self.denominator(reduce) as u64;
        if d > 1 {
            // jpeg-decoder reads the slice in place.
            return file + w.div_ceil(d) * h.div_ceil(d) * 3;
        }
        let rgb = w * h * 3;
        let decoder_own = match self.format {
            // The image crate's JPEG decoder reads the whole file into a buffer of its own first.
            PhotoFormat::Image(ImageFormat::Jpeg) => self.bytes.len() as u64,
            // image-webp reads a lossy frame's partitions (about the whole file) into buffers and decodes
            // into a YUV frame; a lossless image without alpha is decoded into an RGBA scratch frame: at
            // most the file and 4 bytes a pixel.
            PhotoFormat::Image(ImageFormat::WebP) => self.bytes.len() as u64 + w * h * 4,
            _ => 0,
        };
        file + decoder_own + self.native_bytes + if self.native_rgb8 { 0 } else { rgb }
    }

    /// Bytes the file takes in memory: a buffer of its own by its capacity (a stream is read in growing
    /// steps), bytes lent by the caller by their length.
    fn held_bytes(&self) -> u64 {
        match &self.bytes {
            Cow::Owned(v) => v.capacity() as u64,
            Cow::Borrowed(b) => b.len() as u64,
        }
    }

    fn denominator(&self, reduce: f64) -> u32 {
        if self.format == PhotoFormat::Image(ImageFormat::Jpeg) {
            dct_denominator(reduce)
        } else {
            1
        }
    }

    /// Decodes the pixels, upright, as 8-bit RGB. `reduce` (>= 1) is how much the consumer will shrink the
    /// photo: a JPEG is then decoded at the coarsest DCT scale (1/2, 1/4, 1/8) that keeps at least that
    /// resolution, which saves most of the decoding time and memory of a large photo; 1.0 decodes everything.
    pub fn decode(self, reduce: f64) -> Result<LoadedImage, LoadError> {
        let format = match self.format {
            PhotoFormat::Image(f) => f,
            PhotoFormat::Heif => return self.decode_heif(),
        };
        let upright = self.upright_size();
        let name = format_name(format);
        let d = self.denominator(reduce);
        let scaled = if d > 1 {
            decode_jpeg_scaled(&self.bytes, self.stored, d)
        } else {
            None
        };
        let img = match scaled {
            Some(rgb) => DynamicImage::ImageRgb8(rgb),
            None => {
                let decoder = header_decoder(&self.bytes, format, self.max_megapixels)?;
                DynamicImage::from_decoder(decoder).map_err(|e| LoadError {
                    message: format!(
                        "cannot decode {name} (truncated or corrupt?): {}",
                        error_text(&e)
                    ),
                    size: Some(upright),
                })?
            }
        };
        let mut img = img;
        let reoriented = self.orientation != image::metadata::Orientation::NoTransforms;
        img.apply_orientation(self.orientation);
        Ok(LoadedImage {
            rgb: to_rgb8_over_black(img),
            format: self.format,
            reoriented,
            full_size: upright,
        })
    }

    /// Decodes a HEIF photo whole (libheif has no reduced decoding), its transformations applied.
    #[cfg(feature = "heic")]
    fn decode_heif(self) -> Result<LoadedImage, LoadError> {
        let upright = self.upright_size();
        let failed = |e: String| LoadError {
            message: format!("cannot decode HEIF (truncated or corrupt?): {e}"),
            size: Some(upright),
        };
        // The header is read again: `Opened` holds the bytes only, not libheif's parsed file.
        let header = crate::heif::read_header(&self.bytes).map_err(failed)?;
        if header.size != upright {
            return Err(failed(format!(
                "its header now declares {}×{}",
                header.size.0, header.size.1
            )));
        }
        let img = crate::heif::decode(&self.bytes, &header).map_err(failed)?;
        Ok(LoadedImage {
            rgb: to_rgb8_over_black(img),
            format: PhotoFormat::Heif,
            reoriented: header.coded != header.size,
            full_size: upright,
        })
    }

    /// Never reached: without the `heic` feature, opening a HEIF photo fails.
    #[cfg(not(feature = "heic"))]
    fn decode_heif(self) -> Result<LoadedImage, LoadError> {
        Err(fail(crate::heif::UNSUPPORTED))
    }
}

/// A JPEG decoded at 1/`denom` of its size with `jpeg-decoder`'s DCT scaling, or `None` when that decoder
/// cannot give 8-bit RGB or grey at exactly the expected size (CMYK, 12-bit, a file it refuses): the caller
/// then decodes everything with the `image` crate, whose errors are the ones reported.
///
/// Why a second JPEG decoder: the `image` crate's (zune-jpeg) has no scaled decoding, and decoding a 12 MP
/// photo whole to average it down 2.5× costs more than the DCT-scaled decode and holds 4× the memory.
fn decode_jpeg_scaled(bytes: &[u8], stored: (u32, u32), denom: u32) -> Option<RgbImage> {
    let want = (stored.0.div_ceil(denom), stored.1.div_ceil(denom));
    let mut d = jpeg_decoder::Decoder::new(bytes);
    d.read_info().ok()?;
    let info = d.info()?;
    if (info.width as u32, info.height as u32) != stored {
        return None;
    }
    let got = d
        .scale(u16::try_from(want.0).ok()?, u16::try_from(want.1).ok()?)
        .ok()?;
    if (got.0 as u32, got.1 as u32) != want {
        return None;
    }
    let px = d.decode().ok()?;
    match d.info()?.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(want.0, want.1, px),
        jpeg_decoder::PixelFormat::L8 => {
            let grey = image::GrayImage::from_raw(want.0, want.1, px)?;
            Some(DynamicImage::ImageLuma8(grey).into_rgb8())
        }
        _ => None,
    }
}

/// Whether a JPEG stream has an end-of-image marker (FF D9) after its first start-of-scan (FF DA).
///
/// Markers are walked segment by segment up to the first scan, so an EOI inside an embedded EXIF thumbnail
/// does not count; inside entropy-coded data a literal FF is always stuffed (FF 00) or a restart marker, so
/// an FF D9 after the scan starts is the real end.
pub fn jpeg_is_complete(b: &[u8]) -> bool {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return false;
    }
    let mut i = 2;
    let sos = loop {
        // Skip fill bytes before a marker.
        while i < b.len() && b[i] == 0xFF && i + 1 < b.len() && b[i + 1] == 0xFF {
            i += 1;
        }
        if i + 4 > b.len() || b[i] != 0xFF {
            return false;
        }
        let marker = b[i + 1];
        if marker == 0xDA {
            break i;
        }
        if marker == 0xD9 {
            return false;
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        i += 2 + len;
    };
    b[sos..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// The upright size a JPEG declares, read from its header alone.
fn jpeg_size_hint(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    reader.limits(image::Limits::default());
    let mut d = reader.into_decoder().ok()?;
    let (w, h) = d.dimensions();
    let o = d
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    Some(if swaps_axes(o) { (h, w) } else { (w, h) })
}

fn swaps_axes(o: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(o, Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH)
}

/// Converts any decoded image to 8-bit RGB; transparent pixels become black (background, never skin).
fn to_rgb8_over_black(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p.0[3] as u32;
        for c in 0..3 {
            o.0[c] = ((p.0[c] as u32 * a + 127) / 255) as u8;
        }
    }
    out
}

/// A short, stable name for a format.
pub fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Gif => "GIF",
        ImageFormat::Ico => "ICO",
        ImageFormat::Avif => "AVIF",
        ImageFormat::Hdr => "HDR",
        ImageFormat::OpenExr => "OpenEXR",
        ImageFormat::Pnm => "PNM",
        ImageFormat::Tga => "TGA",
        ImageFormat::Dds => "DDS",
        ImageFormat::Qoi => "QOI",
        ImageFormat::Farbfeld => "Farbfeld",
        _ => "unknown",
    }
}

fn error_text(e: &image::ImageError) -> String {
    crate::report::one_line(&e.to_string())
}

fn describe_unknown(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(512)];
    let texty = !head.is_empty()
        && head.iter().all(|&b| {
            b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80
        });
    if texty {
        "not an image: the file holds text".into()
    } else {
        "not an image: the content is not JPEG, PNG, TIFF, WebP or BMP".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(img: &DynamicImage, f: ImageFormat) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, f).expect("encode");
        buf.into_inner()
    }

    #[test]
    fn the_decode_cost_counts_the_file_as_held_and_the_decoders_copy_of_it() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(40, 30, |x, y| {
            image::Rgb([x as u8 * 6, y as u8 * 8, 90])
        }));
        let px = 40 * 30;
        let cost = |bytes: &[u8]| {
            open_bytes(Cow::Borrowed(bytes), 100.0)
                .expect("opens")
                .decode_bytes(1.0)
        };
        // PNG decodes from the bytes in place: the file once, the decoder's 8-bit RGB output.
        let png = encode(&img, ImageFormat::Png);
        assert_eq!(cost(&png), png.len() as u64 + px * 3);
        // The image crate's JPEG decoder copies the whole file first: it counts twice.
        let jpeg = encode(&img, ImageFormat::Jpeg);
        assert_eq!(cost(&jpeg), 2 * jpeg.len() as u64 + px * 3);
        // WebP: the decoder's copy of the data and its scratch frame (4 bytes a pixel).
        let webp = encode(&img, ImageFormat::WebP);
        assert_eq!(cost(&webp), 2 * webp.len() as u64 + px * 4 + px * 3);
        // A JPEG decoded at a DCT scale is read in place.
        let opened = open_bytes(Cow::Borrowed(&jpeg[..]), 100.0).expect("opens");
        assert_eq!(opened.decode_bytes(2.0), jpeg.len() as u64 + 20 * 15 * 3);

        // A buffer of its own counts by its capacity, not its length.
        let mut roomy = Vec::with_capacity(png.len() * 4);
        roomy.extend_from_slice(&png);
        let opened = open_bytes(Cow::Owned(roomy), 100.0).expect("opens");
        assert_eq!(opened.decode_bytes(1.0), png.len() as u64 * 4 + px * 3);
        // A stream (standard input, a FIFO) is read in growing steps, then trimmed to its length: the bytes
        // held are the photo's.
        struct Trickle(std::io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(100);
                self.0.read(&mut buf[..n])
            }
        }
        let read = read_stream(Trickle(std::io::Cursor::new(png.clone())), 100.0).expect("reads");
        assert_eq!(read, png);
        assert_eq!(read.capacity(), png.len());
        let opened = open_read_bytes(read, 100.0, false).expect("opens");
        assert_eq!(opened.decode_bytes(1.0), png.len() as u64 + px * 3);
    }

    #[test]
    fn every_format_and_pixel_type_loads_as_rgb() {
        let rgb = DynamicImage::ImageRgb8(RgbImage::from_fn(7, 5, |x, y| {
            image::Rgb([x as u8 * 30, y as u8 * 40, 9])
        }));
        for f in SUPPORTED {
            let bytes = encode(&rgb, *f);
            let got = load_image_bytes(&bytes, 100.0).expect("loads");
            assert_eq!(got.rgb.dimensions(), (7, 5), "{f:?}");
            assert_eq!(got.format, PhotoFormat::Image(*f));
        }
        let grey16 = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(
            4,
            3,
            image::Luma([65535u16]),
        ));
        let got = load_image_bytes(&encode(&grey16, ImageFormat::Png), 100.0).expect("16-bit grey");
        assert_eq!(got.rgb.get_pixel(0, 0).0, [255, 255, 255]);
        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            2,
            2,
            image::Rgba([200, 100, 50, 0]),
        ));
        let got = load_image_bytes(&encode(&rgba, ImageFormat::Png), 100.0).expect("alpha");
        assert_eq!(
            got.rgb.get_pixel(1, 1).0,
            [0, 0, 0],
            "transparent pixels become background"
        );
    }

    #[test]
    fn large_jpegs_decode_at_the_coarsest_dct_scale_the_consumer_allows() {
        assert_eq!(dct_denominator(1.0), 1);
        assert_eq!(dct_denominator(1.99), 1);
        assert_eq!(dct_denominator(2.5), 2);
        assert_eq!(dct_denominator(7.9), 4);
        assert_eq!(dct_denominator(40.0), 8);
        assert_eq!(dct_denominator(f64::NAN), 1);
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(130, 66, |x, y| {
            image::Rgb([(x * 255 / 129) as u8, (y * 3) as u8, 120])
        }));
        let jpeg = encode(&img, ImageFormat::Jpeg);
        for (reduce, size) in [
            (1.0, (130, 66)),
            (2.5, (65, 33)),
            (4.0, (33, 17)),
            (9.0, (17, 9)),
        ] {
            let l = open_bytes(Cow::Borrowed(&jpeg), 100.0)
                .expect("opens")
                .decode(reduce)
                .expect("decodes");
            assert_eq!(l.rgb.dimensions(), size, "reduce {reduce}");
            assert_eq!(l.full_size, (130, 66));
            // The reduced decode averages the same picture: the colour ramp survives.
            let p = l.rgb.get_pixel(size.0 - 1, 0).0;
            assert!(p[0] > 200 && p[2].abs_diff(120) < 12, "{p:?}");
        }
        // Other formats are always decoded whole.
        let png = encode(&img, ImageFormat::Png);
        let l = open_bytes(Cow::Borrowed(&png), 100.0)
            .expect("opens")
            .decode(4.0)
            .expect("decodes");
        assert_eq!(l.rgb.dimensions(), (130, 66));
    }

    #[test]
    fn file_size_cap_saturates_instead_of_wrapping() {
        assert_eq!(file_size_cap(100.0), 800_000_000 + (16 << 20));
        for mp in [3e12, 1e300, f64::INFINITY, f64::MAX] {
            assert_eq!(file_size_cap(mp), u64::MAX, "{mp}");
        }
        assert!(file_size_cap(2.3e12) > 19_000_000);
    }

    #[test]
    fn refuses_before_decoding_when_too_large() {
        let img = DynamicImage::ImageRgb8(RgbImage::new(2000, 1000));
        let bytes = encode(&img, ImageFormat::Png);
        let err = load_image_bytes(&bytes, 1.0).expect_err("2 MP > 1 MP");
        assert!(err.message.contains("above the limit"), "{}", err.message);
        assert_eq!(err.size, Some((2000, 1000)));
    }

    #[test]
    fn truncated_and_garbage_data_are_errors_not_panics() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 77])
        }));
        for f in SUPPORTED {
            let bytes = encode(&img, *f);
            assert!(load_image_bytes(&bytes, 100.0).is_ok(), "{f:?} whole");
            for cut in [8, bytes.len() / 3, bytes.len() - 5] {
                let err =
                    load_image_bytes(&bytes[..cut], 100.0).expect_err("a cut file is an error");
                assert!(!err.message.is_empty(), "{f:?} cut at {cut}");
            }
        }
        assert!(load_image_bytes(b"hello, world", 100.0).is_err());
        assert!(load_image_bytes(&[], 100.0).is_err());
    }
}
