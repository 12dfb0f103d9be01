//! [`Decision`] and [`Reason`]: what evaluation answers, and why.

use core::fmt;

use crate::Bucket;

/// The answer to "does this unit get this feature?", with its reason.
///
/// A decision is a value, never an error: an unknown feature is simply off,
/// with [`Reason::UnknownFeature`].
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, Reason, Snapshot};
///
/// let snapshot = Snapshot::try_from(
///     Config::new("r1").feature(FeatureConfig::new("new_checkout_design").percentage(100)),
/// )?;
/// let decision = snapshot.evaluate("new_checkout_design", "user-42");
/// assert!(decision.is_enabled());
/// assert_eq!(decision.reason(), Reason::InRollout);
///
/// let unknown = snapshot.evaluate("no_such_feature", "user-42");
/// assert!(!unknown.is_enabled());
/// assert_eq!(unknown.reason(), Reason::UnknownFeature);
/// # Ok::<(), gradual::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decision {
    enabled: bool,
    reason: Reason,
    bucket: Option<Bucket>,
}

impl Decision {
    #[inline]
    pub(crate) const fn new(enabled: bool, reason: Reason, bucket: Option<Bucket>) -> Self {
        Decision {
            enabled,
            reason,
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
    pub const fn reason(&self) -> Reason {
        self.reason
    }

    /// The unit's bucket, when the decision needed it.
    ///
    /// `None` when a step before the percentage decided (unknown feature,
    /// killed, listed) or the percentage was 0% or 100%, where every unit
    /// gets the same answer and no hash is computed. [`bucket`](crate::bucket())
    /// gives it on demand.
    #[inline]
    pub const fn bucket(&self) -> Option<Bucket> {
        self.bucket
    }
}

/// Why a [`Decision`] came out as it did: the step of the evaluation that
/// decided. See [the evaluation order](crate#evaluation-order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// No feature of that name in the snapshot: off.
    UnknownFeature,
    /// The feature's kill switch is off: off for everyone.
    Killed,
    /// The unit is on the feature's deny list: off.
    Denied,
    /// The unit is on the feature's allow list: on.
    Allowed,
    /// The unit's bucket is below the rollout percentage: on.
    InRollout,
    /// The unit's bucket is at or above the rollout percentage: off.
    OutOfRollout,
}

impl Reason {
    /// A short, stable, snake_case name, for logs and metric labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownFeature => "unknown_feature",
            Reason::Killed => "killed",
            Reason::Denied => "denied",
            Reason::Allowed => "allowed",
            Reason::InRollout => "in_rollout",
            Reason::OutOfRollout => "out_of_rollout",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
