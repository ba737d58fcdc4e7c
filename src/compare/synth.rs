//! Synthetic skin-like textures for testing registration: a height field of pits and bumps with pores and an
//! albedo pattern, lit from one direction (Lambert + ambient), viewed through a known similarity.
//!
//! Not a substitute for the project renderer (`crate::render`): it exists so registration can be tested with
//! exactly known transforms and lighting changes, independent of the renderer's state.

use image::{Rgb, RgbImage};

use super::geometry::{warp_rgb, Affine};

/// SplitMix64: a tiny seeded generator (Steele et al. 2014), deterministic across platforms.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A world (larger than any view) of height and albedo samples.
#[derive(Debug, Clone)]
pub struct World {
    w: usize,
    h: usize,
    height: Vec<f32>,
    albedo: Vec<[f32; 3]>,
}

impl World {
    /// A random world of `w`×`h` px with `n_lesions` pits/bumps, pores and faint pigment, from `seed`.
    pub fn random(w: usize, h: usize, n_lesions: usize, seed: u64) -> World {
        let mut rng = SplitMix64(seed);
        let mut height = vec![0f32; w * h];
        let mut albedo = vec![[0.82f32, 0.62, 0.52]; w * h];
        let mut stamp = |cx: f64,
                         cy: f64,
                         r: f64,
                         depth: f64,
                         tint: Option<[f32; 3]>,
                         height: &mut Vec<f32>| {
            let x0 = (cx - 3.0 * r).floor().max(0.0) as usize;
            let x1 = ((cx + 3.0 * r).ceil() as usize).min(w - 1);
            let y0 = (cy - 3.0 * r).floor().max(0.0) as usize;
            let y1 = ((cy + 3.0 * r).ceil() as usize).min(h - 1);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let d2 = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)) / (r * r);
                    let g = (-0.5 * d2 * 2.0).exp();
                    height[y * w + x] += (depth * g) as f32;
                    if let Some(t) = tint {
                        let a = &mut albedo[y * w + x];
                        for c in 0..3 {
                            a[c] *= 1.0 - (g as f32) * (1.0 - t[c]);
                        }
                    }
                }
            }
        };
        // Pores: many tiny pits.
        for _ in 0..(w * h / 150) {
            let (cx, cy) = (rng.range(0.0, w as f64), rng.range(0.0, h as f64));
            stamp(
                cx,
                cy,
                rng.range(0.8, 1.6),
                -rng.range(0.3, 1.0),
                None,
                &mut height,
            );
        }
        // Lesions: pits and a few bumps, some with a colour change.
        for i in 0..n_lesions {
            let (cx, cy) = (rng.range(0.0, w as f64), rng.range(0.0, h as f64));
            let r = rng.range(4.0, 18.0);
            let d = if i % 5 == 4 {
                rng.range(3.0, 8.0)
            } else {
                -rng.range(3.0, 10.0)
            };
            let tint = if i % 3 == 0 {
                Some([0.9f32, 0.8, 0.8])
            } else {
                None
            };
            stamp(cx, cy, r, d, tint, &mut height);
        }
        // Faint pigment patches (albedo only).
        for _ in 0..(n_lesions / 2) {
            let (cx, cy) = (rng.range(0.0, w as f64), rng.range(0.0, h as f64));
            stamp(
                cx,
                cy,
                rng.range(5.0, 25.0),
                0.0,
                Some([0.85, 0.8, 0.78]),
                &mut height,
            );
        }
        World {
            w,
            h,
            height,
            albedo,
        }
    }

    /// Renders the world lit from `azimuth_deg` (contract convention: counter-clockwise from +x as seen, y
    /// down) at 40° elevation, times `exposure`, with sensor noise from `noise_seed`.
    pub fn render(&self, azimuth_deg: f64, exposure: f64, noise_seed: u64) -> RgbImage {
        let az = azimuth_deg.to_radians();
        let el = 40f64.to_radians();
        // Light vector in pixel coordinates: "from the top" means towards −y.
        let l = [az.cos() * el.cos(), -az.sin() * el.cos(), el.sin()];
        let mut rng = SplitMix64(noise_seed);
        let mut img = RgbImage::new(self.w as u32, self.h as u32);
        for y in 0..self.h {
            for x in 0..self.w {
                let hx = |xx: usize| self.height[y * self.w + xx];
                let hy = |yy: usize| self.height[yy * self.w + x];
                let dzdx = (hx((x + 1).min(self.w - 1)) - hx(x.saturating_sub(1))) as f64 * 0.5;
                let dzdy = (hy((y + 1).min(self.h - 1)) - hy(y.saturating_sub(1))) as f64 * 0.5;
                let n = [-dzdx, -dzdy, 1.0];
                let nn = (n[0] * n[0] + n[1] * n[1] + 1.0).sqrt();
                let lam = ((n[0] * l[0] + n[1] * l[1] + n[2] * l[2]) / nn).max(0.0);
                let shade = 0.35 + 0.65 * lam / l[2];
                let a = self.albedo[y * self.w + x];
                let mut px = [0u8; 3];
                for c in 0..3 {
                    let v = 230.0 * a[c] as f64 * shade * exposure + (rng.unit() - 0.5) * 6.0;
                    px[c] = v.round().clamp(0.0, 255.0) as u8;
                }
                img.put_pixel(x as u32, y as u32, Rgb(px));
            }
        }
        img
    }
}

