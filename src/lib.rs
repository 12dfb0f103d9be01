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
//! - A **feature** has a name, a kill switch, a rollout [`Percentage`],
//!   allow/deny lists of unit ids, and optionally targeting rules over
//!   context attributes, reusable segments, prerequisites, a bucket-by
//!   attribute, a salt, and weighted variants carrying values (see
//!   [the config format](config)).
//! - A [`Context`] is the unit id plus typed attributes ([`Value`]),
//!   borrowed so a request builds it on the stack.
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
//! - Evaluation returns a [`Decision`]: on or off, the [`Reason`], the
//!   [`Variant`] and the bucket. It never fails and never panics. A
//!   decision borrows from its snapshot; [`Rollouts::load`] gives one to
//!   evaluate in.
//! - Config arrives through a [`Source`] the service plugs in, and a
//!   [`Reloader`] swaps in only fully valid configs, reporting each change's
//!   blast radius ([`ChangeReport`]); see
//!   [plugging in a source](#plugging-in-a-source).
//! - The loop around the dial: [`Metrics`] count exposures per feature,
//!   reason and variant; a [`Ramp`] raises a feature's percentage on a
//!   schedule ([`Rollouts::advance_ramps`]); a [`Guard`] compares the new
//!   path's health with the old one's and advances the ramp (a guarded
//!   feature climbs only this way), holds it, or rolls it back and
//!   [halts](Rollouts::halt) it until a person resumes.
//!
//! # Evaluation order
//!
//! For a feature name and a [`Context`] (a unit id and its attributes),
//! the first step that applies decides:
//!
//! 1. No feature of that name in the snapshot: **off**,
//!    [`Reason::UnknownFeature`].
//! 2. The feature's kill switch is off (`enabled: false`): **off**,
//!    [`Reason::Killed`].
//! 3. A prerequisite feature does not evaluate on for this context (or not
//!    to the variant it requires): **off**, [`Reason::PrerequisiteFailed`].
//! 4. The unit id is on the deny list: **off**, [`Reason::Denied`].
//! 5. The unit id is on the allow list: **on**, [`Reason::Allowed`].
//! 6. The first targeting rule whose conditions all hold decides, with
//!    [`Reason::Rule`] (its index, name, and the first segment it requires): `serve: on` is
//!    **on**, `serve: off` is **off**, `variant` is **on** with that
//!    variant, and `percentage` is **on** when the unit's bucket is below
//!    the rule's percentage, else **off**.
//! 7. The feature's own percentage: 0% is **off**
//!    ([`Reason::OutOfRollout`]); otherwise **on** ([`Reason::InRollout`])
//!    when the unit's bucket is below it, else **off**
//!    ([`Reason::OutOfRollout`]). 100% without variants needs no hash (but
//!    a feature that buckets by an attribute is off without it, at 100%
//!    too: below).
//!
//! Wherever the answer is **on** and the feature has variants, the variant
//! comes from the split ([the variant split](mod@bucket#the-variant-split)),
//! except for a rule that names its variant. Wherever a bucket is needed
//! (a percentage, the split) and the feature buckets by an attribute the
//! context lacks, the answer is **off** with [`Reason::MissingBucketBy`],
//! and so it is at the feature's own 100%: a feature bucketed by an
//! attribute is on only for contexts that carry it.
//! The MD5 of a unit is computed at most once per feature evaluated (a
//! prerequisite that buckets hashes its own key), and not at
//! all on the paths that need no bucket. It is computed as soon as every
//! path left needs it: before the rules from which every rule that matches
//! buckets the unit (all of them, when none serves a fixed answer), so that
//! the CPU tests those rules while the hash's long chain of dependent steps
//! runs.
//!
//! # What it costs, and what is guaranteed
//!
//! - Evaluation finds the feature by name, then takes the steps above;
//!   only a step that needs a bucket hashes the key with MD5, once, from a
//!   per-feature prefix (one compression for keys up to 55 bytes, skipping
//!   the steps that only read the salt). It never allocates, never locks,
//!   never panics.
//! - Finding a feature is a name lookup (in a config of up to eight
//!   features, a scan; beyond, a fast non-cryptographic hash and a probe),
//!   skipped where a hint remembers where the name was found:
//!   the hint is checked against the name of the feature there, and a
//!   wrong one costs the lookup and nothing else. A snapshot's index keeps
//!   64 hints shared by all threads, by the address of the name's text (a
//!   literal comes back at one address); each is claimed by the first name
//!   found through it. On a hot path, keep a [`Reader`] per thread
//!   ([`Rollouts::reader`]): it re-reads the serving snapshot with one
//!   atomic load while nothing is swapped, and keeps 64 hints of its own,
//!   which follow the names it is asked for. A [`FeatureName`] (a `static`
//!   each) carries its own hint, for every evaluation method (the dial
//!   methods take the name as text).
//! - Many keys at once are hashed side by side (SIMD lanes where the CPU has
//!   them): [`Snapshot::evaluate_all`] for every feature of one unit,
//!   [`buckets`] for one feature over many units.
//! - The README's performance section has the measured figures, as ratios
//!   to md-5's own digest of the same key, and what profiling found.
//! - [`Rollouts`] readers never block: a load is a few atomic operations
//!   ([`arc_swap`]), and [`Rollouts::is_enabled`] caches the loaded
//!   snapshot per thread, checked with one atomic load while nothing is
//!   swapped. Exposure counts are a plain add to a stripe only the
//!   counting thread writes. Writers take a mutex among themselves; a dial
//!   change copies the list of feature pointers (not the features) and
//!   costs microseconds for thousands of features.
//! - A reader sees either the old snapshot or the new one, never a mix: hold
//!   one [`Rollouts::load`] guard for a request to get consistent answers
//!   across several features.
//! - Not guaranteed: that a reader which loaded a snapshot just before a
//!   swap finishes its request on the new one. Swaps are instant for the
//!   next load, not retroactive. The rollback history keeps whole
//!   snapshots: with very large configs, keep it short
//!   ([`RolloutsBuilder::history`]).
//!
//! # Plugging in a source
//!
//! The crate reads no files, opens no sockets and starts no threads. Where
//! the config comes from is a [`Source`] the service writes (or one of the
//! shipped [`StaticSource`], [`TestData`], [`Layered`]); when it is
//! reloaded is the service's choice: it calls [`Reloader::reload`], which
//! swaps in only fully valid configs, keeps the last known-good one
//! serving otherwise, and returns a [`ChangeReport`] of who the change
//! affects. Time comes from an injectable [`Clock`].
//!
//! ```
//! use gradual::{Rollouts, TestData};
//!
//! // In a service's own tests: pin flags in a line.
//! let flags = TestData::new();
//! flags.on("new_checkout_design");
//! let rollouts: Rollouts = flags.rollouts();
//! assert!(rollouts.is_enabled("new_checkout_design", "user-42"));
//! ```

