//! Output stage: writes reports as a table, one JSON document, JSON lines or CSV, streamed image by image.
//!
//! Streaming keeps memory flat for folders of any size: the document's head is written first, each image as
//! soon as it (and every image before it) is done, and the batch totals last. Output to a file goes through
//! [`AtomicOutput`], so an interrupted run never leaves half a file behind.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::cli::Format;
use crate::report::{
    BatchSummary, ImageReport, ScaleSource, Settings, Status, ToolInfo, NOTICE, SCHEMA_VERSION,
};

/// Where `-o` (or any file the tool writes) goes: standard output, a temporary file that
/// [`AtomicOutput::commit`] renames onto a regular file, or a special file (device, FIFO, socket) written
/// into directly.
///
/// A regular file, or a symlink to one, is replaced atomically: the temporary file is made in the *target's*
/// real folder (so the rename stays on one file system) and renamed onto the target, so the link is kept and
/// the file it points to is written. A device or FIFO is not replaced by a file: `-o /dev/stdout`, `-o
/// /dev/null` or `-o >(gzip)` are written into, as a shell's `>` would. A folder is refused at once.
pub enum AtomicOutput {
    /// Writing to standard output.
    Stdout(BufWriter<io::Stdout>),
    /// Writing to a temporary file that becomes the target (the resolved path) on commit; registered for
    /// removal on SIGINT/SIGTERM while it lives.
    File(BufWriter<tempfile::NamedTempFile>, PathBuf, LiveTemp),
    /// Writing straight into a special file (device, FIFO, socket).
    Special(BufWriter<std::fs::File>, PathBuf),
}

/// What `-o PATH` names, once symlinks are followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// A regular file (existing or to be created) at this real path; its mode, when it exists.
    Regular(PathBuf, Option<u32>),
    /// A device, FIFO or socket at this path.
    Special(PathBuf),
}

/// Resolves `-o PATH`: follows symlinks (also dangling ones, whose target is created) and refuses folders.
///
/// Errors are [`crate::batch::UsageError`]s: they are found before any work is done.
pub fn resolve_output(path: &Path) -> anyhow::Result<OutputTarget> {
    resolve_output_for("-o", path)
}

/// [`resolve_output`] for the file of another option (`--html`), named in the messages.
pub fn resolve_output_for(flag: &str, path: &Path) -> anyhow::Result<OutputTarget> {
    use crate::batch::UsageError;
    let shown = format!("{flag} {}", path.display());
    let folder = || {
        UsageError(format!(
            "{shown}: is a folder; give the name of a file to write"
        ))
    };
    if path.as_os_str().is_empty() {
        return Err(UsageError(format!("{flag}: the file name is empty")).into());
    }
    let text = path.as_os_str().to_string_lossy();
    if text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) {
        return Err(folder().into());
    }
    // Follow the chain of links by hand, so that a dangling link resolves to the file it would create.
    let mut real = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&real) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&real)
                    .map_err(|e| UsageError(format!("{shown}: cannot read the link: {e}")))?;
                real = match real.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            Ok(m) if m.is_dir() => return Err(folder().into()),
            Ok(m) if m.is_file() => return Ok(OutputTarget::Regular(real, Some(file_mode(&m)))),
            Ok(_) => return Ok(OutputTarget::Special(real)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(OutputTarget::Regular(real, None))
            }
            Err(e) => return Err(UsageError(format!("{shown}: {e}")).into()),
        }
    }
    Err(UsageError(format!("{shown}: too many levels of symbolic links")).into())
}

