//! The unit-only entry points — `evaluate(feature, unit)` and
//! `is_enabled(feature, unit)` on a snapshot, a reader and the handle —
//! decide exactly as `evaluate_with` of a context holding that unit and no
//! attributes, for every kind of feature. They take their own path into
//! the evaluation (the unit passed along, its context built there), so
//! this pins them to the general one.

use gradual::{
    ConditionConfig, Config, Context, FeatureConfig, FeatureName, Operator, PrerequisiteConfig,
    Rollouts, RuleConfig, Serve, Snapshot, VariantConfig,
};
use proptest::prelude::*;

/// Features of every kind the evaluation tells apart, named `f0`, `f1`, …
fn snapshot(percents: &[u16], listed: &[String]) -> Snapshot {
    let mut config = Config::new("r1");
    for (i, percent) in percents.iter().enumerate() {
        let mut f = FeatureConfig::new(format!("f{i}")).percentage(f64::from(*percent) / 100.0);
        // Listed units split between allow and deny: every one of them
        // (a list of more than eight is hashed) or the first five
        // (scanned).
        let split = |units: &[String]| {
            let allow: Vec<String> = units.iter().step_by(2).cloned().collect();
            let deny: Vec<String> = units.iter().skip(1).step_by(2).cloned().collect();
            (allow, deny)
        };
        let (all_allowed, all_denied) = split(listed);
        let (few_allowed, few_denied) = split(&listed[..listed.len().min(5)]);
        f = match i % 8 {
            0 => f.allow(all_allowed).deny(all_denied),
            1 => f
                .variant(VariantConfig::new("a", 30))
                .variant(VariantConfig::new("b", 70))
                .allow(all_allowed),
            2 => f.enabled(false),
            // On `f0`, `f8`, …: listed features, which some units pass.
            3 => f.prerequisite(PrerequisiteConfig::on(format!("f{}", i - 3))),
            4 => f.rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new(
                "country",
                Operator::NotIn,
                ["KP"],
            ))),
            5 => f.bucket_by("org"),
            6 => f.rule(RuleConfig::percentage(30)),
            _ => f.allow(few_allowed).deny(few_denied),
        };
        config = config.feature(f);
    }
    Snapshot::try_from(config).expect("valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn unit_entry_points_decide_as_evaluate_with(
        percents in proptest::collection::vec(0u16..=10_000, 1..24),
        listed in proptest::collection::btree_set("[a-z0-9-]{1,24}", 0..40),
        units in proptest::collection::vec("[a-z0-9-]{0,40}", 1..12),
    ) {
        // A set: no unit on both lists.
        let listed: Vec<String> = listed.into_iter().collect();
        let snapshot = snapshot(&percents, &listed);
        let rollouts = Rollouts::new(snapshot.clone());
        let mut reader = rollouts.reader();
        // Listed units too, so that allow and deny hits are tried.
        for unit in units.iter().chain(&listed) {
            let context = Context::new(unit);
            for i in 0..=percents.len() {
                // One past the last feature: an unknown one.
                let name = format!("f{i}");
                let want = snapshot.evaluate_with(name.as_str(), &context);
                let by_name = FeatureName::from(name.clone());
                prop_assert_eq!(snapshot.evaluate(name.as_str(), unit), want, "{} {}", name, unit);
                prop_assert_eq!(snapshot.evaluate(&by_name, unit), want, "{} {}", name, unit);
                prop_assert_eq!(reader.evaluate(name.as_str(), unit), want, "{} {}", name, unit);
                prop_assert_eq!(reader.evaluate(&by_name, unit), want, "{} {}", name, unit);
                let on = want.is_enabled();
                prop_assert_eq!(snapshot.is_enabled(name.as_str(), unit), on);
                prop_assert_eq!(reader.is_enabled(name.as_str(), unit), on);
                prop_assert_eq!(rollouts.is_enabled(name.as_str(), unit), on);
                prop_assert_eq!(rollouts.is_enabled(&by_name, unit), on);
            }
        }
    }
}
