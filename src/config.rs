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
//! | `features[].allow` | list of unit ids | `[]` | units always on |
//! | `features[].deny` | list of unit ids | `[]` | units always off; no unit may be on both lists |
//! | `features[].salt` | string, non-empty | the name | the salt of its buckets ([the contract](mod@crate::bucket)) |
//! | `features[].bucket_by` | attribute name | the unit id | a string attribute to bucket on (`org_id`) |
//! | `features[].prerequisites` | list of `{feature, variant?}` | `[]` | features that must evaluate on (to that variant) |
//! | `features[].rules` | list of rules | `[]` | targeting rules, first match decides |
//! | `features[].variants` | list of `{name, weight, value?}` | `[]` | weighted variants; weights in percent sum to 100; `value` any JSON |
//! | `features[].ramp` | `{start, steps: [{percentage, hold?, at?}]}` | none | a staged ramp ([`RampConfig`]): RFC 3339 times with their offset, durations like `"1h 30m"` |
//! | `features[].guard` | `{max_error_rate_increase, min_samples, max_latency_increase_ms?}` | none | health thresholds for a guarded rollout ([`GuardConfig`]) |
//! | `segments` | list of `{name, conditions}` | `[]` | named sets of attribute conditions rules refer to |
//!
//! A rule is `{name?, conditions, serve | variant | percentage}`: exactly
//! one of `serve` (`"on"` / `"off"`), `variant` (a variant's name) or
//! `percentage`. A condition is either `{attribute, op, values, negate?,
//! case_insensitive?}` or `{segment, negate?}`.
//!
//! | `op` | attribute types | values | holds when the attribute … |
//! |---|---|---|---|
//! | `in`, `not_in`, `equals` | string, number, bool, list | strings, numbers, bools (`equals`: one) | equals one of the values / none of them |
//! | `starts_with`, `ends_with`, `contains` | string, list | strings | starts with / ends with / contains one of them |
//! | `lt`, `lte`, `gt`, `gte` | number | numbers | is `<`, `<=`, `>`, `>=` one of them |
//! | `semver_eq`, `semver_lt`, `semver_lte`, `semver_gt`, `semver_gte` | version, or string parsed as one | version strings | compares so with one of them ([`Version`](crate::Version)) |
//!
//! For a list attribute, a string or equality condition holds when any
//! element matches, except `not_in`, which holds when no element is in the
//! values; numeric and version operators do not take lists. `in`,
//! `not_in` and `equals` compare an attribute with the values of its own
//! type only (a string or a list's elements with the strings, a number with
//! the numbers, a bool with the bools): an attribute of a type none of the
//! values has is of a type the condition does not take, below, so
//! `not_in: ["free"]` does not hold for the number `3`. A NaN number
//! attribute matches nothing.
//! `case_insensitive` folds ASCII letters only (`"É"` and `"é"` differ),
//! which keeps comparison free of allocation. `negate` inverts a
//! condition, but a condition on a **missing** attribute, or on an
//! attribute of a type its operator does not take, never holds, negated or
//! not: a rule cannot fire on data the request did not carry. A negated
//! *segment* is different: it holds for every unit not in the segment,
//! including units that lack the segment's attributes.
//!
//! A complete example, exercising every field of the format
//! (`examples/configs/full.json`, which the tests load):
//!
#![doc = concat!("```json\n", include_str!("../examples/configs/full.json"), "```")]
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
    /// Named, reusable sets of conditions that rules refer to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentConfig>,
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
            segments: Vec::new(),
            features: Vec::new(),
        }
    }

    /// Adds a segment.
    #[must_use]
    pub fn segment(mut self, segment: SegmentConfig) -> Self {
        self.segments.push(segment);
        self
    }

    /// The problems that keep this config from becoming a
    /// [`Snapshot`](crate::Snapshot), in config order; empty when it is
    /// valid. Where `Snapshot::try_from` stops at the first problem, this
    /// goes on, for a deployment gate: the config's own problems, each
    /// invalid segment condition, and within each feature the first problem
    /// of each part that is wrong (percentage, lists, salt, `bucket_by`,
    /// variants, each rule, ramp, guard; rules are checked once the
    /// variants they may name are valid). A repeated feature or segment
    /// name is a problem, and the repeat's own problems are listed after
    /// it. Checks across features (prerequisites, cycles) run once every
    /// feature is valid by itself, so their problems come last.
    ///
    /// ```
    /// use gradual::{Config, FeatureConfig};
    ///
    /// let config = Config::new("r1")
    ///     .feature(FeatureConfig::new("a").percentage(140))
    ///     .feature(FeatureConfig::new("b").percentage(12.345));
    /// let errors: Vec<String> = config.errors().iter().map(ToString::to_string).collect();
    /// assert_eq!(errors, [
    ///     "feature `a`: percentage 140 is out of range (0..=100)",
    ///     "feature `b`: percentage 12.345 is finer than 0.01",
    /// ]);
    /// ```
    pub fn errors(&self) -> Vec<crate::ConfigError> {
        crate::validate::errors(self)
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
    /// Unit ids that always get the feature.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Unit ids that never get the feature. A unit on both lists is a
    /// validation error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
    /// The salt of the feature's buckets; the feature's name when absent.
    /// Keep the old name here when renaming a feature, and every unit keeps
    /// its bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// The context attribute to bucket on instead of the unit id (e.g.
    /// `org_id`, so a whole organisation flips together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_by: Option<String>,
    /// Features that must evaluate on (optionally to a given variant) for
    /// this one to be on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prerequisites: Vec<PrerequisiteConfig>,
    /// Targeting rules, tried in order; the first that matches decides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleConfig>,
    /// Weighted variants (A/B/n) served to units that get the feature;
    /// weights are percentages summing to 100.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<VariantConfig>,
    /// A staged ramp of the percentage over time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<RampConfig>,
    /// Health thresholds for a guarded rollout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<GuardConfig>,
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
            salt: None,
            bucket_by: None,
            prerequisites: Vec::new(),
            rules: Vec::new(),
            variants: Vec::new(),
            ramp: None,
            guard: None,
        }
    }

    /// Sets a staged ramp.
    #[must_use]
    pub fn ramp(mut self, ramp: RampConfig) -> Self {
        self.ramp = Some(ramp);
        self
    }

    /// Sets guard thresholds.
    #[must_use]
    pub fn guard(mut self, guard: GuardConfig) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Sets the salt of the feature's buckets (the name by default).
    #[must_use]
    pub fn salt(mut self, salt: impl Into<String>) -> Self {
        self.salt = Some(salt.into());
        self
    }

    /// Buckets on a context attribute instead of the unit id.
    #[must_use]
    pub fn bucket_by(mut self, attribute: impl Into<String>) -> Self {
        self.bucket_by = Some(attribute.into());
        self
    }

    /// Requires another feature to be on (see [`PrerequisiteConfig`]).
    #[must_use]
    pub fn prerequisite(mut self, prerequisite: PrerequisiteConfig) -> Self {
        self.prerequisites.push(prerequisite);
        self
    }

    /// Adds a targeting rule after the existing ones.
    #[must_use]
    pub fn rule(mut self, rule: RuleConfig) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds a variant.
    #[must_use]
    pub fn variant(mut self, variant: VariantConfig) -> Self {
        self.variants.push(variant);
        self
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

/// A named, reusable set of conditions, all of which must hold.
///
/// ```
/// use gradual::{ConditionConfig, Operator, SegmentConfig};
///
/// let staff = SegmentConfig::new("staff")
///     .condition(ConditionConfig::new("email", Operator::EndsWith, ["@example.com"]).case_insensitive());
/// assert_eq!(staff.conditions.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SegmentConfig {
    /// The name rules use to refer to it.
    pub name: String,
    /// Attribute conditions (a segment cannot refer to another segment).
    pub conditions: Vec<ConditionConfig>,
}

