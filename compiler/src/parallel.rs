//! Work shared among the machine's cores: a map over a slice whose results come
//! back in the slice's order, so nothing written depends on how threads interleave.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many items a thread takes at a time: enough that taking them costs
/// nothing, few enough that the threads finish close together.
const BATCH: usize = 32;

/// Which cores a piece of work may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cores {
    /// Only the calling thread.
    One,
    /// Every core the process may use.
    All,
}

/// `items.iter().map(work).collect()`, spread over the available cores when
/// there is more than one batch of work. The results are in the order of `items`.
pub(crate) fn map<T: Sync, U: Send>(items: &[T], work: impl Fn(&T) -> U + Sync) -> Vec<U> {
    map_on(Cores::All, items, work)
}

/// [`map`], on the calling thread alone when `cores` says so.
pub(crate) fn map_on<T: Sync, U: Send>(cores: Cores, items: &[T], work: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let available = match cores {
        Cores::One => 1,
        Cores::All => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
    };
    let threads = available.min(items.len().div_ceil(BATCH));
    if threads <= 1 {
        return items.iter().map(work).collect();
    }

    let next_batch = AtomicUsize::new(0);
    let take_batches = || {
        let mut done: Vec<(usize, Vec<U>)> = Vec::new();
        loop {
            let batch = next_batch.fetch_add(1, Ordering::Relaxed);
            let start = batch.saturating_mul(BATCH);
            let Some(chunk) = items.get(start..items.len().min(start.saturating_add(BATCH))) else {
                break;
            };
            if chunk.is_empty() {
                break;
            }
            done.push((batch, chunk.iter().map(&work).collect()));
        }
        done
    };
    let mut batches: Vec<(usize, Vec<U>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(take_batches)).collect();
        let mut batches = Vec::new();
        for worker in workers {
            match worker.join() {
                Ok(done) => batches.extend(done),
                // A panic in `work` goes on in the caller, as it would without threads.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        batches
    });
    batches.sort_unstable_by_key(|(batch, _)| *batch);
    let mut results = Vec::with_capacity(items.len());
    for (_, done) in batches {
        results.extend(done);
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_the_order_of_the_items() {
        let items: Vec<u32> = (0..10_000).collect();
        let doubled = map(&items, |item| item * 2);
        assert_eq!(doubled, items.iter().map(|item| item * 2).collect::<Vec<_>>());
    }

    #[test]
    fn one_core_gives_the_same_results() {
        let items: Vec<u32> = (0..1_000).collect();
        assert_eq!(map_on(Cores::One, &items, |item| item + 1), map(&items, |item| item + 1));
    }

    #[test]
    fn fewer_items_than_a_batch_and_no_items_work_too() {
        assert_eq!(map(&[1, 2, 3], |item| item + 1), [2, 3, 4]);
        assert!(map(&[] as &[u8], |item| *item).is_empty());
    }
}
