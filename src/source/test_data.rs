use core::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{
    Config, FeatureConfig, Fetch, Percentage, Revision, Rollouts, Snapshot, Source, VariantConfig,
};

/// Flags pinned by a service's own tests, in a line or two.
///
/// Every change takes effect at once in every [`Rollouts`] handle made by
/// [`rollouts`](Self::rollouts), so a test can flip a flag mid-test. It is
/// also a [`Source`], for code under test that drives a
/// [`Reloader`](crate::Reloader).
///
/// # Examples
///
/// ```
/// use gradual::TestData;
///
/// let flags = TestData::new();
/// flags.on("new_checkout_design").off("dark_mode").variant("theme", "dark", "#000");
/// let rollouts = flags.rollouts(); // hand this to the code under test
///
/// assert!(rollouts.is_enabled("new_checkout_design", "any-user"));
/// assert!(!rollouts.is_enabled("dark_mode", "any-user"));
/// let snapshot = rollouts.load();
/// let theme = snapshot.evaluate("theme", "any-user");
/// assert_eq!(theme.variant().unwrap().value(), Some(&serde_json::json!("#000")));
///
/// flags.off("new_checkout_design"); // mid-test
/// assert!(!rollouts.is_enabled("new_checkout_design", "any-user"));
/// ```
///
/// # Panics
///
/// A method given a feature that does not validate (an empty name, a
/// [`feature`](Self::feature) with a bad rule) panics with the validation
/// error: this is test set-up, where a loud failure is the useful one.
#[derive(Clone, Debug)]
pub struct TestData {
    shared: Arc<Mutex<State>>,
    seen: u64,
}

#[derive(Debug)]
struct State {
    features: Vec<FeatureConfig>,
    version: u64,
    rollouts: Rollouts,
}

impl TestData {
    /// No flags yet: every feature is unknown, hence off.
    pub fn new() -> Self {
        TestData {
            shared: Arc::new(Mutex::new(State {
                features: Vec::new(),
                version: 0,
                rollouts: Rollouts::new(Snapshot::empty()),
            })),
            seen: u64::MAX,
        }
    }

    /// A handle that follows every change made through this `TestData`.
    pub fn rollouts(&self) -> Rollouts {
        self.lock().rollouts.clone()
    }

    /// On for every unit.
    pub fn on(&self, feature: &str) -> &Self {
        self.feature(FeatureConfig::new(feature).percentage(100))
    }

    /// Off for every unit.
    pub fn off(&self, feature: &str) -> &Self {
        self.feature(FeatureConfig::new(feature).enabled(false))
    }

    /// On for a share of units, bucketed as in production.
    pub fn percentage(&self, feature: &str, percentage: Percentage) -> &Self {
        self.feature(FeatureConfig::new(feature).percentage(percentage.as_percent_f64()))
    }

    /// On for every unit, serving one variant with a value.
    pub fn variant(
        &self,
        feature: &str,
        variant: &str,
        value: impl Into<serde_json::Value>,
    ) -> &Self {
        self.feature(
            FeatureConfig::new(feature)
                .percentage(100)
                .variant(VariantConfig::new(variant, 100).value(value)),
        )
    }

    /// Any feature, as configured (rules, lists, variants …), replacing one
    /// of the same name.
    pub fn feature(&self, feature: FeatureConfig) -> &Self {
        let mut state = self.lock();
        let before = (state.features.clone(), state.version);
        match state.features.iter_mut().find(|f| f.name == feature.name) {
            Some(existing) => *existing = feature,
            None => state.features.push(feature),
        }
        state.version += 1;
        match Snapshot::try_from(state.config()) {
            Ok(snapshot) => {
                state.rollouts.replace(snapshot);
            }
            Err(e) => {
                // Nothing is kept: the calls after this one see the flags as
                // they were.
                (state.features, state.version) = before;
                drop(state);
                panic!("TestData: {e}");
            }
        }
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn config(&self) -> Config {
        let mut config = Config::new(format!("test-data.{}", self.version));
        config.features = self.features.clone();
        config
    }
}

impl Default for TestData {
    fn default() -> Self {
        TestData::new()
    }
}

impl Source for TestData {
    type Error = Infallible;

    fn fetch(&mut self, _serving: &Revision) -> Result<Fetch, Infallible> {
        let state = self.lock();
        if state.version == self.seen {
            return Ok(Fetch::Unchanged);
        }
        let (version, config) = (state.version, state.config());
        drop(state);
        self.seen = version;
        Ok(Fetch::Config(config))
    }
}
