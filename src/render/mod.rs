//! Renderer of synthetic skin photos with known lesions, and their truth.
//!
//! Method: a height field h(x, y) in mm over a skin plane (pores, the face's gentle curvature and one
//! stamped profile per lesion, shaped after domain.md §1) and an albedo map (skin tone from its CIELAB
//! colour, lesion colours) are lit by one directional light (Lambert + ambient with a cavity term, optional
//! cast shadows, Blinn-Phong gloss on raised lesions), then pass through a camera model (exposure,
//! vignetting, colour cast, sensor noise, JPEG). Every lesion's kind, centre, size and signed relief are
//! known, and the per-image expectations follow domain.md §3.
//!
//! Coordinates follow the report contract: px, origin top-left, y down; `azimuth_deg` is the direction the
//! light comes FROM, counter-clockwise from +x as a viewer sees it (0 = right, 90 = top).

mod bitmap_font;
pub mod command;
pub mod pair;
mod raster;
pub mod rng;
pub mod scene;
pub mod skin;

pub use pair::{render_pair, PairLesion, PairTruth, Transform};
pub use raster::{encode_jpeg, jpeg_roundtrip, render, render_raw, RenderedScene};
pub use scene::{
    expected_for, random_scene, scene_suite, Expected, Lesion, Light, Mix, Scene, SceneParams,
    Truth, TruthLesion, TruthLight,
};
pub use skin::SkinTone;
