//! Gradual feature rollouts for Rust services: ask "does this unit get this
//! feature?" on every request, turn the dial while requests run, and roll
//! back in microseconds.
//!
//! # Quick start
//!
//! ```
//! use gradual::{Config, FeatureConfig, Percentage, Rollouts, Snapshot};
//!
//! // Once, at start-up (or from a config file: `Config` is serde data).
//! let config = Config::new("r1").feature(FeatureConfig::new("new_checkout_design").percentage(5));
//! let rollouts = Rollouts::new(Snapshot::try_from(config)?);
//!
//! // On every request, from any thread: lock-free, allocation-free.
//! let user_id = "user-42";
//! if rollouts.is_enabled("new_checkout_design", user_id) {
//!     // render the new checkout
//! }
//!
//! // Later, after monitoring and seeing success: turn the dial.
//! rollouts.set_percentage("new_checkout_design", Percentage::from_percent(25)?)?;
//!
//! // Something is wrong: back to the last known-good state, at once.
//! rollouts.rollback()?;
//! assert_eq!(rollouts.revision().to_string(), "r1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Concepts
//!
//! - A **unit** is whatever a rollout is sticky to: a user id, a session, a
//!   device. It is a plain `&str`.
//! - A **feature** has a name, a kill switch, a rollout [`Percentage`] and
//!   allow/deny lists of unit ids.
//! - A unit's [`Bucket`] for a feature comes from
//!   [the hash contract](mod@bucket#the-contract): MD5 of `"{feature}:{unit}"`,
//!   exactly as the reference Python `GradualFeatureRollout` computes it. A
//!   unit is in a `p`% rollout when its bucket is below `p`, so raising the
//!   percentage only ever adds units.
//! - A [`Config`] is the serde data a service loads. It becomes a
//!   [`Snapshot`] once, through `Snapshot::try_from`, which is where all
//!   validation happens ([`ConfigError`] names the feature, the field and
//!   the value). A snapshot never changes.
//! - [`Rollouts`] is the cheaply clonable handle that serves a snapshot to
//!   every request thread and lets writers swap in the next one: the dial
//!   ([`set_percentage`](Rollouts::set_percentage),
//!   [`kill`](Rollouts::kill), [`revive`](Rollouts::revive)), a whole new
//!   config ([`replace`](Rollouts::replace)) and
//!   [`rollback`](Rollouts::rollback) to an earlier snapshot.
//! - Evaluation returns a [`Decision`]: on or off, the [`Reason`] and the
//!   bucket. It never fails and never panics.
//!
//! # Evaluation order
//!
//! For a feature name and a unit, the first step that applies decides:
//!
//! 1. No feature of that name in the snapshot: **off**,
//!    [`Reason::UnknownFeature`].
//! 2. The feature's kill switch is off (`enabled: false`): **off**,
//!    [`Reason::Killed`].
//! 3. The unit is on the deny list: **off**, [`Reason::Denied`]. Deny wins
//!    over allow (a config listing a unit in both is rejected anyway).
//! 4. The unit is on the allow list: **on**, [`Reason::Allowed`].
//! 5. The percentage is 0% or 100%: **off** with [`Reason::OutOfRollout`] or
//!    **on** with [`Reason::InRollout`], without hashing.
//! 6. Otherwise the unit's fine bucket is computed: **on** with
//!    [`Reason::InRollout`] when it is below the percentage, else **off**
//!    with [`Reason::OutOfRollout`]. The decision carries the bucket.
//!
//! # What it costs, and what is guaranteed
//!
//! - Evaluation is a name lookup (a fast non-cryptographic hash), then the
//!   steps above; only step 6 hashes the key with MD5, one compression
//!   per 64-byte block (keys up to 55 bytes need one). It never allocates,
//!   never locks, never panics. The README's performance section has the
//!   measured figures, as ratios to md-5's own digest of the same key.
//! - [`Rollouts`] readers never block: a load is a few atomic operations
//!   ([`arc_swap`]). Writers take a mutex among themselves; a dial change
//!   copies the list of feature pointers (not the features) and costs
//!   microseconds for thousands of features.
//! - A reader sees either the old snapshot or the new one, never a mix: hold
//!   one [`Rollouts::load`] guard for a request to get consistent answers
//!   across several features.
//! - Not guaranteed: that a reader which loaded a snapshot just before a
//!   swap finishes its request on the new one. Swaps are instant for the
//!   next load, not retroactive.
//!
//! # No I/O, no threads
//!
//! The crate reads no files, opens no sockets and starts no threads. Where
//! the config comes from, and when it is reloaded, is the service's choice.

#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![doc(test(attr(deny(warnings))))]

pub mod bucket;
pub mod config;
mod context;
mod decision;
mod error;
mod eval;
mod percentage;
mod rollouts;
mod rules;
mod snapshot;
mod validate;
mod version;

pub use bucket::{Bucket, bucket};
pub use config::{
    ConditionConfig, Config, FeatureConfig, Literal, Operator, PrerequisiteConfig, RuleConfig,
    SegmentConfig, Serve, VariantConfig,
};
pub use context::{Context, Value};
pub use decision::{Decision, Reason};
pub use error::{ConfigError, DialError, Owner, RollbackError};
pub use percentage::{Percentage, PercentageError};
pub use rollouts::{Rollouts, SnapshotGuard};
pub use snapshot::{Feature, Revision, Snapshot, Variant};
pub use version::Version;
