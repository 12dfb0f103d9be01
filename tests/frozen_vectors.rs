//! Stability: a unit's bucket and variant are frozen. The fine bucket and
//! the variant bucket of every vector in `tests/vectors/buckets.jsonl` come
//! from the reference Python (`tests/vectors/generate.py`), and evaluation
//! must pick, for several weight tables, the variant whose range holds the
//! frozen variant bucket. And a decision depends on nothing but the salt,
//! the unit and the feature's own settings: not on how the snapshot was
//! built, on swaps, on dial changes to other features, or on rollback.

mod common;

use common::{Vector, cases, fine, variant_bucket, vectors};
use gradual::{
    Config, FeatureConfig, Percentage, Reason, Rollouts, Snapshot, VariantConfig, bucket,
};
use proptest::prelude::*;

/// Vectors a feature can be named after (feature names can't be empty).
fn named(vs: &[Vector]) -> impl Iterator<Item = &Vector> {
    vs.iter().filter(|v| !v.feature.is_empty())
}

/// The distinct non-empty feature names of the vector file, sorted.
fn feature_names(vs: &[Vector]) -> Vec<&str> {
    let mut names: Vec<&str> = named(vs).map(|v| v.feature.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The name of a feature salted with `salt`: a different name, same buckets.
fn renamed(salt: &str) -> String {
    format!("renamed/{salt}")
}

/// Weight tables in basis points, each summing to 10000.
const TABLES: [&[u16]; 5] = [
    &[5000, 5000],
    &[1000, 2000, 3000, 4000],
    &[3333, 3333, 3334],
    &[1, 9999],
    &[9999, 1],
];

/// The variant names of a table: `v0`, `v1`, …
fn variant_name(i: usize) -> String {
    format!("v{i}")
}

/// Index of the variant whose half-open range `[start, start + weight)` of
/// variant buckets holds `vb`, the ranges laid end to end in table order.
fn owner(weights: &[u16], vb: u16) -> usize {
    let mut end = 0u16;
    for (i, w) in weights.iter().enumerate() {
        end += w;
        if vb < end {
            return i;
        }
    }
    panic!("variant bucket {vb} beyond the table {weights:?}")
}

fn with_variants(mut feature: FeatureConfig, weights: &[u16]) -> FeatureConfig {
    for (i, w) in weights.iter().enumerate() {
        feature = feature.variant(VariantConfig::new(variant_name(i), f64::from(*w) / 100.0));
    }
    feature
}

/// Every named feature of the vector file at 100% with the table's
/// variants, plus a differently named copy of each salted with its name.
fn table_snapshot(vs: &[Vector], weights: &[u16]) -> Snapshot {
    let mut config = Config::new("frozen");
    for name in feature_names(vs) {
        config = config
            .feature(with_variants(
                FeatureConfig::new(name).percentage(100),
                weights,
            ))
            .feature(with_variants(
                FeatureConfig::new(renamed(name)).salt(name).percentage(100),
                weights,
            ));
    }
    Snapshot::try_from(config).expect("valid config")
}

#[test]
fn every_vector_carries_a_variant_bucket_from_its_digest() {
    // The file is internally consistent: its variant bucket is the first
    // eight bytes of its frozen digest, mod 10000, for every line.
    let vs = vectors();
    assert!(vs.len() >= 500, "only {} vectors", vs.len());
    for v in &vs {
        let hi = u64::from_str_radix(&v.md5[..16], 16).expect("hex digest");
        assert_eq!(
            u64::from(v.variant),
            hi % 10_000,
            "{:?}:{:?}",
            v.feature,
            v.unit
        );
    }
}

#[test]
fn fine_buckets_match_the_frozen_file() {
    for v in vectors() {
        assert_eq!(
            bucket(&v.feature, &v.unit).basis_points(),
            v.fine,
            "{:?}:{:?} (md5 {})",
            v.feature,
            v.unit,
            v.md5
        );
    }
}

#[test]
fn variant_picks_follow_the_frozen_variant_bucket_for_every_table() {
    let vs = vectors();
    for weights in TABLES {
        let snapshot = table_snapshot(&vs, weights);
        let mut seen = vec![0usize; weights.len()];
        for v in named(&vs) {
            let expected = variant_name(owner(weights, v.variant));
            for name in [v.feature.clone(), renamed(&v.feature)] {
                let d = snapshot.evaluate(&name, &v.unit);
                assert!(d.is_enabled(), "{name:?}:{:?} at 100%", v.unit);
                assert_eq!(d.reason(), Reason::InRollout);
                assert_eq!(
                    d.variant().map(|x| x.name()),
                    Some(expected.as_str()),
                    "{name:?}:{:?} with weights {weights:?} (frozen variant bucket {})",
                    v.unit,
                    v.variant
                );
                assert_eq!(
                    d.bucket().map(|b| b.basis_points()),
                    Some(v.fine),
                    "{name:?}:{:?} fine bucket",
                    v.unit
                );
            }
            seen[owner(weights, v.variant)] += 1;
        }
        // Not vacuous: some vector lands in every range of 10% or more.
        let wide = weights.iter().filter(|w| **w >= 1000).count();
        let hit = seen
            .iter()
            .zip(weights)
            .filter(|(n, w)| **w >= 1000 && **n > 0)
            .count();
        assert_eq!(hit, wide, "weights {weights:?}: {seen:?}");
    }
}

#[test]
fn variant_ranges_are_half_open_at_frozen_buckets() {
    // A boundary placed exactly on a vector's frozen variant bucket puts it
    // in the second variant; one basis point higher puts it in the first.
    let vs = vectors();
    let probes: Vec<&Vector> = named(&vs)
        .filter(|v| (1..9999).contains(&v.variant))
        .step_by(23)
        .take(25)
        .collect();
    assert!(probes.len() >= 20);
    for v in probes {
        for (cut, expected) in [(v.variant, "v1"), (v.variant + 1, "v0")] {
            let feature = with_variants(
                FeatureConfig::new(&*v.feature).percentage(100),
                &[cut, 10_000 - cut],
            );
            let snapshot = Snapshot::try_from(Config::new("edge").feature(feature)).expect("valid");
            assert_eq!(
                snapshot
                    .evaluate(&v.feature, &v.unit)
                    .variant()
                    .map(|x| x.name()),
                Some(expected),
                "{:?}:{:?} (variant bucket {}) with the boundary at {cut}",
                v.feature,
                v.unit,
                v.variant
            );
        }
    }
}

// ----- stability across snapshots, swaps, other dials and rollback -----

const PROBE: &str = "probe";
const OTHERS: [&str; 3] = ["other-0", "other-1", "other-2"];
/// The probe's variants, in basis points.
const PROBE_WEIGHTS: [u16; 3] = [3000, 4500, 2500];

/// What a decision says, owned, so decisions of different snapshots compare.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    enabled: bool,
    variant: Option<String>,
    bucket: Option<u16>,
}

fn seen(snapshot: &Snapshot, unit: &str) -> Seen {
    let d = snapshot.evaluate(PROBE, unit);
    Seen {
        enabled: d.is_enabled(),
        variant: d.variant().map(|v| v.name().to_owned()),
        bucket: d.bucket().map(|b| b.basis_points()),
    }
}

/// The decision by the contract, computed here with the md-5 crate.
fn expected(salt: &str, unit: &str, percentage: u16) -> Seen {
    let fine = fine(salt, unit);
    let vb = variant_bucket(salt, unit);
    let enabled = fine < percentage;
    Seen {
        enabled,
        variant: enabled.then(|| variant_name(owner(&PROBE_WEIGHTS, vb))),
        bucket: Some(fine),
    }
}

/// The probe (salted, at `percentage` basis points, with variants) among
/// other features at `others` basis points; `probe_last` moves it to the
/// end of the list.
fn probe_config(
    label: &str,
    salt: &str,
    percentage: u16,
    others: [u16; 3],
    probe_last: bool,
) -> Config {
    let probe = with_variants(
        FeatureConfig::new(PROBE)
            .salt(salt)
            .percentage(f64::from(percentage) / 100.0),
        &PROBE_WEIGHTS,
    );
    let mut features: Vec<FeatureConfig> = OTHERS
        .iter()
        .zip(others)
        .map(|(name, p)| {
            with_variants(
                FeatureConfig::new(*name).percentage(f64::from(p) / 100.0),
                &[5000, 5000],
            )
        })
        .collect();
    if probe_last {
        features.push(probe);
    } else {
        features.insert(0, probe);
    }
    features
        .into_iter()
        .fold(Config::new(label), |config, f| config.feature(f))
}

fn bp(basis_points: u16) -> Percentage {
    Percentage::from_basis_points(basis_points).expect("in range")
}

fn salts() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_.]{1,24}",
        "\\PC{1,40}",
        any::<String>().prop_filter("a salt is not empty", |s| !s.is_empty()),
    ]
}

