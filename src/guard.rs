//! [`Guard`]: a guarded rollout — the new path's health is compared with
//! the old one's, and the ramp advances, holds, or rolls back by itself.
//!
//! # What the service does
//!
//! For a feature whose config has a `guard` (and usually a `ramp`):
//!
//! 1. On each request, after it completes, [`Guard::record`] the outcome —
//!    success or failure, optionally its latency — with the request's
//!    [`Cohort`]: *treatment* if the feature was on (the new path),
//!    *control* if off (the old one). Recording is lock-free.
//! 2. Every so often (a second, say), call [`Guard::tick`]. It judges the
//!    evidence, rolls back at once through the handle if the new path is
//!    worse, and otherwise lets the ramp advance when the evidence says the
//!    new path is healthy. It returns what it did, for the operator's log.
//!
//! # The statistical rule
//!
//! Outcomes are judged in consecutive **batches**: a batch closes when both
//! cohorts have at least `min_samples` outcomes since the previous one, and
//! each batch is judged on its own. With `n` outcomes and `f` failures per
//! cohort, error rates are estimated as `p = (f + 1) / (n + 2)` (which
//! behaves at 0 and 1), their difference `d = p_t − p_c` has standard error
//! `se = sqrt(p_t(1 − p_t)/(n_t + 2) + p_c(1 − p_c)/(n_c + 2))`, and with
//! `z = 3` ([`GuardPolicy::Z`]) and the tolerated increase `δ`:
//!
//! - **roll back** when `d > δ` and `d − z·se > 0`: the increase is larger
//!   than tolerated *and* statistically significant;
//! - **healthy** when `d + z·se ≤ δ`: the increase is confidently within
//!   tolerance (the ramp may take its next step: one step, however far its
//!   plan has run ahead, so each step is judged before the next);
//! - **inconclusive** otherwise (the ramp holds where it is).
//!
//! With a latency bound, mean latencies are compared the same way (means
//! and variances from the batch's sums), and either comparison can roll
//! back; both must be healthy to advance.
//!
//! # What it promises
//!
//! - **False rollbacks**: on healthy traffic (equal error rates), a batch
//!   rolls back with probability at most `P(Z > 3) ≈ 0.135%` (normal
//!   approximation), so a ramp judged over `B` batches rolls back falsely
//!   with probability at most `B × 0.135%`.
//! - **Detection**: an increase `Δ` is caught by the first batch that
//!   starts after it begins with probability `Φ((Δ − max(δ, z·se)) / se)`;
//!   so the sample budget after onset is at most **two batches** of
//!   treatment outcomes (the one in progress and the next) whenever `Δ`
//!   exceeds `max(δ, z·se)` by three standard errors or more — for example
//!   an error rate tripling from 1% to 3% with `min_samples` = 4,000 and
//!   `δ` = 1 point (`se` ≈ 0.31 points) is caught within two batches with
//!   probability above 99.9%.
//! - **Advancing needs evidence**: to call a batch healthy the guard needs
//!   `n ≥ 2·z²·p(1 − p)/δ²` outcomes per cohort at the very least (about
//!   1,800 for `p` = 1%, `δ` = 1 point) and, to pass most batches of
//!   healthy traffic, about twice that; choose `min_samples` accordingly,
//!   or ramps will hold.
//! - **A rollback is immediate and sticks**: the feature goes to 0% through
//!   [`Rollouts::halt`] with the verdict as its cause, and stays there —
//!   across ramps, reloads and rollbacks — until a person calls
//!   [`Rollouts::resume`]. The ramp then starts again from its first step.
//! - **A rollback undoes the rollout, not the targeting**: like the
//!   article's "set the percentage back to 0" (and LaunchDarkly's guarded
//!   rollouts), it takes the percentage to 0%, so units an allow list or a
//!   rule serves on (test accounts, staff) keep the new path, and a feature
//!   at 0% is not judged. To take them off as well, kill the feature
//!   ([`Rollouts::kill`]) on the [`GuardEvent::RolledBack`] event.
//! - **A person's halt stops the ramp, not the guard**: a feature halted
//!   above 0% ([`Rollouts::halt`], to pause a ramp) is still judged, and
//!   rolled back if its new path degrades.
//! - **Each step is judged at its own percentage**: when a person or a
//!   reload moves a feature rather than the guard (`set_percentage`, a
//!   `halt` lower, a config raising it), the batch in progress still rolls
//!   it back if it shows the new path broken, but a healthy verdict on it
//!   does not count for the new step: the next batch does. What is
//!   recorded while a feature is at 0% is no step's evidence, nor is what
//!   counters made before the guard's first look at a feature hold. The
//!   outcomes of a feature whose guard a reload removed are dropped the
//!   next time counters are tracked (a tick, or a first outcome of another
//!   newly guarded feature); if the guard is back before that, they are
//!   judged with the rest.
//!
//! The tests in `tests/guard_quality.rs` check both bounds over many
//! seeded simulations.

