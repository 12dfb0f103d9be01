//! Many threads at once: readers only ever observe whole snapshots, and
//! concurrent dial changes never lose one another.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use gradual::{Config, FeatureConfig, Percentage, Rollouts, Snapshot};

const FEATURES: usize = 8;

fn name(i: usize) -> String {
    format!("feature-{i}")
}

/// A snapshot whose every feature carries the same mark as its percentage.
fn marked(mark: u16) -> Snapshot {
    let percent = f64::from(mark) / 100.0;
    let mut config = Config::new(format!("mark-{mark}"));
    for i in 0..FEATURES {
        config = config.feature(FeatureConfig::new(name(i)).percentage(percent));
    }
    Snapshot::try_from(config).expect("valid")
}

#[test]
fn readers_only_ever_see_whole_snapshots() {
    let rollouts = Rollouts::new(marked(0));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (rollouts, stop) = (rollouts.clone(), Arc::clone(&stop));
            thread::spawn(move || {
                let mut seen = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let snapshot = rollouts.load();
                    let mark = snapshot.feature(&name(0)).expect("present").percentage();
                    for i in 1..FEATURES {
                        let other = snapshot.feature(&name(i)).expect("present").percentage();
                        assert_eq!(other, mark, "half-applied snapshot {}", snapshot.revision());
                    }
                    assert_eq!(
                        snapshot.revision().label(),
                        format!("mark-{}", mark.as_basis_points())
                    );
                    seen += 1;
                }
                seen
            })
        })
        .collect();
    for mark in 1..=2000u16 {
        rollouts.replace(marked(mark % 10_001));
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().expect("reader panicked") > 0);
    }
}

#[test]
fn concurrent_updates_to_one_feature_are_never_lost() {
    // Each update reads the serving percentage and adds one basis point:
    // a lost update would leave the total short.
    let rollouts = Rollouts::new(marked(0));
    let (threads, per_thread) = (4, 500);
    let writers: Vec<_> = (0..threads)
        .map(|_| {
            let rollouts = rollouts.clone();
            thread::spawn(move || {
                for _ in 0..per_thread {
                    rollouts
                        .update(|s| {
                            let now = s.feature(&name(0)).expect("present").percentage();
                            let next = Percentage::from_basis_points(now.as_basis_points() + 1)
                                .expect("below 100%");
                            s.with_percentage(&name(0), next)
                        })
                        .expect("known feature");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer panicked");
    }
    let total = rollouts
        .load()
        .feature(&name(0))
        .expect("present")
        .percentage();
    assert_eq!(total.as_basis_points(), threads * per_thread);
    assert_eq!(rollouts.revision().edits(), u32::from(threads * per_thread));
}

#[test]
fn concurrent_dials_on_different_features_all_land() {
    let rollouts = Rollouts::new(marked(0));
    let writers: Vec<_> = (0..FEATURES)
        .map(|i| {
            let rollouts = rollouts.clone();
            thread::spawn(move || {
                for p in 0..=100u8 {
                    let p = Percentage::from_percent(p).expect("in range");
                    rollouts.set_percentage(&name(i), p).expect("known");
                }
                if i % 2 == 0 {
                    rollouts.kill(&name(i)).expect("known");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer panicked");
    }
    let snapshot = rollouts.load();
    for i in 0..FEATURES {
        let feature = snapshot.feature(&name(i)).expect("present");
        assert_eq!(feature.percentage(), Percentage::FULL, "{}", name(i));
        assert_eq!(feature.enabled(), i % 2 == 1, "{}", name(i));
    }
    assert_eq!(
        snapshot.revision().edits() as usize,
        FEATURES * 101 + FEATURES / 2
    );
}
