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
//!
//! A [`Reader`](crate::Reader) keeps the same kind of hints for names
//! given as text ([`NameHints`]), checked the same way; and a snapshot's
//! name index keeps a shared set ([`SharedHints`]) for names given as text
//! anywhere else.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::Snapshot;
use crate::names::same_text;

/// A feature's name that remembers where it was last found, for the flags
/// a service checks on every request.
///
/// Evaluating through one gives exactly the decision evaluating by the
/// `&str` name gives, a few nanoseconds sooner: finding a feature by name
/// hashes the name and probes a table, where a `FeatureName` reads one
/// position and compares the name there. Names given as text get the same
/// from hints kept by a [`Reader`](crate::Reader) and by a snapshot's index,
/// in slots picked by the text's address, which names can share; a
/// `FeatureName`'s hint is its own, and works for a name built at run time
/// as well as for a literal.
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
        if found_at(snapshot, hint, &self.name) {
            return Some(hint);
        }
        let found = snapshot.index.names.get(&self.name).copied()?;
        self.position.store(found, Ordering::Relaxed);
        Some(found)
    }
}

/// A thread's hints for features named by text, kept in its
/// [`Reader`](crate::Reader): where it last found the feature of a name,
/// in a few slots picked by the address of the name's text.
///
/// A service names its flags with string literals (or strings it keeps),
/// so the same flag comes back with the same address, and its slot holds
/// its position: checking the name there costs a few instructions, where
/// the lookup hashes the name and probes a table. Like a `FeatureName`'s,
/// each hint is checked against the name of the feature it points at, so
/// a slot shared by two names, a reload, or text at a reused address only
/// costs a lookup, never a wrong feature.
#[derive(Clone, Debug)]
pub struct NameHints([u32; HINTS]);

/// Slots in [`NameHints`] (a power of two): 256 bytes, room for the flags
/// of a large service with few sharing a slot.
const HINTS: usize = 64;

impl Default for NameHints {
    fn default() -> Self {
        NameHints([u32::MAX; HINTS])
    }
}

impl NameHints {
    /// The position of the feature named `name` in `snapshot`: the hint in
    /// its slot if the feature there has that name, else the lookup's,
    /// remembered.
    #[inline(always)]
    pub(crate) fn find(&mut self, name: &str, snapshot: &Snapshot) -> Option<usize> {
        let hint = &mut self.0[slot(name)];
        if found_at(snapshot, *hint as usize, name) {
            return Some(*hint as usize);
        }
        look_up(hint, name, snapshot)
    }
}

/// A missed hint: the name lookup, remembered in the slot. Out of line, so
/// that the hit above inlines into the reader's methods.
#[inline(never)]
fn look_up(hint: &mut u32, name: &str, snapshot: &Snapshot) -> Option<usize> {
    let found = snapshot.index.names.get(name).copied()?;
    *hint = u32::try_from(found).unwrap_or(u32::MAX);
    Some(found)
}

/// Hints shared by every thread, kept with a snapshot's name index (so
/// snapshots derived by the dial, which keep every feature's position,
/// share them too): for names given as text outside a
/// [`Reader`](crate::Reader), as in [`Snapshot::evaluate`] and
/// [`Rollouts::is_enabled`](crate::Rollouts::is_enabled).
///
/// Slots are picked as [`NameHints`]' are, and each hint is checked the
/// same way. A slot is written once, by the first name found through it:
/// were a miss to overwrite it, two threads whose names share a slot would
/// write it in turn on every call, and each write would take the slot's
/// cache line from the other core. A name whose slot holds another's hint
/// is looked up, as it would be without hints.
#[derive(Debug)]
pub(crate) struct SharedHints([AtomicU32; HINTS]);

impl Default for SharedHints {
    fn default() -> Self {
        SharedHints(std::array::from_fn(|_| AtomicU32::new(u32::MAX)))
    }
}

