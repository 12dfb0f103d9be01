//! Parsing and validating arbitrary input never panics: random bytes,
//! random JSON, structurally mutated and byte-mutated versions of the
//! example config, and a config of 100,000 features. Whatever validates
//! evaluates without panicking; whatever is rejected says where.

use std::fmt::Write as _;

mod common;

use common::cases;
use gradual::{Config, ConfigError, Context, Owner, Reason, Snapshot, Value, Version};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::Value as Json;

const FULL: &str = include_str!("../examples/configs/full.json");

// ----- what every input must satisfy -----

/// Contexts with every kind of attribute the example config tests, some of
/// the wrong type, some strange: none may make evaluation panic.
fn with_contexts(mut check: impl FnMut(&Context<'_>)) {
    static ROLES: [&str; 3] = ["admin", "", "ünï"];
    static GROUPS: [&str; 2] = ["beta", "alpha"];
    let version = Version::parse("3.0.0-beta.2").expect("a version");
    let long = "x".repeat(300);
    let shapes: Vec<Vec<(&str, Value<'_>)>> = vec![
        vec![],
        vec![
            ("email", Value::Str("Ann@EXAMPLE.com")),
            ("groups", Value::List(&GROUPS)),
            ("account_age_days", Value::Number(45.0)),
            ("country", Value::Str("NL")),
            ("org_id", Value::Str("org-7")),
            ("app_version", Value::Version(version)),
            ("plan", Value::Str("enterprise")),
            ("user_agent", Value::Str("GoogleBot/2.1")),
            ("latency_budget_ms", Value::Number(10.0)),
            ("roles", Value::List(&ROLES)),
            ("staff", Value::Bool(true)),
        ],
        vec![
            ("email", Value::Number(f64::NAN)),
            ("groups", Value::Bool(false)),
            ("account_age_days", Value::Number(f64::INFINITY)),
            ("country", Value::List(&[])),
            ("org_id", Value::Str("")),
            ("app_version", Value::Str("not a version")),
            ("latency_budget_ms", Value::Number(f64::NEG_INFINITY)),
            ("roles", Value::Str(&long)),
            ("staff", Value::Str("true")),
        ],
        vec![
            ("app_version", Value::Str("2.2")),
            ("account_age_days", Value::Number(-0.0)),
            ("org_id", Value::Str(&long)),
        ],
    ];
    for unit in ["user-1", "", "qa-1", "vip-7", "ünïcode ☃", long.as_str()] {
        for attributes in &shapes {
            check(&Context::new(unit).with_attributes(attributes));
        }
    }
}

/// Evaluates every feature of `snapshot` (and one it lacks) for every
/// context; a decision that is off carries no variant, and one that is on
/// for a feature with variants carries one.
fn evaluate_everything(snapshot: &Snapshot) {
    let names: Vec<&str> = snapshot.features().map(|f| f.name()).collect();
    with_contexts(|context| {
        for &name in names.iter().chain(&["no such feature"]) {
            let d = snapshot.evaluate_with(name, context);
            let _ = (d.reason().to_string(), d.bucket(), format!("{d:?}"));
            match d.variant() {
                Some(v) => {
                    assert!(d.is_enabled(), "{name}: off with a variant: {d:?}");
                    let _ = (v.name(), v.weight(), v.value());
                }
                None => assert!(
                    !d.is_enabled()
                        || snapshot
                            .feature(name)
                            .is_none_or(|f| f.variants().is_empty()),
                    "{name}: on without a variant: {d:?}"
                ),
            }
        }
    });
}

/// Whatever validates must evaluate, and survive a round trip through
/// `to_config` and JSON with the same decisions.
fn check_snapshot(snapshot: &Snapshot) {
    evaluate_everything(snapshot);
    let text =
        serde_json::to_string(&snapshot.to_config()).expect("a snapshot's config serialises");
    let again: Config = serde_json::from_str(&text).expect("its JSON parses");
    let again = Snapshot::try_from(again).expect("a snapshot's own config validates");
    with_contexts(|context| {
        for f in snapshot.features() {
            let (a, b) = (
                snapshot.evaluate_with(f.name(), context),
                again.evaluate_with(f.name(), context),
            );
            assert_eq!(a.is_enabled(), b.is_enabled(), "{}", f.name());
            assert_eq!(
                a.variant().map(|v| v.name()),
                b.variant().map(|v| v.name()),
                "{}",
                f.name()
            );
        }
    });
}

/// A rejected config's error must say where the problem is: a non-empty
/// message naming (in backticks) a feature or segment that is in the
/// config, and the field, or the position of a nameless entry.
fn check_error(config: &Config, err: &ConfigError) {
    let message = err.to_string();
    assert!(!message.is_empty(), "{err:?}");
    let has_feature = |name: &str| config.features.iter().any(|f| f.name == name);
    let has_segment = |name: &str| config.segments.iter().any(|s| s.name == name);
    match err {
        ConfigError::NameWhitespace { feature }
        | ConfigError::DuplicateFeature { feature }
        | ConfigError::PercentageOutOfRange { feature, .. }
        | ConfigError::PercentageTooFine { feature, .. }
        | ConfigError::EmptyUnit { feature, .. }
        | ConfigError::AllowedAndDenied { feature, .. }
        | ConfigError::DuplicateVariant { feature, .. }
        | ConfigError::VariantWeights { feature, .. }
        | ConfigError::UnknownVariant { feature, .. }
        | ConfigError::UnknownPrerequisite { feature, .. }
        | ConfigError::PrerequisiteTooDeep { feature, .. } => {
            assert!(has_feature(feature), "{message}: no feature `{feature}`");
            assert!(
                message.contains(&format!("feature `{feature}`")),
                "{message}"
            );
        }
        ConfigError::EmptyField { owner, field }
        | ConfigError::UnknownSegment { owner, field, .. }
        | ConfigError::Malformed { owner, field, .. }
        | ConfigError::OperatorType { owner, field, .. }
        | ConfigError::InvalidVersion { owner, field, .. } => {
            assert!(!field.is_empty(), "{err:?}");
            assert!(message.contains(field.as_str()), "{message}");
            match owner {
                Owner::Feature(name) => {
                    assert!(has_feature(name), "{message}: no feature `{name}`");
                    assert!(message.contains(&format!("feature `{name}`")), "{message}");
                }
                Owner::Segment(name) => {
                    assert!(has_segment(name), "{message}: no segment `{name}`");
                    assert!(message.contains(&format!("segment `{name}`")), "{message}");
                }
                _ => {}
            }
        }
        ConfigError::PrerequisiteCycle { cycle } => {
            assert!(cycle.len() >= 2, "{message}");
            assert_eq!(cycle.first(), cycle.last(), "{message}");
            for name in cycle {
                assert!(has_feature(name), "{message}: no feature `{name}`");
                assert!(message.contains(&format!("`{name}`")), "{message}");
            }
        }
        ConfigError::DuplicateSegment { segment } => {
            assert!(has_segment(segment), "{message}");
            assert!(
                message.contains(&format!("segment `{segment}`")),
                "{message}"
            );
        }
        ConfigError::EmptyName { index } => {
            assert_eq!(config.features[*index].name, "", "{message}");
            assert!(message.contains(&format!("feature #{index}")), "{message}");
        }
        ConfigError::EmptySegmentName { index } => {
            assert_eq!(config.segments[*index].name, "", "{message}");
            assert!(message.contains(&format!("segment #{index}")), "{message}");
        }
        ConfigError::UnsupportedSchema { found, .. } => {
            assert_eq!(*found, config.schema_version, "{message}");
        }
        ConfigError::EmptyRevision => assert_eq!(config.revision, ""),
        _ => {}
    }
}

/// Parses bytes as a config; if that works, validates it and checks the
/// outcome. Returns whether it parsed and whether it validated.
fn load(bytes: &[u8]) -> (bool, bool) {
    let Ok(config) = serde_json::from_slice::<Config>(bytes) else {
        return (false, false);
    };
    match Snapshot::try_from(&config) {
        Ok(snapshot) => {
            check_snapshot(&snapshot);
            (true, true)
        }
        Err(err) => {
            check_error(&config, &err);
            (true, false)
        }
    }
}

#[test]
fn the_example_config_passes_the_checks() {
    assert_eq!(load(FULL.as_bytes()), (true, true));
}

// ----- arbitrary input -----

/// Pieces of JSON, many of them the config's own words, to glue together.
fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    let mut tokens: Vec<&str> = r#"{ } [ ] : , " "revision" "features" "segments"
        "schema_version" "name" "percentage" "enabled" "allow" "deny" "salt" "bucket_by"
        "prerequisites" "feature" "variant" "rules" "variants" "weight" "value" "conditions"
        "attribute" "op" "values" "segment" "negate" "serve" "on" "off" "in" "semver_lt"
        "a" "b" "" "r1" 0 1 50 100 -1 1e400 0.005 12.34 4294967296 true false null"#
        .split_whitespace()
        .collect();
    tokens.extend([" ", "\" \""]);
    prop::collection::vec(prop::sample::select(tokens), 0..80)
        .prop_map(|tokens| tokens.concat().into_bytes())
}

