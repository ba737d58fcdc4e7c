//! Whether a JPEG's entropy-coded data covers the whole picture.
//!
//! The JPEG decoder does not fail when a scan's data runs out: it fills the missing blocks (grey, or the last
//! DC value repeated), so the first fifth of a photo with an end-of-image marker appended, or a 633-byte file
//! whose header declares 9500×9500, decode "fine". Neither the file's size nor the pixels can tell such a
//! file from a whole one reliably (a flat grey or black bottom is a legitimate picture, and a well-compressed
//! flat area costs almost no bytes), so this module answers the question where it is defined: it walks every
//! scan's Huffman-coded data exactly as a decoder would, without dequantising or transforming anything, and
//! counts the MCUs (the 8×8 or 16×16 block groups) the data actually holds.
//!
//! - Baseline and extended sequential (SOF0/SOF1) and progressive (SOF2) Huffman JPEGs are walked: DC and AC
//!   coefficients of sequential scans; DC first/refinement and AC first/refinement scans of progressive ones
//!   (AC refinement needs to know which coefficients earlier scans made non-zero, kept as one bit each).
//! - Restart intervals (DRI, RSTn markers) are followed.
//! - A scan whose data ends (the next marker, or the end of the file, comes before its last MCU) at MCU row
//!   N of the frame's M rows, with N < M − 1, makes the JPEG incomplete. Data ending inside the last MCU row is
//!   tolerated: some encoders and cameras leave the last few bits short, and that costs at most the last row.
//! - Every coefficient of every component must have been sent, down to its last bit (successive
//!   approximation bit 0): a file that ends between two scans (a sequential file before its last component's
//!   scan, a progressive one before its final passes, any file before its first scan) is incomplete too, with
//!   its data ending at row 0 of the pass that is missing (or at the last row of a scan that ran short there).
//! - Anything this walk does not understand (arithmetic coding, lossless or hierarchical frames, a code that
//!   is not in the table, a restart marker out of place, a missing table) is left to the decoder: the answer
//!   is then [`Completeness::Unknown`], never an error of its own, so no valid file is refused by this check.
//!
//! The walk costs about as much as reading the file once (no pixel is computed), and one bit per AC
//! coefficient of progressive files.

/// The answer of [`completeness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// Every scan's data reaches (at least) the last MCU row.
    Complete,
    /// A scan's data ends after `rows_done` complete MCU rows of the frame's `rows`.
    Incomplete {
        /// Complete MCU rows.
        rows_done: u32,
        /// MCU rows of the frame.
        rows: u32,
    },
    /// Not a JPEG this walk reads, or corrupt in a way the decoder should judge.
    Unknown,
}

/// Walks the JPEG in `b`. Frames above `max_pixels` are not walked ([`Completeness::Unknown`]): the decoder
/// refuses them on their size, and the walk's coefficient bits would cost memory first.
pub fn completeness(b: &[u8], max_pixels: f64) -> Completeness {
    walk(b, max_pixels).unwrap_or(Completeness::Unknown)
}

#[derive(Clone, Copy, Default)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
}

struct Frame {
    progressive: bool,
    width: usize,
    height: usize,
    comps: Vec<Component>,
    hmax: usize,
    vmax: usize,
    mcux: usize,
    mcuy: usize,
}

