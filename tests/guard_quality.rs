//! The guard's quality over many seeded simulations, against the bounds its
//! docs promise (`gradual::guard`): how often it rolls back healthy traffic,
//! and how many outcomes it needs to catch an error rate that triples.
//!
//! Scenario (the docs' example): the old path fails 1% of requests, a
//! degraded new path 3%; the tolerated increase is 1 point; batches of
//! 4,000 outcomes per cohort.

use std::time::UNIX_EPOCH;

mod common;

use common::SplitMix64;
use gradual::{
    Clock, Cohort, Config, FeatureConfig, Guard, GuardConfig, GuardEvent, ManualClock, Outcome,
    Percentage, RampConfig, RampStep, Rollouts, Snapshot, Verdict,
};

const MIN_SAMPLES: u64 = 4_000;
const BASE_ERROR: f64 = 0.01;
const DEGRADED_ERROR: f64 = 0.03;

/// A small, seeded generator ([`SplitMix64`]), so every run is the same run.
struct Rng(SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// Failures among `n` outcomes each failing with probability `p`.
    fn failures(&mut self, n: u64, p: f64) -> u64 {
        (0..n).filter(|_| self.chance(p)).count() as u64
    }
}

fn guarded(percent: u8) -> (Rollouts, Guard<ManualClock>) {
    let rollouts = Rollouts::new(
        Snapshot::try_from(
            Config::new("sim").feature(
                FeatureConfig::new("checkout")
                    .percentage(percent)
                    .guard(GuardConfig::new(1.0, MIN_SAMPLES)),
            ),
        )
        .expect("valid"),
    );
    let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
    (rollouts, guard)
}

fn rolled_back(events: &[GuardEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, GuardEvent::RolledBack { .. }))
}

/// Healthy traffic (equal error rates) over `BATCHES` batches per run: the
/// docs bound a run's false-rollback probability by `BATCHES × 0.135%`.
#[test]
fn false_rollbacks_on_healthy_traffic_stay_within_the_bound() {
    const RUNS: usize = 150;
    const BATCHES: usize = 10;
    let bound = BATCHES as f64 * 0.00135;
    let mut rng = Rng(SplitMix64::new(20_261_123));
    let mut false_rollbacks = 0;
    let (mut judged, mut ticks) = (0, 0);
    for _ in 0..RUNS {
        let (_rollouts, guard) = guarded(50);
        for _ in 0..BATCHES {
            for cohort in [Cohort::Treatment, Cohort::Control] {
                let failed = rng.failures(MIN_SAMPLES, BASE_ERROR);
                guard.record_counts("checkout", cohort, MIN_SAMPLES - failed, failed);
            }
            let events = guard.tick();
            ticks += 1;
            judged += events
                .iter()
                .filter(|e| matches!(e, GuardEvent::Judged { .. }))
                .count();
            if rolled_back(&events) {
                false_rollbacks += 1;
                break;
            }
        }
    }
    assert_eq!(judged, ticks, "every batch was judged");
    let rate = false_rollbacks as f64 / RUNS as f64;
    // The bound, plus three binomial standard deviations for a finite run.
    let allowed = bound + 3.0 * (bound * (1.0 - bound) / RUNS as f64).sqrt();
    assert!(
        rate <= allowed,
        "{false_rollbacks} false rollbacks in {RUNS} runs ({rate:.4} > {allowed:.4})"
    );
}

