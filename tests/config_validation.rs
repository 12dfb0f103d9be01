//! Invalid input never becomes a [`Snapshot`], and every [`ConfigError`]
//! names the feature, the field and the value.
//!
//! Error messages are part of the interface, so each one is asserted
//! verbatim, for configs built in code and (where JSON can say it) for
//! configs parsed from JSON text.

use gradual::{
    ConditionConfig, Config, ConfigError, FeatureConfig, GuardConfig, Operator, RampConfig,
    RampStep, RuleConfig, SegmentConfig, Serve, Snapshot, VariantConfig,
};

/// Validates a config that must be rejected, and returns the error.
fn reject(config: Config) -> ConfigError {
    Snapshot::try_from(config).expect_err("an invalid config must not become a snapshot")
}

/// Parses JSON text (which must be well-formed config data) and validates
/// it; the result must be rejected.
fn reject_json(json: &str) -> ConfigError {
    let config: Config = serde_json::from_str(json).expect("the JSON is well-formed config data");
    reject(config)
}

/// Parses and validates JSON text that must be accepted.
fn accept_json(json: &str) -> Snapshot {
    let config: Config = serde_json::from_str(json).expect("the JSON is well-formed config data");
    Snapshot::try_from(config).expect("a valid config becomes a snapshot")
}

/// A config of one feature.
fn one(feature: FeatureConfig) -> Config {
    Config::new("r1").feature(feature)
}

// ----- one test per variant -----

#[test]
fn unsupported_schema_names_the_version_found_and_the_one_supported() {
    let mut config = one(FeatureConfig::new("checkout").percentage(5));
    config.schema_version = 2;
    let err = reject(config);
    assert_eq!(
        err,
        ConfigError::UnsupportedSchema {
            found: 2,
            supported: 1
        }
    );
    assert_eq!(
        err.to_string(),
        "schema_version 2 is not supported (this release reads 1)"
    );

    let err = reject_json(r#"{ "schema_version": 0, "revision": "r1" }"#);
    assert_eq!(
        err.to_string(),
        "schema_version 0 is not supported (this release reads 1)"
    );
}

#[test]
fn empty_revision_is_rejected() {
    let err = reject(Config::new("").feature(FeatureConfig::new("checkout")));
    assert_eq!(err, ConfigError::EmptyRevision);
    assert_eq!(err.to_string(), "revision is empty");

    let err = reject_json(r#"{ "revision": "", "features": [] }"#);
    assert_eq!(err.to_string(), "revision is empty");
}

#[test]
fn empty_name_names_the_position_of_the_feature() {
    let config = Config::new("r1")
        .feature(FeatureConfig::new("a"))
        .feature(FeatureConfig::new("b"))
        .feature(FeatureConfig::new(""));
    let err = reject(config);
    assert_eq!(err, ConfigError::EmptyName { index: 2 });
    assert_eq!(err.to_string(), "feature #2: name is empty");

    let err = reject_json(r#"{ "revision": "r1", "features": [ { "name": "" } ] }"#);
    assert_eq!(err.to_string(), "feature #0: name is empty");
}

#[test]
fn name_with_surrounding_whitespace_is_rejected() {
    for name in [" checkout", "checkout ", "checkout\n", "\tcheckout", " "] {
        let err = reject(one(FeatureConfig::new(name)));
        assert_eq!(
            err,
            ConfigError::NameWhitespace {
                feature: name.to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("feature `{name}`: name has leading or trailing whitespace")
        );
    }

    let err = reject_json(r#"{ "revision": "r1", "features": [ { "name": "dark_mode " } ] }"#);
    assert_eq!(
        err.to_string(),
        "feature `dark_mode `: name has leading or trailing whitespace"
    );

    // Whitespace inside a name is not surrounding whitespace.
    assert!(Snapshot::try_from(one(FeatureConfig::new("new checkout"))).is_ok());
}

/// `errors` lists each part of a feature that is wrong, not only the
/// first: its percentage, lists, salt, each rule, ramp and guard (rules
/// only once the variants they may name are valid), in that order, and
/// `Snapshot::try_from` reports the first of them.
#[test]
fn errors_list_every_part_of_a_feature_that_is_wrong() {
    let broken = FeatureConfig::new("f")
        .percentage(140)
        .allow(["x"])
        .deny(["x"])
        .salt("")
        .rule(RuleConfig::percentage(101).condition(ConditionConfig::new(
            "plan",
            Operator::In,
            ["pro"],
        )))
        .rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new("", Operator::In, ["pro"])))
        .ramp(RampConfig::starting("soon").step(RampStep::last(50)))
        .guard(GuardConfig::new(1.0, 5));
    let config = Config::new("r1").feature(broken.clone());
    let errors: Vec<String> = config.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "feature `f`: percentage 140 is out of range (0..=100)",
            "feature `f`: unit `x` is in both allow and deny",
            "feature `f`: salt is empty",
            "feature `f`: rules[0].percentage 101 is out of range (0..=100)",
            "feature `f`: rules[1].conditions[0].attribute is empty",
            "feature `f`: ramp.start: \"soon\" is not an RFC 3339 time (no UTC offset: end it with `Z` or `+hh:mm`)",
            "feature `f`: guard.min_samples: 5 is below the least the guard's statistics need (100)",
        ]
    );
    assert_eq!(
        Snapshot::try_from(config)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(errors[0].clone())
    );

    // Invalid variants: rules, which may name them, wait for them.
    let config = Config::new("r1").feature(
        FeatureConfig::new("g")
            .variant(VariantConfig::new("a", 60))
            .rule(
                RuleConfig::serve_variant("missing").condition(ConditionConfig::new(
                    "plan",
                    Operator::In,
                    ["pro"],
                )),
            ),
    );
    let errors: Vec<String> = config.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        ["feature `g`: variants: weights sum to 60, not 100"]
    );
}

