//! Attack paths.
