//! The evaluation algorithm: a pure function of a snapshot, a feature and
//! a context. No allocation, no lock, no panic, no I/O.
//!
//! The steps, in order, are documented in the crate docs
//! ([evaluation order](crate#evaluation-order)); keep the two in step.

use crate::bucket::{bucket_of_digest, variant_bucket_of_digest};
use crate::rules::{Action, Rule, Segment};
use crate::snapshot::{Feature, Listed};
use crate::{Bucket, Context, Decision, Percentage, Reason, Snapshot, Value, Variant};

/// Evaluates the feature at `position` in `snapshot` for `context`;
/// `digest` is the unit's key digest when the caller has hashed it already.
#[inline]
pub(crate) fn evaluate<'s>(
    snapshot: &'s Snapshot,
    position: usize,
    context: &Context<'_>,
    digest: Option<[u8; 16]>,
) -> Decision<'s> {
    match snapshot.features.get(position) {
        Some(feature) => evaluate_feature(snapshot, feature, context, digest),
        None => Decision::off(Reason::UnknownFeature, None),
    }
}

/// [`evaluate`] for a unit with no attributes (`evaluate(feature, unit)`,
/// `is_enabled(feature, unit)`): the unit is passed by value (in registers
/// on x86-64) and its context built here, in this frame.
///
/// Built by the caller, the context was written in the caller's frame and
/// read back here. Where the caller's inlined code had copied the unit
/// into it piecewise (the bench's loops did, from a `black_box`), reading
/// it whole could not take its bytes from those stores and waited for
/// them to reach the cache: a hit in the bench's 1,000-unit allow list
/// through a `Reader` by name went from 14.1-16.1 to 10.2-11.1 ns. A
/// caller that does not copy its unit that way gains none of this and
/// pays for the extra call, up to 1.6 ns on the bench's other short
/// circuits (see `docs/performance-notes.md`).
#[inline(never)]
pub(crate) fn evaluate_unit<'s>(
    snapshot: &'s Snapshot,
    position: usize,
    unit: &str,
) -> Decision<'s> {
    evaluate(snapshot, position, &Context::new(unit), None)
}

/// Step 7 alone, for a feature that is enabled and flagged plain at
/// validation (nothing but a kill switch and a percentage), with its
/// digest if a batch hashed it ahead.
///
/// Apart from [`evaluate_feature`] so that a batch can build a plain
/// feature's decision straight in its slot. Through `evaluate_feature`,
/// whose other paths return a decision from an out-of-line call, the
/// compiler builds every decision in a stack temporary and copies it out,
/// and the copy's wide loads wait on the narrow stores that wrote it:
/// evaluate-all over 50 features took 1.59–1.63 µs that way and
/// 1.21–1.28 µs this way, in a loop timed on its own.
#[inline(always)]
pub(crate) fn evaluate_plain<'s>(
    feature: &'s Feature,
    context: &Context<'_>,
    digest: Option<[u8; 16]>,
) -> Decision<'s> {
    match feature.percentage {
        Percentage::ZERO => Decision::off(Reason::OutOfRollout, None),
        Percentage::FULL => Decision::on(Reason::InRollout, None, None),
        p => {
            let digest = digest.unwrap_or_else(|| feature.key.digest(context.unit().as_bytes()));
            let bucket = bucket_of_digest(&digest);
            if bucket.is_within(p) {
                Decision::on(Reason::InRollout, None, Some(bucket))
            } else {
                Decision::off(Reason::OutOfRollout, Some(bucket))
            }
        }
    }
}

/// Whether evaluating `feature` for a unit will very likely hash its key
/// (so hashing it ahead, in a batch, is not wasted).
pub(crate) fn wants_digest(feature: &Feature) -> bool {
    feature.enabled
        && feature.bucket_by.is_none()
        && (!feature.variants.is_empty()
            || !feature.rules.is_empty()
            || (feature.percentage != Percentage::ZERO && feature.percentage != Percentage::FULL))
}

/// Whether the feature's own rollout (step 7) buckets the unit.
#[inline]
fn rollout_hashes(feature: &Feature) -> bool {
    feature.percentage != Percentage::ZERO
        && (feature.percentage != Percentage::FULL || !feature.variants.is_empty())
}

/// A prerequisite's evaluation, out of line: it is the only recursion, and
/// keeping it here lets [`evaluate_feature`] inline into its callers, so
/// the decision is built where it is returned rather than copied through
/// each frame.
#[inline(never)]
fn evaluate_prerequisite<'s>(
    snapshot: &'s Snapshot,
    feature: &'s Feature,
    context: &Context<'_>,
) -> Decision<'s> {
    evaluate_feature(snapshot, feature, context, None)
}

