//! The config format: plain serde data, as it arrives from a file or a
//! service. It is not used for evaluation; it becomes a validated
//! [`Snapshot`](crate::Snapshot) once, through `Snapshot::try_from`.
//!
//! JSON is the reference encoding; any serde format works. A minimal config:
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "revision": "2026-11-23.1",
//!   "features": [
//!     { "name": "new_checkout_design", "percentage": 5 },
//!     { "name": "dark_mode", "enabled": false, "percentage": 100 },
//!     { "name": "search_v2", "percentage": 12.5, "allow": ["qa-1"], "deny": ["vip-7"] }
//!   ]
//! }
//! ```
//!
//! | field | type | default | meaning |
//! |---|---|---|---|
//! | `schema_version` | integer | `1` | the format's version; this release reads `1` |
//! | `revision` | string, non-empty | required | a label for this config, shown wherever the serving state is reported |
//! | `features` | list | `[]` | the features, names unique |
//! | `features[].name` | string, non-empty, no surrounding whitespace | required | the feature's name, and the salt of its buckets |
//! | `features[].enabled` | bool | `true` | the kill switch: `false` turns the feature off for everyone |
//! | `features[].percentage` | number `0..=100`, at most two decimals | `0` | the share of units in the rollout |
//! | `features[].allow` | list of unit ids | `[]` | units always on (unless denied) |
//! | `features[].deny` | list of unit ids | `[]` | units always off; deny wins over allow |
//!
//! Unknown fields are rejected rather than ignored, so a misspelt field
//! (`"percentge": 50`) cannot silently leave a feature at 0%.

use serde::{Deserialize, Serialize};

/// A whole rollout config: a revision label and its features.
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, Snapshot};
///
/// let json = r#"{ "revision": "r1", "features": [ { "name": "checkout", "percentage": 5 } ] }"#;
/// let from_json: Config = serde_json::from_str(json).unwrap();
///
/// let in_code = Config::new("r1").feature(FeatureConfig::new("checkout").percentage(5));
/// assert_eq!(from_json, in_code);
///
/// let snapshot = Snapshot::try_from(in_code)?;
/// assert_eq!(snapshot.revision().label(), "r1");
/// # Ok::<(), gradual::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// The format's version; see [`Config::SCHEMA_VERSION`].
    #[serde(default = "Config::current_schema")]
    pub schema_version: u32,
    /// A label for this config (a version, a date, a commit).
    pub revision: String,
    /// The features, in the order they are listed.
    #[serde(default)]
    pub features: Vec<FeatureConfig>,
}

impl Config {
    /// The `schema_version` this release reads and writes.
    pub const SCHEMA_VERSION: u32 = 1;

    fn current_schema() -> u32 {
        Self::SCHEMA_VERSION
    }

    /// An empty config with the given revision label.
    pub fn new(revision: impl Into<String>) -> Self {
        Config {
            schema_version: Self::SCHEMA_VERSION,
            revision: revision.into(),
            features: Vec::new(),
        }
    }

    /// Adds a feature.
    #[must_use]
    pub fn feature(mut self, feature: FeatureConfig) -> Self {
        self.features.push(feature);
        self
    }
}

/// One feature as written in a config.
///
/// # Examples
///
/// ```
/// use gradual::FeatureConfig;
///
/// let staff_first = FeatureConfig::new("new_checkout_design")
///     .percentage(12.5)
///     .allow(["staff-1", "staff-2"])
///     .deny(["vip-7"]);
/// assert_eq!(staff_first.percentage, 12.5);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FeatureConfig {
    /// The feature's name; also the salt of its buckets.
    pub name: String,
    /// The kill switch: `false` turns the feature off for every unit.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The rollout percentage, `0..=100`, in steps of at least 0.01.
    #[serde(default)]
    pub percentage: f64,
    /// Unit ids that always get the feature (unless denied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Unit ids that never get the feature; deny wins over allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

fn yes() -> bool {
    true
}

impl FeatureConfig {
    /// An enabled feature at 0%, with empty lists.
    pub fn new(name: impl Into<String>) -> Self {
        FeatureConfig {
            name: name.into(),
            enabled: true,
            percentage: 0.0,
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }

    /// Sets the rollout percentage, in percent (`5`, `12.5`).
    #[must_use]
    pub fn percentage(mut self, percent: impl Into<f64>) -> Self {
        self.percentage = percent.into();
        self
    }

    /// Sets the kill switch (`false` is killed).
    #[must_use]
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Adds unit ids to the allow list.
    #[must_use]
    pub fn allow<I: IntoIterator<Item = S>, S: Into<String>>(mut self, units: I) -> Self {
        self.allow.extend(units.into_iter().map(Into::into));
        self
    }

    /// Adds unit ids to the deny list.
    #[must_use]
    pub fn deny<I: IntoIterator<Item = S>, S: Into<String>>(mut self, units: I) -> Self {
        self.deny.extend(units.into_iter().map(Into::into));
        self
    }
}
