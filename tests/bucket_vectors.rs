//! The hash contract is frozen: every vector in `tests/vectors/buckets.jsonl`
//! was produced by the reference Python algorithm (`tests/vectors/generate.py`),
//! not by this crate. A change to any bucket fails this test.

mod common;

use common::{Vector, vectors};
use gradual::__bench::{buckets_on, engines};
use gradual::{Bucket, Config, FeatureConfig, Percentage, Snapshot, bucket, buckets};

#[test]
fn at_least_500_vectors_covering_the_edge_cases() {
    let vs = vectors();
    assert!(vs.len() >= 500, "only {} vectors", vs.len());
    let key_len = |v: &Vector| v.feature.len() + 1 + v.unit.len();
    assert!(vs.iter().any(|v| v.feature.is_empty() && v.unit.is_empty()));
    assert!(vs.iter().any(|v| !v.unit.is_ascii()), "no non-ASCII unit");
    assert!(
        vs.iter().any(|v| !v.feature.is_ascii()),
        "no non-ASCII feature"
    );
    for edge in [55, 56, 63, 64, 65, 119, 120, 128] {
        assert!(
            vs.iter().any(|v| key_len(v) == edge),
            "no key of {edge} bytes"
        );
    }
    assert!(
        vs.iter().any(|v| key_len(v) > 1000),
        "no key of many blocks"
    );
}

#[test]
fn every_vector_matches_the_reference_python() {
    for v in vectors() {
        let b = bucket(&v.feature, &v.unit);
        assert_eq!(
            b.percent(),
            v.seed,
            "seed bucket of {:?}:{:?} (md5 {})",
            v.feature,
            v.unit,
            v.md5
        );
        assert_eq!(
            b.basis_points(),
            v.fine,
            "fine bucket of {:?}:{:?}",
            v.feature,
            v.unit
        );
    }
}

/// The batch path, on every hashing engine this CPU can run, gives the
/// reference buckets too: each feature's units hashed side by side.
#[test]
fn every_vector_matches_through_the_batch_path_on_every_engine() {
    let vs = vectors();
    let mut features: Vec<&str> = vs.iter().map(|v| v.feature.as_str()).collect();
    features.sort_unstable();
    features.dedup();
    assert!(engines() >= 2, "the two portable engines run everywhere");
    for engine in (0..engines()).map(Some).chain([None]) {
        for feature in &features {
            let of: Vec<&Vector> = vs.iter().filter(|v| v.feature == *feature).collect();
            let units: Vec<&str> = of.iter().map(|v| v.unit.as_str()).collect();
            let mut out = vec![Bucket::default(); units.len()];
            let n = match engine {
                Some(engine) => buckets_on(engine, feature, &units, &mut out),
                None => buckets(feature, &units, &mut out),
            };
            assert_eq!(n, units.len());
            for (v, got) in of.iter().zip(&out) {
                assert_eq!(
                    (got.percent(), got.basis_points()),
                    (v.seed, v.fine),
                    "engine {engine:?}, {:?}:{:?}",
                    v.feature,
                    v.unit
                );
            }
        }
    }
}

#[test]
fn evaluation_at_whole_percents_admits_exactly_the_reference_units() {
    // The Python rule is `bucket < p`; check it through the public
    // evaluation path, for every feature in the vector file, at every p.
    let vs = vectors();
    for p in [0u8, 1, 5, 25, 50, 64, 65, 99, 100] {
        let mut config = Config::new(format!("p{p}"));
        let mut names: Vec<&str> = vs
            .iter()
            .map(|v| v.feature.as_str())
            .filter(|f| !f.is_empty())
            .collect();
        names.sort_unstable();
        names.dedup();
        for name in &names {
            config = config.feature(FeatureConfig::new(*name).percentage(p));
        }
        let snapshot = Snapshot::try_from(config).expect("valid config");
        for v in vs.iter().filter(|v| !v.feature.is_empty()) {
            assert_eq!(
                snapshot.is_enabled(&v.feature, &v.unit),
                v.seed < p,
                "{:?}:{:?} at {p}% (seed bucket {})",
                v.feature,
                v.unit,
                v.seed
            );
        }
    }
}

#[test]
fn fine_bucket_refines_the_seed_bucket() {
    for v in vectors() {
        let b = bucket(&v.feature, &v.unit);
        assert_eq!(b.basis_points() / 100, u16::from(b.percent()));
        let whole = Percentage::from_percent(v.seed + 1).expect("in range");
        let below = Percentage::from_percent(v.seed).expect("in range");
        assert!(b.is_within(whole) && !b.is_within(below));
    }
}
