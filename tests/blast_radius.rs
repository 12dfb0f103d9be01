//! [`gradual::diff`] reports exactly what a reload changes: which features
//! are added, removed and changed, which fields differ, and for whom.
//!
//! The shares are checked twice: against hand-worked bucket ranges, and
//! against reality, by evaluating tens of thousands of units in both
//! snapshots and counting who turned on, turned off or changed variant.

mod common;

use common::SplitMix64;
use gradual::{
    BlastRadius, ChangeReport, ConditionConfig, Config, Context, FeatureChange, FeatureConfig,
    Operator, PrerequisiteConfig, RuleConfig, SegmentConfig, Serve, Snapshot, Value, VariantConfig,
    diff,
};

// ----- helpers -----

fn snapshot(revision: &str, features: impl IntoIterator<Item = FeatureConfig>) -> Snapshot {
    let config = features
        .into_iter()
        .fold(Config::new(revision), Config::feature);
    Snapshot::try_from(config).expect("a valid config")
}

/// The feature `exp` at `percent`, with these variants (name, weight).
fn exp(percent: f64, weights: &[(&str, f64)]) -> FeatureConfig {
    weights.iter().fold(
        FeatureConfig::new("exp").percentage(percent),
        |f, (n, w)| f.variant(VariantConfig::new(*n, *w)),
    )
}

/// The one change reloading `before` into `after` reports (each a config
/// of that one feature).
fn change(before: FeatureConfig, after: FeatureConfig) -> FeatureChange {
    let report = diff(&snapshot("r1", [before]), &snapshot("r2", [after]));
    assert!(report.added().is_empty(), "{report}");
    assert!(report.removed().is_empty(), "{report}");
    match report.changed() {
        [one] => one.clone(),
        _ => panic!("expected exactly one changed feature: {report}"),
    }
}

/// (turned on, turned off, variant changed, exact).
fn shares(b: BlastRadius) -> (f64, f64, f64, bool) {
    (
        b.turned_on(),
        b.turned_off(),
        b.variant_changed(),
        b.exact(),
    )
}

fn radius(before: FeatureConfig, after: FeatureConfig) -> (f64, f64, f64, bool) {
    shares(change(before, after).blast_radius())
}

// ----- exact shares, worked by hand -----

#[test]
fn raising_the_percentage_turns_on_the_difference() {
    let c = change(exp(5.0, &[]), exp(25.0, &[]));
    assert_eq!(c.feature(), "exp");
    assert_eq!(c.fields(), ["percentage"]);
    assert_eq!(shares(c.blast_radius()), (0.20, 0.0, 0.0, true));
}

#[test]
fn lowering_the_percentage_turns_off_the_difference() {
    assert_eq!(
        radius(exp(25.0, &[]), exp(5.0, &[])),
        (0.0, 0.20, 0.0, true)
    );
}

#[test]
fn killing_turns_off_everyone_who_was_on_and_reviving_turns_them_back_on() {
    let live = exp(30.0, &[]);
    let killed = exp(30.0, &[]).enabled(false);
    let c = change(live.clone(), killed.clone());
    assert_eq!(c.fields(), ["enabled"]);
    assert_eq!(shares(c.blast_radius()), (0.0, 0.30, 0.0, true));

    let c = change(killed, live);
    assert_eq!(c.fields(), ["enabled"]);
    assert_eq!(shares(c.blast_radius()), (0.30, 0.0, 0.0, true));
}

#[test]
fn a_killed_feature_changing_percentage_affects_nobody() {
    let c = change(exp(10.0, &[]).enabled(false), exp(90.0, &[]).enabled(false));
    assert_eq!(c.fields(), ["percentage"]);
    assert_eq!(shares(c.blast_radius()), (0.0, 0.0, 0.0, true));
}

#[test]
fn one_basis_point_is_reported_as_one_basis_point() {
    assert_eq!(
        radius(exp(12.34, &[]), exp(12.35, &[])),
        (0.0001, 0.0, 0.0, true)
    );
    assert_eq!(
        radius(exp(0.0, &[]), exp(0.01, &[])),
        (0.0001, 0.0, 0.0, true)
    );
    assert_eq!(
        radius(exp(100.0, &[]), exp(99.99, &[])),
        (0.0, 0.0001, 0.0, true)
    );
}