impl SegmentConfig {
    /// A segment with no conditions yet (it matches everyone until given some).
    pub fn new(name: impl Into<String>) -> Self {
        SegmentConfig {
            name: name.into(),
            conditions: Vec::new(),
        }
    }

    /// Adds a condition.
    #[must_use]
    pub fn condition(mut self, condition: ConditionConfig) -> Self {
        self.conditions.push(condition);
        self
    }
}

/// A feature another feature depends on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PrerequisiteConfig {
    /// The feature that must evaluate on.
    pub feature: String,
    /// If set, the variant it must evaluate to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl PrerequisiteConfig {
    /// Requires `feature` to be on.
    pub fn on(feature: impl Into<String>) -> Self {
        PrerequisiteConfig {
            feature: feature.into(),
            variant: None,
        }
    }

    /// Requires `feature` to be on with the variant `variant`.
    pub fn variant(feature: impl Into<String>, variant: impl Into<String>) -> Self {
        PrerequisiteConfig {
            feature: feature.into(),
            variant: Some(variant.into()),
        }
    }
}

/// A targeting rule: conditions that must all hold, and what to serve when
/// they do. Exactly one of `serve`, `variant` and `percentage` is set.
///
/// ```
/// use gradual::{ConditionConfig, Operator, RuleConfig, Serve};
///
/// let old_apps_off = RuleConfig::new(Serve::Off)
///     .named("old apps")
///     .condition(ConditionConfig::new("app_version", Operator::SemverLt, ["2.3"]));
/// let beta_half = RuleConfig::percentage(50).condition(ConditionConfig::segment("beta"));
/// # let _ = (old_apps_off, beta_half);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RuleConfig {
    /// An optional name, reported in the decision's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Conditions that must all hold; none means the rule matches everyone.
    #[serde(default)]
    pub conditions: Vec<ConditionConfig>,
    /// Force the feature on (served a variant by the split) or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serve: Option<Serve>,
    /// Force the feature on with this variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Apply this rollout percentage (in percent) to the matching units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
}