/// The new path degrades part-way through a batch; the docs promise a
/// rollback within two batches of treatment outcomes after the onset with
/// probability above 99.9% for this scenario.
#[test]
fn a_tripled_error_rate_is_caught_within_two_batches() {
    const RUNS: usize = 200;
    let mut rng = Rng(SplitMix64::new(7));
    let mut delays = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let (rollouts, guard) = guarded(50);
        // One healthy batch first, then the onset somewhere in the next.
        let failed = rng.failures(MIN_SAMPLES, BASE_ERROR);
        guard.record_counts("checkout", Cohort::Treatment, MIN_SAMPLES - failed, failed);
        let failed = rng.failures(MIN_SAMPLES, BASE_ERROR);
        guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES - failed, failed);
        assert!(!rolled_back(&guard.tick()));
        let onset = rng.next() % MIN_SAMPLES;
        let mut after_onset = 0u64;
        let mut caught = false;
        for batch in 0..4 {
            let healthy_part = if batch == 0 { onset } else { 0 };
            for i in 0..MIN_SAMPLES {
                let p = if i < healthy_part {
                    BASE_ERROR
                } else {
                    DEGRADED_ERROR
                };
                guard.record(
                    "checkout",
                    Cohort::Treatment,
                    Outcome::from_ok(!rng.chance(p)),
                );
                after_onset += u64::from(i >= healthy_part);
            }
            let failed = rng.failures(MIN_SAMPLES, BASE_ERROR);
            guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES - failed, failed);
            if rolled_back(&guard.tick()) {
                caught = true;
                break;
            }
        }
        assert!(caught, "not caught within four batches");
        assert_eq!(
            rollouts
                .load()
                .feature("checkout")
                .expect("present")
                .percentage(),
            Percentage::ZERO
        );
        delays.push(after_onset);
    }
    let within_two = delays.iter().filter(|&&d| d <= 2 * MIN_SAMPLES).count();
    assert!(
        within_two as f64 >= 0.99 * RUNS as f64,
        "only {within_two} of {RUNS} within two batches"
    );
    delays.sort_unstable();
    println!(
        "treatment outcomes from onset to rollback: median {}, max {}",
        delays[RUNS / 2],
        delays[RUNS - 1]
    );
}

#[test]
fn a_healthy_ramp_advances_and_an_inconclusive_one_holds() {
    let (rollouts, guard, clock) = guarded_ramp();
    let percent = || percent_of(&rollouts);

    // The first step needs no evidence: there is no new path yet.
    assert!(
        guard
            .tick()
            .iter()
            .any(|e| matches!(e, GuardEvent::Advanced { .. }))
    );
    assert_eq!(percent(), "5%");

    // Due for 25%, but too few outcomes to judge: it holds, once reported.
    clock.advance(std::time::Duration::from_secs(600));
    guard.record_counts("checkout", Cohort::Treatment, 100, 1);
    let events = guard.tick();
    assert!(
        events.iter().any(|e| matches!(e, GuardEvent::Held { .. })),
        "{events:?}"
    );
    assert!(guard.tick().is_empty(), "the hold is reported once");
    assert_eq!(percent(), "5%");

    // A batch of healthy evidence, equal error rates, many outcomes.
    guard.record_counts(
        "checkout",
        Cohort::Treatment,
        3 * MIN_SAMPLES - 100,
        3 * MIN_SAMPLES / 100,
    );
    guard.record_counts(
        "checkout",
        Cohort::Control,
        3 * MIN_SAMPLES,
        3 * MIN_SAMPLES / 100,
    );
    let events = guard.tick();
    assert!(
        events.iter().any(|e| matches!(
            e,
            GuardEvent::Judged {
                verdict: Verdict::Healthy,
                ..
            }
        )),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, GuardEvent::Advanced { .. }))
    );
    assert_eq!(percent(), "25%");

    // The next step must be earned again at 25%.
    clock.advance(std::time::Duration::from_secs(600));
    assert!(
        guard
            .tick()
            .iter()
            .any(|e| matches!(e, GuardEvent::Held { .. }))
    );
    assert_eq!(percent(), "25%");
}

#[test]
fn a_rollback_stays_until_a_person_resumes() {
    let (rollouts, guard) = guarded(20);
    guard.record_counts("checkout", Cohort::Treatment, MIN_SAMPLES - 400, 400);
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES - 40, 40);
    let events = guard.tick();
    let cause = events
        .iter()
        .find_map(|e| match e {
            GuardEvent::RolledBack { cause, .. } => Some(cause.clone()),
            _ => None,
        })
        .expect("rolled back");
    assert_eq!(
        cause,
        "error rate 10.00% on the new path vs 1.00% on the old (+9.00 points, tolerated 1.00, z = 3)"
    );
    assert_eq!(rollouts.halts()[0].cause, cause);
    // Healthy evidence afterwards changes nothing while halted.
    guard.record_counts("checkout", Cohort::Treatment, 10 * MIN_SAMPLES, 0);
    guard.record_counts("checkout", Cohort::Control, 10 * MIN_SAMPLES, 0);
    assert!(guard.tick().is_empty());
    assert!(!rollouts.is_enabled("checkout", "anyone"));
    rollouts.resume("checkout").expect("halted");
    rollouts
        .set_percentage("checkout", Percentage::from_percent(20).expect("20"))
        .expect("known");
    assert!(rollouts.halts().is_empty());
}