/// Steps 2 to 7 for `feature`, always inline: the batch loop calls it per
/// feature, where a decision is a few instructions once its digest is
/// known and a call per feature would cost more than they do.
#[inline(always)]
pub(crate) fn evaluate_feature<'s>(
    snapshot: &'s Snapshot,
    feature: &'s Feature,
    context: &Context<'_>,
    digest: Option<[u8; 16]>,
) -> Decision<'s> {
    // 2. Kill switch.
    if !feature.enabled {
        return Decision::off(Reason::Killed, None);
    }
    if feature.plain {
        // Steps 3 to 6 cannot apply: straight to the percentage.
        return evaluate_plain(feature, context, digest);
    }
    // 3. Prerequisites (depth bounded by validation).
    for p in feature.prerequisites.iter() {
        let Some(required) = snapshot.features.get(p.feature) else {
            continue;
        };
        let d = evaluate_prerequisite(snapshot, required, context);
        let variant_ok = match p.variant {
            None => true,
            Some(v) => d.variant().is_some_and(|got| {
                required
                    .variants
                    .get(v)
                    .is_some_and(|want| core::ptr::eq(got, want))
            }),
        };
        if !(d.is_enabled() && variant_ok) {
            return Decision::off(
                Reason::PrerequisiteFailed {
                    feature: &required.name,
                },
                None,
            );
        }
    }
    // 4-5. Deny, then allow, by unit id: one lookup, since no unit is on
    // both lists (validated).
    let listed = feature.listed.get(context.unit());
    if listed == Some(Listed::Deny) {
        return Decision::off(Reason::Denied, None);
    }
    if listed == Some(Listed::Allow) && feature.variants.is_empty() {
        return Decision::on(Reason::Allowed, None, None);
    }
    evaluate_targeted(snapshot, feature, context, digest, listed)
}

/// Steps 5 (an allow hit with variants) to 7: out of line, so that the
/// steps before them, which decide without a bucket, keep a small frame
/// (the registers and stack this part needs were saved and restored on
/// every killed feature and allow hit: a hit in the bench's 1,001-unit
/// allow list 17.0-17.2 to 16.0-16.5 ns, a two-unit list's through a
/// `FeatureName` 15.7-16.7 to 14.5 ns).
#[inline(never)]
fn evaluate_targeted<'s>(
    snapshot: &'s Snapshot,
    feature: &'s Feature,
    context: &Context<'_>,
    digest: Option<[u8; 16]>,
    listed: Option<Listed>,
) -> Decision<'s> {
    let mut hash = Hasher::new(feature, context, digest);
    if listed == Some(Listed::Allow) {
        return hash.serve(Reason::Allowed);
    }
    // 6. Rules, in order: the first that matches decides. Two loops, one
    // on each side of the bucketing tail, each using only its rules, the
    // context and the segments (one loop that also watched for the tail
    // reloaded ten values from the stack after every rule: see
    // `docs/performance-notes.md`).
    let rules = &feature.rules[..];
    let tail = feature.bucketing_tail.min(rules.len());
    let (before, after) = rules.split_at(tail);
    let mut found = first_match(before, context, &snapshot.segments);
    if found.is_none() && !after.is_empty() {
        if rollout_hashes(feature) {
            // From here every outcome buckets the unit: start its digest
            // before the rules rather than after them. The digest is one
            // long chain of dependent steps, and the CPU runs the rules
            // beside its end (see `docs/performance-notes.md`).
            let _ = hash.digest();
        }
        found = first_match(after, context, &snapshot.segments).map(|(i, rule)| (i + tail, rule));
    }
    if let Some((index, rule)) = found {
        let reason = Reason::Rule {
            index,
            name: rule.name.as_deref(),
            segment: rule
                .segment
                .and_then(|s| snapshot.segments.get(s))
                .map(|s| &*s.name),
        };
        return match rule.action {
            Action::Serve(true) => hash.serve(reason),
            Action::Serve(false) => Decision::off(reason, None),
            Action::Variant(v) => Decision::on(reason, feature.variants.get(v), None),
            Action::Percentage(p) => hash.rollout(p, reason, reason),
        };
    }
    // 7. The feature's own rollout percentage.
    hash.rollout(feature.percentage, Reason::InRollout, Reason::OutOfRollout)
}