impl RuleConfig {
    fn empty() -> Self {
        RuleConfig {
            name: None,
            conditions: Vec::new(),
            serve: None,
            variant: None,
            percentage: None,
        }
    }

    /// A rule forcing the feature on or off.
    pub fn new(serve: Serve) -> Self {
        RuleConfig {
            serve: Some(serve),
            ..Self::empty()
        }
    }

    /// A rule serving one variant.
    pub fn serve_variant(variant: impl Into<String>) -> Self {
        RuleConfig {
            variant: Some(variant.into()),
            ..Self::empty()
        }
    }

    /// A rule applying its own rollout percentage.
    pub fn percentage(percent: impl Into<f64>) -> Self {
        RuleConfig {
            percentage: Some(percent.into()),
            ..Self::empty()
        }
    }

    /// Names the rule.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a condition.
    #[must_use]
    pub fn condition(mut self, condition: ConditionConfig) -> Self {
        self.conditions.push(condition);
        self
    }
}

/// What a rule forces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Serve {
    /// The feature is on (with a variant from the split, if it has variants).
    On,
    /// The feature is off.
    Off,
}

/// One condition: an attribute compared with values, or a segment.
///
/// Set either `attribute` (with `op` and `values`) or `segment`. The
/// condition holds when the attribute matches **any** of the values; for a
/// list attribute, when any element does (`not_in`: when none is in the
/// values). A condition on a missing attribute, or on one of a type the
/// operator does not take, never holds, negated or not. See the
/// [module docs](self) for the operator table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConditionConfig {
    /// The context attribute to test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Operator>,
    /// The values to compare with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Literal>,
    /// A segment that must match, instead of an attribute test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Inverts the condition (a missing attribute still never matches).
    #[serde(default, skip_serializing_if = "is_false")]
    pub negate: bool,
    /// Compare strings ignoring ASCII case.
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_insensitive: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ConditionConfig {
    /// `attribute op any-of values`.
    pub fn new<I, V>(attribute: impl Into<String>, op: Operator, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Literal>,
    {
        ConditionConfig {
            attribute: Some(attribute.into()),
            op: Some(op),
            values: values.into_iter().map(Into::into).collect(),
            segment: None,
            negate: false,
            case_insensitive: false,
        }
    }

    /// The unit matches the named segment.
    pub fn segment(name: impl Into<String>) -> Self {
        ConditionConfig {
            attribute: None,
            op: None,
            values: Vec::new(),
            segment: Some(name.into()),
            negate: false,
            case_insensitive: false,
        }
    }

    /// Inverts the condition.
    #[must_use]
    pub fn negate(mut self) -> Self {
        self.negate = !self.negate;
        self
    }

    /// Compares strings ignoring ASCII case.
    #[must_use]
    pub fn case_insensitive(mut self) -> Self {
        self.case_insensitive = true;
        self
    }
}

/// A condition's comparison. In JSON, the snake_case name (`"semver_lt"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operator {
    /// Equal to one of the values (strings, numbers or bools).
    In,
    /// Equal to none of the values.
    NotIn,
    /// Equal to the one value.
    Equals,
    /// A string starting with one of the values.
    StartsWith,
    /// A string ending with one of the values.
    EndsWith,
    /// A string containing one of the values.
    Contains,
    /// A number below one of the values.
    Lt,
    /// A number at or below one of the values.
    Lte,
    /// A number above one of the values.
    Gt,
    /// A number at or above one of the values.
    Gte,
    /// A version equal to one of the values (see [`Version`](crate::Version)).
    SemverEq,
    /// A version below one of the values.
    SemverLt,
    /// A version at or below one of the values.
    SemverLte,
    /// A version above one of the values.
    SemverGt,
    /// A version at or above one of the values.
    SemverGte,
}