#[test]
fn moving_ten_points_between_two_variants_moves_a_tenth() {
    // a owns [0, 5000) then [0, 4000): only [4000, 5000) changes owner.
    let c = change(
        exp(100.0, &[("a", 50.0), ("b", 50.0)]),
        exp(100.0, &[("a", 40.0), ("b", 60.0)]),
    );
    assert_eq!(c.fields(), ["variants"]);
    assert_eq!(shares(c.blast_radius()), (0.0, 0.0, 0.10, true));
}

#[test]
fn reversing_a_three_way_split_moves_the_ranges_that_change_owner() {
    // before: a [0, 5000)  b [5000, 8000)  c [8000, 10000)
    // after:  a [0, 2000)  b [2000, 5000)  c [5000, 10000)
    // [0, 2000) a->a, [2000, 5000) a->b, [5000, 8000) b->c, [8000, 10000) c->c:
    // 3000 + 3000 of 10000 move.
    assert_eq!(
        radius(
            exp(100.0, &[("a", 50.0), ("b", 30.0), ("c", 20.0)]),
            exp(100.0, &[("a", 20.0), ("b", 30.0), ("c", 50.0)]),
        ),
        (0.0, 0.0, 0.60, true)
    );
}

#[test]
fn variant_changes_count_only_units_on_before_and_after() {
    // 20% -> 40%: the 20% on in both see a tenth of their ranges move.
    let c = change(
        exp(20.0, &[("a", 50.0), ("b", 50.0)]),
        exp(40.0, &[("a", 40.0), ("b", 60.0)]),
    );
    assert_eq!(c.fields(), ["percentage", "variants"]);
    assert_eq!(shares(c.blast_radius()), (0.20, 0.0, 0.02, true));

    // And the other way round: still the 20% on in both.
    assert_eq!(
        radius(
            exp(40.0, &[("a", 40.0), ("b", 60.0)]),
            exp(20.0, &[("a", 50.0), ("b", 50.0)]),
        ),
        (0.0, 0.20, 0.02, true)
    );

    // Killed after: nobody is on in both, so no variant changes.
    assert_eq!(
        radius(
            exp(40.0, &[("a", 50.0), ("b", 50.0)]),
            exp(40.0, &[("a", 40.0), ("b", 60.0)]).enabled(false),
        ),
        (0.0, 0.40, 0.0, true)
    );
}

#[test]
fn adding_variants_gives_everyone_on_a_variant() {
    // "No variant" owned the whole range; now a and b do.
    let c = change(exp(30.0, &[]), exp(30.0, &[("a", 70.0), ("b", 30.0)]));
    assert_eq!(c.fields(), ["variants"]);
    assert_eq!(shares(c.blast_radius()), (0.0, 0.0, 0.30, true));

    // And removing them takes it away from the same units.
    assert_eq!(
        radius(exp(30.0, &[("a", 70.0), ("b", 30.0)]), exp(30.0, &[])),
        (0.0, 0.0, 0.30, true)
    );
}

#[test]
fn renaming_a_variant_moves_its_whole_range() {
    assert_eq!(
        radius(
            exp(100.0, &[("a", 50.0), ("b", 50.0)]),
            exp(100.0, &[("a", 50.0), ("c", 50.0)]),
        ),
        (0.0, 0.0, 0.50, true)
    );
    assert_eq!(
        radius(
            exp(10.0, &[("a", 25.0), ("b", 75.0)]),
            exp(10.0, &[("z", 25.0), ("b", 75.0)]),
        ),
        (0.0, 0.0, 0.025, true)
    );
    // Swapping two names of equal weight moves everyone.
    assert_eq!(
        radius(
            exp(100.0, &[("a", 50.0), ("b", 50.0)]),
            exp(100.0, &[("b", 50.0), ("a", 50.0)]),
        ),
        (0.0, 0.0, 1.0, true)
    );
}

#[test]
fn a_ramp_or_guard_change_is_listed_but_moves_no_unit() {
    use gradual::{GuardConfig, RampConfig, RampStep};
    let base = || FeatureConfig::new("exp").percentage(10);
    let ramp = RampConfig::starting("2026-11-24T10:00:00Z").step(RampStep::hold(50, "1h"));
    let c = change(base(), base().ramp(ramp));
    assert_eq!(c.fields(), ["ramp"]);
    assert_eq!(shares(c.blast_radius()), (0.0, 0.0, 0.0, true));
    let c = change(base(), base().guard(GuardConfig::new(0.01, 500)));
    assert_eq!(c.fields(), ["guard"]);
    assert_eq!(shares(c.blast_radius()), (0.0, 0.0, 0.0, true));
}

