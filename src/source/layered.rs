use std::sync::{Arc, Mutex, PoisonError};

use crate::{Config, Fetch, Percentage, Revision, Source};

/// Local overrides on top of another source: an operator forcing one
/// feature off on one host, whatever the remote config says.
///
/// # Precedence
///
/// For each feature an override names, the fields it sets replace the
/// fetched ones: a forced kill switch replaces `enabled`, a forced
/// percentage replaces `percentage`. Everything else (rules, lists,
/// variants, other features) comes from the underlying source. An override
/// for a feature the source does not (or no longer) define is kept but
/// applies to nothing, so a source dropping a feature never fails a reload.
/// Overrides are applied before validation, so an override can never put
/// an invalid config live.
///
/// Because overrides are re-applied on every reload, they survive config
/// changes, unlike a dial change made directly on the handle, which lasts
/// until the source gives a new config.
///
/// A new override goes live at the next reload even while the underlying
/// source fails: it is applied to the last config that source gave, and
/// the source's error is reported by the reload after. (If that config was
/// itself rejected, so is the override's; and while overrides keep
/// changing, each reload serves them rather than the source's error.) The underlying
/// source is asked with its own revision, not the layered label.
///
/// # Examples
///
/// ```
/// use gradual::{Config, FeatureConfig, Layered, Reloader, Rollouts, StaticSource};
///
/// let remote = StaticSource::new(Config::new("r1").feature(FeatureConfig::new("checkout").percentage(100)));
/// let layered = Layered::new(remote.clone());
/// let overrides = layered.overrides(); // for the operator's endpoint
/// let rollouts = Rollouts::default();
/// let mut reloader = Reloader::new(layered, rollouts.clone());
/// reloader.reload()?;
/// assert!(rollouts.is_enabled("checkout", "u"));
///
/// overrides.kill("checkout");
/// reloader.reload()?;
/// assert!(!rollouts.is_enabled("checkout", "u"));
///
/// // A new remote config does not undo the local kill.
/// remote.set(Config::new("r2").feature(FeatureConfig::new("checkout").percentage(100)));
/// reloader.reload()?;
/// assert!(!rollouts.is_enabled("checkout", "u"));
/// // The label names the remote config and the overrides' edit count.
/// assert_eq!(rollouts.revision().label(), "r2+overrides.1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Layered<S> {
    base: S,
    overrides: Overrides,
    last_base: Option<Config>,
    seen: u64,
}

/// A shared, clonable set of local overrides; see [`Layered`].
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    shared: Arc<Mutex<OverrideSet>>,
}

#[derive(Debug, Default)]
struct OverrideSet {
    by_feature: Vec<Override>,
    version: u64,
}

/// What is forced for one feature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Override {
    /// The feature.
    pub feature: String,
    /// Forces the kill switch.
    pub enabled: Option<bool>,
    /// Forces the rollout percentage. A forced percentage also takes the
    /// feature off its ramp while it lasts, since the ramp would raise it
    /// again (its guard, if any, still judges it).
    pub percentage: Option<Percentage>,
}

impl Overrides {
    /// Forces a feature off.
    pub fn kill(&self, feature: &str) {
        self.edit(feature, |o| o.enabled = Some(false));
    }

    /// Forces a feature's kill switch on (it still applies its percentage).
    pub fn revive(&self, feature: &str) {
        self.edit(feature, |o| o.enabled = Some(true));
    }

    /// Forces a feature's rollout percentage, off its ramp if it has one,
    /// until [`Overrides::clear`]. The reload after that puts it back on
    /// its ramp at the percentage it serves, capped by the plan's: a forced
    /// percentage above the plan comes down to it.
    pub fn set_percentage(&self, feature: &str, percentage: Percentage) {
        self.edit(feature, |o| o.percentage = Some(percentage));
    }

    /// Drops every override of a feature.
    pub fn clear(&self, feature: &str) {
        let mut set = self.lock();
        set.by_feature.retain(|o| o.feature != feature);
        set.version += 1;
    }

    /// The overrides in force, in the order they were first set.
    pub fn list(&self) -> Vec<Override> {
        self.lock().by_feature.clone()
    }

    fn edit(&self, feature: &str, change: impl FnOnce(&mut Override)) {
        let mut set = self.lock();
        let at = match set.by_feature.iter().position(|o| o.feature == feature) {
            Some(at) => at,
            None => {
                set.by_feature.push(Override {
                    feature: feature.to_owned(),
                    enabled: None,
                    percentage: None,
                });
                set.by_feature.len() - 1
            }
        };
        change(&mut set.by_feature[at]);
        set.version += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OverrideSet> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `config` with the overrides applied; its revision label gains
    /// `+overrides.N` when any applied, `N` counting the edits made to the
    /// overrides so far, so each set of overrides has a label of its own.
    fn apply(&self, mut config: Config) -> Config {
        let set = self.lock();
        let mut applied = false;
        for o in &set.by_feature {
            if let Some(f) = config.features.iter_mut().find(|f| f.name == o.feature) {
                if let Some(enabled) = o.enabled {
                    f.enabled = enabled;
                }
                if let Some(p) = o.percentage {
                    f.percentage = p.as_percent_f64();
                    f.ramp = None;
                }
                applied = true;
            }
        }
        if applied {
            config.revision = format!("{}+overrides.{}", config.revision, set.version);
        }
        config
    }
}

impl<S: Source> Layered<S> {
    /// `base` with no overrides yet.
    pub fn new(base: S) -> Self {
        Layered {
            base,
            overrides: Overrides::default(),
            last_base: None,
            seen: 0,
        }
    }

    /// The overrides, shared: change them from anywhere, and the next
    /// reload applies them.
    pub fn overrides(&self) -> Overrides {
        self.overrides.clone()
    }

    /// The underlying source.
    pub fn base_mut(&mut self) -> &mut S {
        &mut self.base
    }
}

impl<S: Source> Source for Layered<S> {
    type Error = S::Error;

    fn fetch(&mut self, serving: &Revision) -> Result<Fetch, S::Error> {
        let overrides_version = self.overrides.lock().version;
        let fresh_overrides = overrides_version != self.seen;
        // The underlying source is asked about the revision it gave, not
        // the layered one the handle serves (`r1+overrides.3`).
        let base_revision = self.last_base.as_ref().map(|c| Revision::new(&c.revision));
        match self.base.fetch(base_revision.as_ref().unwrap_or(serving)) {
            Ok(Fetch::Config(config)) => self.last_base = Some(config),
            Ok(Fetch::Unchanged) if !fresh_overrides => return Ok(Fetch::Unchanged),
            Ok(Fetch::Unchanged) => {}
            // A failing source does not hold back a new override (an
            // operator's kill during an outage): it goes live on the last
            // config the source gave, and the failure is reported by the
            // next reload, which has no new override to apply.
            Err(e) if !fresh_overrides || self.last_base.is_none() => return Err(e),
            Err(_) => {}
        }
        self.seen = overrides_version;
        match &self.last_base {
            Some(base) => Ok(Fetch::Config(self.overrides.apply(base.clone()))),
            // The base has never answered with a config: nothing to layer on.
            None => Ok(Fetch::Unchanged),
        }
    }
}
