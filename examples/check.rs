//! The deployment gate for rollout configs: validate a config file the way
//! a pipeline would before shipping it, and show the blast radius of
//! replacing one config with another.
//!
//! ```text
//! cargo run --example check -- new.json            # validate
//! cargo run --example check -- live.json new.json  # validate new.json, and show what it changes
//! ```
//!
//! Exit status, for the new (last) file: 0 when it is valid; 1 when it is
//! not, with its problems listed as `Config::errors` lists them (JSON that
//! is not shaped like a config, such as a misspelt field or a wrong type,
//! is invalid too); 2 when it cannot be read or is not JSON.
//! A live file with problems is reported too, without a blast radius; it
//! does not change the status, which gates the new config.

use std::process::ExitCode;

use gradual::{Config, Snapshot};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() || paths.len() > 2 {
        eprintln!("usage: check NEW.json | check LIVE.json NEW.json");
        return ExitCode::from(2);
    }
    let loaded: Vec<Result<Snapshot, u8>> = paths.iter().map(|path| load(path)).collect();
    if let [Ok(live), Ok(new)] = &loaded[..] {
        println!("\n{}", gradual::diff(live, new));
    }
    match loaded.last() {
        Some(Ok(_)) => ExitCode::SUCCESS,
        Some(Err(code)) => ExitCode::from(*code),
        None => ExitCode::from(2),
    }
}

/// The snapshot of the config file at `path`, or the exit status its
/// problem calls for (1: invalid, 2: unreadable or not JSON), once printed.
fn load(path: &str) -> Result<Snapshot, u8> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("{path}: cannot read: {e}");
        2
    })?;
    let config: Config = serde_json::from_str(&text).map_err(|e| {
        // JSON, but not a config: a misspelt or unknown field, a wrong type,
        // a number too large for its field (which serde_json reports as a
        // syntax error, so the text is read again, as JSON alone).
        if e.is_data() || serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
            eprintln!("{path}: INVALID: {e}");
            1
        } else {
            eprintln!("{path}: not JSON: {e}");
            2
        }
    })?;
    let errors = config.errors();
    if !errors.is_empty() {
        eprintln!("{path}: INVALID, {} problem(s):", errors.len());
        for e in &errors {
            eprintln!("  - {e}");
        }
        return Err(1);
    }
    let snapshot = Snapshot::try_from(config).map_err(|e| {
        eprintln!("{path}: INVALID: {e}");
        1
    })?;
    println!(
        "{path}: valid, revision {}, {} feature(s)",
        snapshot.revision(),
        snapshot.features().len()
    );
    Ok(snapshot)
}
