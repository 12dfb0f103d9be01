//! What a reload costs: JSON text to a live snapshot, from 1,000 to 100,000
//! features, and a reload whose source answers "unchanged". Also prints the
//! heap bytes a snapshot holds per feature.
//!
//! Run with `cargo bench --bench reload`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gradual::{Config, Reloader, Rollouts, Snapshot, StaticSource};

/// Counts live heap bytes, to report memory per feature.
struct Live;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged, only counting bytes.
unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Live = Live;

/// A config of `n` features in the shapes real configs have: most plain
/// percentages, some with allow lists, rules or variants.
fn config_json(n: usize) -> String {
    let mut features = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("team{}_feature_{i:06}", i % 37);
        let feature = match i % 10 {
            0 => format!(
                r#"{{"name":"{name}","percentage":{},"allow":["qa-1","qa-2","staff-{i}"]}}"#,
                i % 101
            ),
            1 => format!(
                r#"{{"name":"{name}","percentage":25,"rules":[{{"conditions":[{{"attribute":"country","op":"in","values":["NL","BE"]}}],"serve":"on"}},{{"conditions":[{{"attribute":"app_version","op":"semver_lt","values":["2.3"]}}],"serve":"off"}}]}}"#
            ),
            2 => format!(
                r#"{{"name":"{name}","percentage":100,"variants":[{{"name":"a","weight":50,"value":{{"n":1}}}},{{"name":"b","weight":50,"value":"x"}}]}}"#
            ),
            _ => format!(r#"{{"name":"{name}","percentage":{}.5}}"#, i % 100),
        };
        features.push(feature);
    }
    format!(
        r#"{{"schema_version":1,"revision":"bench","features":[{}]}}"#,
        features.join(",")
    )
}

fn json_to_live_snapshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("reload_json_to_live");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let text = config_json(n);
        group.throughput(Throughput::Elements(n as u64));
        // History 1: measure loading, not the retention of earlier snapshots.
        let rollouts = Rollouts::builder().history(1).build(Snapshot::empty());
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let config: Config = serde_json::from_str(black_box(text)).expect("valid JSON");
                let snapshot = Snapshot::try_from(config).expect("valid config");
                black_box(rollouts.replace(snapshot))
            })
        });

        let before = LIVE.load(Ordering::Relaxed);
        let snapshot = Snapshot::try_from(serde_json::from_str::<Config>(&text).expect("JSON"))
            .expect("valid");
        let held = LIVE.load(Ordering::Relaxed) - before;
        println!(
            "memory: {n} features, snapshot holds {:.1} MiB, {} bytes per feature",
            held as f64 / (1024.0 * 1024.0),
            held / n as isize
        );
        black_box(&snapshot);
    }
    group.finish();
}

fn unchanged(c: &mut Criterion) {
    let source = StaticSource::new(serde_json::from_str(&config_json(10_000)).expect("JSON"));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source, rollouts);
    reloader.reload().expect("first load");
    c.bench_function("reload_unchanged_10k_features", |b| {
        b.iter(|| black_box(reloader.reload().expect("ok")))
    });
}

criterion_group!(benches, json_to_live_snapshot, unchanged);
criterion_main!(benches);
