//! Every condition [`Operator`] against every [`Value`] type, checked
//! against expectations written out by hand (never against the crate's own
//! output), and how conditions combine into rules and segments.
//!
//! Each case is a one-feature snapshot at 0% with a single `serve: on` rule,
//! so the feature is on exactly when the rule matched, and the decision's
//! [`Reason`] says which rule it was.

use gradual::{
    ConditionConfig, Config, Context, Decision, FeatureConfig, Literal, Operator, Reason,
    RuleConfig, SegmentConfig, Serve, Snapshot, Value, Version,
};

/// What a condition does for one attribute value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// It holds; negated, it does not.
    Match,
    /// It does not hold; negated, it does.
    NoMatch,
    /// It never holds, negated or not: the attribute is missing, or of a
    /// type the operator does not take.
    Never,
}

use Expect::{Match, Never, NoMatch};

/// A snapshot of one feature `f` at 0% whose only rule serves it on when
/// `condition` holds.
fn one_rule(condition: ConditionConfig) -> Snapshot {
    let feature = FeatureConfig::new("f").rule(RuleConfig::new(Serve::On).condition(condition));
    Snapshot::try_from(Config::new("r1").feature(feature)).expect("a valid condition")
}

/// Whether the single rule of `snapshot` matched, checking the decision is
/// exactly "rule #0 on" or "out of rollout".
fn rule_matched(snapshot: &Snapshot, attributes: &[(&str, Value<'_>)]) -> bool {
    let context = Context::new("user-42").with_attributes(attributes);
    let d = snapshot.evaluate_with("f", &context);
    let rule = Reason::Rule {
        index: 0,
        name: None,
        segment: None,
    };
    if d.is_enabled() {
        assert_eq!(d.reason(), rule, "{d:?}");
    } else {
        assert_eq!(d.reason(), Reason::OutOfRollout, "{d:?}");
    }
    d.is_enabled()
}

/// Checks a condition, and its negation, against one attribute `a`.
#[track_caller]
fn check(condition: &ConditionConfig, value: Option<Value<'_>>, expect: Expect) {
    let attributes: Vec<(&str, Value<'_>)> = value.into_iter().map(|v| ("a", v)).collect();
    let plain = rule_matched(&one_rule(condition.clone()), &attributes);
    let negated = rule_matched(&one_rule(condition.clone().negate()), &attributes);
    let (want_plain, want_negated) = match expect {
        Match => (true, false),
        NoMatch => (false, true),
        Never => (false, false),
    };
    assert_eq!(
        (plain, negated),
        (want_plain, want_negated),
        "{condition:?} on {value:?}: expected {expect:?}"
    );
}

/// `a <op> any-of values`.
fn cond<V: Into<Literal>>(op: Operator, values: impl IntoIterator<Item = V>) -> ConditionConfig {
    ConditionConfig::new("a", op, values)
}

/// `a <op> any-of values`, ignoring ASCII case.
fn cond_ci<V: Into<Literal>>(op: Operator, values: impl IntoIterator<Item = V>) -> ConditionConfig {
    cond(op, values).case_insensitive()
}

fn version(text: &str) -> Value<'_> {
    Value::Version(Version::parse(text).unwrap_or_else(|| panic!("{text} is a version")))
}

// ----- which value types each operator takes -----

#[test]
fn every_operator_against_every_value_type() {
    let list: &[&str] = &["x", "y"];
    let str_ = Value::Str("2.0");
    let number = Value::Number(2.0);
    let bool_ = Value::Bool(true);
    let version_ = version("2.0.0");
    let list_ = Value::List(list);
    // (type name, value) in a fixed order: str, number, bool, version, list.
    let types = [
        ("str", str_),
        ("number", number),
        ("bool", bool_),
        ("version", version_),
        ("list", list_),
    ];
    // For each operator and kind of value in the condition, the attribute
    // types it takes (by name); every other type never matches.
    let string_values: Vec<Literal> = vec!["x".into()];
    let number_values: Vec<Literal> = vec![1.into()];
    let bool_values: Vec<Literal> = vec![true.into()];
    let version_values: Vec<Literal> = vec!["1.0".into()];
    let table: Vec<(Operator, &[Literal], &[&str])> = vec![
        (Operator::In, &string_values, &["str", "list"]),
        (Operator::In, &number_values, &["number"]),
        (Operator::In, &bool_values, &["bool"]),
        (Operator::NotIn, &string_values, &["str", "list"]),
        (Operator::NotIn, &number_values, &["number"]),
        (Operator::NotIn, &bool_values, &["bool"]),
        (Operator::Equals, &string_values, &["str", "list"]),
        (Operator::Equals, &number_values, &["number"]),
        (Operator::Equals, &bool_values, &["bool"]),
        (Operator::StartsWith, &string_values, &["str", "list"]),
        (Operator::EndsWith, &string_values, &["str", "list"]),
        (Operator::Contains, &string_values, &["str", "list"]),
        (Operator::Lt, &number_values, &["number"]),
        (Operator::Lte, &number_values, &["number"]),
        (Operator::Gt, &number_values, &["number"]),
        (Operator::Gte, &number_values, &["number"]),
        // "2.0" as a string is parsed as a version; a list is not.
        (Operator::SemverEq, &version_values, &["str", "version"]),
        (Operator::SemverLt, &version_values, &["str", "version"]),
        (Operator::SemverLte, &version_values, &["str", "version"]),
        (Operator::SemverGt, &version_values, &["str", "version"]),
        (Operator::SemverGte, &version_values, &["str", "version"]),
    ];
    for (op, values, takes) in table {
        let condition = cond(op, values.iter().cloned());
        let plain = one_rule(condition.clone());
        let negated = one_rule(condition.clone().negate());
        for (name, value) in types {
            let attributes = [("a", value)];
            let (p, n) = (
                rule_matched(&plain, &attributes),
                rule_matched(&negated, &attributes),
            );
            if takes.contains(&name) {
                assert!(
                    p != n,
                    "{op:?} {values:?} on a {name}: exactly one of the condition and its negation holds"
                );
            } else {
                assert!(
                    !p && !n,
                    "{op:?} {values:?} on a {name}: a type mismatch never matches"
                );
            }
        }
        // A missing attribute never matches either, nor does a present
        // attribute of another name.
        assert!(!rule_matched(&plain, &[]), "{op:?}: missing");
        assert!(!rule_matched(&negated, &[]), "{op:?}: missing, negated");
        let other = [("b", str_), ("A", number), ("a ", list_)];
        assert!(!rule_matched(&plain, &other), "{op:?}: other names");
        assert!(
            !rule_matched(&negated, &other),
            "{op:?}: other names, negated"
        );
    }
}

// ----- in, not_in, equals -----

#[test]
fn in_matches_strings_exactly_and_any_of_the_values() {
    let c = cond(Operator::In, ["NL", "BE"]);
    check(&c, Some(Value::Str("NL")), Match);
    check(&c, Some(Value::Str("BE")), Match);
    check(&c, Some(Value::Str("DE")), NoMatch);
    check(&c, Some(Value::Str("nl")), NoMatch);
    check(&c, Some(Value::Str("NL ")), NoMatch);
    check(&c, Some(Value::Str("")), NoMatch);
    check(&c, None, Never);
    check(&c, Some(Value::Number(1.0)), Never);
    check(&c, Some(Value::Bool(true)), Never);
    check(&c, Some(version("1.0.0")), Never);

    let one = cond(Operator::In, ["NL"]);
    check(&one, Some(Value::Str("NL")), Match);
    check(&one, Some(Value::Str("BE")), NoMatch);
    // The empty string is a value like any other.
    check(&cond(Operator::In, [""]), Some(Value::Str("")), Match);
    check(&cond(Operator::In, [""]), Some(Value::Str("x")), NoMatch);
}

#[test]
fn in_matches_numbers_and_bools_by_value_never_by_their_text() {
    let numbers = cond(Operator::In, [1.0, 5.0, -2.5]);
    check(&numbers, Some(Value::Number(5.0)), Match);
    check(&numbers, Some(Value::Number(-2.5)), Match);
    check(&numbers, Some(Value::from(5_i64)), Match);
    check(&numbers, Some(Value::Number(5.000_001)), NoMatch);
    check(&numbers, Some(Value::Number(0.0)), NoMatch);
    check(&numbers, Some(Value::Str("5")), Never);
    check(&cond(Operator::In, [0]), Some(Value::Number(-0.0)), Match);

    let bools = cond(Operator::In, [true]);
    check(&bools, Some(Value::Bool(true)), Match);
    check(&bools, Some(Value::Bool(false)), NoMatch);
    check(&bools, Some(Value::Str("true")), Never);
    check(&bools, Some(Value::Number(1.0)), Never);

    // Text that looks like a number or a bool is text.
    check(&cond(Operator::In, ["5"]), Some(Value::Number(5.0)), Never);
    check(
        &cond(Operator::In, ["true"]),
        Some(Value::Bool(true)),
        Never,
    );

    // Mixed values: each attribute type is compared with the values of
    // its own type.
    let mixed = ConditionConfig::new(
        "a",
        Operator::In,
        [Literal::from("NL"), Literal::from(5), Literal::from(true)],
    );
    check(&mixed, Some(Value::Str("NL")), Match);
    check(&mixed, Some(Value::Str("5")), NoMatch);
    check(&mixed, Some(Value::Number(5.0)), Match);
    check(&mixed, Some(Value::Number(6.0)), NoMatch);
    check(&mixed, Some(Value::Bool(true)), Match);
    check(&mixed, Some(Value::Bool(false)), NoMatch);
    check(&mixed, Some(version("5.0.0")), Never);
}

#[test]
fn in_on_a_list_attribute_matches_when_any_element_does() {
    let roles: &[&str] = &["admin", "beta"];
    let c = cond(Operator::In, ["beta", "staff"]);
    check(&c, Some(Value::List(roles)), Match);
    check(
        &cond(Operator::In, ["admin"]),
        Some(Value::List(roles)),
        Match,
    );
    check(
        &cond(Operator::In, ["staff"]),
        Some(Value::List(roles)),
        NoMatch,
    );
    check(
        &cond(Operator::In, ["Admin"]),
        Some(Value::List(roles)),
        NoMatch,
    );
    check(
        &cond_ci(Operator::In, ["Admin"]),
        Some(Value::List(roles)),
        Match,
    );
    // An empty list has no element that matches.
    check(&c, Some(Value::List(&[])), NoMatch);
    // A list is a list of strings: number values never match it.
    check(&cond(Operator::In, [1]), Some(Value::List(roles)), Never);
}

#[test]
fn not_in_is_in_negated() {
    let c = cond(Operator::NotIn, ["NL", "BE"]);
    check(&c, Some(Value::Str("DE")), Match);
    check(&c, Some(Value::Str("NL")), NoMatch);
    check(&c, Some(Value::Str("BE")), NoMatch);
    check(&c, Some(Value::Str("nl")), Match);
    check(
        &cond_ci(Operator::NotIn, ["NL", "BE"]),
        Some(Value::Str("nl")),
        NoMatch,
    );

    let numbers = cond(Operator::NotIn, [1, 2]);
    check(&numbers, Some(Value::Number(3.0)), Match);
    check(&numbers, Some(Value::Number(2.0)), NoMatch);
    check(
        &cond(Operator::NotIn, [false]),
        Some(Value::Bool(true)),
        Match,
    );
    check(
        &cond(Operator::NotIn, [false]),
        Some(Value::Bool(false)),
        NoMatch,
    );

    // A list is "not in" when none of its elements is in the values.
    let roles: &[&str] = &["admin", "beta"];
    check(
        &cond(Operator::NotIn, ["banned"]),
        Some(Value::List(roles)),
        Match,
    );
    check(
        &cond(Operator::NotIn, ["beta"]),
        Some(Value::List(roles)),
        NoMatch,
    );
    check(
        &cond(Operator::NotIn, ["banned"]),
        Some(Value::List(&[])),
        Match,
    );

    // A type mismatch or a missing attribute is not "not in": it never
    // matches, so `not_in` cannot fire on data the request did not carry.
    check(&c, None, Never);
    check(&c, Some(Value::Number(1.0)), Never);
    check(&c, Some(Value::Bool(false)), Never);
    check(&c, Some(version("1.0.0")), Never);
    check(&numbers, Some(Value::Str("3")), Never);
}

#[test]
fn equals_compares_with_its_one_value() {
    check(
        &cond(Operator::Equals, ["NL"]),
        Some(Value::Str("NL")),
        Match,
    );
    check(
        &cond(Operator::Equals, ["NL"]),
        Some(Value::Str("NLD")),
        NoMatch,
    );
    check(
        &cond(Operator::Equals, ["NL"]),
        Some(Value::Str("N")),
        NoMatch,
    );
    check(
        &cond(Operator::Equals, [42]),
        Some(Value::Number(42.0)),
        Match,
    );
    check(
        &cond(Operator::Equals, [42]),
        Some(Value::Number(42.5)),
        NoMatch,
    );
    check(
        &cond(Operator::Equals, [false]),
        Some(Value::Bool(false)),
        Match,
    );
    check(
        &cond(Operator::Equals, [false]),
        Some(Value::Bool(true)),
        NoMatch,
    );
    let tags: &[&str] = &["a", "b"];
    check(
        &cond(Operator::Equals, ["b"]),
        Some(Value::List(tags)),
        Match,
    );
    check(
        &cond(Operator::Equals, ["c"]),
        Some(Value::List(tags)),
        NoMatch,
    );
    check(
        &cond(Operator::Equals, ["NL"]),
        Some(Value::Number(1.0)),
        Never,
    );
    check(&cond(Operator::Equals, [42]), Some(Value::Str("42")), Never);
    check(
        &cond(Operator::Equals, [true]),
        Some(Value::Str("true")),
        Never,
    );
    check(
        &cond(Operator::Equals, ["2.0.0"]),
        Some(version("2.0.0")),
        Never,
    );
    check(&cond(Operator::Equals, ["NL"]), None, Never);
}

#[test]
fn case_insensitive_equality_folds_ascii_only() {
    let c = cond_ci(Operator::Equals, ["alice@example.com"]);
    check(&c, Some(Value::Str("Alice@Example.COM")), Match);
    check(&c, Some(Value::Str("alice@example.com")), Match);
    check(&c, Some(Value::Str("alice@example.org")), NoMatch);
    // Without the flag, case matters.
    check(
        &cond(Operator::Equals, ["alice@example.com"]),
        Some(Value::Str("Alice@Example.COM")),
        NoMatch,
    );

    // Non-ASCII letters are compared as they are.
    check(
        &cond_ci(Operator::Equals, ["é"]),
        Some(Value::Str("É")),
        NoMatch,
    );
    check(
        &cond_ci(Operator::Equals, ["É"]),
        Some(Value::Str("é")),
        NoMatch,
    );
    check(
        &cond_ci(Operator::Equals, ["é"]),
        Some(Value::Str("é")),
        Match,
    );
    check(
        &cond_ci(Operator::In, ["ÉCOLE"]),
        Some(Value::Str("école")),
        NoMatch,
    );
    check(
        &cond_ci(Operator::In, ["ÉCOLE"]),
        Some(Value::Str("École")),
        Match,
    );
    check(
        &cond_ci(Operator::In, ["straße"]),
        Some(Value::Str("STRASSE")),
        NoMatch,
    );
    check(
        &cond_ci(Operator::In, ["ǅ"]),
        Some(Value::Str("ǆ")),
        NoMatch,
    );

    // The flag does not change how numbers and bools compare.
    let mixed = ConditionConfig::new("a", Operator::In, [Literal::from("Yes"), Literal::from(1)])
        .case_insensitive();
    check(&mixed, Some(Value::Str("YES")), Match);
    check(&mixed, Some(Value::Number(1.0)), Match);
    check(&mixed, Some(Value::Bool(true)), Never);
}

// ----- starts_with, ends_with, contains -----

#[test]
fn text_operators_are_case_sensitive_by_default() {
    let email = Some(Value::Str("Alice@Example.com"));
    check(&cond(Operator::StartsWith, ["Alice"]), email, Match);
    check(&cond(Operator::StartsWith, ["alice"]), email, NoMatch);
    check(&cond(Operator::StartsWith, ["Example"]), email, NoMatch);
    check(&cond(Operator::EndsWith, ["@Example.com"]), email, Match);
    check(&cond(Operator::EndsWith, ["@example.com"]), email, NoMatch);
    check(&cond(Operator::EndsWith, ["Alice"]), email, NoMatch);
    check(&cond(Operator::Contains, ["@Exam"]), email, Match);
    check(&cond(Operator::Contains, ["@exam"]), email, NoMatch);
    check(
        &cond(Operator::Contains, ["Alice@Example.com"]),
        email,
        Match,
    );
    check(
        &cond(Operator::Contains, ["Alice@Example.comm"]),
        email,
        NoMatch,
    );
}

#[test]
fn text_operators_ignore_ascii_case_when_asked() {
    let email = Some(Value::Str("Alice@Example.com"));
    check(&cond_ci(Operator::StartsWith, ["ALICE"]), email, Match);
    check(&cond_ci(Operator::EndsWith, ["@EXAMPLE.COM"]), email, Match);
    check(&cond_ci(Operator::Contains, ["e@e"]), email, Match);
    check(&cond_ci(Operator::Contains, ["bob"]), email, NoMatch);

    // Non-ASCII letters are not folded, and multi-byte text is compared
    // whole characters at a time.
    let name = Some(Value::Str("Émile Zola"));
    check(&cond_ci(Operator::StartsWith, ["émile"]), name, NoMatch);
    check(&cond_ci(Operator::StartsWith, ["ÉMILE"]), name, Match);
    check(&cond(Operator::StartsWith, ["É"]), name, Match);
    check(&cond_ci(Operator::Contains, ["é"]), name, NoMatch);
    check(&cond_ci(Operator::EndsWith, ["ZOLA"]), name, Match);
    check(
        &cond(Operator::EndsWith, ["é"]),
        Some(Value::Str("café")),
        Match,
    );
    check(
        &cond(Operator::EndsWith, ["e"]),
        Some(Value::Str("café")),
        NoMatch,
    );
}

#[test]
fn text_operators_match_any_of_the_values() {
    let email = Some(Value::Str("bob@corp.example"));
    check(&cond(Operator::StartsWith, ["alice", "bob"]), email, Match);
    check(
        &cond(Operator::StartsWith, ["alice", "carol"]),
        email,
        NoMatch,
    );
    check(
        &cond(Operator::EndsWith, [".org", ".example"]),
        email,
        Match,
    );
    check(&cond(Operator::EndsWith, [".org", ".com"]), email, NoMatch);
    check(&cond(Operator::Contains, ["xyz", "@corp"]), email, Match);
    check(&cond(Operator::Contains, ["xyz", "@Corp"]), email, NoMatch);
}

#[test]
fn text_operators_edge_cases() {
    // The empty string starts, ends and is contained in every string.
    for op in [Operator::StartsWith, Operator::EndsWith, Operator::Contains] {
        check(&cond(op, [""]), Some(Value::Str("anything")), Match);
        check(&cond(op, [""]), Some(Value::Str("")), Match);
        // A needle longer than the haystack is never found.
        check(&cond(op, ["abcd"]), Some(Value::Str("abc")), NoMatch);
        check(&cond(op, ["a"]), Some(Value::Str("")), NoMatch);
        check(&cond(op, ["abc"]), Some(Value::Str("abc")), Match);
    }
}

#[test]
fn text_operators_on_a_list_attribute_match_when_any_element_does() {
    let groups: &[&str] = &["beta-testers", "Staff-NL"];
    let list = Some(Value::List(groups));
    check(&cond(Operator::StartsWith, ["Staff"]), list, Match);
    check(&cond(Operator::StartsWith, ["staff"]), list, NoMatch);
    check(&cond_ci(Operator::StartsWith, ["staff"]), list, Match);
    check(&cond(Operator::EndsWith, ["-testers"]), list, Match);
    check(&cond(Operator::EndsWith, ["-BE"]), list, NoMatch);
    check(&cond_ci(Operator::EndsWith, ["-nl"]), list, Match);
    check(&cond(Operator::Contains, ["ta-te"]), list, Match);
    check(&cond(Operator::Contains, ["admin"]), list, NoMatch);
    check(
        &cond(Operator::Contains, ["admin"]),
        Some(Value::List(&[])),
        NoMatch,
    );
}

#[test]
fn text_operators_take_strings_and_lists_only() {
    for op in [Operator::StartsWith, Operator::EndsWith, Operator::Contains] {
        let c = cond(op, ["1"]);
        check(&c, Some(Value::Str("1")), Match);
        check(&c, Some(Value::Number(1.0)), Never);
        check(&c, Some(Value::Bool(true)), Never);
        check(&c, Some(version("1.0.0")), Never);
        check(&c, None, Never);
    }
}

// ----- lt, lte, gt, gte -----

#[test]
fn numeric_operators_at_and_around_the_boundary() {
    // (op, attribute, expected) for the value 10.
    let cases = [
        (Operator::Lt, 9.0, Match),
        (Operator::Lt, 9.999, Match),
        (Operator::Lt, 10.0, NoMatch),
        (Operator::Lt, 10.001, NoMatch),
        (Operator::Lte, 9.0, Match),
        (Operator::Lte, 10.0, Match),
        (Operator::Lte, 10.001, NoMatch),
        (Operator::Gt, 11.0, Match),
        (Operator::Gt, 10.001, Match),
        (Operator::Gt, 10.0, NoMatch),
        (Operator::Gt, 9.0, NoMatch),
        (Operator::Gte, 11.0, Match),
        (Operator::Gte, 10.0, Match),
        (Operator::Gte, 9.999, NoMatch),
        (Operator::Lt, f64::NEG_INFINITY, Match),
        (Operator::Lt, f64::INFINITY, NoMatch),
        (Operator::Gt, f64::INFINITY, Match),
        (Operator::Gte, f64::NEG_INFINITY, NoMatch),
        (Operator::Lt, -0.0, Match),
    ];
    for (op, attribute, expect) in cases {
        check(&cond(op, [10]), Some(Value::Number(attribute)), expect);
    }
    // Integers from i64 are numbers too.
    check(&cond(Operator::Gte, [18]), Some(Value::from(18_i64)), Match);
    check(
        &cond(Operator::Gte, [18]),
        Some(Value::from(17_i64)),
        NoMatch,
    );
    // Zero and negative zero are the same number.
    check(&cond(Operator::Lte, [0]), Some(Value::Number(-0.0)), Match);
    check(&cond(Operator::Lt, [0]), Some(Value::Number(-0.0)), NoMatch);
    // Fractions in the values.
    check(&cond(Operator::Lt, [2.5]), Some(Value::Number(2.4)), Match);
    check(
        &cond(Operator::Lt, [-2.5]),
        Some(Value::Number(-2.4)),
        NoMatch,
    );
}

#[test]
fn numeric_operators_match_any_of_the_values() {
    // Below one of 5 and 10: below 10.
    check(
        &cond(Operator::Lt, [5, 10]),
        Some(Value::Number(7.0)),
        Match,
    );
    check(
        &cond(Operator::Lt, [5, 10]),
        Some(Value::Number(10.0)),
        NoMatch,
    );
    // Above one of 5 and 10: above 5.
    check(
        &cond(Operator::Gt, [5, 10]),
        Some(Value::Number(7.0)),
        Match,
    );
    check(
        &cond(Operator::Gt, [5, 10]),
        Some(Value::Number(5.0)),
        NoMatch,
    );
    check(
        &cond(Operator::Lte, [10, 5]),
        Some(Value::Number(10.0)),
        Match,
    );
    check(
        &cond(Operator::Gte, [10, 5]),
        Some(Value::Number(5.0)),
        Match,
    );
    check(
        &cond(Operator::Gte, [10, 5]),
        Some(Value::Number(4.0)),
        NoMatch,
    );
}

#[test]
fn a_nan_attribute_never_matches_a_comparison() {
    let nan = Some(Value::Number(f64::NAN));
    for op in [Operator::Lt, Operator::Lte, Operator::Gt, Operator::Gte] {
        check(&cond(op, [10]), nan, Never);
        check(&cond(op, [0, 10, -10]), nan, Never);
    }
    // Not a number: like a type mismatch, it never matches, negated or
    // not, so neither `not_in` nor a negated comparison fires on it.
    for op in [Operator::In, Operator::Equals, Operator::NotIn] {
        check(&cond(op, [10]), nan, Never);
    }
}

#[test]
fn numeric_operators_take_numbers_only() {
    for op in [Operator::Lt, Operator::Lte, Operator::Gt, Operator::Gte] {
        let c = cond(op, [5]);
        check(&c, Some(Value::Str("1")), Never);
        check(&c, Some(Value::Str("9")), Never);
        check(&c, Some(Value::Bool(false)), Never);
        check(&c, Some(version("1.0.0")), Never);
        check(&c, Some(Value::List(&["1"])), Never);
        check(&c, None, Never);
    }
}

// ----- semver_* -----

#[test]
fn semver_operators_compare_typed_versions_and_version_strings_alike() {
    // (op, value in the condition, attribute text, expected)
    let cases = [
        (Operator::SemverEq, "2.3.0", "2.3.0", Match),
        (Operator::SemverEq, "2.3.0", "2.3.1", NoMatch),
        (Operator::SemverEq, "2.3.0", "2.2.9", NoMatch),
        (Operator::SemverLt, "2.3.0", "2.2.99", Match),
        (Operator::SemverLt, "2.3.0", "2.3.0", NoMatch),
        (Operator::SemverLt, "2.3.0", "2.3.1", NoMatch),
        (Operator::SemverLte, "2.3.0", "2.3.0", Match),
        (Operator::SemverLte, "2.3.0", "2.2.0", Match),
        (Operator::SemverLte, "2.3.0", "2.3.1", NoMatch),
        (Operator::SemverGt, "2.3.0", "2.3.1", Match),
        (Operator::SemverGt, "2.3.0", "2.3.0", NoMatch),
        (Operator::SemverGt, "2.3.0", "1.99.99", NoMatch),
        (Operator::SemverGte, "2.3.0", "2.3.0", Match),
        (Operator::SemverGte, "2.3.0", "3.0.0", Match),
        (Operator::SemverGte, "2.3.0", "2.2.10", NoMatch),
        // Numeric, not textual: 10 > 9 and 2.10 > 2.9.
        (Operator::SemverGt, "9.0.0", "10.0.0", Match),
        (Operator::SemverLt, "2.10.0", "2.9.0", Match),
        (Operator::SemverGt, "2.9.0", "2.10.0", Match),
        (Operator::SemverLt, "1.0.10", "1.0.9", Match),
    ];
    for (op, value, attribute, expect) in cases {
        let c = cond(op, [value]);
        check(&c, Some(Value::Str(attribute)), expect);
        check(&c, Some(version(attribute)), expect);
    }
}

#[test]
fn semver_operators_read_versions_leniently() {
    let c = cond(Operator::SemverEq, ["2.3"]);
    for same in [
        "2.3",
        "2.3.0",
        "v2.3",
        "V2.3.0",
        "2.3.0+build.7",
        "v2.3+abc",
    ] {
        check(&c, Some(Value::Str(same)), Match);
        check(&c, Some(version(same)), Match);
    }
    for other in ["2.3.1", "2.4", "2", "2.3.0-beta", "3.2"] {
        check(&c, Some(Value::Str(other)), NoMatch);
    }
    // Partial versions in the values too: "2" is 2.0.0.
    check(
        &cond(Operator::SemverEq, ["2"]),
        Some(Value::Str("2.0.0")),
        Match,
    );
    check(
        &cond(Operator::SemverLt, ["2.3"]),
        Some(Value::Str("2.2.9")),
        Match,
    );
    check(
        &cond(Operator::SemverLt, ["2.3"]),
        Some(Value::Str("2.3.0")),
        NoMatch,
    );
    check(
        &cond(Operator::SemverGte, ["v2.3.0"]),
        Some(Value::Str("2.3")),
        Match,
    );
    // Build metadata in the values is ignored as well.
    check(
        &cond(Operator::SemverEq, ["1.0.0+x"]),
        Some(Value::Str("1.0.0+y")),
        Match,
    );
}

#[test]
fn semver_pre_releases_sort_before_their_release() {
    // The precedence example of Semantic Versioning 2.0, item 11.
    let chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1-alpha",
        "1.0.1",
    ];
    for (i, low) in chain.iter().enumerate() {
        for (j, high) in chain.iter().enumerate() {
            let (lt, eq) = (i < j, i == j);
            let e = |holds: bool| if holds { Match } else { NoMatch };
            // `low <op> high`, with `high` the condition's value.
            let attribute = Some(Value::Str(low));
            check(&cond(Operator::SemverLt, [*high]), attribute, e(lt));
            check(&cond(Operator::SemverLte, [*high]), attribute, e(lt || eq));
            check(&cond(Operator::SemverEq, [*high]), attribute, e(eq));
            check(&cond(Operator::SemverGte, [*high]), attribute, e(!lt));
            check(&cond(Operator::SemverGt, [*high]), attribute, e(!lt && !eq));
            // The same with a typed version.
            check(
                &cond(Operator::SemverLt, [*high]),
                Some(version(low)),
                e(lt),
            );
        }
    }
}

#[test]
fn semver_operators_match_any_of_the_values() {
    let c = cond(Operator::SemverEq, ["1.0", "2.0", "3.0-rc.1"]);
    check(&c, Some(Value::Str("2.0.0")), Match);
    check(&c, Some(Value::Str("3.0.0-rc.1")), Match);
    check(&c, Some(Value::Str("3.0.0")), NoMatch);
    check(
        &cond(Operator::SemverLt, ["1.0", "2.0"]),
        Some(Value::Str("1.5")),
        Match,
    );
    check(
        &cond(Operator::SemverGt, ["1.0", "2.0"]),
        Some(Value::Str("1.5")),
        Match,
    );
    check(
        &cond(Operator::SemverGt, ["2.0", "3.0"]),
        Some(Value::Str("1.5")),
        NoMatch,
    );
}

#[test]
fn an_unparseable_version_attribute_never_matches() {
    for op in [
        Operator::SemverEq,
        Operator::SemverLt,
        Operator::SemverLte,
        Operator::SemverGt,
        Operator::SemverGte,
    ] {
        let c = cond(op, ["2.3.0"]);
        for bad in [
            "2.x", "", "latest", "2.3.0.1", " 2.3.0", "2.3.0 ", "2..3", "-1", "2.3-",
        ] {
            check(&c, Some(Value::Str(bad)), Never);
        }
        check(&c, Some(Value::Number(2.3)), Never);
        check(&c, Some(Value::Bool(true)), Never);
        check(&c, Some(Value::List(&["2.3.0"])), Never);
        check(&c, None, Never);
    }
}

// ----- rules -----

/// Evaluates `f` in `snapshot` for a context of `attributes`.
fn decide<'s>(snapshot: &'s Snapshot, attributes: &[(&str, Value<'_>)]) -> Decision<'s> {
    snapshot.evaluate_with("f", &Context::new("user-42").with_attributes(attributes))
}

fn snapshot_of(config: Config) -> Snapshot {
    Snapshot::try_from(config).expect("a valid config")
}

#[test]
fn a_rule_with_no_conditions_matches_everyone() {
    let s = snapshot_of(
        Config::new("r1")
            .feature(FeatureConfig::new("f").rule(RuleConfig::new(Serve::On).named("everyone"))),
    );
    let rule = Reason::Rule {
        index: 0,
        name: Some("everyone"),
        segment: None,
    };
    for unit in ["user-1", "user-42", "", "東京"] {
        let d = s.evaluate("f", unit);
        assert!(d.is_enabled(), "{unit}");
        assert_eq!(d.reason(), rule, "{unit}");
        assert_eq!(d.bucket(), None, "a forced rule computes no bucket");
    }
    let d = decide(&s, &[("country", Value::Str("NL"))]);
    assert_eq!((d.is_enabled(), d.reason()), (true, rule));
}

#[test]
fn every_condition_of_a_rule_must_hold() {
    let s = one_rule_of(
        RuleConfig::new(Serve::On)
            .condition(ConditionConfig::new("country", Operator::In, ["NL", "BE"]))
            .condition(ConditionConfig::new("age", Operator::Gte, [18]))
            .condition(ConditionConfig::new("staff", Operator::Equals, [false]).negate()),
    );
    let matched = |country: Option<&str>, age: Option<f64>, staff: Option<bool>| {
        let mut attributes = Vec::new();
        attributes.extend(country.map(|c| ("country", Value::Str(c))));
        attributes.extend(age.map(|a| ("age", Value::Number(a))));
        attributes.extend(staff.map(|s| ("staff", Value::Bool(s))));
        rule_matched(&s, &attributes)
    };
    assert!(matched(Some("NL"), Some(18.0), Some(true)));
    assert!(matched(Some("BE"), Some(40.0), Some(true)));
    assert!(!matched(Some("DE"), Some(18.0), Some(true)));
    assert!(!matched(Some("NL"), Some(17.0), Some(true)));
    assert!(!matched(Some("NL"), Some(18.0), Some(false)));
    assert!(!matched(None, Some(18.0), Some(true)));
    assert!(!matched(Some("NL"), None, Some(true)));
    // A negated condition on a missing attribute does not hold either.
    assert!(!matched(Some("NL"), Some(18.0), None));
    assert!(!matched(None, None, None));
}

fn one_rule_of(rule: RuleConfig) -> Snapshot {
    snapshot_of(Config::new("r1").feature(FeatureConfig::new("f").rule(rule)))
}

#[test]
fn negate_twice_is_the_plain_condition() {
    let c = cond(Operator::In, ["NL"]);
    assert_eq!(c.clone().negate().negate(), c);
    check(&c.clone().negate().negate(), Some(Value::Str("NL")), Match);
}

#[test]
fn the_first_matching_rule_wins() {
    let s =
        snapshot_of(
            Config::new("r1").feature(
                FeatureConfig::new("f")
                    .rule(
                        RuleConfig::new(Serve::Off)
                            .named("not in NL")
                            .condition(ConditionConfig::new("country", Operator::Equals, ["NL"])),
                    )
                    .rule(RuleConfig::new(Serve::On).named("benelux").condition(
                        ConditionConfig::new("country", Operator::In, ["NL", "BE", "LU"]),
                    ))
                    .rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new(
                        "age",
                        Operator::Gt,
                        [65],
                    ))),
            ),
        );
    let reason = |index, name| Reason::Rule {
        index,
        name,
        segment: None,
    };
    let nl = decide(
        &s,
        &[("country", Value::Str("NL")), ("age", Value::Number(70.0))],
    );
    assert_eq!(
        (nl.is_enabled(), nl.reason()),
        (false, reason(0, Some("not in NL")))
    );
    let be = decide(
        &s,
        &[("country", Value::Str("BE")), ("age", Value::Number(70.0))],
    );
    assert_eq!(
        (be.is_enabled(), be.reason()),
        (true, reason(1, Some("benelux")))
    );
    let de = decide(
        &s,
        &[("country", Value::Str("DE")), ("age", Value::Number(70.0))],
    );
    assert_eq!((de.is_enabled(), de.reason()), (true, reason(2, None)));
    let young = decide(
        &s,
        &[("country", Value::Str("DE")), ("age", Value::Number(30.0))],
    );
    assert_eq!(
        (young.is_enabled(), young.reason()),
        (false, Reason::OutOfRollout)
    );
    assert_eq!(nl.reason().to_string(), "rule #0 (not in NL)");
    assert_eq!(de.reason().to_string(), "rule #2");
}

// ----- segments -----

/// A config with segments `staff` (an `@example.com` email, any case) and
/// `adults_nl` (country NL and age at least 18), and feature `f` at 0%
/// with `rules`.
fn with_segments(rules: impl IntoIterator<Item = RuleConfig>) -> Snapshot {
    let feature = rules
        .into_iter()
        .fold(FeatureConfig::new("f"), FeatureConfig::rule);
    snapshot_of(
        Config::new("r1")
            .segment(
                SegmentConfig::new("staff").condition(
                    ConditionConfig::new("email", Operator::EndsWith, ["@example.com"])
                        .case_insensitive(),
                ),
            )
            .segment(
                SegmentConfig::new("adults_nl")
                    .condition(ConditionConfig::new("country", Operator::Equals, ["NL"]))
                    .condition(ConditionConfig::new("age", Operator::Gte, [18])),
            )
            .segment(SegmentConfig::new("everyone"))
            .feature(feature),
    )
}

#[test]
fn a_segment_condition_holds_for_members() {
    let s = with_segments([RuleConfig::new(Serve::On)
        .named("staff first")
        .condition(ConditionConfig::segment("staff"))]);
    let rule = Reason::Rule {
        index: 0,
        name: Some("staff first"),
        segment: Some("staff"),
    };
    let d = decide(&s, &[("email", Value::Str("Ann@EXAMPLE.com"))]);
    assert_eq!((d.is_enabled(), d.reason()), (true, rule));
    assert_eq!(
        d.reason().to_string(),
        "rule #0 (staff first) via segment staff"
    );
    let d = decide(&s, &[("email", Value::Str("ann@example.org"))]);
    assert_eq!((d.is_enabled(), d.reason()), (false, Reason::OutOfRollout));
    let d = decide(&s, &[]);
    assert_eq!((d.is_enabled(), d.reason()), (false, Reason::OutOfRollout));
}

#[test]
fn every_condition_of_a_segment_must_hold() {
    let s =
        with_segments(
            [RuleConfig::new(Serve::On).condition(ConditionConfig::segment("adults_nl"))],
        );
    let member = |attributes: &[(&str, Value<'_>)]| decide(&s, attributes).is_enabled();
    assert!(member(&[
        ("country", Value::Str("NL")),
        ("age", Value::Number(18.0))
    ]));
    assert!(!member(&[
        ("country", Value::Str("NL")),
        ("age", Value::Number(17.0))
    ]));
    assert!(!member(&[
        ("country", Value::Str("BE")),
        ("age", Value::Number(30.0))
    ]));
    assert!(!member(&[("country", Value::Str("NL"))]));
    let d = decide(
        &s,
        &[("country", Value::Str("NL")), ("age", Value::Number(40.0))],
    );
    assert_eq!(
        d.reason(),
        Reason::Rule {
            index: 0,
            name: None,
            segment: Some("adults_nl")
        }
    );
}

#[test]
fn a_segment_with_no_conditions_holds_for_everyone() {
    let s =
        with_segments([RuleConfig::new(Serve::On).condition(ConditionConfig::segment("everyone"))]);
    for attributes in [&[][..], &[("email", Value::Str("x"))][..]] {
        let d = decide(&s, attributes);
        assert!(d.is_enabled());
        assert_eq!(
            d.reason(),
            Reason::Rule {
                index: 0,
                name: None,
                segment: Some("everyone")
            }
        );
    }
}

#[test]
fn a_negated_segment_holds_for_non_members_and_names_no_segment() {
    let s = with_segments([RuleConfig::new(Serve::On)
        .named("outsiders")
        .condition(ConditionConfig::segment("staff").negate())]);
    let rule = Reason::Rule {
        index: 0,
        name: Some("outsiders"),
        segment: None,
    };
    let d = decide(&s, &[("email", Value::Str("ann@example.com"))]);
    assert_eq!((d.is_enabled(), d.reason()), (false, Reason::OutOfRollout));
    let d = decide(&s, &[("email", Value::Str("ann@example.org"))]);
    assert_eq!((d.is_enabled(), d.reason()), (true, rule));
    // Not being a member is what a negated segment asks: a unit with no
    // email is not staff, so it matches (unlike a negated attribute
    // condition on the missing attribute itself).
    let d = decide(&s, &[]);
    assert_eq!((d.is_enabled(), d.reason()), (true, rule));
    let d = decide(&s, &[("email", Value::Number(1.0))]);
    assert_eq!((d.is_enabled(), d.reason()), (true, rule));
}

#[test]
fn the_reason_names_the_first_segment_that_is_not_negated() {
    let s = with_segments([RuleConfig::new(Serve::On)
        .condition(ConditionConfig::new("country", Operator::Equals, ["NL"]))
        .condition(ConditionConfig::segment("staff").negate())
        .condition(ConditionConfig::segment("adults_nl"))
        .condition(ConditionConfig::segment("everyone"))]);
    let d = decide(
        &s,
        &[
            ("country", Value::Str("NL")),
            ("age", Value::Number(30.0)),
            ("email", Value::Str("ann@example.org")),
        ],
    );
    assert!(d.is_enabled());
    assert_eq!(
        d.reason(),
        Reason::Rule {
            index: 0,
            name: None,
            segment: Some("adults_nl")
        }
    );
}

#[test]
fn a_segment_referenced_by_two_rules_and_the_first_match_wins() {
    let s = with_segments([
        RuleConfig::new(Serve::Off)
            .named("staff outside NL")
            .condition(ConditionConfig::segment("staff"))
            .condition(ConditionConfig::new("country", Operator::Equals, ["NL"]).negate()),
        RuleConfig::new(Serve::On)
            .named("staff")
            .condition(ConditionConfig::segment("staff")),
        RuleConfig::new(Serve::On)
            .named("dutch adults")
            .condition(ConditionConfig::segment("adults_nl")),
    ]);
    let rule = |index, name, segment| Reason::Rule {
        index,
        name: Some(name),
        segment: Some(segment),
    };
    let staff = Value::Str("ann@example.com");
    let d = decide(&s, &[("email", staff), ("country", Value::Str("BE"))]);
    assert_eq!(
        (d.is_enabled(), d.reason()),
        (false, rule(0, "staff outside NL", "staff"))
    );
    let d = decide(
        &s,
        &[
            ("email", staff),
            ("country", Value::Str("NL")),
            ("age", Value::Number(30.0)),
        ],
    );
    assert_eq!(
        (d.is_enabled(), d.reason()),
        (true, rule(1, "staff", "staff"))
    );
    // No country: the negated condition of rule 0 does not hold, so
    // rule 1 decides.
    let d = decide(&s, &[("email", staff)]);
    assert_eq!(
        (d.is_enabled(), d.reason()),
        (true, rule(1, "staff", "staff"))
    );
    let d = decide(
        &s,
        &[
            ("email", Value::Str("bob@example.org")),
            ("country", Value::Str("NL")),
            ("age", Value::Number(30.0)),
        ],
    );
    assert_eq!(
        (d.is_enabled(), d.reason()),
        (true, rule(2, "dutch adults", "adults_nl"))
    );
    let d = decide(&s, &[("email", Value::Str("bob@example.org"))]);
    assert_eq!((d.is_enabled(), d.reason()), (false, Reason::OutOfRollout));
}

#[test]
fn the_first_listing_of_an_attribute_wins() {
    let s = one_rule(cond(Operator::Equals, ["NL"]));
    assert!(rule_matched(
        &s,
        &[("a", Value::Str("NL")), ("a", Value::Str("BE"))]
    ));
    assert!(!rule_matched(
        &s,
        &[("a", Value::Str("BE")), ("a", Value::Str("NL"))]
    ));
}

// ---------------------------------------------------------------------------
// Against a reference, over random text: string operators read lists by
// scanning or hashing and fold case a word at a time, so every length and
// every list size is checked against the plain-`str` definition.

mod against_a_reference {
    use super::*;
    use proptest::prelude::*;

    /// Text with capitals, lowercase, the bytes around `A`..`Z` and
    /// `a`..`z`, and multi-byte characters (some with ASCII-looking case).
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[aAbBzZ@\\[`{ÄäÜü0-9.]{0,20}").expect("a valid regex")
    }

    /// `op`'s definition on `str`, folding ASCII case when asked.
    fn reference(op: Operator, attribute: &str, values: &[String], fold: bool) -> bool {
        let fold = |s: &str| {
            if fold {
                s.to_ascii_lowercase()
            } else {
                s.to_owned()
            }
        };
        let a = fold(attribute);
        values.iter().map(|v| fold(v)).any(|v| match op {
            Operator::In => a == v,
            Operator::StartsWith => a.starts_with(&v),
            Operator::EndsWith => a.ends_with(&v),
            Operator::Contains => a.contains(&v),
            _ => unreachable!("string operators only"),
        })
    }

    proptest! {
        #[test]
        fn string_operators_agree_with_str(
            op in prop::sample::select(vec![
                Operator::In,
                Operator::StartsWith,
                Operator::EndsWith,
                Operator::Contains,
            ]),
            fold in any::<bool>(),
            attribute in text(),
            values in prop::collection::vec(text(), 1..20),
            // Often one of the values, changed in case or not.
            pick in any::<prop::sample::Index>(),
            take in 0usize..3,
        ) {
            let attribute = match take {
                0 => attribute,
                1 => values[pick.index(values.len())].clone(),
                _ => values[pick.index(values.len())].to_ascii_uppercase(),
            };
            let mut condition = ConditionConfig::new("a", op, values.iter().map(String::as_str));
            if fold {
                condition = condition.case_insensitive();
            }
            let snapshot = one_rule(condition);
            let got = rule_matched(&snapshot, &[("a", Value::Str(&attribute))]);
            prop_assert_eq!(got, reference(op, &attribute, &values, fold));
        }
    }

    #[test]
    fn in_lists_of_every_size_find_each_value_and_nothing_else() {
        // Up to eight values are scanned, more are hashed.
        for size in 1..=24 {
            let values: Vec<String> = (0..size).map(|i| format!("value-{i}")).collect();
            for fold in [false, true] {
                let mut condition = ConditionConfig::new("a", Operator::In, values.clone());
                if fold {
                    condition = condition.case_insensitive();
                }
                let snapshot = one_rule(condition);
                for v in &values {
                    assert!(
                        rule_matched(&snapshot, &[("a", Value::Str(v))]),
                        "{size} {v}"
                    );
                    let upper = v.to_ascii_uppercase();
                    let got = rule_matched(&snapshot, &[("a", Value::Str(&upper))]);
                    assert_eq!(got, fold, "{size} {upper}");
                }
                for miss in ["value-", "value-99", "", "alue-1"] {
                    assert!(
                        !rule_matched(&snapshot, &[("a", Value::Str(miss))]),
                        "{miss}"
                    );
                }
            }
        }
    }
}
