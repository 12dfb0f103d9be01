//! [`Reloader`]: fetch, validate, swap — driven by the caller, with no
//! thread or timer of its own. On any failure the last known-good snapshot
//! keeps serving, and the failure is reported and kept in the status.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use crate::{
    ChangeReport, Clock, ConfigError, Fetch, Revision, Rollouts, Snapshot, Source, SystemClock,
};

/// Reloads a [`Rollouts`] handle from a [`Source`], keeping the last
/// known-good snapshot serving whenever a fetch fails or a config is
/// invalid.
///
/// Call [`reload`](Self::reload) when you like: from a loop on a thread of
/// your own, on a file-watch event, on a webhook, or in a test.
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, Reload, Reloader, Rollouts, StaticSource};
///
/// let source = StaticSource::new(Config::new("r1").feature(FeatureConfig::new("f").percentage(5)));
/// let rollouts = Rollouts::default();
/// let mut reloader = Reloader::new(source.clone(), rollouts.clone());
/// assert!(matches!(reloader.reload()?, Reload::Applied(_)));
/// assert!(matches!(reloader.reload()?, Reload::Unchanged));
///
/// // An invalid config never goes live: r1 keeps serving.
/// source.set(Config::new("r2").feature(FeatureConfig::new("f").percentage(140)));
/// let err = reloader.reload().unwrap_err();
/// assert_eq!(err.to_string(), "config rejected: feature `f`: percentage 140 is out of range (0..=100)");
/// assert_eq!(rollouts.revision().to_string(), "r1");
/// assert_eq!(reloader.status().consecutive_failures, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Reloader<S, C = SystemClock> {
    source: S,
    rollouts: Rollouts,
    clock: C,
    status: Arc<Mutex<Progress>>,
}

/// What one [`Reloader::reload`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Reload {
    /// The source reported no change; nothing was parsed or swapped.
    Unchanged,
    /// A new snapshot is serving; what it changed.
    Applied(ChangeReport),
}

/// Why a reload did not apply. The previous snapshot keeps serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReloadError<E: std::error::Error + 'static> {
    /// The source failed (I/O, parsing …).
    #[error("fetching config failed: {0}")]
    Source(#[source] E),
    /// The config did not validate.
    #[error("config rejected: {0}")]
    Invalid(#[source] ConfigError),
}

/// What a service exposes about its config: what serves, when the last
/// reload succeeded, and the last error.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ReloadStatus {
    /// The revision serving now (dial changes included).
    pub serving: Revision,
    /// When a reload last succeeded (applied, or unchanged while no config
    /// the source holds stands rejected).
    pub last_success: Option<SystemTime>,
    /// When the last reload was tried.
    pub last_attempt: Option<SystemTime>,
    /// The last failure's message, cleared by the next applied config (or,
    /// after a source error, by the next answer from the source, unless
    /// the config it holds is one that was rejected).
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// How many reloads swapped in a new snapshot.
    pub applied: u64,
}

/// A clonable view of a [`Reloader`]'s status, for a status endpoint on
/// another thread.
#[derive(Clone, Debug)]
pub struct StatusHandle {
    status: Arc<Mutex<Progress>>,
    rollouts: Rollouts,
}

#[derive(Debug, Default)]
struct Progress {
    last_success: Option<SystemTime>,
    last_attempt: Option<SystemTime>,
    last_error: Option<String>,
    /// Why the source's latest config was rejected, while it stands: an
    /// "unchanged" answer repeats that config, so it still fails.
    rejected: Option<String>,
    consecutive_failures: u32,
    applied: u64,
}

impl<S: Source> Reloader<S> {
    /// A reloader feeding `rollouts` from `source`, timed by the system clock.
    pub fn new(source: S, rollouts: Rollouts) -> Self {
        Self::with_clock(source, rollouts, SystemClock)
    }
}

impl<S: Source, C: Clock> Reloader<S, C> {
    /// A reloader timed by `clock` (see [`ManualClock`](crate::ManualClock)).
    pub fn with_clock(source: S, rollouts: Rollouts, clock: C) -> Self {
        Reloader {
            source,
            rollouts,
            clock,
            status: Arc::default(),
        }
    }

