//! [`Rollouts`]: the live rollout state, shared by every request thread.
//!
//! Readers load the serving [`Snapshot`] through [`arc_swap`]: a load is a
//! few atomic operations, never blocks, never allocates (after a thread's
//! first load) and never sees a half-applied change, because a snapshot is
//! immutable and replaced whole. [`Rollouts::is_enabled`] and a [`Reader`]
//! cache the loaded snapshot per thread, and check it with one atomic load
//! while nothing is swapped.
//!
//! Writers (a config reloader, an operator's dial, a guard that rolls back)
//! are serialised by a mutex that readers never touch. Each change is
//! copy-on-write: it reads the serving snapshot, builds the next one, keeps
//! the old one in a bounded history and swaps the new one in, all under
//! that mutex, so two concurrent dial changes never lose each other.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use arc_swap::ArcSwap;

use crate::feature_name::NameHints;
use crate::{
    AsFeatureName, ChangeReport, Context, Decision, DialError, Feature, Metrics, Percentage,
    Revision, RollbackError, Snapshot,
};

/// A cheaply clonable handle to the serving rollout state.
///
/// Clones share the same state: give one to every request handler, one to
/// the config reloader, one to the operator's endpoint.
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, Percentage, Rollouts, Snapshot};
///
/// let rollouts = Rollouts::new(Snapshot::try_from(
///     Config::new("r1").feature(FeatureConfig::new("new_checkout_design").percentage(5)),
/// )?);
///
/// // On every request:
/// let on = rollouts.is_enabled("new_checkout_design", "user-42");
///
/// // The dial: raise, kill, and roll back.
/// rollouts.set_percentage("new_checkout_design", Percentage::from_percent(25)?)?;
/// rollouts.kill("new_checkout_design")?;
/// assert!(!rollouts.is_enabled("new_checkout_design", "user-42"));
/// rollouts.rollback()?; // back to 25%
/// rollouts.rollback()?; // back to 5%
/// assert_eq!(rollouts.revision().to_string(), "r1");
/// # let _ = on;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Per-thread cache
///
/// [`Rollouts::is_enabled`] and [`Rollouts::is_enabled_with`] keep, on
/// each thread, the serving snapshot of the handle the thread reads
/// through (arc-swap's `Cache`, as a [`Reader`] does): while nothing is
/// swapped, a call checks it with one atomic load, where loading the
/// snapshot would register and release it with two locked instructions.
/// A thread caches one handle (and its clones): the first it reads
/// through, until it reads through another one twice in a row. A call
/// through a handle the thread does not cache loads the snapshot, as
/// does a call nested in another on the same thread (from an
/// [`Observer`](crate::Observer)).
///
/// What the cache keeps alive: the snapshot its thread last read, until
/// that thread's next call through the handle after a swap; and the cached
/// handle's serving snapshot (with the metrics registry and observer it
/// records into), even after every clone of the handle is dropped, until
/// the thread caches another handle or exits. When the thread's next call moves the cache
/// on, a replaced snapshot that nothing else holds (the rollback history
/// keeps the handle's last few, 16 by default) is dropped on that thread,
/// in that call: for a large config, a pause of up to milliseconds. A
/// [`Reader`] keeps the snapshot it last read the same way.
#[derive(Clone)]
pub struct Rollouts {
    /// The serving snapshot, in its own `Arc` so that a [`Reader`] can
    /// cache it.
    serving: Arc<ArcSwap<Snapshot>>,
    shared: Arc<Shared>,
}

struct Shared {
    /// Held by writers only; readers never touch it.
    writer: Mutex<History>,
    /// Attached to every snapshot as it goes live; `None` records nothing.
    metrics: Option<Metrics>,
}

/// The serving snapshot of the handle a thread reads through with
/// [`Rollouts::is_enabled`], cached.
struct LastRead {
    cache: arc_swap::Cache<Arc<ArcSwap<Snapshot>>, Arc<Snapshot>>,
    /// The address of the handle the thread's last call read through, if
    /// not this one: compared, never followed (a handle dropped since and
    /// another at its address at worst moves the cache one call early).
    missed: usize,
}

