//! The handle behaves like a simple model of it. Random sequences of
//! replace, dial changes (set_percentage, kill, revive, multi-feature
//! update), rollback, rollback_to and evaluation on a [`Rollouts`] are
//! checked after every step against a reference model written here: a
//! bounded history of configs and a map of feature to (enabled,
//! percentage), with decisions from buckets computed by the md-5 crate.
//!
//! And under concurrency: readers only ever observe whole snapshots while
//! writers increment counters through [`Rollouts::update`], and no update
//! is lost.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

mod common;

use common::{cases, fine};
use gradual::{
    Config, DialError, FeatureConfig, Percentage, Reason, RollbackError, Rollouts, Snapshot,
};
use proptest::prelude::*;

/// The feature names operations draw from; a config holds some of them,
/// so dials and evaluations also meet unknown features.
const NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
/// Salts a feature may set (`None`: its name).
const SALTS: [Option<&str>; 3] = [None, Some("shared-salt"), Some("alpha")];
/// Revision labels a config draws from; repeats make revisions collide.
const LABELS: [&str; 3] = ["r1", "r2", "r3"];

fn bp(basis_points: u16) -> Percentage {
    Percentage::from_basis_points(basis_points).expect("in range")
}

// ----- the model -----

#[derive(Clone, Debug, PartialEq)]
struct ModelFeature {
    enabled: bool,
    basis_points: u16,
    salt: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct ModelSnapshot {
    label: &'static str,
    edits: u32,
    features: BTreeMap<&'static str, ModelFeature>,
}

impl ModelSnapshot {
    fn revision(&self) -> String {
        match self.edits {
            0 => self.label.to_owned(),
            n => format!("{}+{n}", self.label),
        }
    }

    fn config(&self) -> Config {
        self.features
            .iter()
            .fold(Config::new(self.label), |config, (name, f)| {
                let mut feature = FeatureConfig::new(*name)
                    .enabled(f.enabled)
                    .percentage(f64::from(f.basis_points) / 100.0);
                if let Some(salt) = f.salt {
                    feature = feature.salt(salt);
                }
                config.feature(feature)
            })
    }

    /// The decision by the evaluation order: unknown, killed, 0%, then
    /// the fine bucket against the percentage.
    fn decide(&self, name: &str, unit: &str) -> (bool, Reason<'static>) {
        let Some(f) = self.features.get(name) else {
            return (false, Reason::UnknownFeature);
        };
        if !f.enabled {
            return (false, Reason::Killed);
        }
        if f.basis_points > 0 && fine(f.salt.unwrap_or(name), unit) < f.basis_points {
            (true, Reason::InRollout)
        } else {
            (false, Reason::OutOfRollout)
        }
    }
}

struct Model {
    current: ModelSnapshot,
    /// Earlier snapshots, oldest first, at most `limit`.
    history: VecDeque<ModelSnapshot>,
    limit: usize,
    /// The highest change number given under each label still in reach
    /// (serving or kept).
    numbered: BTreeMap<&'static str, u32>,
}

impl Model {
    /// Serves `next`; the current one goes to the bounded history. A change
    /// (`+N`) whose number its label has already given goes live with the
    /// next number instead, unless it is the serving revision itself.
    fn swap(&mut self, mut next: ModelSnapshot) -> String {
        let given = self.numbered.entry(next.label).or_insert(0);
        if next.edits != 0 && next.edits <= *given && next.revision() != self.current.revision() {
            next.edits = *given + 1;
        }
        *given = (*given).max(next.edits);
        let previous = std::mem::replace(&mut self.current, next);
        if self.limit > 0 {
            if self.history.len() == self.limit {
                self.history.pop_front();
            }
            self.history.push_back(previous);
        }
        self.forget_out_of_reach();
        self.current.revision()
    }

    fn forget_out_of_reach(&mut self) {
        let (current, history) = (&self.current, &self.history);
        self.numbered.retain(|label, _| {
            current.label == *label || history.iter().any(|s| s.label == *label)
        });
    }

