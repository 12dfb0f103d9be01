//! Every step of the documented evaluation order (crate docs, "Evaluation
//! order"), and the [`Reason`] each step gives.
//!
//! Buckets are checked against an independent computation of the hash
//! contract (MD5 of `"{feature}:{unit}"` through the `md5` crate's own
//! digest, read as a big-endian `u128`), never against the crate's own
//! output alone.

use std::collections::BTreeSet;

mod common;

use gradual::{Config, Decision, FeatureConfig, Percentage, Reason, Rollouts, Snapshot, bucket};

/// The hash contract, computed independently: `(seed, fine)` with
/// `seed = h mod 100` and `fine = (h mod 100) * 100 + (h div 100) mod 100`.
fn reference(feature: &str, unit: &str) -> (u8, u16) {
    (common::seed(feature, unit), common::fine(feature, unit))
}

/// A few thousand unit ids, with some odd ones (empty, non-ASCII, long).
fn units() -> Vec<String> {
    let mut units: Vec<String> = (0..3_000).map(|i| format!("user-{i}")).collect();
    units.extend(
        [
            "",
            "ünïcode",
            "東京",
            "😀🚀",
            "e\u{301}",
            " padded ",
            "tab\there",
        ]
        .map(str::to_owned),
    );
    units.push("x".repeat(200));
    units
}

fn snapshot(features: impl IntoIterator<Item = FeatureConfig>) -> Snapshot {
    let config = features
        .into_iter()
        .fold(Config::new("r1"), |config, f| config.feature(f));
    Snapshot::try_from(config).expect("a valid config")
}

fn assert_decision(d: Decision, enabled: bool, reason: Reason, context: &str) {
    assert_eq!(d.is_enabled(), enabled, "{context}: {d:?}");
    assert_eq!(d.reason(), reason, "{context}: {d:?}");
}

// ----- step 1: unknown feature -----

#[test]
fn step_1_an_unknown_feature_is_off_without_a_bucket() {
    let s = snapshot([FeatureConfig::new("checkout").percentage(100)]);
    let rollouts = Rollouts::new(s.clone());
    // Names are matched exactly: no case folding, no trimming.
    for name in [
        "search",
        "Checkout",
        "checkout ",
        " checkout",
        "checkou",
        "",
    ] {
        for unit in ["user-1", "user-42", ""] {
            let d = s.evaluate(name, unit);
            assert_decision(d, false, Reason::UnknownFeature, name);
            assert_eq!(d.bucket(), None);
            assert!(!s.is_enabled(name, unit));
            assert_eq!(rollouts.load().evaluate(name, unit), d);
            assert!(!rollouts.is_enabled(name, unit));
        }
        assert!(s.feature(name).is_none());
    }
    // The known one, at 100%, is on: the answer above is about the name.
    assert_decision(
        s.evaluate("checkout", "user-1"),
        true,
        Reason::InRollout,
        "checkout",
    );
}

#[test]
fn the_empty_snapshot_knows_no_feature() {
    for s in [Snapshot::empty(), Snapshot::default()] {
        assert_eq!(s.revision().to_string(), "empty");
        assert_eq!(s.features().len(), 0);
        for unit in ["user-1", ""] {
            let d = s.evaluate("new_checkout_design", unit);
            assert_decision(d, false, Reason::UnknownFeature, "empty snapshot");
            assert_eq!(d.bucket(), None);
        }
    }
    let rollouts = Rollouts::new(Snapshot::empty());
    assert_decision(
        rollouts.load().evaluate("new_checkout_design", "user-1"),
        false,
        Reason::UnknownFeature,
        "handle on the empty snapshot",
    );
}

// ----- step 2: the kill switch -----

