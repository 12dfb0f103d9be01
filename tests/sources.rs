//! The shipped sources: in-memory, test data, and local overrides layered
//! on a remote source with their documented precedence.

use gradual::{
    Config, FeatureConfig, Fetch, Layered, Percentage, Reload, Reloader, Revision, Rollouts,
    Source, StaticSource, TestData,
};

fn revision() -> Revision {
    Snapshot::empty().revision().clone()
}
use gradual::Snapshot;

#[test]
fn static_source_answers_unchanged_until_set() {
    let mut source = StaticSource::new(Config::new("r1"));
    let mut other_clone = source.clone();
    assert!(matches!(source.fetch(&revision()), Ok(Fetch::Config(c)) if c.revision == "r1"));
    assert_eq!(source.fetch(&revision()), Ok(Fetch::Unchanged));
    other_clone.set(Config::new("r2"));
    assert!(matches!(source.fetch(&revision()), Ok(Fetch::Config(c)) if c.revision == "r2"));
    // Each clone tracks what it has seen.
    assert!(matches!(other_clone.fetch(&revision()), Ok(Fetch::Config(c)) if c.revision == "r2"));
}

#[test]
fn test_data_pins_flags_in_a_line() {
    let flags = TestData::new();
    let rollouts = flags.rollouts();
    assert!(!rollouts.is_enabled("x", "u"), "unknown until pinned");
    flags
        .on("x")
        .off("y")
        .percentage("z", Percentage::from_percent(50).expect("50"));
    assert!(rollouts.is_enabled("x", "u"));
    assert!(!rollouts.is_enabled("y", "u"));
    let on = (0..2000)
        .filter(|i| rollouts.is_enabled("z", &format!("u{i}")))
        .count();
    let expected = (0..2000)
        .filter(|i| gradual::bucket("z", &format!("u{i}")).percent() < 50)
        .count();
    assert_eq!(on, expected, "bucketed as in production");
    flags.variant("theme", "dark", serde_json::json!({ "bg": "#000" }));
    let snapshot = rollouts.load();
    let d = snapshot.evaluate("theme", "u");
    assert_eq!(d.variant().map(|v| v.name()), Some("dark"));
    assert_eq!(
        d.variant().and_then(|v| v.value()),
        Some(&serde_json::json!({ "bg": "#000" }))
    );
    flags.off("x");
    assert!(!rollouts.is_enabled("x", "u"), "changes apply mid-test");
    flags.feature(FeatureConfig::new("listed").allow(["vip"]));
    assert!(rollouts.is_enabled("listed", "vip") && !rollouts.is_enabled("listed", "u"));
}

#[test]
#[should_panic(expected = "TestData: feature `bad`: percentage 140 is out of range (0..=100)")]
fn test_data_panics_loudly_on_an_invalid_feature() {
    TestData::new().feature(FeatureConfig::new("bad").percentage(140));
}

#[test]
fn an_invalid_test_data_call_leaves_the_flags_as_they_were() {
    let flags = TestData::new();
    flags.on("x");
    let bad = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        flags.feature(FeatureConfig::new("bad").percentage(140));
    }));
    assert!(bad.is_err(), "the invalid call panics");
    flags.on("y");
    let rollouts = flags.rollouts();
    assert!(rollouts.is_enabled("x", "u") && rollouts.is_enabled("y", "u"));
    assert!(rollouts.load().feature("bad").is_none());
}

