//! A candidate lesion: what detect finds and light, measure and classify read (its own file so that light
//! does not depend on detect).

/// One lesion candidate, in working-image px.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Centre x (working px).
    pub x: f64,
    /// Centre y (working px).
    pub y: f64,
    /// Detection sigma (interpolated between scales), working px.
    pub sigma: f64,
    /// Radius estimate from the scale (sigma x radius_per_sigma), working px.
    pub radius: f64,
    /// Combined scale-normalised response.
    pub response: f64,
    /// Response in robust standard deviations of its scale.
    pub z: f64,
    /// The lesion's own pixels (working-image indices) when it was segmented, not only detected as a blob.
    pub pixels: Option<Vec<u32>>,
    /// Found only as a soft, wide structure (coarse segmentation or blob search): kept only if it reads as
    /// an atrophic scar, the one kind that shows as soft shading alone.
    pub soft: bool,
    /// Found by the depression pass: its signed along-light response in robust deviations (> 0 = dark near
    /// the light, bright far from it, i.e. a depression).
    pub depression_z: Option<f64>,
}
