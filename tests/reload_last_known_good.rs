//! The reloader swaps in only fully valid configs; on any failure the last
//! known-good snapshot keeps serving, requests keep flowing, and the status
//! says what happened and when.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use gradual::{
    Config, FeatureConfig, Fetch, ManualClock, Reload, ReloadError, Reloader, Revision, Rollouts,
    Source, StaticSource,
};

fn good(revision: &str, percent: u8) -> Config {
    Config::new(revision).feature(FeatureConfig::new("checkout").percentage(percent))
}

/// A source that answers from a script of results, counting fetches.
struct Scripted {
    script: Vec<Result<Fetch, std::io::Error>>,
    fetches: Arc<AtomicUsize>,
}

impl Source for Scripted {
    type Error = std::io::Error;

    fn fetch(&mut self, _serving: &Revision) -> Result<Fetch, std::io::Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        if self.script.is_empty() {
            Ok(Fetch::Unchanged)
        } else {
            self.script.remove(0)
        }
    }
}

#[test]
fn invalid_configs_never_go_live_and_the_last_good_one_keeps_serving() {
    let source = StaticSource::new(good("r1", 100));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source.clone(), rollouts.clone());
    reloader.reload().expect("r1 is valid");

    source.set(good("r2", 140).feature(FeatureConfig::new("other").percentage(50)));
    match reloader.reload() {
        Err(ReloadError::Invalid(e)) => {
            assert_eq!(
                e.to_string(),
                "feature `checkout`: percentage 140 is out of range (0..=100)"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(rollouts.revision().to_string(), "r1");
    assert!(rollouts.is_enabled("checkout", "anyone"));
    assert!(
        rollouts.load().feature("other").is_none(),
        "no part of r2 went live"
    );

    source.set(good("r3", 0));
    assert!(matches!(reloader.reload(), Ok(Reload::Applied(_))));
    assert_eq!(rollouts.revision().to_string(), "r3");
    assert!(!rollouts.is_enabled("checkout", "anyone"));
}

#[test]
fn source_errors_keep_serving_and_are_reported() {
    let fetches = Arc::new(AtomicUsize::new(0));
    let source = Scripted {
        script: vec![
            Ok(Fetch::Config(good("r1", 50))),
            Err(std::io::Error::other("connection refused")),
            Err(std::io::Error::other("timed out")),
            Ok(Fetch::Unchanged),
            Ok(Fetch::Config(good("r2", 60))),
        ],
        fetches: Arc::clone(&fetches),
    };
    let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_000));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::with_clock(source, rollouts.clone(), clock.clone());
    let status = reloader.status_handle();

    assert_eq!(status.get().last_attempt, None);
    reloader.reload().expect("r1");
    let t1 = UNIX_EPOCH + Duration::from_secs(1_000);
    assert_eq!(status.get().last_success, Some(t1));
    assert_eq!(status.get().applied, 1);

    clock.advance(Duration::from_secs(30));
    let err = reloader.reload().unwrap_err();
    assert_eq!(
        err.to_string(),
        "fetching config failed: connection refused"
    );
    assert!(matches!(err, ReloadError::Source(_)));
    clock.advance(Duration::from_secs(30));
    reloader.reload().unwrap_err();
    let s = status.get();
    assert_eq!(s.serving.to_string(), "r1");
    assert_eq!(s.last_success, Some(t1));
    assert_eq!(s.last_attempt, Some(t1 + Duration::from_secs(60)));
    assert_eq!(
        s.last_error.as_deref(),
        Some("fetching config failed: timed out")
    );
    assert_eq!(s.consecutive_failures, 2);

    // The source answers again, "unchanged": it is back, and what it
    // holds (r1) is serving. A success.
    clock.advance(Duration::from_secs(30));
    assert_eq!(reloader.reload().expect("unchanged"), Reload::Unchanged);
    let s = status.get();
    let t2 = t1 + Duration::from_secs(90);
    assert_eq!((s.last_success, s.last_attempt), (Some(t2), Some(t2)));
    assert_eq!(
        (s.last_error, s.consecutive_failures, s.applied),
        (None, 0, 1)
    );

    // A new config goes live.
    clock.advance(Duration::from_secs(30));
    assert!(matches!(reloader.reload(), Ok(Reload::Applied(_))));
    let s = status.get();
    assert_eq!(s.last_success, Some(t1 + Duration::from_secs(120)));
    assert_eq!(
        (s.last_error, s.consecutive_failures, s.applied),
        (None, 0, 2)
    );
    assert_eq!(fetches.load(Ordering::Relaxed), 5);
}

