//! The OpenFeature provider maps every value type, reason, variant, error
//! and piece of metadata as its docs' tables say, and sees reloads at once.
#![cfg(feature = "openfeature")]

mod common;

use common::fine;
use gradual::openfeature::GradualProvider;
use gradual::{
    ConditionConfig, Config, FeatureConfig, Operator, PrerequisiteConfig, Reloader, Rollouts,
    RuleConfig, SegmentConfig, Serve, Snapshot, StaticSource, VariantConfig,
};
use open_feature::provider::FeatureProvider;
use open_feature::{
    EvaluationContext, EvaluationErrorCode, EvaluationReason, FlagMetadataValue, Value,
};
use serde_json::json;

fn config() -> Config {
    Config::new("r1")
        .segment(SegmentConfig::new("staff").condition(ConditionConfig::new(
            "staff",
            Operator::Equals,
            [true],
        )))
        .feature(FeatureConfig::new("half").percentage(50))
        .feature(FeatureConfig::new("all").percentage(100))
        .feature(
            FeatureConfig::new("none")
                .percentage(0)
                .allow(["vip"])
                .deny(["blocked"]),
        )
        .feature(FeatureConfig::new("killed").percentage(100).enabled(false))
        .feature(
            FeatureConfig::new("gated")
                .percentage(100)
                .prerequisite(PrerequisiteConfig::on("killed")),
        )
        .feature(
            FeatureConfig::new("by_org")
                .percentage(100)
                .bucket_by("org"),
        )
        .feature(
            FeatureConfig::new("targeted")
                .rule(
                    RuleConfig::new(Serve::On)
                        .named("staff first")
                        .condition(ConditionConfig::segment("staff")),
                )
                .rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new(
                    "age",
                    Operator::Gte,
                    [18],
                )))
                .rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new(
                    "score",
                    Operator::Gt,
                    [0.5],
                ))),
        )
        .feature(
            FeatureConfig::new("values")
                .percentage(100)
                .variant(VariantConfig::new("text", 100).value("hello"))
                .rule(
                    RuleConfig::serve_variant("int").condition(ConditionConfig::new(
                        "want",
                        Operator::Equals,
                        ["int"],
                    )),
                )
                .rule(
                    RuleConfig::serve_variant("float").condition(ConditionConfig::new(
                        "want",
                        Operator::Equals,
                        ["float"],
                    )),
                )
                .rule(
                    RuleConfig::serve_variant("object").condition(ConditionConfig::new(
                        "want",
                        Operator::Equals,
                        ["object"],
                    )),
                )
                .variant(VariantConfig::new("int", 0).value(42))
                .variant(VariantConfig::new("float", 0).value(2.5))
                .variant(
                    VariantConfig::new("object", 0).value(json!({ "limit": 10, "tags": ["a"] })),
                ),
        )
}

fn provider() -> (GradualProvider, Rollouts) {
    let rollouts = Rollouts::new(Snapshot::try_from(config()).expect("valid"));
    (GradualProvider::new(rollouts.clone()), rollouts)
}

fn user(key: &str) -> EvaluationContext {
    EvaluationContext::default().with_targeting_key(key)
}

#[tokio::test(flavor = "current_thread")]
async fn booleans_map_reasons_variants_and_the_bucket() {
    let (p, _) = provider();
    for i in 0..200 {
        let unit = format!("user-{i}");
        let d = p
            .resolve_bool_value("half", &user(&unit))
            .await
            .expect("known");
        let bucket = i64::from(fine("half", &unit));
        assert_eq!(d.value, bucket < 5000, "{unit}");
        assert_eq!(d.reason, Some(EvaluationReason::Split));
        assert_eq!(
            d.variant.as_deref(),
            Some(if d.value { "on" } else { "off" })
        );
        let meta = d.flag_metadata.expect("metadata").values;
        assert_eq!(meta.get("bucket"), Some(&FlagMetadataValue::Int(bucket)));
        assert_eq!(
            meta.get("revision"),
            Some(&FlagMetadataValue::String("r1".into()))
        );
    }
    let reason = |name: &'static str, key: &'static str| {
        let p = &p;
        async move {
            p.resolve_bool_value(name, &user(key))
                .await
                .expect("known")
                .reason
        }
    };
    assert_eq!(reason("all", "u").await, Some(EvaluationReason::Static));
    assert_eq!(reason("none", "u").await, Some(EvaluationReason::Default));
    assert_eq!(
        reason("none", "vip").await,
        Some(EvaluationReason::TargetingMatch)
    );
    assert_eq!(
        reason("none", "blocked").await,
        Some(EvaluationReason::TargetingMatch)
    );
    assert_eq!(
        reason("killed", "u").await,
        Some(EvaluationReason::Disabled)
    );
    assert_eq!(
        reason("gated", "u").await,
        Some(EvaluationReason::Other("PREREQUISITE_FAILED".into()))
    );
    assert_eq!(
        reason("by_org", "u").await,
        Some(EvaluationReason::Other("MISSING_BUCKET_BY".into()))
    );
}