impl Frame {
    /// Blocks across and down of component `c` in a non-interleaved scan.
    fn blocks(&self, c: usize) -> (usize, usize) {
        let comp = self.comps[c];
        let cw = (self.width * comp.h).div_ceil(self.hmax);
        let ch = (self.height * comp.v).div_ceil(self.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    }
}

/// A canonical Huffman table (JPEG F.2.2.3): per code length, the largest code and where its values start.
#[derive(Clone)]
struct Huffman {
    maxcode: [i32; 17],
    valptr: [i32; 17],
    mincode: [i32; 17],
    values: Vec<u8>,
    /// Codes of at most [`LOOKUP_BITS`] bits by their first bits: `length << 8 | value`, 0 for longer codes.
    lookup: Vec<u16>,
}

/// Bits looked up at once (most JPEG codes are shorter).
const LOOKUP_BITS: u32 = 9;

impl Huffman {
    fn new(counts: &[u8; 16], values: Vec<u8>) -> Option<Huffman> {
        let mut h = Huffman {
            maxcode: [-1; 17],
            valptr: [0; 17],
            mincode: [0; 17],
            values,
            lookup: vec![0; 1 << LOOKUP_BITS],
        };
        let mut code = 0i32;
        let mut k = 0i32;
        for l in 1..=16 {
            let n = counts[l - 1] as i32;
            if n > 0 {
                h.valptr[l] = k;
                h.mincode[l] = code;
                code += n;
                k += n;
                h.maxcode[l] = code - 1;
            }
            if code > (1 << l) {
                return None;
            }
            code <<= 1;
        }
        if k as usize != h.values.len() {
            return None;
        }
        for l in 1..=LOOKUP_BITS as usize {
            if h.maxcode[l] < 0 {
                continue;
            }
            for code in h.mincode[l]..=h.maxcode[l] {
                let value = h.values[(h.valptr[l] + code - h.mincode[l]) as usize];
                let shift = LOOKUP_BITS as usize - l;
                let first = (code as usize) << shift;
                for e in &mut h.lookup[first..first + (1 << shift)] {
                    *e = ((l as u16) << 8) | value as u16;
                }
            }
        }
        Some(h)
    }
}

/// Why the walk of a scan stopped early.
enum Stop {
    /// The data ran out (a non-restart marker or the end of the file).
    Exhausted,
    /// Something the decoder should judge.
    Corrupt,
}

/// Reads the bits of one restart interval of entropy-coded data, removing byte stuffing.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    /// A marker (or the end of the data) was met at `pos`.
    at_marker: bool,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Bits {
            data,
            pos,
            acc: 0,
            n: 0,
            at_marker: false,
        }
    }

    fn fill(&mut self) {
        while self.n <= 56 && !self.at_marker {
            let Some(&byte) = self.data.get(self.pos) else {
                self.at_marker = true;
                break;
            };
            if byte == 0xFF {
                match self.data.get(self.pos + 1) {
                    Some(0x00) => self.pos += 2,
                    // A fill byte before a marker.
                    Some(0xFF) => {
                        self.pos += 1;
                        continue;
                    }
                    _ => {
                        self.at_marker = true;
                        break;
                    }
                }
            } else {
                self.pos += 1;
            }
            self.acc = (self.acc << 8) | byte as u64;
            self.n += 8;
        }
    }

    fn bits(&mut self, k: u32) -> Result<u32, Stop> {
        if k == 0 {
            return Ok(0);
        }
        if self.n < k {
            self.fill();
            if self.n < k {
                return Err(self.ran_out());
            }
        }
        self.n -= k;
        Ok(((self.acc >> self.n) & ((1u64 << k) - 1)) as u32)
    }

    /// Running out at a restart marker mid-interval is corruption; at any other marker or the end, truncation.
    fn ran_out(&self) -> Stop {
        let next = self.data.get(self.pos + 1).copied();
        match next {
            Some(0xD0..=0xD7) => Stop::Corrupt,
            _ => Stop::Exhausted,
        }
    }

    fn decode(&mut self, t: &Huffman) -> Result<u8, Stop> {
        if self.n < 16 {
            self.fill();
        }
        if self.n >= LOOKUP_BITS {
            let peek = (self.acc >> (self.n - LOOKUP_BITS)) as usize & ((1 << LOOKUP_BITS) - 1);
            let e = t.lookup[peek];
            if e != 0 {
                self.n -= u32::from(e >> 8);
                return Ok(e as u8);
            }
        }
        let mut code = 0i32;
        for l in 1..=16usize {
            code = (code << 1) | self.bits(1)? as i32;
            if code <= t.maxcode[l] {
                let i = (t.valptr[l] + code - t.mincode[l]) as usize;
                return t.values.get(i).copied().ok_or(Stop::Corrupt);
            }
        }
        Err(Stop::Corrupt)
    }

    /// Moves past the restart marker that must come next (after the padding of the current byte).
    fn restart(&mut self) -> Result<(), Stop> {
        self.fill();
        // Whole bytes still buffered mean the interval held more data than its MCUs: not a clean restart.
        if self.n >= 8 {
            return Err(Stop::Corrupt);
        }
        match (self.data.get(self.pos), self.data.get(self.pos + 1)) {
            (Some(0xFF), Some(0xD0..=0xD7)) => {
                *self = Bits::new(self.data, self.pos + 2);
                Ok(())
            }
            (Some(0xFF), Some(_)) | (None, _) => Err(Stop::Exhausted),
            _ => Err(Stop::Corrupt),
        }
    }

    /// Where the scan's data ends: the position of the first marker that is not a restart marker.
    fn scan_end(data: &[u8], mut pos: usize) -> usize {
        while pos + 1 < data.len() {
            if data[pos] == 0xFF {
                match data[pos + 1] {
                    0x00 | 0xD0..=0xD7 | 0xFF => pos += if data[pos + 1] == 0xFF { 1 } else { 2 },
                    _ => return pos,
                }
            } else {
                pos += 1;
            }
        }
        data.len()
    }
}

