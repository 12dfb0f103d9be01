use crate::{Context, Decision, Feature};

/// Receives every decision a [`Metrics`](crate::Metrics) registry records:
/// for users who want exposures in a sink of their own (an event stream,
/// an experiment log).
///
/// Called on the request thread, after the decision is made: keep it cheap
/// and non-blocking (push to a channel, bump your own counter).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use gradual::{Config, Context, Decision, Feature, FeatureConfig, Metrics, Observer, Rollouts, Snapshot};
///
/// #[derive(Default)]
/// struct CountOn(AtomicU64);
///
/// impl Observer for CountOn {
///     fn observe(&self, _feature: &Feature, _context: &Context<'_>, decision: &Decision<'_>) {
///         if decision.is_enabled() {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let sink = Arc::new(CountOn::default());
/// let metrics = Metrics::new().with_observer(sink.clone());
/// let rollouts = Rollouts::builder().metrics(metrics).build(Snapshot::try_from(
///     Config::new("r1").feature(FeatureConfig::new("f").percentage(100)),
/// )?);
/// rollouts.is_enabled("f", "user-1");
/// assert_eq!(sink.0.load(Ordering::Relaxed), 1);
/// # Ok::<(), gradual::ConfigError>(())
/// ```
pub trait Observer: Send + Sync {
    /// One evaluation of `feature` for `context` came out as `decision`.
    fn observe(&self, feature: &Feature, context: &Context<'_>, decision: &Decision<'_>);
}
