//! An [OpenFeature](https://openfeature.dev) provider over a [`Rollouts`]
//! handle, for services that evaluate flags through the OpenFeature API.
//! Enabled by the `openfeature` cargo feature.
//!
//! # Mapping
//!
//! | OpenFeature | `gradual` |
//! |---|---|
//! | flag key | feature name |
//! | targeting key | the unit id (required: without it, `TARGETING_KEY_MISSING`) |
//! | custom fields | context attributes: bool, int and float (as numbers), string; date-times and structures are not passed on |
//! | boolean value | the decision: on or off |
//! | string, integer, float, structure value | the value of the variant served (a JSON string, integer, number or object; in an object, `null` fields and elements are left out, integers beyond `i64` become floats) |
//! | variant | the variant's name; for a boolean flag without variants, `on` or `off` |
//!
//! Reasons:
//!
//! | `gradual` reason | OpenFeature reason |
//! |---|---|
//! | in or out of a partial rollout (a bucket decided) | `SPLIT` |
//! | in a 100% rollout | `STATIC` (`SPLIT` when a split of several variants picked the value) |
//! | out of a 0% rollout | `DEFAULT` |
//! | allowed, denied, a rule matched | `TARGETING_MATCH` |
//! | killed | `DISABLED` |
//! | a prerequisite failed | `PREREQUISITE_FAILED` (a custom reason, as LaunchDarkly names it) |
//! | bucket-by attribute missing | `MISSING_BUCKET_BY` (custom) |
//! | unknown feature | error `FLAG_NOT_FOUND` |
//!
//! A typed (non-boolean) resolution needs a variant value of that type:
//! a value of another type is the error `TYPE_MISMATCH`. When the feature
//! is off (or on without a variant value) there is no value to serve: the
//! provider answers the error `GENERAL` with the reason in its message, so
//! the caller falls back to its own default — the Rust SDK's clients take
//! no default value, so this is how "use the default" is expressed.
//!
//! Flag metadata carries `revision` (the serving revision), `reason` (the
//! `gradual` reason kind), and when present `bucket` (basis points),
//! `rule_index`, `rule_name` and `segment`.
//!
//! Every resolution loads the handle's serving snapshot, so a reload or a
//! dial change is visible to the very next evaluation.

use async_trait::async_trait;
use open_feature::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails};
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue, EvaluationError, EvaluationErrorCode,
    EvaluationReason, EvaluationResult, FlagMetadata, StructValue,
};

use crate::{Context, Decision, Feature, Percentage, Reason, Rollouts, Value};

/// An OpenFeature `FeatureProvider` serving a [`Rollouts`] handle.
///
/// ```
/// use gradual::openfeature::GradualProvider;
/// use gradual::{Config, FeatureConfig, Rollouts, Snapshot};
/// use open_feature::provider::FeatureProvider;
/// use open_feature::EvaluationContext;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rollouts = Rollouts::new(Snapshot::try_from(
///     Config::new("r1").feature(FeatureConfig::new("new_checkout_design").percentage(100)),
/// )?);
/// let provider = GradualProvider::new(rollouts);
/// let context = EvaluationContext::default().with_targeting_key("user-42");
/// let details = provider
///     .resolve_bool_value("new_checkout_design", &context)
///     .await
///     .map_err(|e| format!("{:?}", e.code))?;
/// assert!(details.value);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "openfeature")))]
pub struct GradualProvider {
    rollouts: Rollouts,
    metadata: ProviderMetadata,
}

impl GradualProvider {
    /// A provider serving `rollouts` (a clone of the service's handle).
    pub fn new(rollouts: Rollouts) -> Self {
        GradualProvider {
            rollouts,
            metadata: ProviderMetadata::new("gradual"),
        }
    }

