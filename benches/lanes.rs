//! Batches of 50 keys hashed side by side, beside 50 single-key digests.
//!
//! Run with `cargo bench --bench lanes` (add `--features avx512` for the
//! AVX-512 path). Each group times the single-key baseline and every lane
//! path this CPU has in the same run, plus `detected`, the path the batch
//! functions choose; compare their ratios, not raw nanoseconds across
//! machines.
//!
//! - `md5_keys`: one 20-character feature, 50 units of 10 to 20 characters
//!   (one batch of a pool of 4,096 distinct units, a new batch each time).
//! - `md5_salts`: one unit (cycling through the same pool), 50 different
//!   20-character features, each laid out ahead as its keys' first block
//!   (as a snapshot keeps it).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

// The batch API is crate-private, so the bench compiles the module itself;
// what only the crate calls is unused here.
#[path = "../src/lanes.rs"]
#[allow(dead_code)]
mod lanes;

use lanes::{Engine, Salt, md5_keys, md5_keys_on, md5_salts, md5_salts_on};

/// Keys per batch.
const BATCH: usize = 50;
/// A typical feature name: 20 characters.
const FEATURE: &str = "new_checkout_design2";
/// Distinct units, so that no run measures one cached key.
const POOL: usize = 4096;

/// A plain single-key MD5 with no heap buffer, the baseline the lanes are
/// measured against. (gradual's own single path, `KeyPrefix::digest`, is
/// crate-private and starts from a prefix prepared once per feature.)
mod single {
    use md5::block_api::compress;

    const MD5_INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

    /// MD5 of `salt ‖ ':' ‖ unit`, without a heap buffer.
    #[inline]
    pub(crate) fn md5_key(salt: &[u8], unit: &[u8]) -> [u8; 16] {
        let mut state = MD5_INIT;
        let mut block = [0u8; 64];
        let mut filled = 0usize;
        for part in [salt, b":".as_slice(), unit] {
            let mut rest = part;
            while !rest.is_empty() {
                let take = rest.len().min(64 - filled);
                let (head, tail) = rest.split_at(take);
                block[filled..filled + take].copy_from_slice(head);
                filled += take;
                rest = tail;
                if filled == 64 {
                    compress(&mut state, core::slice::from_ref(&block));
                    filled = 0;
                }
            }
        }
        let bits = ((salt.len() + 1 + unit.len()) as u64).wrapping_mul(8);
        block[filled] = 0x80;
        block[filled + 1..].fill(0);
        if filled >= 56 {
            compress(&mut state, core::slice::from_ref(&block));
            block = [0u8; 64];
        }
        block[56..].copy_from_slice(&bits.to_le_bytes());
        compress(&mut state, core::slice::from_ref(&block));

        let mut digest = [0u8; 16];
        for (out, word) in digest.chunks_exact_mut(4).zip(state) {
            out.copy_from_slice(&word.to_le_bytes());
        }
        digest
    }
}

/// Unit ids of 10 to 20 characters, all distinct.
fn units() -> Vec<String> {
    (0..POOL)
        .map(|i| format!("user-{i:05}{}", "x".repeat(i % 11)))
        .collect()
}

/// 50 different feature names of 20 characters.
fn features() -> Vec<String> {
    (0..BATCH)
        .map(|i| format!("{:_<20}", format!("feature_{i:02}")))
        .collect()
}

/// Where the next batch of `BATCH` units starts.
fn next_batch(start: &mut usize) -> usize {
    *start = (*start + BATCH) % (POOL - BATCH);
    *start
}

/// One feature, 50 units.
fn one_feature_many_units(c: &mut Criterion) {
    let owned = units();
    let pool: Vec<&[u8]> = owned.iter().map(|u| u.as_bytes()).collect();
    let salt = FEATURE.as_bytes();
    let mut digests = [[0u8; 16]; BATCH];

    for engine in Engine::available() {
        md5_keys_on(engine, salt, &pool[..BATCH], &mut digests);
        for (unit, digest) in pool.iter().zip(&digests) {
            assert_eq!(*digest, single::md5_key(salt, unit), "{engine}");
        }
    }

    let mut group = c.benchmark_group("md5_keys");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::new("single_md5_key", BATCH), |b| {
        let mut start = 0;
        b.iter(|| {
            let batch = &pool[next_batch(&mut start)..][..BATCH];
            for (unit, digest) in batch.iter().zip(&mut digests) {
                *digest = single::md5_key(black_box(salt), unit);
            }
            black_box(&mut digests);
        })
    });
    for engine in Engine::available() {
        group.bench_function(BenchmarkId::new(engine.to_string(), BATCH), |b| {
            let mut start = 0;
            b.iter(|| {
                let batch = &pool[next_batch(&mut start)..][..BATCH];
                md5_keys_on(engine, black_box(salt), batch, &mut digests);
                black_box(&mut digests);
            })
        });
    }
    group.bench_function(BenchmarkId::new("detected", BATCH), |b| {
        let mut start = 0;
        b.iter(|| {
            let batch = &pool[next_batch(&mut start)..][..BATCH];
            md5_keys(black_box(salt), batch, &mut digests);
            black_box(&mut digests);
        })
    });
    group.finish();
}

/// One unit, 50 features: evaluating every feature for one user.
fn one_unit_many_features(c: &mut Criterion) {
    let owned = units();
    let pool: Vec<&[u8]> = owned.iter().map(|u| u.as_bytes()).collect();
    let owned_features = features();
    let salts: Vec<&[u8]> = owned_features.iter().map(|f| f.as_bytes()).collect();
    // Each salt laid out as its keys' first block, as a snapshot keeps it.
    let blocks: Vec<[u8; 64]> = salts
        .iter()
        .map(|salt| {
            let mut block = [0u8; 64];
            block[..salt.len()].copy_from_slice(salt);
            block[salt.len()] = b':';
            block
        })
        .collect();
    let laid: Vec<Salt<'_>> = salts
        .iter()
        .zip(&blocks)
        .map(|(salt, block)| Salt::Laid {
            block,
            prefix: salt.len() + 1,
        })
        .collect();
    let mut digests = [[0u8; 16]; BATCH];

    for engine in Engine::available() {
        md5_salts_on(engine, &laid, pool[0], &mut digests);
        for (salt, digest) in salts.iter().zip(&digests) {
            assert_eq!(*digest, single::md5_key(salt, pool[0]), "{engine}");
        }
    }

    let mut group = c.benchmark_group("md5_salts");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::new("single_md5_key", BATCH), |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            let unit = black_box(pool[i]);
            for (salt, digest) in salts.iter().zip(&mut digests) {
                *digest = single::md5_key(salt, unit);
            }
            black_box(&mut digests);
        })
    });
    for engine in Engine::available() {
        group.bench_function(BenchmarkId::new(engine.to_string(), BATCH), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % POOL;
                md5_salts_on(engine, &laid, black_box(pool[i]), &mut digests);
                black_box(&mut digests);
            })
        });
    }
    group.bench_function(BenchmarkId::new("detected", BATCH), |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            md5_salts(&laid, black_box(pool[i]), &mut digests);
            black_box(&mut digests);
        })
    });
    group.finish();
}

criterion_group!(benches, one_feature_many_units, one_unit_many_features);
criterion_main!(benches);