/// One scan's parameters.
struct Scan {
    comps: Vec<(usize, usize, usize)>, // (frame component, DC table, AC table)
    ss: usize,
    se: usize,
    ah: u32,
    al: u8,
}

fn walk(b: &[u8], max_pixels: f64) -> Option<Completeness> {
    if b.len() < 4 || b[0] != 0xFF || b[1] != 0xD8 {
        return None;
    }
    let mut dc: [Option<Huffman>; 4] = Default::default();
    let mut ac: [Option<Huffman>; 4] = Default::default();
    let mut frame: Option<Frame> = None;
    let mut restart_interval = 0usize;
    // Non-zero AC coefficients (bit k of a block's word) per component, for progressive refinement scans.
    let mut nonzero: Vec<Vec<u64>> = Vec::new();
    // Per component and coefficient (zig-zag order), the lowest successive-approximation bit received: a
    // whole picture has every coefficient of every component down to bit 0.
    let mut coverage: Vec<[u8; 64]> = Vec::new();
    // The frame rows reached by a scan that ran out inside the last MCU row (tolerated), if one did.
    let mut short_scan_rows: Option<usize> = None;
    let mut i = 2;
    loop {
        // Skip fill bytes, then read a marker.
        while i + 1 < b.len() && b[i] == 0xFF && b[i + 1] == 0xFF {
            i += 1;
        }
        if i + 1 >= b.len() || b[i] != 0xFF {
            break;
        }
        let marker = b[i + 1];
        if marker == 0xD9 {
            break;
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        if i + 4 > b.len() {
            break;
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if len < 2 || i + 2 + len > b.len() {
            break;
        }
        let seg = &b[i + 4..i + 2 + len];
        match marker {
            0xC0..=0xC2 => frame = Some(read_frame(seg, marker == 0xC2, max_pixels)?),
            // Lossless, hierarchical or arithmetic-coded frames: the decoder's business.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => read_dht(seg, &mut dc, &mut ac)?,
            0xDD => restart_interval = u16::from_be_bytes([*seg.first()?, *seg.get(1)?]) as usize,
            0xDA => {
                let f = frame.as_ref()?;
                let scan = read_scan(seg, f)?;
                if coverage.len() != f.comps.len() {
                    coverage = vec![[u8::MAX; 64]; f.comps.len()];
                }
                let start = i + 2 + len;
                let end = Bits::scan_end(b, start);
                if f.progressive && scan.ss > 0 {
                    // Allocated when a component's first AC scan starts, so a file cut earlier costs nothing.
                    nonzero.resize(f.comps.len(), Vec::new());
                    let c = scan.comps[0].0;
                    if nonzero[c].is_empty() {
                        nonzero[c] = vec![0u64; f.mcux * f.comps[c].h * f.mcuy * f.comps[c].v];
                    }
                }
                match walk_scan(b, start, f, &scan, &dc, &ac, restart_interval, &mut nonzero) {
                    Ok(()) => {}
                    Err((Stop::Exhausted, rows_done)) => {
                        if rows_done + 1 < f.mcuy {
                            return Some(Completeness::Incomplete {
                                rows_done: rows_done as u32,
                                rows: f.mcuy as u32,
                            });
                        }
                        short_scan_rows = Some(rows_done);
                    }
                    Err((Stop::Corrupt, _)) => return None,
                }
                for &(c, _, _) in &scan.comps {
                    for al in &mut coverage[c][scan.ss..=scan.se] {
                        *al = (*al).min(scan.al);
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 2 + len;
    }
    let f = frame?;
    // A scan missing altogether (the file ends between two scans, or before the first): the picture lacks a
    // component or, in a progressive file, the passes that complete it.
    let whole =
        coverage.len() == f.comps.len() && coverage.iter().all(|c| c.iter().all(|&al| al == 0));
    if !whole {
        return Some(Completeness::Incomplete {
            rows_done: short_scan_rows.unwrap_or(0) as u32,
            rows: f.mcuy as u32,
        });
    }
    Some(Completeness::Complete)
}

fn read_frame(seg: &[u8], progressive: bool, max_pixels: f64) -> Option<Frame> {
    if *seg.first()? != 8 {
        return None; // 12-bit samples: the decoder's business
    }
    let height = u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]) as usize;
    let width = u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]) as usize;
    let n = *seg.get(5)? as usize;
    if width == 0 || height == 0 || n == 0 || (width as f64 * height as f64) > max_pixels {
        return None;
    }
    let mut comps = Vec::with_capacity(n);
    for c in 0..n {
        let at = 6 + 3 * c;
        let hv = *seg.get(at + 1)?;
        let (h, v) = ((hv >> 4) as usize, (hv & 15) as usize);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return None;
        }
        comps.push(Component {
            id: *seg.get(at)?,
            h,
            v,
        });
    }
    let hmax = comps.iter().map(|c| c.h).max()?;
    let vmax = comps.iter().map(|c| c.v).max()?;
    Some(Frame {
        progressive,
        width,
        height,
        mcux: width.div_ceil(8 * hmax),
        mcuy: height.div_ceil(8 * vmax),
        comps,
        hmax,
        vmax,
    })
}

fn read_dht(
    mut seg: &[u8],
    dc: &mut [Option<Huffman>; 4],
    ac: &mut [Option<Huffman>; 4],
) -> Option<()> {
    while !seg.is_empty() {
        let tc_th = seg[0];
        let counts: [u8; 16] = seg.get(1..17)?.try_into().ok()?;
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let values = seg.get(17..17 + total)?.to_vec();
        let table = Huffman::new(&counts, values)?;
        let slot = (tc_th & 15) as usize;
        match tc_th >> 4 {
            0 => *dc.get_mut(slot)? = Some(table),
            1 => *ac.get_mut(slot)? = Some(table),
            _ => return None,
        }
        seg = &seg[17 + total..];
    }
    Some(())
}

fn read_scan(seg: &[u8], f: &Frame) -> Option<Scan> {
    let n = *seg.first()? as usize;
    let mut comps = Vec::with_capacity(n);
    for k in 0..n {
        let id = *seg.get(1 + 2 * k)?;
        let t = *seg.get(2 + 2 * k)?;
        let c = f.comps.iter().position(|c| c.id == id)?;
        comps.push((c, (t >> 4) as usize, (t & 15) as usize));
    }
    let at = 1 + 2 * n;
    let (ss, se, a) = (
        *seg.get(at)? as usize,
        *seg.get(at + 1)? as usize,
        *seg.get(at + 2)?,
    );
    if n == 0 || se > 63 || ss > se || (ss > 0 && n != 1) {
        return None;
    }
    if !f.progressive && (ss != 0 || se != 63) {
        return None;
    }
    Some(Scan {
        comps,
        ss,
        se,
        ah: (a >> 4) as u32,
        al: a & 15,
    })
}

/// Walks one scan; on a stop, returns it with the frame's complete MCU rows at that point.
#[allow(clippy::too_many_arguments)]
fn walk_scan(
    b: &[u8],
    start: usize,
    f: &Frame,
    scan: &Scan,
    dc: &[Option<Huffman>; 4],
    ac: &[Option<Huffman>; 4],
    restart_interval: usize,
    nonzero: &mut [Vec<u64>],
) -> Result<(), (Stop, usize)> {
    let table = |set: &[Option<Huffman>; 4], i: usize| get(set, i).is_ok();
    let needs_dc = scan.ss == 0 && scan.ah == 0;
    let needs_ac = scan.se > 0;
    for &(_, td, ta) in &scan.comps {
        if (needs_dc && !table(dc, td)) || (needs_ac && !table(ac, ta)) {
            return Err((Stop::Corrupt, 0));
        }
    }
    let mut bits = Bits::new(b, start);
    let mut eobrun = 0u32;
    // MCUs of the scan and the frame rows one MCU row of the scan stands for.
    let (units, per_row, rows_per_scan_row) = if scan.comps.len() == 1 {
        let c = scan.comps[0].0;
        let (bw, bh) = f.blocks(c);
        (bw * bh, bw, f.comps[c].v)
    } else {
        (f.mcux * f.mcuy, f.mcux, 1)
    };
    let rows_done = |m: usize| m / per_row.max(1) / rows_per_scan_row.max(1);
    for m in 0..units {
        if restart_interval > 0 && m > 0 && m % restart_interval == 0 {
            bits.restart().map_err(|s| (s, rows_done(m)))?;
            eobrun = 0;
        }
        let r = if scan.comps.len() == 1 {
            let (c, td, ta) = scan.comps[0];
            let (bw, _) = f.blocks(c);
            let stride = f.mcux * f.comps[c].h;
            let block = (m / bw) * stride + m % bw;
            walk_block(
                &mut bits,
                f,
                scan,
                dc,
                ac,
                td,
                ta,
                c,
                block,
                &mut eobrun,
                nonzero,
            )
        } else {
            let (mx, my) = (m % f.mcux, m / f.mcux);
            let mut r = Ok(());
            'mcu: for &(c, td, ta) in &scan.comps {
                let comp = f.comps[c];
                let stride = f.mcux * comp.h;
                for y in 0..comp.v {
                    for x in 0..comp.h {
                        let block = (my * comp.v + y) * stride + mx * comp.h + x;
                        r = walk_block(
                            &mut bits,
                            f,
                            scan,
                            dc,
                            ac,
                            td,
                            ta,
                            c,
                            block,
                            &mut eobrun,
                            nonzero,
                        );
                        if r.is_err() {
                            break 'mcu;
                        }
                    }
                }
            }
            r
        };
        r.map_err(|s| (s, rows_done(m)))?;
    }
    Ok(())
}

