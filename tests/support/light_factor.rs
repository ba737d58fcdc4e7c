//! Light elevation change of a pair, read from the skin's fine texture, to cancel it from the relief ratio.
//!
//! An experiment, not part of the library: a module of the test that measures it
//! (`tests/compare_light_factor.rs`), kept here so the measurement below stays reproducible.
//!
//! Why: for small slopes the shading of any relief is `−(1 − ambient) · cot(elevation) · (∇h · â)` in log
//! luminance (`â` the light azimuth), so the relief ratio of `scarscope::compare::relief` moves with
//! `cot(e_after) / cot(e_before)` — up to ±20 % for elevations ±5° apart — and nothing in the lesions tells
//! a higher light from a flatter scar. The pores and fine texture of plain skin are relief that does not
//! change between the photos, so their shading carries the same `cot(elevation)` factor.
//!
//! How: the shading of many small pits is anisotropic — it is the height's derivative along the light
//! azimuth, so its power spectrum is `k² (f · â)² P_h(f)` with `k ∝ cot(elevation)` — while albedo (pore
//! darkening, mottling) and sensor noise are isotropic, and an even albedo pattern and an odd shading pattern
//! have no cross power. So the anisotropic part of the structure tensor of band-passed log luminance,
//! `λ₁ − λ₂`, is `∝ k²` and free of albedo, exposure and noise in expectation. It is read
//! - at the same physical band in both photos (band σ in before px, σ × scale in after px, derivative energy
//!   converted to before px), below the pixel scale where resampling and JPEG act;
//! - over tiles of plain skin only: tiles whose texture energy stands out of the median in either photo
//!   (lesions, whose relief is what changes; hairs; edges) are left out of both;
//! - as the magnitude of the summed anisotropy vector, so the light's azimuth need not be known (it may
//!   differ between the photos) and the tiles' noise averages out.
//!
//! The estimate of `cot(e_after) / cot(e_before)` is `sqrt(aniso_after / aniso_before)`; its confidence
//! falls to 0 when the anisotropy does not stand out of its own tile-to-tile scatter (flat or frontal light,
//! smooth web crops, no pores).
//!
//! **Status: measured, not applied.** On 36 rendered repeat pairs (scenes 300–335, JPEG 80 or none,
//! 9–16 px/mm, full warp) the anisotropy's axis follows the light azimuth within 11°, but its magnitude does
//! not follow the elevation: `log(estimate / true cot ratio)` spreads by 0.131 against a true spread of
//! 0.103, and dividing the relief ratio by the estimate widens that ratio's spread from 0.133 to 0.154. It
//! tracks when only the elevation changes (0.074 with the azimuth kept and no warp); a new azimuth alone
//! breaks it (0.123): the anisotropy's size depends on the azimuth relative to the pore pattern and the pixel
//! grid (a 4-fold term — the renderer's pores sit on a jittered square lattice, and real skin has oriented
//! furrows), and the after photo's resampling lowers it by a further ~5–10 %. Bands of σ 0.8 / 3 / 5 px,
//! tighter lesion exclusion and a fit of the 4-fold term with the true azimuths did not help (0.209 / 0.235 /
//! 0.350 at σ 0.8 / 3 / 5 without warp, 0.165 with the 4-fold fit on warped pairs).
//! `scarscope::compare::relief` therefore does not use it. Reproduce with
//! `SCARSCOPE_LIGHT_PAIRS=36 cargo test --release --test compare_light_factor -- --nocapture`.

use image::RgbImage;
use scarscope::compare::geometry::Affine;
use scarscope::compare::gray::Gray;
use scarscope::compare::relief::working_luma;

/// Tunables of the light-elevation factor (`Default` holds the measured settings).
#[derive(Debug, Clone, PartialEq)]
pub struct LightFactorParams {
    /// Longest side of the working images, px (pores are 1–4 px: keep resolution).
    pub max_side_px: usize,
    /// Band centre: the inner Gaussian of the difference-of-Gaussians, before px.
    pub band_sigma_px: f64,
    /// Outer Gaussian of the band, as a multiple of the inner one.
    pub band_ratio: f64,
    /// Tile side, before px.
    pub tile_px: f64,
    /// A tile whose texture energy exceeds this × the median in either photo is left out (lesions, hairs).
    pub max_tile_energy: f64,
    /// Tiles within this many tiles of a left-out one are left out too (a lesion's shading reaches past the
    /// tile its energy shows in).
    pub exclude_reach: usize,
    /// Signal-to-noise of the weaker photo's anisotropy at which the factor starts to be trusted …
    pub min_snr: f64,
    /// … and at which it is fully trusted.
    pub full_snr: f64,
    /// The applied factor is kept within `1 / max_factor … max_factor`.
    pub max_factor: f64,
}