/// A name repeated after an invalid feature of that name is still a
/// duplicate: `errors` lists both problems, so fixing the first does not
/// reveal the second.
#[test]
fn a_duplicate_of_an_invalid_feature_is_reported_too() {
    let config = Config::new("r1")
        .feature(FeatureConfig::new("a").percentage(140))
        .feature(FeatureConfig::new("a").percentage(5));
    let errors: Vec<String> = config.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "feature `a`: percentage 140 is out of range (0..=100)",
            "feature `a`: name is defined more than once",
        ]
    );
    // A duplicate's own problems are listed with it, and a duplicated
    // segment's.
    let config = Config::new("r1")
        .segment(SegmentConfig::new("beta").condition(ConditionConfig::new(
            "plan",
            Operator::In,
            ["pro"],
        )))
        .segment(SegmentConfig::new("beta").condition(ConditionConfig::new(
            "age",
            Operator::Lt,
            ["old"],
        )))
        .feature(FeatureConfig::new("a"))
        .feature(FeatureConfig::new("a").percentage(140));
    let errors: Vec<String> = config.errors().iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_eq!(errors[0], "segment `beta`: name is defined more than once");
    assert!(
        errors[1].starts_with("segment `beta`: conditions[0]"),
        "{}",
        errors[1]
    );
    assert_eq!(
        errors[2..],
        [
            "feature `a`: name is defined more than once",
            "feature `a`: percentage 140 is out of range (0..=100)",
        ]
    );
    // Two features with empty names are two empty names, not a duplicate.
    let config = Config::new("r1")
        .feature(FeatureConfig::new(""))
        .feature(FeatureConfig::new(""));
    let errors: Vec<String> = config.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        ["feature #0: name is empty", "feature #1: name is empty"]
    );
}

#[test]
fn duplicate_feature_names_the_repeated_name() {
    let config = Config::new("r1")
        .feature(FeatureConfig::new("checkout").percentage(5))
        .feature(FeatureConfig::new("dark_mode"))
        .feature(FeatureConfig::new("checkout").percentage(50));
    let err = reject(config);
    assert_eq!(
        err,
        ConfigError::DuplicateFeature {
            feature: "checkout".to_owned()
        }
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: name is defined more than once"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [ { "name": "search" }, { "name": "search" } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `search`: name is defined more than once"
    );

    // Names are compared exactly: case differs, so these are two features.
    let config = Config::new("r1")
        .feature(FeatureConfig::new("search"))
        .feature(FeatureConfig::new("Search"));
    assert_eq!(
        Snapshot::try_from(config).map(|s| s.features().len()),
        Ok(2)
    );
}