#[test]
fn step_2_a_killed_feature_is_off_for_everyone_even_listed_units() {
    let s = snapshot([
        FeatureConfig::new("dark_mode")
            .enabled(false)
            .percentage(100)
            .allow(["staff-1", "staff-2"])
            .deny(["vip-7"]),
        FeatureConfig::new("search")
            .enabled(false)
            .percentage(50)
            .allow(["staff-1"]),
    ]);
    let mut all = units();
    all.extend(["staff-1", "staff-2", "vip-7"].map(str::to_owned));
    for feature in ["dark_mode", "search"] {
        for unit in &all {
            let d = s.evaluate(feature, unit);
            assert_decision(d, false, Reason::Killed, &format!("{feature}:{unit}"));
            assert_eq!(d.bucket(), None);
        }
    }

    // Reviving it restores each later step, so the kill switch was what
    // decided.
    let revived = s.with_enabled("dark_mode", true).expect("listed");
    assert_decision(
        revived.evaluate("dark_mode", "staff-1"),
        true,
        Reason::Allowed,
        "revived",
    );
    assert_decision(
        revived.evaluate("dark_mode", "vip-7"),
        false,
        Reason::Denied,
        "revived",
    );
    assert_decision(
        revived.evaluate("dark_mode", "user-1"),
        true,
        Reason::InRollout,
        "revived",
    );
}

// ----- step 3: the deny list -----

#[test]
fn step_3_a_denied_unit_is_off_even_at_100_percent() {
    let s = snapshot([
        FeatureConfig::new("everybody")
            .percentage(100)
            .deny(["vip-7", "user-3"])
            .allow(["staff-1"]),
        FeatureConfig::new("half").percentage(50).deny(["vip-7"]),
    ]);
    for feature in ["everybody", "half"] {
        let d = s.evaluate(feature, "vip-7");
        assert_decision(d, false, Reason::Denied, feature);
        assert_eq!(d.bucket(), None);
    }
    assert_decision(
        s.evaluate("everybody", "user-3"),
        false,
        Reason::Denied,
        "user-3",
    );
    // Everyone not listed is in.
    for unit in units().iter().filter(|u| *u != "user-3") {
        assert_decision(s.evaluate("everybody", unit), true, Reason::InRollout, unit);
    }
    // Units whose own bucket is inside the 50% rollout, denied: the deny
    // list, not the percentage, turns them off.
    let denied_units_with_low_buckets: Vec<_> = (0..200)
        .map(|i| format!("denied-{i}"))
        .filter(|u| reference("half", u).0 < 50)
        .take(20)
        .collect();
    assert_eq!(denied_units_with_low_buckets.len(), 20);
    let bare = snapshot([FeatureConfig::new("half").percentage(50)]);
    for unit in &denied_units_with_low_buckets {
        assert_decision(bare.evaluate("half", unit), true, Reason::InRollout, unit);
    }
    let s = snapshot([FeatureConfig::new("half")
        .percentage(50)
        .deny(denied_units_with_low_buckets.clone())]);
    for unit in &denied_units_with_low_buckets {
        assert_decision(s.evaluate("half", unit), false, Reason::Denied, unit);
    }
}

#[test]
fn step_3_deny_wins_over_allow_because_both_cannot_be_configured() {
    // The doc: "Deny wins over allow (a config listing a unit in both is
    // rejected anyway)". The only way to list both is rejected.
    let config = Config::new("r1").feature(
        FeatureConfig::new("f")
            .percentage(100)
            .allow(["u"])
            .deny(["u"]),
    );
    assert!(Snapshot::try_from(config).is_err());
}

// ----- step 4: the allow list -----

#[test]
fn step_4_an_allowed_unit_is_on_even_at_0_percent() {
    let s = snapshot([FeatureConfig::new("nobody").allow(["qa-1", "staff-1"])]);
    for unit in ["qa-1", "staff-1"] {
        let d = s.evaluate("nobody", unit);
        assert_decision(d, true, Reason::Allowed, unit);
        assert_eq!(d.bucket(), None);
    }
    for unit in units() {
        assert_decision(
            s.evaluate("nobody", &unit),
            false,
            Reason::OutOfRollout,
            &unit,
        );
    }
}

