//! Multivariate features: the split follows the weights, is independent of
//! the rollout bucket, survives percentage changes, and a weight change
//! moves exactly the units in the ranges that changed owner. Expected
//! variants come from the contract computed directly with the md-5 crate.

mod common;

use common::{fine, variant_bucket};
use gradual::{Config, FeatureConfig, Percentage, Snapshot, VariantConfig};
use serde_json::json;

fn feature(percent: f64, weights: &[(&str, f64)]) -> Snapshot {
    let mut f = FeatureConfig::new("exp").percentage(percent);
    for (name, weight) in weights {
        f = f.variant(VariantConfig::new(*name, *weight));
    }
    Snapshot::try_from(Config::new("r1").feature(f)).expect("valid")
}

fn variant_of<'s>(s: &'s Snapshot, unit: &str) -> Option<&'s str> {
    s.evaluate("exp", unit).variant().map(|v| v.name())
}

fn users(n: usize) -> impl Iterator<Item = String> {
    (0..n).map(|i| format!("user-{i}"))
}

/// Within `k` standard deviations of a binomial(n, p) mean.
fn within(count: usize, n: usize, p: f64, k: f64) -> bool {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (count as f64 - mean).abs() <= k * sd
}

#[test]
fn every_unit_gets_the_variant_whose_range_holds_its_variant_bucket() {
    let s = feature(100.0, &[("a", 50.0), ("b", 30.0), ("c", 20.0)]);
    for unit in users(5000) {
        let vb = variant_bucket("exp", &unit);
        let expected = match vb {
            0..5000 => "a",
            5000..8000 => "b",
            _ => "c",
        };
        assert_eq!(
            variant_of(&s, &unit),
            Some(expected),
            "{unit} (variant bucket {vb})"
        );
    }
}

#[test]
fn the_split_follows_the_weights() {
    let s = feature(
        100.0,
        &[("a", 50.0), ("b", 30.0), ("c", 19.99), ("d", 0.01)],
    );
    let n = 40_000;
    let mut counts = [0usize; 4];
    for unit in users(n) {
        let i = ["a", "b", "c", "d"]
            .iter()
            .position(|v| Some(*v) == variant_of(&s, &unit));
        counts[i.expect("a variant for everyone at 100%")] += 1;
    }
    for (count, p) in counts.iter().zip([0.5, 0.3, 0.1999, 0.0001]) {
        assert!(within(*count, n, p, 5.0), "{counts:?}");
    }
}

#[test]
fn a_small_rollout_reaches_every_variant_in_proportion() {
    // Independence of the two buckets: inside a 10% rollout the variants
    // keep their 70/30 shares.
    let s = feature(10.0, &[("control", 70.0), ("treatment", 30.0)]);
    let (mut inside, mut treatment) = (0usize, 0usize);
    for unit in users(60_000) {
        let d = s.evaluate("exp", &unit);
        assert_eq!(d.is_enabled(), fine("exp", &unit) < 1000);
        if d.is_enabled() {
            inside += 1;
            treatment += usize::from(d.variant().map(|v| v.name()) == Some("treatment"));
        } else {
            assert!(d.variant().is_none(), "an excluded unit gets no variant");
        }
    }
    assert!(within(inside, 60_000, 0.1, 5.0), "{inside}");
    assert!(
        within(treatment, inside, 0.3, 5.0),
        "{treatment} of {inside}"
    );
}

#[test]
fn changing_the_percentage_never_moves_an_included_unit_to_another_variant() {
    let weights = [("a", 25.0), ("b", 25.0), ("c", 50.0)];
    let base = feature(5.0, &weights);
    let mut variant: Vec<Option<String>> = users(20_000)
        .map(|u| variant_of(&base, &u).map(str::to_owned))
        .collect();
    let mut snapshot = base;
    for bp in [500u16, 501, 1000, 2500, 5000, 9999, 10_000, 3000, 0, 7500] {
        snapshot = snapshot
            .with_percentage("exp", Percentage::from_basis_points(bp).expect("in range"))
            .expect("known");
        for (unit, before) in users(20_000).zip(variant.iter_mut()) {
            let now = variant_of(&snapshot, &unit).map(str::to_owned);
            if let (Some(b), Some(n)) = (before.as_ref(), now.as_ref()) {
                assert_eq!(b, n, "{unit} moved variant at {bp} bp");
            }
            if now.is_some() {
                *before = now;
            }
        }
    }
}

#[test]
fn moving_weight_between_adjacent_variants_moves_exactly_that_range() {
    let before = feature(100.0, &[("a", 50.0), ("b", 50.0)]);
    let after = feature(100.0, &[("a", 40.0), ("b", 60.0)]);
    let n = 30_000;
    let mut moved = 0;
    for unit in users(n) {
        let (x, y) = (variant_of(&before, &unit), variant_of(&after, &unit));
        let in_shifted_range = (4000..5000).contains(&variant_bucket("exp", &unit));
        assert_eq!(x != y, in_shifted_range, "{unit}");
        if x != y {
            assert_eq!((x, y), (Some("a"), Some("b")), "only a -> b moves");
            moved += 1;
        }
    }
    assert!(within(moved, n, 0.1, 5.0), "about 10% move: {moved}");
}

#[test]
fn adding_a_variant_at_the_end_moves_only_the_units_it_takes() {
    let before = feature(100.0, &[("a", 50.0), ("b", 50.0)]);
    let after = feature(100.0, &[("a", 50.0), ("b", 40.0), ("c", 10.0)]);
    for unit in users(10_000) {
        let (x, y) = (variant_of(&before, &unit), variant_of(&after, &unit));
        if x != y {
            assert_eq!((x, y), (Some("b"), Some("c")), "{unit}");
        }
    }
}

#[test]
fn variants_carry_typed_values() {
    let f = FeatureConfig::new("config")
        .percentage(100)
        .variant(VariantConfig::new("flag", 25).value(true))
        .variant(VariantConfig::new("text", 25).value("blue"))
        .variant(VariantConfig::new("number", 25).value(2.5))
        .variant(VariantConfig::new("object", 25).value(json!({ "limit": 10, "tags": ["x"] })));
    let s = Snapshot::try_from(Config::new("r1").feature(f)).expect("valid");
    let mut seen = std::collections::BTreeMap::new();
    for unit in users(400) {
        let d = s.evaluate("config", &unit);
        let v = d.variant().expect("on at 100%");
        seen.insert(v.name().to_owned(), v.value().cloned());
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen["flag"], Some(json!(true)));
    assert_eq!(seen["text"], Some(json!("blue")));
    assert_eq!(seen["number"], Some(json!(2.5)));
    assert_eq!(seen["object"], Some(json!({ "limit": 10, "tags": ["x"] })));
    let weights: Vec<Percentage> = s
        .feature("config")
        .expect("present")
        .variants()
        .iter()
        .map(|v| v.weight())
        .collect();
    assert_eq!(
        weights,
        vec![Percentage::from_percent(25).expect("in range"); 4]
    );
}