#[tokio::test(flavor = "current_thread")]
async fn custom_fields_become_attributes_and_rules_report_themselves() {
    let (p, _) = provider();
    let staff = user("u").with_custom_field("staff", true);
    let d = p
        .resolve_bool_value("targeted", &staff)
        .await
        .expect("known");
    assert!(d.value);
    assert_eq!(d.reason, Some(EvaluationReason::TargetingMatch));
    let meta = d.flag_metadata.expect("metadata").values;
    assert_eq!(meta.get("rule_index"), Some(&FlagMetadataValue::Int(0)));
    assert_eq!(
        meta.get("rule_name"),
        Some(&FlagMetadataValue::String("staff first".into()))
    );
    assert_eq!(
        meta.get("segment"),
        Some(&FlagMetadataValue::String("staff".into()))
    );
    assert_eq!(
        meta.get("reason"),
        Some(&FlagMetadataValue::String("rule".into()))
    );

    let adult = user("u").with_custom_field("age", 30_i64);
    assert!(
        p.resolve_bool_value("targeted", &adult)
            .await
            .expect("known")
            .value,
        "int field as a number"
    );
    let scored = user("u").with_custom_field("score", 0.75);
    assert!(
        p.resolve_bool_value("targeted", &scored)
            .await
            .expect("known")
            .value,
        "float field as a number"
    );
    let org = user("u").with_custom_field("org", "acme");
    assert!(
        p.resolve_bool_value("by_org", &org)
            .await
            .expect("known")
            .value,
        "string field"
    );
    assert!(
        !p.resolve_bool_value("targeted", &user("u"))
            .await
            .expect("known")
            .value
    );
}

#[tokio::test(flavor = "current_thread")]
async fn typed_values_come_from_the_variant_served() {
    let (p, _) = provider();
    let want = |kind: &str| user("u").with_custom_field("want", kind);
    let s = p
        .resolve_string_value("values", &user("u"))
        .await
        .expect("string");
    assert_eq!(
        (s.value.as_str(), s.variant.as_deref()),
        ("hello", Some("text"))
    );
    // The one weighted variant: nothing was picked at random.
    assert_eq!(s.reason, Some(EvaluationReason::Static));
    let i = p
        .resolve_int_value("values", &want("int"))
        .await
        .expect("int");
    assert_eq!((i.value, i.variant.as_deref()), (42, Some("int")));
    assert_eq!(i.reason, Some(EvaluationReason::TargetingMatch));
    let f = p
        .resolve_float_value("values", &want("float"))
        .await
        .expect("float");
    assert_eq!(f.value, 2.5);
    let o = p
        .resolve_struct_value("values", &want("object"))
        .await
        .expect("object");
    assert_eq!(o.value.fields.get("limit"), Some(&Value::Int(10)));
    assert_eq!(
        o.value.fields.get("tags"),
        Some(&Value::Array(vec![Value::String("a".into())]))
    );
}

