//! Parse, don't validate: a [`Config`] becomes a [`Snapshot`] here, once.
//! Every check lives in this module; evaluation trusts what it builds.
//!
//! Checks run in config order (schema, revision, segments, then features
//! one by one, then prerequisites across features) and stop at the first
//! problem, so the error a user sees is the first one in their file.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use foldhash::fast::RandomState;

use crate::bucket::KeyPrefix;
use crate::names::NameMap;
use crate::rules::{Action, Cmp, Condition, Equality, OwnedVersion, Rule, Segment, Test, TextOp};
use crate::snapshot::{Feature, Listed, Prerequisite, Revision, UnitLists};
use crate::{
    ConditionConfig, Config, ConfigError, FeatureConfig, GuardConfig, GuardPolicy, Literal,
    Operator, Owner, Percentage, Ramp, RampConfig, RuleConfig, Serve, Snapshot, Variant,
};

/// The deepest prerequisite chain allowed (`a` needs `b` needs `c` … is
/// depth 2 for `a`). Evaluation recurses along the chain, so the bound
/// keeps the request path's stack use small and fixed.
pub(crate) const MAX_PREREQUISITE_DEPTH: usize = 16;

/// The most feature evaluations one evaluation may take, counting every
/// prerequisite each time it is reached (a feature needing `b` and `c`,
/// each needing `d`, takes 5). Evaluation does not memoise (that would
/// need memory per request), so this bounds its cost: without it, fan-out
/// under the depth bound could take `3^16` evaluations.
pub(crate) const MAX_PREREQUISITE_EVALUATIONS: u64 = 64;

/// Whose part of the config is being checked, borrowed: an [`Owner`] is
/// built only for an error, not for every feature.
enum Who<'a> {
    Feature(&'a str),
    Segment(&'a str),
}

impl Who<'_> {
    fn owned(&self) -> Owner {
        match *self {
            Who::Feature(name) => Owner::Feature(name.to_owned()),
            Who::Segment(name) => Owner::Segment(name.to_owned()),
        }
    }
}

/// Where a field is inside its feature or segment (`rules[1].conditions[0]`),
/// as a chain of borrowed parts: written out only for an error, so valid
/// configs never format a path.
#[derive(Clone, Copy)]
struct At<'a> {
    parent: Option<&'a At<'a>>,
    name: &'static str,
    index: Option<usize>,
}

impl<'a> At<'a> {
    const fn field(name: &'static str) -> At<'static> {
        At {
            parent: None,
            name,
            index: None,
        }
    }

    const fn item(name: &'static str, index: usize) -> At<'static> {
        At {
            parent: None,
            name,
            index: Some(index),
        }
    }

    /// The field `name` inside this one.
    fn then(&'a self, name: &'static str) -> At<'a> {
        At {
            parent: Some(self),
            name,
            index: None,
        }
    }

    /// Item `index` of the list `name` inside this one.
    fn then_item(&'a self, name: &'static str, index: usize) -> At<'a> {
        At {
            parent: Some(self),
            name,
            index: Some(index),
        }
    }
}

impl core::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}.")?;
        }
        f.write_str(self.name)?;
        match self.index {
            Some(i) => write!(f, "[{i}]"),
            None => Ok(()),
        }
    }
}

pub(crate) fn snapshot(config: &Config) -> Result<Snapshot, ConfigError> {
    let mut built = build(config, Problems::first()).map_err(|mut found| found.swap_remove(0))?;
    for (feature, raw) in built.features.iter_mut().zip(&config.features) {
        if let Some(feature) = Arc::get_mut(feature) {
            feature.source = Arc::new(recorded(raw.clone()));
        }
    }
    built.segment_configs = config.segments.clone().into();
    Ok(built)
}

/// [`snapshot`] for a config given by value: its parts become the
/// snapshot's record of its source instead of being copied.
pub(crate) fn snapshot_owned(config: Config) -> Result<Snapshot, ConfigError> {
    let mut built = build(&config, Problems::first()).map_err(|mut found| found.swap_remove(0))?;
    for (feature, raw) in built.features.iter_mut().zip(config.features) {
        if let Some(feature) = Arc::get_mut(feature) {
            feature.source = Arc::new(recorded(raw));
        }
    }
    built.segment_configs = config.segments.into();
    Ok(built)
}

