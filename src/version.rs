//! [`Version`]: application versions for the `semver_*` operators, parsed
//! and compared without allocating.
//!
//! Semantic Versioning 2.0 precedence, read leniently the way app versions
//! are written in the wild (as LaunchDarkly and GrowthBook do): `2`, `2.3`
//! and `v2.3.1` are accepted, missing parts count as zero; a pre-release
//! (`2.3.1-beta.2`) sorts before its release, its dot-separated identifiers
//! compared numerically when both are numbers, else as ASCII text, numbers
//! first; build metadata (`+abc`) is ignored.
//!
//! Written here rather than taken from the `semver` crate because that crate
//! is strict (it rejects `2.3`) and may allocate for long pre-release tags,
//! while a version attribute is compared on every request.

use core::cmp::Ordering;
use core::fmt;

/// A parsed version, borrowing its pre-release text.
///
/// # Examples
///
/// ```
/// use gradual::Version;
///
/// let installed = Version::parse("2.3").unwrap();
/// assert!(installed < Version::parse("2.3.1").unwrap());
/// assert!(Version::parse("2.3.1-beta.2").unwrap() < Version::parse("2.3.1").unwrap());
/// assert_eq!(Version::parse("v2.3.0+build.7"), Version::parse("2.3"));
/// assert!(Version::parse("2.x").is_none());
/// ```
#[derive(Clone, Copy, Debug, Eq)]
pub struct Version<'a> {
    major: u64,
    minor: u64,
    patch: u64,
    pre: &'a str,
}

impl<'a> Version<'a> {
    /// Parses `[v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]`; `None` if it
    /// is not a version.
    ///
    /// One pass over the bytes (a part of 20 digits or more is read twice,
    /// the second time checking for overflow).
    #[inline]
    pub fn parse(text: &'a str) -> Option<Self> {
        Self::parse_inline(text)
    }

    /// [`Version::parse`], always inline: where the request path parses a
    /// version, a plain release stays in registers, with no call.
    #[inline(always)]
    pub(crate) fn parse_inline(text: &'a str) -> Option<Self> {
        let bytes = text.as_bytes();
        let start = usize::from(matches!(bytes.first(), Some(b'v' | b'V')));
        // Each part is read by its own copy of one short loop, rather than
        // one loop over all three that tracks which part it is in.
        let (major, mut at) = leading_number(bytes, start)?;
        let (mut minor, mut patch) = (0, 0);
        if bytes.get(at) == Some(&b'.') {
            (minor, at) = leading_number(bytes, at + 1)?;
            if bytes.get(at) == Some(&b'.') {
                (patch, at) = leading_number(bytes, at + 1)?;
            }
        }
        if at == bytes.len() {
            // The common case: a plain release.
            return Some(Version {
                major,
                minor,
                patch,
                pre: "",
            });
        }
        // Only ASCII was read so far, so `at` is a character boundary.
        Self::with_suffix(text.get(at..)?, (major, minor, patch))
    }

    /// The version `triple` with `rest`, the text after its numbers: a
    /// pre-release and build metadata, or `None` if `rest` is neither. Out
    /// of line: most versions are plain releases.
    #[inline(never)]
    fn with_suffix(rest: &'a str, triple: (u64, u64, u64)) -> Option<Self> {
        let (pre, build) = match rest.as_bytes().first() {
            Some(b'-') => match rest[1..].split_once('+') {
                Some((pre, build)) => (pre, Some(build)),
                None => (&rest[1..], None),
            },
            Some(b'+') => ("", Some(&rest[1..])),
            _ => return None,
        };
        let pre_ok = rest.as_bytes().first() != Some(&b'-') || valid_identifiers(pre);
        if !pre_ok || build.is_some_and(|b| !valid_identifiers(b)) {
            return None;
        }
        Some(Version::from_parts(triple, pre))
    }

    pub(crate) const fn from_parts(triple: (u64, u64, u64), pre: &'a str) -> Self {
        Version {
            major: triple.0,
            minor: triple.1,
            patch: triple.2,
            pre,
        }
    }

    /// `(major, minor, patch)`.
    pub fn triple(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }

    /// The pre-release, `""` for a release.
    pub fn pre_release(&self) -> &'a str {
        self.pre
    }
}

/// The decimal number at the start of `bytes[at..]` and where it ends;
/// `None` if there is no digit there, or the number overflows a `u64`.
#[inline(always)]
fn leading_number(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut end = at;
    let mut n = 0u64;
    while let Some(&b) = bytes.get(end) {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            break;
        }
        // Wraps only past 19 digits, which are read again below.
        n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
        end += 1;
    }
    match end - at {
        0 => None,
        // Up to 19 digits always fit a u64.
        1..=19 => Some((n, end)),
        _ => Some((long_number(bytes.get(at..end)?)?, end)),
    }
}

