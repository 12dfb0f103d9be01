//! Validated targeting: conditions, segments and rules, and how they match
//! a [`Context`]. Built by validation; read by evaluation. Matching never
//! allocates and never panics.

use core::cmp::Ordering;
use std::collections::HashSet;

use foldhash::fast::RandomState;

use crate::{Context, Percentage, Value, Version};

/// A targeting rule of a feature.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) name: Option<Box<str>>,
    pub(crate) conditions: Box<[Condition]>,
    pub(crate) action: Action,
    /// The first segment the rule's conditions refer to, for the reason.
    pub(crate) segment: Option<usize>,
}

/// What a matching rule does.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Action {
    Serve(bool),
    Variant(usize),
    Percentage(Percentage),
}

/// A named set of attribute conditions.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    pub(crate) name: Box<str>,
    pub(crate) conditions: Box<[Condition]>,
}

#[derive(Clone, Debug)]
pub(crate) enum Condition {
    Segment {
        index: usize,
        negate: bool,
    },
    Attribute {
        name: Box<str>,
        test: Test,
        negate: bool,
    },
}

/// An attribute test. `apply` answers `None` when the attribute's type is
/// not one the test takes: such a condition never holds, negated or not.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    In(Equality),
    NotIn(Equality),
    Text {
        op: TextOp,
        values: Box<[Box<str>]>,
        fold_case: bool,
    },
    Number {
        cmp: Cmp,
        values: Box<[f64]>,
    },
    Version {
        cmp: Cmp,
        values: Box<[OwnedVersion]>,
    },
}

/// The values of an `in` / `not_in` / `equals` test, by type.
#[derive(Clone, Debug, Default)]
pub(crate) struct Equality {
    pub(crate) strings: HashSet<Box<str>, RandomState>,
    /// Set instead of `strings` when comparing case-insensitively.
    pub(crate) folded: Box<[Box<str>]>,
    pub(crate) numbers: Box<[f64]>,
    pub(crate) bools: Box<[bool]>,
    pub(crate) fold_case: bool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum TextOp {
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A version literal from the config, owned.
#[derive(Clone, Debug)]
pub(crate) struct OwnedVersion {
    pub(crate) triple: (u64, u64, u64),
    pub(crate) pre: Box<str>,
}

impl OwnedVersion {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let v = Version::parse(text)?;
        Some(OwnedVersion {
            triple: v.triple(),
            pre: v.pre_release().into(),
        })
    }

    fn as_version(&self) -> Version<'_> {
        Version::from_parts(self.triple, &self.pre)
    }
}

impl Rule {
    #[inline]
    pub(crate) fn matches(&self, context: &Context<'_>, segments: &[Segment]) -> bool {
        all_hold(&self.conditions, context, segments)
    }
}

#[inline]
fn all_hold(conditions: &[Condition], context: &Context<'_>, segments: &[Segment]) -> bool {
    conditions.iter().all(|c| c.holds(context, segments))
}

impl Condition {
    fn holds(&self, context: &Context<'_>, segments: &[Segment]) -> bool {
        match self {
            Condition::Segment { index, negate } => {
                // Segments hold attribute conditions only (validated), so
                // this recursion is one level deep.
                let member = segments
                    .get(*index)
                    .is_some_and(|s| all_hold(&s.conditions, context, segments));
                member != *negate
            }
            Condition::Attribute { name, test, negate } => {
                match context.attribute(name).and_then(|value| test.apply(value)) {
                    Some(holds) => holds != *negate,
                    None => false,
                }
            }
        }
    }
}