#[test]
fn a_latency_bound_rolls_back_slow_new_paths() {
    let rollouts = Rollouts::new(
        Snapshot::try_from(
            Config::new("r1").feature(
                FeatureConfig::new("checkout")
                    .percentage(50)
                    .guard(GuardConfig::new(1.0, 500).max_latency_increase_ms(20.0)),
            ),
        )
        .expect("valid"),
    );
    let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
    let mut rng = Rng(SplitMix64::new(99));
    for _ in 0..500 {
        let jitter = rng.next() % 20;
        let fast = std::time::Duration::from_millis(100 + jitter);
        let slow = std::time::Duration::from_millis(160 + jitter);
        guard.record(
            "checkout",
            Cohort::Control,
            Outcome::success().with_latency(fast),
        );
        guard.record(
            "checkout",
            Cohort::Treatment,
            Outcome::success().with_latency(slow),
        );
    }
    let events = guard.tick();
    let rolled = events.iter().find_map(|e| match e {
        GuardEvent::RolledBack { cause, .. } => Some(cause.as_str()),
        _ => None,
    });
    assert!(
        rolled.is_some_and(|c| c.starts_with("mean latency 169.")),
        "{events:?}"
    );
}

#[test]
fn outcomes_for_unguarded_features_are_ignored() {
    let rollouts = Rollouts::new(
        Snapshot::try_from(Config::new("r1").feature(FeatureConfig::new("plain").percentage(50)))
            .expect("valid"),
    );
    let guard = Guard::with_clock(rollouts, ManualClock::at(UNIX_EPOCH));
    guard.record_counts("plain", Cohort::Treatment, 0, 1_000_000);
    guard.record("unknown", Cohort::Treatment, Outcome::failure());
    assert!(guard.tick().is_empty());
}

/// A guarded feature on a four-step plan, ten minutes a step, from 0%.
fn guarded_ramp() -> (Rollouts, Guard<ManualClock>, ManualClock) {
    let rollouts = Rollouts::new(
        Snapshot::try_from(
            Config::new("r1").feature(
                FeatureConfig::new("checkout")
                    .guard(GuardConfig::new(1.0, MIN_SAMPLES))
                    .ramp(
                        RampConfig::starting("1970-01-01T00:00:00Z")
                            .step(RampStep::hold(5, "10m"))
                            .step(RampStep::hold(25, "10m"))
                            .step(RampStep::hold(50, "10m"))
                            .step(RampStep::last(100)),
                    ),
            ),
        )
        .expect("valid"),
    );
    let clock = ManualClock::at(UNIX_EPOCH);
    let guard = Guard::with_clock(rollouts.clone(), clock.clone());
    (rollouts, guard, clock)
}

fn percent_of(rollouts: &Rollouts) -> String {
    let snapshot = rollouts.load();
    snapshot
        .feature("checkout")
        .expect("present")
        .percentage()
        .to_string()
}

/// One batch of equal error rates (1%) in both cohorts: healthy.
fn healthy_batch(guard: &Guard<ManualClock>) {
    for cohort in [Cohort::Treatment, Cohort::Control] {
        guard.record_counts("checkout", cohort, 3 * MIN_SAMPLES, 3 * MIN_SAMPLES / 100);
    }
}