impl SharedHints {
    /// The position of the feature named `name` in `snapshot`, whose index
    /// these hints belong to.
    #[inline(always)]
    pub(crate) fn find(&self, name: &str, snapshot: &Snapshot) -> Option<usize> {
        let hint = &self.0[slot(name)];
        // A hint, so a relaxed load: a stale or foreign position is caught
        // by the check.
        let position = hint.load(Ordering::Relaxed) as usize;
        if found_at(snapshot, position, name) {
            return Some(position);
        }
        look_up_shared(hint, name, snapshot)
    }
}

/// A missed shared hint: the name lookup, remembered if the slot is free.
#[inline(never)]
fn look_up_shared(hint: &AtomicU32, name: &str, snapshot: &Snapshot) -> Option<usize> {
    let found = snapshot.index.names.get(name).copied()?;
    if let Ok(position) = u32::try_from(found) {
        // Only into a free slot; losing the race to another name is fine.
        let _ = hint.compare_exchange(u32::MAX, position, Ordering::Relaxed, Ordering::Relaxed);
    }
    Some(found)
}

/// Whether the feature at `position` in `snapshot` is named `name`: the
/// check that makes every remembered position a hint and never an answer.
#[inline]
fn found_at(snapshot: &Snapshot, position: usize, name: &str) -> bool {
    snapshot
        .features
        .get(position)
        .is_some_and(|feature| same_text(&feature.name, name))
}