impl Operator {
    /// The snake_case name, as in the config format.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "not_in",
            Operator::Equals => "equals",
            Operator::StartsWith => "starts_with",
            Operator::EndsWith => "ends_with",
            Operator::Contains => "contains",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::SemverEq => "semver_eq",
            Operator::SemverLt => "semver_lt",
            Operator::SemverLte => "semver_lte",
            Operator::SemverGt => "semver_gt",
            Operator::SemverGte => "semver_gte",
        }
    }
}

/// A value in a condition: a string, a number or a bool.
///
/// In JSON, the bare value (`"NL"`, `2.5`, `true`). It is read by a visitor
/// of its own rather than serde's `untagged`, which buffers each value and
/// tries the variants in turn: rules-heavy configs reload several times
/// faster for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string (also how versions are written).
    String(String),
}

impl<'de> Deserialize<'de> for Literal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LiteralVisitor;

        impl serde::de::Visitor<'_> for LiteralVisitor {
            type Value = Literal;

            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a string, a number or a bool")
            }

            fn visit_bool<E>(self, b: bool) -> Result<Literal, E> {
                Ok(Literal::Bool(b))
            }

            fn visit_i64<E>(self, n: i64) -> Result<Literal, E> {
                Ok(Literal::Number(n as f64))
            }

            fn visit_u64<E>(self, n: u64) -> Result<Literal, E> {
                Ok(Literal::Number(n as f64))
            }

            fn visit_f64<E>(self, n: f64) -> Result<Literal, E> {
                Ok(Literal::Number(n))
            }

            fn visit_str<E>(self, s: &str) -> Result<Literal, E> {
                Ok(Literal::String(s.to_owned()))
            }

            fn visit_string<E>(self, s: String) -> Result<Literal, E> {
                Ok(Literal::String(s))
            }

            // Formats that carry text as bytes (MessagePack, CBOR).
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Literal, E> {
                match core::str::from_utf8(b) {
                    Ok(s) => Ok(Literal::String(s.to_owned())),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(b), &self)),
                }
            }

            fn visit_byte_buf<E: serde::de::Error>(self, b: Vec<u8>) -> Result<Literal, E> {
                match String::from_utf8(b) {
                    Ok(s) => Ok(Literal::String(s)),
                    Err(e) => Err(E::invalid_value(
                        serde::de::Unexpected::Bytes(e.as_bytes()),
                        &self,
                    )),
                }
            }
        }

        deserializer.deserialize_any(LiteralVisitor)
    }
}

impl core::fmt::Display for Literal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::String(s.to_owned())
    }
}

impl From<String> for Literal {
    fn from(s: String) -> Self {
        Literal::String(s)
    }
}

impl From<f64> for Literal {
    fn from(n: f64) -> Self {
        Literal::Number(n)
    }
}

impl From<i32> for Literal {
    fn from(n: i32) -> Self {
        Literal::Number(f64::from(n))
    }
}

impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Literal::Bool(b)
    }
}

/// A variant: its name, its share of the units that get the feature, and
/// an optional value served with it.
///
/// ```
/// use gradual::VariantConfig;
/// use serde_json::json;
///
/// let blue = VariantConfig::new("blue", 50).value(json!({ "color": "#00f", "size": 2 }));
/// assert_eq!(blue.weight, 50.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VariantConfig {
    /// The variant's name, unique within the feature.
    pub name: String,
    /// Its weight in percent (at most two decimals); a feature's weights sum to 100.
    pub weight: f64,
    /// A value served with it: a bool, string, number, list or object
    /// (`null` is no value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

impl VariantConfig {
    /// A variant with a weight in percent and no value.
    pub fn new(name: impl Into<String>, weight: impl Into<f64>) -> Self {
        VariantConfig {
            name: name.into(),
            weight: weight.into(),
            value: None,
        }
    }

