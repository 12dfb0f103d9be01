//! Validated targeting: conditions, segments and rules, and how they match
//! a [`Context`]. Built by validation; read by evaluation. Matching never
//! allocates and never panics.

use core::cmp::Ordering;

use crate::names::{NameMap, word};
use crate::{Context, Percentage, Value, Version};

/// A targeting rule of a feature.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) name: Option<Box<str>>,
    pub(crate) conditions: Box<[Condition]>,
    pub(crate) action: Action,
    /// The first segment the rule's conditions require (not negated), for
    /// the reason.
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
        /// ASCII-lowercased when `fold_case`.
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
    pub(crate) strings: NameMap<()>,
    /// Set instead of `strings` when comparing case-insensitively: the
    /// values ASCII-lowercased.
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

impl Action {
    /// Whether serving this action buckets the unit, on a feature with or
    /// without variants (a variant is picked by the unit's bucket).
    pub(crate) fn buckets(self, has_variants: bool) -> bool {
        match self {
            Action::Serve(on) => on && has_variants,
            Action::Variant(_) => false,
            Action::Percentage(p) => {
                p != Percentage::ZERO && (p != Percentage::FULL || has_variants)
            }
        }
    }
}

/// The first of `rules` from which every rule buckets the units it
/// matches; `rules.len()` when the last does not. From there on, every
/// path of an evaluation whose rollout buckets needs the unit's digest.
pub(crate) fn bucketing_tail(rules: &[Rule], has_variants: bool) -> usize {
    rules.len()
        - rules
            .iter()
            .rev()
            .take_while(|r| r.action.buckets(has_variants))
            .count()
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
                match context
                    .attribute_ref(name)
                    .and_then(|value| test.apply(value))
                {
                    Some(holds) => holds != *negate,
                    None => false,
                }
            }
        }
    }
}

impl Test {
    fn apply(&self, value: &Value<'_>) -> Option<bool> {
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
                let one = |s: &str| op.any(s, values, *fold_case);
                match *value {
                    Value::Str(s) => Some(one(s)),
                    Value::List(items) => Some(items.iter().any(|s| one(s))),
                    _ => None,
                }
            }
            Test::Number { cmp, values } => match value {
                &Value::Number(n) => Some(
                    values
                        .iter()
                        .any(|v| n.partial_cmp(v).is_some_and(|o| cmp.holds(o))),
                ),
                _ => None,
            },
            Test::Version { cmp, values } => match value {
                Value::Version(v) => Some(cmp.any_version(v, values)),
                Value::Str(s) => version_text_holds(s, *cmp, values),
                _ => None,
            },
        }
    }
}

/// Whether the version written in `text` stands in `cmp` to any of
/// `values`; `None` if `text` is not a version.
///
/// Out of line, with the parse inline: the parsed version stays in
/// registers. Returned from a call to [`Version::parse`] instead, it came
/// back through memory (40 bytes) and was read from there: a feature with
/// one version rule took 462 instructions per evaluation that way, 448
/// this way (valgrind, `"2.4.1"` against `semver_lt 2.3`).
#[inline(never)]
fn version_text_holds(text: &str, cmp: Cmp, values: &[OwnedVersion]) -> Option<bool> {
    Version::parse_inline(text).map(|version| cmp.any_version(&version, values))
}

impl Equality {
    #[inline(always)]
    fn contains(&self, value: &Value<'_>) -> Option<bool> {
        match *value {
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
            self.folded
                .iter()
                .any(|v| eq_folded(s.as_bytes(), v.as_bytes()))
        } else {
            self.strings.get(s).is_some()
        }
    }
}

impl TextOp {
    /// Whether `haystack` starts with, ends with or contains any of
    /// `needles`; with `fold_case`, ignoring ASCII case, the needles being
    /// lowercased already (by validation).
    ///
    /// One small loop per case, so each compiles to a few instructions.
    #[inline]
    fn any(self, haystack: &str, needles: &[Box<str>], fold_case: bool) -> bool {
        let h = haystack.as_bytes();
        let mut needles = needles.iter().map(|n| n.as_bytes());
        match (self, fold_case) {
            (TextOp::StartsWith, false) => needles.any(|n| h.starts_with(n)),
            (TextOp::EndsWith, false) => needles.any(|n| h.ends_with(n)),
            (TextOp::StartsWith, true) => {
                needles.any(|n| h.get(..n.len()).is_some_and(|h| eq_folded(h, n)))
            }
            (TextOp::EndsWith, true) => needles.any(|n| {
                h.len()
                    .checked_sub(n.len())
                    .and_then(|at| h.get(at..))
                    .is_some_and(|h| eq_folded(h, n))
            }),
            (TextOp::Contains, _) => needles.any(|n| contains(h, n, fold_case)),
        }
    }
}

/// Whether `haystack` contains `needle` (lowercased, when `fold_case`).
#[inline(never)]
fn contains(haystack: &[u8], needle: &[u8], fold_case: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    if fold_case {
        haystack.windows(needle.len()).any(|h| eq_folded(h, needle))
    } else {
        haystack.windows(needle.len()).any(|h| h == needle)
    }
}

