//! Per-request cost of evaluation, beside md-5's own digest of the same keys.
//!
//! Run with `cargo bench --bench evaluate`. Each group times the thing
//! measured and its baseline in the same run, so compare their ratio, not
//! raw nanoseconds across machines.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use md5::{Digest, Md5};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gradual::{
    ConditionConfig, Config, Context, FeatureConfig, FeatureName, Metrics, Operator, Rollouts,
    RuleConfig, Serve, Snapshot, Value, VariantConfig,
};

/// Times `f` over the pool of units, a different unit each iteration, its
/// result consumed through `black_box`.
fn over_units<R>(b: &mut criterion::Bencher<'_>, units: &[String], mut f: impl FnMut(&str) -> R) {
    let mut i = 0;
    b.iter(|| {
        i = (i + 1) % units.len();
        black_box(f(black_box(&units[i])))
    })
}

/// A typical feature name: 20 characters.
const FEATURE: &str = "new_checkout_design2";
/// Distinct units, so no run measures one cached key (a power of two for
/// cheap cycling).
const POOL: usize = 4096;

/// Unit ids of 10 to 20 characters, all distinct.
fn units() -> Vec<String> {
    (0..POOL)
        .map(|i| {
            let id = format!("user-{i:05}-");
            let pad = i % 9;
            format!("{id}{}", "x".repeat(pad))
        })
        .collect()
}

/// The same 20-character feature name with three rules that the bench's
/// contexts fail (so every rule is tried) and a three-way variant split.
const TARGETED: &str = "new_checkout_design3";

fn targeted() -> FeatureConfig {
    FeatureConfig::new(TARGETED)
        .percentage(50)
        .rule(RuleConfig::new(Serve::Off).condition(ConditionConfig::new(
            "app_version",
            Operator::SemverLt,
            ["2.3"],
        )))
        .rule(RuleConfig::new(Serve::On).condition(
            ConditionConfig::new("email", Operator::EndsWith, ["@example.com"]).case_insensitive(),
        ))
        .rule(RuleConfig::percentage(10).condition(ConditionConfig::new(
            "country",
            Operator::In,
            ["NL", "BE", "LU"],
        )))
        .variant(VariantConfig::new("control", 50))
        .variant(VariantConfig::new("one_page", 25).value("1p"))
        .variant(VariantConfig::new("wizard", 25).value("wz"))
}

/// Features besides the measured ones, so that finding a feature by name
/// hashes it as in a real config (a map of a few names is scanned).
const OTHER_FEATURES: usize = 40;

fn snapshot() -> Snapshot {
    let mut config = Config::new("bench")
        .feature(FeatureConfig::new(FEATURE).percentage(50))
        .feature(FeatureConfig::new("killed").percentage(50).enabled(false))
        .feature(FeatureConfig::new("zero").percentage(0))
        .feature(FeatureConfig::new("full").percentage(100))
        .feature(
            FeatureConfig::new("listed")
                .percentage(50)
                .allow(["vip-000042"])
                .deny(["blocked-07"]),
        )
        .feature(targeted())
        // An allow list of 1,000 units: looked up in a hashed table.
        .feature(
            FeatureConfig::new("listed_many")
                .percentage(50)
                .allow((0..1000).map(|i| format!("vip-{i:06}")))
                .deny(["blocked-07"]),
        );
    for i in 0..OTHER_FEATURES {
        config = config.feature(FeatureConfig::new(format!("other_feature_{i:02}")).percentage(50));
    }
    Snapshot::try_from(config).expect("valid bench config")
}

