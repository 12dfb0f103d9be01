//! The article's checkout scenario, end to end.
//!
//! `new_checkout_design` starts at 5%. Request threads serve simulated
//! users while an operator raises the dial to 25%, then something looks
//! wrong and the operator rolls back. At each step it prints what an
//! operator wants to see: the revision serving, the configured percentage,
//! and the share of users who actually got the new design.
//!
//! Run with `cargo run --example quickstart`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use gradual::{Config, Percentage, Rollouts, Snapshot};

const FEATURE: &str = "new_checkout_design";
const USERS: u64 = 100_000;
const THREADS: u64 = 2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The config a deployment would ship (JSON here; any serde format works).
    let config: Config = serde_json::from_str(
        r#"{
            "schema_version": 1,
            "revision": "checkout-2026-11-23",
            "features": [ { "name": "new_checkout_design", "percentage": 5 } ]
        }"#,
    )?;
    let rollouts = Rollouts::new(Snapshot::try_from(config)?);
    println!(
        "serving revision {} with {FEATURE} at 5%\n",
        rollouts.revision()
    );

    let at_5 = serve_everyone(&rollouts, "step 1: release to 5% of users");
    // The hash contract is the article's: a user is in when its bucket < 5.
    let reference: Vec<u64> = (0..USERS)
        .filter(|i| gradual::bucket(FEATURE, &user(*i)).percent() < 5)
        .collect();
    println!(
        "        the same users as the article's rule (bucket < 5): {}\n",
        at_5 == reference
    );

    // "Later, after monitoring and seeing success": turn the dial.
    let revision = rollouts.set_percentage(FEATURE, Percentage::from_percent(25)?)?;
    println!("operator: increasing rollout from 5% to 25% (now serving {revision})");
    let at_25 = serve_everyone(&rollouts, "step 2: release to 25% of users");
    let kept = at_5
        .iter()
        .filter(|i| at_25.binary_search(i).is_ok())
        .count();
    println!(
        "        users on the new design at 5% still on it at 25%: {kept} of {}\n",
        at_5.len()
    );

    // Errors rise for the new design: roll back to the last known-good state.
    let started = Instant::now();
    let revision = rollouts.rollback()?;
    let took = started.elapsed();
    println!("operator: error rate up on the new checkout, rolling back");
    println!(
        "        rollback to {revision} took {:.1} µs",
        took.as_secs_f64() * 1e6
    );
    let after = serve_everyone(&rollouts, "step 3: after rollback");
    println!(
        "        same users as before the raise: {}\n",
        after == at_5
    );

    // And the instant kill switch, should the new design be broken for all.
    rollouts.kill(FEATURE)?;
    serve_everyone(&rollouts, "step 4: feature killed");
    println!(
        "\nrollback history (newest first): {:?}",
        rollouts
            .history()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    Ok(())
}

fn user(i: u64) -> String {
    format!("user-{i}")
}

/// Serves one request per user from several threads, as a web service would,
/// and prints the share of users that got the new design. Returns them, sorted.
fn serve_everyone(rollouts: &Rollouts, step: &str) -> Vec<u64> {
    let served_new = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (rollouts, served_new) = (rollouts.clone(), Arc::clone(&served_new));
            thread::spawn(move || {
                let mut mine = Vec::new();
                for i in (t..USERS).step_by(THREADS as usize) {
                    if rollouts.is_enabled(FEATURE, &user(i)) {
                        mine.push(i); // render_new_checkout(user_id)
                    } // else render_old_checkout(user_id)
                }
                served_new.fetch_add(mine.len() as u64, Ordering::Relaxed);
                mine
            })
        })
        .collect();
    let mut on: Vec<u64> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();
    on.sort_unstable();

    let snapshot = rollouts.load();
    let feature = snapshot.feature(FEATURE).expect("configured");
    let configured = if feature.enabled() {
        feature.percentage().to_string()
    } else {
        "killed".into()
    };
    println!(
        "{step}\n        revision {:<24} configured {:<7} new design served to {:>6} of {USERS} users ({:.2}%)",
        snapshot.revision().to_string(),
        configured,
        on.len(),
        on.len() as f64 * 100.0 / USERS as f64,
    );
    on
}
