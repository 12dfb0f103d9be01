//! [`ChangeReport`]: what replacing one snapshot with another changes, and
//! for whom — computed exactly from the bucket ranges, not by sampling.
//!
//! # Blast radius
//!
//! For each changed feature the report gives the share of all units whose
//! decision turns on, turns off, or whose variant changes, **on the
//! feature's default path**: units that no allow/deny list, prerequisite or
//! rule decides, which is every unit for a feature without them. Rules
//! depend on request attributes the library cannot count, so a rule change
//! is listed by field, without a share; so is a redefined segment, listed
//! in [`ChangeReport::segments`] and as the field `segments` of each
//! feature whose rules use it.
//!
//! With the same salt and bucket-by, a rollout of `p` admits exactly the
//! bucket range `[0, p)`, so moving from `p` to `q` turns on `q - p` of the
//! units (or off `p - q`) — exact. Variants own fixed ranges of the variant
//! bucket, so the share that changes variant is the width of the ranges
//! whose owner changed, times the share on before and after (the two
//! buckets are independent). When the salt or bucket-by changes, every
//! unit is rehashed; the shares are then the expected values for
//! independent buckets (a unit keeps its variant with the chance of drawing
//! the same name twice), and [`BlastRadius::exact`] is `false`.
//!
//! Not counted: a change of a variant's `value` alone (listed as a
//! `variants` change, with no share), and units turned off by a new
//! `bucket_by` because they lack the attribute.

use core::fmt;

use std::sync::Arc;

use crate::{Feature, Revision, Snapshot};

/// What a new snapshot changes relative to an old one.
///
/// ```
/// use gradual::{Config, FeatureConfig, Snapshot};
///
/// let old = Snapshot::try_from(Config::new("r1").feature(FeatureConfig::new("checkout").percentage(5)))?;
/// let new = Snapshot::try_from(Config::new("r2").feature(FeatureConfig::new("checkout").percentage(25)))?;
/// let report = gradual::diff(&old, &new);
/// let checkout = &report.changed()[0];
/// assert_eq!(checkout.fields(), ["percentage"]);
/// assert_eq!(checkout.blast_radius().turned_on(), 0.20); // exactly 20% of units turn on
/// println!("{report}");
/// # Ok::<(), gradual::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeReport {
    from: Revision,
    to: Revision,
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<FeatureChange>,
    segments: Vec<String>,
}

/// One feature present in both snapshots that differs between them.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureChange {
    feature: String,
    fields: Vec<&'static str>,
    blast: BlastRadius,
}

/// The shares of all units (0.0 to 1.0) whose default-path decision
/// changes; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlastRadius {
    turned_on: f64,
    turned_off: f64,
    variant_changed: f64,
    exact: bool,
}

impl ChangeReport {
    /// The revision replaced.
    pub fn from(&self) -> &Revision {
        &self.from
    }
    /// The revision that replaces it.
    pub fn to(&self) -> &Revision {
        &self.to
    }
    /// Features only in the new snapshot, in its order.
    pub fn added(&self) -> &[String] {
        &self.added
    }
    /// Features only in the old snapshot, in its order.
    pub fn removed(&self) -> &[String] {
        &self.removed
    }
    /// Features in both that differ, in the new snapshot's order.
    pub fn changed(&self) -> &[FeatureChange] {
        &self.changed
    }
    /// Segments added, removed or redefined, in the new snapshot's order
    /// (then the removed ones). A feature whose rules refer to one is
    /// listed as changed, with the field `segments`.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether nothing changed but (perhaps) the revision label.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.segments.is_empty()
    }
}

impl FeatureChange {
    /// The feature's name.
    pub fn feature(&self) -> &str {
        &self.feature
    }
    /// The config fields that differ (`enabled`, `percentage`, `variants`,
    /// `rules`, `allow`, `deny`, `prerequisites`, `salt`, `bucket_by`,
    /// `ramp`, `guard`, and `segments` when a segment its rules use was
    /// redefined).
    pub fn fields(&self) -> &[&'static str] {
        &self.fields
    }
    /// Who is affected on the default path.
    pub fn blast_radius(&self) -> BlastRadius {
        self.blast
    }
}