/// The first of `rules` that matches `context`, with its index in `rules`.
#[inline(always)]
fn first_match<'r>(
    rules: &'r [Rule],
    context: &Context<'_>,
    segments: &[Segment],
) -> Option<(usize, &'r Rule)> {
    rules
        .iter()
        .enumerate()
        .find(|(_, rule)| rule.matches(context, segments))
}

/// Computes the unit's digest at most once per evaluation, and only when
/// a step needs a bucket.
struct Hasher<'s, 'c> {
    feature: &'s Feature,
    /// The bucketing value: the unit id, or the `bucket_by` attribute;
    /// `None` when that attribute is missing.
    key: Option<&'c str>,
    digest: Option<[u8; 16]>,
}

impl<'s, 'c> Hasher<'s, 'c> {
    /// Inline, so that for a feature bucketing by the unit id a path that
    /// never hashes (a rule that serves off) costs nothing for it. A
    /// `bucket_by` attribute is looked up here, by a call, whichever path
    /// follows.
    #[inline(always)]
    fn new(feature: &'s Feature, context: &Context<'c>, digest: Option<[u8; 16]>) -> Self {
        let key = match feature.bucket_by.as_deref() {
            None => Some(context.unit()),
            Some(attribute) => bucket_by_value(context, attribute),
        };
        // A digest hashed ahead is of the unit id, so it only stands in
        // when the feature buckets by the unit id.
        let digest = digest.filter(|_| feature.bucket_by.is_none());
        Hasher {
            feature,
            key,
            digest,
        }
    }

    #[inline]
    fn digest(&mut self) -> Option<&[u8; 16]> {
        let key = self.key?;
        let prefix = &self.feature.key;
        Some(
            self.digest
                .get_or_insert_with(|| prefix.digest(key.as_bytes())),
        )
    }

    fn missing(&self) -> Decision<'s> {
        let attribute = self.feature.bucket_by.as_deref().unwrap_or("");
        Decision::off(Reason::MissingBucketBy { attribute }, None)
    }

    /// On, with the variant picked by the split (if the feature has any).
    #[inline(always)]
    fn serve(&mut self, reason: Reason<'s>) -> Decision<'s> {
        let variants: &'s [Variant] = &self.feature.variants;
        if variants.is_empty() {
            return Decision::on(reason, None, None);
        }
        let Some(digest) = self.digest() else {
            return self.missing();
        };
        let vb = variant_bucket_of_digest(digest);
        let bucket = bucket_of_digest(digest);
        Decision::on(reason, pick(variants, vb), Some(bucket))
    }

    /// On when the unit's bucket is below `percentage`, with a variant.
    #[inline(always)]
    fn rollout(&mut self, percentage: Percentage, on: Reason<'s>, off: Reason<'s>) -> Decision<'s> {
        let variants: &'s [Variant] = &self.feature.variants;
        if percentage == Percentage::ZERO {
            return Decision::off(off, None);
        }
        if self.key.is_none() {
            // Even at 100%: the rollout admits bucketing values, and this
            // unit has none; it is out at every percentage alike.
            return self.missing();
        }
        if percentage == Percentage::FULL && variants.is_empty() {
            return Decision::on(on, None, None);
        }
        let Some(digest) = self.digest() else {
            return self.missing();
        };
        let bucket: Bucket = bucket_of_digest(digest);
        // In or out, and which variant, without a branch on either: both
        // are coin tosses known only once the digest is, and a mispredicted
        // branch would discard the work the CPU had started after it.
        let within = bucket.is_within(percentage);
        let variant = if variants.is_empty() {
            None
        } else {
            pick(variants, variant_bucket_of_digest(digest))
        };
        Decision::new(
            within,
            core::hint::select_unpredictable(within, on, off),
            core::hint::select_unpredictable(within, variant, None),
            Some(bucket),
        )
    }
}

/// The `bucket_by` attribute's text, if the context has it as a string.
#[inline(never)]
fn bucket_by_value<'c>(context: &Context<'c>, attribute: &str) -> Option<&'c str> {
    match context.attribute(attribute) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

/// The variant whose range of variant buckets holds `vb`.
#[inline]
fn pick(variants: &[Variant], vb: u16) -> Option<&Variant> {
    // The first variant whose range ends past `vb`: counted rather than
    // searched for, so that no branch depends on the bucket.
    let below = variants.iter().filter(|v| v.end <= vb).count();
    variants.get(below).or(variants.last())
}