impl Default for LightFactorParams {
    /// Band: difference of Gaussians 1.5 / 3 px (below the pixel scale where resampling and JPEG act); 32 px
    /// tiles, leaving out tiles with twice the median texture energy in either photo and their neighbours.
    fn default() -> Self {
        LightFactorParams {
            max_side_px: 2048,
            band_sigma_px: 1.5,
            band_ratio: 2.0,
            tile_px: 32.0,
            max_tile_energy: 2.0,
            exclude_reach: 1,
            min_snr: 3.0,
            full_snr: 6.0,
            max_factor: 1.5,
        }
    }
}

/// The light-elevation factor of a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct LightFactor {
    /// Estimated `cot(e_after) / cot(e_before)` from the texture; `None` when it could not be read.
    pub raw: Option<f64>,
    /// 0 … 1: how far the raw estimate stands out of its noise.
    pub confidence: f64,
    /// The factor to divide relief ratios by: `raw^confidence`, clamped; 1 when not read.
    pub applied: f64,
    /// Anisotropy of the before photo's texture (per before px², log units), and its axis (deg, CCW as seen,
    /// 0…180): the light azimuth's axis.
    pub before: (f64, f64),
    /// The same for the after photo (axis in the after photo's own frame).
    pub after: (f64, f64),
    /// Signal-to-noise of the two anisotropies.
    pub snr: (f64, f64),
    /// Tiles used.
    pub tiles: usize,
    /// Summed anisotropy vectors `(Jxx − Jyy, 2 Jxy)` per px of the before and the after photo, each in its
    /// own pixel frame.
    pub vectors: [[f64; 2]; 2],
}

impl LightFactor {
    /// No correction.
    fn none() -> LightFactor {
        LightFactor {
            raw: None,
            confidence: 0.0,
            applied: 1.0,
            before: (0.0, 0.0),
            after: (0.0, 0.0),
            snr: (0.0, 0.0),
            tiles: 0,
            vectors: [[0.0; 2]; 2],
        }
    }
}

/// Log linear-light luminance at working resolution and its map from before px.
struct Frame {
    dog_gx: Gray,
    dog_gy: Gray,
    /// Working px → before px.
    to_before: Affine,
    /// Working px per before px.
    scale: f64,
}

impl Frame {
    fn new(rgb: &RgbImage, before_to_own: &Affine, p: &LightFactorParams) -> Option<Frame> {
        let (y, to_work) = working_luma(rgb, before_to_own, p.max_side_px);
        let scale = to_work.scale();
        let to_before = to_work.inverse()?;
        let l = Gray {
            w: y.w,
            h: y.h,
            data: y.data.iter().map(|v| (v.max(0.0) + 1e-3).ln()).collect(),
        };
        let s = p.band_sigma_px * scale;
        let a = l.blur(s);
        let b = l.blur(s * p.band_ratio.max(1.1));
        let dog = Gray {
            w: a.w,
            h: a.h,
            data: a.data.iter().zip(&b.data).map(|(x, y)| x - y).collect(),
        };
        let (dog_gx, dog_gy) = dog.gradients();
        Some(Frame {
            dog_gx,
            dog_gy,
            to_before,
            scale,
        })
    }

    /// Per before-frame tile: `[n, Jxx, Jyy, Jxy]` in before-px derivative units, skipping a border of
    /// `margin` working px (blur edges).
    fn tiles(&self, nx: usize, ny: usize, tile: f64, margin: usize) -> Vec<[f64; 4]> {
        let mut t = vec![[0.0f64; 4]; nx * ny];
        let (w, h) = (self.dog_gx.w, self.dog_gx.h);
        // Derivative per working px → per before px.
        let c = self.scale * self.scale;
        for j in margin..h.saturating_sub(margin) {
            for i in margin..w.saturating_sub(margin) {
                let (x, y) = self.to_before.apply(i as f64, j as f64);
                if x < 0.0 || y < 0.0 {
                    continue;
                }
                let (ti, tj) = ((x / tile) as usize, (y / tile) as usize);
                if ti >= nx || tj >= ny {
                    continue;
                }
                let k = j * w + i;
                let (gx, gy) = (self.dog_gx.data[k] as f64, self.dog_gy.data[k] as f64);
                let e = &mut t[tj * nx + ti];
                e[0] += 1.0;
                e[1] += c * gx * gx;
                e[2] += c * gy * gy;
                e[3] += c * gx * gy;
            }
        }
        t
    }
}

