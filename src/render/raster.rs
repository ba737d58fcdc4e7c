//! Rasterising a scene: height field and albedo, shading, camera model.
//!
//! Pixel (i, j) of a window is sampled at scene point (ox + i, oy + j), so lesion centres in the truth are in
//! the same pixel-index coordinates an analysis uses. Texture (pores, mottling, noise) is a hash of the
//! position, so any window of a scene shows the same skin (used by the pair renderer).

use image::RgbImage;
use rayon::prelude::*;

use super::rng::{hash3, mix64, normal_from_hash, unit, SplitMix64};
use super::scene::{Lesion, Scene, Truth};
use super::skin::{lab_to_linear_rgb, linear_to_srgb};
use crate::report::Subtype;

/// A rendered image and its truth.
#[derive(Debug, Clone)]
pub struct RenderedScene {
    /// The photo (after JPEG when the scene asks for it).
    pub rgb: RgbImage,
    /// What is in it.
    pub truth: Truth,
}

/// A rectangle of scene pixels: origin (ox, oy) and size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Scene x of the window's column 0.
    pub ox: i64,
    /// Scene y of the window's row 0.
    pub oy: i64,
    /// Width in px.
    pub w: usize,
    /// Height in px.
    pub h: usize,
}

/// Renders a scene without its JPEG step (the camera's lossless output).
pub fn render_raw(scene: &Scene) -> RenderedScene {
    let win = Window {
        ox: 0,
        oy: 0,
        w: scene.width as usize,
        h: scene.height as usize,
    };
    let rad = radiance(scene, &scene.lesions, win);
    let rgb = camera(scene, rad, win.w, win.h, scene.exposure, scene.seed);
    RenderedScene {
        rgb,
        truth: scene.truth(),
    }
}

/// Renders a scene, applying its JPEG quality when it has one.
pub fn render(scene: &Scene) -> RenderedScene {
    let mut r = render_raw(scene);
    if let Some(q) = scene.jpeg_quality {
        r.rgb = jpeg_roundtrip(&r.rgb, q);
    }
    r
}

/// Encodes an image as baseline JPEG at `quality` (1–100).
/// Fails only where JPEG itself cannot go (a side over 65 535 px).
pub fn encode_jpeg(rgb: &RgbImage, quality: u8) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100));
    rgb.write_with_encoder(enc)
        .map_err(|e| anyhow::anyhow!("JPEG encoding failed: {e}"))?;
    Ok(buf)
}

/// The image as it looks after JPEG compression at `quality` (encode, then decode). An image JPEG cannot
/// hold (a side over 65 535 px) is returned unchanged.
pub fn jpeg_roundtrip(rgb: &RgbImage, quality: u8) -> RgbImage {
    let decoded = encode_jpeg(rgb, quality).and_then(|bytes| {
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .map_err(anyhow::Error::from)
    });
    match decoded {
        Ok(img) => img.to_rgb8(),
        Err(_) => rgb.clone(),
    }
}

/// Hermite smoothstep from `e0` to `e1` (works for e0 > e1 too: then it falls).
#[inline]
fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A lesion's footprint in window pixels: elliptic, optionally with a wavy (irregular) outline.
struct Footprint {
    cx: f64,
    cy: f64,
    a: f64,
    b: f64,
    cos: f64,
    sin: f64,
    /// Outline harmonics (order k, amplitude, phase): boundary radius r(φ) = 1 + Σ amp·cos(kφ + phase).
    waves: Vec<(f64, f64, f64)>,
}

impl Footprint {
    fn new(l: &Lesion, ppm: f64, ox: i64, oy: i64) -> Footprint {
        let mut rng = SplitMix64::new(l.shape_seed);
        // Keloids have irregular outlines (domain.md §1); rolling scars undulate a little; the rest are near-oval.
        let (orders, amp): (&[f64], f64) = match l.subtype {
            Subtype::Keloid => (&[2.0, 3.0, 4.0, 5.0], 0.07),
            Subtype::Rolling => (&[2.0, 3.0], 0.05),
            Subtype::Pigmented | Subtype::Erythematous => (&[2.0, 3.0, 4.0], 0.05),
            _ => (&[2.0, 3.0], 0.02),
        };
        let waves = orders
            .iter()
            .map(|&k| {
                (
                    k,
                    amp * rng.range(0.5, 1.0),
                    rng.range(0.0, std::f64::consts::TAU),
                )
            })
            .collect();
        let th = l.angle_deg.to_radians();
        Footprint {
            cx: l.center[0] - ox as f64,
            cy: l.center[1] - oy as f64,
            a: 0.5 * l.major_mm * ppm,
            b: 0.5 * l.minor_mm * ppm,
            cos: th.cos(),
            sin: th.sin(),
            waves,
        }
    }

