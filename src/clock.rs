//! [`Clock`]: where time comes from. The library never reads the time
//! itself; whatever needs it (reload status, staged ramps) takes a clock.
//!
//! [`SystemClock`] reads the system's wall clock; [`ManualClock`] is set by
//! hand, for tests (yours and ours).

use std::time::SystemTime;

mod manual;

pub use manual::ManualClock;

/// A source of wall-clock time.
///
/// Wall-clock rather than monotonic time, because rollout plans are
/// written in calendar time ("25% from 14:00 UTC") and reload status is
/// shown to people.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock, [`SystemTime::now`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}
