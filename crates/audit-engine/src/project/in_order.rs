//! Items produced one after another, worked on by several threads, and merged back in
//! the order they were produced. The Terraform modules are built in order (a call's
//! inputs come from its caller, and the instance caps count across roots), but checking
//! them is independent per module: on two threads the project phase was a serial tail
//! of the scan, and on more it is most of it.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Mutex, mpsc};

/// Items handed to a worker at once: one module is checked in microseconds, so handing
/// them over one by one cost more in wake-ups than it saved.
const BATCH: usize = 32;

/// The stack of each worker: the Terraform evaluator recurses, bounded by its depth
/// limit, as it does on the project thread.
const WORKER_STACK: usize = 8 << 20;

/// Runs `work` on every item `produce` hands to its callback, on `threads` threads beside
/// the producer, and gives each result to `merge` in the order the items came, as soon as
/// the ones before it are merged. The producer works on a batch itself when the queue is
/// full, and on what is queued when it is done, so it never waits while there is work
/// (and no item is lost if no thread could be started). A few batches per thread wait at
/// a time, so memory stays that of a few hundred items. A panic in `work` is raised
/// again here.
pub fn map_in_order<T: Send, R: Send>(
    threads: usize,
    produce: impl FnOnce(&mut dyn FnMut(T)),
    work: impl Fn(T) -> R + Sync,
    mut merge: impl FnMut(R),
) {
    let run = |batch: Vec<T>| {
        catch_unwind(AssertUnwindSafe(|| {
            batch.into_iter().map(&work).collect::<Vec<R>>()
        }))
    };
    let (items, queue) = mpsc::sync_channel::<(usize, Vec<T>)>(threads * 2);
    let (done, results) = mpsc::channel();
    let queue = Mutex::new(queue);
    // Taken for the receive only, so a panic cannot poison it.
    let next_queued = || queue.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|scope| {
        // Owned here, so that a panic raised again below drops it and the workers stop.
        let items = items;
        for _ in 0..threads {
            let (next_queued, run, done) = (&next_queued, &run, done.clone());
            let worker = move || {
                loop {
                    // A statement of its own: the lock is released before the batch runs.
                    let received = next_queued().recv();
                    let Ok((index, batch)) = received else { break };
                    if done.send((index, run(batch))).is_err() {
                        break;
                    }
                }
            };
            // A thread that cannot be started leaves its share to the producer.
            let _ = std::thread::Builder::new()
                .name("project-worker".into())
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, worker);
        }
        drop(done);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        let mut deliver = |index: usize, result: std::thread::Result<Vec<R>>| {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&next) {
                match result {
                    Ok(results) => results.into_iter().for_each(&mut merge),
                    Err(panic) => resume_unwind(panic),
                }
                next += 1;
            }
        };
        let mut batches = 0;
        let mut batch = Vec::with_capacity(BATCH);
        let mut send = |batch: Vec<T>, deliver: &mut dyn FnMut(usize, _)| {
            match items.try_send((batches, batch)) {
                Ok(()) => {}
                Err(mpsc::TrySendError::Full((index, batch))) => deliver(index, run(batch)),
                // The receiver lives in `queue` until this function returns.
                Err(mpsc::TrySendError::Disconnected(_)) => unreachable!(),
            }
            batches += 1;
        };
        produce(&mut |item| {
            batch.push(item);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                send(full, &mut deliver);
                for (index, result) in results.try_iter() {
                    deliver(index, result);
                }
            }
        });
        if !batch.is_empty() {
            send(batch, &mut deliver);
        }
        drop(items);
        // What is still queued is worked on here too.
        loop {
            let queued = next_queued().try_recv();
            let Ok((index, batch)) = queued else { break };
            deliver(index, run(batch));
        }
        for (index, result) in results.iter() {
            deliver(index, result);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_merged_in_the_order_of_their_items() {
        for threads in [1, 2, 5] {
            let mut merged = Vec::new();
            map_in_order(
                threads,
                |give| (0..1000u64).for_each(give),
                // Later items finish first: the merge must wait for the earlier ones.
                |n| {
                    if n % 7 == 0 {
                        std::thread::yield_now();
                    }
                    n * n
                },
                |square| merged.push(square),
            );
            let expected: Vec<u64> = (0..1000).map(|n| n * n).collect();
            assert_eq!(merged, expected, "{threads} threads");
        }
    }

    #[test]
    fn a_panic_in_the_work_reaches_the_caller() {
        let caught = catch_unwind(|| {
            map_in_order(
                2,
                |give| (0..100).for_each(give),
                |n: u32| assert_ne!(n, 42, "item 42"),
                |()| {},
            )
        });
        let panic = caught.expect_err("the panic is raised again");
        let message = panic.downcast_ref::<String>().map(String::as_str);
        assert!(
            message.is_some_and(|m| m.contains("item 42")),
            "{message:?}"
        );
    }
}
