//! [`Context`]: who is asking — the unit id plus typed attributes that
//! rules test, borrowed so a request builds one on the stack.

use crate::Version;
use crate::names::same_text;

/// The unit being evaluated and its attributes.
///
/// Everything is borrowed: building a context allocates nothing.
///
/// # Examples
///
/// ```
/// use gradual::{Context, Value, Version};
///
/// let roles = ["admin", "beta"];
/// let attributes = [
///     ("country", Value::from("NL")),
///     ("org_id", Value::from("org-7")),
///     ("app_version", Value::from(Version::parse("2.4.1").unwrap())),
///     ("age_days", Value::from(41.0)),
///     ("staff", Value::from(true)),
///     ("roles", Value::from(&roles[..])),
/// ];
/// let context = Context::new("user-42").with_attributes(&attributes);
/// assert_eq!(context.unit(), "user-42");
/// assert_eq!(context.attribute("country"), Some(Value::Str("NL")));
/// assert_eq!(context.attribute("missing"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Context<'a> {
    unit: &'a str,
    attributes: &'a [(&'a str, Value<'a>)],
}

impl<'a> Context<'a> {
    /// A context with a unit id and no attributes: what
    /// `is_enabled(feature, unit)` evaluates.
    #[inline]
    pub const fn new(unit: &'a str) -> Self {
        Context {
            unit,
            attributes: &[],
        }
    }

    /// The same unit with these attributes (name, value). When a name is
    /// listed twice, the first wins.
    #[inline]
    #[must_use]
    pub const fn with_attributes(self, attributes: &'a [(&'a str, Value<'a>)]) -> Self {
        Context {
            unit: self.unit,
            attributes,
        }
    }

    /// The unit id (the article's `user_id`).
    #[inline]
    pub const fn unit(&self) -> &'a str {
        self.unit
    }

    /// The attribute of that name, if given.
    #[inline]
    pub fn attribute(&self, name: &str) -> Option<Value<'a>> {
        self.attribute_ref(name).copied()
    }

    /// The attribute of that name, borrowed: rules test it in place rather
    /// than copy it (a `Value` is up to 48 bytes).
    #[inline]
    pub(crate) fn attribute_ref(&self, name: &str) -> Option<&'a Value<'a>> {
        self.attributes
            .iter()
            .find(|(n, _)| same_text(n, name))
            .map(|(_, v)| v)
    }
}

impl<'a> From<&'a str> for Context<'a> {
    fn from(unit: &'a str) -> Self {
        Context::new(unit)
    }
}

/// A typed attribute value.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// Text. Also compared as a version by the `semver_*` operators.
    Str(&'a str),
    /// A number. NaN matches no condition.
    Number(f64),
    /// A bool.
    Bool(bool),
    /// An application version, parsed once by the caller.
    Version(Version<'a>),
    /// A list of strings (roles, groups, tags): a string or equality
    /// condition holds when any element matches (`not_in`: when none is in
    /// its values); numeric and version conditions never match a list.
    List(&'a [&'a str]),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(s)
    }
}

impl From<f64> for Value<'_> {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<i64> for Value<'_> {
    /// Converts exactly for magnitudes up to 2^53.
    fn from(n: i64) -> Self {
        Value::Number(n as f64)
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl<'a> From<Version<'a>> for Value<'a> {
    fn from(v: Version<'a>) -> Self {
        Value::Version(v)
    }
}

impl<'a> From<&'a [&'a str]> for Value<'a> {
    fn from(list: &'a [&'a str]) -> Self {
        Value::List(list)
    }
}