/// The slot of `name` in [`NameHints`], by the address of its text:
/// Fibonacci hashing, whose high bits spread literals that lie side by
/// side over the slots.
#[inline]
fn slot(name: &str) -> usize {
    let product = (name.as_ptr() as usize as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (product >> (64 - HINTS.trailing_zeros())) as usize % HINTS
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
    use super::NameHints;
    use crate::Snapshot;

    /// Finds the feature in a snapshot: its position there, if it has it.
    pub trait Find {
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize>;

        /// The same, for a [`Reader`](crate::Reader): names given as text
        /// go through its hints.
        #[inline]
        fn position_hinted(&self, snapshot: &Snapshot, _: &mut NameHints) -> Option<usize> {
            self.position_in(snapshot)
        }
    }

    impl Find for str {
        #[inline]
        fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
            snapshot.index.hints.find(self, snapshot)
        }

        #[inline(always)]
        fn position_hinted(&self, snapshot: &Snapshot, hints: &mut NameHints) -> Option<usize> {
            hints.find(self, snapshot)
        }
    }

    /// Text that derefs to a `str` finds as that `str` does.
    macro_rules! find_as_str {
        ($($t:ty),*) => {$(
            impl Find for $t {
                #[inline]
                fn position_in(&self, snapshot: &Snapshot) -> Option<usize> {
                    str::position_in(self, snapshot)
                }

                #[inline]
                fn position_hinted(&self, snapshot: &Snapshot, hints: &mut NameHints) -> Option<usize> {
                    str::position_hinted(self, snapshot, hints)
                }
            }
        )*};
    }

    find_as_str!(String, Box<str>, std::borrow::Cow<'_, str>);

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

        #[inline]
        fn position_hinted(&self, snapshot: &Snapshot, hints: &mut NameHints) -> Option<usize> {
            (**self).position_hinted(snapshot, hints)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{NameHints, slot};
    use crate::{Config, FeatureConfig, Percentage, Snapshot};
    use std::sync::atomic::Ordering::Relaxed;

    fn snapshot(names: &[&str]) -> Snapshot {
        let mut config = Config::new("r");
        for name in names {
            config = config.feature(FeatureConfig::new(*name));
        }
        // Enough features that the name index is hashed, not scanned.
        for i in 0..20 {
            config = config.feature(FeatureConfig::new(format!("other_{i}")));
        }
        Snapshot::try_from(config).expect("valid")
    }

    /// Copies of `a` and of `b` whose texts lie at addresses that share a
    /// slot, found in runs of copies.
    fn sharing_a_slot<'t>(a: &'t str, b: &'t str) -> (&'t str, &'t str) {
        let slot_of_a = slot(a);
        let copy = (0..b.len() / 8)
            .map(|i| &b[8 * i..8 * i + 8])
            .find(|copy| slot(copy) == slot_of_a)
            .expect("one of the copies shares the slot");
        (a, copy)
    }

    #[test]
    fn names_that_share_a_slot_each_find_their_own_feature() {
        let alphas = String::from("alpha___");
        let betas = "beta____".repeat(512);
        let (alpha, beta) = sharing_a_slot(&alphas, &betas);
        assert_eq!(slot(alpha), slot(beta));
        let snapshot = snapshot(&["alpha___", "beta____"]);
        let mut hints = NameHints::default();
        for _ in 0..3 {
            assert_eq!(hints.find(alpha, &snapshot), Some(0));
            assert_eq!(hints.0[slot(alpha)], 0, "the slot remembers alpha");
            assert_eq!(hints.find(beta, &snapshot), Some(1));
            assert_eq!(hints.0[slot(alpha)], 1, "and then beta");
        }
        // Found again where the hint points: no lookup needed, same answer.
        assert_eq!(hints.find(beta, &snapshot), Some(1));
    }

    #[test]
    fn a_hint_from_another_snapshot_never_names_another_feature() {
        let mut hints = NameHints::default();
        let name = "checkout";
        let first = snapshot(&["checkout", "search"]);
        assert_eq!(hints.find(name, &first), Some(0));
        // Reordered: the hint points at `search` now, and misses.
        let reordered = snapshot(&["search", "checkout"]);
        assert_eq!(hints.find(name, &reordered), Some(1));
        // Removed: unknown, though the hint points at a feature.
        let removed = snapshot(&["search", "beta"]);
        assert_eq!(hints.find(name, &removed), None);
        // A hint past the end of a smaller snapshot.
        let small = Snapshot::try_from(Config::new("s").feature(FeatureConfig::new("search")))
            .expect("valid");
        assert_eq!(hints.find(name, &small), None);
        assert_eq!(hints.find("search", &small), Some(0));
    }

    #[test]
    fn a_shared_slot_keeps_the_first_name_and_the_others_are_looked_up() {
        let alphas = String::from("alpha___");
        let betas = "beta____".repeat(512);
        let (alpha, beta) = sharing_a_slot(&alphas, &betas);
        let snapshot = snapshot(&["alpha___", "beta____"]);
        let hints = &snapshot.index.hints;
        for _ in 0..3 {
            assert_eq!(hints.find(alpha, &snapshot), Some(0));
            assert_eq!(hints.find(beta, &snapshot), Some(1));
            assert_eq!(
                hints.0[slot(alpha)].load(Relaxed),
                0,
                "alpha keeps the slot"
            );
        }
        // Through the public methods, by text.
        assert_eq!(snapshot.feature(beta).map(|f| f.name()), Some("beta____"));
        assert_eq!(snapshot.feature(alpha).map(|f| f.name()), Some("alpha___"));
    }

    #[test]
    fn a_wrong_shared_hint_is_caught_and_not_believed() {
        let snapshot = snapshot(&["checkout", "search"]);
        let name = "checkout";
        let hints = &snapshot.index.hints;
        // The slot points at `search`, or past the end: both are checked.
        for wrong in [1, 999] {
            hints.0[slot(name)].store(wrong, Relaxed);
            assert_eq!(hints.find(name, &snapshot), Some(0));
            assert_eq!(snapshot.feature(name).map(|f| f.name()), Some("checkout"));
        }
        assert_eq!(hints.find("absent", &snapshot), None);
    }

    #[test]
    fn shared_hints_go_with_the_index() {
        let first = snapshot(&["checkout", "search"]);
        assert_eq!(first.index.hints.find("search", &first), Some(1));
        // A dial change keeps every position, and the index with its hints.
        let dialed = first
            .with_percentage("search", Percentage::from_percent(5).expect("valid"))
            .expect("known feature");
        assert!(std::sync::Arc::ptr_eq(&first.index, &dialed.index));
        // A new config has an index of its own, and finds by its own.
        let reordered = snapshot(&["search", "checkout"]);
        assert_eq!(reordered.index.hints.find("search", &reordered), Some(0));
        assert_eq!(
            reordered.feature("search").map(|f| f.name()),
            Some("search")
        );
    }
}