#[test]
fn step_4_allow_comes_before_the_percentage() {
    // Units whose own bucket puts them outside a 10% rollout, allowed in.
    let outside: Vec<String> = units()
        .into_iter()
        .filter(|u| reference("search", u).1 >= 1000)
        .take(50)
        .collect();
    assert_eq!(outside.len(), 50);
    let s = snapshot([FeatureConfig::new("search")
        .percentage(10)
        .allow(outside.clone())]);
    for unit in &outside {
        let d = s.evaluate("search", unit);
        assert_decision(d, true, Reason::Allowed, unit);
        assert_eq!(d.bucket(), None);
    }
    // Without the list they are out.
    let bare = snapshot([FeatureConfig::new("search").percentage(10)]);
    for unit in &outside {
        assert_decision(
            bare.evaluate("search", unit),
            false,
            Reason::OutOfRollout,
            unit,
        );
    }
}

// ----- step 5: 0% and 100% -----

#[test]
fn step_5_zero_percent_is_off_for_every_unit_without_a_bucket() {
    let s = snapshot([FeatureConfig::new("nobody").percentage(0)]);
    for unit in units() {
        let d = s.evaluate("nobody", &unit);
        assert_decision(d, false, Reason::OutOfRollout, &unit);
        assert_eq!(d.bucket(), None, "{unit}");
    }
}

#[test]
fn step_5_hundred_percent_is_on_for_every_unit_without_a_bucket() {
    let s = snapshot([FeatureConfig::new("everybody").percentage(100)]);
    let mut saw_top_bucket = false;
    for unit in units() {
        let d = s.evaluate("everybody", &unit);
        assert_decision(d, true, Reason::InRollout, &unit);
        assert_eq!(d.bucket(), None, "{unit}");
        saw_top_bucket |= reference("everybody", &unit).0 == 99;
    }
    // Units in the highest bucket are in too.
    assert!(saw_top_bucket);
}

// ----- step 6: the bucket -----

#[test]
fn step_6_a_partial_percentage_admits_units_below_it_and_carries_the_bucket() {
    let basis_points = [1u16, 5, 50, 500, 1234, 5000, 6479, 6480, 9999];
    let features: Vec<FeatureConfig> = basis_points
        .iter()
        .map(|&bp| {
            let percent = format!("{}.{:02}", bp / 100, bp % 100);
            FeatureConfig::new(format!("f{bp}")).percentage(percent.parse::<f64>().expect("number"))
        })
        .chain([FeatureConfig::new("new_checkout_design").percentage(64.79)])
        .collect();
    let s = snapshot(features);
    let all = units();
    for &bp in &basis_points {
        let name = format!("f{bp}");
        let feature = s.feature(&name).expect("listed");
        assert_eq!(feature.percentage().as_basis_points(), bp);
        let mut on = 0usize;
        for unit in &all {
            let d = s.evaluate(&name, unit);
            let (seed, fine) = reference(&name, unit);
            let b = d
                .bucket()
                .unwrap_or_else(|| panic!("{name}:{unit} has no bucket"));
            assert_eq!(b, bucket(&name, unit), "{name}:{unit}");
            assert_eq!(b.basis_points(), fine, "{name}:{unit}");
            assert_eq!(b.percent(), seed, "{name}:{unit}");
            let inside = fine < bp;
            assert_eq!(d.is_enabled(), inside, "{name}:{unit} bucket {fine}");
            assert_eq!(d.is_enabled(), b.basis_points() < bp);
            let reason = if inside {
                Reason::InRollout
            } else {
                Reason::OutOfRollout
            };
            assert_eq!(d.reason(), reason, "{name}:{unit}");
            on += usize::from(inside);
        }
        // Both answers occur (except at the extremes, where none of a few
        // thousand units need fall in the last or first basis points).
        if bp <= 9950 {
            assert!(on < all.len(), "{name}: everyone is in");
        }
        if bp >= 50 {
            assert!(on > 0, "{name}: nobody is in");
        }
    }

    // The crate docs' example: user-42's bucket is 64.79%, so 64.79% leaves
    // it out and 64.80% lets it in.
    assert_eq!(reference("new_checkout_design", "user-42"), (64, 6479));
    assert_decision(
        s.evaluate("new_checkout_design", "user-42"),
        false,
        Reason::OutOfRollout,
        "64.79%",
    );
    let raised = s
        .with_percentage(
            "new_checkout_design",
            Percentage::from_basis_points(6480).expect("in range"),
        )
        .expect("listed");
    assert_decision(
        raised.evaluate("new_checkout_design", "user-42"),
        true,
        Reason::InRollout,
        "64.80%",
    );
}

