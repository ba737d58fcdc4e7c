//! Texture features: GLCM (IBSI), LBP (scikit-image conventions), gradient and roughness.

pub mod command;
