//! Exposure metrics: how many evaluations of each feature came out on and
//! off, by reason and by variant — recorded lock-free on the request path.
//!
//! # How it is recorded
//!
//! Every feature has a block of counters per *stripe*, each on cache lines
//! of its own. Each thread that counts holds a number (the lowest free when it
//! first counts, given back when it exits); the thread holding number `i`
//! is the only writer of stripe `i`, so recording there is a plain load
//! and store (two with a variant): no locked instruction, and two threads
//! evaluating the same feature never fight over a cache line. Threads
//! numbered past a registry's stripes share one more stripe, with atomic
//! adds. Reading sums the stripes.
//!
//! Counters belong to a [`Metrics`] registry, keyed by feature name (and
//! its set of variant names), and are attached to a snapshot when it goes
//! live in a [`Rollouts`](crate::Rollouts) handle: counts carry on across
//! dial changes, rollbacks and reloads. Only the feature asked for is
//! counted (not the prerequisites evaluated on its behalf), and an unknown
//! feature is not counted (its name is arbitrary input).
//!
//! # Reading
//!
//! - [`Metrics::snapshot`] returns the totals so far, [`Exposures`].
//! - [`Exposures::since`] subtracts an earlier snapshot: the delta an
//!   exporter pushes on each interval.
//! - An [`Observer`] receives every recorded decision, for users with a
//!   sink of their own.
//!
//! Recording is on by default in [`Rollouts::new`](crate::Rollouts::new);
//! [`Rollouts::builder`](crate::Rollouts::builder) can switch it off
//! entirely, which leaves one untaken branch per evaluation.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Context, Decision, Feature, Reason, Snapshot};

mod counters;
mod observer;

pub use observer::Observer;

use counters::CounterBlock;

/// A registry of exposure counters. Clones share it.
///
/// ```
/// use gradual::{Config, FeatureConfig, Metrics, Rollouts, Snapshot};
///
/// let metrics = Metrics::new();
/// let rollouts = Rollouts::builder().metrics(metrics.clone()).build(Snapshot::try_from(
///     Config::new("r1").feature(FeatureConfig::new("checkout").percentage(100)),
/// )?);
/// for user in ["a", "b", "c"] {
///     rollouts.is_enabled("checkout", user);
/// }
/// let counts = metrics.snapshot();
/// assert_eq!(counts.feature("checkout").unwrap().on, 3);
/// # Ok::<(), gradual::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
}

struct Registry {
    stripes: usize,
    blocks: Mutex<Blocks>,
    observer: Option<Arc<dyn Observer>>,
}

#[derive(Clone, Default)]
struct Blocks {
    /// Every block ever made, in creation order, so totals survive a
    /// feature's variants changing (its old block keeps its counts).
    all: Vec<Arc<CounterBlock>>,
    /// By feature name: that feature's blocks, one per set of variant
    /// names it has had (looked up without allocating, on every reload).
    by_name: HashMap<Box<str>, Vec<Arc<CounterBlock>>, foldhash::fast::RandomState>,
}

/// What a live snapshot records into: one counter block per feature, in
/// the snapshot's feature order, and the observer.
pub(crate) struct Exposure {
    registry: Arc<Registry>,
    blocks: Box<[Arc<CounterBlock>]>,
}

impl Metrics {
    /// A registry with four stripes: the threads holding numbers 0 to 3
    /// (handed out lowest first as threads first count, given back as they
    /// exit) count on stripes of their own, any others on one they share.
    /// A service with more threads evaluating can give it more: one per
    /// thread that evaluates, plus a few for threads that count early and
    /// live long (the main thread, a reloader), say
    /// `Metrics::with_stripes(workers + 4)` for a pool of `workers`. (The
    /// crate does not count threads by itself: on Linux, asking how many
    /// the machine runs reads files.)
    pub fn new() -> Self {
        Self::with_stripes(crate::striped::DEFAULT_STRIPES)
    }