#[test]
fn percentage_out_of_range_names_feature_and_value() {
    let err = reject(one(FeatureConfig::new("checkout").percentage(140)));
    assert_eq!(
        err,
        ConfigError::PercentageOutOfRange {
            feature: "checkout".to_owned(),
            field: "percentage".to_owned(),
            value: 140.0
        }
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: percentage 140 is out of range (0..=100)"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "percentage": 140 } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: percentage 140 is out of range (0..=100)"
    );
}

#[test]
fn percentage_too_fine_names_feature_and_value() {
    let err = reject(one(FeatureConfig::new("checkout").percentage(12.345)));
    assert_eq!(
        err,
        ConfigError::PercentageTooFine {
            feature: "checkout".to_owned(),
            field: "percentage".to_owned(),
            value: 12.345
        }
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: percentage 12.345 is finer than 0.01"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "percentage": 0.005 } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: percentage 0.005 is finer than 0.01"
    );
}

#[test]
fn empty_unit_names_feature_and_list() {
    let err = reject(one(FeatureConfig::new("checkout").allow(["qa-1", ""])));
    assert_eq!(
        err,
        ConfigError::EmptyUnit {
            feature: "checkout".to_owned(),
            field: "allow"
        }
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: allow contains an empty unit id"
    );

    let err = reject(one(FeatureConfig::new("checkout").deny([""])));
    assert_eq!(
        err,
        ConfigError::EmptyUnit {
            feature: "checkout".to_owned(),
            field: "deny"
        }
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: deny contains an empty unit id"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [ { "name": "search", "deny": ["vip-7", ""] } ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `search`: deny contains an empty unit id"
    );
}

#[test]
fn allowed_and_denied_names_feature_and_unit() {
    let err = reject(one(FeatureConfig::new("checkout")
        .allow(["qa-1", "vip-7"])
        .deny(["vip-7"])));
    assert_eq!(
        err,
        ConfigError::AllowedAndDenied {
            feature: "checkout".to_owned(),
            unit: "vip-7".to_owned()
        }
    );
    assert_eq!(
        err.to_string(),
        "feature `checkout`: unit `vip-7` is in both allow and deny"
    );

    let err = reject_json(
        r#"{ "revision": "r1", "features": [
            { "name": "search", "percentage": 12.5, "allow": ["qa-1"], "deny": ["qa-1"] }
        ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `search`: unit `qa-1` is in both allow and deny"
    );
}

// ----- serde: the file format -----

#[test]
fn unknown_fields_are_rejected_by_serde() {
    let misspelt =
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "percentge": 50 } ] }"#;
    let err = serde_json::from_str::<Config>(misspelt).expect_err("a misspelt field is an error");
    assert!(
        err.to_string().contains("unknown field `percentge`"),
        "{err}"
    );

    let top_level = r#"{ "revison": "r1", "features": [] }"#;
    let err = serde_json::from_str::<Config>(top_level).expect_err("a misspelt field is an error");
    assert!(err.to_string().contains("unknown field `revison`"), "{err}");

    // The same document spelt correctly parses, so the rejection above is
    // about the spelling and nothing else.
    let fixed = misspelt.replace("percentge", "percentage");
    let snapshot = accept_json(&fixed);
    let checkout = snapshot.feature("checkout").expect("listed");
    assert_eq!(checkout.percentage().as_basis_points(), 5000);
}

#[test]
fn required_fields_are_required() {
    let no_revision = r#"{ "features": [] }"#;
    let err = serde_json::from_str::<Config>(no_revision).expect_err("revision is required");
    assert!(
        err.to_string().contains("missing field `revision`"),
        "{err}"
    );

    let no_name = r#"{ "revision": "r1", "features": [ { "percentage": 5 } ] }"#;
    let err = serde_json::from_str::<Config>(no_name).expect_err("name is required");
    assert!(err.to_string().contains("missing field `name`"), "{err}");
}