/// One evaluation of a 50% feature, which always hashes, against the md-5
/// digest of the same `"{feature}:{unit}"` keys.
fn percentage(c: &mut Criterion) {
    let units = units();
    let keys: Vec<String> = units.iter().map(|u| format!("{FEATURE}:{u}")).collect();
    let snapshot = snapshot();
    let rollouts = Rollouts::new(snapshot.clone());

    let mut group = c.benchmark_group("percentage_50");
    group.throughput(Throughput::Elements(1));
    group.bench_function("md5_digest_baseline", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            black_box(Md5::digest(black_box(keys[i].as_bytes())))
        })
    });
    group.bench_function("snapshot_evaluate", |b| {
        over_units(b, &units, |unit| {
            snapshot.evaluate(black_box(FEATURE), unit)
        })
    });
    group.bench_function("reader_is_enabled", |b| {
        let mut reader = rollouts.reader();
        over_units(b, &units, |unit| {
            reader.is_enabled(black_box(FEATURE), unit)
        })
    });
    group.bench_function("reader_is_enabled_feature_name", |b| {
        let mut reader = rollouts.reader();
        let name = FeatureName::new(FEATURE);
        over_units(b, &units, |unit| reader.is_enabled(black_box(&name), unit))
    });
    group.bench_function("rollouts_is_enabled", |b| {
        over_units(b, &units, |unit| {
            rollouts.is_enabled(black_box(FEATURE), unit)
        })
    });
    let attributes = [
        ("app_version", Value::Str("2.4.1")),
        ("email", Value::Str("someone@mail.test")),
        ("country", Value::Str("FR")),
    ];
    group.bench_function("snapshot_evaluate_three_rules_and_variants", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            let context = Context::new(black_box(&units[i])).with_attributes(&attributes);
            black_box(snapshot.evaluate_with(black_box(TARGETED), &context))
        })
    });
    // The same through a reader (metrics on), which remembers where it
    // found the feature: the hot path's way.
    group.bench_function("reader_evaluate_three_rules_and_variants", |b| {
        let mut reader = rollouts.reader();
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % POOL;
            let context = Context::new(black_box(&units[i])).with_attributes(&attributes);
            // The decision borrows the reader: consumed here, in place.
            black_box(&reader.evaluate_with(black_box(TARGETED), &context));
        })
    });
    group.finish();
}

/// The paths that decide without hashing.
fn short_circuit(c: &mut Criterion) {
    let units = units();
    let rollouts = Rollouts::new(snapshot());
    let mut group = c.benchmark_group("short_circuit");
    group.throughput(Throughput::Elements(1));
    // Allow and deny hits: a listed unit, looked up in the feature's lists
    // (two units, scanned; or 1,001, hashed).
    let hits = [
        ("listed", "allowed", "vip-000042"),
        ("listed", "denied", "blocked-07"),
        ("listed_many", "allowed_of_1000", "vip-000042"),
    ];
    for (feature, name, unit) in hits {
        let mut reader = rollouts.reader();
        group.bench_function(BenchmarkId::new("reader", name), |b| {
            b.iter(|| black_box(reader.is_enabled(black_box(feature), black_box(unit))))
        });
    }
    // The same through a `FeatureName`, which skips the name lookup.
    for (feature, name, unit) in hits {
        let mut reader = rollouts.reader();
        let feature = FeatureName::new(feature);
        group.bench_function(BenchmarkId::new("reader_feature_name", name), |b| {
            b.iter(|| black_box(reader.is_enabled(black_box(&feature), black_box(unit))))
        });
    }
    for feature in ["killed", "zero", "full", "unknown_feature_name"] {
        group.bench_with_input(
            BenchmarkId::new("reader_feature_name", feature),
            feature,
            |b, feature| {
                let mut reader = rollouts.reader();
                let name = FeatureName::from(feature.to_string());
                over_units(b, &units, |unit| reader.is_enabled(black_box(&name), unit))
            },
        );
    }
    let quiet = Rollouts::builder().no_metrics().build(snapshot());
    for (name, unit) in [("allowed", "vip-000042"), ("denied", "blocked-07")] {
        let mut reader = quiet.reader();
        group.bench_function(BenchmarkId::new("reader_no_metrics", name), |b| {
            b.iter(|| black_box(reader.is_enabled(black_box("listed"), black_box(unit))))
        });
    }
    for feature in ["killed", "zero", "full"] {
        group.bench_with_input(
            BenchmarkId::new("reader_no_metrics", feature),
            feature,
            |b, feature| {
                let mut reader = quiet.reader();
                over_units(b, &units, |unit| {
                    reader.is_enabled(black_box(feature), unit)
                })
            },
        );
    }
    for feature in ["killed", "zero", "full", "unknown_feature_name"] {
        group.bench_with_input(
            BenchmarkId::new("reader", feature),
            feature,
            |b, feature| {
                let mut reader = rollouts.reader();
                over_units(b, &units, |unit| {
                    reader.is_enabled(black_box(feature), unit)
                })
            },
        );
    }
    for feature in ["killed", "zero", "full", "unknown_feature_name"] {
        group.bench_with_input(
            BenchmarkId::from_parameter(feature),
            feature,
            |b, feature| {
                over_units(b, &units, |unit| {
                    rollouts.is_enabled(black_box(feature), unit)
                })
            },
        );
    }
    group.finish();
}

