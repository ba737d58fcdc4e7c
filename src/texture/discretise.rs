//! Grey-level discretisation of an 8-bit image over a region of interest, as defined by IBSI
//! (Zwanenburg et al., IBSI reference manual, section 2.7 "Intensity discretisation").
//!
//! Discretised levels count from 1 (IBSI). Internally each pixel is stored as the 0-based index
//! `level - 1`; pixels outside the mask are stored as the sentinel index `Ng`, so the GLCM counting
//! loop needs no branch for the mask (pairs touching the sentinel land in a row/column that is
//! dropped afterwards).
//!
//! ```
//! use scarscope::texture::discretise::{Discretisation, Quantised};
//! let img = image::GrayImage::from_raw(4, 1, vec![10, 20, 30, 40]).unwrap();
//! // FBN with 2 bins over the ROI range 10..=40: floor(2*(x-10)/30)+1, and x = max -> Ng.
//! let q = Quantised::new(&img, None, Discretisation::FixedBinNumber(2)).unwrap();
//! assert_eq!(q.levels(), vec![Some(1), Some(1), Some(2), Some(2)]);
//! // FBW with width 15 from the ROI minimum: floor((x-10)/15)+1.
//! let q = Quantised::new(&img, None, Discretisation::FixedBinWidth(15.0)).unwrap();
//! assert_eq!(q.levels(), vec![Some(1), Some(1), Some(2), Some(3)]);
//! assert_eq!(q.ng(), 3);
//! // No discretisation: level = grey + 1, Ng = 256.
//! let q = Quantised::new(&img, None, Discretisation::None).unwrap();
//! assert_eq!(q.levels()[0], Some(11));
//! ```

use image::GrayImage;

/// How grey values are mapped to discrete levels 1..=Ng.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "method", content = "value")]
pub enum Discretisation {
    /// No discretisation: level = grey value + 1, Ng = 256 (all levels an 8-bit image can take,
    /// so normalised features are comparable between regions).
    None,
    /// IBSI fixed bin number: `floor(Ng·(x − min)/(max − min)) + 1`, and `Ng` for `x = max`;
    /// min/max over the ROI. A constant ROI maps to level 1.
    FixedBinNumber(u16),
    /// IBSI fixed bin width `w` (≥ 1 grey value): `floor((x − min)/w) + 1` with `min` the ROI
    /// minimum (no re-segmentation range exists for 8-bit photos); Ng = level of the ROI maximum.
    FixedBinWidth(f64),
}

/// Errors from discretisation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscretiseError {
    /// The number of bins must be in 1..=256.
    #[error("number of bins must be between 1 and 256, got {0}")]
    BadBinNumber(u16),
    /// The bin width must be finite and at least 1 grey value.
    #[error("bin width must be a finite number >= 1, got {0}")]
    BadBinWidth(f64),
    /// Mask and image sizes differ.
    #[error("mask is {mw}x{mh} but the image is {iw}x{ih}")]
    MaskSize {
        /// mask width
        mw: u32,
        /// mask height
        mh: u32,
        /// image width
        iw: u32,
        /// image height
        ih: u32,
    },
    /// Level data length does not match width × height, or a level is outside 1..=Ng.
    #[error("invalid level data: {0}")]
    BadLevels(String),
}

/// Per-pixel 0-based level indices; `ng` marks pixels outside the mask.
#[derive(Debug, Clone)]
pub(crate) enum Codes {
    /// Used when Ng + 1 sentinel fits in a byte (Ng ≤ 255).
    U8(Vec<u8>),
    /// Used for Ng = 256 (no discretisation of 8-bit data).
    U16(Vec<u16>),
}

/// A discretised image: level indices plus the mask folded in as a sentinel.
#[derive(Debug, Clone)]
pub struct Quantised {
    width: usize,
    height: usize,
    ng: usize,
    inside: usize,
    pub(crate) codes: Codes,
}

/// Returns true if mask pixel is inside (nonzero), or if there is no mask.
#[inline]
fn inside(mask: Option<&GrayImage>, i: usize) -> bool {
    mask.is_none_or(|m| m.as_raw()[i] != 0)
}

