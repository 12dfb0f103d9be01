//! [`Ramp`]: a validated staged ramp — the rollout percentage as a pure
//! function of time.
//!
//! A ramp does not act by itself (the library starts no timers): the
//! service calls
//! [`Rollouts::advance_ramps`](crate::Rollouts::advance_ramps) with the
//! time from its [`Clock`](crate::Clock), which sets each ramped feature's
//! percentage to the plan's. A feature with a `guard` is left to its
//! [`Guard`](crate::Guard), whose `tick` raises it one step per healthy
//! batch (and unguarded ones on schedule). A ramp that a guard or a person halted stays
//! where it was put until [`Rollouts::resume`](crate::Rollouts::resume). A
//! reload keeps the progress a ramp made, up to its plan
//! ([`Reloader::reload`](crate::Reloader::reload)).

use std::time::SystemTime;

use crate::Percentage;

/// The steps of a ramp: when each begins and its percentage. Percentages
/// never decrease and begin times never go backwards (validated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ramp {
    steps: Box<[(SystemTime, Percentage)]>,
}

impl Ramp {
    pub(crate) fn new(steps: Vec<(SystemTime, Percentage)>) -> Self {
        Ramp {
            steps: steps.into(),
        }
    }

    /// The plan's percentage at `time`: that of the last step begun by
    /// then, or `None` before the first step.
    ///
    /// ```
    /// use gradual::{Config, FeatureConfig, RampConfig, RampStep, Snapshot};
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let snapshot = Snapshot::try_from(Config::new("r1").feature(
    ///     FeatureConfig::new("f").ramp(
    ///         RampConfig::starting("1970-01-01T00:00:00Z")
    ///             .step(RampStep::hold(5, "1h"))
    ///             .step(RampStep::last(25)),
    ///     ),
    /// ))?;
    /// let ramp = snapshot.feature("f").unwrap().ramp().unwrap();
    /// let at = |secs| ramp.percentage_at(UNIX_EPOCH + Duration::from_secs(secs)).map(|p| p.to_string());
    /// assert_eq!(at(0).as_deref(), Some("5%"));
    /// assert_eq!(at(3_599).as_deref(), Some("5%"));
    /// assert_eq!(at(3_600).as_deref(), Some("25%"));
    /// # Ok::<(), gradual::ConfigError>(())
    /// ```
    pub fn percentage_at(&self, time: SystemTime) -> Option<Percentage> {
        self.steps
            .iter()
            .take_while(|(begins, _)| *begins <= time)
            .last()
            .map(|&(_, p)| p)
    }

    /// The first step begun by `time` whose percentage is above `current`:
    /// where a ramp held behind its plan goes next, one step at a time.
    pub(crate) fn next_step_above(
        &self,
        current: Percentage,
        time: SystemTime,
    ) -> Option<Percentage> {
        self.steps
            .iter()
            .take_while(|(begins, _)| *begins <= time)
            .map(|&(_, p)| p)
            .find(|&p| p > current)
    }

    /// The steps: when each begins, and its percentage.
    pub fn steps(&self) -> &[(SystemTime, Percentage)] {
        &self.steps
    }

    /// When the plan next changes after `time`, if it does.
    pub fn next_change_after(&self, time: SystemTime) -> Option<SystemTime> {
        self.steps
            .iter()
            .map(|&(begins, _)| begins)
            .find(|&begins| begins > time)
    }
}