#[cfg(unix)]
fn file_mode(m: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn file_mode(_: &std::fs::Metadata) -> u32 {
    0o666
}

impl AtomicOutput {
    /// Opens stdout (`None`), a temporary file beside the real target, or the special file named.
    ///
    /// Call it before the work starts: a folder or an unwritable place is refused here, not after the batch.
    pub fn create(target: Option<&Path>) -> anyhow::Result<Self> {
        Self::create_for("-o", target)
    }

    /// [`AtomicOutput::create`] for the file of another option (`--html`), named in the messages.
    pub fn create_for(flag: &str, target: Option<&Path>) -> anyhow::Result<Self> {
        use anyhow::Context;
        let Some(p) = target else {
            return Ok(AtomicOutput::Stdout(BufWriter::new(io::stdout())));
        };
        match resolve_output_for(flag, p)? {
            OutputTarget::Special(real) => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&real)
                    .map_err(|e| {
                        crate::batch::UsageError(format!("cannot open {}: {e}", p.display()))
                    })?;
                Ok(AtomicOutput::Special(BufWriter::new(f), real))
            }
            OutputTarget::Regular(real, mode) => {
                let dir = match real.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let mut builder = tempfile::Builder::new();
                builder.prefix(".scarscope-").suffix(".tmp");
                // tempfile makes private (0600) files; a replaced file keeps its mode, and a new one gets the
                // mode any new file gets (0666 less the umask), which is what `open` applies to the mode asked.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(std::fs::Permissions::from_mode(mode.unwrap_or(0o666)));
                }
                #[cfg(not(unix))]
                let _ = mode;
                let tmp = builder.tempfile_in(&dir).with_context(|| {
                    format!("cannot create a temporary file in {}", dir.display())
                })?;
                let live = LiveTemp::register(tmp.path());
                Ok(AtomicOutput::File(BufWriter::new(tmp), real, live))
            }
        }
    }

    /// Opens `path` to append to (created if missing), for `--resume`: what is written goes straight into
    /// the file, so that an interrupted run leaves the lines it finished for the next run to keep.
    pub fn appending(path: &Path) -> anyhow::Result<Self> {
        let f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| {
                crate::batch::UsageError(format!("cannot open {}: {e}", path.display()))
            })?;
        Ok(AtomicOutput::Special(BufWriter::new(f), path.to_path_buf()))
    }

    /// Flushes and, for a file, renames the temporary file onto the target.
    pub fn commit(self) -> anyhow::Result<()> {
        use anyhow::Context;
        match self {
            AtomicOutput::Stdout(mut w) => Ok(w.flush()?),
            AtomicOutput::Special(mut w, target) => w
                .flush()
                .with_context(|| format!("cannot write {}", target.display())),
            AtomicOutput::File(w, target, _live) => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .context("cannot write output")?;
                tmp.as_file().sync_all().context("cannot write output")?;
                tmp.persist(&target)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                Ok(())
            }
        }
    }
}

/// Temporary output files alive now, removed by [`remove_live_temps`] when the run is interrupted.
static LIVE_TEMPS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A temporary file's place in `LIVE_TEMPS`, given up when dropped (after the rename, or with the file).
pub struct LiveTemp(PathBuf);

impl LiveTemp {
    fn register(path: &Path) -> Self {
        if let Ok(mut live) = LIVE_TEMPS.lock() {
            live.push(path.to_path_buf());
        }
        LiveTemp(path.to_path_buf())
    }
}

impl Drop for LiveTemp {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE_TEMPS.lock() {
            if let Some(i) = live.iter().position(|p| *p == self.0) {
                live.swap_remove(i);
            }
        }
    }
}

/// Removes every temporary output file still alive; called on SIGINT/SIGTERM just before the process exits.
pub fn remove_live_temps() {
    let live = match LIVE_TEMPS.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    for p in live.iter() {
        let _ = std::fs::remove_file(p);
    }
}

impl Write for AtomicOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            AtomicOutput::Stdout(w) => w.write(buf),
            AtomicOutput::File(w, _, _) => w.write(buf),
            AtomicOutput::Special(w, _) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            AtomicOutput::Stdout(w) => w.flush(),
            AtomicOutput::File(w, _, _) => w.flush(),
            AtomicOutput::Special(w, _) => w.flush(),
        }
    }
}

/// Writes bytes to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut out = AtomicOutput::create(Some(path))?;
    out.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.commit()
}

/// Writes a stream of image reports in one format: [`begin`](Self::begin), [`image`](Self::image) per image in
/// order, then [`end`](Self::end).
pub struct ReportWriter<W: Write> {
    out: W,
    format: Format,
    first: bool,
    /// Whether CSV begins with a UTF-8 byte-order mark.
    bom: bool,
    /// The table's "cannot tell from a photo" items, gathered over the images (first-seen order, no repeats)
    /// and printed once at the end: they are the same questions for every photo.
    cannot_assess: Vec<String>,
}

impl<W: Write> ReportWriter<W> {
    /// A writer of `format` into `out`.
    pub fn new(out: W, format: Format) -> Self {
        ReportWriter {
            out,
            format,
            first: true,
            bom: false,
            cannot_assess: Vec::new(),
        }
    }

    /// Begins CSV with a UTF-8 byte-order mark (`--csv-bom`), without which Excel reads the file in the
    /// system's legacy code page and garbles accented file names.
    pub fn with_bom(mut self, bom: bool) -> Self {
        self.bom = bom;
        self
    }