impl BlastRadius {
    /// The share of units that were off and are now on.
    pub fn turned_on(&self) -> f64 {
        self.turned_on
    }
    /// The share of units that were on and are now off.
    pub fn turned_off(&self) -> f64 {
        self.turned_off
    }
    /// The share of units on before and after that get another variant.
    pub fn variant_changed(&self) -> f64 {
        self.variant_changed
    }
    /// `false` when buckets were rehashed (a salt or bucket-by change) and
    /// the shares are expectations rather than exact counts.
    pub fn exact(&self) -> bool {
        self.exact
    }
}

/// Compares two snapshots without swapping anything. A
/// [`Reloader::reload`](crate::Reloader::reload) reports the same comparison
/// between the snapshot serving and the one that goes live, which keeps the
/// handle's halts and its ramps' progress (so it can differ from `diff` of
/// the serving snapshot and the config's).
pub fn diff(old: &Snapshot, new: &Snapshot) -> ChangeReport {
    let segments = changed_segments(old, new);
    let removed = old
        .features()
        .filter(|f| new.feature(f.name()).is_none())
        .map(|f| f.name().to_owned())
        .collect();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for f in new.features() {
        match old.feature(f.name()) {
            None => added.push(f.name().to_owned()),
            Some(before) => {
                let mut fields = changed_fields(before, f);
                if [before, f].iter().any(|g| refers_to_any(g, &segments)) {
                    fields.push("segments");
                }
                if !fields.is_empty() {
                    changed.push(FeatureChange {
                        feature: f.name().to_owned(),
                        fields,
                        blast: blast(before, f),
                    });
                }
            }
        }
    }
    ChangeReport {
        from: old.revision().clone(),
        to: new.revision().clone(),
        added,
        removed,
        changed,
        segments,
    }
}

/// The segments defined differently in `old` and `new` (added, removed, or
/// with other conditions): `new`'s order, then those only in `old`.
fn changed_segments(old: &Snapshot, new: &Snapshot) -> Vec<String> {
    fn find<'s>(s: &'s Snapshot, name: &str) -> Option<&'s [crate::ConditionConfig]> {
        s.segment_configs
            .iter()
            .find(|g| g.name == name)
            .map(|g| &*g.conditions)
    }
    let redefined = new
        .segment_configs
        .iter()
        .filter(|g| find(old, &g.name) != Some(&*g.conditions));
    let dropped = old
        .segment_configs
        .iter()
        .filter(|g| find(new, &g.name).is_none());
    redefined.chain(dropped).map(|g| g.name.clone()).collect()
}

/// Whether `feature`'s rules refer to any of `segments`.
fn refers_to_any(feature: &Feature, segments: &[String]) -> bool {
    !segments.is_empty()
        && feature.source.rules.iter().any(|rule| {
            rule.conditions
                .iter()
                .filter_map(|c| c.segment.as_deref())
                .any(|name| segments.iter().any(|s| s == name))
        })
}

/// The fields that differ: the dial's two from the features, the rest from
/// the configs they were validated from (compared only when the features
/// do not share one, as dial changes do).
fn changed_fields(a: &Feature, b: &Feature) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |name, differs: bool| {
        if differs {
            fields.push(name);
        }
    };
    check("enabled", a.enabled != b.enabled);
    check("percentage", a.percentage != b.percentage);
    if !Arc::ptr_eq(&a.source, &b.source) {
        let (ra, rb) = (&*a.source, &*b.source);
        check("variants", ra.variants != rb.variants);
        check("rules", ra.rules != rb.rules);
        check("allow", ra.allow != rb.allow);
        check("deny", ra.deny != rb.deny);
        check("prerequisites", ra.prerequisites != rb.prerequisites);
        check("salt", a.salt() != b.salt());
        check("bucket_by", a.bucket_by != b.bucket_by);
        check("ramp", ra.ramp != rb.ramp);
        check("guard", ra.guard != rb.guard);
    }
    fields
}

/// The share of units on by default (0.0 to 1.0).
fn on_share(f: &Feature) -> f64 {
    if f.enabled {
        f.percentage.as_percent_f64() / 100.0
    } else {
        0.0
    }
}

