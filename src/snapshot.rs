//! [`Snapshot`]: a validated, immutable rollout state — the only thing
//! evaluation ever reads.
//!
//! A snapshot is built once from a [`Config`], which is where every check
//! happens; after that it never changes. A dial change
//! ([`Snapshot::with_percentage`], [`Snapshot::with_enabled`]) builds a new
//! snapshot that shares everything it did not change with the old one.

use core::fmt;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::{Config, ConfigError, Decision, DialError, FeatureConfig, Percentage, Reason};

/// A validated, immutable set of features with a revision label.
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, Percentage, Snapshot};
///
/// let snapshot = Snapshot::try_from(
///     Config::new("r1").feature(FeatureConfig::new("new_checkout_design").percentage(5)),
/// )?;
/// assert!(!snapshot.is_enabled("new_checkout_design", "user-42")); // bucket 64
///
/// let raised = snapshot.with_percentage("new_checkout_design", Percentage::from_percent(65).unwrap())?;
/// assert!(raised.is_enabled("new_checkout_design", "user-42"));
/// assert_eq!(raised.revision().to_string(), "r1+1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Snapshot {
    revision: Revision,
    features: Vec<Arc<Feature>>,
    /// Name → position in `features`. Names never change on a dial, so
    /// derived snapshots share it.
    index: Arc<HashMap<Box<str>, usize, RandomState>>,
}

/// Which config a snapshot came from, and how many dial changes were made
/// on top of it.
///
/// Displayed as the config's label, followed by `+N` after `N` dial changes:
/// `2026-11-23.1`, `2026-11-23.1+2`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Revision {
    label: Arc<str>,
    edits: u32,
}

impl Revision {
    /// The config's `revision` label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The number of dial changes made on top of that config.
    pub fn edits(&self) -> u32 {
        self.edits
    }

    fn edited(&self) -> Revision {
        Revision {
            label: Arc::clone(&self.label),
            edits: self.edits.saturating_add(1),
        }
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.edits {
            0 => f.write_str(&self.label),
            n => write!(f, "{}+{n}", self.label),
        }
    }
}

/// One validated feature of a [`Snapshot`].
#[derive(Clone)]
pub struct Feature {
    pub(crate) name: Box<str>,
    pub(crate) enabled: bool,
    pub(crate) percentage: Percentage,
    pub(crate) allow: UnitSet,
    pub(crate) deny: UnitSet,
}

impl Feature {
    /// The feature's name, which is also the salt of its buckets.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kill switch: `false` when the feature is off for everyone.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The rollout percentage.
    pub fn percentage(&self) -> Percentage {
        self.percentage
    }

    /// Evaluates this feature for `unit`: the same as
    /// [`Snapshot::evaluate`] without the name lookup.
    #[inline]
    pub fn evaluate(&self, unit: &str) -> Decision {
        crate::eval::evaluate(self, unit)
    }

    fn to_config(&self) -> FeatureConfig {
        FeatureConfig {
            name: self.name.to_string(),
            enabled: self.enabled,
            percentage: self.percentage.as_percent_f64(),
            allow: self.allow.sorted(),
            deny: self.deny.sorted(),
        }
    }
}

impl fmt::Debug for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feature")
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("percentage", &format_args!("{}", self.percentage))
            .field("allow", &self.allow.0.len())
            .field("deny", &self.deny.0.len())
            .finish()
    }
}

/// A set of unit ids whose lookup costs nothing when empty.
#[derive(Clone, Default)]
pub(crate) struct UnitSet(HashSet<Box<str>, RandomState>);

impl UnitSet {
    #[inline]
    pub(crate) fn contains(&self, unit: &str) -> bool {
        !self.0.is_empty() && self.0.contains(unit)
    }

    fn sorted(&self) -> Vec<String> {
        let mut units: Vec<String> = self.0.iter().map(|u| u.to_string()).collect();
        units.sort_unstable();
        units
    }
}

impl Snapshot {
    /// A snapshot with no features, labelled `empty`: every feature is
    /// unknown, hence off. A service can serve from it until its first
    /// config arrives.
    pub fn empty() -> Self {
        Snapshot {
            revision: Revision {
                label: Arc::from("empty"),
                edits: 0,
            },
            features: Vec::new(),
            index: Arc::default(),
        }
    }

    /// Which config this snapshot came from.
    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    /// Evaluates `feature` for `unit`. Never fails: an unknown feature is
    /// off with [`Reason::UnknownFeature`].
    #[inline]
    pub fn evaluate(&self, feature: &str, unit: &str) -> Decision {
        match self.feature(feature) {
            Some(f) => crate::eval::evaluate(f, unit),
            None => Decision::new(false, Reason::UnknownFeature, None),
        }
    }

    /// Whether `unit` gets `feature`: `evaluate(feature, unit).is_enabled()`.
    #[inline]
    pub fn is_enabled(&self, feature: &str, unit: &str) -> bool {
        self.evaluate(feature, unit).is_enabled()
    }