/// The value of `digits` (all ASCII digits), `None` past `u64::MAX`. Out of
/// line: only a number of 20 digits or more comes here.
#[cold]
#[inline(never)]
fn long_number(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |n, &b| {
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// A numeric pre-release identifier's digits, leading zeros stripped; `None`
/// if `id` is not all digits. Compared by length, then as text: numerically,
/// at any length (a `u64` would stop at 20 digits).
fn digits(id: &str) -> Option<&str> {
    let all_digits = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| id.trim_start_matches('0'))
}

fn valid_identifiers(text: &str) -> bool {
    text.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

#[inline(never)]
fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater, // a release outranks its pre-releases
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let (mut xs, mut ys) = (a.split('.'), b.split('.'));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (digits(x), digits(y)) {
                    (Some(m), Some(n)) => m.len().cmp(&n.len()).then_with(|| m.cmp(n)),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

impl Ord for Version<'_> {
    /// Inline, with the pre-release comparison out of line: most versions
    /// compared on a request are releases.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        match self.triple().cmp(&other.triple()) {
            Ordering::Equal if !(self.pre.is_empty() && other.pre.is_empty()) => {
                compare_pre(self.pre, other.pre)
            }
            order => order,
        }
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl fmt::Display for Version<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version<'_> {
        Version::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn semver_spec_precedence_example() {
        // The ordering example from the Semantic Versioning 2.0 spec, item 11.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in chain.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn numeric_pre_release_identifiers_compare_as_numbers_at_any_length() {
        // Past a u64 (20 digits and more), still numbers: by value, and
        // before any text identifier.
        let chain = [
            "1.0.0-2",
            "1.0.0-010",
            "1.0.0-99999999999999999999",
            "1.0.0-100000000000000000000",
            "1.0.0-0100000000000000000001",
            "1.0.0--x",
            "1.0.0-x",
        ];
        for pair in chain.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
            assert!(v(pair[1]) > v(pair[0]), "{} > {}", pair[1], pair[0]);
        }
        assert_eq!(v("1.0.0-beta.007"), v("1.0.0-beta.7"));
    }

    #[test]
    fn lenient_forms() {
        assert_eq!(v("2"), v("2.0.0"));
        assert_eq!(v("2.3"), v("2.3.0"));
        assert_eq!(v("v2.3.1"), v("2.3.1"));
        assert_eq!(v("2.3.1+build.5"), v("2.3.1"));
        assert!(v("10.0") > v("9.99.99"));
    }

    fn number(part: &str) -> Option<u64> {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    }

    /// The first, split-based parser: the single-pass one must agree with it.
    fn reference(text: &str) -> Option<((u64, u64, u64), &str)> {
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let text = match text.split_once('+') {
            Some((version, build)) if valid_identifiers(build) => version,
            Some(_) => return None,
            None => text,
        };
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) if valid_identifiers(pre) => (core, pre),
            Some(_) => return None,
            None => (text, ""),
        };
        let mut parts = core.split('.');
        let major = number(parts.next()?)?;
        let minor = parts.next().map_or(Some(0), number)?;
        let patch = parts.next().map_or(Some(0), number)?;
        if parts.next().is_some() {
            return None;
        }
        Some(((major, minor, patch), pre))
    }

    #[test]
    fn single_pass_parse_agrees_with_the_reference_on_every_short_string() {
        // Every string of up to 6 characters over the characters versions
        // are made of (and a few they are not): 1.4 million cases.
        let alphabet = ['1', '0', '9', '.', '-', '+', 'v', 'a', 'x'];
        let mut text = String::new();
        fn walk(text: &mut String, alphabet: &[char], depth: usize) {
            let got = Version::parse(text).map(|v| (v.triple(), v.pre_release()));
            assert_eq!(got, reference(text), "{text:?}");
            if depth == 0 {
                return;
            }
            for &c in alphabet {
                text.push(c);
                walk(text, alphabet, depth - 1);
                text.pop();
            }
        }
        walk(&mut text, &alphabet, 6);
        for long in [
            "18446744073709551615.0",
            "18446744073709551616",
            "9999999999999999999.1",
            "10000000000000000000.2",
            "99999999999999999999",
            "1.000000000000000000000000007",
            "1.2.3-rc.1+build.5",
            "V2.3-x-y.z",
        ] {
            let got = Version::parse(long).map(|v| (v.triple(), v.pre_release()));
            assert_eq!(got, reference(long), "{long:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Version-shaped text with long parts, leading zeros, and numbers
        /// on both sides of 19 digits (where the parser starts checking
        /// for overflow) and of `u64::MAX`: parsed as the reference does.
        #[test]
        fn long_parts_parse_as_the_reference_does(
            text in "[vV]?(0{0,4}[0-9]{0,21})([.]0{0,4}[0-9]{0,21}){0,3}(-[0-9a-z.]{0,4})?([+][0-9a-z]{0,3})?"
        ) {
            let got = Version::parse(&text).map(|v| (v.triple(), v.pre_release()));
            proptest::prop_assert_eq!(got, reference(&text), "{:?}", text);
        }
    }

    #[test]
    fn rejects_non_versions() {
        for bad in [
            "",
            "x",
            "2.x",
            "1.2.3.4",
            "1..2",
            "-1.0",
            "1.0-",
            "1.0-beta..1",
            "1.0+",
            " 1.0",
            "1.0 ",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad:?} should not parse");
        }
    }
}
