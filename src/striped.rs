//! Striped counters: for each stripe, a run of cache-line-aligned atomics,
//! summed when read. Used by exposure metrics and by the guard's outcome
//! counts.
//!
//! Every thread that counts holds a number while it lives: the lowest one
//! free when it first counts, given back when it exits. The thread holding
//! number `i` is the only one that writes stripe `i` of any counter set
//! with more than `i` stripes, so it counts there with a plain load and
//! store: no locked instruction, and no cache line shared with another
//! thread. Threads whose number is past a set's stripes (or that hold none:
//! past [`MAX_STRIPES`] threads, or once the thread has given its number
//! back while it exits) add atomically to one last stripe they share.
//! (A signal handler that counts on the thread it interrupts, between that
//! thread's load and store, would lose one count: evaluating in a signal
//! handler is not supported.)
//!
//! A number changes hands through the [`TAKEN`] bits: the exiting thread
//! clears its bit with release ordering and the next holder sets it with
//! acquire ordering, so every store the last holder made happens before the
//! next holder's first load.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

/// Sixteen counters on a 128-byte line of their own (two 64-byte cache
/// lines, so adjacent-line prefetching does not couple stripes either).
#[repr(C, align(128))]
#[derive(Default)]
struct Line([AtomicU64; 16]);

/// `counters` counters, in `stripes` stripes owned by one thread each and
/// one more that other threads share.
pub(crate) struct Striped {
    /// Owned stripes; the shared one comes after them.
    stripes: usize,
    /// Lines per stripe.
    width: usize,
    lines: Box<[Line]>,
}

/// The default stripe count, fixed rather than one per hardware thread:
/// `std::thread::available_parallelism` reads the cgroup files on Linux, and
/// the crate reads no files. Four threads count on lines of their own, at
/// 640 bytes per counted feature with the shared stripe; more threads share
/// that one (a registry can be given more: `Metrics::with_stripes`).
pub(crate) const DEFAULT_STRIPES: usize = 4;

/// The most stripes a counter set gets, and the most threads that hold a
/// number at once: one per hardware thread of a large server.
pub(crate) const MAX_STRIPES: usize = 1024;

/// The numbers threads hold, one bit each.
static TAKEN: [AtomicU64; MAX_STRIPES / 64] = [const { AtomicU64::new(0) }; MAX_STRIPES / 64];

/// A thread's number until it first counts.
const UNASKED: usize = usize::MAX;

thread_local! {
    /// This thread's number: [`UNASKED`], a number below [`MAX_STRIPES`],
    /// or [`MAX_STRIPES`] for none. No destructor, so on targets with
    /// native thread-locals reading it is one load (a thread-local with a
    /// destructor checks its state on every access).
    static NUMBER: Cell<usize> = const { Cell::new(UNASKED) };
    /// The number to give back when the thread exits ([`MAX_STRIPES`] for
    /// none); touched when the number is taken, which registers its
    /// destructor.
    static GIVE_BACK: GiveBack = const { GiveBack(Cell::new(MAX_STRIPES)) };
}

/// Gives this thread's number back, and leaves it none: a count made
/// later in the thread's exit goes to the shared stripe.
struct GiveBack(Cell<usize>);

impl Drop for GiveBack {
    fn drop(&mut self) {
        let _ = NUMBER.try_with(|n| n.set(MAX_STRIPES));
        let n = self.0.get();
        if let Some(word) = TAKEN.get(n / 64) {
            word.fetch_and(!(1 << (n % 64)), Ordering::Release);
        }
    }
}

/// The lowest free number, now this thread's, or [`MAX_STRIPES`] if all
/// are held (or the thread is exiting and could not give one back).
#[cold]
fn take_number() -> usize {
    GIVE_BACK
        .try_with(|give_back| {
            let n = lowest_free();
            give_back.0.set(n);
            n
        })
        .unwrap_or(MAX_STRIPES)
}

/// Takes the lowest free number, or gives [`MAX_STRIPES`] if all are held.
fn lowest_free() -> usize {
    for (w, word) in TAKEN.iter().enumerate() {
        let mut bits = word.load(Ordering::Relaxed);
        while bits != u64::MAX {
            let bit = (!bits).trailing_zeros();
            match word.compare_exchange_weak(
                bits,
                bits | 1 << bit,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return w * 64 + bit as usize,
                Err(now) => bits = now,
            }
        }
    }
    MAX_STRIPES
}

/// This thread's number; [`MAX_STRIPES`] if it holds none.
#[inline]
fn number() -> usize {
    NUMBER
        .try_with(|number| {
            let n = number.get();
            if n != UNASKED {
                return n;
            }
            let n = take_number();
            number.set(n);
            n
        })
        .unwrap_or(MAX_STRIPES)
}

/// The current thread's number, to count with: in a counter set with more
/// stripes than the number, its own stripe; in the others, the shared one.
/// Not `Send`: only the thread that asked may count with it.
#[derive(Clone, Copy)]
pub(crate) struct Stripe {
    number: usize,
    _this_thread: PhantomData<*const ()>,
}

impl Striped {
    /// `stripes` is brought within 1 to [`MAX_STRIPES`].
    pub(crate) fn new(counters: usize, stripes: usize) -> Self {
        let stripes = stripes.clamp(1, MAX_STRIPES);
        let width = counters.div_ceil(16).max(1);
        Striped {
            stripes,
            width,
            lines: (0..(stripes + 1) * width)
                .map(|_| Line::default())
                .collect(),
        }
    }

