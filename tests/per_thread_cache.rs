//! `Rollouts::is_enabled` caches each thread's serving snapshot: the cache
//! never answers for the wrong handle or a replaced snapshot, survives
//! nested calls from an observer, and lets a replaced snapshot go at the
//! thread's next call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, mpsc};

use gradual::{
    Config, Context, Decision, Feature, FeatureConfig, Metrics, Observer, Percentage, Rollouts,
    Snapshot,
};

fn snapshot(revision: &str, percent: u8) -> Snapshot {
    Snapshot::try_from(Config::new(revision).feature(FeatureConfig::new("f").percentage(percent)))
        .expect("valid")
}

/// Handles that disagree, read in turn on one thread: each call answers
/// for its own handle, whichever one the thread caches.
#[test]
fn handles_read_in_turn_answer_for_themselves() {
    let on = Rollouts::new(snapshot("on", 100));
    let off = Rollouts::new(snapshot("off", 0));
    for round in 0..50 {
        // Runs of one, two and three calls, so that either handle gets
        // cached and loses the cache again.
        for _ in 0..round % 3 + 1 {
            assert!(on.is_enabled("f", "u"), "round {round}");
        }
        for _ in 0..round % 2 + 1 {
            assert!(!off.is_enabled("f", "u"), "round {round}");
            let context = Context::new("u");
            assert!(!off.is_enabled_with("f", &context), "round {round}");
        }
    }
    // A clone reads the same state, so it sees a change made through the
    // handle it was cloned from.
    let clone = on.clone();
    assert!(clone.is_enabled("f", "u"));
    on.kill("f").expect("known");
    assert!(!clone.is_enabled("f", "u"));
    assert!(off.is_enabled("f", "u") == off.load().is_enabled("f", "u"));
}

/// Every change is seen by the very next call on the thread that made
/// it, and by the next call of another thread that has the handle cached.
#[test]
fn the_next_call_sees_every_change() {
    let rollouts = Rollouts::new(snapshot("r1", 100));
    let (ask, asked) = mpsc::channel::<()>();
    let (tell, told) = mpsc::channel();
    let worker = {
        let rollouts = rollouts.clone();
        std::thread::spawn(move || {
            for () in asked {
                tell.send(rollouts.is_enabled("f", "u"))
                    .expect("test waits");
            }
        })
    };
    for i in 0..200 {
        let on = i % 2 == 0;
        let percent = if on { 100 } else { 0 };
        rollouts
            .set_percentage("f", Percentage::from_percent(percent).expect("valid"))
            .expect("known");
        assert_eq!(rollouts.is_enabled("f", "u"), on, "change {i}");
        // Twice: the worker's first call may be the one that caches.
        for _ in 0..2 {
            ask.send(()).expect("worker runs");
            assert_eq!(
                told.recv().expect("worker answers"),
                on,
                "change {i}, worker"
            );
        }
    }
    drop(ask);
    worker.join().expect("worker");
}

/// An observer that evaluates through the same handle, on the same
/// thread, while the outer call holds the thread's cache.
#[derive(Default)]
struct Nested {
    rollouts: OnceLock<Rollouts>,
    inner_on: AtomicU64,
}

impl Observer for Nested {
    fn observe(&self, feature: &Feature, _context: &Context<'_>, _decision: &Decision<'_>) {
        if feature.name() == "f"
            && let Some(rollouts) = self.rollouts.get()
            && rollouts.is_enabled("g", "u")
        {
            self.inner_on.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[test]
fn an_observer_may_evaluate_through_the_same_handle() {
    let nested = Arc::new(Nested::default());
    let config = Config::new("r1")
        .feature(FeatureConfig::new("f").percentage(100))
        .feature(FeatureConfig::new("g").percentage(100));
    let rollouts = Rollouts::builder()
        .metrics(Metrics::new().with_observer(nested.clone()))
        .build(Snapshot::try_from(config).expect("valid"));
    nested
        .rollouts
        .set(rollouts.clone())
        .unwrap_or_else(|_| unreachable!("set once"));
    for _ in 0..10 {
        assert!(rollouts.is_enabled("f", "u"));
    }
    assert_eq!(nested.inner_on.load(Ordering::Relaxed), 10);
    rollouts.kill("g").expect("known");
    assert!(rollouts.is_enabled("f", "u"));
    assert_eq!(nested.inner_on.load(Ordering::Relaxed), 10);
}

/// The cache holds the snapshot a thread last read, and lets it go at the
/// thread's next call after a swap (with no history keeping it either).
#[test]
fn a_replaced_snapshot_is_let_go_at_the_next_call() {
    let rollouts = Rollouts::builder().history(0).build(snapshot("r1", 100));
    let first = rollouts.snapshot();
    assert!(rollouts.is_enabled("f", "u"));
    assert!(rollouts.is_enabled("f", "u"));
    assert!(
        Arc::strong_count(&first) >= 3,
        "held by the handle, this test and the thread's cache"
    );
    rollouts.replace(snapshot("r2", 0));
    assert!(!rollouts.is_enabled("f", "u"));
    assert_eq!(
        Arc::strong_count(&first),
        1,
        "only this test holds the replaced snapshot"
    );
}