use core::fmt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;

use crate::striped::Striped;
use crate::{Clock, Decision, Percentage, Rollouts, SystemClock};

/// A feature's validated guard thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardPolicy {
    max_error_increase: f64,
    min_samples: u64,
    max_latency_increase_ms: Option<f64>,
}

impl GuardPolicy {
    /// The z-score of the guard's confidence bounds (one-sided 99.865%).
    pub const Z: f64 = 3.0;
    /// The least `min_samples` a config may set: below it the normal
    /// approximation behind the bounds is not worth trusting.
    pub const MIN_SAMPLES: u64 = 100;

    pub(crate) fn new(
        max_error_increase: f64,
        min_samples: u64,
        max_latency_increase_ms: Option<f64>,
    ) -> Self {
        GuardPolicy {
            max_error_increase,
            min_samples,
            max_latency_increase_ms,
        }
    }

    /// The tolerated error-rate increase, as a fraction (0.01 = 1 point).
    pub fn max_error_increase(&self) -> f64 {
        self.max_error_increase
    }

    /// Outcomes per cohort in each judged batch.
    pub fn min_samples(&self) -> u64 {
        self.min_samples
    }

    /// The tolerated mean-latency increase, in milliseconds.
    pub fn max_latency_increase_ms(&self) -> Option<f64> {
        self.max_latency_increase_ms
    }
}

/// Which path a request took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cohort {
    /// The feature was on: the new path.
    Treatment,
    /// The feature was off: the old path.
    Control,
}

impl Cohort {
    /// The cohort of a request that got `decision`.
    pub fn of(decision: &Decision<'_>) -> Self {
        if decision.is_enabled() {
            Cohort::Treatment
        } else {
            Cohort::Control
        }
    }

    fn base(self) -> usize {
        match self {
            Cohort::Treatment => 0,
            Cohort::Control => COUNTERS_PER_COHORT,
        }
    }
}

/// How one request went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    ok: bool,
    latency: Option<Duration>,
}

impl Outcome {
    /// The request succeeded.
    pub fn success() -> Self {
        Outcome {
            ok: true,
            latency: None,
        }
    }

    /// The request failed.
    pub fn failure() -> Self {
        Outcome {
            ok: false,
            latency: None,
        }
    }

    /// Success or failure from a flag.
    pub fn from_ok(ok: bool) -> Self {
        Outcome { ok, latency: None }
    }

    /// With the request's latency, for a latency bound.
    #[must_use]
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }
}

/// Per cohort: successes, failures, latency samples, latency sum and sum of
/// squares (in units of 10 µs, so a squared second fits many times in u64).
const COUNTERS_PER_COHORT: usize = 5;
const SUCCESS: usize = 0;
const FAILURE: usize = 1;
const LAT_N: usize = 2;
const LAT_SUM: usize = 3;
const LAT_SQ: usize = 4;
const LATENCY_UNIT_US: f64 = 10.0;

