//! The config format: the example file exercising every field parses,
//! validates, and round-trips (parse -> snapshot -> serialize -> parse)
//! with the same decisions for many contexts.

use gradual::{Config, ConfigError, Context, Snapshot, Value, Version};

const FULL: &str = include_str!("../examples/configs/full.json");

fn full() -> Snapshot {
    let config: Config = serde_json::from_str(FULL).expect("full.json parses");
    Snapshot::try_from(config).expect("full.json validates")
}

#[test]
fn the_example_file_uses_every_part_of_the_format() {
    let config: Config = serde_json::from_str(FULL).expect("parses");
    assert_eq!(config.schema_version, 1);
    assert_eq!(config.segments.len(), 2);
    let f = |name: &str| config.features.iter().find(|f| f.name == name).expect(name);
    let checkout = f("new_checkout_design");
    assert!(checkout.salt.is_some() && !checkout.allow.is_empty() && !checkout.deny.is_empty());
    assert!(
        !checkout.prerequisites.is_empty()
            && checkout.rules.len() >= 3
            && checkout.variants.len() == 2
    );
    assert!(f("new_payments").bucket_by.is_some());
    let search = f("new_search_backend");
    let ramp = search.ramp.as_ref().expect("a ramp");
    assert!(
        ramp.steps.iter().any(|s| s.hold.is_some()) && ramp.steps.iter().any(|s| s.at.is_some())
    );
    assert!(
        search
            .guard
            .as_ref()
            .is_some_and(|g| g.max_latency_increase_ms.is_some())
    );
    assert!(!f("dark_mode").enabled);
    assert!(f("dark_mode").prerequisites[0].variant.is_some());
    let ops: std::collections::BTreeSet<&str> = config
        .features
        .iter()
        .flat_map(|f| f.rules.iter())
        .flat_map(|r| r.conditions.iter())
        .chain(config.segments.iter().flat_map(|s| s.conditions.iter()))
        .filter_map(|c| c.op.map(|o| o.as_str()))
        .collect();
    assert!(ops.len() >= 8, "{ops:?}");
}

/// Contexts that between them reach every rule of the example.
fn contexts() -> Vec<(String, Vec<(&'static str, Value<'static>)>)> {
    static ROLES: [&str; 2] = ["admin-eu", "dev"];
    static BETA: [&str; 1] = ["beta"];
    let shapes: Vec<Vec<(&'static str, Value<'static>)>> = vec![
        vec![],
        vec![
            ("app_version", Value::Str("2.2.0")),
            ("org_id", Value::Str("org-1")),
        ],
        vec![
            ("email", Value::Str("Ann@Example.com")),
            ("org_id", Value::Str("org-2")),
        ],
        vec![
            ("country", Value::Str("NL")),
            ("org_id", Value::Str("org-3")),
        ],
        vec![
            ("country", Value::Str("BE")),
            ("groups", Value::List(&BETA)),
            ("account_age_days", Value::Number(40.0)),
            ("org_id", Value::Str("org-4")),
        ],
        vec![
            ("plan", Value::Str("enterprise")),
            ("org_id", Value::Str("org-5")),
        ],
        vec![("user_agent", Value::Str("GoogleBot/2.1"))],
        vec![("latency_budget_ms", Value::Number(20.0))],
        vec![("roles", Value::List(&ROLES))],
        vec![
            (
                "app_version",
                Value::Version(Version::parse("3.0.0").expect("v")),
            ),
            ("staff", Value::Bool(true)),
        ],
    ];
    let mut out = Vec::new();
    for i in 0..300 {
        for shape in &shapes {
            out.push((format!("user-{i}"), shape.clone()));
        }
    }
    out.push(("qa-1".into(), vec![("org_id", Value::Str("org-9"))]));
    out.push(("vip-7".into(), vec![("org_id", Value::Str("org-9"))]));
    out
}

fn assert_same_decisions(a: &Snapshot, b: &Snapshot) -> usize {
    let mut reasons = std::collections::BTreeSet::new();
    for feature in a.features() {
        for (unit, attributes) in contexts() {
            let ctx = Context::new(&unit).with_attributes(&attributes);
            let (x, y) = (
                a.evaluate_with(feature.name(), &ctx),
                b.evaluate_with(feature.name(), &ctx),
            );
            assert_eq!(x, y, "{} for {unit} {attributes:?}", feature.name());
            reasons.insert(x.reason().to_string());
        }
    }
    reasons.len()
}