/// A `w`×`h` view of a rendered world: view pixel `x` shows world point `view_to_world(x)`.
pub fn view(world_img: &RgbImage, view_to_world: &Affine, w: u32, h: u32) -> RgbImage {
    warp_rgb(world_img, view_to_world, w, h, [0, 0, 0]).0
}

/// The before scene of rendered pair `seed`: `random_scene` seed `1000 + seed`, ice pick / boxcar / rolling
/// by `seed % 3`, at the given size, scale and JPEG quality.
pub fn pair_scene(
    seed: u64,
    (width, height, px_per_mm): (u32, u32, f64),
    jpeg_quality: Option<u8>,
) -> crate::render::Scene {
    use crate::render::{random_scene, Mix, SceneParams};
    random_scene(&SceneParams {
        seed: 1000 + seed,
        width,
        height,
        px_per_mm,
        jpeg_quality,
        mix: [Mix::IcePick, Mix::Boxcar, Mix::Rolling][seed as usize % 3],
        ..SceneParams::default()
    })
}

/// How the after photo of rendered pair `seed` is taken (the arguments of `render_pair` besides the depth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AfterPhoto {
    /// Light azimuth as seen in the after photo, degrees.
    pub azimuth_deg: f64,
    /// Light elevation, degrees.
    pub elevation_deg: f64,
    /// Exposure relative to the before photo.
    pub exposure_gain: f64,
    /// Rotation, degrees counter-clockwise as seen.
    pub rotation_deg: f64,
    /// Scale, after px per before px.
    pub scale: f64,
    /// Shift, px.
    pub shift_px: (f64, f64),
}

impl AfterPhoto {
    /// Draws the after photo of pair `seed` of `scene`: a new light azimuth, the elevation within ±5°, exposure
    /// × 0.85–1.2, and a warp of up to `warp` × (±10°, ±10 %, ±15 px).
    pub fn draw(seed: u64, scene: &crate::render::Scene, warp: f64) -> AfterPhoto {
        let mut rng = SplitMix64(seed.wrapping_mul(77).wrapping_add(5));
        AfterPhoto {
            azimuth_deg: rng.range(0.0, 360.0),
            elevation_deg: scene.light.elevation_deg + rng.range(-5.0, 5.0),
            exposure_gain: rng.range(0.85, 1.2),
            rotation_deg: warp * rng.range(-10.0, 10.0),
            scale: 1.0 + warp * rng.range(-0.1, 0.1),
            shift_px: (warp * rng.range(-15.0, 15.0), warp * rng.range(-15.0, 15.0)),
        }
    }

    /// Renders the before and after photos of `scene` with relief × `depth` in the after one.
    pub fn render(
        &self,
        scene: &crate::render::Scene,
        depth: f64,
    ) -> (RgbImage, RgbImage, crate::render::PairTruth) {
        crate::render::render_pair(
            scene,
            depth,
            (self.azimuth_deg, self.elevation_deg),
            self.exposure_gain,
            self.rotation_deg,
            self.scale,
            self.shift_px,
        )
    }
}

/// One rendered repeat/treatment pair for measuring the pair relief measure's noise: scene `seed` (rendered
/// as `random_scene` seed `1000 + seed`, 640×480 at 12 px/mm, ice pick / boxcar / rolling by `seed % 3`) and
/// its after photo with relief × `factor`, a new light azimuth, elevation within ±5°, exposure × 0.85–1.2,
/// and a warp of up to `warp` × (±10°, ±10 %, ±15 px), registered as `compare` registers it.
///
/// Returns the pair's relief ratio (`None` when no place stood out) and a one-line description with the
/// true light elevations (the one thing the measure cannot cancel).
pub fn relief_ratio_of_rendered_pair(
    seed: u64,
    factor: f64,
    warp: f64,
    cp: &super::profile::CompareProfile,
) -> (Option<f64>, String) {
    use crate::render::Mix;
    let scene = pair_scene(seed, (640, 480, 12.0), None);
    let mix = [Mix::IcePick, Mix::Boxcar, Mix::Rolling][seed as usize % 3];
    let (b, a, t) = AfterPhoto::draw(seed, &scene, warp).render(&scene, factor);
    let reg = super::registration::register(&b, &a, &cp.registration);
    let m = super::relief::measure(&b, &a, &reg.map, &[], &cp.relief);
    let cot = |e: f64| 1.0 / e.to_radians().tan();
    let line = format!(
        "scene {seed} {mix:?}: {} places, relief ratio {}, light elevation {:.1}° → {:.1}° (cot ratio {:.3})",
        m.places.len(),
        m.ratio.map_or("none".to_string(), |r| format!("{r:.3}")),
        t.before.light.elevation_deg,
        t.after.light.elevation_deg,
        cot(t.after.light.elevation_deg) / cot(t.before.light.elevation_deg)
    );
    (m.ratio, line)
}
