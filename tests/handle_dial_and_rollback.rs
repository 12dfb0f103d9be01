//! The dial (set percentage, kill, revive) and rollback on one thread: each
//! change is visible to the very next read, and rollback restores exactly
//! the snapshot that served before.

use gradual::{
    Config, DialError, FeatureConfig, Percentage, Reason, RollbackError, Rollouts, Snapshot,
};

const FEATURE: &str = "new_checkout_design";

fn rollouts_at(percent: u8) -> Rollouts {
    let config = Config::new("r1")
        .feature(FeatureConfig::new(FEATURE).percentage(percent))
        .feature(FeatureConfig::new("other").percentage(50));
    Rollouts::new(Snapshot::try_from(config).expect("valid"))
}

fn pct(p: u8) -> Percentage {
    Percentage::from_percent(p).expect("in range")
}

fn on_count(rollouts: &Rollouts, n: usize) -> usize {
    (0..n)
        .filter(|i| rollouts.is_enabled(FEATURE, &format!("user-{i}")))
        .count()
}

#[test]
fn raising_keeps_everyone_already_in_and_takes_effect_at_once() {
    let rollouts = rollouts_at(5);
    let before: Vec<bool> = (0..5000)
        .map(|i| rollouts.is_enabled(FEATURE, &format!("user-{i}")))
        .collect();
    let revision = rollouts
        .set_percentage(FEATURE, pct(25))
        .expect("known feature");
    assert_eq!(revision.to_string(), "r1+1");
    assert_eq!(rollouts.revision(), revision);
    for (i, was_on) in before.iter().enumerate() {
        let unit = format!("user-{i}");
        let now_on = rollouts.is_enabled(FEATURE, &unit);
        assert!(!was_on || now_on, "{unit} was dropped by raising 5% -> 25%");
        assert_eq!(now_on, gradual::bucket(FEATURE, &unit).percent() < 25);
    }
}

#[test]
fn lowering_to_zero_turns_everyone_off() {
    let rollouts = rollouts_at(25);
    assert!(on_count(&rollouts, 2000) > 0);
    rollouts
        .set_percentage(FEATURE, Percentage::ZERO)
        .expect("known");
    assert_eq!(on_count(&rollouts, 2000), 0);
}

#[test]
fn kill_and_revive() {
    let rollouts = rollouts_at(100);
    assert_eq!(on_count(&rollouts, 100), 100);
    rollouts.kill(FEATURE).expect("known");
    assert_eq!(on_count(&rollouts, 100), 0);
    assert_eq!(
        rollouts.load().evaluate(FEATURE, "user-1").reason(),
        Reason::Killed
    );
    // The other feature is untouched.
    assert!(rollouts.load().feature("other").expect("present").enabled());
    rollouts.revive(FEATURE).expect("known");
    assert_eq!(on_count(&rollouts, 100), 100);
    assert_eq!(
        rollouts
            .load()
            .feature(FEATURE)
            .expect("present")
            .percentage(),
        pct(100)
    );
}

#[test]
fn dial_on_unknown_feature_changes_nothing() {
    let rollouts = rollouts_at(5);
    let err = rollouts.set_percentage("no_such", pct(50)).unwrap_err();
    assert_eq!(err.to_string(), "feature `no_such` is not in revision r1");
    assert!(matches!(err, DialError::UnknownFeature { .. }));
    assert_eq!(rollouts.kill("no_such").unwrap_err(), err);
    assert_eq!(rollouts.revision().to_string(), "r1");
    assert!(
        rollouts.history().is_empty(),
        "a failed change must not enter the history"
    );
}

#[test]
fn rollback_restores_the_previous_snapshot_exactly() {
    let rollouts = rollouts_at(5);
    let original = rollouts.snapshot();
    rollouts.set_percentage(FEATURE, pct(25)).expect("known");
    rollouts.kill(FEATURE).expect("known");
    assert_eq!(
        rollouts
            .history()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["r1+1", "r1"]
    );

    assert_eq!(rollouts.rollback().expect("history").to_string(), "r1+1");
    assert_eq!(
        rollouts
            .load()
            .feature(FEATURE)
            .expect("present")
            .percentage(),
        pct(25)
    );
    assert_eq!(rollouts.rollback().expect("history").to_string(), "r1");
    assert!(std::sync::Arc::ptr_eq(&rollouts.snapshot(), &original));
    assert_eq!(rollouts.rollback().unwrap_err(), RollbackError::NoHistory);
    assert_eq!(
        rollouts.rollback().unwrap_err().to_string(),
        "no earlier revision to roll back to"
    );
}