type Totals = [u64; 2 * COUNTERS_PER_COHORT];

/// What the guard did, for an operator's timeline.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GuardEvent {
    /// A batch was judged.
    Judged {
        /// The feature.
        feature: String,
        /// When.
        at: SystemTime,
        /// The verdict.
        verdict: Verdict,
        /// Treatment outcomes and failures in the batch.
        treatment: (u64, u64),
        /// Control outcomes and failures in the batch.
        control: (u64, u64),
    },
    /// The ramp took a step.
    Advanced {
        /// The feature.
        feature: String,
        /// When.
        at: SystemTime,
        /// The percentage before.
        from: Percentage,
        /// The percentage now.
        to: Percentage,
    },
    /// The ramp is due a step, but the evidence does not yet say healthy.
    Held {
        /// The feature.
        feature: String,
        /// When.
        at: SystemTime,
        /// The percentage it holds at.
        at_percentage: Percentage,
        /// The step it waits to take.
        due: Percentage,
    },
    /// The feature was rolled back to 0% and halted.
    RolledBack {
        /// The feature.
        feature: String,
        /// When.
        at: SystemTime,
        /// The percentage it was at.
        from: Percentage,
        /// The verdict's explanation.
        cause: String,
    },
}

/// A batch's judgement.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Confidently within tolerance: the ramp may advance.
    Healthy,
    /// Not enough evidence either way: the ramp holds.
    Inconclusive,
    /// Confidently worse than tolerated: roll back. The text explains.
    Degraded(String),
}

/// Watches guarded features and acts on their health; see the
/// [module docs](self) for the rule and its guarantees.
///
/// # Examples
///
/// ```
/// use std::time::UNIX_EPOCH;
/// use gradual::{Cohort, Config, FeatureConfig, Guard, GuardConfig, ManualClock, Outcome, Rollouts, Snapshot};
///
/// let rollouts = Rollouts::new(Snapshot::try_from(Config::new("r1").feature(
///     FeatureConfig::new("checkout").percentage(10).guard(GuardConfig::new(1.0, 500)),
/// ))?);
/// let clock = ManualClock::at(UNIX_EPOCH);
/// let guard = Guard::with_clock(rollouts.clone(), clock.clone());
///
/// // The new path fails one request in five, the old one none.
/// for i in 0..500 {
///     guard.record("checkout", Cohort::Treatment, Outcome::from_ok(i % 5 != 0));
///     guard.record("checkout", Cohort::Control, Outcome::success());
/// }
/// let events = guard.tick();
/// assert!(events.iter().any(|e| matches!(e, gradual::GuardEvent::RolledBack { .. })));
/// assert!(!rollouts.is_enabled("checkout", "anyone")); // at 0%, halted
/// assert_eq!(rollouts.halts()[0].feature, "checkout");
/// # Ok::<(), gradual::ConfigError>(())
/// ```
pub struct Guard<C = SystemClock> {
    rollouts: Rollouts,
    clock: C,
    /// Outcome counters of each guarded feature, read lock-free by `record`
    /// (hashed with foldhash, like the snapshot's index: it is looked up
    /// on every request).
    outcomes: ArcSwap<Outcomes>,
    /// Writer-side judging state, per feature.
    state: Mutex<HashMap<String, Judging>>,
}

type Outcomes = HashMap<Box<str>, Arc<Striped>, foldhash::fast::RandomState>;

#[derive(Default)]
struct Judging {
    /// The counters `consumed` was read from: counters made afresh (the
    /// guard given back after a tick dropped them) start a new judging.
    counters: Option<Arc<Striped>>,
    /// Totals at the start of the batch in progress.
    consumed: Totals,
    /// The last batch judged at the current step was healthy.
    healthy: bool,
    /// The step a `Held` event was last reported for.
    held_for: Option<Percentage>,
    /// The percentage the feature was at when last seen by a tick.
    at: Option<Percentage>,
    /// The batch in progress began at another percentage (a person or a
    /// reload moved the feature): a degraded verdict on it still rolls
    /// back, a healthy one does not count for the step it is at now.
    mixed: bool,
}

