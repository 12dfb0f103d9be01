//! [`Snapshot`]: a validated, immutable rollout state — the only thing
//! evaluation ever reads.
//!
//! A snapshot is built once from a [`Config`] (validation lives in the
//! private `validate` module); after that it never changes. A dial change
//! ([`Snapshot::with_percentage`], [`Snapshot::with_enabled`]) builds a new
//! snapshot that shares everything it did not change with the old one.

use core::fmt;
use std::sync::Arc;

use crate::bucket::KeyPrefix;
use crate::feature_name::{SharedHints, sealed};
use crate::metrics::Exposure;
use crate::names::NameMap;
use crate::rules::{Rule, Segment};
use crate::{
    AsFeatureName, Config, ConfigError, Context, Decision, DialError, FeatureConfig, GuardPolicy,
    Percentage, Ramp, Reason, SegmentConfig,
};

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
/// let raised = snapshot.with_percentage("new_checkout_design", Percentage::from_percent(65)?)?;
/// assert!(raised.is_enabled("new_checkout_design", "user-42"));
/// assert_eq!(raised.revision().to_string(), "r1+1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) revision: Revision,
    pub(crate) features: Vec<Arc<Feature>>,
    /// Name → position in `features`. Names never change on a dial, so
    /// derived snapshots share it.
    pub(crate) index: Arc<Index>,
    pub(crate) segments: Arc<[Segment]>,
    pub(crate) segment_configs: Arc<[SegmentConfig]>,
    /// Exposure counters, attached when the snapshot goes live in a handle
    /// that records metrics.
    pub(crate) exposure: Option<Arc<Exposure>>,
}

/// A snapshot's name index: each feature's position by name, and the
/// hints that skip the lookup for names given as text.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) names: NameMap<usize>,
    pub(crate) hints: SharedHints,
}

impl From<NameMap<usize>> for Index {
    fn from(names: NameMap<usize>) -> Self {
        Index {
            names,
            hints: SharedHints::default(),
        }
    }
}

/// Which config a snapshot came from, and how many dial changes were made
/// on top of it.
///
/// Displayed as the config's label, followed by `+N` after `N` dial changes:
/// `2026-11-23.1`, `2026-11-23.1+2`. The label names the config; `+N`
/// numbers the changes a handle made on top of it. After a rollback, the
/// next change takes the next number not yet given under that label (`r1`,
/// `r1+1`, rollback to `r1`, then `r1+2`), and so does a snapshot from
/// elsewhere whose number was given already, so no two different snapshots
/// a handle can serve or roll back to display the same `+N`. (The numbers
/// of a label are forgotten once no kept snapshot has it.) The label itself
/// is the config's: a source that gives two different configs one label
/// makes them share it. [`Layered`](crate::Layered) labels each set of its
/// overrides apart (`r1+overrides.3`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Revision {
    pub(crate) label: Arc<str>,
    pub(crate) edits: u32,
}

impl Revision {
    pub(crate) fn new(label: &str) -> Self {
        Revision {
            label: Arc::from(label),
            edits: 0,
        }
    }

    /// The config's `revision` label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The number of this change on top of that config: the count of dial
    /// changes since the config, or, after a rollback, the next number not
    /// yet given (see above).
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
    /// The config's salt; `None` when it is the name (the usual case, and
    /// one allocation fewer per feature).
    pub(crate) salt: Option<Box<str>>,
    /// The salt prepared for hashing: see [`KeyPrefix`].
    pub(crate) key: KeyPrefix,
    pub(crate) bucket_by: Option<Box<str>>,
    pub(crate) enabled: bool,
    pub(crate) percentage: Percentage,
    /// The allow and deny lists as one map, so a request looks its unit
    /// up once (validation keeps a unit out of both).
    pub(crate) listed: UnitLists,
    pub(crate) prerequisites: Box<[Prerequisite]>,
    pub(crate) rules: Box<[Rule]>,
    /// The first rule from which every rule buckets the units it matches
    /// (see `eval`: the digest starts there).
    pub(crate) bucketing_tail: usize,
    pub(crate) variants: Box<[Variant]>,
    pub(crate) ramp: Option<Ramp>,
    pub(crate) guard: Option<GuardPolicy>,
    /// No lists, prerequisites, rules, variants or bucket-by: its decision
    /// is the kill switch and the percentage alone (set at validation).
    pub(crate) plain: bool,
    /// The feature as configured, for [`Snapshot::to_config`].
    pub(crate) source: Arc<FeatureConfig>,
}

/// A resolved prerequisite: positions, not names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prerequisite {
    pub(crate) feature: usize,
    pub(crate) variant: Option<usize>,
}