/// A feature's config as its snapshot records it: as validation read it,
/// a variant's `null` value is none (so `diff` and `to_config` see what
/// JSON would give back).
fn recorded(mut raw: FeatureConfig) -> FeatureConfig {
    for variant in &mut raw.variants {
        variant.value = variant.value.take().filter(|value| !value.is_null());
    }
    raw
}

/// Every problem of `config`, in config order; empty when it is valid.
pub(crate) fn errors(config: &Config) -> Vec<ConfigError> {
    build(config, Problems::all()).err().unwrap_or_default()
}

/// Where validation puts what it finds: stop at the first problem, or
/// collect them all.
struct Problems {
    collect_all: bool,
    found: Vec<ConfigError>,
}

impl Problems {
    fn first() -> Self {
        Problems {
            collect_all: false,
            found: Vec::new(),
        }
    }

    fn all() -> Self {
        Problems {
            collect_all: true,
            found: Vec::new(),
        }
    }

    /// Records a problem; `Err` when validation should stop here.
    fn add(&mut self, e: ConfigError) -> Result<(), Vec<ConfigError>> {
        self.found.push(e);
        if self.collect_all {
            Ok(())
        } else {
            Err(std::mem::take(&mut self.found))
        }
    }
}

fn build(config: &Config, mut problems: Problems) -> Result<Snapshot, Vec<ConfigError>> {
    if config.schema_version != Config::SCHEMA_VERSION {
        problems.add(ConfigError::UnsupportedSchema {
            found: config.schema_version,
            supported: Config::SCHEMA_VERSION,
        })?;
    }
    if config.revision.is_empty() {
        problems.add(ConfigError::EmptyRevision)?;
    }

    let mut segment_names = NameMap::default();
    let mut segments = Vec::with_capacity(config.segments.len());
    for (i, raw) in config.segments.iter().enumerate() {
        let owner = Who::Segment(&raw.name);
        if raw.name.is_empty() {
            problems.add(ConfigError::EmptySegmentName { index: i })?;
            continue;
        }
        let duplicate = segment_names.insert(raw.name.as_str().into(), i).is_some();
        if duplicate {
            problems.add(ConfigError::DuplicateSegment {
                segment: raw.name.clone(),
            })?;
        }
        // A duplicate's conditions are checked too, so that every problem
        // is listed at once.
        let mut conditions = Vec::with_capacity(raw.conditions.len());
        for (j, c) in raw.conditions.iter().enumerate() {
            match condition(&owner, At::item("conditions", j), c, None) {
                Ok(c) => conditions.push(c),
                Err(e) => problems.add(e)?,
            }
        }
        if duplicate {
            continue;
        }
        segments.push(Segment {
            name: raw.name.as_str().into(),
            conditions: conditions.into(),
        });
    }

    let placeholder = Arc::new(FeatureConfig::new(""));
    let mut index = NameMap::with_capacity(config.features.len());
    let mut features = Vec::with_capacity(config.features.len());
    for (position, raw) in config.features.iter().enumerate() {
        // The name is claimed before the feature is validated, so that a
        // second feature of that name is reported even when the first is
        // invalid (an empty name is reported by `feature`); the second is
        // validated too, so that its own problems are listed, but never kept.
        let duplicate =
            !raw.name.is_empty() && index.insert(raw.name.as_str().into(), position).is_some();
        if duplicate {
            problems.add(ConfigError::DuplicateFeature {
                feature: raw.name.clone(),
            })?;
        }
        // Straight into its `Arc`: a `Feature` is a few hundred bytes, and
        // collecting them into `Arc`s afterwards copied each twice more.
        match feature(position, raw, &segment_names, &placeholder) {
            Ok(_) if duplicate => {}
            Ok(f) => features.push(Arc::new(f)),
            Err(errors) => {
                for e in errors {
                    problems.add(e)?;
                }
            }
        }
    }
    if !problems.found.is_empty() {
        // Prerequisites are checked across features, by position: only once
        // every feature is valid by itself.
        return Err(problems.found);
    }

    for (position, raw) in config.features.iter().enumerate() {
        let resolved = raw
            .prerequisites
            .iter()
            .enumerate()
            .map(|(i, p)| prerequisite(raw, i, p, &index, &features))
            .collect::<Result<Box<[_]>, _>>();
        match resolved {
            // Unshared (built above, not handed out yet), so this never
            // clones.
            Ok(resolved) => Arc::make_mut(&mut features[position]).prerequisites = resolved,
            Err(e) => problems.add(e)?,
        }
    }
    if !problems.found.is_empty() {
        return Err(problems.found);
    }
    if let Err(e) = check_prerequisite_graph(&features) {
        problems.add(e)?;
        return Err(problems.found);
    }

    Ok(Snapshot {
        revision: Revision::new(&config.revision),
        features,
        index: Arc::new(index.into()),
        segments: segments.into(),
        // Filled in by the caller, which may own the config.
        segment_configs: Arc::from([]),
        exposure: None,
    })
}