    /// Normalised radius: < 1 inside the outline, 1 on it.
    #[inline]
    fn rho(&self, x: f64, y: f64) -> f64 {
        let (dx, dy) = (x - self.cx, y - self.cy);
        // The angle is CCW as a viewer sees it, so with y down the rotation uses −dy.
        let u = (dx * self.cos - dy * self.sin) / self.a;
        let v = (-dx * self.sin - dy * self.cos) / self.b;
        let r0 = (u * u + v * v).sqrt();
        if self.waves.is_empty() || r0 < 1e-9 {
            return r0;
        }
        let phi = v.atan2(u);
        let edge: f64 = 1.0
            + self
                .waves
                .iter()
                .map(|&(k, a, p)| a * (k * phi + p).cos())
                .sum::<f64>();
        r0 / edge
    }
}

/// Relief profile f(ρ) in [0, 1] (times the signed peak height gives the height), per domain.md §1 shapes.
#[inline]
fn profile(subtype: Subtype, rho: f64, shape: f64) -> f64 {
    if rho >= 1.0 {
        return 0.0;
    }
    match subtype {
        // V: a cone tapering to a point at the centre.
        Subtype::IcePick => (1.0 - rho).powf(2.0),
        // U: flat floor, steep wall between ρ = shape (0.6–0.8) and the rim.
        Subtype::Boxcar => 1.0 - smoothstep(shape, 1.0, rho),
        // M: wide sloping bowl, centre pulled up a little by the tethered dermis.
        Subtype::Rolling => {
            let c = (std::f64::consts::FRAC_PI_2 * rho).cos();
            c * c * (1.0 - 0.3 * (-(rho / 0.3) * (rho / 0.3)).exp())
        }
        // Firm raised plateau with a gently domed top.
        Subtype::Hypertrophic | Subtype::Keloid => {
            (1.0 - smoothstep(shape - 0.1, 1.0, rho)) * (1.0 - 0.2 * rho * rho)
        }
        // Dome.
        Subtype::Papule => (1.0 - rho * rho).powf(1.5),
        // Dome with a slightly pointed head.
        Subtype::Pustule => 0.85 * (1.0 - rho * rho).powf(1.5) + 0.15 * (1.0 - rho / 0.4).max(0.0),
        Subtype::Pigmented | Subtype::Erythematous => 0.0,
    }
}

/// Lesion colours in linear RGB: (main colour, main weight scale, optional halo colour, optional head colour).
fn lesion_colours(l: &Lesion, skin: [f64; 3]) -> ([f32; 3], Option<[f32; 3]>, Option<[f32; 3]>) {
    let [sl, sa, sb] = skin;
    let s = l.colour_strength;
    let lab = |dl: f64, da: f64, db: f64| {
        lab_to_linear_rgb([(sl + s * dl).max(5.0), sa + s * da, sb + s * db])
    };
    match l.subtype {
        // Atrophic scars are mostly skin-coloured, a little paler and pinker.
        Subtype::IcePick | Subtype::Boxcar | Subtype::Rolling => (lab(2.5, 3.0, -1.0), None, None),
        // Hypertrophic: pink/red.
        Subtype::Hypertrophic => (lab(-6.0, 16.0, 1.0), None, None),
        // Keloid: red-purple, dusky.
        Subtype::Keloid => (lab(-14.0, 18.0, -6.0), None, None),
        // Papule: red with a redness halo.
        Subtype::Papule => (lab(-8.0, 24.0, 6.0), Some(lab(-3.0, 11.0, 3.0)), None),
        // Pustule: red with a halo and a white-yellow head.
        Subtype::Pustule => (
            lab(-7.0, 22.0, 6.0),
            Some(lab(-3.0, 11.0, 3.0)),
            Some(lab_to_linear_rgb([88.0, 1.0, 30.0])),
        ),
        // PIH: brown, darker relative change on lighter skin.
        Subtype::Pigmented => (lab(-(8.0 + 0.15 * sl), 3.0, 7.0), None, None),
        // PIE: red.
        Subtype::Erythematous => (lab(-4.0, 17.0, 2.0), None, None),
    }
}

