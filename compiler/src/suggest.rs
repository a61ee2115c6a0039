//! "Did you mean": the closest known name to a misspelt one.