/// A feature, or its problems: the first of each of its parts (name,
/// percentage, lists, salt, `bucket_by`, variants, each rule, ramp, guard),
/// in that order. Rules are checked once the variants they may name are
/// valid; nothing else is checked when the name is not.
fn feature(
    position: usize,
    raw: &FeatureConfig,
    segments: &NameMap<usize>,
    placeholder: &Arc<FeatureConfig>,
) -> Result<Feature, Vec<ConfigError>> {
    let name = raw.name.as_str();
    if name.is_empty() {
        return Err(vec![ConfigError::EmptyName { index: position }]);
    }
    if name.trim() != name {
        return Err(vec![ConfigError::NameWhitespace {
            feature: name.to_owned(),
        }]);
    }
    let owner = Who::Feature(name);
    let mut problems = Vec::new();
    let p = &mut problems;
    let percentage = part(p, percentage(name, At::field("percentage"), raw.percentage));
    let listed = part(p, unit_lists(name, raw));
    let salt = part(p, non_empty(&owner, "salt", raw.salt.as_deref()));
    let bucket_by = part(p, non_empty(&owner, "bucket_by", raw.bucket_by.as_deref()));
    let variants = part(p, variants(name, raw));
    let rules = variants.as_ref().and_then(|variants| {
        let mut rules = Vec::with_capacity(raw.rules.len());
        rules.extend(
            (raw.rules.iter().enumerate())
                .filter_map(|(i, r)| part(p, rule(&owner, name, i, r, segments, variants))),
        );
        (rules.len() == raw.rules.len()).then(|| rules.into_boxed_slice())
    });
    let ramp = part(p, raw.ramp.as_ref().map(|r| ramp(name, r)).transpose());
    let guard = part(p, raw.guard.as_ref().map(|g| guard(name, g)).transpose());
    let (
        Some(percentage),
        Some(listed),
        Some(salt),
        Some(bucket_by),
        Some(variants),
        Some(rules),
        Some(ramp),
        Some(guard),
    ) = (
        percentage, listed, salt, bucket_by, variants, rules, ramp, guard,
    )
    else {
        return Err(problems);
    };
    let salt = salt.unwrap_or(name);
    let bucketing_tail = crate::rules::bucketing_tail(&rules, !variants.is_empty());
    Ok(Feature {
        name: name.into(),
        salt: (salt != name).then(|| salt.into()),
        key: KeyPrefix::new(salt.as_bytes()),
        bucket_by: bucket_by.map(Into::into),
        enabled: raw.enabled,
        percentage,
        listed: UnitLists(listed),
        prerequisites: Box::new([]), // resolved once every feature is known
        rules,
        bucketing_tail,
        variants,
        plain: raw.allow.is_empty()
            && raw.deny.is_empty()
            && raw.prerequisites.is_empty()
            && raw.rules.is_empty()
            && raw.variants.is_empty()
            && raw.bucket_by.is_none(),
        ramp,
        guard,
        // The caller records the real source once validation has passed.
        source: Arc::clone(placeholder),
    })
}

