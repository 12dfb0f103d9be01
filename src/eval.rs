//! The evaluation algorithm: a pure function of a validated feature and a
//! unit. No allocation, no lock, no panic, no I/O.
//!
//! The steps, in order, are documented in the crate docs
//! ([evaluation order](crate#evaluation-order)); keep the two in step.

use crate::bucket::{bucket_of_digest, md5_key};
use crate::snapshot::Feature;
use crate::{Decision, Reason};

/// Evaluates one feature for one unit.
#[inline]
pub(crate) fn evaluate(feature: &Feature, unit: &str) -> Decision {
    if !feature.enabled {
        return Decision::new(false, Reason::Killed, None);
    }
    if feature.deny.contains(unit) {
        return Decision::new(false, Reason::Denied, None);
    }
    if feature.allow.contains(unit) {
        return Decision::new(true, Reason::Allowed, None);
    }
    match feature.percentage.as_basis_points() {
        0 => Decision::new(false, Reason::OutOfRollout, None),
        10_000 => Decision::new(true, Reason::InRollout, None),
        _ => {
            let bucket = bucket_of_digest(&md5_key(feature.name.as_bytes(), unit.as_bytes()));
            if bucket.is_within(feature.percentage) {
                Decision::new(true, Reason::InRollout, Some(bucket))
            } else {
                Decision::new(false, Reason::OutOfRollout, Some(bucket))
            }
        }
    }
}
