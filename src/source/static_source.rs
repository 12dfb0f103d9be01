use core::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Config, Fetch, Revision, Source};

/// A config held in memory. Clones share it: keep one to [`set`](Self::set)
/// a new config, give another to a [`Reloader`](crate::Reloader).
///
/// Answers [`Fetch::Unchanged`] until the next `set`.
///
/// ```
/// use gradual::{Config, FeatureConfig, Reloader, Rollouts, StaticSource};
///
/// let source = StaticSource::new(Config::new("r1"));
/// let rollouts = Rollouts::default();
/// let mut reloader = Reloader::new(source.clone(), rollouts.clone());
/// reloader.reload()?;
/// assert_eq!(rollouts.revision().to_string(), "r1");
///
/// source.set(Config::new("r2").feature(FeatureConfig::new("f").percentage(100)));
/// reloader.reload()?;
/// assert!(rollouts.is_enabled("f", "anyone"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct StaticSource {
    shared: Arc<Mutex<Slot>>,
    seen: u64,
}

#[derive(Debug)]
struct Slot {
    config: Config,
    version: u64,
}

impl StaticSource {
    /// A source serving `config`.
    pub fn new(config: Config) -> Self {
        StaticSource {
            shared: Arc::new(Mutex::new(Slot { config, version: 1 })),
            seen: 0,
        }
    }

    /// Replaces the config; the next fetch (by any clone) returns it.
    pub fn set(&self, config: Config) {
        let mut slot = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        slot.config = config;
        slot.version += 1;
    }
}

impl Source for StaticSource {
    type Error = Infallible;

    fn fetch(&mut self, _serving: &Revision) -> Result<Fetch, Infallible> {
        let slot = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.version == self.seen {
            return Ok(Fetch::Unchanged);
        }
        self.seen = slot.version;
        Ok(Fetch::Config(slot.config.clone()))
    }
}
