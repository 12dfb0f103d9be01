//! `FeatureName`, and names given as text (which a reader and a snapshot's
//! index remember where they found): evaluating through a name that
//! remembers gives exactly the decision of the name looked up, whatever
//! snapshots it has seen before and however many threads share it.

mod common;

use std::sync::Arc;

use common::cases;
use gradual::{
    ConditionConfig, Config, Context, FeatureConfig, FeatureName, Operator, Reason, Rollouts,
    RuleConfig, Serve, Snapshot, Value,
};
use proptest::prelude::*;

/// Names that differ late, or only in length, and names for every
/// comparison width: short, 17 to 32 bytes, longer.
const NAMES: [&str; 8] = [
    "a",
    "b",
    "checkout_v1",
    "checkout_v2",
    "new_checkout_design2",
    "new_checkout_design3",
    "a_much_longer_feature_name_past_thirty_two_bytes_1",
    "a_much_longer_feature_name_past_thirty_two_bytes_2",
];

/// A feature of each kind a decision can come from, picked by `kind`.
fn feature(name: &str, kind: u8, percentage: u8) -> FeatureConfig {
    let f = FeatureConfig::new(name).percentage(percentage);
    match kind % 5 {
        0 => f,
        1 => f.enabled(false),
        2 => f.allow(["unit-1"]).deny(["unit-2"]),
        3 => f.rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new(
            "country",
            Operator::In,
            ["NL"],
        ))),
        _ => f.salt(format!("{name}-salt")),
    }
}

/// A snapshot of some of `NAMES`, in the order given, each with a kind
/// and a percentage.
fn snapshot(revision: usize, features: &[(usize, u8, u8)]) -> Snapshot {
    let mut config = Config::new(format!("r{revision}"));
    let mut seen = [false; NAMES.len()];
    for &(which, kind, percentage) in features {
        if !std::mem::replace(&mut seen[which], true) {
            config = config.feature(feature(NAMES[which], kind, percentage));
        }
    }
    Snapshot::try_from(config).expect("valid")
}

fn snapshots() -> impl Strategy<Value = Vec<Vec<(usize, u8, u8)>>> {
    let feature = (0..NAMES.len(), any::<u8>(), 0u8..=100);
    prop::collection::vec(prop::collection::vec(feature, 0..NAMES.len() + 2), 1..12)
}

proptest! {
    #![proptest_config(cases(128))]

    /// Through a sequence of snapshots that add, remove and reorder
    /// features, one set of names (including names no snapshot has) keeps
    /// giving the decision of the name looked up, in the snapshot and
    /// through a reader of a handle that serves the sequence; and so do
    /// names given as text (which a reader and a snapshot's index remember
    /// where they found): the same literals each time, and copies at new
    /// addresses.
    #[test]
    fn always_the_decision_of_the_str_name(sequence in snapshots()) {
        let names: Vec<FeatureName> = NAMES.iter().map(|n| FeatureName::from(n.to_string())).collect();
        let rollouts = Rollouts::builder().no_metrics().build(snapshot(0, &[]));
        let mut reader = rollouts.reader();
        let attributes = [("country", Value::Str("NL"))];
        for (revision, features) in sequence.iter().enumerate() {
            let snapshot = snapshot(revision + 1, features);
            rollouts.replace(snapshot.clone());
            for unit in ["unit-1", "unit-2", "unit-3", "unit-4"] {
                for text in NAMES {
                    prop_assert_eq!(reader.evaluate(text, unit), snapshot.evaluate(text, unit));
                }
                for context in [Context::new(unit), Context::new(unit).with_attributes(&attributes)] {
                    for (name, text) in names.iter().zip(NAMES) {
                        // The reference: a new name, which remembers nothing
                        // yet, so it is looked up.
                        let want = snapshot.evaluate_with(&FeatureName::from(text.to_string()), &context);
                        prop_assert_eq!(snapshot.evaluate_with(text, &context), want);
                        prop_assert_eq!(snapshot.evaluate_with(&text.to_string(), &context), want);
                        prop_assert_eq!(rollouts.is_enabled_with(text, &context), want.is_enabled());
                        prop_assert_eq!(snapshot.is_enabled_with(name, &context), want.is_enabled());
                        prop_assert_eq!(snapshot.evaluate_with(name, &context), want);
                        prop_assert_eq!(reader.is_enabled_with(name, &context), want.is_enabled());
                        prop_assert_eq!(reader.evaluate_with(text, &context), want);
                        let copy = text.to_string();
                        prop_assert_eq!(reader.evaluate_with(&copy, &context), want);
                        prop_assert_eq!(reader.is_enabled_with(&copy, &context), want.is_enabled());
                    }
                }
            }
        }
    }
}

