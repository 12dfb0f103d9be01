//! Targeting configs (segments, rules, conditions, variants, prerequisites,
//! salts and bucket-by) that are invalid never become a [`Snapshot`], and
//! each [`ConfigError`] names the owner, the field and the value.
//!
//! Messages are part of the interface: each is asserted verbatim, with the
//! error's variant and fields, for configs built in code and, for many,
//! for the same config parsed from JSON text. A large valid config using
//! every part of the format round-trips through `to_config` and JSON with
//! identical decisions.

use std::collections::BTreeSet;

use gradual::{
    ConditionConfig, Config, ConfigError, Context, FeatureConfig, Literal, Operator, Owner,
    PrerequisiteConfig, Reason, RuleConfig, SegmentConfig, Serve, Snapshot, Value, VariantConfig,
    Version,
};

/// Validates a config that must be rejected, and returns the error.
#[track_caller]
fn reject(config: Config) -> ConfigError {
    Snapshot::try_from(config).expect_err("an invalid config must not become a snapshot")
}

/// Parses JSON text (which must be well-formed config data) and validates
/// it; the result must be rejected.
#[track_caller]
fn reject_json(json: &str) -> ConfigError {
    let config: Config = serde_json::from_str(json).expect("the JSON is well-formed config data");
    reject(config)
}

/// Parses and validates JSON text that must be accepted.
#[track_caller]
fn accept_json(json: &str) -> Snapshot {
    let config: Config = serde_json::from_str(json).expect("the JSON is well-formed config data");
    Snapshot::try_from(config).expect("a valid config becomes a snapshot")
}

/// Asserts the error, and its message verbatim.
#[track_caller]
fn assert_error(err: &ConfigError, expected: &ConfigError, message: &str) {
    assert_eq!(err, expected);
    assert_eq!(err.to_string(), message);
}

/// A config of one feature.
fn one(feature: FeatureConfig) -> Config {
    Config::new("r1").feature(feature)
}

/// A config of one feature with one rule.
fn one_rule(rule: RuleConfig) -> Config {
    one(FeatureConfig::new("f").rule(rule))
}

/// A config of one feature whose one `serve: on` rule has one condition.
fn one_condition(condition: ConditionConfig) -> Config {
    one_rule(RuleConfig::new(Serve::On).condition(condition))
}

/// A config of one segment `seg` holding one condition.
fn one_segment_condition(condition: ConditionConfig) -> Config {
    Config::new("r1").segment(SegmentConfig::new("seg").condition(condition))
}

fn feature(name: &str) -> Owner {
    Owner::Feature(name.to_owned())
}

fn segment(name: &str) -> Owner {
    Owner::Segment(name.to_owned())
}

fn empty_field(owner: Owner, field: &str) -> ConfigError {
    ConfigError::EmptyField {
        owner,
        field: field.to_owned(),
    }
}

fn malformed(owner: Owner, field: &str, problem: &str) -> ConfigError {
    ConfigError::Malformed {
        owner,
        field: field.to_owned(),
        problem: problem.to_owned(),
    }
}

fn operator_type(
    owner: Owner,
    field: &str,
    op: Operator,
    expected: &'static str,
    value: impl Into<Literal>,
) -> ConfigError {
    ConfigError::OperatorType {
        owner,
        field: field.to_owned(),
        op,
        expected,
        value: value.into(),
    }
}

/// A JSON config of one feature `f` with the given rules (a JSON list).
fn json_rules(rules: &str) -> String {
    format!(r#"{{ "revision": "r1", "features": [ {{ "name": "f", "rules": {rules} }} ] }}"#)
}

/// A JSON config of one feature `f` with one `serve: on` rule holding
/// one condition (a JSON object).
fn json_condition(condition: &str) -> String {
    json_rules(&format!(
        r#"[ {{ "conditions": [ {condition} ], "serve": "on" }} ]"#
    ))
}

// ----- empty fields -----

#[test]
fn an_empty_salt_or_bucket_by_is_rejected() {
    let err = reject(one(FeatureConfig::new("checkout").percentage(5).salt("")));
    assert_error(
        &err,
        &empty_field(feature("checkout"), "salt"),
        "feature `checkout`: salt is empty",
    );
    let err = reject(one(FeatureConfig::new("checkout").bucket_by("")));
    assert_error(
        &err,
        &empty_field(feature("checkout"), "bucket_by"),
        "feature `checkout`: bucket_by is empty",
    );

    let err =
        reject_json(r#"{ "revision": "r1", "features": [ { "name": "checkout", "salt": "" } ] }"#);
    assert_eq!(err.to_string(), "feature `checkout`: salt is empty");
    let err = reject_json(
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "bucket_by": "" } ] }"#,
    );
    assert_eq!(err.to_string(), "feature `checkout`: bucket_by is empty");

    // Non-empty ones are fine.
    let s = Snapshot::try_from(one(FeatureConfig::new("checkout")
        .salt("checkout_v1")
        .bucket_by("org_id")))
    .expect("valid");
    let checkout = s.feature("checkout").expect("listed");
    assert_eq!(checkout.salt(), "checkout_v1");
    assert_eq!(checkout.bucket_by(), Some("org_id"));
}

