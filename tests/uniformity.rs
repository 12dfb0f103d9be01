//! Fairness: buckets are uniform. Over a fixed, seeded population of
//! distinct unit ids, a rollout admits its percentage of them (within
//! binomial bounds), every seed bucket and fine bucket is equally likely,
//! and variants are served in their weights' proportions (chi-square tests
//! at a fixed significance).
//!
//! The statistical checks are deterministic (the population is fixed), so
//! each passes or fails the same way on every run; their thresholds are
//! chosen so that a fair hash fails them with probability of the order of
//! 1e-5 (binomial bounds) or 1e-3 (chi-square), and a biased one fails
//! them outright (see `a_biased_bucketing_fails_the_chi_square_test`).

use std::sync::OnceLock;

mod common;

use common::assert_binomial;
use gradual::{Config, FeatureConfig, Snapshot, VariantConfig};
use md5::{Digest, Md5};

/// Size of the population for the seed, fine and variant tests.
const UNITS: usize = 100_000;

/// `count` distinct unit ids, the same on every run.
fn units(count: usize) -> Vec<String> {
    common::distinct_units("unit", 0x5EED_2026_0000_0001, count)
}

/// Pearson's chi-square statistic of observed counts against expected ones.
fn chi_square(observed: &[usize], expected: &[f64]) -> f64 {
    assert_eq!(observed.len(), expected.len());
    observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| (o as f64 - e).powi(2) / e)
        .sum()
}

/// Upper 0.1% points of the chi-square distribution (alpha = 0.001), by
/// degrees of freedom. Computed in Python with mpmath (scipy is not
/// installed) by solving `gammainc(k/2, x/2, inf, regularized=True) ==
/// 0.001` for x; they agree with the standard tables, e.g.
/// `scipy.stats.chi2.ppf(0.999, 99) == 148.2303592`.
const CHI2_CRITICAL_3: f64 = 16.266_236_2;
const CHI2_CRITICAL_99: f64 = 148.230_359_2;
const CHI2_CRITICAL_9999: f64 = 10_441.708_71;

/// Variant weights in percent, and their names.
const WEIGHTS: [f64; 4] = [10.0, 20.0, 30.0, 40.0];
const VARIANTS: [&str; 4] = ["w10", "w20", "w30", "w40"];

/// For every unit of the population: its fine bucket and variant (index)
/// as evaluation reports them, for a feature at 100% with 10/20/30/40
/// variants. Computed once for the tests below.
fn population() -> &'static [(u16, usize)] {
    static POPULATION: OnceLock<Vec<(u16, usize)>> = OnceLock::new();
    POPULATION.get_or_init(|| {
        let mut feature = FeatureConfig::new("uniformity").percentage(100);
        for (name, weight) in VARIANTS.iter().zip(WEIGHTS) {
            feature = feature.variant(VariantConfig::new(*name, weight));
        }
        let snapshot = Snapshot::try_from(Config::new("r1").feature(feature)).expect("valid");
        units(UNITS)
            .iter()
            .map(|unit| {
                let d = snapshot.evaluate("uniformity", unit);
                let bucket = d.bucket().expect("a variant split computes the bucket");
                let variant = d.variant().expect("on at 100%").name();
                let index = VARIANTS
                    .iter()
                    .position(|v| *v == variant)
                    .expect("a listed variant");
                (bucket.basis_points(), index)
            })
            .collect()
    })
}

/// Counts how many units a feature at each of `percents` admits.
fn admitted_shares(n: usize, percents: &[f64]) -> Vec<usize> {
    let name = |p: f64| format!("share-{p}");
    let config = percents.iter().fold(Config::new("r1"), |c, &p| {
        c.feature(FeatureConfig::new(name(p)).percentage(p))
    });
    let snapshot = Snapshot::try_from(config).expect("valid");
    let units = units(n);
    percents
        .iter()
        .map(|&p| {
            let name = name(p);
            units
                .iter()
                .filter(|u| snapshot.is_enabled(&name, u))
                .count()
        })
        .collect()
}

#[test]
fn the_population_is_distinct() {
    let mut ids = units(UNITS);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), UNITS);
}

#[test]
fn common_percentages_admit_their_share() {
    let percents = [1.0, 5.0, 50.0];
    let counts = admitted_shares(UNITS, &percents);
    for (p, count) in percents.iter().zip(counts) {
        assert_binomial(count, UNITS, p / 100.0, &format!("{p}% admitted"));
    }
}

#[test]
fn extreme_percentages_admit_their_share() {
    // At 0.01% a population of 100000 expects 10 units: too few for a
    // bound that rejects admitting none, so these take 250000 units.
    let n = 250_000;
    let percents = [0.01, 99.99];
    let counts = admitted_shares(n, &percents);
    for (p, count) in percents.iter().zip(counts) {
        assert_binomial(count, n, p / 100.0, &format!("{p}% admitted"));
    }
}

#[test]
fn the_100_seed_buckets_are_uniform() {
    // 99 degrees of freedom, alpha = 0.001.
    let mut counts = [0usize; 100];
    for &(fine, _) in population() {
        counts[usize::from(fine / 100)] += 1;
    }
    let expected = [UNITS as f64 / 100.0; 100];
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRITICAL_99, "chi-square {chi2:.2}: {counts:?}");
}

#[test]
fn the_refinement_within_a_seed_bucket_is_uniform() {
    // The fine bucket's last two digits, (h div 100) mod 100: 99 degrees
    // of freedom, alpha = 0.001.
    let mut counts = [0usize; 100];
    for &(fine, _) in population() {
        counts[usize::from(fine % 100)] += 1;
    }
    let expected = [UNITS as f64 / 100.0; 100];
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRITICAL_99, "chi-square {chi2:.2}: {counts:?}");
}

#[test]
fn the_10000_fine_buckets_are_uniform() {
    // 10 expected per cell (enough for the chi-square approximation):
    // 9999 degrees of freedom, alpha = 0.001.
    let mut counts = vec![0usize; 10_000];
    for &(fine, _) in population() {
        counts[usize::from(fine)] += 1;
    }
    let expected = vec![UNITS as f64 / 10_000.0; 10_000];
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRITICAL_9999, "chi-square {chi2:.2}");
}

#[test]
fn variants_are_served_in_their_weights_proportions() {
    // 4 variants: 3 degrees of freedom, alpha = 0.001.
    let mut counts = [0usize; 4];
    for &(_, variant) in population() {
        counts[variant] += 1;
    }
    let expected = WEIGHTS.map(|w| UNITS as f64 * w / 100.0);
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRITICAL_3, "chi-square {chi2:.2}: {counts:?}");
}

#[test]
fn a_biased_bucketing_fails_the_chi_square_test() {
    // The checks above have power: the classic mistake of taking one digest
    // byte mod 100 (buckets 0..=55 get 3/256, the rest 2/256) is rejected
    // by the same test on a fifth of the population.
    let n = UNITS / 5;
    let mut counts = [0usize; 100];
    for unit in units(n) {
        let digest = Md5::digest(format!("uniformity:{unit}").as_bytes());
        counts[usize::from(digest[0] % 100)] += 1;
    }
    let expected = [n as f64 / 100.0; 100];
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 > CHI2_CRITICAL_99, "chi-square {chi2:.2}");
}