#[test]
fn a_variant_value_change_is_listed_but_moves_no_unit() {
    // The same names and weights: every unit keeps its variant (and sees
    // the new value); the report lists the field with no share.
    let c = change(
        FeatureConfig::new("exp")
            .percentage(100)
            .variant(VariantConfig::new("a", 50).value(1))
            .variant(VariantConfig::new("b", 50)),
        FeatureConfig::new("exp")
            .percentage(100)
            .variant(VariantConfig::new("a", 50).value(2))
            .variant(VariantConfig::new("b", 50)),
    );
    assert_eq!(c.fields(), ["variants"]);
    assert_eq!(shares(c.blast_radius()), (0.0, 0.0, 0.0, true));
}

#[test]
fn a_new_salt_rehashes_everyone_and_the_shares_become_expectations() {
    // Independent buckets: on after and not before is 0.2 * 0.8.
    let c = change(exp(20.0, &[]), exp(20.0, &[]).salt("exp-v2"));
    assert_eq!(c.fields(), ["salt"]);
    assert_eq!(shares(c.blast_radius()), (0.16, 0.16, 0.0, false));

    // 10% -> 30% rehashed: on 0.3 * 0.9, off 0.1 * 0.7.
    let c = change(exp(10.0, &[]), exp(30.0, &[]).salt("exp-v2"));
    assert_eq!(c.fields(), ["percentage", "salt"]);
    assert_eq!(shares(c.blast_radius()), (0.27, 0.07, 0.0, false));

    // At 100% or 0% a rehash changes nobody's decision, but the shares are
    // still expectations.
    assert_eq!(
        radius(exp(100.0, &[]), exp(100.0, &[]).salt("x")),
        (0.0, 0.0, 0.0, false)
    );
}

#[test]
fn a_new_bucket_by_rehashes_everyone() {
    let c = change(exp(50.0, &[]), exp(50.0, &[]).bucket_by("org_id"));
    assert_eq!(c.fields(), ["bucket_by"]);
    assert_eq!(shares(c.blast_radius()), (0.25, 0.25, 0.0, false));

    let c = change(
        exp(40.0, &[]).bucket_by("org_id"),
        exp(40.0, &[]).bucket_by("team_id"),
    );
    assert_eq!(c.fields(), ["bucket_by"]);
    assert_eq!(shares(c.blast_radius()), (0.24, 0.24, 0.0, false));
}

#[test]
fn a_rehash_reports_the_expected_share_of_variant_changes() {
    // Rehashed, a unit on before and after draws a new, independent variant
    // bucket: it keeps its variant with probability 0.5 * 0.5 + 0.5 * 0.5.
    assert_eq!(
        radius(
            exp(100.0, &[("a", 50.0), ("b", 50.0)]),
            exp(100.0, &[("a", 50.0), ("b", 50.0)]).salt("exp-v2"),
        ),
        (0.0, 0.0, 0.50, false)
    );
    // 40/60 after 50/50: keeps with 0.5 * 0.4 + 0.5 * 0.6 = 0.5.
    assert_eq!(
        radius(
            exp(100.0, &[("a", 50.0), ("b", 50.0)]),
            exp(100.0, &[("a", 40.0), ("b", 60.0)]).bucket_by("org_id"),
        ),
        (0.0, 0.0, 0.50, false)
    );
}

#[test]
fn setting_the_salt_to_the_name_is_no_change() {
    let report = diff(
        &snapshot("r1", [exp(20.0, &[])]),
        &snapshot("r2", [exp(20.0, &[]).salt("exp")]),
    );
    assert!(report.is_empty(), "{report}");
}

// ----- added, removed, changed, and the fields named -----

