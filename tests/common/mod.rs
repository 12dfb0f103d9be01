//! Helpers shared by the integration tests: an independent reference for
//! the hash contract, the golden-vector loader, the proptest configuration,
//! a seeded generator and a binomial bound.
//!
//! Each file under `tests/` that needs them declares `mod common;`.

// Every test binary compiles its own copy of this module and uses only a
// subset of it; the rest would warn as unused.
#![allow(dead_code)]

use md5::{Digest, Md5};
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};

// ----- the hash contract, by an independent route -----

/// `int.from_bytes(hashlib.md5(f"{salt}:{unit}".encode()).digest(), 'big')`:
/// the digest as one big-endian `u128`.
///
/// Computed with the md-5 crate directly, not with gradual's own MD5 code,
/// and kept as a plain `u128`, not with gradual's folding arithmetic.
pub fn digest(salt: &str, unit: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(format!("{salt}:{unit}").as_bytes()).into())
}

/// The seed bucket by the contract: `h mod 100`, `h` the [`digest`].
///
/// Plain `u128` arithmetic on the md-5 crate's digest, independent of
/// gradual's bucketing code.
pub fn seed(salt: &str, unit: &str) -> u8 {
    (digest(salt, unit) % 100) as u8
}

/// The fine (rollout) bucket by the contract, in basis points:
/// `(h mod 100) * 100 + (h div 100) mod 100`, `h` the [`digest`].
///
/// Plain `u128` arithmetic on the md-5 crate's digest, independent of
/// gradual's folding arithmetic.
pub fn fine(salt: &str, unit: &str) -> u16 {
    let h = digest(salt, unit);
    ((h % 100) * 100 + (h / 100) % 100) as u16
}

/// The variant bucket by the contract: the digest's first eight bytes,
/// big-endian, mod 10000 (`(h >> 64) mod 10000`, `h` the [`digest`]).
///
/// Plain `u128` arithmetic on the md-5 crate's digest, independent of
/// gradual's bucketing code.
pub fn variant_bucket(salt: &str, unit: &str) -> u16 {
    ((digest(salt, unit) >> 64) % 10_000) as u16
}

// ----- the golden vectors -----

/// One line of `tests/vectors/buckets.jsonl`.
pub struct Vector {
    pub feature: String,
    pub unit: String,
    /// The seed bucket, `0..100`.
    pub seed: u8,
    /// The fine bucket in basis points, `0..10000`.
    pub fine: u16,
    /// The digest, in hex.
    pub md5: String,
    /// The variant bucket, `0..10000`.
    pub variant: u16,
}

/// Every vector of `tests/vectors/buckets.jsonl`, in file order.
///
/// The file was written by the reference Python
/// (`tests/vectors/generate.py`), not by this crate nor by the md-5
/// reference above; this only parses it.
pub fn vectors() -> Vec<Vector> {
    let text = include_str!("../vectors/buckets.jsonl");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("vector line is JSON");
            let number = |field: &str| {
                v[field]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{field} in {line}"))
            };
            let u16_field = |field: &str| {
                u16::try_from(number(field))
                    .unwrap_or_else(|_| panic!("{field} fits u16 in {line}"))
            };
            Vector {
                feature: v["feature"].as_str().expect("feature").to_owned(),
                unit: v["unit"].as_str().expect("unit").to_owned(),
                seed: u8::try_from(number("seed")).expect("seed < 100"),
                fine: u16_field("fine"),
                md5: v["md5"].as_str().expect("md5").to_owned(),
                variant: u16_field("variant"),
            }
        })
        .collect()
}

// ----- proptest -----

/// `cases` cases per property, with regressions kept beside the *test*
/// file that runs the property (`tests/<name>.proptest-regressions`), not
/// beside this module.
///
/// `FileFailurePersistence::WithSource` resolves against the config's
/// `source_file`, and the `proptest!` macro overwrites that with `file!()`
/// at its own call site before running; this function leaves it unset.
pub fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

// ----- a seeded generator -----

/// SplitMix64: a small, seeded generator, so every run is the same run.
///
/// Independent of gradual and of the MD5 contract; its output function is a
/// bijection of its state, and its states (`seed + i * gamma`) are
/// distinct, so its first 2^64 outputs are distinct.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `count` distinct unit ids, the same on every run: `{prefix}-` and the
/// hex of [`SplitMix64`] outputs from `seed` (distinct, see there).
pub fn distinct_units(prefix: &str, seed: u64, count: usize) -> Vec<String> {
    let mut rng = SplitMix64::new(seed);
    (0..count)
        .map(|_| format!("{prefix}-{:016x}", rng.next_u64()))
        .collect()
}

// ----- statistics -----

/// Asserts that `count` is within 4.5 standard deviations of the mean of a
/// binomial(n, p) count (a closed interval).
///
/// Under the normal approximation a fair count falls outside with
/// probability about 6.8e-6. Exact binomial tails, computed in Python with
/// mpmath (`sum(binomial(n, k) p^k (1-p)^(n-k))` over the rejected counts),
/// are each below 4e-6 for n = 100000 at p = 0.25, at most 5.3e-6 for
/// n = 100000 at p = 1%, 5% and 50%, and at most 2.8e-5 for n = 250000 at
/// p = 0.01% (or 99.99%, mirrored), where the bound is [2.5, 47.5]: it
/// rejects admitting nobody as well as admitting twice too many.
///
/// Pure arithmetic on the counts, independent of how they were produced.
pub fn assert_binomial(count: usize, n: usize, p: f64, what: &str) {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let (low, high) = (mean - 4.5 * sd, mean + 4.5 * sd);
    assert!(
        (low..=high).contains(&(count as f64)),
        "{what}: {count} of {n}, expected {mean:.1} (4.5 sigma: {low:.1}..={high:.1})"
    );
}
