//! Renderer of synthetic skin photos with known lesions (height field + albedo, one light), and their truth.

pub mod command;