fn units() -> impl Strategy<Value = String> {
    prop_oneof!["user-[0-9]{1,9}", any::<String>(), "\\PC{0,120}"]
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn the_same_salt_and_unit_decide_the_same_everywhere(
        salt in salts(),
        units in prop::collection::vec(units(), 1..8),
        percentage in 1u16..=10_000,
        others in prop::array::uniform3(0u16..=10_000),
        dials in prop::array::uniform3(0u16..=10_000),
    ) {
        // Built separately: the probe first, then last with other
        // neighbours, then round-tripped through its config.
        let first = Snapshot::try_from(probe_config("a", &salt, percentage, others, false))
            .expect("valid");
        let second = Snapshot::try_from(probe_config("b", &salt, percentage, dials, true))
            .expect("valid");
        let round_trip = Snapshot::try_from(first.to_config()).expect("valid");
        for unit in &units {
            let want = expected(&salt, unit, percentage);
            prop_assert_eq!(bucket(&salt, unit).basis_points(), want.bucket.expect("hashed"));
            for s in [&first, &second, &round_trip] {
                prop_assert_eq!(&seen(s, unit), &want, "{} for {:?}", s.revision(), unit);
            }
        }

        // Swaps, dial changes on other features, and rollback through all
        // of them.
        let rollouts = Rollouts::new(first);
        let check = |step: &str| -> Result<(), TestCaseError> {
            let serving = rollouts.load();
            for unit in &units {
                prop_assert_eq!(
                    &seen(&serving, unit),
                    &expected(&salt, unit, percentage),
                    "after {} ({}) for {:?}", step, serving.revision(), unit
                );
            }
            Ok(())
        };
        check("start")?;
        rollouts.replace(second);
        check("replace")?;
        rollouts.set_percentage(OTHERS[0], bp(dials[0])).expect("known");
        check("set_percentage on another feature")?;
        rollouts.kill(OTHERS[1]).expect("known");
        check("kill of another feature")?;
        rollouts
            .update(|s| s.with_percentage(OTHERS[2], bp(dials[1]))?.with_enabled(OTHERS[0], false))
            .expect("known");
        check("update of other features")?;
        rollouts.revive(OTHERS[1]).expect("known");
        check("revive of another feature")?;
        for step in 0..5 {
            rollouts.rollback().expect("history kept");
            check(&format!("rollback {step}"))?;
        }
        prop_assert_eq!(rollouts.revision().to_string(), "a");
    }
}