/// Gloss weight of a lesion's surface (raised lesions are glossier, domain.md §1).
fn lesion_gloss(subtype: Subtype) -> f32 {
    match subtype {
        Subtype::Hypertrophic => 0.6,
        Subtype::Keloid => 0.8,
        Subtype::Papule => 0.6,
        Subtype::Pustule => 0.8,
        _ => 0.0,
    }
}

/// Gloss of plain skin (a little sebum sheen).
const SKIN_GLOSS: f32 = 0.05;
/// Blinn-Phong exponent of the skin's specular lobe.
const SHININESS: i32 = 24;

/// Smooth value noise in [-1, 1] on a lattice of `cell` px: lattice values are hashes of (seed, lattice
/// point), so the noise is a function of scene position only; they are tabulated once per window so each
/// pixel costs a smoothstep-weighted bilinear lookup instead of four hashes.
struct ValueNoise {
    cell: f64,
    gx0: i64,
    gy0: i64,
    gw: usize,
    vals: Vec<f32>,
}

impl ValueNoise {
    fn new(seed: u64, cell: f64, win: Window) -> ValueNoise {
        let cell = cell.max(1.0);
        let gx0 = (win.ox as f64 / cell).floor() as i64 - 1;
        let gy0 = (win.oy as f64 / cell).floor() as i64 - 1;
        let gx1 = ((win.ox + win.w as i64) as f64 / cell).ceil() as i64 + 1;
        let gy1 = ((win.oy + win.h as i64) as f64 / cell).ceil() as i64 + 1;
        let gw = (gx1 - gx0 + 1) as usize;
        let gh = (gy1 - gy0 + 1) as usize;
        let mut vals = Vec::with_capacity(gw * gh);
        for gy in 0..gh as i64 {
            for gx in 0..gw as i64 {
                vals.push((2.0 * unit(hash3(seed, gx0 + gx, gy0 + gy)) - 1.0) as f32);
            }
        }
        ValueNoise {
            cell,
            gx0,
            gy0,
            gw,
            vals,
        }
    }

    /// The noise at scene point (x, y), which must lie inside the window it was built for.
    #[inline]
    fn at(&self, x: f64, y: f64) -> f64 {
        let (gx, gy) = (x / self.cell, y / self.cell);
        let (fx0, fy0) = (gx.floor(), gy.floor());
        let (fx, fy) = (gx - fx0, gy - fy0);
        let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
        let ix = (fx0 as i64 - self.gx0) as usize;
        let iy = (fy0 as i64 - self.gy0) as usize;
        let v = |dx: usize, dy: usize| self.vals[(iy + dy) * self.gw + ix + dx] as f64;
        let top = v(0, 0) + (v(1, 0) - v(0, 0)) * sx;
        let bot = v(0, 1) + (v(1, 1) - v(0, 1)) * sx;
        top + (bot - top) * sy
    }
}

/// Computes the linear-light image ("radiance" reaching the camera before exposure and vignetting) of a
/// window of the scene. The window is rendered with a 1-px margin and cropped, so slopes at its border use
/// central differences like everywhere else and any two windows agree on the pixels they share.
pub(crate) fn radiance(scene: &Scene, lesions: &[Lesion], win: Window) -> Vec<[f32; 3]> {
    let ext = Window {
        ox: win.ox - 1,
        oy: win.oy - 1,
        w: win.w + 2,
        h: win.h + 2,
    };
    let full = radiance_uncropped(scene, lesions, ext);
    let mut out = Vec::with_capacity(win.w * win.h);
    for j in 0..win.h {
        let row = (j + 1) * ext.w + 1;
        out.extend_from_slice(&full[row..row + win.w]);
    }
    out
}