    /// A registry with `stripes` stripes (at least 1, at most 1,024) and
    /// the one shared by threads beyond them: more stripes, fewer threads
    /// sharing, more memory (128 bytes per stripe per feature with up to
    /// seven variants, the shared one included).
    pub fn with_stripes(stripes: usize) -> Self {
        Metrics {
            registry: Arc::new(Registry {
                stripes: stripes.clamp(1, crate::striped::MAX_STRIPES),
                blocks: Mutex::default(),
                observer: None,
            }),
        }
    }

    /// The same registry, also passing every recorded decision to
    /// `observer`. Set it before handing the registry to a handle: a handle
    /// already built keeps recording without the observer. The counts so
    /// far are shared, not moved, so both registries go on reporting them.
    #[must_use]
    pub fn with_observer(self, observer: Arc<dyn Observer>) -> Self {
        let registry = Registry {
            stripes: self.registry.stripes,
            blocks: Mutex::new(self.registry.lock().clone()),
            observer: Some(observer),
        };
        Metrics {
            registry: Arc::new(registry),
        }
    }

    /// The counts so far, by feature, in the order features were first seen.
    pub fn snapshot(&self) -> Exposures {
        let blocks = self.registry.lock();
        let mut out = Vec::with_capacity(blocks.by_name.len());
        for block in &blocks.all {
            // A feature's counts are summed at its first block, from all of
            // its blocks (found by name: one pass, under the lock that
            // reloads take too).
            let Some(theirs) = blocks.by_name.get(block.feature()) else {
                continue;
            };
            if !theirs
                .first()
                .is_some_and(|first| Arc::ptr_eq(first, block))
            {
                continue;
            }
            let mut entry = FeatureExposure::new(block.feature());
            for b in theirs {
                b.add_to(&mut entry);
            }
            // Blocks of other variant sets add reasons in their own order.
            entry.by_reason.sort_by_key(|&(enabled, reason, _)| {
                SLOTS.iter().position(|&slot| slot == (enabled, reason))
            });
            out.push(entry);
        }
        Exposures(out)
    }

