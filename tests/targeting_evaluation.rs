//! Every branch of the evaluation order beyond the plain percentage:
//! prerequisites, rules and their actions, bucket-by, salts, and how the
//! steps rank against each other. Expectations come from an independent
//! MD5 computation (the md-5 crate's digest), not from `gradual::bucket`.

mod common;

use common::fine;
use gradual::{
    ConditionConfig, Config, Context, FeatureConfig, Operator, PrerequisiteConfig, Reason,
    RuleConfig, SegmentConfig, Serve, Snapshot, Value, VariantConfig,
};

fn snapshot(config: Config) -> Snapshot {
    Snapshot::try_from(config).expect("valid config")
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

#[test]
fn prerequisite_off_turns_the_dependent_off_before_lists_and_rules() {
    let s = snapshot(
        Config::new("r1")
            .feature(FeatureConfig::new("payments").percentage(30))
            .feature(
                FeatureConfig::new("checkout")
                    .percentage(100)
                    .allow(["user-1", "user-2", "user-3"])
                    .prerequisite(PrerequisiteConfig::on("payments")),
            ),
    );
    let mut both = 0;
    for unit in users(3000) {
        let payments_on = fine("payments", &unit) < 3000;
        let d = s.evaluate("checkout", &unit);
        assert_eq!(d.is_enabled(), payments_on, "{unit}");
        if payments_on {
            both += 1;
            let expected = if ["user-1", "user-2", "user-3"].contains(&unit.as_str()) {
                Reason::Allowed
            } else {
                Reason::InRollout
            };
            assert_eq!(d.reason(), expected);
        } else {
            // Even an allow-listed unit is off when its prerequisite is.
            assert_eq!(
                d.reason(),
                Reason::PrerequisiteFailed {
                    feature: "payments"
                }
            );
        }
    }
    assert!(both > 700 && both < 1100, "about 30% on: {both}");
}

#[test]
fn a_killed_feature_is_off_before_its_prerequisites_are_asked() {
    let s = snapshot(
        Config::new("r1")
            .feature(FeatureConfig::new("payments").enabled(false))
            .feature(
                FeatureConfig::new("checkout")
                    .enabled(false)
                    .percentage(100)
                    .prerequisite(PrerequisiteConfig::on("payments")),
            ),
    );
    assert_eq!(s.evaluate("checkout", "u").reason(), Reason::Killed);
}

#[test]
fn prerequisite_on_a_variant_requires_that_variant() {
    let s = snapshot(
        Config::new("r1")
            .feature(
                FeatureConfig::new("theme")
                    .percentage(100)
                    .variant(VariantConfig::new("dark", 25))
                    .variant(VariantConfig::new("light", 75)),
            )
            .feature(
                FeatureConfig::new("dark_charts")
                    .percentage(100)
                    .prerequisite(PrerequisiteConfig::variant("theme", "dark")),
            ),
    );
    let mut on = 0;
    for unit in users(4000) {
        let theme = s.evaluate("theme", &unit);
        let dark = theme.variant().map(|v| v.name()) == Some("dark");
        let d = s.evaluate("dark_charts", &unit);
        assert_eq!(d.is_enabled(), dark, "{unit}");
        if !dark {
            assert_eq!(d.reason(), Reason::PrerequisiteFailed { feature: "theme" });
        }
        on += usize::from(dark);
    }
    assert!((800..1200).contains(&on), "about 25% dark: {on}");
}

#[test]
fn prerequisites_see_the_same_context() {
    let s = snapshot(
        Config::new("r1")
            .feature(FeatureConfig::new("eu_only").rule(
                RuleConfig::new(Serve::On).condition(ConditionConfig::new(
                    "region",
                    Operator::Equals,
                    ["eu"],
                )),
            ))
            .feature(
                FeatureConfig::new("gdpr_banner")
                    .percentage(100)
                    .prerequisite(PrerequisiteConfig::on("eu_only")),
            ),
    );
    let eu = [("region", Value::Str("eu"))];
    let us = [("region", Value::Str("us"))];
    assert!(
        s.evaluate_with("gdpr_banner", &Context::new("u").with_attributes(&eu))
            .is_enabled()
    );
    assert!(
        !s.evaluate_with("gdpr_banner", &Context::new("u").with_attributes(&us))
            .is_enabled()
    );
}

#[test]
fn deny_and_allow_rank_above_rules() {
    let staff_on = RuleConfig::new(Serve::On).condition(ConditionConfig::new(
        "staff",
        Operator::Equals,
        [true],
    ));
    let s = snapshot(
        Config::new("r1").feature(
            FeatureConfig::new("f")
                .deny(["denied"])
                .allow(["allowed"])
                .rule(RuleConfig::new(Serve::Off))
                .rule(staff_on),
        ),
    );
    let staff = [("staff", Value::Bool(true))];
    let ctx = |unit| Context::new(unit).with_attributes(&staff);
    assert_eq!(
        s.evaluate_with("f", &ctx("denied")).reason(),
        Reason::Denied
    );
    assert_eq!(
        s.evaluate_with("f", &ctx("allowed")).reason(),
        Reason::Allowed
    );
    // The catch-all `serve: off` rule comes first, so the staff rule never fires.
    let d = s.evaluate_with("f", &ctx("someone"));
    assert!(!d.is_enabled());
    assert_eq!(
        d.reason(),
        Reason::Rule {
            index: 0,
            name: None,
            segment: None
        }
    );
}

#[test]
fn first_matching_rule_decides_with_each_action() {
    let country = |c: &str| ConditionConfig::new("country", Operator::Equals, [c]);
    let s = snapshot(
        Config::new("r1")
            .segment(SegmentConfig::new("beta").condition(ConditionConfig::new(
                "groups",
                Operator::In,
                ["beta"],
            )))
            .feature(
                FeatureConfig::new("f")
                    .percentage(0)
                    .variant(VariantConfig::new("a", 50).value(1))
                    .variant(VariantConfig::new("b", 50).value(2))
                    .rule(
                        RuleConfig::new(Serve::Off)
                            .named("blocked")
                            .condition(country("KP")),
                    )
                    .rule(
                        RuleConfig::serve_variant("b")
                            .named("beta")
                            .condition(ConditionConfig::segment("beta")),
                    )
                    .rule(RuleConfig::percentage(40).condition(country("NL")))
                    .rule(RuleConfig::new(Serve::On).condition(country("BE"))),
            ),
    );
    let beta = ["beta", "x"];
    for unit in users(2000) {
        let with = |attrs: &[(&str, Value<'_>)]| {
            let d = s.evaluate_with("f", &Context::new(&unit).with_attributes(attrs));
            (
                d.is_enabled(),
                d.reason(),
                d.variant().map(|v| v.name().to_owned()),
                d.bucket(),
            )
        };
        // Rule 0 beats rule 1 even for a beta user.
        let (on, reason, ..) = with(&[
            ("country", Value::Str("KP")),
            ("groups", Value::List(&beta)),
        ]);
        assert!(!on);
        assert_eq!(
            reason,
            Reason::Rule {
                index: 0,
                name: Some("blocked"),
                segment: None
            }
        );
        // Rule 1 serves its variant, whatever the split says.
        let (on, reason, variant, _) = with(&[("groups", Value::List(&beta))]);
        assert!(on);
        assert_eq!(
            reason,
            Reason::Rule {
                index: 1,
                name: Some("beta"),
                segment: Some("beta")
            }
        );
        assert_eq!(variant.as_deref(), Some("b"));
        // Rule 2 applies its own 40% with the feature's bucket.
        let (on, reason, _, bucket) = with(&[("country", Value::Str("NL"))]);
        assert_eq!(on, fine("f", &unit) < 4000, "{unit}");
        assert_eq!(bucket.map(|b| b.basis_points()), Some(fine("f", &unit)));
        assert_eq!(
            reason,
            Reason::Rule {
                index: 2,
                name: None,
                segment: None
            }
        );
        // Rule 3 forces on, with a variant from the split.
        let (on, reason, variant, _) = with(&[("country", Value::Str("BE"))]);
        assert!(on && variant.is_some());
        assert_eq!(
            reason,
            Reason::Rule {
                index: 3,
                name: None,
                segment: None
            }
        );
        // No rule matches: the feature's 0%.
        let (on, reason, ..) = with(&[("country", Value::Str("FR"))]);
        assert!(!on);
        assert_eq!(reason, Reason::OutOfRollout);
    }
}

#[test]
fn bucket_by_flips_a_whole_organisation_together() {
    let s = snapshot(
        Config::new("r1").feature(
            FeatureConfig::new("org_feature")
                .percentage(50)
                .bucket_by("org_id"),
        ),
    );
    let mut orgs_on = 0;
    for org in 0..200 {
        let org_id = format!("org-{org}");
        let expected = fine("org_feature", &org_id) < 5000;
        orgs_on += usize::from(expected);
        for member in 0..10 {
            let unit = format!("user-{org}-{member}");
            let attrs = [("org_id", Value::Str(&org_id))];
            let d = s.evaluate_with("org_feature", &Context::new(&unit).with_attributes(&attrs));
            assert_eq!(d.is_enabled(), expected, "{unit} of {org_id}");
            assert_eq!(
                d.bucket().map(|b| b.basis_points()),
                Some(fine("org_feature", &org_id))
            );
        }
    }
    assert!(
        (70..130).contains(&orgs_on),
        "about half the orgs: {orgs_on}"
    );
}

#[test]
fn bucket_by_without_the_attribute_is_out_with_its_reason_at_any_percentage() {
    for percent in [1, 50, 100] {
        let s = snapshot(
            Config::new("r1").feature(
                FeatureConfig::new("f")
                    .percentage(percent)
                    .bucket_by("org_id"),
            ),
        );
        let number = [("org_id", Value::Number(7.0))];
        for ctx in [
            Context::new("user-1"),
            Context::new("user-1").with_attributes(&number),
        ] {
            let d = s.evaluate_with("f", &ctx);
            assert!(!d.is_enabled(), "{percent}%");
            assert_eq!(
                d.reason(),
                Reason::MissingBucketBy {
                    attribute: "org_id"
                }
            );
            assert_eq!(d.bucket(), None);
        }
    }
    // 0% is off for everyone anyway, with the ordinary reason.
    let s = snapshot(Config::new("r1").feature(FeatureConfig::new("f").bucket_by("org_id")));
    assert_eq!(s.evaluate("f", "u").reason(), Reason::OutOfRollout);
}

#[test]
fn bucket_by_without_the_attribute_gets_no_variant_even_when_forced_on() {
    let s = snapshot(
        Config::new("r1").feature(
            FeatureConfig::new("f")
                .bucket_by("org_id")
                .allow(["vip"])
                .variant(VariantConfig::new("a", 50))
                .variant(VariantConfig::new("b", 50)),
        ),
    );
    let d = s.evaluate("f", "vip");
    assert!(!d.is_enabled());
    assert_eq!(
        d.reason(),
        Reason::MissingBucketBy {
            attribute: "org_id"
        }
    );
}

#[test]
fn a_salt_keeps_buckets_across_a_rename() {
    let before =
        snapshot(Config::new("r1").feature(FeatureConfig::new("checkout").percentage(37.5)));
    let after = snapshot(
        Config::new("r2").feature(
            FeatureConfig::new("checkout_v2")
                .salt("checkout")
                .percentage(37.5),
        ),
    );
    let renamed_without_salt =
        snapshot(Config::new("r3").feature(FeatureConfig::new("checkout_v2").percentage(37.5)));
    let mut moved_without_salt = 0;
    for unit in users(5000) {
        let old = before.evaluate("checkout", &unit);
        let new = after.evaluate("checkout_v2", &unit);
        assert_eq!(old.is_enabled(), new.is_enabled(), "{unit}");
        assert_eq!(old.bucket(), new.bucket(), "{unit}");
        assert_eq!(
            new.bucket().map(|b| b.basis_points()),
            Some(fine("checkout", &unit))
        );
        moved_without_salt +=
            usize::from(renamed_without_salt.is_enabled("checkout_v2", &unit) != old.is_enabled());
    }
    // Without the salt about 2 * 0.375 * 0.625 = 47% of units would flip.
    assert!(moved_without_salt > 2000, "{moved_without_salt}");
    assert_eq!(
        after.feature("checkout_v2").expect("present").salt(),
        "checkout"
    );
    assert_eq!(
        before.feature("checkout").expect("present").salt(),
        "checkout"
    );
}

#[test]
fn a_rule_reason_names_the_first_segment_it_requires_never_a_negated_one() {
    let s = snapshot(
        Config::new("r1")
            .segment(SegmentConfig::new("beta").condition(ConditionConfig::new(
                "groups",
                Operator::In,
                ["beta"],
            )))
            .segment(SegmentConfig::new("staff").condition(ConditionConfig::new(
                "staff",
                Operator::Equals,
                [true],
            )))
            .feature(
                FeatureConfig::new("f").rule(
                    RuleConfig::new(Serve::On)
                        .condition(ConditionConfig::segment("beta").negate())
                        .condition(ConditionConfig::segment("staff")),
                ),
            ),
    );
    let context = [("staff", Value::Bool(true))];
    let d = s.evaluate_with("f", &Context::new("u").with_attributes(&context));
    assert!(d.is_enabled());
    assert_eq!(
        d.reason(),
        Reason::Rule {
            index: 0,
            name: None,
            segment: Some("staff")
        },
        "outside beta, inside staff: staff is the segment that let the unit in"
    );
}