fn steps_taken(events: &[GuardEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            GuardEvent::Advanced { from, to, .. } => Some((from.to_string(), to.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_guarded_ramp_behind_its_plan_climbs_one_step_per_healthy_batch() {
    let (rollouts, guard, clock) = guarded_ramp();
    guard.tick();
    assert_eq!(percent_of(&rollouts), "5%");

    // Held at 5% for lack of evidence while the plan runs on to 100%.
    clock.advance(std::time::Duration::from_secs(40 * 60));
    let events = guard.tick();
    assert!(
        events.iter().any(|e| matches!(
            e,
            GuardEvent::Held { due, .. } if due.to_string() == "25%"
        )),
        "it waits for the next step, not the plan's last: {events:?}"
    );

    // Each healthy batch earns one step; 100% (no control group left to
    // judge against) is reached only through 25% and 50%.
    let mut taken = Vec::new();
    for _ in 0..3 {
        healthy_batch(&guard);
        taken.extend(steps_taken(&guard.tick()));
        assert!(
            steps_taken(&guard.tick()).is_empty(),
            "no step without a new batch"
        );
    }
    let pairs = [("5%", "25%"), ("25%", "50%"), ("50%", "100%")];
    let want: Vec<(String, String)> = pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(taken, want);
}

#[test]
fn after_a_resume_a_guarded_ramp_starts_again_from_its_first_step() {
    let (rollouts, guard, clock) = guarded_ramp();
    guard.tick();
    guard.record_counts("checkout", Cohort::Treatment, MIN_SAMPLES - 400, 400);
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES - 40, 40);
    assert!(rolled_back(&guard.tick()));
    assert_eq!(percent_of(&rollouts), "0%");

    clock.advance(std::time::Duration::from_secs(60 * 60));
    rollouts.resume("checkout").expect("halted");
    let events = guard.tick();
    assert_eq!(
        steps_taken(&events),
        [("0%".to_string(), "5%".to_string())],
        "back to the first step, not to where the plan has got to"
    );
}

/// `Rollouts::advance_ramps` leaves guarded features to their guard: on
/// schedule it would skip the evidence, and after a rollback and `resume`
/// put the feature straight back where the plan has got to.
#[test]
fn advance_ramps_leaves_a_guarded_feature_to_its_guard() {
    let (rollouts, guard, clock) = guarded_ramp();
    clock.advance(std::time::Duration::from_secs(25 * 60));
    assert!(rollouts.advance_ramps(clock.now()).is_empty());
    assert_eq!(percent_of(&rollouts), "0%");

    guard.tick();
    guard.record_counts("checkout", Cohort::Treatment, MIN_SAMPLES - 400, 400);
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES - 40, 40);
    assert!(rolled_back(&guard.tick()));
    rollouts.resume("checkout").expect("halted");
    assert!(rollouts.advance_ramps(clock.now()).is_empty());
    assert_eq!(percent_of(&rollouts), "0%");
    assert_eq!(
        steps_taken(&guard.tick()),
        [("0%".to_string(), "5%".to_string())]
    );
}

/// `checkout` at 10%, with a guard or without.
fn checkout_at_10(guarded: bool) -> Snapshot {
    at_10(&[("checkout", guarded)])
}

/// Features at 10%, each with a guard or without.
fn at_10(features: &[(&str, bool)]) -> Snapshot {
    let config = features
        .iter()
        .fold(Config::new("r"), |config, &(name, guarded)| {
            let f = FeatureConfig::new(name).percentage(10);
            config.feature(if guarded {
                f.guard(GuardConfig::new(1.0, MIN_SAMPLES))
            } else {
                f
            })
        });
    Snapshot::try_from(config).expect("valid")
}

/// Outcomes for a feature that a `replace` (or a reload) has just made
/// guarded are counted from the first, not dropped until the next tick.
#[test]
fn a_feature_guarded_by_a_reload_is_counted_before_the_next_tick() {
    let rollouts = Rollouts::new(checkout_at_10(false));
    let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
    rollouts.replace(checkout_at_10(true));
    // One outcome at a time and in bulk, both before any tick.
    for _ in 0..MIN_SAMPLES {
        guard.record("checkout", Cohort::Treatment, Outcome::failure());
    }
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES - 5, 5);
    assert!(rolled_back(&guard.tick()));
    assert_eq!(percent_of(&rollouts), "0%");
}

/// Request threads that all meet a newly guarded feature at once make its
/// counters together: none of their outcomes is lost to another thread's
/// copy of the counter map.
#[test]
fn threads_meeting_a_newly_guarded_feature_at_once_lose_no_outcome() {
    const THREADS: u64 = 4;
    for round in 0..40 {
        let rollouts = Rollouts::new(checkout_at_10(false));
        let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
        rollouts.replace(checkout_at_10(true));
        let start = std::sync::Barrier::new(THREADS as usize);
        // Exactly one batch of failures on the new path, split over the
        // threads: a single lost outcome leaves the batch short, unjudged.
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    start.wait();
                    for _ in 0..MIN_SAMPLES / THREADS {
                        guard.record("checkout", Cohort::Treatment, Outcome::failure());
                    }
                });
            }
        });
        guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES, 0);
        assert!(rolled_back(&guard.tick()), "round {round}");
    }
}