    /// Writes what comes before the first image (the JSON head, the CSV header).
    pub fn begin(&mut self, settings: &Settings) -> io::Result<()> {
        match self.format {
            Format::Json => {
                let tool = serde_json::to_string_pretty(&ToolInfo::current())?;
                let settings = serde_json::to_string_pretty(settings)?;
                write!(
                    self.out,
                    "{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"tool\": {},\n  \"settings\": {},\n  \"images\": [",
                    indent(&tool, 2),
                    indent(&settings, 2)
                )
            }
            Format::Csv => {
                if self.bom {
                    self.out.write_all(UTF8_BOM)?;
                }
                writeln!(self.out, "{}", CSV_COLUMNS.join(","))
            }
            Format::Jsonl | Format::Table => Ok(()),
        }
    }

    /// Writes one image.
    pub fn image(&mut self, img: &ImageReport) -> io::Result<()> {
        let first = std::mem::replace(&mut self.first, false);
        match self.format {
            Format::Json => {
                let body = serde_json::to_string_pretty(img)?;
                write!(
                    self.out,
                    "{}\n    {}",
                    if first { "" } else { "," },
                    indent(&body, 4)
                )
            }
            Format::Jsonl => {
                serde_json::to_writer(&mut self.out, img)?;
                self.out.write_all(b"\n")
            }
            Format::Csv => write_csv_rows(&mut self.out, img),
            Format::Table => {
                for item in img.microneedling.iter().flat_map(|m| &m.cannot_assess) {
                    if !self.cannot_assess.contains(item) {
                        self.cannot_assess.push(item.clone());
                    }
                }
                write_table_block(&mut self.out, img, first)
            }
        }
    }

    /// Flushes what was written so far (to show a table's rows before a progress bar is drawn again).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Writes what comes after the last image (the JSON tail with the batch totals, the table's totals line).
    pub fn end(&mut self, batch: &BatchSummary) -> io::Result<()> {
        match self.format {
            Format::Json => {
                let b = serde_json::to_string_pretty(batch)?;
                let close = if self.first { "]" } else { "\n  ]" };
                writeln!(self.out, "{close},\n  \"batch\": {}\n}}", indent(&b, 2))
            }
            Format::Table => {
                let skipped = if batch.skipped_non_image > 0 {
                    format!(", {} non-image files skipped", batch.skipped_non_image)
                } else {
                    String::new()
                };
                // A blank line sets the batch's lines apart from the last image's block.
                writeln!(
                    self.out,
                    "{}{} images: {} analysed, {} failed{skipped}",
                    if self.first { "" } else { "\n" },
                    batch.images,
                    batch.ok,
                    batch.failed
                )?;
                if !self.cannot_assess.is_empty() {
                    writeln!(
                        self.out,
                        "cannot tell from a photo (ask): {}",
                        self.cannot_assess.join("; ")
                    )?;
                }
                writeln!(self.out, "\n{NOTICE}")
            }
            Format::Jsonl | Format::Csv => Ok(()),
        }
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Indents every line after the first by `n` spaces (JSON strings never hold raw newlines, so this is safe).
fn indent(s: &str, n: usize) -> String {
    s.replace('\n', &format!("\n{}", " ".repeat(n)))
}

/// CSV columns: image fields (on every row, so a spreadsheet can filter regions by the image's verdict,
/// family, quality and light), then region fields (empty for an image without regions).
pub const CSV_COLUMNS: &[&str] = &[
    "path",
    "status",
    "error",
    "width",
    "height",
    "px_per_mm",
    "scale_source",
    "dominant",
    "dominant_subtype",
    "active_inflammation",
    "verdict",
    "family",
    "family_confidence",
    "usable",
    "skin_fraction",
    "light_azimuth_deg",
    "light_confidence",
    "region_id",
    "center_x",
    "center_y",
    "bbox_x",
    "bbox_y",
    "bbox_w",
    "bbox_h",
    "area_px",
    "diameter_px",
    "diameter_mm",
    "class",
    "subtype",
    "confidence",
    "relief",
    "depth_proxy",
];

/// The UTF-8 byte-order mark written before CSV with `--csv-bom`.
pub const UTF8_BOM: &[u8] = "\u{FEFF}".as_bytes();

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
pub fn csv_field(s: &str) -> String {
    // A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, and tab or carriage return
    // before them) gets a leading apostrophe: the OWASP CSV-injection rule. Only text goes through here
    // (paths, ids, messages); numbers are written as they are.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn write_csv_rows(out: &mut impl Write, img: &ImageReport) -> io::Result<()> {
    let status = match img.status {
        Status::Ok => "ok",
        Status::Error => "error",
    };
    let summary = img.summary.as_ref();
    let head = [
        csv_field(&img.path),
        status.to_string(),
        csv_field(img.error.as_deref().unwrap_or("")),
        opt(img.width),
        opt(img.height),
        opt(img.px_per_mm),
        img.scale_source.as_str().to_string(),
        opt(summary.map(|s| s.dominant.as_str())),
        opt(summary.and_then(|s| s.dominant_subtype).map(|s| s.as_str())),
        opt(summary.map(|s| s.active_inflammation)),
        opt(img.microneedling.as_ref().map(|m| m.verdict.as_str())),
        // An uncertain family is an empty cell (JSON `null`), its confidence still given.
        opt(summary.and_then(|s| s.family).map(|f| f.as_str())),
        opt(summary.map(|s| s.family_confidence)),
        opt(img.quality.as_ref().map(|q| q.usable)),
        opt(img.quality.as_ref().map(|q| q.skin_fraction)),
        opt(img.lighting.as_ref().and_then(|l| l.azimuth_deg)),
        opt(img.lighting.as_ref().map(|l| l.confidence)),
    ];
    let image_columns = head.len();
    let head = head.join(",");
    if img.regions.is_empty() {
        return writeln!(
            out,
            "{head}{}",
            ",".repeat(CSV_COLUMNS.len() - image_columns)
        );
    }
    for r in &img.regions {
        writeln!(
            out,
            "{head},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.id,
            r.center[0],
            r.center[1],
            r.bbox[0],
            r.bbox[1],
            r.bbox[2],
            r.bbox[3],
            r.area_px,
            r.diameter_px,
            opt(r.diameter_mm),
            r.class.as_str(),
            r.subtype.as_str(),
            r.confidence,
            r.relief.as_str(),
            r.depth_proxy
        )?;
    }
    Ok(())
}

/// A text for one line of the table: control characters (a newline in a file name) become escapes (`\n`,
/// `\x1B`), so a name cannot break the table's lines.
pub fn one_line_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut t = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => t.push_str("\\n"),
            '\r' => t.push_str("\\r"),
            '\t' => t.push_str("\\t"),
            c if c.is_control() => t.push_str(&format!("\\x{:02X}", c as u32)),
            c => t.push(c),
        }
    }
    std::borrow::Cow::Owned(t)
}