/// [`radiance`] without the margin (slopes at the window border are one-sided).
fn radiance_uncropped(scene: &Scene, lesions: &[Lesion], win: Window) -> Vec<[f32; 3]> {
    let (w, h) = (win.w, win.h);
    let n = w * h;
    let ppm = scene.px_per_mm;
    let mut height = vec![0f32; n];
    let mut ao = vec![1f32; n];
    let mut gloss = vec![SKIN_GLOSS; n];
    let mut direct = vec![1f32; n];

    // Albedo: skin colour with mottling (melanin/blood unevenness at ~1 and ~4 mm; redness at ~6 mm).
    let skin = lab_to_linear_rgb(scene.skin_lab);
    let tex_seed = mix64(scene.seed ^ 0x7E47_0000);
    let coarse = ValueNoise::new(tex_seed, 4.0 * ppm, win);
    let fine = ValueNoise::new(tex_seed + 1, 1.2 * ppm, win);
    let redness = ValueNoise::new(tex_seed + 2, 6.0 * ppm, win);
    let mut albedo: Vec<[f32; 3]> = vec![[0.0; 3]; n];
    albedo.par_chunks_mut(w).enumerate().for_each(|(j, row)| {
        let y = (win.oy + j as i64) as f64;
        for (i, px) in row.iter_mut().enumerate() {
            let x = (win.ox + i as i64) as f64;
            let m = 0.05 * coarse.at(x, y) + 0.025 * fine.at(x, y);
            let red = 0.04 * redness.at(x, y);
            let k = (1.0 + m) as f32;
            *px = [
                skin[0] * k * (1.0 + red as f32),
                skin[1] * k,
                skin[2] * k * (1.0 - 0.5 * red as f32),
            ];
        }
    });

    stamp_pores(scene, win, &mut height, &mut ao);
    if let Some(bg) = &scene.background {
        paint_background(
            scene,
            bg,
            win,
            &mut albedo,
            &mut height,
            &mut ao,
            &mut gloss,
        );
    }

    // Lesions: relief, cavity visibility, gloss and colour, each inside its own bounding box only.
    for l in lesions {
        let fp = Footprint::new(l, ppm, win.ox, win.oy);
        let mut rng = SplitMix64::new(l.shape_seed ^ 0xB0C5);
        let shape = match l.subtype {
            Subtype::Boxcar => rng.range(0.6, 0.8),
            _ => rng.range(0.6, 0.7),
        };
        let (main, halo, head) = lesion_colours(l, scene.skin_lab);
        let g = lesion_gloss(l.subtype);
        let r_out = l.outer_radius_mm() * ppm + 2.0;
        let Some((i0, i1, j0, j1)) = clip_box(fp.cx, fp.cy, r_out, w, h) else {
            continue;
        };
        // Opening of the pit seen from its floor: the whole footprint for U/M profiles; for the V funnel of an
        // ice pick the deep neck is about half the footprint wide, which is why it reads as a dark hole.
        let open_r = 0.5
            * l.minor_mm
            * if l.subtype == Subtype::IcePick {
                0.5
            } else {
                1.0
            };
        let halo_reach = 1.8;
        for j in j0..j1 {
            for i in i0..i1 {
                let rho = fp.rho(i as f64, j as f64);
                let idx = j * w + i;
                if rho < 1.0 {
                    let f = profile(l.subtype, rho, shape);
                    let dh = l.relief_mm * f;
                    height[idx] += dh as f32;
                    if dh < 0.0 {
                        // Sky visibility from depth d in a pit of opening radius r: sin²(atan(r/d)) = r²/(r²+d²).
                        let d = -dh;
                        ao[idx] *= (open_r * open_r / (open_r * open_r + d * d)) as f32;
                    }
                    if g > 0.0 {
                        let gm = g * (1.0 - smoothstep(0.7, 1.0, rho)) as f32;
                        gloss[idx] = gloss[idx].max(gm);
                    }
                }
                let a = &mut albedo[idx];
                if let Some(hc) = halo {
                    if rho < halo_reach {
                        let wgt = (0.7
                            * l.colour_strength.min(1.0)
                            * (1.0 - smoothstep(0.9, halo_reach, rho)))
                            as f32;
                        blend(a, hc, wgt);
                    }
                }
                let wmain = match l.subtype {
                    Subtype::IcePick | Subtype::Boxcar | Subtype::Rolling => {
                        0.5 * (1.0 - smoothstep(0.7, 1.0, rho))
                    }
                    Subtype::Pigmented | Subtype::Erythematous => 1.0 - smoothstep(0.6, 1.05, rho),
                    Subtype::Papule | Subtype::Pustule => 1.0 - smoothstep(0.6, 1.0, rho),
                    Subtype::Hypertrophic | Subtype::Keloid => 1.0 - smoothstep(0.75, 1.02, rho),
                };
                if wmain > 0.0 {
                    blend(a, main, wmain as f32);
                }
                if let Some(hd) = head {
                    if rho < 0.45 {
                        blend(a, hd, (1.0 - smoothstep(0.2, 0.45, rho)) as f32);
                    }
                }
            }
        }
    }

    draw_hairs(scene, win, &mut albedo);

    let light = scene.light.vector();
    if scene.shadows && !scene.light.flat {
        cast_shadows(scene, lesions, win, &height, &mut direct);
    }

    // Shading: Lambert with one directional light (normalised so flat skin gets its albedo) plus ambient
    // scaled by cavity visibility, then Blinn-Phong gloss.
    let [lx, ly, lz] = light;
    let hv = {
        let (x, y, z) = (lx, ly, lz + 1.0);
        let nrm = (x * x + y * y + z * z).sqrt();
        [x / nrm, y / nrm, z / nrm]
    };
    let amb = scene.ambient;
    let (cx, cy) = (scene.width as f64 / 2.0, scene.height as f64 / 2.0);
    let rdiag = (cx * cx + cy * cy).sqrt().max(1.0);
    let curv = scene.curvature;
    let gloss_k = scene.gloss;
    albedo.par_chunks_mut(w).enumerate().for_each(|(j, row)| {
        let y = (win.oy + j as i64) as f64;
        let (jm, jp) = (j.saturating_sub(1), (j + 1).min(h - 1));
        for (i, px) in row.iter_mut().enumerate() {
            let x = (win.ox + i as i64) as f64;
            let (im, ip) = (i.saturating_sub(1), (i + 1).min(w - 1));
            let idx = j * w + i;
            // Slopes in mm/mm: height difference (mm) per px, times px per mm.
            let mut gx =
                (height[j * w + ip] - height[j * w + im]) as f64 / (ip - im).max(1) as f64 * ppm;
            let mut gy =
                (height[jp * w + i] - height[jm * w + i]) as f64 / (jp - jm).max(1) as f64 * ppm;
            // The face's own curvature: a dome falling off towards the frame corners.
            gx -= curv * (x - cx) / rdiag;
            gy -= curv * (y - cy) / rdiag;
            let inv = 1.0 / (gx * gx + gy * gy + 1.0).sqrt();
            let (nx, ny, nz) = (-gx * inv, -gy * inv, inv);
            let ndl = (nx * lx + ny * ly + nz * lz).max(0.0) / lz;
            let d = direct[idx] as f64;
            // Cavity visibility dims the direct light too: a pit's floor sees less of a real (extended) lamp.
            let v = ao[idx] as f64;
            let shade = amb * v + (1.0 - amb) * ndl * d * v;
            let ndh = (nx * hv[0] + ny * hv[1] + nz * hv[2]).max(0.0);
            let spec = gloss_k * gloss[idx] as f64 * ndh.powi(SHININESS) * (1.0 - amb) * d;
            for c in px.iter_mut() {
                *c = (*c as f64 * shade + spec) as f32;
            }
        }
    });
    albedo
}

