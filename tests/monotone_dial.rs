//! The dial is monotone: raising a rollout's percentage only ever adds
//! units and lowering it only ever removes them, in steps as fine as a
//! basis point, whether through [`Snapshot::with_percentage`], through
//! [`Rollouts::set_percentage`], or along a staged ramp advanced by a clock.
//! At every step the admitted units are exactly those whose fine bucket,
//! computed here with the md-5 crate, is below the percentage.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod common;

use common::{cases, fine};
use gradual::{
    Clock, Config, FeatureConfig, ManualClock, Percentage, RampConfig, RampStep, Rollouts,
    Snapshot, VariantConfig,
};
use proptest::prelude::*;

fn bp(basis_points: u16) -> Percentage {
    Percentage::from_basis_points(basis_points).expect("in range")
}

fn percent(basis_points: u16) -> f64 {
    f64::from(basis_points) / 100.0
}

fn feature(name: &str, basis_points: u16, variants: bool) -> FeatureConfig {
    let f = FeatureConfig::new(name).percentage(percent(basis_points));
    if variants {
        f.variant(VariantConfig::new("a", 37.5))
            .variant(VariantConfig::new("b", 62.5))
    } else {
        f
    }
}

/// The units (by index) that get `name` in `snapshot`.
fn admitted(snapshot: &Snapshot, name: &str, units: &[String]) -> BTreeSet<usize> {
    (0..units.len())
        .filter(|&i| snapshot.is_enabled(name, &units[i]))
        .collect()
}

/// The units (by index) the contract admits at `basis_points`.
fn expected(name: &str, units: &[String], basis_points: u16) -> BTreeSet<usize> {
    (0..units.len())
        .filter(|&i| fine(name, &units[i]) < basis_points)
        .collect()
}

fn names() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,24}"
}

/// Distinct units, so set sizes mean something.
fn units() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set(prop_oneof!["user-[0-9]{1,8}", "\\PC{1,30}"], 16..48)
        .prop_map(|s| s.into_iter().collect())
}

/// Percentages in basis points, biased towards the edges and small steps.
fn basis_points() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..=10_000, 0u16..=200, 9_800u16..=10_000]
}

// ----- ramp plans -----

/// When every ramp in these tests starts: 2026-01-01T00:00:00Z.
const START: &str = "2026-01-01T00:00:00Z";
const START_SECS: u64 = 1_767_225_600;

/// A ramp's steps: percentage (basis points, non-decreasing, from `base`)
/// and the minutes each step is held before the next.
#[derive(Clone, Debug)]
struct Plan {
    base: u16,
    steps: Vec<(u16, u64)>,
}

impl Plan {
    fn config(&self) -> RampConfig {
        let last = self.steps.len() - 1;
        self.steps
            .iter()
            .enumerate()
            .fold(RampConfig::starting(START), |r, (i, &(p, minutes))| {
                r.step(if i == last {
                    RampStep::last(percent(p))
                } else {
                    RampStep::hold(percent(p), format!("{minutes}m"))
                })
            })
    }

    /// The plan's percentage at `now`, by its definition: the base before
    /// the start, then the last step begun.
    fn at(&self, now: SystemTime) -> u16 {
        let mut begins = UNIX_EPOCH + Duration::from_secs(START_SECS);
        let mut current = self.base;
        for &(p, minutes) in &self.steps {
            if begins > now {
                break;
            }
            current = p;
            begins += Duration::from_secs(minutes * 60);
        }
        current
    }
}