/// Strings likely to collide with each other (duplicate names, dangling
/// references) or to be strange.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "c", "d"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec![
            "", " ", " a", "a ", "\t", "ünï", "😀", "\u{0}", "on", "off", "2.3", "1.0.0-rc.1",
            "v", "x.y", "staff", "beta",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

/// Numbers that are valid percentages, nearly valid, or far off.
fn number() -> impl Strategy<Value = Json> {
    prop_oneof![
        3 => (0u32..=10_000).prop_map(|bp| Json::from(f64::from(bp) / 100.0)),
        1 => prop::sample::select(vec![
            -1.0, -0.0, 0.005, 12.345, 100.01, 1e300, -1e300, 4_294_967_296.0, 1e-300,
            99.999_999_999, 100.000_000_000_1, 9_007_199_254_740_993.0,
        ])
        .prop_map(Json::from),
        1 => any::<i64>().prop_map(Json::from),
        1 => any::<u64>().prop_map(Json::from),
        1 => any::<f64>().prop_map(Json::from), // NaN and infinities become null
    ]
}

/// Any JSON value, small.
fn any_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number(),
        word().prop_map(Json::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((word(), inner), 0..4)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// `{ key: value }` keeping only the keys whose value is `Some`.
fn object(fields: Vec<(&str, Option<Json>)>) -> Json {
    Json::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

/// Present more often than not.
fn maybe<T: Strategy>(s: T) -> impl Strategy<Value = Option<T::Value>> {
    prop::option::weighted(0.6, s)
}

fn strings() -> impl Strategy<Value = Json> {
    prop::collection::vec(word().prop_map(Json::String), 0..3).prop_map(Json::Array)
}

fn condition() -> impl Strategy<Value = Json> {
    let ops = prop::sample::select(vec![
        "in",
        "not_in",
        "equals",
        "starts_with",
        "ends_with",
        "contains",
        "lt",
        "lte",
        "gt",
        "gte",
        "semver_eq",
        "semver_lt",
        "semver_lte",
        "semver_gt",
        "semver_gte",
    ]);
    let literal = prop_oneof![
        word().prop_map(Json::String),
        number(),
        any::<bool>().prop_map(Json::Bool)
    ];
    (
        maybe(word()),
        maybe(ops),
        maybe(prop::collection::vec(literal, 0..3)),
        maybe(word()),
        maybe(any::<bool>()),
        maybe(any::<bool>()),
    )
        .prop_map(|(attribute, op, values, segment, negate, fold)| {
            object(vec![
                ("attribute", attribute.map(Json::String)),
                ("op", op.map(Json::from)),
                ("values", values.map(Json::Array)),
                ("segment", segment.map(Json::String)),
                ("negate", negate.map(Json::Bool)),
                ("case_insensitive", fold.map(Json::Bool)),
            ])
        })
}

fn feature() -> impl Strategy<Value = Json> {
    let variant = (word(), number(), maybe(any_json())).prop_map(|(name, weight, value)| {
        object(vec![
            ("name", Some(Json::String(name))),
            ("weight", Some(weight)),
            ("value", value),
        ])
    });
    let rule = (
        maybe(word()),
        prop::collection::vec(condition(), 0..3),
        maybe(prop::sample::select(vec!["on", "off"])),
        maybe(word()),
        maybe(number()),
    )
        .prop_map(|(name, conditions, serve, variant, percentage)| {
            object(vec![
                ("name", name.map(Json::String)),
                ("conditions", Some(Json::Array(conditions))),
                ("serve", serve.map(Json::from)),
                ("variant", variant.map(Json::String)),
                ("percentage", percentage),
            ])
        });
    let prerequisite = (word(), maybe(word())).prop_map(|(feature, variant)| {
        object(vec![
            ("feature", Some(Json::String(feature))),
            ("variant", variant.map(Json::String)),
        ])
    });
    (
        (word(), maybe(any::<bool>()), maybe(number())),
        (
            maybe(strings()),
            maybe(strings()),
            maybe(word()),
            maybe(word()),
        ),
        maybe(prop::collection::vec(prerequisite, 0..3)),
        maybe(prop::collection::vec(rule, 0..3)),
        maybe(prop::collection::vec(variant, 0..4)),
    )
        .prop_map(
            |(
                (name, enabled, percentage),
                (allow, deny, salt, bucket_by),
                prereqs,
                rules,
                variants,
            )| {
                object(vec![
                    ("name", Some(Json::String(name))),
                    ("enabled", enabled.map(Json::Bool)),
                    ("percentage", percentage),
                    ("allow", allow),
                    ("deny", deny),
                    ("salt", salt.map(Json::String)),
                    ("bucket_by", bucket_by.map(Json::String)),
                    ("prerequisites", prereqs.map(Json::Array)),
                    ("rules", rules.map(Json::Array)),
                    ("variants", variants.map(Json::Array)),
                ])
            },
        )
}

/// JSON shaped like a config, with every value drawn from a small, clashing
/// vocabulary: most of it parses, much of it is invalid in some way.
fn config_shaped() -> impl Strategy<Value = Vec<u8>> {
    let segment = (word(), prop::collection::vec(condition(), 0..3)).prop_map(|(name, cs)| {
        object(vec![
            ("name", Some(Json::String(name))),
            ("conditions", Some(Json::Array(cs))),
        ])
    });
    (
        maybe(prop_oneof![Just(Json::from(1)), number()]),
        prop_oneof![Just("r1".to_owned()), word()],
        maybe(prop::collection::vec(segment, 0..3)),
        prop::collection::vec(feature(), 0..5),
    )
        .prop_map(|(schema, revision, segments, features)| {
            let config = object(vec![
                ("schema_version", schema),
                ("revision", Some(Json::String(revision))),
                ("segments", segments.map(Json::Array)),
                ("features", Some(Json::Array(features))),
            ]);
            serde_json::to_vec(&config).expect("JSON serialises")
        })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        load(&bytes);
    }

    #[test]
    fn arbitrary_json_tokens_never_panic(bytes in token_soup()) {
        load(&bytes);
    }

    #[test]
    fn config_shaped_json_never_panics(bytes in config_shaped()) {
        load(&bytes);
    }
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    for depth in [200, 10_000, 100_000] {
        assert_eq!(load("[".repeat(depth).as_bytes()), (false, false));
        let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(load(nested.as_bytes()), (false, false));
        // Deep inside a variant's value, where any JSON is welcome.
        let config = format!(
            r#"{{ "revision": "r1", "features": [ {{ "name": "a", "percentage": 100,
                 "variants": [ {{ "name": "x", "weight": 100, "value": {nested} }} ] }} ] }}"#
        );
        assert_eq!(load(config.as_bytes()), (false, false), "depth {depth}");
    }
    // As deep as the parser allows, the value is served.
    let nested = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let config = format!(
        r#"{{ "revision": "r1", "features": [ {{ "name": "a", "percentage": 100,
             "variants": [ {{ "name": "x", "weight": 100, "value": {nested} }} ] }} ] }}"#
    );
    assert_eq!(load(config.as_bytes()), (true, true));
}

