//! [`Decision`] and [`Reason`]: what evaluation answers, and why.

use core::fmt;

use crate::{Bucket, Variant};

/// The answer to "does this unit get this feature?", with its reason, the
/// variant served and the bucket.
///
/// A decision is a value, never an error: an unknown feature is simply off,
/// with [`Reason::UnknownFeature`]. It borrows names and variant values
/// from the [`Snapshot`](crate::Snapshot) it came from, so it costs no
/// allocation; hold the snapshot (a [`Rollouts::load`](crate::Rollouts::load)
/// guard) while you use it.
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, Reason, Snapshot, VariantConfig};
///
/// let snapshot = Snapshot::try_from(
///     Config::new("r1").feature(
///         FeatureConfig::new("new_checkout_design")
///             .percentage(100)
///             .variant(VariantConfig::new("one_page", 50).value("1p"))
///             .variant(VariantConfig::new("wizard", 50).value("wz")),
///     ),
/// )?;
/// let decision = snapshot.evaluate("new_checkout_design", "user-42");
/// assert!(decision.is_enabled());
/// assert_eq!(decision.reason(), Reason::InRollout);
/// let variant = decision.variant().expect("on, with variants");
/// assert!(["one_page", "wizard"].contains(&variant.name()));
///
/// let unknown = snapshot.evaluate("no_such_feature", "user-42");
/// assert!(!unknown.is_enabled());
/// assert_eq!(unknown.reason(), Reason::UnknownFeature);
/// # Ok::<(), gradual::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision<'s> {
    enabled: bool,
    reason: Reason<'s>,
    variant: Option<&'s Variant>,
    bucket: Option<Bucket>,
}

impl<'s> Decision<'s> {
    #[inline]
    pub(crate) const fn new(
        enabled: bool,
        reason: Reason<'s>,
        variant: Option<&'s Variant>,
        bucket: Option<Bucket>,
    ) -> Self {
        Decision {
            enabled,
            reason,
            variant,
            bucket,
        }
    }

    #[inline]
    pub(crate) const fn off(reason: Reason<'s>, bucket: Option<Bucket>) -> Self {
        Decision {
            enabled: false,
            reason,
            variant: None,
            bucket,
        }
    }

    #[inline]
    pub(crate) const fn on(
        reason: Reason<'s>,
        variant: Option<&'s Variant>,
        bucket: Option<Bucket>,
    ) -> Self {
        Decision {
            enabled: true,
            reason,
            variant,
            bucket,
        }
    }

    /// Whether the unit gets the feature.
    #[inline]
    pub const fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Which step of the evaluation decided.
    #[inline]
    pub const fn reason(&self) -> Reason<'s> {
        self.reason
    }

    /// The variant served, when the feature is on and has variants.
    #[inline]
    pub const fn variant(&self) -> Option<&'s Variant> {
        self.variant
    }

    /// The value of the variant served, if it has one: what a
    /// `variation(flag, context, default)` call of other SDKs returns, with
    /// the default left to the caller.
    ///
    /// ```
    /// use gradual::{Config, FeatureConfig, Snapshot, VariantConfig};
    ///
    /// let snapshot = Snapshot::try_from(Config::new("r1").feature(
    ///     FeatureConfig::new("checkout_layout")
    ///         .percentage(100)
    ///         .variant(VariantConfig::new("wizard", 100).value("wz")),
    /// ))?;
    /// let decision = snapshot.evaluate("checkout_layout", "user-42");
    /// let layout = decision.value().and_then(|v| v.as_str()).unwrap_or("classic");
    /// assert_eq!(layout, "wz");
    /// let off = snapshot.evaluate("no_such_feature", "user-42");
    /// assert_eq!(off.value().and_then(|v| v.as_str()).unwrap_or("classic"), "classic");
    /// # Ok::<(), gradual::ConfigError>(())
    /// ```
    #[inline]
    pub fn value(&self) -> Option<&'s serde_json::Value> {
        self.variant.and_then(Variant::value)
    }

    /// The unit's rollout bucket, when the decision computed it: when a
    /// percentage (the feature's or a rule's) decided, or a split picked the
    /// variant of a unit served on by an allow-list hit or a rule serving
    /// on.
    ///
    /// `None` otherwise: unknown feature, killed, prerequisite, denied, a
    /// missing `bucket_by` attribute, a rule serving off or a named variant,
    /// an allow hit or a rule serving on where there is no split, and a
    /// percentage of 0%, or of 100% with no variants, where every unit gets
    /// the same answer and no hash is computed. [`bucket`](crate::bucket()) gives it on demand.
    #[inline]
    pub const fn bucket(&self) -> Option<Bucket> {
        self.bucket
    }
}

impl Default for Decision<'_> {
    /// Off, for an unknown feature: what a slot holds before evaluation
    /// fills it (see [`Snapshot::evaluate_all`](crate::Snapshot::evaluate_all)).
    fn default() -> Self {
        Decision::off(Reason::UnknownFeature, None)
    }
}

/// Why a [`Decision`] came out as it did: the step of the evaluation that
/// decided. See [the evaluation order](crate#evaluation-order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason<'s> {
    /// No feature of that name in the snapshot: off.
    UnknownFeature,
    /// The feature's kill switch is off: off for everyone.
    Killed,
    /// A prerequisite did not evaluate on (or not to its required variant): off.
    PrerequisiteFailed {
        /// The prerequisite feature that failed.
        feature: &'s str,
    },
    /// The unit is on the feature's deny list: off.
    Denied,
    /// The unit is on the feature's allow list: on.
    Allowed,
    /// A targeting rule matched and decided.
    Rule {
        /// The rule's position in the feature's `rules`, from 0.
        index: usize,
        /// The rule's name, if it has one.
        name: Option<&'s str>,
        /// The first segment the rule requires the unit to be in, if any (a
        /// negated segment condition is not named: the unit is outside it).
        segment: Option<&'s str>,
    },
    /// The feature buckets by an attribute the context lacks (or that is
    /// not a string): off, never a random bucket.
    MissingBucketBy {
        /// The attribute the feature buckets by.
        attribute: &'s str,
    },
    /// The unit's bucket is below the rollout percentage: on.
    InRollout,
    /// The unit's bucket is at or above the rollout percentage: off.
    OutOfRollout,
}

impl Reason<'_> {
    /// A short, stable, snake_case name of the kind of reason, for logs and
    /// metric labels.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Reason::UnknownFeature => "unknown_feature",
            Reason::Killed => "killed",
            Reason::PrerequisiteFailed { .. } => "prerequisite_failed",
            Reason::Denied => "denied",
            Reason::Allowed => "allowed",
            Reason::Rule { .. } => "rule",
            Reason::MissingBucketBy { .. } => "missing_bucket_by",
            Reason::InRollout => "in_rollout",
            Reason::OutOfRollout => "out_of_rollout",
        }
    }
}

impl fmt::Display for Reason<'_> {
    /// The kind, with its detail: `rule #1 (staff) via segment employees`,
    /// `prerequisite_failed: payments_v2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::PrerequisiteFailed { feature } => write!(f, "prerequisite_failed: {feature}"),
            Reason::Rule {
                index,
                name,
                segment,
            } => {
                write!(f, "rule #{index}")?;
                if let Some(name) = name {
                    write!(f, " ({name})")?;
                }
                if let Some(segment) = segment {
                    write!(f, " via segment {segment}")?;
                }
                Ok(())
            }
            Reason::MissingBucketBy { attribute } => write!(f, "missing_bucket_by: {attribute}"),
            other => f.write_str(other.as_str()),
        }
    }
}
