//! Striped counters: for each stripe, a run of cache-line-aligned atomics;
//! each thread adds only to its own stripe, so threads counting the same
//! thing never share a cache line. Reading sums the stripes.
//!
//! Used by exposure metrics and by the guard's outcome counts.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Sixteen counters on a 128-byte line of their own (two 64-byte cache
/// lines, so adjacent-line prefetching does not couple stripes either).
#[repr(C, align(128))]
#[derive(Default)]
struct Line([AtomicU64; 16]);

/// `counters` counters, striped `stripes` ways.
pub(crate) struct Striped {
    stripes: usize,
    /// Lines per stripe.
    width: usize,
    lines: Box<[Line]>,
}

/// The default stripe count, fixed rather than one per hardware thread:
/// `std::thread::available_parallelism` reads the cgroup files on Linux, and
/// the crate reads no files. Four stripes keep up to four busy threads off
/// each other's cache lines, at 512 bytes per counted feature; more threads
/// share stripes (a registry can be given more: `Metrics::with_stripes`).
pub(crate) const DEFAULT_STRIPES: usize = 4;

/// The most stripes a counter set gets: one per hardware thread of a large
/// server, at 128 bytes each per counted feature (128 KiB).
pub(crate) const MAX_STRIPES: usize = 1024;

static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe number, assigned round-robin on first use (a
    /// const initialiser: reading it never allocates).
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

impl Striped {
    /// `stripes` is brought within 1 to [`MAX_STRIPES`] and rounded up to
    /// a power of two, so that picking a thread's stripe is a mask rather
    /// than a division (which would cost more than the count itself).
    pub(crate) fn new(counters: usize, stripes: usize) -> Self {
        let stripes = stripes.clamp(1, MAX_STRIPES).next_power_of_two();
        let width = counters.div_ceil(16).max(1);
        Striped {
            stripes,
            width,
            lines: (0..stripes * width).map(|_| Line::default()).collect(),
        }
    }

    /// This thread's stripe.
    #[inline]
    pub(crate) fn stripe(&self) -> usize {
        STRIPE.with(|s| {
            let mut n = s.get();
            if n == usize::MAX {
                n = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed);
                s.set(n);
            }
            n
        }) & (self.stripes - 1)
    }

    /// Adds `n` to `counter` in `stripe` (from [`Striped::stripe`]).
    #[inline]
    pub(crate) fn add(&self, stripe: usize, counter: usize, n: u64) {
        if let Some(Line(counters)) = self.lines.get(stripe * self.width + counter / 16) {
            counters[counter % 16].fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The sum over stripes of `counter`.
    pub(crate) fn total(&self, counter: usize) -> u64 {
        (0..self.stripes)
            .filter_map(|s| self.lines.get(s * self.width + counter / 16))
            .map(|Line(c)| c[counter % 16].load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }
}