    /// Applies dial changes in order, as one swap, or fails on the first
    /// unknown feature and changes nothing.
    fn dial(&mut self, changes: &[(&'static str, Dial)]) -> Result<String, DialError> {
        let mut next = self.current.clone();
        for &(name, dial) in changes {
            let Some(f) = next.features.get_mut(name) else {
                // Named by the snapshot the failing change was tried on.
                return Err(DialError::UnknownFeature {
                    feature: name.to_owned(),
                    revision: next.revision(),
                });
            };
            match dial {
                Dial::Percentage(p) => f.basis_points = p,
                Dial::Enabled(e) => f.enabled = e,
            }
            next.edits += 1;
        }
        Ok(self.swap(next))
    }

    fn rollback(&mut self) -> Result<String, RollbackError> {
        let previous = self.history.pop_back().ok_or(RollbackError::NoHistory)?;
        self.current = previous;
        self.forget_out_of_reach();
        Ok(self.current.revision())
    }

    fn rollback_to(&mut self, revision: &str) -> Result<String, RollbackError> {
        let Some(at) = self.history.iter().rposition(|s| s.revision() == revision) else {
            return Err(RollbackError::NotInHistory {
                revision: revision.to_owned(),
            });
        };
        self.history.truncate(at + 1);
        self.rollback()
    }
}

#[derive(Clone, Copy, Debug)]
enum Dial {
    Percentage(u16),
    Enabled(bool),
}

#[derive(Clone, Debug)]
enum Op {
    Replace(ModelSnapshot),
    SetPercentage(usize, u16),
    Kill(usize),
    Revive(usize),
    /// Several percentage changes as one [`Rollouts::update`].
    Update(Vec<(usize, u16)>),
    Rollback,
    /// To a kept revision (picked by index, if any is kept), or to `r9`.
    RollbackTo(Option<prop::sample::Index>),
    Evaluate(usize, usize),
}

// ----- generators -----

fn basis_points() -> impl Strategy<Value = u16> {
    prop_oneof![Just(0u16), Just(10_000u16), 0u16..=10_000]
}

fn model_snapshots() -> impl Strategy<Value = ModelSnapshot> {
    (
        prop::sample::select(LABELS.to_vec()),
        prop::collection::vec(
            (
                any::<bool>(),
                prop::bool::weighted(0.8),
                basis_points(),
                prop::sample::select(SALTS.to_vec()),
            ),
            NAMES.len(),
        ),
    )
        .prop_map(|(label, features)| ModelSnapshot {
            label,
            edits: 0,
            features: NAMES
                .iter()
                .zip(features)
                .filter(|(_, (present, ..))| *present)
                .map(|(name, (_, enabled, basis_points, salt))| {
                    (
                        *name,
                        ModelFeature {
                            enabled,
                            basis_points,
                            salt,
                        },
                    )
                })
                .collect(),
        })
}

fn ops() -> impl Strategy<Value = Op> {
    let feature = 0..NAMES.len();
    prop_oneof![
        1 => model_snapshots().prop_map(Op::Replace),
        3 => (feature.clone(), basis_points()).prop_map(|(f, p)| Op::SetPercentage(f, p)),
        1 => feature.clone().prop_map(Op::Kill),
        1 => feature.clone().prop_map(Op::Revive),
        1 => prop::collection::vec((feature.clone(), basis_points()), 0..4).prop_map(Op::Update),
        2 => Just(Op::Rollback),
        1 => prop::option::of(any::<prop::sample::Index>()).prop_map(Op::RollbackTo),
        2 => (feature, 0..UNITS).prop_map(|(f, u)| Op::Evaluate(f, u)),
    ]
}

const UNITS: usize = 6;

fn units() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop_oneof!["user-[0-9]{1,6}", "\\PC{1,20}"], UNITS)
}

// ----- the comparison -----

/// The handle and the model agree on everything observable: the serving
/// revision, the history, every feature's dial and salt, and the decision
/// for every feature name and unit.
fn agree(rollouts: &Rollouts, model: &Model, units: &[String]) -> Result<(), TestCaseError> {
    let serving = rollouts.load();
    let revision = serving.revision();
    prop_assert_eq!(revision.to_string(), model.current.revision());
    prop_assert_eq!(revision.label(), model.current.label);
    prop_assert_eq!(revision.edits(), model.current.edits);
    let history: Vec<String> = rollouts.history().iter().map(ToString::to_string).collect();
    let expected: Vec<String> = model
        .history
        .iter()
        .rev()
        .map(ModelSnapshot::revision)
        .collect();
    prop_assert_eq!(history, expected, "history, newest first");

    let features: BTreeMap<&str, ModelFeature> = serving
        .features()
        .map(|f| {
            let salt = (f.salt() != f.name()).then(|| {
                SALTS
                    .iter()
                    .flatten()
                    .copied()
                    .find(|s| *s == f.salt())
                    .expect("a salt from the pool")
            });
            (
                f.name(),
                ModelFeature {
                    enabled: f.enabled(),
                    basis_points: f.percentage().as_basis_points(),
                    salt,
                },
            )
        })
        .collect();
    let mut want = model.current.features.clone();
    // A salt equal to the name is indistinguishable from no salt.
    for (name, f) in want.iter_mut() {
        if f.salt == Some(*name) {
            f.salt = None;
        }
    }
    prop_assert_eq!(
        features,
        want.iter()
            .map(|(n, f)| (*n, f.clone()))
            .collect::<BTreeMap<_, _>>()
    );

    for name in NAMES {
        for unit in units {
            let d = serving.evaluate(name, unit);
            prop_assert_eq!(
                (d.is_enabled(), d.reason()),
                model.current.decide(name, unit),
                "{} for {:?} in {}",
                name,
                unit,
                revision
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn the_handle_follows_the_model(
        start in model_snapshots(),
        limit in 0usize..5,
        ops in prop::collection::vec(ops(), 1..60),
        units in units(),
    ) {
        let rollouts = Rollouts::builder()
            .no_metrics()
            .history(limit)
            .build(Snapshot::try_from(start.config()).expect("valid"));
        let mut model = Model {
            current: start,
            history: VecDeque::new(),
            limit,
            numbered: BTreeMap::new(),
        };
        agree(&rollouts, &model, &units)?;
        for (step, op) in ops.into_iter().enumerate() {
            let what = format!("step {step}: {op:?}");
            match op {
                Op::Replace(next) => {
                    let got = rollouts.replace(Snapshot::try_from(next.config()).expect("valid"));
                    prop_assert_eq!(got.to_string(), model.swap(next), "{}", what);
                }
                Op::SetPercentage(f, p) => {
                    let got = rollouts.set_percentage(NAMES[f], bp(p)).map(|r| r.to_string());
                    prop_assert_eq!(got, model.dial(&[(NAMES[f], Dial::Percentage(p))]), "{}", what);
                }
                Op::Kill(f) => {
                    let got = rollouts.kill(NAMES[f]).map(|r| r.to_string());
                    prop_assert_eq!(got, model.dial(&[(NAMES[f], Dial::Enabled(false))]), "{}", what);
                }
                Op::Revive(f) => {
                    let got = rollouts.revive(NAMES[f]).map(|r| r.to_string());
                    prop_assert_eq!(got, model.dial(&[(NAMES[f], Dial::Enabled(true))]), "{}", what);
                }
                Op::Update(changes) => {
                    let got = rollouts
                        .update(|s| {
                            changes
                                .iter()
                                .try_fold(s.clone(), |s, &(f, p)| s.with_percentage(NAMES[f], bp(p)))
                        })
                        .map(|r| r.to_string());
                    let dials: Vec<_> = changes
                        .iter()
                        .map(|&(f, p)| (NAMES[f], Dial::Percentage(p)))
                        .collect();
                    prop_assert_eq!(got, model.dial(&dials), "{}", what);
                }
                Op::Rollback => {
                    let got = rollouts.rollback().map(|r| r.to_string());
                    prop_assert_eq!(got, model.rollback(), "{}", what);
                }
                Op::RollbackTo(pick) => {
                    let target = match pick {
                        Some(i) if !model.history.is_empty() => {
                            model.history[i.index(model.history.len())].revision()
                        }
                        _ => "r9".to_owned(),
                    };
                    let got = rollouts.rollback_to(&target).map(|r| r.to_string());
                    prop_assert_eq!(got, model.rollback_to(&target), "{}", what);
                }
                Op::Evaluate(f, u) => {
                    let (name, unit) = (NAMES[f], &units[u]);
                    prop_assert_eq!(
                        rollouts.is_enabled(name, unit),
                        model.current.decide(name, unit).0,
                        "{}", what
                    );
                }
            }
            agree(&rollouts, &model, &units).map_err(|e| {
                TestCaseError::fail(format!("after {what}: {e}"))
            })?;
        }
    }
}

// ----- under concurrency -----

/// Features that every snapshot carries with one and the same mark.
const MARKED: usize = 6;
const MARK_WRITERS: u16 = 3;
const COUNTER_WRITERS: u16 = 2;
const UPDATES: u16 = 300;
const READERS: usize = 3;

fn marked(i: usize) -> String {
    format!("marked-{i}")
}

fn counter(i: u16) -> String {
    format!("counter-{i}")
}

/// The percentage of a feature in basis points.
fn basis_points_of(snapshot: &Snapshot, name: &str) -> u16 {
    snapshot
        .feature(name)
        .expect("present")
        .percentage()
        .as_basis_points()
}

#[test]
fn readers_see_whole_snapshots_while_counting_writers_lose_nothing() {
    let config = (0..MARKED)
        .map(marked)
        .chain((0..COUNTER_WRITERS).map(counter))
        .fold(Config::new("start"), |c, name| {
            c.feature(FeatureConfig::new(name))
        });
    let rollouts = Rollouts::new(Snapshot::try_from(config).expect("valid"));
    // Units whose answer for `marked-0` must follow the mark exactly.
    let probes: Vec<(String, u16)> = (0..8)
        .map(|i| {
            let unit = format!("probe-{i}");
            let bucket = fine(&marked(0), &unit);
            (unit, bucket)
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (rollouts, stop, probes) = (rollouts.clone(), Arc::clone(&stop), probes.clone());
            thread::spawn(move || {
                let (mut loads, mut last_mark) = (0u64, 0u16);
                loop {
                    let done = stop.load(Ordering::Acquire);
                    let s = rollouts.load();
                    let mark = basis_points_of(&s, &marked(0));
                    for i in 1..MARKED {
                        assert_eq!(
                            basis_points_of(&s, &marked(i)),
                            mark,
                            "half-applied update in {}",
                            s.revision()
                        );
                    }
                    // Every update is one swap: mark updates of MARKED
                    // edits each, plus the counters' single edits.
                    let counters: u32 = (0..COUNTER_WRITERS)
                        .map(|i| u32::from(basis_points_of(&s, &counter(i))))
                        .sum();
                    assert_eq!(
                        s.revision().edits(),
                        u32::from(mark) * MARKED as u32 + counters,
                        "revision {} with mark {mark}",
                        s.revision()
                    );
                    assert!(mark >= last_mark, "went back from {last_mark} to {mark}");
                    for (unit, bucket) in &probes {
                        assert_eq!(s.is_enabled(&marked(0), unit), *bucket < mark, "{unit}");
                    }
                    last_mark = mark;
                    loads += 1;
                    if done {
                        return loads;
                    }
                }
            })
        })
        .collect();

    let mark_writers = (0..MARK_WRITERS).map(|_| {
        let rollouts = rollouts.clone();
        thread::spawn(move || {
            for _ in 0..UPDATES {
                rollouts
                    .update(|s| {
                        let next = bp(basis_points_of(s, &marked(0)) + 1);
                        (0..MARKED).try_fold(s.clone(), |s, i| s.with_percentage(&marked(i), next))
                    })
                    .expect("known features");
            }
        })
    });
    let counter_writers = (0..COUNTER_WRITERS).map(|i| {
        let rollouts = rollouts.clone();
        thread::spawn(move || {
            for _ in 0..UPDATES {
                rollouts
                    .update(|s| {
                        let next = bp(basis_points_of(s, &counter(i)) + 1);
                        s.with_percentage(&counter(i), next)
                    })
                    .expect("known feature");
            }
        })
    });
    let writers: Vec<_> = mark_writers.chain(counter_writers).collect();
    for writer in writers {
        writer.join().expect("writer panicked");
    }
    stop.store(true, Ordering::Release);
    let loads: u64 = readers
        .into_iter()
        .map(|r| r.join().expect("reader panicked"))
        .sum();
    assert!(loads >= READERS as u64);

    let s = rollouts.load();
    assert_eq!(basis_points_of(&s, &marked(0)), MARK_WRITERS * UPDATES);
    for i in 0..COUNTER_WRITERS {
        assert_eq!(basis_points_of(&s, &counter(i)), UPDATES, "{}", counter(i));
    }
    assert_eq!(
        s.revision().edits(),
        u32::from(MARK_WRITERS * UPDATES) * MARKED as u32 + u32::from(COUNTER_WRITERS * UPDATES)
    );
}