/// `text.eq_ignore_ascii_case(lower)` for a `lower` with no ASCII capital
/// letters: eight bytes at a time, each word lowercased in a register.
#[inline]
pub(crate) fn eq_folded(text: &[u8], lower: &[u8]) -> bool {
    let n = text.len();
    if n != lower.len() {
        return false;
    }
    if n < 8 {
        return text
            .iter()
            .zip(lower)
            .all(|(t, l)| t.to_ascii_lowercase() == *l);
    }
    // Whole words, then the last (overlapping) word.
    let at = |bytes: &[u8], at: usize| u64::from_le_bytes(word::<8>(bytes, at));
    let same = |k: usize| lowercase_word(at(text, k)) == at(lower, k);
    (0..n / 8).all(|k| same(8 * k)) && same(n - 8)
}

/// `x`'s eight bytes with ASCII capitals lowercased, others unchanged.
#[inline(always)]
fn lowercase_word(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x80 * ONES;
    // Each byte's low seven bits plus a constant, so no carry crosses a
    // byte: its high bit is set from `A` (0x41) up, and from `[` (0x5B) up.
    let low = x & !HIGH;
    let from_a = low + 0x3f * ONES;
    let past_z = low + 0x25 * ONES;
    // ASCII (high bit clear) and in `A..=Z`: add 0x20.
    let upper = from_a & !past_z & !x & HIGH;
    x | (upper >> 2)
}

impl Cmp {
    /// Whether `version` stands in this comparison to any of `values`.
    #[inline]
    fn any_version(self, version: &Version<'_>, values: &[OwnedVersion]) -> bool {
        values
            .iter()
            .any(|v| self.holds(version.cmp(&v.as_version())))
    }