/// A healthy verdict belongs to the percentage it was reached at: moved by
/// a person (or a reload) to a step the guard never judged, the feature
/// waits for a batch there before the guard raises it further.
#[test]
fn a_step_set_by_hand_is_judged_before_the_guard_raises_it() {
    let (rollouts, guard, clock) = guarded_ramp();
    guard.tick();
    assert_eq!(percent_of(&rollouts), "5%");
    healthy_batch(&guard);
    guard.tick();
    rollouts
        .set_percentage("checkout", Percentage::from_percent(50).expect("in range"))
        .expect("known");
    clock.advance(std::time::Duration::from_secs(40 * 60));
    assert!(steps_taken(&guard.tick()).is_empty(), "no batch at 50% yet");
    assert_eq!(percent_of(&rollouts), "50%");
    healthy_batch(&guard);
    assert_eq!(
        steps_taken(&guard.tick()),
        [("50%".to_string(), "100%".to_string())]
    );
}

/// Outcomes recorded while a feature has no guard are not kept for a
/// guard it gets back: that guard judges fresh evidence only.
#[test]
fn a_guard_given_back_does_not_judge_outcomes_from_without_one() {
    let rollouts = Rollouts::new(checkout_at_10(true));
    let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
    guard.tick();
    rollouts.replace(checkout_at_10(false));
    guard.tick();
    // Failures while unguarded: ignored.
    guard.record_counts("checkout", Cohort::Treatment, 0, MIN_SAMPLES);
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES, 0);
    guard.tick();
    rollouts.replace(checkout_at_10(true));
    assert!(guard.tick().is_empty(), "nothing to judge yet");
    assert_eq!(percent_of(&rollouts), "10%");
}

/// A guard given back after its counters were dropped (here by a request
/// thread meeting another newly guarded feature) judges its new counters
/// from their start, not against totals read from the old ones.
#[test]
fn a_guard_given_back_judges_its_new_counters_from_their_start() {
    let rollouts = Rollouts::new(at_10(&[("z", true), ("y", false)]));
    let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
    guard.record_counts("z", Cohort::Treatment, MIN_SAMPLES, 40);
    guard.record_counts("z", Cohort::Control, MIN_SAMPLES + 40, 0);
    assert!(
        guard
            .tick()
            .iter()
            .any(|e| matches!(e, GuardEvent::Judged { .. }))
    );
    rollouts.replace(at_10(&[("z", false), ("y", true)]));
    guard.record("y", Cohort::Control, Outcome::success());
    rollouts.replace(at_10(&[("z", true), ("y", true)]));
    guard.record("z", Cohort::Treatment, Outcome::success());
    guard.record("z", Cohort::Control, Outcome::success());
    assert!(guard.tick().is_empty(), "two outcomes are no batch");
}