/// Non-skin background (cloth): its colour with a fine weave texture, flat, matte and without pores, blended
/// into the skin over a ~1.5 px edge.
fn paint_background(
    scene: &Scene,
    bg: &super::scene::Background,
    win: Window,
    albedo: &mut [[f32; 3]],
    height: &mut [f32],
    ao: &mut [f32],
    gloss: &mut [f32],
) {
    let w = win.w;
    let cloth = lab_to_linear_rgb(bg.lab);
    let weave = ValueNoise::new(mix64(scene.seed ^ 0xC107), 0.4 * scene.px_per_mm, win);
    for (idx, px) in albedo.iter_mut().enumerate() {
        let x = (win.ox + (idx % w) as i64) as f64;
        let y = (win.oy + (idx / w) as i64) as f64;
        let d = bg.depth_px(x, y);
        if d < -1.5 {
            continue;
        }
        let t = smoothstep(-1.5, 1.5, d) as f32;
        let k = (1.0 + 0.08 * weave.at(x, y)) as f32;
        blend(px, [cloth[0] * k, cloth[1] * k, cloth[2] * k], t);
        height[idx] *= 1.0 - t;
        ao[idx] += (1.0 - ao[idx]) * t;
        gloss[idx] *= 1.0 - t;
    }
}

/// Stray hairs: thin dark quadratic curves (0.05–0.1 mm wide, 5–25 mm long) in the albedo, placed by hashes
/// of the scene seed in scene coordinates so every window shows the same hairs.
fn draw_hairs(scene: &Scene, win: Window, albedo: &mut [[f32; 3]]) {
    if scene.hairs == 0 {
        return;
    }
    let ppm = scene.px_per_mm;
    let (w, h) = (win.w, win.h);
    // Coverage of the current hair (max over its overlapping stamps, so nothing darkens twice).
    let mut cov = vec![0f32; w * h];
    for k in 0..scene.hairs {
        let mut rng = SplitMix64::new(hash3(scene.seed, k as i64, 0x4A12));
        let colour = lab_to_linear_rgb([
            rng.range(12.0, 30.0),
            rng.range(1.0, 5.0),
            rng.range(3.0, 10.0),
        ]);
        let p0 = [
            rng.range(0.0, scene.width as f64),
            rng.range(0.0, scene.height as f64),
        ];
        let len = rng.range(5.0, 25.0) * ppm;
        let ang = rng.range(0.0, std::f64::consts::TAU);
        let bend = rng.range(-0.3, 0.3) * len;
        let p2 = [p0[0] + len * ang.cos(), p0[1] + len * ang.sin()];
        let p1 = [
            0.5 * (p0[0] + p2[0]) - bend * ang.sin(),
            0.5 * (p0[1] + p2[1]) + bend * ang.cos(),
        ];
        let half = (0.5 * rng.range(0.05, 0.1) * ppm).max(0.5);
        let steps = (2.0 * len).ceil() as usize;
        let (mut bi0, mut bi1, mut bj0, mut bj1) = (w, 0, h, 0);
        for st in 0..=steps {
            let t = st as f64 / steps as f64;
            let u = 1.0 - t;
            let x = u * u * p0[0] + 2.0 * u * t * p1[0] + t * t * p2[0] - win.ox as f64;
            let y = u * u * p0[1] + 2.0 * u * t * p1[1] + t * t * p2[1] - win.oy as f64;
            let Some((i0, i1, j0, j1)) = clip_box(x, y, half + 1.0, w, h) else {
                continue;
            };
            (bi0, bi1, bj0, bj1) = (bi0.min(i0), bi1.max(i1), bj0.min(j0), bj1.max(j1));
            for j in j0..j1 {
                for i in i0..i1 {
                    let d = ((i as f64 - x).powi(2) + (j as f64 - y).powi(2)).sqrt();
                    let cover = (half + 0.5 - d).clamp(0.0, 1.0) as f32;
                    let c = &mut cov[j * w + i];
                    *c = c.max(cover);
                }
            }
        }
        for j in bj0..bj1 {
            for i in bi0..bi1 {
                let idx = j * w + i;
                if cov[idx] > 0.0 {
                    blend(&mut albedo[idx], colour, cov[idx]);
                    cov[idx] = 0.0;
                }
            }
        }
    }
}