#[test]
fn an_empty_attribute_name_is_rejected_in_rules_and_segments() {
    let config = one(FeatureConfig::new("checkout")
        .rule(RuleConfig::new(Serve::Off))
        .rule(
            RuleConfig::new(Serve::On)
                .condition(ConditionConfig::new("", Operator::In, ["NL"]))
                .condition(ConditionConfig::new("", Operator::Lt, ["not a number"])),
        ));
    let err = reject(config);
    assert_error(
        &err,
        &empty_field(feature("checkout"), "rules[1].conditions[0].attribute"),
        "feature `checkout`: rules[1].conditions[0].attribute is empty",
    );

    let config = Config::new("r1").segment(
        SegmentConfig::new("staff")
            .condition(ConditionConfig::new("email", Operator::EndsWith, ["@x"]))
            .condition(ConditionConfig::new("", Operator::Equals, [true])),
    );
    let err = reject(config);
    assert_error(
        &err,
        &empty_field(segment("staff"), "conditions[1].attribute"),
        "segment `staff`: conditions[1].attribute is empty",
    );

    let err = reject_json(&json_condition(
        r#"{ "attribute": "", "op": "in", "values": ["NL"] }"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0].attribute is empty"
    );
}

#[test]
fn an_empty_segment_name_names_its_position() {
    let config = Config::new("r1")
        .segment(SegmentConfig::new("staff"))
        .segment(SegmentConfig::new(""));
    let err = reject(config);
    assert_error(
        &err,
        &ConfigError::EmptySegmentName { index: 1 },
        "segment #1: name is empty",
    );

    let err =
        reject_json(r#"{ "revision": "r1", "segments": [ { "name": "", "conditions": [] } ] }"#);
    assert_eq!(err.to_string(), "segment #0: name is empty");
}

#[test]
fn an_empty_rule_name_is_rejected() {
    let config = one(FeatureConfig::new("checkout")
        .rule(RuleConfig::new(Serve::On).named("staff"))
        .rule(RuleConfig::new(Serve::Off).named("")));
    let err = reject(config);
    assert_error(
        &err,
        &empty_field(feature("checkout"), "rules[1].name"),
        "feature `checkout`: rules[1].name is empty",
    );

    let err = reject_json(&json_rules(r#"[ { "name": "", "serve": "on" } ]"#));
    assert_eq!(err.to_string(), "feature `f`: rules[0].name is empty");
}

#[test]
fn an_empty_variant_name_is_rejected() {
    let config = one(FeatureConfig::new("checkout")
        .variant(VariantConfig::new("blue", 50))
        .variant(VariantConfig::new("", 50)));
    let err = reject(config);
    assert_error(
        &err,
        &empty_field(feature("checkout"), "variants[1].name"),
        "feature `checkout`: variants[1].name is empty",
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [
            { "name": "checkout", "variants": [ { "name": "", "weight": 100 } ] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: variants[0].name is empty"
    );
}

// ----- duplicates -----

#[test]
fn a_duplicate_segment_names_the_repeated_name() {
    let config = Config::new("r1")
        .segment(SegmentConfig::new("staff"))
        .segment(SegmentConfig::new("beta"))
        .segment(SegmentConfig::new("staff").condition(ConditionConfig::new(
            "email",
            Operator::Contains,
            ["@"],
        )));
    let err = reject(config);
    assert_error(
        &err,
        &ConfigError::DuplicateSegment {
            segment: "staff".to_owned(),
        },
        "segment `staff`: name is defined more than once",
    );

    let err = reject_json(
        r#"{ "revision": "r1", "segments": [
            { "name": "beta", "conditions": [] }, { "name": "beta", "conditions": [] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "segment `beta`: name is defined more than once"
    );

    // Names are compared exactly.
    let config = Config::new("r1")
        .segment(SegmentConfig::new("beta"))
        .segment(SegmentConfig::new("Beta"));
    assert!(Snapshot::try_from(config).is_ok());
}

#[test]
fn a_duplicate_variant_names_the_feature_and_the_variant() {
    let config = one(FeatureConfig::new("checkout")
        .variant(VariantConfig::new("blue", 30))
        .variant(VariantConfig::new("green", 40))
        .variant(VariantConfig::new("blue", 30)));
    let err = reject(config);
    assert_error(
        &err,
        &ConfigError::DuplicateVariant {
            feature: "checkout".to_owned(),
            variant: "blue".to_owned(),
        },
        "feature `checkout`: variant `blue` is defined more than once",
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "variants": [
            { "name": "a", "weight": 50 }, { "name": "a", "weight": 50 } ] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: variant `a` is defined more than once"
    );

    // The same name in two features is fine.
    let config = Config::new("r1")
        .feature(FeatureConfig::new("a").variant(VariantConfig::new("on", 100)))
        .feature(FeatureConfig::new("b").variant(VariantConfig::new("on", 100)));
    assert!(Snapshot::try_from(config).is_ok());
}

// ----- variant weights -----

fn with_weights(weights: &[f64]) -> Config {
    let feature = weights
        .iter()
        .enumerate()
        .fold(FeatureConfig::new("exp").percentage(100), |f, (i, w)| {
            f.variant(VariantConfig::new(format!("v{i}"), *w))
        });
    one(feature)
}

#[test]
fn variant_weights_must_sum_to_100() {
    let cases: [(&[f64], f64, &str); 8] = [
        (&[50.0, 40.0], 90.0, "90"),
        (&[60.0, 60.0], 120.0, "120"),
        (&[0.0], 0.0, "0"),
        (&[99.0], 99.0, "99"),
        // Each weight valid, the sum a basis point off either way.
        (&[33.33, 33.33, 33.33], 99.99, "99.99"),
        (&[50.01, 50.0], 100.01, "100.01"),
        (&[0.01, 100.0], 100.01, "100.01"),
        (&[25.0, 25.0, 25.0, 24.99], 99.99, "99.99"),
    ];
    for (weights, sum, shown) in cases {
        let err = reject(with_weights(weights));
        assert_error(
            &err,
            &ConfigError::VariantWeights {
                feature: "exp".to_owned(),
                sum,
            },
            &format!("feature `exp`: variants: weights sum to {shown}, not 100"),
        );

        let variants: Vec<String> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| format!(r#"{{ "name": "v{i}", "weight": {w} }}"#))
            .collect();
        let json = format!(
            r#"{{ "revision": "r1", "features": [ {{ "name": "exp", "variants": [ {} ] }} ] }}"#,
            variants.join(", ")
        );
        assert_eq!(
            reject_json(&json).to_string(),
            format!("feature `exp`: variants: weights sum to {shown}, not 100"),
            "{json}"
        );
    }

    // Sums of exactly 100 (in basis points) are accepted, zero weights
    // included.
    for weights in [
        &[100.0][..],
        &[33.33, 33.33, 33.34],
        &[0.01, 99.99],
        &[0.0, 100.0],
        &[12.5, 12.5, 25.0, 50.0],
        &[10.1, 20.2, 30.3, 39.4],
    ] {
        let s = Snapshot::try_from(with_weights(weights))
            .unwrap_or_else(|e| panic!("{weights:?}: {e}"));
        let got: Vec<u16> = s
            .feature("exp")
            .expect("listed")
            .variants()
            .iter()
            .map(|v| v.weight().as_basis_points())
            .collect();
        let want: Vec<u16> = weights.iter().map(|w| (w * 100.0).round() as u16).collect();
        assert_eq!(got, want);
    }

    // No variants at all is fine: there is nothing to sum.
    assert!(Snapshot::try_from(with_weights(&[])).is_ok());
}

#[test]
fn a_variant_weight_out_of_range_or_too_fine_names_its_field() {
    let cases: [(&[f64], &str, f64, bool, &str); 5] = [
        (
            &[50.0, 150.0],
            "variants[1].weight",
            150.0,
            true,
            "feature `exp`: variants[1].weight 150 is out of range (0..=100)",
        ),
        (
            &[-5.0, 105.0],
            "variants[0].weight",
            -5.0,
            true,
            "feature `exp`: variants[0].weight -5 is out of range (0..=100)",
        ),
        (
            &[100.01],
            "variants[0].weight",
            100.01,
            true,
            "feature `exp`: variants[0].weight 100.01 is out of range (0..=100)",
        ),
        (
            &[33.333, 66.667],
            "variants[0].weight",
            33.333,
            false,
            "feature `exp`: variants[0].weight 33.333 is finer than 0.01",
        ),
        (
            &[50.0, 49.995, 0.005],
            "variants[1].weight",
            49.995,
            false,
            "feature `exp`: variants[1].weight 49.995 is finer than 0.01",
        ),
    ];
    for (weights, field, value, out_of_range, message) in cases {
        let err = reject(with_weights(weights));
        let (feature, field) = ("exp".to_owned(), field.to_owned());
        let expected = if out_of_range {
            ConfigError::PercentageOutOfRange {
                feature,
                field,
                value,
            }
        } else {
            ConfigError::PercentageTooFine {
                feature,
                field,
                value,
            }
        };
        assert_error(&err, &expected, message);
    }

    let err = reject(with_weights(&[f64::NAN]));
    assert_eq!(
        err.to_string(),
        "feature `exp`: variants[0].weight NaN is out of range (0..=100)"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [ { "name": "exp", "variants": [
            { "name": "a", "weight": 70 }, { "name": "b", "weight": 30.001 } ] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `exp`: variants[1].weight 30.001 is finer than 0.01"
    );
}

// ----- a rule's percentage -----

#[test]
fn a_rule_percentage_out_of_range_or_too_fine_names_its_field() {
    let config = one(FeatureConfig::new("f")
        .rule(RuleConfig::percentage(50))
        .rule(RuleConfig::percentage(140)));
    let err = reject(config);
    assert_error(
        &err,
        &ConfigError::PercentageOutOfRange {
            feature: "f".to_owned(),
            field: "rules[1].percentage".to_owned(),
            value: 140.0,
        },
        "feature `f`: rules[1].percentage 140 is out of range (0..=100)",
    );

    let err = reject(one_rule(RuleConfig::percentage(-0.01)));
    assert_error(
        &err,
        &ConfigError::PercentageOutOfRange {
            feature: "f".to_owned(),
            field: "rules[0].percentage".to_owned(),
            value: -0.01,
        },
        "feature `f`: rules[0].percentage -0.01 is out of range (0..=100)",
    );

    let err = reject(one_rule(RuleConfig::percentage(12.345)));
    assert_error(
        &err,
        &ConfigError::PercentageTooFine {
            feature: "f".to_owned(),
            field: "rules[0].percentage".to_owned(),
            value: 12.345,
        },
        "feature `f`: rules[0].percentage 12.345 is finer than 0.01",
    );

    let err = reject_json(&json_rules(
        r#"[ { "serve": "on" }, { "percentage": 0.005 } ]"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[1].percentage 0.005 is finer than 0.01"
    );
    let err = reject_json(&json_rules(r#"[ { "percentage": 100.5 } ]"#));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].percentage 100.5 is out of range (0..=100)"
    );

    // The boundaries are fine.
    for p in [0.0, 0.01, 99.99, 100.0] {
        assert!(
            Snapshot::try_from(one_rule(RuleConfig::percentage(p))).is_ok(),
            "{p}"
        );
    }
}

// ----- unknown names -----

#[test]
fn an_unknown_segment_names_the_condition() {
    let config = Config::new("r1")
        .segment(SegmentConfig::new("beta"))
        .feature(
            FeatureConfig::new("checkout")
                .rule(RuleConfig::new(Serve::On).condition(ConditionConfig::segment("beta")))
                .rule(
                    RuleConfig::new(Serve::On)
                        .condition(ConditionConfig::segment("beta"))
                        .condition(ConditionConfig::segment("Beta")),
                ),
        );
    let err = reject(config);
    assert_error(
        &err,
        &ConfigError::UnknownSegment {
            owner: feature("checkout"),
            field: "rules[1].conditions[1].segment".to_owned(),
            segment: "Beta".to_owned(),
        },
        "feature `checkout`: rules[1].conditions[1].segment: unknown segment `Beta`",
    );

    // A negated reference must name a segment too.
    let err = reject(one_condition(ConditionConfig::segment("staff").negate()));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0].segment: unknown segment `staff`"
    );

    let err = reject_json(&json_condition(r#"{ "segment": "staff" }"#));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0].segment: unknown segment `staff`"
    );

    // Segments are defined for the whole config, before any feature.
    let ok = accept_json(
        r#"{ "revision": "r1",
             "features": [ { "name": "f", "rules": [ { "conditions": [ { "segment": "staff" } ], "serve": "on" } ] } ],
             "segments": [ { "name": "staff", "conditions": [] } ] }"#,
    );
    assert_eq!(ok.feature("f").map(|f| f.rule_count()), Some(1));
}

#[test]
fn an_unknown_variant_in_a_rule_names_the_rule() {
    let config = one(FeatureConfig::new("checkout")
        .variant(VariantConfig::new("blue", 50))
        .variant(VariantConfig::new("green", 50))
        .rule(RuleConfig::serve_variant("blue"))
        .rule(RuleConfig::serve_variant("Green")));
    let err = reject(config);
    assert_error(
        &err,
        &ConfigError::UnknownVariant {
            feature: "checkout".to_owned(),
            field: "rules[1].variant".to_owned(),
            variant: "Green".to_owned(),
        },
        "feature `checkout`: rules[1].variant: unknown variant `Green`",
    );

    // A feature with no variants has none to serve.
    let err = reject(one_rule(RuleConfig::serve_variant("blue")));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].variant: unknown variant `blue`"
    );

    let err = reject_json(&json_rules(r#"[ { "variant": "red" } ]"#));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].variant: unknown variant `red`"
    );
}

#[test]
fn an_unknown_variant_in_a_prerequisite_names_the_prerequisite() {
    let config = Config::new("r1")
        .feature(
            FeatureConfig::new("checkout")
                .percentage(100)
                .variant(VariantConfig::new("one_page", 50))
                .variant(VariantConfig::new("wizard", 50)),
        )
        .feature(FeatureConfig::new("payments").percentage(100))
        .feature(
            FeatureConfig::new("search")
                .prerequisite(PrerequisiteConfig::variant("checkout", "wizard"))
                .prerequisite(PrerequisiteConfig::variant("checkout", "two_page")),
        );
    let err = reject(config.clone());
    assert_error(
        &err,
        &ConfigError::UnknownVariant {
            feature: "search".to_owned(),
            field: "prerequisites[1].variant".to_owned(),
            variant: "two_page".to_owned(),
        },
        "feature `search`: prerequisites[1].variant: unknown variant `two_page`",
    );

    // A variant of a feature that has none.
    let mut config = config;
    config.features[2].prerequisites = vec![PrerequisiteConfig::variant("payments", "wizard")];
    let err = reject(config);
    assert_eq!(
        err.to_string(),
        "feature `search`: prerequisites[0].variant: unknown variant `wizard`"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [
            { "name": "search", "prerequisites": [ { "feature": "checkout", "variant": "blue" } ] },
            { "name": "checkout", "variants": [ { "name": "green", "weight": 100 } ] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `search`: prerequisites[0].variant: unknown variant `blue`"
    );
}

#[test]
fn an_unknown_prerequisite_names_the_missing_feature() {
    let config = Config::new("r1")
        .feature(FeatureConfig::new("payments"))
        .feature(
            FeatureConfig::new("search")
                .prerequisite(PrerequisiteConfig::on("payments"))
                .prerequisite(PrerequisiteConfig::on("Payments")),
        );
    let err = reject(config);
    assert_error(
        &err,
        &ConfigError::UnknownPrerequisite {
            feature: "search".to_owned(),
            field: "prerequisites[1].feature".to_owned(),
            prerequisite: "Payments".to_owned(),
        },
        "feature `search`: prerequisites[1].feature: unknown feature `Payments`",
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [
            { "name": "search", "prerequisites": [ { "feature": "payments" } ] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `search`: prerequisites[0].feature: unknown feature `payments`"
    );

    // A prerequisite may be listed after the feature that needs it.
    let ok = accept_json(
        r#"{ "revision": "r1", "features": [
            { "name": "search", "prerequisites": [ { "feature": "payments" } ] },
            { "name": "payments", "percentage": 100 } ] }"#,
    );
    assert_eq!(ok.features().len(), 2);
}

#[test]
fn prerequisites_are_checked_after_every_feature() {
    // An unknown prerequisite in the first feature, a bad percentage in the
    // second: the per-feature check comes first.
    let config = Config::new("r1")
        .feature(FeatureConfig::new("a").prerequisite(PrerequisiteConfig::on("nope")))
        .feature(FeatureConfig::new("b").percentage(140));
    assert_eq!(
        reject(config).to_string(),
        "feature `b`: percentage 140 is out of range (0..=100)"
    );
    // Unknown prerequisites come before cycles.
    let config = Config::new("r1")
        .feature(FeatureConfig::new("a").prerequisite(PrerequisiteConfig::on("a")))
        .feature(FeatureConfig::new("b").prerequisite(PrerequisiteConfig::on("nope")));
    assert_eq!(
        reject(config).to_string(),
        "feature `b`: prerequisites[0].feature: unknown feature `nope`"
    );
}

// ----- prerequisite cycles and depth -----

/// A config of features `(name, [prerequisites])`, in that order.
fn graph(edges: &[(&str, &[&str])]) -> Config {
    edges
        .iter()
        .fold(Config::new("r1"), |config, (name, needs)| {
            let feature = needs
                .iter()
                .fold(FeatureConfig::new(*name).percentage(100), |f, p| {
                    f.prerequisite(PrerequisiteConfig::on(*p))
                });
            config.feature(feature)
        })
}

#[track_caller]
fn assert_cycle(edges: &[(&str, &[&str])], cycle: &[&str]) {
    let err = reject(graph(edges));
    let expected = ConfigError::PrerequisiteCycle {
        cycle: cycle.iter().map(|&n| n.to_owned()).collect(),
    };
    let rendered: Vec<String> = cycle.iter().map(|n| format!("`{n}`")).collect();
    assert_error(
        &err,
        &expected,
        &format!("prerequisite cycle: {}", rendered.join(" -> ")),
    );
}

#[test]
fn a_feature_requiring_itself_is_a_cycle() {
    let err = reject(graph(&[("a", &["a"])]));
    assert_error(
        &err,
        &ConfigError::PrerequisiteCycle {
            cycle: vec!["a".to_owned(), "a".to_owned()],
        },
        "prerequisite cycle: `a` -> `a`",
    );
    // Also when it requires itself to a variant.
    let config = one(FeatureConfig::new("a")
        .variant(VariantConfig::new("x", 100))
        .prerequisite(PrerequisiteConfig::variant("a", "x")));
    assert_eq!(reject(config).to_string(), "prerequisite cycle: `a` -> `a`");

    let err = reject_json(
        r#"{ "revision": "r1", "features": [
            { "name": "ok" },
            { "name": "loop", "prerequisites": [ { "feature": "loop" } ] } ] }"#,
    );
    assert_eq!(err.to_string(), "prerequisite cycle: `loop` -> `loop`");
}

#[test]
fn a_cycle_is_reported_from_its_first_listed_feature_along_the_requirements() {
    // The walk starts at the first listed feature that waits on the cycle
    // and follows each feature's first such prerequisite; the cycle is
    // reported from where the walk first comes back.
    assert_cycle(&[("a", &["b"]), ("b", &["a"])], &["a", "b", "a"]);
    assert_cycle(&[("b", &["a"]), ("a", &["b"])], &["b", "a", "b"]);
    assert_cycle(
        &[("a", &["b"]), ("b", &["c"]), ("c", &["a"])],
        &["a", "b", "c", "a"],
    );
    assert_cycle(
        &[("c", &["a"]), ("b", &["c"]), ("a", &["b"])],
        &["c", "a", "b", "c"],
    );
    // Prerequisites outside the cycle are skipped on the walk.
    assert_cycle(
        &[("ok", &[]), ("a", &["ok", "b"]), ("b", &["ok", "a"])],
        &["a", "b", "a"],
    );
}

#[test]
fn a_cycle_not_reachable_from_the_first_feature_is_found() {
    assert_cycle(
        &[
            ("first", &[]),
            ("second", &["first"]),
            ("x", &["y"]),
            ("y", &["z"]),
            ("z", &["x"]),
            ("last", &["second"]),
        ],
        &["x", "y", "z", "x"],
    );
    // A feature that only leads into a cycle is not part of it.
    assert_cycle(
        &[("top", &["a"]), ("a", &["b"]), ("b", &["a"])],
        &["a", "b", "a"],
    );
    assert_cycle(
        &[("top", &["mid"]), ("mid", &["c"]), ("c", &["c"])],
        &["c", "c"],
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [
            { "name": "fine" },
            { "name": "p", "prerequisites": [ { "feature": "q" } ] },
            { "name": "q", "prerequisites": [ { "feature": "fine" }, { "feature": "p" } ] } ] }"#,
    );
    assert_eq!(err.to_string(), "prerequisite cycle: `p` -> `q` -> `p`");
}

#[test]
fn shared_prerequisites_are_not_a_cycle() {
    // A diamond, and a feature listing one prerequisite twice.
    let config = graph(&[
        ("top", &["left", "right"]),
        ("left", &["base"]),
        ("right", &["base"]),
        ("base", &[]),
        ("twice", &["base", "base"]),
    ]);
    let s = Snapshot::try_from(config).expect("no cycle");
    assert!(s.is_enabled("top", "user-1"));
    assert!(s.is_enabled("twice", "user-1"));
}

/// `f0` needs `f1` needs … needs `f{n-1}`, all at 100%.
fn chain(n: usize) -> Vec<FeatureConfig> {
    (0..n)
        .map(|i| {
            let f = FeatureConfig::new(format!("f{i}")).percentage(100);
            if i + 1 < n {
                f.prerequisite(PrerequisiteConfig::on(format!("f{}", i + 1)))
            } else {
                f
            }
        })
        .collect()
}

fn config_of(features: impl IntoIterator<Item = FeatureConfig>) -> Config {
    features
        .into_iter()
        .fold(Config::new("r1"), Config::feature)
}

#[test]
fn a_prerequisite_chain_deeper_than_16_is_rejected() {
    // 18 features: f0 is 17 prerequisites deep.
    let err = reject(config_of(chain(18)));
    assert_error(
        &err,
        &ConfigError::PrerequisiteTooDeep {
            feature: "f0".to_owned(),
            max: 16,
        },
        "feature `f0`: prerequisite chain is deeper than 16",
    );
    // Listed the other way round, the top of the chain is still named.
    let err = reject(config_of(chain(18).into_iter().rev()));
    assert_eq!(
        err.to_string(),
        "feature `f0`: prerequisite chain is deeper than 16"
    );
    // Longer chains name the first listed feature that is too deep.
    let err = reject(config_of(chain(40)));
    assert_eq!(
        err.to_string(),
        "feature `f0`: prerequisite chain is deeper than 16"
    );
    let err = reject(config_of(chain(40).into_iter().rev()));
    assert_eq!(
        err.to_string(),
        "feature `f22`: prerequisite chain is deeper than 16"
    );

    let features: Vec<String> = (0..18)
        .map(|i| match i {
            17 => r#"{ "name": "f17" }"#.to_owned(),
            _ => format!(
                r#"{{ "name": "f{i}", "prerequisites": [ {{ "feature": "f{}" }} ] }}"#,
                i + 1
            ),
        })
        .collect();
    let json = format!(
        r#"{{ "revision": "r1", "features": [ {} ] }}"#,
        features.join(", ")
    );
    assert_eq!(
        reject_json(&json).to_string(),
        "feature `f0`: prerequisite chain is deeper than 16"
    );
}

#[test]
fn a_prerequisite_chain_of_depth_16_is_accepted_and_evaluates() {
    // 17 features: f0 is 16 prerequisites deep, the most allowed.
    let s = Snapshot::try_from(config_of(chain(17))).expect("depth 16 is allowed");
    for i in 0..17 {
        let d = s.evaluate(&format!("f{i}"), "user-1");
        assert!(d.is_enabled(), "f{i}");
        assert_eq!(d.reason(), Reason::InRollout, "f{i}");
    }
    // The bottom of the chain decides for the top.
    let killed = s.with_enabled("f16", false).expect("listed");
    assert_eq!(
        killed.evaluate("f0", "user-1").reason(),
        Reason::PrerequisiteFailed { feature: "f1" }
    );
    assert_eq!(
        killed.evaluate("f15", "user-1").reason(),
        Reason::PrerequisiteFailed { feature: "f16" }
    );
    assert_eq!(killed.evaluate("f16", "user-1").reason(), Reason::Killed);

    // Reversed order is the same graph.
    assert!(Snapshot::try_from(config_of(chain(17).into_iter().rev())).is_ok());
}

// ----- malformed rules and conditions -----

#[test]
fn a_rule_needs_exactly_one_action() {
    let mut none = RuleConfig::new(Serve::On);
    none.serve = None;
    let mut two = RuleConfig::new(Serve::On);
    two.percentage = Some(50.0);
    let mut three = RuleConfig::serve_variant("a");
    three.serve = Some(Serve::Off);
    three.percentage = Some(5.0);
    for (rule, count) in [(none, 0), (two, 2), (three, 3)] {
        let config = one(FeatureConfig::new("f")
            .variant(VariantConfig::new("a", 100))
            .rule(RuleConfig::new(Serve::On))
            .rule(rule));
        let problem =
            format!("needs exactly one of `serve`, `variant` or `percentage`, has {count}");
        assert_error(
            &reject(config),
            &malformed(feature("f"), "rules[1]", &problem),
            &format!("feature `f`: rules[1]: {problem}"),
        );
    }

    let err = reject_json(&json_rules(r#"[ {} ]"#));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0]: needs exactly one of `serve`, `variant` or `percentage`, has 0"
    );
    let err = reject_json(&json_rules(
        r#"[ { "conditions": [], "serve": "off", "percentage": 10 } ]"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0]: needs exactly one of `serve`, `variant` or `percentage`, has 2"
    );
}

#[test]
fn a_condition_needs_exactly_one_of_attribute_and_segment() {
    let problem = "needs exactly one of `attribute` or `segment`";
    let mut both = ConditionConfig::new("country", Operator::In, ["NL"]);
    both.segment = Some("staff".to_owned());
    let mut neither = ConditionConfig::segment("staff");
    neither.segment = None;
    for condition in [both, neither] {
        let config = Config::new("r1")
            .segment(SegmentConfig::new("staff"))
            .feature(
                FeatureConfig::new("f").rule(
                    RuleConfig::new(Serve::On)
                        .condition(ConditionConfig::segment("staff"))
                        .condition(condition),
                ),
            );
        assert_error(
            &reject(config),
            &malformed(feature("f"), "rules[0].conditions[1]", problem),
            &format!("feature `f`: rules[0].conditions[1]: {problem}"),
        );
    }

    let err = reject_json(&json_condition(
        r#"{ "attribute": "country", "op": "in", "values": ["NL"], "segment": "staff" }"#,
    ));
    assert_eq!(
        err.to_string(),
        format!("feature `f`: rules[0].conditions[0]: {problem}")
    );
    let err = reject_json(&json_condition(r#"{ "op": "in", "values": ["NL"] }"#));
    assert_eq!(
        err.to_string(),
        format!("feature `f`: rules[0].conditions[0]: {problem}")
    );
    let err = reject_json(&json_condition("{}"));
    assert_eq!(
        err.to_string(),
        format!("feature `f`: rules[0].conditions[0]: {problem}")
    );
}

#[test]
fn a_segment_condition_takes_no_op_values_or_case_insensitive() {
    let problem = "a `segment` condition takes no `op`, `values` or `case_insensitive`";
    let mut with_op = ConditionConfig::segment("staff");
    with_op.op = Some(Operator::In);
    let mut with_values = ConditionConfig::segment("staff");
    with_values.values = vec![Literal::from("x")];
    let mut with_case = ConditionConfig::segment("staff");
    with_case.case_insensitive = true;
    for condition in [with_op, with_values, with_case] {
        let config = Config::new("r1")
            .segment(SegmentConfig::new("staff"))
            .feature(FeatureConfig::new("f").rule(RuleConfig::new(Serve::On).condition(condition)));
        assert_error(
            &reject(config),
            &malformed(feature("f"), "rules[0].conditions[0]", problem),
            &format!("feature `f`: rules[0].conditions[0]: {problem}"),
        );
    }

    let json = r#"{ "revision": "r1",
        "segments": [ { "name": "staff", "conditions": [] } ],
        "features": [ { "name": "f", "rules": [
            { "conditions": [ { "segment": "staff", "op": "in", "values": ["x"] } ], "serve": "on" } ] } ] }"#;
    assert_eq!(
        reject_json(json).to_string(),
        format!("feature `f`: rules[0].conditions[0]: {problem}")
    );
    // `negate` is allowed on a segment condition.
    let ok = json.replace(r#", "op": "in", "values": ["x"]"#, r#", "negate": true"#);
    accept_json(&ok);
}

#[test]
fn a_segment_cannot_refer_to_a_segment() {
    let config = Config::new("r1")
        .segment(SegmentConfig::new("inner"))
        .segment(
            SegmentConfig::new("outer")
                .condition(ConditionConfig::new("country", Operator::In, ["NL"]))
                .condition(ConditionConfig::segment("inner")),
        );
    assert_error(
        &reject(config),
        &malformed(
            segment("outer"),
            "conditions[1]",
            "a segment cannot refer to another segment",
        ),
        "segment `outer`: conditions[1]: a segment cannot refer to another segment",
    );
    // Not even to itself, negated, or to one that does not exist.
    let config = Config::new("r1")
        .segment(SegmentConfig::new("self").condition(ConditionConfig::segment("self").negate()));
    assert_eq!(
        reject(config).to_string(),
        "segment `self`: conditions[0]: a segment cannot refer to another segment"
    );
    let err = reject_json(
        r#"{ "revision": "r1", "segments": [
            { "name": "s", "conditions": [ { "segment": "nowhere" } ] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "segment `s`: conditions[0]: a segment cannot refer to another segment"
    );
}

#[test]
fn an_attribute_condition_needs_an_op_and_values() {
    let mut no_op = ConditionConfig::new("country", Operator::In, ["NL"]);
    no_op.op = None;
    assert_error(
        &reject(one_condition(no_op)),
        &malformed(feature("f"), "rules[0].conditions[0]", "`op` is missing"),
        "feature `f`: rules[0].conditions[0]: `op` is missing",
    );
    let err = reject_json(&json_condition(
        r#"{ "attribute": "country", "values": ["NL"] }"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0]: `op` is missing"
    );

    for op in [
        Operator::In,
        Operator::StartsWith,
        Operator::Lt,
        Operator::SemverEq,
    ] {
        let empty = ConditionConfig::new("country", op, Vec::<Literal>::new());
        assert_error(
            &reject(one_condition(empty)),
            &malformed(feature("f"), "rules[0].conditions[0]", "`values` is empty"),
            "feature `f`: rules[0].conditions[0]: `values` is empty",
        );
    }
    let err = reject_json(&json_condition(
        r#"{ "attribute": "country", "op": "in", "values": [] }"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0]: `values` is empty"
    );
    let err = reject_json(&json_condition(r#"{ "attribute": "country", "op": "in" }"#));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0]: `values` is empty"
    );
}

#[test]
fn equals_takes_exactly_one_value() {
    let two = ConditionConfig::new("country", Operator::Equals, ["NL", "BE"]);
    assert_error(
        &reject(one_condition(two)),
        &malformed(
            feature("f"),
            "rules[0].conditions[0]",
            "`equals` takes one value, has 2",
        ),
        "feature `f`: rules[0].conditions[0]: `equals` takes one value, has 2",
    );
    let err = reject_json(&json_condition(
        r#"{ "attribute": "n", "op": "equals", "values": [1, 2, 3] }"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0]: `equals` takes one value, has 3"
    );
    // Zero values is the empty-values error.
    let none = ConditionConfig::new("country", Operator::Equals, Vec::<Literal>::new());
    assert_eq!(
        reject(one_condition(none)).to_string(),
        "feature `f`: rules[0].conditions[0]: `values` is empty"
    );
}

#[test]
fn case_insensitive_applies_to_string_operators_only() {
    for op in [
        Operator::Lt,
        Operator::Lte,
        Operator::Gt,
        Operator::Gte,
        Operator::SemverEq,
        Operator::SemverLt,
        Operator::SemverLte,
        Operator::SemverGt,
        Operator::SemverGte,
    ] {
        let values: Vec<Literal> = if op.as_str().starts_with("semver") {
            vec!["1.0".into()]
        } else {
            vec![1.into()]
        };
        let condition = ConditionConfig::new("a", op, values).case_insensitive();
        let problem = format!(
            "`case_insensitive` does not apply to operator `{}`",
            op.as_str()
        );
        assert_error(
            &reject(one_condition(condition)),
            &malformed(feature("f"), "rules[0].conditions[0]", &problem),
            &format!("feature `f`: rules[0].conditions[0]: {problem}"),
        );
    }
    let err = reject_json(&json_condition(
        r#"{ "attribute": "age", "op": "gte", "values": [18], "case_insensitive": true }"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0]: `case_insensitive` does not apply to operator `gte`"
    );

    // String operators take it.
    for op in [
        Operator::In,
        Operator::NotIn,
        Operator::Equals,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::Contains,
    ] {
        let condition = ConditionConfig::new("a", op, ["x"]).case_insensitive();
        assert!(
            Snapshot::try_from(one_condition(condition)).is_ok(),
            "{op:?}"
        );
    }
}

// ----- operator types and versions -----

#[test]
fn a_string_operator_given_a_non_string_names_the_value() {
    let cases: [(Operator, Literal, &str); 4] = [
        (
            Operator::StartsWith,
            Literal::from(5),
            "operator `starts_with` takes a string, not 5",
        ),
        (
            Operator::EndsWith,
            Literal::from(2.5),
            "operator `ends_with` takes a string, not 2.5",
        ),
        (
            Operator::Contains,
            Literal::from(true),
            "operator `contains` takes a string, not true",
        ),
        (
            Operator::StartsWith,
            Literal::from(-1),
            "operator `starts_with` takes a string, not -1",
        ),
    ];
    for (op, value, message) in cases {
        let condition = ConditionConfig::new("a", op, [Literal::from("ok"), value.clone()]);
        assert_error(
            &reject(one_condition(condition)),
            &operator_type(
                feature("f"),
                "rules[0].conditions[0].values[1]",
                op,
                "a string",
                value,
            ),
            &format!("feature `f`: rules[0].conditions[0].values[1]: {message}"),
        );
    }
    let err = reject_json(&json_condition(
        r#"{ "attribute": "email", "op": "ends_with", "values": [42] }"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0].values[0]: operator `ends_with` takes a string, not 42"
    );
}

#[test]
fn a_numeric_operator_given_a_string_or_bool_names_the_value() {
    let cases: [(Operator, Literal, &str); 4] = [
        (
            Operator::Lt,
            Literal::from("10"),
            r#"operator `lt` takes a finite number, not "10""#,
        ),
        (
            Operator::Lte,
            Literal::from(true),
            "operator `lte` takes a finite number, not true",
        ),
        (
            Operator::Gt,
            Literal::from("ten"),
            r#"operator `gt` takes a finite number, not "ten""#,
        ),
        (
            Operator::Gte,
            Literal::from(false),
            "operator `gte` takes a finite number, not false",
        ),
    ];
    for (op, value, message) in cases {
        let condition = ConditionConfig::new("a", op, [value.clone()]);
        assert_error(
            &reject(one_condition(condition)),
            &operator_type(
                feature("f"),
                "rules[0].conditions[0].values[0]",
                op,
                "a finite number",
                value,
            ),
            &format!("feature `f`: rules[0].conditions[0].values[0]: {message}"),
        );
    }
    // Non-finite numbers cannot be compared with (JSON cannot write them).
    for (n, shown) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        let condition = ConditionConfig::new("a", Operator::Lt, [1.0, n]);
        assert_eq!(
            reject(one_condition(condition)).to_string(),
            format!(
                "feature `f`: rules[0].conditions[0].values[1]: operator `lt` takes a finite number, not {shown}"
            )
        );
    }
    let err = reject_json(&json_condition(
        r#"{ "attribute": "age", "op": "gte", "values": [18, "21"] }"#,
    ));
    assert_eq!(
        err.to_string(),
        r#"feature `f`: rules[0].conditions[0].values[1]: operator `gte` takes a finite number, not "21""#
    );
}

#[test]
fn a_semver_operator_given_a_non_string_or_a_non_version_names_the_value() {
    let cases: [(Operator, Literal, &str); 3] = [
        (
            Operator::SemverLt,
            Literal::from(2),
            "operator `semver_lt` takes a version string, not 2",
        ),
        (
            Operator::SemverEq,
            Literal::from(2.3),
            "operator `semver_eq` takes a version string, not 2.3",
        ),
        (
            Operator::SemverGte,
            Literal::from(true),
            "operator `semver_gte` takes a version string, not true",
        ),
    ];
    for (op, value, message) in cases {
        let condition = ConditionConfig::new("a", op, [value.clone()]);
        assert_error(
            &reject(one_condition(condition)),
            &operator_type(
                feature("f"),
                "rules[0].conditions[0].values[0]",
                op,
                "a version string",
                value,
            ),
            &format!("feature `f`: rules[0].conditions[0].values[0]: {message}"),
        );
    }

    let condition = ConditionConfig::new("app_version", Operator::SemverGte, ["2.3", "2.x"]);
    assert_error(
        &reject(one_condition(condition)),
        &ConfigError::InvalidVersion {
            owner: feature("f"),
            field: "rules[0].conditions[0].values[1]".to_owned(),
            value: "2.x".to_owned(),
        },
        r#"feature `f`: rules[0].conditions[0].values[1]: "2.x" is not a version"#,
    );
    for bad in ["", "latest", "1.2.3.4", "1.0-", " 1.0"] {
        let condition = ConditionConfig::new("v", Operator::SemverEq, [bad]);
        assert_eq!(
            reject(one_condition(condition)).to_string(),
            format!("feature `f`: rules[0].conditions[0].values[0]: {bad:?} is not a version")
        );
    }

    let err = reject_json(&json_condition(
        r#"{ "attribute": "app_version", "op": "semver_lt", "values": ["2.x"] }"#,
    ));
    assert_eq!(
        err.to_string(),
        r#"feature `f`: rules[0].conditions[0].values[0]: "2.x" is not a version"#
    );
    let err = reject_json(&json_condition(
        r#"{ "attribute": "app_version", "op": "semver_gt", "values": [2] }"#,
    ));
    assert_eq!(
        err.to_string(),
        "feature `f`: rules[0].conditions[0].values[0]: operator `semver_gt` takes a version string, not 2"
    );
}

#[test]
fn equality_operators_take_strings_numbers_and_bools() {
    let mixed = [Literal::from("NL"), Literal::from(5), Literal::from(false)];
    for op in [Operator::In, Operator::NotIn] {
        let condition = ConditionConfig::new("a", op, mixed.clone());
        assert!(
            Snapshot::try_from(one_condition(condition)).is_ok(),
            "{op:?}"
        );
    }
    for value in mixed {
        let condition = ConditionConfig::new("a", Operator::Equals, [value]);
        assert!(Snapshot::try_from(one_condition(condition)).is_ok());
    }
    accept_json(&json_condition(
        r#"{ "attribute": "a", "op": "in", "values": ["NL", 5, 2.5, true, false] }"#,
    ));
}

#[test]
fn equality_operators_reject_non_finite_numbers_like_comparisons_do() {
    // `lt` rejects NaN and infinities ("takes a finite number"); `in`
    // accepts them, and the accepted config cannot go through JSON.
    let condition = ConditionConfig::new("a", Operator::In, [f64::INFINITY]);
    let config = one_condition(condition);
    if let Ok(snapshot) = Snapshot::try_from(config.clone()) {
        let json = serde_json::to_string(&snapshot.to_config()).expect("serialises");
        let parsed = serde_json::from_str::<Config>(&json);
        panic!("accepted a non-finite `in` value; its JSON is {json}, which parses as {parsed:?}");
    }
    assert_eq!(
        reject(config).to_string(),
        "feature `f`: rules[0].conditions[0].values[0]: operator `in` takes a finite number, not inf"
    );
}

// ----- errors inside segments -----

#[test]
fn errors_inside_a_segment_name_the_segment_and_the_condition() {
    let cases: [(ConditionConfig, &str); 8] = [
        (
            ConditionConfig::new("", Operator::In, ["x"]),
            "segment `seg`: conditions[0].attribute is empty",
        ),
        (
            {
                let mut c = ConditionConfig::new("a", Operator::In, ["x"]);
                c.op = None;
                c
            },
            "segment `seg`: conditions[0]: `op` is missing",
        ),
        (
            ConditionConfig::new("a", Operator::In, Vec::<Literal>::new()),
            "segment `seg`: conditions[0]: `values` is empty",
        ),
        (
            ConditionConfig::new("a", Operator::Equals, ["x", "y"]),
            "segment `seg`: conditions[0]: `equals` takes one value, has 2",
        ),
        (
            ConditionConfig::new("a", Operator::Gt, [1]).case_insensitive(),
            "segment `seg`: conditions[0]: `case_insensitive` does not apply to operator `gt`",
        ),
        (
            ConditionConfig::new("a", Operator::Contains, [1]),
            "segment `seg`: conditions[0].values[0]: operator `contains` takes a string, not 1",
        ),
        (
            ConditionConfig::new("a", Operator::SemverLte, ["1.0", "2.x"]),
            r#"segment `seg`: conditions[0].values[1]: "2.x" is not a version"#,
        ),
        (
            {
                let mut c = ConditionConfig::new("a", Operator::In, ["x"]);
                c.segment = Some("seg".to_owned());
                c
            },
            "segment `seg`: conditions[0]: needs exactly one of `attribute` or `segment`",
        ),
    ];
    for (condition, message) in cases {
        let err = reject(one_segment_condition(condition));
        assert_eq!(err.to_string(), message);
    }

    // The variant and fields, for one of each kind.
    let err = reject(one_segment_condition(ConditionConfig::new(
        "age",
        Operator::Lt,
        ["ten"],
    )));
    assert_eq!(
        err,
        operator_type(
            segment("seg"),
            "conditions[0].values[0]",
            Operator::Lt,
            "a finite number",
            "ten"
        )
    );
    let err = reject(one_segment_condition(ConditionConfig::new(
        "v",
        Operator::SemverGt,
        ["x"],
    )));
    assert_eq!(
        err,
        ConfigError::InvalidVersion {
            owner: segment("seg"),
            field: "conditions[0].values[0]".to_owned(),
            value: "x".to_owned(),
        }
    );

    // The position is the condition's within its segment.
    let config = Config::new("r1")
        .segment(SegmentConfig::new("ok").condition(ConditionConfig::new("a", Operator::In, ["x"])))
        .segment(
            SegmentConfig::new("staff")
                .condition(ConditionConfig::new(
                    "email",
                    Operator::EndsWith,
                    ["@example.com"],
                ))
                .condition(ConditionConfig::new("age", Operator::Gte, [18]))
                .condition(ConditionConfig::new("age", Operator::Lt, [true])),
        );
    assert_eq!(
        reject(config).to_string(),
        "segment `staff`: conditions[2].values[0]: operator `lt` takes a finite number, not true"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "segments": [
            { "name": "staff", "conditions": [
                { "attribute": "email", "op": "ends_with", "values": ["@example.com"] },
                { "attribute": "app", "op": "semver_gte", "values": ["v2.x"] } ] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        r#"segment `staff`: conditions[1].values[0]: "v2.x" is not a version"#
    );
}

#[test]
fn segments_are_checked_before_features_even_unused_ones() {
    let config = Config::new("r1")
        .feature(FeatureConfig::new("f").percentage(140))
        .segment(SegmentConfig::new("unused").condition(ConditionConfig::new(
            "",
            Operator::In,
            ["x"],
        )));
    assert_eq!(
        reject(config).to_string(),
        "segment `unused`: conditions[0].attribute is empty"
    );
}

#[test]
fn within_a_feature_targeting_is_checked_after_lists_in_field_order() {
    // salt, then bucket_by, then variants, then rules in order (each rule:
    // name, action, then conditions).
    let mut f = FeatureConfig::new("f")
        .allow(["a"])
        .salt("")
        .bucket_by("")
        .variant(VariantConfig::new("v", 90))
        .rule(RuleConfig::serve_variant("w").named(""))
        .rule(RuleConfig::percentage(200).condition(ConditionConfig::segment("nope")));
    let mut messages = Vec::new();
    for _ in 0..6 {
        let err = reject(one(f.clone()));
        messages.push(err.to_string());
        match messages.len() {
            1 => f.salt = None,
            2 => f.bucket_by = None,
            3 => f.variants[0].weight = 100.0,
            4 => f.rules[0].name = None,
            5 => f.rules[0].variant = Some("v".to_owned()),
            _ => f.rules[1].percentage = Some(20.0),
        }
    }
    assert_eq!(
        messages,
        [
            "feature `f`: salt is empty",
            "feature `f`: bucket_by is empty",
            "feature `f`: variants: weights sum to 90, not 100",
            "feature `f`: rules[0].name is empty",
            "feature `f`: rules[0].variant: unknown variant `w`",
            "feature `f`: rules[1].percentage 200 is out of range (0..=100)",
        ]
    );
    assert_eq!(
        reject(one(f.clone())).to_string(),
        "feature `f`: rules[1].conditions[0].segment: unknown segment `nope`"
    );
    f.rules[1].conditions.clear();
    assert!(Snapshot::try_from(one(f)).is_ok());
}

// ----- a large valid config -----

const EVERYTHING: &str = r#"{
  "schema_version": 1,
  "revision": "2026-11-23.2",
  "segments": [
    { "name": "staff", "conditions": [
      { "attribute": "email", "op": "ends_with", "values": ["@example.com", "@example.org"], "case_insensitive": true } ] },
    { "name": "beta_testers", "conditions": [
      { "attribute": "roles", "op": "in", "values": ["beta", "qa"] },
      { "attribute": "country", "op": "not_in", "values": ["CN", "RU"] } ] },
    { "name": "modern_apps", "conditions": [
      { "attribute": "app_version", "op": "semver_gte", "values": ["2.3"] },
      { "attribute": "app_version", "op": "semver_lt", "values": ["4.0.0-alpha"] } ] },
    { "name": "grown_ups", "conditions": [
      { "attribute": "age", "op": "gte", "values": [18] },
      { "attribute": "age", "op": "lt", "values": [130] } ] },
    { "name": "everyone", "conditions": [] }
  ],
  "features": [
    { "name": "new_payments", "salt": "payments_2025", "bucket_by": "org_id", "percentage": 50 },
    { "name": "dark_mode", "enabled": false, "percentage": 100 },
    { "name": "new_checkout_design", "salt": "checkout_v2", "percentage": 12.34,
      "allow": ["user-1", "user-2"], "deny": ["user-3"],
      "prerequisites": [ { "feature": "new_payments" } ],
      "rules": [
        { "name": "old apps", "conditions": [
            { "attribute": "app_version", "op": "semver_lt", "values": ["2.3"] } ], "serve": "off" },
        { "name": "staff", "conditions": [ { "segment": "staff" } ], "variant": "wizard" },
        { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL", "BE"] } ], "percentage": 50 },
        { "name": "free outsiders", "conditions": [
            { "segment": "beta_testers", "negate": true },
            { "attribute": "plan", "op": "equals", "values": ["free"] } ], "serve": "off" }
      ],
      "variants": [
        { "name": "one_page", "weight": 33.33, "value": { "steps": 1, "labels": ["a", "b"], "nested": { "ok": true } } },
        { "name": "wizard", "weight": 33.33, "value": "wz" },
        { "name": "control", "weight": 33.34 }
      ] },
    { "name": "search_v2", "percentage": 25,
      "prerequisites": [ { "feature": "new_checkout_design", "variant": "wizard" } ],
      "rules": [
        { "name": "grown-up modern apps", "conditions": [ { "segment": "modern_apps" }, { "segment": "grown_ups" } ], "serve": "on" } ] },
    { "name": "pricing", "percentage": 100, "deny": ["user-5", "user-9"],
      "variants": [
        { "name": "low", "weight": 25, "value": 9.99 },
        { "name": "mid", "weight": 50, "value": 14 },
        { "name": "high", "weight": 25, "value": [true, null, "x"] } ],
      "rules": [
        { "name": "testers", "conditions": [ { "attribute": "email", "op": "contains", "values": ["+test"] } ], "variant": "high" },
        { "conditions": [ { "attribute": "email", "op": "starts_with", "values": ["ADMIN"], "case_insensitive": true } ], "serve": "off" },
        { "conditions": [
            { "attribute": "score", "op": "gt", "values": [90] },
            { "attribute": "score", "op": "lte", "values": [100] } ], "variant": "low" },
        { "conditions": [ { "attribute": "app_version", "op": "semver_eq", "values": ["3.0", "3.1.0-rc.1"] } ], "percentage": 10 },
        { "conditions": [
            { "attribute": "app_version", "op": "semver_gt", "values": ["5"] },
            { "attribute": "app_version", "op": "semver_lte", "values": ["9.9.9"] } ], "serve": "on" },
        { "conditions": [
            { "attribute": "beta", "op": "in", "values": [true] },
            { "attribute": "country", "op": "in", "values": ["nl", "de"], "case_insensitive": true, "negate": true } ], "percentage": 75.5 },
        { "name": "everyone else", "conditions": [ { "segment": "everyone" } ], "percentage": 60 }
      ] },
    { "name": "org_rollout", "bucket_by": "org_id", "percentage": 30, "deny": ["user-9"],
      "prerequisites": [ { "feature": "new_payments" } ],
      "variants": [ { "name": "a", "weight": 50, "value": false }, { "name": "b", "weight": 50, "value": null } ] },
    { "name": "legacy_banner", "percentage": 100,
      "prerequisites": [ { "feature": "dark_mode" } ] },
    { "name": "score_gate", "percentage": 0.01,
      "rules": [ { "conditions": [ { "attribute": "score", "op": "gte", "values": [50, 99.5] }, { "attribute": "score", "op": "lt", "values": [75] } ], "serve": "on" },
                 { "conditions": [ { "attribute": "roles", "op": "not_in", "values": ["banned"] } ], "serve": "off" },
                 { "conditions": [ { "attribute": "age", "op": "equals", "values": [42] } ], "serve": "on" } ] },
    { "name": "ios_only", "percentage": 100, "allow": ["user-7"],
      "rules": [ { "conditions": [ { "attribute": "platform", "op": "not_in", "values": ["ios"] } ], "serve": "off" } ] }
  ]
}"#;

const COUNTRIES: [&str; 7] = ["NL", "BE", "DE", "nl", "CN", "US", "FR"];
const DOMAINS: [&str; 4] = ["example.com", "EXAMPLE.ORG", "gmail.com", "corp.example"];
const ROLES: [&[&str]; 5] = [&[], &["beta"], &["admin", "qa"], &["banned"], &["user"]];
const VERSIONS: [&str; 10] = [
    "1.9.9",
    "2.3",
    "2.3.0-beta.1",
    "3.0.0",
    "3.1.0-rc.1",
    "3.9",
    "4.0.0-alpha",
    "6.1.2",
    "v10.0.0",
    "2.x",
];

/// Evaluates every feature of both snapshots for 1,000 varied contexts,
/// asserting identical decisions, and returns the reasons seen.
fn assert_same_decisions(a: &Snapshot, b: &Snapshot) -> BTreeSet<String> {
    let names: Vec<&str> = a.features().map(|f| f.name()).collect();
    assert_eq!(names, b.features().map(|f| f.name()).collect::<Vec<_>>());
    let mut reasons = BTreeSet::new();
    for i in 0..1_000 {
        let unit = format!("user-{i}");
        let email = format!(
            "{}{}@{}",
            if i % 13 == 0 { "Admin." } else { "someone" },
            if i % 17 == 0 { "+test" } else { "" },
            DOMAINS[i % DOMAINS.len()]
        );
        let org = format!("org-{}", i % 37);
        let version_text = VERSIONS[i % VERSIONS.len()];
        let mut attributes: Vec<(&str, Value<'_>)> = Vec::new();
        if i % 9 != 0 {
            attributes.push(("country", Value::Str(COUNTRIES[i % COUNTRIES.len()])));
        }
        if i % 5 != 0 {
            attributes.push(("email", Value::Str(&email)));
        }
        match i % 4 {
            0 => {}
            1 => attributes.push(("app_version", Value::Str(version_text))),
            _ => {
                if let Some(v) = Version::parse(version_text) {
                    attributes.push(("app_version", Value::Version(v)));
                }
            }
        }
        match i % 11 {
            0 => {}
            1 => attributes.push(("age", Value::Number(f64::NAN))),
            2 => attributes.push(("age", Value::Str("42"))),
            _ => attributes.push(("age", Value::from((i % 89) as i64))),
        }
        attributes.push((
            "score",
            Value::Number((i % 101) as f64 + 0.5 * (i % 2) as f64),
        ));
        attributes.push(("roles", Value::List(ROLES[i % ROLES.len()])));
        attributes.push(("plan", Value::Str(if i % 3 == 0 { "free" } else { "pro" })));
        attributes.push(("beta", Value::Bool(i % 2 == 0)));
        match i % 8 {
            0 => {}
            1 => attributes.push(("org_id", Value::Number(7.0))),
            _ => attributes.push(("org_id", Value::Str(&org))),
        }
        match i % 6 {
            0 => attributes.push(("platform", Value::Str("ios"))),
            3 => attributes.push(("platform", Value::Str("android"))),
            _ => {}
        }
        let context = Context::new(&unit).with_attributes(&attributes);
        for name in &names {
            let (da, db) = (
                a.evaluate_with(name, &context),
                b.evaluate_with(name, &context),
            );
            assert_eq!(da, db, "{name} for {context:?}");
            reasons.insert(format!("{name}: {}", da.reason()));
        }
    }
    reasons
}

#[test]
fn a_config_using_every_part_of_the_format_round_trips_with_identical_decisions() {
    let parsed: Config = serde_json::from_str(EVERYTHING).expect("well-formed config data");
    let first = Snapshot::try_from(&parsed).expect("valid");
    assert_eq!(first.revision().to_string(), "2026-11-23.2");
    assert_eq!(first.features().len(), 9);

    // Every operator is used.
    let mut ops = BTreeSet::new();
    let conditions = parsed.segments.iter().flat_map(|s| &s.conditions).chain(
        parsed
            .features
            .iter()
            .flat_map(|f| f.rules.iter().flat_map(|r| &r.conditions)),
    );
    for c in conditions {
        ops.extend(c.op.map(Operator::as_str));
    }
    assert_eq!(ops.len(), 15, "{ops:?}");

    // to_config gives back the config as written, and validates again.
    let regenerated = first.to_config();
    assert_eq!(regenerated, parsed);
    let second = Snapshot::try_from(regenerated.clone()).expect("to_config is valid");
    assert_eq!(second.revision(), first.revision());

    // And through JSON text.
    let json = serde_json::to_string_pretty(&regenerated).expect("serialises");
    let reparsed: Config = serde_json::from_str(&json).expect("its own JSON parses");
    assert_eq!(reparsed, parsed);
    let third = Snapshot::try_from(reparsed).expect("valid");

    let reasons = assert_same_decisions(&first, &third);
    assert_same_decisions(&first, &second);

    // The decisions really do vary, so the comparison could catch a loss.
    let kinds: BTreeSet<&str> = reasons
        .iter()
        .map(|r| r.split_once(": ").expect("name: reason").1)
        .map(|r| r.split([' ', ':']).next().unwrap_or(r))
        .collect();
    for kind in [
        "allowed",
        "denied",
        "killed",
        "prerequisite_failed",
        "rule",
        "missing_bucket_by",
        "in_rollout",
        "out_of_rollout",
    ] {
        assert!(kinds.contains(kind), "{kind} not seen in {reasons:#?}");
    }
    for expected in [
        "new_checkout_design: rule #1 (staff) via segment staff",
        "new_checkout_design: rule #0 (old apps)",
        "new_checkout_design: rule #2",
        "new_checkout_design: rule #3 (free outsiders)",
        "search_v2: rule #0 (grown-up modern apps) via segment modern_apps",
        "pricing: rule #0 (testers)",
        "pricing: rule #6 (everyone else) via segment everyone",
        "legacy_banner: prerequisite_failed: dark_mode",
        "new_payments: missing_bucket_by: org_id",
        "score_gate: rule #0",
        "score_gate: rule #1",
        "score_gate: rule #2",
        "ios_only: rule #0",
        "ios_only: allowed",
    ] {
        assert!(
            reasons.contains(expected),
            "{expected} not seen in {reasons:#?}"
        );
    }

    // A dialled snapshot round-trips too.
    let dialled = first
        .with_percentage(
            "org_rollout",
            gradual::Percentage::from_basis_points(7_777).expect("in range"),
        )
        .and_then(|s| s.with_enabled("dark_mode", true))
        .expect("both listed");
    let again = Snapshot::try_from(dialled.to_config()).expect("valid");
    assert_same_decisions(&dialled, &again);
}

// ----- prerequisite fan-out -----

/// `levels` levels of `width` features, each needing every feature of the
/// next level; the top feature `l0_0` takes 1 + w + w² + … evaluations.
fn fan_out(levels: usize, width: usize) -> Config {
    let mut config = Config::new("r1");
    for level in 0..levels {
        for i in 0..width {
            let mut f = FeatureConfig::new(format!("l{level}_{i}")).percentage(100);
            if level + 1 < levels {
                for j in 0..width {
                    f = f.prerequisite(PrerequisiteConfig::on(format!("l{}_{j}", level + 1)));
                }
            }
            config = config.feature(f);
        }
    }
    config
}

#[test]
fn prerequisite_fan_out_is_bounded_by_evaluations_not_only_depth() {
    // 16 levels of 3: depth 15 is allowed, but 1 + 3 + … + 3^15 evaluations
    // per request are not (an earlier release took over half a second).
    let err = reject(fan_out(16, 3));
    assert!(
        matches!(&err, ConfigError::PrerequisitesTooMany { max: 64, .. }),
        "{err:?}"
    );
    // 2 wide: 1 + 2 + 4 + 8 + 16 + 32 = 63 evaluations for the top: accepted.
    let s = Snapshot::try_from(fan_out(6, 2)).expect("63 evaluations are allowed");
    assert!(s.is_enabled("l0_0", "u"));
    // One level more: 127, rejected, naming the first feature over the bound.
    assert_eq!(
        reject(fan_out(7, 2)).to_string(),
        "feature `l0_0`: evaluating its prerequisites takes 127 evaluations, more than 64"
    );
}
