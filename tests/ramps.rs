//! Staged ramps: the plan is a pure, never-decreasing function of time;
//! advancing follows an injected clock; halts hold a feature across ramps,
//! reloads and rollbacks until a person resumes it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gradual::{
    Clock, Config, ConfigError, FeatureConfig, ManualClock, Percentage, RampConfig, RampStep,
    Reloader, Rollouts, Snapshot, StaticSource,
};

const START: &str = "2026-11-24T12:00:00Z";

fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_521_600) // 2026-11-24T12:00:00Z
}

fn plan() -> RampConfig {
    RampConfig::starting(START)
        .step(RampStep::hold(5, "1h"))
        .step(RampStep::hold(25, "2h 30m"))
        .step(RampStep::at(50, "2026-11-25T09:00:00Z"))
        .step(RampStep::at(100, "2026-11-26T09:00:00Z"))
}

fn config(revision: &str) -> Config {
    Config::new(revision).feature(FeatureConfig::new("checkout").percentage(1).ramp(plan()))
}

fn pct(p: u8) -> Percentage {
    Percentage::from_percent(p).expect("in range")
}

#[test]
fn the_plan_is_a_step_function_of_time() {
    let s = Snapshot::try_from(config("r1")).expect("valid");
    let ramp = s.feature("checkout").and_then(|f| f.ramp()).expect("ramp");
    let at = |secs: i64| {
        ramp.percentage_at(if secs < 0 {
            start() - Duration::from_secs((-secs) as u64)
        } else {
            start() + Duration::from_secs(secs as u64)
        })
    };
    assert_eq!(
        at(-1),
        None,
        "before the start the configured percentage applies"
    );
    assert_eq!(at(0), Some(pct(5)));
    assert_eq!(at(3_599), Some(pct(5)));
    assert_eq!(at(3_600), Some(pct(25)));
    assert_eq!(at(3_600 + 9_000 - 1), Some(pct(25)));
    assert_eq!(
        at(3_600 + 9_000),
        Some(pct(25)),
        "the third step begins at its own time"
    );
    let nine_am = 21 * 3_600; // 2026-11-25T09:00Z
    assert_eq!(at(nine_am - 1), Some(pct(25)));
    assert_eq!(at(nine_am), Some(pct(50)));
    let next = ramp.next_change_after(start() + Duration::from_secs(nine_am as u64));
    assert_eq!(
        next,
        Some(start() + Duration::from_secs((nine_am + 86_400) as u64))
    );
    assert_eq!(at(nine_am + 86_400), Some(pct(100)));
    let after_last = start() + Duration::from_secs((nine_am + 86_400) as u64);
    assert_eq!(ramp.next_change_after(after_last), None);
}

#[test]
fn the_plan_never_decreases() {
    let s = Snapshot::try_from(config("r1")).expect("valid");
    let ramp = s.feature("checkout").and_then(|f| f.ramp()).expect("ramp");
    let mut last = Percentage::ZERO;
    for minute in 0..(3 * 24 * 60) {
        let p = ramp
            .percentage_at(start() + Duration::from_secs(minute * 60))
            .unwrap_or(Percentage::ZERO);
        assert!(p >= last, "minute {minute}: {p} after {last}");
        last = p;
    }
    assert_eq!(last, pct(100));
}

