//! The batch paths — `buckets` (one feature, many units) and
//! `Snapshot::evaluate_all` (one unit, every feature) — give exactly what
//! the single paths give, for keys of every length, including keys that
//! need two or more MD5 blocks and batches that mix them: on every hashing
//! engine this CPU can run (the portable ones, and each SIMD one it has),
//! not only the one the crate picks.

use gradual::__bench::{buckets_on, engines, evaluate_all_on};
use gradual::{
    Bucket, ConditionConfig, Config, Context, Decision, FeatureConfig, Operator,
    PrerequisiteConfig, Reason, RuleConfig, Serve, Snapshot, Value, VariantConfig, bucket, buckets,
};
use proptest::prelude::*;

fn unit_strategy() -> impl Strategy<Value = String> {
    // Lengths up to 200 bytes: one, two and four MD5 blocks, and non-ASCII.
    prop_oneof!["[a-z0-9-]{0,20}", "[a-zA-Z0-9]{40,130}", "\\PC{0,60}",]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn buckets_equal_bucket_for_every_unit(
        feature in "[a-z_]{1,70}",
        units in proptest::collection::vec(unit_strategy(), 0..150),
    ) {
        let refs: Vec<&str> = units.iter().map(String::as_str).collect();
        let mut out = vec![Bucket::default(); refs.len()];
        prop_assert_eq!(buckets(&feature, &refs, &mut out), refs.len());
        for (unit, got) in refs.iter().zip(&out) {
            prop_assert_eq!(*got, bucket(&feature, unit), "{}:{}", feature, unit);
        }
        for engine in 0..engines() {
            let mut out = vec![Bucket::default(); refs.len()];
            prop_assert_eq!(buckets_on(engine, &feature, &refs, &mut out), refs.len());
            for (unit, got) in refs.iter().zip(&out) {
                prop_assert_eq!(*got, bucket(&feature, unit), "engine {}, {}:{}", engine, feature, unit);
            }
        }
    }

    #[test]
    fn evaluate_all_equals_evaluating_each_feature(
        names in proptest::collection::btree_set("[a-z]{1,12}(_[a-z0-9]{0,60})?", 1..90),
        percents in proptest::collection::vec(0u16..=10_000, 90),
        unit in unit_strategy(),
        org in proptest::option::of("[a-z]{1,8}"),
        country in prop_oneof![Just("NL"), Just("FR")],
    ) {
        let names: Vec<String> = names.into_iter().collect();
        let mut config = Config::new("r1");
        for (i, name) in names.iter().enumerate() {
            let mut f = FeatureConfig::new(name.clone()).percentage(f64::from(percents[i]) / 100.0);
            match i % 7 {
                0 => f = f.variant(VariantConfig::new("a", 30)).variant(VariantConfig::new("b", 70)),
                1 => f = f.rule(RuleConfig::percentage(40).condition(ConditionConfig::new("country", Operator::In, ["NL"]))),
                2 => f = f.bucket_by("org"),
                3 => f = f.enabled(false),
                4 if i > 0 => f = f.prerequisite(PrerequisiteConfig::on(names[i - 1].clone())),
                5 => f = f.salt(format!("{name}-salt")).rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new("country", Operator::Equals, ["FR"]))),
                _ => {}
            }
            config = config.feature(f);
        }
        let snapshot = Snapshot::try_from(config).expect("valid");
        let mut attributes = vec![("country", Value::Str(country))];
        if let Some(org) = &org {
            attributes.push(("org", Value::Str(org)));
        }
        let context = Context::new(&unit).with_attributes(&attributes);
        let mut out = vec![Decision::default(); names.len()];
        prop_assert_eq!(snapshot.evaluate_all(&context, &mut out), names.len());
        for (feature, got) in snapshot.features().zip(&out) {
            prop_assert_eq!(*got, snapshot.evaluate_with(feature.name(), &context), "{}", feature.name());
        }
        for engine in 0..engines() {
            let mut out = vec![Decision::default(); names.len()];
            prop_assert_eq!(evaluate_all_on(engine, &snapshot, &context, &mut out), names.len());
            for (feature, got) in snapshot.features().zip(&out) {
                prop_assert_eq!(*got, snapshot.evaluate_with(feature.name(), &context), "engine {}, {}", engine, feature.name());
            }
        }
    }
}

