//! A guarded, staged rollout, simulated: `new_checkout_design` ramps
//! 5% → 25% → 50% → 100%, each step held three minutes. The new checkout is
//! healthy at first (1% errors, like the old one); five minutes in, it
//! starts failing three times as often. The guard lets the ramp advance
//! while the evidence says healthy, and rolls it back by itself within two
//! batches of the degradation. Time is a manual clock, so the twelve
//! simulated minutes take a few seconds.
//!
//! Run with `cargo run --release --example guarded_rollout`.

use std::time::Duration;

use gradual::{
    Clock, Cohort, Config, FeatureConfig, Guard, GuardConfig, GuardEvent, ManualClock, Outcome,
    RampConfig, RampStep, Rollouts, Snapshot,
};

const FEATURE: &str = "new_checkout_design";
const REQUESTS_PER_SECOND: u64 = 1_000;
const OLD_ERROR_RATE: f64 = 0.01;
const DEGRADES_AFTER: Duration = Duration::from_secs(5 * 60);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::new("checkout-2026-11-24").feature(
        FeatureConfig::new(FEATURE)
            .ramp(
                RampConfig::starting("2026-11-24T12:00:00Z")
                    .step(RampStep::hold(5, "3m"))
                    .step(RampStep::hold(25, "3m"))
                    .step(RampStep::hold(50, "3m"))
                    .step(RampStep::last(100)),
            )
            .guard(GuardConfig::new(1.0, 4_000)),
    );
    let rollouts = Rollouts::new(Snapshot::try_from(config)?);
    let start = humantime::parse_rfc3339("2026-11-24T12:00:00Z")?;
    let clock = ManualClock::at(start);
    let guard = Guard::with_clock(rollouts.clone(), clock.clone());
    let mut rng = Rng(2026);

    println!(
        "guard: roll back when the new path's error rate is significantly more than 1 point above the old one's;"
    );
    println!(
        "       advance when it is confidently within 1 point; batches of 4,000 outcomes per path\n"
    );
    let mut user = 0u64;
    let (mut degraded_at, mut rolled_back_at, mut treatment_since_onset) = (None, None, 0u64);
    for second in 0..(12 * 60) {
        let elapsed = Duration::from_secs(second);
        let degraded = elapsed >= DEGRADES_AFTER;
        if degraded && degraded_at.is_none() {
            degraded_at = Some(clock.now());
            println!(
                "{}  (simulation: the new checkout starts failing 3% of requests)",
                stamp(clock.now())
            );
        }
        // One simulated second of traffic: each request asks the handle,
        // takes its path, and reports how it went.
        let snapshot = rollouts.load();
        for _ in 0..REQUESTS_PER_SECOND {
            user += 1;
            let decision = snapshot.evaluate(FEATURE, &format!("user-{}", user % 250_000));
            let cohort = Cohort::of(&decision);
            let error_rate = match cohort {
                Cohort::Treatment if degraded => 3.0 * OLD_ERROR_RATE,
                _ => OLD_ERROR_RATE,
            };
            if degraded && cohort == Cohort::Treatment && rolled_back_at.is_none() {
                treatment_since_onset += 1;
            }
            guard.record(FEATURE, cohort, Outcome::from_ok(!rng.chance(error_rate)));
        }
        drop(snapshot);

        for event in guard.tick() {
            if let GuardEvent::RolledBack { .. } = event {
                rolled_back_at.get_or_insert(clock.now());
            }
            println!("{event}");
        }
        if second % 60 == 59 {
            let f = rollouts
                .load()
                .feature(FEATURE)
                .map(|f| f.percentage().to_string())
                .unwrap_or_default();
            println!(
                "{}  status: serving {} at {f}",
                stamp(clock.now()),
                rollouts.revision()
            );
        }
        clock.advance(Duration::from_secs(1));
    }

    println!();
    match (degraded_at, rolled_back_at) {
        (Some(d), Some(r)) => println!(
            "rolled back {} s after the new path degraded, after {treatment_since_onset} new-path requests (budget: two batches, 8,000)",
            r.duration_since(d)?.as_secs()
        ),
        _ => println!("no rollback happened"),
    }
    for halt in rollouts.halts() {
        println!(
            "halted until a person resumes it: {} at {} — {}",
            halt.feature, halt.percentage, halt.cause
        );
    }
    Ok(())
}

fn stamp(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// splitmix64, seeded: the same simulation every run.
struct Rng(u64);

impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}
