//! [`Source`]: how rollout config plugs in. The library does no I/O; a
//! source is whatever the service writes to fetch a [`Config`] — a file
//! mounted from a ConfigMap, an HTTP endpoint, a database row — and a
//! [`Reloader`](crate::Reloader) turns what it fetches into a live
//! snapshot, safely.
//!
//! Shipped sources:
//!
//! - [`StaticSource`]: a config held in memory, replaced by hand.
//! - [`TestData`]: flags pinned in a line or two, for a service's own tests.
//! - [`Layered`]: local [`Overrides`] on top of any other source.
//!
//! # Writing a source
//!
//! ```
//! use gradual::{Config, Fetch, Revision, Source};
//!
//! /// Reads JSON text from wherever; remembers what it last returned.
//! struct JsonText { text: String, last: Option<String> }
//!
//! impl Source for JsonText {
//!     type Error = serde_json::Error;
//!
//!     fn fetch(&mut self, _serving: &Revision) -> Result<Fetch, Self::Error> {
//!         if self.last.as_ref() == Some(&self.text) {
//!             return Ok(Fetch::Unchanged); // costs next to nothing
//!         }
//!         let config: Config = serde_json::from_str(&self.text)?;
//!         self.last = Some(self.text.clone());
//!         Ok(Fetch::Config(config))
//!     }
//! }
//!
//! let source = JsonText { text: r#"{ "revision": "r1" }"#.into(), last: None };
//! let rollouts = gradual::Rollouts::default();
//! let mut reloader = gradual::Reloader::new(source, rollouts.clone());
//! reloader.reload()?;
//! assert_eq!(rollouts.revision().label(), "r1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{Config, Revision};

mod layered;
mod static_source;
mod test_data;

pub use layered::{Layered, Override, Overrides};
pub use static_source::StaticSource;
pub use test_data::TestData;

/// A place rollout config comes from.
///
/// The contract:
///
/// - `fetch` may do I/O and may block; it runs on the caller's thread
///   (whoever drives the [`Reloader`](crate::Reloader)), never on a request
///   thread.
/// - It answers [`Fetch::Unchanged`] when it knows nothing changed since
///   the last config it returned (an unchanged mtime, an ETag, a version
///   column), so polling is cheap; when unsure, it returns the config. The
///   reloader reads "unchanged" as "that config still stands": a source
///   whose last fetch failed (it could not read or parse what it holds)
///   answers with the error again until it has a config to give, and only
///   remembers what it returned.
/// - Errors are the source's own (I/O, parsing): the reloader keeps
///   serving the last good snapshot and reports them.
/// - It does not validate: the reloader does, and swaps in only a fully
///   valid config.
pub trait Source {
    /// What can go wrong fetching.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Fetches the current config. `serving` is the revision the handle
    /// serves now, for sources that can ask "anything newer than this?".
    fn fetch(&mut self, serving: &Revision) -> Result<Fetch, Self::Error>;
}

/// What a [`Source`] answered.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Fetch {
    /// Nothing changed since the last config the source returned.
    Unchanged,
    /// The config as it is now (possibly the same as before).
    Config(Config),
}

impl<S: Source + ?Sized> Source for Box<S> {
    type Error = S::Error;

    fn fetch(&mut self, serving: &Revision) -> Result<Fetch, Self::Error> {
        (**self).fetch(serving)
    }
}