/// Anisotropy magnitude, its axis (deg CCW as seen, 0…180) and its signal-to-noise from the kept tiles.
fn anisotropy(tiles: &[[f64; 4]], keep: &[bool]) -> (f64, f64, f64, [f64; 2]) {
    let v: Vec<(f64, f64)> = tiles
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(t, _)| ((t[1] - t[2]) / t[0], 2.0 * t[3] / t[0]))
        .collect();
    let n = v.len() as f64;
    if n < 4.0 {
        return (0.0, 0.0, 0.0, [0.0; 2]);
    }
    let (mc, ms) = (
        v.iter().map(|x| x.0).sum::<f64>() / n,
        v.iter().map(|x| x.1).sum::<f64>() / n,
    );
    let var = v
        .iter()
        .map(|x| (x.0 - mc).powi(2) + (x.1 - ms).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    // Noise alone gives a magnitude of about sqrt(var / n): remove that bias from the squared magnitude.
    let se2 = var / n;
    let m2 = (mc * mc + ms * ms - se2).max(0.0);
    // y points down: a CCW-as-seen angle is the negative of the pixel-frame angle.
    let axis = (-0.5 * ms.atan2(mc).to_degrees()).rem_euclid(180.0);
    (m2.sqrt(), axis, m2.sqrt() / se2.sqrt().max(1e-30), [mc, ms])
}

/// Estimates `cot(e_after) / cot(e_before)` of the pair; `map` takes before px to after px.
pub fn estimate(
    before: &RgbImage,
    after: &RgbImage,
    map: &Affine,
    p: &LightFactorParams,
) -> LightFactor {
    let (w, h) = (before.width() as f64, before.height() as f64);
    let tile = p.tile_px.max(8.0);
    let (nx, ny) = ((w / tile).floor() as usize, (h / tile).floor() as usize);
    if nx * ny < 8 || after.width() < 16 || after.height() < 16 {
        return LightFactor::none();
    }
    let (Some(fb), Some(fa)) = (
        Frame::new(before, &Affine::IDENTITY, p),
        Frame::new(after, map, p),
    ) else {
        return LightFactor::none();
    };
    let margin = |f: &Frame| (3.0 * p.band_sigma_px * p.band_ratio * f.scale).ceil() as usize + 1;
    let tb = fb.tiles(nx, ny, tile, margin(&fb));
    let ta = fa.tiles(nx, ny, tile, margin(&fa));
    // A tile counts when both photos see (nearly) all of it.
    let full_b = tile * tile * fb.scale * fb.scale;
    let full_a = tile * tile * fa.scale * fa.scale;
    let inside: Vec<bool> = tb
        .iter()
        .zip(&ta)
        .map(|(b, a)| b[0] >= 0.9 * full_b && a[0] >= 0.9 * full_a)
        .collect();
    let energy = |t: &[f64; 4]| (t[1] + t[2]) / t[0].max(1.0);
    let med = |ts: &[[f64; 4]]| {
        let mut e: Vec<f64> = ts
            .iter()
            .zip(&inside)
            .filter(|(_, k)| **k)
            .map(|(t, _)| energy(t))
            .collect();
        e.sort_by(f64::total_cmp);
        e.get(e.len() / 2).copied()
    };
    let (Some(mb), Some(ma)) = (med(&tb), med(&ta)) else {
        return LightFactor::none();
    };
    let plain: Vec<bool> = (0..tb.len())
        .map(|k| {
            energy(&tb[k]) <= p.max_tile_energy * mb && energy(&ta[k]) <= p.max_tile_energy * ma
        })
        .collect();
    let reach = p.exclude_reach as i64;
    let keep: Vec<bool> = (0..tb.len())
        .map(|k| {
            let (i, j) = ((k % nx) as i64, (k / nx) as i64);
            inside[k]
                && (-reach..=reach).all(|dj| {
                    (-reach..=reach).all(|di| {
                        let (ii, jj) = (i + di, j + dj);
                        ii < 0
                            || jj < 0
                            || ii >= nx as i64
                            || jj >= ny as i64
                            || plain[jj as usize * nx + ii as usize]
                    })
                })
        })
        .collect();
    let tiles = keep.iter().filter(|k| **k).count();
    let (ab, axb, snrb, vb) = anisotropy(&tb, &keep);
    let (aa, axa, snra, va) = anisotropy(&ta, &keep);
    let snr = snrb.min(snra);
    let raw = if ab > 0.0 && aa > 0.0 {
        Some((aa / ab).sqrt())
    } else {
        None
    };
    let confidence = ((snr - p.min_snr) / (p.full_snr - p.min_snr).max(1e-9)).clamp(0.0, 1.0);
    let mf = p.max_factor.max(1.0);
    let applied = raw.map_or(1.0, |r| r.powf(confidence).clamp(1.0 / mf, mf));
    LightFactor {
        raw,
        confidence: if raw.is_some() { confidence } else { 0.0 },
        applied,
        before: (ab, axb),
        after: (aa, axa),
        snr: (snrb, snra),
        tiles,
        vectors: [vb, va],
    }
}
