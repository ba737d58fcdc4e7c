//! Colour science: sRGB to CIELAB (D65), ITA° and lesion-versus-ring contrasts.