/// A ramp's steps never decrease. A step may be below the feature's own
/// percentage (a snapshot's `to_config` after its ramp moved, or a config
/// raised by hand): advancing a ramp never lowers a feature, so that step
/// only keeps what is already there.
fn ramp(feature: &str, raw: &RampConfig) -> Result<Ramp, ConfigError> {
    let invalid = |field: At<'_>, problem: String| ConfigError::Malformed {
        owner: Owner::Feature(feature.to_owned()),
        field: field.to_string(),
        problem,
    };
    let time = |field: At<'_>, text: &str| {
        rfc3339(text).map_err(|e| invalid(field, format!("{text:?} is not an RFC 3339 time ({e})")))
    };
    if raw.steps.is_empty() {
        return Err(invalid(
            At::field("ramp.steps"),
            "a ramp needs at least one step".into(),
        ));
    }
    let mut begins = time(At::field("ramp.start"), &raw.start)?;
    let mut previous = Percentage::ZERO;
    // The previous step's `hold`, parsed.
    let mut held = None;
    let mut steps = Vec::with_capacity(raw.steps.len());
    for (i, step) in raw.steps.iter().enumerate() {
        let at = At::item("ramp.steps", i);
        if let Some(text) = &step.at {
            let when = time(at.then("at"), text)?;
            if when < begins {
                return Err(invalid(
                    at.then("at"),
                    if i == 0 {
                        format!("{text} is before ramp.start")
                    } else {
                        format!("{text} is before the step it follows")
                    },
                ));
            }
            begins = when;
        } else if i > 0 {
            let Some(hold) = held else {
                return Err(invalid(
                    at,
                    format!("needs an `at`, or a `hold` on ramp.steps[{}]", i - 1),
                ));
            };
            begins = begins
                .checked_add(hold)
                .ok_or_else(|| invalid(at, "begins too far in the future".into()))?;
        }
        // Every `hold` is read, also where the next step's `at` (or there
        // being no next step) leaves it unused: invalid text never passes.
        held = match &step.hold {
            Some(text) => Some(humantime::parse_duration(text).map_err(|e| {
                invalid(at.then("hold"), format!("{text:?} is not a duration ({e})"))
            })?),
            None => None,
        };
        let p = percentage(feature, at.then("percentage"), step.percentage)?;
        if p < previous {
            return Err(invalid(
                at.then("percentage"),
                format!("{p} is below the {previous} before it: a ramp never decreases"),
            ));
        }
        previous = p;
        steps.push((begins, p));
    }
    Ok(Ramp::new(steps))
}

/// An RFC 3339 time: `2026-11-24T12:00:00Z` or with a numeric offset,
/// `2026-11-24T14:00:00+02:00`; fractional seconds, lower-case `t` and `z`,
/// and a space for the `T` (which RFC 3339 allows for readability) are
/// accepted. A time without an offset is not: it names no instant.
fn rfc3339(text: &str) -> Result<SystemTime, String> {
    let upper = text.to_ascii_uppercase();
    // The local time, and how far east of UTC it is (`-05:00` is west).
    let (local, east, offset) = match upper.strip_suffix('Z') {
        Some(local) => (local, true, Duration::ZERO),
        None => {
            let at = upper.len().saturating_sub(6);
            let b = upper.as_bytes();
            let digit = |i: usize| {
                b.get(i)
                    .filter(|d| d.is_ascii_digit())
                    .map(|d| u64::from(d - b'0'))
            };
            let sign = b.get(at).filter(|s| matches!(s, b'+' | b'-'));
            let hours = digit(at + 1).zip(digit(at + 2)).map(|(h, l)| 10 * h + l);
            let minutes = digit(at + 4).zip(digit(at + 5)).map(|(h, l)| 10 * h + l);
            match (sign, hours, b.get(at + 3), minutes) {
                (Some(sign), Some(h @ 0..=23), Some(b':'), Some(m @ 0..=59)) => (
                    // Only ASCII was matched, so `at` is a character boundary.
                    upper.get(..at).unwrap_or_default(),
                    *sign == b'+',
                    Duration::from_secs(3600 * h + 60 * m),
                ),
                _ => return Err("no UTC offset: end it with `Z` or `+hh:mm`".into()),
            }
        }
    };
    // `full-date "T" partial-time`, exactly: humantime reads the numbers
    // and checks the calendar, but lets some other forms through.
    let b = local.as_bytes();
    let shape = |i: usize, c: &u8| match i {
        4 | 7 => *c == b'-',
        10 => matches!(c, b'T' | b' '),
        13 | 16 => *c == b':',
        19 => *c == b'.',
        _ => c.is_ascii_digit(),
    };
    if !(b.len() == 19 || b.len() > 20) || !b.iter().enumerate().all(|(i, c)| shape(i, c)) {
        return Err("not `YYYY-MM-DDTHH:MM:SS[.fraction]` before the offset".into());
    }
    // humantime reads second 60 in any minute as 59: a leap second is no
    // time to schedule a ramp step, and a different instant must not go
    // live in its place.
    if b.get(17..19) == Some(b"60".as_slice()) {
        return Err("second 60 (a leap second) is not accepted".into());
    }
    let local = humantime::parse_rfc3339_weak(&format!("{local}Z")).map_err(|e| e.to_string())?;
    // East of UTC, the local clock is ahead: the instant is earlier.
    let instant = if east {
        local.checked_sub(offset)
    } else {
        local.checked_add(offset)
    };
    instant.ok_or_else(|| "out of range".into())
}