#[test]
fn each_kind_of_field_change_is_named() {
    let base = || FeatureConfig::new("base").percentage(100);
    let rule = || {
        RuleConfig::new(Serve::On).condition(ConditionConfig::new("country", Operator::In, ["NL"]))
    };
    let plain = || FeatureConfig::new("f").percentage(10);
    let with_variants = || {
        plain()
            .variant(VariantConfig::new("a", 50))
            .variant(VariantConfig::new("b", 50))
    };
    let cases: Vec<(&str, FeatureConfig, FeatureConfig)> = vec![
        ("enabled", plain(), plain().enabled(false)),
        ("percentage", plain(), plain().percentage(11)),
        (
            "variants",
            with_variants(),
            plain()
                .variant(VariantConfig::new("a", 60))
                .variant(VariantConfig::new("b", 40)),
        ),
        ("rules", plain(), plain().rule(rule())),
        (
            "rules",
            plain().rule(rule()),
            plain().rule(rule().named("nl")),
        ),
        ("allow", plain(), plain().allow(["qa-1"])),
        ("deny", plain().deny(["vip-1"]), plain().deny(["vip-2"])),
        (
            "prerequisites",
            plain(),
            plain().prerequisite(PrerequisiteConfig::on("base")),
        ),
        ("salt", plain(), plain().salt("f-v2")),
        ("salt", plain().salt("old"), plain()),
        ("bucket_by", plain(), plain().bucket_by("org_id")),
    ];
    for (field, before, after) in cases {
        let report = diff(
            &snapshot("r1", [base(), before.clone()]),
            &snapshot("r2", [base(), after.clone()]),
        );
        assert!(report.added().is_empty() && report.removed().is_empty());
        assert!(!report.is_empty(), "{field}: {report}");
        let [c] = report.changed() else {
            panic!("{field}: only `f` changes, and `base` is not listed: {report}");
        };
        assert_eq!(c.feature(), "f");
        assert_eq!(c.fields(), [field], "{before:?} -> {after:?}");
    }
}

#[test]
fn rule_list_and_prerequisite_changes_carry_no_share() {
    // Only the default path is counted: rules, lists and prerequisites
    // are named, but their effect depends on who asks.
    let plain = || FeatureConfig::new("exp").percentage(10);
    for after in [
        plain().rule(RuleConfig::new(Serve::Off)),
        plain().allow(["qa-1", "qa-2"]),
        plain().deny(["vip-1"]),
    ] {
        assert_eq!(radius(plain(), after), (0.0, 0.0, 0.0, true));
    }
}

#[test]
fn several_fields_are_named_in_a_fixed_order() {
    let before = FeatureConfig::new("f").percentage(10);
    let after = FeatureConfig::new("f")
        .bucket_by("org_id")
        .salt("g")
        .deny(["vip-1"])
        .allow(["qa-1"])
        .rule(RuleConfig::new(Serve::On))
        .variant(VariantConfig::new("a", 100))
        .percentage(20)
        .enabled(false);
    assert_eq!(
        change(before, after).fields(),
        [
            "enabled",
            "percentage",
            "variants",
            "rules",
            "allow",
            "deny",
            "salt",
            "bucket_by"
        ]
    );
}

#[test]
fn added_removed_and_changed_features_are_listed_in_order() {
    let old = snapshot(
        "r1",
        [
            FeatureConfig::new("gone_1"),
            FeatureConfig::new("same").percentage(50),
            FeatureConfig::new("moved").percentage(7),
            FeatureConfig::new("gone_2"),
            FeatureConfig::new("b").percentage(1),
            FeatureConfig::new("a").percentage(1),
        ],
    );
    let new = snapshot(
        "r2",
        [
            FeatureConfig::new("new_2"),
            FeatureConfig::new("a").percentage(2),
            FeatureConfig::new("moved").percentage(7),
            FeatureConfig::new("new_1"),
            FeatureConfig::new("b").percentage(2),
            FeatureConfig::new("same").percentage(50),
        ],
    );
    let report = diff(&old, &new);
    assert_eq!(report.from().to_string(), "r1");
    assert_eq!(report.to().to_string(), "r2");
    assert_eq!(report.added(), ["new_2", "new_1"]);
    assert_eq!(report.removed(), ["gone_1", "gone_2"]);
    let changed: Vec<&str> = report.changed().iter().map(|c| c.feature()).collect();
    assert_eq!(
        changed,
        ["a", "b"],
        "new snapshot's order; unchanged not listed"
    );
    assert!(!report.is_empty());
}