    /// The feature of that name, if any.
    #[inline]
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        // `get` on an index this snapshot built cannot miss; `and_then`
        // keeps the lookup panic-free all the same.
        self.index
            .get(name)
            .and_then(|&i| self.features.get(i))
            .map(|f| &**f)
    }

    /// The features, in the order the config listed them.
    pub fn features(&self) -> impl ExactSizeIterator<Item = &Feature> {
        self.features.iter().map(|f| &**f)
    }

    /// The config this snapshot would be built from: validating it again
    /// gives a snapshot with the same decisions for every unit.
    pub fn to_config(&self) -> Config {
        Config {
            schema_version: Config::SCHEMA_VERSION,
            revision: self.revision.to_string(),
            features: self.features().map(Feature::to_config).collect(),
        }
    }

    /// A copy with one feature's rollout percentage changed (the article's
    /// `increase_rollout`, and its "set the percentage back to 0").
    pub fn with_percentage(
        &self,
        feature: &str,
        percentage: Percentage,
    ) -> Result<Self, DialError> {
        self.with_feature(feature, |f| f.percentage = percentage)
    }

    /// A copy with one feature's kill switch set: `false` kills it for
    /// everyone, `true` revives it at its percentage.
    pub fn with_enabled(&self, feature: &str, enabled: bool) -> Result<Self, DialError> {
        self.with_feature(feature, |f| f.enabled = enabled)
    }

    fn with_feature(
        &self,
        name: &str,
        change: impl FnOnce(&mut Feature),
    ) -> Result<Self, DialError> {
        let Some(&i) = self.index.get(name) else {
            return Err(DialError::UnknownFeature {
                feature: name.to_owned(),
                revision: self.revision.to_string(),
            });
        };
        let mut features = self.features.clone();
        change(Arc::make_mut(&mut features[i]));
        Ok(Snapshot {
            revision: self.revision.edited(),
            features,
            index: Arc::clone(&self.index),
        })
    }
}

impl TryFrom<Config> for Snapshot {
    type Error = ConfigError;

    fn try_from(config: Config) -> Result<Self, ConfigError> {
        Snapshot::try_from(&config)
    }
}

impl TryFrom<&Config> for Snapshot {
    type Error = ConfigError;

    /// Validates a config: the one place where input is checked.
    fn try_from(config: &Config) -> Result<Self, ConfigError> {
        if config.schema_version != Config::SCHEMA_VERSION {
            return Err(ConfigError::UnsupportedSchema {
                found: config.schema_version,
                supported: Config::SCHEMA_VERSION,
            });
        }
        if config.revision.is_empty() {
            return Err(ConfigError::EmptyRevision);
        }
        let mut index =
            HashMap::with_capacity_and_hasher(config.features.len(), RandomState::default());
        let mut features = Vec::with_capacity(config.features.len());
        for (position, raw) in config.features.iter().enumerate() {
            let feature = validate_feature(position, raw)?;
            if index.insert(feature.name.clone(), position).is_some() {
                return Err(ConfigError::DuplicateFeature {
                    feature: raw.name.clone(),
                });
            }
            features.push(Arc::new(feature));
        }
        Ok(Snapshot {
            revision: Revision {
                label: Arc::from(config.revision.as_str()),
                edits: 0,
            },
            features,
            index: Arc::new(index),
        })
    }
}

fn validate_feature(position: usize, raw: &FeatureConfig) -> Result<Feature, ConfigError> {
    let name = raw.name.as_str();
    if name.is_empty() {
        return Err(ConfigError::EmptyName { index: position });
    }
    if name.trim() != name {
        return Err(ConfigError::NameWhitespace {
            feature: name.to_owned(),
        });
    }
    let percentage = Percentage::from_percent_f64(raw.percentage).ok_or_else(|| {
        if (0.0..=100.0).contains(&raw.percentage) {
            ConfigError::PercentageTooFine {
                feature: name.to_owned(),
                value: raw.percentage,
            }
        } else {
            ConfigError::PercentageOutOfRange {
                feature: name.to_owned(),
                value: raw.percentage,
            }
        }
    })?;
    let allow = unit_set(name, "allow", &raw.allow)?;
    let deny = unit_set(name, "deny", &raw.deny)?;
    if let Some(unit) = raw.allow.iter().find(|u| deny.contains(u)) {
        return Err(ConfigError::AllowedAndDenied {
            feature: name.to_owned(),
            unit: unit.clone(),
        });
    }
    Ok(Feature {
        name: name.into(),
        enabled: raw.enabled,
        percentage,
        allow,
        deny,
    })
}

fn unit_set(feature: &str, field: &'static str, units: &[String]) -> Result<UnitSet, ConfigError> {
    let mut set = HashSet::with_capacity_and_hasher(units.len(), RandomState::default());
    for unit in units {
        if unit.is_empty() {
            return Err(ConfigError::EmptyUnit {
                feature: feature.to_owned(),
                field,
            });
        }
        set.insert(Box::from(unit.as_str()));
    }
    Ok(UnitSet(set))
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("revision", &format_args!("{}", self.revision))
            .field("features", &self.features.len())
            .finish()
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot::empty()
    }
}