fn write_table_block(out: &mut impl Write, img: &ImageReport, first: bool) -> io::Result<()> {
    if !first {
        writeln!(out)?;
    }
    let size = match (img.width, img.height) {
        (Some(w), Some(h)) => format!("{w}×{h}"),
        _ => "?".into(),
    };
    if img.status == Status::Error {
        return writeln!(
            out,
            "{}  {size}  ERROR: {}",
            one_line_text(&img.path),
            img.error.as_deref().unwrap_or("failed")
        );
    }
    let scale = match (img.px_per_mm, img.scale_source) {
        (Some(s), ScaleSource::Estimated) => format!("about {s:.2} px/mm (estimated from the eye)"),
        (Some(s), _) => format!("{s} px/mm"),
        (None, _) => "scale unknown".into(),
    };
    writeln!(out, "{}  {size}  {scale}", one_line_text(&img.path))?;
    if let Some(q) = &img.quality {
        let light = match img
            .lighting
            .as_ref()
            .and_then(|l| l.azimuth_deg.map(|a| (a, l.confidence)))
        {
            Some((a, c)) => format!("light from {a:.0}° (confidence {c:.2})"),
            None => "light direction unknown".into(),
        };
        let usable = if q.usable { "usable" } else { "NOT usable" };
        writeln!(
            out,
            "  skin {:.0}% · {light} · {usable}",
            q.skin_fraction * 100.0
        )?;
        for n in &q.notes {
            writeln!(out, "  note: {n}")?;
        }
    }
    if let Some(s) = &img.summary {
        let counts: Vec<String> = s
            .counts
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let counts = if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        };
        let dom = match s.dominant_subtype {
            Some(st) => format!("{} ({})", s.dominant.as_str(), st.as_str()),
            None => s.dominant.as_str().to_string(),
        };
        writeln!(
            out,
            "  picture: {} (confidence {:.2})",
            s.family.map_or("uncertain", |f| f.as_str()),
            s.family_confidence
        )?;
        writeln!(
            out,
            "  lesions: {counts} · dominant: {dom} · active acne: {}",
            if s.active_inflammation { "yes" } else { "no" }
        )?;
        let gbq = s
            .goodman_baron_qualitative
            .map(|g| g.to_string())
            .unwrap_or_else(|| "-".into());
        let gbn = s
            .goodman_baron_quantitative
            .map(|g| format!("{g:.0}"))
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "  Goodman & Baron (estimates): grade {gbq}, score {gbn}"
        )?;
    }
    if !img.regions.is_empty() {
        let header = [
            "id", "class", "subtype", "center", "diam px", "diam mm", "relief", "depth", "conf",
        ];
        let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
        for r in &img.regions {
            rows.push(vec![
                r.id.to_string(),
                r.class.as_str().to_string(),
                r.subtype.as_str().to_string(),
                format!("{:.0},{:.0}", r.center[0], r.center[1]),
                format!("{:.1}", r.diameter_px),
                r.diameter_mm
                    .map(|d| format!("{d:.1}"))
                    .unwrap_or_else(|| "-".into()),
                r.relief.as_str().to_string(),
                format!("{:.2}", r.depth_proxy),
                format!("{:.2}", r.confidence),
            ]);
        }
        write_columns(out, "  ", &rows, "><<>>><>>")?;
    }
    if let Some(m) = &img.microneedling {
        writeln!(out, "  microneedling: {}", m.verdict.as_str())?;
        for r in &m.reasons {
            writeln!(out, "    - {r}")?;
        }
    }
    Ok(())
}