/// Two threads read two snapshots that hold the same two features in
/// opposite orders, through one shared name: the position either thread
/// remembers is wrong for the other every time, and neither ever gets the
/// other feature's decision.
#[test]
fn one_name_shared_by_threads_on_snapshots_that_disagree() {
    static FULL: FeatureName = FeatureName::new("full");
    let full = FeatureConfig::new("full").percentage(100);
    let killed = FeatureConfig::new("killed").percentage(100).enabled(false);
    let first = Config::new("first")
        .feature(full.clone())
        .feature(killed.clone());
    let second = Config::new("second").feature(killed).feature(full);
    let snapshots = [first, second].map(|c| Arc::new(Snapshot::try_from(c).expect("valid")));
    std::thread::scope(|scope| {
        for snapshot in &snapshots {
            scope.spawn(move || {
                for i in 0..20_000 {
                    let unit = format!("unit-{i}");
                    let decision = snapshot.evaluate(&FULL, &unit);
                    assert!(
                        decision.is_enabled(),
                        "{}: {decision:?}",
                        snapshot.revision()
                    );
                    assert_eq!(decision.reason(), Reason::InRollout);
                }
            });
        }
    });
}

/// Threads name every feature of one snapshot by text, each through
/// copies at addresses of its own, so they race to claim the slots of the
/// snapshot's shared hints: every name still finds its own feature.
#[test]
fn threads_racing_for_shared_hints_each_find_their_own_feature() {
    // Kinds by position: a unit's decision differs between most features.
    let features: Vec<(usize, u8, u8)> = (0..NAMES.len()).map(|i| (i, i as u8, 50)).collect();
    let snapshot = snapshot(1, &features);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let snapshot = &snapshot;
            scope.spawn(move || {
                for i in 0..2_000 {
                    let unit = format!("unit-{}", i % 7);
                    for text in NAMES {
                        let copy = text.to_string();
                        let want = snapshot.evaluate(&FeatureName::from(text.to_string()), &unit);
                        assert_eq!(snapshot.evaluate(&copy, &unit), want, "thread {t}: {text}");
                        assert_eq!(snapshot.evaluate(text, &unit), want, "thread {t}: {text}");
                    }
                }
            });
        }
    });
}

#[test]
fn a_name_no_snapshot_has_is_an_unknown_feature() {
    static MISSING: FeatureName = FeatureName::new("missing");
    let snapshot =
        Snapshot::try_from(Config::new("r1").feature(FeatureConfig::new("f"))).expect("valid");
    let decision = snapshot.evaluate(&MISSING, "user-42");
    assert!(!decision.is_enabled());
    assert_eq!(decision.reason(), Reason::UnknownFeature);
}

#[test]
fn names_compare_by_text_and_clone_with_their_text() {
    let a = FeatureName::new("checkout");
    let b = FeatureName::from(String::from("checkout"));
    let snapshot = Snapshot::try_from(Config::new("r1").feature(FeatureConfig::new("checkout")))
        .expect("valid");
    // Found once, so `a` remembers a position and `b` does not.
    let _ = snapshot.evaluate(&a, "user-42");
    assert_eq!(a, b);
    assert_eq!(a.clone(), b);
    assert_eq!(a.clone().as_str(), "checkout");
    assert_ne!(a, FeatureName::new("checkout2"));
}

/// A reader counts the exposures of what it evaluates, whether the feature
/// is named by text (found through its hints or not) or by a
/// `FeatureName`, exactly once each.
#[test]
fn a_reader_counts_each_decision_once() {
    let snapshot = Snapshot::try_from(
        Config::new("r1")
            .feature(FeatureConfig::new("on").percentage(100))
            .feature(FeatureConfig::new("off").percentage(0)),
    )
    .expect("valid");
    let rollouts = Rollouts::new(snapshot);
    let mut reader = rollouts.reader();
    let copy = String::from("on");
    static ON: FeatureName = FeatureName::new("on");
    for i in 0..10 {
        let unit = format!("unit-{i}");
        assert!(reader.evaluate("on", &unit).is_enabled());
        assert!(reader.is_enabled(&copy, &unit));
        assert!(reader.evaluate_with(&ON, &Context::new(&unit)).is_enabled());
        assert!(!reader.is_enabled("off", &unit));
    }
    let counts = rollouts.metrics().expect("metrics on").snapshot();
    let on = counts.feature("on").expect("counted");
    assert_eq!((on.on, on.off), (30, 0));
    let off = counts.feature("off").expect("counted");
    assert_eq!((off.on, off.off), (0, 10));
}
