//! Errors: only where input is accepted. A request-time decision is never an
//! error (see [`Reason`](crate::Reason)).
//!
//! Messages are lowercase, carry no trailing period, and name the feature,
//! the field and the offending value. They are part of the interface: tests
//! assert them verbatim.

/// A config that cannot become a [`Snapshot`](crate::Snapshot).
///
/// Validation stops at the first problem, in the order the features are
/// listed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config's `schema_version` is not one this release reads.
    #[error("schema_version {found} is not supported (this release reads {supported})")]
    UnsupportedSchema {
        /// The version in the config.
        found: u32,
        /// The version this release reads.
        supported: u32,
    },
    /// The config's `revision` label is empty.
    #[error("revision is empty")]
    EmptyRevision,
    /// A feature's `name` is empty; `index` is its position in `features`.
    #[error("feature #{index}: name is empty")]
    EmptyName {
        /// Zero-based position in the config's feature list.
        index: usize,
    },
    /// A feature's `name` starts or ends with whitespace (almost always a typo).
    #[error("feature `{feature}`: name has leading or trailing whitespace")]
    NameWhitespace {
        /// The feature's name as given.
        feature: String,
    },
    /// Two features share a `name`.
    #[error("feature `{feature}`: name is defined more than once")]
    DuplicateFeature {
        /// The repeated name.
        feature: String,
    },
    /// A `percentage` outside `0..=100`, or not a number.
    #[error("feature `{feature}`: percentage {value} is out of range (0..=100)")]
    PercentageOutOfRange {
        /// The feature's name.
        feature: String,
        /// The percentage as given.
        value: f64,
    },
    /// A `percentage` with more precision than the fine bucket (0.01%).
    #[error("feature `{feature}`: percentage {value} is finer than 0.01")]
    PercentageTooFine {
        /// The feature's name.
        feature: String,
        /// The percentage as given.
        value: f64,
    },
    /// An empty unit id in the `allow` or `deny` list.
    #[error("feature `{feature}`: {field} contains an empty unit id")]
    EmptyUnit {
        /// The feature's name.
        feature: String,
        /// `allow` or `deny`.
        field: &'static str,
    },
    /// One unit id in both the `allow` and the `deny` list.
    #[error("feature `{feature}`: unit `{unit}` is in both allow and deny")]
    AllowedAndDenied {
        /// The feature's name.
        feature: String,
        /// The unit id listed twice.
        unit: String,
    },
}

/// A dial change ([`Rollouts::set_percentage`](crate::Rollouts::set_percentage),
/// [`kill`](crate::Rollouts::kill), [`revive`](crate::Rollouts::revive)) that
/// could not be applied. The serving snapshot is left as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialError {
    /// The feature is not in the serving snapshot.
    #[error("feature `{feature}` is not in revision {revision}")]
    UnknownFeature {
        /// The name asked for.
        feature: String,
        /// The revision serving when the change was tried.
        revision: String,
    },
}

/// A [`Rollouts::rollback`](crate::Rollouts::rollback) that had nowhere to go.
/// The serving snapshot is left as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    /// No earlier snapshot is kept.
    #[error("no earlier revision to roll back to")]
    NoHistory,
    /// No kept snapshot carries the revision asked for.
    #[error("revision {revision} is not in the rollback history")]
    NotInHistory {
        /// The revision asked for.
        revision: String,
    },
}
