//! Exposure metrics count exactly what was decided, by reason and variant,
//! from many threads at once, and carry on across dial changes, reloads and
//! rollbacks; deltas and observers see the same numbers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gradual::{
    ConditionConfig, Config, Context, Decision, Feature, FeatureConfig, Metrics, Observer,
    Operator, Percentage, Rollouts, RuleConfig, Serve, Snapshot, Value, VariantConfig,
};

fn config(revision: &str, percent: u8) -> Config {
    Config::new(revision)
        .feature(
            FeatureConfig::new("checkout")
                .percentage(percent)
                .allow(["vip"])
                .deny(["blocked"])
                .rule(RuleConfig::new(Serve::Off).condition(ConditionConfig::new(
                    "country",
                    Operator::Equals,
                    ["KP"],
                )))
                .variant(VariantConfig::new("a", 30))
                .variant(VariantConfig::new("b", 70)),
        )
        .feature(FeatureConfig::new("killed").enabled(false))
}

fn handle(metrics: &Metrics, config: Config) -> Rollouts {
    Rollouts::builder()
        .metrics(metrics.clone())
        .build(Snapshot::try_from(config).expect("valid"))
}

#[test]
fn counts_match_the_decisions_exactly() {
    let metrics = Metrics::new();
    let rollouts = handle(&metrics, config("r1", 40));
    let (mut on, mut off, mut a, mut b, mut rule) = (0, 0, 0, 0, 0);
    let kp = [("country", Value::Str("KP"))];
    let snapshot = rollouts.load();
    for i in 0..5000 {
        let unit = format!("user-{i}");
        let attrs: &[(&str, Value<'_>)] = if i % 10 == 0 { &kp } else { &[] };
        let d = snapshot.evaluate_with("checkout", &Context::new(&unit).with_attributes(attrs));
        if d.is_enabled() {
            on += 1;
            match d.variant().map(|v| v.name()) {
                Some("a") => a += 1,
                Some("b") => b += 1,
                other => panic!("variant {other:?}"),
            }
        } else {
            off += 1;
        }
        rule += u64::from(matches!(d.reason(), gradual::Reason::Rule { .. }));
    }
    for unit in ["vip", "blocked", "vip"] {
        snapshot.evaluate("checkout", unit);
    }
    snapshot.evaluate("killed", "x");
    snapshot.evaluate("unknown", "x");

    let counts = metrics.snapshot();
    let c = counts.feature("checkout").expect("counted");
    assert_eq!((c.on, c.off), (on + 2, off + 1));
    let reason = |enabled, name| {
        c.by_reason
            .iter()
            .find(|(e, r, _)| *e == enabled && *r == name)
            .map_or(0, |t| t.2)
    };
    assert_eq!(reason(true, "allowed"), 2);
    assert_eq!(reason(false, "denied"), 1);
    assert_eq!(reason(false, "rule"), rule);
    assert_eq!(reason(true, "in_rollout"), on);
    assert_eq!(reason(false, "out_of_rollout"), off - rule);
    let variant = |name: &str| {
        c.by_variant
            .iter()
            .find(|(v, _)| v == name)
            .map_or(0, |t| t.1)
    };
    assert_eq!(
        variant("a") + variant("b"),
        on + 2,
        "allowed units get a variant too"
    );
    assert!(variant("a") >= a && variant("b") >= b);
    assert_eq!(counts.feature("killed").expect("counted").off, 1);
    assert!(
        counts.feature("unknown").is_none(),
        "unknown names are not counted"
    );
}

#[test]
fn many_threads_lose_no_count() {
    let metrics = Metrics::with_stripes(4);
    let rollouts = handle(&metrics, config("r1", 100));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let rollouts = rollouts.clone();
            std::thread::spawn(move || {
                for i in 0..20_000 {
                    rollouts.is_enabled("checkout", &format!("{t}-{i}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let c = metrics.snapshot();
    let c = c.feature("checkout").expect("counted");
    assert_eq!(c.on + c.off, 120_000);
}

#[test]
fn counts_carry_on_across_dial_reload_and_rollback() {
    let metrics = Metrics::new();
    let rollouts = handle(&metrics, config("r1", 100));
    rollouts.is_enabled("checkout", "u1");
    rollouts
        .set_percentage("checkout", Percentage::ZERO)
        .expect("known");
    rollouts.is_enabled("checkout", "u2");
    rollouts.replace(Snapshot::try_from(config("r2", 100)).expect("valid"));
    rollouts.is_enabled("checkout", "u3");
    rollouts.rollback().expect("history");
    rollouts.is_enabled("checkout", "u4");
    let c = metrics.snapshot();
    let c = c.feature("checkout").expect("counted");
    assert_eq!((c.on, c.off), (2, 2));
}

#[test]
fn a_variant_change_keeps_old_totals() {
    let metrics = Metrics::new();
    let rollouts = handle(&metrics, config("r1", 100));
    for i in 0..100 {
        rollouts.is_enabled("checkout", &format!("u{i}"));
    }
    let renamed = Config::new("r2").feature(
        FeatureConfig::new("checkout")
            .percentage(100)
            .variant(VariantConfig::new("a", 30))
            .variant(VariantConfig::new("c", 70)),
    );
    rollouts.replace(Snapshot::try_from(renamed).expect("valid"));
    for i in 0..100 {
        rollouts.is_enabled("checkout", &format!("u{i}"));
    }
    let c = metrics.snapshot();
    let c = c.feature("checkout").expect("counted");
    assert_eq!(c.on, 200);
    let names: Vec<&str> = c.by_variant.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(c.by_variant.iter().map(|(_, n)| n).sum::<u64>(), 200);
}

#[test]
fn reloads_that_reorder_add_or_drop_features_count_each_feature_in_its_own_totals() {
    let metrics = Metrics::new();
    let rollouts = handle(&metrics, config("r1", 100));
    rollouts.is_enabled("checkout", "u1");
    rollouts.is_enabled("killed", "u1");
    // The same features, swapped: each keeps counting into its own totals.
    let swapped = Config::new("r2")
        .feature(FeatureConfig::new("killed").enabled(false))
        .feature(config("r2", 100).features[0].clone());
    rollouts.replace(Snapshot::try_from(swapped).expect("valid"));
    rollouts.is_enabled("checkout", "u2");
    // One more feature, then one fewer.
    let grown = config("r3", 100).feature(FeatureConfig::new("new").percentage(100));
    rollouts.replace(Snapshot::try_from(grown).expect("valid"));
    rollouts.is_enabled("new", "u3");
    rollouts.is_enabled("killed", "u3");
    rollouts.replace(Snapshot::try_from(config("r4", 100)).expect("valid"));
    rollouts.is_enabled("checkout", "u4");
    let c = metrics.snapshot();
    let counts = |f: &str| c.feature(f).map(|e| (e.on, e.off));
    assert_eq!(counts("checkout"), Some((3, 0)));
    assert_eq!(counts("killed"), Some((0, 2)));
    assert_eq!(counts("new"), Some((1, 0)));
}

#[test]
fn deltas_subtract_an_earlier_snapshot() {
    let metrics = Metrics::new();
    let rollouts = handle(&metrics, config("r1", 100));
    rollouts.is_enabled("checkout", "u1");
    let first = metrics.snapshot();
    for unit in ["u2", "u3", "blocked"] {
        rollouts.is_enabled("checkout", unit);
    }
    let delta = metrics.snapshot().since(&first);
    let c = delta.feature("checkout").expect("present");
    assert_eq!((c.on, c.off), (2, 1));
    assert_eq!(
        metrics
            .snapshot()
            .since(&metrics.snapshot())
            .feature("checkout")
            .map(|c| c.on),
        Some(0)
    );
}

#[derive(Default)]
struct Sink {
    on: AtomicU64,
    off: AtomicU64,
}

impl Observer for Sink {
    fn observe(&self, feature: &Feature, _context: &Context<'_>, decision: &Decision<'_>) {
        assert_eq!(feature.name(), "checkout");
        let counter = if decision.is_enabled() {
            &self.on
        } else {
            &self.off
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn an_observer_sees_every_recorded_decision() {
    let sink = Arc::new(Sink::default());
    let metrics = Metrics::new().with_observer(sink.clone());
    let rollouts = handle(&metrics, config("r1", 50));
    for i in 0..1000 {
        rollouts.is_enabled("checkout", &format!("u{i}"));
    }
    let c = metrics.snapshot();
    let c = c.feature("checkout").expect("counted");
    assert_eq!(sink.on.load(Ordering::Relaxed), c.on);
    assert_eq!(sink.off.load(Ordering::Relaxed), c.off);
    assert_eq!(c.on + c.off, 1000);
}

#[test]
fn a_registry_given_an_observer_late_shares_its_counts_and_keeps_counting() {
    let metrics = Metrics::new();
    let rollouts = handle(&metrics, config("r1", 100));
    rollouts.is_enabled("checkout", "u1");
    let observed = metrics.clone().with_observer(Arc::new(Sink::default()));
    // The handle keeps its registry; a reload with the same features goes
    // on counting into the same totals, and the copy sees them too.
    rollouts.replace(Snapshot::try_from(config("r2", 100)).expect("valid"));
    rollouts.is_enabled("checkout", "u2");
    for m in [&metrics, &observed] {
        let c = m.snapshot();
        assert_eq!(c.feature("checkout").map(|e| e.on), Some(2));
    }
}

#[test]
fn recording_can_be_switched_off() {
    let rollouts = Rollouts::builder()
        .no_metrics()
        .build(Snapshot::try_from(config("r1", 100)).expect("valid"));
    assert!(rollouts.metrics().is_none());
    assert!(rollouts.is_enabled("checkout", "u"));

    let metrics = Metrics::new();
    let recording = handle(&metrics, config("r1", 100));
    // A snapshot evaluated outside any recording handle counts nothing.
    let detached = Snapshot::try_from(config("r1", 100)).expect("valid");
    detached.evaluate("checkout", "u");
    assert_eq!(
        metrics.snapshot().feature("checkout").map(|c| c.on),
        Some(0)
    );
    recording.is_enabled("checkout", "u");
    assert_eq!(
        metrics.snapshot().feature("checkout").map(|c| c.on),
        Some(1)
    );
}

/// A handle without metrics counts nothing, also when it serves a snapshot
/// taken from a handle with them (built from it, or swapped in): it does
/// not count into the other handle's registry.
#[test]
fn a_handle_without_metrics_never_counts_into_another_s() {
    let metrics = Metrics::new();
    let recording = handle(&metrics, config("r1", 100));
    let on = || metrics.snapshot().feature("checkout").map(|c| c.on);
    let quiet = Rollouts::builder().no_metrics().build(Snapshot::empty());
    quiet.replace((*recording.snapshot()).clone());
    let built = Rollouts::builder()
        .no_metrics()
        .build((*recording.snapshot()).clone());
    for unit in ["a", "b", "c"] {
        assert!(quiet.is_enabled("checkout", unit));
        assert!(built.is_enabled("checkout", unit));
        assert!(built.reader().is_enabled("checkout", unit));
    }
    assert_eq!(on(), Some(0));
    // After a dial change too.
    quiet
        .set_percentage("checkout", Percentage::FULL)
        .expect("known");
    quiet.is_enabled("checkout", "d");
    assert_eq!(on(), Some(0));
    recording.is_enabled("checkout", "e");
    assert_eq!(on(), Some(1));
}

/// A feature whose variants changed has its counts in two blocks; its
/// reasons still come in the fixed order (allowed before in rollout), not
/// in the order the blocks first saw them, so equal counts compare equal.
#[test]
fn reasons_keep_their_order_across_a_variant_change() {
    let with_variant = |revision: &str, variant: &str| {
        Config::new(revision).feature(
            FeatureConfig::new("f")
                .percentage(100)
                .allow(["vip"])
                .variant(VariantConfig::new(variant, 100)),
        )
    };
    let metrics = Metrics::new();
    let rollouts = handle(&metrics, with_variant("r1", "x"));
    rollouts.is_enabled("f", "someone");
    rollouts.replace(Snapshot::try_from(with_variant("r2", "y")).expect("valid"));
    rollouts.is_enabled("f", "vip");
    let counts = metrics.snapshot();
    let f = counts.feature("f").expect("counted");
    let reasons: Vec<&str> = f.by_reason.iter().map(|&(_, reason, _)| reason).collect();
    assert_eq!(reasons, ["allowed", "in_rollout"]);
    // A delta leaves out variants that counted nothing in between.
    rollouts.is_enabled("f", "vip");
    let delta = metrics.snapshot().since(&counts);
    let f = delta.feature("f").expect("counted");
    assert_eq!(f.by_variant, [("y".to_owned(), 1)]);
}

/// A stripe count past any machine's threads is capped, not overflowed
/// into no stripes at all (which dropped every count).
#[test]
fn an_absurd_stripe_count_is_capped_and_still_counts() {
    for stripes in [0, usize::MAX, usize::MAX / 2 + 2] {
        let metrics = Metrics::with_stripes(stripes);
        let rollouts = handle(&metrics, config("r1", 100));
        for unit in 0..10 {
            rollouts.is_enabled("killed", &format!("u{unit}"));
        }
        let counts = metrics.snapshot();
        assert_eq!(
            counts.feature("killed").map(|f| f.off),
            Some(10),
            "{stripes}"
        );
    }
}

/// `evaluate_all` counts each feature's decision as evaluating it alone
/// does: a plain feature (its own path in a batch), a killed one, and one
/// with lists, a rule and variants, for units on and off every list.
#[test]
fn evaluate_all_counts_what_single_evaluations_count() {
    let with_plain = || {
        config("r1", 40)
            .feature(FeatureConfig::new("plain").percentage(30))
            .feature(
                FeatureConfig::new("plain_killed")
                    .percentage(30)
                    .enabled(false),
            )
    };
    let (batched, single) = (Metrics::new(), Metrics::new());
    let batched_handle = handle(&batched, with_plain());
    let single_handle = handle(&single, with_plain());
    let (b, s) = (batched_handle.load(), single_handle.load());
    let kp = [("country", Value::Str("KP"))];
    let mut out = vec![Decision::default(); b.features().len()];
    for i in 0..2000 {
        let unit = match i % 50 {
            0 => "vip".to_string(),
            1 => "blocked".to_string(),
            _ => format!("user-{i}"),
        };
        let attrs: &[(&str, Value<'_>)] = if i % 10 == 3 { &kp } else { &[] };
        let context = Context::new(&unit).with_attributes(attrs);
        assert_eq!(b.evaluate_all(&context, &mut out), out.len());
        for feature in s.features() {
            s.evaluate_with(feature.name(), &context);
        }
    }
    let (got, want) = (batched.snapshot(), single.snapshot());
    for name in ["checkout", "killed", "plain", "plain_killed"] {
        let counted = want.feature(name).expect("counted");
        assert!(
            counted.on + counted.off == 2000,
            "{name}: every evaluation counted once"
        );
        assert_eq!(got.feature(name), Some(counted), "{name}");
    }
}