fn guard(feature: &str, raw: &GuardConfig) -> Result<GuardPolicy, ConfigError> {
    let invalid = |field: &str, problem: String| ConfigError::Malformed {
        owner: Owner::Feature(feature.to_owned()),
        field: format!("guard.{field}"),
        problem,
    };
    let increase = raw.max_error_rate_increase;
    if !(increase.is_finite() && (0.0..=100.0).contains(&increase)) {
        return Err(invalid(
            "max_error_rate_increase",
            format!("{increase} is not a number of percentage points in 0..=100"),
        ));
    }
    if raw.min_samples < GuardPolicy::MIN_SAMPLES {
        return Err(invalid(
            "min_samples",
            format!(
                "{} is below the least the guard's statistics need ({})",
                raw.min_samples,
                GuardPolicy::MIN_SAMPLES
            ),
        ));
    }
    let latency = match raw.max_latency_increase_ms {
        None => None,
        Some(ms) if ms.is_finite() && ms >= 0.0 => Some(ms),
        Some(ms) => {
            return Err(invalid(
                "max_latency_increase_ms",
                format!("{ms} is not a number of milliseconds >= 0"),
            ));
        }
    };
    Ok(GuardPolicy::new(increase / 100.0, raw.min_samples, latency))
}

fn percentage(feature: &str, at: At<'_>, value: f64) -> Result<Percentage, ConfigError> {
    Percentage::from_percent_f64(value).ok_or_else(|| {
        let feature = feature.to_owned();
        let field = at.to_string();
        if (0.0..=100.0).contains(&value) {
            ConfigError::PercentageTooFine {
                feature,
                field,
                value,
            }
        } else {
            ConfigError::PercentageOutOfRange {
                feature,
                field,
                value,
            }
        }
    })
}

fn non_empty<'a>(
    owner: &Who<'_>,
    field: &str,
    value: Option<&'a str>,
) -> Result<Option<&'a str>, ConfigError> {
    match value {
        Some("") => Err(ConfigError::EmptyField {
            owner: owner.owned(),
            field: field.to_owned(),
        }),
        other => Ok(other),
    }
}

/// Adds a list's unit ids to the feature's unit map (a unit on both
/// lists ends up marked `Deny`, and is then reported by the caller).
/// `checked`'s value, or `None` with its problem added to `problems`.
fn part<T>(problems: &mut Vec<ConfigError>, checked: Result<T, ConfigError>) -> Option<T> {
    checked.map_err(|e| problems.push(e)).ok()
}

/// The allow and deny lists, as one map (no unit may be on both).
fn unit_lists(feature: &str, raw: &FeatureConfig) -> Result<NameMap<Listed>, ConfigError> {
    let mut listed = NameMap::with_capacity(raw.allow.len() + raw.deny.len());
    add_units(feature, "allow", &raw.allow, Listed::Allow, &mut listed)?;
    add_units(feature, "deny", &raw.deny, Listed::Deny, &mut listed)?;
    if let Some(unit) = raw
        .allow
        .iter()
        .find(|u| listed.get(u.as_str()) == Some(&Listed::Deny))
    {
        return Err(ConfigError::AllowedAndDenied {
            feature: feature.to_owned(),
            unit: unit.clone(),
        });
    }
    Ok(listed)
}

fn add_units(
    feature: &str,
    field: &'static str,
    units: &[String],
    list: Listed,
    listed: &mut NameMap<Listed>,
) -> Result<(), ConfigError> {
    for unit in units {
        if unit.is_empty() {
            return Err(ConfigError::EmptyUnit {
                feature: feature.to_owned(),
                field,
            });
        }
        listed.insert(Box::from(unit.as_str()), list);
    }
    Ok(())
}