thread_local! {
    /// This thread's [`LastRead`]: a const initialiser, whose first use
    /// registers its destructor; reading it after that never allocates.
    static LAST_READ: RefCell<Option<LastRead>> = const { RefCell::new(None) };
}

/// Builds a [`Rollouts`] handle with non-default settings.
///
/// ```
/// use gradual::{Metrics, Rollouts, Snapshot};
///
/// let metrics = Metrics::new();
/// let rollouts = Rollouts::builder().history(64).metrics(metrics.clone()).build(Snapshot::empty());
/// let quiet = Rollouts::builder().no_metrics().build(Snapshot::empty());
/// assert!(quiet.metrics().is_none());
/// # let _ = rollouts;
/// ```
#[derive(Debug)]
pub struct RolloutsBuilder {
    history: usize,
    metrics: Option<Metrics>,
}

impl RolloutsBuilder {
    /// Keeps up to `limit` earlier snapshots for rollback (`0` keeps none).
    #[must_use]
    pub fn history(mut self, limit: usize) -> Self {
        self.history = limit;
        self
    }

    /// Records exposures into `metrics` (a registry can be shared by
    /// several handles).
    #[must_use]
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Records no exposure metrics at all.
    #[must_use]
    pub fn no_metrics(mut self) -> Self {
        self.metrics = None;
        self
    }

    /// A handle serving `snapshot`.
    pub fn build(self, mut snapshot: Snapshot) -> Rollouts {
        match &self.metrics {
            Some(metrics) => metrics.attach(&mut snapshot, None),
            // A snapshot taken from a handle with metrics counts into its
            // registry: not here.
            None => snapshot.exposure = None,
        }
        // The first snapshot's number is given too.
        let numbered = vec![(
            Arc::clone(&snapshot.revision.label),
            snapshot.revision.edits,
        )];
        Rollouts {
            serving: Arc::new(ArcSwap::from_pointee(snapshot)),
            shared: Arc::new(Shared {
                writer: Mutex::new(History {
                    previous: VecDeque::new(),
                    limit: self.history,
                    halts: Vec::new(),
                    numbered,
                }),
                metrics: self.metrics,
            }),
        }
    }
}

/// Writer-side state: snapshots that served before the current one
/// (newest last), the features held by a halt, and the change numbers
/// given so far.
struct History {
    previous: VecDeque<Arc<Snapshot>>,
    limit: usize,
    halts: Vec<Halt>,
    /// The highest `+N` given under each config label still in reach
    /// (serving, or kept for rollback), so that a change made after a
    /// rollback gets a number of its own rather than one a forgotten
    /// snapshot had.
    numbered: Vec<(Arc<str>, u32)>,
}

/// A feature whose percentage is held where a guard or a person put it,
/// whatever ramps and reloads say, until [`Rollouts::resume`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Halt {
    /// The feature.
    pub feature: String,
    /// The percentage it is held at (0% after an automatic rollback).
    pub percentage: Percentage,
    /// Why: a guard's verdict, or a person's note.
    pub cause: String,
    /// When it was halted.
    pub at: SystemTime,
}

/// One ramp step taken by [`Rollouts::advance_ramps`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RampChange {
    /// The feature.
    pub feature: String,
    /// Its percentage before.
    pub from: Percentage,
    /// Its percentage now.
    pub to: Percentage,
}

/// The snapshot serving when it was loaded, kept alive for as long as the
/// guard lives, even if a writer replaces it meanwhile.
///
/// Hold it for the length of one request so that every decision in that
/// request comes from the same snapshot; don't keep it for long (it pins
/// the snapshot's memory, and many guards held at once on one thread make
/// later loads slower).
pub struct SnapshotGuard(arc_swap::Guard<Arc<Snapshot>>);

