//! Readers under writes: two threads evaluate while a writer swaps in a new
//! snapshot 1,000 times a second, beside the same with no writer, and beside
//! an `RwLock<Arc<Snapshot>>` twin of the handle under the same writer.
//!
//! Run with `cargo bench --bench contention`. Compare each group's
//! with-writer time to its no-writer time.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gradual::{Config, FeatureConfig, Rollouts, Snapshot};

const FEATURE: &str = "new_checkout_design2";
const POOL: usize = 4096;
const READERS: u64 = 2;

fn units() -> Arc<Vec<String>> {
    Arc::new(
        (0..POOL)
            .map(|i| format!("user-{i:05}-{}", "x".repeat(i % 9)))
            .collect(),
    )
}

fn snapshot(mark: u32) -> Snapshot {
    // Ten features, so a swap replaces a realistic amount of state.
    let mut config = Config::new(format!("mark-{mark}"));
    for i in 0..10 {
        config = config.feature(FeatureConfig::new(format!("feature_{i}")).percentage(10 + i));
    }
    config = config.feature(FeatureConfig::new(FEATURE).percentage(50));
    Snapshot::try_from(config).expect("valid bench config")
}

/// What the readers read from: the handle, or the lock-based twin.
trait Served: Clone + Send + 'static {
    fn is_enabled(&self, feature: &str, unit: &str) -> bool;
    fn swap(&self, next: Snapshot);
}

impl Served for Rollouts {
    fn is_enabled(&self, feature: &str, unit: &str) -> bool {
        Rollouts::is_enabled(self, feature, unit)
    }
    fn swap(&self, next: Snapshot) {
        self.replace(next);
    }
}

/// The obvious alternative: a read-write lock around the current snapshot.
#[derive(Clone)]
struct Locked(Arc<RwLock<Arc<Snapshot>>>);

impl Served for Locked {
    fn is_enabled(&self, feature: &str, unit: &str) -> bool {
        self.0
            .read()
            .expect("not poisoned")
            .is_enabled(feature, unit)
    }
    fn swap(&self, next: Snapshot) {
        *self.0.write().expect("not poisoned") = Arc::new(next);
    }
}

/// Wall time for `READERS` threads to do `iters` evaluations each, with a
/// writer swapping every millisecond if `writing`.
fn run<S: Served>(served: &S, units: &Arc<Vec<String>>, writing: bool, iters: u64) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let writer = writing.then(|| {
        let (served, stop) = (served.clone(), Arc::clone(&stop));
        // Snapshots are built ahead, so the writer's cost is the swap.
        let prepared: Vec<Snapshot> = (0..64).map(snapshot).collect();
        thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                served.swap(prepared[i % prepared.len()].clone());
                i += 1;
                thread::sleep(Duration::from_millis(1));
            }
        })
    });
    let start = Instant::now();
    let readers: Vec<_> = (0..READERS)
        .map(|t| {
            let (served, units) = (served.clone(), Arc::clone(units));
            thread::spawn(move || {
                let mut i = (t as usize) * 997;
                for _ in 0..iters {
                    i = (i + 1) % POOL;
                    black_box(served.is_enabled(black_box(FEATURE), black_box(&units[i])));
                }
            })
        })
        .collect();
    for r in readers {
        r.join().expect("reader");
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    if let Some(w) = writer {
        w.join().expect("writer");
    }
    elapsed
}

fn readers_under_writes(c: &mut Criterion) {
    let units = units();
    let rollouts = Rollouts::builder().no_metrics().build(snapshot(0));
    let locked = Locked(Arc::new(RwLock::new(Arc::new(snapshot(0)))));
    let mut group = c.benchmark_group("two_readers");
    group.throughput(Throughput::Elements(READERS));
    group.bench_function("rollouts_no_writer", |b| {
        b.iter_custom(|n| run(&rollouts, &units, false, n))
    });
    group.bench_function("rollouts_writer_1000_per_s", |b| {
        b.iter_custom(|n| run(&rollouts, &units, true, n))
    });
    group.bench_function("rwlock_no_writer", |b| {
        b.iter_custom(|n| run(&locked, &units, false, n))
    });
    group.bench_function("rwlock_writer_1000_per_s", |b| {
        b.iter_custom(|n| run(&locked, &units, true, n))
    });
    group.finish();
}

criterion_group!(benches, readers_under_writes);
criterion_main!(benches);