#[test]
fn a_reload_that_changes_nothing_is_empty() {
    let features = || {
        [
            FeatureConfig::new("a").percentage(12.5),
            exp(50.0, &[("x", 50.0), ("y", 50.0)]),
        ]
    };
    let report = diff(&snapshot("r1", features()), &snapshot("r2", features()));
    assert!(report.is_empty(), "{report}");
    assert!(report.changed().is_empty());
    assert_eq!(
        report.to_string(),
        "r1 -> r2: 0 added, 0 removed, 0 changed"
    );

    // Only added, or only removed, is not empty.
    let none = snapshot("r0", []);
    assert!(!diff(&none, &snapshot("r1", features())).is_empty());
    assert!(!diff(&snapshot("r1", features()), &none).is_empty());
    assert!(diff(&none, &none).is_empty());
}

#[test]
fn a_dial_change_is_reported_against_its_base() {
    let base = snapshot("r1", [exp(5.0, &[])]);
    let raised = base
        .with_percentage(
            "exp",
            gradual::Percentage::from_basis_points(550).expect("in range"),
        )
        .expect("known");
    let report = diff(&base, &raised);
    assert_eq!(report.to().to_string(), "r1+1");
    assert_eq!(report.changed()[0].fields(), ["percentage"]);
    assert_eq!(report.changed()[0].blast_radius().turned_on(), 0.005);
    let killed = raised.with_enabled("exp", false).expect("known");
    assert_eq!(
        shares(diff(&raised, &killed).changed()[0].blast_radius()),
        (0.0, 0.055, 0.0, true)
    );
}

// ----- Display -----

#[test]
fn the_report_displays_one_line_per_feature() {
    let old = snapshot(
        "2026-11-23.1",
        [
            FeatureConfig::new("legacy_banner").percentage(100),
            FeatureConfig::new("stable").percentage(10),
            FeatureConfig::new("checkout").percentage(5),
            FeatureConfig::new("dark_mode").percentage(100),
            exp(50.0, &[("a", 50.0), ("b", 50.0)]),
            FeatureConfig::new("search_box").percentage(30),
            FeatureConfig::new("ramp").percentage(10),
            FeatureConfig::new("rules_only").percentage(3),
            FeatureConfig::new("old_sidebar"),
        ],
    );
    let new = snapshot(
        "2026-11-23.2",
        [
            FeatureConfig::new("stable").percentage(10),
            FeatureConfig::new("checkout").percentage(25),
            FeatureConfig::new("dark_mode")
                .percentage(100)
                .enabled(false),
            exp(50.0, &[("a", 40.0), ("b", 60.0)]),
            FeatureConfig::new("search_box")
                .percentage(30)
                .salt("search_box_v2"),
            FeatureConfig::new("ramp")
                .percentage(12.35)
                .variant(VariantConfig::new("x", 100)),
            FeatureConfig::new("rules_only")
                .percentage(3)
                .rule(RuleConfig::new(Serve::On)),
            FeatureConfig::new("search_v2").percentage(1),
        ],
    );
    let expected = "\
2026-11-23.1 -> 2026-11-23.2: 1 added, 2 removed, 6 changed
  + search_v2
  - legacy_banner
  - old_sidebar
  ~ checkout (percentage): turns on 20% of units
  ~ dark_mode (enabled): turns off 100% of units
  ~ exp (variants): changes the variant of 5% of units
  ~ search_box (salt): turns on 21% of units, turns off 21% of units (expected: buckets rehashed)
  ~ ramp (percentage, variants): turns on 2.35% of units, changes the variant of 10% of units
  ~ rules_only (rules)";
    assert_eq!(diff(&old, &new).to_string(), expected);
}

#[test]
fn the_display_shows_basis_points() {
    let report = diff(
        &snapshot("r1", [exp(12.34, &[])]),
        &snapshot("r2", [exp(12.35, &[])]),
    );
    assert_eq!(
        report.to_string(),
        "r1 -> r2: 0 added, 0 removed, 1 changed\n  ~ exp (percentage): turns on 0.01% of units"
    );
}

// ----- the report against reality -----

/// Units `unit-{i}`, each with its own `org_id` (for bucket-by features).
fn units(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("unit-{i}"), format!("org-{i}")))
        .collect()
}

#[derive(Debug, Default, Clone, Copy)]
struct Observed {
    on: usize,
    off: usize,
    variant: usize,
}