#[test]
fn short_outputs_are_filled_as_far_as_they_go() {
    let snapshot = Snapshot::try_from(
        Config::new("r1")
            .feature(FeatureConfig::new("a").percentage(50))
            .feature(FeatureConfig::new("b").percentage(50))
            .feature(FeatureConfig::new("c").percentage(50)),
    )
    .expect("valid");
    let mut two = [Decision::default(); 2];
    assert_eq!(snapshot.evaluate_all(&Context::new("u"), &mut two), 2);
    assert_eq!(two[1], snapshot.evaluate("b", "u"));
    let mut out = [Bucket::default(); 1];
    assert_eq!(buckets("a", &["x", "y"], &mut out), 1);
    assert_eq!(out[0], bucket("a", "x"));
}

/// A plain feature (a kill switch and a percentage, nothing else) has a
/// path of its own in a batch. At 0%, 50% and 100%, live and killed, beside
/// a feature with a rule, each decides in the batch as it does alone, with
/// the reason the evaluation order gives it; and in a batch where only one
/// key hashes (too few to hash side by side), the plain path hashes it
/// itself. Random percentages in the test above almost never draw 0 or 100.
#[test]
fn plain_features_in_a_batch_decide_as_they_do_alone() {
    let mut mixed = Config::new("r1");
    for (name, percent, enabled) in [
        ("zero", 0, true),
        ("half", 50, true),
        ("full", 100, true),
        ("zero_killed", 0, false),
        ("half_killed", 50, false),
        ("full_killed", 100, false),
    ] {
        mixed = mixed.feature(
            FeatureConfig::new(name)
                .percentage(percent)
                .enabled(enabled),
        );
    }
    let mixed = mixed.feature(FeatureConfig::new("ruled").percentage(50).rule(
        RuleConfig::new(Serve::On).condition(ConditionConfig::new("country", Operator::In, ["NL"])),
    ));
    let one_hashed = Config::new("r1")
        .feature(FeatureConfig::new("zero").percentage(0))
        .feature(FeatureConfig::new("half").percentage(50));
    for config in [mixed, one_hashed] {
        let snapshot = Snapshot::try_from(config).expect("valid");
        for i in 0..300 {
            let unit = format!("user-{i}");
            let context = Context::new(&unit);
            for engine in 0..engines() {
                let mut out = vec![Decision::default(); snapshot.features().len()];
                assert_eq!(
                    evaluate_all_on(engine, &snapshot, &context, &mut out),
                    out.len()
                );
                for (feature, got) in snapshot.features().zip(&out) {
                    let name = feature.name();
                    assert_eq!(
                        *got,
                        snapshot.evaluate_with(name, &context),
                        "{name} {unit}"
                    );
                    let in_half = bucket("half", &unit).percent() < 50;
                    let (reason, enabled, bucketed) = match name {
                        "ruled" => continue,
                        killed if killed.ends_with("_killed") => (Reason::Killed, false, false),
                        "zero" => (Reason::OutOfRollout, false, false),
                        "full" => (Reason::InRollout, true, false),
                        _ if in_half => (Reason::InRollout, true, true),
                        _ => (Reason::OutOfRollout, false, true),
                    };
                    assert_eq!(got.reason(), reason, "engine {engine}, {name} {unit}");
                    assert_eq!(got.is_enabled(), enabled, "engine {engine}, {name} {unit}");
                    assert_eq!(
                        got.bucket(),
                        bucketed.then(|| bucket(name, &unit)),
                        "engine {engine}, {name} {unit}"
                    );
                }
            }
        }
    }
}