#[test]
fn a_percentage_override_takes_a_feature_off_its_ramp() {
    let ramped = |revision: &str| {
        Config::new(revision).feature(
            FeatureConfig::new("f").ramp(
                gradual::RampConfig::starting("1970-01-01T00:00:00Z")
                    .step(gradual::RampStep::hold(5, "1h"))
                    .step(gradual::RampStep::last(25)),
            ),
        )
    };
    let remote = StaticSource::new(ramped("r1"));
    let layered = Layered::new(remote.clone());
    let overrides = layered.overrides();
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(layered, rollouts.clone());
    reloader.reload().expect("r1");
    rollouts.advance_ramps(std::time::SystemTime::now());
    let live = || {
        rollouts
            .load()
            .feature("f")
            .expect("f")
            .percentage()
            .to_string()
    };
    assert_eq!(live(), "25%");

    // Forced to 50%, above the ramp's steps, then to 0% and 10%: each goes
    // live, and the ramp no longer moves it.
    for (forced, want) in [(50, "50%"), (0, "0%"), (10, "10%")] {
        overrides.set_percentage("f", Percentage::from_percent(forced).expect("in range"));
        reloader.reload().expect("the override goes live");
        rollouts.advance_ramps(std::time::SystemTime::now());
        assert_eq!(live(), want);
    }
    // The remote keeps reloading meanwhile.
    remote.set(ramped("r2").feature(FeatureConfig::new("g").percentage(100)));
    reloader.reload().expect("r2");
    assert!(rollouts.is_enabled("g", "u"));
    assert_eq!(live(), "10%");

    // Cleared: back on its ramp, from where it was (not the config's 0%);
    // the next advance takes it to the plan's 25%.
    overrides.clear("f");
    reloader.reload().expect("r2 without overrides");
    assert_eq!(live(), "10%");
    rollouts.advance_ramps(std::time::SystemTime::now());
    assert_eq!(live(), "25%");
}

#[test]
fn a_forced_percentage_above_the_plan_comes_down_to_it_when_cleared() {
    let remote = StaticSource::new(Config::new("r1").feature(FeatureConfig::new("f").ramp(
        gradual::RampConfig::starting("1970-01-01T00:00:00Z").step(gradual::RampStep::last(25)),
    )));
    let layered = Layered::new(remote);
    let overrides = layered.overrides();
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(layered, rollouts.clone());
    reloader.reload().expect("r1");
    rollouts.advance_ramps(std::time::SystemTime::now());
    overrides.set_percentage("f", Percentage::from_percent(50).expect("50"));
    reloader.reload().expect("forced");
    overrides.clear("f");
    let Ok(Reload::Applied(report)) = reloader.reload() else {
        panic!("cleared");
    };
    let live = rollouts.load().feature("f").expect("f").percentage();
    assert_eq!(live.to_string(), "25%");
    assert_eq!(report.changed()[0].blast_radius().turned_off(), 0.25);
}

#[test]
fn test_data_is_a_source_too() {
    let flags = TestData::new();
    flags.on("x");
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(flags.clone(), rollouts.clone());
    assert!(matches!(reloader.reload(), Ok(Reload::Applied(_))));
    assert!(rollouts.is_enabled("x", "u"));
    assert_eq!(reloader.reload().expect("ok"), Reload::Unchanged);
    flags.off("x");
    reloader.reload().expect("ok");
    assert!(!rollouts.is_enabled("x", "u"));
}

#[test]
fn overrides_win_over_the_remote_for_the_fields_they_set() {
    let remote = StaticSource::new(
        Config::new("r1")
            .feature(FeatureConfig::new("a").percentage(100))
            .feature(FeatureConfig::new("b").percentage(0)),
    );
    let layered = Layered::new(remote.clone());
    let overrides = layered.overrides();
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(layered, rollouts.clone());
    reloader.reload().expect("r1");
    assert_eq!(rollouts.revision().label(), "r1", "no override, no suffix");

    overrides.kill("a");
    overrides.set_percentage("b", Percentage::FULL);
    overrides.kill("not_in_remote"); // applies to nothing, fails nothing
    assert!(
        matches!(reloader.reload(), Ok(Reload::Applied(_))),
        "override changes alone reload"
    );
    assert!(!rollouts.is_enabled("a", "u"));
    assert!(rollouts.is_enabled("b", "u"));
    assert_eq!(rollouts.revision().label(), "r1+overrides.3");

    // The remote changes a's percentage and b's kill switch: the fields the
    // overrides set still win, the others follow the remote.
    remote.set(
        Config::new("r2")
            .feature(FeatureConfig::new("a").percentage(100))
            .feature(FeatureConfig::new("b").percentage(0).enabled(false)),
    );
    reloader.reload().expect("r2");
    assert!(
        !rollouts.is_enabled("a", "u"),
        "the forced kill survives a remote change"
    );
    assert!(
        !rollouts.is_enabled("b", "u"),
        "b's kill switch was not overridden"
    );

    overrides.clear("a");
    overrides.revive("b");
    reloader.reload().expect("r2 again");
    assert!(rollouts.is_enabled("a", "u") && rollouts.is_enabled("b", "u"));
    assert_eq!(overrides.list().len(), 2, "b and not_in_remote remain");
    assert_eq!(reloader.reload().expect("ok"), Reload::Unchanged);
}