#[test]
fn omitted_fields_take_their_defaults() {
    let json = r#"{ "revision": "r1", "features": [ { "name": "checkout" } ] }"#;
    let config: Config = serde_json::from_str(json).expect("valid JSON");
    assert_eq!(config.schema_version, 1);
    assert_eq!(config.revision, "r1");
    assert_eq!(config.features.len(), 1);
    let feature = &config.features[0];
    assert_eq!(feature.name, "checkout");
    assert!(feature.enabled);
    assert_eq!(feature.percentage, 0.0);
    assert!(feature.allow.is_empty() && feature.deny.is_empty());
    assert_eq!(
        config,
        Config::new("r1").feature(FeatureConfig::new("checkout"))
    );

    let snapshot = Snapshot::try_from(config).expect("valid");
    let checkout = snapshot.feature("checkout").expect("listed");
    assert!(checkout.enabled());
    assert_eq!(checkout.percentage().as_basis_points(), 0);

    // Only a revision: no features at all.
    let bare: Config = serde_json::from_str(r#"{ "revision": "r1" }"#).expect("valid JSON");
    assert_eq!(bare.schema_version, 1);
    assert!(bare.features.is_empty());
    assert_eq!(Snapshot::try_from(bare).map(|s| s.features().len()), Ok(0));
}

// ----- percentages -----

#[test]
fn boundary_percentages_are_accepted() {
    for (percent, basis_points) in [(0.0, 0), (0.01, 1), (99.99, 9999), (100.0, 10_000)] {
        let from_code = Snapshot::try_from(one(FeatureConfig::new("f").percentage(percent)))
            .unwrap_or_else(|e| panic!("{percent} from code: {e}"));
        assert_eq!(
            from_code
                .feature("f")
                .map(|f| f.percentage().as_basis_points()),
            Some(basis_points),
            "{percent} from code"
        );

        let json = format!(
            r#"{{ "revision": "r1", "features": [ {{ "name": "f", "percentage": {percent} }} ] }}"#
        );
        let from_json = accept_json(&json);
        assert_eq!(
            from_json
                .feature("f")
                .map(|f| f.percentage().as_basis_points()),
            Some(basis_points),
            "{json}"
        );
    }

    // Integers in JSON are percentages too.
    let whole =
        accept_json(r#"{ "revision": "r1", "features": [ { "name": "f", "percentage": 100 } ] }"#);
    assert_eq!(
        whole.feature("f").map(|f| f.percentage().as_basis_points()),
        Some(10_000)
    );
}

#[test]
fn every_two_decimal_percentage_is_accepted_exactly() {
    // Decimal literals are not exact in binary; each must still land on its
    // own basis point. The expected value is computed in integers.
    let mut config = Config::new("r1");
    for bp in 0..=10_000u32 {
        let literal = format!("{}.{:02}", bp / 100, bp % 100);
        let value: f64 = literal.parse().expect("a decimal literal");
        config = config.feature(FeatureConfig::new(format!("f{bp}")).percentage(value));
    }
    let snapshot = Snapshot::try_from(config).expect("every two-decimal percentage is valid");
    for bp in 0..=10_000u16 {
        assert_eq!(
            snapshot
                .feature(&format!("f{bp}"))
                .map(|f| f.percentage().as_basis_points()),
            Some(bp)
        );
    }
}

#[test]
fn bad_percentages_are_rejected_with_the_right_variant() {
    let cases: [(f64, &str); 8] = [
        (
            100.01,
            "feature `f`: percentage 100.01 is out of range (0..=100)",
        ),
        (-1.0, "feature `f`: percentage -1 is out of range (0..=100)"),
        (
            -0.01,
            "feature `f`: percentage -0.01 is out of range (0..=100)",
        ),
        (12.345, "feature `f`: percentage 12.345 is finer than 0.01"),
        (0.001, "feature `f`: percentage 0.001 is finer than 0.01"),
        (99.995, "feature `f`: percentage 99.995 is finer than 0.01"),
        // A hair's breadth from a basis point is still too fine: only
        // binary representation error is forgiven, not extra decimals.
        (
            12.3400001,
            "feature `f`: percentage 12.3400001 is finer than 0.01",
        ),
        (
            12.34000000001,
            "feature `f`: percentage 12.34000000001 is finer than 0.01",
        ),
    ];
    for (value, message) in cases {
        let err = reject(one(FeatureConfig::new("f").percentage(value)));
        assert_eq!(err.to_string(), message);
        let expected = if (0.0..=100.0).contains(&value) {
            ConfigError::PercentageTooFine {
                feature: "f".to_owned(),
                field: "percentage".to_owned(),
                value,
            }
        } else {
            ConfigError::PercentageOutOfRange {
                feature: "f".to_owned(),
                field: "percentage".to_owned(),
                value,
            }
        };
        assert_eq!(err, expected);

        let json = format!(
            r#"{{ "revision": "r1", "features": [ {{ "name": "f", "percentage": {value} }} ] }}"#
        );
        assert_eq!(reject_json(&json).to_string(), message, "{json}");
    }
}

#[test]
fn non_numbers_are_out_of_range() {
    // JSON cannot carry these; code can.
    let err = reject(one(FeatureConfig::new("f").percentage(f64::NAN)));
    assert!(
        matches!(
            &err,
            ConfigError::PercentageOutOfRange { feature, value, .. } if feature == "f" && value.is_nan()
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "feature `f`: percentage NaN is out of range (0..=100)"
    );

    let err = reject(one(FeatureConfig::new("f").percentage(f64::INFINITY)));
    assert_eq!(
        err.to_string(),
        "feature `f`: percentage inf is out of range (0..=100)"
    );
    let err = reject(one(FeatureConfig::new("f").percentage(f64::NEG_INFINITY)));
    assert_eq!(
        err.to_string(),
        "feature `f`: percentage -inf is out of range (0..=100)"
    );
}

// ----- which error wins -----

#[test]
fn first_error_wins_in_feature_order() {
    let bad_percentage = FeatureConfig::new("b").percentage(140);
    let bad_unit = FeatureConfig::new("c").allow([""]);

    let config = Config::new("r1")
        .feature(FeatureConfig::new("a"))
        .feature(bad_percentage.clone())
        .feature(bad_unit.clone());
    assert_eq!(
        reject(config).to_string(),
        "feature `b`: percentage 140 is out of range (0..=100)"
    );

    let config = Config::new("r1")
        .feature(FeatureConfig::new("a"))
        .feature(bad_unit)
        .feature(bad_percentage.clone());
    assert_eq!(
        reject(config).to_string(),
        "feature `c`: allow contains an empty unit id"
    );

    // A duplicate is found at the position of its second listing.
    let config = Config::new("r1")
        .feature(FeatureConfig::new("a"))
        .feature(FeatureConfig::new("a"))
        .feature(bad_percentage.clone());
    assert_eq!(
        reject(config).to_string(),
        "feature `a`: name is defined more than once"
    );
    let config = Config::new("r1")
        .feature(FeatureConfig::new("a"))
        .feature(bad_percentage)
        .feature(FeatureConfig::new("a"));
    assert_eq!(
        reject(config).to_string(),
        "feature `b`: percentage 140 is out of range (0..=100)"
    );

    // The same, from JSON.
    let err = reject_json(
        r#"{ "revision": "r1", "features": [
            { "name": "ok", "percentage": 5 },
            { "name": "late", "percentage": 12.345, "deny": [""] },
            { "name": "" }
        ] }"#,
    );
    assert_eq!(
        err.to_string(),
        "feature `late`: percentage 12.345 is finer than 0.01"
    );
}

#[test]
fn config_level_errors_come_before_feature_errors() {
    let mut config = Config::new("").feature(FeatureConfig::new("").percentage(140));
    config.schema_version = 9;
    assert_eq!(
        reject(config.clone()).to_string(),
        "schema_version 9 is not supported (this release reads 1)"
    );
    config.schema_version = 1;
    assert_eq!(reject(config).to_string(), "revision is empty");
}

#[test]
fn within_a_feature_the_fields_are_checked_in_order() {
    // name, then percentage, then allow, then deny, then allow-and-deny.
    let all_wrong = FeatureConfig::new(" f")
        .percentage(140)
        .allow(["", "x"])
        .deny(["", "x"]);
    assert_eq!(
        reject(one(all_wrong.clone())).to_string(),
        "feature ` f`: name has leading or trailing whitespace"
    );
    let mut rest = all_wrong;
    rest.name = "f".to_owned();
    assert_eq!(
        reject(one(rest.clone())).to_string(),
        "feature `f`: percentage 140 is out of range (0..=100)"
    );
    rest.percentage = 5.0;
    assert_eq!(
        reject(one(rest.clone())).to_string(),
        "feature `f`: allow contains an empty unit id"
    );
    rest.allow.retain(|u| !u.is_empty());
    assert_eq!(
        reject(one(rest.clone())).to_string(),
        "feature `f`: deny contains an empty unit id"
    );
    rest.deny.retain(|u| !u.is_empty());
    assert_eq!(
        reject(one(rest.clone())).to_string(),
        "feature `f`: unit `x` is in both allow and deny"
    );
    rest.deny.clear();
    assert!(Snapshot::try_from(one(rest)).is_ok());
}

// ----- round trip -----

fn rich_config() -> Config {
    Config::new("2026-11-23.1")
        .feature(FeatureConfig::new("new_checkout_design").percentage(5))
        .feature(
            FeatureConfig::new("search_v2")
                .percentage(12.34)
                .allow(["user-3", "user-1000", "qa-1"])
                .deny(["user-4", "vip-7"]),
        )
        .feature(
            FeatureConfig::new("dark_mode")
                .enabled(false)
                .percentage(100)
                .allow(["user-5"]),
        )
        .feature(FeatureConfig::new("tiny").percentage(0.01))
        .feature(
            FeatureConfig::new("almost")
                .percentage(99.99)
                .deny(["user-6"]),
        )
        .feature(FeatureConfig::new("nobody").allow(["user-7"]))
        .feature(
            FeatureConfig::new("everybody")
                .percentage(100)
                .deny(["user-8"]),
        )
        .feature(FeatureConfig::new("café").percentage(33.3))
}

fn assert_same_decisions(a: &Snapshot, b: &Snapshot) {
    assert_eq!(a.features().len(), b.features().len());
    for (fa, fb) in a.features().zip(b.features()) {
        assert_eq!(fa.name(), fb.name(), "feature order is kept");
        assert_eq!(fa.enabled(), fb.enabled(), "{}", fa.name());
        assert_eq!(fa.percentage(), fb.percentage(), "{}", fa.name());
        for i in 0..2_000 {
            let unit = format!("user-{i}");
            assert_eq!(
                a.evaluate(fa.name(), &unit),
                b.evaluate(fb.name(), &unit),
                "{} for {unit}",
                fa.name()
            );
        }
    }
}

#[test]
fn a_valid_config_round_trips_with_identical_decisions() {
    let original = rich_config();
    let first = Snapshot::try_from(&original).expect("valid");

    let regenerated = first.to_config();
    // It is the config we wrote, lists in their order.
    assert_eq!(regenerated, original);

    let second = Snapshot::try_from(regenerated.clone()).expect("to_config is valid");
    assert_eq!(second.revision(), first.revision());
    assert_same_decisions(&first, &second);

    // The same through JSON text.
    let json = serde_json::to_string(&regenerated).expect("serialises");
    let third = accept_json(&json);
    assert_same_decisions(&first, &third);

    // The decisions really do differ between features and units, so the
    // comparison above could have caught a lost list or percentage.
    let reasons: std::collections::HashSet<_> = first
        .features()
        .flat_map(|f| (0..2_000).map(|i| first.evaluate(f.name(), &format!("user-{i}")).reason()))
        .collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
}

#[test]
fn a_dialled_snapshot_round_trips_too() {
    let first = Snapshot::try_from(rich_config()).expect("valid");
    let dialled = first
        .with_percentage(
            "new_checkout_design",
            gradual::Percentage::from_basis_points(4321).expect("in range"),
        )
        .and_then(|s| s.with_enabled("dark_mode", true))
        .expect("both features exist");
    let config = dialled.to_config();
    assert_eq!(config.revision, "2026-11-23.1+2");
    assert_eq!(config.features[0].percentage, 43.21);
    assert!(config.features[2].enabled);
    let again = Snapshot::try_from(config).expect("to_config is valid");
    assert_same_decisions(&dialled, &again);
}