impl Quantised {
    /// Discretises `gray` over the ROI `mask` (nonzero = inside; `None` = whole image).
    pub fn new(
        gray: &GrayImage,
        mask: Option<&GrayImage>,
        method: Discretisation,
    ) -> Result<Self, DiscretiseError> {
        if let Some(m) = mask {
            if m.dimensions() != gray.dimensions() {
                return Err(DiscretiseError::MaskSize {
                    mw: m.width(),
                    mh: m.height(),
                    iw: gray.width(),
                    ih: gray.height(),
                });
            }
        }
        let px = gray.as_raw();
        // ROI histogram: min/max and count in one pass.
        let mut hist = [0u64; 256];
        match mask {
            None => px.iter().for_each(|&g| hist[g as usize] += 1),
            Some(m) => px
                .iter()
                .zip(m.as_raw())
                .filter(|(_, &mv)| mv != 0)
                .for_each(|(&g, _)| hist[g as usize] += 1),
        }
        let inside_n: u64 = hist.iter().sum();
        let lo = hist.iter().position(|&c| c > 0).unwrap_or(0) as f64;
        let hi = hist.iter().rposition(|&c| c > 0).unwrap_or(0) as f64;
        // 256-entry LUT grey -> level (1-based); computed once, applied per pixel.
        let mut lut = [0u16; 256];
        let ng: usize = match method {
            Discretisation::None => {
                for (g, l) in lut.iter_mut().enumerate() {
                    *l = g as u16 + 1;
                }
                256
            }
            Discretisation::FixedBinNumber(n) => {
                if n == 0 || n > 256 {
                    return Err(DiscretiseError::BadBinNumber(n));
                }
                let nf = n as f64;
                for (g, l) in lut.iter_mut().enumerate() {
                    let x = g as f64;
                    *l = if hi <= lo {
                        1
                    } else if x < hi {
                        ((nf * (x - lo) / (hi - lo)).floor() as i64 + 1).clamp(1, n as i64) as u16
                    } else {
                        n
                    };
                }
                n as usize
            }
            Discretisation::FixedBinWidth(w) => {
                if !(w.is_finite() && w >= 1.0) {
                    return Err(DiscretiseError::BadBinWidth(w));
                }
                for (g, l) in lut.iter_mut().enumerate() {
                    // Grey values below the ROI minimum only occur outside the ROI; clamp to 1.
                    *l = (((g as f64 - lo) / w).floor() as i64 + 1).clamp(1, 256) as u16;
                }
                ((hi - lo) / w).floor() as usize + 1
            }
        };
        let n = px.len();
        let codes = if ng < 256 {
            let mut lut8 = [0u8; 256];
            for (d, s) in lut8.iter_mut().zip(lut.iter()) {
                *d = (*s as usize).min(ng) as u8 - 1;
            }
            let mut v = vec![0u8; n];
            match mask {
                None => v
                    .iter_mut()
                    .zip(px)
                    .for_each(|(d, &g)| *d = lut8[g as usize]),
                Some(m) => v
                    .iter_mut()
                    .zip(px)
                    .zip(m.as_raw())
                    .for_each(|((d, &g), &mv)| {
                        *d = if mv != 0 { lut8[g as usize] } else { ng as u8 }
                    }),
            }
            Codes::U8(v)
        } else {
            let mut v = vec![0u16; n];
            for (i, (d, &g)) in v.iter_mut().zip(px).enumerate() {
                *d = if inside(mask, i) {
                    (lut[g as usize] as usize).min(ng) as u16 - 1
                } else {
                    ng as u16
                };
            }
            Codes::U16(v)
        };
        Ok(Self {
            width: gray.width() as usize,
            height: gray.height() as usize,
            ng,
            inside: inside_n as usize,
            codes,
        })
    }

    /// Wraps already-discretised levels (1..=Ng, row-major, `None` = outside the ROI).
    pub fn from_levels(
        width: usize,
        height: usize,
        levels: &[Option<u16>],
        ng: usize,
    ) -> Result<Self, DiscretiseError> {
        if levels.len() != width * height {
            return Err(DiscretiseError::BadLevels(format!(
                "{} levels for {width}x{height}",
                levels.len()
            )));
        }
        if ng == 0 || ng > 256 {
            return Err(DiscretiseError::BadLevels(format!("Ng = {ng}")));
        }
        let mut v = Vec::with_capacity(levels.len());
        let mut inside = 0;
        for l in levels {
            match *l {
                Some(l) if l >= 1 && l as usize <= ng => {
                    inside += 1;
                    v.push(l - 1)
                }
                None => v.push(ng as u16),
                Some(l) => return Err(DiscretiseError::BadLevels(format!("level {l} > Ng {ng}"))),
            }
        }
        let codes = if ng < 256 {
            Codes::U8(v.iter().map(|&x| x as u8).collect())
        } else {
            Codes::U16(v)
        };
        Ok(Self {
            width,
            height,
            ng,
            inside,
            codes,
        })
    }

    /// Number of grey levels Ng (levels are 1..=Ng).
    pub fn ng(&self) -> usize {
        self.ng
    }

    /// Image width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Image height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of pixels inside the ROI.
    pub fn inside_count(&self) -> usize {
        self.inside
    }

    /// The 1-based level of every pixel (row-major), `None` outside the ROI (for tests and debugging).
    pub fn levels(&self) -> Vec<Option<u16>> {
        let f = |c: usize| (c < self.ng).then_some(c as u16 + 1);
        match &self.codes {
            Codes::U8(v) => v.iter().map(|&c| f(c as usize)).collect(),
            Codes::U16(v) => v.iter().map(|&c| f(c as usize)).collect(),
        }
    }
}
