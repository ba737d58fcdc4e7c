//! Overlay: a PNG per image with each region outlined in its class colour, labelled, a legend and the verdict.