    /// Attaches this registry's counters to a snapshot about to go live in
    /// place of `serving`.
    pub(crate) fn attach(&self, snapshot: &mut Snapshot, serving: Option<&Snapshot>) {
        fn ours<'s>(s: &'s Snapshot, registry: &Arc<Registry>) -> Option<&'s Arc<Exposure>> {
            s.exposure
                .as_ref()
                .filter(|e| Arc::ptr_eq(&e.registry, registry))
        }
        if ours(snapshot, &self.registry).is_some() {
            return; // derived by a dial change from a snapshot already attached
        }
        // A reload that keeps every feature (by name and variants, in order)
        // shares the serving snapshot's counters whole: each block is the
        // one the lookup below would find, since there is one block per
        // name and variant list.
        let same = |e: &&Arc<Exposure>| {
            e.blocks.len() == snapshot.features.len()
                && e.blocks
                    .iter()
                    .zip(snapshot.features())
                    .all(|(b, f)| b.counts(f))
        };
        if let Some(exposure) = serving.and_then(|s| ours(s, &self.registry).filter(same)) {
            snapshot.exposure = Some(Arc::clone(exposure));
            return;
        }
        let mut blocks = self.registry.lock();
        let per_feature = snapshot
            .features()
            .map(|f| {
                if let Some(block) = blocks
                    .by_name
                    .get(f.name())
                    .and_then(|v| v.iter().find(|b| b.counts(f)))
                {
                    return Arc::clone(block);
                }
                let block = Arc::new(CounterBlock::new(f, self.registry.stripes));
                blocks.all.push(Arc::clone(&block));
                blocks
                    .by_name
                    .entry(f.name().into())
                    .or_default()
                    .push(Arc::clone(&block));
                block
            })
            .collect();
        snapshot.exposure = Some(Arc::new(Exposure {
            registry: Arc::clone(&self.registry),
            blocks: per_feature,
        }));
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("stripes", &self.registry.stripes)
            .field("observer", &self.registry.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Blocks> {
        self.blocks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Exposure {
    /// Records one top-level decision of the feature at `position`.
    #[inline(always)]
    pub(crate) fn record(
        &self,
        position: usize,
        feature: &Feature,
        context: &Context<'_>,
        decision: &Decision<'_>,
    ) {
        if let Some(block) = self.blocks.get(position) {
            block.record(decision);
        }
        if self.registry.observer.is_some() {
            self.observe(feature, context, decision);
        }
    }

    /// Passes a decision to the registry's observer: out of line, so that
    /// counting alone saves no registers for the call.
    #[inline(never)]
    fn observe(&self, feature: &Feature, context: &Context<'_>, decision: &Decision<'_>) {
        if let Some(observer) = &self.registry.observer {
            observer.observe(feature, context, decision);
        }
    }
}

/// Exposure counts of every feature, as of one [`Metrics::snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exposures(Vec<FeatureExposure>);

/// One feature's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FeatureExposure {
    /// The feature's name.
    pub feature: String,
    /// Evaluations that came out on.
    pub on: u64,
    /// Evaluations that came out off.
    pub off: u64,
    /// Counts by outcome and reason kind ([`Reason::as_str`]), e.g.
    /// `(true, "in_rollout")`; only the non-zero ones, in a fixed order.
    pub by_reason: Vec<(bool, &'static str, u64)>,
    /// Evaluations that came out on with each variant; only the non-zero
    /// ones.
    pub by_variant: Vec<(String, u64)>,
}

impl FeatureExposure {
    fn new(feature: &str) -> Self {
        FeatureExposure {
            feature: feature.to_owned(),
            on: 0,
            off: 0,
            by_reason: Vec::new(),
            by_variant: Vec::new(),
        }
    }

    fn add_reason(&mut self, enabled: bool, reason: &'static str, count: u64) {
        if count == 0 {
            return;
        }
        if enabled {
            self.on += count
        } else {
            self.off += count
        }
        match self
            .by_reason
            .iter_mut()
            .find(|(e, r, _)| *e == enabled && *r == reason)
        {
            Some((_, _, n)) => *n += count,
            None => self.by_reason.push((enabled, reason, count)),
        }
    }

    fn add_variant(&mut self, variant: &str, count: u64) {
        if count == 0 {
            return;
        }
        match self.by_variant.iter_mut().find(|(v, _)| v == variant) {
            Some((_, n)) => *n += count,
            None => self.by_variant.push((variant.to_owned(), count)),
        }
    }
}

impl Exposures {
    /// The features' counts.
    pub fn iter(&self) -> impl Iterator<Item = &FeatureExposure> {
        self.0.iter()
    }

    /// One feature's counts.
    pub fn feature(&self, name: &str) -> Option<&FeatureExposure> {
        self.0.iter().find(|e| e.feature == name)
    }

    /// The counts added since `earlier` (an older snapshot of the same
    /// registry): what an exporter pushes each interval.
    ///
    /// ```
    /// # use gradual::{Config, FeatureConfig, Metrics, Rollouts, Snapshot};
    /// # let metrics = Metrics::new();
    /// # let rollouts = Rollouts::builder().metrics(metrics.clone()).build(Snapshot::try_from(
    /// #     Config::new("r1").feature(FeatureConfig::new("checkout").percentage(100)))?);
    /// rollouts.is_enabled("checkout", "a");
    /// let earlier = metrics.snapshot();
    /// rollouts.is_enabled("checkout", "b");
    /// rollouts.is_enabled("checkout", "c");
    /// let delta = metrics.snapshot().since(&earlier);
    /// assert_eq!(delta.feature("checkout").unwrap().on, 2);
    /// # Ok::<(), gradual::ConfigError>(())
    /// ```
    pub fn since(&self, earlier: &Exposures) -> Exposures {
        let earlier: HashMap<&str, &FeatureExposure> =
            earlier.0.iter().map(|e| (&*e.feature, e)).collect();
        let mut out = Vec::with_capacity(self.0.len());
        for now in &self.0 {
            let mut delta = FeatureExposure::new(&now.feature);
            let before = earlier.get(&*now.feature);
            for &(enabled, reason, count) in &now.by_reason {
                let was = before
                    .and_then(|b| {
                        b.by_reason
                            .iter()
                            .find(|(e, r, _)| *e == enabled && *r == reason)
                    })
                    .map_or(0, |(_, _, n)| *n);
                delta.add_reason(enabled, reason, count.saturating_sub(was));
            }
            for (variant, count) in &now.by_variant {
                let was = before
                    .and_then(|b| b.by_variant.iter().find(|(v, _)| v == variant))
                    .map_or(0, |(_, n)| *n);
                delta.add_variant(variant, count.saturating_sub(was));
            }
            out.push(delta);
        }
        Exposures(out)
    }
}

/// The counter slot of each reason kind an evaluation of a known feature
/// can end with, and whether it is on. The order is the slot order.
pub(crate) const SLOTS: [(bool, &str); 9] = {
    const RULE: Reason<'static> = Reason::Rule {
        index: 0,
        name: None,
        segment: None,
    };
    [
        (true, Reason::Allowed.as_str()),
        (true, RULE.as_str()),
        (true, Reason::InRollout.as_str()),
        (false, Reason::Killed.as_str()),
        (false, Reason::PrerequisiteFailed { feature: "" }.as_str()),
        (false, Reason::Denied.as_str()),
        (false, RULE.as_str()),
        (false, Reason::MissingBucketBy { attribute: "" }.as_str()),
        (false, Reason::OutOfRollout.as_str()),
    ]
};

/// The counter slot of a decision, if it is counted: read from a table
/// by its outcome and the kind of its reason, without a branch on either
/// (a 50% feature's outcome is a coin toss known only once its digest is,
/// and a branch on it was mispredicted half the time, throwing away the
/// next evaluation's work the CPU had started).
#[inline]
pub(crate) fn slot(decision: &Decision<'_>) -> Option<usize> {
    /// Not counted.
    const NO: u8 = u8::MAX;
    /// By outcome (off, on), then by [`kind`].
    const SLOT: [[u8; 9]; 2] = [
        [NO, 3, 4, 5, NO, 6, 7, NO, 8],
        [NO, NO, NO, NO, 0, 1, NO, 2, NO],
    ];
    /// The reason's kind, in declaration order.
    #[inline(always)]
    fn kind(reason: &Reason<'_>) -> usize {
        match reason {
            Reason::UnknownFeature => 0,
            Reason::Killed => 1,
            Reason::PrerequisiteFailed { .. } => 2,
            Reason::Denied => 3,
            Reason::Allowed => 4,
            Reason::Rule { .. } => 5,
            Reason::MissingBucketBy { .. } => 6,
            Reason::InRollout => 7,
            Reason::OutOfRollout => 8,
        }
    }
    let slot = SLOT[usize::from(decision.is_enabled())][kind(&decision.reason())];
    (slot != NO).then_some(usize::from(slot))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `slot`'s table is `SLOTS` read by outcome and reason kind: every
    /// decision counts where `SLOTS` names its outcome and reason, and
    /// only those `SLOTS` names count.
    #[test]
    fn the_slot_table_agrees_with_slots() {
        let reasons = [
            Reason::UnknownFeature,
            Reason::Killed,
            Reason::PrerequisiteFailed { feature: "p" },
            Reason::Denied,
            Reason::Allowed,
            Reason::Rule {
                index: 2,
                name: Some("r"),
                segment: None,
            },
            Reason::MissingBucketBy { attribute: "a" },
            Reason::InRollout,
            Reason::OutOfRollout,
        ];
        for enabled in [false, true] {
            for reason in reasons {
                let decision = Decision::new(enabled, reason, None, None);
                let named = SLOTS.iter().position(|&s| s == (enabled, reason.as_str()));
                assert_eq!(slot(&decision), named, "{enabled} {reason:?}");
            }
        }
    }
}