impl Test {
    fn apply(&self, value: Value<'_>) -> Option<bool> {
        if matches!(value, Value::Number(n) if n.is_nan()) {
            // Not a number: like a type mismatch, it never matches, negated
            // or not (so `not_in` and a negated `lt` don't fire on it).
            return None;
        }
        match self {
            Test::In(eq) => eq.contains(value),
            Test::NotIn(eq) => eq.contains(value).map(|found| !found),
            Test::Text {
                op,
                values,
                fold_case,
            } => {
                let one = |s: &str| values.iter().any(|v| op.test(s, v, *fold_case));
                match value {
                    Value::Str(s) => Some(one(s)),
                    Value::List(items) => Some(items.iter().any(|s| one(s))),
                    _ => None,
                }
            }
            Test::Number { cmp, values } => match value {
                Value::Number(n) => Some(
                    values
                        .iter()
                        .any(|v| n.partial_cmp(v).is_some_and(|o| cmp.holds(o))),
                ),
                _ => None,
            },
            Test::Version { cmp, values } => {
                let version = match value {
                    Value::Version(v) => v,
                    Value::Str(s) => Version::parse(s)?,
                    _ => return None,
                };
                Some(
                    values
                        .iter()
                        .any(|v| cmp.holds(version.cmp(&v.as_version()))),
                )
            }
        }
    }
}

impl Equality {
    fn contains(&self, value: Value<'_>) -> Option<bool> {
        match value {
            Value::Str(s) => self.has_strings().then(|| self.has_str(s)),
            Value::List(items) => self
                .has_strings()
                .then(|| items.iter().any(|s| self.has_str(s))),
            Value::Number(n) => (!self.numbers.is_empty()).then(|| self.numbers.contains(&n)),
            Value::Bool(b) => (!self.bools.is_empty()).then(|| self.bools.contains(&b)),
            Value::Version(_) => None,
        }
    }

    fn has_strings(&self) -> bool {
        !self.strings.is_empty() || !self.folded.is_empty()
    }

    fn has_str(&self, s: &str) -> bool {
        if self.fold_case {
            self.folded.iter().any(|v| v.eq_ignore_ascii_case(s))
        } else {
            self.strings.contains(s)
        }
    }
}

impl TextOp {
    fn test(self, haystack: &str, needle: &str, fold_case: bool) -> bool {
        if !fold_case {
            return match self {
                TextOp::StartsWith => haystack.starts_with(needle),
                TextOp::EndsWith => haystack.ends_with(needle),
                TextOp::Contains => haystack.contains(needle),
            };
        }
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        let same = |a: &[u8]| a.eq_ignore_ascii_case(n);
        match self {
            TextOp::StartsWith => h.get(..n.len()).is_some_and(same),
            TextOp::EndsWith => h
                .len()
                .checked_sub(n.len())
                .and_then(|at| h.get(at..))
                .is_some_and(same),
            TextOp::Contains => n.is_empty() || h.windows(n.len()).any(same),
        }
    }
}

impl Cmp {
    fn holds(self, order: Ordering) -> bool {
        match self {
            Cmp::Eq => order == Ordering::Equal,
            Cmp::Lt => order == Ordering::Less,
            Cmp::Lte => order != Ordering::Greater,
            Cmp::Gt => order == Ordering::Greater,
            Cmp::Gte => order != Ordering::Less,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ops_fold_ascii_case_only_when_asked() {
        assert!(TextOp::StartsWith.test("Alice@Example.com", "alice", true));
        assert!(!TextOp::StartsWith.test("Alice@Example.com", "alice", false));
        assert!(TextOp::EndsWith.test("bob@EXAMPLE.COM", "@example.com", true));
        assert!(!TextOp::EndsWith.test("com", "@example.com", true));
        assert!(TextOp::Contains.test("the Beta group", "beta", true));
        assert!(!TextOp::Contains.test("the Beta group", "beta", false));
        assert!(TextOp::Contains.test("", "", false));
        assert!(!TextOp::Contains.test("ab", "abc", false));
        // Multi-byte text is compared bytewise, never split mid-character.
        assert!(TextOp::EndsWith.test("café", "é", false));
        assert!(TextOp::StartsWith.test("Ünïcode", "Ünï", true));
    }
}