    /// Attaches a value (`null` attaches none).
    #[must_use]
    pub fn value(mut self, value: impl Into<serde_json::Value>) -> Self {
        self.value = Some(value.into()).filter(|value| !value.is_null());
        self
    }
}

/// A staged ramp: the percentage rises through steps over time.
///
/// The first step begins at `start`; each later step begins at its own
/// `at`, or when the step before it has been held for its `hold`. Before
/// `start` the feature's `percentage` applies. Percentages never decrease
/// along the plan (validated); a step below the feature's `percentage`
/// keeps it where it is, since advancing a ramp never lowers a feature.
///
/// Times are RFC 3339 with their offset: `2026-11-24T12:00:00Z`, or the
/// same instant as `2026-11-24T13:00:00+01:00`; fractional seconds, a
/// lower-case `t` or `z` and a space for the `T` are read too, a time with
/// no offset is rejected (it names no instant), and so is a leap second
/// (`:60`) and a local date before 1970. Durations are written like
/// `90s`, `15m`, `1h 30m`, `2days`; every `hold` is validated, also one
/// that a later `at` or the end of the plan leaves unused (a step's `at`
/// wins over the previous step's `hold`).
///
/// ```
/// use gradual::{RampConfig, RampStep};
///
/// let ramp = RampConfig::starting("2026-11-24T12:00:00Z")
///     .step(RampStep::hold(5, "1h"))
///     .step(RampStep::hold(25, "2h"))
///     .step(RampStep::at(50, "2026-11-25T09:00:00Z"))
///     .step(RampStep::last(100));
/// assert_eq!(ramp.steps.len(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RampConfig {
    /// When the first step begins (RFC 3339).
    pub start: String,
    /// The steps, in order.
    pub steps: Vec<RampStep>,
}

impl RampConfig {
    /// A ramp beginning at `start` (RFC 3339), with no steps yet.
    pub fn starting(start: impl Into<String>) -> Self {
        RampConfig {
            start: start.into(),
            steps: Vec::new(),
        }
    }

    /// Adds a step.
    #[must_use]
    pub fn step(mut self, step: RampStep) -> Self {
        self.steps.push(step);
        self
    }
}

/// One step of a [`RampConfig`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RampStep {
    /// The percentage during this step.
    pub percentage: f64,
    /// How long this step lasts before the next begins (`"2h"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    /// When this step begins (RFC 3339), instead of after the previous hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl RampStep {
    /// A step held for a duration (`"1h"`).
    pub fn hold(percentage: impl Into<f64>, hold: impl Into<String>) -> Self {
        RampStep {
            percentage: percentage.into(),
            hold: Some(hold.into()),
            at: None,
        }
    }

    /// A step beginning at an absolute time (RFC 3339).
    pub fn at(percentage: impl Into<f64>, at: impl Into<String>) -> Self {
        RampStep {
            percentage: percentage.into(),
            hold: None,
            at: Some(at.into()),
        }
    }

    /// The last step: it lasts for ever.
    pub fn last(percentage: impl Into<f64>) -> Self {
        RampStep {
            percentage: percentage.into(),
            hold: None,
            at: None,
        }
    }
}

/// Health thresholds for a guarded rollout; see [`Guard`](crate::Guard).
///
/// ```
/// use gradual::GuardConfig;
/// let guard = GuardConfig::new(1.0, 2_000).max_latency_increase_ms(50.0);
/// assert_eq!(guard.max_error_rate_increase, 1.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct GuardConfig {
    /// The largest tolerated increase of the new path's error rate over the
    /// old one's, in percentage points (`1.0`: 1% -> 2% is tolerated).
    pub max_error_rate_increase: f64,
    /// Outcomes per cohort in each batch the guard judges (at least 100).
    pub min_samples: u64,
    /// The largest tolerated increase of mean latency, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_increase_ms: Option<f64>,
}

impl GuardConfig {
    /// Thresholds with no latency bound.
    pub fn new(max_error_rate_increase: f64, min_samples: u64) -> Self {
        GuardConfig {
            max_error_rate_increase,
            min_samples,
            max_latency_increase_ms: None,
        }
    }

    /// Adds a latency bound.
    #[must_use]
    pub fn max_latency_increase_ms(mut self, ms: f64) -> Self {
        self.max_latency_increase_ms = Some(ms);
        self
    }
}