fn variants(feature: &str, raw: &FeatureConfig) -> Result<Box<[Variant]>, ConfigError> {
    let mut seen = HashSet::<&str, RandomState>::default();
    let mut end: u64 = 0;
    let mut out = Vec::with_capacity(raw.variants.len());
    for (i, v) in raw.variants.iter().enumerate() {
        if v.name.is_empty() {
            return Err(ConfigError::EmptyField {
                owner: Owner::Feature(feature.to_owned()),
                field: format!("variants[{i}].name"),
            });
        }
        if !seen.insert(&v.name) {
            return Err(ConfigError::DuplicateVariant {
                feature: feature.to_owned(),
                variant: v.name.clone(),
            });
        }
        let weight = percentage(feature, At::item("variants", i).then("weight"), v.weight)?;
        // u64: even millions of variants cannot overflow it, so a sum past
        // 100% is always seen as one.
        end += u64::from(weight.as_basis_points());
        out.push(Variant {
            name: v.name.as_str().into(),
            weight,
            // `null` is no value: JSON reads `"value": null` back as absent.
            value: v.value.clone().filter(|value| !value.is_null()),
            end: u16::try_from(end).unwrap_or(u16::MAX),
            index: i,
        });
    }
    if !out.is_empty() && end != 10_000 {
        let sum = raw.variants.iter().map(|v| v.weight).sum::<f64>();
        return Err(ConfigError::VariantWeights {
            feature: feature.to_owned(),
            sum: (sum * 100.0).round() / 100.0,
        });
    }
    Ok(out.into())
}

fn rule(
    owner: &Who<'_>,
    feature: &str,
    i: usize,
    raw: &RuleConfig,
    segments: &NameMap<usize>,
    variants: &[Variant],
) -> Result<Rule, ConfigError> {
    let at = At::item("rules", i);
    if raw.name.as_deref() == Some("") {
        return Err(ConfigError::EmptyField {
            owner: owner.owned(),
            field: at.then("name").to_string(),
        });
    }
    let actions = usize::from(raw.serve.is_some())
        + usize::from(raw.variant.is_some())
        + usize::from(raw.percentage.is_some());
    if actions != 1 {
        return Err(ConfigError::Malformed {
            owner: owner.owned(),
            field: at.to_string(),
            problem: format!(
                "needs exactly one of `serve`, `variant` or `percentage`, has {actions}"
            ),
        });
    }
    let action = match (raw.serve, &raw.variant, raw.percentage) {
        (Some(serve), _, _) => Action::Serve(serve == Serve::On),
        (_, Some(name), _) => match variants.iter().position(|v| *v.name == **name) {
            Some(v) => Action::Variant(v),
            None => {
                return Err(ConfigError::UnknownVariant {
                    feature: feature.to_owned(),
                    field: at.then("variant").to_string(),
                    variant: name.clone(),
                });
            }
        },
        (_, _, Some(p)) => Action::Percentage(percentage(feature, at.then("percentage"), p)?),
        (None, None, None) => unreachable!("exactly one action was checked above"),
    };
    let conditions: Box<[Condition]> = raw
        .conditions
        .iter()
        .enumerate()
        .map(|(j, c)| condition(owner, at.then_item("conditions", j), c, Some(segments)))
        .collect::<Result<_, _>>()?;
    let segment = conditions.iter().find_map(|c| match c {
        Condition::Segment {
            index,
            negate: false,
        } => Some(*index),
        _ => None,
    });
    Ok(Rule {
        name: raw.name.as_deref().map(Into::into),
        conditions,
        action,
        segment,
    })
}

/// Validates one condition. `segments` is `None` inside a segment, where a
/// condition may not refer to another segment.
fn condition(
    owner: &Who<'_>,
    at: At<'_>,
    raw: &ConditionConfig,
    segments: Option<&NameMap<usize>>,
) -> Result<Condition, ConfigError> {
    let malformed = |problem: &str| ConfigError::Malformed {
        owner: owner.owned(),
        field: at.to_string(),
        problem: problem.to_owned(),
    };
    match (&raw.attribute, &raw.segment) {
        (Some(_), Some(_)) | (None, None) => {
            Err(malformed("needs exactly one of `attribute` or `segment`"))
        }
        (None, Some(segment)) => {
            let Some(segments) = segments else {
                return Err(malformed("a segment cannot refer to another segment"));
            };
            if raw.op.is_some() || !raw.values.is_empty() || raw.case_insensitive {
                return Err(malformed(
                    "a `segment` condition takes no `op`, `values` or `case_insensitive`",
                ));
            }
            match segments.get(segment.as_str()) {
                Some(&index) => Ok(Condition::Segment {
                    index,
                    negate: raw.negate,
                }),
                None => Err(ConfigError::UnknownSegment {
                    owner: owner.owned(),
                    field: at.then("segment").to_string(),
                    segment: segment.clone(),
                }),
            }
        }
        (Some(attribute), None) => {
            if attribute.is_empty() {
                return Err(ConfigError::EmptyField {
                    owner: owner.owned(),
                    field: at.then("attribute").to_string(),
                });
            }
            let op = raw.op.ok_or_else(|| malformed("`op` is missing"))?;
            if raw.values.is_empty() {
                return Err(malformed("`values` is empty"));
            }
            if op == Operator::Equals && raw.values.len() != 1 {
                return Err(malformed(&format!(
                    "`equals` takes one value, has {}",
                    raw.values.len()
                )));
            }
            let test = test(owner, at, op, &raw.values, raw.case_insensitive)?;
            Ok(Condition::Attribute {
                name: attribute.as_str().into(),
                test,
                negate: raw.negate,
            })
        }
    }
}