/// Blends `c` over `a` with weight `w` in linear RGB.
#[inline]
fn blend(a: &mut [f32; 3], c: [f32; 3], w: f32) {
    let w = w.clamp(0.0, 1.0);
    for k in 0..3 {
        a[k] += (c[k] - a[k]) * w;
    }
}

/// The pixel box [i0, i1) × [j0, j1) of a circle clipped to the window, or `None` if outside.
fn clip_box(cx: f64, cy: f64, r: f64, w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let i0 = (cx - r).floor().max(0.0);
    let i1 = (cx + r).ceil().min(w as f64 - 1.0) + 1.0;
    let j0 = (cy - r).floor().max(0.0);
    let j1 = (cy + r).ceil().min(h as f64 - 1.0) + 1.0;
    if i1 <= i0 || j1 <= j0 {
        return None;
    }
    Some((i0 as usize, i1 as usize, j0 as usize, j1 as usize))
}

/// Pores: small shallow Gaussian pits (0.1–0.25 mm wide), one per jittered cell so the pattern is a function
/// of scene position only. Texture, not lesions.
fn stamp_pores(scene: &Scene, win: Window, height: &mut [f32], ao: &mut [f32]) {
    if scene.pore_density <= 0.0 {
        return;
    }
    let ppm = scene.px_per_mm;
    let cell = ppm / scene.pore_density.sqrt();
    let seed = mix64(scene.seed ^ 0x90AE_5000);
    let (w, h) = (win.w, win.h);
    let c0x = ((win.ox as f64 - 4.0) / cell).floor() as i64;
    let c1x = ((win.ox as f64 + w as f64 + 4.0) / cell).ceil() as i64;
    let c0y = ((win.oy as f64 - 4.0) / cell).floor() as i64;
    let c1y = ((win.oy as f64 + h as f64 + 4.0) / cell).ceil() as i64;
    for cy in c0y..=c1y {
        for cx in c0x..=c1x {
            let hh = hash3(seed, cx, cy);
            let mut rng = SplitMix64::new(hh);
            if !rng.chance(0.85) {
                continue;
            }
            let px = (cx as f64 + rng.next_f64()) * cell - win.ox as f64;
            let py = (cy as f64 + rng.next_f64()) * cell - win.oy as f64;
            let radius_mm = rng.range(0.05, 0.125);
            let depth_mm = rng.range(0.015, 0.05);
            let sigma = (0.7 * radius_mm * ppm).max(0.5);
            let vis =
                (radius_mm * radius_mm / (radius_mm * radius_mm + depth_mm * depth_mm)) as f32;
            let Some((i0, i1, j0, j1)) = clip_box(px, py, 3.0 * sigma, w, h) else {
                continue;
            };
            let inv2s2 = 1.0 / (2.0 * sigma * sigma);
            for j in j0..j1 {
                let dy = j as f64 - py;
                for i in i0..i1 {
                    let dx = i as f64 - px;
                    let g = (-(dx * dx + dy * dy) * inv2s2).exp();
                    let idx = j * w + i;
                    height[idx] -= (depth_mm * g) as f32;
                    ao[idx] *= 1.0 - (1.0 - vis) * g as f32;
                }
            }
        }
    }
}