#[test]
fn at_a_whole_percent_the_on_set_is_exactly_the_units_below_it() {
    let all = units();
    for p in [1u8, 2, 5, 10, 25, 33, 50, 64, 65, 90, 99] {
        let name = "new_checkout_design";
        let s = snapshot([FeatureConfig::new(name).percentage(p)]);
        let on: BTreeSet<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|u| s.is_enabled(name, u))
            .collect();
        let by_crate_bucket: BTreeSet<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|u| bucket(name, u).percent() < p)
            .collect();
        let by_reference: BTreeSet<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|u| reference(name, u).0 < p)
            .collect();
        assert_eq!(on, by_crate_bucket, "{p}%");
        assert_eq!(on, by_reference, "{p}%");
        // A fair hash puts about p% of the units inside; the units are
        // fixed, so this is a deterministic check, kept loose.
        let share = on.len() as f64 * 100.0 / all.len() as f64;
        assert!((share - f64::from(p)).abs() < 3.0, "{p}%: {share}% inside");
    }
}

// ----- the three ways to ask agree -----

#[test]
fn snapshot_feature_and_handle_give_the_same_decision() {
    let s = snapshot([
        FeatureConfig::new("new_checkout_design").percentage(5),
        FeatureConfig::new("search_v2")
            .percentage(12.5)
            .allow(["qa-1"])
            .deny(["vip-7"]),
        FeatureConfig::new("dark_mode")
            .enabled(false)
            .percentage(100),
        FeatureConfig::new("nobody"),
        FeatureConfig::new("everybody").percentage(100),
    ]);
    let rollouts = Rollouts::new(s.clone());
    let guard = rollouts.load();
    let mut all = units();
    all.extend(["qa-1", "vip-7"].map(str::to_owned));
    let mut reasons = BTreeSet::new();
    for feature in s.features() {
        for unit in &all {
            let d = s.evaluate(feature.name(), unit);
            assert_eq!(rollouts.load().evaluate(feature.name(), unit), d);
            assert_eq!(guard.evaluate(feature.name(), unit), d);
            assert_eq!(s.is_enabled(feature.name(), unit), d.is_enabled());
            assert_eq!(rollouts.is_enabled(feature.name(), unit), d.is_enabled());
            reasons.insert(d.reason().as_str());
        }
    }
    // Every step but "unknown" was exercised above.
    assert_eq!(
        reasons,
        BTreeSet::from([
            "allowed",
            "denied",
            "in_rollout",
            "killed",
            "out_of_rollout"
        ])
    );
}

// ----- reasons: names and serialisation -----

#[test]
fn reason_names_are_stable_snake_case_and_match_serde() {
    let all = [
        (Reason::UnknownFeature, "unknown_feature"),
        (Reason::Killed, "killed"),
        (Reason::Denied, "denied"),
        (Reason::Allowed, "allowed"),
        (Reason::InRollout, "in_rollout"),
        (Reason::OutOfRollout, "out_of_rollout"),
    ];
    let mut seen = BTreeSet::new();
    for (reason, name) in all {
        assert_eq!(reason.as_str(), name);
        assert_eq!(reason.to_string(), name);
        // serde's derive (`rename_all = "snake_case"`) computes its names
        // independently of `as_str`'s hand-written table.
        let json = serde_json::to_string(&reason).expect("serialises");
        assert_eq!(json, format!("\"{name}\""));
        assert!(seen.insert(name), "{name} used twice");
    }
}
