//! Connectivity changes.