/// Walks one block's coefficients of the scan's spectral band.
fn get(set: &[Option<Huffman>; 4], i: usize) -> Result<&Huffman, Stop> {
    set.get(i).and_then(|t| t.as_ref()).ok_or(Stop::Corrupt)
}

#[allow(clippy::too_many_arguments)]
fn walk_block(
    bits: &mut Bits,
    f: &Frame,
    scan: &Scan,
    dc: &[Option<Huffman>; 4],
    ac: &[Option<Huffman>; 4],
    td: usize,
    ta: usize,
    c: usize,
    block: usize,
    eobrun: &mut u32,
    nonzero: &mut [Vec<u64>],
) -> Result<(), Stop> {
    if !f.progressive {
        // Sequential: DC, then AC 1..63.
        let s = bits.decode(get(dc, td)?)?;
        bits.bits(u32::from(s & 15))?;
        let t = get(ac, ta)?;
        let mut k = 1;
        while k < 64 {
            let rs = bits.decode(t)?;
            let (r, s) = ((rs >> 4) as usize, u32::from(rs & 15));
            if s == 0 {
                if r != 15 {
                    break;
                }
                k += 16;
            } else {
                k += r;
                bits.bits(s)?;
                k += 1;
            }
        }
        return Ok(());
    }
    if scan.ss == 0 {
        // Progressive DC: first scan reads a difference, refinement one bit.
        if scan.ah == 0 {
            let s = bits.decode(get(dc, td)?)?;
            bits.bits(u32::from(s & 15))?;
        } else {
            bits.bits(1)?;
        }
        return Ok(());
    }
    let word = nonzero
        .get_mut(c)
        .and_then(|v| v.get_mut(block))
        .ok_or(Stop::Corrupt)?;
    let t = get(ac, ta)?;
    if scan.ah == 0 {
        // AC first scan (G.1.2.2).
        if *eobrun > 0 {
            *eobrun -= 1;
            return Ok(());
        }
        let mut k = scan.ss;
        while k <= scan.se {
            let rs = bits.decode(t)?;
            let (r, s) = ((rs >> 4) as u32, u32::from(rs & 15));
            if s == 0 {
                if r < 15 {
                    *eobrun = (1 << r) - 1 + bits.bits(r)?;
                    break;
                }
                k += 16;
            } else {
                k += r as usize;
                bits.bits(s)?;
                if k < 64 {
                    *word |= 1 << k;
                }
                k += 1;
            }
        }
        return Ok(());
    }
    // AC refinement scan (G.1.2.3), as libjpeg's decode_mcu_AC_refine.
    let mut k = scan.ss;
    if *eobrun == 0 {
        while k <= scan.se {
            let rs = bits.decode(t)?;
            let (mut r, s) = ((rs >> 4) as i32, u32::from(rs & 15));
            if s != 0 {
                bits.bits(1)?;
            } else if r != 15 {
                *eobrun = (1 << r) + bits.bits(r as u32)?;
                break;
            }
            while k <= scan.se {
                if *word & (1 << k) != 0 {
                    bits.bits(1)?;
                } else {
                    r -= 1;
                    if r < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if s != 0 && k < 64 {
                *word |= 1 << k;
            }
            k += 1;
        }
    }
    if *eobrun > 0 {
        while k <= scan.se {
            if *word & (1 << k) != 0 {
                bits.bits(1)?;
            }
            k += 1;
        }
        *eobrun -= 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageFormat, RgbImage};

    fn photo(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                ((x * y) % 253) as u8,
                (y * 3 % 256) as u8,
            ])
        }))
    }

    fn jpeg(img: &DynamicImage) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, ImageFormat::Jpeg).expect("encode");
        buf.into_inner()
    }

    #[test]
    fn whole_jpegs_are_complete() {
        for (w, h) in [(1, 1), (7, 5), (64, 48), (333, 257)] {
            let bytes = jpeg(&photo(w, h));
            assert_eq!(completeness(&bytes, 1e8), Completeness::Complete, "{w}x{h}");
            let grey = jpeg(&DynamicImage::ImageLuma8(photo(w, h).to_luma8()));
            assert_eq!(
                completeness(&grey, 1e8),
                Completeness::Complete,
                "grey {w}x{h}"
            );
        }
    }

    #[test]
    fn a_cut_jpeg_with_its_end_marker_put_back_is_incomplete() {
        let bytes = jpeg(&photo(320, 240));
        let mut cut = bytes[..bytes.len() / 5].to_vec();
        cut.extend_from_slice(&[0xFF, 0xD9]);
        match completeness(&cut, 1e8) {
            Completeness::Incomplete { rows_done, rows } => {
                assert_eq!(rows, 30, "the encoder does not subsample: 8-px MCU rows");
                assert!(rows_done < 12, "{rows_done}");
            }
            other => panic!("{other:?}"),
        }
    }
}