/// A variant of a feature: its name, weight and value.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub(crate) name: Box<str>,
    pub(crate) weight: Percentage,
    pub(crate) value: Option<serde_json::Value>,
    /// The end (exclusive, in basis points) of its range of variant buckets.
    pub(crate) end: u16,
    /// Its position in the feature's variants.
    pub(crate) index: usize,
}

impl Variant {
    /// The variant's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its share of the units that get the feature.
    pub fn weight(&self) -> Percentage {
        self.weight
    }

    /// The value served with it, if any.
    pub fn value(&self) -> Option<&serde_json::Value> {
        self.value.as_ref()
    }
}

impl Feature {
    /// The feature's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The salt of its buckets: the name unless the config set one.
    pub fn salt(&self) -> &str {
        self.salt.as_deref().unwrap_or(&self.name)
    }

    /// The attribute it buckets by, if not the unit id.
    pub fn bucket_by(&self) -> Option<&str> {
        self.bucket_by.as_deref()
    }

    /// The kill switch: `false` when the feature is off for everyone.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The rollout percentage applied when no rule matches.
    pub fn percentage(&self) -> Percentage {
        self.percentage
    }

    /// The variants, in order.
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// Its staged ramp, if it has one.
    pub fn ramp(&self) -> Option<&Ramp> {
        self.ramp.as_ref()
    }

    /// Its guard thresholds, if its rollout is guarded.
    pub fn guard(&self) -> Option<&GuardPolicy> {
        self.guard.as_ref()
    }

    /// The number of targeting rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The feature as configured, with the dial's current kill switch and
    /// percentage.
    pub fn config(&self) -> FeatureConfig {
        let mut config = (*self.source).clone();
        config.enabled = self.enabled;
        config.percentage = self.percentage.as_percent_f64();
        config
    }
}

impl fmt::Debug for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feature")
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("percentage", &format_args!("{}", self.percentage))
            .field("rules", &self.rules.len())
            .field("variants", &self.variants.len())
            .finish_non_exhaustive()
    }
}

/// Which list a unit id is on. (The default fills a name table's vacant
/// slots, which are never read as a value.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Listed {
    #[default]
    Allow,
    Deny,
}

/// A feature's allow and deny lists, whose lookup costs nothing when both
/// are empty.
#[derive(Clone, Default)]
pub(crate) struct UnitLists(pub(crate) NameMap<Listed>);

impl UnitLists {
    #[inline(always)]
    pub(crate) fn get(&self, unit: &str) -> Option<Listed> {
        if self.0.is_empty() {
            None
        } else {
            self.0.get(unit).copied()
        }
    }
}

impl Snapshot {
    /// A snapshot with no features, labelled `empty`: every feature is
    /// unknown, hence off. A service can serve from it until its first
    /// config arrives.
    pub fn empty() -> Self {
        Snapshot {
            revision: Revision::new("empty"),
            features: Vec::new(),
            index: Arc::default(),
            segments: Arc::from([]),
            segment_configs: Arc::from([]),
            exposure: None,
        }
    }

