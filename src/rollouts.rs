//! [`Rollouts`]: the live rollout state, shared by every request thread.
//!
//! Readers load the serving [`Snapshot`] through [`arc_swap`]: a load is a
//! few atomic operations, never blocks, never allocates (after a thread's
//! first load) and never sees a half-applied change, because a snapshot is
//! immutable and replaced whole.
//!
//! Writers (a config reloader, an operator's dial, a guard that rolls back)
//! are serialised by a mutex that readers never touch. Each change is
//! copy-on-write: it reads the serving snapshot, builds the next one, keeps
//! the old one in a bounded history and swaps the new one in, all under
//! that mutex, so two concurrent dial changes never lose each other.

use std::collections::VecDeque;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

use crate::{Context, DialError, Metrics, Percentage, Revision, RollbackError, Snapshot};

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
#[derive(Clone)]
pub struct Rollouts {
    shared: Arc<Shared>,
}

struct Shared {
    serving: ArcSwap<Snapshot>,
    /// Held by writers only; readers never touch it.
    writer: Mutex<History>,
    /// Attached to every snapshot as it goes live; `None` records nothing.
    metrics: Option<Metrics>,
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
        if let Some(metrics) = &self.metrics {
            metrics.attach(&mut snapshot);
        }
        Rollouts {
            shared: Arc::new(Shared {
                serving: ArcSwap::from_pointee(snapshot),
                writer: Mutex::new(History {
                    previous: VecDeque::new(),
                    limit: self.history,
                }),
                metrics: self.metrics,
            }),
        }
    }
}

/// Snapshots that served before the current one, newest last.
struct History {
    previous: VecDeque<Arc<Snapshot>>,
    limit: usize,
}

/// The snapshot serving when it was loaded, kept alive for as long as the
/// guard lives, even if a writer replaces it meanwhile.
///
/// Hold it for the length of one request so that every decision in that
/// request comes from the same snapshot; don't keep it for long (it pins
/// the snapshot's memory, and many guards held at once on one thread make
/// later loads slower).
pub struct SnapshotGuard(arc_swap::Guard<Arc<Snapshot>>);

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
    #[inline]
    pub fn is_enabled(&self, feature: &str, unit: &str) -> bool {
        self.shared.serving.load().is_enabled(feature, unit)
    }

    /// Whether the unit of `context` gets `feature` in the serving snapshot,
    /// with its attributes for rules, segments and bucket-by.
    #[inline]
    pub fn is_enabled_with(&self, feature: &str, context: &Context<'_>) -> bool {
        self.shared
            .serving
            .load()
            .evaluate_with(feature, context)
            .is_enabled()
    }

    /// The serving snapshot: for whole [`Decision`](crate::Decision)s (their
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
        SnapshotGuard(self.shared.serving.load())
    }

    /// The serving snapshot as an owned `Arc`, to keep for as long as you
    /// like (slightly dearer than [`Rollouts::load`]).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.serving.load_full()
    }

    /// The revision serving now.
    pub fn revision(&self) -> Revision {
        self.shared.serving.load().revision().clone()
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
    pub fn update<E>(
        &self,
        change: impl FnOnce(&Snapshot) -> Result<Snapshot, E>,
    ) -> Result<Revision, E> {
        let mut history = self.lock_writer();
        let current = self.shared.serving.load_full();
        let mut next = change(&current)?;
        if let Some(metrics) = &self.shared.metrics {
            metrics.attach(&mut next);
        }
        let next = Arc::new(next);
        let revision = next.revision().clone();
        self.shared.serving.store(next);
        history.push(current);
        Ok(revision)
    }

    /// Sets one feature's rollout percentage (the article's
    /// `increase_rollout`; lowering works the same way). Units already in
    /// stay in when it rises: buckets never move.
    pub fn set_percentage(
        &self,
        feature: &str,
        percentage: Percentage,
    ) -> Result<Revision, DialError> {
        self.update(|s| s.with_percentage(feature, percentage))
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
        let revision = previous.revision().clone();
        self.shared.serving.store(previous);
        Ok(revision)
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
        history.previous.truncate(found + 1);
        let target = history
            .previous
            .pop_back()
            .ok_or(RollbackError::NoHistory)?;
        let serving = target.revision().clone();
        self.shared.serving.store(target);
        Ok(serving)
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

impl History {
    fn push(&mut self, snapshot: Arc<Snapshot>) {
        if self.limit == 0 {
            return;
        }
        if self.previous.len() == self.limit {
            self.previous.pop_front();
        }
        self.previous.push_back(snapshot);
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