#[test]
fn round_trip_gives_the_same_decisions() {
    let first = full();
    let json = serde_json::to_string_pretty(&first.to_config()).expect("serialises");
    let reparsed: Config = serde_json::from_str(&json).expect("re-parses");
    assert_eq!(reparsed, first.to_config());
    let second = Snapshot::try_from(reparsed).expect("re-validates");
    assert_eq!(second.revision(), first.revision());
    let distinct = assert_same_decisions(&first, &second);
    // The contexts really exercise the rules: many distinct reasons occur.
    assert!(distinct >= 12, "only {distinct} distinct reasons");
}

#[test]
fn round_trip_keeps_dial_changes() {
    let first = full()
        .with_percentage(
            "new_payments",
            gradual::Percentage::from_basis_points(3333).expect("bp"),
        )
        .and_then(|s| s.with_enabled("dark_mode", true))
        .expect("known features");
    let json = serde_json::to_string(&first.to_config()).expect("serialises");
    let second =
        Snapshot::try_from(serde_json::from_str::<Config>(&json).expect("parses")).expect("valid");
    assert_eq!(second.revision().label(), "2026-11-23.2+2");
    assert_same_decisions(&first, &second);
}

#[test]
fn other_schema_versions_are_refused() {
    let json = FULL.replacen("\"schema_version\": 1", "\"schema_version\": 2", 1);
    let config: Config = serde_json::from_str(&json).expect("parses");
    assert_eq!(
        Snapshot::try_from(config).unwrap_err(),
        ConfigError::UnsupportedSchema {
            found: 2,
            supported: 1
        }
    );
}

#[test]
fn condition_values_are_bare_json_strings_numbers_or_bools() {
    use gradual::{ConditionConfig, Literal};
    let condition: ConditionConfig = serde_json::from_str(
        r#"{"attribute":"a","op":"in","values":["NL", 3, -2, 2.5, true, false, ""]}"#,
    )
    .expect("parses");
    assert_eq!(
        condition.values,
        [
            Literal::String("NL".into()),
            Literal::Number(3.0),
            Literal::Number(-2.0),
            Literal::Number(2.5),
            Literal::Bool(true),
            Literal::Bool(false),
            Literal::String(String::new()),
        ]
    );
    // Escapes are decoded (the owned-string path of the parser).
    let escaped: ConditionConfig =
        serde_json::from_str(r#"{"attribute":"a","op":"in","values":["caf\u00e9 \"x\""]}"#)
            .expect("parses");
    assert_eq!(escaped.values, [Literal::String("café \"x\"".into())]);
    // Anything else is refused, saying what a value may be.
    for bad in ["null", "[1]", r#"{"n":1}"#] {
        let json = format!(r#"{{"attribute":"a","op":"in","values":[{bad}]}}"#);
        let err = serde_json::from_str::<ConditionConfig>(&json).expect_err(bad);
        assert!(
            err.to_string().contains("a string, a number or a bool"),
            "{bad}: {err}"
        );
    }
    // Formats that carry text as bytes give strings too; bytes that are
    // not UTF-8 are refused.
    use serde::Deserialize;
    use serde::de::value::{BytesDeserializer, Error};
    let from_bytes = |b: &[u8]| Literal::deserialize(BytesDeserializer::<Error>::new(b));
    assert_eq!(from_bytes(b"NL"), Ok(Literal::String("NL".into())));
    assert!(from_bytes(b"\xff").is_err());
    // And they serialize back to the same bare values.
    let back = serde_json::to_string(&condition.values).expect("serializes");
    assert_eq!(back, r#"["NL",3.0,-2.0,2.5,true,false,""]"#);
}

#[test]
fn operator_names_are_the_names_in_the_format() {
    use gradual::Operator::*;
    for op in [
        In, NotIn, Equals, StartsWith, EndsWith, Contains, Lt, Lte, Gt, Gte, SemverEq, SemverLt,
        SemverLte, SemverGt, SemverGte,
    ] {
        let json = serde_json::to_string(&op).expect("serializes");
        assert_eq!(json, format!("\"{}\"", op.as_str()));
        let back: gradual::Operator = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, op);
    }
}

#[test]
fn a_null_variant_value_is_no_value_and_round_trips() {
    let built = gradual::VariantConfig::new("a", 100).value(serde_json::Value::Null);
    assert_eq!(built.value, None);
    // A struct literal, and JSON's null, read the same.
    let mut literal = gradual::VariantConfig::new("a", 100);
    literal.value = Some(serde_json::Value::Null);
    let config = Config::new("r1").feature(
        gradual::FeatureConfig::new("f")
            .percentage(100)
            .variant(literal),
    );
    let snapshot = Snapshot::try_from(config).expect("valid");
    assert_eq!(
        snapshot.feature("f").expect("f").variants()[0].value(),
        None
    );
    let json = serde_json::to_string(&snapshot.to_config()).expect("serialises");
    let back: Config = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, snapshot.to_config());
}