fn test(
    owner: &Who<'_>,
    at: At<'_>,
    op: Operator,
    values: &[Literal],
    fold_case: bool,
) -> Result<Test, ConfigError> {
    let wrong = |i: usize, expected: &'static str| ConfigError::OperatorType {
        owner: owner.owned(),
        field: at.then_item("values", i).to_string(),
        op,
        expected,
        value: values[i].clone(),
    };
    let strings = || -> Result<Box<[Box<str>]>, ConfigError> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Literal::String(s) => Ok(s.as_str().into()),
                _ => Err(wrong(i, "a string")),
            })
            .collect()
    };
    let numbers = || -> Result<Box<[f64]>, ConfigError> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Literal::Number(n) if n.is_finite() => Ok(*n),
                _ => Err(wrong(i, "a finite number")),
            })
            .collect()
    };
    let versions = || -> Result<Box<[OwnedVersion]>, ConfigError> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Literal::String(s) => {
                    OwnedVersion::parse(s).ok_or_else(|| ConfigError::InvalidVersion {
                        owner: owner.owned(),
                        field: at.then_item("values", i).to_string(),
                        value: s.clone(),
                    })
                }
                _ => Err(wrong(i, "a version string")),
            })
            .collect()
    };
    let is_text = matches!(
        op,
        Operator::In
            | Operator::NotIn
            | Operator::Equals
            | Operator::StartsWith
            | Operator::EndsWith
            | Operator::Contains
    );
    if fold_case && !is_text {
        return Err(ConfigError::Malformed {
            owner: owner.owned(),
            field: at.to_string(),
            problem: format!(
                "`case_insensitive` does not apply to operator `{}`",
                op.as_str()
            ),
        });
    }
    let text = |op| -> Result<Test, ConfigError> {
        let mut values = strings()?;
        if fold_case {
            // Lowercased once here, so matching folds only the attribute.
            values.iter_mut().for_each(|v| v.make_ascii_lowercase());
        }
        Ok(Test::Text {
            op,
            values,
            fold_case,
        })
    };
    let number = |cmp| -> Result<Test, ConfigError> {
        Ok(Test::Number {
            cmp,
            values: numbers()?,
        })
    };
    let version = |cmp| -> Result<Test, ConfigError> {
        Ok(Test::Version {
            cmp,
            values: versions()?,
        })
    };
    match op {
        Operator::In | Operator::Equals => Ok(Test::In(equality(values, fold_case, wrong)?)),
        Operator::NotIn => Ok(Test::NotIn(equality(values, fold_case, wrong)?)),
        Operator::StartsWith => text(TextOp::StartsWith),
        Operator::EndsWith => text(TextOp::EndsWith),
        Operator::Contains => text(TextOp::Contains),
        Operator::Lt => number(Cmp::Lt),
        Operator::Lte => number(Cmp::Lte),
        Operator::Gt => number(Cmp::Gt),
        Operator::Gte => number(Cmp::Gte),
        Operator::SemverEq => version(Cmp::Eq),
        Operator::SemverLt => version(Cmp::Lt),
        Operator::SemverLte => version(Cmp::Lte),
        Operator::SemverGt => version(Cmp::Gt),
        Operator::SemverGte => version(Cmp::Gte),
    }
}