/// Writes `rows` (the first is the header) as columns as wide as their widest cell, so that no value (a
/// `-128.13` where `-1.25` is usual) can push a row out of line. `align` has one character per column: `>`
/// right-aligns (numbers), anything else left-aligns (text). Columns are two spaces apart; no trailing
/// spaces.
pub fn write_columns(
    out: &mut impl Write,
    indent: &str,
    rows: &[Vec<String>],
    align: &str,
) -> io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let right: Vec<bool> = (0..columns)
        .map(|c| align.chars().nth(c) == Some('>'))
        .collect();
    for row in rows {
        let mut line = String::from(indent);
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[c].saturating_sub(cell.chars().count()));
            if right[c] {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("Box (13).jpg"), "Box (13).jpg");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-2+3.jpg"), "'-2+3.jpg");
        assert_eq!(csv_field("@x,y"), "\"'@x,y\"");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn columns_fit_their_widest_value() {
        let rows: Vec<Vec<String>> = [
            ["id", "relief", "depth"],
            ["1", "depressed", "-1.25"],
            ["12", "raised", "-128.13"],
        ]
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
        let mut out = Vec::new();
        write_columns(&mut out, "  ", &rows, "><>").expect("write");
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "  id  relief       depth");
        assert_eq!(lines[1], "   1  depressed    -1.25");
        assert_eq!(lines[2], "  12  raised     -128.13");
    }

    #[test]
    fn table_text_escapes_control_characters() {
        assert_eq!(one_line_text("Box (13).jpg"), "Box (13).jpg");
        assert_eq!(one_line_text("new\nline\r.jpg"), "new\\nline\\r.jpg");
        assert_eq!(one_line_text("esc\u{1b}[31m.jpg"), "esc\\x1B[31m.jpg");
    }

    #[test]
    fn json_stream_is_one_valid_document() {
        let settings = Settings {
            px_per_mm: None,
            max_megapixels: 100.0,
            profile: "default".into(),
            working_max_side: None,
        };
        let mut w = ReportWriter::new(Vec::new(), Format::Json);
        w.begin(&settings).expect("write");
        let mut batch = BatchSummary::default();
        for p in ["a.jpg", "b \"q\".png"] {
            let img = ImageReport::failed(p.into(), "bad\nthing".into(), None, None);
            batch.add(&img);
            w.image(&img).expect("write");
        }
        w.end(&batch).expect("write");
        let text = String::from_utf8(w.into_inner()).expect("utf8");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["images"][1]["path"], "b \"q\".png");
        assert_eq!(v["images"][0]["error"], "bad thing");
        assert_eq!(v["batch"]["failed"], 2);

        let mut w = ReportWriter::new(Vec::new(), Format::Json);
        w.begin(&settings).expect("write");
        w.end(&BatchSummary::default()).expect("write");
        let v: serde_json::Value =
            serde_json::from_slice(&w.into_inner()).expect("valid empty JSON");
        assert_eq!(v["images"].as_array().map(|a| a.len()), Some(0));
    }
}