#[test]
fn invalid_ramps_are_rejected_with_the_field() {
    let reject = |ramp: RampConfig| {
        Snapshot::try_from(
            Config::new("r").feature(FeatureConfig::new("f").percentage(10).ramp(ramp)),
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        reject(
            RampConfig::starting(START)
                .step(RampStep::hold(25, "1h"))
                .step(RampStep::last(5))
        ),
        "feature `f`: ramp.steps[1].percentage: 5% is below the 25% before it: a ramp never decreases"
    );
    assert_eq!(
        reject(
            RampConfig::starting(START)
                .step(RampStep::last(25))
                .step(RampStep::last(50))
        ),
        "feature `f`: ramp.steps[1]: needs an `at`, or a `hold` on ramp.steps[0]"
    );
    assert_eq!(
        reject(RampConfig::starting(START)),
        "feature `f`: ramp.steps: a ramp needs at least one step"
    );
    assert!(
        reject(RampConfig::starting("tomorrow").step(RampStep::last(50)))
            .starts_with("feature `f`: ramp.start: \"tomorrow\" is not an RFC 3339 time")
    );
    assert!(
        reject(
            RampConfig::starting(START)
                .step(RampStep::hold(20, "soon"))
                .step(RampStep::last(50))
        )
        .starts_with("feature `f`: ramp.steps[0].hold: \"soon\" is not a duration")
    );
    assert_eq!(
        reject(
            RampConfig::starting(START)
                .step(RampStep::last(20))
                .step(RampStep::at(50, "2026-11-24T11:00:00Z"))
        ),
        "feature `f`: ramp.steps[1].at: 2026-11-24T11:00:00Z is before the step it follows"
    );
    assert_eq!(
        reject(RampConfig::starting(START).step(RampStep::at(50, "2026-11-24T11:00:00Z"))),
        "feature `f`: ramp.steps[0].at: 2026-11-24T11:00:00Z is before ramp.start"
    );
    assert!(matches!(
        Snapshot::try_from(Config::new("r").feature(
            FeatureConfig::new("f").ramp(RampConfig::starting(START).step(RampStep::last(140)))
        )),
        Err(ConfigError::PercentageOutOfRange { .. })
    ));
}

/// Ramp times are RFC 3339: `Z` or a numeric offset (the same instant
/// written in another zone), `t`/`z` in either case, a space for the `T`;
/// a time with no offset names no instant and is rejected.
#[test]
fn ramp_times_are_rfc_3339_instants_with_their_offset() {
    let begins = |text: &str| {
        Snapshot::try_from(Config::new("r").feature(
            FeatureConfig::new("f").ramp(RampConfig::starting(text).step(RampStep::last(50))),
        ))
        .map(|s| s.feature("f").and_then(|f| f.ramp()).expect("ramp").steps()[0].0)
        .map_err(|e| e.to_string())
    };
    for same in [
        "2026-11-24T12:00:00Z",
        "2026-11-24T14:00:00+02:00",
        "2026-11-24T07:00:00-05:00",
        "2026-11-24T17:45:00+05:45",
        "2026-11-25T01:30:00+13:30",
        "2026-11-23T23:00:00-13:00",
        "2026-11-24T12:00:00+00:00",
        "2026-11-24T12:00:00-00:00",
        "2026-11-24t12:00:00z",
        "2026-11-24 12:00:00Z",
        "2026-11-24T12:00:00.000Z",
    ] {
        assert_eq!(begins(same), Ok(start()), "{same}");
    }
    assert_eq!(
        begins("2026-11-24T14:00:00.5+02:00"),
        Ok(start() + Duration::from_millis(500))
    );
    for (bad, why) in [
        ("2026-11-24T12:00:00", "no UTC offset"),
        ("2026-11-24T12:00:00+0200", "no UTC offset"),
        ("2026-11-24T12:00:00+24:00", "no UTC offset"),
        ("2026-11-24T12:00:00+02:60", "no UTC offset"),
        ("2026-11-24", "no UTC offset"),
        (
            "2026-11-24T12:00+02:00",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        (
            "2026-11-24T12:00:00Z+01:00",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        (
            "2026-11-24T12:00:00ZZ",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        (
            "2026-11-24T12:00:00Zjunz",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        (
            "2026-11-24T12:00:00.Z",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        (
            "2026-11-24T12:00:00.+01:00",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        (
            "2026-11-24T12:00:00.5xZ",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        (
            "2026-11-24X12:00:00Z",
            "not `YYYY-MM-DDTHH:MM:SS[.fraction]`",
        ),
        ("2026-11-31T12:00:00Z", "out of range"),
        ("2026-13-24T12:00:00Z", "out of range"),
        // Read as :59 by the calendar below: a different instant.
        ("2026-11-24T12:00:60Z", "second 60"),
        ("2016-12-31T23:59:60.5+00:00", "second 60"),
    ] {
        let message = begins(bad).expect_err(bad);
        assert!(
            message.starts_with(&format!(
                "feature `f`: ramp.start: {bad:?} is not an RFC 3339 time ("
            )) && message.contains(why),
            "{bad}: {message}"
        );
    }
}

/// Every step's `hold` is read, including one that the next step's `at`
/// overrides and one on the last step: invalid text never goes live.
#[test]
fn every_hold_is_validated_even_where_unused() {
    let reject = |steps: Vec<RampStep>| {
        let ramp = steps
            .into_iter()
            .fold(RampConfig::starting(START), RampConfig::step);
        Snapshot::try_from(Config::new("r").feature(FeatureConfig::new("f").ramp(ramp)))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let not_a_duration = |field: &str, text: &str| {
        format!("feature `f`: ramp.{field}.hold: {text:?} is not a duration")
    };
    for (steps, field, text) in [
        (vec![RampStep::hold(5, "banana")], "steps[0]", "banana"),
        (
            vec![
                RampStep::hold(5, "banana"),
                RampStep::at(50, "2026-12-01T00:00:00Z"),
            ],
            "steps[0]",
            "banana",
        ),
        (
            vec![RampStep::hold(5, "1h"), RampStep::hold(50, "-1h")],
            "steps[1]",
            "-1h",
        ),
    ] {
        let message = reject(steps).expect_err(text);
        assert!(
            message.starts_with(&not_a_duration(field, text)),
            "{message}"
        );
    }
    // A valid hold that the next step's `at` overrides is accepted.
    assert_eq!(
        reject(vec![
            RampStep::hold(5, "1h"),
            RampStep::at(50, "2026-12-01T00:00:00Z"),
        ]),
        Ok(())
    );
}

#[test]
fn ramps_advance_with_the_injected_clock_and_never_lower() {
    let clock = ManualClock::at(start() - Duration::from_secs(60));
    let rollouts = Rollouts::new(Snapshot::try_from(config("r1")).expect("valid"));
    assert!(rollouts.advance_ramps(clock.now()).is_empty());
    assert_eq!(live(&rollouts), pct(1));
    clock.advance(Duration::from_secs(60));
    let steps = rollouts.advance_ramps(clock.now());
    assert_eq!((steps[0].from, steps[0].to), (pct(1), pct(5)));
    assert!(
        rollouts.advance_ramps(clock.now()).is_empty(),
        "nothing new until the next step"
    );
    // A person raises it above the plan: the ramp never lowers it.
    rollouts.set_percentage("checkout", pct(30)).expect("known");
    clock.advance(Duration::from_secs(3_600));
    assert!(rollouts.advance_ramps(clock.now()).is_empty());
    assert_eq!(live(&rollouts), pct(30));
    clock.advance(Duration::from_secs(2 * 86_400));
    rollouts.advance_ramps(clock.now());
    assert_eq!(live(&rollouts), pct(100));
}

#[test]
fn a_halt_holds_across_ramps_reloads_and_rollbacks_until_resumed() {
    let clock = ManualClock::at(start());
    let source = StaticSource::new(config("r1"));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source.clone(), rollouts.clone());
    reloader.reload().expect("r1");
    rollouts.advance_ramps(clock.now());
    assert_eq!(live(&rollouts), pct(5));

    rollouts
        .halt("checkout", Percentage::ZERO, "errors up", clock.now())
        .expect("known");
    assert_eq!(live(&rollouts), Percentage::ZERO);
    clock.advance(Duration::from_secs(2 * 3_600));
    assert!(
        rollouts.advance_ramps(clock.now()).is_empty(),
        "a halted ramp does not move"
    );
    source.set(config("r2"));
    reloader.reload().expect("r2");
    assert_eq!(
        live(&rollouts),
        Percentage::ZERO,
        "a reload does not undo the halt"
    );
    rollouts.rollback().expect("history");
    assert_eq!(live(&rollouts), Percentage::ZERO, "nor does a rollback");
    assert_eq!(rollouts.halts()[0].cause, "errors up");

    // A person's dial moves the halt with it.
    rollouts.set_percentage("checkout", pct(2)).expect("known");
    assert_eq!(rollouts.halts()[0].percentage, pct(2));
    assert_eq!(live(&rollouts), pct(2));

    let lifted = rollouts.resume("checkout").expect("was halted");
    assert_eq!(lifted.feature, "checkout");
    assert!(rollouts.halts().is_empty());
    rollouts.advance_ramps(clock.now());
    assert_eq!(live(&rollouts), pct(25), "resumed: the plan takes over");
}

/// A reloader over `source` on `clock`, with the config applied and its
/// ramp advanced to the clock's time.
fn reloading(
    source: &StaticSource,
    clock: &ManualClock,
) -> (Rollouts, Reloader<StaticSource, ManualClock>) {
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::with_clock(source.clone(), rollouts.clone(), clock.clone());
    reloader.reload().expect("valid");
    rollouts.advance_ramps(clock.now());
    (rollouts, reloader)
}

fn live(rollouts: &Rollouts) -> Percentage {
    rollouts
        .load()
        .feature("checkout")
        .expect("present")
        .percentage()
}

#[test]
fn a_reload_never_restarts_a_ramp_below_what_it_reached() {
    let clock = ManualClock::at(start() + Duration::from_secs(3_600));
    let source = StaticSource::new(config("r1"));
    let (rollouts, mut reloader) = reloading(&source, &clock);
    assert_eq!(live(&rollouts), pct(25));

    // The same plan, another revision (another feature edited, say).
    source.set(config("r2").feature(FeatureConfig::new("other").percentage(10)));
    let Ok(gradual::Reload::Applied(report)) = reloader.reload() else {
        panic!("r2 applies");
    };
    assert_eq!(live(&rollouts), pct(25), "not back to the config's 1%");
    assert!(
        report.changed().is_empty(),
        "nobody's decision on checkout changed: {report}"
    );
    assert_eq!(report.added(), ["other"]);

    // A new, slower plan: the feature keeps what it serves up to the new
    // plan's percentage now (20%), never restarting from the config's 1%.
    let slower = RampConfig::starting(START)
        .step(RampStep::hold(10, "1h"))
        .step(RampStep::last(20));
    source
        .set(Config::new("r3").feature(FeatureConfig::new("checkout").percentage(1).ramp(slower)));
    reloader.reload().expect("r3");
    assert_eq!(live(&rollouts), pct(20));
    // A plan that has not begun yet keeps nothing: the config's 1% serves.
    let later = RampConfig::starting("2030-01-01T00:00:00Z").step(RampStep::last(50));
    source.set(Config::new("r4").feature(FeatureConfig::new("checkout").percentage(1).ramp(later)));
    reloader.reload().expect("r4");
    assert_eq!(live(&rollouts), pct(1));
}

#[test]
fn a_reload_keeps_ramp_progress_only_as_far_as_the_plan_goes() {
    let clock = ManualClock::at(start() + Duration::from_secs(3_600));
    let source = StaticSource::new(config("r1"));
    let (rollouts, mut reloader) = reloading(&source, &clock);
    // A hand on the dial beyond the plan lasts until the next reload.
    rollouts.set_percentage("checkout", pct(80)).expect("known");
    source.set(config("r2"));
    reloader.reload().expect("r2");
    assert_eq!(
        live(&rollouts),
        pct(25),
        "the plan's 25%, not the hand's 80%"
    );
}

#[test]
fn a_reload_reports_what_goes_live_with_halts_applied() {
    let clock = ManualClock::at(start());
    let source = StaticSource::new(config("r1"));
    let (rollouts, mut reloader) = reloading(&source, &clock);
    rollouts
        .halt("checkout", Percentage::ZERO, "errors up", clock.now())
        .expect("known");
    // The config raises the feature's own percentage.
    source
        .set(Config::new("r2").feature(FeatureConfig::new("checkout").percentage(4).ramp(plan())));
    let report = match reloader.reload() {
        Ok(gradual::Reload::Applied(report)) => report,
        other => panic!("r2 applies: {other:?}"),
    };
    assert_eq!(live(&rollouts), Percentage::ZERO);
    assert!(
        report.changed().is_empty(),
        "the halt holds checkout at 0%, so the reload turns no one on: {report}"
    );
}

#[test]
fn a_step_below_the_feature_s_percentage_never_lowers_it() {
    let raised =
        Config::new("r1").feature(FeatureConfig::new("checkout").percentage(30).ramp(plan()));
    let rollouts = Rollouts::new(Snapshot::try_from(raised).expect("a step below 30% is valid"));
    assert!(
        rollouts
            .advance_ramps(start() + Duration::from_secs(3_600))
            .is_empty()
    );
    assert_eq!(live(&rollouts), pct(30), "the plan's 25% does not lower it");
    let steps = rollouts.advance_ramps(start() + Duration::from_secs(21 * 3_600));
    assert_eq!(steps[0].to, pct(50));
}

#[test]
fn to_config_after_a_ramp_moved_validates_to_the_same_decisions() {
    let rollouts = Rollouts::new(Snapshot::try_from(config("r1")).expect("valid"));
    rollouts.advance_ramps(start() + Duration::from_secs(3_600));
    let moved = rollouts.snapshot();
    let again = Snapshot::try_from(moved.to_config()).expect("to_config validates");
    assert_eq!(
        again.feature("checkout").map(|f| f.percentage()),
        Some(pct(25))
    );
    for i in 0..2_000 {
        let unit = format!("user-{i}");
        assert_eq!(
            again.is_enabled("checkout", &unit),
            moved.is_enabled("checkout", &unit),
            "{unit}"
        );
    }
}

#[test]
fn a_config_above_what_the_ramp_reached_goes_live_as_configured() {
    let clock = ManualClock::at(start() + Duration::from_secs(3_600));
    let source = StaticSource::new(config("r1"));
    let (rollouts, mut reloader) = reloading(&source, &clock);
    assert_eq!(live(&rollouts), pct(25));
    source
        .set(Config::new("r2").feature(FeatureConfig::new("checkout").percentage(30).ramp(plan())));
    reloader.reload().expect("r2");
    assert_eq!(
        live(&rollouts),
        pct(30),
        "the config's own 30%, not the ramp's 25%"
    );
}

/// Every feature that a tick raises goes live in one swap, one edit of the
/// revision label, whatever their number (one copy of the feature list,
/// not one per feature).
#[test]
fn one_advance_raises_every_due_feature_in_one_swap() {
    let mut config = Config::new("r1");
    for i in 0..5 {
        config = config.feature(FeatureConfig::new(format!("f{i}")).ramp(plan()));
    }
    let config = config.feature(FeatureConfig::new("unramped").percentage(3));
    let rollouts = Rollouts::new(Snapshot::try_from(config).expect("valid"));
    let steps = rollouts.advance_ramps(start());
    assert_eq!(steps.len(), 5);
    assert!(steps.iter().all(|s| s.to == pct(5)));
    assert_eq!(rollouts.revision().to_string(), "r1+1");
    assert_eq!(rollouts.history().len(), 1, "one snapshot displaced");
    let live = rollouts.snapshot();
    assert!(
        live.features()
            .filter(|f| f.name() != "unramped")
            .all(|f| f.percentage() == pct(5))
    );
    assert_eq!(
        live.feature("unramped").map(|f| f.percentage()),
        Some(pct(3))
    );
}