/// Cast shadows near lesions: each pixel marches towards the light over the height field and is in shadow
/// where the surface rises above the ray (soft over a 4° penumbra). Only lesion neighbourhoods are marched;
/// pores and the gentle curvature cast no shadows worth the cost.
fn cast_shadows(
    scene: &Scene,
    lesions: &[Lesion],
    win: Window,
    height: &[f32],
    direct: &mut [f32],
) {
    let ppm = scene.px_per_mm;
    let (w, h) = (win.w, win.h);
    let az = scene.light.azimuth_deg.to_radians();
    let el = scene.light.elevation_deg.to_radians();
    let penumbra = 4f64.to_radians();
    let (dx, dy) = (az.cos(), -az.sin());
    let tan_low = (el - penumbra).max(3f64.to_radians()).tan();
    let sample = |x: f64, y: f64| -> f64 {
        let (x, y) = (x.clamp(0.0, (w - 1) as f64), y.clamp(0.0, (h - 1) as f64));
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let v = |xx: usize, yy: usize| height[yy * w + xx] as f64;
        let top = v(x0, y0) + (v(x1, y0) - v(x0, y0)) * fx;
        let bot = v(x0, y1) + (v(x1, y1) - v(x0, y1)) * fx;
        top + (bot - top) * fy
    };
    for l in lesions {
        if l.relief_mm == 0.0 {
            continue;
        }
        let reach = (l.relief_mm.abs() + 0.05) * ppm / tan_low;
        let steps = reach.ceil().clamp(1.0, 600.0) as usize;
        let cx = l.center[0] - win.ox as f64;
        let cy = l.center[1] - win.oy as f64;
        let r = l.outer_radius_mm() * ppm + 2.0;
        // Raised lesions shadow the skin beyond them (away from the light); depressions shadow themselves.
        let extra = if l.relief_mm > 0.0 { reach } else { 0.0 };
        let Some((i0, i1, j0, j1)) = clip_box(cx, cy, r + extra, w, h) else {
            continue;
        };
        for j in j0..j1 {
            for i in i0..i1 {
                let h0 = height[j * w + i] as f64;
                let mut max_ang = f64::NEG_INFINITY;
                for k in 1..=steps {
                    let t = k as f64;
                    let hq = sample(i as f64 + dx * t, j as f64 + dy * t);
                    let ang = ((hq - h0) * ppm / t).atan();
                    if ang > max_ang {
                        max_ang = ang;
                    }
                }
                let lit = ((el - max_ang) / penumbra + 0.5).clamp(0.0, 1.0) as f32;
                let idx = j * w + i;
                direct[idx] = direct[idx].min(lit);
            }
        }
    }
}

/// Stamps text in translucent white near the bottom-left corner, as clinics watermark photos.
fn stamp_watermark(img: &mut RgbImage, text: &str) {
    let (w, h) = img.dimensions();
    let n = text.chars().count().max(1) as u32;
    // About a tenth of the height, but never wider than 80 % of the frame.
    let s = (h / 70)
        .min(w * 4 / 5 / (n * super::bitmap_font::ADVANCE))
        .max(1);
    let mut mask = RgbImage::new(w, h);
    let y = h.saturating_sub((super::bitmap_font::GLYPH_H + 4) * s) as i64;
    super::bitmap_font::draw_text(
        &mut mask,
        (2 * s) as i64,
        y,
        text,
        s,
        image::Rgb([255, 255, 255]),
    );
    for (p, m) in img.pixels_mut().zip(mask.pixels()) {
        if m[0] > 0 {
            for c in 0..3 {
                p[c] = (p[c] as f32 * 0.35 + 255.0 * 0.65).round() as u8;
            }
        }
    }
}