impl Guard<SystemClock> {
    /// A guard over `rollouts`, timed by the system clock.
    pub fn new(rollouts: Rollouts) -> Self {
        Guard::with_clock(rollouts, SystemClock)
    }
}

impl<C: Clock> Guard<C> {
    /// A guard timed by `clock`.
    pub fn with_clock(rollouts: Rollouts, clock: C) -> Self {
        let guard = Guard {
            rollouts,
            clock,
            outcomes: ArcSwap::default(),
            state: Mutex::default(),
        };
        guard.track_guarded_features();
        guard
    }

    /// Records one request's outcome. Lock-free; outcomes for a feature
    /// with no guard in the serving config are ignored (for one whose guard
    /// a reload removed, once counters are next tracked: see the module
    /// docs). A feature that a
    /// reload or a `replace` has just made guarded is counted from its
    /// first outcome (its counters are made then, not at the next tick).
    #[inline]
    pub fn record(&self, feature: &str, cohort: Cohort, outcome: Outcome) {
        self.count(feature, |counts| add_outcome(counts, cohort, outcome));
    }

    /// Records outcomes counted elsewhere (a service that aggregates per
    /// interval): `ok` successes and `failed` failures, without latency.
    pub fn record_counts(&self, feature: &str, cohort: Cohort, ok: u64, failed: u64) {
        self.count(feature, |counts| {
            let stripe = counts.stripe();
            counts.add(stripe, cohort.base() + SUCCESS, ok);
            counts.add(stripe, cohort.base() + FAILURE, failed);
        });
    }

    /// Adds to `feature`'s counters with `add`, if it is guarded.
    #[inline]
    fn count(&self, feature: &str, add: impl FnOnce(&Striped)) {
        let outcomes = self.outcomes.load();
        match outcomes.get(feature) {
            Some(counts) => add(counts),
            None => {
                if let Some(counts) = self.newly_guarded(feature) {
                    add(&counts);
                }
            }
        }
    }

    /// The counters of `feature` if it is guarded in the serving config
    /// but has none yet: it became guarded (by a reload or a `replace`)
    /// since they were last tracked. `None` for a feature with no guard.
    #[cold]
    fn newly_guarded(&self, feature: &str) -> Option<Arc<Striped>> {
        if !is_guarded(&self.rollouts.load(), feature) {
            return None;
        }
        self.track_guarded_features();
        self.outcomes.load().get(feature).cloned()
    }

