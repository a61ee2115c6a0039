//! "Did you mean": the closest known name to a misspelt one.

/// Placeholder until the real ranking lands.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates.into_iter().find(|candidate| strsim::damerau_levenshtein(name, candidate) <= 2)
}