fn blast(a: &Feature, b: &Feature) -> BlastRadius {
    let (pa, pb) = (on_share(a), on_share(b));
    let same_hash = a.salt() == b.salt() && a.bucket_by == b.bucket_by;
    if !same_hash {
        return BlastRadius {
            turned_on: round(pb * (1.0 - pa)),
            turned_off: round(pa * (1.0 - pb)),
            variant_changed: round(pa * pb * rehashed_variant_change(a, b)),
            exact: false,
        };
    }
    BlastRadius {
        turned_on: round((pb - pa).max(0.0)),
        turned_off: round((pa - pb).max(0.0)),
        variant_changed: round(pa.min(pb) * moved_variant_width(a, b)),
        exact: true,
    }
}

/// Rounds away float noise below a hundredth of a basis point: inputs are
/// whole basis points, so products of two have at most eight decimals.
fn round(x: f64) -> f64 {
    (x * 1e8).round() / 1e8
}

/// The chance (0.0 to 1.0) that a unit on before and after gets another
/// variant when its variant bucket is drawn afresh (a new salt or
/// bucket-by): one minus the chance of drawing the same name twice.
fn rehashed_variant_change(a: &Feature, b: &Feature) -> f64 {
    if a.variants.is_empty() && b.variants.is_empty() {
        return 0.0;
    }
    let same: f64 = a
        .variants
        .iter()
        .filter_map(|va| {
            b.variants
                .iter()
                .find(|vb| vb.name == va.name)
                .map(|vb| va.weight.as_percent_f64() * vb.weight.as_percent_f64() / 1e4)
        })
        .sum();
    1.0 - same
}

/// The share (0.0 to 1.0) of the variant-bucket space whose variant
/// changes between `a` and `b`; a feature without variants owns all of it
/// with "no variant".
fn moved_variant_width(a: &Feature, b: &Feature) -> f64 {
    // The variant owning variant bucket `x`: ends ascending, as validated.
    fn owner(f: &Feature, x: u16) -> Option<&str> {
        f.variants.iter().find(|v| x < v.end).map(|v| v.name())
    }
    let mut breaks: Vec<u16> = a
        .variants
        .iter()
        .chain(b.variants.iter())
        .map(|v| v.end)
        .chain([10_000])
        .collect();
    breaks.sort_unstable();
    breaks.dedup();
    let mut start = 0u16;
    let mut moved = 0u32;
    for end in breaks {
        if end > start && owner(a, start) != owner(b, start) {
            moved += u32::from(end - start);
        }
        start = end;
    }
    f64::from(moved) / 10_000.0
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 0.00005 {
        // Would print as 0%: a change is never "0% of units".
        return "<0.0001%".to_owned();
    }
    if (99.99995..100.0).contains(&p) {
        // Would print as 100%: not all of them.
        return ">99.9999%".to_owned();
    }
    let text = format!("{p:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

impl fmt::Display for ChangeReport {
    /// One line of summary, then a line per feature:
    ///
    /// ```text
    /// r1 -> r2: 1 added, 0 removed, 1 changed
    ///   + search_v2
    ///   ~ checkout (percentage): turns on 20% of units
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {}: {} added, {} removed, {} changed",
            self.from,
            self.to,
            self.added.len(),
            self.removed.len(),
            self.changed.len()
        )?;
        if !self.segments.is_empty() {
            write!(f, "; segments redefined: {}", self.segments.join(", "))?;
        }
        for name in &self.added {
            write!(f, "\n  + {name}")?;
        }
        for name in &self.removed {
            write!(f, "\n  - {name}")?;
        }
        for c in &self.changed {
            write!(f, "\n  ~ {} ({})", c.feature, c.fields.join(", "))?;
            let b = c.blast;
            let mut parts = Vec::new();
            if b.turned_on > 0.0 {
                parts.push(format!("turns on {} of units", percent(b.turned_on)));
            }
            if b.turned_off > 0.0 {
                parts.push(format!("turns off {} of units", percent(b.turned_off)));
            }
            if b.variant_changed > 0.0 {
                parts.push(format!(
                    "changes the variant of {} of units",
                    percent(b.variant_changed)
                ));
            }
            if !parts.is_empty() {
                write!(f, ": {}", parts.join(", "))?;
                if !b.exact {
                    f.write_str(" (expected: buckets rehashed)")?;
                }
            }
        }
        Ok(())
    }
}
