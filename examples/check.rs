//! The deployment gate for rollout configs: validate a config file the way
//! a pipeline would before shipping it, and show the blast radius of
//! replacing one config with another.
//!
//! ```text
//! cargo run --example check -- new.json            # validate
//! cargo run --example check -- live.json new.json  # validate new.json, and show what it changes
//! ```
//!
//! Exit status: 0 when the (last) file is valid, 1 when it is not (every
//! problem is listed), 2 when a file cannot be read or is not JSON.

use std::process::ExitCode;

use gradual::{Config, Snapshot};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() || paths.len() > 2 {
        eprintln!("usage: check NEW.json | check LIVE.json NEW.json");
        return ExitCode::from(2);
    }
    let mut snapshots = Vec::new();
    for path in &paths {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{path}: cannot read: {e}");
                return ExitCode::from(2);
            }
        };
        let config: Config = match serde_json::from_str(&text) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("{path}: not a config: {e}");
                return ExitCode::from(2);
            }
        };
        let errors = config.errors();
        if !errors.is_empty() {
            eprintln!("{path}: INVALID, {} problem(s):", errors.len());
            for e in &errors {
                eprintln!("  - {e}");
            }
            return ExitCode::from(1);
        }
        let snapshot = Snapshot::try_from(config).expect("a config without errors validates");
        println!(
            "{path}: valid, revision {}, {} feature(s)",
            snapshot.revision(),
            snapshot.features().len()
        );
        snapshots.push(snapshot);
    }
    if let [live, new] = &snapshots[..] {
        println!("\n{}", gradual::diff(live, new));
    }
    ExitCode::SUCCESS
}