/// A per-thread reader of a [`Rollouts`] handle; see [`Rollouts::reader`].
pub struct Reader {
    cache: arc_swap::Cache<Arc<ArcSwap<Snapshot>>, Arc<Snapshot>>,
    /// Where features named by text were last found.
    hints: NameHints,
}

impl Reader {
    /// The serving snapshot (refreshed if a writer swapped in a new one),
    /// for several decisions that must agree.
    #[inline]
    pub fn snapshot(&mut self) -> &Snapshot {
        self.cache.load()
    }

    /// Evaluates `feature` for `unit` in the serving snapshot: the whole
    /// [`Decision`], as [`Snapshot::evaluate`] gives it.
    #[inline(always)]
    pub fn evaluate(
        &mut self,
        feature: &(impl AsFeatureName + ?Sized),
        unit: &str,
    ) -> Decision<'_> {
        let snapshot = self.cache.load();
        let position = feature.position_hinted(snapshot, &mut self.hints);
        snapshot.evaluate_found_unit(position, unit)
    }

    /// Evaluates `feature` for a [`Context`] in the serving snapshot, as
    /// [`Snapshot::evaluate_with`] does.
    #[inline(always)]
    pub fn evaluate_with(
        &mut self,
        feature: &(impl AsFeatureName + ?Sized),
        context: &Context<'_>,
    ) -> Decision<'_> {
        let snapshot = self.cache.load();
        let position = feature.position_hinted(snapshot, &mut self.hints);
        snapshot.evaluate_found(position, context)
    }

    /// Whether `unit` gets `feature` in the serving snapshot.
    #[inline]
    pub fn is_enabled(&mut self, feature: &(impl AsFeatureName + ?Sized), unit: &str) -> bool {
        self.evaluate(feature, unit).is_enabled()
    }

    /// Whether the unit of `context` gets `feature` in the serving snapshot.
    #[inline]
    pub fn is_enabled_with(
        &mut self,
        feature: &(impl AsFeatureName + ?Sized),
        context: &Context<'_>,
    ) -> bool {
        self.evaluate_with(feature, context).is_enabled()
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl Deref for SnapshotGuard {
    type Target = Snapshot;

    #[inline]
    fn deref(&self) -> &Snapshot {
        &self.0
    }
}

impl fmt::Debug for SnapshotGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SnapshotGuard").field(&**self.0).finish()
    }
}

impl Rollouts {
    /// How many earlier snapshots [`Rollouts::new`] keeps for rollback.
    pub const DEFAULT_HISTORY: usize = 16;

    /// A handle serving `snapshot`, keeping [`Self::DEFAULT_HISTORY`]
    /// earlier snapshots for rollback and recording exposure
    /// [`Metrics`] (read them with [`Rollouts::metrics`]).
    pub fn new(snapshot: Snapshot) -> Self {
        Self::builder().build(snapshot)
    }

    /// A handle serving `snapshot`, keeping up to `limit` earlier snapshots
    /// for rollback (`0` keeps none).
    pub fn with_history(snapshot: Snapshot, limit: usize) -> Self {
        Self::builder().history(limit).build(snapshot)
    }

    /// Settings beyond the defaults: history length, metrics.
    pub fn builder() -> RolloutsBuilder {
        RolloutsBuilder {
            history: Self::DEFAULT_HISTORY,
            metrics: Some(Metrics::new()),
        }
    }

    /// The exposure metrics this handle records, if it records any.
    pub fn metrics(&self) -> Option<&Metrics> {
        self.shared.metrics.as_ref()
    }

    // ----- readers: lock-free, never block -----

    /// Whether `unit` gets `feature` in the serving snapshot.
    ///
    /// Each thread caches the serving snapshot of the handle it reads
    /// through, as a [`Reader`] does: while nothing is swapped, a call
    /// checks the cache with one atomic load instead of registering and
    /// releasing the snapshot (see [`Rollouts`]'s "Per-thread cache").
    #[inline]
    pub fn is_enabled(&self, feature: &(impl AsFeatureName + ?Sized), unit: &str) -> bool {
        self.read(|snapshot| snapshot.is_enabled(feature, unit))
    }