    /// Fetches from the source, validates, and swaps the new snapshot in if
    /// — and only if — it is fully valid. The replaced snapshot goes to the
    /// handle's rollback history.
    ///
    /// A config whose contents equal the serving snapshot's (revision
    /// label aside) is applied all the same, so the revision serving is
    /// the one the source last gave. A source that answers
    /// [`Fetch::Unchanged`](crate::Fetch::Unchanged) leaves the serving
    /// snapshot as it is: dial changes and rollbacks made on the handle
    /// since the source's last config stand until it gives a new one.
    ///
    /// What goes live is the config as the handle's writers would leave it:
    /// halted features stay at their held percentage, and a ramped feature
    /// keeps the percentage it serves, up to its plan's percentage now
    /// (the new plan's, if the config changed it), rather than starting
    /// again from the config's percentage (which still applies when it is
    /// higher). A plan that has not begun yet has no percentage to keep:
    /// the config's own serves until it begins, so postponing a plan's
    /// start turns off the units it had reached. A feature is matched by
    /// name: a renamed one starts again. When either moves a feature, the
    /// revision label shows the edit: `r2+1`, or `r2+2` when kept progress
    /// and a halt both do (one edit each). The [`ChangeReport`]
    /// describes what went live.
    ///
    /// [`Reload::Unchanged`] repeats the source's latest config: after that
    /// config was rejected it leaves the failure standing in the
    /// [status](Self::status) (the source still holds a config that cannot
    /// go live), and only a config that goes live clears it. After a
    /// source error (the source could not answer), an unchanged answer is
    /// a success: the source is back, and what it holds is serving.
    pub fn reload(&mut self) -> Result<Reload, ReloadError<S::Error>> {
        let now = self.clock.now();
        let serving = self.rollouts.revision();
        let outcome = match self.source.fetch(&serving) {
            Err(e) => Err(ReloadError::Source(e)),
            Ok(Fetch::Unchanged) => Ok(Reload::Unchanged),
            Ok(Fetch::Config(config)) => match Snapshot::try_from(config) {
                Err(e) => Err(ReloadError::Invalid(e)),
                Ok(next) => Ok(Reload::Applied(self.rollouts.install_reloaded(next, now))),
            },
        };
        let mut progress = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        progress.last_attempt = Some(now);
        match &outcome {
            // "Unchanged" repeats the source's latest config; if that config
            // was rejected, it still is, and the status must keep saying so
            // (even after a source error in between).
            Ok(Reload::Unchanged) if progress.rejected.is_some() => {
                progress.last_error = progress.rejected.clone();
            }
            Ok(reload) => {
                progress.last_success = Some(now);
                progress.last_error = None;
                progress.rejected = None;
                progress.consecutive_failures = 0;
                progress.applied += u64::from(matches!(reload, Reload::Applied(_)));
            }
            Err(e) => {
                let message = e.to_string();
                if matches!(e, ReloadError::Invalid(_)) {
                    progress.rejected = Some(message.clone());
                }
                progress.last_error = Some(message);
                progress.consecutive_failures = progress.consecutive_failures.saturating_add(1);
            }
        }
        outcome
    }

    /// The status now.
    pub fn status(&self) -> ReloadStatus {
        self.status_handle().get()
    }

    /// A view of the status to hand to another thread.
    pub fn status_handle(&self) -> StatusHandle {
        StatusHandle {
            status: Arc::clone(&self.status),
            rollouts: self.rollouts.clone(),
        }
    }

    /// The source, e.g. to point it elsewhere.
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// The handle this reloader feeds.
    pub fn rollouts(&self) -> &Rollouts {
        &self.rollouts
    }
}

impl StatusHandle {
    /// The status now.
    pub fn get(&self) -> ReloadStatus {
        let p = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        ReloadStatus {
            serving: self.rollouts.revision(),
            last_success: p.last_success,
            last_attempt: p.last_attempt,
            last_error: p.last_error.clone(),
            consecutive_failures: p.consecutive_failures,
            applied: p.applied,
        }
    }
}