#[test]
fn a_rejected_config_stays_reported_while_the_source_holds_it() {
    let source = StaticSource::new(good("r1", 50));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source.clone(), rollouts.clone());
    reloader.reload().expect("r1");
    source.set(good("r2", 140));
    assert!(reloader.reload().is_err());
    for _ in 0..3 {
        assert_eq!(reloader.reload().expect("unchanged"), Reload::Unchanged);
        let s = reloader.status();
        assert_eq!(
            s.last_error.as_deref(),
            Some("config rejected: feature `checkout`: percentage 140 is out of range (0..=100)")
        );
        assert_eq!(s.serving.to_string(), "r1");
    }
    source.set(good("r3", 10));
    reloader.reload().expect("r3");
    assert_eq!(reloader.status().last_error, None);
}

#[test]
fn a_rejected_config_stays_reported_across_a_source_error() {
    let source = Scripted {
        script: vec![
            Ok(Fetch::Config(good("r1", 50))),
            Ok(Fetch::Config(good("r2", 140))),
            Err(std::io::Error::other("timed out")),
            Ok(Fetch::Unchanged),
        ],
        fetches: Arc::default(),
    };
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source, rollouts.clone());
    reloader.reload().expect("r1");
    assert!(matches!(reloader.reload(), Err(ReloadError::Invalid(_))));
    assert!(matches!(reloader.reload(), Err(ReloadError::Source(_))));
    // Unchanged since its last config: r2, which was rejected.
    assert_eq!(reloader.reload().expect("unchanged"), Reload::Unchanged);
    let s = reloader.status();
    assert_eq!(
        s.last_error.as_deref(),
        Some("config rejected: feature `checkout`: percentage 140 is out of range (0..=100)")
    );
    assert_eq!(s.consecutive_failures, 2);
    assert_eq!(s.serving.to_string(), "r1");
}

#[test]
fn unchanged_swaps_nothing() {
    let source = StaticSource::new(good("r1", 50));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source, rollouts.clone());
    reloader.reload().expect("r1");
    let before = rollouts.snapshot();
    for _ in 0..100 {
        assert_eq!(reloader.reload().expect("ok"), Reload::Unchanged);
    }
    assert!(
        Arc::ptr_eq(&before, &rollouts.snapshot()),
        "the same snapshot serves"
    );
    assert_eq!(
        rollouts.history().len(),
        1,
        "only the first reload replaced anything"
    );
}

#[test]
fn a_reload_reports_what_it_changed_and_can_be_rolled_back() {
    let source = StaticSource::new(good("r1", 5));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source.clone(), rollouts.clone());
    reloader.reload().expect("r1");
    source.set(good("r2", 25).feature(FeatureConfig::new("search").percentage(1)));
    let Reload::Applied(report) = reloader.reload().expect("r2") else {
        panic!("applied")
    };
    assert_eq!(report.added(), ["search"]);
    assert_eq!(report.changed()[0].blast_radius().turned_on(), 0.20);
    assert_eq!(
        report.to_string(),
        "r1 -> r2: 1 added, 0 removed, 1 changed\n  + search\n  ~ checkout (percentage): turns on 20% of units"
    );
    rollouts.rollback().expect("r1 kept");
    assert_eq!(rollouts.revision().to_string(), "r1");
}

#[test]
fn requests_keep_being_served_through_failing_reloads() {
    let source = StaticSource::new(good("good", 100));
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(source.clone(), rollouts.clone());
    reloader.reload().expect("good");
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let server = {
        let (rollouts, stop, served) = (rollouts.clone(), Arc::clone(&stop), Arc::clone(&served));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                assert!(
                    rollouts.is_enabled("checkout", "user-1"),
                    "only the good config serves"
                );
                served.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let mut reloads = 0;
    // Keep failing reloads going until the server has answered plenty of
    // requests alongside them (at least 200 reloads, whatever the scheduling).
    while reloads < 200 || served.load(Ordering::Relaxed) < 10_000 {
        source.set(good(&format!("bad-{reloads}"), 101));
        assert!(reloader.reload().is_err());
        reloads += 1;
    }
    stop.store(true, Ordering::Relaxed);
    server
        .join()
        .expect("the server thread saw only the good config");
    assert_eq!(reloader.status().consecutive_failures, reloads);
    assert_eq!(rollouts.revision().to_string(), "good");
}