    /// Judges what has been recorded, rolls back degraded features, and
    /// advances ramps whose evidence is healthy (ramps without a guard
    /// advance on schedule). Returns what happened, oldest first.
    pub fn tick(&self) -> Vec<GuardEvent> {
        let now = self.clock.now();
        self.track_guarded_features();
        let mut events = Vec::new();
        let snapshot = self.rollouts.snapshot();
        let outcomes = self.outcomes.load();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Judging state goes with the counters (of features no longer
        // guarded, or no longer there).
        state.retain(|name, _| outcomes.contains_key(name.as_str()));

        for feature in snapshot.features() {
            let (Some(policy), Some(counts)) = (feature.guard(), outcomes.get(feature.name()))
            else {
                continue;
            };
            let judging = state.entry(feature.name().to_owned()).or_default();
            let totals = read(counts);
            if !judging
                .counters
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(c, counts))
            {
                // New counters: everything in them is this guard's evidence,
                // but what they hold may have been recorded at another
                // percentage (or at 0%) before this tick.
                *judging = Judging {
                    counters: Some(Arc::clone(counts)),
                    at: Some(feature.percentage()),
                    mixed: totals != Totals::default(),
                    ..Judging::default()
                };
            }
            if judging.at != Some(feature.percentage()) {
                // Moved by a person or a reload, not by this guard: the
                // outcomes since the last batch (if any) may be from before.
                judging.at = Some(feature.percentage());
                judging.healthy = false;
                judging.mixed = totals != judging.consumed;
            }
            // A feature at 0% (rolled back, or not started) has no new path
            // to judge: what is recorded meanwhile is no step's evidence.
            // One that a person halted above 0% is still judged: the halt
            // stops its ramp, not its guard.
            if feature.percentage() == Percentage::ZERO {
                judging.consumed = totals;
                continue;
            }
            let batch: Totals =
                core::array::from_fn(|i| totals[i].wrapping_sub(judging.consumed[i]));
            let (n_t, n_c) = (
                batch[SUCCESS].saturating_add(batch[FAILURE]),
                batch[COUNTERS_PER_COHORT + SUCCESS]
                    .saturating_add(batch[COUNTERS_PER_COHORT + FAILURE]),
            );
            if n_t < policy.min_samples || n_c < policy.min_samples {
                continue;
            }
            judging.consumed = totals;
            let verdict = judge(policy, &batch);
            events.push(GuardEvent::Judged {
                feature: feature.name().to_owned(),
                at: now,
                verdict: verdict.clone(),
                treatment: (n_t, batch[FAILURE]),
                control: (n_c, batch[COUNTERS_PER_COHORT + FAILURE]),
            });
            judging.healthy = verdict == Verdict::Healthy && !judging.mixed;
            judging.mixed = false;
            if let Verdict::Degraded(cause) = verdict {
                let from = feature.percentage();
                if self
                    .rollouts
                    .halt(feature.name(), Percentage::ZERO, &cause, now)
                    .is_ok()
                {
                    events.push(GuardEvent::RolledBack {
                        feature: feature.name().to_owned(),
                        at: now,
                        from,
                        cause,
                    });
                }
            }
        }

        let mut held = Vec::new();
        let advanced = self.rollouts.advance_ramps_with(|feature, ramp| {
            // Unguarded ramps go on schedule.
            if feature.guard().is_none() {
                return ramp.percentage_at(now);
            }
            // A guarded one climbs one step at a time, each on the evidence
            // of a healthy batch at the step below, however far its plan
            // has run ahead (after a hold, or a resume). Its first step from
            // 0% needs none: there is no new path to judge yet.
            let due = ramp.next_step_above(feature.percentage(), now)?;
            let judging = state.entry(feature.name().to_owned()).or_default();
            // Healthy at the percentage it serves now: a person or a reload
            // may have moved it since the judging above.
            let healthy_here = judging.healthy && judging.at == Some(feature.percentage());
            if feature.percentage() == Percentage::ZERO || healthy_here {
                return Some(due);
            }
            if judging.held_for != Some(due) {
                judging.held_for = Some(due);
                held.push(GuardEvent::Held {
                    feature: feature.name().to_owned(),
                    at: now,
                    at_percentage: feature.percentage(),
                    due,
                });
            }
            None
        });
        events.extend(held);
        for change in advanced {
            if let Some(judging) = state.get_mut(&change.feature) {
                // Judge the new step on its own evidence only.
                judging.healthy = false;
                judging.held_for = None;
                judging.at = Some(change.to);
                judging.mixed = false;
                if let Some(counts) = outcomes.get(change.feature.as_str()) {
                    judging.consumed = read(counts);
                }
            }
            events.push(GuardEvent::Advanced {
                feature: change.feature,
                at: now,
                from: change.from,
                to: change.to,
            });
        }
        events
    }

    /// The handle this guard acts on.
    pub fn rollouts(&self) -> &Rollouts {
        &self.rollouts
    }

