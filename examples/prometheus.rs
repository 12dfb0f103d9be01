//! Exposure metrics in the Prometheus text format, through the
//! `prometheus-client` crate — the Rust twin of the article's Node.js
//! `prom-client` example, for rollouts: how many requests each feature
//! served on and off, by reason and variant, and the configured percentage.
//!
//! The exporter pushes deltas (`Exposures::since`) into Prometheus counters
//! before each scrape, so the counters only ever go up, across reloads.
//!
//! Run with `cargo run --example prometheus`.

use gradual::{Config, Exposures, FeatureConfig, Percentage, Rollouts, Snapshot, VariantConfig};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Evaluation {
    feature: String,
    enabled: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Served {
    feature: String,
    variant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeatureLabel {
    feature: String,
}

/// Moves gradual's counts into Prometheus metrics.
struct Exporter {
    registry: Registry,
    evaluations: Family<Evaluation, Counter>,
    variants: Family<Served, Counter>,
    percentage: Family<FeatureLabel, Gauge<f64, std::sync::atomic::AtomicU64>>,
    last: Exposures,
}

impl Exporter {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("gradual");
        let evaluations = Family::<Evaluation, Counter>::default();
        let variants = Family::<Served, Counter>::default();
        let percentage =
            Family::<FeatureLabel, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "evaluations",
            "Feature evaluations by outcome and reason",
            evaluations.clone(),
        );
        registry.register(
            "variant_served",
            "Evaluations that served each variant",
            variants.clone(),
        );
        registry.register(
            "rollout_percentage",
            "Configured rollout percentage",
            percentage.clone(),
        );
        Exporter {
            registry,
            evaluations,
            variants,
            percentage,
            last: Exposures::default(),
        }
    }

    /// Called before each scrape.
    fn collect(&mut self, rollouts: &Rollouts) -> String {
        let metrics = rollouts.metrics().expect("the handle records metrics");
        let now = metrics.snapshot();
        for feature in now.since(&self.last).iter() {
            for &(enabled, reason, count) in &feature.by_reason {
                let labels = Evaluation {
                    feature: feature.feature.clone(),
                    enabled: enabled.to_string(),
                    reason: reason.to_owned(),
                };
                self.evaluations.get_or_create(&labels).inc_by(count);
            }
            for (variant, count) in &feature.by_variant {
                let labels = Served {
                    feature: feature.feature.clone(),
                    variant: variant.clone(),
                };
                self.variants.get_or_create(&labels).inc_by(*count);
            }
        }
        self.last = now;
        for feature in rollouts.load().features() {
            let p = if feature.enabled() {
                feature.percentage().as_percent_f64()
            } else {
                0.0
            };
            self.percentage
                .get_or_create(&FeatureLabel {
                    feature: feature.name().to_owned(),
                })
                .set(p);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rollouts = Rollouts::new(Snapshot::try_from(
        Config::new("r1")
            .feature(
                FeatureConfig::new("new_checkout_design")
                    .percentage(5)
                    .variant(VariantConfig::new("one_page", 50))
                    .variant(VariantConfig::new("wizard", 50)),
            )
            .feature(
                FeatureConfig::new("dark_mode")
                    .percentage(100)
                    .deny(["user-13"]),
            ),
    )?);
    let mut exporter = Exporter::new();

    let serve = |n: u32| {
        for i in 0..n {
            let user = format!("user-{i}");
            rollouts.is_enabled("new_checkout_design", &user);
            rollouts.is_enabled("dark_mode", &user);
        }
    };

    serve(10_000);
    println!("# --- scrape 1: 10,000 requests at 5% ---");
    print!("{}", exporter.collect(&rollouts));

    rollouts.set_percentage("new_checkout_design", Percentage::from_percent(25)?)?;
    serve(10_000);
    println!("\n# --- scrape 2: 10,000 more requests after raising to 25% ---");
    print!("{}", exporter.collect(&rollouts));
    Ok(())
}