/// A lookup table of the sRGB transfer curve over linear [0, 1] (4096 steps, linear interpolation).
struct SrgbLut(Vec<f32>);

impl SrgbLut {
    const N: usize = 4096;
    fn new() -> Self {
        SrgbLut(
            (0..=Self::N)
                .map(|k| linear_to_srgb(k as f32 / Self::N as f32))
                .collect(),
        )
    }
    #[inline]
    fn get(&self, v: f32) -> f32 {
        let t = v.clamp(0.0, 1.0) * Self::N as f32;
        let k = (t as usize).min(Self::N - 1);
        let f = t - k as f32;
        self.0[k] + (self.0[k + 1] - self.0[k]) * f
    }
}

/// Separable Gaussian blur of a linear image in place (sigma in px; edges clamp).
fn gaussian_blur(img: &mut [[f32; 3]], w: usize, h: usize, sigma: f64) {
    if sigma < 0.05 || w == 0 || h == 0 {
        return;
    }
    let r = (3.0 * sigma).ceil() as isize;
    let mut k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    let mut tmp = vec![[0f32; 3]; w * h];
    tmp.par_chunks_mut(w).enumerate().for_each(|(j, row)| {
        for (i, out) in row.iter_mut().enumerate() {
            let mut acc = [0f32; 3];
            for (t, kv) in k.iter().enumerate() {
                let x = (i as isize + t as isize - r).clamp(0, w as isize - 1) as usize;
                let p = img[j * w + x];
                for c in 0..3 {
                    acc[c] += kv * p[c];
                }
            }
            *out = acc;
        }
    });
    img.par_chunks_mut(w).enumerate().for_each(|(j, row)| {
        for (i, out) in row.iter_mut().enumerate() {
            let mut acc = [0f32; 3];
            for (t, kv) in k.iter().enumerate() {
                let y = (j as isize + t as isize - r).clamp(0, h as isize - 1) as usize;
                let p = tmp[y * w + i];
                for c in 0..3 {
                    acc[c] += kv * p[c];
                }
            }
            *out = acc;
        }
    });
}

/// Camera: lens blur, exposure, vignetting (1 − v·r²/R² from the frame centre), colour cast, sRGB curve,
/// sensor noise (seeded per pixel and channel), 8-bit quantisation.
pub(crate) fn camera(
    scene: &Scene,
    mut rad: Vec<[f32; 3]>,
    w: usize,
    h: usize,
    exposure: f64,
    noise_seed: u64,
) -> RgbImage {
    gaussian_blur(&mut rad, w, h, scene.blur_px);
    let lut = SrgbLut::new();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let r2 = (cx * cx + cy * cy).max(1.0);
    let cast = scene.colour_cast;
    let sigma = scene.noise_sigma as f32;
    let seed = mix64(noise_seed ^ 0x0015_E000);
    let mut buf = vec![0u8; w * h * 3];
    buf.par_chunks_mut(w * 3).enumerate().for_each(|(j, row)| {
        let dy = j as f64 - cy;
        for i in 0..w {
            let dx = i as f64 - cx;
            let vig = exposure * (1.0 - scene.vignetting * (dx * dx + dy * dy) / r2);
            let p = rad[j * w + i];
            let hh = hash3(seed, i as i64, j as i64);
            for c in 0..3 {
                let v = lut.get((p[c] as f64 * vig * cast[c]) as f32) * 255.0;
                let noise = if sigma > 0.0 {
                    sigma * normal_from_hash(mix64(hh ^ c as u64))
                } else {
                    0.0
                };
                row[i * 3 + c] = (v + noise).round().clamp(0.0, 255.0) as u8;
            }
        }
    });
    // The buffer has exactly w·h·3 bytes, so this cannot fail.
    let mut img = RgbImage::from_raw(w as u32, h as u32, buf)
        .unwrap_or_else(|| RgbImage::new(w as u32, h as u32));
    if let Some(text) = scene.watermark.as_deref().filter(|t| !t.is_empty()) {
        stamp_watermark(&mut img, text);
    }
    img
}