#[test]
fn config_shaped_json_mostly_parses_and_sometimes_validates() {
    // The generator is only useful if it reaches validation, and past it.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut parsed, mut valid) = (0, 0);
    for _ in 0..200 {
        let bytes = config_shaped()
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        let (p, v) = load(&bytes);
        parsed += usize::from(p);
        valid += usize::from(v);
    }
    assert!(parsed >= 100, "{parsed} of 200 parsed");
    assert!(valid >= 10, "{valid} of 200 validated");
}

// ----- structural mutations of the example config -----

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node's path, depth first, root first.
fn paths(root: &Json) -> Vec<Vec<Step>> {
    fn walk(node: &Json, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(at.clone());
        match node {
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    at.push(Step::Index(i));
                    walk(item, at, out);
                    at.pop();
                }
            }
            Json::Object(map) => {
                for (k, v) in map {
                    at.push(Step::Key(k.clone()));
                    walk(v, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), &mut out);
    out
}

fn node_mut<'a>(root: &'a mut Json, path: &[Step]) -> &'a mut Json {
    path.iter().fold(root, |node, step| match step {
        Step::Key(k) => &mut node[k.as_str()],
        Step::Index(i) => &mut node[*i],
    })
}

fn node<'a>(root: &'a Json, path: &[Step]) -> &'a Json {
    path.iter().fold(root, |node, step| match step {
        Step::Key(k) => &node[k.as_str()],
        Step::Index(i) => &node[*i],
    })
}