/// OpenFeature values have no null: an object's `null` fields and
/// elements are left out, not a reason to refuse the object; an integer
/// beyond `i64` comes as a float.
#[tokio::test(flavor = "current_thread")]
async fn an_object_with_nulls_or_big_integers_is_served() {
    let value = serde_json::json!({
        "a": 1,
        "b": null,
        "list": [1, null, "x"],
        "inner": { "c": null, "d": true },
        "big": u64::MAX,
    });
    let rollouts = Rollouts::new(
        Snapshot::try_from(
            Config::new("r1").feature(
                FeatureConfig::new("obj")
                    .percentage(100)
                    .variant(VariantConfig::new("v", 100).value(value)),
            ),
        )
        .expect("valid"),
    );
    let p = GradualProvider::new(rollouts);
    let o = p
        .resolve_struct_value("obj", &user("u"))
        .await
        .expect("an object");
    let fields = &o.value.fields;
    assert_eq!(fields.get("a"), Some(&Value::Int(1)));
    assert!(!fields.contains_key("b"));
    assert_eq!(
        fields.get("list"),
        Some(&Value::Array(vec![
            Value::Int(1),
            Value::String("x".into())
        ]))
    );
    let Some(Value::Struct(inner)) = fields.get("inner") else {
        panic!("inner: {fields:?}");
    };
    assert_eq!(inner.fields.len(), 1);
    assert_eq!(inner.fields.get("d"), Some(&Value::Bool(true)));
    assert_eq!(fields.get("big"), Some(&Value::Float(u64::MAX as f64)));
}

#[tokio::test(flavor = "current_thread")]
async fn errors_carry_the_right_codes() {
    let (p, _) = provider();
    let e = p
        .resolve_bool_value("missing", &user("u"))
        .await
        .unwrap_err();
    assert_eq!(e.code, EvaluationErrorCode::FlagNotFound);
    assert_eq!(
        e.message.as_deref(),
        Some("no feature `missing` in revision r1")
    );
    let e = p.resolve_int_value("values", &user("u")).await.unwrap_err();
    assert_eq!(e.code, EvaluationErrorCode::TypeMismatch);
    assert_eq!(
        e.message.as_deref(),
        Some("feature `values` serves \"hello\", not an integer")
    );
    let e = p
        .resolve_struct_value("values", &user("u"))
        .await
        .unwrap_err();
    assert_eq!(e.code, EvaluationErrorCode::TypeMismatch);
    let e = p
        .resolve_bool_value("half", &EvaluationContext::default())
        .await
        .unwrap_err();
    assert_eq!(e.code, EvaluationErrorCode::TargetingKeyMissing);
    // Off, or on without a value: no value to serve, the caller's default applies.
    let e = p
        .resolve_string_value("killed", &user("u"))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        EvaluationErrorCode::General("no value served (killed)".into())
    );
    let e = p.resolve_string_value("all", &user("u")).await.unwrap_err();
    assert_eq!(
        e.code,
        EvaluationErrorCode::General("no value served (in_rollout)".into())
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_reload_is_visible_at_once() {
    let source = StaticSource::new(config());
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source.clone(), rollouts.clone());
    let p = GradualProvider::new(rollouts.clone());
    assert_eq!(
        p.resolve_bool_value("all", &user("u"))
            .await
            .unwrap_err()
            .code,
        EvaluationErrorCode::FlagNotFound
    );
    reloader.reload().expect("valid");
    assert!(
        p.resolve_bool_value("all", &user("u"))
            .await
            .expect("known")
            .value
    );
    rollouts.kill("all").expect("known");
    let d = p
        .resolve_bool_value("all", &user("u"))
        .await
        .expect("known");
    assert_eq!(
        (d.value, d.reason),
        (false, Some(EvaluationReason::Disabled))
    );
    assert_eq!(p.metadata().name, "gradual");
}

#[tokio::test(flavor = "current_thread")]
async fn split_is_for_a_pseudorandom_pick_and_a_single_variant_is_static() {
    let rollouts = Rollouts::new(
        Snapshot::try_from(
            Config::new("r1")
                .feature(
                    FeatureConfig::new("only")
                        .percentage(100)
                        .variant(VariantConfig::new("only", 100).value("x")),
                )
                .feature(
                    FeatureConfig::new("ab")
                        .percentage(100)
                        .variant(VariantConfig::new("a", 50).value("a"))
                        .variant(VariantConfig::new("b", 50).value("b")),
                ),
        )
        .expect("valid"),
    );
    let p = GradualProvider::new(rollouts);
    let only = p.resolve_string_value("only", &user("u")).await.expect("x");
    assert_eq!(
        (only.value.as_str(), only.reason),
        ("x", Some(EvaluationReason::Static))
    );
    let ab = p
        .resolve_string_value("ab", &user("u"))
        .await
        .expect("a or b");
    assert_eq!(ab.reason, Some(EvaluationReason::Split));
}
