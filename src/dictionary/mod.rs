//! Data dictionaries and validation (placeholder while the codec lands).
