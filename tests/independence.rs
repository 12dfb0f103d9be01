//! Independence: a unit's place in one rollout says nothing about its place
//! in another, nor about its variant. Two features at 50% overlap on a
//! quarter of the units; within a 10% rollout variants keep their weights;
//! and the rollout bucket and the variant bucket pass a chi-square test of
//! independence.
//!
//! The population is a fixed, seeded set of distinct unit ids, so every
//! check passes or fails the same way on every run; the thresholds are
//! such that a fair hash would fail them with probability of the order of
//! 1e-5 (binomial bounds) or 1e-3 (chi-square).

mod common;

use common::{assert_binomial, fine};
use gradual::{Config, FeatureConfig, Snapshot, VariantConfig};

const UNITS: usize = 100_000;

/// `count` distinct unit ids, the same on every run.
fn units(count: usize) -> Vec<String> {
    common::distinct_units("member", 0x1DE9_E4DE_4CE0_0002, count)
}

/// Upper 0.1% points of the chi-square distribution (alpha = 0.001), by
/// degrees of freedom, computed in Python with mpmath (scipy is not
/// installed): the x solving `gammainc(k/2, x/2, inf, regularized=True) ==
/// 0.001`. They match the standard tables (`scipy.stats.chi2.ppf(0.999, k)`).
const CHI2_CRITICAL_1: f64 = 10.827_566_2;
const CHI2_CRITICAL_3: f64 = 16.266_236_2;
const CHI2_CRITICAL_27: f64 = 55.476_020_2;

/// Pearson's chi-square statistic for independence of the rows and columns
/// of a contingency table, expected counts from its margins; its degrees
/// of freedom are `(rows - 1) * (columns - 1)`.
fn independence_chi_square<const C: usize>(table: &[[usize; C]]) -> f64 {
    let total: usize = table.iter().flatten().sum();
    let rows: Vec<usize> = table.iter().map(|r| r.iter().sum()).collect();
    let columns: Vec<usize> = (0..C).map(|j| table.iter().map(|r| r[j]).sum()).collect();
    let mut chi2 = 0.0;
    for (row, &row_total) in table.iter().zip(&rows) {
        for (&observed, &column_total) in row.iter().zip(&columns) {
            let expected = row_total as f64 * column_total as f64 / total as f64;
            chi2 += (observed as f64 - expected).powi(2) / expected;
        }
    }
    chi2
}

const WEIGHTS: [f64; 4] = [10.0, 20.0, 30.0, 40.0];
const VARIANTS: [&str; 4] = ["w10", "w20", "w30", "w40"];

fn with_variants(mut feature: FeatureConfig) -> FeatureConfig {
    for (name, weight) in VARIANTS.iter().zip(WEIGHTS) {
        feature = feature.variant(VariantConfig::new(*name, weight));
    }
    feature
}

fn variant_index(name: &str) -> usize {
    VARIANTS
        .iter()
        .position(|v| *v == name)
        .expect("a listed variant")
}

#[test]
fn two_features_at_50_percent_overlap_on_a_quarter_of_the_units() {
    let snapshot = Snapshot::try_from(
        Config::new("r1")
            .feature(FeatureConfig::new("alpha").percentage(50))
            .feature(FeatureConfig::new("beta").percentage(50)),
    )
    .expect("valid");
    // table[alpha on][beta on]
    let mut table = [[0usize; 2]; 2];
    for unit in units(UNITS) {
        let a = snapshot.is_enabled("alpha", &unit);
        let b = snapshot.is_enabled("beta", &unit);
        table[usize::from(a)][usize::from(b)] += 1;
    }
    assert_binomial(table[1][1], UNITS, 0.25, "both on");
    assert_binomial(table[0][0], UNITS, 0.25, "both off");
    assert_binomial(table[1][0] + table[1][1], UNITS, 0.5, "alpha on");
    assert_binomial(table[0][1] + table[1][1], UNITS, 0.5, "beta on");
    // And as a 2x2 test of independence: 1 degree of freedom.
    let chi2 = independence_chi_square(&table);
    assert!(chi2 < CHI2_CRITICAL_1, "chi-square {chi2:.2}: {table:?}");
}

#[test]
fn within_a_10_percent_rollout_variants_keep_their_weights() {
    let snapshot = Snapshot::try_from(
        Config::new("r1").feature(with_variants(FeatureConfig::new("exp").percentage(10))),
    )
    .expect("valid");
    let mut counts = [0usize; 4];
    for unit in units(UNITS) {
        let d = snapshot.evaluate("exp", &unit);
        if d.is_enabled() {
            counts[variant_index(d.variant().expect("on, with variants").name())] += 1;
        } else {
            assert!(d.variant().is_none(), "{unit}: a variant while off");
        }
    }
    let inside: usize = counts.iter().sum();
    assert_binomial(inside, UNITS, 0.1, "inside the 10% rollout");
    // Goodness of fit to the weights among those inside: 3 degrees of freedom.
    let chi2: f64 = counts
        .iter()
        .zip(WEIGHTS)
        .map(|(&o, w)| {
            let e = inside as f64 * w / 100.0;
            (o as f64 - e).powi(2) / e
        })
        .sum();
    assert!(
        chi2 < CHI2_CRITICAL_3,
        "chi-square {chi2:.2}: {counts:?} of {inside}"
    );
}

#[test]
fn rollout_decile_and_variant_are_independent() {
    // At 100% every unit is in, with its bucket and its variant: the table
    // of (rollout decile, variant) has (10 - 1) * (4 - 1) = 27 degrees of
    // freedom.
    let snapshot = Snapshot::try_from(
        Config::new("r1").feature(with_variants(FeatureConfig::new("exp").percentage(100))),
    )
    .expect("valid");
    let mut table = [[0usize; 4]; 10];
    for unit in units(UNITS) {
        let d = snapshot.evaluate("exp", &unit);
        let decile = usize::from(d.bucket().expect("computed for the split").basis_points() / 1000);
        table[decile][variant_index(d.variant().expect("on at 100%").name())] += 1;
    }
    let chi2 = independence_chi_square(&table);
    assert!(chi2 < CHI2_CRITICAL_27, "chi-square {chi2:.2}: {table:?}");
}

#[test]
fn a_split_that_reused_the_rollout_bucket_fails_the_independence_test() {
    // The test has power: had the split used the rollout bucket itself
    // (the obvious shortcut), each decile would get one variant.
    let mut table = [[0usize; 4]; 10];
    for unit in units(UNITS / 10) {
        let fine = usize::from(fine("exp", &unit));
        let variant = match fine {
            0..1000 => 0,
            1000..3000 => 1,
            3000..6000 => 2,
            _ => 3,
        };
        table[fine / 1000][variant] += 1;
    }
    let chi2 = independence_chi_square(&table);
    assert!(chi2 > CHI2_CRITICAL_27, "chi-square {chi2:.2}");
}