fn plans() -> impl Strategy<Value = Plan> {
    (
        basis_points(),
        prop::collection::vec((basis_points(), 1u64..=240), 1..7),
    )
        .prop_map(|(base, mut steps)| {
            let mut ps: Vec<u16> = steps.iter().map(|s| s.0).collect();
            ps.push(base);
            ps.sort_unstable();
            let base = ps[0];
            for (step, p) in steps.iter_mut().zip(&ps[1..]) {
                step.0 = *p;
            }
            Plan { base, steps }
        })
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn with_percentage_only_adds_when_raising_and_only_removes_when_lowering(
        name in names(),
        units in units(),
        mut steps in prop::collection::vec(basis_points(), 2..12),
        variants in any::<bool>(),
    ) {
        steps.sort_unstable();
        let mut snapshot = Snapshot::try_from(
            Config::new("r1").feature(feature(&name, steps[0], variants)),
        )
        .expect("valid");
        let mut before = admitted(&snapshot, &name, &units);
        prop_assert_eq!(&before, &expected(&name, &units, steps[0]));
        // Up the sequence, then back down it.
        let down: Vec<u16> = steps.iter().rev().copied().collect();
        for (&p, raising) in steps[1..].iter().zip(std::iter::repeat(true))
            .chain(down[1..].iter().zip(std::iter::repeat(false)))
        {
            snapshot = snapshot.with_percentage(&name, bp(p)).expect("known");
            let now = admitted(&snapshot, &name, &units);
            if raising {
                prop_assert!(before.is_subset(&now), "raising to {} bp turned off {:?}",
                    p, before.difference(&now).collect::<Vec<_>>());
            } else {
                prop_assert!(now.is_subset(&before), "lowering to {} bp turned on {:?}",
                    p, now.difference(&before).collect::<Vec<_>>());
            }
            prop_assert_eq!(&now, &expected(&name, &units, p), "at {} bp", p);
            before = now;
        }
    }

    #[test]
    fn set_percentage_moves_units_only_in_the_direction_of_the_dial(
        name in names(),
        units in units(),
        walk in prop::collection::vec(basis_points(), 1..16),
        variants in any::<bool>(),
    ) {
        // Any sequence of dial moves, up and down, on a live handle with a
        // neighbouring feature that moves too.
        let rollouts = Rollouts::new(
            Snapshot::try_from(
                Config::new("r1")
                    .feature(feature(&name, 0, variants))
                    .feature(feature("neighbour", 5000, false)),
            )
            .expect("valid"),
        );
        let (mut p_before, mut before) = (0u16, BTreeSet::new());
        for (step, &p) in walk.iter().enumerate() {
            rollouts.set_percentage(&name, bp(p)).expect("known");
            rollouts.set_percentage("neighbour", bp(10_000 - p)).expect("known");
            let now = admitted(&rollouts.load(), &name, &units);
            if p >= p_before {
                prop_assert!(before.is_subset(&now), "step {}: {} -> {} bp turned off {:?}",
                    step, p_before, p, before.difference(&now).collect::<Vec<_>>());
            }
            if p <= p_before {
                prop_assert!(now.is_subset(&before), "step {}: {} -> {} bp turned on {:?}",
                    step, p_before, p, now.difference(&before).collect::<Vec<_>>());
            }
            prop_assert_eq!(&now, &expected(&name, &units, p), "at {} bp", p);
            (p_before, before) = (p, now);
        }
    }

    #[test]
    fn along_a_ramp_no_unit_ever_turns_off(
        name in names(),
        units in units(),
        plan in plans(),
        offsets in prop::collection::vec(0u64..=30 * 3_600, 1..16),
        in_order in any::<bool>(),
        variants in any::<bool>(),
    ) {
        let snapshot = Snapshot::try_from(
            Config::new("r1").feature(feature(&name, plan.base, variants).ramp(plan.config())),
        )
        .expect("valid ramp");
        let rollouts = Rollouts::new(snapshot);
        // From an hour before the start; the clock goes forward only, or
        // (when not `in_order`) jumps back and forth.
        let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(START_SECS - 3_600));
        let mut offsets = offsets;
        if in_order {
            offsets.sort_unstable();
        }
        let (mut current, mut before) = (plan.base, admitted(&rollouts.load(), &name, &units));
        prop_assert_eq!(&before, &expected(&name, &units, plan.base));
        for offset in offsets {
            clock.set(UNIX_EPOCH + Duration::from_secs(START_SECS - 3_600 + offset));
            rollouts.advance_ramps(clock.now());
            // A ramp only ever raises: the plan's percentage, or where it was.
            current = current.max(plan.at(clock.now()));
            let serving = rollouts.load();
            let percentage = serving.feature(&name).expect("present").percentage();
            prop_assert_eq!(percentage, bp(current), "at +{}s of {:?}", offset, plan);
            let now = admitted(&serving, &name, &units);
            prop_assert!(before.is_subset(&now), "at +{}s the ramp turned off {:?}",
                offset, before.difference(&now).collect::<Vec<_>>());
            prop_assert_eq!(&now, &expected(&name, &units, current));
            before = now;
        }
    }
}