// `unsafe` lives in one module only, `lanes` (its SIMD kernels), each
// block with its safety argument.
#![deny(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bucket;
pub mod clock;
pub mod config;
mod context;
mod decision;
pub mod diff;
mod error;
mod eval;
mod feature_name;
pub mod guard;
mod lanes;
mod md5_block;
pub mod metrics;
mod names;
#[cfg(feature = "openfeature")]
#[cfg_attr(docsrs, doc(cfg(feature = "openfeature")))]
pub mod openfeature;
mod percentage;
pub mod ramp;
mod reload;
mod rollouts;
mod rules;
mod snapshot;
pub mod source;
mod striped;
mod validate;
mod version;

pub use bucket::{Bucket, bucket, buckets};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    ConditionConfig, Config, FeatureConfig, GuardConfig, Literal, Operator, PrerequisiteConfig,
    RampConfig, RampStep, RuleConfig, SegmentConfig, Serve, VariantConfig,
};
pub use context::{Context, Value};
pub use decision::{Decision, Reason};
pub use diff::{BlastRadius, ChangeReport, FeatureChange, diff};
pub use error::{ConfigError, DialError, Owner, RollbackError};
pub use feature_name::{AsFeatureName, FeatureName};
pub use guard::{Cohort, Guard, GuardEvent, GuardPolicy, Outcome, Verdict};
pub use metrics::{Exposures, FeatureExposure, Metrics, Observer};
pub use percentage::{Percentage, PercentageError};
pub use ramp::Ramp;
pub use reload::{Reload, ReloadError, ReloadStatus, Reloader, StatusHandle};
pub use rollouts::{Halt, RampChange, Reader, Rollouts, RolloutsBuilder, SnapshotGuard};
pub use snapshot::{Feature, Revision, Snapshot, Variant};
pub use source::{Fetch, Layered, Override, Overrides, Source, StaticSource, TestData};
pub use version::Version;

/// The batch paths on a chosen hashing engine: the portable one for the
/// benches' ratios, and each one this CPU has for the tests. Not part of
/// the API: no stability promise.
#[doc(hidden)]
pub mod __bench {
    use crate::lanes::Engine;
    use crate::{Bucket, Context, Decision, Snapshot};

    /// How many hashing engines this CPU can run (the portable ones, then
    /// each SIMD one it has): the `engine` numbers the functions below take.
    pub fn engines() -> usize {
        Engine::available().len()
    }

    /// The name of each engine this CPU can run, by number: `portable4`,
    /// `portable8`, then `avx2`, `avx512vl` or `avx512` as it has them.
    pub fn engine_names() -> Vec<String> {
        Engine::available().iter().map(|e| e.to_string()).collect()
    }

    /// [`buckets`](crate::buckets) on engine number `engine` (the detected
    /// one if out of range).
    pub fn buckets_on(engine: usize, feature: &str, units: &[&str], out: &mut [Bucket]) -> usize {
        crate::bucket::buckets_on(pick(engine), feature, units, out)
    }

    /// [`Snapshot::evaluate_all`] on engine number `engine` (the detected
    /// one if out of range).
    pub fn evaluate_all_on<'s>(
        engine: usize,
        snapshot: &'s Snapshot,
        context: &Context<'_>,
        out: &mut [Decision<'s>],
    ) -> usize {
        snapshot.evaluate_all_on(pick(engine), context, out)
    }

    /// Engine number `engine`, from a list made once: the benches call
    /// this on every iteration, where making the list (an allocation and
    /// a check per engine) would cost more than the detected path pays.
    fn pick(engine: usize) -> Engine {
        static ENGINES: std::sync::OnceLock<Vec<Engine>> = std::sync::OnceLock::new();
        ENGINES
            .get_or_init(Engine::available)
            .get(engine)
            .copied()
            .unwrap_or_else(Engine::detect)
    }

    /// [`buckets`](crate::buckets) on the portable 8-lane path.
    pub fn buckets_portable(feature: &str, units: &[&str], out: &mut [Bucket]) -> usize {
        crate::bucket::buckets_on(crate::lanes::Engine::Portable8, feature, units, out)
    }

    /// [`Snapshot::evaluate_all`] on the portable 8-lane path.
    pub fn evaluate_all_portable<'s>(
        snapshot: &'s Snapshot,
        context: &Context<'_>,
        out: &mut [Decision<'s>],
    ) -> usize {
        snapshot.evaluate_all_on(crate::lanes::Engine::Portable8, context, out)
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