/// The nodes for which `wanted` holds, in walk order.
fn candidates(root: &Json, wanted: impl Fn(&[Step], &Json) -> bool) -> Vec<Vec<Step>> {
    let mut all = paths(root);
    all.retain(|p| wanted(p, node(root, p)));
    all
}

/// The `pick`-th (modulo) node for which `wanted` holds, if any.
fn pick_node(
    root: &Json,
    pick: usize,
    wanted: impl Fn(&[Step], &Json) -> bool,
) -> Option<Vec<Step>> {
    let mut all = candidates(root, wanted);
    match all.len() {
        0 => None,
        n => Some(all.swap_remove(pick % n)),
    }
}

/// The path written `features/0/name`.
fn path_text(path: &[Step]) -> String {
    let steps: Vec<String> = path
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.clone(),
            Step::Index(i) => i.to_string(),
        })
        .collect();
    steps.join("/")
}

/// A value of another JSON type than `node`, `pick` choosing which.
fn other_type(node: &Json, pick: usize, with: Json) -> Json {
    let same = std::mem::discriminant(node) == std::mem::discriminant(&with);
    if !same {
        return with;
    }
    let choices = [
        Json::Null,
        Json::Bool(true),
        Json::from(7),
        Json::from("seven"),
        Json::Array(vec![Json::Null]),
        Json::Object(serde_json::Map::new()),
    ];
    let others: Vec<&Json> = choices
        .iter()
        .filter(|c| std::mem::discriminant(*c) != std::mem::discriminant(node))
        .collect();
    others[pick % others.len()].clone()
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace a node with a value of another type.
    Replace(usize, Json),
    /// Delete a key of an object.
    DeleteKey(usize),
    /// Duplicate an element of an array, next to itself.
    Duplicate(usize, usize),
    /// Replace a number with another (huge, negative, fractional …).
    Number(usize, Json),
    /// Replace a string with another (empty, whitespace, unicode …).
    Text(usize, String),
    /// Give feature `.0` the name of feature `.1`.
    Rename(usize, usize),
    /// Make feature `.0` require feature `.1` (perhaps a cycle, perhaps
    /// itself), optionally to a variant.
    Require(usize, usize, Option<String>),
    /// Make features `.0` and `.1` require each other.
    Cycle(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let text = prop_oneof![
        word(),
        Just(String::new()),
        Just("   ".to_owned()),
        Just("\u{202e}ünïcödé\u{0}".to_owned()),
        Just("x".repeat(5000)),
        prop::sample::select(vec![
            "new_payments",
            "new_checkout_design",
            "search_ranking",
            "dark_mode",
            "max_upload_mb",
            "staff",
            "beta_testers",
            "wizard",
            "learned",
            "bm25",
            "in",
            "semver_lt",
            "contains",
        ])
        .prop_map(str::to_owned),
    ];
    prop_oneof![
        (any::<usize>(), any_json()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        any::<usize>().prop_map(Mutation::DeleteKey),
        (any::<usize>(), any::<usize>()).prop_map(|(at, i)| Mutation::Duplicate(at, i)),
        (any::<usize>(), number()).prop_map(|(at, n)| Mutation::Number(at, n)),
        (any::<usize>(), text).prop_map(|(at, s)| Mutation::Text(at, s)),
        (0..5usize, 0..5usize).prop_map(|(a, b)| Mutation::Rename(a, b)),
        (
            0..5usize,
            0..5usize,
            maybe(prop::sample::select(vec!["wizard", "learned", "nope"]))
        )
            .prop_map(|(a, b, v)| Mutation::Require(a, b, v.map(str::to_owned))),
        (0..5usize, 0..5usize).prop_map(|(a, b)| Mutation::Cycle(a, b)),
    ]
}

fn feature_name(root: &Json, i: usize) -> Option<Json> {
    root.get("features")?.get(i)?.get("name").cloned()
}

/// The feature object at position `i`, if the mutations left one there.
fn feature_mut(root: &mut Json, i: usize) -> Option<&mut serde_json::Map<String, Json>> {
    root.get_mut("features")?.get_mut(i)?.as_object_mut()
}

fn add_prerequisite(root: &mut Json, from: usize, on: Json, variant: Option<String>) {
    let Some(feature) = feature_mut(root, from) else {
        return;
    };
    let mut prerequisite = serde_json::Map::new();
    prerequisite.insert("feature".to_owned(), on);
    if let Some(v) = variant {
        prerequisite.insert("variant".to_owned(), Json::String(v));
    }
    match feature
        .entry("prerequisites")
        .or_insert_with(|| Json::Array(Vec::new()))
    {
        Json::Array(list) => list.push(Json::Object(prerequisite)),
        other => *other = Json::Array(vec![Json::Object(prerequisite)]),
    }
}

fn apply(root: &mut Json, m: &Mutation) {
    match m {
        Mutation::Replace(at, with) => {
            if let Some(path) = pick_node(root, *at, |_, _| true) {
                let node = node_mut(root, &path);
                *node = other_type(node, *at, with.clone());
            }
        }
        Mutation::DeleteKey(at) => {
            if let Some(path) = pick_node(root, *at, |p, _| matches!(p.last(), Some(Step::Key(_))))
            {
                let (Some(Step::Key(key)), parent) = (path.last(), &path[..path.len() - 1]) else {
                    unreachable!("picked a key");
                };
                if let Json::Object(map) = node_mut(root, parent) {
                    map.remove(key);
                }
            }
        }
        Mutation::Duplicate(at, i) => {
            let non_empty = |_: &[Step], n: &Json| n.as_array().is_some_and(|a| !a.is_empty());
            if let Some(path) = pick_node(root, *at, non_empty)
                && let Json::Array(items) = node_mut(root, &path)
            {
                let i = i % items.len();
                items.insert(i, items[i].clone());
            }
        }
        Mutation::Number(at, n) => {
            if let Some(path) = pick_node(root, *at, |_, n| n.is_number()) {
                *node_mut(root, &path) = n.clone();
            }
        }
        Mutation::Text(at, s) => {
            if let Some(path) = pick_node(root, *at, |_, n| n.is_string()) {
                *node_mut(root, &path) = Json::String(s.clone());
            }
        }
        Mutation::Rename(a, b) => {
            if let Some(name) = feature_name(root, *b)
                && let Some(f) = feature_mut(root, *a)
            {
                f.insert("name".to_owned(), name);
            }
        }
        Mutation::Require(a, b, variant) => {
            if let Some(name) = feature_name(root, *b) {
                add_prerequisite(root, *a, name, variant.clone());
            }
        }
        Mutation::Cycle(a, b) => {
            if let (Some(x), Some(y)) = (feature_name(root, *a), feature_name(root, *b)) {
                add_prerequisite(root, *a, y, None);
                add_prerequisite(root, *b, x, None);
            }
        }
    }
}

fn full_json() -> Json {
    serde_json::from_str(FULL).expect("full.json is JSON")
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn mutated_example_configs_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let mut root = full_json();
        for m in &mutations {
            apply(&mut root, m);
        }
        let text = serde_json::to_vec(&root).expect("JSON serialises");
        load(&text);
    }
}

#[test]
fn each_kind_of_mutation_reaches_validation() {
    // Single mutations that keep the JSON a well-formed config, so the
    // validator (not serde) is what rejects them, with the right error.
    let reject = |m: Mutation| {
        let mut root = full_json();
        apply(&mut root, &m);
        let config: Config = serde_json::from_value(root).expect("still config data");
        let err = Snapshot::try_from(&config).expect_err("invalid");
        check_error(&config, &err);
        err
    };
    assert!(matches!(
        reject(Mutation::Rename(1, 0)),
        ConfigError::DuplicateFeature { feature } if feature == "new_payments"
    ));
    assert!(matches!(
        reject(Mutation::Cycle(0, 2)),
        ConfigError::PrerequisiteCycle { .. }
    ));
    assert!(matches!(
        reject(Mutation::Require(0, 0, None)),
        ConfigError::PrerequisiteCycle { cycle } if cycle == ["new_payments", "new_payments"]
    ));
    assert!(matches!(
        reject(Mutation::Require(0, 2, Some("nope".to_owned()))),
        ConfigError::UnknownVariant { feature, .. } if feature == "new_payments"
    ));
    // Mutations that pick a node: find the index that picks the one meant.
    let root = full_json();
    let at = |wanted: fn(&[Step], &Json) -> bool, path: &str| {
        candidates(&root, wanted)
            .iter()
            .position(|p| path_text(p) == path)
            .unwrap_or_else(|| panic!("no {path}"))
    };
    let number = at(|_, n| n.is_number(), "features/0/percentage");
    let err = reject(Mutation::Number(number, Json::from(-1)));
    assert_eq!(
        err.to_string(),
        "feature `new_payments`: percentage -1 is out of range (0..=100)"
    );
    let fraction = at(|_, n| n.is_number(), "features/2/variants/1/weight");
    let err = reject(Mutation::Number(fraction, Json::from(19.995)));
    assert_eq!(
        err.to_string(),
        "feature `search_ranking`: variants[1].weight 19.995 is finer than 0.01"
    );
    let text = at(|_, n| n.is_string(), "revision");
    assert_eq!(
        reject(Mutation::Text(text, String::new())),
        ConfigError::EmptyRevision
    );
    let text = at(|_, n| n.is_string(), "segments/0/name");
    assert_eq!(
        reject(Mutation::Text(text, String::new())),
        ConfigError::EmptySegmentName { index: 0 }
    );
    let text = at(|_, n| n.is_string(), "features/1/name");
    assert_eq!(
        reject(Mutation::Text(text, " x".to_owned())).to_string(),
        "feature ` x`: name has leading or trailing whitespace"
    );
    let key = at(
        |p, _| matches!(p.last(), Some(Step::Key(_))),
        "features/1/variants",
    );
    assert_eq!(
        reject(Mutation::DeleteKey(key)).to_string(),
        "feature `new_checkout_design`: rules[1].variant: unknown variant `wizard`"
    );
    let list = at(
        |_, n| n.as_array().is_some_and(|a| !a.is_empty()),
        "features/2/variants",
    );
    assert_eq!(
        reject(Mutation::Duplicate(list, 1)).to_string(),
        "feature `search_ranking`: variant `learned` is defined more than once"
    );
}

// ----- byte-level mutations of the example's text -----

#[derive(Clone, Debug)]
enum ByteEdit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    let interesting = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"{}[]:,\"\\0123456789.-+eE tfn".to_vec()),
    ];
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| ByteEdit::Flip(at, b)),
        4 => (any::<usize>(), interesting).prop_map(|(at, b)| ByteEdit::Insert(at, b)),
        4 => any::<usize>().prop_map(ByteEdit::Delete),
        1 => any::<usize>().prop_map(ByteEdit::Truncate),
    ]
}