/// The cost of recording exposure metrics: one thread with metrics on and
/// off, and two threads on the same feature, beside a naive shared counter
/// (one `AtomicU64` both threads add to) that shows what striping avoids.
fn metrics(c: &mut Criterion) {
    let units = Arc::new(units());
    let off = Rollouts::builder().no_metrics().build(snapshot());
    let on = Rollouts::builder()
        .metrics(Metrics::new())
        .build(snapshot());

    let mut group = c.benchmark_group("metrics_one_thread");
    group.throughput(Throughput::Elements(1));
    for (name, rollouts) in [("off", &off), ("on", &on)] {
        group.bench_function(name, |b| {
            over_units(b, &units, |unit| {
                rollouts.is_enabled(black_box(FEATURE), unit)
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("metrics_two_threads_one_feature");
    group.throughput(Throughput::Elements(2));
    let shared = Arc::new(AtomicU64::new(0));
    for (name, rollouts, naive) in [
        ("off", &off, false),
        ("on", &on, false),
        ("off_plus_one_shared_counter", &off, true),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| two_threads(rollouts, &units, &shared, naive, iters))
        });
    }
    group.finish();
}

/// Two threads each evaluate `iters` times; the wall time of the pair.
fn two_threads(
    rollouts: &Rollouts,
    units: &Arc<Vec<String>>,
    shared: &Arc<AtomicU64>,
    naive: bool,
    iters: u64,
) -> Duration {
    let start = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|t| {
            let (rollouts, units, shared) =
                (rollouts.clone(), Arc::clone(units), Arc::clone(shared));
            std::thread::spawn(move || {
                let mut i = t * 1000;
                for _ in 0..iters {
                    i = (i + 1) % POOL;
                    black_box(rollouts.is_enabled(black_box(FEATURE), black_box(&units[i])));
                    if naive {
                        shared.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("bench thread");
    }
    start.elapsed()
}

/// Keys of several lengths, the last needing two MD5 blocks: evaluation
/// beside md-5's digest of the same keys, for each shape.
fn key_lengths(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_length");
    group.throughput(Throughput::Elements(1));
    for (feature, unit_len) in [
        ("beta", 10usize),
        ("new_checkout_design2", 20),
        ("payments.retry_policy.exponential_backoff_v2", 60),
    ] {
        let units: Vec<String> = (0..POOL)
            .map(|i| format!("{i:0width$}", width = unit_len))
            .collect();
        let keys: Vec<String> = units.iter().map(|u| format!("{feature}:{u}")).collect();
        let snapshot = Snapshot::try_from(
            Config::new("b").feature(FeatureConfig::new(feature).percentage(50)),
        )
        .expect("valid");
        let shape = format!("{}B", keys[0].len());
        group.bench_with_input(
            BenchmarkId::new("md5_digest_baseline", &shape),
            &keys,
            |b, keys| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % POOL;
                    black_box(Md5::digest(black_box(keys[i].as_bytes())))
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("snapshot_evaluate", &shape),
            &units,
            |b, units| over_units(b, units, |unit| snapshot.evaluate(black_box(feature), unit)),
        );
    }
    group.finish();
}

/// The SIMD hashing engines this CPU has, by number and name.
fn simd_engines() -> Vec<(usize, String)> {
    let names = gradual::__bench::engine_names();
    names
        .into_iter()
        .enumerate()
        .filter(|(_, name)| !name.starts_with("portable"))
        .collect()
}

/// The batch paths beside the same work done one call at a time: every
/// feature of a 50-feature config for one unit, and one feature's buckets
/// for 50 units.
fn batches(c: &mut Criterion) {
    const N: usize = 50;
    let units = units();
    let mut config = Config::new("batch");
    let names: Vec<String> = (0..N)
        .map(|i| format!("feature_{i:02}_checkout_v"))
        .collect(); // 20 characters
    for name in &names {
        config = config.feature(FeatureConfig::new(name.clone()).percentage(50));
    }
    let snapshot = Snapshot::try_from(config).expect("valid");

    let mut group = c.benchmark_group("evaluate_all_50_features");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("50_single_evaluations", |b| {
        let mut u = 0;
        b.iter(|| {
            u = (u + 1) % POOL;
            for name in &names {
                black_box(snapshot.evaluate(black_box(name), black_box(&units[u])));
            }
        })
    });
    group.bench_function("evaluate_all", |b| {
        let mut u = 0;
        let mut out = [gradual::Decision::default(); N];
        b.iter(|| {
            u = (u + 1) % POOL;
            black_box(snapshot.evaluate_all(&Context::new(black_box(&units[u])), &mut out));
            black_box(&out);
        })
    });
    group.bench_function("evaluate_all_portable_path", |b| {
        let mut u = 0;
        let mut out = [gradual::Decision::default(); N];
        b.iter(|| {
            u = (u + 1) % POOL;
            black_box(gradual::__bench::evaluate_all_portable(
                &snapshot,
                &Context::new(black_box(&units[u])),
                &mut out,
            ));
            black_box(&out);
        })
    });
    // Every SIMD path this CPU has, beside the one `evaluate_all` picks.
    for (engine, name) in simd_engines() {
        group.bench_function(format!("evaluate_all_{name}"), |b| {
            let mut u = 0;
            let mut out = [gradual::Decision::default(); N];
            b.iter(|| {
                u = (u + 1) % POOL;
                black_box(gradual::__bench::evaluate_all_on(
                    engine,
                    &snapshot,
                    &Context::new(black_box(&units[u])),
                    &mut out,
                ));
                black_box(&out);
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("buckets_50_units");
    group.throughput(Throughput::Elements(N as u64));
    let batches: Vec<Vec<&str>> = units
        .chunks(N)
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    group.bench_function("50_single_buckets", |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % batches.len();
            for unit in &batches[k] {
                black_box(gradual::bucket(black_box(FEATURE), black_box(unit)));
            }
        })
    });
    group.bench_function("buckets_portable_path", |b| {
        let mut k = 0;
        let mut out = [gradual::Bucket::default(); N];
        b.iter(|| {
            k = (k + 1) % batches.len();
            black_box(gradual::__bench::buckets_portable(
                black_box(FEATURE),
                black_box(&batches[k]),
                &mut out,
            ));
            black_box(&out);
        })
    });
    group.bench_function("buckets", |b| {
        let mut k = 0;
        let mut out = [gradual::Bucket::default(); N];
        b.iter(|| {
            k = (k + 1) % batches.len();
            black_box(gradual::buckets(
                black_box(FEATURE),
                black_box(&batches[k]),
                &mut out,
            ));
            black_box(&out);
        })
    });
    for (engine, name) in simd_engines() {
        group.bench_function(format!("buckets_{name}"), |b| {
            let mut k = 0;
            let mut out = [gradual::Bucket::default(); N];
            b.iter(|| {
                k = (k + 1) % batches.len();
                black_box(gradual::__bench::buckets_on(
                    engine,
                    black_box(FEATURE),
                    black_box(&batches[k]),
                    &mut out,
                ));
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    percentage,
    short_circuit,
    metrics,
    key_lengths,
    batches
);
criterion_main!(benches);