fn equality(
    values: &[Literal],
    fold_case: bool,
    wrong: impl Fn(usize, &'static str) -> ConfigError,
) -> Result<Equality, ConfigError> {
    let mut eq = Equality {
        fold_case,
        ..Equality::default()
    };
    let (mut folded, mut numbers, mut bools) = (Vec::new(), Vec::new(), Vec::new());
    for (i, value) in values.iter().enumerate() {
        match value {
            // NaN and infinities have no JSON form, so such a config could
            // not be written back; and no attribute could equal NaN anyway.
            Literal::Number(n) if !n.is_finite() => return Err(wrong(i, "a finite number")),
            Literal::String(s) if fold_case => folded.push(s.to_ascii_lowercase().into()),
            Literal::String(s) => {
                eq.strings.insert(s.as_str().into(), ());
            }
            Literal::Number(n) => numbers.push(*n),
            Literal::Bool(b) => bools.push(*b),
        }
    }
    eq.folded = folded.into();
    eq.numbers = numbers.into();
    eq.bools = bools.into();
    Ok(eq)
}

fn prerequisite(
    raw: &FeatureConfig,
    i: usize,
    p: &crate::PrerequisiteConfig,
    index: &NameMap<usize>,
    features: &[Arc<Feature>],
) -> Result<Prerequisite, ConfigError> {
    let Some(&feature) = index.get(p.feature.as_str()) else {
        return Err(ConfigError::UnknownPrerequisite {
            feature: raw.name.clone(),
            field: format!("prerequisites[{i}].feature"),
            prerequisite: p.feature.clone(),
        });
    };
    let variant = match &p.variant {
        None => None,
        Some(name) => match features[feature]
            .variants
            .iter()
            .position(|v| *v.name == **name)
        {
            Some(v) => Some(v),
            None => {
                return Err(ConfigError::UnknownVariant {
                    feature: raw.name.clone(),
                    field: format!("prerequisites[{i}].variant"),
                    variant: name.clone(),
                });
            }
        },
    };
    Ok(Prerequisite { feature, variant })
}

/// Rejects cycles and chains deeper than [`MAX_PREREQUISITE_DEPTH`].
///
/// Iterative (Kahn's algorithm, leaves first), so a config of 100,000
/// chained features cannot overflow the validator's stack either.
fn check_prerequisite_graph(features: &[Arc<Feature>]) -> Result<(), ConfigError> {
    let n = features.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (f, feature) in features.iter().enumerate() {
        for p in feature.prerequisites.iter() {
            dependents[p.feature].push(f);
            pending[f] += 1;
        }
    }
    let mut depth = vec![0usize; n];
    // Evaluations one evaluation of each feature takes, itself included;
    // final for a feature once all its prerequisites are done.
    let mut cost: Vec<u64> = vec![1; n];
    let mut ready: Vec<usize> = (0..n).filter(|&f| pending[f] == 0).collect();
    let mut done = 0;
    while let Some(p) = ready.pop() {
        done += 1;
        for &f in &dependents[p] {
            depth[f] = depth[f].max(depth[p] + 1);
            cost[f] = cost[f].saturating_add(cost[p]);
            pending[f] -= 1;
            if pending[f] == 0 {
                ready.push(f);
            }
        }
    }
    if done < n {
        // Every feature left waits on another one left: walking prerequisites
        // among them must come back to a feature already seen.
        let start = (0..n).find(|&f| pending[f] > 0).unwrap_or(0);
        let mut path = vec![start];
        let mut on_path = vec![usize::MAX; n];
        on_path[start] = 0;
        let mut at = start;
        loop {
            let next = features[at]
                .prerequisites
                .iter()
                .map(|p| p.feature)
                .find(|&p| pending[p] > 0)
                .unwrap_or(start);
            if on_path[next] != usize::MAX {
                let mut cycle: Vec<String> = path[on_path[next]..]
                    .iter()
                    .map(|&f| features[f].name.to_string())
                    .collect();
                cycle.push(features[next].name.to_string());
                return Err(ConfigError::PrerequisiteCycle { cycle });
            }
            on_path[next] = path.len();
            path.push(next);
            at = next;
        }
    }
    for f in 0..n {
        if depth[f] <= MAX_PREREQUISITE_DEPTH && cost[f] > MAX_PREREQUISITE_EVALUATIONS {
            return Err(ConfigError::PrerequisitesTooMany {
                feature: features[f].name.to_string(),
                evaluations: cost[f],
                max: MAX_PREREQUISITE_EVALUATIONS,
            });
        }
    }
    if let Some(f) = (0..n).find(|&f| depth[f] > MAX_PREREQUISITE_DEPTH) {
        return Err(ConfigError::PrerequisiteTooDeep {
            feature: features[f].name.to_string(),
            max: MAX_PREREQUISITE_DEPTH,
        });
    }
    Ok(())
}