/// Outcomes recorded before the guard first looks at a feature may be from
/// another percentage (here 0%): a healthy verdict on them does not raise
/// the ramp; the next batch, all at the step, does.
#[test]
fn outcomes_from_before_the_first_look_do_not_raise_a_ramp() {
    let (rollouts, guard, clock) = guarded_ramp();
    healthy_batch(&guard);
    rollouts
        .set_percentage("checkout", Percentage::from_percent(5).expect("in range"))
        .expect("known");
    clock.advance(std::time::Duration::from_secs(15 * 60));
    assert!(
        steps_taken(&guard.tick()).is_empty(),
        "0% outcomes raised it"
    );
    healthy_batch(&guard);
    assert_eq!(
        steps_taken(&guard.tick()),
        [("5%".to_string(), "25%".to_string())]
    );
}

/// A batch in progress that shows the new path broken still rolls it back
/// after a person moved the feature (raised it, or halted it lower to
/// pause): only a healthy verdict is not carried to the new percentage.
#[test]
fn a_broken_new_path_is_rolled_back_across_a_move_by_hand() {
    for (to, halt) in [(50, false), (5, true)] {
        let rollouts = Rollouts::new(checkout_at_10(true));
        let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
        guard.tick();
        guard.record_counts("checkout", Cohort::Treatment, MIN_SAMPLES - 1000, 1000);
        guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES, 0);
        let to = Percentage::from_percent(to).expect("in range");
        if halt {
            rollouts
                .halt("checkout", to, "pausing", UNIX_EPOCH)
                .expect("known");
        } else {
            rollouts.set_percentage("checkout", to).expect("known");
        }
        assert!(rolled_back(&guard.tick()), "to {to}, halt {halt}");
        assert_eq!(percent_of(&rollouts), "0%");
    }
}

/// What is recorded while a feature sits at 0% is no step's evidence: set
/// back to its percentage by hand, it is judged on what comes after.
#[test]
fn outcomes_recorded_at_zero_are_no_step_s_evidence() {
    let rollouts = Rollouts::new(checkout_at_10(true));
    let guard = Guard::with_clock(rollouts.clone(), ManualClock::at(UNIX_EPOCH));
    guard.tick();
    rollouts
        .set_percentage("checkout", Percentage::ZERO)
        .expect("known");
    guard.tick();
    guard.record_counts("checkout", Cohort::Treatment, MIN_SAMPLES, 0);
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES, 0);
    assert!(guard.tick().is_empty(), "nothing judged at 0%");
    rollouts
        .set_percentage("checkout", Percentage::from_percent(10).expect("in range"))
        .expect("known");
    assert!(guard.tick().is_empty(), "the 0% outcomes are not a batch");
}

#[test]
fn a_person_s_halt_stops_the_ramp_but_not_the_guard() {
    let (rollouts, guard, clock) = guarded_ramp();
    guard.tick();
    healthy_batch(&guard);
    guard.tick();
    clock.advance(std::time::Duration::from_secs(10 * 60));
    healthy_batch(&guard);
    guard.tick();
    assert_eq!(percent_of(&rollouts), "25%");

    rollouts
        .halt(
            "checkout",
            Percentage::from_percent(25).expect("25"),
            "paused for the sale",
            clock.now(),
        )
        .expect("known");
    // Healthy evidence: judged, but the halt holds the ramp.
    clock.advance(std::time::Duration::from_secs(60 * 60));
    healthy_batch(&guard);
    assert!(steps_taken(&guard.tick()).is_empty());
    assert_eq!(percent_of(&rollouts), "25%");

    // The new path degrades while paused: the guard still rolls it back.
    guard.record_counts("checkout", Cohort::Treatment, MIN_SAMPLES - 400, 400);
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES - 40, 40);
    assert!(rolled_back(&guard.tick()));
    assert_eq!(percent_of(&rollouts), "0%");
    assert!(rollouts.halts()[0].cause.starts_with("error rate 10.00%"));
}

#[test]
fn counts_near_the_top_of_u64_do_not_overflow_the_judging() {
    let (_rollouts, guard) = guarded(50);
    guard.record_counts("checkout", Cohort::Treatment, u64::MAX - 10, 1_000);
    guard.record_counts("checkout", Cohort::Control, MIN_SAMPLES, 0);
    // Judged without panicking (the sample counts saturate).
    guard.tick();
}
