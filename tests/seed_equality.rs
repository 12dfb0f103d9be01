//! Seed equality: at every whole percent, `gradual` admits exactly the units
//! the reference Python admits (`bucket < p`, with the frozen seed bucket of
//! every vector in `tests/vectors/buckets.jsonl`), whether the percentage
//! comes from a config or from the dial. And for any feature and unit, the
//! seed bucket is `int.from_bytes(md5, 'big') % 100`, computed here with
//! plain `u128` arithmetic rather than the crate's folded one.

mod common;

use common::{Vector, cases, digest, vectors};
use gradual::{Config, FeatureConfig, Percentage, Rollouts, Snapshot, bucket};
use proptest::prelude::*;

/// The vectors a feature can be named after (names can't be empty).
fn named(vs: &[Vector]) -> Vec<&Vector> {
    vs.iter().filter(|v| !v.feature.is_empty()).collect()
}

fn feature_names<'v>(vs: &[&'v Vector]) -> Vec<&'v str> {
    let mut names: Vec<&str> = vs.iter().map(|v| v.feature.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn config_at(names: &[&str], percent: u8) -> Config {
    names
        .iter()
        .fold(Config::new(format!("p{percent}")), |c, name| {
            c.feature(FeatureConfig::new(*name).percentage(percent))
        })
}

#[test]
fn every_whole_percent_admits_exactly_the_python_rule() {
    let vs = vectors();
    let vs = named(&vs);
    let names = feature_names(&vs);
    assert!(vs.len() >= 500 && names.len() >= 5);
    for p in 0..=100u8 {
        let snapshot = Snapshot::try_from(config_at(&names, p)).expect("valid config");
        for v in &vs {
            assert_eq!(
                snapshot.is_enabled(&v.feature, &v.unit),
                v.seed < p,
                "{:?}:{:?} at {p}% from a config (seed bucket {})",
                v.feature,
                v.unit,
                v.seed
            );
        }
    }
}

#[test]
fn every_whole_percent_on_the_dial_admits_exactly_the_python_rule() {
    // The same, turning the dial of a live handle from 0% up to 100% and
    // back down, one whole percent at a time.
    let vs = vectors();
    let vs = named(&vs);
    let names = feature_names(&vs);
    let rollouts = Rollouts::builder()
        .no_metrics()
        .history(0)
        .build(Snapshot::try_from(config_at(&names, 0)).expect("valid config"));
    for p in (0..=100u8).chain((0..100u8).rev()) {
        let percentage = Percentage::from_percent(p).expect("in range");
        rollouts
            .update(|s| {
                names
                    .iter()
                    .try_fold(s.clone(), |s, name| s.with_percentage(name, percentage))
            })
            .expect("known features");
        for v in &vs {
            assert_eq!(
                rollouts.is_enabled(&v.feature, &v.unit),
                v.seed < p,
                "{:?}:{:?} at {p}% on the dial (seed bucket {})",
                v.feature,
                v.unit,
                v.seed
            );
        }
    }
}

/// Strings of every shape: empty, ASCII ids, any Unicode (control
/// characters included), and long enough to span several MD5 blocks.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9_-]{1,60}",
        any::<String>(),
        "\\PC{50,200}",
    ]
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn the_seed_bucket_is_the_digest_mod_100(feature in text(), unit in text()) {
        let h = digest(&feature, &unit);
        let b = bucket(&feature, &unit);
        prop_assert_eq!(u128::from(b.percent()), h % 100);
        // The fine bucket refines it by the contract's formula.
        prop_assert_eq!(u128::from(b.basis_points()), (h % 100) * 100 + (h / 100) % 100);
    }

    #[test]
    fn evaluation_at_a_whole_percent_is_the_python_rule(
        feature in "[a-z_][a-z0-9_.]{0,30}",
        units in prop::collection::vec(text(), 1..16),
        p in 0u8..=100,
    ) {
        let snapshot = Snapshot::try_from(
            Config::new("r1").feature(FeatureConfig::new(&*feature).percentage(p)),
        )
        .expect("valid config");
        for unit in &units {
            let seed = digest(&feature, unit) % 100;
            prop_assert_eq!(
                snapshot.is_enabled(&feature, unit),
                seed < u128::from(p),
                "{:?}:{:?} at {}% (seed bucket {})", feature, unit, p, seed
            );
        }
    }
}