    /// Evaluates `flag_key` for an OpenFeature context and hands the
    /// decision to `answer`, with the flag metadata already filled in.
    fn resolve<T>(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
        answer: impl FnOnce(&Decision<'_>) -> EvaluationResult<(T, Option<String>)>,
    ) -> EvaluationResult<ResolutionDetails<T>> {
        let Some(unit) = context.targeting_key.as_deref() else {
            return Err(error(
                EvaluationErrorCode::TargetingKeyMissing,
                "a targeting key is required: it is the unit bucketed",
            ));
        };
        let attributes: Vec<(&str, Value<'_>)> = context
            .custom_fields
            .iter()
            .filter_map(|(name, value)| {
                let value = match value {
                    EvaluationContextFieldValue::Bool(b) => Value::Bool(*b),
                    EvaluationContextFieldValue::Int(i) => Value::from(*i),
                    EvaluationContextFieldValue::Float(f) => Value::Number(*f),
                    EvaluationContextFieldValue::String(s) => Value::Str(s),
                    _ => return None,
                };
                Some((name.as_str(), value))
            })
            .collect();
        let snapshot = self.rollouts.load();
        let decision =
            snapshot.evaluate_with(flag_key, &Context::new(unit).with_attributes(&attributes));
        if decision.reason() == Reason::UnknownFeature {
            return Err(error(
                EvaluationErrorCode::FlagNotFound,
                &format!(
                    "no feature `{flag_key}` in revision {}",
                    snapshot.revision()
                ),
            ));
        }
        let (value, variant) = answer(&decision)?;
        let mut metadata = FlagMetadata::default()
            .with_value("revision", snapshot.revision().to_string())
            .with_value("reason", decision.reason().as_str());
        if let Some(bucket) = decision.bucket() {
            metadata.add_value("bucket", i64::from(bucket.basis_points()));
        }
        if let Reason::Rule {
            index,
            name,
            segment,
        } = decision.reason()
        {
            metadata.add_value("rule_index", i64::try_from(index).unwrap_or(i64::MAX));
            if let Some(name) = name {
                metadata.add_value("rule_name", name);
            }
            if let Some(segment) = segment {
                metadata.add_value("segment", segment);
            }
        }
        Ok(ResolutionDetails {
            value,
            variant,
            reason: Some(reason(&decision, snapshot.feature(flag_key))),
            flag_metadata: Some(metadata),
        })
    }

    /// The variant value of an on decision, converted by `convert`.
    fn typed<T>(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
        expected: &str,
        convert: impl FnOnce(&serde_json::Value) -> Option<T>,
    ) -> EvaluationResult<ResolutionDetails<T>> {
        self.resolve(flag_key, context, |decision| {
            let variant = decision.variant();
            let Some(value) = variant.and_then(|v| v.value()).filter(|_| decision.is_enabled()) else {
                return Err(error(
                    EvaluationErrorCode::General(format!("no value served ({})", decision.reason())),
                    &format!("feature `{flag_key}` serves no value to this context ({}): use your default", decision.reason()),
                ));
            };
            let converted = convert(value).ok_or_else(|| {
                error(
                    EvaluationErrorCode::TypeMismatch,
                    &format!("feature `{flag_key}` serves {value}, not {expected}"),
                )
            })?;
            Ok((converted, variant.map(|v| v.name().to_owned())))
        })
    }
}

fn error(code: EvaluationErrorCode, message: &str) -> EvaluationError {
    EvaluationError {
        code,
        message: Some(message.to_owned()),
    }
}

/// The OpenFeature reason of a decision on `feature`; see the module docs'
/// table.
fn reason(decision: &Decision<'_>, feature: Option<&Feature>) -> EvaluationReason {
    // `SPLIT` is for a pseudorandom assignment: a partial rollout put the
    // unit in or out, or a split of several variants picked its value.
    let assigned = feature.is_some_and(|f| {
        let partial = f.percentage() != Percentage::ZERO && f.percentage() != Percentage::FULL;
        let weighted = f
            .variants()
            .iter()
            .filter(|v| v.weight() != Percentage::ZERO);
        partial || (decision.is_enabled() && weighted.count() > 1)
    });
    match decision.reason() {
        Reason::InRollout | Reason::OutOfRollout if assigned => EvaluationReason::Split,
        Reason::InRollout => EvaluationReason::Static,
        Reason::OutOfRollout => EvaluationReason::Default,
        Reason::Allowed | Reason::Denied | Reason::Rule { .. } => EvaluationReason::TargetingMatch,
        Reason::Killed => EvaluationReason::Disabled,
        Reason::PrerequisiteFailed { .. } => EvaluationReason::Other("PREREQUISITE_FAILED".into()),
        Reason::MissingBucketBy { .. } => EvaluationReason::Other("MISSING_BUCKET_BY".into()),
        _ => EvaluationReason::Unknown,
    }
}

#[async_trait]
impl FeatureProvider for GradualProvider {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    async fn resolve_bool_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        self.resolve(flag_key, context, |d| {
            let variant = match d.variant() {
                Some(v) => v.name().to_owned(),
                None => (if d.is_enabled() { "on" } else { "off" }).to_owned(),
            };
            Ok((d.is_enabled(), Some(variant)))
        })
    }

    async fn resolve_int_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.typed(flag_key, context, "an integer", serde_json::Value::as_i64)
    }

    async fn resolve_float_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.typed(flag_key, context, "a number", serde_json::Value::as_f64)
    }

    async fn resolve_string_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        self.typed(flag_key, context, "a string", |v| {
            v.as_str().map(str::to_owned)
        })
    }

    async fn resolve_struct_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        self.typed(flag_key, context, "an object", |v| match of_json(v) {
            Some(open_feature::Value::Struct(s)) => Some(s),
            _ => None,
        })
    }
}

/// A JSON value as an OpenFeature one, which has no null: a `null` field or
/// element is left out (as an absent one). An integer beyond `i64` becomes
/// a float. `None` only for `null` itself. (`open_feature::Value`'s own
/// conversion fails on any `null` inside, and on integers above `i64::MAX`.)
fn of_json(value: &serde_json::Value) -> Option<open_feature::Value> {
    use open_feature::Value;
    Some(match value {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64()?),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Array(items.iter().filter_map(of_json).collect()),
        serde_json::Value::Object(fields) => Value::Struct(StructValue {
            fields: fields
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), of_json(v)?)))
                .collect(),
        }),
    })
}
