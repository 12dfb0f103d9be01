//! One feature's exposure counters: reason slots, then one per variant.

use super::{FeatureExposure, SLOTS, slot};
use crate::Decision;
use crate::striped::Striped;

pub(super) struct CounterBlock {
    feature: Box<str>,
    variants: Box<[Box<str>]>,
    counts: Striped,
}

impl CounterBlock {
    pub(super) fn new(feature: &str, variants: &[Box<str>], stripes: usize) -> Self {
        CounterBlock {
            feature: feature.into(),
            variants: variants.into(),
            counts: Striped::new(SLOTS.len() + variants.len(), stripes),
        }
    }

    pub(super) fn feature(&self) -> &str {
        &self.feature
    }

    /// Whether this block counts exactly these variants, in this order.
    pub(super) fn has_variants<'a>(&self, mut names: impl Iterator<Item = &'a str>) -> bool {
        self.variants.iter().all(|v| names.next() == Some(&**v)) && names.next().is_none()
    }

    #[inline]
    pub(super) fn record(&self, decision: &Decision<'_>) {
        let Some(slot) = slot(decision) else { return };
        let stripe = self.counts.stripe();
        self.counts.add(stripe, slot, 1);
        if let Some(v) = decision.variant() {
            self.counts.add(stripe, SLOTS.len() + v.index, 1);
        }
    }

    pub(super) fn add_to(&self, out: &mut FeatureExposure) {
        for (i, &(enabled, reason)) in SLOTS.iter().enumerate() {
            out.add_reason(enabled, reason, self.counts.total(i));
        }
        for (i, variant) in self.variants.iter().enumerate() {
            let n = self.counts.total(SLOTS.len() + i);
            if n > 0 {
                out.add_variant(variant, n);
            }
        }
    }
}
