//! One feature's exposure counters: reason slots, then one per variant.

use super::{FeatureExposure, SLOTS, slot};
use crate::striped::Striped;
use crate::{Decision, Feature};

pub(super) struct CounterBlock {
    feature: Box<str>,
    variants: Box<[Box<str>]>,
    counts: Striped,
}

impl CounterBlock {
    /// The counters of `feature` as it is now: its name and variants.
    pub(super) fn new(feature: &Feature, stripes: usize) -> Self {
        let variants: Box<[Box<str>]> =
            feature.variants().iter().map(|v| v.name().into()).collect();
        CounterBlock {
            feature: feature.name().into(),
            counts: Striped::new(SLOTS.len() + variants.len(), stripes),
            variants,
        }
    }

    pub(super) fn feature(&self) -> &str {
        &self.feature
    }

    /// Whether this block counts `feature`: the same name, and exactly its
    /// variants, in order.
    pub(super) fn counts(&self, feature: &Feature) -> bool {
        let mut names = feature.variants().iter().map(|v| v.name());
        *self.feature == *feature.name()
            && self.variants.iter().all(|v| names.next() == Some(&**v))
            && names.next().is_none()
    }

    #[inline(always)]
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
            out.add_variant(variant, self.counts.total(SLOTS.len() + i));
        }
    }
}