    /// Whether the unit of `context` gets `feature` in the serving snapshot,
    /// with its attributes for rules, segments and bucket-by; cached per
    /// thread as [`Rollouts::is_enabled`] is.
    #[inline]
    pub fn is_enabled_with(
        &self,
        feature: &(impl AsFeatureName + ?Sized),
        context: &Context<'_>,
    ) -> bool {
        self.read(|snapshot| snapshot.is_enabled_with(feature, context))
    }

    /// Runs `read` on the serving snapshot: this thread's cached one when
    /// it caches this handle's, a loaded one otherwise (the thread caches
    /// another handle's, or this call is nested in another on this thread,
    /// from an [`Observer`](crate::Observer), or the thread is exiting).
    #[inline(always)]
    fn read<R>(&self, read: impl Fn(&Snapshot) -> R + Copy) -> R {
        let cached = LAST_READ.try_with(|last| {
            let mut last = last.try_borrow_mut().ok()?;
            match &mut *last {
                Some(last) if core::ptr::eq(last.cache.arc_swap(), &*self.serving) => {
                    last.missed = 0;
                    Some(read(last.cache.load()))
                }
                other => self.read_missed(other).map(|cache| read(cache.load())),
            }
        });
        match cached {
            Ok(Some(r)) => r,
            _ => self.read_loaded(read),
        }
    }

    /// Runs `read` on a loaded snapshot: out of line, so that the cached
    /// path's evaluation is the only one inlined.
    #[cold]
    #[inline(never)]
    fn read_loaded<R>(&self, read: impl Fn(&Snapshot) -> R) -> R {
        read(&self.serving.load())
    }

