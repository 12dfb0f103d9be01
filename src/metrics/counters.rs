//! Striped counters: one block of cache-line-aligned atomics per stripe,
//! each thread adding to its own stripe only.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::{FeatureExposure, SLOTS, slot};
use crate::Decision;

/// Sixteen counters on a 128-byte line of their own (two 64-byte cache
/// lines, so adjacent-line prefetching does not couple stripes either).
#[repr(C, align(128))]
#[derive(Default)]
struct Line([AtomicU64; 16]);

/// One feature's counters: reason slots, then one per variant.
pub(super) struct CounterBlock {
    feature: Box<str>,
    variants: Box<[Box<str>]>,
    stripes: usize,
    /// Lines per stripe.
    width: usize,
    lines: Box<[Line]>,
}

static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe number, assigned on first use (a const
    /// initialiser: reading it never allocates).
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

#[inline]
fn this_thread_stripe() -> usize {
    STRIPE.with(|s| {
        let mut n = s.get();
        if n == usize::MAX {
            n = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed);
            s.set(n);
        }
        n
    })
}

impl CounterBlock {
    pub(super) fn new(feature: &str, variants: &[Box<str>], stripes: usize) -> Self {
        let counters = SLOTS.len() + variants.len();
        let width = counters.div_ceil(16);
        CounterBlock {
            feature: feature.into(),
            variants: variants.into(),
            stripes,
            width,
            lines: (0..stripes * width).map(|_| Line::default()).collect(),
        }
    }

    pub(super) fn feature(&self) -> &str {
        &self.feature
    }

    #[inline]
    fn add(&self, stripe: usize, counter: usize) {
        let line = stripe * self.width + counter / 16;
        if let Some(Line(counters)) = self.lines.get(line) {
            counters[counter % 16].fetch_add(1, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn record(&self, decision: &Decision<'_>) {
        let Some(slot) = slot(decision) else { return };
        let stripe = this_thread_stripe() % self.stripes;
        self.add(stripe, slot);
        if let Some(v) = decision.variant() {
            self.add(stripe, SLOTS.len() + v.index);
        }
    }

    fn total(&self, counter: usize) -> u64 {
        (0..self.stripes)
            .filter_map(|s| self.lines.get(s * self.width + counter / 16))
            .map(|Line(c)| c[counter % 16].load(Ordering::Relaxed))
            .sum()
    }

    pub(super) fn add_to(&self, out: &mut FeatureExposure) {
        for (i, &(enabled, reason)) in SLOTS.iter().enumerate() {
            out.add_reason(enabled, reason, self.total(i));
        }
        for (i, variant) in self.variants.iter().enumerate() {
            let n = self.total(SLOTS.len() + i);
            if n > 0 {
                out.add_variant(variant, n);
            }
        }
    }
}
