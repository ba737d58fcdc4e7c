//! Texture features: GLCM (IBSI), LBP (scikit-image conventions), gradient and roughness.

pub mod command;
pub mod discretise;
pub mod glcm;
pub mod lbp;