/// Evaluates every feature present in both snapshots for `n` units, and
/// counts who turned on, turned off, or stayed on with another variant
/// (by name).
fn observe(old: &Snapshot, new: &Snapshot, n: usize) -> Vec<(String, Observed)> {
    let names: Vec<String> = new
        .features()
        .map(|f| f.name().to_owned())
        .filter(|name| old.feature(name).is_some())
        .collect();
    let mut counts = vec![Observed::default(); names.len()];
    for (unit, org) in units(n) {
        let attributes = [("org_id", Value::Str(&org))];
        let context = Context::new(&unit).with_attributes(&attributes);
        for (name, count) in names.iter().zip(counts.iter_mut()) {
            let (a, b) = (
                old.evaluate_with(name, &context),
                new.evaluate_with(name, &context),
            );
            match (a.is_enabled(), b.is_enabled()) {
                (false, true) => count.on += 1,
                (true, false) => count.off += 1,
                (true, true) => {
                    let variant =
                        |d: &gradual::Decision<'_>| d.variant().map(|v| v.name().to_owned());
                    if variant(&a) != variant(&b) {
                        count.variant += 1;
                    }
                }
                (false, false) => {}
            }
        }
    }
    names.into_iter().zip(counts).collect()
}

/// Whether `count` of `n` is within `k` standard deviations of a
/// binomial(n, p) mean (so exactly `0` or `n` when `p` is 0 or 1).
fn within(count: usize, n: usize, p: f64, k: f64) -> bool {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (count as f64 - mean).abs() <= k * sd + 1e-9
}

/// Checks every share the report gives against `n` evaluated units, to
/// five standard deviations; features not reported must change for nobody.
fn assert_report_matches_reality(old: &Snapshot, new: &Snapshot, n: usize) -> ChangeReport {
    let report = diff(old, new);
    for (name, seen) in observe(old, new, n) {
        let reported = report
            .changed()
            .iter()
            .find(|c| c.feature() == name)
            .map(|c| shares(c.blast_radius()))
            .unwrap_or((0.0, 0.0, 0.0, true));
        let (on, off, variant, _) = reported;
        let describe = || {
            let (a, b) = (
                old.feature(&name).map(|f| f.config()),
                new.feature(&name).map(|f| f.config()),
            );
            format!("{name}: reported {reported:?}, observed {seen:?} of {n}\n{a:?}\n{b:?}")
        };
        assert!(within(seen.on, n, on, 5.0), "turned on: {}", describe());
        assert!(within(seen.off, n, off, 5.0), "turned off: {}", describe());
        assert!(
            within(seen.variant, n, variant, 5.0),
            "variant changed: {}",
            describe()
        );
    }
    report
}

/// A small deterministic generator ([`SplitMix64`]), so the configs are
/// random-ish but the same on every run.
struct Rng(SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A percentage in whole basis points, as a number of percent.
    fn percent(&mut self) -> f64 {
        match self.below(4) {
            0 => (self.below(101) * 100) as f64 / 100.0, // a whole percent
            _ => self.below(10_001) as f64 / 100.0,
        }
    }

    /// `k` weights in basis points summing to 10000, as percents.
    fn weights(&mut self, k: usize) -> Vec<f64> {
        let mut cuts: Vec<u64> = (1..k).map(|_| self.below(10_001)).collect();
        cuts.push(0);
        cuts.push(10_000);
        cuts.sort_unstable();
        cuts.windows(2)
            .map(|w| (w[1] - w[0]) as f64 / 100.0)
            .collect()
    }
}

fn with_variants(mut f: FeatureConfig, names: &[String], weights: &[f64]) -> FeatureConfig {
    f.variants = names
        .iter()
        .zip(weights)
        .map(|(n, w)| VariantConfig::new(n.as_str(), *w))
        .collect();
    f
}

/// A random pair of versions of feature `name`, with the same salt and
/// bucket-by: percentages, kill switch, weights, variant names and counts
/// all may change. The percentage goes down when `lower`, else up or not
/// at all.
fn random_pair(rng: &mut Rng, name: &str, lower: bool) -> (FeatureConfig, FeatureConfig) {
    let (mut p, mut q) = (rng.percent(), rng.percent());
    if rng.below(4) == 0 {
        q = p;
    }
    if (p < q) == lower {
        (p, q) = (q, p);
    }
    let mut before = FeatureConfig::new(name).percentage(p);
    let mut after = FeatureConfig::new(name).percentage(q);
    before.enabled = rng.below(8) != 0;
    after.enabled = rng.below(8) != 0;
    let k = rng.below(5) as usize;
    let names: Vec<String> = (0..k).map(|i| format!("v{i}")).collect();
    before = with_variants(before, &names, &rng.weights(k));
    // A quarter of the time a variant is added at the end.
    let after_k = if rng.below(4) == 0 { k + 1 } else { k };
    let mut after_names: Vec<String> = (0..after_k).map(|i| format!("v{i}")).collect();
    if after_k > 0 && rng.below(4) == 0 {
        let i = rng.below(after_k as u64) as usize;
        after_names[i] = format!("renamed{i}");
    }
    let after_weights = match rng.below(3) {
        0 if after_k == k => before.variants.iter().map(|v| v.weight).collect(),
        _ => rng.weights(after_k),
    };
    after = with_variants(after, &after_names, &after_weights);
    (before, after)
}