#[test]
fn replace_then_rollback_returns_to_last_known_good_config() {
    let rollouts = rollouts_at(5);
    let bad = Config::new("r2").feature(FeatureConfig::new(FEATURE).percentage(100));
    assert_eq!(
        rollouts
            .replace(Snapshot::try_from(bad).expect("valid"))
            .to_string(),
        "r2"
    );
    assert_eq!(on_count(&rollouts, 500), 500);
    rollouts.rollback().expect("history");
    assert_eq!(rollouts.revision().to_string(), "r1");
    assert!(rollouts.load().feature("other").is_some());
}

#[test]
fn rollback_to_a_named_revision_forgets_what_came_after() {
    let rollouts = rollouts_at(5);
    for p in [10, 20, 30] {
        rollouts.set_percentage(FEATURE, pct(p)).expect("known");
    }
    assert_eq!(rollouts.revision().to_string(), "r1+3");
    assert_eq!(
        rollouts.rollback_to("r1+1").expect("kept").to_string(),
        "r1+1"
    );
    assert_eq!(
        rollouts
            .load()
            .feature(FEATURE)
            .expect("present")
            .percentage(),
        pct(10)
    );
    assert_eq!(
        rollouts
            .history()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["r1"]
    );
    let err = rollouts.rollback_to("r9").unwrap_err();
    assert_eq!(
        err.to_string(),
        "revision r9 is not in the rollback history"
    );
    assert_eq!(
        rollouts.revision().to_string(),
        "r1+1",
        "a failed rollback changes nothing"
    );
}

#[test]
fn history_is_bounded() {
    let snapshot =
        Snapshot::try_from(Config::new("r1").feature(FeatureConfig::new(FEATURE))).expect("valid");
    let rollouts = Rollouts::with_history(snapshot, 3);
    for p in 1..=10 {
        rollouts.set_percentage(FEATURE, pct(p)).expect("known");
    }
    let kept: Vec<String> = rollouts.history().iter().map(ToString::to_string).collect();
    assert_eq!(kept, ["r1+9", "r1+8", "r1+7"]);

    let none = Rollouts::with_history(Snapshot::empty(), 0);
    none.replace(Snapshot::empty());
    assert_eq!(none.rollback().unwrap_err(), RollbackError::NoHistory);
}

#[test]
fn snapshots_past_the_history_are_freed() {
    let rollouts = Rollouts::with_history(Snapshot::empty(), 2);
    let first = std::sync::Arc::downgrade(&rollouts.snapshot());
    rollouts.replace(Snapshot::empty()); // first: kept
    rollouts.replace(Snapshot::empty()); // first: still kept
    assert!(first.upgrade().is_some());
    rollouts.replace(Snapshot::empty()); // first: evicted
    assert!(first.upgrade().is_none());

    let none = Rollouts::with_history(Snapshot::empty(), 0);
    let displaced = std::sync::Arc::downgrade(&none.snapshot());
    none.replace(Snapshot::empty());
    assert!(displaced.upgrade().is_none());
}

#[test]
fn snapshots_a_rollback_forgets_are_freed() {
    let at = |r: &str| Snapshot::try_from(Config::new(r)).expect("valid");
    let rollouts = Rollouts::with_history(at("r1"), 5);
    rollouts.replace(at("r2"));
    let r2 = std::sync::Arc::downgrade(&rollouts.snapshot());
    rollouts.replace(at("r3"));
    let r3 = std::sync::Arc::downgrade(&rollouts.snapshot());
    rollouts.rollback_to("r1").expect("kept");
    assert_eq!(rollouts.revision().to_string(), "r1");
    assert!(r2.upgrade().is_none(), "forgotten");
    assert!(r3.upgrade().is_none(), "displaced");
    assert!(rollouts.history().is_empty());
}

#[test]
fn a_guard_keeps_serving_its_snapshot_across_a_swap() {
    let rollouts = rollouts_at(100);
    let guard = rollouts.load();
    rollouts.kill(FEATURE).expect("known");
    assert!(
        guard.is_enabled(FEATURE, "user-1"),
        "the guard pins the snapshot it loaded"
    );
    assert!(
        !rollouts.is_enabled(FEATURE, "user-1"),
        "the next load sees the kill"
    );
}

