use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Clock;

/// A clock that moves only when told to. Clones share one time, so a test
/// can hand a clone to the code under test and advance it from outside.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use gradual::{Clock, ManualClock};
///
/// let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_000));
/// let seen_by_code = clock.clone();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(seen_by_code.now(), UNIX_EPOCH + Duration::from_secs(1_060));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    /// Nanoseconds since the Unix epoch.
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `time` (clamped to the Unix epoch .. year 2554).
    pub fn at(time: SystemTime) -> Self {
        ManualClock {
            nanos: Arc::new(AtomicU64::new(to_nanos(time))),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Sets the clock, forwards or backwards.
    pub fn set(&self, time: SystemTime) {
        self.nanos.store(to_nanos(time), Ordering::Release);
    }
}

impl Default for ManualClock {
    /// A clock at the Unix epoch.
    fn default() -> Self {
        ManualClock::at(UNIX_EPOCH)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

fn to_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