#[test]
fn reported_shares_match_evaluation_for_random_changes() {
    let mut rng = Rng(SplitMix64::new(0x005E_ED0F_B1A5));
    let n = 50_000;
    // How many changes had each kind of share, so the test is seen to
    // exercise all three.
    let (mut on, mut off, mut variant) = (0, 0, 0);
    for round in 0..2 {
        let pairs: Vec<(FeatureConfig, FeatureConfig)> = (0..6)
            .map(|i| random_pair(&mut rng, &format!("feature_{round}_{i}"), i % 2 == 0))
            .collect();
        let old = snapshot("r1", pairs.iter().map(|(a, _)| a.clone()));
        let new = snapshot("r2", pairs.iter().map(|(_, b)| b.clone()));
        let report = assert_report_matches_reality(&old, &new, n);
        for c in report.changed() {
            let b = c.blast_radius();
            assert!(b.exact(), "same salt and bucket-by: {report}");
            on += usize::from(b.turned_on() > 0.0);
            off += usize::from(b.turned_off() > 0.0);
            variant += usize::from(b.variant_changed() > 0.0);
        }
    }
    assert!(on >= 2 && off >= 2 && variant >= 2, "{on} {off} {variant}");
}

#[test]
fn the_hand_worked_cases_match_evaluation() {
    let cases = [
        (exp(5.0, &[]), exp(25.0, &[])),
        (exp(25.0, &[]), exp(5.0, &[])),
        (exp(30.0, &[]), exp(30.0, &[]).enabled(false)),
        (exp(30.0, &[]).enabled(false), exp(30.0, &[])),
        (exp(12.34, &[]), exp(12.35, &[])),
        (
            exp(100.0, &[("a", 50.0), ("b", 50.0)]),
            exp(100.0, &[("a", 40.0), ("b", 60.0)]),
        ),
        (
            exp(100.0, &[("a", 50.0), ("b", 30.0), ("c", 20.0)]),
            exp(100.0, &[("a", 20.0), ("b", 30.0), ("c", 50.0)]),
        ),
        (
            exp(20.0, &[("a", 50.0), ("b", 50.0)]),
            exp(40.0, &[("a", 40.0), ("b", 60.0)]),
        ),
        (exp(30.0, &[]), exp(30.0, &[("a", 70.0), ("b", 30.0)])),
        (
            exp(100.0, &[("a", 50.0), ("b", 50.0)]),
            exp(100.0, &[("a", 50.0), ("c", 50.0)]),
        ),
    ];
    // One snapshot pair holding every case under its own name.
    let rename = |f: &FeatureConfig, i: usize| {
        let mut f = f.clone();
        f.name = format!("case_{i}");
        f
    };
    let old = snapshot(
        "r1",
        cases.iter().enumerate().map(|(i, (a, _))| rename(a, i)),
    );
    let new = snapshot(
        "r2",
        cases.iter().enumerate().map(|(i, (_, b))| rename(b, i)),
    );
    let report = assert_report_matches_reality(&old, &new, 50_000);
    assert_eq!(report.changed().len(), cases.len());
}

#[test]
fn rehashed_shares_match_evaluation_without_variants() {
    let old = snapshot(
        "r1",
        [
            FeatureConfig::new("salted").percentage(20),
            FeatureConfig::new("widened").percentage(10),
            FeatureConfig::new("by_org").percentage(50),
            FeatureConfig::new("by_team")
                .percentage(35)
                .bucket_by("org_id"),
        ],
    );
    let new = snapshot(
        "r2",
        [
            FeatureConfig::new("salted")
                .percentage(20)
                .salt("salted-v2"),
            FeatureConfig::new("widened").percentage(30).salt("w"),
            FeatureConfig::new("by_org")
                .percentage(50)
                .bucket_by("org_id"),
            FeatureConfig::new("by_team").percentage(35),
        ],
    );
    let report = assert_report_matches_reality(&old, &new, 50_000);
    assert_eq!(report.changed().len(), 4);
    assert!(report.changed().iter().all(|c| !c.blast_radius().exact()));
}