#[test]
fn clones_share_state() {
    let rollouts = rollouts_at(0);
    let reloader = rollouts.clone();
    reloader.set_percentage(FEATURE, pct(100)).expect("known");
    assert!(rollouts.is_enabled(FEATURE, "anyone"));
    assert_eq!(format!("{rollouts:?}"), "Rollouts { serving: \"r1+1\" }");
}

#[test]
fn a_reader_follows_every_swap() {
    let rollouts = rollouts_at(100);
    let mut reader = rollouts.reader();
    assert!(reader.is_enabled(FEATURE, "user-1"));
    rollouts.kill(FEATURE).expect("known");
    assert!(!reader.is_enabled(FEATURE, "user-1"), "a dial change");
    rollouts.rollback().expect("history");
    assert!(reader.is_enabled(FEATURE, "user-1"), "a rollback");
    rollouts.replace(Snapshot::empty());
    assert!(!reader.is_enabled(FEATURE, "user-1"), "a replace");
    assert_eq!(reader.snapshot().revision().label(), "empty");
    // Readers on other threads, each with its own cache.
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let rollouts = rollouts.clone();
            std::thread::spawn(move || {
                let mut reader = rollouts.reader();
                (0..1000)
                    .filter(|i| reader.is_enabled(FEATURE, &format!("u{i}")))
                    .count()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("reader thread"), 0);
    }
}

/// A change made after a rollback takes a number its label has not given
/// yet: `r1+1` names one snapshot only, so logs and `rollback_to` never
/// confuse the one rolled back with the one after it.
#[test]
fn a_change_after_a_rollback_gets_a_number_of_its_own() {
    let rollouts = rollouts_at(5);
    assert_eq!(
        rollouts
            .set_percentage(FEATURE, pct(25))
            .expect("known")
            .to_string(),
        "r1+1"
    );
    assert_eq!(rollouts.rollback().expect("kept").to_string(), "r1");
    let killed = rollouts.kill(FEATURE).expect("known");
    assert_eq!(killed.to_string(), "r1+2");
    assert_eq!(killed.edits(), 2);
    // Further changes count on from there; the history shows each once.
    assert_eq!(
        rollouts
            .set_percentage("other", pct(10))
            .expect("known")
            .to_string(),
        "r1+3"
    );
    let history: Vec<String> = rollouts.history().iter().map(ToString::to_string).collect();
    assert_eq!(history, ["r1+2", "r1"]);
    assert_eq!(
        rollouts.rollback_to("r1+2").expect("kept").to_string(),
        "r1+2"
    );
    assert!(
        !rollouts.is_enabled(FEATURE, "anyone"),
        "the killed snapshot, not the 25% one"
    );
    // An update that changes nothing keeps the serving number.
    let same = rollouts
        .update(|s| Ok::<_, DialError>(s.clone()))
        .expect("no error");
    assert_eq!(same.to_string(), "r1+2");
}

/// Every revision in reach (serving and kept) names one snapshot, whatever
/// numbers the snapshots came with: a handle built from an edited snapshot,
/// and another handle's snapshot that carries the serving revision.
#[test]
fn snapshots_from_elsewhere_do_not_repeat_a_revision_in_reach() {
    let in_reach = |r: &Rollouts| {
        let mut all: Vec<String> = r.history().iter().map(ToString::to_string).collect();
        all.push(r.revision().to_string());
        all
    };
    let distinct = |all: &[String]| {
        let mut sorted = all.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted.len() == all.len()
    };
    let base = || rollouts_at(5).snapshot();

    // Built from an edited snapshot (r1+1), then back to r1 and a change.
    let rollouts = Rollouts::new(base().with_percentage(FEATURE, pct(25)).expect("known"));
    rollouts.replace((*base()).clone());
    assert_eq!(rollouts.kill(FEATURE).expect("known").to_string(), "r1+2");
    assert!(distinct(&in_reach(&rollouts)), "{:?}", in_reach(&rollouts));

    // Another handle's r1+1, a different state from this one's r1+1.
    let (a, b) = (rollouts_at(5), rollouts_at(5));
    a.set_percentage(FEATURE, pct(25)).expect("known");
    b.kill(FEATURE).expect("known");
    assert_eq!(a.replace((*b.snapshot()).clone()).to_string(), "r1+2");
    assert!(distinct(&in_reach(&a)), "{:?}", in_reach(&a));
    assert!(!a.is_enabled(FEATURE, "anyone"));
}
