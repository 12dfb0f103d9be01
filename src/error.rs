//! Errors: only where input is accepted. A request-time decision is never an
//! error (see [`Reason`](crate::Reason)).
//!
//! Messages are lowercase, carry no trailing period, and name the feature,
//! the field and the offending value. They are part of the interface: tests
//! assert them verbatim.

use crate::{Literal, Operator};

/// A config that cannot become a [`Snapshot`](crate::Snapshot).
///
/// Validation stops at the first problem. It checks the config's own
/// fields, then each segment and each feature by itself in the order they
/// are listed, then what spans features (prerequisites, cycles): a
/// prerequisite on an unknown feature is reported only when every feature
/// is valid by itself. [`Config::errors`](crate::Config::errors) goes on
/// past the first.
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
    /// A percentage (`percentage`, a rule's `percentage` or a variant's
    /// `weight`) outside `0..=100`, or not a number.
    #[error("feature `{feature}`: {field} {value} is out of range (0..=100)")]
    PercentageOutOfRange {
        /// The feature's name.
        feature: String,
        /// Where: `percentage`, `rules[1].percentage`, `variants[0].weight`.
        field: String,
        /// The percentage as given.
        value: f64,
    },
    /// A percentage with more precision than the fine bucket (0.01%).
    #[error("feature `{feature}`: {field} {value} is finer than 0.01")]
    PercentageTooFine {
        /// The feature's name.
        feature: String,
        /// Where: `percentage`, `rules[1].percentage`, `variants[0].weight`.
        field: String,
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
    /// A string field that must not be empty is (a salt, an attribute
    /// name, a segment, rule or variant name).
    #[error("{owner}: {field} is empty")]
    EmptyField {
        /// The feature or segment it belongs to.
        owner: Owner,
        /// Where: `salt`, `bucket_by`, `rules[0].conditions[1].attribute`.
        field: String,
    },
    /// A segment's `name` is empty; `index` is its position in `segments`.
    #[error("segment #{index}: name is empty")]
    EmptySegmentName {
        /// Zero-based position in the config's segment list.
        index: usize,
    },
    /// Two segments share a name.
    #[error("segment `{segment}`: name is defined more than once")]
    DuplicateSegment {
        /// The repeated name.
        segment: String,
    },
    /// Two variants of one feature share a name.
    #[error("feature `{feature}`: variant `{variant}` is defined more than once")]
    DuplicateVariant {
        /// The feature's name.
        feature: String,
        /// The repeated variant name.
        variant: String,
    },
    /// A feature's variant weights do not add up to 100.
    #[error("feature `{feature}`: variants: weights sum to {sum}, not 100")]
    VariantWeights {
        /// The feature's name.
        feature: String,
        /// The sum of the weights, in percent.
        sum: f64,
    },
    /// A condition refers to a segment the config does not define.
    #[error("{owner}: {field}: unknown segment `{segment}`")]
    UnknownSegment {
        /// The feature or segment it belongs to.
        owner: Owner,
        /// Where: `rules[0].conditions[1].segment`.
        field: String,
        /// The segment asked for.
        segment: String,
    },
    /// A rule or prerequisite names a variant that does not exist.
    #[error("feature `{feature}`: {field}: unknown variant `{variant}`")]
    UnknownVariant {
        /// The feature's name.
        feature: String,
        /// Where: `rules[2].variant`, `prerequisites[0].variant`.
        field: String,
        /// The variant asked for.
        variant: String,
    },
    /// A prerequisite names a feature the config does not define.
    #[error("feature `{feature}`: {field}: unknown feature `{prerequisite}`")]
    UnknownPrerequisite {
        /// The feature's name.
        feature: String,
        /// Where: `prerequisites[0].feature`.
        field: String,
        /// The feature asked for.
        prerequisite: String,
    },
    /// Features whose prerequisites form a cycle, listed along it, the first
    /// repeated at the end.
    #[error("prerequisite cycle: {}", render_cycle(.cycle))]
    PrerequisiteCycle {
        /// The features on the cycle, `[a, b, a]` for `a -> b -> a`.
        cycle: Vec<String>,
    },
    /// A prerequisite chain longer than evaluation allows.
    #[error("feature `{feature}`: prerequisite chain is deeper than {max}")]
    PrerequisiteTooDeep {
        /// The first feature, in config order, whose chain is too deep.
        feature: String,
        /// The deepest chain allowed.
        max: usize,
    },
    /// A feature whose prerequisites, counted each time they are reached,
    /// would take more evaluations than one evaluation may.
    #[error(
        "feature `{feature}`: evaluating its prerequisites takes {evaluations} evaluations, more than {max}"
    )]
    PrerequisitesTooMany {
        /// The feature.
        feature: String,
        /// Evaluations one evaluation of it would take (saturating).
        evaluations: u64,
        /// The most allowed.
        max: u64,
    },
    /// A condition or rule that is not well formed.
    #[error("{owner}: {field}: {problem}")]
    Malformed {
        /// The feature or segment it belongs to.
        owner: Owner,
        /// Where: `rules[1]`, `rules[0].conditions[2]`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// An operator given a value of a type it does not compare.
    #[error("{owner}: {field}: operator `{}` takes {expected}, not {value}", .op.as_str())]
    OperatorType {
        /// The feature or segment it belongs to.
        owner: Owner,
        /// Where: `rules[0].conditions[0].values[1]`.
        field: String,
        /// The operator.
        op: Operator,
        /// What it takes: `a number`, `a string`, `a version string`.
        expected: &'static str,
        /// The value given.
        value: Literal,
    },
    /// A `semver_*` value that is not a version.
    #[error("{owner}: {field}: {value:?} is not a version")]
    InvalidVersion {
        /// The feature or segment it belongs to.
        owner: Owner,
        /// Where: `rules[0].conditions[0].values[0]`.
        field: String,
        /// The value given.
        value: String,
    },
}

fn render_cycle(cycle: &[String]) -> String {
    let names: Vec<String> = cycle.iter().map(|n| format!("`{n}`")).collect();
    names.join(" -> ")
}

/// Whose part of the config an error is in: a feature or a segment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Owner {
    /// A feature, by name.
    Feature(String),
    /// A segment, by name.
    Segment(String),
}

impl core::fmt::Display for Owner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Owner::Feature(name) => write!(f, "feature `{name}`"),
            Owner::Segment(name) => write!(f, "segment `{name}`"),
        }
    }
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