    /// Whether `order` (of the attribute against the condition's value)
    /// satisfies this comparison: a bit test in a mask of the orders each
    /// comparison accepts, rather than a jump on the comparison.
    #[inline(always)]
    fn holds(self, order: Ordering) -> bool {
        const LESS: u8 = 1 << 0;
        const EQUAL: u8 = 1 << 1;
        const GREATER: u8 = 1 << 2;
        let accepts = match self {
            Cmp::Eq => EQUAL,
            Cmp::Lt => LESS,
            Cmp::Lte => LESS | EQUAL,
            Cmp::Gt => GREATER,
            Cmp::Gte => GREATER | EQUAL,
        };
        // `Ordering` is -1, 0 or 1.
        accepts & (1 << (order as i8 + 1)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, FeatureConfig, RuleConfig, Serve, Snapshot, VariantConfig};

    #[test]
    fn the_bucketing_tail_starts_after_the_last_rule_that_decides_without_a_bucket() {
        let on = || RuleConfig::new(Serve::On);
        let off = || RuleConfig::new(Serve::Off);
        let pct = RuleConfig::percentage;
        let to_variant = || RuleConfig::serve_variant("b");
        // (rules, with variants, expected tail), worked out by hand from
        // which actions bucket: on with variants, and percentages other
        // than 0 (and 100 without variants).
        let cases: Vec<(Vec<RuleConfig>, bool, usize)> = vec![
            (vec![], false, 0),
            (vec![], true, 0),
            (vec![off(), on(), pct(10)], true, 1),
            (vec![off(), on(), pct(10)], false, 2),
            (vec![pct(10), pct(0)], false, 2),
            (vec![pct(10), pct(100)], false, 2),
            (vec![pct(10), pct(100)], true, 0),
            (vec![on(), to_variant()], true, 2),
            (vec![to_variant(), on()], true, 1),
            (vec![pct(50), on(), pct(1)], true, 0),
        ];
        for (rules, variants, want) in cases {
            let mut feature = FeatureConfig::new("f").percentage(50);
            if variants {
                feature = feature
                    .variant(VariantConfig::new("a", 50))
                    .variant(VariantConfig::new("b", 50));
            }
            for rule in rules.iter().cloned() {
                feature = feature.rule(rule);
            }
            let snapshot =
                Snapshot::try_from(Config::new("r").feature(feature)).expect("a valid config");
            let got = snapshot.feature("f").expect("f").bucketing_tail;
            assert_eq!(got, want, "{rules:?}, variants: {variants}");
        }
    }

    #[test]
    fn the_first_matching_rule_decides_on_either_side_of_the_bucketing_tail() {
        use crate::{ConditionConfig, Context, Operator, Reason};
        let on = || RuleConfig::new(Serve::On);
        let off = || RuleConfig::new(Serve::Off);
        let pct = RuleConfig::percentage;
        // (rules, the feature's percentage, with variants, its tail):
        // tails at the start, in the middle and past the end (by hand, as
        // in the test above), on features whose own rollout buckets and on
        // features whose rollout does not (0%, and 100% without variants),
        // where evaluation tries the rules past the tail without hashing.
        let shapes: Vec<(Vec<RuleConfig>, u8, bool, usize)> = vec![
            (vec![pct(50), on(), pct(1)], 50, true, 0),
            (vec![off(), on(), pct(100)], 50, true, 1),
            (vec![off(), off(), on(), pct(40)], 50, true, 2),
            (vec![on(), off()], 50, true, 2),
            (vec![off(), pct(10), pct(20)], 0, false, 1),
            (vec![on(), pct(30)], 100, false, 1),
            (vec![], 50, true, 0),
        ];
        for (rules, percent, variants, tail) in shapes {
            let n = rules.len();
            // Rule `j` holds when attribute `k{j}` is "y".
            let mut feature = FeatureConfig::new("f").percentage(percent);
            if variants {
                feature = feature
                    .variant(VariantConfig::new("a", 50))
                    .variant(VariantConfig::new("b", 50));
            }
            for (j, rule) in rules.into_iter().enumerate() {
                let attribute = format!("k{j}");
                feature = feature.rule(rule.condition(ConditionConfig::new(
                    attribute.as_str(),
                    Operator::In,
                    ["y"],
                )));
            }
            let snapshot =
                Snapshot::try_from(Config::new("r").feature(feature)).expect("a valid config");
            assert_eq!(snapshot.feature("f").expect("f").bucketing_tail, tail);
            let names: Vec<String> = (0..n).map(|j| format!("k{j}")).collect();
            // Every set of matching rules: the first of them decides, and
            // with none, the rollout does.
            for set in 0..1u32 << n {
                let attributes: Vec<(&str, Value<'_>)> = names
                    .iter()
                    .enumerate()
                    .map(|(j, name)| {
                        let hit = set & 1 << j != 0;
                        (name.as_str(), Value::Str(if hit { "y" } else { "n" }))
                    })
                    .collect();
                let context = Context::new("user-42").with_attributes(&attributes);
                let reason = snapshot.evaluate_with("f", &context).reason();
                let want = (0..n).find(|&j| set & 1 << j != 0);
                match (reason, want) {
                    (Reason::Rule { index, .. }, Some(j)) => {
                        assert_eq!(index, j, "tail {tail}, set {set:b}")
                    }
                    (Reason::InRollout | Reason::OutOfRollout, None) => {}
                    (other, want) => panic!("tail {tail}, set {set:b}: {other:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn lowercase_word_lowercases_ascii_capitals_only() {
        // Every byte value in every position of a word.
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = *b"aZ@[`{\x7f\x80";
                bytes[at] = b;
                let mut want = bytes;
                want.make_ascii_lowercase();
                let got = lowercase_word(u64::from_le_bytes(bytes)).to_le_bytes();
                assert_eq!(got, want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn eq_folded_agrees_with_eq_ignore_ascii_case() {
        let texts = [
            "",
            "a",
            "A",
            "@",
            "[",
            "ab",
            "Ab",
            "aB",
            "abcdefg",
            "ABCDEFG",
            "abcdefgh",
            "ABCDEFGH",
            "abcdefgH",
            "Abcdefgh",
            "abcdefghi",
            "abcdefghI",
            "someone@Example.COM",
            "someone@example.com",
            "someone@example.con",
            "Ünïcode ÄÖ",
            "ünïcode äö",
        ];
        for t in texts {
            for u in texts {
                let lower = u.to_ascii_lowercase();
                assert_eq!(
                    eq_folded(t.as_bytes(), lower.as_bytes()),
                    t.eq_ignore_ascii_case(u),
                    "{t:?} vs {u:?}"
                );
            }
        }
    }

    #[test]
    fn text_ops_fold_ascii_case_only_when_asked() {
        // Needles that fold case are lowercased by validation.
        let test = |op: TextOp, h: &str, n: &str, fold| op.any(h, &[n.into()], fold);
        assert!(test(TextOp::StartsWith, "Alice@Example.com", "alice", true));
        assert!(!test(
            TextOp::StartsWith,
            "Alice@Example.com",
            "alice",
            false
        ));
        assert!(test(
            TextOp::EndsWith,
            "bob@EXAMPLE.COM",
            "@example.com",
            true
        ));
        assert!(!test(TextOp::EndsWith, "com", "@example.com", true));
        assert!(test(TextOp::Contains, "the Beta group", "beta", true));
        assert!(!test(TextOp::Contains, "the Beta group", "beta", false));
        assert!(test(TextOp::Contains, "", "", false));
        assert!(test(TextOp::Contains, "", "", true));
        assert!(!test(TextOp::Contains, "ab", "abc", false));
        // Multi-byte text is compared bytewise, never split mid-character.
        assert!(test(TextOp::EndsWith, "café", "é", false));
        assert!(test(TextOp::StartsWith, "ÜNïcode", "Ünï", true));
        assert!(!test(TextOp::StartsWith, "üNïcode", "Ünï", true));
        // Any of several needles.
        let needles: [Box<str>; 2] = ["@a.test".into(), "@b.test".into()];
        assert!(TextOp::EndsWith.any("x@B.TEST", &needles, true));
        assert!(!TextOp::EndsWith.any("x@c.test", &needles, true));
    }
}
