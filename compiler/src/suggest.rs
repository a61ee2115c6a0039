//! "Did you mean": the closest known name to a misspelt one.
//! Candidates are ranked by Damerau-Levenshtein distance ignoring case, within a
//! budget that grows with the name's length; ties go to the alphabetically first.

use std::cmp::Ordering;

/// The best "did you mean" candidate for `name`, if any is close enough.
///
/// A candidate equal to `name` wins, then one equal to it ignoring case; otherwise the
/// candidate with the fewest edits (insertions, deletions, substitutions and swaps of
/// neighbours, ignoring case), as long as that is at most a third of the name's length
/// (at least one) and fewer than the length of either word. Among equally close
/// candidates the alphabetically first is chosen, so the answer never depends on the
/// order of `candidates`.
///
/// ```
/// use npg_compiler::suggest::closest;
///
/// assert_eq!(closest("fronend", ["backend", "frontend"]), Some("frontend"));
/// assert_eq!(closest("x", ["backend", "frontend"]), None);
/// ```
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    ranked(name, candidates).into_iter().next().map(|match_| match_.candidate)
}

/// Like [`closest`], but `None` when two different candidates are equally close, so
/// that a fix is offered only when one answer stands out (`ucp` is as near `tcp` as
/// `udp`).
pub fn closest_unambiguous<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let ranked = ranked(name, candidates);
    let mut distinct = ranked.iter();
    let best = distinct.next()?;
    match distinct.find(|other| other.candidate != best.candidate) {
        Some(runner_up) if runner_up.closeness == best.closeness => None,
        _ => Some(best.candidate),
    }
}

/// How near a candidate is; smaller is nearer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Closeness {
    Identical,
    SameIgnoringCase,
    Edits(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Match<'a> {
    closeness: Closeness,
    candidate: &'a str,
}

impl Ord for Match<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.closeness.cmp(&other.closeness).then_with(|| self.candidate.cmp(other.candidate))
    }
}

impl PartialOrd for Match<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Every candidate close enough to `name`, nearest first.
fn ranked<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<Match<'a>> {
    let folded_name = name.to_lowercase();
    let name_length = folded_name.chars().count();
    let budget = edit_budget(name_length);
    let mut matches: Vec<Match<'a>> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let closeness = closeness(name, &folded_name, name_length, budget, candidate)?;
            Some(Match { closeness, candidate })
        })
        .collect();
    matches.sort_unstable();
    matches
}

fn closeness(name: &str, folded_name: &str, name_length: usize, budget: usize, candidate: &str) -> Option<Closeness> {
    if candidate == name {
        return Some(Closeness::Identical);
    }
    let folded_candidate = candidate.to_lowercase();
    if folded_candidate == folded_name {
        return Some(Closeness::SameIgnoringCase);
    }
    let candidate_length = folded_candidate.chars().count();
    // The distance is at least the difference in length: skip the work when that is too much.
    if name_length.abs_diff(candidate_length) > budget {
        return None;
    }
    let edits = strsim::damerau_levenshtein(folded_name, &folded_candidate);
    (edits <= budget && edits < name_length && edits < candidate_length).then_some(Closeness::Edits(edits))
}

/// How many edits a name of this many characters may be away from a suggestion.
fn edit_budget(name_length: usize) -> usize {
    name_length.max(3) / 3
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPS: [&str; 5] = ["backend", "db", "frontend", "kube-dns", "web"];

    #[test]
    fn a_dropped_letter_finds_the_name() {
        assert_eq!(closest("fronend", GROUPS), Some("frontend"));
    }

    #[test]
    fn swapped_neighbours_count_as_one_edit() {
        assert_eq!(closest("backned", GROUPS), Some("backend"));
        assert_eq!(closest("kube-dsn", GROUPS), Some("kube-dns"));
    }

    #[test]
    fn a_short_name_is_not_matched_to_long_ones() {
        assert_eq!(closest("x", GROUPS), None);
        assert_eq!(closest("x", ["backend", "frontend"]), None);
    }

    #[test]
    fn a_single_letter_is_not_replaced_by_another_single_letter() {
        assert_eq!(closest("x", ["a", "b"]), None);
    }

    #[test]
    fn two_letter_names_allow_one_edit() {
        assert_eq!(closest("dv", GROUPS), Some("db"));
        assert_eq!(closest("bd", GROUPS), Some("db"));
    }

    #[test]
    fn an_exact_match_wins() {
        assert_eq!(closest("web", GROUPS), Some("web"));
    }

    #[test]
    fn a_match_ignoring_case_beats_a_closer_spelling() {
        assert_eq!(closest("Web", ["Wet", "web"]), Some("web"));
        assert_eq!(closest("FRONTEND", GROUPS), Some("frontend"));
    }

    #[test]
    fn distance_ignores_case() {
        assert_eq!(closest("FRONEND", GROUPS), Some("frontend"));
    }

    #[test]
    fn unrelated_names_give_nothing() {
        assert_eq!(closest("payments", GROUPS), None);
        assert_eq!(closest("", GROUPS), None);
        assert_eq!(closest("frontend", std::iter::empty()), None);
    }

    #[test]
    fn the_budget_grows_with_length() {
        assert_eq!(edit_budget(0), 1);
        assert_eq!(edit_budget(5), 1);
        assert_eq!(edit_budget(6), 2);
        assert_eq!(edit_budget(9), 3);
        // Two edits away: too many for a five-letter name, fine for an eight-letter one.
        assert_eq!(closest("shopz", ["shop"]), Some("shop"));
        assert_eq!(closest("shpzz", ["shop"]), None);
        assert_eq!(closest("frntemd", ["frontend"]), Some("frontend"));
    }

    #[test]
    fn ties_go_to_the_alphabetically_first_whatever_the_order() {
        assert_eq!(closest("ucp", ["udp", "tcp"]), Some("tcp"));
        assert_eq!(closest("ucp", ["tcp", "udp"]), Some("tcp"));
    }

    #[test]
    fn the_nearest_candidate_wins_over_an_earlier_alphabetical_one() {
        assert_eq!(closest("frontendd", ["frontend-x", "frontend"]), Some("frontend"));
    }

    #[test]
    fn non_ascii_names_are_compared_by_character() {
        assert_eq!(closest("café", ["cafe", "tea"]), Some("cafe"));
    }

    #[test]
    fn an_unambiguous_match_needs_a_clear_winner() {
        assert_eq!(closest_unambiguous("tpc", ["sctp", "tcp", "udp"]), Some("tcp"));
        assert_eq!(closest_unambiguous("ucp", ["sctp", "tcp", "udp"]), None);
        assert_eq!(closest_unambiguous("icmp", ["sctp", "tcp", "udp"]), None);
    }

    #[test]
    fn a_candidate_listed_twice_is_not_a_tie_with_itself() {
        assert_eq!(closest_unambiguous("backned", ["backend", "backend"]), Some("backend"));
    }
}
