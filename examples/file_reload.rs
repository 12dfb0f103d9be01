//! Reloading from a JSON file, as a service mounting a Kubernetes ConfigMap
//! would: a `Source` that reads the file (the library itself does no I/O),
//! a reload loop on a thread of the service's own polling every 300 ms, and
//! request threads serving throughout. Broken files — truncated JSON, an
//! invalid percentage — are rejected while the last good config keeps
//! serving.
//!
//! Run with `cargo run --example file_reload`.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, SystemTime};

use gradual::{Config, Fetch, Reload, Reloader, Revision, Rollouts, Source};

/// Reads a JSON config file. Answers `Unchanged` when the file's bytes are
/// those of the last config it returned, so polling is cheap; a file that
/// failed to parse is read and reported again on every poll, until fixed.
struct JsonFile {
    path: PathBuf,
    last: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
enum FileError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("parsing {path}: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

impl Source for JsonFile {
    type Error = FileError;

    fn fetch(&mut self, _serving: &Revision) -> Result<Fetch, FileError> {
        let path = self.path.display().to_string();
        let bytes = fs::read(&self.path).map_err(|source| FileError::Read {
            path: path.clone(),
            source,
        })?;
        if self.last.as_deref() == Some(&bytes[..]) {
            return Ok(Fetch::Unchanged);
        }
        let config: Config =
            serde_json::from_slice(&bytes).map_err(|source| FileError::Parse { path, source })?;
        self.last = Some(bytes);
        Ok(Fetch::Config(config))
    }
}

const POLL: Duration = Duration::from_millis(300);

fn config_text(revision: &str, percentage: &str) -> String {
    format!(
        r#"{{
  "schema_version": 1,
  "revision": "{revision}",
  "features": [ {{ "name": "new_checkout_design", "percentage": {percentage} }} ]
}}"#
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path =
        std::env::temp_dir().join(format!("gradual-file-reload-{}.json", std::process::id()));
    fs::write(&path, config_text("r1", "5"))?;

    let rollouts = Rollouts::default();
    let stop = Arc::new(AtomicBool::new(false));

    // The reload loop: the service's own thread, polling the file.
    let mut reloader = Reloader::new(
        JsonFile {
            path: path.clone(),
            last: None,
        },
        rollouts.clone(),
    );
    let status = reloader.status_handle();
    let reload_thread = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            // A broken file fails every poll until fixed: print each failure
            // once.
            let mut failing: Option<String> = None;
            while !stop.load(Ordering::Relaxed) {
                match reloader.reload() {
                    Ok(reload) => {
                        failing = None;
                        if let Reload::Applied(report) = reload {
                            println!(
                                "  reload: applied\n    {}",
                                report.to_string().replace('\n', "\n    ")
                            );
                        }
                    }
                    Err(e) => {
                        let message = e.to_string();
                        if failing.as_ref() != Some(&message) {
                            println!(
                                "  reload: REJECTED, still serving {}: {message}",
                                reloader.rollouts().revision()
                            );
                        }
                        failing = Some(message);
                    }
                }
                thread::sleep(POLL);
            }
        })
    };

    // Request threads: serve continuously and count who gets the new design.
    let (served, on) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let servers: Vec<_> = (0..2)
        .map(|t| {
            let (rollouts, stop, served, on) = (
                rollouts.clone(),
                Arc::clone(&stop),
                Arc::clone(&served),
                Arc::clone(&on),
            );
            thread::spawn(move || {
                let mut i: u64 = t;
                while !stop.load(Ordering::Relaxed) {
                    let user = format!("user-{}", i % 100_000);
                    on.fetch_add(
                        u64::from(rollouts.is_enabled("new_checkout_design", &user)),
                        Ordering::Relaxed,
                    );
                    served.fetch_add(1, Ordering::Relaxed);
                    i += 2;
                }
            })
        })
        .collect();

    let step = |title: &str, text: Option<String>| -> std::io::Result<()> {
        println!("\n== {title}");
        if let Some(text) = text {
            // Write, then rename over the old file: a reader sees the old
            // file or the new one, never a half-written one (a ConfigMap
            // volume swaps its files the same way).
            let staged = path.with_extension("json.new");
            fs::write(&staged, text)?;
            fs::rename(&staged, &path)?;
        }
        thread::sleep(POLL * 2); // let the reload loop pick it up
        let (s0, o0) = (served.load(Ordering::Relaxed), on.load(Ordering::Relaxed));
        thread::sleep(POLL * 3);
        let (s1, o1) = (served.load(Ordering::Relaxed), on.load(Ordering::Relaxed));
        let st = status.get();
        println!(
            "  serving {}: {} requests in the last {:?}, {:.1}% on the new design; last success {}; last error: {}",
            st.serving,
            s1 - s0,
            POLL * 3,
            (o1 - o0) as f64 * 100.0 / (s1 - s0).max(1) as f64,
            st.last_success.map_or("never".into(), ago),
            st.last_error.as_deref().unwrap_or("none"),
        );
        Ok(())
    };

    step("start: r1 ships new_checkout_design at 5%", None)?;
    step("raise: r2 ships 25%", Some(config_text("r2", "25")))?;
    let truncated = config_text("r3", "50");
    step(
        "a truncated file is written",
        Some(truncated[..truncated.len() / 2].to_owned()),
    )?;
    step(
        "an invalid percentage is written",
        Some(config_text("r4", "140")),
    )?;
    step(
        "the file is fixed: r5 ships 50%",
        Some(config_text("r5", "50")),
    )?;

    stop.store(true, Ordering::Relaxed);
    for t in servers {
        t.join().expect("server thread");
    }
    reload_thread.join().expect("reload thread");
    let final_status = status.get();
    println!(
        "\nreloads applied: {}, rollback history: {:?}",
        final_status.applied,
        rollouts
            .history()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let _ = fs::remove_file(&path);
    Ok(())
}

fn ago(t: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(t)
        .unwrap_or_default()
        .as_secs_f64();
    format!("{secs:.1}s ago")
}
