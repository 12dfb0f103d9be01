//! Evaluating `gradual` flags through the OpenFeature API: the provider is
//! registered once, and application code only ever talks to an OpenFeature
//! client. A dial change on the handle is visible to the next evaluation.
//!
//! Run with `cargo run --example openfeature --features openfeature`.

use gradual::openfeature::GradualProvider;
use gradual::{Config, Rollouts, Snapshot};
use open_feature::{EvaluationContext, OpenFeature, StructValue};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config: Config = serde_json::from_str(
        r##"{
          "revision": "2026-11-24.1",
          "features": [
            { "name": "new_checkout_design", "percentage": 50 },
            { "name": "checkout_theme", "percentage": 100,
              "rules": [ { "conditions": [ { "attribute": "plan", "op": "equals", "values": ["enterprise"] } ],
                           "variant": "dark" } ],
              "variants": [ { "name": "light", "weight": 100, "value": "#ffffff" },
                            { "name": "dark", "weight": 0, "value": "#111111" } ] },
            { "name": "max_cart_items", "percentage": 100,
              "variants": [ { "name": "default", "weight": 100, "value": 50 } ] },
            { "name": "checkout_limits", "percentage": 100,
              "variants": [ { "name": "v1", "weight": 100, "value": { "max_items": 50, "express": true } } ] }
          ]
        }"##,
    )?;
    let rollouts = Rollouts::new(Snapshot::try_from(config)?);

    // Once, at start-up: gradual becomes the OpenFeature provider.
    OpenFeature::singleton_mut()
        .await
        .set_provider(GradualProvider::new(rollouts.clone()))
        .await;
    let client = OpenFeature::singleton().await.create_client();

    let ann = EvaluationContext::default()
        .with_targeting_key("user-42")
        .with_custom_field("plan", "enterprise");
    let bob = EvaluationContext::default()
        .with_targeting_key("user-7")
        .with_custom_field("plan", "free");

    for (who, context) in [("user-42 (enterprise)", &ann), ("user-7 (free)", &bob)] {
        let on = client
            .get_bool_details("new_checkout_design", Some(context), None)
            .await
            .map_err(sdk)?;
        let theme = client
            .get_string_details("checkout_theme", Some(context), None)
            .await
            .map_err(sdk)?;
        println!(
            "{who}: new_checkout_design = {} ({:?}, variant {:?}, bucket {:?})",
            on.value,
            on.reason,
            on.variant,
            on.flag_metadata.values.get("bucket")
        );
        println!(
            "{who}: checkout_theme = {} ({:?}, variant {:?})",
            theme.value, theme.reason, theme.variant
        );
    }

    let limit = client
        .get_int_value("max_cart_items", Some(&ann), None)
        .await
        .map_err(sdk)?;
    let limits: StructValue = client
        .get_struct_value("checkout_limits", Some(&ann), None)
        .await
        .map_err(sdk)?;
    println!(
        "max_cart_items = {limit}; checkout_limits = {:?}",
        limits.fields
    );

    // Unknown flags and type mismatches are errors: the caller keeps its default.
    let unknown = client
        .get_bool_value("no_such_flag", Some(&ann), None)
        .await;
    println!("no_such_flag -> {:?}", unknown.map_err(|e| e.code));
    let mismatch = client
        .get_int_value("checkout_theme", Some(&ann), None)
        .await;
    println!(
        "checkout_theme as an integer -> {:?}",
        mismatch.map_err(|e| e.code)
    );

    // The operator kills the new checkout: the very next evaluation sees it.
    rollouts.kill("new_checkout_design")?;
    let after = client
        .get_bool_details("new_checkout_design", Some(&ann), None)
        .await
        .map_err(sdk)?;
    println!(
        "after the kill: new_checkout_design = {} ({:?})",
        after.value, after.reason
    );
    Ok(())
}

/// The SDK's `EvaluationError` is not a `std::error::Error`; say it as text.
fn sdk(e: open_feature::EvaluationError) -> String {
    format!("{:?}: {}", e.code, e.message.unwrap_or_default())
}
