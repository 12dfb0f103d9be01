//! A unit keeps its variant: changing the rollout percentage, by any
//! sequence of moves up and down, through snapshots or a live handle,
//! never serves an included unit a different variant from the one it had,
//! which is always the variant whose range holds its variant bucket
//! (computed here with the md-5 crate).

use std::collections::BTreeMap;

mod common;

use common::{cases, variant_bucket};
use gradual::{Config, FeatureConfig, Percentage, Rollouts, Snapshot, VariantConfig};
use proptest::prelude::*;

/// The name of the variant whose range holds `vb`, the ranges laid end to
/// end in order, each as wide as its weight in basis points.
fn owner(weights: &[u16], vb: u16) -> String {
    let mut end = 0;
    for (i, w) in weights.iter().enumerate() {
        end += w;
        if vb < end {
            return variant_name(i);
        }
    }
    panic!("variant bucket {vb} beyond {weights:?}")
}

fn variant_name(i: usize) -> String {
    format!("variant-{i}")
}

fn bp(basis_points: u16) -> Percentage {
    Percentage::from_basis_points(basis_points).expect("in range")
}

fn snapshot(name: &str, weights: &[u16], basis_points: u16) -> Snapshot {
    let mut feature = FeatureConfig::new(name).percentage(f64::from(basis_points) / 100.0);
    for (i, w) in weights.iter().enumerate() {
        feature = feature.variant(VariantConfig::new(variant_name(i), f64::from(*w) / 100.0));
    }
    Snapshot::try_from(Config::new("r1").feature(feature)).expect("valid")
}

/// The variants a snapshot serves the units, by unit index (`None` when
/// the unit is out).
fn served(snapshot: &Snapshot, name: &str, units: &[String]) -> Vec<Option<String>> {
    units
        .iter()
        .map(|u| {
            let d = snapshot.evaluate(name, u);
            assert_eq!(
                d.is_enabled(),
                d.variant().is_some(),
                "{u}: on iff a variant"
            );
            d.variant().map(|v| v.name().to_owned())
        })
        .collect()
}

/// Records what each unit was served and checks it against what it had
/// before, and against the contract.
struct Ledger<'a> {
    name: &'a str,
    weights: &'a [u16],
    units: &'a [String],
    first: BTreeMap<usize, String>,
}

impl Ledger<'_> {
    fn check(&mut self, now: &[Option<String>], step: &str) -> Result<(), TestCaseError> {
        for (i, variant) in now.iter().enumerate() {
            let Some(variant) = variant else { continue };
            let unit = &self.units[i];
            let before = self.first.entry(i).or_insert_with(|| variant.clone());
            prop_assert_eq!(
                &*before,
                variant,
                "{} moved {:?} to another variant",
                step,
                unit
            );
            let vb = variant_bucket(self.name, unit);
            prop_assert_eq!(
                variant,
                &owner(self.weights, vb),
                "{}: {:?} (variant bucket {})",
                step,
                unit,
                vb
            );
        }
        Ok(())
    }
}

/// One to six variant weights in basis points summing to 10000 (zero
/// weights included: a variant may own an empty range).
fn weights() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(0u16..=10_000, 0..6).prop_map(|mut cuts| {
        cuts.push(0);
        cuts.push(10_000);
        cuts.sort_unstable();
        cuts.windows(2).map(|w| w[1] - w[0]).collect()
    })
}

fn units() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set(prop_oneof!["user-[0-9]{1,8}", "\\PC{1,30}"], 16..48)
        .prop_map(|s| s.into_iter().collect())
}

fn moves() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(
        prop_oneof![0u16..=10_000, 0u16..=300, 9_700u16..=10_000],
        1..16,
    )
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn with_percentage_never_moves_an_included_unit(
        name in "[a-z][a-z0-9_.-]{0,24}",
        weights in weights(),
        units in units(),
        start in 0u16..=10_000,
        moves in moves(),
    ) {
        let mut ledger = Ledger { name: &name, weights: &weights, units: &units, first: BTreeMap::new() };
        let mut s = snapshot(&name, &weights, start);
        ledger.check(&served(&s, &name, &units), &format!("at {start} bp"))?;
        // Every unit is in at the end, so every unit is checked at least once.
        for &p in moves.iter().chain([10_000].iter()) {
            s = s.with_percentage(&name, bp(p)).expect("known");
            ledger.check(&served(&s, &name, &units), &format!("at {p} bp"))?;
        }
        prop_assert_eq!(ledger.first.len(), units.len());
    }

    #[test]
    fn set_percentage_never_moves_an_included_unit(
        name in "[a-z][a-z0-9_.-]{0,24}",
        weights in weights(),
        units in units(),
        moves in moves(),
        kill_at in any::<prop::sample::Index>(),
    ) {
        // The same on a live handle, with a kill and a revive on the way
        // and a rollback at the end.
        let mut ledger = Ledger { name: &name, weights: &weights, units: &units, first: BTreeMap::new() };
        let rollouts = Rollouts::new(snapshot(&name, &weights, 0));
        let kill_at = kill_at.index(moves.len());
        for (i, &p) in moves.iter().chain([10_000].iter()).enumerate() {
            rollouts.set_percentage(&name, bp(p)).expect("known");
            if i == kill_at {
                rollouts.kill(&name).expect("known");
                prop_assert!(served(&rollouts.load(), &name, &units).iter().all(Option::is_none));
                rollouts.revive(&name).expect("known");
            }
            ledger.check(&served(&rollouts.load(), &name, &units), &format!("at {p} bp"))?;
        }
        prop_assert_eq!(ledger.first.len(), units.len());
        while rollouts.rollback().is_ok() {
            ledger.check(&served(&rollouts.load(), &name, &units), "after a rollback")?;
        }
    }
}