    /// Makes sure every guarded feature of the serving config has counters,
    /// and no other feature does.
    ///
    /// Request threads may call this at once (see `newly_guarded`), so the
    /// map is replaced by compare-and-swap from the one it was built from
    /// (`rcu`): counters another thread added, and counted into, are kept.
    fn track_guarded_features(&self) {
        let snapshot = self.rollouts.load();
        let current = self.outcomes.load();
        let missing = snapshot
            .features()
            .any(|f| f.guard().is_some() && !current.contains_key(f.name()));
        let stale = current.keys().any(|name| !is_guarded(&snapshot, name));
        if !missing && !stale {
            return;
        }
        let stripes = crate::striped::DEFAULT_STRIPES;
        self.outcomes.rcu(|current| {
            // The serving config as of this attempt: one loaded before a
            // retry may be older than the one a racing thread built from.
            let snapshot = self.rollouts.load();
            // Counters of a feature no longer guarded go: its outcomes are
            // ignored from now on, and a guard it gets back starts afresh.
            let mut next: Outcomes = (**current).clone();
            next.retain(|name, _| is_guarded(&snapshot, name));
            for f in snapshot.features().filter(|f| f.guard().is_some()) {
                next.entry(f.name().into())
                    .or_insert_with(|| Arc::new(Striped::new(2 * COUNTERS_PER_COHORT, stripes)));
            }
            next
        });
    }
}

/// Whether `snapshot` has a feature of that name with a guard.
fn is_guarded(snapshot: &crate::Snapshot, name: &str) -> bool {
    snapshot.feature(name).is_some_and(|f| f.guard().is_some())
}

/// Adds one request's outcome to a feature's counters.
#[inline]
fn add_outcome(counts: &Striped, cohort: Cohort, outcome: Outcome) {
    let stripe = counts.stripe();
    let base = cohort.base();
    counts.add(stripe, base + if outcome.ok { SUCCESS } else { FAILURE }, 1);
    if let Some(latency) = outcome.latency {
        let units = (latency.as_secs_f64() * 1e6 / LATENCY_UNIT_US).round() as u64;
        counts.add(stripe, base + LAT_N, 1);
        counts.add(stripe, base + LAT_SUM, units);
        counts.add(stripe, base + LAT_SQ, units.saturating_mul(units));
    }
}

fn read(counts: &Striped) -> Totals {
    core::array::from_fn(|i| counts.total(i))
}

/// Judges one batch by the rule in the module docs.
fn judge(policy: &GuardPolicy, batch: &Totals) -> Verdict {
    let z = GuardPolicy::Z;
    let cohort = |base: usize| {
        let (ok, failed) = (batch[base + SUCCESS] as f64, batch[base + FAILURE] as f64);
        let n = ok + failed + 2.0;
        let p = (failed + 1.0) / n;
        (p, p * (1.0 - p) / n, failed / (ok + failed))
    };
    let (p_t, var_t, raw_t) = cohort(0);
    let (p_c, var_c, raw_c) = cohort(COUNTERS_PER_COHORT);
    let d = p_t - p_c;
    let se = (var_t + var_c).sqrt();
    let tolerance = policy.max_error_increase;
    if d > tolerance && d - z * se > 0.0 {
        return Verdict::Degraded(format!(
            "error rate {:.2}% on the new path vs {:.2}% on the old (+{:.2} points, tolerated {:.2}, z = {z})",
            raw_t * 100.0,
            raw_c * 100.0,
            (raw_t - raw_c) * 100.0,
            tolerance * 100.0
        ));
    }
    let mut healthy = d + z * se <= tolerance;
    if let Some(bound_ms) = policy.max_latency_increase_ms {
        let stats = |base: usize| {
            let n = batch[base + LAT_N] as f64;
            let mean = batch[base + LAT_SUM] as f64 / n.max(1.0);
            let var = (batch[base + LAT_SQ] as f64 / n.max(1.0) - mean * mean).max(0.0);
            (
                n,
                mean * LATENCY_UNIT_US / 1000.0,
                var * (LATENCY_UNIT_US / 1000.0).powi(2),
            )
        };
        let (n_t, mean_t, var_t) = stats(0);
        let (n_c, mean_c, var_c) = stats(COUNTERS_PER_COHORT);
        if n_t >= policy.min_samples as f64 && n_c >= policy.min_samples as f64 {
            let d = mean_t - mean_c;
            let se = (var_t / n_t + var_c / n_c).sqrt();
            if d > bound_ms && d - z * se > 0.0 {
                return Verdict::Degraded(format!(
                    "mean latency {mean_t:.1} ms on the new path vs {mean_c:.1} ms on the old (+{d:.1} ms, tolerated {bound_ms:.1}, z = {z})"
                ));
            }
            healthy &= d + z * se <= bound_ms;
        } else {
            healthy = false;
        }
    }
    if healthy {
        Verdict::Healthy
    } else {
        Verdict::Inconclusive
    }
}

