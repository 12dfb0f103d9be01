//! [`FeatureName`]: a feature's name that remembers where the snapshot
//! keeps the feature, so that evaluating it again skips the name lookup;
//! and [`AsFeatureName`], what the evaluation methods take to name a
//! feature.
//!
//! The remembered position is only a hint, checked on every use against
//! the name of the feature found there: a reload that reorders, removes or
//! adds features makes the hint miss, and a miss falls back to the name
//! lookup and remembers the new position. So a `FeatureName` never gives
//! another feature's decision, whatever snapshots it has seen, and one can
//! be shared by every thread (a `static`).

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Snapshot;
use crate::names::same_text;

/// A feature's name that remembers where it was last found, for the flags
/// a service checks on every request.
///
/// Evaluating through one gives exactly the decision evaluating by the
/// `&str` name gives, a few nanoseconds sooner: finding a feature by name
/// hashes the name and probes a table, where a `FeatureName` reads one
/// position and compares the name there.
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, FeatureName, Rollouts, Snapshot};
///
/// static NEW_CHECKOUT: FeatureName = FeatureName::new("new_checkout_design");
///
/// let rollouts = Rollouts::new(Snapshot::try_from(
///     Config::new("r1").feature(FeatureConfig::new("new_checkout_design").percentage(100)),
/// )?);
/// let mut reader = rollouts.reader();
/// assert!(reader.is_enabled(&NEW_CHECKOUT, "user-42"));
/// assert_eq!(
///     rollouts.load().evaluate(&NEW_CHECKOUT, "user-42"),
///     rollouts.load().evaluate("new_checkout_design", "user-42"),
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FeatureName {
    name: Cow<'static, str>,
    /// The position of the feature in the snapshot it was last found in
    /// (`usize::MAX` before that): a hint, so relaxed loads and stores.
    position: AtomicUsize,
}

impl FeatureName {
    /// The name of a feature, for a `static` or a `const`.
    pub const fn new(name: &'static str) -> Self {
        FeatureName {
            name: Cow::Borrowed(name),
            position: AtomicUsize::new(usize::MAX),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The feature's position in `snapshot`: the remembered one if the
    /// feature there has this name, else the name lookup's, remembered.
    #[inline]
    fn find(&self, snapshot: &Snapshot) -> Option<usize> {
        let hint = self.position.load(Ordering::Relaxed);
        if let Some(feature) = snapshot.features.get(hint)
            && same_text(&feature.name, &self.name)
        {
            return Some(hint);
        }
        let found = sealed::Find::position_in(&*self.name, snapshot)?;
        self.position.store(found, Ordering::Relaxed);
        Some(found)
    }
}

impl From<String> for FeatureName {
    /// A name known only at run time (from a config or a request).
    fn from(name: String) -> Self {
        FeatureName {
            name: Cow::Owned(name),
            position: AtomicUsize::new(usize::MAX),
        }
    }
}

impl Clone for FeatureName {
    fn clone(&self) -> Self {
        FeatureName {
            name: self.name.clone(),
            position: AtomicUsize::new(self.position.load(Ordering::Relaxed)),
        }
    }
}

impl PartialEq for FeatureName {
    /// Names are equal when their text is; where they were found is not
    /// compared.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for FeatureName {}

/// What the evaluation methods take to name a feature: a `&str`, a
/// `String`, or a [`FeatureName`] (which skips the name lookup when it can).
///
/// Sealed: implemented by this crate only.
pub trait AsFeatureName: sealed::Find {}

impl AsFeatureName for str {}
impl AsFeatureName for String {}
impl AsFeatureName for Box<str> {}
impl AsFeatureName for Cow<'_, str> {}
impl AsFeatureName for FeatureName {}
impl<T: AsFeatureName + ?Sized> AsFeatureName for &T {}

pub(crate) mod sealed {
    use crate::Snapshot;

    /// Finds the feature in a snapshot: its position there, if it has it.
    pub trait Find {
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize>;
    }

    impl Find for str {
        #[inline]
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
            snapshot.index.get(self).copied()
        }
    }

    impl Find for String {
        #[inline]
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
            self.as_str().position_in(snapshot)
        }
    }

    impl Find for Box<str> {
        #[inline]
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
            (**self).position_in(snapshot)
        }
    }

    impl Find for std::borrow::Cow<'_, str> {
        #[inline]
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
            (**self).position_in(snapshot)
        }
    }

    impl Find for super::FeatureName {
        #[inline]
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
            self.find(snapshot)
        }
    }

    impl<T: Find + ?Sized> Find for &T {
        #[inline]
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
            (**self).position_in(snapshot)
        }
    }
}