    /// Which config this snapshot came from.
    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    /// Evaluates `feature` for `unit` with no attributes. Never fails: an
    /// unknown feature is off with [`Reason::UnknownFeature`].
    #[inline]
    pub fn evaluate(&self, feature: &(impl AsFeatureName + ?Sized), unit: &str) -> Decision<'_> {
        self.evaluate_found_unit(feature.position_in(self), unit)
    }

    /// Evaluates `feature` for a [`Context`]: a unit with attributes, for
    /// targeting rules, segments and bucket-by.
    ///
    /// ```
    /// use gradual::{Config, ConditionConfig, Context, FeatureConfig, Operator, RuleConfig, Serve, Snapshot, Value};
    ///
    /// let snapshot = Snapshot::try_from(Config::new("r1").feature(
    ///     FeatureConfig::new("beta_search").rule(
    ///         RuleConfig::new(Serve::On).condition(ConditionConfig::new("country", Operator::In, ["NL", "BE"])),
    ///     ),
    /// ))?;
    /// let attributes = [("country", Value::Str("NL"))];
    /// let context = Context::new("user-42").with_attributes(&attributes);
    /// assert!(snapshot.evaluate_with("beta_search", &context).is_enabled());
    /// assert!(!snapshot.evaluate("beta_search", "user-42").is_enabled());
    /// # Ok::<(), gradual::ConfigError>(())
    /// ```
    #[inline]
    pub fn evaluate_with(
        &self,
        feature: &(impl AsFeatureName + ?Sized),
        context: &Context<'_>,
    ) -> Decision<'_> {
        self.evaluate_found(feature.position_in(self), context)
    }

    /// Evaluates the feature found at `position` (off as unknown if none),
    /// recording the exposure.
    #[inline(always)]
    pub(crate) fn evaluate_found(
        &self,
        position: Option<usize>,
        context: &Context<'_>,
    ) -> Decision<'_> {
        match position {
            Some(i) => self.evaluate_at(i, context),
            None => Decision::off(Reason::UnknownFeature, None),
        }
    }

    /// Evaluates every feature for one context — the call that bootstraps a
    /// page or a client app — into `out`, in the order of
    /// [`Snapshot::features`]. Writes `min(out.len(), features)` decisions
    /// and returns that count; never allocates.
    ///
    /// The keys of the features that will need a bucket are hashed side by
    /// side (SIMD lanes where the CPU has them, interleaved chains
    /// otherwise), several times faster than evaluating one by one; the
    /// decisions are exactly those of [`Snapshot::evaluate_with`].
    ///
    /// ```
    /// use gradual::{Config, Context, Decision, FeatureConfig, Snapshot};
    ///
    /// let snapshot = Snapshot::try_from(
    ///     Config::new("r1")
    ///         .feature(FeatureConfig::new("a").percentage(50))
    ///         .feature(FeatureConfig::new("b").percentage(100)),
    /// )?;
    /// let mut out = [Decision::default(); 2];
    /// assert_eq!(snapshot.evaluate_all(&Context::new("user-42"), &mut out), 2);
    /// assert_eq!(out[0], snapshot.evaluate("a", "user-42"));
    /// assert!(out[1].is_enabled());
    /// # Ok::<(), gradual::ConfigError>(())
    /// ```
    pub fn evaluate_all<'s>(&'s self, context: &Context<'_>, out: &mut [Decision<'s>]) -> usize {
        self.evaluate_all_on(crate::lanes::Engine::detect(), context, out)
    }

    /// [`Snapshot::evaluate_all`] on a chosen hashing path.
    pub(crate) fn evaluate_all_on<'s>(
        &'s self,
        engine: crate::lanes::Engine,
        context: &Context<'_>,
        out: &mut [Decision<'s>],
    ) -> usize {
        const CHUNK: usize = 64;
        let n = out.len().min(self.features.len());
        let unit = context.unit().as_bytes();
        let mut salts = [crate::lanes::Salt::Bytes(&[]); CHUNK];
        let mut hashed = [usize::MAX; CHUNK];
        let mut digests = [[0u8; 16]; CHUNK];
        for start in (0..n).step_by(CHUNK) {
            let end = (start + CHUNK).min(n);
            let mut k = 0;
            for (i, f) in self.features[start..end].iter().enumerate() {
                if crate::eval::wants_digest(f) {
                    salts[k] = f.key.lane_salt(f.salt().as_bytes());
                    hashed[k] = start + i;
                    k += 1;
                }
            }
            // One key is faster alone than in a batch of one.
            if k >= 2 {
                crate::lanes::md5_salts_on(engine, &salts[..k], unit, &mut digests[..k]);
            } else {
                k = 0;
            }
            let mut next = 0;
            for i in start..end {
                let digest = (next < k && hashed[next] == i).then(|| {
                    next += 1;
                    digests[next - 1]
                });
                let Some(slot) = out.get_mut(i) else { continue };
                // Recorded from its slot. A plain feature's decision is
                // built in the slot, apart from the other paths': those
                // return theirs from an out-of-line call, so the compiler
                // builds them on the stack and copies them out, and the
                // copy's wide loads wait on the narrow stores that wrote
                // them (see `eval::evaluate_plain`).
                match self.features.get(i) {
                    Some(f) if f.enabled && f.plain => {
                        *slot = crate::eval::evaluate_plain(f, context, digest);
                    }
                    Some(f) => *slot = crate::eval::evaluate_feature(self, f, context, digest),
                    None => continue,
                }
                self.record(i, context, slot);
            }
        }
        n
    }

    /// [`Snapshot::evaluate_found`] for a unit with no attributes.
    #[inline(always)]
    pub(crate) fn evaluate_found_unit(&self, position: Option<usize>, unit: &str) -> Decision<'_> {
        match position {
            Some(i) => {
                let decision = crate::eval::evaluate_unit(self, i, unit);
                self.record(i, &Context::new(unit), &decision);
                decision
            }
            None => Decision::off(Reason::UnknownFeature, None),
        }
    }

    /// Evaluates the feature at `position`, recording the exposure.
    #[inline(always)]
    fn evaluate_at(&self, position: usize, context: &Context<'_>) -> Decision<'_> {
        let decision = crate::eval::evaluate(self, position, context, None);
        self.record(position, context, &decision);
        decision
    }

    /// Records the exposure of a decision on the feature at `position`.
    #[inline(always)]
    fn record(&self, position: usize, context: &Context<'_>, decision: &Decision<'_>) {
        if let (Some(exposure), Some(f)) = (&self.exposure, self.features.get(position)) {
            exposure.record(position, f, context, decision);
        }
    }

    /// Whether `unit` gets `feature`: `evaluate(feature, unit).is_enabled()`.
    #[inline]
    pub fn is_enabled(&self, feature: &(impl AsFeatureName + ?Sized), unit: &str) -> bool {
        self.evaluate(feature, unit).is_enabled()
    }

    /// Whether the unit of `context` gets `feature`, with its attributes:
    /// `evaluate_with(feature, context).is_enabled()`, as on
    /// [`Rollouts`](crate::Rollouts) and [`Reader`](crate::Reader).
    #[inline]
    pub fn is_enabled_with(
        &self,
        feature: &(impl AsFeatureName + ?Sized),
        context: &Context<'_>,
    ) -> bool {
        self.evaluate_with(feature, context).is_enabled()
    }

    /// The feature of that name, if any.
    #[inline]
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        sealed::Find::position_in(name, self)
            .and_then(|i| self.features.get(i))
            .map(|f| &**f)
    }

    /// The features, in the order the config listed them.
    pub fn features(&self) -> impl ExactSizeIterator<Item = &Feature> {
        self.features.iter().map(|f| &**f)
    }

    /// The config this snapshot would be built from, dial changes included:
    /// validating it again gives a snapshot with the same decisions for
    /// every context.
    pub fn to_config(&self) -> Config {
        Config {
            schema_version: Config::SCHEMA_VERSION,
            revision: self.revision.to_string(),
            segments: self.segment_configs.to_vec(),
            features: self.features().map(Feature::config).collect(),
        }
    }

    /// A copy with one feature's rollout percentage changed (the article's
    /// `increase_rollout`, and its "set the percentage back to 0").
    ///
    /// Like a clone, the copy records exposures where this snapshot does:
    /// evaluating a copy of a serving snapshot counts into its handle's
    /// metrics (a handle attaches its own, or none, when the copy goes live
    /// in it).
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

    /// A copy with several features' percentages set at once, as one edit
    /// (one copy of the feature list, one step of the revision label);
    /// names not in the snapshot are skipped. `None` when none is in it.
    pub(crate) fn with_percentages<'n>(
        &self,
        changes: impl IntoIterator<Item = (&'n str, Percentage)>,
    ) -> Option<Self> {
        let mut features: Option<Vec<Arc<Feature>>> = None;
        for (name, percentage) in changes {
            let Some(&i) = self.index.names.get(name) else {
                continue;
            };
            let features = features.get_or_insert_with(|| self.features.clone());
            Arc::make_mut(&mut features[i]).percentage = percentage;
        }
        Some(self.edited(features?))
    }

    /// Whether `other` holds the very same features and segments (not
    /// copies): a snapshot put back unchanged.
    pub(crate) fn is_same_state(&self, other: &Snapshot) -> bool {
        self.features.len() == other.features.len()
            && self
                .features
                .iter()
                .zip(&other.features)
                .all(|(a, b)| Arc::ptr_eq(a, b))
            && Arc::ptr_eq(&self.segments, &other.segments)
    }

    /// This snapshot with `features`, as an edit of it.
    fn edited(&self, features: Vec<Arc<Feature>>) -> Self {
        Snapshot {
            revision: self.revision.edited(),
            features,
            index: Arc::clone(&self.index),
            segments: Arc::clone(&self.segments),
            segment_configs: Arc::clone(&self.segment_configs),
            exposure: self.exposure.clone(),
        }
    }

    fn with_feature(
        &self,
        name: &str,
        change: impl FnOnce(&mut Feature),
    ) -> Result<Self, DialError> {
        let Some(&i) = self.index.names.get(name) else {
            return Err(DialError::UnknownFeature {
                feature: name.to_owned(),
                revision: self.revision.to_string(),
            });
        };
        let mut features = self.features.clone();
        change(Arc::make_mut(&mut features[i]));
        Ok(self.edited(features))
    }
}

impl TryFrom<Config> for Snapshot {
    type Error = ConfigError;

    /// Validates a config, keeping its parts as the snapshot's record of
    /// its source (no copy).
    fn try_from(config: Config) -> Result<Self, ConfigError> {
        crate::validate::snapshot_owned(config)
    }
}

impl TryFrom<&Config> for Snapshot {
    type Error = ConfigError;

    /// Validates a config: the one place where input is checked.
    fn try_from(config: &Config) -> Result<Self, ConfigError> {
        crate::validate::snapshot(config)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("revision", &format_args!("{}", self.revision))
            .field("features", &self.features.len())
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot::empty()
    }
}