#[test]
fn rehashed_shares_match_evaluation_with_variants() {
    let split = |f: FeatureConfig| {
        f.variant(VariantConfig::new("a", 50))
            .variant(VariantConfig::new("b", 50))
    };
    let old = snapshot(
        "r1",
        [
            split(FeatureConfig::new("salted").percentage(100)),
            split(FeatureConfig::new("by_org").percentage(60)),
        ],
    );
    let new = snapshot(
        "r2",
        [
            split(
                FeatureConfig::new("salted")
                    .percentage(100)
                    .salt("salted-v2"),
            ),
            split(
                FeatureConfig::new("by_org")
                    .percentage(60)
                    .bucket_by("org_id"),
            ),
        ],
    );
    assert_report_matches_reality(&old, &new, 50_000);
}

#[test]
fn a_redefined_segment_lists_the_features_whose_rules_use_it() {
    let with_beta =
        |revision: &str, groups: &[&str]| {
            Snapshot::try_from(
                Config::new(revision)
                    .segment(SegmentConfig::new("beta").condition(ConditionConfig::new(
                        "plan",
                        Operator::In,
                        groups.iter().copied(),
                    )))
                    .feature(FeatureConfig::new("uses_beta").rule(
                        RuleConfig::new(Serve::On).condition(ConditionConfig::segment("beta")),
                    ))
                    .feature(FeatureConfig::new("plain").percentage(10)),
            )
            .expect("valid")
        };
    let (old, new) = (with_beta("r1", &["pro"]), with_beta("r2", &["pro", "free"]));
    let context = [("plan", Value::Str("free"))];
    let free = Context::new("u").with_attributes(&context);
    assert_ne!(
        old.evaluate_with("uses_beta", &free).is_enabled(),
        new.evaluate_with("uses_beta", &free).is_enabled(),
        "the edit changes decisions"
    );

    let report = gradual::diff(&old, &new);
    assert!(!report.is_empty());
    assert_eq!(report.segments(), ["beta"]);
    let changed: Vec<(&str, &[&str])> = report
        .changed()
        .iter()
        .map(|c| (c.feature(), c.fields()))
        .collect();
    assert_eq!(changed, [("uses_beta", &["segments"][..])]);
    assert!(
        report.to_string().contains("segments redefined: beta"),
        "{report}"
    );
    assert!(gradual::diff(&new, &new).is_empty());
}

/// A share too small for four decimals is shown as below them, never as
/// "0% of units" for a change that moves someone; and a variant whose value
/// is given as `null` in code compares as no value, so a snapshot and its
/// own config differ in nothing.
#[test]
fn a_tiny_share_is_never_shown_as_zero_and_a_null_value_is_no_change() {
    let report = diff(
        &snapshot("r1", [exp(0.01, &[("a", 99.99), ("b", 0.01)])]),
        &snapshot("r2", [exp(0.01, &[("a", 99.98), ("b", 0.02)])]),
    );
    let text = report.to_string();
    assert!(
        text.contains("changes the variant of <0.0001% of units"),
        "{text}"
    );

    let mut null = VariantConfig::new("a", 100);
    null.value = Some(serde_json::Value::Null);
    let s = snapshot("r1", [FeatureConfig::new("f").percentage(50).variant(null)]);
    let again = Snapshot::try_from(s.to_config()).expect("valid");
    assert!(diff(&s, &again).is_empty(), "{}", diff(&s, &again));
}

/// Nor is a share just short of all units shown as all of them.
#[test]
fn a_share_just_short_of_all_units_is_not_shown_as_all() {
    let report = diff(
        &snapshot("r1", [exp(100.0, &[("x", 0.01), ("y", 99.99)])]),
        &snapshot(
            "r2",
            [exp(100.0, &[("x", 0.01), ("z", 99.99)]).salt("other")],
        ),
    );
    let text = report.to_string();
    assert!(!text.contains(" 100% of units"), "{text}");
    assert!(text.contains("99.9"), "{text}");
}