impl<C> fmt::Debug for Guard<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("rollouts", &self.rollouts)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for GuardEvent {
    /// One line for an operator's timeline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |t: &SystemTime| humantime::format_rfc3339_seconds(*t).to_string();
        match self {
            GuardEvent::Judged {
                feature,
                at: t,
                verdict,
                treatment,
                control,
            } => {
                let verdict = match verdict {
                    Verdict::Healthy => "healthy".to_owned(),
                    Verdict::Inconclusive => "inconclusive".to_owned(),
                    Verdict::Degraded(why) => format!("DEGRADED: {why}"),
                };
                write!(
                    f,
                    "{} {feature}: batch judged {verdict} (new path {}/{} failed, old path {}/{} failed)",
                    at(t),
                    treatment.1,
                    treatment.0,
                    control.1,
                    control.0
                )
            }
            GuardEvent::Advanced {
                feature,
                at: t,
                from,
                to,
            } => write!(f, "{} {feature}: ramp advanced {from} -> {to}", at(t)),
            GuardEvent::Held {
                feature,
                at: t,
                at_percentage,
                due,
            } => {
                write!(
                    f,
                    "{} {feature}: ramp holds at {at_percentage} (due {due}; waiting for healthy evidence)",
                    at(t)
                )
            }
            GuardEvent::RolledBack {
                feature,
                at: t,
                from,
                cause,
            } => {
                write!(
                    f,
                    "{} {feature}: ROLLED BACK {from} -> 0% and halted: {cause}",
                    at(t)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(t: (u64, u64), c: (u64, u64)) -> Totals {
        let mut b = [0; 2 * COUNTERS_PER_COHORT];
        b[SUCCESS] = t.0 - t.1;
        b[FAILURE] = t.1;
        b[COUNTERS_PER_COHORT + SUCCESS] = c.0 - c.1;
        b[COUNTERS_PER_COHORT + FAILURE] = c.1;
        b
    }

    #[test]
    fn the_rule_on_worked_examples() {
        let policy = GuardPolicy::new(0.01, 1000, None);
        // 6% vs 2% over 1,000 each: +4 points, se ~ 0.0087: degraded.
        assert!(matches!(
            judge(&policy, &batch((1000, 60), (1000, 20))),
            Verdict::Degraded(_)
        ));
        // 2% vs 2% over 10,000 each: se ~ 0.002, d + 3se ~ 0.006 <= 0.01: healthy.
        assert_eq!(
            judge(&policy, &batch((10_000, 200), (10_000, 200))),
            Verdict::Healthy
        );
        // 2% vs 2% over 1,000 each: too little evidence to call healthy.
        assert_eq!(
            judge(&policy, &batch((1000, 20), (1000, 20))),
            Verdict::Inconclusive
        );
        // 3% vs 2%: +1 point, not more than tolerated: never a rollback.
        assert!(!matches!(
            judge(&policy, &batch((100_000, 3000), (100_000, 2000))),
            Verdict::Degraded(_)
        ));
    }
}