/// A remote that can be taken down, answers "unchanged" when asked about
/// the revision it last gave, and remembers the revisions it was asked
/// about.
#[derive(Clone)]
struct Remote {
    state: std::sync::Arc<std::sync::Mutex<(bool, Config, Vec<String>)>>,
}

#[derive(Debug)]
struct Down;

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("remote down")
    }
}

impl std::error::Error for Down {}

impl Remote {
    fn new(config: Config) -> Self {
        Remote {
            state: std::sync::Arc::new(std::sync::Mutex::new((true, config, Vec::new()))),
        }
    }

    fn set_up(&self, up: bool) {
        self.state.lock().expect("lock").0 = up;
    }

    fn asked(&self) -> Vec<String> {
        self.state.lock().expect("lock").2.clone()
    }
}

impl Source for Remote {
    type Error = Down;

    fn fetch(&mut self, serving: &Revision) -> Result<Fetch, Down> {
        let mut state = self.state.lock().expect("lock");
        state.2.push(serving.label().to_owned());
        if !state.0 {
            return Err(Down);
        }
        Ok(if serving.label() == state.1.revision {
            Fetch::Unchanged
        } else {
            Fetch::Config(state.1.clone())
        })
    }
}

/// An operator's kill goes live while the remote is down (on the last
/// config it gave), and the outage is reported by the reload after.
#[test]
fn an_override_goes_live_while_the_remote_is_down() {
    let remote =
        Remote::new(Config::new("r1").feature(FeatureConfig::new("checkout").percentage(100)));
    let layered = Layered::new(remote.clone());
    let overrides = layered.overrides();
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(layered, rollouts.clone());
    reloader.reload().expect("r1");
    assert!(rollouts.is_enabled("checkout", "u"));

    remote.set_up(false);
    overrides.kill("checkout");
    assert!(matches!(reloader.reload(), Ok(Reload::Applied(_))));
    assert!(!rollouts.is_enabled("checkout", "u"));
    assert_eq!(rollouts.revision().label(), "r1+overrides.1");
    assert!(
        reloader.reload().is_err(),
        "the outage shows at the next reload"
    );
    assert!(!rollouts.is_enabled("checkout", "u"));
}

/// The remote is asked about the revision it gave, not the layered label:
/// with an override in force it still answers "unchanged", and a change
/// made on the handle is not undone by every poll.
#[test]
fn the_remote_is_asked_about_its_own_revision() {
    let remote = Remote::new(
        Config::new("r1")
            .feature(FeatureConfig::new("checkout").percentage(100))
            .feature(FeatureConfig::new("search").percentage(100)),
    );
    let layered = Layered::new(remote.clone());
    let overrides = layered.overrides();
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(layered, rollouts.clone());
    reloader.reload().expect("r1");
    overrides.kill("checkout");
    reloader.reload().expect("override");
    rollouts.kill("search").expect("known");
    for _ in 0..3 {
        assert_eq!(reloader.reload().expect("ok"), Reload::Unchanged);
    }
    assert!(
        !rollouts.is_enabled("search", "u"),
        "the handle's kill stands"
    );
    assert_eq!(remote.asked(), ["empty", "r1", "r1", "r1", "r1"]);
}

#[test]
fn an_override_cannot_put_an_invalid_config_live() {
    let remote =
        StaticSource::new(Config::new("r1").feature(FeatureConfig::new("a").percentage(140)));
    let layered = Layered::new(remote);
    let rollouts = Rollouts::default();
    let mut reloader = Reloader::new(layered, rollouts.clone());
    assert!(reloader.reload().is_err());
    assert_eq!(rollouts.revision().label(), "empty");
}