    /// Where this thread counts.
    #[inline]
    pub(crate) fn stripe(&self) -> Stripe {
        Stripe {
            number: number(),
            _this_thread: PhantomData,
        }
    }

    /// Adds `n` to `counter` in `stripe` (from [`Striped::stripe`], on
    /// this thread). Wraps on overflow, as an atomic add does. A counter
    /// past the set's is ignored, rather than spilling into the next
    /// stripe's line.
    #[inline]
    pub(crate) fn add(&self, stripe: Stripe, counter: usize, n: u64) {
        let index = stripe.number.min(self.stripes);
        let line = counter / 16;
        if line >= self.width {
            return;
        }
        let Some(Line(counters)) = self.lines.get(index * self.width + line) else {
            return;
        };
        let c = &counters[counter % 16];
        if index < self.stripes {
            // This thread's own stripe: no other thread writes it (module
            // docs), so a load and a store lose no count.
            c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        } else {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The sum over stripes of `counter`.
    pub(crate) fn total(&self, counter: usize) -> u64 {
        (0..=self.stripes)
            .filter_map(|s| self.lines.get(s * self.width + counter / 16))
            .map(|Line(c)| c[counter % 16].load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// More threads than stripes, coming and going: owned stripes change
    /// hands and the rest share the last one, and no count is lost; in a
    /// set with a stripe for every number, every thread owns one.
    #[test]
    fn threads_coming_and_going_lose_no_count() {
        const ADDS: u64 = 100_000;
        let few = Arc::new(Striped::new(20, 2));
        let all = Arc::new(Striped::new(20, MAX_STRIPES));
        for _ in 0..4 {
            let start = Arc::new(std::sync::Barrier::new(6));
            let threads: Vec<_> = (0..6)
                .map(|t| {
                    let (few, all) = (Arc::clone(&few), Arc::clone(&all));
                    let start = Arc::clone(&start);
                    std::thread::spawn(move || {
                        // Taken before the barrier, so all six are held at
                        // once (a thread that exits gives its number back).
                        let held = number();
                        start.wait();
                        for i in 0..ADDS {
                            for counts in [&few, &all] {
                                let stripe = counts.stripe();
                                counts.add(stripe, 3, 1);
                                counts.add(stripe, 17, i % 3 + t);
                            }
                        }
                        assert_eq!(number(), held);
                        held
                    })
                })
                .collect();
            let numbers: Vec<usize> = threads
                .into_iter()
                .map(|t| t.join().expect("thread"))
                .collect();
            // Six threads holding numbers at once hold six: at least four
            // share in `few`; none shares in `all`.
            assert!(numbers.iter().filter(|&&n| n >= 2).count() >= 4);
            assert!(numbers.iter().all(|&n| n < MAX_STRIPES), "{numbers:?}");
        }
        let per_round: u64 = (0..6)
            .map(|t| (0..ADDS).map(|i| i % 3 + t).sum::<u64>())
            .sum();
        for counts in [&few, &all] {
            assert_eq!(counts.total(3), 4 * 6 * ADDS);
            assert_eq!(counts.total(17), 4 * per_round);
            assert_eq!(counts.total(0), 0);
        }
    }

    /// Counts made from a thread-local's destructor, as the thread exits
    /// (before or after its number is given back), are all kept.
    #[test]
    fn counts_made_while_a_thread_exits_are_kept() {
        struct CountsOnExit(Arc<Striped>);
        impl Drop for CountsOnExit {
            fn drop(&mut self) {
                for _ in 0..10 {
                    let stripe = self.0.stripe();
                    self.0.add(stripe, 5, 1);
                }
            }
        }
        thread_local! {
            static ON_EXIT: std::cell::RefCell<Option<CountsOnExit>> =
                const { std::cell::RefCell::new(None) };
        }
        let counts = Arc::new(Striped::new(8, 4));
        for first in [true, false] {
            let c = Arc::clone(&counts);
            std::thread::spawn(move || {
                // Registered before or after the thread's first count, so
                // that its destructor runs on either side of the give-back.
                if first {
                    ON_EXIT.with(|e| *e.borrow_mut() = Some(CountsOnExit(Arc::clone(&c))));
                }
                let stripe = c.stripe();
                c.add(stripe, 5, 1);
                if !first {
                    ON_EXIT.with(|e| *e.borrow_mut() = Some(CountsOnExit(Arc::clone(&c))));
                }
            })
            .join()
            .expect("thread");
        }
        assert_eq!(counts.total(5), 22);
    }

    /// A counter past the set's counts nowhere else.
    #[test]
    fn a_counter_past_the_set_is_ignored() {
        let counts = Striped::new(16, 2);
        let stripe = counts.stripe();
        counts.add(stripe, 16, 7);
        counts.add(stripe, 40, 7);
        assert!((0..16).all(|c| counts.total(c) == 0));
    }

    /// An exited thread's number is free again: more threads than there
    /// are numbers, one after another, each still gets one.
    #[test]
    fn numbers_are_given_back() {
        for _ in 0..MAX_STRIPES + 200 {
            let n = std::thread::spawn(number).join().expect("thread");
            assert!(n < MAX_STRIPES, "no number left: {n}");
        }
    }

    #[test]
    fn a_thread_keeps_its_number() {
        assert_eq!(number(), number());
        let other = std::thread::spawn(|| {
            let n = number();
            (n, number())
        })
        .join()
        .expect("thread");
        assert_eq!(other.0, other.1);
    }
}