fn edit(bytes: &mut Vec<u8>, e: &ByteEdit) {
    let len = bytes.len();
    match *e {
        ByteEdit::Flip(at, b) if len > 0 => bytes[at % len] ^= b,
        ByteEdit::Insert(at, b) => bytes.insert(at % (len + 1), b),
        ByteEdit::Delete(at) if len > 0 => {
            bytes.remove(at % len);
        }
        ByteEdit::Truncate(at) => bytes.truncate(at % (len + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn byte_mutated_example_configs_never_panic(edits in prop::collection::vec(byte_edit(), 1..8)) {
        let mut bytes = FULL.as_bytes().to_vec();
        for e in &edits {
            edit(&mut bytes, e);
        }
        load(&bytes);
    }
}

#[test]
fn the_example_truncated_or_missing_any_one_byte_never_panics() {
    let full = FULL.as_bytes();
    let end = FULL.trim_end().len();
    let mut validated = 0;
    for at in 0..full.len() {
        let truncated = load(&full[..at]);
        if at < end {
            assert_eq!(truncated, (false, false), "truncated at {at}");
        }
        // Removing whitespace changes nothing; anything else might.
        if !full[at].is_ascii_whitespace() {
            let mut without = full.to_vec();
            without.remove(at);
            validated += usize::from(load(&without).1);
        }
    }
    // Removing a digit of a number, say, can leave a valid config.
    assert!(validated > 0);
}

// ----- a very large config -----

/// 100,000 features in chains of 17: feature `i` requires feature `i - 1`
/// unless `i` is a multiple of 17, so the deepest chain is exactly 16 long.
/// Chain heads roll out to 50%, the rest to 100%; some have rules, some
/// variants, some allow and deny lists.
fn large_config_json(n: usize) -> String {
    let mut out = String::with_capacity(n * 160);
    out.push_str(
        r#"{ "schema_version": 1, "revision": "large", "segments": [
    { "name": "nl", "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ] }
  ], "features": ["#,
    );
    for i in 0..n {
        let head = i % 17 == 0;
        let _ = write!(
            out,
            r#"{}{{ "name": "f{i:06}", "percentage": {}"#,
            if i == 0 { "\n" } else { ",\n" },
            if head { 50 } else { 100 }
        );
        if !head {
            let _ = write!(
                out,
                r#", "prerequisites": [ {{ "feature": "f{:06}" }} ]"#,
                i - 1
            );
        }
        if i % 5 == 0 {
            out.push_str(
                r#", "rules": [ { "name": "nl off", "conditions": [ { "segment": "nl" } ], "serve": "off" },
                  { "conditions": [ { "attribute": "app_version", "op": "semver_lt", "values": ["2.0"] } ], "percentage": 0 } ]"#,
            );
        }
        if i % 7 == 0 {
            out.push_str(
                r#", "variants": [ { "name": "a", "weight": 50, "value": 1 }, { "name": "b", "weight": 50 } ]"#,
            );
        }
        if i % 11 == 0 {
            let _ = write!(out, r#", "allow": ["qa-{i}"], "deny": ["blocked"]"#);
        }
        out.push_str(" }");
    }
    out.push_str("\n] }\n");
    out
}

#[test]
fn a_config_of_100_000_features_loads_and_decides() {
    let n = 100_000;
    let text = large_config_json(n);
    let mut config: Config = serde_json::from_str(&text).expect("parses");
    let snapshot = Snapshot::try_from(&config).expect("validates: the chains are 16 deep");
    assert_eq!(snapshot.features().len(), n);
    assert_eq!(snapshot.revision().to_string(), "large");

    let head_on = |head: usize, unit: &str| {
        gradual::bucket(&format!("f{head:06}"), unit).basis_points() < 5000
    };
    // Whole chains, spot-checked: a chain's last feature is on exactly when
    // its head is, and otherwise blames its own prerequisite.
    for chain in [0, 1, 2, 1000, 3000, n / 17 - 1] {
        let head = chain * 17;
        let tail = head + 16;
        let name = format!("f{tail:06}");
        let before = format!("f{:06}", tail - 1);
        for u in 0..50 {
            let unit = format!("user-{u}");
            let d = snapshot.evaluate(&name, &unit);
            assert_eq!(d.is_enabled(), head_on(head, &unit), "{name} {unit}");
            if !d.is_enabled() {
                assert_eq!(
                    d.reason(),
                    Reason::PrerequisiteFailed {
                        feature: before.as_str()
                    },
                    "{name} {unit}"
                );
            }
        }
    }
    // The remainder chain at the end is shorter, and still whole.
    let last = format!("f{:06}", n - 1);
    let last_head = (n - 1) / 17 * 17;
    for u in 0..50 {
        let unit = format!("user-{u}");
        assert_eq!(snapshot.is_enabled(&last, &unit), head_on(last_head, &unit));
    }

    // Allow and deny lists, on a head (no prerequisites) at 50%.
    let head = 187; // 11 * 17
    let name = format!("f{head:06}");
    assert_eq!(snapshot.evaluate(&name, "qa-187").reason(), Reason::Allowed);
    assert!(snapshot.is_enabled(&name, "qa-187"));
    assert_eq!(snapshot.evaluate(&name, "blocked").reason(), Reason::Denied);

    // Rules, by segment: `f000085` (5 * 17) is a head with the rules.
    let nl = [("country", Value::Str("NL"))];
    let d = snapshot.evaluate_with("f000085", &Context::new("user-1").with_attributes(&nl));
    assert!(!d.is_enabled());
    assert!(matches!(
        d.reason(),
        Reason::Rule {
            index: 0,
            name: Some("nl off"),
            segment: Some("nl")
        }
    ));

    // Variants: `f000119` (7 * 17) is a head with variants; on means a variant.
    for u in 0..50 {
        let d = snapshot.evaluate("f000119", &format!("user-{u}"));
        assert_eq!(d.is_enabled(), d.variant().is_some());
    }

    assert_eq!(
        snapshot.evaluate("f100000", "user-1").reason(),
        Reason::UnknownFeature
    );

    // One link more: the last, short chain hung from the end of the full
    // chain before it is 17 deep, and rejected at this size too.
    let head = (n - 1) / 17 * 17;
    config.features[head]
        .prerequisites
        .push(gradual::PrerequisiteConfig::on(format!("f{:06}", head - 1)));
    let err = Snapshot::try_from(&config).expect_err("too deep");
    check_error(&config, &err);
    assert_eq!(
        err.to_string(),
        format!("feature `f{head:06}`: prerequisite chain is deeper than 16")
    );
}

// ----- regressions: inputs that once got through -----

#[test]
fn a_huge_number_of_variants_is_rejected_not_overflowed() {
    // 429,497 * 10000 basis points > u32::MAX; plus 7296 it is 2^32 + 10000.
    let mut text = String::from(
        r#"{ "revision": "r1", "features": [ { "name": "many", "percentage": 100, "variants": ["#,
    );
    for i in 0..429_497 {
        let _ = write!(text, r#"{{ "name": "v{i}", "weight": 100 }},"#);
    }
    text.push_str(r#"{ "name": "last", "weight": 72.96 } ] } ] }"#);
    let config: Config = serde_json::from_str(&text).expect("parses");
    let err = Snapshot::try_from(&config).expect_err("weights sum far beyond 100");
    assert!(
        matches!(err, ConfigError::VariantWeights { ref feature, .. } if feature == "many"),
        "{err}"
    );
    check_error(&config, &err);
}

// ----- Config::errors agrees with Snapshot::try_from -----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// `errors()` is empty exactly when `try_from` succeeds, and its first
    /// entry is the error `try_from` stops at.
    #[test]
    fn listing_every_error_agrees_with_stopping_at_the_first(seed in any::<u64>()) {
        let mut value: serde_json::Value = serde_json::from_str(include_str!("../examples/configs/full.json")).expect("JSON");
        // Break a few percentages and names, chosen by the seed.
        if let Some(features) = value["features"].as_array_mut() {
            for (i, f) in features.iter_mut().enumerate() {
                let pick = (seed >> (i * 3)) & 7;
                match pick {
                    0 => f["percentage"] = serde_json::json!(100.5),
                    1 => f["name"] = serde_json::json!(""),
                    2 => f["percentage"] = serde_json::json!(0.001),
                    _ => {}
                }
            }
        }
        if let Ok(config) = serde_json::from_value::<gradual::Config>(value) {
            let all = config.errors();
            match Snapshot::try_from(&config) {
                Ok(_) => prop_assert!(all.is_empty(), "{all:?}"),
                Err(first) => prop_assert_eq!(all.first(), Some(&first)),
            }
        }
    }
}