    /// This thread cached no handle or another one: caches this one if the
    /// thread caches none, or read through this one on its last call too
    /// (so a thread taking turns between handles keeps the one it has,
    /// the others loading on each call).
    #[cold]
    fn read_missed<'c>(
        &self,
        last: &'c mut Option<LastRead>,
    ) -> Option<&'c mut arc_swap::Cache<Arc<ArcSwap<Snapshot>>, Arc<Snapshot>>> {
        let this = Arc::as_ptr(&self.serving) as usize;
        if let Some(other) = last
            && other.missed != this
        {
            other.missed = this;
            return None;
        }
        let last = last.insert(LastRead {
            cache: arc_swap::Cache::new(Arc::clone(&self.serving)),
            missed: 0,
        });
        Some(&mut last.cache)
    }

    /// A reader for one thread: the fastest way to evaluate on a hot path,
    /// and the way to whole [`Decision`]s without a guard.
    ///
    /// It caches the serving snapshot and, on each read, checks with a
    /// single atomic load whether a writer has swapped in a new one
    /// (arc-swap's `Cache`), instead of registering and releasing the
    /// snapshot on every call ([`Rollouts::is_enabled`] caches per thread
    /// too, one handle per thread, and a reader skips that thread-local's
    /// lookup). Its reads take `&mut self`: keep one per thread (a worker's
    /// state, a thread-local). It keeps the snapshot it last read alive
    /// until its next read.
    ///
    /// It also remembers where it last found each feature named by text
    /// (64 slots, picked by the address of the name's text, so the same
    /// literal finds the same slot): when the hint is right, checking the
    /// name there replaces the name lookup, as a
    /// [`FeatureName`](crate::FeatureName) does. Every hint is checked
    /// against the feature's name, so two names sharing a slot, or a reload
    /// that moves features, cost a lookup and nothing else.
    ///
    /// ```
    /// # use gradual::{Config, FeatureConfig, Rollouts, Snapshot};
    /// # let rollouts = Rollouts::new(Snapshot::try_from(Config::new("r1").feature(FeatureConfig::new("f").percentage(100)))?);
    /// let mut reader = rollouts.reader();
    /// assert!(reader.is_enabled("f", "user-42"));
    /// rollouts.kill("f")?;
    /// assert!(!reader.is_enabled("f", "user-42")); // sees the swap at once
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reader(&self) -> Reader {
        Reader {
            cache: arc_swap::Cache::new(Arc::clone(&self.serving)),
            hints: NameHints::default(),
        }
    }

    /// The serving snapshot: for whole [`Decision`]s (their
    /// reason, variant and value borrow from it), and for several decisions
    /// that must agree (one request's worth). Cheap and lock-free; see
    /// [`SnapshotGuard`].
    ///
    /// ```
    /// # use gradual::{Config, FeatureConfig, Rollouts, Snapshot};
    /// # let rollouts = Rollouts::new(Snapshot::try_from(Config::new("r1").feature(FeatureConfig::new("f").percentage(50)))?);
    /// let snapshot = rollouts.load();
    /// let decision = snapshot.evaluate("f", "user-42");
    /// println!("{} because {}", decision.is_enabled(), decision.reason());
    /// # Ok::<(), gradual::ConfigError>(())
    /// ```
    #[inline]
    pub fn load(&self) -> SnapshotGuard {
        SnapshotGuard(self.serving.load())
    }

    /// The serving snapshot as an owned `Arc`, to keep for as long as you
    /// like (slightly dearer than [`Rollouts::load`]).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.serving.load_full()
    }

    /// The revision serving now.
    pub fn revision(&self) -> Revision {
        self.serving.load().revision().clone()
    }

    // ----- writers: serialised among themselves, invisible to readers -----

    /// Serves `snapshot` from now on; the one it replaces goes to the
    /// rollback history. Returns the revision now serving.
    pub fn replace(&self, snapshot: Snapshot) -> Revision {
        match self.update(|_| Ok::<_, std::convert::Infallible>(snapshot)) {
            Ok(revision) => revision,
            Err(never) => match never {},
        }
    }

    /// Builds the next snapshot from the serving one and swaps it in, as
    /// one step no other writer can interleave with: the primitive behind
    /// every dial change. If `change` fails, nothing changes.
    ///
    /// ```
    /// use gradual::{Config, FeatureConfig, Percentage, Rollouts, Snapshot};
    /// let rollouts = Rollouts::new(Snapshot::try_from(
    ///     Config::new("r1").feature(FeatureConfig::new("a")).feature(FeatureConfig::new("b")),
    /// )?);
    /// // Two features raised together: no reader sees one without the other.
    /// let ten = Percentage::from_percent(10)?;
    /// rollouts.update(|s| s.with_percentage("a", ten)?.with_percentage("b", ten))?;
    /// assert_eq!(rollouts.revision().to_string(), "r1+2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Halted features ([`Rollouts::halt`]) keep their held percentage in
    /// the snapshot this installs, whatever `change` made of them.
    pub fn update<E>(
        &self,
        change: impl FnOnce(&Snapshot) -> Result<Snapshot, E>,
    ) -> Result<Revision, E> {
        self.write(|current, _| change(current))
    }

    /// Installs a snapshot built from a source's config: the reloader's
    /// swap. A ramped feature keeps the percentage it serves (up to its
    /// plan's percentage at `now`), rather than starting again from the
    /// config's percentage; halts hold as for every write. The report
    /// compares the snapshot that served with the one that goes live.
    pub(crate) fn install_reloaded(&self, next: Snapshot, now: SystemTime) -> ChangeReport {
        let mut report = None;
        let _ = self.write_reporting(
            |current, _| Ok::<_, core::convert::Infallible>(keep_ramp_progress(current, next, now)),
            |current, live| report = Some(crate::diff(current, live)),
        );
        report.expect("an infallible write reports")
    }

    /// The one place a snapshot goes live: under the writer lock, enforcing
    /// halts, attaching metrics, keeping the replaced one for rollback.
    fn write<E>(
        &self,
        change: impl FnOnce(&Snapshot, &mut History) -> Result<Snapshot, E>,
    ) -> Result<Revision, E> {
        self.write_reporting(change, |_, _| {})
    }

    /// [`Rollouts::write`], showing `seen` the snapshot replaced and the one
    /// going live (halts enforced) before it does.
    fn write_reporting<E>(
        &self,
        change: impl FnOnce(&Snapshot, &mut History) -> Result<Snapshot, E>,
        seen: impl FnOnce(&Snapshot, &Snapshot),
    ) -> Result<Revision, E> {
        let mut history = self.lock_writer();
        let current = self.serving.load_full();
        let mut next = change(&current, &mut history)?;
        if let Some(held) = history.enforce_halts(&next) {
            next = held;
        }
        let unchanged = |next: &Snapshot| next.is_same_state(&current);
        history.number(&mut next, unchanged);
        seen(&current, &next);
        match &self.shared.metrics {
            Some(metrics) => metrics.attach(&mut next, Some(&current)),
            None => next.exposure = None,
        }
        let next = Arc::new(next);
        let revision = next.revision().clone();
        let evicted = history.push(current);
        history.forget_numbers_out_of_reach(&next);
        self.serving.store(next);
        // Freeing a large snapshot takes milliseconds: not under the lock
        // the next dial change waits for.
        drop(history);
        drop(evicted);
        Ok(revision)
    }

    /// Sets one feature's rollout percentage (the article's
    /// `increase_rollout`; lowering works the same way). Units already in
    /// stay in when it rises: buckets never move.
    ///
    /// On a halted feature this also moves the halt to the new percentage:
    /// a person's hand on the dial stays there until the ramp is resumed.
    pub fn set_percentage(
        &self,
        feature: &str,
        percentage: Percentage,
    ) -> Result<Revision, DialError> {
        self.write(|s, history| {
            let next = s.with_percentage(feature, percentage)?;
            if let Some(halt) = history.halts.iter_mut().find(|h| h.feature == feature) {
                halt.percentage = percentage;
            }
            Ok(next)
        })
    }

    /// Holds a feature at `percentage` at once, and keeps it there across
    /// ramps and reloads until [`Rollouts::resume`]: what a guard does to
    /// roll back (with 0%), and what a person does to stop a ramp.
    pub fn halt(
        &self,
        feature: &str,
        percentage: Percentage,
        cause: &str,
        at: SystemTime,
    ) -> Result<Revision, DialError> {
        self.write(|s, history| {
            let next = s.with_percentage(feature, percentage)?;
            history.halts.retain(|h| h.feature != feature);
            history.halts.push(Halt {
                feature: feature.to_owned(),
                percentage,
                cause: cause.to_owned(),
                at,
            });
            Ok(next)
        })
    }

    /// Lifts a halt, returning it, if any. The feature's ramp (if any) takes
    /// over again: an unguarded feature goes straight to where the plan has
    /// got to at the next [`Rollouts::advance_ramps`]; a guarded one climbs
    /// from the plan's first step above where it stands, one step per
    /// healthy batch at its guard's [`tick`](crate::Guard::tick).
    pub fn resume(&self, feature: &str) -> Option<Halt> {
        let mut history = self.lock_writer();
        let at = history.halts.iter().position(|h| h.feature == feature)?;
        Some(history.halts.remove(at))
    }

    /// The halts in force.
    pub fn halts(&self) -> Vec<Halt> {
        self.lock_writer().halts.clone()
    }

    /// Raises every ramped, un-halted, unguarded feature to its plan's
    /// percentage at `now` (never lowers one), as one swap. Returns the
    /// steps taken.
    ///
    /// A feature with a `guard` climbs only through its
    /// [`Guard`](crate::Guard)'s [`tick`](crate::Guard::tick), one step per
    /// healthy batch: advancing it here on schedule would skip the evidence
    /// (after a rollback and `resume`, straight back to where the plan has
    /// got to).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use gradual::{Config, FeatureConfig, RampConfig, RampStep, Rollouts, Snapshot};
    ///
    /// let rollouts = Rollouts::new(Snapshot::try_from(Config::new("r1").feature(
    ///     FeatureConfig::new("f").ramp(
    ///         RampConfig::starting("1970-01-01T01:00:00Z").step(RampStep::hold(5, "1h")).step(RampStep::last(50)),
    ///     ),
    /// ))?);
    /// assert!(rollouts.advance_ramps(UNIX_EPOCH).is_empty()); // before start
    /// let steps = rollouts.advance_ramps(UNIX_EPOCH + Duration::from_secs(3_600));
    /// assert_eq!(steps[0].to.to_string(), "5%");
    /// # Ok::<(), gradual::ConfigError>(())
    /// ```
    pub fn advance_ramps(&self, now: SystemTime) -> Vec<RampChange> {
        self.advance_ramps_with(|feature, ramp| match feature.guard() {
            Some(_) => None,
            None => ramp.percentage_at(now),
        })
    }

    /// Raises each ramped, un-halted feature to the percentage `target`
    /// picks for it from its ramp (or leaves it where it is, for `None` or
    /// a percentage not above its own), as one swap.
    pub(crate) fn advance_ramps_with(
        &self,
        mut target: impl FnMut(&Feature, &crate::Ramp) -> Option<Percentage>,
    ) -> Vec<RampChange> {
        let mut changes = Vec::new();
        let _ = self.write(|current, history| {
            let mut targets = Vec::new();
            for feature in current.features() {
                let Some(ramp) = feature.ramp() else {
                    continue;
                };
                if history.halts.iter().any(|h| h.feature == feature.name()) {
                    continue;
                }
                let Some(target) = target(feature, ramp) else {
                    continue;
                };
                if target <= feature.percentage() {
                    continue;
                }
                targets.push((feature.name(), target));
                changes.push(RampChange {
                    feature: feature.name().to_owned(),
                    from: feature.percentage(),
                    to: target,
                });
            }
            // One copy of the feature list for all of them, one edit.
            current.with_percentages(targets).ok_or(())
        });
        changes
    }

    /// Turns a feature off for every unit, at once.
    pub fn kill(&self, feature: &str) -> Result<Revision, DialError> {
        self.update(|s| s.with_enabled(feature, false))
    }

    /// Turns a killed feature back on, at the percentage it had.
    pub fn revive(&self, feature: &str) -> Result<Revision, DialError> {
        self.update(|s| s.with_enabled(feature, true))
    }

    /// Serves the snapshot that served before the current one, and forgets
    /// the current one. Returns the revision now serving.
    pub fn rollback(&self) -> Result<Revision, RollbackError> {
        let mut history = self.lock_writer();
        let previous = history
            .previous
            .pop_back()
            .ok_or(RollbackError::NoHistory)?;
        Ok(self.restore(history, previous, VecDeque::new()))
    }

    /// Serves the newest kept snapshot whose revision displays as
    /// `revision` (`"r1"`, `"r1+2"`: see [`Revision`]), and forgets every
    /// snapshot after it.
    pub fn rollback_to(&self, revision: &str) -> Result<Revision, RollbackError> {
        let mut history = self.lock_writer();
        let found = history
            .previous
            .iter()
            .rposition(|s| s.revision().to_string() == revision)
            .ok_or_else(|| RollbackError::NotInHistory {
                revision: revision.to_owned(),
            })?;
        let mut forgotten = history.previous.split_off(found);
        let target = forgotten.pop_front().ok_or(RollbackError::NoHistory)?;
        Ok(self.restore(history, target, forgotten))
    }

    /// Serves `target`, restored exactly except that halted features stay
    /// held. The snapshot it displaces and the `forgotten` ones are freed
    /// after the writer lock is released, as `write` does.
    fn restore(
        &self,
        mut history: std::sync::MutexGuard<'_, History>,
        target: Arc<Snapshot>,
        forgotten: VecDeque<Arc<Snapshot>>,
    ) -> Revision {
        let target = match history.enforce_halts(&target) {
            Some(mut held) => {
                history.number(&mut held, |_| false);
                Arc::new(held)
            }
            None => target,
        };
        let revision = target.revision().clone();
        history.forget_numbers_out_of_reach(&target);
        let displaced = self.serving.swap(target);
        drop(history);
        drop((displaced, forgotten));
        revision
    }

    /// The revisions kept for rollback, newest first (the one
    /// [`Rollouts::rollback`] would restore comes first).
    pub fn history(&self) -> Vec<Revision> {
        let history = self.lock_writer();
        history
            .previous
            .iter()
            .rev()
            .map(|s| s.revision().clone())
            .collect()
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, History> {
        // A writer that panicked mid-change never stored its snapshot (the
        // store is the last step), so the history is still consistent.
        self.shared
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// `next` with each ramped feature that serves in `current` at the
/// percentage it serves there, when that is above `next`'s own: at most its
/// plan's percentage at `now`, so a hand on the dial beyond the plan does
/// not carry over (dial changes last until the next config), and a ramp
/// never restarts below what it had reached, whether its plan was kept,
/// changed, or just given back after a `Layered` override.
fn keep_ramp_progress(current: &Snapshot, next: Snapshot, now: SystemTime) -> Snapshot {
    let reached: Vec<(&str, Percentage)> = next
        .features()
        .filter_map(|f| {
            let plan = f.ramp()?.percentage_at(now)?;
            let kept = current.feature(f.name())?.percentage().min(plan);
            (kept > f.percentage()).then_some((f.name(), kept))
        })
        .collect();
    next.with_percentages(reached).unwrap_or(next)
}

impl History {
    /// `snapshot` with every halted feature at its held percentage, or
    /// `None` if it already is.
    fn enforce_halts(&self, snapshot: &Snapshot) -> Option<Snapshot> {
        let moved = self.halts.iter().filter(|halt| {
            snapshot
                .feature(&halt.feature)
                .is_some_and(|f| f.percentage() != halt.percentage)
        });
        snapshot.with_percentages(moved.map(|halt| (halt.feature.as_str(), halt.percentage)))
    }

    /// Gives `next`'s revision a change number not given before under its
    /// label if it is a change (`+N`) whose number was, and remembers it. A
    /// snapshot `unchanged` from the serving one (put back by an update
    /// that changed nothing) keeps its number; that comparison, a pass over
    /// the features, is made only when the number was given.
    fn number(&mut self, next: &mut Snapshot, unchanged: impl FnOnce(&Snapshot) -> bool) {
        let revision = &next.revision;
        let given = match self
            .numbered
            .iter_mut()
            .find(|(label, _)| **label == *revision.label)
        {
            Some((_, given)) => given,
            None => {
                self.numbered.push((Arc::clone(&revision.label), 0));
                let last = self.numbered.len() - 1;
                &mut self.numbered[last].1
            }
        };
        if revision.edits != 0 && revision.edits <= *given && !unchanged(next) {
            next.revision.edits = given.saturating_add(1);
        }
        *given = (*given).max(next.revision.edits);
    }

    /// Forgets the numbers of labels neither `live` nor any kept snapshot
    /// has: a rollback can no longer reach them.
    fn forget_numbers_out_of_reach(&mut self, live: &Snapshot) {
        let previous = &self.previous;
        self.numbered.retain(|(label, _)| {
            **label == *live.revision.label || previous.iter().any(|s| **label == *s.revision.label)
        });
    }

    /// Keeps `snapshot` for rollback; gives back the one that no longer
    /// fits, for the caller to drop once it has released the writer lock.
    #[must_use]
    fn push(&mut self, snapshot: Arc<Snapshot>) -> Option<Arc<Snapshot>> {
        if self.limit == 0 {
            return Some(snapshot);
        }
        let evicted = if self.previous.len() == self.limit {
            self.previous.pop_front()
        } else {
            None
        };
        self.previous.push_back(snapshot);
        evicted
    }
}

impl fmt::Debug for Rollouts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rollouts")
            .field("serving", &self.revision().to_string())
            .finish()
    }
}

impl Default for Rollouts {
    /// A handle serving [`Snapshot::empty`].
    fn default() -> Self {
        Rollouts::new(Snapshot::empty())
    }
}
